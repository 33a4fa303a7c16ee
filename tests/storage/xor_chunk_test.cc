// Tests for the Gorilla XOR chunk codec (src/storage/xor_chunk.h, docs/format/chunk.md):
// seeded random round trips, the edge list, append errors, reopening, Seek, and corruption
// (truncation at every length, byte flips) which must never crash or read out of bounds.
#include "storage/xor_chunk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace strata::storage {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

struct Sample {
  int64_t t;
  double v;
};

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }
double FromBits(uint64_t b) { return std::bit_cast<double>(b); }

std::string ToString(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

XorChunk Encode(const std::vector<Sample>& samples) {
  XorChunk chunk;
  Result<XorAppender> app = XorAppender::Open(&chunk);
  EXPECT_TRUE(app.ok()) << app.status().ToString();
  for (const Sample& s : samples) {
    Status st = app->Append(s.t, s.v);
    EXPECT_TRUE(st.ok()) << st.ToString() << " at t=" << s.t;
  }
  return chunk;
}

struct Decoded {
  std::vector<Sample> samples;
  Status status;
};

Decoded Decode(std::span<const uint8_t> bytes) {
  Decoded d;
  XorIterator it(bytes);
  while (it.Next()) d.samples.push_back({it.t(), it.v()});
  d.status = it.status();
  return d;
}

// Bit-exact comparison of two sample lists, with a readable first difference.
::testing::AssertionResult SameSamples(const std::vector<Sample>& want,
                                       const std::vector<Sample>& got) {
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    if (want[i].t != got[i].t || Bits(want[i].v) != Bits(got[i].v)) {
      return ::testing::AssertionFailure()
             << "sample " << i << ": want (" << want[i].t << ", 0x" << std::hex << Bits(want[i].v)
             << ") got (" << std::dec << got[i].t << ", 0x" << std::hex << Bits(got[i].v) << ")";
    }
  }
  if (want.size() != got.size()) {
    return ::testing::AssertionFailure()
           << "want " << want.size() << " samples, got " << got.size();
  }
  return ::testing::AssertionSuccess();
}

void ExpectRoundTrip(const std::vector<Sample>& samples) {
  XorChunk chunk = Encode(samples);
  EXPECT_EQ(chunk.num_samples(), static_cast<int>(samples.size()));
  EXPECT_EQ(chunk.size_bytes(), chunk.bytes().size());
  Decoded d = Decode(chunk.bytes());
  EXPECT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_TRUE(SameSamples(samples, d.samples));
}

// ---------------------------------------------------------------------------------------------
// Series shapes for the random round trips.

enum class TimeShape { kRegular, kJitter, kRandomGaps, kEqualRuns, kHuge };
enum class ValueShape { kConstant, kCounter, kRandomWalk, kRandomDoubles, kRandomBits, kMixed };

