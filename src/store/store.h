// Store: the one storage interface of mamori (DESIGN.md, "One storage
// interface, two engines").
//
// A Store has two halves kept in separate files (or schemas), because keys
// must be destroyable apart from the records they protect:
//   - RecordStore: subjects, encrypted records, blind indexes, policy
//     versions; with FactStore (actors, training, consents, stop orders) and
//     LedgerStore (entries, Merkle nodes, signed tree heads) in the same
//     file, so a change and its ledger entry commit together;
//   - KeyStore: wrapped keys only (subject keys, data keys, operator keys).
// Neither half ever sees a plaintext value or an unwrapped key.
//
// SQLite is the embedded engine (sqlite_store.h). A PostgreSQL engine will
// implement the same interface and pass the same conformance suite
// (store_conformance_test.cc), so SQL stays portable.
//
//   ASSIGN_OR_RETURN(auto store, OpenSqliteStore(dir, {.create = true}));
//   ASSIGN_OR_RETURN(auto tx, store->records().BeginTransaction());
//   RETURN_IF_ERROR(store->records().InsertSubject(row));
//   RETURN_IF_ERROR(tx->Commit());
//
// Thread-safety: a Store and its halves are used by one thread at a time
// (the single writer); callers serialize access.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mamori::store {

struct SubjectRow {
  std::string id;
  absl::Time created_at;
  int64_t policy_version = 0;
  // The language the person chose for what the operator sends them ("ja",
  // "en"); empty when they never said. Not personal data of itself, but
  // cleared when the person is erased.
  std::string language = {};
};

// One personal-data value, encrypted, with where and why it was collected.
struct RecordRow {
  std::string id;
  std::string subject_id;
  std::string category;
  std::string service;
  std::vector<std::string> purposes;  // purposes announced at collection
  int64_t policy_version = 0;         // the policy version collected under
  std::string key_bucket;             // which data key encrypts it
  absl::Time collected_at;
  std::string sealed_value;  // XChaCha20-Poly1305 nonce || ciphertext || tag
};

struct PolicyVersionRow {
  int64_t version = 0;
  absl::Time loaded_at;
  std::string source_sha256;  // hex digest of the TOML source
  std::string source;         // the TOML text as loaded
  std::string loaded_by;      // actor id, e.g. "admin:root"
};

// A data key covers one subject, one category and one retention bucket.
struct DataKeyId {
  std::string subject_id;
  std::string category;
  std::string bucket;
};

// The bucket of data keys whose records are kept by a rule not counted
// from collection; any other bucket is a collection month, "YYYY-MM".
inline constexpr std::string_view kOpenBucket = "open";

// Records of a collection month are stored per (category, month): a
// segment. When every record of a segment is due, the whole month goes
// with one drop instead of a deletion per record (docs/storage.md,
// "Segments"). Records of the open bucket, and those written before
// segments existed, are in segment 0, the main records table.
struct RecordSegmentRow {
  struct Terms {
    std::string service;
    std::vector<std::string> purposes;
  };
  int64_t id = 0;
  std::string category;
  std::string bucket;
  absl::Time first_collected_at;  // the span of its records' collection times
  absl::Time last_collected_at;
  // The distinct (service, purposes) of its records: what their fates
  // depend on besides the subject's facts.
  std::vector<Terms> terms;
  // Its rows are gone; some of its data keys may not be destroyed yet.
  bool dropped = false;
};

// A position (RecordTermsRow::position) holds its segment in the high bits.
inline constexpr int kSegmentPositionShift = 40;
inline int64_t SegmentOfPosition(int64_t position) { return position >> kSegmentPositionShift; }
inline int64_t FirstPositionOf(int64_t segment) { return segment << kSegmentPositionShift; }

// How many of a dropped segment's records one subject had.
struct SubjectRecordCount {
  std::string subject_id;
  int64_t records = 0;
};

// A unit of work on one half of the store. Destroying it without Commit()
// rolls back. A transaction begun while another is open on the same half
// nests inside it: committing it keeps its changes for the outer one to
// commit, rolling it back undoes only its own. Commit inner ones first.
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual absl::Status Commit() = 0;
};

// --- Facts the decision engine reads (policy/decision.h) ---

// An employee or system client and its roles (policy role ids).
struct ActorRow {
  std::string id;  // e.g. "emp:tanaka", "sys:billing"
  std::vector<std::string> roles;
  absl::Time created_at;
  std::string created_by;  // actor id
};

// One completed course. Validity comes from the policy's course definition.
struct TrainingRow {
  std::string actor_id;
  std::string course;
  absl::Time completed_at;
  absl::Time recorded_at;
  std::string recorded_by;
};

// A data subject's consent, with the evidence needed to prove it (ISO/IEC TS
// 27560 consent record). `evidence` may quote the person and so never goes
// to the ledger; the ledger holds its SHA-256.
struct ConsentRow {
  std::string id;  // con_...
  std::string subject_id;
  std::string purpose;
  std::optional<std::string> recipient;  // consent to provision to this third party
  absl::Time given_at;
  std::string channel;  // how it was given: "web", "call_center", "paper", "cli", ...
  std::string evidence;
  bool explicit_for_location = false;
  bool cross_border_informed = false;
  int64_t policy_version = 0;  // the notice the person saw
  std::string recorded_by;
  std::optional<absl::Time> withdrawn_at;
  std::string withdrawal_channel;  // "" while in force
};

