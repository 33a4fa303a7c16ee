// The logging facade: four levels, one logfmt line per call, written to stderr under a lock.
//   STRATA_LOG(kWarn, "wal") << "torn tail" << LogKV("segment", 12);
// prints: ts=2026-11-21T08:00:00.000Z level=warn component=wal msg="torn tail" segment=12
// Thread-safe. Never log per sample or per request at info level.
#pragma once

#include <atomic>
#include <sstream>
#include <string>
#include <string_view>

namespace strata {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Lines below this level are dropped. Default: kInfo.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warn" or "error"; returns false for anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);

// A key=value pair appended after the message; values are quoted when needed.
struct LogKV {
  template <typename T>
  LogKV(std::string_view k, const T& v) : key(k) {
    std::ostringstream os;
    os << v;
    value = os.str();
  }
  std::string_view key;
  std::string value;
};

namespace internal {

class LogLine {
 public:
  LogLine(LogLevel level, std::string_view component) : level_(level), component_(component) {}
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  LogLine& operator<<(const LogKV& kv);
  template <typename T>
  LogLine& operator<<(const T& v) {
    msg_ << v;
    return *this;
  }

 private:
  LogLevel level_;
  std::string_view component_;
  std::ostringstream msg_;
  std::string kvs_;
};

// Turns `LogLine(...) << a << b` into a void expression for the ?: in STRATA_LOG.
struct LogVoidify {
  void operator&(const LogLine&) {}
};

}  // namespace internal
}  // namespace strata

// An expression (not an if statement), so it is safe in unbraced if/else.
#define STRATA_LOG(level, component)                    \
  (::strata::LogLevel::level < ::strata::GetLogLevel()) \
      ? (void)0                                         \
      : ::strata::internal::LogVoidify() &              \
            ::strata::internal::LogLine(::strata::LogLevel::level, component)
