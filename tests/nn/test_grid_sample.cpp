// affine_grid and grid_sample against PyTorch 1.13 (grid_sample_torch_values.h): outputs and
// gradients to input and grid for every mode (bicubic too), padding mode and align_corners, points outside
// the image; float64 gradcheck, float32, empty, non-contiguous and channels-last inputs,
// non-finite grid points, the one-kernel forward of unrecorded calls, the one-kernel backward
// against the composed ops' gradients (create_graph), what the node saves, and PyTorch's
// error phrases.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "nn/functional/grid_sample.h"
#include "grid_sample_torch_values.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;
using ember::testing::expect_gradcheck;
using ember::testing::expect_values;

// The script's x, grid and w.
Tensor image() { return (remainder(arange(24, dtype(kFloat64)) * 7, 24) - 12.0).div(3).reshape({2, 2, 2, 3}); }
Tensor points() {
  return tensor(std::vector<double>{-0.3, 0.45, 1.3,  -0.2, -1.7, 0.9,   0.6,   -1.25, 2.6,  3.1, -3.3,
                                    -0.7, 0.95, 1.05, 0.5,  0.2,  0.77,  -0.33, -1.05, -1.1, 5.2, 0.3,
                                    -0.5, 2.2,  0.25, -2.9, 1.6,  1.9,   -0.9,  0.99,  0.0,  0.0},
                {2, 2, 4, 2}, dtype(kFloat64));
}
Tensor output_weights() { return (arange(32, dtype(kFloat64)) - 15.0).div(8).reshape({2, 2, 2, 4}); }

TEST(GridSample, EveryModeAsPyTorch) {
  for (const auto& c : grid_sample_cases()) {
    SCOPED_TRACE(std::string(c.mode) + " " + c.padding_mode + (c.align_corners ? " align_corners" : ""));
    const Tensor x = image().requires_grad_(true), grid = points().requires_grad_(true);
    const Tensor out = F::grid_sample(x, grid, c.mode, c.padding_mode, c.align_corners);
    EXPECT_EQ(out.sizes(), (Dims{2, 2, 2, 4}));
    expect_values(out, c.output, 1e-12);
    (out * output_weights()).sum().backward();
    expect_values(x.grad(), c.input_grad, 1e-12);
    ASSERT_TRUE(grid.grad().defined());
    expect_values(grid.grad(), c.grid_grad, 1e-12);
  }
}

TEST(GridSample, Float32LayoutsAndEmpty) {
  const Tensor x = randn({2, 3, 5, 4}, dtype(kFloat64));
  const Tensor grid = rand({2, 3, 6, 2}, dtype(kFloat64)) * 2.4 - 1.2;
  for (const char* padding : {"zeros", "border", "reflection"}) {
    const Tensor expected = F::grid_sample(x, grid, "bilinear", padding);
    EXPECT_TRUE(allclose(F::grid_sample(x.to(kFloat32), grid.to(kFloat32), "bilinear", padding).to(kFloat64), expected,
                         1e-5, 1e-5));
    // channels-last and transposed inputs, a transposed grid
    EXPECT_TRUE(allclose(F::grid_sample(x.contiguous(MemoryFormat::ChannelsLast), grid, "bilinear", padding), expected));
    const Tensor x_t = x.transpose(2, 3).contiguous().transpose(2, 3);
    const Tensor grid_t = grid.transpose(1, 2).contiguous().transpose(1, 2);
    EXPECT_FALSE(x_t.is_contiguous());
    EXPECT_FALSE(grid_t.is_contiguous());
    EXPECT_TRUE(allclose(F::grid_sample(x_t, grid_t, "bilinear", padding), expected));
  }
  // the identity grid samples every pixel at its centre
  const Tensor identity = F::affine_grid(tensor(std::vector<double>{1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0}, {2, 2, 3},
                                                dtype(kFloat64)),
                                         {2, 3, 5, 4});
  EXPECT_TRUE(allclose(F::grid_sample(x, identity), x, 1e-12, 1e-12));
  EXPECT_TRUE(allclose(F::grid_sample(x, identity, "nearest"), x, 0, 0));
  // empty batch, channels and grid, as PyTorch
  EXPECT_EQ(F::grid_sample(zeros({0, 3, 4, 5}), zeros({0, 6, 7, 2})).sizes(), (Dims{0, 3, 6, 7}));
  EXPECT_EQ(F::grid_sample(zeros({2, 0, 4, 5}), zeros({2, 6, 7, 2})).sizes(), (Dims{2, 0, 6, 7}));
  EXPECT_EQ(F::grid_sample(zeros({2, 3, 4, 5}), zeros({2, 0, 7, 2}), "nearest").sizes(), (Dims{2, 3, 0, 7}));
  // an empty grid's backward: the input's gradient is zeros (the kernel clears it)
  const Tensor xe = (randn({2, 3, 4, 5}, dtype(kFloat64)) + 5.0).requires_grad_(true);
  F::grid_sample(xe, zeros({2, 0, 7, 2}, dtype(kFloat64))).sum().backward();
  ASSERT_TRUE(xe.grad().defined());
  EXPECT_EQ(xe.grad().abs().sum().item<double>(), 0.0);
}

