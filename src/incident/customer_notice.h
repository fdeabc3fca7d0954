// Customer notices: what one affected person is told about a leak (APPI
// Art. 26(2); Enforcement Rules Art. 10; docs/incidents.md, "Customer
// notices"): an overview, the items of THEIR data that leaked (category
// names from the policy, never values), the cause, the secondary damage or
// its risk, anything else of use, and where to ask — as JSON, plain text or
// a printable HTML page, in Japanese or English.
//
//   ASSIGN_OR_RETURN(std::string letter,
//                    CustomerNoticeText(policy, facts, narrative,
//                                       {"pd:Name", "pd:CallLog"}, notice::Language::kJa));
//
// The engine picks the persons and their categories; the notice itself
// names nobody, so one text serves every person with the same categories.
// Where notifying each person is impossible, the operator publishes the
// incident and an inquiry desk instead (outside this folder).
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "incident/incident.h"
#include "notice/notice.h"
#include "policy/policy.h"

namespace mamori::incident {

// The notice to a person whose data of `categories` (ids, in the order to
// show) leaked in the incident `facts` describe (schema in
// docs/incidents.md). InvalidArgument when ValidateFacts fails, the zone
// does not load, `categories` is empty, or one of them is not among the
// incident's affected categories.
absl::StatusOr<nlohmann::json> CustomerNoticeJson(const policy::Policy& policy,
                                                  const IncidentFacts& facts,
                                                  const IncidentNarrative& narrative,
                                                  const std::vector<std::string>& categories,
                                                  notice::Language language);

// The same notice as plain text (for a letter or an email body), UTF-8
// with "\n" line ends. Errors as CustomerNoticeJson.
absl::StatusOr<std::string> CustomerNoticeText(const policy::Policy& policy,
                                               const IncidentFacts& facts,
                                               const IncidentNarrative& narrative,
                                               const std::vector<std::string>& categories,
                                               notice::Language language);

// The same notice as a complete, self-contained HTML5 page: every text
// escaped, inline CSS with print rules, no script. Errors as
// CustomerNoticeJson.
absl::StatusOr<std::string> CustomerNoticeHtml(const policy::Policy& policy,
                                               const IncidentFacts& facts,
                                               const IncidentNarrative& narrative,
                                               const std::vector<std::string>& categories,
                                               notice::Language language);

}  // namespace mamori::incident
