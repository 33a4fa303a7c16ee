// End to end against the real Prometheus (`make deps` installs it): Prometheus scrapes itself
// and Strata's /metrics every second and remote-writes everything to Strata. Then every series
// in Prometheus' own TSDB must be in Strata's data directory with exactly the same samples, and
// Strata must hold no series Prometheus lacks.
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "model/labels.h"
#include "model/matcher.h"
#include "model/sample.h"
#include "storage/head.h"
#include "testutil/process.h"
#include "testutil/prometheus.h"

namespace strata {
namespace {

using testutil::Json;

// The raw-sample query's range: longer than the whole run, so it returns every sample.
constexpr int64_t kWindowMs = int64_t{10} * 60 * 1000;
// Scrapes of each target to wait for before picking the cutoff.
constexpr int kMinScrapes = 12;

// One scrape per second of Prometheus itself and of Strata, everything remote-written to
// Strata. A single shard sends samples in WAL order, so once a sample newer than the cutoff
// (plus the scrape timeout) has been sent, every sample up to the cutoff has been sent.
std::string PrometheusConfig(uint16_t prom_port, uint16_t strata_port) {
  std::string config = R"(global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:PROM_PORT']}]
  - job_name: strata
    metrics_path: /metrics
    static_configs: [{targets: ['127.0.0.1:STRATA_PORT']}]
remote_write:
  - url: http://127.0.0.1:STRATA_PORT/api/v1/write
    queue_config: {min_shards: 1, max_shards: 1, batch_send_deadline: 1s,
                   min_backoff: 100ms, max_backoff: 1s}
    metadata_config: {send_interval: 1s}
)";
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (size_t at = config.find(from); at != std::string::npos; at = config.find(from, at)) {
      config.replace(at, from.size(), to);
    }
  };
  replace_all("PROM_PORT", std::to_string(prom_port));
  replace_all("STRATA_PORT", std::to_string(strata_port));
  return config;
}

