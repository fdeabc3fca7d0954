// `mamori supervision` and `mamori audit`: supervision of employees and the
// internal-audit report (docs/supervision.md). Periods are dates in the
// operator's zone (a `--to` date includes that day) or RFC 3339 times.
//
//   mamori supervision activity --data DIR --actor A [--from T] [--to T]
//   mamori supervision alerts --data DIR [--from T] [--to T]
//   mamori supervision open-incident --data DIR --alert ID --cause C --description TEXT
//   mamori supervision training --data DIR
//   mamori supervision access-review --data DIR
//   mamori audit report --data DIR [--from DATE --to DATE] [--html FILE] [--lang ja|en]
//
// Every command also runs through a server (`--server URL --token T`).
// Without --from, a period is the 30 days up to --to (default now).
#pragma once

#include "cli/provision_commands.h"

namespace mamori::cli {

// Adds `supervision` and `audit` to `app`.
void AddAuditCommands(CLI::App& app, CommandHost& host);

}  // namespace mamori::cli
