#include "storage/block/block_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/coding.h"
#include "base/file_lock.h"
#include "storage/xor_chunk.h"

namespace strata::storage::block {
namespace {

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("writing " + path + ": " + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status WriteFile(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("creating " + path + ": " + std::strerror(errno));
  Status s = WriteAll(fd, data, path);
  if (::close(fd) != 0 && s.ok()) s = Status::IOError("closing " + path);
  return s;
}

uint64_t SamplesOf(std::string_view chunk) {
  if (chunk.size() < 2) return 0;
  return (static_cast<uint64_t>(static_cast<uint8_t>(chunk[0])) << 8) |
         static_cast<uint8_t>(chunk[1]);
}

}  // namespace

Result<std::unique_ptr<BlockWriter>> BlockWriter::Create(const std::string& dir, BlockMeta meta) {
  if (!IsValidBlockId(meta.id) || !IsValidNodeId(meta.node)) {
    return Status::InvalidArgument("block writer: bad block or node id");
  }
  // Version 2 changed 5m blocks only; raw and 1h blocks are written as before.
  if (meta.resolution_ms != kResolution5m) meta.format_version = kFormatVersion1;
  if (!KnownFormatVersion(meta.format_version)) {
    return Status::InvalidArgument("block writer: unknown format version " +
                                   std::to_string(meta.format_version));
  }
  if (::mkdir(dir.c_str(), 0755) != 0) {
    return Status::IOError("creating " + dir + ": " + std::strerror(errno));
  }
  if (::mkdir((dir + "/chunks").c_str(), 0755) != 0) {
    return Status::IOError("creating " + dir + "/chunks: " + std::strerror(errno));
  }
  meta.files.clear();
  meta.series = meta.chunks = meta.samples = 0;
  meta.min_time = INT64_MAX;
  meta.max_time = INT64_MIN;
  return std::unique_ptr<BlockWriter>(new BlockWriter(dir, std::move(meta)));
}

BlockWriter::~BlockWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status BlockWriter::OpenChunkFile() {
  ++file_no_;
  std::string path = dir_ + "/" + ChunkFileName(file_no_);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::IOError("creating " + path + ": " + std::strerror(errno));
  std::string header = EncodeFileHeader(kChunkFileMagic, meta_.format_version);
  file_bytes_ = header.size();
  file_crc_ = Crc32c(header);
  return WriteAll(fd_, header, path);
}

Status BlockWriter::CloseChunkFile() {
  if (fd_ < 0) return Status::Ok();
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) return Status::IOError("closing chunk file in " + dir_);
  meta_.files.push_back({ChunkFileName(file_no_), file_bytes_, file_crc_});
  return Status::Ok();
}

Status BlockWriter::WriteGroup(std::span<const model::Sample> samples, SeriesEntry* entry) {
  GroupRef ref;
  ref.min_time = samples.front().timestamp_ms;
  ref.max_time = samples.back().timestamp_ms;
  ref.samples = samples.size();
  std::string stored = EncodeSampleGroup(samples, &ref.chunks);
  return WriteStored(stored, ref, &entry->groups);
}

Status BlockWriter::WriteStored(const std::string& stored, GroupRef ref,
                                std::vector<GroupRef>* list) {
  if (fd_ >= 0 && file_bytes_ + stored.size() > kMaxChunkFileBytes) {
    STRATA_RETURN_IF_ERROR(CloseChunkFile());
  }
  if (fd_ < 0) STRATA_RETURN_IF_ERROR(OpenChunkFile());
  ref.file = file_no_;
  ref.offset = file_bytes_;
  ref.length = stored.size();
  STRATA_RETURN_IF_ERROR(WriteAll(fd_, stored, dir_ + "/" + ChunkFileName(file_no_)));
  file_bytes_ += stored.size();
  file_crc_ = Crc32c(stored, file_crc_);
  list->push_back(ref);
  return Status::Ok();
}

Status BlockWriter::AddSeries(const model::Labels& labels, std::span<const ChunkData> chunks) {
  std::vector<model::Sample> samples;
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i].min_t > chunks[i].max_t || SamplesOf(chunks[i].bytes) == 0 ||
        (i > 0 && chunks[i].min_t <= chunks[i - 1].max_t)) {
      return Status::InvalidArgument("block writer: chunks overlap or are empty in " +
                                     labels.ToString());
    }
    XorIterator it(std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(chunks[i].bytes.data()), chunks[i].bytes.size()));
    while (it.Next()) {
      if (it.t() < chunks[i].min_t || it.t() > chunks[i].max_t ||
          (!samples.empty() && it.t() <= samples.back().timestamp_ms)) {
        return Status::InvalidArgument(
            "block writer: chunk samples out of order or outside "
            "their bounds in " +
            labels.ToString());
      }
      samples.push_back({it.t(), it.v()});
    }
    if (!it.status().ok()) {
      return Status::InvalidArgument("block writer: chunk of " + labels.ToString() + ": " +
                                     it.status().message());
    }
  }
  return AddSeriesSamples(labels, samples);
}

