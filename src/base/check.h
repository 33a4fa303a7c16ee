// STRATA_CHECK aborts in every build when a programming invariant fails; STRATA_DCHECK only in
// debug builds. Bugs are not errors: bad input must never reach a CHECK.
#pragma once

#include <sstream>
#include <string_view>

namespace strata::internal {

// Collects a message and aborts in its destructor. Used only through STRATA_CHECK.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Swallows the stream expression so that STRATA_CHECK(x) << "..." has type void.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace strata::internal

#define STRATA_CHECK(condition)                 \
  (condition) ? (void)0                         \
              : ::strata::internal::Voidify() & \
                    ::strata::internal::CheckFailure(__FILE__, __LINE__, #condition).stream()

#ifdef NDEBUG
#define STRATA_DCHECK(condition) \
  while (false) STRATA_CHECK(condition)
#else
#define STRATA_DCHECK(condition) STRATA_CHECK(condition)
#endif
