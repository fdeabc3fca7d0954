#include "engine/facts_cache.h"

#include "common/status_macros.h"
#include "common/strings.h"

namespace mamori::engine {
namespace {

const policy::SubjectFacts& NoFacts() {
  static const policy::SubjectFacts* const none = new policy::SubjectFacts();
  return *none;
}

}  // namespace

absl::StatusOr<FactsCache> FactsCache::Load(store::FactStore& facts) {
  FactsCache cache;
  ASSIGN_OR_RETURN(std::vector<store::ActorRow> actors, facts.ListActors());
  for (const store::ActorRow& row : actors) cache.AddActor(row);
  ASSIGN_OR_RETURN(std::vector<store::TrainingRow> trainings, facts.ListTrainings(""));
  for (const store::TrainingRow& row : trainings) cache.AddTraining(row);
  ASSIGN_OR_RETURN(std::vector<store::ConsentRow> consents, facts.ListConsents(""));
  for (const store::ConsentRow& row : consents) cache.AddConsent(row);
  ASSIGN_OR_RETURN(std::vector<store::StopOrderRow> orders, facts.ListStopOrders(""));
  for (const store::StopOrderRow& row : orders) cache.AddStopOrder(row);
  return cache;
}

const policy::ActorFacts* FactsCache::actor(std::string_view id) const {
  auto it = actors_.find(common::ToAbsl(id));
  return it == actors_.end() ? nullptr : &it->second;
}

const policy::SubjectFacts& FactsCache::subject(std::string_view id) const {
  auto it = subjects_.find(common::ToAbsl(id));
  return it == subjects_.end() ? NoFacts() : it->second.facts;
}

void FactsCache::AddActor(const store::ActorRow& row) {
  policy::ActorFacts& facts = actors_[row.id];
  facts.id = row.id;
  facts.roles = row.roles;
}

void FactsCache::AddTraining(const store::TrainingRow& row) {
  auto it = actors_.find(row.actor_id);
  if (it == actors_.end()) return;
  it->second.completed_courses.emplace_back(row.course, row.completed_at);
}

void FactsCache::AddConsent(const store::ConsentRow& row) {
  SubjectEntry& entry = subjects_[row.subject_id];
  entry.facts.consents.push_back({row.purpose, row.recipient, row.given_at, row.withdrawn_at,
                                  row.explicit_for_location, row.cross_border_informed});
  entry.consent_ids.push_back(row.id);
}

void FactsCache::WithdrawConsent(std::string_view subject_id, std::string_view consent_id,
                                 absl::Time at) {
  auto it = subjects_.find(common::ToAbsl(subject_id));
  if (it == subjects_.end()) return;
  SubjectEntry& entry = it->second;
  for (size_t i = 0; i < entry.consent_ids.size(); ++i) {
    if (entry.consent_ids[i] == consent_id) entry.facts.consents[i].withdrawn_at = at;
  }
}

void FactsCache::AddStopOrder(const store::StopOrderRow& row) {
  if (row.lifted_at) return;
  policy::StopOrder order{row.purpose, row.recipient};
  SubjectEntry& entry = subjects_[row.subject_id];
  if (row.kind == "use") {
    entry.facts.stop_use.push_back(std::move(order));
  } else {
    entry.facts.stop_provision.push_back(std::move(order));
  }
}

}  // namespace mamori::engine
