// The SQLite UseIndexStore and IncidentStore: the use index folded from the
// ledger, the last verified tree head, and incidents with their affected
// subjects and reports, in the records file and on its connection
// (sqlite_parts.h), so they commit with the ledger entries they follow.
//
// Category lists are joined by ',' (category ids never contain one) and
// merged in C++: SQLite has no array type, and a window of an actor's uses
// is small enough to merge in memory.
//
// Error messages name the row, never a stored value.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <climits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "store/internal/sqlite_db.h"
#include "store/internal/sqlite_parts.h"
#include "store/internal/sqlite_rows.h"

namespace mamori::store::internal {
namespace {

using StepResult = SqliteStatement::StepResult;

constexpr int64_t kMicrosPerDay = 86'400'000'000;

constexpr std::string_view kUseColumns =
    "SELECT seq, at, actor, action, allowed, purpose, subject, recipient, categories, rule_id, "
    "reason_code, flagged, ground FROM ledger_uses ";
constexpr std::string_view kIncidentColumns =
    "SELECT id, opened_at, opened_by, discovered_at, occurred_at, cause, suspected, description, "
    "scope_json, narrative_json, status, closed_at, updated_at FROM incidents ";

// What CountUses may group by: each name is also its column, so a name
// from this list (never the caller's text) goes into the SQL.
constexpr std::string_view kCountKeys[] = {"purpose", "action", "rule_id", "reason_code", "actor"};

std::vector<std::string> SplitList(std::string_view joined) {
  if (joined.empty()) return {};
  return absl::StrSplit(common::ToAbsl(joined), ',');
}

void SortDistinct(std::vector<std::string>& list) {
  std::sort(list.begin(), list.end());
  list.erase(std::unique(list.begin(), list.end()), list.end());
}

UseRow ReadUse(const SqliteStatement& stmt) {
  UseRow row;
  row.seq = stmt.ColumnInt(0);
  row.at = FromMicros(stmt.ColumnInt(1));
  row.actor = stmt.ColumnText(2);
  row.action = stmt.ColumnText(3);
  row.allowed = stmt.ColumnInt(4) != 0;
  row.purpose = stmt.ColumnText(5);
  row.subject = stmt.ColumnText(6);
  row.recipient = stmt.ColumnText(7);
  row.categories = SplitList(stmt.ColumnTextView(8));
  row.rule_id = stmt.ColumnText(9);
  row.reason_code = stmt.ColumnText(10);
  row.flagged_for_audit = stmt.ColumnInt(11) != 0;
  row.ground = stmt.ColumnText(12);
  return row;
}

IncidentRow ReadIncident(const SqliteStatement& stmt) {
  IncidentRow row;
  row.id = stmt.ColumnText(0);
  row.opened_at = FromMicros(stmt.ColumnInt(1));
  row.opened_by = stmt.ColumnText(2);
  row.discovered_at = FromMicros(stmt.ColumnInt(3));
  row.occurred_at = ColumnOptionalTime(stmt, 4);
  row.cause = stmt.ColumnText(5);
  row.suspected = stmt.ColumnInt(6) != 0;
  row.description = stmt.ColumnText(7);
  row.scope_json = stmt.ColumnText(8);
  row.narrative_json = stmt.ColumnText(9);
  row.status = stmt.ColumnText(10);
  row.closed_at = ColumnOptionalTime(stmt, 11);
  row.updated_at = FromMicros(stmt.ColumnInt(12));
  return row;
}

IncidentSubjectRow ReadIncidentSubject(const SqliteStatement& stmt) {
  IncidentSubjectRow row;
  row.incident_id = stmt.ColumnText(0);
  row.subject_id = stmt.ColumnText(1);
  row.categories = SplitList(stmt.ColumnTextView(2));
  row.encrypted_without_keys = stmt.ColumnInt(3) != 0;
  return row;
}

IncidentReportRow ReadReport(const SqliteStatement& stmt) {
  return IncidentReportRow{stmt.ColumnText(0), stmt.ColumnText(1), FromMicros(stmt.ColumnInt(2)),
                           stmt.ColumnText(3), stmt.ColumnText(4)};
}

// Each subject `stmt` (already bound; columns subject, categories and, when
// `actions` is given, action) yields with the union of its categories, in
// subject order.
absl::StatusOr<std::vector<TouchedSubject>> MergeTouched(
    SqliteStatement& stmt, const std::set<std::string, std::less<>>* actions) {
  StatementScope scope(stmt);
  // A window holds many rows and few distinct category lists: number the
  // lists, sort (subject, list) pairs, and split each list once.
  std::map<std::string, int, std::less<>> list_ids;
  std::vector<std::pair<std::string, int>> rows;
  while (true) {
    ASSIGN_OR_RETURN(StepResult r, stmt.Step());
    if (r == StepResult::kDone) break;
    if (actions != nullptr && !actions->contains(stmt.ColumnTextView(2))) continue;
    const std::string_view list = stmt.ColumnTextView(1);
    auto it = list_ids.find(list);
    if (it == list_ids.end()) {
      it = list_ids.emplace(std::string(list), static_cast<int>(list_ids.size())).first;
    }
    rows.emplace_back(stmt.ColumnTextView(0), it->second);
  }
  std::vector<std::vector<std::string>> lists(list_ids.size());
  for (const auto& [joined, id] : list_ids) {
    lists[id] = SplitList(joined);
    SortDistinct(lists[id]);
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  std::vector<TouchedSubject> touched;
  for (size_t i = 0; i < rows.size();) {
    TouchedSubject t;
    t.subject_id = std::move(rows[i].first);
    t.categories = lists[rows[i].second];
    size_t j = i + 1;
    for (; j < rows.size() && rows[j].first == t.subject_id; ++j) {
      const std::vector<std::string>& more = lists[rows[j].second];
      t.categories.insert(t.categories.end(), more.begin(), more.end());
    }
    if (j > i + 1) SortDistinct(t.categories);
    touched.push_back(std::move(t));
    i = j;
  }
  return touched;
}

class SqliteUseIndexStore final : public UseIndexStore {
 public:
  explicit SqliteUseIndexStore(SqliteDatabase& db) : db_(db) {}

  absl::Status PrepareStatements() {
    ASSIGN_OR_RETURN(insert_use_,
                     db_.Prepare("INSERT OR IGNORE INTO ledger_uses (seq, at, actor, action, "
                                 "allowed, purpose, subject, recipient, categories, rule_id, "
                                 "reason_code, flagged, ground) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(touched_by_actor_,
                     db_.Prepare("SELECT subject, categories, action FROM ledger_uses "
                                 "WHERE actor = ? AND at >= ? AND at < ? AND allowed = 1 "
                                 "AND subject <> ''"));
    // `recipient <> ''` lets SQLite use the partial index uses_by_recipient.
    ASSIGN_OR_RETURN(provided_to_,
                     db_.Prepare("SELECT subject, categories FROM ledger_uses "
                                 "WHERE recipient = ? AND recipient <> '' AND at >= ? AND at < ? "
                                 "AND allowed = 1 AND subject <> ''"));
    ASSIGN_OR_RETURN(list_uses_,
                     db_.Prepare(fmt::format(
                         "{}WHERE at >= ? AND at < ? ORDER BY seq, subject LIMIT ?", kUseColumns)));
    ASSIGN_OR_RETURN(list_uses_of_actor_,
                     db_.Prepare(fmt::format("{}WHERE actor = ? AND at >= ? AND at < ? "
                                             "ORDER BY seq, subject LIMIT ?",
                                             kUseColumns)));
    for (std::string_view key : kCountKeys) {
      CountStatements& stmts = count_uses_[std::string(key)];
      // A find of three subjects is three rows and one entry: count seqs.
      constexpr std::string_view kCount =
          "SELECT {0}, allowed, COUNT(DISTINCT seq) FROM ledger_uses WHERE {1}at >= ? AND at < ? "
          "GROUP BY {0}, allowed ORDER BY {0}, allowed DESC";
      ASSIGN_OR_RETURN(stmts.all, db_.Prepare(fmt::format(fmt::runtime(kCount), key, "")));
      ASSIGN_OR_RETURN(stmts.of_actor,
                       db_.Prepare(fmt::format(fmt::runtime(kCount), key, "actor = ? AND ")));
    }
    ASSIGN_OR_RETURN(count_categories_,
                     db_.Prepare("SELECT categories, COUNT(*) FROM ledger_uses "
                                 "WHERE at >= ? AND at < ? AND allowed = 1 GROUP BY categories"));
    ASSIGN_OR_RETURN(count_categories_of_actor_,
                     db_.Prepare("SELECT categories, COUNT(*) FROM ledger_uses "
                                 "WHERE actor = ? AND at >= ? AND at < ? AND allowed = 1 "
                                 "GROUP BY categories"));
    ASSIGN_OR_RETURN(count_subjects_,
                     db_.Prepare("SELECT COUNT(DISTINCT subject) FROM ledger_uses "
                                 "WHERE at >= ? AND at < ? AND allowed = 1 AND subject <> ''"));
    ASSIGN_OR_RETURN(count_subjects_of_actor_,
                     db_.Prepare("SELECT COUNT(DISTINCT subject) FROM ledger_uses "
                                 "WHERE actor = ? AND at >= ? AND at < ? AND allowed = 1 "
                                 "AND subject <> ''"));
    // Times are after 1970, so integer division is the floor.
    ASSIGN_OR_RETURN(
        actor_days_,
        db_.Prepare(fmt::format(
            "SELECT actor, (at + ?3) / {0} AS day, "
            "COUNT(DISTINCT CASE WHEN allowed = 1 AND subject <> '' THEN subject END), "
            "COUNT(DISTINCT CASE WHEN allowed = 0 THEN seq END) "
            "FROM ledger_uses WHERE at >= ?1 AND at < ?2 GROUP BY actor, day ORDER BY actor, day",
            kMicrosPerDay)));
    ASSIGN_OR_RETURN(
        uses_by_day_,
        db_.Prepare(fmt::format(
            "SELECT (at + ?3) / {0} AS day, COUNT(DISTINCT CASE WHEN allowed = 1 THEN seq END), "
            "COUNT(DISTINCT CASE WHEN allowed = 0 THEN seq END) "
            "FROM ledger_uses WHERE at >= ?1 AND at < ?2 GROUP BY day ORDER BY day",
            kMicrosPerDay)));
    // SummarizeUses: each actor in turn (an index seek), then its window in
    // index order, where one entry's rows are adjacent and days follow
    // each other.
    ASSIGN_OR_RETURN(next_actor_, db_.Prepare("SELECT actor FROM ledger_uses WHERE actor > ? "
                                              "ORDER BY actor LIMIT 1"));
    ASSIGN_OR_RETURN(actor_window_,
                     db_.Prepare("SELECT at, allowed, rule_id, seq, subject FROM ledger_uses "
                                 "INDEXED BY uses_by_actor WHERE actor = ? AND at >= ? AND at < ? "
                                 "ORDER BY actor, at, allowed, action, categories, rule_id"));
    ASSIGN_OR_RETURN(flagged_uses_,
                     db_.Prepare(fmt::format("{}WHERE flagged = 1 AND at >= ? AND at < ? "
                                             "ORDER BY seq, subject LIMIT ?",
                                             kUseColumns)));
    // Walks uses_by_actor_purpose backwards, one (actor, purpose,
    // categories) group at a time: the first row before a group is the
    // latest of the group before it. Each step is an index seek; the
    // before-group condition is spelled out by level because SQLite seeks
    // a row-value comparison on its first column only, which would scan the
    // whole actor at every step.
    constexpr std::string_view kLastUse =
        "SELECT actor, purpose, categories, at FROM ledger_uses WHERE allowed = 1 {}"
        "ORDER BY actor DESC, purpose DESC, categories DESC, at DESC LIMIT 1";
    ASSIGN_OR_RETURN(last_use_, db_.Prepare(fmt::format(fmt::runtime(kLastUse), "")));
    ASSIGN_OR_RETURN(
        last_use_before_[0],
        db_.Prepare(fmt::format(fmt::runtime(kLastUse),
                                "AND actor = ?1 AND purpose = ?2 AND categories < ?3 ")));
    ASSIGN_OR_RETURN(
        last_use_before_[1],
        db_.Prepare(fmt::format(fmt::runtime(kLastUse), "AND actor = ?1 AND purpose < ?2 ")));
    ASSIGN_OR_RETURN(last_use_before_[2],
                     db_.Prepare(fmt::format(fmt::runtime(kLastUse), "AND actor < ?1 ")));
    ASSIGN_OR_RETURN(last_verified_head_,
                     db_.Prepare("SELECT tree_size, root_hash, verified_at FROM verified_heads "
                                 "ORDER BY tree_size DESC LIMIT 1"));
    // Verifying the same head again records the later time.
    ASSIGN_OR_RETURN(put_verified_head_,
                     db_.Prepare("INSERT OR REPLACE INTO verified_heads (tree_size, root_hash, "
                                 "verified_at) VALUES (?, ?, ?)"));
    return absl::OkStatus();
  }

  absl::Status InsertUses(std::span<const UseRow> uses) override {
    SqliteStatement& stmt = *insert_use_;
    std::string categories;
    for (const UseRow& use : uses) {
      categories = absl::StrJoin(use.categories, ",");
      RETURN_IF_ERROR(stmt.BindInt(1, use.seq)
                          .BindInt(2, ToMicros(use.at))
                          .BindText(3, NonNull(use.actor))
                          .BindText(4, NonNull(use.action))
                          .BindInt(5, use.allowed ? 1 : 0)
                          .BindText(6, NonNull(use.purpose))
                          .BindText(7, NonNull(use.subject))
                          .BindText(8, NonNull(use.recipient))
                          .BindText(9, categories)
                          .BindText(10, NonNull(use.rule_id))
                          .BindText(11, NonNull(use.reason_code))
                          .BindInt(12, use.flagged_for_audit ? 1 : 0)
                          .BindText(13, NonNull(use.ground))
                          .Run());
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<TouchedSubject>> SubjectsTouchedByActor(
      std::string_view actor, absl::Time from, absl::Time to,
      std::span<const std::string> actions) override {
    if (actions.empty()) return std::vector<TouchedSubject>{};
    // The index is (actor, at): every row of the window is visited anyway,
    // so filtering actions here costs no more than in SQL and needs no
    // statement per number of actions.
    const std::set<std::string, std::less<>> wanted(actions.begin(), actions.end());
    touched_by_actor_->BindText(1, NonNull(actor))
        .BindInt(2, ToMicros(from))
        .BindInt(3, ToMicros(to));
    return MergeTouched(*touched_by_actor_, &wanted);
  }

  absl::StatusOr<std::vector<TouchedSubject>> SubjectsProvidedTo(std::string_view recipient,
                                                                 absl::Time from,
                                                                 absl::Time to) override {
    provided_to_->BindText(1, NonNull(recipient))
        .BindInt(2, ToMicros(from))
        .BindInt(3, ToMicros(to));
    return MergeTouched(*provided_to_, nullptr);
  }

  absl::StatusOr<std::vector<UseRow>> ListUses(std::string_view actor, absl::Time from,
                                               absl::Time to, size_t limit) override {
    // A negative LIMIT is none.
    const int64_t sql_limit = limit == 0 ? -1 : static_cast<int64_t>(limit);
    SqliteStatement& stmt = actor.empty() ? *list_uses_ : *list_uses_of_actor_;
    const int first = BindActor(stmt, actor);
    stmt.BindInt(first, ToMicros(from))
        .BindInt(first + 1, ToMicros(to))
        .BindInt(first + 2, sql_limit);
    return ReadAll(stmt, &ReadUse);
  }

  absl::StatusOr<std::vector<UseCount>> CountUses(std::string_view actor, absl::Time from,
                                                  absl::Time to, std::string_view by) override {
    auto it = count_uses_.find(by);
    if (it == count_uses_.end()) {
      return absl::InvalidArgumentError(fmt::format(
          "uses cannot be counted by \"{}\"; use purpose, action, rule_id, reason_code or actor",
          by));
    }
    SqliteStatement& stmt = actor.empty() ? *it->second.all : *it->second.of_actor;
    const int first = BindActor(stmt, actor);
    stmt.BindInt(first, ToMicros(from)).BindInt(first + 1, ToMicros(to));
    return ReadAll<UseCount>(stmt, [](const SqliteStatement& s) {
      return UseCount{s.ColumnText(0), s.ColumnInt(1) != 0 ? "allow" : "deny", s.ColumnInt(2)};
    });
  }

  absl::StatusOr<std::vector<UseCount>> CountCategories(std::string_view actor, absl::Time from,
                                                        absl::Time to) override {
    SqliteStatement& stmt = actor.empty() ? *count_categories_ : *count_categories_of_actor_;
    StatementScope scope(stmt);
    const int first = BindActor(stmt, actor);
    stmt.BindInt(first, ToMicros(from)).BindInt(first + 1, ToMicros(to));
    std::map<std::string, int64_t, std::less<>> counts;
    while (true) {
      ASSIGN_OR_RETURN(StepResult r, stmt.Step());
      if (r == StepResult::kDone) break;
      const int64_t rows = stmt.ColumnInt(1);
      for (absl::string_view split :
           absl::StrSplit(common::ToAbsl(stmt.ColumnTextView(0)), ',', absl::SkipEmpty())) {
        const std::string_view c = common::FromAbsl(split);
        auto found = counts.find(c);
        if (found == counts.end()) found = counts.emplace(std::string(c), 0).first;
        found->second += rows;
      }
    }
    std::vector<UseCount> out;
    out.reserve(counts.size());
    for (auto& [category, count] : counts) out.push_back(UseCount{category, "", count});
    return out;
  }

  absl::StatusOr<int64_t> CountSubjectsTouched(std::string_view actor, absl::Time from,
                                               absl::Time to) override {
    SqliteStatement& stmt = actor.empty() ? *count_subjects_ : *count_subjects_of_actor_;
    StatementScope scope(stmt);
    const int first = BindActor(stmt, actor);
    stmt.BindInt(first, ToMicros(from)).BindInt(first + 1, ToMicros(to));
    ASSIGN_OR_RETURN(StepResult r, stmt.Step());
    if (r == StepResult::kDone) return 0;
    return stmt.ColumnInt(0);
  }

  absl::StatusOr<std::vector<ActorDayRow>> ActorDays(absl::Time from, absl::Time to,
                                                     absl::Duration utc_offset) override {
    actor_days_->BindInt(1, ToMicros(from))
        .BindInt(2, ToMicros(to))
        .BindInt(3, absl::ToInt64Microseconds(utc_offset));
    return ReadAll<ActorDayRow>(*actor_days_, [](const SqliteStatement& s) {
      return ActorDayRow{s.ColumnText(0), s.ColumnInt(1), s.ColumnInt(2), s.ColumnInt(3)};
    });
  }

  absl::StatusOr<std::vector<DayUseCount>> CountUsesByDay(absl::Time from, absl::Time to,
                                                          absl::Duration utc_offset) override {
    uses_by_day_->BindInt(1, ToMicros(from))
        .BindInt(2, ToMicros(to))
        .BindInt(3, absl::ToInt64Microseconds(utc_offset));
    return ReadAll<DayUseCount>(*uses_by_day_, [](const SqliteStatement& s) {
      return DayUseCount{s.ColumnInt(0), s.ColumnInt(1), s.ColumnInt(2)};
    });
  }

  absl::StatusOr<UseSummary> SummarizeUses(absl::Time from, absl::Time to,
                                           absl::Duration utc_offset) override {
    const int64_t offset = absl::ToInt64Microseconds(utc_offset);
    std::map<std::pair<std::string, bool>, int64_t> by_rule;
    std::map<int64_t, std::pair<int64_t, int64_t>> by_day;
    UseSummary summary;
    std::string actor;
    std::string subject;
    absl::flat_hash_set<std::string> day_subjects;
    while (true) {
      {
        SqliteStatement& next = *next_actor_;
        StatementScope scope(next);
        next.BindText(1, actor);
        ASSIGN_OR_RETURN(StepResult r, next.Step());
        if (r == StepResult::kDone) break;
        actor = next.ColumnText(0);
      }
      SqliteStatement& rows = *actor_window_;
      StatementScope scope(rows);
      rows.BindText(1, actor).BindInt(2, ToMicros(from)).BindInt(3, ToMicros(to));
      int64_t allowed_entries = 0, denied_entries = 0;
      int64_t last_seq = -1, day = INT64_MIN;
      ActorDayRow current{actor, 0, 0, 0};
      auto close_day = [&] {
        if (day != INT64_MIN) {
          current.subjects = static_cast<int64_t>(day_subjects.size());
          summary.actor_days.push_back(current);
        }
        day_subjects.clear();
      };
      while (true) {
        ASSIGN_OR_RETURN(StepResult r, rows.Step());
        if (r == StepResult::kDone) break;
        const int64_t at = rows.ColumnInt(0);
        const bool allowed = rows.ColumnInt(1) != 0;
        const int64_t seq = rows.ColumnInt(3);
        const int64_t row_day = (at + offset) / kMicrosPerDay;
        if (row_day != day) {
          close_day();
          day = row_day;
          current = ActorDayRow{actor, day, 0, 0};
        }
        if (allowed) {
          std::string_view s = rows.ColumnTextView(4);
          if (!s.empty()) {
            subject.assign(s);
            day_subjects.insert(subject);
          }
        }
        if (seq == last_seq) continue;  // another subject of the same entry
        last_seq = seq;
        ++by_rule[{std::string(rows.ColumnTextView(2)), allowed}];
        auto& [day_allowed, day_denied] = by_day[row_day];
        if (allowed) {
          ++allowed_entries;
          ++day_allowed;
        } else {
          ++denied_entries;
          ++day_denied;
          ++current.denials;
        }
      }
      close_day();
      if (allowed_entries > 0) summary.by_actor.push_back({actor, "allow", allowed_entries});
      if (denied_entries > 0) summary.by_actor.push_back({actor, "deny", denied_entries});
    }
    for (const auto& [key, count] : by_rule) {
      summary.by_rule.push_back({key.first, key.second ? "allow" : "deny", count});
    }
    for (const auto& [d, counts] : by_day) {
      summary.by_day.push_back({d, counts.first, counts.second});
    }
    return summary;
  }

  absl::StatusOr<std::vector<UseRow>> ListFlaggedUses(absl::Time from, absl::Time to,
                                                      size_t limit) override {
    const int64_t sql_limit = limit == 0 ? -1 : static_cast<int64_t>(limit);
    flagged_uses_->BindInt(1, ToMicros(from)).BindInt(2, ToMicros(to)).BindInt(3, sql_limit);
    return ReadAll(*flagged_uses_, &ReadUse);
  }

  absl::StatusOr<std::vector<UseCount>> LastUses() override {
    // (actor, purpose + "\n" + category) -> latest micros.
    std::map<std::pair<std::string, std::string>, int64_t> latest;
    // The group found last: actor, purpose, categories.
    std::optional<std::array<std::string, 3>> group;
    while (true) {
      ASSIGN_OR_RETURN(auto found, GroupBefore(group));
      if (!found) break;
      const int64_t at = found->second;
      group = std::move(found->first);
      const auto& [actor, purpose, categories] = *group;
      for (const std::string& c : SplitList(categories)) {
        int64_t& slot = latest[{actor, fmt::format("{}\n{}", purpose, c)}];
        slot = std::max(slot, at);
      }
    }
    std::vector<UseCount> out;
    out.reserve(latest.size());
    for (auto& [key, at] : latest) out.push_back(UseCount{key.first, key.second, at});
    return out;
  }

  absl::StatusOr<std::optional<VerifiedHeadRow>> LastVerifiedHead() override {
    SqliteStatement& stmt = *last_verified_head_;
    StatementScope scope(stmt);
    ASSIGN_OR_RETURN(StepResult r, stmt.Step());
    if (r == StepResult::kDone) return std::nullopt;
    return VerifiedHeadRow{stmt.ColumnInt(0), stmt.ColumnBlob(1), FromMicros(stmt.ColumnInt(2))};
  }

  absl::Status PutVerifiedHead(const VerifiedHeadRow& head) override {
    return put_verified_head_->BindInt(1, head.tree_size)
        .BindBlob(2, NonNull(head.root_hash))
        .BindInt(3, ToMicros(head.verified_at))
        .Run();
  }

 private:
  struct CountStatements {
    std::unique_ptr<SqliteStatement> all, of_actor;
  };

  // The group of allowed uses before `group` in index order (the last
  // group when nullopt) with its latest time, or nullopt when none is left.
  absl::StatusOr<std::optional<std::pair<std::array<std::string, 3>, int64_t>>> GroupBefore(
      const std::optional<std::array<std::string, 3>>& group) {
    if (!group) return ReadGroup(*last_use_);
    for (int level = 0; level < 3; ++level) {
      SqliteStatement& stmt = *last_use_before_[level];
      for (int column = 0; column < 3 - level; ++column) {
        stmt.BindText(column + 1, (*group)[column]);
      }
      ASSIGN_OR_RETURN(auto found, ReadGroup(stmt));
      if (found) return found;
    }
    return std::nullopt;
  }

  static absl::StatusOr<std::optional<std::pair<std::array<std::string, 3>, int64_t>>> ReadGroup(
      SqliteStatement& stmt) {
    StatementScope scope(stmt);
    ASSIGN_OR_RETURN(StepResult r, stmt.Step());
    if (r == StepResult::kDone) return std::nullopt;
    return std::make_pair(
        std::array<std::string, 3>{stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnText(2)},
        stmt.ColumnInt(3));
  }

  // Binds the actor as the first parameter of the statements that take one;
  // returns the index of the next parameter.
  static int BindActor(SqliteStatement& stmt, std::string_view actor) {
    if (actor.empty()) return 1;
    stmt.BindText(1, actor);
    return 2;
  }

  SqliteDatabase& db_;
  std::unique_ptr<SqliteStatement> insert_use_, touched_by_actor_, provided_to_, list_uses_,
      list_uses_of_actor_, count_categories_, count_categories_of_actor_, count_subjects_,
      count_subjects_of_actor_, actor_days_, uses_by_day_, flagged_uses_, next_actor_,
      actor_window_, last_use_, last_verified_head_, put_verified_head_;
  std::unique_ptr<SqliteStatement> last_use_before_[3];
  std::map<std::string, CountStatements, std::less<>> count_uses_;
};

class SqliteIncidentStore final : public IncidentStore {
 public:
  explicit SqliteIncidentStore(SqliteDatabase& db) : db_(db) {}

  absl::Status PrepareStatements() {
    ASSIGN_OR_RETURN(
        insert_incident_,
        db_.Prepare("INSERT INTO incidents (id, opened_at, opened_by, discovered_at, "
                    "occurred_at, cause, suspected, description, scope_json, "
                    "narrative_json, status, closed_at, updated_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
    ASSIGN_OR_RETURN(update_incident_,
                     db_.Prepare("UPDATE incidents SET opened_at = ?2, opened_by = ?3, "
                                 "discovered_at = ?4, occurred_at = ?5, cause = ?6, "
                                 "suspected = ?7, description = ?8, scope_json = ?9, "
                                 "narrative_json = ?10, status = ?11, closed_at = ?12, "
                                 "updated_at = ?13 WHERE id = ?1"));
    ASSIGN_OR_RETURN(get_incident_, db_.Prepare(fmt::format("{}WHERE id = ?", kIncidentColumns)));
    ASSIGN_OR_RETURN(list_incidents_, db_.Prepare(fmt::format("{}ORDER BY opened_at DESC, id DESC",
                                                              kIncidentColumns)));
    ASSIGN_OR_RETURN(delete_subjects_,
                     db_.Prepare("DELETE FROM incident_subjects WHERE incident_id = ?"));
    ASSIGN_OR_RETURN(insert_subject_,
                     db_.Prepare("INSERT INTO incident_subjects (incident_id, subject_id, "
                                 "categories, encrypted_without_keys) VALUES (?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(list_subjects_, db_.Prepare("SELECT incident_id, subject_id, categories, "
                                                 "encrypted_without_keys FROM incident_subjects "
                                                 "WHERE incident_id = ? ORDER BY subject_id"));
    ASSIGN_OR_RETURN(insert_report_,
                     db_.Prepare("INSERT INTO incident_reports (incident_id, kind, submitted_at, "
                                 "submitted_by, reference) VALUES (?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(list_reports_,
                     db_.Prepare("SELECT incident_id, kind, submitted_at, submitted_by, reference "
                                 "FROM incident_reports WHERE incident_id = ? "
                                 "ORDER BY submitted_at, kind"));
    return absl::OkStatus();
  }

  absl::Status InsertIncident(const IncidentRow& incident) override {
    absl::Status s = BindIncident(*insert_incident_, incident).Run();
    if (s.code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(fmt::format("incident {} already exists", incident.id));
    }
    return s;
  }

  absl::Status UpdateIncident(const IncidentRow& incident) override {
    RETURN_IF_ERROR(BindIncident(*update_incident_, incident).Run());
    if (sqlite3_changes(db_.handle()) == 0) {
      return absl::NotFoundError(fmt::format("incident {} does not exist", incident.id));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<IncidentRow>> GetIncident(std::string_view id) override {
    return GetOne(*get_incident_, id, &ReadIncident);
  }

  absl::StatusOr<std::vector<IncidentRow>> ListIncidents() override {
    return ReadAll(*list_incidents_, &ReadIncident);
  }

  absl::Status ReplaceSubjects(std::string_view incident_id,
                               std::span<const IncidentSubjectRow> subjects) override {
    // A savepoint, so that a failure halfway never leaves half a set, also
    // when the caller has no transaction open.
    RETURN_IF_ERROR(db_.ExecPrepared("SAVEPOINT incident_subjects"));
    absl::Status s = Replace(incident_id, subjects);
    if (!s.ok()) {
      (void)db_.ExecPrepared("ROLLBACK TO SAVEPOINT incident_subjects");
      (void)db_.ExecPrepared("RELEASE SAVEPOINT incident_subjects");
      return s;
    }
    return db_.ExecPrepared("RELEASE SAVEPOINT incident_subjects");
  }

  absl::StatusOr<std::vector<IncidentSubjectRow>> ListSubjects(
      std::string_view incident_id) override {
    list_subjects_->BindText(1, NonNull(incident_id));
    return ReadAll(*list_subjects_, &ReadIncidentSubject);
  }

  absl::Status InsertReport(const IncidentReportRow& report) override {
    absl::Status s = insert_report_->BindText(1, NonNull(report.incident_id))
                         .BindText(2, NonNull(report.kind))
                         .BindInt(3, ToMicros(report.submitted_at))
                         .BindText(4, NonNull(report.submitted_by))
                         .BindText(5, NonNull(report.reference))
                         .Run();
    if (s.code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(
          fmt::format("incident {} already has a {} report", report.incident_id, report.kind));
    }
    return s;
  }

  absl::StatusOr<std::vector<IncidentReportRow>> ListReports(
      std::string_view incident_id) override {
    list_reports_->BindText(1, NonNull(incident_id));
    return ReadAll(*list_reports_, &ReadReport);
  }

 private:
  static SqliteStatement& BindIncident(SqliteStatement& stmt, const IncidentRow& incident) {
    stmt.BindText(1, NonNull(incident.id))
        .BindInt(2, ToMicros(incident.opened_at))
        .BindText(3, NonNull(incident.opened_by))
        .BindInt(4, ToMicros(incident.discovered_at))
        .BindText(6, NonNull(incident.cause))
        .BindInt(7, incident.suspected ? 1 : 0)
        .BindText(8, NonNull(incident.description))
        .BindText(9, NonNull(incident.scope_json))
        .BindText(10, NonNull(incident.narrative_json))
        .BindText(11, NonNull(incident.status))
        .BindInt(13, ToMicros(incident.updated_at));
    BindOptionalTime(stmt, 5, incident.occurred_at);
    BindOptionalTime(stmt, 12, incident.closed_at);
    return stmt;
  }

  absl::Status Replace(std::string_view incident_id, std::span<const IncidentSubjectRow> subjects) {
    RETURN_IF_ERROR(delete_subjects_->BindText(1, NonNull(incident_id)).Run());
    std::string categories;
    for (const IncidentSubjectRow& subject : subjects) {
      categories = absl::StrJoin(subject.categories, ",");
      absl::Status s = insert_subject_->BindText(1, NonNull(incident_id))
                           .BindText(2, NonNull(subject.subject_id))
                           .BindText(3, categories)
                           .BindInt(4, subject.encrypted_without_keys ? 1 : 0)
                           .Run();
      if (s.code() == absl::StatusCode::kAlreadyExists) {
        return absl::InvalidArgumentError(fmt::format("incident {}: subject {} is listed twice",
                                                      incident_id, subject.subject_id));
      }
      RETURN_IF_ERROR(s);
    }
    return absl::OkStatus();
  }

  SqliteDatabase& db_;
  std::unique_ptr<SqliteStatement> insert_incident_, update_incident_, get_incident_,
      list_incidents_, delete_subjects_, insert_subject_, list_subjects_, insert_report_,
      list_reports_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<UseIndexStore>> NewSqliteUseIndexStore(SqliteDatabase& db) {
  auto store = std::make_unique<SqliteUseIndexStore>(db);
  RETURN_IF_ERROR(store->PrepareStatements());
  return store;
}

absl::StatusOr<std::unique_ptr<IncidentStore>> NewSqliteIncidentStore(SqliteDatabase& db) {
  auto store = std::make_unique<SqliteIncidentStore>(db);
  RETURN_IF_ERROR(store->PrepareStatements());
  return store;
}

}  // namespace mamori::store::internal
