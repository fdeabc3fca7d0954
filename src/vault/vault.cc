#include "vault/vault.h"

#include <fmt/format.h>

#include "absl/time/civil_time.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "crypto/aead.h"
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

std::string Vault::KeyBucket(const std::vector<std::string>& purposes,
                             absl::Time collected_at) const {
  bool all_from_collection = !purposes.empty();
  for (const std::string& id : purposes) {
    const policy::Purpose* purpose = policy_.FindPurpose(id);
    const policy::RetentionRule* rule =
        purpose == nullptr ? nullptr : policy_.FindRetention(purpose->retention);
    if (rule == nullptr || rule->anchor != policy::RetentionAnchor::kCollection) {
      all_from_collection = false;
    }
  }
  if (!all_from_collection) return "open";
  absl::CivilMonth month = absl::ToCivilMonth(collected_at, operator_zone_);
  return fmt::format("{:04d}-{:02d}", month.year(), month.month());
}

absl::StatusOr<std::string> Vault::SealValue(const store::DataKeyId& key_id,
                                             std::string_view record_id,
                                             std::string_view value) {
  ASSIGN_OR_RETURN(const crypto::SecretKey* key, key_ring_.DataKey(key_id, /*create=*/true));
  ValueAad(aad_scratch_, key_id, record_id);
  std::string sealed;
  crypto::SealInto(*key, value, aad_scratch_, random_, sealed);
  return sealed;
}

absl::StatusOr<std::string> Vault::OpenValue(const store::DataKeyId& key_id,
                                             std::string_view record_id,
                                             std::string_view sealed) {
  ASSIGN_OR_RETURN(const crypto::SecretKey* key, key_ring_.DataKey(key_id, /*create=*/false));
  ValueAad(aad_scratch_, key_id, record_id);
  std::string value;
  RETURN_IF_ERROR(crypto::OpenInto(*key, sealed, aad_scratch_, value));
  return value;
}