std::vector<Sample> RandomSeries(uint64_t seed, TimeShape ts, ValueShape vs, int n) {
  std::mt19937_64 rng(seed);
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  std::vector<Sample> out;
  int64_t t = uniform(-2'000'000'000'000, 2'000'000'000'000);
  if (ts == TimeShape::kHuge) t = uniform(kMin, kMin / 2);
  double v = std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
  const double constant = v;
  for (int i = 0; i < n; ++i) {
    if (i > 0) {
      int64_t step = 0;
      switch (ts) {
        case TimeShape::kRegular:
          step = 15'000;
          break;
        case TimeShape::kJitter:
          step = 15'000 + uniform(-50, 50);
          break;
        case TimeShape::kRandomGaps:
          step = uniform(0, 1) ? uniform(0, 5000) : uniform(0, 1 << 30);
          break;
        case TimeShape::kEqualRuns:
          step = uniform(0, 3) == 0 ? uniform(1, 100) : 0;
          break;
        case TimeShape::kHuge: {
          // Spread the jumps so that the series ends near INT64_MAX without overflowing.
          const uint64_t room = static_cast<uint64_t>(kMax) - static_cast<uint64_t>(t);
          const uint64_t left = static_cast<uint64_t>(n - i);
          const uint64_t max_step = room / left;
          step = static_cast<int64_t>(std::uniform_int_distribution<uint64_t>(0, max_step)(rng) %
                                      (uint64_t{1} << 62));
          if (uniform(0, 3) == 0) step = uniform(0, 10);
          break;
        }
      }
      t += step;
    }
    switch (vs) {
      case ValueShape::kConstant:
        v = constant;
        break;
      case ValueShape::kCounter:
        v = i == 0 ? std::floor(std::abs(v)) : v + static_cast<double>(uniform(0, 20));
        if (uniform(0, 200) == 0) v = 0;  // A counter reset.
        break;
      case ValueShape::kRandomWalk:
        v += std::normal_distribution<double>(0, 1)(rng);
        break;
      case ValueShape::kRandomDoubles:
        v = std::uniform_real_distribution<double>(-1e300, 1e300)(rng) /
            std::pow(10.0, static_cast<double>(uniform(0, 600)));
        break;
      case ValueShape::kRandomBits:
        v = FromBits(rng());
        break;
      case ValueShape::kMixed: {
        switch (uniform(0, 5)) {
          case 0:
            break;  // Repeat.
          case 1:
            v = FromBits(rng());
            break;
          case 2:
            v += 1;
            break;
          case 3:
            v = std::round(v * 100) / 100 + 0.01;
            break;
          case 4:
            v = FromBits(0x7ff0000000000002);
            break;
          default:
            v = static_cast<double>(uniform(-5, 5));
            break;
        }
        break;
      }
    }
    out.push_back({t, v});
  }
  return out;
}

