#include "ingest/remote_write.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "ingest/write_request.h"
#include "testutil/process.h"
#include "testutil/remote_write.h"

namespace strata::ingest {
namespace {

using testutil::RwSeries;
using testutil::SnappyWriteRequest;

constexpr const char* kProto = "application/x-protobuf";

class RemoteWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::HeadOptions o;
    o.series_map_stripes = 16;
    o.wal.fsync = storage::WalOptions::FsyncPolicy::kNever;
    auto h = storage::Head::Open(dir_.path(), o, &registry_);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    head_ = std::move(h).value();
    RemoteWriteOptions ro;
    ro.max_decoded_bytes = 1 << 20;
    receiver_ = std::make_unique<RemoteWriteReceiver>(head_.get(), &metadata_, &registry_, ro);
  }

  Status Write(const std::string& body, WriteSummary* summary = nullptr, const char* type = kProto,
               const char* encoding = "snappy") {
    WriteSummary local;
    return receiver_->Write(type, encoding, body, summary ? summary : &local);
  }

  size_t Stored(const std::string& metric) {
    auto sel = storage::SelectAll(*head_, {model::Matcher::Equal("__name__", metric)}, INT64_MIN,
                                  INT64_MAX);
    size_t n = 0;
    if (sel.ok()) {
      for (const auto& s : *sel) n += s.samples.size();
    }
    return n;
  }

  testutil::TempDir dir_;
  prometheus::Registry registry_;
  storage::MetadataStore metadata_;
  std::unique_ptr<storage::Head> head_;
  std::unique_ptr<RemoteWriteReceiver> receiver_;
};

RwSeries Good(std::string name, int64_t t = 1000, double v = 1) {
  return {{{"__name__", std::move(name)}, {"job", "x"}}, {{t, v}}};
}

TEST_F(RemoteWriteTest, AcceptsAValidBatch) {
  WriteSummary summary;
  Status s =
      Write(SnappyWriteRequest({Good("a"), Good("b"), {{{"__name__", "c"}}, {{1, 1}, {2, 2}}}}),
            &summary);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(summary.series, 3u);
  EXPECT_EQ(summary.samples, 4u);
  EXPECT_EQ(summary.accepted, 4u);
  EXPECT_EQ(Stored("c"), 2u);
}

TEST_F(RemoteWriteTest, EmptyLabelValuesAreDropped) {
  ASSERT_TRUE(
      Write(SnappyWriteRequest({{{{"__name__", "e"}, {"empty", ""}, {"job", "x"}}, {{1, 1}}}}))
          .ok());
  auto series = head_->Series({model::Matcher::Equal("__name__", "e")}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(series->size(), 1u);
  EXPECT_EQ((*series)[0].ToString(), R"({__name__="e", job="x"})");
}

TEST_F(RemoteWriteTest, BadSeriesAreRejectedAndTheRestKept) {
  struct Case {
    RwSeries series;
    std::string fragment;
  };
  std::vector<Case> cases = {
      {{{{"job", "x"}, {"__name__", "unsorted"}}, {{1, 1}}}, "labels are not sorted"},
      {{{{"__name__", "dup"}, {"a", "1"}, {"a", "2"}}, {{1, 1}}}, "duplicate label name \"a\""},
      {{{{"__name__", "1bad"}}, {{1, 1}}}, "invalid metric name \"1bad\""},
      {{{{"__name__", "m"}, {"a-b", "1"}}, {{1, 1}}}, "invalid label name \"a-b\""},
      {{{{"", "v"}, {"__name__", "m"}}, {{1, 1}}}, "invalid label name \"\""},
      {{{{"job", "x"}}, {{1, 1}}}, "missing metric name"},
      {{{{"__name__", "m"}, {"job", std::string("\xc3\x28", 2)}}, {{1, 1}}},
       "invalid UTF-8 in value of label \"job\""},
  };
  for (const auto& c : cases) {
    WriteSummary summary;
    Status s = Write(SnappyWriteRequest({c.series, Good("kept_" + std::to_string(&c - &cases[0]))}),
                     &summary);
    EXPECT_TRUE(s.IsInvalidArgument()) << c.fragment;
    EXPECT_NE(s.message().find(c.fragment), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("1 of 2 samples rejected, 1 accepted"), std::string::npos)
        << s.message();
    EXPECT_EQ(Stored("kept_" + std::to_string(&c - &cases[0])), 1u);
  }
}

TEST_F(RemoteWriteTest, MalformedBodiesAreRejectedWhole) {
  std::string good = SnappyWriteRequest({Good("whole")});
  // Truncated snappy.
  Status s = Write(good.substr(0, good.size() / 2));
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("snappy"), std::string::npos) << s.message();
  // Not snappy at all.
  s = Write("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
  EXPECT_TRUE(s.IsInvalidArgument());
  // Snappy of garbage protobuf.
  s = Write(testutil::Snappy("\x0a\xff\xff\xff\x0fgarbage"));
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("malformed protobuf"), std::string::npos) << s.message();
  // A timestamp sent as a double (wrong wire type).
  std::string wrong_wire = "\x0a\x0d\x12\x0b\x11\x00\x00\x00\x00\x00\x00\xf8\x7f\x10\x01";
  s = Write(testutil::Snappy(wrong_wire));
  EXPECT_TRUE(s.IsInvalidArgument());
  // Oversized after decompression (limit 1 MiB here).
  s = Write(testutil::Snappy(std::string(2 << 20, '\0')));
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("over the limit"), std::string::npos) << s.message();
  EXPECT_EQ(Stored("whole"), 0u);
  // The receiver still works afterwards.
  EXPECT_TRUE(Write(good).ok());
  EXPECT_EQ(Stored("whole"), 1u);
}

