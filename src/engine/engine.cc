#include "engine/engine.h"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <future>
#include <set>
#include <span>
#include <sstream>

#include "absl/container/inlined_vector.h"
#include "absl/strings/escaping.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "engine/engine_internal.h"
#include "engine/engine_submit.h"
#include "policy/policy_diff.h"
#include "policy/policy_file.h"
#include "vault/import_line.h"

namespace mamori::engine {
namespace {

using internal::ChangeEntry;
using internal::Invalid;
using internal::ValidateLanguage;

using nlohmann::json;

json RecordsJson(std::span<const store::RecordRow> records) {
  json list = json::array();
  for (const store::RecordRow& r : records) {
    list.push_back({{"id", r.id}, {"category", r.category}, {"service", r.service}});
  }
  return list;
}

// A decision's ledger entry (docs/ledger-format.md, "decision"). Built
// without a JSON document: one is written for every use of personal data.
// The caller adds the purpose ("purpose", or "purposes" for a collection).
ledger::EntryBuilder DecisionEntry(std::string_view action, std::string_view actor,
                                   std::span<const std::string> categories,
                                   const policy::Decision& d, policy::Ground ground) {
  ledger::EntryBuilder entry;
  entry.Add("kind", "decision")
      .Add("action", action)
      .Add("actor", actor)
      .Add("categories", categories)
      .Add("ground", policy::GroundName(ground))
      .Add("outcome", policy::OutcomeName(d.outcome))
      .Add("reason_code", d.reason_code)
      .Add("rule_id", d.rule_id)
      .Add("legal_basis", d.legal_basis)
      .Add("flagged_for_audit", d.flagged_for_audit);
  return entry;
}

// True when the subject gave consent, in force at `at`, for a purpose of the
// operator's own that covers `category`.
bool ConsentCoveringAt(const policy::Policy& policy, const policy::SubjectFacts& facts,
                       std::string_view category, absl::Time at) {
  return std::any_of(facts.consents.begin(), facts.consents.end(), [&](const auto& c) {
    if (c.recipient || c.given_at > at || (c.withdrawn_at && *c.withdrawn_at <= at)) return false;
    const policy::Purpose* p = policy.FindPurpose(c.purpose);
    return p != nullptr &&
           std::find(p->categories.begin(), p->categories.end(), category) != p->categories.end();
  });
}

}  // namespace

absl::StatusOr<std::string> OpenSealedText(vault::Vault& vault, std::string_view subject_id,
                                           std::string_view kind, std::string_view id,
                                           std::string_view stored) {
  std::string sealed;
  if (!absl::Base64Unescape(common::ToAbsl(stored), &sealed)) {
    return absl::DataLossError(fmt::format("sealed text {} is not base64", id));
  }
  return vault.OpenValue({std::string(subject_id), std::string(kind), "open"}, id, sealed);
}

// Appends the ledger entries of the vault's changes in their transaction.
class Engine::Observer final : public vault::VaultObserver {
 public:
  explicit Observer(Engine& engine) : engine_(engine) {}

  absl::Status SubjectAdded(const store::SubjectRow& subject,
                            std::span<const store::RecordRow> records) override {
    json entry = ChangeEntry("subject.add", engine_.current_actor_);
    entry["subject"] = subject.id;
    entry["policy_version"] = subject.policy_version;
    entry["records"] = RecordsJson(records);
    // Whether the person chose a language, not which: no personal data in
    // the ledger.
    if (!subject.language.empty()) entry["language_set"] = true;
    engine_.changed_subjects_.insert(subject.id);
    return engine_.ledger_->Append(std::move(entry)).status();
  }

  absl::Status SubjectLanguageSet(std::string_view subject_id) override {
    json entry = ChangeEntry("subject.language", engine_.current_actor_);
    entry["subject"] = subject_id;
    return engine_.ledger_->Append(std::move(entry)).status();
  }

  absl::Status RecordsAdded(std::string_view subject_id,
                            std::span<const store::RecordRow> records) override {
    json entry = ChangeEntry("record.add", engine_.current_actor_);
    entry["subject"] = subject_id;
    entry["policy_version"] = records.empty() ? 0 : records.front().policy_version;
    entry["records"] = RecordsJson(records);
    engine_.changed_subjects_.emplace(subject_id);
    return engine_.ledger_->Append(std::move(entry)).status();
  }

 private:
  Engine& engine_;
};

Engine::Engine(vault::DataDirectory& dir, common::Clock& clock, common::RandomSource& random,
               EngineOptions options)
    : dir_(dir), clock_(clock), random_(random), options_(options) {}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Start(vault::DataDirectory& dir,
                                                      common::Clock& clock,
                                                      common::RandomSource& random,
                                                      EngineOptions options) {
  auto engine = std::unique_ptr<Engine>(new Engine(dir, clock, random, options));
  ASSIGN_OR_RETURN(crypto::SigningKey key, dir.LedgerSigningKey());
  engine->public_key_ = key.public_key();
  ASSIGN_OR_RETURN(engine->ledger_, ledger::Ledger::Open(dir.store().ledger(), std::move(key),
                                                         clock, options.ledger));
  ASSIGN_OR_RETURN(FactsCache facts, FactsCache::Load(dir.store().facts()));
  engine->facts_ = std::make_unique<FactsCache>(std::move(facts));
  RETURN_IF_ERROR(engine->LoadTokens());
  engine->observer_ = std::make_unique<Observer>(*engine);
  dir.set_vault_observer(engine->observer_.get());
  size_t max_readers = options.max_readers;
  if (max_readers == 0) max_readers = std::max<size_t>(4, 2 * std::thread::hardware_concurrency());
  engine->readers_ =
      std::make_unique<ReaderPool>(dir.store(), dir.master_key(), random, max_readers);
  engine->record_cache_ = std::make_unique<RecordCache>(options.cached_subjects);
  // Before any new work: record the policy versions of a fresh directory,
  // and sign what a crash left unsigned.
  {
    ASSIGN_OR_RETURN(auto tx, dir.store().records().BeginTransaction());
    if (engine->ledger_->size() == 0) RETURN_IF_ERROR(engine->AppendGenesis());
    if (engine->ledger_->size() > engine->ledger_->signed_size()) {
      RETURN_IF_ERROR(engine->ledger_->SignHead().status());
    }
    RETURN_IF_ERROR(tx->Commit());
  }
  engine->ledger_size_.store(engine->ledger_->size());
  RETURN_IF_ERROR(dir.store().records().DeferSync());
  engine->syncer_ = std::thread(&Engine::SyncLoop, engine.get());
  engine->writer_ = std::thread(&Engine::WriterLoop, engine.get());
  return engine;
}

Engine::~Engine() {
  (void)Stop();
  dir_.set_vault_observer(nullptr);
}

absl::Status Engine::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return stop_status_;
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  // The writer's last batch (the final tree head) is synced before this.
  {
    std::lock_guard<std::mutex> lock(sync_mutex_);
    sync_stopping_ = true;
  }
  sync_wake_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  // Later direct writes (no engine) are durable when they return again.
  absl::Status full = dir_.store().records().DeferSync(false);
  std::lock_guard<std::mutex> lock(mutex_);
  if (stop_status_.ok() && !full.ok()) stop_status_ = full;
  if (stop_status_.ok() && sync_failed_.load()) {
    stop_status_ = absl::UnavailableError("the store could not sync its last commits");
  }
  stopped_ = true;
  return stop_status_;
}

