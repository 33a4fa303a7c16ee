// The element-wise functions of an instant vector (math, clamp, round, trig, date parts) and
// their lookup table, reproducing Prometheus v2.53 promql/functions.go: Go's math.Max/Min NaN
// and ±0 rules, Go's Log2/Log10 formulas, and Go's (<= 1.23) time.Time calendar arithmetic on
// amd64 for date parts. Pure; thread-safe.
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "query/funcs/function_impls.h"

namespace strata::query::funcs {
namespace {

using Args = std::span<const double>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846264338327950288419716939937510582097494459;
// Go's constant expressions 1/Ln2 and 1/Ln10, rounded once to double.
constexpr double kInvLn2 = 1.44269504088896340735992468100189214742664595415298593413544940;
constexpr double kInvLn10 = 0.43429448190325182765112891891660508229439700580366656611445378;

// Go's math.Max: +Inf beats NaN, NaN beats everything else, +0 beats -0.
double GoMax(double x, double y) {
  if (std::isinf(x) && x > 0) return x;
  if (std::isinf(y) && y > 0) return y;
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  if (x == 0 && x == y) return std::signbit(x) ? y : x;
  return x > y ? x : y;
}

// Go's math.Min: -Inf beats NaN, NaN beats everything else, -0 beats +0.
double GoMin(double x, double y) {
  if (std::isinf(x) && x < 0) return x;
  if (std::isinf(y) && y < 0) return y;
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  if (x == 0 && x == y) return std::signbit(x) ? x : y;
  return x < y ? x : y;
}

// Go's math.Log2: exact for powers of two, else ln(frac)/ln(2) + exp.
double GoLog2(double x) {
  int exp = 0;
  const double frac = std::frexp(x, &exp);
  if (std::isinf(x) || std::isnan(x) || x == 0) exp = 0;  // Go's Frexp special cases.
  if (frac == 0.5) return static_cast<double>(exp - 1);
  return std::log(frac) * kInvLn2 + static_cast<double>(exp);
}

// Go's math.Log10: ln(x) times 1/ln(10) (not a correctly rounded log10).
double GoLog10(double x) { return std::log(x) * kInvLn10; }

double Abs(double v, Args) { return std::fabs(v); }
double Ceil(double v, Args) { return std::ceil(v); }
double Floor(double v, Args) { return std::floor(v); }
double Exp(double v, Args) { return std::exp(v); }
double Sqrt(double v, Args) { return std::sqrt(v); }
double Ln(double v, Args) { return std::log(v); }
double Log2(double v, Args) { return GoLog2(v); }
double Log10(double v, Args) { return GoLog10(v); }
double Sin(double v, Args) { return std::sin(v); }
double Cos(double v, Args) { return std::cos(v); }
double Tan(double v, Args) { return std::tan(v); }
double Asin(double v, Args) { return std::asin(v); }
double Acos(double v, Args) { return std::acos(v); }
double Atan(double v, Args) { return std::atan(v); }
double Sinh(double v, Args) { return std::sinh(v); }
double Cosh(double v, Args) { return std::cosh(v); }
double Tanh(double v, Args) { return std::tanh(v); }
double Asinh(double v, Args) { return std::asinh(v); }
double Acosh(double v, Args) { return std::acosh(v); }
double Atanh(double v, Args) { return std::atanh(v); }
double Rad(double v, Args) { return v * kPi / 180; }
double Deg(double v, Args) { return v * 180 / kPi; }

// Zero (of either sign) and NaN map to themselves.
double Sgn(double v, Args) {
  if (v < 0) return -1;
  if (v > 0) return 1;
  return v;
}

// Rounds to a multiple of args[0] (default 1), ties upwards. Multiplying by the inverse is
// Prometheus' choice (fewer representation errors than dividing).
double Round(double v, Args args) {
  const double to_nearest = args.empty() ? 1 : args[0];
  const double to_nearest_inverse = 1.0 / to_nearest;
  return std::floor(v * to_nearest_inverse + 0.5) / to_nearest_inverse;
}

double Clamp(double v, Args args) {
  if (args.size() < 2) return kNaN;
  return GoMax(args[0], GoMin(args[1], v));
}

double ClampMin(double v, Args args) {
  if (args.empty()) return kNaN;
  return GoMax(args[0], v);
}

double ClampMax(double v, Args args) {
  if (args.empty()) return kNaN;
  return GoMin(args[0], v);
}

// --- Date parts: Go's time.Unix(int64(v), 0).UTC() and its accessors. ---------------------
//
// Go counts seconds since an "absolute zero" year as a uint64, with int64 arithmetic that
// wraps, and derives the calendar by 400/100/4/1-year cycles. Reproducing that (rather than
// using a proleptic-Gregorian formula) makes out-of-range inputs match Prometheus too.

constexpr uint64_t kSecondsPerMinute = 60;
constexpr uint64_t kSecondsPerHour = 60 * kSecondsPerMinute;
constexpr uint64_t kSecondsPerDay = 24 * kSecondsPerHour;
constexpr uint64_t kSecondsPerWeek = 7 * kSecondsPerDay;
constexpr uint64_t kDaysPer400Years = 365 * 400 + 97;
constexpr uint64_t kDaysPer100Years = 365 * 100 + 24;
constexpr uint64_t kDaysPer4Years = 365 * 4 + 1;
constexpr int64_t kAbsoluteZeroYear = -292277022399;
// unixToInternal + internalToAbsolute in Go's time package.
constexpr uint64_t kUnixToAbsolute = 62135596800ULL + 9223371966579724800ULL;
// Days before the start of each month in a non-leap year (index 12: the whole year).
constexpr int kDaysBefore[13] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};

// Go's int64(f) on amd64 (CVTTSD2SQ): NaN and values outside int64 give INT64_MIN.
int64_t GoFloatToInt64(double v) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (!(v >= -kTwo63 && v < kTwo63)) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

uint64_t AbsSeconds(double unix_seconds) {
  return static_cast<uint64_t>(GoFloatToInt64(unix_seconds)) + kUnixToAbsolute;
}

bool IsLeap(int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

struct Date {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
  int yday;   // 0-based day of the year
};

// Go's absDate(abs, full=true).
Date AbsDate(uint64_t abs) {
  uint64_t d = abs / kSecondsPerDay;
  uint64_t n = d / kDaysPer400Years;
  uint64_t y = 400 * n;
  d -= kDaysPer400Years * n;
  // The last day of a 400-year cycle would count as a 4th century (and the last day of a
  // 4-year cycle as a 4th year): n >> 2 cuts it back.
  n = d / kDaysPer100Years;
  n -= n >> 2;
  y += 100 * n;
  d -= kDaysPer100Years * n;
  n = d / kDaysPer4Years;
  y += 4 * n;
  d -= kDaysPer4Years * n;
  n = d / 365;
  n -= n >> 2;
  y += n;
  d -= 365 * n;

  Date date{};
  date.year = static_cast<int64_t>(y) + kAbsoluteZeroYear;
  date.yday = static_cast<int>(d);
  int day = date.yday;
  if (IsLeap(date.year)) {
    if (day > 31 + 29 - 1) {
      day--;  // After February 29: pretend it was not there.
    } else if (day == 31 + 29 - 1) {
      date.month = 2;
      date.day = 29;
      return date;
    }
  }
  // Estimate assuming 31-day months; the estimate is at most one month low.
  int month = day / 31;
  const int end = kDaysBefore[month + 1];
  int begin;
  if (day >= end) {
    month++;
    begin = end;
  } else {
    begin = kDaysBefore[month];
  }
  date.month = month + 1;
  date.day = day - begin + 1;
  return date;
}

// Go's daysSinceEpoch: days from the absolute zero to January 1 of `year`.
uint64_t DaysSinceEpoch(int64_t year) {
  uint64_t y = static_cast<uint64_t>(year) - static_cast<uint64_t>(kAbsoluteZeroYear);
  uint64_t n = y / 400;
  y -= 400 * n;
  uint64_t d = kDaysPer400Years * n;
  n = y / 100;
  y -= 100 * n;
  d += kDaysPer100Years * n;
  n = y / 4;
  y -= 4 * n;
  d += kDaysPer4Years * n;
  d += 365 * y;
  return d;
}

double Year(double v, Args) { return static_cast<double>(AbsDate(AbsSeconds(v)).year); }
double Month(double v, Args) { return AbsDate(AbsSeconds(v)).month; }
double DayOfMonth(double v, Args) { return AbsDate(AbsSeconds(v)).day; }
double DayOfYear(double v, Args) { return AbsDate(AbsSeconds(v)).yday + 1; }

// Sunday = 0. Day 0 of the absolute calendar was a Monday.
double DayOfWeek(double v, Args) {
  const uint64_t weekday = ((AbsSeconds(v) + kSecondsPerDay) % kSecondsPerWeek) / kSecondsPerDay;
  return static_cast<double>(weekday);
}

double Hour(double v, Args) {
  const uint64_t hour = (AbsSeconds(v) % kSecondsPerDay) / kSecondsPerHour;
  return static_cast<double>(hour);
}

double Minute(double v, Args) {
  const uint64_t minute = (AbsSeconds(v) % kSecondsPerHour) / kSecondsPerMinute;
  return static_cast<double>(minute);
}

// Prometheus: 32 - time.Date(year, month, 32, 0, 0, 0, 0, UTC).Day(), i.e. day 32 of the month
// normalized into the next one.
double DaysInMonth(double v, Args) {
  const Date date = AbsDate(AbsSeconds(v));
  uint64_t d = DaysSinceEpoch(date.year);
  d += static_cast<uint64_t>(kDaysBefore[date.month - 1]);
  if (IsLeap(date.year) && date.month >= 3) d++;
  d += 32 - 1;
  return 32 - AbsDate(d * kSecondsPerDay).day;
}

constexpr ElementFunction kElementFunctions[] = {
    {"abs", Abs},
    {"acos", Acos},
    {"acosh", Acosh},
    {"asin", Asin},
    {"asinh", Asinh},
    {"atan", Atan},
    {"atanh", Atanh},
    {"ceil", Ceil},
    {"clamp", Clamp},
    {"clamp_max", ClampMax},
    {"clamp_min", ClampMin},
    {"cos", Cos},
    {"cosh", Cosh},
    {"day_of_month", DayOfMonth},
    {"day_of_week", DayOfWeek},
    {"day_of_year", DayOfYear},
    {"days_in_month", DaysInMonth},
    {"deg", Deg},
    {"exp", Exp},
    {"floor", Floor},
    {"hour", Hour},
    {"ln", Ln},
    {"log10", Log10},
    {"log2", Log2},
    {"minute", Minute},
    {"month", Month},
    {"rad", Rad},
    {"round", Round},
    {"sgn", Sgn},
    {"sin", Sin},
    {"sinh", Sinh},
    {"sqrt", Sqrt},
    {"tan", Tan},
    {"tanh", Tanh},
    {"year", Year},
};

}  // namespace

const ElementFunction* LookupElementFunction(std::string_view name) {
  for (const ElementFunction& f : kElementFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool ClampArgsEmpty(std::span<const double> scalar_args) {
  return scalar_args.size() >= 2 && scalar_args[1] < scalar_args[0];
}

}  // namespace strata::query::funcs
