// Module registration as PyTorch's add_module / register_parameter (name checks, a shared
// parameter kept as one tensor), spectral_norm keeping the parameter an optimizer holds, and
// Sequential's Python indexing, slicing and extend.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

class Registering : public nn::Module {
 public:
  Registering() : Module("Registering") { fc = register_module("fc", std::make_shared<nn::Linear>(2, 3)); }
  Tensor forward(const Tensor& x) override { return fc->forward(x); }
  using Module::register_module;
  std::shared_ptr<nn::Linear> fc;
};

TEST(ModuleRegistration, ChildNamesArePyTorchsAddModuleChecks) {
  Registering m;
  EXPECT_EMBER_ERROR(m.register_module("fc", std::make_shared<nn::Linear>(2, 4)), "Submodule 'fc' already defined");
  EXPECT_EMBER_ERROR(m.register_module("", std::make_shared<nn::ReLU>()), "module name can't be empty string \"\"");
  EXPECT_EMBER_ERROR(m.register_module("a.b", std::make_shared<nn::ReLU>()),
                     "module name can't contain \".\", got: a.b");
  m.register_parameter("scale", ones({1}));
  EXPECT_EMBER_ERROR(m.register_module("scale", std::make_shared<nn::ReLU>()), "attribute 'scale' already exists");
  EXPECT_EMBER_ERROR(m.register_parameter("fc", ones({1})), "attribute 'fc' already exists");
  EXPECT_EMBER_ERROR(m.register_buffer("fc", ones({1})), "attribute 'fc' already exists");
  EXPECT_EMBER_ERROR(m.register_parameter("", ones({1})), "parameter name can't be empty string \"\"");
  EXPECT_EMBER_ERROR(m.register_buffer("x.y", ones({1})), "buffer name can't contain \".\", got: x.y");
  // Nothing half-registered: the model's own state loads back into it.
  EXPECT_EQ(m.parameters().size(), 3u);
  EXPECT_NO_THROW(m.load_state_dict(m.state_dict()));
}

TEST(ModuleRegistration, AParameterOfAnotherModuleIsSharedNotCopied) {
  Registering encoder, decoder;
  Tensor& tied = decoder.register_parameter("tied_weight", encoder.fc->weight);
  EXPECT_TRUE(tied.is_same(encoder.fc->weight));
  // A module holding both lists the tensor once, so an optimizer steps it once.
  auto both = std::make_shared<nn::Sequential>();
  both->push_back(std::make_shared<Registering>());
  Registering& first = static_cast<Registering&>(*(*both)[0]);
  auto second = std::make_shared<Registering>();
  second->register_parameter("tied", first.fc->weight);
  both->push_back(second);
  EXPECT_EQ(both->parameters().size(), 4u);  // two fc.weight, two fc.bias: the tied one is first's fc.weight
  // A plain tensor, or one with history, becomes a parameter of its own (`nn.Parameter(t)`).
  Tensor plain = ones({2});
  EXPECT_FALSE(decoder.register_parameter("plain", plain).is_same(plain));
  Tensor w = ones({2}).requires_grad_();
  Tensor& computed = decoder.register_parameter("computed", w * 2.0);
  EXPECT_TRUE(computed.is_leaf());
  EXPECT_TRUE(computed.requires_grad());
  EXPECT_EQ(computed.to_vector<float>(), (std::vector<float>{2, 2}));
  nn::ParameterList list;
  list.push_back(w * 3.0);  // PyTorch's ParameterList wraps it in a Parameter
  EXPECT_TRUE(list[0].is_leaf());
}

TEST(ModuleRegistration, SpectralNormKeepsTheParameterAnOptimizerHolds) {
  manual_seed(3);
  nn::Linear layer(3, 2);
  const Tensor weight = layer.weight;
  optim::SGD sgd(layer.parameters(), {.lr = 0.5});
  nn::utils::spectral_norm(layer);
  const auto named = layer.named_parameters();
  Tensor orig;
  for (const auto& [name, p] : named)
    if (name == "weight_orig") orig = p;
  ASSERT_TRUE(orig.defined());
  EXPECT_TRUE(orig.is_same(weight));
  const std::vector<float> before = orig.to_vector<float>();
  layer(ones({4, 3})).sum().backward();  // the call operator runs the reparametrization hook
  sgd.step();
  EXPECT_NE(orig.to_vector<float>(), before);

  nn::Linear frozen(3, 2);
  frozen.weight.requires_grad_(false);
  const Tensor frozen_weight = frozen.weight;
  nn::utils::spectral_norm(frozen);
  for (const auto& [name, p] : frozen.named_parameters())
    if (name == "weight_orig") {
      EXPECT_TRUE(p.is_same(frozen_weight));
      EXPECT_FALSE(p.requires_grad());
    }
}

TEST(SequentialApi, NegativeIndicesSlicesAndExtend) {
  auto relu = std::make_shared<nn::ReLU>();
  auto tanh = std::make_shared<nn::Tanh>();
  auto lin = std::make_shared<nn::Linear>(2, 2);
  nn::Sequential seq({relu, tanh});
  seq.extend({lin});
  EXPECT_EQ(seq.size(), 3u);
  EXPECT_EQ(seq[-1], lin);
  EXPECT_EQ(seq[-3], relu);
  EXPECT_EMBER_ERROR((void)seq[3], "Sequential: IndexError: index 3 is out of range (size 3)");
  EXPECT_EMBER_ERROR((void)seq[-4], "index -4 is out of range");
  const auto tail = seq.slice(1, 3);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0], tanh);  // the same modules, shared
  EXPECT_EQ(tail->state_dict().at(0).first, "2.weight");  // PyTorch's seq[1:3] keeps the keys
  EXPECT_EQ(seq.slice(-2, 100)->size(), 2u);
  EXPECT_EQ(seq.slice(2, 1)->size(), 0u);
  size_t visited = 0;
  for (const auto& m : seq) visited += m != nullptr;
  EXPECT_EQ(visited, 3u);
  EXPECT_EMBER_ERROR(seq.extend({relu, nullptr}), "Sequential.extend: expected modules, got nullptr at position 1");
  EXPECT_EQ(seq.size(), 3u);
}

}  // namespace
}  // namespace ember
