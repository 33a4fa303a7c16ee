// Snapshots (backups) of every tier as cold blocks plus a manifest, and their verification and
// restore (docs/format/backup.md). Used by the admin snapshot API, `strata backup` and `strata
// restore`. Functions here do I/O and are safe to call from any thread; the caller keeps the
// tiers from moving data meanwhile (Compactor paused, or a stopped server).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/block/format.h"
#include "storage/cold_store.h"
#include "storage/object_store.h"
#include "storage/querier.h"
#include "storage/warm_store.h"

namespace strata::storage {

inline constexpr uint32_t kBackupFormatVersion = 1;

struct ManifestBlock {
  std::string node;
  std::string id;
  uint64_t bytes = 0;
  uint32_t meta_crc32c = 0;
};

struct SnapshotManifest {
  uint32_t format_version = kBackupFormatVersion;
  std::string name;
  std::string node;
  int64_t created_ms = 0;
  int64_t min_time = INT64_MAX;  // Over the blocks; INT64_MAX/INT64_MIN when there are none.
  int64_t max_time = INT64_MIN;
  std::vector<ManifestBlock> blocks;
};

std::string EncodeManifest(const SnapshotManifest& m);
// Checks the trailing CRC, the version and every block entry.
Result<SnapshotManifest> DecodeManifest(std::string_view json);

// "<YYYYMMDDTHHMMSSZ>-<8 hex>" for `now_ms`.
std::string NewSnapshotName(int64_t now_ms);

using Progress = std::function<void(const std::string&)>;

// What a snapshot reads.
struct SnapshotSources {
  const Querier* head = nullptr;    // May be null (no head).
  const WarmStore* warm = nullptr;  // May be null.
  ColdStore* cold = nullptr;        // May be null.
  std::string node;                 // Writes the new blocks under this node id.
};

// Writes a snapshot named `name` of every tier into `target` (manifest.json last), building
// blocks in `staging_dir` (created, and removed afterwards). Returns the manifest.
Result<SnapshotManifest> WriteSnapshot(const SnapshotSources& sources, const std::string& name,
                                       objstore::ObjectStore* target,
                                       const std::string& staging_dir,
                                       const Progress& progress = {});

// Reads and checks a whole backup in `source`: the manifest, each block's meta against it, and
// every file's size and CRC32C against its meta. Corruption naming the object on a mismatch;
// NotFound when there is no manifest.
Result<SnapshotManifest> VerifySnapshot(objstore::ObjectStore* source,
                                        const std::string& staging_dir,
                                        const Progress& progress = {});

// Copies every object of a backup from `source` to `target` (manifest.json last), streaming
// each through a file in `staging_dir`. For moving an online snapshot to its destination.
Status CopySnapshot(objstore::ObjectStore* source, const SnapshotManifest& manifest,
                    objstore::ObjectStore* target, const std::string& staging_dir,
                    const Progress& progress = {});

// Copies the blocks of a verified backup into a cold store's object store, data files first and
// meta.json last, each meta's source renamed "restore:<source>".
Status RestoreSnapshot(objstore::ObjectStore* source, const SnapshotManifest& manifest,
                       objstore::ObjectStore* cold_target, const std::string& staging_dir,
                       const Progress& progress = {});

// Removes what interrupted backups and snapshots left in data directory `dir`: the staging
// directories (snapshot-staging, snapshot-staging-<name>) and snapshots/<name> directories
// without a manifest.json. Returns the paths removed. Call with the directory's lock held.
Result<std::vector<std::string>> RemoveSnapshotLeftovers(const std::string& dir);

// Builds one block from `querier`'s data in [mint, maxt] (every series with a __name__), in
// `dir`. Returns its meta, or NotFound
// when there is no data. `meta` gives id, node, source and created_ms.
Result<block::BlockMeta> BuildBlockFromQuerier(const Querier& querier, int64_t mint, int64_t maxt,
                                               block::BlockMeta meta, const std::string& dir);

// Copies object `key` of `src` to `dst_key` of `dst` through the file `tmp_path`, in slices.
// With `expect`, the object must have its size and CRC32C (Corruption otherwise, and nothing is
// written to `dst`).
Status CopyObject(objstore::ObjectStore* src, const std::string& key, objstore::ObjectStore* dst,
                  const std::string& dst_key, const std::string& tmp_path,
                  const block::FileInfo* expect = nullptr);

}  // namespace strata::storage
