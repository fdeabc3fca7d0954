// Tests of customer requests and complaints in the engine
// (engine/requests.cc): every kind executed end to end on the example
// policy, verification through the blind indexes with the policy's
// factors, idempotent steps, what erasure keeps and why, failed executions
// that keep the request, denied executions, the submission limit, and
// complaints. The customer's words never reach the ledger.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_fixture.h"

namespace mamori::engine {
namespace {

using requests::RequestStatus;
using requests::VerificationState;
using ::testing::HasSubstr;

constexpr char kOfficer[] = "emp:officer";  // privacy-officer: "requests" permission
constexpr char kContract[] = "MT-0001-0001";
constexpr char kBirth[] = "1985-04-12";
constexpr char kDetails[] = "山田です。メールアドレスが古いので直してください";

class RequestEngineTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
    ASSERT_NO_FATAL_FAILURE(
        AddStaff(kOfficer, {"privacy-officer"}, {"privacy-annual", "secrecy-annual", "my-number"}));
  }

  // A mobile customer known by phone, contract and birth date (the
  // example policy's verification factors).
  std::string AddVerifiableCustomer() {
    vault::SubjectIdentifiers ids;
    ids.phone = kPhone;
    ids.contract = kContract;
    ids.birth_date = kBirth;
    return ValueOf(engine_->AddSubject(
        kAdmin, ids,
        {{.category = "pd:Name", .service = "mobile", .value = kName},
         {.category = "pd:TelephoneNumber", .service = "mobile", .value = kPhone},
         {.category = "pd:EmailAddress", .service = "mobile", .value = kEmail}}));
  }

  // A customer of the support desk only: inquiry history kept 3 years from
  // collection, nothing tied to a contract.
  std::string AddSupportOnlyCustomer(const std::string& phone) {
    vault::SubjectIdentifiers ids;
    ids.phone = phone;
    ids.contract = "MT-9999-0001";
    ids.birth_date = "1990-01-01";
    return ValueOf(engine_->AddSubject(kAdmin, ids,
                                       {{.category = "mamori:InquiryHistory",
                                         .service = "support",
                                         .value = "ローミングの問い合わせ"}}));
  }

  static std::vector<requests::GivenIdentifier> Identifiers(std::string phone = kPhone,
                                                            std::string birth = kBirth,
                                                            std::string contract = kContract) {
    return {{policy::IdentifierKind::kContract, contract},
            {policy::IdentifierKind::kPhone, phone},
            {policy::IdentifierKind::kBirthDate, birth}};
  }

  RequestReceipt SubmitKind(std::string kind, RequestSpec spec = {}) {
    spec.kind = std::move(kind);
    if (spec.identifiers.empty()) spec.identifiers = Identifiers();
    return ValueOf(engine_->SubmitRequest(std::move(spec)));
  }

  // Submits, verifies and approves; returns the final view.
  RequestView Run(std::string kind, RequestSpec spec = {}) {
    RequestReceipt receipt = SubmitKind(std::move(kind), std::move(spec));
    EXPECT_EQ(ValueOf(engine_->VerifyRequest(kOfficer, receipt.id)).state.verification,
              VerificationState::kVerified);
    return ValueOf(engine_->ApproveRequest(kOfficer, receipt.id));
  }

  std::vector<std::string> Find(const std::string& phone) {
    FindRequest find;
    find.actor = kAgent;
    find.purpose = "dpv:CustomerCare";
    find.kind = policy::IdentifierKind::kPhone;
    find.value = phone;
    return ValueOf(engine_->Find(find)).subjects;
  }

  std::vector<json> Trail(const RequestView& v) { return ValueOf(engine_->LedgerEntries(v.trail)); }
};

