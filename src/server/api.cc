#include "server/api.h"

#include <charconv>

#include "model/validation.h"
#include "query/parser.h"
#include "server/api_params.h"
#include "server/json_writer.h"

namespace strata::server {
namespace {

// Parses every match[] selector. InvalidArgument with the parser's message on a bad one.
Result<std::vector<model::Matchers>> MatchParams(const Params& params) {
  std::vector<model::Matchers> out;
  for (const std::string& m : params.GetAll("match[]")) {
    auto parsed = query::ParseSeriesSelector(m);
    if (!parsed.ok()) {
      return Status::InvalidArgument("invalid parameter \"match[]\": " + parsed.status().message());
    }
    out.push_back(std::move(parsed).value());
  }
  return out;
}

Result<int> LimitParam(const Params& params) {
  const std::string* v = params.Get("limit");
  if (v == nullptr || v->empty()) return 0;
  int limit = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
  if (ec != std::errc() || ptr != v->data() + v->size() || limit < 0) {
    return Status::InvalidArgument("invalid parameter \"limit\": cannot parse \"" + *v +
                                   "\" to a non-negative integer");
  }
  return limit;
}

struct Range {
  int64_t start;
  int64_t end;
};

Result<Range> RangeParams(const Params& params) {
  STRATA_ASSIGN_OR_RETURN(int64_t start, TimeParam(params, "start", kMinTimeMs));
  STRATA_ASSIGN_OR_RETURN(int64_t end, TimeParam(params, "end", kMaxTimeMs));
  if (end < start) {
    return Status::InvalidArgument(
        "invalid parameter \"end\": end timestamp must not be before "
        "start time");
  }
  // Queriers use the full int64 range for "unbounded".
  return Range{start == kMinTimeMs ? INT64_MIN : start, end == kMaxTimeMs ? INT64_MAX : end};
}

constexpr const char* kTruncated = "results truncated due to limit";

void WriteStrings(const std::vector<std::string>& values, int limit, HttpResponse* res) {
  std::string data;
  JsonWriter w(&data);
  w.BeginArray();
  size_t n = limit > 0 ? std::min(values.size(), static_cast<size_t>(limit)) : values.size();
  for (size_t i = 0; i < n; ++i) w.String(values[i]);
  w.EndArray();
  std::vector<std::string> warnings;
  if (n < values.size()) warnings.emplace_back(kTruncated);
  SetJsonSuccess(res, data, warnings);
}

}  // namespace

void Api::Register(Router* router) {
  router->Add({"GET", "POST"}, "/api/v1/series",
              [this](const HttpRequest& q, HttpResponse* r) { Series(q, r); });
  router->Add({"GET", "POST"}, "/api/v1/labels",
              [this](const HttpRequest& q, HttpResponse* r) { LabelNames(q, r); });
  router->AddPrefix({"GET"}, "/api/v1/label/",
                    [this](const HttpRequest& q, HttpResponse* r) { LabelValues(q, r); });
  router->Add({"GET"}, "/api/v1/metadata",
              [this](const HttpRequest& q, HttpResponse* r) { Metadata(q, r); });
  router->Add({"GET"}, "/api/v1/status/buildinfo",
              [this](const HttpRequest& q, HttpResponse* r) { BuildInfo(q, r); });
}

void Api::Series(const HttpRequest& req, HttpResponse* res) const {
  auto params = RequestParams(req);
  if (!params.ok()) return SetStatusError(res, params.status());
  auto matches = MatchParams(*params);
  if (!matches.ok()) return SetStatusError(res, matches.status());
  if (matches->empty()) {
    return SetJsonError(res, 400, "bad_data", "no match[] parameter provided");
  }
  auto range = RangeParams(*params);
  if (!range.ok()) return SetStatusError(res, range.status());
  auto limit = LimitParam(*params);
  if (!limit.ok()) return SetStatusError(res, limit.status());
  std::vector<model::Labels> all;
  for (const auto& m : *matches) {
    auto series = querier_->Series(m, range->start, range->end);
    if (!series.ok()) return SetStatusError(res, series.status());
    all.insert(all.end(), series->begin(), series->end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::vector<std::string> warnings;
  if (*limit > 0 && all.size() > static_cast<size_t>(*limit)) {
    all.resize(static_cast<size_t>(*limit));
    warnings.emplace_back(kTruncated);
  }
  std::string data;
  JsonWriter w(&data);
  w.BeginArray();
  for (const auto& ls : all) {
    w.BeginObject();
    for (const auto& l : ls) w.Key(l.name).String(l.value);
    w.EndObject();
  }
  w.EndArray();
  SetJsonSuccess(res, data, warnings);
}

void Api::LabelNames(const HttpRequest& req, HttpResponse* res) const {
  auto params = RequestParams(req);
  if (!params.ok()) return SetStatusError(res, params.status());
  auto matches = MatchParams(*params);
  if (!matches.ok()) return SetStatusError(res, matches.status());
  auto range = RangeParams(*params);
  if (!range.ok()) return SetStatusError(res, range.status());
  auto limit = LimitParam(*params);
  if (!limit.ok()) return SetStatusError(res, limit.status());
  auto names = querier_->LabelNames(*matches, range->start, range->end);
  if (!names.ok()) return SetStatusError(res, names.status());
  WriteStrings(*names, *limit, res);
}

void Api::LabelValues(const HttpRequest& req, HttpResponse* res) const {
  constexpr std::string_view kPrefix = "/api/v1/label/";
  constexpr std::string_view kSuffix = "/values";
  std::string_view path = req.path;
  if (!path.ends_with(kSuffix) || path.size() <= kPrefix.size() + kSuffix.size()) {
    return SetJsonError(res, 404, "not_found", "no route for path " + req.path);
  }
  auto name = UrlDecode(path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size()));
  if (!name.ok()) return SetStatusError(res, name.status());
  if (!model::IsValidLabelName(*name)) {
    return SetJsonError(res, 400, "bad_data", "invalid label name: \"" + *name + "\"");
  }
  auto params = RequestParams(req);
  if (!params.ok()) return SetStatusError(res, params.status());
  auto matches = MatchParams(*params);
  if (!matches.ok()) return SetStatusError(res, matches.status());
  auto range = RangeParams(*params);
  if (!range.ok()) return SetStatusError(res, range.status());
  auto limit = LimitParam(*params);
  if (!limit.ok()) return SetStatusError(res, limit.status());
  auto values = querier_->LabelValues(*name, *matches, range->start, range->end);
  if (!values.ok()) return SetStatusError(res, values.status());
  WriteStrings(*values, *limit, res);
}

void Api::Metadata(const HttpRequest& req, HttpResponse* res) const {
  auto params = RequestParams(req);
  if (!params.ok()) return SetStatusError(res, params.status());
  auto limit = LimitParam(*params);
  if (!limit.ok()) return SetStatusError(res, limit.status());
  const std::string* metric = params->Get("metric");
  auto list = metadata_->List(metric ? *metric : "", *limit);
  std::string data;
  JsonWriter w(&data);
  w.BeginObject();
  for (const auto& m : list) {
    w.Key(m.family).BeginArray().BeginObject();
    w.Key("type").String(m.type).Key("help").String(m.help).Key("unit").String(m.unit);
    w.EndObject().EndArray();
  }
  w.EndObject();
  SetJsonSuccess(res, data);
}

void Api::BuildInfo(const HttpRequest&, HttpResponse* res) const {
  std::string data;
  JsonWriter w(&data);
  // No "features" key: Grafana would take a non-empty one for Mimir.
  w.BeginObject()
      .Key("version")
      .String(version_)
      .Key("revision")
      .String("")
      .Key("branch")
      .String("")
      .Key("buildUser")
      .String("")
      .Key("buildDate")
      .String("")
      .Key("goVersion")
      .String("")
      .EndObject();
  SetJsonSuccess(res, data);
}

}  // namespace strata::server
