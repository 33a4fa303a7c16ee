#include "bench/lib/query_result.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include "bench/lib/json.h"

namespace strata::bench {

namespace {

bool ParseTimestampMs(const Json& j, int64_t* out) {
  if (j.type != Json::Type::kNumber) return false;
  char* end = nullptr;
  const double s = std::strtod(j.text.c_str(), &end);
  if (end == j.text.c_str() || *end != '\0') return false;
  *out = std::llround(s * 1000);
  return true;
}

bool ParseSampleValue(const Json& j, double* out) {
  if (j.type != Json::Type::kString) return false;
  const std::string& s = j.text;
  if (s == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
  } else if (s == "+Inf" || s == "Inf") {
    *out = std::numeric_limits<double>::infinity();
  } else if (s == "-Inf") {
    *out = -std::numeric_limits<double>::infinity();
  } else {
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0') return false;
  }
  return true;
}

}  // namespace

QueryResult ParseQueryResponse(int http_status, const std::string& body,
                               const std::string& transport_error) {
  QueryResult r;
  r.bytes = body.size();
  if (http_status == 0) {
    r.error = transport_error;
    return r;
  }
  Json root;
  std::string error;
  if (!JsonParser::Parse(body, &root, &error)) {
    r.error = "HTTP " + std::to_string(http_status) + ", invalid JSON (" + error +
              "): " + body.substr(0, 200);
    return r;
  }
  const Json* status = root.Find("status");
  if (http_status != 200 || status == nullptr || status->text != "success") {
    const Json* msg = root.Find("error");
    r.error = "HTTP " + std::to_string(http_status) + ": " +
              (msg != nullptr ? msg->text : body.substr(0, 200));
    return r;
  }
  const Json* data = root.Find("data");
  const Json* type = data != nullptr ? data->Find("resultType") : nullptr;
  const Json* result = data != nullptr ? data->Find("result") : nullptr;
  if (type == nullptr || result == nullptr) {
    r.error = "response has no data.resultType / data.result";
    return r;
  }
  r.result_type = type->text;
  auto bad = [&](const std::string& what) {
    r.error = "malformed " + r.result_type + " result: " + what;
    return r;
  };
  auto add_point = [&](SeriesResult* s, const Json& p) {
    int64_t t = 0;
    double v = 0;
    if (p.type != Json::Type::kArray || p.items.size() != 2 || !ParseTimestampMs(p.items[0], &t) ||
        !ParseSampleValue(p.items[1], &v)) {
      return false;
    }
    s->t_ms.push_back(t);
    s->v.push_back(v);
    r.points++;
    return true;
  };
  if (r.result_type == "scalar") {
    SeriesResult s;
    s.labels = "scalar";
    if (!add_point(&s, *result)) return bad("point");
    r.series.push_back(std::move(s));
  } else if (r.result_type == "matrix" || r.result_type == "vector") {
    if (result->type != Json::Type::kArray) return bad("result is not an array");
    for (const Json& item : result->items) {
      const Json* metric = item.Find("metric");
      if (metric == nullptr || metric->type != Json::Type::kObject) return bad("metric");
      std::vector<std::pair<std::string, std::string>> labels;
      for (size_t i = 0; i < metric->keys.size(); ++i) {
        labels.emplace_back(metric->keys[i], metric->items[i].text);
      }
      std::sort(labels.begin(), labels.end());
      SeriesResult s;
      s.labels = "{";
      for (size_t i = 0; i < labels.size(); ++i) {
        s.labels += (i > 0 ? ", " : "") + labels[i].first + "=\"" + labels[i].second + "\"";
      }
      s.labels += "}";
      if (r.result_type == "vector") {
        const Json* value = item.Find("value");
        if (value == nullptr || !add_point(&s, *value)) return bad("value");
      } else {
        const Json* values = item.Find("values");
        if (values == nullptr || values->type != Json::Type::kArray) return bad("values");
        for (const Json& p : values->items) {
          if (!add_point(&s, p)) return bad("point of " + s.labels);
        }
      }
      r.series.push_back(std::move(s));
    }
  } else {
    return bad("unsupported result type");
  }
  std::sort(r.series.begin(), r.series.end(),
            [](const SeriesResult& a, const SeriesResult& b) { return a.labels < b.labels; });
  for (const auto& [key, out] :
       {std::pair{"infos", &r.infos}, std::pair{"warnings", &r.warnings}}) {
    const Json* list = root.Find(key);
    if (list == nullptr) continue;
    if (list->type != Json::Type::kArray) return bad(std::string(key) + " is not an array");
    for (const Json& item : list->items) out->push_back(item.text);
  }
  r.ok = true;
  return r;
}

bool SameValue(double a, double b, const Tolerance& tol) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  if (std::isinf(a) || std::isinf(b)) return false;
  const double d = std::fabs(a - b);
  return d <= tol.rel * std::max(std::fabs(a), std::fabs(b)) || d <= tol.abs;
}

