#include "storage/objstore/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace strata::storage::objstore {

namespace {

constexpr const char* kOpNames[kNumOps] = {"put", "get", "get_range", "stat", "list", "delete"};

}  // namespace

ObjectStoreMetrics::ObjectStoreMetrics(prometheus::Registry* registry) {
  if (registry == nullptr) return;
  auto& requests = prometheus::BuildCounter()
                       .Name("strata_objstore_requests_total")
                       .Help("Object store calls, by operation.")
                       .Register(*registry);
  auto& errors = prometheus::BuildCounter()
                     .Name("strata_objstore_request_errors_total")
                     .Help("Object store calls that failed (a missing object is not a failure).")
                     .Register(*registry);
  auto& retries = prometheus::BuildCounter()
                      .Name("strata_objstore_retries_total")
                      .Help(
                          "S3 request attempts repeated after a 5xx, 429, timeout or "
                          "connection error.")
                      .Register(*registry);
  for (int i = 0; i < kNumOps; ++i) {
    requests_[i] = &requests.Add({{"op", kOpNames[i]}});
    errors_[i] = &errors.Add({{"op", kOpNames[i]}});
    retries_[i] = &retries.Add({{"op", kOpNames[i]}});
  }
  downloaded_ = &prometheus::BuildCounter()
                     .Name("strata_objstore_bytes_downloaded_total")
                     .Help("Object bytes read from the object store.")
                     .Register(*registry)
                     .Add({});
  uploaded_ = &prometheus::BuildCounter()
                   .Name("strata_objstore_bytes_uploaded_total")
                   .Help("Object bytes written to the object store.")
                   .Register(*registry)
                   .Add({});
}

void ObjectStoreMetrics::Request(Op op) {
  if (auto* c = requests_[static_cast<int>(op)]) c->Increment();
}

void ObjectStoreMetrics::Finished(Op op, const Status& status) {
  if (status.ok() || status.IsNotFound()) return;
  if (auto* c = errors_[static_cast<int>(op)]) c->Increment();
}

void ObjectStoreMetrics::Retry(Op op) {
  if (auto* c = retries_[static_cast<int>(op)]) c->Increment();
}

void ObjectStoreMetrics::Downloaded(uint64_t bytes) {
  if (downloaded_) downloaded_->Increment(static_cast<double>(bytes));
}

void ObjectStoreMetrics::Uploaded(uint64_t bytes) {
  if (uploaded_) uploaded_->Increment(static_cast<double>(bytes));
}

}  // namespace strata::storage::objstore
