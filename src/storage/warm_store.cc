// WarmStore: opening and closing, the write path (WriteRange), partition drops and stats. The
// read path is warm_store_read.cc. Writers serialize on write_mu_; each WriteRange batch is
// self-contained (ids, postings, records, partition entry), so a crash between batches leaves
// a state the retry overwrites. Layout: docs/format/warm.md.
#include "storage/warm_store.h"

#include <rocksdb/convenience.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/transaction_log.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

#include "base/log.h"
#include "storage/warm/keys.h"
#include "storage/warm/postings_merge.h"
#include "storage/warm/rocks_options.h"
#include "storage/warm/store_impl.h"
#include "storage/xor_chunk.h"

namespace strata::storage {

namespace {

// A WriteRange is split into batches of about this many chunk bytes.
constexpr size_t kBatchChunkBytes = size_t{4} << 20;

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

// Validates one series of a WriteRange and counts its samples.
Status CheckSeries(const WarmSeriesData& s, int64_t range_min, int64_t range_max,
                   uint64_t* samples) {
  if (s.labels.empty()) return Status::InvalidArgument("warm series with an empty label set");
  for (const auto& l : s.labels) {
    if (l.name.empty() || l.name.find('\0') != std::string::npos) {
      return Status::InvalidArgument("warm series " + s.labels.ToString() +
                                     ": label name is empty or holds a NUL byte");
    }
  }
  *samples = 0;
  for (size_t i = 0; i < s.chunks.size(); ++i) {
    const WarmChunk& c = s.chunks[i];
    if (c.min_t > c.max_t || c.min_t < range_min || c.max_t >= range_max) {
      return Status::InvalidArgument(
          "warm series " + s.labels.ToString() + ": chunk [" + std::to_string(c.min_t) + ", " +
          std::to_string(c.max_t) + "] is not inside the move range [" + std::to_string(range_min) +
          ", " + std::to_string(range_max) + ")");
    }
    if (i > 0 && c.min_t < s.chunks[i - 1].min_t) {
      return Status::InvalidArgument("warm series " + s.labels.ToString() +
                                     ": chunks are not sorted by min_t");
    }
    Result<XorChunk> chunk = XorChunk::FromBytes(c.bytes);
    if (!chunk.ok() || chunk->num_samples() == 0) {
      return Status::InvalidArgument("warm series " + s.labels.ToString() +
                                     ": chunk bytes are malformed or empty");
    }
    *samples += static_cast<uint64_t>(chunk->num_samples());
  }
  return Status::Ok();
}

// Samples in a stored record, from the chunk headers or group entries; 0 if it does not decode.
uint64_t StoredRecordSamples(std::string_view value) {
  std::vector<warm::RecordChunk> chunks;
  if (!warm::DecodeChunkRecord(value, &chunks).ok()) return 0;
  uint64_t n = 0;
  for (const auto& c : chunks) {
    if (c.group) {
      n += c.samples;
      continue;
    }
    Result<XorChunk> chunk = XorChunk::FromBytes(std::string(c.bytes));
    if (chunk.ok()) n += static_cast<uint64_t>(chunk->num_samples());
  }
  return n;
}

uint64_t SaturatingSub(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

}  // namespace

Status WarmOptions::Validate() const {
  if (partition_ms <= 0) {
    return Status::InvalidArgument("warm partition_ms must be positive, got " +
                                   std::to_string(partition_ms));
  }
  return Status::Ok();
}

// --- WarmStore: forwards to Impl. ---

WarmStore::WarmStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WarmStore::~WarmStore() = default;

Result<std::unique_ptr<WarmStore>> WarmStore::Open(
    const std::string& dir, WarmOptions options, [[maybe_unused]] prometheus::Registry* registry) {
  STRATA_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<Impl>(dir, options);
  STRATA_RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<WarmStore>(new WarmStore(std::move(impl)));
}

Status WarmStore::WriteRange(int64_t range_min, int64_t range_max,
                             std::span<const WarmSeriesData> series) {
  return impl_->WriteRange(range_min, range_max, series);
}
int64_t WarmStore::covered_until() const { return impl_->covered_until(); }
int64_t WarmStore::max_time() const { return impl_->max_time(); }
Result<int> WarmStore::DropPartitionsBefore(int64_t t) { return impl_->DropPartitionsBefore(t); }
Result<bool> WarmStore::DropOldestPartition() { return impl_->DropOldestPartition(); }
Status WarmStore::CompactChunks() { return impl_->CompactChunks(); }
WarmStats WarmStore::Stats() const { return impl_->Stats(); }
int64_t WarmStore::partition_ms() const { return impl_->partition_ms(); }
int64_t WarmStore::oldest_partition_start() const { return impl_->oldest_partition_start(); }
Result<std::vector<std::pair<uint64_t, model::Labels>>> WarmStore::PartitionSeries(
    int64_t part) const {
  return impl_->PartitionSeries(part);
}
Result<std::vector<model::Sample>> WarmStore::PartitionSamples(int64_t part, uint64_t id) const {
  return impl_->PartitionSamples(part, id);
}
Result<bool> WarmStore::DropPartition(int64_t part) { return impl_->DropPartitionIfPresent(part); }
Result<std::unique_ptr<SeriesSet>> WarmStore::Select(const model::Matchers& matchers,
                                                     const SelectHints& hints) const {
  return impl_->Select(matchers, hints);
}
Result<std::vector<model::Labels>> WarmStore::Series(const model::Matchers& matchers, int64_t mint,
                                                     int64_t maxt) const {
  return impl_->Series(matchers, mint, maxt);
}
Result<std::vector<std::string>> WarmStore::LabelNames(
    const std::vector<model::Matchers>& selectors, int64_t mint, int64_t maxt) const {
  return impl_->LabelNames(selectors, mint, maxt);
}
Result<std::vector<std::string>> WarmStore::LabelValues(
    const std::string& name, const std::vector<model::Matchers>& selectors, int64_t mint,
    int64_t maxt) const {
  return impl_->LabelValues(name, selectors, mint, maxt);
}
Status WarmStore::Close() { return impl_->Close(); }

// --- Impl: lifecycle. ---

WarmStore::Impl::Impl(std::string dir, WarmOptions options)
    : dir_(std::move(dir)), options_(options) {}

WarmStore::Impl::~Impl() {
  // Best effort: a destructor has nobody to report to.
  Close().IgnoreError();
}

Status WarmStore::Impl::CheckWritable() {
  {
    MutexLock lock(&error_mu_);
    if (!log_error_.empty()) {
      return Status::Unavailable("warm store " + dir_ + " refuses writes after its log failed (" +
                                 log_error_ +
                                 "): restart Strata once the cause (a full disk?) is fixed; "
                                 "nothing acknowledged is lost, it waits in the head and WAL");
    }
    if (!needs_resume_) return Status::Ok();
  }
  rocksdb::Status rs = db_->Resume();
  // Busy: RocksDB is retrying the failed flush itself; give it a few seconds.
  for (int i = 0; i < 50 && rs.IsBusy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    rs = db_->Resume();
  }
  MutexLock lock(&error_mu_);
  if (!rs.ok()) return warm::FromRocks(rs, dir_, "resume after an error");
  needs_resume_ = false;
  STRATA_LOG(kInfo, "warm") << "warm store writable again after an error";
  return Status::Ok();
}

Status WarmStore::Impl::WriteError(const rocksdb::Status& rs, std::string_view what,
                                   bool log_append) {
  Status s = warm::FromRocks(rs, dir_, what);
  if (rs.IsIOError() || rs.IsNoSpace()) {
    MutexLock lock(&error_mu_);
    if (log_append && log_error_.empty()) {
      log_error_ = rs.ToString();
      STRATA_LOG(kError, "warm") << "warm store log write failed; refusing writes until a restart"
                                 << LogKV("error", s.ToString());
    }
    needs_resume_ = true;
  }
  return s;
}

Status WarmStore::Impl::CheckFreeSpace(uint64_t bytes) const {
  struct statvfs fs {};
  if (::statvfs(dir_.c_str(), &fs) != 0) return Status::Ok();  // Unknown: let the write tell.
  const uint64_t avail = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  const uint64_t need = options_.min_free_bytes + 2 * bytes;
  if (avail >= need) return Status::Ok();
  return Status::ResourceExhausted(
      "warm store " + dir_ + ": " + std::to_string(avail >> 20) +
      " MiB free on its disk, below the " + std::to_string(need >> 20) +
      " MiB a move of this size needs; free some space or lower --storage.retention.size");
}

Status WarmStore::Impl::ClosedError() const {
  return Status::Unavailable("warm store " + dir_ + " is closed");
}

Status WarmStore::Impl::Open() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IOError("warm store " + dir_ + ": create directory: " + ec.message());

