#include "ledger/entry_builder.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace mamori::ledger {

namespace internal {

std::string ReferenceDump(const nlohmann::json& value) {
  // Entries hold ids and codes only; `replace` keeps a stray invalid byte
  // from throwing (it would become U+FFFD in both the stored and hashed text).
  return value.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

// Printable ASCII other than '"' and '\\' is written as is, which is all an
// entry's ids and codes hold; any other string goes through nlohmann's
// escaping.
void AppendCanonicalString(std::string_view text, std::string& out) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7f || c == '"' || c == '\\') {
      out += ReferenceDump(nlohmann::json(text));
      return;
    }
  }
  out += '"';
  out += text;
  out += '"';
}

}  // namespace internal

EntryBuilder::Member& EntryBuilder::Begin(std::string_view key) {
  Member& member = members_.emplace_back();
  member.key = key;
  member.begin = values_.size();
  return member;
}

EntryBuilder& EntryBuilder::Add(std::string_view key, std::string_view value) {
  Member& member = Begin(key);
  internal::AppendCanonicalString(value, values_);
  member.end = values_.size();
  return *this;
}

EntryBuilder& EntryBuilder::Add(std::string_view key, bool value) {
  Member& member = Begin(key);
  values_ += value ? "true" : "false";
  member.end = values_.size();
  return *this;
}

EntryBuilder& EntryBuilder::Add(std::string_view key, int64_t value) {
  Member& member = Begin(key);
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  values_.append(digits, result.ptr);
  member.end = values_.size();
  return *this;
}

EntryBuilder& EntryBuilder::Add(std::string_view key, std::span<const std::string> values) {
  Member& member = Begin(key);
  values_ += '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) values_ += ',';
    internal::AppendCanonicalString(values[i], values_);
  }
  values_ += ']';
  member.end = values_.size();
  return *this;
}

bool EntryBuilder::Has(std::string_view key) const {
  return std::any_of(members_.begin(), members_.end(),
                     [key](const Member& m) { return m.key == key; });
}

std::string EntryBuilder::Canonical() const {
  absl::InlinedVector<const Member*, 16> sorted;
  for (const Member& m : members_) sorted.push_back(&m);
  // nlohmann's object_t is a std::map<std::string, ...>: keys in byte order.
  std::sort(sorted.begin(), sorted.end(),
            [](const Member* a, const Member* b) { return a->key < b->key; });
  std::string out;
  out.reserve(values_.size() + 16 * members_.size() + 2);
  out += '{';
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) {
      if (sorted[i]->key == sorted[i - 1]->key) {
        throw std::logic_error("ledger entry member added twice: " + std::string(sorted[i]->key));
      }
      out += ',';
    }
    internal::AppendCanonicalString(sorted[i]->key, out);
    out += ':';
    out.append(values_, sorted[i]->begin, sorted[i]->end - sorted[i]->begin);
  }
  out += '}';
  return out;
}

}  // namespace mamori::ledger
