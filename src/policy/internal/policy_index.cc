#include "policy/internal/policy_index.h"

namespace mamori::policy::internal {
namespace {

// The set of positions in `table` of the ids in `ids` that it has.
PositionSet PositionsOf(const IdPositions& table, size_t bound,
                        const std::vector<std::string>& ids) {
  PositionSet set(bound);
  for (const std::string& id : ids) {
    if (uint32_t p = table.Find(id); p != kNoPosition) set.Insert(p);
  }
  return set;
}

}  // namespace

PolicyIndex::PolicyIndex(const Policy& policy)
    : services(policy.services),
      categories(policy.categories),
      purposes(policy.purposes),
      retention(policy.retention),
      roles(policy.roles),
      courses(policy.courses),
      trustees(policy.trustees),
      recipients(policy.recipients),
      group_companies(policy.group_companies),
      purpose_announced(policy.purposes.size(), false) {
  for (const Service& service : policy.services) {
    for (const std::string& id : service.purposes) {
      if (uint32_t p = purposes.Find(id); p != kNoPosition) purpose_announced[p] = true;
    }
  }
  purpose_categories.reserve(policy.purposes.size());
  for (const Purpose& purpose : policy.purposes) {
    purpose_categories.push_back(
        PositionsOf(categories, policy.categories.size(), purpose.categories));
  }
  role_purposes.reserve(policy.roles.size());
  role_categories.reserve(policy.roles.size());
  role_courses.reserve(policy.roles.size());
  for (const Role& role : policy.roles) {
    role_purposes.push_back(PositionsOf(purposes, policy.purposes.size(), role.purposes));
    role_categories.push_back(PositionsOf(categories, policy.categories.size(), role.categories));
    std::vector<uint32_t>& required = role_courses.emplace_back();
    for (const std::string& id : role.courses) required.push_back(courses.Find(id));
  }
}

bool PolicyIndex::Covers(const Policy& policy) const {
  return services.Covers(policy.services) && categories.Covers(policy.categories) &&
         purposes.Covers(policy.purposes) && retention.Covers(policy.retention) &&
         roles.Covers(policy.roles) && courses.Covers(policy.courses) &&
         trustees.Covers(policy.trustees) && recipients.Covers(policy.recipients) &&
         group_companies.Covers(policy.group_companies);
}

}  // namespace mamori::policy::internal
