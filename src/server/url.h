// URL query-string and form-body decoding (application/x-www-form-urlencoded), as used by the
// Prometheus HTTP API. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace strata::server {

// Ordered name/value pairs; names may repeat (match[]=a&match[]=b).
class Params {
 public:
  void Add(std::string name, std::string value) {
    pairs_.emplace_back(std::move(name), std::move(value));
  }
  // The first value for `name`, or nullptr.
  const std::string* Get(std::string_view name) const;
  std::vector<std::string> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name) != nullptr; }
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// Percent-decodes `s` ('+' becomes a space). InvalidArgument on a malformed escape.
Result<std::string> UrlDecode(std::string_view s);

// Appends the pairs of `query` ("a=1&b=2") to `out`. InvalidArgument on a malformed escape.
Status ParseUrlEncoded(std::string_view query, Params* out);

}  // namespace strata::server
