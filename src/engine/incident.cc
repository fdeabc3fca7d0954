// Incidents (docs/incidents.md): the affected set from the ledger's use
// index, the incident's facts and reports, and the customer notices.
#include <algorithm>
#include <map>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/engine_submit.h"
#include "fmt/core.h"
#include "incident/customer_notice.h"
#include "incident/drafts.h"
#include "ledger/ledger.h"

namespace mamori::engine {

using internal::Blank;
using internal::ChangeEntry;
using internal::Invalid;
using json = nlohmann::json;

namespace {

constexpr char kUseIndexCursor[] = "ledger.uses";

// What an actor "read or received" (the wording): a decide returns
// no value, a collect gives data to mamori, not to the actor.
const std::vector<std::string> kTouchingActions = {"read", "find", "provide"};

// A window's bound: an RFC 3339 time, or a day in the operator's zone (a
// window's `to` day is included whole: the bound is the next day's start).
absl::StatusOr<absl::Time> TimeField(const json& object, std::string_view key,
                                     absl::TimeZone zone) {
  auto it = object.find(key);
  absl::StatusOr<common::DayOrTime> t = it != object.end() && it->is_string()
                                            ? common::ParseDayOrTime(it->get<std::string>())
                                            : absl::InvalidArgumentError("missing");
  if (!t.ok()) {
    return Invalid(fmt::format("{}: expected a date YYYY-MM-DD or an RFC 3339 time", key));
  }
  if (!t->day) return t->time;
  return absl::FromCivil(key == "to" ? *t->day + 1 : *t->day, zone);
}

absl::StatusOr<std::string> StringField(const json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get<std::string>().empty()) {
    return Invalid(fmt::format("{}: expected a non-empty string", key));
  }
  return it->get<std::string>();
}

absl::Status OnlyKeys(const json& object, std::string_view where,
                      std::initializer_list<std::string_view> keys) {
  if (!object.is_object()) return Invalid(fmt::format("{}: expected an object", where));
  for (const auto& [key, value] : object.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return Invalid(fmt::format("{}.{}: unknown field", where, key));
    }
  }
  return absl::OkStatus();
}

// One subject's part of the affected set: its categories, and whether each
// came only through scopes whose copies were encrypted without their keys.
struct SubjectCategories {
  std::map<std::string, bool> exempt;  // category → exempt so far
  void Add(const std::string& category, bool encrypted_without_keys) {
    auto [it, inserted] = exempt.try_emplace(category, encrypted_without_keys);
    if (!inserted) it->second = it->second && encrypted_without_keys;
  }
};

}  // namespace

json IncidentScopeToJson(const IncidentScope& scope) {
  json actors = json::array();
  for (const ActorWindow& w : scope.actors) {
    actors.push_back({{"actor", w.actor},
                      {"from", common::FormatTimestamp(w.from)},
                      {"to", common::FormatTimestamp(w.to)}});
  }
  json recipients = json::array();
  for (const RecipientWindow& w : scope.recipients) {
    recipients.push_back({{"recipient", w.recipient},
                          {"from", common::FormatTimestamp(w.from)},
                          {"to", common::FormatTimestamp(w.to)}});
  }
  json services = json::array();
  for (const ServiceScope& s : scope.services) {
    services.push_back({{"service", s.service},
                        {"categories", s.categories},
                        {"encrypted_without_keys", s.encrypted_without_keys}});
  }
  return {{"actors", std::move(actors)},
          {"recipients", std::move(recipients)},
          {"subjects", scope.subjects},
          {"services", std::move(services)}};
}

