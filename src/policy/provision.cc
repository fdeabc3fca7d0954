#include "policy/provision.h"

#include <algorithm>
#include <array>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "policy/internal/decision_rules.h"

namespace mamori::policy {
namespace {

using common::ToAbsl;

// Rule ids (docs/decisions.md, "Provision"; LEGAL.md).
constexpr std::string_view kRulePurposeSpecified = "appi.17.1";
constexpr std::string_view kRuleAnnounced = "appi.21.1";
constexpr std::string_view kRuleWithinPurpose = "appi.18.1";
constexpr std::string_view kRuleAccessControl = "appi.23";
constexpr std::string_view kRuleTraining = "appi.24";
constexpr std::string_view kRuleTrusteeSupervision = "appi.25";
constexpr std::string_view kRuleThirdParty = "appi.27.1";
constexpr std::string_view kRuleOptOut = "appi.27.2";
constexpr std::string_view kRuleNotThirdParty = "appi.27.5";
constexpr std::string_view kRuleCrossBorder = "appi.28";
constexpr std::string_view kRuleStopUse = "appi.35.1";
constexpr std::string_view kRuleStopProvision = "appi.35.3";
constexpr std::string_view kRuleSecrecy = "tba.4";
constexpr std::string_view kRuleLocation = "tba.4.location";
constexpr std::string_view kRuleMyNumberProvision = "mna.19";

constexpr std::array<ReasonInfo, 29> kReasons = {{
    {"purpose_unknown", kRulePurposeSpecified, Outcome::kDeny},
    {"purpose_not_announced", kRuleAnnounced, Outcome::kDeny},
    {"category_missing", kRulePurposeSpecified, Outcome::kDeny},
    {"category_unknown", kRulePurposeSpecified, Outcome::kDeny},
    {"recipient_unknown", kRuleThirdParty, Outcome::kDeny},
    {"my_number_provision_not_allowed", kRuleMyNumberProvision, Outcome::kDeny},
    {"category_not_in_purpose", kRuleWithinPurpose, Outcome::kDeny},
    {"trustee_scope_exceeded", kRuleNotThirdParty, Outcome::kDeny},
    {"joint_use_scope_exceeded", kRuleNotThirdParty, Outcome::kDeny},
    {"recipient_scope_exceeded", kRuleThirdParty, Outcome::kDeny},
    {"trustee_contract_not_started", kRuleNotThirdParty, Outcome::kDeny},
    {"trustee_contract_ended", kRuleNotThirdParty, Outcome::kDeny},
    {"trustee_audit_overdue", kRuleTrusteeSupervision, Outcome::kDeny},
    {"ground_reason_missing", kRuleThirdParty, Outcome::kDeny},
    {"role_purpose_not_allowed", kRuleAccessControl, Outcome::kDeny},
    {"role_category_not_allowed", kRuleAccessControl, Outcome::kDeny},
    {"training_missing", kRuleTraining, Outcome::kDeny},
    {"training_expired", kRuleTraining, Outcome::kDeny},
    {"stop_use_order", kRuleStopUse, Outcome::kDeny},
    {"stop_provision_order", kRuleStopProvision, Outcome::kDeny},
    {"communication_secrecy_no_basis", kRuleSecrecy, Outcome::kDeny},
    {"location_no_explicit_consent", kRuleLocation, Outcome::kDeny},
    {"consent_required", kRuleWithinPurpose, Outcome::kDeny},
    {"purpose_beyond_collection", kRuleWithinPurpose, Outcome::kDeny},
    {"opt_out_special_care", kRuleOptOut, Outcome::kDeny},
    {"opt_out_received_data", kRuleOptOut, Outcome::kDeny},
    {"third_party_consent_required", kRuleThirdParty, Outcome::kDeny},
    {"cross_border_consent_required", kRuleCrossBorder, Outcome::kDeny},
    // The rule id of an allow is that of the provision basis used.
    {"allowed", "", Outcome::kAllow},
}};

// The record of Art. 29 is kept 3 years; 1 year from the last provision
// where a contract with the recipient stands in for it (LEGAL.md).
constexpr Period kRecordRetention{.years = 3};
constexpr Period kContractRecordRetention{.years = 1};

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool ContainsAll(const std::vector<std::string>& v, const std::vector<std::string>& wanted) {
  return std::all_of(wanted.begin(), wanted.end(),
                     [&](const std::string& s) { return Contains(v, s); });
}

bool InForce(const ConsentFact& c, absl::Time now) {
  return c.given_at <= now && !(c.withdrawn_at.has_value() && *c.withdrawn_at <= now);
}

// What a consent to provision must also say.
struct ConsentNeeds {
  bool explicit_for_location = false;
  bool cross_border_informed = false;
};

// A consent to provide to `request.recipient` for `request.purpose`, in force
// at `request.now`.
bool HasProvisionConsent(const SubjectFacts& subject, const ProvisionRequest& request,
                         ConsentNeeds needs = {}) {
  return std::any_of(subject.consents.begin(), subject.consents.end(), [&](const ConsentFact& c) {
    if (c.recipient != request.recipient || c.purpose != request.purpose) return false;
    if (needs.explicit_for_location && !c.explicit_for_location) return false;
    if (needs.cross_border_informed && !c.cross_border_informed) return false;
    return InForce(c, request.now);
  });
}

// A consent to the operator's own use of `request.purpose` (no recipient).
bool HasUseConsent(const SubjectFacts& subject, const ProvisionRequest& request) {
  return std::any_of(subject.consents.begin(), subject.consents.end(), [&](const ConsentFact& c) {
    return !c.recipient.has_value() && c.purpose == request.purpose && InForce(c, request.now);
  });
}

bool TbaGround(Ground g) { return g == Ground::kWarrant || g == Ground::kImminentDanger; }

// The declarations that name the party, and the one the request falls under.
struct Party {
  const Trustee* trustee = nullptr;
  const Recipient* recipient = nullptr;
  bool joint_user = false;  // some joint use lists the party as a user
  // The first of trustee, joint use, third-party recipient whose declaration
  // covers the purpose and every category; kUnknown when none does.
  RecipientKind covered = RecipientKind::kUnknown;

