// The torch.nn layer docs' review: the two-input distance modules run their hooks, the
// docstrings' constructors compile (LayerNorm({C, H, W}), RMSNorm({2, 3}), Unfold({2, 3}),
// Identity(54, ...)), reset_running_stats / reset_parameters, and from_pretrained shares
// the table as PyTorch's Parameter(_weight) does.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using ember::testing::expect_values;

TEST(LayerDocs, TwoInputModulesRunTheirHooks) {
  const Tensor a = tensor(std::vector<double>{1, 0, 3, 4}, {2, 2});
  const Tensor b = tensor(std::vector<double>{2, 0, 0, 1}, {2, 2});
  auto cosine = std::make_shared<nn::CosineSimilarity>();
  std::vector<std::string> calls;
  cosine->register_forward_pre_hook([&](nn::Module&, const Tensor& x1) {
    calls.push_back("pre");
    EXPECT_TRUE(x1.is_same(a));
  });
  cosine->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& y) -> std::optional<Tensor> {
    calls.push_back("post");
    return y * 10.0;
  });
  expect_values((*cosine)(a, b), {10.0, 8.0}, 1e-15);  // cos = 1 and 4/5, scaled by the hook
  EXPECT_EQ(calls, (std::vector<std::string>{"pre", "post"}));
  auto distance = std::make_shared<nn::PairwiseDistance>(1.0, 0.0);
  int fired = 0;
  distance->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { ++fired; });
  expect_values((*distance)(a, b), {1.0, 6.0}, 1e-15);
  EXPECT_EQ(fired, 1);
  EXPECT_EMBER_ERROR((*distance)(a), "missing 1 required positional argument: 'x2'");
  // inside a Sequential-free parent: the frame belongs to the call, so nesting works
  expect_values(distance->forward(a, b), {1.0, 6.0}, 1e-15);
  EXPECT_EQ(fired, 1);  // forward() runs no hook, as in PyTorch
}

TEST(LayerDocs, DocstringConstructorsCompileAndMeanTheShape) {
  nn::LayerNorm chw({5, 10, 10});
  EXPECT_EQ(chw.normalized_shape, (Dims{5, 10, 10}));
  nn::LayerNorm pair({5, 10});
  EXPECT_EQ(pair.weight.sizes(), (Dims{5, 10}));
  nn::RMSNorm rms({2, 3});
  EXPECT_EQ(rms.normalized_shape, (Dims{2, 3}));
  nn::Unfold unfold({2, 3});
  EXPECT_EQ(unfold.extra_repr(), "kernel_size=(2, 3), dilation=1, padding=0, stride=1");
  EXPECT_EQ(unfold.forward(ones({1, 1, 3, 4})).sizes(), (Dims{1, 6, 4}));
  nn::Identity identity(54, 0.1, false);  // arguments ignored, as PyTorch's
  const Tensor x = ones({2});
  EXPECT_TRUE(identity.forward(x).is_same(x));
  EXPECT_EQ(identity.repr(), "Identity()");
}

TEST(LayerDocs, ResetRunningStatsAndParameters) {
  nn::BatchNorm2d bn(3);
  bn.train();
  (void)bn(tensor(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {1, 3, 2, 2}).to(kFloat32));
  {
    NoGradGuard no_grad;
    bn.weight.fill_(2.0);
    bn.bias.fill_(0.5);
  }
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
  bn.reset_running_stats();
  EXPECT_TRUE(equal(bn.running_mean, zeros({3})));
  EXPECT_TRUE(equal(bn.running_var, ones({3})));
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 0);
  EXPECT_TRUE(equal(bn.weight, full({3}, 2.0)));  // parameters untouched
  bn.reset_parameters();
  EXPECT_TRUE(equal(bn.weight, ones({3})));
  EXPECT_TRUE(equal(bn.bias, zeros({3})));
  EXPECT_TRUE(bn.weight.requires_grad());
  nn::InstanceNorm1d untracked(2);  // no statistics, no affine: nothing to reset, no error
  untracked.reset_parameters();

  nn::LayerNorm ln(4);
  nn::GroupNorm gn(2, 4);
  {
    NoGradGuard no_grad;
    ln.weight.fill_(3.0);
    ln.bias.fill_(3.0);
    gn.bias.fill_(1.0);
  }
  ln.reset_parameters();
  gn.reset_parameters();
  EXPECT_TRUE(equal(ln.weight, ones({4})) && equal(ln.bias, zeros({4})));
  EXPECT_TRUE(equal(gn.bias, zeros({4})));

  manual_seed(7);
  nn::Embedding emb(5, 3, 1);
  const Tensor before = emb.weight.detach().clone();
  emb.reset_parameters();
  EXPECT_FALSE(equal(emb.weight, before));                  // a new N(0, 1) draw
  EXPECT_TRUE(equal(emb.weight.select(0, 1), zeros({3})));  // the padding row stays zero
}

