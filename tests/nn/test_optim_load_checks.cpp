// optim::load_state_dict holds a loaded state to the constructor's rules (Note [Loaded
// state is checked]): each bad hyper-parameter is refused with the same message by the
// constructor, add_param_group and load_state_dict; bad state tensors are refused; and
// a refused load leaves the optimizer as it was.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nn/optim/adam.h"
#include "nn/optim/sgd.h"
#include "support/helpers.h"
#include "support/optim_state.h"

namespace ember {
namespace {

using ember::testing::error_of;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor param() { return ember::testing::optim_param(); }
using ember::testing::number;
using ember::testing::stepped_state;
using ember::testing::with;
using ember::testing::without;

struct BadSGD {
  optim::SGDOptions options;
  const char* phrase;
};

TEST(OptimLoadChecks, SGDHyperParametersRefusedAlikeByConstructorGroupAndLoad) {
  const BadSGD cases[] = {
      {{.lr = -1.0}, "Invalid learning rate: -1"},
      {{.lr = kNaN}, "Invalid learning rate: nan"},
      {{.lr = kInf}, "Invalid learning rate: inf"},
      {{.lr = 0.1, .momentum = -0.5}, "Invalid momentum value: -0.5"},
      {{.lr = 0.1, .momentum = kNaN}, "Invalid momentum value: nan"},
      {{.lr = 0.1, .dampening = kInf}, "Invalid dampening value: inf"},
      {{.lr = 0.1, .weight_decay = -1e-4}, "Invalid weight_decay value: -0.0001"},
      {{.lr = 0.1, .momentum = 0.0, .nesterov = true}, "Nesterov momentum requires a momentum and zero dampening"},
      {{.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true},
       "Nesterov momentum requires a momentum and zero dampening"},
  };
  const optim::StateDict good = stepped_state<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.phrase);
    Tensor p = param(), q = param();
    EXPECT_EMBER_ERROR(optim::SGD({p}, c.options), c.phrase);
    optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
    EXPECT_EMBER_ERROR(sgd.add_param_group({q}, c.options), c.phrase);
    EXPECT_EQ(sgd.num_param_groups(), 1u);
    // The same options as a saved state dict (every field written, as state_dict does).
    optim::StateDict bad = good;
    bad = with(bad, "param_groups.0.lr", number(c.options.lr));
    bad = with(bad, "param_groups.0.momentum", number(c.options.momentum));
    bad = with(bad, "param_groups.0.dampening", number(c.options.dampening));
    bad = with(bad, "param_groups.0.weight_decay", number(c.options.weight_decay));
    bad = with(bad, "param_groups.0.nesterov", number(c.options.nesterov ? 1.0 : 0.0));
    optim::SGD fresh({param()}, {.lr = 0.3, .momentum = 0.5});
    const std::string msg = error_of([&] { fresh.load_state_dict(bad); });
    EXPECT_NE(msg.find(c.phrase), std::string::npos) << msg;
    EXPECT_NE(msg.find("parameter group 0"), std::string::npos) << msg;
    // Nothing changed.
    EXPECT_DOUBLE_EQ(fresh.lr(0), 0.3);
    EXPECT_DOUBLE_EQ(fresh.options(0).momentum, 0.5);
    EXPECT_TRUE(fresh.state_dict().size() == optim::SGD({param()}, {.lr = 0.3}).state_dict().size());
  }
}

TEST(OptimLoadChecks, AFlagTakesOnlyZeroOrOne) {
  const optim::StateDict good = stepped_state<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true});
  optim::SGD sgd({param()}, {.lr = 0.1, .momentum = 0.9});
  EXPECT_EMBER_ERROR(sgd.load_state_dict(with(good, "param_groups.0.nesterov", number(0.5))),
                     "nesterov is a flag: expected 0 or 1, but got 0.5");
  EXPECT_FALSE(sgd.options(0).nesterov);
  sgd.load_state_dict(good);
  EXPECT_TRUE(sgd.options(0).nesterov);
}