TEST_F(RequestEngineTest, DisclosureReturnsEveryRecordAndRecordsADecidedUse) {
  const std::string subject = AddVerifiableCustomer();
  ASSERT_TRUE(engine_->SetSubjectLanguage(kAdmin, subject, "en").ok());
  RequestSpec spec;
  spec.details = kDetails;
  spec.language = "en";
  RequestReceipt receipt = SubmitKind("disclosure", spec);
  EXPECT_FALSE(receipt.secret.empty());
  EXPECT_EQ(receipt.due,
            absl::FromCivil(absl::CivilDay(2026, 4, 16), ValueOf(engine_->TimeZone())));

  RequestView verified = ValueOf(engine_->VerifyRequest(kOfficer, receipt.id));
  EXPECT_EQ(verified.state.subject_id, subject);
  EXPECT_EQ(verified.options.verification_reason, "verified");
  RequestView done = ValueOf(engine_->ApproveRequest(kOfficer, receipt.id));
  EXPECT_EQ(done.state.status, RequestStatus::kCompleted);
  ASSERT_TRUE(done.result.has_value());
  std::vector<std::string> values;
  for (const json& r : (*done.result)["records"]) values.push_back(r["value"]);
  EXPECT_THAT(values, ::testing::UnorderedElementsAre(kName, kPhone, kEmail));
  EXPECT_EQ((*done.result)["records"][0]["service_name"], "Mirai Mobile");
  EXPECT_EQ((*done.result)["no_data_held"], false);
  EXPECT_EQ((*done.result)["chosen_language"], "en");  // held about them too

  // The trail: receipt, verification, approval, the decided use, completion.
  std::vector<std::string> steps;
  for (const json& e : Trail(done)) steps.push_back(e.value("change", e.value("action", "")));
  EXPECT_THAT(steps, ::testing::ElementsAre("request.receive", "request.verify", "request.approve",
                                            "request.disclosure", "request.complete"));
  json use = Trail(done)[3];
  EXPECT_EQ(use["kind"], "decision");
  EXPECT_EQ(use["outcome"], "allow");
  EXPECT_EQ(use["rule_id"], "appi.33");
  EXPECT_EQ(use["subject"], subject);
  EXPECT_EQ(use["actor"], kOfficer);
  EXPECT_EQ(use["records"].size(), 3u);

  // The customer sees it with the secret, and nothing without it.
  EXPECT_EQ(ValueOf(engine_->PublicRequest(receipt.id, receipt.secret)).state.status,
            RequestStatus::kCompleted);
  EXPECT_EQ(engine_->PublicRequest(receipt.id, "wrong").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->PublicRequest("req_unknown", receipt.secret).status().code(),
            absl::StatusCode::kNotFound);
  ExpectNoPersonalValuesInLedger();
  std::string all;
  for (const std::string& e : EntryBytes()) all += e;
  EXPECT_EQ(all.find(kContract), std::string::npos);
  EXPECT_EQ(all.find(kDetails), std::string::npos);
  EXPECT_TRUE(Verify().ok);

  // Kept across a restart, sealed.
  ASSERT_NO_FATAL_FAILURE(Restart());
  RequestView again = ValueOf(engine_->GetRequest(receipt.id));
  EXPECT_EQ(again.state, done.state);
  EXPECT_EQ(again.state.details, kDetails);
  EXPECT_EQ(again.result, done.result);
}

TEST_F(RequestEngineTest, NoDataHeldIsAnAnswer) {
  AddVerifiableCustomer();
  const std::string other = AddSupportOnlyCustomer("080-5555-0001");
  RequestView erased =
      Run("deletion", {.identifiers = Identifiers("080-5555-0001", "1990-01-01", "MT-9999-0001")});
  ASSERT_EQ(erased.state.status, RequestStatus::kCompleted);
  // Nothing of the person is left, so nothing can verify them again.
  RequestReceipt receipt = SubmitKind(
      "disclosure", {.identifiers = Identifiers("080-5555-0001", "1990-01-01", "MT-9999-0001")});
  EXPECT_EQ(ValueOf(engine_->VerifyRequest(kOfficer, receipt.id)).state.verification,
            VerificationState::kCannotVerify);
  EXPECT_TRUE(Find("080-5555-0001").empty());
  (void)other;
}

