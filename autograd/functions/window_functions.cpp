// The window factories of core/window_functions.h, with PyTorch's window_function_checks and
// its kernels' formulas, composed of arange and elementwise ops in the window's dtype.
#include "core/window_functions.h"

#include <numbers>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/logging.h"
#include "core/ops.h"
#include "core/special_ops.h"

namespace ember {
namespace {

TensorOptions window_options(const char* name, int64_t window_length, TensorOptions options) {
  if (!options.has_dtype()) options = options.dtype(kFloat32);
  EMBER_CHECK(is_floating(options.dtype()), name,
              " expects floating point dtypes, got: ", dtype_torch_name(options.dtype()));
  EMBER_CHECK(window_length >= 0, name, " requires non-negative window_length, got window_length=", window_length);
  return options;
}

// PyTorch's frame around each formula: no points, one point (1), else the formula over N
// points (N + 1 when periodic, the last dropped); made without history, then requires_grad
// as options say.
template <typename Formula>
Tensor window(const char* name, int64_t window_length, bool periodic, TensorOptions options, const Formula& formula) {
  options = window_options(name, window_length, options);
  const TensorOptions plain = TensorOptions(options.dtype()).device(options.device());
  Tensor out;
  if (window_length == 0) {
    out = empty({0}, plain);
  } else if (window_length == 1) {
    out = ones({1}, plain);
  } else {
    NoGradGuard no_grad;
    const int64_t n = periodic ? window_length + 1 : window_length;
    out = formula(arange(Scalar(n), plain), n);
    if (periodic) out = out.narrow(0, 0, n - 1);
  }
  return options.requires_grad() ? out.requires_grad_(true) : out;
}

}  // namespace

Tensor hamming_window(int64_t window_length, bool periodic, double alpha, double beta, TensorOptions options) {
  return window("hamming_window", window_length, periodic, options, [&](const Tensor& k, int64_t n) {
    return (k * (2.0 * std::numbers::pi / static_cast<double>(n - 1))).cos() * -beta + alpha;
  });
}
Tensor hamming_window(int64_t window_length, TensorOptions options) {
  return hamming_window(window_length, true, 0.54, 0.46, options);
}
Tensor hamming_window(int64_t window_length, bool periodic, TensorOptions options) {
  return hamming_window(window_length, periodic, 0.54, 0.46, options);
}
Tensor hamming_window(int64_t window_length, bool periodic, double alpha, TensorOptions options) {
  return hamming_window(window_length, periodic, alpha, 0.46, options);
}

Tensor hann_window(int64_t window_length, bool periodic, TensorOptions options) {
  window_options("hann_window", window_length, options);  // its own name in the messages
  return hamming_window(window_length, periodic, 0.5, 0.5, options);
}
Tensor hann_window(int64_t window_length, TensorOptions options) { return hann_window(window_length, true, options); }

Tensor blackman_window(int64_t window_length, bool periodic, TensorOptions options) {
  return window("blackman_window", window_length, periodic, options, [&](const Tensor& k, int64_t n) {
    const Tensor angle = k * (std::numbers::pi / static_cast<double>(n - 1));
    return (angle * 4).cos() * 0.08 - (angle * 2).cos() * 0.5 + 0.42;
  });
}
Tensor blackman_window(int64_t window_length, TensorOptions options) {
  return blackman_window(window_length, true, options);
}

Tensor bartlett_window(int64_t window_length, bool periodic, TensorOptions options) {
  return window("bartlett_window", window_length, periodic, options, [&](const Tensor& k, int64_t n) {
    Tensor w = k * (2.0 / static_cast<double>(n - 1));
    const int64_t first_half = ((n - 1) >> 1) + 1;
    Tensor second = w.narrow(0, first_half, n - first_half);
    second.mul_(-1).add_(2);
    return w;
  });
}
Tensor bartlett_window(int64_t window_length, TensorOptions options) {
  return bartlett_window(window_length, true, options);
}

Tensor kaiser_window(int64_t window_length, bool periodic, double beta, TensorOptions options) {
  // PyTorch's kernel computes in float for the 16-bit dtypes and rounds once.
  return window("kaiser_window", window_length, periodic, options, [&](const Tensor& points, int64_t n) {
    const Tensor k = is_reduced_float(points.dtype()) ? points.to(kFloat32) : points;
    const double half = static_cast<double>(n - 1) / 2.0;
    const Tensor ratio = (k - half) / half;
    const Tensor arg = (1 - ratio * ratio).abs().sqrt() * beta;
    const Tensor norm = i0(full({}, Scalar(beta), TensorOptions(k.dtype()).device(k.device())));
    return (i0(arg) / norm).to(points.dtype());
  });
}
Tensor kaiser_window(int64_t window_length, TensorOptions options) {
  return kaiser_window(window_length, true, 12.0, options);
}

}  // namespace ember