absl::StatusOr<IncidentScope> IncidentScopeFromJson(const json& j, absl::TimeZone zone) {
  RETURN_IF_ERROR(OnlyKeys(j, "scope", {"actors", "recipients", "subjects", "services"}));
  IncidentScope scope;
  auto array = [&](std::string_view key) -> absl::StatusOr<const json*> {
    auto it = j.find(key);
    if (it == j.end()) return nullptr;
    if (!it->is_array()) return Invalid(fmt::format("scope.{}: expected an array", key));
    return &*it;
  };
  ASSIGN_OR_RETURN(const json* actors, array("actors"));
  if (actors != nullptr) {
    for (const json& w : *actors) {
      RETURN_IF_ERROR(OnlyKeys(w, "scope.actors[]", {"actor", "from", "to"}));
      ActorWindow window;
      ASSIGN_OR_RETURN(window.actor, StringField(w, "actor"));
      ASSIGN_OR_RETURN(window.from, TimeField(w, "from", zone));
      ASSIGN_OR_RETURN(window.to, TimeField(w, "to", zone));
      scope.actors.push_back(std::move(window));
    }
  }
  ASSIGN_OR_RETURN(const json* recipients, array("recipients"));
  if (recipients != nullptr) {
    for (const json& w : *recipients) {
      RETURN_IF_ERROR(OnlyKeys(w, "scope.recipients[]", {"recipient", "from", "to"}));
      RecipientWindow window;
      ASSIGN_OR_RETURN(window.recipient, StringField(w, "recipient"));
      ASSIGN_OR_RETURN(window.from, TimeField(w, "from", zone));
      ASSIGN_OR_RETURN(window.to, TimeField(w, "to", zone));
      scope.recipients.push_back(std::move(window));
    }
  }
  ASSIGN_OR_RETURN(const json* subjects, array("subjects"));
  if (subjects != nullptr) {
    for (const json& s : *subjects) {
      if (!s.is_string()) return Invalid("scope.subjects[]: expected a subject id");
      scope.subjects.push_back(s.get<std::string>());
    }
  }
  ASSIGN_OR_RETURN(const json* services, array("services"));
  if (services != nullptr) {
    for (const json& s : *services) {
      RETURN_IF_ERROR(
          OnlyKeys(s, "scope.services[]", {"service", "categories", "encrypted_without_keys"}));
      ServiceScope service;
      ASSIGN_OR_RETURN(service.service, StringField(s, "service"));
      if (auto it = s.find("categories"); it != s.end()) {
        if (!it->is_array()) return Invalid("scope.services[].categories: expected an array");
        for (const json& c : *it) {
          if (!c.is_string()) return Invalid("scope.services[].categories[]: expected a string");
          service.categories.push_back(c.get<std::string>());
        }
      }
      if (auto it = s.find("encrypted_without_keys"); it != s.end()) {
        if (!it->is_boolean()) {
          return Invalid("scope.services[].encrypted_without_keys: expected true or false");
        }
        service.encrypted_without_keys = it->get<bool>();
      }
      scope.services.push_back(std::move(service));
    }
  }
  return scope;
}

json NarrativeToJson(const incident::IncidentNarrative& n) {
  return {{"secondary_damage", n.secondary_damage},
          {"response_to_persons", n.response_to_persons},
          {"publication", n.publication},
          {"recurrence_prevention", n.recurrence_prevention},
          {"other", n.other},
          {"inquiry_desk", n.inquiry_desk}};
}

absl::StatusOr<incident::IncidentNarrative> NarrativeFromJson(const json& j) {
  RETURN_IF_ERROR(OnlyKeys(j, "narrative",
                           {"secondary_damage", "response_to_persons", "publication",
                            "recurrence_prevention", "other", "inquiry_desk"}));
  incident::IncidentNarrative n;
  const std::pair<std::string_view, std::string*> fields[] = {
      {"secondary_damage", &n.secondary_damage},
      {"response_to_persons", &n.response_to_persons},
      {"publication", &n.publication},
      {"recurrence_prevention", &n.recurrence_prevention},
      {"other", &n.other},
      {"inquiry_desk", &n.inquiry_desk}};
  for (const auto& [key, field] : fields) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    if (!it->is_string()) return Invalid(fmt::format("narrative.{}: expected a string", key));
    *field = it->get<std::string>();
  }
  return n;
}

// --- The use index ---