  bool declared() const { return trustee != nullptr || recipient != nullptr || joint_user; }
};

Party FindParty(const Policy& policy, const ProvisionRequest& request) {
  Party party;
  party.trustee = policy.FindTrustee(request.recipient);
  party.recipient = policy.FindRecipient(request.recipient);
  bool joint_covers = false;
  for (const JointUse& j : policy.joint_uses) {
    if (!Contains(j.users, request.recipient)) continue;
    party.joint_user = true;
    if (Contains(j.purposes, request.purpose) && ContainsAll(j.items, request.categories)) {
      joint_covers = true;
    }
  }
  if (party.trustee != nullptr && Contains(party.trustee->purposes, request.purpose) &&
      ContainsAll(party.trustee->categories, request.categories)) {
    party.covered = RecipientKind::kTrustee;
  } else if (joint_covers) {
    party.covered = RecipientKind::kJointUser;
  } else if (party.recipient != nullptr && Contains(party.recipient->purposes, request.purpose) &&
             ContainsAll(party.recipient->categories, request.categories)) {
    party.covered = RecipientKind::kThirdParty;
  }
  return party;
}

// The kind reported for a request that no declaration covers: the first
// declared of trustee, joint user, third party.
RecipientKind FirstDeclaredKind(const Party& party) {
  if (party.trustee != nullptr) return RecipientKind::kTrustee;
  if (party.joint_user) return RecipientKind::kJointUser;
  if (party.recipient != nullptr) return RecipientKind::kThirdParty;
  return RecipientKind::kUnknown;
}

// Builds decisions for one request; remembers what is known of the party.
class Decider {
 public:
  explicit Decider(const ProvisionRequest& request) : request_(request) {}

  void set_kind(RecipientKind kind) { kind_ = kind; }
  void set_cross_border(bool cross_border) { cross_border_ = cross_border; }

  ProvisionDecision Deny(std::string_view reason, std::string_view rule) const {
    ProvisionDecision p = Base();
    p.decision.outcome = Outcome::kDeny;
    p.decision.reason_code = std::string(reason);
    p.decision.rule_id = std::string(rule);
    return p;
  }

  // A use-rule denial (the actor rules) carried over as it is.
  ProvisionDecision Deny(Decision d) const {
    ProvisionDecision p = Base();
    p.decision = std::move(d);
    return p;
  }

  ProvisionDecision Allow(std::string_view rule, std::string legal_basis) const {
    ProvisionDecision p = Base();
    p.decision.outcome = Outcome::kAllow;
    p.decision.reason_code = "allowed";
    p.decision.rule_id = std::string(rule);
    p.decision.legal_basis = std::move(legal_basis);
    return p;
  }

 private:
  ProvisionDecision Base() const {
    ProvisionDecision p;
    p.decision.flagged_for_audit = request_.ground != Ground::kNone;
    p.recipient_kind = kind_;
    p.cross_border = cross_border_;
    return p;
  }

