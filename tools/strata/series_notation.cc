#include "series_notation.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

#include "model/sample.h"

namespace strata::cli {
namespace {

constexpr size_t kMaxEntries = 1'000'000;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Reads a number at s[*pos]: a sign (optional unless `sign_required`), then Inf, NaN or a
// decimal float (no hex: `0x3` is 0 repeated). Advances *pos; false if there is none.
bool ReadNumber(std::string_view s, size_t* pos, bool sign_required, double* out) {
  size_t i = *pos;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    neg = s[i] == '-';
    ++i;
  } else if (sign_required) {
    return false;
  }
  const std::string_view rest = s.substr(i);
  // Inf and NaN only as a whole item: Prometheus' lexer reads `Infx2` as one unknown identifier.
  for (std::string_view word : {std::string_view("Inf"), std::string_view("NaN")}) {
    if (rest.size() == 3 && IEquals(rest, word)) {
      const double v = word == "Inf" ? HUGE_VAL : std::nan("");
      *out = neg ? -v : v;
      *pos = i + 3;
      return true;
    }
  }
  size_t j = i;
  bool digits = false;
  while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j, digits = true;
  if (j < s.size() && s[j] == '.') {
    ++j;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j, digits = true;
  }
  if (!digits) return false;
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    size_t k = j + 1;
    if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
    size_t exp_start = k;
    while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) ++k;
    if (k == exp_start) return false;
    j = k;
  }
  const std::string text(s.substr(i, j - i));
  const double v = std::strtod(text.c_str(), nullptr);
  *out = neg ? -v : v;
  *pos = j;
  return true;
}

// Reads `x<count>` at s[*pos] up to the end of the item.
bool ReadTimes(std::string_view s, size_t pos, uint64_t* count) {
  if (pos >= s.size() || s[pos] != 'x' || pos + 1 == s.size()) return false;
  uint64_t n = 0;
  for (size_t i = pos + 1; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    n = n * 10 + static_cast<uint64_t>(s[i] - '0');
    if (n > kMaxEntries) return false;
  }
  *count = n;
  return true;
}

Status BadItem(std::string_view item, std::string_view why = "") {
  std::string msg = "bad item \"" + std::string(item) + "\" in series values";
  if (!why.empty()) msg += ": " + std::string(why);
  return Status::InvalidArgument(msg);
}

}  // namespace

Result<std::vector<std::optional<double>>> ExpandSeriesValues(std::string_view text) {
  std::vector<std::optional<double>> out;
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    const std::string_view item = text.substr(i, end - i);
    i = end;
    if (item.starts_with("{{")) return BadItem(item, "native histograms are not supported");
    if (item == "_") {
      out.push_back(std::nullopt);
    } else if (item == "stale") {
      out.push_back(model::StaleNaN());
    } else if (item[0] == '_') {
      uint64_t n = 0;
      if (!ReadTimes(item, 1, &n)) return BadItem(item);
      if (out.size() + n > kMaxEntries) return BadItem(item, "too many values");
      out.insert(out.end(), n, std::nullopt);
    } else {
      size_t pos = 0;
      double start = 0;
      if (!ReadNumber(item, &pos, false, &start)) return BadItem(item);
      if (pos == item.size()) {
        out.push_back(start);
        continue;
      }
      std::optional<double> step;
      if (item[pos] != 'x') {
        double b = 0;
        if (!ReadNumber(item, &pos, true, &b)) return BadItem(item);
        step = b;
      }
      uint64_t n = 0;
      if (!ReadTimes(item, pos, &n)) return BadItem(item);
      if (out.size() + n + 1 > kMaxEntries) return BadItem(item, "too many values");
      // `axn` repeats a as written (-0 stays -0); `a+bxn` adds b again at each step, as
      // Prometheus' parser expands it (so 0.1 steps round alike).
      double v = start;
      for (uint64_t k = 0; k <= n; ++k) {
        out.push_back(v);
        if (step) v += *step;
      }
    }
  }
  return out;
}

}  // namespace strata::cli
