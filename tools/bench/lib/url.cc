#include "bench/lib/url.h"

namespace strata::bench {

std::string Url::BasePath() const {
  std::string p = path;
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p;
}

std::optional<Url> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  Url u;
  if (slash != std::string_view::npos) u.path = std::string(url.substr(slash));
  const size_t colon = authority.rfind(':');
  u.host = std::string(authority.substr(0, colon));
  u.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  if (u.host.empty() || u.port.empty()) return std::nullopt;
  return u;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace strata::bench
