// LocalObjectStore: Put/Get/GetRange/Stat/List/Delete, atomic replacement (temporary files are
// never listed and never seen half-written), bad keys, directory clean-up, concurrency, metrics.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "storage/objstore/local_object_store.h"
#include "testutil/process.h"

namespace strata::storage::objstore {
namespace {

namespace fs = std::filesystem;

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() + "/store";
    auto s = LocalObjectStore::Open(root_, &registry_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }

  std::vector<std::string> Keys(const std::string& prefix) {
    Result<std::vector<ObjectInfo>> l = store_->List(prefix);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    std::vector<std::string> keys;
    if (l.ok()) {
      for (const ObjectInfo& o : *l) keys.push_back(o.key);
    }
    return keys;
  }

  double Counter(const std::string& name, const std::string& op = "") {
    for (const auto& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (const auto& m : family.metric) {
        bool match = op.empty();
        for (const auto& l : m.label) match |= (l.name == "op" && l.value == op);
        if (match) return m.counter.value;
      }
    }
    return -1;
  }

  testutil::TempDir dir_;
  std::string root_;
  prometheus::Registry registry_;
  std::unique_ptr<LocalObjectStore> store_;
};

TEST_F(LocalObjectStoreTest, PutGetStatRange) {
  ASSERT_TRUE(store_->Put("node-1/block/chunks/000001", "0123456789").ok());
  EXPECT_EQ(*store_->Get("node-1/block/chunks/000001"), "0123456789");
  EXPECT_EQ(testutil::ReadFile(root_ + "/node-1/block/chunks/000001"), "0123456789");
  Result<ObjectInfo> st = store_->Stat("node-1/block/chunks/000001");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->key, "node-1/block/chunks/000001");
  EXPECT_EQ(st->size, 10u);
  EXPECT_GT(st->last_modified_ms, 1600000000000);

  EXPECT_EQ(*store_->GetRange("node-1/block/chunks/000001", {2, 3}), "234");
  EXPECT_EQ(*store_->GetRange("node-1/block/chunks/000001", {0, 10}), "0123456789");
  EXPECT_EQ(*store_->GetRange("node-1/block/chunks/000001", {10, 0}), "");
  EXPECT_EQ(*store_->GetRange("node-1/block/chunks/000001", {9, 1}), "9");
  for (ByteRange past : {ByteRange{9, 2}, ByteRange{11, 0}, ByteRange{0, 11},
                         ByteRange{UINT64_MAX, 2}, ByteRange{2, UINT64_MAX}}) {
    Result<std::string> r = store_->GetRange("node-1/block/chunks/000001", past);
    EXPECT_TRUE(r.status().IsInvalidArgument()) << past.offset << "+" << past.length;
  }

  // Replacing keeps one object; empty objects are objects.
  ASSERT_TRUE(store_->Put("node-1/block/chunks/000001", "new").ok());
  EXPECT_EQ(*store_->Get("node-1/block/chunks/000001"), "new");
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(*store_->Get("empty"), "");
  EXPECT_EQ(store_->Stat("empty")->size, 0u);
  // Binary content round-trips.
  std::string binary(70000, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 131);
  ASSERT_TRUE(store_->Put("bin", binary).ok());
  EXPECT_EQ(*store_->Get("bin"), binary);
}

TEST_F(LocalObjectStoreTest, MissingObjectsAreNotFound) {
  ASSERT_TRUE(store_->Put("a/b", "x").ok());
  EXPECT_TRUE(store_->Get("nope").status().IsNotFound());
  EXPECT_TRUE(store_->GetRange("nope", {0, 1}).status().IsNotFound());
  EXPECT_TRUE(store_->Stat("nope").status().IsNotFound());
  // A directory of other keys is not an object, nor is a path through a file.
  EXPECT_TRUE(store_->Get("a").status().IsNotFound());
  EXPECT_TRUE(store_->Stat("a").status().IsNotFound());
  EXPECT_TRUE(store_->Get("a/b/c").status().IsNotFound());
  EXPECT_NE(store_->Get("nope").status().message().find("nope"), std::string::npos);
}

