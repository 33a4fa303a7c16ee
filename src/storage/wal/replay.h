// Whole-directory recovery behind Wal::Replay and Wal::Open: checkpoint selection, segment
// ordering, torn-tail truncation and repair. Rules: docs/format/wal.md, "Recovery".
// Stateless functions; thread-safe given the directory lock.
#pragma once

#include <string>

#include "base/result.h"
#include "base/status.h"
#include "storage/wal.h"
#include "storage/wal/segment_reader.h"

namespace strata::storage::wal {

// See Wal::Replay. Takes the directory lock itself.
Result<ReplayStats> ReplayDir(const std::string& dir, const RecordFn& fn,
                              const ReplayOptions& options);

// See Wal::ReadFinished. Does not take the directory lock (the open Wal holds it) and never
// changes a file.
Status ReadFinishedSegments(const std::string& dir, int upto_segment, const RecordFn& fn,
                            bool salvage);

// For Wal::Open (REQUIRES: the caller holds the directory lock): reads segment `index`, the
// last one, and truncates a torn tail. Returns Corruption if it is damaged in the middle.
Status RepairTornTail(const std::string& dir, int index);

}  // namespace strata::storage::wal
