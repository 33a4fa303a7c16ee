// The data directory's format marker, `<data-dir>/FORMAT`: one line "strata-data <version>".
// Version 1: `wal/` (docs/format/wal.md) and `warm/` (docs/format/warm.md). A directory with
// no marker is from the first release (WAL only) and is migrated by writing the marker. Layout:
// docs/format/data_dir.md. Stateless; call with the directory lock held.
#pragma once

#include <string>

#include "base/status.h"

namespace strata::storage {

inline constexpr int kDataDirFormatVersion = 1;

// Checks the marker and writes it when missing (new or WAL-only directory). Returns
// FailedPrecondition for a newer or unknown version (naming it and the directory),
// Corruption for an unreadable marker, IOError on write failure. `migrated` (may be null) is
// set when a marker was written to a directory that already held data.
Status PrepareDataDir(const std::string& dir, bool* migrated);

}  // namespace strata::storage
