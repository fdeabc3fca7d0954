// The conformance suite every Store engine must pass. Engines register a
// factory below; the PostgreSQL engine will add its own.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/clock.h"
#include "common/testing/test_files.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace mamori::store {
namespace {

struct EngineFactory {
  std::string name;
  // Opens a fresh, empty store rooted in `dir`.
  std::function<absl::StatusOr<std::unique_ptr<Store>>(const std::string& dir)> open;
  friend void PrintTo(const EngineFactory& f, std::ostream* os) { *os << f.name; }
};

class StoreConformanceTest : public ::testing::TestWithParam<EngineFactory> {
 protected:
  void SetUp() override {
    auto store = GetParam().open(temp_.path().string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    PolicyVersionRow v1{1, absl::FromUnixSeconds(1'700'000'000), "abc", "[policy]", "admin:test"};
    ASSERT_TRUE(store_->records().InsertPolicyVersion(v1).ok());
  }
  void TearDown() override { store_.reset(); }

  RecordRow Record(std::string id, std::string subject) {
    return RecordRow{std::move(id),
                     std::move(subject),
                     "pd:Name",
                     "mobile",
                     {"dpv:A", "dpv:B"},
                     1,
                     "open",
                     absl::FromUnixSeconds(1'700'000'100),
                     std::string("\x00\x01sealed", 8)};
  }

  common::testing::ScopedTempDir temp_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreConformanceTest, SubjectsRoundTrip) {
  RecordStore& rs = store_->records();
  SubjectRow s{"sub_1", absl::FromUnixSeconds(1'700'000'000), 1};
  ASSERT_TRUE(rs.InsertSubject(s).ok());
  auto got = rs.GetSubject("sub_1");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->id, "sub_1");
  EXPECT_EQ((*got)->created_at, s.created_at);
  EXPECT_EQ((*got)->policy_version, 1);
  EXPECT_FALSE(rs.GetSubject("sub_2")->has_value());
  EXPECT_EQ(rs.InsertSubject(s).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(rs.CountSubjects().value(), 1);
}

TEST_P(StoreConformanceTest, SubjectLanguageIsSetChangedAndCleared) {
  RecordStore& rs = store_->records();
  ASSERT_TRUE(rs.InsertSubject({"sub_en", absl::FromUnixSeconds(1'700'000'000), 1, "en"}).ok());
  ASSERT_TRUE(rs.InsertSubject({"sub_unsaid", absl::FromUnixSeconds(1'700'000'000), 1}).ok());
  EXPECT_EQ(rs.GetSubject("sub_en").value()->language, "en");
  EXPECT_EQ(rs.GetSubject("sub_unsaid").value()->language, "");

  ASSERT_TRUE(rs.SetSubjectLanguage("sub_unsaid", "ja").ok());
  EXPECT_EQ(rs.GetSubject("sub_unsaid").value()->language, "ja");
  ASSERT_TRUE(rs.SetSubjectLanguage("sub_en", "").ok());
  EXPECT_EQ(rs.GetSubject("sub_en").value()->language, "");
  EXPECT_EQ(rs.SetSubjectLanguage("sub_missing", "en").code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, RecordsRoundTripInInsertionOrder) {
  RecordStore& rs = store_->records();
  ASSERT_TRUE(rs.InsertSubject({"sub_1", absl::Now(), 1}).ok());
  ASSERT_TRUE(rs.InsertRecord(Record("rec_b", "sub_1")).ok());
  ASSERT_TRUE(rs.InsertRecord(Record("rec_a", "sub_1")).ok());
  auto got = rs.GetRecord("rec_b");
  ASSERT_TRUE(got.ok() && got->has_value());
  const RecordRow& r = **got;
  EXPECT_EQ(r.subject_id, "sub_1");
  EXPECT_EQ(r.category, "pd:Name");
  EXPECT_EQ(r.service, "mobile");
  EXPECT_EQ(r.purposes, (std::vector<std::string>{"dpv:A", "dpv:B"}));
  EXPECT_EQ(r.policy_version, 1);
  EXPECT_EQ(r.key_bucket, "open");
  EXPECT_EQ(r.collected_at, absl::FromUnixSeconds(1'700'000'100));
  EXPECT_EQ(r.sealed_value, std::string("\x00\x01sealed", 8));
  auto list = rs.ListRecords("sub_1");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "rec_b");
  EXPECT_EQ((*list)[1].id, "rec_a");
  EXPECT_EQ(rs.CountRecords().value(), 2);
  EXPECT_EQ(rs.InsertRecord(Record("rec_a", "sub_1")).code(), absl::StatusCode::kAlreadyExists);
}

TEST_P(StoreConformanceTest, BulkInsertKeepsEveryRecordInOrder) {
  RecordStore& rs = store_->records();
  ASSERT_TRUE(rs.InsertSubject({"sub_1", absl::Now(), 1}).ok());
  std::vector<RecordRow> rows;
  for (int i = 0; i < 70; ++i) {  // two full batches and a remainder
    RecordRow r = Record("rec_" + std::to_string(1000 + i), "sub_1");
    r.purposes = {"dpv:P" + std::to_string(i)};
    r.sealed_value = "sealed-" + std::to_string(i);
    rows.push_back(r);
  }
  ASSERT_TRUE(rs.InsertRecords(rows).ok());
  auto list = rs.ListRecords("sub_1");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 70u);
  for (int i = 0; i < 70; ++i) {
    EXPECT_EQ((*list)[i].id, rows[i].id);
    EXPECT_EQ((*list)[i].purposes, rows[i].purposes);
    EXPECT_EQ((*list)[i].sealed_value, rows[i].sealed_value);
  }
  EXPECT_EQ(rs.InsertRecords(std::vector<RecordRow>{Record("rec_1000", "sub_1")}).code(),
            absl::StatusCode::kAlreadyExists);
  std::vector<RecordRow> orphans(40, Record("rec_x", "sub_missing"));
  for (int i = 0; i < 40; ++i) orphans[i].id = "rec_orphan_" + std::to_string(i);
  EXPECT_EQ(rs.InsertRecords(orphans).code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, RecordForUnknownSubjectIsRefused) {
  EXPECT_EQ(store_->records().InsertRecord(Record("rec_1", "sub_missing")).code(),
            absl::StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, BlindIndexesFindSubjectsIdempotently) {
  RecordStore& rs = store_->records();
  ASSERT_TRUE(rs.InsertSubject({"sub_1", absl::Now(), 1}).ok());
  ASSERT_TRUE(rs.InsertSubject({"sub_2", absl::Now(), 1}).ok());
  ASSERT_TRUE(rs.InsertBlindIndex("phone", "mac1", "sub_1").ok());
  ASSERT_TRUE(rs.InsertBlindIndex("phone", "mac1", "sub_1").ok());
  ASSERT_TRUE(rs.InsertBlindIndex("phone", "mac1", "sub_2").ok());
  ASSERT_TRUE(rs.InsertBlindIndex("email", "mac1", "sub_2").ok());
  EXPECT_EQ(rs.FindSubjectsByIndex("phone", "mac1").value(),
            (std::vector<std::string>{"sub_1", "sub_2"}));
  EXPECT_EQ(rs.FindSubjectsByIndex("email", "mac1").value(), (std::vector<std::string>{"sub_2"}));
  EXPECT_TRUE(rs.FindSubjectsByIndex("phone", "other").value().empty());
}

TEST_P(StoreConformanceTest, OneBlindIndexEntryIsRemoved) {
  RecordStore& rs = store_->records();
  ASSERT_TRUE(rs.InsertSubject({"sub_1", absl::Now(), 1}).ok());
  ASSERT_TRUE(rs.InsertSubject({"sub_2", absl::Now(), 1}).ok());
  ASSERT_TRUE(rs.InsertBlindIndex("phone", "mac1", "sub_1").ok());
  ASSERT_TRUE(rs.InsertBlindIndex("phone", "mac1", "sub_2").ok());
  EXPECT_EQ(rs.DeleteBlindIndex("phone", "mac1", "sub_1").value(), 1);
  EXPECT_EQ(rs.DeleteBlindIndex("phone", "mac1", "sub_1").value(), 0);
  EXPECT_EQ(rs.FindSubjectsByIndex("phone", "mac1").value(), (std::vector<std::string>{"sub_2"}));
}

TEST_P(StoreConformanceTest, RequestsAndComplaintsRoundTrip) {
  RequestStore& rq = store_->requests();
  const absl::Time t = absl::FromUnixSeconds(1'700'000'000);
  RequestRow later{"req_2",
                   "disclosure",
                   "received",
                   "unverified",
                   t,
                   t + absl::Hours(48),
                   "",
                   "",
                   std::string("\x01\x02", 2),
                   "{}",
                   std::string("\x00sealed", 7),
                   "",
                   {3},
                   t};
  RequestRow sooner = later;
  sooner.id = "req_1";
  sooner.due = t + absl::Hours(24);
  ASSERT_TRUE(rq.InsertRequest(later).ok());
  ASSERT_TRUE(rq.InsertRequest(sooner).ok());
  EXPECT_EQ(rq.InsertRequest(sooner).code(), absl::StatusCode::kAlreadyExists);
  std::vector<RequestRow> all = rq.ListRequests().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "req_1");  // by due time
  EXPECT_EQ(all[1].sealed_state, later.sealed_state);
  EXPECT_EQ(all[1].secret_sha256, later.secret_sha256);
  EXPECT_EQ(all[1].trail, (std::vector<int64_t>{3}));
  later.status = "completed";
  later.subject_id = "sub_1";
  later.sealed_result = std::string("\x00result", 7);
  later.trail = {3, 4, 9};
  ASSERT_TRUE(rq.UpdateRequest(later).ok());
  std::optional<RequestRow> got = rq.GetRequest("req_2").value();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, "completed");
  EXPECT_EQ(got->subject_id, "sub_1");
  EXPECT_EQ(got->sealed_result, later.sealed_result);
  EXPECT_EQ(got->trail, (std::vector<int64_t>{3, 4, 9}));
  EXPECT_FALSE(rq.GetRequest("req_none").value().has_value());
  RequestRow unknown = later;
  unknown.id = "req_none";
  EXPECT_EQ(rq.UpdateRequest(unknown).code(), absl::StatusCode::kNotFound);

  ComplaintRow c{"cmp_1",      "received", "mobile",
                 "marketing",  t,          t + absl::Hours(48),
                 std::nullopt, "",         std::string("\x00sealed", 7),
                 {5},          t};
  ASSERT_TRUE(rq.InsertComplaint(c).ok());
  EXPECT_EQ(rq.InsertComplaint(c).code(), absl::StatusCode::kAlreadyExists);
  c.status = "responded";
  c.first_response_at = t + absl::Hours(1);
  c.trail.push_back(6);
  ASSERT_TRUE(rq.UpdateComplaint(c).ok());
  std::optional<ComplaintRow> back = rq.GetComplaint("cmp_1").value();
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->first_response_at, t + absl::Hours(1));
  EXPECT_EQ(back->trail, (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(rq.ListComplaints().value().size(), 1u);
  ComplaintRow none = c;
  none.id = "cmp_none";
  EXPECT_EQ(rq.UpdateComplaint(none).code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, PolicyVersions) {
  RecordStore& rs = store_->records();
  PolicyVersionRow v2{2, absl::FromUnixSeconds(1'700'000'500), "def", "[policy]\nx=1", "admin:x"};
  ASSERT_TRUE(rs.InsertPolicyVersion(v2).ok());
  EXPECT_EQ(rs.InsertPolicyVersion(v2).code(), absl::StatusCode::kAlreadyExists);
  auto latest = rs.LatestPolicyVersion();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->version, 2);
  EXPECT_EQ((*latest)->source, "[policy]\nx=1");
  EXPECT_EQ(rs.GetPolicyVersion(1).value()->source_sha256, "abc");
  EXPECT_FALSE(rs.GetPolicyVersion(3).value().has_value());
  EXPECT_GE(rs.SchemaVersion().value(), 1);
}

TEST_P(StoreConformanceTest, TransactionsCommitAndRollBack) {
  RecordStore& rs = store_->records();
  {
    auto tx = rs.BeginTransaction();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(rs.InsertSubject({"sub_rolled_back", absl::Now(), 1}).ok());
  }  // dropped without Commit
  EXPECT_FALSE(rs.GetSubject("sub_rolled_back")->has_value());
  {
    auto tx = rs.BeginTransaction();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(rs.InsertSubject({"sub_kept", absl::Now(), 1}).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_TRUE(rs.GetSubject("sub_kept")->has_value());
}

TEST_P(StoreConformanceTest, AReaderSeesOnlyCommittedRowsOfTheCategoriesAsked) {
  RecordStore& rs = store_->records();
  ASSERT_TRUE(rs.InsertSubject({"sub_1", absl::Now(), 1}).ok());
  RecordRow email = Record("rec_e", "sub_1");
  email.category = "pd:EmailAddress";
  ASSERT_TRUE(rs.InsertRecord(Record("rec_n1", "sub_1")).ok());
  ASSERT_TRUE(rs.InsertRecord(email).ok());
  ASSERT_TRUE(rs.InsertRecord(Record("rec_n2", "sub_1")).ok());
  ASSERT_TRUE(store_->keys().PutSubjectKey("sub_1", "wrapped").ok());

  absl::StatusOr<std::unique_ptr<StoreReader>> opened = store_->OpenReader();
  ASSERT_TRUE(opened.ok()) << opened.status();
  StoreReader& reader = **opened;
  EXPECT_TRUE(reader.SubjectExists("sub_1").value());
  EXPECT_FALSE(reader.SubjectExists("sub_2").value());
  const std::vector<std::string> name = {"pd:Name"};
  std::vector<RecordRow> rows = reader.ListRecords("sub_1", name).value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, "rec_n1");
  EXPECT_EQ(rows[1].id, "rec_n2");
  EXPECT_EQ(rows[0].sealed_value, std::string("\x00\x01sealed", 8));
  const std::vector<std::string> both = {"pd:EmailAddress", "pd:Name"};
  rows = reader.ListRecords("sub_1", both).value();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].id, "rec_e");  // category by category
  EXPECT_TRUE(reader.ListRecords("sub_2", name).value().empty());
  EXPECT_EQ(reader.keys().GetSubjectKey("sub_1").value(), "wrapped");

  // Uncommitted rows stay invisible to the reader.
  {
    auto tx = rs.BeginTransaction();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(rs.InsertRecord(Record("rec_n3", "sub_1")).ok());
    EXPECT_EQ(reader.ListRecords("sub_1", name).value().size(), 2u);
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_EQ(reader.ListRecords("sub_1", name).value().size(), 3u);

  // A reader never writes.
  EXPECT_EQ(reader.keys().PutSubjectKey("sub_9", "w").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader.keys().DestroySubjectKeys("sub_1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader.keys().BeginTransaction().status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->keys().GetSubjectKey("sub_1").value().has_value());
}

// Entries of the test ledger: seq n holds "entry n", a 32-byte leaf with a
// zero byte in it, and nodes only for odd seq.
std::vector<LedgerEntryRow> LedgerRows(int64_t first, int64_t end) {
  std::vector<LedgerEntryRow> rows;
  for (int64_t seq = first; seq < end; ++seq) {
    std::string leaf(32, static_cast<char>('a' + seq % 26));
    leaf[7] = '\0';
    rows.push_back({seq, fmt::format("entry {}", seq), leaf,
                    seq % 2 == 1 ? std::string(32, '\x01') : std::string()});
  }
  return rows;
}

TEST_P(StoreConformanceTest, AReaderScansTheCommittedLedger) {
  LedgerStore& ledger = store_->ledger();
  ASSERT_TRUE(ledger.AppendEntries(LedgerRows(0, 5)).ok());
  absl::StatusOr<std::unique_ptr<StoreReader>> opened = store_->OpenReader();
  ASSERT_TRUE(opened.ok()) << opened.status();
  StoreReader& reader = **opened;
  std::vector<LedgerEntryRow> seen;
  auto scan = [&](int64_t first, int64_t end) {
    seen.clear();
    absl::Status scanned = reader.ScanLedgerEntries(first, end, [&](const LedgerEntryRow& row) {
      seen.push_back(row);
      return absl::OkStatus();
    });
    EXPECT_TRUE(scanned.ok()) << scanned;
  };
  scan(1, 3);
  ASSERT_EQ(seen.size(), 2u);
  const std::vector<LedgerEntryRow> expected = LedgerRows(1, 3);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].seq, expected[i].seq);
    EXPECT_EQ(seen[i].entry, expected[i].entry);
    EXPECT_EQ(seen[i].leaf_hash, expected[i].leaf_hash);  // bytes, the zero one included
    EXPECT_EQ(seen[i].nodes, expected[i].nodes);
  }
  scan(3, std::numeric_limits<int64_t>::max());  // stops at the end
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen.back().seq, 4);
  scan(5, 100);
  EXPECT_TRUE(seen.empty());

  // Entries committed after the reader opened are seen; uncommitted ones
  // are not.
  ASSERT_TRUE(ledger.AppendEntries(LedgerRows(5, 6)).ok());
  {
    auto tx = store_->records().BeginTransaction();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(ledger.AppendEntries(LedgerRows(6, 7)).ok());
    scan(5, 100);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].seq, 5);
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  scan(5, 100);
  EXPECT_EQ(seen.size(), 2u);

  // The visitor's error ends the scan and is returned.
  int visited = 0;
  absl::Status stopped = reader.ScanLedgerEntries(0, 100, [&](const LedgerEntryRow&) {
    ++visited;
    return absl::InternalError("enough");
  });
  EXPECT_EQ(stopped.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(visited, 1);
}

TEST_P(StoreConformanceTest, DeferredSyncCommitsAndSyncsOnRequest) {
  RecordStore& rs = store_->records();
  EXPECT_TRUE(rs.SyncCommitted().ok());  // nothing deferred: nothing to do
  ASSERT_TRUE(rs.DeferSync().ok());
  {
    auto tx = rs.BeginTransaction();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(rs.InsertSubject({"sub_1", absl::Now(), 1}).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_TRUE(rs.GetSubject("sub_1")->has_value());
  EXPECT_TRUE(rs.SyncCommitted().ok());
  EXPECT_TRUE(rs.SyncCommitted().ok());
  ASSERT_TRUE(rs.DeferSync(false).ok());
  ASSERT_TRUE(rs.InsertSubject({"sub_2", absl::Now(), 1}).ok());
  EXPECT_TRUE(rs.GetSubject("sub_2")->has_value());
}

TEST_P(StoreConformanceTest, KeysAreCreatedOnceAndDestroyed) {
  KeyStore& ks = store_->keys();
  ASSERT_TRUE(ks.PutSubjectKey("sub_1", "wrapped-s1").ok());
  EXPECT_EQ(ks.PutSubjectKey("sub_1", "other").code(), absl::StatusCode::kAlreadyExists);
  DataKeyId name{"sub_1", "pd:Name", "open"};
  DataKeyId cdr{"sub_1", "pd:CallLog", "2026-04"};
  ASSERT_TRUE(ks.PutDataKey(name, "wrapped-d1").ok());
  ASSERT_TRUE(ks.PutDataKey(cdr, "wrapped-d2").ok());
  EXPECT_EQ(ks.GetSubjectKey("sub_1").value().value(), "wrapped-s1");
  EXPECT_EQ(ks.GetDataKey(name).value().value(), "wrapped-d1");
  EXPECT_FALSE(ks.GetDataKey({"sub_1", "pd:Name", "2026-04"}).value().has_value());
  ASSERT_TRUE(ks.PutDataKey({"sub_0", "pd:CallLog", "2026-04"}, "wrapped-d0").ok());
  ASSERT_TRUE(ks.PutDataKey({"sub_0", "pd:CallLog", "2026-05"}, "wrapped-d3").ok());
  EXPECT_EQ(ks.ListDataKeySubjects("pd:CallLog", "2026-04").value(),
            (std::vector<std::string>{"sub_0", "sub_1"}));
  EXPECT_TRUE(ks.ListDataKeySubjects("pd:Name", "2026-04").value().empty());

  EXPECT_EQ(ks.DestroyDataKey(cdr).value(), 1);
  EXPECT_FALSE(ks.GetDataKey(cdr).value().has_value());
  EXPECT_EQ(ks.DestroyDataKey(cdr).value(), 0);
  EXPECT_EQ(ks.DestroySubjectKeys("sub_1").value(), 2);
  EXPECT_FALSE(ks.GetSubjectKey("sub_1").value().has_value());
  EXPECT_FALSE(ks.GetDataKey(name).value().has_value());
  EXPECT_TRUE(ks.Checkpoint().ok());
}

TEST_P(StoreConformanceTest, OperatorKeys) {
  KeyStore& ks = store_->keys();
  ASSERT_TRUE(ks.PutOperatorKey("blind_index", "w1").ok());
  EXPECT_EQ(ks.PutOperatorKey("blind_index", "w2").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ks.GetOperatorKey("blind_index").value().value(), "w1");
  EXPECT_FALSE(ks.GetOperatorKey("signing").value().has_value());
}

TEST_P(StoreConformanceTest, KeyTransactionRollsBack) {
  KeyStore& ks = store_->keys();
  {
    auto tx = ks.BeginTransaction();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(ks.PutSubjectKey("sub_x", "w").ok());
  }
  EXPECT_FALSE(ks.GetSubjectKey("sub_x").value().has_value());
}

// --- Facts ---

// Compared field by field: the rows have no operator==.
auto Fields(const ActorRow& r) { return std::tie(r.id, r.roles, r.created_at, r.created_by); }
auto Fields(const TrainingRow& r) {
  return std::tie(r.actor_id, r.course, r.completed_at, r.recorded_at, r.recorded_by);
}
auto Fields(const ConsentRow& r) {
  return std::tie(r.id, r.subject_id, r.purpose, r.recipient, r.given_at, r.channel, r.evidence,
                  r.explicit_for_location, r.cross_border_informed, r.policy_version, r.recorded_by,
                  r.withdrawn_at, r.withdrawal_channel);
}
auto Fields(const StopOrderRow& r) {
  return std::tie(r.id, r.subject_id, r.kind, r.purpose, r.recipient, r.created_at, r.request_id,
                  r.lifted_at);
}

// The ids of actor, consent or stop order rows, in order.
template <typename Row>
std::vector<std::string> Ids(const std::vector<Row>& rows) {
  std::vector<std::string> ids;
  for (const Row& r : rows) ids.push_back(r.id);
  return ids;
}
std::vector<std::string> Courses(const std::vector<TrainingRow>& rows) {
  std::vector<std::string> courses;
  for (const TrainingRow& r : rows) courses.push_back(r.actor_id + "/" + r.course);
  return courses;
}

// Times with microseconds, the precision engines keep.
absl::Time At(int64_t seconds) {
  return absl::FromUnixMicros((1'700'000'000 + seconds) * 1'000'000 + 123'456);
}

// Consent evidence may quote the person; no error may repeat it.
constexpr char kEvidence[] = "Yamada Taro said: yes, use my location";

// The facts need data subjects to refer to: sub_1 and sub_2 exist.
class FactStoreConformanceTest : public StoreConformanceTest {
 protected:
  void SetUp() override {
    StoreConformanceTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(store_->records().InsertSubject({"sub_1", At(0), 1}).ok());
    ASSERT_TRUE(store_->records().InsertSubject({"sub_2", At(0), 1}).ok());
  }

  static ActorRow Actor(std::string id, std::vector<std::string> roles) {
    return ActorRow{std::move(id), std::move(roles), At(1), "admin:root"};
  }

  static ConsentRow Consent(std::string id, std::string subject, absl::Time given_at) {
    ConsentRow c;
    c.id = std::move(id);
    c.subject_id = std::move(subject);
    c.purpose = "dpv:Marketing";
    c.given_at = given_at;
    c.channel = "web";
    c.evidence = kEvidence;
    c.policy_version = 1;
    c.recorded_by = "emp:tanaka";
    return c;
  }

  static StopOrderRow StopOrder(std::string id, std::string subject, absl::Time created_at) {
    StopOrderRow o;
    o.id = std::move(id);
    o.subject_id = std::move(subject);
    o.kind = "use";
    o.created_at = created_at;
    return o;
  }
};

TEST_P(FactStoreConformanceTest, ActorsRoundTripSortedById) {
  FactStore& facts = store_->facts();
  ActorRow b = Actor("emp:b", {"role:clerk", "role:auditor"});
  ActorRow a = Actor("emp:a", {"role:clerk"});
  ActorRow none = Actor("sys:c", {});
  ASSERT_TRUE(facts.InsertActor(b).ok());
  ASSERT_TRUE(facts.InsertActor(none).ok());
  ASSERT_TRUE(facts.InsertActor(a).ok());

  auto got = facts.GetActor("emp:b");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(Fields(**got), Fields(b));
  EXPECT_EQ(Fields(facts.GetActor("sys:c").value().value()), Fields(none));
  EXPECT_FALSE(facts.GetActor("emp:missing").value().has_value());
  EXPECT_FALSE(facts.GetActor("").value().has_value());

  auto list = facts.ListActors();
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(Ids(*list), (std::vector<std::string>{"emp:a", "emp:b", "sys:c"}));
  EXPECT_EQ(Fields((*list)[0]), Fields(a));
}

TEST_P(FactStoreConformanceTest, DuplicateActorIsAlreadyExistsAndKeepsTheFirst) {
  FactStore& facts = store_->facts();
  ASSERT_TRUE(facts.InsertActor(Actor("emp:a", {"role:clerk"})).ok());
  EXPECT_EQ(facts.InsertActor(Actor("emp:a", {"role:admin"})).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(facts.GetActor("emp:a").value()->roles, (std::vector<std::string>{"role:clerk"}));
  EXPECT_EQ(facts.ListActors().value().size(), 1u);
}

TEST_P(FactStoreConformanceTest, ActorRolesReadBackUnchangedOrAreRefused) {
  // An engine may not be able to store every role list (SQLite joins them
  // with commas); it must refuse, not alter, what it cannot keep.
  FactStore& facts = store_->facts();
  const std::vector<std::vector<std::string>> odd = {{"a,b"}, {""}, {"x", ""}};
  for (size_t i = 0; i < odd.size(); ++i) {
    ActorRow actor = Actor("emp:" + std::to_string(i), odd[i]);
    absl::Status s = facts.InsertActor(actor);
    if (s.ok()) {
      EXPECT_EQ(facts.GetActor(actor.id).value().value().roles, odd[i]) << i;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << i;
      EXPECT_FALSE(facts.GetActor(actor.id).value().has_value()) << i;
    }
  }
}

TEST_P(FactStoreConformanceTest, TrainingsOldestCompletionFirst) {
  FactStore& facts = store_->facts();
  ASSERT_TRUE(facts.InsertActor(Actor("emp:a", {})).ok());
  ASSERT_TRUE(facts.InsertActor(Actor("emp:b", {})).ok());
  TrainingRow a_late{"emp:a", "privacy-2", At(300), At(301), "admin:root"};
  TrainingRow b_mid{"emp:b", "privacy-1", At(200), At(201), "admin:root"};
  TrainingRow a_early{"emp:a", "privacy-1", At(100), At(400), "admin:hr"};
  ASSERT_TRUE(facts.InsertTraining(a_late).ok());
  ASSERT_TRUE(facts.InsertTraining(b_mid).ok());
  ASSERT_TRUE(facts.InsertTraining(a_early).ok());

  auto a = facts.ListTrainings("emp:a");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ(Fields((*a)[0]), Fields(a_early));
  EXPECT_EQ(Fields((*a)[1]), Fields(a_late));

  auto all = facts.ListTrainings("");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(Courses(*all),
            (std::vector<std::string>{"emp:a/privacy-1", "emp:b/privacy-1", "emp:a/privacy-2"}));
  EXPECT_TRUE(facts.ListTrainings("emp:nobody").value().empty());
}

TEST_P(FactStoreConformanceTest, TrainingForUnknownActorIsNotFound) {
  FactStore& facts = store_->facts();
  TrainingRow t{"emp:missing", "privacy-1", At(1), At(2), "admin:root"};
  EXPECT_EQ(facts.InsertTraining(t).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(facts.ListTrainings("").value().empty());
}

TEST_P(FactStoreConformanceTest, ConsentsRoundTripWithOptionalFieldsSetAndUnset) {
  FactStore& facts = store_->facts();
  ConsentRow bare = Consent("con_bare", "sub_1", At(10));
  ConsentRow full = Consent("con_full", "sub_1", At(20));
  full.purpose = "dpv:ThirdPartySharing";
  full.recipient = "partner:acme";
  full.channel = "call_center";
  full.explicit_for_location = true;
  full.cross_border_informed = true;
  full.withdrawn_at = At(30);
  full.withdrawal_channel = "paper";
  ConsentRow empty_recipient = Consent("con_empty", "sub_2", At(40));
  empty_recipient.recipient = "";  // set but empty is not the same as unset
  ASSERT_TRUE(facts.InsertConsent(bare).ok());
  ASSERT_TRUE(facts.InsertConsent(full).ok());
  ASSERT_TRUE(facts.InsertConsent(empty_recipient).ok());

  auto got = facts.GetConsent("con_bare");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(Fields(**got), Fields(bare));
  EXPECT_FALSE((*got)->recipient.has_value());
  EXPECT_FALSE((*got)->withdrawn_at.has_value());
  EXPECT_EQ(Fields(facts.GetConsent("con_full").value().value()), Fields(full));
  EXPECT_EQ(facts.GetConsent("con_empty").value().value().recipient,
            std::optional<std::string>(""));
  EXPECT_FALSE(facts.GetConsent("con_missing").value().has_value());
}

TEST_P(FactStoreConformanceTest, ConsentErrorsNameNoPersonalValue) {
  FactStore& facts = store_->facts();
  ASSERT_TRUE(facts.InsertConsent(Consent("con_1", "sub_1", At(10))).ok());
  absl::Status duplicate = facts.InsertConsent(Consent("con_1", "sub_2", At(11)));
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists);
  absl::Status orphan = facts.InsertConsent(Consent("con_2", "sub_missing", At(12)));
  EXPECT_EQ(orphan.code(), absl::StatusCode::kNotFound);
  for (const absl::Status& s : {duplicate, orphan}) {
    EXPECT_EQ(std::string(s.message()).find("Yamada"), std::string::npos) << s;
  }
  EXPECT_EQ(facts.GetConsent("con_1").value()->subject_id, "sub_1");
  EXPECT_FALSE(facts.GetConsent("con_2").value().has_value());
}

TEST_P(FactStoreConformanceTest, ConsentsListedInTheOrderGiven) {
  FactStore& facts = store_->facts();
  ASSERT_TRUE(facts.InsertConsent(Consent("con_c", "sub_1", At(30))).ok());
  ASSERT_TRUE(facts.InsertConsent(Consent("con_a", "sub_2", At(10))).ok());
  ASSERT_TRUE(facts.InsertConsent(Consent("con_b", "sub_1", At(20))).ok());
  ASSERT_TRUE(facts.InsertConsent(Consent("con_d", "sub_1", At(40))).ok());
  ASSERT_TRUE(facts.WithdrawConsent("con_b", At(50), "web").ok());

  auto sub1 = facts.ListConsents("sub_1");
  ASSERT_TRUE(sub1.ok()) << sub1.status();
  EXPECT_EQ(Ids(*sub1), (std::vector<std::string>{"con_b", "con_c", "con_d"}));
  EXPECT_TRUE((*sub1)[0].withdrawn_at.has_value());  // withdrawn ones are listed too
  EXPECT_EQ(Fields((*sub1)[1]), Fields(Consent("con_c", "sub_1", At(30))));
  EXPECT_EQ(Ids(facts.ListConsents("").value()),
            (std::vector<std::string>{"con_a", "con_b", "con_c", "con_d"}));
  EXPECT_TRUE(facts.ListConsents("sub_missing").value().empty());
}

TEST_P(FactStoreConformanceTest, WithdrawConsentOnceOnly) {
  FactStore& facts = store_->facts();
  ASSERT_TRUE(facts.InsertConsent(Consent("con_1", "sub_1", At(10))).ok());
  ASSERT_TRUE(facts.InsertConsent(Consent("con_2", "sub_1", At(11))).ok());
  ASSERT_TRUE(facts.WithdrawConsent("con_1", At(20), "call_center").ok());
  auto got = facts.GetConsent("con_1").value().value();
  EXPECT_EQ(got.withdrawn_at, At(20));
  EXPECT_EQ(got.withdrawal_channel, "call_center");
  EXPECT_EQ(got.evidence, kEvidence);
  EXPECT_FALSE(facts.GetConsent("con_2").value()->withdrawn_at.has_value());

  absl::Status again = facts.WithdrawConsent("con_1", At(30), "web");
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(again.message()).find("Yamada"), std::string::npos) << again;
  got = facts.GetConsent("con_1").value().value();
  EXPECT_EQ(got.withdrawn_at, At(20));  // the first withdrawal stands
  EXPECT_EQ(got.withdrawal_channel, "call_center");

  EXPECT_EQ(facts.WithdrawConsent("con_missing", At(30), "web").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(facts.WithdrawConsent("", At(30), "web").code(), absl::StatusCode::kNotFound);
}

TEST_P(FactStoreConformanceTest, ConsentRecordedAsWithdrawnCannotBeWithdrawnAgain) {
  FactStore& facts = store_->facts();
  ConsentRow c = Consent("con_1", "sub_1", At(10));
  c.withdrawn_at = At(11);
  c.withdrawal_channel = "paper";
  ASSERT_TRUE(facts.InsertConsent(c).ok());
  EXPECT_EQ(facts.WithdrawConsent("con_1", At(20), "web").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(FactStoreConformanceTest, StopOrdersRoundTripWithOptionalFieldsSetAndUnset) {
  FactStore& facts = store_->facts();
  StopOrderRow every = StopOrder("stp_every", "sub_1", At(10));
  StopOrderRow one = StopOrder("stp_one", "sub_1", At(20));
  one.kind = "provision";
  one.purpose = "dpv:Marketing";
  one.recipient = "partner:acme";
  one.request_id = "req_1";
  one.lifted_at = At(25);
  ASSERT_TRUE(facts.InsertStopOrder(every).ok());
  ASSERT_TRUE(facts.InsertStopOrder(one).ok());

  auto list = facts.ListStopOrders("sub_1");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(Fields((*list)[0]), Fields(every));
  EXPECT_FALSE((*list)[0].purpose.has_value());
  EXPECT_FALSE((*list)[0].recipient.has_value());
  EXPECT_FALSE((*list)[0].lifted_at.has_value());
  EXPECT_EQ((*list)[0].request_id, "");
  EXPECT_EQ(Fields((*list)[1]), Fields(one));
}

TEST_P(FactStoreConformanceTest, StopOrderErrors) {
  FactStore& facts = store_->facts();
  ASSERT_TRUE(facts.InsertStopOrder(StopOrder("stp_1", "sub_1", At(10))).ok());
  EXPECT_EQ(facts.InsertStopOrder(StopOrder("stp_1", "sub_2", At(11))).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(facts.InsertStopOrder(StopOrder("stp_2", "sub_missing", At(12))).code(),
            absl::StatusCode::kNotFound);
  StopOrderRow bad_kind = StopOrder("stp_3", "sub_1", At(13));
  bad_kind.kind = "erase";
  EXPECT_FALSE(facts.InsertStopOrder(bad_kind).ok());
  EXPECT_EQ(Ids(facts.ListStopOrders("").value()), (std::vector<std::string>{"stp_1"}));
  EXPECT_EQ(facts.ListStopOrders("").value()[0].subject_id, "sub_1");
}

TEST_P(FactStoreConformanceTest, StopOrdersInCreationOrderLiftedIncluded) {
  FactStore& facts = store_->facts();
  ASSERT_TRUE(facts.InsertStopOrder(StopOrder("stp_c", "sub_1", At(30))).ok());
  ASSERT_TRUE(facts.InsertStopOrder(StopOrder("stp_a", "sub_2", At(10))).ok());
  ASSERT_TRUE(facts.InsertStopOrder(StopOrder("stp_b", "sub_1", At(20))).ok());
  ASSERT_TRUE(facts.LiftStopOrder("stp_b", At(40)).ok());

  auto sub1 = facts.ListStopOrders("sub_1");
  ASSERT_TRUE(sub1.ok()) << sub1.status();
  EXPECT_EQ(Ids(*sub1), (std::vector<std::string>{"stp_b", "stp_c"}));
  EXPECT_EQ((*sub1)[0].lifted_at, At(40));
  EXPECT_FALSE((*sub1)[1].lifted_at.has_value());
  EXPECT_EQ(Ids(facts.ListStopOrders("").value()),
            (std::vector<std::string>{"stp_a", "stp_b", "stp_c"}));
  EXPECT_TRUE(facts.ListStopOrders("sub_missing").value().empty());
}

TEST_P(FactStoreConformanceTest, LiftStopOrderOnceOnly) {
  FactStore& facts = store_->facts();
  ASSERT_TRUE(facts.InsertStopOrder(StopOrder("stp_1", "sub_1", At(10))).ok());
  ASSERT_TRUE(facts.InsertStopOrder(StopOrder("stp_2", "sub_1", At(11))).ok());
  ASSERT_TRUE(facts.LiftStopOrder("stp_1", At(20)).ok());
  EXPECT_EQ(facts.LiftStopOrder("stp_1", At(30)).code(), absl::StatusCode::kFailedPrecondition);
  auto list = facts.ListStopOrders("sub_1").value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].lifted_at, At(20));  // the first lifting stands
  EXPECT_FALSE(list[1].lifted_at.has_value());
  EXPECT_EQ(facts.LiftStopOrder("stp_missing", At(30)).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(facts.LiftStopOrder("", At(30)).code(), absl::StatusCode::kNotFound);
}

TEST_P(FactStoreConformanceTest, FactsCommitAndRollBackWithTheRecordsTransaction) {
  FactStore& facts = store_->facts();
  {
    auto tx = store_->records().BeginTransaction();
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(facts.InsertActor(Actor("emp:dropped", {})).ok());
    ASSERT_TRUE(facts.InsertConsent(Consent("con_dropped", "sub_1", At(1))).ok());
  }
  EXPECT_FALSE(facts.GetActor("emp:dropped").value().has_value());
  EXPECT_FALSE(facts.GetConsent("con_dropped").value().has_value());
  {
    auto tx = store_->records().BeginTransaction();
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(facts.InsertActor(Actor("emp:kept", {})).ok());
    ASSERT_TRUE(facts.InsertStopOrder(StopOrder("stp_kept", "sub_1", At(1))).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_TRUE(facts.GetActor("emp:kept").value().has_value());
  EXPECT_EQ(Ids(facts.ListStopOrders("sub_1").value()), (std::vector<std::string>{"stp_kept"}));
}

TEST_P(FactStoreConformanceTest, NestedTransactionRollsBackOnlyItsOwnChanges) {
  RecordStore& rs = store_->records();
  FactStore& facts = store_->facts();
  {
    auto outer = rs.BeginTransaction();
    ASSERT_TRUE(outer.ok()) << outer.status();
    ASSERT_TRUE(facts.InsertActor(Actor("emp:a", {})).ok());
    {
      auto inner = rs.BeginTransaction();
      ASSERT_TRUE(inner.ok()) << inner.status();
      ASSERT_TRUE(facts.InsertActor(Actor("emp:b", {})).ok());
    }  // the inner one is dropped without Commit
    EXPECT_TRUE(facts.GetActor("emp:a").value().has_value());
    EXPECT_FALSE(facts.GetActor("emp:b").value().has_value());
    ASSERT_TRUE((*outer)->Commit().ok());
  }
  EXPECT_TRUE(facts.GetActor("emp:a").value().has_value());
  EXPECT_FALSE(facts.GetActor("emp:b").value().has_value());

  {
    auto outer = rs.BeginTransaction();
    ASSERT_TRUE(outer.ok()) << outer.status();
    ASSERT_TRUE(facts.InsertActor(Actor("emp:c", {})).ok());
    {
      auto inner = rs.BeginTransaction();
      ASSERT_TRUE(inner.ok()) << inner.status();
      ASSERT_TRUE(facts.InsertActor(Actor("emp:d", {})).ok());
      ASSERT_TRUE((*inner)->Commit().ok());
    }
    EXPECT_TRUE(facts.GetActor("emp:d").value().has_value());
  }  // the outer one is dropped without Commit
  EXPECT_FALSE(facts.GetActor("emp:c").value().has_value());
  EXPECT_FALSE(facts.GetActor("emp:d").value().has_value());
  EXPECT_EQ(Ids(facts.ListActors().value()), (std::vector<std::string>{"emp:a"}));

  // The store is usable afterwards: a new outer transaction begins and commits.
  auto tx = rs.BeginTransaction();
  ASSERT_TRUE(tx.ok()) << tx.status();
  ASSERT_TRUE(facts.InsertActor(Actor("emp:e", {})).ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_TRUE(facts.GetActor("emp:e").value().has_value());
}

// --- Retention ---

auto Fields(const LegalHoldRow& r) {
  return std::tie(r.id, r.subject_id, r.category, r.basis, r.until, r.created_at, r.created_by,
                  r.released_at);
}
auto Fields(const ContractEndRow& r) {
  return std::tie(r.subject_id, r.service, r.ended_at, r.recorded_at, r.recorded_by);
}
auto Fields(const LastUseRow& r) { return std::tie(r.subject_id, r.purpose, r.used_at); }
auto Fields(const RecordRow& r) {
  return std::tie(r.id, r.subject_id, r.category, r.service, r.purposes, r.policy_version,
                  r.key_bucket, r.collected_at, r.sealed_value);
}
// A record's terms as a scan should report them (all but the position).
auto TermsOf(const RecordRow& r) {
  return std::tie(r.id, r.subject_id, r.category, r.service, r.purposes, r.key_bucket,
                  r.collected_at);
}
auto TermsOf(const RecordTermsRow& r) {
  return std::tie(r.id, r.subject_id, r.category, r.service, r.purposes, r.key_bucket,
                  r.collected_at);
}

std::vector<std::string> ContractKeys(const std::vector<ContractEndRow>& rows) {
  std::vector<std::string> keys;
  for (const ContractEndRow& r : rows) keys.push_back(r.subject_id + "/" + r.service);
  return keys;
}

// Retention needs data subjects and records to refer to: sub_1 and sub_2
// exist (FactStoreConformanceTest).
class RetentionStoreConformanceTest : public FactStoreConformanceTest {
 protected:
  static LegalHoldRow Hold(std::string id, std::string subject, absl::Time created_at) {
    LegalHoldRow h;
    h.id = std::move(id);
    h.subject_id = std::move(subject);
    h.basis = "Companies Act art. 432";
    h.until = At(100'000);
    h.created_at = created_at;
    h.created_by = "emp:legal";
    return h;
  }

  // A record under the data key (subject, category, bucket), with a value
  // and collection time of its own.
  RecordRow KeyRecord(std::string id, std::string subject, std::string category, std::string bucket,
                      int64_t collected) {
    RecordRow r = Record(id, std::move(subject));
    r.category = std::move(category);
    r.key_bucket = std::move(bucket);
    r.collected_at = At(collected);
    r.sealed_value = std::string("\x00sealed-", 8) + id;
    return r;
  }

  static DeidentifiedRow Deidentified(std::string id) {
    return DeidentifiedRow{
        std::move(id), "pd:CallLog", "mobile", "2026-04", std::string("\x00\xffremainder", 11),
        At(7)};
  }
};

TEST_P(RetentionStoreConformanceTest, HoldsRoundTripWithOptionalFieldsSetAndUnset) {
  RetentionStore& retention = store_->retention();
  LegalHoldRow every = Hold("hld_every", "sub_1", At(10));
  LegalHoldRow one = Hold("hld_one", "sub_2", At(20));
  one.category = "pd:CallLog";
  one.released_at = At(30);
  ASSERT_TRUE(retention.InsertHold(every).ok());
  ASSERT_TRUE(retention.InsertHold(one).ok());

  auto got = retention.GetHold("hld_every");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(Fields(**got), Fields(every));
  EXPECT_FALSE((*got)->category.has_value());
  EXPECT_FALSE((*got)->released_at.has_value());
  EXPECT_EQ(Fields(retention.GetHold("hld_one").value().value()), Fields(one));
  EXPECT_FALSE(retention.GetHold("hld_missing").value().has_value());
  EXPECT_FALSE(retention.GetHold("").value().has_value());
}

TEST_P(RetentionStoreConformanceTest, HoldErrorsKeepTheFirst) {
  RetentionStore& retention = store_->retention();
  ASSERT_TRUE(retention.InsertHold(Hold("hld_1", "sub_1", At(10))).ok());
  EXPECT_EQ(retention.InsertHold(Hold("hld_1", "sub_2", At(11))).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(retention.InsertHold(Hold("hld_2", "sub_missing", At(12))).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(retention.GetHold("hld_1").value()->subject_id, "sub_1");
  EXPECT_FALSE(retention.GetHold("hld_2").value().has_value());
  EXPECT_EQ(Ids(retention.ListHolds("").value()), (std::vector<std::string>{"hld_1"}));
}

TEST_P(RetentionStoreConformanceTest, ReleaseHoldOnceOnly) {
  RetentionStore& retention = store_->retention();
  ASSERT_TRUE(retention.InsertHold(Hold("hld_1", "sub_1", At(10))).ok());
  ASSERT_TRUE(retention.InsertHold(Hold("hld_2", "sub_1", At(11))).ok());
  LegalHoldRow released = Hold("hld_3", "sub_1", At(12));
  released.released_at = At(13);
  ASSERT_TRUE(retention.InsertHold(released).ok());

  ASSERT_TRUE(retention.ReleaseHold("hld_1", At(20)).ok());
  EXPECT_EQ(retention.GetHold("hld_1").value()->released_at, At(20));
  EXPECT_FALSE(retention.GetHold("hld_2").value()->released_at.has_value());

  EXPECT_EQ(retention.ReleaseHold("hld_1", At(30)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(retention.GetHold("hld_1").value()->released_at, At(20));  // the first stands
  EXPECT_EQ(retention.ReleaseHold("hld_3", At(30)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(retention.GetHold("hld_3").value()->released_at, At(13));
  EXPECT_EQ(retention.ReleaseHold("hld_missing", At(30)).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(retention.ReleaseHold("", At(30)).code(), absl::StatusCode::kNotFound);
}

TEST_P(RetentionStoreConformanceTest, HoldsInCreationOrderReleasedIncluded) {
  RetentionStore& retention = store_->retention();
  ASSERT_TRUE(retention.InsertHold(Hold("hld_c", "sub_1", At(30))).ok());
  ASSERT_TRUE(retention.InsertHold(Hold("hld_a", "sub_2", At(10))).ok());
  ASSERT_TRUE(retention.InsertHold(Hold("hld_b", "sub_1", At(20))).ok());
  ASSERT_TRUE(retention.ReleaseHold("hld_b", At(40)).ok());

  auto sub1 = retention.ListHolds("sub_1");
  ASSERT_TRUE(sub1.ok()) << sub1.status();
  EXPECT_EQ(Ids(*sub1), (std::vector<std::string>{"hld_b", "hld_c"}));
  EXPECT_EQ((*sub1)[0].released_at, At(40));
  EXPECT_EQ(Fields((*sub1)[1]), Fields(Hold("hld_c", "sub_1", At(30))));
  EXPECT_EQ(Ids(retention.ListHolds("").value()),
            (std::vector<std::string>{"hld_a", "hld_b", "hld_c"}));
  EXPECT_TRUE(retention.ListHolds("sub_missing").value().empty());
}

TEST_P(RetentionStoreConformanceTest, ContractEndsAreCorrectedInPlace) {
  RetentionStore& retention = store_->retention();
  ContractEndRow mobile{"sub_1", "mobile", At(100), At(101), "emp:tanaka"};
  ASSERT_TRUE(retention.PutContractEnd(mobile).ok());
  ASSERT_EQ(retention.ListContractEnds("sub_1").value().size(), 1u);
  EXPECT_EQ(Fields(retention.ListContractEnds("sub_1").value()[0]), Fields(mobile));

  ContractEndRow corrected{"sub_1", "mobile", At(90), At(200), "emp:suzuki"};
  ASSERT_TRUE(retention.PutContractEnd(corrected).ok());
  auto list = retention.ListContractEnds("sub_1");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);  // replaced, not added
  EXPECT_EQ(Fields((*list)[0]), Fields(corrected));

  EXPECT_EQ(retention.PutContractEnd({"sub_missing", "mobile", At(1), At(2), "emp:tanaka"}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(retention.ListContractEnds("").value().size(), 1u);
}

TEST_P(RetentionStoreConformanceTest, ContractEndsBySubjectThenService) {
  RetentionStore& retention = store_->retention();
  ASSERT_TRUE(retention.PutContractEnd({"sub_2", "mobile", At(1), At(2), "emp:a"}).ok());
  ASSERT_TRUE(retention.PutContractEnd({"sub_1", "mobile", At(3), At(4), "emp:a"}).ok());
  ASSERT_TRUE(retention.PutContractEnd({"sub_1", "", At(5), At(6), "emp:a"}).ok());
  ASSERT_TRUE(retention.PutContractEnd({"sub_1", "fixed", At(7), At(8), "emp:a"}).ok());

  auto sub1 = retention.ListContractEnds("sub_1");
  ASSERT_TRUE(sub1.ok()) << sub1.status();
  EXPECT_EQ(ContractKeys(*sub1),
            (std::vector<std::string>{"sub_1/", "sub_1/fixed", "sub_1/mobile"}));
  EXPECT_EQ((*sub1)[0].ended_at, At(5));
  EXPECT_EQ(ContractKeys(retention.ListContractEnds("").value()),
            (std::vector<std::string>{"sub_1/", "sub_1/fixed", "sub_1/mobile", "sub_2/mobile"}));
  EXPECT_TRUE(retention.ListContractEnds("sub_missing").value().empty());
}

TEST_P(RetentionStoreConformanceTest, LastUsesKeepTheLatestTime) {
  RetentionStore& retention = store_->retention();
  EXPECT_TRUE(retention.ListLastUses().value().empty());
  ASSERT_TRUE(retention.RecordLastUses({}).ok());
  const std::vector<LastUseRow> first = {
      {"sub_1", "dpv:A", At(10)}, {"sub_1", "dpv:B", At(20)}, {"sub_2", "dpv:A", At(5)}};
  ASSERT_TRUE(retention.RecordLastUses(first).ok());
  const std::vector<LastUseRow> second = {
      {"sub_1", "dpv:A", At(3)},   // older: does not move it back
      {"sub_1", "dpv:B", At(25)},  // newer: moves it forward
      {"sub_2", "dpv:A", At(40)},  // newer, then older in the same call
      {"sub_2", "dpv:A", At(35)}};
  ASSERT_TRUE(retention.RecordLastUses(second).ok());

  auto uses = retention.ListLastUses();
  ASSERT_TRUE(uses.ok()) << uses.status();
  std::sort(uses->begin(), uses->end(), [](const LastUseRow& a, const LastUseRow& b) {
    return std::tie(a.subject_id, a.purpose) < std::tie(b.subject_id, b.purpose);
  });
  ASSERT_EQ(uses->size(), 3u);
  EXPECT_EQ(Fields((*uses)[0]), Fields(LastUseRow{"sub_1", "dpv:A", At(10)}));
  EXPECT_EQ(Fields((*uses)[1]), Fields(LastUseRow{"sub_1", "dpv:B", At(25)}));
  EXPECT_EQ(Fields((*uses)[2]), Fields(LastUseRow{"sub_2", "dpv:A", At(40)}));
}

TEST_P(RetentionStoreConformanceTest, CursorsAreZeroUntilSetAndOverwritten) {
  RetentionStore& retention = store_->retention();
  EXPECT_EQ(retention.GetCursor("last_uses").value(), 0);
  ASSERT_TRUE(retention.SetCursor("last_uses", 42).ok());
  EXPECT_EQ(retention.GetCursor("last_uses").value(), 42);
  ASSERT_TRUE(retention.SetCursor("last_uses", 7).ok());  // set, not a maximum
  EXPECT_EQ(retention.GetCursor("last_uses").value(), 7);
  ASSERT_TRUE(retention.SetCursor("other", int64_t{1} << 40).ok());
  EXPECT_EQ(retention.GetCursor("other").value(), int64_t{1} << 40);
  EXPECT_EQ(retention.GetCursor("last_uses").value(), 7);
  EXPECT_EQ(retention.GetCursor("never").value(), 0);
  // Setting 0 forgets a cursor, set or not.
  ASSERT_TRUE(retention.SetCursor("last_uses", 0).ok());
  EXPECT_EQ(retention.GetCursor("last_uses").value(), 0);
  ASSERT_TRUE(retention.SetCursor("never", 0).ok());
  EXPECT_EQ(retention.GetCursor("never").value(), 0);
  ASSERT_TRUE(retention.SetCursor("last_uses", 3).ok());
  EXPECT_EQ(retention.GetCursor("last_uses").value(), 3);
  EXPECT_EQ(retention.GetCursor("other").value(), int64_t{1} << 40);
}

TEST_P(RetentionStoreConformanceTest, RecordsOfAKeyInInsertionOrderWithValues) {
  RecordStore& rs = store_->records();
  RetentionStore& retention = store_->retention();
  const RecordRow z = KeyRecord("rec_z", "sub_1", "pd:Name", "open", 1);
  const RecordRow a = KeyRecord("rec_a", "sub_1", "pd:Name", "open", 2);
  ASSERT_TRUE(rs.InsertRecord(z).ok());
  ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_b1", "sub_1", "pd:Name", "2026-04", 3)).ok());
  ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_c1", "sub_1", "pd:EmailAddress", "open", 4)).ok());
  ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_s2", "sub_2", "pd:Name", "open", 5)).ok());
  ASSERT_TRUE(rs.InsertRecord(a).ok());

  const DataKeyId key{"sub_1", "pd:Name", "open"};
  auto list = retention.ListRecordsOfKey(key);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(Fields((*list)[0]), Fields(z));
  EXPECT_EQ(Fields((*list)[1]), Fields(a));
  EXPECT_EQ(retention.CountRecordsOfKey(key).value(), 2);
  EXPECT_EQ(Ids(retention.ListRecordsOfKey({"sub_1", "pd:Name", "2026-04"}).value()),
            (std::vector<std::string>{"rec_b1"}));
  EXPECT_EQ(retention.CountRecordsOfKey({"sub_2", "pd:Name", "open"}).value(), 1);
  EXPECT_TRUE(retention.ListRecordsOfKey({"sub_1", "pd:Name", "2026-05"}).value().empty());
  EXPECT_EQ(retention.CountRecordsOfKey({"sub_missing", "pd:Name", "open"}).value(), 0);

  EXPECT_TRUE(retention.SubjectHasRecords("sub_1").value());
  EXPECT_TRUE(retention.SubjectHasRecords("sub_2").value());
  EXPECT_FALSE(retention.SubjectHasRecords("sub_missing").value());
}

TEST_P(RetentionStoreConformanceTest, DeleteRecordsCountsThoseThatExisted) {
  RecordStore& rs = store_->records();
  RetentionStore& retention = store_->retention();
  for (const char* id : {"rec_1", "rec_2", "rec_3", "rec_4"}) {
    ASSERT_TRUE(rs.InsertRecord(Record(id, "sub_1")).ok());
  }
  ASSERT_TRUE(rs.InsertRecord(Record("rec_5", "sub_2")).ok());

  const std::vector<std::string> some = {"rec_1", "rec_missing", "rec_3", "rec_5"};
  EXPECT_EQ(retention.DeleteRecords(some).value(), 3);
  EXPECT_FALSE(rs.GetRecord("rec_1").value().has_value());
  EXPECT_FALSE(rs.GetRecord("rec_3").value().has_value());
  EXPECT_FALSE(rs.GetRecord("rec_5").value().has_value());
  EXPECT_EQ(Ids(rs.ListRecords("sub_1").value()), (std::vector<std::string>{"rec_2", "rec_4"}));
  EXPECT_EQ(rs.CountRecords().value(), 2);
  EXPECT_TRUE(retention.SubjectHasRecords("sub_1").value());
  EXPECT_FALSE(retention.SubjectHasRecords("sub_2").value());
  EXPECT_EQ(retention.CountRecordsOfKey({"sub_1", "pd:Name", "open"}).value(), 2);

  EXPECT_EQ(retention.DeleteRecords(some).value(), 0);  // already gone
  EXPECT_EQ(retention.DeleteRecords({}).value(), 0);
  const std::vector<std::string> twice = {"rec_2", "rec_2"};
  EXPECT_EQ(retention.DeleteRecords(twice).value(), 1);
  EXPECT_EQ(Ids(rs.ListRecords("sub_1").value()), (std::vector<std::string>{"rec_4"}));
  EXPECT_TRUE(rs.GetSubject("sub_2").value().has_value());  // the subject stays
}

// By position (as the sweep deletes): only while the position still holds
// that id.
TEST_P(RetentionStoreConformanceTest, DeleteRecordAtNeedsPositionAndIdToAgree) {
  RecordStore& rs = store_->records();
  RetentionStore& retention = store_->retention();
  for (const char* id : {"rec_1", "rec_2", "rec_3"}) {
    ASSERT_TRUE(rs.InsertRecord(Record(id, "sub_1")).ok());
  }
  absl::StatusOr<std::unique_ptr<StoreReader>> reader = store_->OpenReader();
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<RecordTermsRow> rows;
  ASSERT_TRUE((*reader)->ScanRecordTerms(0, 10, rows).ok());
  ASSERT_EQ(rows.size(), 3u);

  EXPECT_FALSE(retention.DeleteRecordAt(rows[0].position, "rec_2").value());  // not its id
  EXPECT_FALSE(retention.DeleteRecordAt(rows[2].position + 100, "rec_3").value());
  EXPECT_TRUE(rs.GetRecord("rec_1").value().has_value());
  EXPECT_TRUE(retention.DeleteRecordAt(rows[1].position, "rec_2").value());
  EXPECT_FALSE(rs.GetRecord("rec_2").value().has_value());
  EXPECT_FALSE(retention.DeleteRecordAt(rows[1].position, "rec_2").value());  // already gone
  EXPECT_EQ(Ids(rs.ListRecords("sub_1").value()), (std::vector<std::string>{"rec_1", "rec_3"}));
  EXPECT_EQ(retention.CountRecordsOfKey({"sub_1", "pd:Name", "open"}).value(), 2);
}

TEST_P(RetentionStoreConformanceTest, DeleteBlindIndexesOfOneSubject) {
  RecordStore& rs = store_->records();
  RetentionStore& retention = store_->retention();
  ASSERT_TRUE(rs.InsertBlindIndex("phone", "mac1", "sub_1").ok());
  ASSERT_TRUE(rs.InsertBlindIndex("email", "mac2", "sub_1").ok());
  ASSERT_TRUE(rs.InsertBlindIndex("phone", "mac1", "sub_2").ok());
  ASSERT_TRUE(rs.InsertBlindIndex("email", "mac3", "sub_2").ok());

  EXPECT_EQ(retention.DeleteBlindIndexes("sub_1").value(), 2);
  EXPECT_EQ(rs.FindSubjectsByIndex("phone", "mac1").value(), (std::vector<std::string>{"sub_2"}));
  EXPECT_TRUE(rs.FindSubjectsByIndex("email", "mac2").value().empty());
  EXPECT_EQ(rs.FindSubjectsByIndex("email", "mac3").value(), (std::vector<std::string>{"sub_2"}));
  EXPECT_EQ(retention.DeleteBlindIndexes("sub_1").value(), 0);
  EXPECT_EQ(retention.DeleteBlindIndexes("sub_missing").value(), 0);
  EXPECT_TRUE(rs.GetSubject("sub_1").value().has_value());  // the subject stays
}

TEST_P(RetentionStoreConformanceTest, DeidentifiedRowsAreInsertedOnce) {
  RetentionStore& retention = store_->retention();
  EXPECT_EQ(retention.CountDeidentified().value(), 0);
  ASSERT_TRUE(retention.InsertDeidentified(Deidentified("dei_1")).ok());
  EXPECT_EQ(retention.CountDeidentified().value(), 1);
  absl::Status again = retention.InsertDeidentified(Deidentified("dei_1"));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(std::string(again.message()).find("remainder"), std::string::npos) << again;
  EXPECT_EQ(retention.CountDeidentified().value(), 1);
  ASSERT_TRUE(retention.InsertDeidentified(Deidentified("dei_2")).ok());
  EXPECT_EQ(retention.CountDeidentified().value(), 2);
}

TEST_P(RetentionStoreConformanceTest, RetentionCommitsAndRollsBackWithTheRecordsTransaction) {
  RecordStore& rs = store_->records();
  RetentionStore& retention = store_->retention();
  ASSERT_TRUE(rs.InsertRecord(Record("rec_1", "sub_1")).ok());
  ASSERT_TRUE(rs.InsertRecord(Record("rec_2", "sub_1")).ok());
  ASSERT_TRUE(rs.InsertBlindIndex("phone", "mac1", "sub_1").ok());
  {
    auto tx = rs.BeginTransaction();
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(retention.InsertHold(Hold("hld_dropped", "sub_1", At(1))).ok());
    const std::vector<std::string> ids = {"rec_1"};
    ASSERT_EQ(retention.DeleteRecords(ids).value(), 1);
    ASSERT_EQ(retention.DeleteBlindIndexes("sub_1").value(), 1);
    ASSERT_TRUE(retention.PutContractEnd({"sub_1", "mobile", At(2), At(3), "emp:a"}).ok());
    const std::vector<LastUseRow> uses = {{"sub_1", "dpv:A", At(4)}};
    ASSERT_TRUE(retention.RecordLastUses(uses).ok());
    ASSERT_TRUE(retention.SetCursor("last_uses", 9).ok());
    ASSERT_TRUE(retention.InsertDeidentified(Deidentified("dei_dropped")).ok());
    EXPECT_FALSE(rs.GetRecord("rec_1").value().has_value());  // seen inside
  }                                                           // dropped without Commit
  EXPECT_FALSE(retention.GetHold("hld_dropped").value().has_value());
  EXPECT_TRUE(rs.GetRecord("rec_1").value().has_value());
  EXPECT_EQ(Ids(rs.ListRecords("sub_1").value()), (std::vector<std::string>{"rec_1", "rec_2"}));
  EXPECT_EQ(rs.FindSubjectsByIndex("phone", "mac1").value(), (std::vector<std::string>{"sub_1"}));
  EXPECT_TRUE(retention.ListContractEnds("").value().empty());
  EXPECT_TRUE(retention.ListLastUses().value().empty());
  EXPECT_EQ(retention.GetCursor("last_uses").value(), 0);
  EXPECT_EQ(retention.CountDeidentified().value(), 0);
  {
    auto tx = rs.BeginTransaction();
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(retention.InsertHold(Hold("hld_kept", "sub_1", At(1))).ok());
    const std::vector<std::string> ids = {"rec_2"};
    ASSERT_EQ(retention.DeleteRecords(ids).value(), 1);
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_TRUE(retention.GetHold("hld_kept").value().has_value());
  EXPECT_EQ(Ids(rs.ListRecords("sub_1").value()), (std::vector<std::string>{"rec_1"}));
}

TEST_P(RetentionStoreConformanceTest, ScanRecordTermsPagesThroughEveryRecordOnce) {
  RecordStore& rs = store_->records();
  std::vector<RecordRow> inserted = {
      KeyRecord("rec_e", "sub_1", "pd:Name", "open", 5),
      KeyRecord("rec_d", "sub_2", "pd:CallLog", "2026-04", 4),
      KeyRecord("rec_c", "sub_1", "pd:EmailAddress", "open", 3),
      KeyRecord("rec_b", "sub_2", "pd:Name", "open", 2),
      KeyRecord("rec_a", "sub_1", "pd:CallLog", "2026-05", 1),
  };
  inserted[1].service = "fixed";
  inserted[1].purposes = {"dpv:Billing"};
  inserted[2].purposes = {};
  inserted[3].purposes = {"dpv:A", "dpv:B", "dpv:C"};
  for (const RecordRow& r : inserted) ASSERT_TRUE(rs.InsertRecord(r).ok());

  absl::StatusOr<std::unique_ptr<StoreReader>> opened = store_->OpenReader();
  ASSERT_TRUE(opened.ok()) << opened.status();
  StoreReader& reader = **opened;

  std::vector<RecordTermsRow> page = {RecordTermsRow{}};  // cleared by the scan
  std::vector<RecordTermsRow> all;
  std::vector<size_t> sizes;
  int64_t after = 0;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(reader.ScanRecordTerms(after, 2, page).ok());
    if (page.empty()) break;
    sizes.push_back(page.size());
    for (const RecordTermsRow& row : page) {
      EXPECT_GT(row.position, after) << row.id;
      after = row.position;
      all.push_back(row);
    }
  }
  // The main table's records (the open bucket) first, then each month's
  // segment in the order it was made; a page never spans two tables.
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 1, 1, 1}));
  const std::vector<RecordRow> in_store_order = {inserted[0], inserted[2], inserted[3], inserted[1],
                                                 inserted[4]};
  ASSERT_EQ(all.size(), in_store_order.size());
  for (size_t i = 0; i < in_store_order.size(); ++i) {
    EXPECT_EQ(TermsOf(all[i]), TermsOf(in_store_order[i])) << i;
  }
  EXPECT_TRUE(all[1].purposes.empty());
  EXPECT_EQ(SegmentOfPosition(all[0].position), 0);
  EXPECT_GT(SegmentOfPosition(all[3].position), 0);
  EXPECT_GT(SegmentOfPosition(all[4].position), SegmentOfPosition(all[3].position));
  ASSERT_TRUE(reader.ScanRecordTerms(after, 2, page).ok());
  EXPECT_TRUE(page.empty());  // nothing after the last

  // Uncommitted rows stay invisible to the reader; committed ones follow.
  {
    auto tx = rs.BeginTransaction();
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_new", "sub_2", "pd:CallLog", "2026-05", 6)).ok());
    ASSERT_TRUE(reader.ScanRecordTerms(after, 2, page).ok());
    EXPECT_TRUE(page.empty());
    ASSERT_TRUE(reader.ScanRecordTerms(0, 10, page).ok());
    EXPECT_EQ(page.size(), 3u);  // the main table's
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  ASSERT_TRUE(reader.ScanRecordTerms(after, 2, page).ok());
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].id, "rec_new");
  EXPECT_GT(page[0].position, after);

  // A record deleted between pages is skipped; the others are visited once.
  ASSERT_TRUE(reader.ScanRecordTerms(0, 2, page).ok());
  ASSERT_EQ(page.size(), 2u);
  const std::vector<std::string> gone = {"rec_c"};
  ASSERT_EQ(store_->retention().DeleteRecords(gone).value(), 1);
  std::vector<std::string> rest;
  after = page.back().position;
  while (true) {
    ASSERT_TRUE(reader.ScanRecordTerms(after, 2, page).ok());
    if (page.empty()) break;
    for (const RecordTermsRow& row : page) rest.push_back(row.id);
    after = page.back().position;
  }
  EXPECT_EQ(rest, (std::vector<std::string>{"rec_b", "rec_d", "rec_a", "rec_new"}));

  // Skipped segments are not read.
  const std::vector<int64_t> skip = {SegmentOfPosition(all[3].position)};
  rest.clear();
  after = 0;
  while (true) {
    ASSERT_TRUE(reader.ScanRecordTerms(after, 2, page, skip).ok());
    if (page.empty()) break;
    for (const RecordTermsRow& row : page) rest.push_back(row.id);
    after = page.back().position;
  }
  EXPECT_EQ(rest, (std::vector<std::string>{"rec_e", "rec_b", "rec_a", "rec_new"}));
}

// --- Segments (store.h, RecordSegmentRow) ---

TEST_P(RetentionStoreConformanceTest, MonthRecordsGoToTheirSegmentAndAreFoundEverywhere) {
  RecordStore& rs = store_->records();
  RetentionStore& retention = store_->retention();
  // More than one multi-row insert's worth, months and the open bucket mixed.
  std::vector<RecordRow> rows;
  for (int i = 0; i < 80; ++i) {
    const std::string bucket = i % 4 == 0 ? "open" : (i % 4 == 1 ? "2026-04" : "2026-05");
    const std::string category = i % 4 == 3 ? "pd:Location" : "pd:CallLog";
    RecordRow row = KeyRecord(fmt::format("rec_{:03d}", i), i % 2 == 0 ? "sub_1" : "sub_2",
                              category, bucket, 1000 + i);
    if (i == 41) row.service = "fixed";
    rows.push_back(std::move(row));
  }
  ASSERT_TRUE(rs.InsertRecords(rows).ok());
  EXPECT_EQ(rs.CountRecords().value(), 80);

  // One segment per (category, month), with its span and terms.
  std::vector<RecordSegmentRow> segments = retention.ListSegments().value();
  ASSERT_EQ(segments.size(), 3u);
  std::map<std::string, RecordSegmentRow> by_key;
  for (RecordSegmentRow& segment : segments) {
    EXPECT_FALSE(segment.dropped);
    by_key[segment.category + "/" + segment.bucket] = segment;
  }
  ASSERT_EQ(by_key.count("pd:CallLog/2026-04"), 1u);
  ASSERT_EQ(by_key.count("pd:CallLog/2026-05"), 1u);
  ASSERT_EQ(by_key.count("pd:Location/2026-05"), 1u);
  const RecordSegmentRow& april = by_key["pd:CallLog/2026-04"];
  EXPECT_EQ(april.first_collected_at, At(1001));
  EXPECT_EQ(april.last_collected_at, At(1077));
  ASSERT_EQ(april.terms.size(), 2u);  // mobile, and rec_041's fixed
  std::vector<std::string> services = {april.terms[0].service, april.terms[1].service};
  std::sort(services.begin(), services.end());
  EXPECT_EQ(services, (std::vector<std::string>{"fixed", "mobile"}));
  EXPECT_EQ(april.terms[0].purposes, rows[1].purposes);

  // Found by id, by subject, by key, by subject and category, counted.
  EXPECT_EQ(rs.GetRecord("rec_041").value()->service, "fixed");
  EXPECT_EQ(rs.GetRecord("rec_041").value()->sealed_value, rows[41].sealed_value);
  EXPECT_EQ(rs.ListRecords("sub_2").value().size(), 40u);
  EXPECT_EQ(retention.CountRecordsOfKey({"sub_2", "pd:CallLog", "2026-04"}).value(), 20);
  EXPECT_EQ(retention.ListRecordsOfKey({"sub_2", "pd:CallLog", "2026-04"}).value().size(), 20u);
  EXPECT_EQ(retention.CountRecordsOfKey({"sub_1", "pd:CallLog", "2026-04"}).value(), 0);
  EXPECT_TRUE(retention.SubjectHasRecords("sub_1").value());
  auto reader = store_->OpenReader();
  ASSERT_TRUE(reader.ok()) << reader.status();
  const std::vector<std::string> categories = {"pd:CallLog"};
  std::vector<RecordRow> read = (*reader)->ListRecords("sub_2", categories).value();
  EXPECT_EQ(read.size(), 20u);  // all in April: sub_2 has the odd rows
  for (const RecordRow& row : read) EXPECT_EQ(row.key_bucket, "2026-04");
  EXPECT_EQ((*reader)->ListSegments().value().size(), 3u);
  EXPECT_EQ((*reader)->CountSegmentRecords(april.id, "").value(), 20);
  EXPECT_EQ((*reader)->CountSegmentRecords(april.id, "sub_2").value(), 20);
  EXPECT_EQ((*reader)->CountSegmentRecords(april.id, "sub_1").value(), 0);

  // Deleted by id or by position, wherever they are.
  const std::vector<std::string> ids = {"rec_001", "rec_002", "rec_000", "rec_404"};
  EXPECT_EQ(retention.DeleteRecords(ids).value(), 3);
  std::vector<RecordTermsRow> page;
  int64_t after = 0;
  std::vector<RecordTermsRow> all;
  while (true) {
    ASSERT_TRUE((*reader)->ScanRecordTerms(after, 16, page).ok());
    if (page.empty()) break;
    all.insert(all.end(), page.begin(), page.end());
    after = page.back().position;
  }
  ASSERT_EQ(all.size(), 77u);
  const RecordTermsRow& in_segment = all.back();
  EXPECT_NE(SegmentOfPosition(in_segment.position), 0);
  EXPECT_FALSE(retention.DeleteRecordAt(in_segment.position, "rec_005").value());
  EXPECT_TRUE(retention.DeleteRecordAt(in_segment.position, in_segment.id).value());
  EXPECT_FALSE(rs.GetRecord(in_segment.id).value().has_value());
  EXPECT_EQ(rs.CountRecords().value(), 76);
}

TEST_P(RetentionStoreConformanceTest, AReaderSeesSegmentsMadeAndDroppedAfterItOpened) {
  RecordStore& rs = store_->records();
  auto reader = store_->OpenReader();
  ASSERT_TRUE(reader.ok()) << reader.status();
  const std::vector<std::string> categories = {"pd:CallLog"};
  EXPECT_TRUE((*reader)->ListRecords("sub_1", categories).value().empty());
  ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_1", "sub_1", "pd:CallLog", "2026-04", 1)).ok());
  EXPECT_EQ(Ids((*reader)->ListRecords("sub_1", categories).value()),
            (std::vector<std::string>{"rec_1"}));
  ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_2", "sub_1", "pd:CallLog", "2026-05", 2)).ok());
  EXPECT_EQ(Ids((*reader)->ListRecords("sub_1", categories).value()),
            (std::vector<std::string>{"rec_1", "rec_2"}));
  const int64_t april = store_->retention().ListSegments().value().at(0).id;
  ASSERT_EQ(store_->retention().DropSegment(april).value().size(), 1u);
  EXPECT_EQ(Ids((*reader)->ListRecords("sub_1", categories).value()),
            (std::vector<std::string>{"rec_2"}));
}

TEST_P(RetentionStoreConformanceTest, DroppedSegmentsGoWholeExceptWhatMovedOut) {
  RecordStore& rs = store_->records();
  RetentionStore& retention = store_->retention();
  std::vector<RecordRow> rows = {
      KeyRecord("rec_1", "sub_1", "pd:CallLog", "2026-04", 1),
      KeyRecord("rec_2", "sub_2", "pd:CallLog", "2026-04", 2),
      KeyRecord("rec_3", "sub_2", "pd:CallLog", "2026-04", 3),
      KeyRecord("rec_4", "sub_1", "pd:CallLog", "2026-04", 4),
      KeyRecord("rec_5", "sub_1", "pd:Name", "open", 5),
  };
  ASSERT_TRUE(rs.InsertRecords(rows).ok());
  const int64_t april = retention.ListSegments().value().at(0).id;

  // A held subject's records move to the main table, under the same key.
  EXPECT_EQ(retention.MoveSubjectOutOfSegment(april, "sub_1").value(), 2);
  EXPECT_EQ(retention.CountRecordsOfKey({"sub_1", "pd:CallLog", "2026-04"}).value(), 2);
  EXPECT_EQ(rs.GetRecord("rec_4").value()->sealed_value, rows[3].sealed_value);

  const std::vector<SubjectRecordCount> counts = retention.DropSegment(april).value();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].subject_id, "sub_2");
  EXPECT_EQ(counts[0].records, 2);
  EXPECT_FALSE(rs.GetRecord("rec_2").value().has_value());
  EXPECT_EQ(rs.CountRecords().value(), 3);
  EXPECT_FALSE(retention.SubjectHasRecords("sub_2").value());
  EXPECT_EQ(retention.CountRecordsOfKey({"sub_1", "pd:CallLog", "2026-04"}).value(), 2);
  std::vector<RecordSegmentRow> segments = retention.ListSegments().value();
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_TRUE(segments[0].dropped);
  EXPECT_EQ(retention.DropSegment(april).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(retention.MoveSubjectOutOfSegment(april, "sub_1").status().code(),
            absl::StatusCode::kNotFound);
  auto reader = store_->OpenReader();
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_TRUE((*reader)->ListSegments().value().empty());

  // A late record of the same month makes a new segment.
  ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_6", "sub_2", "pd:CallLog", "2026-04", 6)).ok());
  segments = retention.ListSegments().value();
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_GT(segments[1].id, april);
  EXPECT_FALSE(segments[1].dropped);
  EXPECT_EQ(retention.CountRecordsOfKey({"sub_2", "pd:CallLog", "2026-04"}).value(), 1);

  ASSERT_TRUE(retention.ForgetSegment(april).ok());
  EXPECT_EQ(retention.ListSegments().value().size(), 1u);
}

TEST_P(RetentionStoreConformanceTest, SegmentsRollBackWithTheRecordsTransaction) {
  RecordStore& rs = store_->records();
  RetentionStore& retention = store_->retention();
  {
    auto tx = rs.BeginTransaction();
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_1", "sub_1", "pd:CallLog", "2026-04", 1)).ok());
    EXPECT_EQ(retention.ListSegments().value().size(), 1u);
  }
  EXPECT_TRUE(retention.ListSegments().value().empty());
  EXPECT_FALSE(rs.GetRecord("rec_1").value().has_value());
  // Made again after the rollback, and dropped inside one that rolls back.
  ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_1", "sub_1", "pd:CallLog", "2026-04", 1)).ok());
  const int64_t april = retention.ListSegments().value().at(0).id;
  {
    auto tx = rs.BeginTransaction();
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_EQ(retention.DropSegment(april).value().size(), 1u);
  }
  EXPECT_TRUE(rs.GetRecord("rec_1").value().has_value());
  EXPECT_FALSE(retention.ListSegments().value().at(0).dropped);
  EXPECT_EQ(retention.CountRecordsOfKey({"sub_1", "pd:CallLog", "2026-04"}).value(), 1);
  EXPECT_FALSE(retention.HasUnscrubbedPages().value());
}

// The sweep counts a segment on a reader and drops it uncounted when its
// version has not moved since: any write to its rows moves it, writes to
// other tables do not (beyond a deletion by id, which looks in every table).
TEST_P(RetentionStoreConformanceTest, ASegmentCountedOnAReaderIsDroppedAsCounted) {
  RecordStore& rs = store_->records();
  RetentionStore& retention = store_->retention();
  ASSERT_TRUE(rs.InsertRecords(std::vector<RecordRow>{
                                   KeyRecord("rec_1", "sub_1", "pd:CallLog", "2026-04", 1),
                                   KeyRecord("rec_2", "sub_2", "pd:CallLog", "2026-04", 2),
                                   KeyRecord("rec_3", "sub_2", "pd:CallLog", "2026-04", 3),
                               })
                  .ok());
  const int64_t april = retention.ListSegments().value().at(0).id;
  int64_t version = retention.SegmentVersion(april).value();
  // Elsewhere: the main table and another month.
  ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_4", "sub_1", "pd:Name", "open", 4)).ok());
  ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_5", "sub_1", "pd:CallLog", "2026-05", 5)).ok());
  EXPECT_EQ(retention.SegmentVersion(april).value(), version);
  // Its own rows: an insert, a deletion, a subject moved out.
  ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_6", "sub_1", "pd:CallLog", "2026-04", 6)).ok());
  EXPECT_NE(retention.SegmentVersion(april).value(), version);
  version = retention.SegmentVersion(april).value();
  const std::vector<std::string> gone = {"rec_6"};
  ASSERT_EQ(retention.DeleteRecords(gone).value(), 1);
  EXPECT_NE(retention.SegmentVersion(april).value(), version);
  version = retention.SegmentVersion(april).value();
  ASSERT_EQ(retention.MoveSubjectOutOfSegment(april, "sub_1").value(), 1);
  EXPECT_NE(retention.SegmentVersion(april).value(), version);

  auto reader = store_->OpenReader();
  ASSERT_TRUE(reader.ok()) << reader.status();
  const std::vector<SubjectRecordCount> counts =
      (*reader)->CountSegmentRecordsBySubject(april).value();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].subject_id, "sub_2");
  EXPECT_EQ(counts[0].records, 2);
  EXPECT_EQ((*reader)->CountSegmentRecordsBySubject(0).status().code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(retention.DropCountedSegment(april).ok());
  EXPECT_FALSE(rs.GetRecord("rec_2").value().has_value());
  EXPECT_TRUE(rs.GetRecord("rec_1").value().has_value());  // moved out first
  EXPECT_TRUE(retention.ListSegments().value().at(0).dropped);
  EXPECT_TRUE(retention.HasUnscrubbedPages().value());
  EXPECT_EQ(retention.DropCountedSegment(april).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*reader)->CountSegmentRecordsBySubject(april).status().code(),
            absl::StatusCode::kNotFound);
}

// A drop leaves its freed pages to ScrubFreePages, which fills them a few
// at a time until none is left; only then are they freed again.
TEST_P(RetentionStoreConformanceTest, ADroppedSegmentsPagesAreFilledThenFreedAgain) {
  RecordStore& rs = store_->records();
  RetentionStore& retention = store_->retention();
  EXPECT_FALSE(retention.HasUnscrubbedPages().value());
  EXPECT_EQ(retention.ScrubFreePages(8).value(), 0);  // no drop: nothing to fill
  EXPECT_EQ(retention.ReleaseScrubbedPages(8).value(), 0);
  // About 150 KB of rows: several pages whatever their size.
  std::vector<RecordRow> rows;
  for (int i = 0; i < 500; ++i) {
    RecordRow row = KeyRecord(fmt::format("rec_{:03}", i), i % 2 == 0 ? "sub_1" : "sub_2",
                              "pd:CallLog", "2026-04", i);
    row.sealed_value = std::string(300, static_cast<char>('a' + i % 26));
    rows.push_back(std::move(row));
  }
  ASSERT_TRUE(rs.InsertRecords(rows).ok());
  ASSERT_TRUE(rs.InsertRecord(KeyRecord("rec_kept", "sub_1", "pd:Name", "open", 1)).ok());
  const int64_t april = retention.ListSegments().value().at(0).id;
  ASSERT_EQ(retention.DropSegment(april).value().size(), 2u);
  EXPECT_TRUE(retention.HasUnscrubbedPages().value());
  EXPECT_EQ(retention.ReleaseScrubbedPages(8).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // Calls `step(1)` until it returns 0, each call returning less than the
  // one before; returns how many calls that took (0 on a failure).
  auto one_page_at_a_time = [](auto step) {
    int64_t left = step(1).value();
    int calls = 1;
    while (left > 0 && calls < 10'000) {
      const int64_t next = step(1).value();
      if (next >= left) return 0;
      left = next;
      ++calls;
    }
    return left == 0 ? calls : 0;
  };
  EXPECT_GE(one_page_at_a_time([&](int64_t pages) { return retention.ScrubFreePages(pages); }), 5);
  EXPECT_FALSE(retention.HasUnscrubbedPages().value());
  EXPECT_EQ(retention.ScrubFreePages(1).value(), 0);

  // Freed again, a row at a time.
  const int calls =
      one_page_at_a_time([&](int64_t pages) { return retention.ReleaseScrubbedPages(pages); });
  EXPECT_GE(calls, 2);
  EXPECT_FALSE(retention.HasUnscrubbedPages().value());
  // The rest of the store is as it was.
  EXPECT_EQ(rs.CountRecords().value(), 1);
  EXPECT_TRUE(rs.GetRecord("rec_kept").value().has_value());
  EXPECT_TRUE(retention.SubjectHasRecords("sub_1").value());
  EXPECT_FALSE(retention.SubjectHasRecords("sub_2").value());
}

// --- Provision ---

auto Fields(const ProvisionRecordRow& r) {
  return std::tie(r.id, r.recipient, r.subject_id, r.categories, r.purpose, r.legal_basis,
                  r.consent_id, r.provided_at, r.provided_by, r.keep_until,
                  r.kept_from_last_provision, r.ledger_entry);
}
auto Fields(const ReceiptRow& r) {
  return std::tie(r.id, r.provider_name, r.provider_address, r.provider_representative,
                  r.how_obtained, r.by_opt_out, r.subject_id, r.categories, r.received_at,
                  r.recorded_at, r.recorded_by, r.keep_until);
}
auto Fields(const TrusteeAuditRow& r) {
  return std::tie(r.id, r.trustee_id, r.audited_at, r.result, r.next_due, r.recorded_at,
                  r.recorded_by);
}
auto Fields(const ReentrustmentRow& r) {
  return std::tie(r.id, r.trustee_id, r.subcontractor, r.scope, r.approved_at, r.approved_by);
}

// Provision records name subjects (sub_1 and sub_2 exist) but do not
// depend on them.
class ProvisionStoreConformanceTest : public FactStoreConformanceTest {
 protected:
  static ProvisionRecordRow Provision(std::string id, std::string subject, std::string recipient,
                                      int64_t provided, int64_t kept) {
    ProvisionRecordRow r;
    r.id = std::move(id);
    r.recipient = std::move(recipient);
    r.subject_id = std::move(subject);
    r.categories = {"pd:Name", "pd:TelephoneNumber"};
    r.purpose = "dpv:PaymentManagement";
    r.legal_basis = "consent";
    r.consent_id = "con_1";
    r.provided_at = At(provided);
    r.provided_by = "emp:clerk";
    r.keep_until = At(kept);
    r.ledger_entry = 42;
    return r;
  }
  static ReceiptRow Receipt(std::string id, std::optional<std::string> subject, int64_t received,
                            int64_t kept) {
    ReceiptRow r;
    r.id = std::move(id);
    r.provider_name = "ひかり債権回収株式会社";
    r.provider_address = "東京都千代田区";
    r.provider_representative = "代表取締役 山田";
    r.how_obtained = "collected from its own customers with consent";
    r.subject_id = std::move(subject);
    r.categories = {"pd:Name"};
    r.received_at = At(received);
    r.recorded_at = At(received + 1);
    r.recorded_by = "emp:clerk";
    r.keep_until = At(kept);
    return r;
  }
};

TEST_P(ProvisionStoreConformanceTest, RecordsRoundTripBySubjectAndByRecipient) {
  ProvisionStore& provisions = store_->provisions();
  ProvisionRecordRow a = Provision("prv_a", "sub_1", "hikari", 20, 1000);
  ProvisionRecordRow b = Provision("prv_b", "sub_2", "hikari", 10, 1000);
  b.consent_id.reset();
  b.legal_basis = "opt_out";
  b.categories = {"pd:Name"};
  ProvisionRecordRow c = Provision("prv_c", "sub_1", "other", 30, 2000);
  c.kept_from_last_provision = true;
  for (const ProvisionRecordRow& r : {a, b, c}) ASSERT_TRUE(provisions.InsertRecord(r).ok());
  absl::Status again = provisions.InsertRecord(a);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(std::string(again.message()).find("hikari"), std::string::npos) << again;

  std::vector<ProvisionRecordRow> of_subject = provisions.ListRecordsOfSubject("sub_1").value();
  ASSERT_EQ(Ids(of_subject), (std::vector<std::string>{"prv_a", "prv_c"}));
  EXPECT_EQ(Fields(of_subject[0]), Fields(a));
  EXPECT_EQ(Fields(of_subject[1]), Fields(c));
  std::vector<ProvisionRecordRow> to_hikari = provisions.ListRecordsToRecipient("hikari").value();
  ASSERT_EQ(Ids(to_hikari), (std::vector<std::string>{"prv_b", "prv_a"}));  // oldest first
  EXPECT_EQ(Fields(to_hikari[0]), Fields(b));
  EXPECT_TRUE(provisions.ListRecordsOfSubject("sub_9").value().empty());
  EXPECT_TRUE(provisions.ListRecordsToRecipient("nobody").value().empty());
}

TEST_P(ProvisionStoreConformanceTest, RecordsNeedNoSubjectAndOutliveIt) {
  ProvisionStore& provisions = store_->provisions();
  // The subject of a statutory record may be erased first: no foreign key.
  ASSERT_TRUE(provisions.InsertRecord(Provision("prv_1", "sub_erased", "hikari", 1, 9)).ok());
  ASSERT_TRUE(provisions.InsertReceipt(Receipt("rcv_1", "sub_erased", 1, 9)).ok());
  EXPECT_EQ(Ids(provisions.ListRecordsOfSubject("sub_erased").value()),
            (std::vector<std::string>{"prv_1"}));
  EXPECT_EQ(Ids(provisions.ListReceipts("sub_erased").value()),
            (std::vector<std::string>{"rcv_1"}));
}

TEST_P(ProvisionStoreConformanceTest, OnlyRecordsKeptFromTheLastProvisionAreExtended) {
  ProvisionStore& provisions = store_->provisions();
  ProvisionRecordRow early = Provision("prv_early", "sub_1", "hikari", 1, 100);
  early.kept_from_last_provision = true;
  ProvisionRecordRow later = Provision("prv_later", "sub_2", "hikari", 2, 500);
  later.kept_from_last_provision = true;
  ProvisionRecordRow fixed = Provision("prv_fixed", "sub_1", "hikari", 3, 100);  // three years
  ProvisionRecordRow elsewhere = Provision("prv_else", "sub_1", "other", 4, 100);
  elsewhere.kept_from_last_provision = true;
  for (const ProvisionRecordRow& r : {early, later, fixed, elsewhere}) {
    ASSERT_TRUE(provisions.InsertRecord(r).ok());
  }
  EXPECT_EQ(provisions.ExtendRecordsKeptFromLastProvision("hikari", At(300)).value(), 1);
  std::vector<ProvisionRecordRow> rows = provisions.ListRecordsToRecipient("hikari").value();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].keep_until, At(300));  // moved forward
  EXPECT_EQ(rows[1].keep_until, At(500));  // never moved back
  EXPECT_EQ(rows[2].keep_until, At(100));  // not kept from the last provision
  EXPECT_EQ(provisions.ListRecordsToRecipient("other").value()[0].keep_until, At(100));
}

TEST_P(ProvisionStoreConformanceTest, ExpiredRecordsAndReceiptsAreListedAndDeleted) {
  ProvisionStore& provisions = store_->provisions();
  ASSERT_TRUE(provisions.InsertRecord(Provision("prv_1", "sub_1", "hikari", 1, 30)).ok());
  ASSERT_TRUE(provisions.InsertRecord(Provision("prv_2", "sub_1", "hikari", 2, 10)).ok());
  ASSERT_TRUE(provisions.InsertRecord(Provision("prv_3", "sub_2", "hikari", 3, 50)).ok());
  ASSERT_TRUE(provisions.InsertReceipt(Receipt("rcv_1", std::nullopt, 1, 20)).ok());
  ASSERT_TRUE(provisions.InsertReceipt(Receipt("rcv_2", "sub_1", 2, 60)).ok());
  EXPECT_EQ(provisions.ListRecordsKeptUntil(At(30), 10).value(),
            (std::vector<std::string>{"prv_2", "prv_1"}));  // at keep_until: due
  EXPECT_EQ(provisions.ListRecordsKeptUntil(At(30), 1).value(),
            (std::vector<std::string>{"prv_2"}));
  EXPECT_TRUE(provisions.ListRecordsKeptUntil(At(9), 10).value().empty());
  EXPECT_EQ(provisions.ListReceiptsKeptUntil(At(30), 10).value(),
            (std::vector<std::string>{"rcv_1"}));
  const std::vector<std::string> records = {"prv_1", "prv_2", "prv_missing"};
  EXPECT_EQ(provisions.DeleteRecords(records).value(), 2);
  const std::vector<std::string> receipts = {"rcv_1"};
  EXPECT_EQ(provisions.DeleteReceipts(receipts).value(), 1);
  EXPECT_EQ(Ids(provisions.ListRecordsToRecipient("hikari").value()),
            (std::vector<std::string>{"prv_3"}));
  EXPECT_EQ(Ids(provisions.ListReceipts("").value()), (std::vector<std::string>{"rcv_2"}));
}

TEST_P(ProvisionStoreConformanceTest, ReceiptsRoundTripWithAndWithoutASubject) {
  ProvisionStore& provisions = store_->provisions();
  ReceiptRow with = Receipt("rcv_b", "sub_1", 20, 1000);
  with.by_opt_out = true;
  with.categories = {"pd:Name", "pd:PhysicalAddress"};
  ReceiptRow without = Receipt("rcv_a", std::nullopt, 10, 1000);
  ASSERT_TRUE(provisions.InsertReceipt(with).ok());
  ASSERT_TRUE(provisions.InsertReceipt(without).ok());
  absl::Status again = provisions.InsertReceipt(with);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(std::string(again.message()).find("ひかり"), std::string::npos) << again;
  std::vector<ReceiptRow> all = provisions.ListReceipts("").value();
  ASSERT_EQ(Ids(all), (std::vector<std::string>{"rcv_a", "rcv_b"}));  // by received_at
  EXPECT_EQ(Fields(all[0]), Fields(without));
  EXPECT_EQ(Fields(all[1]), Fields(with));
  EXPECT_EQ(Ids(provisions.ListReceipts("sub_1").value()), (std::vector<std::string>{"rcv_b"}));
  EXPECT_TRUE(provisions.ListReceipts("sub_2").value().empty());
}

TEST_P(ProvisionStoreConformanceTest, TrusteeAuditsOldestFirstPerTrustee) {
  ProvisionStore& provisions = store_->provisions();
  TrusteeAuditRow late{"aud_late", "sakura", At(50), "no findings", At(500), At(51), "emp:o"};
  TrusteeAuditRow early{"aud_early", "sakura", At(10), "two findings, fixed",
                        At(400),     At(60),   "emp:o"};
  TrusteeAuditRow other{"aud_other", "nimbus", At(30), "ok", At(300), At(31), "emp:o"};
  for (const TrusteeAuditRow& a : {late, early, other}) {
    ASSERT_TRUE(provisions.InsertTrusteeAudit(a).ok());
  }
  EXPECT_EQ(provisions.InsertTrusteeAudit(late).code(), absl::StatusCode::kAlreadyExists);
  std::vector<TrusteeAuditRow> sakura = provisions.ListTrusteeAudits("sakura").value();
  ASSERT_EQ(Ids(sakura), (std::vector<std::string>{"aud_early", "aud_late"}));
  EXPECT_EQ(Fields(sakura[0]), Fields(early));
  EXPECT_EQ(Fields(sakura[1]), Fields(late));
  EXPECT_EQ(Ids(provisions.ListTrusteeAudits("").value()),
            (std::vector<std::string>{"aud_early", "aud_other", "aud_late"}));
  EXPECT_TRUE(provisions.ListTrusteeAudits("nobody").value().empty());
}

TEST_P(ProvisionStoreConformanceTest, ReentrustmentsInApprovalOrder) {
  ProvisionStore& provisions = store_->provisions();
  ReentrustmentRow first{"ree_1", "sakura", "Kita Call Ltd.", "overflow calls", At(5), "emp:o"};
  ReentrustmentRow second{"ree_2", "nimbus", "Blue Backup Inc.", "backups", At(6), "emp:o"};
  ReentrustmentRow third{"ree_3", "sakura", "Minami BPO", "mail", At(4), "emp:o"};
  for (const ReentrustmentRow& r : {first, second, third}) {
    ASSERT_TRUE(provisions.InsertReentrustment(r).ok());
  }
  EXPECT_EQ(provisions.InsertReentrustment(first).code(), absl::StatusCode::kAlreadyExists);
  std::vector<ReentrustmentRow> sakura = provisions.ListReentrustments("sakura").value();
  ASSERT_EQ(Ids(sakura), (std::vector<std::string>{"ree_1", "ree_3"}));
  EXPECT_EQ(Fields(sakura[0]), Fields(first));
  EXPECT_EQ(Ids(provisions.ListReentrustments("").value()),
            (std::vector<std::string>{"ree_1", "ree_2", "ree_3"}));
}

TEST_P(ProvisionStoreConformanceTest, ProvisionCommitsAndRollsBackWithTheRecordsTransaction) {
  RecordStore& rs = store_->records();
  ProvisionStore& provisions = store_->provisions();
  {
    auto tx = rs.BeginTransaction();
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(provisions.InsertRecord(Provision("prv_dropped", "sub_1", "hikari", 1, 9)).ok());
    ASSERT_TRUE(provisions.InsertReceipt(Receipt("rcv_dropped", "sub_1", 1, 9)).ok());
    ASSERT_TRUE(
        provisions.InsertTrusteeAudit({"aud_dropped", "sakura", At(1), "ok", At(2), At(1), "emp:o"})
            .ok());
    ASSERT_TRUE(
        provisions.InsertReentrustment({"ree_dropped", "sakura", "X", "y", At(1), "emp:o"}).ok());
    EXPECT_EQ(provisions.ListRecordsOfSubject("sub_1").value().size(), 1u);  // seen inside
  }  // dropped without Commit
  EXPECT_TRUE(provisions.ListRecordsOfSubject("sub_1").value().empty());
  EXPECT_TRUE(provisions.ListReceipts("").value().empty());
  EXPECT_TRUE(provisions.ListTrusteeAudits("").value().empty());
  EXPECT_TRUE(provisions.ListReentrustments("").value().empty());
  {
    auto tx = rs.BeginTransaction();
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_TRUE(provisions.InsertRecord(Provision("prv_kept", "sub_1", "hikari", 1, 9)).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_EQ(Ids(provisions.ListRecordsOfSubject("sub_1").value()),
            (std::vector<std::string>{"prv_kept"}));
}

// --- The use index and incidents ---

auto Fields(const UseRow& r) {
  return std::tie(r.seq, r.at, r.actor, r.action, r.allowed, r.purpose, r.subject, r.recipient,
                  r.categories, r.rule_id, r.reason_code, r.flagged_for_audit, r.ground);
}
auto Fields(const TouchedSubject& r) { return std::tie(r.subject_id, r.categories); }
auto Fields(const UseCount& r) { return std::tie(r.key, r.key2, r.count); }
auto Fields(const ActorDayRow& r) { return std::tie(r.actor, r.day, r.subjects, r.denials); }
auto Fields(const IncidentRow& r) {
  return std::tie(r.id, r.opened_at, r.opened_by, r.discovered_at, r.occurred_at, r.cause,
                  r.suspected, r.description, r.scope_json, r.narrative_json, r.status, r.closed_at,
                  r.updated_at);
}
auto Fields(const IncidentSubjectRow& r) {
  return std::tie(r.incident_id, r.subject_id, r.categories, r.encrypted_without_keys);
}
auto Fields(const IncidentReportRow& r) {
  return std::tie(r.incident_id, r.kind, r.submitted_at, r.submitted_by, r.reference);
}

// Compares two lists of rows field by field (the rows have no operator==).
template <typename Row>
bool SameRows(const std::vector<Row>& got, const std::vector<Row>& want) {
  return std::equal(got.begin(), got.end(), want.begin(), want.end(),
                    [](const Row& a, const Row& b) { return Fields(a) == Fields(b); });
}

class UseIndexStoreConformanceTest : public StoreConformanceTest {
 protected:
  // One row of a use; a find of several subjects is several rows of one seq.
  static UseRow Use(int64_t seq, int64_t at, std::string actor, std::string action, bool allowed,
                    std::string subject, std::vector<std::string> categories) {
    UseRow r;
    r.seq = seq;
    r.at = At(at);
    r.actor = std::move(actor);
    r.action = std::move(action);
    r.allowed = allowed;
    r.purpose = "dpv:A";
    r.subject = std::move(subject);
    r.categories = std::move(categories);
    r.rule_id = allowed ? "purpose.allowed" : "purpose.not_allowed";
    r.reason_code = allowed ? "allowed" : "purpose_not_allowed";
    r.ground = "none";
    return r;
  }
  UseIndexStore& uses() { return store_->uses(); }
  void Insert(const std::vector<UseRow>& rows) { ASSERT_TRUE(uses().InsertUses(rows).ok()); }
};

TEST_P(UseIndexStoreConformanceTest, UsesRoundTripInSeqOrderAndInsertingAgainChangesNothing) {
  UseRow provide = Use(3, 30, "emp:b", "provide", true, "sub_2", {"pd:Name", "pd:Phone"});
  provide.recipient = "hikari";
  provide.purpose = "dpv:PaymentManagement";
  provide.flagged_for_audit = true;
  provide.ground = "art27_1_2";
  std::vector<UseRow> rows = {
      Use(1, 10, "emp:a", "find", true, "sub_1", {"pd:Name"}),
      Use(1, 10, "emp:a", "find", true, "sub_2", {"pd:Name"}),
      Use(2, 20, "emp:a", "read", false, "", {}),
      provide,
  };
  // Folded out of order and twice, as a re-run of the fold after a crash.
  Insert({rows[3], rows[2]});
  Insert(rows);
  Insert(rows);
  EXPECT_TRUE(SameRows(uses().ListUses("", At(0), At(100), 0).value(), rows));
  EXPECT_TRUE(SameRows(uses().ListUses("emp:a", At(0), At(100), 0).value(),
                       std::vector<UseRow>(rows.begin(), rows.begin() + 3)));
  EXPECT_TRUE(SameRows(uses().ListUses("", At(0), At(100), 2).value(),
                       std::vector<UseRow>(rows.begin(), rows.begin() + 2)));
  // From inclusive, to exclusive.
  EXPECT_TRUE(SameRows(uses().ListUses("", At(20), At(30), 0).value(), {rows[2]}));
  EXPECT_TRUE(uses().ListUses("emp:nobody", At(0), At(100), 0).value().empty());
}

TEST_P(UseIndexStoreConformanceTest, SubjectsTouchedByActorMergeCategoriesInTheWindow) {
  Insert({
      Use(1, 9, "emp:a", "read", true, "sub_early", {"pd:Name"}),  // before the window
      Use(2, 10, "emp:a", "read", true, "sub_2", {"pd:Name"}),     // at `from`: in
      Use(3, 11, "emp:a", "find", true, "sub_2", {"pd:Phone", "pd:Name"}),
      Use(3, 11, "emp:a", "find", true, "sub_1", {"pd:Phone", "pd:Name"}),
      Use(4, 12, "emp:a", "read", false, "sub_denied", {"pd:Name"}),  // denied
      Use(5, 13, "emp:a", "find", false, "", {"pd:Name"}),            // no subject
      Use(6, 14, "emp:a", "collect", true, "sub_collected", {"pd:Name"}),
      Use(7, 15, "emp:other", "read", true, "sub_other", {"pd:Name"}),
      Use(8, 16, "emp:a", "read", true, "sub_2", {"pd:Address"}),
      Use(9, 20, "emp:a", "read", true, "sub_late", {"pd:Name"}),  // at `to`: out
  });
  const std::vector<std::string> reads = {"read", "find"};
  EXPECT_TRUE(SameRows(uses().SubjectsTouchedByActor("emp:a", At(10), At(20), reads).value(),
                       {TouchedSubject{"sub_1", {"pd:Name", "pd:Phone"}},
                        TouchedSubject{"sub_2", {"pd:Address", "pd:Name", "pd:Phone"}}}));
  const std::vector<std::string> collects = {"collect"};
  EXPECT_TRUE(SameRows(uses().SubjectsTouchedByActor("emp:a", At(0), At(100), collects).value(),
                       {TouchedSubject{"sub_collected", {"pd:Name"}}}));
  EXPECT_TRUE(uses().SubjectsTouchedByActor("emp:a", At(0), At(100), {}).value().empty());
  EXPECT_EQ(uses().CountSubjectsTouched("emp:a", At(10), At(20)).value(), 3);
  EXPECT_EQ(uses().CountSubjectsTouched("", At(0), At(100)).value(), 6);
}

TEST_P(UseIndexStoreConformanceTest, SubjectsProvidedToOneRecipientInTheWindow) {
  auto provide = [](int64_t seq, int64_t at, std::string recipient, bool allowed,
                    std::string subject, std::vector<std::string> categories) {
    UseRow r = Use(seq, at, "emp:a", "provide", allowed, std::move(subject), std::move(categories));
    r.recipient = std::move(recipient);
    return r;
  };
  Insert({
      provide(1, 10, "hikari", true, "sub_1", {"pd:Name"}),
      provide(2, 11, "hikari", true, "sub_1", {"pd:Phone"}),
      provide(3, 12, "sakura", true, "sub_2", {"pd:Name"}),
      provide(4, 13, "hikari", false, "sub_3", {"pd:Name"}),
      provide(5, 20, "hikari", true, "sub_4", {"pd:Name"}),
      Use(6, 14, "emp:a", "read", true, "sub_5", {"pd:Name"}),
  });
  EXPECT_TRUE(SameRows(uses().SubjectsProvidedTo("hikari", At(10), At(20)).value(),
                       {TouchedSubject{"sub_1", {"pd:Name", "pd:Phone"}}}));
  EXPECT_TRUE(uses().SubjectsProvidedTo("", At(0), At(100)).value().empty());
}

TEST_P(UseIndexStoreConformanceTest, CountUsesCountsEntriesNotRows) {
  UseRow other_purpose = Use(4, 13, "emp:b", "read", true, "sub_1", {"pd:Name"});
  other_purpose.purpose = "dpv:B";
  Insert({
      Use(1, 10, "emp:a", "find", true, "sub_1", {"pd:Name"}),  // one find, three rows
      Use(1, 10, "emp:a", "find", true, "sub_2", {"pd:Name"}),
      Use(1, 10, "emp:a", "find", true, "sub_3", {"pd:Name"}),
      Use(2, 11, "emp:a", "read", false, "sub_1", {"pd:Name"}),
      Use(3, 12, "emp:a", "find", false, "", {"pd:Name"}), other_purpose,
      Use(5, 20, "emp:a", "read", true, "sub_1", {"pd:Name"}),  // at `to`: out
  });
  EXPECT_TRUE(SameRows(
      uses().CountUses("emp:a", At(10), At(20), "action").value(),
      {UseCount{"find", "allow", 1}, UseCount{"find", "deny", 1}, UseCount{"read", "deny", 1}}));
  EXPECT_TRUE(SameRows(uses().CountUses("", At(10), At(20), "purpose").value(),
                       {UseCount{"dpv:A", "allow", 1}, UseCount{"dpv:A", "deny", 2},
                        UseCount{"dpv:B", "allow", 1}}));
  EXPECT_TRUE(SameRows(uses().CountUses("", At(10), At(21), "actor").value(),
                       {UseCount{"emp:a", "allow", 2}, UseCount{"emp:a", "deny", 2},
                        UseCount{"emp:b", "allow", 1}}));
  EXPECT_TRUE(SameRows(uses().CountUses("emp:b", At(10), At(20), "rule_id").value(),
                       {UseCount{"purpose.allowed", "allow", 1}}));
  EXPECT_TRUE(SameRows(uses().CountUses("emp:b", At(10), At(20), "reason_code").value(),
                       {UseCount{"allowed", "allow", 1}}));
  // Never a column the caller names.
  EXPECT_EQ(uses().CountUses("", At(10), At(20), "subject").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(uses().CountUses("", At(10), At(20), "actor; DROP TABLE x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(UseIndexStoreConformanceTest, CountCategoriesCountsAllowedRowsPerCategory) {
  Insert({
      Use(1, 10, "emp:a", "find", true, "sub_1", {"pd:Name", "pd:Phone"}),
      Use(1, 10, "emp:a", "find", true, "sub_2", {"pd:Name", "pd:Phone"}),
      Use(2, 11, "emp:a", "read", true, "sub_1", {"pd:Address"}),
      Use(3, 12, "emp:a", "read", false, "sub_1", {"pd:Health"}),
      Use(4, 13, "emp:b", "read", true, "sub_1", {"pd:Name"}),
      Use(5, 20, "emp:a", "read", true, "sub_1", {"pd:Name"}),
  });
  EXPECT_TRUE(SameRows(
      uses().CountCategories("emp:a", At(10), At(20)).value(),
      {UseCount{"pd:Address", "", 1}, UseCount{"pd:Name", "", 2}, UseCount{"pd:Phone", "", 2}}));
  EXPECT_TRUE(SameRows(
      uses().CountCategories("", At(10), At(20)).value(),
      {UseCount{"pd:Address", "", 1}, UseCount{"pd:Name", "", 3}, UseCount{"pd:Phone", "", 2}}));
}

TEST_P(UseIndexStoreConformanceTest, ActorDaysBeginAtTheOperatorsMidnight) {
  // 2024-01-01T00:00:00Z, day 19723 since 1970 in UTC.
  const int64_t day = 19723;
  const int64_t midnight = day * 86400;
  auto use = [&](int64_t seq, int64_t seconds, std::string actor, bool allowed,
                 std::string subject) {
    UseRow r = Use(seq, 0, std::move(actor), "read", allowed, std::move(subject), {"pd:Name"});
    r.at = absl::FromUnixSeconds(midnight + seconds);
    return r;
  };
  const int64_t jst_midnight = 15 * 3600;  // 2024-01-02T00:00 JST
  Insert({
      use(1, jst_midnight - 1, "emp:a", true, "sub_1"),
      use(2, jst_midnight - 1, "emp:a", true, "sub_1"),  // the same subject again
      use(3, jst_midnight - 1, "emp:a", false, "sub_2"),
      use(4, jst_midnight, "emp:a", true, "sub_2"),
      use(5, jst_midnight + 1, "emp:a", false, ""),
      use(6, jst_midnight + 1, "emp:b", true, "sub_3"),
  });
  const absl::Time from = absl::FromUnixSeconds(midnight);
  const absl::Time to = absl::FromUnixSeconds(midnight + 86400);
  EXPECT_TRUE(SameRows(uses().ActorDays(from, to, absl::Hours(9)).value(),
                       {ActorDayRow{"emp:a", day, 1, 1}, ActorDayRow{"emp:a", day + 1, 1, 1},
                        ActorDayRow{"emp:b", day + 1, 1, 0}}));
  EXPECT_TRUE(SameRows(uses().ActorDays(from, to, absl::ZeroDuration()).value(),
                       {ActorDayRow{"emp:a", day, 2, 2}, ActorDayRow{"emp:b", day, 1, 0}}));
  // The window is on the time itself: the last second before JST midnight only.
  EXPECT_TRUE(
      SameRows(uses()
                   .ActorDays(from, absl::FromUnixSeconds(midnight + jst_midnight), absl::Hours(9))
                   .value(),
               {ActorDayRow{"emp:a", day, 1, 1}}));
}

TEST_P(UseIndexStoreConformanceTest, UsesByDayCountEntriesAndFlaggedUsesAreListed) {
  const int64_t day = 19723;  // 2024-01-01 in UTC
  const int64_t midnight = day * 86400;
  auto use = [&](int64_t seq, int64_t seconds, bool allowed, std::string subject, bool flagged) {
    UseRow r = Use(seq, 0, "emp:a", "find", allowed, std::move(subject), {"pd:Name"});
    r.at = absl::FromUnixSeconds(midnight + seconds);
    r.flagged_for_audit = flagged;
    r.ground = flagged ? "law" : "none";
    return r;
  };
  const int64_t jst_midnight = 15 * 3600;
  Insert({
      use(1, jst_midnight - 1, true, "sub_1", false),
      use(1, jst_midnight - 1, true, "sub_2", false),  // one find, two subjects: one entry
      use(2, jst_midnight - 1, false, "", true),
      use(3, jst_midnight, true, "sub_3", true),
      use(4, jst_midnight + 5, false, "sub_3", false),
  });
  const absl::Time from = absl::FromUnixSeconds(midnight);
  const absl::Time to = absl::FromUnixSeconds(midnight + 86400);
  std::vector<DayUseCount> days = uses().CountUsesByDay(from, to, absl::Hours(9)).value();
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].day, day);
  EXPECT_EQ(days[0].allowed, 1);
  EXPECT_EQ(days[0].denied, 1);
  EXPECT_EQ(days[1].day, day + 1);
  EXPECT_EQ(days[1].allowed, 1);
  EXPECT_EQ(days[1].denied, 1);
  std::vector<UseRow> flagged = uses().ListFlaggedUses(from, to, 0).value();
  ASSERT_EQ(flagged.size(), 2u);
  EXPECT_EQ(flagged[0].seq, 2);
  EXPECT_EQ(flagged[1].seq, 3);
  EXPECT_EQ(flagged[1].ground, "law");
  EXPECT_EQ(uses().ListFlaggedUses(from, to, 1).value().size(), 1u);
  // `to` is exclusive.
  EXPECT_EQ(uses()
                .ListFlaggedUses(from, absl::FromUnixSeconds(midnight + jst_midnight), 0)
                .value()
                .size(),
            1u);
}

TEST_P(UseIndexStoreConformanceTest, SummarizeUsesAgreesWithTheSeparateCounts) {
  const int64_t day = 19723;
  const int64_t midnight = day * 86400;
  auto use = [&](int64_t seq, int64_t seconds, std::string actor, bool allowed, std::string subject,
                 std::string rule) {
    UseRow r = Use(seq, 0, std::move(actor), "find", allowed, std::move(subject), {"pd:Name"});
    r.at = absl::FromUnixSeconds(midnight + seconds);
    r.rule_id = std::move(rule);
    return r;
  };
  const int64_t jst_midnight = 15 * 3600;
  Insert({
      use(1, 10, "emp:a", true, "sub_1", "appi.18.1"),
      use(1, 10, "emp:a", true, "sub_2", "appi.18.1"),  // one entry, two subjects
      use(2, 20, "emp:a", true, "sub_1", "appi.18.1"),
      use(3, 30, "emp:a", false, "sub_3", "appi.23"),
      use(4, jst_midnight + 5, "emp:a", false, "", "appi.23"),
      use(5, jst_midnight + 6, "emp:b", true, "sub_4", "appi.18.1"),
      use(6, 86400 * 3, "emp:b", true, "sub_5", "appi.18.1"),  // outside the window
  });
  const absl::Time from = absl::FromUnixSeconds(midnight);
  const absl::Time to = absl::FromUnixSeconds(midnight + 86400);
  UseSummary summary = uses().SummarizeUses(from, to, absl::Hours(9)).value();
  auto sorted = [](std::vector<UseCount> v) {
    std::sort(v.begin(), v.end(), [](const UseCount& a, const UseCount& b) {
      return std::tie(a.key, a.key2) < std::tie(b.key, b.key2);
    });
    return v;
  };
  auto same_counts = [&](const std::vector<UseCount>& a, const std::vector<UseCount>& b) {
    std::vector<UseCount> x = sorted(a), y = sorted(b);
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (x[i].key != y[i].key || x[i].key2 != y[i].key2 || x[i].count != y[i].count) return false;
    }
    return true;
  };
  EXPECT_TRUE(same_counts(summary.by_rule, uses().CountUses("", from, to, "rule_id").value()));
  EXPECT_TRUE(same_counts(summary.by_actor, uses().CountUses("", from, to, "actor").value()));
  std::vector<DayUseCount> days = uses().CountUsesByDay(from, to, absl::Hours(9)).value();
  ASSERT_EQ(summary.by_day.size(), days.size());
  for (size_t i = 0; i < days.size(); ++i) {
    EXPECT_EQ(summary.by_day[i].day, days[i].day);
    EXPECT_EQ(summary.by_day[i].allowed, days[i].allowed);
    EXPECT_EQ(summary.by_day[i].denied, days[i].denied);
  }
  EXPECT_TRUE(SameRows(summary.actor_days, uses().ActorDays(from, to, absl::Hours(9)).value()));
  EXPECT_TRUE(SameRows(summary.actor_days,
                       {ActorDayRow{"emp:a", day, 2, 1}, ActorDayRow{"emp:a", day + 1, 0, 1},
                        ActorDayRow{"emp:b", day + 1, 1, 0}}));
}

TEST_P(UseIndexStoreConformanceTest, LastUsesPerActorPurposeAndCategory) {
  UseRow other_purpose = Use(4, 40, "emp:a", "read", true, "sub_1", {"pd:Name"});
  other_purpose.purpose = "dpv:B";
  Insert({
      Use(1, 10, "emp:a", "read", true, "sub_1", {"pd:Name", "pd:Phone"}),
      Use(2, 20, "emp:a", "read", true, "sub_2", {"pd:Name"}),
      Use(3, 30, "emp:a", "read", false, "sub_1", {"pd:Phone"}),  // denied: not a use
      other_purpose,
      Use(5, 50, "emp:b", "find", true, "sub_1", {"pd:Phone"}),
  });
  EXPECT_TRUE(SameRows(uses().LastUses().value(),
                       {UseCount{"emp:a", "dpv:A\npd:Name", absl::ToUnixMicros(At(20))},
                        UseCount{"emp:a", "dpv:A\npd:Phone", absl::ToUnixMicros(At(10))},
                        UseCount{"emp:a", "dpv:B\npd:Name", absl::ToUnixMicros(At(40))},
                        UseCount{"emp:b", "dpv:A\npd:Phone", absl::ToUnixMicros(At(50))}}));
}

TEST_P(UseIndexStoreConformanceTest, LastVerifiedHeadIsTheLargest) {
  EXPECT_FALSE(uses().LastVerifiedHead().value().has_value());
  const std::string root_a(32, '\xaa');
  const std::string root_b(32, '\x00');
  ASSERT_TRUE(uses().PutVerifiedHead({10, root_a, At(1)}).ok());
  ASSERT_TRUE(uses().PutVerifiedHead({25, root_b, At(2)}).ok());
  ASSERT_TRUE(uses().PutVerifiedHead({20, root_a, At(3)}).ok());
  auto head = uses().LastVerifiedHead().value();
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->tree_size, 25);
  EXPECT_EQ(head->root_hash, root_b);
  EXPECT_EQ(head->verified_at, At(2));
  // Verifying the same head again records when.
  ASSERT_TRUE(uses().PutVerifiedHead({25, root_b, At(4)}).ok());
  EXPECT_EQ(uses().LastVerifiedHead().value()->verified_at, At(4));
}

TEST_P(UseIndexStoreConformanceTest, UsesCommitAndRollBackWithTheRecordsTransaction) {
  {
    auto tx = store_->records().BeginTransaction();
    ASSERT_TRUE(tx.ok()) << tx.status();
    Insert({Use(1, 10, "emp:a", "read", true, "sub_1", {"pd:Name"})});
    EXPECT_EQ(uses().ListUses("", At(0), At(100), 0).value().size(), 1u);
  }  // dropped without Commit
  EXPECT_TRUE(uses().ListUses("", At(0), At(100), 0).value().empty());
}

class IncidentStoreConformanceTest : public StoreConformanceTest {
 protected:
  static IncidentRow Incident(std::string id, int64_t opened) {
    IncidentRow r;
    r.id = std::move(id);
    r.opened_at = At(opened);
    r.opened_by = "emp:officer";
    r.discovered_at = At(opened - 1);
    r.cause = "unauthorized_access";
    r.suspected = true;
    r.description = "営業端末の紛失";
    r.scope_json = R"({"actor":"emp:a"})";
    r.narrative_json = "{}";
    r.status = "open";
    r.updated_at = At(opened);
    return r;
  }
  IncidentStore& incidents() { return store_->incidents(); }
};

TEST_P(IncidentStoreConformanceTest, IncidentsRoundTripNewestFirst) {
  IncidentStore& is = incidents();
  IncidentRow first = Incident("inc_1", 10);
  first.occurred_at = At(5);
  ASSERT_TRUE(is.InsertIncident(first).ok());
  ASSERT_TRUE(is.InsertIncident(Incident("inc_2", 20)).ok());
  ASSERT_TRUE(is.InsertIncident(Incident("inc_3", 20)).ok());
  EXPECT_EQ(is.InsertIncident(Incident("inc_1", 30)).code(), absl::StatusCode::kAlreadyExists);
  auto got = is.GetIncident("inc_1").value();
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(Fields(*got) == Fields(first));
  EXPECT_FALSE(is.GetIncident("inc_missing").value().has_value());
  EXPECT_TRUE(
      SameRows(is.ListIncidents().value(), {Incident("inc_3", 20), Incident("inc_2", 20), first}));
}

TEST_P(IncidentStoreConformanceTest, UpdateReplacesEveryFieldOfAKnownIncident) {
  IncidentStore& is = incidents();
  ASSERT_TRUE(is.InsertIncident(Incident("inc_1", 10)).ok());
  IncidentRow closed = Incident("inc_1", 10);
  closed.suspected = false;
  closed.occurred_at = At(3);
  closed.narrative_json = R"({"cause":"lost laptop"})";
  closed.status = "closed";
  closed.closed_at = At(40);
  closed.updated_at = At(40);
  ASSERT_TRUE(is.UpdateIncident(closed).ok());
  EXPECT_TRUE(Fields(*is.GetIncident("inc_1").value()) == Fields(closed));
  EXPECT_EQ(is.UpdateIncident(Incident("inc_missing", 10)).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(is.ListIncidents().value().size(), 1u);
}

TEST_P(IncidentStoreConformanceTest, ReplaceSubjectsReplacesTheAffectedSet) {
  IncidentStore& is = incidents();
  ASSERT_TRUE(is.InsertIncident(Incident("inc_1", 10)).ok());
  ASSERT_TRUE(is.InsertIncident(Incident("inc_2", 10)).ok());
  const std::vector<IncidentSubjectRow> before = {
      {"inc_1", "sub_2", {"pd:Name", "pd:Phone"}, false},
      {"inc_1", "sub_1", {"pd:Name"}, true},
  };
  ASSERT_TRUE(is.ReplaceSubjects("inc_1", before).ok());
  ASSERT_TRUE(
      is.ReplaceSubjects("inc_2",
                         std::vector<IncidentSubjectRow>{{"inc_2", "sub_9", {"pd:Health"}, false}})
          .ok());
  EXPECT_TRUE(SameRows(is.ListSubjects("inc_1").value(), {before[1], before[0]}));
  const std::vector<IncidentSubjectRow> after = {{"inc_1", "sub_3", {}, false}};
  ASSERT_TRUE(is.ReplaceSubjects("inc_1", after).ok());
  EXPECT_TRUE(SameRows(is.ListSubjects("inc_1").value(), after));
  EXPECT_EQ(is.ListSubjects("inc_2").value().size(), 1u);
  // A subject twice is refused and leaves the set as it was.
  const std::vector<IncidentSubjectRow> twice = {{"inc_1", "sub_4", {}, false},
                                                 {"inc_1", "sub_4", {}, false}};
  EXPECT_EQ(is.ReplaceSubjects("inc_1", twice).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(SameRows(is.ListSubjects("inc_1").value(), after));
  ASSERT_TRUE(is.ReplaceSubjects("inc_1", {}).ok());
  EXPECT_TRUE(is.ListSubjects("inc_1").value().empty());
}

TEST_P(IncidentStoreConformanceTest, EachKindOfReportIsSubmittedOnce) {
  IncidentStore& is = incidents();
  ASSERT_TRUE(is.InsertIncident(Incident("inc_1", 10)).ok());
  const IncidentReportRow preliminary{"inc_1", "appi_preliminary", At(20), "emp:officer",
                                      "PPC-2024-001"};
  const IncidentReportRow final_report{"inc_1", "appi_final", At(30), "emp:officer", ""};
  ASSERT_TRUE(is.InsertReport(final_report).ok());
  ASSERT_TRUE(is.InsertReport(preliminary).ok());
  EXPECT_EQ(is.InsertReport(preliminary).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(SameRows(is.ListReports("inc_1").value(), {preliminary, final_report}));
  EXPECT_TRUE(is.ListReports("inc_2").value().empty());
}

std::vector<EngineFactory> AllEngines() {
  return {EngineFactory{
      "sqlite", [](const std::string& dir) { return OpenSqliteStore(dir, {.create = true}); }}};
}

std::string EngineName(const ::testing::TestParamInfo<EngineFactory>& param) {
  return param.param.name;
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreConformanceTest, ::testing::ValuesIn(AllEngines()),
                         EngineName);
INSTANTIATE_TEST_SUITE_P(Engines, FactStoreConformanceTest, ::testing::ValuesIn(AllEngines()),
                         EngineName);
INSTANTIATE_TEST_SUITE_P(Engines, RetentionStoreConformanceTest, ::testing::ValuesIn(AllEngines()),
                         EngineName);
INSTANTIATE_TEST_SUITE_P(Engines, ProvisionStoreConformanceTest, ::testing::ValuesIn(AllEngines()),
                         EngineName);
INSTANTIATE_TEST_SUITE_P(Engines, UseIndexStoreConformanceTest, ::testing::ValuesIn(AllEngines()),
                         EngineName);
INSTANTIATE_TEST_SUITE_P(Engines, IncidentStoreConformanceTest, ::testing::ValuesIn(AllEngines()),
                         EngineName);

}  // namespace
}  // namespace mamori::store
