// Prometheus remote-write 1.0 WriteRequest encoding for the benchmark drivers: label blocks
// encoded once per series, samples appended without allocating, snappy framing, and checks
// that parse a request back with the generated classes (proto/remote.proto) to guard the
// hand-rolled encoder. Layout: proto/remote.proto. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/lib/series_model.h"

namespace strata::bench {

// The TimeSeries.labels fields (field 1, Label{name = 1, value = 2}) of `labels`, sorted by name
// as Prometheus sends them. REQUIRES: names unique.
std::string EncodeLabels(LabelList labels);

// The largest TimeSeries.samples field EncodeSampleField writes.
inline constexpr size_t kMaxSampleFieldBytes = 22;

// Writes one TimeSeries.samples field (field 2: Sample{value = 1 fixed64, timestamp = 2
// varint}) into buf and returns its size. REQUIRES: buf holds kMaxSampleFieldBytes.
size_t EncodeSampleField(double value, int64_t timestamp_ms, char* buf);

// Appends one WriteRequest.timeseries field (field 1) made of an encoded label block
// (EncodeLabels) and encoded sample fields (EncodeSampleField, concatenated, in time order).
void AppendTimeSeries(std::string* request, std::string_view label_block,
                      std::string_view sample_fields);

// Snappy block compression, as remote write's Content-Encoding: snappy.
std::string SnappyCompress(std::string_view raw);
// False if `compressed` is not a valid snappy block.
bool SnappyUncompress(std::string_view compressed, std::string* raw);

struct WriteRequestShape {
  int64_t series = -1;                 // Exact number of TimeSeries; -1: any.
  bool one_sample_per_series = false;  // Else at least one, strictly increasing in time.
};

// Parses `raw` (an uncompressed WriteRequest) with the generated protobuf classes and checks
// that every TimeSeries has at least 3 labels, __name__ first, names strictly increasing, and the
// samples `shape` asks for. False with *error naming the first problem.
bool CheckWriteRequest(std::string_view raw, const WriteRequestShape& shape, std::string* error);

// The first `n` samples of `raw` in the text exposition format, one a line:
// "name{a="x",b="y"} value timestamp_ms", values with %.17g. "" if `raw` does not parse.
std::string FormatWriteRequest(std::string_view raw, int64_t n);

}  // namespace strata::bench
