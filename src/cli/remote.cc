#include "cli/remote.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <uriparser/Uri.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <utility>

#include "absl/strings/match.h"
#include "common/strings.h"

namespace mamori::cli {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ssl = asio::ssl;
using nlohmann::json;
using tcp = asio::ip::tcp;

// Answers are small JSON documents; a consent list or a proof of a large
// ledger stays far below this.
constexpr uint64_t kBodyLimit = uint64_t{64} << 20;

std::string Text(const UriTextRangeA& range) {
  if (range.first == nullptr) return "";
  return std::string(range.first, range.afterLast);
}

// The Status for an error answer {"error":{"code","message"}}: its code
// follows the server's stable error code (docs/api.md), so that the exit
// code is the one the direct command gives for the same fault.
absl::Status ErrorAnswer(int http_status, const json& body) {
  std::string code, message;
  if (body.is_object()) {
    auto error = body.find("error");
    if (error != body.end() && error->is_object()) {
      if (auto c = error->find("code"); c != error->end() && c->is_string()) code = *c;
      if (auto m = error->find("message"); m != error->end() && m->is_string()) message = *m;
    }
  }
  static const std::pair<std::string_view, absl::StatusCode> kCodes[] = {
      {"invalid_argument", absl::StatusCode::kInvalidArgument},
      {"missing_field", absl::StatusCode::kInvalidArgument},
      {"unknown_field", absl::StatusCode::kInvalidArgument},
      {"wrong_type", absl::StatusCode::kInvalidArgument},
      {"invalid_json", absl::StatusCode::kInvalidArgument},
      {"not_found", absl::StatusCode::kNotFound},
      {"already_exists", absl::StatusCode::kAlreadyExists},
      {"failed_precondition", absl::StatusCode::kFailedPrecondition},
      {"unauthenticated", absl::StatusCode::kUnauthenticated},
      {"forbidden", absl::StatusCode::kPermissionDenied},
      {"unavailable", absl::StatusCode::kUnavailable},
      {"integrity_failure", absl::StatusCode::kDataLoss},
  };
  // Unknown codes: any other 4xx is a fault of the request, 5xx the server's.
  absl::StatusCode status_code = http_status >= 400 && http_status < 500
                                     ? absl::StatusCode::kInvalidArgument
                                     : absl::StatusCode::kInternal;
  for (const auto& [name, mapped] : kCodes) {
    if (code == name) status_code = mapped;
  }
  if (code.empty()) code = "error";
  if (message.empty()) message = "(no message)";
  return absl::Status(status_code,
                      fmt::format("the server answered {} {}: {}", http_status, code, message));
}

}  // namespace

absl::StatusOr<RemoteServer> RemoteServer::Create(RemoteOptions options) {
  const std::string& url = options.url;
  UriUriA uri;
  const char* error_pos = nullptr;
  if (uriParseSingleUriA(&uri, url.c_str(), &error_pos) != URI_SUCCESS) {
    return absl::InvalidArgumentError(
        fmt::format("--server: \"{}\" is not a URL (expected http://HOST:PORT)", url));
  }
  RemoteServer server;
  const std::string scheme = Text(uri.scheme);
  server.host_ = Text(uri.hostText);
  server.port_ = Text(uri.portText);
  const bool has_user_info = uri.userInfo.first != nullptr;
  const bool has_query = uri.query.first != nullptr || uri.fragment.first != nullptr;
  std::string base;
  for (const UriPathSegmentA* seg = uri.pathHead; seg != nullptr; seg = seg->next) {
    const std::string part = Text(seg->text);
    if (!part.empty()) base += "/" + part;
  }
  uriFreeUriMembersA(&uri);

  if (scheme != "http" && scheme != "https") {
    return absl::InvalidArgumentError(
        fmt::format("--server: expected an http:// or https:// URL, not \"{}\"", url));
  }
  if (server.host_.empty()) {
    return absl::InvalidArgumentError(fmt::format("--server: \"{}\" names no host", url));
  }
  if (has_user_info) {
    // Credentials go in --token, never in a URL that ends up in shell
    // history and messages; the URL itself is not repeated here.
    return absl::InvalidArgumentError(
        "--server: a URL with user information is not accepted; give the token with --token");
  }
  if (has_query) {
    return absl::InvalidArgumentError(fmt::format(
        "--server: \"{}\" has a query or fragment; give only the server's address", url));
  }
  server.tls_ = scheme == "https";
  if (server.port_.empty()) server.port_ = server.tls_ ? "443" : "80";
  server.url_ = url;
  server.base_path_ = std::move(base);
  server.token_ = std::move(options.token);
  server.insecure_ = options.insecure;
  return server;
}

std::string RemoteServer::Segment(std::string_view text) {
  std::string out(text.size() * 3 + 1, '\0');
  const char* end =
      uriEscapeExA(text.data(), text.data() + text.size(), out.data(), URI_FALSE, URI_FALSE);
  out.resize(static_cast<size_t>(end - out.data()));
  return out;
}

