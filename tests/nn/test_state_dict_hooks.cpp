// PyTorch's state-dict hooks (Note [State-dict hooks] in nn/module_hooks.h): the order and
// prefixes they run with, keys renamed before a load and accepted after it, atomic loads
// when a hook fails; state_dict(prefix, keep_vars); unregister_module; and what
// parametrizations build on them (weight_norm's legacy keys, the dict removed with the last
// parametrization, MultiheadAttention reading a parametrized out_proj).
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::names_of;
namespace P = nn::utils::parametrize;
namespace PZ = nn::utils::parametrizations;

std::shared_ptr<nn::Sequential> two_level() {
  auto inner =
      std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{std::make_shared<nn::Linear>(2, 2)});
  return std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{std::make_shared<nn::Linear>(2, 3), inner});
}

TEST(StateDictHooks, SaveHooksRunPerModuleWithTheirPrefix) {
  auto model = two_level();
  auto inner = model->get<nn::Sequential>(1);
  std::vector<std::string> calls;
  model->register_state_dict_pre_hook([&](const nn::Module&, const std::string& prefix, bool keep_vars) {
    calls.push_back("pre root '" + prefix + "' " + std::to_string(keep_vars));
  });
  inner->register_state_dict_pre_hook(
      [&](const nn::Module&, const std::string& prefix, bool) { calls.push_back("pre inner '" + prefix + "'"); });
  // A post-hook sees the whole dict made so far and may change it: drop a bias, add an entry.
  inner->register_state_dict_post_hook([&](const nn::Module&, nn::StateDict& state, const std::string& prefix) {
    calls.push_back("post inner '" + prefix + "' " + std::to_string(state.size()));
    std::erase_if(state, [&](const auto& entry) { return entry.first == prefix + "0.bias"; });
    state.emplace_back(prefix + "version", full({}, 2.0));
  });
  auto root_post =
      model->register_state_dict_post_hook([&](const nn::Module&, nn::StateDict& state, const std::string&) {
        calls.push_back("post root " + std::to_string(state.size()));
      });
  const nn::StateDict state = model->state_dict("model.");
  EXPECT_EQ(names_of(state),
            (std::vector<std::string>{"model.0.weight", "model.0.bias", "model.1.0.weight", "model.1.version"}));
  EXPECT_EQ(calls, (std::vector<std::string>{"pre root 'model.' 0", "pre inner 'model.1.'", "post inner 'model.1.' 4",
                                             "post root 4"}));
  // A removed hook no longer runs.
  root_post.remove();
  calls.clear();
  (void)model->state_dict("", /*keep_vars=*/true);
  EXPECT_EQ(calls, (std::vector<std::string>{"pre root '' 1", "pre inner '1.'", "post inner '1.' 4"}));
}

TEST(StateDictHooks, KeepVarsGivesTheParametersThemselves) {
  nn::Linear layer(3, 2);
  const nn::StateDict detached = layer.state_dict();
  const nn::StateDict kept = layer.state_dict("", /*keep_vars=*/true);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FALSE(detached[0].second.requires_grad());
  EXPECT_TRUE(kept[0].second.requires_grad());
  EXPECT_EQ(kept[0].second.impl_ptr(), layer.weight.impl_ptr());
  EXPECT_NE(detached[0].second.impl_ptr(), layer.weight.impl_ptr());
  EXPECT_EQ(detached[0].second.data_ptr(), layer.weight.data_ptr());  // the same memory, no history
}

TEST(StateDictHooks, LoadPreHooksRenameKeysOfACopy) {
  nn::Linear layer(2, 2);
  // An old checkpoint that named the weight "w": the hook renames it before any comparison.
  nn::StateDict old{{"w", full({2, 2}, 3.0)}, {"bias", full({2}, 4.0)}};
  std::vector<std::string> seen;
  layer.register_load_state_dict_pre_hook(
      [&](nn::Module&, nn::StateDict& state, const std::string& prefix, bool strict) {
        seen.push_back(prefix + (strict ? "strict" : "loose"));  // always strict, as PyTorch passes it
        for (auto& [key, value] : state)
          if (key == prefix + "w") key = prefix + "weight";
      });
  EXPECT_TRUE(layer.load_state_dict(old).missing_keys.empty());
  EXPECT_TRUE(allclose(layer.weight, full({2, 2}, 3.0)));
  EXPECT_EQ(old[0].first, "w");  // the caller's dict is left as it was
  EXPECT_EQ(seen, (std::vector<std::string>{"strict"}));

  // Inside a model the hook gets the child's prefix.
  auto model = std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(2, 2)});
  std::string prefix_seen;
  model->get<nn::Linear>(1)->register_load_state_dict_pre_hook(
      [&](nn::Module&, nn::StateDict&, const std::string& prefix, bool) { prefix_seen = prefix; });
  model->load_state_dict(model->state_dict());
  EXPECT_EQ(prefix_seen, "1.");
}

