// The taps of nearest, linear, cubic and antialiased resizing, built with tensor ops on the
// images' device, and their application along a dim by the device's resample_rows kernel
// (Note [Resampling by taps] in resample_taps.h).
#include "nn/functional/resample_taps.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/factories.h"
#include "autograd/function_node.h"
#include "autograd/record.h"
#include "core/dispatch.h"
#include "core/ops.h"

namespace ember::nn::functional::detail {

namespace {

// PyTorch's cubic_convolution1 (|x| < 1) and cubic_convolution2 (1 <= |x| < 2) with parameter
// a, operation for operation in x's dtype, so float32 taps round as its kernels' do.
Tensor cubic_near(const Tensor& x, double a) { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0; }
Tensor cubic_far(const Tensor& x, double a) { return ((x * a - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a; }

// Keys' cubic convolution kernel with parameter a at x, 0 beyond |x| = 2.
Tensor keys_cubic(const Tensor& x, double a) {
  const Tensor d = abs(x);
  return where(lt(d, 1.0), cubic_near(d, a), where(lt(d, 2.0), cubic_far(d, a), 0.0));
}

}  // namespace

ResampleTaps resample_taps(ResampleKind kind, const Tensor& start, const Tensor& length, const Tensor& scale,
                           double max_scale, int64_t in, int64_t out, DType dtype, bool align_corners) {
  EMBER_CHECK(start.dim() == 1 && length.sizes() == start.sizes() && scale.sizes() == start.sizes(),
              "resample_taps: expected start, length and scale of one shape [n], but got ", start.sizes(), ", ",
              length.sizes(), " and ", scale.sizes());
  EMBER_CHECK(in >= 1 && out >= 1 && std::isfinite(max_scale), "resample_taps: expected sizes >= 1 and a finite ",
              "max_scale, but got in ", in, ", out ", out, ", max_scale ", max_scale);
  const int64_t n = start.size(0);
  const TensorOptions f64 = TensorOptions(kFloat64).device(start.device());
  const Tensor o = arange(out, f64).view({1, out, 1});
  const Tensor len = length.to(kFloat64).view({n, 1, 1}), step = scale.to(kFloat64).view({n, 1, 1});
  Tensor at, weight, valid;  // [n, out, K]: positions in the window, their weights, the taps a row has
  switch (kind) {
    case ResampleKind::Nearest:
    case ResampleKind::NearestExact: {
      // PyTorch's float arithmetic: floorf(o * s), floorf(float((o + 0.5) * double(s))), s = float(length) / out
      const TensorOptions f32 = TensorOptions(kFloat32).device(start.device());
      const Tensor s = length.to(kFloat32).view({n, 1, 1}) / full({1}, static_cast<double>(out), f32);
      const Tensor source = kind == ResampleKind::Nearest ? arange(out, f32).view({1, out, 1}) * s
                                                          : ((o + 0.5) * s.to(kFloat64)).to(kFloat32);
      at = minimum(floor(source).to(kFloat64), len - 1.0);
      weight = ones(at.sizes(), f64);
      break;
    }
    case ResampleKind::Linear: {
      const Tensor src = align_corners ? step * o : clamp(step * (o + 0.5) - 0.5, 0.0, std::nullopt);
      const Tensor j0 = minimum(floor(src), len - 1.0);
      const Tensor lambda = clamp(src - j0, 0.0, 1.0);
      at = cat({j0, j0 + lt(j0, len - 1.0).to(kFloat64)}, -1);
      weight = cat({1.0 - lambda, lambda}, -1);
      break;
    }
    case ResampleKind::Cubic: {
      // PyTorch's HelperInterpCubic in the compute dtype (float for float32): the scale rounded
      // to it, src = scale * (dst + 0.5) - 0.5 (scale * dst with align_corners), t = src -
      // floor(src) and the four coefficients of t + 1, t, 1 - t and 2 - t, each in that dtype
      const TensorOptions wt = TensorOptions(dtype).device(start.device());
      const Tensor s = step.to(dtype), dst = arange(out, wt).view({1, out, 1});
      const Tensor src = align_corners ? s * dst : s * (dst + 0.5) - 0.5;
      const Tensor j0 = floor(src);
      const Tensor t = src - j0, u = 1.0 - t;
      weight = cat({cubic_far(t + 1.0, -0.75), cubic_near(t, -0.75), cubic_near(u, -0.75), cubic_far(u + 1.0, -0.75)},
                   -1);
      const Tensor k = arange(4, f64).view({1, 1, 4});
      at = minimum(clamp(j0.to(kFloat64) - 1.0 + k, 0.0, std::nullopt), len - 1.0);
      break;
    }
    case ResampleKind::AntialiasedLinear:
    case ResampleKind::AntialiasedCubic: {
      // PyTorch's _compute_indices_min_size_weights_aa with scalar_t the compute dtype: scale,
      // support, 1 / scale and the centre rounded to it, each product taken in double as its
      // C++ does (a float times i + 0.5), the filter evaluated in the compute dtype
      const bool cubic = kind == ResampleKind::AntialiasedCubic;
      const double half_width = cubic ? 2.0 : 1.0;
      const Tensor s64 = step.to(dtype).to(kFloat64);
      const Tensor widening = ge(s64, 1.0);
      const Tensor support = where(widening, s64 * half_width, half_width).to(dtype);
      const Tensor invscale = where(widening, reciprocal(s64), 1.0).to(dtype).to(kFloat64);
      const Tensor centre = (s64 * (o + 0.5)).to(dtype);
      const Tensor first = clamp(trunc((centre - support).to(kFloat64) + 0.5), 0.0, std::nullopt);
      const Tensor end = minimum(trunc((centre + support).to(kFloat64) + 0.5), len);
      // a row has fewer than 2 * support + 1 taps
      const auto taps = static_cast<int64_t>(std::ceil(2.0 * std::max(max_scale, 1.0) * half_width)) + 1;
      const Tensor k = arange(std::min(taps, in), f64).view({1, 1, -1});
      valid = lt(k, end - first);
      const Tensor offset = ((first + k).to(dtype) - centre).to(kFloat64);  // j + xmin - centre
      const Tensor distance = ((offset + 0.5) * invscale).to(dtype);
      const Tensor filtered =
          where(valid, cubic ? keys_cubic(distance, -0.5) : clamp(1.0 - abs(distance), 0.0, std::nullopt), 0.0);
      // the row's total added tap by tap, in PyTorch's order (total_w += w), so it rounds as its
      Tensor total = filtered.narrow(-1, 0, 1);
      for (int64_t tap = 1; tap < filtered.size(-1); ++tap) total = total + filtered.narrow(-1, tap, 1);
      weight = where(ne(total, 0.0), filtered / where(ne(total, 0.0), total, 1.0), filtered);
      at = where(valid, first + k, first);
      break;
    }
  }
  const int64_t taps = at.size(2);
  const Tensor k = arange(taps, f64).view({1, 1, taps});
  if (!valid.defined()) valid = ones({n, out, taps}, TensorOptions(kBool).device(start.device()));
  // a window as long as the output at a step of 1: the copy, one tap of weight 1 (Note
  // [Resampling by taps])
  const Tensor copy = eq(len, static_cast<double>(out)) & eq(step, 1.0);
  const Tensor first_tap = eq(k, 0.0);
  at = where(copy, o, at);
  weight = where(copy, first_tap.to(kFloat64), weight);
  valid = where(copy, first_tap, valid);
  return {(start.to(kFloat64).view({n, 1, 1}) + at).to(kInt64), weight.to(dtype), valid};
}

namespace {

Tensor resample_rows_transpose(const Tensor& g, const Tensor& index, const Tensor& weight, const ResampleLayout& l);

// x [blocks, in, inner] (contiguous) resampled by the device's kernel, recorded: the
// gradient is the transpose, whose gradient is this again (both are linear in their input),
// so every order of gradient is differentiable.
Tensor resample_rows(const Tensor& x, const Tensor& index, const Tensor& weight, const ResampleLayout& l) {
  Tensor out = make_empty({l.blocks, l.out, l.inner}, x.dtype(), x.device());
  device_ops(x.device()).resample_rows(x, index, weight, l, out);
  if (autograd::will_record_into(out, x))
    autograd::record("ResampleBackward", {&x}, {&out}, {},
                     [index, weight, l](const autograd::tensor_list& g, const autograd::tensor_list&, const auto&) {
                       return autograd::tensor_list{resample_rows_transpose(g[0].contiguous(), index, weight, l)};
                     })
        ->set_differentiable_backward();
  return out;
}

Tensor resample_rows_transpose(const Tensor& g, const Tensor& index, const Tensor& weight, const ResampleLayout& l) {
  Tensor gx = make_empty({l.blocks, l.in, l.inner}, g.dtype(), g.device());
  device_ops(g.device()).resample_rows_transpose(g, index, weight, l, gx);
  if (autograd::will_record_into(gx, g))
    autograd::record("ResampleBackwardBackward", {&g}, {&gx}, {},
                     [index, weight, l](const autograd::tensor_list& u, const autograd::tensor_list&, const auto&) {
                       return autograd::tensor_list{resample_rows(u[0].contiguous(), index, weight, l)};
                     })
        ->set_differentiable_backward();
  return gx;
}

}  // namespace

Tensor resample_along(const Tensor& x, int64_t dim, const ResampleTaps& taps) {
  const int64_t n = taps.index.size(0), out = taps.index.size(1), k = taps.index.size(2);
  EMBER_CHECK(dim >= 1 && dim < x.dim() && (x.size(0) == n || x.size(0) == 1 || n == 1),
              "resample_along: taps for ", n, " samples along dim ", dim, " do not fit input ", x.sizes());
  EMBER_CHECK(is_floating(x.dtype()), "resample_along: expected a floating-point input, but got ",
              dtype_name(x.dtype()));
  // x as [blocks, in, inner] around `dim`, its batch made as long as the taps' (so the
  // blocks of sample s are the per_sample blocks from s * per_sample); missing taps get
  // index -1 (Note [Resampling by taps]); bfloat16 and float16 are resampled in float32.
  Dims batched = x.sizes();
  if (n > 1) batched[0] = n;
  const DType compute = compute_dtype(x.dtype());
  const Tensor dense = (batched == x.sizes() ? x : x.expand(batched)).to(compute).contiguous();
  ResampleLayout l;
  l.in = x.size(dim), l.out = out, l.taps = k;
  l.blocks = 1;
  for (int64_t d = 0; d < dim; ++d) l.blocks *= batched[static_cast<size_t>(d)];
  for (int64_t d = dim + 1; d < x.dim(); ++d) l.inner *= batched[static_cast<size_t>(d)];
  l.per_sample = std::max<int64_t>(1, n == 1 ? l.blocks : l.blocks / n);
  const Tensor index = where(taps.valid, taps.index, int64_t{-1}).contiguous();
  const Tensor weight = taps.weight.to(compute).contiguous();
  const Tensor rows = resample_rows(dense.reshape({l.blocks, l.in, l.inner}), index, weight, l);
  Dims shape = batched;
  shape[static_cast<size_t>(dim)] = out;
  return rows.reshape(shape).to(x.dtype());
}

}  // namespace ember::nn::functional::detail
