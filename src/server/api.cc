#include "server/api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <uriparser/Uri.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "audit/report.h"
#include "audit/supervision.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "engine/consent_receipt.h"
#include "engine/json_views.h"
#include "incident/incident.h"
#include "incident/reports.h"
#include "ledger/proof.h"
#include "ledger/verify.h"
#include "notice/notice.h"
#include "policy/policy_file.h"
#include "requests/document.h"
#include "requests/request.h"
#include "server/console.h"

namespace mamori::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using engine::ConsentJson;
using engine::DecisionJson;
using nlohmann::json;

// An error answer: HTTP status, stable code, message naming fields only.
struct ApiError {
  http::status status;
  std::string code;
  std::string message;
};

ApiError FromStatus(const absl::Status& s) {
  std::string message(common::FromAbsl(s.message()));
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return {http::status::bad_request, "invalid_argument", message};
    case absl::StatusCode::kNotFound:
      return {http::status::not_found, "not_found", message};
    case absl::StatusCode::kAlreadyExists:
      return {http::status::conflict, "already_exists", message};
    case absl::StatusCode::kFailedPrecondition:
      return {http::status::conflict, "failed_precondition", message};
    case absl::StatusCode::kUnauthenticated:
      return {http::status::unauthorized, "unauthenticated", message};
    case absl::StatusCode::kPermissionDenied:
      return {http::status::forbidden, "forbidden", message};
    case absl::StatusCode::kResourceExhausted:
      return {http::status::too_many_requests, "rate_limited", message};
    case absl::StatusCode::kUnavailable:
      return {http::status::service_unavailable, "unavailable", message};
    case absl::StatusCode::kDataLoss:
      return {http::status::internal_server_error, "integrity_failure", message};
    default:
      return {http::status::internal_server_error, "internal", "internal error"};
  }
}

Response JsonResponse(http::status status, const json& body) {
  Response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = body.dump();
  return res;
}

Response ErrorResponse(const ApiError& e, std::optional<json> extra = std::nullopt) {
  json body = {{"error", {{"code", e.code}, {"message", e.message}}}};
  if (extra) body.update(*extra);
  Response res = JsonResponse(e.status, body);
  if (e.status == http::status::unauthorized) res.set(http::field::www_authenticate, "Bearer");
  return res;
}

// A printable page made by mamori (a report draft, the audit report): it
// loads and runs nothing, which the browser is told.
Response HtmlPage(std::string page) {
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/html; charset=utf-8");
  res.set("Content-Security-Policy",
          "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
          "frame-ancestors 'none'");
  res.set("X-Content-Type-Options", "nosniff");
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(page);
  return res;
}

// Reads a JSON object body field by field, so that unknown, missing and
// mistyped fields are all reported (400) before anything is done.
class Body {
 public:
  explicit Body(json object) : object_(std::move(object)) {}

  std::optional<ApiError> error() const { return error_; }

  std::string RequiredString(std::string_view field) {
    std::optional<std::string> v = OptionalString(field);
    if (!v && !error_) Fail("missing_field", fmt::format("{}: required", field));
    return v.value_or("");
  }
  std::optional<std::string> OptionalString(std::string_view field) {
    const json* v = Take(field);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) return WrongType(field, "a string"), std::nullopt;
    return v->get<std::string>();
  }
  std::optional<bool> OptionalBool(std::string_view field) {
    const json* v = Take(field);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) return WrongType(field, "true or false"), std::nullopt;
    return v->get<bool>();
  }
  std::optional<int64_t> OptionalInteger(std::string_view field) {
    const json* v = Take(field);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number_integer()) return WrongType(field, "an integer"), std::nullopt;
    return v->get<int64_t>();
  }
  // An object field as it is, for an engine parser that names its own
  // fields (an incident's scope or narrative).
  std::optional<json> OptionalObject(std::string_view field) {
    const json* v = Take(field);
    if (v == nullptr) return std::nullopt;
    if (!v->is_object()) return WrongType(field, "an object"), std::nullopt;
    return *v;
  }
  std::vector<std::string> RequiredStrings(std::string_view field) {
    const json* v = Take(field);
    if (v == nullptr) {
      if (!error_) Fail("missing_field", fmt::format("{}: required", field));
      return {};
    }
    std::vector<std::string> out;
    if (!v->is_array()) return WrongType(field, "a list of strings"), out;
    for (const json& item : *v) {
      if (!item.is_string()) return WrongType(field, "a list of strings"), out;
      out.push_back(item.get<std::string>());
    }
    if (out.empty() && !error_) {
      Fail("invalid_argument", fmt::format("{}: at least one is required", field));
    }
    return out;
  }
  // A list of objects, each read by `read` with its own Body.
  template <typename T>
  std::vector<T> OptionalObjects(std::string_view field, const std::function<T(Body&)>& read) {
    std::vector<T> out;
    const json* v = Take(field);
    if (v == nullptr) return out;
    if (!v->is_array()) return WrongType(field, "a list of objects"), out;
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_object()) return WrongType(field, "a list of objects"), out;
      Body item((*v)[i]);
      T value = read(item);
      item.Finish();
      if (item.error_ && !error_) {
        error_ = item.error_;
        error_->message = fmt::format("{}[{}].{}", field, i, error_->message);
        return out;
      }
      out.push_back(std::move(value));
    }
    return out;
  }
  // Every field not read is unknown.
  void Finish() {
    if (error_) return;
    for (const auto& [key, value] : object_.items()) {
      if (!read_.contains(key)) {
        Fail("unknown_field", fmt::format("{}: unknown field", key));
        return;
      }
    }
  }
  void Fail(std::string code, std::string message) {
    if (!error_) error_ = ApiError{http::status::bad_request, std::move(code), std::move(message)};
  }

 private:
  const json* Take(std::string_view field) {
    read_.insert(std::string(field));
    auto it = object_.find(field);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  void WrongType(std::string_view field, std::string_view expected) {
    Fail("wrong_type", fmt::format("{}: expected {}", field, expected));
  }

  json object_;
  std::set<std::string, std::less<>> read_;
  std::optional<ApiError> error_;
};

std::optional<policy::IdentifierKind> IdentifierField(std::string_view field) {
  if (field == "phone") return policy::IdentifierKind::kPhone;
  if (field == "email") return policy::IdentifierKind::kEmail;
  if (field == "contract") return policy::IdentifierKind::kContract;
  if (field == "name") return policy::IdentifierKind::kName;
  if (field == "birth_date") return policy::IdentifierKind::kBirthDate;
  return std::nullopt;
}

Response Denied(const policy::Decision& d, uint64_t entry) {
  return ErrorResponse(
      {http::status::forbidden, "denied", fmt::format("denied: {} [{}]", d.reason_code, d.rule_id)},
      json{{"decision", DecisionJson(d, entry)}});
}

// --- Customer requests and complaints (docs/requests.md, "The API") ---

// What the customer sees of a request: its state, never the identifiers
// they gave nor why a verification failed.
json PublicRequestJson(const engine::RequestView& v) {
  const requests::RequestState& r = v.state;
  const notice::Language language =
      v.options.language == "en" ? notice::Language::kEn : notice::Language::kJa;
  json extensions = json::array();
  for (const requests::Extension& e : r.extensions) {
    extensions.push_back({{"days", e.days},
                          {"reason", e.reason},
                          {"notice", e.notice},
                          {"new_due", common::FormatTimestamp(e.new_due)}});
  }
  json refusal = nullptr;
  if (r.refusal) {
    refusal = {{"ground", requests::RefusalGroundName(r.refusal->ground)},
               {"article", requests::RefusalGroundArticle(r.refusal->ground)},
               {"text", r.refusal->text},
               {"notice", requests::RefusalGroundText(r.refusal->ground, language)}};
  }
  json full = requests::RequestToJson(r);
  return {{"request", r.id},
          {"kind", requests::RequestKindName(r.kind)},
          {"status", requests::RequestStatusName(r.status)},
          {"received_at", common::FormatTimestamp(r.received_at)},
          {"due", common::FormatTimestamp(r.due)},
          {"language", v.options.language},
          {"verification",
           requests::VerificationStateName(r.verification) == "verified"
               ? "verified"
               : (r.verification == requests::VerificationState::kUnverified ? "unverified"
                                                                             : "cannot_verify")},
          {"extensions", extensions},
          {"refusal", refusal},
          {"outcome", full["outcome"]},
          {"result", v.result.has_value() && r.status == requests::RequestStatus::kCompleted}};
}

// The staff view: everything, the customer's words and the internal
// verification reason included.
json StaffRequestJson(const engine::RequestView& v, absl::Time now) {
  json j = requests::RequestToJson(v.state);
  auto optional = [](const std::optional<std::string>& o) { return o ? json(*o) : json(); };
  j["language"] = v.options.language;
  j["category"] = optional(v.options.category);
  j["value"] = optional(v.options.value);
  j["purpose"] = optional(v.options.purpose);
  j["recipient"] = optional(v.options.recipient);
  j["erase"] = v.options.erase;
  j["verification_reason"] =
      v.options.verification_reason.empty() ? json() : json(v.options.verification_reason);
  j["verification_about"] =
      v.options.verification_about.empty() ? json() : json(v.options.verification_about);
  j["overdue"] = requests::IsOverdue(v.state, now);
  return j;
}

json RequestSummaryJson(const store::RequestRow& row, absl::Time now) {
  json summary = json::parse(row.summary_json, nullptr, /*allow_exceptions=*/false);
  if (!summary.is_object()) summary = json::object();
  const bool open =
      row.status == "received" || row.status == "verifying" || row.status == "in_progress";
  return {{"id", row.id},
          {"kind", row.kind},
          {"status", row.status},
          {"verification", row.verification},
          {"received_at", common::FormatTimestamp(row.received_at)},
          {"due", common::FormatTimestamp(row.due)},
          {"overdue", open && now >= row.due},
          {"assignee", row.assignee.empty() ? json() : json(row.assignee)},
          {"subject", row.subject_id.empty() ? json() : json(row.subject_id)},
          {"error", summary.value("error", json())},
          {"failures", summary.value("failures", 0)},
          {"agent", summary.value("agent", false)}};
}

json ComplaintJson(const requests::Complaint& c, absl::Time now) {
  json j = requests::ComplaintToJson(c);
  j["overdue"] = requests::IsOverdue(c, now);
  return j;
}

// Parses a public route's body: a JSON object, or the error answer.
std::optional<Response> ParseObject(const std::string& text, json& out) {
  out = text.empty() ? json::object() : json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    return ErrorResponse({http::status::bad_request, "invalid_json", "the body is not JSON"});
  }
  if (!out.is_object()) {
    return ErrorResponse(
        {http::status::bad_request, "invalid_json", "the body must be a JSON object"});
  }
  return std::nullopt;
}

// The requester's secret, from its header only (never the URL).
std::string RequestSecret(const Request& request) {
  auto it = request.find("X-Request-Secret");
  if (it == request.end()) return "";
  return std::string(it->value().data(), it->value().size());
}

Response TooMany(const absl::Status& s) {
  Response res = ErrorResponse({http::status::too_many_requests, "rate_limited",
                                std::string(common::FromAbsl(s.message()))});
  if (auto after = s.GetPayload("retry_after_seconds")) {
    res.set(http::field::retry_after, std::string(*after));
  }
  return res;
}

// The query parameters of a request target, decoded (uriparser).
std::map<std::string, std::string> QueryParameters(std::string_view query) {
  std::map<std::string, std::string> out;
  if (query.empty()) return out;
  UriQueryListA* list = nullptr;
  int count = 0;
  if (uriDissectQueryMallocA(&list, &count, query.data(), query.data() + query.size()) !=
      URI_SUCCESS) {
    return out;
  }
  for (UriQueryListA* p = list; p != nullptr; p = p->next) {
    out[p->key != nullptr ? p->key : ""] = p->value != nullptr ? p->value : "";
  }
  uriFreeQueryListA(list);
  return out;
}