  warm::RocksSetup setup = warm::MakeRocksSetup(options_.block_cache_bytes);
  if (options_.env != nullptr) setup.db.env = options_.env;
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status rs = rocksdb::DB::Open(setup.db, dir_, setup.families, &handles, &raw);
  if (!rs.ok()) return warm::FromRocks(rs, dir_, "open");
  {
    WriterLock life(&life_mu_);
    db_.reset(raw);
    handles_ = std::move(handles);
    statistics_ = setup.db.statistics;
    transcode_ = setup.transcode;
    bg_errors_ = setup.errors;
  }
  ReaderLock life(&life_mu_);
  auto get_meta = [&](std::string_view key, std::string* value)
                      STRATA_REQUIRES_SHARED(life_mu_) -> Result<bool> {
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf(warm::kMetaCf), ToSlice(key), value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return warm::FromRocks(s, dir_, "read meta");
    return true;
  };
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption("warm store " + dir_ + ": " + what);
  };

  std::string value;
  STRATA_ASSIGN_OR_RETURN(bool has_version, get_meta(warm::kMetaFormatVersion, &value));
  if (!has_version) {
    rocksdb::WriteBatch batch;
    rs = batch.Put(cf(warm::kMetaCf), ToSlice(warm::kMetaFormatVersion),
                   warm::EncodeFixed64Value(warm::kFormatVersion));
    if (rs.ok()) {
      rs = batch.Put(cf(warm::kMetaCf), ToSlice(warm::kMetaPartitionMs),
                     warm::EncodeFixed64Value(static_cast<uint64_t>(options_.partition_ms)));
    }
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync;
    if (rs.ok()) rs = db_->Write(wo, &batch);
    STRATA_RETURN_IF_ERROR(warm::FromRocks(rs, dir_, "initialize meta"));
    transcode_->Enable();
    return Status::Ok();
  }
  uint64_t version = 0;
  if (!warm::DecodeFixed64Value(value, &version)) return corrupt("malformed format_version");
  if (version == warm::kFormatVersionChunksOnly) {
    // Version 2 only adds the re-encoded records: mark it durably before any can be written.
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync;
    rs = db_->Put(wo, cf(warm::kMetaCf), ToSlice(warm::kMetaFormatVersion),
                  warm::EncodeFixed64Value(warm::kFormatVersion));
    STRATA_RETURN_IF_ERROR(warm::FromRocks(rs, dir_, "migrate format_version"));
  } else if (version != warm::kFormatVersion) {
    return corrupt("unknown format version " + std::to_string(version));
  }
  uint64_t width = 0;
  STRATA_ASSIGN_OR_RETURN(bool has_width, get_meta(warm::kMetaPartitionMs, &value));
  if (!has_width || !warm::DecodeFixed64Value(value, &width)) {
    return corrupt("missing or malformed partition_ms");
  }
  if (width != static_cast<uint64_t>(options_.partition_ms)) {
    return Status::InvalidArgument("warm store " + dir_ + ": partition_ms " +
                                   std::to_string(options_.partition_ms) +
                                   " differs from the persisted " + std::to_string(width));
  }
  uint64_t next_id = 0;
  STRATA_ASSIGN_OR_RETURN(bool has_next, get_meta(warm::kMetaNextSeriesId, &value));
  if (has_next && !warm::DecodeFixed64Value(value, &next_id)) {
    return corrupt("malformed next_series_id");
  }
  uint64_t covered = static_cast<uint64_t>(INT64_MIN);
  STRATA_ASSIGN_OR_RETURN(bool has_covered, get_meta(warm::kMetaCoveredUntil, &value));
  if (has_covered && !warm::DecodeFixed64Value(value, &covered)) {
    return corrupt("malformed covered_until");
  }