// Off the writer (Engine::FoldLedger), in jobs of the sweep's default
// budget: the server runs it before each scheduled sweep.
absl::Status Engine::UpdateUseIndex() {
  std::vector<store::UseRow> uses;
  std::vector<std::string> subjects;
  LedgerFold fold;
  fold.cursor = kUseIndexCursor;
  fold.start_chunk = [&] { uses.clear(); };
  fold.parse = [&](const store::LedgerEntryRow& row) -> size_t {
    // Changes are most of a quiet ledger: skip them unparsed.
    if (row.entry.find("\"decision\"") == std::string::npos) return 0;
    json entry = json::parse(row.entry, nullptr, /*allow_exceptions=*/false);
    if (!entry.is_object() || entry.value("kind", "") != "decision") return 0;
    store::UseRow use;
    use.seq = row.seq;
    absl::StatusOr<absl::Time> at = common::ParseTimestamp(entry.value("at", ""));
    if (!at.ok()) return 0;
    use.at = *at;
    use.actor = entry.value("actor", "");
    use.action = entry.value("action", "");
    use.allowed = entry.value("outcome", "") == "allow";
    use.purpose = entry.value("purpose", "");
    use.recipient = entry.value("recipient", "");
    use.rule_id = entry.value("rule_id", "");
    use.reason_code = entry.value("reason_code", "");
    use.flagged_for_audit = entry.value("flagged_for_audit", false);
    use.ground = entry.value("ground", "none");
    if (auto c = entry.find("categories"); c != entry.end() && c->is_array()) {
      for (const json& category : *c) {
        if (category.is_string()) use.categories.push_back(category.get<std::string>());
      }
    }
    subjects.clear();
    if (auto s = entry.find("subject"); s != entry.end() && s->is_string()) {
      subjects.push_back(s->get<std::string>());
    }
    if (auto s = entry.find("subjects"); s != entry.end() && s->is_array()) {
      for (const json& subject : *s) {
        if (subject.is_string()) subjects.push_back(subject.get<std::string>());
      }
    }
    if (subjects.empty()) subjects.emplace_back();
    for (std::string& subject : subjects) {
      store::UseRow& one = uses.emplace_back(use);
      one.subject = std::move(subject);
    }
    return subjects.size();
  };
  fold.record = [&](size_t first, size_t end) {
    return dir_.store().uses().InsertUses(
        std::span<const store::UseRow>(uses).subspan(first, end - first));
  };
  return FoldLedger(fold, SweepOptions().job_budget);
}

// --- The affected set ---

struct Engine::AffectedSubjects {
  std::map<std::string, SubjectCategories> subjects;
};

absl::StatusOr<Engine::AffectedSubjects> Engine::ComputeAffected(const IncidentScope& scope) {
  const policy::Policy& policy = dir_.policy();
  AffectedSubjects affected;
  store::UseIndexStore& uses = dir_.store().uses();
  for (const ActorWindow& w : scope.actors) {
    ASSIGN_OR_RETURN(std::vector<store::TouchedSubject> touched,
                     uses.SubjectsTouchedByActor(w.actor, w.from, w.to, kTouchingActions));
    for (const store::TouchedSubject& t : touched) {
      for (const std::string& c : t.categories) affected.subjects[t.subject_id].Add(c, false);
    }
  }
  for (const RecipientWindow& w : scope.recipients) {
    ASSIGN_OR_RETURN(std::vector<store::TouchedSubject> touched,
                     uses.SubjectsProvidedTo(w.recipient, w.from, w.to));
    for (const store::TouchedSubject& t : touched) {
      for (const std::string& c : t.categories) affected.subjects[t.subject_id].Add(c, false);
    }
  }
  for (const std::string& subject : scope.subjects) {
    ASSIGN_OR_RETURN(std::vector<store::RecordRow> records,
                     dir_.store().records().ListRecords(subject));
    // A subject with no record left has nothing that could leak now; the
    // officer listed it, so it is kept with no category if it still exists.
    auto& slot = affected.subjects[subject];
    for (const store::RecordRow& r : records) slot.Add(r.category, false);
  }
  if (!scope.services.empty()) {
    // Which (service, category) pairs are in scope, and whether encrypted.
    std::map<std::pair<std::string, std::string>, bool> wanted;
    for (const ServiceScope& s : scope.services) {
      std::vector<std::string> categories = s.categories;
      if (categories.empty()) {
        // Every category the service's purposes cover.
        if (const policy::Service* service = policy.FindService(s.service)) {
          std::set<std::string> all;
          for (const std::string& p : service->purposes) {
            if (const policy::Purpose* purpose = policy.FindPurpose(p)) {
              all.insert(purpose->categories.begin(), purpose->categories.end());
            }
          }
          categories.assign(all.begin(), all.end());
        }
      }
      for (const std::string& c : categories) {
        auto [it, inserted] = wanted.try_emplace({s.service, c}, s.encrypted_without_keys);
        if (!inserted) it->second = it->second && s.encrypted_without_keys;
      }
    }
    // Every record's terms, paged, on a reader of its own (no value opened).
    ASSIGN_OR_RETURN(std::unique_ptr<store::StoreReader> reader, dir_.store().OpenReader());
    std::vector<store::RecordTermsRow> page;
    int64_t after = 0;
    std::pair<std::string, std::string> key;
    while (true) {
      RETURN_IF_ERROR(reader->ScanRecordTerms(after, 4096, page));
      if (page.empty()) break;
      for (const store::RecordTermsRow& row : page) {
        key.first = row.service;
        key.second = row.category;
        auto it = wanted.find(key);
        if (it != wanted.end()) affected.subjects[row.subject_id].Add(row.category, it->second);
      }
      after = page.back().position;
    }
  }
  return affected;
}

