// Tests of the engine (engine.h) on a real data directory initialized from
// examples/telecom-operator.toml, on a fake clock: the ledger entry that
// every change and every decision leaves (and the personal values it must
// not hold), refusals that leave nothing behind, decisions against the
// facts the engine keeps, group commit under many threads, restart, and
// consent receipts (consent_receipt.h).
//
// The tests read the store directly (dir_->store()) while the engine runs.
// The store belongs to the writer thread; it touches it only for submitted
// work and for heads that fall due. The fixture makes heads due only by
// entry count (sign_every of ten years on a fake clock), so the writer is
// idle whenever a test reads.
#include "engine/engine.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/random.h"
#include "common/testing/test_files.h"
#include "common/time_format.h"
#include "engine/consent_receipt.h"
#include "engine/engine_test_fixture.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"
#include "vault/data_directory.h"
#include "vault/test_data_dir.h"

namespace mamori::engine {
namespace {

// --- Start and Stop ---

TEST_F(EngineTest, StartOnFreshDirectoryRecordsThePolicyAndStopSignsEverything) {
  ASSERT_EQ(Entries(), 1);
  json genesis = Entry(0);
  EXPECT_EQ(genesis["kind"], "change");
  EXPECT_EQ(genesis["change"], "policy.load");
  EXPECT_EQ(genesis["actor"], kAdmin);
  EXPECT_EQ(genesis["policy_version"], 1);
  EXPECT_EQ(genesis["source_sha256"], vault::PolicySha256(PolicyText()));
  std::optional<store::TreeHeadRow> head = ValueOf(ledger().LatestTreeHead());
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->tree_size, 1);
  EXPECT_EQ(engine_->ledger_public_key(), ValueOf(dir_->LedgerSigningKey()).public_key());

  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  ValueOf(engine_->Read(Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"})));
  const int64_t entries = Entries();
  EXPECT_EQ(ValueOf(ledger().LatestTreeHead())->tree_size, 1);  // not per entry

  ASSERT_TRUE(engine_->Stop().ok());
  EXPECT_EQ(ValueOf(ledger().LatestTreeHead())->tree_size, entries);
  ledger::VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, static_cast<uint64_t>(entries));
  EXPECT_EQ(report.unsigned_entries, 0u);
  EXPECT_EQ(report.tree_heads, 2u);

  // Stopped for good.
  EXPECT_TRUE(engine_->Stop().ok());
  EXPECT_EQ(engine_->Decide(Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"})).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(engine_->AddActor(kAdmin, "emp:late", {"auditor"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Entries(), entries);
}

TEST_F(EngineTest, SignHeadCoversEveryEntryNow) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::optional<ledger::TreeHead> head = ValueOf(engine_->SignHead());
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->tree_size, static_cast<uint64_t>(Entries()));
  ledger::VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.unsigned_entries, 0u);
}

TEST_F(EngineTest, StartSignsWhatACrashLeftUnsigned) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  ASSERT_NO_FATAL_FAILURE(StopEngine());
  const int64_t signed_size = Entries();
  {
    // Entries committed without a head after them, as a crash leaves them.
    auto unsigned_ledger =
        ledger::Ledger::Open(ledger(), ValueOf(dir_->LedgerSigningKey()), clock_);
    ASSERT_TRUE(unsigned_ledger.ok()) << unsigned_ledger.status();
    auto tx = dir_->store().records().BeginTransaction();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*unsigned_ledger)->Append({{"kind", "change"}, {"change", "test.crash"}}).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  ASSERT_EQ(Entries(), signed_size + 1);
  EXPECT_EQ(ValueOf(ledger().LatestTreeHead())->tree_size, signed_size);

  ASSERT_NO_FATAL_FAILURE(StartEngine());
  EXPECT_EQ(Entries(), signed_size + 1);  // no second genesis
  EXPECT_EQ(ValueOf(ledger().LatestTreeHead())->tree_size, signed_size + 1);
  ledger::VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.unsigned_entries, 0u);
}

TEST_F(EngineTest, AnIdleWriterSignsAHeadWhenItFallsDue) {
  ASSERT_NO_FATAL_FAILURE(StopEngine());
  ASSERT_NO_FATAL_FAILURE(StartEngine(EngineOptions{}));  // sign_every: 1 s
  ASSERT_TRUE(engine_->AddActor(kAdmin, kAgent, {"call-center-agent"}).ok());
  clock_.Advance(absl::Seconds(2));
  const absl::Time due = clock_.Now();
  // The writer wakes about a second after its last batch and signs then.
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  clock_.Advance(absl::Seconds(1));
  std::optional<ledger::TreeHead> head = ValueOf(engine_->SignHead());
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->tree_size, 2u);
  EXPECT_EQ(head->timestamp, due) << "signed only when asked";
}

TEST_F(EngineTest, AnIdleWriterDoesNotSpin) {
  ASSERT_NO_FATAL_FAILURE(StopEngine());
  EngineOptions options;
  options.ledger.sign_every = absl::InfiniteDuration();  // heads by count only
  ASSERT_NO_FATAL_FAILURE(StartEngine(options));
  ASSERT_TRUE(engine_->AddActor(kAdmin, kAgent, {"call-center-agent"}).ok());
  auto cpu = [] {
    struct rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    return absl::DurationFromTimeval(usage.ru_utime) + absl::DurationFromTimeval(usage.ru_stime);
  };
  const absl::Duration before = cpu();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LT(cpu() - before, absl::Milliseconds(100));
}

class FreshDirectoryTest : public EngineTest {
 protected:
  bool StartInSetUp() const override { return false; }
};

TEST_F(FreshDirectoryTest, StartRecordsEveryPolicyVersionAlreadyLoaded) {
  ASSERT_TRUE(dir_->LoadPolicy(SecondPolicyText(), "v2.toml", "admin:second").ok());
  ASSERT_EQ(dir_->policy_version(), 2);
  ASSERT_NO_FATAL_FAILURE(StartEngine());
  ASSERT_EQ(Entries(), 2);
  EXPECT_EQ(Entry(0)["policy_version"], 1);
  EXPECT_EQ(Entry(0)["actor"], kAdmin);
  EXPECT_EQ(Entry(1)["change"], "policy.load");
  EXPECT_EQ(Entry(1)["policy_version"], 2);
  EXPECT_EQ(Entry(1)["actor"], "admin:second");
  EXPECT_EQ(Entry(1)["source_sha256"], vault::PolicySha256(SecondPolicyText()));
  EXPECT_EQ(ValueOf(ledger().LatestTreeHead())->tree_size, 2);

  // A restart appends nothing more.
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_EQ(Entries(), 2);
  ASSERT_NO_FATAL_FAILURE(StopEngine());
  ledger::VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.unsigned_entries, 0u);
}

// --- Changes ---

TEST_F(EngineTest, AddActorWritesTheRowAndOneEntry) {
  const int64_t before = Entries();
  store::ActorRow row =
      ValueOf(engine_->AddActor("emp:officer", kAgent, {"call-center-agent", "auditor"}));
  EXPECT_EQ(row.id, kAgent);
  EXPECT_EQ(row.created_by, "emp:officer");
  EXPECT_EQ(row.created_at, clock_.Now());
  std::optional<store::ActorRow> stored = ValueOf(dir_->store().facts().GetActor(kAgent));
  ASSERT_TRUE(stored.has_value());
  EXPECT_THAT(stored->roles, ElementsAre("call-center-agent", "auditor"));

  ASSERT_EQ(Entries(), before + 1);
  json e = LastEntry();
  EXPECT_EQ(e["kind"], "change");
  EXPECT_EQ(e["change"], "actor.add");
  EXPECT_EQ(e["actor"], "emp:officer");
  EXPECT_EQ(e["target_actor"], kAgent);
  EXPECT_EQ(e["roles"], json::array({"call-center-agent", "auditor"}));
  EXPECT_EQ(e["at"], common::FormatTimestampMicros(clock_.Now()));
}

