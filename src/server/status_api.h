// StatusApi: the status endpoints the web UI and Prometheus clients read, in Prometheus' JSON
// shapes: /api/v1/status/flags, /api/v1/status/runtimeinfo, /api/v1/status/tsdb; and Strata's
// own /api/v1/status/storage (each tier's size, partitions and blocks). Thread-safe: every
// source it reads is itself thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "server/router.h"
#include "storage/cold_store.h"
#include "storage/head.h"
#include "storage/warm_store.h"

namespace strata::server {

struct StatusSources {
  // Borrowed; null when that tier is not open (yet).
  const storage::Head* head = nullptr;
  const storage::WarmStore* warm = nullptr;
  const storage::ColdStore* cold = nullptr;
  // Command-line flags as given or defaulted, names without dashes, in a stable order.
  std::vector<std::pair<std::string, std::string>> flags;
  std::string data_dir;
  std::string storage_retention;  // As Prometheus prints it: "15d", "15d or 10GiB".
  int64_t start_time_ms = 0;
  // Whether the last rule-file load succeeded and when (ms); unset: always true, start time.
  std::function<std::pair<bool, int64_t>()> config_status;
};

class StatusApi {
 public:
  explicit StatusApi(StatusSources sources) : src_(std::move(sources)) {}
  void Register(Router* router);

  void Flags(const HttpRequest& req, HttpResponse* res) const;
  void RuntimeInfo(const HttpRequest& req, HttpResponse* res) const;
  void Tsdb(const HttpRequest& req, HttpResponse* res) const;
  void Storage(const HttpRequest& req, HttpResponse* res) const;

 private:
  StatusSources src_;
};

}  // namespace strata::server