absl::Status Engine::AppendGenesis() {
  for (int64_t version = 1; version <= dir_.policy_version(); ++version) {
    ASSIGN_OR_RETURN(std::optional<store::PolicyVersionRow> row,
                     dir_.store().records().GetPolicyVersion(version));
    if (!row) continue;
    json entry = ChangeEntry("policy.load", row->loaded_by);
    entry["policy_version"] = row->version;
    entry["source_sha256"] = row->source_sha256;
    entry["loaded_at"] = common::FormatTimestampMicros(row->loaded_at);
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
  }
  return absl::OkStatus();
}

void Engine::WriterLoop() {
  pthread_setname_np(pthread_self(), "mamori-writer");  // for top -H and perf
  std::vector<Job> batch;
  while (true) {
    bool stopping = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      auto ready = [&] { return stopping_ || !queue_.empty(); };
      // With unsigned entries, wake in time to sign them when they are due.
      if (ledger_->size() > ledger_->signed_size()) {
        // Clamped: an infinite (or huge) period would overflow the wait and
        // spin; an hour's nap costs nothing when heads go by count.
        const absl::Duration period =
            std::clamp(options_.ledger.sign_every, absl::ZeroDuration(), absl::Hours(1));
        wake_.wait_for(lock, absl::ToChronoMilliseconds(period) + std::chrono::milliseconds(10),
                       ready);
      } else {
        wake_.wait(lock, ready);
      }
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      wake_groups_.NextIntake();
      stopping = stopping_ && queue_.empty();
    }
    RunBatch(batch, /*sign_head=*/stopping);
    batch.clear();
    if (stopping) return;
  }
}

void Engine::SyncLoop() {
  pthread_setname_np(pthread_self(), "mamori-sync");
  std::vector<std::vector<Job>> batches;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(sync_mutex_);
      sync_wake_.wait(lock, [&] { return sync_stopping_ || !to_sync_.empty(); });
      if (to_sync_.empty()) return;  // stopping, and nothing left
      batches.swap(to_sync_);
    }
    // One sync for every batch committed meanwhile.
    absl::Status synced = sync_failed_.load() ? absl::UnavailableError("an earlier sync failed")
                                              : dir_.store().records().SyncCommitted();
    if (!synced.ok()) {
      sync_failed_.store(true);
      synced = absl::UnavailableError(
          fmt::format("the store did not sync: {}", common::FromAbsl(synced.message())));
    }
    Answer(batches, synced);
    batches.clear();
  }
}

void Engine::Answer(std::span<std::vector<Job>> batches, const absl::Status& status) {
  // Jobs taken together share a word: one wake-up for each run of them.
  absl::InlinedVector<std::atomic<uint32_t>*, 4> words;
  for (std::vector<Job>& batch : batches) {
    for (Job& job : batch) {
      job.finish(status);
      if (job.wake_word != nullptr && (words.empty() || words.back() != job.wake_word)) {
        words.push_back(job.wake_word);
      }
    }
  }
  for (std::atomic<uint32_t>* word : words) WakeGroups::WakeAll(word);
}

void Engine::RunBatch(std::vector<Job>& batch, bool sign_head) {
  if (batch.empty() && !sign_head && !ledger_->HeadDue()) return;
  auto fail_all = [&](const absl::Status& status) {
    Answer({&batch, 1}, status);
    if (sign_head) {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_status_ = status;
    }
  };
  if (sync_failed_.load()) {
    return fail_all(absl::UnavailableError("the store could not sync; restart mamori"));
  }
  store::Store& store = dir_.store();
  // The key store's transaction begins with the first job that writes
  // there: a batch of decisions and reads never touches it.
  std::unique_ptr<store::Transaction> keys_tx;
  absl::StatusOr<std::unique_ptr<store::Transaction>> records_tx =
      store.records().BeginTransaction();
  if (!records_tx.ok()) return fail_all(records_tx.status());

  for (Job& job : batch) {
    const ledger::Ledger::Mark mark = ledger_->mark();
    const int64_t policy_version = dir_.policy_version();
    absl::Status status;
    if (job.kind == JobKind::kDecision) {
      status = job.run();
    } else {
      // Savepoints: a failed job rolls back alone, ledger rows and notes
      // included. Only writes touch the key store. Staged ledger rows go
      // to the store first: the job may read the ledger there.
      status = ledger_->Flush();
      if (status.ok() && job.kind == JobKind::kWrites && keys_tx == nullptr) {
        absl::StatusOr<std::unique_ptr<store::Transaction>> tx = store.keys().BeginTransaction();
        if (tx.ok()) keys_tx = *std::move(tx);
        status = tx.status();
      }
      std::unique_ptr<store::Transaction> keys_sp;
      if (status.ok() && job.kind == JobKind::kWrites) {
        absl::StatusOr<std::unique_ptr<store::Transaction>> sp = store.keys().BeginTransaction();
        if (sp.ok()) keys_sp = *std::move(sp);
        status = sp.status();
      }
      std::unique_ptr<store::Transaction> records_sp;
      if (status.ok()) {
        absl::StatusOr<std::unique_ptr<store::Transaction>> sp = store.records().BeginTransaction();
        if (sp.ok()) records_sp = *std::move(sp);
        status = sp.status();
      }
      if (status.ok()) status = job.run();
      if (status.ok()) status = records_sp->Commit();
      if (status.ok() && keys_sp) status = keys_sp->Commit();
    }
    if (!status.ok()) {
      ledger_->RollbackTo(mark);
      if (job.kind == JobKind::kWrites) {
        dir_.vault().ForgetCachedKeys();
        if (dir_.policy_version() != policy_version) {
          (void)dir_.Reload();
          purposes_lost_since_.clear();
        }
      }
    }
  }

  absl::Status committed = ledger_->Flush();
  if (committed.ok() && (sign_head || ledger_->HeadDue())) {
    committed = ledger_->SignHead().status();
  }
  // Keys before records: a crash between leaves unused keys, never records
  // without their keys.
  if (committed.ok() && keys_tx != nullptr) committed = keys_tx->Commit();
  if (committed.ok()) committed = (*records_tx)->Commit();
  if (committed.ok() && (!forget_keys_.empty() || !forget_subjects_.empty())) {
    // Committed: readers may no longer use them (reader_pool.h).
    readers_->ForgetKeys(std::move(forget_keys_), std::move(forget_subjects_));
  }
  forget_keys_.clear();
  forget_subjects_.clear();
  if (committed.ok() && checkpoint_keys_) {
    // Destroyed keys are committed: overwrite them in the main file too.
    // A failure (a reader holding an old snapshot) leaves them to SQLite's
    // next automatic checkpoint; the keys are already gone from the store.
    checkpoint_keys_ = false;
    (void)store.keys().Checkpoint();
  }
  if (!committed.ok()) {
    checkpoint_keys_ = false;
    records_tx->reset();
    keys_tx.reset();
    changed_subjects_.clear();
    record_cache_->Clear();
    ReloadAfterFailure();
    return fail_all(absl::UnavailableError(
        fmt::format("the store did not commit: {}", common::FromAbsl(committed.message()))));
  }
  // Before anything is acknowledged: no use may find the records a
  // committed change replaced (engine/record_cache.h).
  record_cache_->Invalidate(std::move(changed_subjects_));
  changed_subjects_.clear();
  ledger_size_.store(ledger_->size());
  // Acknowledged once durable, by the sync thread.
  {
    std::lock_guard<std::mutex> lock(sync_mutex_);
    to_sync_.push_back(std::move(batch));
  }
  sync_wake_.notify_one();
  batch.clear();
}

