// MemObjectStore: an in-memory ObjectStore for tests, with hooks to corrupt objects and to fail
// operations. Thread-safe.
#pragma once

#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

#include "storage/object_store.h"

namespace strata::testutil {

class MemObjectStore final : public storage::objstore::ObjectStore {
 public:
  // Shared state, so a test keeps access after handing the store to a ColdStore.
  struct State {
    std::mutex mu;
    std::map<std::string, std::pair<std::string, int64_t>> objects;  // key -> bytes, mtime
    // Called with the operation name and key; a non-OK status fails the operation.
    std::function<Status(const std::string& op, const std::string& key)> fault;
    uint64_t range_gets = 0;
    uint64_t bytes_read = 0;
    // Every ranged read: key and range.
    std::vector<std::pair<std::string, storage::objstore::ByteRange>> range_log;
    int64_t now_ms = 1'000'000;
    // Keys List leaves out (an eventually consistent listing); Get and Stat still find them.
    std::function<bool(const std::string& key)> hide_from_list;
  };

  explicit MemObjectStore(std::shared_ptr<State> state) : s_(std::move(state)) {}

  Status Put(const std::string& key, std::string_view data) override {
    std::lock_guard<std::mutex> l(s_->mu);
    if (s_->fault) STRATA_RETURN_IF_ERROR(s_->fault("put", key));
    s_->objects[key] = {std::string(data), s_->now_ms};
    return Status::Ok();
  }
  Status PutFile(const std::string& key, const std::string& path) override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::IOError("cannot open " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return Put(key, ss.str());
  }
  Result<std::string> Get(const std::string& key) override {
    std::lock_guard<std::mutex> l(s_->mu);
    if (s_->fault) STRATA_RETURN_IF_ERROR(s_->fault("get", key));
    auto it = s_->objects.find(key);
    if (it == s_->objects.end()) return Status::NotFound(key);
    s_->bytes_read += it->second.first.size();
    return it->second.first;
  }
  Result<std::string> GetRange(const std::string& key,
                               storage::objstore::ByteRange range) override {
    std::lock_guard<std::mutex> l(s_->mu);
    if (s_->fault) STRATA_RETURN_IF_ERROR(s_->fault("get_range", key));
    auto it = s_->objects.find(key);
    if (it == s_->objects.end()) return Status::NotFound(key);
    const std::string& b = it->second.first;
    if (range.offset > b.size() || range.length > b.size() - range.offset) {
      return Status::InvalidArgument("range past the end of " + key);
    }
    s_->range_gets++;
    s_->bytes_read += range.length;
    s_->range_log.emplace_back(key, range);
    return b.substr(range.offset, range.length);
  }
  Result<storage::objstore::ObjectInfo> Stat(const std::string& key) override {
    std::lock_guard<std::mutex> l(s_->mu);
    auto it = s_->objects.find(key);
    if (it == s_->objects.end()) return Status::NotFound(key);
    return storage::objstore::ObjectInfo{key, it->second.first.size(), it->second.second};
  }
  Result<std::vector<storage::objstore::ObjectInfo>> List(const std::string& prefix) override {
    std::lock_guard<std::mutex> l(s_->mu);
    if (s_->fault) STRATA_RETURN_IF_ERROR(s_->fault("list", prefix));
    std::vector<storage::objstore::ObjectInfo> out;
    for (auto it = s_->objects.lower_bound(prefix);
         it != s_->objects.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      if (s_->hide_from_list && s_->hide_from_list(it->first)) continue;
      out.push_back({it->first, it->second.first.size(), it->second.second});
    }
    return out;
  }
  Status Delete(const std::vector<std::string>& keys) override {
    std::lock_guard<std::mutex> l(s_->mu);
    if (s_->fault && !keys.empty()) STRATA_RETURN_IF_ERROR(s_->fault("delete", keys.front()));
    for (const auto& k : keys) s_->objects.erase(k);
    return Status::Ok();
  }
  std::string Describe() const override { return "mem://"; }

 private:
  std::shared_ptr<State> s_;
};

}  // namespace strata::testutil
