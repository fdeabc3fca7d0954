#include "crypto/master_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/testing/test_files.h"

namespace mamori::crypto {
namespace {

class MasterKeyTest : public ::testing::Test {
 protected:
  common::testing::ScopedTempDir dir_;
  std::string path_ = (dir_.path() / "demo.master.key").string();
};

TEST_F(MasterKeyTest, CreateThenReadGivesSameKeyWithMode0600) {
  auto created = CreateMasterKeyFile(path_, common::SodiumRandom::Instance());
  ASSERT_TRUE(created.ok()) << created.status();
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto read = ReadMasterKeyFile(path_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(std::memcmp(read->data(), created->data(), SecretKey::kSize), 0);
}

TEST_F(MasterKeyTest, RefusesToOverwrite) {
  ASSERT_TRUE(CreateMasterKeyFile(path_, common::SodiumRandom::Instance()).ok());
  auto again = CreateMasterKeyFile(path_, common::SodiumRandom::Instance());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(MasterKeyTest, RefusesWorldReadableFile) {
  ASSERT_TRUE(CreateMasterKeyFile(path_, common::SodiumRandom::Instance()).ok());
  ::chmod(path_.c_str(), 0644);
  EXPECT_EQ(ReadMasterKeyFile(path_).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(MasterKeyTest, MissingAndMalformedFiles) {
  EXPECT_EQ(ReadMasterKeyFile(path_).status().code(), absl::StatusCode::kNotFound);
  {
    std::ofstream out(path_);
    out << "not a key\n";
  }
  ::chmod(path_.c_str(), 0600);
  EXPECT_EQ(ReadMasterKeyFile(path_).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mamori::crypto
