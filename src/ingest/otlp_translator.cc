// Wire decoding and translation in one pass per message, so nothing of the request is
// materialised besides the flat batch. Field numbers: proto/otlp/opentelemetry/proto/**. Every
// message is read field by field in any order (two passes where a message's header fields may
// follow its data); unknown fields are skipped, as protobuf requires.
#include "ingest/otlp_translator.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>

#include "base/coding.h"
#include "base/float_format.h"
#include "ingest/proto_wire.h"
#include "model/quote.h"
#include "model/validation.h"

namespace strata::ingest {
namespace {

using wire::kFixed32;
using wire::kFixed64;
using wire::kLen;
using wire::kVarint;

Status Malformed(std::string_view where) {
  return Status::InvalidArgument("malformed protobuf ExportMetricsServiceRequest: " +
                                 std::string(where));
}

// The protobuf field reader; the OTLP decoder calls Tag() Next().
class Reader : public wire::Reader {
 public:
  using wire::Reader::Reader;
  bool Next(uint32_t* field, uint32_t* wire) { return Tag(field, wire); }
};

// Reads the value of a field whose wire type must be `want`; the helpers below return false on
// a wrong wire type or truncation, and the caller names the field.
bool ReadLen(Reader& r, uint32_t wire, std::string_view* v) { return wire == kLen && r.Bytes(v); }
bool ReadVarint(Reader& r, uint32_t wire, uint64_t* v) { return wire == kVarint && r.Varint(v); }
bool ReadFixed64(Reader& r, uint32_t wire, uint64_t* v) { return wire == kFixed64 && r.Fixed64(v); }
bool ReadDouble(Reader& r, uint32_t wire, double* v) {
  uint64_t bits = 0;
  if (!ReadFixed64(r, wire, &bits)) return false;
  *v = std::bit_cast<double>(bits);
  return true;
}

// Repeated fixed64 / double: packed (one length-delimited run) or one value per field.
bool ReadRepeated64(Reader& r, uint32_t wire, std::vector<uint64_t>* out) {
  if (wire == kFixed64) {
    uint64_t v = 0;
    if (!r.Fixed64(&v)) return false;
    out->push_back(v);
    return true;
  }
  std::string_view packed;
  if (wire != kLen || !r.Bytes(&packed) || packed.size() % 8 != 0) return false;
  Decoder d(packed);
  uint64_t v = 0;
  while (d.remaining() > 0 && d.GetFixed64(&v)) out->push_back(v);
  return true;
}

// Skips a field this decoder does not use. A field the schema knows must still have its wire
// type (as libprotobuf's parser requires); `known` lists (field, wire type) pairs.
bool SkipChecked(Reader& r, uint32_t field, uint32_t wire,
                 std::initializer_list<std::pair<uint32_t, uint32_t>> known) {
  for (const auto& [f, w] : known) {
    if (f == field && w != wire) return false;
  }
  return r.Skip(wire);
}

// --- Names -----------------------------------------------------------------------------------

bool IsMetricChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':';
}
bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view MapUnit(std::string_view u) {
  static constexpr std::pair<std::string_view, std::string_view> kUnits[] = {{"d", "days"},
                                                                             {"h", "hours"},
                                                                             {"min", "minutes"},
                                                                             {"s", "seconds"},
                                                                             {"ms", "milliseconds"},
                                                                             {"us", "microseconds"},
                                                                             {"ns", "nanoseconds"},
                                                                             {"By", "bytes"},
                                                                             {"KiBy", "kibibytes"},
                                                                             {"MiBy", "mebibytes"},
                                                                             {"GiBy", "gibibytes"},
                                                                             {"TiBy", "tibibytes"},
                                                                             {"KBy", "kilobytes"},
                                                                             {"MBy", "megabytes"},
                                                                             {"GBy", "gigabytes"},
                                                                             {"TBy", "terabytes"},
                                                                             {"m", "meters"},
                                                                             {"V", "volts"},
                                                                             {"A", "amperes"},
                                                                             {"J", "joules"},
                                                                             {"W", "watts"},
                                                                             {"g", "grams"},
                                                                             {"Cel", "celsius"},
                                                                             {"Hz", "hertz"},
                                                                             {"1", ""},
                                                                             {"%", "percent"}};
  for (const auto& [k, v] : kUnits) {
    if (k == u) return v;
  }
  return u;
}

std::string_view MapPerUnit(std::string_view u) {
  static constexpr std::pair<std::string_view, std::string_view> kPer[] = {
      {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"},
      {"w", "week"},   {"mo", "month"}, {"y", "year"}};
  for (const auto& [k, v] : kPer) {
    if (k == u) return v;
  }
  return u;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Characters outside [a-zA-Z0-9:] become "_", runs of "_" collapse, a leading "_" goes.
std::string CleanUnit(std::string_view unit) {
  std::string out;
  for (char c : unit) {
    char m = IsMetricChar(c) ? c : '_';
    if (m == '_' && !out.empty() && out.back() == '_') continue;
    out.push_back(m);
  }
  if (!out.empty() && out.front() == '_') out.erase(0, 1);
  return out;
}

// The main and "per" parts of a unit, mapped to Prometheus words (not yet cleaned).
void UnitParts(std::string_view unit, std::string* main, std::string* per) {
  main->clear();
  per->clear();
  size_t slash = unit.find('/');
  std::string_view m = TrimSpace(unit.substr(0, slash));
  if (!m.empty() && m.find_first_of("{}") == std::string_view::npos) *main = MapUnit(m);
  if (slash != std::string_view::npos && slash + 1 < unit.size()) {
    std::string_view p = TrimSpace(unit.substr(slash + 1));
    if (!p.empty() && p.find_first_of("{}") == std::string_view::npos) {
      std::string_view mapped = MapPerUnit(p);
      if (!mapped.empty()) *per = "per_" + std::string(mapped);
    }
  }
}

// A finite double attribute as pdata's AsString (and Go's encoding/json) prints it: Go's 'f'
// form from 1e-6 up to 1e21, its 'e' form outside, a negative one-digit exponent unpadded
// ("1e-7", "1e+21").
void AppendEs6Float(std::string* out, double v) {
  const double a = std::fabs(v);
  const bool exponent = a != 0 && (a < 1e-6 || a >= 1e21);
  AppendFloatGo(out, v, exponent ? 'e' : 'f');
  const size_t n = out->size();
  if (exponent && n >= 4 && (*out)[n - 4] == 'e' && (*out)[n - 3] == '-' && (*out)[n - 2] == '0') {
    out->erase(n - 2, 1);
  }
}

// `le` and `quantile` values as Prometheus' OTLP translator writes them: Go's
// strconv.FormatFloat(v, 'f', -1, 64) ("0.005", 1e23 -> "100000000000000000000000").
std::string_view FormatFloatLabel(double v, StringArena* arena) {
  thread_local std::string tmp;
  tmp.clear();
  AppendFloatGo(&tmp, v, 'f');
  return arena->Store(tmp);
}

// --- Attributes ------------------------------------------------------------------------------

const char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void AppendBase64(std::string_view in, std::string* out) {
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    for (int k = 3; k >= 0; --k) out->push_back(kBase64[(n >> (6 * k)) & 63]);
  }
  if (size_t rest = in.size() - i; rest > 0) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (rest == 2) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    out->push_back(kBase64[(n >> 18) & 63]);
    out->push_back(kBase64[(n >> 12) & 63]);
    out->push_back(rest == 2 ? kBase64[(n >> 6) & 63] : '=');
    out->push_back('=');
  }
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  wire::AppendJsonEscaped(s, out);
  out->push_back('"');
}

Status AppendAnyValue(std::string_view any, bool as_json, int depth, std::string* out);

// A KeyValueList as a JSON object with sorted keys (as Go's encoding/json prints maps).
Status AppendKvList(std::string_view list, int depth, std::string* out) {
  std::vector<std::pair<std::string_view, std::string_view>> kvs;
  Reader r(list);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    if (!r.Next(&field, &wire)) return Malformed("bad tag in KeyValueList");
    if (field == 1) {
      std::string_view kv;
      if (!ReadLen(r, wire, &kv)) return Malformed("KeyValueList.values");
      Reader k(kv);
      std::string_view key, value;
      while (!k.done()) {
        uint32_t f = 0, w = 0;
        if (!k.Next(&f, &w)) return Malformed("bad tag in KeyValue");
        if (f == 1 || f == 2) {
          if (!ReadLen(k, w, f == 1 ? &key : &value)) return Malformed("KeyValue field");
        } else if (!k.Skip(w)) {
          return Malformed("KeyValue: truncated field or wrong wire type");
        }
      }
      kvs.emplace_back(key, value);
    } else if (!r.Skip(wire)) {
      return Malformed("KeyValueList: truncated field or wrong wire type");
    }
  }
  std::stable_sort(kvs.begin(), kvs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out->push_back('{');
  for (size_t i = 0; i < kvs.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(kvs[i].first, out);
    out->push_back(':');
    STRATA_RETURN_IF_ERROR(AppendAnyValue(kvs[i].second, true, depth + 1, out));
  }
  out->push_back('}');
  return Status::Ok();
}

// The string form of an AnyValue as OpenTelemetry's Go pdata (which Prometheus uses) prints it:
// strings as they are, bools "true"/"false", ints in decimal, doubles in shortest fixed
// notation, bytes in base64, arrays and lists as JSON. Inside JSON strings are quoted.
Status AppendAnyValue(std::string_view any, bool as_json, int depth, std::string* out) {
  if (depth > 32) return Status::InvalidArgument("attribute value nested more than 32 deep");
  Reader r(any);
  bool set = false;
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    if (!r.Next(&field, &wire)) return Malformed("bad tag in AnyValue");
    size_t mark = out->size();
    switch (field) {
      case 1: {
        std::string_view s;
        if (!ReadLen(r, wire, &s)) return Malformed("AnyValue.string_value");
        out->resize(mark);
        if (as_json) {
          AppendJsonString(s, out);
        } else {
          out->append(s);
        }
        break;
      }
      case 2: {
        uint64_t v = 0;
        if (!ReadVarint(r, wire, &v)) return Malformed("AnyValue.bool_value");
        out->resize(mark);
        out->append(v != 0 ? "true" : "false");
        break;
      }
      case 3: {
        uint64_t v = 0;
        if (!ReadVarint(r, wire, &v)) return Malformed("AnyValue.int_value");
        out->resize(mark);
        out->append(std::to_string(static_cast<int64_t>(v)));
        break;
      }
      case 4: {
        double v = 0;
        if (!ReadDouble(r, wire, &v)) return Malformed("AnyValue.double_value");
        out->resize(mark);
        if (as_json && !std::isfinite(v)) {
          AppendJsonString(std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf"), out);
        } else if (!std::isfinite(v)) {
          // pdata's AsString, which Prometheus' translator uses for attribute values.
          out->append("json: unsupported value: ");
          out->append(std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf"));
        } else {
          AppendEs6Float(out, v);
        }
        break;
      }
      case 5: {
        std::string_view arr;
        if (!ReadLen(r, wire, &arr)) return Malformed("AnyValue.array_value");
        out->resize(mark);
        out->push_back('[');
        Reader a(arr);
        bool first = true;
        while (!a.done()) {
          uint32_t f = 0, w = 0;
          if (!a.Next(&f, &w)) return Malformed("bad tag in ArrayValue");
          if (f == 1) {
            std::string_view v;
            if (!ReadLen(a, w, &v)) return Malformed("ArrayValue.values");
            if (!first) out->push_back(',');
            first = false;
            STRATA_RETURN_IF_ERROR(AppendAnyValue(v, true, depth + 1, out));
          } else if (!a.Skip(w)) {
            return Malformed("ArrayValue: truncated field or wrong wire type");
          }
        }
        out->push_back(']');
        break;
      }
      case 6: {
        std::string_view list;
        if (!ReadLen(r, wire, &list)) return Malformed("AnyValue.kvlist_value");
        out->resize(mark);
        STRATA_RETURN_IF_ERROR(AppendKvList(list, depth, out));
        break;
      }
      case 7: {
        std::string_view b;
        if (!ReadLen(r, wire, &b)) return Malformed("AnyValue.bytes_value");
        out->resize(mark);
        if (as_json) out->push_back('"');
        AppendBase64(b, out);
        if (as_json) out->push_back('"');
        break;
      }
      default:
        if (!r.Skip(wire)) return Malformed("AnyValue: truncated field or wrong wire type");
        continue;
    }
    set = true;
  }
  if (!set && as_json) out->append("null");
  return Status::Ok();
}

// One decoded attribute: its Prometheus label name, its value as a string, its original key.
struct Attr {
  std::string_view name;
  std::string_view value;
  std::string_view key;
};

// Decodes one KeyValue into `attr`; `*problem` is set (and OK returned) when the attribute makes
// its point unusable (a key that is empty, not UTF-8 or only underscores).
Status DecodeAttribute(std::string_view kv, StringArena* arena, Attr* attr, std::string* problem) {
  Reader r(kv);
  std::string_view key, value;
  bool have_value = false;
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    if (!r.Next(&field, &wire)) return Malformed("bad tag in KeyValue");
    if (field == 1) {
      if (!ReadLen(r, wire, &key)) return Malformed("KeyValue.key");
    } else if (field == 2) {
      if (!ReadLen(r, wire, &value)) return Malformed("KeyValue.value");
      have_value = true;
    } else if (!r.Skip(wire)) {
      return Malformed("KeyValue: truncated field or wrong wire type");
    }
  }
  attr->key = key;
  if (!model::IsValidUtf8(key)) {
    *problem = "invalid UTF-8 in attribute name " + model::Quote(key);
    return Status::Ok();
  }
  // Fast path: a key that is already a label name (the common case) is used as it is.
  bool plain = !key.empty() && !IsDigit(key[0]);
  for (size_t i = 0; plain && i < key.size(); ++i) {
    char c = key[i];
    plain = IsLabelChar(c) || (c == '_' && i > 0 && key[i - 1] != '_' && i + 1 < key.size());
  }
  if (plain) {
    attr->name = key;
  } else {
    std::string name = OtlpLabelName(key);
    if (name.empty()) {
      *problem = "attribute name " + model::Quote(key) + " is not usable as a label name";
      return Status::Ok();
    }
    attr->name = arena->Store(name);
  }
  attr->value = {};
  if (have_value) {
    // String values (the common case) borrow the request.
    Reader v(value);
    uint32_t field = 0, wire = 0;
    std::string_view s;
    if (v.Next(&field, &wire) && field == 1 && wire == kLen && v.Bytes(&s) && v.done()) {
      attr->value = s;
    } else {
      thread_local std::string tmp;
      tmp.clear();
      STRATA_RETURN_IF_ERROR(AppendAnyValue(value, false, 0, &tmp));
      attr->value = arena->Store(tmp);
    }
  }
  return Status::Ok();
}

// Sorts `attrs` by label name (then original key) and joins the values of names that collide
// after sanitizing with ";" (Prometheus' rule), in place.
void MergeAttributes(std::vector<Attr>* attrs, StringArena* arena) {
  std::sort(attrs->begin(), attrs->end(), [](const Attr& a, const Attr& b) {
    return a.name != b.name ? a.name < b.name : a.key < b.key;
  });
  size_t out = 0;
  for (size_t i = 0; i < attrs->size(); ++i) {
    if (out > 0 && (*attrs)[out - 1].name == (*attrs)[i].name) {
      std::string_view joined = arena->Concat((*attrs)[out - 1].value, ";");
      (*attrs)[out - 1].value = arena->Concat(joined, (*attrs)[i].value);
    } else {
      (*attrs)[out++] = (*attrs)[i];
    }
  }
  attrs->resize(out);
}

// Sets label `name` in the sorted `labels` (replacing or inserting).
void SetLabel(std::vector<Attr>* labels, std::string_view name, std::string_view value) {
  auto it = std::lower_bound(labels->begin(), labels->end(), name,
                             [](const Attr& a, std::string_view n) { return a.name < n; });
  if (it != labels->end() && it->name == name) {
    it->value = value;
  } else {
    labels->insert(it, Attr{name, value, name});
  }
}

bool HasLabel(const std::vector<Attr>& labels, std::string_view name) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const Attr& a, std::string_view n) { return a.name < n; });
  return it != labels.end() && it->name == name;
}

