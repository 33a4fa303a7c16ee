#include "server/status_api.h"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <thread>

#include "server/api_params.h"
#include "server/json_writer.h"
#include "server/rules_api.h"

namespace strata::server {
namespace {

// Threads of this process (/proc/self/status), Prometheus' goroutineCount counterpart.
int64_t ThreadCount() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) {
      int64_t n = 0;
      std::string_view v(line);
      v.remove_prefix(8);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      std::from_chars(v.data(), v.data() + v.size(), n);
      return n;
    }
  }
  return 0;
}

uint64_t DirBytes(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code fec;
    if (it->is_regular_file(fec)) total += it->file_size(fec);
  }
  return total;
}

void Entries(JsonWriter* w, const char* key,
             const std::vector<storage::HeadCardinality::Entry>& entries) {
  w->Key(key).BeginArray();
  for (const auto& e : entries) {
    w->BeginObject().Key("name").String(e.name).Key("value").Int(static_cast<int64_t>(e.value));
    w->EndObject();
  }
  w->EndArray();
}

// Times the UI shows: milliseconds, or null when the tier holds nothing.
void TimeOrNull(JsonWriter* w, const char* key, int64_t ms, bool present) {
  w->Key(key);
  if (present) {
    w->Int(ms);
  } else {
    w->Null();
  }
}

}  // namespace

void StatusApi::Register(Router* router) {
  router->Add({"GET"}, "/api/v1/status/flags",
              [this](const HttpRequest& q, HttpResponse* r) { Flags(q, r); });
  router->Add({"GET"}, "/api/v1/status/runtimeinfo",
              [this](const HttpRequest& q, HttpResponse* r) { RuntimeInfo(q, r); });
  router->Add({"GET"}, "/api/v1/status/tsdb",
              [this](const HttpRequest& q, HttpResponse* r) { Tsdb(q, r); });
  router->Add({"GET"}, "/api/v1/status/storage",
              [this](const HttpRequest& q, HttpResponse* r) { Storage(q, r); });
}

void StatusApi::Flags(const HttpRequest&, HttpResponse* res) const {
  std::string data;
  JsonWriter w(&data);
  w.BeginObject();
  for (const auto& [name, value] : src_.flags) w.Key(name).String(value);
  w.EndObject();
  SetJsonSuccess(res, data);
}

void StatusApi::RuntimeInfo(const HttpRequest&, HttpResponse* res) const {
  bool reload_ok = true;
  int64_t reload_ms = src_.start_time_ms;
  if (src_.config_status) std::tie(reload_ok, reload_ms) = src_.config_status();
  std::string cwd;
  {
    std::error_code ec;
    cwd = std::filesystem::current_path(ec).string();
  }
  uint64_t corruption = 0;
  if (src_.head != nullptr) corruption = src_.head->Stats().salvage.ranges;
  std::string data;
  JsonWriter w(&data);
  w.BeginObject();
  w.Key("startTime").String(FormatGoTime(src_.start_time_ms));
  w.Key("CWD").String(cwd);
  w.Key("reloadConfigSuccess").Bool(reload_ok);
  w.Key("lastConfigTime").String(FormatGoTime(reload_ms));
  w.Key("corruptionCount").Int(static_cast<int64_t>(corruption));
  // Go runtime fields, with this process' counterparts: threads for goroutines, cores for
  // GOMAXPROCS; Strata has no garbage collector, so GOGC and GODEBUG are empty.
  w.Key("goroutineCount").Int(ThreadCount());
  w.Key("GOMAXPROCS").Int(static_cast<int64_t>(std::thread::hardware_concurrency()));
  w.Key("GOMEMLIMIT").Int(INT64_MAX);
  w.Key("GOGC").String("");
  w.Key("GODEBUG").String("");
  w.Key("storageRetention").String(src_.storage_retention);
  w.EndObject();
  SetJsonSuccess(res, data);
}

