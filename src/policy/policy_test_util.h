// Helpers shared by the policy tests: where the source tree is, and the
// example policy.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "policy/policy.h"
#include "policy/policy_file.h"

namespace mamori::policy::testing {

// The repository root: $MAMORI_SOURCE_DIR (set by CTest), else the
// directory the test was built from.
inline std::string SourceDir() {
  const char* dir = std::getenv("MAMORI_SOURCE_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return MAMORI_DEFAULT_SOURCE_DIR;
}

inline std::string ExamplePath() { return SourceDir() + "/examples/telecom-operator.toml"; }

// The example policy; fails the test if it does not load.
inline Policy LoadExample() {
  absl::StatusOr<Policy> policy = LoadPolicyFile(ExamplePath());
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : Policy{};
}

}  // namespace mamori::policy::testing
