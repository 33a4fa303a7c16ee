#include "rules/yaml_merge.h"

#include <set>
#include <string>
#include <vector>

namespace strata::rules {
namespace {

bool IsMergeKey(const YAML::Node& key) {
  return key.IsScalar() && key.Tag() == "?" && key.Scalar() == "<<";
}

class Resolver {
 public:
  Resolver(size_t max_nodes, int* error_line) : budget_(max_nodes), error_line_(error_line) {}

  Status Resolve(YAML::Node node, int depth) {
    if (budget_ == 0) {
      return Status::InvalidArgument(
          "the YAML document is too large once its aliases are "
          "expanded");
    }
    --budget_;
    if (depth > 256) return Fail(node, "YAML nested too deeply");
    if (node.IsSequence()) {
      for (YAML::Node child : node) STRATA_RETURN_IF_ERROR(Resolve(child, depth + 1));
      return Status::Ok();
    }
    if (!node.IsMap()) return Status::Ok();
    YAML::Node merge;
    bool has_merge = false;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (IsMergeKey(it->first)) {
        merge = it->second;
        has_merge = true;
      } else {
        STRATA_RETURN_IF_ERROR(Resolve(it->second, depth + 1));
      }
    }
    if (!has_merge) return Status::Ok();
    std::vector<YAML::Node> sources;
    if (merge.IsMap()) {
      sources.push_back(merge);
    } else if (merge.IsSequence()) {
      for (YAML::Node m : merge) sources.push_back(m);
    }
    for (const YAML::Node& m : sources) {
      if (!m.IsMap()) {
        return Fail(merge, "map merge requires a map or a sequence of maps as the value");
      }
    }
    if (sources.empty() && !merge.IsSequence()) {
      return Fail(merge, "map merge requires a map or a sequence of maps as the value");
    }
    // Collect first: the node is changed after.
    std::set<std::string> present;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!IsMergeKey(it->first)) present.insert(it->first.Scalar());
    }
    std::vector<std::pair<YAML::Node, YAML::Node>> added;
    for (YAML::Node m : sources) {
      STRATA_RETURN_IF_ERROR(Resolve(m, depth + 1));
      for (auto it = m.begin(); it != m.end(); ++it) {
        if (IsMergeKey(it->first)) continue;
        if (present.insert(it->first.Scalar()).second) added.emplace_back(it->first, it->second);
      }
    }
    node.remove(std::string("<<"));
    for (auto& [k, v] : added) node[k] = v;
    return Status::Ok();
  }

 private:
  Status Fail(const YAML::Node& at, const std::string& message) {
    if (error_line_ != nullptr && at.Mark().line >= 0) *error_line_ = at.Mark().line + 1;
    return Status::InvalidArgument(message);
  }

  size_t budget_;
  int* error_line_;
};

}  // namespace

Status ResolveYamlMergeKeys(YAML::Node root, int* error_line, size_t max_nodes) {
  if (error_line != nullptr) *error_line = 1;
  try {
    return Resolver(max_nodes, error_line).Resolve(root, 0);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("yaml: " + e.msg);
  }
}

}  // namespace strata::rules
