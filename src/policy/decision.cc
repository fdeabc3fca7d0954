#include "policy/decision.h"

#include <algorithm>
#include <array>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "policy/internal/decision_rules.h"
#include "policy/internal/policy_index.h"

namespace mamori::policy {
namespace {

using common::ToAbsl;

// Rule ids (docs/decisions.md; LEGAL.md).
constexpr std::string_view kRulePurposeSpecified = "appi.17.1";
constexpr std::string_view kRuleAnnounced = "appi.21.1";
constexpr std::string_view kRuleMyNumber = "mna.9";
constexpr std::string_view kRuleWithinPurpose = "appi.18.1";
constexpr std::string_view kRuleGround = "appi.18.3";
constexpr std::string_view kRuleAccessControl = "appi.23";
constexpr std::string_view kRuleTraining = "appi.24";
constexpr std::string_view kRuleStopUse = "appi.35.1";
constexpr std::string_view kRuleSpecialCare = "appi.20.2";
constexpr std::string_view kRuleSecrecy = "tba.4";
constexpr std::string_view kRuleLocation = "tba.4.location";

constexpr std::array<ReasonInfo, 18> kReasons = {{
    {"purpose_unknown", kRulePurposeSpecified, Outcome::kDeny},
    {"purpose_not_announced", kRuleAnnounced, Outcome::kDeny},
    {"category_missing", kRulePurposeSpecified, Outcome::kDeny},
    {"category_unknown", kRulePurposeSpecified, Outcome::kDeny},
    {"my_number_not_statutory", kRuleMyNumber, Outcome::kDeny},
    {"category_not_in_purpose", kRuleWithinPurpose, Outcome::kDeny},
    {"ground_reason_missing", kRuleGround, Outcome::kDeny},
    {"role_purpose_not_allowed", kRuleAccessControl, Outcome::kDeny},
    {"role_category_not_allowed", kRuleAccessControl, Outcome::kDeny},
    {"training_missing", kRuleTraining, Outcome::kDeny},
    {"training_expired", kRuleTraining, Outcome::kDeny},
    {"stop_use_order", kRuleStopUse, Outcome::kDeny},
    {"special_care_no_consent", kRuleSpecialCare, Outcome::kDeny},
    {"communication_secrecy_no_basis", kRuleSecrecy, Outcome::kDeny},
    {"location_no_explicit_consent", kRuleLocation, Outcome::kDeny},
    {"consent_required", kRuleWithinPurpose, Outcome::kDeny},
    {"purpose_beyond_collection", kRuleWithinPurpose, Outcome::kDeny},
    // The rule id of an allow is that of the rule whose basis was used.
    {"allowed", "", Outcome::kAllow},
}};

constexpr std::array<RuleInfo, 26> kRules = {{
    {kRulePurposeSpecified, "APPI Art. 17(1)", "", "",
     "purposes and their categories are specified as concretely as possible"},
    {kRuleWithinPurpose, "APPI Art. 18(1)", "", "",
     "data is used only within the announced purposes; beyond them, consent"},
    {kRuleGround, "APPI Art. 18(3)", "guideline.6.3", "Guideline Art. 6(3)",
     "use beyond the purpose under a ground (law, life/body/property, public health or "
     "children, government cooperation, academic research), recorded with a written reason"},
    {kRuleSpecialCare, "APPI Art. 20(2)", "", "",
     "special-care data is acquired only with prior consent"},
    {kRuleAnnounced, "APPI Art. 21(1)", "", "", "purposes are announced before use"},
    {"appi.22", "APPI Art. 22", "guideline.10.2", "Guideline Art. 10(2)",
     "retention: erase without delay when no longer needed, unless a law requires keeping it "
     "(decided by the retention service)"},
    {kRuleAccessControl, "APPI Art. 23", "", "",
     "security measures: least-privilege access by role"},
    {kRuleTraining, "APPI Art. 24", "", "",
     "supervision of employees: no access without current training"},
    {"appi.25", "APPI Art. 25", "", "",
     "supervision of trustees: no provision to a trustee whose audit is overdue "
     "(DecideProvision)"},
    {"appi.27.1", "APPI Art. 27(1)", "guideline.15.1", "Guideline Art. 15(1)",
     "third-party provision needs prior consent unless an Art. 27(1) ground applies, recorded "
     "with a written reason (DecideProvision)"},
    {"appi.27.2", "APPI Art. 27(2)", "", "",
     "opt-out provision only after a filing with the regulator; never special-care data nor "
     "data itself received by opt-out (DecideProvision)"},
    {"appi.27.5", "APPI Art. 27(5)", "guideline.15.4", "Guideline Art. 15(4)",
     "not a third party: trustee within the entrusted purpose, successor, announced joint use "
     "(DecideProvision)"},
    {"appi.27.6", "APPI Art. 27(6)", "", "",
     "joint use: the responsible party or the purposes change only after prior notice; the "
     "items and the joint users are not widened for data already held (CheckJointUseChange)"},
    {"appi.28", "APPI Art. 28", "", "",
     "provision abroad needs consent given after the person was told the country, its system "
     "and the recipient's measures, unless the recipient keeps equivalent measures "
     "(DecideProvision)"},
    {"appi.29", "APPI Art. 29", "", "",
     "the provider's record of consent-based and opt-out provision, kept 3 years (1 year from "
     "the last provision where a contract stands in for it)"},
    {"appi.32.2", "APPI Art. 32(2)", "", "",
     "the person is told the purposes of use of their data on request "
     "(requests::DecideExecution)"},
    {"appi.33", "APPI Art. 33", "", "",
     "the person's data, with third-party provision records, is disclosed to them on request "
     "(requests::DecideExecution)"},
    {"appi.34", "APPI Art. 34", "", "",
     "data that is not true is corrected, added to or deleted on request "
     "(requests::DecideExecution)"},
    {"appi.35", "APPI Art. 35", "", "",
     "use or third-party provision is stopped, or data erased, on request "
     "(requests::DecideExecution)"},
    {"appi.37", "APPI Art. 37", "", "",
     "a request is executed only for a verified requester, after staff approval "
     "(requests::DecideExecution)"},
    {kRuleStopUse, "APPI Art. 35(1)", "", "",
     "a cessation-of-use order stops the use of the person's data"},
    {"appi.35.3", "APPI Art. 35(3)", "", "",
     "a cessation-of-provision order stops provision of the person's data (DecideProvision)"},
    {kRuleSecrecy, "TBA Art. 4", "", "",
     "communication secrecy: only with consent, a legitimate business act, a warrant or "
     "imminent danger; APPI grounds alone do not lift it"},
    {kRuleLocation, "TBA Art. 4 and Guideline (location information)", "", "",
     "location: only with explicit, specific consent, a warrant or imminent danger"},
    {kRuleMyNumber, "My Number Act Art. 9", "", "",
     "My Number is used only for statutory purposes, whatever the consent or ground"},
    {"mna.19", "My Number Act Art. 19", "", "",
     "My Number is provided only as the Act allows: to a trustee entrusted with a statutory "
     "purpose (DecideProvision)"},
}};

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Decision Deny(std::string_view reason, std::string_view rule, const UseRequest& request) {
  Decision d;
  d.outcome = Outcome::kDeny;
  d.reason_code = std::string(reason);
  d.rule_id = std::string(rule);
  d.flagged_for_audit = request.ground != Ground::kNone;
  return d;
}

Decision Allow(std::string_view rule, std::string legal_basis, const UseRequest& request) {
  Decision d;
  d.outcome = Outcome::kAllow;
  d.flagged_for_audit = request.ground != Ground::kNone;
  d.reason_code = "allowed";
  d.rule_id = std::string(rule);
  d.legal_basis = std::move(legal_basis);
  return d;
}

std::string GroundBasis(Ground g) { return absl::StrCat("ground:", ToAbsl(GroundName(g))); }

// A consent for the operator's own use of `purpose`, in force at `now`.
bool HasUseConsent(const SubjectFacts& subject, std::string_view purpose, absl::Time now,
                   bool explicit_for_location) {
  return std::any_of(subject.consents.begin(), subject.consents.end(), [&](const ConsentFact& c) {
    if (c.purpose != purpose || c.recipient.has_value()) return false;
    if (explicit_for_location && !c.explicit_for_location) return false;
    if (c.given_at > now) return false;
    return !(c.withdrawn_at.has_value() && *c.withdrawn_at <= now);
  });
}

bool TbaGround(Ground g) { return g == Ground::kWarrant || g == Ground::kImminentDanger; }

// The policy look-ups Decide() makes: answered from the policy's index when
// it has a current one (Policy::BuildIndex), else by scanning its vectors.
// Both give the same answers.
class PolicyLookups {
 public:
  explicit PolicyLookups(const Policy& policy)
      : policy_(policy), index_(policy.HasCurrentIndex() ? policy.index_slot.get() : nullptr) {}

