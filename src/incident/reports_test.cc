// Tests of the required reports and their deadlines (reports.h): days
// counted in the operator's zone from the day of discovery, across a month
// end, a leap day and the date line between Tokyo and UTC.
#include "incident/reports.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "incident/incident_test_util.h"

namespace mamori::incident {
namespace {

using nlohmann::json;
using testing::TokyoTime;

class ReportsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(absl::LoadTimeZone("Asia/Tokyo", &tokyo_)); }

  static Reportability With(std::vector<Reason> reasons) {
    Reportability r;
    r.reportable = true;
    r.reasons = std::move(reasons);
    return r;
  }

  absl::TimeZone tokyo_;
};

TEST_F(ReportsTest, DeadlinesAcrossTheEndOfAMonth) {
  // Found at 23:30 on Thursday 29 January 2026, Tokyo: that day is day 0.
  const absl::Time found = TokyoTime(2026, 1, 29, 23, 30);
  const std::vector<Report> reports = RequiredReports(
      With({Reason::kWrongfulPurpose, Reason::kCommunicationSecrecy}), found, tokyo_);
  ASSERT_EQ(reports.size(), 4u);
  EXPECT_EQ(reports[0].kind, ReportKind::kAppiPreliminary);
  EXPECT_EQ(reports[0].due, TokyoTime(2026, 2, 4));  // through 3 February
  EXPECT_EQ(reports[1].kind, ReportKind::kAppiFinal);
  EXPECT_EQ(reports[1].days, 60);
  EXPECT_EQ(reports[1].due, TokyoTime(2026, 3, 31));  // through 30 March
  EXPECT_EQ(reports[2].kind, ReportKind::kTbaPrompt);
  EXPECT_EQ(reports[2].due, TokyoTime(2026, 2, 4));
  EXPECT_EQ(reports[3].kind, ReportKind::kTbaDetailed);
  EXPECT_EQ(reports[3].due, TokyoTime(2026, 3, 1));  // through 28 February
}

TEST_F(ReportsTest, FinalReportIn30DaysWithoutAWrongfulPurpose) {
  const absl::Time found = TokyoTime(2026, 1, 29, 9, 0);
  const std::vector<Report> reports =
      RequiredReports(With({Reason::kSpecialCare, Reason::kOver1000Persons}), found, tokyo_);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[1].days, 30);
  EXPECT_EQ(reports[1].due, TokyoTime(2026, 3, 1));
}

TEST_F(ReportsTest, TheDayOfDiscoveryIsTheOperatorsDay) {
  // 15:30 UTC on 31 January is 00:30 on 1 February in Tokyo: day 0 is
  // 1 February, not 31 January.
  const absl::Time found =
      absl::FromCivil(absl::CivilMinute(2026, 1, 31, 15, 30), absl::UTCTimeZone());
  const std::vector<Report> reports = RequiredReports(With({Reason::kSpecialCare}), found, tokyo_);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].due, TokyoTime(2026, 2, 7));  // through 6 February
  EXPECT_EQ(reports[0].due,
            absl::FromCivil(absl::CivilMinute(2026, 2, 6, 15, 0), absl::UTCTimeZone()));
  EXPECT_EQ(reports[1].due, TokyoTime(2026, 3, 4));  // 1 Feb + 30 days = 3 March
  // Counted in UTC, the same moment would be due a day earlier.
  EXPECT_EQ(DueAfter(found, 5, absl::UTCTimeZone()),
            absl::FromCivil(absl::CivilDay(2026, 2, 6), absl::UTCTimeZone()));
}

TEST_F(ReportsTest, LeapDayCounts) {
  const absl::Time found = TokyoTime(2028, 2, 27, 10, 0);
  EXPECT_EQ(DueAfter(found, 5, tokyo_), TokyoTime(2028, 3, 4));  // through 3 March
  EXPECT_EQ(DueAfter(found, 30, tokyo_), TokyoTime(2028, 3, 29));
}

