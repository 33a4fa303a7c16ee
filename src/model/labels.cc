// Labels are a plain sorted vector: lookups are binary searches, and hashing copies the
// encoding into a stack buffer so XXH3 runs one-shot (identical to streaming by spec).
#include "model/labels.h"

#include <xxhash.h>

#include <algorithm>
#include <array>

#include "model/quote.h"
#include "model/validation.h"

namespace strata::model {
namespace {

constexpr char kSep = '\xff';

bool Contains(std::span<const std::string> names, std::string_view name) {
  for (const std::string& n : names) {
    if (n == name) return true;
  }
  return false;
}

// Hashes the labels of `labels` for which keep(label) is true, in order.
template <typename Container, typename Pred>
uint64_t HashIf(const Container& labels, Pred keep) {
  size_t total = 0;
  for (const auto& l : labels) {
    if (keep(l)) total += l.name.size() + l.value.size() + 2;
  }
  // Fully written before XXH3 reads it; zeroing 1 KiB per hash would be waste.
  std::array<char, 1024> stack_buf;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  std::string heap_buf;
  char* buf = stack_buf.data();
  if (total > stack_buf.size()) {
    heap_buf.resize(total);
    buf = heap_buf.data();
  }
  char* p = buf;
  for (const auto& l : labels) {
    if (!keep(l)) continue;
    p = std::copy(l.name.begin(), l.name.end(), p);
    *p++ = kSep;
    p = std::copy(l.value.begin(), l.value.end(), p);
    *p++ = kSep;
  }
  return XXH3_64bits(buf, total);
}

std::vector<Label>::const_iterator Find(const std::vector<Label>& labels, std::string_view name) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != labels.end() && it->name == name) return it;
  return labels.end();
}

void DropEmptyValues(std::vector<Label>* labels) {
  std::erase_if(*labels, [](const Label& l) { return l.value.empty(); });
}

void AppendName(std::string* out, std::string_view name) {
  if (IsValidLabelName(name)) {
    out->append(name);
  } else {
    AppendQuote(out, name);
  }
}

void AppendLabel(std::string* out, const Label& l) {
  AppendName(out, l.name);
  out->push_back('=');
  AppendQuote(out, l.value);
}

size_t StringHeapBytes(const std::string& s) {
  static const size_t kInlineCapacity = std::string().capacity();
  return s.capacity() > kInlineCapacity ? s.capacity() + 1 : 0;
}

}  // namespace

Result<Labels> Labels::FromPairs(std::vector<Label> pairs) {
  std::sort(pairs.begin(), pairs.end(),
            [](const Label& a, const Label& b) { return a.name < b.name; });
  for (size_t i = 1; i < pairs.size(); ++i) {
    if (pairs[i].name == pairs[i - 1].name) {
      return Status::InvalidArgument("duplicate label name " + Quote(pairs[i].name));
    }
  }
  DropEmptyValues(&pairs);
  return Labels(std::move(pairs));
}

Result<Labels> Labels::FromSorted(std::vector<Label> pairs) {
  for (size_t i = 1; i < pairs.size(); ++i) {
    if (pairs[i].name == pairs[i - 1].name) {
      return Status::InvalidArgument("duplicate label name " + Quote(pairs[i].name));
    }
    if (pairs[i].name < pairs[i - 1].name) {
      return Status::InvalidArgument("labels are not sorted: " + Quote(pairs[i].name) + " after " +
                                     Quote(pairs[i - 1].name));
    }
  }
  DropEmptyValues(&pairs);
  return Labels(std::move(pairs));
}

std::string_view Labels::Get(std::string_view name) const {
  auto it = Find(labels_, name);
  return it == labels_.end() ? std::string_view() : std::string_view(it->value);
}

bool Labels::Has(std::string_view name) const { return Find(labels_, name) != labels_.end(); }

uint64_t HashLabelViews(std::span<const LabelView> labels) {
  return HashIf(labels, [](const LabelView&) { return true; });
}

uint64_t Labels::Hash() const {
  return HashIf(labels_, [](const Label&) { return true; });
}

uint64_t Labels::HashFor(std::span<const std::string> names) const {
  return HashIf(labels_, [names](const Label& l) { return Contains(names, l.name); });
}

uint64_t Labels::HashWithout(std::span<const std::string> names) const {
  return HashIf(labels_, [names](const Label& l) {
    return l.name != kMetricNameLabel && !Contains(names, l.name);
  });
}

Labels Labels::WithoutMetricName() const {
  auto it = Find(labels_, kMetricNameLabel);
  if (it == labels_.end()) return *this;
  std::vector<Label> out;
  out.reserve(labels_.size() - 1);
  out.insert(out.end(), labels_.begin(), it);
  out.insert(out.end(), it + 1, labels_.end());
  return Labels(std::move(out));
}

std::string Labels::ToString() const {
  std::string out = "{";
  for (size_t i = 0; i < labels_.size(); ++i) {
    if (i > 0) out.append(", ");
    AppendLabel(&out, labels_[i]);
  }
  out.push_back('}');
  return out;
}

std::string Labels::ToPromQLString() const {
  std::string_view name = MetricName();
  std::string out;
  bool first = true;
  if (!name.empty()) {
    if (IsValidMetricName(name)) {
      out.append(name);
      if (labels_.size() == 1) return out;
      out.push_back('{');
    } else {
      out.push_back('{');
      AppendQuote(&out, name);
      first = false;
    }
  } else {
    out.push_back('{');
  }
  for (const Label& l : labels_) {
    if (l.name == kMetricNameLabel) continue;
    if (!first) out.append(", ");
    first = false;
    AppendLabel(&out, l);
  }
  out.push_back('}');
  return out;
}

size_t Labels::ByteSize() const {
  size_t bytes = sizeof(*this) + labels_.capacity() * sizeof(Label);
  for (const Label& l : labels_) bytes += StringHeapBytes(l.name) + StringHeapBytes(l.value);
  return bytes;
}

std::strong_ordering operator<=>(const Labels& a, const Labels& b) {
  const size_t n = std::min(a.labels_.size(), b.labels_.size());
  for (size_t i = 0; i < n; ++i) {
    if (auto c = a.labels_[i].name <=> b.labels_[i].name; std::is_neq(c)) return c;
    if (auto c = a.labels_[i].value <=> b.labels_[i].value; std::is_neq(c)) return c;
  }
  return a.labels_.size() <=> b.labels_.size();
}

LabelsBuilder& LabelsBuilder::Set(std::string_view name, std::string_view value) {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  const bool found = it != labels_.end() && it->name == name;
  if (value.empty()) {
    if (found) labels_.erase(it);
  } else if (found) {
    it->value.assign(value);
  } else {
    labels_.insert(it, Label{std::string(name), std::string(value)});
  }
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::string_view name) {
  auto it = Find(labels_, name);
  if (it != labels_.end()) labels_.erase(it);
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::span<const std::string> names) {
  std::erase_if(labels_, [names](const Label& l) { return Contains(names, l.name); });
  return *this;
}

LabelsBuilder& LabelsBuilder::Keep(std::span<const std::string> names) {
  std::erase_if(labels_, [names](const Label& l) { return !Contains(names, l.name); });
  return *this;
}

std::string_view LabelsBuilder::Get(std::string_view name) const {
  auto it = Find(labels_, name);
  return it == labels_.end() ? std::string_view() : std::string_view(it->value);
}

}  // namespace strata::model