// A cessation order (APPI Art. 35): stop using, or stop providing to third
// parties, a subject's data; for one purpose / recipient or for all.
struct StopOrderRow {
  std::string id;  // stp_...
  std::string subject_id;
  std::string kind;                      // "use" or "provision"
  std::optional<std::string> purpose;    // nullopt = every purpose
  std::optional<std::string> recipient;  // provision orders: nullopt = every recipient
  absl::Time created_at;
  std::string request_id;  // the customer request that ordered it; "" when none
  std::optional<absl::Time> lifted_at;
};

// An API bearer token of an actor. Only the SHA-256 of the token is kept.
struct TokenRow {
  std::string id;            // tok_...: names the token without revealing it
  std::string token_sha256;  // 32 bytes
  std::string actor_id;
  absl::Time created_at;
  std::string created_by;
  std::optional<absl::Time> expires_at;
  std::optional<absl::Time> revoked_at;
};

// --- Retention (retention/retention.h; docs/retention.md) ---

// A legal hold: keeps a subject's records (of one category, or all) past
// their retention deadline until `until` or until released.
struct LegalHoldRow {
  std::string id;  // hld_...
  std::string subject_id;
  std::optional<std::string> category;  // nullopt = every category
  std::string basis;                    // the law or proceeding that requires keeping
  absl::Time until;
  absl::Time created_at;
  std::string created_by;
  std::optional<absl::Time> released_at;
};

// The end of a subject's contract for one service ("" = every service):
// the anchor of retention rules counted from the contract's end.
struct ContractEndRow {
  std::string subject_id;
  std::string service;
  absl::Time ended_at;
  absl::Time recorded_at;
  std::string recorded_by;
};

// The last allowed use of a subject's data for a purpose: the anchor of
// rules counted from the last use.
struct LastUseRow {
  std::string subject_id;
  std::string purpose;
  absl::Time used_at;
};

// A record's retention terms: everything but its value, with its position
// in the store for paging through all records.
struct RecordTermsRow {
  int64_t position = 0;
  std::string id;
  std::string subject_id;
  std::string category;
  std::string service;
  std::vector<std::string> purposes;
  std::string key_bucket;
  absl::Time collected_at;
};

// What is left of an erased record of a `deidentify` category: no subject,
// the collection month only, the remainder sealed under the operator's
// de-identification key.
struct DeidentifiedRow {
  std::string id;  // dei_...
  std::string category;
  std::string service;
  std::string month;  // "YYYY-MM" in the operator's time zone
  std::string sealed_remainder;
  absl::Time created_at;
};

// --- Provision (docs/decisions.md, "Provision"; docs/provision.md) ---

// The provider's record of one provision to a third party (APPI Art. 29):
// that consent was obtained (or the opt-out basis), the recipient, the
// subject, the data items and the date. Ids and category names only, never
// a personal value, so it needs no subject key and outlives the subject's
// erasure for its own period (`keep_until`).
struct ProvisionRecordRow {
  std::string id;  // prv_...
  std::string recipient;
  std::string subject_id;               // not a foreign key: the subject may be erased first
  std::vector<std::string> categories;  // the data items
  std::string purpose;
  std::string legal_basis;                // "consent" or "opt_out"
  std::optional<std::string> consent_id;  // the consent relied on
  absl::Time provided_at;
  std::string provided_by;  // the actor
  absl::Time keep_until;
  // A contract with the recipient stands in for the record: it is kept one
  // year from the last provision to that recipient (keep_until moves on).
  bool kept_from_last_provision = false;
  int64_t ledger_entry = 0;  // seq of the decision's ledger entry
};

// A recipient's record of personal data received from another operator,
// with the checks of APPI Art. 30: who provided it and how they obtained it.
struct ReceiptRow {
  std::string id;  // rcv_...
  std::string provider_name;
  std::string provider_address;
  std::string provider_representative;
  std::string how_obtained;               // how the provider obtained the data
  bool by_opt_out = false;                // the provider provided it by opt-out (Art. 27(2))
  std::optional<std::string> subject_id;  // not a foreign key, like provision records
  std::vector<std::string> categories;
  absl::Time received_at;
  absl::Time recorded_at;
  std::string recorded_by;
  absl::Time keep_until;
};

// A completed audit of a trustee (APPI Art. 25, supervision).
struct TrusteeAuditRow {
  std::string id;  // aud_...
  std::string trustee_id;
  absl::Time audited_at;
  std::string result;   // what the audit found, in words
  absl::Time next_due;  // audited_at plus the trustee's audit interval when recorded
  absl::Time recorded_at;
  std::string recorded_by;
};

// The operator's approval that a trustee re-entrusts (subcontracts) handling.
struct ReentrustmentRow {
  std::string id;  // ree_...
  std::string trustee_id;
  std::string subcontractor;  // the subcontractor's name
  std::string scope;          // what it may handle, in words
  absl::Time approved_at;
  std::string approved_by;
};

// --- The ledger (ledger/ledger.h; docs/ledger-format.md) ---