TEST_F(EngineTest, AddActorRefusesBadInputAndChangesNothing) {
  ASSERT_TRUE(engine_->AddActor(kAdmin, kAgent, {"call-center-agent"}).ok());
  const std::string state = State();
  EXPECT_EQ(engine_->AddActor(kAdmin, "emp:x", {"no-such-role"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->AddActor(kAdmin, "emp:x", {"auditor", "no-such-role"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->AddActor(kAdmin, "emp:x", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->AddActor(kAdmin, "", {"auditor"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->AddActor(kAdmin, "emp:a,b", {"auditor"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->AddActor(kAdmin, std::string(129, 'a'), {"auditor"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->AddActor(kAdmin, kAgent, {"auditor"}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(State(), state);
  // The refused duplicate did not replace the cached roles either.
  std::string subject = AddCustomer();
  ASSERT_TRUE(engine_->RecordTraining(kAdmin, kAgent, "privacy-annual", clock_.Now()).ok());
  clock_.Advance(absl::Seconds(1));
  UseResult r = ValueOf(engine_->Decide(Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"})));
  EXPECT_DECISION(r.decision, kAllow, "allowed", "appi.18.1");
}

TEST_F(EngineTest, RecordTrainingWritesTheRowAndOneEntry) {
  ASSERT_TRUE(engine_->AddActor(kAdmin, kClerk, {"billing-clerk"}).ok());
  const int64_t before = Entries();
  const absl::Time completed = clock_.Now() - absl::Hours(24 * 10);
  store::TrainingRow row =
      ValueOf(engine_->RecordTraining("emp:officer", kClerk, "secrecy-annual", completed));
  EXPECT_EQ(row.completed_at, completed);
  EXPECT_EQ(row.recorded_by, "emp:officer");
  std::vector<store::TrainingRow> stored = ValueOf(dir_->store().facts().ListTrainings(kClerk));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].course, "secrecy-annual");
  EXPECT_EQ(stored[0].completed_at, completed);

  ASSERT_EQ(Entries(), before + 1);
  json e = LastEntry();
  EXPECT_EQ(e["kind"], "change");
  EXPECT_EQ(e["change"], "training.record");
  EXPECT_EQ(e["actor"], "emp:officer");
  EXPECT_EQ(e["target_actor"], kClerk);
  EXPECT_EQ(e["course"], "secrecy-annual");
  EXPECT_EQ(e["completed_at"], common::FormatTimestamp(completed));
  EXPECT_EQ(e["valid_until"], common::FormatTimestamp(completed + absl::Hours(24 * 365)));
}

TEST_F(EngineTest, RecordTrainingRefusesBadInputAndChangesNothing) {
  ASSERT_TRUE(engine_->AddActor(kAdmin, kClerk, {"billing-clerk"}).ok());
  const std::string state = State();
  EXPECT_EQ(engine_->RecordTraining(kAdmin, kClerk, "no-such-course", clock_.Now()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      engine_->RecordTraining(kAdmin, "emp:ghost", "privacy-annual", clock_.Now()).status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->RecordTraining(kAdmin, kClerk, "privacy-annual", clock_.Now() + absl::Hours(1))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(State(), state);
}

TEST_F(EngineTest, GrantAndWithdrawConsentWriteTheRowAndOneEntryEach) {
  std::string subject = AddCustomer();
  const int64_t before = Entries();
  ConsentGrant grant;
  grant.subject = subject;
  grant.purpose = "dpv:Marketing";
  grant.channel = "call_center";
  grant.evidence = kEvidence;
  grant.given_at = clock_.Now() - absl::Hours(2);
  store::ConsentRow row = ValueOf(engine_->GrantConsent("emp:agent", grant));
  EXPECT_TRUE(common::IsValidId(row.id, common::IdKind::kConsent)) << row.id;
  EXPECT_EQ(row.subject_id, subject);
  EXPECT_EQ(row.given_at, *grant.given_at);
  EXPECT_EQ(row.policy_version, 1);
  // Kept in the fact store sealed under the subject's keys ...
  EXPECT_EQ(row.evidence.find(kEvidence), std::string::npos);
  EXPECT_EQ(Opened(subject, kConsentEvidenceKey, row.id, row.evidence), kEvidence);
  std::optional<store::ConsentRow> stored = ValueOf(engine_->GetConsent(row.id));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(Opened(subject, kConsentEvidenceKey, row.id, stored->evidence), kEvidence);
  EXPECT_FALSE(stored->withdrawn_at.has_value());

  ASSERT_EQ(Entries(), before + 1);
  json e = LastEntry();  // ... and only hashed in the ledger
  EXPECT_EQ(e["kind"], "change");
  EXPECT_EQ(e["change"], "consent.grant");
  EXPECT_EQ(e["actor"], "emp:agent");
  EXPECT_EQ(e["subject"], subject);
  EXPECT_EQ(e["consent"], row.id);
  EXPECT_EQ(e["purpose"], "dpv:Marketing");
  EXPECT_FALSE(e.contains("recipient"));
  EXPECT_EQ(e["channel"], "call_center");
  EXPECT_EQ(e["given_at"], common::FormatTimestampMicros(*grant.given_at));
  EXPECT_EQ(e["policy_version"], 1);
  EXPECT_EQ(e["evidence_sha256"], ledger::Sha256Hex(kEvidence));

  clock_.Advance(absl::Minutes(5));
  store::ConsentRow withdrawn = ValueOf(engine_->WithdrawConsent("emp:agent2", row.id, "web"));
  EXPECT_EQ(withdrawn.withdrawn_at, clock_.Now());
  EXPECT_EQ(withdrawn.withdrawal_channel, "web");
  stored = ValueOf(engine_->GetConsent(row.id));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->withdrawn_at, clock_.Now());
  ASSERT_EQ(Entries(), before + 2);
  e = LastEntry();
  EXPECT_EQ(e["kind"], "change");
  EXPECT_EQ(e["change"], "consent.withdraw");
  EXPECT_EQ(e["actor"], "emp:agent2");
  EXPECT_EQ(e["subject"], subject);
  EXPECT_EQ(e["consent"], row.id);
  EXPECT_EQ(e["purpose"], "dpv:Marketing");
  EXPECT_EQ(e["channel"], "web");

  // Consent to provision names its recipient.
  grant.purpose = "dpv:PaymentManagement";
  grant.recipient = "hikari-servicer";
  grant.given_at.reset();
  store::ConsentRow provision = ValueOf(engine_->GrantConsent(kAdmin, grant));
  EXPECT_EQ(provision.given_at, clock_.Now());
  EXPECT_EQ(LastEntry()["recipient"], "hikari-servicer");
  EXPECT_EQ(ValueOf(engine_->ListConsents(subject)).size(), 2u);

  ExpectNoPersonalValuesInLedger();
}

TEST_F(EngineTest, ConsentChangesRefuseBadInputAndChangeNothing) {
  std::string subject = AddCustomer();
  ConsentGrant good;
  good.subject = subject;
  good.purpose = "dpv:Marketing";
  good.evidence = kEvidence;
  store::ConsentRow row = ValueOf(engine_->GrantConsent(kAdmin, good));
  ASSERT_TRUE(engine_->WithdrawConsent(kAdmin, row.id, "web").ok());
  const std::string state = State();

  auto grant = [&](auto change) {
    ConsentGrant g = good;
    change(g);
    return engine_->GrantConsent(kAdmin, g).status().code();
  };
  EXPECT_EQ(grant([](ConsentGrant& g) { g.purpose = "dpv:Astrology"; }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(grant([](ConsentGrant& g) { g.recipient = "no-such-recipient"; }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(grant([](ConsentGrant& g) { g.channel = ""; }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(grant([&](ConsentGrant& g) { g.given_at = clock_.Now() + absl::Hours(1); }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(grant([](ConsentGrant& g) { g.subject = "sub_AAAAAAAAAAAAAAAAAAAAAA"; }),
            absl::StatusCode::kNotFound);

  EXPECT_EQ(engine_->WithdrawConsent(kAdmin, row.id, "web").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(engine_->WithdrawConsent(kAdmin, "con_AAAAAAAAAAAAAAAAAAAAAA", "web").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->WithdrawConsent(kAdmin, row.id, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(State(), state);
  EXPECT_EQ(ValueOf(engine_->GetConsent(row.id))->withdrawal_channel, "web");
  EXPECT_EQ(engine_->ListConsents("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, AddStopOrderWritesTheRowAndOneEntry) {
  std::string subject = AddCustomer();
  const int64_t before = Entries();
  StopOrderSpec spec;
  spec.subject = subject;
  spec.purpose = "dpv:Marketing";
  spec.request_id = "req_AAAAAAAAAAAAAAAAAAAAAA";
  store::StopOrderRow row = ValueOf(engine_->AddStopOrder("emp:officer", spec));
  EXPECT_TRUE(common::IsValidId(row.id, common::IdKind::kStopOrder)) << row.id;
  EXPECT_EQ(row.kind, "use");
  EXPECT_FALSE(row.lifted_at.has_value());
  std::vector<store::StopOrderRow> stored = ValueOf(dir_->store().facts().ListStopOrders(subject));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].id, row.id);
  EXPECT_EQ(stored[0].purpose, "dpv:Marketing");

  ASSERT_EQ(Entries(), before + 1);
  json e = LastEntry();
  EXPECT_EQ(e["kind"], "change");
  EXPECT_EQ(e["change"], "stop_order.add");
  EXPECT_EQ(e["actor"], "emp:officer");
  EXPECT_EQ(e["subject"], subject);
  EXPECT_EQ(e["stop_order"], row.id);
  EXPECT_EQ(e["order_kind"], "use");
  EXPECT_EQ(e["purpose"], "dpv:Marketing");
  EXPECT_TRUE(e["recipient"].is_null());
  EXPECT_EQ(e["request"], spec.request_id);

  StopOrderSpec provision;
  provision.subject = subject;
  provision.kind = "provision";
  provision.recipient = "hikari-servicer";
  ASSERT_TRUE(engine_->AddStopOrder(kAdmin, provision).ok());
  e = LastEntry();
  EXPECT_EQ(e["order_kind"], "provision");
  EXPECT_TRUE(e["purpose"].is_null());
  EXPECT_EQ(e["recipient"], "hikari-servicer");
  EXPECT_FALSE(e.contains("request"));
}

TEST_F(EngineTest, AddStopOrderRefusesBadInputAndChangesNothing) {
  std::string subject = AddCustomer();
  const std::string state = State();
  auto add = [&](auto change) {
    StopOrderSpec s;
    s.subject = subject;
    change(s);
    return engine_->AddStopOrder(kAdmin, s).status().code();
  };
  EXPECT_EQ(add([](StopOrderSpec& s) { s.kind = "pause"; }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(add([](StopOrderSpec& s) { s.purpose = "dpv:Astrology"; }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(add([](StopOrderSpec& s) {
              s.kind = "provision";
              s.recipient = "no-such-recipient";
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(add([](StopOrderSpec& s) { s.recipient = "hikari-servicer"; }),
            absl::StatusCode::kInvalidArgument);  // a recipient on a stop-use order
  EXPECT_EQ(add([](StopOrderSpec& s) { s.subject = "sub_AAAAAAAAAAAAAAAAAAAAAA"; }),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(State(), state);
}

TEST_F(EngineTest, AddSubjectAndRecordWriteOneEntryWithIdsOnly) {
  int64_t before = Entries();
  std::string subject = AddCustomer();
  EXPECT_TRUE(common::IsValidId(subject, common::IdKind::kSubject)) << subject;
  ASSERT_EQ(Entries(), before + 1);
  std::vector<vault::RecordInfo> records = ValueOf(dir_->vault().ListRecords(subject));
  ASSERT_EQ(records.size(), 4u);
  json e = LastEntry();
  EXPECT_EQ(e["kind"], "change");
  EXPECT_EQ(e["change"], "subject.add");
  EXPECT_EQ(e["actor"], kAdmin);
  EXPECT_EQ(e["subject"], subject);
  EXPECT_EQ(e["policy_version"], 1);
  ASSERT_EQ(e["records"].size(), 4u);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(e["records"][i]["id"], records[i].id);
    EXPECT_EQ(e["records"][i]["category"], records[i].category);
    EXPECT_EQ(e["records"][i]["service"], "mobile");
    EXPECT_EQ(e["records"][i].size(), 3u);  // id, category, service: no value
  }

  before = Entries();
  std::string record = ValueOf(engine_->AddRecord(
      "emp:agent", subject, {.category = "pd:Name", .service = "support", .value = kNewName}));
  ASSERT_EQ(Entries(), before + 1);
  e = LastEntry();
  EXPECT_EQ(e["change"], "record.add");
  EXPECT_EQ(e["actor"], "emp:agent");
  EXPECT_EQ(e["subject"], subject);
  EXPECT_EQ(e["policy_version"], 1);
  EXPECT_EQ(e["records"],
            json::array({{{"id", record}, {"category", "pd:Name"}, {"service", "support"}}}));
  EXPECT_EQ(ValueOf(dir_->vault().ReadValue(record)), kNewName);

  ExpectNoPersonalValuesInLedger();
}

TEST_F(EngineTest, AddSubjectAndRecordRefuseBadInputAndChangeNothing) {
  std::string subject = AddCustomer();
  const std::string state = State();
  vault::SubjectIdentifiers ids;
  ids.phone = "090-0000-0001";
  EXPECT_EQ(engine_
                ->AddSubject(kAdmin, ids,
                             {{.category = "pd:Name", .service = "mobile", .value = "A"},
                              {.category = "pd:Hobby", .service = "mobile", .value = "B"}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // The site-leasing service announces no purpose for email addresses.
  EXPECT_EQ(
      engine_
          ->AddRecord(kAdmin, subject,
                      {.category = "pd:EmailAddress", .service = "site-leasing", .value = kEmail})
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_
                ->AddRecord(kAdmin, "sub_AAAAAAAAAAAAAAAAAAAAAA",
                            {.category = "pd:Name", .service = "mobile", .value = kName})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(State(), state);
  EXPECT_THAT(ValueOf(dir_->vault().FindSubjects(IdentifierKind::kPhone, "090-0000-0001")),
              IsEmpty());
}

TEST_F(EngineTest, ImportWritesAnEntryPerSubjectAndAFailedImportWritesNone) {
  // Enough lines that the failing import writes chunks before its bad line.
  auto lines = [](int n, int bad_line) {
    std::ostringstream out;
    for (int i = 1; i <= n; ++i) {
      out << R"({"contract":"MT-)" << i << R"(","records":[{"category":")"
          << (i == bad_line ? "pd:Hobby" : "pd:Name") << R"(","service":"mobile","value":"Name )"
          << i << R"("}]})"
          << "\n";
    }
    return out.str();
  };
  const std::string state = State();
  std::istringstream bad(lines(1000, 777));
  absl::StatusOr<vault::ImportSummary> failed = engine_->Import(kAdmin, bad, nullptr);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(State(), state);

  // The ledger carries on from where it was.
  const int64_t before = Entries();
  std::istringstream good(lines(3, -1));
  vault::ImportSummary summary = ValueOf(engine_->Import("emp:importer", good, nullptr));
  EXPECT_EQ(summary.subjects, 3);
  ASSERT_EQ(Entries(), before + 3);
  for (int64_t seq = before; seq < before + 3; ++seq) {
    json e = Entry(static_cast<uint64_t>(seq));
    EXPECT_EQ(e["change"], "subject.add");
    EXPECT_EQ(e["actor"], "emp:importer");
    EXPECT_EQ(e["records"].size(), 1u);
  }
  ASSERT_NO_FATAL_FAILURE(StopEngine());
  ledger::VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.unsigned_entries, 0u);
}

TEST_F(EngineTest, ImportAsDecidesOnceAndImportsOnlyWhenAllowed) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  const std::string text =
      std::string(R"({"contract":"MT-1","records":[{"category":"pd:Name","service":"mobile",)") +
      R"("value":")" + kName + R"("}]})" + "\n\n" + R"({"phone":")" + kPhone +
      R"(","records":[{"category":"pd:Name","service":"mobile","value":")" + kNewName +
      R"("},{"category":"pd:TelephoneNumber","service":"mobile","value":")" + kPhone + R"("}]})" +
      "\n";

  // Allowed: one collect decision, then an entry per subject.
  int64_t before = Entries();
  ImportResult allowed = ValueOf(engine_->ImportAs(kAgent, text));
  EXPECT_DECISION(allowed.decision, kAllow, "allowed", allowed.decision.rule_id);
  EXPECT_EQ(allowed.entry, static_cast<uint64_t>(before));
  EXPECT_EQ(allowed.summary.lines, 3);
  EXPECT_EQ(allowed.summary.subjects, 2);
  EXPECT_EQ(allowed.summary.records, 3);
  ASSERT_EQ(Entries(), before + 3);
  json e = Entry(allowed.entry);
  EXPECT_EQ(e["kind"], "decision");
  EXPECT_EQ(e["action"], "collect");
  EXPECT_EQ(e["actor"], kAgent);
  EXPECT_EQ(e["outcome"], "allow");
  std::vector<std::string> categories = e["categories"].get<std::vector<std::string>>();
  EXPECT_THAT(std::set<std::string>(categories.begin(), categories.end()),
              ::testing::ElementsAre("mamori:ContractNumber", "pd:Name", "pd:TelephoneNumber"));
  for (int64_t seq = before + 1; seq < before + 3; ++seq) {
    json change = Entry(static_cast<uint64_t>(seq));
    EXPECT_EQ(change["change"], "subject.add");
    EXPECT_EQ(change["actor"], kAgent);
  }
  EXPECT_EQ(ValueOf(dir_->store().records().CountSubjects()), 2);

  // Denied: a marketing analyst may not collect contract numbers. The
  // decision is recorded; nothing is imported.
  before = Entries();
  const int64_t subjects = ValueOf(dir_->store().records().CountSubjects());
  ImportResult denied = ValueOf(engine_->ImportAs(kMarketer, text));
  EXPECT_EQ(denied.decision.outcome, Outcome::kDeny);
  EXPECT_EQ(denied.entry, static_cast<uint64_t>(before));
  EXPECT_EQ(denied.summary.subjects, 0);
  ASSERT_EQ(Entries(), before + 1);
  EXPECT_EQ(Entry(denied.entry)["action"], "collect");
  EXPECT_EQ(Entry(denied.entry)["outcome"], "deny");
  EXPECT_EQ(ValueOf(dir_->store().records().CountSubjects()), subjects);

  // A bad line: InvalidArgument naming the line, and nothing recorded.
  const std::string state = State();
  absl::StatusOr<ImportResult> bad = engine_->ImportAs(kAgent, R"({"contract":"MT-2","records":[]})"
                                                               "\n"
                                                               R"({"contract":"MT-3","hobby":"x"})"
                                                               "\n");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), ::testing::StartsWith("line 2: "));
  EXPECT_EQ(State(), state);
  // So is a service announcing no purpose for a category.
  EXPECT_EQ(engine_
                ->ImportAs(kAgent, R"({"contract":"MT-4","records":[{"category":"pd:EmailAddress",)"
                                   R"("service":"site-leasing","value":"a@example.jp"}]})")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(State(), state);
  ExpectNoPersonalValuesInLedger();
}

TEST_F(EngineTest, LoadPolicyAddsAVersionAndOneEntry) {
  const int64_t before = Entries();
  vault::PolicyLoadResult r =
      ValueOf(engine_->LoadPolicy("emp:officer", SecondPolicyText(), "v2.toml"));
  EXPECT_EQ(r.version, 2);
  EXPECT_FALSE(r.unchanged);
  EXPECT_EQ(dir_->policy_version(), 2);
  ASSERT_EQ(Entries(), before + 1);
  json e = LastEntry();
  EXPECT_EQ(e["kind"], "change");
  EXPECT_EQ(e["change"], "policy.load");
  EXPECT_EQ(e["actor"], "emp:officer");
  EXPECT_EQ(e["policy_version"], 2);
  EXPECT_EQ(e["source_sha256"], vault::PolicySha256(SecondPolicyText()));
  EXPECT_EQ(e["diff_sha256"], ledger::Sha256Hex(ledger::CanonicalEntry(r.diff)));

  // Records collected from now on carry the new version.
  std::string subject = AddCustomer();
  EXPECT_EQ(LastEntry()["policy_version"], 2);
  ConsentGrant grant;
  grant.subject = subject;
  grant.purpose = "dpv:Marketing";
  EXPECT_EQ(ValueOf(engine_->GrantConsent(kAdmin, grant)).policy_version, 2);
}

TEST_F(EngineTest, LoadPolicyRefusesBadTextAndKeepsTheSameText) {
  const std::string state = State();
  EXPECT_EQ(engine_->LoadPolicy(kAdmin, "[operator]\nname = 1\n", "bad.toml").status().code(),
            absl::StatusCode::kInvalidArgument);
  vault::PolicyLoadResult same = ValueOf(engine_->LoadPolicy(kAdmin, PolicyText(), "same.toml"));
  EXPECT_TRUE(same.unchanged);
  EXPECT_EQ(same.version, 1);
  EXPECT_EQ(State(), state);
  // The policy in force still works.
  ASSERT_TRUE(engine_->AddActor(kAdmin, kAgent, {"call-center-agent"}).ok());
}

// --- Decisions ---

TEST_F(EngineTest, ReadReturnsValuesOldestFirstAndRecordsTheDecision) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  clock_.Advance(absl::Hours(1));
  std::string renamed = ValueOf(engine_->AddRecord(
      kAdmin, subject, {.category = "pd:Name", .service = "support", .value = kNewName}));
  clock_.Advance(absl::Hours(1));

  const int64_t before = Entries();
  UseRequest request = Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name", "pd:EmailAddress"});
  UseResult r = ValueOf(engine_->Read(request));
  EXPECT_DECISION(r.decision, kAllow, "allowed", "appi.18.1");
  EXPECT_EQ(r.decision.legal_basis, "announced_purpose");
  EXPECT_THAT(r.values["pd:Name"], ElementsAre(kName, kNewName));
  EXPECT_THAT(r.values["pd:EmailAddress"], ElementsAre(kEmail));
  EXPECT_EQ(r.values.size(), 2u);

  ASSERT_EQ(Entries(), before + 1);
  EXPECT_EQ(r.entry, static_cast<uint64_t>(before));
  json e = Entry(r.entry);
  EXPECT_EQ(e["kind"], "decision");
  EXPECT_EQ(e["action"], "read");
  EXPECT_EQ(e["actor"], kAgent);
  EXPECT_EQ(e["purpose"], "dpv:CustomerCare");
  EXPECT_EQ(e["subject"], subject);
  EXPECT_EQ(e["categories"], json::array({"pd:Name", "pd:EmailAddress"}));
  EXPECT_EQ(e["outcome"], "allow");
  EXPECT_EQ(e["reason_code"], "allowed");
  EXPECT_EQ(e["rule_id"], "appi.18.1");
  EXPECT_EQ(e["legal_basis"], "announced_purpose");
  EXPECT_EQ(e["ground"], "none");
  EXPECT_EQ(e["flagged_for_audit"], false);
  EXPECT_FALSE(e.contains("note_sha256"));
  std::vector<vault::RecordInfo> records = ValueOf(dir_->vault().ListRecords(subject));
  std::vector<std::string> read_ids;
  for (const vault::RecordInfo& info : records) {
    if (info.category == "pd:Name" || info.category == "pd:EmailAddress") {
      read_ids.push_back(info.id);
    }
  }
  EXPECT_THAT(e["records"].get<std::vector<std::string>>(), UnorderedElementsAreArray(read_ids));
  EXPECT_NE(std::find(read_ids.begin(), read_ids.end(), renamed), read_ids.end());
  ExpectNoPersonalValuesInLedger();
}

TEST_F(EngineTest, ReadOrdersValuesByCollectionTime) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  // Added later, but collected a month before the first name record.
  ASSERT_TRUE(engine_
                  ->AddRecord(kAdmin, subject,
                              {.category = "pd:Name",
                               .service = "support",
                               .value = kNewName,
                               .collected_at = clock_.Now() - absl::Hours(24 * 30)})
                  .ok());
  UseResult r = ValueOf(engine_->Read(Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"})));
  EXPECT_DECISION(r.decision, kAllow, "allowed", "appi.18.1");
  EXPECT_THAT(r.values["pd:Name"], ElementsAre(kNewName, kName));
}

// Reads find a subject's records in the record cache after the first one;
// every acknowledged change must show in the next read all the same.
TEST_F(EngineTest, AReadAfterAnAcknowledgedChangeSeesIt) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  const UseRequest name = Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"});
  EXPECT_THAT(ValueOf(engine_->Read(name)).values["pd:Name"], ElementsAre(kName));
  EXPECT_THAT(ValueOf(engine_->Read(name)).values["pd:Name"], ElementsAre(kName));
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(engine_
                  ->AddRecord(kAdmin, subject,
                              {.category = "pd:Name", .service = "support", .value = kNewName})
                  .ok());
  EXPECT_THAT(ValueOf(engine_->Read(name)).values["pd:Name"], ElementsAre(kName, kNewName));
  // A category asked for together with a cached one.
  UseResult both = ValueOf(
      engine_->Read(Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name", "pd:EmailAddress"})));
  EXPECT_THAT(both.values["pd:Name"], ElementsAre(kName, kNewName));
  EXPECT_THAT(both.values["pd:EmailAddress"], ElementsAre(kEmail));
  // The same category twice is read once.
  UseResult twice =
      ValueOf(engine_->Read(Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name", "pd:Name"})));
  EXPECT_THAT(twice.values["pd:Name"], ElementsAre(kName, kNewName));
}

TEST_F(EngineTest, ReadsBesideWritesOfTheSameSubjectNeverMissAnAcknowledgedRecord) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  const UseRequest name = Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"});
  std::atomic<size_t> acknowledged{1};  // name records acknowledged so far
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        const size_t at_least = acknowledged.load();
        absl::StatusOr<UseResult> r = engine_->Read(name);
        if (!r.ok() || r->values["pd:Name"].size() < at_least) ++failures;
      }
    });
  }
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(engine_
                    ->AddRecord(kAdmin, subject,
                                {.category = "pd:Name", .service = "support", .value = kNewName})
                    .ok());
    acknowledged.fetch_add(1);
  }
  done.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ValueOf(engine_->Read(name)).values["pd:Name"].size(), 41u);
}

// The ledger's order is the truth: a read returns exactly the records that
// its subject had at the read's place in the ledger, even when its records
// were fetched before a record added just before it committed.
TEST_F(EngineTest, AReadReturnsEveryRecordAddedBeforeItInTheLedger) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  const std::vector<SeenRead> seen =
      ReadWhile({Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"})}, 8, [&] {
        for (int i = 0; i < 40; ++i) {
          ASSERT_TRUE(
              engine_
                  ->AddRecord(kAdmin, subject,
                              {.category = "pd:Name", .service = "support", .value = kNewName})
                  .ok());
        }
      });
  // How many name records the subject had at each entry.
  std::vector<size_t> names_at;
  size_t names = 0;
  for (const std::string& bytes : EntryBytes()) {
    const json e = json::parse(bytes);
    if (e.value("subject", "") == subject) {
      for (const json& r : e.value("records", json::array())) {
        if (r.is_object() && r.value("category", "") == "pd:Name") ++names;
      }
    }
    names_at.push_back(names);
  }
  ASSERT_EQ(names, 41u);
  int wrong = 0;
  for (const SeenRead& s : seen) {
    ASSERT_LT(s.entry, names_at.size());
    if (s.values != names_at[s.entry]) ++wrong;
  }
  EXPECT_EQ(wrong, 0) << "of " << seen.size() << " reads";
}

// Callers of Submit sleep on a word shared by the jobs the writer took
// together (WakeGroups). With batches cut at two jobs, most callers share
// their word with jobs of another batch and are woken before their own
// answer: each must sleep on and get its own answer, never another's.
TEST_F(EngineTest, CallersOfBatchesCutShortEachGetTheirOwnAnswer) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  constexpr int kCallers = 12;
  std::vector<std::string> subjects;
  for (int c = 0; c < kCallers; ++c) {
    subjects.push_back(AddCustomer());
    ASSERT_TRUE(engine_
                    ->AddRecord(kAdmin, subjects.back(),
                                {.category = "pd:Name",
                                 .service = "support",
                                 .value = "caller " + std::to_string(c)})
                    .ok());
  }
  ASSERT_NO_FATAL_FAILURE(StopEngine());
  EngineOptions options = Options();
  options.max_batch = 2;
  ASSERT_NO_FATAL_FAILURE(StartEngine(options));
  constexpr int kReads = 40;
  std::vector<std::vector<uint64_t>> entries(kCallers);
  std::atomic<int> wrong = 0;
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      const std::string own = "caller " + std::to_string(c);
      for (int i = 0; i < kReads; ++i) {
        absl::StatusOr<UseResult> r = engine_->Read(
            Use(kAgent, "dpv:CustomerCare", subjects[static_cast<size_t>(c)], {"pd:Name"}));
        const std::vector<std::string>* names =
            r.ok() && r->values.contains("pd:Name") ? &r->values.at("pd:Name") : nullptr;
        if (names == nullptr || std::find(names->begin(), names->end(), own) == names->end()) {
          wrong.fetch_add(1);
          continue;
        }
        entries[static_cast<size_t>(c)].push_back(r->entry);
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  for (int c = 0; c < kCallers; ++c) {
    ASSERT_EQ(entries[static_cast<size_t>(c)].size(), static_cast<size_t>(kReads));
    for (uint64_t seq : entries[static_cast<size_t>(c)]) {
      EXPECT_EQ(Entry(seq)["subject"], subjects[static_cast<size_t>(c)]) << seq;
    }
  }
}

TEST_F(EngineTest, DeniedReadReturnsNoValuesAndIsRecorded) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  const int64_t before = Entries();
  // A call-center agent may bill, but not see card numbers.
  UseResult r = ValueOf(engine_->Read(
      Use(kAgent, "dpv:PaymentManagement", subject, {"pd:Name", "pd:PaymentCardNumber"})));
  EXPECT_DECISION(r.decision, kDeny, "role_category_not_allowed", "appi.23");
  EXPECT_TRUE(r.values.empty());
  ASSERT_EQ(Entries(), before + 1);
  json e = Entry(r.entry);
  EXPECT_EQ(e["action"], "read");
  EXPECT_EQ(e["outcome"], "deny");
  EXPECT_EQ(e["reason_code"], "role_category_not_allowed");
  EXPECT_EQ(e["rule_id"], "appi.23");
  EXPECT_EQ(e["legal_basis"], "");
  EXPECT_FALSE(e.contains("records"));
  ExpectNoPersonalValuesInLedger();
}

TEST_F(EngineTest, AnUnknownActorIsDeniedAndRecorded) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  UseRequest request = Use("emp:ghost", "dpv:CustomerCare", subject, {"pd:Name"});
  EXPECT_DECISION(DecideAndCheckEntry(request), kDeny, kActorUnknown, "appi.23");
  UseResult r = ValueOf(engine_->Read(request));
  EXPECT_EQ(r.decision.reason_code, kActorUnknown);
  EXPECT_TRUE(r.values.empty());
  EXPECT_EQ(Entry(r.entry)["reason_code"], kActorUnknown);

  FindResult f = ValueOf(engine_->Find({.actor = "emp:ghost",
                                        .purpose = "dpv:CustomerCare",
                                        .kind = IdentifierKind::kPhone,
                                        .value = kPhone}));
  EXPECT_EQ(f.decision.reason_code, kActorUnknown);
  EXPECT_THAT(f.subjects, IsEmpty());
  json e = Entry(f.entry);
  EXPECT_EQ(e["action"], "find");
  EXPECT_EQ(e["reason_code"], kActorUnknown);
  EXPECT_FALSE(e.contains("subjects"));
}

TEST_F(EngineTest, MalformedRequestsAreRefusedWithoutAnEntry) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  const int64_t before = Entries();
  EXPECT_EQ(engine_->Decide(Use(kAgent, "dpv:CustomerCare", subject, {})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->Decide(Use("", "dpv:CustomerCare", subject, {"pd:Name"})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->Read(Use(kAgent, "", subject, {"pd:Name"})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      engine_->Read(Use(kAgent, "dpv:CustomerCare", "sub_AAAAAAAAAAAAAAAAAAAAAA", {"pd:Name"}))
          .status()
          .code(),
      absl::StatusCode::kNotFound);
  UseRequest reason_only = Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"});
  reason_only.reason = kReason;
  EXPECT_EQ(engine_->Decide(reason_only).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_
                ->Find({.actor = kAgent,
                        .purpose = "dpv:CustomerCare",
                        .kind = IdentifierKind::kNone,
                        .value = kPhone})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Entries(), before);
  // A denied decision is a value, not an error.
  EXPECT_DECISION(DecideAndCheckEntry(Use(kAgent, "dpv:Astrology", subject, {"pd:Name"})), kDeny,
                  "purpose_unknown", "appi.17.1");
}

TEST_F(EngineTest, MissingOrExpiredTrainingDenies) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  // The billing clerk lacks secrecy-annual.
  UseRequest billing = Use(kClerk, "dpv:PaymentManagement", subject, {"pd:Name"});
  EXPECT_DECISION(DecideAndCheckEntry(billing), kDeny, "training_missing", "appi.24");
  ASSERT_TRUE(
      engine_->RecordTraining(kAdmin, kClerk, "secrecy-annual", clock_.Now() - absl::Hours(24))
          .ok());
  EXPECT_DECISION(DecideAndCheckEntry(billing), kAllow, "allowed", "appi.18.1");

  // Every course was completed a day ago and is valid for 365 days.
  UseRequest care = Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"});
  clock_.Advance(absl::Hours(24 * 364) - absl::Seconds(1));
  EXPECT_DECISION(DecideAndCheckEntry(care), kAllow, "allowed", "appi.18.1");
  clock_.Advance(absl::Seconds(1));
  EXPECT_DECISION(DecideAndCheckEntry(care), kDeny, "training_expired", "appi.24");
  UseResult r = ValueOf(engine_->Read(care));
  EXPECT_EQ(r.decision.reason_code, "training_expired");
  EXPECT_TRUE(r.values.empty());
  // Retaking the course restores access.
  ASSERT_TRUE(engine_->RecordTraining(kAdmin, kAgent, "privacy-annual", clock_.Now()).ok());
  EXPECT_DECISION(DecideAndCheckEntry(care), kAllow, "allowed", "appi.18.1");
}

TEST_F(EngineTest, GrantedThenWithdrawnConsentFlipsAConsentPurpose) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  // dpv:Marketing requires consent.
  ASSERT_TRUE(dir_->policy().FindPurpose("dpv:Marketing")->requires_consent);
  UseRequest marketing = Use(kMarketer, "dpv:Marketing", subject, {"pd:EmailAddress"});
  EXPECT_DECISION(DecideAndCheckEntry(marketing), kDeny, "consent_required", "appi.18.1");

  // Consent to provide to a third party is not consent to the operator's use.
  ConsentGrant grant;
  grant.subject = subject;
  grant.purpose = "dpv:Marketing";
  grant.recipient = "hikari-servicer";
  ASSERT_TRUE(engine_->GrantConsent(kAdmin, grant).ok());
  EXPECT_DECISION(DecideAndCheckEntry(marketing), kDeny, "consent_required", "appi.18.1");

  grant.recipient.reset();
  grant.evidence = kEvidence;
  store::ConsentRow consent = ValueOf(engine_->GrantConsent(kAdmin, grant));
  policy::Decision allowed = DecideAndCheckEntry(marketing);
  EXPECT_DECISION(allowed, kAllow, "allowed", "appi.18.1");
  EXPECT_EQ(allowed.legal_basis, "consent");
  UseResult r = ValueOf(engine_->Read(marketing));
  EXPECT_THAT(r.values["pd:EmailAddress"], ElementsAre(kEmail));

  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(engine_->WithdrawConsent(kAdmin, consent.id, "web").ok());
  EXPECT_DECISION(DecideAndCheckEntry(marketing), kDeny, "consent_required", "appi.18.1");
  r = ValueOf(engine_->Read(marketing));
  EXPECT_TRUE(r.values.empty());

  // Consent given again counts again.
  ASSERT_TRUE(engine_->GrantConsent(kAdmin, grant).ok());
  EXPECT_DECISION(DecideAndCheckEntry(marketing), kAllow, "allowed", "appi.18.1");
  ExpectNoPersonalValuesInLedger();
}

TEST_F(EngineTest, StopUseOrderDeniesAndFindWithholdsTheSubject) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string stopped = AddCustomer();
  std::string other = AddCustomer();  // the same phone number
  FindRequest find{.actor = kAgent,
                   .purpose = "dpv:CustomerCare",
                   .kind = IdentifierKind::kPhone,
                   .value = "+81 90 1234 5678"};
  FindResult found = ValueOf(engine_->Find(find));
  EXPECT_DECISION(found.decision, kAllow, "allowed", "appi.18.1");
  std::vector<std::string> both = {stopped, other};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(found.subjects, both);

  StopOrderSpec spec;
  spec.subject = stopped;
  spec.purpose = "dpv:CustomerCare";
  ASSERT_TRUE(engine_->AddStopOrder(kAdmin, spec).ok());
  // A stop-provision order does not stop use.
  StopOrderSpec provision;
  provision.subject = other;
  provision.kind = "provision";
  ASSERT_TRUE(engine_->AddStopOrder(kAdmin, provision).ok());

  UseRequest care = Use(kAgent, "dpv:CustomerCare", stopped, {"pd:Name"});
  EXPECT_DECISION(DecideAndCheckEntry(care), kDeny, "stop_use_order", "appi.35.1");
  UseResult r = ValueOf(engine_->Read(care));
  EXPECT_EQ(r.decision.reason_code, "stop_use_order");
  EXPECT_TRUE(r.values.empty());
  // Only that purpose is stopped, and only for that subject.
  EXPECT_DECISION(DecideAndCheckEntry(Use(kAgent, "dpv:PaymentManagement", stopped, {"pd:Name"})),
                  kAllow, "allowed", "appi.18.1");
  EXPECT_DECISION(DecideAndCheckEntry(Use(kAgent, "dpv:CustomerCare", other, {"pd:Name"})), kAllow,
                  "allowed", "appi.18.1");

  found = ValueOf(engine_->Find(find));
  EXPECT_THAT(found.subjects, ElementsAre(other));
  json e = Entry(found.entry);
  EXPECT_EQ(e["kind"], "decision");
  EXPECT_EQ(e["action"], "find");
  EXPECT_EQ(e["actor"], kAgent);
  EXPECT_EQ(e["identifier"], "phone");
  EXPECT_EQ(e["categories"], json::array({"pd:TelephoneNumber"}));
  EXPECT_EQ(e["subjects"], json::array({other}));
  EXPECT_EQ(e["withheld_by_stop_order"], 1);
  // For a purpose not stopped, both are found.
  find.purpose = "dpv:PaymentManagement";
  EXPECT_EQ(ValueOf(engine_->Find(find)).subjects, both);

  // An order for every purpose stops them all.
  StopOrderSpec all;
  all.subject = other;
  ASSERT_TRUE(engine_->AddStopOrder(kAdmin, all).ok());
  found = ValueOf(engine_->Find(find));
  EXPECT_THAT(found.subjects, ElementsAre(stopped));
  EXPECT_EQ(Entry(found.entry)["withheld_by_stop_order"], 1);
  EXPECT_DECISION(DecideAndCheckEntry(Use(kAgent, "dpv:PaymentManagement", other, {"pd:Name"})),
                  kDeny, "stop_use_order", "appi.35.1");
  ExpectNoPersonalValuesInLedger();
}

TEST_F(EngineTest, DeniedFindReturnsNoSubjects) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  AddCustomer();
  // A fraud analyst may not search for customer care.
  FindResult f = ValueOf(engine_->Find({.actor = kAnalyst,
                                        .purpose = "dpv:CustomerCare",
                                        .kind = IdentifierKind::kName,
                                        .value = kName}));
  EXPECT_DECISION(f.decision, kDeny, "role_purpose_not_allowed", "appi.23");
  EXPECT_THAT(f.subjects, IsEmpty());
  json e = Entry(f.entry);
  EXPECT_EQ(e["outcome"], "deny");
  EXPECT_EQ(e["identifier"], "name");
  EXPECT_FALSE(e.contains("subjects"));
  ExpectNoPersonalValuesInLedger();
}

TEST_F(EngineTest, GroundsNeedAReasonKeptAsANoteOutsideTheEntry) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  // A landlord's name, collected only for statutory payment records.
  std::string subject = ValueOf(engine_->AddSubject(
      kAdmin, {}, {{.category = "pd:Name", .service = "site-leasing", .value = kName}}));
  UseRequest care = Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"});
  EXPECT_DECISION(DecideAndCheckEntry(care), kDeny, "purpose_beyond_collection", "appi.18.1");

  care.ground = Ground::kLaw;
  policy::Decision no_reason = DecideAndCheckEntry(care);
  EXPECT_DECISION(no_reason, kDeny, "ground_reason_missing", "appi.18.3");
  EXPECT_TRUE(no_reason.flagged_for_audit);
  EXPECT_EQ(LastEntry()["ground"], "law");

  care.reason = kReason;
  const int64_t before = Entries();
  UseResult r = ValueOf(engine_->Read(care));
  EXPECT_DECISION(r.decision, kAllow, "allowed", "appi.18.3");
  EXPECT_EQ(r.decision.legal_basis, "ground:law");
  EXPECT_TRUE(r.decision.flagged_for_audit);
  EXPECT_THAT(r.values["pd:Name"], ElementsAre(kName));
  ASSERT_EQ(Entries(), before + 1);
  json e = Entry(r.entry);
  EXPECT_EQ(e["ground"], "law");
  EXPECT_EQ(e["flagged_for_audit"], true);
  EXPECT_EQ(e["legal_basis"], "ground:law");
  EXPECT_EQ(e["note_sha256"], ledger::Sha256Hex(kReason));
  std::optional<std::string> note = ValueOf(ledger().GetNote(static_cast<int64_t>(r.entry)));
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(note->find(kReason), std::string::npos);  // sealed, not plain
  EXPECT_EQ(Opened(subject, kUseReasonKey, fmt::format("note-{}", r.entry), *note), kReason);
  ExpectNoPersonalValuesInLedger();

  // A ground lifts purpose limitation, never a stop-use order.
  StopOrderSpec spec;
  spec.subject = subject;
  ASSERT_TRUE(engine_->AddStopOrder(kAdmin, spec).ok());
  EXPECT_DECISION(DecideAndCheckEntry(care), kDeny, "stop_use_order", "appi.35.1");
}

// --- Group commit ---

TEST_F(EngineTest, ManyThreadsShareCommitsAndEachGetsItsOwnEntry) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::vector<std::string> subjects;
  for (int i = 0; i < 8; ++i) subjects.push_back(AddCustomer());
  const int64_t before = Entries();

  constexpr int kThreads = 64;
  constexpr int kCallsPerThread = 40;
  struct Call {
    std::string actor;
    std::string subject;
    bool read = false;
    uint64_t entry = 0;
  };
  std::vector<std::vector<Call>> calls(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        Call call;
        call.actor = (t + i) % 3 == 0 ? kClerk : kAgent;  // the clerk is untrained
        call.subject = subjects[(t * 7 + i) % subjects.size()];
        call.read = i % 2 == 0;
        UseRequest request;
        request.actor = call.actor;
        request.purpose = "dpv:PaymentManagement";
        request.subject = call.subject;
        request.categories = {"pd:Name"};
        absl::StatusOr<UseResult> r = call.read ? engine_->Read(request) : engine_->Decide(request);
        const bool expect_allow = call.actor == kAgent;
        if (!r.ok() || (r->decision.outcome == Outcome::kAllow) != expect_allow ||
            (call.read && expect_allow &&
             r->values["pd:Name"] != std::vector<std::string>{kName}) ||
            (!expect_allow && !r->values.empty())) {
          ++failures;
          continue;
        }
        call.entry = r->entry;
        calls[t].push_back(std::move(call));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  constexpr int64_t kCalls = kThreads * kCallsPerThread;
  ASSERT_EQ(Entries(), before + kCalls);
  std::set<uint64_t> seqs;
  for (const std::vector<Call>& list : calls) {
    for (const Call& call : list) {
      EXPECT_TRUE(seqs.insert(call.entry).second) << "entry " << call.entry << " returned twice";
      json e = Entry(call.entry);
      EXPECT_EQ(e["action"], call.read ? "read" : "decide");
      EXPECT_EQ(e["actor"], call.actor);
      EXPECT_EQ(e["subject"], call.subject);
      EXPECT_EQ(e["outcome"], call.actor == kAgent ? "allow" : "deny");
    }
  }
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kCalls));
  EXPECT_EQ(*seqs.begin(), static_cast<uint64_t>(before));
  EXPECT_EQ(*seqs.rbegin(), static_cast<uint64_t>(before + kCalls - 1));

  ASSERT_NO_FATAL_FAILURE(StopEngine());
  ledger::VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, static_cast<uint64_t>(before + kCalls));
  EXPECT_EQ(report.unsigned_entries, 0u);
  // Heads at start, every 1000 entries and at stop: not one per entry.
  EXPECT_LE(report.tree_heads, 2u + report.entries / 1000);
}

TEST_F(EngineTest, AFailingJobInABatchDoesNotAffectTheOthers) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  const int64_t before = Entries();

  // Failing jobs of every kind, before or after they wrote rows and
  // entries, submitted together with good ones.
  constexpr int kThreads = 64;
  constexpr int kRounds = 4;
  std::string big_bad_import;
  for (int i = 1; i <= 600; ++i) {
    big_bad_import += R"({"contract":"MT-X)" + std::to_string(i) + R"(","records":[{"category":")" +
                      (i == 600 ? "pd:Hobby" : "pd:Name") +
                      R"(","service":"mobile","value":"X"}]})" + "\n";
  }
  std::atomic<int> unexpected{0};
  std::atomic<int> good_actors{0};
  std::atomic<int> good_reads{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        const std::string id = "emp:t" + std::to_string(t) + "-" + std::to_string(round);
        switch (t % 4) {
          case 0: {  // unknown role
            if (engine_->AddActor(kAdmin, id, {"call-center-agent", "no-such-role"})
                    .status()
                    .code() != absl::StatusCode::kInvalidArgument) {
              ++unexpected;
            }
            break;
          }
          case 1: {  // a duplicate, or an import that fails after writing
            absl::StatusCode code;
            if (t == 1) {
              std::istringstream in(big_bad_import);
              code = engine_->Import(kAdmin, in, nullptr).status().code();
              if (code != absl::StatusCode::kInvalidArgument) ++unexpected;
            } else {
              code = engine_->AddActor(kAdmin, kAgent, {"auditor"}).status().code();
              if (code != absl::StatusCode::kAlreadyExists) ++unexpected;
            }
            break;
          }
          case 2: {
            if (engine_->AddActor(kAdmin, id, {"call-center-agent"}).ok()) {
              ++good_actors;
            } else {
              ++unexpected;
            }
            break;
          }
          default: {
            absl::StatusOr<UseResult> r =
                engine_->Read(Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"}));
            if (r.ok() && r->decision.outcome == Outcome::kAllow &&
                r->values["pd:Name"] == std::vector<std::string>{kName}) {
              ++good_reads;
            } else {
              ++unexpected;
            }
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(good_actors.load(), kThreads / 4 * kRounds);
  EXPECT_EQ(good_reads.load(), kThreads / 4 * kRounds);

  // Exactly the good jobs left rows and entries.
  ASSERT_EQ(Entries(), before + good_actors.load() + good_reads.load());
  std::vector<store::ActorRow> actors = ValueOf(dir_->store().facts().ListActors());
  EXPECT_EQ(actors.size(), 4u + static_cast<size_t>(good_actors.load()));
  std::set<std::string> added;
  for (int64_t seq = before; seq < Entries(); ++seq) {
    json e = Entry(static_cast<uint64_t>(seq));
    if (e["kind"] == "change") {
      EXPECT_EQ(e["change"], "actor.add");
      added.insert(e["target_actor"].get<std::string>());
    }
  }
  EXPECT_EQ(added.size(), static_cast<size_t>(good_actors.load()));
  for (const std::string& id : added) {
    // Only the threads adding good actors: "emp:t<thread>-<round>".
    const int thread = std::stoi(id.substr(std::string("emp:t").size()));
    EXPECT_EQ(thread % 4, 2) << id;
    EXPECT_TRUE(ValueOf(dir_->store().facts().GetActor(id)).has_value()) << id;
  }
  // The failed import left no subject, record or index behind.
  EXPECT_EQ(ValueOf(dir_->store().records().CountSubjects()), 1);
  EXPECT_EQ(ValueOf(dir_->store().records().CountRecords()), 4);
  EXPECT_THAT(ValueOf(dir_->vault().FindSubjects(IdentifierKind::kContract, "MT-X1")), IsEmpty());

  ASSERT_NO_FATAL_FAILURE(StopEngine());
  ledger::VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.unsigned_entries, 0u);
}

// --- Restart ---

TEST_F(EngineTest, RestartKeepsLedgerFactsAndDecisions) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::string subject = AddCustomer();
  std::string other = AddCustomer();
  ConsentGrant grant;
  grant.subject = subject;
  grant.purpose = "dpv:Marketing";
  grant.evidence = kEvidence;
  store::ConsentRow kept = ValueOf(engine_->GrantConsent(kAdmin, grant));
  grant.subject = other;
  store::ConsentRow withdrawn = ValueOf(engine_->GrantConsent(kAdmin, grant));
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(engine_->WithdrawConsent(kAdmin, withdrawn.id, "web").ok());
  StopOrderSpec stop;
  stop.subject = other;
  stop.purpose = "dpv:CustomerCare";
  ASSERT_TRUE(engine_->AddStopOrder(kAdmin, stop).ok());
  clock_.Advance(absl::Minutes(1));

  const std::vector<UseRequest> requests = {
      Use(kMarketer, "dpv:Marketing", subject, {"pd:EmailAddress"}),
      Use(kMarketer, "dpv:Marketing", other, {"pd:EmailAddress"}),
      Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"}),
      Use(kAgent, "dpv:CustomerCare", other, {"pd:Name"}),
      Use(kClerk, "dpv:PaymentManagement", subject, {"pd:Name"}),
      Use(kAnalyst, "dpv:FraudPreventionAndDetection", subject, {"pd:Name"}),
      Use("emp:ghost", "dpv:CustomerCare", subject, {"pd:Name"}),
  };
  std::vector<UseResult> first;
  for (const UseRequest& r : requests) first.push_back(ValueOf(engine_->Read(r)));
  ASSERT_NO_FATAL_FAILURE(StopEngine());
  const std::vector<std::string> entries = EntryBytes();
  const std::string state = State();
  const size_t heads = ValueOf(ledger().ListTreeHeads()).size();

  dir_.reset();
  ASSERT_NO_FATAL_FAILURE(OpenDirectory());
  ASSERT_NO_FATAL_FAILURE(StartEngine());
  EXPECT_EQ(EntryBytes(), entries);
  EXPECT_EQ(State(), state);
  EXPECT_EQ(ValueOf(ledger().ListTreeHeads()).size(), heads);
  std::vector<store::ConsentRow> consents = ValueOf(engine_->ListConsents(other));
  ASSERT_EQ(consents.size(), 1u);
  EXPECT_EQ(consents[0].withdrawn_at, withdrawn.given_at + absl::Minutes(1));
  EXPECT_EQ(Opened(kept.subject_id, kConsentEvidenceKey, kept.id,
                   ValueOf(engine_->GetConsent(kept.id))->evidence),
            kEvidence);

  for (size_t i = 0; i < requests.size(); ++i) {
    UseResult again = ValueOf(engine_->Read(requests[i]));
    EXPECT_EQ(again.decision, first[i].decision) << i << " " << again.decision.reason_code;
    EXPECT_EQ(again.values, first[i].values) << i;
    EXPECT_EQ(again.entry, entries.size() + i);
  }
  // The decisions differ from one another as the facts say.
  EXPECT_EQ(first[0].decision.outcome, Outcome::kAllow);
  EXPECT_EQ(first[1].decision.reason_code, "consent_required");
  EXPECT_EQ(first[2].decision.outcome, Outcome::kAllow);
  EXPECT_EQ(first[3].decision.reason_code, "stop_use_order");
  EXPECT_EQ(first[4].decision.reason_code, "training_missing");
  EXPECT_EQ(first[5].decision.outcome, Outcome::kAllow);
  EXPECT_EQ(first[6].decision.reason_code, kActorUnknown);

  ASSERT_NO_FATAL_FAILURE(StopEngine());
  ledger::VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, entries.size() + requests.size());
  EXPECT_EQ(report.unsigned_entries, 0u);
}

// --- Consent receipts ---

TEST_F(EngineTest, TokensAuthenticateUntilTheyExpireOrAreRevoked) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  const int64_t before = Entries();
  Engine::IssuedToken day = ValueOf(engine_->CreateToken(kAdmin, kAgent, absl::Hours(24)));
  Engine::IssuedToken forever = ValueOf(engine_->CreateToken(kAdmin, kClerk, std::nullopt));
  EXPECT_TRUE(day.token.starts_with("mamori_"));
  EXPECT_TRUE(day.row.id.starts_with("tok_"));
  EXPECT_EQ(day.row.expires_at, clock_.Now() + absl::Hours(24));
  EXPECT_EQ(Entries(), before + 2);
  for (int64_t seq = before; seq < before + 2; ++seq) {
    // The ledger names the token by id; the secret appears nowhere.
    EXPECT_EQ(Entry(static_cast<uint64_t>(seq)).dump().find("mamori_"), std::string::npos);
  }
  EXPECT_EQ(ValueOf(engine_->Authenticate(day.token)), kAgent);
  EXPECT_EQ(engine_->TokenId(day.token), day.row.id);

  clock_.Advance(absl::Hours(24) - absl::Seconds(1));
  EXPECT_EQ(ValueOf(engine_->Authenticate(day.token)), kAgent);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(engine_->Authenticate(day.token).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ValueOf(engine_->Authenticate(forever.token)), kClerk);

  ValueOf(engine_->RevokeToken(kAdmin, forever.row.id));
  EXPECT_EQ(engine_->Authenticate(forever.token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(engine_->RevokeToken(kAdmin, forever.row.id).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // Unknown, malformed, and the secret's own id are not tokens.
  EXPECT_EQ(
      engine_->Authenticate("mamori_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status().code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(engine_->Authenticate("").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(engine_->Authenticate(day.row.id).status().code(), absl::StatusCode::kUnauthenticated);

  // Bad requests change nothing.
  const int64_t after = Entries();
  EXPECT_EQ(engine_->CreateToken(kAdmin, "emp:nobody", std::nullopt).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->CreateToken(kAdmin, kAgent, absl::ZeroDuration()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->RevokeToken(kAdmin, "tok_unknown").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Entries(), after);

  // Expiry and revocation survive a restart.
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_EQ(engine_->Authenticate(day.token).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(engine_->Authenticate(forever.token).status().code(),
            absl::StatusCode::kUnauthenticated);
  Engine::IssuedToken fresh = ValueOf(engine_->CreateToken(kAdmin, kAgent, absl::Hours(1)));
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_EQ(ValueOf(engine_->Authenticate(fresh.token)), kAgent);
}

TEST_F(EngineTest, ConsentReceiptHasTheKantaraFieldsAndNoEvidenceText) {
  std::string subject = AddCustomer();
  ConsentGrant grant;
  grant.subject = subject;
  grant.purpose = "dpv:Marketing";
  grant.channel = "call_center";
  grant.evidence = kEvidence;
  store::ConsentRow row = ValueOf(engine_->GrantConsent("emp:agent", grant));

  json receipt = ConsentReceipt(dir_->policy(), row, kEvidence);
  for (const char* field : {"version", "jurisdiction", "consentTimestamp", "collectionMethod",
                            "consentReceiptID", "language", "piiPrincipalId", "piiControllers",
                            "policyUrl", "services", "sensitive", "spiCat"}) {
    EXPECT_TRUE(receipt.contains(field)) << field;
  }
  EXPECT_EQ(receipt["version"], "KI-CR-v1.1.0");
  EXPECT_EQ(receipt["jurisdiction"], "JP");
  EXPECT_EQ(receipt["consentTimestamp"], absl::ToUnixSeconds(row.given_at));
  EXPECT_EQ(receipt["collectionMethod"], "call_center");
  EXPECT_EQ(receipt["consentReceiptID"], row.id);
  EXPECT_EQ(receipt["piiPrincipalId"], subject);
  ASSERT_EQ(receipt["piiControllers"].size(), 1u);
  const json& controller = receipt["piiControllers"][0];
  for (const char* field : {"piiController", "contact", "address"}) {
    EXPECT_TRUE(controller.contains(field)) << field;
  }
  EXPECT_EQ(controller["piiController"], "株式会社みらいテレコム");
  ASSERT_EQ(receipt["services"].size(), 1u);
  ASSERT_EQ(receipt["services"][0]["purposes"].size(), 1u);
  EXPECT_TRUE(receipt["services"][0].contains("service"));
  const json& purpose = receipt["services"][0]["purposes"][0];
  for (const char* field : {"purpose", "purposeCategory", "consentType", "piiCategory",
                            "primaryPurpose", "termination", "thirdPartyDisclosure"}) {
    EXPECT_TRUE(purpose.contains(field)) << field;
  }
  EXPECT_EQ(purpose["purposeId"], "dpv:Marketing");
  EXPECT_EQ(purpose["purpose"], dir_->policy().FindPurpose("dpv:Marketing")->announcement_en);
  EXPECT_EQ(purpose["primaryPurpose"], false);
  EXPECT_EQ(purpose["thirdPartyDisclosure"], false);
  EXPECT_EQ(purpose["piiCategory"],
            json::array({"pd:Name", "pd:EmailAddress", "pd:TelephoneNumber", "pd:BirthDate"}));
  EXPECT_EQ(receipt["sensitive"], false);
  EXPECT_EQ(receipt["spiCat"], json::array());

  EXPECT_EQ(receipt["state"], "given");
  EXPECT_EQ(receipt["events"].size(), 1u);
  EXPECT_EQ(receipt["noticeVersion"], 1);
  EXPECT_EQ(receipt["recordedBy"], "emp:agent");
  EXPECT_EQ(receipt["evidenceSha256"], ledger::Sha256Hex(kEvidence));
  EXPECT_EQ(receipt.dump().find(kEvidence), std::string::npos);

  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(engine_->WithdrawConsent(kAdmin, row.id, "web").ok());
  std::optional<store::ConsentRow> withdrawn = ValueOf(engine_->GetConsent(row.id));
  ASSERT_TRUE(withdrawn.has_value());
  receipt = ConsentReceipt(dir_->policy(), *withdrawn);
  EXPECT_EQ(receipt["state"], "withdrawn");
  ASSERT_EQ(receipt["events"].size(), 2u);
  EXPECT_EQ(receipt["events"][1]["event"], "withdrawn");
  EXPECT_EQ(receipt["events"][1]["channel"], "web");
  EXPECT_EQ(receipt["events"][1]["time"], common::FormatTimestamp(clock_.Now()));
  EXPECT_EQ(receipt.dump().find(kEvidence), std::string::npos);

  // Consent to provide, and consent covering special-care data.
  grant.purpose = "dpv:PaymentManagement";
  grant.recipient = "hikari-servicer";
  grant.evidence.clear();
  receipt = ConsentReceipt(dir_->policy(), ValueOf(engine_->GrantConsent(kAdmin, grant)));
  const json& provision = receipt["services"][0]["purposes"][0];
  EXPECT_EQ(provision["thirdPartyDisclosure"], true);
  EXPECT_EQ(provision["thirdPartyName"], "ひかり債権回収株式会社");
  EXPECT_EQ(provision["thirdPartyCountry"], "JP");
  EXPECT_FALSE(receipt.contains("evidenceSha256"));
  grant.purpose = "mamori:DisabilityDiscount";
  grant.recipient.reset();
  receipt = ConsentReceipt(dir_->policy(), ValueOf(engine_->GrantConsent(kAdmin, grant)));
  EXPECT_EQ(receipt["sensitive"], true);
  EXPECT_EQ(receipt["spiCat"],
            json::array({{{"category", "pd:Disability"}, {"legal_class", "special_care"}}}));
}

// --- A changed purpose (APPI Art. 17(2), 21(3)) ---

// The example policy with the customer-care purpose announced anew, the
// change declared reasonably related or not.
std::string PolicyWithCustomerCareChanged(bool reasonably_related, std::string_view label) {
  std::string text = SecondPolicyText();
  const std::string from =
      "announcement_ja = \"お問い合わせ、ご相談及び故障のお申出に対応し、その記録を管理するため\"";
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos);
  std::string to = fmt::format(
      "announcement_ja = \"お問い合わせへの対応及び新サービスのご案内のため（{}）\"", label);
  if (reasonably_related) to += "\nchange_reasonably_related = true";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST_F(EngineTest, DataCollectedBeforeAnUnrelatedPurposeChangeNeedsConsentForIt) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  const std::string before = AddCustomer();
  EXPECT_DECISION(DecideAndCheckEntry(Use(kAgent, "dpv:CustomerCare", before, {"pd:Name"})), kAllow,
                  "allowed", "appi.18.1");
  ASSERT_TRUE(
      engine_->LoadPolicy(kAdmin, PolicyWithCustomerCareChanged(false, "v2"), "v2.toml").ok());
  // Collected under the former text: the changed purpose is not the one it
  // was collected for.
  policy::Decision d = DecideAndCheckEntry(Use(kAgent, "dpv:CustomerCare", before, {"pd:Name"}));
  EXPECT_EQ(d.outcome, Outcome::kDeny) << d.reason_code;
  // Collected under the new text: announced in advance, so allowed.
  const std::string after = AddCustomer();
  EXPECT_DECISION(DecideAndCheckEntry(Use(kAgent, "dpv:CustomerCare", after, {"pd:Name"})), kAllow,
                  "allowed", "appi.18.1");
  // A later version declared reasonably related does not excuse the
  // unrelated step before it.
  ASSERT_TRUE(
      engine_->LoadPolicy(kAdmin, PolicyWithCustomerCareChanged(true, "v3"), "v3.toml").ok());
  EXPECT_EQ(DecideAndCheckEntry(Use(kAgent, "dpv:CustomerCare", before, {"pd:Name"})).outcome,
            Outcome::kDeny);
  EXPECT_EQ(DecideAndCheckEntry(Use(kAgent, "dpv:CustomerCare", after, {"pd:Name"})).outcome,
            Outcome::kAllow);
  // Other purposes are untouched.
  EXPECT_DECISION(DecideAndCheckEntry(Use(kAnalyst, "dpv:FraudPreventionAndDetection", before,
                                          {"pd:TelephoneNumber"})),
                  kAllow, "allowed", "appi.18.1");
}

TEST_F(EngineTest, ARelatedAnnouncedPurposeChangeAppliesToDataHeldBefore) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  const std::string before = AddCustomer();
  ASSERT_TRUE(
      engine_->LoadPolicy(kAdmin, PolicyWithCustomerCareChanged(true, "v2"), "v2.toml").ok());
  EXPECT_DECISION(DecideAndCheckEntry(Use(kAgent, "dpv:CustomerCare", before, {"pd:Name"})), kAllow,
                  "allowed", "appi.18.1");
  // And after a restart (the versions are read back from the store).
  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_DECISION(DecideAndCheckEntry(Use(kAgent, "dpv:CustomerCare", before, {"pd:Name"})), kAllow,
                  "allowed", "appi.18.1");
}

// --- Retention (docs/retention.md) ---

constexpr char kCallRecord[] = "2026-04-01T08:15:00+09:00 to +81312345678 duration 184s";
constexpr char kCalledNumber[] = "+81312345678";

// Local midnight in Tokyo, the example operator's zone.
absl::Time TokyoMidnight(int y, int m, int d) {
  absl::TimeZone tokyo;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Tokyo", &tokyo));
  return absl::FromCivil(absl::CivilDay(y, m, d), tokyo);
}

class RetentionEngineTest : public EngineTest {
 protected:
  // A customer with a name, a device id and one call record, all collected
  // at T0 through the mobile service.
  std::string AddCaller() {
    vault::SubjectIdentifiers ids;
    ids.phone = kPhone;
    return ValueOf(engine_->AddSubject(
        kAdmin, ids,
        {{.category = "pd:Name", .service = "mobile", .value = kName},
         {.category = "mamori:DeviceIMEI", .service = "mobile", .value = "490154203237518"},
         {.category = "pd:CallLog", .service = "mobile", .value = kCallRecord}}));
  }

  SweepSummary Sweep(SweepOptions options = {}) {
    return ValueOf(engine_->SweepRetention("system:retention", std::move(options)));
  }
  SweepSummary DryRun(absl::Time as_of) {
    SweepOptions options;
    options.dry_run = true;
    options.as_of = as_of;
    return Sweep(std::move(options));
  }

  std::vector<store::RecordRow> RecordsOf(const std::string& subject) {
    return ValueOf(dir_->store().records().ListRecords(subject));
  }
  const store::RecordRow* RecordOf(const std::vector<store::RecordRow>& rows,
                                   std::string_view category) {
    for (const store::RecordRow& row : rows) {
      if (row.category == category) return &row;
    }
    return nullptr;
  }
  // The retention.erase entries, in order.
  std::vector<json> ErasureEntries() {
    std::vector<json> out;
    for (const std::string& bytes : EntryBytes()) {
      json e = json::parse(bytes);
      if (e.value("change", "") == "retention.erase") out.push_back(e);
    }
    return out;
  }
};

TEST_F(RetentionEngineTest, CallRecordsAreDeidentifiedAndTheirKeyShreddedAfterSixMonths) {
  const std::string subject = AddCaller();
  const std::vector<store::RecordRow> before = RecordsOf(subject);
  const store::RecordRow* call = RecordOf(before, "pd:CallLog");
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->key_bucket, "2026-04");
  const store::DataKeyId call_key{subject, "pd:CallLog", "2026-04"};
  ASSERT_TRUE(ValueOf(dir_->store().keys().GetDataKey(call_key)).has_value());

  // Collected 1 April (Tokyo): the longest purpose keeps it 6 months, to the
  // end of 1 October.
  SweepSummary early = DryRun(TokyoMidnight(2026, 10, 1));
  EXPECT_EQ(early.deidentified, 0);
  EXPECT_EQ(early.erased, 0);
  const int64_t entries = Entries();
  SweepSummary ahead = DryRun(TokyoMidnight(2026, 10, 2));
  EXPECT_TRUE(ahead.dry_run);
  EXPECT_EQ(ahead.scanned, 3);
  EXPECT_EQ(ahead.deidentified, 1);
  EXPECT_EQ(ahead.erased, 0);     // name and device wait for the contract's end
  EXPECT_EQ(Entries(), entries);  // a dry run records nothing
  EXPECT_EQ(RecordsOf(subject).size(), 3u);

  // A real sweep never runs ahead of the clock.
  SweepOptions ahead_of_clock;
  ahead_of_clock.as_of = TokyoMidnight(2026, 10, 2);
  EXPECT_EQ(engine_->SweepRetention("system:retention", ahead_of_clock).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sweep().deidentified, 0);

  clock_.Set(TokyoMidnight(2026, 10, 2));
  SweepSummary swept = Sweep();
  EXPECT_FALSE(swept.dry_run);
  EXPECT_EQ(swept.deidentified, 1);
  EXPECT_EQ(swept.erased, 0);
  EXPECT_EQ(swept.keys_destroyed, 1);
  EXPECT_EQ(swept.subjects_erased, 0);
  std::vector<store::RecordRow> after = RecordsOf(subject);
  EXPECT_EQ(after.size(), 2u);
  EXPECT_EQ(RecordOf(after, "pd:CallLog"), nullptr);
  EXPECT_FALSE(ValueOf(dir_->store().keys().GetDataKey(call_key)).has_value());
  EXPECT_EQ(ValueOf(dir_->store().retention().CountDeidentified()), 1);

  // The ledger: one entry for the destroyed key and one for the sweep, ids
  // and counts only.
  std::vector<json> erasures = ErasureEntries();
  ASSERT_EQ(erasures.size(), 1u);
  EXPECT_EQ(erasures[0]["subject"], subject);
  EXPECT_EQ(erasures[0]["category"], "pd:CallLog");
  EXPECT_EQ(erasures[0]["bucket"], "2026-04");
  EXPECT_EQ(erasures[0]["mode"], "deidentify");
  EXPECT_EQ(erasures[0]["records"], 1);
  EXPECT_EQ(erasures[0]["key_destroyed"], true);
  EXPECT_EQ(LastEntry()["change"], "retention.sweep");
  EXPECT_EQ(LastEntry()["deidentified"], 1);
  ExpectNoPersonalValuesInLedger();
  for (const std::string& e : EntryBytes()) EXPECT_EQ(e.find(kCalledNumber), std::string::npos);

  // A second sweep finds nothing more.
  EXPECT_EQ(Sweep().deidentified, 0);
  EXPECT_TRUE(Verify().ok);
}

TEST_F(RetentionEngineTest, TheDeidentifiedRemainderKeepsNoPartyNumberOrTime) {
  const std::string subject = AddCaller();
  clock_.Set(TokyoMidnight(2026, 10, 2));
  ASSERT_EQ(Sweep().deidentified, 1);
  std::vector<store::DeidentifiedRow> rows =
      ValueOf(dir_->store().retention().ListDeidentified(10));
  ASSERT_EQ(rows.size(), 1u);
  const store::DeidentifiedRow& row = rows[0];
  EXPECT_TRUE(common::IsValidId(row.id, common::IdKind::kDeidentified));
  EXPECT_EQ(row.category, "pd:CallLog");
  EXPECT_EQ(row.service, "mobile");
  EXPECT_EQ(row.month, "2026-04");
  // Sealed under the operator's key (the subject's keys are gone), bound to
  // its id.
  EXPECT_EQ(row.sealed_remainder.find("duration"), std::string::npos);
  const std::string opened = ValueOf(dir_->vault().OpenDeidentified(row.id, row.sealed_remainder));
  EXPECT_EQ(json::parse(opened), json::parse(R"({"category": "pd:CallLog", "service": "mobile",
                                                  "month": "2026-04", "duration_seconds": 184})"));
  EXPECT_FALSE(dir_->vault().OpenDeidentified("dei_other", row.sealed_remainder).ok());
  EXPECT_EQ(opened.find(kCalledNumber), std::string::npos);
  EXPECT_EQ(opened.find(subject), std::string::npos);
}

TEST_F(RetentionEngineTest, ACopyOfTheRecordsTakenBeforeTheSweepCannotBeDecryptedAfterIt) {
  const std::string subject = AddCaller();
  const store::RecordRow call = *RecordOf(RecordsOf(subject), "pd:CallLog");
  const store::DataKeyId call_key{subject, "pd:CallLog", call.key_bucket};
  const std::string wrapped = *ValueOf(dir_->store().keys().GetDataKey(call_key));
  // Before: the sealed value opens.
  EXPECT_EQ(ValueOf(dir_->vault().OpenValue(call_key, call.id, call.sealed_value)), kCallRecord);

  clock_.Set(TokyoMidnight(2026, 10, 2));
  ASSERT_EQ(Sweep().keys_destroyed, 1);
  // The copy's ciphertext no longer opens: its key is gone from the key
  // store, and from the key store's files (secure_delete, checkpointed).
  EXPECT_FALSE(dir_->vault().OpenValue(call_key, call.id, call.sealed_value).ok());
  EXPECT_FALSE(ValueOf(dir_->store().keys().GetDataKey(call_key)).has_value());
  for (const char* file : {"keys.db", "keys.db-wal"}) {
    const std::string path = data_dir_ + "/" + file;
    if (!std::filesystem::exists(path)) continue;
    EXPECT_EQ(common::testing::ReadFileBytes(path).find(wrapped), std::string::npos) << file;
  }
}

TEST_F(RetentionEngineTest, ContractEndStartsTheClockForContractBoundPurposes) {
  const std::string subject = AddCaller();
  clock_.Set(TokyoMidnight(2026, 10, 2));
  ASSERT_EQ(Sweep().deidentified, 1);
  // Without a contract end the device id is kept, however late.
  EXPECT_EQ(DryRun(TokyoMidnight(2040, 1, 1)).erased, 0);

  EXPECT_EQ(engine_->RecordContractEnd(kAdmin, subject, "nope", clock_.Now()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->RecordContractEnd(kAdmin, subject, "mobile", clock_.Now() + absl::Hours(1))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      engine_->RecordContractEnd(kAdmin, "sub_unknown", "mobile", clock_.Now()).status().code(),
      absl::StatusCode::kNotFound);
  store::ContractEndRow end =
      ValueOf(engine_->RecordContractEnd(kAdmin, subject, "mobile", TokyoMidnight(2026, 10, 1)));
  EXPECT_EQ(end.service, "mobile");
  EXPECT_EQ(LastEntry()["change"], "contract.end");

  // Device id: service provision keeps it one year after the end (through
  // 30 Sep 2027... the end was at the start of 1 Oct, so through 1 Oct).
  EXPECT_EQ(DryRun(TokyoMidnight(2027, 10, 1)).erased, 0);
  SweepSummary year_later = DryRun(TokyoMidnight(2027, 10, 2));
  EXPECT_EQ(year_later.erased, 1);  // the device id; the name is kept for billing (7 years)
  clock_.Set(TokyoMidnight(2027, 10, 2));
  SweepSummary swept = Sweep();
  EXPECT_EQ(swept.erased, 1);
  EXPECT_EQ(swept.keys_destroyed, 1);
  std::vector<store::RecordRow> left = RecordsOf(subject);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].category, "pd:Name");

  // Seven years on, the name goes too, and with it the whole subject: no
  // index finds them and no key of theirs is left.
  clock_.Set(TokyoMidnight(2033, 10, 2));
  SweepSummary last = Sweep();
  EXPECT_EQ(last.erased, 1);
  EXPECT_EQ(last.subjects_erased, 1);
  EXPECT_TRUE(RecordsOf(subject).empty());
  EXPECT_THAT(ValueOf(dir_->vault().FindSubjects(IdentifierKind::kPhone, kPhone)), IsEmpty());
  EXPECT_FALSE(ValueOf(dir_->store().keys().GetSubjectKey(subject)).has_value());
  EXPECT_EQ(LastEntry()["change"], "retention.sweep");
  ExpectNoPersonalValuesInLedger();
  EXPECT_TRUE(Verify().ok);
}

TEST_F(RetentionEngineTest, LegalHoldKeepsDueRecordsUntilReleased) {
  const std::string subject = AddCaller();
  // Refusals change nothing.
  const std::string state = State();
  EXPECT_EQ(engine_->AddHold(kAdmin, {subject, std::nullopt, "  ", clock_.Now() + absl::Hours(1)})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      engine_->AddHold(kAdmin, {subject, std::nullopt, "Case 1", clock_.Now()}).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->AddHold(kAdmin, {subject, "pd:Nope", "Case 1", clock_.Now() + absl::Hours(1)})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      engine_
          ->AddHold(kAdmin, {"sub_unknown", std::nullopt, "Case 1", clock_.Now() + absl::Hours(1)})
          .status()
          .code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(State(), state);
  EXPECT_THAT(ValueOf(engine_->ListHolds(subject)), IsEmpty());

  store::LegalHoldRow hold = ValueOf(engine_->AddHold(
      kAdmin, {subject, "pd:CallLog", "東京地裁 令和8年(ワ)第1234号", TokyoMidnight(2027, 1, 1)}));
  EXPECT_TRUE(common::IsValidId(hold.id, common::IdKind::kHold));
  json added = LastEntry();
  EXPECT_EQ(added["change"], "hold.add");
  EXPECT_EQ(added["hold"], hold.id);
  EXPECT_FALSE(added.contains("basis"));
  EXPECT_EQ(added["basis_sha256"], ledger::Sha256Hex("東京地裁 令和8年(ワ)第1234号"));
  ASSERT_EQ(ValueOf(engine_->ListHolds(subject)).size(), 1u);
  EXPECT_EQ(ValueOf(engine_->ListHolds("")).size(), 1u);
  EXPECT_EQ(engine_->ListHolds("sub_unknown").status().code(), absl::StatusCode::kNotFound);

  clock_.Set(TokyoMidnight(2026, 10, 2));
  SweepSummary held = Sweep();
  EXPECT_EQ(held.held, 1);
  EXPECT_EQ(held.deidentified, 0);
  EXPECT_NE(RecordOf(RecordsOf(subject), "pd:CallLog"), nullptr);

  // Released: the next sweep erases it.
  store::LegalHoldRow released = ValueOf(engine_->ReleaseHold(kAdmin, hold.id));
  EXPECT_TRUE(released.released_at.has_value());
  EXPECT_EQ(LastEntry()["change"], "hold.release");
  EXPECT_EQ(engine_->ReleaseHold(kAdmin, hold.id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(engine_->ReleaseHold(kAdmin, "hld_unknown").status().code(),
            absl::StatusCode::kNotFound);
  SweepSummary swept = Sweep();
  EXPECT_EQ(swept.held, 0);
  EXPECT_EQ(swept.deidentified, 1);
}

TEST_F(RetentionEngineTest, AHoldEndsOnItsDate) {
  const std::string subject = AddCaller();
  ValueOf(
      engine_->AddHold(kAdmin, {subject, std::nullopt, "Tax audit", TokyoMidnight(2026, 12, 1)}));
  EXPECT_EQ(DryRun(TokyoMidnight(2026, 11, 30)).held, 1);
  SweepSummary after = DryRun(TokyoMidnight(2026, 12, 1));
  EXPECT_EQ(after.held, 0);
  EXPECT_EQ(after.deidentified, 1);
}

TEST_F(RetentionEngineTest, AllowedReadsBecomeLastUsesAndDeniedOnesDoNot) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  const std::string subject = AddCustomer();
  ValueOf(engine_->Read(Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"})));
  clock_.Advance(absl::Hours(1));
  const absl::Time second_read = clock_.Now();
  ValueOf(engine_->Read(Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"})));
  // Denied: the agent's role does not cover marketing.
  ValueOf(engine_->Read(Use(kAgent, "dpv:Marketing", subject, {"pd:EmailAddress"})));
  Sweep();
  std::vector<store::LastUseRow> uses = ValueOf(dir_->store().retention().ListLastUses());
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_EQ(uses[0].subject_id, subject);
  EXPECT_EQ(uses[0].purpose, "dpv:CustomerCare");
  EXPECT_EQ(absl::ToUnixSeconds(uses[0].used_at), absl::ToUnixSeconds(second_read));
  // Read once: the cursor moved past them.
  Sweep();
  EXPECT_EQ(ValueOf(dir_->store().retention().ListLastUses()).size(), 1u);
}

// The reads found in the ledger are recorded in writer jobs sized by the
// budget: with a budget no job can keep, the first job records 256 last
// uses and every later one a single use. None is missed or moved, and the
// cursor moves once all are recorded.
TEST_F(RetentionEngineTest, LastUsesRecordedInJobsOfOneUseMissNothing) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::vector<std::pair<std::string, absl::Time>> reads;
  for (int i = 0; i < 300; ++i) {
    const std::string subject = AddCustomer();
    clock_.Advance(absl::Minutes(1));
    ValueOf(engine_->Read(Use(kAgent, "dpv:CustomerCare", subject, {"pd:Name"})));
    reads.emplace_back(subject, clock_.Now());
  }
  // The first one read again, last: its later read wins.
  clock_.Advance(absl::Minutes(1));
  ValueOf(engine_->Read(Use(kAgent, "dpv:CustomerCare", reads[0].first, {"pd:Name"})));
  reads[0].second = clock_.Now();
  const int64_t entries = ValueOf(dir_->store().ledger().CountEntries());

  SweepOptions options;
  options.job_budget = absl::Nanoseconds(1);
  Sweep(options);
  absl::flat_hash_map<std::string, absl::Time> used;
  for (const store::LastUseRow& use : ValueOf(dir_->store().retention().ListLastUses())) {
    EXPECT_EQ(use.purpose, "dpv:CustomerCare");
    used[use.subject_id] = use.used_at;
  }
  ASSERT_EQ(used.size(), reads.size());
  for (const auto& [subject, at] : reads) {
    EXPECT_EQ(absl::ToUnixSeconds(used[subject]), absl::ToUnixSeconds(at)) << subject;
  }
  // The cursor reached the ledger's end as it was (the sweep's own entries
  // come after).
  EXPECT_GE(ValueOf(dir_->store().retention().GetCursor("ledger.last_use")), entries);
}

TEST_F(RetentionEngineTest, ReadsAfterTheSweepFindNothingOfTheErasedRecords) {
  ASSERT_NO_FATAL_FAILURE(
      AddStaff(kAnalyst, {"fraud-analyst"}, {"privacy-annual", "secrecy-annual"}));
  const std::string subject = AddCaller();
  UseResult before = ValueOf(
      engine_->Read(Use(kAnalyst, "dpv:FraudPreventionAndDetection", subject, {"pd:CallLog"})));
  ASSERT_EQ(before.decision.outcome, Outcome::kAllow) << before.decision.reason_code;
  ASSERT_EQ(before.values["pd:CallLog"].size(), 1u);
  clock_.Set(TokyoMidnight(2026, 10, 2));
  // Training stays valid for the read after the sweep.
  ASSERT_TRUE(
      engine_->RecordTraining(kAdmin, kAnalyst, "privacy-annual", clock_.Now() - absl::Hours(1))
          .ok());
  ASSERT_TRUE(
      engine_->RecordTraining(kAdmin, kAnalyst, "secrecy-annual", clock_.Now() - absl::Hours(1))
          .ok());
  ASSERT_EQ(Sweep().deidentified, 1);
  UseResult after = ValueOf(
      engine_->Read(Use(kAnalyst, "dpv:FraudPreventionAndDetection", subject, {"pd:CallLog"})));
  EXPECT_TRUE(after.values["pd:CallLog"].empty());
}

// A read whose records and keys a reader fetched before a sweep job's
// erasure committed, but which the writer decides after that job (in the
// same batch), must not return what was erased: no read whose entry follows
// the erasure of its subject's call log carries a value.
TEST_F(RetentionEngineTest, ReadsBesideASweepReturnNothingAnEarlierEntryErased) {
  ASSERT_NO_FATAL_FAILURE(
      AddStaff(kAnalyst, {"fraud-analyst"}, {"privacy-annual", "secrecy-annual"}));
  std::vector<std::string> subjects;
  for (int i = 0; i < 4; ++i) subjects.push_back(AddCaller());
  clock_.Set(TokyoMidnight(2026, 10, 2));
  for (const char* course : {"privacy-annual", "secrecy-annual"}) {
    ASSERT_TRUE(
        engine_->RecordTraining(kAdmin, kAnalyst, course, clock_.Now() - absl::Hours(1)).ok());
  }
  std::vector<UseRequest> reads;
  for (const std::string& subject : subjects) {
    reads.push_back(Use(kAnalyst, "dpv:FraudPreventionAndDetection", subject, {"pd:CallLog"}));
  }
  SweepSummary swept;
  const std::vector<SeenRead> seen = ReadWhile(reads, 16, [&] {
    SweepOptions options;
    options.records_per_job = 1;
    swept = Sweep(std::move(options));
  });
  EXPECT_EQ(swept.deidentified, 4);

  std::map<std::string, uint64_t> erased_at;  // subject -> its call log's erasure entry
  const std::vector<std::string> entries = EntryBytes();
  for (size_t i = 0; i < entries.size(); ++i) {
    const json e = json::parse(entries[i]);
    if (e.value("change", "") == "retention.erase" && e.value("category", "") == "pd:CallLog") {
      erased_at[e.at("subject").get<std::string>()] = i;
    }
  }
  ASSERT_EQ(erased_at.size(), subjects.size());
  int after_erasure = 0;
  int with_values = 0;
  for (const SeenRead& s : seen) {
    if (s.entry < erased_at[subjects[s.request]]) continue;
    ++after_erasure;
    if (s.values != 0) ++with_values;
  }
  EXPECT_GT(after_erasure, 0);
  EXPECT_EQ(with_values, 0) << "of " << after_erasure << " reads after their subject's erasure";
}

// Reads appended while the sweep folds last uses are the next sweep's: a
// fold recording one use per job (a budget no job keeps) behind 16 callers
// reading without pause would otherwise chase the ledger's end for ever.
TEST_F(RetentionEngineTest, TheFoldEndsAtTheLedgersEndAsItFoundIt) {
  ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  std::vector<UseRequest> reads;
  for (int i = 0; i < 4; ++i) {
    reads.push_back(Use(kAgent, "dpv:CustomerCare", AddCustomer(), {"pd:Name"}));
  }
  for (const UseRequest& read : reads) ValueOf(engine_->Read(read));
  const int64_t before = ValueOf(dir_->store().ledger().CountEntries());
  const std::vector<SeenRead> seen = ReadWhile(reads, 16, [&] {
    SweepOptions options;
    options.job_budget = absl::Nanoseconds(1);
    Sweep(std::move(options));
  });
  EXPECT_FALSE(seen.empty());
  const int64_t cursor = ValueOf(dir_->store().retention().GetCursor("ledger.last_use"));
  EXPECT_GE(cursor, before);
  EXPECT_EQ(ValueOf(dir_->store().retention().ListLastUses()).size(), reads.size());
}

// Two sweeps would plan the same keys: the second is refused while the
// first runs (held here in its scan), and runs once it has ended. A dry run
// (the audit report makes one) runs beside it.
TEST_F(RetentionEngineTest, OneSweepAtATime) {
  AddCaller();
  clock_.Set(TokyoMidnight(2026, 10, 2));
  std::promise<void> scanning, tried;
  std::shared_future<void> tried_done = tried.get_future().share();
  SweepSummary first;
  std::thread sweeping([&] {
    SweepOptions options;
    bool told = false;
    options.progress = [&](int64_t, int64_t) {
      if (told) return;
      told = true;
      scanning.set_value();
      tried_done.wait();
    };
    first = Sweep(std::move(options));
  });
  if (scanning.get_future().wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    tried.set_value();
    sweeping.join();
    FAIL() << "the first sweep never reached its scan";
  }
  absl::StatusOr<SweepSummary> second = engine_->SweepRetention("system:retention", {});
  SweepOptions dry;
  dry.dry_run = true;
  absl::StatusOr<SweepSummary> dry_run = engine_->SweepRetention("system:retention", dry);
  tried.set_value();
  sweeping.join();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(dry_run.ok()) << dry_run.status();
  EXPECT_EQ(dry_run->deidentified, 1);
  EXPECT_EQ(first.deidentified, 1);
  // Ended: the next one runs, and finds nothing left.
  SweepSummary again = Sweep();
  EXPECT_EQ(again.deidentified, 0);
}

TEST_F(RetentionEngineTest, SmallJobsEraseEverythingAcrossManyCommits) {
  std::vector<std::string> subjects;
  for (int i = 0; i < 25; ++i) subjects.push_back(AddCaller());
  clock_.Set(TokyoMidnight(2026, 10, 2));
  SweepOptions options;
  options.records_per_job = 3;
  int64_t progress_calls = 0;
  options.progress = [&](int64_t scanned, int64_t total) {
    ++progress_calls;
    EXPECT_LE(scanned, total);
  };
  SweepSummary swept = Sweep(std::move(options));
  EXPECT_EQ(swept.scanned, 75);
  EXPECT_EQ(swept.deidentified, 25);
  EXPECT_EQ(swept.keys_destroyed, 25);
  EXPECT_GE(progress_calls, 1);
  EXPECT_EQ(ErasureEntries().size(), 25u);
  EXPECT_TRUE(Verify().ok);
}

// Location records are erased (not de-identified) 3 months after their
// collection: a month of them is a segment that goes whole once its last
// record is due.
class SegmentSweepTest : public RetentionEngineTest {
 protected:
  // A customer with a name and location records collected at noon on these
  // (month, day)s of 2026, Tokyo.
  std::string AddLocations(const std::vector<std::pair<int, int>>& days) {
    std::vector<vault::NewRecord> records = {
        {.category = "pd:Name", .service = "mobile", .value = kName}};
    for (const auto& [month, day] : days) {
      records.push_back({.category = "pd:Location",
                         .service = "mobile",
                         .value = fmt::format("cell 440-10-{:02d}{:02d}", month, day),
                         .collected_at = TokyoMidnight(2026, month, day) + absl::Hours(12)});
    }
    return ValueOf(engine_->AddSubject(kAdmin, {}, std::move(records)));
  }
  std::vector<std::string> LocationBuckets(const std::string& subject) {
    std::vector<std::string> buckets;
    for (const store::RecordRow& row : RecordsOf(subject)) {
      if (row.category == "pd:Location") buckets.push_back(row.key_bucket);
    }
    std::sort(buckets.begin(), buckets.end());
    return buckets;
  }
  std::vector<store::RecordSegmentRow> Segments() {
    return ValueOf(dir_->store().retention().ListSegments());
  }
  std::vector<json> EntriesOf(std::string_view change) {
    std::vector<json> out;
    for (const std::string& bytes : EntryBytes()) {
      json e = json::parse(bytes);
      if (e.value("change", "") == change) out.push_back(e);
    }
    return out;
  }
};

TEST_F(SegmentSweepTest, AMonthWhollyDueGoesWholeAndAHoldKeepsItsSubjectsPart) {
  clock_.Set(TokyoMidnight(2026, 6, 1));
  const std::string kept = AddLocations({{4, 2}, {4, 30}});
  const std::string erased = AddLocations({{4, 1}, {4, 29}, {5, 1}, {5, 20}});
  EXPECT_EQ(LocationBuckets(erased),
            (std::vector<std::string>{"2026-04", "2026-04", "2026-05", "2026-05"}));
  ASSERT_EQ(Segments().size(), 2u);  // April and May
  ValueOf(engine_->AddHold(kAdmin, {kept, "pd:Location", "Case 7", TokyoMidnight(2027, 1, 1)}));

  // 10 August: all of April is past its 3 months, May only in part.
  const absl::Time august_10 = TokyoMidnight(2026, 8, 10);
  const SweepSummary planned = DryRun(august_10);
  EXPECT_EQ(planned.erased, 3);
  EXPECT_EQ(planned.held, 2);
  EXPECT_EQ(planned.scanned, 8);
  EXPECT_EQ(Segments().size(), 2u);  // a dry run changes nothing

  clock_.Set(august_10);
  const SweepSummary swept = Sweep();
  EXPECT_EQ(swept.erased, planned.erased);
  EXPECT_EQ(swept.held, planned.held);
  EXPECT_EQ(swept.scanned, planned.scanned);
  EXPECT_EQ(swept.keys_destroyed, 1);  // April's of `erased`; May's still has a record

  EXPECT_EQ(LocationBuckets(erased), (std::vector<std::string>{"2026-05"}));
  EXPECT_EQ(LocationBuckets(kept), (std::vector<std::string>{"2026-04", "2026-04"}));
  store::KeyStore& keys = dir_->store().keys();
  EXPECT_FALSE(ValueOf(keys.GetDataKey({erased, "pd:Location", "2026-04"})).has_value());
  EXPECT_TRUE(ValueOf(keys.GetDataKey({erased, "pd:Location", "2026-05"})).has_value());
  EXPECT_TRUE(ValueOf(keys.GetDataKey({kept, "pd:Location", "2026-04"})).has_value());
  // April's segment is gone from the catalog too; May's stays.
  std::vector<store::RecordSegmentRow> segments = Segments();
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(segments[0].bucket, "2026-05");

  // The ledger: the drop, then one entry per key, ids and counts only.
  std::vector<json> drops = EntriesOf("retention.segment_drop");
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0]["category"], "pd:Location");
  EXPECT_EQ(drops[0]["bucket"], "2026-04");
  EXPECT_EQ(drops[0]["records"], 2);
  EXPECT_EQ(drops[0]["subjects"], 1);
  EXPECT_EQ(drops[0]["held"], 2);
  std::vector<json> erasures = ErasureEntries();
  ASSERT_EQ(erasures.size(), 2u);
  EXPECT_EQ(erasures[0]["subject"], erased);
  EXPECT_EQ(erasures[0]["bucket"], "2026-04");
  EXPECT_EQ(erasures[0]["records"], 2);
  EXPECT_EQ(erasures[0]["key_destroyed"], true);
  EXPECT_EQ(erasures[1]["bucket"], "2026-05");
  EXPECT_EQ(erasures[1]["records"], 1);
  EXPECT_EQ(erasures[1]["key_destroyed"], false);
  EXPECT_EQ(erasures[1]["records_left"], 1);
  ExpectNoPersonalValuesInLedger();
  for (const std::string& e : EntryBytes()) EXPECT_EQ(e.find("cell 440"), std::string::npos);

  // What the hold kept reads as before and goes once it is released.
  const std::vector<store::RecordRow> held_rows = RecordsOf(kept);
  for (const store::RecordRow& row : held_rows) {
    if (row.category != "pd:Location") continue;
    EXPECT_EQ(ValueOf(dir_->vault().OpenValue({kept, row.category, row.key_bucket}, row.id,
                                              row.sealed_value))
                  .substr(0, 8),
              "cell 440");
  }
  ValueOf(engine_->ReleaseHold(kAdmin, ValueOf(engine_->ListHolds(kept)).at(0).id));
  const SweepSummary after_release = Sweep();
  EXPECT_EQ(after_release.erased, 2);
  EXPECT_EQ(after_release.keys_destroyed, 1);
  EXPECT_TRUE(LocationBuckets(kept).empty());
  EXPECT_TRUE(Verify().ok);
}

TEST_F(SegmentSweepTest, NothingOfAMonthNotYetDueIsRead) {
  clock_.Set(TokyoMidnight(2026, 6, 1));
  const std::string subject = AddLocations({{5, 10}, {5, 31}});
  // 10 August is the last day May 10's record is kept.
  const SweepSummary early = DryRun(TokyoMidnight(2026, 8, 10));
  EXPECT_EQ(early.erased, 0);
  EXPECT_EQ(early.scanned, 1);  // the name, in the main table
  const SweepSummary partly = DryRun(TokyoMidnight(2026, 8, 11));
  EXPECT_EQ(partly.erased, 1);
  EXPECT_EQ(partly.scanned, 3);
  const SweepSummary whole = DryRun(TokyoMidnight(2026, 9, 1));
  EXPECT_EQ(whole.erased, 2);
  EXPECT_EQ(LocationBuckets(subject).size(), 2u);
}

TEST_F(SegmentSweepTest, ASweepStoppedAfterTheDropFinishesTheKeysNextTime) {
  clock_.Set(TokyoMidnight(2026, 6, 1));
  std::vector<std::string> subjects;
  for (int i = 0; i < 3; ++i) subjects.push_back(AddLocations({{4, 10}}));
  // A sweep that stopped after dropping the month: rows gone, keys left.
  const int64_t april = Segments().at(0).id;
  ASSERT_EQ(ValueOf(dir_->store().retention().DropSegment(april)).size(), 3u);
  ASSERT_TRUE(Segments().at(0).dropped);
  ASSERT_TRUE(ValueOf(dir_->store().retention().HasUnscrubbedPages()));
  for (const std::string& subject : subjects) {
    ASSERT_TRUE(
        ValueOf(dir_->store().keys().GetDataKey({subject, "pd:Location", "2026-04"})).has_value());
  }
  clock_.Set(TokyoMidnight(2026, 8, 1));
  const SweepSummary swept = Sweep();
  EXPECT_EQ(swept.keys_destroyed, 3);
  for (const std::string& subject : subjects) {
    EXPECT_FALSE(
        ValueOf(dir_->store().keys().GetDataKey({subject, "pd:Location", "2026-04"})).has_value());
  }
  EXPECT_TRUE(Segments().empty());
  EXPECT_EQ(ErasureEntries().size(), 3u);
  // Its freed pages are overwritten too.
  EXPECT_FALSE(ValueOf(dir_->store().retention().HasUnscrubbedPages()));
}

// A segment is counted on a reader before its drop job, which takes the
// count only if nothing wrote to the segment since. Records of the due
// month keep arriving during the sweep: each is counted by the drop or is
// still stored (it came after the drop, into a new segment), never lost
// from the ledger's account.
TEST_F(SegmentSweepTest, RecordsArrivingInADueMonthDuringItsDropAreCountedWhereTheyGo) {
  clock_.Set(TokyoMidnight(2026, 6, 1));
  for (int i = 0; i < 20; ++i) AddLocations({{4, 10}});
  clock_.Set(TokyoMidnight(2026, 8, 1));
  std::atomic<bool> stop{false};
  std::atomic<int64_t> added{0};
  std::thread adder([&] {
    while (!stop.load()) {
      if (!engine_
               ->AddSubject(kAdmin, {},
                            {{.category = "pd:Location",
                              .service = "mobile",
                              .value = "cell 440-10-0411",
                              .collected_at = TokyoMidnight(2026, 4, 11) + absl::Hours(12)}})
               .ok()) {
        return;
      }
      added.fetch_add(1);
    }
  });
  SweepOptions options;
  options.job_budget = absl::Nanoseconds(1);
  absl::StatusOr<SweepSummary> swept = engine_->SweepRetention(kAdmin, options);
  stop = true;
  adder.join();
  ASSERT_TRUE(swept.ok()) << swept.status();
  int64_t dropped = 0;
  for (const json& entry : EntriesOf("retention.segment_drop")) {
    dropped += entry["records"].get<int64_t>();
  }
  int64_t left = 0;
  auto reader = ValueOf(dir_->store().OpenReader());
  for (const store::RecordSegmentRow& segment : Segments()) {
    if (!segment.dropped) left += ValueOf(reader->CountSegmentRecords(segment.id, ""));
  }
  EXPECT_GE(dropped, 20);
  EXPECT_EQ(dropped + left, 20 + added.load());
  EXPECT_TRUE(Verify().ok);
}

// The month's table is dropped without overwriting its pages (that held
// every read for the whole table); the sweep overwrites them in small jobs
// before it ends, so none of its rows is left in the data directory.
TEST_F(SegmentSweepTest, ADroppedMonthLeavesNothingOfItsRowsOnDisk) {
  clock_.Set(TokyoMidnight(2026, 6, 1));
  // Many records a key: the sweep's own ledger entries, one a key, would
  // otherwise take all the freed pages and overwrite them anyway.
  std::vector<std::pair<int, int>> april;
  for (int day = 1; day <= 20; ++day) april.emplace_back(4, day);
  std::vector<std::string> sealed;  // every 10th location's
  for (int i = 0; i < 40; ++i) {
    for (const store::RecordRow& row : RecordsOf(AddLocations(april))) {
      if (row.category == "pd:Location" && row.collected_at < TokyoMidnight(2026, 4, 3)) {
        sealed.push_back(row.sealed_value);
      }
    }
  }
  ASSERT_EQ(sealed.size(), 80u);
  ASSERT_EQ(Segments().size(), 1u);
  clock_.Set(TokyoMidnight(2026, 8, 1));
  SweepOptions options;
  options.job_budget = absl::Nanoseconds(1);  // a page a job
  const SweepSummary swept = ValueOf(engine_->SweepRetention(kAdmin, options));
  EXPECT_EQ(swept.erased, 800);
  EXPECT_TRUE(Segments().empty());
  EXPECT_FALSE(ValueOf(dir_->store().retention().HasUnscrubbedPages()));
  ASSERT_NO_FATAL_FAILURE(StopEngine());
  dir_.reset();  // closed: the WAL is copied into the file and removed
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((std::filesystem::path(data_dir_) / store::kRecordsFileName).c_str(), &db),
            SQLITE_OK);
  sqlite3_stmt* held = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM free_page_scrub", -1, &held, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(held), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(held, 0), 0);  // the zero-filled pages are free again
  sqlite3_finalize(held);
  sqlite3_close(db);
  for (const auto& entry : std::filesystem::directory_iterator(data_dir_)) {
    const std::string bytes = common::testing::ReadFileBytes(entry.path());
    for (const std::string& value : sealed) {
      EXPECT_EQ(bytes.find(value), std::string::npos) << entry.path();
    }
  }
  ASSERT_NO_FATAL_FAILURE(OpenDirectory());
  ASSERT_NO_FATAL_FAILURE(StartEngine());
}

TEST_F(SegmentSweepTest, CallMonthsAreDeidentifiedInJobsAndResumeAfterTheLastOneCommitted) {
  std::vector<std::string> callers;
  for (int i = 0; i < 10; ++i) callers.push_back(AddCaller());
  const std::string held = AddCaller();
  ValueOf(engine_->AddHold(kAdmin, {held, "pd:CallLog", "Case 9", TokyoMidnight(2027, 1, 1)}));
  const std::vector<store::RecordSegmentRow> segments = Segments();
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(segments[0].category, "pd:CallLog");
  // As a sweep stopped after its first job would have left it: the first
  // four call records de-identified, the segment's cursor after them.
  store::RetentionStore& retention = dir_->store().retention();
  const auto first = ValueOf(retention.ListSegmentRecords(segments[0].id, 0, 4));
  ASSERT_EQ(first.size(), 4u);
  const std::string cursor = fmt::format("segment.{}.deidentified", segments[0].id);
  ASSERT_TRUE(retention.SetCursor(cursor, first.back().first).ok());

  clock_.Set(TokyoMidnight(2026, 10, 2));
  const SweepSummary planned = DryRun(clock_.Now());
  EXPECT_EQ(planned.deidentified, 10);
  EXPECT_EQ(planned.held, 1);
  SweepOptions small_jobs;
  small_jobs.records_per_job = 2;
  const SweepSummary swept = Sweep(std::move(small_jobs));
  EXPECT_EQ(swept.deidentified, 10);
  EXPECT_EQ(swept.erased, 0);
  EXPECT_EQ(swept.held, 1);
  EXPECT_EQ(swept.keys_destroyed, 10);
  // One remainder for each record the stopped sweep had not reached.
  EXPECT_EQ(ValueOf(retention.CountDeidentified()), 6);
  for (const std::string& caller : callers) {
    EXPECT_EQ(RecordOf(RecordsOf(caller), "pd:CallLog"), nullptr);
  }
  // The held caller's record is whole, under its key, readable.
  const std::vector<store::RecordRow> held_rows = RecordsOf(held);
  const store::RecordRow* kept = RecordOf(held_rows, "pd:CallLog");
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(ValueOf(dir_->vault().OpenValue({held, "pd:CallLog", "2026-04"}, kept->id,
                                            kept->sealed_value)),
            kCallRecord);
  EXPECT_TRUE(Segments().empty());
  // Forgotten with the segment: nothing left to resume.
  EXPECT_EQ(ValueOf(retention.GetCursor(cursor)), 0);
  const std::vector<json> drops = EntriesOf("retention.segment_drop");
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0]["records"], 10);
  EXPECT_EQ(drops[0]["held"], 1);
  for (const json& erasure : ErasureEntries()) {
    EXPECT_EQ(erasure["mode"], "deidentify");
    EXPECT_EQ(erasure["deidentified"], erasure["records"]);
  }
  EXPECT_TRUE(Verify().ok);
}

// Segments of two records: a month of several segments.
class SmallSegmentSweepTest : public SegmentSweepTest {
 protected:
  int64_t SegmentRecords() const override { return 2; }
};

TEST_F(SmallSegmentSweepTest, AMonthOfSeveralSegmentsGoesOneByOneWithOneEntryPerKey) {
  clock_.Set(TokyoMidnight(2026, 6, 1));
  const std::string a = AddLocations({{4, 2}, {4, 3}});  // fills the first segment
  const std::string b = AddLocations({{4, 4}});          // starts the second
  // b's second April record goes to the second segment too, its third to a
  // third one: b's April key covers three segments' records.
  ValueOf(engine_->AddRecord(kAdmin, b,
                             {.category = "pd:Location",
                              .service = "mobile",
                              .value = "cell 440-10-0405",
                              .collected_at = TokyoMidnight(2026, 4, 5)}));
  ValueOf(engine_->AddRecord(kAdmin, b,
                             {.category = "pd:Location",
                              .service = "mobile",
                              .value = "cell 440-10-0406",
                              .collected_at = TokyoMidnight(2026, 4, 6)}));
  ASSERT_EQ(Segments().size(), 3u);
  EXPECT_EQ(ValueOf(dir_->store().retention().CountRecordsOfKey({b, "pd:Location", "2026-04"})), 3);

  clock_.Set(TokyoMidnight(2026, 8, 10));
  EXPECT_EQ(DryRun(clock_.Now()).erased, 5);
  const SweepSummary swept = Sweep();
  EXPECT_EQ(swept.erased, 5);
  EXPECT_EQ(swept.keys_destroyed, 2);
  EXPECT_TRUE(Segments().empty());
  EXPECT_TRUE(LocationBuckets(a).empty());
  EXPECT_TRUE(LocationBuckets(b).empty());
  EXPECT_EQ(EntriesOf("retention.segment_drop").size(), 3u);
  // One entry per key, with every record the key's segments held.
  std::vector<json> erasures = ErasureEntries();
  ASSERT_EQ(erasures.size(), 2u);
  std::map<std::string, json> by_subject;
  for (const json& e : erasures) by_subject[e["subject"].get<std::string>()] = e;
  EXPECT_EQ(by_subject[a]["records"], 2);
  EXPECT_EQ(by_subject[b]["records"], 3);
  EXPECT_EQ(by_subject[b]["key_destroyed"], true);
  EXPECT_TRUE(Verify().ok);
}

// --- Provision (docs/provision.md) ---

constexpr char kServicer[] = "hikari-servicer";   // a third party in Japan
constexpr char kCallCenter[] = "sakura-contact";  // a trustee for customer care
constexpr char kCloud[] = "nimbus-cloud";         // a trustee abroad, until 2027-06-30
constexpr char kCollection[] = "dpv:PaymentManagement";

class ProvisionEngineTest : public RetentionEngineTest {
 protected:
  void SetUp() override {
    RetentionEngineTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
  }

  ProvideRequest Provision(std::string recipient, std::string purpose,
                           std::vector<std::string> subjects, std::vector<std::string> categories) {
    ProvideRequest r;
    r.actor = kAgent;
    r.recipient = std::move(recipient);
    r.purpose = std::move(purpose);
    r.subjects = std::move(subjects);
    r.categories = std::move(categories);
    return r;
  }
  // The servicer may receive name and phone for collection.
  ProvideRequest ToServicer(std::vector<std::string> subjects) {
    return Provision(kServicer, kCollection, std::move(subjects),
                     {"pd:Name", "pd:TelephoneNumber"});
  }
  store::ConsentRow ConsentToServicer(const std::string& subject) {
    ConsentGrant grant;
    grant.subject = subject;
    grant.purpose = kCollection;
    grant.recipient = kServicer;
    grant.evidence = kEvidence;
    return ValueOf(engine_->GrantConsent(kAdmin, grant));
  }
  ProvideResult Provide(const ProvideRequest& request) {
    return ValueOf(engine_->Provide(request));
  }
  // Provides, and checks that only the decision was recorded.
  SubjectProvision Denied(const ProvideRequest& request) {
    const int64_t before = Entries();
    ProvideResult r = Provide(request);
    EXPECT_TRUE(r.payload.is_null());
    EXPECT_EQ(Entries(), before + 1);  // the decision, and no payload entry
    if (r.subjects.size() != 1) {
      ADD_FAILURE() << "one subject expected";
      return {};
    }
    EXPECT_EQ(r.subjects[0].decision.decision.outcome, Outcome::kDeny);
    EXPECT_FALSE(r.subjects[0].record.has_value());
    json e = Entry(r.subjects[0].entry);
    EXPECT_EQ(e["action"], "provide");
    EXPECT_EQ(e["outcome"], "deny");
    EXPECT_EQ(e["recipient"], request.recipient);
    EXPECT_FALSE(e.contains("records"));
    return r.subjects[0];
  }
  ProvisionRecords RecordsOfSubject(const std::string& subject) {
    return ValueOf(engine_->ListProvisionRecords(subject, ""));
  }
  ProvisionRecords RecordsTo(const std::string& recipient) {
    return ValueOf(engine_->ListProvisionRecords("", recipient));
  }
  ReceiptSpec Receipt(std::optional<std::string> subject) {
    ReceiptSpec spec;
    spec.provider_name = "みらいカード株式会社";
    spec.provider_address = "東京都港区芝九丁目2番2号";
    spec.provider_representative = "代表取締役 高橋 次郎";
    spec.how_obtained = "collected from its card members with their consent";
    spec.subject = std::move(subject);
    spec.categories = {"pd:Name"};
    return spec;
  }
};

TEST_F(ProvisionEngineTest, ConsentBasedProvisionLeavesARecordKeptThreeYears) {
  const std::string subject = AddCustomer();
  const store::ConsentRow consent = ConsentToServicer(subject);
  const int64_t before = Entries();
  ProvideResult r = Provide(ToServicer({subject}));
  ASSERT_EQ(r.subjects.size(), 1u);
  const SubjectProvision& p = r.subjects[0];
  EXPECT_DECISION(p.decision.decision, kAllow, "allowed", "appi.27.1");
  EXPECT_EQ(p.decision.decision.legal_basis, "consent");
  EXPECT_EQ(p.decision.recipient_kind, policy::RecipientKind::kThirdParty);
  EXPECT_EQ(Entries(), before + 2);  // the decision and the payload

  // The Art. 29 record: consent, recipient, subject, items and date, kept
  // three years (through 1 April 2029 in Tokyo).
  ASSERT_TRUE(p.record.has_value());
  const store::ProvisionRecordRow& record = *p.record;
  EXPECT_TRUE(common::IsValidId(record.id, common::IdKind::kProvision));
  EXPECT_EQ(record.recipient, kServicer);
  EXPECT_EQ(record.subject_id, subject);
  EXPECT_EQ(record.categories, (std::vector<std::string>{"pd:Name", "pd:TelephoneNumber"}));
  EXPECT_EQ(record.purpose, kCollection);
  EXPECT_EQ(record.legal_basis, "consent");
  EXPECT_EQ(record.consent_id, consent.id);
  EXPECT_EQ(record.provided_at, T0());
  EXPECT_EQ(record.provided_by, kAgent);
  EXPECT_EQ(record.keep_until, TokyoMidnight(2029, 4, 2));
  EXPECT_FALSE(record.kept_from_last_provision);
  EXPECT_EQ(record.ledger_entry, static_cast<int64_t>(p.entry));
  std::vector<store::ProvisionRecordRow> stored =
      ValueOf(dir_->store().provisions().ListRecordsOfSubject(subject));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].id, record.id);

  // The payload holds exactly the decided categories.
  EXPECT_EQ(r.payload, json::parse(fmt::format(
                           R"({{"recipient": "{}", "purpose": "{}",
                                "provided_at": "2026-04-01T09:00:00Z",
                                "subjects": [{{"subject": "{}", "values": {{
                                  "pd:Name": ["{}"], "pd:TelephoneNumber": ["{}"]}}}}]}})",
                           kServicer, kCollection, subject, kName, kPhone)));

  // The ledger: the decision (ids only) and the payload's digest.
  json decision = Entry(p.entry);
  EXPECT_EQ(decision["kind"], "decision");
  EXPECT_EQ(decision["action"], "provide");
  EXPECT_EQ(decision["actor"], kAgent);
  EXPECT_EQ(decision["subject"], subject);
  EXPECT_EQ(decision["recipient"], kServicer);
  EXPECT_EQ(decision["recipient_kind"], "third_party");
  EXPECT_EQ(decision["outcome"], "allow");
  EXPECT_EQ(decision["legal_basis"], "consent");
  EXPECT_EQ(decision["provision_record"], record.id);
  EXPECT_EQ(decision["records"].size(), 2u);
  json payload_entry = Entry(r.payload_entry);
  EXPECT_EQ(payload_entry["change"], "provision.payload");
  EXPECT_EQ(payload_entry["decisions"], json::array({p.entry}));
  EXPECT_EQ(payload_entry["payload_sha256"], ledger::Sha256Hex(ledger::CanonicalEntry(r.payload)));
  ExpectNoPersonalValuesInLedger();
  EXPECT_TRUE(Verify().ok);
}

TEST_F(ProvisionEngineTest, GroundBasedProvisionLeavesNoRecordAndKeepsTheReasonAside) {
  const std::string subject = AddCustomer();
  ProvideRequest request = ToServicer({subject});
  request.ground = Ground::kLaw;
  request.reason = kReason;
  ProvideResult r = Provide(request);
  ASSERT_EQ(r.subjects.size(), 1u);
  const SubjectProvision& p = r.subjects[0];
  EXPECT_DECISION(p.decision.decision, kAllow, "allowed", "appi.27.1");
  EXPECT_EQ(p.decision.decision.legal_basis, "ground:law");
  EXPECT_TRUE(p.decision.decision.flagged_for_audit);
  EXPECT_FALSE(p.record.has_value());
  EXPECT_TRUE(RecordsOfSubject(subject).records.empty());
  EXPECT_EQ(r.payload["subjects"][0]["values"]["pd:Name"], json::array({kName}));
  json e = Entry(p.entry);
  EXPECT_EQ(e["ground"], "law");
  EXPECT_EQ(e["note_sha256"], ledger::Sha256Hex(kReason));
  EXPECT_FALSE(e.contains("provision_record"));
  std::optional<std::string> note = ValueOf(ledger().GetNote(static_cast<int64_t>(p.entry)));
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(Opened(subject, kUseReasonKey, fmt::format("note-{}", p.entry), *note), kReason);
  ExpectNoPersonalValuesInLedger();
}

TEST_F(ProvisionEngineTest, EntrustingAndJointUseLeaveNoRecord) {
  const std::string subject = AddCustomer();
  ValueOf(engine_->RecordTrusteeAudit(
      kAdmin, {kCallCenter, absl::InfinitePast(), absl::CivilDay(2026, 3, 1), "no findings"}));
  ProvideResult r = Provide(Provision(kCallCenter, "dpv:CustomerCare", {subject}, {"pd:Name"}));
  ASSERT_EQ(r.subjects.size(), 1u);
  EXPECT_DECISION(r.subjects[0].decision.decision, kAllow, "allowed", "appi.27.5");
  EXPECT_EQ(r.subjects[0].decision.decision.legal_basis, "entrusted");
  EXPECT_FALSE(r.subjects[0].record.has_value());
  EXPECT_EQ(r.payload["subjects"][0]["values"]["pd:Name"], json::array({kName}));
  EXPECT_TRUE(RecordsTo(kCallCenter).records.empty());

  ProvideRequest joint =
      Provision("mirai-shop", "dpv:FraudPreventionAndDetection", {subject}, {"pd:Name"});
  joint.actor = kAnalyst;
  ProvideResult shared = Provide(joint);
  ASSERT_EQ(shared.subjects.size(), 1u);
  EXPECT_DECISION(shared.subjects[0].decision.decision, kAllow, "allowed", "appi.27.5");
  EXPECT_EQ(shared.subjects[0].decision.decision.legal_basis, "joint_use");
  EXPECT_EQ(shared.subjects[0].decision.recipient_kind, policy::RecipientKind::kJointUser);
  EXPECT_FALSE(shared.subjects[0].record.has_value());
  EXPECT_TRUE(RecordsTo("mirai-shop").records.empty());
}

TEST_F(ProvisionEngineTest, DeniedProvisionsReturnNoPayloadAndAreRecorded) {
  const std::string subject = AddCustomer();
  // No consent to the third party, and no ground.
  SubjectProvision none = Denied(ToServicer({subject}));
  EXPECT_DECISION(none.decision.decision, kDeny, "third_party_consent_required", "appi.27.1");
  // Beyond what the recipient is declared for.
  ConsentToServicer(subject);
  SubjectProvision scope =
      Denied(Provision(kServicer, kCollection, {subject}, {"pd:EmailAddress"}));
  EXPECT_DECISION(scope.decision.decision, kDeny, "recipient_scope_exceeded", "appi.27.1");
  // A stop-provision order to this recipient.
  ValueOf(engine_->AddStopOrder(kAdmin, {subject, "provision", std::nullopt, kServicer, ""}));
  SubjectProvision stopped = Denied(ToServicer({subject}));
  EXPECT_DECISION(stopped.decision.decision, kDeny, "stop_provision_order", "appi.35.3");
  // A trustee outside its entrusted purposes.
  SubjectProvision outside =
      Denied(Provision(kCallCenter, "dpv:Marketing", {subject}, {"pd:Name"}));
  EXPECT_DECISION(outside.decision.decision, kDeny, "trustee_scope_exceeded", "appi.27.5");
  EXPECT_EQ(outside.decision.recipient_kind, policy::RecipientKind::kTrustee);
  // A trustee never audited since its contract began in 2024.
  SubjectProvision overdue =
      Denied(Provision(kCallCenter, "dpv:CustomerCare", {subject}, {"pd:Name"}));
  EXPECT_DECISION(overdue.decision.decision, kDeny, "trustee_audit_overdue", "appi.25");
  // A trustee after its contract ended, audited or not.
  ValueOf(engine_->RecordTrusteeAudit(kAdmin, {kCloud, clock_.Now(), std::nullopt, "ok"}));
  clock_.Set(TokyoMidnight(2027, 7, 1));
  SubjectProvision ended = Denied(Provision(kCloud, kCollection, {subject}, {"pd:Name"}));
  EXPECT_DECISION(ended.decision.decision, kDeny, "trustee_contract_ended", "appi.27.5");
  EXPECT_TRUE(ended.decision.cross_border);
  // An actor the engine does not know.
  ProvideRequest stranger = ToServicer({subject});
  stranger.actor = "emp:stranger";
  SubjectProvision unknown = Denied(stranger);
  EXPECT_DECISION(unknown.decision.decision, kDeny, kActorUnknown, "appi.23");
  // None left a record.
  EXPECT_TRUE(RecordsOfSubject(subject).records.empty());
  ExpectNoPersonalValuesInLedger();
}

TEST_F(ProvisionEngineTest, MalformedRequestsAndUnknownSubjectsRecordNothing) {
  const std::string subject = AddCustomer();
  const std::string state = State();
  auto code = [&](ProvideRequest request) { return engine_->Provide(request).status().code(); };
  ProvideRequest r = ToServicer({subject});
  r.actor = "";
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ToServicer({})), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ToServicer({subject, subject})), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Provision(kServicer, kCollection, {subject}, {})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Provision("", kCollection, {subject}, {"pd:Name"})),
            absl::StatusCode::kInvalidArgument);
  r = ToServicer({subject});
  r.reason = "no ground";
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  // One unknown subject among known ones: none is decided.
  EXPECT_EQ(code(ToServicer({subject, "sub_AAAAAAAAAAAAAAAAAAAAAA"})), absl::StatusCode::kNotFound);
  EXPECT_EQ(State(), state);
}

