// The printable answer to a customer request (docs/requests.md, "The
// result"): the result document the engine made when it executed the
// request, as an HTML page the customer downloads and keeps. A disclosure
// lists every record with its category, service, purposes, collection time
// and value, the consents, the third-party provision records (APPI
// Art. 33(5)) and the stop orders; a notice of purpose lists the purposes
// by service; the other kinds state what was done and what was kept, and
// why.
//
//   std::string page = ResultHtml(view.result, RequestToJson(view.state)["outcome"],
//                                 notice::Language::kJa);
//
// The page loads and runs nothing: the server sends it with a CSP that
// forbids scripts. Thread-safety: pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "notice/notice.h"

namespace mamori::requests {

std::string ResultHtml(const nlohmann::json& result, const nlohmann::json& outcome,
                       notice::Language language);

}  // namespace mamori::requests
