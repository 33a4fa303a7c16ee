#include "rules/manager.h"

#include <atomic>
#include <chrono>
#include <map>
#include <set>

#include "base/log.h"

namespace strata::rules {

// A group and the thread evaluating it. The group is touched only by that thread once started,
// and by Reload after the thread has stopped.
struct RuleManager::Runner {
  std::shared_ptr<RuleGroup> group;
  std::thread thread;
  std::atomic<bool> finished{false};  // The thread has returned (set last).
  Mutex mu;
  CondVar cv;
  bool stop STRATA_GUARDED_BY(mu) = false;

  // Sleeps until the wall clock reaches `until_ms` or Stop. False when stopped.
  bool SleepUntil(const Clock& clock, int64_t until_ms) {
    MutexLock lock(&mu);
    while (!stop) {
      const int64_t now = clock.NowMillis();
      if (now >= until_ms) return true;
      cv.WaitFor(&mu, std::chrono::milliseconds(std::min<int64_t>(until_ms - now, 1000)));
    }
    return false;
  }
  void RequestStop() {
    {
      MutexLock lock(&mu);
      stop = true;
    }
    cv.SignalAll();
  }
  void Join() {
    RequestStop();
    if (thread.joinable()) thread.join();
  }
};

RuleManager::RuleManager(const storage::Querier* querier, const query::Engine* engine,
                         SampleSink* sink, NotifyFunc notify, prometheus::Registry* registry,
                         ManagerOptions options)
    : querier_(querier),
      engine_(engine),
      sink_(sink),
      notify_(std::move(notify)),
      metrics_(registry ? std::make_unique<RuleMetrics>(registry) : nullptr),
      options_(std::move(options)) {}

RuleManager::~RuleManager() { Stop(); }

void RuleManager::Run(Runner* runner) {
  RuleGroup& g = *runner->group;
  const Clock& clock = *options_.group.clock;
  const int64_t interval = g.interval_ms();
  int64_t eval_ts = g.EvalTimestamp(clock.NowMillis()) + interval;
  auto iterate = [&] { g.Eval(*querier_, *engine_, eval_ts, sink_, notify_); };
  auto sleep_until = [&](int64_t until) {
    if (options_.on_wait) options_.on_wait(g.Key(), until);
    return runner->SleepUntil(clock, until);
  };
  auto next = [&]() -> bool {
    // The next tick: one interval on, or, after an overrun, the first slot still ahead (a
    // ticker drops the ticks it missed).
    int64_t tick = eval_ts + interval;
    if (const int64_t now = clock.NowMillis(); now > tick) {
      tick = eval_ts + ((now - eval_ts) / interval + 1) * interval;
    }
    if (!sleep_until(tick)) return false;
    const int64_t missed = (clock.NowMillis() - eval_ts) / interval - 1;
    if (missed > 0 && g.metrics().missed) {
      g.metrics().missed->Increment(static_cast<double>(missed));
      if (g.metrics().iterations) g.metrics().iterations->Increment(static_cast<double>(missed));
    }
    eval_ts += (std::max<int64_t>(missed, 0) + 1) * interval;
    return true;
  };
  if (!sleep_until(eval_ts)) return;
  iterate();
  if (g.should_restore()) {
    // The first evaluation may run before recording rules have caught up; restore after the
    // second, as Prometheus does.
    if (!next()) return;
    iterate();
    g.RestoreForState(*querier_, clock.NowMillis());
  }
  while (next()) iterate();
}

Status RuleManager::Reload() {
  MutexLock reload_lock(&reload_mu_);
  if (stopped_) return Status::FailedPrecondition("the rule manager is stopped");
  auto fail = [&](const Status& s) {
    if (metrics_) metrics_->reload_ok.Set(0);
    STRATA_LOG(kError, "rules") << "loading rule files failed; keeping the previous rules"
                                << LogKV("error", s.message());
    return s;
  };
  auto paths = ExpandRuleFileGlobs(options_.files);
  if (!paths.ok()) return fail(paths.status());
  auto set = LoadRuleFiles(*paths);
  if (!set.ok()) return fail(set.status());

  std::vector<std::shared_ptr<Runner>> old;
  {
    MutexLock lock(&mu_);
    old = runners_;
  }
  std::map<std::string, std::shared_ptr<Runner>> old_by_key;
  for (const auto& r : old) old_by_key[r->group->Key()] = r;

  const bool restore = !restored_;
  std::vector<std::shared_ptr<Runner>> next;
  std::vector<std::shared_ptr<Runner>> to_start;
  std::set<std::string> kept_keys;
  for (GroupSpec& spec : set->groups) {
    const std::string key = spec.file + ";" + spec.name;
    auto it = old_by_key.find(key);
    if (it != old_by_key.end() && it->second->group->SameDefinition(spec, options_.group)) {
      next.push_back(it->second);
      kept_keys.insert(key);
      old_by_key.erase(it);
      continue;
    }
    GroupMetrics gm;
    if (it != old_by_key.end()) {
      gm = it->second->group->metrics();  // Same key: the same metric children.
    } else if (metrics_) {
      gm = metrics_->AddGroup(key);
    }
    auto runner = std::make_shared<Runner>();
    runner->group =
        std::make_shared<RuleGroup>(std::move(spec), options_.group, restore, gm, metrics_.get());
    if (it != old_by_key.end()) {
      it->second->Join();
      runner->group->CopyStateFrom(*it->second->group);
      kept_keys.insert(key);
      old_by_key.erase(it);
    }
    next.push_back(runner);
    to_start.push_back(runner);
  }
  // Removed groups: stop, drop their metrics, and mark their series stale as of now, but only
  // two intervals later (as Prometheus does): a group renamed or moved to another file has
  // written newer samples by then, so the storage refuses the markers and its series have no
  // gap. A Stop() before then writes none.
  std::erase_if(stalers_, [](const std::shared_ptr<Runner>& r) {
    if (!r->finished.load()) return false;
    r->Join();
    return true;
  });
  for (auto& [key, runner] : old_by_key) {
    runner->Join();
    if (metrics_ && !kept_keys.contains(key)) metrics_->RemoveGroup(runner->group->metrics());
    auto staler = std::make_shared<Runner>();
    staler->group = runner->group;
    const int64_t now = options_.group.clock->NowMillis();
    Runner* raw = staler.get();
    staler->thread = std::thread([this, raw, now] {
      if (raw->SleepUntil(*options_.group.clock, now + 2 * raw->group->interval_ms())) {
        raw->group->MarkAllStale(now, sink_);
      }
      raw->finished.store(true);
    });
    stalers_.push_back(std::move(staler));
  }
  {
    MutexLock lock(&mu_);
    runners_ = next;
  }
  for (auto& r : to_start) {
    Runner* raw = r.get();
    r->thread = std::thread([this, raw] { Run(raw); });
  }
  restored_ = true;
  if (metrics_) {
    metrics_->reload_ok.Set(1);
    metrics_->reload_time.Set(static_cast<double>(options_.group.clock->NowMillis()) / 1000.0);
  }
  STRATA_LOG(kInfo, "rules") << "rule files loaded" << LogKV("files", paths->size())
                             << LogKV("groups", next.size()) << LogKV("restarted", to_start.size());
  return Status::Ok();
}

void RuleManager::Stop() {
  MutexLock reload_lock(&reload_mu_);
  stopped_ = true;
  std::vector<std::shared_ptr<Runner>> runners;
  {
    MutexLock lock(&mu_);
    runners = runners_;
  }
  for (auto& r : runners) r->RequestStop();
  for (auto& r : runners) r->Join();
  for (auto& r : stalers_) r->Join();
  stalers_.clear();
}

std::vector<GroupSnapshot> RuleManager::Groups() const {
  std::vector<std::shared_ptr<Runner>> runners;
  {
    MutexLock lock(&mu_);
    runners = runners_;
  }
  std::vector<GroupSnapshot> out;
  out.reserve(runners.size());
  for (const auto& r : runners) out.push_back(r->group->Snapshot());
  return out;
}

}  // namespace strata::rules
