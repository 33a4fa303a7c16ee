// PromQL conformance: runs Prometheus v2.53's own test scripts (format: shared/promql-testdata/
// README.md) against query::Engine over a storage::Head, one test per script file, plus unit tests
// of the script parser (promql_test_script.h). As upstream, instant evals are also checked as a
// range query around t and with `@ t` added to every selector (switchable below, counted apart).
// Scripts come from $STRATA_PROMQL_TESTDATA or <repo>/../shared/promql-testdata, else the test
// skips; skipped cases and their reasons are listed in conformance_exclusions.txt beside this file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/log.h"
#include "model/labels.h"
#include "model/sample.h"
#include "query/ast.h"
#include "query/engine.h"
#include "query/parser.h"
#include "query/printer.h"
#include "query/promql_test_script.h"
#include "query/value.h"
#include "storage/cold_store.h"
#include "storage/head.h"
#include "storage/merge_querier.h"
#include "storage/warm_store.h"
#include "storage/xor_chunk.h"
#include "testutil/mem_object_store.h"
#include "testutil/process.h"

namespace strata::query::promqltest {
namespace {

// Upstream's extra checks (promqltest execInstantEval); switch off to see the plain results.
// 1. The instant query also runs as a range query t-1m..t+1m step 1m; the point at t must match
//    (skipped for eval_ordered).
constexpr bool kCheckRangeMode = true;
// 2. `@ t` is added to every selector and subquery without one, and the query re-run at
//    -10t, 0, t/5, t, 10t (-1s, 0, 1s when t = 0); skipped for expressions using functions
//    whose result depends on the evaluation time.
constexpr bool kCheckAtModifier = true;
// Upstream's test engine allows 10,000 samples per query. No script depends on the limit (no
// eval_fail is about it), so by default the engine keeps its own large limit; set this to run
// with upstream's value.
constexpr bool kUseUpstreamMaxSamples = false;
// Failing evals described in full per file; the rest are only counted.
constexpr int kMaxReportedFailures = 20;

constexpr int64_t kMinuteMs = 60'000;

// ---------------------------------------------------------------------------------------------
// Where things are.

std::filesystem::path SourceDir() { return std::filesystem::path(__FILE__).parent_path(); }

// tests/query/.. /..
std::filesystem::path RepoRoot() { return SourceDir().parent_path().parent_path(); }

struct TestdataLocation {
  std::filesystem::path dir;  // Empty when not found.
  std::string note;           // Why not, or which fallback was taken.
};

TestdataLocation FindTestdata() {
  std::error_code ec;
  TestdataLocation loc;
  std::filesystem::path fallback = RepoRoot().parent_path() / "shared" / "promql-testdata";
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any test starts a thread.
  if (const char* env = std::getenv("STRATA_PROMQL_TESTDATA"); env != nullptr && *env != '\0') {
    if (std::filesystem::is_directory(env, ec)) {
      loc.dir = env;
      return loc;
    }
    loc.note = "STRATA_PROMQL_TESTDATA=" + std::string(env) + " is not a directory; ";
  }
  if (std::filesystem::is_directory(fallback, ec)) {
    loc.dir = fallback;
    if (!loc.note.empty()) loc.note += "using " + fallback.string();
    return loc;
  }
  loc.note +=
      "PromQL test scripts not found: set STRATA_PROMQL_TESTDATA to a directory of "
      "Prometheus v2.53 promql/promqltest/testdata/*.test files (default: " +
      fallback.string() + ")";
  return loc;
}

// The *.test files to run, sorted; one empty entry (reported as skipped) when there are none.
std::vector<std::string> ListScriptFiles() {
  std::vector<std::string> files;
  TestdataLocation loc = FindTestdata();
  std::error_code ec;
  if (!loc.dir.empty()) {
    for (std::filesystem::directory_iterator it(loc.dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->path().extension() == ".test") files.push_back(it->path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) files.emplace_back();
  return files;
}

std::string ReadWholeFile(const std::filesystem::path& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---------------------------------------------------------------------------------------------
// Exclusions: `file[:line] reason` per line; `#` comments and blank lines are ignored.

struct Exclusions {
  std::map<std::string, std::string> files;                  // file -> reason
  std::map<std::pair<std::string, int>, std::string> evals;  // (file, eval line) -> reason
  std::vector<std::string> errors;
};

Exclusions LoadExclusions() {
  Exclusions ex;
  std::filesystem::path path = SourceDir() / "conformance_exclusions.txt";
  bool ok = false;
  std::string text = ReadWholeFile(path, &ok);
  if (!ok) return ex;  // No file: nothing excluded.
  std::istringstream in(text);
  std::string raw;
  for (int n = 1; std::getline(in, raw); ++n) {
    std::string_view line = internal::TrimSpace(raw);
    if (line.empty() || line[0] == '#') continue;
    std::string_view rest = line;
    std::string_view target = internal::NextToken(&rest);
    std::string where = path.filename().string() + ":" + std::to_string(n);
    if (rest.empty()) {
      ex.errors.push_back(where + ": missing reason in \"" + std::string(line) + "\"");
      continue;
    }
    size_t colon = target.find(':');
    if (colon == std::string_view::npos) {
      ex.files[std::string(target)] = std::string(rest);
      continue;
    }
    std::optional<uint64_t> eval_line = internal::ParseUint10(target.substr(colon + 1));
    if (!eval_line || *eval_line == 0 || *eval_line > 1'000'000) {
      ex.errors.push_back(where + ": bad line number in \"" + std::string(target) + "\"");
      continue;
    }
    ex.evals[{std::string(target.substr(0, colon)), static_cast<int>(*eval_line)}] =
        std::string(rest);
  }
  return ex;
}

// ---------------------------------------------------------------------------------------------
// The @-modifier variant (upstream atModifierTestCases).

bool IsAtModifierUnsafe(std::string_view function) {
  static constexpr std::string_view kUnsafe[] = {
      "days_in_month", "day_of_month", "day_of_week",    "day_of_year", "hour",     "minute",
      "month",         "year",         "predict_linear", "time",        "timestamp"};
  return std::find(std::begin(kUnsafe), std::end(kUnsafe), function) != std::end(kUnsafe);
}

// Sets `@ ts` on every selector and subquery that has no `@ <timestamp>` yet, except below a
// subquery with one (upstream leaves those alone; `@ start()`/`@ end()` do not count as set,
// since Prometheus' parser resolves them only at evaluation). Sets *unsafe when a call to an
// @-unsafe function is visited.
void AddAtModifiers(Expr& e, int64_t ts, bool* unsafe) {
  auto set = [ts](AtModifier& at) {
    if (at.kind != AtKind::kTimestamp) at = AtModifier{AtKind::kTimestamp, ts};
  };
  switch (e.kind()) {
    case ExprKind::kNumberLiteral:
    case ExprKind::kStringLiteral:
      return;
    case ExprKind::kVectorSelector:
      set(e.As<VectorSelector>().at);
      return;
    case ExprKind::kMatrixSelector:
      set(e.As<MatrixSelector>().selector->at);
      return;
    case ExprKind::kSubquery:
      // Its children now have an @ subquery on their path: upstream skips them.
      set(e.As<SubqueryExpr>().at);
      return;
    case ExprKind::kParen:
      AddAtModifiers(*e.As<ParenExpr>().expr, ts, unsafe);
      return;
    case ExprKind::kUnary:
      AddAtModifiers(*e.As<UnaryExpr>().expr, ts, unsafe);
      return;
    case ExprKind::kBinary:
      AddAtModifiers(*e.As<BinaryExpr>().lhs, ts, unsafe);
      AddAtModifiers(*e.As<BinaryExpr>().rhs, ts, unsafe);
      return;
    case ExprKind::kAggregate: {
      auto& agg = e.As<AggregateExpr>();
      AddAtModifiers(*agg.expr, ts, unsafe);
      if (agg.param) AddAtModifiers(*agg.param, ts, unsafe);
      return;
    }
    case ExprKind::kCall: {
      auto& call = e.As<Call>();
      if (IsAtModifierUnsafe(call.func->name)) *unsafe = true;
      for (ExprPtr& arg : call.args) AddAtModifiers(*arg, ts, unsafe);
      return;
    }
  }
}

struct AtCase {
  std::string expr;
  int64_t eval_ms;
};

// The rewritten query and its evaluation times; empty when the expression is @-unsafe.
std::vector<AtCase> AtModifierCases(const Expr& parsed, int64_t ts) {
  ExprPtr expr = CloneExpr(parsed);
  bool unsafe = false;
  AddAtModifiers(*expr, ts, &unsafe);
  if (unsafe) return {};
  std::string text = ExprToString(*expr);
  std::vector<int64_t> times = {-10 * ts, 0, ts / 5, ts, 10 * ts};
  if (ts == 0) times = {-1000, 0, 1000};
  std::vector<AtCase> cases;
  cases.reserve(times.size());
  for (int64_t t : times) cases.push_back({text, t});
  return cases;
}

// The outermost operation of an expression, to group failures: a function, aggregation or
// operator name.
std::string OutermostOp(const Expr& e) {
  switch (e.kind()) {
    case ExprKind::kNumberLiteral:
      return "number literal";
    case ExprKind::kStringLiteral:
      return "string literal";
    case ExprKind::kVectorSelector:
      return "instant selector";
    case ExprKind::kMatrixSelector:
      return "range selector";
    case ExprKind::kSubquery:
      return "subquery";
    case ExprKind::kParen:
      return OutermostOp(*e.As<ParenExpr>().expr);
    case ExprKind::kUnary:
      return "unary -";
    case ExprKind::kBinary: {
      const auto& b = e.As<BinaryExpr>();
      std::string op = "operator " + std::string(BinaryOpString(b.op));
      if (b.return_bool) op += " bool";
      if (b.matching && (b.matching->card == VectorMatchCardinality::kManyToOne ||
                         b.matching->card == VectorMatchCardinality::kOneToMany)) {
        op += " group_x";
      }
      return op;
    }
    case ExprKind::kAggregate:
      return std::string(AggregateOpString(e.As<AggregateExpr>().op));
    case ExprKind::kCall:
      return std::string(e.As<Call>().func->name) + "()";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// Running one script.

// The checks an eval goes through, as counted in the report.
constexpr std::string_view kCatParse = "parse";           // Our parser rejects the query.
constexpr std::string_view kCatInstant = "instant";       // The instant query itself.
constexpr std::string_view kCatRangeMode = "range-mode";  // Same query, range t-1m..t+1m.
constexpr std::string_view kCatAt = "at-modifier";        // The `@ t` variants (instant+range).
constexpr std::string_view kCatRangeEval = "range-eval";  // `eval range`.

struct EvalResult {
  // (category, its first failure message), in the order the checks ran.
  std::vector<std::pair<std::string, std::string>> failures;
  void Add(std::string_view category, std::string message) {
    for (const auto& f : failures) {
      if (f.first == category) return;
    }
    while (!message.empty() && message.back() == '\n') message.pop_back();
    failures.emplace_back(std::string(category), std::move(message));
  }
};

struct FileReport {
  std::string file;
  std::string skipped;            // Whole-file exclusion reason.
  std::string error;              // The script does not parse.
  uint64_t rejected_samples = 0;  // Samples a load could not store.
  int evals = 0;
  int passed = 0;
  int failed = 0;
  int excluded = 0;
  std::map<std::string, int> by_category;
  std::map<std::string, int> by_op;
};

class ScriptRunner {
 public:
  // `tiered`: each load is split by time between a warm store (the older half, plus one
  // range of overlap) and the head; every warm partition but the newest then moves to a cold
  // store (blocks in an in-memory object store). Evals read all three through a MergeQuerier,
  // so every answer must equal the all-in-head one.
  ScriptRunner(std::string file, const Exclusions& exclusions, bool tiered = false)
      : file_(std::move(file)), exclusions_(exclusions), engine_(Options()), tiered_(tiered) {}

  static EngineOptions Options() {
    EngineOptions o;
    o.lookback_delta_ms = 5 * kMinuteMs;
    o.default_subquery_step_ms = kMinuteMs;
    if (kUseUpstreamMaxSamples) o.max_samples = 10'000;
    o.enable_experimental_functions = true;
    return o;
  }

  // Runs every command; reports failures through GoogleTest and returns the counts.
  FileReport Run(const Script& script) {
    // Every Head logs its (empty) WAL replay at info; keep the report readable.
    struct LogLevelGuard {
      LogLevel saved = GetLogLevel();
      LogLevelGuard() { SetLogLevel(LogLevel::kWarn); }
      ~LogLevelGuard() { SetLogLevel(saved); }
      LogLevelGuard(const LogLevelGuard&) = delete;
      LogLevelGuard& operator=(const LogLevelGuard&) = delete;
      LogLevelGuard(LogLevelGuard&&) = delete;
      LogLevelGuard& operator=(LogLevelGuard&&) = delete;
    } quiet;
    report_.file = file_;
    if (!ResetStorage(0)) return report_;
    std::set<int> eval_lines;
    for (const Command& cmd : script.commands) {
      if (const auto* load = std::get_if<LoadCmd>(&cmd)) {
        Load(*load);
      } else if (const auto* clear = std::get_if<ClearCmd>(&cmd)) {
        if (!ResetStorage(clear->line)) return report_;
      } else {
        const auto& ev = std::get<EvalCmd>(cmd);
        eval_lines.insert(ev.line);
        RunEval(ev);
      }
    }
    for (const auto& [key, reason] : exclusions_.evals) {
      if (key.first == file_ && !eval_lines.contains(key.second)) {
        ADD_FAILURE() << "conformance_exclusions.txt names " << file_ << ":" << key.second
                      << ", where no eval starts; fix or remove the entry";
      }
    }
    if (report_.failed > kMaxReportedFailures) {
      ADD_FAILURE() << file_ << ": " << report_.failed - kMaxReportedFailures
                    << " more failing evals not shown";
    }
    return report_;
  }

 private:
  bool ResetStorage(int line) {
    if (head_) head_->Close().IgnoreError();  // Test data only; the directory is dropped next.
    merged_.reset();
    warm_.reset();
    head_.reset();
    dir_ = std::make_unique<testutil::TempDir>();
    storage::HeadOptions opts;
    opts.wal.fsync = storage::WalOptions::FsyncPolicy::kNever;
    opts.series_map_stripes = 16;
    auto head = storage::Head::Open(dir_->path(), opts, nullptr);
    if (!head.ok()) {
      ADD_FAILURE() << file_ << ":" << line << ": cannot open a Head in " << dir_->path() << ": "
                    << head.status().ToString();
      return false;
    }
    head_ = std::move(*head);
    if (tiered_) {
      storage::WarmOptions wo;
      wo.partition_ms = kWarmPartitionMs;
      wo.sync = false;
      auto warm = storage::WarmStore::Open(dir_->path() + "/warm", wo, nullptr);
      if (!warm.ok()) {
        ADD_FAILURE() << file_ << ":" << line
                      << ": cannot open a warm store: " << warm.status().ToString();
        return false;
      }
      warm_ = std::move(*warm);
      storage::ColdOptions co;
      co.node_id = "n1";
      auto cold = storage::ColdStore::Open(std::make_unique<testutil::MemObjectStore>(
                                               std::make_shared<testutil::MemObjectStore::State>()),
                                           co, nullptr);
      if (!cold.ok()) {
        ADD_FAILURE() << file_ << ":" << line
                      << ": cannot open a cold store: " << cold.status().ToString();
        return false;
      }
      cold_ = std::move(*cold);
      merged_ = std::make_unique<storage::MergeQuerier>(
          std::vector<const storage::Querier*>{head_.get(), warm_.get(), cold_.get()});
    }
    return true;
  }

  const storage::Querier& Q() const {
    if (merged_) return *merged_;
    return *head_;
  }

  static constexpr int64_t kWarmRangeMs = 10 * kMinuteMs;
  static constexpr int64_t kWarmPartitionMs = 2 * kWarmRangeMs;

  // Tiered mode: writes the samples before `cut` + one range to the warm store, in aligned
  // ranges, and leaves the caller to append the samples from `cut` on to the head.
  void WriteWarm(const std::vector<std::vector<model::LabelView>>& views,
                 const std::vector<std::vector<model::Sample>>& samples, int64_t cut, int line) {
    std::map<int64_t, std::vector<storage::WarmSeriesData>> by_range;
    for (size_t i = 0; i < views.size(); ++i) {
      std::vector<model::Label> pairs;
      for (const auto& v : views[i]) pairs.push_back({std::string(v.name), std::string(v.value)});
      auto labels = model::Labels::FromPairs(std::move(pairs));
      if (!labels.ok()) continue;
      std::map<int64_t, std::vector<model::Sample>> ranges;
      for (const auto& smp : samples[i]) {
        if (smp.timestamp_ms >= cut + kWarmRangeMs) break;
        int64_t r = smp.timestamp_ms >= 0
                        ? smp.timestamp_ms / kWarmRangeMs * kWarmRangeMs
                        : -((-smp.timestamp_ms + kWarmRangeMs - 1) / kWarmRangeMs * kWarmRangeMs);
        ranges[r].push_back(smp);
      }
      for (auto& [r, pts] : ranges) {
        storage::WarmSeriesData d;
        d.labels = *labels;
        for (size_t k = 0; k < pts.size(); k += 120) {
          storage::XorChunk chunk;
          auto app = storage::XorAppender::Open(&chunk);
          storage::WarmChunk wc;
          wc.min_t = pts[k].timestamp_ms;
          for (size_t j = k; j < std::min(pts.size(), k + 120); ++j) {
            (void)app->Append(pts[j].timestamp_ms, pts[j].value);
            wc.max_t = pts[j].timestamp_ms;
          }
          auto b = chunk.bytes();
          wc.bytes.assign(reinterpret_cast<const char*>(b.data()), b.size());
          d.chunks.push_back(std::move(wc));
        }
        by_range[r].push_back(std::move(d));
      }
    }
    for (const auto& [r, data] : by_range) {
      Status s = warm_->WriteRange(r, r + kWarmRangeMs, data);
      if (!s.ok()) ADD_FAILURE() << file_ << ":" << line << ": warm write: " << s.ToString();
    }
    MoveWarmToCold(line);
  }

  // Turns every warm partition but the newest into a cold block, as the compactor's warm ->
  // cold move does, so answers come from the head, the warm tier and the cold tier at once.
  void MoveWarmToCold(int line) {
    auto parts = warm_->Stats().partitions;
    for (size_t p = 0; p + 1 < parts.size(); ++p) {
      const int64_t part = parts[p].start;
      static std::mt19937_64 rng(7);
      storage::block::BlockMeta meta;
      meta.id = storage::block::NewBlockId(1, rng);
      meta.node = "n1";
      meta.source = "warm:" + std::to_string(part);
      const std::string dir = dir_->path() + "/staging-" + meta.id;
      auto fail = [&](const Status& s) {
        ADD_FAILURE() << file_ << ":" << line << ": cold move: " << s.ToString();
      };
      auto built = storage::BuildBlockFromWarmPartition(*warm_, part, meta, dir);
      if (built.ok()) {
        if (Status s = cold_->Upload(dir, *built); !s.ok()) return fail(s);
        ++cold_blocks_;
      } else if (!built.status().IsNotFound()) {
        return fail(built.status());
      }
      auto dropped = warm_->DropPartition(part);
      if (!dropped.ok()) return fail(dropped.status());
    }
  }

  void Load(const LoadCmd& load) {
    std::vector<std::vector<model::LabelView>> views;
    std::vector<std::vector<model::Sample>> samples;
    views.reserve(load.series.size());
    samples.reserve(load.series.size());
    for (const SeriesLine& s : load.series) {
      if (s.labels.empty()) {
        ADD_FAILURE() << file_ << ":" << load.line << ": load of a series without labels";
        continue;
      }
      std::vector<model::Sample> points;
      for (size_t k = 0; k < s.values.size(); ++k) {
        if (s.values[k].omitted) continue;
        points.push_back({static_cast<int64_t>(k) * load.interval_ms, s.values[k].value});
      }
      if (points.empty()) continue;
      std::vector<model::LabelView> lv;
      for (const model::Label& l : s.labels) lv.push_back({l.name, l.value});
      views.push_back(std::move(lv));
      samples.push_back(std::move(points));
    }
    if (tiered_ && !samples.empty()) {
      int64_t lo = INT64_MAX, hi = INT64_MIN;
      for (const auto& pts : samples) {
        lo = std::min(lo, pts.front().timestamp_ms);
        hi = std::max(hi, pts.back().timestamp_ms);
      }
      int64_t mid = lo + (hi - lo) / 2;
      int64_t cut = mid >= 0 ? mid / kWarmRangeMs * kWarmRangeMs : lo;
      WriteWarm(views, samples, cut, load.line);
      for (auto& pts : samples) {
        std::erase_if(pts, [cut](const model::Sample& smp) { return smp.timestamp_ms < cut; });
      }
    }
    std::vector<storage::SeriesInput> batch;
    for (size_t i = 0; i < views.size(); ++i) {
      if (!samples[i].empty()) batch.push_back({views[i], samples[i]});
    }
    storage::AppendResult result;
    Status s = head_->Append(batch, &result);
    if (!s.ok()) {
      ADD_FAILURE() << file_ << ":" << load.line << ": load failed: " << s.ToString();
      return;
    }
    if (result.rejected() > 0) {
      report_.rejected_samples += result.rejected();
      std::string errors;
      for (const std::string& e : result.errors) errors += "\n    " + e;
      ADD_FAILURE() << file_ << ":" << load.line << ": load rejected " << result.rejected()
                    << " samples (out of order: " << result.out_of_order
                    << ", duplicate timestamp: " << result.duplicate_timestamp << ")" << errors;
    }
  }

  // One instant query at `t` and, when enabled, its range-mode twin (upstream runInstantQuery).
  void RunInstantCase(const EvalCmd& ev, const std::string& query, int64_t t,
                      std::string_view instant_cat, std::string_view range_cat,
                      const std::string& where, EvalResult* out) {
    auto res = engine_.InstantQuery(Q(), query, t);
    if (!res.ok()) {
      if (!ev.fail) out->Add(instant_cat, where + "query failed: " + res.status().ToString());
      return;
    }
    if (ev.fail) {
      out->Add(instant_cat,
               where + "expected the query to fail, but it returned " + DescribeValue(*res));
      return;
    }
    if (auto err = CompareResult(ev, *res)) {
      out->Add(instant_cat, where + *err + "\n    expected:\n" + DescribeExpected(ev) + "    got " +
                                DescribeValue(*res));
    }
    if (!kCheckRangeMode) return;
    auto range = engine_.RangeQuery(Q(), query, t - kMinuteMs, t + kMinuteMs, kMinuteMs);
    if (!range.ok()) {
      out->Add(range_cat, where + "range query " + std::to_string(t - kMinuteMs) + ".." +
                              std::to_string(t + kMinuteMs) +
                              " failed: " + range.status().ToString());
      return;
    }
    if (ev.ordered) return;  // Range results are sorted by labels, never ordered.
    const auto* mat = std::get_if<Matrix>(&*range);
    if (mat == nullptr) {
      out->Add(range_cat, where + "range query returned a " + std::string(TypeName(*range)));
      return;
    }
    if (auto err = CheckSorted(*mat)) {
      out->Add(range_cat, where + *err);
      return;
    }
    Vector at_t;
    for (const Series& s : *mat) {
      for (const FPoint& p : s.points) {
        if (p.t == t) {
          at_t.push_back({s.labels, p.t, p.v});
          break;
        }
      }
    }
    QueryValue got;
    if (std::holds_alternative<Scalar>(*res)) {
      if (at_t.empty()) {
        out->Add(range_cat, where + "range query of a scalar has no point at t=" +
                                std::to_string(t) + "; got " + DescribeValue(*range));
        return;
      }
      got = Scalar{t, at_t[0].v};
    } else {
      got = std::move(at_t);
    }
    if (auto err = CompareResult(ev, got)) {
      out->Add(range_cat, where + "range mode (point at t=" + std::to_string(t) + "): " + *err +
                              "\n    expected:\n" + DescribeExpected(ev) + "    got " +
                              DescribeValue(got));
    }
  }

  void RunRangeEval(const EvalCmd& ev, EvalResult* out) {
    auto res = engine_.RangeQuery(Q(), ev.expr, ev.start_ms, ev.end_ms, ev.step_ms);
    if (!res.ok()) {
      if (!ev.fail) out->Add(kCatRangeEval, "query failed: " + res.status().ToString());
      return;
    }
    if (ev.fail) {
      out->Add(kCatRangeEval, "expected the query to fail, but it returned " + DescribeValue(*res));
      return;
    }
    if (auto err = CompareResult(ev, *res)) {
      out->Add(kCatRangeEval, *err + "\n    expected:\n" + DescribeExpected(ev) + "    got " +
                                  DescribeValue(*res));
    }
  }

  void RunEval(const EvalCmd& ev) {
    ++report_.evals;
    EvalResult result;
    ParseOptions popts;
    popts.enable_experimental_functions = true;
    auto parsed = ParseExpr(ev.expr, popts);
    std::string op = "?";
    if (!parsed.ok()) {
      result.Add(kCatParse, "parse error: " + parsed.status().ToString());
    } else {
      op = OutermostOp(**parsed);
      if (ev.is_range) {
        RunRangeEval(ev, &result);
      } else {
        RunInstantCase(ev, ev.expr, ev.start_ms, kCatInstant, kCatRangeMode, "", &result);
        if (kCheckAtModifier) {
          for (const AtCase& c : AtModifierCases(**parsed, ev.start_ms)) {
            std::string where = "`" + c.expr + "` at t=" + std::to_string(c.eval_ms) + "ms: ";
            RunInstantCase(ev, c.expr, c.eval_ms, kCatAt, kCatAt, where, &result);
          }
        }
      }
    }

    auto excluded = exclusions_.evals.find({file_, ev.line});
    if (excluded != exclusions_.evals.end()) {
      ++report_.excluded;
      if (result.failures.empty()) {
        std::cout << "  note: " << file_ << ":" << ev.line
                  << " is excluded but passes; remove it from conformance_exclusions.txt\n";
      }
      return;
    }
    if (result.failures.empty()) {
      ++report_.passed;
      return;
    }
    ++report_.failed;
    ++report_.by_op[op];
    for (const auto& [category, message] : result.failures) ++report_.by_category[category];
    if (report_.failed <= kMaxReportedFailures) {
      std::string text = file_ + ":" + std::to_string(ev.line) + ": " + ev.command;
      for (const auto& [category, message] : result.failures) {
        text.append("\n  [").append(category).append("] ").append(message);
      }
      ADD_FAILURE() << text;
    }
  }

  const std::string file_;
  const Exclusions& exclusions_;
  const Engine engine_;
  std::unique_ptr<testutil::TempDir> dir_;
  std::unique_ptr<storage::Head> head_;
  const bool tiered_;
  std::unique_ptr<storage::WarmStore> warm_;
  std::unique_ptr<storage::ColdStore> cold_;
  std::unique_ptr<storage::MergeQuerier> merged_;

 public:
  int cold_blocks_ = 0;  // Blocks written by MoveWarmToCold.

 private:
  FileReport report_;
};

// ---------------------------------------------------------------------------------------------
// The per-file conformance tests.

std::string FormatReport(const FileReport& r) {
  std::ostringstream out;
  out << r.file << ": ";
  if (!r.skipped.empty()) {
    out << "excluded (" << r.skipped << ")";
    return out.str();
  }
  if (!r.error.empty()) {
    out << "script error: " << r.error;
    return out.str();
  }
  out << r.evals << " evals, " << r.passed << " passed, " << r.failed << " failed, " << r.excluded
      << " excluded";
  if (r.rejected_samples > 0) out << "; loads rejected " << r.rejected_samples << " samples";
  if (!r.by_category.empty()) {
    out << "\n    failing checks:";
    for (const auto& [c, n] : r.by_category) out << " " << c << "=" << n;
  }
  if (!r.by_op.empty()) {
    out << "\n    failing evals by outermost operation:";
    std::vector<std::pair<int, std::string>> ops;
    for (const auto& [op, n] : r.by_op) ops.emplace_back(-n, op);
    std::sort(ops.begin(), ops.end());
    for (const auto& [n, op] : ops) out << " " << op << "=" << -n;
  }
  return out.str();
}

class ConformanceTest : public ::testing::TestWithParam<std::string> {
 public:
  static std::vector<FileReport>& Reports() {
    static std::vector<FileReport> reports;
    return reports;
  }

  static void TearDownTestSuite() {
    if (Reports().empty()) return;
    FileReport total;
    total.file = "total";
    int skipped_files = 0;
    int script_errors = 0;
    std::cout << "\nPromQL conformance summary (range-mode check "
              << (kCheckRangeMode ? "on" : "off") << ", @-modifier check "
              << (kCheckAtModifier ? "on" : "off") << "):\n";
    for (const FileReport& r : Reports()) {
      std::cout << "  " << FormatReport(r) << "\n";
      if (!r.skipped.empty()) ++skipped_files;
      total.evals += r.evals;
      total.passed += r.passed;
      total.failed += r.failed;
      total.excluded += r.excluded;
      total.rejected_samples += r.rejected_samples;
      if (!r.error.empty()) ++script_errors;
      for (const auto& [c, n] : r.by_category) total.by_category[c] += n;
      for (const auto& [op, n] : r.by_op) total.by_op[op] += n;
    }
    std::cout << "  " << FormatReport(total) << "\n";
    if (skipped_files > 0) std::cout << "  (" << skipped_files << " file(s) excluded)\n";
    if (script_errors > 0) std::cout << "  (" << script_errors << " file(s) failed to parse)\n";
    std::cout << std::flush;
    Reports().clear();
  }
};

TEST_P(ConformanceTest, File) {
  const std::string& file = GetParam();
  TestdataLocation loc = FindTestdata();
  if (file.empty() || loc.dir.empty()) GTEST_SKIP() << loc.note;
  if (!loc.note.empty()) std::cout << "note: " << loc.note << "\n";

  Exclusions exclusions = LoadExclusions();
  for (const std::string& e : exclusions.errors) ADD_FAILURE() << e;
  if (auto it = exclusions.files.find(file); it != exclusions.files.end()) {
    FileReport r;
    r.file = file;
    r.skipped = it->second;
    Reports().push_back(r);
    GTEST_SKIP() << file << " is excluded: " << it->second;
  }

  bool ok = false;
  std::string text = ReadWholeFile(loc.dir / file, &ok);
  ASSERT_TRUE(ok) << "cannot read " << (loc.dir / file).string();
  auto script = ParseScript(text);
  if (!script.ok()) {
    FileReport r;
    r.file = file;
    r.error = script.status().message();
    Reports().push_back(r);
    FAIL() << file << ": " << script.status().ToString();
  }

  ScriptRunner runner(file, exclusions);
  FileReport report = runner.Run(*script);
  std::cout << FormatReport(report) << "\n" << std::flush;
  Reports().push_back(report);
}

// The same scripts with every load split between the warm store and the head (see
// ScriptRunner): a query spanning tiers must answer exactly as the data all in the head.
class TieredConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TieredConformanceTest, File) {
  const std::string& file = GetParam();
  TestdataLocation loc = FindTestdata();
  if (file.empty() || loc.dir.empty()) GTEST_SKIP() << loc.note;
  Exclusions exclusions = LoadExclusions();
  if (exclusions.files.contains(file)) GTEST_SKIP() << file << " is excluded";
  bool ok = false;
  std::string text = ReadWholeFile(loc.dir / file, &ok);
  ASSERT_TRUE(ok) << "cannot read " << (loc.dir / file).string();
  auto script = ParseScript(text);
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  ScriptRunner runner(file, exclusions, /*tiered=*/true);
  FileReport report = runner.Run(*script);
  std::cout << "tiered (" << runner.cold_blocks_ << " cold blocks): " << FormatReport(report)
            << "\n"
            << std::flush;
  EXPECT_EQ(report.failed, 0);
}

std::string ScriptTestName(const ::testing::TestParamInfo<std::string>& info) {
  if (info.param.empty()) return "NoTestdata";
  std::string name = std::filesystem::path(info.param).stem().string();
  for (char& c : name) {
    if (!internal::IsAlnum(c)) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(PromqlConformance, ConformanceTest, ::testing::ValuesIn(ListScriptFiles()),
                         ScriptTestName);
INSTANTIATE_TEST_SUITE_P(PromqlConformanceTiered, TieredConformanceTest,
                         ::testing::ValuesIn(ListScriptFiles()), ScriptTestName);

// ---------------------------------------------------------------------------------------------
// The script parser.

std::vector<SequenceValue> Expand(std::string_view items) {
  auto line = ParseSeriesLine("m " + std::string(items));
  EXPECT_TRUE(line.ok()) << items << ": " << line.status().ToString();
  return line.ok() ? line->values : std::vector<SequenceValue>{};
}

std::string ExpandToString(std::string_view items) { return FormatSequence(Expand(items)); }

model::Labels L(std::vector<model::Label> pairs) {
  auto l = model::Labels::FromPairs(std::move(pairs));
  EXPECT_TRUE(l.ok());
  return l.ok() ? *l : model::Labels();
}

TEST(PromqlScriptTest, AlmostEqualFollowsPrometheus) {
  EXPECT_TRUE(AlmostEqual(0, 0));
  EXPECT_TRUE(AlmostEqual(1, 1 + 1e-7));
  EXPECT_FALSE(AlmostEqual(1, 1 + 1e-5));
  EXPECT_TRUE(AlmostEqual(1e10, 1e10 + 1));
  EXPECT_FALSE(AlmostEqual(0, 1e-300));  // Zero: absolute and tiny.
  EXPECT_TRUE(AlmostEqual(0, 5e-324));   // Below epsilon * minNormal.
  EXPECT_TRUE(AlmostEqual(NAN, NAN));
  EXPECT_TRUE(AlmostEqual(model::StaleNaN(), NAN));
  EXPECT_FALSE(AlmostEqual(NAN, 1));
  EXPECT_TRUE(AlmostEqual(INFINITY, INFINITY));
  EXPECT_FALSE(AlmostEqual(INFINITY, -INFINITY));
  EXPECT_FALSE(AlmostEqual(INFINITY, std::numeric_limits<double>::max()));
  EXPECT_FALSE(AlmostEqual(-1, 1));
}

TEST(PromqlScriptTest, ParsesNumbersLikeGo) {
  EXPECT_EQ(ParseGoNumber("2"), 2);
  EXPECT_EQ(ParseGoNumber("-2.5"), -2.5);
  EXPECT_EQ(ParseGoNumber("0.00001234"), 0.00001234);
  EXPECT_EQ(ParseGoNumber("12.34e-6"), 12.34e-6);
  EXPECT_EQ(ParseGoNumber("1e3"), 1000);
  EXPECT_EQ(ParseGoNumber(".5"), 0.5);
  EXPECT_EQ(ParseGoNumber("2."), 2);
  EXPECT_EQ(ParseGoNumber("010"), 8);  // strconv.ParseInt(s, 0, 64) first, as upstream.
  EXPECT_EQ(ParseGoNumber("089"), 89);
  EXPECT_EQ(ParseGoNumber("0x10"), 16);
  EXPECT_EQ(ParseGoNumber("+Inf"), INFINITY);
  EXPECT_EQ(ParseGoNumber("-inf"), -INFINITY);
  EXPECT_TRUE(std::isnan(*ParseGoNumber("NaN")));
  EXPECT_TRUE(std::isnan(*ParseGoNumber("nan")));
  EXPECT_FALSE(ParseGoNumber("{} 1"));
  EXPECT_FALSE(ParseGoNumber("1 2"));
  EXPECT_FALSE(ParseGoNumber("metric"));
  EXPECT_FALSE(ParseGoNumber(""));
  EXPECT_FALSE(ParseGoNumber("-"));
}

TEST(PromqlScriptTest, ExpandsValueSequences) {
  EXPECT_EQ(ExpandToString("1 2 3"), "1 2 3");
  EXPECT_EQ(ExpandToString("0+10x10"), "0 10 20 30 40 50 60 70 80 90 100");  // N+1 values.
  EXPECT_EQ(ExpandToString("5-1x3"), "5 4 3 2");
  EXPECT_EQ(ExpandToString("1-2x3"), "1 -1 -3 -5");
  EXPECT_EQ(ExpandToString("-1+1x2"), "-1 0 1");
  EXPECT_EQ(ExpandToString("2x3"), "2 2 2 2");
  EXPECT_EQ(ExpandToString("1 _x3 stale 5+5x2"), "1 _ _ _ stale 5 10 15");  // README example.
  EXPECT_EQ(ExpandToString("_"), "_");
  EXPECT_EQ(ExpandToString("_x0"), "");
  EXPECT_EQ(ExpandToString("-5 +3 .5 1e3 12.34e-6"), "-5 3 0.5 1000 1.234e-05");
  EXPECT_EQ(ExpandToString("Inf -Inf +inf NaN"), "+Inf -Inf +Inf NaN");
  EXPECT_EQ(ExpandToString("1e3x1"), "1000 1000");
  EXPECT_EQ(ExpandToString("0x5"), "0 0 0 0 0 0");  // Never hex: `x` repeats.
  EXPECT_EQ(ExpandToString("  1   2\t3  "), "1 2 3");
  // Repeated addition, exactly as upstream (not a + k*b).
  std::vector<SequenceValue> v = Expand("0.1+0.1x2");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[2].value, 0.1 + 0.1 + 0.1);
  EXPECT_TRUE(model::IsStaleNaN(Expand("stale")[0].value));
  EXPECT_FALSE(model::IsStaleNaN(Expand("NaN")[0].value));
  EXPECT_TRUE(Expand("").empty());

  for (std::string_view bad : {"1+2", "x3", "1x", "Infx3", "abc", "1.5x2.5", "1x-2", "-stale",
                               "1+stalex2", "1.2.3", "2a", "1+2x3x4", "_x", "__", "{{}}"}) {
    EXPECT_FALSE(ParseSeriesLine("m " + std::string(bad)).ok()) << bad;
  }
}

TEST(PromqlScriptTest, ParsesSeriesLabels) {
  auto a = ParseSeriesLine(R"(http_requests{job="api", instance='0',group=`prod`} 1)");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(
      a->labels,
      L({{"__name__", "http_requests"}, {"group", "prod"}, {"instance", "0"}, {"job", "api"}}));

  auto b = ParseSeriesLine(R"({__name__="x", l="v"} 1)");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->labels, L({{"__name__", "x"}, {"l", "v"}}));

  auto c = ParseSeriesLine("node_namespace_pod:kube_pod_info:{a=\"1\",} 1");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->labels, L({{"__name__", "node_namespace_pod:kube_pod_info:"}, {"a", "1"}}));

  auto d = ParseSeriesLine(R"({a="x\"y\\z\n\u00e9\x41\101", b='it\'s'} 1)");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->labels.Get("a"),
            "x\"y\\z\n\xC3\xA9"
            "AA");
  EXPECT_EQ(d->labels.Get("b"), "it's");

  auto e = ParseSeriesLine("{} 1");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->labels.empty());

  auto f = ParseSeriesLine(R"(m{__name__="other", a=""} 1)");  // The name before wins.
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->labels, L({{"__name__", "m"}}));

