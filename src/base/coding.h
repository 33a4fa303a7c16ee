// Byte coding helpers: little-endian fixed-width integers, LEB128 varints (unsigned and
// zig-zag signed), and CRC32C (Castagnoli). All functions are pure and thread-safe.
// Decoders take a span and report truncation instead of reading past its end.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace strata {

inline void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  dst->append(buf, 4);
}

inline void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  dst->append(buf, 8);
}

// REQUIRES: p points at >= 4 readable bytes.
inline uint32_t DecodeFixed32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// REQUIRES: p points at >= 8 readable bytes.
inline uint64_t DecodeFixed64(const uint8_t* p) {
  return static_cast<uint64_t>(DecodeFixed32(p)) |
         (static_cast<uint64_t>(DecodeFixed32(p + 4)) << 32);
}

inline void PutVarint64(std::string* dst, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  dst->append(buf, static_cast<size_t>(n));
}

inline uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline void PutVarsint64(std::string* dst, int64_t v) { PutVarint64(dst, ZigZagEncode(v)); }

// Appends a varint length followed by the bytes.
inline void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s);
}

// A cursor over borrowed bytes for decoding. Each Get* returns false (and leaves the cursor
// unspecified) when the input is truncated or malformed. Confined to one thread.
class Decoder {
 public:
  explicit Decoder(std::span<const uint8_t> in) : p_(in.data()), end_(in.data() + in.size()) {}
  explicit Decoder(std::string_view in)
      : p_(reinterpret_cast<const uint8_t*>(in.data())), end_(p_ + in.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }

  bool GetFixed32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = DecodeFixed32(p_);
    p_ += 4;
    return true;
  }
  bool GetFixed64(uint64_t* v) {
    if (remaining() < 8) return false;
    *v = DecodeFixed64(p_);
    p_ += 8;
    return true;
  }
  bool GetByte(uint8_t* v) {
    if (p_ == end_) return false;
    *v = *p_++;
    return true;
  }
  bool GetVarint64(uint64_t* v) {
    if (p_ < end_ && *p_ < 0x80) {  // One byte: the common case, without the loop.
      *v = *p_++;
      return true;
    }
    uint64_t result = 0;
    for (int shift = 0; shift <= 63 && p_ < end_; shift += 7) {
      uint64_t byte = *p_++;
      if (shift == 63 && byte > 1) return false;  // Overflows 64 bits.
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool GetVarsint64(int64_t* v) {
    uint64_t u;
    if (!GetVarint64(&u)) return false;
    *v = ZigZagDecode(u);
    return true;
  }
  // The returned view borrows the decoder's input.
  bool GetBytes(size_t n, std::string_view* out) {
    if (remaining() < n) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  bool GetLengthPrefixed(std::string_view* out) {
    uint64_t n;
    if (!GetVarint64(&n) || n > remaining()) return false;
    return GetBytes(static_cast<size_t>(n), out);
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// CRC32C of `data`, continuing from `init` (0 for a fresh checksum). Uses the SSE4.2
// instruction when the CPU has it, a table otherwise; both give identical results.
uint32_t Crc32c(std::span<const uint8_t> data, uint32_t init = 0);
namespace internal {
// The table-driven implementation, exposed so tests can compare it with the hardware path.
uint32_t Crc32cPortable(std::span<const uint8_t> data, uint32_t init);
}  // namespace internal
inline uint32_t Crc32c(std::string_view data, uint32_t init = 0) {
  return Crc32c(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()), init);
}

}  // namespace strata
