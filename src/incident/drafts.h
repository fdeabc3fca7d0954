// Report drafts: each report a leak needs (reports.h), with every
// statutory field filled from the facts or left visibly "to be completed",
// in Japanese or English, as JSON and as a printable HTML page
// (docs/incidents.md, "Drafts").
//
// The fields are those of Enforcement Rules Art. 8(1) — overview, data
// items, number of persons, cause, secondary damage or its risk, response to
// the affected persons, publication, recurrence prevention, other — and,
// for the TBA reports, the operator's name and registration number and the
// dates of occurrence and discovery. What the engine cannot know comes from
// the officer's IncidentNarrative; an empty text is listed in "missing" and
// shown as （未記入） / "(to be completed)".
//
//   ASSIGN_OR_RETURN(nlohmann::json j,
//                    DraftJson(policy, facts, narrative, ReportKind::kAppiPreliminary,
//                              notice::Language::kJa));
//
// A draft names no person and shows no personal value: counts and category
// names only. The output depends only on the arguments (no clock).
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "incident/incident.h"
#include "incident/reports.h"
#include "notice/notice.h"
#include "policy/policy.h"

namespace mamori::incident {

// The draft of the report of `kind` about `facts` (schema in
// docs/incidents.md). InvalidArgument when ValidateFacts fails or the
// operator's time zone does not load; FailedPrecondition when the incident
// does not need a report of `kind`.
absl::StatusOr<nlohmann::json> DraftJson(const policy::Policy& policy, const IncidentFacts& facts,
                                         const IncidentNarrative& narrative, ReportKind kind,
                                         notice::Language language);

// The same draft as a complete, self-contained HTML5 page for printing:
// every text escaped, inline CSS, no script. Errors as DraftJson.
absl::StatusOr<std::string> DraftHtml(const policy::Policy& policy, const IncidentFacts& facts,
                                      const IncidentNarrative& narrative, ReportKind kind,
                                      notice::Language language);

}  // namespace mamori::incident
