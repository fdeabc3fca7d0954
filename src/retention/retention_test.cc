#include "retention/retention.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/policy_test_util.h"

namespace mamori::retention {
namespace {

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(absl::LoadTimeZone("Asia/Tokyo", &tokyo_)); }

  // Local time in Tokyo.
  absl::Time At(int y, int m, int d, int hh = 0, int mm = 0) const {
    return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), tokyo_);
  }

  RecordFate Fate(std::string_view category, std::string_view service,
                  const std::vector<std::string>& purposes, absl::Time collected_at,
                  absl::Time now) const {
    return FateOf(policy_, tokyo_, facts_, {category, service, &purposes, collected_at}, now);
  }

  policy::Policy policy_ = policy::testing::LoadExample();
  absl::TimeZone tokyo_;
  SubjectRetentionFacts facts_;
};

TEST_F(RetentionTest, PeriodEndsAtTheEndOfItsLastDayInTheOperatorsZone) {
  EXPECT_EQ(EndOfPeriod(At(2026, 5, 10, 10, 0), {.months = 6}, tokyo_), At(2026, 11, 11));
  EXPECT_EQ(EndOfPeriod(At(2026, 5, 10, 23, 59), {.days = 3}, tokyo_), At(2026, 5, 14));
  // 15:30 UTC on 9 May is already 10 May in Tokyo.
  EXPECT_EQ(EndOfPeriod(absl::FromCivil(absl::CivilMinute(2026, 5, 9, 15, 30), absl::UTCTimeZone()),
                        {.months = 6}, tokyo_),
            At(2026, 11, 11));
}

TEST_F(RetentionTest, MonthsClampToTheLastDayOfTheMonth) {
  EXPECT_EQ(EndOfPeriod(At(2026, 1, 31), {.months = 1}, tokyo_), At(2026, 3, 1));
  EXPECT_EQ(EndOfPeriod(At(2024, 2, 29), {.years = 1}, tokyo_), At(2025, 3, 1));
  EXPECT_EQ(EndOfPeriod(At(2025, 12, 31), {.years = 1, .months = 2}, tokyo_), At(2027, 3, 1));
}

TEST_F(RetentionTest, CollectionAnchoredRecordIsDueTheDayAfterItsPeriod) {
  // Call records for usage charging: communication-history, 6 months.
  const std::vector<std::string> purposes = {"mamori:UsageCharging"};
  const absl::Time collected = At(2026, 5, 10, 8, 15);
  RecordFate kept = Fate("pd:CallLog", "mobile", purposes, collected, At(2026, 11, 10, 23, 59));
  EXPECT_EQ(kept.state, FateState::kKept);
  ASSERT_TRUE(kept.deadline.has_value());
  EXPECT_EQ(*kept.deadline, At(2026, 11, 11));
  EXPECT_EQ(kept.purpose, "mamori:UsageCharging");
  EXPECT_EQ(Fate("pd:CallLog", "mobile", purposes, collected, At(2026, 11, 11)).state,
            FateState::kDue);
}

TEST_F(RetentionTest, TheLongestPurposeKeepsTheRecord) {
  // Network operation keeps call records 3 months, usage charging 6.
  const std::vector<std::string> purposes = {"dpv:TechnicalServiceProvision",
                                             "mamori:UsageCharging"};
  RecordFate fate = Fate("pd:CallLog", "mobile", purposes, At(2026, 1, 5), At(2026, 5, 1));
  EXPECT_EQ(fate.state, FateState::kKept);
  EXPECT_EQ(fate.purpose, "mamori:UsageCharging");
  EXPECT_EQ(*fate.deadline, At(2026, 7, 6));
}

TEST_F(RetentionTest, ContractAnchoredRecordIsKeptWhileTheContractRuns) {
  const std::vector<std::string> purposes = {"dpv:ServiceProvision"};
  RecordFate fate = Fate("pd:Name", "mobile", purposes, At(2020, 4, 1), At(2040, 1, 1));
  EXPECT_EQ(fate.state, FateState::kKept);
  EXPECT_FALSE(fate.deadline.has_value());
}

TEST_F(RetentionTest, ContractEndStartsTheAnchorForThatServiceOnly) {
  const std::vector<std::string> purposes = {"dpv:ServiceProvision"};
  facts_.contract_ends["fiber"] = At(2026, 3, 31, 12, 0);
  EXPECT_FALSE(Fate("pd:Name", "mobile", purposes, At(2020, 4, 1), At(2030, 1, 1)).deadline);
  RecordFate fiber = Fate("pd:Name", "fiber", purposes, At(2020, 4, 1), At(2027, 3, 31, 23, 0));
  EXPECT_EQ(fiber.state, FateState::kKept);
  EXPECT_EQ(*fiber.deadline, At(2027, 4, 1));
  EXPECT_EQ(Fate("pd:Name", "fiber", purposes, At(2020, 4, 1), At(2027, 4, 1)).state,
            FateState::kDue);
}

TEST_F(RetentionTest, ContractEndOfTheWholeCustomerCoversEveryService) {
  const std::vector<std::string> purposes = {"dpv:ServiceProvision"};
  facts_.contract_ends[""] = At(2026, 3, 31);
  EXPECT_EQ(*Fate("pd:Name", "mobile", purposes, At(2020, 4, 1), At(2026, 4, 1)).deadline,
            At(2027, 4, 1));
}

