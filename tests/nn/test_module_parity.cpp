// nn::Module against PyTorch 1.13 where they used to differ: a shared module or tied tensor
// listed once by named_parameters / parameters / named_buffers / named_modules / modules /
// children (state_dict keeps every name; apply visits once per parent), so SGD accepts the
// parameters and clip_grad_norm_ counts a shared gradient once; load_state_dict's
// IncompatibleKeys; BatchNorm loading a state dict without num_batches_tracked;
// requires_grad_; non-persistent buffers.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <memory>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "nn/lazy.h"
#include "nn/optim/swa_utils.h"
#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;
using nn::Module;
using ModuleList = std::vector<std::shared_ptr<Module>>;
using Names = std::vector<std::string>;

Names keys(const nn::StateDict& sd) {
  Names out;
  for (const auto& [k, _] : sd) out.push_back(k);
  return out;
}

Names module_names(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules) {
  Names out;
  for (const auto& [name, _] : modules) out.push_back(name);
  return out;
}

// W = [[0.5, -0.25], [0.125, 1]], b = [0.1, -0.2] (float32).
std::shared_ptr<nn::Linear> fixed_linear() {
  auto lin = std::make_shared<nn::Linear>(2, 2);
  NoGradGuard no_grad;
  lin->weight.copy_(tensor(std::vector<float>{0.5f, -0.25f, 0.125f, 1.0f}, {2, 2}));
  lin->bias.copy_(tensor(std::vector<float>{0.1f, -0.2f}, {2}));
  return lin;
}

// lin = nn.Linear(2, 2); net = nn.Sequential(lin, nn.ReLU(), lin):
//   [n for n, _ in net.named_parameters()]  -> ['0.weight', '0.bias']
//   len(list(net.parameters()))              -> 2
//   [n for n, _ in net.named_modules()]      -> ['', '0', '1']
//   [n for n, _ in net.named_children()]     -> ['0', '1']
//   list(net.state_dict().keys())            -> ['0.weight', '0.bias', '2.weight', '2.bias']
//   net.apply(f) visits                      -> Linear, ReLU, Sequential
TEST(ModuleParity, SharedModuleListedOnce) {
  auto lin = std::make_shared<nn::Linear>(2, 2);
  auto net = std::make_shared<nn::Sequential>(ModuleList{lin, std::make_shared<nn::ReLU>(), lin});
  EXPECT_EQ(keys(net->named_parameters()), (Names{"0.weight", "0.bias"}));
  ASSERT_EQ(net->parameters().size(), 2u);
  EXPECT_TRUE(net->parameters()[0].is_same(lin->weight));
  EXPECT_EQ(keys(net->named_parameters(/*recurse=*/true, /*remove_duplicate=*/false)),
            (Names{"0.weight", "0.bias", "2.weight", "2.bias"}));
  EXPECT_EQ(module_names(net->named_modules()), (Names{"", "0", "1"}));
  EXPECT_EQ(module_names(net->named_modules(/*remove_duplicate=*/false)), (Names{"", "0", "1", "2"}));
  const auto modules = net->modules();
  ASSERT_EQ(modules.size(), 3u);
  EXPECT_EQ(modules[0].get(), net.get());
  EXPECT_EQ(modules[1], lin);
  EXPECT_EQ(modules[2]->type_name(), "ReLU");
  EXPECT_EQ(net->children().size(), 2u);
  EXPECT_EQ(module_names(net->named_children()), (Names{"0", "1"}));
  EXPECT_EQ(keys(net->state_dict()), (Names{"0.weight", "0.bias", "2.weight", "2.bias"}));
  Names seen;
  net->apply([&seen](Module& m) { seen.push_back(m.type_name()); });
  EXPECT_EQ(seen, (Names{"Linear", "ReLU", "Sequential"}));
  // Every registered name still leads to the module (PyTorch's getattr).
  EXPECT_TRUE(net->get_parameter("2.weight").is_same(lin->weight));
  EXPECT_EQ((*net)[2], lin);
  EXPECT_EQ(net->repr(),
            "Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n  (1): ReLU()\n"
            "  (2): Linear(in_features=2, out_features=2, bias=True)\n)");
}

