// Url and ParseUrl: the "http://host[:port][/path]" URLs the benchmark drivers take as flags,
// and UrlEncode for query parameters. Plain HTTP only (the drivers speak no TLS). Values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace strata::bench {

struct Url {
  std::string host;  // As written: a name or an IPv4 address (IPv6 literals are not supported).
  std::string port;  // "80" when the URL names none.
  std::string path;  // From the first '/' after the authority, as written; "" if none.

  // "host:port", for the Host header and error messages.
  std::string HostPort() const { return host + ":" + port; }
  // The request target for a URL that names an endpoint: the path, or "/" if none.
  std::string Target() const { return path.empty() ? "/" : path; }
  // The path of a base URL, without trailing slashes ("" for "http://h:1/"), so that
  // BasePath() + "/api/v1/query" never holds "//".
  std::string BasePath() const;
};

// Parses "http://host[:port][/path]". nullopt for another scheme, an empty host or an empty
// port ("http://h:/x"). Does not validate the host or port further (connecting does).
std::optional<Url> ParseUrl(std::string_view url);

// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~),
// with upper-case hex digits: a query parameter name or value.
std::string UrlEncode(std::string_view s);

}  // namespace strata::bench
