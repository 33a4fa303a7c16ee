// Key and value codecs of the warm store (docs/format/warm.md). Decoders never read outside
// their input and report malformed bytes as false or Corruption.
#include "storage/warm/keys.h"

#include <algorithm>
#include <utility>

#include "base/coding.h"
#include "storage/xor_chunk.h"

namespace strata::storage::warm {

namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;

// Wrapping arithmetic on int64 without undefined behaviour.
int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

}  // namespace

void PutBe64(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (56 - 8 * i));
  dst->append(buf, 8);
}

uint64_t DecodeBe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void PutTime64(std::string* dst, int64_t t) { PutBe64(dst, static_cast<uint64_t>(t) ^ kSignBit); }

int64_t DecodeTime64(const char* p) { return static_cast<int64_t>(DecodeBe64(p) ^ kSignBit); }

int64_t PartitionStart(int64_t t, int64_t width) {
  int64_t q = t / width;
  if (t % width < 0) --q;
  return q * width;
}

std::string PartitionPrefix(int64_t part) {
  std::string s;
  PutTime64(&s, part);
  return s;
}

void AppendLabels(std::string* dst, const model::Labels& labels) {
  PutVarint64(dst, labels.size());
  for (const auto& l : labels) {
    PutLengthPrefixed(dst, l.name);
    PutLengthPrefixed(dst, l.value);
  }
}

std::string EncodeLabels(const model::Labels& labels) {
  std::string s;
  AppendLabels(&s, labels);
  return s;
}

Result<model::Labels> DecodeLabels(std::string_view in) {
  Decoder d(in);
  uint64_t n = 0;
  // Each label takes at least two bytes, which bounds n before reserving.
  if (!d.GetVarint64(&n) || n > d.remaining() / 2) {
    return Status::Corruption("malformed label set: bad count");
  }
  std::vector<model::Label> pairs;
  pairs.reserve(static_cast<size_t>(n));
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view name, value;
    if (!d.GetLengthPrefixed(&name) || !d.GetLengthPrefixed(&value)) {
      return Status::Corruption("malformed label set: truncated");
    }
    pairs.push_back({std::string(name), std::string(value)});
  }
  if (!d.empty()) return Status::Corruption("malformed label set: trailing bytes");
  Result<model::Labels> labels = model::Labels::FromSorted(std::move(pairs));
  if (!labels.ok()) {
    return Status::Corruption("malformed label set: " + labels.status().message());
  }
  return labels;
}

std::string SeriesByLabelsKey(const model::Labels& labels) {
  std::string s(1, kSeriesByLabels);
  AppendLabels(&s, labels);
  return s;
}

std::string SeriesByIdKey(uint64_t id) {
  std::string s(1, kSeriesById);
  PutBe64(&s, id);
  return s;
}

std::string EncodeSeriesId(uint64_t id) {
  std::string s;
  PutBe64(&s, id);
  return s;
}

bool DecodeSeriesId(std::string_view in, uint64_t* id) {
  if (in.size() != 8) return false;
  *id = DecodeBe64(in.data());
  return true;
}

std::string PostingsKey(int64_t part, std::string_view name, std::string_view value) {
  std::string s;
  s.reserve(kTimeKeyBytes + name.size() + 1 + value.size());
  PutTime64(&s, part);
  s.append(name);
  s.push_back('\0');
  s.append(value);
  return s;
}

std::string PostingsNamePrefix(int64_t part, std::string_view name) {
  std::string s;
  PutTime64(&s, part);
  s.append(name);
  s.push_back('\0');
  return s;
}

std::string AllSeriesPostingsKey(int64_t part) { return PostingsKey(part, "", ""); }

bool ParsePostingsKey(std::string_view key, PostingsKeyParts* out) {
  if (key.size() < kTimeKeyBytes + 1) return false;
  out->part = DecodeTime64(key.data());
  std::string_view rest = key.substr(kTimeKeyBytes);
  size_t zero = rest.find('\0');
  if (zero == std::string_view::npos) return false;
  out->name = rest.substr(0, zero);
  out->value = rest.substr(zero + 1);
  return true;
}

std::string ChunkKey(int64_t part, uint64_t series_id, int64_t first_t) {
  std::string s;
  s.reserve(kChunkKeyBytes);
  PutTime64(&s, part);
  PutBe64(&s, series_id);
  PutTime64(&s, first_t);
  return s;
}