std::optional<uint64_t> ParseCount(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// The language a client prefers among those notices come in, from an
// Accept-Language header (RFC 9110 12.5.4): the highest q of "ja..." or
// "en..." ranges, the earlier on a tie; nullopt when it names neither.
std::optional<notice::Language> PreferredLanguage(std::string_view header) {
  std::optional<notice::Language> best;
  double best_q = 0;
  for (absl::string_view item : absl::StrSplit(common::ToAbsl(header), ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(item, ';');
    const std::string range = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    double q = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view param = absl::StripAsciiWhitespace(parts[i]);
      if (absl::ConsumePrefix(&param, "q=") && !absl::SimpleAtod(param, &q)) q = 0;
    }
    std::optional<notice::Language> language;
    for (notice::Language l : {notice::Language::kJa, notice::Language::kEn}) {
      const std::string_view code = notice::LanguageCode(l);
      if (range == code || absl::StartsWith(range, absl::StrCat(common::ToAbsl(code), "-"))) {
        language = l;
      }
    }
    if (language && q > best_q) {
      best = language;
      best_q = q;
    }
  }
  return best;
}

// Awaits an engine call that reports through a callback on the writer
// thread: the result is handed back to this coroutine's executor.
template <typename T>
Awaitable<absl::StatusOr<T>> AwaitCallback(std::function<void(engine::Engine::Callback<T>)> start) {
  auto executor = co_await asio::this_coro::executor;
  // Named, not temporaries of the co_await expression: GCC 12 destroys such
  // temporaries twice (GCC bug 100611 and relatives).
  auto initiation = [executor, start = std::move(start)](auto handler) mutable {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    start([executor, shared](absl::StatusOr<T> result) {
      asio::post(executor,
                 [shared, result = std::move(result)]() mutable { (*shared)(std::move(result)); });
    });
  };
  auto pending = asio::async_initiate<decltype(asio::use_awaitable), void(absl::StatusOr<T>)>(
      std::move(initiation), asio::use_awaitable);
  co_return co_await std::move(pending);
}

// Awaits a blocking call run on `pool`.
template <typename T>
Awaitable<absl::StatusOr<T>> AwaitBlocking(asio::thread_pool& pool,
                                           std::function<absl::StatusOr<T>()> fn) {
  return AwaitCallback<T>([&pool, fn = std::move(fn)](engine::Engine::Callback<T> done) mutable {
    asio::post(pool, [fn = std::move(fn), done = std::move(done)] { done(fn()); });
  });
}

}  // namespace

// One request being handled.
struct Api::Call {
  Request request;
  std::string path;
  std::vector<std::string> segments;  // path split at '/', without the empty first
  std::map<std::string, std::string> query;
  std::string route;  // the route pattern, for metrics and logs
  std::string actor;  // after authentication
};

Api::Api(engine::Engine& engine, vault::DataDirectory& dir, Metrics& metrics,
         asio::thread_pool& blocking, std::function<int64_t()> in_flight)
    : engine_(engine),
      dir_(dir),
      metrics_(metrics),
      blocking_(blocking),
      in_flight_(std::move(in_flight)) {
  // A copy starts without an index (policy.h): index it for the look-ups.
  auto copy = std::make_shared<policy::Policy>(dir.policy());
  copy->BuildIndex();
  public_policy_ = std::move(copy);
  public_policy_version_ = dir.policy_version();
}

void Api::PublishPolicy(std::string_view toml, int64_t version) {
  // The engine has just compiled the same text, so this cannot fail; if it
  // did, the notices would keep showing the former version, and say which.
  absl::StatusOr<policy::Policy> compiled = policy::ParsePolicyText(toml, "policy");
  if (!compiled.ok()) {
    spdlog::error(R"("event":"notice_policy_not_published","version":{})", version);
    return;
  }
  auto published = std::make_shared<const policy::Policy>(*std::move(compiled));
  std::lock_guard<std::mutex> lock(public_policy_mutex_);
  // Two loads may finish out of order: keep the newer.
  if (version <= public_policy_version_) return;
  public_policy_ = std::move(published);
  public_policy_version_ = version;
}

Response Api::PublicNotice(const Call& call, bool html) const {
  std::optional<notice::Language> language;
  if (auto it = call.query.find("lang"); it != call.query.end()) {
    language = notice::ParseLanguage(it->second);
    if (!language) {
      return ErrorResponse(
          {http::status::bad_request, "invalid_argument", "lang: expected ja or en"});
    }
  } else if (auto header = call.request.find(http::field::accept_language);
             header != call.request.end()) {
    language = PreferredLanguage(std::string_view(header->value().data(), header->value().size()));
  }
  std::shared_ptr<const policy::Policy> policy;
  int64_t version = 0;
  {
    std::lock_guard<std::mutex> lock(public_policy_mutex_);
    policy = public_policy_;
    version = public_policy_version_;
  }
  const notice::Language lang = language.value_or(notice::Language::kJa);
  const std::string& service = call.segments.back();
  Response res{http::status::ok, 11};
  if (html) {
    absl::StatusOr<std::string> page = notice::NoticeHtml(*policy, version, service, lang);
    if (!page.ok()) return ErrorResponse(FromStatus(page.status()));
    res.set(http::field::content_type, "text/html; charset=utf-8");
    // The page loads nothing and runs nothing; say so to the browser.
    res.set("Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'");
    res.body() = *std::move(page);
  } else {
    absl::StatusOr<json> notice = notice::NoticeJson(*policy, version, service, lang);
    if (!notice.ok()) return ErrorResponse(FromStatus(notice.status()));
    res.set(http::field::content_type, "application/json");
    res.body() = notice->dump();
  }
  res.set(http::field::content_language, std::string(notice::LanguageCode(lang)));
  res.set(http::field::vary, "Accept-Language");
  // A new policy version changes the notice at once.
  res.set(http::field::cache_control, "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  return res;
}

Awaitable<Response> Api::Handle(Request request) {
  const absl::Time start = absl::Now();
  Call call;
  std::string_view target(request.target().data(), request.target().size());
  const size_t q = target.find('?');
  call.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) call.query = QueryParameters(target.substr(q + 1));
  for (absl::string_view part : absl::StrSplit(common::ToAbsl(call.path), '/')) {
    if (!part.empty()) call.segments.emplace_back(part);
  }
  call.request = std::move(request);
  Awaitable<Response> routed = Route(call);
  Response res = co_await std::move(routed);
  if (call.route.empty()) call.route = "unmatched";
  const int status = static_cast<int>(res.result_int());
  metrics_.ObserveRequest(call.route, status, absl::Now() - start);
  if (status >= 500) {
    spdlog::error(R"({{"event":"request","route":"{}","status":{},"actor":"{}"}})", call.route,
                  status, call.actor);
  }
  co_return res;
}

