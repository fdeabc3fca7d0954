// Policy file: reads and validates the operator's policy written in TOML
// (docs/policy-file.md) and compiles it into a Policy.
//
// Checking reports every problem it finds, each with the file, line and
// column of the offending TOML node, so that a privacy officer can fix a
// whole file in one pass. A Policy comes out only when there is no problem,
// and it comes out indexed (Policy::BuildIndex).
//
//   PolicyCheckResult r = CheckPolicyFile("examples/telecom-operator.toml");
//   for (const PolicyProblem& p : r.problems) std::cerr << p.ToString() << "\n";
//
//   absl::StatusOr<Policy> policy = LoadPolicyFile(path);  // InvalidArgument lists problems
//
// Thread-safety: all functions are thread-safe; they share no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "policy/policy.h"

namespace mamori::policy {

// One thing wrong with a policy file, at a 1-based line and column.
struct PolicyProblem {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;

  // "FILE:LINE:COL: message".
  std::string ToString() const;
  friend bool operator==(const PolicyProblem&, const PolicyProblem&) = default;
};

// The outcome of checking a policy file. `policy` is set if and only if
// `problems` is empty. Problems are sorted by position.
struct PolicyCheckResult {
  std::optional<Policy> policy;
  std::vector<PolicyProblem> problems;
};

// Parses and validates `toml_text`; `source_name` is the file name used in
// problems. A TOML syntax error yields a single problem at its position.
PolicyCheckResult CheckPolicyText(std::string_view toml_text, std::string_view source_name);

// Reads `path` and checks it as CheckPolicyText does. A file that cannot be
// read yields one problem at 1:1.
PolicyCheckResult CheckPolicyFile(const std::string& path);

// Like CheckPolicyText, as a StatusOr: InvalidArgument whose message is every
// problem's ToString() joined by '\n'.
absl::StatusOr<Policy> ParsePolicyText(std::string_view toml_text, std::string_view source_name);

// Like CheckPolicyFile, as a StatusOr: NotFound when the file does not
// exist, FailedPrecondition when it cannot be read, InvalidArgument (as
// ParsePolicyText) when it has problems.
absl::StatusOr<Policy> LoadPolicyFile(const std::string& path);

// Parses an ISO 8601 period of years, months, weeks and days, in that order,
// each at most once: "P6M", "P7Y", "P30D", "P1Y6M", "P2W" (= 14 days).
// Rejects an empty text, time parts ("PT1H"), signs, fractions and a bare
// "P". InvalidArgument says what is wrong.
absl::StatusOr<Period> ParsePeriod(std::string_view iso);

// Orders two periods by their average length in the Gregorian calendar
// (a month is 30.436875 days), so that "P1Y" equals "P12M": negative when
// `a` is shorter than `b`, zero when equal, positive when longer.
int ComparePeriods(const Period& a, const Period& b);

}  // namespace mamori::policy
