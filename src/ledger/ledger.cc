#include "ledger/ledger.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstring>

#include "absl/strings/escaping.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "ledger/merkle.h"

namespace mamori::ledger {

namespace {

using internal::AppendCanonicalString;
using internal::ReferenceDump;

// Writes exactly ReferenceDump(value), without its character-by-character
// UTF-8 decoding of every string (a third of an append's time).
void AppendCanonical(const nlohmann::json& value, std::string& out) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::object: {
      out += '{';
      bool first = true;
      // object_t is a std::map: keys in byte order, as dump() writes them.
      for (const auto& [key, member] : value.get_ref<const nlohmann::json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        AppendCanonicalString(key, out);
        out += ':';
        AppendCanonical(member, out);
      }
      out += '}';
      return;
    }
    case Type::array: {
      out += '[';
      bool first = true;
      for (const nlohmann::json& element : value.get_ref<const nlohmann::json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        AppendCanonical(element, out);
      }
      out += ']';
      return;
    }
    case Type::string:
      AppendCanonicalString(value.get_ref<const std::string&>(), out);
      return;
    case Type::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case Type::null:
      out += "null";
      return;
    case Type::number_integer:
    case Type::number_unsigned: {
      char digits[24];
      const auto end = value.is_number_unsigned()
                           ? std::to_chars(digits, digits + sizeof(digits), value.get<uint64_t>())
                           : std::to_chars(digits, digits + sizeof(digits), value.get<int64_t>());
      out.append(digits, end.ptr);
      return;
    }
    default:  // floating point, binary, discarded: rare in entries
      out += ReferenceDump(value);
      return;
  }
}

}  // namespace

std::string CanonicalEntry(const nlohmann::json& entry) {
  std::string out;
  out.reserve(512);
  AppendCanonical(entry, out);
  return out;
}

std::string TimestampFormatter::Format(absl::Time t) {
  // ToUnixMicros rounds toward the infinite past, as FormatTime's %E6S does.
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t second = micros / 1'000'000;
  int64_t fraction = micros % 1'000'000;
  if (fraction < 0) {
    fraction += 1'000'000;
    --second;
  }
  if (cached_.empty() || second != second_) {
    cached_ = common::FormatTimestampMicros(absl::FromUnixSeconds(second));
    second_ = second;
  }
  // "...SS.ffffffZ": the six digits before the final 'Z'.
  std::string text = cached_;
  for (size_t i = text.size() - 2; i >= text.size() - 7; --i) {
    text[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  return text;
}

std::string Sha256Bytes(std::string_view text) {
  const Hash digest = Sha256Of(text);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

std::string Sha256Hex(std::string_view text) {
  return absl::BytesToHexString(common::ToAbsl(Sha256Bytes(text)));
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

uint64_t Ledger::Stage(nlohmann::json entry) {
  entry["at"] = timestamps_.Format(clock_.Now());
  return StageText(CanonicalEntry(entry));
}

uint64_t Ledger::Stage(EntryBuilder entry) {
  entry.Add("at", timestamps_.Format(clock_.Now()));
  return StageText(entry.Canonical());
}

uint64_t Ledger::StageText(std::string text) {
  staged_.push_back(tree_->Append(std::move(text)));
  if (!first_unsigned_at_) first_unsigned_at_ = clock_.Now();
  return static_cast<uint64_t>(staged_.back().seq);
}

absl::Status Ledger::Flush() {
  if (staged_.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(store_.AppendEntries(staged_));
  staged_.clear();
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Ledger::Append(nlohmann::json entry) {
  RETURN_IF_ERROR(Flush());
  entry["at"] = timestamps_.Format(clock_.Now());
  return AppendText(CanonicalEntry(entry));
}

absl::StatusOr<uint64_t> Ledger::Append(EntryBuilder entry) {
  RETURN_IF_ERROR(Flush());
  entry.Add("at", timestamps_.Format(clock_.Now()));
  return AppendText(entry.Canonical());
}

absl::StatusOr<uint64_t> Ledger::AppendText(std::string text) {
  const StoredTree::Mark before = tree_->mark();
  store::LedgerEntryRow row = tree_->Append(std::move(text));
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
  RETURN_IF_ERROR(Flush());
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
  std::erase_if(staged_, [&](const store::LedgerEntryRow& row) {
    return static_cast<uint64_t>(row.seq) >= mark.tree.size;
  });
  tree_->RollbackTo(mark.tree);
  signed_size_ = mark.signed_size;
  first_unsigned_at_ = mark.first_unsigned_at;
}

}  // namespace mamori::ledger