TEST(GridSample, NonFinitePoints) {
  // A NaN point samples zeros in every mode (PyTorch's safe_downgrade_to_int_range, which its
  // CUDA kernels apply; its vectorized CPU kernel gives NaN with zeros padding instead). An
  // infinite or far point is clamped to the edge by border padding, reflects to NaN (so
  // zeros) by reflection padding, and is outside the image with zeros padding. The inf pixel
  // at (0, 0) is read by no other point.
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = ones({1, 1, 2, 2}, dtype(kFloat64));
  {
    NoGradGuard g;
    x.select(2, 0).select(2, 0).fill_(inf);
  }
  const Tensor grid = tensor(std::vector<double>{nan, 0.5, inf, 0.5, 1e30, 0.5, 0.5, 0.5}, {1, 1, 4, 2}, dtype(kFloat64));
  expect_values(F::grid_sample(x, grid, "bilinear", "zeros"), {0, 0, 0, 1}, 0);
  expect_values(F::grid_sample(x, grid, "nearest", "zeros"), {0, 0, 0, 1}, 0);
  expect_values(F::grid_sample(x, grid, "bilinear", "border"), {0, 1, 1, 1}, 0);
  expect_values(F::grid_sample(x, grid, "bilinear", "reflection"), {0, 0, 1, 1}, 0);
  // and no NaN reaches the grid's gradient from the points that sample something
  const Tensor g = grid.clone().requires_grad_(true);
  F::grid_sample(x.narrow(3, 1, 1), g, "bilinear", "border").sum().backward();
  EXPECT_TRUE(isfinite(g.grad()).all().item<bool>());
}

