// The aggregate encoding (3) of downsampled blocks' groups: docs/format/block.md.
#include <algorithm>
#include <bit>
#include <cstring>
#include <span>

#include "base/coding.h"
#include "storage/block/fast_varint.h"
#include "storage/block/format.h"

namespace strata::storage::block {
namespace {

Status Bad(const std::string& what) { return Status::Corruption("group: " + what); }

int64_t Bucket(int64_t t, int64_t r) {
  int64_t b = t / r;
  if (t % r != 0 && t < 0) --b;
  return b;
}

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

// Whether each window's first and last sample lie in one bucket of r, given that windows come
// in time order and span less than r. The start of the last sample's bucket is carried from
// window to window, so consecutive windows cost no division; out-of-order, far apart or
// extreme times fall back to dividing.
bool EachInOneBucket(std::span<const AggrWindow> w, int64_t r) {
  int64_t start = 0;  // Of the current bucket, when `have`.
  bool have = false;
  const bool small = r < INT64_MAX / 2;
  for (const AggrWindow& x : w) {
    int64_t d = 0;
    if (!have || !small || __builtin_sub_overflow(x.last_t, start, &d) || d < 0 || d >= 2 * r) {
      const int64_t b = Bucket(x.last_t, r);
      have = !__builtin_mul_overflow(b, r, &start);
      if (!have) {
        if (Bucket(x.first_t, r) != b) return false;
        continue;
      }
    } else if (d >= r) {
      start += r;  // The next bucket: start + r <= last_t, no overflow.
    }
    if (x.first_t < start) return false;
  }
  return true;
}

constexpr uint8_t kColumnXor = 0;
constexpr uint8_t kColumnDecimal = 1;

// The six float columns, in format order, with their mask bits.
struct Column {
  double AggrWindow::*field;
  uint32_t bit;
};
constexpr Column kColumns[] = {{&AggrWindow::sum, kColSum},   {&AggrWindow::min, kColMin},
                               {&AggrWindow::max, kColMax},   {&AggrWindow::first, kColFirst},
                               {&AggrWindow::last, kColLast}, {&AggrWindow::inc, kColInc}};

std::string EncodeColumn(std::span<const AggrWindow> w, double AggrWindow::*field) {
  std::string out;
  int mode = 0, k = 0;
  std::vector<int64_t> m;
  if (FindDecimalScale(
          w.size(), [&](size_t i) { return w[i].*field; }, &mode, &k, &m)) {
    out.push_back(static_cast<char>(kColumnDecimal));
    out.push_back(static_cast<char>(mode));
    out.push_back(static_cast<char>(k));
    for (size_t i = 0; i < m.size(); ++i) PutVarsint64(&out, i == 0 ? m[0] : m[i] - m[i - 1]);
    return out;
  }
  out.push_back(static_cast<char>(kColumnXor));
  uint64_t prev = 0;
  for (const auto& x : w) {
    const uint64_t b = Bits(x.*field);
    PutVarint64(&out, b ^ prev);
    prev = b;
  }
  return out;
}

const uint8_t* Begin(std::string_view b) { return reinterpret_cast<const uint8_t*>(b.data()); }
const uint8_t* End(std::string_view b) { return Begin(b) + b.size(); }

Status DecodeColumn(std::string_view bytes, std::span<AggrWindow> w, double AggrWindow::*field) {
  const uint8_t* p = Begin(bytes);
  const uint8_t* const end = End(bytes);
  if (p == end) return Bad("empty column");
  const uint8_t kind = *p++;
  if (kind == kColumnDecimal) {
    if (end - p < 2) return Bad("bad decimal column scale");
    const uint8_t mode = p[0], k = p[1];
    p += 2;
    if (mode > 1 || k > kMaxDecimalScale || (k == 0 && mode != 0)) {
      return Bad("bad decimal column scale");
    }
    const Status s = DecimalScale(mode, k).Dispatch([&](auto scale) {
      int64_t m = 0;
      for (auto& x : w) {
        uint64_t u;
        if (!ReadVarintBytewise(&p, end, &u)) return Bad("truncated column");
        if (__builtin_add_overflow(m, ZigZagDecode(u), &m) || m >= kMaxDecimalMantissa ||
            m <= -kMaxDecimalMantissa) {
          return Bad("column value out of range");
        }
        x.*field = scale(m);
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
  } else if (kind == kColumnXor) {
    uint64_t prev = 0;
    for (auto& x : w) {
      uint64_t b;
      if (!ReadLongVarint(&p, end, &b)) return Bad("truncated column");
      prev ^= b;
      x.*field = std::bit_cast<double>(prev);
    }
  } else {
    return Bad("unknown column kind " + std::to_string(kind));
  }
  if (p != end) return Bad("trailing bytes in a column");
  return Status::Ok();
}

// The times section (docs/format/block.md): last times, spans, stale markers and counts of
// the n windows, each a run of n varints; the order of the windows is checked too.
Status DecodeTimes(std::string_view times, int64_t resolution_ms, std::span<AggrWindow> w) {
  const uint8_t* p = Begin(times);
  const uint8_t* const end = End(times);
  const size_t n = w.size();
  uint64_t u;
  if (!ReadVarintBytewise(&p, end, &u)) return Bad("truncated times");
  uint64_t t = static_cast<uint64_t>(ZigZagDecode(u));
  w[0].last_t = static_cast<int64_t>(t);
  uint64_t delta = 0;
  for (size_t i = 1; i < n; ++i) {
    if (!ReadVarintBytewise(&p, end, &u)) return Bad("truncated times");
    const uint64_t x = static_cast<uint64_t>(ZigZagDecode(u));
    delta = i == 1 ? x : delta + x;
    t += delta;
    w[i].last_t = static_cast<int64_t>(t);
  }
  const uint64_t r = static_cast<uint64_t>(resolution_ms);
  bool after_last = true;  // Each window starts after the last sample of the one before.
  for (size_t i = 0; i < n; ++i) {
    AggrWindow& x = w[i];
    if (!ReadVarintBytewise(&p, end, &u) || u >= r ||
        __builtin_sub_overflow(x.last_t, static_cast<int64_t>(u), &x.first_t)) {
      return Bad("bad window span");
    }
    if (i > 0) after_last &= x.first_t > w[i - 1].last_t;
  }
  // Stale markers, and the order: each window after the one before and its stale marker (a
  // marker s > 0 lies after its window's last sample by construction). Without markers (n
  // zero bytes, the usual case) the order is what the loop above checked.
  if (static_cast<size_t>(end - p) >= n && after_last &&
      std::all_of(p, p + n, [](uint8_t b) { return b == 0; })) {
    for (auto& x : w) x.stale_t = 0;
    p += n;
  } else {
    int64_t prev_end = 0;
    for (size_t i = 0; i < n; ++i) {
      AggrWindow& x = w[i];
      if (!ReadVarintBytewise(&p, end, &u) || u > (uint64_t{1} << 62)) {
        return Bad("bad stale marker time");
      }
      x.stale_t = 0;
      if (u != 0 && __builtin_add_overflow(x.last_t, static_cast<int64_t>(u), &x.stale_t)) {
        return Bad("bad stale marker time");
      }
      if (i > 0 && x.first_t <= prev_end) return Bad("windows out of order");
      prev_end = x.end_t();
    }
  }
  for (auto& x : w) {
    if (!ReadVarintBytewise(&p, end, &x.count) || x.count == 0)
      return Bad("bad window sample count");
  }
  if (p != end) return Bad("trailing bytes after the times");
  return Status::Ok();
}

Status DecodeInto(std::string_view raw, const GroupRef& ref, int64_t resolution_ms, int64_t start,
                  int64_t end, std::vector<AggrWindow>* out, uint32_t columns) {
  if (resolution_ms <= 0) return Bad("aggregate group in a raw block");
  Decoder d(raw);
  uint8_t encoding;
  uint64_t n;
  if (!d.GetByte(&encoding)) return Bad("empty");
  if (encoding != kEncodingAggregate) {
    return Bad("encoding " + std::to_string(encoding) + " in a downsampled block");
  }
  // Every window takes at least 4 bytes of times and counts.
  if (!d.GetVarint64(&n) || n == 0 || n > kMaxGroupSamples || n > raw.size() / 4) {
    return Bad("bad window count");
  }
  if (n != ref.samples || ref.chunks != 1) return Bad("window count differs from the index");
  std::string_view times;
  if (!d.GetLengthPrefixed(&times)) return Bad("truncated times");
  const size_t base = out->size();
  out->resize(base + static_cast<size_t>(n));
  std::span<AggrWindow> w(out->data() + base, static_cast<size_t>(n));
  STRATA_RETURN_IF_ERROR(DecodeTimes(times, resolution_ms, w));
  for (const Column& c : kColumns) {
    std::string_view bytes;
    if (!d.GetLengthPrefixed(&bytes)) return Bad("truncated column");
    if (columns & c.bit) STRATA_RETURN_IF_ERROR(DecodeColumn(bytes, w, c.field));
  }
  if (!d.empty()) return Bad("trailing bytes");
  // Bounds: each window in one bucket.
  if (!EachInOneBucket(w, resolution_ms)) return Bad("window spans two buckets");
  if (w.front().first_t < ref.min_time || w.back().end_t() > ref.max_time) {
    return Bad("window outside its time range");
  }
  if (w.front().first_t > end || w.back().end_t() < start) {
    out->resize(base);
    return Status::Ok();
  }
  if (w.front().end_t() >= start && w.back().first_t <= end) return Status::Ok();  // All of it.
  size_t kept = base;
  for (const auto& x : w) {
    if (x.first_t <= end && x.end_t() >= start) (*out)[kept++] = x;
  }
  out->resize(kept);
  return Status::Ok();
}

}  // namespace

std::string EncodeWindowGroup(std::span<const AggrWindow> windows) {
  std::string raw;
  raw.push_back(static_cast<char>(kEncodingAggregate));
  PutVarint64(&raw, windows.size());
  std::string times;
  uint64_t prev_delta = 0;
  for (size_t i = 0; i < windows.size(); ++i) {
    if (i == 0) {
      PutVarsint64(&times, windows[0].last_t);
      continue;
    }
    const uint64_t delta =
        static_cast<uint64_t>(windows[i].last_t) - static_cast<uint64_t>(windows[i - 1].last_t);
    PutVarsint64(&times, static_cast<int64_t>(i == 1 ? delta : delta - prev_delta));
    prev_delta = delta;
  }
  for (const auto& w : windows) PutVarint64(&times, static_cast<uint64_t>(w.last_t - w.first_t));
  for (const auto& w : windows) {
    PutVarint64(&times, w.stale_t == 0 ? 0 : static_cast<uint64_t>(w.stale_t - w.last_t));
  }
  for (const auto& w : windows) PutVarint64(&times, w.count);
  PutLengthPrefixed(&raw, times);
  for (const Column& c : kColumns) PutLengthPrefixed(&raw, EncodeColumn(windows, c.field));
  return SealGroup(std::move(raw));
}

Status DecodeGroupWindows(std::string_view stored, const GroupRef& ref, int64_t resolution_ms,
                          int64_t start, int64_t end, std::vector<AggrWindow>* out,
                          uint32_t columns) {
  std::string inflated;
  std::string_view raw;
  STRATA_RETURN_IF_ERROR(UnsealGroup(stored, &inflated, &raw));
  return DecodeUnsealedWindows(raw, ref, resolution_ms, start, end, out, columns);
}

Status DecodeUnsealedWindows(std::string_view raw, const GroupRef& ref, int64_t resolution_ms,
                             int64_t start, int64_t end, std::vector<AggrWindow>* out,
                             uint32_t columns) {
  // The windows are decoded in place at the end of *out (no second copy); on an error *out is
  // put back as it was.
  const size_t base = out->size();
  Status s = DecodeInto(raw, ref, resolution_ms, start, end, out, columns);
  if (!s.ok()) out->resize(base);
  return s;
}

}  // namespace strata::storage::block
