// RemoteServer: the command line's client for a running `mamori serve`.
// While a server holds a data directory's lock, the data commands send
// their request to it instead of opening the directory (DESIGN.md, "One
// writer"): `mamori read --server URL --token T ...`.
//
//   ASSIGN_OR_RETURN(RemoteServer server, RemoteServer::Create({url, token}));
//   ASSIGN_OR_RETURN(RemoteReply reply, server.Post("/v1/find", body));
//   if (reply.denied) { ... reply.body is the decision ... }
//
// Each call opens one connection (HTTP/1.1, or HTTPS checked against the
// system's certificate store), sends one request and closes it. The token
// goes only into the Authorization header: no message ever shows it.
// Errors the server answers with become a Status whose code follows the
// server's stable error code, so that common::ExitCodeFor gives the exit
// code the direct command would (400/404/409 → 2, 401 → 2, integrity → 4);
// a server that cannot be reached is Unavailable (exit 1).
//
// Thread-compatible: one call at a time per object.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mamori::cli {

struct RemoteOptions {
  std::string url;    // http://HOST[:PORT][/BASE] or https://...
  std::string token;  // the bearer token; never printed
  // HTTPS without checking the certificate (self-signed test servers only).
  bool insecure = false;
};

// A successful answer, or a denial (403 with the decision): a denial is a
// value, not an error (STYLE.md, "Errors").
struct RemoteReply {
  int http_status = 0;
  // The answer (a JSON string holding the page, for a text/html answer);
  // for a denial, the decision alone (or, for a provision, the
  // answer without its error: the decisions of every subject).
  nlohmann::json body;
  bool denied = false;
};

class RemoteServer {
 public:
  // Checks the URL (uriparser): http or https, a host, an optional port and
  // base path; no user information, query or fragment. InvalidArgument
  // naming --server otherwise.
  static absl::StatusOr<RemoteServer> Create(RemoteOptions options);

  // `target` is a path under the base path, with its query if any, e.g.
  // "/v1/ledger/proof?entry=3".
  absl::StatusOr<RemoteReply> Get(std::string_view target) const;
  absl::StatusOr<RemoteReply> Post(std::string_view target, const nlohmann::json& body) const;
  // A body that is not JSON, sent as `content_type` (e.g. the JSON lines of
  // POST /v1/import as application/x-ndjson); the answer is read as Post's.
  absl::StatusOr<RemoteReply> PostText(std::string_view target, std::string body,
                                       std::string_view content_type) const;

  // `text` percent-encoded for use as one path segment (ids typed by hand
  // may hold '/' or '?').
  static std::string Segment(std::string_view text);

  // The server's address as given (scheme, host, port, base path).
  const std::string& url() const { return url_; }

 private:
  RemoteServer() = default;
  absl::StatusOr<RemoteReply> Send(bool post, std::string_view target,
                                   std::optional<std::string> body,
                                   std::string_view content_type) const;

  std::string url_;
  bool tls_ = false;
  std::string host_;
  std::string port_;
  std::string base_path_;  // "" or "/base", without a trailing '/'
  std::string token_;
  bool insecure_ = false;
};

}  // namespace mamori::cli
