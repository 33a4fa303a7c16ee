// Fuzz target: the chunk decoders: XOR (Gorilla) chunks (XorChunk, XorIterator, XorAppender::Open)
// and the cold block's chunk groups (block::DecodeGroupSamples: crc, zstd, XOR and decimal
// encodings). Input: one mode byte; bit 0 clear: the rest is an XOR chunk; set: a group header
// (expected chunks: 1 byte, samples: 2 bytes, time bounds and query range: 4 x 8 bytes, used
// when mode bit 1 is set, else the whole time line) then the stored group bytes.
// Properties: a chunk that decodes cleanly reopens for appending with the same samples, takes
// one more sample and decodes to the old samples plus it; Seek lands where a linear scan does;
// a group that decodes has increasing times inside the query range, and its samples re-encode
// to a group that decodes to the same samples.
#include <bit>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "storage/block/format.h"
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

void FuzzChunk(std::span<const uint8_t> data) {
  InputReader in(data);
  uint8_t mode = in.Byte();
  if (mode & 1) {
    FuzzGroup(&in, mode & 2);
  } else {
    FuzzXor(in.Rest(), mode);
  }
}

}  // namespace
}  // namespace strata::fuzz

STRATA_FUZZ_TARGET(chunk, strata::fuzz::FuzzChunk)
