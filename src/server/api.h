// Api: mamori's JSON API under /v1/ (docs/api.md; the OpenAPI 3.1 document
// served at /openapi.json), plus /healthz, /metrics and the public notices
// (/privacy/notice/{service} as HTML, /v1/public/notice/{service} as JSON).
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
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "engine/engine.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "vault/data_directory.h"

namespace mamori::server {

class Api {
 public:
  // `blocking` runs the engine calls that have no asynchronous form.
  // REQUIRES: constructed before serving, while no policy is being loaded
  // (it copies the active policy for the public notices).
  Api(engine::Engine& engine, vault::DataDirectory& dir, Metrics& metrics,
      boost::asio::thread_pool& blocking, std::function<int64_t()> in_flight);

  Awaitable<Response> Handle(Request request);

 private:
  struct Call;
  Awaitable<Response> Route(Call& call);
  // GET /privacy/notice/{service} (`html`) or /v1/public/notice/{service}.
  Response PublicNotice(const Call& call, bool html) const;
  // Makes the policy version just loaded from `toml` the one notices show.
  void PublishPolicy(std::string_view toml, int64_t version);

  engine::Engine& engine_;
  vault::DataDirectory& dir_;
  Metrics& metrics_;
  boost::asio::thread_pool& blocking_;
  std::function<int64_t()> in_flight_;
  // The active policy version, for the public notices. The data directory's
  // policy belongs to the engine's writer thread; notices read this copy,
  // which POST /v1/policy (the only way a version is loaded while serving)
  // replaces. Shared, so a notice being rendered keeps its version alive.
  mutable std::mutex public_policy_mutex_;
  std::shared_ptr<const policy::Policy> public_policy_;  // GUARDED_BY(public_policy_mutex_)
  int64_t public_policy_version_ = 0;                    // GUARDED_BY(public_policy_mutex_)
};

// The OpenAPI 3.1 document served at /openapi.json.
std::string_view OpenApiDocument();

}  // namespace mamori::server