// Calls that record nothing take the device's one-kernel forward (core/grid_sample_math.h),
// which repeats the recorded ops' arithmetic: PyTorch's values for every case, and the
// recorded path's bits for random and special points (pixel centres, edges, far, NaN, inf),
// float32 and float64, strided operands, every mode, padding and align_corners.
TEST(GridSample, TheUnrecordedKernelGivesTheRecordedOpsBits) {
  {
    NoGradGuard no_grad;
    for (const auto& c : grid_sample_cases()) {
      SCOPED_TRACE(std::string(c.mode) + " " + c.padding_mode + (c.align_corners ? " align_corners" : ""));
      expect_values(F::grid_sample(image(), points(), c.mode, c.padding_mode, c.align_corners), c.output, 1e-12);
    }
  }
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  manual_seed(3);
  const Tensor x = randn({2, 3, 5, 4}, dtype(kFloat64));
  Tensor grid = rand({2, 6, 7, 2}, dtype(kFloat64)) * 3.6 - 1.8;
  const std::vector<double> special{-1,  1,   0,    -0.5, 0.5,   0.25, -0.75, 1.0 / 3,
                                    nan, inf, -inf, 1e10, -1e30, 1.25, -1.25};
  {
    NoGradGuard no_grad;
    grid.select(1, 0).select(2, 0).copy_(tensor(std::vector<double>(special.begin(), special.begin() + 14), {2, 7},
                                                 dtype(kFloat64)));
    grid.select(1, 1).select(2, 1).copy_(tensor(std::vector<double>(special.rbegin(), special.rbegin() + 14), {2, 7},
                                                 dtype(kFloat64)));
  }
  for (const DType dtype_ : {kFloat64, kFloat32}) {
    const Tensor xs = x.to(dtype_).transpose(2, 3).contiguous().transpose(2, 3);  // strided input
    const Tensor gs = grid.to(dtype_).transpose(1, 2).contiguous().transpose(1, 2);
    for (const char* mode : {"bilinear", "nearest"}) {
      for (const char* padding : {"zeros", "border", "reflection"}) {
        for (const bool align : {false, true}) {
          SCOPED_TRACE(std::string(mode) + " " + padding + (align ? " align_corners " : " ") +
                       std::string(dtype_name(dtype_)));
          const Tensor recorded = F::grid_sample(xs.clone().requires_grad_(true), gs, mode, padding, align);
          ASSERT_TRUE(recorded.requires_grad());
          Tensor unrecorded;
          {
            NoGradGuard no_grad;
            unrecorded = F::grid_sample(xs, gs, mode, padding, align);
          }
          EXPECT_FALSE(unrecorded.requires_grad());
          expect_values(unrecorded, recorded.detach().to(kFloat64).to_vector<double>(), 0);
        }
      }
    }
  }
}

// The first-order backward is one kernel (DeviceOps::grid_sample_backward); a create_graph
// backward differentiates the composed ops of Note [Grid sampling by gathers]. Both give the
// same gradients, up to the order of their sums, at random and special points (pixel centres,
// edges, far, NaN, inf), float32 and float64, strided operands, every mode, padding and
// align_corners; and either operand alone.
TEST(GridSample, TheBackwardKernelGivesTheComposedOpsGradients) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  manual_seed(5);
  const Tensor x = randn({2, 3, 5, 4}, dtype(kFloat64));
  Tensor grid = rand({2, 6, 7, 2}, dtype(kFloat64)) * 3.6 - 1.8;
  const std::vector<double> special{-1, 1, 0, -0.5, 0.5, 0.25, -0.75, 1.0 / 3, nan, inf, -inf, 1e10, -1e30, 1.25};
  {
    NoGradGuard no_grad;
    grid.select(1, 0).select(2, 0).copy_(tensor(special, {2, 7}, dtype(kFloat64)));
    grid.select(1, 1).select(2, 1).copy_(tensor(std::vector<double>(special.rbegin(), special.rend()), {2, 7},
                                                 dtype(kFloat64)));
  }
  const Tensor weights = randn({2, 3, 6, 7}, dtype(kFloat64));
  for (const DType dtype_ : {kFloat64, kFloat32}) {
    const double tol = dtype_ == kFloat64 ? 1e-12 : 2e-5;
    const Tensor xs = x.to(dtype_).transpose(2, 3).contiguous().transpose(2, 3);  // strided input
    const Tensor gs = grid.to(dtype_).transpose(1, 2).contiguous().transpose(1, 2);
    const Tensor w = weights.to(dtype_);
    for (const char* mode : {"bilinear", "nearest"}) {
      for (const char* padding : {"zeros", "border", "reflection"}) {
        for (const bool align : {false, true}) {
          for (const int wanted : {3, 1, 2}) {  // bit 0: the input's gradient, bit 1: the grid's
            SCOPED_TRACE(std::string(mode) + " " + padding + (align ? " align_corners " : " ") +
                         std::string(dtype_name(dtype_)) + " wanted " + std::to_string(wanted));
            const Tensor xi = xs.detach().requires_grad_((wanted & 1) != 0);
            const Tensor gi = gs.detach().requires_grad_((wanted & 2) != 0);
            autograd::tensor_list inputs;
            if (wanted & 1) inputs.push_back(xi);
            if (wanted & 2) inputs.push_back(gi);
            const Tensor loss = (F::grid_sample(xi, gi, mode, padding, align) * w).sum();
            const auto kernel = autograd::grad({loss}, inputs, {}, /*retain_graph=*/true);
            const auto composed = autograd::grad({loss}, inputs, {}, /*retain_graph=*/false, /*create_graph=*/true);
            ASSERT_EQ(kernel.size(), composed.size());
            for (size_t i = 0; i < kernel.size(); ++i) {
              ASSERT_TRUE(kernel[i].defined() && composed[i].defined());
              EXPECT_FALSE(kernel[i].requires_grad());
              EXPECT_TRUE(composed[i].requires_grad());
              EXPECT_EQ(kernel[i].dtype(), dtype_);
              EXPECT_TRUE(isfinite(kernel[i]).all().item<bool>());
              const Tensor expected = composed[i].detach().to(kFloat64);
              const Tensor error = (kernel[i].to(kFloat64) - expected).abs() / (expected.abs() + 1.0);
              EXPECT_LE(error.max().item<double>(), tol);
            }
          }
        }
      }
    }
  }
}