  const Purpose* FindPurpose(std::string_view id) const {
    return index_ == nullptr ? policy_.FindPurpose(id)
                             : At(policy_.purposes, index_->purposes.Find(id));
  }
  const Category* FindCategory(std::string_view id) const {
    return index_ == nullptr ? policy_.FindCategory(id)
                             : At(policy_.categories, index_->categories.Find(id));
  }
  const Role* FindRole(std::string_view id) const {
    return index_ == nullptr ? policy_.FindRole(id) : At(policy_.roles, index_->roles.Find(id));
  }
  // The course `role.courses[k]` names, or nullptr. REQUIRES: `role` is an
  // element of the policy, k < role.courses.size().
  const Course* RequiredCourse(const Role& role, size_t k) const {
    return index_ == nullptr
               ? policy_.FindCourse(role.courses[k])
               : At(policy_.courses, index_->role_courses[Position(policy_.roles, role)][k]);
  }

  // Some service lists the purpose. REQUIRES: `purpose` is an element of the policy.
  bool Announced(const Purpose& purpose) const {
    if (index_ != nullptr) return index_->purpose_announced[Position(policy_.purposes, purpose)];
    return std::any_of(policy_.services.begin(), policy_.services.end(),
                       [&](const Service& s) { return Contains(s.purposes, purpose.id); });
  }
  // The purpose lists the category. REQUIRES: both are elements of the policy.
  bool PurposeHasCategory(const Purpose& purpose, const Category& category) const {
    if (index_ != nullptr) {
      return index_->purpose_categories[Position(policy_.purposes, purpose)].Contains(
          Position(policy_.categories, category));
    }
    return Contains(purpose.categories, category.id);
  }
  // The role lists the purpose. REQUIRES: both are elements of the policy.
  bool RoleGrantsPurpose(const Role& role, const Purpose& purpose) const {
    if (index_ != nullptr) {
      return index_->role_purposes[Position(policy_.roles, role)].Contains(
          Position(policy_.purposes, purpose));
    }
    return Contains(role.purposes, purpose.id);
  }
  // The role lists the category. REQUIRES: both are elements of the policy.
  bool RoleGrantsCategory(const Role& role, const Category& category) const {
    if (index_ != nullptr) {
      return index_->role_categories[Position(policy_.roles, role)].Contains(
          Position(policy_.categories, category));
    }
    return Contains(role.categories, category.id);
  }