// --- Translation -----------------------------------------------------------------------------

constexpr uint32_t kNoRecordedValue = 1;
constexpr uint64_t kNanosPerMilli = 1'000'000;

// What a resource contributes to each of its series.
struct ResourceLabels {
  std::vector<Attr> labels;       // job, instance, promoted attributes; sorted by name.
  std::vector<Attr> target_info;  // The other attributes plus job/instance; empty: none.
  int64_t max_timestamp_ms = INT64_MIN;
};

class Translator {
 public:
  Translator(const OtlpTranslateOptions& options, StringArena* arena, IngestBatch* batch,
             OtlpTranslation* out)
      : options_(options), arena_(arena), batch_(batch), out_(out) {}

  Status Request(std::string_view request) {
    Reader r(request);
    while (!r.done()) {
      uint32_t field = 0, wire = 0;
      if (!r.Next(&field, &wire)) return Malformed("bad tag in ExportMetricsServiceRequest");
      if (field == 1) {
        std::string_view rm;
        if (!ReadLen(r, wire, &rm))
          return Malformed("ExportMetricsServiceRequest.resource_metrics");
        STRATA_RETURN_IF_ERROR(ResourceMetrics(rm));
      } else if (!r.Skip(wire)) {
        return Malformed("ExportMetricsServiceRequest: truncated field or wrong wire type");
      }
    }
    return Status::Ok();
  }