TEST(OptimLoadChecks, AdamHyperParametersRefusedAlikeByConstructorAndLoad) {
  const std::pair<optim::AdamOptions, const char*> cases[] = {
      {{.lr = kNaN}, "Invalid learning rate: nan"},
      {{.betas = {1.0, 0.999}}, "Invalid beta parameter at index 0: 1"},
      {{.betas = {0.9, -0.1}}, "Invalid beta parameter at index 1: -0.1"},
      {{.betas = {kNaN, 0.999}}, "Invalid beta parameter at index 0: nan"},
      {{.eps = -1e-8}, "Invalid epsilon value: -1e-08"},
      {{.eps = kInf}, "Invalid epsilon value: inf"},
      {{.weight_decay = kNaN}, "Invalid weight_decay value: nan"},
  };
  const optim::StateDict good = stepped_state<optim::Adam>(optim::AdamOptions{.lr = 0.1});
  for (const auto& [options, phrase] : cases) {
    SCOPED_TRACE(phrase);
    EXPECT_EMBER_ERROR(optim::Adam({param()}, options), phrase);
    const optim::AdamWOptions w{.lr = options.lr, .betas = options.betas, .eps = options.eps,
                                .weight_decay = options.weight_decay};
    EXPECT_EMBER_ERROR(optim::AdamW({param()}, w), phrase);
    optim::StateDict bad = good;
    bad = with(bad, "param_groups.0.lr", number(options.lr));
    bad = with(bad, "param_groups.0.beta1", number(options.betas.first));
    bad = with(bad, "param_groups.0.beta2", number(options.betas.second));
    bad = with(bad, "param_groups.0.eps", number(options.eps));
    bad = with(bad, "param_groups.0.weight_decay", number(options.weight_decay));
    optim::Adam adam({param()}, {.lr = 0.25});
    EXPECT_EMBER_ERROR(adam.load_state_dict(bad), phrase);
    EXPECT_DOUBLE_EQ(adam.lr(0), 0.25);
    optim::AdamW adamw({param()}, {.lr = 0.25});
    EXPECT_EMBER_ERROR(adamw.load_state_dict(bad), phrase);
    EXPECT_DOUBLE_EQ(adamw.lr(0), 0.25);
  }
}

TEST(OptimLoadChecks, MomentumBufferMustBeAFloatTensorShapedLikeItsParameter) {
  const optim::StateDict good = stepped_state<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  const std::string key = "state.0.momentum_buffer";
  optim::SGD sgd({param()}, {.lr = 0.1, .momentum = 0.9});
  EXPECT_EMBER_ERROR(sgd.load_state_dict(with(good, key, zeros({3}, kFloat64))),
                     "\"state.0.momentum_buffer\" has shape [3] but its parameter has shape [2]");
  EXPECT_EMBER_ERROR(sgd.load_state_dict(with(good, key, zeros({2}, kInt64))),
                     "\"state.0.momentum_buffer\" must be a floating-point tensor, but got int64");
  EXPECT_EMBER_ERROR(sgd.load_state_dict(with(good, "state.0.exp_avg", zeros({2}, kFloat64))),
                     "unexpected optimizer state \"state.0.exp_avg\"; expected one of: momentum_buffer");
  // A refused load left no state behind: the first step starts the buffer at the gradient.
  EXPECT_EQ(sgd.state_dict().size(), optim::SGD({param()}, {.lr = 0.1, .momentum = 0.9}).state_dict().size());
  // And a good one loads (the float32 buffer becomes float64, the parameter's dtype).
  sgd.load_state_dict(with(good, key, tensor(std::vector<float>{0.5f, -0.25f}, {2})));
  for (const auto& [k, v] : sgd.state_dict()) {
    if (k == key) {
      ember::testing::expect_values(v, {0.5, -0.25});
    }
  }
}

