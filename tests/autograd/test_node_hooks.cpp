// Node::register_prehook / register_hook / remove_hook, PyTorch's Node.register_prehook and
// Node.register_hook (Note [Node hooks] in autograd/engine.h).
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

using autograd::tensor_list;

TEST(NodeHooks, PreHookReplacesTheIncomingGradient) {
  Tensor x = tensor(std::vector<float>{1, 2}, {2}).requires_grad_();
  Tensor y = x * 3.0;
  std::vector<float> seen;
  y.grad_fn()->register_prehook([&](const tensor_list& grads) {
    seen = grads.at(0).to_vector<float>();
    return tensor_list{grads[0] * 2.0};
  });
  y.sum().backward();
  EXPECT_EQ(seen, (std::vector<float>{1, 1}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{6, 6}));
}

TEST(NodeHooks, PostHookSeesBothSidesAndReplacesWhatTheNodeComputed) {
  Tensor a = tensor(std::vector<float>{2}, {1}).requires_grad_();
  Tensor b = tensor(std::vector<float>{5}, {1}).requires_grad_();
  Tensor y = a * b;
  std::vector<float> seen_inputs, seen_outputs;
  y.grad_fn()->register_hook([&](const tensor_list& grad_inputs, const tensor_list& grad_outputs) {
    for (const Tensor& g : grad_inputs) seen_inputs.push_back(g.item<float>());
    seen_outputs.push_back(grad_outputs.at(0).item<float>());
    return tensor_list{grad_inputs[0] * 10.0, Tensor()};  // b's gradient dropped
  });
  (y * 4.0).sum().backward();
  EXPECT_EQ(seen_inputs, (std::vector<float>{20, 8}));  // d/da = 4 b, d/db = 4 a
  EXPECT_EQ(seen_outputs, (std::vector<float>{4}));
  EXPECT_FLOAT_EQ(a.grad().item<float>(), 200.0f);
  EXPECT_FALSE(b.grad().defined());
}

TEST(NodeHooks, RunInPyTorchsOrderAfterTensorHooksAndRetainGrad) {
  Tensor x = ones({1}).requires_grad_();
  Tensor y = x * 2.0;
  y.retain_grad();
  std::vector<std::string> events;
  y.grad_fn()->register_hook([&](const tensor_list&, const tensor_list&) {
    events.push_back("post");
    return tensor_list{};
  });
  y.grad_fn()->register_prehook([&](const tensor_list& g) {
    events.push_back("pre");
    return tensor_list{g[0] * 100.0};
  });
  y.register_hook([&](const Tensor& g) {
    events.push_back("tensor");
    return g * 3.0;
  });
  y.sum().backward();
  EXPECT_EQ(events, (std::vector<std::string>{"tensor", "pre", "post"}));
  EXPECT_FLOAT_EQ(y.grad().item<float>(), 3.0f);    // retain_grad sees the tensor hook, not the pre-hook
  EXPECT_FLOAT_EQ(x.grad().item<float>(), 600.0f);  // 3 * 100 * 2
}

TEST(NodeHooks, EachKindChainsInRegistrationOrderAndRemoveHookStopsEither) {
  Tensor x = ones({1}).requires_grad_();
  Tensor y = x * 1.0;
  auto& node = *y.grad_fn();
  const uint64_t add = node.register_prehook([](const tensor_list& g) { return tensor_list{g[0] + 1.0}; });
  node.register_prehook([](const tensor_list& g) { return tensor_list{g[0] * 10.0}; });
  const uint64_t keep = node.register_hook([](const tensor_list&, const tensor_list&) { return tensor_list{}; });
  const uint64_t twice =
      node.register_hook([](const tensor_list& gi, const tensor_list&) { return tensor_list{gi[0] * 2.0}; });
  y.sum().backward(Tensor(), /*retain_graph=*/true);
  EXPECT_FLOAT_EQ(x.grad().item<float>(), 40.0f);  // (1 + 1) * 10 * 2
  node.remove_hook(add);
  node.remove_hook(twice);
  node.remove_hook(keep);
  node.remove_hook(123456789);  // unknown: nothing
  x.mutable_grad() = Tensor();
  y.sum().backward();
  EXPECT_FLOAT_EQ(x.grad().item<float>(), 10.0f);
}

