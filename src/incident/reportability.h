// Reportability: whether a leak must be reported to the regulators, and why
// (LEGAL.md, "Leakage"; APPI Art. 26, Enforcement Rules Art. 7; TBA Art. 28;
// docs/incidents.md).
//
// A leak, actual or suspected, is reportable under the APPI when it touches
// special-care data, data whose misuse risks financial loss, was possibly
// for a wrongful purpose (unauthorized access, an insider), or concerns
// more than 1,000 persons; the first three even for one person. A leak of
// communication-secrecy data needs the TBA reports besides. A category
// whose leaked data was strongly encrypted and whose keys did not leak is
// exempt: it counts for no criterion, the 1,000 persons included.
//
//   Reportability r = Assess(policy, facts);
//   if (r.reportable) reports = RequiredReports(r, facts.discovered_at, zone);  // reports.h
//
// Thread-safety: pure functions; call from any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "incident/incident.h"
#include "policy/policy.h"

namespace mamori::incident {

// Why a leak is reportable, in this (stable) order; `kEncryptedExempt` says
// that the exemption removed a category from consideration.
enum class Reason {
  kSpecialCare,           // Enforcement Rules Art. 7(i)
  kFinancialLoss,         // Art. 7(ii)
  kWrongfulPurpose,       // Art. 7(iii)
  kOver1000Persons,       // Art. 7(iv)
  kCommunicationSecrecy,  // TBA Art. 28(1)
  kEncryptedExempt,       // Art. 7, opening words: "high-level encryption ..."
};

// "special_care", "financial_loss", "wrongful_purpose", "over_1000_persons",
// "communication_secrecy", "encrypted_exempt".
std::string_view ReasonName(Reason reason);
std::optional<Reason> ParseReason(std::string_view name);

// More persons than this make any leak reportable (Art. 7(iv)).
inline constexpr int64_t kPersonsThreshold = 1000;

struct Reportability {
  bool reportable = false;      // some report is required (APPI, TBA or both)
  std::vector<Reason> reasons;  // in enum order, each once
  // The persons counted for Art. 7(iv): those with a category not exempt.
  int64_t persons = 0;
  std::vector<std::string> exempt_categories;  // in the order of the facts

  bool Has(Reason reason) const;
  // Art. 26 reports (to the PPC) are required: one of the four criteria.
  bool AppiReportable() const;
  // TBA Art. 28 reports (to the MIC) are required: communication secrecy.
  bool TbaReportable() const;

  friend bool operator==(const Reportability&, const Reportability&) = default;
};

// The reportability of the incident `facts` describes under `policy`.
// REQUIRES: ValidateFacts(policy, facts).ok(); otherwise a category the
// policy does not define counts as ordinary.
Reportability Assess(const policy::Policy& policy, const IncidentFacts& facts);

// Whether the leak of `category` risks financial loss in the incident
// `facts` describes: listed in `facts.financial_risk` when the officer gave
// that list, else of the policy's `financial` legal class.
bool RisksFinancialLoss(const policy::Policy& policy, const IncidentFacts& facts,
                        std::string_view category);

// {"reportable": bool, "appi": bool, "tba": bool, "reasons": [Reason],
//  "persons": integer, "exempt_categories": [id]}
nlohmann::json ReportabilityToJson(const Reportability& r);

}  // namespace mamori::incident