// outer = nn.Sequential(nn.Sequential(lin), nn.Sequential(lin)):
//   apply visits           -> Linear, Sequential, Linear, Sequential, Sequential
//   named_modules          -> ['', '0', '0.0', '1']
//   named_parameters       -> ['0.0.weight', '0.0.bias']
//   state_dict keys        -> ['0.0.weight', '0.0.bias', '1.0.weight', '1.0.bias']
TEST(ModuleParity, ModuleSharedByTwoParents) {
  auto lin = std::make_shared<nn::Linear>(2, 2);
  auto outer = std::make_shared<nn::Sequential>(
      ModuleList{std::make_shared<nn::Sequential>(ModuleList{lin}), std::make_shared<nn::Sequential>(ModuleList{lin})});
  Names seen;
  outer->apply([&seen](Module& m) { seen.push_back(m.type_name()); });
  EXPECT_EQ(seen, (Names{"Linear", "Sequential", "Linear", "Sequential", "Sequential"}));
  EXPECT_EQ(module_names(outer->named_modules()), (Names{"", "0", "0.0", "1"}));
  EXPECT_EQ(module_names(outer->named_modules(/*remove_duplicate=*/false)), (Names{"", "0", "0.0", "1", "1.0"}));
  EXPECT_EQ(outer->modules().size(), 4u);
  EXPECT_EQ(keys(outer->named_parameters()), (Names{"0.0.weight", "0.0.bias"}));
  EXPECT_EQ(keys(outer->state_dict()), (Names{"0.0.weight", "0.0.bias", "1.0.weight", "1.0.bias"}));
}

// x = [[1, 2]]; net(x).sum().backward() with the shared fixed_linear():
//   net(x)            -> [[-0.33125, 1.7375]]
//   lin.weight.grad   -> [[0.725, 3.175], [0.85, 3.425]]; lin.bias.grad -> [1.625, 1.75]
//   clip_grad_norm_(net.parameters(), 1e9) -> 5.3630681038 (7.5845236778 if counted twice)
//   SGD(net.parameters(), lr=0.1).step(): weight [[0.4275, -0.5675], [0.04, 0.6575]],
//   bias [-0.0625, -0.375]
TEST(ModuleParity, SharedParametersTrainOnce) {
  auto lin = fixed_linear();
  nn::Sequential net(ModuleList{lin, std::make_shared<nn::ReLU>(), lin});
  const Tensor x = tensor(std::vector<float>{1, 2}, {1, 2});
  const Tensor y = net(x);
  expect_values(y, {-0.33125, 1.7375}, 1e-6);
  y.sum().backward();
  expect_values(lin->weight.grad(), {0.725, 3.175, 0.85, 3.425}, 1e-6);
  expect_values(lin->bias.grad(), {1.625, 1.75}, 1e-6);
  const Tensor norm = nn::utils::clip_grad_norm_(net.parameters(), 1e9);
  expect_values(norm, {5.3630681038}, 1e-5);
  optim::SGD sgd(net.parameters(), {.lr = 0.1});
  sgd.step();
  expect_values(lin->weight, {0.4275, -0.5675, 0.04, 0.6575}, 1e-6);
  expect_values(lin->bias, {-0.0625, -0.375}, 1e-6);
}

// a, b = nn.Linear(3, 3), nn.Linear(3, 3); b.weight = a.weight; t = nn.Sequential(a, b):
//   named_parameters -> ['0.weight', '0.bias', '1.bias']; len(parameters()) -> 3
//   state_dict keys  -> ['0.weight', '0.bias', '1.weight', '1.bias']; SGD accepts them
TEST(ModuleParity, TiedWeightsListedOnce) {
  auto a = std::make_shared<nn::Linear>(3, 3);
  auto b = std::make_shared<nn::Linear>(3, 3);
  b->weight = a->weight;
  nn::Sequential net(ModuleList{a, b});
  EXPECT_EQ(keys(net.named_parameters()), (Names{"0.weight", "0.bias", "1.bias"}));
  EXPECT_EQ(net.parameters().size(), 3u);
  EXPECT_EQ(keys(net.named_parameters(true, /*remove_duplicate=*/false)),
            (Names{"0.weight", "0.bias", "1.weight", "1.bias"}));
  EXPECT_EQ(keys(net.state_dict()), (Names{"0.weight", "0.bias", "1.weight", "1.bias"}));
  EXPECT_NO_THROW(optim::SGD(net.parameters(), {.lr = 0.1}));
  // requires_grad_ reaches the tied tensor through either layer.
  net.requires_grad_(false);
  EXPECT_FALSE(a->weight.requires_grad());
  EXPECT_FALSE(b->weight.requires_grad());
}

