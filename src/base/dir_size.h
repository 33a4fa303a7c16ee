// DirectoryBytes: the total size of the regular files below a directory. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace strata {

// Sum of the sizes of the regular files under `dir`, recursively; 0 if it does not exist.
// Files that vanish during the walk are skipped.
uint64_t DirectoryBytes(const std::string& dir);

}  // namespace strata
