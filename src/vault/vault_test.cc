#include "vault/vault.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <sstream>

#include "vault/test_data_dir.h"

namespace mamori::vault {
namespace {

using policy::IdentifierKind;
using testing::DataDirTest;

class VaultTest : public DataDirTest {};

TEST_F(VaultTest, PhoneFormatsFindTheSameCustomer) {
  auto id = vault().AddSubject({.phone = "090-1234-5678"}, {});
  ASSERT_TRUE(id.ok()) << id.status();
  for (const char* form :
       {"090-1234-5678", "+81 90 1234 5678", "09012345678", "０９０－１２３４－５６７８"}) {
    auto found = vault().FindSubjects(IdentifierKind::kPhone, form);
    ASSERT_TRUE(found.ok()) << form;
    EXPECT_EQ(*found, std::vector<std::string>{*id}) << form;
  }
  EXPECT_TRUE(vault().FindSubjects(IdentifierKind::kPhone, "090-1234-5679")->empty());
}

TEST_F(VaultTest, NameWidthAndCaseVariantsMatch) {
  auto katakana = vault().AddSubject({.name = "ヤマダ タロウ"}, {});
  auto latin = vault().AddSubject({.name = "Yamada Taro"}, {});
  ASSERT_TRUE(katakana.ok() && latin.ok());
  EXPECT_EQ(vault().FindSubjects(IdentifierKind::kName, "ﾔﾏﾀﾞ ﾀﾛｳ").value(),
            std::vector<std::string>{*katakana});
  EXPECT_EQ(vault().FindSubjects(IdentifierKind::kName, "ＹＡＭＡＤＡ　ＴＡＲＯ").value(),
            std::vector<std::string>{*latin});
}

TEST_F(VaultTest, IdentifiersOfDifferentKindsDoNotCollide) {
  auto id = vault().AddSubject({.email = "taro@example.jp"}, {});
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(vault().FindSubjects(IdentifierKind::kContract, "taro@example.jp")->empty());
}

TEST_F(VaultTest, RecordsKeepPurposesPolicyVersionAndRoundTrip) {
  auto subject = vault().AddSubject(
      {.contract = "MT-1"},
      {{"pd:Name", "mobile", "山田 太郎", std::nullopt},
       {"mamori:CallDetailRecord", "mobile", "2026-03-30 10:00 +81312345678 120s",
        absl::FromUnixSeconds(1'774'900'000)}});
  ASSERT_TRUE(subject.ok()) << subject.status();
  auto records = vault().ListRecords(*subject);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].purposes, std::vector<std::string>{"dpv:ServiceProvision"});
  EXPECT_EQ((*records)[0].policy_version, 1);
  EXPECT_EQ((*records)[0].collected_at, clock_.Now());
  EXPECT_EQ((*records)[1].purposes, std::vector<std::string>{"mamori:NetworkOperation"});
  EXPECT_EQ(vault().ReadValue((*records)[0].id).value(), "山田 太郎");
  EXPECT_EQ(vault().ReadValue((*records)[1].id).value(), "2026-03-30 10:00 +81312345678 120s");
  // A name record is indexed like a name identifier.
  EXPECT_EQ(vault().FindSubjects(IdentifierKind::kName, "山田太郎").value(),
            std::vector<std::string>{*subject});
}

TEST_F(VaultTest, KeyBucketsFollowRetentionAnchors) {
  // CDR retention counts from collection: bucket per month, in Tokyo time.
  absl::Time march_31_late_utc = absl::FromUnixSeconds(1'774'998'000);  // 2026-03-31 23:00 UTC
  EXPECT_EQ(vault().KeyBucket({"mamori:NetworkOperation"}, march_31_late_utc), "2026-04");
  // Contract-end retention: one open bucket.
  EXPECT_EQ(vault().KeyBucket({"dpv:ServiceProvision"}, march_31_late_utc), "open");
}

TEST_F(VaultTest, AddRecordChecksPolicy) {
  auto subject = vault().AddSubject({.phone = "09011112222"}, {});
  ASSERT_TRUE(subject.ok());
  struct Case {
    NewRecord record;
    std::string message;
  } cases[] = {
      {{"pd:Unknown", "mobile", "v", std::nullopt}, "category: unknown category \"pd:Unknown\""},
      {{"pd:Name", "fiber", "v", std::nullopt}, "service: unknown service \"fiber\""},
      {{"pd:Hobby", "mobile", "v", std::nullopt},
       "category: service \"mobile\" announces no purpose for \"pd:Hobby\""},
      {{"pd:Name", "mobile", "", std::nullopt}, "value: empty"},
      {{"pd:Name", "mobile", std::string(kMaxValueBytes + 1, 'x'), std::nullopt},
       "value: larger than 65536 bytes"},
      {{"pd:Name", "mobile", "v", clock_.Now() + absl::Hours(1)}, "collected_at: in the future"},
      {{"pd:TelephoneNumber", "mobile", "not-a-phone", std::nullopt},
       "value: phone: not a possible phone number"},
  };
  for (const Case& c : cases) {
    auto r = vault().AddRecord(*subject, c.record);
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(r.status().message()), c.message);
  }
  EXPECT_TRUE(vault().ListRecords(*subject)->empty());
  EXPECT_EQ(
      vault().AddRecord("sub_missing", {"pd:Name", "mobile", "v", std::nullopt}).status().code(),
      absl::StatusCode::kNotFound);
}

TEST_F(VaultTest, FailedSubjectLeavesNothing) {
  auto r = vault().AddSubject(
      {.phone = "09011112222"},
      {{"pd:Name", "mobile", "ok", std::nullopt}, {"pd:Unknown", "mobile", "bad", std::nullopt}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(std::string(r.status().message()),
            "records[1].category: unknown category \"pd:Unknown\"");
  EXPECT_EQ(dir_->store().records().CountSubjects().value(), 0);
  EXPECT_EQ(dir_->store().records().CountRecords().value(), 0);
  EXPECT_TRUE(vault().FindSubjects(IdentifierKind::kPhone, "09011112222")->empty());
  // The vault still works after the rollback.
  EXPECT_TRUE(vault()
                  .AddSubject({.phone = "09011112222"}, {{"pd:Name", "mobile", "ok", std::nullopt}})
                  .ok());
}

TEST_F(VaultTest, CiphertextMovedToAnotherRowFailsToOpen) {
  auto a = vault().AddSubject({.contract = "A"}, {{"pd:Name", "mobile", "Alice", std::nullopt}});
  auto b = vault().AddSubject({.contract = "B"}, {{"pd:Name", "mobile", "Bob", std::nullopt}});
  ASSERT_TRUE(a.ok() && b.ok());
  std::string rec_a = vault().ListRecords(*a).value()[0].id;
  std::string rec_b = vault().ListRecords(*b).value()[0].id;
  dir_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((std::filesystem::path(data_dir_) / "records.db").c_str(), &db),
            SQLITE_OK);
  std::string sql =
      "UPDATE records SET sealed_value = (SELECT sealed_value FROM records WHERE id='" + rec_a +
      "') WHERE id='" + rec_b + "'";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  Reopen();
  EXPECT_EQ(vault().ReadValue(rec_a).value(), "Alice");
  EXPECT_EQ(vault().ReadValue(rec_b).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(VaultTest, NoPlaintextValueReachesAnyFileOnDisk) {
  const std::vector<NewRecord> records = {
      {"pd:Name", "mobile", "PlaintextCanaryName", std::nullopt},
      {"pd:Name", "mobile", "山田花子カナリア", std::nullopt},
      {"pd:EmailAddress", "mobile", "canary.person@example.jp", std::nullopt},
      {"pd:TelephoneNumber", "mobile", "090-8765-4321", std::nullopt},
      {"mamori:CallDetailRecord", "mobile", "CDR canary +81312349876 300s", std::nullopt},
  };
  auto id = vault().AddSubject(
      {.phone = "080-1357-2468", .email = "ident.canary@example.jp", .name = "Identifier Canary"},
      records);
  ASSERT_TRUE(id.ok()) << id.status();
  std::stringstream jsonl;
  jsonl
      << R"({"name":"ImportedCanary","records":[{"category":"pd:Name","service":"mobile","value":"ImportedCanaryValue"}]})"
      << "\n";
  ASSERT_TRUE(vault().Import(jsonl, nullptr).ok());
  dir_.reset();  // close, so everything is on disk

  std::vector<std::string> needles = {"PlaintextCanaryName",
                                      "山田花子カナリア",
                                      "canary.person@example.jp",
                                      "090-8765-4321",
                                      "+819087654321",
                                      "819087654321",
                                      "CDR canary",
                                      "080-1357-2468",
                                      "+818013572468",
                                      "ident.canary@example.jp",
                                      "Identifier Canary",
                                      "identifiercanary",
                                      "ImportedCanary",
                                      "importedcanary"};
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root_)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    std::string bytes = testing::ReadFileBytes(entry.path());
    for (const std::string& needle : needles) {
      EXPECT_EQ(bytes.find(needle), std::string::npos) << needle << " in " << entry.path();
    }
  }
  EXPECT_GE(files, 3);  // records.db, keys.db, the master key at least
}

TEST_F(VaultTest, ImportLoadsEverythingOrNothing) {
  std::stringstream good;
  good
      << R"({"phone":"090-0000-0001","records":[{"category":"pd:Name","service":"mobile","value":"A"}]})"
      << "\n\n"
      << R"({"email":"b@example.jp","records":[{"category":"pd:Name","service":"mobile","value":"B"},{"category":"pd:EmailAddress","service":"mobile","value":"b@example.jp"}]})"
      << "\n";
  int64_t progress_calls = 0;
  auto summary = vault().Import(good, [&](int64_t, int64_t) { ++progress_calls; });
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->lines, 3);
  EXPECT_EQ(summary->subjects, 2);
  EXPECT_EQ(summary->records, 3);
  EXPECT_GE(progress_calls, 1);
  std::string b = vault().FindSubjects(IdentifierKind::kEmail, "B@example.jp").value().at(0);

  std::stringstream bad;
  bad << R"({"phone":"090-0000-0003"})"
      << "\n"
      << R"({"subject":")" << b
      << R"(","records":[{"category":"pd:Name","service":"mobile","value":"B2"}]})"
      << "\n"
      << R"({"phone":"090-0000-0004","records":[{"category":"pd:Hobby","service":"mobile","value":"x"}]})"
      << "\n";
  auto failed = vault().Import(bad, nullptr);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(
      std::string(failed.status().message()),
      "line 3: records[0].category: service \"mobile\" announces no purpose for \"pd:Hobby\"");
  EXPECT_EQ(dir_->store().records().CountSubjects().value(), 2);
  EXPECT_EQ(dir_->store().records().CountRecords().value(), 3);
  EXPECT_TRUE(vault().FindSubjects(IdentifierKind::kPhone, "090-0000-0003")->empty());
  EXPECT_EQ(vault().ListRecords(b)->size(), 2u);
}

TEST_F(VaultTest, ImportSetsTheLanguageOfNewAndExistingSubjects) {
  ASSERT_TRUE(vault().AddSubject({.phone = "090-0000-0009"}, {}).ok());
  std::string existing = vault().FindSubjects(IdentifierKind::kPhone, "090-0000-0009")->at(0);
  std::stringstream lines;
  lines << R"({"phone":"090-0000-0001","language":"en"})"
        << "\n"
        << R"({"phone":"090-0000-0002"})"
        << "\n"
        << R"({"subject":")" << existing << R"(","language":"en"})"
        << "\n";
  auto summary = vault().Import(lines, nullptr);
  ASSERT_TRUE(summary.ok()) << summary.status();
  auto language_of = [&](const std::string& phone) {
    std::string id = vault().FindSubjects(IdentifierKind::kPhone, phone)->at(0);
    return dir_->store().records().GetSubject(id).value()->language;
  };
  EXPECT_EQ(language_of("090-0000-0001"), "en");
  EXPECT_EQ(language_of("090-0000-0002"), "");
  EXPECT_EQ(language_of("090-0000-0009"), "en");

  // A line for an unknown subject fails the import: no language is changed.
  std::stringstream bad;
  bad << R"({"subject":")" << existing << R"(","language":"ja"})"
      << "\n"
      << R"({"subject":"sub_missing","language":"ja"})"
      << "\n";
  ASSERT_FALSE(vault().Import(bad, nullptr).ok());
  EXPECT_EQ(language_of("090-0000-0009"), "en");
}

TEST_F(VaultTest, ImportSpanningManyChunksKeepsOrderAndLineNumbers) {
  // Enough lines for several pipeline chunks (256 lines each).
  auto lines = [](int n, int bad_line) {
    std::stringstream out;
    for (int i = 1; i <= n; ++i) {
      std::string category = i == bad_line ? "pd:Hobby" : "pd:Name";
      out << R"({"contract":"C-)" << i << R"(","records":[{"category":")" << category
          << R"(","service":"mobile","value":"Name )" << i << R"("}]})"
          << "\n";
      if (i % 100 == 0) out << "\n";  // blank lines still count
    }
    return out.str();
  };
  std::stringstream bad(lines(1000, 777));
  auto failed = vault().Import(bad, nullptr);
  ASSERT_FALSE(failed.ok());
  // 777 data lines plus 7 blank lines before it.
  EXPECT_EQ(std::string(failed.status().message()),
            "line 784: records[0].category: service \"mobile\" announces no purpose for "
            "\"pd:Hobby\"");
  EXPECT_EQ(dir_->store().records().CountSubjects().value(), 0);

  std::stringstream good(lines(1000, -1));
  std::vector<int64_t> progress_lines;
  auto summary = vault().Import(good, [&](int64_t, int64_t l) { progress_lines.push_back(l); });
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->subjects, 1000);
  EXPECT_EQ(summary->records, 1000);
  EXPECT_EQ(summary->lines, 1010);
  EXPECT_TRUE(std::is_sorted(progress_lines.begin(), progress_lines.end()));
  EXPECT_EQ(progress_lines.back(), 1010);
  for (int i : {1, 256, 257, 999, 1000}) {
    auto found = vault().FindSubjects(IdentifierKind::kContract, "C-" + std::to_string(i));
    ASSERT_EQ(found->size(), 1u) << i;
    auto records = vault().ListRecords(found->at(0)).value();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(vault().ReadValue(records[0].id).value(), "Name " + std::to_string(i));
  }
}

TEST_F(VaultTest, ImportToUnknownSubjectFails) {
  std::stringstream in(R"({"subject":"sub_nobody","records":[]})");
  auto r = vault().Import(in, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(std::string(r.status().message()), "line 1: subject: sub_nobody not found");
}

}  // namespace
}  // namespace mamori::vault
