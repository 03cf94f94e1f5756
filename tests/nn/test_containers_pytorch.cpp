// Containers and module structure as torch.nn's: Sequential(a, b, c), insert / pop with the
// keys renumbered (PyTorch's __delitem__), ModuleDict.pop / clear, get_submodule,
// add_module, named_modules(prefix=), model.to(device, dtype) and libtorch's nn::Functional.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember::nn {
namespace {

using testing::error_of;
using testing::names_of;

TEST(SequentialPyTorch, ModulesAsArgumentsAndRenumberedAfterInsertAndPop) {
  auto first = std::make_shared<Linear>(2, 3);
  Sequential seq(first, std::make_shared<ReLU>(), std::make_shared<Linear>(3, 1));
  ASSERT_EQ(seq.size(), 3u);
  EXPECT_EQ(seq(zeros({4, 2})).sizes(), (Dims{4, 1}));
  auto tanh = std::make_shared<Tanh>();
  seq.insert(1, tanh);
  EXPECT_EQ(seq[1], tanh);
  EXPECT_EQ(names_of(seq.state_dict()), (std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias"}));
  EXPECT_EQ(seq.pop(0), first);  // del seq[0]: the rest renumbered
  EXPECT_EQ(names_of(seq.state_dict()), (std::vector<std::string>{"2.weight", "2.bias"}));
  seq.insert(-100, std::make_shared<Identity>());  // clamped to the front, as list.insert
  EXPECT_EQ(seq[0]->type_name(), "Identity");
  EXPECT_NE(error_of([&] { seq.pop(10); }).find("IndexError"), std::string::npos);
}

TEST(ModuleContainersPyTorch, ListAndDictInsertPopClear) {
  ModuleList list({std::make_shared<Linear>(1, 1), std::make_shared<Linear>(1, 2)});
  list.insert(0, std::make_shared<Linear>(1, 3));
  EXPECT_EQ(list.get<Linear>(0)->weight.size(0), 3);
  list.pop();
  EXPECT_EQ(names_of(list.state_dict()), (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"}));
  ModuleDict dict({{"a", std::make_shared<Linear>(1, 1)}, {"b", std::make_shared<ReLU>()}});
  const auto a = dict.pop("a");
  EXPECT_EQ(a->type_name(), "Linear");
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"b"}));
  EXPECT_NE(error_of([&] { dict.pop("a"); }).find("KeyError"), std::string::npos);
  dict.clear();
  EXPECT_TRUE(dict.empty());
  EXPECT_TRUE(dict.named_children().empty());
  dict.insert("a", a);  // the key is free again
  EXPECT_EQ(dict.size(), 1u);
}

TEST(ModuleStructurePyTorch, GetSubmoduleAddModuleAndPrefixes) {
  auto inner = std::make_shared<Sequential>(std::make_shared<Linear>(2, 2));
  Sequential outer(inner);
  EXPECT_EQ(outer.get_submodule("0.0")->type_name(), "Linear");
  EXPECT_EQ(outer.get_submodule("0"), inner);
  EXPECT_EQ(error_of([&] { outer.get_submodule("0.5"); }), "Sequential has no attribute `5`");
  EXPECT_EQ(error_of([&] { outer.get_submodule("0.0.weight"); }), "`weight` is not an nn.Module");
  outer.add_module("head", std::make_shared<ReLU>());
  EXPECT_EQ(outer.named_children().back().first, "head");
  EXPECT_NE(error_of([&] { outer.add_module("a.b", std::make_shared<ReLU>()); }).find("can't contain"),
            std::string::npos);
  std::vector<std::string> paths;
  for (const auto& [path, m] : outer.named_modules(true, "model")) paths.push_back(path);
  EXPECT_EQ(paths, (std::vector<std::string>{"model", "model.0", "model.0.0", "model.head"}));
  outer.to(Device::cpu(), kFloat64);
  EXPECT_EQ(std::dynamic_pointer_cast<Linear>((*inner)[0])->weight.dtype(), kFloat64);
}

TEST(ParameterContainersPyTorch, AssignmentGoesThroughSetAndInsert) {
  ParameterList list({ones({2})});
  list.set(0, ones({2}) * 3.0);
  EXPECT_TRUE(list[0].is_leaf());
  EXPECT_TRUE(list[0].requires_grad());
  ParameterDict dict;
  dict.insert("w", zeros({1}));
  EXPECT_TRUE(dict["w"].requires_grad());
}

}  // namespace
}  // namespace ember::nn

namespace ember::nn {
namespace {

// libtorch's nn::Functional: a function (with bound trailing arguments) as a module in a Sequential.
TEST(FunctionalModule, WrapsAFunctionForASequential) {
  Sequential seq(std::make_shared<Functional>([](const Tensor& x) { return x * 2.0f; }),
                 std::make_shared<Functional>(functional::leaky_relu, 0.5, false),
                 std::make_shared<Functional>(static_cast<Tensor (*)(const Tensor&)>(ember::relu)));
  const Tensor x = tensor(std::vector<float>{-1, 3}, {2});
  testing::expect_exact(std::make_shared<Functional>(functional::leaky_relu, 0.5, false)->forward(x), {-0.5, 3});
  testing::expect_exact(seq(x), {0, 6});
  EXPECT_TRUE(seq.parameters().empty());
  EXPECT_EQ(seq[0]->type_name(), "Functional");
  EXPECT_NE(error_of([] { Functional empty{Functional::Function()}; }).find("expected a function"), std::string::npos);
}

}  // namespace
}  // namespace ember::nn