// One ledger entry as stored. Entries are numbered from 0 without gaps.
struct LedgerEntryRow {
  int64_t seq = 0;
  std::string entry;      // the canonical JSON bytes; the leaf is SHA-256(0x00 || entry)
  std::string leaf_hash;  // 32 bytes
  // The 32-byte hashes of the complete subtrees whose last leaf is this one,
  // level 1 upward (as many as `seq` has trailing one bits).
  std::string nodes;
};

// A signed tree head: the Merkle root of the first `tree_size` entries.
struct TreeHeadRow {
  int64_t tree_size = 0;
  absl::Time signed_at;
  std::string root_hash;  // 32 bytes
  std::string signature;  // Ed25519, 64 bytes
};

class RecordStore {
 public:
  virtual ~RecordStore() = default;

  virtual absl::StatusOr<std::unique_ptr<Transaction>> BeginTransaction() = 0;

  // AlreadyExists when the id is taken.
  virtual absl::Status InsertSubject(const SubjectRow& subject) = 0;
  virtual absl::StatusOr<std::optional<SubjectRow>> GetSubject(std::string_view id) = 0;
  virtual absl::StatusOr<int64_t> CountSubjects() = 0;
  // Sets (or, with "", clears) the subject's language; NotFound for an
  // unknown subject.
  virtual absl::Status SetSubjectLanguage(std::string_view id, std::string_view language) = 0;

  // NotFound when the subject does not exist; AlreadyExists for a taken id.
  virtual absl::Status InsertRecord(const RecordRow& record) = 0;
  // Many records at once, for bulk imports: faster than one at a time, with
  // the same errors. On error some may be inserted; callers use it inside a
  // transaction and roll back.
  virtual absl::Status InsertRecords(std::span<const RecordRow> records) = 0;
  virtual absl::StatusOr<std::optional<RecordRow>> GetRecord(std::string_view id) = 0;
  // The main table's in insertion order, then each segment's
  // (RecordSegmentRow).
  virtual absl::StatusOr<std::vector<RecordRow>> ListRecords(std::string_view subject_id) = 0;
  virtual absl::StatusOr<int64_t> CountRecords() = 0;

  // Idempotent: the same (kind, mac, subject) twice is one entry.
  virtual absl::Status InsertBlindIndex(std::string_view kind, std::string_view mac,
                                        std::string_view subject_id) = 0;
  // Subject ids with that MAC, sorted.
  virtual absl::StatusOr<std::vector<std::string>> FindSubjectsByIndex(std::string_view kind,
                                                                       std::string_view mac) = 0;
  // Removes one index entry (a corrected identifier); how many went (0 or 1).
  virtual absl::StatusOr<int64_t> DeleteBlindIndex(std::string_view kind, std::string_view mac,
                                                   std::string_view subject_id) = 0;

  // AlreadyExists when the version number is taken.
  virtual absl::Status InsertPolicyVersion(const PolicyVersionRow& row) = 0;
  virtual absl::StatusOr<std::optional<PolicyVersionRow>> GetPolicyVersion(int64_t version) = 0;
  virtual absl::StatusOr<std::optional<PolicyVersionRow>> LatestPolicyVersion() = 0;

  virtual absl::StatusOr<int> SchemaVersion() = 0;

  // Pipelined group commit (the engine's): after DeferSync(), a commit
  // returns once its transaction is written, before it is durable, and
  // SyncCommitted() makes every transaction committed so far durable. The
  // writer can thus run its next batch while the last one syncs. Nothing
  // may be acknowledged before SyncCommitted() returns OK. Without
  // DeferSync() (or after DeferSync(false)) every commit is durable when it
  // returns.
  virtual absl::Status DeferSync(bool defer = true) = 0;
  // Thread-safe: may run beside the writer's use of the store.
  virtual absl::Status SyncCommitted() = 0;
};

// Actors, training, consents and stop orders. In the records file, so they
// commit with the ledger entries that record them.
class FactStore {
 public:
  virtual ~FactStore() = default;

  // AlreadyExists when the id is taken.
  virtual absl::Status InsertActor(const ActorRow& actor) = 0;
  virtual absl::StatusOr<std::optional<ActorRow>> GetActor(std::string_view id) = 0;
  // Sorted by id.
  virtual absl::StatusOr<std::vector<ActorRow>> ListActors() = 0;

  // NotFound when the actor does not exist.
  virtual absl::Status InsertTraining(const TrainingRow& training) = 0;
  // Oldest completion first; an empty `actor_id` lists every actor's.
  virtual absl::StatusOr<std::vector<TrainingRow>> ListTrainings(std::string_view actor_id) = 0;

  // NotFound when the subject does not exist; AlreadyExists for a taken id.
  virtual absl::Status InsertConsent(const ConsentRow& consent) = 0;
  virtual absl::StatusOr<std::optional<ConsentRow>> GetConsent(std::string_view id) = 0;
  // NotFound for an unknown id; FailedPrecondition when already withdrawn.
  virtual absl::Status WithdrawConsent(std::string_view id, absl::Time at,
                                       std::string_view channel) = 0;
  // In the order given; an empty `subject_id` lists every subject's.
  virtual absl::StatusOr<std::vector<ConsentRow>> ListConsents(std::string_view subject_id) = 0;

