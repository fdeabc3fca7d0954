// FactsCache: what the decision engine needs to know about actors and data
// subjects, held in memory so a decision reads no storage. Loaded from the
// FactStore at start and kept current by the engine as it writes facts.
// Subjects without consents or stop orders take no memory.
//
//   ASSIGN_OR_RETURN(FactsCache cache, FactsCache::Load(store.facts()));
//   const policy::ActorFacts* actor = cache.actor("emp:tanaka");
//   const policy::SubjectFacts& facts = cache.subject("sub_...");
//
// Thread-safety: not thread-safe; the engine's writer thread owns it.
#pragma once

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "policy/decision.h"
#include "store/store.h"

namespace mamori::engine {

class FactsCache {
 public:
  static absl::StatusOr<FactsCache> Load(store::FactStore& facts);

  // nullptr for an unknown actor.
  const policy::ActorFacts* actor(std::string_view id) const;
  // The subject's facts; empty ones for a subject with none.
  const policy::SubjectFacts& subject(std::string_view id) const;

  void AddActor(const store::ActorRow& row);
  void AddTraining(const store::TrainingRow& row);
  void AddConsent(const store::ConsentRow& row);
  void WithdrawConsent(std::string_view subject_id, std::string_view consent_id, absl::Time at);
  void AddStopOrder(const store::StopOrderRow& row);

  size_t actor_count() const { return actors_.size(); }
  size_t subjects_with_facts() const { return subjects_.size(); }

 private:
  struct SubjectEntry {
    policy::SubjectFacts facts;
    std::vector<std::string> consent_ids;  // parallel to facts.consents
  };

  absl::flat_hash_map<std::string, policy::ActorFacts> actors_;
  absl::flat_hash_map<std::string, SubjectEntry> subjects_;
};

}  // namespace mamori::engine
