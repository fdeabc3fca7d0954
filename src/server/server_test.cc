// Tests of the HTTP layer (http_server.h) with a trivial handler, driven by
// a Boost.Beast client over loopback: keep-alive, pipelining, Expect:
// 100-continue, the body limit (413 before the handler), malformed requests,
// graceful shutdown of an in-flight request, a taken port; and the
// Prometheus text that Metrics renders (metrics.h). The API itself is tested
// end to end by tests/e2e/server_test.sh.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/http_server.h"
#include "server/metrics.h"

namespace mamori::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using ::testing::HasSubstr;

// A handler that answers 200 with the request's target as the body, after
// `delay` (to keep a request in flight); it counts the requests it sees.
class EchoHandler {
 public:
  explicit EchoHandler(std::chrono::milliseconds delay = std::chrono::milliseconds(0))
      : delay_(delay) {}

  Handler handler() {
    return [this](Request request) { return Handle(std::move(request)); };
  }
  int calls() const { return calls_.load(); }

 private:
  Awaitable<Response> Handle(Request request) {
    ++calls_;
    if (delay_.count() > 0) {
      auto executor = co_await asio::this_coro::executor;
      asio::steady_timer timer(executor, delay_);
      // Named, not a temporary of the co_await expression (GCC 12).
      auto wait = timer.async_wait(asio::use_awaitable);
      co_await std::move(wait);
    }
    Response res{http::status::ok, request.version()};
    res.set(http::field::content_type, "text/plain");
    res.body() = std::string(request.target());
    co_return res;
  }

  std::chrono::milliseconds delay_;
  std::atomic<int> calls_{0};
};

// A blocking HTTP/1.1 client on one connection.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  Response Send(http::verb method, std::string target, std::string body = "") {
    Request req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    if (!body.empty()) req.body() = std::move(body);
    req.prepare_payload();
    http::write(socket_, req);
    return Receive();
  }

  Response Receive() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }

  tcp::socket& socket() { return socket_; }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

HttpServerOptions LoopbackOptions() {
  HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  return options;
}

TEST(HttpServerTest, BindsAnyFreePortWithPortZero) {
  EchoHandler echo;
  HttpServer server(LoopbackOptions(), echo.handler());
  ASSERT_TRUE(server.Start().ok());
  EXPECT_NE(server.port(), 0);
  EXPECT_FALSE(server.tls());
  server.Shutdown();
}

TEST(HttpServerTest, TakenPortIsUnavailable) {
  EchoHandler echo;
  HttpServer first(LoopbackOptions(), echo.handler());
  ASSERT_TRUE(first.Start().ok());
  HttpServerOptions options = LoopbackOptions();
  options.port = first.port();
  HttpServer second(options, echo.handler());
  EXPECT_EQ(second.Start().code(), absl::StatusCode::kUnavailable);
  first.Shutdown();
}

