#include "storage_flags.h"

#include <cstdio>

#include "base/duration.h"

namespace strata::cli {

void StorageFlags::Register(CLI::App* cmd) {
  cmd->add_option("--storage.retention", retention,
                  "Drop data (warm partitions, this node's cold blocks) older than this, measured "
                  "back from the newest sample (duration; 0 keeps everything)")
      ->capture_default_str();
  cmd->add_option("--storage.retention.5m", retention_5m,
                  "Drop this node's 5m downsampled blocks older than this (duration; 0 keeps "
                  "them; must be longer than --downsample.1h-after)")
      ->capture_default_str();
  cmd->add_option("--storage.retention.1h", retention_1h,
                  "Drop this node's 1h downsampled blocks older than this (duration; 0 keeps "
                  "them)")
      ->capture_default_str();
  cmd->add_option("--downsample.5m-after", downsample_5m_after,
                  "Build 5m aggregates of cold data older than this, measured back from the "
                  "newest sample (duration; 0 turns downsampling off; --storage.retention must "
                  "be longer)")
      ->capture_default_str();
  cmd->add_option("--downsample.1h-after", downsample_1h_after,
                  "Build 1h aggregates of 5m data older than this (duration; 0: no 1h data)")
      ->capture_default_str();
  cmd->add_option("--storage.retention.size", retention_size,
                  "Drop the oldest data while the WAL, the warm tier and this node's cold blocks "
                  "take more than this (bytes, or with a unit: KB, MB, GB, TB; 0 = no limit)")
      ->capture_default_str();
  cmd->add_option("--storage.warm.span", warm_span,
                  "Warm partitions (UTC days) older than this, measured back from the newest "
                  "sample, move to the cold tier (duration)")
      ->capture_default_str();
  cmd->add_option("--storage.warm.block-cache-bytes", warm_block_cache_bytes,
                  "RocksDB block cache of the warm tier")
      ->capture_default_str();
  cmd->add_option("--storage.cold.url", cold_url,
                  "Object store of the cold tier: file:///abs/path or s3://BUCKET[/PREFIX] "
                  "(empty: <data-dir>/cold)")
      ->capture_default_str();
  cmd->add_option("--storage.cold.s3.endpoint", s3_endpoint,
                  "S3 endpoint URL, e.g. http://127.0.0.1:9000 (empty: AWS)")
      ->capture_default_str();
  cmd->add_option("--storage.cold.s3.region", s3_region, "S3 signing region")
      ->capture_default_str();
  cmd->add_flag("--storage.cold.s3.path-style", s3_path_style,
                "Path-style S3 requests (ENDPOINT/BUCKET/KEY) instead of virtual-host style");
  cmd->add_option("--storage.cold.s3.credentials-file", s3_credentials_file,
                  "AWS shared-credentials file, used when AWS_ACCESS_KEY_ID / "
                  "AWS_SECRET_ACCESS_KEY are not set (empty: ~/.aws/credentials)")
      ->capture_default_str();
  cmd->add_option("--storage.cold.s3.profile", s3_profile,
                  "Profile of the credentials file (empty: $AWS_PROFILE, else default)")
      ->capture_default_str();
  cmd->add_option("--storage.cold.node-id", cold_node_id,
                  "This node's prefix in the object store (empty: the id kept in "
                  "<data-dir>/node-id, generated on first start)")
      ->capture_default_str();
  cmd->add_flag("--storage.cold.read-all-nodes", cold_read_all_nodes,
                "Answer queries over every node's cold blocks in the object store, not only "
                "this node's");
  cmd->add_option("--storage.cold.cache-bytes", cold_cache_bytes,
                  "In-memory cache of cold index headers, series and chunk ranges (bytes or "
                  "with a unit)")
      ->capture_default_str();
  cmd->add_option("--storage.cold.sync-interval", cold_sync_interval,
                  "How often the list of cold blocks is refreshed from the object store "
                  "(duration)")
      ->capture_default_str();
}

bool StorageFlags::Apply(const char* prog, storage::WarmOptions* warm, storage::ColdConfig* cold,
                         compaction::CompactorOptions* compaction) const {
  auto bad = [&](const char* flag, const std::string& why) {
    std::fprintf(stderr, "%s: %s: %s\n", prog, flag, why.c_str());
    return false;
  };
  auto r = ParseDurationMillis(retention);
  if (!r.ok()) return bad("--storage.retention", r.status().message());
  int64_t ds[4];
  const std::pair<const char*, const std::string*> durations[] = {
      {"--storage.retention.5m", &retention_5m},
      {"--storage.retention.1h", &retention_1h},
      {"--downsample.5m-after", &downsample_5m_after},
      {"--downsample.1h-after", &downsample_1h_after}};
  for (size_t i = 0; i < 4; ++i) {
    auto d = ParseDurationMillis(*durations[i].second);
    if (!d.ok()) return bad(durations[i].first, d.status().message());
    ds[i] = *d;
  }
  auto rs = ParseByteSize(retention_size);
  if (!rs.ok()) return bad("--storage.retention.size", rs.status().message());
  auto span = ParseDurationMillis(warm_span);
  if (!span.ok() || *span <= 0) {
    return bad("--storage.warm.span", span.ok() ? "must be > 0" : span.status().message());
  }
  auto cache = ParseByteSize(cold_cache_bytes);
  if (!cache.ok()) return bad("--storage.cold.cache-bytes", cache.status().message());
  auto sync = ParseDurationMillis(cold_sync_interval);
  if (!sync.ok() || *sync <= 0) {
    return bad("--storage.cold.sync-interval", sync.ok() ? "must be > 0" : sync.status().message());
  }
  if (!cold_node_id.empty() && !storage::block::IsValidNodeId(cold_node_id)) {
    return bad("--storage.cold.node-id",
               "\"" + cold_node_id +
                   "\": want 1-63 characters of [a-z0-9._-], starting with a "
                   "letter or digit");
  }
  if (!cold_url.empty() && cold_url.rfind("file://", 0) != 0 && cold_url.rfind("s3://", 0) != 0) {
    return bad("--storage.cold.url", "\"" + cold_url + "\": want file:///abs/path or s3://BUCKET");
  }
  compaction->retention_ms = *r;
  compaction->retention_bytes = *rs;
  compaction->retention_5m_ms = ds[0];
  compaction->retention_1h_ms = ds[1];
  compaction->downsample_5m_after_ms = ds[2];
  compaction->downsample_1h_after_ms = ds[3];
  compaction->warm_span_ms = *span;
  compaction->cold_sync_interval = std::chrono::milliseconds(*sync);
  warm->block_cache_bytes = warm_block_cache_bytes;
  cold->store.url = cold_url;
  cold->store.s3.endpoint = s3_endpoint;
  cold->store.s3.region = s3_region;
  cold->store.s3.path_style = s3_path_style;
  cold->store.s3.credentials_file = s3_credentials_file;
  cold->store.s3.profile = s3_profile;
  cold->cold.node_id = cold_node_id;
  cold->cold.read_all_nodes = cold_read_all_nodes;
  cold->cold.cache_bytes = static_cast<size_t>(*cache);
  return true;
}

}  // namespace strata::cli
