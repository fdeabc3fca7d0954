// Engine: the single writer of a data directory (DESIGN.md, "Writes and the
// ledger"). Every use of personal data is decided here and every change is
// made here, each with its ledger entry in the same store transaction.
//
// Callers on any thread submit work; one writer thread runs it in batches:
// it opens one transaction, runs each job inside its own savepoint (a failed
// job rolls back alone), signs a tree head when one is due, and commits once
// — one fsync for the whole batch (group commit). A caller gets its answer,
// and a read its values, only after that commit: nothing is returned or
// acknowledged before its ledger entry is durable.
//
//   ASSIGN_OR_RETURN(auto engine, Engine::Start(dir, clock, random));
//   ASSIGN_OR_RETURN(UseResult r, engine->Read({.actor = "emp:sato", .purpose = "dpv:Billing",
//                                              .subject = id, .categories = {"pd:Name"}}));
//   if (r.decision.outcome == policy::Outcome::kAllow) Show(r.values);
//   RETURN_IF_ERROR(engine->Stop());  // signs a tree head over everything
//
// Thread-safety: every public method is thread-safe and blocks until its
// work is durable (or refused).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "audit/report.h"
#include "audit/supervision.h"
#include "common/clock.h"
#include "common/random.h"
#include "engine/facts_cache.h"
#include "engine/reader_pool.h"
#include "engine/record_cache.h"
#include "engine/wake_groups.h"
#include "incident/incident.h"
#include "incident/reportability.h"
#include "incident/reports.h"
#include "ledger/ledger.h"
#include "ledger/proof.h"
#include "ledger/verify.h"
#include "notice/notice.h"
#include "policy/decision.h"
#include "policy/provision.h"
#include "requests/complaint.h"
#include "requests/request.h"
#include "requests/verification.h"
#include "vault/data_directory.h"
#include "vault/vault.h"

