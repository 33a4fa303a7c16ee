// BitWriter and BitReader: MSB-first bit streams for the XOR chunk codec (docs/format/chunk.md).
// The writer appends to a borrowed std::string; the reader borrows a byte span and never reads
// past it (a short read returns false). Both are confined to one thread. Private to storage.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "base/check.h"

namespace strata::storage::chunk {

// Big-endian 8-byte load and store through memcpy (one unaligned move and a byte swap).
// GCC 12 may flag the load with -Warray-bounds once BitReader is inlined over a constant buffer
// shorter than 8 bytes, although Refill() only loads when 8 bytes remain; hence the pragma.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overread"
#endif
inline uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
inline void StoreBigEndian64(uint8_t* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, sizeof(v));
}

// The low `n` bits set. REQUIRES: 0 <= n <= 64.
inline constexpr uint64_t LowBitMask(int n) {
  return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
}

// Appends bits, most significant first, to the end of `*out`. Bits are gathered in a small
// buffer (whole 64-bit read-modify-writes, no per-bit branching) and reach `*out` in Finish(),
// or earlier in whole bytes when the buffer fills. `*out` must outlive the writer, and nobody
// else may touch it until Finish() returns.
class BitWriter {
 public:
  // Continues after the last byte of `*out`, whose low `free_bits` (0..7) bits are unused and
  // zero. REQUIRES: free_bits == 0 || !out->empty().
  BitWriter(std::string* out, int free_bits) : out_(out) {
    STRATA_DCHECK(free_bits >= 0 && free_bits < 8);
    if (free_bits > 0) {
      STRATA_DCHECK(!out->empty());
      buf_[0] = static_cast<uint8_t>(out->back());
      out->pop_back();
      bit_pos_ = 8 - free_bits;
    }
  }
  // Same, with the caller's copy of the last byte: avoids reading it back from `*out`, which is
  // a dependent cache miss per append when many chunks are written round-robin.
  // REQUIRES: last_byte == out->back() when free_bits > 0.
  BitWriter(std::string* out, int free_bits, uint8_t last_byte) : out_(out) {
    STRATA_DCHECK(free_bits >= 0 && free_bits < 8);
    if (free_bits > 0) {
      STRATA_DCHECK(!out->empty() && static_cast<uint8_t>(out->back()) == last_byte);
      buf_[0] = last_byte;
      out->pop_back();
      bit_pos_ = 8 - free_bits;
    }
  }
  ~BitWriter() = default;
  BitWriter(const BitWriter&) = delete;
  BitWriter& operator=(const BitWriter&) = delete;
  BitWriter(BitWriter&&) = delete;
  BitWriter& operator=(BitWriter&&) = delete;

  void WriteBit(bool bit) { WriteBits(bit ? 1 : 0, 1); }

  // Writes the low `n` bits of `v`, most significant first. REQUIRES: 0 <= n <= 64.
  void WriteBits(uint64_t v, int n) {
    STRATA_DCHECK(n >= 0 && n <= 64);
    if (n > kMaxBitsPerStore) {
      Put(v >> 32, n - 32);
      n = 32;
    }
    Put(v, n);
  }

  // Appends the pending bits to `*out`, zero-padding the last byte, and returns how many of
  // its low bits are free (0..7). The writer may not be used afterwards.
  int Finish() {
    out_->append(reinterpret_cast<const char*>(buf_), (bit_pos_ + 7) / 8);
    return static_cast<int>((8 - bit_pos_ % 8) % 8);
  }
  // The same, also returning the last byte written from the local buffer: reading it back from
  // `*out` would wait for the store to a possibly cold cache line.
  int Finish(uint8_t* last_byte) {
    const size_t n = (bit_pos_ + 7) / 8;
    *last_byte = n > 0 ? buf_[n - 1] : 0;
    return Finish();
  }

 private:
  static constexpr int kMaxBitsPerStore = 56;

  // Writes the low n <= kMaxBitsPerStore bits of v. Not recursive, so it inlines.
  [[gnu::always_inline]] void Put(uint64_t v, int n) {
    if (n == 0) return;
    if (bit_pos_ > kDrainBits) Drain();
    uint8_t* p = buf_ + bit_pos_ / 8;
    const int offset = static_cast<int>(bit_pos_ % 8);
    const uint64_t word = LoadBigEndian64(p) | (v & LowBitMask(n)) << (64 - offset - n);
    StoreBigEndian64(p, word);  // offset + n <= 63 above, so the shift is in range.
    bit_pos_ += static_cast<size_t>(n);
  }
  static constexpr size_t kBufBytes = 32;
  // Drain above this, so that a store at bit_pos_ (byte <= 16) spans bytes < 24 + 8.
  static constexpr size_t kDrainBits = 128;

