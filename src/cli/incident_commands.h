// `mamori incident`: leakage incidents (docs/incidents.md). The affected set
// comes from the ledger; the officer adds what only they know.
//
//   mamori incident open --data DIR --description TEXT --cause C
//                  [--discovered DATE|TIME] [--occurred DATE|TIME] [--suspected]
//                  [--actor A --from T --to T] [--recipient R --from T --to T]
//                  [--subject S ...] [--service SV [--category C ...] [--encrypted-without-keys]]
//   mamori incident scope --data DIR --id I (the same scope options)
//   mamori incident list|show|subjects|timeline --data DIR [--id I]
//   mamori incident narrative --data DIR --id I [--secondary-damage T] [--response T]
//                  [--publication T] [--recurrence-prevention T] [--other T] [--inquiry-desk T]
//   mamori incident report --data DIR --id I --kind K [--submitted DATE|TIME] [--reference R]
//   mamori incident draft --data DIR --id I --kind K [--lang ja|en] [--html]
//   mamori incident notices --data DIR --id I --actor A [--purpose P] [--lang ja|en]
//   mamori incident close --data DIR --id I
//
// Every command also runs through a server (`--server URL --token T`),
// where the token's actor acts.
#pragma once

#include "cli/provision_commands.h"

namespace mamori::cli {

// Adds `incident` to `app`.
void AddIncidentCommands(CLI::App& app, CommandHost& host);

}  // namespace mamori::cli
