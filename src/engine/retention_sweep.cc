// The engine's retention work (docs/retention.md): legal holds, contract
// ends and the sweep that erases what no live purpose keeps.
//
// A sweep runs in steps so that it never holds the writer for long:
//   1. writer jobs fold the ledger's allowed reads since the last sweep into
//      the last-use table (the anchor of rules counted from the last use);
//   2. one writer job copies the facts the fates depend on (policy, holds,
//      contract ends, last uses);
//   3. the caller's thread scans every record's terms on a read-only
//      connection and plans, per data key, the records that are due;
//   4. writer jobs of bounded size erase them: de-identify where the policy
//      says so, delete the rows, and destroy the data key once no row uses
//      it (crypto-shredding), each key with its ledger entry.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/engine_submit.h"
#include "engine/job_pace.h"
#include "engine/jobs_in_flight.h"
#include "ledger/entry_builder.h"
#include "retention/retention.h"

namespace mamori::engine {

using internal::ChangeEntry;
using internal::Invalid;
using nlohmann::json;

namespace {

// The retention cursor naming how far the ledger was read for last uses.
constexpr char kLastUseCursor[] = "ledger.last_use";
// Records' terms read per page of the scan.
constexpr size_t kScanPage = 8192;

bool HoldCovers(const store::LegalHoldRow& hold, std::string_view category, absl::Time at) {
  return !hold.released_at && at < hold.until && (!hold.category || *hold.category == category);
}

// Whether a hold of the subject keeps its records of `category` at `at`.
bool HeldAt(const retention::SubjectRetentionFacts& subject, std::string_view category,
            absl::Time at) {
  return std::any_of(subject.holds.begin(), subject.holds.end(), [&](const retention::Hold& hold) {
    return at < hold.until && (!hold.category || *hold.category == category);
  });
}

policy::ErasureMode ErasureModeOf(const policy::Policy& policy, std::string_view category) {
  const policy::Category* found = policy.FindCategory(category);
  return found != nullptr ? found->erasure : policy::ErasureMode::kDelete;
}

// How much of a segment is due at `as_of`, holds aside.
enum class SegmentDue { kNone, kSome, kAll };

// When every purpose of every record in the segment counts from collection,
// a record's deadline grows with its collection time alone: if the latest
// collected is due, all are; if the earliest is not, none is. Anything
// else (a purpose counted from the contract's end or the last use, under
// today's policy) is read record by record.
SegmentDue SegmentDueOf(const policy::Policy& policy, absl::TimeZone zone,
                        const store::RecordSegmentRow& segment, absl::Time as_of) {
  static const retention::SubjectRetentionFacts kNoFacts;
  if (segment.terms.empty()) return SegmentDue::kSome;
  bool all = true;
  bool none = true;
  for (const store::RecordSegmentRow::Terms& terms : segment.terms) {
    if (!retention::AllRetainedFromCollection(policy, terms.purposes)) return SegmentDue::kSome;
    const retention::RecordTerms latest{segment.category, terms.service, &terms.purposes,
                                        segment.last_collected_at};
    const retention::RecordTerms earliest{segment.category, terms.service, &terms.purposes,
                                          segment.first_collected_at};
    if (retention::FateOf(policy, zone, kNoFacts, latest, as_of).state !=
        retention::FateState::kDue) {
      all = false;
    }
    if (retention::FateOf(policy, zone, kNoFacts, earliest, as_of).state ==
        retention::FateState::kDue) {
      none = false;
    }
  }
  return all ? SegmentDue::kAll : none ? SegmentDue::kNone : SegmentDue::kSome;
}

// What survives of a record of a `deidentify` category: where and in which
// month it was collected and, for communication records written as
// "... duration <N>s", the duration. Parties, numbers, times and content
// are dropped (LEGAL.md: secret parts deleted, the rest de-identified).
std::string DeidentifiedRemainder(const store::RecordRow& record, std::string_view month,
                                  std::string_view value) {
  json remainder = {{"category", record.category}, {"service", record.service}, {"month", month}};
  const size_t at = value.find("duration ");
  if (at != std::string_view::npos) {
    size_t end = at + 9;
    int64_t seconds = 0;
    bool digits = false;
    while (end < value.size() && value[end] >= '0' && value[end] <= '9' && seconds < 1'000'000) {
      seconds = seconds * 10 + (value[end] - '0');
      digits = true;
      ++end;
    }
    if (digits && end < value.size() && value[end] == 's') remainder["duration_seconds"] = seconds;
  }
  return remainder.dump();
}

// Stores the de-identified remainder of `record` (LEGAL.md: secret parts
// deleted, the rest de-identified); false when its key is already
// destroyed (a crash between the two stores' commits), which leaves
// nothing to de-identify.
absl::StatusOr<bool> StoreRemainder(vault::Vault& vault, store::RetentionStore& retention,
                                    common::RandomSource& random, const store::RecordRow& record,
                                    absl::TimeZone zone, absl::Time now, std::string& value) {
  const store::DataKeyId key{record.subject_id, record.category, record.key_bucket};
  if (!vault.OpenValueInto(key, record.id, record.sealed_value, value).ok()) return false;
  const std::string month = absl::FormatTime("%Y-%m", record.collected_at, zone);
  store::DeidentifiedRow row{common::NewId(common::IdKind::kDeidentified, random, now),
                             record.category,
                             record.service,
                             month,
                             "",
                             now};
  ASSIGN_OR_RETURN(row.sealed_remainder,
                   vault.SealDeidentified(row.id, DeidentifiedRemainder(record, month, value)));
  RETURN_IF_ERROR(retention.InsertDeidentified(row));
  return true;
}

// The subjects a hold keeps records of `category` of at `now`, sorted.
absl::StatusOr<std::vector<std::string>> HeldSubjects(store::RetentionStore& retention,
                                                      std::string_view category, absl::Time now) {
  ASSIGN_OR_RETURN(std::vector<store::LegalHoldRow> holds, retention.ListHolds(""));
  std::vector<std::string> held;
  for (const store::LegalHoldRow& hold : holds) {
    if (HoldCovers(hold, category, now)) held.push_back(hold.subject_id);
  }
  std::sort(held.begin(), held.end());
  held.erase(std::unique(held.begin(), held.end()), held.end());
  return held;
}

// The retention cursor naming how far a segment's records were
// de-identified before it is dropped.
std::string DeidentifiedCursor(int64_t segment) {
  return fmt::format("segment.{}.deidentified", segment);
}

}  // namespace

struct Engine::SweepFacts {
  policy::Policy policy;  // a copy: the plan is made off the writer thread
  absl::TimeZone zone;
  absl::flat_hash_map<std::string, retention::SubjectRetentionFacts> subjects;
  absl::Time now;
  int64_t total_records = 0;  // for progress; 0 when not asked
  // Segments a stopped sweep dropped whose keys may not all be destroyed.
  std::vector<store::RecordSegmentRow> dropped_segments;
};

// A segment whose every record is due, dropped whole.
struct Engine::SweepPlanSegment {
  int64_t id = 0;
  std::string category;
  std::string bucket;
  policy::ErasureMode mode = policy::ErasureMode::kDelete;
};

struct Engine::SweepPlan {
  struct KeyWork {
    store::DataKeyId key;
    policy::ErasureMode mode = policy::ErasureMode::kDelete;
    // The due records: position (rowid) and id, in scan order.
    std::vector<std::pair<int64_t, std::string>> records;
    // For a key of a dropped segment: how many of its records went with
    // it (the key is all that is left to erase); -1 otherwise.
    int64_t dropped_records = -1;
  };
  using SegmentWork = SweepPlanSegment;
  std::vector<KeyWork> keys;
  std::vector<SegmentWork> segments;
  int64_t scanned = 0;
  int64_t due_delete = 0;
  int64_t due_deidentify = 0;
  int64_t held = 0;
};

// --- Holds and contract ends ---

absl::StatusOr<store::LegalHoldRow> Engine::AddHold(std::string by, HoldSpec spec) {
  return Submit<store::LegalHoldRow>(
      JobKind::kRecords, [&]() -> absl::StatusOr<store::LegalHoldRow> {
        if (absl::StripAsciiWhitespace(common::ToAbsl(spec.basis)).empty()) {
          return Invalid("basis: required (the law or proceeding that requires keeping the data)");
        }
        if (spec.category && dir_.policy().FindCategory(*spec.category) == nullptr) {
          return Invalid(
              fmt::format("category: \"{}\" is not a category of the policy", *spec.category));
        }
        const absl::Time now = clock_.Now();
        if (spec.until_day) spec.until = absl::FromCivil(*spec.until_day + 1, OperatorZone());
        if (spec.until <= now) return Invalid("until: must be in the future");
        ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                         dir_.store().records().GetSubject(spec.subject));
        if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", spec.subject));
        store::LegalHoldRow row{common::NewId(common::IdKind::kHold, random_, now),
                                spec.subject,
                                spec.category,
                                spec.basis,
                                spec.until,
                                now,
                                by,
                                std::nullopt};
        RETURN_IF_ERROR(dir_.store().retention().InsertHold(row));
        // The basis may name a proceeding: the entry holds its SHA-256.
        json entry = ChangeEntry("hold.add", by);
        entry["subject"] = row.subject_id;
        entry["hold"] = row.id;
        entry["category"] = row.category ? json(*row.category) : json();
        entry["until"] = common::FormatTimestamp(row.until);
        entry["basis_sha256"] = ledger::Sha256Hex(row.basis);
        RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
        return row;
      });
}