 private:
  Status ResourceMetrics(std::string_view in) {
    // Pass 1: the resource (it may follow the scope metrics on the wire).
    std::string_view resource;
    {
      Reader r(in);
      while (!r.done()) {
        uint32_t field = 0, wire = 0;
        if (!r.Next(&field, &wire)) return Malformed("bad tag in ResourceMetrics");
        if (field == 1) {
          if (!ReadLen(r, wire, &resource)) return Malformed("ResourceMetrics.resource");
        } else if (!SkipChecked(r, field, wire, {{2, kLen}, {3, kLen}})) {
          return Malformed("ResourceMetrics: truncated field or wrong wire type");
        }
      }
    }
    STRATA_RETURN_IF_ERROR(Resource(resource));
    Reader r(in);
    while (!r.done()) {
      uint32_t field = 0, wire = 0;
      r.Next(&field, &wire);  // Checked in pass 1.
      if (field == 2) {
        std::string_view sm;
        if (!ReadLen(r, wire, &sm)) return Malformed("ResourceMetrics.scope_metrics");
        STRATA_RETURN_IF_ERROR(ScopeMetrics(sm));
      } else {
        r.Skip(wire);
      }
    }
    if (!resource_.target_info.empty() && resource_.max_timestamp_ms != INT64_MIN) {
      EmitTargetInfo();
    }
    return Status::Ok();
  }