TEST_F(RetentionTest, ARecordCollectedAfterTheContractEndedCountsFromItsCollection) {
  const std::vector<std::string> purposes = {"dpv:ServiceProvision"};
  facts_.contract_ends[""] = At(2026, 3, 31);
  EXPECT_EQ(*Fate("pd:Name", "mobile", purposes, At(2026, 4, 20), At(2026, 5, 1)).deadline,
            At(2027, 4, 21));
}

TEST_F(RetentionTest, BillingOutlivesServiceProvisionAfterTheContractEnds) {
  // A name kept for service provision (1 year) and payment (7 years).
  const std::vector<std::string> purposes = {"dpv:ServiceProvision", "dpv:PaymentManagement"};
  facts_.contract_ends[""] = At(2026, 3, 31);
  RecordFate fate = Fate("pd:Name", "mobile", purposes, At(2020, 4, 1), At(2028, 1, 1));
  EXPECT_EQ(fate.state, FateState::kKept);
  EXPECT_EQ(fate.purpose, "dpv:PaymentManagement");
  EXPECT_EQ(*fate.deadline, At(2033, 4, 1));
}

TEST_F(RetentionTest, OnePurposeStillWaitingForItsAnchorKeepsTheRecord) {
  // Usage charging ended long ago, but payment management waits for the
  // contract's end.
  const std::vector<std::string> purposes = {"mamori:UsageCharging", "dpv:PaymentManagement"};
  RecordFate fate =
      Fate("mamori:ContractNumber", "mobile", purposes, At(2020, 4, 1), At(2030, 1, 1));
  EXPECT_EQ(fate.state, FateState::kKept);
  EXPECT_EQ(fate.purpose, "dpv:PaymentManagement");
  EXPECT_FALSE(fate.deadline.has_value());
}

TEST_F(RetentionTest, LastUseAnchorMovesWithEachUse) {
  const std::vector<std::string> purposes = {"dpv:Marketing"};
  EXPECT_EQ(*Fate("pd:EmailAddress", "mobile", purposes, At(2024, 1, 10), At(2024, 2, 1)).deadline,
            At(2026, 1, 11));
  facts_.last_uses["dpv:Marketing"] = At(2025, 6, 1, 9, 0);
  EXPECT_EQ(*Fate("pd:EmailAddress", "mobile", purposes, At(2024, 1, 10), At(2026, 2, 1)).deadline,
            At(2027, 6, 2));
  // A use for another purpose does not move it.
  facts_.last_uses.clear();
  facts_.last_uses["dpv:CustomerCare"] = At(2025, 6, 1);
  EXPECT_EQ(Fate("pd:EmailAddress", "mobile", purposes, At(2024, 1, 10), At(2026, 2, 1)).state,
            FateState::kDue);
}

TEST_F(RetentionTest, LegalHoldKeepsADueRecordUntilItEnds) {
  const std::vector<std::string> purposes = {"mamori:UsageCharging"};
  facts_.holds.push_back({"hld_1", std::nullopt, At(2027, 1, 1)});
  RecordFate held = Fate("pd:CallLog", "mobile", purposes, At(2026, 1, 5), At(2026, 12, 1));
  EXPECT_EQ(held.state, FateState::kHeld);
  EXPECT_EQ(held.hold_id, "hld_1");
  EXPECT_EQ(Fate("pd:CallLog", "mobile", purposes, At(2026, 1, 5), At(2027, 1, 1)).state,
            FateState::kDue);
}

TEST_F(RetentionTest, CategoryHoldKeepsOnlyThatCategory) {
  const std::vector<std::string> purposes = {"mamori:UsageCharging"};
  facts_.holds.push_back({"hld_2", std::string("mamori:ConnectionLog"), At(2030, 1, 1)});
  EXPECT_EQ(Fate("pd:CallLog", "mobile", purposes, At(2026, 1, 5), At(2026, 12, 1)).state,
            FateState::kDue);
  EXPECT_EQ(Fate("mamori:ConnectionLog", "mobile", purposes, At(2026, 1, 5), At(2026, 12, 1)).state,
            FateState::kHeld);
}

TEST_F(RetentionTest, AHoldDoesNotMatterBeforeTheDeadline) {
  const std::vector<std::string> purposes = {"mamori:UsageCharging"};
  facts_.holds.push_back({"hld_3", std::nullopt, At(2030, 1, 1)});
  EXPECT_EQ(Fate("pd:CallLog", "mobile", purposes, At(2026, 1, 5), At(2026, 2, 1)).state,
            FateState::kKept);
}

TEST_F(RetentionTest, APurposeThePolicyNoLongerDeclaresKeepsNothing) {
  const std::vector<std::string> purposes = {"mamori:Withdrawn"};
  RecordFate fate = Fate("pd:Name", "mobile", purposes, At(2026, 1, 5), At(2026, 1, 6));
  EXPECT_EQ(fate.state, FateState::kDue);
  EXPECT_EQ(*fate.deadline, At(2026, 1, 5));
}

TEST_F(RetentionTest, FateStateNames) {
  EXPECT_EQ(FateStateName(FateState::kKept), "kept");
  EXPECT_EQ(FateStateName(FateState::kDue), "due");
  EXPECT_EQ(FateStateName(FateState::kHeld), "held");
}

}  // namespace
}  // namespace mamori::retention
