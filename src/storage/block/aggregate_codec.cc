// The aggregate encoding (3) of downsampled blocks' groups: docs/format/block.md.
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

Status DecodeColumn(std::string_view bytes, std::span<AggrWindow> w, double AggrWindow::*field) {
  Decoder d(bytes);
  uint8_t kind;
  if (!d.GetByte(&kind)) return Bad("empty column");
  if (kind == kColumnDecimal) {
    uint8_t mode, k;
    if (!d.GetByte(&mode) || !d.GetByte(&k) || mode > 1 || k > kMaxDecimalScale ||
        (k == 0 && mode != 0)) {
      return Bad("bad decimal column scale");
    }
    const DecimalScale scale(mode, k);
    int64_t m = 0;
    for (auto& x : w) {
      int64_t delta;
      if (!d.GetVarsint64(&delta)) return Bad("truncated column");
      if (__builtin_add_overflow(m, delta, &m) || m >= kMaxDecimalMantissa ||
          m <= -kMaxDecimalMantissa) {
        return Bad("column value out of range");
      }
      x.*field = scale(m);
    }
  } else if (kind == kColumnXor) {
    const auto* end = reinterpret_cast<const uint8_t*>(bytes.data() + bytes.size());
    const uint8_t* p = end - d.remaining();
    uint64_t prev = 0;
    for (auto& x : w) {
      uint64_t b;
      if (!ReadLongVarint(&p, end, &b)) return Bad("truncated column");
      prev ^= b;
      x.*field = std::bit_cast<double>(prev);
    }
    return p == end ? Status::Ok() : Bad("trailing bytes in a column");
  } else {
    return Bad("unknown column kind " + std::to_string(kind));
  }
  if (!d.empty()) return Bad("trailing bytes in a column");
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
  Decoder t(times);
  uint64_t delta = 0;
  for (uint64_t i = 0; i < n; ++i) {
    int64_t x;
    if (!t.GetVarsint64(&x)) return Bad("truncated times");
    if (i == 0) {
      w[0].last_t = x;
    } else {
      delta = i == 1 ? static_cast<uint64_t>(x) : delta + static_cast<uint64_t>(x);
      w[i].last_t = static_cast<int64_t>(static_cast<uint64_t>(w[i - 1].last_t) + delta);
    }
  }
  for (auto& x : w) {
    uint64_t span;
    if (!t.GetVarint64(&span) || span >= static_cast<uint64_t>(resolution_ms) ||
        __builtin_sub_overflow(x.last_t, static_cast<int64_t>(span), &x.first_t)) {
      return Bad("bad window span");
    }
  }
  // Stale markers, and the order: each window after the one before and its stale marker (a
  // marker s > 0 lies after its window's last sample by construction).
  int64_t prev_end = 0;
  for (uint64_t i = 0; i < n; ++i) {
    AggrWindow& x = w[i];
    uint64_t s;
    if (!t.GetVarint64(&s) || s > (uint64_t{1} << 62)) return Bad("bad stale marker time");
    x.stale_t = 0;
    if (s != 0 && __builtin_add_overflow(x.last_t, static_cast<int64_t>(s), &x.stale_t)) {
      return Bad("bad stale marker time");
    }
    if (i > 0 && x.first_t <= prev_end) return Bad("windows out of order");
    prev_end = x.end_t();
  }
  for (auto& x : w) {
    if (!t.GetVarint64(&x.count) || x.count == 0) return Bad("bad window sample count");
  }
  if (!t.empty()) return Bad("trailing bytes after the times");
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
