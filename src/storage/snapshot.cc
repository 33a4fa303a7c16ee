#include "storage/snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>
#include <sstream>

#include "base/coding.h"
#include "base/crash_point.h"
#include "base/file_lock.h"
#include "storage/block/block_writer.h"
#include "storage/xor_chunk.h"

namespace strata::storage {
namespace {

using block::BlockMeta;

constexpr uint64_t kSlice = 8 << 20;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool ValidSnapshotName(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

std::string BlockKey(const std::string& node, const std::string& id, const std::string& file) {
  return "blocks/" + block::BlockPrefix(node, id) + file;
}

// Uploads the files of a block built in `dir`, then its meta.json, under `prefix`.
Status UploadBlock(objstore::ObjectStore* target, const std::string& dir, const BlockMeta& meta,
                   const std::string& prefix) {
  for (const auto& f : meta.files) {
    STRATA_RETURN_IF_ERROR(target->PutFile(prefix + f.name, dir + "/" + f.name));
  }
  return target->Put(prefix + "meta.json", block::EncodeMeta(meta));
}

// CRC32C and size of an object, read in slices.
Status CheckObject(objstore::ObjectStore* store, const std::string& key, uint64_t bytes,
                   uint32_t crc32c) {
  auto info = store->Stat(key);
  if (!info.ok()) {
    if (info.status().IsNotFound()) return Status::Corruption(key + " is missing");
    return info.status().WithContext(key);
  }
  if (info->size != bytes) {
    return Status::Corruption(key + " has " + std::to_string(info->size) + " bytes, want " +
                              std::to_string(bytes));
  }
  uint32_t crc = 0;
  for (uint64_t off = 0; off < bytes; off += kSlice) {
    STRATA_ASSIGN_OR_RETURN(auto part, store->GetRange(key, {off, std::min(kSlice, bytes - off)}));
    crc = Crc32c(part, crc);
  }
  if (crc != crc32c) return Status::Corruption(key + ": checksum mismatch");
  return Status::Ok();
}

}  // namespace

std::string NewSnapshotName(int64_t now_ms) {
  std::time_t secs = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  std::random_device rd;
  char out[80];
  std::snprintf(out, sizeof out, "%s-%08x", buf, rd());
  return out;
}

std::string EncodeManifest(const SnapshotManifest& m) {
  std::string out = "{\n";
  out += "  \"format_version\": " + std::to_string(m.format_version) + ",\n";
  out += "  \"name\": \"" + m.name + "\",\n";
  out += "  \"node\": \"" + m.node + "\",\n";
  out += "  \"created_ms\": " + std::to_string(m.created_ms) + ",\n";
  out += "  \"min_time\": " + std::to_string(m.min_time) + ",\n";
  out += "  \"max_time\": " + std::to_string(m.max_time) + ",\n";
  out += "  \"blocks\": [\n";
  for (size_t i = 0; i < m.blocks.size(); ++i) {
    const auto& b = m.blocks[i];
    out += "    {\"node\": \"" + b.node + "\", \"id\": \"" + b.id +
           "\", \"bytes\": " + std::to_string(b.bytes) + ", \"meta_crc32c\": \"" +
           block::CrcHex(b.meta_crc32c) + "\"}";
    out += i + 1 < m.blocks.size() ? ",\n" : "\n";
  }
  out += "  ],\n";
  return block::SealJson(std::move(out));
}

Result<SnapshotManifest> DecodeManifest(std::string_view json) {
  STRATA_RETURN_IF_ERROR(block::CheckSealedJson(json, "manifest.json"));
  boost::property_tree::ptree tree;
  try {
    std::istringstream in{std::string(json)};
    boost::property_tree::read_json(in, tree);
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("manifest.json: ") + e.what());
  }
  auto bad = [](const std::string& what) { return Status::Corruption("manifest.json: " + what); };
  SnapshotManifest m;
  uint64_t version = 0;
  auto v = tree.get_optional<std::string>("format_version");
  if (!v || !block::ParseJsonUint(*v, &version)) return bad("missing format_version");
  if (version != kBackupFormatVersion) {
    return Status::Corruption("unknown format version " + std::to_string(version));
  }
  auto name = tree.get_optional<std::string>("name");
  auto node = tree.get_optional<std::string>("node");
  auto created = tree.get_optional<std::string>("created_ms");
  auto mint = tree.get_optional<std::string>("min_time");
  auto maxt = tree.get_optional<std::string>("max_time");
  if (!name || !ValidSnapshotName(*name)) return bad("bad name");
  if (!node || !block::IsValidNodeId(*node)) return bad("bad node");
  if (!created || !block::ParseJsonInt(*created, &m.created_ms) || !mint ||
      !block::ParseJsonInt(*mint, &m.min_time) || !maxt ||
      !block::ParseJsonInt(*maxt, &m.max_time)) {
    return bad("bad times");
  }
  m.name = *name;
  m.node = *node;
  auto blocks = tree.get_child_optional("blocks");
  if (!blocks) return bad("missing blocks");
  for (const auto& [key, b] : *blocks) {
    ManifestBlock mb;
    auto bn = b.get_optional<std::string>("node");
    auto id = b.get_optional<std::string>("id");
    auto bytes = b.get_optional<std::string>("bytes");
    auto crc = b.get_optional<std::string>("meta_crc32c");
    if (!bn || !block::IsValidNodeId(*bn) || !id || !block::IsValidBlockId(*id) || !bytes ||
        !block::ParseJsonUint(*bytes, &mb.bytes) || !crc ||
        !block::ParseCrcHex(*crc, &mb.meta_crc32c)) {
      return bad("malformed block entry");
    }
    mb.node = *bn;
    mb.id = *id;
    m.blocks.push_back(std::move(mb));
  }
  return m;
}

Result<BlockMeta> BuildBlockFromQuerier(const Querier& querier, int64_t mint, int64_t maxt,
                                        BlockMeta meta, const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(auto matcher,
                          model::Matcher::Make(model::MatchType::kRegexMatch, "__name__", ".+"));
  SelectHints hints;
  hints.start_ms = mint;
  hints.end_ms = maxt;
  STRATA_ASSIGN_OR_RETURN(auto set, querier.Select({matcher}, hints));
  STRATA_ASSIGN_OR_RETURN(auto writer, block::BlockWriter::Create(dir, meta));
  std::vector<model::Sample> samples;
  bool any = false;
  while (set->Next()) {
    STRATA_RETURN_IF_ERROR(set->ReadSamples(&samples));
    if (samples.empty()) continue;
    STRATA_RETURN_IF_ERROR(writer->AddSeriesSamples(set->labels(), samples));
    any = true;
  }
  STRATA_RETURN_IF_ERROR(set->status());
  if (!any) return Status::NotFound("no data");
  return writer->Finish();
}

Status CopyObject(objstore::ObjectStore* src, const std::string& key, objstore::ObjectStore* dst,
                  const std::string& dst_key, const std::string& tmp_path,
                  const block::FileInfo* expect) {
  STRATA_ASSIGN_OR_RETURN(auto info, src->Stat(key));
  if (expect != nullptr && info.size != expect->bytes) {
    return Status::Corruption(key + ": " + std::to_string(info.size) + " bytes, its meta says " +
                              std::to_string(expect->bytes));
  }
  uint32_t crc = 0;
  int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("create " + tmp_path + ": " + std::strerror(errno));
  Status s;
  for (uint64_t off = 0; off < info.size && s.ok(); off += kSlice) {
    auto part = src->GetRange(key, {off, std::min(kSlice, info.size - off)});
    if (!part.ok()) {
      s = part.status().WithContext("reading " + key);
      break;
    }
    std::string_view rest = *part;
    crc = Crc32c(rest, crc);
    while (!rest.empty()) {
      ssize_t n = ::write(fd, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        s = Status::IOError("write " + tmp_path + ": " + std::strerror(errno));
        break;
      }
      rest.remove_prefix(static_cast<size_t>(n));
    }
  }
  ::close(fd);
  if (s.ok() && expect != nullptr && crc != expect->crc32c) {
    s = Status::Corruption(key + ": checksum mismatch (it changed since it was checked)");
  }
  if (s.ok()) s = dst->PutFile(dst_key, tmp_path).WithContext("writing " + dst_key);
  ::unlink(tmp_path.c_str());
  return s;
}

Result<SnapshotManifest> WriteSnapshot(const SnapshotSources& sources, const std::string& name,
                                       objstore::ObjectStore* target,
                                       const std::string& staging_dir, const Progress& progress) {
  if (!ValidSnapshotName(name)) return Status::InvalidArgument("bad snapshot name " + name);
  std::error_code ec;
  std::filesystem::remove_all(staging_dir, ec);
  STRATA_RETURN_IF_ERROR(CreateDirs(staging_dir));
  SnapshotManifest manifest;
  manifest.name = name;
  manifest.node = sources.node;
  manifest.created_ms = NowMs();
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  auto add = [&](const BlockMeta& meta) {
    std::string json = block::EncodeMeta(meta);
    manifest.blocks.push_back({meta.node, meta.id, meta.TotalBytes(), Crc32c(json)});
    manifest.min_time = std::min(manifest.min_time, meta.min_time);
    manifest.max_time = std::max(manifest.max_time, meta.max_time);
  };
  // Head and warm partitions become new blocks.
  auto build = [&](const Querier& q, int64_t mint, int64_t maxt,
                   const std::string& source) -> Status {
    BlockMeta meta;
    meta.created_ms = NowMs();
    meta.id = block::NewBlockId(meta.created_ms, rng);
    meta.node = sources.node;
    meta.source = "snapshot:" + name + ":" + source;
    const std::string dir = staging_dir + "/" + meta.id;
    auto built = BuildBlockFromQuerier(q, mint, maxt, meta, dir);
    if (!built.ok()) {
      std::filesystem::remove_all(dir, ec);
      return built.status().IsNotFound() ? Status::Ok() : built.status().WithContext(source);
    }
    STRATA_RETURN_IF_ERROR(
        UploadBlock(target, dir, *built, "blocks/" + block::BlockPrefix(built->node, built->id)));
    std::filesystem::remove_all(dir, ec);
    add(*built);
    CrashPoint("snapshot-block-written");
    if (progress) progress("snapshot: " + source + " -> block " + built->id);
    return Status::Ok();
  };
  if (sources.head != nullptr) {
    STRATA_RETURN_IF_ERROR(build(*sources.head, INT64_MIN, INT64_MAX, "head"));
  }
  if (sources.warm != nullptr) {
    const int64_t width = sources.warm->partition_ms();
    for (const auto& p : sources.warm->Stats().partitions) {
      STRATA_RETURN_IF_ERROR(
          build(*sources.warm, p.start, p.start + width - 1, "warm:" + std::to_string(p.start)));
    }
  }
  // Cold blocks are copied as they are.
  if (sources.cold != nullptr) {
    // A store not listed yet (slow, or unreachable at start-up) knows none of its blocks: a
    // snapshot without them would look complete.
    if (!sources.cold->synced()) {
      STRATA_RETURN_IF_ERROR(
          sources.cold->Sync().WithContext("listing the cold tier's blocks for the snapshot"));
    }
    objstore::ObjectStore* store = sources.cold->object_store();
    for (const BlockMeta& meta : sources.cold->Blocks()) {
      const std::string prefix = block::BlockPrefix(meta.node, meta.id);
      for (const auto& f : meta.files) {
        STRATA_RETURN_IF_ERROR(CopyObject(store, prefix + f.name, target,
                                          BlockKey(meta.node, meta.id, f.name),
                                          staging_dir + "/copy.tmp", &f));
      }
      STRATA_ASSIGN_OR_RETURN(std::string json, store->Get(prefix + "meta.json"));
      STRATA_RETURN_IF_ERROR(target->Put(BlockKey(meta.node, meta.id, "meta.json"), json));
      add(meta);
      if (progress) progress("snapshot: copied cold block " + meta.node + "/" + meta.id);
    }
  }
  std::filesystem::remove_all(staging_dir, ec);
  STRATA_RETURN_IF_ERROR(target->Put("manifest.json", EncodeManifest(manifest)));
  return manifest;
}

namespace {

// The meta of backup block `b`, checked against the manifest (its CRC) and naming that block;
// its bytes in *json when not null.
Result<BlockMeta> ReadBlockMeta(objstore::ObjectStore* source, const ManifestBlock& b,
                                std::string* json) {
  const std::string meta_key = BlockKey(b.node, b.id, "meta.json");
  auto meta_json = source->Get(meta_key);
  if (!meta_json.ok()) {
    if (meta_json.status().IsNotFound()) return Status::Corruption(meta_key + " is missing");
    return meta_json.status();
  }
  if (Crc32c(*meta_json) != b.meta_crc32c) {
    return Status::Corruption(meta_key + ": checksum differs from the manifest's");
  }
  auto meta = block::DecodeMeta(*meta_json);
  if (!meta.ok()) return meta.status().WithContext(meta_key);
  if (meta->node != b.node || meta->id != b.id) {
    return Status::Corruption(meta_key + " names another block");
  }
  if (json != nullptr) *json = std::move(*meta_json);
  return meta;
}

}  // namespace

Result<SnapshotManifest> VerifySnapshot(objstore::ObjectStore* source,
                                        const std::string& /*staging_dir*/,
                                        const Progress& progress) {
  auto json = source->Get("manifest.json");
  if (!json.ok()) {
    if (json.status().IsNotFound()) {
      return Status::NotFound("no manifest.json in " + source->Describe() +
                              " (not a backup, or an incomplete one)");
    }
    return json.status();
  }
  STRATA_ASSIGN_OR_RETURN(SnapshotManifest manifest, DecodeManifest(*json));
  for (const ManifestBlock& b : manifest.blocks) {
    STRATA_ASSIGN_OR_RETURN(BlockMeta meta, ReadBlockMeta(source, b, nullptr));
    for (const auto& f : meta.files) {
      STRATA_RETURN_IF_ERROR(
          CheckObject(source, BlockKey(b.node, b.id, f.name), f.bytes, f.crc32c));
    }
    if (progress) progress("verified block " + b.node + "/" + b.id);
  }
  return manifest;
}

Result<std::vector<std::string>> RemoveSnapshotLeftovers(const std::string& dir) {
  std::vector<std::string> doomed;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name == "snapshot-staging" || name.rfind("snapshot-staging-", 0) == 0) {
      doomed.push_back(e.path().string());
    }
  }
  if (ec) return Status::IOError("listing " + dir + ": " + ec.message());
  const std::string snapshots = dir + "/snapshots";
  if (std::filesystem::is_directory(snapshots, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(snapshots, ec)) {
      // Only snapshot directories by their name: <name>.copy is a running CLI copy's staging.
      if (ValidSnapshotName(e.path().filename().string()) && e.is_directory(ec) &&
          !std::filesystem::exists(e.path() / "manifest.json", ec)) {
        doomed.push_back(e.path().string());
      }
    }
    if (ec) return Status::IOError("listing " + snapshots + ": " + ec.message());
  }
  for (const std::string& p : doomed) {
    std::filesystem::remove_all(p, ec);
    if (ec) return Status::IOError("removing " + p + ": " + ec.message());
  }
  return doomed;
}

