// Fuzz target: the chunk decoders: XOR (Gorilla) chunks (XorChunk, XorIterator, XorAppender::Open)
// and the cold block's chunk groups (block::DecodeGroupSamples: crc, zstd, XOR and decimal
// encodings). Input: one mode byte; bit 0 clear: the rest is an XOR chunk; set: a group header
// (expected chunks: 1 byte, samples: 2 bytes, time bounds and query range: 4 x 8 bytes, used
// when mode bit 1 is set, else the whole time line) then the stored group bytes.
// Properties: a chunk that decodes cleanly reopens for appending with the same samples, takes
// one more sample and decodes to the old samples plus it; Seek lands where a linear scan does;
// a group that decodes has increasing times inside the query range, and its samples re-encode
// to a group that decodes to the same samples.
// Mode bits 0 and 3 set: a downsampled block's aggregate group (block::DecodeGroupWindows):
// window count (2 bytes), column mask (1 byte), then the stored group; bit 4 picks 1h windows
// over 5m. Properties: an error leaves the caller's vector as it was; the windows that decode
// are ordered, each in one bucket, with counts >= 1, and (all columns decoded) re-encode to a
// group that decodes to the same windows bit for bit.
#include <bit>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "storage/block/format.h"
#include "storage/downsample.h"
#include "storage/xor_chunk.h"

