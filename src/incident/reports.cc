#include "incident/reports.h"

#include <fmt/format.h>

#include <string>

#include "common/strings.h"
#include "common/time_format.h"
#include "retention/retention.h"

namespace mamori::incident {
namespace {

constexpr ReportKind kKinds[] = {ReportKind::kAppiPreliminary, ReportKind::kAppiFinal,
                                 ReportKind::kTbaPrompt, ReportKind::kTbaDetailed};

bool IsAppi(ReportKind kind) {
  return kind == ReportKind::kAppiPreliminary || kind == ReportKind::kAppiFinal;
}

}  // namespace

std::string_view ReportKindName(ReportKind kind) {
  switch (kind) {
    case ReportKind::kAppiPreliminary:
      return "appi_preliminary";
    case ReportKind::kAppiFinal:
      return "appi_final";
    case ReportKind::kTbaPrompt:
      return "tba_prompt";
    case ReportKind::kTbaDetailed:
      return "tba_detailed";
  }
  return "appi_preliminary";
}

absl::StatusOr<ReportKind> ParseReportKind(std::string_view name) {
  std::string names;
  for (ReportKind kind : kKinds) {
    if (ReportKindName(kind) == name) return kind;
    if (!names.empty()) names += ", ";
    names += ReportKindName(kind);
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown report kind \"{}\"; expected one of {}", name, names));
}

std::string_view AuthorityName(Authority authority) {
  return authority == Authority::kPpc ? "ppc" : "mic_regional_bureau";
}

std::string_view ReportStatusName(ReportStatus status) {
  return status == ReportStatus::kPending ? "pending" : "submitted";
}

absl::StatusOr<absl::TimeZone> OperatorTimeZone(const policy::Policy& policy) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(common::ToAbsl(policy.operator_info.time_zone), &zone)) {
    return absl::InvalidArgumentError(fmt::format("the operator's time zone \"{}\" does not load",
                                                  policy.operator_info.time_zone));
  }
  return zone;
}

int DaysAllowed(ReportKind kind, const Reportability& reportability) {
  switch (kind) {
    case ReportKind::kAppiPreliminary:
    case ReportKind::kTbaPrompt:
      return kPromptDays;
    case ReportKind::kAppiFinal:
      // 60 days whenever Art. 7(iii) is among the reasons, alone or not.
      return reportability.Has(Reason::kWrongfulPurpose) ? 60 : 30;
    case ReportKind::kTbaDetailed:
      return 30;
  }
  return 30;
}

absl::Time DueAfter(absl::Time discovered_at, int days, absl::TimeZone zone) {
  return retention::EndOfPeriod(discovered_at, {.days = days}, zone);
}

std::optional<Report> RequiredReport(const Reportability& reportability, ReportKind kind,
                                     absl::Time discovered_at, absl::TimeZone zone) {
  const bool appi = IsAppi(kind);
  if (appi ? !reportability.AppiReportable() : !reportability.TbaReportable()) {
    return std::nullopt;
  }
  Report report;
  report.kind = kind;
  report.authority = appi ? Authority::kPpc : Authority::kMicRegionalBureau;
  report.filed_with = Authority::kMicRegionalBureau;
  report.days = DaysAllowed(kind, reportability);
  report.due = DueAfter(discovered_at, report.days, zone);
  return report;
}

std::vector<Report> RequiredReports(const Reportability& reportability, absl::Time discovered_at,
                                    absl::TimeZone zone) {
  std::vector<Report> reports;
  for (ReportKind kind : kKinds) {
    if (std::optional<Report> r = RequiredReport(reportability, kind, discovered_at, zone)) {
      reports.push_back(*r);
    }
  }
  return reports;
}

bool IsOverdue(const Report& report, absl::Time now) {
  return report.status == ReportStatus::kPending && now >= report.due;
}

nlohmann::json ReportToJson(const Report& report) {
  return {{"kind", ReportKindName(report.kind)},
          {"authority", AuthorityName(report.authority)},
          {"filed_with", AuthorityName(report.filed_with)},
          {"days", report.days},
          {"due", common::FormatTimestamp(report.due)},
          {"status", ReportStatusName(report.status)},
          {"submitted_at", report.submitted_at
                               ? nlohmann::json(common::FormatTimestamp(*report.submitted_at))
                               : nlohmann::json(nullptr)}};
}

}  // namespace mamori::incident