absl::StatusOr<RemoteReply> RemoteServer::Get(std::string_view target) const {
  return Send(/*post=*/false, target, std::nullopt, "");
}

absl::StatusOr<RemoteReply> RemoteServer::Post(std::string_view target, const json& body) const {
  return Send(/*post=*/true, target, body.dump(), "application/json");
}

absl::StatusOr<RemoteReply> RemoteServer::PostText(std::string_view target, std::string body,
                                                   std::string_view content_type) const {
  return Send(/*post=*/true, target, std::move(body), content_type);
}

absl::StatusOr<RemoteReply> RemoteServer::Send(bool post, std::string_view target,
                                               std::optional<std::string> body,
                                               std::string_view content_type) const {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host_, ec);
  const bool host_is_address = !ec;
  const bool ipv6 = host_is_address && host_.find(':') != std::string::npos;

  http::request<http::string_body> request{post ? http::verb::post : http::verb::get,
                                           base_path_ + std::string(target), 11};
  request.set(http::field::host,
              ipv6 ? fmt::format("[{}]:{}", host_, port_) : fmt::format("{}:{}", host_, port_));
  request.set(http::field::user_agent, "mamori-cli");
  request.set(http::field::accept, "application/json");
  request.set(http::field::authorization, "Bearer " + token_);
  request.keep_alive(false);
  if (body) {
    request.set(http::field::content_type,
                boost::beast::string_view(content_type.data(), content_type.size()));
    request.body() = std::move(*body);
  }
  request.prepare_payload();

  // Each step says what failed; none quotes the request, so the token
  // never reaches a message.
  auto unreachable = [this](std::string_view step, const boost::system::error_code& e) {
    return absl::UnavailableError(
        fmt::format("cannot reach the mamori server at {}: {}: {}", url_, step, e.message()));
  };
  asio::io_context io;
  tcp::resolver resolver(io);
  tcp::resolver::results_type endpoints = resolver.resolve(host_, port_, ec);
  if (ec) return unreachable(fmt::format("cannot resolve {}", host_), ec);

  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  if (tls_) {
    ssl::context context(ssl::context::tls_client);
    if (insecure_) {
      context.set_verify_mode(ssl::verify_none);
    } else {
      context.set_default_verify_paths(ec);
      if (ec) return unreachable("cannot load the system's certificate store", ec);
      context.set_verify_mode(ssl::verify_peer);
      context.set_verify_callback(ssl::host_name_verification(host_));
    }
    ssl::stream<tcp::socket> stream(io, context);
    // Server Name Indication, for names only (RFC 6066 forbids addresses).
    if (!host_is_address && SSL_set_tlsext_host_name(stream.native_handle(), host_.c_str()) != 1) {
      return absl::InternalError("cannot set the TLS server name");
    }
    asio::connect(stream.next_layer(), endpoints, ec);
    if (ec) return unreachable("connect", ec);
    stream.handshake(ssl::stream_base::client, ec);
    if (ec) {
      return unreachable(insecure_ ? "TLS handshake"
                                   : "TLS handshake (for a self-signed test certificate, "
                                     "--insecure skips the check)",
                         ec);
    }
    http::write(stream, request, ec);
    if (ec) return unreachable("sending the request", ec);
    http::read(stream, buffer, parser, ec);
    if (ec) return unreachable("reading the answer", ec);
    // The server closes the connection; a truncated TLS close is harmless here.
    stream.shutdown(ec);
  } else {
    tcp::socket socket(io);
    asio::connect(socket, endpoints, ec);
    if (ec) return unreachable("connect", ec);
    http::write(socket, request, ec);
    if (ec) return unreachable("sending the request", ec);
    http::read(socket, buffer, parser, ec);
    if (ec == http::error::end_of_stream) {
      return unreachable("reading the answer (does the server expect https://?)", ec);
    }
    if (ec) return unreachable("reading the answer", ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

  const http::response<http::string_body>& response = parser.get();
  const int status = static_cast<int>(response.result_int());
  // A page (a report draft, the audit report) comes back as its text.
  if (status == 200 &&
      absl::StartsWith(common::ToAbsl(std::string_view(response[http::field::content_type].data(),
                                                       response[http::field::content_type].size())),
                       "text/html")) {
    return RemoteReply{status, json(response.body()), false};
  }
  json answer = json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded()) {
    return absl::UnknownError(fmt::format(
        "the server at {} answered {} without JSON; is it a mamori server?", url_, status));
  }
  if (status >= 200 && status < 300) return RemoteReply{status, std::move(answer), false};
  // A denial is a decision, not an error: 403 "denied" carries it.
  if (status == 403 && answer.is_object() && answer.contains("decision") &&
      answer["decision"].is_object()) {
    return RemoteReply{status, std::move(answer["decision"]), true};
  }
  // A provision denied for every subject carries each subject's decision.
  if (status == 403 && answer.is_object() && answer.contains("decisions") &&
      answer["decisions"].is_array()) {
    answer.erase("error");
    return RemoteReply{status, std::move(answer), true};
  }
  return ErrorAnswer(status, answer);
}

}  // namespace mamori::cli
