// local_response_norm composed as PyTorch composes it: x^2 viewed as one-channel images
// [N, 1, C, rest] padded with zeros along C, average-pooled by a size x 1 window at
// stride 1 (PyTorch pools 4-D and larger inputs with avg_pool3d over [N, 1, C, H, rest];
// its window is 1 wide there too, so flattening the trailing dims gives the same sums).
#include "nn/functional/local_response_norm.h"

#include "core/error.h"
#include "nn/functional/conv.h"
#include "nn/functional/pad.h"

namespace ember::nn::functional {

Tensor local_response_norm(const Tensor& x, int64_t size, double alpha, double beta, double k) {
  EMBER_CHECK(x.dim() >= 3, "Expected 3D or higher dimensionality input (got ", x.dim(), " dimensions)");
  EMBER_CHECK(size > 0, "local_response_norm: size must be positive, but got ", size);
  if (x.numel() == 0) return x;
  const int64_t N = x.size(0), C = x.size(1);
  const Tensor squares = (x * x).reshape({N, 1, C, x.numel() / (N * C)});
  const Tensor padded = pad(squares, {0, 0, size / 2, (size - 1) / 2});
  const Tensor mean = avg_pool2d(padded, {size, 1}, 1).reshape(x.sizes());
  return x / (mean * alpha + k).pow(beta);
}

}  // namespace ember::nn::functional
