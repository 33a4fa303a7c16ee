// The codecs of the cold block format (docs/format/block.md): block ids, meta.json, the index
// sections, chunk-file groups. Pure functions over bytes; every decoder is bounds-checked and
// checksummed and returns Corruption on any mismatch (callers add the block's name). Stateless
// and thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/labels.h"
#include "model/sample.h"
#include "storage/downsample.h"

namespace strata::storage::block {

// The newest format version, which writers use for 5m blocks (their series entries list hour
// groups); raw and 1h blocks are written as version 1. Readers read both.
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr uint32_t kFormatVersion1 = 1;
inline bool KnownFormatVersion(uint64_t v) { return v == kFormatVersion1 || v == kFormatVersion; }
inline constexpr std::string_view kIndexMagic = "STRIDX01";
inline constexpr std::string_view kTocMagic = "STRIDXTC";
inline constexpr std::string_view kChunkFileMagic = "STRCHK01";
inline constexpr size_t kFileHeaderBytes = 12;  // magic, version byte, 3 reserved bytes.
inline constexpr size_t kTocBytes = 6 * 8 + 8 + 4;
inline constexpr uint64_t kMaxChunkFileBytes = uint64_t{512} << 20;
inline constexpr size_t kMaxGroupRawBytes = size_t{64} << 10;
inline constexpr size_t kMaxDecodedGroupBytes = size_t{16} << 20;
inline constexpr uint8_t kCodecRaw = 0;
inline constexpr uint8_t kCodecZstd = 1;
inline constexpr uint8_t kEncodingXor = 1;
inline constexpr uint8_t kEncodingDecimal = 2;
inline constexpr uint8_t kEncodingAggregate = 3;
// A group holds at most this many samples (and at most kMaxGroupRawBytes of XOR chunks).
inline constexpr size_t kMaxGroupSamples = 4096;
// XOR chunks the writer cuts hold at most this many samples.
inline constexpr int kXorChunkSamples = 120;

// A ULID: 26 Crockford base32 characters, 48 bits of `time_ms` then 80 random bits.
std::string NewBlockId(int64_t time_ms, std::mt19937_64& rng);
bool IsValidBlockId(std::string_view id);
// Node ids: [a-z0-9][a-z0-9._-]{0,62}.
bool IsValidNodeId(std::string_view id);

// Object keys of a block.
std::string BlockPrefix(std::string_view node, std::string_view id);  // "<node>/<id>/"
std::string MetaKey(std::string_view node, std::string_view id);
std::string ChunkFileName(uint32_t n);  // "chunks/000001"

struct FileInfo {
  std::string name;  // "index", "chunks/000001"
  uint64_t bytes = 0;
  uint32_t crc32c = 0;
};

struct BlockMeta {
  uint32_t format_version = kFormatVersion;
  std::string id;
  std::string node;
  int64_t min_time = 0;  // Inclusive sample bounds.
  int64_t max_time = 0;
  int64_t resolution_ms = 0;
  std::string source;
  int64_t created_ms = 0;
  uint64_t series = 0;
  uint64_t chunks = 0;
  uint64_t samples = 0;
  uint64_t index_header_bytes = 0;
  std::vector<FileInfo> files;

