// torch.hann_window, hamming_window, blackman_window, bartlett_window and kaiser_window
// (libtorch's overloads): 1-D windows of window_length points in a floating dtype (float32
// unless options say), periodic by default (computed for window_length + 1 points, the last
// dropped, as for spectral analysis). Composed of arange and cos / i0 in the window's dtype,
// as PyTorch's; defined in autograd/functions/window_functions.cpp.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ember {

// 0.5 - 0.5 cos(2 pi n / (N - 1)) (hamming_window with alpha = beta = 0.5)
Tensor hann_window(int64_t window_length, TensorOptions options = {});
Tensor hann_window(int64_t window_length, bool periodic, TensorOptions options = {});
// alpha - beta cos(2 pi n / (N - 1))
Tensor hamming_window(int64_t window_length, TensorOptions options = {});
Tensor hamming_window(int64_t window_length, bool periodic, TensorOptions options = {});
Tensor hamming_window(int64_t window_length, bool periodic, double alpha, TensorOptions options = {});
Tensor hamming_window(int64_t window_length, bool periodic, double alpha, double beta, TensorOptions options = {});
// 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))
Tensor blackman_window(int64_t window_length, TensorOptions options = {});
Tensor blackman_window(int64_t window_length, bool periodic, TensorOptions options = {});
// 1 - |2n / (N - 1) - 1|
Tensor bartlett_window(int64_t window_length, TensorOptions options = {});
Tensor bartlett_window(int64_t window_length, bool periodic, TensorOptions options = {});
// I0(beta sqrt(1 - ((n - a) / a)^2)) / I0(beta), a = (N - 1) / 2
Tensor kaiser_window(int64_t window_length, TensorOptions options = {});
Tensor kaiser_window(int64_t window_length, bool periodic, double beta = 12.0, TensorOptions options = {});

}  // namespace ember