Awaitable<Response> Api::Route(Call& call) {
  const http::verb method = call.request.method();
  const std::vector<std::string>& s = call.segments;
  auto is = [&](http::verb m, std::initializer_list<std::string_view> pattern) {
    if (method != m || s.size() != pattern.size()) return false;
    size_t i = 0;
    for (std::string_view p : pattern) {
      if (p != "*" && s[i] != p) return false;
      ++i;
    }
    return true;
  };

  // --- Unauthenticated ---
  if (is(http::verb::get, {"healthz"})) {
    call.route = "GET /healthz";
    co_return JsonResponse(http::status::ok,
                           {{"status", "ok"}, {"ledger_entries", engine_.ledger_size()}});
  }
  if (is(http::verb::get, {"metrics"})) {
    call.route = "GET /metrics";
    Response res{http::status::ok, 11};
    res.set(http::field::content_type, "text/plain; version=0.0.4");
    res.body() = metrics_.Render(engine_.ledger_size(), in_flight_());
    co_return res;
  }
  if (is(http::verb::get, {"openapi.json"})) {
    call.route = "GET /openapi.json";
    Response res{http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = std::string(OpenApiDocument());
    co_return res;
  }
  // The public notices (APPI Art. 21, 32(1)): for anyone, no token.
  if (is(http::verb::get, {"privacy", "notice", "*"})) {
    call.route = "GET /privacy/notice/{service}";
    co_return PublicNotice(call, /*html=*/true);
  }
  // The staff console's static files (docs/console.md): no data, no token.
  // The customer privacy center (/privacy) likewise: its forms call
  // /v1/public/... only.
  if (method == http::verb::get && !s.empty() &&
      (s[0] == "console" || s[0] == "privacy" || s[0] == "favicon.ico")) {
    if (std::optional<Response> asset = ConsoleAsset(call.path)) {
      call.route = s[0] == "console" ? "GET /console" : "GET /" + s[0];
      co_return *std::move(asset);
    }
  }
  if (is(http::verb::get, {"v1", "public", "notice", "*"})) {
    call.route = "GET /v1/public/notice/{service}";
    co_return PublicNotice(call, /*html=*/false);
  }
  // --- Customer requests and complaints: the privacy center's API, for
  // anyone, no token (docs/requests.md). ---
  if (is(http::verb::get, {"v1", "public", "privacy-center"})) {
    call.route = "GET /v1/public/privacy-center";
    std::shared_ptr<const policy::Policy> policy;
    {
      std::lock_guard<std::mutex> lock(public_policy_mutex_);
      policy = public_policy_;
    }
    const bool en = call.query.contains("lang") && call.query.at("lang") == "en";
    if (call.query.contains("lang") && call.query.at("lang") != "en" &&
        call.query.at("lang") != "ja") {
      co_return ErrorResponse(
          {http::status::bad_request, "invalid_argument", "lang: expected ja or en"});
    }
    const policy::Operator& op = policy->operator_info;
    json services = json::array();
    for (const policy::Service& service : policy->services) {
      services.push_back({{"id", service.id}, {"name", en ? service.name_en : service.name_ja}});
    }
    json kinds = json::array();
    for (requests::RequestKind kind : requests::kRequestKinds) {
      auto it = policy->requests.service_level_days.find(requests::RequestKindName(kind));
      kinds.push_back({{"kind", requests::RequestKindName(kind)},
                       {"name", requests::RequestKindText(
                                    kind, en ? notice::Language::kEn : notice::Language::kJa)},
                       {"article", requests::RequestKindArticle(kind)},
                       {"days", it != policy->requests.service_level_days.end()
                                    ? it->second
                                    : requests::kDefaultServiceLevelDays}});
    }
    // Recipients by id, for a stop-provision request.
    json recipients = json::array();
    for (const policy::Recipient& recipient : policy->recipients) {
      recipients.push_back({{"id", recipient.id}, {"name", recipient.name}});
    }
    json factors = json::array();
    for (policy::IdentifierKind kind : policy->requests.verification) {
      factors.push_back(policy::IdentifierKindName(kind));
    }
    json categories = json::array();
    for (auto [id, ja, en_name] :
         {std::tuple{"handling", "個人情報の取扱い", "Handling of personal information"},
          std::tuple{"request", "開示等のご請求", "A request about your data"},
          std::tuple{"marketing", "広告・勧誘", "Marketing"},
          std::tuple{"security", "漏えい・セキュリティ", "Leaks and security"},
          std::tuple{"other", "その他", "Other"}}) {
      categories.push_back({{"id", id}, {"name", en ? en_name : ja}});
    }
    co_return JsonResponse(
        http::status::ok,
        {{"operator",
          {{"name", en && !op.name_en.empty() ? op.name_en : op.name},
           {"address", op.address},
           {"representative", op.representative},
           {"privacy_contact", op.privacy_contact},
           {"complaint_desk", op.complaint_desk}}},
         {"time_zone", op.time_zone},
         {"services", services},
         {"recipients", recipients},
         {"request_kinds", kinds},
         {"verification", factors},
         {"complaint_first_response_hours", policy->requests.complaint_first_response_hours},
         {"complaint_categories", categories},
         {"fee", en ? policy->notice.request_fee_en : policy->notice.request_fee_ja},
         {"security_measures",
          en ? policy->notice.security_measures_en : policy->notice.security_measures_ja}});
  }
  if (is(http::verb::post, {"v1", "public", "requests"})) {
    call.route = "POST /v1/public/requests";
    json object;
    if (auto bad = ParseObject(call.request.body(), object)) co_return *bad;
    Body body(object);
    engine::RequestSpec spec;
    spec.kind = body.RequiredString("kind");
    if (std::optional<json> ids = body.OptionalObject("identifiers")) {
      for (const auto& [field, value] : ids->items()) {
        std::optional<policy::IdentifierKind> kind = IdentifierField(field);
        if (!kind) {
          body.Fail("unknown_field", fmt::format("identifiers.{}: unknown field", field));
        } else if (!value.is_string()) {
          body.Fail("wrong_type", fmt::format("identifiers.{}: expected a string", field));
        } else if (!value.get<std::string>().empty()) {
          spec.identifiers.push_back({*kind, value.get<std::string>()});
        }
      }
      if (spec.identifiers.empty()) {
        body.Fail("invalid_argument", "identifiers: at least one is required");
      }
    } else {
      body.Fail("missing_field", "identifiers: required");
    }
    spec.details = body.OptionalString("details").value_or("");
    spec.language = body.OptionalString("language").value_or("ja");
    if (std::optional<json> agent = body.OptionalObject("agent")) {
      Body a(*agent);
      requests::Agent given;
      absl::StatusOr<requests::AgentKind> agent_kind =
          requests::ParseAgentKind(a.RequiredString("kind"));
      if (agent_kind.ok()) given.kind = *agent_kind;
      given.name = a.RequiredString("name");
      given.contact = a.OptionalString("contact").value_or("");
      a.Finish();
      if (a.error()) {
        body.Fail(a.error()->code, "agent." + a.error()->message);
      } else if (!agent_kind.ok()) {
        body.Fail("invalid_argument",
                  "agent.kind: expected legal_representative or authorized_proxy");
      }
      spec.agent = std::move(given);
    }
    spec.category = body.OptionalString("category");
    spec.value = body.OptionalString("value");
    spec.purpose = body.OptionalString("purpose");
    spec.recipient = body.OptionalString("recipient");
    spec.erase = body.OptionalBool("erase").value_or(false);
    body.Finish();
    if (body.error()) co_return ErrorResponse(*body.error());
    std::function<absl::StatusOr<engine::RequestReceipt>()> job_submit =
        [this, spec = std::move(spec)]() mutable { return engine_.SubmitRequest(std::move(spec)); };
    auto pending_submit = AwaitBlocking<engine::RequestReceipt>(blocking_, std::move(job_submit));
    absl::StatusOr<engine::RequestReceipt> r = co_await std::move(pending_submit);
    if (!r.ok() && r.status().code() == absl::StatusCode::kResourceExhausted) {
      co_return TooMany(r.status());
    }
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    Response res = JsonResponse(http::status::created, {{"request", r->id},
                                                        {"secret", r->secret},
                                                        {"due", common::FormatTimestamp(r->due)},
                                                        {"status", "received"}});
    res.set(http::field::cache_control, "no-store");
    co_return res;
  }
  if (method == http::verb::get && s.size() >= 4 && s.size() <= 5 && s[0] == "v1" &&
      s[1] == "public" && s[2] == "requests" && (s.size() == 4 || s[4] == "result")) {
    const bool result = s.size() == 5;
    call.route = result ? "GET /v1/public/requests/{id}/result" : "GET /v1/public/requests/{id}";
    std::string format = call.query.contains("format") ? call.query.at("format") : "json";
    if (format != "json" && format != "html") {
      co_return ErrorResponse(
          {http::status::bad_request, "invalid_argument", "format: expected json or html"});
    }
    std::function<absl::StatusOr<engine::RequestView>()> job_public =
        [this, id = s[3], secret = RequestSecret(call.request)] {
          return engine_.PublicRequest(id, secret);
        };
    auto pending_public = AwaitBlocking<engine::RequestView>(blocking_, std::move(job_public));
    absl::StatusOr<engine::RequestView> v = co_await std::move(pending_public);
    if (!v.ok()) co_return ErrorResponse(FromStatus(v.status()));
    if (!result) {
      Response res = JsonResponse(http::status::ok, PublicRequestJson(*v));
      res.set(http::field::cache_control, "no-store");
      co_return res;
    }
    if (!v->result || v->state.status != requests::RequestStatus::kCompleted) {
      co_return ErrorResponse(
          {http::status::not_found, "not_found", "the request has no result yet"});
    }
    const json outcome = requests::RequestToJson(v->state)["outcome"];
    Response res{http::status::ok, 11};
    if (format == "html") {
      res = HtmlPage(requests::ResultHtml(
          *v->result, outcome,
          v->options.language == "en" ? notice::Language::kEn : notice::Language::kJa));
      res.set(http::field::content_disposition,
              fmt::format("attachment; filename=\"{}.html\"", v->state.id));
    } else {
      json doc = *v->result;
      doc["outcome"] = outcome;
      res = JsonResponse(http::status::ok, doc);
      res.set(http::field::content_disposition,
              fmt::format("attachment; filename=\"{}.json\"", v->state.id));
      res.set(http::field::cache_control, "no-store");
    }
    co_return res;
  }
  if (is(http::verb::post, {"v1", "public", "requests", "*", "withdraw"})) {
    call.route = "POST /v1/public/requests/{id}/withdraw";
    json object;
    if (auto bad = ParseObject(call.request.body(), object)) co_return *bad;
    Body body(object);
    body.Finish();
    if (body.error()) co_return ErrorResponse(*body.error());
    std::function<absl::StatusOr<engine::RequestView>()> job_withdraw =
        [this, id = s[3], secret = RequestSecret(call.request)] {
          return engine_.WithdrawPublicRequest(id, secret);
        };
    auto pending_withdraw = AwaitBlocking<engine::RequestView>(blocking_, std::move(job_withdraw));
    absl::StatusOr<engine::RequestView> v = co_await std::move(pending_withdraw);
    if (!v.ok()) co_return ErrorResponse(FromStatus(v.status()));
    Response res = JsonResponse(http::status::ok, PublicRequestJson(*v));
    res.set(http::field::cache_control, "no-store");
    co_return res;
  }
  if (is(http::verb::post, {"v1", "public", "complaints"})) {
    call.route = "POST /v1/public/complaints";
    json object;
    if (auto bad = ParseObject(call.request.body(), object)) co_return *bad;
    Body body(object);
    engine::ComplaintSpec spec;
    spec.service = body.OptionalString("service").value_or("");
    spec.category = body.RequiredString("category");
    spec.text = body.RequiredString("text");
    spec.contact = body.RequiredString("contact");
    spec.language = body.OptionalString("language").value_or("ja");
    body.Finish();
    if (body.error()) co_return ErrorResponse(*body.error());
    std::function<absl::StatusOr<requests::Complaint>()> job_complaint =
        [this, spec = std::move(spec)]() mutable {
          return engine_.SubmitComplaint(std::move(spec));
        };
    auto pending_complaint =
        AwaitBlocking<requests::Complaint>(blocking_, std::move(job_complaint));
    absl::StatusOr<requests::Complaint> c = co_await std::move(pending_complaint);
    if (!c.ok()) co_return ErrorResponse(FromStatus(c.status()));
    co_return JsonResponse(
        http::status::created,
        {{"complaint", c->id},
         {"first_response_due", common::FormatTimestamp(c->first_response_due)}});
  }
  if (s.empty() || s[0] != "v1") {
    co_return ErrorResponse({http::status::not_found, "not_found", "no such endpoint"});
  }

  // --- Authentication ---
  const auto authorization = call.request.find(http::field::authorization);
  if (authorization == call.request.end()) {
    co_return ErrorResponse({http::status::unauthorized, "unauthenticated",
                             "an Authorization: Bearer token is required"});
  }
  std::string_view header(authorization->value().data(), authorization->value().size());
  constexpr std::string_view kBearer = "Bearer ";
  if (header.substr(0, kBearer.size()) != kBearer) {
    co_return ErrorResponse(
        {http::status::unauthorized, "unauthenticated", "expected Authorization: Bearer TOKEN"});
  }
  absl::StatusOr<std::string> actor = engine_.Authenticate(header.substr(kBearer.size()));
  if (!actor.ok()) {
    co_return ErrorResponse({http::status::unauthorized, "unauthenticated",
                             std::string(common::FromAbsl(actor.status().message()))});
  }
  call.actor = *actor;

  // --- Collection of a JSONL file: its body is not JSON, so before the
  // body is parsed. The HTTP server allows this route a larger body. ---
  if (is(http::verb::post, {"v1", "import"})) {
    call.route = "POST /v1/import";
    const auto content_type = call.request.find(http::field::content_type);
    std::string_view media_type;
    if (content_type != call.request.end()) {
      media_type = std::string_view(content_type->value().data(), content_type->value().size());
      media_type = media_type.substr(0, media_type.find(';'));
      while (!media_type.empty() && media_type.back() == ' ') media_type.remove_suffix(1);
    }
    if (!boost::beast::iequals(boost::beast::string_view(media_type.data(), media_type.size()),
                               "application/x-ndjson")) {
      co_return ErrorResponse(
          {http::status::bad_request, "invalid_argument",
           "the body must be JSON lines sent as Content-Type: application/x-ndjson"});
    }
    if (call.request.body().empty()) {
      co_return ErrorResponse(
          {http::status::bad_request, "invalid_argument", "the body is empty: send JSON lines"});
    }
    std::function<absl::StatusOr<engine::ImportResult>()> job_import =
        [this, actor = call.actor, text = std::move(call.request.body())]() mutable {
          return engine_.ImportAs(actor, std::move(text));
        };
    auto pending_import = AwaitBlocking<engine::ImportResult>(blocking_, std::move(job_import));
    absl::StatusOr<engine::ImportResult> r = co_await std::move(pending_import);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    if (r->decision.outcome == policy::Outcome::kDeny) co_return Denied(r->decision, r->entry);
    co_return JsonResponse(http::status::created,
                           {{"decision", DecisionJson(r->decision, r->entry)},
                            {"lines", r->summary.lines},
                            {"subjects", r->summary.subjects},
                            {"records", r->summary.records}});
  }

  // --- The body, for methods that take one ---
  json body_json = json::object();
  const bool has_body = method == http::verb::post;
  if (has_body && !call.request.body().empty()) {
    body_json = json::parse(call.request.body(), nullptr, /*allow_exceptions=*/false);
    if (body_json.is_discarded()) {
      co_return ErrorResponse({http::status::bad_request, "invalid_json", "the body is not JSON"});
    }
    if (!body_json.is_object()) {
      co_return ErrorResponse(
          {http::status::bad_request, "invalid_json", "the body must be a JSON object"});
    }
  }
  Body body(body_json);
  auto bad_body = [&]() -> std::optional<Response> {
    body.Finish();
    if (body.error()) return ErrorResponse(*body.error());
    return std::nullopt;
  };
  auto require_permission = [&](std::string permission) -> Awaitable<std::optional<Response>> {
    std::function<absl::StatusOr<bool>()> job0 = [this, actor = call.actor, permission] {
      return engine_.HasPermission(actor, permission);
    };
    auto pending0 = AwaitBlocking<bool>(blocking_, std::move(job0));
    absl::StatusOr<bool> allowed = co_await std::move(pending0);
    if (!allowed.ok()) co_return ErrorResponse(FromStatus(allowed.status()));
    if (!*allowed) {
      co_return ErrorResponse(
          {http::status::forbidden, "forbidden",
           fmt::format("this needs a role with the \"{}\" permission", permission)});
    }
    co_return std::nullopt;
  };

  // --- Uses: decide, read, find ---
  if (is(http::verb::post, {"v1", "decide"}) || is(http::verb::post, {"v1", "read"})) {
    const bool read = s[1] == "read";
    call.route = read ? "POST /v1/read" : "POST /v1/decide";
    engine::UseRequest use;
    use.actor = call.actor;
    use.subject = body.RequiredString("subject");
    use.purpose = body.RequiredString("purpose");
    use.categories = body.RequiredStrings("categories");
    std::optional<std::string> ground = body.OptionalString("ground");
    use.reason = body.OptionalString("reason").value_or("");
    if (ground) {
      std::optional<policy::Ground> g = policy::ParseGround(*ground);
      if (!g || *g == policy::Ground::kNone)
        body.Fail("invalid_argument", "ground: unknown ground");
      if (g) use.ground = *g;
    }
    if (auto bad = bad_body()) co_return *bad;
    const std::vector<std::string> categories = use.categories;
    std::function<void(engine::Engine::Callback<engine::UseResult>)> start1 =
        [this, use = std::move(use), read](engine::Engine::Callback<engine::UseResult> done) {
          if (read) {
            engine_.ReadAsync(std::move(use), std::move(done));
          } else {
            engine_.DecideAsync(std::move(use), std::move(done));
          }
        };
    auto pending1 = AwaitCallback<engine::UseResult>(std::move(start1));
    absl::StatusOr<engine::UseResult> r = co_await std::move(pending1);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    metrics_.ObserveDecision(policy::OutcomeName(r->decision.outcome), r->decision.reason_code);
    if (r->decision.outcome == policy::Outcome::kDeny) co_return Denied(r->decision, r->entry);
    json decision = DecisionJson(r->decision, r->entry);
    if (!read) co_return JsonResponse(http::status::ok, {{"decision", decision}});
    // Every category asked for, with no values when none is recorded.
    json values = json::object();
    for (const std::string& category : categories) values[category] = json::array();
    for (auto& [category, list] : r->values) values[category] = list;
    co_return JsonResponse(
        http::status::ok,
        {{"subject", body_json["subject"]}, {"decision", decision}, {"values", values}});
  }
  if (is(http::verb::post, {"v1", "find"})) {
    call.route = "POST /v1/find";
    engine::FindRequest find;
    find.actor = call.actor;
    find.purpose = body.RequiredString("purpose");
    int given = 0;
    for (std::string_view field : {"phone", "email", "contract", "name", "birth_date"}) {
      if (std::optional<std::string> v = body.OptionalString(field)) {
        ++given;
        find.kind = *IdentifierField(field);
        find.value = *v;
      }
    }
    if (given != 1) {
      body.Fail(given == 0 ? "missing_field" : "invalid_argument",
                "give exactly one of phone, email, contract, name, birth_date");
    }
    if (auto bad = bad_body()) co_return *bad;
    std::function<void(engine::Engine::Callback<engine::FindResult>)> start2 =
        [this, find = std::move(find)](engine::Engine::Callback<engine::FindResult> done) {
          engine_.FindAsync(std::move(find), std::move(done));
        };
    auto pending2 = AwaitCallback<engine::FindResult>(std::move(start2));
    absl::StatusOr<engine::FindResult> r = co_await std::move(pending2);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    metrics_.ObserveDecision(policy::OutcomeName(r->decision.outcome), r->decision.reason_code);
    if (r->decision.outcome == policy::Outcome::kDeny) co_return Denied(r->decision, r->entry);
    co_return JsonResponse(http::status::ok, {{"decision", DecisionJson(r->decision, r->entry)},
                                              {"subjects", r->subjects}});
  }

  // --- Subjects and records (decided collection) ---
  auto read_records = [&](Body& b) {
    return b.OptionalObjects<vault::NewRecord>("records", [](Body& item) {
      vault::NewRecord r;
      r.category = item.RequiredString("category");
      r.service = item.RequiredString("service");
      r.value = item.RequiredString("value");
      if (std::optional<std::string> at = item.OptionalString("collected_at")) {
        absl::StatusOr<absl::Time> t = common::ParseTimestamp(*at);
        if (t.ok()) {
          r.collected_at = *t;
        } else {
          item.Fail("invalid_argument", "collected_at: expected an RFC 3339 time or a date");
        }
      }
      return r;
    });
  };
  if (is(http::verb::post, {"v1", "subjects"})) {
    call.route = "POST /v1/subjects";
    vault::SubjectIdentifiers ids{body.OptionalString("phone"), body.OptionalString("email"),
                                  body.OptionalString("contract"), body.OptionalString("name"),
                                  body.OptionalString("birth_date")};
    std::vector<vault::NewRecord> records = read_records(body);
    std::string language = body.OptionalString("language").value_or("");
    if (auto bad = bad_body()) co_return *bad;
    std::function<absl::StatusOr<engine::CollectResult>()> job3 =
        [this, actor = call.actor, ids = std::move(ids), records = std::move(records),
         language = std::move(language)]() mutable {
          return engine_.AddSubjectAs(actor, std::move(ids), std::move(records),
                                      std::move(language));
        };
    auto pending3 = AwaitBlocking<engine::CollectResult>(blocking_, std::move(job3));
    absl::StatusOr<engine::CollectResult> r = co_await std::move(pending3);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    if (r->decision.outcome == policy::Outcome::kDeny) co_return Denied(r->decision, r->entry);
    co_return JsonResponse(http::status::created,
                           {{"subject", r->subject}, {"records", r->records}});
  }
  if (is(http::verb::post, {"v1", "subjects", "*", "records"})) {
    call.route = "POST /v1/subjects/{id}/records";
    std::vector<vault::NewRecord> records = read_records(body);
    if (records.empty()) body.Fail("missing_field", "records: at least one is required");
    if (auto bad = bad_body()) co_return *bad;
    std::function<absl::StatusOr<engine::CollectResult>()> job4 =
        [this, actor = call.actor, subject = s[2], records = std::move(records)]() mutable {
          return engine_.AddRecordsAs(actor, subject, std::move(records));
        };
    auto pending4 = AwaitBlocking<engine::CollectResult>(blocking_, std::move(job4));
    absl::StatusOr<engine::CollectResult> r = co_await std::move(pending4);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    if (r->decision.outcome == policy::Outcome::kDeny) co_return Denied(r->decision, r->entry);
    co_return JsonResponse(http::status::created,
                           {{"subject", r->subject}, {"records", r->records}});
  }

  // --- Consents ---
  if (is(http::verb::post, {"v1", "consents"})) {
    call.route = "POST /v1/consents";
    engine::ConsentGrant grant;
    grant.subject = body.RequiredString("subject");
    grant.purpose = body.RequiredString("purpose");
    grant.recipient = body.OptionalString("recipient");
    grant.channel = body.OptionalString("channel").value_or("api");
    grant.evidence = body.OptionalString("evidence").value_or("");
    grant.explicit_for_location = body.OptionalBool("explicit_for_location").value_or(false);
    grant.cross_border_informed = body.OptionalBool("cross_border_informed").value_or(false);
    if (std::optional<std::string> at = body.OptionalString("given_at")) {
      absl::StatusOr<absl::Time> t = common::ParseTimestamp(*at);
      if (t.ok()) {
        grant.given_at = *t;
      } else {
        body.Fail("invalid_argument", "given_at: expected an RFC 3339 time or a date");
      }
    }
    if (auto bad = bad_body()) co_return *bad;
    std::function<absl::StatusOr<store::ConsentRow>()> job5 = [this, actor = call.actor,
                                                               grant = std::move(grant)]() mutable {
      return engine_.GrantConsent(actor, std::move(grant));
    };
    auto pending5 = AwaitBlocking<store::ConsentRow>(blocking_, std::move(job5));
    absl::StatusOr<store::ConsentRow> r = co_await std::move(pending5);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::created, ConsentJson(*r));
  }
  if (is(http::verb::post, {"v1", "consents", "*", "withdraw"})) {
    call.route = "POST /v1/consents/{id}/withdraw";
    std::string channel = body.OptionalString("channel").value_or("api");
    if (auto bad = bad_body()) co_return *bad;
    std::function<absl::StatusOr<store::ConsentRow>()> job6 = [this, actor = call.actor, id = s[2],
                                                               channel] {
      return engine_.WithdrawConsent(actor, id, channel);
    };
    auto pending6 = AwaitBlocking<store::ConsentRow>(blocking_, std::move(job6));
    absl::StatusOr<store::ConsentRow> r = co_await std::move(pending6);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::ok, ConsentJson(*r));
  }
  if (is(http::verb::get, {"v1", "subjects", "*", "consents"})) {
    call.route = "GET /v1/subjects/{id}/consents";
    std::function<absl::StatusOr<std::vector<store::ConsentRow>>()> job7 =
        [this, id = s[2]]() -> absl::StatusOr<std::vector<store::ConsentRow>> {
      return engine_.ListConsents(id);
    };
    auto pending7 = AwaitBlocking<std::vector<store::ConsentRow>>(blocking_, std::move(job7));
    absl::StatusOr<std::vector<store::ConsentRow>> r = co_await std::move(pending7);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    json list = json::array();
    for (const store::ConsentRow& c : *r) list.push_back(ConsentJson(c));
    co_return JsonResponse(http::status::ok, {{"subject", s[2]}, {"consents", list}});
  }

  // --- Stop orders (APPI Art. 35), as a customer request would order ---
  if (is(http::verb::post, {"v1", "stop-orders"})) {
    call.route = "POST /v1/stop-orders";
    engine::StopOrderSpec spec;
    spec.subject = body.RequiredString("subject");
    spec.kind = body.OptionalString("kind").value_or("use");
    spec.purpose = body.OptionalString("purpose");
    spec.recipient = body.OptionalString("recipient");
    spec.request_id = body.OptionalString("request").value_or("");
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("requests");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<store::StopOrderRow>()> job_stop = [this, actor = call.actor,
                                                                     spec = std::move(spec)] {
      return engine_.AddStopOrder(actor, spec);
    };
    auto pending_stop = AwaitBlocking<store::StopOrderRow>(blocking_, std::move(job_stop));
    absl::StatusOr<store::StopOrderRow> r = co_await std::move(pending_stop);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::created, engine::StopOrderJson(*r));
  }

  // --- Supervision and internal audit (docs/supervision.md) ---
  if (s.size() >= 2 && (s[1] == "supervision" || s[1] == "alerts" || s[1] == "training" ||
                        s[1] == "access-review" || s[1] == "audit")) {
    std::function<absl::StatusOr<json>()> job;
    std::string permission = "audit";
    http::status success = http::status::ok;
    bool html = false;
    // A period from the query: ?from=&to= (dates in the operator's zone or
    // RFC 3339), by default the 30 days up to now. Parsed on the blocking
    // pool, which asks the engine for the zone.
    const std::string from = call.query.count("from") ? call.query.at("from") : "";
    const std::string to = call.query.count("to") ? call.query.at("to") : "";
    auto period = [this, from, to]() -> absl::StatusOr<common::Period> {
      ASSIGN_OR_RETURN(absl::TimeZone zone, engine_.TimeZone());
      return common::ParsePeriod("from", from, "to", to, zone, absl::Now(), absl::Hours(24 * 30));
    };
    if (is(http::verb::get, {"v1", "supervision", "activity"})) {
      call.route = "GET /v1/supervision/activity";
      auto it = call.query.find("actor");
      if (it == call.query.end() || it->second.empty()) {
        co_return ErrorResponse({http::status::bad_request, "missing_field", "actor: required"});
      }
      job = [this, period, actor = it->second]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(common::Period p, period());
        ASSIGN_OR_RETURN(engine::ActorActivity activity, engine_.ActivityOf(actor, p.from, p.to));
        return engine::ActorActivityJson(activity);
      };
    } else if (is(http::verb::get, {"v1", "alerts"})) {
      call.route = "GET /v1/alerts";
      job = [this, period]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(common::Period p, period());
        ASSIGN_OR_RETURN(std::vector<audit::Alert> alerts, engine_.Alerts(p.from, p.to));
        json list = json::array();
        for (const audit::Alert& a : alerts) list.push_back(audit::AlertJson(a));
        return json{{"from", common::FormatTimestamp(p.from)},
                    {"to", common::FormatTimestamp(p.to)},
                    {"alerts", std::move(list)}};
      };
    } else if (is(http::verb::post, {"v1", "alerts", "*", "incident"})) {
      call.route = "POST /v1/alerts/{id}/incident";
      permission = "incidents";
      const std::string cause_name = body.RequiredString("cause");
      const std::string description = body.RequiredString("description");
      incident::Cause cause = incident::Cause::kOther;
      if (!cause_name.empty()) {
        absl::StatusOr<incident::Cause> parsed = incident::ParseCause(cause_name);
        if (!parsed.ok()) {
          body.Fail("invalid_argument",
                    fmt::format("cause: {}", common::FromAbsl(parsed.status().message())));
        } else {
          cause = *parsed;
        }
      }
      if (auto bad = bad_body()) co_return *bad;
      success = http::status::created;
      job = [this, by = call.actor, alert = s[2], cause, description]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(engine::IncidentView view,
                         engine_.OpenIncidentFromAlert(by, alert, cause, description));
        return engine::IncidentJson(view, absl::Now());
      };
    } else if (is(http::verb::get, {"v1", "training", "due"})) {
      call.route = "GET /v1/training/due";
      job = [this]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(std::vector<audit::TrainingStatus> due, engine_.TrainingDue());
        json list = json::array();
        for (const audit::TrainingStatus& t : due) list.push_back(audit::TrainingStatusJson(t));
        return json{{"training", std::move(list)}};
      };
    } else if (is(http::verb::get, {"v1", "access-review"})) {
      call.route = "GET /v1/access-review";
      job = [this]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(std::vector<audit::RoleReview> review, engine_.ReviewAccess());
        json list = json::array();
        for (const audit::RoleReview& r : review) list.push_back(audit::RoleReviewJson(r));
        return json{{"roles", std::move(list)}};
      };
    } else if (is(http::verb::get, {"v1", "audit", "report"})) {
      call.route = "GET /v1/audit/report";
      notice::Language language = notice::Language::kJa;
      if (auto it = call.query.find("lang"); it != call.query.end()) {
        std::optional<notice::Language> parsed = notice::ParseLanguage(it->second);
        if (!parsed) {
          co_return ErrorResponse(
              {http::status::bad_request, "invalid_argument", "lang: expected ja or en"});
        }
        language = *parsed;
      }
      if (auto it = call.query.find("format"); it != call.query.end()) {
        if (it->second != "json" && it->second != "html") {
          co_return ErrorResponse(
              {http::status::bad_request, "invalid_argument", "format: expected json or html"});
        }
        html = it->second == "html";
      }
      job = [this, period, html, language]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(common::Period p, period());
        ASSIGN_OR_RETURN(audit::AuditFacts facts, engine_.AuditReport(p.from, p.to));
        if (html) return json(audit::AuditReportHtml(facts, language));
        return audit::AuditReportJson(facts);
      };
    }
    if (job) {
      auto permission_check = require_permission(permission);
      if (auto refused = co_await std::move(permission_check)) co_return *refused;
      auto pending = AwaitBlocking<json>(blocking_, std::move(job));
      absl::StatusOr<json> r = co_await std::move(pending);
      if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
      if (html) co_return HtmlPage(r->get<std::string>());
      co_return JsonResponse(success, *r);
    }
  }

  // --- Customer requests (docs/requests.md): permission "requests" ---
  if (s.size() >= 2 && s[1] == "requests") {
    auto permission_check = require_permission("requests");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    if (is(http::verb::get, {"v1", "requests"})) {
      call.route = "GET /v1/requests";
      std::optional<std::string> status_filter, kind_filter;
      if (auto it = call.query.find("status"); it != call.query.end()) {
        if (!requests::ParseRequestStatus(it->second).ok()) {
          co_return ErrorResponse(
              {http::status::bad_request, "invalid_argument", "status: unknown request status"});
        }
        status_filter = it->second;
      }
      if (auto it = call.query.find("kind"); it != call.query.end()) {
        if (!requests::ParseRequestKind(it->second).ok()) {
          co_return ErrorResponse(
              {http::status::bad_request, "invalid_argument", "kind: unknown request kind"});
        }
        kind_filter = it->second;
      }
      std::optional<absl::Time> due_before;
      if (auto it = call.query.find("due_before"); it != call.query.end()) {
        absl::StatusOr<absl::CivilDay> day = common::ParseDate(it->second);
        if (!day.ok()) {
          co_return ErrorResponse({http::status::bad_request, "invalid_argument",
                                   "due_before: expected a date YYYY-MM-DD"});
        }
        std::function<absl::StatusOr<absl::TimeZone>()> job_zone = [this] {
          return engine_.TimeZone();
        };
        auto pending_zone = AwaitBlocking<absl::TimeZone>(blocking_, std::move(job_zone));
        absl::StatusOr<absl::TimeZone> zone = co_await std::move(pending_zone);
        if (!zone.ok()) co_return ErrorResponse(FromStatus(zone.status()));
        due_before = absl::FromCivil(*day, *zone);
      }
      bool overdue_only = false;
      if (auto it = call.query.find("overdue"); it != call.query.end()) {
        if (it->second != "true" && it->second != "false") {
          co_return ErrorResponse(
              {http::status::bad_request, "invalid_argument", "overdue: expected true or false"});
        }
        overdue_only = it->second == "true";
      }
      std::function<absl::StatusOr<std::vector<store::RequestRow>>()> job_list = [this] {
        return engine_.ListRequests();
      };
      auto pending_list =
          AwaitBlocking<std::vector<store::RequestRow>>(blocking_, std::move(job_list));
      absl::StatusOr<std::vector<store::RequestRow>> rows = co_await std::move(pending_list);
      if (!rows.ok()) co_return ErrorResponse(FromStatus(rows.status()));
      const absl::Time now = absl::Now();
      json list = json::array();
      for (const store::RequestRow& row : *rows) {
        if (status_filter && row.status != *status_filter) continue;
        if (kind_filter && row.kind != *kind_filter) continue;
        if (due_before && row.due >= *due_before) continue;
        json summary = RequestSummaryJson(row, now);
        if (overdue_only && !summary["overdue"].get<bool>()) continue;
        list.push_back(std::move(summary));
      }
      co_return JsonResponse(http::status::ok, {{"requests", list}});
    }
    std::optional<std::function<absl::StatusOr<engine::RequestView>()>> step;
    if (is(http::verb::get, {"v1", "requests", "*"})) {
      call.route = "GET /v1/requests/{id}";
      step = [this, id = s[2]] { return engine_.GetRequest(id); };
    } else if (is(http::verb::post, {"v1", "requests", "*", "assign"})) {
      call.route = "POST /v1/requests/{id}/assign";
      // Without an assignee, the caller takes the request.
      std::string assignee = body.OptionalString("assignee").value_or(call.actor);
      if (auto bad = bad_body()) co_return *bad;
      step = [this, actor = call.actor, id = s[2], assignee] {
        return engine_.AssignRequest(actor, id, assignee);
      };
    } else if (is(http::verb::post, {"v1", "requests", "*", "verify"})) {
      call.route = "POST /v1/requests/{id}/verify";
      if (auto bad = bad_body()) co_return *bad;
      step = [this, actor = call.actor, id = s[2]] { return engine_.VerifyRequest(actor, id); };
    } else if (is(http::verb::post, {"v1", "requests", "*", "approve"})) {
      call.route = "POST /v1/requests/{id}/approve";
      if (auto bad = bad_body()) co_return *bad;
      step = [this, actor = call.actor, id = s[2]] { return engine_.ApproveRequest(actor, id); };
    } else if (is(http::verb::post, {"v1", "requests", "*", "refuse"})) {
      call.route = "POST /v1/requests/{id}/refuse";
      std::string ground_name = body.RequiredString("ground");
      std::string text = body.RequiredString("text");
      absl::StatusOr<requests::RefusalGround> ground = requests::ParseRefusalGround(ground_name);
      if (!ground_name.empty() && !ground.ok()) {
        body.Fail("invalid_argument", "ground: unknown refusal ground");
      }
      if (auto bad = bad_body()) co_return *bad;
      step = [this, actor = call.actor, id = s[2], g = *ground, text] {
        return engine_.RefuseRequest(actor, id, g, text);
      };
    } else if (is(http::verb::post, {"v1", "requests", "*", "extend"})) {
      call.route = "POST /v1/requests/{id}/extend";
      std::optional<int64_t> days = body.OptionalInteger("days");
      if (!days) body.Fail("missing_field", "days: required");
      std::string reason = body.RequiredString("reason");
      std::string notice_text = body.RequiredString("notice");
      if (days && (*days < 1 || *days > 366)) {
        body.Fail("invalid_argument", "days: between 1 and 366");
      }
      if (auto bad = bad_body()) co_return *bad;
      step = [this, actor = call.actor, id = s[2], n = static_cast<int>(*days), reason,
              notice_text] { return engine_.ExtendRequest(actor, id, n, reason, notice_text); };
    } else if (is(http::verb::post, {"v1", "requests", "*", "retry"})) {
      call.route = "POST /v1/requests/{id}/retry";
      if (auto bad = bad_body()) co_return *bad;
      step = [this, actor = call.actor, id = s[2]] { return engine_.RetryRequest(actor, id); };
    } else if (is(http::verb::post, {"v1", "requests", "*", "withdraw"})) {
      call.route = "POST /v1/requests/{id}/withdraw";
      if (auto bad = bad_body()) co_return *bad;
      step = [this, actor = call.actor, id = s[2]] { return engine_.WithdrawRequest(actor, id); };
    }
    if (!step) co_return ErrorResponse({http::status::not_found, "not_found", "no such endpoint"});
    auto pending_step = AwaitBlocking<engine::RequestView>(blocking_, *std::move(step));
    absl::StatusOr<engine::RequestView> v = co_await std::move(pending_step);
    if (!v.ok()) co_return ErrorResponse(FromStatus(v.status()));
    std::function<absl::StatusOr<std::vector<json>>()> job_trail = [this, seqs = v->trail] {
      return engine_.LedgerEntries(seqs);
    };
    auto pending_trail = AwaitBlocking<std::vector<json>>(blocking_, std::move(job_trail));
    absl::StatusOr<std::vector<json>> trail = co_await std::move(pending_trail);
    if (!trail.ok()) co_return ErrorResponse(FromStatus(trail.status()));
    co_return JsonResponse(http::status::ok,
                           {{"request", StaffRequestJson(*v, absl::Now())},
                            {"status", requests::RequestStatusName(v->state.status)},
                            {"result", v->result ? *v->result : json()},
                            {"trail", *trail}});
  }

  // --- Complaints (docs/requests.md): permission "complaints" ---
  if (s.size() >= 2 && s[1] == "complaints") {
    auto permission_check = require_permission("complaints");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    if (is(http::verb::get, {"v1", "complaints"})) {
      call.route = "GET /v1/complaints";
      std::optional<std::string> status_filter;
      if (auto it = call.query.find("status"); it != call.query.end()) {
        if (!requests::ParseComplaintStatus(it->second).ok()) {
          co_return ErrorResponse(
              {http::status::bad_request, "invalid_argument", "status: unknown complaint status"});
        }
        status_filter = it->second;
      }
      bool overdue_only = false;
      if (auto it = call.query.find("overdue"); it != call.query.end()) {
        if (it->second != "true" && it->second != "false") {
          co_return ErrorResponse(
              {http::status::bad_request, "invalid_argument", "overdue: expected true or false"});
        }
        overdue_only = it->second == "true";
      }
      std::function<absl::StatusOr<std::vector<requests::Complaint>>()> job_complaints = [this] {
        return engine_.ListComplaints();
      };
      auto pending_complaints =
          AwaitBlocking<std::vector<requests::Complaint>>(blocking_, std::move(job_complaints));
      absl::StatusOr<std::vector<requests::Complaint>> list =
          co_await std::move(pending_complaints);
      if (!list.ok()) co_return ErrorResponse(FromStatus(list.status()));
      const absl::Time now = absl::Now();
      json out = json::array();
      for (const requests::Complaint& c : *list) {
        if (status_filter && requests::ComplaintStatusName(c.status) != *status_filter) continue;
        if (overdue_only && !requests::IsOverdue(c, now)) continue;
        out.push_back(ComplaintJson(c, now));
      }
      co_return JsonResponse(http::status::ok, {{"complaints", out}});
    }
    std::optional<std::function<absl::StatusOr<requests::Complaint>()>> change;
    if (is(http::verb::get, {"v1", "complaints", "*"})) {
      call.route = "GET /v1/complaints/{id}";
      change = [this, id = s[2]] { return engine_.GetComplaint(id); };
    } else if (is(http::verb::post, {"v1", "complaints", "*", "assign"})) {
      call.route = "POST /v1/complaints/{id}/assign";
      std::string assignee = body.OptionalString("assignee").value_or(call.actor);
      if (auto bad = bad_body()) co_return *bad;
      change = [this, actor = call.actor, id = s[2], assignee] {
        return engine_.AssignComplaint(actor, id, assignee);
      };
    } else if (is(http::verb::post, {"v1", "complaints", "*", "respond"})) {
      call.route = "POST /v1/complaints/{id}/respond";
      std::string response = body.RequiredString("response");
      if (auto bad = bad_body()) co_return *bad;
      change = [this, actor = call.actor, id = s[2], response] {
        return engine_.RespondComplaint(actor, id, response);
      };
    } else if (is(http::verb::post, {"v1", "complaints", "*", "close"})) {
      call.route = "POST /v1/complaints/{id}/close";
      if (auto bad = bad_body()) co_return *bad;
      change = [this, actor = call.actor, id = s[2]] { return engine_.CloseComplaint(actor, id); };
    }
    if (!change) {
      co_return ErrorResponse({http::status::not_found, "not_found", "no such endpoint"});
    }
    auto pending_change = AwaitBlocking<requests::Complaint>(blocking_, *std::move(change));
    absl::StatusOr<requests::Complaint> c = co_await std::move(pending_change);
    if (!c.ok()) co_return ErrorResponse(FromStatus(c.status()));
    const absl::Time now = absl::Now();
    if (call.route == "GET /v1/complaints/{id}") {
      co_return JsonResponse(http::status::ok, {{"complaint", ComplaintJson(*c, now)},
                                                {"overdue", requests::IsOverdue(*c, now)}});
    }
    co_return JsonResponse(http::status::ok, ComplaintJson(*c, now));
  }

  // --- Incidents (docs/incidents.md): permission "incidents" ---
  if (s.size() >= 2 && s[1] == "incidents") {
    std::function<absl::StatusOr<json>()> job;
    http::status success = http::status::ok;
    bool html = false;
    const std::string by = call.actor;
    if (is(http::verb::post, {"v1", "incidents"})) {
      call.route = "POST /v1/incidents";
      engine::IncidentSpec spec;
      spec.description = body.RequiredString("description");
      const std::string cause = body.RequiredString("cause");
      if (!cause.empty()) {
        absl::StatusOr<incident::Cause> parsed = incident::ParseCause(cause);
        if (!parsed.ok()) {
          body.Fail("invalid_argument",
                    fmt::format("cause: {}", common::FromAbsl(parsed.status().message())));
        } else {
          spec.cause = *parsed;
        }
      }
      spec.suspected = body.OptionalBool("suspected").value_or(false);
      std::optional<std::string> discovered = body.OptionalString("discovered_at");
      std::optional<std::string> occurred = body.OptionalString("occurred_at");
      std::optional<json> scope = body.OptionalObject("scope");
      if (!scope && !body.error()) body.Fail("missing_field", "scope: required");
      std::optional<std::vector<std::string>> financial_risk;
      if (body_json.contains("financial_risk")) {
        financial_risk = body.RequiredStrings("financial_risk");
      }
      if (auto bad = bad_body()) co_return *bad;
      spec.financial_risk = std::move(financial_risk);
      success = http::status::created;
      job = [this, by, spec = std::move(spec), discovered, occurred,
             scope = *scope]() mutable -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(absl::TimeZone zone, engine_.TimeZone());
        if (discovered) {
          absl::StatusOr<common::DayOrTime> at = common::ParseDayOrTime(*discovered);
          if (!at.ok()) {
            return absl::InvalidArgumentError(
                "discovered_at: expected a date YYYY-MM-DD or an RFC 3339 time");
          }
          spec.discovered_at = at->time;
          spec.discovered_on = at->day;
        } else {
          spec.discovered_at = absl::Now();
        }
        if (occurred) {
          absl::StatusOr<common::DayOrTime> at = common::ParseDayOrTime(*occurred);
          if (!at.ok()) {
            return absl::InvalidArgumentError(
                "occurred_at: expected a date YYYY-MM-DD or an RFC 3339 time");
          }
          spec.occurred_at = at->day ? absl::FromCivil(*at->day, zone) : at->time;
        }
        ASSIGN_OR_RETURN(spec.scope, engine::IncidentScopeFromJson(scope, zone));
        ASSIGN_OR_RETURN(engine::IncidentView view, engine_.OpenIncident(by, std::move(spec)));
        return engine::IncidentJson(view, absl::Now());
      };
    } else if (is(http::verb::get, {"v1", "incidents"})) {
      call.route = "GET /v1/incidents";
      job = [this]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(std::vector<engine::IncidentView> views, engine_.ListIncidents());
        json list = json::array();
        for (const engine::IncidentView& v : views) {
          list.push_back(engine::IncidentJson(v, absl::Now()));
        }
        return json{{"incidents", std::move(list)}};
      };
    } else if (is(http::verb::get, {"v1", "incidents", "*"})) {
      call.route = "GET /v1/incidents/{id}";
      job = [this, id = s[2]]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(engine::IncidentView view, engine_.GetIncident(id));
        return engine::IncidentJson(view, absl::Now());
      };
    } else if (is(http::verb::post, {"v1", "incidents", "*", "scope"})) {
      call.route = "POST /v1/incidents/{id}/scope";
      std::optional<json> scope = body.OptionalObject("scope");
      if (!scope && !body.error()) body.Fail("missing_field", "scope: required");
      if (auto bad = bad_body()) co_return *bad;
      job = [this, by, id = s[2], scope = *scope]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(absl::TimeZone zone, engine_.TimeZone());
        ASSIGN_OR_RETURN(engine::IncidentScope parsed, engine::IncidentScopeFromJson(scope, zone));
        ASSIGN_OR_RETURN(engine::IncidentView view,
                         engine_.RescopeIncident(by, id, std::move(parsed)));
        return engine::IncidentJson(view, absl::Now());
      };
    } else if (is(http::verb::get, {"v1", "incidents", "*", "subjects"})) {
      call.route = "GET /v1/incidents/{id}/subjects";
      job = [this, id = s[2]]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(std::vector<store::IncidentSubjectRow> rows, engine_.IncidentSubjects(id));
        return engine::IncidentSubjectsJson(id, rows);
      };
    } else if (is(http::verb::get, {"v1", "incidents", "*", "timeline"})) {
      call.route = "GET /v1/incidents/{id}/timeline";
      job = [this, id = s[2]]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(std::vector<json> events, engine_.IncidentTimeline(id));
        return json{{"incident", id}, {"events", std::move(events)}};
      };
    } else if (is(http::verb::post, {"v1", "incidents", "*", "narrative"})) {
      call.route = "POST /v1/incidents/{id}/narrative";
      // Fields not sent keep what the incident already says.
      json given = json::object();
      for (const char* field : {"secondary_damage", "response_to_persons", "publication",
                                "recurrence_prevention", "other", "inquiry_desk"}) {
        if (std::optional<std::string> v = body.OptionalString(field)) given[field] = *v;
      }
      body.Finish();  // an unknown field is named as such, not as a missing one
      if (given.empty() && !body.error()) {
        body.Fail("missing_field", "give at least one narrative field");
      }
      if (auto bad = bad_body()) co_return *bad;
      job = [this, by, id = s[2], given]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(engine::IncidentView current, engine_.GetIncident(id));
        json merged = engine::NarrativeToJson(current.narrative);
        merged.update(given);
        ASSIGN_OR_RETURN(incident::IncidentNarrative narrative, engine::NarrativeFromJson(merged));
        ASSIGN_OR_RETURN(engine::IncidentView view,
                         engine_.SetIncidentNarrative(by, id, std::move(narrative)));
        return engine::IncidentJson(view, absl::Now());
      };
    } else if (is(http::verb::post, {"v1", "incidents", "*", "reports"})) {
      call.route = "POST /v1/incidents/{id}/reports";
      const std::string kind_name = body.RequiredString("kind");
      incident::ReportKind kind = incident::ReportKind::kAppiPreliminary;
      if (!kind_name.empty()) {
        absl::StatusOr<incident::ReportKind> parsed = incident::ParseReportKind(kind_name);
        if (!parsed.ok()) {
          body.Fail("invalid_argument",
                    fmt::format("kind: {}", common::FromAbsl(parsed.status().message())));
        } else {
          kind = *parsed;
        }
      }
      std::optional<std::string> submitted = body.OptionalString("submitted_at");
      const std::string reference = body.OptionalString("reference").value_or("");
      if (auto bad = bad_body()) co_return *bad;
      success = http::status::created;
      job = [this, by, id = s[2], kind, submitted, reference]() -> absl::StatusOr<json> {
        absl::Time at = absl::Now();
        if (submitted) {
          absl::StatusOr<common::DayOrTime> when = common::ParseDayOrTime(*submitted);
          if (!when.ok()) {
            return absl::InvalidArgumentError(
                "submitted_at: expected a date YYYY-MM-DD or an RFC 3339 time");
          }
          ASSIGN_OR_RETURN(absl::TimeZone zone, engine_.TimeZone());
          at = when->day ? absl::FromCivil(*when->day, zone) : when->time;
        }
        ASSIGN_OR_RETURN(engine::IncidentView view,
                         engine_.SubmitIncidentReport(by, id, kind, at, reference));
        return engine::IncidentJson(view, absl::Now());
      };
    } else if (is(http::verb::get, {"v1", "incidents", "*", "drafts", "*"})) {
      call.route = "GET /v1/incidents/{id}/drafts/{kind}";
      absl::StatusOr<incident::ReportKind> kind = incident::ParseReportKind(s[4]);
      if (!kind.ok()) {
        co_return ErrorResponse({http::status::not_found, "not_found",
                                 std::string(common::FromAbsl(kind.status().message()))});
      }
      notice::Language language = notice::Language::kJa;
      if (auto it = call.query.find("lang"); it != call.query.end()) {
        std::optional<notice::Language> parsed = notice::ParseLanguage(it->second);
        if (!parsed) {
          co_return ErrorResponse(
              {http::status::bad_request, "invalid_argument", "lang: expected ja or en"});
        }
        language = *parsed;
      }
      if (auto it = call.query.find("format"); it != call.query.end()) {
        if (it->second != "json" && it->second != "html") {
          co_return ErrorResponse(
              {http::status::bad_request, "invalid_argument", "format: expected json or html"});
        }
        html = it->second == "html";
      }
      job = [this, id = s[2], kind = *kind, language, html]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(std::string draft, engine_.IncidentDraft(id, kind, language, html));
        if (html) return json(std::move(draft));
        return json::parse(draft);
      };
    } else if (is(http::verb::post, {"v1", "incidents", "*", "notices"})) {
      call.route = "POST /v1/incidents/{id}/notices";
      const std::string purpose = body.OptionalString("purpose").value_or("dpv:CustomerCare");
      const std::string lang = body.OptionalString("lang").value_or("ja");
      std::optional<notice::Language> language = notice::ParseLanguage(lang);
      if (!language) body.Fail("invalid_argument", "lang: expected ja or en");
      if (auto bad = bad_body()) co_return *bad;
      job = [this, by, id = s[2], purpose, language = *language]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(engine::NoticeBatch batch,
                         engine_.IncidentNotices(by, id, purpose, language));
        return engine::NoticeBatchJson(batch);
      };
    } else if (is(http::verb::post, {"v1", "incidents", "*", "close"})) {
      call.route = "POST /v1/incidents/{id}/close";
      if (auto bad = bad_body()) co_return *bad;
      job = [this, by, id = s[2]]() -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(engine::IncidentView view, engine_.CloseIncident(by, id));
        return engine::IncidentJson(view, absl::Now());
      };
    }
    if (job) {
      auto permission_check = require_permission("incidents");
      if (auto refused = co_await std::move(permission_check)) co_return *refused;
      auto pending = AwaitBlocking<json>(blocking_, std::move(job));
      absl::StatusOr<json> r = co_await std::move(pending);
      if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
      if (html) co_return HtmlPage(r->get<std::string>());
      co_return JsonResponse(success, *r);
    }
  }

  // --- Retention (docs/retention.md): legal holds, contract ends, sweeps ---
  if (is(http::verb::post, {"v1", "holds"})) {
    call.route = "POST /v1/holds";
    engine::HoldSpec spec;
    spec.subject = body.RequiredString("subject");
    spec.category = body.OptionalString("category");
    spec.basis = body.RequiredString("basis");
    const std::string until = body.RequiredString("until");
    if (!until.empty()) {
      absl::StatusOr<common::DayOrTime> when = common::ParseDayOrTime(until);
      if (!when.ok()) {
        body.Fail("invalid_argument", "until: expected a date YYYY-MM-DD or an RFC 3339 time");
      } else {
        spec.until = when->time;
        spec.until_day = when->day;
      }
    }
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("retention");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<store::LegalHoldRow>()> job_hold =
        [this, actor = call.actor, spec = std::move(spec)] { return engine_.AddHold(actor, spec); };
    auto pending_hold = AwaitBlocking<store::LegalHoldRow>(blocking_, std::move(job_hold));
    absl::StatusOr<store::LegalHoldRow> r = co_await std::move(pending_hold);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::created, engine::HoldJson(*r));
  }
  if (is(http::verb::get, {"v1", "holds"})) {
    call.route = "GET /v1/holds";
    std::string subject;
    if (auto it = call.query.find("subject"); it != call.query.end()) subject = it->second;
    auto permission_check = require_permission("retention");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<std::vector<store::LegalHoldRow>>()> job_holds = [this, subject] {
      return engine_.ListHolds(subject);
    };
    auto pending_holds =
        AwaitBlocking<std::vector<store::LegalHoldRow>>(blocking_, std::move(job_holds));
    absl::StatusOr<std::vector<store::LegalHoldRow>> r = co_await std::move(pending_holds);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    json holds = json::array();
    for (const store::LegalHoldRow& hold : *r) holds.push_back(engine::HoldJson(hold));
    co_return JsonResponse(http::status::ok, {{"holds", std::move(holds)}});
  }
  if (is(http::verb::post, {"v1", "holds", "*", "release"})) {
    call.route = "POST /v1/holds/{id}/release";
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("retention");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<store::LegalHoldRow>()> job_release =
        [this, actor = call.actor, id = s[2]] { return engine_.ReleaseHold(actor, id); };
    auto pending_release = AwaitBlocking<store::LegalHoldRow>(blocking_, std::move(job_release));
    absl::StatusOr<store::LegalHoldRow> r = co_await std::move(pending_release);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::ok, engine::HoldJson(*r));
  }
  // The language the person chose for what the operator sends them
  // (incident notices): kept by the privacy office (permission `requests`).
  if (is(http::verb::get, {"v1", "subjects", "*", "language"}) ||
      is(http::verb::post, {"v1", "subjects", "*", "language"})) {
    const bool set = call.request.method() == http::verb::post;
    call.route = set ? "POST /v1/subjects/{id}/language" : "GET /v1/subjects/{id}/language";
    std::string language;
    if (set) {
      language = body.RequiredString("language");
      if (auto bad = bad_body()) co_return *bad;
    }
    auto permission_check = require_permission("requests");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<std::string>()> job_language =
        [this, actor = call.actor, subject = s[2], set,
         language = std::move(language)]() -> absl::StatusOr<std::string> {
      if (set) RETURN_IF_ERROR(engine_.SetSubjectLanguage(actor, subject, language));
      return engine_.SubjectLanguage(subject);
    };
    auto pending_language = AwaitBlocking<std::string>(blocking_, std::move(job_language));
    absl::StatusOr<std::string> r = co_await std::move(pending_language);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::ok,
                           {{"subject", s[2]}, {"language", r->empty() ? json() : json(*r)}});
  }
  if (is(http::verb::post, {"v1", "subjects", "*", "contract-end"})) {
    call.route = "POST /v1/subjects/{id}/contract-end";
    const std::string service = body.OptionalString("service").value_or("");
    const std::string ended = body.RequiredString("ended_at");
    common::DayOrTime ended_at;
    if (!ended.empty()) {
      absl::StatusOr<common::DayOrTime> when = common::ParseDayOrTime(ended);
      if (!when.ok()) {
        body.Fail("invalid_argument", "ended_at: expected a date YYYY-MM-DD or an RFC 3339 time");
      } else {
        ended_at = *when;
      }
    }
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("retention");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<store::ContractEndRow>()> job_end =
        [this, actor = call.actor, subject = s[2], service, ended_at] {
          return ended_at.day ? engine_.RecordContractEndOn(actor, subject, service, *ended_at.day)
                              : engine_.RecordContractEnd(actor, subject, service, ended_at.time);
        };
    auto pending_end = AwaitBlocking<store::ContractEndRow>(blocking_, std::move(job_end));
    absl::StatusOr<store::ContractEndRow> r = co_await std::move(pending_end);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::ok, engine::ContractEndJson(*r));
  }
  if (is(http::verb::post, {"v1", "retention", "sweep"})) {
    call.route = "POST /v1/retention/sweep";
    engine::SweepOptions options;
    options.dry_run = body.OptionalBool("dry_run").value_or(false);
    std::optional<common::DayOrTime> as_of;
    if (std::optional<std::string> text = body.OptionalString("as_of")) {
      absl::StatusOr<common::DayOrTime> when = common::ParseDayOrTime(*text);
      if (!when.ok()) {
        body.Fail("invalid_argument", "as_of: expected a date YYYY-MM-DD or an RFC 3339 time");
      } else {
        as_of = *when;
      }
    }
    if (as_of && !options.dry_run) {
      body.Fail("invalid_argument", "as_of: only a dry run may look at another date");
    }
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("retention");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    if (as_of && as_of->day) {
      options.as_of_day = as_of->day;
    } else if (as_of) {
      options.as_of = as_of->time;
    }
    std::function<absl::StatusOr<engine::SweepSummary>()> job_sweep =
        [this, actor = call.actor, options = std::move(options)] {
          return engine_.SweepRetention(actor, options);
        };
    auto pending_sweep = AwaitBlocking<engine::SweepSummary>(blocking_, std::move(job_sweep));
    absl::StatusOr<engine::SweepSummary> r = co_await std::move(pending_sweep);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::ok, engine::SweepSummaryJson(*r));
  }

  // --- Provision (docs/provision.md) ---
  if (is(http::verb::post, {"v1", "provisions"})) {
    call.route = "POST /v1/provisions";
    engine::ProvideRequest provide;
    provide.actor = call.actor;
    provide.recipient = body.RequiredString("recipient");
    provide.purpose = body.RequiredString("purpose");
    // One subject, or many at once.
    std::optional<std::string> one = body.OptionalString("subject");
    if (one && body_json.contains("subjects") && !body_json["subjects"].is_null()) {
      body.Fail("invalid_argument", "subjects: give either subject or subjects, not both");
    }
    if (one) {
      provide.subjects = {*one};
    } else {
      provide.subjects = body.RequiredStrings("subjects");
    }
    provide.categories = body.RequiredStrings("categories");
    std::optional<std::string> ground = body.OptionalString("ground");
    provide.reason = body.OptionalString("reason").value_or("");
    if (ground) {
      std::optional<policy::Ground> g = policy::ParseGround(*ground);
      if (!g || *g == policy::Ground::kNone) {
        body.Fail("invalid_argument", "ground: unknown ground");
      } else {
        provide.ground = *g;
      }
    }
    if (auto bad = bad_body()) co_return *bad;
    std::function<absl::StatusOr<engine::ProvideResult>()> job_provide = [this, provide] {
      return engine_.Provide(provide);
    };
    auto pending_provide = AwaitBlocking<engine::ProvideResult>(blocking_, std::move(job_provide));
    absl::StatusOr<engine::ProvideResult> r = co_await std::move(pending_provide);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    for (const engine::SubjectProvision& p : r->subjects) {
      metrics_.ObserveDecision(policy::OutcomeName(p.decision.decision.outcome),
                               p.decision.decision.reason_code);
    }
    json answer = engine::ProvideResultJson(provide, *r);
    if (r->payload.is_null()) {
      // Every subject denied: 403 with each decision, as a denied use.
      const policy::Decision& first = r->subjects.front().decision.decision;
      co_return ErrorResponse({http::status::forbidden, "denied",
                               fmt::format("denied for every subject: {} [{}] for the first",
                                           first.reason_code, first.rule_id)},
                              std::move(answer));
    }
    co_return JsonResponse(http::status::ok, answer);
  }
  if (is(http::verb::get, {"v1", "provisions", "records"})) {
    call.route = "GET /v1/provisions/records";
    std::string subject, recipient;
    if (auto it = call.query.find("subject"); it != call.query.end()) subject = it->second;
    if (auto it = call.query.find("recipient"); it != call.query.end()) recipient = it->second;
    if (subject.empty() == recipient.empty()) {
      co_return ErrorResponse({http::status::bad_request, "invalid_argument",
                               "give either subject or recipient as a query parameter"});
    }
    auto permission_check = require_permission("audit");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<engine::ProvisionRecords>()> job_records =
        [this, subject, recipient] { return engine_.ListProvisionRecords(subject, recipient); };
    auto pending_records =
        AwaitBlocking<engine::ProvisionRecords>(blocking_, std::move(job_records));
    absl::StatusOr<engine::ProvisionRecords> r = co_await std::move(pending_records);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::ok,
                           engine::ProvisionRecordsJson(*r, /*by_subject=*/!subject.empty()));
  }
  if (is(http::verb::post, {"v1", "provisions", "receipts"})) {
    call.route = "POST /v1/provisions/receipts";
    engine::ReceiptSpec spec;
    spec.provider_name = body.RequiredString("provider_name");
    spec.provider_address = body.RequiredString("provider_address");
    spec.provider_representative = body.RequiredString("provider_representative");
    spec.how_obtained = body.RequiredString("how_obtained");
    spec.by_opt_out = body.OptionalBool("by_opt_out").value_or(false);
    spec.subject = body.OptionalString("subject");
    spec.categories = body.RequiredStrings("categories");
    if (std::optional<std::string> text = body.OptionalString("received_at")) {
      absl::StatusOr<common::DayOrTime> when = common::ParseDayOrTime(*text);
      if (!when.ok()) {
        body.Fail("invalid_argument",
                  "received_at: expected a date YYYY-MM-DD or an RFC 3339 time");
      } else {
        spec.received_at = when->time;
        spec.received_on = when->day;
      }
    }
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("policy");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<store::ReceiptRow>()> job_receipt = [this, actor = call.actor,
                                                                      spec = std::move(spec)] {
      return engine_.RecordReceipt(actor, spec);
    };
    auto pending_receipt = AwaitBlocking<store::ReceiptRow>(blocking_, std::move(job_receipt));
    absl::StatusOr<store::ReceiptRow> r = co_await std::move(pending_receipt);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::created, engine::ReceiptJson(*r));
  }
  if (is(http::verb::get, {"v1", "trustees"})) {
    call.route = "GET /v1/trustees";
    bool overdue_only = false;
    if (auto it = call.query.find("overdue"); it != call.query.end()) {
      if (it->second != "true" && it->second != "false") {
        co_return ErrorResponse(
            {http::status::bad_request, "invalid_argument", "overdue: expected true or false"});
      }
      overdue_only = it->second == "true";
    }
    auto permission_check = require_permission("audit");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<std::vector<engine::TrusteeStatus>>()> job_trustees =
        [this, overdue_only] { return engine_.ListTrustees(overdue_only); };
    auto pending_trustees =
        AwaitBlocking<std::vector<engine::TrusteeStatus>>(blocking_, std::move(job_trustees));
    absl::StatusOr<std::vector<engine::TrusteeStatus>> r = co_await std::move(pending_trustees);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    json trustees = json::array();
    for (const engine::TrusteeStatus& t : *r) trustees.push_back(engine::TrusteeStatusJson(t));
    co_return JsonResponse(http::status::ok, {{"trustees", std::move(trustees)}});
  }
  if (is(http::verb::post, {"v1", "trustees", "*", "audits"})) {
    call.route = "POST /v1/trustees/{id}/audits";
    engine::TrusteeAuditSpec spec;
    spec.trustee = s[2];
    const std::string audited = body.RequiredString("audited_at");
    spec.result = body.RequiredString("result");
    if (!audited.empty()) {
      absl::StatusOr<common::DayOrTime> when = common::ParseDayOrTime(audited);
      if (!when.ok()) {
        body.Fail("invalid_argument", "audited_at: expected a date YYYY-MM-DD or an RFC 3339 time");
      } else {
        spec.audited_at = when->time;
        spec.audited_on = when->day;
      }
    }
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("policy");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<store::TrusteeAuditRow>()> job_audit = [this, actor = call.actor,
                                                                         spec = std::move(spec)] {
      return engine_.RecordTrusteeAudit(actor, spec);
    };
    auto pending_audit = AwaitBlocking<store::TrusteeAuditRow>(blocking_, std::move(job_audit));
    absl::StatusOr<store::TrusteeAuditRow> r = co_await std::move(pending_audit);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::created, engine::TrusteeAuditJson(*r));
  }
  if (is(http::verb::post, {"v1", "trustees", "*", "subcontractors"})) {
    call.route = "POST /v1/trustees/{id}/subcontractors";
    const std::string subcontractor = body.RequiredString("subcontractor");
    const std::string scope = body.RequiredString("scope");
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("policy");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<store::ReentrustmentRow>()> job_approve =
        [this, actor = call.actor, trustee = s[2], subcontractor, scope] {
          return engine_.ApproveReentrustment(actor, trustee, subcontractor, scope);
        };
    auto pending_approve =
        AwaitBlocking<store::ReentrustmentRow>(blocking_, std::move(job_approve));
    absl::StatusOr<store::ReentrustmentRow> r = co_await std::move(pending_approve);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::created, engine::ReentrustmentJson(*r));
  }

  // --- The ledger ---
  if (is(http::verb::get, {"v1", "ledger", "head"})) {
    call.route = "GET /v1/ledger/head";
    std::function<absl::StatusOr<std::optional<ledger::TreeHead>>()> job8 = [this] {
      return engine_.LedgerHead();
    };
    auto pending8 = AwaitBlocking<std::optional<ledger::TreeHead>>(blocking_, std::move(job8));
    absl::StatusOr<std::optional<ledger::TreeHead>> r = co_await std::move(pending8);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    if (!*r) co_return ErrorResponse({http::status::not_found, "not_found", "no tree head yet"});
    co_return JsonResponse(http::status::ok, ledger::TreeHeadToJson(**r));
  }
  if (is(http::verb::get, {"v1", "ledger", "proof"})) {
    call.route = "GET /v1/ledger/proof";
    std::optional<uint64_t> entry, size;
    auto entry_it = call.query.find("entry");
    if (entry_it == call.query.end()) {
      co_return ErrorResponse({http::status::bad_request, "missing_field",
                               "entry: a non-negative integer query parameter is required"});
    }
    entry = ParseCount(entry_it->second);
    if (!entry) {
      co_return ErrorResponse({http::status::bad_request, "invalid_argument",
                               "entry: expected a non-negative integer"});
    }
    if (auto it = call.query.find("size"); it != call.query.end()) {
      size = ParseCount(it->second);
      if (!size) {
        co_return ErrorResponse({http::status::bad_request, "invalid_argument",
                                 "size: expected a non-negative integer"});
      }
    }
    std::function<absl::StatusOr<ledger::EntryProof>()> job9 = [this, entry, size] {
      return engine_.ProveEntry(*entry, size);
    };
    auto pending9 = AwaitBlocking<ledger::EntryProof>(blocking_, std::move(job9));
    absl::StatusOr<ledger::EntryProof> r = co_await std::move(pending9);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::ok, ledger::EntryProofToJson(*r));
  }
  if (is(http::verb::post, {"v1", "ledger", "verify"})) {
    call.route = "POST /v1/ledger/verify";
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("audit");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<ledger::VerifyReport>()> job10 = [this] {
      return engine_.VerifyLedger();
    };
    auto pending10 = AwaitBlocking<ledger::VerifyReport>(blocking_, std::move(job10));
    absl::StatusOr<ledger::VerifyReport> r = co_await std::move(pending10);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::ok, ledger::VerifyReportToJson(*r));
  }

  // --- Administration: tokens, actors, training, policy ---
  if (is(http::verb::post, {"v1", "tokens"})) {
    call.route = "POST /v1/tokens";
    std::string target = body.RequiredString("actor");
    std::optional<int64_t> days = body.OptionalInteger("expires_days");
    if (days && *days <= 0) body.Fail("invalid_argument", "expires_days: must be positive");
    // Beyond this the expiry time overflows into "infinite-future".
    constexpr int64_t kMaxExpiresDays = 36500;
    if (days && *days > kMaxExpiresDays) {
      body.Fail("invalid_argument", fmt::format("expires_days: at most {}", kMaxExpiresDays));
    }
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("actors");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<engine::Engine::IssuedToken>()> job11 = [this, actor = call.actor,
                                                                          target, days] {
      std::optional<absl::Duration> expires;
      if (days) expires = absl::Hours(24) * *days;
      return engine_.CreateToken(actor, target, expires);
    };
    auto pending11 = AwaitBlocking<engine::Engine::IssuedToken>(blocking_, std::move(job11));
    absl::StatusOr<engine::Engine::IssuedToken> r = co_await std::move(pending11);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(
        http::status::created,
        {{"token", r->token},
         {"id", r->row.id},
         {"actor", r->row.actor_id},
         {"expires_at",
          r->row.expires_at ? json(common::FormatTimestamp(*r->row.expires_at)) : json()}});
  }
  if (is(http::verb::post, {"v1", "tokens", "*", "revoke"})) {
    call.route = "POST /v1/tokens/{id}/revoke";
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("actors");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<store::TokenRow>()> job12 = [this, actor = call.actor, id = s[2]] {
      return engine_.RevokeToken(actor, id);
    };
    auto pending12 = AwaitBlocking<store::TokenRow>(blocking_, std::move(job12));
    absl::StatusOr<store::TokenRow> r = co_await std::move(pending12);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::ok,
                           {{"id", r->id},
                            {"actor", r->actor_id},
                            {"revoked_at", common::FormatTimestamp(*r->revoked_at)}});
  }
  if (is(http::verb::post, {"v1", "actors"})) {
    call.route = "POST /v1/actors";
    std::string id = body.RequiredString("id");
    std::vector<std::string> roles = body.RequiredStrings("roles");
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("actors");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<store::ActorRow>()> job13 = [this, actor = call.actor, id, roles] {
      return engine_.AddActor(actor, id, roles);
    };
    auto pending13 = AwaitBlocking<store::ActorRow>(blocking_, std::move(job13));
    absl::StatusOr<store::ActorRow> r = co_await std::move(pending13);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::created, {{"actor", r->id}, {"roles", r->roles}});
  }
  if (is(http::verb::post, {"v1", "training"})) {
    call.route = "POST /v1/training";
    std::string target = body.RequiredString("actor");
    std::string course = body.RequiredString("course");
    std::string completed = body.RequiredString("completed");
    absl::StatusOr<absl::CivilDay> day = common::ParseDate(completed);
    if (!completed.empty() && !day.ok()) {
      body.Fail("invalid_argument", "completed: expected a date YYYY-MM-DD");
    }
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("actors");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    const absl::CivilDay civil = *day;
    std::function<absl::StatusOr<store::TrainingRow>()> job14 = [this, actor = call.actor, target,
                                                                 course, civil] {
      return engine_.RecordTrainingOn(actor, target, course, civil);
    };
    auto pending14 = AwaitBlocking<store::TrainingRow>(blocking_, std::move(job14));
    absl::StatusOr<store::TrainingRow> r = co_await std::move(pending14);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(http::status::created,
                           {{"actor", r->actor_id},
                            {"course", r->course},
                            {"completed_at", common::FormatTimestamp(r->completed_at)}});
  }
  if (is(http::verb::post, {"v1", "policy"})) {
    call.route = "POST /v1/policy";
    std::string toml = body.RequiredString("toml");
    std::string source = body.OptionalString("source").value_or("policy uploaded over the API");
    if (auto bad = bad_body()) co_return *bad;
    auto permission_check = require_permission("policy");
    if (auto refused = co_await std::move(permission_check)) co_return *refused;
    std::function<absl::StatusOr<vault::PolicyLoadResult>()> job15 = [this, actor = call.actor,
                                                                      toml, source] {
      absl::StatusOr<vault::PolicyLoadResult> loaded = engine_.LoadPolicy(actor, toml, source);
      if (loaded.ok() && !loaded->unchanged) PublishPolicy(toml, loaded->version);
      return loaded;
    };
    auto pending15 = AwaitBlocking<vault::PolicyLoadResult>(blocking_, std::move(job15));
    absl::StatusOr<vault::PolicyLoadResult> r = co_await std::move(pending15);
    if (!r.ok()) co_return ErrorResponse(FromStatus(r.status()));
    co_return JsonResponse(r->unchanged ? http::status::ok : http::status::created,
                           {{"version", r->version},
                            {"unchanged", r->unchanged},
                            {"summary", r->summary},
                            {"changes", r->diff}});
  }

  co_return ErrorResponse({http::status::not_found, "not_found", "no such endpoint"});
}

}  // namespace mamori::server