std::string ChunkSeriesPrefix(int64_t part, uint64_t series_id) {
  std::string s;
  s.reserve(kChunkPrefixBytes);
  PutTime64(&s, part);
  PutBe64(&s, series_id);
  return s;
}

bool ParseChunkKey(std::string_view key, ChunkKeyParts* out) {
  if (key.size() != kChunkKeyBytes) return false;
  out->part = DecodeTime64(key.data());
  out->series_id = DecodeBe64(key.data() + 8);
  out->first_t = DecodeTime64(key.data() + 16);
  return true;
}

std::string DescribeChunkKey(std::string_view key) {
  ChunkKeyParts p;
  if (!ParseChunkKey(key, &p)) return "chunk record (malformed key)";
  return "chunk record (partition " + std::to_string(p.part) + ", series " +
         std::to_string(p.series_id) + ", first_t " + std::to_string(p.first_t) + ")";
}

std::string EncodeChunkRecord(std::span<const WarmChunk> chunks) {
  size_t bytes = 1 + 10 + 4;
  for (const auto& c : chunks) bytes += c.bytes.size() + 30;
  std::string s;
  s.reserve(bytes);
  s.push_back(static_cast<char>(kChunkRecordVersion));
  PutVarint64(&s, chunks.size());
  int64_t prev_max = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const WarmChunk& c = chunks[i];
    PutVarsint64(&s, i == 0 ? c.min_t : WrapSub(c.min_t, prev_max));
    PutVarint64(&s, static_cast<uint64_t>(c.max_t) - static_cast<uint64_t>(c.min_t));
    PutLengthPrefixed(&s, c.bytes);
    prev_max = c.max_t;
  }
  PutFixed32(&s, Crc32c(s));
  return s;
}

std::string EncodeGroupRecord(std::span<const model::Sample> samples) {
  std::string s;
  s.reserve(samples.size() * 4 + 32);
  s.push_back(static_cast<char>(kGroupRecordVersion));
  const size_t groups = (samples.size() + block::kMaxGroupSamples - 1) / block::kMaxGroupSamples;
  PutVarint64(&s, groups);
  int64_t prev_max = 0;
  for (size_t g = 0; g < groups; ++g) {
    std::span<const model::Sample> part = samples.subspan(
        g * block::kMaxGroupSamples,
        std::min(block::kMaxGroupSamples, samples.size() - g * block::kMaxGroupSamples));
    const int64_t min_t = part.front().timestamp_ms, max_t = part.back().timestamp_ms;
    uint64_t chunks = 0;
    const std::string group = block::EncodeSampleGroup(part, &chunks, /*compress=*/false);
    PutVarsint64(&s, g == 0 ? min_t : WrapSub(min_t, prev_max));
    PutVarint64(&s, static_cast<uint64_t>(max_t) - static_cast<uint64_t>(min_t));
    PutVarint64(&s, part.size());
    PutVarint64(&s, chunks);
    PutLengthPrefixed(&s, group);
    prev_max = max_t;
  }
  PutFixed32(&s, Crc32c(s));
  return s;
}

