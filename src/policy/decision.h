// Decision: the one pure function that decides every use of personal data.
//
// Given the compiled Policy, the actor (roles, training), the data subject's
// facts (consents, stop-use orders, consent to acquire special-care data) and
// a use request (purpose, categories, the record's collection purposes, an
// optional exception ground with its written reason, and the time), Decide()
// returns allow or deny with a stable reason code, the rule id keyed to the
// APPI / Telecommunications Business Act article in LEGAL.md, and the legal
// basis it relied on. A denial is a value, not an error. The rules, their
// order and their codes are documented in docs/decisions.md.
//
//   Decision d = Decide(policy, actor, subject, {.purpose = "dpv:Marketing",
//                                                .categories = {"pd:EmailAddress"},
//                                                .collection_purposes = {"dpv:Marketing"},
//                                                .now = absl::Now()});
//   if (d.outcome == Outcome::kDeny) LOG(INFO) << d.reason_code << " " << d.rule_id;
//   absl::StatusOr<std::string> why = ExplainRule("guideline.6.3");  // APPI Art. 18(3)
//
// The rule table maps the telecom Guideline articles cited by the privacy
// policy (6(3), 10(2), 15(1), 15(4)) to APPI rule ids, so a decision can be
// explained in either numbering (FindRule, ExplainRule).
//
// Thread-safety: every function here is pure (no I/O, no shared mutable
// state) and deterministic; call it from any number of threads.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "policy/policy.h"

namespace mamori::policy {

// An employee or system client.
struct ActorFacts {
  std::string id;
  std::vector<std::string> roles;  // role ids from the policy
  // Completed training: course id and completion time. A course may appear
  // more than once; the latest completion not after `now` counts.
  std::vector<std::pair<std::string, absl::Time>> completed_courses;
};

// A consent the data subject gave. A consent with a `recipient` is consent
// to provision to that recipient and does not authorize the operator's own
// use; Decide() reads only consents without a recipient.
struct ConsentFact {
  std::string purpose;
  std::optional<std::string> recipient;
  absl::Time given_at;
  std::optional<absl::Time> withdrawn_at;
  bool explicit_for_location = false;  // explicit, specific consent to use location
  bool cross_border_informed = false;  // Art. 28: told country, system, measures
};

// A cessation order from a customer request (Art. 35).
struct StopOrder {
  std::optional<std::string> purpose;    // nullopt = all purposes
  std::optional<std::string> recipient;  // for stop-provision orders
};

// What the engine knows about the data subject.
struct SubjectFacts {
  std::vector<ConsentFact> consents;
  std::vector<StopOrder> stop_use;
  std::vector<StopOrder> stop_provision;  // read by provision decisions, not by Decide()
  bool legal_hold = false;                // read by retention, not by Decide()
  bool special_care_consented_at_acquisition = false;  // Art. 20(2)
};

// An exception ground named by the requester. kLaw .. kAcademicResearch are
// APPI Art. 18(3); kWarrant and kImminentDanger are the grounds that also
// lift communication secrecy (TBA Art. 4) and location restrictions.
enum class Ground {
  kNone,
  kLaw,
  kLifeBodyProperty,
  kPublicHealthChild,
  kGovernmentCooperation,
  kAcademicResearch,
  kWarrant,
  kImminentDanger,
};

// "none", "law", "life_body_property", "public_health_child",
// "government_cooperation", "academic_research", "warrant", "imminent_danger".
std::string_view GroundName(Ground g);
// The inverse of GroundName; nullopt for an unknown name.
std::optional<Ground> ParseGround(std::string_view name);

// One use of data about one subject.
struct UseRequest {
  std::string purpose;                           // purpose id
  std::vector<std::string> categories;           // category ids, at least one
  std::vector<std::string> collection_purposes;  // announced when the record was collected
  Ground ground = Ground::kNone;
  std::string reason;  // written reason; required when `ground` is not kNone
  absl::Time now;
};

enum class Outcome { kAllow, kDeny };
std::string_view OutcomeName(Outcome o);  // "allow", "deny"

struct Decision {
  Outcome outcome = Outcome::kDeny;
  std::string reason_code;         // stable snake_case, e.g. "purpose_not_announced"; "allowed"
  std::string rule_id;             // e.g. "appi.18.1", "tba.4"
  std::string legal_basis;         // allow only: "announced_purpose", "consent",
                                   // "legitimate_business_act", "ground:<name>"; "" on deny
  bool flagged_for_audit = false;  // set whenever an exception ground was named
  friend bool operator==(const Decision&, const Decision&) = default;
};

// Decides one use. Pure and deterministic: the same inputs give the same
// decision. Rules run in the order of docs/decisions.md; the first that
// denies decides.
Decision Decide(const Policy& policy, const ActorFacts& actor, const SubjectFacts& subject,
                const UseRequest& request);

// A reason code the engine can return, with the rule it belongs to.
struct ReasonInfo {
  std::string_view reason_code;
  std::string_view rule_id;
  Outcome outcome;
};
// Every reason code Decide() can return, in rule order.
std::span<const ReasonInfo> AllReasons();

// A rule id with its article in both numberings.
struct RuleInfo {
  std::string_view rule_id;            // "appi.18.3"
  std::string_view article;            // "APPI Art. 18(3)"
  std::string_view guideline_id;       // "guideline.6.3", or "" when the privacy policy cites none
  std::string_view guideline_article;  // "Guideline Art. 6(3)" or ""
  std::string_view summary;            // one line
};
// The rule table, including rules cited by the privacy policy that other
// services (retention, provision) decide.
std::span<const RuleInfo> AllRules();
// Looks a rule up by its APPI/TBA id ("appi.18.3") or its Guideline id
// ("guideline.6.3"); nullptr when unknown.
const RuleInfo* FindRule(std::string_view id);
// "APPI Art. 18(3) (telecom Guideline Art. 6(3)): <summary>". NotFound for an
// unknown id.
absl::StatusOr<std::string> ExplainRule(std::string_view id);

}  // namespace mamori::policy