void Engine::ReloadAfterFailure() {
  dir_.vault().ForgetCachedKeys();
  purposes_lost_since_.clear();
  (void)dir_.Reload();
  if (absl::StatusOr<crypto::SigningKey> key = dir_.LedgerSigningKey(); key.ok()) {
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> reopened =
        ledger::Ledger::Open(dir_.store().ledger(), *std::move(key), clock_, options_.ledger);
    if (reopened.ok()) ledger_ = *std::move(reopened);
  }
  if (absl::StatusOr<FactsCache> facts = FactsCache::Load(dir_.store().facts()); facts.ok()) {
    *facts_ = *std::move(facts);
  }
}

// --- Decisions ---

policy::Decision Engine::DecideFor(const policy::Policy& policy, std::string_view actor_id,
                                   const policy::SubjectFacts& subject,
                                   policy::UseRequest& use) const {
  const policy::ActorFacts* actor = facts_->actor(actor_id);
  if (actor == nullptr) {
    policy::Decision d;
    d.outcome = policy::Outcome::kDeny;
    d.reason_code = kActorUnknown;
    d.rule_id = "appi.23";
    d.flagged_for_audit = use.ground != policy::Ground::kNone;
    return d;
  }
  return policy::Decide(policy, *actor, subject, use);
}

namespace {

absl::Status ValidateUse(const UseRequest& request) {
  if (request.actor.empty()) return Invalid("actor: required");
  if (request.purpose.empty()) return Invalid("purpose: required");
  if (request.categories.empty()) return Invalid("category: at least one is required");
  if (request.ground == policy::Ground::kNone && !request.reason.empty()) {
    return Invalid("reason: given without a ground");
  }
  return absl::OkStatus();
}

// A use with a written reason keeps a note sealed under the subject's keys:
// it writes to both stores. Other uses only stage their ledger entry.
bool IsNoted(const UseRequest& request) {
  return request.ground != policy::Ground::kNone && !request.reason.empty();
}

// Oldest first: a record added later may have been collected earlier.
void SortByCollection(std::vector<const store::RecordRow*>& records) {
  std::stable_sort(records.begin(), records.end(),
                   [](const store::RecordRow* a, const store::RecordRow* b) {
                     return a->collected_at < b->collected_at;
                   });
}

}  // namespace

absl::StatusOr<Engine::PreparedUse> Engine::PrepareUse(const UseRequest& request, bool read) {
  PreparedUse prepared;
  std::vector<std::string> categories;
  for (const std::string& c : request.categories) {
    if (std::find(categories.begin(), categories.end(), c) == categories.end()) {
      categories.push_back(c);
    }
  }
  std::optional<ReaderPool::Lease> reader;
  std::vector<RecordCache::Rows> rows;
  // Before the records are looked up: the writer reads the subject again
  // if it changes after this (RecordCache::ChangedSince).
  const uint64_t seen = record_cache_->generation();
  prepared.generation = seen;
  if (record_cache_->Find(request.subject, categories, rows)) {
    prepared.subject_exists = true;
  } else {
    ASSIGN_OR_RETURN(reader, readers_->Acquire());
    ASSIGN_OR_RETURN(std::vector<store::RecordRow> listed,
                     (*reader)->store->ListRecords(request.subject, categories));
    // A subject with records exists (records reference their subject): look
    // the subject up only when there are none.
    prepared.subject_exists = !listed.empty();
    if (!prepared.subject_exists) {
      ASSIGN_OR_RETURN(prepared.subject_exists, (*reader)->store->SubjectExists(request.subject));
    }
    if (!prepared.subject_exists) return prepared;
    std::vector<std::vector<store::RecordRow>> by_category(categories.size());
    for (store::RecordRow& r : listed) {
      const size_t i = static_cast<size_t>(
          std::find(categories.begin(), categories.end(), r.category) - categories.begin());
      if (i < categories.size()) by_category[i].push_back(std::move(r));
    }
    for (std::vector<store::RecordRow>& list : by_category) {
      rows.push_back(std::make_shared<const std::vector<store::RecordRow>>(std::move(list)));
    }
    record_cache_->Insert(seen, request.subject, categories, rows);
  }
  for (const RecordCache::Rows& list : rows) {
    for (const store::RecordRow& r : *list) prepared.records.push_back(&r);
  }
  SortByCollection(prepared.records);
  prepared.rows = std::move(rows);
  if (read && !prepared.records.empty()) {
    // Only the keys: values are opened on the writer once the use is
    // decided, and only when it is allowed. A missing key (erased) fails
    // the read only then.
    if (!reader) {
      ASSIGN_OR_RETURN(reader, readers_->Acquire());
    }
    prepared.key_epoch = (*reader)->epoch;
    prepared.keys.reserve(prepared.records.size());
    for (const store::RecordRow* r : prepared.records) {
      absl::StatusOr<const crypto::SecretKey*> key =
          (*reader)->keys->DataKey({r->subject_id, r->category, r->key_bucket}, /*create=*/false);
      if (key.ok()) {
        prepared.keys.emplace_back(**key);
      } else if (absl::IsNotFound(key.status())) {
        prepared.keys.emplace_back(std::nullopt);
      } else {
        return key.status();
      }
    }
  } else {
    prepared.key_epoch = readers_->key_epoch();
  }
  return prepared;
}