  std::map<int64_t, WarmPartitionInfo> partitions;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(warm::kMetaCf)));
  for (it->Seek(ToSlice(warm::kMetaPartitionPrefix)); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (!key.starts_with(warm::kMetaPartitionPrefix)) break;
    WarmPartitionInfo info;
    if (!warm::ParsePartitionMetaKey(key, &info.start) ||
        !warm::DecodePartitionInfo(std::string_view(it->value().data(), it->value().size()),
                                   &info)) {
      return corrupt("malformed partition entry");
    }
    partitions[info.start] = info;
  }
  if (!it->status().ok()) return warm::FromRocks(it->status(), dir_, "scan partitions");

  {
    MutexLock state(&state_mu_);
    partitions_ = std::move(partitions);
    next_series_id_ = next_id;
    covered_until_ = static_cast<int64_t>(covered);
  }
  transcode_->Enable();
  DropOldLogFiles();
  return Status::Ok();
}

void WarmStore::Impl::DropOldLogFiles() {
  // Every open starts a new RocksDB log file. One that stayed empty is skipped by the next open
  // but never deleted (no flush moves the families' log numbers past it), so a server restarted
  // often gathered them, and Stats() opened each every second. Writing the format version again
  // (the same bytes) and flushing the meta family moves every family's log number to a fresh
  // log; re-enabling file deletions then scans the directory and deletes the logs before it.
  // Best effort: the files are only clutter.
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  rocksdb::Status rs = db_->Put(wo, cf(warm::kMetaCf), ToSlice(warm::kMetaFormatVersion),
                                warm::EncodeFixed64Value(warm::kFormatVersion));
  if (rs.ok()) rs = db_->Flush(rocksdb::FlushOptions(), cf(warm::kMetaCf));
  if (rs.ok()) rs = db_->DisableFileDeletions();
  if (rs.ok()) rs = db_->EnableFileDeletions(/*force=*/true);
  rs.PermitUncheckedError();
}

