// The compiled policy as JSON: the output of `mamori policy show` and the
// form in which policy versions are compared and recorded.
//
//   nlohmann::json j = PolicyToJson(policy);
//   std::cout << j.dump(2);
//
// Schema (docs/policy-file.md, "JSON output"): top-level keys `name`,
// `operator` (an object), and the lists `group_companies`, `services`,
// `categories`, `purposes`, `retention`, `roles`, `courses`, `trustees`,
// `recipients`, `joint_uses`, each of objects with an `id`, and `notice`
// (an object: the notice texts, policy.h `NoticeTexts`). Enums are their
// policy-file names ("special_care"), periods ISO 8601 strings ("P6M"),
// optional values null when absent. Other tools rely on this schema: add
// keys, never rename or remove them.
//
// Thread-safety: pure function, thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "policy/policy.h"

namespace mamori::policy {

nlohmann::json PolicyToJson(const Policy& policy);

}  // namespace mamori::policy