TEST_F(RequestEngineTest, VerificationNeedsEveryFactorOfTheSamePerson) {
  const std::string subject = AddVerifiableCustomer();
  AddSupportOnlyCustomer("080-5555-0001");
  struct Case {
    std::vector<requests::GivenIdentifier> given;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {Identifiers(kPhone, "1985-04-13"), "no_match"},
      {Identifiers("080-5555-0001"), "different_subjects"},
      {{{policy::IdentifierKind::kPhone, kPhone}}, "missing_factor"},
      {Identifiers("not a phone"), "no_match"},
  };
  for (const Case& c : cases) {
    RequestReceipt receipt = SubmitKind("disclosure", {.identifiers = c.given});
    RequestView v = ValueOf(engine_->VerifyRequest(kOfficer, receipt.id));
    EXPECT_EQ(v.state.verification, VerificationState::kCannotVerify) << c.reason;
    EXPECT_EQ(v.options.verification_reason, c.reason);
    EXPECT_TRUE(v.state.subject_id.empty());
    // Never executed: approval needs a verified requester.
    EXPECT_EQ(engine_->ApproveRequest(kOfficer, receipt.id).status().code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_FALSE(ValueOf(engine_->GetRequest(receipt.id)).result.has_value());
  }
  // Born the same day as the customer: the birth date is shared, the
  // contract and the phone are not.
  vault::SubjectIdentifiers twin;
  twin.phone = "080-7777-0000";
  twin.contract = "MT-0002-0002";
  twin.birth_date = kBirth;
  ValueOf(engine_->AddSubject(kAdmin, twin, {}));
  // Spelled differently, the same person.
  RequestReceipt receipt = SubmitKind(
      "disclosure", {.identifiers = Identifiers("+81 90-1234-5678", kBirth, "mt-0001-0001")});
  EXPECT_EQ(ValueOf(engine_->VerifyRequest(kOfficer, receipt.id)).state.subject_id, subject);
}

TEST_F(RequestEngineTest, VerifyAndApproveAreIdempotent) {
  AddVerifiableCustomer();
  RequestReceipt receipt = SubmitKind("purpose_notice");
  ValueOf(engine_->VerifyRequest(kOfficer, receipt.id));
  const int64_t after_verify = Entries();
  EXPECT_EQ(ValueOf(engine_->VerifyRequest(kOfficer, receipt.id)).state.verification,
            VerificationState::kVerified);
  EXPECT_EQ(Entries(), after_verify);
  RequestView done = ValueOf(engine_->ApproveRequest(kOfficer, receipt.id));
  EXPECT_EQ(done.state.status, RequestStatus::kCompleted);
  const int64_t after_approve = Entries();
  EXPECT_EQ(ValueOf(engine_->ApproveRequest(kOfficer, receipt.id)).state, done.state);
  EXPECT_EQ(ValueOf(engine_->VerifyRequest(kOfficer, receipt.id)).state, done.state);
  EXPECT_EQ(Entries(), after_approve);
  // The notice lists the purposes of the mobile service's records.
  ASSERT_EQ((*done.result)["services"].size(), 1u);
  EXPECT_EQ((*done.result)["services"][0]["service"], "mobile");
  EXPECT_FALSE((*done.result)["services"][0]["purposes"].empty());
}

TEST_F(RequestEngineTest, ErasureKeepsWhatAnActiveContractNeedsAndSaysWhy) {
  const std::string subject = AddVerifiableCustomer();
  const std::string other = AddSupportOnlyCustomer("080-5555-0001");
  // The mobile customer's records serve the running contract: all kept.
  RequestView kept = Run("stop_use", {.language = "en", .erase = true});
  ASSERT_EQ(kept.state.status, RequestStatus::kCompleted);
  ASSERT_TRUE(kept.state.outcome.has_value());
  EXPECT_EQ(kept.state.outcome->kept.size(), 3u);
  for (const requests::KeptItem& item : kept.state.outcome->kept) {
    EXPECT_THAT(item.reason, HasSubstr("active contract (Mirai Mobile)"));
  }
  // Still indexed (a find for a purpose is itself a use, which the stop
  // order now denies).
  EXPECT_EQ(ValueOf(dir_->vault().FindSubjects(policy::IdentifierKind::kPhone, kPhone)),
            std::vector<std::string>{subject});
  EXPECT_TRUE(Find(kPhone).empty());
  // The stop order stands: use for any purpose is denied from now on.
  policy::Decision denied =
      DecideAndCheckEntry(Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"}));
  EXPECT_EQ(denied.reason_code, "stop_use_order");

  // After the contract ended, the statutory billing period still keeps
  // what billing needs, until its date; the rest goes.
  ValueOf(engine_->RecordContractEnd(kAdmin, subject, "mobile", clock_.Now()));
  RequestView deleted = Run("deletion", {.language = "en"});
  ASSERT_EQ(deleted.state.status, RequestStatus::kCompleted);
  for (const requests::KeptItem& item : deleted.state.outcome->kept) {
    EXPECT_THAT(item.reason, HasSubstr("statutory retention")) << item.item;
  }

  // The support-only customer: everything erased, the person unfindable,
  // and not even their chosen language is left.
  ASSERT_TRUE(engine_->SetSubjectLanguage(kAdmin, other, "en").ok());
  EXPECT_EQ(Find("080-5555-0001"), std::vector<std::string>{other});
  RequestView gone =
      Run("deletion", {.identifiers = Identifiers("080-5555-0001", "1990-01-01", "MT-9999-0001")});
  EXPECT_TRUE(gone.state.outcome->kept.empty());
  EXPECT_EQ((*gone.result)["erased_records"], 1);
  EXPECT_TRUE(Find("080-5555-0001").empty());
  EXPECT_FALSE(ValueOf(dir_->store().retention().SubjectHasRecords(other)));
  EXPECT_EQ(ValueOf(engine_->SubjectLanguage(other)), "");
  EXPECT_TRUE(Verify().ok);
}

TEST_F(RequestEngineTest, ALegalHoldKeepsTheData) {
  const std::string subject = AddSupportOnlyCustomer("080-5555-0001");
  HoldSpec hold;
  hold.subject = subject;
  hold.basis = "訴訟 令和8年(ワ)第1号";
  hold.until = clock_.Now() + absl::Hours(24 * 365);
  ValueOf(engine_->AddHold(kAdmin, hold));
  RequestView v =
      Run("deletion", {.identifiers = Identifiers("080-5555-0001", "1990-01-01", "MT-9999-0001")});
  ASSERT_EQ(v.state.outcome->kept.size(), 1u);
  EXPECT_THAT(v.state.outcome->kept[0].reason, HasSubstr("法令等による保存"));
  EXPECT_THAT(v.state.outcome->kept[0].reason, HasSubstr("訴訟"));
  EXPECT_EQ(v.state.outcome->kept[0].item, "お問い合わせの記録");
  EXPECT_EQ(Find("080-5555-0001"), std::vector<std::string>{subject});
}

TEST_F(RequestEngineTest, CorrectionReplacesTheValueAndItsIndex) {
  const std::string subject = AddVerifiableCustomer();
  RequestView v = Run("correction", {.category = "pd:TelephoneNumber", .value = "090-9999-0000"});
  ASSERT_EQ(v.state.status, RequestStatus::kCompleted) << v.state.error.value_or("");
  UseResult read =
      ValueOf(engine_->Read(Use(kAgent, "dpv:CustomerCare", subject, {"pd:TelephoneNumber"})));
  EXPECT_EQ(read.values["pd:TelephoneNumber"], std::vector<std::string>{"090-9999-0000"});
  EXPECT_EQ(Find("090-9999-0000"), std::vector<std::string>{subject});
  EXPECT_TRUE(Find(kPhone).empty());
  ExpectNoPersonalValuesInLedger();

  RequestView added = Run("addition", {.identifiers = Identifiers("090-9999-0000"),
                                       .category = "pd:EmailAddress",
                                       .value = "taro@example.net"});
  ASSERT_EQ(added.state.status, RequestStatus::kCompleted);
  read = ValueOf(engine_->Read(Use(kAgent, "dpv:CustomerCare", subject, {"pd:EmailAddress"})));
  EXPECT_EQ(read.values["pd:EmailAddress"].size(), 2u);
}

TEST_F(RequestEngineTest, AFailedExecutionKeepsTheRequestForARetry) {
  AddVerifiableCustomer();
  // Not a phone number: the vault refuses to store it.
  RequestReceipt receipt =
      SubmitKind("correction", {.category = "pd:TelephoneNumber", .value = "not a number"});
  ValueOf(engine_->VerifyRequest(kOfficer, receipt.id));
  const int64_t records = ValueOf(dir_->store().records().CountRecords());
  RequestView failed = ValueOf(engine_->ApproveRequest(kOfficer, receipt.id));
  EXPECT_EQ(failed.state.status, RequestStatus::kInProgress);
  ASSERT_TRUE(failed.state.error.has_value());
  EXPECT_EQ(failed.state.failures, 1);
  EXPECT_EQ(failed.state.due, receipt.due);
  EXPECT_EQ(ValueOf(dir_->store().records().CountRecords()), records);
  EXPECT_EQ(Trail(failed).back()["change"], "request.fail");

  RequestView again = ValueOf(engine_->RetryRequest(kOfficer, receipt.id));
  EXPECT_EQ(again.state.failures, 2);
  EXPECT_TRUE(again.state.error.has_value());
  const int64_t before_denied = Entries();
  EXPECT_EQ(engine_->RetryRequest(kAgent, receipt.id).status().code(),
            absl::StatusCode::kPermissionDenied);
  // The denial is recorded, in the trail too; the request is unchanged.
  EXPECT_EQ(Entries(), before_denied + 1);
  EXPECT_EQ(LastEntry()["reason_code"], "no_requests_permission");
  RequestView after_denied = ValueOf(engine_->GetRequest(receipt.id));
  EXPECT_EQ(after_denied.state, again.state);
  EXPECT_EQ(Trail(after_denied).back()["outcome"], "deny");
  ASSERT_NO_FATAL_FAILURE(Restart());
  RequestView kept = ValueOf(engine_->GetRequest(receipt.id));
  EXPECT_EQ(kept.state.failures, 2);
  // Staff can still answer it: the data was correct after all.
  RequestView refused = ValueOf(engine_->RefuseRequest(
      kOfficer, receipt.id, requests::RefusalGround::kDataCorrect, "登録の番号は正しいものでした"));
  EXPECT_EQ(refused.state.status, RequestStatus::kRefused);
  EXPECT_TRUE(Verify().ok);
}

TEST_F(RequestEngineTest, ExecutionIsDecidedForTheActor) {
  AddVerifiableCustomer();
  RequestReceipt receipt = SubmitKind("disclosure");
  ValueOf(engine_->VerifyRequest(kOfficer, receipt.id));
  absl::StatusOr<RequestView> denied = engine_->ApproveRequest(kAgent, receipt.id);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(denied.status().message()), HasSubstr("no_requests_permission"));
  json entry = LastEntry();
  EXPECT_EQ(entry["outcome"], "deny");
  EXPECT_EQ(entry["reason_code"], "no_requests_permission");
  RequestView still = ValueOf(engine_->GetRequest(receipt.id));
  EXPECT_EQ(still.state.status, RequestStatus::kVerifying);
  EXPECT_FALSE(still.result.has_value());
}

TEST_F(RequestEngineTest, StopProvisionCreatesTheOrder) {
  const std::string subject = AddVerifiableCustomer();
  RequestView v = Run("stop_provision");
  ASSERT_EQ(v.state.status, RequestStatus::kCompleted);
  std::vector<store::StopOrderRow> orders = ValueOf(dir_->store().facts().ListStopOrders(subject));
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].kind, "provision");
  EXPECT_EQ(orders[0].request_id, v.state.id);
}

