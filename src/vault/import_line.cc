#include "vault/import_line.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/status_macros.h"
#include "common/time_format.h"

namespace mamori::vault {
namespace {

using nlohmann::json;

absl::StatusOr<std::optional<std::string>> OptionalString(const json& object,
                                                          std::string_view field,
                                                          std::string_view path) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    return absl::InvalidArgumentError(fmt::format("{}{}: expected a string", path, field));
  }
  return it->get<std::string>();
}

absl::Status CheckFields(const json& object, std::initializer_list<std::string_view> allowed,
                         std::string_view path) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key == a;
    if (!known) {
      return absl::InvalidArgumentError(fmt::format("{}{}: unknown field", path, key));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<NewRecord> ParseRecord(const json& j, std::string_view path) {
  if (!j.is_object()) return absl::InvalidArgumentError(fmt::format("{}: expected an object", path));
  std::string prefix = fmt::format("{}.", path);
  RETURN_IF_ERROR(CheckFields(j, {"category", "service", "value", "collected_at"}, prefix));
  NewRecord record;
  for (auto [field, target] : {std::pair<std::string_view, std::string*>{"category", &record.category},
                               {"service", &record.service},
                               {"value", &record.value}}) {
    ASSIGN_OR_RETURN(std::optional<std::string> v, OptionalString(j, field, prefix));
    if (!v) return absl::InvalidArgumentError(fmt::format("{}{}: missing", prefix, field));
    *target = std::move(*v);
  }
  ASSIGN_OR_RETURN(std::optional<std::string> collected, OptionalString(j, "collected_at", prefix));
  if (collected) {
    absl::StatusOr<absl::Time> t = common::ParseTimestamp(*collected);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("{}collected_at: expected an RFC 3339 time or a date", prefix));
    }
    record.collected_at = *t;
  }
  return record;
}

}  // namespace

absl::StatusOr<ImportLine> ParseImportLine(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  if (!j.is_object()) return absl::InvalidArgumentError("expected a JSON object");
  RETURN_IF_ERROR(CheckFields(
      j, {"subject", "phone", "email", "contract", "name", "birth_date", "records"}, ""));
  ImportLine out;
  ASSIGN_OR_RETURN(out.existing_subject, OptionalString(j, "subject", ""));
  ASSIGN_OR_RETURN(out.identifiers.phone, OptionalString(j, "phone", ""));
  ASSIGN_OR_RETURN(out.identifiers.email, OptionalString(j, "email", ""));
  ASSIGN_OR_RETURN(out.identifiers.contract, OptionalString(j, "contract", ""));
  ASSIGN_OR_RETURN(out.identifiers.name, OptionalString(j, "name", ""));
  ASSIGN_OR_RETURN(out.identifiers.birth_date, OptionalString(j, "birth_date", ""));
  if (auto it = j.find("records"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return absl::InvalidArgumentError("records: expected an array");
    for (size_t i = 0; i < it->size(); ++i) {
      ASSIGN_OR_RETURN(NewRecord r, ParseRecord((*it)[i], fmt::format("records[{}]", i)));
      out.records.push_back(std::move(r));
    }
  }
  if (!out.existing_subject && out.identifiers.empty() && out.records.empty()) {
    return absl::InvalidArgumentError("a line needs an identifier or records");
  }
  return out;
}

}  // namespace mamori::vault
