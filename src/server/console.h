// The staff console's static files (docs/console.md): the pages (the audit
// dashboard, incidents and alerts, which share one HTML shell) and their
// script, built from web/console and compiled into the binary.
//
// They hold no data and need no token; the page asks for one and sends it,
// as a bearer header, on every /v1 call it makes. Every answer carries a
// strict Content-Security-Policy (own origin only, no inline script),
// `X-Content-Type-Options: nosniff` and `Cache-Control: no-cache`.
//
//   if (auto asset = ConsoleAsset(call.path)) co_return *std::move(asset);
//
// Thread-safe: the files are constants.
#ifndef MAMORI_SERVER_CONSOLE_H_
#define MAMORI_SERVER_CONSOLE_H_

#include <optional>
#include <string_view>

#include "server/http_server.h"

namespace mamori::server {

// The console file at `path` (a request path without its query, such as
// "/console/audit", "/console/incidents" or "/console/alerts"), as a 200 answer; nullopt when
// `path` names none.
std::optional<Response> ConsoleAsset(std::string_view path);

}  // namespace mamori::server

#endif  // MAMORI_SERVER_CONSOLE_H_