// A grid made from the input (a spatial transformer's localisation): the create_graph backward
// differentiates the composed ops at aliases of its inputs, so the grid's own history is run
// once, by the outer backward; its gradients are the plain ones, and the second derivative is
// right (gradgradcheck).
TEST(GridSample, CreateGraphWhereTheGridDependsOnTheInput) {
  manual_seed(9);
  const Tensor x = testing::grad_input({2, 1, 5, 6});
  const Tensor localisation = randn({30, 6}, dtype(kFloat64)) * 0.05;
  const Tensor identity = tensor(std::vector<double>{1, 0, 0, 0, 1, 0}, {1, 6}, dtype(kFloat64));
  const auto transformer = [&](const std::vector<Tensor>& in) {
    const Tensor theta = (in[0].reshape({2, 30}).matmul(localisation) + identity).reshape({2, 2, 3});
    return F::grid_sample(in[0], F::affine_grid(theta, {2, 1, 4, 4}), "bilinear", "border");
  };
  const Tensor w = randn({2, 1, 4, 4}, dtype(kFloat64));
  const Tensor loss = (transformer({x}) * w).sum();
  const Tensor plain = autograd::grad({loss}, {x}, {}, /*retain_graph=*/true)[0];
  const Tensor created = autograd::grad({loss}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  EXPECT_LE(testing::max_abs_diff(plain, created.detach()), 1e-12);
  EXPECT_GT(plain.abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(autograd::gradgradcheck(transformer, {x}));
}

// The node keeps the grid, and the input only where the grid's bilinear gradient reads it,
// as PyTorch's grid_sampler_2d keeps both; an input gradient alone needs no input values.
TEST(GridSample, WhatTheNodeSaves) {
  const Tensor x = randn({2, 3, 16, 16}, dtype(kFloat64)), grid = rand({2, 4, 4, 2}, dtype(kFloat64)) * 2 - 1;
  const auto saved_bytes = [](const Tensor& out) {
    EXPECT_EQ(out.grad_fn()->name(), "GridSampler2DBackward");
    return autograd::saved_tensor_stats().bytes_by_op["GridSampler2DBackward"];
  };
  const auto grid_bytes = static_cast<int64_t>(grid.nbytes()), input_bytes = static_cast<int64_t>(x.nbytes());
  EXPECT_EQ(saved_bytes(F::grid_sample(x.detach().requires_grad_(true), grid)), grid_bytes);
  EXPECT_EQ(saved_bytes(F::grid_sample(x, grid.detach().requires_grad_(true))), grid_bytes + input_bytes);
  EXPECT_EQ(saved_bytes(F::grid_sample(x, grid.detach().requires_grad_(true), "nearest")), grid_bytes);
}

TEST(GridSample, Gradcheck) {
  // random points (never exactly on a pixel or an edge, where the gradient jumps)
  for (const char* padding : {"zeros", "border", "reflection"}) {
    for (bool align_corners : {false, true}) {
      SCOPED_TRACE(std::string(padding) + (align_corners ? " align_corners" : ""));
      const Tensor x = testing::grad_input({2, 2, 3, 4});
      const Tensor grid = testing::grad_input({2, 3, 2, 2}, -1.6, 1.6);
      expect_gradcheck(
          [&](const std::vector<Tensor>& in) { return F::grid_sample(in[0], in[1], "bilinear", padding, align_corners); },
          {x, grid});
      expect_gradcheck(
          [&](const std::vector<Tensor>& in) { return F::grid_sample(in[0], in[1], "nearest", padding, align_corners); },
          {x, grid.detach()});
      expect_gradcheck(
          [&](const std::vector<Tensor>& in) { return F::grid_sample(in[0], in[1], "bicubic", padding, align_corners); },
          {x, grid});
    }
  }
  // double backward (the composed ops, differentiated again): the weights' cross terms in the
  // grid, and an input gradient alone (the node kept no input: zeros stand in for it)
  EXPECT_TRUE(autograd::gradgradcheck(
      [](const std::vector<Tensor>& in) { return F::grid_sample(in[0], in[1], "bilinear", "reflection"); },
      {testing::grad_input({1, 2, 3, 4}), testing::grad_input({1, 2, 3, 2}, -1.4, 1.4)}));
  const Tensor fixed_grid = testing::grad_input({1, 2, 3, 2}, -1.4, 1.4).detach();
  EXPECT_TRUE(autograd::gradgradcheck(
      [&](const std::vector<Tensor>& in) { return F::grid_sample(in[0], fixed_grid, "bilinear", "border", true); },
      {testing::grad_input({1, 2, 3, 4})}));
  // the spatial transformer: gradients from the sampled image through the grid into theta
  const Tensor theta = testing::grad_input({2, 2, 3});
  const Tensor x = testing::grad_input({2, 1, 4, 5});
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return F::grid_sample(in[1], F::affine_grid(in[0], {2, 1, 3, 3}), "bilinear", "border");
      },
      {theta, x});
}

