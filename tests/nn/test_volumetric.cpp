// The 3-D family's edges and layers: empty shapes, dtypes and autocast, PyTorch's error
// phrases, the layers' reprs, init and forwards (BatchNorm3d, Dropout3d included), fusion and
// spectral_norm. The ops' values are in test_conv3d.cpp and test_pool3d.cpp.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <cmath>
#include <vector>

#include "nn/volumetric_values.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::error_of;
using ember::testing::wave;

// Empty batches and empty adaptive sizes give PyTorch's empty results; bfloat16 averages
// round once; autocast runs the convolutions in bfloat16 with a float32 bias.
TEST(Volumetric, EdgeShapesAndDtypes) {
  EXPECT_EQ(F::conv3d(wave({0, 2, 4, 4, 4}), wave({3, 2, 3, 3, 3})).sizes(), (Dims{0, 3, 2, 2, 2}));
  const Tensor empty_batch = wave({0, 2, 4, 4, 4}).requires_grad_(true), w = wave({3, 2, 3, 3, 3}).requires_grad_(true);
  F::conv3d(empty_batch, w, Tensor(), 1, 1).sum().backward();
  EXPECT_EQ(empty_batch.grad().sizes(), empty_batch.sizes());
  EXPECT_EQ(w.grad().abs().sum().item<double>(), 0.0);
  EXPECT_EQ(F::conv_transpose3d(wave({0, 2, 3, 3, 3}), wave({2, 3, 2, 2, 2}), wave({3}), 2).sizes(),
            (Dims{0, 3, 6, 6, 6}));
  const Tensor empty_up = wave({0, 2, 3, 3, 3}).requires_grad_(true), wu = wave({2, 3, 2, 2, 2}).requires_grad_(true);
  F::conv_transpose3d(empty_up, wu, Tensor(), 2, 0, 1).sum().backward();
  EXPECT_EQ(empty_up.grad().sizes(), empty_up.sizes());
  EXPECT_EQ(wu.grad().abs().sum().item<double>(), 0.0);
  // bfloat16 gradients through both nodes, against float32's.
  const Tensor xb = wave({1, 2, 4, 3, 4}).to(kBFloat16).requires_grad_(true);
  const Tensor wb = wave({2, 2, 2, 2, 2}).to(kBFloat16).requires_grad_(true);
  F::conv_transpose3d(F::conv3d(xb, wb, Tensor(), 1, 1), wb, Tensor(), 1, 1).sum().backward();
  const Tensor xf = wave({1, 2, 4, 3, 4}).to(kFloat32).requires_grad_(true);
  const Tensor wf = wave({2, 2, 2, 2, 2}).to(kFloat32).requires_grad_(true);
  F::conv_transpose3d(F::conv3d(xf, wf, Tensor(), 1, 1), wf, Tensor(), 1, 1).sum().backward();
  EXPECT_EQ(xb.grad().dtype(), kBFloat16);
  EXPECT_TRUE(allclose(xb.grad().to(kFloat32), xf.grad(), 0.05, 0.1));
  EXPECT_TRUE(allclose(wb.grad().to(kFloat32), wf.grad(), 0.05, 0.2));
  const Tensor x = wave({1, 2, 5, 4, 6});
  EXPECT_EQ(F::adaptive_avg_pool3d(x, {2, 0, 2}).sizes(), (Dims{1, 2, 2, 0, 2}));
  const auto [values, indices] = F::adaptive_max_pool3d_with_indices(x[0], {2, 2, 0});
  EXPECT_EQ(values.sizes(), (Dims{2, 2, 2, 0}));
  EXPECT_EQ(indices.dtype(), kInt64);
  EXPECT_EQ(F::max_pool3d(wave({0, 2, 4, 4, 4}), 2).sizes(), (Dims{0, 2, 2, 2, 2}));
  const Tensor bf = x.to(kBFloat16);
  EXPECT_TRUE(equal(F::avg_pool3d(bf, 3, 1, 1), F::avg_pool3d(bf.to(kFloat32), 3, 1, 1).to(kBFloat16)));
  EXPECT_TRUE(
      equal(F::adaptive_avg_pool3d(bf, {2, 3, 4}), F::adaptive_avg_pool3d(bf.to(kFloat32), {2, 3, 4}).to(kBFloat16)));
  {
    AutocastGuard guard(Device::cpu(), kBFloat16);
    const Tensor y = F::conv_transpose3d(bf, wave({2, 3, 2, 2, 2}).to(kFloat32), wave({3}).to(kFloat32));
    EXPECT_EQ(y.dtype(), kBFloat16);
    EXPECT_EQ(F::conv3d(x.to(kFloat32), wave({3, 2, 2, 2, 2}).to(kFloat32), wave({3}).to(kFloat32)).dtype(),
              kBFloat16);
  }
}