TEST_F(ProvisionEngineTest, ManySubjectsAtOnceEachDecidedAndOnlyTheAllowedProvided) {
  const std::string first = AddCustomer();
  const std::string second = AddCustomer();
  const std::string third = AddCustomer();
  ConsentToServicer(first);
  ConsentToServicer(third);
  const int64_t before = Entries();
  ProvideResult r = Provide(ToServicer({first, second, third}));
  ASSERT_EQ(r.subjects.size(), 3u);
  EXPECT_EQ(r.subjects[0].subject, first);
  EXPECT_EQ(r.subjects[0].decision.decision.outcome, Outcome::kAllow);
  EXPECT_EQ(r.subjects[1].subject, second);
  EXPECT_DECISION(r.subjects[1].decision.decision, kDeny, "third_party_consent_required",
                  "appi.27.1");
  EXPECT_FALSE(r.subjects[1].record.has_value());
  EXPECT_EQ(r.subjects[2].decision.decision.outcome, Outcome::kAllow);
  EXPECT_EQ(Entries(), before + 4);  // three decisions and one payload
  // The payload: the allowed subjects only, each with exactly the decided
  // categories.
  ASSERT_EQ(r.payload["subjects"].size(), 2u);
  EXPECT_EQ(r.payload["subjects"][0]["subject"], first);
  EXPECT_EQ(r.payload["subjects"][1]["subject"], third);
  for (const json& s : r.payload["subjects"]) {
    EXPECT_EQ(s["values"].size(), 2u);
    EXPECT_EQ(s["values"]["pd:Name"], json::array({kName}));
    EXPECT_FALSE(s["values"].contains("pd:EmailAddress"));
  }
  EXPECT_EQ(Entry(r.payload_entry)["decisions"],
            json::array({r.subjects[0].entry, r.subjects[2].entry}));
  EXPECT_EQ(RecordsTo(kServicer).records.size(), 2u);
  ExpectNoPersonalValuesInLedger();
}

