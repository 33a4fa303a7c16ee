// Writing a WAL checkpoint: a directory of segments swapped in atomically by rename(2), behind
// Wal::WriteCheckpoint. Layout: docs/format/wal.md, "Checkpoints". Stateless; thread-safe for
// different checkpoint numbers.
#pragma once

#include <span>
#include <string>

#include "base/status.h"

namespace strata::storage::wal {

// See Wal::WriteCheckpoint.
Status WriteCheckpointDir(const std::string& dir, int upto_segment,
                          std::span<const std::string> records);

}  // namespace strata::storage::wal
