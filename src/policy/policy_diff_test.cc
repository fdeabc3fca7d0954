#include "policy/policy_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "policy/policy_test_util.h"

namespace mamori::policy {
namespace {

using nlohmann::json;

class PolicyDiffTest : public ::testing::Test {
 protected:
  void SetUp() override { before_ = testing::LoadExample(); }
  Policy before_;
};

TEST_F(PolicyDiffTest, SamePolicyHasNoChanges) {
  json d = DiffPolicies(before_, before_);
  EXPECT_EQ(d, json({{"operator_changed", false}, {"name_changed", false}}));
  EXPECT_EQ(DiffSummary(d), "no changes");
}

TEST_F(PolicyDiffTest, AddedRemovedAndChangedPurposes) {
  Policy after = before_;
  after.purposes.push_back(after.purposes[0]);
  after.purposes.back().id = "x:NewPurpose";
  after.purposes.erase(after.purposes.begin() + 1);  // dpv:PaymentManagement
  after.purposes[0].announcement_en = "Changed text.";
  after.FindCategory("pd:Name");  // unchanged look-up, no effect
  json d = DiffPolicies(before_, after);
  EXPECT_EQ(d["purposes"]["added"], json({"x:NewPurpose"}));
  EXPECT_EQ(d["purposes"]["removed"], json({"dpv:PaymentManagement"}));
  EXPECT_EQ(d["purposes"]["changed"], json({"dpv:ServiceProvision"}));
  EXPECT_FALSE(d.contains("categories"));
  EXPECT_FALSE(d["operator_changed"].get<bool>());
  EXPECT_EQ(DiffSummary(d), "purposes: +1 -1 ~1");
}

TEST_F(PolicyDiffTest, PurposesChangedWithoutRelationNeedConsentForDataHeldBefore) {
  Policy after = before_;
  after.purposes.push_back(after.purposes[0]);
  after.purposes.back().id = "x:NewPurpose";  // new: data held before never had it
  Purpose& service = *std::find_if(after.purposes.begin(), after.purposes.end(),
                                   [](const Purpose& p) { return p.id == "dpv:ServiceProvision"; });
  service.announcement_ja += "（変更）";
  Purpose& care = *std::find_if(after.purposes.begin(), after.purposes.end(),
                                [](const Purpose& p) { return p.id == "dpv:CustomerCare"; });
  care.categories.push_back("pd:Location");
  Purpose& marketing = *std::find_if(after.purposes.begin(), after.purposes.end(),
                                     [](const Purpose& p) { return p.id == "dpv:Marketing"; });
  marketing.announcement_en = "Changed, but reasonably related.";
  marketing.change_reasonably_related = true;
  Purpose& billing =
      *std::find_if(after.purposes.begin(), after.purposes.end(),
                    [](const Purpose& p) { return p.id == "dpv:PaymentManagement"; });
  billing.name_en = "Billing";  // a new name is not a new meaning
  std::reverse(billing.categories.begin(), billing.categories.end());  // nor is a new order
  after.BuildIndex();
  EXPECT_EQ(PurposesChangedWithoutRelation(before_, after),
            (std::set<std::string>{"dpv:CustomerCare", "dpv:ServiceProvision"}));
  EXPECT_TRUE(PurposesChangedWithoutRelation(before_, before_).empty());
  EXPECT_TRUE(PurposeMeaningChanged(*before_.FindPurpose("dpv:Marketing"), marketing));
  EXPECT_FALSE(PurposeMeaningChanged(*before_.FindPurpose("dpv:PaymentManagement"), billing));
}

TEST_F(PolicyDiffTest, ChangedCategoryAndOperator) {
  Policy after = before_;
  after.categories[0].legal_class = LegalClass::kSpecialCare;
  after.purposes[2].categories.push_back("pd:Name");
  after.purposes[3].requires_consent = true;
  after.operator_info.complaint_desk = "0120-999-999";
  json d = DiffPolicies(before_, after);
  EXPECT_TRUE(d["operator_changed"].get<bool>());
  EXPECT_EQ(d["categories"]["changed"], json({after.categories[0].id}));
  EXPECT_EQ(d["categories"]["added"], json::array());
  EXPECT_EQ(d["purposes"]["changed"], json({after.purposes[2].id, after.purposes[3].id}));
  EXPECT_EQ(DiffSummary(d), "operator: changed; purposes: ~2; categories: ~1");
}

TEST_F(PolicyDiffTest, RequestSettingsAndStatutoryRetention) {
  Policy after = before_;
  after.requests.service_level_days["disclosure"] = 10;
  for (RetentionRule& r : after.retention) {
    if (r.id == "marketing-2y") r.statutory = "a new law";
  }
  json d = DiffPolicies(before_, after);
  EXPECT_TRUE(d["requests_changed"].get<bool>());
  EXPECT_EQ(d["retention"]["changed"], json({"marketing-2y"}));
  EXPECT_EQ(DiffSummary(d), "requests: changed; retention: ~1");
}

TEST_F(PolicyDiffTest, OtherKinds) {
  Policy after = before_;
  after.retention[0].maximum = Period{.years = 2};
  after.roles.pop_back();
  after.courses.push_back({.id = "new-course", .name = "新研修", .valid_days = 180});
  after.joint_uses[0].users.pop_back();
  after.trustees[0].audit_interval_days = 180;
  after.recipients.clear();
  after.services[1].purposes.pop_back();
  after.group_companies[0].representative = "代表取締役 新任";
  after.name = "v2";
  json d = DiffPolicies(before_, after);
  EXPECT_EQ(d["retention"]["changed"], json({before_.retention[0].id}));
  EXPECT_EQ(d["roles"]["removed"], json({before_.roles.back().id}));
  EXPECT_EQ(d["courses"]["added"], json({"new-course"}));
  EXPECT_EQ(d["joint_uses"]["changed"], json({"group-fraud-prevention"}));
  EXPECT_EQ(d["trustees"]["changed"], json({before_.trustees[0].id}));
  EXPECT_EQ(d["recipients"]["removed"], json({"hikari-servicer"}));
  EXPECT_EQ(d["services"]["changed"], json({"fiber"}));
  EXPECT_EQ(d["group_companies"]["changed"], json({"mirai-shop"}));
  EXPECT_TRUE(d["name_changed"].get<bool>());
  EXPECT_EQ(DiffSummary(d),
            "services: ~1; retention: ~1; joint_uses: ~1; trustees: ~1; recipients: +0 -1; "
            "roles: +0 -1; courses: +1 -0; group_companies: ~1; name: changed");
}

TEST_F(PolicyDiffTest, ReorderingIsNotAChange) {
  Policy after = before_;
  std::swap(after.categories[0], after.categories[1]);
  EXPECT_EQ(DiffSummary(DiffPolicies(before_, after)), "no changes");
}

// --- Joint-use changes (Art. 27(6)) ------------------------------------------

class JointUseChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    before_ = testing::LoadExample();
    ASSERT_FALSE(before_.joint_uses.empty());
    before_.joint_uses[0].notice_date = absl::CivilDay(2025, 3, 1);
  }
  JointUse& Declaration(Policy& p) { return p.joint_uses[0]; }
  Policy before_;
};