Status WarmStore::Impl::Close() {
  MutexLock write(&write_mu_);
  WriterLock life(&life_mu_);
  if (db_ == nullptr) return Status::Ok();
  bool log_failed = false;
  {
    MutexLock lock(&error_mu_);
    log_failed = !log_error_.empty();
  }
  // A log writer that failed must not be used again (see CheckWritable); nothing unflushed
  // was acknowledged through it.
  rocksdb::Status rs = log_failed ? rocksdb::Status::OK() : db_->FlushWAL(/*sync=*/true);
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    rocksdb::Status ds = db_->DestroyColumnFamilyHandle(h);
    if (rs.ok()) rs = ds;
  }
  handles_.clear();
  rocksdb::Status cs = db_->Close();
  if (rs.ok()) rs = cs;
  db_.reset();
  return warm::FromRocks(rs, dir_, "close");
}

// --- Impl: writes. ---

struct WarmStore::Impl::PendingIds {
  uint64_t next_id = 0;
  absl::flat_hash_map<model::Labels, uint64_t, model::LabelsHash> allocated;
};

Result<uint64_t> WarmStore::Impl::FindOrAllocateId(const model::Labels& labels,
                                                   rocksdb::WriteBatch* batch,
                                                   PendingIds* pending) {
  // No cache of ids in memory: a move looks up each of its series here, next to the lookup of
  // its chunk key (WriteGroup), rather than keeping every label set it has seen (about 300
  // bytes a series, 1.5 MiB of a 5,000-series server's memory).
  if (auto it = pending->allocated.find(labels); it != pending->allocated.end()) {
    return it->second;
  }
  const std::string key = warm::SeriesByLabelsKey(labels);
  std::string value;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // Write-path lookups must not push query data out of the cache.
  rocksdb::Status rs = db_->Get(ro, cf(warm::kSeriesCf), key, &value);
  if (rs.ok()) {
    uint64_t id = 0;
    if (!warm::DecodeSeriesId(value, &id)) {
      return Status::Corruption("warm store " + dir_ + ": malformed series id of " +
                                labels.ToString());
    }
    return id;
  }
  if (!rs.IsNotFound()) return warm::FromRocks(rs, dir_, "look up series");
  if (pending->next_id >= warm::kMaxSeriesIds) {
    return Status::ResourceExhausted("warm store " + dir_ + ": all 2^32 series ids are used");
  }
  const uint64_t id = pending->next_id++;
  rs = batch->Put(cf(warm::kSeriesCf), key, warm::EncodeSeriesId(id));
  if (rs.ok()) {
    rs = batch->Put(cf(warm::kSeriesCf), warm::SeriesByIdKey(id), warm::EncodeLabels(labels));
  }
  if (!rs.ok()) return warm::FromRocks(rs, dir_, "build batch");
  pending->allocated.emplace(labels, id);
  return id;
}

