#include "server/api_params.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "base/duration.h"
#include "server/json_writer.h"

namespace strata::server {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool ParseRfc3339(std::string_view s, int64_t* ms) {
  int year, mon, day, hh, mm, ss;
  if (!Digits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, &mon) ||
      s[7] != '-' || !Digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !Digits(s, 11, 2, &hh) || s[13] != ':' || !Digits(s, 14, 2, &mm) || s[16] != ':' ||
      !Digits(s, 17, 2, &ss)) {
    return false;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return false;
  size_t i = 19;
  int64_t frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    int64_t scale = 100;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac_ms += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return false;
  }
  int64_t offset_min = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!Digits(s, i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !Digits(s, i + 4, 2, &om)) {
      return false;
    }
    offset_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return false;
  }
  if (i != s.size()) return false;
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_min * 60;
  *ms = secs * 1000 + frac_ms;
  return true;
}

bool ParseFloatStrict(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string tmp(s);
  char* end = nullptr;
  *out = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size();
}

}  // namespace

Result<int64_t> ParseTimeMillis(std::string_view text) {
  double secs = 0;
  if (ParseFloatStrict(text, &secs) && std::isfinite(secs)) {
    double ms = std::round(secs * 1000.0);
    if (ms > static_cast<double>(kMaxTimeMs) * 2 || ms < static_cast<double>(kMinTimeMs) * 2) {
      return Status::InvalidArgument("cannot parse \"" + std::string(text) +
                                     "\" to a valid timestamp");
    }
    return static_cast<int64_t>(ms);
  }
  int64_t ms = 0;
  if (ParseRfc3339(text, &ms)) return ms;
  return Status::InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid timestamp");
}

Result<int64_t> ParseDurationParamMillis(std::string_view text) {
  double secs = 0;
  if (ParseFloatStrict(text, &secs)) {
    double ms = std::round(secs * 1000.0);
    if (!std::isfinite(secs) || ms > 9.2e18 || ms < -9.2e18) {
      return Status::InvalidArgument("cannot parse \"" + std::string(text) +
                                     "\" to a valid duration. It overflows int64");
    }
    return static_cast<int64_t>(ms);
  }
  auto d = ParseDurationMillis(text);
  if (d.ok()) return d;
  return Status::InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid duration");
}

Result<Params> RequestParams(const HttpRequest& req) {
  Params p;
  // As Go's Request.Form, which Prometheus reads: a POST form's values come before the URL's,
  // so a parameter given in both is the body's.
  if (req.method == "POST") {
    std::string_view ct = req.Header("content-type");
    if (ct.starts_with("application/x-www-form-urlencoded")) {
      STRATA_RETURN_IF_ERROR(ParseUrlEncoded(req.body, &p));
    }
  }
  STRATA_RETURN_IF_ERROR(ParseUrlEncoded(req.query, &p));
  return p;
}

Result<int64_t> TimeParam(const Params& params, std::string_view name, int64_t fallback) {
  const std::string* v = params.Get(name);
  if (v == nullptr || v->empty()) return fallback;
  auto t = ParseTimeMillis(*v);
  if (!t.ok()) {
    return Status::InvalidArgument("invalid parameter \"" + std::string(name) +
                                   "\": " + t.status().message());
  }
  return t;
}

void BeginJsonSuccess(HttpResponse* res) {
  res->status = 200;
  res->content_type = "application/json";
  res->body.assign(R"({"status":"success","data":)");
}

void EndJsonSuccess(HttpResponse* res, const std::vector<std::string>& warnings,
                    const std::vector<std::string>& infos) {
  for (const auto& [key, list] : {std::pair{"warnings", &warnings}, std::pair{"infos", &infos}}) {
    if (list->empty()) continue;
    res->body.append(",\"").append(key).append("\":[");
    for (size_t i = 0; i < list->size(); ++i) {
      if (i > 0) res->body.push_back(',');
      AppendJsonString(&res->body, (*list)[i]);
    }
    res->body.push_back(']');
  }
  res->body.push_back('}');
}

void SetJsonSuccess(HttpResponse* res, std::string_view data_json) {
  SetJsonSuccess(res, data_json, {}, {});
}

void SetJsonSuccess(HttpResponse* res, std::string_view data_json,
                    const std::vector<std::string>& warnings,
                    const std::vector<std::string>& infos) {
  BeginJsonSuccess(res);
  res->body.reserve(res->body.size() + data_json.size() + 2);
  res->body.append(data_json);
  EndJsonSuccess(res, warnings, infos);
}

void SetStatusError(HttpResponse* res, const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      SetJsonError(res, 400, "bad_data", s.message());
      return;
    case StatusCode::kDeadlineExceeded:
      SetJsonError(res, 503, "timeout", s.message());
      return;
    case StatusCode::kCancelled:
      SetJsonError(res, 503, "canceled", s.message());
      return;
    case StatusCode::kResourceExhausted:
      SetJsonError(res, 422, "execution", s.message());
      return;
    case StatusCode::kFailedPrecondition:
      SetJsonError(res, 422, "execution", s.message());
      return;
    case StatusCode::kNotFound:
      SetJsonError(res, 404, "not_found", s.message());
      return;
    case StatusCode::kUnavailable:
      SetJsonError(res, 503, "unavailable", s.message());
      return;
    default:
      SetJsonError(res, 500, "internal", s.message());
      return;
  }
}

}  // namespace strata::server
