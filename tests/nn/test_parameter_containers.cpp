// nn::ParameterList and nn::ParameterDict inside a user module: registered names, optimizers
// and state_dict reach the elements; indexing, replacement, pop, PyTorch's reprs and errors.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::error_of;
using ember::testing::names_of;

// A user module holding raw parameters, as PyTorch code does with nn.ParameterList.
class Mixture : public nn::Module {
 public:
  Mixture() : Module("Mixture") {
    scales = register_module("scales", std::make_shared<nn::ParameterList>());
    for (int i = 0; i < 3; ++i) scales->push_back(full({2}, 1.0 + i));
    offsets = register_module("offsets", std::make_shared<nn::ParameterDict>(std::vector<nn::ParameterDict::Item>{
                                             {"low", zeros({2})}, {"high", ones({2})}}));
  }
  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    for (const Tensor& s : scales->values()) y = y * s;
    return y + (*offsets)["low"] - (*offsets)["high"];
  }
  std::shared_ptr<nn::ParameterList> scales;
  std::shared_ptr<nn::ParameterDict> offsets;
};

TEST(ParameterList, ElementsAreTheParentsParameters) {
  Mixture m;
  EXPECT_EQ(names_of(m.named_parameters()),
            (std::vector<std::string>{"scales.0", "scales.1", "scales.2", "offsets.low", "offsets.high"}));
  EXPECT_EQ(m.scales->size(), 3u);
  EXPECT_TRUE((*m.scales)[-1].requires_grad());
  // y = x * 1 * 2 * 3 + low - high: d/d scales.0 = x * 6 summed per element
  const Tensor x = tensor({0.5, -1.0});
  m(x).sum().backward();
  ember::testing::expect_values((*m.scales)[0].grad(), {3.0, -6.0}, 0);
  ember::testing::expect_values((*m.scales)[2].grad(), {1.0, -2.0}, 0);
  ember::testing::expect_values((*m.offsets)["high"].grad(), {-1.0, -1.0}, 0);

  // An optimizer over parameters() trains the list's own slots.
  optim::SGD sgd(m.parameters(), {.lr = 0.5});
  sgd.step();
  ember::testing::expect_values((*m.scales)[0], {-0.5, 4.0}, 0);
  ember::testing::expect_values((*m.offsets)["high"], {1.5, 1.5}, 0);

  // state_dict round trip
  Mixture other;
  other.load_state_dict(m.state_dict());
  EXPECT_TRUE(equal(other.scales->values()[0], (*m.scales)[0]));
  m.to(kFloat64);
  EXPECT_EQ((*m.scales)[1].dtype(), kFloat64);
  EXPECT_EQ((*m.offsets)["low"].dtype(), kFloat64);
}

TEST(ParameterList, IndexingReplacementAndErrors) {
  nn::ParameterList list({zeros({3, 4}), ones({3}, kFloat64)});
  list.push_back(zeros({1}), /*requires_grad=*/false);
  EXPECT_FALSE(list[2].requires_grad());
  EXPECT_TRUE(list[-3].requires_grad());
  EXPECT_EQ(list[-2].dtype(), kFloat64);
  EXPECT_EQ(error_of([&] { (void)list[3]; }), "ParameterList: IndexError: index 3 is out of range (size 3)");
  EXPECT_EQ(error_of([&] { (void)list[-4]; }), "ParameterList: IndexError: index -4 is out of range (size 3)");
  list.set(0, full({2}, 7.0));
  EXPECT_EQ(list.named_parameters()[0].first, "0");
  ember::testing::expect_values(list.named_parameters()[0].second, {7, 7}, 0);
  EXPECT_TRUE(list[0].requires_grad());
  // A value given with a history is detached, as nn.Parameter's.
  const Tensor w = ones({2}).requires_grad_(true);
  list.set(1, w * 2);
  EXPECT_TRUE(list[1].is_leaf());
  EXPECT_NE(error_of([] { nn::ParameterList().push_back(Tensor()); }).find("expected a tensor"), std::string::npos);
  EXPECT_NE(error_of([&] { list.forward(zeros({1})); }).find("missing the required \"forward\" function"),
            std::string::npos);
}

