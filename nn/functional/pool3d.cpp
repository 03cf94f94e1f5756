// nn::functional's 3-D pooling: PyTorch's 3-D checks and messages, then the 2-D pooling over
// (H, W) and again over D (Note [Separable 3-D pooling]); indices rebuilt as d * H * W +
// h * W + w from the two passes' own.
#include "nn/functional/pool3d.h"

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/nn_geometry.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "nn/functional/args.h"

namespace ember::nn::functional {

// Note [Separable 3-D pooling]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A 3-D pooling window is a box, and everything about it factors per dim: its bounds,
// ceil_mode's last window, the padding, and the average's divisor (PyTorch's pool_size is
// the product of the clipped extents; count_include_pad and the adaptive rule clip each dim
// alone). So the pooling is the 2-D pooling of x as [N, C * D, H, W] over (H, W), then the
// 2-D pooling of that as [N, C, D, OH * OW] with a (KD, 1) window over D. Averages: a mean
// of means over equal counts is the mean (divisor_override: sums, then one division). Max:
// the first pass keeps each depth's first maximum in (h, w) order (a NaN's last), the second
// the first depth holding the maximum (a NaN's last), which is PyTorch's single scan in
// (d, h, w) order, so the value, the index and the gradient's route are PyTorch's. Each pass
// is the 2-D op with its kernels, gradients and double backward on every device. Where they
// differ: a dilated window with no tap inside the input (only possible with dilation) has the
// index -1 and passes no gradient, where PyTorch reports a position from the window's start;
// and bfloat16 averages run both passes in float32, rounding once.
namespace {

struct Input3d {
  Tensor x;  // [N, C, D, H, W]
  bool unbatched;
};

// PyTorch's rank check (unbatched [C, D, H, W] or batched [N, C, D, H, W], every dim but N
// non-empty) and a float dtype.
Input3d input_3d(const Tensor& x, const char* op) {
  bool ok = x.dim() == 4 || x.dim() == 5;
  for (int64_t d = x.dim() == 5 ? 1 : 0; ok && d < x.dim(); ++d) ok = x.size(d) > 0;
  EMBER_CHECK(ok, op, ": non-empty 4D or 5D (batch mode) tensor expected for input, but got: ", x.sizes());
  EMBER_CHECK(is_floating(x.dtype()), op, ": expected a float32, float64, bfloat16 or float16 input, but got ",
              dtype_name(x.dtype()));
  return {x.dim() == 4 ? x.unsqueeze(0) : x, x.dim() == 4};
}

struct Window3d {
  Dims kernel, stride, padding, dilation;
};

// The window's sizes and PyTorch's checks of them; the output sizes checked as well.
Window3d window_3d(const Tensor& x, const char* op, const Dims& kernel_in, const Dims& stride_in,
                   const Dims& padding_in, const Dims& dilation_in, bool ceil_mode, bool check_kernel_fits = false) {
  Window3d w;
  w.kernel = detail::expand_triple(kernel_in, op, "kernel_size");
  w.stride = stride_in.empty() ? w.kernel : detail::expand_triple(stride_in, op, "stride");
  w.padding = detail::expand_triple(padding_in, op, "padding");
  w.dilation = detail::expand_triple(dilation_in, op, "dilation");
  const Dims &k = w.kernel, &s = w.stride, &d = w.dilation;
  for (size_t i = 0; i < 3; ++i) {
    EMBER_CHECK(s[i] != 0, op, ": stride should not be zero");
    EMBER_CHECK(s[i] > 0, op, ": stride should be greater than zero, but got dT: ", s[0], " dH: ", s[1], " dW: ", s[2]);
  }
  for (size_t i = 0; i < 3; ++i) {
    EMBER_CHECK(k[i] > 0, op, ": kernel size should be greater than zero, but got kT: ", k[0], " kH: ", k[1],
                " kW: ", k[2]);
    EMBER_CHECK(d[i] > 0, op, ": dilation should be greater than zero, but got dilationT: ", d[0], " dilationH: ", d[1],
                " dilationW: ", d[2]);
  }
  Dims in, out;
  for (size_t i = 0; i < 3; ++i) {
    detail::check_pool_padding(op, w.padding[i], k[i], d[i]);
    in.push_back(x.size(static_cast<int64_t>(i) + 2));
    out.push_back(pool_out_size(in[i], w.kernel[i], w.stride[i], w.padding[i], w.dilation[i], ceil_mode));
  }
  // PyTorch's pool3d_shape_check still holds 3-D padding to half the undilated kernel.
  const Dims& p = w.padding;
  EMBER_CHECK(k[0] / 2 >= p[0] && k[2] / 2 >= p[2] && k[1] / 2 >= p[1], op,
              ": pad should be smaller than or equal to half of effective kernel size, but got padT: ", p[0],
              " padW: ", p[2], " padH: ", p[1], " effectiveKT: ", (k[0] - 1) * d[0] + 1,
              " effectiveKW: ", (k[2] - 1) * d[2] + 1, " effectiveKH: ", (k[1] - 1) * d[1] + 1);
  // avg_pool3d's own check in PyTorch 1.13: the unpadded input holds a whole window.
  EMBER_CHECK(!check_kernel_fits || (in[0] >= k[0] && in[1] >= k[1] && in[2] >= k[2]), op, ": input image (T: ",
              in[0], " H: ", in[1], " W: ", in[2], ") smaller than kernel size (kT: ", k[0], " kH: ", k[1],
              " kW: ", k[2], ")");
  EMBER_CHECK(out[0] > 0 && out[1] > 0 && out[2] > 0, op, ": Given input size: (", x.size(1), "x", in[0], "x", in[1],
              "x", in[2], "). Calculated output size: (", x.size(1), "x", out[0], "x", out[1], "x", out[2],
              "). Output size is too small");
  return w;
}

// The two passes' windows as 2-D pooling arguments: (H, W) over the planes, then (KD, 1)
// over [D, OH * OW].
struct Window2d {
  Dims kernel, stride, padding, dilation;
};
Window2d plane_window(const Window3d& w) {
  return {{w.kernel[1], w.kernel[2]}, {w.stride[1], w.stride[2]}, {w.padding[1], w.padding[2]},
          {w.dilation[1], w.dilation[2]}};
}
Window2d depth_window(const Window3d& w) {
  return {{w.kernel[0], 1}, {w.stride[0], 1}, {w.padding[0], 0}, {w.dilation[0], 1}};
}

Dims adaptive_size(const Dims& output_size, const char* op) {
  const Dims size = detail::expand_triple(output_size, op, "output_size");
  EMBER_CHECK(size[0] >= 0 && size[1] >= 0 && size[2] >= 0, op,
              ": elements of output_size must be greater than or equal to 0 but received ", size);
  return size;
}

// x [N, C, D, H, W] as the first pass's [N, C * D, H, W]; the first pass's [N, C * D, OH, OW]
// as the second's [N, C, D, OH * OW]; the second's [N, C, OD, OH * OW] as [N, C, OD, OH, OW].
Tensor planes_of(const Tensor& x) { return x.reshape({x.size(0), x.size(1) * x.size(2), x.size(3), x.size(4)}); }
Tensor columns_of(const Tensor& first, const Tensor& x) {
  return first.reshape({x.size(0), x.size(1), x.size(2), first.size(2) * first.size(3)});
}
Tensor volume_of(const Tensor& second, const Tensor& first) {
  return second.reshape({second.size(0), second.size(1), second.size(2), first.size(2), first.size(3)});
}
Tensor batched_back(const Tensor& t, const Input3d& in) { return in.unbatched ? t.squeeze(0) : t; }

// An adaptive pooling's empty result (an output size of 0), as PyTorch returns it.
Tensor empty_pooled(const Tensor& x, const Dims& size, DType dtype) {
  return ember::empty({x.size(0), x.size(1), size[0], size[1], size[2]}, TensorOptions(dtype).device(x.device()));
}

// The winners' flat d * H * W + h * W + w from the passes' indices: the second's
// d * (OH * OW) + j picks the depth, whose first-pass index h * W + w is gathered at j.
// -1 (a dilated window with no tap inside) stays -1.
Tensor volume_indices(const Tensor& first_idx, const Tensor& second_idx, const Tensor& first, const Tensor& x) {
  NoGradGuard indices_only;
  const int64_t columns = first.size(2) * first.size(3);
  const Tensor depth = floor(div(clamp(second_idx, int64_t{0}, std::nullopt).to(kFloat64), columns)).to(kInt64);
  const Tensor hw = columns_of(first_idx, x).gather(2, depth);
  const Tensor flat = add(mul(depth, x.size(3) * x.size(4)), hw);
  return where(bitwise_or(lt(second_idx, 0), lt(hw, 0)), Scalar(int64_t{-1}), flat);
}

std::tuple<Tensor, Tensor> max_with_indices(const Input3d& in, const Window3d& w, bool ceil_mode) {
  const Tensor& x = in.x;
  const Window2d p = plane_window(w), d = depth_window(w);
  const auto [first, first_idx] =
      max_pool2d_with_indices(planes_of(x), p.kernel, p.stride, p.padding, p.dilation, ceil_mode);
  const auto [second, second_idx] =
      max_pool2d_with_indices(columns_of(first, x), d.kernel, d.stride, d.padding, d.dilation, ceil_mode);
  const Tensor idx = volume_indices(first_idx, second_idx, first, x);
  return {batched_back(volume_of(second, first), in), batched_back(volume_of(idx, first), in)};
}

}  // namespace

Tensor max_pool3d(const Tensor& x, IntOrTriple kernel, IntOrTriple stride, IntOrTriple padding, IntOrTriple dilation,
                  bool ceil_mode) {
  EMBER_PROFILE_OP("max_pool3d");
  const Input3d in = input_3d(x, "max_pool3d");
  const Window3d w = window_3d(in.x, "max_pool3d", kernel, stride, padding, dilation, ceil_mode);
  const Window2d p = plane_window(w), d = depth_window(w);
  const Tensor first = max_pool2d(planes_of(in.x), p.kernel, p.stride, p.padding, p.dilation, ceil_mode);
  const Tensor second = max_pool2d(columns_of(first, in.x), d.kernel, d.stride, d.padding, d.dilation, ceil_mode);
  return batched_back(volume_of(second, first), in);
}

std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& x, IntOrTriple kernel, IntOrTriple stride,
                                                   IntOrTriple padding, IntOrTriple dilation, bool ceil_mode) {
  EMBER_PROFILE_OP("max_pool3d_with_indices");
  const Input3d in = input_3d(x, "max_pool3d_with_indices");
  const Window3d w = window_3d(in.x, "max_pool3d_with_indices", kernel, stride, padding, dilation, ceil_mode);
  return max_with_indices(in, w, ceil_mode);
}