Status DecodeChunkRecord(std::string_view value, std::vector<RecordChunk>* out) {
  out->clear();
  if (value.size() < 1 + 1 + 4) return Status::Corruption("chunk record too short");
  std::string_view body = value.substr(0, value.size() - 4);
  uint32_t want = DecodeFixed32(reinterpret_cast<const uint8_t*>(value.data() + body.size()));
  if (Crc32c(body) != want) return Status::Corruption("chunk record checksum mismatch");
  Decoder d(body);
  uint8_t version = 0;
  uint64_t count = 0;
  if (!d.GetByte(&version)) return Status::Corruption("chunk record truncated");
  if (version != kChunkRecordVersion && version != kGroupRecordVersion) {
    return Status::Corruption("unknown chunk record version " + std::to_string(version));
  }
  const bool groups = version == kGroupRecordVersion;
  // A chunk takes at least three bytes, a group entry five, which bounds count before
  // reserving.
  if (!d.GetVarint64(&count) || count == 0 || count > d.remaining() / (groups ? 5 : 3)) {
    return Status::Corruption("chunk record has a bad chunk count");
  }
  out->reserve(static_cast<size_t>(count));
  int64_t prev_max = 0;
  for (uint64_t i = 0; i < count; ++i) {
    int64_t delta = 0;
    uint64_t span = 0;
    RecordChunk c;
    c.group = groups;
    if (!d.GetVarsint64(&delta) || !d.GetVarint64(&span) ||
        (groups && (!d.GetVarint64(&c.samples) || !d.GetVarint64(&c.chunks))) ||
        !d.GetLengthPrefixed(&c.bytes)) {
      out->clear();
      return Status::Corruption("chunk record truncated");
    }
    c.min_t = i == 0 ? delta : WrapAdd(prev_max, delta);
    c.max_t = WrapAdd(c.min_t, static_cast<int64_t>(span));
    if (span > static_cast<uint64_t>(INT64_MAX) || c.max_t < c.min_t) {
      out->clear();
      return Status::Corruption("chunk record has a chunk with max_t < min_t");
    }
    if (groups && (c.samples == 0 || c.samples > block::kMaxGroupSamples || c.chunks == 0 ||
                   c.chunks > c.samples)) {
      out->clear();
      return Status::Corruption("chunk record has a group with bad counts");
    }
    prev_max = c.max_t;
    out->push_back(c);
  }
  if (!d.empty()) {
    out->clear();
    return Status::Corruption("chunk record has trailing bytes");
  }
  return Status::Ok();
}

block::GroupRef RecordGroupRef(const RecordChunk& c) {
  block::GroupRef ref;
  ref.min_time = c.min_t;
  ref.max_time = c.max_t;
  ref.length = c.bytes.size();
  ref.chunks = c.chunks;
  ref.samples = c.samples;
  return ref;
}

Status RecordSamples(std::span<const RecordChunk> chunks, std::vector<model::Sample>* out) {
  for (const RecordChunk& c : chunks) {
    if (c.group) {
      STRATA_RETURN_IF_ERROR(
          block::DecodeGroupSamples(c.bytes, RecordGroupRef(c), INT64_MIN, INT64_MAX, out));
      continue;
    }
    XorIterator it(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(c.bytes.data()), c.bytes.size()));
    const size_t first = out->size();
    while (it.Next()) {
      if (it.t() < c.min_t || it.t() > c.max_t) {
        return Status::Corruption("sample outside its chunk's bounds");
      }
      if (out->size() > first && it.t() <= out->back().timestamp_ms) {
        return Status::Corruption("chunk samples out of order");
      }
      out->push_back({it.t(), it.v()});
    }
    if (!it.status().ok()) return it.status();
  }
  return Status::Ok();
}

std::string PartitionMetaKey(int64_t part) {
  std::string s(kMetaPartitionPrefix);
  PutTime64(&s, part);
  return s;
}

bool ParsePartitionMetaKey(std::string_view key, int64_t* part) {
  if (key.size() != kMetaPartitionPrefix.size() + kTimeKeyBytes ||
      key.substr(0, kMetaPartitionPrefix.size()) != kMetaPartitionPrefix) {
    return false;
  }
  *part = DecodeTime64(key.data() + kMetaPartitionPrefix.size());
  return true;
}

std::string EncodePartitionInfo(const WarmPartitionInfo& info) {
  std::string s;
  PutFixed64(&s, static_cast<uint64_t>(info.min_t));
  PutFixed64(&s, static_cast<uint64_t>(info.max_t));
  PutFixed64(&s, info.chunks);
  PutFixed64(&s, info.samples);
  return s;
}

bool DecodePartitionInfo(std::string_view value, WarmPartitionInfo* info) {
  Decoder d(value);
  uint64_t min_t = 0, max_t = 0;
  if (value.size() != 32 || !d.GetFixed64(&min_t) || !d.GetFixed64(&max_t) ||
      !d.GetFixed64(&info->chunks) || !d.GetFixed64(&info->samples)) {
    return false;
  }
  info->min_t = static_cast<int64_t>(min_t);
  info->max_t = static_cast<int64_t>(max_t);
  return true;
}

std::string EncodeFixed64Value(uint64_t v) {
  std::string s;
  PutFixed64(&s, v);
  return s;
}

bool DecodeFixed64Value(std::string_view value, uint64_t* v) {
  if (value.size() != 8) return false;
  *v = DecodeFixed64(reinterpret_cast<const uint8_t*>(value.data()));
  return true;
}

std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(prefix.back());
    if (last != 0xff) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

}  // namespace strata::storage::warm