Status WarmStore::Impl::WriteRange(int64_t range_min, int64_t range_max,
                                   std::span<const WarmSeriesData> series) {
  const int64_t width = options_.partition_ms;
  if (range_min >= range_max) {
    return Status::InvalidArgument("warm move range [" + std::to_string(range_min) + ", " +
                                   std::to_string(range_max) + ") is empty");
  }
  const int64_t part = warm::PartitionStart(range_min, width);
  if (part > INT64_MAX - width) {
    return Status::InvalidArgument("warm move range starts in the last partition of int64");
  }
  if (warm::PartitionStart(range_max - 1, width) != part) {
    return Status::InvalidArgument("warm move range [" + std::to_string(range_min) + ", " +
                                   std::to_string(range_max) + ") straddles partitions of " +
                                   std::to_string(width) + " ms");
  }
  {
    // RocksDB must not meet a full disk on its log: after a failed append it cannot write
    // again (see CheckWritable). Refused here instead, before anything is written.
    ReaderLock life(&life_mu_);
    if (db_ == nullptr) return ClosedError();
    STRATA_RETURN_IF_ERROR(CheckWritable());
    uint64_t bytes = 0;
    for (const WarmSeriesData& s : series) {
      for (const WarmChunk& c : s.chunks) bytes += c.bytes.size() + 64;
    }
    STRATA_RETURN_IF_ERROR(CheckFreeSpace(bytes));
  }
  std::vector<uint64_t> samples(series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    STRATA_RETURN_IF_ERROR(CheckSeries(series[i], range_min, range_max, &samples[i]));
  }
  const std::span<const uint64_t> all_samples(samples);

  MutexLock write(&write_mu_);
  ReaderLock life(&life_mu_);
  if (db_ == nullptr) return ClosedError();
  // Cut into groups of about kBatchChunkBytes; the last group carries covered_until.
  size_t begin = 0;
  size_t bytes = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    for (const WarmChunk& c : series[i].chunks) bytes += c.bytes.size();
    if (bytes >= kBatchChunkBytes && i + 1 < series.size()) {
      STRATA_RETURN_IF_ERROR(WriteGroup(part, range_max, series.subspan(begin, i + 1 - begin),
                                        all_samples.subspan(begin, i + 1 - begin),
                                        /*last=*/false));
      begin = i + 1;
      bytes = 0;
    }
  }
  STRATA_RETURN_IF_ERROR(WriteGroup(part, range_max, series.subspan(begin),
                                    all_samples.subspan(begin), /*last=*/true));
  // A move is large and comes once per chunk range: flush it to table files now, so RocksDB's
  // own log (uncompressed) is released at once instead of piling up to max_total_wal_size on
  // disk, and the memtables do not hold it in memory. The data was durable before (synced
  // batches); a failed flush is retried by RocksDB and does not fail the move.
  rocksdb::FlushOptions fo;
  fo.wait = true;
  rocksdb::Status fs = db_->Flush(fo, handles_);
  if (!fs.ok()) {
    WriteError(fs, "flush after a move").IgnoreError();  // Resumed before the next write.
    STRATA_LOG(kWarn, "warm") << "flush after a move failed" << LogKV("error", fs.ToString());
  }
  return Status::Ok();
}

