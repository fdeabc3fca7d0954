// Tests of FactsCache (facts_cache.h): loading from a FactStore on a real
// SQLite store, and the updates the engine makes as it writes facts.
#include "engine/facts_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/testing/test_files.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace mamori::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

absl::Time T0() {
  return absl::FromCivil(absl::CivilSecond(2026, 4, 1, 9, 0, 0), absl::UTCTimeZone());
}

store::ConsentRow Consent(std::string id, std::string subject, std::string purpose,
                          absl::Time given_at) {
  store::ConsentRow row;
  row.id = std::move(id);
  row.subject_id = std::move(subject);
  row.purpose = std::move(purpose);
  row.given_at = given_at;
  row.channel = "web";
  row.evidence = "checkbox";
  row.policy_version = 1;
  row.recorded_by = "admin:test";
  return row;
}

store::StopOrderRow StopOrder(std::string id, std::string subject, std::string kind,
                              std::optional<std::string> purpose,
                              std::optional<std::string> recipient = std::nullopt) {
  return {std::move(id),
          std::move(subject),
          std::move(kind),
          std::move(purpose),
          std::move(recipient),
          T0(),
          "",
          std::nullopt};
}

class FactsCacheLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteStore(temp_.path().string(), {.create = true});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    for (const char* id : {"sub_a", "sub_b", "sub_c"}) {
      ASSERT_TRUE(store_->records().InsertSubject({id, T0(), 1}).ok());
    }
  }
  store::FactStore& facts() { return store_->facts(); }

  common::testing::ScopedTempDir temp_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(FactsCacheLoadTest, EmptyStoreGivesEmptyCache) {
  absl::StatusOr<FactsCache> cache = FactsCache::Load(facts());
  ASSERT_TRUE(cache.ok()) << cache.status();
  EXPECT_EQ(cache->actor_count(), 0u);
  EXPECT_EQ(cache->subjects_with_facts(), 0u);
  EXPECT_EQ(cache->actor("emp:x"), nullptr);
  EXPECT_THAT(cache->subject("sub_a").consents, IsEmpty());
}

