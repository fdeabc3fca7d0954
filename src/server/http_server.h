// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast and Asio C++20
// coroutines, plain or TLS, one I/O thread per core by default. It knows
// nothing of mamori's API: each request goes to a Handler coroutine and its
// response is written back. Bodies over the limit get 413 without reaching
// the handler.
//
//   HttpServer server(options, [&](Request req) -> Awaitable<Response> { ... });
//   RETURN_IF_ERROR(server.Start());       // binds; serves on its own threads
//   server.WaitForSignal();                // SIGTERM / SIGINT
//   server.Shutdown();                     // stop accepting, finish in-flight requests
//
// Thread-safety: Start, WaitForSignal and Shutdown are called from one
// thread; the handler runs on the I/O threads, concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <utility>
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace mamori::server {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
template <typename T>
using Awaitable = boost::asio::awaitable<T>;

// Produces the response to one request. Runs on an I/O thread; it may
// co_await (for example the engine's group commit) without blocking it.
using Handler = std::function<Awaitable<Response>(Request)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see port())
  int threads = 0;       // 0: one per core
  uint64_t body_limit = 1 << 20;
  // A POST to this path (the target before any '?') may send up to
  // large_body_limit bytes instead: the import of a JSONL file.
  std::string large_body_target = "/v1/import";
  uint64_t large_body_limit = 256ull << 20;
  // TLS when both are set (PEM files).
  std::string tls_certificate;
  std::string tls_private_key;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. InvalidArgument for a bad address or TLS
  // file; Unavailable when the port is taken.
  absl::Status Start();
  // The bound port (useful with port 0).
  uint16_t port() const { return port_; }
  bool tls() const { return ssl_context_ != nullptr; }
  // Blocks until SIGTERM or SIGINT, or until Shutdown() from elsewhere.
  void WaitForSignal();
  // Stops accepting, lets in-flight requests finish (up to `grace`), closes
  // idle connections and joins the I/O threads. Idempotent.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(10));

  int64_t in_flight() const { return in_flight_.load(); }

 private:
  Awaitable<void> Accept();
  template <typename Stream>
  Awaitable<void> Serve(Stream& stream);
  Awaitable<void> Session(boost::asio::ip::tcp::socket socket);

  HttpServerOptions options_;
  Handler handler_;
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ssl::context> ssl_context_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> sessions_{0};
  std::mutex signal_mutex_;
  std::condition_variable signal_cv_;
  bool signalled_ = false;
  bool shut_down_ = false;
};

}  // namespace mamori::server
