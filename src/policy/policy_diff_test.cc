#include "policy/policy_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
