// The taps of nearest, linear, cubic and antialiased resizing, built with tensor ops on the
// images' device, and their application along a dim (Note [Resampling by taps] in
// resample_taps.h).
#include "nn/functional/resample_taps.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/factories.h"
#include "core/ops.h"

namespace ember::nn::functional::detail {

namespace {

// Keys' cubic convolution kernel with parameter a at x (PyTorch's cubic_convolution1 for
// |x| < 1, cubic_convolution2 for 1 <= |x| < 2, 0 beyond).
Tensor keys_cubic(const Tensor& x, double a) {
  const Tensor d = abs(x);
  const Tensor near = ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0;
  const Tensor far = (((d - 5.0) * d + 8.0) * d - 4.0) * a;
  return where(lt(d, 1.0), near, where(lt(d, 2.0), far, 0.0));
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
      const Tensor src = align_corners ? step * o : step * (o + 0.5) - 0.5;
      const Tensor j0 = floor(src);
      const Tensor k = arange(4, f64).view({1, 1, 4});
      at = minimum(clamp(j0 - 1.0 + k, 0.0, std::nullopt), len - 1.0);
      weight = keys_cubic(src - j0 + 1.0 - k, -0.75);
      break;
    }
    case ResampleKind::AntialiasedLinear:
    case ResampleKind::AntialiasedCubic: {
      const bool cubic = kind == ResampleKind::AntialiasedCubic;
      const double half_width = cubic ? 2.0 : 1.0;
      const Tensor stretch = clamp(step, 1.0, std::nullopt);
      const Tensor support = stretch * half_width, centre = step * (o + 0.5);
      const Tensor first = clamp(floor(centre - support + 0.5), 0.0, std::nullopt);
      const Tensor end = minimum(floor(centre + support + 0.5), len);
      // a row has fewer than 2 * support + 1 taps
      const auto taps = static_cast<int64_t>(std::ceil(2.0 * std::max(max_scale, 1.0) * half_width)) + 1;
      const Tensor k = arange(std::min(taps, in), f64).view({1, 1, -1});
      valid = lt(k, end - first);
      const Tensor distance = (first + k + 0.5 - centre) / stretch;
      const Tensor filtered =
          where(valid, cubic ? keys_cubic(distance, -0.5) : clamp(1.0 - abs(distance), 0.0, std::nullopt), 0.0);
      const Tensor total = filtered.sum({-1}, /*keepdim=*/true);
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

Tensor resample_along(const Tensor& x, int64_t dim, const ResampleTaps& taps) {
  const int64_t n = taps.index.size(0), out = taps.index.size(1), k = taps.index.size(2);
  EMBER_CHECK(dim >= 1 && dim < x.dim() && (x.size(0) == n || x.size(0) == 1 || n == 1),
              "resample_along: taps for ", n, " samples along dim ", dim, " do not fit input ", x.sizes());
  // Rows [samples * in, rest]: `dim` moved in front of the other dims (behind the batch for
  // per-sample taps), so a tap is a whole contiguous row and the sum over K runs along rows.
  // A zero row is appended, which the missing taps read (they add 0 whatever the inputs);
  // per-sample taps are offset to their own sample's rows.
  const int64_t samples = n == 1 ? 1 : n, in = x.size(dim);
  std::vector<int64_t> order = n == 1 ? std::vector<int64_t>{dim} : std::vector<int64_t>{0, dim};
  for (int64_t d = n == 1 ? 0 : 1; d < x.dim(); ++d)
    if (d != dim) order.push_back(d);
  Dims batched = x.sizes();
  batched[0] = n == 1 ? x.size(0) : n;
  const Tensor moved = x.expand(batched).permute(Dims(order));
  const int64_t rest = in == 0 ? 0 : moved.numel() / (samples * in);
  const TensorOptions options = TensorOptions(x.dtype()).device(x.device());
  const Tensor rows = cat({moved.reshape({samples * in, rest}), zeros({1, rest}, options)}, 0);
  const Tensor offsets = arange(samples, TensorOptions(kInt64).device(x.device())).view({samples, 1, 1}) * in;
  const Tensor index = where(taps.valid, taps.index + offsets, samples * in);
  // Output positions in chunks, so the gathered taps stay within about twice the output (or
  // 4M elements), never K times it.
  const int64_t budget = std::max<int64_t>(2 * out * rest * samples, int64_t{1} << 22);
  const int64_t chunk = rest == 0 ? out : std::clamp<int64_t>(budget / (k * rest * samples), 1, out);
  std::vector<Tensor> parts;
  for (int64_t first = 0; first < out; first += chunk) {
    const int64_t c = std::min(chunk, out - first);
    const Tensor picked = index_select(rows, 0, index.narrow(1, first, c).reshape({samples * c * k}));
    const Tensor weight = taps.weight.narrow(1, first, c).reshape({samples, c, k, 1});
    parts.push_back((picked.view({samples, c, k, rest}) * weight).sum({2}));
  }
  Dims moved_out = moved.sizes();  // [(n,) out, other dims]
  moved_out[n == 1 ? 0 : 1] = out;
  const Tensor joined = (parts.size() == 1 ? parts[0] : cat(parts, 1)).reshape(moved_out);
  std::vector<int64_t> inverse(order.size());
  for (size_t i = 0; i < order.size(); ++i) inverse[static_cast<size_t>(order[i])] = static_cast<int64_t>(i);
  return joined.permute(Dims(inverse));
}

}  // namespace ember::nn::functional::detail
