// WriteRequestView: a decoded Prometheus remote-write 1.0 WriteRequest whose strings borrow the
// decompressed protobuf bytes (zero-copy), laid out flat: one array of labels and one of
// samples for the whole request, with per-series ranges, so decoding allocates only when the
// arrays grow. DecodeWriteRequest is a hand-written decoder for proto/remote.proto. Confined.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/labels.h"
#include "model/sample.h"

namespace strata::ingest {

struct WriteRequestView {
  struct Series {
    uint32_t labels_begin = 0, labels_end = 0;
    uint32_t samples_begin = 0, samples_end = 0;
    uint32_t exemplars = 0;   // Present but not stored.
    uint32_t histograms = 0;  // Native histograms: not supported yet.
  };
  struct Metadata {
    int type = 0;  // proto MetricMetadata.MetricType
    std::string_view family;
    std::string_view help;
    std::string_view unit;
  };

  std::vector<model::LabelView> labels;
  std::vector<model::Sample> samples;
  std::vector<Series> series;
  std::vector<Metadata> metadata;

  std::span<const model::LabelView> LabelsOf(const Series& s) const {
    return std::span<const model::LabelView>(labels).subspan(s.labels_begin,
                                                             s.labels_end - s.labels_begin);
  }
  std::span<const model::Sample> SamplesOf(const Series& s) const {
    return std::span<const model::Sample>(samples).subspan(s.samples_begin,
                                                           s.samples_end - s.samples_begin);
  }
  void Clear() {
    labels.clear();
    samples.clear();
    series.clear();
    metadata.clear();
  }
};

// Decodes `proto` (an uncompressed WriteRequest) into `out`, which borrows `proto`.
// InvalidArgument naming the problem (truncated field, wrong wire type, bad varint) on
// malformed input. Unknown fields are skipped, as protobuf requires.
Status DecodeWriteRequest(std::string_view proto, WriteRequestView* out);

}  // namespace strata::ingest