// AveragedModel pairs slot by slot: a model tied after it was made averages into an untied
// copy (PyTorch's deepcopy would keep the tie), and a copy tied too averages its tensor once.
TEST(ModuleParity, AveragedModelOfTiedWeights) {
  manual_seed(0);
  const auto tied_net = [](bool tie) {
    auto a = std::make_shared<nn::Linear>(3, 3), b = std::make_shared<nn::Linear>(3, 3);
    if (tie) b->weight = a->weight;
    return std::make_shared<nn::Sequential>(ModuleList{a, b});
  };
  for (const bool copy_tied : {false, true}) {
    auto net = tied_net(true);
    optim::swa_utils::AveragedModel averaged(*net, tied_net(copy_tied));
    ASSERT_NO_THROW(averaged.update_parameters(*net));
    {
      NoGradGuard no_grad;
      net->get_parameter("0.weight").add_(1.0);
    }
    averaged.update_parameters(*net);  // the mean of the two: weight + 0.5
    const Tensor expected = net->get_parameter("0.weight") - 0.5;
    for (const char* name : {"module.0.weight", "module.1.weight"})
      EXPECT_LT((averaged.get_parameter(name) - expected).abs().max().item<float>(), 1e-6f) << name;
  }
}

// bn = nn.BatchNorm1d(3); net = nn.Sequential(bn, bn):
//   named_buffers -> ['0.running_mean', '0.running_var', '0.num_batches_tracked']
//   len(buffers()) -> 3; state_dict has 10 keys, '0.*' then '1.*'
//   net.load_state_dict(twin.state_dict()) -> <All keys matched successfully>
TEST(ModuleParity, SharedBuffersListedOnceAndLoaded) {
  auto bn = std::make_shared<nn::BatchNorm1d>(3);
  nn::Sequential net(ModuleList{bn, bn});
  EXPECT_EQ(keys(net.named_buffers()), (Names{"0.running_mean", "0.running_var", "0.num_batches_tracked"}));
  EXPECT_EQ(net.buffers().size(), 3u);
  EXPECT_EQ(net.named_buffers(true, /*remove_duplicate=*/false).size(), 6u);
  EXPECT_EQ(keys(net.state_dict()),
            (Names{"0.weight", "0.bias", "0.running_mean", "0.running_var", "0.num_batches_tracked", "1.weight",
                   "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"}));
  auto twin_bn = std::make_shared<nn::BatchNorm1d>(3);
  nn::Sequential twin(ModuleList{twin_bn, twin_bn});
  twin_bn->running_mean.fill_(4.0);
  const nn::IncompatibleKeys result = net.load_state_dict(twin.state_dict());
  EXPECT_TRUE(result.missing_keys.empty());
  EXPECT_TRUE(result.unexpected_keys.empty());
  expect_values(bn->running_mean, {4, 4, 4}, 0);
}

// net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)); sd = net.state_dict();
// del sd['0.weight']; sd['x'] = ...; sd['1.extra'] = ...
//   net.load_state_dict(sd, strict=False)
//   -> _IncompatibleKeys(missing_keys=['0.weight'], unexpected_keys=['x', '1.extra'])
TEST(ModuleParity, LoadStateDictReturnsIncompatibleKeys) {
  auto net = std::make_shared<nn::Sequential>(
      ModuleList{std::make_shared<nn::Linear>(2, 3), std::make_shared<nn::BatchNorm1d>(3)});
  const nn::IncompatibleKeys all = net->load_state_dict(net->state_dict());
  EXPECT_TRUE(all.missing_keys.empty());
  EXPECT_TRUE(all.unexpected_keys.empty());

  auto sd = net->state_dict();
  ASSERT_EQ(sd.front().first, "0.weight");
  sd.erase(sd.begin());
  sd.emplace_back("x", ones({1}));
  sd.emplace_back("1.extra", ones({1}));
  const nn::IncompatibleKeys result = net->load_state_dict(sd, /*strict=*/false);
  EXPECT_EQ(result.missing_keys, (Names{"0.weight"}));
  EXPECT_EQ(result.unexpected_keys, (Names{"x", "1.extra"}));
  EXPECT_EMBER_ERROR(net->load_state_dict(sd),
                     "Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: \"0.weight\". "
                     "\n\tUnexpected key(s) in state_dict: \"x\", \"1.extra\".");
}