  auto g = ParseSeriesLine("metric");
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->values.empty());

  auto h = ParseSeriesLine("{ a = \"b\" , c=\"d\" }\t1 2");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->labels, L({{"a", "b"}, {"c", "d"}}));
  EXPECT_EQ(FormatSequence(h->values), "1 2");

  for (std::string_view bad : {R"(m{a="b"}1)", R"(m{a="b")", R"(m{a="b} 1)", R"(m{a=b} 1)",
                               R"(m{a="1",a="2"} 1)", R"(m {a="b"} 1)", R"(m{1a="b"} 1)",
                               R"(m{a="\q"} 1)", "1 2", "NaN 1", "m-1", R"(m{a:b="c"} 1)"}) {
    EXPECT_FALSE(ParseSeriesLine(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseSeriesLine("m {{schema:0}}").status().code(), StatusCode::kNotSupported);
}

TEST(PromqlScriptTest, ParsesScripts) {
  auto script = ParseScript(R"(# comment
load 5m
    http_requests{job="a"} 0+10x10
    http_requests{job="b"} 1
    http_requests{job="a"} 7

  Clear
load 1m30s
  x 1

eval instant at 50m sum(http_requests)
  {} 107

eval_ordered instant at 1h30m sort(x)
  x{} 1
  {__name__="x", a="b"} 2

eval_fail instant at 0 x
  {} 1

eval instant at 10s 1 + 1
  2

eval range from 0 to 10m step 5m x
  x 1 _ 3

eval instant at 1ms x
)");
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  const auto& cmds = script->commands;
  ASSERT_EQ(cmds.size(), 9u);

  const auto& load = std::get<LoadCmd>(cmds[0]);
  EXPECT_EQ(load.line, 2);
  EXPECT_EQ(load.interval_ms, 5 * kMinuteMs);
  ASSERT_EQ(load.series.size(), 2u);  // The later job="a" line replaced the first.
  EXPECT_EQ(load.series[0].labels, L({{"__name__", "http_requests"}, {"job", "a"}}));
  EXPECT_EQ(FormatSequence(load.series[0].values), "7");

  EXPECT_EQ(std::get<ClearCmd>(cmds[1]).line, 7);
  EXPECT_EQ(std::get<LoadCmd>(cmds[2]).interval_ms, 90'000);

  const auto& e1 = std::get<EvalCmd>(cmds[3]);
  EXPECT_EQ(e1.line, 11);
  EXPECT_EQ(e1.expr, "sum(http_requests)");
  EXPECT_EQ(e1.start_ms, 50 * kMinuteMs);
  EXPECT_FALSE(e1.fail || e1.ordered || e1.is_range);
  ASSERT_EQ(e1.expected.size(), 1u);
  EXPECT_TRUE(e1.expected[0].labels.empty());
  EXPECT_EQ(e1.expected[0].values[0].value, 107);

  const auto& e2 = std::get<EvalCmd>(cmds[4]);
  EXPECT_TRUE(e2.ordered);
  EXPECT_EQ(e2.start_ms, 90 * kMinuteMs);
  ASSERT_EQ(e2.expected.size(), 2u);
  EXPECT_EQ(e2.expected[1].labels, L({{"__name__", "x"}, {"a", "b"}}));
  EXPECT_EQ(e2.expected[1].pos, 2);

  const auto& e3 = std::get<EvalCmd>(cmds[5]);
  EXPECT_TRUE(e3.fail);
  EXPECT_EQ(e3.start_ms, 0);

  const auto& e4 = std::get<EvalCmd>(cmds[6]);
  EXPECT_EQ(e4.expr, "1 + 1");
  EXPECT_EQ(e4.expected_scalar, 2);
  EXPECT_TRUE(e4.expected.empty());

  const auto& e5 = std::get<EvalCmd>(cmds[7]);
  EXPECT_TRUE(e5.is_range);
  EXPECT_EQ(e5.end_ms, 10 * kMinuteMs);
  EXPECT_EQ(e5.step_ms, 5 * kMinuteMs);
  EXPECT_EQ(FormatSequence(e5.expected[0].values), "1 _ 3");

  const auto& e6 = std::get<EvalCmd>(cmds[8]);
  EXPECT_EQ(e6.start_ms, 1);
  EXPECT_TRUE(e6.expected.empty());
  EXPECT_FALSE(e6.expected_scalar);
}

TEST(PromqlScriptTest, CommentsAndBlankLinesEndBlocks) {
  auto script = ParseScript("load 1m\n  a 1\n# c\n  b 2\n\neval instant at 0 a\n  a 1\n\n");
  // `b 2` after the comment is no longer in the load block: an invalid command.
  ASSERT_FALSE(script.ok());
  EXPECT_EQ(script.status().message().rfind("line 4:", 0), 0u) << script.status().ToString();
}

TEST(PromqlScriptTest, ScalarLineEndsExpectations) {
  // As upstream, a number ends the expectation list; a following line is a new command.
  auto script = ParseScript("eval instant at 0 1\n  1\n  {} 2\n");
  ASSERT_FALSE(script.ok());
  EXPECT_EQ(script.status().message().rfind("line 3:", 0), 0u);
}

TEST(PromqlScriptTest, ReportsErrorsWithLineNumbers) {
  struct Case {
    std::string_view script;
    std::string_view line;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"load\n", "line 1:"},
           {"load 5x\n", "line 1:"},
           {"LOAD 5m\n", "line 1:"},  // The command regex is case-sensitive past the word.
           {"\nfoo bar\n", "line 2:"},
           {"eval instant 5m x\n", "line 1:"},
           {"eval instant at x y\n", "line 1:"},
           {"eval instant at 5m\n", "line 1:"},
           {"EVAL instant at 5m x\n", "line 1:"},
           {"eval_ordered range from 0 to 1m step 1m x\n", "line 1:"},
           {"eval range from 5m to 1m step 1m x\n", "line 1:"},
           {"eval instant at 5m x\n  x 1 2\n", "line 2:"},
           {"eval instant at 5m x\n  {}\n", "line 2:"},
           {"load 1m\n  m{a=\"b\" 1\n", "line 2:"},
           {"load 1m\n  m 1 {{schema:1}}\n", "line 2:"},
       }) {
    auto script = ParseScript(c.script);
    ASSERT_FALSE(script.ok()) << c.script;
    EXPECT_EQ(script.status().message().rfind(c.line, 0), 0u)
        << c.script << " -> " << script.status().ToString();
  }
  EXPECT_TRUE(ParseScript("").ok());
  EXPECT_TRUE(ParseScript("Clear extra words\n").ok());
}