namespace {

// The facts of the incident from its row and its affected subjects.
incident::IncidentFacts FactsOf(const store::IncidentRow& row,
                                const std::vector<store::IncidentSubjectRow>& subjects,
                                const std::optional<std::vector<std::string>>& financial_risk) {
  incident::IncidentFacts facts;
  facts.id = row.id;
  facts.discovered_at = row.discovered_at;
  facts.occurred_at = row.occurred_at;
  facts.cause = incident::ParseCause(row.cause).value_or(incident::Cause::kOther);
  facts.suspected = row.suspected;
  facts.description = row.description;
  facts.financial_risk = financial_risk;
  std::map<std::string, std::pair<int64_t, int64_t>> by_category;  // (subjects, exempt ones)
  int64_t outside = 0;
  bool any_exempt = false;
  for (const store::IncidentSubjectRow& s : subjects) {
    if (s.categories.empty()) continue;
    ++facts.affected.subjects;
    if (s.encrypted_without_keys) {
      any_exempt = true;
    } else {
      ++outside;
    }
    for (const std::string& c : s.categories) {
      auto& [count, exempt] = by_category[c];
      ++count;
      if (s.encrypted_without_keys) ++exempt;
    }
  }
  for (const auto& [id, counts] : by_category) {
    facts.affected.categories.push_back({.id = id,
                                         .subjects = counts.first,
                                         .encrypted_without_keys = counts.first == counts.second});
  }
  if (any_exempt) facts.affected.subjects_outside_exemption = outside;
  return facts;
}

}  // namespace

absl::StatusOr<IncidentView> Engine::ViewOf(store::IncidentRow row,
                                            const std::vector<store::IncidentSubjectRow>* known) {
  IncidentView view;
  ASSIGN_OR_RETURN(json scope_json, [&]() -> absl::StatusOr<json> {
    json j = json::parse(row.scope_json, nullptr, false);
    if (j.is_discarded()) return absl::DataLossError("incident scope is not JSON");
    return j;
  }());
  std::optional<std::vector<std::string>> financial_risk;
  if (auto it = scope_json.find("financial_risk"); it != scope_json.end() && it->is_array()) {
    financial_risk = it->get<std::vector<std::string>>();
  }
  json scope_only = scope_json;
  scope_only.erase("financial_risk");
  ASSIGN_OR_RETURN(view.scope, IncidentScopeFromJson(scope_only, OperatorZone()));
  json narrative = json::parse(row.narrative_json, nullptr, false);
  if (narrative.is_discarded()) return absl::DataLossError("incident narrative is not JSON");
  ASSIGN_OR_RETURN(view.narrative, NarrativeFromJson(narrative));
  std::vector<store::IncidentSubjectRow> stored;
  if (known == nullptr) {
    ASSIGN_OR_RETURN(stored, dir_.store().incidents().ListSubjects(row.id));
    known = &stored;
  }
  view.facts = FactsOf(row, *known, financial_risk);
  const policy::Policy& policy = dir_.policy();
  view.reportability = incident::Assess(policy, view.facts);
  ASSIGN_OR_RETURN(view.submitted, dir_.store().incidents().ListReports(row.id));
  view.reports = incident::RequiredReports(view.reportability, row.discovered_at, OperatorZone());
  for (incident::Report& report : view.reports) {
    for (const store::IncidentReportRow& s : view.submitted) {
      if (s.kind == incident::ReportKindName(report.kind)) {
        report.status = incident::ReportStatus::kSubmitted;
        report.submitted_at = s.submitted_at;
      }
    }
  }
  view.row = std::move(row);
  return view;
}

