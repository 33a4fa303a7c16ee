#include "rules/template.h"

namespace strata::rules {

namespace template_internal {
struct Program {};
}  // namespace template_internal

Result<Template> Template::Parse(std::string_view name, std::string_view /*text*/) {
  return Template(std::string(name), std::make_shared<const template_internal::Program>());
}

Result<std::string> Template::Execute(const TemplateContext& /*ctx*/) const {
  return Status::NotSupported("template: " + name_ + ": execution not implemented yet");
}

}  // namespace strata::rules