TEST_F(FactsCacheLoadTest, LoadsActorsTrainingsConsentsAndStopOrders) {
  ASSERT_TRUE(facts().InsertActor({"emp:b", {"billing-clerk"}, T0(), "admin"}).ok());
  ASSERT_TRUE(facts().InsertActor({"emp:a", {"call-center-agent", "auditor"}, T0(), "admin"}).ok());
  ASSERT_TRUE(
      facts()
          .InsertTraining({"emp:a", "privacy-annual", T0() - absl::Hours(48), T0(), "admin"})
          .ok());
  ASSERT_TRUE(
      facts()
          .InsertTraining({"emp:a", "privacy-annual", T0() - absl::Hours(24), T0(), "admin"})
          .ok());
  ASSERT_TRUE(facts().InsertTraining({"emp:b", "secrecy-annual", T0(), T0(), "admin"}).ok());

  store::ConsentRow marketing = Consent("con_1", "sub_a", "dpv:Marketing", T0());
  store::ConsentRow withdrawn = Consent("con_2", "sub_a", "dpv:CustomerCare", T0());
  store::ConsentRow provision = Consent("con_3", "sub_b", "dpv:PaymentManagement", T0());
  provision.recipient = "hikari-servicer";
  provision.cross_border_informed = true;
  marketing.explicit_for_location = true;
  for (const store::ConsentRow& c : {marketing, withdrawn, provision}) {
    ASSERT_TRUE(facts().InsertConsent(c).ok());
  }
  ASSERT_TRUE(facts().WithdrawConsent("con_2", T0() + absl::Hours(1), "web").ok());

  ASSERT_TRUE(facts().InsertStopOrder(StopOrder("stp_1", "sub_a", "use", "dpv:Marketing")).ok());
  ASSERT_TRUE(facts().InsertStopOrder(StopOrder("stp_2", "sub_a", "use", std::nullopt)).ok());
  ASSERT_TRUE(facts()
                  .InsertStopOrder(StopOrder("stp_3", "sub_b", "provision", std::nullopt, "hikari"))
                  .ok());
  // Lifted orders no longer count; sub_c has nothing else.
  ASSERT_TRUE(facts().InsertStopOrder(StopOrder("stp_4", "sub_c", "use", std::nullopt)).ok());
  ASSERT_TRUE(facts().LiftStopOrder("stp_4", T0() + absl::Hours(2)).ok());
  ASSERT_TRUE(facts().InsertStopOrder(StopOrder("stp_5", "sub_a", "use", "dpv:CustomerCare")).ok());
  ASSERT_TRUE(facts().LiftStopOrder("stp_5", T0() + absl::Hours(2)).ok());

  absl::StatusOr<FactsCache> loaded = FactsCache::Load(facts());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const FactsCache& cache = *loaded;

  EXPECT_EQ(cache.actor_count(), 2u);
  const policy::ActorFacts* a = cache.actor("emp:a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->id, "emp:a");
  EXPECT_THAT(a->roles, ElementsAre("call-center-agent", "auditor"));
  EXPECT_THAT(a->completed_courses, ElementsAre(Pair("privacy-annual", T0() - absl::Hours(48)),
                                                Pair("privacy-annual", T0() - absl::Hours(24))));
  const policy::ActorFacts* b = cache.actor("emp:b");
  ASSERT_NE(b, nullptr);
  EXPECT_THAT(b->completed_courses, ElementsAre(Pair("secrecy-annual", T0())));
  EXPECT_EQ(cache.actor("emp:c"), nullptr);

  const policy::SubjectFacts& sa = cache.subject("sub_a");
  ASSERT_EQ(sa.consents.size(), 2u);
  EXPECT_EQ(sa.consents[0].purpose, "dpv:Marketing");
  EXPECT_FALSE(sa.consents[0].recipient.has_value());
  EXPECT_EQ(sa.consents[0].given_at, T0());
  EXPECT_FALSE(sa.consents[0].withdrawn_at.has_value());
  EXPECT_TRUE(sa.consents[0].explicit_for_location);
  EXPECT_EQ(sa.consents[1].purpose, "dpv:CustomerCare");
  EXPECT_EQ(sa.consents[1].withdrawn_at, T0() + absl::Hours(1));
  ASSERT_EQ(sa.stop_use.size(), 2u);
  EXPECT_EQ(sa.stop_use[0].purpose, "dpv:Marketing");
  EXPECT_FALSE(sa.stop_use[1].purpose.has_value());
  EXPECT_THAT(sa.stop_provision, IsEmpty());

  // Provision orders and provision consents are kept apart from use.
  const policy::SubjectFacts& sb = cache.subject("sub_b");
  ASSERT_EQ(sb.consents.size(), 1u);
  EXPECT_EQ(sb.consents[0].recipient, "hikari-servicer");
  EXPECT_TRUE(sb.consents[0].cross_border_informed);
  EXPECT_THAT(sb.stop_use, IsEmpty());
  ASSERT_EQ(sb.stop_provision.size(), 1u);
  EXPECT_EQ(sb.stop_provision[0].recipient, "hikari");
  EXPECT_FALSE(sb.stop_provision[0].purpose.has_value());

  const policy::SubjectFacts& sc = cache.subject("sub_c");
  EXPECT_THAT(sc.stop_use, IsEmpty());
  EXPECT_THAT(sc.consents, IsEmpty());
  // Only subjects with facts in force take memory.
  EXPECT_EQ(cache.subjects_with_facts(), 2u);
}

TEST(FactsCacheTest, UpdatesKeepTheCacheCurrent) {
  FactsCache cache;
  cache.AddActor({"emp:a", {"auditor"}, T0(), "admin"});
  cache.AddTraining({"emp:a", "privacy-annual", T0(), T0(), "admin"});
  // A training of an unknown actor is ignored.
  cache.AddTraining({"emp:ghost", "privacy-annual", T0(), T0(), "admin"});
  EXPECT_EQ(cache.actor_count(), 1u);
  EXPECT_EQ(cache.actor("emp:ghost"), nullptr);
  ASSERT_NE(cache.actor("emp:a"), nullptr);
  EXPECT_THAT(cache.actor("emp:a")->completed_courses, ElementsAre(Pair("privacy-annual", T0())));

  cache.AddConsent(Consent("con_1", "sub_a", "dpv:Marketing", T0()));
  cache.AddConsent(Consent("con_2", "sub_a", "dpv:Marketing", T0() + absl::Hours(1)));
  cache.WithdrawConsent("sub_a", "con_2", T0() + absl::Hours(2));
  const policy::SubjectFacts& sa = cache.subject("sub_a");
  ASSERT_EQ(sa.consents.size(), 2u);
  EXPECT_FALSE(sa.consents[0].withdrawn_at.has_value());
  EXPECT_EQ(sa.consents[1].withdrawn_at, T0() + absl::Hours(2));
  // Withdrawing an unknown consent, or for a subject without facts, is a no-op.
  cache.WithdrawConsent("sub_a", "con_9", T0());
  cache.WithdrawConsent("sub_z", "con_1", T0());
  EXPECT_FALSE(cache.subject("sub_a").consents[0].withdrawn_at.has_value());
  EXPECT_EQ(cache.subjects_with_facts(), 1u);

  cache.AddStopOrder(StopOrder("stp_1", "sub_b", "provision", std::nullopt, "hikari"));
  store::StopOrderRow lifted = StopOrder("stp_2", "sub_b", "use", std::nullopt);
  lifted.lifted_at = T0();
  cache.AddStopOrder(lifted);
  cache.AddStopOrder(StopOrder("stp_3", "sub_b", "use", "dpv:Marketing"));
  const policy::SubjectFacts& sb = cache.subject("sub_b");
  ASSERT_EQ(sb.stop_use.size(), 1u);
  EXPECT_EQ(sb.stop_use[0].purpose, "dpv:Marketing");
  ASSERT_EQ(sb.stop_provision.size(), 1u);
  EXPECT_EQ(sb.stop_provision[0].recipient, "hikari");
  EXPECT_EQ(cache.subjects_with_facts(), 2u);

  // Unknown subjects have empty facts.
  EXPECT_THAT(cache.subject("sub_none").consents, IsEmpty());
  EXPECT_THAT(cache.subject("sub_none").stop_use, IsEmpty());
  EXPECT_EQ(cache.subjects_with_facts(), 2u);
}

}  // namespace
}  // namespace mamori::engine
