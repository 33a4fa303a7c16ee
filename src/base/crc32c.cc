// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), hardware-accelerated on x86-64.
#include <array>
#include <cstdint>
#include <span>

#include "base/coding.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

namespace strata {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;

struct Tables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  constexpr Tables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    }
  }
};
constexpr Tables kTables;

uint32_t SoftwareCrc(const uint8_t* p, size_t n, uint32_t crc) {
  while (n >= 8) {
    uint32_t lo = crc ^ DecodeFixed32(p);
    uint32_t hi = DecodeFixed32(p + 4);
    crc = kTables.t[7][lo & 0xff] ^ kTables.t[6][(lo >> 8) & 0xff] ^
          kTables.t[5][(lo >> 16) & 0xff] ^ kTables.t[4][lo >> 24] ^ kTables.t[3][hi & 0xff] ^
          kTables.t[2][(hi >> 8) & 0xff] ^ kTables.t[1][(hi >> 16) & 0xff] ^ kTables.t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = kTables.t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t HardwareCrc(const uint8_t* p, size_t n, uint32_t crc) {
  uint64_t c = crc;
  while (n >= 8) {
    c = _mm_crc32_u64(c, DecodeFixed64(p));
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}

bool HasSse42() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & bit_SSE4_2) != 0;
}
const bool kHasSse42 = HasSse42();
#endif

}  // namespace

namespace internal {
uint32_t Crc32cPortable(std::span<const uint8_t> data, uint32_t init) {
  return ~SoftwareCrc(data.data(), data.size(), ~init);
}
}  // namespace internal

uint32_t Crc32c(std::span<const uint8_t> data, uint32_t init) {
  uint32_t crc = ~init;
#if defined(__x86_64__)
  if (kHasSse42) return ~HardwareCrc(data.data(), data.size(), crc);
#endif
  return ~SoftwareCrc(data.data(), data.size(), crc);
}

}  // namespace strata