TEST_F(RequestEngineTest, BadRequestsChangeNothing) {
  AddVerifiableCustomer();
  const std::string before = State();
  struct Case {
    RequestSpec spec;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({{.kind = "complaint", .identifiers = Identifiers()}, "purpose_notice"});
  cases.push_back({{.kind = "disclosure"}, "identifier"});
  cases.push_back({{.kind = "correction", .identifiers = Identifiers()}, "category"});
  cases.push_back(
      {{.kind = "correction", .identifiers = Identifiers(), .category = "pd:Name"}, "value"});
  cases.push_back(
      {{.kind = "disclosure", .identifiers = Identifiers(), .category = "pd:Name"}, "category"});
  cases.push_back({{.kind = "deletion", .identifiers = Identifiers(), .category = "pd:Nope"},
                   "not a category"});
  cases.push_back(
      {{.kind = "stop_use", .identifiers = Identifiers(), .recipient = "x"}, "recipient"});
  cases.push_back({{.kind = "disclosure", .identifiers = Identifiers(), .erase = true}, "erase"});
  cases.push_back(
      {{.kind = "disclosure", .identifiers = Identifiers(), .language = "fr"}, "language"});
  for (const Case& c : cases) {
    absl::StatusOr<RequestReceipt> r = engine_->SubmitRequest(c.spec);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.message));
  }
  EXPECT_EQ(State(), before);
  EXPECT_TRUE(ValueOf(engine_->ListRequests()).empty());
}