Status CopySnapshot(objstore::ObjectStore* source, const SnapshotManifest& manifest,
                    objstore::ObjectStore* target, const std::string& staging_dir,
                    const Progress& progress) {
  STRATA_RETURN_IF_ERROR(CreateDirs(staging_dir));
  const std::string tmp = staging_dir + "/copy.tmp";
  for (const ManifestBlock& b : manifest.blocks) {
    const std::string meta_key = BlockKey(b.node, b.id, "meta.json");
    std::string meta_json;
    STRATA_ASSIGN_OR_RETURN(BlockMeta meta, ReadBlockMeta(source, b, &meta_json));
    for (const auto& f : meta.files) {
      const std::string key = BlockKey(b.node, b.id, f.name);
      STRATA_RETURN_IF_ERROR(CopyObject(source, key, target, key, tmp, &f));
    }
    STRATA_RETURN_IF_ERROR(target->Put(meta_key, meta_json));
    if (progress) progress("copied block " + b.node + "/" + b.id);
  }
  return target->Put("manifest.json", EncodeManifest(manifest));
}

Status RestoreSnapshot(objstore::ObjectStore* source, const SnapshotManifest& manifest,
                       objstore::ObjectStore* cold_target, const std::string& staging_dir,
                       const Progress& progress) {
  STRATA_RETURN_IF_ERROR(CreateDirs(staging_dir));
  const std::string tmp = staging_dir + "/copy.tmp";
  for (const ManifestBlock& b : manifest.blocks) {
    STRATA_ASSIGN_OR_RETURN(BlockMeta meta, ReadBlockMeta(source, b, nullptr));
    const std::string prefix = block::BlockPrefix(b.node, b.id);
    for (const auto& f : meta.files) {
      STRATA_RETURN_IF_ERROR(CopyObject(source, BlockKey(b.node, b.id, f.name), cold_target,
                                        prefix + f.name, tmp, &f));
    }
    CrashPoint("restore-block-files-copied");
    // A downsampled block keeps its source: queries follow it to the block it aggregates
    // (kept under the same id), and the downsampler to know that block is done.
    if (meta.source.rfind("restore:", 0) != 0 && meta.source.rfind("downsample:", 0) != 0) {
      meta.source = "restore:" + meta.source;
    }
    STRATA_RETURN_IF_ERROR(cold_target->Put(prefix + "meta.json", block::EncodeMeta(meta)));
    CrashPoint("restore-block-restored");
    if (progress) progress("restored block " + b.node + "/" + b.id);
  }
  std::error_code ec;
  std::filesystem::remove_all(staging_dir, ec);
  return Status::Ok();
}

}  // namespace strata::storage