void StatusApi::Tsdb(const HttpRequest& req, HttpResponse* res) const {
  auto params = RequestParams(req);
  if (!params.ok()) return SetStatusError(res, params.status());
  int64_t limit = 10;
  if (const std::string* v = params->Get("limit"); v != nullptr && !v->empty()) {
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
    if (ec != std::errc() || ptr != v->data() + v->size() || limit <= 0) {
      return SetJsonError(res, 400, "bad_data", "limit must be a positive number");
    }
  }
  if (src_.head == nullptr) return SetJsonError(res, 503, "unavailable", "the head is not open");
  storage::HeadStats st = src_.head->Stats();
  storage::HeadCardinality card = src_.head->Cardinality(static_cast<size_t>(limit));
  std::string data;
  JsonWriter w(&data);
  w.BeginObject().Key("headStats").BeginObject();
  w.Key("numSeries").Int(static_cast<int64_t>(st.series));
  w.Key("numLabelPairs").Int(static_cast<int64_t>(card.label_pairs));
  w.Key("chunkCount").Int(static_cast<int64_t>(st.chunks));
  // Prometheus prints math.MaxInt64 / math.MinInt64 for an empty head.
  const bool empty =
      st.series == 0 || st.min_time > st.max_time || (st.min_time == 0 && st.max_time == 0);
  w.Key("minTime").Int(empty ? INT64_MAX : st.min_time);
  w.Key("maxTime").Int(empty ? INT64_MIN : st.max_time);
  w.EndObject();
  Entries(&w, "seriesCountByMetricName", card.series_by_metric_name);
  Entries(&w, "labelValueCountByLabelName", card.values_by_label_name);
  Entries(&w, "memoryInBytesByLabelName", card.memory_by_label_name);
  Entries(&w, "seriesCountByLabelValuePair", card.series_by_label_pair);
  w.EndObject();
  SetJsonSuccess(res, data);
}

void StatusApi::Storage(const HttpRequest&, HttpResponse* res) const {
  std::string data;
  JsonWriter w(&data);
  w.BeginObject();
  w.Key("dataDir").String(src_.data_dir);
  if (src_.head != nullptr) {
    storage::HeadStats st = src_.head->Stats();
    const bool present = !(st.min_time == 0 && st.max_time == 0);
    w.Key("head").BeginObject();
    w.Key("series").Int(static_cast<int64_t>(st.series));
    w.Key("chunks").Int(static_cast<int64_t>(st.chunks));
    w.Key("chunkBytes").Int(static_cast<int64_t>(st.chunk_bytes));
    w.Key("memoryBytes").Int(static_cast<int64_t>(st.memory_bytes));
    w.Key("samplesAppended").Int(static_cast<int64_t>(st.samples_appended));
    TimeOrNull(&w, "minTime", st.min_time, present);
    TimeOrNull(&w, "maxTime", st.max_time, present);
    w.Key("walBytes").Int(static_cast<int64_t>(DirBytes(src_.data_dir + "/wal")));
    w.EndObject();
  }
  if (src_.warm != nullptr) {
    storage::WarmStats st = src_.warm->Stats();
    w.Key("warm").BeginObject();
    w.Key("diskBytes").Int(static_cast<int64_t>(st.disk_bytes));
    w.Key("series").Int(static_cast<int64_t>(st.series));
    w.Key("partitions").BeginArray();
    for (const auto& p : st.partitions) {
      w.BeginObject().Key("start").Int(p.start).Key("minTime").Int(p.min_t);
      w.Key("maxTime").Int(p.max_t).Key("chunks").Int(static_cast<int64_t>(p.chunks));
      w.Key("samples").Int(static_cast<int64_t>(p.samples)).EndObject();
    }
    w.EndArray().EndObject();
  }
  if (src_.cold != nullptr) {
    storage::ColdStats st = src_.cold->Stats();
    const bool present = st.blocks > 0 && st.min_time <= st.max_time;
    w.Key("cold").BeginObject();
    w.Key("blocks").Int(static_cast<int64_t>(st.blocks));
    w.Key("ownBlocks").Int(static_cast<int64_t>(st.own_blocks));
    w.Key("bytes").Int(static_cast<int64_t>(st.bytes));
    w.Key("series").Int(static_cast<int64_t>(st.series));
    w.Key("samples").Int(static_cast<int64_t>(st.samples));
    TimeOrNull(&w, "minTime", st.min_time, present);
    TimeOrNull(&w, "maxTime", st.max_time, present);
    w.Key("byResolution").BeginArray();
    for (const auto& [resolution, r] : st.by_resolution) {
      w.BeginObject().Key("resolutionMs").Int(resolution);
      w.Key("blocks").Int(static_cast<int64_t>(r.blocks));
      w.Key("bytes").Int(static_cast<int64_t>(r.bytes));
      w.Key("samples").Int(static_cast<int64_t>(r.samples)).EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndObject();
  SetJsonSuccess(res, data);
}

}  // namespace strata::server
