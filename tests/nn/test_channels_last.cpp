// Channels-last inputs through nn: conv2d, batch_norm, pooling, relu and dropout give
// the NCHW result, in the memory format PyTorch returns; gradients match the NCHW ones
// and pass gradcheck; Module::to(MemoryFormat) converts only 4-D tensors; and a
// channels-last model trains step for step like its NCHW twin.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "autograd/gradcheck.h"
#include "core/fused_operands.h"
#include "nn/layers.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
constexpr auto kCL = MemoryFormat::ChannelsLast;
using ModuleList = std::vector<std::shared_ptr<nn::Module>>;

// Channels-last and not also row-major.
bool strictly_channels_last(const Tensor& t) { return t.is_contiguous(kCL) && !t.is_contiguous(); }

void expect_same_values(const Tensor& got, const Tensor& want, const char* what) {
  EXPECT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_TRUE(allclose(got, want, 1e-12, 1e-12)) << what;
}

TEST(ChannelsLast, Conv2dFollowsInputOrWeight) {
  const Tensor x = randn({2, 3, 7, 6}, kFloat64), w = randn({4, 3, 3, 3}, kFloat64), b = randn({4}, kFloat64);
  const Tensor want = F::conv2d(x, w, b, 1, 1);
  EXPECT_TRUE(want.is_contiguous());
  const Tensor from_input = F::conv2d(x.contiguous(kCL), w, b, 1, 1);
  EXPECT_TRUE(strictly_channels_last(from_input));
  expect_same_values(from_input, want, "channels-last input");
  const Tensor from_weight = F::conv2d(x, w.contiguous(kCL), b, 1, 1);  // PyTorch: the weight's format counts too
  EXPECT_TRUE(strictly_channels_last(from_weight));
  expect_same_values(from_weight, want, "channels-last weight");
  const Tensor strided = F::conv2d(x.contiguous(kCL), w, b, {2, 1}, {0, 1}, 1, 1);
  EXPECT_TRUE(strictly_channels_last(strided));
  expect_same_values(strided, F::conv2d(x, w, b, {2, 1}, {0, 1}), "strided");
}

TEST(ChannelsLast, BatchNormTrainAndEval) {
  const Tensor x = randn({4, 3, 5, 5}, kFloat64), gamma = randn({3}, kFloat64), beta = randn({3}, kFloat64);
  Tensor mean_a = zeros({3}, kFloat64), var_a = ones({3}, kFloat64);
  Tensor mean_b = zeros({3}, kFloat64), var_b = ones({3}, kFloat64);
  const Tensor want = F::batch_norm(x, mean_a, var_a, gamma, beta, /*training=*/true);
  const Tensor got = F::batch_norm(x.contiguous(kCL), mean_b, var_b, gamma, beta, /*training=*/true);
  EXPECT_TRUE(strictly_channels_last(got));
  expect_same_values(got, want, "training");
  expect_same_values(mean_b, mean_a, "running_mean");
  expect_same_values(var_b, var_a, "running_var");
  const Tensor eval = F::batch_norm(x.contiguous(kCL), mean_b, var_b, gamma, beta, /*training=*/false);
  EXPECT_TRUE(strictly_channels_last(eval));
  expect_same_values(eval, F::batch_norm(x, mean_a, var_a, gamma, beta, false), "eval");
}

TEST(ChannelsLast, PoolingReluAndDropout) {
  const Tensor x = randn({2, 3, 8, 6}, kFloat64);
  const Tensor xcl = x.contiguous(kCL);
  struct Case {
    const char* name;
    Tensor got, want;
  };
  manual_seed(7);
  const Tensor dropped_nchw = F::dropout(x, 0.3, true);
  const Tensor dropped2d_nchw = F::dropout2d(x, 0.3, true);
  manual_seed(7);
  const Tensor dropped_cl = F::dropout(xcl, 0.3, true);
  const Tensor dropped2d_cl = F::dropout2d(xcl, 0.3, true);
  const std::vector<Case> cases = {
      {"max_pool2d", F::max_pool2d(xcl, 2), F::max_pool2d(x, 2)},
      {"max_pool2d padded", F::max_pool2d(xcl, 3, 2, 1), F::max_pool2d(x, 3, 2, 1)},
      {"avg_pool2d", F::avg_pool2d(xcl, {3, 2}, 2, 1), F::avg_pool2d(x, {3, 2}, 2, 1)},
      {"adaptive_avg_pool2d", F::adaptive_avg_pool2d(xcl, {3, 2}), F::adaptive_avg_pool2d(x, {3, 2})},
      {"relu", F::relu(xcl), F::relu(x)},
      {"dropout", dropped_cl, dropped_nchw},
      {"dropout2d", dropped2d_cl, dropped2d_nchw},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(strictly_channels_last(c.got)) << c.name;
    EXPECT_TRUE(c.want.is_contiguous()) << c.name;
    expect_same_values(c.got, c.want, c.name);
  }
  // Global pooling gives [N, C, 1, 1], dense in both formats.
  EXPECT_TRUE(F::adaptive_avg_pool2d(xcl, 1).is_contiguous(kCL));
}