Tensor avg_pool3d(const Tensor& x, IntOrTriple kernel, IntOrTriple stride, IntOrTriple padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  EMBER_PROFILE_OP("avg_pool3d");
  const Input3d in = input_3d(x, "avg_pool3d");
  EMBER_CHECK(!divisor_override || *divisor_override != 0, "avg_pool3d: divisor must be not zero");
  const Window3d w = window_3d(in.x, "avg_pool3d", kernel, stride, padding, Dims{1}, ceil_mode, true);
  // bfloat16, float16: both passes in float32, one rounding at the end (as the 2-D op rounds once).
  if (is_reduced_float(x.dtype()))
    return avg_pool3d(x.to(kFloat32), kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
        .to(x.dtype());
  // divisor_override: the first pass sums (a divisor of 1), the second divides once.
  const std::optional<int64_t> sum_only = divisor_override ? std::optional<int64_t>(1) : std::nullopt;
  const Window2d p = plane_window(w), d = depth_window(w);
  const Tensor first =
      avg_pool2d(planes_of(in.x), p.kernel, p.stride, p.padding, ceil_mode, count_include_pad, sum_only);
  const Tensor second = avg_pool2d(columns_of(first, in.x), d.kernel, d.stride, d.padding, ceil_mode,
                                   count_include_pad, divisor_override);
  return batched_back(volume_of(second, first), in);
}

Tensor adaptive_avg_pool3d(const Tensor& x, IntOrTriple output_size) {
  EMBER_PROFILE_OP("adaptive_avg_pool3d");
  const Input3d in = input_3d(x, "adaptive_avg_pool3d");
  const Dims size = adaptive_size(output_size, "adaptive_avg_pool3d");
  if (is_reduced_float(x.dtype())) return adaptive_avg_pool3d(x.to(kFloat32), output_size).to(x.dtype());
  if (shape_numel(size) == 0) return batched_back(empty_pooled(in.x, size, in.x.dtype()), in);
  const Tensor first = adaptive_avg_pool2d(planes_of(in.x), Dims{size[1], size[2]});
  const Tensor second = adaptive_avg_pool2d(columns_of(first, in.x), Dims{size[0], size[1] * size[2]});
  return batched_back(volume_of(second, first), in);
}

Tensor adaptive_max_pool3d(const Tensor& x, IntOrTriple output_size) {
  EMBER_PROFILE_OP("adaptive_max_pool3d");
  const Input3d in = input_3d(x, "adaptive_max_pool3d");
  const Dims size = adaptive_size(output_size, "adaptive_max_pool3d");
  if (shape_numel(size) == 0) return batched_back(empty_pooled(in.x, size, in.x.dtype()), in);
  const Tensor first = adaptive_max_pool2d(planes_of(in.x), Dims{size[1], size[2]});
  const Tensor second = adaptive_max_pool2d(columns_of(first, in.x), Dims{size[0], size[1] * size[2]});
  return batched_back(volume_of(second, first), in);
}

std::tuple<Tensor, Tensor> adaptive_max_pool3d_with_indices(const Tensor& x, IntOrTriple output_size) {
  EMBER_PROFILE_OP("adaptive_max_pool3d");
  const Input3d in = input_3d(x, "adaptive_max_pool3d");
  const Dims size = adaptive_size(output_size, "adaptive_max_pool3d");
  if (shape_numel(size) == 0)
    return {batched_back(empty_pooled(in.x, size, in.x.dtype()), in),
            batched_back(empty_pooled(in.x, size, kInt64), in)};
  const auto [first, first_idx] = adaptive_max_pool2d_with_indices(planes_of(in.x), Dims{size[1], size[2]});
  const auto [second, second_idx] =
      adaptive_max_pool2d_with_indices(columns_of(first, in.x), Dims{size[0], size[1] * size[2]});
  const Tensor idx = volume_indices(first_idx, second_idx, first, in.x);
  return {batched_back(volume_of(second, first), in), batched_back(volume_of(idx, first), in)};
}

}  // namespace ember::nn::functional
