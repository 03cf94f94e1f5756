// 1-D pooling as 2-D pooling of x.unsqueeze(-2) with a 1 x K window (kernel {1, K}, stride
// {1, S}, padding {0, P}, dilation {1, D}), squeezed back; the 2-D indices h * W + w are
// then the indices along L, as PyTorch's. The 1-D argument checks come first, with torch
// 1.13's 1-D phrases; an output length below 1 is "Output size is too small" from the
// 2-D check (torch 1.13's grad, CUDA and return_indices paths; its CPU no-grad path
// returns an empty tensor instead).
#include "nn/functional/pool1d.h"

#include "core/error.h"
#include "nn/functional/args.h"
#include "nn/functional/conv.h"

namespace ember::nn::functional {
namespace {

void check_dtype(const Tensor& x, const char* op) {
  EMBER_CHECK(is_floating(x.dtype()), op, ": expected a float32, float64, bfloat16 or float16 input, but got ",
              dtype_name(x.dtype()));
}

void check_max_input(const Tensor& x) {
  bool ok = x.dim() == 2 || x.dim() == 3;
  for (int64_t d = x.dim() == 3 ? 1 : 0; ok && d < x.dim(); ++d) ok = x.size(d) > 0;
  EMBER_CHECK(ok, "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but "
              "got:", x.sizes());
  check_dtype(x, "max_pool1d");
}

void check_rank(const Tensor& x, const char* op) {
  EMBER_CHECK(x.dim() == 2 || x.dim() == 3, "Expected 2 to 3 dimensions, but got ", x.dim(),
              "-dimensional tensor for argument #1 'self' (while checking arguments for ", op, ")");
  check_dtype(x, op);
}

void check_max_window(int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  EMBER_CHECK(kernel > 0, "max_pool1d() kernel_size must be greater than zero, but got ", kernel);
  EMBER_CHECK(stride > 0, "max_pool1d() stride must be greater than zero, but got ", stride);
  EMBER_CHECK(padding >= 0, "max_pool1d() padding must be non-negative, but got ", padding);
  EMBER_CHECK(padding <= kernel / 2, "max_pool1d() padding should be at most half of kernel size, but got padding=",
              padding, " and kernel_size=", kernel);
  EMBER_CHECK(dilation > 0, "max_pool1d() dilation must be greater than zero, but got ", dilation);
}

std::tuple<Tensor, Tensor> squeezed(const std::tuple<Tensor, Tensor>& pooled) {
  return {std::get<0>(pooled).squeeze(-2), std::get<1>(pooled).squeeze(-2)};
}

}  // namespace

Tensor max_pool1d(const Tensor& x, int64_t kernel, std::optional<int64_t> stride, int64_t padding, int64_t dilation,
                  bool ceil_mode) {
  check_max_input(x);
  const int64_t step = stride.value_or(kernel);
  check_max_window(kernel, step, padding, dilation);
  return max_pool2d(x.unsqueeze(-2), {1, kernel}, {1, step}, {0, padding}, {1, dilation}, ceil_mode).squeeze(-2);
}

std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& x, int64_t kernel, std::optional<int64_t> stride,
                                                   int64_t padding, int64_t dilation, bool ceil_mode) {
  check_max_input(x);
  const int64_t step = stride.value_or(kernel);
  check_max_window(kernel, step, padding, dilation);
  return squeezed(
      max_pool2d_with_indices(x.unsqueeze(-2), {1, kernel}, {1, step}, {0, padding}, {1, dilation}, ceil_mode));
}

Tensor avg_pool1d(const Tensor& x, int64_t kernel, std::optional<int64_t> stride, int64_t padding, bool ceil_mode,
                  bool count_include_pad) {
  check_rank(x, "avg_pool1d");
  const int64_t step = stride.value_or(kernel);
  EMBER_CHECK(kernel > 0, "avg_pool1d: kernel size should be greater than zero, but got ", kernel);
  EMBER_CHECK(step != 0, "avg_pool1d: stride should not be zero");
  detail::check_pool_padding("avg_pool1d", padding, kernel, 1);
  return avg_pool2d(x.unsqueeze(-2), {1, kernel}, {1, step}, {0, padding}, ceil_mode, count_include_pad)
      .squeeze(-2);
}

Tensor adaptive_avg_pool1d(const Tensor& x, int64_t output_size) {
  check_rank(x, "adaptive_avg_pool1d");
  return adaptive_avg_pool2d(x.unsqueeze(-2), {1, output_size}).squeeze(-2);
}

Tensor adaptive_max_pool1d(const Tensor& x, int64_t output_size) {
  check_rank(x, "adaptive_max_pool1d");
  return adaptive_max_pool2d(x.unsqueeze(-2), {1, output_size}).squeeze(-2);
}

std::tuple<Tensor, Tensor> adaptive_max_pool1d_with_indices(const Tensor& x, int64_t output_size) {
  check_rank(x, "adaptive_max_pool1d");
  return squeezed(adaptive_max_pool2d_with_indices(x.unsqueeze(-2), {1, output_size}));
}

}  // namespace ember::nn::functional