TEST(Volumetric, ErrorsUsePyTorchsPhrases) {
  const Tensor x = wave({2, 3, 4, 4, 4});
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({4, 2, 3, 3, 3})); })
                .find("Given groups=1, weight of size [4, 2, 3, 3, 3], expected input[2, 3, 4, 4, 4] to have 2 "
                      "channels, but got 3 channels instead"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(wave({1, 3, 2, 4, 4}), wave({4, 3, 3, 3, 3})); })
                .find("Calculated padded input size per channel: (2 x 4 x 4). Kernel size: (3 x 3 x 3). Kernel size "
                      "can't be greater than actual input size"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(wave({3, 4}), wave({1, 3, 1, 1, 1})); })
                .find("Expected 4D (unbatched) or 5D (batched) input to conv3d"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({4, 3, 3, 3})); }).find("Expected 5-dimensional weight"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({4, 3, 1, 1, 1}), Tensor(), {1, 2}); })
                .find("expected stride to be a single integer or a tuple of three integers"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({4, 3, 1, 1, 1}), Tensor(), 2, nn::kSame); })
                .find("padding='same' is not supported for strided convolutions"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv_transpose3d(x, wave({3, 2, 2, 2, 2}), Tensor(), 2, 0, {1, 2, 0}); })
                .find("output padding must be smaller than either stride or dilation"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              F::max_pool3d(wave({1, 1, 2, 2, 2}), 3, {}, 2);
            }).find("pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"),
            std::string::npos);
  // 3-D keeps PyTorch's pool3d_shape_check: half the undilated kernel, even with dilation.
  EXPECT_NE(error_of([&] {
              F::max_pool3d(wave({1, 1, 6, 6, 6}), 3, 1, 2, 2);
            })
                .find("pad should be smaller than or equal to half of effective kernel size, but got padT: 2 padW: 2 "
                      "padH: 2 effectiveKT: 5"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::max_pool3d(wave({2, 3, 3}), 2); })
                .find("non-empty 4D or 5D (batch mode) tensor expected for input"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::max_pool3d(wave({1, 1, 1, 1, 1}), 2); })
                .find("Given input size: (1x1x1x1). Calculated output size: (1x0x0x0). Output size is too small"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::avg_pool3d(wave({1, 1, 2, 4, 4}), 3, {}, 1); })
                .find("input image (T: 2 H: 4 W: 4) smaller than kernel size (kT: 3 kH: 3 kW: 3)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::max_pool3d(x, {2, 0, 2}); }).find("stride should not be zero"), std::string::npos);
  EXPECT_NE(error_of([&] { F::max_pool3d(x, 2, 1, 1, {1, 0, 1}); })
                .find("dilation should be greater than zero, but got dilationT: 1 dilationH: 0 dilationW: 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({2, 3, 1, 1, 1}), wave({3})); })
                .find("Given weight of size [2, 3, 1, 1, 1], expected bias to be 1-dimensional with 2 elements, but "
                      "got bias of size [3] instead"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({2, 3, 1, 1, 1}), wave({2}).to(kFloat32)); })
                .find("Input type (float64) and bias type (float32) should be the same"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv3d(x, wave({4, 1, 1, 1, 1}), Tensor(), 1, 0, 1, 3); })
                .find("Given groups=3, expected weight to be divisible by 3 at dimension 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::conv_transpose3d(x, wave({3, 1, 1, 1, 1}).to(kFloat32)); })
                .find("conv_transpose3d: Input type (float64) and weight type (float32) should be the same"),
            std::string::npos);
  // Two paddings for three dims: an error whatever the padding mode (no slot read as zero).
  for (const char* mode : {"zeros", "reflect"})
    EXPECT_NE(error_of([&] { nn::Conv3d(1, 1, 3, {.padding = Dims{1, 2}, .padding_mode = mode}); })
                  .find("expected padding to be a single integer value or a list of 3 values to match the "
                        "convolution dimensions, but got padding=[1, 2]"),
              std::string::npos)
        << mode;
  EXPECT_NE(error_of([&] { F::conv_transpose3d(x, wave({3, 1, 1, 1, 1}), Tensor(), 1, 0, 0, 4); })
                .find("Given groups=4, expected weight to be at least 4 at dimension 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::avg_pool3d(x, 2, {}, 0, false, true, 0); }).find("divisor must be not zero"),
            std::string::npos);
  // PyTorch warns that other ranks are deprecated and still runs them: whole dim-0 slices
  // (its unbatched path, unsqueeze(0) then feature dropout).
  manual_seed(3);
  const Tensor kept = F::dropout3d(ones({6, 3, 4}), 0.5);
  for (int64_t i = 0; i < 6; ++i) {
    const double first = kept[i].flatten()[0].item<double>();
    EXPECT_TRUE(first == 0.0 || first == 2.0);
    EXPECT_TRUE(equal(kept[i], full({3, 4}, first)));
  }
  EXPECT_NE(error_of([&] { F::dropout3d(ones({}), 0.5); }).find("Feature dropout requires at least 2 dimensions"),
            std::string::npos);
  nn::BatchNorm3d bn(3);
  EXPECT_NE(error_of([&] { bn.forward(wave({2, 3, 4, 4})); }).find("expected 5D input (got 4D input)"),
            std::string::npos);
}

