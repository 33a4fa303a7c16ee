// Test-only helpers to build snappy-compressed remote-write requests with libprotobuf and our
// proto/remote.proto (the encoder side is the real protobuf library, not our decoder).
#pragma once

#include <snappy.h>

#include <string>
#include <utility>
#include <vector>

#include "proto/remote.pb.h"

namespace strata::testutil {

struct RwSeries {
  std::vector<std::pair<std::string, std::string>> labels;  // sent in this order
  std::vector<std::pair<int64_t, double>> samples;          // (timestamp ms, value)
};

inline std::string EncodeWriteRequest(const std::vector<RwSeries>& series) {
  strata::proto::WriteRequest req;
  for (const auto& s : series) {
    auto* ts = req.add_timeseries();
    for (const auto& [n, v] : s.labels) {
      auto* l = ts->add_labels();
      l->set_name(n);
      l->set_value(v);
    }
    for (const auto& [t, v] : s.samples) {
      auto* smp = ts->add_samples();
      smp->set_timestamp(t);
      smp->set_value(v);
    }
  }
  return req.SerializeAsString();
}

inline std::string Snappy(const std::string& raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

inline std::string SnappyWriteRequest(const std::vector<RwSeries>& series) {
  return Snappy(EncodeWriteRequest(series));
}

// The headers Prometheus sends with a remote-write 1.0 request.
inline const std::vector<std::pair<std::string, std::string>>& RemoteWriteHeaders() {
  static const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/x-protobuf"},
      {"Content-Encoding", "snappy"},
      {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
  return headers;
}

}  // namespace strata::testutil