  // NotFound when the subject does not exist; AlreadyExists for a taken id.
  virtual absl::Status InsertStopOrder(const StopOrderRow& order) = 0;
  // NotFound for an unknown id; FailedPrecondition when already lifted.
  virtual absl::Status LiftStopOrder(std::string_view id, absl::Time at) = 0;
  // In creation order, lifted ones included; an empty `subject_id` lists all.
  virtual absl::StatusOr<std::vector<StopOrderRow>> ListStopOrders(std::string_view subject_id) = 0;

  // NotFound when the actor does not exist; AlreadyExists for a taken id or
  // hash.
  virtual absl::Status InsertToken(const TokenRow& token) = 0;
  virtual absl::StatusOr<std::optional<TokenRow>> GetToken(std::string_view id) = 0;
  // NotFound for an unknown id; FailedPrecondition when already revoked.
  virtual absl::Status RevokeToken(std::string_view id, absl::Time at) = 0;
  // Every token, revoked and expired ones included, oldest first.
  virtual absl::StatusOr<std::vector<TokenRow>> ListTokens() = 0;
};

// The ledger's entries, its stored Merkle nodes, its signed tree heads and
// the notes kept beside entries (texts that may be personal, such as the
// written reason for an exception ground: the entry holds their SHA-256).
class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  // Appends entries; their seq must continue the ledger without a gap
  // (FailedPrecondition otherwise; AlreadyExists for a taken seq).
  virtual absl::Status AppendEntries(std::span<const LedgerEntryRow> entries) = 0;
  virtual absl::StatusOr<std::optional<LedgerEntryRow>> GetEntry(int64_t seq) = 0;
  // The number of entries (the next seq).
  virtual absl::StatusOr<int64_t> CountEntries() = 0;
  // Calls `visit` for the entries [first, end) in seq order, stopping at the
  // first error it returns. Rows are reused between calls.
  using EntryVisitor = std::function<absl::Status(const LedgerEntryRow&)>;
  virtual absl::Status ScanEntries(int64_t first, int64_t end, const EntryVisitor& visit) = 0;

  // AlreadyExists when a head of that size exists.
  virtual absl::Status InsertTreeHead(const TreeHeadRow& head) = 0;
  virtual absl::StatusOr<std::optional<TreeHeadRow>> LatestTreeHead() = 0;
  virtual absl::StatusOr<std::optional<TreeHeadRow>> GetTreeHead(int64_t tree_size) = 0;
  // Smallest tree first.
  virtual absl::StatusOr<std::vector<TreeHeadRow>> ListTreeHeads() = 0;

  virtual absl::Status InsertNote(int64_t seq, std::string_view text) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetNote(int64_t seq) = 0;
};

// Legal holds, retention anchors and erasure. In the records file, so
// changes commit with their ledger entries.
class RetentionStore {
 public:
  virtual ~RetentionStore() = default;

  // NotFound when the subject does not exist; AlreadyExists for a taken id.
  virtual absl::Status InsertHold(const LegalHoldRow& hold) = 0;
  virtual absl::StatusOr<std::optional<LegalHoldRow>> GetHold(std::string_view id) = 0;
  // NotFound for an unknown id; FailedPrecondition when already released.
  virtual absl::Status ReleaseHold(std::string_view id, absl::Time at) = 0;
  // In creation order, released ones included; an empty `subject_id` lists all.
  virtual absl::StatusOr<std::vector<LegalHoldRow>> ListHolds(std::string_view subject_id) = 0;

  // Records or corrects the end of a contract. NotFound for an unknown subject.
  virtual absl::Status PutContractEnd(const ContractEndRow& row) = 0;
  // By subject, then service; an empty `subject_id` lists all.
  virtual absl::StatusOr<std::vector<ContractEndRow>> ListContractEnds(
      std::string_view subject_id) = 0;

  // Keeps the latest time per (subject, purpose).
  virtual absl::Status RecordLastUses(std::span<const LastUseRow> uses) = 0;
  virtual absl::StatusOr<std::vector<LastUseRow>> ListLastUses() = 0;

  // A named position kept between sweeps (e.g. how far the ledger was read
  // for last uses); 0 when never set. Setting 0 forgets it: a cursor whose
  // task is over (a dropped segment's) leaves nothing behind.
  virtual absl::StatusOr<int64_t> GetCursor(std::string_view name) = 0;
  virtual absl::Status SetCursor(std::string_view name, int64_t position) = 0;

  // The records under one data key, values included, in insertion order.
  virtual absl::StatusOr<std::vector<RecordRow>> ListRecordsOfKey(const DataKeyId& key) = 0;
  virtual absl::StatusOr<int64_t> CountRecordsOfKey(const DataKeyId& key) = 0;
  // Whether any record of the subject is left.
  virtual absl::StatusOr<bool> SubjectHasRecords(std::string_view subject_id) = 0;
  // Deletes records by id; returns how many existed.
  virtual absl::StatusOr<int64_t> DeleteRecords(std::span<const std::string> ids) = 0;
  // Deletes the record at `position` (RecordTermsRow::position) if it is
  // still the one with that id; returns whether it was. Deleting many in
  // position order touches each page once.
  virtual absl::StatusOr<bool> DeleteRecordAt(int64_t position, std::string_view id) = 0;
  // Removes the subject from the blind indexes (once none of its data is left).
  virtual absl::StatusOr<int64_t> DeleteBlindIndexes(std::string_view subject_id) = 0;

