// nn::functional::fractional_max_pool2d/3d (torch.nn.functional's): max pooling over windows
// of a fixed size whose starts advance by a random, non-integer stride (Graham's fractional
// max pooling), with PyTorch's interval rule, tie and NaN rules, indices and errors.
#pragma once
#include <initializer_list>
#include <tuple>
#include <vector>

#include "nn/functional/conv.h"
#include "nn/functional/conv3d.h"

namespace ember::nn::functional {

// One ratio for every spatial dim (`.output_ratio = 0.5`) or one per dim (`{0.5, 0.7}`).
struct Ratios {
  Ratios() = default;
  Ratios(double all) : values{all} {}                           // NOLINT: implicit on purpose
  Ratios(std::initializer_list<double> each) : values(each) {}  // NOLINT
  std::vector<double> values;
};

// Exactly one of output_size and output_ratio (a ratio gives int(input size * ratio), each
// ratio in (0, 1)). random_samples is PyTorch's _random_samples: [N, C, rank] in [0, 1) of
// the input's dtype, one draw per plane (drawn with ember's generator when undefined). For
// the 2-D op column 0 places the width's windows and column 1 the height's; for the 3-D op
// columns 0, 1, 2 place depth, height and width, as PyTorch's kernels read them.
struct FractionalMaxPoolOptions {
  IntOrPair output_size = {};
  Ratios output_ratio = {};
  Tensor random_samples = {};
};

// x [N, C, H, W] or [C, H, W]. Along each dim the windows start at
// trunc((i + u) * alpha) - trunc(u * alpha) for i < out - 1, alpha = (in - k) / (out - 1)
// in the input's floating type, and the last at in - k (PyTorch's rule, so the same samples
// give PyTorch's windows). A window's value is its first largest element, or its last NaN.
// Indices are flat h * W + w in each plane (max_unpool2d's). Differentiable (the gradient
// goes to the chosen elements, adding where windows overlap); any device, composed of
// gathers over [N, C, out, kernel] windows.
Tensor fractional_max_pool2d(const Tensor& x, IntOrPair kernel_size, const FractionalMaxPoolOptions& options);
std::tuple<Tensor, Tensor> fractional_max_pool2d_with_indices(const Tensor& x, IntOrPair kernel_size,
                                                              const FractionalMaxPoolOptions& options);
// The same over volumes: x [N, C, D, H, W] or [C, D, H, W], indices d * H * W + h * W + w.
// As PyTorch's 3-D kernel, each dim needs out + kernel - 1 < in (the 2-D one takes <=).
Tensor fractional_max_pool3d(const Tensor& x, IntOrTriple kernel_size, const FractionalMaxPoolOptions& options);
std::tuple<Tensor, Tensor> fractional_max_pool3d_with_indices(const Tensor& x, IntOrTriple kernel_size,
                                                              const FractionalMaxPoolOptions& options);

namespace detail {
// PyTorch's checks of the choice between output_size and output_ratio, worded for `who`
// ("fractional_max_pool2d" or the layer "FractionalMaxPool2d").
void check_fractional_output(const FractionalMaxPoolOptions& options, int64_t rank, const char* who, bool layer);
}  // namespace detail

}  // namespace ember::nn::functional