namespace mamori::engine {

// One use of one subject's data, as a caller states it.
struct UseRequest {
  std::string actor;
  std::string purpose;
  std::string subject;
  std::vector<std::string> categories;
  policy::Ground ground = policy::Ground::kNone;
  std::string reason;  // required with a ground; kept beside the ledger entry
};

struct UseResult {
  policy::Decision decision;
  uint64_t entry = 0;  // the ledger entry recording the decision
  // Read, when allowed: each category's values, oldest record first.
  std::map<std::string, std::vector<std::string>> values;
};

// A search for subjects by an identifier: itself a use of that identifier.
struct FindRequest {
  std::string actor;
  std::string purpose;
  policy::IdentifierKind kind = policy::IdentifierKind::kNone;
  std::string value;
};

struct FindResult {
  policy::Decision decision;
  uint64_t entry = 0;
  std::vector<std::string> subjects;  // when allowed
};

struct ConsentGrant {
  std::string subject;
  std::string purpose;
  std::optional<std::string> recipient;
  std::string channel = "cli";
  std::string evidence;
  bool explicit_for_location = false;
  bool cross_border_informed = false;
  std::optional<absl::Time> given_at;  // default: now
};

struct StopOrderSpec {
  std::string subject;
  std::string kind = "use";  // "use" or "provision"
  std::optional<std::string> purpose;
  std::optional<std::string> recipient;
  std::string request_id;
};

// A decided collection: creating a subject or adding records through the
// API, by an actor whose role must allow each category under a purpose the
// service announces for it.
struct CollectResult {
  policy::Decision decision;
  uint64_t entry = 0;  // the ledger entry recording the decision
  std::string subject;
  std::vector<std::string> records;  // when allowed
};

// A decided import (Engine::ImportAs): one collect decision for the whole
// file and, when allowed, what was imported.
struct ImportResult {
  policy::Decision decision;
  uint64_t entry = 0;            // the ledger entry recording the decision
  vault::ImportSummary summary;  // when allowed
};

// A legal hold to place: keeps the subject's records (of `category`, or
// all) past their retention deadline until `until`.
struct HoldSpec {
  std::string subject;
  std::optional<std::string> category;
  std::string basis;  // the law or proceeding; required
  absl::Time until;
  // When set, instead of `until`: kept through the end of this day in the
  // operator's time zone.
  std::optional<absl::CivilDay> until_day = std::nullopt;
};

// A retention sweep (docs/retention.md). A dry run changes nothing and may
// look ahead (`as_of` in the future); a real sweep runs at the clock's now.
struct SweepOptions {
  bool dry_run = false;
  std::optional<absl::Time> as_of;  // dry runs only
  // Dry runs only, instead of `as_of`: midnight at the start of this day in
  // the operator's time zone.
  std::optional<absl::CivilDay> as_of_day;
  // Told (records scanned, records in the store) as the scan advances.
  std::function<void(int64_t scanned, int64_t total)> progress;
  // Foreground work runs between the sweep's writer jobs. Each job holds
  // the writer for about `job_budget` (its size follows from the pace of
  // the last one), with at most `records_per_job` due records.
  absl::Duration job_budget = absl::Milliseconds(2);
  size_t records_per_job = 2048;
  // When set and true, the sweep stops between two jobs (what it erased so
  // far stays erased and recorded) and returns Cancelled.
  const std::atomic<bool>* cancel = nullptr;
};

struct SweepSummary {
  absl::Time as_of;
  bool dry_run = false;
  int64_t scanned = 0;          // records looked at
  int64_t erased = 0;           // records deleted (erasure mode `delete`)
  int64_t deidentified = 0;     // records replaced by a de-identified remainder
  int64_t held = 0;             // due records a legal hold keeps
  int64_t keys_destroyed = 0;   // data keys crypto-shredded
  int64_t subjects_erased = 0;  // subjects left with no record: keys and indexes gone
  // Provision records (Art. 29) and receipt records (Art. 30) past their
  // keep_until, erased (or, in a dry run, due).
  int64_t provision_records_erased = 0;
};

// --- Provision (docs/provision.md; docs/decisions.md, "Provision") ---

// A provision of some subjects' data to one party, as a caller states it.
struct ProvideRequest {
  std::string actor;
  std::string recipient;  // a [[recipients]] or [[trustees]] id, or a joint user
  std::string purpose;
  std::vector<std::string> subjects;              // at least one, each once
  std::vector<std::string> categories;            // at least one
  policy::Ground ground = policy::Ground::kNone;  // an Art. 27(1) ground
  std::string reason;  // required with a ground; kept beside each ledger entry
};

// The decision on one subject of a provision.
struct SubjectProvision {
  std::string subject;
  policy::ProvisionDecision decision;
  uint64_t entry = 0;  // the ledger entry recording the decision
  // The provider's record (Art. 29), when the decision required one.
  std::optional<store::ProvisionRecordRow> record;
};

struct ProvideResult {
  std::vector<SubjectProvision> subjects;  // in the order asked
  absl::Time provided_at;
  // What goes to the recipient, made only of what was allowed:
  // {"recipient", "purpose", "provided_at", "subjects": [{"subject",
  // "values": {"<category>": [values, oldest first]}}]}; null when every
  // subject was denied.
  nlohmann::json payload;
  uint64_t payload_entry = 0;  // the entry holding the payload's SHA-256, when any
};

// A recipient's record of data received from another operator (Art. 30).
struct ReceiptSpec {
  std::string provider_name;
  std::string provider_address;
  std::string provider_representative;
  std::string how_obtained;  // how the provider obtained the data
  bool by_opt_out = false;   // the provider provided it by opt-out (Art. 27(2))
  std::optional<std::string> subject;
  std::vector<std::string> categories;
  std::optional<absl::Time> received_at;  // default: now
  // When set, instead of `received_at`: the start of this day in the
  // operator's time zone.
  std::optional<absl::CivilDay> received_on = std::nullopt;
};

// A completed audit of a trustee (Art. 25).
struct TrusteeAuditSpec {
  std::string trustee;
  absl::Time audited_at;
  // When set, instead of `audited_at`: the start of this day in the
  // operator's time zone.
  std::optional<absl::CivilDay> audited_on;
  std::string result;  // what the audit found; required
};

// A trustee as the policy declares it, with what the operator knows of its
// supervision.
struct TrusteeStatus {
  policy::Trustee trustee;
  bool contract_in_force = false;
  std::optional<store::TrusteeAuditRow> last_audit;  // the latest, not after now
  // When the next audit is due: the last audit (or, never audited, the
  // contract's start) plus the audit interval; nullopt when neither is known.
  std::optional<absl::Time> next_due;
  bool overdue = false;  // provision to it is denied (trustee_audit_overdue)
  std::vector<store::ReentrustmentRow> subcontractors;
};

// Provision and receipt records of one subject, or the provision records of
// one recipient.
struct ProvisionRecords {
  std::vector<store::ProvisionRecordRow> records;
  std::vector<store::ReceiptRow> receipts;  // by subject only
};

// --- Customer requests and complaints (docs/requests.md) ---

// A request as the customer makes it (POST /v1/public/requests).
struct RequestSpec {
  std::string kind = {};  // requests::RequestKindName
  std::vector<requests::GivenIdentifier> identifiers = {};
  std::string details = {};
  std::string language = "ja";  // "ja" or "en": every answer to the customer
  std::optional<requests::Agent> agent = std::nullopt;
  // What a correction, addition, deletion or stop_use is about; the value
  // corrected or added; the purpose a stop_use stops; the recipient a
  // stop_provision stops; whether a stop_use also erases.
  std::optional<std::string> category = std::nullopt;
  std::optional<std::string> value = std::nullopt;
  std::optional<std::string> purpose = std::nullopt;
  std::optional<std::string> recipient = std::nullopt;
  bool erase = false;
};

// What a request's state does not hold: the kind-specific fields, the
// language, and the internal verification reason (never shown to the
// customer).
struct RequestOptions {
  std::string language = "ja";
  std::optional<std::string> category;
  std::optional<std::string> value;
  std::optional<std::string> purpose;
  std::optional<std::string> recipient;
  bool erase = false;
  std::string verification_reason;  // requests::VerificationReasonName, "" before a check
  std::string verification_about;   // the identifier kind it concerns, or ""
};

// A request received: its id, the secret the customer keeps to see it
// (shown once; only its hash is stored), and when it is due.
struct RequestReceipt {
  std::string id;
  std::string secret;
  absl::Time due;
};

struct RequestView {
  requests::RequestState state;
  RequestOptions options;
  std::optional<nlohmann::json> result;  // the result document, once there is one
  std::vector<int64_t> trail;            // the request's ledger entries, in order
};

// A complaint as the complainant makes it (POST /v1/public/complaints).
struct ComplaintSpec {
  std::string service = {};  // "" when about none
  std::string category = {};
  std::string text = {};
  std::string contact = {};
  std::string language = "ja";
};

// --- Incidents (docs/incidents.md) ---

// Where a leak may have gone, as the officer knows it. Each part adds the
// subjects (and categories) it covers; the affected set is their union,
// computed from the ledger's use index and the records.
struct ActorWindow {  // everything the actor read, found or provided
  std::string actor;
  absl::Time from;  // inclusive
  absl::Time to;    // exclusive
};
struct RecipientWindow {  // everything provided to the recipient or trustee
  std::string recipient;
  absl::Time from;
  absl::Time to;
};
struct ServiceScope {  // every subject's records of these categories of a service
  std::string service;
  std::vector<std::string> categories;  // empty: every category the service collects
  // The leaked copies were strongly encrypted and their keys did not leave
  // (APPI Enforcement Rules Art. 7: exempt from reporting).
  bool encrypted_without_keys = false;
};
struct IncidentScope {
  std::vector<ActorWindow> actors;
  std::vector<RecipientWindow> recipients;
  std::vector<std::string> subjects;  // an explicit list: all their data held
  std::vector<ServiceScope> services;
  bool empty() const {
    return actors.empty() && recipients.empty() && subjects.empty() && services.empty();
  }
};
nlohmann::json IncidentScopeToJson(const IncidentScope& scope);
// Bounds are RFC 3339 times or days (YYYY-MM-DD) in `zone`; a `to` day is
// included whole. InvalidArgument naming the field otherwise.
absl::StatusOr<IncidentScope> IncidentScopeFromJson(const nlohmann::json& json,
                                                    absl::TimeZone zone);
nlohmann::json NarrativeToJson(const incident::IncidentNarrative& narrative);
// Unknown keys and non-string values: InvalidArgument naming the key.
absl::StatusOr<incident::IncidentNarrative> NarrativeFromJson(const nlohmann::json& json);

struct IncidentSpec {
  absl::Time discovered_at;
  // When set, instead of `discovered_at`: the start of that day in the
  // operator's time zone.
  std::optional<absl::CivilDay> discovered_on;
  std::optional<absl::Time> occurred_at;
  incident::Cause cause = incident::Cause::kOther;
  bool suspected = false;
  std::string description;  // required; kept with the incident, never in the ledger
  IncidentScope scope;      // at least one part
  // The categories whose misuse risks financial loss in this incident;
  // nullopt: the policy's `financial` categories.
  std::optional<std::vector<std::string>> financial_risk;
};

// An incident as stored, with what follows from it now.
struct IncidentView {
  store::IncidentRow row;
  IncidentScope scope;
  incident::IncidentFacts facts;
  incident::IncidentNarrative narrative;
  incident::Reportability reportability;
  std::vector<incident::Report> reports;  // required reports, with status and due
  std::vector<store::IncidentReportRow> submitted;
};

// One customer notice of a batch for the operator's mailing system.
struct CustomerNotice {
  std::string subject;
  std::string channel;          // "email" or "post"
  std::vector<std::string> to;  // the addresses (values of the subject's records)
  std::vector<std::string> names;
  std::vector<std::string> categories;                // what of theirs leaked
  notice::Language language = notice::Language::kJa;  // the person's, or the batch's
  std::string text;                                   // the notice (incident/customer_notice.h)
  uint64_t entry = 0;                                 // the ledger entry of the decided read
};
struct NoticeBatch {
  std::string incident;
  // For the people who never chose one; the others get theirs.
  notice::Language language = notice::Language::kJa;
  std::vector<CustomerNotice> notices;
  // Affected subjects with no email address or postal address on record:
  // the operator publishes the incident for them instead (Art. 26(2) proviso).
  int64_t without_contact = 0;
  // Subjects whose contact data the engine refused to read (decision denied).
  int64_t denied = 0;
  int64_t in_japanese = 0;  // notices by language
  int64_t in_english = 0;
};

// --- Supervision and internal audit (docs/supervision.md) ---

// What one actor did in a window, from the use index.
struct ActorActivity {
  std::string actor;
  absl::Time from;
  absl::Time to;
  int64_t decisions = 0;  // entries
  int64_t allowed = 0;
  int64_t denied = 0;
  int64_t subjects_touched = 0;              // distinct subjects of allowed uses
  std::vector<store::UseCount> by_purpose;   // key purpose, key2 outcome
  std::vector<store::UseCount> by_action;    // key action, key2 outcome
  std::vector<store::UseCount> by_category;  // allowed uses per category
  std::vector<store::UseCount> denials;      // key reason code (denied only)
};

struct EngineOptions {
  // Most jobs in one group commit.
  size_t max_batch = 512;
  // Most read-only connections lent to callers (engine/reader_pool.h);
  // 0: twice the number of cores, at least 4.
  size_t max_readers = 0;
  // Subjects whose records (sealed) are kept in memory for uses
  // (engine/record_cache.h).
  size_t cached_subjects = 1 << 20;
  ledger::LedgerOptions ledger;
};

// Texts kept beside facts that may speak of the person (consent evidence, a
// ground's written reason) are sealed under the subject's data key of this
// pseudo-category (bucket "open"), stored base64: erasing the subject's keys
// erases them. See OpenSealedText.
inline constexpr char kConsentEvidenceKey[] = "mamori:ConsentEvidence";
inline constexpr char kUseReasonKey[] = "mamori:UseReason";

// Opens a text sealed by the engine: `id` is the consent id for evidence,
// "note-<seq>" for a ledger note.
absl::StatusOr<std::string> OpenSealedText(vault::Vault& vault, std::string_view subject_id,
                                           std::string_view kind, std::string_view id,
                                           std::string_view stored);

// The reason code and rule of a use by an actor the engine does not know.
inline constexpr char kActorUnknown[] = "actor_unknown";

class Engine {
 public:
  // Starts the writer on a data directory opened for writing. A ledger
  // left with unsigned entries (a crash) gets a signed head first; an empty
  // ledger gets its first entries for the policy versions already loaded.
  static absl::StatusOr<std::unique_ptr<Engine>> Start(vault::DataDirectory& dir,
                                                       common::Clock& clock,
                                                       common::RandomSource& random,
                                                       EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Finishes the queued work, signs a tree head over every entry and stops
  // the writer. Later calls fail with FailedPrecondition.
  absl::Status Stop();

  // --- Decided uses: allowed and denied ones alike are recorded. ---
  // InvalidArgument / NotFound for a malformed request or unknown subject.
  absl::StatusOr<UseResult> Decide(const UseRequest& request);
  absl::StatusOr<UseResult> Read(const UseRequest& request);
  absl::StatusOr<FindResult> Find(const FindRequest& request);

  // The same without blocking: `done` runs on an engine thread once the
  // batch is durable (or on the caller's, when the request is refused
  // before it is queued); keep it short — hand the result to your own
  // executor.
  template <typename T>
  using Callback = std::function<void(absl::StatusOr<T>)>;
  void DecideAsync(UseRequest request, Callback<UseResult> done);
  void ReadAsync(UseRequest request, Callback<UseResult> done);
  void FindAsync(FindRequest request, Callback<FindResult> done);

  // --- Decided collection (the API's writes of personal data). ---
  // `language`: the language the person chose ("ja", "en"), or empty;
  // customer notices are written in it (IncidentNotices).
  absl::StatusOr<CollectResult> AddSubjectAs(std::string actor,
                                             vault::SubjectIdentifiers identifiers,
                                             std::vector<vault::NewRecord> records,
                                             std::string language = {});
  absl::StatusOr<CollectResult> AddRecordsAs(std::string actor, std::string subject_id,
                                             std::vector<vault::NewRecord> records);
  // A JSONL import (docs/import-format.md), decided once for the union of
  // what its lines collect. Every line is parsed first: InvalidArgument
  // "line N: ..." for the first bad one, and nothing is recorded.
  absl::StatusOr<ImportResult> ImportAs(std::string actor, std::string jsonl_text,
                                        vault::ImportProgress progress = nullptr);

  // Entries in the ledger after the last commit. Thread-safe.
  uint64_t ledger_size() const { return ledger_size_.load(); }

  // --- Changes, each recorded with `by`, the actor making it. ---
  absl::StatusOr<store::ActorRow> AddActor(std::string by, std::string id,
                                           std::vector<std::string> roles);
  absl::StatusOr<store::TrainingRow> RecordTraining(std::string by, std::string actor_id,
                                                    std::string course, absl::Time completed_at);
  // Completed on `day`: the start of that day in the operator's time zone.
  absl::StatusOr<store::TrainingRow> RecordTrainingOn(std::string by, std::string actor_id,
                                                      std::string course, absl::CivilDay day);
  absl::StatusOr<store::ConsentRow> GrantConsent(std::string by, ConsentGrant grant);
  // The consent by id, or the subject's one in force for (purpose, recipient).
  absl::StatusOr<store::ConsentRow> WithdrawConsent(std::string by, std::string consent_id,
                                                    std::string channel);
  absl::StatusOr<store::StopOrderRow> AddStopOrder(std::string by, StopOrderSpec spec);
  absl::StatusOr<std::string> AddSubject(std::string by, vault::SubjectIdentifiers identifiers,
                                         std::vector<vault::NewRecord> records,
                                         std::string language = {});
  // Records the language the person chose ("ja" or "en") for what the
  // operator sends them. InvalidArgument for another code; NotFound for an
  // unknown subject.
  absl::Status SetSubjectLanguage(std::string by, std::string subject_id, std::string language);
  // The subject's chosen language, empty when never given; NotFound for an
  // unknown subject.
  absl::StatusOr<std::string> SubjectLanguage(std::string subject_id);
  absl::StatusOr<std::string> AddRecord(std::string by, std::string subject_id,
                                        vault::NewRecord record);
  absl::StatusOr<vault::ImportSummary> Import(std::string by, std::istream& in,
                                              vault::ImportProgress progress);
  absl::StatusOr<vault::PolicyLoadResult> LoadPolicy(std::string by, std::string toml_text,
                                                     std::string source_name);

  // --- Retention (docs/retention.md) ---
  // InvalidArgument for a missing basis, an unknown category or an `until`
  // not in the future; NotFound for an unknown subject.
  absl::StatusOr<store::LegalHoldRow> AddHold(std::string by, HoldSpec spec);
  // NotFound for an unknown id; FailedPrecondition when already released.
  absl::StatusOr<store::LegalHoldRow> ReleaseHold(std::string by, std::string hold_id);
  // An empty `subject_id` lists every hold.
  absl::StatusOr<std::vector<store::LegalHoldRow>> ListHolds(std::string subject_id);
  // The subject's contract for `service` ("" = every service) ended at
  // `ended_at` (not in the future): retention counted from the contract's
  // end starts. A later call corrects it.
  absl::StatusOr<store::ContractEndRow> RecordContractEnd(std::string by, std::string subject_id,
                                                          std::string service, absl::Time ended_at);
  // Ended on `day`: the start of that day in the operator's time zone.
  absl::StatusOr<store::ContractEndRow> RecordContractEndOn(std::string by, std::string subject_id,
                                                            std::string service,
                                                            absl::CivilDay day);
  // Erases (crypto-shreds) what no live purpose keeps, in writer jobs of a
  // bounded size; every erasure is in the ledger, one entry per data key.
  // One real sweep at a time: FailedPrecondition while another runs (two
  // would plan the same keys and segments). Dry runs change nothing and
  // run beside anything (the audit report makes one).
  absl::StatusOr<SweepSummary> SweepRetention(std::string by, SweepOptions options = {});

  // --- Provision (docs/provision.md) ---
  // Decides the provision for each subject (allowed and denied ones alike
  // are recorded, one ledger entry each), makes the Art. 29 record where the
  // decision requires one, and returns the payload of what was allowed.
  // InvalidArgument for a malformed request, NotFound for an unknown
  // subject: then nothing is recorded.
  absl::StatusOr<ProvideResult> Provide(const ProvideRequest& request);
  // Exactly one of `subject` and `recipient`. NotFound for a subject that
  // never existed, or a recipient that the policy does not declare and that
  // has no records.
  absl::StatusOr<ProvisionRecords> ListProvisionRecords(std::string subject, std::string recipient);
  // The Art. 30 record of data received. InvalidArgument for a missing
  // provider detail, no or an unknown category, a time in the future;
  // NotFound for an unknown subject.
  absl::StatusOr<store::ReceiptRow> RecordReceipt(std::string by, ReceiptSpec spec);
  // NotFound for a trustee the policy does not declare; InvalidArgument for
  // a blank result or a time in the future.
  absl::StatusOr<store::TrusteeAuditRow> RecordTrusteeAudit(std::string by, TrusteeAuditSpec spec);
  // The operator approves that `trustee` re-entrusts handling within `scope`
  // to `subcontractor`.
  absl::StatusOr<store::ReentrustmentRow> ApproveReentrustment(std::string by, std::string trustee,
                                                               std::string subcontractor,
                                                               std::string scope);
  // The policy's trustees, in policy order; only the overdue ones when asked.
  absl::StatusOr<std::vector<TrusteeStatus>> ListTrustees(bool overdue_only);

  // --- Incidents (docs/incidents.md; engine/incident.cc) ---
  // Folds the ledger's decisions into the use index, from where it left
  // off, in bounded writer jobs. The incident and supervision calls do it
  // first; the server also runs it with each scheduled retention sweep.
  absl::Status UpdateUseIndex();
  // The operator's time zone, from the policy in force.
  absl::StatusOr<absl::TimeZone> TimeZone();
  // Records the incident with its affected set computed now.
  // InvalidArgument for a blank description, an empty or malformed scope
  // (unknown service or category, a window with from >= to), a discovery in
  // the future; NotFound for a listed subject that does not exist.
  absl::StatusOr<IncidentView> OpenIncident(std::string by, IncidentSpec spec);
  // Replaces the scope and recomputes the affected set (the same scope
  // again picks up what the ledger learned since).
  absl::StatusOr<IncidentView> RescopeIncident(std::string by, std::string id, IncidentScope scope);
  absl::StatusOr<IncidentView> SetIncidentNarrative(std::string by, std::string id,
                                                    incident::IncidentNarrative narrative);
  // FailedPrecondition when the kind is not required for the incident;
  // AlreadyExists when it was already submitted.
  absl::StatusOr<IncidentView> SubmitIncidentReport(std::string by, std::string id,
                                                    incident::ReportKind kind,
                                                    absl::Time submitted_at, std::string reference);
  absl::StatusOr<IncidentView> CloseIncident(std::string by, std::string id);
  // NotFound for an unknown id.
  absl::StatusOr<IncidentView> GetIncident(std::string id);
  absl::StatusOr<std::vector<IncidentView>> ListIncidents();
  absl::StatusOr<std::vector<store::IncidentSubjectRow>> IncidentSubjects(std::string id);
  // The draft of a required report (incident/drafts.h): JSON text, or a
  // printable HTML page when `html`. Counts and categories only.
  absl::StatusOr<std::string> IncidentDraft(std::string id, incident::ReportKind kind,
                                            notice::Language language, bool html);
  // Every ledger entry about the incident, oldest first.
  absl::StatusOr<std::vector<nlohmann::json>> IncidentTimeline(std::string id);
  // One notice per affected subject, its contact data read by `actor` as a
  // decided use (purpose `purpose`, ground `law` with the Art. 26(2) duty
  // as its reason), each read recorded in the ledger.
  absl::StatusOr<NoticeBatch> IncidentNotices(std::string actor, std::string id,
                                              std::string purpose, notice::Language language);

  // --- Customer requests and complaints (docs/requests.md; engine/requests.cc) ---
  // Receives a request: InvalidArgument for a bad kind, no identifier or a
  // field the kind does not take; ResourceExhausted (payload
  // "retry_after_seconds") when the identifiers given were used too often.
  absl::StatusOr<RequestReceipt> SubmitRequest(RequestSpec spec);
  // The request whose secret is `secret`; NotFound alike for an unknown id
  // and a wrong secret.
  absl::StatusOr<RequestView> PublicRequest(std::string id, std::string secret);
  absl::StatusOr<RequestView> WithdrawPublicRequest(std::string id, std::string secret);
  // Every request, by due time (plain columns only: nothing is decrypted).
  absl::StatusOr<std::vector<store::RequestRow>> ListRequests();
  absl::StatusOr<RequestView> GetRequest(std::string id);
  absl::StatusOr<RequestView> AssignRequest(std::string by, std::string id, std::string assignee);
  // Looks the identifiers up in the blind indexes and checks the policy's
  // factors (requests::Verify); verified or cannot_verify.
  absl::StatusOr<RequestView> VerifyRequest(std::string by, std::string id);
  // Approves a verified request and executes it, decided by
  // requests::DecideExecution for `by` (PermissionDenied with the decision's
  // reason when denied). A failed execution leaves the request in progress
  // with its error, for RetryRequest.
  absl::StatusOr<RequestView> ApproveRequest(std::string by, std::string id);
  absl::StatusOr<RequestView> RefuseRequest(std::string by, std::string id,
                                            requests::RefusalGround ground, std::string text);
  absl::StatusOr<RequestView> ExtendRequest(std::string by, std::string id, int days,
                                            std::string reason, std::string notice);
  // Clears a failed execution's error and executes the request again.
  absl::StatusOr<RequestView> RetryRequest(std::string by, std::string id);
  absl::StatusOr<RequestView> WithdrawRequest(std::string by, std::string id);
  // The ledger entries at these sequence numbers, each with its "seq".
  absl::StatusOr<std::vector<nlohmann::json>> LedgerEntries(std::vector<int64_t> seqs);

  absl::StatusOr<requests::Complaint> SubmitComplaint(ComplaintSpec spec);
  absl::StatusOr<std::vector<requests::Complaint>> ListComplaints();
  absl::StatusOr<requests::Complaint> GetComplaint(std::string id);
  absl::StatusOr<requests::Complaint> AssignComplaint(std::string by, std::string id,
                                                      std::string assignee);
  absl::StatusOr<requests::Complaint> RespondComplaint(std::string by, std::string id,
                                                       std::string response);
  absl::StatusOr<requests::Complaint> CloseComplaint(std::string by, std::string id);

  // --- Supervision and internal audit (engine/supervision.cc) ---
  // InvalidArgument when from >= to.
  absl::StatusOr<ActorActivity> ActivityOf(std::string actor, absl::Time from, absl::Time to);
  // Alerts of the days in [from, to) (audit/supervision.h): more subjects
  // touched in a day than the lowest bulk_access_threshold of the actor's
  // roles, or repeated denials.
  absl::StatusOr<std::vector<audit::Alert>> Alerts(absl::Time from, absl::Time to);
  // Opens an incident whose scope is the alert's actor on the alert's day.
  // NotFound when no such alert is raised (any more).
  absl::StatusOr<IncidentView> OpenIncidentFromAlert(std::string by, std::string alert_id,
                                                     incident::Cause cause,
                                                     std::string description);
  // Actors whose required courses are missing, expired or due within 30 days.
  absl::StatusOr<std::vector<audit::TrainingStatus>> TrainingDue();
  // Each actor's roles with their last use; unused for 90 days: flagged.
  absl::StatusOr<std::vector<audit::RoleReview>> ReviewAccess();
  // The internal-audit report of [from, to) (audit/report.h). Verifies the
  // ledger from the last head a report verified (recorded for the next).
  absl::StatusOr<audit::AuditFacts> AuditReport(absl::Time from, absl::Time to);

  // --- Reads of facts (not personal values), and the ledger. ---
  absl::StatusOr<std::vector<store::ConsentRow>> ListConsents(std::string subject_id);
  absl::StatusOr<std::optional<store::ConsentRow>> GetConsent(std::string consent_id);
  // The latest signed head; an inclusion proof tied to it (ledger/proof.h);
  // a full verification (ledger/verify.h). Run on the writer thread.
  absl::StatusOr<std::optional<ledger::TreeHead>> LedgerHead();
  absl::StatusOr<ledger::EntryProof> ProveEntry(uint64_t index, std::optional<uint64_t> size);
  absl::StatusOr<ledger::VerifyReport> VerifyLedger();
  // Whether one of the actor's roles grants `permission` (policy roles'
  // `permissions`, e.g. "actors", "policy", "audit", "requests").
  absl::StatusOr<bool> HasPermission(std::string actor, std::string permission);
  // Signs a head now if any entry is unsigned; returns the latest head.
  absl::StatusOr<std::optional<ledger::TreeHead>> SignHead();

  // --- API tokens ---
  struct IssuedToken {
    store::TokenRow row;
    std::string token;  // the secret: shown once, only its SHA-256 is kept
  };
  // NotFound for an unknown actor; InvalidArgument for a non-positive expiry.
  absl::StatusOr<IssuedToken> CreateToken(std::string by, std::string actor_id,
                                          std::optional<absl::Duration> expires_in);
  // By token id (tok_...).
  absl::StatusOr<store::TokenRow> RevokeToken(std::string by, std::string token_id);
  // The actor a bearer token stands for: Unauthenticated when the token is
  // unknown, revoked or expired. Thread-safe and does no I/O.
  absl::StatusOr<std::string> Authenticate(std::string_view token) const;
  // The id of a token, for revoking by the token itself. Thread-safe.
  std::optional<std::string> TokenId(std::string_view token) const;
  std::string ledger_public_key() const { return public_key_; }

 private:
  // What a job may touch, which decides its savepoints (a failed job rolls
  // back alone): a kDecision job only stages ledger entries, which the
  // ledger undoes in memory, so it needs none; a kRecords job reads and
  // writes the records store (a savepoint there); a kWrites job also the
  // key store (savepoints in both).
  enum class JobKind { kDecision, kRecords, kWrites };

  // A unit of work for the writer thread. `run` executes inside the batch
  // transaction (inside savepoints as its kind says); `finish` is told
  // after the commit whether the batch became durable.
  struct Job {
    JobKind kind = JobKind::kRecords;
    std::function<absl::Status()> run;
    std::function<void(const absl::Status& commit)> finish;
    // For a caller of Submit asleep until `finish`: woken through this word
    // (WakeGroups) with the rest of its batch.
    std::atomic<uint32_t>* wake_word = nullptr;
  };

  class Observer;

  Engine(vault::DataDirectory& dir, common::Clock& clock, common::RandomSource& random,
         EngineOptions options);

  // Runs `fn` on the writer thread and waits until its batch is durable.
  template <typename T>
  absl::StatusOr<T> Submit(JobKind kind, std::function<absl::StatusOr<T>()> fn);
  // Queues `fn`; `done` gets its result after the commit. With `wake_word`,
  // also sets it to the word the job's answer is followed by a wake-up of
  // (left null when `done` was told at once: the engine had stopped).
  template <typename T>
  void SubmitAsync(JobKind kind, std::function<absl::StatusOr<T>()> fn,
                   std::function<void(absl::StatusOr<T>)> done,
                   std::atomic<uint32_t>** wake_word = nullptr);

  void WriterLoop();
  // Syncs committed batches and only then tells their callers (pipelined
  // group commit: the writer runs the next batch meanwhile).
  void SyncLoop();
  // Runs one batch (possibly empty, to sign a due head) and commits it.
  void RunBatch(std::vector<Job>& batch, bool sign_head);
  // Tells each job of `batches` how its batch ended, then wakes their
  // waiting callers, one wake-up per word.
  static void Answer(std::span<std::vector<Job>> batches, const absl::Status& status);
  // After a failed commit: reread everything cached from the store.
  void ReloadAfterFailure();

  // What a use covers, fetched before the writer decides it: the subject's
  // records of the requested categories (committed ones) and, for a read,
  // their data keys.
  struct PreparedUse {
    bool subject_exists = false;
    std::vector<RecordCache::Rows> rows;                 // by category, shared with the cache
    std::vector<const store::RecordRow*> records;        // into `rows`, oldest first
    std::vector<std::optional<crypto::SecretKey>> keys;  // by record; empty for a decide
    uint64_t key_epoch = 0;   // ReaderPool::key_epoch() when the keys were fetched
    uint64_t generation = 0;  // RecordCache::generation() before the records were
  };
  // On the caller's thread, with a pooled reader.
  absl::StatusOr<PreparedUse> PrepareUse(const UseRequest& request, bool read);
  absl::StatusOr<UseResult> Use(const UseRequest& request, bool read);
  void UseAsync(UseRequest request, bool read, Callback<UseResult> done);

  // Writer-thread helpers. `prepared`: what PrepareUse fetched, or nullptr
  // to read the records on the writer.
  absl::StatusOr<UseResult> DecideUse(const UseRequest& request, bool read, PreparedUse* prepared);
  absl::StatusOr<FindResult> DecideFind(const FindRequest& request);
  // Decides collecting `records` (and the identifiers) for `subject_id`
  // ("" for a new subject) and records the decision.
  absl::StatusOr<std::pair<policy::Decision, uint64_t>> DecideCollect(
      const std::string& actor, const std::string& subject_id,
      const vault::SubjectIdentifiers& identifiers, const std::vector<vault::NewRecord>& records);
  policy::Decision DecideFor(const policy::Policy& policy, std::string_view actor_id,
                             const policy::SubjectFacts& subject, policy::UseRequest& use) const;
  absl::Status AppendGenesis();
  // Retention sweep steps (engine/retention_sweep.cc).
  struct SweepFacts;
  struct SweepPlan;
  struct SweepPlanSegment;
  // Folds the ledger's allowed reads since the last sweep into last uses,
  // in writer jobs of about `options.job_budget`.
  absl::Status UpdateLastUses(const SweepOptions& options);
  // A table derived from the ledger's entries, kept up by FoldLedger.
  struct LedgerFold {
    std::string_view cursor;  // the retention cursor: how far it was folded
    // Off the writer, before each chunk of entries.
    std::function<void()> start_chunk;
    // Off the writer, for each entry of the chunk in seq order: adds the
    // entry's rows (most entries give none) and says how many.
    std::function<size_t(const store::LedgerEntryRow&)> parse;
    // On the writer: records the chunk's rows [first, end), those of whole
    // entries.
    std::function<absl::Status(size_t first, size_t end)> record;
  };
  // Folds the entries after `fold.cursor` up to the ledger's end as the
  // call finds it (engine/ledger_fold.cc): read and parsed on a reader of
  // its own, recorded in writer jobs of about `budget`, each moving the
  // cursor past the entries it recorded.
  absl::Status FoldLedger(const LedgerFold& fold, absl::Duration budget);
  absl::StatusOr<SweepFacts> LoadSweepFacts(bool count_records);
  // On the caller's thread, with a reader of its own.
  absl::StatusOr<SweepPlan> PlanSweep(const SweepFacts& facts, absl::Time as_of,
                                      const SweepOptions& options);
  absl::StatusOr<store::ContractEndRow> PutContractEnd(const std::string& by,
                                                       const std::string& subject_id,
                                                       const std::string& service,
                                                       absl::Time ended_at);
  // The operator's time zone (writer thread: the policy may be reloaded).
  absl::TimeZone OperatorZone() const;
  // On the writer: erases the planned keys [first, end); returns the counts.
  // Provision (engine/provision.cc): erases (or, in a dry run, counts) the
  // provision and receipt records kept until `as_of` or before.
  absl::StatusOr<int64_t> EraseProvisionRecords(const std::string& by, absl::Time as_of,
                                                bool dry_run);
  // On the writer: one subject's provision decision, its entry and record.
  absl::StatusOr<SubjectProvision> ProvideOne(const ProvideRequest& request,
                                              const std::string& subject, absl::Time now,
                                              nlohmann::json& values);
  absl::StatusOr<SweepSummary> EraseKeys(const std::string& by, SweepPlan& plan, size_t first,
                                         size_t end);
  absl::Status RunEraseJobs(const std::string& by, SweepPlan& plan, const SweepOptions& options,
                            SweepSummary& summary);
  // Drops the segments (store.h, RecordSegmentRow) the plan found wholly
  // due, one writer job each, then destroys their keys in jobs of bounded
  // size; also finishes segments a stopped sweep dropped.
  absl::Status DropDueSegments(const std::string& by, const SweepFacts& facts, SweepPlan& plan,
                               const SweepOptions& options, SweepSummary& summary);
  // Overwrites the pages dropped segments freed (RetentionStore::
  // ScrubFreePages) in writer jobs of about the budget; with `release`,
  // then frees the zero-filled pages again.
  absl::Status ScrubDroppedPages(const SweepOptions& options, bool release);
  // De-identifies a wholly due segment's records of the `deidentify`
  // erasure mode in jobs of bounded size before it is dropped.
  absl::Status DeidentifySegment(const SweepPlanSegment& segment, const SweepOptions& options);
  // On the writer: up to `limit` of them after the segment's cursor, except
  // those of `held_subjects` (sorted); returns how many it read.
  absl::StatusOr<int64_t> DeidentifySegmentRecords(const SweepPlanSegment& segment,
                                                   const std::vector<std::string>& held_subjects,
                                                   size_t limit);

  // Incidents (engine/incident.cc). On the writer: the affected set of
  // `scope`, the facts and the stored rows; `row` gets its counts.
  struct AffectedSubjects;
  absl::StatusOr<AffectedSubjects> ComputeAffected(const IncidentScope& scope);
  // `subjects`: the affected subjects when the caller has them (else read).
  absl::StatusOr<IncidentView> ViewOf(
      store::IncidentRow row, const std::vector<store::IncidentSubjectRow>* subjects = nullptr);
  absl::StatusOr<IncidentView> UpdateIncident(
      const std::string& by, const std::string& id, std::string_view change,
      const std::function<absl::Status(store::IncidentRow&, nlohmann::json& entry)>& edit);

  // Seals `text` under the subject's key for `kind`; base64 of the result.
  absl::StatusOr<std::string> SealForSubject(std::string_view subject_id, std::string_view kind,
                                             std::string_view id, std::string_view text);

  vault::DataDirectory& dir_;
  common::Clock& clock_;
  common::RandomSource& random_;
  EngineOptions options_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<FactsCache> facts_;
  std::unique_ptr<Observer> observer_;
  std::unique_ptr<ReaderPool> readers_;
  std::unique_ptr<RecordCache> record_cache_;
  // Subjects whose records the current batch changed: forgotten by the
  // record cache once the batch commits, and read again by the writer
  // itself for a use decided before then (writer thread only).
  absl::flat_hash_set<std::string> changed_subjects_;
  // Requests (engine/requests.cc). Each runs inside a writer job.
  struct StoredRequest;
  absl::StatusOr<StoredRequest> LoadRequest(const std::string& id);
  absl::StatusOr<RequestView> SaveRequest(StoredRequest& stored, nlohmann::json entry);
  absl::StatusOr<RequestView> ViewOfRequest(const StoredRequest& stored);
  absl::StatusOr<RequestView> StepRequest(
      const std::string& by, const std::string& id, std::string_view change,
      const std::function<absl::StatusOr<requests::Transition>(StoredRequest&)>& step);
  absl::StatusOr<nlohmann::json> ExecuteRequest(const std::string& by, StoredRequest& stored,
                                                requests::Outcome& outcome);
  absl::StatusOr<RequestView> ExecuteAndSave(const std::string& by, StoredRequest& stored);
  absl::Status RecordDeniedExecution(const std::string& by, StoredRequest& stored,
                                     const policy::Decision& decision);
  absl::Status PutStopOrder(const std::string& by, const StopOrderSpec& spec,
                            store::StopOrderRow* out);
  absl::StatusOr<int64_t> EraseRecordsForRequest(const std::string& by,
                                                 const std::string& request_id,
                                                 const std::vector<store::RecordRow>& records);
  absl::StatusOr<requests::Complaint> StepComplaint(
      const std::string& by, const std::string& id, std::string_view change,
      const std::function<absl::StatusOr<requests::Complaint>(const requests::Complaint&)>& step);
  std::unique_ptr<requests::AttemptLimiter> request_limiter_;  // writer thread only
  // Purposes whose meaning changed without being declared reasonably
  // related since a policy version (policy::PurposesChangedWithoutRelation
  // over every later version): records collected under that version lost
  // them (APPI Art. 17(2)). By version; cleared when a policy is loaded
  // (writer thread only).
  absl::flat_hash_map<int64_t, std::set<std::string>> purposes_lost_since_;
  absl::StatusOr<const std::set<std::string>*> PurposesLostSince(int64_t version);
  // Set by a job that destroyed keys: the key store is checkpointed after
  // the batch commits, so destroyed key bytes leave the disk (writer only).
  bool checkpoint_keys_ = false;
  // Keys destroyed by the batch's jobs, for the readers to forget once it
  // commits (writer only).
  std::vector<store::DataKeyId> forget_keys_;
  std::vector<std::string> forget_subjects_;
  std::string public_key_;
  // Who the vault's current change is made by (writer thread only).
  std::string current_actor_;
  std::atomic<uint64_t> ledger_size_{0};

  // Tokens by SHA-256, read by any thread, written by the writer.
  struct TokenInfo {
    std::string id;
    std::string actor;
    std::optional<absl::Time> expires_at;
    bool revoked = false;
  };
  mutable std::shared_mutex tokens_mutex_;
  absl::flat_hash_map<std::string, TokenInfo> tokens_;
  absl::Status LoadTokens();

  // Held by the one retention sweep running (SweepRetention).
  std::mutex sweep_mutex_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  WakeGroups wake_groups_;  // under mutex_, with queue_
  bool stopping_ = false;
  bool stopped_ = false;
  absl::Status stop_status_;
  std::thread writer_;

  // Batches committed but not yet durable, for the sync thread.
  std::mutex sync_mutex_;
  std::condition_variable sync_wake_;
  std::vector<std::vector<Job>> to_sync_;
  bool sync_stopping_ = false;
  // Set when a sync failed: what was committed since may not be durable,
  // so the engine refuses all further work (never acknowledging it).
  std::atomic<bool> sync_failed_{false};
  std::thread syncer_;
};

}  // namespace mamori::engine
