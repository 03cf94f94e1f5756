// The autograd note's multithreaded cases: threads running backward into one leaf add every
// contribution (Note [Concurrent accumulation]); threads freeing a shared graph get its
// tensors or PyTorch's "backward through the graph a second time" error, never a crash; and
// threads taking gradients through one checkpoint each get their own recomputation.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

TEST(ConcurrentBackward, EveryContributionReachesASharedLeaf) {
  const Tensor x = zeros({4096}).requires_grad_(true);
  constexpr int kThreads = 8, kRounds = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) (x * 2).sum().backward();
    });
  for (auto& t : threads) t.join();
  const Tensor expected = full({4096}, 2.0 * kThreads * kRounds);
  EXPECT_TRUE(x.grad().equal(expected)) << "lost contributions: min " << x.grad().min().item<float>();
}

// The note's "graph retaining" case: the shared part's saved tensors are freed by whichever
// backward gets there first; the others get the second-time error.
TEST(ConcurrentBackward, SharedGraphWithoutRetainGraphErrorsNotCrashes) {
  constexpr int kThreads = 4, kRounds = 40;
  std::atomic<int> ok{0}, second_time{0}, other{0};
  for (int round = 0; round < kRounds; ++round) {
    const Tensor x = full({64}, 0.5).requires_grad_(true);
    Tensor a = x;
    for (int i = 0; i < 6; ++i) a = a.sin() * 1.01;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        try {
          (a * static_cast<double>(t + 1)).sum().backward();
          ++ok;
        } catch (const Error& e) {
          if (std::string(e.what()).find("backward through the graph a second time") != std::string::npos)
            ++second_time;
          else
            ++other;
        }
      });
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(ok.load(), kRounds);  // at least the first backward of each round succeeds
  EXPECT_EQ(ok.load() + second_time.load(), kThreads * kRounds);
}

TEST(ConcurrentBackward, GradientsThroughOneCheckpointFromManyThreads) {
  const Tensor x = tensor(std::vector<double>{0.1, 0.7, -0.4, 1.3}, {4}, dtype(kFloat64)).requires_grad_(true);
  const Tensor y = utils::checkpoint([](const Tensor& v) { return (v.sin() * v.exp()).tanh(); }, x).sum();
  const Tensor expected = autograd::grad({y}, {x}, {}, /*retain_graph=*/true)[0];
  constexpr int kThreads = 4, kRounds = 20;
  std::atomic<int> wrong{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        try {
          if (!autograd::grad({y}, {x}, {}, /*retain_graph=*/true)[0].equal(expected)) ++wrong;
        } catch (const Error&) {
          ++errors;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(errors.load(), 0);
}

}  // namespace
}  // namespace ember
