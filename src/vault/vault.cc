#include "vault/vault.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <thread>

#include "absl/time/civil_time.h"
#include "common/bounded_queue.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "crypto/aead.h"
#include "retention/retention.h"
#include "vault/import_line.h"
#include "vault/normalizer.h"

namespace mamori::vault {
namespace {

using policy::IdentifierKind;

// Associated data of a sealed value: where it belongs.
void ValueAad(std::string& out, const store::DataKeyId& key_id, std::string_view record_id) {
  out.clear();
  out.append("mamori:value:v1|").append(key_id.subject_id).push_back('|');
  out.append(record_id).push_back('|');
  out.append(key_id.category);
}

// Associated data of a de-identified remainder: its id, in a domain of its own.
std::string DeidentifiedAad(std::string_view id) {
  return std::string("mamori:deidentified:v1|").append(id);
}

// How far in the future a collection time may be (clock skew between
// systems), before it is refused as a mistake.
constexpr absl::Duration kCollectionClockSkew = absl::Minutes(5);

absl::Status WithPrefix(const absl::Status& s, std::string_view prefix) {
  if (s.ok() || prefix.empty()) return s;
  return absl::Status(s.code(), fmt::format("{}{}", prefix, common::FromAbsl(s.message())));
}

}  // namespace

// Both halves of the store in one unit of work. Commit() commits the keys
// first, then the records: a crash between the two leaves unused keys, never
// records without keys (DESIGN.md, "Writes and the ledger"). Abandoning the
// batch rolls both back and forgets cached keys that were never stored.
class Vault::WriteBatch {
 public:
  static absl::StatusOr<std::unique_ptr<WriteBatch>> Begin(Vault& vault) {
    ASSIGN_OR_RETURN(auto keys_tx, vault.store_.keys().BeginTransaction());
    ASSIGN_OR_RETURN(auto records_tx, vault.store_.records().BeginTransaction());
    return std::unique_ptr<WriteBatch>(
        new WriteBatch(vault, std::move(keys_tx), std::move(records_tx)));
  }
  ~WriteBatch() {
    if (!committed_) vault_.key_ring_.EvictAll();
  }
  absl::Status Commit() {
    RETURN_IF_ERROR(keys_tx_->Commit());
    committed_ = true;
    return records_tx_->Commit();
  }