TEST(HttpServerTest, BadAddressIsInvalidArgument) {
  EchoHandler echo;
  HttpServerOptions options = LoopbackOptions();
  options.host = "not-an-address";
  HttpServer server(options, echo.handler());
  EXPECT_EQ(server.Start().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  EchoHandler echo;
  HttpServer server(LoopbackOptions(), echo.handler());
  ASSERT_TRUE(server.Start().ok());
  Client client(server.port());

  Response first = client.Send(http::verb::get, "/first");
  EXPECT_EQ(first.result(), http::status::ok);
  EXPECT_EQ(first.body(), "/first");
  EXPECT_TRUE(first.keep_alive());

  // The same socket: had the server closed it, this would fail.
  Response second = client.Send(http::verb::post, "/second", "{}");
  EXPECT_EQ(second.result(), http::status::ok);
  EXPECT_EQ(second.body(), "/second");
  EXPECT_TRUE(second.keep_alive());
  EXPECT_EQ(echo.calls(), 2);
  server.Shutdown();
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  EchoHandler echo;
  HttpServer server(LoopbackOptions(), echo.handler());
  ASSERT_TRUE(server.Start().ok());
  Client client(server.port());
  const std::string two =
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(client.socket(), asio::buffer(two));
  EXPECT_EQ(client.Receive().body(), "/a");
  EXPECT_EQ(client.Receive().body(), "/b");
  server.Shutdown();
}

TEST(HttpServerTest, ConnectionCloseIsHonoured) {
  EchoHandler echo;
  HttpServer server(LoopbackOptions(), echo.handler());
  ASSERT_TRUE(server.Start().ok());
  Client client(server.port());
  const std::string request = "GET /once HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  asio::write(client.socket(), asio::buffer(request));
  Response res = client.Receive();
  EXPECT_EQ(res.body(), "/once");
  EXPECT_FALSE(res.keep_alive());
  // The server closes its side: the next read ends.
  boost::system::error_code ec;
  char byte;
  client.socket().read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
  server.Shutdown();
}

TEST(HttpServerTest, OversizedBodyIs413WithoutReachingTheHandler) {
  EchoHandler echo;
  HttpServerOptions options = LoopbackOptions();
  options.body_limit = 1024;
  HttpServer server(options, echo.handler());
  ASSERT_TRUE(server.Start().ok());

  // Content-Length over the limit is refused from the header alone, before
  // any of the body is sent.
  Client client(server.port());
  const std::string header = "POST /v1/policy HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n";
  asio::write(client.socket(), asio::buffer(header));
  Response res = client.Receive();
  EXPECT_EQ(res.result(), http::status::payload_too_large);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(res[http::field::content_type], "application/json");
  nlohmann::json body = nlohmann::json::parse(res.body());
  EXPECT_EQ(body["error"]["code"], "payload_too_large");
  EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr("1024"));
  EXPECT_EQ(echo.calls(), 0);

  // A chunked body that grows past the limit is refused too.
  Client chunked(server.port());
  std::string request = "POST /v1/policy HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) request += "200\r\n" + std::string(512, 'y') + "\r\n";
  request += "0\r\n\r\n";
  asio::write(chunked.socket(), asio::buffer(request));
  EXPECT_EQ(chunked.Receive().result(), http::status::payload_too_large);
  EXPECT_EQ(echo.calls(), 0);

  // At the limit is fine.
  Client exact(server.port());
  EXPECT_EQ(exact.Send(http::verb::post, "/ok", std::string(1024, 'x')).result(), http::status::ok);
  EXPECT_EQ(echo.calls(), 1);
  server.Shutdown();
}

TEST(HttpServerTest, TheLargeBodyTargetTakesTheLargerLimit) {
  EchoHandler echo;
  HttpServerOptions options = LoopbackOptions();
  options.body_limit = 1024;
  options.large_body_target = "/v1/import";
  options.large_body_limit = 4096;
  HttpServer server(options, echo.handler());
  ASSERT_TRUE(server.Start().ok());

  // Over body_limit, under large_body_limit: accepted on the large target
  // (a query string does not change the path)...
  Client large(server.port());
  EXPECT_EQ(large.Send(http::verb::post, "/v1/import?x=1", std::string(2048, 'x')).result(),
            http::status::ok);
  EXPECT_EQ(echo.calls(), 1);

  // ...still 413 elsewhere, and for another method on the large target.
  for (const std::string method : {"POST /v1/policy", "PUT /v1/import"}) {
    Client elsewhere(server.port());
    const std::string header = method + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n";
    asio::write(elsewhere.socket(), asio::buffer(header));
    Response res = elsewhere.Receive();
    EXPECT_EQ(res.result(), http::status::payload_too_large) << method;
    EXPECT_THAT(nlohmann::json::parse(res.body())["error"]["message"].get<std::string>(),
                HasSubstr("1024"));
  }
  EXPECT_EQ(echo.calls(), 1);

  // Over large_body_limit on the large target: 413 naming that limit.
  Client too_large(server.port());
  const std::string header = "POST /v1/import HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n\r\n";
  asio::write(too_large.socket(), asio::buffer(header));
  Response res = too_large.Receive();
  EXPECT_EQ(res.result(), http::status::payload_too_large);
  nlohmann::json body = nlohmann::json::parse(res.body());
  EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr("4096"));
  EXPECT_EQ(echo.calls(), 1);
  server.Shutdown();
}