TEST_F(LocalObjectStoreTest, BadKeysAreInvalidArgumentEverywhere) {
  ASSERT_TRUE(store_->Put("ok", "x").ok());
  for (const char* bad : {"", "/etc/passwd", "../escape", "a/../../escape", "a//b", "a/", ".",
                          "a/./b", ".strata-tmp.x"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(store_->Put(bad, "x").IsInvalidArgument());
    EXPECT_TRUE(store_->Get(bad).status().IsInvalidArgument());
    EXPECT_TRUE(store_->GetRange(bad, {0, 1}).status().IsInvalidArgument());
    EXPECT_TRUE(store_->Stat(bad).status().IsInvalidArgument());
    EXPECT_TRUE(store_->Delete({"ok", bad}).IsInvalidArgument());
  }
  // Nothing escaped the root, and the invalid batch deleted nothing.
  EXPECT_FALSE(fs::exists(dir_.path() + "/escape"));
  EXPECT_EQ(*store_->Get("ok"), "x");
  EXPECT_TRUE(store_->List("../").status().IsInvalidArgument());
  EXPECT_TRUE(store_->List("/abs").status().IsInvalidArgument());
}

TEST_F(LocalObjectStoreTest, ListIsRecursiveSortedAndPrefixed) {
  for (const char* k : {"n2/b/z", "n1/b2/c", "n1/b/c", "n1/b/a", "n10/x", "top"}) {
    ASSERT_TRUE(store_->Put(k, k).ok());
  }
  EXPECT_EQ(Keys(""),
            (std::vector<std::string>{"n1/b/a", "n1/b/c", "n1/b2/c", "n10/x", "n2/b/z", "top"}));
  EXPECT_EQ(Keys("n1/"), (std::vector<std::string>{"n1/b/a", "n1/b/c", "n1/b2/c"}));
  // A prefix is a string prefix, not a directory.
  EXPECT_EQ(Keys("n1"), (std::vector<std::string>{"n1/b/a", "n1/b/c", "n1/b2/c", "n10/x"}));
  EXPECT_EQ(Keys("n1/b"), (std::vector<std::string>{"n1/b/a", "n1/b/c", "n1/b2/c"}));
  EXPECT_EQ(Keys("n1/b/c"), (std::vector<std::string>{"n1/b/c"}));
  EXPECT_TRUE(Keys("n3/").empty());
  EXPECT_TRUE(Keys("top/x").empty());
  Result<std::vector<ObjectInfo>> l = store_->List("n2");
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0].size, 6u);
}

TEST_F(LocalObjectStoreTest, TemporaryFilesAreNeverListedOrRead) {
  ASSERT_TRUE(store_->Put("blk/meta.json", "{}").ok());
  // What a crashed Put leaves behind.
  std::ofstream(root_ + "/blk/.strata-tmp.meta.json.123.0") << "half";
  std::ofstream(root_ + "/.strata-tmp.top.1.1") << "half";
  EXPECT_EQ(Keys(""), (std::vector<std::string>{"blk/meta.json"}));
  EXPECT_EQ(Keys("blk/.strata"), std::vector<std::string>{});
  // After a successful Put no temporary file remains.
  ASSERT_TRUE(store_->Put("blk/chunks", "c").ok());
  int tmp = 0;
  for (const auto& e : fs::recursive_directory_iterator(root_ + "/blk")) {
    tmp += e.path().filename().string().starts_with(".strata-tmp.") ? 1 : 0;
  }
  EXPECT_EQ(tmp, 1);  // Only the planted one.
  // The next Open removes those older than an hour (another process may be writing a new one).
  fs::last_write_time(root_ + "/blk/.strata-tmp.meta.json.123.0",
                      fs::file_time_type::clock::now() - std::chrono::hours(2));
  auto again = LocalObjectStore::Open(root_, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(fs::exists(root_ + "/blk/.strata-tmp.meta.json.123.0"));
  EXPECT_TRUE(fs::exists(root_ + "/.strata-tmp.top.1.1"));
  EXPECT_EQ(Keys(""), (std::vector<std::string>{"blk/chunks", "blk/meta.json"}));
}

TEST_F(LocalObjectStoreTest, ReadersNeverSeeAPartialObject) {
  const std::string a(1 << 20, 'a');
  const std::string b(1 << 20, 'b');
  ASSERT_TRUE(store_->Put("obj", a).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!stop) {
      Result<std::string> r = store_->Get("obj");
      if (!r.ok() || (*r != a && *r != b)) ++bad;
      Result<std::vector<ObjectInfo>> l = store_->List("");
      if (!l.ok() || l->size() != 1 || (*l)[0].key != "obj" || (*l)[0].size != a.size()) ++bad;
    }
  });
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(store_->Put("obj", i % 2 ? a : b).ok());
  stop = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(LocalObjectStoreTest, DeleteRemovesFilesAndEmptyDirectories) {
  for (const char* k : {"n1/b1/meta", "n1/b1/chunks/1", "n1/b2/meta", "top"}) {
    ASSERT_TRUE(store_->Put(k, "x").ok());
  }
  ASSERT_TRUE(store_->Delete({"n1/b1/chunks/1", "n1/b1/meta", "never/existed", "n1"}).ok());
  EXPECT_FALSE(fs::exists(root_ + "/n1/b1"));  // Emptied, so removed.
  EXPECT_TRUE(fs::exists(root_ + "/n1/b2/meta"));
  EXPECT_EQ(Keys(""), (std::vector<std::string>{"n1/b2/meta", "top"}));
  ASSERT_TRUE(store_->Delete({"n1/b2/meta", "top"}).ok());
  EXPECT_TRUE(Keys("").empty());
  EXPECT_TRUE(fs::exists(root_));  // The root stays.
  EXPECT_TRUE(fs::is_empty(root_));
  ASSERT_TRUE(store_->Delete({}).ok());
  // Put works again into a removed directory.
  ASSERT_TRUE(store_->Put("n1/b1/meta", "y").ok());
  EXPECT_EQ(*store_->Get("n1/b1/meta"), "y");
}

