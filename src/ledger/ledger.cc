#include "ledger/ledger.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>

#include "absl/strings/escaping.h"
#include "common/status_macros.h"
#include "common/time_format.h"

namespace mamori::ledger {

std::string CanonicalEntry(const nlohmann::json& entry) {
  // Entries hold ids and codes only; `replace` keeps a stray invalid byte
  // from throwing (it would become U+FFFD in both the stored and hashed text).
  return entry.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

std::string Sha256Hex(std::string_view text) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

absl::StatusOr<TreeHead> TreeHeadFromRow(const store::TreeHeadRow& row) {
  if (row.root_hash.size() != sizeof(Hash) || row.tree_size < 0) {
    return absl::DataLossError(fmt::format("tree head of size {} is malformed", row.tree_size));
  }
  TreeHead head;
  head.tree_size = static_cast<uint64_t>(row.tree_size);
  head.timestamp = row.signed_at;
  std::memcpy(head.root_hash.data(), row.root_hash.data(), sizeof(Hash));
  head.signature = row.signature;
  return head;
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(store::LedgerStore& store,
                                                     crypto::SigningKey key, common::Clock& clock,
                                                     LedgerOptions options) {
  auto ledger = std::unique_ptr<Ledger>(new Ledger(store, std::move(key), clock, options));
  ASSIGN_OR_RETURN(ledger->tree_, StoredTree::Open(store));
  ASSIGN_OR_RETURN(std::optional<store::TreeHeadRow> latest, store.LatestTreeHead());
  ledger->signed_size_ = latest ? static_cast<uint64_t>(latest->tree_size) : 0;
  if (ledger->signed_size_ > ledger->size()) {
    return absl::DataLossError(
        fmt::format("the latest signed tree head covers {} entries but the ledger holds {}; run "
                    "`mamori ledger verify`",
                    ledger->signed_size_, ledger->size()));
  }
  if (ledger->size() > ledger->signed_size_) ledger->first_unsigned_at_ = clock.Now();
  return ledger;
}

absl::StatusOr<uint64_t> Ledger::Append(nlohmann::json entry) {
  entry["at"] = common::FormatTimestampMicros(clock_.Now());
  const StoredTree::Mark before = tree_->mark();
  store::LedgerEntryRow row = tree_->Append(CanonicalEntry(entry));
  if (absl::Status s = store_.AppendEntries({&row, 1}); !s.ok()) {
    tree_->RollbackTo(before);  // the row did not reach the store
    return s;
  }
  if (!first_unsigned_at_) first_unsigned_at_ = clock_.Now();
  return static_cast<uint64_t>(row.seq);
}

absl::StatusOr<uint64_t> Ledger::AppendWithNote(nlohmann::json entry, std::string_view note) {
  entry["note_sha256"] = Sha256Hex(note);
  ASSIGN_OR_RETURN(uint64_t seq, Append(std::move(entry)));
  RETURN_IF_ERROR(store_.InsertNote(static_cast<int64_t>(seq), note));
  return seq;
}

bool Ledger::HeadDue() const {
  if (size() == signed_size_) return false;
  if (size() - signed_size_ >= options_.sign_every_entries) return true;
  return first_unsigned_at_ && clock_.Now() - *first_unsigned_at_ >= options_.sign_every;
}

absl::StatusOr<std::optional<TreeHead>> Ledger::SignHead() {
  if (size() == signed_size_) {
    ASSIGN_OR_RETURN(std::optional<store::TreeHeadRow> latest, store_.LatestTreeHead());
    if (latest) {
      ASSIGN_OR_RETURN(TreeHead head, TreeHeadFromRow(*latest));
      return head;
    }
    // An empty ledger never signed: sign the empty tree.
  }
  TreeHead head = SignTreeHead(key_, size(), clock_.Now(), tree_->Root());
  RETURN_IF_ERROR(store_.InsertTreeHead(
      {static_cast<int64_t>(head.tree_size), head.timestamp,
       std::string(reinterpret_cast<const char*>(head.root_hash.data()), sizeof(Hash)),
       head.signature}));
  signed_size_ = head.tree_size;
  first_unsigned_at_.reset();
  return head;
}

void Ledger::RollbackTo(const Mark& mark) {
  tree_->RollbackTo(mark.tree);
  signed_size_ = mark.signed_size;
  first_unsigned_at_ = mark.first_unsigned_at;
}

}  // namespace mamori::ledger
