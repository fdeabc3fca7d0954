// The conformance suite every Store engine must pass. Engines register a
// factory below; the PostgreSQL engine will add its own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

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

INSTANTIATE_TEST_SUITE_P(
    Engines, StoreConformanceTest,
    ::testing::Values(EngineFactory{
        "sqlite", [](const std::string& dir) { return OpenSqliteStore(dir, {.create = true}); }}),
    [](const ::testing::TestParamInfo<EngineFactory>& param) { return param.param.name; });

}  // namespace
}  // namespace mamori::store