TEST(NodeHooks, NotRunForANodeAutogradGradOnlyCaptures) {
  Tensor x = ones({1}).requires_grad_();
  Tensor y = x * 2.0;
  Tensor z = y * 3.0;
  int y_node_calls = 0, z_node_calls = 0;
  y.grad_fn()->register_prehook([&](const tensor_list&) { return ++y_node_calls, tensor_list{}; });
  z.grad_fn()->register_prehook([&](const tensor_list&) { return ++z_node_calls, tensor_list{}; });
  const tensor_list g = autograd::grad({z}, {y});
  EXPECT_FLOAT_EQ(g.at(0).item<float>(), 3.0f);
  EXPECT_EQ(y_node_calls, 0);
  EXPECT_EQ(z_node_calls, 1);
}

TEST(NodeHooks, AnAccumulateGradPostHookGetsNoGradInputs) {
  Tensor x = tensor(std::vector<float>{1}, {1}).requires_grad_();
  Tensor y = x * 5.0;
  const auto accumulate = y.grad_fn()->next_edges().at(0).fn;
  ASSERT_EQ(accumulate->name(), "AccumulateGrad");
  size_t inputs_seen = 99;
  float output_seen = 0;
  accumulate->register_hook([&](const tensor_list& grad_inputs, const tensor_list& grad_outputs) {
    inputs_seen = grad_inputs.size();
    output_seen = grad_outputs.at(0).item<float>();
    return tensor_list{};
  });
  y.sum().backward();
  EXPECT_EQ(inputs_seen, 0u);
  EXPECT_FLOAT_EQ(output_seen, 5.0f);
  EXPECT_FLOAT_EQ(x.grad().item<float>(), 5.0f);
}

TEST(NodeHooks, UnderCreateGraphWhatAHookComputesIsRecorded) {
  Tensor x = tensor(std::vector<double>{3}, {1}, TensorOptions(kFloat64)).requires_grad_();
  Tensor y = x * x;
  y.grad_fn()->register_hook(
      [&](const tensor_list& gi, const tensor_list&) { return tensor_list{gi[0] * x, gi[1] * x}; });
  const tensor_list g = autograd::grad({y.sum()}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true);
  EXPECT_DOUBLE_EQ(g.at(0).item<double>(), 18.0);  // x * x + x * x = 2 x^2
  const tensor_list gg = autograd::grad({g[0].sum()}, {x});
  EXPECT_DOUBLE_EQ(gg.at(0).item<double>(), 12.0);  // 4 x
}

TEST(NodeHooks, BadResultsArePyTorchsErrors) {
  Tensor x = ones({2}).requires_grad_();
  {
    Tensor y = x * 2.0;
    y.grad_fn()->register_prehook([](const tensor_list& g) { return tensor_list{g[0], g[0]}; });
    EXPECT_EMBER_ERROR(y.sum().backward(), "has returned an incorrect number of values (got 2, but expected 1)");
  }
  {
    Tensor y = x * 2.0;
    y.grad_fn()->register_hook([](const tensor_list& gi, const tensor_list&) { return tensor_list{gi[0].sum()}; });
    EXPECT_EMBER_ERROR(y.sum().backward(), "has changed the size of value");
  }
  {
    Tensor y = x * 2.0;
    y.grad_fn()->register_hook(
        [](const tensor_list& gi, const tensor_list&) { return tensor_list{gi[0].to(kFloat64)}; });
    EXPECT_EMBER_ERROR(y.sum().backward(), "has changed the type of value");
  }
  {
    Tensor y = x + ones({2});  // the constant's edge gets no gradient
    y.grad_fn()->register_hook([](const tensor_list& gi, const tensor_list&) {
      return tensor_list{gi[0], ones({2})};
    });
    EXPECT_EMBER_ERROR(y.sum().backward(), "can't replace a None gradient with a non-None value");
  }
  EXPECT_EMBER_ERROR((x * 2.0).grad_fn()->register_prehook(nullptr), "expected a callable hook");
}

}  // namespace
}  // namespace ember