std::string FormatTime(int64_t ms) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

std::string FormatValue(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

double RelDiff(double a, double b, const Tolerance& tol) {
  if (std::isnan(a) || std::isnan(b)) {
    return std::isnan(a) && std::isnan(b) ? 0 : std::numeric_limits<double>::infinity();
  }
  if (a == b) return 0;
  if (std::isinf(a) || std::isinf(b)) return std::numeric_limits<double>::infinity();
  const double d = std::fabs(a - b);
  return d <= tol.abs ? 0 : d / std::max(std::fabs(a), std::fabs(b));
}

Comparison Compare(const QueryResult& a, const QueryResult& b, const Tolerance& tol,
                   const std::string& a_name, const std::string& b_name) {
  Comparison c;
  if (a.result_type != b.result_type) {
    c.Note("result type: " + a_name + " " + a.result_type + ", " + b_name + " " + b.result_type);
  }
  auto only = [&](const SeriesResult& s, const std::string& name) {
    return "series " + s.labels + " only in " + name + " (" + std::to_string(s.t_ms.size()) +
           " points, first at t=" + FormatTime(s.t_ms.empty() ? 0 : s.t_ms[0]) + ")";
  };
  size_t i = 0, j = 0;
  while (i < a.series.size() || j < b.series.size()) {
    if (j == b.series.size() || (i < a.series.size() && a.series[i].labels < b.series[j].labels)) {
      c.only_a++;
      c.points_only_a += static_cast<int64_t>(a.series[i].t_ms.size());
      c.Note(only(a.series[i], a_name));
      ++i;
      continue;
    }
    if (i == a.series.size() || b.series[j].labels < a.series[i].labels) {
      c.only_b++;
      c.points_only_b += static_cast<int64_t>(b.series[j].t_ms.size());
      c.Note(only(b.series[j], b_name));
      ++j;
      continue;
    }
    const SeriesResult& x = a.series[i++];
    const SeriesResult& y = b.series[j++];
    int64_t diffs = 0;
    std::string first;
    size_t p = 0, q = 0;
    while (p < x.t_ms.size() || q < y.t_ms.size()) {
      std::string what;
      if (q == y.t_ms.size() || (p < x.t_ms.size() && x.t_ms[p] < y.t_ms[q])) {
        what = "t=" + FormatTime(x.t_ms[p]) + ": only " + a_name + " has a point (" +
               FormatValue(x.v[p]) + ")";
        c.points_only_a++;
        ++p;
      } else if (p == x.t_ms.size() || y.t_ms[q] < x.t_ms[p]) {
        what = "t=" + FormatTime(y.t_ms[q]) + ": only " + b_name + " has a point (" +
               FormatValue(y.v[q]) + ")";
        c.points_only_b++;
        ++q;
      } else {
        c.matched_points++;
        const double rel = RelDiff(x.v[p], y.v[q], tol);
        if (rel > c.max_rel) {
          c.max_rel = rel;
          c.max_rel_at = x.labels + " t=" + FormatTime(x.t_ms[p]) + ": " + a_name + " " +
                         FormatValue(x.v[p]) + ", " + b_name + " " + FormatValue(y.v[q]);
        }
        if (!SameValue(x.v[p], y.v[q], tol)) {
          what = "t=" + FormatTime(x.t_ms[p]) + ": " + a_name + " " + FormatValue(x.v[p]) + ", " +
                 b_name + " " + FormatValue(y.v[q]);
        }
        ++p;
        ++q;
      }
      if (!what.empty()) {
        if (diffs++ == 0) first = std::move(what);
      }
    }
    if (diffs > 0) {
      c.differing_series++;
      c.differing_points += diffs;
      c.Note("series " + x.labels + ": " + std::to_string(diffs) + " differing points; first " +
             first);
    }
  }
  return c;
}

}  // namespace strata::bench
