#include "requests/execution.h"

#include <gtest/gtest.h>

#include "policy/policy.h"

namespace mamori::requests {
namespace {

class ExecutionTest : public ::testing::Test {
 protected:
  ExecutionTest() {
    policy_.courses.push_back({"privacy", "Privacy", 365});
    policy_.roles.push_back({"desk", "Request desk", {}, {}, {"requests"}, {"privacy"}, {}});
    policy_.roles.push_back({"agent", "Agent", {}, {}, {}, {"privacy"}, {}});
    request_.id = "req_1";
    request_.kind = RequestKind::kDisclosure;
    request_.status = RequestStatus::kInProgress;
    request_.verification = VerificationState::kVerified;
    request_.subject_id = "sub_1";
    actor_ = {"emp:desk", {"desk"}, {{"privacy", now_ - absl::Hours(24)}}};
  }

  policy::Decision Decide() { return DecideExecution(policy_, actor_, request_, now_); }

  policy::Policy policy_;
  RequestState request_;
  policy::ActorFacts actor_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(ExecutionTest, AllowsAVerifiedApprovedRequestForTheRequestsDesk) {
  policy::Decision d = Decide();
  EXPECT_EQ(d.outcome, policy::Outcome::kAllow);
  EXPECT_EQ(d.reason_code, "allowed");
  EXPECT_EQ(d.rule_id, "appi.33");
  EXPECT_EQ(d.legal_basis, "request:disclosure");
}

TEST_F(ExecutionTest, RuleFollowsTheKind) {
  request_.kind = RequestKind::kStopProvision;
  EXPECT_EQ(Decide().rule_id, "appi.35");
  request_.kind = RequestKind::kPurposeNotice;
  EXPECT_EQ(Decide().rule_id, "appi.32.2");
  request_.kind = RequestKind::kCorrection;
  EXPECT_EQ(Decide().rule_id, "appi.34");
  EXPECT_EQ(ExecutionPurpose(RequestKind::kCorrection), "request:correction");
}

TEST_F(ExecutionTest, DeniesAnUnverifiedRequest) {
  request_.verification = VerificationState::kCannotVerify;
  policy::Decision d = Decide();
  EXPECT_EQ(d.outcome, policy::Outcome::kDeny);
  EXPECT_EQ(d.reason_code, "request_not_verified");
  EXPECT_EQ(d.rule_id, "appi.37");
}

TEST_F(ExecutionTest, DeniesARequestNotApproved) {
  request_.status = RequestStatus::kVerifying;
  EXPECT_EQ(Decide().reason_code, "request_not_approved");
}

TEST_F(ExecutionTest, DeniesAnActorWithoutTheRequestsPermission) {
  actor_.roles = {"agent"};
  policy::Decision d = Decide();
  EXPECT_EQ(d.reason_code, "no_requests_permission");
  EXPECT_EQ(d.rule_id, "appi.23");
  actor_.roles = {"unknown-role"};
  EXPECT_EQ(Decide().reason_code, "no_requests_permission");
}

TEST_F(ExecutionTest, DeniesMissingOrExpiredTraining) {
  actor_.completed_courses.clear();
  EXPECT_EQ(Decide().reason_code, "training_missing");
  EXPECT_EQ(Decide().rule_id, "appi.24");
  actor_.completed_courses = {{"privacy", now_ - absl::Hours(24 * 400)}};
  EXPECT_EQ(Decide().reason_code, "training_expired");
  // A completion in the future does not count.
  actor_.completed_courses = {{"privacy", now_ + absl::Hours(1)}};
  EXPECT_EQ(Decide().reason_code, "training_missing");
}

TEST_F(ExecutionTest, OneRoleWithCurrentTrainingIsEnough) {
  policy_.courses.push_back({"secrecy", "Secrecy", 365});
  policy_.roles.push_back({"officer", "Officer", {}, {}, {"requests"}, {"secrecy"}, {}});
  actor_.roles = {"officer", "desk"};
  EXPECT_EQ(Decide().outcome, policy::Outcome::kAllow);
}

TEST_F(ExecutionTest, RulesAreInTheRuleTable) {
  for (RequestKind kind : kRequestKinds) {
    EXPECT_NE(policy::FindRule(ExecutionRule(kind)), nullptr) << ExecutionRule(kind);
  }
  EXPECT_NE(policy::FindRule("appi.37"), nullptr);
}

}  // namespace
}  // namespace mamori::requests
