// Helpers shared by the audit tests: a small hand-built policy whose roles
// cover every case of the supervision rules, and fixed times.
#pragma once

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "policy/policy.h"
#include "store/store.h"

namespace mamori::audit::testing {

// Roles:
//   clerk:   billing purpose, phone + call log, course "secrecy", threshold 200
//   analyst: marketing purpose, phone, courses "privacy" and "secrecy", threshold 50
//   support: support purpose, phone, course "privacy", no threshold
//   auditor: permission-only (no purpose), no course, no threshold
//   ghost:   requires a course the policy does not define
inline policy::Policy TestPolicy() {
  policy::Policy p;
  p.name = "audit-test";
  p.courses.push_back(policy::Course{.id = "secrecy", .name = "Secrecy", .valid_days = 365});
  p.courses.push_back(policy::Course{.id = "privacy", .name = "Privacy", .valid_days = 180});
  p.roles.push_back(policy::Role{.id = "clerk",
                                 .name = "Billing clerk",
                                 .purposes = {"p:billing"},
                                 .categories = {"pd:Phone", "pd:CallLog"},
                                 .permissions = {},
                                 .courses = {"secrecy"},
                                 .bulk_access_threshold = 200});
  p.roles.push_back(policy::Role{.id = "analyst",
                                 .name = "Analyst",
                                 .purposes = {"p:marketing"},
                                 .categories = {"pd:Phone"},
                                 .permissions = {},
                                 .courses = {"privacy", "secrecy"},
                                 .bulk_access_threshold = 50});
  p.roles.push_back(policy::Role{.id = "support",
                                 .name = "Support",
                                 .purposes = {"p:support"},
                                 .categories = {"pd:Phone"},
                                 .permissions = {},
                                 .courses = {"privacy"},
                                 .bulk_access_threshold = std::nullopt});
  p.roles.push_back(policy::Role{.id = "auditor",
                                 .name = "Auditor",
                                 .purposes = {},
                                 .categories = {},
                                 .permissions = {"audit"},
                                 .courses = {},
                                 .bulk_access_threshold = std::nullopt});
  p.roles.push_back(policy::Role{.id = "ghost",
                                 .name = "Ghost",
                                 .purposes = {},
                                 .categories = {},
                                 .permissions = {"audit"},
                                 .courses = {"nonexistent"},
                                 .bulk_access_threshold = std::nullopt});
  return p;
}

inline absl::Time Now() {
  return absl::FromCivil(absl::CivilSecond(2026, 11, 28, 3, 0, 0), absl::UTCTimeZone());
}

inline store::ActorRow Actor(std::string id, std::vector<std::string> roles,
                             absl::Time created_at = Now() - absl::Hours(24 * 365)) {
  return store::ActorRow{.id = std::move(id),
                         .roles = std::move(roles),
                         .created_at = created_at,
                         .created_by = "admin:root"};
}

}  // namespace mamori::audit::testing
