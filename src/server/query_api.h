// QueryApi: the PromQL endpoints of the Prometheus HTTP API: /api/v1/query, /api/v1/query_range
// (GET and form POST), /api/v1/format_query and /api/v1/query_exemplars (/api/v1/rules and
// /api/v1/alerts are in rules_api.h). Result JSON matches Prometheus byte for byte in shape and
// number formatting. Thread-safe.
#pragma once

#include <string>

#include "query/engine.h"
#include "query/value.h"
#include "server/router.h"
#include "storage/querier.h"

namespace strata::server {

struct QueryApiOptions {
  // Longest accepted range query in points per series (Prometheus: 11,000).
  int64_t max_points_per_series = 11000;
};

class QueryApi {
 public:
  // Borrows both; they must outlive the QueryApi.
  QueryApi(const storage::Querier* querier, const query::Engine* engine,
           QueryApiOptions options = {})
      : querier_(querier), engine_(engine), options_(options) {}

  void Register(Router* router);

  void Query(const HttpRequest& req, HttpResponse* res) const;
  void QueryRange(const HttpRequest& req, HttpResponse* res) const;
  void FormatQuery(const HttpRequest& req, HttpResponse* res) const;
  void QueryExemplars(const HttpRequest& req, HttpResponse* res) const;

 private:
  const storage::Querier* querier_;
  const query::Engine* engine_;
  QueryApiOptions options_;
};

// Prometheus' JSON encoding of a query result: {"resultType":...,"result":...}.
std::string EncodeQueryResult(const query::QueryValue& value);
void AppendQueryResult(std::string* out, const query::QueryValue& value);
// A sample value as Prometheus prints it: "1", "0.1", "1e-07", "+Inf", "NaN".
std::string FormatSampleValue(double v);
void AppendSampleValue(std::string* out, double v);
// A millisecond timestamp as Prometheus prints it: 1435781451.781, 1435781451, 0.05 -> "0.050".
void AppendTimestamp(std::string* out, int64_t ms);

}  // namespace strata::server