// WaitFor polls every 10 ms; this evaluates `cond` at most once per `period` (false in
// between), so that polling does not load Prometheus with thousands of queries.
std::function<bool()> AtMostEvery(std::chrono::milliseconds period, std::function<bool()> cond) {
  auto next = std::chrono::steady_clock::now();
  return [period, next, cond = std::move(cond)]() mutable {
    auto now = std::chrono::steady_clock::now();
    if (now < next) return false;
    next = now + period;
    return cond();
  };
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Milliseconds as the seconds Prometheus' API takes: 1700000000123 -> "1700000000.123".
std::string ApiTime(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

// The inverse, exactly: Prometheus prints sample times as seconds with up to 3 decimals.
std::optional<int64_t> ParseApiTime(const std::string& text) {
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || frac.size() > 3) return std::nullopt;
  frac.resize(3, '0');
  int64_t s = 0;
  int64_t ms = 0;
  auto r1 = std::from_chars(whole.data(), whole.data() + whole.size(), s);
  auto r2 = std::from_chars(frac.data(), frac.data() + frac.size(), ms);
  if (r1.ec != std::errc() || r1.ptr != whole.data() + whole.size() || r2.ec != std::errc() ||
      r2.ptr != frac.data() + frac.size()) {
    return std::nullopt;
  }
  return s * 1000 + ms;
}

// A sample value as Prometheus prints it ("1.5", "NaN", "+Inf", "1e-05"): shortest round-trip
// form, so strtod gives back the exact double.
std::optional<double> ParseApiValue(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return std::nullopt;
  return v;
}

// Equal bit for bit, except that any NaN equals any NaN (the API does not show NaN bits).
bool SameValue(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

struct PromSeries {
  model::Labels labels;
  std::vector<model::Sample> samples;
};

// Parses the matrix a range-vector query returns. Returns false with `error` set.
bool ParseMatrix(const Json& result, std::vector<PromSeries>* out, std::string* error) {
  if (!result.is_array()) {
    *error = "result is not an array";
    return false;
  }
  for (const Json& item : result.items) {
    const Json* metric = item.Find("metric");
    const Json* values = item.Find("values");
    if (metric == nullptr || !metric->is_object() || values == nullptr || !values->is_array()) {
      *error = "series without metric/values";
      return false;
    }
    std::vector<model::Label> pairs;
    for (size_t i = 0; i < metric->keys.size(); ++i) {
      pairs.push_back({metric->keys[i], metric->items[i].text});
    }
    auto labels = model::Labels::FromPairs(std::move(pairs));
    if (!labels.ok()) {
      *error = "bad labels: " + labels.status().ToString();
      return false;
    }
    PromSeries series{*labels, {}};
    for (const Json& point : values->items) {
      std::optional<int64_t> t;
      std::optional<double> v;
      if (point.is_array() && point.items.size() == 2) {
        t = ParseApiTime(point.items[0].text);
        v = ParseApiValue(point.items[1].text);
      }
      if (!t || !v) {
        *error = "bad point in " + series.labels.ToString();
        return false;
      }
      series.samples.push_back({*t, *v});
    }
    out->push_back(std::move(series));
  }
  return true;
}

// The shortest text that reads back as exactly `v`.
std::string FormatValue(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

std::string FormatSamples(const std::vector<model::Sample>& samples, size_t max = 40) {
  std::ostringstream os;
  for (size_t i = 0; i < samples.size() && i < max; ++i) {
    os << (i ? " " : "") << samples[i].timestamp_ms << ":" << FormatValue(samples[i].value);
  }
  if (samples.size() > max) os << " ...(" << samples.size() << " samples)";
  return os.str();
}

// "" when `want` (from Prometheus) and `got` (from Strata, stale markers removed) agree,
// otherwise a description of the first difference.
std::string FirstDifference(const std::vector<model::Sample>& want,
                            const std::vector<model::Sample>& got) {
  for (size_t i = 0; i < want.size() || i < got.size(); ++i) {
    if (i >= want.size() || i >= got.size() || want[i].timestamp_ms != got[i].timestamp_ms ||
        !SameValue(want[i].value, got[i].value)) {
      std::ostringstream os;
      os << "first difference at index " << i << " (prometheus has " << want.size()
         << " samples, strata " << got.size() << ")";
      if (i < want.size()) {
        os << "; prometheus " << want[i].timestamp_ms << ":" << FormatValue(want[i].value);
      }
      if (i < got.size()) {
        os << "; strata " << got[i].timestamp_ms << ":" << FormatValue(got[i].value);
      }
      os << "\n  prometheus: " << FormatSamples(want) << "\n  strata:     " << FormatSamples(got);
      return os.str();
    }
  }
  return "";
}

std::vector<model::Sample> WithoutStaleMarkers(const std::vector<model::Sample>& samples) {
  std::vector<model::Sample> out;
  for (const auto& s : samples) {
    if (!model::IsStaleNaN(s.value)) out.push_back(s);
  }
  return out;
}

TEST(PrometheusE2ETest, EverySeriesPrometheusSentIsStoredWithTheSameValues) {
  ASSERT_TRUE(std::filesystem::exists(testutil::kPrometheusBinary))
      << testutil::kPrometheusBinary
      << " is missing: this test needs the real Prometheus (Debian package `prometheus`); "
         "run `make deps`";

  testutil::TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  std::string data_dir = tmp.path() + "/data";
  testutil::StrataServer strata;
  ASSERT_TRUE(strata.Start(data_dir)) << strata.Log();
  const uint16_t strata_port = strata.port();

  testutil::PrometheusServer prom;
  std::string error;
  ASSERT_TRUE(prom.Start(
      tmp.path() + "/prometheus",
      [&](uint16_t prom_port) { return PrometheusConfig(prom_port, strata_port); }, &error))
      << error;

  const char* kRemoteMetrics[] = {
      "prometheus_remote_storage_samples_in_total",
      "prometheus_remote_storage_samples_total",
      "prometheus_remote_storage_samples_failed_total",
      "prometheus_remote_storage_samples_retried_total",
      "prometheus_remote_storage_samples_dropped_total",
      "prometheus_remote_storage_samples_pending",
      "prometheus_remote_storage_metadata_total",
      "prometheus_remote_storage_metadata_failed_total",
      "prometheus_remote_storage_metadata_retried_total",
      "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
  };
  auto remote_metrics = [&] {
    std::ostringstream os;
    os.precision(15);
    auto r = testutil::HttpGet(prom.port(), "/metrics");
    for (const char* name : kRemoteMetrics) {
      auto v = testutil::SumOfMetric(r.body, name);
      os << "  " << name << " = ";
      if (v) {
        os << *v << "\n";
      } else {
        os << "absent\n";
      }
    }
    return os.str();
  };
  auto diagnostics = [&] {
    return "\nprometheus remote storage metrics:\n" + remote_metrics() + "strata log tail:\n" +
           testutil::Tail(strata.Log()) + "\nprometheus log tail:\n" + testutil::Tail(prom.Log());
  };

  // Both targets up and scraped kMinScrapes times (the first scrape waits for service
  // discovery, about 5 s).
  bool scraped =
      testutil::WaitFor(AtMostEvery(std::chrono::milliseconds(200),
                                    [&] {
                                      auto up = prom.QueryValue("count(up == 1)");
                                      auto n = prom.QueryValue("min(count_over_time(up[5m]))");
                                      return up && *up == 2 && n && *n >= kMinScrapes;
                                    }),
                        std::chrono::seconds(60));
  ASSERT_TRUE(scraped) << "prometheus did not scrape both targets " << kMinScrapes << " times"
                       << diagnostics();

  // Everything up to the cutoff must reach Strata: wait until a sample well after it was sent.
  const int64_t cutoff_ms = NowMs() - 5000;
  // The metric is in whole seconds; the goal is at least 4 s past the cutoff.
  const int64_t sent_goal_s = cutoff_ms / 1000 + 5;
  bool sent = testutil::WaitFor(
      AtMostEvery(std::chrono::milliseconds(100),
                  [&] {
                    auto s = prom.SelfMetric(
                        "prometheus_remote_storage_queue_highest_sent_timestamp_seconds");
                    return s && *s >= static_cast<double>(sent_goal_s);
                  }),
      std::chrono::seconds(30));
  ASSERT_TRUE(sent) << "remote write did not get past " << sent_goal_s << diagnostics();

  // Every raw sample in Prometheus' TSDB in (cutoff - window, cutoff].
  auto result = prom.Query("{__name__=~\".+\"}[" + std::to_string(kWindowMs / 1000) + "s]",
                           ApiTime(cutoff_ms), &error);
  ASSERT_TRUE(result.has_value()) << error << diagnostics();
  std::vector<PromSeries> prom_series;
  ASSERT_TRUE(ParseMatrix(*result, &prom_series, &error)) << error;
  std::string final_remote_metrics = remote_metrics();
  auto prom_metrics = testutil::HttpGet(prom.port(), "/metrics").body;
  auto counter = [&](const char* name) {
    return testutil::SumOfMetric(prom_metrics, name).value_or(-1);
  };
  EXPECT_EQ(counter("prometheus_remote_storage_samples_failed_total"), 0) << diagnostics();
  EXPECT_EQ(counter("prometheus_remote_storage_samples_dropped_total"), 0) << diagnostics();
  EXPECT_EQ(counter("prometheus_remote_storage_samples_retried_total"), 0) << diagnostics();
  EXPECT_EQ(counter("prometheus_remote_storage_metadata_failed_total"), 0) << diagnostics();
  EXPECT_GT(counter("prometheus_remote_storage_metadata_total"), 0) << diagnostics();

  std::string prom_log_tail = testutil::Tail(prom.Log());
  EXPECT_EQ(prom.process().Stop(SIGTERM, std::chrono::seconds(30)), 0) << prom.Log();
  EXPECT_EQ(strata.process().Stop(SIGTERM), 0) << strata.Log();
  std::string strata_log = strata.Log();
  auto stopped_diagnostics = [&] {
    return "\nprometheus remote storage metrics at the query:\n" + final_remote_metrics +
           "strata log tail:\n" + testutil::Tail(strata_log) + "\nprometheus log tail:\n" +
           prom_log_tail;
  };

  storage::HeadOptions options;
  options.series_map_stripes = 16;
  auto head = storage::Head::Open(data_dir, options, nullptr);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  const int64_t mint = cutoff_ms - kWindowMs + 1;

  std::set<std::string> prom_keys;  // labels.ToString()
  size_t compared = 0;
  size_t samples_compared = 0;
  size_t nan_samples = 0;  // Coverage of special values, for the summary line.
  size_t inf_samples = 0;
  size_t mismatches = 0;
  std::string first_mismatch;
  std::map<std::string, size_t> series_per_job;
  for (const PromSeries& ps : prom_series) {
    const std::string key = ps.labels.ToString();
    prom_keys.insert(key);
    series_per_job[std::string(ps.labels.Get("job"))]++;
    model::Matchers matchers;
    for (const model::Label& l : ps.labels) {
      matchers.push_back(model::Matcher::Equal(l.name, l.value));
    }
    auto sel = storage::SelectAll(**head, matchers, mint, cutoff_ms);
    ASSERT_TRUE(sel.ok()) << sel.status().ToString();
    std::vector<model::Sample> got;
    for (const auto& ss : *sel) {
      if (ss.labels == ps.labels) got = WithoutStaleMarkers(ss.samples);
    }
    ++compared;
    samples_compared += ps.samples.size();
    for (const auto& smp : ps.samples) {
      nan_samples += std::isnan(smp.value) ? 1 : 0;
      inf_samples += std::isinf(smp.value) ? 1 : 0;
    }
    std::string diff = FirstDifference(ps.samples, got);
    if (!diff.empty()) {
      if (mismatches++ == 0) {
        first_mismatch = key;
        first_mismatch += ": ";
        first_mismatch += diff;
      }
    }
  }

  // The other way round: nothing in Strata that Prometheus does not have.
  auto any_name = model::Matcher::Make(model::MatchType::kRegexMatch, "__name__", ".+");
  ASSERT_TRUE(any_name.ok());
  auto all = storage::SelectAll(**head, {*any_name}, mint, cutoff_ms);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  size_t extra = 0;
  std::string first_extra;
  for (const auto& ss : *all) {
    if (WithoutStaleMarkers(ss.samples).empty()) continue;
    if (!prom_keys.count(ss.labels.ToString())) {
      if (extra++ == 0) first_extra = ss.labels.ToString() + ": " + FormatSamples(ss.samples);
    }
  }

  std::printf(
      "[          ] compared %zu series (%zu samples, %zu NaN, %zu Inf) over (%lld, %lld]; jobs:",
      compared, samples_compared, nan_samples, inf_samples, static_cast<long long>(mint - 1),
      static_cast<long long>(cutoff_ms));
  for (const auto& [job, n] : series_per_job) std::printf(" %s=%zu", job.c_str(), n);
  std::printf("; strata series in range: %zu\n", all->size());

  EXPECT_GE(compared, 50u) << stopped_diagnostics();
  EXPECT_GT(series_per_job["prometheus"], 0u);
  EXPECT_GT(series_per_job["strata"], 0u);
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << compared
                            << " series differ; the first: " << first_mismatch
                            << stopped_diagnostics();
  EXPECT_EQ(extra, 0u) << extra
                       << " series in Strata are not in Prometheus; the first: " << first_extra
                       << stopped_diagnostics();
  EXPECT_EQ(strata_log.find("level=error"), std::string::npos) << testutil::Tail(strata_log);
}

}  // namespace
}  // namespace strata
