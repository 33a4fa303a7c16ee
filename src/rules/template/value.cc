#include "rules/template/value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace strata::rules::template_internal {

std::string TypeName(const Value& v) {
  switch (v.kind()) {
    case Kind::kInvalid:
      return "<nil>";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float64";
    case Kind::kString:
      return "string";
    case Kind::kHtml:
      return "template.HTML";
    case Kind::kStrMap:
      return "map[string]string";
    case Kind::kAnyMap:
      return "map[string]interface {}";
    case Kind::kQueryResult:
      return "template.queryResult";
    case Kind::kSample:
      return "*template.sample";
    case Kind::kTime:
      return "*time.Time";
    case Kind::kAlertData:
      return "struct { Labels map[string]string; ExternalLabels map[string]string; "
             "ExternalURL string; Value interface {} }";
  }
  return "?";
}

int64_t Len(const Value& v) {
  switch (v.kind()) {
    case Kind::kString:
    case Kind::kHtml:
      return static_cast<int64_t>(v.Str().size());
    case Kind::kStrMap:
      return static_cast<int64_t>(std::get<std::shared_ptr<const StrMap>>(v.v)->size());
    case Kind::kAnyMap:
      return static_cast<int64_t>(std::get<std::shared_ptr<const AnyMap>>(v.v)->items.size());
    case Kind::kQueryResult:
      return static_cast<int64_t>(std::get<std::shared_ptr<const QueryResult>>(v.v)->size());
    default:
      return -1;
  }
}

bool IsTrue(const Value& v) {
  switch (v.kind()) {
    case Kind::kInvalid:
      return false;
    case Kind::kBool:
      return v.b();
    case Kind::kInt:
      return v.i() != 0;
    case Kind::kFloat:
      return v.f() != 0;  // NaN != 0: true, as in Go.
    case Kind::kSample:
    case Kind::kTime:
    case Kind::kAlertData:
      return true;  // Non-nil pointers and structs.
    default:
      return Len(v) > 0;
  }
}

bool StructField(const Value& v, std::string_view name, Value* out) {
  if (v.kind() == Kind::kAlertData) {
    const auto& d = *std::get<std::shared_ptr<const AlertData>>(v.v);
    if (name == "Labels") {
      *out = Value::Of(d.labels);
    } else if (name == "ExternalLabels") {
      *out = Value::Of(d.external_labels);
    } else if (name == "ExternalURL") {
      *out = Value::String(d.external_url);
    } else if (name == "Value") {
      *out = Value::Float(d.value);
    } else {
      return false;
    }
    return true;
  }
  if (v.kind() == Kind::kSample) {
    const auto& s = *std::get<std::shared_ptr<const QuerySample>>(v.v);
    if (name == "Labels") {
      *out = Value::Of(s.labels);
    } else if (name == "Value") {
      *out = Value::Float(s.value);
    } else {
      return false;
    }
    return true;
  }
  return false;
}

