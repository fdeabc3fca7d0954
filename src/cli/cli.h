// The `mamori` command line: one binary with subcommands (DESIGN.md,
// "Command line and API conventions").
//
// Output for machines is JSON on stdout; messages for people go to stderr.
// Exit codes: 0 ok · 2 bad input or usage · 3 denied · 4 integrity failure ·
// 1 anything else (common/status_mapping.h).
#pragma once

#include <iosfwd>

namespace mamori::cli {

// Runs the command line `argv` and returns the process exit code.
int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace mamori::cli