TEST_F(LocalObjectStoreTest, ConcurrentPutAndDeleteOfSiblings) {
  // Delete removing an emptied directory races with Put creating a file in it.
  std::atomic<int> failures{0};
  std::thread deleter([&] {
    for (int i = 0; i < 300; ++i) {
      if (!store_->Put("d/x/a", "1").ok() || !store_->Delete({"d/x/a"}).ok()) ++failures;
    }
  });
  for (int i = 0; i < 300; ++i) {
    if (!store_->Put("d/x/b" + std::to_string(i), "2").ok()) ++failures;
  }
  deleter.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Keys("d/").size(), 300u);
}

TEST_F(LocalObjectStoreTest, PutFileCopiesAndKeyConflicts) {
  const std::string src = dir_.path() + "/src";
  std::string content(3 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i % 251);
  std::ofstream(src, std::ios::binary) << content;
  ASSERT_TRUE(store_->PutFile("blk/index", src).ok());
  EXPECT_EQ(*store_->Get("blk/index"), content);
  Status missing = store_->PutFile("blk/other", dir_.path() + "/missing");
  EXPECT_EQ(missing.code(), StatusCode::kIOError);
  EXPECT_NE(missing.message().find("missing"), std::string::npos);
  EXPECT_TRUE(Keys("blk/other").empty());
  // A key that is a directory of other keys cannot be written in a local store.
  EXPECT_TRUE(store_->Put("blk", "x").IsInvalidArgument());
}

TEST_F(LocalObjectStoreTest, OpenValidatesTheRoot) {
  EXPECT_TRUE(LocalObjectStore::Open("relative/dir", nullptr).status().IsInvalidArgument());
  EXPECT_TRUE(LocalObjectStore::Open("/", nullptr).status().IsInvalidArgument());
  std::ofstream(dir_.path() + "/file") << "x";
  EXPECT_EQ(LocalObjectStore::Open(dir_.path() + "/file", nullptr).status().code(),
            StatusCode::kIOError);
  auto again = LocalObjectStore::Open(root_ + "/", nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Describe(), "file://" + root_);
}

TEST_F(LocalObjectStoreTest, ExportsMetrics) {
  ASSERT_TRUE(store_->Put("a", "12345").ok());
  ASSERT_TRUE(store_->Get("a").ok());
  ASSERT_TRUE(store_->GetRange("a", {1, 2}).ok());
  EXPECT_TRUE(store_->Get("missing").status().IsNotFound());
  EXPECT_FALSE(store_->Put("../x", "1").ok());
  EXPECT_EQ(Counter("strata_objstore_requests_total", "put"), 2);
  EXPECT_EQ(Counter("strata_objstore_requests_total", "get"), 2);
  EXPECT_EQ(Counter("strata_objstore_request_errors_total", "put"), 1);
  EXPECT_EQ(Counter("strata_objstore_request_errors_total", "get"), 0);  // NotFound is an answer.
  EXPECT_EQ(Counter("strata_objstore_bytes_uploaded_total"), 5);
  EXPECT_EQ(Counter("strata_objstore_bytes_downloaded_total"), 7);
  // A second store on the same registry shares the counters.
  auto second = LocalObjectStore::Open(dir_.path() + "/second", &registry_);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE((*second)->Put("b", "1").ok());
  EXPECT_EQ(Counter("strata_objstore_requests_total", "put"), 3);
}

}  // namespace
}  // namespace strata::storage::objstore
