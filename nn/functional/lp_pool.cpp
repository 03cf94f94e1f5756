// lp_pool1d/2d/3d: the average pooling of x^p scaled back to a power sum and its p-th root,
// op for op as torch.nn.functional writes them (so its values, and its NaN gradient where a
// window sums to zero with p > 1).
#include "nn/functional/lp_pool.h"

#include <cmath>
#include <string>

#include "core/ops.h"
#include "nn/functional/pool1d.h"
#include "nn/functional/pool3d.h"

namespace ember::nn::functional {
namespace {

void check_norm_type(const char* op, double p) {
  EMBER_CHECK(std::isfinite(p) && p != 0.0, op, ": norm_type must be a finite nonzero number, but got ", p);
}

// The number of taps in a window of `kernel` (one size meaning all `dims` of them).
int64_t window_size(const Dims& kernel, size_t dims) {
  int64_t n = 1;
  for (size_t i = 0; i < dims; ++i) n *= kernel.size() == 1 ? kernel[0] : kernel[i];
  return n;
}

// (sign(out) * relu(|out|) * taps)^(1/p), PyTorch's last line.
Tensor power_root(const Tensor& out, double p, int64_t taps) {
  return (ember::sign(out) * ember::relu(ember::abs(out)) * static_cast<double>(taps)).pow(1.0 / p);
}

}  // namespace

Tensor lp_pool1d(const Tensor& x, double norm_type, int64_t kernel_size, std::optional<int64_t> stride,
                 bool ceil_mode) {
  check_norm_type("lp_pool1d", norm_type);
  const Tensor out = avg_pool1d(x.pow(norm_type), kernel_size, stride.value_or(kernel_size), 0, ceil_mode);
  return power_root(out, norm_type, kernel_size);
}

Tensor lp_pool2d(const Tensor& x, double norm_type, IntOrPair kernel_size, IntOrPair stride, bool ceil_mode) {
  check_norm_type("lp_pool2d", norm_type);
  const Tensor out = avg_pool2d(x.pow(norm_type), kernel_size, stride, 0, ceil_mode);
  return power_root(out, norm_type, window_size(kernel_size, 2));
}

Tensor lp_pool3d(const Tensor& x, double norm_type, IntOrTriple kernel_size, IntOrTriple stride, bool ceil_mode) {
  check_norm_type("lp_pool3d", norm_type);
  const Tensor out = avg_pool3d(x.pow(norm_type), kernel_size, stride, 0, ceil_mode);
  return power_root(out, norm_type, window_size(kernel_size, 3));
}

}  // namespace ember::nn::functional
