// Ledger: the tamper-evident record of every decision and every change
// (DESIGN.md, "Every use is decided and recorded"; docs/ledger-format.md).
//
// Entries are JSON objects of ids, categories, purposes, rule ids, times
// and hashes, never personal values, stored in their canonical form (keys
// sorted, no whitespace) as the leaves of an RFC 6962 Merkle tree. Append
// writes the entry in the store's open transaction, so a change and its
// entry commit together; a text that may be personal (the written reason for
// an exception ground) is kept as a note beside the entry, which holds only
// its SHA-256. Tree heads are signed with the operator's Ed25519 key when
// HeadDue() says so and whenever the owner asks (end of a CLI command,
// shutdown).
//
//   ASSIGN_OR_RETURN(auto ledger, Ledger::Open(store.ledger(), signing_key, clock));
//   ASSIGN_OR_RETURN(auto tx, store.records().BeginTransaction());
//   ASSIGN_OR_RETURN(uint64_t seq, ledger->Append({{"kind", "change"}, {"change", "actor.add"}}));
//   ASSIGN_OR_RETURN(TreeHead head, ledger->SignHead());
//   RETURN_IF_ERROR(tx->Commit());
//
// Thread-safety: not thread-safe; the single writer owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "crypto/signing_key.h"
#include "ledger/entry_builder.h"
#include "ledger/stored_tree.h"
#include "ledger/tree_head.h"
#include "store/store.h"

namespace mamori::ledger {

struct LedgerOptions {
  // A head is due once this many entries are unsigned ...
  uint64_t sign_every_entries = 1000;
  // ... or when entries have waited this long for one.
  absl::Duration sign_every = absl::Seconds(1);
};

// The canonical bytes of an entry: nlohmann::json's compact dump, keys in
// byte order, UTF-8 unescaped.
std::string CanonicalEntry(const nlohmann::json& entry);

// Hex SHA-256 of a text, as entries carry for notes and evidence.
std::string Sha256Hex(std::string_view text);
// The same digest as 32 raw bytes.
std::string Sha256Bytes(std::string_view text);

// common::FormatTimestampMicros(t), reusing the text of the last second
// formatted (absl::FormatTime costs a tenth of an append).
// Thread-safety: not thread-safe.
class TimestampFormatter {
 public:
  std::string Format(absl::Time t);

 private:
  int64_t second_ = 0;
  std::string cached_;  // FormatTimestampMicros of second_, when not empty
};

class Ledger {
 public:
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(store::LedgerStore& store,
                                                      crypto::SigningKey key, common::Clock& clock,
                                                      LedgerOptions options = {});

  // Appends `entry` (a JSON object; the ledger sets "at" to the time now)
  // in the store's open transaction. Returns its sequence number.
  absl::StatusOr<uint64_t> Append(nlohmann::json entry);
  absl::StatusOr<uint64_t> Append(EntryBuilder entry);
  // The same, keeping `note` beside the entry; the entry gets "note_sha256".
  absl::StatusOr<uint64_t> AppendWithNote(nlohmann::json entry, std::string_view note);
  // Appends `entry` to the tree but keeps its row in memory until Flush()
  // (or the next Append or SignHead), which stores all kept rows with one
  // statement: a batch of decisions then costs one insert, not one each.
  // Until then the row is not in the store: flush before anything reads
  // the ledger from the store.
  uint64_t Stage(nlohmann::json entry);
  uint64_t Stage(EntryBuilder entry);
  // Stores the staged rows in the store's open transaction.
  absl::Status Flush();

  uint64_t size() const { return tree_->size(); }
  // The size of the latest signed head; entries from there on are unsigned.
  uint64_t signed_size() const { return signed_size_; }
  // True when unsigned entries have reached the count or age in the options.
  bool HeadDue() const;

  // Signs the root of every entry and stores the head in the store's open
  // transaction, unless the latest head already covers them. Returns the
  // latest head (nullopt when the ledger is empty and was never signed).
  absl::StatusOr<std::optional<TreeHead>> SignHead();

  // Undoing appends whose rows were rolled back (a failed savepoint), and
  // dropping staged rows from there on.
  struct Mark {
    StoredTree::Mark tree;
    uint64_t signed_size = 0;
    std::optional<absl::Time> first_unsigned_at;
  };
  Mark mark() const { return {tree_->mark(), signed_size_, first_unsigned_at_}; }
  void RollbackTo(const Mark& mark);

  const StoredTree& tree() const { return *tree_; }
  const std::string& public_key() const { return key_.public_key(); }

 private:
  Ledger(store::LedgerStore& store, crypto::SigningKey key, common::Clock& clock,
         LedgerOptions options)
      : store_(store), key_(std::move(key)), clock_(clock), options_(options) {}

  // The two above, for an entry's canonical text (with its "at").
  absl::StatusOr<uint64_t> AppendText(std::string text);
  uint64_t StageText(std::string text);

  store::LedgerStore& store_;
  crypto::SigningKey key_;
  common::Clock& clock_;
  LedgerOptions options_;
  std::unique_ptr<StoredTree> tree_;
  TimestampFormatter timestamps_;
  uint64_t signed_size_ = 0;
  std::optional<absl::Time> first_unsigned_at_;
  std::vector<store::LedgerEntryRow> staged_;  // in sequence order
};

// A stored head as a TreeHead; DataLoss for a malformed row.
absl::StatusOr<TreeHead> TreeHeadFromRow(const store::TreeHeadRow& row);

}  // namespace mamori::ledger