TEST(StateDictHooks, LoadPostHooksMayAcceptKeysAndAFailureChangesNothing) {
  for (const bool assign : {false, true}) {
    SCOPED_TRACE(assign ? "assign" : "copy");
    nn::Linear layer(2, 2);
    const Tensor weight_before = layer.weight.detach().clone();
    layer.weight.mutable_grad() = ones({2, 2});
    nn::StateDict with_junk = nn::Linear(2, 2).state_dict();
    for (auto& [_, value] : with_junk) value = value.clone().fill_(7.0);
    with_junk.emplace_back("junk", zeros({1}));

    // No hook: a strict load fails before writing.
    EXPECT_EMBER_ERROR(layer.load_state_dict(with_junk, true, assign), "Unexpected key(s) in state_dict: \"junk\"");

    // A hook that leaves the key: the load fails and the weight, its memory and its gradient are as before.
    bool accept = false;
    int runs = 0;
    auto handle = layer.register_load_state_dict_post_hook([&](nn::Module&, nn::IncompatibleKeys& keys) {
      ++runs;
      EXPECT_EQ(keys.unexpected_keys, (std::vector<std::string>{"junk"}));
      if (accept) keys.unexpected_keys.clear();
    });
    const void* memory = layer.weight.data_ptr();
    EXPECT_EMBER_ERROR(layer.load_state_dict(with_junk, true, assign), "Unexpected key(s) in state_dict: \"junk\"");
    EXPECT_EQ(runs, 1);
    EXPECT_TRUE(equal(layer.weight.detach(), weight_before));
    EXPECT_EQ(layer.weight.data_ptr(), memory);
    ASSERT_TRUE(layer.weight.grad().defined());
    EXPECT_TRUE(equal(layer.weight.grad(), ones({2, 2})));

    // A hook that accepts it: loaded, and the returned lists are the hook's.
    accept = true;
    const nn::IncompatibleKeys keys = layer.load_state_dict(with_junk, true, assign);
    EXPECT_TRUE(keys.unexpected_keys.empty());
    EXPECT_TRUE(allclose(layer.weight, full({2, 2}, 7.0)));

    // A hook that throws fails the load, which changes nothing.
    handle.remove();
    layer.register_load_state_dict_post_hook(
        [](nn::Module& m, nn::IncompatibleKeys&) { EMBER_FAIL(m.type_name(), ": refused"); });
    nn::StateDict zeros_state = layer.state_dict();
    for (auto& [_, value] : zeros_state) value = zeros_like(value);
    EXPECT_EMBER_ERROR(layer.load_state_dict(zeros_state, true, assign), "Linear: refused");
    EXPECT_TRUE(allclose(layer.weight, full({2, 2}, 7.0)));
    EXPECT_TRUE(allclose(layer.bias, full({2}, 7.0)));
  }
}

