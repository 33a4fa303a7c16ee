// The --storage.* flags every `strata` command that touches a data directory takes (serve,
// compact, backup, restore, inspect), so they all find the same tiers.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "compaction/compactor.h"
#include "storage/cold_store.h"
#include "storage/warm_store.h"

namespace strata::cli {

struct StorageFlags {
  std::string retention = "15d";
  std::string retention_size = "0";
  std::string warm_span = "40h";
  size_t warm_block_cache_bytes = storage::WarmOptions{}.block_cache_bytes;
  std::string cold_url;
  std::string s3_endpoint;
  std::string s3_region = "us-east-1";
  bool s3_path_style = false;
  std::string s3_credentials_file;
  std::string s3_profile;
  std::string cold_node_id;
  bool cold_read_all_nodes = false;
  std::string cold_cache_bytes = "128MiB";
  std::string cold_sync_interval = "1m";
  std::string retention_5m = "90d";
  std::string retention_1h = "365d";
  std::string downsample_5m_after = "40h";
  std::string downsample_1h_after = "10d";

  // Adds the flags to `cmd`.
  void Register(CLI::App* cmd);
  // Fills the options from the flags. Prints "<prog>: --flag: why" and returns false when a
  // value is bad (a usage error: exit code 2).
  bool Apply(const char* prog, storage::WarmOptions* warm, storage::ColdConfig* cold,
             compaction::CompactorOptions* compaction) const;
};

}  // namespace strata::cli