absl::StatusOr<UseResult> Engine::DecideUse(const UseRequest& request, bool read,
                                            PreparedUse* prepared) {
  // Validated by Use / UseAsync before the records were fetched.
  // Keys fetched before a destruction may no longer exist, and records
  // fetched before a commit (or before this batch ran so far) miss what it
  // changed: read the subject again here, so that the use sees what its
  // subject had at its place in the ledger.
  if (prepared != nullptr && (readers_->SubjectChangedSince(request.subject, prepared->key_epoch) ||
                              record_cache_->ChangedSince(request.subject, prepared->generation) ||
                              changed_subjects_.contains(request.subject))) {
    prepared = nullptr;
  }
  // The records the use covers, and the purposes announced for every one
  // of them when it was collected: a use is within purpose only if it was
  // announced for each record it touches.
  std::vector<const store::RecordRow*> records;
  std::vector<store::RecordRow> owned;  // when read here
  if (prepared != nullptr) {
    if (!prepared->subject_exists) {
      return absl::NotFoundError(fmt::format("subject {} not found", request.subject));
    }
    records = prepared->records;
  } else {
    ASSIGN_OR_RETURN(std::vector<store::RecordRow> all,
                     dir_.store().records().ListRecords(request.subject));
    if (all.empty()) {
      ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                       dir_.store().records().GetSubject(request.subject));
      if (!subject) {
        return absl::NotFoundError(fmt::format("subject {} not found", request.subject));
      }
    }
    for (store::RecordRow& r : all) {
      if (std::find(request.categories.begin(), request.categories.end(), r.category) !=
          request.categories.end()) {
        owned.push_back(std::move(r));
      }
    }
    for (const store::RecordRow& r : owned) records.push_back(&r);
    SortByCollection(records);
  }
  const policy::Policy& policy = dir_.policy();
  policy::UseRequest use;
  use.purpose = request.purpose;
  use.categories = request.categories;
  use.ground = request.ground;
  use.reason = request.reason;
  use.now = clock_.Now();
  if (records.empty()) {
    // Nothing held yet: what the policy announces now.
    std::set<std::string> announced;
    for (const policy::Service& s : policy.services) {
      for (const std::string& c : request.categories) {
        for (std::string& p : policy.CollectionPurposes(s.id, c)) announced.insert(std::move(p));
      }
    }
    use.collection_purposes.assign(announced.begin(), announced.end());
  } else {
    use.collection_purposes = records.front()->purposes;
    for (const store::RecordRow* r : records) {
      std::erase_if(use.collection_purposes, [&](const std::string& p) {
        return std::find(r->purposes.begin(), r->purposes.end(), p) == r->purposes.end();
      });
      // A purpose whose meaning changed since, without being declared
      // reasonably related, is not one this record was collected for.
      if (r->policy_version < dir_.policy_version() && !use.collection_purposes.empty()) {
        ASSIGN_OR_RETURN(const std::set<std::string>* lost, PurposesLostSince(r->policy_version));
        std::erase_if(use.collection_purposes,
                      [&](const std::string& p) { return lost->contains(p); });
      }
    }
  }

  // Special-care data: consent at acquisition, for every record of it.
  const policy::SubjectFacts& cached = facts_->subject(request.subject);
  const policy::SubjectFacts* facts = &cached;
  policy::SubjectFacts with_acquisition;
  const bool special_care =
      std::any_of(request.categories.begin(), request.categories.end(), [&](const auto& id) {
        const policy::Category* c = policy.FindCategory(id);
        return c != nullptr && c->legal_class == policy::LegalClass::kSpecialCare;
      });
  if (special_care) {
    with_acquisition = cached;
    bool consented = true;
    for (const std::string& id : request.categories) {
      const policy::Category* c = policy.FindCategory(id);
      if (c == nullptr || c->legal_class != policy::LegalClass::kSpecialCare) continue;
      bool any = false;
      for (const store::RecordRow* r : records) {
        if (r->category != id) continue;
        any = true;
        consented = consented && ConsentCoveringAt(policy, cached, id, r->collected_at);
      }
      if (!any) consented = consented && ConsentCoveringAt(policy, cached, id, use.now);
    }
    with_acquisition.special_care_consented_at_acquisition = consented;
    facts = &with_acquisition;
  }

  UseResult result;
  result.decision = DecideFor(policy, request.actor, *facts, use);
  const bool allowed = result.decision.outcome == policy::Outcome::kAllow;
  ledger::EntryBuilder entry = DecisionEntry(read ? "read" : "decide", request.actor,
                                             request.categories, result.decision, request.ground);
  entry.Add("purpose", request.purpose).Add("subject", request.subject);
  if (read && allowed) {
    std::vector<std::string> ids;
    ids.reserve(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      const store::RecordRow& r = *records[i];
      const store::DataKeyId key_id{r.subject_id, r.category, r.key_bucket};
      std::string value;
      if (prepared != nullptr) {
        const std::optional<crypto::SecretKey>& key = prepared->keys[i];
        if (!key) return absl::NotFoundError(fmt::format("record {}: its key is erased", r.id));
        RETURN_IF_ERROR(vault::Vault::OpenValueWithKey(*key, key_id, r.id, r.sealed_value, value));
      } else {
        RETURN_IF_ERROR(dir_.vault().OpenValueInto(key_id, r.id, r.sealed_value, value));
      }
      result.values[r.category].push_back(std::move(value));
      ids.push_back(r.id);
    }
    entry.Add("records", ids);
  }
  // A written reason may speak of the person: the entry holds its SHA-256,
  // and the note beside it is sealed under the subject's keys, so erasing
  // the subject erases it too.
  const bool noted = IsNoted(request);
  if (noted) {
    entry.Add("note_sha256", ledger::Sha256Hex(request.reason));
    ASSIGN_OR_RETURN(result.entry, ledger_->Append(std::move(entry)));
  } else {
    result.entry = ledger_->Stage(std::move(entry));
  }
  if (noted) {
    ASSIGN_OR_RETURN(std::string sealed,
                     SealForSubject(request.subject, kUseReasonKey,
                                    fmt::format("note-{}", result.entry), request.reason));
    RETURN_IF_ERROR(dir_.store().ledger().InsertNote(static_cast<int64_t>(result.entry), sealed));
  }
  return result;
}

absl::StatusOr<std::string> Engine::SealForSubject(std::string_view subject_id,
                                                   std::string_view kind, std::string_view id,
                                                   std::string_view text) {
  ASSIGN_OR_RETURN(
      std::string sealed,
      dir_.vault().SealValue({std::string(subject_id), std::string(kind), "open"}, id, text));
  return absl::Base64Escape(common::ToAbsl(sealed));
}

absl::StatusOr<FindResult> Engine::DecideFind(const FindRequest& request) {
  if (request.actor.empty()) return Invalid("actor: required");
  if (request.purpose.empty()) return Invalid("purpose: required");
  const policy::Policy& policy = dir_.policy();
  const policy::Category* category = nullptr;
  for (const policy::Category& c : policy.categories) {
    if (c.identifier == request.kind) {
      category = &c;
      break;
    }
  }
  if (category == nullptr) {
    return Invalid(fmt::format("the policy has no category of {} identifiers",
                               policy::IdentifierKindName(request.kind)));
  }
  policy::UseRequest use;
  use.purpose = request.purpose;
  use.categories = {category->id};
  use.now = clock_.Now();
  std::set<std::string> announced;
  for (const policy::Service& s : policy.services) {
    for (std::string& p : policy.CollectionPurposes(s.id, category->id)) {
      announced.insert(std::move(p));
    }
  }
  use.collection_purposes.assign(announced.begin(), announced.end());
  static const policy::SubjectFacts kNoFacts;

  FindResult result;
  result.decision = DecideFor(policy, request.actor, kNoFacts, use);
  ledger::EntryBuilder entry =
      DecisionEntry("find", request.actor, use.categories, result.decision, policy::Ground::kNone);
  entry.Add("purpose", request.purpose).Add("identifier", policy::IdentifierKindName(request.kind));
  if (result.decision.outcome == policy::Outcome::kAllow) {
    ASSIGN_OR_RETURN(std::vector<std::string> found,
                     dir_.vault().FindSubjects(request.kind, request.value));
    // A subject who ordered this use stopped is not found for it.
    int64_t withheld = 0;
    for (std::string& id : found) {
      const policy::SubjectFacts& facts = facts_->subject(id);
      const bool stopped = std::any_of(
          facts.stop_use.begin(), facts.stop_use.end(),
          [&](const policy::StopOrder& o) { return !o.purpose || *o.purpose == request.purpose; });
      if (stopped) {
        ++withheld;
      } else {
        result.subjects.push_back(std::move(id));
      }
    }
    entry.Add("subjects", result.subjects);
    entry.Add("withheld_by_stop_order", withheld);
  }
  result.entry = ledger_->Stage(std::move(entry));
  return result;
}