absl::StatusOr<store::LegalHoldRow> Engine::ReleaseHold(std::string by, std::string hold_id) {
  return Submit<store::LegalHoldRow>(
      JobKind::kRecords, [&]() -> absl::StatusOr<store::LegalHoldRow> {
        const absl::Time now = clock_.Now();
        RETURN_IF_ERROR(dir_.store().retention().ReleaseHold(hold_id, now));
        ASSIGN_OR_RETURN(std::optional<store::LegalHoldRow> row,
                         dir_.store().retention().GetHold(hold_id));
        if (!row) return absl::NotFoundError(fmt::format("legal hold {} not found", hold_id));
        json entry = ChangeEntry("hold.release", by);
        entry["subject"] = row->subject_id;
        entry["hold"] = row->id;
        RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
        return *row;
      });
}

absl::StatusOr<std::vector<store::LegalHoldRow>> Engine::ListHolds(std::string subject_id) {
  return Submit<std::vector<store::LegalHoldRow>>(
      JobKind::kRecords, [&]() -> absl::StatusOr<std::vector<store::LegalHoldRow>> {
        if (!subject_id.empty()) {
          ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                           dir_.store().records().GetSubject(subject_id));
          if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", subject_id));
        }
        return dir_.store().retention().ListHolds(subject_id);
      });
}

absl::TimeZone Engine::OperatorZone() const {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(common::ToAbsl(dir_.policy().operator_info.time_zone), &zone)) {
    return absl::UTCTimeZone();  // the policy check refuses unknown zones
  }
  return zone;
}

