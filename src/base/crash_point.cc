// CrashPoint: parses STRATA_CRASH_AT once and kills the process at armed points.
#include "base/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "base/log.h"

namespace strata {
namespace {

const std::vector<std::string>& ArmedPoints() {
  static const std::vector<std::string> points = [] {
    std::vector<std::string> out;
    // Read once at start-up, before worker threads run; getenv is then safe.
    const char* env = std::getenv("STRATA_CRASH_AT");  // NOLINT(concurrency-mt-unsafe)
    if (env == nullptr) return out;
    std::string all(env);
    size_t start = 0;
    while (start <= all.size()) {
      size_t comma = all.find(',', start);
      if (comma == std::string::npos) comma = all.size();
      if (comma > start) out.push_back(all.substr(start, comma - start));
      start = comma + 1;
    }
    return out;
  }();
  return points;
}

}  // namespace

void CrashPoint(std::string_view name) {
  const auto& points = ArmedPoints();
  if (points.empty()) return;
  for (const auto& p : points) {
    if (p == name) {
      STRATA_LOG(kWarn, "crash") << "crash point reached, killing the process"
                                 << LogKV("point", std::string(name));
      ::kill(::getpid(), SIGKILL);
      ::pause();
    }
  }
}

}  // namespace strata
