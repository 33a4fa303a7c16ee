// Prometheus HTTP API query answers as the query benchmark compares them: parsing a
// query/query_range response (matrix, vector or scalar) into sorted series, and comparing two
// answers series by series and point by point within a tolerance. Values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace strata::bench {

struct SeriesResult {
  std::string labels;  // Canonical: {a="x", b="y"}, sorted by name.
  std::vector<int64_t> t_ms;
  std::vector<double> v;
};

struct QueryResult {
  bool ok = false;
  std::string error;
  std::string result_type;
  std::vector<SeriesResult> series;  // Sorted by labels.
  int64_t points = 0;
  size_t bytes = 0;
  // The response's top-level "infos" and "warnings" (annotations), in order.
  std::vector<std::string> infos;
  std::vector<std::string> warnings;
};

// Parses a Prometheus API response with HTTP status `http_status` (0: none, then
// `transport_error` is the error). Accepts matrix, vector and scalar results; anything else,
// invalid JSON, a non-200 status or "status" other than "success" yields ok = false with the
// reason in `error`. Series are sorted by their canonical labels.
QueryResult ParseQueryResponse(int http_status, const std::string& body,
                               const std::string& transport_error = "");

struct Tolerance {
  double rel = 1e-6;
  double abs = 0;
};

// Equal within `tol` (relative or absolute); NaN equals only NaN, an infinity only itself.
bool SameValue(double a, double b, const Tolerance& tol);

// |a - b| / max(|a|, |b|): 0 for equal values (both NaN included) and for differences within
// tol.abs; +Inf when only one is NaN or the two differ and one is infinite.
double RelDiff(double a, double b, const Tolerance& tol);

// Milliseconds as "seconds.mmm" (the API's timestamp form).
std::string FormatTime(int64_t ms);
// %.17g: enough digits to round-trip.
std::string FormatValue(double v);

struct Comparison {
  bool same = true;
  int64_t only_a = 0;  // Series only in a.
  int64_t only_b = 0;
  int64_t differing_series = 0;
  int64_t differing_points = 0;  // Points off by more than the tolerance, or only on one side.
  int64_t matched_points = 0;    // Points at the same timestamp of the same series on both sides.
  int64_t points_only_a = 0;     // Points of a with no point at that time in b's series...
  int64_t points_only_b = 0;     // ...and the reverse (series only on one side included).
  double max_rel = 0;            // Largest RelDiff over the matched points.
  std::string max_rel_at;        // Where: series, time and both values.
  std::vector<std::string> examples;  // The first few differences, precisely.

  void Note(std::string s) {
    same = false;
    if (examples.size() < 5) examples.push_back(std::move(s));
  }
};

// Series are matched by label set, points by timestamp; a_name and b_name label the sides in
// the examples.
Comparison Compare(const QueryResult& a, const QueryResult& b, const Tolerance& tol,
                   const std::string& a_name = "Strata", const std::string& b_name = "Prometheus");

}  // namespace strata::bench
