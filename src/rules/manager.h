// RuleManager: loads the --rules.file patterns, runs each group on a thread of its own on
// Prometheus' schedule, reloads on request (SIGHUP, POST /-/reload) and answers the API's
// snapshots.
//
// Schedule of a group (as Prometheus' Group.run): the first evaluation is at the first aligned
// time after the group starts (RuleGroup::EvalTimestamp + interval); then one per interval.
// When an evaluation overran and whole intervals passed, those iterations are counted as missed
// (prometheus_rule_group_iterations_missed_total) and skipped. On the first load after start-up,
// alerting rules restore their `for` state after the second evaluation.
//
// Reload: a file that fails to load keeps every old group running, logs each problem and sets
// strata_rules_config_last_reload_successful to 0. Otherwise groups whose definition is
// unchanged keep running untouched; changed groups are restarted with the old group's alerts
// and series (CopyStateFrom); removed groups get stale markers for their series, timestamped at
// the reload and written two intervals later (a renamed group's newer samples win).
//
// Thread-safe: Reload, Groups and Stop may be called from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/status.h"
#include "query/engine.h"
#include "rules/rule_group.h"
#include "rules/rule_metrics.h"
#include "rules/sample_sink.h"
#include "storage/querier.h"

namespace strata::rules {

struct ManagerOptions {
  // --rules.file patterns (globs). Default: none.
  std::vector<std::string> files;
  // Defaults of every group: interval, resend delay, outage tolerance, grace period, external
  // labels and URL.
  GroupOptions group;
  // Called by a group's thread each time it starts waiting for its next evaluation time
  // (`until_ms` on group.clock), e.g. so a test with a ManualClock knows when to advance it.
  // Default: none.
  std::function<void(const std::string& group_key, int64_t until_ms)> on_wait;
};

class RuleManager {
 public:
  // Borrows everything; all must outlive the manager. `notify` may be empty (no notifier);
  // `registry` may be null.
  RuleManager(const storage::Querier* querier, const query::Engine* engine, SampleSink* sink,
              NotifyFunc notify, prometheus::Registry* registry, ManagerOptions options);
  ~RuleManager();
  RuleManager(const RuleManager&) = delete;
  RuleManager& operator=(const RuleManager&) = delete;

  // (Re)loads the configured files and applies them (see the file comment). InvalidArgument
  // with every problem (file:line messages, one per line) when a file is bad; the old groups
  // keep running then.
  Status Reload();

  // Stops every group (no stale markers, as on Prometheus' shutdown). Idempotent.
  void Stop();

  // The groups in file order, for the API.
  std::vector<GroupSnapshot> Groups() const;

 private:
  struct Runner;
  void Run(Runner* runner);

  const storage::Querier* querier_;
  const query::Engine* engine_;
  SampleSink* sink_;
  NotifyFunc notify_;
  std::unique_ptr<RuleMetrics> metrics_;
  ManagerOptions options_;

  Mutex reload_mu_;                                      // Serializes Reload and Stop.
  bool restored_ STRATA_GUARDED_BY(reload_mu_) = false;  // A load has happened.
  bool stopped_ STRATA_GUARDED_BY(reload_mu_) = false;
  mutable Mutex mu_;
  std::vector<std::shared_ptr<Runner>> runners_ STRATA_GUARDED_BY(mu_);
  // Removed groups waiting two intervals to write their stale markers.
  std::vector<std::shared_ptr<Runner>> stalers_ STRATA_GUARDED_BY(reload_mu_);
};

}  // namespace strata::rules
