// Tests of incidents in the engine (engine/incident.cc): the affected set
// computed from known ledgers (actor window, recipient window, subject list,
// a service's categories), reportability and report deadlines on the fake
// clock, refinement of the scope, the officer's narrative, submitted
// reports, the timeline, customer notices as decided reads, and refusals
// that record nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_fixture.h"
#include "engine/json_views.h"

namespace mamori::engine {
namespace {

using ::testing::ElementsAre;

constexpr char kOfficer[] = "emp:officer";        // privacy-officer
constexpr char kCallCenter[] = "sakura-contact";  // a trustee for customer care
constexpr char kIncidentWhy[] = "USBメモリの紛失（山田様の件を含む）";

class IncidentEngineTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
    ASSERT_NO_FATAL_FAILURE(
        AddStaff(kOfficer, {"privacy-officer"}, {"privacy-annual", "secrecy-annual", "my-number"}));
  }

  // A customer with only a name and a phone (no email, no postal address).
  std::string AddCustomerWithoutContact() {
    vault::SubjectIdentifiers ids;
    ids.phone = "080-2222-3333";
    return ValueOf(engine_->AddSubject(
        kAdmin, ids,
        {{.category = "pd:Name", .service = "mobile", .value = "佐藤 花子"},
         {.category = "pd:TelephoneNumber", .service = "mobile", .value = "080-2222-3333"}}));
  }

  UseResult ReadAs(const std::string& actor, const std::string& subject,
                   std::vector<std::string> categories) {
    return ValueOf(engine_->Read(Use(actor, "dpv:CustomerCare", subject, std::move(categories))));
  }

  IncidentSpec Spec(incident::Cause cause, IncidentScope scope) {
    IncidentSpec spec;
    spec.discovered_at = clock_.Now();
    spec.cause = cause;
    spec.description = kIncidentWhy;
    spec.scope = std::move(scope);
    return spec;
  }

  static IncidentScope ActorScope(std::string actor, absl::Time from, absl::Time to) {
    IncidentScope scope;
    scope.actors.push_back({std::move(actor), from, to});
    return scope;
  }

  std::vector<std::string> AffectedIds(const std::string& incident) {
    std::vector<std::string> ids;
    for (const store::IncidentSubjectRow& s : ValueOf(engine_->IncidentSubjects(incident))) {
      ids.push_back(s.subject_id);
    }
    return ids;
  }
};

TEST_F(IncidentEngineTest, ActorWindowCoversWhatTheActorReadInsideTheWindowOnly) {
  const std::string inside = AddCustomer();
  const std::string later = AddCustomerWithoutContact();
  const absl::Time from = clock_.Now();
  clock_.Advance(absl::Minutes(5));
  ASSERT_EQ(ReadAs(kAgent, inside, {"pd:Name", "pd:EmailAddress"}).decision.outcome,
            Outcome::kAllow);
  // Denied: nothing left the vault, so nothing leaked.
  ASSERT_EQ(ReadAs(kAgent, inside, {"pd:PaymentCardNumber"}).decision.outcome, Outcome::kDeny);
  // Decided only: no value was returned.
  ASSERT_EQ(ValueOf(engine_->Decide(Use(kAgent, "dpv:CustomerCare", later, {"pd:Name"})))
                .decision.outcome,
            Outcome::kAllow);
  const absl::Time to = clock_.Now() + absl::Minutes(1);
  clock_.Advance(absl::Hours(1));
  ASSERT_EQ(ReadAs(kAgent, later, {"pd:Name"}).decision.outcome, Outcome::kAllow);  // after `to`

  IncidentView view = ValueOf(engine_->OpenIncident(
      kOfficer, Spec(incident::Cause::kInsider, ActorScope(kAgent, from, to))));
  EXPECT_THAT(AffectedIds(view.row.id), ElementsAre(inside));
  EXPECT_EQ(view.facts.affected.subjects, 1);
  ASSERT_EQ(view.facts.affected.categories.size(), 2u);
  EXPECT_EQ(view.facts.affected.categories[0].id, "pd:EmailAddress");
  EXPECT_EQ(view.facts.affected.categories[1].id, "pd:Name");
  // An insider: a possibly wrongful purpose, so reportable whatever the size.
  EXPECT_TRUE(view.reportability.reportable);
  EXPECT_TRUE(view.reportability.Has(incident::Reason::kWrongfulPurpose));
  ASSERT_EQ(view.reports.size(), 2u);
  EXPECT_EQ(view.reports[0].kind, incident::ReportKind::kAppiPreliminary);
  EXPECT_EQ(view.reports[1].kind, incident::ReportKind::kAppiFinal);
  EXPECT_EQ(view.reports[1].days, 60);  // wrongful purpose: 60 days

  json entry = LastEntry();
  EXPECT_EQ(entry["change"], "incident.open");
  EXPECT_EQ(entry["incident"], view.row.id);
  EXPECT_EQ(entry["affected"], 1);
  EXPECT_EQ(entry["reportable"], true);
  EXPECT_FALSE(entry.contains("description"));
  ExpectNoPersonalValuesInLedger();
  std::string all;
  for (const std::string& e : EntryBytes()) all += e;
  EXPECT_EQ(all.find(kIncidentWhy), std::string::npos);
  EXPECT_TRUE(Verify().ok);
}

