// A scratch data directory for benchmarks, initialized from the example
// operator policy and removed when the object dies.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "common/testing/test_files.h"
#include "vault/data_directory.h"

namespace mamori::bench {

class BenchDataDir {
 public:
  BenchDataDir() {
    std::string data = (root_ / "data").string();
    std::string key = (root_ / "data.master.key").string();
    auto init = vault::InitDataDirectory(
        {data, std::string(MAMORI_SOURCE_DIR) + "/examples/telecom-operator.toml", key, "bench"},
        common::SystemClock::Instance(), common::SodiumRandom::Instance());
    if (!init.ok()) throw std::runtime_error(std::string(init.status().message()));
    auto dir = vault::DataDirectory::Open(data, key, vault::DataDirectory::Access::kWrite,
                                          common::SystemClock::Instance(),
                                          common::SodiumRandom::Instance());
    if (!dir.ok()) throw std::runtime_error(std::string(dir.status().message()));
    dir_ = std::move(*dir);
  }
  ~BenchDataDir() { dir_.reset(); }
  vault::DataDirectory& dir() { return *dir_; }
  vault::Vault& vault() { return dir_->vault(); }
  const std::filesystem::path& root() const { return root_; }

 private:
  common::testing::ScopedTempDir temp_;
  const std::filesystem::path& root_ = temp_.path();
  std::unique_ptr<vault::DataDirectory> dir_;
};

}  // namespace mamori::bench
