// Modules written as libtorch's C++ frontend writes them: struct Net : nn::Module with a default
// constructor (named after the class), a forward of its own signature, public
// register_module, EMBER_MODULE handles (TORCH_MODULE), and buffers kept as members that
// follow module.to(...).
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember::nn {

// The mnist example's shape: members as handles, forward(Tensor x) by value.
struct NetImpl : Module {
  NetImpl() {
    fc1 = register_module("fc1", std::make_shared<Linear>(4, 3));
    fc2 = register_module("fc2", std::make_shared<Linear>(3, 2));
  }
  Tensor forward(Tensor x) { return fc2->forward(ember::relu(fc1->forward(x))); }  // NOLINT: libtorch's by-value form
  std::shared_ptr<Linear> fc1, fc2;
};
EMBER_MODULE(Net);

// One overriding forward(const Tensor&): called through Module::operator(), so hooks run.
struct ScaleImpl : Module {
  explicit ScaleImpl(double factor) : factor(factor) { running = register_buffer("running", ones({2})); }
  Tensor forward(const Tensor& x) override {
    running.add_(1.0);  // a buffer updated through the member handle
    return x * factor;
  }
  double factor;
  Tensor running;
};
EMBER_MODULE(Scale);

// libtorch's Sequential member registered from a holder-returning register_module.
struct StackImpl : Module {
  StackImpl() : inner(register_module("inner", Scale(2.0))) {}
  Tensor forward(const Tensor& x) override { return inner(x); }
  Scale inner;
};
EMBER_MODULE(Stack);

namespace {

using testing::error_of;

TEST(LibtorchModules, DefaultConstructedModulesAreNamedAfterTheirClass) {
  Net net;
  EXPECT_EQ(net->type_name(), "NetImpl");
  EXPECT_EQ(net->named_parameters().size(), 4u);
  const Tensor out = net(ones({5, 4}));  // forward(Tensor x), called directly
  EXPECT_EQ(out.sizes(), (Dims{5, 2}));
  EXPECT_EQ(net->forward(ones({1, 4})).sizes(), (Dims{1, 2}));
  // Through Module::operator() (a Sequential, hooks), a forward of another signature is
  // PyTorch's "missing the required forward" error, not a crash.
  EXPECT_NE(error_of([&] {
              (void)(*net)(ones({1, 4}));
            }).find("Module [NetImpl] is missing the required \"forward\" function"),
            std::string::npos);
  EXPECT_NE(net->repr().find("NetImpl(\n  (fc1): Linear(in_features=4, out_features=3, bias=True)"), std::string::npos)
      << net->repr();
}

TEST(LibtorchModules, HoldersCallThroughOperatorAndFitContainers) {
  Scale scale(3.0);
  int hooks = 0;
  scale->register_forward_hook([&hooks](Module&, const Tensor&, const Tensor&) { ++hooks; });
  testing::expect_exact(scale(tensor(std::vector<float>{1, 2}, {2})), {3, 6});
  EXPECT_EQ(hooks, 1);
  Sequential seq(scale, std::make_shared<ReLU>(), Scale(0.5));
  testing::expect_exact(seq(tensor(std::vector<float>{-1, 2}, {2})), {0, 3});
  EXPECT_EQ(hooks, 2);
  Stack stack;
  testing::expect_exact(stack(tensor(std::vector<float>{1}, {1})), {2});
  EXPECT_EQ(stack->named_buffers().size(), 1u);
  EXPECT_EQ(stack->named_buffers()[0].first, "inner.running");
  Scale empty{nullptr};
  EXPECT_TRUE(empty.is_empty());
  EXPECT_EQ(error_of([&] { (void)empty->factor; }), "Accessing empty ModuleHolder");
  empty = Scale(1.5);
  EXPECT_FALSE(empty.is_empty());
  std::shared_ptr<ScaleImpl> raw = empty;
  EXPECT_EQ(raw->factor, 1.5);
  // Typed access: seq->get<T>(i) and module->as<T>() (nullptr when it is not one).
  EXPECT_EQ(seq.get<ScaleImpl>(0)->factor, 3.0);
  EXPECT_NE(error_of([&] { (void)seq.get<Linear>(1); }).find("element 1 is a ReLU, not the type asked for"),
            std::string::npos);
  EXPECT_EQ(seq[2]->as<ScaleImpl>()->factor, 0.5);
  EXPECT_EQ(seq[1]->as<ScaleImpl>(), nullptr);
  // register_module is public, as libtorch's.
  Module outer("Outer");
  outer.register_module("scale", scale);
  EXPECT_EQ(outer.named_children().size(), 1u);
}

// libtorch's Module::to converts buffers in place (set_data), so the member handle a module
// keeps (running = register_buffer(...)) is the buffer after the conversion too.
TEST(LibtorchModules, BufferMembersFollowModuleTo) {
  Scale scale(1.0);
  scale->to(kFloat64);
  EXPECT_EQ(scale->running.dtype(), kFloat64);
  (void)scale(ones({2}, kFloat64));
  testing::expect_exact(scale->running, {2, 2});
  const auto state = scale->state_dict();
  ASSERT_EQ(state.size(), 1u);
  testing::expect_exact(state[0].second, {2, 2});  // the checkpoint sees the update
  EXPECT_TRUE(state[0].second.is_alias_of(scale->running));
}

// The finetuning idioms: replace_module gives the new head back for the member, as
// libtorch's; a state dict with a key twice is refused rather than half-loaded.
TEST(LibtorchModules, ReplaceModuleReturnsTheHeadAndDuplicateKeysAreRefused) {
  Net net;
  net->fc2 = net->replace_module("fc2", std::make_shared<Linear>(3, 7));
  EXPECT_EQ(net(ones({1, 4})).sizes(), (Dims{1, 7}));
  EXPECT_EQ(net->fc2->weight.size(0), 7);
  Stack stack;
  stack->inner = stack->replace_module("inner", Scale(5.0));
  testing::expect_exact(stack(tensor(std::vector<float>{1}, {1})), {5});
  StateDict state = net->state_dict();
  state.emplace_back("fc1.weight", zeros({3, 4}));  // model_dict.update(pretrained) ported as an append
  EXPECT_NE(error_of([&] { net->load_state_dict(state); }).find("the state dict has two tensors named 'fc1.weight'"),
            std::string::npos);
}

}  // namespace
}  // namespace ember::nn
