// YAML 1.1 merge keys, which yaml-cpp leaves as a literal "<<" key: Prometheus reads its YAML
// with Go's yaml package, which resolves them, so rule files and web configs may use them.
// Pure; thread-safe for distinct nodes.
#pragma once

#include <yaml-cpp/yaml.h>

#include "base/status.h"

namespace strata::rules {

// Resolves every merge key under `root` in place: in a mapping, a plain (unquoted) `<<` key
// whose value is a mapping, or a list of mappings, is replaced by those mappings' entries that
// the mapping does not have itself (of two merged mappings, the earlier in the list wins).
// Merged values keep their source positions (Mark) for error messages. InvalidArgument (its
// 1-based line in *error_line, when not null) for a merge value that is not a mapping or a list
// of them, or when the document (aliases expanded) has more than `max_nodes` nodes.
Status ResolveYamlMergeKeys(YAML::Node root, int* error_line = nullptr,
                            size_t max_nodes = 1'000'000);

}  // namespace strata::rules