TEST(OptimLoadChecks, AdamStateChecks) {
  const optim::StateDict good = stepped_state<optim::Adam>(optim::AdamOptions{.lr = 0.1});
  optim::Adam adam({param()}, {.lr = 0.1});
  EXPECT_EMBER_ERROR(
      adam.load_state_dict(with(good, "state.0.exp_avg_sq", tensor(std::vector<double>{0.1, -1e-3}, {2}, kFloat64))),
      "\"state.0.exp_avg_sq\" must hold non-negative values, but element 1 is -0.001");
  EXPECT_EMBER_ERROR(adam.load_state_dict(with(good, "state.0.exp_avg", zeros({2, 1}, kFloat64))),
                     "has shape [2, 1] but its parameter has shape [2]");
  EXPECT_EMBER_ERROR(adam.load_state_dict(with(good, "state.0.step", number(1.5))),
                     "\"state.0.step\" must be a whole number of steps from 0 to 2^53, but got 1.5");
  EXPECT_EMBER_ERROR(adam.load_state_dict(with(good, "state.0.step", number(-1))), "but got -1");
  EXPECT_EMBER_ERROR(adam.load_state_dict(with(good, "state.0.step", number(kNaN))), "but got nan");
  EXPECT_EMBER_ERROR(adam.load_state_dict(with(good, "state.0.step", number(1e300))), "but got 1e+300");
  EXPECT_EMBER_ERROR(adam.load_state_dict(with(good, "state.0.step", zeros({2}, kFloat64))),
                     "must be a single step count, but has 2 elements");
  EXPECT_EMBER_ERROR(adam.load_state_dict(without(good, "state.0.exp_avg")),
                     "optimizer state \"state.0.exp_avg\" is missing");
  EXPECT_EMBER_ERROR(adam.load_state_dict(with(good, "param_groups.0.lr", zeros({2}, kFloat64))),
                     "\"param_groups.0.lr\" must hold one number, but has 2 elements");
  // An integer step count is a step count; the loaded optimizer continues from it.
  adam.load_state_dict(with(good, "state.0.step", scalar_tensor(int64_t{7}, kInt64)));
  bool found = false;
  for (const auto& [k, v] : adam.state_dict()) {
    if (k != "state.0.step") continue;
    found = true;
    EXPECT_EQ(v.dtype(), kFloat64);
    EXPECT_DOUBLE_EQ(v.item<double>(), 7.0);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// A step with an infinite gradient element writes inf and NaN into Adam's state; the state
// dict of that diverged run loads back as it was (PyTorch's load checks no values).
TEST(OptimLoadChecks, AStateWithInfAndNaNLoadsBack) {
  Tensor p = param();
  optim::Adam adam({p}, {.lr = 0.1});
  p.mutable_grad() = tensor(std::vector<double>{0.5, std::numeric_limits<double>::infinity()}, {2}, kFloat64);
  adam.step();
  const optim::StateDict saved = adam.state_dict();
  optim::Adam resumed({param()}, {.lr = 0.1});
  resumed.load_state_dict(saved);
  const optim::StateDict loaded = resumed.state_dict();
  ASSERT_EQ(loaded.size(), saved.size());
  bool saw_inf = false;
  for (size_t i = 0; i < saved.size(); ++i) {
    ASSERT_EQ(loaded[i].first, saved[i].first);
    const std::vector<double> a = saved[i].second.to_vector<double>();
    const std::vector<double> b = loaded[i].second.to_vector<double>();
    ASSERT_EQ(a.size(), b.size());
    for (size_t j = 0; j < a.size(); ++j) {
      saw_inf = saw_inf || std::isinf(a[j]);
      EXPECT_TRUE(a[j] == b[j] || (std::isnan(a[j]) && std::isnan(b[j]))) << saved[i].first << "[" << j << "]";
    }
  }
  EXPECT_TRUE(saw_inf);
}

// The ids of param_groups.<g>.params tie state.<id> to parameters; PyTorch's and ember's
// state dicts number them 0, 1, ... in order, and anything else is refused.
TEST(OptimLoadChecks, ParameterIdsMustBeInOrder) {
  Tensor p = param(), q = param();
  optim::SGD sgd({p, q}, {.lr = 0.1, .momentum = 0.9});
  optim::StateDict sd = sgd.state_dict();
  for (auto& [k, v] : sd)
    if (k == "param_groups.0.params") v = tensor(std::vector<int64_t>{1, 0}, kInt64);
  EXPECT_EMBER_ERROR(sgd.load_state_dict(sd),
                     "\"param_groups.0.params\" should number its parameters 0 to 1 in order (as "
                     "optimizer.state_dict() writes them), but entry 0 is 1");
  for (auto& [k, v] : sd)
    if (k == "param_groups.0.params") v = tensor(std::vector<int64_t>{0, 5}, kInt64);
  EXPECT_EMBER_ERROR(sgd.load_state_dict(sd), "but entry 1 is 5");
  sgd.load_state_dict(optim::SGD({param(), param()}, {.lr = 0.1, .momentum = 0.9}).state_dict());
}

// A PyTorch group's capturable flag loads whatever its value (it changes where the step
// runs, not its values); foreach = true still asks for what ember does not have.
TEST(OptimLoadChecks, CapturableFlagLoadsEitherWay) {
  optim::Adam adam({param()}, {.lr = 0.1});
  optim::StateDict sd = adam.state_dict();
  sd.emplace_back("param_groups.0.capturable", scalar_tensor(1.0, kFloat64));
  adam.load_state_dict(sd);
  EXPECT_DOUBLE_EQ(adam.lr(0), 0.1);
  sd.back() = {"param_groups.0.foreach", scalar_tensor(1.0, kFloat64)};
  EXPECT_EMBER_ERROR(adam.load_state_dict(sd), "\"param_groups.0.foreach\" is true, but this optimizer has no foreach");
}

}  // namespace
}  // namespace ember
