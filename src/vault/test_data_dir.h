// Test fixture: a fresh data directory initialized from
// vault/testdata/small-policy.toml, in a temporary folder, on a fake clock.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "vault/data_directory.h"

namespace mamori::vault::testing {

inline std::string SourcePath(const std::string& relative) {
  const char* root = std::getenv("MAMORI_SOURCE_DIR");
  return (std::filesystem::path(root != nullptr ? root : MAMORI_DEFAULT_SOURCE_DIR) / relative)
      .string();
}

inline std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("mamori-vault-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    data_dir_ = (root_ / "data").string();
    master_key_ = (root_ / "data.master.key").string();
    auto init = InitDataDirectory(
        {data_dir_, SourcePath("src/vault/testdata/small-policy.toml"), master_key_, "admin:test"},
        clock_, common::SodiumRandom::Instance());
    ASSERT_TRUE(init.ok()) << init.status();
    Reopen();
  }
  void TearDown() override {
    dir_.reset();
    std::filesystem::remove_all(root_);
  }
  void Reopen() {
    dir_.reset();
    auto dir = DataDirectory::Open(data_dir_, master_key_, DataDirectory::Access::kWrite, clock_,
                                   common::SodiumRandom::Instance());
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::move(*dir);
  }
  Vault& vault() { return dir_->vault(); }

  common::FakeClock clock_{absl::FromUnixSeconds(1'775'000'000)};  // 2026-03-31
  std::filesystem::path root_;
  std::string data_dir_;
  std::string master_key_;
  std::unique_ptr<DataDirectory> dir_;
};

}  // namespace mamori::vault::testing
