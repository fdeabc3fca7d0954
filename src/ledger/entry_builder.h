// EntryBuilder: a ledger entry written member by member straight into its
// canonical text (CanonicalEntry's bytes), without building a JSON document
// first. The decision entries of reads and finds, one per use of personal
// data, are built this way: a document of a dozen members costs the
// engine's single writer more than the decision it records.
//
//   ledger::EntryBuilder entry;
//   entry.Add("kind", "decision").Add("outcome", "allow").Add("categories", ids);
//   uint64_t seq = ledger.Stage(std::move(entry));
//
// Keys must be string literals (they are kept as views) and are added at
// most once; they may come in any order. The text is the same as
// CanonicalEntry() of the equivalent nlohmann::json object
// (EntryBuilderTest checks it for every kind of member).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "absl/container/inlined_vector.h"

namespace mamori::ledger {

class EntryBuilder {
 public:
  EntryBuilder& Add(std::string_view key, std::string_view value);
  // A string literal would otherwise convert to bool, not to string_view.
  EntryBuilder& Add(std::string_view key, const char* value) {
    return Add(key, std::string_view(value));
  }
  EntryBuilder& Add(std::string_view key, bool value);
  EntryBuilder& Add(std::string_view key, int64_t value);
  EntryBuilder& Add(std::string_view key, std::span<const std::string> values);

  bool Has(std::string_view key) const;

  // The canonical text: members in byte order of their keys. A key added
  // twice is a bug in the caller (std::logic_error).
  std::string Canonical() const;

 private:
  struct Member {
    std::string_view key;
    size_t begin = 0;  // the value's canonical text in values_
    size_t end = 0;
  };
  Member& Begin(std::string_view key);

  std::string values_;
  absl::InlinedVector<Member, 16> members_;
};

namespace internal {
// nlohmann::json's own compact dump of one value: the definition of the
// canonical form.
std::string ReferenceDump(const nlohmann::json& value);
// Appends `text` as a JSON string exactly as nlohmann::json's dump()
// writes it (UTF-8 unescaped, invalid bytes replaced).
void AppendCanonicalString(std::string_view text, std::string& out);
}  // namespace internal

}  // namespace mamori::ledger
