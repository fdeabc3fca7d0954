// The SQLite FactStore: actors, trainings, consents and stop orders, in the
// records file and on its connection (sqlite_parts.h), so they commit in the
// same transaction as the ledger entries that record them.
//
// Error messages name the row (its id) and the field, never a stored value:
// consent evidence may quote the person.
#include <fmt/format.h>
#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "store/internal/sqlite_db.h"
#include "store/internal/sqlite_parts.h"
#include "store/internal/sqlite_rows.h"

namespace mamori::store::internal {
namespace {

using StepResult = SqliteStatement::StepResult;

constexpr std::string_view kActorColumns = "SELECT id, roles, created_at, created_by FROM actors ";
constexpr std::string_view kTrainingColumns =
    "SELECT actor_id, course, completed_at, recorded_at, recorded_by FROM trainings ";
constexpr std::string_view kConsentColumns =
    "SELECT id, subject_id, purpose, recipient, given_at, channel, evidence, "
    "explicit_for_location, cross_border_informed, policy_version, recorded_by, withdrawn_at, "
    "withdrawal_channel FROM consents ";
constexpr std::string_view kStopOrderColumns =
    "SELECT id, subject_id, kind, purpose, recipient, created_at, request_id, lifted_at "
    "FROM stop_orders ";

constexpr std::string_view kTokenColumns =
    "SELECT id, token_sha256, actor_id, created_at, created_by, expires_at, revoked_at "
    "FROM api_tokens ";

ActorRow ReadActor(const SqliteStatement& stmt) {
  ActorRow row;
  row.id = stmt.ColumnText(0);
  std::string roles = stmt.ColumnText(1);
  if (!roles.empty()) row.roles = absl::StrSplit(roles, ',');
  row.created_at = FromMicros(stmt.ColumnInt(2));
  row.created_by = stmt.ColumnText(3);
  return row;
}

TrainingRow ReadTraining(const SqliteStatement& stmt) {
  return TrainingRow{stmt.ColumnText(0), stmt.ColumnText(1), FromMicros(stmt.ColumnInt(2)),
                     FromMicros(stmt.ColumnInt(3)), stmt.ColumnText(4)};
}

ConsentRow ReadConsent(const SqliteStatement& stmt) {
  ConsentRow row;
  row.id = stmt.ColumnText(0);
  row.subject_id = stmt.ColumnText(1);
  row.purpose = stmt.ColumnText(2);
  row.recipient = ColumnOptionalText(stmt, 3);
  row.given_at = FromMicros(stmt.ColumnInt(4));
  row.channel = stmt.ColumnText(5);
  row.evidence = stmt.ColumnText(6);
  row.explicit_for_location = stmt.ColumnInt(7) != 0;
  row.cross_border_informed = stmt.ColumnInt(8) != 0;
  row.policy_version = stmt.ColumnInt(9);
  row.recorded_by = stmt.ColumnText(10);
  row.withdrawn_at = ColumnOptionalTime(stmt, 11);
  row.withdrawal_channel = stmt.ColumnText(12);
  return row;
}

StopOrderRow ReadStopOrder(const SqliteStatement& stmt) {
  StopOrderRow row;
  row.id = stmt.ColumnText(0);
  row.subject_id = stmt.ColumnText(1);
  row.kind = stmt.ColumnText(2);
  row.purpose = ColumnOptionalText(stmt, 3);
  row.recipient = ColumnOptionalText(stmt, 4);
  row.created_at = FromMicros(stmt.ColumnInt(5));
  row.request_id = stmt.ColumnText(6);
  row.lifted_at = ColumnOptionalTime(stmt, 7);
  return row;
}

TokenRow ReadToken(const SqliteStatement& stmt) {
  return TokenRow{stmt.ColumnText(0),         stmt.ColumnBlob(1),
                  stmt.ColumnText(2),         FromMicros(stmt.ColumnInt(3)),
                  stmt.ColumnText(4),         ColumnOptionalTime(stmt, 5),
                  ColumnOptionalTime(stmt, 6)};
}

class SqliteFactStore final : public FactStore {
 public:
  explicit SqliteFactStore(SqliteDatabase& db) : db_(db) {}

