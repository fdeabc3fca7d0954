// Parsing of one JSONL import line (docs/import-format.md) into the vault's
// inputs, strictly: unknown fields, wrong types and missing fields are
// errors that name the field, never the value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "vault/vault.h"

namespace mamori::vault {

struct ImportLine {
  std::optional<std::string> existing_subject;  // "subject": add to this one
  SubjectIdentifiers identifiers;
  std::vector<NewRecord> records;
  // "language": the language the person chose ("ja" or "en"), for a new
  // subject or to change an existing one's.
  std::optional<std::string> language;
};

absl::StatusOr<ImportLine> ParseImportLine(std::string_view line);

}  // namespace mamori::vault