// sum(weights * relu(bn(conv(x)))) and its gradients, for x in either format.
struct ConvBnGrads {
  Tensor x, w, gamma;
};
ConvBnGrads conv_bn_grads(const Tensor& x0, const Tensor& w0, const Tensor& g0, const Tensor& weights, bool channels_last) {
  Tensor x = x0.detach().requires_grad_(), w = w0.detach().requires_grad_(), gamma = g0.detach().requires_grad_();
  const Tensor in = channels_last ? x.contiguous(kCL) : x;
  const Tensor y = F::relu(F::batch_norm(F::conv2d(in, w, Tensor(), 1, 1), Tensor(), Tensor(), gamma, Tensor(), true));
  EXPECT_EQ(strictly_channels_last(y), channels_last);
  (y * weights).sum().backward();
  return {x.grad(), w.grad(), gamma.grad()};
}

TEST(ChannelsLast, GradientsMatchNchw) {
  const Tensor x = randn({3, 2, 5, 4}, kFloat64), w = randn({4, 2, 3, 3}, kFloat64), gamma = randn({4}, kFloat64);
  const Tensor weights = randn({3, 4, 5, 4}, kFloat64);
  const ConvBnGrads want = conv_bn_grads(x, w, gamma, weights, false);
  const ConvBnGrads got = conv_bn_grads(x, w, gamma, weights, true);
  expect_same_values(got.x, want.x, "x");
  expect_same_values(got.w, want.w, "w");
  expect_same_values(got.gamma, want.gamma, "gamma");
}

TEST(ChannelsLast, GradcheckConvBatchNorm) {
  const std::vector<Tensor> in = {testing::grad_input({2, 2, 4, 4}), testing::grad_input({3, 2, 3, 3}),
                                  testing::grad_input({3}), testing::grad_input({3}, 0.5, 1.5),
                                  testing::grad_input({3})};
  testing::expect_gradcheck(
      [](const std::vector<Tensor>& t) {
        const Tensor y = F::conv2d(t[0].contiguous(kCL), t[1].contiguous(kCL), t[2], 1, 1);
        EXPECT_TRUE(strictly_channels_last(y));
        return F::batch_norm(y, Tensor(), Tensor(), t[3], t[4], /*training=*/true);
      },
      in);
  testing::expect_gradcheck(
      [](const std::vector<Tensor>& t) { return F::max_pool2d(F::avg_pool2d(t[0].contiguous(kCL), 3, 1, 1), 2); },
      {testing::grad_input({2, 3, 5, 4})});
}

std::shared_ptr<nn::Sequential> small_cnn() {
  return std::make_shared<nn::Sequential>(ModuleList{
      std::make_shared<nn::Conv2d>(3, 4, 3, nn::Conv2dOptions{.padding = 1}), std::make_shared<nn::BatchNorm2d>(4),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(0.25), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Conv2d>(4, 5, 1), std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(5 * 4 * 4, 3)});
}