// The index is folded off the writer; two folds at once (a report and the
// server's schedule) record every decision once: the one that finds the
// cursor moved starts again from it.
TEST_F(IncidentEngineTest, FoldsAtOnceIndexEveryDecisionOnce) {
  std::vector<std::string> customers;
  for (int i = 0; i < 20; ++i) customers.push_back(AddCustomer());
  int decisions = 0;
  for (int round = 0; round < 30; ++round) {
    for (const std::string& customer : customers) {
      clock_.Advance(absl::Seconds(1));
      ReadAs(kAgent, customer, {"pd:Name"});
      ++decisions;
    }
  }
  std::vector<absl::Status> folded(3);
  std::vector<std::thread> folds;
  for (absl::Status& status : folded) {
    folds.emplace_back([&] { status = engine_->UpdateUseIndex(); });
  }
  for (std::thread& fold : folds) fold.join();
  for (const absl::Status& status : folded) EXPECT_TRUE(status.ok()) << status;
  const std::vector<store::UseRow> uses = ValueOf(
      dir_->store().uses().ListUses(kAgent, absl::InfinitePast(), absl::InfiniteFuture(), 0));
  ASSERT_EQ(uses.size(), static_cast<size_t>(decisions));
  for (size_t i = 1; i < uses.size(); ++i) ASSERT_LT(uses[i - 1].seq, uses[i].seq);
  // Nothing left to fold: a later fold adds nothing.
  ASSERT_TRUE(engine_->UpdateUseIndex().ok());
  EXPECT_EQ(ValueOf(dir_->store().uses().ListUses(kAgent, absl::InfinitePast(),
                                                  absl::InfiniteFuture(), 0))
                .size(),
            static_cast<size_t>(decisions));
}

TEST_F(IncidentEngineTest, DeadlinesCountFromTheDayOfDiscoveryInTheOperatorsZone) {
  const std::string subject = AddCustomer();
  IncidentScope scope;
  scope.subjects = {subject};
  IncidentSpec spec = Spec(incident::Cause::kUnauthorizedAccess, scope);
  spec.discovered_on = absl::CivilDay(2026, 3, 30);  // T0 is 2026-04-01 09:00 UTC
  IncidentView view = ValueOf(engine_->OpenIncident(kOfficer, spec));
  const absl::TimeZone tokyo = ValueOf(incident::OperatorTimeZone(dir_->policy()));
  EXPECT_EQ(view.row.discovered_at, absl::FromCivil(absl::CivilDay(2026, 3, 30), tokyo));
  ASSERT_GE(view.reports.size(), 2u);
  // Preliminary: through the 5th day after the day of discovery (4-04),
  // that is until 4-05 00:00 in Tokyo.
  EXPECT_EQ(view.reports[0].due, absl::FromCivil(absl::CivilDay(2026, 4, 5), tokyo));
  json shown = IncidentJson(view, clock_.Now() + absl::Hours(24 * 10));
  EXPECT_EQ(shown["reports"][0]["overdue"], true);
  EXPECT_EQ(IncidentJson(view, clock_.Now())["reports"][0]["overdue"], false);
}