TEST(LayerDocs, FromPretrainedSharesTheTable) {
  // The EmbeddingBag docstring: a bag loaded from an Embedding follows it as it trains.
  auto embedding = std::make_shared<nn::Embedding>(4, 2);
  auto bag = nn::EmbeddingBag::from_pretrained(embedding->weight, true, {.mode = "sum"});
  EXPECT_EQ(bag->weight.data_ptr(), embedding->weight.data_ptr());
  EXPECT_FALSE(bag->weight.requires_grad());  // freeze
  EXPECT_TRUE(embedding->weight.requires_grad());
  {
    NoGradGuard no_grad;
    embedding->weight.fill_(0.5);
  }
  const Tensor bags = (*bag)(tensor(std::vector<int64_t>{0, 1, 2, 3}, {2, 2}));
  EXPECT_TRUE(equal(bags, ones({2, 2})));
  const Tensor source = tensor(std::vector<double>{1, 2, 3, 4}, {2, 2});
  auto trained = nn::Embedding::from_pretrained(source, /*freeze=*/false);
  EXPECT_EQ(trained->weight.data_ptr(), source.data_ptr());
  EXPECT_TRUE(trained->weight.requires_grad());
  EXPECT_FALSE(source.requires_grad());
  const Tensor transposed = source.t();  // not contiguous: copied
  EXPECT_NE(nn::Embedding::from_pretrained(transposed)->weight.data_ptr(), source.data_ptr());
}

// EmbeddingBag(scale_grad_by_freq=True): each row's gradient over its count in the input
// ("sum"; PyTorch's max backward ignores the flag).
TEST(LayerDocs, EmbeddingBagScalesGradientsByFrequency) {
  const Tensor table = tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {3, 2});
  auto bag = nn::EmbeddingBag::from_pretrained(table, /*freeze=*/false, {.mode = "sum", .scale_grad_by_freq = true});
  EXPECT_EQ(bag->extra_repr(), "3, 2, scale_grad_by_freq=True, mode='sum'");
  const Tensor input = tensor(std::vector<int64_t>{0, 0, 2, 0}, {2, 2});  // row 0 three times, row 2 once
  (*bag)(input).sum().backward();
  expect_values(bag->weight.grad(), {1, 1, 0, 0, 1, 1}, 1e-15);  // 3 * (1/3) and 1 * 1
  auto plain = nn::EmbeddingBag::from_pretrained(table.clone(), false, {.mode = "sum"});
  (*plain)(input).sum().backward();
  expect_values(plain->weight.grad(), {3, 3, 0, 0, 1, 1}, 0.0);
}

TEST(LayerDocs, ModuleListItemAssignmentAndSlices) {
  auto list = std::make_shared<nn::ModuleList>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(2, 2), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(2, 3)});
  auto head = std::make_shared<nn::Linear>(2, 4);
  list->set(-1, head);  // list[-1] = head
  EXPECT_EQ((*list)[2], std::static_pointer_cast<nn::Module>(head));
  EXPECT_EQ(list->named_parameters().back().first, "2.bias");
  EXPECT_EQ(list->get_parameter("2.weight").sizes(), (Dims{4, 2}));
  const auto tail = list->slice(1, 10);  // list[1:]
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[1], (*list)[2]);
  EXPECT_EQ(tail->named_parameters().front().first, "1.weight");  // renumbered from 0
  EXPECT_EQ(list->slice(-1, 3)->size(), 1u);
  EXPECT_EQ(list->slice(2, 1)->size(), 0u);
  list->extend({tail->begin(), tail->end()});
  EXPECT_EQ(list->size(), 5u);
  EXPECT_EMBER_ERROR(list->set(7, head), "ModuleList");
}

}  // namespace
}  // namespace ember