  Status Resource(std::string_view in) {
    resource_.labels.clear();
    resource_.target_info.clear();
    resource_.max_timestamp_ms = INT64_MIN;
    std::vector<Attr>& attrs = scratch_attrs_;
    attrs.clear();
    std::string_view service_name, service_namespace, instance_id;
    bool have_name = false, have_namespace = false, have_instance = false;
    bool usable = true;  // target_info is left out when an attribute is unusable.
    Reader r(in);
    while (!r.done()) {
      uint32_t field = 0, wire = 0;
      if (!r.Next(&field, &wire)) return Malformed("bad tag in Resource");
      if (field == 1) {
        std::string_view kv;
        if (!ReadLen(r, wire, &kv)) return Malformed("Resource.attributes");
        Attr a;
        std::string problem;
        STRATA_RETURN_IF_ERROR(DecodeAttribute(kv, arena_, &a, &problem));
        if (!problem.empty()) {
          usable = false;
          continue;
        }
        if (!model::IsValidUtf8(a.value)) usable = false;
        if (a.key == "service.name") {
          service_name = a.value;
          have_name = true;
        } else if (a.key == "service.namespace") {
          service_namespace = a.value;
          have_namespace = true;
        } else if (a.key == "service.instance.id") {
          instance_id = a.value;
          have_instance = true;
        } else {
          attrs.push_back(a);
        }
        for (const std::string& p : options_.promote_resource_attributes) {
          if (p == a.key) promoted_.push_back(a);
        }
      } else if (!SkipChecked(r, field, wire, {{2, kVarint}})) {
        return Malformed("Resource: truncated field or wrong wire type");
      }
    }
    // Promoted attributes (a data point attribute of the same name wins, see Point()).
    MergeAttributes(&promoted_, arena_);
    resource_.labels = promoted_;
    promoted_.clear();
    std::string_view job;
    if (have_name) {
      job = have_namespace ? arena_->Concat(arena_->Concat(service_namespace, "/"), service_name)
                           : service_name;
      SetLabel(&resource_.labels, "job", job);
    }
    if (have_instance) SetLabel(&resource_.labels, "instance", instance_id);
    if (usable && !attrs.empty() && (have_name || have_instance)) {
      MergeAttributes(&attrs, arena_);
      resource_.target_info = attrs;
      if (have_name) SetLabel(&resource_.target_info, "job", job);
      if (have_instance) SetLabel(&resource_.target_info, "instance", instance_id);
    }
    return Status::Ok();
  }

  Status ScopeMetrics(std::string_view in) {
    Reader r(in);
    while (!r.done()) {
      uint32_t field = 0, wire = 0;
      if (!r.Next(&field, &wire)) return Malformed("bad tag in ScopeMetrics");
      if (field == 2) {
        std::string_view m;
        if (!ReadLen(r, wire, &m)) return Malformed("ScopeMetrics.metrics");
        STRATA_RETURN_IF_ERROR(Metric(m));
      } else if (!SkipChecked(r, field, wire, {{1, kLen}, {3, kLen}})) {
        return Malformed("ScopeMetrics: truncated field or wrong wire type");
      }
    }
    return Status::Ok();
  }

  enum class Data { kNone, kGauge, kSum, kHistogram, kExponentialHistogram, kSummary };

