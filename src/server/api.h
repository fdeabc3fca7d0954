// Api: mamori's JSON API under /v1/ (docs/api.md; the OpenAPI 3.1 document
// served at /openapi.json), plus /healthz and /metrics.
//
// Every /v1/ call except /v1/public/... carries a bearer token; its actor is
// the one the decision engine sees. A denied decision is 403 with the
// decision; errors are {"error":{"code","message"}} with a stable code, and
// a request with an error changes nothing. Messages name fields, never
// personal values.
//
//   Api api(engine, dir, metrics, blocking_pool);
//   HttpServer server(options, [&](Request r) { return api.Handle(std::move(r)); });
//
// Thread-safety: Handle runs concurrently on the I/O threads.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <functional>

#include "engine/engine.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "vault/data_directory.h"

namespace mamori::server {

class Api {
 public:
  // `blocking` runs the engine calls that have no asynchronous form.
  Api(engine::Engine& engine, vault::DataDirectory& dir, Metrics& metrics,
      boost::asio::thread_pool& blocking, std::function<int64_t()> in_flight);

  Awaitable<Response> Handle(Request request);

 private:
  struct Call;
  Awaitable<Response> Route(Call& call);

  engine::Engine& engine_;
  vault::DataDirectory& dir_;
  Metrics& metrics_;
  boost::asio::thread_pool& blocking_;
  std::function<int64_t()> in_flight_;
};

// The OpenAPI 3.1 document served at /openapi.json.
std::string_view OpenApiDocument();

}  // namespace mamori::server