  // Segments (RecordSegmentRow), live and dropped, by id.
  virtual absl::StatusOr<std::vector<RecordSegmentRow>> ListSegments() = 0;
  // Moves a subject's records out of a live segment into the main table,
  // where they stay under the same keys (a hold keeps them while the rest
  // of the month is dropped); returns how many moved.
  virtual absl::StatusOr<int64_t> MoveSubjectOutOfSegment(int64_t segment,
                                                          std::string_view subject_id) = 0;
  // Up to `limit` records of a live segment after `after_position` (0: from
  // its start), values included, in store order, with their positions.
  virtual absl::StatusOr<std::vector<std::pair<int64_t, RecordRow>>> ListSegmentRecords(
      int64_t segment, int64_t after_position, size_t limit) = 0;
  // Drops a live segment's rows and marks it dropped; returns its records
  // per subject, by subject id. Its keys are destroyed afterwards.
  virtual absl::StatusOr<std::vector<SubjectRecordCount>> DropSegment(int64_t segment) = 0;
  // Forgets a dropped segment once its keys are destroyed.
  virtual absl::Status ForgetSegment(int64_t segment) = 0;
  // A number that moves whenever a segment's rows may have changed through
  // this store (a record written to it or deleted from it, a subject moved
  // out): equal at two times, its rows did not change in between. In
  // memory: only comparable within one open store.
  virtual absl::StatusOr<int64_t> SegmentVersion(int64_t segment) = 0;
  // DropSegment for a caller that counted the segment's records already
  // (StoreReader::CountSegmentRecordsBySubject, at a SegmentVersion it
  // found unchanged since): the same drop, without reading the segment.
  virtual absl::Status DropCountedSegment(int64_t segment) = 0;

  // A segment is dropped without overwriting the pages it frees: doing so
  // in the drop's transaction held the writer, and every use waiting on
  // it, for as long as the whole table took to overwrite and sync (10-60 ms
  // a table). Its pages are overwritten afterwards, a few at a time, by
  // ScrubFreePages; until then HasUnscrubbedPages is true, across restarts.
  virtual absl::StatusOr<bool> HasUnscrubbedPages() = 0;
  // Fills up to `max_pages` free pages with zeros and holds them in the
  // scrub table; returns how many free pages are left to fill (0: none left,
  // HasUnscrubbedPages is false). Does nothing, and returns 0, when no drop
  // left pages to overwrite.
  virtual absl::StatusOr<int64_t> ScrubFreePages(int64_t max_pages) = 0;
  // Frees the held zero-filled pages again, whole rows of about `max_pages`
  // (at least one); returns how many pages are still held.
  // FailedPrecondition while HasUnscrubbedPages: a page freed now would be
  // filled again.
  virtual absl::StatusOr<int64_t> ReleaseScrubbedPages(int64_t max_pages) = 0;

  // AlreadyExists for a taken id.
  virtual absl::Status InsertDeidentified(const DeidentifiedRow& row) = 0;
  virtual absl::StatusOr<int64_t> CountDeidentified() = 0;
  // Oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<DeidentifiedRow>> ListDeidentified(size_t limit) = 0;
};

// Provision records (Art. 29), receipt records (Art. 30), trustee audits
// and re-entrustment approvals. In the records file, so changes commit with
// their ledger entries. None of it refers to subjects by foreign key: these
// records outlive the subject's erasure.
class ProvisionStore {
 public:
  virtual ~ProvisionStore() = default;

  // AlreadyExists for a taken id.
  virtual absl::Status InsertRecord(const ProvisionRecordRow& record) = 0;
  // Moves keep_until forward to `keep_until` for the recipient's records
  // kept from the last provision whose keep_until is earlier; returns how
  // many moved.
  virtual absl::StatusOr<int64_t> ExtendRecordsKeptFromLastProvision(std::string_view recipient,
                                                                     absl::Time keep_until) = 0;
  // Oldest provision first.
  virtual absl::StatusOr<std::vector<ProvisionRecordRow>> ListRecordsOfSubject(
      std::string_view subject_id) = 0;
  virtual absl::StatusOr<std::vector<ProvisionRecordRow>> ListRecordsToRecipient(
      std::string_view recipient) = 0;

  // AlreadyExists for a taken id.
  virtual absl::Status InsertReceipt(const ReceiptRow& receipt) = 0;
  // Oldest receipt first; an empty `subject_id` lists all.
  virtual absl::StatusOr<std::vector<ReceiptRow>> ListReceipts(std::string_view subject_id) = 0;

  // The ids of provision records and of receipts whose keep_until is at or
  // before `at`, at most `limit` of each, oldest keep_until first.
  virtual absl::StatusOr<std::vector<std::string>> ListRecordsKeptUntil(absl::Time at,
                                                                        size_t limit) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListReceiptsKeptUntil(absl::Time at,
                                                                         size_t limit) = 0;
  // Delete by id; return how many existed.
  virtual absl::StatusOr<int64_t> DeleteRecords(std::span<const std::string> ids) = 0;
  virtual absl::StatusOr<int64_t> DeleteReceipts(std::span<const std::string> ids) = 0;

