// Template: Prometheus' way of running rule templates. Like Prometheus (rules/alerting.go), the
// text is prefixed with definitions of $labels, $externalLabels, $externalURL and $value, so
// the variables, their scoping and the error positions are those Prometheus reports.
#include "rules/template.h"

#include "rules/template/exec.h"
#include "rules/template/funcs.h"
#include "rules/template/parser.h"
#include "rules/template/value.h"

namespace strata::rules {

namespace template_internal {
struct Program {
  std::unique_ptr<TemplateSet> set;
};
}  // namespace template_internal

namespace {

using template_internal::AlertData;
using template_internal::StrMap;

constexpr std::string_view kDefs =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
    "{{$externalURL := .ExternalURL}}{{$value := .Value}}";

std::shared_ptr<const StrMap> ToMap(const model::Labels& labels) {
  auto m = std::make_shared<StrMap>();
  for (const auto& l : labels) m->emplace(l.name, l.value);
  return m;
}

}  // namespace

Result<Template> Template::Parse(std::string_view name, std::string_view text) {
  if (text.size() > kMaxTextBytes) {
    return Status::InvalidArgument("template: " + std::string(name) + ": text exceeds " +
                                   std::to_string(kMaxTextBytes) + " bytes");
  }
  std::string full(kDefs);
  full.append(text);
  template_internal::ParseLimits limits;
  limits.max_depth = kMaxNesting;
  STRATA_ASSIGN_OR_RETURN(auto set, template_internal::ParseTemplate(
                                        name, full,
                                        [](std::string_view f) {
                                          return template_internal::FindFunction(f) != nullptr;
                                        },
                                        limits));
  auto program = std::make_shared<template_internal::Program>();
  program->set = std::move(set);
  return Template(std::string(name), std::move(program));
}

Result<std::string> Template::Execute(const TemplateContext& ctx) const {
  if (!program_) return std::string();
  auto data = std::make_shared<AlertData>();
  data->labels = ToMap(ctx.labels);
  data->external_labels = ToMap(ctx.external_labels);
  data->external_url = ctx.external_url;
  data->value = ctx.value;
  template_internal::ExecLimits limits;
  limits.max_output_bytes = kMaxOutputBytes;
  limits.max_template_depth = kMaxTemplateCalls;
  limits.max_steps = kMaxSteps;
  return template_internal::ExecuteTemplate(
      *program_->set, name_,
      template_internal::Value::Of(std::shared_ptr<const AlertData>(std::move(data))), ctx, limits);
}

std::string Template::ExpandForAlert(const TemplateContext& ctx) const {
  auto r = Execute(ctx);
  if (r.ok()) return std::move(r).value();
  return "<error expanding template: error executing template " + name_ + ": " +
         r.status().message() + ">";
}

std::string GraphLinkForExpression(std::string_view expr) {
  return "/graph?g0.expr=" + template_internal::QueryEscape(expr) + "&g0.tab=0";
}

std::string TableLinkForExpression(std::string_view expr) {
  return "/graph?g0.expr=" + template_internal::QueryEscape(expr) + "&g0.tab=1";
}

}  // namespace strata::rules