TEST(Volumetric, LayersPrintAndInitializeLikePyTorch) {
  nn::Conv3d conv(4, 6, 3, {.stride = {2, 1, 1}, .padding = 1, .groups = 2, .bias = false});
  EXPECT_EQ(conv.weight.sizes(), (Dims{6, 2, 3, 3, 3}));
  EXPECT_FALSE(conv.bias.defined());
  // PyTorch's U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in / groups * KD * KH * KW: 324
  // draws reach past 0.9 of the bound (a larger fan_in's bound would not).
  EXPECT_LE(conv.weight.abs().max().item<float>(), 1.0 / std::sqrt(54.0));
  EXPECT_GE(conv.weight.abs().max().item<float>(), 0.9 / std::sqrt(54.0));
  EXPECT_EQ(conv.extra_repr(),
            "4, 6, kernel_size=(3, 3, 3), stride=(2, 1, 1), padding=(1, 1, 1), groups=2, bias=False");
  nn::ConvTranspose3d up(4, 6, {3, 2, 2}, {.stride = 2, .output_padding = 1});
  EXPECT_EQ(up.weight.sizes(), (Dims{4, 6, 3, 2, 2}));
  EXPECT_EQ(up.extra_repr(), "4, 6, kernel_size=(3, 2, 2), stride=(2, 2, 2), output_padding=(1, 1, 1)");
  nn::ConvTranspose3d wide(4, 64, {3, 2, 2});
  EXPECT_LE(wide.bias.abs().max().item<float>(), 1.0 / std::sqrt(64.0 * 12));
  EXPECT_GE(wide.bias.abs().max().item<float>(), 0.8 / std::sqrt(64.0 * 12));
  EXPECT_LE(wide.weight.abs().max().item<float>(), 1.0 / std::sqrt(64.0 * 12));
  EXPECT_GE(wide.weight.abs().max().item<float>(), 0.9 / std::sqrt(64.0 * 12));
  EXPECT_EQ(nn::MaxPool3d(2).extra_repr(), "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False");
  EXPECT_EQ(nn::MaxPool3d({1, 2, 2}, nn::Triple{1, 2, 2}, {0, 1, 1}).extra_repr(),
            "kernel_size=(1, 2, 2), stride=(1, 2, 2), padding=(0, 1, 1), dilation=1, ceil_mode=False");
  EXPECT_EQ(nn::AvgPool3d(3, 2).extra_repr(), "kernel_size=3, stride=2, padding=0");
  EXPECT_EQ(nn::AdaptiveAvgPool3d({1, 2, 2}).extra_repr(), "output_size=(1, 2, 2)");
  EXPECT_EQ(nn::AdaptiveMaxPool3d(1).extra_repr(), "output_size=1");
  nn::BatchNorm3d bn(4);
  EXPECT_EQ(bn.extra_repr(), "4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True");
  EXPECT_EQ(nn::Dropout3d(0.2).extra_repr(), "p=0.2, inplace=False");
}

