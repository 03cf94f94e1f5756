// nn::Module: dotted names of parameters/buffers/modules, recursive train/eval,
// zero_grad, to(Device), apply, state_dict round trips and PyTorch's load errors,
// ledger scopes per layer, and repr.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <sstream>

#include "autograd/saved_variable.h"
#include "nn/layers.h"
#include "support/helpers.h"

namespace ember {
namespace {

using nn::Module;
using ModuleList = std::vector<std::shared_ptr<Module>>;

std::shared_ptr<nn::Sequential> small_net(int64_t hidden = 3) {
  return std::make_shared<nn::Sequential>(ModuleList{
      std::make_shared<nn::Linear>(2, hidden), std::make_shared<nn::BatchNorm1d>(hidden),
      std::make_shared<nn::Sequential>(ModuleList{std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(0.5)})});
}

std::vector<std::string> keys(const nn::StateDict& sd) {
  std::vector<std::string> out;
  for (const auto& [k, _] : sd) out.push_back(k);
  return out;
}

TEST(Module, DottedNamesInRegistrationOrder) {
  auto net = small_net();
  EXPECT_EQ(keys(net->named_parameters()), (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"}));
  EXPECT_EQ(keys(net->named_buffers()),
            (std::vector<std::string>{"1.running_mean", "1.running_var", "1.num_batches_tracked"}));
  EXPECT_EQ(keys(net->state_dict()),
            (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                      "1.num_batches_tracked"}));
  EXPECT_EQ(net->parameters().size(), 4u);
  EXPECT_TRUE(net->parameters(/*recurse=*/false).empty());
  EXPECT_EQ(net->children().size(), 3u);
  std::vector<std::string> names;
  for (const auto& [name, m] : net->named_modules()) names.push_back(name + ":" + m->type_name());
  EXPECT_EQ(names, (std::vector<std::string>{":Sequential", "0:Linear", "1:BatchNorm1d", "2:Sequential", "2.0:ReLU",
                                             "2.1:Dropout"}));
  EXPECT_EQ(net->named_modules()[0].second.get(), net.get());
}

TEST(Module, ParametersShareTheModulesTensors) {
  auto net = small_net();
  auto& fc = static_cast<nn::Linear&>(*(*net)[0]);
  EXPECT_TRUE(net->parameters()[0].is_same(fc.weight));
  EXPECT_EQ(net->size(), 3u);
  EXPECT_EMBER_ERROR((*net)[3], "out of range");
}

TEST(Module, TrainEvalRecursive) {
  auto net = small_net();
  EXPECT_TRUE(net->is_training());
  net->eval();
  for (const auto& [_, m] : net->named_modules()) EXPECT_FALSE(m->is_training());
  net->train();
  for (const auto& [_, m] : net->named_modules()) EXPECT_TRUE(m->is_training());
  net->train(false);
  EXPECT_FALSE((*net)[2]->children()[1]->is_training());
}

TEST(Module, ZeroGrad) {
  auto net = small_net();
  net->eval();
  (*net)(ones({4, 2})).sum().backward();
  for (const auto& p : net->parameters()) ASSERT_TRUE(p.grad().defined());
  net->zero_grad(/*set_to_none=*/false);
  for (const auto& p : net->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().abs().sum().item<float>(), 0.0f);
  }
  net->zero_grad();
  for (const auto& p : net->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Module, ToDeviceKeepsParametersLeaves) {
  auto net = small_net();
  auto before = net->parameters();
  net->to(Device::cpu());
  auto after = net->parameters();
  ASSERT_EQ(after.size(), before.size());
  for (const auto& p : after) EXPECT_TRUE(p.requires_grad() && p.is_leaf());
  EXPECT_TRUE(equal(after[0], before[0]));
  EXPECT_EQ(net->named_buffers()[2].second.dtype(), kInt64);
}

// module.to(torch.float64) / module.double(): floating parameters, buffers and gradients
// cast, parameters in place (handles taken before see float64), integer buffers kept, a float64 forward
// equal to the float32 one's values; an integer dtype is PyTorch's error.
TEST(Module, ToDtypeCastsFloatingParametersAndBuffers) {
  auto net = small_net();
  net->eval();
  const Tensor x = randn({4, 2});
  const Tensor y32 = (*net)(x);
  (*net)(x).sum().backward();
  const auto params = net->parameters();
  net->to(kFloat64);
  for (const auto& p : net->parameters()) {
    EXPECT_EQ(p.dtype(), kFloat64);
    EXPECT_TRUE(p.requires_grad() && p.is_leaf());
    EXPECT_EQ(p.grad().dtype(), kFloat64);
  }
  EXPECT_TRUE(params[0].is_same(net->parameters()[0]));  // the same parameter, now float64 (as PyTorch's)
  EXPECT_EQ(params[0].dtype(), kFloat64);
  const auto buffers = net->named_buffers();
  EXPECT_EQ(buffers[0].second.dtype(), kFloat64);  // running_mean
  EXPECT_EQ(buffers[2].second.dtype(), kInt64);    // num_batches_tracked
  const Tensor y64 = (*net)(x.to(kFloat64));
  EXPECT_EQ(y64.dtype(), kFloat64);
  EXPECT_TRUE(allclose(y64.to(kFloat32), y32, 1e-5, 1e-6));
  EXPECT_EMBER_ERROR(net->to(kInt64), "nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=");
}

// PyTorch's model.double() after building the optimizer: the optimizer still trains the
// model (Note [Module conversions keep parameter identity]); the same for a memory format.
TEST(Module, AnOptimizerMadeBeforeAConversionStillTrainsTheModule) {
  auto net = std::make_shared<nn::Linear>(4, 3);
  optim::SGD sgd(net->parameters(), {.lr = 0.1});
  const Tensor handle = net->weight;
  net->to(kFloat64);
  EXPECT_TRUE(handle.is_same(net->weight));
  EXPECT_EQ(handle.dtype(), kFloat64);
  const Tensor before = net->weight.clone();
  (*net)(ones({3, 4}, kFloat64)).sum().backward();
  sgd.step();
  // d(sum)/dW = 3 for every weight (three rows of ones): each moves by lr * 3.
  EXPECT_TRUE(allclose(net->weight, before - 0.3, 0.0, 1e-12));
  EXPECT_EQ(net->weight.grad().dtype(), kFloat64);

  auto conv = std::make_shared<nn::Conv2d>(2, 3, 3);
  optim::SGD conv_sgd(conv->parameters(), {.lr = 0.1});
  const Tensor w = conv->weight;
  conv->to(MemoryFormat::ChannelsLast);
  EXPECT_TRUE(w.is_same(conv->weight));
  EXPECT_TRUE(w.is_contiguous(MemoryFormat::ChannelsLast));
  const Tensor w_before = w.clone();
  (*conv)(ones({1, 2, 5, 5}).contiguous(MemoryFormat::ChannelsLast)).sum().backward();
  conv_sgd.step();
  EXPECT_FALSE(equal(w, w_before));
}

TEST(Module, SetDataKeepsAutogradStateAndChecksTheDtype) {
  Tensor p = ones({2}).requires_grad_(true);
  (p * 2.0).sum().backward();
  p.set_data(full({3}, 5.0, kFloat64));
  EXPECT_EQ(p.sizes(), (Dims{3}));
  EXPECT_EQ(p.dtype(), kFloat64);
  EXPECT_TRUE(p.requires_grad() && p.is_leaf());
  EXPECT_EQ(p.grad().to_vector<float>(), (std::vector<float>{2, 2}));  // the gradient stays, as PyTorch's
  EXPECT_EMBER_ERROR(p.set_data(ones({2}, kInt64)), "must be floating point, but got int64");
}

TEST(Module, ApplyVisitsEveryModule) {
  auto net = small_net();
  std::vector<std::string> seen;
  net->apply([&](Module& m) { seen.push_back(m.type_name()); });
  EXPECT_EQ(seen, (std::vector<std::string>{"Linear", "BatchNorm1d", "ReLU", "Dropout", "Sequential", "Sequential"}));
}

TEST(Module, StateDictRoundTrip) {
  manual_seed(1);
  auto a = small_net();
  manual_seed(2);
  auto b = small_net();
  a->train();
  (*a)(randn({8, 2}));  // move a's running stats
  auto sd = a->state_dict();
  for (const auto& [_, t] : sd) EXPECT_FALSE(t.requires_grad());
  EXPECT_TRUE(sd[0].second.is_alias_of(a->parameters()[0]));
  b->load_state_dict(sd);
  auto sb = b->state_dict();
  for (size_t i = 0; i < sd.size(); ++i) EXPECT_TRUE(equal(sd[i].second, sb[i].second)) << sd[i].first;
  EXPECT_TRUE(b->parameters()[0].requires_grad());
  EXPECT_EQ(b->named_buffers()[2].second.item<int64_t>(), 1);
}

TEST(Module, LoadStateDictErrors) {
  auto net = small_net();
  auto sd = net->state_dict();
  sd.erase(sd.begin());  // "0.weight"
  sd.emplace_back("x", ones({1}));
  EXPECT_EMBER_ERROR(net->load_state_dict(sd),
                     "Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: \"0.weight\". "
                     "\n\tUnexpected key(s) in state_dict: \"x\".");
  EXPECT_NO_THROW(net->load_state_dict(sd, /*strict=*/false));

  auto wide = small_net(4);
  EXPECT_EMBER_ERROR(small_net(3)->load_state_dict(wide->state_dict(), false),
                     "size mismatch for 0.weight: copying a param with shape torch.Size([4, 2]) from checkpoint, the "
                     "shape in current model is torch.Size([3, 2]).");
}

TEST(Module, NonStrictLoadCopiesWhatMatches) {
  auto a = small_net(), b = small_net();
  auto sd = a->state_dict();
  sd.resize(1);
  b->load_state_dict(sd, false);
  EXPECT_TRUE(equal(b->parameters()[0], a->parameters()[0]));
  EXPECT_FALSE(equal(b->parameters()[1], a->parameters()[1]));
}

TEST(Module, LedgerScopesAreChildIndices) {
  auto net = small_net();
  Tensor x = randn({4, 2});
  Tensor y = (*net)(x);
  auto stats = autograd::saved_tensor_stats();
  EXPECT_GT(stats.bytes_by_scope["0"], 0);
  EXPECT_GT(stats.bytes_by_scope["1"], 0);
  for (const auto& [scope, _] : stats.bytes_by_scope) EXPECT_EQ(scope.find("Sequential"), std::string::npos) << scope;
}

TEST(Module, Repr) {
  auto net = small_net();
  std::ostringstream os;
  os << *net;
  EXPECT_EQ(os.str(),
            "Sequential(\n"
            "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
            "  (1): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
            "  (2): Sequential(\n"
            "    (0): ReLU()\n"
            "    (1): Dropout(p=0.5, inplace=False)\n"
            "  )\n"
            ")");
  EXPECT_EQ(nn::Flatten().repr(), "Flatten(start_dim=1, end_dim=-1)");
  EXPECT_EQ(nn::BatchNorm2d(8, {.momentum = std::nullopt}).repr(),
            "BatchNorm2d(8, eps=1e-05, momentum=None, affine=True, track_running_stats=True)");
}

}  // namespace
}  // namespace ember