  Status Metric(std::string_view in) {
    std::string_view name, description, unit, data;
    Data kind = Data::kNone;
    Reader r(in);
    while (!r.done()) {
      uint32_t field = 0, wire = 0;
      if (!r.Next(&field, &wire)) return Malformed("bad tag in Metric");
      switch (field) {
        case 1:
          if (!ReadLen(r, wire, &name)) return Malformed("Metric.name");
          break;
        case 2:
          if (!ReadLen(r, wire, &description)) return Malformed("Metric.description");
          break;
        case 3:
          if (!ReadLen(r, wire, &unit)) return Malformed("Metric.unit");
          break;
        case 5:
        case 7:
        case 9:
        case 10:
        case 11:
          if (!ReadLen(r, wire, &data)) return Malformed("Metric data");
          kind = field == 5    ? Data::kGauge
                 : field == 7  ? Data::kSum
                 : field == 9  ? Data::kHistogram
                 : field == 10 ? Data::kExponentialHistogram
                               : Data::kSummary;
          break;
        default:
          if (!SkipChecked(r, field, wire, {{12, kLen}}))
            return Malformed("Metric: truncated field or wrong wire type");
      }
    }
    if (kind == Data::kNone) return Status::Ok();  // No data points to translate.

    // The data's header: temporality, monotonicity, and how many points it holds.
    uint64_t temporality = 0, monotonic = 0, points = 0;
    {
      Reader d(data);
      while (!d.done()) {
        uint32_t field = 0, wire = 0;
        if (!d.Next(&field, &wire)) return Malformed("bad tag in metric data");
        if (field == 1) {
          std::string_view p;
          if (!ReadLen(d, wire, &p)) return Malformed("data_points");
          ++points;
        } else if (field == 2 && kind != Data::kGauge && kind != Data::kSummary) {
          if (!ReadVarint(d, wire, &temporality)) return Malformed("aggregation_temporality");
        } else if (field == 3 && kind == Data::kSum) {
          if (!ReadVarint(d, wire, &monotonic)) return Malformed("Sum.is_monotonic");
        } else if (!SkipChecked(d, field, wire, {{2, kVarint}, {3, kVarint}})) {
          return Malformed("metric data: truncated field or wrong wire type");
        }
      }
    }
    out_->points += points;
    if (points == 0) return Status::Ok();
    auto reject = [&](RejectReason reason, const std::string& why) {
      out_->rejected_points += points;
      std::string message;
      if (batch_->WantsProblem()) {
        message = "metric " + model::Quote(name) + ": " + why + " (" + std::to_string(points) +
                  " data points rejected)";
      }
      batch_->Reject(reason, points, std::move(message));
      return Status::Ok();
    };
    if (name.empty()) return reject(RejectReason::kInvalidMetric, "empty metric name");
    if (!model::IsValidUtf8(name))
      return reject(RejectReason::kInvalidMetric, "invalid UTF-8 in name");
    if (kind == Data::kExponentialHistogram) {
      return reject(RejectReason::kExponentialHistogram,
                    "exponential histograms are not supported (Strata stores float samples "
                    "only; send explicit-bucket histograms)");
    }
    if (kind == Data::kSum || kind == Data::kHistogram) {
      if (temporality == 1) {
        return reject(RejectReason::kDeltaTemporality,
                      "delta temporality is not supported (configure the exporter for "
                      "cumulative temporality)");
      }
      if (temporality != 2) {
        return reject(RejectReason::kInvalidTemporality,
                      "invalid aggregation temporality " + std::to_string(temporality));
      }
    }
    OtlpMetricKind mk = kind == Data::kGauge       ? OtlpMetricKind::kGauge
                        : kind == Data::kHistogram ? OtlpMetricKind::kHistogram
                        : kind == Data::kSummary   ? OtlpMetricKind::kSummary
                        : monotonic != 0           ? OtlpMetricKind::kCounter
                                                   : OtlpMetricKind::kNonMonotonicSum;
    NameFor(name, unit, mk);
    if (name_.empty()) {
      return reject(RejectReason::kInvalidMetric, "the name has no usable characters");
    }
    const std::string_view family = name_;
    const char* type = mk == OtlpMetricKind::kCounter     ? "counter"
                       : mk == OtlpMetricKind::kHistogram ? "histogram"
                       : mk == OtlpMetricKind::kSummary   ? "summary"
                                                          : "gauge";
    // Once per family and request: the metadata store keeps only the latest anyway.
    if (model::IsValidUtf8(description) && families_.insert(family).second) {
      batch_->metadata.push_back({family, type, description, unit_name_});
    }
    if (kind == Data::kHistogram || kind == Data::kSummary) {
      bucket_name_ = arena_->Concat(family, "_bucket");
      sum_name_ = arena_->Concat(family, "_sum");
      count_name_ = arena_->Concat(family, "_count");
    }
    Reader d(data);
    while (!d.done()) {
      uint32_t field = 0, wire = 0;
      d.Next(&field, &wire);  // Checked above.
      if (field != 1) {
        d.Skip(wire);
        continue;
      }
      std::string_view p;
      d.Bytes(&p);
      switch (kind) {
        case Data::kGauge:
        case Data::kSum:
          STRATA_RETURN_IF_ERROR(NumberPoint(p, name));
          break;
        case Data::kHistogram:
          STRATA_RETURN_IF_ERROR(HistogramPoint(p, name));
          break;
        case Data::kSummary:
          STRATA_RETURN_IF_ERROR(SummaryPoint(p, name));
          break;
        default:
          break;
      }
    }
    return Status::Ok();
  }

