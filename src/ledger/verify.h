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
//
// VerifyLedgerFrom checks only what came after a head an earlier
// verification checked (the internal-audit report's), trusting the older
// entries through that head's root; see its comment for what that misses.
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
  // Entries and signed heads checked; from a verified head, those after it.
  uint64_t entries = 0;
  uint64_t tree_heads = 0;
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

// Called now and then with the number of entries checked so far, of the
// `entries_total` to check (from a verified head, those after it).
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
// through `start.root_hash`, at a cost that follows what is new rather than
// the ledger's size. The head of `start.tree_size` must still be stored with
// that root (else a problem naming it in `bad_tree_head`), and the stored
// frontier of the older entries (the stored Merkle nodes of the complete
// subtrees that make up the first `start.tree_size` leaves,
// ReadFrontier) must still hash to it (else "the ledger before entry N no
// longer matches the verified head"); so a rewrite of old entries that also
// rewrote their stored nodes is caught whenever it changes that root.
// Not caught, by design: an old entry's bytes (or leaf hash) changed without
// touching the stored nodes of the frontier, since old leaves are not
// rehashed; a full verification, now and then, finds it. (Up to 1023
// entries before the start, from the hashing's chunk boundary, are rehashed
// again; `entries` and `tree_heads` count only what comes after the start.)
// `start.tree_size == 0` is a full verification, the same report as
// VerifyLedger's.
//
//   VerifiedPoint start{last.tree_size, last.root_hash};  // kept by the caller
//   ASSIGN_OR_RETURN(VerifyReport report, VerifyLedgerFrom(store.ledger(), public_key, start));
//   if (report.ok && report.latest_head) { /* keep it as the next start */ }
absl::StatusOr<VerifyReport> VerifyLedgerFrom(store::LedgerStore& store,
                                              std::string_view public_key,
                                              const VerifiedPoint& start,
                                              const VerifyProgress& progress = nullptr);

// {"ok": .., "entries": .., "tree_heads": .., "unsigned_entries": ..,
//  "latest_head": {...} | null, "first_bad_entry": N | null,
//  "bad_tree_head": N | null, "problem": "..", "verified_from": N}
nlohmann::json VerifyReportToJson(const VerifyReport& report);

}  // namespace mamori::ledger