  // Moves the whole bytes to `*out`, keeping the partial one.
  void Drain() {
    const size_t whole = bit_pos_ / 8;
    out_->append(reinterpret_cast<const char*>(buf_), whole);
    const uint8_t partial = buf_[whole];
    for (uint8_t& b : buf_) b = 0;
    buf_[0] = partial;
    bit_pos_ %= 8;
  }

  std::string* out_;
  size_t bit_pos_ = 0;           // Bits written into buf_.
  uint8_t buf_[kBufBytes] = {};  // Bits past bit_pos_ are zero.
};

// Reads bits, most significant first, from borrowed bytes. Buffers up to 63 bits in a word so
// that most reads are a shift; Refill() tops the buffer up with one 8-byte load when it can.
class BitReader {
 public:
  // The widest read or peek that one Refill() can always satisfy (unless the input ends).
  static constexpr int kMaxPeekBits = 56;

  BitReader() = default;
  explicit BitReader(std::span<const uint8_t> in) : in_(in) {}

  // Bits consumed so far.
  size_t position_bits() const { return pos_ * 8 - static_cast<size_t>(valid_); }

  // Buffered bits. After Refill(), at least min(kMaxPeekBits, bits left in the input).
  int available() const { return valid_; }

  // Tops up the buffer to at least kMaxPeekBits bits, or to the end of the input.
  void Refill() {
    if (valid_ >= kMaxPeekBits) return;
    if (in_.size() - pos_ >= 8) {
      // Bits loaded past the new valid_ are genuine stream bits: OR-ing them again later is a
      // no-op, so the buffer holds only stream bits or zeros past valid_.
      buf_ |= LoadBigEndian64(in_.data() + pos_) >> valid_;
      const int bytes = (63 - valid_) >> 3;
      pos_ += static_cast<size_t>(bytes);
      valid_ += bytes * 8;
      return;
    }
    while (valid_ <= 56 && pos_ < in_.size()) {
      buf_ |= static_cast<uint64_t>(in_[pos_]) << (56 - valid_);
      valid_ += 8;
      ++pos_;
    }
  }

  // The next `n` bits without consuming them; bits past the end of the input read as zero.
  // REQUIRES: 1 <= n <= kMaxPeekBits, and Refill() called since available() was below n.
  uint64_t Peek(int n) const { return buf_ >> (64 - n); }

  // Drops `n` bits. REQUIRES: 0 <= n <= available().
  void Consume(int n) {
    STRATA_DCHECK(n >= 0 && n <= valid_);
    buf_ = n >= 64 ? 0 : buf_ << n;
    valid_ -= n;
  }

  bool ReadBit(bool* bit) {
    if (valid_ == 0) {
      Refill();
      if (valid_ == 0) return false;
    }
    *bit = (buf_ >> 63) != 0;
    buf_ <<= 1;
    --valid_;
    return true;
  }

  // Reads `n` bits into the low bits of `*v`. Returns false, consuming an unspecified number
  // of bits, when fewer than `n` remain. REQUIRES: 1 <= n <= 64.
  bool ReadBits(int n, uint64_t* v) {
    STRATA_DCHECK(n >= 1 && n <= 64);
    if (n > kMaxPeekBits) {  // Wider than one refill guarantees: two halves.
      uint64_t high, low;
      if (!ReadBits(n - 32, &high) || !ReadBits(32, &low)) return false;
      *v = (high << 32) | low;
      return true;
    }
    if (valid_ < n) {
      Refill();
      if (valid_ < n) return false;
    }
    *v = buf_ >> (64 - n);
    buf_ <<= n;  // n <= kMaxPeekBits < 64.
    valid_ -= n;
    return true;
  }

 private:
  std::span<const uint8_t> in_;
  size_t pos_ = 0;    // Bytes of in_ loaded into buf_ so far.
  uint64_t buf_ = 0;  // The top valid_ bits are unread, most significant first.
  int valid_ = 0;     // In [0, 63].
};

}  // namespace strata::storage::chunk
