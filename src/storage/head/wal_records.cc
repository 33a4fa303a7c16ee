#include "storage/head/wal_records.h"

#include <bit>

#include "base/coding.h"
#include "storage/xor_chunk.h"

namespace strata::storage::head {

void EncodeSeriesRecord(const std::vector<SeriesRecordEntry>& series, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kSeries));
  PutVarint64(out, series.size());
  for (const auto& s : series) {
    PutVarint64(out, s.id);
    PutVarint64(out, s.labels.size());
    for (const auto& [name, value] : s.labels) {
      PutLengthPrefixed(out, name);
      PutLengthPrefixed(out, value);
    }
  }
}

void EncodeSamplesRecord(const std::vector<SampleRecordEntry>& samples, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kSamples));
  PutVarint64(out, samples.size());
  int64_t base = samples.empty() ? 0 : samples[0].t;
  PutVarsint64(out, base);
  for (const auto& s : samples) {
    PutVarint64(out, s.id);
    // Wrapping subtraction: any pair of int64 timestamps round-trips.
    PutVarsint64(out,
                 static_cast<int64_t>(static_cast<uint64_t>(s.t) - static_cast<uint64_t>(base)));
    PutFixed64(out, s.v_bits);
  }
}

void EncodeChunksRecord(const std::vector<ChunksRecordEntry>& series, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kChunks));
  PutVarint64(out, series.size());
  for (const auto& s : series) {
    PutVarint64(out, s.id);
    PutVarint64(out, s.chunks.size());
    for (const auto& c : s.chunks) {
      PutVarsint64(out, c.min_t);
      PutVarint64(out, static_cast<uint64_t>(c.max_t) - static_cast<uint64_t>(c.min_t));
      PutLengthPrefixed(out, c.bytes);
    }
  }
}

Result<RecordType> PeekRecordType(std::string_view record) {
  if (record.empty()) return Status::Corruption("empty WAL record");
  auto type = static_cast<uint8_t>(record[0]);
  if (type != static_cast<uint8_t>(RecordType::kSeries) &&
      type != static_cast<uint8_t>(RecordType::kSamples) &&
      type != static_cast<uint8_t>(RecordType::kChunks)) {
    return Status::Corruption("unknown WAL record type " + std::to_string(type));
  }
  return static_cast<RecordType>(type);
}

Status DecodeSeriesRecord(std::string_view record, std::vector<SeriesRecordEntry>* series) {
  Decoder d(record.substr(1));
  uint64_t n = 0;
  if (!d.GetVarint64(&n) || n > d.remaining()) return Status::Corruption("bad series record count");
  series->clear();
  series->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    SeriesRecordEntry e;
    uint64_t id = 0, nl = 0;
    if (!d.GetVarint64(&id) || id > UINT32_MAX || !d.GetVarint64(&nl) || nl > d.remaining()) {
      return Status::Corruption("bad series record entry");
    }
    e.id = static_cast<uint32_t>(id);
    e.labels.reserve(nl);
    for (uint64_t k = 0; k < nl; ++k) {
      std::string_view name, value;
      if (!d.GetLengthPrefixed(&name) || !d.GetLengthPrefixed(&value)) {
        return Status::Corruption("truncated series record label");
      }
      e.labels.emplace_back(name, value);
    }
    series->push_back(std::move(e));
  }
  if (!d.empty()) return Status::Corruption("trailing bytes in series record");
  return Status::Ok();
}

Status DecodeSamplesRecord(std::string_view record, std::vector<SampleRecordEntry>* samples) {
  Decoder d(record.substr(1));
  uint64_t n = 0;
  int64_t base = 0;
  if (!d.GetVarint64(&n) || n > d.remaining() || !d.GetVarsint64(&base)) {
    return Status::Corruption("bad samples record header");
  }
  samples->clear();
  samples->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id = 0, bits = 0;
    int64_t dt = 0;
    if (!d.GetVarint64(&id) || id > UINT32_MAX || !d.GetVarsint64(&dt) || !d.GetFixed64(&bits)) {
      return Status::Corruption("truncated samples record");
    }
    int64_t t = static_cast<int64_t>(static_cast<uint64_t>(base) + static_cast<uint64_t>(dt));
    samples->push_back({static_cast<uint32_t>(id), t, bits});
  }
  if (!d.empty()) return Status::Corruption("trailing bytes in samples record");
  return Status::Ok();
}

Status DecodeChunksRecord(std::string_view record, std::vector<ChunksRecordEntry>* series) {
  Decoder d(record.substr(1));
  uint64_t n = 0;
  if (!d.GetVarint64(&n) || n == 0 || n > d.remaining()) {
    return Status::Corruption("bad chunks record count");
  }
  series->clear();
  series->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    ChunksRecordEntry e;
    uint64_t id = 0, nc = 0;
    if (!d.GetVarint64(&id) || id > UINT32_MAX || !d.GetVarint64(&nc) || nc == 0 ||
        nc > d.remaining()) {
      return Status::Corruption("bad chunks record entry");
    }
    e.id = static_cast<uint32_t>(id);
    e.chunks.reserve(nc);
    for (uint64_t k = 0; k < nc; ++k) {
      int64_t min_t = 0;
      uint64_t span = 0;
      std::string_view bytes;
      if (!d.GetVarsint64(&min_t) || !d.GetVarint64(&span) || !d.GetLengthPrefixed(&bytes)) {
        return Status::Corruption("truncated chunks record chunk");
      }
      // min_t + span must not pass INT64_MAX. INT64_MAX - min_t is in [0, 2^64 - 1], and the
      // wrapping unsigned subtraction computes it exactly.
      if (span > static_cast<uint64_t>(INT64_MAX) - static_cast<uint64_t>(min_t)) {
        return Status::Corruption("chunks record chunk span overflows");
      }
      const int64_t max_t = static_cast<int64_t>(static_cast<uint64_t>(min_t) + span);
      e.chunks.push_back({min_t, max_t, bytes});
    }
    series->push_back(std::move(e));
  }
  if (!d.empty()) return Status::Corruption("trailing bytes in chunks record");
  return Status::Ok();
}

Status ChunkSampleError(uint32_t id, size_t chunk, std::string_view what) {
  return Status::Corruption("chunks record: series " + std::to_string(id) + " chunk " +
                            std::to_string(chunk) + ": " + std::string(what));
}

}  // namespace strata::storage::head
