// Fuzz target: rule templates (rules::Template: Go text/template syntax with Prometheus'
// functions), parsed and executed with Prometheus' variables and a `query` function that
// answers one sample. Input: the template text.
// Properties: parse errors are InvalidArgument, execution errors FailedPrecondition; the output
// stays within Template::kMaxOutputBytes; ExpandForAlert never fails.
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "rules/template.h"

namespace strata::fuzz {
namespace {

rules::TemplateContext MakeContext() {
  rules::TemplateContext ctx;
  ctx.labels = model::Labels::FromPairs(
                   {{"instance", "host-1:9100"}, {"job", "node"}, {"severity", "critical"}})
                   .value();
  ctx.value = 0.8125;
  ctx.external_labels = model::Labels::FromPairs({{"cluster", "eu-1"}}).value();
  ctx.external_url = "https://prometheus.example.com/prom";
  ctx.path_prefix = "/prom";
  ctx.time_ms = 1767225600000;
  ctx.query = [](std::string_view expr) -> Result<std::vector<rules::TemplateSample>> {
    if (expr.empty()) return Status::InvalidArgument("empty query");
    std::vector<rules::TemplateSample> out(1);
    out[0].labels = model::Labels::FromPairs({{"__name__", "up"}, {"job", "node"}}).value();
    out[0].value = 1;
    return out;
  };
  return ctx;
}

void FuzzTemplate(std::span<const uint8_t> data) {
  static const rules::TemplateContext* ctx = new rules::TemplateContext(MakeContext());
  auto t = rules::Template::Parse("fuzz", AsText(data));
  if (!t.ok()) {
    if (t.status().code() != StatusCode::kInvalidArgument) {
      FuzzFail("Template::Parse: unexpected status " + t.status().ToString());
    }
    return;
  }
  auto out = t->Execute(*ctx);
  if (out.ok()) {
    if (out->size() > rules::Template::kMaxOutputBytes) FuzzFail("template output over the cap");
  } else if (out.status().code() != StatusCode::kFailedPrecondition) {
    FuzzFail("Template::Execute: unexpected status " + out.status().ToString());
  }
  t->ExpandForAlert(*ctx);
}

}  // namespace
}  // namespace strata::fuzz

STRATA_FUZZ_TARGET(template, strata::fuzz::FuzzTemplate)