TEST(HttpServerTest, ExpectContinueIsAnswered) {
  EchoHandler echo;
  HttpServer server(LoopbackOptions(), echo.handler());
  ASSERT_TRUE(server.Start().ok());
  Client client(server.port());
  const std::string header =
      "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n";
  asio::write(client.socket(), asio::buffer(header));
  // 100 Continue comes before the body is sent (a client would otherwise
  // wait out its own timeout).
  boost::beast::flat_buffer buffer;
  http::response_parser<http::empty_body> interim;
  http::read_header(client.socket(), buffer, interim);
  EXPECT_EQ(interim.get().result(), http::status::continue_);
  EXPECT_EQ(echo.calls(), 0);
  const std::string body = "{}";
  asio::write(client.socket(), asio::buffer(body));
  http::response_parser<http::string_body> final_parser;
  http::read(client.socket(), buffer, final_parser);
  EXPECT_EQ(final_parser.get().result(), http::status::ok);
  EXPECT_EQ(final_parser.get().body(), "/later");

  // Over the limit, the answer is 413 straight away, not 100.
  Client big(server.port());
  const std::string too_big =
      "POST /v1/policy HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n"
      "Expect: 100-continue\r\n\r\n";
  asio::write(big.socket(), asio::buffer(too_big));
  EXPECT_EQ(big.Receive().result(), http::status::payload_too_large);
  EXPECT_EQ(echo.calls(), 1);
  server.Shutdown();
}

TEST(HttpServerTest, MalformedRequestIs400) {
  EchoHandler echo;
  HttpServer server(LoopbackOptions(), echo.handler());
  ASSERT_TRUE(server.Start().ok());
  Client client(server.port());
  const std::string garbage = "NOT HTTP AT ALL\r\n\r\n";
  asio::write(client.socket(), asio::buffer(garbage));
  Response res = client.Receive();
  EXPECT_EQ(res.result(), http::status::bad_request);
  EXPECT_EQ(nlohmann::json::parse(res.body())["error"]["code"], "bad_request");
  EXPECT_EQ(echo.calls(), 0);
  server.Shutdown();
}