TEST_F(JointUseChangeTest, SamePolicyIsAccepted) {
  EXPECT_TRUE(CheckJointUseChange(before_, before_).ok());
}

TEST_F(JointUseChangeTest, WideningItemsIsRefused) {
  Policy after = before_;
  Declaration(after).items.push_back("pd:EmailAddress");
  absl::Status s = CheckJointUseChange(before_, after);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "joint use \"group-fraud-prevention\": items cannot be widened for data already held "
            "(APPI Art. 27(6))");
}

TEST_F(JointUseChangeTest, WideningUsersIsRefused) {
  Policy narrow = before_;
  Declaration(narrow).users.pop_back();
  absl::Status s = CheckJointUseChange(narrow, before_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "joint use \"group-fraud-prevention\": users cannot be widened for data already held "
            "(APPI Art. 27(6))");
}

TEST_F(JointUseChangeTest, NarrowingItemsAndUsersIsAccepted) {
  Policy after = before_;
  Declaration(after).items.pop_back();
  Declaration(after).users.pop_back();
  EXPECT_TRUE(CheckJointUseChange(before_, after).ok());
}

TEST_F(JointUseChangeTest, ReorderingIsNoChange) {
  Policy two_purposes = before_;
  Declaration(two_purposes).purposes.push_back("dpv:CustomerCare");
  Policy reordered = two_purposes;
  std::reverse(Declaration(reordered).items.begin(), Declaration(reordered).items.end());
  std::reverse(Declaration(reordered).users.begin(), Declaration(reordered).users.end());
  std::reverse(Declaration(reordered).purposes.begin(), Declaration(reordered).purposes.end());
  EXPECT_TRUE(CheckJointUseChange(two_purposes, reordered).ok());
}

