#include "vault/data_directory.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "crypto/master_key.h"
#include "vault/test_data_dir.h"

namespace mamori::vault {
namespace {

namespace fs = std::filesystem;
using testing::DataDirTest;
using testing::SourcePath;

class DataDirectoryTest : public DataDirTest {};

TEST_F(DataDirectoryTest, InitWritesMasterKeyOutsideWithMode0600) {
  struct stat st {};
  ASSERT_EQ(::stat(master_key_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_FALSE(fs::path(master_key_).string().starts_with(data_dir_ + "/"));
  EXPECT_TRUE(fs::exists(fs::path(data_dir_) / "records.db"));
  EXPECT_TRUE(fs::exists(fs::path(data_dir_) / "keys.db"));
  EXPECT_EQ(dir_->policy_version(), 1);
}

TEST_F(DataDirectoryTest, DefaultMasterKeyPathSitsBesideTheDirectory) {
  EXPECT_EQ(DefaultMasterKeyPath("/srv/mamori"), "/srv/mamori.master.key");
  EXPECT_EQ(DefaultMasterKeyPath("/srv/mamori/"), "/srv/mamori.master.key");
  EXPECT_EQ(DefaultMasterKeyPath("data"), "data.master.key");
}

TEST_F(DataDirectoryTest, InitRefusesToOverwrite) {
  auto again = InitDataDirectory(
      {data_dir_, SourcePath("src/vault/testdata/small-policy.toml"), (root_ / "k2").string(), "a"},
      clock_, common::SodiumRandom::Instance());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  auto same_key =
      InitDataDirectory({(root_ / "other").string(),
                         SourcePath("src/vault/testdata/small-policy.toml"), master_key_, "a"},
                        clock_, common::SodiumRandom::Instance());
  EXPECT_EQ(same_key.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(fs::exists(root_ / "other"));
}

TEST_F(DataDirectoryTest, InitRefusesMasterKeyInsideTheDirectory) {
  std::string dir = (root_ / "inside").string();
  auto r = InitDataDirectory(
      {dir, SourcePath("src/vault/testdata/small-policy.toml"), dir + "/master.key", "a"}, clock_,
      common::SodiumRandom::Instance());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(DataDirectoryTest, InitWithBadPolicyLeavesNothing) {
  fs::path bad = root_ / "bad.toml";
  {
    std::ofstream out(bad);
    out << "[operator]\nname = 1\n";
  }
  std::string dir = (root_ / "fresh").string();
  auto r = InitDataDirectory({dir, bad.string(), dir + ".master.key", "a"}, clock_,
                             common::SodiumRandom::Instance());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_FALSE(fs::exists(dir + ".master.key"));
}

TEST_F(DataDirectoryTest, SecondWriterIsRefusedReaderIsNot) {
  auto second = DataDirectory::Open(data_dir_, master_key_, DataDirectory::Access::kWrite, clock_,
                                    common::SodiumRandom::Instance());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(second.status().message()).find("in use by another mamori process"),
            std::string::npos);
  auto reader = DataDirectory::Open(data_dir_, master_key_, DataDirectory::Access::kReadOnly,
                                    clock_, common::SodiumRandom::Instance());
  EXPECT_TRUE(reader.ok()) << reader.status();
}

TEST_F(DataDirectoryTest, WrongMasterKeyIsIntegrityFailure) {
  dir_.reset();
  std::string other = (root_ / "other.master.key").string();
  ASSERT_TRUE(crypto::CreateMasterKeyFile(other, common::SodiumRandom::Instance()).ok());
  auto d = DataDirectory::Open(data_dir_, other, DataDirectory::Access::kReadOnly, clock_,
                               common::SodiumRandom::Instance());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(DataDirectoryTest, PolicyLoadAddsVersionAndNewRecordsCarryIt) {
  auto before = vault().AddSubject({.contract = "C1"}, {{"pd:Name", "mobile", "v1", std::nullopt}});
  ASSERT_TRUE(before.ok());
  std::string text = testing::ReadFileBytes(SourcePath("src/vault/testdata/small-policy.toml"));
  auto same = dir_->LoadPolicy(text, "small-policy.toml", "admin:test");
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_TRUE(same->unchanged);
  EXPECT_EQ(same->version, 1);

  // Version 2 lets the mobile service collect hobbies for service provision.
  std::string changed = text;
  std::string from = R"(categories = ["pd:Name", "pd:TelephoneNumber", "pd:EmailAddress"])";
  changed.replace(
      changed.find(from), from.size(),
      R"(categories = ["pd:Name", "pd:TelephoneNumber", "pd:EmailAddress", "pd:Hobby"])");
  auto loaded = dir_->LoadPolicy(changed, "v2.toml", "admin:test");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_FALSE(loaded->unchanged);
  EXPECT_EQ(loaded->version, 2);
  EXPECT_EQ(dir_->policy_version(), 2);
  EXPECT_NE(loaded->summary.find("purposes"), std::string::npos) << loaded->summary;

  auto after = vault().AddRecord(*before, {"pd:Hobby", "mobile", "tea", std::nullopt});
  ASSERT_TRUE(after.ok()) << after.status();
  auto records = vault().ListRecords(*before).value();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].policy_version, 1);
  EXPECT_EQ(records[1].policy_version, 2);

  // Reopening finds version 2 as current.
  Reopen();
  EXPECT_EQ(dir_->policy_version(), 2);
  auto v1 = dir_->store().records().GetPolicyVersion(1).value();
  EXPECT_EQ(v1->loaded_by, "admin:test");
  EXPECT_EQ(v1->source_sha256, PolicySha256(text));
}

TEST_F(DataDirectoryTest, BadPolicyLoadChangesNothing) {
  auto r = dir_->LoadPolicy("[operator\n", "broken.toml", "admin:test");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dir_->policy_version(), 1);
  EXPECT_FALSE(dir_->store().records().GetPolicyVersion(2).value().has_value());
}

// Art. 27(6): the joint users of data already held cannot be widened.
TEST_F(DataDirectoryTest, PolicyLoadRefusesWideningAJointUse) {
  const std::string example = testing::ReadFileBytes(SourcePath("examples/telecom-operator.toml"));
  const std::string users = R"(users = ["mirai-shop", "mirai-finance"])";
  ASSERT_NE(example.find(users), std::string::npos);
  std::string narrow = example;
  narrow.replace(narrow.find(users), users.size(), R"(users = ["mirai-shop"])");
  auto v2 = dir_->LoadPolicy(narrow, "v2.toml", "admin:test");
  ASSERT_TRUE(v2.ok()) << v2.status();

  auto v3 = dir_->LoadPolicy(example, "v3.toml", "admin:test");
  EXPECT_EQ(v3.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(v3.status().message().find("users cannot be widened"), std::string::npos)
      << v3.status();
  EXPECT_EQ(dir_->policy_version(), 2);
  EXPECT_FALSE(dir_->store().records().GetPolicyVersion(3).value().has_value());
}

}  // namespace
}  // namespace mamori::vault
