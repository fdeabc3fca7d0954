// The engine tests' fixture (engine_test.cc, incident_test.cc,
// supervision_test.cc): a data directory initialized from
// examples/telecom-operator.toml, an engine on a fake clock, staff and a
// customer, and helpers to read the ledger. See engine_test.cc's header for
// why the tests may read the store while the engine runs.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/testing/test_files.h"
#include "engine/engine.h"
#include "ledger/verify.h"
#include "vault/data_directory.h"
#include "vault/test_data_dir.h"

namespace mamori::engine {
namespace {

using nlohmann::json;
using policy::Ground;
using policy::IdentifierKind;
using policy::Outcome;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

constexpr char kAdmin[] = "admin:init";
constexpr char kAgent[] = "emp:agent";        // call-center-agent, trained
constexpr char kMarketer[] = "emp:marketer";  // marketing-analyst, trained
constexpr char kClerk[] = "emp:clerk";        // billing-clerk, privacy-annual only
constexpr char kAnalyst[] = "emp:analyst";    // fraud-analyst, trained

// Personal values: they may reach the vault (sealed) and the caller of an
// allowed read, never a ledger entry.
constexpr char kPhone[] = "090-1234-5678";
constexpr char kPhoneDigits[] = "9012345678";
constexpr char kName[] = "山田 太郎";
constexpr char kNewName[] = "山田 太朗";
constexpr char kEmail[] = "taro.yamada@example.jp";
constexpr char kCard[] = "4111 1111 1111 1111";
constexpr char kEvidence[] = "通話録音 4711: 山田様がメール案内に口頭で同意";
constexpr char kReason[] = "捜査関係事項照会書 第123号（山田太郎の契約者情報）";

inline absl::Time T0() {
  return absl::FromCivil(absl::CivilSecond(2026, 4, 1, 9, 0, 0), absl::UTCTimeZone());
}

inline std::string PolicyPath() {
  return vault::testing::SourcePath("examples/telecom-operator.toml");
}

inline std::string PolicyText() { return common::testing::ReadFileBytes(PolicyPath()); }

// The example policy under another name: a second version with a diff.
inline std::string SecondPolicyText() {
  std::string text = PolicyText();
  const std::string from = "2025年4月版";
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos) text.replace(at, from.size(), "2026年4月版");
  return text;
}

template <typename T>
T ValueOf(absl::StatusOr<T> result) {
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : T{};
}

inline std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += p + ",";
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = (temp_.path() / "data").string();
    master_key_ = (temp_.path() / "data.master.key").string();
    auto init =
        vault::InitDataDirectory({data_dir_, PolicyPath(), master_key_, kAdmin}, clock_, random_);
    ASSERT_TRUE(init.ok()) << init.status();
    ASSERT_NO_FATAL_FAILURE(OpenDirectory());
    if (StartInSetUp()) {
      ASSERT_NO_FATAL_FAILURE(StartEngine());
    }
  }

  void TearDown() override {
    engine_.reset();
    dir_.reset();
  }

  virtual bool StartInSetUp() const { return true; }
  // How many records a segment of a month takes (store::SqliteStoreOptions).
  virtual int64_t SegmentRecords() const { return store::kDefaultSegmentRecords; }

  void OpenDirectory() {
    auto dir =
        vault::DataDirectory::Open(data_dir_, master_key_, vault::DataDirectory::Access::kWrite,
                                   clock_, random_, SegmentRecords());
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *std::move(dir);
  }

  static EngineOptions Options() {
    EngineOptions options;
    options.ledger.sign_every = absl::Hours(24 * 3650);
    return options;
  }

  void StartEngine(EngineOptions options = Options()) {
    auto engine = Engine::Start(*dir_, clock_, random_, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }

  void StopEngine() {
    ASSERT_TRUE(engine_->Stop().ok());
    engine_.reset();
  }

  void Restart() {
    ASSERT_NO_FATAL_FAILURE(StopEngine());
    dir_.reset();
    ASSERT_NO_FATAL_FAILURE(OpenDirectory());
    ASSERT_NO_FATAL_FAILURE(StartEngine());
  }

  store::LedgerStore& ledger() { return dir_->store().ledger(); }
  // A text the engine sealed under the subject's keys, opened.
  std::string Opened(std::string_view subject, std::string_view kind, std::string_view id,
                     std::string_view stored) {
    return ValueOf(OpenSealedText(dir_->vault(), subject, kind, id, stored));
  }
  int64_t Entries() { return ValueOf(ledger().CountEntries()); }
  json Entry(uint64_t seq) {
    std::optional<store::LedgerEntryRow> row =
        ValueOf(ledger().GetEntry(static_cast<int64_t>(seq)));
    EXPECT_TRUE(row.has_value()) << seq;
    return row ? json::parse(row->entry) : json();
  }
  json LastEntry() { return Entry(static_cast<uint64_t>(Entries() - 1)); }
  // Every entry's stored bytes, in order.
  std::vector<std::string> EntryBytes() {
    std::vector<std::string> out;
    EXPECT_TRUE(ledger()
                    .ScanEntries(0, Entries(),
                                 [&](const store::LedgerEntryRow& row) {
                                   out.push_back(row.entry);
                                   return absl::OkStatus();
                                 })
                    .ok());
    return out;
  }
  void ExpectNoPersonalValuesInLedger() {
    std::string all;
    for (const std::string& e : EntryBytes()) all += e;
    for (const char* value :
         {kPhone, kPhoneDigits, kName, kNewName, kEmail, kCard, kEvidence, kReason}) {
      EXPECT_EQ(all.find(value), std::string::npos) << value;
    }
  }
  ledger::VerifyReport Verify() {
    return ValueOf(
        ledger::VerifyLedger(ledger(), engine_ ? engine_->ledger_public_key()
                                               : ValueOf(dir_->LedgerSigningKey()).public_key()));
  }

  // Everything the engine may change, as one comparable text.
  std::string State() {
    store::FactStore& facts = dir_->store().facts();
    std::ostringstream out;
    for (const store::ActorRow& a : ValueOf(facts.ListActors())) {
      out << "actor " << a.id << " " << Join(a.roles) << " " << a.created_by << "\n";
    }
    for (const store::TrainingRow& t : ValueOf(facts.ListTrainings(""))) {
      out << "training " << t.actor_id << " " << t.course << " " << t.completed_at << "\n";
    }
    for (const store::ConsentRow& c : ValueOf(facts.ListConsents(""))) {
      out << "consent " << c.id << " " << c.subject_id << " " << c.purpose << " "
          << c.recipient.value_or("-") << " " << c.given_at << " "
          << (c.withdrawn_at ? absl::FormatTime(*c.withdrawn_at) : "in force") << "\n";
    }
    for (const store::StopOrderRow& s : ValueOf(facts.ListStopOrders(""))) {
      out << "stop " << s.id << " " << s.subject_id << " " << s.kind << " "
          << s.purpose.value_or("*") << " " << s.lifted_at.has_value() << "\n";
    }
    out << "subjects " << ValueOf(dir_->store().records().CountSubjects()) << "\n";
    out << "records " << ValueOf(dir_->store().records().CountRecords()) << "\n";
    out << "policy " << dir_->policy_version() << "\n";
    out << "entries " << Entries() << "\n";
    return out.str();
  }

  // Adds an actor with the given roles and completions of `courses` a day ago.
  void AddStaff(const std::string& id, std::vector<std::string> roles,
                std::vector<std::string> courses) {
    ASSERT_TRUE(engine_->AddActor(kAdmin, id, std::move(roles)).ok());
    for (const std::string& course : courses) {
      ASSERT_TRUE(engine_->RecordTraining(kAdmin, id, course, clock_.Now() - absl::Hours(24)).ok());
    }
  }
  void AddUsualStaff() {
    ASSERT_NO_FATAL_FAILURE(AddStaff(kAgent, {"call-center-agent"}, {"privacy-annual"}));
    ASSERT_NO_FATAL_FAILURE(AddStaff(kMarketer, {"marketing-analyst"}, {"privacy-annual"}));
    ASSERT_NO_FATAL_FAILURE(AddStaff(kClerk, {"billing-clerk"}, {"privacy-annual"}));
    ASSERT_NO_FATAL_FAILURE(
        AddStaff(kAnalyst, {"fraud-analyst"}, {"privacy-annual", "secrecy-annual"}));
  }

  // A customer known by phone and name, with name, phone, email and card
  // records collected through the mobile service.
  std::string AddCustomer() {
    vault::SubjectIdentifiers ids;
    ids.phone = kPhone;
    ids.name = kName;
    return ValueOf(engine_->AddSubject(
        kAdmin, ids,
        {{.category = "pd:Name", .service = "mobile", .value = kName},
         {.category = "pd:TelephoneNumber", .service = "mobile", .value = kPhone},
         {.category = "pd:EmailAddress", .service = "mobile", .value = kEmail},
         {.category = "pd:PaymentCardNumber", .service = "mobile", .value = kCard}}));
  }

  UseRequest Use(std::string actor, std::string purpose, std::string subject,
                 std::vector<std::string> categories) {
    UseRequest r;
    r.actor = std::move(actor);
    r.purpose = std::move(purpose);
    r.subject = std::move(subject);
    r.categories = std::move(categories);
    return r;
  }

  // One read made by ReadWhile: its ledger entry, which of the requests it
  // was, and how many values it returned.
  struct SeenRead {
    uint64_t entry = 0;
    size_t request = 0;
    size_t values = 0;
  };
  // Reads from `threads` threads, each going round `requests` (of one
  // category each), until `work` returns; every read's SeenRead. A read
  // that fails is a test failure.
  std::vector<SeenRead> ReadWhile(const std::vector<UseRequest>& requests, size_t threads,
                                  const std::function<void()>& work) {
    std::mutex mutex;
    std::vector<SeenRead> seen;
    std::atomic<bool> done{false};
    std::atomic<int> failures{0};
    std::vector<std::thread> readers;
    for (size_t t = 0; t < threads; ++t) {
      readers.emplace_back([&, t] {
        for (size_t i = t; !done.load(); ++i) {
          const size_t request = i % requests.size();
          absl::StatusOr<UseResult> r = engine_->Read(requests[request]);
          if (!r.ok()) {
            ++failures;
            continue;
          }
          const size_t values = r->values[requests[request].categories.front()].size();
          std::lock_guard<std::mutex> lock(mutex);
          seen.push_back({r->entry, request, values});
        }
      });
    }
    work();
    done.store(true);
    for (std::thread& t : readers) t.join();
    EXPECT_EQ(failures.load(), 0);
    return seen;
  }

  // Decides, checks that the decision's entry is the last one and records
  // it, and returns the decision.
  policy::Decision DecideAndCheckEntry(const UseRequest& request) {
    const int64_t before = Entries();
    UseResult r = ValueOf(engine_->Decide(request));
    EXPECT_EQ(Entries(), before + 1);
    EXPECT_EQ(r.entry, static_cast<uint64_t>(before));
    json e = Entry(r.entry);
    EXPECT_EQ(e["kind"], "decision");
    EXPECT_EQ(e["action"], "decide");
    EXPECT_EQ(e["actor"], request.actor);
    EXPECT_EQ(e["subject"], request.subject);
    EXPECT_EQ(e["purpose"], request.purpose);
    EXPECT_EQ(e["outcome"], policy::OutcomeName(r.decision.outcome));
    EXPECT_EQ(e["reason_code"], r.decision.reason_code);
    EXPECT_EQ(e["rule_id"], r.decision.rule_id);
    return r.decision;
  }

  common::FakeClock clock_{T0()};
  common::DeterministicRandom random_{20260401};
  common::testing::ScopedTempDir temp_;
  std::string data_dir_;
  std::string master_key_;
  std::unique_ptr<vault::DataDirectory> dir_;
  std::unique_ptr<Engine> engine_;
};

#define EXPECT_DECISION(decision, outcome_, reason_, rule_)     \
  do {                                                          \
    const policy::Decision& d_ = (decision);                    \
    EXPECT_EQ(d_.outcome, Outcome::outcome_) << d_.reason_code; \
    EXPECT_EQ(d_.reason_code, reason_);                         \
    EXPECT_EQ(d_.rule_id, rule_);                               \
  } while (false)

}  // namespace
}  // namespace mamori::engine