TEST_F(JointUseChangeTest, ResponsiblePartyChangeNeedsANoticeDate) {
  Policy after = before_;
  Declaration(after).responsible.representative = "代表取締役社長 山本 三郎";
  Declaration(after).notice_date.reset();
  absl::Status s = CheckJointUseChange(before_, after);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "joint use \"group-fraud-prevention\": responsible party changed; needs notice_date, "
            "the date of the prior notice of the change (APPI Art. 27(6))");
  Declaration(after).notice_date = absl::CivilDay(2025, 5, 1);
  EXPECT_TRUE(CheckJointUseChange(before_, after).ok());
}

TEST_F(JointUseChangeTest, PurposeChangeNeedsANewNoticeDate) {
  Policy after = before_;
  Declaration(after).purposes.push_back("dpv:CustomerCare");
  absl::Status s = CheckJointUseChange(before_, after);  // notice_date unchanged
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "joint use \"group-fraud-prevention\": purposes changed; needs notice_date later than "
            "the previous version's 2025-03-01, the date of the prior notice of this change "
            "(APPI Art. 27(6))");
  Declaration(after).notice_date = absl::CivilDay(2025, 2, 1);  // earlier: not a new notice
  EXPECT_EQ(CheckJointUseChange(before_, after).code(), absl::StatusCode::kInvalidArgument);
  Declaration(after).notice_date = absl::CivilDay(2025, 4, 1);
  EXPECT_TRUE(CheckJointUseChange(before_, after).ok());

  // A first notice_date on a declaration that had none.
  Policy undated = before_;
  Declaration(undated).notice_date.reset();
  EXPECT_TRUE(CheckJointUseChange(undated, after).ok());
}

TEST_F(JointUseChangeTest, EveryProblemIsReported) {
  Policy after = before_;
  Declaration(after).items.push_back("pd:EmailAddress");
  Declaration(after).purposes.clear();
  Declaration(after).purposes.push_back("dpv:CustomerCare");
  Declaration(after).responsible.name = "株式会社みらいホールディングス";
  Declaration(after).notice_date.reset();
  absl::Status s = CheckJointUseChange(before_, after);
  EXPECT_EQ(s.message(),
            "joint use \"group-fraud-prevention\": items cannot be widened for data already held "
            "(APPI Art. 27(6))\n"
            "joint use \"group-fraud-prevention\": responsible party and purposes changed; needs "
            "notice_date, the date of the prior notice of the change (APPI Art. 27(6))");
}

TEST_F(JointUseChangeTest, AddingAndRemovingDeclarationsIsAccepted) {
  Policy removed = before_;
  removed.joint_uses.clear();
  EXPECT_TRUE(CheckJointUseChange(before_, removed).ok());
  Policy added = before_;
  added.joint_uses.push_back(before_.joint_uses[0]);
  added.joint_uses.back().id = "group-care";
  added.joint_uses.back().items.push_back("pd:EmailAddress");
  EXPECT_TRUE(CheckJointUseChange(before_, added).ok());
}

TEST(DiffSummaryTest, ExampleFromTheSpecification) {
  json d = {
      {"operator_changed", false},
      {"name_changed", false},
      {"purposes", {{"added", {"a"}}, {"removed", json::array()}, {"changed", {"b", "c"}}}},
      {"categories", {{"added", json::array()}, {"removed", json::array()}, {"changed", {"d"}}}}};
  EXPECT_EQ(DiffSummary(d), "purposes: +1 -0 ~2; categories: ~1");
  EXPECT_EQ(DiffSummary(json::object()), "no changes");
}

}  // namespace
}  // namespace mamori::policy