TEST(AffineGrid, ValuesAsPyTorch) {
  const Tensor theta = tensor(std::vector<double>{0.8, -0.3, 0.1, 0.25, 1.1, -0.2, -0.5, 0.7, 0.3, 1.2, 0.05, 0.4},
                              {2, 2, 3}, dtype(kFloat64));
  const Tensor grid = F::affine_grid(theta, {2, 3, 3, 4});
  EXPECT_EQ(grid.sizes(), (Dims{2, 3, 4, 2}));
  expect_values(grid, kAffineGrid, 1e-15);
  expect_values(F::affine_grid(theta, {2, 3, 3, 4}, true), kAffineGridAlignCorners, 1e-15);
  // float32 theta: PyTorch's float32 base grid, to float32 rounding
  const Tensor grid32 = F::affine_grid(theta.to(kFloat32), {2, 3, 3, 4});
  EXPECT_EQ(grid32.dtype(), kFloat32);
  expect_values(grid32, kAffineGrid, 1e-6);
  // 3-D: theta [N, 3, 4]
  const Tensor theta3 = tensor(std::vector<double>{0.8, -0.3, 0.1, 0.5, 0.25, 1.1, -0.2, 0.0, 0.3, 0.2, 0.9, -0.1},
                               {1, 3, 4}, dtype(kFloat64));
  const Tensor grid3 = F::affine_grid(theta3, {1, 1, 2, 2, 3});
  EXPECT_EQ(grid3.sizes(), (Dims{1, 2, 2, 3, 3}));
  expect_values(grid3, kAffineGrid3d, 1e-15);
  // a single pixel sits at 0
  expect_values(F::affine_grid(theta, {2, 1, 1, 1}), {0.1, -0.2, 0.3, 0.4}, 1e-15);
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::affine_grid(in[0], {2, 3, 3, 4}, true); },
                   {testing::grad_input({2, 2, 3})});
}

