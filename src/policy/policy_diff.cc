#include "policy/policy_diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"
#include "policy/policy_json.h"

namespace mamori::policy {
namespace {

using nlohmann::json;

// The kinds of element a diff covers, in the order a summary lists them:
// what customers were told first.
constexpr std::string_view kKinds[] = {"purposes",   "categories",     "services",   "retention",
                                       "joint_uses", "trustees",       "recipients", "roles",
                                       "courses",    "group_companies"};

// Compares two lists of objects with an "id"; null when they are the same.
json DiffList(const json& before, const json& after) {
  std::map<std::string, const json*> old_by_id, new_by_id;
  for (const json& item : before) old_by_id[item.at("id").get<std::string>()] = &item;
  for (const json& item : after) new_by_id[item.at("id").get<std::string>()] = &item;
  json added = json::array(), removed = json::array(), changed = json::array();
  for (const json& item : after) {
    const std::string& id = item.at("id").get_ref<const std::string&>();
    auto old_item = old_by_id.find(id);
    if (old_item == old_by_id.end()) {
      added.push_back(id);
    } else if (*old_item->second != item) {
      changed.push_back(id);
    }
  }
  for (const json& item : before) {
    const std::string& id = item.at("id").get_ref<const std::string&>();
    if (new_by_id.find(id) == new_by_id.end()) removed.push_back(id);
  }
  if (added.empty() && removed.empty() && changed.empty()) return nullptr;
  return {{"added", added}, {"removed", removed}, {"changed", changed}};
}

// Some element of `after` is not in `before`.
bool Widens(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  return std::any_of(after.begin(), after.end(), [&](const std::string& s) {
    return std::find(before.begin(), before.end(), s) == before.end();
  });
}

bool SameParty(const ResponsibleParty& a, const ResponsibleParty& b) {
  return a.name == b.name && a.address == b.address && a.representative == b.representative;
}

// Problems of one kept joint-use declaration (CheckJointUseChange).
void CheckKeptJointUse(const JointUse& old, const JointUse& next,
                       std::vector<std::string>& problems) {
  const std::string label = absl::StrCat("joint use \"", next.id, "\": ");
  if (Widens(old.items, next.items)) {
    problems.push_back(
        absl::StrCat(label, "items cannot be widened for data already held (APPI Art. 27(6))"));
  }
  if (Widens(old.users, next.users)) {
    problems.push_back(
        absl::StrCat(label, "users cannot be widened for data already held (APPI Art. 27(6))"));
  }
  std::vector<std::string> changed;
  if (!SameParty(old.responsible, next.responsible)) changed.push_back("responsible party");
  const std::set<std::string> old_purposes(old.purposes.begin(), old.purposes.end());
  const std::set<std::string> next_purposes(next.purposes.begin(), next.purposes.end());
  if (old_purposes != next_purposes) changed.push_back("purposes");
  if (changed.empty()) return;
  const std::string what = absl::StrCat(absl::StrJoin(changed, " and "), " changed");
  if (!next.notice_date) {
    problems.push_back(absl::StrCat(label, what,
                                    "; needs notice_date, the date of the prior notice of the "
                                    "change (APPI Art. 27(6))"));
  } else if (old.notice_date && *next.notice_date <= *old.notice_date) {
    problems.push_back(absl::StrCat(label, what,
                                    "; needs notice_date later than the previous version's ",
                                    absl::FormatCivilTime(*old.notice_date),
                                    ", the date of the prior notice of this change "
                                    "(APPI Art. 27(6))"));
  }
}

}  // namespace

nlohmann::json DiffPolicies(const Policy& before, const Policy& after) {
  json old_json = PolicyToJson(before);
  json new_json = PolicyToJson(after);
  json diff = {{"operator_changed", old_json["operator"] != new_json["operator"]},
               {"name_changed", old_json["name"] != new_json["name"]}};
  for (std::string_view kind : kKinds) {
    std::string key(kind);
    json kind_diff = DiffList(old_json[key], new_json[key]);
    if (!kind_diff.is_null()) diff[key] = std::move(kind_diff);
  }
  // The request procedure (verification factors, service levels): only
  // named when it changed, so diffs of policies without it stay as they were.
  if (old_json["requests"] != new_json["requests"]) diff["requests_changed"] = true;
  return diff;
}

absl::Status CheckJointUseChange(const Policy& old, const Policy& next) {
  std::map<std::string_view, const JointUse*> old_by_id;
  for (const JointUse& j : old.joint_uses) old_by_id.emplace(j.id, &j);
  std::vector<std::string> problems;
  for (const JointUse& j : next.joint_uses) {
    auto it = old_by_id.find(j.id);
    if (it != old_by_id.end()) CheckKeptJointUse(*it->second, j, problems);
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
}

std::string DiffSummary(const nlohmann::json& diff) {
  std::vector<std::string> parts;
  if (diff.value("operator_changed", false)) parts.push_back("operator: changed");
  if (diff.value("requests_changed", false)) parts.push_back("requests: changed");
  for (std::string_view kind : kKinds) {
    auto it = diff.find(std::string(kind));
    if (it == diff.end() || !it->is_object()) continue;
    auto count = [&](const char* key) -> size_t {
      auto list = it->find(key);
      return list == it->end() ? 0 : list->size();
    };
    size_t added = count("added"), removed = count("removed"), changed = count("changed");
    std::vector<std::string> counts;
    if (added != 0 || removed != 0) counts.push_back(absl::StrCat("+", added, " -", removed));
    if (changed != 0) counts.push_back(absl::StrCat("~", changed));
    if (counts.empty()) continue;
    parts.push_back(absl::StrCat(common::ToAbsl(kind), ": ", absl::StrJoin(counts, " ")));
  }
  if (diff.value("name_changed", false)) parts.push_back("name: changed");
  if (parts.empty()) return "no changes";
  return absl::StrJoin(parts, "; ");
}

bool PurposeMeaningChanged(const Purpose& before, const Purpose& after) {
  if (before.announcement_ja != after.announcement_ja ||
      before.announcement_en != after.announcement_en) {
    return true;
  }
  std::set<std::string> a(before.categories.begin(), before.categories.end());
  std::set<std::string> b(after.categories.begin(), after.categories.end());
  return a != b;
}

std::set<std::string> PurposesChangedWithoutRelation(const Policy& before, const Policy& after) {
  std::set<std::string> changed;
  for (const Purpose& p : after.purposes) {
    const Purpose* old = before.FindPurpose(p.id);
    if (old != nullptr && PurposeMeaningChanged(*old, p) && !p.change_reasonably_related) {
      changed.insert(p.id);
    }
  }
  return changed;
}

}  // namespace mamori::policy