  // The entry for `name`, or nullptr.
  const FileInfo* File(std::string_view name) const;
  uint64_t TotalBytes() const;
};

std::string EncodeMeta(const BlockMeta& meta);
// The closing checksum line shared by meta.json and manifest.json: `body` is everything up to
// and including the "," and newline after the last field; returns the whole sealed file.
std::string SealJson(std::string body);
// Checks a sealed file's closing CRC line. Corruption "<what>: ..." when it does not match.
Status CheckSealedJson(std::string_view json, std::string_view what);
// A whole decimal integer as the JSON files hold them (no sign for the unsigned one).
bool ParseJsonInt(const std::string& s, int64_t* v);
bool ParseJsonUint(const std::string& s, uint64_t* v);
// Hex of a CRC as meta.json writes it, and its parser.
std::string CrcHex(uint32_t crc);
bool ParseCrcHex(std::string_view s, uint32_t* crc);
// Checks the trailing CRC, then parses and validates (version, id, node, file list).
Result<BlockMeta> DecodeMeta(std::string_view json);

// ---- index ----

// A chunk group's place and bounds, as the series entry holds it.
struct GroupRef {
  int64_t min_time = 0;
  int64_t max_time = 0;
  uint32_t file = 0;  // 1-based chunk file number.
  uint64_t offset = 0;
  uint64_t length = 0;  // Stored bytes, crc included.
  uint64_t chunks = 0;
  uint64_t samples = 0;
};

struct SeriesEntry {
  model::Labels labels;
  std::vector<GroupRef> groups;
  // Version 2, 5m blocks: the groups of the series' hour windows (docs/format/block.md, "Hour
  // groups"), in time order; empty otherwise.
  std::vector<GroupRef> hour_groups;
};

struct PostingsTableEntry {
  uint32_t name = 0;  // Symbol numbers.
  uint32_t value = 0;
  uint64_t offset = 0;  // From the start of the postings section.
  uint64_t length = 0;
};

struct Toc {
  uint64_t symbols = 0;
  uint64_t series_offsets = 0;
  uint64_t postings_table = 0;
  uint64_t series = 0;
  uint64_t postings = 0;
  uint64_t toc = 0;
};

// What a reader keeps of a block's index: the prefix [0, toc.series).
struct IndexHeader {
  uint32_t version = kFormatVersion1;  // The index header's format version.
  std::vector<std::string> symbols;
  std::vector<uint32_t> series_offsets;      // From the start of the series section.
  std::vector<PostingsTableEntry> postings;  // Sorted by (name, value).
  uint64_t series_start = 0;                 // Absolute offset of the series section.
  uint64_t postings_start = 0;               // Absolute offset of the postings section.

