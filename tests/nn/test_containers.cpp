// nn::ModuleList and nn::ModuleDict inside a user module: parameter names, modes,
// conversions and state_dict reach the elements; indexing, replacement and PyTorch's errors.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::names_of;

// A user module whose forward walks a ModuleList, as PyTorch code does.
class Tower : public nn::Module {
 public:
  Tower() : Module("Tower") {
    layers = register_module("layers", std::make_shared<nn::ModuleList>());
    for (int i = 0; i < 3; ++i) layers->push_back(std::make_shared<nn::Linear>(4, 4));
    heads = register_module("heads", std::make_shared<nn::ModuleDict>(std::vector<nn::ModuleDict::Item>{
                                         {"cls", std::make_shared<nn::Linear>(4, 2)},
                                         {"drop", std::make_shared<nn::Dropout>(0.5)}}));
  }
  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    for (const auto& layer : *layers) y = relu((*layer)(y));
    return (*heads->get<nn::Linear>("cls"))((*heads)["drop"]->forward(y));
  }
  std::shared_ptr<nn::ModuleList> layers;
  std::shared_ptr<nn::ModuleDict> heads;
};

TEST(ModuleList, ElementsArePartsOfTheParent) {
  manual_seed(3);
  auto net = std::make_shared<Tower>();
  EXPECT_EQ(names_of(net->named_parameters()),
            (std::vector<std::string>{"layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
                                      "layers.2.weight", "layers.2.bias", "heads.cls.weight", "heads.cls.bias"}));
  EXPECT_EQ(net->parameters().size(), 8u);

  net->eval();
  EXPECT_FALSE(net->heads->get<nn::Dropout>("drop")->is_training());
  EXPECT_FALSE((*net->layers)[-1]->is_training());

  // The forward through the list is the forward through the same layers in a Sequential.
  nn::Sequential seq;
  for (const auto& layer : *net->layers) {
    seq.push_back(layer);
    seq.push_back(std::make_shared<nn::ReLU>());
  }
  seq.push_back((*net->heads)["cls"]);
  const Tensor x = randn({5, 4});
  const Tensor a = (*net)(x), b = seq(x);
  ASSERT_EQ(a.sizes(), (Dims{5, 2}));
  EXPECT_TRUE(allclose(a, b, 0.0, 0.0));

  // Conversions reach the elements and keep each parameter's identity.
  const Tensor w0 = net->layers->get<nn::Linear>(0)->weight;
  net->to(kFloat64);
  EXPECT_EQ(net->layers->get<nn::Linear>(0)->weight.dtype(), kFloat64);
  EXPECT_TRUE(w0.is_same(net->layers->get<nn::Linear>(0)->weight));

  // state_dict round trip through a freshly made twin.
  manual_seed(4);
  auto twin = std::make_shared<Tower>();
  twin->to(kFloat64);
  twin->load_state_dict(net->state_dict());
  twin->eval();
  EXPECT_TRUE(allclose((*twin)(x.to(kFloat64)), (*net)(x.to(kFloat64)), 0.0, 0.0));
}

TEST(ModuleList, IndexingAppendingAndErrors) {
  nn::ModuleList list({std::make_shared<nn::ReLU>(), std::make_shared<nn::Tanh>()});
  list.extend({std::make_shared<nn::Sigmoid>()});
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]->type_name(), "ReLU");
  EXPECT_EQ(list[-1]->type_name(), "Sigmoid");
  EXPECT_EQ(list[-3]->type_name(), "ReLU");
  EXPECT_EQ(list.named_children()[2].first, "2");
  EXPECT_NE(error_of([&] { (void)list[3]; }).find("index 3 is out of range (size 3)"), std::string::npos);
  EXPECT_NE(error_of([&] { (void)list[-4]; }).find("index -4 is out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { (void)list.get<nn::Linear>(1); }).find("element 1 is a Tanh"), std::string::npos);
  EXPECT_NE(error_of([&] { list.forward(zeros({2})); }).find("Module [ModuleList] is missing the required \"forward\""),
            std::string::npos);
  // A null in extend leaves the list unchanged.
  EXPECT_NE(error_of([&] { list.extend({std::make_shared<nn::ReLU>(), nullptr}); }).find("nullptr at position 1"),
            std::string::npos);
  EXPECT_EQ(list.size(), 3u);
  // replace_module (e.g. SyncBatchNorm's conversion) is what indexing then returns.
  list.replace_module("1", std::make_shared<nn::ReLU>());
  EXPECT_EQ(list[1]->type_name(), "ReLU");
  // PyTorch 2.x's ModuleList repr: a run of equal modules printed once.
  EXPECT_EQ(list.repr(), "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Sigmoid()\n)");
}

TEST(ModuleDict, InsertionOrderReplacementAndErrors) {
  nn::ModuleDict dict;
  dict.insert("conv", std::make_shared<nn::Conv2d>(1, 2, 3));
  dict.insert("act", std::make_shared<nn::ReLU>());
  dict.insert("fc", std::make_shared<nn::Linear>(2, 3));
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"conv", "act", "fc"}));
  EXPECT_TRUE(dict.contains("act"));
  EXPECT_FALSE(dict.contains("pool"));

  // Assigning an existing key replaces the module where it was.
  auto tanh = std::make_shared<nn::Tanh>();
  dict.insert("act", tanh);
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"conv", "act", "fc"}));
  EXPECT_EQ(dict["act"], tanh);
  EXPECT_EQ(dict.named_children()[1].second, tanh);
  EXPECT_EQ(dict.values().size(), 3u);
  EXPECT_EQ(names_of(dict.state_dict()),
            (std::vector<std::string>{"conv.weight", "conv.bias", "fc.weight", "fc.bias"}));

  EXPECT_NE(error_of([&] { (void)dict["pool"]; }).find("KeyError: 'pool' (keys: conv, act, fc)"), std::string::npos);
  EXPECT_NE(error_of([&] { dict.insert("a.b", tanh); }).find("module name can't contain \".\", got: a.b"),
            std::string::npos);
  EXPECT_NE(error_of([&] { dict.insert("", tanh); }).find("module name can't be empty string"), std::string::npos);
  EXPECT_NE(error_of([&] { dict.insert("x", nullptr); }).find("expected a module for 'x', got nullptr"),
            std::string::npos);
  EXPECT_NE(error_of([&] { (void)dict.get<nn::Linear>("conv"); }).find("'conv' is a Conv2d"), std::string::npos);
  EXPECT_NE(error_of([&] { dict.forward(zeros({2})); }).find("Module [ModuleDict] is missing"), std::string::npos);
  EXPECT_EQ(dict.size(), 3u);
}

}  // namespace
}  // namespace ember
