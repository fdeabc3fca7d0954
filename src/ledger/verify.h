// Full verification of a stored ledger, as `mamori ledger verify` runs it
// and as an auditor's own tool would (docs/ledger-format.md, "Verifying"):
// every entry is rehashed, every stored Merkle node recomputed and compared,
// every signed tree head's root recomputed and its signature checked. The
// first problem found is named; nothing is trusted that was not recomputed.
//
//   ASSIGN_OR_RETURN(VerifyReport report, VerifyLedger(store.ledger(), public_key));
//   if (!report.ok) std::cerr << report.problem;
//
// Entries after the latest signed head cannot be checked against a
// signature; they are counted in `unsigned_entries`, and an auditor who kept
// an earlier head checks them with a consistency proof instead.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/tree_head.h"
#include "store/store.h"

namespace mamori::ledger {

struct VerifyReport {
  bool ok = true;
  uint64_t entries = 0;     // rows read
  uint64_t tree_heads = 0;  // signed heads checked
  std::optional<TreeHead> latest_head;
  uint64_t unsigned_entries = 0;  // after the latest head
  // The verified head this verification started from (VerifyLedgerFrom);
  // 0 for a full verification.
  uint64_t verified_from = 0;
  // When !ok: the first bad entry (or, for a bad tree head, its size) and
  // what is wrong with it.
  std::optional<uint64_t> first_bad_entry;
  std::optional<uint64_t> bad_tree_head;
  std::string problem;
};

// Called now and then with the number of entries checked so far.
using VerifyProgress = std::function<void(uint64_t entries_done, uint64_t entries_total)>;

// An integrity failure is a report with ok == false, not an error; errors
// are for a store that cannot be read. The hashing runs on worker threads
// (one per core, at most 8) while the calling thread reads the store and
// checks the entries in order; `progress` is called on the calling thread.
absl::StatusOr<VerifyReport> VerifyLedger(store::LedgerStore& store, std::string_view public_key,
                                          const VerifyProgress& progress = nullptr);

// Where an earlier verification ended: a signed head it checked.
struct VerifiedPoint {
  uint64_t tree_size = 0;
  std::string root_hash;  // 32 bytes
};

// Verifies what came after `start`: the entries from `start.tree_size` on
// and every signed head after it, trusting the entries before it only
// through `start.root_hash`. The stored Merkle nodes covering them must
// still hash to that root, so a rewrite of an old entry that also rewrote
// the stored nodes is caught; a change of an old entry's bytes alone is
// not (its leaf is not rehashed): a full verification, now and then, finds
// it. The head of `start.tree_size` must still be stored with that root.
// `start.tree_size == 0` is a full verification. `entries` counts the rows
// rehashed (from the chunk boundary at or before the start).
absl::StatusOr<VerifyReport> VerifyLedgerFrom(store::LedgerStore& store,
                                              std::string_view public_key,
                                              const VerifiedPoint& start,
                                              const VerifyProgress& progress = nullptr);

// {"ok": .., "entries": .., "tree_heads": .., "unsigned_entries": ..,
//  "latest_head": {...} | null, "first_bad_entry": N | null,
//  "bad_tree_head": N | null, "problem": "..", "verified_from": N}
nlohmann::json VerifyReportToJson(const VerifyReport& report);

}  // namespace mamori::ledger
