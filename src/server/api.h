// Api: the Prometheus HTTP API handlers over the head: /api/v1/series, /api/v1/labels,
// /api/v1/label/<name>/values, /api/v1/metadata, /api/v1/status/buildinfo, and raw selection
// through /api/v1/query for bare (range) vector selectors until the PromQL engine lands.
// Thread-safe: handlers only read shared state that is itself thread-safe.
#pragma once

#include <string>

#include "server/router.h"
#include "storage/metadata_store.h"
#include "storage/querier.h"

namespace strata::server {

class Api {
 public:
  // Borrows everything; all must outlive the Api.
  Api(const storage::Querier* querier, const storage::MetadataStore* metadata, std::string version)
      : querier_(querier), metadata_(metadata), version_(std::move(version)) {}

  void Register(Router* router);

  void Series(const HttpRequest& req, HttpResponse* res) const;
  void LabelNames(const HttpRequest& req, HttpResponse* res) const;
  void LabelValues(const HttpRequest& req, HttpResponse* res) const;
  void Metadata(const HttpRequest& req, HttpResponse* res) const;
  void BuildInfo(const HttpRequest& req, HttpResponse* res) const;

 private:
  const storage::Querier* querier_;  // Every tier, merged.
  const storage::MetadataStore* metadata_;
  std::string version_;
};

}  // namespace strata::server
