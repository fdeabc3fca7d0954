#include "common/bounded_queue.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace mamori::common {
namespace {

TEST(BoundedQueueTest, DeliversInOrderAcrossThreads) {
  BoundedQueue<int> queue(2);
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(queue.Push(i));
    queue.Close();
  });
  std::vector<int> got;
  while (std::optional<int> v = queue.Pop()) got.push_back(*v);
  producer.join();
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[i], i);
}

TEST(BoundedQueueTest, ClosingUnblocksAWaitingProducer) {
  BoundedQueue<int> queue(1);
  ASSERT_TRUE(queue.Push(1));
  bool second_pushed = true;
  std::thread producer([&] { second_pushed = queue.Push(2); });
  queue.Close();
  producer.join();
  EXPECT_FALSE(second_pushed);
  EXPECT_EQ(queue.Pop().value(), 1);  // what was queued still drains
  EXPECT_FALSE(queue.Pop().has_value());
}

}  // namespace
}  // namespace mamori::common