  // AlreadyExists for a taken id.
  virtual absl::Status InsertTrusteeAudit(const TrusteeAuditRow& audit) = 0;
  // Oldest audit first (by audited_at); an empty `trustee_id` lists all.
  virtual absl::StatusOr<std::vector<TrusteeAuditRow>> ListTrusteeAudits(
      std::string_view trustee_id) = 0;

  // AlreadyExists for a taken id.
  virtual absl::Status InsertReentrustment(const ReentrustmentRow& approval) = 0;
  // In approval order; an empty `trustee_id` lists all.
  virtual absl::StatusOr<std::vector<ReentrustmentRow>> ListReentrustments(
      std::string_view trustee_id) = 0;
};

// --- Incidents and supervision (docs/incidents.md, docs/supervision.md) ---

// One decided use as the ledger recorded it, folded into an index so that
// "whose data did this actor touch" needs no ledger scan. One row per
// (entry, subject): a `find` that returned three subjects gives three rows;
// a use without a subject (a denied find) has subject "". No value, only
// ids, as in the ledger itself.
struct UseRow {
  int64_t seq = 0;  // the ledger entry
  absl::Time at;
  std::string actor;
  std::string action;  // decide, read, find, provide, collect
  bool allowed = false;
  std::string purpose;
  std::string subject;                  // "" when none
  std::string recipient;                // provide only; "" otherwise
  std::vector<std::string> categories;  // as requested
  std::string rule_id;
  std::string reason_code;
  bool flagged_for_audit = false;  // an exception ground was named
  std::string ground;              // "none" unless a ground was named
};

// Whose data a set of uses touched: each subject with the union of the
// categories used, subjects in ascending id order.
struct TouchedSubject {
  std::string subject_id;
  std::vector<std::string> categories;  // sorted, distinct
};

// Counts over a window of uses, for supervision and the audit report.
struct UseCount {
  std::string key;   // what is counted by (a purpose, a category, an actor, a rule, ...)
  std::string key2;  // a second key when the count is by two (e.g. outcome), else ""
  int64_t count = 0;
};

// An actor's activity on one day of the operator's zone.
struct ActorDayRow {
  std::string actor;
  int64_t day = 0;       // days since 1970-01-01 in the operator's zone
  int64_t subjects = 0;  // distinct subjects touched by allowed uses
  int64_t denials = 0;
};

// Decisions on one day of the operator's zone (entries, not rows).
struct DayUseCount {
  int64_t day = 0;  // days since 1970-01-01 in the operator's zone
  int64_t allowed = 0;
  int64_t denied = 0;
};

// The decisions of a period at once, for the audit report: what
// CountUses(by rule_id / actor), CountUsesByDay and ActorDays give, from
// one pass over the index in actor order.
struct UseSummary {
  std::vector<UseCount> by_rule;   // key rule_id, key2 "allow"/"deny"; entries
  std::vector<UseCount> by_actor;  // key actor, key2 "allow"/"deny"; entries
  std::vector<DayUseCount> by_day;
  std::vector<ActorDayRow> actor_days;
};

// The signed tree head the last full verification covered: the next
// verification starts there.
struct VerifiedHeadRow {
  int64_t tree_size = 0;
  std::string root_hash;  // 32 bytes
  absl::Time verified_at;
};

// The use index. In the records file; rows are derived from the ledger (a
// cursor says how far) and can be rebuilt from it.
class UseIndexStore {
 public:
  virtual ~UseIndexStore() = default;

  virtual absl::Status InsertUses(std::span<const UseRow> uses) = 0;
  // Allowed uses with `action` among `actions` by `actor` with from <= at < to.
  virtual absl::StatusOr<std::vector<TouchedSubject>> SubjectsTouchedByActor(
      std::string_view actor, absl::Time from, absl::Time to,
      std::span<const std::string> actions) = 0;
  // Allowed provisions to `recipient` with from <= at < to.
  virtual absl::StatusOr<std::vector<TouchedSubject>> SubjectsProvidedTo(std::string_view recipient,
                                                                         absl::Time from,
                                                                         absl::Time to) = 0;
  // Uses with from <= at < to ("" actor: every actor), in seq order,
  // at most `limit` (0: no limit).
  virtual absl::StatusOr<std::vector<UseRow>> ListUses(std::string_view actor, absl::Time from,
                                                       absl::Time to, size_t limit) = 0;
  // Entries (not rows: a find counts once) with from <= at < to grouped by
  // `by` ("purpose", "action", "rule_id", "reason_code", "actor") and the
  // outcome ("allow"/"deny" in key2). "" actor: every actor.
  virtual absl::StatusOr<std::vector<UseCount>> CountUses(std::string_view actor, absl::Time from,
                                                          absl::Time to, std::string_view by) = 0;
  // Rows per category (a use of two categories counts in both), allowed only.
  virtual absl::StatusOr<std::vector<UseCount>> CountCategories(std::string_view actor,
                                                                absl::Time from, absl::Time to) = 0;
  // Distinct subjects touched by the actor's allowed uses in the window.
  virtual absl::StatusOr<int64_t> CountSubjectsTouched(std::string_view actor, absl::Time from,
                                                       absl::Time to) = 0;
  // Per actor and day (days begin at UTC + `utc_offset`), in the window.
  virtual absl::StatusOr<std::vector<ActorDayRow>> ActorDays(absl::Time from, absl::Time to,
                                                             absl::Duration utc_offset) = 0;
  // Decisions per day (days begin at UTC + `utc_offset`), in day order.
  virtual absl::StatusOr<std::vector<DayUseCount>> CountUsesByDay(absl::Time from, absl::Time to,
                                                                  absl::Duration utc_offset) = 0;
  // All of the above for [from, to) with days at UTC + `utc_offset`.
  virtual absl::StatusOr<UseSummary> SummarizeUses(absl::Time from, absl::Time to,
                                                   absl::Duration utc_offset) = 0;
  // Uses that named an exception ground, in seq order, at most `limit`.
  virtual absl::StatusOr<std::vector<UseRow>> ListFlaggedUses(absl::Time from, absl::Time to,
                                                              size_t limit) = 0;
  // Each actor's latest allowed use per (purpose, category): key = actor,
  // key2 = purpose + "\n" + category, count = latest time in unix micros.
  virtual absl::StatusOr<std::vector<UseCount>> LastUses() = 0;

