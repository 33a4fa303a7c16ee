// Parsing of Prometheus HTTP API parameters: times (RFC 3339 or Unix seconds with fractions)
// and durations (Prometheus duration strings or float seconds), with Prometheus' error wording.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "server/http_types.h"
#include "server/url.h"

namespace strata::server {

// The bounds Prometheus uses for a missing start/end on metadata endpoints.
inline constexpr int64_t kMinTimeMs = INT64_MIN / 2;
inline constexpr int64_t kMaxTimeMs = INT64_MAX / 2;

// "1609459200", "1609459200.123", "2021-01-01T00:00:00Z", "2021-01-01T00:00:00.5+01:00".
// InvalidArgument: cannot parse "x" to a valid timestamp.
Result<int64_t> ParseTimeMillis(std::string_view text);

// "5m", "1h30m", "15", "0.5" (seconds). InvalidArgument: cannot parse "x" to a valid duration.
Result<int64_t> ParseDurationParamMillis(std::string_view text);

// Query string plus, for form POSTs, the urlencoded body. InvalidArgument on bad encoding.
Result<Params> RequestParams(const HttpRequest& req);

// Reads an optional time parameter; `fallback` when absent or empty.
Result<int64_t> TimeParam(const Params& params, std::string_view name, int64_t fallback);

// {"status":"success","data":<data_json>} with status 200.
void SetJsonSuccess(HttpResponse* res, std::string_view data_json);
// The same built in place, for large data: BeginJsonSuccess sets the status and starts the
// body; the caller appends the data JSON to res->body; EndJsonSuccess closes it, adding
// "warnings" and "infos" arrays when not empty.
void BeginJsonSuccess(HttpResponse* res);
void EndJsonSuccess(HttpResponse* res, const std::vector<std::string>& warnings = {},
                    const std::vector<std::string>& infos = {});
// The same with a "warnings" array (omitted when empty), as Prometheus adds e.g.
// "results truncated due to limit".
void SetJsonSuccess(HttpResponse* res, std::string_view data_json,
                    const std::vector<std::string>& warnings,
                    const std::vector<std::string>& infos = {});

// Maps a Status to Prometheus' errorType and HTTP status (InvalidArgument -> 400 bad_data,
// DeadlineExceeded -> 503 timeout, Cancelled -> 503 canceled, ResourceExhausted -> 422
// execution, NotFound -> 404 not_found, others -> 500/422 internal/execution).
void SetStatusError(HttpResponse* res, const Status& s);

}  // namespace strata::server
