#include "server/query_api.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>

#include "base/clock.h"
#include "base/float_format.h"
#include "query/parser.h"
#include "query/printer.h"
#include "server/api_params.h"
#include "server/json_writer.h"
#include "storage/downsample.h"

namespace strata::server {
namespace {

void AppendLabels(JsonWriter* w, const model::Labels& labels) {
  w->BeginObject();
  for (const auto& l : labels) w->Key(l.name).String(l.value);
  w->EndObject();
}

void AppendPoint(std::string* out, int64_t t, double v) {
  out->push_back('[');
  AppendTimestamp(out, t);
  out->append(",\"");
  AppendSampleValue(out, v);
  out->append("\"]");
}

// Reads the optional `timeout` parameter; 0 when absent.
Result<std::chrono::milliseconds> TimeoutParam(const Params& params) {
  const std::string* v = params.Get("timeout");
  if (v == nullptr || v->empty()) return std::chrono::milliseconds(0);
  auto d = ParseDurationParamMillis(*v);
  if (!d.ok()) {
    return Status::InvalidArgument("invalid parameter \"timeout\": " + d.status().message());
  }
  if (*d <= 0) {
    return Status::InvalidArgument(
        "invalid parameter \"timeout\": timeout must be positive, got \"" + *v + "\"");
  }
  return std::chrono::milliseconds(*d);
}

// Reads the optional `max_source_resolution` parameter (Thanos' values: 0s or raw, 5m, 1h,
// auto) into opts; absent: the server's --query.max-source-resolution.
Status ResolutionParam(const Params& params, query::QueryOptions* opts) {
  const std::string* v = params.Get("max_source_resolution");
  if (v == nullptr || v->empty()) return Status::Ok();
  auto r = storage::ParseMaxSourceResolution(*v);
  if (!r.ok()) {
    return Status::InvalidArgument("invalid parameter \"max_source_resolution\": " +
                                   r.status().message());
  }
  opts->max_resolution_ms = *r;
  return Status::Ok();
}

// Prometheus reports query parse errors (and other errors known before evaluation) as
// `invalid parameter "query": <error>`.
void SetQueryError(HttpResponse* res, const Status& s) {
  if (s.code() == StatusCode::kInvalidArgument) {
    return SetJsonError(res, 400, "bad_data", "invalid parameter \"query\": " + s.message());
  }
  SetStatusError(res, s);
}

}  // namespace

void AppendSampleValue(std::string* out, double v) {
  double a = std::fabs(v);
  // Prometheus (jsonutil.MarshalValue): exponent form for tiny and huge magnitudes.
  AppendFloatGo(out, v, a != 0 && (a < 1e-6 || a >= 1e21) ? 'e' : 'f');
}

std::string FormatSampleValue(double v) {
  std::string out;
  AppendSampleValue(&out, v);
  return out;
}

namespace {

// The decimal digits of `u` ending at `end`; returns where they begin. Two digits a step.
char* DigitsBefore(char* end, uint64_t u) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  while (u >= 100) {
    end -= 2;
    std::memcpy(end, kPairs + 2 * (u % 100), 2);
    u /= 100;
  }
  if (u >= 10) {
    end -= 2;
    std::memcpy(end, kPairs + 2 * u, 2);
  } else {
    *--end = static_cast<char>('0' + u);
  }
  return end;
}

}  // namespace

void AppendTimestamp(std::string* out, int64_t ms) {
  // Built backwards in one buffer and appended once (a range query writes one per point).
  char buf[32];
  char* const end = buf + sizeof(buf);
  char* p = end;
  const uint64_t u = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  if (const uint64_t frac = u % 1000; frac != 0) {
    p -= 3;  // Three digits, leading zeros kept.
    p[0] = static_cast<char>('0' + frac / 100);
    p[1] = static_cast<char>('0' + frac / 10 % 10);
    p[2] = static_cast<char>('0' + frac % 10);
    *--p = '.';
  }
  p = DigitsBefore(p, u / 1000);
  if (ms < 0) *--p = '-';
  out->append(p, end);
}

std::string EncodeQueryResult(const query::QueryValue& value) {
  std::string out;
  AppendQueryResult(&out, value);
  return out;
}