absl::StatusOr<store::ContractEndRow> Engine::RecordContractEnd(std::string by,
                                                                std::string subject_id,
                                                                std::string service,
                                                                absl::Time ended_at) {
  return Submit<store::ContractEndRow>(JobKind::kRecords,
                                       [&]() -> absl::StatusOr<store::ContractEndRow> {
                                         return PutContractEnd(by, subject_id, service, ended_at);
                                       });
}

absl::StatusOr<store::ContractEndRow> Engine::RecordContractEndOn(std::string by,
                                                                  std::string subject_id,
                                                                  std::string service,
                                                                  absl::CivilDay day) {
  return Submit<store::ContractEndRow>(
      JobKind::kRecords, [&]() -> absl::StatusOr<store::ContractEndRow> {
        return PutContractEnd(by, subject_id, service, absl::FromCivil(day, OperatorZone()));
      });
}

absl::StatusOr<store::ContractEndRow> Engine::PutContractEnd(const std::string& by,
                                                             const std::string& subject_id,
                                                             const std::string& service,
                                                             absl::Time ended_at) {
  if (!service.empty() && dir_.policy().FindService(service) == nullptr) {
    return Invalid(fmt::format("service: \"{}\" is not a service of the policy", service));
  }
  const absl::Time now = clock_.Now();
  if (ended_at > now) return Invalid("ended_at: must not be in the future");
  ASSIGN_OR_RETURN(std::optional<store::SubjectRow> subject,
                   dir_.store().records().GetSubject(subject_id));
  if (!subject) return absl::NotFoundError(fmt::format("subject {} not found", subject_id));
  store::ContractEndRow row{subject_id, service, ended_at, now, by};
  RETURN_IF_ERROR(dir_.store().retention().PutContractEnd(row));
  json entry = ChangeEntry("contract.end", by);
  entry["subject"] = subject_id;
  entry["service"] = service.empty() ? json() : json(service);
  entry["ended_at"] = common::FormatTimestamp(ended_at);
  RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
  return row;
}

// --- The sweep ---

// Off the writer (Engine::FoldLedger). Recording keeps the later of two
// times, so the order of the jobs does not matter.
absl::Status Engine::UpdateLastUses(const SweepOptions& options) {
  std::vector<store::LastUseRow> uses;
  LedgerFold fold;
  fold.cursor = kLastUseCursor;
  fold.start_chunk = [&] { uses.clear(); };
  fold.parse = [&](const store::LedgerEntryRow& row) -> size_t {
    // Only allowed reads count as uses; skip the rest unparsed.
    if (row.entry.find("\"read\"") == std::string::npos) return 0;
    json entry = json::parse(row.entry, nullptr, /*allow_exceptions=*/false);
    if (!entry.is_object() || entry.value("kind", "") != "decision" ||
        entry.value("action", "") != "read" || entry.value("outcome", "") != "allow" ||
        !entry.contains("subject") || !entry["subject"].is_string() || !entry.contains("at") ||
        !entry["at"].is_string()) {
      return 0;
    }
    absl::StatusOr<absl::Time> at = common::ParseTimestamp(entry["at"].get<std::string>());
    if (!at.ok()) return 0;
    uses.push_back(
        {entry["subject"].get<std::string>(), entry.value("purpose", std::string()), *at});
    return 1;
  };
  fold.record = [&](size_t first, size_t end) {
    return dir_.store().retention().RecordLastUses(
        std::span<const store::LastUseRow>(uses).subspan(first, end - first));
  };
  return FoldLedger(fold, options.job_budget);
}

absl::StatusOr<Engine::SweepFacts> Engine::LoadSweepFacts(bool count_records) {
  return Submit<SweepFacts>(JobKind::kRecords, [&]() -> absl::StatusOr<SweepFacts> {
    SweepFacts facts;
    facts.policy = dir_.policy();
    facts.policy.BuildIndex();
    if (!absl::LoadTimeZone(common::ToAbsl(facts.policy.operator_info.time_zone), &facts.zone)) {
      return absl::FailedPreconditionError(fmt::format("the policy's time zone \"{}\" is unknown",
                                                       facts.policy.operator_info.time_zone));
    }
    facts.now = clock_.Now();
    store::RetentionStore& retention = dir_.store().retention();
    ASSIGN_OR_RETURN(std::vector<store::LegalHoldRow> holds, retention.ListHolds(""));
    for (store::LegalHoldRow& hold : holds) {
      if (hold.released_at) continue;
      facts.subjects[hold.subject_id].holds.push_back(
          {std::move(hold.id), std::move(hold.category), hold.until});
    }
    ASSIGN_OR_RETURN(std::vector<store::ContractEndRow> ends, retention.ListContractEnds(""));
    for (store::ContractEndRow& end : ends) {
      facts.subjects[end.subject_id].contract_ends[end.service] = end.ended_at;
    }
    ASSIGN_OR_RETURN(std::vector<store::LastUseRow> uses, retention.ListLastUses());
    for (store::LastUseRow& use : uses) {
      facts.subjects[use.subject_id].last_uses[use.purpose] = use.used_at;
    }
    if (count_records) {
      ASSIGN_OR_RETURN(facts.total_records, dir_.store().records().CountRecords());
    }
    ASSIGN_OR_RETURN(std::vector<store::RecordSegmentRow> segments, retention.ListSegments());
    for (store::RecordSegmentRow& segment : segments) {
      if (segment.dropped) facts.dropped_segments.push_back(std::move(segment));
    }
    return facts;
  });
}

