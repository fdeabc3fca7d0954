// `mamori notice`: the public notices of a service (notice/notice.h) and how
// they change between policy versions (notice/notice_diff.h).
//
//   mamori notice show (--data DIR [--version N] | --policy FILE) --service S
//                      [--lang ja|en] [--format json|html]
//   mamori notice diff --data DIR --from N --to M --service S
//
// `show` prints the notice as JSON (the default) or as an HTML page on
// stdout, from a stored policy version (the latest by default) or from a
// policy file not loaded yet (a preview, naming no version). `diff` prints
// the notice diff as JSON. Notices are public: reading the stored policy
// versions needs the data directory's store only, not the master key, and
// works while a server holds the directory.
#pragma once

#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace CLI {
class App;
}  // namespace CLI

namespace mamori::cli {

// Registers `body` as the action of `command`, as RunCli does for every
// command: a Status becomes a message on stderr and its exit code, a JSON
// value is printed on stdout (null prints nothing).
using CommandAction =
    std::function<void(CLI::App* command, std::function<absl::StatusOr<nlohmann::json>()> body)>;

// Adds `notice show` and `notice diff` to `app`. An HTML notice is written
// to `out`.
void AddNoticeCommands(CLI::App& app, std::ostream& out, const CommandAction& action);

}  // namespace mamori::cli
