#include "server/url.h"

namespace strata::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::string* Params::Get(std::string_view name) const {
  for (const auto& [k, v] : pairs_) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::vector<std::string> Params::GetAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : pairs_) {
    if (k == name) out.push_back(v);
  }
  return out;
}

Result<std::string> UrlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= s.size()) {
        return Status::InvalidArgument("invalid URL escape \"" + std::string(s.substr(i)) + "\"");
      }
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("invalid URL escape \"" + std::string(s.substr(i, 3)) +
                                       "\"");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Status ParseUrlEncoded(std::string_view query, Params* out) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    STRATA_ASSIGN_OR_RETURN(std::string name, UrlDecode(pair.substr(0, eq)));
    std::string value;
    if (eq != std::string_view::npos) {
      STRATA_ASSIGN_OR_RETURN(value, UrlDecode(pair.substr(eq + 1)));
    }
    out->Add(std::move(name), std::move(value));
  }
  return Status::Ok();
}

}  // namespace strata::server
