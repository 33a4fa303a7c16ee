// Helpers for the template tests: parse and execute in one call, with a context holding
// typical alert data and a fake query function.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "rules/template.h"

namespace strata::rules::template_testing {

inline model::Labels L(std::vector<model::Label> pairs) {
  return model::Labels::FromPairs(std::move(pairs)).value();
}

// $labels = {__name__="up", instance="host:9100", job="node", namespace="ns", pod="p-1"},
// $value = 1, external label cluster="eu1", external URL http://prom.example:9090/prefix.
inline TemplateContext DefaultContext() {
  TemplateContext ctx;
  ctx.labels = L({{"__name__", "up"},
                  {"instance", "host:9100"},
                  {"job", "node"},
                  {"namespace", "ns"},
                  {"pod", "p-1"}});
  ctx.value = 1;
  ctx.external_labels = L({{"cluster", "eu1"}});
  ctx.external_url = "http://prom.example:9090/prefix";
  ctx.path_prefix = "/prefix";
  ctx.time_ms = 1435065584128;
  return ctx;
}

// Parses and executes `text`; on a parse or execution error returns "ERROR: <message>".
inline std::string Expand(std::string_view text, const TemplateContext& ctx = DefaultContext()) {
  auto t = Template::Parse("test", text);
  if (!t.ok()) return "ERROR: " + t.status().message();
  auto r = t->Execute(ctx);
  if (!r.ok()) return "ERROR: " + r.status().message();
  return *r;
}

inline std::string ExpandWithValue(std::string_view text, double value) {
  TemplateContext ctx = DefaultContext();
  ctx.value = value;
  return Expand(text, ctx);
}

// Column offset that Prometheus' variable definitions add on line 1 of every rule template.
inline constexpr int kDefsLen = 112;

inline std::string Col(int col) { return std::to_string(col + kDefsLen); }

}  // namespace strata::rules::template_testing