  virtual absl::StatusOr<std::optional<VerifiedHeadRow>> LastVerifiedHead() = 0;
  virtual absl::Status PutVerifiedHead(const VerifiedHeadRow& head) = 0;
};

struct IncidentRow {
  std::string id;  // inc_...
  absl::Time opened_at;
  std::string opened_by;
  absl::Time discovered_at;
  std::optional<absl::Time> occurred_at;
  std::string cause;  // incident::CauseName
  bool suspected = false;
  std::string description;     // the officer's words; never in the ledger
  std::string scope_json;      // the scope as given (engine's IncidentScope as JSON)
  std::string narrative_json;  // incident::IncidentNarrative as JSON ("{}" until written)
  std::string status;          // open, closed
  std::optional<absl::Time> closed_at;
  absl::Time updated_at;  // the affected set was last computed
};

struct IncidentSubjectRow {
  std::string incident_id;
  std::string subject_id;
  std::vector<std::string> categories;  // sorted, distinct
  // Every leaked category of this subject was strongly encrypted and its
  // keys did not leave.
  bool encrypted_without_keys = false;
};

struct IncidentReportRow {
  std::string incident_id;
  std::string kind;  // incident::ReportKind name, e.g. appi_preliminary
  absl::Time submitted_at;
  std::string submitted_by;
  std::string reference;  // the authority's receipt number or the like
};

class IncidentStore {
 public:
  virtual ~IncidentStore() = default;
  // AlreadyExists for a taken id.
  virtual absl::Status InsertIncident(const IncidentRow& incident) = 0;
  // NotFound for an unknown id.
  virtual absl::Status UpdateIncident(const IncidentRow& incident) = 0;
  virtual absl::StatusOr<std::optional<IncidentRow>> GetIncident(std::string_view id) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<IncidentRow>> ListIncidents() = 0;
  // Replaces the incident's affected subjects.
  virtual absl::Status ReplaceSubjects(std::string_view incident_id,
                                       std::span<const IncidentSubjectRow> subjects) = 0;
  // In subject id order.
  virtual absl::StatusOr<std::vector<IncidentSubjectRow>> ListSubjects(
      std::string_view incident_id) = 0;
  // AlreadyExists when the kind was already submitted for the incident.
  virtual absl::Status InsertReport(const IncidentReportRow& report) = 0;
  virtual absl::StatusOr<std::vector<IncidentReportRow>> ListReports(
      std::string_view incident_id) = 0;
};

// A customer request (docs/requests.md). What the requester gave
// (identifiers, details, an agent, a corrected value) is personal data: the
// request's whole state is sealed under a key of the request's own
// (subject id = the request id), so erasing the request erases it. The
// plain columns are what queues filter and sort on.
struct RequestRow {
  std::string id;  // req_...
  std::string kind;
  std::string status;
  std::string verification;  // unverified, cannot_verify, verified
  absl::Time received_at;
  absl::Time due;
  std::string assignee;        // "" while unassigned
  std::string subject_id;      // "" until verified
  std::string secret_sha256;   // 32 bytes: the requester's secret, hashed
  std::string summary_json;    // non-personal: error, failures, agent (bool), language
  std::string sealed_state;    // the full state, sealed
  std::string sealed_result;   // the result document, sealed; "" until there is one
  std::vector<int64_t> trail;  // the request's ledger entries, in order
  absl::Time updated_at;
};

// A complaint (docs/requests.md, "Complaints"): the complainant's text,
// contact and the responses are sealed under the complaint's own key.
struct ComplaintRow {
  std::string id;  // cmp_...
  std::string status;
  std::string service;
  std::string category;
  absl::Time received_at;
  absl::Time first_response_due;
  std::optional<absl::Time> first_response_at;
  std::string assignee;
  std::string sealed;  // {"text","contact","last_response","language"} sealed
  std::vector<int64_t> trail;
  absl::Time updated_at;
};

