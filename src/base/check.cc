#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace strata::internal {

CheckFailure::CheckFailure(const char* file, int line, const char* condition) {
  stream_ << "level=fatal component=check msg=\"check failed: " << condition << "\" file=" << file
          << ":" << line << " detail=\"";
}

CheckFailure::~CheckFailure() {
  stream_ << "\"\n";
  std::fputs(stream_.str().c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace strata::internal