TEST(PromqlScriptTest, ParsesAllShippedScripts) {
  TestdataLocation loc = FindTestdata();
  if (loc.dir.empty()) GTEST_SKIP() << loc.note;
  Exclusions exclusions = LoadExclusions();
  for (const std::string& file : ListScriptFiles()) {
    if (file.empty() || exclusions.files.contains(file)) continue;
    bool ok = false;
    std::string text = ReadWholeFile(loc.dir / file, &ok);
    ASSERT_TRUE(ok) << file;
    auto script = ParseScript(text);
    EXPECT_TRUE(script.ok()) << file << ": " << script.status().ToString();
  }
}

// ---------------------------------------------------------------------------------------------
// The runner's own pieces.

ExprPtr MustParse(std::string_view q) {
  auto e = ParseExpr(q);
  EXPECT_TRUE(e.ok()) << q << ": " << e.status().ToString();
  return e.ok() ? std::move(*e) : nullptr;
}

TEST(PromqlConformanceRunnerTest, AddsAtModifiersLikeUpstream) {
  struct Case {
    std::string_view in;
    std::string_view want;  // "" when the expression is @-unsafe.
  };
  for (const Case& c : std::initializer_list<Case>{
           {"foo", "foo @ 3000"},
           {"rate(foo[5m])", "rate(foo[5m] @ 3000)"},
           {"foo @ 100 + bar offset 1m", "foo @ 100 + bar @ 3000 offset 1m"},
           {"sum by (a) (foo) / on (a) bar", "sum by (a) (foo @ 3000) / on (a) bar @ 3000"},
           {"max_over_time(rate(foo[1m])[5m:1m])", "max_over_time(rate(foo[1m])[5m:1m] @ 3000)"},
           {"max_over_time(rate(foo[1m] @ 5)[5m:] @ 10)",
            "max_over_time(rate(foo[1m] @ 5)[5m:] @ 10)"},
           {"topk(2, -foo)", "topk(2, -foo @ 3000)"},
           {"1 + 2", "1 + 2"},
           {"time()", ""},
           {"timestamp(foo)", ""},
           {"sum(predict_linear(foo[5m], 60))", ""},
           // Calls inside an @ subquery are not visited upstream, so this one is "safe".
           {"max_over_time(vector(time())[5m:1m])", "max_over_time(vector(time())[5m:1m] @ 3000)"},
       }) {
    ExprPtr in = MustParse(c.in);
    ASSERT_NE(in, nullptr);
    std::vector<AtCase> cases = AtModifierCases(*in, 3'000'000);
    if (c.want.empty()) {
      EXPECT_TRUE(cases.empty()) << c.in;
      continue;
    }
    ASSERT_EQ(cases.size(), 5u) << c.in;
    EXPECT_EQ(cases[0].eval_ms, -30'000'000);
    EXPECT_EQ(cases[2].eval_ms, 600'000);
    ExprPtr got = MustParse(cases[0].expr);
    ExprPtr want = MustParse(c.want);
    ASSERT_NE(got, nullptr);
    ASSERT_NE(want, nullptr);
    EXPECT_TRUE(ExprEqual(*got, *want)) << c.in << " -> " << cases[0].expr;
  }
  ExprPtr zero = MustParse("foo");
  std::vector<AtCase> at_zero = AtModifierCases(*zero, 0);
  ASSERT_EQ(at_zero.size(), 3u);
  EXPECT_EQ(at_zero[0].eval_ms, -1000);
  EXPECT_EQ(at_zero[2].eval_ms, 1000);
}

TEST(PromqlConformanceRunnerTest, ComparesResultsLikeUpstream) {
  auto script = ParseScript(
      "eval instant at 0 x\n  x{a=\"1\"} 1\n  x{a=\"2\"} 2\n\n"
      "eval_ordered instant at 0 x\n  x{a=\"1\"} 1\n  x{a=\"2\"} 2\n\n"
      "eval instant at 0 1\n  1\n\n"
      "eval instant at 0 x\n");
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  const auto& unordered = std::get<EvalCmd>(script->commands[0]);
  const auto& ordered = std::get<EvalCmd>(script->commands[1]);
  const auto& scalar = std::get<EvalCmd>(script->commands[2]);
  const auto& empty = std::get<EvalCmd>(script->commands[3]);
  model::Labels l1 = L({{"__name__", "x"}, {"a", "1"}});
  model::Labels l2 = L({{"__name__", "x"}, {"a", "2"}});

  QueryValue reversed = Vector{{l2, 0, 2.0000001}, {l1, 0, 1}};
  EXPECT_FALSE(CompareResult(unordered, reversed));
  EXPECT_TRUE(CompareResult(ordered, reversed));
  EXPECT_FALSE(CompareResult(ordered, Vector{{l1, 0, 1}, {l2, 0, 2}}));
  EXPECT_TRUE(CompareResult(unordered, Vector{{l1, 0, 1}, {l2, 0, 2.1}}));
  EXPECT_TRUE(CompareResult(unordered, Vector{{l1, 0, 1}}));
  EXPECT_TRUE(CompareResult(unordered, Vector{{l1, 0, 1}, {l2, 0, 2}, {l1, 0, 1}}));
  EXPECT_TRUE(CompareResult(unordered, Scalar{0, 1}));

  EXPECT_FALSE(CompareResult(scalar, Scalar{0, 1}));
  EXPECT_TRUE(CompareResult(scalar, Scalar{0, 2}));
  EXPECT_TRUE(CompareResult(scalar, Vector{}));
  EXPECT_TRUE(CompareResult(scalar, Vector{{model::Labels(), 0, 1}}));

  EXPECT_FALSE(CompareResult(empty, Vector{}));
  EXPECT_TRUE(CompareResult(empty, Scalar{0, 1}));  // A scalar never matches "no lines".
  EXPECT_FALSE(CompareResult(empty, Matrix{}));

  // Matrices must be sorted by labels.
  EXPECT_TRUE(CompareResult(unordered, Matrix{{l2, {{0, 2}}}, {l1, {{0, 1}}}}));
  EXPECT_FALSE(CompareResult(unordered, Matrix{{l1, {{0, 1}}}, {l2, {{0, 2}}}}));
}

}  // namespace
}  // namespace strata::query::promqltest
