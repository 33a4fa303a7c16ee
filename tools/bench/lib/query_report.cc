#include "bench/lib/query_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "bench/lib/json.h"

namespace strata::bench {

double Median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string Ms(double v) {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
  return buf;
}

std::string MdCode(const std::string& s) {
  std::string out = "`";
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else {
      out += c;
    }
  }
  return out + "`";
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

std::string Ratio(double a, double b) {
  if (std::isnan(a) || std::isnan(b) || b <= 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", a / b);
  return buf;
}

std::string RelText(double r) {
  if (std::isinf(r)) return "inf";
  if (r == 0) return "0";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2g", r);
  return buf;
}

// The resolutions named by annotations such as "data at 5m resolution used for [t1, t2]": the
// word before each " resolution", each once, comma-separated; "-" if none.
std::string Resolutions(const std::vector<std::string>& infos) {
  std::vector<std::string> found;
  for (const std::string& info : infos) {
    const size_t pos = info.find(" resolution");
    if (pos == std::string::npos || pos == 0) continue;
    const size_t space = info.rfind(' ', pos - 1);
    const size_t b = space == std::string::npos ? 0 : space + 1;
    std::string word = info.substr(b, pos - b);
    if (!word.empty() && std::find(found.begin(), found.end(), word) == found.end()) {
      found.push_back(std::move(word));
    }
  }
  std::string out;
  for (const std::string& w : found) out += (out.empty() ? "" : ",") + w;
  return out.empty() ? "-" : out;
}

namespace {

// The Markdown of the plain comparison: Strata vs Prometheus. Sets *met and *timed.
std::string TwoWayTable(const std::vector<QueryReport>& reports, const ReportSettings& o, int* met,
                        int* timed) {
  std::string md = "| query | Strata median ms | Prometheus median ms | ratio | same answer |\n";
  md += "|---|---:|---:|---:|---|\n";
  for (const QueryReport& r : reports) {
    const double a = Median(r.ms[0]);
    const double b = Median(r.ms[1]);
    const std::string ratio = Ratio(a, b);
    if (ratio != "n/a") {
      (*timed)++;
      if (a / b <= 0.5) (*met)++;
    }
    std::string same;
    if (!r.compared) {
      same = !r.first[0].ok ? "error (Strata)" : "error (Prometheus)";
    } else if (r.cmp.same) {
      same = "yes";
    } else {
      same = "**no**";
    }
    md += "| " + MdCode(r.expr) + " | " + Ms(a) + " | " + Ms(b) + " | " + ratio + " | " + same +
          " |\n";
  }
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "\nAim (Strata <= 0.5x Prometheus): met by %d of %zu queries. Ratio = Strata / "
                "Prometheus median wall-clock time of the whole HTTP request (%d warm-up + %d "
                "timed runs per server, alternating, %d ms pause after each), range "
                "%lld..%lld, step %llds.\n",
                *met, reports.size(), o.warmup, o.runs, o.pause_ms,
                static_cast<long long>(o.start_s), static_cast<long long>(o.end_s),
                static_cast<long long>(o.step_s));
  return md + buf;
}

// A variant's comparison cell: the largest relative difference, points only on one side, and
// when the answers are not within the tolerance, in bold, with how many points are off.
std::string DiffCell(const std::optional<Comparison>& c) {
  if (!c) return "n/a";
  std::string cell = RelText(c->max_rel);
  if (c->points_only_a > 0 || c->points_only_b > 0) {
    cell += " (+" + std::to_string(c->points_only_a) + "/-" + std::to_string(c->points_only_b) +
            " points)";
  }
  if (c->same) return cell;
  return "**" + cell + "**, " + std::to_string(c->differing_points) + " of " +
         std::to_string(c->matched_points + c->points_only_a + c->points_only_b) + " points off";
}

// The Markdown of a run with variants: per query every server's median, whether Strata and
// Prometheus agree, and per variant its speed-up over Strata, its ratio to Prometheus, its largest
// relative differences and the resolutions its annotations name. Sets *met (variant aims met by
// every variant) and *timed.
std::string VariantTable(const std::vector<std::string>& servers,
                         const std::vector<QueryReport>& reports, const ReportSettings& o, int* met,
                         int* timed) {
  const std::string& base = servers[0];
  const std::string& prom = servers[1];
  std::string md = "| query | " + base + " ms";
  std::string align = "|---|---:";
  for (size_t s = 2; s < servers.size(); ++s) {
    md += " | " + servers[s] + " ms";
    align += "|---:";
  }
  md += " | " + prom + " ms | " + base + " = " + prom;
  align += "|---:|---";
  for (size_t s = 2; s < servers.size(); ++s) {
    const std::string& v = servers[s];
    md += " | speed-up " + base + " / " + v + " | " + v + " / " + prom + " | max rel. diff " + v +
          " vs " + base + " | max rel. diff " + v + " vs " + prom + " | " + v +
          " resolutions (infos)";
    align += "|---:|---:|---:|---:|---";
  }
  md += " |\n" + align + "|\n";
  const size_t nv = servers.size() - 2;
  std::vector<int> speed_met(nv), ratio_met(nv), tol_base(nv), tol_prom(nv);
  for (const QueryReport& r : reports) {
    const double a = Median(r.ms[0]);
    const double p = Median(r.ms[1]);
    md += "| " + MdCode(r.expr) + " | " + Ms(a);
    for (size_t s = 2; s < servers.size(); ++s) md += " | " + Ms(Median(r.ms[s]));
    md += " | " + Ms(p) + " | ";
    md += !r.compared  ? (!r.first[0].ok ? "error (" + base + ")" : "error (" + prom + ")")
          : r.cmp.same ? "yes"
                       : "**no**";
    bool all_met = true;
    bool all_timed = true;
    for (size_t k = 0; k < nv; ++k) {
      const size_t s = 2 + k;
      const double v = Median(r.ms[s]);
      std::string speed = Ratio(a, v);
      std::string ratio = Ratio(v, p);
      if (speed == "n/a" || ratio == "n/a") all_timed = false;
      if (speed != "n/a") {
        speed += "x";
        if (o.aim_speedup > 0) {
          const bool ok = a / v >= o.aim_speedup;
          speed_met[k] += ok;
          all_met = all_met && ok;
          if (!ok) speed = "**" + speed + "**";
        }
      }
      if (ratio != "n/a" && o.aim_prometheus_ratio > 0) {
        const bool ok = v / p <= o.aim_prometheus_ratio;
        ratio_met[k] += ok;
        all_met = all_met && ok;
        if (!ok) ratio = "**" + ratio + "**";
      }
      tol_base[k] += r.vs_strata[k] && r.vs_strata[k]->same;
      tol_prom[k] += r.vs_prometheus[k] && r.vs_prometheus[k]->same;
      const QueryResult& q = r.first[s];
      md += " | " + speed + " | " + ratio + " | " + DiffCell(r.vs_strata[k]) + " | " +
            DiffCell(r.vs_prometheus[k]) + " | " +
            (q.ok ? Resolutions(q.infos) + " (" + std::to_string(q.infos.size()) + ")" : "error");
    }
    md += " |\n";
    if (all_timed) {
      (*timed)++;
      if (all_met) (*met)++;
    }
  }
  char buf[2048];
  md += "\n";
  for (size_t k = 0; k < nv; ++k) {
    const std::string& v = servers[2 + k];
    std::string line = v + ":";
    if (o.aim_speedup > 0) {
      std::snprintf(buf, sizeof(buf), " aim %s / %s >= %gx met by %d of %zu queries;", base.c_str(),
                    v.c_str(), o.aim_speedup, speed_met[k], reports.size());
      line += buf;
    }
    if (o.aim_prometheus_ratio > 0) {
      std::snprintf(buf, sizeof(buf), " aim %s / %s <= %g met by %d of %zu;", v.c_str(),
                    prom.c_str(), o.aim_prometheus_ratio, ratio_met[k], reports.size());
      line += buf;
    }
    std::snprintf(
        buf, sizeof(buf), " answers within the tolerance of %s's: %d of %zu, of %s's: %d of %zu.\n",
        base.c_str(), tol_base[k], reports.size(), prom.c_str(), tol_prom[k], reports.size());
    md += line + buf;
  }
  std::snprintf(
      buf, sizeof(buf),
      "\nTimes are medians of the wall-clock time of the whole HTTP request (%d warm-up + %d "
      "timed runs per target, the first target rotating, %d ms pause after each), range "
      "%lld..%lld, step %llds. Max rel. diff: the largest |a - b| / max(|a|, |b|) over the "
      "points both answers have (same series, same time; differences up to %g count as 0, "
      "NaN against a number as inf); (+a/-b points): points only in the variant's / only in "
      "the other answer. Bold: not within the tolerance (relative %g, absolute %g, and no "
      "point on one side only; then how many points are off), or an aim missed. %s = %s: the "
      "same answer within relative "
      "%g. Resolutions: the word before \"resolution\" in each of the variant's `infos` "
      "annotations, then how many it returned.\n",
      o.warmup, o.runs, o.pause_ms, static_cast<long long>(o.start_s),
      static_cast<long long>(o.end_s), static_cast<long long>(o.step_s), o.variant_tol.abs,
      o.variant_tol.rel, o.variant_tol.abs, base.c_str(), prom.c_str(), o.tol.rel);
  return md + buf;
}

}  // namespace

std::string JsonNumber(double v) {
  if (std::isnan(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", std::isinf(v) ? 1e308 : v);
  return buf;
}

std::string MarkdownReport(const std::vector<std::string>& servers,
                           const std::vector<QueryReport>& reports, const ReportSettings& o,
                           int* met, int* timed) {
  std::string md;
  char buf[512];
  if (servers.size() == 2) {
    md += TwoWayTable(reports, o, met, timed);
  } else {
    md += VariantTable(servers, reports, o, met, timed);
  }
  if (o.cpu) {
    md +=
        "\nServer CPU time (user + sys) per query, mean of the timed runs, counted from the "
        "request to the end of the pause after it, so background work such as garbage "
        "collection is included:\n\n";
    if (servers.size() == 2) {
      md += "| query | Strata CPU ms | Prometheus CPU ms | ratio |\n|---|---:|---:|---:|\n";
    } else {
      std::string align = "|---";
      md += "| query";
      for (const std::string& name : servers) {
        md += " | " + name + " CPU ms";
        align += "|---:";
      }
      md += " |\n" + align + "|\n";
    }
    for (const QueryReport& r : reports) {
      md += "| " + MdCode(r.expr);
      for (size_t s = 0; s < servers.size(); ++s) md += " | " + Ms(Mean(r.cpu_ms[s]));
      if (servers.size() == 2) md += " | " + Ratio(Mean(r.cpu_ms[0]), Mean(r.cpu_ms[1]));
      md += " |\n";
    }
  }
  md += "\nResult sizes and every run (ms):\n\n";
  for (const QueryReport& r : reports) {
    md += "- " + MdCode(r.expr) + "\n";
    for (size_t s = 0; s < servers.size(); ++s) {
      const QueryResult& q = r.first[s];
      std::string runs;
      for (double v : r.ms[s]) runs += (runs.empty() ? "" : " ") + Ms(v);
      if (q.ok) {
        std::snprintf(buf, sizeof(buf),
                      "  - %s: %zu series, %lld points, %.1f KiB JSON; runs: ", servers[s].c_str(),
                      q.series.size(), static_cast<long long>(q.points),
                      static_cast<double>(q.bytes) / 1024);
        md += buf + runs + "\n";
        for (const auto& [what, list] :
             {std::pair{"info", &q.infos}, std::pair{"warning", &q.warnings}}) {
          for (size_t i = 0; i < list->size() && i < 3; ++i) {
            md += "    - " + std::string(what) + ": " + (*list)[i] + "\n";
          }
          if (list->size() > 3) {
            md += "    - ... " + std::to_string(list->size() - 3) + " more " + what + "s\n";
          }
        }
      } else {
        md += "  - " + servers[s] + ": error: " + q.error + "\n";
      }
    }
    if (r.compared && !r.cmp.same) {
      std::snprintf(buf, sizeof(buf),
                    "  - **answers differ**: %lld series only in %s, %lld only in "
                    "%s, %lld series with %lld differing points. First differences:\n",
                    static_cast<long long>(r.cmp.only_a), servers[0].c_str(),
                    static_cast<long long>(r.cmp.only_b), servers[1].c_str(),
                    static_cast<long long>(r.cmp.differing_series),
                    static_cast<long long>(r.cmp.differing_points));
      md += buf;
      for (const std::string& e : r.cmp.examples) md += "    - " + e + "\n";
    }
    for (size_t k = 0; k < r.vs_strata.size(); ++k) {
      for (const std::optional<Comparison>* c : {&r.vs_strata[k], &r.vs_prometheus[k]}) {
        if (!*c) continue;
        const std::string& other = servers[c == &r.vs_strata[k] ? 0 : 1];
        std::snprintf(
            buf, sizeof(buf),
            "  - %s vs %s: %lld points compared, %lld off by more than the "
            "tolerance or on one side only; largest relative difference %s",
            servers[2 + k].c_str(), other.c_str(), static_cast<long long>((*c)->matched_points),
            static_cast<long long>((*c)->differing_points), RelText((*c)->max_rel).c_str());
        md += buf;
        md += (*c)->max_rel > 0 ? " at " + (*c)->max_rel_at + "\n" : "\n";
        for (const std::string& e : (*c)->examples) md += "    - " + e + "\n";
      }
    }
  }
  return md;
}

std::string JsonReport(const std::vector<std::string>& servers,
                       const std::vector<QueryReport>& reports, bool all_ok, int met, int timed) {
  char buf[512];

  std::string json;
  for (const QueryReport& r : reports) {
    if (!json.empty()) json += ",";
    std::snprintf(buf, sizeof(buf),
                  "{\"strata_ms\":%.3f,\"prometheus_ms\":%.3f,\"same\":%s,\"strata_error\":\"",
                  std::isnan(Median(r.ms[0])) ? -1 : Median(r.ms[0]),
                  std::isnan(Median(r.ms[1])) ? -1 : Median(r.ms[1]),
                  r.compared && r.cmp.same ? "true" : "false");
    json += std::string(buf) + JsonEscape(r.first[0].ok ? "" : r.first[0].error) +
            "\",\"prometheus_error\":\"" + JsonEscape(r.first[1].ok ? "" : r.first[1].error) +
            "\",\"query\":\"" + JsonEscape(r.expr) + "\"";
    if (servers.size() > 2) {
      json += ",\"variants\":[";
      for (size_t k = 0; k < r.vs_strata.size(); ++k) {
        const size_t s = 2 + k;
        const double v = Median(r.ms[s]);
        const auto& vs = r.vs_strata[k];
        const auto& vp = r.vs_prometheus[k];
        json += std::string(k ? "," : "") + "{\"name\":\"" + JsonEscape(servers[s]) +
                "\",\"ms\":" + JsonNumber(v) + ",\"error\":\"" +
                JsonEscape(r.first[s].ok ? "" : r.first[s].error) +
                "\",\"speedup\":" + JsonNumber(Median(r.ms[0]) / v) +
                ",\"prometheus_ratio\":" + JsonNumber(v / Median(r.ms[1])) +
                ",\"max_rel_vs_strata\":" + JsonNumber(vs ? vs->max_rel : NAN) +
                ",\"within_tol_vs_strata\":" + (vs && vs->same ? "true" : "false") +
                ",\"max_rel_vs_prometheus\":" + JsonNumber(vp ? vp->max_rel : NAN) +
                ",\"within_tol_vs_prometheus\":" + (vp && vp->same ? "true" : "false") +
                ",\"resolutions\":\"" + JsonEscape(Resolutions(r.first[s].infos)) +
                "\",\"infos\":" + std::to_string(r.first[s].infos.size()) + "}";
      }
      json += "]";
    }
    json += "}";
  }
  std::string line(json.size() + 128, '\0');
  line.resize(static_cast<size_t>(std::snprintf(
      line.data(), line.size(),
      "{\"tool\":\"query_bench\",\"phase\":\"query\",\"ok\":%s,\"met\":%d,\"timed\":%d,"
      "\"queries\":[%s]}\n",
      all_ok ? "true" : "false", met, timed, json.c_str())));
  return line;
}

}  // namespace strata::bench