namespace strata::fuzz {
namespace {

using storage::XorAppender;
using storage::XorChunk;
using storage::XorIterator;

struct Point {
  int64_t t;
  uint64_t v_bits;
  bool operator==(const Point&) const = default;
};

// Decodes every sample; false on corruption.
bool DecodeAll(std::span<const uint8_t> bytes, std::vector<Point>* out) {
  XorIterator it(bytes);
  while (it.Next()) out->push_back({it.t(), std::bit_cast<uint64_t>(it.v())});
  return it.status().ok();
}

void FuzzXor(std::string_view bytes, uint8_t seek_byte) {
  auto chunk = XorChunk::FromBytes(std::string(bytes));
  if (!chunk.ok()) return;
  std::vector<Point> points;
  if (!DecodeAll(chunk->bytes(), &points)) {
    // A chunk that does not decode must not open for appending either.
    XorChunk copy = *chunk;
    if (XorAppender::Open(&copy).ok()) FuzzFail("XorAppender::Open accepted a corrupt chunk");
    return;
  }
  if (points.size() != static_cast<size_t>(chunk->num_samples())) {
    FuzzFail("XorIterator: decoded " + std::to_string(points.size()) + " samples of " +
             std::to_string(chunk->num_samples()));
  }
  // Seek against a linear scan, at a timestamp picked by the input.
  if (!points.empty()) {
    bool sorted = true;
    for (size_t i = 1; i < points.size(); ++i) sorted &= points[i - 1].t <= points[i].t;
    int64_t target = points[seek_byte % points.size()].t + (seek_byte & 0x80 ? 1 : 0);
    XorIterator it(chunk->bytes());
    bool found = it.Seek(target);
    if (sorted) {
      size_t want = 0;
      while (want < points.size() && points[want].t < target) ++want;
      if (found != (want < points.size()) || (found && it.t() != points[want].t)) {
        FuzzFail("XorIterator::Seek disagrees with a linear scan");
      }
    }
  }
  XorChunk copy = *chunk;
  auto app = XorAppender::Open(&copy);
  if (!app.ok())
    FuzzFail("XorAppender::Open failed on a chunk that decodes: " + app.status().ToString());
  std::vector<Point> reopened;
  if (!DecodeAll(copy.bytes(), &reopened) || reopened != points) {
    FuzzFail("XorAppender::Open changed the decoded samples");
  }
  if (points.size() >= static_cast<size_t>(XorChunk::kMaxSamples)) return;
  int64_t last = points.empty() ? 0 : points.back().t;
  if (last == std::numeric_limits<int64_t>::max()) return;
  Point extra{last + 1, 0x3ff8000000000000};  // 1.5
  if (!app->Append(extra.t, std::bit_cast<double>(extra.v_bits)).ok()) {
    FuzzFail("XorAppender::Append refused the next timestamp after a reopened chunk");
  }
  points.push_back(extra);
  std::vector<Point> appended;
  if (!DecodeAll(copy.bytes(), &appended) || appended != points) {
    FuzzFail("a reopened chunk with one more sample does not decode to the old samples plus it");
  }
}

int64_t ReadInt64(InputReader* in) {
  std::string_view b = in->Take(8);
  uint64_t v = 0;
  std::memcpy(&v, b.data(), b.size());
  return static_cast<int64_t>(v);
}

void FuzzGroup(InputReader* in, bool custom_range) {
  storage::block::GroupRef ref;
  ref.chunks = in->Byte();
  ref.samples = in->Byte();
  ref.samples |= static_cast<uint64_t>(in->Byte()) << 8;
  ref.file = 1;
  int64_t start = std::numeric_limits<int64_t>::min();
  int64_t end = std::numeric_limits<int64_t>::max();
  ref.min_time = start;
  ref.max_time = end;
  if (custom_range) {
    ref.min_time = ReadInt64(in);
    ref.max_time = ReadInt64(in);
    start = ReadInt64(in);
    end = ReadInt64(in);
  }
  std::string_view stored = in->Rest();
  ref.length = stored.size();
  std::vector<model::Sample> out;
  Status s = storage::block::DecodeGroupSamples(stored, ref, start, end, &out);
  if (!s.ok()) {
    if (s.code() != StatusCode::kCorruption) FuzzFail("DecodeGroupSamples: " + s.ToString());
    return;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].timestamp_ms < start || out[i].timestamp_ms > end) {
      FuzzFail("DecodeGroupSamples: a sample outside the query range");
    }
    if (i > 0 && out[i - 1].timestamp_ms >= out[i].timestamp_ms) {
      FuzzFail("DecodeGroupSamples: samples not in increasing time order");
    }
  }
  if (out.empty() || out.size() > storage::block::kMaxGroupSamples) return;
  // Re-encode what was decoded and decode it again.
  uint64_t chunks = 0;
  std::string again = storage::block::EncodeSampleGroup(out, &chunks);
  storage::block::GroupRef ref2;
  ref2.min_time = out.front().timestamp_ms;
  ref2.max_time = out.back().timestamp_ms;
  ref2.file = 1;
  ref2.length = again.size();
  ref2.chunks = chunks;
  ref2.samples = out.size();
  std::vector<model::Sample> out2;
  Status s2 = storage::block::DecodeGroupSamples(again, ref2, ref2.min_time, ref2.max_time, &out2);
  if (!s2.ok()) FuzzFail("a re-encoded group does not decode: " + s2.ToString());
  if (out2.size() != out.size()) FuzzFail("a re-encoded group decodes to another sample count");
  for (size_t i = 0; i < out.size(); ++i) {
    if (out2[i].timestamp_ms != out[i].timestamp_ms ||
        std::bit_cast<uint64_t>(out2[i].value) != std::bit_cast<uint64_t>(out[i].value)) {
      FuzzFail("a re-encoded group decodes to other samples");
    }
  }
}

int64_t FloorDiv(int64_t t, int64_t r) {
  int64_t b = t / r;
  if (t % r != 0 && t < 0) --b;
  return b;
}

bool SameWindow(const storage::AggrWindow& a, const storage::AggrWindow& b) {
  auto bits = [](double v) { return std::bit_cast<uint64_t>(v); };
  return a.first_t == b.first_t && a.last_t == b.last_t && a.stale_t == b.stale_t &&
         a.count == b.count && bits(a.sum) == bits(b.sum) && bits(a.min) == bits(b.min) &&
         bits(a.max) == bits(b.max) && bits(a.first) == bits(b.first) &&
         bits(a.last) == bits(b.last) && bits(a.inc) == bits(b.inc);
}