  // Sets name_ and unit_name_. Every request repeats the same metrics (once per resource, and
  // request after request), so translations are cached per thread (bounded).
  void NameFor(std::string_view name, std::string_view unit, OtlpMetricKind kind) {
    struct Names {
      std::string name;
      std::string unit;
    };
    thread_local absl::flat_hash_map<std::string, Names> cache;
    thread_local size_t cache_bytes = 0;  // Bounded: names may be long (megabytes).
    thread_local std::string key;
    key.assign(1, static_cast<char>('0' + static_cast<int>(kind)));
    key.append(unit);
    key.push_back('\0');
    key.append(name);
    auto it = cache.find(key);
    if (it == cache.end()) {
      Names names{OtlpMetricName(name, unit, kind), OtlpUnitName(unit)};
      const size_t bytes = key.size() + names.name.size() + names.unit.size() + 64;
      if (cache.size() >= 100000 || cache_bytes + bytes > (size_t{16} << 20)) {
        cache.clear();
        cache_bytes = 0;
      }
      cache_bytes += bytes;
      it = cache.emplace(key, std::move(names)).first;
    }
    name_ = arena_->Store(it->second.name);
    unit_name_ = arena_->Store(it->second.unit);
  }

  // Rejects one point of the current metric.
  void RejectPoint(RejectReason reason, std::string_view metric, const std::string& why) {
    out_->rejected_points++;
    std::string message;
    if (batch_->WantsProblem()) message = "metric " + model::Quote(metric) + ": " + why;
    batch_->Reject(reason, 1, std::move(message));
  }

  // Fields every point type shares, found while scanning it.
  struct PointCommon {
    uint64_t time_ns = 0;
    uint32_t flags = 0;
  };

  // Builds the point's base labels from its attributes (numbers: attributes' field number).
  // Returns false (point rejected) when an attribute is unusable.
  bool BaseLabels(std::string_view metric, std::string_view point, uint32_t attributes_field,
                  Status* status) {
    std::vector<Attr>& labels = base_;
    labels.clear();
    Reader r(point);
    while (!r.done()) {
      uint32_t field = 0, wire = 0;
      r.Next(&field, &wire);  // Checked by the caller's scan.
      if (field == attributes_field && wire == kLen) {
        std::string_view kv;
        r.Bytes(&kv);
        Attr a;
        std::string problem;
        *status = DecodeAttribute(kv, arena_, &a, &problem);
        if (!status->ok()) return false;
        if (!problem.empty()) {
          RejectPoint(RejectReason::kInvalidLabels, metric, problem);
          return false;
        }
        labels.push_back(a);
      } else {
        r.Skip(wire);
      }
    }
    MergeAttributes(&labels, arena_);
    for (const Attr& a : resource_.labels) {
      if (a.name == "job" || a.name == "instance" || !HasLabel(labels, a.name)) {
        SetLabel(&labels, a.name, a.value);
      }
    }
    return true;
  }

  // Checks the point's time; false (point rejected) when unusable.
  bool PointTime(std::string_view metric, const PointCommon& c, int64_t* ms) {
    if (c.time_ns == 0) {
      RejectPoint(RejectReason::kInvalidTimestamp, metric, "data point without a timestamp");
      return false;
    }
    if (c.time_ns > static_cast<uint64_t>(INT64_MAX)) {
      RejectPoint(RejectReason::kInvalidTimestamp, metric,
                  "timestamp " + std::to_string(c.time_ns) + " ns is out of range");
      return false;
    }
    *ms = static_cast<int64_t>(c.time_ns / kNanosPerMilli);
    resource_.max_timestamp_ms = std::max(resource_.max_timestamp_ms, *ms);
    return true;
  }

  // Appends one series of the current point: base labels plus __name__ and an optional extra
  // label (le, quantile), which replace attributes of the same name; one sample.
  void Emit(std::string_view name, std::string_view extra_name, std::string_view extra_value,
            int64_t t, double v) {
    const auto begin = static_cast<uint32_t>(batch_->labels.size());
    model::LabelView adds[2];
    size_t n_add = 0;
    adds[n_add++] = {model::kMetricNameLabel, name};
    if (!extra_name.empty()) {
      adds[n_add++] = {extra_name, extra_value};
      if (adds[1].name < adds[0].name) std::swap(adds[0], adds[1]);
    }
    size_t ai = 0;
    for (const Attr& a : base_) {
      if (a.name == model::kMetricNameLabel || (!extra_name.empty() && a.name == extra_name)) {
        continue;
      }
      while (ai < n_add && adds[ai].name < a.name) batch_->labels.push_back(adds[ai++]);
      batch_->labels.push_back({a.name, a.value});
    }
    while (ai < n_add) batch_->labels.push_back(adds[ai++]);
    const auto s = static_cast<uint32_t>(batch_->samples.size());
    batch_->samples.push_back({t, v});
    batch_->series.push_back(
        {begin, static_cast<uint32_t>(batch_->labels.size()), s, s + 1, unit_});
  }

  Status NumberPoint(std::string_view p, std::string_view metric) {
    PointCommon c;
    double value = 0;
    Reader r(p);
    while (!r.done()) {
      uint32_t field = 0, wire = 0;
      if (!r.Next(&field, &wire)) return Malformed("bad tag in NumberDataPoint");
      uint64_t u = 0;
      switch (field) {
        case 3:
          if (!ReadFixed64(r, wire, &c.time_ns)) return Malformed("NumberDataPoint.time_unix_nano");
          break;
        case 4:
          if (!ReadDouble(r, wire, &value)) return Malformed("NumberDataPoint.as_double");
          break;
        case 6:
          if (!ReadFixed64(r, wire, &u)) return Malformed("NumberDataPoint.as_int");
          value = static_cast<double>(static_cast<int64_t>(u));
          break;
        case 8:
          if (!ReadVarint(r, wire, &u)) return Malformed("NumberDataPoint.flags");
          c.flags = static_cast<uint32_t>(u);
          break;
        case 7:
          if (wire != kLen || !r.Skip(wire)) return Malformed("NumberDataPoint.attributes");
          break;
        default:
          if (!SkipChecked(r, field, wire, {{2, kFixed64}, {5, kLen}}))
            return Malformed("NumberDataPoint: truncated field or wrong wire type");
      }
    }
    ++unit_;
    int64_t t = 0;
    if (!PointTime(metric, c, &t)) return Status::Ok();
    Status s;
    if (!BaseLabels(metric, p, 7, &s)) return s;
    if (c.flags & kNoRecordedValue) value = model::StaleNaN();
    Emit(name_, {}, {}, t, value);
    return Status::Ok();
  }