TEST(Volumetric, LayersComputeTheirFunctionalForms) {
  manual_seed(3);
  const Tensor x = wave({2, 4, 5, 6, 5}).to(kFloat32);
  nn::Conv3d conv(4, 6, {3, 2, 3}, {.padding = {1, 0, 1}, .padding_mode = "circular"});
  const Tensor padded = F::pad(x, {1, 1, 0, 0, 1, 1}, "circular");
  EXPECT_TRUE(allclose(conv.forward(x), F::conv3d(padded, conv.weight, conv.bias), 1e-5, 1e-6));
  nn::ConvTranspose3d up(6, 2, 3, {.stride = 2, .padding = 1});
  const Tensor y = conv.forward(x);
  EXPECT_EQ(up.forward(y, Dims{10, 9, 10}).sizes(), (Dims{2, 2, 10, 9, 10}));
  EXPECT_EQ(up.forward(y).sizes(), (Dims{2, 2, 9, 9, 9}));
  nn::MaxPool3d pool(2, std::nullopt, 0);
  EXPECT_TRUE(equal(pool.forward(x), F::max_pool3d(x, 2)));
  nn::AvgPool3d avg(3, {.stride = nn::Triple{1, 2, 2}, .padding = 1, .count_include_pad = false});
  EXPECT_TRUE(equal(avg.forward(x), F::avg_pool3d(x, 3, {1, 2, 2}, 1, false, false)));
  // BatchNorm3d: batch statistics over (N, D, H, W) per channel, and a running update.
  nn::BatchNorm3d bn(4);
  const Tensor z = bn.forward(x);
  const Tensor mean = x.mean({0, 2, 3, 4}), var = x.var({0, 2, 3, 4}, 0);
  const Tensor want = (x - mean.reshape({1, 4, 1, 1, 1})) / (var.reshape({1, 4, 1, 1, 1}) + 1e-5).sqrt();
  EXPECT_TRUE(allclose(z, want, 1e-4, 1e-5));
  EXPECT_TRUE(allclose(bn.running_mean, mean.mul(0.1), 1e-5, 1e-6));
  bn.eval();
  EXPECT_TRUE(allclose(bn.forward(x), F::batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias), 1e-5,
                       1e-6));
  // Dropout3d zeroes whole channels and scales the rest.
  nn::Dropout3d drop(0.5);
  const Tensor ones = ember::ones({4, 8, 3, 2, 2});
  const Tensor kept = drop.forward(ones).sum({2, 3, 4});
  for (const double v : kept.to_vector<double>()) EXPECT_TRUE(v == 0.0 || v == 24.0) << v;
  EXPECT_GT(kept.sum().item<double>(), 0.0);
  EXPECT_LT(kept.sum().item<double>(), 24.0 * 32);
  drop.eval();
  EXPECT_TRUE(equal(drop.forward(ones), ones));
}

// BatchNorm3d folds into the Conv3d before it (alone and in a Sequential), and a transposed
// 3-D weight is normalised along its output dim (1), as PyTorch's utilities do.
TEST(Volumetric, FusionAndSpectralNormKnowTheLayers) {
  manual_seed(4);
  auto conv = std::make_shared<nn::Conv3d>(2, 4, 3, nn::Conv3dOptions{.padding = 1});
  auto bn = std::make_shared<nn::BatchNorm3d>(4);
  const Tensor x = randn({2, 2, 5, 4, 6});
  bn->forward(conv->forward(randn({3, 2, 5, 4, 6})));  // running statistics that are not the defaults
  nn::Sequential model({conv, bn, std::make_shared<nn::ReLU>()});
  model.eval();
  const Tensor want = model.forward(x);
  const auto fused = nn::utils::fuse_conv_bn_eval(*conv, *bn);
  EXPECT_TRUE(allclose(fused->forward(x), bn->forward(conv->forward(x)), 1e-4, 1e-5));
  const auto folded = nn::utils::fuse_conv_bn_eval(model);
  EXPECT_EQ(folded->size(), 2u);
  EXPECT_NE(dynamic_cast<nn::Conv3d*>((*folded)[0].get()), nullptr);
  EXPECT_TRUE(allclose(folded->forward(x), want, 1e-4, 1e-5));
  nn::ConvTranspose3d up(3, 5, 2);
  nn::utils::spectral_norm(up);
  EXPECT_EQ(up.get_buffer("weight_u").sizes(), (Dims{5}));
}

}  // namespace
}  // namespace ember