void Engine::DecideAsync(UseRequest request, Callback<UseResult> done) {
  UseAsync(std::move(request), /*read=*/false, std::move(done));
}

void Engine::ReadAsync(UseRequest request, Callback<UseResult> done) {
  UseAsync(std::move(request), /*read=*/true, std::move(done));
}

void Engine::UseAsync(UseRequest request, bool read, Callback<UseResult> done) {
  if (absl::Status valid = ValidateUse(request); !valid.ok()) return done(valid);
  absl::StatusOr<PreparedUse> prepared = PrepareUse(request, read);
  if (!prepared.ok()) return done(prepared.status());
  const JobKind kind = IsNoted(request) ? JobKind::kWrites : JobKind::kDecision;
  SubmitAsync<UseResult>(
      kind,
      [this, request = std::move(request), read, prepared = *std::move(prepared)]() mutable {
        return DecideUse(request, read, &prepared);
      },
      std::move(done));
}

void Engine::FindAsync(FindRequest request, Callback<FindResult> done) {
  SubmitAsync<FindResult>(
      JobKind::kDecision, [this, request = std::move(request)] { return DecideFind(request); },
      std::move(done));
}

absl::StatusOr<std::pair<policy::Decision, uint64_t>> Engine::DecideCollect(
    const std::string& actor, const std::string& subject_id,
    const vault::SubjectIdentifiers& identifiers, const std::vector<vault::NewRecord>& records) {
  const policy::Policy& policy = dir_.policy();
  // What is collected: each record's (category, service), and the
  // identifier categories, collected under any service announcing them.
  std::vector<std::pair<std::string, std::vector<std::string>>> collected;
  for (const vault::NewRecord& r : records) {
    std::vector<std::string> purposes = policy.CollectionPurposes(r.service, r.category);
    if (purposes.empty()) {
      return Invalid(fmt::format("records: service \"{}\" announces no purpose for category \"{}\"",
                                 r.service, r.category));
    }
    collected.emplace_back(r.category, std::move(purposes));
  }
  const std::pair<policy::IdentifierKind, bool> given[] = {
      {policy::IdentifierKind::kPhone, identifiers.phone.has_value()},
      {policy::IdentifierKind::kEmail, identifiers.email.has_value()},
      {policy::IdentifierKind::kContract, identifiers.contract.has_value()},
      {policy::IdentifierKind::kName, identifiers.name.has_value()},
      {policy::IdentifierKind::kBirthDate, identifiers.birth_date.has_value()}};
  for (const auto& [kind, present] : given) {
    if (!present) continue;
    for (const policy::Category& c : policy.categories) {
      if (c.identifier != kind) continue;
      std::set<std::string> purposes;
      for (const policy::Service& s : policy.services) {
        for (std::string& p : policy.CollectionPurposes(s.id, c.id)) purposes.insert(std::move(p));
      }
      collected.emplace_back(c.id, std::vector<std::string>(purposes.begin(), purposes.end()));
      break;
    }
  }
  const policy::SubjectFacts& facts = facts_->subject(subject_id);
  policy::Decision decision;
  decision.outcome = policy::Outcome::kAllow;
  std::vector<std::string> categories, purposes_used;
  for (const auto& [category, purposes] : collected) {
    categories.push_back(category);
    // Allowed when the actor may use the category under one of the purposes
    // announced for it; the first denial is kept to explain a refusal.
    std::optional<policy::Decision> allowed, denied;
    for (const std::string& purpose : purposes) {
      policy::UseRequest use;
      use.purpose = purpose;
      use.categories = {category};
      use.collection_purposes = {purpose};
      use.now = clock_.Now();
      policy::Decision d = DecideFor(policy, actor, facts, use);
      if (d.outcome == policy::Outcome::kAllow) {
        allowed = d;
        purposes_used.push_back(purpose);
        break;
      }
      if (!denied) denied = d;
    }
    if (!allowed) {
      decision = denied ? *denied : policy::Decision{};
      if (!denied) {
        decision.reason_code = "purpose_not_announced";
        decision.rule_id = "appi.21.1";
      }
      break;
    }
    decision = *allowed;
  }
  ledger::EntryBuilder entry =
      DecisionEntry("collect", actor, categories, decision, policy::Ground::kNone);
  entry.Add("purposes", purposes_used);
  if (!subject_id.empty()) entry.Add("subject", subject_id);
  ASSIGN_OR_RETURN(uint64_t seq, ledger_->Append(std::move(entry)));
  return std::make_pair(decision, seq);
}

absl::StatusOr<CollectResult> Engine::AddSubjectAs(std::string actor,
                                                   vault::SubjectIdentifiers identifiers,
                                                   std::vector<vault::NewRecord> records,
                                                   std::string language) {
  return Submit<CollectResult>(JobKind::kWrites, [&]() -> absl::StatusOr<CollectResult> {
    if (identifiers.empty() && records.empty()) {
      return Invalid("give at least one identifier or record");
    }
    RETURN_IF_ERROR(ValidateLanguage(language));
    CollectResult result;
    ASSIGN_OR_RETURN(std::tie(result.decision, result.entry),
                     DecideCollect(actor, "", identifiers, records));
    if (result.decision.outcome != policy::Outcome::kAllow) return result;
    current_actor_ = actor;
    ASSIGN_OR_RETURN(result.subject, dir_.vault().AddSubject(identifiers, records, language));
    ASSIGN_OR_RETURN(std::vector<vault::RecordInfo> infos,
                     dir_.vault().ListRecords(result.subject));
    for (vault::RecordInfo& info : infos) result.records.push_back(std::move(info.id));
    return result;
  });
}

absl::StatusOr<CollectResult> Engine::AddRecordsAs(std::string actor, std::string subject_id,
                                                   std::vector<vault::NewRecord> records) {
  return Submit<CollectResult>(JobKind::kWrites, [&]() -> absl::StatusOr<CollectResult> {
    if (records.empty()) return Invalid("records: at least one is required");
    ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                     dir_.store().records().GetSubject(subject_id));
    if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", subject_id));
    CollectResult result;
    result.subject = subject_id;
    ASSIGN_OR_RETURN(std::tie(result.decision, result.entry),
                     DecideCollect(actor, subject_id, {}, records));
    if (result.decision.outcome != policy::Outcome::kAllow) return result;
    current_actor_ = actor;
    for (const vault::NewRecord& record : records) {
      ASSIGN_OR_RETURN(std::string id, dir_.vault().AddRecord(subject_id, record));
      result.records.push_back(std::move(id));
    }
    return result;
  });
}

