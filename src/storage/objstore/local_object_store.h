// LocalObjectStore: an ObjectStore over a local directory. Key "a/b/c" is the file
// <root>/a/b/c. Put writes <dir>/.strata-tmp.<name>.<n>, fsyncs it, renames it over the key and
// fsyncs the directory, so readers see the old or the whole new object and an acknowledged Put
// survives a machine crash; List never shows temporary files. Delete also removes directories
// it leaves empty (never the root). Thread-safe; several processes may share one root.
// Private to storage.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "storage/object_store.h"
#include "storage/objstore/metrics.h"

namespace strata::storage::objstore {

// Temporary files start with this; ValidateKey refuses key segments that do.
inline constexpr std::string_view kLocalTmpPrefix = ".strata-tmp.";

class LocalObjectStore final : public ObjectStore {
 public:
  // Creates `root` (an absolute path) when missing. InvalidArgument for a relative path,
  // IOError when it cannot be created or is not a directory. `registry` may be null.
  static Result<std::unique_ptr<LocalObjectStore>> Open(const std::string& root,
                                                        prometheus::Registry* registry);

  Status Put(const std::string& key, std::string_view data) override;
  Status PutFile(const std::string& key, const std::string& path) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::string> GetRange(const std::string& key, ByteRange range) override;
  Result<ObjectInfo> Stat(const std::string& key) override;
  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override;
  Status Delete(const std::vector<std::string>& keys) override;
  std::string Describe() const override { return "file://" + root_; }

  const std::string& root() const { return root_; }

 private:
  LocalObjectStore(std::string root, prometheus::Registry* registry)
      : root_(std::move(root)), metrics_(registry) {}

  // Writes what `fill` writes into the temporary file, then publishes it as `key`.
  Status WriteAtomically(const std::string& key,
                         const std::function<Status(int fd, const std::string& tmp)>& fill);
  Result<std::string> ReadRange(const std::string& key, uint64_t offset, uint64_t length,
                                bool whole);

  const std::string root_;  // Absolute, without a trailing '/'.
  ObjectStoreMetrics metrics_;
};

}  // namespace strata::storage::objstore