absl::StatusOr<Engine::SweepPlan> Engine::PlanSweep(const SweepFacts& facts, absl::Time as_of,
                                                    const SweepOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<store::StoreReader> reader, dir_.store().OpenReader());
  SweepPlan plan;
  // Due records gathered by data key: "subject \x1f category \x1f bucket".
  absl::flat_hash_map<std::string, size_t> key_index;
  std::string key_name;
  static const retention::SubjectRetentionFacts kNoFacts;
  // Segments first: one whose every record is due goes whole (except what
  // a hold keeps), one with none due is not read at all, and the others
  // are read record by record with the main table.
  std::vector<int64_t> skip;
  ASSIGN_OR_RETURN(std::vector<store::RecordSegmentRow> segments, reader->ListSegments());
  for (const store::RecordSegmentRow& segment : segments) {
    const SegmentDue due = SegmentDueOf(facts.policy, facts.zone, segment, as_of);
    if (due == SegmentDue::kSome) continue;
    const policy::ErasureMode mode = ErasureModeOf(facts.policy, segment.category);
    skip.push_back(segment.id);
    if (due == SegmentDue::kNone) continue;
    plan.segments.push_back({segment.id, segment.category, segment.bucket, mode});
    if (!options.dry_run) continue;  // the drop counts them
    ASSIGN_OR_RETURN(int64_t records, reader->CountSegmentRecords(segment.id, ""));
    int64_t held = 0;
    for (const auto& [subject_id, subject] : facts.subjects) {
      if (!HeldAt(subject, segment.category, as_of)) continue;
      ASSIGN_OR_RETURN(int64_t kept, reader->CountSegmentRecords(segment.id, subject_id));
      held += kept;
    }
    plan.scanned += records;
    plan.held += held;
    (mode == policy::ErasureMode::kDeidentify ? plan.due_deidentify : plan.due_delete) +=
        records - held;
  }
  std::vector<store::RecordTermsRow> page;
  int64_t after = 0;
  while (true) {
    if (options.cancel != nullptr && options.cancel->load()) {
      return absl::CancelledError("the retention sweep was stopped");
    }
    RETURN_IF_ERROR(reader->ScanRecordTerms(after, kScanPage, page, skip));
    if (page.empty()) break;
    for (store::RecordTermsRow& row : page) {
      auto it = facts.subjects.find(row.subject_id);
      const retention::SubjectRetentionFacts& subject =
          it != facts.subjects.end() ? it->second : kNoFacts;
      const retention::RecordFate fate =
          retention::FateOf(facts.policy, facts.zone, subject,
                            {row.category, row.service, &row.purposes, row.collected_at}, as_of);
      if (fate.state == retention::FateState::kHeld) {
        ++plan.held;
        continue;
      }
      if (fate.state != retention::FateState::kDue) continue;
      const policy::ErasureMode mode = ErasureModeOf(facts.policy, row.category);
      (mode == policy::ErasureMode::kDeidentify ? plan.due_deidentify : plan.due_delete)++;
      key_name.assign(row.subject_id).append("\x1f").append(row.category).append("\x1f");
      key_name.append(row.key_bucket);
      auto [slot, inserted] = key_index.try_emplace(key_name, plan.keys.size());
      if (inserted) {
        plan.keys.push_back({{row.subject_id, row.category, row.key_bucket}, mode, {}});
      }
      plan.keys[slot->second].records.emplace_back(row.position, std::move(row.id));
    }
    plan.scanned += static_cast<int64_t>(page.size());
    after = page.back().position;
    if (options.progress) options.progress(plan.scanned, facts.total_records);
  }
  return plan;
}