class RequestStore {
 public:
  virtual ~RequestStore() = default;
  // AlreadyExists for a taken id.
  virtual absl::Status InsertRequest(const RequestRow& request) = 0;
  // NotFound for an unknown id.
  virtual absl::Status UpdateRequest(const RequestRow& request) = 0;
  virtual absl::StatusOr<std::optional<RequestRow>> GetRequest(std::string_view id) = 0;
  // By due time, then id.
  virtual absl::StatusOr<std::vector<RequestRow>> ListRequests() = 0;

  virtual absl::Status InsertComplaint(const ComplaintRow& complaint) = 0;
  virtual absl::Status UpdateComplaint(const ComplaintRow& complaint) = 0;
  virtual absl::StatusOr<std::optional<ComplaintRow>> GetComplaint(std::string_view id) = 0;
  // By first-response due time, then id.
  virtual absl::StatusOr<std::vector<ComplaintRow>> ListComplaints() = 0;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  virtual absl::StatusOr<std::unique_ptr<Transaction>> BeginTransaction() = 0;

  // Put* are AlreadyExists when a key is already stored under that id: keys
  // are created once and destroyed, never replaced.
  virtual absl::Status PutSubjectKey(std::string_view subject_id, std::string_view wrapped) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetSubjectKey(std::string_view subject_id) = 0;

  virtual absl::Status PutDataKey(const DataKeyId& id, std::string_view wrapped) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetDataKey(const DataKeyId& id) = 0;

  // Operator keys: the blind-index key, the ledger signing seed, the
  // de-identification key. Wrapped under the master key.
  virtual absl::Status PutOperatorKey(std::string_view name, std::string_view wrapped) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetOperatorKey(std::string_view name) = 0;

  // Crypto-shredding. Return how many keys were destroyed.
  virtual absl::StatusOr<int64_t> DestroySubjectKeys(std::string_view subject_id) = 0;
  virtual absl::StatusOr<int64_t> DestroyDataKey(const DataKeyId& id) = 0;
  // The subjects holding a data key of (category, bucket): a full scan, for
  // finishing a dropped segment after a crash.
  virtual absl::StatusOr<std::vector<std::string>> ListDataKeySubjects(std::string_view category,
                                                                       std::string_view bucket) = 0;

  // Makes destroyed key bytes leave the disk (WAL checkpoint, secure delete).
  virtual absl::Status Checkpoint() = 0;
};

// A read-only view of a store, for reads beside the single writer (DESIGN.md,
// "One writer"): connections of its own that see only committed data, so a
// reader never sees a batch that may still roll back. Writes through keys()
// fail with FailedPrecondition.
//
// Thread-safety: not thread-safe; one thread uses a reader at a time.
class StoreReader {
 public:
  virtual ~StoreReader() = default;
  virtual absl::StatusOr<bool> SubjectExists(std::string_view id) = 0;
  // The subject's records of these categories: category by category, each
  // as RecordStore::ListRecords orders them.
  virtual absl::StatusOr<std::vector<RecordRow>> ListRecords(
      std::string_view subject_id, std::span<const std::string> categories) = 0;
  // Up to `limit` records' terms after `after_position` (0: from the
  // start), in store order, into `out` (replacing its rows); a page holds
  // rows of one segment only. Paging with the last row's position visits
  // every record once, except those of the live segments in `skip`.
  virtual absl::Status ScanRecordTerms(int64_t after_position, size_t limit,
                                       std::vector<RecordTermsRow>& out,
                                       std::span<const int64_t> skip = {}) = 0;
  // The live segments, by id, in this reader's snapshot of the moment.
  virtual absl::StatusOr<std::vector<RecordSegmentRow>> ListSegments() = 0;
  // How many records a live segment holds, or one subject's among them
  // (an empty `subject_id`: all).
  virtual absl::StatusOr<int64_t> CountSegmentRecords(int64_t segment,
                                                      std::string_view subject_id) = 0;
  // A live segment's records per subject, by subject id, as
  // RetentionStore::DropSegment counts them; NotFound when it is not live.
  virtual absl::StatusOr<std::vector<SubjectRecordCount>> CountSegmentRecordsBySubject(
      int64_t segment) = 0;
  // Calls `visit` for the committed ledger entries [first, end) in seq
  // order, in one snapshot, as LedgerStore::ScanEntries does; an `end` past
  // the ledger's end stops there. For work that reads the ledger off the
  // writer (the sweep's last uses).
  virtual absl::Status ScanLedgerEntries(int64_t first, int64_t end,
                                         const LedgerStore::EntryVisitor& visit) = 0;
  virtual KeyStore& keys() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // A new reader with connections of its own (store/store.h, StoreReader).
  virtual absl::StatusOr<std::unique_ptr<StoreReader>> OpenReader() = 0;
  virtual RecordStore& records() = 0;
  // Facts and ledger live with the records (one transaction: begin it on
  // records()).
  virtual FactStore& facts() = 0;
  virtual LedgerStore& ledger() = 0;
  virtual RetentionStore& retention() = 0;
  virtual ProvisionStore& provisions() = 0;
  virtual UseIndexStore& uses() = 0;
  virtual IncidentStore& incidents() = 0;
  virtual RequestStore& requests() = 0;
  virtual KeyStore& keys() = 0;
  virtual std::string_view engine() const = 0;  // "sqlite", "postgresql"
};

}  // namespace mamori::store
