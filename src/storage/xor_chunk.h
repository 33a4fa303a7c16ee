// XorChunk: one Gorilla-compressed chunk of (int64 ms timestamp, double) samples, with its
// appender and iterator. Timestamps are delta-of-delta coded, values XOR coded (Pelkonen et
// al., VLDB 2015); values round-trip bit-exactly, NaN payloads included. Byte layout:
// docs/format/chunk.md. XorChunk is thread-compatible; XorAppender and XorIterator are confined.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "base/result.h"
#include "base/status.h"
#include "storage/chunk/bit_stream.h"  // Private; needed for XorIterator's inline member.

namespace strata::storage {

// Owns the encoded bytes of one chunk: a 2-byte big-endian sample count, then the bit stream.
// Samples are in non-decreasing timestamp order. Thread-compatible: concurrent const calls are
// safe, but nothing may read while an XorAppender writes.
class XorChunk {
 public:
  // The header's 16-bit count bounds the samples in one chunk.
  static constexpr int kMaxSamples = 65535;
  static constexpr size_t kHeaderBytes = 2;

  // An empty chunk (just the header, count 0).
  XorChunk();

  // Adopts encoded bytes, e.g. read back from disk. Checks the header only: Corruption if
  // `bytes` is shorter than the header or too short for the count it claims. The samples
  // themselves are checked as they are decoded (XorIterator, XorAppender::Open). O(1).
  static Result<XorChunk> FromBytes(std::string bytes);

  int num_samples() const;

  // The full encoding, header included. Valid until the next append to this chunk.
  std::span<const uint8_t> bytes() const {
    return {reinterpret_cast<const uint8_t*>(bytes_.data()), bytes_.size()};
  }
  size_t size_bytes() const { return bytes_.size(); }
  // Bytes allocated for the encoding (at least size_bytes()).
  size_t capacity_bytes() const { return bytes_.capacity(); }

 private:
  friend class XorAppender;
  explicit XorChunk(std::string bytes) : bytes_(std::move(bytes)) {}

  std::string bytes_;  // Always at least kHeaderBytes long.
};

// Appends samples to a borrowed XorChunk, which must outlive the appender and must not be
// changed other than through it (one appender per chunk at a time). Confined to one thread.
// Does not allocate per sample beyond the chunk's own amortized growth.
class XorAppender {
 public:
  // Opens `chunk` for appending; it may already hold samples (say from XorChunk::FromBytes),
  // whose state is recovered by decoding them all: O(num_samples). Returns Corruption if they
  // do not decode. On success, drops any bytes after the last sample and zeroes the padding
  // bits of the last byte (the decoded samples are unchanged). REQUIRES: chunk != nullptr.
  static Result<XorAppender> Open(XorChunk* chunk);

  ~XorAppender() = default;
  XorAppender(XorAppender&&) = default;
  XorAppender& operator=(XorAppender&&) = default;
  XorAppender(const XorAppender&) = delete;
  XorAppender& operator=(const XorAppender&) = delete;

  // Appends one sample. Returns InvalidArgument if `t_ms` is before the last timestamp (an
  // equal timestamp is accepted) and ResourceExhausted if the chunk already holds kMaxSamples;
  // on error the chunk is left byte-identical. Any double is accepted and kept bit-exactly.
  Status Append(int64_t t_ms, double v);

 private:
  static constexpr uint8_t kNoWindow = 0xff;  // leading_ before the first '11' value.

  explicit XorAppender(XorChunk* chunk) : chunk_(chunk) {}

  void AppendDeltaOfDelta(chunk::BitWriter* w, uint64_t dod);
  void AppendValue(chunk::BitWriter* w, uint64_t v_bits);

  XorChunk* chunk_;
  int num_samples_ = 0;
  int free_bits_ = 0;            // Unused low bits of the chunk's last byte.
  uint8_t last_byte_ = 0;        // Copy of the chunk's last byte when free_bits_ > 0.
  int64_t t_ = 0;                // The last timestamp.
  uint64_t delta_ = 0;           // The last timestamp delta, modulo 2^64.
  uint64_t v_bits_ = 0;          // The last value's bits.
  uint8_t leading_ = kNoWindow;  // The XOR window's leading zeros.
  uint8_t trailing_ = 0;         // The XOR window's trailing zeros.
};

// Decodes the samples of borrowed chunk bytes (XorChunk::bytes()), which must stay alive and
// unchanged while the iterator is used. Never reads outside the span, whatever it holds.
// Confined to one thread.
class XorIterator {
 public:
  explicit XorIterator(std::span<const uint8_t> bytes);

  // Moves to the next sample. Returns false at the end, or on malformed input, in which case
  // status() is Corruption. Samples before the corruption were returned as decoded.
  bool Next();

  // Moves forward to the first sample with t() >= t_ms, staying put if the current sample
  // already qualifies (it never moves backwards). Returns false if there is no such sample
  // (the iterator is then exhausted) or on corruption.
  bool Seek(int64_t t_ms);

  // The current sample. REQUIRES: the last Next() or Seek() returned true.
  int64_t t() const { return t_; }
  double v() const { return std::bit_cast<double>(v_bits_); }

  // OK unless the input was found malformed (Corruption).
  Status status() const { return status_; }

 private:
  friend class XorAppender;
  static constexpr uint8_t kNoWindow = 0xff;  // leading_ before the first '11' value.

  bool Fail(const char* what);
  bool ReadFirstTwo();
  bool AdvanceTimestamp();
  bool ReadValue();
  bool ReadVarint(uint64_t* v);

  chunk::BitReader reader_;
  Status status_;
  int num_samples_ = 0;  // From the header.
  int num_read_ = 0;     // Samples decoded so far.
  bool done_ = false;    // Exhausted or failed.
  int64_t t_ = 0;
  uint64_t delta_ = 0;
  uint64_t v_bits_ = 0;
  uint8_t leading_ = kNoWindow;
  uint8_t trailing_ = 0;
};

}  // namespace strata::storage
