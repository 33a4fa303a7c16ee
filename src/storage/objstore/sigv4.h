// AWS Signature Version 4 for S3 (header-based authorization), as specified in
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html, in S3's mode: the
// path is not normalised and each byte is percent-encoded once. The request URL must be built
// from EncodedPath() and CanonicalQueryString(), so what is sent is what was signed.
// Stateless and thread-safe. Private to storage.
//
// Why not libcurl's CURLOPT_AWS_SIGV4: Debian 12's libcurl 7.88 signs the query string as given
// (neither sorted nor re-encoded, "?uploads" without its "="), never adds
// x-amz-content-sha256 or the session token, and cannot be checked against the AWS test
// vectors; see the commit that added this file.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::storage::objstore {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SigV4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // Empty: long-term credentials.
};

// A request as it will be sent, before signing.
struct SigV4Request {
  std::string method;  // "GET", "PUT", ...
  // The decoded path, starting with '/': "/bucket/my key+1". Encoded once by the signer.
  std::string path = "/";
  // Decoded query parameters, in any order; a parameter without a value has value "".
  HeaderList query;
  // Headers to sign and send; must contain Host. X-Amz-Date and X-Amz-Security-Token are
  // added by SignV4. Names are case-insensitive; repeated names are joined in order.
  HeaderList headers;
  // Lower-case hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
  std::string payload_sha256;
};

struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // Lower-case hex.
  // The headers to add to the request: X-Amz-Date, X-Amz-Security-Token (with a session
  // token) and Authorization.
  HeaderList headers;
};

// Signs `request` at `amz_date` ("20150830T123600Z", UTC) for `region` and `service` ("s3").
SigV4Signature SignV4(const SigV4Request& request, const SigV4Credentials& credentials,
                      std::string_view region, std::string_view service, std::string_view amz_date);

// RFC 3986 percent-encoding as SigV4 wants it: every byte except A-Z a-z 0-9 - . _ ~ becomes
// %XX (upper-case hex); '/' is kept when `keep_slash`.
std::string UriEncode(std::string_view s, bool keep_slash);
// The encoded path of a request: UriEncode(path, keep_slash=true).
inline std::string EncodedPath(std::string_view path) { return UriEncode(path, true); }
// name=value pairs, each encoded, sorted by encoded name then value, joined by '&'. Also the
// query string to send.
std::string CanonicalQueryString(const HeaderList& query);
// "20150830T123600Z".
std::string FormatAmzDate(std::chrono::system_clock::time_point t);

}  // namespace strata::storage::objstore