  const ProvisionRequest& request_;
  RecipientKind kind_ = RecipientKind::kUnknown;
  bool cross_border_ = false;
};

// A set of legal classes as a bitmask.
uint32_t ClassBit(LegalClass c) { return uint32_t{1} << static_cast<int>(c); }

}  // namespace

std::string_view RecipientKindName(RecipientKind k) {
  switch (k) {
    case RecipientKind::kUnknown:
      return "unknown";
    case RecipientKind::kThirdParty:
      return "third_party";
    case RecipientKind::kTrustee:
      return "trustee";
    case RecipientKind::kJointUser:
      return "joint_user";
  }
  return "unknown";
}

ProvisionDecision DecideProvision(const Policy& policy, const ActorFacts& actor,
                                  const SubjectFacts& subject, const ProvisionRequest& request) {
  Decider decider(request);

  // P1–P2. The purpose exists and is announced by a service (Art. 17(1), 21(1)).
  const Purpose* purpose = policy.FindPurpose(request.purpose);
  if (purpose == nullptr) return decider.Deny("purpose_unknown", kRulePurposeSpecified);
  const bool announced =
      std::any_of(policy.services.begin(), policy.services.end(),
                  [&](const Service& s) { return Contains(s.purposes, purpose->id); });
  if (!announced) return decider.Deny("purpose_not_announced", kRuleAnnounced);

  // P3–P4. The categories are named and known.
  if (request.categories.empty()) return decider.Deny("category_missing", kRulePurposeSpecified);
  absl::InlinedVector<const Category*, 8> categories;
  uint32_t classes = 0;  // ClassBit of each requested category's legal class
  for (const std::string& id : request.categories) {
    const Category* category = policy.FindCategory(id);
    if (category == nullptr) return decider.Deny("category_unknown", kRulePurposeSpecified);
    categories.push_back(category);
    classes |= ClassBit(category->legal_class);
  }
  auto any_of_class = [classes](LegalClass c) { return (classes & ClassBit(c)) != 0; };

  // P5. The party is declared in the policy, in some capacity.
  const Party party = FindParty(policy, request);
  if (!party.declared()) return decider.Deny("recipient_unknown", kRuleThirdParty);
  const RecipientKind kind =
      party.covered != RecipientKind::kUnknown ? party.covered : FirstDeclaredKind(party);
  decider.set_kind(kind);
  bool abroad = false;
  bool equivalent_measures = false;
  if (kind == RecipientKind::kTrustee) {
    abroad = party.trustee->country != "JP";
    equivalent_measures = party.trustee->equivalent_measures;
  } else if (kind == RecipientKind::kThirdParty) {
    abroad = party.recipient->country != "JP";
    equivalent_measures = party.recipient->equivalent_measures;
  }
  decider.set_cross_border(abroad);

  // P6. My Number goes only where the My Number Act allows: to a trustee
  // entrusted with a statutory purpose, whatever the consent or ground.
  if (any_of_class(LegalClass::kMyNumber) &&
      !(purpose->statutory_my_number && party.covered == RecipientKind::kTrustee)) {
    return decider.Deny("my_number_provision_not_allowed", kRuleMyNumberProvision);
  }

  // P7. Each category is within the purpose.
  for (const Category* category : categories) {
    if (!Contains(purpose->categories, category->id)) {
      return decider.Deny("category_not_in_purpose", kRuleWithinPurpose);
    }
  }

  // P8. Some declaration covers the purpose and every category; if none
  // does, the first declared capacity reports it.
  if (party.covered == RecipientKind::kUnknown) {
    if (kind == RecipientKind::kTrustee) {
      return decider.Deny("trustee_scope_exceeded", kRuleNotThirdParty);
    }
    if (kind == RecipientKind::kJointUser) {
      return decider.Deny("joint_use_scope_exceeded", kRuleNotThirdParty);
    }
    return decider.Deny("recipient_scope_exceeded", kRuleThirdParty);
  }

  // P9–P10. A trustee's contract is in force and its audits are not overdue.
  if (kind == RecipientKind::kTrustee) {
    const Trustee& trustee = *party.trustee;
    std::optional<absl::Time> start;
    if (trustee.contract_start) start = absl::FromCivil(*trustee.contract_start, request.time_zone);
    if (start && request.now < *start) {
      return decider.Deny("trustee_contract_not_started", kRuleNotThirdParty);
    }
    // The contract's last day is included.
    if (trustee.contract_end &&
        request.now >= absl::FromCivil(*trustee.contract_end + 1, request.time_zone)) {
      return decider.Deny("trustee_contract_ended", kRuleNotThirdParty);
    }
    const absl::Duration interval = absl::Hours(int64_t{24} * trustee.audit_interval_days);
    std::optional<absl::Time> last_audit = request.trustee.last_audit_at;
    if (last_audit && *last_audit > request.now) last_audit.reset();  // not yet happened
    // Never audited: the first audit is due one interval after the contract
    // started; without a known start it is taken as due (fail closed).
    const std::optional<absl::Time> counted_from = last_audit ? last_audit : start;
    if (!counted_from || *counted_from + interval < request.now) {
      return decider.Deny("trustee_audit_overdue", kRuleTrusteeSupervision);
    }
  }

  // P11. A named ground carries a written reason (Art. 27(1)).
  const Ground ground = request.ground;
  if (ground != Ground::kNone && absl::StripAsciiWhitespace(ToAbsl(request.reason)).empty()) {
    return decider.Deny("ground_reason_missing", kRuleThirdParty);
  }

  // P12–P13. The actor's roles and training, as for a use (Art. 23, 24).
  UseRequest use;
  use.ground = ground;
  use.now = request.now;
  if (std::optional<Decision> d =
          internal::CheckActorRules(policy, actor, *purpose, categories, use)) {
    return decider.Deny(*std::move(d));
  }

  // P14–P15. The subject's cessation orders (Art. 35(1), 35(3)).
  // An order without a purpose or recipient covers them all.
  auto stops_use = [&](const StopOrder& o) {
    return !o.purpose.has_value() || *o.purpose == request.purpose;
  };
  auto stops_provision = [&](const StopOrder& o) {
    return stops_use(o) && (!o.recipient.has_value() || *o.recipient == request.recipient);
  };
  if (std::any_of(subject.stop_use.begin(), subject.stop_use.end(), stops_use)) {
    return decider.Deny("stop_use_order", kRuleStopUse);
  }
  if (std::any_of(subject.stop_provision.begin(), subject.stop_provision.end(), stops_provision)) {
    return decider.Deny("stop_provision_order", kRuleStopProvision);
  }

  const bool provision_consent = HasProvisionConsent(subject, request);

  // P16. Communication secrecy (TBA Art. 4): the person's consent to this
  // provision, a warrant or imminent danger; APPI grounds alone do not lift
  // it, nor does a legitimate business act.
  if (any_of_class(LegalClass::kCommunicationSecrecy) && !provision_consent && !TbaGround(ground)) {
    return decider.Deny("communication_secrecy_no_basis", kRuleSecrecy);
  }

  // P17. Location: explicit consent to this provision, a warrant or imminent
  // danger.
  if (any_of_class(LegalClass::kLocation) &&
      !HasProvisionConsent(subject, request, {.explicit_for_location = true}) &&
      !TbaGround(ground)) {
    return decider.Deny("location_no_explicit_consent", kRuleLocation);
  }

  // P18–P19. Purpose limitation (Art. 18): a consent (to the use, or to this
  // provision) where the purpose requires one; otherwise within the
  // collection purposes, or a consent, or a ground.
  const bool consent = provision_consent || HasUseConsent(subject, request);
  if (purpose->requires_consent) {
    if (!consent && ground == Ground::kNone) {
      return decider.Deny("consent_required", kRuleWithinPurpose);
    }
  } else if (!Contains(request.collection_purposes, request.purpose) && !consent &&
             ground == Ground::kNone) {
    return decider.Deny("purpose_beyond_collection", kRuleWithinPurpose);
  }

  // P20. The basis of the provision.
  ProvisionDecision allowed;
  if (kind == RecipientKind::kTrustee) {
    allowed = decider.Allow(kRuleNotThirdParty, "entrusted");
  } else if (kind == RecipientKind::kJointUser) {
    allowed = decider.Allow(kRuleNotThirdParty, "joint_use");
  } else if (provision_consent) {
    allowed = decider.Allow(kRuleThirdParty, "consent");
    allowed.provider_record_required = true;
    if (party.recipient->contract_stands_in_for_record) {
      allowed.provider_record_retention = kContractRecordRetention;
      allowed.record_kept_from_last_provision = true;
    } else {
      allowed.provider_record_retention = kRecordRetention;
    }
  } else if (ground != Ground::kNone) {
    allowed = decider.Allow(kRuleThirdParty, absl::StrCat("ground:", ToAbsl(GroundName(ground))));
  } else if (party.recipient->opt_out_filing.has_value()) {
    if (any_of_class(LegalClass::kSpecialCare)) {
      return decider.Deny("opt_out_special_care", kRuleOptOut);
    }
    if (request.received_by_opt_out) return decider.Deny("opt_out_received_data", kRuleOptOut);
    allowed = decider.Allow(kRuleOptOut, "opt_out");
    allowed.provider_record_required = true;
    allowed.provider_record_retention = kRecordRetention;
  } else {
    return decider.Deny("third_party_consent_required", kRuleThirdParty);
  }

  // P21. Abroad (Art. 28): a consent given after the person was told the
  // country, its system and the party's measures, unless the party keeps
  // equivalent measures. After the basis (P20), so that a third party
  // without any consent is reported as such.
  if (abroad && !equivalent_measures &&
      !HasProvisionConsent(subject, request, {.cross_border_informed = true})) {
    return decider.Deny("cross_border_consent_required", kRuleCrossBorder);
  }
  return allowed;
}

std::span<const ReasonInfo> AllProvisionReasons() { return kReasons; }

}  // namespace mamori::policy
