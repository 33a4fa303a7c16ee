// Tests for the private MSB-first BitWriter/BitReader (src/storage/chunk/bit_stream.h):
// random-width round trips, continuing a partly filled byte, and bounded reads.
#include "storage/chunk/bit_stream.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace strata::storage::chunk {
namespace {

std::span<const uint8_t> AsSpan(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(BitStreamTest, WritesMostSignificantBitFirst) {
  std::string out;
  BitWriter w(&out, 0);
  w.WriteBit(true);
  w.WriteBits(0b01, 2);
  w.WriteBits(0x1ff, 9);  // Crosses a byte boundary.
  EXPECT_EQ(w.Finish(), 4);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0b10111111);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 0b11110000);
}

TEST(BitStreamTest, RandomWidthsRoundTrip) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    SCOPED_TRACE("seed=" + std::to_string(seed));
    std::mt19937_64 rng(seed);
    std::vector<std::pair<int, uint64_t>> fields;
    std::string out;
    BitWriter w(&out, 0);
    size_t total = 0;
    for (int i = 0; i < 500; ++i) {
      const int n = 1 + static_cast<int>(rng() % 64);
      const uint64_t v = rng() & LowBitMask(n);
      fields.emplace_back(n, v);
      if (n == 1 && rng() % 2) {
        w.WriteBit(v != 0);
      } else {
        w.WriteBits(v | ((rng() << (n % 64)) & ~LowBitMask(n)), n);  // High garbage is ignored.
      }
      total += static_cast<size_t>(n);
    }
    EXPECT_EQ(w.Finish(), static_cast<int>((8 - total % 8) % 8));
    EXPECT_EQ(out.size(), (total + 7) / 8);
    BitReader r(AsSpan(out));
    for (const auto& [n, v] : fields) {
      uint64_t got = 0;
      if (n == 1 && rng() % 2) {
        bool bit;
        ASSERT_TRUE(r.ReadBit(&bit));
        got = bit ? 1 : 0;
      } else {
        ASSERT_TRUE(r.ReadBits(n, &got));
      }
      ASSERT_EQ(got, v) << "width " << n;
    }
    EXPECT_EQ(r.position_bits(), total);
  }
}

TEST(BitStreamTest, WriterContinuesPartialByte) {
  std::string out("\xa0", 1);  // 101 then five free bits.
  BitWriter w(&out, 5);
  w.WriteBits(0b11111, 5);
  w.WriteBits(0b1, 1);
  EXPECT_EQ(w.Finish(), 7);
  EXPECT_EQ(out, std::string("\xbf\x80", 2));
}

TEST(BitStreamTest, ReaderStopsAtTheEnd) {
  const std::vector<uint8_t> bytes = {0xff, 0x00, 0xaa};
  BitReader r(bytes);
  uint64_t v;
  ASSERT_TRUE(r.ReadBits(20, &v));
  EXPECT_EQ(v, 0xff00au);
  EXPECT_FALSE(r.ReadBits(5, &v));  // Only 4 bits left.

  BitReader r2(bytes);
  ASSERT_TRUE(r2.ReadBits(24, &v));
  bool bit;
  EXPECT_FALSE(r2.ReadBit(&bit));
  BitReader r3(std::span<const uint8_t>{});
  EXPECT_FALSE(r3.ReadBits(64, &v));
  EXPECT_FALSE(r3.ReadBit(&bit));

  const std::vector<uint8_t> nine = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  BitReader r4(nine);
  ASSERT_TRUE(r4.ReadBits(4, &v));
  ASSERT_TRUE(r4.ReadBits(64, &v));  // Spans the 8-byte refill.
  EXPECT_EQ(v, 0x1020304050607080u);
  ASSERT_TRUE(r4.ReadBits(4, &v));
  EXPECT_EQ(v, 9u);
  EXPECT_FALSE(r4.ReadBits(1, &v));
}

}  // namespace
}  // namespace strata::storage::chunk