absl::StatusOr<ImportResult> Engine::ImportAs(std::string actor, std::string jsonl_text,
                                              vault::ImportProgress progress) {
  return Submit<ImportResult>(JobKind::kWrites, [&]() -> absl::StatusOr<ImportResult> {
    // What the whole file collects: the union of its (category, service)
    // pairs and the identifier kinds it gives.
    std::set<std::pair<std::string, std::string>> pairs;
    vault::SubjectIdentifiers identifiers;
    std::string_view rest = jsonl_text;
    int64_t line_number = 0;
    while (!rest.empty()) {
      size_t end = rest.find('\n');
      std::string_view line = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      ++line_number;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      absl::StatusOr<vault::ImportLine> parsed = vault::ParseImportLine(line);
      if (!parsed.ok()) {
        return Invalid(
            fmt::format("line {}: {}", line_number, common::FromAbsl(parsed.status().message())));
      }
      for (const vault::NewRecord& r : parsed->records) pairs.emplace(r.category, r.service);
      const vault::SubjectIdentifiers& given = parsed->identifiers;
      if (given.phone) identifiers.phone = "";
      if (given.email) identifiers.email = "";
      if (given.contract) identifiers.contract = "";
      if (given.name) identifiers.name = "";
      if (given.birth_date) identifiers.birth_date = "";
    }
    std::vector<vault::NewRecord> records;
    for (const auto& [category, service] : pairs) {
      records.push_back(vault::NewRecord{.category = category, .service = service});
    }
    ImportResult result;
    ASSIGN_OR_RETURN(std::tie(result.decision, result.entry),
                     DecideCollect(actor, "", identifiers, records));
    if (result.decision.outcome != policy::Outcome::kAllow) return result;
    current_actor_ = actor;
    std::istringstream in(jsonl_text);
    ASSIGN_OR_RETURN(result.summary, dir_.vault().Import(in, progress));
    return result;
  });
}

absl::StatusOr<UseResult> Engine::Decide(const UseRequest& request) {
  return Use(request, /*read=*/false);
}

absl::StatusOr<UseResult> Engine::Read(const UseRequest& request) {
  return Use(request, /*read=*/true);
}

absl::StatusOr<UseResult> Engine::Use(const UseRequest& request, bool read) {
  RETURN_IF_ERROR(ValidateUse(request));
  ASSIGN_OR_RETURN(PreparedUse prepared, PrepareUse(request, read));
  return Submit<UseResult>(IsNoted(request) ? JobKind::kWrites : JobKind::kDecision,
                           [&] { return DecideUse(request, read, &prepared); });
}

absl::StatusOr<FindResult> Engine::Find(const FindRequest& request) {
  return Submit<FindResult>(JobKind::kDecision, [&] { return DecideFind(request); });
}

// --- Changes ---

absl::StatusOr<store::ActorRow> Engine::AddActor(std::string by, std::string id,
                                                 std::vector<std::string> roles) {
  return Submit<store::ActorRow>(JobKind::kWrites, [&]() -> absl::StatusOr<store::ActorRow> {
    if (id.empty()) return Invalid("id: required");
    if (id.size() > 128 || id.find_first_of(" ,\t\r\n") != std::string::npos) {
      return Invalid("id: at most 128 characters, without spaces or commas");
    }
    if (roles.empty()) return Invalid("role: at least one is required");
    for (const std::string& role : roles) {
      if (dir_.policy().FindRole(role) == nullptr) {
        return Invalid(fmt::format("role: \"{}\" is not a role of the policy", role));
      }
    }
    store::ActorRow row{id, roles, clock_.Now(), by};
    RETURN_IF_ERROR(dir_.store().facts().InsertActor(row));
    json entry = ChangeEntry("actor.add", by);
    entry["target_actor"] = id;
    entry["roles"] = roles;
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
    facts_->AddActor(row);
    return row;
  });
}

absl::StatusOr<store::TrainingRow> Engine::RecordTraining(std::string by, std::string actor_id,
                                                          std::string course,
                                                          absl::Time completed_at) {
  return Submit<store::TrainingRow>(JobKind::kWrites, [&]() -> absl::StatusOr<store::TrainingRow> {
    if (facts_->actor(actor_id) == nullptr) {
      return absl::NotFoundError(fmt::format("actor {} not found", actor_id));
    }
    const policy::Course* c = dir_.policy().FindCourse(course);
    if (c == nullptr) {
      return Invalid(fmt::format("course: \"{}\" is not a course of the policy", course));
    }
    const absl::Time now = clock_.Now();
    if (completed_at > now) return Invalid("completed: in the future");
    store::TrainingRow row{actor_id, course, completed_at, now, by};
    RETURN_IF_ERROR(dir_.store().facts().InsertTraining(row));
    json entry = ChangeEntry("training.record", by);
    entry["target_actor"] = actor_id;
    entry["course"] = course;
    entry["completed_at"] = common::FormatTimestamp(completed_at);
    entry["valid_until"] = common::FormatTimestamp(completed_at + absl::Hours(24) * c->valid_days);
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
    facts_->AddTraining(row);
    return row;
  });
}

absl::StatusOr<store::TrainingRow> Engine::RecordTrainingOn(std::string by, std::string actor_id,
                                                            std::string course,
                                                            absl::CivilDay day) {
  absl::StatusOr<absl::Time> at =
      Submit<absl::Time>(JobKind::kRecords, [&]() -> absl::StatusOr<absl::Time> {
        absl::TimeZone zone;
        if (!absl::LoadTimeZone(common::ToAbsl(dir_.policy().operator_info.time_zone), &zone)) {
          zone = absl::UTCTimeZone();
        }
        return absl::FromCivil(day, zone);
      });
  if (!at.ok()) return at.status();
  return RecordTraining(std::move(by), std::move(actor_id), std::move(course), *at);
}

absl::StatusOr<store::ConsentRow> Engine::GrantConsent(std::string by, ConsentGrant grant) {
  return Submit<store::ConsentRow>(JobKind::kWrites, [&]() -> absl::StatusOr<store::ConsentRow> {
    const policy::Policy& policy = dir_.policy();
    if (policy.FindPurpose(grant.purpose) == nullptr) {
      return Invalid(fmt::format("purpose: \"{}\" is not a purpose of the policy", grant.purpose));
    }
    if (grant.recipient && policy.FindRecipient(*grant.recipient) == nullptr) {
      return Invalid(
          fmt::format("recipient: \"{}\" is not a recipient of the policy", *grant.recipient));
    }
    if (grant.channel.empty()) return Invalid("channel: required");
    ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                     dir_.store().records().GetSubject(grant.subject));
    if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", grant.subject));
    const absl::Time now = clock_.Now();
    if (grant.given_at && *grant.given_at > now) return Invalid("given: in the future");
    store::ConsentRow row;
    row.id = common::NewId(common::IdKind::kConsent, random_, now);
    row.subject_id = grant.subject;
    row.purpose = grant.purpose;
    row.recipient = grant.recipient;
    row.given_at = grant.given_at.value_or(now);
    row.channel = grant.channel;
    if (!grant.evidence.empty()) {
      ASSIGN_OR_RETURN(row.evidence,
                       SealForSubject(grant.subject, kConsentEvidenceKey, row.id, grant.evidence));
    }
    row.explicit_for_location = grant.explicit_for_location;
    row.cross_border_informed = grant.cross_border_informed;
    row.policy_version = dir_.policy_version();
    row.recorded_by = by;
    RETURN_IF_ERROR(dir_.store().facts().InsertConsent(row));
    json entry = ChangeEntry("consent.grant", by);
    entry["subject"] = row.subject_id;
    entry["consent"] = row.id;
    entry["purpose"] = row.purpose;
    if (row.recipient) entry["recipient"] = *row.recipient;
    entry["channel"] = row.channel;
    entry["given_at"] = common::FormatTimestampMicros(row.given_at);
    entry["explicit_for_location"] = row.explicit_for_location;
    entry["cross_border_informed"] = row.cross_border_informed;
    entry["policy_version"] = row.policy_version;
    if (!grant.evidence.empty()) entry["evidence_sha256"] = ledger::Sha256Hex(grant.evidence);
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
    facts_->AddConsent(row);
    return row;
  });
}

