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
// Stored group bytes fetched at once within a batch (a series is fetched whole).
constexpr uint64_t kFetchBytes = 8 << 20;
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
    // The batch's groups are fetched kFetchBytes at a time (a series whole, however large):
    // series of a very high sample rate do not multiply the memory a batch takes.
    for (size_t begin = 0; begin < entries.size();) {
      std::vector<block::GroupRef> refs;
      uint64_t bytes = 0;
      size_t end = begin;
      while (end < entries.size() && (end == begin || bytes < kFetchBytes)) {
        for (const auto& ref : entries[end].groups) bytes += ref.length;
        refs.insert(refs.end(), entries[end].groups.begin(), entries[end].groups.end());
        ++end;
      }
      STRATA_ASSIGN_OR_RETURN(auto stored,
                              reader->FetchGroups(refs, block::BlockReader::Fill::kNoFill));
      size_t g = 0;
      for (size_t i = begin; i < end; ++i) {
        const auto& e = entries[i];
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
      begin = end;
    }
  }
  // Series of stale markers only have no windows; a block of nothing but those is no block.
  if (!any) return Status::NotFound("cold block " + source.node + "/" + source.id + " has no data");
  return writer->Finish();
}

}  // namespace strata::storage
