#include "incident/reportability.h"

#include <algorithm>

namespace mamori::incident {
namespace {

struct ReasonEntry {
  Reason reason;
  std::string_view name;
};
constexpr ReasonEntry kReasons[] = {
    {Reason::kSpecialCare, "special_care"},
    {Reason::kFinancialLoss, "financial_loss"},
    {Reason::kWrongfulPurpose, "wrongful_purpose"},
    {Reason::kOver1000Persons, "over_1000_persons"},
    {Reason::kCommunicationSecrecy, "communication_secrecy"},
    {Reason::kEncryptedExempt, "encrypted_exempt"},
};

policy::LegalClass ClassOf(const policy::Policy& policy, std::string_view id) {
  const policy::Category* c = policy.FindCategory(id);
  return c != nullptr ? c->legal_class : policy::LegalClass::kOrdinary;
}

// The persons with a leaked category that is not exempt.
int64_t PersonsOutsideExemption(const AffectedSet& a, bool any_exempt) {
  if (!any_exempt) return a.subjects;
  if (a.subjects_outside_exemption) return *a.subjects_outside_exemption;
  int64_t sum = 0;
  for (const AffectedCategory& c : a.categories) {
    if (!c.encrypted_without_keys) sum += c.subjects;
  }
  return std::min(a.subjects, sum);
}

}  // namespace

bool RisksFinancialLoss(const policy::Policy& policy, const IncidentFacts& facts,
                        std::string_view category) {
  if (facts.financial_risk) {
    return std::find(facts.financial_risk->begin(), facts.financial_risk->end(), category) !=
           facts.financial_risk->end();
  }
  return ClassOf(policy, category) == policy::LegalClass::kFinancial;
}

std::string_view ReasonName(Reason reason) {
  for (const ReasonEntry& r : kReasons) {
    if (r.reason == reason) return r.name;
  }
  return "";
}

std::optional<Reason> ParseReason(std::string_view name) {
  for (const ReasonEntry& r : kReasons) {
    if (r.name == name) return r.reason;
  }
  return std::nullopt;
}

bool Reportability::Has(Reason reason) const {
  return std::find(reasons.begin(), reasons.end(), reason) != reasons.end();
}

bool Reportability::AppiReportable() const {
  return Has(Reason::kSpecialCare) || Has(Reason::kFinancialLoss) ||
         Has(Reason::kWrongfulPurpose) || Has(Reason::kOver1000Persons);
}

bool Reportability::TbaReportable() const { return Has(Reason::kCommunicationSecrecy); }

Reportability Assess(const policy::Policy& policy, const IncidentFacts& facts) {
  Reportability r;
  bool special_care = false, financial = false, secrecy = false, any_considered = false;
  for (const AffectedCategory& c : facts.affected.categories) {
    if (c.encrypted_without_keys) {
      r.exempt_categories.push_back(c.id);
      continue;
    }
    any_considered = true;
    const policy::LegalClass legal_class = ClassOf(policy, c.id);
    special_care |= legal_class == policy::LegalClass::kSpecialCare;
    secrecy |= legal_class == policy::LegalClass::kCommunicationSecrecy;
    financial |= RisksFinancialLoss(policy, facts, c.id);
  }
  r.persons = PersonsOutsideExemption(facts.affected, !r.exempt_categories.empty());
  // A criterion needs some leaked data it is not exempt for.
  if (special_care) r.reasons.push_back(Reason::kSpecialCare);
  if (financial) r.reasons.push_back(Reason::kFinancialLoss);
  if (any_considered && PossiblyWrongfulPurpose(facts.cause)) {
    r.reasons.push_back(Reason::kWrongfulPurpose);
  }
  if (r.persons > kPersonsThreshold) r.reasons.push_back(Reason::kOver1000Persons);
  if (secrecy) r.reasons.push_back(Reason::kCommunicationSecrecy);
  r.reportable = !r.reasons.empty();
  if (!r.exempt_categories.empty()) r.reasons.push_back(Reason::kEncryptedExempt);
  return r;
}

nlohmann::json ReportabilityToJson(const Reportability& r) {
  nlohmann::json reasons = nlohmann::json::array();
  for (Reason reason : r.reasons) reasons.push_back(ReasonName(reason));
  return {{"reportable", r.reportable}, {"appi", r.AppiReportable()},
          {"tba", r.TbaReportable()},   {"reasons", reasons},
          {"persons", r.persons},       {"exempt_categories", r.exempt_categories}};
}

}  // namespace mamori::incident
