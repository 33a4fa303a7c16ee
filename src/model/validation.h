// Prometheus naming and encoding rules for metric names, label names and label values, and the
// label checks every ingest path (remote write, OTLP) runs before appending. Pure, thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"
#include "model/labels.h"

namespace strata::model {

// [a-zA-Z_:][a-zA-Z0-9_:]* (Prometheus' legacy metric name rule). Empty is invalid.
bool IsValidMetricName(std::string_view name);

// [a-zA-Z_][a-zA-Z0-9_]* (Prometheus' legacy label name rule). Empty is invalid. Names starting
// with "__" are valid here; they are reserved for internal use but remote write may carry them.
bool IsValidLabelName(std::string_view name);

// Strict UTF-8, as Go's utf8.ValidString: rejects overlong encodings, surrogates (U+D800..DFFF),
// code points above U+10FFFF, stray continuation bytes and truncated sequences. NUL is valid.
bool IsValidUtf8(std::string_view s);

// Checks a series' labels before ingestion. Returns InvalidArgument, naming the first problem:
//   `missing metric name (__name__ label)`  no __name__ (or only an empty one)
//   `invalid metric name "1abc"`            __name__ fails IsValidMetricName
//   `invalid label name "a-b"`              a name fails IsValidLabelName
//   `invalid UTF-8 in value of label "job"` a value fails IsValidUtf8
// Names and values in messages are Go-quoted, so bad bytes appear as \xNN escapes.
// Other names starting with "__" are accepted (Prometheus remote write allows them). Sortedness
// and uniqueness are already guaranteed by Labels.
Status ValidateLabelsForIngest(const Labels& labels);

}  // namespace strata::model
