// Tests of identity verification and the attempt limiter (verification.h).
#include "requests/verification.h"

#include <gtest/gtest.h>

namespace mamori::requests {
namespace {

using policy::IdentifierKind;

const std::vector<IdentifierKind> kContractPhoneBirth = {
    IdentifierKind::kContract, IdentifierKind::kPhone, IdentifierKind::kBirthDate};

TEST(VerifyTest, EveryIdentifierMatchesTheSameSubject) {
  const VerificationResult v = Verify({{IdentifierKind::kContract, {"sub_A"}},
                                       {IdentifierKind::kPhone, {"sub_A"}},
                                       {IdentifierKind::kBirthDate, {"sub_A"}},
                                       {IdentifierKind::kEmail, {"sub_A", "sub_A"}}},
                                      kContractPhoneBirth);
  EXPECT_TRUE(v.verified);
  EXPECT_EQ(v.subject_id, "sub_A");
  EXPECT_EQ(v.reason, VerificationReason::kVerified);
  EXPECT_EQ(PublicVerificationAnswer(v), "verified");
}

TEST(VerifyTest, ASharedFactorIsNarrowedByTheOthers) {
  // Many customers share a birth date; the contract and the phone are one
  // person's, and the birth date is theirs too.
  const VerificationResult v = Verify({{IdentifierKind::kBirthDate, {"sub_C", "sub_A", "sub_B"}},
                                       {IdentifierKind::kContract, {"sub_A"}},
                                       {IdentifierKind::kPhone, {"sub_A"}}},
                                      kContractPhoneBirth);
  EXPECT_TRUE(v.verified);
  EXPECT_EQ(v.subject_id, "sub_A");
}

TEST(VerifyTest, NoRequiredFactorsStillNeedsEveryIdentifierToMatch) {
  EXPECT_TRUE(Verify({{IdentifierKind::kPhone, {"sub_A"}}}, {}).verified);
  EXPECT_FALSE(
      Verify({{IdentifierKind::kPhone, {"sub_A"}}, {IdentifierKind::kName, {}}}, {}).verified);
}

struct FailureCase {
  std::string name;
  std::vector<IdentifierMatch> given;
  VerificationReason reason;
  IdentifierKind about;
};

TEST(VerifyTest, EveryFailureIsCannotVerifyWithItsInternalReason) {
  const std::vector<FailureCase> cases = {
      {"one identifier matches another subject",
       {{IdentifierKind::kContract, {"sub_A"}},
        {IdentifierKind::kPhone, {"sub_B"}},
        {IdentifierKind::kBirthDate, {"sub_A"}}},
       VerificationReason::kDifferentSubjects,
       IdentifierKind::kPhone},
      {"nothing matches",
       {{IdentifierKind::kContract, {}},
        {IdentifierKind::kPhone, {}},
        {IdentifierKind::kBirthDate, {}}},
       VerificationReason::kNoMatch,
       IdentifierKind::kContract},
      {"one identifier matches nobody",
       {{IdentifierKind::kContract, {"sub_A"}},
        {IdentifierKind::kPhone, {"sub_A"}},
        {IdentifierKind::kBirthDate, {}}},
       VerificationReason::kNoMatch,
       IdentifierKind::kBirthDate},
      {"a required factor is missing",
       {{IdentifierKind::kContract, {"sub_A"}}, {IdentifierKind::kPhone, {"sub_A"}}},
       VerificationReason::kMissingFactor,
       IdentifierKind::kBirthDate},
      {"still two subjects after every identifier",
       {{IdentifierKind::kContract, {"sub_A", "sub_B"}},
        {IdentifierKind::kPhone, {"sub_A", "sub_B"}},
        {IdentifierKind::kBirthDate, {"sub_B", "sub_A", "sub_C"}}},
       VerificationReason::kAmbiguous,
       IdentifierKind::kContract},
      {"a shared birth date that is not this person's",
       {{IdentifierKind::kContract, {"sub_A"}},
        {IdentifierKind::kPhone, {"sub_A"}},
        {IdentifierKind::kBirthDate, {"sub_B", "sub_C"}}},
       VerificationReason::kDifferentSubjects,
       IdentifierKind::kBirthDate},
      {"an identifier without a kind",
       {{IdentifierKind::kContract, {"sub_A"}},
        {IdentifierKind::kPhone, {"sub_A"}},
        {IdentifierKind::kBirthDate, {"sub_A"}},
        {IdentifierKind::kNone, {"sub_A"}}},
       VerificationReason::kNoMatch,
       IdentifierKind::kNone},
      {"nothing given", {}, VerificationReason::kNoIdentifier, IdentifierKind::kNone},
  };
  for (const FailureCase& c : cases) {
    SCOPED_TRACE(c.name);
    const VerificationResult v = Verify(c.given, kContractPhoneBirth);
    EXPECT_FALSE(v.verified);
    EXPECT_EQ(v.subject_id, "");
    EXPECT_EQ(VerificationReasonName(v.reason), VerificationReasonName(c.reason));
    EXPECT_EQ(v.about, c.about);
    // The requester hears the same answer for every failure.
    EXPECT_EQ(PublicVerificationAnswer(v), "cannot_verify");
  }
}

class AttemptLimiterTest : public ::testing::Test {
 protected:
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  AttemptLimiter limiter_{{.capacity = 3, .refill_every = absl::Minutes(10)}};
};

TEST_F(AttemptLimiterTest, ABurstThenOneAttemptPerPeriod) {
  EXPECT_EQ(limiter_.Available("ip:192.0.2.1", now_), 3);
  EXPECT_TRUE(limiter_.TryAcquire("ip:192.0.2.1", now_));
  EXPECT_TRUE(limiter_.TryAcquire("ip:192.0.2.1", now_));
  EXPECT_TRUE(limiter_.TryAcquire("ip:192.0.2.1", now_));
  EXPECT_FALSE(limiter_.TryAcquire("ip:192.0.2.1", now_));
  EXPECT_EQ(limiter_.RetryAfter("ip:192.0.2.1", now_), absl::Minutes(10));
  // Other requesters are not affected.
  EXPECT_TRUE(limiter_.TryAcquire("ip:192.0.2.2", now_));
  EXPECT_EQ(limiter_.RetryAfter("ip:192.0.2.2", now_), absl::ZeroDuration());
  // Nine minutes later: still nothing; the refused attempt took nothing.
  now_ += absl::Minutes(9);
  EXPECT_FALSE(limiter_.TryAcquire("ip:192.0.2.1", now_));
  EXPECT_EQ(limiter_.RetryAfter("ip:192.0.2.1", now_), absl::Minutes(1));
  // Ten minutes after the burst: one attempt back.
  now_ += absl::Minutes(1);
  EXPECT_EQ(limiter_.Available("ip:192.0.2.1", now_), 1);
  EXPECT_TRUE(limiter_.TryAcquire("ip:192.0.2.1", now_));
  EXPECT_FALSE(limiter_.TryAcquire("ip:192.0.2.1", now_));
  // Partial periods are kept: 25 minutes later, two attempts are back and
  // the third comes 5 minutes after.
  now_ += absl::Minutes(25);
  EXPECT_EQ(limiter_.Available("ip:192.0.2.1", now_), 2);
  EXPECT_TRUE(limiter_.TryAcquire("ip:192.0.2.1", now_));
  EXPECT_TRUE(limiter_.TryAcquire("ip:192.0.2.1", now_));
  EXPECT_FALSE(limiter_.TryAcquire("ip:192.0.2.1", now_));
  EXPECT_EQ(limiter_.RetryAfter("ip:192.0.2.1", now_), absl::Minutes(5));
  // Never more than the capacity.
  now_ += absl::Hours(24);
  EXPECT_EQ(limiter_.Available("ip:192.0.2.1", now_), 3);
}

TEST_F(AttemptLimiterTest, AClockThatGoesBackRefillsNothing) {
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter_.TryAcquire("k", now_));
  EXPECT_FALSE(limiter_.TryAcquire("k", now_ - absl::Hours(1)));
  EXPECT_EQ(limiter_.Available("k", now_ - absl::Hours(1)), 0);
  EXPECT_TRUE(limiter_.TryAcquire("k", now_ + absl::Minutes(10)));
}

TEST_F(AttemptLimiterTest, PruneForgetsFullBucketsOnly) {
  EXPECT_TRUE(limiter_.TryAcquire("a", now_));
  EXPECT_TRUE(limiter_.TryAcquire("b", now_ + absl::Minutes(5)));
  EXPECT_EQ(limiter_.size(), 2u);
  limiter_.Prune(now_ + absl::Minutes(12));  // "a" is full again, "b" not yet
  EXPECT_EQ(limiter_.size(), 1u);
  EXPECT_EQ(limiter_.Available("b", now_ + absl::Minutes(12)), 2);
  EXPECT_EQ(limiter_.Available("a", now_ + absl::Minutes(12)), 3);
  limiter_.Prune(now_ + absl::Minutes(15));
  EXPECT_EQ(limiter_.size(), 0u);
}

TEST(AttemptLimiterOptionsTest, NonsenseOptionsAreRaised) {
  AttemptLimiter limiter({.capacity = 0, .refill_every = absl::ZeroDuration()});
  const absl::Time t = absl::FromUnixSeconds(0);
  EXPECT_TRUE(limiter.TryAcquire("k", t));
  EXPECT_FALSE(limiter.TryAcquire("k", t));
  EXPECT_TRUE(limiter.TryAcquire("k", t + absl::Seconds(1)));
}

}  // namespace
}  // namespace mamori::requests
