// Ingest limits (issue 12): --storage.max-series in the head, the label and request limits in the
// shared ingest step, through remote write, OTLP and the rule evaluator's sink.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <thread>

#include "ingest/ingest_pipeline.h"
#include "ingest/otlp_receiver.h"
#include "ingest/remote_write.h"
#include "testutil/otlp.h"
#include "testutil/process.h"
#include "testutil/remote_write.h"

namespace strata::ingest {
namespace {

using testutil::RwSeries;
using testutil::SnappyWriteRequest;
namespace otlp = testutil::otlp;

constexpr const char* kProto = "application/x-protobuf";
constexpr int64_t kT0 = 1'700'000'000'000;

RwSeries Series(const std::string& name, int64_t t = kT0, double v = 1) {
  return {{{"__name__", name}, {"job", "x"}}, {{t, v}}};
}

class IngestLimitsTest : public ::testing::Test {
 protected:
  void Open(uint64_t max_series, IngestLimits limits = {}) {
    receiver_.reset();
    otlp_.reset();
    pipeline_.reset();
    if (head_) {
      ASSERT_TRUE(head_->Close().ok());
    }
    head_.reset();
    registry_ = std::make_unique<prometheus::Registry>();
    storage::HeadOptions o;
    o.series_map_stripes = 16;
    o.max_future_ms = 0;
    o.max_series = max_series;
    o.wal.fsync = storage::WalOptions::FsyncPolicy::kNever;
    auto h = storage::Head::Open(dir_.path(), o, registry_.get());
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    head_ = std::move(h).value();
    pipeline_ = std::make_unique<IngestPipeline>(head_.get(), nullptr, registry_.get(),
                                                 IngestOptions{.limits = limits});
    receiver_ = std::make_unique<RemoteWriteReceiver>(pipeline_.get(), RemoteWriteOptions{});
    otlp_ = std::make_unique<OtlpReceiver>(pipeline_.get(), OtlpOptions{});
  }