TEST(ChannelsLast, ModuleToConvertsOnlyFourDimensionalTensors) {
  auto net = small_cnn();
  auto& conv = static_cast<nn::Conv2d&>(*(*net)[0]);
  auto& pointwise = static_cast<nn::Conv2d&>(*(*net)[5]);
  auto& bn = static_cast<nn::BatchNorm2d&>(*(*net)[1]);
  auto& fc = static_cast<nn::Linear&>(*(*net)[7]);
  const Tensor conv_w = conv.weight, conv_b = conv.bias, point_w = pointwise.weight, fc_w = fc.weight;
  const Tensor running_mean = bn.running_mean;
  // A gradient already there is converted along with its parameter.
  F::conv2d(randn({1, 3, 5, 5}), conv.weight).sum().backward();
  ASSERT_TRUE(conv.weight.grad().defined());
  const Tensor old_grad = conv.weight.grad();

  net->to(kCL);
  EXPECT_TRUE(strictly_channels_last(conv.weight));
  EXPECT_TRUE(conv.weight.requires_grad());
  EXPECT_TRUE(conv.weight.is_leaf());
  expect_same_values(conv.weight, conv_w, "conv weight");
  EXPECT_TRUE(strictly_channels_last(conv.weight.grad()));
  expect_same_values(conv.weight.grad(), old_grad, "conv weight grad");
  EXPECT_TRUE(net->parameters()[0].is_same(conv.weight));
  // 1-D, 2-D and [O, C, 1, 1] tensors (dense in both formats) stay as they were.
  EXPECT_TRUE(conv.bias.is_same(conv_b));
  EXPECT_TRUE(pointwise.weight.is_same(point_w));
  EXPECT_TRUE(fc.weight.is_same(fc_w));
  EXPECT_TRUE(bn.running_mean.is_same(running_mean));

  net->to(MemoryFormat::Contiguous);
  EXPECT_TRUE(conv.weight.is_contiguous());
  expect_same_values(conv.weight, conv_w, "conv weight back to NCHW");
  net->to(MemoryFormat::ChannelsLast);
  net->to(MemoryFormat::Preserve);  // PyTorch's preserve_format: each tensor stays as it is
  EXPECT_TRUE(conv.weight.is_contiguous(MemoryFormat::ChannelsLast));
  EXPECT_FALSE(conv.weight.is_contiguous());
}

TEST(ChannelsLast, TrainingStepsMatchTheNchwModel) {
  manual_seed(1);
  auto nchw = small_cnn();
  manual_seed(1);
  auto cl = small_cnn();
  cl->to(kCL);
  const Tensor& conv_w = static_cast<nn::Conv2d&>(*(*cl)[0]).weight;
  optim::SGD sgd_nchw(nchw->parameters(), {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3});
  optim::SGD sgd_cl(cl->parameters(), {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3});
  const Tensor x = randn({6, 3, 8, 8}), targets = randint(0, 3, {6});
  for (int step = 0; step < 3; ++step) {
    manual_seed(100 + step);  // the same dropout masks for both
    const Tensor loss_nchw = F::cross_entropy((*nchw)(x), targets);
    manual_seed(100 + step);
    const Tensor out_cl = (*cl)(x.contiguous(kCL));
    const Tensor loss_cl = F::cross_entropy(out_cl, targets);
    EXPECT_NEAR(loss_cl.item<double>(), loss_nchw.item<double>(), 1e-6) << "step " << step;
    sgd_nchw.zero_grad();
    sgd_cl.zero_grad();
    loss_nchw.backward();
    loss_cl.backward();
    EXPECT_TRUE(strictly_channels_last(conv_w.grad())) << "gradients are laid out like their parameter";
    sgd_nchw.step();
    sgd_cl.step();
    EXPECT_TRUE(strictly_channels_last(conv_w));
  }
  // The optimizer's state of a channels-last parameter is channels-last too, so the
  // fused update kernel takes it (core/fused_operands.h).
  EXPECT_TRUE(strictly_channels_last(optim::detail::zeros_like_param(conv_w)));
  EXPECT_TRUE(fused::laid_out_like(conv_w, conv_w.grad()));
  EXPECT_FALSE(fused::laid_out_like(conv_w, conv_w.grad().contiguous()));
  const auto p_nchw = nchw->parameters(), p_cl = cl->parameters();
  for (size_t i = 0; i < p_nchw.size(); ++i)
    EXPECT_TRUE(allclose(p_cl[i], p_nchw[i], 1e-5, 1e-6)) << "parameter " << i;
  // Evaluation without a graph (consuming forwards) agrees as well.
  nchw->eval();
  cl->eval();
  NoGradGuard no_grad;
  EXPECT_TRUE(allclose((*cl)(x.contiguous(kCL)), (*nchw)(x), 1e-5, 1e-6));
}

}  // namespace
}  // namespace ember
