// A real Head (WAL included) in a private temporary directory for the targets that feed the
// ingest path, so a fuzz input goes through decoding, validation, the head's checks and the WAL.
// The head is replaced by an empty one every `runs_per_head` inputs to bound memory (series and
// WAL accumulate); between replacements an input sees the series of earlier inputs, which only
// affects out-of-order rejections. Confined to the fuzzing thread.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "fuzz/fuzz_target.h"
#include "storage/head.h"
#include "storage/metadata_store.h"

namespace strata::fuzz {

class FuzzHead {
 public:
  explicit FuzzHead(int runs_per_head) : runs_per_head_(runs_per_head) {}
  ~FuzzHead() { Drop(); }
  FuzzHead(const FuzzHead&) = delete;
  FuzzHead& operator=(const FuzzHead&) = delete;

  // The current head, a new one after every `runs_per_head` calls.
  storage::Head* Next() {
    if (head_ != nullptr && ++runs_ < runs_per_head_) return head_.get();
    Drop();
    runs_ = 0;
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "strata-fuzz-head-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) FuzzFail("mkdtemp failed");
    dir_ = tmpl;
    storage::HeadOptions o;
    o.series_map_stripes = 16;
    o.postings_cache_bytes = 1 << 20;
    o.chunk_cache_bytes = 1 << 20;
    o.replay_workers = 0;
    o.wal.fsync = storage::WalOptions::FsyncPolicy::kNever;
    o.wal.segment_size_bytes = storage::WalOptions::kMinSegmentBytes;
    auto head = storage::Head::Open(dir_, o, nullptr);
    if (!head.ok()) FuzzFail("cannot open a head: " + head.status().ToString());
    head_ = std::move(head).value();
    metadata_ = std::make_unique<storage::MetadataStore>();
    return head_.get();
  }
  storage::MetadataStore* metadata() { return metadata_.get(); }

 private:
  void Drop() {
    metadata_.reset();
    if (head_ != nullptr) {
      head_->Close().IgnoreError();  // Nothing to keep: the directory is removed next.
      head_.reset();
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  const int runs_per_head_;
  int runs_ = 0;
  std::string dir_;
  std::unique_ptr<storage::Head> head_;
  std::unique_ptr<storage::MetadataStore> metadata_;
};

}  // namespace strata::fuzz
