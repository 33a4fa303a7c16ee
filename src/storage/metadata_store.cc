#include "storage/metadata_store.h"

#include <algorithm>

namespace strata::storage {

void MetadataStore::Put(std::string_view family, std::string_view type, std::string_view help,
                        std::string_view unit) {
  if (family.size() + help.size() + unit.size() > kMaxEntryBytes) return;
  {
    ReaderLock lock(&mu_);
    auto it = by_family_.find(absl::string_view(family.data(), family.size()));
    if (it != by_family_.end() && it->second.type == type && it->second.help == help &&
        it->second.unit == unit) {
      return;
    }
  }
  WriterLock lock(&mu_);
  if (by_family_.size() >= kMaxFamilies &&
      !by_family_.contains(absl::string_view(family.data(), family.size()))) {
    return;
  }
  by_family_[std::string(family)] =
      MetricMetadata{std::string(family), std::string(type), std::string(help), std::string(unit)};
}

std::vector<MetricMetadata> MetadataStore::List(std::string_view family, int limit) const {
  std::vector<MetricMetadata> out;
  {
    ReaderLock lock(&mu_);
    if (!family.empty()) {
      auto it = by_family_.find(absl::string_view(family.data(), family.size()));
      if (it != by_family_.end()) out.push_back(it->second);
      return out;
    }
    out.reserve(by_family_.size());
    for (const auto& [name, md] : by_family_) out.push_back(md);
  }
  std::sort(out.begin(), out.end(),
            [](const MetricMetadata& a, const MetricMetadata& b) { return a.family < b.family; });
  if (limit > 0 && out.size() > static_cast<size_t>(limit)) out.resize(static_cast<size_t>(limit));
  return out;
}

size_t MetadataStore::size() const {
  ReaderLock lock(&mu_);
  return by_family_.size();
}

}  // namespace strata::storage
