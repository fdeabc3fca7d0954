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
#include "common/testing/test_files.h"
#include "vault/data_directory.h"

namespace mamori::vault::testing {

inline std::string SourcePath(const std::string& relative) {
  const char* root = std::getenv("MAMORI_SOURCE_DIR");
  return (std::filesystem::path(root != nullptr ? root : MAMORI_DEFAULT_SOURCE_DIR) / relative)
      .string();
}

using common::testing::ReadFileBytes;

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = (root_ / "data").string();
    master_key_ = (root_ / "data.master.key").string();
    auto init = InitDataDirectory(
        {data_dir_, SourcePath("src/vault/testdata/small-policy.toml"), master_key_, "admin:test"},
        clock_, common::SodiumRandom::Instance());
    ASSERT_TRUE(init.ok()) << init.status();
    Reopen();
  }
  void TearDown() override { dir_.reset(); }
  void Reopen() {
    dir_.reset();
    auto dir = DataDirectory::Open(data_dir_, master_key_, DataDirectory::Access::kWrite, clock_,
                                   common::SodiumRandom::Instance());
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::move(*dir);
  }
  Vault& vault() { return dir_->vault(); }

  common::FakeClock clock_{absl::FromUnixSeconds(1'775'000'000)};  // 2026-03-31
  common::testing::ScopedTempDir temp_;
  const std::filesystem::path& root_ = temp_.path();
  std::string data_dir_;
  std::string master_key_;
  std::unique_ptr<DataDirectory> dir_;
};

}  // namespace mamori::vault::testing