  Status HistogramPoint(std::string_view p, std::string_view metric) {
    PointCommon c;
    uint64_t count = 0;
    double sum = 0;
    bool has_sum = false;
    counts_.clear();
    bounds_.clear();
    Reader r(p);
    while (!r.done()) {
      uint32_t field = 0, wire = 0;
      if (!r.Next(&field, &wire)) return Malformed("bad tag in HistogramDataPoint");
      uint64_t u = 0;
      switch (field) {
        case 3:
          if (!ReadFixed64(r, wire, &c.time_ns)) {
            return Malformed("HistogramDataPoint.time_unix_nano");
          }
          break;
        case 4:
          if (!ReadFixed64(r, wire, &count)) return Malformed("HistogramDataPoint.count");
          break;
        case 5:
          if (!ReadDouble(r, wire, &sum)) return Malformed("HistogramDataPoint.sum");
          has_sum = true;
          break;
        case 6:
          if (!ReadRepeated64(r, wire, &counts_)) {
            return Malformed("HistogramDataPoint.bucket_counts");
          }
          break;
        case 7:
          if (!ReadRepeated64(r, wire, &bounds_)) {
            return Malformed("HistogramDataPoint.explicit_bounds");
          }
          break;
        case 10:
          if (!ReadVarint(r, wire, &u)) return Malformed("HistogramDataPoint.flags");
          c.flags = static_cast<uint32_t>(u);
          break;
        case 9:
          if (wire != kLen || !r.Skip(wire)) return Malformed("HistogramDataPoint.attributes");
          break;
        default:
          if (!SkipChecked(r, field, wire,
                           {{2, kFixed64}, {8, kLen}, {11, kFixed64}, {12, kFixed64}}))
            return Malformed("HistogramDataPoint: truncated field or wrong wire type");
      }
    }
    ++unit_;
    int64_t t = 0;
    if (!PointTime(metric, c, &t)) return Status::Ok();
    if (!counts_.empty() && counts_.size() != bounds_.size() + 1) {
      RejectPoint(RejectReason::kInvalidHistogram, metric,
                  std::to_string(counts_.size()) + " bucket counts do not match " +
                      std::to_string(bounds_.size()) + " explicit bounds (want bounds + 1)");
      return Status::Ok();
    }
    for (size_t i = 0; i < bounds_.size(); ++i) {
      double b = std::bit_cast<double>(bounds_[i]);
      if (std::isnan(b) || (i > 0 && !(std::bit_cast<double>(bounds_[i - 1]) < b))) {
        RejectPoint(RejectReason::kInvalidHistogram, metric,
                    "explicit bounds are not strictly increasing");
        return Status::Ok();
      }
    }
    Status s;
    if (!BaseLabels(metric, p, 9, &s)) return s;
    const bool stale = (c.flags & kNoRecordedValue) != 0;
    auto value = [&](double v) { return stale ? model::StaleNaN() : v; };
    // le labels: formatted once per distinct set of bounds (points of one metric share them).
    if (!(bounds_.size() == cached_bounds_.size() &&
          std::equal(bounds_.begin(), bounds_.end(), cached_bounds_.begin()))) {
      cached_bounds_ = bounds_;
      le_.clear();
      for (uint64_t b : bounds_) le_.push_back(FormatFloatLabel(std::bit_cast<double>(b), arena_));
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size() && !counts_.empty(); ++i) {
      cumulative += counts_[i];
      Emit(bucket_name_, "le", le_[i], t, value(static_cast<double>(cumulative)));
    }
    Emit(bucket_name_, "le", "+Inf", t, value(static_cast<double>(count)));
    if (has_sum) Emit(sum_name_, {}, {}, t, value(sum));
    Emit(count_name_, {}, {}, t, value(static_cast<double>(count)));
    return Status::Ok();
  }

  Status SummaryPoint(std::string_view p, std::string_view metric) {
    PointCommon c;
    uint64_t count = 0;
    double sum = 0;
    quantiles_.clear();
    Reader r(p);
    while (!r.done()) {
      uint32_t field = 0, wire = 0;
      if (!r.Next(&field, &wire)) return Malformed("bad tag in SummaryDataPoint");
      uint64_t u = 0;
      switch (field) {
        case 3:
          if (!ReadFixed64(r, wire, &c.time_ns))
            return Malformed("SummaryDataPoint.time_unix_nano");
          break;
        case 4:
          if (!ReadFixed64(r, wire, &count)) return Malformed("SummaryDataPoint.count");
          break;
        case 5:
          if (!ReadDouble(r, wire, &sum)) return Malformed("SummaryDataPoint.sum");
          break;
        case 6: {
          std::string_view q;
          if (!ReadLen(r, wire, &q)) return Malformed("SummaryDataPoint.quantile_values");
          double quantile = 0, v = 0;
          Reader qr(q);
          while (!qr.done()) {
            uint32_t f = 0, w = 0;
            if (!qr.Next(&f, &w)) return Malformed("bad tag in ValueAtQuantile");
            if (f == 1 || f == 2) {
              if (!ReadDouble(qr, w, f == 1 ? &quantile : &v)) {
                return Malformed("ValueAtQuantile field");
              }
            } else if (!qr.Skip(w)) {
              return Malformed("ValueAtQuantile: truncated field or wrong wire type");
            }
          }
          quantiles_.emplace_back(quantile, v);
          break;
        }
        case 8:
          if (!ReadVarint(r, wire, &u)) return Malformed("SummaryDataPoint.flags");
          c.flags = static_cast<uint32_t>(u);
          break;
        case 7:
          if (wire != kLen || !r.Skip(wire)) return Malformed("SummaryDataPoint.attributes");
          break;
        default:
          if (!SkipChecked(r, field, wire, {{2, kFixed64}}))
            return Malformed("SummaryDataPoint: truncated field or wrong wire type");
      }
    }
    ++unit_;
    int64_t t = 0;
    if (!PointTime(metric, c, &t)) return Status::Ok();
    Status s;
    if (!BaseLabels(metric, p, 7, &s)) return s;
    const bool stale = (c.flags & kNoRecordedValue) != 0;
    auto value = [&](double v) { return stale ? model::StaleNaN() : v; };
    for (const auto& [q, v] : quantiles_) {
      Emit(name_, "quantile", FormatFloatLabel(q, arena_), t, value(v));
    }
    Emit(sum_name_, {}, {}, t, value(sum));
    Emit(count_name_, {}, {}, t, value(static_cast<double>(count)));
    return Status::Ok();
  }

