#include "incident/incident.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace mamori::incident {
namespace {

using nlohmann::json;

struct CauseEntry {
  Cause cause;
  std::string_view name;
};
constexpr CauseEntry kCauses[] = {
    {Cause::kUnauthorizedAccess, "unauthorized_access"},
    {Cause::kInsider, "insider"},
    {Cause::kMisdelivery, "misdelivery"},
    {Cause::kLoss, "loss"},
    {Cause::kVulnerability, "vulnerability"},
    {Cause::kOther, "other"},
};

// "a, b, c": the names of every cause.
std::string CauseNames() {
  std::string out;
  for (const CauseEntry& c : kCauses) {
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(message); }

// Reads `key` of the object `j`: absent or null leaves `out` alone unless
// `required`; a value of the wrong type is an error.
absl::Status ReadString(const json& j, const char* key, bool required, std::string& out) {
  if (!j.contains(key) || j[key].is_null()) {
    return required ? Invalid(fmt::format("incident facts: \"{}\" is required", key))
                    : absl::OkStatus();
  }
  if (!j[key].is_string()) {
    return Invalid(fmt::format("incident facts: \"{}\" must be a string", key));
  }
  out = j[key].get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadCount(const json& j, const char* key, std::string_view where, int64_t& out) {
  if (!j.contains(key) || !j[key].is_number_integer()) {
    return Invalid(fmt::format("incident facts: {}\"{}\" must be an integer", where, key));
  }
  out = j[key].get<int64_t>();
  return absl::OkStatus();
}

absl::Status ReadTime(const json& j, const char* key, bool required,
                      std::optional<absl::Time>& out) {
  std::string text;
  RETURN_IF_ERROR(ReadString(j, key, required, text));
  if (!j.contains(key) || j[key].is_null()) return absl::OkStatus();
  absl::StatusOr<absl::Time> t = common::ParseTimestamp(text);
  if (!t.ok()) {
    return Invalid(
        fmt::format("incident facts: \"{}\": {}", key, common::FromAbsl(t.status().message())));
  }
  out = *t;
  return absl::OkStatus();
}

absl::Status ReadIdList(const json& j, const char* key, std::vector<std::string>& out) {
  if (!j[key].is_array()) {
    return Invalid(fmt::format("incident facts: \"{}\" must be an array of ids", key));
  }
  for (const json& id : j[key]) {
    if (!id.is_string()) {
      return Invalid(fmt::format("incident facts: \"{}\" must be an array of ids", key));
    }
    out.push_back(id.get<std::string>());
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view CauseName(Cause cause) {
  for (const CauseEntry& c : kCauses) {
    if (c.cause == cause) return c.name;
  }
  return "other";
}

absl::StatusOr<Cause> ParseCause(std::string_view name) {
  for (const CauseEntry& c : kCauses) {
    if (c.name == name) return c.cause;
  }
  return Invalid(
      fmt::format("unknown incident cause \"{}\"; expected one of {}", name, CauseNames()));
}

bool PossiblyWrongfulPurpose(Cause cause) {
  return cause == Cause::kUnauthorizedAccess || cause == Cause::kInsider;
}

const AffectedCategory* AffectedSet::Find(std::string_view id) const {
  for (const AffectedCategory& c : categories) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

absl::Status ValidateFacts(const policy::Policy& policy, const IncidentFacts& facts) {
  const absl::Time kPast = absl::InfinitePast(), kFuture = absl::InfiniteFuture();
  if (facts.discovered_at == kPast || facts.discovered_at == kFuture) {
    return Invalid("incident facts: discovered_at must be a finite time");
  }
  if (facts.occurred_at) {
    if (*facts.occurred_at == kPast || *facts.occurred_at == kFuture) {
      return Invalid("incident facts: occurred_at must be a finite time");
    }
    if (*facts.occurred_at > facts.discovered_at) {
      return Invalid(fmt::format("incident facts: occurred_at ({}) is after discovered_at ({})",
                                 common::FormatTimestamp(*facts.occurred_at),
                                 common::FormatTimestamp(facts.discovered_at)));
    }
  }
  const AffectedSet& a = facts.affected;
  if (a.subjects < 0) return Invalid("incident facts: subjects must not be negative");
  std::set<std::string, std::less<>> seen;
  for (const AffectedCategory& c : a.categories) {
    if (c.id.empty()) return Invalid("incident facts: a category has an empty id");
    if (policy.FindCategory(c.id) == nullptr) {
      return Invalid(fmt::format("incident facts: unknown category \"{}\"", c.id));
    }
    if (!seen.insert(c.id).second) {
      return Invalid(fmt::format("incident facts: category \"{}\" is listed twice", c.id));
    }
    if (c.subjects < 1) {
      return Invalid(fmt::format(
          "incident facts: category \"{}\" has {} subjects; list only categories that leaked", c.id,
          c.subjects));
    }
    if (c.subjects > a.subjects) {
      return Invalid(fmt::format(
          "incident facts: category \"{}\" has {} subjects, more than the {} of the incident", c.id,
          c.subjects, a.subjects));
    }
  }
  if (a.subjects_outside_exemption &&
      (*a.subjects_outside_exemption < 0 || *a.subjects_outside_exemption > a.subjects)) {
    return Invalid(fmt::format(
        "incident facts: subjects_outside_exemption ({}) must be between 0 and subjects ({})",
        *a.subjects_outside_exemption, a.subjects));
  }
  if (facts.financial_risk) {
    for (const std::string& id : *facts.financial_risk) {
      if (policy.FindCategory(id) == nullptr) {
        return Invalid(
            fmt::format("incident facts: financial_risk names unknown category \"{}\"", id));
      }
    }
  }
  return absl::OkStatus();
}

nlohmann::json FactsToJson(const IncidentFacts& facts) {
  json categories = json::array();
  for (const AffectedCategory& c : facts.affected.categories) {
    categories.push_back({{"id", c.id},
                          {"subjects", c.subjects},
                          {"encrypted_without_keys", c.encrypted_without_keys}});
  }
  const AffectedSet& a = facts.affected;
  return {{"id", facts.id},
          {"discovered_at", common::FormatTimestamp(facts.discovered_at)},
          {"occurred_at",
           facts.occurred_at ? json(common::FormatTimestamp(*facts.occurred_at)) : json(nullptr)},
          {"cause", CauseName(facts.cause)},
          {"suspected", facts.suspected},
          {"description", facts.description},
          {"subjects", a.subjects},
          {"categories", categories},
          {"subjects_outside_exemption",
           a.subjects_outside_exemption ? json(*a.subjects_outside_exemption) : json(nullptr)},
          {"financial_risk", facts.financial_risk ? json(*facts.financial_risk) : json(nullptr)}};
}

absl::StatusOr<IncidentFacts> FactsFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Invalid("incident facts must be a JSON object");
  IncidentFacts facts;
  RETURN_IF_ERROR(ReadString(j, "id", false, facts.id));
  std::optional<absl::Time> discovered;
  RETURN_IF_ERROR(ReadTime(j, "discovered_at", true, discovered));
  facts.discovered_at = *discovered;
  RETURN_IF_ERROR(ReadTime(j, "occurred_at", false, facts.occurred_at));
  std::string cause;
  RETURN_IF_ERROR(ReadString(j, "cause", true, cause));
  absl::StatusOr<Cause> parsed = ParseCause(cause);
  if (!parsed.ok()) return parsed.status();
  facts.cause = *parsed;
  if (j.contains("suspected") && !j["suspected"].is_null()) {
    if (!j["suspected"].is_boolean())
      return Invalid("incident facts: \"suspected\" must be a bool");
    facts.suspected = j["suspected"].get<bool>();
  }
  RETURN_IF_ERROR(ReadString(j, "description", false, facts.description));
  RETURN_IF_ERROR(ReadCount(j, "subjects", "", facts.affected.subjects));
  if (!j.contains("categories") || !j["categories"].is_array()) {
    return Invalid("incident facts: \"categories\" must be an array");
  }
  for (const json& c : j["categories"]) {
    if (!c.is_object()) return Invalid("incident facts: each category must be an object");
    AffectedCategory category;
    RETURN_IF_ERROR(ReadString(c, "id", true, category.id));
    const std::string where = fmt::format("category \"{}\": ", category.id);
    RETURN_IF_ERROR(ReadCount(c, "subjects", where, category.subjects));
    if (c.contains("encrypted_without_keys")) {
      if (!c["encrypted_without_keys"].is_boolean()) {
        return Invalid(
            fmt::format("incident facts: {}\"encrypted_without_keys\" must be a bool", where));
      }
      category.encrypted_without_keys = c["encrypted_without_keys"].get<bool>();
    }
    facts.affected.categories.push_back(std::move(category));
  }
  if (j.contains("subjects_outside_exemption") && !j["subjects_outside_exemption"].is_null()) {
    int64_t n = 0;
    RETURN_IF_ERROR(ReadCount(j, "subjects_outside_exemption", "", n));
    facts.affected.subjects_outside_exemption = n;
  }
  if (j.contains("financial_risk") && !j["financial_risk"].is_null()) {
    std::vector<std::string> ids;
    RETURN_IF_ERROR(ReadIdList(j, "financial_risk", ids));
    facts.financial_risk = std::move(ids);
  }
  return facts;
}

}  // namespace mamori::incident