TEST(HttpServerTest, ShutdownAnswersTheRequestInFlight) {
  EchoHandler echo(std::chrono::milliseconds(300));
  HttpServer server(LoopbackOptions(), echo.handler());
  ASSERT_TRUE(server.Start().ok());
  const uint16_t port = server.port();
  Response res;
  std::thread client_thread([&] {
    Client client(port);
    res = client.Send(http::verb::post, "/slow", "{}");
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server.in_flight() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(server.in_flight(), 1);
  server.Shutdown();
  client_thread.join();
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res.body(), "/slow");
  EXPECT_FALSE(res.keep_alive()) << "a stopping server closes the connection";
  EXPECT_EQ(server.in_flight(), 0);

  // And it accepts no more.
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_TRUE(ec) << "connected after shutdown";
}

TEST(HttpServerTest, ShutdownIsIdempotent) {
  EchoHandler echo;
  HttpServer server(LoopbackOptions(), echo.handler());
  ASSERT_TRUE(server.Start().ok());
  server.Shutdown();
  server.Shutdown();
}

TEST(HttpServerTest, ShutdownEndsWaitForSignal) {
  EchoHandler echo;
  HttpServer server(LoopbackOptions(), echo.handler());
  ASSERT_TRUE(server.Start().ok());
  std::thread waiter([&] { server.WaitForSignal(); });
  server.Shutdown();
  waiter.join();
}

// --- Metrics ---

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(MetricsTest, RendersThePrometheusTextFormat) {
  Metrics metrics;
  metrics.ObserveRequest("GET /healthz", 200, absl::Microseconds(50));
  metrics.ObserveRequest("GET /healthz", 200, absl::Microseconds(300));
  metrics.ObserveRequest("POST /v1/read", 403, absl::Milliseconds(2));
  metrics.ObserveRequest("POST /v1/read", 200, absl::Seconds(3));  // beyond the last bucket
  metrics.ObserveDecision("deny", "training_missing");
  metrics.ObserveDecision("deny", "training_missing");
  metrics.ObserveDecision("allow", "allowed");
  const std::string text = metrics.Render(42, 3);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');

  // Every line is a comment or a sample `name{labels} value`.
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*",?)*\})? [-+0-9.eE]+(Inf)?$)");
  const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  for (const std::string& line : Lines(text)) {
    EXPECT_TRUE(std::regex_match(line, sample) || std::regex_match(line, comment)) << line;
  }

  // Each family is announced with HELP and TYPE.
  for (const char* family :
       {"# TYPE mamori_http_requests_total counter",
        "# TYPE mamori_http_request_duration_seconds histogram",
        "# TYPE mamori_decisions_total counter", "# TYPE mamori_ledger_entries gauge",
        "# TYPE mamori_http_requests_in_flight gauge", "# HELP mamori_http_requests_total ",
        "# HELP mamori_decisions_total ", "# HELP mamori_ledger_entries "}) {
    EXPECT_THAT(text, HasSubstr(family));
  }
  EXPECT_THAT(text,
              HasSubstr("mamori_http_requests_total{route=\"GET /healthz\",status=\"200\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("mamori_http_requests_total{route=\"POST /v1/read\",status=\"403\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("mamori_http_requests_total{route=\"POST /v1/read\",status=\"200\"} 1\n"));
  EXPECT_THAT(
      text, HasSubstr("mamori_decisions_total{outcome=\"deny\",reason=\"training_missing\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("mamori_decisions_total{outcome=\"allow\",reason=\"allowed\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("mamori_ledger_entries 42\n"));
  EXPECT_THAT(text, HasSubstr("mamori_http_requests_in_flight 3\n"));

  // Histogram buckets are cumulative and end with +Inf equal to the count.
  const std::string route = "route=\"GET /healthz\"";
  EXPECT_THAT(text, HasSubstr("mamori_http_request_duration_seconds_bucket{" + route +
                              ",le=\"0.0001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("mamori_http_request_duration_seconds_bucket{" + route +
                              ",le=\"0.00025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("mamori_http_request_duration_seconds_bucket{" + route +
                              ",le=\"0.0005\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("mamori_http_request_duration_seconds_bucket{" + route + ",le=\"1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("mamori_http_request_duration_seconds_bucket{" + route +
                              ",le=\"+Inf\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("mamori_http_request_duration_seconds_count{" + route + "} 2\n"));
  const std::regex sum(
      R"re(mamori_http_request_duration_seconds_sum\{route="GET /healthz"\} ([0-9.e+-]+)\n)re");
  std::smatch sum_match;
  ASSERT_TRUE(std::regex_search(text, sum_match, sum));
  EXPECT_NEAR(std::stod(sum_match[1]), 0.00035, 1e-12);
  const std::string read = "route=\"POST /v1/read\"";
  EXPECT_THAT(text,
              HasSubstr("mamori_http_request_duration_seconds_bucket{" + read + ",le=\"1\"} 1\n"))
      << "the 3 s request is only under +Inf";
  EXPECT_THAT(
      text, HasSubstr("mamori_http_request_duration_seconds_bucket{" + read + ",le=\"+Inf\"} 2\n"));

  // Buckets never decrease within a histogram.
  const std::regex bucket(
      R"re(^mamori_http_request_duration_seconds_bucket\{route="([^"]*)",le="[^"]*"\} (\d+)$)re");
  std::map<std::string, uint64_t> last;
  for (const std::string& line : Lines(text)) {
    std::smatch m;
    if (!std::regex_match(line, m, bucket)) continue;
    const uint64_t v = std::stoull(m[2]);
    EXPECT_GE(v, last[m[1]]) << line;
    last[m[1]] = v;
  }
  EXPECT_EQ(last.size(), 2u);
}

TEST(MetricsTest, EmptyMetricsStillReportTheGauges) {
  Metrics metrics;
  const std::string text = metrics.Render(0, 0);
  EXPECT_THAT(text, HasSubstr("mamori_ledger_entries 0\n"));
  EXPECT_THAT(text, HasSubstr("mamori_http_requests_in_flight 0\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("mamori_http_requests_total{")));
}

}  // namespace
}  // namespace mamori::server
