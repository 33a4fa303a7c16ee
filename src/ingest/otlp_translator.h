// OTLP metrics -> Prometheus series. TranslateOtlpMetrics decodes an ExportMetricsServiceRequest
// (proto/otlp/.../metrics_service.proto) straight from its protobuf bytes with a hand-written
// wire decoder and appends the series it becomes to an IngestBatch, following the OpenTelemetry
// "Prometheus and OpenMetrics compatibility" specification with Prometheus 3's default
// translation (UnderscoreEscapingWithSuffixes). Rules: src/ingest/README.md and README.md
// ("OpenTelemetry (OTLP)"). Strings borrow the request bytes or `arena`. Pure functions of their
// inputs; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ingest/ingest_pipeline.h"
#include "ingest/string_arena.h"

namespace strata::ingest {

struct OtlpTranslateOptions {
  // Resource attributes copied onto every series of their resource as labels (names sanitized
  // like attribute names; a data point attribute of the same name wins). Prometheus 3's
  // `otlp.promote_resource_attributes`. Default: none (they are in target_info).
  std::vector<std::string> promote_resource_attributes;
};

// Counts of one request, in OTLP data points.
struct OtlpTranslation {
  uint64_t points = 0;           // Data points in the request.
  uint64_t rejected_points = 0;  // Rejected by translation (reasons in the batch).
};

// Appends the series of `request` (an ExportMetricsServiceRequest) to `batch`; every data point
// becomes one batch unit. Points that cannot be translated are rejected in `batch` with a
// reason (delta temporality, exponential histogram, bad timestamp, mismatched buckets...).
// Returns InvalidArgument for undecodable protobuf (truncated, wrong wire type, bad varint);
// the batch must then be discarded. REQUIRES: `request` and `arena` outlive the batch's use.
Status TranslateOtlpMetrics(std::string_view request, const OtlpTranslateOptions& options,
                            StringArena* arena, IngestBatch* batch, OtlpTranslation* out);

// The metric kinds the name rules distinguish.
enum class OtlpMetricKind { kGauge, kCounter, kNonMonotonicSum, kHistogram, kSummary };

// The Prometheus name of an OTLP metric: tokens of [a-zA-Z0-9:] joined by "_", the unit's
// Prometheus name appended unless already a token ("s" -> seconds, "By" -> bytes, "1" -> none,
// "{...}" annotations dropped, "a/b" -> a_per_b), "total" moved to the end for counters,
// "ratio" for gauges of unit "1", "_" before a leading digit. "" when nothing usable remains.
std::string OtlpMetricName(std::string_view name, std::string_view unit, OtlpMetricKind kind);
// The Prometheus unit of an OTLP unit (for metadata): "s" -> "seconds", "By/s" ->
// "bytes_per_second", "1" -> "", "{request}" -> "".
std::string OtlpUnitName(std::string_view unit);
// A Prometheus label name for an attribute key: runs of characters outside [a-zA-Z0-9] become
// one "_", "key_" before a leading digit, "__x__" kept reserved. "" when invalid (empty, or
// only underscores remain).
std::string OtlpLabelName(std::string_view key);

}  // namespace strata::ingest
