// Incidents: the facts of an actual or suspected leak of personal data
// (LEGAL.md, "Leakage"; docs/incidents.md), as the rules of this folder read
// them: when and how it was found, its cause, and which categories of how
// many persons it touched. No personal value and no subject id: the facts
// are counts per category, which the engine will fill from the ledger (the
// entries of the reads and exports that leaked name subjects and
// categories), and the officer completes.
//
//   IncidentFacts facts{.discovered_at = t, .cause = Cause::kInsider,
//                       .affected = {.subjects = 1,
//                                    .categories = {{.id = "pd:Name", .subjects = 1}}}};
//   RETURN_IF_ERROR(ValidateFacts(policy, facts));
//   Reportability r = Assess(policy, facts);               // reportability.h
//
// Thread-safety: plain values and pure functions; call from any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "policy/policy.h"

namespace mamori::incident {

// How the data got out. `kUnauthorizedAccess` (including web skimming and
// malware) and `kInsider` (theft or taking-out by an employee or a trustee's
// staff) count as a possible wrongful purpose (Enforcement Rules Art. 7(iii)).
enum class Cause {
  kUnauthorizedAccess,
  kInsider,
  kMisdelivery,    // mail, email or fax sent to the wrong recipient
  kLoss,           // a device or papers lost or stolen
  kVulnerability,  // a flaw or misconfiguration exposed it, no attack known
  kOther,
};

// "unauthorized_access", "insider", "misdelivery", "loss", "vulnerability",
// "other".
std::string_view CauseName(Cause cause);
// The cause named `name`; InvalidArgument listing the valid names otherwise.
absl::StatusOr<Cause> ParseCause(std::string_view name);
// Whether `cause` makes the leak possibly one for a wrongful purpose.
bool PossiblyWrongfulPurpose(Cause cause);

// One category of the leaked data.
struct AffectedCategory {
  std::string id;        // a category of the policy
  int64_t subjects = 0;  // persons whose data of this category leaked (>= 1)
  // The leaked data of this category was strongly encrypted and its keys
  // did not leave: exempt from every reporting criterion.
  bool encrypted_without_keys = false;
};

// Whose data leaked, as counts.
struct AffectedSet {
  int64_t subjects = 0;  // distinct persons, over all categories
  std::vector<AffectedCategory> categories;
  // Distinct persons with at least one leaked category that is not exempt.
  // Only matters when some category is exempt; the engine, which knows each
  // person's categories, fills it. When nullopt, the count is taken on the
  // safe side: min(subjects, sum of the non-exempt categories' subjects).
  std::optional<int64_t> subjects_outside_exemption;

  // The category `id`, or nullptr.
  const AffectedCategory* Find(std::string_view id) const;
};

// What is known about one incident.
struct IncidentFacts {
  std::string id;                         // "inc_…" once the engine records it; "" before
  absl::Time discovered_at;               // when the operator learned of it
  std::optional<absl::Time> occurred_at;  // nullopt while unknown
  Cause cause = Cause::kOther;
  bool suspected = false;   // a suspected leak, not (yet) confirmed
  std::string description;  // what happened, in the officer's words
  AffectedSet affected;
  // The categories whose misuse in THIS incident risks financial loss
  // (Enforcement Rules Art. 7(ii)), when the officer judged it: e.g. a bank
  // account number alone may not, a login password may. nullopt: the
  // categories of the policy's `financial` legal class.
  std::optional<std::vector<std::string>> financial_risk;
};

// What the reports and the notices say that the engine cannot know; the
// officer writes it. An empty text shows as "to be completed" (未記入).
struct IncidentNarrative {
  std::string secondary_damage;       // secondary damage or its risk, and what it is
  std::string response_to_persons;    // what has been done for the affected persons
  std::string publication;            // whether and how the incident was made public
  std::string recurrence_prevention;  // measures against recurrence
  std::string other;                  // anything else of use to the reader
  // Where affected persons ask about the incident; "" for the policy's
  // privacy contact.
  std::string inquiry_desk;
};

// OK when `facts` are consistent with `policy`; InvalidArgument naming the
// first problem: an unknown, duplicated or empty category; a count below 1
// or above `subjects`; `subjects_outside_exemption` outside 0..subjects; an
// unknown `financial_risk` category; `occurred_at` after `discovered_at`; an
// infinite time.
absl::Status ValidateFacts(const policy::Policy& policy, const IncidentFacts& facts);

// The facts as JSON, and back (docs/incidents.md, "Facts"):
//   {"id": string, "discovered_at": RFC 3339, "occurred_at": RFC 3339 | null,
//    "cause": Cause, "suspected": bool, "description": string,
//    "subjects": integer, "categories": [{"id": string, "subjects": integer,
//    "encrypted_without_keys": bool}], "subjects_outside_exemption": integer | null,
//    "financial_risk": [id] | null}
// FactsFromJson requires "discovered_at", "cause", "subjects" and
// "categories"; the rest take their defaults. InvalidArgument naming the key
// when a value is missing or of the wrong type. It does not call
// ValidateFacts.
nlohmann::json FactsToJson(const IncidentFacts& facts);
absl::StatusOr<IncidentFacts> FactsFromJson(const nlohmann::json& json);

}  // namespace mamori::incident