 private:
  WriteBatch(Vault& vault, std::unique_ptr<store::Transaction> keys_tx,
             std::unique_ptr<store::Transaction> records_tx)
      : vault_(vault), keys_tx_(std::move(keys_tx)), records_tx_(std::move(records_tx)) {}
  Vault& vault_;
  std::unique_ptr<store::Transaction> keys_tx_;
  std::unique_ptr<store::Transaction> records_tx_;
  bool committed_ = false;
};

Vault::Vault(store::Store& store, const crypto::SecretKey& master, const policy::Policy& policy,
             int64_t policy_version, common::Clock& clock, common::RandomSource& random)
    : store_(store),
      policy_(policy),
      policy_version_(policy_version),
      clock_(clock),
      random_(random),
      key_ring_(store.keys(), master, random),
      operator_zone_(absl::UTCTimeZone()) {
  absl::TimeZone zone;
  if (absl::LoadTimeZone(common::ToAbsl(policy.operator_info.time_zone), &zone)) {
    operator_zone_ = zone;
  }
  for (const policy::Service& service : policy.services) {
    for (const policy::Category& category : policy.categories) {
      CollectionRule rule;
      rule.purposes = policy.CollectionPurposes(service.id, category.id);
      if (rule.purposes.empty()) continue;
      rule.from_collection = retention::AllRetainedFromCollection(policy, rule.purposes);
      collection_rules_.emplace(fmt::format("{}\x1f{}", service.id, category.id), std::move(rule));
    }
  }
}

absl::StatusOr<std::unique_ptr<Vault>> Vault::Open(store::Store& store,
                                                   const crypto::SecretKey& master,
                                                   const policy::Policy& policy,
                                                   int64_t policy_version, common::Clock& clock,
                                                   common::RandomSource& random) {
  std::unique_ptr<Vault> vault(new Vault(store, master, policy, policy_version, clock, random));
  absl::StatusOr<crypto::SecretKey> index_key =
      vault->key_ring_.OperatorKey(kBlindIndexKeyName, /*create=*/false);
  if (index_key.status().code() == absl::StatusCode::kDataLoss) {
    return absl::DataLossError("the master key does not match this data directory");
  }
  if (!index_key.ok()) return index_key.status();
  vault->indexer_ = std::make_unique<crypto::BlindIndexer>(*index_key);
  return vault;
}

std::string Vault::BucketFor(bool from_collection, absl::Time collected_at) const {
  if (!from_collection) return std::string(store::kOpenBucket);
  absl::CivilMonth month = absl::ToCivilMonth(collected_at, operator_zone_);
  return fmt::format("{:04d}-{:02d}", month.year(), month.month());
}

std::string Vault::KeyBucket(const std::vector<std::string>& purposes,
                             absl::Time collected_at) const {
  return BucketFor(retention::AllRetainedFromCollection(policy_, purposes), collected_at);
}

absl::Status Vault::SealValueInto(const store::DataKeyId& key_id, std::string_view record_id,
                                  std::string_view value, std::string& sealed) {
  ASSIGN_OR_RETURN(const crypto::SecretKey* key, key_ring_.DataKey(key_id, /*create=*/true));
  ValueAad(aad_scratch_, key_id, record_id);
  crypto::SealInto(*key, value, aad_scratch_, random_, sealed);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Vault::SealValue(const store::DataKeyId& key_id,
                                             std::string_view record_id, std::string_view value) {
  std::string sealed;
  RETURN_IF_ERROR(SealValueInto(key_id, record_id, value, sealed));
  return sealed;
}

absl::Status Vault::OpenValueInto(const store::DataKeyId& key_id, std::string_view record_id,
                                  std::string_view sealed, std::string& value) {
  ASSIGN_OR_RETURN(const crypto::SecretKey* key, key_ring_.DataKey(key_id, /*create=*/false));
  ValueAad(aad_scratch_, key_id, record_id);
  return crypto::OpenInto(*key, sealed, aad_scratch_, value);
}

absl::StatusOr<std::string> Vault::SealDeidentified(std::string_view id,
                                                    std::string_view remainder) {
  if (!deidentification_key_) {
    ASSIGN_OR_RETURN(deidentification_key_,
                     key_ring_.OperatorKey(kDeidentificationKeyName, /*create=*/false));
  }
  return crypto::Seal(*deidentification_key_, remainder, DeidentifiedAad(id), random_);
}

absl::StatusOr<std::string> Vault::OpenDeidentified(std::string_view id, std::string_view sealed) {
  if (!deidentification_key_) {
    ASSIGN_OR_RETURN(deidentification_key_,
                     key_ring_.OperatorKey(kDeidentificationKeyName, /*create=*/false));
  }
  return crypto::Open(*deidentification_key_, sealed, DeidentifiedAad(id));
}

absl::Status Vault::OpenValueWithKey(const crypto::SecretKey& key, const store::DataKeyId& key_id,
                                     std::string_view record_id, std::string_view sealed,
                                     std::string& value) {
  thread_local std::string aad;
  ValueAad(aad, key_id, record_id);
  return crypto::OpenInto(key, sealed, aad, value);
}

absl::StatusOr<std::string> Vault::OpenValue(const store::DataKeyId& key_id,
                                             std::string_view record_id, std::string_view sealed) {
  std::string value;
  RETURN_IF_ERROR(OpenValueInto(key_id, record_id, sealed, value));
  return value;
}

absl::StatusOr<std::vector<Vault::IndexEntry>> Vault::PrepareIdentifiers(
    const SubjectIdentifiers& ids) const {
  const std::pair<IdentifierKind, const std::optional<std::string>*> fields[] = {
      {IdentifierKind::kPhone, &ids.phone},
      {IdentifierKind::kEmail, &ids.email},
      {IdentifierKind::kContract, &ids.contract},
      {IdentifierKind::kName, &ids.name},
      {IdentifierKind::kBirthDate, &ids.birth_date}};
  std::vector<IndexEntry> entries;
  for (const auto& [kind, value] : fields) {
    if (!value->has_value()) continue;
    ASSIGN_OR_RETURN(std::string normalized, NormalizeIdentifier(kind, **value));
    std::string_view domain = policy::IdentifierKindName(kind);
    entries.push_back({domain, indexer_->Mac(domain, normalized)});
  }
  return entries;
}

absl::StatusOr<Vault::PreparedRecord> Vault::PrepareRecord(NewRecord record,
                                                           std::string_view field_prefix,
                                                           absl::Time now) const {
  auto error = [&](std::string_view field, std::string message) {
    return absl::InvalidArgumentError(fmt::format("{}{}: {}", field_prefix, field, message));
  };
  const policy::Category* category = policy_.FindCategory(record.category);
  if (category == nullptr) {
    return error("category", fmt::format("unknown category \"{}\"", record.category));
  }
  if (policy_.FindService(record.service) == nullptr) {
    return error("service", fmt::format("unknown service \"{}\"", record.service));
  }
  auto rule = collection_rules_.find(fmt::format("{}\x1f{}", record.service, record.category));
  if (rule == collection_rules_.end()) {
    // Collection needs a purpose announced in advance (APPI Art. 21).
    return error("category", fmt::format("service \"{}\" announces no purpose for \"{}\"",
                                         record.service, record.category));
  }
  if (record.value.empty()) return error("value", "empty");
  if (record.value.size() > kMaxValueBytes) {
    return error("value", fmt::format("larger than {} bytes", kMaxValueBytes));
  }
  PreparedRecord prepared;
  prepared.collected_at = record.collected_at.value_or(now);
  if (prepared.collected_at > now + kCollectionClockSkew) {
    return error("collected_at", "in the future");
  }
  if (category->identifier != IdentifierKind::kNone) {
    absl::StatusOr<std::string> normalized =
        NormalizeIdentifier(category->identifier, record.value);
    if (!normalized.ok()) {
      return WithPrefix(normalized.status(), fmt::format("{}value: ", field_prefix));
    }
    std::string_view domain = policy::IdentifierKindName(category->identifier);
    prepared.index = IndexEntry{domain, indexer_->Mac(domain, *normalized)};
  }
  prepared.rule = &rule->second;
  prepared.bucket = BucketFor(rule->second.from_collection, prepared.collected_at);
  prepared.record = std::move(record);
  return prepared;
}

absl::StatusOr<std::vector<Vault::PreparedRecord>> Vault::PrepareRecords(
    std::vector<NewRecord> records, absl::Time now) const {
  std::vector<PreparedRecord> prepared;
  prepared.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    ASSIGN_OR_RETURN(PreparedRecord r,
                     PrepareRecord(std::move(records[i]), fmt::format("records[{}].", i), now));
    prepared.push_back(std::move(r));
  }
  return prepared;
}

absl::Status Vault::WriteIndexes(std::string_view subject_id,
                                 const std::vector<IndexEntry>& entries) {
  for (const IndexEntry& entry : entries) {
    RETURN_IF_ERROR(store_.records().InsertBlindIndex(entry.kind, entry.mac, subject_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Vault::WriteRecord(std::string_view subject_id,
                                               PreparedRecord& prepared,
                                               std::vector<store::RecordRow>* pending) {
  std::string record_id = common::NewId(common::IdKind::kRecord, random_);
  store::DataKeyId key_id{std::string(subject_id), prepared.record.category,
                          std::move(prepared.bucket)};
  if (prepared.index) {
    RETURN_IF_ERROR(
        store_.records().InsertBlindIndex(prepared.index->kind, prepared.index->mac, subject_id));
  }
  ASSIGN_OR_RETURN(std::string sealed, SealValue(key_id, record_id, prepared.record.value));
  store::RecordRow row{record_id,
                       std::move(key_id.subject_id),
                       std::move(key_id.category),
                       std::move(prepared.record.service),
                       prepared.rule->purposes,
                       policy_version_,
                       std::move(key_id.bucket),
                       prepared.collected_at,
                       std::move(sealed)};
  if (pending != nullptr) {
    pending->push_back(std::move(row));
  } else {
    RETURN_IF_ERROR(store_.records().InsertRecord(row));
  }
  return record_id;
}

absl::StatusOr<Vault::SealedSubject> Vault::SealNewSubject(std::vector<IndexEntry> indexes,
                                                           std::vector<PreparedRecord> records,
                                                           std::string language) const {
  if (indexes.empty() && records.empty()) {
    return absl::InvalidArgumentError("a subject needs at least one identifier or record");
  }
  SealedSubject sealed;
  sealed.subject = {common::NewId(common::IdKind::kSubject, random_), clock_.Now(), policy_version_,
                    std::move(language)};
  const std::string& subject_id = sealed.subject.id;
  KeyRing::NewKey subject_key = key_ring_.NewSubjectKey(subject_id);
  sealed.wrapped_subject_key = std::move(subject_key.wrapped);
  // A new subject's records often repeat its identifiers (the phone given to
  // find it and the phone record): each index entry is written once.
  sealed.indexes = std::move(indexes);
  auto add_index = [&](IndexEntry entry) {
    for (const IndexEntry& e : sealed.indexes) {
      if (e.kind == entry.kind && e.mac == entry.mac) return;
    }
    sealed.indexes.push_back(std::move(entry));
  };
  // Data keys made so far, by (category, bucket); a subject has few.
  std::vector<std::pair<store::DataKeyId, crypto::SecretKey>> data_keys;
  std::string aad;
  sealed.rows.reserve(records.size());
  for (PreparedRecord& prepared : records) {
    if (prepared.index) add_index(std::move(*prepared.index));
    store::DataKeyId key_id{subject_id, prepared.record.category, std::move(prepared.bucket)};
    const crypto::SecretKey* key = nullptr;
    for (const auto& [id, data_key] : data_keys) {
      if (id.category == key_id.category && id.bucket == key_id.bucket) key = &data_key;
    }
    if (key == nullptr) {
      KeyRing::NewKey created = key_ring_.NewDataKey(subject_key.key, key_id);
      sealed.wrapped_data_keys.emplace_back(key_id, std::move(created.wrapped));
      data_keys.emplace_back(key_id, created.key);
      key = &data_keys.back().second;
    }
    store::RecordRow row;
    row.id = common::NewId(common::IdKind::kRecord, random_);
    ValueAad(aad, key_id, row.id);
    crypto::SealInto(*key, prepared.record.value, aad, random_, row.sealed_value);
    row.subject_id = subject_id;
    row.category = std::move(key_id.category);
    row.service = std::move(prepared.record.service);
    row.purposes = prepared.rule->purposes;
    row.policy_version = policy_version_;
    row.key_bucket = std::move(key_id.bucket);
    row.collected_at = prepared.collected_at;
    sealed.rows.push_back(std::move(row));
  }
  return sealed;
}

absl::Status Vault::WriteSealedSubject(SealedSubject& sealed,
                                       std::vector<store::RecordRow>& pending) {
  // Keys first (DESIGN.md, "Writes and the ledger"); both halves commit
  // together in the WriteBatch.
  const std::string& subject_id = sealed.subject.id;
  RETURN_IF_ERROR(store_.keys().PutSubjectKey(subject_id, sealed.wrapped_subject_key));
  for (const auto& [id, wrapped] : sealed.wrapped_data_keys) {
    RETURN_IF_ERROR(store_.keys().PutDataKey(id, wrapped));
  }
  RETURN_IF_ERROR(store_.records().InsertSubject(sealed.subject));
  RETURN_IF_ERROR(WriteIndexes(subject_id, sealed.indexes));
  if (observer_ != nullptr) RETURN_IF_ERROR(observer_->SubjectAdded(sealed.subject, sealed.rows));
  for (store::RecordRow& row : sealed.rows) pending.push_back(std::move(row));
  return absl::OkStatus();
}

absl::StatusOr<std::string> Vault::AddSubject(const SubjectIdentifiers& identifiers,
                                              const std::vector<NewRecord>& records,
                                              std::string_view language) {
  ASSIGN_OR_RETURN(std::vector<IndexEntry> indexes, PrepareIdentifiers(identifiers));
  ASSIGN_OR_RETURN(std::vector<PreparedRecord> prepared, PrepareRecords(records, clock_.Now()));
  ASSIGN_OR_RETURN(SealedSubject sealed,
                   SealNewSubject(std::move(indexes), std::move(prepared), std::string(language)));
  ASSIGN_OR_RETURN(auto batch, WriteBatch::Begin(*this));
  std::vector<store::RecordRow> rows;
  RETURN_IF_ERROR(WriteSealedSubject(sealed, rows));
  RETURN_IF_ERROR(store_.records().InsertRecords(rows));
  RETURN_IF_ERROR(batch->Commit());
  return sealed.subject.id;
}

absl::StatusOr<std::string> Vault::AddRecord(std::string_view subject_id, const NewRecord& record) {
  ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                   store_.records().GetSubject(subject_id));
  if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", subject_id));
  ASSIGN_OR_RETURN(PreparedRecord prepared, PrepareRecord(record, "", clock_.Now()));
  ASSIGN_OR_RETURN(auto batch, WriteBatch::Begin(*this));
  std::vector<store::RecordRow> rows;
  ASSIGN_OR_RETURN(std::string record_id, WriteRecord(subject_id, prepared, &rows));
  RETURN_IF_ERROR(store_.records().InsertRecords(rows));
  if (observer_ != nullptr) RETURN_IF_ERROR(observer_->RecordsAdded(subject_id, rows));
  RETURN_IF_ERROR(batch->Commit());
  return record_id;
}

absl::StatusOr<std::vector<std::string>> Vault::FindSubjects(IdentifierKind kind,
                                                             std::string_view value) {
  ASSIGN_OR_RETURN(std::string normalized, NormalizeIdentifier(kind, value));
  std::string_view domain = policy::IdentifierKindName(kind);
  return store_.records().FindSubjectsByIndex(domain, indexer_->Mac(domain, normalized));
}

absl::StatusOr<int64_t> Vault::UnindexValue(std::string_view subject_id, IdentifierKind kind,
                                            std::string_view value) {
  ASSIGN_OR_RETURN(std::string normalized, NormalizeIdentifier(kind, value));
  std::string_view domain = policy::IdentifierKindName(kind);
  return store_.records().DeleteBlindIndex(domain, indexer_->Mac(domain, normalized), subject_id);
}

absl::StatusOr<std::vector<RecordInfo>> Vault::ListRecords(std::string_view subject_id) {
  ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                   store_.records().GetSubject(subject_id));
  if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", subject_id));
  ASSIGN_OR_RETURN(std::vector<store::RecordRow> rows, store_.records().ListRecords(subject_id));
  std::vector<RecordInfo> out;
  out.reserve(rows.size());
  for (store::RecordRow& row : rows) {
    out.push_back({std::move(row.id), std::move(row.subject_id), std::move(row.category),
                   std::move(row.service), std::move(row.purposes), row.policy_version,
                   row.collected_at});
  }
  return out;
}

absl::StatusOr<std::string> Vault::ReadValue(std::string_view record_id) {
  ASSIGN_OR_RETURN(std::optional<store::RecordRow> row, store_.records().GetRecord(record_id));
  if (!row) return absl::NotFoundError(fmt::format("record {} not found", record_id));
  return OpenValue({row->subject_id, row->category, row->key_bucket}, row->id, row->sealed_value);
}

// One import line, parsed and prepared by the reader thread.
struct Vault::PreparedLine {
  int64_t line_number = 0;
  // Either an existing subject with what to add to it...
  std::optional<std::string> existing_subject;
  std::vector<IndexEntry> indexes;
  std::vector<PreparedRecord> records;
  // ...or a new subject, sealed by the reader.
  std::optional<SealedSubject> sealed;
  int64_t record_count = 0;
  std::optional<std::string> language;  // a new language for the existing subject
};

namespace {

// Lines handed from stage to stage at a time (at most so many lines or so
// many bytes: small chunks let the writer start early), and how many chunks
// may be in flight: enough to keep every thread busy, little memory.
constexpr size_t kImportChunkLines = 256;
constexpr int64_t kImportChunkBytes = 64 * 1024;
constexpr size_t kImportChunksInFlight = 8;

// Threads preparing lines: the writer needs about half a core, the rest go
// to preparing; at least one, at most four.
size_t ImportWorkerCount() {
  unsigned cores = std::thread::hardware_concurrency();
  return std::clamp<size_t>(cores == 0 ? 1 : cores, 1, 4);
}

}  // namespace

absl::StatusOr<ImportSummary> Vault::Import(std::istream& in, const ImportProgress& progress) {
  // A pipeline, in order:
  //   reader  — one thread splits the input into chunks of raw lines;
  //   workers — parse, validate, normalize, blind-index and, for new
  //             subjects, generate keys and encrypt (no store access);
  //   writer  — this thread stores the chunks in input order, in one batch.
  // The first failure anywhere stops everything and the batch rolls back.
  struct RawLine {
    int64_t number = 0;
    std::string text;
  };
  struct RawChunk {
    std::vector<RawLine> lines;
    absl::Status read_error;  // the input could not be read past this chunk
    int64_t lines_read = 0;   // through the end of this chunk
    int64_t bytes_read = 0;
  };
  struct Chunk {
    std::vector<PreparedLine> lines;
    absl::Status error;  // a line failed; lines before it are in `lines`
    int64_t lines_read = 0;
    int64_t bytes_read = 0;
  };
  using Work = std::pair<RawChunk, std::promise<Chunk>>;
  common::BoundedQueue<std::future<Chunk>> in_order(kImportChunksInFlight);
  common::BoundedQueue<Work> work(kImportChunksInFlight);
  const absl::Time now = clock_.Now();

  std::thread reader([&] {
    int64_t line_number = 0, bytes_read = 0;
    bool more = true;
    while (more) {
      RawChunk raw;
      std::string text;
      const int64_t chunk_start = bytes_read;
      while (raw.lines.size() < kImportChunkLines && bytes_read - chunk_start < kImportChunkBytes &&
             (more = !!std::getline(in, text))) {
        ++line_number;
        bytes_read += static_cast<int64_t>(text.size()) + 1;
        if (text.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank line
        raw.lines.push_back({line_number, std::move(text)});
      }
      if (!more && in.bad()) raw.read_error = absl::InternalError("reading the import failed");
      raw.lines_read = line_number;
      raw.bytes_read = bytes_read;
      std::promise<Chunk> promise;
      if (!in_order.Push(promise.get_future())) return;  // the writer stopped
      if (!work.Push({std::move(raw), std::move(promise)})) return;
    }
    work.Close();
    in_order.Close();
  });

  auto prepare = [&](RawChunk& raw) {
    Chunk chunk;
    chunk.lines_read = raw.lines_read;
    chunk.bytes_read = raw.bytes_read;
    for (RawLine& line : raw.lines) {
      absl::StatusOr<ImportLine> parsed = ParseImportLine(line.text);
      absl::StatusOr<std::vector<IndexEntry>> indexes =
          parsed.ok() ? PrepareIdentifiers(parsed->identifiers) : parsed.status();
      absl::StatusOr<std::vector<PreparedRecord>> records =
          indexes.ok() ? PrepareRecords(std::move(parsed->records), now) : indexes.status();
      PreparedLine prepared{line.number, {}, {}, {}, std::nullopt, 0, {}};
      absl::Status status = records.status();
      if (status.ok()) {
        prepared.record_count = static_cast<int64_t>(records->size());
        prepared.existing_subject = std::move(parsed->existing_subject);
        if (prepared.existing_subject) {
          prepared.indexes = std::move(*indexes);
          prepared.records = std::move(*records);
          prepared.language = std::move(parsed->language);
        } else {
          absl::StatusOr<SealedSubject> sealed = SealNewSubject(
              std::move(*indexes), std::move(*records), parsed->language.value_or(""));
          status = sealed.status();
          if (sealed.ok()) prepared.sealed = std::move(*sealed);
        }
      }
      if (!status.ok()) {
        chunk.error = absl::Status(status.code(), fmt::format("line {}: {}", line.number,
                                                              common::FromAbsl(status.message())));
        return chunk;
      }
      chunk.lines.push_back(std::move(prepared));
    }
    chunk.error = raw.read_error;
    return chunk;
  };
  std::vector<std::thread> workers;
  for (size_t i = 0; i < ImportWorkerCount(); ++i) {
    workers.emplace_back([&] {
      while (std::optional<Work> item = work.Pop()) item->second.set_value(prepare(item->first));
    });
  }

  auto result = [&]() -> absl::StatusOr<ImportSummary> {
    ASSIGN_OR_RETURN(auto batch, WriteBatch::Begin(*this));
    ImportSummary summary;
    // Rows wait here and go to the store in bulk; the subjects they belong
    // to are inserted first, so the foreign keys hold.
    std::vector<store::RecordRow> pending;
    while (std::optional<std::future<Chunk>> next = in_order.Pop()) {
      Chunk chunk = next->get();
      for (PreparedLine& line : chunk.lines) {
        auto fail = [&](const absl::Status& s) {
          return absl::Status(s.code(), fmt::format("line {}: {}", line.line_number,
                                                    common::FromAbsl(s.message())));
        };
        if (line.existing_subject) {
          const std::string& subject_id = *line.existing_subject;
          absl::StatusOr<std::optional<store::SubjectRow>> subject =
              store_.records().GetSubject(subject_id);
          if (!subject.ok()) return fail(subject.status());
          if (!subject->has_value()) {
            return fail(absl::NotFoundError(fmt::format("subject: {} not found", subject_id)));
          }
          if (absl::Status s = WriteIndexes(subject_id, line.indexes); !s.ok()) return fail(s);
          if (line.language) {
            absl::Status s = store_.records().SetSubjectLanguage(subject_id, *line.language);
            if (s.ok() && observer_ != nullptr) s = observer_->SubjectLanguageSet(subject_id);
            if (!s.ok()) return fail(s);
          }
          const size_t first = pending.size();
          for (PreparedRecord& record : line.records) {
            absl::StatusOr<std::string> id = WriteRecord(subject_id, record, &pending);
            if (!id.ok()) return fail(id.status());
          }
          if (observer_ != nullptr && pending.size() > first) {
            std::span<const store::RecordRow> added(pending.data() + first, pending.size() - first);
            if (absl::Status s = observer_->RecordsAdded(subject_id, added); !s.ok()) {
              return fail(s);
            }
          }
        } else {
          if (absl::Status s = WriteSealedSubject(*line.sealed, pending); !s.ok()) return fail(s);
          ++summary.subjects;
        }
        summary.records += line.record_count;
      }
      RETURN_IF_ERROR(store_.records().InsertRecords(pending));
      pending.clear();
      summary.lines = chunk.lines_read;
      if (!chunk.error.ok()) return chunk.error;
      if (progress) progress(chunk.bytes_read, chunk.lines_read);
    }
    RETURN_IF_ERROR(batch->Commit());
    return summary;
  }();
  // Stops the reader and the workers if the writer finished early.
  in_order.Close();
  work.Close();
  reader.join();
  for (std::thread& worker : workers) worker.join();
  return result;
}

}  // namespace mamori::vault
