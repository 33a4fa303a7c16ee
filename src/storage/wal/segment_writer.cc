// Segment creation and the sequential multi-segment writer used for checkpoints.
#include "storage/wal/segment_writer.h"

#include <fcntl.h>

#include "storage/wal/format.h"
#include "storage/wal/layout.h"

namespace strata::storage::wal {
namespace {

constexpr size_t kFlushBytes = size_t{1} << 20;

}  // namespace

Result<File> CreateSegment(const std::string& path, uint64_t prev_segment_size) {
  STRATA_ASSIGN_OR_RETURN(File f, File::Open(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
  STRATA_RETURN_IF_ERROR(f.PWriteAll(SegmentHeader(prev_segment_size), 0));
  return f;
}

Status SegmentSetWriter::Add(std::string_view record) {
  if (!file_.valid()) STRATA_RETURN_IF_ERROR(StartSegment(kNoPrevSegment));
  const size_t before = buf_.size();
  const uint64_t offset_before = offset_;
  AppendRecordFragments(record, &offset_, &buf_);
  if (offset_ > segment_size_bytes_ && offset_before > kSegmentHeaderSize) {
    // Records never span segments: move this one to a fresh segment.
    buf_.resize(before);
    offset_ = offset_before;
    STRATA_RETURN_IF_ERROR(FinishSegment());
    STRATA_RETURN_IF_ERROR(StartSegment(written_));
    AppendRecordFragments(record, &offset_, &buf_);
  }
  if (buf_.size() >= kFlushBytes) return Flush();
  return Status::Ok();
}

Status SegmentSetWriter::Finish() {
  if (!file_.valid()) STRATA_RETURN_IF_ERROR(StartSegment(kNoPrevSegment));
  return FinishSegment();
}

Status SegmentSetWriter::Flush() {
  if (buf_.empty()) return Status::Ok();
  STRATA_RETURN_IF_ERROR(file_.PWriteAll(buf_, written_));
  written_ += buf_.size();
  buf_.clear();
  return Status::Ok();
}

Status SegmentSetWriter::StartSegment(uint64_t prev_segment_size) {
  if (index_ >= kMaxSegmentIndex) {
    return Status::ResourceExhausted("too many segments in " + dir_);
  }
  ++index_;
  STRATA_ASSIGN_OR_RETURN(file_,
                          CreateSegment(JoinPath(dir_, SegmentName(index_)), prev_segment_size));
  written_ = kSegmentHeaderSize;
  offset_ = kSegmentHeaderSize;
  return Status::Ok();
}

Status SegmentSetWriter::FinishSegment() {
  STRATA_RETURN_IF_ERROR(Flush());
  STRATA_RETURN_IF_ERROR(file_.DataSync());
  return file_.Close();
}

}  // namespace strata::storage::wal