TEST_F(IncidentEngineTest, RecipientWindowCoversWhatWasProvidedToTheTrustee) {
  const std::string given = AddCustomer();
  const std::string kept = AddCustomerWithoutContact();
  ValueOf(engine_->RecordTrusteeAudit(
      kAdmin, {kCallCenter, absl::InfinitePast(), absl::CivilDay(2026, 3, 1), "no findings"}));
  const absl::Time from = clock_.Now();
  ProvideRequest provide{
      kAgent, kCallCenter, "dpv:CustomerCare", {given}, {"pd:Name"}, policy::Ground::kNone, ""};
  ProvideResult r = ValueOf(engine_->Provide(provide));
  ASSERT_FALSE(r.payload.is_null());
  // Read by the agent, never provided: not in the recipient's window.
  ASSERT_EQ(ReadAs(kAgent, kept, {"pd:Name"}).decision.outcome, Outcome::kAllow);
  IncidentScope scope;
  scope.recipients.push_back({kCallCenter, from, clock_.Now() + absl::Seconds(1)});
  IncidentView view =
      ValueOf(engine_->OpenIncident(kOfficer, Spec(incident::Cause::kMisdelivery, scope)));
  EXPECT_THAT(AffectedIds(view.row.id), ElementsAre(given));
  ASSERT_EQ(view.facts.affected.categories.size(), 1u);
  EXPECT_EQ(view.facts.affected.categories[0].id, "pd:Name");
  // One person's name, misdelivered: nothing makes it reportable.
  EXPECT_FALSE(view.reportability.reportable);
  EXPECT_TRUE(view.reports.empty());
}

TEST_F(IncidentEngineTest, SubjectListTakesEveryCategoryHeldAndFinancialDataIsReportable) {
  const std::string subject = AddCustomer();  // holds a payment card number
  IncidentScope scope;
  scope.subjects = {subject};
  IncidentView view = ValueOf(engine_->OpenIncident(kOfficer, Spec(incident::Cause::kLoss, scope)));
  std::vector<std::string> categories;
  for (const auto& c : view.facts.affected.categories) categories.push_back(c.id);
  EXPECT_THAT(categories, ElementsAre("pd:EmailAddress", "pd:Name", "pd:PaymentCardNumber",
                                      "pd:TelephoneNumber"));
  EXPECT_TRUE(view.reportability.Has(incident::Reason::kFinancialLoss));
}

TEST_F(IncidentEngineTest, ServiceScopeWithEncryptedCopiesIsExempt) {
  AddCustomer();
  AddCustomerWithoutContact();
  IncidentScope scope;
  scope.services.push_back({"mobile", {"pd:Name", "pd:PaymentCardNumber"}, true});
  IncidentView view = ValueOf(engine_->OpenIncident(kOfficer, Spec(incident::Cause::kLoss, scope)));
  EXPECT_EQ(view.facts.affected.subjects, 2);
  ASSERT_EQ(view.facts.affected.categories.size(), 2u);
  EXPECT_TRUE(view.facts.affected.categories[0].encrypted_without_keys);
  EXPECT_TRUE(view.reportability.Has(incident::Reason::kEncryptedExempt));
  EXPECT_FALSE(view.reportability.reportable);

  // The same copies with their keys: the card numbers make it reportable.
  scope.services[0].encrypted_without_keys = false;
  IncidentView keys_too = ValueOf(engine_->RescopeIncident(kOfficer, view.row.id, scope));
  EXPECT_TRUE(keys_too.reportability.reportable);
  EXPECT_TRUE(keys_too.reportability.Has(incident::Reason::kFinancialLoss));
}

