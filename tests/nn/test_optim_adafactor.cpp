// optim::Adafactor against PyTorch 2.6+'s _single_tensor_adafactor transcribed into Python
// (float64, 10 steps of a [2, 3] matrix and a vector with gradients 2 (p - c)): the factored
// and plain second moments, eps1 None and given, weight decay, d, maximize; state shapes,
// a state_dict round trip mid-run, and PyTorch's option messages.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "nn/optim/adafactor.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;

struct Problem {
  Tensor W =
      tensor(std::vector<double>{0.5, -1.0, 2.0, 0.25, 0.0, -0.75}, {2, 3}, dtype(kFloat64)).requires_grad_(true);
  Tensor b = tensor(std::vector<double>{0.1, -0.2, 0.3}, {3}, dtype(kFloat64)).requires_grad_(true);
  const Tensor cW = tensor(std::vector<double>{1.0, 1.0, 1.0, -1.0, 0.5, 0.0}, {2, 3}, dtype(kFloat64));
  const Tensor cb = tensor(std::vector<double>{0.0, 0.0, 1.0}, {3}, dtype(kFloat64));

  void steps(optim::Optimizer& opt, int count) {
    for (int i = 0; i < count; ++i) {
      opt.zero_grad();
      ((W - cW).square().sum() + (b - cb).square().sum()).backward();
      opt.step();
    }
  }
};

// The Python transcription's values (PyTorch's algorithm line by line, in float64).
TEST(Adafactor, DefaultsMatchPyTorchsAlgorithm) {
  Problem pr;
  optim::Adafactor opt({pr.W, pr.b});
  pr.steps(opt, 10);
  expect_values(pr.W,
                {0.5412025917232534, -0.8927775560017325, 1.91182410429953, 0.09728073750610179, 0.04001517656831863,
                 -0.6520925272441781},
                1e-13);
  expect_values(pr.b, {0.07924810344084642, -0.17879042223488203, 0.3215185361360711}, 1e-13);
  const auto state = opt.state_dict();
  const auto value_of = [&](const std::string& key) {
    for (const auto& [k, v] : state)
      if (k == key) return v;
    return Tensor();
  };
  EXPECT_EQ(value_of("state.0.row_var").sizes(), Dims({2, 1}));
  EXPECT_EQ(value_of("state.0.col_var").sizes(), Dims({1, 3}));
  expect_values(value_of("state.0.row_var"), {6.526388756289832, 2.7583146822148192}, 1e-12);
  expect_values(value_of("state.0.col_var"), {3.169210059620583, 7.983199042095805, 2.7746460560405892}, 1e-12);
  expect_values(value_of("state.1.variance"), {0.03130204037293024, 0.14169058188468914, 1.8935711328850349}, 1e-12);
  expect_values(value_of("state.0.step"), {10}, 0);
  EXPECT_TRUE(std::isnan(value_of("param_groups.0.eps1").item<double>()));  // None
}

TEST(Adafactor, EveryOptionMatchesPyTorchsAlgorithm) {
  Problem pr;
  optim::Adafactor opt({pr.W, pr.b},
                       {.lr = 0.5, .eps1 = 1e-3, .eps2 = 1e-2, .d = 1.5, .weight_decay = 0.1, .maximize = true});
  pr.steps(opt, 10);
  expect_values(pr.W,
                {-27.733362104471546, -80.30543126430263, 58.85420800994833, 78.57103910746696, -24.901278022031036,
                 -61.81848021970901},
                1e-11);  // values of 80 after 10 ascending steps: about 1e-13 relative
  expect_values(pr.b, {8.675932626516348, -8.63078835319356, -7.6761776803277275}, 1e-11);
}

// A run resumed from a state_dict taken after 2 steps ends where the unbroken run does.
TEST(Adafactor, StateDictResumes) {
  Problem whole, first;
  optim::Adafactor a({whole.W, whole.b}, {.weight_decay = 0.05});
  whole.steps(a, 3);
  optim::Adafactor b({first.W, first.b}, {.weight_decay = 0.05});
  first.steps(b, 2);
  const auto saved = b.state_dict();
  Problem resumed;
  {
    const NoGradGuard no_grad;
    resumed.W.copy_(first.W);
    resumed.b.copy_(first.b);
  }
  optim::Adafactor c({resumed.W, resumed.b});
  c.load_state_dict(saved);
  EXPECT_DOUBLE_EQ(c.options(0).weight_decay, 0.05);
  EXPECT_FALSE(c.options(0).eps1.has_value());
  resumed.steps(c, 1);
  EXPECT_TRUE(resumed.W.equal(whole.W));
  EXPECT_TRUE(resumed.b.equal(whole.b));
}

TEST(Adafactor, OptionErrorsArePyTorchs) {
  Problem pr;
  EXPECT_NO_THROW(optim::Adafactor({pr.W}, {.d = std::numeric_limits<double>::infinity()}));  // no clipping
  EXPECT_EMBER_ERROR(optim::Adafactor({pr.W}, {.lr = std::nan("")}), "Learning rate should be >= 0 but is: nan");
  EXPECT_EMBER_ERROR(optim::Adafactor({pr.W}, {.lr = -1}), "Learning rate should be >= 0 but is: -1");
  EXPECT_EMBER_ERROR(optim::Adafactor({pr.W}, {.beta2_decay = 0.5}), "beta2_decay should be <= 0 but is: 0.5");
  EXPECT_EMBER_ERROR(optim::Adafactor({pr.W}, {.eps1 = -1e-3}), "epsilon1 should be >= 0 but is: -0.001");
  EXPECT_EMBER_ERROR(optim::Adafactor({pr.W}, {.eps2 = -1}), "epsilon2 should be >= 0 but is: -1");
  EXPECT_EMBER_ERROR(optim::Adafactor({pr.W}, {.d = 0.5}), "Clipping threshold d should be >= 1 but is: 0.5");
  EXPECT_EMBER_ERROR(optim::Adafactor({pr.W}, {.weight_decay = -0.1}), "weight_decay should be >= 0 but is: -0.1");
}

// A loaded factor of the wrong shape is refused before anything changes.
TEST(Adafactor, LoadedFactorsAreChecked) {
  Problem pr;
  optim::Adafactor opt({pr.W, pr.b});
  pr.steps(opt, 1);
  auto state = opt.state_dict();
  for (auto& [key, value] : state)
    if (key == "state.0.row_var") value = zeros({1, 3}, dtype(kFloat64));
  optim::Adafactor fresh({pr.W, pr.b}, {.weight_decay = 0.5});
  const auto before = fresh.state_dict();
  EXPECT_EMBER_ERROR(fresh.load_state_dict(state), "row_var");
  const auto after = fresh.state_dict();  // nothing was loaded: no state, the group's own options
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].first, before[i].first);
    EXPECT_TRUE(after[i].second.equal(before[i].second) || std::isnan(after[i].second.item<double>()))
        << after[i].first;
  }
  EXPECT_DOUBLE_EQ(fresh.options(0).weight_decay, 0.5);
}

}  // namespace
}  // namespace ember