namespace {

absl::Status ValidateScope(const policy::Policy& policy, const IncidentScope& scope) {
  if (scope.empty()) {
    return Invalid(
        "scope: give at least one of an actor window, a recipient window, subjects or a service");
  }
  for (const ActorWindow& w : scope.actors) {
    if (w.actor.empty()) return Invalid("actor: required");
    if (w.from >= w.to) return Invalid("actor window: from must be before to");
  }
  for (const RecipientWindow& w : scope.recipients) {
    if (w.from >= w.to) return Invalid("recipient window: from must be before to");
    // Any name: a joint user, or a recipient since removed from the
    // policy, still has its provisions in the ledger.
    if (Blank(w.recipient)) return Invalid("recipient: required");
  }
  for (const std::string& s : scope.subjects) {
    if (!common::IsValidId(s, common::IdKind::kSubject)) {
      return Invalid("subject: expected a subject id (sub_...)");
    }
  }
  for (const ServiceScope& s : scope.services) {
    if (policy.FindService(s.service) == nullptr)
      return Invalid(fmt::format("service {} is not in the policy", s.service));
    for (const std::string& c : s.categories) {
      if (policy.FindCategory(c) == nullptr) {
        return Invalid(fmt::format("category {} is not in the policy", c));
      }
    }
  }
  return absl::OkStatus();
}

json ScopeSummary(const IncidentScope& scope) {
  // The ledger names the scope's kinds and sizes, not its subjects: the
  // affected set stays with the incident (the count is in the entry).
  return {{"actors", scope.actors.size()},
          {"recipients", scope.recipients.size()},
          {"subjects", scope.subjects.size()},
          {"services", scope.services.size()}};
}

}  // namespace

absl::StatusOr<IncidentView> Engine::OpenIncident(std::string by, IncidentSpec spec) {
  RETURN_IF_ERROR(UpdateUseIndex());
  return Submit<IncidentView>(JobKind::kRecords, [&]() -> absl::StatusOr<IncidentView> {
    const policy::Policy& policy = dir_.policy();
    if (Blank(spec.description)) return Invalid("description: required (what happened)");
    RETURN_IF_ERROR(ValidateScope(policy, spec.scope));
    const absl::Time now = clock_.Now();
    const absl::Time discovered = spec.discovered_on
                                      ? absl::FromCivil(*spec.discovered_on, OperatorZone())
                                      : spec.discovered_at;
    if (discovered > now) return Invalid("discovered: must not be in the future");
    if (spec.occurred_at && *spec.occurred_at > discovered) {
      return Invalid("occurred: must not be after the discovery");
    }
    if (spec.financial_risk) {
      for (const std::string& c : *spec.financial_risk) {
        if (policy.FindCategory(c) == nullptr) {
          return Invalid(fmt::format("financial_risk: category {} is not in the policy", c));
        }
      }
    }
    for (const std::string& s : spec.scope.subjects) {
      ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                       dir_.store().records().GetSubject(s));
      if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", s));
    }
    ASSIGN_OR_RETURN(AffectedSubjects affected, ComputeAffected(spec.scope));
    store::IncidentRow row;
    row.id = common::NewId(common::IdKind::kIncident, random_, now);
    row.opened_at = now;
    row.opened_by = by;
    row.discovered_at = discovered;
    row.occurred_at = spec.occurred_at;
    row.cause = std::string(incident::CauseName(spec.cause));
    row.suspected = spec.suspected;
    row.description = spec.description;
    json scope_json = IncidentScopeToJson(spec.scope);
    if (spec.financial_risk) scope_json["financial_risk"] = *spec.financial_risk;
    row.scope_json = scope_json.dump();
    row.narrative_json = "{}";
    row.status = "open";
    row.updated_at = now;
    RETURN_IF_ERROR(dir_.store().incidents().InsertIncident(row));
    std::vector<store::IncidentSubjectRow> subjects;
    subjects.reserve(affected.subjects.size());
    for (auto& [subject, categories] : affected.subjects) {
      store::IncidentSubjectRow s{row.id, subject, {}, !categories.exempt.empty()};
      for (const auto& [category, exempt] : categories.exempt) {
        s.categories.push_back(category);
        s.encrypted_without_keys = s.encrypted_without_keys && exempt;
      }
      subjects.push_back(std::move(s));
    }
    RETURN_IF_ERROR(dir_.store().incidents().ReplaceSubjects(row.id, subjects));
    ASSIGN_OR_RETURN(IncidentView view, ViewOf(row, &subjects));
    json entry = ChangeEntry("incident.open", by);
    entry["incident"] = view.row.id;
    entry["cause"] = view.row.cause;
    entry["discovered_at"] = common::FormatTimestamp(view.row.discovered_at);
    entry["description_sha256"] = ledger::Sha256Hex(view.row.description);
    entry["scope"] = ScopeSummary(view.scope);
    entry["affected"] = view.facts.affected.subjects;
    entry["reportable"] = view.reportability.reportable;
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
    return view;
  });
}

