// Head chunk files: docs/format/head_chunks.md.
#include "storage/head/chunk_file.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/coding.h"
#include "base/log.h"

namespace strata::storage::head {
namespace {

constexpr char kMagic[8] = {'S', 'T', 'R', 'H', 'C', 'H', 'K', '1'};
constexpr uint8_t kVersion = 1;
constexpr size_t kCrcBytes = 4;

}  // namespace

Result<std::unique_ptr<ChunkFile>> ChunkFile::Open(const std::string& dir, uint64_t segment_bytes) {
  if (segment_bytes <= kHeaderBytes + kCrcBytes || segment_bytes > (uint64_t{1} << 32)) {
    return Status::InvalidArgument("head chunk file: bad segment size " +
                                   std::to_string(segment_bytes));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) {
    return Status::IOError("head chunk file: removing " + dir +
                           " left by a previous run: " + ec.message());
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("head chunk file: creating " + dir + ": " + ec.message());
  return std::unique_ptr<ChunkFile>(new ChunkFile(dir, segment_bytes));
}

ChunkFile::~ChunkFile() = default;

std::string ChunkFile::PathOf(uint32_t segment) const {
  char name[16];
  std::snprintf(name, sizeof(name), "%08u", segment);
  return wal::JoinPath(dir_, name);
}

Status ChunkFile::FlushBuffer() {
  if (buffer_.empty()) return Status::Ok();
  Segment& seg = segments_.at(current_);
  STRATA_RETURN_IF_ERROR(seg.file.PWriteAll(buffer_, seg.written));
  seg.written += buffer_.size();
  buffer_.clear();
  return Status::Ok();
}

Status ChunkFile::StartSegment() {
  if (current_ != 0) {
    STRATA_RETURN_IF_ERROR(FlushBuffer());
    Segment& old = segments_.at(current_);
    if (old.live == 0) DeleteSegment(current_);
  }
  const uint32_t next = current_ + 1;
  const std::string path = PathOf(next);
  STRATA_ASSIGN_OR_RETURN(wal::File file, wal::File::Open(path, O_RDWR | O_CREAT | O_TRUNC));
  current_ = next;
  Segment& seg = segments_[next];
  seg.file = std::move(file);
  seg.written = 0;
  buffer_.append(kMagic, sizeof(kMagic));
  buffer_.push_back(static_cast<char>(kVersion));
  buffer_.append(3, '\0');
  return Status::Ok();
}

void ChunkFile::DeleteSegment(uint32_t segment) {
  auto it = segments_.find(segment);
  if (it == segments_.end()) return;
  const std::string path = it->second.file.path();
  Status closed = it->second.file.Close();
  segments_.erase(it);
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) {
    STRATA_LOG(kWarn, "head") << "could not delete a head chunk file" << LogKV("file", path)
                              << LogKV("err", std::strerror(errno));
  }
  (void)closed;
}

Result<ChunkRef> ChunkFile::Append(std::span<const uint8_t> chunk) {
  if (chunk.empty() || chunk.size() > segment_bytes_ - kHeaderBytes - kCrcBytes) {
    return Status::InvalidArgument("head chunk file: chunk of " + std::to_string(chunk.size()) +
                                   " bytes");
  }
  MutexLock lock(&mu_);
  if (!failed_.ok()) return failed_;
  const uint64_t need = chunk.size() + kCrcBytes;
  Status s;
  if (current_ == 0 || segments_.at(current_).written + buffer_.size() + need > segment_bytes_) {
    s = StartSegment();
  }
  if (s.ok() && buffer_.size() + need > kWriteBufferBytes) s = FlushBuffer();
  if (!s.ok()) {
    failed_ = s.WithContext("head chunk file");
    ++write_errors_;
    STRATA_LOG(kError, "head") << "head chunks stay in memory from now on"
                               << LogKV("err", failed_.ToString());
    return failed_;
  }
  Segment& seg = segments_.at(current_);
  ChunkRef ref;
  ref.segment = current_;
  ref.offset = static_cast<uint32_t>(seg.written + buffer_.size());
  ref.length = static_cast<uint32_t>(chunk.size());
  buffer_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
  PutFixed32(&buffer_, Crc32c(chunk));
  ++seg.live;
  return ref;
}

Status ChunkFile::Bad(const ChunkRef& ref, const std::string& what) const {
  return Status::Corruption("head chunk file " + PathOf(ref.segment) + " offset " +
                            std::to_string(ref.offset) + ": " + what);
}

Status ChunkFile::Read(const ChunkRef& ref, std::string* out) const {
  if (ref.offset < kHeaderBytes) return Bad(ref, "offset inside the header");
  const uint64_t end = uint64_t{ref.offset} + ref.length + kCrcBytes;
  const size_t base = out->size();
  const wal::File* file = nullptr;
  {
    MutexLock lock(&mu_);
    auto it = segments_.find(ref.segment);
    if (it == segments_.end()) return Bad(ref, "no such segment");
    const Segment& seg = it->second;
    const bool buffered = ref.segment == current_;
    const uint64_t size = seg.written + (buffered ? buffer_.size() : 0);
    if (end > size) return Bad(ref, "record past the end of what was written");
    out->resize(base + ref.length + kCrcBytes);
    if (buffered && ref.offset >= seg.written) {
      std::memcpy(out->data() + base, buffer_.data() + (ref.offset - seg.written),
                  ref.length + kCrcBytes);
    } else {
      // A record is never split between file and buffer (the buffer is written whole), and a
      // written record never changes. The segment stays (its file open) while this chunk is
      // live, which the caller guarantees until Read returns: read without the file's lock, so
      // appends to other series that close a chunk meanwhile do not wait for this read.
      file = &seg.file;
    }
  }
  if (file != nullptr) {
    Status s = file->PReadFull(
        ref.offset,
        std::span<uint8_t>(reinterpret_cast<uint8_t*>(out->data() + base), ref.length + kCrcBytes));
    if (!s.ok()) {
      out->resize(base);
      return s.WithContext("head chunk file");
    }
  }
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(out->data() + base),
                                       ref.length);
  const uint32_t stored =
      DecodeFixed32(reinterpret_cast<const uint8_t*>(out->data() + base + ref.length));
  out->resize(base + ref.length);
  if (Crc32c(bytes) != stored) {
    out->resize(base);
    return Bad(ref, "crc mismatch");
  }
  return Status::Ok();
}

void ChunkFile::Release(const ChunkRef& ref) {
  if (!ref.on_disk()) return;
  MutexLock lock(&mu_);
  auto it = segments_.find(ref.segment);
  if (it == segments_.end() || it->second.live == 0) return;
  if (--it->second.live == 0 && ref.segment != current_) DeleteSegment(ref.segment);
}

ChunkFile::Stats ChunkFile::stats() const {
  MutexLock lock(&mu_);
  Stats st;
  st.segments = segments_.size();
  for (const auto& [id, seg] : segments_) {
    st.bytes += seg.written;
    st.live_chunks += seg.live;
  }
  st.bytes += buffer_.size();
  st.write_errors = write_errors_;
  return st;
}

}  // namespace strata::storage::head