TEST(GridSample, Errors) {
  const Tensor x = zeros({2, 3, 4, 5}), grid = zeros({2, 6, 7, 2});
  EXPECT_EMBER_ERROR(F::grid_sample(x, grid, "foo"),
                     "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'foo'");
  EXPECT_EMBER_ERROR(F::grid_sample(x, grid, "bilinear", "foo"),
                     "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', but "
                     "got: 'foo'");
  // bicubic is differentiated once, as PyTorch's every mode: a second derivative is an error
  const Tensor xb = randn({1, 1, 4, 5}, dtype(kFloat64)).requires_grad_(true);
  const Tensor gb = (rand({1, 2, 3, 2}, dtype(kFloat64)) - 0.5).requires_grad_(true);
  const Tensor grid_grad =
      autograd::grad({F::grid_sample(xb, gb, "bicubic").sum()}, {gb}, {}, std::nullopt, /*create_graph=*/true)[0];
  EXPECT_EMBER_ERROR(autograd::grad({grid_grad.sum()}, {xb}), "is not implemented");
  EXPECT_EMBER_ERROR(F::grid_sample(x, grid.to(kFloat64)), "grid_sampler(): expected input and grid to have same dtype");
  EXPECT_EMBER_ERROR(F::grid_sample(x, grid.narrow(0, 0, 1)),
                     "grid_sampler(): expected grid and input to have same batch size, but got input with sizes "
                     "[2, 3, 4, 5] and grid with sizes [1, 6, 7, 2]");
  EXPECT_EMBER_ERROR(F::grid_sample(x, zeros({2, 6, 7, 3})),
                     "grid_sampler(): expected grid to have size 2 in last dimension, but got grid with sizes [2, 6, 7, 3]");
  EXPECT_EMBER_ERROR(F::grid_sample(x, zeros({2, 6, 2})),
                     "grid_sampler(): expected 4D input and grid with same number of dimensions, but got input with "
                     "sizes [2, 3, 4, 5] and grid with sizes [2, 6, 2]");
  EXPECT_EMBER_ERROR(F::grid_sample(zeros({2, 3, 0, 5}), grid),
                     "grid_sampler(): expected input to have non-empty spatial dimensions, but input has sizes "
                     "[2, 3, 0, 5] with dimension 2 being empty");
  EXPECT_EMBER_ERROR(F::grid_sample(x.to(kInt64), grid.to(kInt64)), "expected a float32 or float64 input");
  EXPECT_EMBER_ERROR(F::grid_sample(zeros({1, 1, 2, 2, 2}), zeros({1, 1, 1, 1, 3})), "5-D (volumetric) input");
  const Tensor theta = zeros({2, 2, 3});
  EXPECT_EMBER_ERROR(F::affine_grid(theta.to(kInt64), {2, 3, 4, 5}), "Expected theta to have floating point type");
  EXPECT_EMBER_ERROR(F::affine_grid(zeros({2, 3, 3}), {2, 3, 4, 5}),
                     "Expected a batch of 2D affine matrices of shape Nx2x3 for size [2, 3, 4, 5]. Got [2, 3, 3].");
  EXPECT_EMBER_ERROR(F::affine_grid(theta, {2, 3, 4}),
                     "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got "
                     "size [2, 3, 4].");
  EXPECT_EMBER_ERROR(F::affine_grid(theta, {2, 3, 0, 5}), "Expected non-zero, positive output size. Got [2, 3, 0, 5]");
  EXPECT_EMBER_ERROR(F::affine_grid(theta, {3, 3, 4, 5}), "expected theta's batch size 2 to equal size[0] = 3");
}

}  // namespace
}  // namespace ember
