// Engine::FoldLedger: tables derived from the ledger (the use index, last
// uses) kept up from a cursor. The entries are read and parsed off the
// writer, on a reader connection of the fold's own: parsing was most of the
// work, and done on the writer in jobs of 20,000 entries it held the writer
// 170 ms at a time, a stall for every request queued behind it
// (docs/performance.md, "The sweep's first stall"). The writer only records
// the rows, in jobs of about the budget (two in flight), each moving the
// cursor past the entries whose rows it recorded, in the same transaction: a
// fold stopped anywhere resumes after the last job that committed, and no
// entry is recorded twice. A job that finds the cursor elsewhere (another
// fold of the same table got there first) records nothing, and the fold
// reads on from where the cursor is.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "engine/engine.h"
#include "engine/engine_submit.h"
#include "engine/job_pace.h"
#include "engine/jobs_in_flight.h"

namespace mamori::engine {
namespace {

// Entries read and parsed at a time.
constexpr int64_t kFoldChunkEntries = 20000;
// Rows recorded by the first writer job of a fold, and by any one job at
// most; the others record as many as fit in the budget at the last job's
// pace.
constexpr size_t kFoldFirstJobRows = 256;
constexpr size_t kFoldMaxJobRows = 20000;

}  // namespace

absl::Status Engine::FoldLedger(const LedgerFold& fold, absl::Duration budget) {
  store::RetentionStore& cursors = dir_.store().retention();
  ASSIGN_OR_RETURN(std::unique_ptr<store::StoreReader> reader, dir_.store().OpenReader());
  // The entries the ledger holds now, not those appended while folding:
  // under steady load a fold chasing the ledger's end might never finish
  // (the entries after it are the next fold's).
  int64_t first = 0, target = 0;
  RETURN_IF_ERROR(Submit<bool>(JobKind::kRecords, [&]() -> absl::StatusOr<bool> {
                    ASSIGN_OR_RETURN(first, cursors.GetCursor(fold.cursor));
                    ASSIGN_OR_RETURN(target, dir_.store().ledger().CountEntries());
                    return true;
                  }).status());
  JobPace pace(kFoldFirstJobRows, kFoldMaxJobRows, budget);
  // For each entry of the chunk: the seq after it, and the chunk's rows up
  // to and including its own.
  std::vector<std::pair<int64_t, size_t>> ends;
  while (first < target) {
    fold.start_chunk();
    ends.clear();
    size_t rows = 0;
    RETURN_IF_ERROR(
        reader->ScanLedgerEntries(first, std::min(target, first + kFoldChunkEntries),
                                  [&](const store::LedgerEntryRow& row) -> absl::Status {
                                    rows += fold.parse(row);
                                    ends.emplace_back(row.seq + 1, rows);
                                    return absl::OkStatus();
                                  }));
    if (ends.empty()) return absl::OkStatus();  // the rest is not committed yet

    // Two jobs in flight (RunJobsInFlight), each recording whole entries.
    struct Pass {
      size_t rows = 0;
      absl::Duration took;
      std::optional<int64_t> moved;  // the cursor, when another fold moved it
    };
    std::optional<int64_t> moved;
    int64_t at = first;  // the cursor once the jobs submitted have run
    size_t entry = 0, row = 0;
    // The jobs in flight use this chunk's rows: RunJobsInFlight waits for
    // them all.
    absl::StatusOr<JobsEnd> recorded = RunJobsInFlight<Pass>(
        /*cancel=*/nullptr,
        [&]() -> std::optional<WriterJob<Pass>> {
          if (entry >= ends.size()) return std::nullopt;
          // Whole entries, as many as fit in the pace's rows (at least one).
          size_t stop = entry + 1;
          while (stop < ends.size() && ends[stop].second - row <= pace.per_job()) ++stop;
          const size_t row_end = ends[stop - 1].second;
          const int64_t next = ends[stop - 1].first;
          WriterJob<Pass> job = [&fold, &cursors, expected = at, row, row_end,
                                 next]() -> absl::StatusOr<Pass> {
            const absl::Time start = absl::Now();
            ASSIGN_OR_RETURN(int64_t cursor, cursors.GetCursor(fold.cursor));
            // Another fold of the same table got here first.
            if (cursor != expected) return Pass{0, absl::ZeroDuration(), cursor};
            RETURN_IF_ERROR(fold.record(row, row_end));
            RETURN_IF_ERROR(cursors.SetCursor(fold.cursor, next));
            return Pass{row_end - row, absl::Now() - start, std::nullopt};
          };
          row = row_end;
          at = next;
          entry = stop;
          return job;
        },
        [this](WriterJob<Pass> job, std::function<void(absl::StatusOr<Pass>)> done) {
          SubmitAsync<Pass>(JobKind::kRecords, std::move(job), std::move(done));
        },
        [&](Pass& pass) {
          if (pass.moved) {
            if (!moved) moved = pass.moved;
            return false;
          }
          pace.Learn(pass.rows, pass.took);
          return true;
        });
    RETURN_IF_ERROR(recorded.status());
    // Moved: start again where it is (what this fold parsed may be recorded).
    first = moved ? *moved : at;
  }
  return absl::OkStatus();
}

}  // namespace mamori::engine
