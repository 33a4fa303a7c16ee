#include "server/federate.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <vector>

#include "base/float_format.h"
#include "model/sample.h"
#include "query/parser.h"
#include "server/api_params.h"

namespace strata::server {
namespace {

// A label value in the text format: backslash, double quote and line feed escaped.
void AppendEscaped(std::string* out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

void SetTextError(HttpResponse* res, int status, const std::string& message) {
  res->status = status;
  res->content_type = "text/plain; charset=utf-8";
  res->body = message + "\n";
}

struct Latest {
  int64_t t;
  double v;
};

}  // namespace

void AppendExpositionValue(std::string* out, double v) {
  if (v == 0) {
    out->push_back('0');
    return;
  }
  AppendFloatGo(out, v, 'g');
}

void FederateApi::Register(Router* router) {
  router->Add({"GET"}, "/federate",
              [this](const HttpRequest& q, HttpResponse* r) { Federate(q, r); });
}

void FederateApi::Federate(const HttpRequest& req, HttpResponse* res) const {
  auto params = RequestParams(req);
  if (!params.ok()) return SetTextError(res, 400, params.status().message());
  std::vector<model::Matchers> selectors;
  for (const std::string& m : params->GetAll("match[]")) {
    auto parsed = query::ParseSeriesSelector(m);
    if (!parsed.ok()) return SetTextError(res, 400, parsed.status().message());
    if (Status s = storage::CheckSelectorMatchers(*parsed); !s.ok()) {
      return SetTextError(res, 400, s.message());
    }
    selectors.push_back(std::move(parsed).value());
  }
  const int64_t now = now_ms_();
  storage::SelectHints hints;
  hints.start_ms = now - lookback_ms_;
  hints.end_ms = now;
  hints.max_resolution_ms = 0;  // Raw samples only, with their own timestamps.
  // The union over the selectors: a series two of them match appears once.
  std::map<model::Labels, Latest> latest;
  std::vector<model::Sample> samples;
  for (const model::Matchers& m : selectors) {
    auto set = querier_->Select(m, hints);
    if (!set.ok()) return SetTextError(res, 500, set.status().ToString());
    while ((*set)->Next()) {
      if (Status s = (*set)->ReadSamples(&samples); !s.ok()) {
        return SetTextError(res, 500, s.ToString());
      }
      // The newest sample at or before now; a stale marker means the series has ended.
      auto it =
          std::upper_bound(samples.begin(), samples.end(), now,
                           [](int64_t t, const model::Sample& s) { return t < s.timestamp_ms; });
      if (it == samples.begin()) continue;
      --it;
      if (it->timestamp_ms < hints.start_ms || model::IsStaleNaN(it->value)) continue;
      latest.emplace((*set)->labels(), Latest{it->timestamp_ms, it->value});
    }
    if (Status s = (*set)->status(); !s.ok()) return SetTextError(res, 500, s.ToString());
  }
  // Families by metric name; a series without one is left out, as Prometheus does.
  std::vector<std::pair<const model::Labels*, Latest>> rows;
  rows.reserve(latest.size());
  for (const auto& [labels, l] : latest) {
    if (!labels.MetricName().empty()) rows.emplace_back(&labels, l);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.first->MetricName() < b.first->MetricName();
  });
  // instance="" unless an external label names it: a federating Prometheus then does not
  // attach its own target's instance.
  std::vector<model::Label> external(external_labels_.begin(), external_labels_.end());
  if (std::none_of(external.begin(), external.end(),
                   [](const model::Label& l) { return l.name == "instance"; })) {
    external.push_back({"instance", ""});
  }
  std::sort(external.begin(), external.end(),
            [](const model::Label& a, const model::Label& b) { return a.name < b.name; });
  std::string& out = res->body;
  std::string_view family;
  std::vector<std::pair<std::string_view, std::string_view>> labels;
  for (const auto& [series, l] : rows) {
    const std::string_view name = series->MetricName();
    if (name != family) {
      out.append("# TYPE ").append(name).append(" untyped\n");
      family = name;
    }
    labels.clear();
    for (const model::Label& x : *series) {
      if (x.name != model::kMetricNameLabel && !x.value.empty()) {
        labels.emplace_back(x.name, x.value);
      }
    }
    // The external labels go after the series' own, as Prometheus writes them.
    for (const model::Label& x : external) {
      if (series->Get(x.name).empty()) labels.emplace_back(x.name, x.value);
    }
    out.append(name).push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(labels[i].first).append("=\"");
      AppendEscaped(&out, labels[i].second);
      out.push_back('"');
    }
    out.append("} ");
    AppendExpositionValue(&out, l.v);
    out.push_back(' ');
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof(buf), l.t).ptr);
    out.push_back('\n');
  }
  res->status = 200;
  res->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

}  // namespace strata::server