TEST_F(RemoteWriteTest, ContentTypeAndEncodingAreChecked) {
  std::string body = SnappyWriteRequest({Good("ct")});
  EXPECT_EQ(Write(body, nullptr, "application/json").code(), StatusCode::kNotSupported);
  EXPECT_EQ(Write(body, nullptr, kProto, "gzip").code(), StatusCode::kNotSupported);
  EXPECT_EQ(Write(body, nullptr, kProto, "").code(), StatusCode::kNotSupported);
  EXPECT_EQ(
      Write(body, nullptr, "application/x-protobuf;proto=io.prometheus.write.v2.Request").code(),
      StatusCode::kNotSupported);
  EXPECT_TRUE(Write(body, nullptr, "application/x-protobuf;proto=prometheus.WriteRequest").ok());
  EXPECT_TRUE(Write(body, nullptr, "").ok());  // Old senders omit it.
}

TEST_F(RemoteWriteTest, OutOfOrderAndDuplicateSamplesAreReported) {
  ASSERT_TRUE(Write(SnappyWriteRequest({Good("o", 2000, 1)})).ok());
  EXPECT_TRUE(Write(SnappyWriteRequest({Good("o", 2000, 1)})).ok());  // exact resend
  Status s = Write(SnappyWriteRequest({Good("o", 2000, 9)}));
  EXPECT_NE(s.message().find("duplicate sample for timestamp 2000"), std::string::npos);
  s = Write(SnappyWriteRequest({Good("o", 1000, 1)}));
  EXPECT_NE(s.message().find("out of order sample"), std::string::npos);
  EXPECT_EQ(Stored("o"), 1u);
  auto families = registry_.Collect();
  bool found = false;
  for (const auto& f : families) {
    if (f.name != "strata_ingest_samples_rejected_total") continue;
    for (const auto& m : f.metric) {
      bool remote_write = false, out_of_order = false;
      for (const auto& l : m.label) {
        remote_write |= l.name == "protocol" && l.value == "remote_write";
        out_of_order |= l.name == "reason" && l.value == "out_of_order";
      }
      if (remote_write && out_of_order) {
        EXPECT_EQ(m.counter.value, 1);
        found = true;
      }
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(RemoteWriteTest, MetadataIsStored) {
  strata::proto::WriteRequest req;
  auto* md = req.add_metadata();
  md->set_type(strata::proto::MetricMetadata::COUNTER);
  md->set_metric_family_name("http_requests_total");
  md->set_help("Requests.");
  ASSERT_TRUE(Write(testutil::Snappy(req.SerializeAsString())).ok());
  auto list = metadata_.List("", 0);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].type, "counter");
  EXPECT_EQ(list[0].help, "Requests.");
}

TEST(WriteRequestDecodeTest, TruncationsNeverCrash) {
  std::string raw = testutil::EncodeWriteRequest(
      {{{{"__name__", "a"}, {"b", "c"}}, {{1, 1.5}, {2, 2.5}}}, {{{"__name__", "d"}}, {{3, 3}}}});
  WriteRequestView view;
  ASSERT_TRUE(DecodeWriteRequest(raw, &view).ok());
  ASSERT_EQ(view.series.size(), 2u);
  EXPECT_EQ(view.LabelsOf(view.series[0])[1].value, "c");
  EXPECT_EQ(view.SamplesOf(view.series[0])[1].value, 2.5);
  for (size_t n = 0; n < raw.size(); ++n) {
    WriteRequestView v;
    DecodeWriteRequest(std::string_view(raw).substr(0, n), &v).IgnoreError();  // Must not crash.
  }
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string flipped = raw;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
    WriteRequestView v;
    DecodeWriteRequest(flipped, &v).IgnoreError();  // Must not crash.
  }
}

}  // namespace
}  // namespace strata::ingest
