// PyTorch's generator= arguments (Note [Explicit generators] in core/random.h): the factories,
// the tensor-shaped draws and the in-place fills draw from the generator given, repeat its
// stream as the default generator would from the same seed, and leave the default one alone.
#include <cstdint>
#include <thread>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

// The default generator's position, read without moving it.
Tensor default_state() { return default_generator().get_state(); }

TEST(ExplicitGenerators, FactoriesDrawFromTheGeneratorGiven) {
  manual_seed(5);
  const Tensor u = rand({6}), n = randn({2, 3}, dtype(kFloat64)), i = randint(3, 9, {5}), p = randperm(7);
  manual_seed(123);
  const Tensor before = default_state();
  Generator g(5);
  EXPECT_TRUE(rand({6}, g).equal(u));
  EXPECT_TRUE(randn({2, 3}, g, dtype(kFloat64)).equal(n));
  EXPECT_TRUE(randint(3, 9, {5}, g).equal(i));
  EXPECT_TRUE(randperm(7, g).equal(p));
  EXPECT_TRUE(default_state().equal(before));  // the default generator did not move
  Generator h(5);
  EXPECT_TRUE(rand({6}, h).equal(u));   // the same seed repeats the stream
  EXPECT_FALSE(rand({6}, h).equal(u));  // and it moves on
  EXPECT_EQ(randint(4, {3}, g).dtype(), kInt64);
  EXPECT_EQ(randperm(4, g, dtype(kFloat32)).dtype(), kFloat32);
}

TEST(ExplicitGenerators, TensorShapedDrawsAndFills) {
  const Tensor probs = tensor(std::vector<double>{0.1, 0.5, 0.9, 0.3}, {4}, dtype(kFloat64));
  const Tensor weights = tensor(std::vector<double>{1, 2, 3, 4}, {4}, dtype(kFloat64));
  const Tensor mean = zeros({4}, dtype(kFloat64)), stddev = ones({4}, dtype(kFloat64));
  manual_seed(9);
  const Tensor b = bernoulli(probs), m = multinomial(weights, 3), nm = normal(mean, stddev);
  const Tensor n2 = normal(2.0, 0.5, {3}, dtype(kFloat64));
  Tensor fills = empty({5}, dtype(kFloat64));
  fills.uniform_(-1, 1);
  const Tensor uniform = fills.clone();
  fills.normal_(3, 2);
  const Tensor normals = fills.clone();
  fills.exponential_(2);
  const Tensor exponentials = fills.clone();
  fills.random_(0, 10);
  const Tensor integers = fills.clone();

  manual_seed(77);
  const Tensor before = default_state();
  Generator g(9);
  EXPECT_TRUE(bernoulli(probs, g).equal(b));
  EXPECT_TRUE(multinomial(weights, 3, false, g).equal(m));
  EXPECT_TRUE(normal(mean, stddev, g).equal(nm));
  EXPECT_TRUE(normal(2.0, 0.5, {3}, g, dtype(kFloat64)).equal(n2));
  Tensor again = empty({5}, dtype(kFloat64));
  EXPECT_TRUE(again.uniform_(-1, 1, g).equal(uniform));
  EXPECT_TRUE(again.normal_(3, 2, g).equal(normals));
  EXPECT_TRUE(again.exponential_(2, g).equal(exponentials));
  EXPECT_TRUE(again.random_(0, 10, g).equal(integers));
  EXPECT_TRUE(default_state().equal(before));
  // the method forms
  Generator h(1), k(1);
  EXPECT_TRUE(probs.bernoulli(h).equal(probs.bernoulli(k)));
  EXPECT_TRUE(weights.multinomial(2, true, h).equal(weights.multinomial(2, true, k)));
  Tensor x = empty({4}), y = empty({4});
  EXPECT_TRUE(x.cauchy_(0, 1, h).equal(y.cauchy_(0, 1, k)));
  EXPECT_TRUE(x.log_normal_(1, 2, h).equal(y.log_normal_(1, 2, k)));
  EXPECT_TRUE(x.geometric_(0.3, h).equal(y.geometric_(0.3, k)));
  EXPECT_TRUE(x.bernoulli_(0.4, h).equal(y.bernoulli_(0.4, k)));
  EXPECT_TRUE(x.random_(h).equal(y.random_(k)));
  EXPECT_TRUE(default_state().equal(before));
}

// The override is this thread's and this call's: the default generator draws as before
// beside it, and in another thread.
TEST(ExplicitGenerators, OtherThreadsAndLaterCallsUseTheDefault) {
  manual_seed(3);
  const Tensor expected = rand({4});
  manual_seed(3);
  Generator g(99);
  Tensor seen;
  {
    std::thread other([&] { seen = rand({4}); });
    const Tensor mine = detail::with_generator(g, [] { return rand({4}); });
    other.join();
    EXPECT_FALSE(mine.equal(expected));
  }
  EXPECT_TRUE(seen.equal(expected));
  EXPECT_EQ(&draw_generator(), &default_generator());
}

}  // namespace
}  // namespace ember