absl::StatusOr<SweepSummary> Engine::EraseKeys(const std::string& by, SweepPlan& plan, size_t first,
                                               size_t end) {
  store::Store& store = dir_.store();
  store::RetentionStore& retention = store.retention();
  vault::Vault& vault = dir_.vault();
  SweepSummary tally;
  const absl::Time now = clock_.Now();
  const absl::TimeZone zone = OperatorZone();
  std::vector<std::string> touched;
  absl::flat_hash_map<std::string, std::vector<store::LegalHoldRow>> holds_by_subject;
  bool destroyed_any = false;
  std::vector<store::DataKeyId> destroyed_keys;
  std::vector<std::string> erased_subjects;
  // First every key's due records go (de-identified first where the policy
  // says so), then each key is looked at: counting what is left under a key
  // walks the rows of its subject and category that remain, so counting
  // after the whole job's deletions walks fewer of them.
  struct KeyErased {
    size_t key;
    int64_t deleted = 0;
    int64_t deidentified = 0;
  };
  std::vector<KeyErased> erased;
  erased.reserve(end - first);
  struct Deletion {
    int64_t position;
    const std::string* id;
    size_t erased;  // index in `erased`
  };
  std::vector<Deletion> deletions;
  std::string value;
  for (size_t k = first; k < end; ++k) {
    SweepPlan::KeyWork& work = plan.keys[k];
    const store::DataKeyId& key = work.key;
    if (work.dropped_records >= 0) {
      // Its records went with their segment (holds were looked at then).
      erased.push_back(
          KeyErased{k, work.dropped_records,
                    work.mode == policy::ErasureMode::kDeidentify ? work.dropped_records : 0});
      continue;
    }
    // A hold placed since the scan keeps the records after all.
    auto holds = holds_by_subject.find(key.subject_id);
    if (holds == holds_by_subject.end()) {
      ASSIGN_OR_RETURN(std::vector<store::LegalHoldRow> rows, retention.ListHolds(key.subject_id));
      holds = holds_by_subject.emplace(key.subject_id, std::move(rows)).first;
    }
    if (std::any_of(holds->second.begin(), holds->second.end(), [&](const store::LegalHoldRow& h) {
          return HoldCovers(h, key.category, now);
        })) {
      tally.held += static_cast<int64_t>(work.records.size());
      continue;
    }
    KeyErased& done = erased.emplace_back(KeyErased{k});
    if (work.mode == policy::ErasureMode::kDeidentify) {
      // The due records by id (in scan order, which is insertion order):
      // not the key's other rows.
      for (const auto& [position, id] : work.records) {
        ASSIGN_OR_RETURN(std::optional<store::RecordRow> record, store.records().GetRecord(id));
        if (!record || record->subject_id != key.subject_id || record->category != key.category ||
            record->key_bucket != key.bucket) {
          continue;
        }
        ASSIGN_OR_RETURN(bool stored,
                         StoreRemainder(vault, retention, random_, *record, zone, now, value));
        if (!stored) continue;
        ++done.deidentified;
      }
    }
    for (const auto& [position, id] : work.records) {
      deletions.push_back({position, &id, erased.size() - 1});
    }
  }
  // In position order: the job's rows lie in a few runs of the table (they
  // were imported together), and each page is then written once.
  std::sort(deletions.begin(), deletions.end(),
            [](const Deletion& a, const Deletion& b) { return a.position < b.position; });
  for (const Deletion& deletion : deletions) {
    ASSIGN_OR_RETURN(bool deleted, retention.DeleteRecordAt(deletion.position, *deletion.id));
    if (deleted) ++erased[deletion.erased].deleted;
  }
  for (const KeyErased& done : erased) {
    const SweepPlan::KeyWork& work = plan.keys[done.key];
    const store::DataKeyId& key = work.key;
    ASSIGN_OR_RETURN(int64_t remaining, retention.CountRecordsOfKey(key));
    bool key_destroyed = false;
    if (remaining == 0) {
      ASSIGN_OR_RETURN(int64_t destroyed, store.keys().DestroyDataKey(key));
      key_destroyed = destroyed > 0;
      if (key_destroyed) destroyed_keys.push_back(key);
      destroyed_any = destroyed_any || key_destroyed;
    }
    tally.deidentified += done.deidentified;
    tally.erased += done.deleted - done.deidentified;
    if (key_destroyed) ++tally.keys_destroyed;
    // Written straight as its canonical text: a sweep writes one per key,
    // by the hundred thousand.
    ledger::EntryBuilder entry;
    entry.Add("kind", "change")
        .Add("change", "retention.erase")
        .Add("actor", by)
        .Add("subject", key.subject_id)
        .Add("category", key.category)
        .Add("bucket", key.bucket)
        .Add("mode", policy::ErasureModeName(work.mode))
        .Add("records", done.deleted)
        .Add("deidentified", done.deidentified)
        .Add("key_destroyed", key_destroyed)
        .Add("records_left", remaining);
    ledger_->Stage(std::move(entry));
    if (touched.empty() || touched.back() != key.subject_id) touched.push_back(key.subject_id);
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (const std::string& subject : touched) {
    changed_subjects_.insert(subject);
    ASSIGN_OR_RETURN(bool left, retention.SubjectHasRecords(subject));
    if (left) continue;
    // Nothing of the person is left: nor may they be found, and every key
    // of theirs goes (texts sealed beside facts, such as consent evidence,
    // with them).
    ASSIGN_OR_RETURN(int64_t indexes, retention.DeleteBlindIndexes(subject));
    ASSIGN_OR_RETURN(int64_t keys, store.keys().DestroySubjectKeys(subject));
    RETURN_IF_ERROR(store.records().SetSubjectLanguage(subject, ""));
    destroyed_any = destroyed_any || keys > 0;
    erased_subjects.push_back(subject);
    ++tally.subjects_erased;
    json entry = ChangeEntry("retention.subject_erased", by);
    entry["subject"] = subject;
    entry["blind_indexes"] = indexes;
    entry["keys_destroyed"] = keys;
    ledger_->Stage(std::move(entry));
  }
  if (destroyed_any) {
    // The writer forgets exactly the destroyed keys; the readers forget
    // them once the batch commits (RunBatch). The key store's file is checkpointed
    // once, at the end of the sweep.
    vault.ForgetKeys(destroyed_keys, erased_subjects);
    forget_keys_.insert(forget_keys_.end(), destroyed_keys.begin(), destroyed_keys.end());
    forget_subjects_.insert(forget_subjects_.end(), erased_subjects.begin(), erased_subjects.end());
  }
  return tally;
}

// The erasure jobs of a plan, in order. Each job's size follows from the
// pace of the last one so that it holds the writer for about
// `options.job_budget`: foreground work queued meanwhile runs right after
// it. Two jobs are in flight, so that one runs while the other's commit is
// synced, and the sweep never waits for the disk with the writer idle.
absl::Status Engine::RunEraseJobs(const std::string& by, SweepPlan& plan,
                                  const SweepOptions& options, SweepSummary& summary) {
  struct Erased {
    SweepSummary tally;
    absl::Duration took;  // on the writer
    size_t first = 0, end = 0, records = 0;
  };
  constexpr size_t kFirstJobRecords = 64;
  JobPace pace(kFirstJobRecords, options.records_per_job, options.job_budget);
  // A job is sized by its records to delete; a dropped segment's key
  // counts as one.
  auto work_of = [&](size_t k) -> size_t {
    const SweepPlan::KeyWork& work = plan.keys[k];
    return work.dropped_records >= 0 ? 1 : work.records.size();
  };
  size_t first = 0;
  // The jobs in flight use the plan: RunJobsInFlight waits for them
  // whatever happens.
  const absl::StatusOr<JobsEnd> end = RunJobsInFlight<Erased>(
      options.cancel,
      [&]() -> std::optional<WriterJob<Erased>> {
        if (first >= plan.keys.size()) return std::nullopt;
        size_t job_end = first, records = 0;
        while (job_end < plan.keys.size() &&
               (job_end == first || records + work_of(job_end) <= pace.per_job())) {
          records += work_of(job_end);
          ++job_end;
        }
        const size_t job_first = std::exchange(first, job_end);
        return [this, &by, &plan, job_first, job_end, records]() -> absl::StatusOr<Erased> {
          const absl::Time start = absl::Now();
          ASSIGN_OR_RETURN(SweepSummary tally, EraseKeys(by, plan, job_first, job_end));
          return Erased{tally, absl::Now() - start, job_first, job_end, records};
        };
      },
      [this](WriterJob<Erased> job, std::function<void(absl::StatusOr<Erased>)> done) {
        SubmitAsync<Erased>(JobKind::kWrites, std::move(job), std::move(done));
      },
      [&](Erased& erased) {
        const SweepSummary& tally = erased.tally;
        summary.erased += tally.erased;
        summary.deidentified += tally.deidentified;
        summary.held += tally.held;
        summary.keys_destroyed += tally.keys_destroyed;
        summary.subjects_erased += tally.subjects_erased;
        pace.Learn(erased.records, erased.took);
        // The ids are no longer needed: give the memory back as we go.
        for (size_t k = erased.first; k < erased.end; ++k) {
          std::vector<std::pair<int64_t, std::string>>().swap(plan.keys[k].records);
        }
        return true;
      });
  RETURN_IF_ERROR(end.status());
  if (*end == JobsEnd::kCancelled) {
    return absl::CancelledError(fmt::format(
        "the retention sweep was stopped after erasing {} and de-identifying {} records",
        summary.erased, summary.deidentified));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Engine::DeidentifySegmentRecords(
    const SweepPlanSegment& segment, const std::vector<std::string>& held_subjects, size_t limit) {
  store::RetentionStore& retention = dir_.store().retention();
  const std::string cursor = DeidentifiedCursor(segment.id);
  ASSIGN_OR_RETURN(int64_t after, retention.GetCursor(cursor));
  ASSIGN_OR_RETURN(auto rows, retention.ListSegmentRecords(segment.id, after, limit));
  if (rows.empty()) return 0;
  const absl::Time now = clock_.Now();
  const absl::TimeZone zone = OperatorZone();
  std::string value;
  for (const auto& [position, record] : rows) {
    // What a hold keeps is kept whole (moved out before the drop).
    if (std::binary_search(held_subjects.begin(), held_subjects.end(), record.subject_id)) {
      continue;
    }
    ASSIGN_OR_RETURN(bool stored,
                     StoreRemainder(dir_.vault(), retention, random_, record, zone, now, value));
    (void)stored;
  }
  RETURN_IF_ERROR(retention.SetCursor(cursor, rows.back().first));
  return static_cast<int64_t>(rows.size());
}

absl::Status Engine::DeidentifySegment(const SweepPlanSegment& segment,
                                       const SweepOptions& options) {
  // Jobs of about `options.job_budget` of the writer, as the erasure's,
  // each committing its remainders with the cursor that says how far it
  // got: a stopped sweep resumes after it, and no record leaves two.
  JobPace pace(64, options.records_per_job, options.job_budget);
  while (true) {
    if (options.cancel != nullptr && options.cancel->load()) {
      return absl::CancelledError("the retention sweep was stopped");
    }
    struct Pass {
      int64_t rows = 0;
      absl::Duration took;
    };
    ASSIGN_OR_RETURN(
        Pass pass, Submit<Pass>(JobKind::kWrites, [&]() -> absl::StatusOr<Pass> {
          const absl::Time start = absl::Now();
          ASSIGN_OR_RETURN(std::vector<std::string> held,
                           HeldSubjects(dir_.store().retention(), segment.category, clock_.Now()));
          ASSIGN_OR_RETURN(int64_t rows, DeidentifySegmentRecords(segment, held, pace.per_job()));
          return Pass{rows, absl::Now() - start};
        }));
    if (pass.rows < static_cast<int64_t>(pace.per_job())) return absl::OkStatus();
    pace.Learn(static_cast<size_t>(pass.rows), pass.took);
  }
}

absl::Status Engine::ScrubDroppedPages(const SweepOptions& options, bool release) {
  // Pages a job fills or frees; a page is 16 KiB. Filling writes each page
  // whole to the WAL, and the sync after the job writes them to the disk
  // while the reads committed next wait for it: the writer fills 8 MB in
  // its 2 ms budget, which the disk here takes tens of ms to sync. So a
  // fill job writes at most 1 MB, which it syncs in a few (reads' p99 beside
  // a sweep 14.6 -> 9.4-11.2 ms; docs/performance.md). Freeing them again
  // writes little (with secure_delete=FAST, a page number in a free-list
  // page), so it goes at the writer's pace.
  constexpr size_t kFirstJobPages = 32;
  constexpr size_t kMostFillPages = 64;
  constexpr size_t kMostReleasePages = 4096;
  store::RetentionStore& retention = dir_.store().retention();
  struct Pass {
    int64_t pages = 0;
    int64_t left = 0;
    absl::Duration took;
  };
  // Jobs of `step` (pages to take → pages left) until one leaves none.
  auto run = [&](size_t most_pages, auto step) -> absl::Status {
    JobPace pace(kFirstJobPages, most_pages, options.job_budget);
    const absl::StatusOr<JobsEnd> end = RunJobsInFlight<Pass>(
        options.cancel,
        [&]() -> std::optional<WriterJob<Pass>> {
          const int64_t pages = static_cast<int64_t>(pace.per_job());
          return [step, pages]() -> absl::StatusOr<Pass> {
            const absl::Time start = absl::Now();
            ASSIGN_OR_RETURN(int64_t left, step(pages));
            return Pass{pages, left, absl::Now() - start};
          };
        },
        [this](WriterJob<Pass> job, std::function<void(absl::StatusOr<Pass>)> done) {
          SubmitAsync<Pass>(JobKind::kWrites, std::move(job), std::move(done));
        },
        [&](Pass& pass) {
          if (pass.left == 0) return false;
          pace.Learn(static_cast<size_t>(pass.pages), pass.took);
          return true;
        });
    RETURN_IF_ERROR(end.status());
    // The pages left are filled by the next sweep.
    if (*end == JobsEnd::kCancelled) return absl::CancelledError("the retention sweep was stopped");
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(
      run(kMostFillPages, [&retention](int64_t pages) { return retention.ScrubFreePages(pages); }));
  if (!release) return absl::OkStatus();
  // Freeing a page costs far less than filling it: its own pace.
  return run(kMostReleasePages,
             [&retention](int64_t pages) { return retention.ReleaseScrubbedPages(pages); });
}

absl::Status Engine::DropDueSegments(const std::string& by, const SweepFacts& facts,
                                     SweepPlan& plan, const SweepOptions& options,
                                     SweepSummary& summary) {
  if (plan.segments.empty() && facts.dropped_segments.empty()) return absl::OkStatus();
  SweepPlan keys;  // the keys of the dropped segments' records
  // A month of several segments names a subject's key in each: one key,
  // one entry, with all its records. Indexes into keys.keys by name.
  absl::flat_hash_map<std::string, size_t> key_index;
  auto add_key = [&](std::string subject, const std::string& category, const std::string& bucket,
                     policy::ErasureMode mode, int64_t records) {
    std::string name = subject;
    name.append("\x1f").append(category).append("\x1f").append(bucket);
    auto [slot, inserted] = key_index.try_emplace(std::move(name), keys.keys.size());
    if (inserted) {
      keys.keys.push_back({{std::move(subject), category, bucket}, mode, {}, records});
    } else {
      keys.keys[slot->second].dropped_records += records;
    }
  };
  std::vector<int64_t> dropped;
  // A segment a stopped sweep dropped: what is left of it is in the key
  // store (a key still used by other records is kept, as always).
  for (const store::RecordSegmentRow& segment : facts.dropped_segments) {
    const policy::ErasureMode mode = ErasureModeOf(facts.policy, segment.category);
    ASSIGN_OR_RETURN(std::vector<std::string> subjects,
                     Submit<std::vector<std::string>>(JobKind::kRecords, [&]() {
                       return dir_.store().keys().ListDataKeySubjects(segment.category,
                                                                      segment.bucket);
                     }));
    for (std::string& subject : subjects) {
      add_key(std::move(subject), segment.category, segment.bucket, mode, 0);
    }
    dropped.push_back(segment.id);
  }
  struct Dropped {
    std::vector<store::SubjectRecordCount> counts;
    int64_t records = 0;
    int64_t held = 0;
  };
  // Each segment's records are counted per subject on a reader of the
  // sweep's own, off the writer: the count reads the segment's whole subject
  // index, two thirds of what its drop job did. The drop job takes that
  // count when the segment's version says nothing changed its rows since
  // (a rolled-back change moves it too, to no harm); else it counts again.
  std::unique_ptr<store::StoreReader> reader;
  if (!plan.segments.empty()) {
    ASSIGN_OR_RETURN(reader, dir_.store().OpenReader());
  }
  struct Counted {
    int64_t version = 0;
    std::vector<store::SubjectRecordCount> counts;
  };
  for (const SweepPlan::SegmentWork& segment : plan.segments) {
    if (options.cancel != nullptr && options.cancel->load()) break;
    if (segment.mode == policy::ErasureMode::kDeidentify) {
      RETURN_IF_ERROR(DeidentifySegment(segment, options));
    }
    // The version first, committed before the reader's snapshot begins: a
    // change the snapshot sees but the version does not is impossible.
    std::optional<Counted> counted;
    ASSIGN_OR_RETURN(int64_t version, Submit<int64_t>(JobKind::kRecords, [&]() {
                       return dir_.store().retention().SegmentVersion(segment.id);
                     }));
    if (absl::StatusOr<std::vector<store::SubjectRecordCount>> counts =
            reader->CountSegmentRecordsBySubject(segment.id);
        counts.ok()) {
      counted = Counted{version, *std::move(counts)};
    }
    ASSIGN_OR_RETURN(
        Dropped done, Submit<Dropped>(JobKind::kWrites, [&]() -> absl::StatusOr<Dropped> {
          store::RetentionStore& retention = dir_.store().retention();
          const absl::Time now = clock_.Now();
          Dropped done;
          ASSIGN_OR_RETURN(std::vector<std::string> held_subjects,
                           HeldSubjects(retention, segment.category, now));
          if (segment.mode == policy::ErasureMode::kDeidentify) {
            // Records that came since the last pass (normally none).
            ASSIGN_OR_RETURN(int64_t left,
                             DeidentifySegmentRecords(segment, held_subjects,
                                                      std::numeric_limits<size_t>::max()));
            (void)left;
          }
          ASSIGN_OR_RETURN(int64_t version_now, retention.SegmentVersion(segment.id));
          const bool still_counted = counted && counted->version == version_now;
          // What a hold keeps moves to the main table, under the same keys,
          // and goes record by record once the hold is released.
          for (const std::string& subject : held_subjects) {
            ASSIGN_OR_RETURN(int64_t moved, retention.MoveSubjectOutOfSegment(segment.id, subject));
            done.held += moved;
          }
          if (still_counted) {
            RETURN_IF_ERROR(retention.DropCountedSegment(segment.id));
            done.counts = counted->counts;
            std::erase_if(done.counts, [&](const store::SubjectRecordCount& count) {
              return std::binary_search(held_subjects.begin(), held_subjects.end(),
                                        count.subject_id);
            });
          } else {
            ASSIGN_OR_RETURN(done.counts, retention.DropSegment(segment.id));
          }
          // How far its records were de-identified: nothing left to resume.
          RETURN_IF_ERROR(retention.SetCursor(DeidentifiedCursor(segment.id), 0));
          for (const store::SubjectRecordCount& count : done.counts) done.records += count.records;
          json entry = ChangeEntry("retention.segment_drop", by);
          entry["segment"] = segment.id;
          entry["category"] = segment.category;
          entry["bucket"] = segment.bucket;
          entry["records"] = done.records;
          entry["subjects"] = done.counts.size();
          entry["held"] = done.held;
          RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
          return done;
        }));
    summary.scanned += done.records + done.held;
    summary.held += done.held;
    for (store::SubjectRecordCount& count : done.counts) {
      add_key(std::move(count.subject_id), segment.category, segment.bucket, segment.mode,
              count.records);
    }
    dropped.push_back(segment.id);
    // Its pages are overwritten now, not at the end: they hold its rows'
    // columns until then.
    RETURN_IF_ERROR(ScrubDroppedPages(options, /*release=*/false));
  }
  // By subject: the key store holds a subject's keys together, so the
  // keys of all the dropped months are destroyed page by page, each page
  // written once, and each subject is looked at once.
  auto key_of = [](const SweepPlan::KeyWork& work) {
    return std::tie(work.key.subject_id, work.key.category, work.key.bucket);
  };
  std::sort(keys.keys.begin(), keys.keys.end(),
            [&](const SweepPlan::KeyWork& a, const SweepPlan::KeyWork& b) {
              return key_of(a) < key_of(b);
            });
  key_index.clear();
  RETURN_IF_ERROR(RunEraseJobs(by, keys, options, summary));
  if (options.cancel != nullptr && options.cancel->load()) {
    return absl::CancelledError(fmt::format(
        "the retention sweep was stopped after erasing {} and de-identifying {} records",
        summary.erased, summary.deidentified));
  }
  // Every key they used is destroyed: the segments are forgotten.
  return Submit<bool>(JobKind::kRecords,
                      [&]() -> absl::StatusOr<bool> {
                        for (int64_t segment : dropped) {
                          RETURN_IF_ERROR(dir_.store().retention().ForgetSegment(segment));
                        }
                        return true;
                      })
      .status();
}

absl::StatusOr<SweepSummary> Engine::SweepRetention(std::string by, SweepOptions options) {
  if (!options.dry_run && (options.as_of || options.as_of_day)) {
    return Invalid("as_of: only a dry run may look at another date; a real sweep runs now");
  }
  if (options.records_per_job == 0) options.records_per_job = 1;
  std::unique_lock<std::mutex> one_sweep(sweep_mutex_, std::defer_lock);
  if (!options.dry_run && !one_sweep.try_lock()) {
    return absl::FailedPreconditionError(
        "a retention sweep is already running; try again when it has ended");
  }
  RETURN_IF_ERROR(UpdateLastUses(options));
  ASSIGN_OR_RETURN(SweepFacts facts, LoadSweepFacts(options.progress != nullptr));
  SweepSummary summary;
  summary.dry_run = options.dry_run;
  summary.as_of = options.as_of_day ? absl::FromCivil(*options.as_of_day, facts.zone)
                                    : options.as_of.value_or(facts.now);
  ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(facts, summary.as_of, options));
  summary.scanned = plan.scanned;
  summary.held = plan.held;
  // Statutory provision records (Art. 29, 30) go by their own keep_until
  // (engine/provision.cc), not with the subject's data keys.
  ASSIGN_OR_RETURN(summary.provision_records_erased,
                   EraseProvisionRecords(by, summary.as_of, options.dry_run));
  if (options.dry_run) {
    summary.erased = plan.due_delete;
    summary.deidentified = plan.due_deidentify;
    return summary;
  }
  absl::Status erased = DropDueSegments(by, facts, plan, options, summary);
  if (erased.ok()) erased = RunEraseJobs(by, plan, options, summary);
  // Also what a stopped sweep's drops left; then the pages are freed again
  // for the store to reuse.
  if (erased.ok()) erased = ScrubDroppedPages(options, /*release=*/true);
  if (!erased.ok()) {
    // Stopped or failed part way: what was destroyed is still overwritten
    // in the key store's file.
    if (summary.keys_destroyed > 0 || summary.subjects_erased > 0) {
      (void)Submit<bool>(JobKind::kRecords, [&]() -> absl::StatusOr<bool> {
        checkpoint_keys_ = true;
        return true;
      });
    }
    return erased;
  }
  absl::StatusOr<bool> recorded = Submit<bool>(JobKind::kRecords, [&]() -> absl::StatusOr<bool> {
    // Destroyed keys are committed: overwrite them in the key store's main
    // file too, once this batch commits.
    if (summary.keys_destroyed > 0 || summary.subjects_erased > 0) checkpoint_keys_ = true;
    json entry = ChangeEntry("retention.sweep", by);
    entry["as_of"] = common::FormatTimestamp(summary.as_of);
    entry["scanned"] = summary.scanned;
    entry["erased"] = summary.erased;
    entry["deidentified"] = summary.deidentified;
    entry["held"] = summary.held;
    entry["keys_destroyed"] = summary.keys_destroyed;
    entry["subjects_erased"] = summary.subjects_erased;
    entry["provision_records_erased"] = summary.provision_records_erased;
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
    return true;
  });
  RETURN_IF_ERROR(recorded.status());
  return summary;
}

}  // namespace mamori::engine