TEST_F(ProvisionEngineTest, RecordsAndReceiptsAreListedPerSubjectAndPerRecipient) {
  const std::string first = AddCustomer();
  const std::string second = AddCustomer();
  ConsentToServicer(first);
  ConsentToServicer(second);
  Provide(ToServicer({first}));
  clock_.Advance(absl::Hours(24));
  Provide(ToServicer({second, first}));
  store::ReceiptRow receipt = ValueOf(engine_->RecordReceipt("emp:clerk", Receipt(first)));

  ProvisionRecords of_first = RecordsOfSubject(first);
  ASSERT_EQ(of_first.records.size(), 2u);
  EXPECT_LT(of_first.records[0].provided_at, of_first.records[1].provided_at);
  ASSERT_EQ(of_first.receipts.size(), 1u);
  EXPECT_EQ(of_first.receipts[0].id, receipt.id);
  EXPECT_EQ(RecordsOfSubject(second).records.size(), 1u);
  EXPECT_TRUE(RecordsOfSubject(second).receipts.empty());
  ProvisionRecords to_servicer = RecordsTo(kServicer);
  EXPECT_EQ(to_servicer.records.size(), 3u);
  EXPECT_TRUE(to_servicer.receipts.empty());
  // A declared party without records has none; an undeclared one is unknown.
  EXPECT_TRUE(RecordsTo(kCallCenter).records.empty());
  EXPECT_EQ(engine_->ListProvisionRecords("", "nobody").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->ListProvisionRecords("sub_AAAAAAAAAAAAAAAAAAAAAA", "").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->ListProvisionRecords(first, kServicer).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->ListProvisionRecords("", "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ProvisionEngineTest, RecordsOutliveTheSubjectsErasureAndGoAfterThreeYears) {
  // A caller whose only record, a call log, is erased after six months.
  vault::SubjectIdentifiers ids;
  ids.phone = kPhone;
  const std::string subject = ValueOf(engine_->AddSubject(
      kAdmin, ids, {{.category = "pd:CallLog", .service = "mobile", .value = kCallRecord}}));
  ConsentToServicer(subject);
  ProvideResult r = Provide(ToServicer({subject}));
  ASSERT_TRUE(r.subjects[0].record.has_value());
  const std::string record = r.subjects[0].record->id;
  EXPECT_EQ(r.payload["subjects"][0]["values"],
            json::parse(R"({"pd:Name": [], "pd:TelephoneNumber": []})"));

  clock_.Set(TokyoMidnight(2026, 10, 2));
  SweepSummary erased = Sweep();
  EXPECT_EQ(erased.subjects_erased, 1);
  EXPECT_EQ(erased.provision_records_erased, 0);
  EXPECT_FALSE(ValueOf(dir_->store().keys().GetSubjectKey(subject)).has_value());
  // The statutory record stays, by subject and by recipient.
  ASSERT_EQ(RecordsOfSubject(subject).records.size(), 1u);
  EXPECT_EQ(RecordsOfSubject(subject).records[0].id, record);
  EXPECT_EQ(RecordsTo(kServicer).records.size(), 1u);

  // Kept through 1 April 2029 (Tokyo), erased from the 2nd.
  EXPECT_EQ(DryRun(TokyoMidnight(2029, 4, 1)).provision_records_erased, 0);
  SweepSummary ahead = DryRun(TokyoMidnight(2029, 4, 2));
  EXPECT_EQ(ahead.provision_records_erased, 1);
  EXPECT_EQ(RecordsTo(kServicer).records.size(), 1u);  // a dry run keeps it
  clock_.Set(TokyoMidnight(2029, 4, 2));
  SweepSummary swept = Sweep();
  EXPECT_EQ(swept.provision_records_erased, 1);
  EXPECT_TRUE(RecordsTo(kServicer).records.empty());
  EXPECT_EQ(LastEntry()["change"], "retention.sweep");
  EXPECT_EQ(LastEntry()["provision_records_erased"], 1);
  bool recorded = false;
  for (const std::string& bytes : EntryBytes()) {
    json e = json::parse(bytes);
    if (e.value("change", "") == "provision.records_erase") {
      EXPECT_EQ(e["provision_records"], json::array({record}));
      recorded = true;
    }
  }
  EXPECT_TRUE(recorded);
  EXPECT_EQ(Sweep().provision_records_erased, 0);
  ExpectNoPersonalValuesInLedger();
  EXPECT_TRUE(Verify().ok);
}

TEST_F(ProvisionEngineTest, AContractStandingInForTheRecordKeepsItAYearFromTheLastProvision) {
  std::string text = PolicyText();
  const std::string anchor = "id = \"hikari-servicer\"\n";
  const size_t at = text.find(anchor);
  ASSERT_NE(at, std::string::npos);
  text.insert(at + anchor.size(), "contract_stands_in_for_record = true\n");
  ValueOf(engine_->LoadPolicy(kAdmin, text, "contract.toml"));
  const std::string subject = AddCustomer();
  ConsentToServicer(subject);
  ProvideResult first = Provide(ToServicer({subject}));
  ASSERT_TRUE(first.subjects[0].record.has_value());
  EXPECT_TRUE(first.subjects[0].record->kept_from_last_provision);
  EXPECT_EQ(first.subjects[0].record->keep_until, TokyoMidnight(2027, 4, 2));
  // A later provision under the contract keeps the earlier record as long.
  clock_.Set(TokyoMidnight(2026, 6, 15) + absl::Hours(3));
  ASSERT_TRUE(engine_->RecordTraining(kAdmin, kAgent, "privacy-annual", clock_.Now()).ok());
  Provide(ToServicer({subject}));
  std::vector<store::ProvisionRecordRow> records = RecordsOfSubject(subject).records;
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].keep_until, TokyoMidnight(2027, 6, 16));
  EXPECT_EQ(records[1].keep_until, TokyoMidnight(2027, 6, 16));
}

