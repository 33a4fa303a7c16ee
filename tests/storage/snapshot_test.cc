// Backup manifest codec (docs/format/backup.md) and the checked object copy that backup and
// restore stream blocks through.
#include "storage/snapshot.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/coding.h"
#include "storage/objstore/local_object_store.h"
#include "testutil/mem_object_store.h"
#include "testutil/process.h"
#include "testutil/select_only_querier.h"

namespace strata::storage {
namespace {

SnapshotManifest Sample() {
  SnapshotManifest m;
  m.name = "20261201T180512Z-3f9a1c2b";
  m.node = "node-3f9a1c2b7d4e";
  m.created_ms = 1796148312000;
  m.min_time = 1795543512000;
  m.max_time = 1796148311000;
  m.blocks.push_back({"node-3f9a1c2b7d4e", "01M8SBZESMMZRDQZBV3AVGCG9G", 4812345, 0x1a2b3c4d});
  m.blocks.push_back({"node-other", "01M8SBZESMMZRDQZBV3AVGCG9H", 7, 0});
  return m;
}

TEST(SnapshotTest, ManifestRoundTrip) {
  const SnapshotManifest m = Sample();
  const std::string json = EncodeManifest(m);
  // The layout the format page shows: fixed field order, a closing CRC line.
  EXPECT_EQ(json.find("{\n  \"format_version\": 1,\n  \"name\": \"20261201T180512Z-3f9a1c2b\""), 0u)
      << json;
  EXPECT_NE(json.find("\"meta_crc32c\": \"1a2b3c4d\""), std::string::npos) << json;
  auto back = DecodeManifest(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->name, m.name);
  EXPECT_EQ(back->node, m.node);
  EXPECT_EQ(back->created_ms, m.created_ms);
  EXPECT_EQ(back->min_time, m.min_time);
  EXPECT_EQ(back->max_time, m.max_time);
  ASSERT_EQ(back->blocks.size(), 2u);
  EXPECT_EQ(back->blocks[0].id, m.blocks[0].id);
  EXPECT_EQ(back->blocks[0].bytes, 4812345u);
  EXPECT_EQ(back->blocks[0].meta_crc32c, 0x1a2b3c4du);
  EXPECT_EQ(back->blocks[1].node, "node-other");
  EXPECT_EQ(EncodeManifest(*back), json);

  // Any changed byte before the CRC line is caught; so are a truncation and empty input.
  for (size_t i = 0; i + 40 < json.size(); i += 7) {
    std::string bad = json;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(DecodeManifest(bad).ok()) << "byte " << i;
  }
  EXPECT_FALSE(DecodeManifest(json.substr(0, json.size() / 2)).ok());
  EXPECT_FALSE(DecodeManifest("").ok());
}

TEST(SnapshotTest, AnUnknownManifestVersionIsRefused) {
  SnapshotManifest m = Sample();
  m.format_version = 2;
  auto r = DecodeManifest(EncodeManifest(m));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("unknown format version 2"), std::string::npos)
      << r.status().ToString();
}

TEST(SnapshotTest, CopyObjectChecksSizeAndChecksumBeforeWriting) {
  testutil::TempDir dir;
  auto src = objstore::LocalObjectStore::Open(dir.path() + "/src", nullptr);
  auto dst = objstore::LocalObjectStore::Open(dir.path() + "/dst", nullptr);
  ASSERT_TRUE(src.ok() && dst.ok());
  const std::string data(3 << 20, 'x');
  ASSERT_TRUE((*src)->Put("a/chunks/000001", data).ok());
  const std::string tmp = dir.path() + "/copy.tmp";

  block::FileInfo good{"chunks/000001", data.size(), Crc32c(data)};
  ASSERT_TRUE(CopyObject(src->get(), "a/chunks/000001", dst->get(), "b", tmp, &good).ok());
  auto copied = (*dst)->Get("b");
  ASSERT_TRUE(copied.ok());
  EXPECT_EQ(*copied, data);
  EXPECT_FALSE(std::filesystem::exists(tmp));

  // The object changed after it was verified: a copy expecting the old CRC writes nothing.
  block::FileInfo stale = good;
  stale.crc32c ^= 1;
  Status s = CopyObject(src->get(), "a/chunks/000001", dst->get(), "c", tmp, &stale);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("checksum mismatch"), std::string::npos) << s.ToString();
  EXPECT_TRUE((*dst)->Get("c").status().IsNotFound());
  EXPECT_FALSE(std::filesystem::exists(tmp));

  block::FileInfo shorter = good;
  shorter.bytes -= 1;
  s = CopyObject(src->get(), "a/chunks/000001", dst->get(), "d", tmp, &shorter);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE((*dst)->Get("d").status().IsNotFound());
}

// Every series of a fixed set, whatever the matchers (enough for BuildBlockFromQuerier).
class FixedQuerier : public testutil::SelectOnlyQuerier {
 public:
  explicit FixedQuerier(std::vector<MaterializedSeries> series) : series_(std::move(series)) {}
  Result<std::unique_ptr<SeriesSet>> Select(const model::Matchers&,
                                            const SelectHints&) const override {
    return MakeMaterializedSeriesSet(series_);
  }

 private:
  std::vector<MaterializedSeries> series_;
};

// A snapshot of a cold store that has not been listed yet (slow or unreachable at start-up)
// lists it first, and fails if it cannot: before, it was written without any cold block and
// looked complete.
TEST(SnapshotTest, AnUnlistedColdStoreIsListedFirstOrTheSnapshotFails) {
  testutil::TempDir dir;
  auto state = std::make_shared<testutil::MemObjectStore::State>();
  ColdOptions co;
  co.node_id = "n1";
  {
    auto cold = ColdStore::Open(std::make_unique<testutil::MemObjectStore>(state), co, nullptr);
    ASSERT_TRUE(cold.ok());
    std::vector<MaterializedSeries> series(1);
    series[0].labels = *model::Labels::FromPairs({{"__name__", "m"}});
    for (int i = 0; i < 100; ++i) series[0].samples.push_back({i * 1000, 1.0 * i});
    block::BlockMeta meta;
    meta.id = "01M8SBZESMMZRDQZBV3AVGCG9G";
    meta.node = "n1";
    meta.source = "warm:0";
    auto built =
        BuildBlockFromQuerier(FixedQuerier(series), INT64_MIN, INT64_MAX, meta, dir.path() + "/b");
    ASSERT_TRUE(built.ok()) << built.status().ToString();
    ASSERT_TRUE((*cold)->Upload(dir.path() + "/b", *built).ok());
  }
  state->fault = [](const std::string& op, const std::string&) {
    return op == "list" ? Status::Unavailable("injected: S3 unreachable") : Status::Ok();
  };
  auto cold = ColdStore::Open(std::make_unique<testutil::MemObjectStore>(state), co, nullptr);
  ASSERT_TRUE(cold.ok());
  ASSERT_FALSE((*cold)->synced());
  auto target = objstore::LocalObjectStore::Open(dir.path() + "/backup", nullptr);
  ASSERT_TRUE(target.ok());
  SnapshotSources sources;
  sources.cold = cold->get();
  sources.node = "n1";
  auto m = WriteSnapshot(sources, "20261205T000000Z-00000000", target->get(), dir.path() + "/s");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().ToString().find("unreachable"), std::string::npos) << m.status().ToString();
  state->fault = nullptr;
  m = WriteSnapshot(sources, "20261205T000000Z-00000001", target->get(), dir.path() + "/s");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->blocks.size(), 1u);
}

}  // namespace
}  // namespace strata::storage