  absl::Status PrepareStatements() {
    RETURN_IF_ERROR(PrepareTokenStatements());
    ASSIGN_OR_RETURN(insert_actor_,
                     db_.Prepare("INSERT INTO actors (id, roles, created_at, created_by) "
                                 "VALUES (?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(get_actor_, db_.Prepare(fmt::format("{}WHERE id = ?", kActorColumns)));
    ASSIGN_OR_RETURN(list_actors_, db_.Prepare(fmt::format("{}ORDER BY id", kActorColumns)));

    ASSIGN_OR_RETURN(insert_training_,
                     db_.Prepare("INSERT INTO trainings (actor_id, course, completed_at, "
                                 "recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?)"));
    // rowid breaks ties in insertion order (and is in trainings_by_actor).
    ASSIGN_OR_RETURN(list_trainings_,
                     db_.Prepare(fmt::format("{}ORDER BY completed_at, rowid", kTrainingColumns)));
    ASSIGN_OR_RETURN(list_trainings_by_actor_,
                     db_.Prepare(fmt::format("{}WHERE actor_id = ? ORDER BY completed_at, rowid",
                                             kTrainingColumns)));

    ASSIGN_OR_RETURN(insert_consent_,
                     db_.Prepare("INSERT INTO consents (id, subject_id, purpose, recipient, "
                                 "given_at, channel, evidence, explicit_for_location, "
                                 "cross_border_informed, policy_version, recorded_by, "
                                 "withdrawn_at, withdrawal_channel) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(get_consent_, db_.Prepare(fmt::format("{}WHERE id = ?", kConsentColumns)));
    ASSIGN_OR_RETURN(withdraw_consent_,
                     db_.Prepare("UPDATE consents SET withdrawn_at = ?, withdrawal_channel = ? "
                                 "WHERE id = ? AND withdrawn_at IS NULL"));
    ASSIGN_OR_RETURN(consent_withdrawn_,
                     db_.Prepare("SELECT withdrawn_at IS NOT NULL FROM consents WHERE id = ?"));
    ASSIGN_OR_RETURN(list_consents_,
                     db_.Prepare(fmt::format("{}ORDER BY given_at, rowid", kConsentColumns)));
    ASSIGN_OR_RETURN(list_consents_by_subject_,
                     db_.Prepare(fmt::format("{}WHERE subject_id = ? ORDER BY given_at, rowid",
                                             kConsentColumns)));

    ASSIGN_OR_RETURN(insert_stop_order_,
                     db_.Prepare("INSERT INTO stop_orders (id, subject_id, kind, purpose, "
                                 "recipient, created_at, request_id, lifted_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(lift_stop_order_, db_.Prepare("UPDATE stop_orders SET lifted_at = ? "
                                                   "WHERE id = ? AND lifted_at IS NULL"));
    ASSIGN_OR_RETURN(stop_order_lifted_,
                     db_.Prepare("SELECT lifted_at IS NOT NULL FROM stop_orders WHERE id = ?"));
    ASSIGN_OR_RETURN(list_stop_orders_,
                     db_.Prepare(fmt::format("{}ORDER BY created_at, rowid", kStopOrderColumns)));
    ASSIGN_OR_RETURN(list_stop_orders_by_subject_,
                     db_.Prepare(fmt::format("{}WHERE subject_id = ? ORDER BY created_at, rowid",
                                             kStopOrderColumns)));
    return absl::OkStatus();
  }

  absl::Status InsertActor(const ActorRow& actor) override {
    // Roles are stored comma-joined: refuse what would not read back the same.
    for (const std::string& role : actor.roles) {
      if (role.empty() || role.find(',') != std::string::npos) {
        return absl::InvalidArgumentError(
            fmt::format("actor {}: a role id is empty or contains a comma", actor.id));
      }
    }
    std::string roles = absl::StrJoin(actor.roles, ",");
    absl::Status s = insert_actor_->BindText(1, actor.id)
                         .BindText(2, roles)
                         .BindInt(3, ToMicros(actor.created_at))
                         .BindText(4, actor.created_by)
                         .Run();
    if (s.code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(fmt::format("actor {} already exists", actor.id));
    }
    return s;
  }

  absl::StatusOr<std::optional<ActorRow>> GetActor(std::string_view id) override {
    return GetOne(*get_actor_, id, &ReadActor);
  }

  absl::StatusOr<std::vector<ActorRow>> ListActors() override {
    return ReadAll(*list_actors_, &ReadActor);
  }

  absl::Status InsertTraining(const TrainingRow& training) override {
    absl::Status s = insert_training_->BindText(1, training.actor_id)
                         .BindText(2, training.course)
                         .BindInt(3, ToMicros(training.completed_at))
                         .BindInt(4, ToMicros(training.recorded_at))
                         .BindText(5, training.recorded_by)
                         .Run();
    if (s.code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(
          fmt::format("training: actor {} does not exist", training.actor_id));
    }
    return s;
  }

  absl::StatusOr<std::vector<TrainingRow>> ListTrainings(std::string_view actor_id) override {
    return ListBy(*list_trainings_, *list_trainings_by_actor_, actor_id, &ReadTraining);
  }

  absl::Status InsertConsent(const ConsentRow& consent) override {
    SqliteStatement& stmt = *insert_consent_;
    stmt.BindText(1, consent.id)
        .BindText(2, consent.subject_id)
        .BindText(3, consent.purpose)
        .BindInt(5, ToMicros(consent.given_at))
        .BindText(6, consent.channel)
        .BindText(7, consent.evidence)
        .BindInt(8, consent.explicit_for_location ? 1 : 0)
        .BindInt(9, consent.cross_border_informed ? 1 : 0)
        .BindInt(10, consent.policy_version)
        .BindText(11, consent.recorded_by)
        .BindText(13, consent.withdrawal_channel);
    BindOptionalText(stmt, 4, consent.recipient);
    BindOptionalTime(stmt, 12, consent.withdrawn_at);
    return DescribeInsert(stmt.Run(), "consent", consent.id, consent.subject_id);
  }

  absl::StatusOr<std::optional<ConsentRow>> GetConsent(std::string_view id) override {
    return GetOne(*get_consent_, id, &ReadConsent);
  }

  absl::Status WithdrawConsent(std::string_view id, absl::Time at,
                               std::string_view channel) override {
    RETURN_IF_ERROR(withdraw_consent_->BindInt(1, ToMicros(at))
                        .BindText(2, NonNull(channel))
                        .BindText(3, NonNull(id))
                        .Run());
    if (sqlite3_changes(db_.handle()) > 0) return absl::OkStatus();
    return WhyUnchanged(*consent_withdrawn_, "consent", id, "withdrawn");
  }

  absl::StatusOr<std::vector<ConsentRow>> ListConsents(std::string_view subject_id) override {
    return ListBy(*list_consents_, *list_consents_by_subject_, subject_id, &ReadConsent);
  }

  absl::Status InsertStopOrder(const StopOrderRow& order) override {
    if (order.kind != "use" && order.kind != "provision") {
      return absl::InvalidArgumentError(
          fmt::format("stop order {}: kind must be \"use\" or \"provision\"", order.id));
    }
    SqliteStatement& stmt = *insert_stop_order_;
    stmt.BindText(1, order.id)
        .BindText(2, order.subject_id)
        .BindText(3, order.kind)
        .BindInt(6, ToMicros(order.created_at))
        .BindText(7, order.request_id);
    BindOptionalText(stmt, 4, order.purpose);
    BindOptionalText(stmt, 5, order.recipient);
    BindOptionalTime(stmt, 8, order.lifted_at);
    return DescribeInsert(stmt.Run(), "stop order", order.id, order.subject_id);
  }

  absl::Status LiftStopOrder(std::string_view id, absl::Time at) override {
    RETURN_IF_ERROR(lift_stop_order_->BindInt(1, ToMicros(at)).BindText(2, NonNull(id)).Run());
    if (sqlite3_changes(db_.handle()) > 0) return absl::OkStatus();
    return WhyUnchanged(*stop_order_lifted_, "stop order", id, "lifted");
  }

  absl::StatusOr<std::vector<StopOrderRow>> ListStopOrders(std::string_view subject_id) override {
    return ListBy(*list_stop_orders_, *list_stop_orders_by_subject_, subject_id, &ReadStopOrder);
  }

 private:
  // After an UPDATE ... WHERE id = ? AND <state> IS NULL changed nothing:
  absl::Status InsertToken(const TokenRow& token) override {
    SqliteStatement& stmt = *insert_token_;
    stmt.BindText(1, NonNull(token.id))
        .BindBlob(2, NonNull(token.token_sha256))
        .BindText(3, NonNull(token.actor_id))
        .BindInt(4, ToMicros(token.created_at))
        .BindText(5, NonNull(token.created_by));
    BindOptionalTime(stmt, 6, token.expires_at);
    BindOptionalTime(stmt, 7, token.revoked_at);
    absl::Status s = stmt.Run();
    if (absl::IsAlreadyExists(s)) {
      return absl::AlreadyExistsError(fmt::format("token {} already exists", token.id));
    }
    if (absl::IsNotFound(s)) {
      return absl::NotFoundError(
          fmt::format("token {}: actor {} does not exist", token.id, token.actor_id));
    }
    return s;
  }

  absl::StatusOr<std::optional<TokenRow>> GetToken(std::string_view id) override {
    return GetOne(*get_token_, id, &ReadToken);
  }

  absl::Status RevokeToken(std::string_view id, absl::Time at) override {
    RETURN_IF_ERROR(revoke_token_->BindInt(1, ToMicros(at)).BindText(2, NonNull(id)).Run());
    if (sqlite3_changes(db_.handle()) == 1) return absl::OkStatus();
    return WhyUnchanged(*token_revoked_, "token", id, "revoked");
  }

  absl::StatusOr<std::vector<TokenRow>> ListTokens() override {
    return ReadAll(*list_tokens_, &ReadToken);
  }

  absl::Status PrepareTokenStatements() {
    ASSIGN_OR_RETURN(
        insert_token_,
        db_.Prepare("INSERT INTO api_tokens (id, token_sha256, actor_id, created_at, "
                    "created_by, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(get_token_, db_.Prepare(fmt::format("{}WHERE id = ?", kTokenColumns)));
    ASSIGN_OR_RETURN(revoke_token_, db_.Prepare("UPDATE api_tokens SET revoked_at = ? "
                                                "WHERE id = ? AND revoked_at IS NULL"));
    ASSIGN_OR_RETURN(token_revoked_,
                     db_.Prepare("SELECT revoked_at IS NOT NULL FROM api_tokens WHERE id = ?"));
    ASSIGN_OR_RETURN(list_tokens_,
                     db_.Prepare(fmt::format("{}ORDER BY created_at, rowid", kTokenColumns)));
    return absl::OkStatus();
  }

  SqliteDatabase& db_;
  std::unique_ptr<SqliteStatement> insert_token_, get_token_, revoke_token_, token_revoked_,
      list_tokens_;
  std::unique_ptr<SqliteStatement> insert_actor_, get_actor_, list_actors_;
  std::unique_ptr<SqliteStatement> insert_training_, list_trainings_, list_trainings_by_actor_;
  std::unique_ptr<SqliteStatement> insert_consent_, get_consent_, withdraw_consent_,
      consent_withdrawn_, list_consents_, list_consents_by_subject_;
  std::unique_ptr<SqliteStatement> insert_stop_order_, lift_stop_order_, stop_order_lifted_,
      list_stop_orders_, list_stop_orders_by_subject_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FactStore>> NewSqliteFactStore(SqliteDatabase& db) {
  auto store = std::make_unique<SqliteFactStore>(db);
  RETURN_IF_ERROR(store->PrepareStatements());
  return store;
}

}  // namespace mamori::store::internal