TEST_F(ProvisionEngineTest, ReceiptsKeepTheArt30ChecksAndTheLedgerOnlyTheirDigest) {
  const std::string subject = AddCustomer();
  const std::string state = State();
  ReceiptSpec missing = Receipt(subject);
  missing.provider_representative = " ";
  EXPECT_EQ(engine_->RecordReceipt(kAdmin, missing).status().code(),
            absl::StatusCode::kInvalidArgument);
  ReceiptSpec no_how = Receipt(subject);
  no_how.how_obtained = "";
  EXPECT_EQ(engine_->RecordReceipt(kAdmin, no_how).status().code(),
            absl::StatusCode::kInvalidArgument);
  ReceiptSpec unknown_category = Receipt(subject);
  unknown_category.categories = {"pd:Nope"};
  EXPECT_EQ(engine_->RecordReceipt(kAdmin, unknown_category).status().code(),
            absl::StatusCode::kInvalidArgument);
  ReceiptSpec future = Receipt(subject);
  future.received_at = clock_.Now() + absl::Hours(1);
  EXPECT_EQ(engine_->RecordReceipt(kAdmin, future).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->RecordReceipt(kAdmin, Receipt("sub_AAAAAAAAAAAAAAAAAAAAAA")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(State(), state);

  ReceiptSpec spec = Receipt(subject);
  spec.by_opt_out = true;
  spec.received_on = absl::CivilDay(2026, 3, 31);
  store::ReceiptRow row = ValueOf(engine_->RecordReceipt(kAdmin, spec));
  EXPECT_TRUE(common::IsValidId(row.id, common::IdKind::kReceipt));
  EXPECT_EQ(row.received_at, TokyoMidnight(2026, 3, 31));
  EXPECT_EQ(row.keep_until, TokyoMidnight(2029, 4, 1));
  EXPECT_TRUE(row.by_opt_out);
  EXPECT_EQ(row.recorded_by, kAdmin);
  store::ReceiptRow anonymous = ValueOf(engine_->RecordReceipt(kAdmin, Receipt(std::nullopt)));
  EXPECT_FALSE(anonymous.subject_id.has_value());
  json e = LastEntry();
  EXPECT_EQ(e["change"], "provision.receive");
  EXPECT_TRUE(e["subject"].is_null());
  EXPECT_TRUE(e.contains("provider_sha256"));
  for (const std::string& bytes : EntryBytes()) {
    EXPECT_EQ(bytes.find("高橋"), std::string::npos);
    EXPECT_EQ(bytes.find("芝九丁目"), std::string::npos);
  }
}

TEST_F(ProvisionEngineTest, TrusteeAuditsDecideOverdueAndApprovalsAreListed) {
  // At T0 neither trustee was ever audited: both are overdue.
  std::vector<TrusteeStatus> all = ValueOf(engine_->ListTrustees(false));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].trustee.id, kCallCenter);
  EXPECT_TRUE(all[0].contract_in_force);
  EXPECT_FALSE(all[0].last_audit.has_value());
  EXPECT_EQ(all[0].next_due, TokyoMidnight(2024, 4, 1) + absl::Hours(24 * 365));
  EXPECT_TRUE(all[0].overdue);
  EXPECT_TRUE(all[1].overdue);
  EXPECT_EQ(ValueOf(engine_->ListTrustees(true)).size(), 2u);

  const std::string state = State();
  EXPECT_EQ(engine_->RecordTrusteeAudit(kAdmin, {"nobody", clock_.Now(), std::nullopt, "ok"})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->RecordTrusteeAudit(kAdmin, {kCallCenter, clock_.Now(), std::nullopt, " "})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_
                ->RecordTrusteeAudit(
                    kAdmin, {kCallCenter, clock_.Now() + absl::Hours(1), std::nullopt, "ok"})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(State(), state);

  store::TrusteeAuditRow audit = ValueOf(engine_->RecordTrusteeAudit(
      kAdmin, {kCallCenter, absl::InfinitePast(), absl::CivilDay(2026, 3, 1),
               "監査: 指摘事項2件、是正済み"}));
  EXPECT_TRUE(common::IsValidId(audit.id, common::IdKind::kTrusteeAudit));
  EXPECT_EQ(audit.audited_at, TokyoMidnight(2026, 3, 1));
  EXPECT_EQ(audit.next_due, TokyoMidnight(2026, 3, 1) + absl::Hours(24 * 365));
  json e = LastEntry();
  EXPECT_EQ(e["change"], "trustee.audit");
  EXPECT_EQ(e["trustee"], kCallCenter);
  EXPECT_EQ(e["result_sha256"], ledger::Sha256Hex("監査: 指摘事項2件、是正済み"));

  store::ReentrustmentRow approval = ValueOf(
      engine_->ApproveReentrustment(kAdmin, kCallCenter, "株式会社きたコール", "夜間の入電"));
  EXPECT_TRUE(common::IsValidId(approval.id, common::IdKind::kReentrustment));
  EXPECT_EQ(LastEntry()["change"], "trustee.reentrustment");
  EXPECT_EQ(engine_->ApproveReentrustment(kAdmin, "nobody", "x", "y").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->ApproveReentrustment(kAdmin, kCallCenter, "", "y").status().code(),
            absl::StatusCode::kInvalidArgument);

  std::vector<TrusteeStatus> overdue = ValueOf(engine_->ListTrustees(true));
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0].trustee.id, kCloud);
  all = ValueOf(engine_->ListTrustees(false));
  ASSERT_TRUE(all[0].last_audit.has_value());
  EXPECT_EQ(all[0].last_audit->id, audit.id);
  EXPECT_EQ(all[0].next_due, audit.next_due);
  EXPECT_FALSE(all[0].overdue);
  ASSERT_EQ(all[0].subcontractors.size(), 1u);
  EXPECT_EQ(all[0].subcontractors[0].subcontractor, "株式会社きたコール");
  // After its contract's last day a trustee is no longer in force.
  clock_.Set(TokyoMidnight(2027, 7, 1));
  EXPECT_FALSE(ValueOf(engine_->ListTrustees(false))[1].contract_in_force);
  for (const std::string& bytes : EntryBytes()) {
    EXPECT_EQ(bytes.find("指摘事項"), std::string::npos);
    EXPECT_EQ(bytes.find("きたコール"), std::string::npos);
  }
}

}  // namespace
}  // namespace mamori::engine
