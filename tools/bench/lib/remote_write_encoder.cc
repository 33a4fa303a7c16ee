#include "bench/lib/remote_write_encoder.h"

#include <snappy.h>

#include <algorithm>
#include <bit>
#include <cstdio>

#include "bench/lib/proto_wire.h"
#include "proto/remote.pb.h"

namespace strata::bench {

std::string EncodeLabels(LabelList labels) {
  std::sort(labels.begin(), labels.end());
  std::string block;
  for (const auto& [name, value] : labels) {
    std::string label;
    PutLengthDelimited(&label, 1, name);
    PutLengthDelimited(&label, 2, value);
    PutLengthDelimited(&block, 1, label);
  }
  return block;
}

size_t EncodeSampleField(double value, int64_t timestamp_ms, char* buf) {
  // The Sample message first, two bytes in, then its tag and (one-byte) length in front.
  char* sample = buf + 2;
  size_t n = 0;
  sample[n++] = 0x09;  // Sample.value: field 1, fixed64.
  const uint64_t bits = std::bit_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) sample[n++] = static_cast<char>(bits >> (8 * i));
  sample[n++] = 0x10;  // Sample.timestamp: field 2, varint.
  auto ts = static_cast<uint64_t>(timestamp_ms);
  while (ts >= 0x80) {
    sample[n++] = static_cast<char>(ts | 0x80);
    ts >>= 7;
  }
  sample[n++] = static_cast<char>(ts);
  buf[0] = 0x12;                  // TimeSeries.samples: field 2, length-delimited.
  buf[1] = static_cast<char>(n);  // At most 20: a one-byte varint.
  return n + 2;
}

void AppendTimeSeries(std::string* request, std::string_view label_block,
                      std::string_view sample_fields) {
  PutVarint(request, (1 << 3) | 2);  // WriteRequest.timeseries
  PutVarint(request, label_block.size() + sample_fields.size());
  request->append(label_block);
  request->append(sample_fields);
}

std::string SnappyCompress(std::string_view raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

bool SnappyUncompress(std::string_view compressed, std::string* raw) {
  return snappy::Uncompress(compressed.data(), compressed.size(), raw);
}

bool CheckWriteRequest(std::string_view raw, const WriteRequestShape& shape, std::string* error) {
  strata::proto::WriteRequest req;
  if (!req.ParseFromArray(raw.data(), static_cast<int>(raw.size()))) {
    *error = "protobuf parse failed";
    return false;
  }
  if (shape.series >= 0 && req.timeseries_size() != shape.series) {
    *error = "timeseries count mismatch";
    return false;
  }
  for (const auto& ts : req.timeseries()) {
    const bool samples_ok =
        shape.one_sample_per_series ? ts.samples_size() == 1 : ts.samples_size() >= 1;
    if (!samples_ok || ts.labels_size() < 3 || ts.labels(0).name() != "__name__") {
      *error = "unexpected TimeSeries shape";
      return false;
    }
    for (int i = 1; i < ts.labels_size(); ++i) {
      if (!(ts.labels(i - 1).name() < ts.labels(i).name())) {
        *error = "labels not sorted";
        return false;
      }
    }
    for (int i = 1; i < ts.samples_size(); ++i) {
      if (ts.samples(i).timestamp() <= ts.samples(i - 1).timestamp()) {
        *error = "samples not in time order";
        return false;
      }
    }
  }
  return true;
}

std::string FormatWriteRequest(std::string_view raw, int64_t n) {
  strata::proto::WriteRequest req;
  std::string out;
  if (!req.ParseFromArray(raw.data(), static_cast<int>(raw.size()))) return out;
  for (const auto& ts : req.timeseries()) {
    if (ts.labels_size() == 0) continue;
    std::string line = ts.labels(0).value() + "{";
    for (int j = 1; j < ts.labels_size(); ++j) {
      line += (j > 1 ? "," : "") + ts.labels(j).name() + "=\"" + ts.labels(j).value() + "\"";
    }
    for (const auto& s : ts.samples()) {
      if (n-- <= 0) return out;
      char buf[64];
      std::snprintf(buf, sizeof(buf), "} %.17g %lld\n", s.value(),
                    static_cast<long long>(s.timestamp()));
      out += line + buf;
    }
  }
  return out;
}

}  // namespace strata::bench
