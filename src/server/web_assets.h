// The web UI's files, embedded into the binary at build time (cmake/embed_assets.cmake turns
// web/* and Debian's libjs-dygraphs into a generated source). Immutable; thread-safe.
#pragma once

#include <span>
#include <string_view>

namespace strata::server {

struct EmbeddedAsset {
  std::string_view path;   // URL path, e.g. "/static/app.js".
  std::string_view bytes;  // The file as it was at build time.
};

// Every embedded file, in the order CMake listed them.
std::span<const EmbeddedAsset> EmbeddedAssets();

}  // namespace strata::server
