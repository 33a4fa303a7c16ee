// The data directory's format marker, `<data-dir>/FORMAT`: one line "strata-data <version>".
// Version 1: `wal/` (docs/format/wal.md) and `warm/` (docs/format/warm.md). Version 2: the
// same, with WAL chunks records in checkpoints. A directory with no marker is new or from the
// first release (WAL only) and is migrated: open the tiers, then write the marker; a version 1
// directory is migrated by rewriting the marker before anything writes a chunks record. Layout:
// docs/format/data_dir.md. Stateless; call with the directory lock held.
#pragma once

#include <string>

#include "base/result.h"
#include "base/status.h"

namespace strata::storage {

inline constexpr int kDataDirFormatVersion = 2;

enum class DataDirState {
  kNew,       // No marker, no data: a fresh directory.
  kWalOnly,   // No marker, a `wal/`: the first release's layout, to migrate.
  kVersion1,  // Marker with version 1: rewrite it (nothing else changes).
  kCurrent,   // Marker with this release's version.
};

// Written by `strata restore` into the new data directory before anything else and removed
// once the restore is complete: a directory holding it is an unfinished restore.
inline constexpr std::string_view kRestoreMarker = "RESTORE-IN-PROGRESS";

// Reads and checks the marker. FailedPrecondition for an unfinished restore (kRestoreMarker:
// interrupted or failed, it holds part of the data) and for a newer version (naming it and the
// directory), Corruption for an unreadable marker or for a current directory whose warm tier
// has vanished (`warm/CURRENT` missing: never answered as silently empty). IOError.
Result<DataDirState> CheckDataDir(const std::string& dir);

// Writes the marker (atomically: temp file, fsync, rename, directory fsync). Called once the
// tiers of a new or migrated directory exist, so a crash before it just repeats the migration.
Status WriteDataDirMarker(const std::string& dir);

}  // namespace strata::storage
