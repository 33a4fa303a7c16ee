// Protobuf wire decoding for WriteRequest / TimeSeries / Label / Sample / MetricMetadata.
// Field numbers and wire types: proto/remote.proto (Prometheus prompb).
#include "ingest/write_request.h"

#include <bit>
#include <string>

#include "base/coding.h"
#include "ingest/proto_wire.h"

namespace strata::ingest {
namespace {

using wire::kFixed32;
using wire::kFixed64;
using wire::kLen;
using wire::kVarint;
using wire::Reader;

Status Malformed(const char* what) {
  return Status::InvalidArgument(std::string("malformed protobuf WriteRequest: ") + what);
}

Status DecodeLabel(std::string_view in, model::LabelView* out) {
  Reader r(in);
  *out = {};
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    if (!r.Tag(&field, &wire)) return Malformed("bad tag in Label");
    if ((field == 1 || field == 2) && wire == kLen) {
      if (!r.Bytes(field == 1 ? &out->name : &out->value)) return Malformed("truncated Label");
    } else if (field == 1 || field == 2) {
      return Malformed("wrong wire type in Label");
    } else if (!r.Skip(wire)) {
      return Malformed("truncated unknown field in Label");
    }
  }
  return Status::Ok();
}

Status DecodeSample(std::string_view in, model::Sample* out) {
  Reader r(in);
  *out = {};
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    if (!r.Tag(&field, &wire)) return Malformed("bad tag in Sample");
    if (field == 1) {
      uint64_t bits = 0;
      if (wire != kFixed64) return Malformed("Sample.value must be a double (wire type 1)");
      if (!r.Fixed64(&bits)) return Malformed("truncated Sample.value");
      out->value = std::bit_cast<double>(bits);
    } else if (field == 2) {
      uint64_t v = 0;
      if (wire != kVarint) return Malformed("Sample.timestamp must be an int64 (wire type 0)");
      if (!r.Varint(&v)) return Malformed("truncated Sample.timestamp");
      out->timestamp_ms = static_cast<int64_t>(v);
    } else if (!r.Skip(wire)) {
      return Malformed("truncated unknown field in Sample");
    }
  }
  return Status::Ok();
}

Status DecodeTimeSeries(std::string_view in, WriteRequestView* out) {
  Reader r(in);
  WriteRequestView::Series s;
  s.labels_begin = s.labels_end = static_cast<uint32_t>(out->labels.size());
  s.samples_begin = s.samples_end = static_cast<uint32_t>(out->samples.size());
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    if (!r.Tag(&field, &wire)) return Malformed("bad tag in TimeSeries");
    std::string_view sub;
    if (field >= 1 && field <= 4) {
      if (wire != kLen) return Malformed("wrong wire type in TimeSeries");
      if (!r.Bytes(&sub)) return Malformed("truncated TimeSeries field");
    }
    switch (field) {
      case 1: {
        model::LabelView l;
        STRATA_RETURN_IF_ERROR(DecodeLabel(sub, &l));
        out->labels.push_back(l);
        break;
      }
      case 2: {
        model::Sample smp;
        STRATA_RETURN_IF_ERROR(DecodeSample(sub, &smp));
        out->samples.push_back(smp);
        break;
      }
      case 3:
        ++s.exemplars;
        break;
      case 4:
        ++s.histograms;
        break;
      default:
        if (!r.Skip(wire)) return Malformed("truncated unknown field in TimeSeries");
    }
  }
  s.labels_end = static_cast<uint32_t>(out->labels.size());
  s.samples_end = static_cast<uint32_t>(out->samples.size());
  out->series.push_back(s);
  return Status::Ok();
}

Status DecodeMetadata(std::string_view in, WriteRequestView* out) {
  Reader r(in);
  WriteRequestView::Metadata m;
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    if (!r.Tag(&field, &wire)) return Malformed("bad tag in MetricMetadata");
    if (field == 1 && wire == kVarint) {
      uint64_t v = 0;
      if (!r.Varint(&v)) return Malformed("truncated MetricMetadata.type");
      m.type = static_cast<int>(v & 0x7fffffff);
    } else if ((field == 2 || field == 4 || field == 5) && wire == kLen) {
      std::string_view* dst = field == 2 ? &m.family : field == 4 ? &m.help : &m.unit;
      if (!r.Bytes(dst)) return Malformed("truncated MetricMetadata field");
    } else if (!r.Skip(wire)) {
      return Malformed("truncated unknown field in MetricMetadata");
    }
  }
  out->metadata.push_back(m);
  return Status::Ok();
}

}  // namespace

Status DecodeWriteRequest(std::string_view proto, WriteRequestView* out) {
  out->Clear();
  Reader r(proto);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    if (!r.Tag(&field, &wire)) return Malformed("bad tag in WriteRequest");
    if ((field == 1 || field == 3) && wire == kLen) {
      std::string_view sub;
      if (!r.Bytes(&sub)) return Malformed("truncated WriteRequest field");
      if (field == 1) {
        STRATA_RETURN_IF_ERROR(DecodeTimeSeries(sub, out));
      } else {
        STRATA_RETURN_IF_ERROR(DecodeMetadata(sub, out));
      }
    } else if (field == 1 || field == 3) {
      return Malformed("wrong wire type in WriteRequest");
    } else if (!r.Skip(wire)) {
      return Malformed("truncated unknown field in WriteRequest");
    }
  }
  return Status::Ok();
}

}  // namespace strata::ingest
