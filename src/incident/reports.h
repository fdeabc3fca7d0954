// Reports: which reports a reportable leak needs, to whom, and by when
// (LEGAL.md, "Leakage"; docs/incidents.md, "Deadlines").
//
// Under the APPI (Art. 26(1); Enforcement Rules Art. 8): a preliminary
// report "promptly" and a final report within 30 days, 60 when the leak was
// possibly for a wrongful purpose. Under the TBA (Art. 28), for a breach of
// communication secrecy: a prompt report and a detailed report within 30
// days. Days count from the day of discovery in the operator's time zone:
// that day is day 0, and a report due in N days is due by the end of day N
// (retention::EndOfPeriod). "Promptly" is read as 5 days, the far end of
// the regulator's 3–5 day reading: the due date is the latest, not the
// target.
//
//   ASSIGN_OR_RETURN(absl::TimeZone zone, OperatorTimeZone(policy));
//   for (const Report& report : RequiredReports(Assess(policy, facts), facts.discovered_at, zone))
//     if (IsOverdue(report, now)) Alert(report);
//
// Statuses are data the engine stores; the functions here only compute the
// kinds and the due times. Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "incident/reportability.h"
#include "policy/policy.h"

namespace mamori::incident {

enum class ReportKind {
  kAppiPreliminary,  // APPI Art. 26(1), Enforcement Rules Art. 8(1) (速報)
  kAppiFinal,        // Enforcement Rules Art. 8(2) (確報)
  kTbaPrompt,        // TBA Art. 28(1), without delay
  kTbaDetailed,      // TBA Art. 28(1), the detailed report
};
// "appi_preliminary", "appi_final", "tba_prompt", "tba_detailed".
std::string_view ReportKindName(ReportKind kind);
// The kind named `name`; InvalidArgument listing the valid names otherwise.
absl::StatusOr<ReportKind> ParseReportKind(std::string_view name);

// A regulator or one of its offices.
enum class Authority {
  kPpc,                // Personal Information Protection Commission
  kMicRegionalBureau,  // a regional bureau of telecommunications of the MIC (総合通信局)
};
std::string_view AuthorityName(Authority authority);  // "ppc", "mic_regional_bureau"

enum class ReportStatus { kPending, kSubmitted };
std::string_view ReportStatusName(ReportStatus status);  // "pending", "submitted"

// Days "promptly" is taken as, for the APPI preliminary and the TBA prompt
// report.
inline constexpr int kPromptDays = 5;

struct Report {
  ReportKind kind = ReportKind::kAppiPreliminary;
  // The regulator whose law requires the report.
  Authority authority = Authority::kPpc;
  // Where a telecommunications operator files it: the MIC regional bureau,
  // for APPI reports too, which it receives under the PPC's delegated
  // authority (LEGAL.md: "personal-data reports go to the communications
  // ministry's regional bureau").
  Authority filed_with = Authority::kMicRegionalBureau;
  int days = 0;    // days allowed after the day of discovery
  absl::Time due;  // the end of the last allowed day in the operator's zone
  ReportStatus status = ReportStatus::kPending;
  std::optional<absl::Time> submitted_at;  // kSubmitted only

  friend bool operator==(const Report&, const Report&) = default;
};

// The operator's time zone ([operator] time_zone); InvalidArgument when the
// policy's zone does not load (only a hand-built policy can have one).
absl::StatusOr<absl::TimeZone> OperatorTimeZone(const policy::Policy& policy);

// Days allowed for a report of `kind` about a leak with `reportability`.
int DaysAllowed(ReportKind kind, const Reportability& reportability);

// The end of the `days`-th day after the day of `discovered_at` in `zone`.
absl::Time DueAfter(absl::Time discovered_at, int days, absl::TimeZone zone);

// The reports `reportability` requires, pending, in ReportKind order:
// the APPI pair when AppiReportable(), the TBA pair when TbaReportable().
std::vector<Report> RequiredReports(const Reportability& reportability, absl::Time discovered_at,
                                    absl::TimeZone zone);

// The report of `kind` among RequiredReports, or nullopt when the incident
// does not need one.
std::optional<Report> RequiredReport(const Reportability& reportability, ReportKind kind,
                                     absl::Time discovered_at, absl::TimeZone zone);

// Whether `report` is still pending at `now` although due.
bool IsOverdue(const Report& report, absl::Time now);

// {"kind", "authority", "filed_with": string, "days": integer, "due": RFC 3339,
//  "status": "pending" | "submitted", "submitted_at": RFC 3339 | null}
nlohmann::json ReportToJson(const Report& report);

}  // namespace mamori::incident
