// A scratch data directory for benchmarks, initialized from the example
// operator policy and removed when the object dies.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "vault/data_directory.h"

namespace mamori::bench {

class BenchDataDir {
 public:
  BenchDataDir() {
    root_ = std::filesystem::temp_directory_path() /
            ("mamori-bench-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
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
  ~BenchDataDir() {
    dir_.reset();
    std::filesystem::remove_all(root_);
  }
  vault::DataDirectory& dir() { return *dir_; }
  vault::Vault& vault() { return dir_->vault(); }
  const std::filesystem::path& root() const { return root_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path root_;
  std::unique_ptr<vault::DataDirectory> dir_;
};

}  // namespace mamori::bench