absl::StatusOr<IncidentView> Engine::UpdateIncident(
    const std::string& by, const std::string& id, std::string_view change,
    const std::function<absl::Status(store::IncidentRow&, json& entry)>& edit) {
  return Submit<IncidentView>(JobKind::kRecords, [&]() -> absl::StatusOr<IncidentView> {
    ASSIGN_OR_RETURN(std::optional<store::IncidentRow> row,
                     dir_.store().incidents().GetIncident(id));
    if (!row) return absl::NotFoundError(fmt::format("incident {} not found", id));
    json entry = ChangeEntry(change, by);
    entry["incident"] = id;
    RETURN_IF_ERROR(edit(*row, entry));
    row->updated_at = clock_.Now();
    RETURN_IF_ERROR(dir_.store().incidents().UpdateIncident(*row));
    ASSIGN_OR_RETURN(IncidentView view, ViewOf(*row));
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
    return view;
  });
}

absl::StatusOr<IncidentView> Engine::RescopeIncident(std::string by, std::string id,
                                                     IncidentScope scope) {
  RETURN_IF_ERROR(UpdateUseIndex());
  return UpdateIncident(by, id, "incident.scope", [&](store::IncidentRow& row, json& entry) {
    if (row.status != "open") return absl::FailedPreconditionError("the incident is closed");
    RETURN_IF_ERROR(ValidateScope(dir_.policy(), scope));
    for (const std::string& s : scope.subjects) {
      ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                       dir_.store().records().GetSubject(s));
      if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", s));
    }
    ASSIGN_OR_RETURN(AffectedSubjects affected, ComputeAffected(scope));
    json previous = json::parse(row.scope_json, nullptr, false);
    json scope_json = IncidentScopeToJson(scope);
    if (previous.is_object() && previous.contains("financial_risk")) {
      scope_json["financial_risk"] = previous["financial_risk"];
    }
    row.scope_json = scope_json.dump();
    row.updated_at = clock_.Now();
    std::vector<store::IncidentSubjectRow> subjects;
    for (auto& [subject, categories] : affected.subjects) {
      store::IncidentSubjectRow s{row.id, subject, {}, !categories.exempt.empty()};
      for (const auto& [category, exempt] : categories.exempt) {
        s.categories.push_back(category);
        s.encrypted_without_keys = s.encrypted_without_keys && exempt;
      }
      subjects.push_back(std::move(s));
    }
    RETURN_IF_ERROR(dir_.store().incidents().ReplaceSubjects(row.id, subjects));
    int64_t counted = 0;
    for (const store::IncidentSubjectRow& s : subjects) counted += s.categories.empty() ? 0 : 1;
    entry["scope"] = ScopeSummary(scope);
    entry["affected"] = counted;
    return absl::OkStatus();
  });
}

absl::StatusOr<IncidentView> Engine::SetIncidentNarrative(std::string by, std::string id,
                                                          incident::IncidentNarrative narrative) {
  return UpdateIncident(by, id, "incident.narrative", [&](store::IncidentRow& row, json& entry) {
    json text = NarrativeToJson(narrative);
    row.narrative_json = text.dump();
    // The officer's texts may name people: the ledger keeps their hash.
    entry["narrative_sha256"] = ledger::Sha256Hex(ledger::CanonicalEntry(text));
    return absl::OkStatus();
  });
}

absl::StatusOr<IncidentView> Engine::SubmitIncidentReport(std::string by, std::string id,
                                                          incident::ReportKind kind,
                                                          absl::Time submitted_at,
                                                          std::string reference) {
  return UpdateIncident(
      by, id, "incident.report", [&](store::IncidentRow& row, json& entry) -> absl::Status {
        if (submitted_at > clock_.Now()) return Invalid("submitted: must not be in the future");
        if (submitted_at < row.discovered_at) {
          return Invalid("submitted: must not be before the discovery");
        }
        ASSIGN_OR_RETURN(IncidentView view, ViewOf(row));
        const bool required =
            std::any_of(view.reports.begin(), view.reports.end(),
                        [&](const incident::Report& r) { return r.kind == kind; });
        if (!required) {
          return absl::FailedPreconditionError(fmt::format(
              "report {} is not required for this incident", incident::ReportKindName(kind)));
        }
        RETURN_IF_ERROR(dir_.store().incidents().InsertReport(
            {row.id, std::string(incident::ReportKindName(kind)), submitted_at, by, reference}));
        entry["report"] = incident::ReportKindName(kind);
        entry["submitted_at"] = common::FormatTimestamp(submitted_at);
        return absl::OkStatus();
      });
}