Status WarmStore::Impl::WriteGroup(int64_t part, int64_t range_max,
                                   std::span<const WarmSeriesData> group,
                                   std::span<const uint64_t> group_samples, bool last) {
  WarmPartitionInfo info;
  int64_t covered = INT64_MIN;
  PendingIds pending;
  {
    MutexLock state(&state_mu_);
    auto it = partitions_.find(part);
    if (it != partitions_.end()) {
      info = it->second;
    } else {
      info.start = part;
      info.min_t = INT64_MAX;
      info.max_t = INT64_MIN;
    }
    covered = covered_until_;
    pending.next_id = next_series_id_;
  }
  const uint64_t first_new_id = pending.next_id;

  rocksdb::WriteBatch batch;
  rocksdb::Status rs;
  auto check = [&](rocksdb::Status s) {
    if (rs.ok()) rs = std::move(s);
  };
  // Postings of the group, keyed by postings key.
  absl::flat_hash_map<std::string, Roaring> postings;
  Roaring all;
  bool wrote_data = false;
  for (size_t i = 0; i < group.size(); ++i) {
    const WarmSeriesData& s = group[i];
    if (s.chunks.empty()) continue;
    STRATA_ASSIGN_OR_RETURN(uint64_t id, FindOrAllocateId(s.labels, &batch, &pending));
    all.add(static_cast<uint32_t>(id));
    for (const auto& l : s.labels) {
      postings[warm::PostingsKey(part, l.name, l.value)].add(static_cast<uint32_t>(id));
    }
    const std::string key = warm::ChunkKey(part, id, s.chunks.front().min_t);
    // An overwritten record (a replayed move) must not be counted twice.
    std::string old;
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;  // Write-path lookups must not push query data out of the cache.
    rocksdb::Status gs = db_->Get(ro, cf(warm::kChunksCf), key, &old);
    if (gs.ok()) {
      info.chunks = SaturatingSub(info.chunks, 1);
      info.samples = SaturatingSub(info.samples, StoredRecordSamples(old));
    } else if (!gs.IsNotFound()) {
      return warm::FromRocks(gs, dir_, "read " + warm::DescribeChunkKey(key));
    }
    std::string record = warm::EncodeChunkRecord(s.chunks);
    if (options_.reencode_moves) {
      std::string groups;
      const warm::TranscodeOutcome outcome = warm::TranscodeRecord(record, &groups);
      transcode_->Count(outcome, record.size(), groups.size());
      if (outcome == warm::TranscodeOutcome::kDone) record.swap(groups);
    }
    check(batch.Put(cf(warm::kChunksCf), key, record));
    info.chunks += 1;
    info.samples += group_samples[i];
    for (const WarmChunk& c : s.chunks) {
      info.min_t = std::min(info.min_t, c.min_t);
      info.max_t = std::max(info.max_t, c.max_t);
    }
    wrote_data = true;
  }
  if (pending.next_id != first_new_id) {
    check(batch.Put(cf(warm::kMetaCf), ToSlice(warm::kMetaNextSeriesId),
                    warm::EncodeFixed64Value(pending.next_id)));
  }
  if (wrote_data) {
    for (auto& [key, bitmap] : postings) {
      check(batch.Merge(cf(warm::kPostingsCf), key, warm::SerializeBitmap(std::move(bitmap))));
    }
    check(batch.Merge(cf(warm::kPostingsCf), warm::AllSeriesPostingsKey(part),
                      warm::SerializeBitmap(std::move(all))));
    check(batch.Put(cf(warm::kMetaCf), warm::PartitionMetaKey(part),
                    warm::EncodePartitionInfo(info)));
  }
  if (last) {
    covered = std::max(covered, range_max);
    check(batch.Put(cf(warm::kMetaCf), ToSlice(warm::kMetaCoveredUntil),
                    warm::EncodeFixed64Value(static_cast<uint64_t>(covered))));
  }
  if (!rs.ok()) return warm::FromRocks(rs, dir_, "build batch");
  if (batch.Count() == 0) return Status::Ok();
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  const uint64_t errors_before = bg_errors_ ? bg_errors_->count() : 0;
  rs = db_->Write(wo, &batch);
  if (!rs.ok()) {
    // Its own log append failed only if the write raised a new error of a write; an error
    // RocksDB kept from a failed background flush or compaction is cleared by Resume.
    const bool own = bg_errors_ == nullptr ||
                     (bg_errors_->count() > errors_before && bg_errors_->LastWasAWrite());
    return WriteError(rs, "write move range", /*log_append=*/own);
  }

  MutexLock state(&state_mu_);
  if (wrote_data) partitions_[part] = info;
  next_series_id_ = pending.next_id;
  if (last) covered_until_ = covered;
  return Status::Ok();
}