TEST_F(ReportsTest, OnlyCommunicationSecrecyNeedsOnlyTheTbaReports) {
  const std::vector<Report> reports =
      RequiredReports(With({Reason::kCommunicationSecrecy}), TokyoTime(2026, 4, 1), tokyo_);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].kind, ReportKind::kTbaPrompt);
  EXPECT_EQ(reports[0].authority, Authority::kMicRegionalBureau);
  EXPECT_EQ(reports[1].kind, ReportKind::kTbaDetailed);
  EXPECT_EQ(reports[1].days, 30);
}

TEST_F(ReportsTest, ReportsGoToTheRegionalBureau) {
  const std::vector<Report> reports = RequiredReports(
      With({Reason::kSpecialCare, Reason::kCommunicationSecrecy}), TokyoTime(2026, 4, 1), tokyo_);
  ASSERT_EQ(reports.size(), 4u);
  EXPECT_EQ(reports[0].authority, Authority::kPpc);
  EXPECT_EQ(reports[1].authority, Authority::kPpc);
  for (const Report& r : reports) EXPECT_EQ(r.filed_with, Authority::kMicRegionalBureau);
}

TEST_F(ReportsTest, NothingForALeakThatIsNotReportable) {
  EXPECT_TRUE(RequiredReports(Reportability{}, TokyoTime(2026, 4, 1), tokyo_).empty());
  EXPECT_TRUE(
      RequiredReports(With({Reason::kEncryptedExempt}), TokyoTime(2026, 4, 1), tokyo_).empty());
  EXPECT_EQ(RequiredReport(With({Reason::kSpecialCare}), ReportKind::kTbaPrompt,
                           TokyoTime(2026, 4, 1), tokyo_),
            std::nullopt);
}

TEST_F(ReportsTest, OverdueOnlyWhilePendingFromTheDueTime) {
  std::optional<Report> report = RequiredReport(
      With({Reason::kSpecialCare}), ReportKind::kAppiPreliminary, TokyoTime(2026, 1, 29), tokyo_);
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(IsOverdue(*report, TokyoTime(2026, 2, 3, 23, 59)));
  EXPECT_FALSE(IsOverdue(*report, report->due - absl::Nanoseconds(1)));
  EXPECT_TRUE(IsOverdue(*report, report->due));
  EXPECT_TRUE(IsOverdue(*report, TokyoTime(2026, 3, 1)));
  report->status = ReportStatus::kSubmitted;
  report->submitted_at = TokyoTime(2026, 2, 2);
  EXPECT_FALSE(IsOverdue(*report, TokyoTime(2026, 3, 1)));
}

TEST_F(ReportsTest, KindNames) {
  for (ReportKind kind : {ReportKind::kAppiPreliminary, ReportKind::kAppiFinal,
                          ReportKind::kTbaPrompt, ReportKind::kTbaDetailed}) {
    absl::StatusOr<ReportKind> parsed = ParseReportKind(ReportKindName(kind));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, kind);
  }
  absl::StatusOr<ReportKind> bad = ParseReportKind("appi");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "unknown report kind \"appi\"; expected one of appi_preliminary, appi_final, "
            "tba_prompt, tba_detailed");
}

TEST_F(ReportsTest, Json) {
  std::optional<Report> report =
      RequiredReport(With({Reason::kWrongfulPurpose}), ReportKind::kAppiFinal,
                     TokyoTime(2026, 1, 29, 23, 30), tokyo_);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(ReportToJson(*report), json::parse(R"({"kind": "appi_final", "authority": "ppc",
      "filed_with": "mic_regional_bureau", "days": 60, "due": "2026-03-30T15:00:00Z",
      "status": "pending", "submitted_at": null})"));
  report->status = ReportStatus::kSubmitted;
  report->submitted_at = TokyoTime(2026, 3, 2, 10, 0);
  EXPECT_EQ(ReportToJson(*report)["submitted_at"], "2026-03-02T01:00:00Z");
  EXPECT_EQ(ReportToJson(*report)["status"], "submitted");
}

TEST_F(ReportsTest, OperatorTimeZone) {
  policy::Policy policy = policy::testing::LoadExample();
  absl::StatusOr<absl::TimeZone> zone = OperatorTimeZone(policy);
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(zone->name(), "Asia/Tokyo");
  policy.operator_info.time_zone = "Mars/Olympus";
  EXPECT_EQ(OperatorTimeZone(policy).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mamori::incident
