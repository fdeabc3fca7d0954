#include "policy/policy_diff.h"

#include <map>
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
  return diff;
}

std::string DiffSummary(const nlohmann::json& diff) {
  std::vector<std::string> parts;
  if (diff.value("operator_changed", false)) parts.push_back("operator: changed");
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

}  // namespace mamori::policy