  Status Write(const std::vector<RwSeries>& series, WriteSummary* summary = nullptr) {
    WriteSummary local;
    return receiver_->Write(kProto, "snappy", SnappyWriteRequest(series),
                            summary ? summary : &local);
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

  double Rejected(const std::string& protocol, const std::string& reason) {
    for (const auto& f : registry_->Collect()) {
      if (f.name != "strata_ingest_samples_rejected_total") continue;
      for (const auto& m : f.metric) {
        bool p = false, r = false;
        for (const auto& l : m.label) {
          p |= l.name == "protocol" && l.value == protocol;
          r |= l.name == "reason" && l.value == reason;
        }
        if (p && r) return m.counter.value;
      }
    }
    return -1;
  }

  testutil::TempDir dir_;
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<storage::Head> head_;
  std::unique_ptr<IngestPipeline> pipeline_;
  std::unique_ptr<RemoteWriteReceiver> receiver_;
  std::unique_ptr<OtlpReceiver> otlp_;
};

TEST_F(IngestLimitsTest, SeriesLimitAdmitsInOrderAndExistingSeriesKeepIngesting) {
  Open(3);
  WriteSummary summary;
  Status s = Write({Series("a"), Series("b"), Series("c"), Series("d"), Series("e")}, &summary);
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("series limit of 3 reached (--storage.max-series)"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find(R"({"__name__"="d", "job"="x"})"), std::string::npos) << s.message();
  EXPECT_EQ(summary.accepted, 3u);
  EXPECT_EQ(summary.rejected, 2u);
  EXPECT_EQ(Stored("a") + Stored("b") + Stored("c"), 3u);
  EXPECT_EQ(Stored("d") + Stored("e"), 0u);
  EXPECT_EQ(head_->Stats().series, 3u);
  EXPECT_EQ(Rejected("remote_write", "series_limit"), 2);

  // Series already in the head keep ingesting; a new one is still refused.
  EXPECT_TRUE(Write({Series("a", kT0 + 15'000), Series("c", kT0 + 15'000)}).ok());
  EXPECT_EQ(Stored("a"), 2u);
  EXPECT_EQ(Write({Series("f")}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(head_->Stats().series, 3u);
  EXPECT_EQ(Rejected("remote_write", "series_limit"), 3);
}

TEST_F(IngestLimitsTest, SeriesLimitIsExactUnderConcurrentWriters) {
  Open(150);
  std::atomic<uint64_t> accepted{0}, rejected{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 100; ++i) {
        WriteSummary summary;
        (void)Write({Series("m_" + std::to_string(w) + "_" + std::to_string(i))}, &summary);
        accepted += summary.accepted;
        rejected += summary.rejected;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(head_->Stats().series, 150u);
  EXPECT_EQ(accepted.load(), 150u);
  EXPECT_EQ(rejected.load(), 250u);
}

TEST_F(IngestLimitsTest, ReplayNeverDropsASeriesOverTheLimit) {
  Open(0);
  std::vector<RwSeries> ten;
  for (int i = 0; i < 10; ++i) ten.push_back(Series("r" + std::to_string(i)));
  ASSERT_TRUE(Write(ten).ok());
  Open(4);  // Restart with a limit below what the WAL holds.
  EXPECT_EQ(head_->Stats().series, 10u);
  size_t stored = 0;
  for (int i = 0; i < 10; ++i) stored += Stored("r" + std::to_string(i));
  EXPECT_EQ(stored, 10u);
  EXPECT_TRUE(Write({Series("r7", kT0 + 15'000)}).ok());
  EXPECT_EQ(Stored("r7"), 2u);
  Status s = Write({Series("new")});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("series limit of 4"), std::string::npos) << s.message();
}

TEST_F(IngestLimitsTest, LabelLimitsRejectTheSeriesAndKeepTheRest) {
  Open(0,
       IngestLimits{
           .max_labels_per_series = 3, .max_label_name_length = 10, .max_label_value_length = 20});
  struct Case {
    RwSeries series;
    std::string reason;
    std::string fragment;
  };
  const std::string long_value(300, 'v');
  const Case cases[] = {
      {{{{"__name__", "l1"}, {"a", "1"}, {"b", "2"}, {"c", "3"}}, {{kT0, 1}}},
       "too_many_labels",
       "series has 4 labels, over the limit of 3 (--ingest.max-labels-per-series)"},
      {{{{"__name__", "l2"}, {"abcdefghijk", "1"}}, {{kT0, 1}}},
       "label_name_too_long",
       R"(label name "abcdefghijk" is 11 bytes long, over the limit of 10)"},
      {{{{"__name__", "l3"}, {"a", long_value}}, {{kT0, 1}}},
       "label_value_too_long",
       R"(value of label "a" is 300 bytes long, over the limit of 20)"},
      {{{{"__name__", "a_metric_name_of_21_b"}}, {{kT0, 1}}},
       "label_value_too_long",
       R"(value of label "__name__" is 21 bytes long)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    WriteSummary summary;
    // Empty-valued labels are dropped before counting.
    RwSeries ok = {{{"__name__", "fine"}, {"a", "1"}, {"b", ""}, {"c", "3"}}, {{kT0, 1}}};
    Status s = Write({c.series, ok}, &summary);
    ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find(c.fragment), std::string::npos) << s.message();
    EXPECT_EQ(summary.accepted, 1u);
    EXPECT_EQ(summary.rejected, 1u);
  }
  EXPECT_EQ(Rejected("remote_write", "too_many_labels"), 1);
  EXPECT_EQ(Rejected("remote_write", "label_name_too_long"), 1);
  EXPECT_EQ(Rejected("remote_write", "label_value_too_long"), 2);
  EXPECT_EQ(Rejected("remote_write", "invalid_labels"), 0);
  // A 300-byte value is cut in the message, not echoed whole.
  Status s = Write({cases[2].series});
  EXPECT_EQ(s.message().find(long_value), std::string::npos);
  EXPECT_EQ(Stored("fine"), 1u);  // Same sample resent: stored once.
}

TEST_F(IngestLimitsTest, RequestsOverTheSampleLimitAreRefusedWhole) {
  Open(0, IngestLimits{.max_samples_per_request = 5});
  RwSeries three = {{{"__name__", "s"}}, {{kT0, 1}, {kT0 + 1, 2}, {kT0 + 2, 3}}};
  RwSeries other = {{{"__name__", "t"}}, {{kT0, 1}, {kT0 + 1, 2}, {kT0 + 2, 3}}};
  Status s = Write({three, other});
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("request has 6 samples, over the limit of 5 "
                             "(--ingest.max-samples-per-request)"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(Stored("s") + Stored("t"), 0u);
  EXPECT_EQ(Rejected("remote_write", "too_many_samples"), 6);
  bool retry = true;
  EXPECT_EQ(HttpStatusFor(Protocol::kRemoteWrite, s, &retry), 400);
  EXPECT_FALSE(retry);
  EXPECT_TRUE(Write({three}).ok());
  EXPECT_EQ(Stored("s"), 3u);
}

TEST_F(IngestLimitsTest, OtlpReportsLimitsAsPartialSuccess) {
  Open(2, IngestLimits{.max_label_value_length = 40, .max_samples_per_request = 4});
  otlp::Request req;
  auto* sm = otlp::AddResource(&req, {{"service.name", "svc"}});
  otlp::AddGaugePoint(otlp::AddMetric(sm, "g1"), otlp::kT0Ns, 1);
  otlp::AddGaugePoint(otlp::AddMetric(sm, "g2"), otlp::kT0Ns, 1, {{"a", std::string(41, 'x')}});
  otlp::AddGaugePoint(otlp::AddMetric(sm, "g3"), otlp::kT0Ns, 1);
  otlp::AddGaugePoint(otlp::AddMetric(sm, "g4"), otlp::kT0Ns, 1);
  auto r = otlp_->HandleHttp(kProto, "", req.SerializeAsString());
  ASSERT_EQ(r.status, 200);
  otlp::pb_collector::ExportMetricsServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(r.body));
  // g2's label value is too long; g1 and g3 take the two series places; g4 is over the limit.
  EXPECT_EQ(resp.partial_success().rejected_data_points(), 2);
  EXPECT_NE(resp.partial_success().error_message().find("--ingest.max-label-value-length"),
            std::string::npos)
      << resp.partial_success().error_message();
  EXPECT_NE(resp.partial_success().error_message().find("--storage.max-series"), std::string::npos)
      << resp.partial_success().error_message();
  EXPECT_EQ(Stored("g1") + Stored("g3"), 2u);
  EXPECT_EQ(Stored("g4"), 0u);
  EXPECT_EQ(Rejected("otlp_http", "series_limit"), 1);
  EXPECT_EQ(Rejected("otlp_http", "label_value_too_long"), 1);

  otlp::Request big;
  sm = otlp::AddResource(&big, {{"service.name", "svc"}});
  for (int i = 0; i < 5; ++i) {
    otlp::AddGaugePoint(otlp::AddMetric(sm, "g1"), otlp::kT0Ns + (i + 1) * 1'000'000'000ull, 1);
  }
  r = otlp_->HandleHttp(kProto, "", big.SerializeAsString());
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.retry_after);
  EXPECT_EQ(Stored("g1"), 1u);
}

TEST_F(IngestLimitsTest, RecordingRuleOutputCountsAndIsLimitedButNotByRequestSize) {
  Open(2, IngestLimits{.max_samples_per_request = 1});
  // What rules::IngestSink hands the pipeline: one series and one sample per result.
  IngestBatch batch;
  const std::vector<std::string> names = {"job:a:sum", "job:b:sum", "job:c:sum"};
  for (const std::string& name : names) {
    IngestBatch::Series s;
    s.labels_begin = static_cast<uint32_t>(batch.labels.size());
    batch.labels.push_back({"__name__", name});
    s.labels_end = static_cast<uint32_t>(batch.labels.size());
    s.samples_begin = static_cast<uint32_t>(batch.samples.size());
    batch.samples.push_back({kT0, 1.0});
    s.samples_end = static_cast<uint32_t>(batch.samples.size());
    s.unit = static_cast<uint32_t>(batch.series.size());
    batch.series.push_back(s);
  }
  // Three samples in one append, over max_samples_per_request: rule output is exempt from it,
  // but the series limit admits only two of the three series.
  IngestOutcome outcome;
  ASSERT_TRUE(pipeline_->Ingest(Protocol::kRules, &batch, &outcome).ok());
  EXPECT_EQ(outcome.accepted, 2u);
  EXPECT_EQ(outcome.rejected, 1u);
  EXPECT_EQ(head_->Stats().series, 2u);
  EXPECT_EQ(Stored("job:a:sum") + Stored("job:b:sum"), 2u);
  EXPECT_EQ(Stored("job:c:sum"), 0u);
  EXPECT_EQ(Rejected("rules", "series_limit"), 1);
  // Remote write now finds the head full.
  EXPECT_EQ(Write({Series("rw")}).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::ingest