  size_t ByteSize() const;
  // [begin, end) of entries for label name symbol `name`.
  std::pair<size_t, size_t> NameRange(uint32_t name) const;
  // The symbol number of `s`, or -1.
  int64_t FindSymbol(std::string_view s) const;
  // Absolute byte range of series i's entry.
  std::pair<uint64_t, uint64_t> SeriesRange(size_t i) const;
};

// Builds a whole index of format `version` from series sorted by labels (each with its groups;
// hour groups only in version 2).
// REQUIRES: series sorted by labels, unique; KnownFormatVersion(version); no hour groups in
// version 1.
std::string EncodeIndex(const std::vector<SeriesEntry>& series, uint32_t version);

Result<Toc> DecodeToc(std::string_view bytes, uint64_t index_size);
// `prefix` is the index bytes [0, toc.series) (header length from meta); `index_size` the
// object's size (for bounds); the TOC's offsets are recomputed from the sections and checked
// against `toc` when given.
Result<IndexHeader> DecodeIndexHeader(std::string_view prefix, uint64_t index_size);
// One series entry's bytes (its range from SeriesRange).
Result<SeriesEntry> DecodeSeriesEntry(std::string_view bytes, const IndexHeader& header);
// One postings list's bytes; series numbers are checked against `series_count`.
Result<std::vector<uint32_t>> DecodePostingsList(std::string_view bytes, size_t series_count);

// ---- chunk files ----

// The 12-byte header of an index or chunk file of format `version`.
std::string EncodeFileHeader(std::string_view magic, uint32_t version);
// Checks magic and version (one KnownFormatVersion); sets *version when not null.
Status CheckFileHeader(std::string_view bytes, std::string_view magic, uint32_t* version = nullptr);

// Encodes one group of XOR chunks (codec chosen as the format says). Returns the stored bytes.
std::string EncodeGroup(const std::vector<std::string_view>& chunks, bool compress = true);
// Encodes samples (sorted, unique timestamps; at most kMaxGroupSamples) as one group: the
// decimal encoding when every value is a decimal the format can restore bit-exactly, else XOR
// chunks of at most kXorChunkSamples. Sets *chunks to the group's chunk count (1 for decimal).
// `compress` false stores the group raw (codec 0) whatever zstd would save: the warm store's
// version 2 records leave compression to RocksDB's blocks.
std::string EncodeSampleGroup(std::span<const model::Sample> samples, uint64_t* chunks,
                              bool compress = true);
// Decodes a stored group, checking crc, codec, sizes, encoding, that it holds `ref.chunks`
// chunks and `ref.samples` samples in strictly increasing time within [ref.min_time,
// ref.max_time]; appends the samples with start <= t <= end to *out. Corruption on a mismatch.
Status DecodeGroupSamples(std::string_view stored, const GroupRef& ref, int64_t start, int64_t end,
                          std::vector<model::Sample>* out);
// The same after UnsealGroup: `raw` is the group's unsealed bytes (crc checked, inflated).
Status DecodeUnsealedSamples(std::string_view raw, const GroupRef& ref, int64_t start, int64_t end,
                             std::vector<model::Sample>* out);

// The group envelope: codec byte (zstd when it saves at least 1/8), payload, crc. UnsealGroup
// checks crc and codec and returns the raw group bytes in *raw (pointing into `stored` or into
// *inflated).
std::string SealGroup(std::string raw, bool compress = true);
Status UnsealGroup(std::string_view stored, std::string* inflated, std::string_view* raw);

// The decimal scale of the decimal encoding: the smallest k (mode 0 first) for which every
// value(i), i < n, is m_i / 10^k (mode 0) or m_i * 10^-k (mode 1) with |m_i| < 2^53; false when
// none restores every value bit-exactly. DecimalScale is the inverse.
bool FindDecimalScale(size_t n, const std::function<double(size_t)>& value, int* mode, int* k,
                      std::vector<int64_t>* mantissas);
// The value of mantissa m for one (mode, k), with the power of ten looked up once: what the
// decoders apply to a column. REQUIRES: mode 0 or 1, 0 <= k <= kMaxDecimalScale.
class DecimalScale {
 public:
  DecimalScale(int mode, int k);
  double operator()(int64_t m) const {
    return divide_ ? static_cast<double>(m) / factor_ : static_cast<double>(m) * factor_;
  }
  // Calls f(g) with a callable g(m) that equals operator()(m) bit for bit, specialised for
  // this scale (k = 0: the exact conversion, without dividing by 1; a division; a
  // multiplication), so a decoder's loop has no branch per value on the kind.
  template <typename F>
  decltype(auto) Dispatch(F&& f) const {
    if (divide_ && factor_ == 1.0) return f([](int64_t m) { return static_cast<double>(m); });
    if (divide_) return f([d = factor_](int64_t m) { return static_cast<double>(m) / d; });
    return f([x = factor_](int64_t m) { return static_cast<double>(m) * x; });
  }

 private:
  bool divide_;
  double factor_;
};
inline constexpr int kMaxDecimalScale = 18;
inline constexpr int64_t kMaxDecimalMantissa = int64_t{1} << 53;

// Which float columns of an aggregate group to decode (the rest are left 0): a view reads only
// what it needs.
enum WindowColumn : uint32_t {
  kColSum = 1,
  kColMin = 2,
  kColMax = 4,
  kColFirst = 8,
  kColLast = 16,
  kColInc = 32,
  kAllColumns = 63,
};

// Encodes windows of one series (sorted, at most kMaxGroupSamples) as one aggregate group.
std::string EncodeWindowGroup(std::span<const AggrWindow> windows);
// Decodes a stored aggregate group of a block of `resolution_ms`, checking what the format
// says against `ref`; appends the windows that reach into [start, end] (first_t <= end and
// end_t() >= start) to *out. Corruption on a mismatch.
Status DecodeGroupWindows(std::string_view stored, const GroupRef& ref, int64_t resolution_ms,
                          int64_t start, int64_t end, std::vector<AggrWindow>* out,
                          uint32_t columns = kAllColumns);
// The same after UnsealGroup: `raw` is the group's unsealed bytes. On an error *out is left as
// it was.
Status DecodeUnsealedWindows(std::string_view raw, const GroupRef& ref, int64_t resolution_ms,
                             int64_t start, int64_t end, std::vector<AggrWindow>* out,
                             uint32_t columns = kAllColumns);

}  // namespace strata::storage::block
