// Provision: the one pure function that decides every provision of personal
// data to another party — a third party (APPI Art. 27(1), 27(2)), a trustee
// or a joint user, who are not third parties (Art. 27(5)), at home or abroad
// (Art. 28).
//
// Given the compiled Policy, the actor (roles, training), the data subject's
// facts (consents, including consents to provision to a recipient and the
// cross-border information given; stop-use and stop-provision orders) and a
// provision request (recipient, purpose, categories, the record's collection
// purposes, an optional Art. 27(1) ground with its written reason, what the
// caller knows of a trustee's audits, and the time), DecideProvision()
// returns allow or deny with a stable reason code, the rule id keyed to the
// article in LEGAL.md and the legal basis, plus whether the provider's record
// of Art. 29 must be made and how long it is kept. A denial is a value, not an
// error. The rules, their order and their codes are in docs/decisions.md,
// section "Provision".
//
//   ProvisionDecision p = DecideProvision(policy, actor, subject,
//                                         {.recipient = "hikari-servicer",
//                                          .purpose = "dpv:PaymentManagement",
//                                          .categories = {"pd:Name"},
//                                          .collection_purposes = {"dpv:PaymentManagement"},
//                                          .now = absl::Now(),
//                                          .time_zone = operator_zone});
//   if (p.decision.outcome == Outcome::kAllow && p.provider_record_required) {
//     // make the Art. 29 record, kept for *p.provider_record_retention
//   }
//
// Thread-safety: every function here is pure (no I/O, no shared mutable
// state) and deterministic; call it from any number of threads.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "policy/decision.h"
#include "policy/policy.h"

namespace mamori::policy {

// What the operator knows of a trustee's supervision (Art. 25).
struct TrusteeFacts {
  std::optional<absl::Time> last_audit_at;  // the latest completed audit; nullopt: never
};

// One provision of data about one subject to one party.
struct ProvisionRequest {
  // A [[recipients]] id, a [[trustees]] id, or a group company named as a
  // user in a [[joint_uses]] declaration.
  std::string recipient;
  std::string purpose;                           // purpose id
  std::vector<std::string> categories;           // category ids, at least one
  std::vector<std::string> collection_purposes;  // announced when the record was collected
  Ground ground = Ground::kNone;                 // an Art. 27(1) ground
  std::string reason;                            // required when `ground` is not kNone
  // The data was itself received by opt-out provision, so it may not be
  // provided by opt-out again (Art. 27(2) proviso).
  bool received_by_opt_out = false;
  TrusteeFacts trustee;  // read only when the recipient is a trustee
  absl::Time now;
  // The operator's time zone ([operator] time_zone), in which a trustee's
  // contract days begin and end. The caller loads it: the decision reads no
  // time-zone files.
  absl::TimeZone time_zone = absl::UTCTimeZone();
};

// The capacity in which a party receives data.
enum class RecipientKind {
  kUnknown,     // not declared in the policy
  kThirdParty,  // [[recipients]]: Art. 27(1), 27(2)
  kTrustee,     // [[trustees]]: not a third party within the entrustment (Art. 27(5)(i))
  kJointUser,   // a group company in [[joint_uses]]: not a third party (Art. 27(5)(iii))
};
// "unknown", "third_party", "trustee", "joint_user".
std::string_view RecipientKindName(RecipientKind k);

struct ProvisionDecision {
  // Outcome, reason code, rule id, legal basis ("consent", "ground:<name>",
  // "opt_out", "entrusted", "joint_use"; "" on deny) and audit flag, as for
  // a use.
  Decision decision;
  // The declaration the request was judged under; kUnknown when the party is
  // not declared.
  RecipientKind recipient_kind = RecipientKind::kUnknown;
  bool cross_border = false;  // the party is outside Japan (Art. 28 applied)
  // Allow only: the provider must make the Art. 29 record (consent-based and
  // opt-out provision to a third party; not for Art. 27(1) grounds nor for
  // trustees and joint users).
  bool provider_record_required = false;
  // With provider_record_required: how long the record is kept — 3 years, or
  // 1 year from the last provision where a contract with the recipient
  // stands in for the record (then record_kept_from_last_provision).
  std::optional<Period> provider_record_retention;
  bool record_kept_from_last_provision = false;
  friend bool operator==(const ProvisionDecision&, const ProvisionDecision&) = default;
};

// Decides one provision. Pure and deterministic: the same inputs give the
// same decision. Rules run in the order of docs/decisions.md ("Provision");
// the first that denies decides.
ProvisionDecision DecideProvision(const Policy& policy, const ActorFacts& actor,
                                  const SubjectFacts& subject, const ProvisionRequest& request);

// Every reason code DecideProvision() can return, in rule order, with its
// rule id (see AllRules() for the articles).
std::span<const ReasonInfo> AllProvisionReasons();

}  // namespace mamori::policy
