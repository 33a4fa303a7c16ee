#include "base/coding.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace strata {
namespace {

TEST(CodingTest, VarintRoundTrip) {
  std::string buf;
  std::vector<uint64_t> values = {
      0, 1, 127, 128, 300, 1ull << 35, std::numeric_limits<uint64_t>::max()};
  for (uint64_t v : values) PutVarint64(&buf, v);
  Decoder d(buf);
  for (uint64_t v : values) {
    uint64_t got = 0;
    ASSERT_TRUE(d.GetVarint64(&got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(d.empty());
}

TEST(CodingTest, SignedVarintRoundTrip) {
  std::string buf;
  std::vector<int64_t> values = {
      0, -1, 1, -64, 64, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  for (int64_t v : values) PutVarsint64(&buf, v);
  Decoder d(buf);
  for (int64_t v : values) {
    int64_t got = 0;
    ASSERT_TRUE(d.GetVarsint64(&got));
    EXPECT_EQ(got, v);
  }
}

TEST(CodingTest, TruncatedInputIsRejected) {
  std::string buf;
  PutVarint64(&buf, 1ull << 40);
  buf.pop_back();
  Decoder d(buf);
  uint64_t v;
  EXPECT_FALSE(d.GetVarint64(&v));

  std::string ten_bytes(10, '\xff');
  Decoder overflow(ten_bytes);
  EXPECT_FALSE(overflow.GetVarint64(&v));

  std::string lp;
  PutVarint64(&lp, 100);
  lp += "short";
  Decoder d2(lp);
  std::string_view out;
  EXPECT_FALSE(d2.GetLengthPrefixed(&out));
}

TEST(CodingTest, FixedRoundTrip) {
  std::string buf;
  PutFixed32(&buf, 0xdeadbeef);
  PutFixed64(&buf, 0x0123456789abcdefull);
  Decoder d(buf);
  uint32_t a;
  uint64_t b;
  ASSERT_TRUE(d.GetFixed32(&a));
  ASSERT_TRUE(d.GetFixed64(&b));
  EXPECT_EQ(a, 0xdeadbeefu);
  EXPECT_EQ(b, 0x0123456789abcdefull);
  EXPECT_FALSE(d.GetFixed32(&a));
}

TEST(Crc32cTest, KnownVectors) {
  // Check values from RFC 3720 (iSCSI), appendix B.4, and the classic "123456789".
  EXPECT_EQ(Crc32c(std::string_view("123456789")), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(std::string_view("")), 0u);
}

TEST(Crc32cTest, HardwareAndPortableAgree) {
  std::mt19937_64 rng(42);
  for (int len : {0, 1, 7, 8, 9, 63, 64, 65, 1000, 4097}) {
    std::string data(static_cast<size_t>(len), '\0');
    for (char& c : data) c = static_cast<char>(rng());
    auto bytes =
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    EXPECT_EQ(Crc32c(bytes), internal::Crc32cPortable(bytes, 0)) << "len=" << len;
    // Incremental equals one-shot.
    size_t half = data.size() / 2;
    uint32_t inc = Crc32c(bytes.subspan(half), Crc32c(bytes.first(half)));
    EXPECT_EQ(inc, Crc32c(bytes)) << "len=" << len;
  }
}

}  // namespace
}  // namespace strata