absl::StatusOr<IncidentView> Engine::CloseIncident(std::string by, std::string id) {
  return UpdateIncident(by, id, "incident.close", [&](store::IncidentRow& row, json&) {
    if (row.status != "open") return absl::FailedPreconditionError("the incident is closed");
    row.status = "closed";
    row.closed_at = clock_.Now();
    return absl::OkStatus();
  });
}

absl::StatusOr<IncidentView> Engine::GetIncident(std::string id) {
  return Submit<IncidentView>(JobKind::kRecords, [&]() -> absl::StatusOr<IncidentView> {
    ASSIGN_OR_RETURN(std::optional<store::IncidentRow> row,
                     dir_.store().incidents().GetIncident(id));
    if (!row) return absl::NotFoundError(fmt::format("incident {} not found", id));
    return ViewOf(*std::move(row));
  });
}

absl::StatusOr<std::vector<IncidentView>> Engine::ListIncidents() {
  return Submit<std::vector<IncidentView>>(
      JobKind::kRecords, [&]() -> absl::StatusOr<std::vector<IncidentView>> {
        ASSIGN_OR_RETURN(std::vector<store::IncidentRow> rows,
                         dir_.store().incidents().ListIncidents());
        std::vector<IncidentView> views;
        for (store::IncidentRow& row : rows) {
          ASSIGN_OR_RETURN(IncidentView view, ViewOf(std::move(row)));
          views.push_back(std::move(view));
        }
        return views;
      });
}

absl::StatusOr<std::vector<store::IncidentSubjectRow>> Engine::IncidentSubjects(std::string id) {
  return Submit<std::vector<store::IncidentSubjectRow>>(
      JobKind::kRecords, [&]() -> absl::StatusOr<std::vector<store::IncidentSubjectRow>> {
        ASSIGN_OR_RETURN(std::optional<store::IncidentRow> row,
                         dir_.store().incidents().GetIncident(id));
        if (!row) return absl::NotFoundError(fmt::format("incident {} not found", id));
        return dir_.store().incidents().ListSubjects(id);
      });
}

absl::StatusOr<absl::TimeZone> Engine::TimeZone() {
  return Submit<absl::TimeZone>(JobKind::kDecision,
                                [&]() -> absl::StatusOr<absl::TimeZone> { return OperatorZone(); });
}

absl::StatusOr<std::string> Engine::IncidentDraft(std::string id, incident::ReportKind kind,
                                                  notice::Language language, bool html) {
  return Submit<std::string>(JobKind::kRecords, [&]() -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(std::optional<store::IncidentRow> row,
                     dir_.store().incidents().GetIncident(id));
    if (!row) return absl::NotFoundError(fmt::format("incident {} not found", id));
    ASSIGN_OR_RETURN(IncidentView view, ViewOf(*std::move(row)));
    const policy::Policy& policy = dir_.policy();
    if (html) return incident::DraftHtml(policy, view.facts, view.narrative, kind, language);
    ASSIGN_OR_RETURN(json draft,
                     incident::DraftJson(policy, view.facts, view.narrative, kind, language));
    return draft.dump();
  });
}

absl::StatusOr<std::vector<json>> Engine::IncidentTimeline(std::string id) {
  ASSIGN_OR_RETURN(IncidentView view, GetIncident(id));
  // The incident's entries all come after its opening: scan from there, in
  // writer jobs of bounded size so foreground work runs between them.
  std::vector<json> events;
  const std::string needle = fmt::format("\"incident\":\"{}\"", id);
  int64_t next = 0;
  bool done = false;
  while (!done) {
    absl::StatusOr<bool> page = Submit<bool>(JobKind::kRecords, [&]() -> absl::StatusOr<bool> {
      ASSIGN_OR_RETURN(int64_t size, dir_.store().ledger().CountEntries());
      const int64_t end = std::min(size, next + 200000);
      RETURN_IF_ERROR(dir_.store().ledger().ScanEntries(
          next, end, [&](const store::LedgerEntryRow& row) -> absl::Status {
            if (row.entry.find(needle) == std::string::npos) return absl::OkStatus();
            json entry = json::parse(row.entry, nullptr, false);
            if (entry.is_discarded()) return absl::OkStatus();
            entry["entry"] = row.seq;
            events.push_back(std::move(entry));
            return absl::OkStatus();
          }));
      next = end;
      return end >= size;
    });
    if (!page.ok()) return page.status();
    done = *page;
  }
  return events;
}

