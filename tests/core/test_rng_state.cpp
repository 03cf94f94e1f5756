// get_rng_state / set_rng_state / initial_seed (core/rng_state.h): a restored state repeats
// the draws that followed it (uniform, normal, randint, dropout masks), the state is the
// 16 bytes PyTorch users save beside a checkpoint, and bad states are clear errors.
#include <gmock/gmock.h>

#include <vector>

#include "core/rng_state.h"
#include "nn/functional.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ::testing::HasSubstr;

TEST(RngState, ARestoredStateRepeatsTheDrawsAfterIt) {
  manual_seed(3);
  EXPECT_EQ(initial_seed(), 3u);
  (void)rand({5});
  const Tensor state = get_rng_state();
  EXPECT_EQ(state.dtype(), kUInt8);
  EXPECT_EQ(state.sizes(), (Dims{16}));
  const Tensor u = rand({7}), n = randn({3, 4}, kFloat64), k = randint(0, 100, {9});
  const Tensor mask = nn::functional::dropout(ones({64}), 0.5, true);
  manual_seed(99);  // anything in between
  (void)rand({11});
  set_rng_state(state);
  EXPECT_EQ(initial_seed(), 3u);
  EXPECT_TRUE(equal(rand({7}), u));
  EXPECT_TRUE(equal(randn({3, 4}, kFloat64), n));
  EXPECT_TRUE(equal(randint(0, 100, {9}), k));
  EXPECT_TRUE(equal(nn::functional::dropout(ones({64}), 0.5, true), mask));
  EXPECT_FALSE(equal(rand({7}), u));  // and the stream moves on
}

TEST(RngState, BadStatesAreClearErrors) {
  EXPECT_THAT(error_of([] { set_rng_state(zeros({16})); }),
              HasSubstr("set_rng_state: expected the 16-byte uint8 CPU tensor of get_rng_state()"));
  EXPECT_THAT(error_of([] { set_rng_state(zeros({8}, TensorOptions(kUInt8))); }), HasSubstr("of shape [8]"));
  EXPECT_THAT(error_of([] { set_rng_state(Tensor()); }), HasSubstr("an undefined tensor"));
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// torch.random.fork_rng: draws inside the guard do not move the stream outside it.
TEST(RngState, ForkRngRestoresTheStreamAndSeedReseeds) {
  manual_seed(11);
  const Tensor expected = rand({4});
  manual_seed(11);
  {
    ForkRng fork;
    (void)randn({100});  // an evaluation's draws
    EXPECT_EQ(initial_seed(), 11u);
  }
  EXPECT_TRUE(equal(rand({4}), expected));
  manual_seed(11);
  {
    ForkRng disabled(false);
    (void)rand({3});
  }
  EXPECT_FALSE(equal(rand({4}), expected));
  // torch.seed(): a fresh seed, returned and in effect.
  const uint64_t fresh = seed();
  EXPECT_EQ(initial_seed(), fresh);
  const Tensor a = rand({3});
  manual_seed(fresh);
  EXPECT_TRUE(equal(rand({3}), a));
}

}  // namespace
}  // namespace ember
