// ColdStore::BuildDownsampled: a committed block -> its 5m or 1h block, streamed series by series.
#include <algorithm>
#include <numeric>

#include "storage/block/block_writer.h"
#include "storage/cold_store.h"

namespace strata::storage {

namespace {
// Series read per batch: their entries and groups are fetched together (nearby ranges merged),
// so memory stays bounded by a batch, not the block. They are read past the cache (kNoFill):
// a build reads the whole block once, and filling the cache with it would leave up to its
// budget (128 MiB by default) resident after every compaction.
constexpr size_t kSeriesPerBatch = 256;
}  // namespace

std::string DownsampleSource(const block::BlockMeta& source) {
  return "downsample:" + source.node + "/" + source.id;
}

Result<block::BlockMeta> ColdStore::BuildDownsampled(const block::BlockMeta& source,
                                                     int64_t resolution_ms, block::BlockMeta meta,
                                                     const std::string& dir) const {
  if (resolution_ms <= source.resolution_ms || resolution_ms % kResolution5m != 0 ||
      (source.resolution_ms != 0 && resolution_ms % source.resolution_ms != 0)) {
    return Status::InvalidArgument("cannot downsample a " + ResolutionName(source.resolution_ms) +
                                   " block to " + ResolutionName(resolution_ms));
  }
  std::shared_ptr<block::BlockReader> reader;
  {
    MutexLock lock(&mu_);
    auto it = blocks_.find(source.node + "/" + source.id);
    if (it != blocks_.end()) reader = it->second;
  }
  if (!reader) return Status::NotFound("cold block " + source.node + "/" + source.id);
  // A 5m block of format version 2 holds its series' hour windows, which are the 1h windows
  // AggregateWindows builds from its 5m windows, bit for bit: a 1h block copies them.
  const bool copy_hours = resolution_ms == kResolution1h && source.resolution_ms == kResolution5m &&
                          reader->hours() != nullptr;
  if (copy_hours) reader = reader->hours();
  meta.resolution_ms = resolution_ms;
  meta.source = DownsampleSource(source);
  STRATA_ASSIGN_OR_RETURN(auto writer, block::BlockWriter::Create(dir, meta));
  STRATA_ASSIGN_OR_RETURN(auto header, reader->Header());
  const size_t n = header->series_offsets.size();
  std::vector<uint32_t> ids;
  std::vector<model::Sample> samples;
  std::vector<AggrWindow> in, out;
  bool any = false;
  for (size_t first = 0; first < n; first += kSeriesPerBatch) {
    ids.resize(std::min(kSeriesPerBatch, n - first));
    std::iota(ids.begin(), ids.end(), static_cast<uint32_t>(first));
    STRATA_ASSIGN_OR_RETURN(auto entries,
                            reader->LoadSeries(ids, block::BlockReader::Fill::kNoFill));
    std::vector<block::GroupRef> refs;
    for (const auto& e : entries) refs.insert(refs.end(), e.groups.begin(), e.groups.end());
    STRATA_ASSIGN_OR_RETURN(auto stored,
                            reader->FetchGroups(refs, block::BlockReader::Fill::kNoFill));
    size_t g = 0;
    for (const auto& e : entries) {
      out.clear();
      if (source.resolution_ms == 0) {
        samples.clear();
        for (const auto& ref : e.groups) {
          STRATA_RETURN_IF_ERROR(
              reader->DecodeGroup(stored[g++]->bytes, ref, INT64_MIN, INT64_MAX, &samples));
        }
        AggregateSamples(samples, resolution_ms, &out);
      } else {
        in.clear();
        for (const auto& ref : e.groups) {
          STRATA_RETURN_IF_ERROR(
              reader->DecodeWindows(stored[g++]->bytes, ref, INT64_MIN, INT64_MAX, &in));
        }
        if (copy_hours) {
          out.swap(in);
        } else {
          AggregateWindows(in, resolution_ms, &out);
        }
      }
      any = any || !out.empty();
      STRATA_RETURN_IF_ERROR(writer->AddSeriesWindows(e.labels, out));
    }
  }
  // Series of stale markers only have no windows; a block of nothing but those is no block.
  if (!any) return Status::NotFound("cold block " + source.node + "/" + source.id + " has no data");
  return writer->Finish();
}

}  // namespace strata::storage
