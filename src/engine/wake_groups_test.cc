#include "engine/wake_groups.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

namespace mamori::engine {
namespace {

TEST(WakeGroupsTest, JobsQueuedBetweenTwoIntakesShareAWord) {
  WakeGroups groups;
  std::atomic<uint32_t>* first = groups.Current();
  EXPECT_EQ(groups.Current(), first);
  groups.NextIntake();
  EXPECT_NE(groups.Current(), first);
  // Words are reused after a while; a reused word only wakes in vain.
  std::set<std::atomic<uint32_t>*> words{first};
  for (int i = 0; i < 200; ++i) {
    words.insert(groups.Current());
    groups.NextIntake();
  }
  EXPECT_EQ(words.size(), 64u);
}

TEST(WakeGroupsTest, WaitReturnsAtOnceForAnAnsweredJob) {
  WakeGroups groups;
  std::atomic<bool> answered = true;
  WakeGroups::Wait(answered, groups.Current());  // does not block
}

TEST(WakeGroupsTest, OneWakeUpWakesEveryCallerOfTheWord) {
  WakeGroups groups;
  std::atomic<uint32_t>* word = groups.Current();
  constexpr int kCallers = 16;
  std::vector<std::atomic<bool>> answered(kCallers);
  std::atomic<int> returned = 0;
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      WakeGroups::Wait(answered[static_cast<size_t>(i)], word);
      returned.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // most are asleep by now
  EXPECT_EQ(returned.load(), 0);
  for (std::atomic<bool>& a : answered) a.store(true);
  WakeGroups::WakeAll(word);
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(returned.load(), kCallers);
}

TEST(WakeGroupsTest, ACallerWokenBeforeItsAnswerSleepsOn) {
  WakeGroups groups;
  std::atomic<uint32_t>* word = groups.Current();
  std::atomic<bool> answered = false;
  std::atomic<bool> returned = false;
  std::thread caller([&] {
    WakeGroups::Wait(answered, word);
    returned.store(true);
  });
  // Another batch that shares the word is answered: not this caller's.
  for (int i = 0; i < 5; ++i) {
    WakeGroups::WakeAll(word);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(returned.load());
  answered.store(true);
  WakeGroups::WakeAll(word);
  caller.join();
  EXPECT_TRUE(returned.load());
}

// Answers and wake-ups racing with callers about to sleep: none is missed
// (a missed one would hang the test).
TEST(WakeGroupsTest, NoWakeUpIsLostToACallerAboutToSleep) {
  WakeGroups groups;
  std::atomic<uint32_t>* word = groups.Current();
  for (int round = 0; round < 2000; ++round) {
    std::atomic<bool> answered = false;
    std::thread caller([&] { WakeGroups::Wait(answered, word); });
    answered.store(true);
    WakeGroups::WakeAll(word);
    caller.join();
  }
}

}  // namespace
}  // namespace mamori::engine
