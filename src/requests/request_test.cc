// Tests of request kinds, due times, extensions, overdue detection and the
// request's JSON (request.h). The transitions themselves are table tests in
// transitions_test.cc.
#include "requests/request.h"

#include <gtest/gtest.h>

#include "absl/time/civil_time.h"

namespace mamori::requests {
namespace {

using nlohmann::json;

class RequestTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(absl::LoadTimeZone("Asia/Tokyo", &tokyo_)); }

  absl::Time Tokyo(int y, int m, int d, int hh = 0, int mm = 0) const {
    return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), tokyo_);
  }

  RequestState Received(RequestKind kind, absl::Time at, const ServiceLevels& levels = {}) {
    absl::StatusOr<RequestState> r =
        NewRequest({.id = "req_1",
                    .kind = kind,
                    .identifiers = {{policy::IdentifierKind::kContract, "C-1029"},
                                    {policy::IdentifierKind::kBirthDate, "1980-04-01"}},
                    .received_at = at},
                   levels, tokyo_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(RequestState{});
  }

  absl::TimeZone tokyo_;
};

TEST_F(RequestTest, NamesRoundTrip) {
  for (RequestKind kind : kRequestKinds) {
    EXPECT_EQ(ParseRequestKind(RequestKindName(kind)).value(), kind);
    EXPECT_FALSE(RequestKindArticle(kind).empty());
  }
  for (RequestStatus status : kRequestStatuses) {
    EXPECT_EQ(ParseRequestStatus(RequestStatusName(status)).value(), status);
  }
  for (RefusalGround ground : kRefusalGrounds) {
    EXPECT_EQ(ParseRefusalGround(RefusalGroundName(ground)).value(), ground);
    EXPECT_FALSE(RefusalGroundArticle(ground).empty());
    EXPECT_FALSE(RefusalGroundText(ground, notice::Language::kJa).empty());
    EXPECT_FALSE(RefusalGroundText(ground, notice::Language::kEn).empty());
  }
  EXPECT_EQ(ParseAgentKind("legal_representative").value(), AgentKind::kLegalRepresentative);
  EXPECT_EQ(ParseGivenIdentifierKind("birth_date").value(), policy::IdentifierKind::kBirthDate);
  EXPECT_EQ(ParseGivenIdentifierKind("none").status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<RequestKind> bad = ParseRequestKind("erasure");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("stop_provision"), absl::string_view::npos);
}

TEST_F(RequestTest, StableCodes) {
  EXPECT_EQ(RequestKindName(RequestKind::kPurposeNotice), "purpose_notice");
  EXPECT_EQ(RequestKindName(RequestKind::kStopProvision), "stop_provision");
  EXPECT_EQ(RequestStatusName(RequestStatus::kInProgress), "in_progress");
  EXPECT_EQ(RefusalGroundName(RefusalGround::kHarmToPersonOrOthers), "harm_to_person_or_others");
  EXPECT_EQ(RefusalGroundName(RefusalGround::kBusinessHindrance), "business_hindrance");
  EXPECT_EQ(RefusalGroundName(RefusalGround::kOtherLaw), "other_law");
  EXPECT_EQ(RefusalGroundName(RefusalGround::kDataCorrect), "data_correct");
  EXPECT_EQ(RefusalGroundName(RefusalGround::kNoCessationGround), "no_cessation_ground");
  EXPECT_EQ(RefusalGroundName(RefusalGround::kOther), "other");
}

TEST_F(RequestTest, DueAcrossTheEndOfAMonthInTokyo) {
  // Received at 23:30 on Thursday 22 January 2026, Tokyo: that day is day 0,
  // so 14 days run through 5 February.
  const absl::Time received = Tokyo(2026, 1, 22, 23, 30);
  EXPECT_EQ(DueAt(received, RequestKind::kDisclosure, {}, tokyo_), Tokyo(2026, 2, 6));
  // Received on 31 January: through 14 February.
  EXPECT_EQ(DueAt(Tokyo(2026, 1, 31, 9, 0), RequestKind::kDisclosure, {}, tokyo_),
            Tokyo(2026, 2, 15));
  // 20 February + 14 days: February has 28 days in 2026, so through 6 March.
  EXPECT_EQ(DueAt(Tokyo(2026, 2, 20, 12, 0), RequestKind::kDeletion, {}, tokyo_),
            Tokyo(2026, 3, 7));
  // 0:00 exactly is already the day itself.
  EXPECT_EQ(DueAt(Tokyo(2026, 1, 31), RequestKind::kDisclosure, {}, tokyo_), Tokyo(2026, 2, 15));
}

