// Prometheus naming rules. The ASCII fast path in IsValidUtf8 matters: it runs on every label
// value of every ingested series.
#include "model/validation.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "model/internal/utf8.h"
#include "model/quote.h"

namespace strata::model {
namespace {

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (IsAsciiLetter(c) || c == '_' || c == ':' || (i > 0 && IsAsciiDigit(c))) continue;
    return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (IsAsciiLetter(c) || c == '_' || (i > 0 && IsAsciiDigit(c))) continue;
    return false;
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // Skip ASCII eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, sizeof(word));
      if ((word & 0x8080808080808080ull) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    uint32_t rune;
    size_t len = internal::DecodeMultiByteRune(s.substr(i), &rune);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

Status ValidateLabelsForIngest(const Labels& labels) {
  if (!labels.Has(kMetricNameLabel)) {
    return Status::InvalidArgument("missing metric name (__name__ label)");
  }
  if (!IsValidMetricName(labels.MetricName())) {
    return Status::InvalidArgument("invalid metric name " + Quote(labels.MetricName()));
  }
  for (const Label& label : labels) {
    if (label.name != kMetricNameLabel && !IsValidLabelName(label.name)) {
      return Status::InvalidArgument("invalid label name " + Quote(label.name));
    }
    if (!IsValidUtf8(label.value)) {
      return Status::InvalidArgument("invalid UTF-8 in value of label " + Quote(label.name));
    }
  }
  return Status::Ok();
}

}  // namespace strata::model