absl::StatusOr<store::ConsentRow> Engine::WithdrawConsent(std::string by, std::string consent_id,
                                                          std::string channel) {
  return Submit<store::ConsentRow>(JobKind::kWrites, [&]() -> absl::StatusOr<store::ConsentRow> {
    if (channel.empty()) return Invalid("channel: required");
    ASSIGN_OR_RETURN(std::optional<store::ConsentRow> row,
                     dir_.store().facts().GetConsent(consent_id));
    if (!row) return absl::NotFoundError(fmt::format("consent {} not found", consent_id));
    const absl::Time now = clock_.Now();
    RETURN_IF_ERROR(dir_.store().facts().WithdrawConsent(consent_id, now, channel));
    row->withdrawn_at = now;
    row->withdrawal_channel = channel;
    json entry = ChangeEntry("consent.withdraw", by);
    entry["subject"] = row->subject_id;
    entry["consent"] = row->id;
    entry["purpose"] = row->purpose;
    if (row->recipient) entry["recipient"] = *row->recipient;
    entry["channel"] = channel;
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
    facts_->WithdrawConsent(row->subject_id, row->id, now);
    return *std::move(row);
  });
}

absl::StatusOr<store::StopOrderRow> Engine::AddStopOrder(std::string by, StopOrderSpec spec) {
  return Submit<store::StopOrderRow>(
      JobKind::kWrites, [&]() -> absl::StatusOr<store::StopOrderRow> {
        const policy::Policy& policy = dir_.policy();
        if (spec.kind != "use" && spec.kind != "provision") {
          return Invalid("kind: expected \"use\" or \"provision\"");
        }
        if (spec.purpose && policy.FindPurpose(*spec.purpose) == nullptr) {
          return Invalid(
              fmt::format("purpose: \"{}\" is not a purpose of the policy", *spec.purpose));
        }
        if (spec.recipient && policy.FindRecipient(*spec.recipient) == nullptr) {
          return Invalid(
              fmt::format("recipient: \"{}\" is not a recipient of the policy", *spec.recipient));
        }
        if (spec.recipient && spec.kind != "provision") {
          return Invalid("recipient: only for stop-provision orders");
        }
        ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                         dir_.store().records().GetSubject(spec.subject));
        if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", spec.subject));
        store::StopOrderRow row;
        RETURN_IF_ERROR(PutStopOrder(by, spec, &row));
        facts_->AddStopOrder(row);
        return row;
      });
}

absl::StatusOr<std::string> Engine::AddSubject(std::string by,
                                               vault::SubjectIdentifiers identifiers,
                                               std::vector<vault::NewRecord> records,
                                               std::string language) {
  return Submit<std::string>(JobKind::kWrites, [&]() -> absl::StatusOr<std::string> {
    RETURN_IF_ERROR(ValidateLanguage(language));
    current_actor_ = by;
    return dir_.vault().AddSubject(identifiers, records, language);
  });
}

absl::Status Engine::SetSubjectLanguage(std::string by, std::string subject_id,
                                        std::string language) {
  return Submit<bool>(
             JobKind::kWrites,
             [&]() -> absl::StatusOr<bool> {
               if (language.empty()) return Invalid("language: required");
               RETURN_IF_ERROR(ValidateLanguage(language));
               RETURN_IF_ERROR(dir_.store().records().SetSubjectLanguage(subject_id, language));
               current_actor_ = by;
               RETURN_IF_ERROR(observer_->SubjectLanguageSet(subject_id));
               return true;
             })
      .status();
}

absl::StatusOr<std::string> Engine::SubjectLanguage(std::string subject_id) {
  return Submit<std::string>(JobKind::kRecords, [&]() -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                     dir_.store().records().GetSubject(subject_id));
    if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", subject_id));
    return subject->language;
  });
}

absl::StatusOr<std::string> Engine::AddRecord(std::string by, std::string subject_id,
                                              vault::NewRecord record) {
  return Submit<std::string>(JobKind::kWrites, [&] {
    current_actor_ = by;
    return dir_.vault().AddRecord(subject_id, record);
  });
}

absl::StatusOr<vault::ImportSummary> Engine::Import(std::string by, std::istream& in,
                                                    vault::ImportProgress progress) {
  return Submit<vault::ImportSummary>(JobKind::kWrites, [&] {
    current_actor_ = by;
    return dir_.vault().Import(in, progress);
  });
}

absl::StatusOr<const std::set<std::string>*> Engine::PurposesLostSince(int64_t version) {
  if (auto it = purposes_lost_since_.find(version); it != purposes_lost_since_.end()) {
    return &it->second;
  }
  // Each later version's step counts: a change declared related in one
  // version does not excuse an unrelated change in another.
  std::set<std::string> lost;
  std::optional<policy::Policy> before;
  for (int64_t v = version; v <= dir_.policy_version(); ++v) {
    ASSIGN_OR_RETURN(std::optional<store::PolicyVersionRow> row,
                     dir_.store().records().GetPolicyVersion(v));
    if (!row) continue;  // versions are never deleted; tolerate a gap
    ASSIGN_OR_RETURN(policy::Policy after,
                     policy::ParsePolicyText(row->source, fmt::format("policy version {}", v)));
    after.BuildIndex();
    if (before) lost.merge(policy::PurposesChangedWithoutRelation(*before, after));
    before = std::move(after);
  }
  return &purposes_lost_since_.emplace(version, std::move(lost)).first->second;
}

absl::StatusOr<vault::PolicyLoadResult> Engine::LoadPolicy(std::string by, std::string toml_text,
                                                           std::string source_name) {
  return Submit<vault::PolicyLoadResult>(
      JobKind::kWrites, [&]() -> absl::StatusOr<vault::PolicyLoadResult> {
        ASSIGN_OR_RETURN(vault::PolicyLoadResult result,
                         dir_.LoadPolicy(toml_text, source_name, by));
        if (result.unchanged) return result;
        purposes_lost_since_.clear();
        ASSIGN_OR_RETURN(std::optional<store::PolicyVersionRow> row,
                         dir_.store().records().GetPolicyVersion(result.version));
        json entry = ChangeEntry("policy.load", by);
        entry["policy_version"] = result.version;
        entry["source_sha256"] = row ? row->source_sha256 : "";
        entry["diff_sha256"] = ledger::Sha256Hex(ledger::CanonicalEntry(result.diff));
        RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
        return result;
      });
}