// --- Impl: drops. ---

Status WarmStore::Impl::DropPartition(int64_t part) {
  const std::string lo = warm::PartitionPrefix(part);
  const std::string hi = warm::PartitionPrefix(part + options_.partition_ms);
  rocksdb::WriteBatch batch;
  rocksdb::Status rs = batch.DeleteRange(cf(warm::kChunksCf), lo, hi);
  if (rs.ok()) rs = batch.DeleteRange(cf(warm::kPostingsCf), lo, hi);
  if (rs.ok()) rs = batch.Delete(cf(warm::kMetaCf), warm::PartitionMetaKey(part));
  // Without RocksDB's log: a drop must work on a full disk (it is how space comes back), and
  // a failed log append would leave RocksDB unable to write. The flush right after makes it
  // durable, before any file is deleted; a crash before then loses the drop, which retention
  // or the cold move then repeats.
  STRATA_RETURN_IF_ERROR(CheckWritable());
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  if (rs.ok()) rs = db_->Write(wo, &batch);
  const std::string what = "drop partition " + std::to_string(part);
  if (!rs.ok()) return WriteError(rs, what);
  {
    MutexLock state(&state_mu_);
    partitions_.erase(part);
  }
  rs = db_->Flush(rocksdb::FlushOptions(), handles_);
  if (!rs.ok()) return WriteError(rs, what + ": flush");
  // Reclaim the space: drop whole files in the range, rewrite the rest, then flush every
  // family again so the log files holding the dropped data can go too. Whole files go only while no
  // query holds a snapshot (a series set selected before this drop reads through one, and
  // DeleteFilesInRange ignores snapshots); otherwise the compaction keeps what a snapshot still
  // sees and a later compaction reclaims it. A snapshot taken after the batch above cannot see
  // the dropped data, so the check needs no lock against new ones.
  uint64_t snapshots = 0;
  if (!db_->GetIntProperty(rocksdb::DB::Properties::kNumSnapshots, &snapshots)) snapshots = 1;
  const rocksdb::Slice lo_s(lo), hi_s(hi);
  rocksdb::CompactRangeOptions cro;
  cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (warm::CfIndex i : {warm::kChunksCf, warm::kPostingsCf}) {
    if (snapshots == 0) rs = rocksdb::DeleteFilesInRange(db_.get(), cf(i), &lo_s, &hi_s);
    if (rs.ok()) rs = db_->CompactRange(cro, cf(i), &lo_s, &hi_s);
    if (!rs.ok()) return WriteError(rs, what + ": compact");
  }
  rs = db_->Flush(rocksdb::FlushOptions(), handles_);
  if (!rs.ok()) return WriteError(rs, what + ": flush");
  return Status::Ok();
}

Result<int> WarmStore::Impl::DropPartitionsBefore(int64_t t) {
  MutexLock write(&write_mu_);
  ReaderLock life(&life_mu_);
  if (db_ == nullptr) return ClosedError();
  std::vector<int64_t> victims;
  // start + width <= t, i.e. start <= t - width; none when t - width underflows.
  const int64_t width = options_.partition_ms;
  if (t >= INT64_MIN + width) {
    MutexLock state(&state_mu_);
    for (const auto& [start, info] : partitions_) {
      if (start > t - width) break;
      victims.push_back(start);
    }
  }
  int dropped = 0;
  for (int64_t part : victims) {
    STRATA_RETURN_IF_ERROR(DropPartition(part));
    ++dropped;
  }
  return dropped;
}