TEST(XorChunkTest, SeededRandomRoundTrips) {
  const TimeShape time_shapes[] = {TimeShape::kRegular, TimeShape::kJitter, TimeShape::kRandomGaps,
                                   TimeShape::kEqualRuns, TimeShape::kHuge};
  const ValueShape value_shapes[] = {ValueShape::kConstant,   ValueShape::kCounter,
                                     ValueShape::kRandomWalk, ValueShape::kRandomDoubles,
                                     ValueShape::kRandomBits, ValueShape::kMixed};
  std::mt19937_64 lengths(42);
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    for (TimeShape ts : time_shapes) {
      for (ValueShape vs : value_shapes) {
        const int n = std::uniform_int_distribution<int>(1, 400)(lengths);
        SCOPED_TRACE(
            "seed=" + std::to_string(seed) + " time_shape=" + std::to_string(static_cast<int>(ts)) +
            " value_shape=" + std::to_string(static_cast<int>(vs)) + " n=" + std::to_string(n));
        ExpectRoundTrip(RandomSeries(seed, ts, vs, n));
        if (HasFailure()) return;  // One reproducible failure is enough.
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The edge list.

TEST(XorChunkTest, EmptyChunkIteratesNothing) {
  XorChunk chunk;
  EXPECT_EQ(chunk.num_samples(), 0);
  EXPECT_EQ(chunk.size_bytes(), 2u);
  XorIterator it(chunk.bytes());
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.status().ok());
  EXPECT_FALSE(it.Next());
  XorIterator it2(chunk.bytes());
  EXPECT_FALSE(it2.Seek(kMin));
  EXPECT_TRUE(it2.status().ok());
}

TEST(XorChunkTest, OneSample) {
  ExpectRoundTrip({{1'700'000'000'000, 42.5}});
  ExpectRoundTrip({{kMin, -0.0}});
  ExpectRoundTrip({{kMax, FromBits(0x7ff0000000000002)}});
}

TEST(XorChunkTest, RoundTripsStaleNaN) {
  const double stale = FromBits(0x7ff0000000000002);
  ExpectRoundTrip({{1000, stale}});
  ExpectRoundTrip({{1000, 1.0}, {2000, stale}, {3000, 2.0}, {4000, stale}, {5000, stale}});
  XorChunk chunk = Encode({{1000, 5.0}, {2000, stale}});
  XorIterator it(chunk.bytes());
  ASSERT_TRUE(it.Next());
  ASSERT_TRUE(it.Next());
  EXPECT_TRUE(std::isnan(it.v()));
  EXPECT_EQ(Bits(it.v()), 0x7ff0000000000002u);
}

TEST(XorChunkTest, NaNPayloadsStayDistinct) {
  const uint64_t payloads[] = {0x7ff0000000000002, 0x7ff8000000000001, 0x7ff8000000000000,
                               0xfff8000000000000, 0x7ff0000000000001, 0x7fffffffffffffff,
                               0xffffffffffffffff, 0xfff0000000000001};
  std::vector<Sample> samples;
  int64_t t = 0;
  for (uint64_t a : payloads) {
    for (uint64_t b : payloads) {
      samples.push_back({t++, FromBits(a)});
      samples.push_back({t++, FromBits(b)});
    }
  }
  ExpectRoundTrip(samples);
}

TEST(XorChunkTest, RoundTripsInfinitiesZerosAndDenormals) {
  const double inf = std::numeric_limits<double>::infinity();
  const double denorm_min = std::numeric_limits<double>::denorm_min();
  const std::vector<double> values = {inf,
                                      -inf,
                                      0.0,
                                      -0.0,
                                      0.0,
                                      -0.0,
                                      -0.0,
                                      denorm_min,
                                      -denorm_min,
                                      FromBits(0x000fffffffffffff),  // Largest denormal.
                                      std::numeric_limits<double>::min(),
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::lowest(),
                                      std::numeric_limits<double>::epsilon(),
                                      inf,
                                      inf,
                                      -inf,
                                      1.0,
                                      -1.0};
  std::vector<Sample> samples;
  for (size_t i = 0; i < values.size(); ++i) {
    samples.push_back({static_cast<int64_t>(i) * 15'000, values[i]});
  }
  ExpectRoundTrip(samples);
}

TEST(XorChunkTest, EqualTimestampsAreAccepted) {
  ExpectRoundTrip({{5, 1.0}, {5, 2.0}, {5, 3.0}, {6, 4.0}, {6, 4.0}, {6, 5.0}, {100, 6.0}});
}

TEST(XorChunkTest, HugeAndNegativeDeltas) {
  ExpectRoundTrip({{kMin / 2, 1.0}, {kMax / 2, 2.0}});
  ExpectRoundTrip({{kMin / 2, 1.0}, {kMin / 2 + 1, 2.0}, {kMax / 2, 3.0}, {kMax / 2, 4.0}});
  ExpectRoundTrip({{kMin, 1.0}, {kMax, 2.0}});
  ExpectRoundTrip({{kMin, 1.0}, {0, 2.0}, {kMax, 3.0}});
  ExpectRoundTrip({{kMin, 1.0}, {kMin, 2.0}, {kMax, 3.0}, {kMax, 4.0}});
  ExpectRoundTrip({{kMin, 1.0}, {kMax - 1, 2.0}, {kMax, 3.0}});  // dod = 1 - (2^64 - 2).
  // Shrinking deltas: negative delta-of-deltas in every bucket.
  ExpectRoundTrip({{0, 1.0},
                   {1'000'000'000, 1.0},
                   {1'000'000'001, 1.0},
                   {1'000'000'001, 1.0},
                   {1'000'100'000, 1.0},
                   {1'000'100'050, 1.0},
                   {1'000'100'060, 1.0},
                   {1'000'100'061, 1.0}});
  // Negative timestamps (before 1970).
  ExpectRoundTrip({{-100'000, 1.0}, {-85'000, 2.0}, {-70'001, 3.0}, {-55'000, 4.0}, {0, 5.0}});
}

TEST(XorChunkTest, TimestampsNearInt64Limits) {
  std::vector<Sample> low, high;
  for (int64_t i = 0; i < 50; ++i) {
    low.push_back({kMin + i * 7, static_cast<double>(i)});
    high.push_back({kMax - (49 - i) * 7, static_cast<double>(i)});
  }
  ExpectRoundTrip(low);
  ExpectRoundTrip(high);
}

// The bucket of a delta-of-delta, seen through the chunk's size: 16 samples with the same dod.
TEST(XorChunkTest, DeltaOfDeltaBucketBoundaries) {
  struct Case {
    int64_t dod;
    int bits;  // Prefix + field.
  };
  const Case cases[] = {{0, 1},        {1, 9},          {-1, 9},     {64, 9},    {-63, 9},
                        {65, 12},      {-64, 12},       {256, 12},   {-255, 12}, {257, 16},
                        {-256, 16},    {2048, 16},      {-2047, 16}, {2049, 68}, {-2048, 68},
                        {1 << 30, 68}, {-(1 << 20), 68}};
  for (const Case& c : cases) {
    SCOPED_TRACE("dod=" + std::to_string(c.dod));
    std::vector<Sample> samples = {{0, 1.0}, {100'000'000, 1.0}};  // 4-byte varint delta.
    int64_t delta = 100'000'000;
    for (int i = 0; i < 16; ++i) {
      delta += c.dod;
      samples.push_back({samples.back().t + delta, 1.0});
    }
    XorChunk chunk = Encode(samples);
    // Header, varint 0, value, varint delta, '0' value bit, then 16 x (dod + '0' value bit).
    const size_t bits = 8 + 64 + 32 + 1 + 16 * (c.bits + 1);
    EXPECT_EQ(chunk.size_bytes(), 2 + (bits + 7) / 8);
    Decoded d = Decode(chunk.bytes());
    EXPECT_TRUE(d.status.ok());
    EXPECT_TRUE(SameSamples(samples, d.samples));
  }
}

// A constant series on a fixed interval costs 2 bits per sample after the second.
TEST(XorChunkTest, ConstantSeriesSize) {
  std::vector<Sample> samples;
  samples.reserve(120);
  for (int64_t i = 0; i < 120; ++i) samples.push_back({1'700'000'000'000 + i * 15'000, 1.0});
  XorChunk chunk = Encode(samples);
  // Header 2, zig-zag varint of 1.7e12 (42 bits) 6, value 8, varint 15000 2, then
  // 1 + 118 * 2 = 237 bits = 30 bytes.
  EXPECT_EQ(chunk.size_bytes(), 48u);
}

// The buffer grows in small steps (an eighth, at least 64 bytes), not by doubling: an open chunk
// never holds much more than it has written, for small chunks and for large ones. Worst-case
// samples (random values, huge timestamp jumps) still fit without the writer reallocating.
TEST(XorChunkTest, BufferGrowsInSmallSteps) {
  std::mt19937_64 rng(7);
  for (int worst = 0; worst < 2; ++worst) {
    XorChunk chunk;
    auto app = XorAppender::Open(&chunk);
    ASSERT_TRUE(app.ok());
    std::vector<Sample> samples;
    int64_t t = worst ? INT64_MIN + 1 : 1'700'000'000'000;
    for (int i = 0; i < 5000; ++i) {
      t += worst ? static_cast<int64_t>(rng() >> 14) : 15'000;  // 5000 x 2^50 < 2^64.
      const double v = worst ? std::bit_cast<double>(rng() | 1) : 1000.0 + (rng() % 1000) / 7.0;
      samples.push_back({t, v});
      ASSERT_TRUE(app->Append(t, v).ok());
      const size_t size = chunk.size_bytes();
      ASSERT_LE(chunk.capacity_bytes(), size + std::max<size_t>(64, size / 8) + 24)
          << "sample " << i << " worst " << worst;
    }
    Decoded d = Decode(chunk.bytes());
    EXPECT_TRUE(d.status.ok());
    EXPECT_TRUE(SameSamples(samples, d.samples));
  }
}

// The worked example of docs/format/chunk.md, byte for byte. Never change the expected bytes:
// existing chunks must decode forever.
TEST(XorChunkTest, GoldenWorkedExample) {
  XorChunk chunk = Encode({{1000, 12.0}, {16000, 12.0}, {31000, 12.5}, {46005, 12.5}});
  const std::string want(
      "\x00\x04"                          // 4 samples.
      "\xd0\x0f"                          // zig-zag varint of 1000.
      "\x40\x28\x00\x00\x00\x00\x00\x00"  // 12.0.
      "\x98\x75"                          // varint delta 15000.
      "\x37\x83\x82\x80",                 // 0 | 0 | 11 01111 000001 1 | 10 0000101 | 0 | pad.
      18);
  EXPECT_EQ(ToString(chunk.bytes()), want);
  Result<XorChunk> reread = XorChunk::FromBytes(want);
  ASSERT_TRUE(reread.ok());
  Decoded d = Decode(reread->bytes());
  EXPECT_TRUE(d.status.ok());
  EXPECT_TRUE(SameSamples({{1000, 12.0}, {16000, 12.0}, {31000, 12.5}, {46005, 12.5}}, d.samples));
}

TEST(XorChunkTest, HeaderCountIsBigEndian) {
  std::vector<Sample> samples;
  samples.reserve(300);
  for (int i = 0; i < 300; ++i) samples.push_back({i, 0.0});
  XorChunk chunk = Encode(samples);
  EXPECT_EQ(chunk.bytes()[0], 1);
  EXPECT_EQ(chunk.bytes()[1], 44);
  EXPECT_EQ(chunk.num_samples(), 300);
}

TEST(XorChunkTest, FullChunkReturnsResourceExhausted) {
  XorChunk chunk;
  Result<XorAppender> app = XorAppender::Open(&chunk);
  ASSERT_TRUE(app.ok());
  std::mt19937_64 rng(7);
  std::vector<Sample> samples;
  for (int i = 0; i < XorChunk::kMaxSamples; ++i) {
    samples.push_back({int64_t{i} * 15'000 + static_cast<int64_t>(rng() % 5),
                       static_cast<double>(rng() % 1000) / 10});
    ASSERT_TRUE(app->Append(samples.back().t, samples.back().v).ok()) << i;
  }
  EXPECT_EQ(chunk.num_samples(), XorChunk::kMaxSamples);
  const std::string before = ToString(chunk.bytes());
  Status st = app->Append(samples.back().t + 15'000, 1.0);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
  EXPECT_EQ(ToString(chunk.bytes()), before);
  Decoded d = Decode(chunk.bytes());
  EXPECT_TRUE(d.status.ok());
  EXPECT_TRUE(SameSamples(samples, d.samples));

  // Reopening a full chunk works, and it is still full.
  Result<XorAppender> again = XorAppender::Open(&chunk);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->Append(kMax, 1.0).code(), StatusCode::kResourceExhausted);
}

// ---------------------------------------------------------------------------------------------
// Append errors and reopening.

TEST(XorChunkTest, OutOfOrderAppendLeavesChunkIntact) {
  const std::vector<Sample> all = RandomSeries(3, TimeShape::kJitter, ValueShape::kMixed, 60);
  for (size_t k = 1; k <= all.size(); ++k) {
    SCOPED_TRACE("after " + std::to_string(k) + " samples");
    XorChunk chunk;
    Result<XorAppender> app = XorAppender::Open(&chunk);
    ASSERT_TRUE(app.ok());
    for (size_t i = 0; i < k; ++i) ASSERT_TRUE(app->Append(all[i].t, all[i].v).ok());
    const std::string before = ToString(chunk.bytes());
    const int64_t last = all[k - 1].t;
    for (int64_t t : {last - 1, last - 1000, kMin}) {
      Status st = app->Append(t, 1.0);
      EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
      EXPECT_EQ(ToString(chunk.bytes()), before);
    }
    Decoded d = Decode(chunk.bytes());
    EXPECT_TRUE(d.status.ok());
    EXPECT_TRUE(SameSamples(std::vector<Sample>(all.begin(), all.begin() + k), d.samples));
    // The appender is still usable.
    for (size_t i = k; i < all.size(); ++i) ASSERT_TRUE(app->Append(all[i].t, all[i].v).ok());
    EXPECT_TRUE(SameSamples(all, Decode(chunk.bytes()).samples));
  }
}

TEST(XorChunkTest, AppendAfterReopenFromBytesContinues) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const std::vector<Sample> all =
        RandomSeries(seed, seed % 2 ? TimeShape::kJitter : TimeShape::kRandomGaps,
                     seed % 3 ? ValueShape::kMixed : ValueShape::kRandomBits, 50);
    const std::string one_shot = ToString(Encode(all).bytes());
    for (size_t k = 0; k <= all.size(); ++k) {
      SCOPED_TRACE("seed=" + std::to_string(seed) + " reopened after " + std::to_string(k));
      XorChunk first = Encode(std::vector<Sample>(all.begin(), all.begin() + k));
      Result<XorChunk> reread = XorChunk::FromBytes(ToString(first.bytes()));
      ASSERT_TRUE(reread.ok()) << reread.status().ToString();
      XorChunk chunk = std::move(reread).value();
      Result<XorAppender> app = XorAppender::Open(&chunk);
      ASSERT_TRUE(app.ok()) << app.status().ToString();
      for (size_t i = k; i < all.size(); ++i) ASSERT_TRUE(app->Append(all[i].t, all[i].v).ok());
      // Reopening recovers the exact encoder state: the bytes match a one-shot encoding.
      EXPECT_EQ(ToString(chunk.bytes()), one_shot);
      EXPECT_TRUE(SameSamples(all, Decode(chunk.bytes()).samples));
      if (HasFailure()) return;
    }
  }
}

TEST(XorChunkTest, ReopenIgnoresTrailingBytesAndPaddingBits) {
  const std::vector<Sample> all = RandomSeries(11, TimeShape::kJitter, ValueShape::kCounter, 30);
  XorChunk first = Encode(std::vector<Sample>(all.begin(), all.begin() + 20));
  std::string bytes = ToString(first.bytes());
  bytes.back() = static_cast<char>(bytes.back() | 0x01);  // Padding bit, if there is one.
  bytes += "\xff\xff\xff";
  Result<XorChunk> reread = XorChunk::FromBytes(bytes);
  ASSERT_TRUE(reread.ok());
  XorChunk chunk = std::move(reread).value();
  Result<XorAppender> app = XorAppender::Open(&chunk);
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  for (size_t i = 20; i < all.size(); ++i) ASSERT_TRUE(app->Append(all[i].t, all[i].v).ok());
  Decoded d = Decode(chunk.bytes());
  EXPECT_TRUE(d.status.ok());
  EXPECT_TRUE(SameSamples(all, d.samples));
}

TEST(XorChunkTest, OpenRejectsCorruptChunk) {
  XorChunk good = Encode(RandomSeries(5, TimeShape::kJitter, ValueShape::kRandomWalk, 40));
  std::string bytes = ToString(good.bytes());
  bytes.resize(bytes.size() - 3);  // Still long enough for the header check.
  Result<XorChunk> reread = XorChunk::FromBytes(bytes);
  ASSERT_TRUE(reread.ok());
  XorChunk chunk = std::move(reread).value();
  Result<XorAppender> app = XorAppender::Open(&chunk);
  EXPECT_TRUE(app.status().IsCorruption()) << app.status().ToString();
}

// ---------------------------------------------------------------------------------------------
// Seek.

TEST(XorChunkTest, SeekSemantics) {
  const std::vector<Sample> s = {{100, 1.0}, {200, 2.0}, {200, 2.5}, {300, 3.0}, {400, 4.0}};
  XorChunk chunk = Encode(s);

  XorIterator before(chunk.bytes());  // Before the first sample.
  ASSERT_TRUE(before.Seek(kMin));
  EXPECT_EQ(before.t(), 100);
  EXPECT_EQ(before.v(), 1.0);

  XorIterator exact(chunk.bytes());  // Exact hit, first of two equal timestamps.
  ASSERT_TRUE(exact.Seek(200));
  EXPECT_EQ(exact.t(), 200);
  EXPECT_EQ(exact.v(), 2.0);
  ASSERT_TRUE(exact.Seek(200));  // Repeated seek: no-op.
  EXPECT_EQ(exact.v(), 2.0);
  ASSERT_TRUE(exact.Seek(150));  // Backwards: stays put.
  EXPECT_EQ(exact.t(), 200);
  EXPECT_EQ(exact.v(), 2.0);
  ASSERT_TRUE(exact.Next());
  EXPECT_EQ(exact.v(), 2.5);

  XorIterator between(chunk.bytes());  // Between samples.
  ASSERT_TRUE(between.Seek(250));
  EXPECT_EQ(between.t(), 300);
  ASSERT_TRUE(between.Seek(301));
  EXPECT_EQ(between.t(), 400);
  EXPECT_FALSE(between.Next());

  XorIterator past(chunk.bytes());  // Past the end.
  EXPECT_FALSE(past.Seek(401));
  EXPECT_TRUE(past.status().ok());
  EXPECT_FALSE(past.Seek(0));  // Exhausted stays exhausted.
  EXPECT_FALSE(past.Next());

  XorIterator mixed(chunk.bytes());  // Next then Seek.
  ASSERT_TRUE(mixed.Next());
  ASSERT_TRUE(mixed.Seek(100));
  EXPECT_EQ(mixed.t(), 100);
  EXPECT_FALSE(mixed.Seek(kMax - 1));
}

// ---------------------------------------------------------------------------------------------
// Corruption. Inputs are copied into exact-size buffers so that ASan flags any over-read.

TEST(XorChunkTest, FromBytesRejectsShortOrGarbageHeaders) {
  EXPECT_TRUE(XorChunk::FromBytes("").status().IsCorruption());
  EXPECT_TRUE(XorChunk::FromBytes("\x01").status().IsCorruption());
  EXPECT_TRUE(XorChunk::FromBytes(std::string("\x00\x01", 2)).status().IsCorruption());
  EXPECT_TRUE(XorChunk::FromBytes(std::string("\x00\x01\x02\x03", 4)).status().IsCorruption());
  EXPECT_TRUE(XorChunk::FromBytes("\xff\xff garbage garbage").status().IsCorruption());
  Result<XorChunk> empty = XorChunk::FromBytes(std::string("\x00\x00", 2));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->num_samples(), 0);

  const std::vector<uint8_t> none;
  XorIterator it{std::span<const uint8_t>(none)};
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.status().IsCorruption());
  const std::vector<uint8_t> one = {0};
  XorIterator it1{std::span<const uint8_t>(one)};
  EXPECT_FALSE(it1.Seek(0));
  EXPECT_TRUE(it1.status().IsCorruption());
}

TEST(XorChunkTest, TruncationAtEveryLengthIsCorruption) {
  const std::vector<std::vector<Sample>> inputs = {
      RandomSeries(21, TimeShape::kJitter, ValueShape::kCounter, 120),
      RandomSeries(22, TimeShape::kHuge, ValueShape::kRandomBits, 60),
      RandomSeries(23, TimeShape::kRandomGaps, ValueShape::kMixed, 80),
      {{1, 1.0}},
      {{1, 1.0}, {2, 2.0}},
  };
  for (size_t which = 0; which < inputs.size(); ++which) {
    const std::vector<Sample>& samples = inputs[which];
    const std::string full = ToString(Encode(samples).bytes());
    for (size_t len = 0; len < full.size(); ++len) {
      SCOPED_TRACE("input " + std::to_string(which) + " truncated to " + std::to_string(len));
      const std::vector<uint8_t> buf(full.begin(), full.begin() + static_cast<ptrdiff_t>(len));
      Decoded d = Decode(buf);
      // Every truncation loses at least one bit of the last sample.
      EXPECT_TRUE(d.status.IsCorruption()) << d.status.ToString();
      ASSERT_LT(d.samples.size(), samples.size());
      EXPECT_TRUE(SameSamples(
          std::vector<Sample>(samples.begin(),
                              samples.begin() + static_cast<ptrdiff_t>(d.samples.size())),
          d.samples));
      Result<XorChunk> chunk = XorChunk::FromBytes(std::string(buf.begin(), buf.end()));
      if (chunk.ok()) {
        Result<XorAppender> app = XorAppender::Open(&chunk.value());
        EXPECT_TRUE(app.status().IsCorruption());
      } else {
        EXPECT_TRUE(chunk.status().IsCorruption());
      }
    }
  }
}

TEST(XorChunkTest, RandomByteFlipsNeverCrash) {
  int corrupt = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE("seed=" + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const std::vector<Sample> samples =
        RandomSeries(seed, static_cast<TimeShape>(seed % 5), static_cast<ValueShape>(seed % 6),
                     static_cast<int>(1 + rng() % 200));
    const std::string full = ToString(Encode(samples).bytes());
    std::vector<uint8_t> buf(full.begin(), full.end());
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      const size_t at = rng() % buf.size();
      if (rng() % 2) {
        buf[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
      } else {
        buf[at] = static_cast<uint8_t>(rng());
      }
    }
    XorIterator it(buf);
    int n = 0;
    int64_t last_t = kMin;
    while (it.Next()) {
      EXPECT_GE(it.t(), last_t);  // Decoded timestamps never go backwards, even when corrupt.
      last_t = it.t();
      (void)it.v();
      ++n;
    }
    EXPECT_LE(n, 65535);
    EXPECT_TRUE(it.status().ok() || it.status().IsCorruption()) << it.status().ToString();
    if (!it.status().ok()) ++corrupt;

    // Whatever decodes can be appended to.
    Result<XorChunk> chunk = XorChunk::FromBytes(std::string(buf.begin(), buf.end()));
    if (!chunk.ok()) {
      EXPECT_TRUE(chunk.status().IsCorruption());
      continue;
    }
    Result<XorAppender> app = XorAppender::Open(&chunk.value());
    if (!app.ok()) {
      EXPECT_TRUE(app.status().IsCorruption());
      continue;
    }
    Status st = app->Append(kMax, 7.0);
    if (chunk->num_samples() == XorChunk::kMaxSamples) {
      EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
      continue;
    }
    ASSERT_TRUE(st.ok()) << st.ToString();
    Decoded d = Decode(chunk->bytes());
    EXPECT_TRUE(d.status.ok()) << d.status.ToString();
    ASSERT_FALSE(d.samples.empty());
    EXPECT_EQ(d.samples.back().t, kMax);
    EXPECT_EQ(d.samples.back().v, 7.0);
  }
  EXPECT_GT(corrupt, 0);  // The flips did exercise the error paths.
}

TEST(XorChunkTest, GarbageInputNeverCrashes) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> buf(rng() % 64);
    for (uint8_t& b : buf) b = static_cast<uint8_t>(rng());
    XorIterator it(buf);
    while (it.Next()) {
    }
    EXPECT_TRUE(it.status().ok() || it.status().IsCorruption());
    XorIterator seeker(buf);
    while (seeker.Seek(static_cast<int64_t>(rng()))) {
      if (!seeker.Next()) break;
    }
  }
}

}  // namespace
}  // namespace strata::storage