absl::StatusOr<std::vector<store::ConsentRow>> Engine::ListConsents(std::string subject_id) {
  return Submit<std::vector<store::ConsentRow>>(
      JobKind::kRecords, [&]() -> absl::StatusOr<std::vector<store::ConsentRow>> {
        if (subject_id.empty()) return Invalid("subject: required");
        ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                         dir_.store().records().GetSubject(subject_id));
        if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", subject_id));
        return dir_.store().facts().ListConsents(subject_id);
      });
}

absl::StatusOr<std::optional<store::ConsentRow>> Engine::GetConsent(std::string consent_id) {
  return Submit<std::optional<store::ConsentRow>>(
      JobKind::kRecords, [&] { return dir_.store().facts().GetConsent(consent_id); });
}

absl::StatusOr<std::optional<ledger::TreeHead>> Engine::LedgerHead() {
  return Submit<std::optional<ledger::TreeHead>>(
      JobKind::kRecords, [&]() -> absl::StatusOr<std::optional<ledger::TreeHead>> {
        ASSIGN_OR_RETURN(std::optional<store::TreeHeadRow> row,
                         dir_.store().ledger().LatestTreeHead());
        if (!row) return std::nullopt;
        ASSIGN_OR_RETURN(ledger::TreeHead head, ledger::TreeHeadFromRow(*row));
        return head;
      });
}

absl::StatusOr<ledger::EntryProof> Engine::ProveEntry(uint64_t index,
                                                      std::optional<uint64_t> size) {
  return Submit<ledger::EntryProof>(JobKind::kRecords, [&] {
    return ledger::ProveEntry(dir_.store().ledger(), ledger_->tree(), index, size);
  });
}

absl::StatusOr<ledger::VerifyReport> Engine::VerifyLedger() {
  return Submit<ledger::VerifyReport>(
      JobKind::kRecords, [&] { return ledger::VerifyLedger(dir_.store().ledger(), public_key_); });
}

absl::StatusOr<bool> Engine::HasPermission(std::string actor, std::string permission) {
  return Submit<bool>(JobKind::kRecords, [&]() -> absl::StatusOr<bool> {
    const policy::ActorFacts* facts = facts_->actor(actor);
    if (facts == nullptr) return false;
    for (const std::string& role_id : facts->roles) {
      const policy::Role* role = dir_.policy().FindRole(role_id);
      if (role != nullptr && std::find(role->permissions.begin(), role->permissions.end(),
                                       permission) != role->permissions.end()) {
        return true;
      }
    }
    return false;
  });
}

absl::StatusOr<std::optional<ledger::TreeHead>> Engine::SignHead() {
  return Submit<std::optional<ledger::TreeHead>>(JobKind::kRecords,
                                                 [&] { return ledger_->SignHead(); });
}

// --- API tokens ---

namespace {

// The SHA-256 of a token, raw bytes: the key of the token table and cache.
std::string TokenDigest(std::string_view token) { return ledger::Sha256Bytes(token); }

constexpr std::string_view kTokenPrefix = "mamori_";

}  // namespace

absl::Status Engine::LoadTokens() {
  ASSIGN_OR_RETURN(std::vector<store::TokenRow> rows, dir_.store().facts().ListTokens());
  std::unique_lock<std::shared_mutex> lock(tokens_mutex_);
  tokens_.clear();
  for (const store::TokenRow& row : rows) {
    tokens_[row.token_sha256] = {row.id, row.actor_id, row.expires_at, row.revoked_at.has_value()};
  }
  return absl::OkStatus();
}

absl::StatusOr<Engine::IssuedToken> Engine::CreateToken(std::string by, std::string actor_id,
                                                        std::optional<absl::Duration> expires_in) {
  return Submit<IssuedToken>(JobKind::kWrites, [&]() -> absl::StatusOr<IssuedToken> {
    if (expires_in && *expires_in <= absl::ZeroDuration()) {
      return Invalid("expires: must be a positive number of days");
    }
    if (facts_->actor(actor_id) == nullptr) {
      return absl::NotFoundError(fmt::format("actor {} not found", actor_id));
    }
    std::string secret(32, '\0');
    random_.Fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(secret.data()), secret.size()));
    IssuedToken issued;
    issued.token = fmt::format("{}{}", kTokenPrefix, absl::WebSafeBase64Escape(secret));
    const absl::Time now = clock_.Now();
    issued.row = {common::NewId(common::IdKind::kToken, random_, now),
                  TokenDigest(issued.token),
                  actor_id,
                  now,
                  by,
                  expires_in ? std::optional<absl::Time>(now + *expires_in) : std::nullopt,
                  std::nullopt};
    RETURN_IF_ERROR(dir_.store().facts().InsertToken(issued.row));
    json entry = ChangeEntry("token.create", by);
    entry["token"] = issued.row.id;
    entry["target_actor"] = actor_id;
    entry["expires_at"] =
        issued.row.expires_at ? json(common::FormatTimestamp(*issued.row.expires_at)) : json();
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
    std::unique_lock<std::shared_mutex> lock(tokens_mutex_);
    tokens_[issued.row.token_sha256] = {issued.row.id, actor_id, issued.row.expires_at, false};
    return issued;
  });
}

absl::StatusOr<store::TokenRow> Engine::RevokeToken(std::string by, std::string token_id) {
  return Submit<store::TokenRow>(JobKind::kWrites, [&]() -> absl::StatusOr<store::TokenRow> {
    ASSIGN_OR_RETURN(std::optional<store::TokenRow> row, dir_.store().facts().GetToken(token_id));
    if (!row) return absl::NotFoundError(fmt::format("token {} not found", token_id));
    const absl::Time now = clock_.Now();
    RETURN_IF_ERROR(dir_.store().facts().RevokeToken(token_id, now));
    row->revoked_at = now;
    json entry = ChangeEntry("token.revoke", by);
    entry["token"] = row->id;
    entry["target_actor"] = row->actor_id;
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
    std::unique_lock<std::shared_mutex> lock(tokens_mutex_);
    if (auto it = tokens_.find(row->token_sha256); it != tokens_.end()) it->second.revoked = true;
    return *std::move(row);
  });
}

absl::StatusOr<std::string> Engine::Authenticate(std::string_view token) const {
  if (token.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return absl::UnauthenticatedError("not a mamori token");
  }
  const std::string digest = TokenDigest(token);
  std::shared_lock<std::shared_mutex> lock(tokens_mutex_);
  auto it = tokens_.find(digest);
  if (it == tokens_.end()) return absl::UnauthenticatedError("unknown token");
  if (it->second.revoked) return absl::UnauthenticatedError("the token was revoked");
  if (it->second.expires_at && *it->second.expires_at <= clock_.Now()) {
    return absl::UnauthenticatedError("the token has expired");
  }
  return it->second.actor;
}

std::optional<std::string> Engine::TokenId(std::string_view token) const {
  const std::string digest = TokenDigest(token);
  std::shared_lock<std::shared_mutex> lock(tokens_mutex_);
  auto it = tokens_.find(digest);
  if (it == tokens_.end()) return std::nullopt;
  return it->second.id;
}

}  // namespace mamori::engine