TEST_F(RequestEngineTest, SubmissionsPerIdentifierAreLimited) {
  for (int i = 0; i < 5; ++i) SubmitKind("purpose_notice");
  absl::StatusOr<RequestReceipt> limited = engine_->SubmitRequest(
      {.kind = "purpose_notice", .identifiers = Identifiers("+81 90 1234 5678")});
  EXPECT_EQ(limited.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(limited.status().GetPayload("retry_after_seconds").has_value());
  // Someone else is not held up.
  EXPECT_TRUE(
      engine_
          ->SubmitRequest({.kind = "purpose_notice",
                           .identifiers = Identifiers("080-1111-2222", "1970-01-01", "MT-1")})
          .ok());
  clock_.Advance(absl::Minutes(13));
  EXPECT_TRUE(
      engine_->SubmitRequest({.kind = "purpose_notice", .identifiers = Identifiers()}).ok());
  EXPECT_EQ(ValueOf(engine_->ListRequests()).size(), 7u);
}

TEST_F(RequestEngineTest, ExtensionsRefusalsAndWithdrawals) {
  AddVerifiableCustomer();
  RequestReceipt receipt = SubmitKind("disclosure");
  RequestView extended = ValueOf(
      engine_->ExtendRequest(kOfficer, receipt.id, 14, "大量の記録", "回答期限を延長します"));
  EXPECT_EQ(extended.state.due, receipt.due + absl::Hours(24 * 14));
  EXPECT_EQ(
      engine_
          ->RefuseRequest(kOfficer, receipt.id, requests::RefusalGround::kBusinessHindrance, " \n ")
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->RefuseRequest(kOfficer, receipt.id, requests::RefusalGround::kDataCorrect, "x")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  RequestView refused = ValueOf(engine_->RefuseRequest(
      kOfficer, receipt.id, requests::RefusalGround::kBusinessHindrance, "業務に著しい支障"));
  EXPECT_EQ(refused.state.status, RequestStatus::kRefused);
  EXPECT_EQ(engine_->ApproveRequest(kOfficer, receipt.id).status().code(),
            absl::StatusCode::kFailedPrecondition);

  RequestReceipt second = SubmitKind("purpose_notice");
  EXPECT_EQ(engine_->WithdrawPublicRequest(second.id, "wrong").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ValueOf(engine_->WithdrawPublicRequest(second.id, second.secret)).state.status,
            RequestStatus::kWithdrawn);
  ExpectNoPersonalValuesInLedger();
}

TEST_F(RequestEngineTest, ComplaintsAreTrackedAndSealed) {
  constexpr char kText[] = "勧誘の電話が毎日かかってきます（山田）";
  constexpr char kContact[] = "taro.complaint@example.jp";
  requests::Complaint c = ValueOf(engine_->SubmitComplaint(
      {.service = "mobile", .category = "marketing", .text = kText, .contact = kContact}));
  EXPECT_EQ(c.first_response_due, clock_.Now() + absl::Hours(48));
  EXPECT_EQ(engine_->RespondComplaint(kOfficer, c.id, "対応します").status().code(),
            absl::StatusCode::kFailedPrecondition);
  clock_.Advance(absl::Hours(49));
  EXPECT_TRUE(requests::IsOverdue(ValueOf(engine_->GetComplaint(c.id)), clock_.Now()));
  ValueOf(engine_->AssignComplaint(kOfficer, c.id, kOfficer));
  requests::Complaint answered =
      ValueOf(engine_->RespondComplaint(kOfficer, c.id, "電話を止めました"));
  EXPECT_TRUE(requests::RespondedLate(answered));
  EXPECT_EQ(ValueOf(engine_->CloseComplaint(kOfficer, c.id)).status,
            requests::ComplaintStatus::kClosed);
  ASSERT_NO_FATAL_FAILURE(Restart());
  std::vector<requests::Complaint> all = ValueOf(engine_->ListComplaints());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].text, kText);
  EXPECT_EQ(all[0].last_response, "電話を止めました");
  std::string ledger_text;
  for (const std::string& e : EntryBytes()) ledger_text += e;
  EXPECT_EQ(ledger_text.find(kContact), std::string::npos);
  EXPECT_EQ(ledger_text.find("勧誘"), std::string::npos);
  EXPECT_EQ(
      engine_->SubmitComplaint({.category = "nope", .text = "t", .contact = "c"}).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      engine_->SubmitComplaint({.category = "other", .text = " ", .contact = "c"}).status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mamori::engine