void AppendQueryResult(std::string* out, const query::QueryValue& value) {
  JsonWriter w(out);
  w.BeginObject();
  if (const auto* s = std::get_if<query::Scalar>(&value)) {
    w.Key("resultType").String("scalar").Key("result");
    std::string p;
    AppendPoint(&p, s->t, s->v);
    w.Raw(p);
  } else if (const auto* str = std::get_if<query::String>(&value)) {
    w.Key("resultType").String("string").Key("result");
    std::string p = "[";
    AppendTimestamp(&p, str->t);
    p.push_back(',');
    AppendJsonString(&p, str->v);
    p.push_back(']');
    w.Raw(p);
  } else if (const auto* vec = std::get_if<query::Vector>(&value)) {
    w.Key("resultType").String("vector").Key("result").BeginArray();
    for (const auto& smp : *vec) {
      w.BeginObject().Key("metric");
      AppendLabels(&w, smp.labels);
      std::string p;
      AppendPoint(&p, smp.t, smp.v);
      w.Key("value").Raw(p).EndObject();
    }
    w.EndArray();
  } else {
    const auto& m = std::get<query::Matrix>(value);
    // About 30 bytes a point ("[1700000000.123,\"12345.678\"],"): one allocation up front
    // instead of a doubling copy of a response that can take megabytes.
    size_t points = 0;
    for (const auto& s : m) points += s.points.size();
    out->reserve(out->size() + points * 30 + m.size() * 128);
    w.Key("resultType").String("matrix").Key("result").BeginArray();
    for (const auto& s : m) {
      w.BeginObject().Key("metric");
      AppendLabels(&w, s.labels);
      std::string* pts = w.Key("values").RawValue();
      pts->push_back('[');
      for (size_t i = 0; i < s.points.size(); ++i) {
        if (i > 0) pts->push_back(',');
        AppendPoint(pts, s.points[i].t, s.points[i].v);
      }
      pts->push_back(']');
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

namespace {

// Prometheus' `stats` parameter: any non-empty value adds data.stats (timings in seconds and the
// samples the query loaded). Strata has no queue or separate preparation step, so those timings
// are 0 and evalTotalTime = innerEvalTime = execTotalTime.
// `json` ends with the data object: its closing brace is replaced by the stats and a new one.
void AppendStats(std::string* json, const query::QueryStats& stats, double seconds) {
  std::string& data = *json;
  data.pop_back();  // The closing brace.
  JsonWriter w(&data);
  data.append(",\"stats\":");
  w.BeginObject().Key("timings").BeginObject();
  for (const char* key : {"evalTotalTime", "resultSortTime", "queryPreparationTime",
                          "innerEvalTime", "execQueueTime", "execTotalTime"}) {
    const bool zero = std::string_view(key) == "resultSortTime" ||
                      std::string_view(key) == "queryPreparationTime" ||
                      std::string_view(key) == "execQueueTime";
    w.Key(key).Double(zero ? 0.0 : seconds);
  }
  w.EndObject().Key("samples").BeginObject();
  w.Key("totalQueryableSamples").Int(stats.total_samples);
  w.Key("peakSamples").Int(stats.peak_samples);
  w.EndObject().EndObject();
  data.push_back('}');
}

bool WantsStats(const Params& params) {
  const std::string* v = params.Get("stats");
  return v != nullptr && !v->empty();
}

// Runs a query with `opts` (plus its infos and stats) and writes the answer: the result, the
// stats when asked for, the infos; or the query's error.
void Answer(const Params& params, query::QueryOptions* opts, HttpResponse* res,
            const std::function<Result<query::QueryValue>(const query::QueryOptions&)>& run) {
  std::vector<std::string> infos;
  opts->infos = &infos;
  query::QueryStats stats;
  opts->stats = &stats;
  const auto began = std::chrono::steady_clock::now();
  auto result = run(*opts);
  if (!result.ok()) return SetQueryError(res, result.status());
  // Written into the response body in place: a range query's answer can take megabytes.
  BeginJsonSuccess(res);
  AppendQueryResult(&res->body, *result);
  if (WantsStats(params)) {
    AppendStats(&res->body, stats,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  }
  EndJsonSuccess(res, {}, infos);
}

}  // namespace

void QueryApi::Register(Router* router) {
  router->Add({"GET", "POST"}, "/api/v1/query",
              [this](const HttpRequest& q, HttpResponse* r) { Query(q, r); });
  router->Add({"GET", "POST"}, "/api/v1/query_range",
              [this](const HttpRequest& q, HttpResponse* r) { QueryRange(q, r); });
  router->Add({"GET", "POST"}, "/api/v1/format_query",
              [this](const HttpRequest& q, HttpResponse* r) { FormatQuery(q, r); });
  router->Add({"GET", "POST"}, "/api/v1/query_exemplars",
              [this](const HttpRequest& q, HttpResponse* r) { QueryExemplars(q, r); });
}

void QueryApi::Query(const HttpRequest& req, HttpResponse* res) const {
  auto params = RequestParams(req);
  if (!params.ok()) return SetStatusError(res, params.status());
  const std::string* q = params->Get("query");
  auto t = TimeParam(*params, "time", SystemClock::Default().NowMillis());
  if (!t.ok()) return SetStatusError(res, t.status());
  auto timeout = TimeoutParam(*params);
  if (!timeout.ok()) return SetStatusError(res, timeout.status());
  query::QueryOptions opts;
  opts.timeout = std::min(*timeout, engine_->options().timeout);
  if (opts.timeout.count() == 0) opts.timeout = engine_->options().timeout;
  if (Status r = ResolutionParam(*params, &opts); !r.ok()) return SetStatusError(res, r);
  Answer(*params, &opts, res, [&](const query::QueryOptions& o) {
    return engine_->InstantQuery(*querier_, q ? *q : "", *t, o);
  });
}

void QueryApi::QueryRange(const HttpRequest& req, HttpResponse* res) const {
  auto params = RequestParams(req);
  if (!params.ok()) return SetStatusError(res, params.status());
  auto parse_time = [&](const char* name) -> Result<int64_t> {
    const std::string* v = params->Get(name);
    auto t = ParseTimeMillis(v ? *v : "");
    if (!t.ok()) {
      return Status::InvalidArgument(std::string("invalid parameter \"") + name +
                                     "\": " + t.status().message());
    }
    return t;
  };
  auto start = parse_time("start");
  if (!start.ok()) return SetStatusError(res, start.status());
  auto end = parse_time("end");
  if (!end.ok()) return SetStatusError(res, end.status());
  if (*end < *start) {
    return SetJsonError(res, 400, "bad_data",
                        "invalid parameter \"end\": end timestamp must not be before start time");
  }
  const std::string* step_text = params->Get("step");
  auto step = ParseDurationParamMillis(step_text ? *step_text : "");
  if (!step.ok()) {
    return SetJsonError(res, 400, "bad_data",
                        "invalid parameter \"step\": " + step.status().message());
  }
  if (*step <= 0) {
    return SetJsonError(res, 400, "bad_data",
                        "invalid parameter \"step\": zero or negative query resolution step "
                        "widths are not accepted. Try a positive integer");
  }
  // Prometheus: (end - start) / step must not exceed 11,000 points.
  // In 128 bits: end - start may pass int64 (start=-9e15, end=9e15 seconds).
  if ((static_cast<__int128>(*end) - *start) / *step > options_.max_points_per_series) {
    return SetJsonError(res, 400, "bad_data",
                        "exceeded maximum resolution of 11,000 points per timeseries. Try "
                        "decreasing the query resolution (?step=XX)");
  }
  auto timeout = TimeoutParam(*params);
  if (!timeout.ok()) return SetStatusError(res, timeout.status());
  query::QueryOptions opts;
  opts.timeout = std::min(*timeout, engine_->options().timeout);
  if (opts.timeout.count() == 0) opts.timeout = engine_->options().timeout;
  if (Status r = ResolutionParam(*params, &opts); !r.ok()) return SetStatusError(res, r);
  const std::string* q = params->Get("query");
  Answer(*params, &opts, res, [&](const query::QueryOptions& o) {
    return engine_->RangeQuery(*querier_, q ? *q : "", *start, *end, *step, o);
  });
}

void QueryApi::FormatQuery(const HttpRequest& req, HttpResponse* res) const {
  auto params = RequestParams(req);
  if (!params.ok()) return SetStatusError(res, params.status());
  const std::string* q = params->Get("query");
  auto expr = query::ParseExpr(q ? *q : "");
  if (!expr.ok()) return SetQueryError(res, expr.status());
  std::string data;
  AppendJsonString(&data, query::ExprToString(**expr));
  SetJsonSuccess(res, data);
}

void QueryApi::QueryExemplars(const HttpRequest& req, HttpResponse* res) const {
  auto params = RequestParams(req);
  if (!params.ok()) return SetStatusError(res, params.status());
  // Grafana's start-up probe may send milliseconds; any parseable time is accepted.
  auto start = TimeParam(*params, "start", kMinTimeMs);
  if (!start.ok()) return SetStatusError(res, start.status());
  auto end = TimeParam(*params, "end", kMaxTimeMs);
  if (!end.ok()) return SetStatusError(res, end.status());
  const std::string* q = params->Get("query");
  if (*end < *start) {
    return SetJsonError(res, 400, "bad_data", "end timestamp must not be before start timestamp");
  }
  auto expr = query::ParseExpr(q ? *q : "");
  if (!expr.ok()) return SetStatusError(res, expr.status());  // No prefix here in Prometheus.
  // Exemplars are accepted on ingest but not stored yet: the honest answer is an empty list.
  SetJsonSuccess(res, "[]");
}

}  // namespace strata::server