absl::Status Vault::IndexIdentifiers(std::string_view subject_id,
                                     const SubjectIdentifiers& ids) {
  const std::pair<IdentifierKind, const std::optional<std::string>*> fields[] = {
      {IdentifierKind::kPhone, &ids.phone},       {IdentifierKind::kEmail, &ids.email},
      {IdentifierKind::kContract, &ids.contract}, {IdentifierKind::kName, &ids.name},
      {IdentifierKind::kBirthDate, &ids.birth_date}};
  for (const auto& [kind, value] : fields) {
    if (!value->has_value()) continue;
    ASSIGN_OR_RETURN(std::string normalized, NormalizeIdentifier(kind, **value));
    std::string_view domain = policy::IdentifierKindName(kind);
    RETURN_IF_ERROR(
        store_.records().InsertBlindIndex(domain, indexer_->Mac(domain, normalized), subject_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Vault::InsertRecord(std::string_view subject_id,
                                                const NewRecord& record,
                                                std::string_view field_prefix) {
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
  std::vector<std::string> purposes = policy_.CollectionPurposes(record.service, record.category);
  if (purposes.empty()) {
    // Collection needs a purpose announced in advance (APPI Art. 21).
    return error("category", fmt::format("service \"{}\" announces no purpose for \"{}\"",
                                         record.service, record.category));
  }
  if (record.value.empty()) return error("value", "empty");
  if (record.value.size() > kMaxValueBytes) {
    return error("value", fmt::format("larger than {} bytes", kMaxValueBytes));
  }
  absl::Time now = clock_.Now();
  absl::Time collected_at = record.collected_at.value_or(now);
  if (collected_at > now + kCollectionClockSkew) return error("collected_at", "in the future");

  std::string record_id = common::NewId(common::IdKind::kRecord, random_);
  store::DataKeyId key_id{std::string(subject_id), record.category,
                          KeyBucket(purposes, collected_at)};
  if (category->identifier != IdentifierKind::kNone) {
    absl::StatusOr<std::string> normalized =
        NormalizeIdentifier(category->identifier, record.value);
    if (!normalized.ok()) return WithPrefix(normalized.status(), fmt::format("{}value: ", field_prefix));
    std::string_view domain = policy::IdentifierKindName(category->identifier);
    RETURN_IF_ERROR(store_.records().InsertBlindIndex(domain, indexer_->Mac(domain, *normalized),
                                                      subject_id));
  }
  ASSIGN_OR_RETURN(std::string sealed, SealValue(key_id, record_id, record.value));
  store::RecordRow row{record_id,        std::string(subject_id), record.category,
                       record.service,   std::move(purposes),     policy_version_,
                       key_id.bucket,    collected_at,            std::move(sealed)};
  RETURN_IF_ERROR(store_.records().InsertRecord(row));
  return record_id;
}

absl::StatusOr<std::string> Vault::InsertSubject(const SubjectIdentifiers& identifiers,
                                                 const std::vector<NewRecord>& records) {
  if (identifiers.empty() && records.empty()) {
    return absl::InvalidArgumentError("a subject needs at least one identifier or record");
  }
  std::string subject_id = common::NewId(common::IdKind::kSubject, random_);
  RETURN_IF_ERROR(store_.records().InsertSubject({subject_id, clock_.Now(), policy_version_}));
  RETURN_IF_ERROR(IndexIdentifiers(subject_id, identifiers));
  for (size_t i = 0; i < records.size(); ++i) {
    ASSIGN_OR_RETURN(std::string record_id,
                     InsertRecord(subject_id, records[i], fmt::format("records[{}].", i)));
    (void)record_id;
  }
  return subject_id;
}

absl::StatusOr<std::string> Vault::AddSubject(const SubjectIdentifiers& identifiers,
                                              const std::vector<NewRecord>& records) {
  ASSIGN_OR_RETURN(auto batch, WriteBatch::Begin(*this));
  ASSIGN_OR_RETURN(std::string subject_id, InsertSubject(identifiers, records));
  RETURN_IF_ERROR(batch->Commit());
  return subject_id;
}

absl::StatusOr<std::string> Vault::AddRecord(std::string_view subject_id,
                                             const NewRecord& record) {
  ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                   store_.records().GetSubject(subject_id));
  if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", subject_id));
  ASSIGN_OR_RETURN(auto batch, WriteBatch::Begin(*this));
  ASSIGN_OR_RETURN(std::string record_id, InsertRecord(subject_id, record, ""));
  RETURN_IF_ERROR(batch->Commit());
  return record_id;
}

absl::StatusOr<std::vector<std::string>> Vault::FindSubjects(IdentifierKind kind,
                                                             std::string_view value) {
  ASSIGN_OR_RETURN(std::string normalized, NormalizeIdentifier(kind, value));
  std::string_view domain = policy::IdentifierKindName(kind);
  return store_.records().FindSubjectsByIndex(domain, indexer_->Mac(domain, normalized));
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

absl::StatusOr<ImportSummary> Vault::Import(std::istream& in, const ImportProgress& progress) {
  ASSIGN_OR_RETURN(auto batch, WriteBatch::Begin(*this));
  ImportSummary summary;
  int64_t bytes_read = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++summary.lines;
    bytes_read += static_cast<int64_t>(line.size()) + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank line
    auto fail = [&](const absl::Status& s) {
      return absl::Status(s.code(),
                          fmt::format("line {}: {}", summary.lines, common::FromAbsl(s.message())));
    };
    absl::StatusOr<ImportLine> parsed = ParseImportLine(line);
    if (!parsed.ok()) return fail(parsed.status());
    if (parsed->existing_subject) {
      const std::string& subject_id = *parsed->existing_subject;
      absl::StatusOr<std::optional<store::SubjectRow>> subject =
          store_.records().GetSubject(subject_id);
      if (!subject.ok()) return fail(subject.status());
      if (!subject->has_value()) {
        return fail(absl::NotFoundError(fmt::format("subject: {} not found", subject_id)));
      }
      if (absl::Status s = IndexIdentifiers(subject_id, parsed->identifiers); !s.ok()) {
        return fail(s);
      }
      for (size_t i = 0; i < parsed->records.size(); ++i) {
        absl::StatusOr<std::string> id =
            InsertRecord(subject_id, parsed->records[i], fmt::format("records[{}].", i));
        if (!id.ok()) return fail(id.status());
      }
    } else {
      absl::StatusOr<std::string> id = InsertSubject(parsed->identifiers, parsed->records);
      if (!id.ok()) return fail(id.status());
      ++summary.subjects;
    }
    summary.records += static_cast<int64_t>(parsed->records.size());
    if (progress && summary.lines % 1000 == 0) progress(bytes_read, summary.lines);
  }
  if (in.bad()) return absl::InternalError("reading the import file failed");
  RETURN_IF_ERROR(batch->Commit());
  if (progress) progress(bytes_read, summary.lines);
  return summary;
}

}  // namespace mamori::vault