TEST_F(RequestTest, TheDayOfReceiptIsTheOperatorsDay) {
  // 15:30 UTC on 31 January is 00:30 on 1 February in Tokyo: day 0 is
  // 1 February, so 14 days run through 15 February (Tokyo).
  const absl::Time received =
      absl::FromCivil(absl::CivilMinute(2026, 1, 31, 15, 30), absl::UTCTimeZone());
  EXPECT_EQ(DueAt(received, RequestKind::kDisclosure, {}, tokyo_), Tokyo(2026, 2, 16));
  // Counted in UTC, the same moment would be due a day earlier.
  EXPECT_EQ(DueAt(received, RequestKind::kDisclosure, {}, absl::UTCTimeZone()),
            absl::FromCivil(absl::CivilDay(2026, 2, 15), absl::UTCTimeZone()));
}

TEST_F(RequestTest, ServiceLevelsPerKind) {
  ServiceLevels levels;
  for (RequestKind kind : kRequestKinds) EXPECT_EQ(levels.DaysFor(kind), 14);
  levels.purpose_notice = 7;
  levels.stop_provision = 30;
  const absl::Time received = Tokyo(2026, 1, 29, 10, 0);
  EXPECT_EQ(DueAt(received, RequestKind::kPurposeNotice, levels, tokyo_), Tokyo(2026, 2, 6));
  EXPECT_EQ(DueAt(received, RequestKind::kStopProvision, levels, tokyo_), Tokyo(2026, 3, 1));
  EXPECT_EQ(DueAt(received, RequestKind::kDisclosure, levels, tokyo_), Tokyo(2026, 2, 13));
  EXPECT_TRUE(ValidateServiceLevels(levels).ok());
  levels.correction = 0;
  const absl::Status s = ValidateServiceLevels(levels);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("correction"), absl::string_view::npos);
}

