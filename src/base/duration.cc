#include "base/duration.h"

#include <array>
#include <cctype>
#include <limits>
#include <utility>

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
  // As Prometheus' model.ParseDuration: the duration must fit Go's time.Duration (int64
  // nanoseconds, about 292 years).
  if (total > std::numeric_limits<int64_t>::max() / 1'000'000) {
    return Status::InvalidArgument("duration out of range: \"" + std::string(text) + "\"");
  }
  return total;
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  size_t i = 0;
  uint64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    uint64_t d = static_cast<uint64_t>(text[i] - '0');
    if (n > (UINT64_MAX - d) / 10) {
      return Status::InvalidArgument("byte size \"" + std::string(text) + "\" is too large");
    }
    n = n * 10 + d;
    ++i;
  }
  if (i == 0) {
    return Status::InvalidArgument("invalid byte size \"" + std::string(text) +
                                   "\": want a number with an optional unit (B, KB, MB, GB, TB)");
  }
  std::string unit(text.substr(i));
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() == 3 && unit[1] == 'I' && unit[2] == 'B') unit = std::string(1, unit[0]) + "B";
  static constexpr std::pair<std::string_view, int> kUnits[] = {
      {"", 0}, {"B", 0}, {"KB", 1}, {"MB", 2}, {"GB", 3}, {"TB", 4}, {"PB", 5}, {"EB", 6}};
  for (const auto& [name, power] : kUnits) {
    if (unit != name) continue;
    for (int p = 0; p < power; ++p) {
      if (n > UINT64_MAX / 1024) {
        return Status::InvalidArgument("byte size \"" + std::string(text) + "\" is too large");
      }
      n *= 1024;
    }
    return n;
  }
  return Status::InvalidArgument("invalid byte size \"" + std::string(text) +
                                 "\": unknown unit (want B, KB, MB, GB, TB, PB or EB)");
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
