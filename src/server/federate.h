// FederateApi: Prometheus' /federate. GET /federate?match[]=<selector>... answers the latest
// raw sample (within the lookback delta, stale markers excluded) of every series any selector
// matches, in the text exposition format (version 0.0.4) with each sample's own timestamp, one
// `# TYPE <name> untyped` family per metric name, and the external labels a series lacks
// added (`instance=""` always, unless an external label gives it), so that a Prometheus
// scraping it with honor_labels keeps the series as they are. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "model/labels.h"
#include "server/router.h"
#include "storage/querier.h"

namespace strata::server {

class FederateApi {
 public:
  // Borrows `querier`; `now_ms` gives the evaluation time (the wall clock in the server).
  FederateApi(const storage::Querier* querier, int64_t lookback_ms, model::Labels external_labels,
              std::function<int64_t()> now_ms)
      : querier_(querier),
        lookback_ms_(lookback_ms),
        external_labels_(std::move(external_labels)),
        now_ms_(std::move(now_ms)) {}

  void Register(Router* router);
  void Federate(const HttpRequest& req, HttpResponse* res) const;

 private:
  const storage::Querier* querier_;
  int64_t lookback_ms_;
  model::Labels external_labels_;
  std::function<int64_t()> now_ms_;
};

// A sample value as the text exposition format prints it (Go's 'g' shortest; 0 for -0).
void AppendExpositionValue(std::string* out, double v);

}  // namespace strata::server