  // target_info{job, instance, <other resource attributes>} 1 at the resource's newest point.
  void EmitTargetInfo() {
    base_ = resource_.target_info;
    ++unit_;
    Emit("target_info", {}, {}, resource_.max_timestamp_ms, 1);
    if (families_.insert("target_info").second) {
      batch_->metadata.push_back({"target_info", "gauge", "Target metadata", ""});
    }
  }

  const OtlpTranslateOptions& options_;
  StringArena* arena_;
  IngestBatch* batch_;
  OtlpTranslation* out_;
  ResourceLabels resource_;
  std::vector<Attr> promoted_;
  std::vector<Attr> scratch_attrs_;
  std::vector<Attr> base_;
  uint32_t unit_ = 0;
  // The current metric's names.
  std::string_view name_, bucket_name_, sum_name_, count_name_;
  std::string_view unit_name_;
  absl::flat_hash_set<std::string_view> families_;  // Metadata already in the batch.
  std::vector<uint64_t> counts_, bounds_, cached_bounds_;
  std::vector<std::string_view> le_;
  std::vector<std::pair<double, double>> quantiles_;
};

}  // namespace

std::string OtlpMetricName(std::string_view name, std::string_view unit, OtlpMetricKind kind) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < name.size()) {
    while (i < name.size() && !IsMetricChar(name[i])) ++i;
    size_t start = i;
    while (i < name.size() && IsMetricChar(name[i])) ++i;
    if (i > start) tokens.push_back(name.substr(start, i - start));
  }
  std::string main, per;
  UnitParts(unit, &main, &per);
  main = CleanUnit(main);
  per = CleanUnit(per);
  auto contains = [&](std::string_view t) {
    return std::find(tokens.begin(), tokens.end(), t) != tokens.end();
  };
  if (contains(main)) main.clear();
  if (per == "per_") {
    per.clear();
  } else {
    if (!per.empty() && per.back() == '_') per.pop_back();
    if (contains(per)) per.clear();
  }
  if (!per.empty() && !main.empty() && main.back() == '_') main.pop_back();
  if (!main.empty()) tokens.push_back(main);
  if (!per.empty()) tokens.push_back(per);
  auto move_to_end = [&](std::string_view suffix) {
    tokens.erase(std::remove(tokens.begin(), tokens.end(), suffix), tokens.end());
    tokens.push_back(suffix);
  };
  if (kind == OtlpMetricKind::kCounter) move_to_end("total");
  if (unit == "1" && kind == OtlpMetricKind::kGauge) move_to_end("ratio");
  std::string out;
  for (size_t k = 0; k < tokens.size(); ++k) {
    if (k > 0) out.push_back('_');
    out.append(tokens[k]);
  }
  if (!out.empty() && IsDigit(out[0])) out.insert(0, "_");
  if (out.find_first_not_of('_') == std::string::npos) return "";
  return out;
}

std::string OtlpUnitName(std::string_view unit) {
  std::string main, per;
  UnitParts(unit, &main, &per);
  main = CleanUnit(main);
  per = CleanUnit(per);
  std::string u = !main.empty() && !per.empty() ? main + "_" + per : !main.empty() ? main : per;
  if (!u.empty() && u.front() == '_') u.erase(0, 1);
  if (!u.empty() && u.back() == '_') u.pop_back();
  return u;
}

std::string OtlpLabelName(std::string_view key) {
  if (key.empty()) return "";
  bool reserved = key.size() >= 4 && key.starts_with("__") && key.ends_with("__");
  std::string_view inner = reserved ? key.substr(2, key.size() - 4) : key;
  std::string out = reserved ? "__" : "";
  bool prev_underscore = false;
  for (size_t i = 0; i < inner.size();) {
    unsigned char c = static_cast<unsigned char>(inner[i]);
    // One replacement per character, not per byte, for multi-byte UTF-8.
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len == 1 && IsLabelChar(static_cast<char>(c))) {
      out.push_back(static_cast<char>(c));
      prev_underscore = false;
    } else if (!prev_underscore) {
      out.push_back('_');
      prev_underscore = true;
    }
    i += std::min(len, inner.size() - i);
  }
  if (reserved) out.append("__");
  if (IsDigit(out[0])) out.insert(0, "key_");
  if (out.find_first_not_of('_') == std::string::npos) return "";
  return out;
}

Status TranslateOtlpMetrics(std::string_view request, const OtlpTranslateOptions& options,
                            StringArena* arena, IngestBatch* batch, OtlpTranslation* out) {
  *out = OtlpTranslation();
  Translator t(options, arena, batch, out);
  return t.Request(request);
}

}  // namespace strata::ingest