 private:
  template <typename T>
  static const T* At(const std::vector<T>& items, uint32_t position) {
    return position == internal::kNoPosition ? nullptr : &items[position];
  }
  template <typename T>
  static uint32_t Position(const std::vector<T>& items, const T& item) {
    return static_cast<uint32_t>(&item - items.data());
  }

  const Policy& policy_;
  const internal::PolicyIndex* index_;  // nullptr: scan
};

// The requested categories, resolved: at most a handful per request.
using Categories = absl::InlinedVector<const Category*, 8>;

// A set of legal classes as a bitmask.
uint32_t ClassBit(LegalClass c) { return uint32_t{1} << static_cast<int>(c); }

// Rules 8 and 9: the actor's roles, then their training. nullopt = passes.
std::optional<Decision> CheckActor(const PolicyLookups& lookups, const ActorFacts& actor,
                                   const Purpose& purpose, const Categories& categories,
                                   const UseRequest& request) {
  absl::InlinedVector<const Role*, 4> roles;
  for (const std::string& id : actor.roles) {
    if (const Role* r = lookups.FindRole(id); r != nullptr) roles.push_back(r);
  }
  const bool purpose_allowed = std::any_of(roles.begin(), roles.end(), [&](const Role* r) {
    return lookups.RoleGrantsPurpose(*r, purpose);
  });
  if (!purpose_allowed) return Deny("role_purpose_not_allowed", kRuleAccessControl, request);
  for (const Category* category : categories) {
    const bool allowed = std::any_of(roles.begin(), roles.end(), [&](const Role* r) {
      return lookups.RoleGrantsPurpose(*r, purpose) && lookups.RoleGrantsCategory(*r, *category);
    });
    if (!allowed) return Deny("role_category_not_allowed", kRuleAccessControl, request);
  }
  for (const Role* role : roles) {
    for (size_t k = 0; k < role->courses.size(); ++k) {
      const std::string& course_id = role->courses[k];
      const Course* course = lookups.RequiredCourse(*role, k);
      std::optional<absl::Time> latest;
      for (const auto& [id, at] : actor.completed_courses) {
        if (id == course_id && at <= request.now && (!latest || at > *latest)) latest = at;
      }
      if (course == nullptr || !latest) {
        return Deny("training_missing", kRuleTraining, request);
      }
      if (request.now >= *latest + absl::Hours(int64_t{24} * course->valid_days)) {
        return Deny("training_expired", kRuleTraining, request);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

namespace internal {

std::optional<Decision> CheckActorRules(const Policy& policy, const ActorFacts& actor,
                                        const Purpose& purpose,
                                        std::span<const Category* const> categories,
                                        const UseRequest& request) {
  const PolicyLookups lookups(policy);
  const Categories resolved(categories.begin(), categories.end());
  return CheckActor(lookups, actor, purpose, resolved, request);
}

}  // namespace internal

std::string_view GroundName(Ground g) {
  switch (g) {
    case Ground::kNone:
      return "none";
    case Ground::kLaw:
      return "law";
    case Ground::kLifeBodyProperty:
      return "life_body_property";
    case Ground::kPublicHealthChild:
      return "public_health_child";
    case Ground::kGovernmentCooperation:
      return "government_cooperation";
    case Ground::kAcademicResearch:
      return "academic_research";
    case Ground::kWarrant:
      return "warrant";
    case Ground::kImminentDanger:
      return "imminent_danger";
  }
  return "none";
}

std::optional<Ground> ParseGround(std::string_view name) {
  for (Ground g : {Ground::kNone, Ground::kLaw, Ground::kLifeBodyProperty,
                   Ground::kPublicHealthChild, Ground::kGovernmentCooperation,
                   Ground::kAcademicResearch, Ground::kWarrant, Ground::kImminentDanger}) {
    if (GroundName(g) == name) return g;
  }
  return std::nullopt;
}

std::string_view OutcomeName(Outcome o) { return o == Outcome::kAllow ? "allow" : "deny"; }

Decision Decide(const Policy& policy, const ActorFacts& actor, const SubjectFacts& subject,
                const UseRequest& request) {
  const PolicyLookups lookups(policy);

  // 1–2. The purpose exists and is announced by a service (Art. 17(1), 21(1)).
  const Purpose* purpose = lookups.FindPurpose(request.purpose);
  if (purpose == nullptr) return Deny("purpose_unknown", kRulePurposeSpecified, request);
  if (!lookups.Announced(*purpose)) return Deny("purpose_not_announced", kRuleAnnounced, request);

  // 3–4. The categories are named and known.
  if (request.categories.empty()) {
    return Deny("category_missing", kRulePurposeSpecified, request);
  }
  Categories categories;
  uint32_t classes = 0;  // ClassBit of each requested category's legal class
  for (const std::string& id : request.categories) {
    const Category* category = lookups.FindCategory(id);
    if (category == nullptr) return Deny("category_unknown", kRulePurposeSpecified, request);
    categories.push_back(category);
    classes |= ClassBit(category->legal_class);
  }
  auto any_of_class = [classes](LegalClass c) { return (classes & ClassBit(c)) != 0; };

  // 5. My Number only for statutory purposes, whatever the consent or ground.
  if (any_of_class(LegalClass::kMyNumber) && !purpose->statutory_my_number) {
    return Deny("my_number_not_statutory", kRuleMyNumber, request);
  }

  // 6. Each category is within the purpose.
  for (const Category* category : categories) {
    if (!lookups.PurposeHasCategory(*purpose, *category)) {
      return Deny("category_not_in_purpose", kRuleWithinPurpose, request);
    }
  }

  // 7. A named ground carries a written reason (Art. 18(3)).
  const Ground ground = request.ground;
  if (ground != Ground::kNone && absl::StripAsciiWhitespace(ToAbsl(request.reason)).empty()) {
    return Deny("ground_reason_missing", kRuleGround, request);
  }

  // 8–9. The actor's roles and training (Art. 23, 24).
  if (std::optional<Decision> d = CheckActor(lookups, actor, *purpose, categories, request)) {
    return *d;
  }

  // 10. A stop-use order for all purposes or this one (Art. 35).
  const bool stopped = std::any_of(
      subject.stop_use.begin(), subject.stop_use.end(),
      [&](const StopOrder& o) { return !o.purpose.has_value() || *o.purpose == request.purpose; });
  if (stopped) return Deny("stop_use_order", kRuleStopUse, request);

  // 11. Special-care data was acquired with consent (Art. 20(2)).
  if (any_of_class(LegalClass::kSpecialCare) && !subject.special_care_consented_at_acquisition) {
    return Deny("special_care_no_consent", kRuleSpecialCare, request);
  }

  // Whether the subject consented to this purpose; read only where a rule
  // needs it, since most uses do not and the consents may be cold in memory.
  std::optional<bool> consent_in_force;
  auto consent = [&] {
    if (!consent_in_force) {
      consent_in_force = HasUseConsent(subject, request.purpose, request.now, false);
    }
    return *consent_in_force;
  };

  // 12. Communication secrecy (TBA Art. 4): the APPI grounds alone do not lift it.
  std::optional<std::string> secrecy_basis;
  if (any_of_class(LegalClass::kCommunicationSecrecy)) {
    if (purpose->legitimate_business_act) {
      secrecy_basis = "legitimate_business_act";
    } else if (consent()) {
      secrecy_basis = "consent";
    } else if (TbaGround(ground)) {
      secrecy_basis = GroundBasis(ground);
    } else {
      return Deny("communication_secrecy_no_basis", kRuleSecrecy, request);
    }
  }

  // 13. Location: explicit consent for this purpose, a warrant or imminent
  // danger; a legitimate business act alone is not enough (LEGAL.md).
  std::optional<std::string> location_basis;
  if (any_of_class(LegalClass::kLocation)) {
    if (HasUseConsent(subject, request.purpose, request.now, true)) {
      location_basis = "consent";
    } else if (TbaGround(ground)) {
      location_basis = GroundBasis(ground);
    } else {
      return Deny("location_no_explicit_consent", kRuleLocation, request);
    }
  }

  // 14–15. Purpose limitation (Art. 18): consent where the purpose requires
  // it; otherwise within the collection purposes, or consent, or a ground.
  std::string_view purpose_rule = kRuleWithinPurpose;
  std::string purpose_basis;
  if (purpose->requires_consent) {
    if (consent()) {
      purpose_basis = "consent";
    } else if (ground != Ground::kNone) {
      purpose_rule = kRuleGround;
      purpose_basis = GroundBasis(ground);
    } else {
      return Deny("consent_required", kRuleWithinPurpose, request);
    }
  } else if (Contains(request.collection_purposes, request.purpose)) {
    purpose_basis = "announced_purpose";
  } else if (consent()) {
    purpose_basis = "consent";
  } else if (ground != Ground::kNone) {
    purpose_rule = kRuleGround;
    purpose_basis = GroundBasis(ground);
  } else {
    return Deny("purpose_beyond_collection", kRuleWithinPurpose, request);
  }

  // The basis reported is the most specific one: location, then secrecy,
  // then purpose limitation.
  if (location_basis) return Allow(kRuleLocation, *std::move(location_basis), request);
  if (secrecy_basis) return Allow(kRuleSecrecy, *std::move(secrecy_basis), request);
  return Allow(purpose_rule, std::move(purpose_basis), request);
}

std::span<const ReasonInfo> AllReasons() { return kReasons; }

std::span<const RuleInfo> AllRules() { return kRules; }

const RuleInfo* FindRule(std::string_view id) {
  for (const RuleInfo& r : kRules) {
    if (r.rule_id == id || (!r.guideline_id.empty() && r.guideline_id == id)) return &r;
  }
  return nullptr;
}

absl::StatusOr<std::string> ExplainRule(std::string_view id) {
  const RuleInfo* r = FindRule(id);
  if (r == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown rule id \"", ToAbsl(id), "\""));
  }
  if (r->guideline_article.empty()) {
    return absl::StrCat(ToAbsl(r->article), " [", ToAbsl(r->rule_id), "]: ", ToAbsl(r->summary));
  }
  return absl::StrCat(ToAbsl(r->article), " [", ToAbsl(r->rule_id), "] (telecom ",
                      ToAbsl(r->guideline_article), " [", ToAbsl(r->guideline_id),
                      "]): ", ToAbsl(r->summary));
}

}  // namespace mamori::policy