// bn = nn.BatchNorm1d(3); two training forwards -> num_batches_tracked 2. A plain dict
// without 'num_batches_tracked' (running_mean [1, 2, 3]) loads strictly:
//   bn.load_state_dict(sd) -> <All keys matched successfully>; running_mean [1, 2, 3].
// PyTorch 1.13 then resets the counter to 0; PyTorch 2 (and ember) keep it (2).
// nn.BatchNorm1d(3, track_running_stats=False).state_dict() -> ['weight', 'bias'].
nn::StateDict sd_without_counter(const nn::StateDict& full) {
  nn::StateDict out;
  for (const auto& [key, value] : full)
    if (key != "num_batches_tracked") out.emplace_back(key, value);
  return out;
}

TEST(ModuleParity, BatchNormLoadsWithoutNumBatchesTracked) {
  manual_seed(0);
  nn::BatchNorm1d bn(3);
  bn(randn({4, 3}));
  bn(randn({4, 3}));
  ASSERT_EQ(bn.num_batches_tracked.item<int64_t>(), 2);
  EXPECT_EQ(bn.optional_state_keys(), (Names{"num_batches_tracked"}));

  nn::StateDict sd;
  for (const auto& [key, value] : nn::BatchNorm1d(3).state_dict())
    if (key != "num_batches_tracked") sd.emplace_back(key, value);
  sd[2].second = tensor(std::vector<float>{1, 2, 3}, {3});  // running_mean
  const nn::IncompatibleKeys result = bn.load_state_dict(sd);
  EXPECT_TRUE(result.missing_keys.empty());
  EXPECT_TRUE(result.unexpected_keys.empty());
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 2);
  expect_values(bn.running_mean, {1, 2, 3}, 0);

  // Inside a model (prefixed key), and non-strict: not reported as missing.
  auto net = std::make_shared<nn::Sequential>(
      ModuleList{std::make_shared<nn::Linear>(2, 3), std::make_shared<nn::BatchNorm1d>(3)});
  nn::StateDict net_sd;
  for (const auto& [key, value] : net->state_dict())
    if (key != "1.num_batches_tracked") net_sd.emplace_back(key, value);
  EXPECT_NO_THROW(net->load_state_dict(net_sd));
  EXPECT_TRUE(net->load_state_dict(net_sd, /*strict=*/false).missing_keys.empty());

  // Only num_batches_tracked is optional.
  sd.erase(sd.begin() + 2);
  EXPECT_EMBER_ERROR(bn.load_state_dict(sd),
                     "Error(s) in loading state_dict for BatchNorm1d:\n\tMissing key(s) in state_dict: "
                     "\"running_mean\".");

  // Untracked statistics: no counter to leave out.
  nn::BatchNorm1d untracked(3, {.track_running_stats = false});
  EXPECT_EQ(keys(untracked.state_dict()), (Names{"weight", "bias"}));
  EXPECT_TRUE(untracked.optional_state_keys().empty());

  // InstanceNorm with tracked statistics (PyTorch: <All keys matched successfully>).
  nn::InstanceNorm1d instance(3, {.track_running_stats = true});
  nn::StateDict instance_sd;
  for (const auto& [key, value] : instance.state_dict())
    if (key != "num_batches_tracked") instance_sd.emplace_back(key, value);
  EXPECT_NO_THROW(instance.load_state_dict(instance_sd));

  // A lazy batch norm, before and after its first forward (the regular module's keys).
  for (const bool initialized : {false, true}) {
    nn::LazyBatchNorm1d lazy;
    if (initialized) lazy(randn({4, 3}));
    EXPECT_EQ(lazy.optional_state_keys(), (Names{"num_batches_tracked"}));
    EXPECT_NO_THROW(lazy.load_state_dict(sd_without_counter(nn::BatchNorm1d(3).state_dict())));
    EXPECT_EQ(lazy.in_size(), 3);
  }
}

