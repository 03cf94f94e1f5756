// The resampling matrices of nearest, linear and antialiased linear resizing, built with
// tensor ops on the images' device (Note [Resampling as a matrix] in resample_matrix.h).
#include "nn/functional/resample_matrix.h"

#include "core/error.h"
#include "core/factories.h"
#include "core/ops.h"

namespace ember::nn::functional::detail {

Tensor resample_matrix(ResampleKind kind, const Tensor& start, const Tensor& length, const Tensor& scale, int64_t in,
                       int64_t out, DType dtype) {
  EMBER_CHECK(start.dim() == 1 && length.sizes() == start.sizes() && scale.sizes() == start.sizes(),
              "resample_matrix: expected start, length and scale of one shape [n], but got ", start.sizes(), ", ",
              length.sizes(), " and ", scale.sizes());
  const int64_t n = start.size(0);
  const TensorOptions f64 = TensorOptions(kFloat64).device(start.device());
  const Tensor o = arange(out, f64).view({1, out, 1});
  const Tensor j = arange(in, f64).view({1, 1, in}) - start.to(kFloat64).view({n, 1, 1});  // relative to the window
  const Tensor len = length.to(kFloat64).view({n, 1, 1}), step = scale.to(kFloat64).view({n, 1, 1});
  Tensor weights;
  switch (kind) {
    case ResampleKind::Nearest: {
      // PyTorch's float arithmetic: floor(o * (float(length) / float(out)))
      const TensorOptions f32 = TensorOptions(kFloat32).device(start.device());
      const Tensor step32 = length.to(kFloat32).view({n, 1, 1}) / full({1}, static_cast<double>(out), f32);
      const Tensor source = floor(arange(out, f32).view({1, out, 1}) * step32).to(kFloat64);
      weights = eq(j, minimum(source, len - 1.0)).to(kFloat64);
      break;
    }
    case ResampleKind::Linear: {
      const Tensor src = clamp(step * (o + 0.5) - 0.5, 0.0, std::nullopt);
      const Tensor j0 = floor(src);
      const Tensor lambda = clamp(src - j0, 0.0, 1.0);
      const Tensor j1 = j0 + lt(j0, len - 1.0).to(kFloat64);
      weights = where(eq(j, j0), 1.0 - lambda, 0.0) + where(eq(j, j1), lambda, 0.0);
      break;
    }
    case ResampleKind::AntialiasedLinear: {
      const Tensor support = clamp(step, 1.0, std::nullopt);
      const Tensor inside = ge(j, 0.0) & lt(j, len);
      const Tensor triangle = clamp(1.0 - abs(j + 0.5 - step * (o + 0.5)) / support, 0.0, std::nullopt);
      const Tensor masked = where(inside, triangle, 0.0);
      weights = masked / masked.sum({-1}, /*keepdim=*/true);
      break;
    }
  }
  return weights.to(dtype);
}

Tensor resample_rows_cols(const Tensor& x, const Tensor& rows, const Tensor& cols) {
  return matmul(matmul(rows.unsqueeze(1), x), cols.unsqueeze(1).transpose(-1, -2));
}

}  // namespace ember::nn::functional::detail