Result<bool> WarmStore::Impl::DropOldestPartition() {
  MutexLock write(&write_mu_);
  ReaderLock life(&life_mu_);
  if (db_ == nullptr) return ClosedError();
  int64_t part = 0;
  {
    MutexLock state(&state_mu_);
    if (partitions_.empty()) return false;
    part = partitions_.begin()->first;
  }
  STRATA_RETURN_IF_ERROR(DropPartition(part));
  return true;
}

Result<bool> WarmStore::Impl::DropPartitionIfPresent(int64_t part) {
  MutexLock write(&write_mu_);
  ReaderLock life(&life_mu_);
  if (db_ == nullptr) return ClosedError();
  {
    MutexLock state(&state_mu_);
    if (partitions_.find(part) == partitions_.end()) return false;
  }
  STRATA_RETURN_IF_ERROR(DropPartition(part));
  return true;
}

// --- Impl: state. ---

int64_t WarmStore::Impl::covered_until() const {
  MutexLock state(&state_mu_);
  return covered_until_;
}

int64_t WarmStore::Impl::oldest_partition_start() const {
  MutexLock state(&state_mu_);
  return partitions_.empty() ? INT64_MIN : partitions_.begin()->first;
}

int64_t WarmStore::Impl::max_time() const {
  MutexLock state(&state_mu_);
  int64_t t = INT64_MIN;
  for (const auto& [start, info] : partitions_) t = std::max(t, info.max_t);
  return t;
}

Status WarmStore::Impl::CompactChunks() {
  ReaderLock life(&life_mu_);
  if (db_ == nullptr) return ClosedError();
  rocksdb::CompactRangeOptions opts;
  // Rewrite the bottommost files too: that is where older version 1 records sit.
  opts.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  STRATA_RETURN_IF_ERROR(CheckWritable());
  rocksdb::Status rs = db_->CompactRange(opts, cf(warm::kChunksCf), nullptr, nullptr);
  if (!rs.ok()) return WriteError(rs, "compact chunks");
  return Status::Ok();
}

WarmStats WarmStore::Impl::Stats() const {
  WarmStats stats;
  {
    MutexLock state(&state_mu_);
    stats.series = next_series_id_;
    stats.covered_until = covered_until_;
    for (const auto& [start, info] : partitions_) stats.partitions.push_back(info);
  }
  ReaderLock life(&life_mu_);
  if (db_ == nullptr) return stats;
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    uint64_t sst = 0;
    if (db_->GetIntProperty(h, "rocksdb.live-sst-files-size", &sst)) stats.disk_bytes += sst;
  }
  // RocksDB's own log files (<number>.log), from the directory: GetSortedWalFiles disables and
  // re-enables file deletions, a log line each, on every call (the compactor's once a
  // second, every /metrics scrape).
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    if (e.path().extension() == ".log" && e.is_regular_file(ec)) {
      const auto size = e.file_size(ec);
      if (!ec) stats.disk_bytes += size;
    }
  }
  uint64_t v = 0;
  if (db_->GetIntProperty(handles_[0], "rocksdb.block-cache-usage", &v))
    stats.block_cache_bytes = v;
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    if (db_->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &v)) stats.memtable_bytes += v;
    if (db_->GetIntProperty(h, "rocksdb.estimate-table-readers-mem", &v)) {
      stats.table_reader_bytes += v;
    }
  }
  if (statistics_ != nullptr) {
    stats.block_cache_hits = statistics_->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
    stats.block_cache_misses = statistics_->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
  }
  if (transcode_ != nullptr) {
    stats.transcoded_records = transcode_->records();
    stats.transcode_failures = transcode_->failures();
    stats.transcoded_bytes_before = transcode_->bytes_before();
    stats.transcoded_bytes_after = transcode_->bytes_after();
  }
  return stats;
}

}  // namespace strata::storage
