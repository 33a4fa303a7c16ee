// Fuzz target: reading a cold block (docs/format/block.md) from an in-memory object store through
// block::BlockReader, as a query does: meta.json, the index header (symbols, series offsets,
// postings table), postings lists, series entries, label names and values, chunk groups.
// Input: one mode byte, then meta.json, the index and chunks/000001 separated by kSeparator.
// Mode bit 0 clear: meta.json is the input's (DecodeMeta); set: meta.json is made by the target
// from the input's index and chunk file (sizes, CRCs, header length from the TOC, the format
// version from the index header), so that mutations reach the index and chunk decoders; mode
// bit 1 makes that meta.json a 5m block's, whose groups are read as windows, through the
// reader and, for format version 2, through its hours() reader too. Properties: every failure
// is Corruption (or the object store's InvalidArgument for a range past a short object when
// meta.json lies about a size); a meta.json that decodes re-encodes to one that decodes to
// the same encoding; decoded groups hold increasing times.
#include <climits>
#include <memory>
#include <string>
#include <vector>

#include "base/coding.h"
#include "fuzz/fuzz_target.h"
#include "storage/block/block_reader.h"
#include "storage/block/format.h"
#include "testutil/mem_object_store.h"

namespace strata::fuzz {
namespace {

using storage::AggrWindow;
using storage::block::BlockMeta;
using storage::block::BlockReader;

constexpr std::string_view kSeparator = "\n#part#\n";
constexpr std::string_view kBlockId = "01HZZZZZZZZZZZZZZZZZZZZZZZ";

std::vector<std::string_view> Split(std::string_view in, size_t parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    size_t pos = in.find(kSeparator);
    if (pos == std::string_view::npos) break;
    out.push_back(in.substr(0, pos));
    in.remove_prefix(pos + kSeparator.size());
  }
  out.push_back(in);
  while (out.size() < parts) out.emplace_back();
  return out;
}

void CheckStatus(const Status& s, const char* what) {
  if (s.ok() || s.code() == StatusCode::kCorruption || s.code() == StatusCode::kInvalidArgument) {
    return;
  }
  FuzzFail(std::string(what) + ": unexpected status " + s.ToString());
}

BlockMeta SynthesizeMeta(std::string_view index, std::string_view chunks, bool five_minutes) {
  BlockMeta meta;
  if (index.size() > 8 && storage::block::KnownFormatVersion(static_cast<uint8_t>(index[8]))) {
    meta.format_version = static_cast<uint8_t>(index[8]);
  }
  if (five_minutes) meta.resolution_ms = storage::kResolution5m;
  meta.id = std::string(kBlockId);
  meta.node = "fuzz";
  meta.min_time = INT64_MIN / 4;
  meta.max_time = INT64_MAX / 4;
  meta.index_header_bytes = index.size();
  if (index.size() >= storage::block::kTocBytes) {
    auto toc = storage::block::DecodeToc(index.substr(index.size() - storage::block::kTocBytes),
                                         index.size());
    if (toc.ok() && toc->series <= index.size()) meta.index_header_bytes = toc->series;
  }
  auto header =
      storage::block::DecodeIndexHeader(index.substr(0, meta.index_header_bytes), index.size());
  if (header.ok()) meta.series = header->series_offsets.size();
  meta.files.push_back({"index", index.size(), Crc32c(index)});
  meta.files.push_back({storage::block::ChunkFileName(1), chunks.size(), Crc32c(chunks)});
  return meta;
}

void FuzzColdBlock(std::span<const uint8_t> data) {
  InputReader in(data);
  uint8_t mode = in.Byte();
  auto parts = Split(in.Rest(), 3);
  std::string_view meta_json = parts[0], index = parts[1], chunks = parts[2];

  BlockMeta meta;
  if (mode & 1) {
    meta = SynthesizeMeta(index, chunks, (mode & 2) != 0);
  } else {
    auto decoded = storage::block::DecodeMeta(meta_json);
    if (!decoded.ok()) {
      if (decoded.status().code() != StatusCode::kCorruption) {
        FuzzFail("DecodeMeta: unexpected status " + decoded.status().ToString());
      }
      return;
    }
    meta = std::move(decoded).value();
    std::string encoded = storage::block::EncodeMeta(meta);
    auto again = storage::block::DecodeMeta(encoded);
    if (!again.ok())
      FuzzFail("a re-encoded meta.json does not decode: " + again.status().ToString());
    if (storage::block::EncodeMeta(*again) != encoded) {
      FuzzFail("meta.json: decode -> encode -> decode -> encode is not stable");
    }
  }

  auto state = std::make_shared<testutil::MemObjectStore::State>();
  testutil::MemObjectStore store(state);
  std::string prefix = storage::block::BlockPrefix(meta.node, meta.id);
  store.Put(prefix + "meta.json", meta_json).IgnoreError();  // In memory: cannot fail.
  store.Put(prefix + "index", index).IgnoreError();
  store.Put(prefix + storage::block::ChunkFileName(1), chunks).IgnoreError();

  storage::block::BlockCache cache(1 << 20);
  BlockReader reader(&store, &cache, meta);
  auto header = reader.Header();
  CheckStatus(header.status(), "Header");
  if (!header.ok()) return;

  auto names = reader.LabelNames();
  CheckStatus(names.status(), "LabelNames");
  model::Matchers matchers;
  matchers.push_back(model::Matcher::NotEqual("__name__", ""));
  if (names.ok() && !names->empty()) {
    auto values = reader.LabelValues(names->front());
    CheckStatus(values.status(), "LabelValues");
    if (values.ok() && !values->empty()) {
      matchers.push_back(model::Matcher::Equal(names->front(), values->front()));
    }
  }
  for (size_t n = 1; n <= matchers.size(); ++n) {
    model::Matchers m(matchers.begin(), matchers.begin() + static_cast<std::ptrdiff_t>(n));
    auto ids = reader.Match(m);
    CheckStatus(ids.status(), "Match");
  }
  // Every series (at most 64), whatever the matchers found; a 5m block's hour windows too.
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < (*header)->series_offsets.size() && i < 64; ++i) ids.push_back(i);
  for (const BlockReader* r : {&reader, reader.hours().get()}) {
    if (r == nullptr) continue;
    auto entries = r->LoadSeries(ids);
    CheckStatus(entries.status(), "LoadSeries");
    if (!entries.ok()) continue;
    for (const auto& entry : *entries) {
      auto groups = r->FetchGroups(entry.groups);
      CheckStatus(groups.status(), "FetchGroups");
      if (!groups.ok()) continue;
      for (size_t g = 0; g < groups->size(); ++g) {
        std::vector<int64_t> times;
        Status s;
        if (r->meta().resolution_ms > 0) {
          std::vector<AggrWindow> windows;
          s = r->DecodeWindows((*groups)[g]->bytes, entry.groups[g], INT64_MIN, INT64_MAX,
                               &windows);
          for (const AggrWindow& w : windows) times.push_back(w.first_t);
        } else {
          std::vector<model::Sample> samples;
          s = r->DecodeGroup((*groups)[g]->bytes, entry.groups[g], INT64_MIN, INT64_MAX, &samples);
          for (const model::Sample& x : samples) times.push_back(x.timestamp_ms);
        }
        CheckStatus(s, "DecodeGroup/DecodeWindows");
        for (size_t i = 1; s.ok() && i < times.size(); ++i) {
          if (times[i - 1] >= times[i]) FuzzFail("decoded group: times not increasing");
        }
      }
    }
  }
}

}  // namespace
}  // namespace strata::fuzz

STRATA_FUZZ_TARGET(cold_block, strata::fuzz::FuzzColdBlock)