namespace {

struct Civil {
  int64_t year, month, day, hour, minute, second, nanos, yday, wday;
};

Civil ToCivil(int64_t unix_nanos) {
  int64_t secs = unix_nanos / 1000000000;
  int64_t nanos = unix_nanos % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  static const int kCum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  int64_t yday = kCum[m - 1] + d + (leap && m > 2 ? 1 : 0);
  int64_t wday = ((days % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday.
  return {y, m, d, rem / 3600, rem / 60 % 60, rem % 60, nanos, yday, wday};
}

std::string Pad(int64_t v, int width, char fill = '0') {
  std::string s = std::to_string(v < 0 ? -v : v);
  if (static_cast<int>(s.size()) < width) s.insert(0, static_cast<size_t>(width) - s.size(), fill);
  return v < 0 ? "-" + s : s;
}

}  // namespace

std::string FormatGoTimeLayout(int64_t unix_nanos, std::string_view layout) {
  static const char* const kMonths[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
  static const char* const kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                      "Thursday", "Friday", "Saturday"};
  Civil c = ToCivil(unix_nanos);
  std::string out;
  size_t i = 0;
  auto at = [&](std::string_view token) { return layout.substr(i).starts_with(token); };
  while (i < layout.size()) {
    char ch = layout[i];
    if (at("January")) {
      out += kMonths[c.month - 1];
      i += 7;
      continue;
    }
    if (at("Jan")) {
      out += std::string(kMonths[c.month - 1]).substr(0, 3);
      i += 3;
      continue;
    }
    if (at("Monday")) {
      out += kDays[c.wday];
      i += 6;
      continue;
    }
    if (at("Mon")) {
      out += std::string(kDays[c.wday]).substr(0, 3);
      i += 3;
      continue;
    }
    if (at("MST")) {
      out += "UTC";
      i += 3;
      continue;
    }
    if (at("2006")) {
      out += Pad(c.year, 4);
      i += 4;
      continue;
    }
    if (at("002")) {
      out += Pad(c.yday, 3);
      i += 3;
      continue;
    }
    if (at("01")) {
      out += Pad(c.month, 2);
      i += 2;
      continue;
    }
    if (at("02")) {
      out += Pad(c.day, 2);
      i += 2;
      continue;
    }
    if (at("03")) {
      out += Pad(c.hour % 12 == 0 ? 12 : c.hour % 12, 2);
      i += 2;
      continue;
    }
    if (at("04")) {
      out += Pad(c.minute, 2);
      i += 2;
      continue;
    }
    if (at("05")) {
      out += Pad(c.second, 2);
      i += 2;
      continue;
    }
    if (at("06")) {
      out += Pad(c.year % 100, 2);
      i += 2;
      continue;
    }
    if (at("15")) {
      out += Pad(c.hour, 2);
      i += 2;
      continue;
    }
    if (at("__2")) {
      out += Pad(c.yday, 3, ' ');
      i += 3;
      continue;
    }
    if (at("_2")) {
      out += Pad(c.day, 2, ' ');
      i += 2;
      continue;
    }
    if (ch == '1') {
      out += std::to_string(c.month);
      ++i;
      continue;
    }
    if (ch == '2') {
      out += std::to_string(c.day);
      ++i;
      continue;
    }
    if (ch == '3') {
      out += std::to_string(c.hour % 12 == 0 ? 12 : c.hour % 12);
      ++i;
      continue;
    }
    if (ch == '4') {
      out += std::to_string(c.minute);
      ++i;
      continue;
    }
    if (ch == '5') {
      out += std::to_string(c.second);
      ++i;
      continue;
    }
    if (at("PM")) {
      out += c.hour >= 12 ? "PM" : "AM";
      i += 2;
      continue;
    }
    if (at("pm")) {
      out += c.hour >= 12 ? "pm" : "am";
      i += 2;
      continue;
    }
    bool matched = false;
    for (std::string_view z : {"-070000", "-07:00:00", "-0700", "-07:00", "-07", "Z070000",
                               "Z07:00:00", "Z0700", "Z07:00", "Z07"}) {
      if (at(z)) {
        if (z[0] == 'Z') {
          out += "Z";
        } else {
          std::string off = "+" + std::string(z.substr(1));
          for (char& d : off) {
            if (d >= '0' && d <= '9') d = '0';
          }
          out += off;
        }
        i += z.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if ((ch == '.' || ch == ',') && i + 1 < layout.size() &&
        (layout[i + 1] == '0' || layout[i + 1] == '9')) {
      char digit = layout[i + 1];
      size_t j = i + 1;
      while (j < layout.size() && layout[j] == digit) ++j;
      if (j >= layout.size() || layout[j] < '0' || layout[j] > '9') {
        size_t n = std::min<size_t>(j - i - 1, 9);
        std::string frac = Pad(c.nanos, 9).substr(0, n);
        if (digit == '9') {
          while (!frac.empty() && frac.back() == '0') frac.pop_back();
          if (!frac.empty()) out += std::string(1, ch) + frac;
        } else {
          out += std::string(1, ch) + frac;
        }
        i = j;
        continue;
      }
    }
    out.push_back(ch);
    ++i;
  }
  return out;
}

std::string FormatGoTime(int64_t unix_nanos) {
  return FormatGoTimeLayout(unix_nanos, "2006-01-02 15:04:05.999999999 -0700 MST");
}

}  // namespace strata::rules::template_internal