// The review's cases: load_state_dict reads the module's tensors, not state_dict() through
// its hooks (an export hook converting to float16 or renaming keys changes no load), and a
// child's load pre-hook sees only its own entries (PyTorch 2's child_state_dict).
TEST(StateDictHooks, LoadsIgnoreTheSaveHooksAndChildrenSeeTheirOwnKeys) {
  auto model = two_level();
  int pre_calls = 0;
  model->register_state_dict_pre_hook([&](const nn::Module&, const std::string&, bool) { ++pre_calls; });
  model->register_state_dict_post_hook([](const nn::Module&, nn::StateDict& state, const std::string&) {
    for (auto& [key, value] : state) {
      key = "exported." + key;
      value = value.to(kFloat16);
    }
    state.emplace_back("exported.version", full({}, 2.0));
  });
  const nn::StateDict exported = model->state_dict();
  EXPECT_EQ(pre_calls, 1);
  EXPECT_EQ(exported.front().first, "exported.0.weight");
  EXPECT_EQ(exported.front().second.dtype(), kFloat16);
  nn::StateDict plain = two_level()->state_dict();
  for (auto& [key, value] : plain) value = full(value.sizes(), 5.0);
  EXPECT_TRUE(model->load_state_dict(plain).missing_keys.empty());
  EXPECT_EQ(pre_calls, 1);  // the load ran no save hook
  EXPECT_TRUE(allclose(model->get<nn::Linear>(0)->weight, full({3, 2}, 5.0)));
  EXPECT_TRUE(allclose(model->get_parameter("1.0.bias"), full({2}, 5.0)));

  auto inner = model->get<nn::Sequential>(1);
  std::vector<std::string> inner_saw;
  inner->register_load_state_dict_pre_hook([&](nn::Module&, nn::StateDict& state, const std::string&, bool) {
    for (const auto& [key, _] : state) inner_saw.push_back(key);
    state.clear();  // drops its own entries only
  });
  const nn::IncompatibleKeys keys = model->load_state_dict(plain, /*strict=*/false);
  EXPECT_EQ(inner_saw, (std::vector<std::string>{"1.0.weight", "1.0.bias"}));
  EXPECT_EQ(keys.missing_keys, (std::vector<std::string>{"1.0.weight", "1.0.bias"}));

  // A key a child's hook adds outside its prefix is its own copy's only: dropped.
  auto other = two_level();
  other->get<nn::Sequential>(1)->register_load_state_dict_pre_hook(
      [](nn::Module&, nn::StateDict& state, const std::string&, bool) {
        state.emplace_back("0.weight", zeros({3, 2}));
      });
  EXPECT_NO_THROW(other->load_state_dict(plain));
  EXPECT_TRUE(allclose(other->get<nn::Linear>(0)->weight, full({3, 2}, 5.0)));

  // ember's own copies ignore the save hooks: an AveragedModel of a model whose post-hook
  // exports only some keys (adapters) still copies every weight.
  auto exporting = two_level();
  exporting->register_state_dict_post_hook([](const nn::Module&, nn::StateDict& state, const std::string&) {
    std::erase_if(state, [](const auto& entry) { return !entry.first.starts_with("1."); });
  });
  EXPECT_EQ(names_of(exporting->state_dict()), (std::vector<std::string>{"1.0.weight", "1.0.bias"}));
  optim::swa_utils::AveragedModel averaged(*exporting, two_level());
  EXPECT_TRUE(equal(averaged.module->get_parameter("0.weight"), exporting->get_parameter("0.weight")));
}

// PyTorch's register_buffer / register_parameter / add_module replace an entry of their own
// kind; another kind's name stays an error.
TEST(StateDictHooks, RegisteringANameAgainReplacesTheEntry) {
  nn::Linear layer(2, 2);
  Tensor& mask = layer.register_buffer("mask", ones({2}));
  Tensor& again = layer.register_buffer("mask", zeros({2}), /*persistent=*/false);
  EXPECT_EQ(&mask, &again);
  EXPECT_TRUE(equal(mask, zeros({2})));
  EXPECT_EQ(names_of(layer.state_dict()), (std::vector<std::string>{"weight", "bias"}));
  layer.register_buffer("mask", ones({2}));  // persistent again
  EXPECT_EQ(names_of(layer.state_dict()), (std::vector<std::string>{"weight", "bias", "mask"}));
  layer.register_parameter("bias", full({2}, 3.0));
  EXPECT_TRUE(equal(layer.bias.detach(), full({2}, 3.0)));  // the layer's own reference sees it
  EXPECT_TRUE(layer.bias.requires_grad());
  EXPECT_EMBER_ERROR(layer.register_parameter("mask", ones({2})), "attribute 'mask' already exists");
  // A child's name again stays an error (a typed member would keep calling the old child).
  nn::Sequential seq(std::vector<std::shared_ptr<nn::Module>>{std::make_shared<nn::ReLU>()});
  EXPECT_EMBER_ERROR(seq.add_module("0", std::make_shared<nn::Tanh>()), "Submodule '0' already defined");
}

// A post-hook setting a key already there replaces it (Python's state[key] = value), and a
// failed load into a lazy module names the lazy class.
TEST(StateDictHooks, PostHookKeysReplaceAndLazyNames) {
  nn::Linear layer(2, 2);
  layer.register_state_dict_post_hook([](const nn::Module&, nn::StateDict& state, const std::string& prefix) {
    state.emplace_back(prefix + "weight", full({2, 2}, 9.0));
  });
  const nn::StateDict state = layer.state_dict();
  EXPECT_EQ(names_of(state), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_TRUE(equal(state[0].second, full({2, 2}, 9.0)));
  nn::LazyLinear lazy(3);
  nn::StateDict with_junk = nn::Linear(4, 3).state_dict();
  with_junk.emplace_back("junk", zeros({1}));
  EXPECT_EMBER_ERROR(lazy.load_state_dict(with_junk), "Error(s) in loading state_dict for LazyLinear:");
}

TEST(StateDictHooks, UnregisterModuleTakesAChildOut) {
  auto model = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(2, 2), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(2, 1)});
  model->unregister_module("1");
  // renumbered, as PyTorch's `del seq[1]`
  EXPECT_EQ(names_of(model->state_dict()), (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"}));
  EXPECT_EQ(model->size(), 2u);
  EXPECT_EQ((*model)(-ones({1, 2})).sizes(), (Dims{1, 1}));  // the call runs the two left
  EXPECT_EMBER_ERROR(model->unregister_module("2"), "No Module with name `2` is registered");
  model->push_back(std::make_shared<nn::ReLU>());
  EXPECT_EQ(model->named_children().back().first, "2");
  nn::ModuleDict dict({{"a", std::make_shared<nn::ReLU>()}, {"b", std::make_shared<nn::Tanh>()}});
  dict.unregister_module("a");
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"b"}));
}

