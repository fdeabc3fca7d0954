#include "server/http_server.h"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace mamori::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// An idle keep-alive connection is closed after this long.
constexpr auto kIdleTimeout = std::chrono::seconds(30);

Response ErrorResponse(http::status status, unsigned version, std::string_view code,
                       std::string_view message) {
  Response res{status, version};
  res.set(http::field::content_type, "application/json");
  res.body() = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
  res.prepare_payload();
  return res;
}

// Counts a request as in flight for its lifetime.
class InFlight {
 public:
  explicit InFlight(std::atomic<int64_t>& counter) : counter_(counter) { ++counter_; }
  ~InFlight() { --counter_; }

 private:
  std::atomic<int64_t>& counter_;
};

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() { Shutdown(std::chrono::milliseconds(0)); }

absl::Status HttpServer::Start() {
  if (!options_.tls_certificate.empty() || !options_.tls_private_key.empty()) {
    if (options_.tls_certificate.empty() || options_.tls_private_key.empty()) {
      return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
    }
    for (const std::string& path : {options_.tls_certificate, options_.tls_private_key}) {
      if (!std::filesystem::exists(path)) {
        return absl::InvalidArgumentError(fmt::format("cannot read {}", path));
      }
    }
    ssl_context_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ssl_context_->set_options(asio::ssl::context::default_workarounds |
                              asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                              asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    ssl_context_->use_certificate_chain_file(options_.tls_certificate, ec);
    if (!ec)
      ssl_context_->use_private_key_file(options_.tls_private_key, asio::ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          fmt::format("cannot use the TLS certificate or key: {}", ec.message()));
    }
  }
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec) return absl::InvalidArgumentError(fmt::format("--listen: bad address {}", options_.host));
  tcp::endpoint endpoint(address, options_.port);
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
  }
  port_ = acceptor_->local_endpoint().port();
  asio::co_spawn(io_, Accept(), asio::detached);
  int threads = options_.threads > 0 ? options_.threads
                                     : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(threads, 1);
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "mamori-http");  // for top -H and perf
      io_.run();
    });
  }
  return absl::OkStatus();
}

Awaitable<void> HttpServer::Accept() {
  while (!stopping_) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor_->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      continue;  // a failed accept (e.g. too many files) must not stop the server
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
  }
}

Awaitable<void> HttpServer::Session(tcp::socket socket) {
  ++sessions_;
  struct Done {
    std::atomic<int64_t>& sessions;
    ~Done() { --sessions; }
  } done{sessions_};
  try {
    if (ssl_context_) {
      beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)),
                                                  *ssl_context_);
      beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
      co_await stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
      co_await Serve(stream);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
      boost::system::error_code ec;
      co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    } else {
      beast::tcp_stream stream(std::move(socket));
      co_await Serve(stream);
      boost::system::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  } catch (const boost::system::system_error&) {
    // The peer went away or timed out: nothing to answer.
  }
}

template <typename Stream>
Awaitable<void> HttpServer::Serve(Stream& stream) {
  beast::flat_buffer buffer;
  while (!stopping_) {
    http::request_parser<http::string_body> parser;
    // The header is read under the larger of the two limits; the one that
    // applies is known once the target is.
    parser.body_limit(options_.large_body_target.empty()
                          ? options_.body_limit
                          : std::max(options_.body_limit, options_.large_body_limit));
    beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
    boost::system::error_code ec;
    // The header first: a body over the limit is refused from its
    // Content-Length alone, and a client that sent "Expect: 100-continue"
    // is told to go on (rather than waiting out its own timeout).
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    uint64_t body_limit = options_.body_limit;
    if (!ec || ec == http::error::body_limit) {
      std::string_view target(parser.get().target().data(), parser.get().target().size());
      target = target.substr(0, target.find('?'));
      if (!options_.large_body_target.empty() && parser.get().method() == http::verb::post &&
          target == options_.large_body_target) {
        body_limit = options_.large_body_limit;
      }
    }
    if (!ec) {
      parser.body_limit(body_limit);  // for a chunked body
      if (parser.content_length() && *parser.content_length() > body_limit) {
        ec = http::error::body_limit;
      }
    }
    if (!ec && !parser.is_done() &&
        beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
      co_await http::async_write(stream, go_on, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ec && !parser.is_done()) {
      co_await http::async_read(stream, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout) co_return;
    if (ec == http::error::body_limit) {
      Response res = ErrorResponse(http::status::payload_too_large, 11, "payload_too_large",
                                   fmt::format("the body is over {} bytes", body_limit));
      res.keep_alive(false);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    if (ec) {
      if (ec != asio::error::operation_aborted && ec != asio::error::connection_reset &&
          ec != asio::error::eof) {
        Response res = ErrorResponse(http::status::bad_request, 11, "bad_request",
                                     "the request is not valid HTTP/1.1");
        res.keep_alive(false);
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      }
      co_return;
    }
    Request req = parser.release();
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    Response res;
    {
      InFlight counted(in_flight_);
      beast::get_lowest_layer(stream).expires_never();
      // A named awaitable: GCC 12 destroys temporaries of a co_await
      // expression twice (GCC bug 100611).
      Awaitable<Response> handled = handler_(std::move(req));
      res = co_await std::move(handled);
    }
    res.version(version);
    res.keep_alive(keep_alive && !stopping_);
    res.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
    co_await http::async_write(stream, res, asio::use_awaitable);
    if (!res.keep_alive()) co_return;
  }
}

void HttpServer::WaitForSignal() {
  asio::io_context signals_io;
  asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    std::lock_guard<std::mutex> lock(signal_mutex_);
    signalled_ = true;
    signal_cv_.notify_all();
  });
  std::thread signal_thread([&] { signals_io.run(); });
  {
    std::unique_lock<std::mutex> lock(signal_mutex_);
    signal_cv_.wait(lock, [this] { return signalled_; });
  }
  signals_io.stop();
  signal_thread.join();
}

void HttpServer::Shutdown(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(signal_mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    signalled_ = true;
    signal_cv_.notify_all();
  }
  stopping_ = true;
  if (acceptor_) {
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_->close(ec);
    });
  }
  // In-flight requests finish and are answered (with Connection: close);
  // idle connections then end at their next read.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Give the answers a moment to be written before the loop stops.
  const auto write_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (sessions_.load() > 0 && std::chrono::steady_clock::now() < write_deadline &&
         grace.count() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  io_.stop();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace mamori::server