TEST(ParameterList, HoldsAnotherLayersParameterItself) {
  // PyTorch: nn.ParameterList([lin.weight])[0] is lin.weight, so gradients reach the layer.
  nn::Linear lin(2, 3);
  nn::ParameterList list({lin.weight});
  nn::ParameterDict dict({{"bias", lin.bias}});
  (list[0].sum() + dict["bias"].sum() * 2).backward();
  ASSERT_TRUE(lin.weight.grad().defined());
  ember::testing::expect_values(lin.weight.grad(), {1, 1, 1, 1, 1, 1}, 0);
  ember::testing::expect_values(lin.bias.grad(), {2, 2, 2}, 0);
  // A plain tensor becomes a parameter of its own (requiring grad as asked).
  const Tensor plain = ones({2});
  nn::ParameterList copies({plain});
  EXPECT_TRUE(copies[0].requires_grad());
  EXPECT_FALSE(plain.requires_grad());
}

TEST(ParameterDict, InsertReplacePopAndErrors) {
  nn::ParameterDict dict({{"b", zeros({2})}, {"a", zeros({1, 2})}});
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"b", "a"}));  // insertion order
  dict.insert("b", ones({3}));                                   // replaces in place
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(names_of(dict.named_parameters()), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(dict["b"].sizes(), (Dims{3}));
  EXPECT_TRUE(dict.contains("a"));
  EXPECT_FALSE(dict.get("zz").defined());
  EXPECT_EQ(dict.get("zz", ones({4})).numel(), 4);
  const Tensor popped = dict.pop("b");
  EXPECT_EQ(popped.sizes(), (Dims{3}));
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"a"}));
  EXPECT_EQ(names_of(dict.named_parameters()), (std::vector<std::string>{"a"}));
  dict.insert("b", zeros({5}));  // the key is free again
  EXPECT_EQ(names_of(dict.named_parameters()), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(error_of([&] { (void)dict["x"]; }), "ParameterDict: KeyError: 'x' (keys: a, b)");
  EXPECT_NE(error_of([&] { dict.insert("a.b", zeros({1})); }).find("can't contain \".\""), std::string::npos);
  EXPECT_NE(error_of([&] { dict.insert("", zeros({1})); }).find("can't be empty string"), std::string::npos);
  dict.clear();
  EXPECT_TRUE(dict.empty());
  EXPECT_TRUE(dict.parameters().empty());
}

TEST(ParameterContainers, ReprsAsPyTorch) {
  // PyTorch 2: print(nn.ParameterList([nn.Parameter(torch.zeros(3, 4))])) and with a second
  // float64 element; an empty list; the dict inside a module (its lines name
  // torch.typename(p), as PyTorch's ParameterDict.extra_repr does).
  EXPECT_EQ(nn::ParameterList({zeros({3, 4})}).repr(),
            "ParameterList(  (0): Parameter containing: [torch.float32 of size 3x4])");
  EXPECT_EQ(nn::ParameterList({zeros({3, 4}), zeros({3}, kFloat64)}).repr(),
            "ParameterList(\n"
            "    (0): Parameter containing: [torch.float32 of size 3x4]\n"
            "    (1): Parameter containing: [torch.float64 of size 3]\n"
            ")");
  EXPECT_EQ(nn::ParameterList().repr(), "ParameterList()");
  Mixture m;
  EXPECT_EQ(m.repr(),
            "Mixture(\n"
            "  (scales): ParameterList(\n"
            "      (0): Parameter containing: [torch.float32 of size 2]\n"
            "      (1): Parameter containing: [torch.float32 of size 2]\n"
            "      (2): Parameter containing: [torch.float32 of size 2]\n"
            "  )\n"
            "  (offsets): ParameterDict(\n"
            "      (low): Parameter containing: [torch.FloatTensor of size 2]\n"
            "      (high): Parameter containing: [torch.FloatTensor of size 2]\n"
            "  )\n"
            ")");
}

}  // namespace
}  // namespace ember