// net.requires_grad_(False) returns net and freezes every parameter; buffers untouched.
TEST(ModuleParity, RequiresGradFreezesEveryParameter) {
  auto net = std::make_shared<nn::Sequential>(
      ModuleList{std::make_shared<nn::Linear>(2, 3), std::make_shared<nn::BatchNorm1d>(3)});
  Module& returned = net->requires_grad_(false);
  EXPECT_EQ(&returned, net.get());
  ASSERT_EQ(net->parameters().size(), 4u);
  for (const Tensor& p : net->parameters()) EXPECT_FALSE(p.requires_grad());
  for (const Tensor& b : net->buffers()) EXPECT_FALSE(b.requires_grad());
  EXPECT_FALSE((*net)(randn({4, 2})).requires_grad());

  // Unfreezing one child only.
  (*net)[0]->requires_grad_();
  const auto params = net->parameters();
  EXPECT_TRUE(params[0].requires_grad());
  EXPECT_TRUE(params[1].requires_grad());
  EXPECT_FALSE(params[2].requires_grad());
  EXPECT_FALSE(params[3].requires_grad());
  const Tensor y = (*net)(randn({4, 2}));
  EXPECT_TRUE(y.requires_grad());
  y.sum().backward();
  EXPECT_TRUE(params[0].grad().defined());
  EXPECT_FALSE(params[2].grad().defined());
}

// A module with buffers 'a' (persistent) and 'b' (persistent=False).
struct TwoBuffers : Module {
  TwoBuffers()
      : Module("TwoBuffers"),
        a(register_buffer("a", ones({2}))),
        b(register_buffer("b", zeros({2}), /*persistent=*/false)) {}
  Tensor forward(const Tensor& input) override { return input; }
  Tensor& a;
  Tensor& b;
};

// m.register_buffer('a', torch.ones(2)); m.register_buffer('b', torch.zeros(2), persistent=False):
//   [n for n, _ in m.named_buffers()] -> ['a', 'b']; list(m.state_dict().keys()) -> ['a']
//   m.double(): a and b float64
//   m.load_state_dict({'a': ...}) -> <All keys matched successfully>
//   m.load_state_dict({'a': ..., 'b': ...}, strict=False) -> unexpected_keys=['b']
//   strict -> Unexpected key(s) in state_dict: "b".
TEST(ModuleParity, NonPersistentBuffer) {
  TwoBuffers m;
  EXPECT_EQ(keys(m.named_buffers()), (Names{"a", "b"}));
  EXPECT_EQ(m.buffers().size(), 2u);
  EXPECT_EQ(keys(m.state_dict()), (Names{"a"}));
  m.to(kFloat64);
  EXPECT_EQ(m.a.dtype(), kFloat64);
  EXPECT_EQ(m.b.dtype(), kFloat64);
  EXPECT_EQ(m.get_buffer("b").dtype(), kFloat64);

  const nn::StateDict only_a{{"a", tensor(std::vector<double>{3, 3}, {2})}};
  const nn::IncompatibleKeys strict = m.load_state_dict(only_a);
  EXPECT_TRUE(strict.missing_keys.empty());
  EXPECT_TRUE(strict.unexpected_keys.empty());
  expect_values(m.a, {3, 3}, 0);
  const nn::StateDict with_b{{"a", tensor(std::vector<double>{5, 5}, {2})},
                             {"b", tensor(std::vector<double>{7, 7}, {2})}};
  const nn::IncompatibleKeys loose = m.load_state_dict(with_b, /*strict=*/false);
  EXPECT_TRUE(loose.missing_keys.empty());
  EXPECT_EQ(loose.unexpected_keys, (Names{"b"}));
  expect_values(m.a, {5, 5}, 0);
  expect_values(m.b, {0, 0}, 0);
  EXPECT_EMBER_ERROR(m.load_state_dict(with_b),
                     "Error(s) in loading state_dict for TwoBuffers:\n\tUnexpected key(s) in state_dict: \"b\".");

  // In a parent: listed and moved, not saved.
  auto net = std::make_shared<nn::Sequential>(ModuleList{std::make_shared<TwoBuffers>()});
  EXPECT_EQ(keys(net->named_buffers()), (Names{"0.a", "0.b"}));
  EXPECT_EQ(keys(net->state_dict()), (Names{"0.a"}));

  // Registered again as persistent, it is saved.
  m.remove_buffer("b");
  m.register_buffer("b", zeros({2}));
  EXPECT_EQ(keys(m.state_dict()), (Names{"a", "b"}));
}

}  // namespace
}  // namespace ember