Status BlockWriter::AddSeriesSamples(const model::Labels& labels,
                                     std::span<const model::Sample> samples) {
  if (samples.empty()) return Status::Ok();
  if (meta_.resolution_ms != 0) {
    return Status::InvalidArgument("block writer: raw samples in a downsampled block");
  }
  STRATA_RETURN_IF_ERROR(CheckNextSeries(labels));
  for (size_t i = 1; i < samples.size(); ++i) {
    if (samples[i].timestamp_ms <= samples[i - 1].timestamp_ms) {
      return Status::InvalidArgument("block writer: samples out of order in " + labels.ToString());
    }
  }
  SeriesEntry entry;
  entry.labels = labels;
  for (size_t i = 0; i < samples.size(); i += kMaxGroupSamples) {
    size_t n = std::min(kMaxGroupSamples, samples.size() - i);
    STRATA_RETURN_IF_ERROR(WriteGroup(samples.subspan(i, n), &entry));
  }
  AddEntry(std::move(entry), samples.front().timestamp_ms, samples.back().timestamp_ms);
  return Status::Ok();
}

Status BlockWriter::AddSeriesWindows(const model::Labels& labels,
                                     std::span<const AggrWindow> windows) {
  if (windows.empty()) return Status::Ok();
  const int64_t r = meta_.resolution_ms;
  if (r == 0) return Status::InvalidArgument("block writer: windows in a raw block");
  STRATA_RETURN_IF_ERROR(CheckNextSeries(labels));
  for (size_t i = 0; i < windows.size(); ++i) {
    const AggrWindow& w = windows[i];
    bool ok = w.count > 0 && w.first_t <= w.last_t && w.last_t - w.first_t < r &&
              (w.stale_t == 0 || w.stale_t > w.last_t) &&
              (i == 0 || w.first_t > windows[i - 1].end_t());
    if (!ok) {
      return Status::InvalidArgument("block writer: bad or unordered windows in " +
                                     labels.ToString());
    }
  }
  SeriesEntry entry;
  entry.labels = labels;
  auto write = [&](std::span<const AggrWindow> all, std::vector<GroupRef>* list) -> Status {
    for (size_t i = 0; i < all.size(); i += kMaxGroupSamples) {
      auto part = all.subspan(i, std::min(kMaxGroupSamples, all.size() - i));
      GroupRef ref;
      ref.min_time = part.front().first_t;
      ref.max_time = part.back().end_t();
      ref.samples = part.size();
      ref.chunks = 1;
      STRATA_RETURN_IF_ERROR(WriteStored(EncodeWindowGroup(part), ref, list));
    }
    return Status::Ok();
  };
  STRATA_RETURN_IF_ERROR(write(windows, &entry.groups));
  if (r == kResolution5m && meta_.format_version >= kFormatVersion) {
    // The series' hour windows (docs/format/block.md, "Hour groups"), after its 5m groups.
    hours_.clear();
    AggregateWindows(windows, kResolution1h, &hours_);
    STRATA_RETURN_IF_ERROR(write(hours_, &entry.hour_groups));
  }
  AddEntry(std::move(entry), windows.front().first_t, windows.back().end_t());
  return Status::Ok();
}

Status BlockWriter::CheckNextSeries(const model::Labels& labels) const {
  if (finished_) return Status::InvalidArgument("block writer: already finished");
  if (!series_.empty() && !(series_.back().labels < labels)) {
    return Status::InvalidArgument("block writer: series out of order: " + labels.ToString());
  }
  return Status::Ok();
}

void BlockWriter::AddEntry(SeriesEntry entry, int64_t min_t, int64_t max_t) {
  for (const GroupRef& g : entry.groups) {
    meta_.chunks += g.chunks;
    meta_.samples += g.samples;
  }
  meta_.min_time = std::min(meta_.min_time, min_t);
  meta_.max_time = std::max(meta_.max_time, max_t);
  meta_.series++;
  // Only the labels and group references stay in memory until Finish().
  series_.push_back(std::move(entry));
}

Result<BlockMeta> BlockWriter::Finish() {
  if (finished_) return Status::InvalidArgument("block writer: already finished");
  if (series_.empty()) return Status::InvalidArgument("block writer: no series");
  finished_ = true;
  STRATA_RETURN_IF_ERROR(CloseChunkFile());
  std::string index = EncodeIndex(series_, meta_.format_version);
  series_.clear();
  series_.shrink_to_fit();
  auto toc = DecodeToc(std::string_view(index).substr(index.size() - kTocBytes), index.size());
  if (!toc.ok()) return Status::Internal("block writer: " + toc.status().message());
  meta_.index_header_bytes = toc->series;
  STRATA_RETURN_IF_ERROR(WriteFile(dir_ + "/index", index));
  meta_.files.insert(meta_.files.begin(), FileInfo{"index", index.size(), Crc32c(index)});
  STRATA_RETURN_IF_ERROR(WriteFile(dir_ + "/meta.json", EncodeMeta(meta_)));
  return meta_;
}

}  // namespace strata::storage::block