TEST(StateDictHooks, WeightNormLoadsLegacyCheckpoints) {
  manual_seed(3);
  nn::Linear legacy(3, 2);
  nn::utils::weight_norm(legacy);
  for (auto& [name, t] : legacy.named_parameters()) {
    NoGradGuard no_grad;
    t.mul_(1.5);
  }
  legacy(ones({1, 3}));  // the legacy weight from the scaled g and v
  const nn::StateDict old = legacy.state_dict();
  EXPECT_EQ(names_of(old), (std::vector<std::string>{"bias", "weight_g", "weight_v"}));

  nn::Linear current(3, 2);
  PZ::weight_norm(current);
  EXPECT_TRUE(current.load_state_dict(old).unexpected_keys.empty());
  current(ones({1, 3}));
  EXPECT_LT(testing::max_abs_diff(current.weight, legacy.weight), 1e-6);
  EXPECT_TRUE(equal(current.get_parameter("parametrizations.weight.original0"), legacy.get_parameter("weight_g")));
  // With both the legacy and the new keys, the legacy ones win, as PyTorch's dict assignment.
  nn::StateDict both = old;
  both.emplace_back("parametrizations.weight.original0", zeros({2, 1}));
  both.emplace_back("parametrizations.weight.original1", zeros({2, 3}));
  nn::Linear mixed(3, 2);
  PZ::weight_norm(mixed);
  mixed.load_state_dict(both);
  EXPECT_TRUE(equal(mixed.get_parameter("parametrizations.weight.original0"), legacy.get_parameter("weight_g")));
  // PyTorch 2's own keys load as before.
  nn::Linear again(3, 2);
  PZ::weight_norm(again);
  again.load_state_dict(current.state_dict());
  again(ones({1, 3}));
  EXPECT_LT(testing::max_abs_diff(again.weight, legacy.weight), 1e-6);
}

TEST(StateDictHooks, RemovingTheLastParametrizationRemovesTheDict) {
  nn::Linear layer(3, 3);
  PZ::weight_norm(layer);
  PZ::spectral_norm(layer, "bias");
  P::remove_parametrizations(layer, "weight");
  EXPECT_TRUE(P::is_parametrized(layer));
  P::remove_parametrizations(layer, "bias");
  EXPECT_FALSE(P::is_parametrized(layer));
  EXPECT_TRUE(layer.named_children().empty());
  EXPECT_EQ(names_of(layer.state_dict()), (std::vector<std::string>{"weight", "bias"}));
  PZ::weight_norm(layer);  // and a new registration makes it again
  EXPECT_EQ(layer.named_children().size(), 1u);
}

// PyTorch computes out_proj.weight at MultiheadAttention's read; ember's attention
// recomputes it there, so spectral_norm on out_proj trains (it failed at the second step).
TEST(StateDictHooks, AttentionReadsAParametrizedOutProjection) {
  manual_seed(11);
  nn::MultiheadAttention attention(4, 2);
  PZ::spectral_norm(*attention.out_proj);
  optim::SGD sgd(attention.parameters(), {.lr = 0.1});
  const Tensor x = randn({3, 2, 4});
  Tensor u_before = attention.out_proj->get_buffer("parametrizations.weight.0._u").clone();
  for (int step = 0; step < 3; ++step) {
    sgd.zero_grad();
    const auto [out, weights] = attention(x, x, x);
    out.pow(2).sum().backward();
    sgd.step();
    const Tensor u = attention.out_proj->get_buffer("parametrizations.weight.0._u");
    EXPECT_FALSE(equal(u, u_before)) << "step " << step;  // a power iteration ran at the read
    u_before = u.clone();
  }
  EXPECT_NEAR(linalg::matrix_norm(attention.out_proj->weight.detach(), 2.0).item<double>(), 1.0, 1e-2);
}

}  // namespace
}  // namespace ember
