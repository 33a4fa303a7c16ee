// The Gorilla XOR codec. Timestamp arithmetic is done in uint64_t, modulo 2^64: any
// non-decreasing int64 sequence then round-trips exactly with no signed overflow, since the
// decoder undoes the same wrapping sums. Layout and limits: docs/format/chunk.md.
#include "storage/xor_chunk.h"

#include <algorithm>
#include <bit>
#include <string>
#include <utility>

#include "base/coding.h"

// The per-sample helpers are inlined into Append() and Next(): GCC otherwise keeps them out of
// line (each has two callers), costing a call and a spill of the bit buffer per sample.
#if defined(__GNUC__)
#define STRATA_HOT_INLINE [[gnu::always_inline]] inline
#else
#define STRATA_HOT_INLINE inline
#endif

namespace strata::storage {
namespace {

using chunk::BitWriter;
using chunk::LowBitMask;

// The delta-of-delta buckets after the first two samples: a unary prefix ('0', '10', '110',
// '1110', '1111') then a two's complement field. A field of n bits holds
// [-(2^(n-1) - 1), 2^(n-1)], as in the paper. Never change these widths: they are the format.
constexpr int kDodBits[] = {7, 9, 12};
constexpr int kDodWideBits = 64;  // The paper uses 32; 64 holds any int64 jump.
// Field width by the number of leading ones in the prefix.
constexpr int kDodWidths[] = {0, kDodBits[0], kDodBits[1], kDodBits[2], kDodWideBits};

// True if `dod`, read as a signed number, fits an n-bit bucket.
constexpr bool FitsBucket(int64_t dod, int n) {
  const int64_t half = int64_t{1} << (n - 1);
  return dod >= -(half - 1) && dod <= half;
}

// Undoes the n-bit field encoding: values above 2^(n-1) are negative. Modulo 2^64.
constexpr uint64_t DecodeBucket(uint64_t bits, int n) {
  return bits > (uint64_t{1} << (n - 1)) ? bits - (uint64_t{1} << n) : bits;
}

// The smallest number of bits the header's count needs (see FromBytes).
uint64_t MinStreamBits(uint64_t n) {
  if (n == 0) return 0;
  uint64_t bits = 8 + 64;           // First timestamp (>= 1 varint byte) and value.
  if (n >= 2) bits += 8 + 1;        // Second delta (>= 1 varint byte) and a '0' value.
  if (n >= 3) bits += 2 * (n - 2);  // '0' dod and '0' value.
  return bits;
}

int DecodeCount(const uint8_t* p) { return (int{p[0]} << 8) | int{p[1]}; }

void WriteVarint(BitWriter* w, uint64_t v) {
  while (v >= 0x80) {
    w->WriteBits((v & 0x7f) | 0x80, 8);
    v >>= 7;
  }
  w->WriteBits(v, 8);
}

// Makes room for one more sample (at most 20 bytes: a 10-byte varint and a 77-bit value) so
// that the writer's appends never reallocate. The
// buffer grows by an eighth, at least 64 bytes, rather than doubling: a head holds one open chunk
// per series, on average half written, and doubling left about a third of their bytes unused.
void ReserveForSample(std::string* bytes) {
  constexpr size_t kMaxSampleBytes = 24;
  if (bytes->capacity() - bytes->size() >= kMaxSampleBytes) return;
  std::string grown;
  // reserve() on an empty string allocates what it is asked for (std::string's own growth
  // would double the current capacity).
  grown.reserve(bytes->size() + std::max<size_t>(64, bytes->size() / 8));
  grown.append(*bytes);
  bytes->swap(grown);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// XorChunk

XorChunk::XorChunk() : bytes_(kHeaderBytes, '\0') {}

Result<XorChunk> XorChunk::FromBytes(std::string bytes) {
  if (bytes.size() < kHeaderBytes) {
    return Status::Corruption("XOR chunk of " + std::to_string(bytes.size()) +
                              " bytes is shorter than its 2-byte header");
  }
  const int n = DecodeCount(reinterpret_cast<const uint8_t*>(bytes.data()));
  const uint64_t stream_bits = (bytes.size() - kHeaderBytes) * 8;
  if (stream_bits < MinStreamBits(static_cast<uint64_t>(n))) {
    return Status::Corruption("XOR chunk header claims " + std::to_string(n) +
                              " samples but only " + std::to_string(bytes.size()) +
                              " bytes follow");
  }
  return XorChunk(std::move(bytes));
}

int XorChunk::num_samples() const {
  return DecodeCount(reinterpret_cast<const uint8_t*>(bytes_.data()));
}

// ---------------------------------------------------------------------------------------------
// XorAppender

Result<XorAppender> XorAppender::Open(XorChunk* chunk) {
  STRATA_CHECK(chunk != nullptr);
  XorAppender a(chunk);
  std::string& bytes = chunk->bytes_;
  XorIterator it(chunk->bytes());
  while (it.Next()) {
  }
  if (!it.status().ok()) return it.status().WithContext("opening XOR chunk for append");

  // Normalise the tail so that the writer can OR new bits into the last byte.
  const size_t end_bits = it.reader_.position_bits();
  bytes.resize(XorChunk::kHeaderBytes + (end_bits + 7) / 8);
  a.free_bits_ = static_cast<int>((8 - end_bits % 8) % 8);
  if (a.free_bits_ != 0) {
    const auto last = static_cast<uint8_t>(bytes.back());
    bytes.back() = static_cast<char>(last & ~LowBitMask(a.free_bits_));
    a.last_byte_ = static_cast<uint8_t>(bytes.back());
  }
  a.num_samples_ = it.num_read_;
  a.t_ = it.t_;
  a.delta_ = it.delta_;
  a.v_bits_ = it.v_bits_;
  a.leading_ = it.leading_;
  a.trailing_ = it.trailing_;
  return a;
}

STRATA_HOT_INLINE void XorAppender::AppendDeltaOfDelta(BitWriter* w, uint64_t dod) {
  const auto sdod = static_cast<int64_t>(dod);  // Modular conversion (well-defined in C++20).
  if (sdod == 0) {
    w->WriteBit(false);
  } else if (FitsBucket(sdod, kDodBits[0])) {
    w->WriteBits((uint64_t{0b10} << kDodBits[0]) | (dod & LowBitMask(kDodBits[0])),
                 2 + kDodBits[0]);
  } else if (FitsBucket(sdod, kDodBits[1])) {
    w->WriteBits((uint64_t{0b110} << kDodBits[1]) | (dod & LowBitMask(kDodBits[1])),
                 3 + kDodBits[1]);
  } else if (FitsBucket(sdod, kDodBits[2])) {
    w->WriteBits((uint64_t{0b1110} << kDodBits[2]) | (dod & LowBitMask(kDodBits[2])),
                 4 + kDodBits[2]);
  } else {
    w->WriteBits(0b1111, 4);
    w->WriteBits(dod, kDodWideBits);
  }
}

STRATA_HOT_INLINE void XorAppender::AppendValue(BitWriter* w, uint64_t v_bits) {
  const uint64_t x = v_bits ^ v_bits_;
  if (x == 0) {
    w->WriteBit(false);
    return;
  }
  int leading = std::countl_zero(x);
  const int trailing = std::countr_zero(x);
  if (leading > 31) leading = 31;  // The field has 5 bits; the window just gets wider.
  if (leading_ != kNoWindow && leading >= leading_ && trailing >= trailing_) {
    // '10': the meaningful bits fit the previous window.
    w->WriteBits(0b10, 2);
    w->WriteBits(x >> trailing_, 64 - leading_ - trailing_);
    return;
  }
  // '11' + 5 bits of leading zeros + 6 bits of meaningful length (64 written as 0).
  const int meaningful = 64 - leading - trailing;  // In [1, 64] since x != 0.
  w->WriteBits((uint64_t{0b11} << 11) | (static_cast<uint64_t>(leading) << 6) |
                   static_cast<uint64_t>(meaningful & 63),
               13);
  w->WriteBits(x >> trailing, meaningful);
  leading_ = static_cast<uint8_t>(leading);
  trailing_ = static_cast<uint8_t>(trailing);
}

Status XorAppender::Append(int64_t t_ms, double v) {
  // Validate before writing anything, so that errors leave the chunk untouched.
  if (num_samples_ >= XorChunk::kMaxSamples) {
    return Status::ResourceExhausted("XOR chunk is full (" + std::to_string(XorChunk::kMaxSamples) +
                                     " samples)");
  }
  if (num_samples_ > 0 && t_ms < t_) {
    return Status::InvalidArgument("out-of-order sample: timestamp " + std::to_string(t_ms) +
                                   " ms is before the chunk's last, " + std::to_string(t_) + " ms");
  }

  ReserveForSample(&chunk_->bytes_);
  BitWriter w(&chunk_->bytes_, free_bits_, last_byte_);
  const auto v_bits = std::bit_cast<uint64_t>(v);
  if (num_samples_ == 0) {
    WriteVarint(&w, ZigZagEncode(t_ms));
    w.WriteBits(v_bits, 64);
  } else {
    // t_ms >= t_, so the true delta is in [0, 2^64 - 1] and the unsigned difference is exact.
    const uint64_t delta = static_cast<uint64_t>(t_ms) - static_cast<uint64_t>(t_);
    if (num_samples_ == 1) {
      WriteVarint(&w, delta);
    } else {
      AppendDeltaOfDelta(&w, delta - delta_);
    }
    delta_ = delta;
    AppendValue(&w, v_bits);
  }
  free_bits_ = w.Finish(&last_byte_);
  t_ = t_ms;
  v_bits_ = v_bits;
  ++num_samples_;
  char* header = chunk_->bytes_.data();
  header[0] = static_cast<char>(num_samples_ >> 8);
  header[1] = static_cast<char>(num_samples_ & 0xff);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// XorIterator

XorIterator::XorIterator(std::span<const uint8_t> bytes) {
  if (bytes.size() < XorChunk::kHeaderBytes) {
    Fail("shorter than its 2-byte header");
    return;
  }
  num_samples_ = DecodeCount(bytes.data());
  reader_ = chunk::BitReader(bytes.subspan(XorChunk::kHeaderBytes));
}

bool XorIterator::Fail(const char* what) {
  status_ =
      Status::Corruption(std::string("XOR chunk: ") + what + " (sample " +
                         std::to_string(num_read_) + " of " + std::to_string(num_samples_) + ")");
  done_ = true;
  return false;
}

bool XorIterator::ReadVarint(uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    uint64_t byte;
    if (!reader_.ReadBits(8, &byte)) return false;
    if (shift == 63 && byte > 1) return false;  // Overflows 64 bits.
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

STRATA_HOT_INLINE bool XorIterator::AdvanceTimestamp() {
  const auto t = static_cast<int64_t>(static_cast<uint64_t>(t_) + delta_);
  if (t < t_) return Fail("timestamp overflows or goes backwards");
  t_ = t;
  return true;
}

// Peeks ahead and branches on whole control prefixes rather than bit by bit. Bits past the
// end of the input peek as zeros, so every Consume() is preceded by an available() check.
STRATA_HOT_INLINE bool XorIterator::ReadValue() {
  if (reader_.available() < 13) reader_.Refill();
  const uint64_t head = reader_.Peek(13);  // Control bits, then a '11' window header.
  if ((head >> 12) == 0) {                 // '0': the same value.
    if (reader_.available() < 1) return Fail("truncated value");
    reader_.Consume(1);
    return true;
  }
  if ((head >> 11) == 0b10) {  // '10': the previous window.
    if (reader_.available() < 2) return Fail("truncated value");
    if (leading_ == kNoWindow) return Fail("value reuses a window before one was set");
    reader_.Consume(2);
  } else {  // '11': a new window.
    if (reader_.available() < 13) return Fail("truncated value");
    const int leading = static_cast<int>((head >> 6) & 31);
    int meaningful = static_cast<int>(head & 63);
    if (meaningful == 0) meaningful = 64;
    if (leading + meaningful > 64) return Fail("value window wider than 64 bits");
    leading_ = static_cast<uint8_t>(leading);
    trailing_ = static_cast<uint8_t>(64 - leading - meaningful);
    reader_.Consume(13);
  }
  const int meaningful = 64 - leading_ - trailing_;  // In [1, 64].
  uint64_t bits;
  if (!reader_.ReadBits(meaningful, &bits)) return Fail("truncated value");
  v_bits_ ^= bits << trailing_;  // trailing_ <= 63.
  return true;
}

bool XorIterator::ReadFirstTwo() {
  if (num_read_ == 0) {
    uint64_t zigzag;
    if (!ReadVarint(&zigzag)) return Fail("truncated or malformed first timestamp");
    t_ = ZigZagDecode(zigzag);
    if (!reader_.ReadBits(64, &v_bits_)) return Fail("truncated first value");
  } else {
    if (!ReadVarint(&delta_)) return Fail("truncated or malformed second timestamp delta");
    if (!AdvanceTimestamp() || !ReadValue()) return false;
  }
  ++num_read_;
  return true;
}

bool XorIterator::Next() {
  if (done_) return false;
  if (num_read_ >= num_samples_) {
    done_ = true;
    return false;
  }
  if (num_read_ < 2) return ReadFirstTwo();

  // The delta-of-delta: a unary prefix of up to four ones, then the bucket's field.
  reader_.Refill();
  const int ones = std::countl_one(static_cast<uint8_t>(reader_.Peek(4) << 4));  // 0..4
  const int prefix_bits = ones < 4 ? ones + 1 : 4;
  if (reader_.available() < prefix_bits) return Fail("truncated timestamp");
  reader_.Consume(prefix_bits);
  if (ones > 0) {
    const int n = kDodWidths[ones];
    uint64_t bits;
    if (!reader_.ReadBits(n, &bits)) return Fail("truncated timestamp");
    delta_ += n == kDodWideBits ? bits : DecodeBucket(bits, n);
  }
  if (!AdvanceTimestamp() || !ReadValue()) return false;
  ++num_read_;
  return true;
}

bool XorIterator::Seek(int64_t t_ms) {
  if (done_) return false;
  if (num_read_ > 0 && t_ >= t_ms) return true;
  while (Next()) {
    if (t_ >= t_ms) return true;
  }
  return false;
}

}  // namespace strata::storage