absl::StatusOr<NoticeBatch> Engine::IncidentNotices(std::string actor, std::string id,
                                                    std::string purpose,
                                                    notice::Language language) {
  ASSIGN_OR_RETURN(IncidentView view, GetIncident(id));
  ASSIGN_OR_RETURN(std::vector<store::IncidentSubjectRow> subjects, IncidentSubjects(id));
  NoticeBatch batch;
  batch.incident = id;
  batch.language = language;
  policy::Policy policy;
  {
    absl::StatusOr<policy::Policy> copy = Submit<policy::Policy>(
        JobKind::kDecision, [&]() -> absl::StatusOr<policy::Policy> { return dir_.policy(); });
    if (!copy.ok()) return copy.status();
    policy = *std::move(copy);
    policy.BuildIndex();
  }
  // Each person is written to in the language they chose; `language` for
  // those who never said.
  absl::flat_hash_map<std::string, notice::Language> chosen;
  RETURN_IF_ERROR(Submit<bool>(JobKind::kRecords, [&]() -> absl::StatusOr<bool> {
                    for (const store::IncidentSubjectRow& s : subjects) {
                      ASSIGN_OR_RETURN(std::optional<store::SubjectRow> row,
                                       dir_.store().records().GetSubject(s.subject_id));
                      if (!row) continue;
                      if (std::optional<notice::Language> l =
                              notice::ParseLanguage(row->language)) {
                        chosen[s.subject_id] = *l;
                      }
                    }
                    return true;
                  }).status());
  const std::string reason =
      fmt::format("APPI Art. 26(2): notice to the person of incident {}", id);
  for (const store::IncidentSubjectRow& s : subjects) {
    if (s.categories.empty()) continue;
    UseRequest read{.actor = actor,
                    .purpose = purpose,
                    .subject = s.subject_id,
                    .categories = {"pd:Name", "pd:EmailAddress", "pd:PhysicalAddress"},
                    .ground = policy::Ground::kLaw,
                    .reason = reason};
    absl::StatusOr<UseResult> result = Read(read);
    if (!result.ok()) {
      // Erased since the incident was scoped: nobody left to notify.
      if (absl::IsNotFound(result.status())) continue;
      return result.status();
    }
    if (result->decision.outcome != policy::Outcome::kAllow) {
      ++batch.denied;
      continue;
    }
    CustomerNotice notice;
    notice.subject = s.subject_id;
    notice.categories = s.categories;
    notice.entry = result->entry;
    notice.names = result->values["pd:Name"];
    if (!result->values["pd:EmailAddress"].empty()) {
      notice.channel = "email";
      notice.to = result->values["pd:EmailAddress"];
    } else if (!result->values["pd:PhysicalAddress"].empty()) {
      notice.channel = "post";
      notice.to = result->values["pd:PhysicalAddress"];
    } else {
      ++batch.without_contact;
      continue;
    }
    auto own = chosen.find(s.subject_id);
    notice.language = own == chosen.end() ? language : own->second;
    ASSIGN_OR_RETURN(notice.text, incident::CustomerNoticeText(policy, view.facts, view.narrative,
                                                               s.categories, notice.language));
    ++(notice.language == notice::Language::kJa ? batch.in_japanese : batch.in_english);
    batch.notices.push_back(std::move(notice));
  }
  ASSIGN_OR_RETURN(uint64_t entry,
                   Submit<uint64_t>(JobKind::kDecision, [&]() -> absl::StatusOr<uint64_t> {
                     json change = ChangeEntry("incident.notices", actor);
                     change["incident"] = id;
                     change["notices"] = batch.notices.size();
                     change["without_contact"] = batch.without_contact;
                     change["denied"] = batch.denied;
                     change["language"] = notice::LanguageCode(language);
                     change["in_japanese"] = batch.in_japanese;
                     change["in_english"] = batch.in_english;
                     return ledger_->Append(std::move(change));
                   }));
  (void)entry;
  return batch;
}

}  // namespace mamori::engine
