// Crash injection for tests of multi-step on-disk changes. STRATA_CRASH_AT (a comma-separated
// list of point names) is read once, at the first CrashPoint() call; an armed point SIGKILLs
// the process when reached, as a power cut or an OOM kill would. Unset: a relaxed load.
// Thread-safe.
#pragma once

#include <string_view>

namespace strata {

// Kills the process with SIGKILL if `name` is armed by STRATA_CRASH_AT.
void CrashPoint(std::string_view name);

}  // namespace strata