void FuzzWindows(InputReader* in, uint8_t mode) {
  const int64_t resolution = (mode & 16) ? storage::kResolution1h : storage::kResolution5m;
  storage::block::GroupRef ref;
  ref.chunks = 1;
  ref.samples = in->Byte();
  ref.samples |= static_cast<uint64_t>(in->Byte()) << 8;
  ref.file = 1;
  ref.min_time = std::numeric_limits<int64_t>::min();
  ref.max_time = std::numeric_limits<int64_t>::max();
  const uint32_t columns = in->Byte() & storage::block::kAllColumns;
  std::string_view stored = in->Rest();
  ref.length = stored.size();
  // One window already there: the decoder appends, and must leave it alone on an error.
  std::vector<storage::AggrWindow> out(1);
  out[0].first_t = out[0].last_t = 42;
  out[0].count = 7;
  const storage::AggrWindow before = out[0];
  Status s = storage::block::DecodeGroupWindows(stored, ref, resolution, ref.min_time, ref.max_time,
                                                &out, columns);
  if (!s.ok()) {
    if (s.code() != StatusCode::kCorruption) FuzzFail("DecodeGroupWindows: " + s.ToString());
    if (out.size() != 1 || !SameWindow(out[0], before)) {
      FuzzFail("DecodeGroupWindows: an error changed the caller's windows");
    }
    return;
  }
  if (out.empty() || !SameWindow(out[0], before)) FuzzFail("DecodeGroupWindows: lost a window");
  std::vector<storage::AggrWindow> w(out.begin() + 1, out.end());
  for (size_t i = 0; i < w.size(); ++i) {
    const auto& x = w[i];
    if (x.count == 0) FuzzFail("DecodeGroupWindows: a window of no samples");
    if (x.first_t > x.last_t || FloorDiv(x.first_t, resolution) != FloorDiv(x.last_t, resolution)) {
      FuzzFail("DecodeGroupWindows: a window across two buckets");
    }
    if (x.stale_t != 0 && x.stale_t <= x.last_t) FuzzFail("DecodeGroupWindows: bad stale time");
    if (i > 0 && x.first_t <= w[i - 1].end_t()) FuzzFail("DecodeGroupWindows: out of order");
  }
  if (w.empty() || columns != storage::block::kAllColumns ||
      w.size() > storage::block::kMaxGroupSamples) {
    return;
  }
  std::string again = storage::block::EncodeWindowGroup(w);
  storage::block::GroupRef ref2;
  ref2.min_time = w.front().first_t;
  ref2.max_time = w.back().end_t();
  ref2.file = 1;
  ref2.length = again.size();
  ref2.chunks = 1;
  ref2.samples = w.size();
  std::vector<storage::AggrWindow> w2;
  Status s2 = storage::block::DecodeGroupWindows(again, ref2, resolution, ref2.min_time,
                                                 ref2.max_time, &w2);
  if (!s2.ok()) FuzzFail("a re-encoded aggregate group does not decode: " + s2.ToString());
  if (w2.size() != w.size()) FuzzFail("a re-encoded aggregate group has another window count");
  for (size_t i = 0; i < w.size(); ++i) {
    if (!SameWindow(w[i], w2[i])) FuzzFail("a re-encoded aggregate group decodes to others");
  }
}

void FuzzChunk(std::span<const uint8_t> data) {
  InputReader in(data);
  uint8_t mode = in.Byte();
  if ((mode & 1) && (mode & 8)) {
    FuzzWindows(&in, mode);
  } else if (mode & 1) {
    FuzzGroup(&in, mode & 2);
  } else {
    FuzzXor(in.Rest(), mode);
  }
}

}  // namespace
}  // namespace strata::fuzz

STRATA_FUZZ_TARGET(chunk, strata::fuzz::FuzzChunk)