TEST_F(IncidentEngineTest, RescopingPicksUpWhatTheLedgerLearnedSince) {
  const std::string first = AddCustomer();
  const std::string second = AddCustomerWithoutContact();
  const absl::Time from = clock_.Now();
  ReadAs(kAgent, first, {"pd:Name"});
  const absl::Time to = from + absl::Hours(2);
  IncidentView view = ValueOf(engine_->OpenIncident(
      kOfficer, Spec(incident::Cause::kInsider, ActorScope(kAgent, from, to))));
  EXPECT_THAT(AffectedIds(view.row.id), ElementsAre(first));
  clock_.Advance(absl::Minutes(30));
  ReadAs(kAgent, second, {"pd:TelephoneNumber"});
  IncidentView again = ValueOf(engine_->RescopeIncident(kOfficer, view.row.id, view.scope));
  EXPECT_EQ(again.facts.affected.subjects, 2);
  EXPECT_EQ(LastEntry()["change"], "incident.scope");
  EXPECT_EQ(LastEntry()["affected"], 2);
}

TEST_F(IncidentEngineTest, NarrativeReportsAndTimeline) {
  const std::string subject = AddCustomer();
  IncidentScope scope;
  scope.subjects = {subject};
  IncidentView view =
      ValueOf(engine_->OpenIncident(kOfficer, Spec(incident::Cause::kUnauthorizedAccess, scope)));
  incident::IncidentNarrative narrative;
  narrative.secondary_damage = "確認されていない";
  narrative.recurrence_prevention = "アクセス権限の見直し";
  view = ValueOf(engine_->SetIncidentNarrative(kOfficer, view.row.id, narrative));
  EXPECT_EQ(view.narrative.recurrence_prevention, "アクセス権限の見直し");

  // Only a required report can be submitted, and once.
  EXPECT_EQ(engine_
                ->SubmitIncidentReport(kOfficer, view.row.id, incident::ReportKind::kTbaPrompt,
                                       clock_.Now(), "")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  clock_.Advance(absl::Hours(3));
  view = ValueOf(engine_->SubmitIncidentReport(
      kOfficer, view.row.id, incident::ReportKind::kAppiPreliminary, clock_.Now(), "PPC-0001"));
  EXPECT_EQ(view.reports[0].status, incident::ReportStatus::kSubmitted);
  EXPECT_EQ(engine_
                ->SubmitIncidentReport(kOfficer, view.row.id,
                                       incident::ReportKind::kAppiPreliminary, clock_.Now(), "")
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  view = ValueOf(engine_->CloseIncident(kOfficer, view.row.id));
  EXPECT_EQ(view.row.status, "closed");
  EXPECT_EQ(engine_->RescopeIncident(kOfficer, view.row.id, scope).status().code(),
            absl::StatusCode::kFailedPrecondition);

  std::vector<json> timeline = ValueOf(engine_->IncidentTimeline(view.row.id));
  std::vector<std::string> changes;
  for (const json& e : timeline) {
    changes.push_back(e["change"]);
    EXPECT_EQ(e["actor"], kOfficer);
  }
  EXPECT_THAT(changes, ElementsAre("incident.open", "incident.narrative", "incident.report",
                                   "incident.close"));
  EXPECT_EQ(ValueOf(engine_->ListIncidents()).size(), 1u);
  ExpectNoPersonalValuesInLedger();
}

TEST_F(IncidentEngineTest, NoticesAreDecidedReadsAndCountThoseWithoutContact) {
  const std::string reachable = AddCustomer();
  const std::string unreachable = AddCustomerWithoutContact();
  IncidentScope scope;
  scope.subjects = {reachable, unreachable};
  IncidentView view = ValueOf(engine_->OpenIncident(kOfficer, Spec(incident::Cause::kLoss, scope)));
  const int64_t before = Entries();
  NoticeBatch batch = ValueOf(
      engine_->IncidentNotices(kAgent, view.row.id, "dpv:CustomerCare", notice::Language::kJa));
  ASSERT_EQ(batch.notices.size(), 1u);
  EXPECT_EQ(batch.notices[0].subject, reachable);
  EXPECT_EQ(batch.notices[0].channel, "email");
  EXPECT_THAT(batch.notices[0].to, ElementsAre(kEmail));
  EXPECT_FALSE(batch.notices[0].text.empty());
  EXPECT_EQ(batch.without_contact, 1);
  // Two decided reads and the batch's own entry.
  EXPECT_EQ(Entries(), before + 3);
  json read = Entry(batch.notices[0].entry);
  EXPECT_EQ(read["action"], "read");
  EXPECT_EQ(read["ground"], "law");
  EXPECT_EQ(LastEntry()["change"], "incident.notices");
  EXPECT_EQ(LastEntry()["notices"], 1);

  // An actor whose role does not allow the contact data gets nothing.
  NoticeBatch refused = ValueOf(
      engine_->IncidentNotices(kMarketer, view.row.id, "dpv:CustomerCare", notice::Language::kEn));
  EXPECT_TRUE(refused.notices.empty());
  EXPECT_EQ(refused.denied, 2);
  ExpectNoPersonalValuesInLedger();
}

TEST_F(IncidentEngineTest, EachNoticeIsInTheLanguageThePersonChose) {
  const std::string english = AddCustomer();
  const std::string unsaid = AddCustomer();
  vault::SubjectIdentifiers ids;
  ids.email = "ichiro@example.com";
  const std::string japanese = ValueOf(engine_->AddSubject(
      kAdmin, ids,
      {{.category = "pd:EmailAddress", .service = "mobile", .value = "ichiro@example.com"}}, "ja"));
  EXPECT_EQ(LastEntry()["change"], "subject.add");
  EXPECT_EQ(LastEntry()["language_set"], true);  // that one was given, not which
  EXPECT_FALSE(LastEntry().contains("language"));
  ASSERT_TRUE(engine_->SetSubjectLanguage(kOfficer, english, "en").ok());
  EXPECT_EQ(LastEntry()["change"], "subject.language");
  EXPECT_EQ(LastEntry()["subject"], english);
  EXPECT_FALSE(LastEntry().contains("language"));
  EXPECT_EQ(ValueOf(engine_->SubjectLanguage(english)), "en");
  EXPECT_EQ(ValueOf(engine_->SubjectLanguage(unsaid)), "");
  EXPECT_EQ(ValueOf(engine_->SubjectLanguage(japanese)), "ja");

  IncidentScope scope;
  scope.subjects = {english, unsaid, japanese};
  IncidentView view = ValueOf(engine_->OpenIncident(kOfficer, Spec(incident::Cause::kLoss, scope)));
  NoticeBatch batch = ValueOf(
      engine_->IncidentNotices(kAgent, view.row.id, "dpv:CustomerCare", notice::Language::kEn));
  ASSERT_EQ(batch.notices.size(), 3u);
  for (const CustomerNotice& n : batch.notices) {
    const bool in_english = n.subject != japanese;
    EXPECT_EQ(n.language, in_english ? notice::Language::kEn : notice::Language::kJa) << n.subject;
    EXPECT_EQ(n.text.find("Notice of a leak") != std::string::npos, in_english) << n.subject;
    EXPECT_EQ(n.text.find("個人情報の漏えい") != std::string::npos, !in_english) << n.subject;
  }
  EXPECT_EQ(batch.in_english, 2);
  EXPECT_EQ(batch.in_japanese, 1);
  json batch_json = NoticeBatchJson(batch);
  EXPECT_EQ(batch_json["by_language"], (json{{"ja", 1}, {"en", 2}}));
  EXPECT_EQ(LastEntry()["in_english"], 2);
  EXPECT_EQ(LastEntry()["in_japanese"], 1);

  // Japanese by default: only the person who chose English gets English.
  batch = ValueOf(
      engine_->IncidentNotices(kAgent, view.row.id, "dpv:CustomerCare", notice::Language::kJa));
  EXPECT_EQ(batch.in_english, 1);
  EXPECT_EQ(batch.in_japanese, 2);
  ExpectNoPersonalValuesInLedger();
}

TEST_F(IncidentEngineTest, BadLanguagesAreRefusedAndRecordNothing) {
  const std::string subject = AddCustomer();
  const std::string before = State();
  EXPECT_EQ(engine_->SetSubjectLanguage(kOfficer, subject, "fr").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->SetSubjectLanguage(kOfficer, subject, "").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->SetSubjectLanguage(kOfficer, "sub_missing", "en").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->SubjectLanguage("sub_missing").status().code(), absl::StatusCode::kNotFound);
  vault::SubjectIdentifiers ids;
  ids.phone = "080-9999-0000";
  EXPECT_EQ(engine_->AddSubject(kAdmin, ids, {}, "EN").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->AddSubjectAs(kAgent, ids, {}, "english").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(State(), before);
  EXPECT_EQ(ValueOf(engine_->SubjectLanguage(subject)), "");
}

TEST_F(IncidentEngineTest, BadIncidentsAreRefusedAndRecordNothing) {
  const std::string subject = AddCustomer();
  const std::string before = State();
  IncidentScope empty;
  EXPECT_EQ(engine_->OpenIncident(kOfficer, Spec(incident::Cause::kLoss, empty)).status().code(),
            absl::StatusCode::kInvalidArgument);
  IncidentScope subjects;
  subjects.subjects = {subject};
  IncidentSpec blank = Spec(incident::Cause::kLoss, subjects);
  blank.description = "  ";
  EXPECT_EQ(engine_->OpenIncident(kOfficer, blank).status().code(),
            absl::StatusCode::kInvalidArgument);
  IncidentSpec future = Spec(incident::Cause::kLoss, subjects);
  future.discovered_at = clock_.Now() + absl::Hours(1);
  EXPECT_EQ(engine_->OpenIncident(kOfficer, future).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_
                ->OpenIncident(kOfficer, Spec(incident::Cause::kLoss,
                                              ActorScope(kAgent, clock_.Now(), clock_.Now())))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  IncidentScope unknown_service;
  unknown_service.services.push_back({"satellite", {}, false});
  EXPECT_EQ(engine_->OpenIncident(kOfficer, Spec(incident::Cause::kLoss, unknown_service))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  IncidentScope missing;
  missing.subjects = {"sub_AAAAAAAAAAAAAAAAAAAAAA"};
  EXPECT_EQ(engine_->OpenIncident(kOfficer, Spec(incident::Cause::kLoss, missing)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->GetIncident("inc_nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ValueOf(engine_->ListIncidents()).empty());
  // The use index may have been brought up to date; nothing else changed.
  EXPECT_EQ(State(), before);
}

TEST_F(IncidentEngineTest, ScopeAndNarrativeJsonRoundTripAndRejectUnknownFields) {
  IncidentScope scope;
  scope.actors.push_back({"emp:a", T0(), T0() + absl::Hours(1)});
  scope.recipients.push_back({"sakura-contact", T0(), T0() + absl::Hours(2)});
  scope.subjects = {"sub_x"};
  scope.services.push_back({"mobile", {"pd:Name"}, true});
  IncidentScope back =
      ValueOf(IncidentScopeFromJson(IncidentScopeToJson(scope), absl::UTCTimeZone()));
  EXPECT_EQ(IncidentScopeToJson(back), IncidentScopeToJson(scope));
  EXPECT_EQ(IncidentScopeFromJson(json{{"actor", "x"}}, absl::UTCTimeZone()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IncidentScopeFromJson(json{{"actors", {{{"actor", "a"}, {"from", "x"}, {"to", "y"}}}}},
                                  absl::UTCTimeZone())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // Days are the operator's: a `to` day is included whole.
  const absl::TimeZone tokyo = ValueOf(incident::OperatorTimeZone(dir_->policy()));
  IncidentScope days = ValueOf(IncidentScopeFromJson(
      json{{"actors", {{{"actor", "emp:a"}, {"from", "2026-04-01"}, {"to", "2026-04-02"}}}}},
      tokyo));
  EXPECT_EQ(days.actors[0].from, absl::FromCivil(absl::CivilDay(2026, 4, 1), tokyo));
  EXPECT_EQ(days.actors[0].to, absl::FromCivil(absl::CivilDay(2026, 4, 3), tokyo));
  EXPECT_EQ(NarrativeFromJson(json{{"publication", 3}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NarrativeFromJson(json{{"secret", "x"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mamori::engine