TEST_F(RequestTest, NewRequestChecksItsIntake) {
  const RequestState r = Received(RequestKind::kDisclosure, Tokyo(2026, 1, 29, 10, 0));
  EXPECT_EQ(r.status, RequestStatus::kReceived);
  EXPECT_EQ(r.verification, VerificationState::kUnverified);
  EXPECT_EQ(r.due, Tokyo(2026, 2, 13));
  EXPECT_FALSE(IsOverdue(r, Tokyo(2026, 2, 12, 23, 59)));

  RequestIntake intake{.id = "req_2", .kind = RequestKind::kDisclosure};
  EXPECT_EQ(NewRequest(intake, {}, tokyo_).status().code(), absl::StatusCode::kInvalidArgument);
  intake.identifiers = {{policy::IdentifierKind::kPhone, ""}};
  EXPECT_EQ(NewRequest(intake, {}, tokyo_).status().code(), absl::StatusCode::kInvalidArgument);
  intake.identifiers = {{policy::IdentifierKind::kNone, "x"}};
  EXPECT_EQ(NewRequest(intake, {}, tokyo_).status().code(), absl::StatusCode::kInvalidArgument);
  intake.identifiers = {{policy::IdentifierKind::kPhone, "+819012345678"}};
  intake.agent = Agent{.kind = AgentKind::kLegalRepresentative, .name = ""};
  EXPECT_EQ(NewRequest(intake, {}, tokyo_).status().code(), absl::StatusCode::kInvalidArgument);
  intake.agent->name = "山田 花子";
  absl::StatusOr<RequestState> by_agent = NewRequest(intake, {}, tokyo_);
  ASSERT_TRUE(by_agent.ok()) << by_agent.status();
  ASSERT_TRUE(by_agent->agent.has_value());
  EXPECT_EQ(by_agent->agent->kind, AgentKind::kLegalRepresentative);
  intake.id = "";
  EXPECT_EQ(NewRequest(intake, {}, tokyo_).status().code(), absl::StatusCode::kInvalidArgument);
  intake.id = "req_3";
  EXPECT_EQ(NewRequest(intake, ServiceLevels{.disclosure = -1}, tokyo_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RequestTest, ExtensionMovesTheDueDayAndRecordsItsNotice) {
  const RequestState r = Received(RequestKind::kDisclosure, Tokyo(2026, 1, 29, 10, 0));
  ASSERT_EQ(r.due, Tokyo(2026, 2, 13));  // through 12 February
  absl::StatusOr<Transition> t =
      Extend(r, 20, "seven years of call records are archived off line",
             "We will answer by 4 March.", Tokyo(2026, 2, 10, 15, 0), tokyo_);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->state.due, Tokyo(2026, 3, 5));  // through 4 March
  ASSERT_EQ(t->state.extensions.size(), 1u);
  const Extension& e = t->state.extensions[0];
  EXPECT_EQ(e.days, 20);
  EXPECT_EQ(e.previous_due, Tokyo(2026, 2, 13));
  EXPECT_EQ(e.new_due, Tokyo(2026, 3, 5));
  EXPECT_EQ(e.noticed_at, Tokyo(2026, 2, 10, 15, 0));
  EXPECT_EQ(e.notice, "We will answer by 4 March.");
  EXPECT_FALSE(IsOverdue(t->state, Tokyo(2026, 2, 20)));
  // A second extension counts from the extended due day.
  absl::StatusOr<Transition> again =
      Extend(t->state, 1, "the archive is offline", "One more day.", Tokyo(2026, 3, 4), tokyo_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state.due, Tokyo(2026, 3, 6));
  EXPECT_EQ(again->state.extensions.size(), 2u);
  // Noticed at the due time: too late.
  absl::StatusOr<Transition> late = Extend(r, 7, "reason", "notice", Tokyo(2026, 2, 13), tokyo_);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RequestTest, AFailedExecutionKeepsTheRequestAndItsDeadline) {
  RequestState r = Received(RequestKind::kDeletion, Tokyo(2026, 1, 29, 10, 0));
  r = MarkVerified(r, "sub_A")->state;
  r = Approve(r)->state;
  const absl::Time due = r.due;
  absl::StatusOr<Transition> failed = Fail(r, "key store locked");
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state.status, RequestStatus::kInProgress);
  EXPECT_EQ(failed->state.due, due);
  EXPECT_EQ(failed->state.error, "key store locked");
  EXPECT_EQ(failed->state.subject_id, "sub_A");
  // Still overdue-tracked while it waits.
  EXPECT_TRUE(IsOverdue(failed->state, due));
  EXPECT_EQ(Complete(failed->state, {.summary = "deleted"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<Transition> retried = Retry(failed->state);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->state.error, std::nullopt);
  EXPECT_EQ(retried->state.failures, 1);
  absl::StatusOr<Transition> done =
      Complete(retried->state, {.summary = "deleted the wrong address",
                                .kept = {{"pd:CallLog", "Art. 29 provision record"}}});
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state.status, RequestStatus::kCompleted);
  EXPECT_FALSE(IsOverdue(done->state, due + absl::Hours(100)));
}

TEST_F(RequestTest, VerifyAndApproveAreIdempotent) {
  RequestState r = Received(RequestKind::kDisclosure, Tokyo(2026, 1, 29, 10, 0));
  absl::StatusOr<Transition> v1 = MarkVerified(r, "sub_A");
  ASSERT_TRUE(v1.ok());
  EXPECT_TRUE(v1->changed);
  absl::StatusOr<Transition> v2 = MarkVerified(v1->state, "sub_A");
  ASSERT_TRUE(v2.ok());
  EXPECT_FALSE(v2->changed);
  EXPECT_EQ(v2->state, v1->state);
  absl::StatusOr<Transition> a1 = Approve(v2->state);
  ASSERT_TRUE(a1.ok());
  EXPECT_TRUE(a1->changed);
  absl::StatusOr<Transition> a2 = Approve(a1->state);
  ASSERT_TRUE(a2.ok());
  EXPECT_FALSE(a2->changed);
  EXPECT_EQ(a2->state, a1->state);
  // Approving a refused request is not.
  RequestState refused =
      Refuse(v1->state, RefusalGround::kOtherLaw, "Disclosure is barred by the court order.")
          ->state;
  absl::StatusOr<Transition> a3 = Approve(refused);
  ASSERT_FALSE(a3.ok());
  EXPECT_EQ(a3.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(a3.status().message(), "cannot approve request req_1: it is refused");
}

TEST_F(RequestTest, OverdueOnlyWhileOpenFromTheDueTime) {
  const RequestState r = Received(RequestKind::kStopUse, Tokyo(2026, 1, 29, 10, 0));
  EXPECT_FALSE(IsOverdue(r, r.due - absl::Nanoseconds(1)));
  EXPECT_TRUE(IsOverdue(r, r.due));
  const RequestState withdrawn = Withdraw(r)->state;
  EXPECT_FALSE(IsOverdue(withdrawn, r.due + absl::Hours(1)));
}

TEST_F(RequestTest, Json) {
  RequestState r = Received(RequestKind::kDisclosure, Tokyo(2026, 1, 29, 10, 0));
  r.agent = Agent{.kind = AgentKind::kAuthorizedProxy, .name = "Sato Law Office", .contact = ""};
  r = MarkVerified(r, "sub_A")->state;
  r = Refuse(r, RefusalGround::kHarmToPersonOrOthers, "The records name a protected third party.")
          ->state;
  EXPECT_EQ(RequestToJson(r), json::parse(R"json({
    "id": "req_1", "kind": "disclosure", "article": "Art. 33",
    "identifiers": [{"kind": "contract", "value": "C-1029"},
                    {"kind": "birth_date", "value": "1980-04-01"}],
    "agent": {"kind": "authorized_proxy", "name": "Sato Law Office", "contact": ""},
    "details": "", "received_at": "2026-01-29T01:00:00Z", "due": "2026-02-12T15:00:00Z",
    "extensions": [], "status": "refused", "verification": "verified", "subject_id": "sub_A",
    "assignee": null, "outcome": null,
    "refusal": {"ground": "harm_to_person_or_others", "article": "Art. 33(2)(i)",
                "text": "The records name a protected third party."},
    "error": null, "failures": 0})json"));
}

}  // namespace
}  // namespace mamori::requests
