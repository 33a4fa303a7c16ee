#include "base/duration.h"

#include <array>
#include <limits>

namespace strata {
namespace {

struct Unit {
  std::string_view name;
  int64_t ms;
};
// Descending order; "ms" is listed before "m" only for matching, see below.
constexpr std::array<Unit, 7> kUnits = {{{"y", 365LL * 24 * 3600 * 1000},
                                         {"w", 7LL * 24 * 3600 * 1000},
                                         {"d", 24LL * 3600 * 1000},
                                         {"h", 3600LL * 1000},
                                         {"m", 60LL * 1000},
                                         {"s", 1000},
                                         {"ms", 1}}};

}  // namespace

Result<int64_t> ParseDurationMillis(std::string_view text) {
  auto invalid = [&] {
    return Status::InvalidArgument("not a valid duration string: \"" + std::string(text) + "\"");
  };
  if (text.empty()) return invalid();
  if (text == "0") return int64_t{0};
  int64_t total = 0;
  size_t next_unit = 0;  // Units must appear in descending order, each at most once.
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return invalid();
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > (std::numeric_limits<int64_t>::max() - 9) / 10) return invalid();
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    size_t u = next_unit;
    bool found = false;
    for (; u < kUnits.size(); ++u) {
      std::string_view name = kUnits[u].name;
      if (text.substr(i, name.size()) != name) continue;
      // "m" must not swallow the "m" of "ms".
      if (name == "m" && text.substr(i, 2) == "ms") continue;
      found = true;
      break;
    }
    if (!found) return invalid();
    i += kUnits[u].name.size();
    next_unit = u + 1;
    if (n != 0 && kUnits[u].ms > std::numeric_limits<int64_t>::max() / n) return invalid();
    int64_t add = n * kUnits[u].ms;
    if (total > std::numeric_limits<int64_t>::max() - add) return invalid();
    total += add;
  }
  return total;
}

std::string FormatDurationMillis(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out.push_back('-');
    ms = -ms;
  }
  for (const Unit& u : kUnits) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms);
      out.append(u.name);
      ms %= u.ms;
    }
  }
  return out;
}

}  // namespace strata
