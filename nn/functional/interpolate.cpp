// nn::functional::interpolate: PyTorch's argument checks and output sizes, then per resized
// dim one index_select (nearest) or the resample kernel with two taps per output (linear
// modes), positions and weights computed on the host by PyTorch's CPU formulas; bicubic and
// the antialiased modes by taps built on the device (Note [Resampling by taps]); area as
// adaptive average pooling. Also PyTorch's deprecated upsample aliases.
#include "nn/functional/interpolate.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <sstream>

#include "core/autocast.h"
#include "core/error.h"
#include "core/factories.h"
#include "core/fill_value.h"
#include "core/logging.h"
#include "core/ops.h"
#include "nn/functional/args.h"
#include "nn/functional/conv.h"
#include "nn/functional/pool1d.h"
#include "nn/functional/pool3d.h"
#include "nn/functional/resample_taps.h"
#include "nn/repr.h"

namespace ember::nn::functional {

namespace {

// PyTorch's compute_scales_value: 1 / scale_factor when the kernel is given one, else in / out.
template <typename T>
T scales_value(std::optional<double> scale, int64_t in, int64_t out) {
  return scale && *scale > 0 ? static_cast<T>(1.0 / *scale) : static_cast<T>(in) / static_cast<T>(out);
}

std::vector<int64_t> nearest_positions(int64_t in, int64_t out, std::optional<double> scale, bool exact) {
  std::vector<int64_t> from(static_cast<size_t>(out));
  const float s = scales_value<float>(scale, in, out);
  for (int64_t o = 0; o < out; ++o) {
    int64_t i;
    if (!exact && out == in) i = o;
    else if (!exact && out == 2 * in) i = o >> 1;
    else if (exact) i = static_cast<int64_t>(std::floor(static_cast<float>((static_cast<double>(o) + 0.5) * s)));
    else i = static_cast<int64_t>(std::floor(static_cast<float>(o) * s));
    from[static_cast<size_t>(o)] = std::min(i, in - 1);
  }
  return from;
}

// Both neighbours of each output position along one dim and their weights.
struct LinearTaps {
  std::vector<int64_t> left, right;
  std::vector<double> left_weight, right_weight;
};

// PyTorch's area_pixel_compute_scale and compute_source_index_and_lambda in T, the
// kernels' arithmetic type (float for float32 and bfloat16, double for float64).
template <typename T>
LinearTaps linear_taps(int64_t in, int64_t out, std::optional<double> scale, bool align_corners) {
  LinearTaps taps;
  const T ratio = align_corners ? (out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0))
                                : scales_value<T>(scale, in, out);
  for (int64_t o = 0; o < out; ++o) {
    const T real = align_corners ? ratio * static_cast<T>(o)
                                 : std::max(static_cast<T>(ratio * (static_cast<double>(o) + 0.5) - 0.5), T(0));
    const int64_t i0 = static_cast<int64_t>(real);
    const T lambda1 = std::min(std::max(real - static_cast<T>(i0), T(0)), T(1));
    taps.left.push_back(i0);
    taps.right.push_back(i0 + (i0 < in - 1 ? 1 : 0));
    taps.left_weight.push_back(static_cast<double>(T(1) - lambda1));
    taps.right_weight.push_back(static_cast<double>(lambda1));
  }
  return taps;
}

// x resized along dim d by the two taps of each output position (Note [Resampling by taps]):
// left * left_weight + right * right_weight, the sum PyTorch's kernel makes.
Tensor linear_along(const Tensor& x, int64_t d, const LinearTaps& taps) {
  const auto out = static_cast<int64_t>(taps.left.size());
  std::vector<int64_t> index;
  std::vector<double> weight;
  for (size_t o = 0; o < taps.left.size(); ++o) {
    index.insert(index.end(), {taps.left[o], taps.right[o]});
    weight.insert(weight.end(), {taps.left_weight[o], taps.right_weight[o]});
  }
  const Dims shape{1, out, 2};
  detail::ResampleTaps resample{tensor(index, shape, TensorOptions(kInt64).device(x.device())),
                                tensor(weight, shape, TensorOptions(kFloat64).device(x.device())),
                                ones(shape, TensorOptions(kBool).device(x.device()))};
  return detail::resample_along(x, d, resample);
}

// "input (H: 3, W: 4)"
std::string spatial_text(const char* kind, const std::vector<int64_t>& sizes) {
  static const char* names[] = {"D", "H", "W"};
  std::ostringstream os;
  os << kind << " (";
  for (size_t i = 0; i < sizes.size(); ++i) os << (i ? ", " : "") << names[3 - sizes.size() + i] << ": " << sizes[i];
  return os.str() + ")";
}

// The output sizes and the kernels' scales from size or scale_factor (torch 1.13's Python
// checks, in its order).
struct Plan {
  std::vector<int64_t> sizes;
  std::vector<std::optional<double>> scales;
};
Plan plan(const Tensor& x, const OutputSize& size, const ScaleFactor& scale_factor,
          std::optional<bool> recompute_scale_factor) {
  const int64_t dims = std::max<int64_t>(x.dim() - 2, 0);
  std::vector<int64_t> spatial;
  for (int64_t d = 2; d < x.dim(); ++d) spatial.push_back(x.size(d));
  EMBER_CHECK(!(size.given() && scale_factor.given()), "only one of size or scale_factor should be defined");
  Plan p;
  p.scales.assign(static_cast<size_t>(dims), std::nullopt);
  if (size.given()) {
    EMBER_CHECK(size.single || static_cast<int64_t>(size.values.size()) == dims,
                "Input and output must have the same number of spatial dimensions, but got input with spatial "
                "dimensions of ", Dims(spatial), " and output size of ", nn::detail::python_tuple(size.values),
                ". Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                "format.");
    p.sizes = size.single ? std::vector<int64_t>(static_cast<size_t>(dims), size.values[0]) : size.values;
    EMBER_CHECK(!recompute_scale_factor.value_or(false),
                "recompute_scale_factor is not meaningful with an explicit size.");
    return p;
  }
  EMBER_CHECK(scale_factor.given(), "either size or scale_factor should be defined");
  EMBER_CHECK(scale_factor.single || static_cast<int64_t>(scale_factor.values.size()) == dims,
              "Input and scale_factor must have the same number of spatial dimensions, but got input with spatial "
              "dimensions of ", Dims(spatial), " and scale_factor of shape ", nn::detail::python_tuple(scale_factor.values),
              ". Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
              "format.");
  for (int64_t i = 0; i < dims; ++i) {
    const double s = scale_factor.single ? scale_factor.values[0] : scale_factor.values[static_cast<size_t>(i)];
    const double size = std::floor(static_cast<double>(spatial[static_cast<size_t>(i)]) * s);
    check_fill_value(size, kInt64);  // PyTorch's compute_output_size: c10::checked_convert<int64_t>
    p.sizes.push_back(static_cast<int64_t>(size));
    if (!recompute_scale_factor.value_or(false)) p.scales[static_cast<size_t>(i)] = s;
  }
  return p;
}

// `resample` run on x, or where `widen` (bf16, float16) on x in float32, rounded once at the end,
// as PyTorch's kernels sum bf16 (taps and sums in float32). The result is a new tensor, never x.
template <typename Resample>
Tensor resampled(const Tensor& x, bool widen, const Resample& resample) {
  const Tensor out = resample(widen ? x.to(kFloat32) : x);
  if (widen) return out.to(x.dtype());
  return out.is_same(x) ? x.clone() : out;
}

// The modes resampled by taps (Note [Resampling by taps]): per spatial dim, last first, with
// PyTorch's scale for it (align_corners: (in - 1) / (out - 1), 0 for one output; else the
// kernel's 1 / scale_factor or in / out). Antialiased modes leave a dim of unchanged size
// as it is, as PyTorch's separable kernel does.
Tensor resample_by_taps(const Tensor& x, const Plan& p, detail::ResampleKind kind, bool align_corners) {
  const bool antialiased =
      kind == detail::ResampleKind::AntialiasedLinear || kind == detail::ResampleKind::AntialiasedCubic;
  const TensorOptions f64 = TensorOptions(kFloat64).device(x.device());
  const bool narrow = is_reduced_float(x.dtype());
  const DType weights = compute_dtype(x.dtype());
  return resampled(x, narrow, [&](Tensor out) {
    for (int64_t i = x.dim() - 3; i >= 0; --i) {
      const int64_t in = x.size(i + 2), size = p.sizes[static_cast<size_t>(i)];
      if (antialiased && size == in) continue;
      const double scale = align_corners
                               ? (size > 1 ? static_cast<double>(in - 1) / static_cast<double>(size - 1) : 0.0)
                               : scales_value<double>(p.scales[static_cast<size_t>(i)], in, size);
      out = detail::resample_along(out, i + 2,
                                   detail::resample_taps(kind, zeros({1}, f64), full({1}, static_cast<double>(in), f64),
                                                         full({1}, scale, f64), scale, in, size, weights,
                                                         align_corners));
    }
    return out;
  });
}

}  // namespace

Tensor interpolate(const Tensor& x_in, const OutputSize& size, const ScaleFactor& scale_factor, const std::string& mode,
                   std::optional<bool> align_corners, std::optional<bool> recompute_scale_factor, bool antialias) {
  const bool bicubic = mode == "bicubic", area = mode == "area";
  // The upsample ops are on PyTorch's autocast float32 list; "area" is adaptive average
  // pooling, on none (Note [Autocast] in core/autocast.h).
  const Tensor x = area ? x_in : autocast::cast(autocast::CastPolicy::Float32, x_in);
  EMBER_CHECK(!antialias || ((mode == "bilinear" || bicubic) && x.dim() == 4),
              "Anti-alias option is only supported for bilinear and bicubic modes (of 4-D inputs; got mode ", mode,
              " with a ", x.dim(), "-D input)");
  const bool nearest = mode == "nearest" || mode == "nearest-exact";
  if (nearest || area)
    EMBER_CHECK(!align_corners, "align_corners option can only be set with the interpolating modes: linear | "
                                "bilinear | bicubic | trilinear");
  const Plan p = plan(x, size, scale_factor, recompute_scale_factor);
  const int64_t dims = x.dim() - 2;
  const char* linear_modes[] = {"linear", "bilinear", "trilinear"};
  for (int64_t k = 1; k <= 3; ++k)
    if (mode == linear_modes[k - 1])
      EMBER_CHECK(dims == k || dims < 1 || dims > 3, "Got ", x.dim(), "D input, but ", mode, " mode needs ", k + 2,
                  "D input");
  const bool linear = mode == linear_modes[std::clamp<int64_t>(dims, 1, 3) - 1];
  EMBER_CHECK(dims >= 1 && dims <= 3 && (nearest || linear || (bicubic && dims == 2) || area),
              "Input Error: Only 3D, 4D and 5D input Tensors supported (got ", x.dim(),
              "D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got ", mode,
              ")");
  std::vector<int64_t> in_sizes;
  for (int64_t d = 2; d < x.dim(); ++d) in_sizes.push_back(x.size(d));
  const bool positive = std::all_of(in_sizes.begin(), in_sizes.end(), [](int64_t s) { return s > 0; }) &&
                        std::all_of(p.sizes.begin(), p.sizes.end(), [](int64_t s) { return s > 0; });
  EMBER_CHECK(positive, "Input and output sizes should be greater than 0, but got ", spatial_text("input", in_sizes),
              " ", spatial_text("output", p.sizes));
  EMBER_CHECK(x.numel() != 0 || x.size(1) != 0, "Non-empty ", x.dim(), "D data tensor expected but got a tensor with sizes ",
              x.sizes());
  if (antialias)
    EMBER_CHECK(is_floating(x.dtype()), "\"compute_indices_weights_aa\" not implemented for '",
                dtype_torch_name(x.dtype()), "'");
  if (bicubic)
    EMBER_CHECK(is_floating(x.dtype()), "\"compute_indices_weights_cubic\" not implemented for '",
                dtype_torch_name(x.dtype()), "'");
  if (linear)
    EMBER_CHECK(is_floating(x.dtype()), "\"upsample_", mode, dims, "d\" not implemented for '",
                dtype_torch_name(x.dtype()), "'");
  if (area)
    return dims == 1   ? adaptive_avg_pool1d(x, p.sizes[0])
           : dims == 2 ? adaptive_avg_pool2d(x, {p.sizes[0], p.sizes[1]})
                       : adaptive_avg_pool3d(x, {p.sizes[0], p.sizes[1], p.sizes[2]});
  // the output in the input's suggested layout, as PyTorch's upsample meta functions allocate it
  // (a channels-last image stays channels-last for the convolution after it)
  const auto in_layout = [layout = x.suggest_memory_format()](const Tensor& out) {
    return layout == MemoryFormat::Contiguous || out.is_contiguous(layout) ? out : out.contiguous(layout);
  };
  if (antialias || bicubic) {
    using Kind = detail::ResampleKind;
    const Kind kind = bicubic ? (antialias ? Kind::AntialiasedCubic : Kind::Cubic) : Kind::AntialiasedLinear;
    return in_layout(resample_by_taps(x, p, kind, align_corners.value_or(false)));
  }
  // Last dim first, the order of PyTorch's sums (its innermost loop runs along W); nearest
  // modes copy bf16 and float16 values as they are.
  return in_layout(resampled(x, linear && is_reduced_float(x.dtype()), [&](Tensor out) {
    for (int64_t i = dims - 1; i >= 0; --i) {
      const int64_t d = i + 2, in = x.size(d), o = p.sizes[static_cast<size_t>(i)];
      const std::optional<double> scale = p.scales[static_cast<size_t>(i)];
      if (linear) {
        if (o == in) continue;  // PyTorch's copy for an unchanged size
        out = linear_along(out, d,
                           x.dtype() == kFloat64 ? linear_taps<double>(in, o, scale, align_corners.value_or(false))
                                                 : linear_taps<float>(in, o, scale, align_corners.value_or(false)));
      } else {
        if (o == in && mode == "nearest") continue;
        out = index_select(out, d, detail::positions_on(nearest_positions(in, o, scale, mode == "nearest-exact"),
                                                        x.device()));
      }
    }
    return out;
  }));
}

namespace {
// PyTorch's UserWarning for the deprecated names, once per name and process.
void warn_deprecated(std::once_flag& once, const char* name) {
  std::call_once(once, [name] {
    logging::warn("nn.functional.{} is deprecated. Use nn.functional.interpolate instead.", name);
  });
}
}  // namespace

Tensor upsample(const Tensor& x, const OutputSize& size, const ScaleFactor& scale_factor, const std::string& mode,
                std::optional<bool> align_corners) {
  static std::once_flag once;
  warn_deprecated(once, "upsample");
  return interpolate(x, size, scale_factor, mode, align_corners);
}

Tensor upsample_nearest(const Tensor& x, const OutputSize& size, const ScaleFactor& scale_factor) {
  static std::once_flag once;
  warn_deprecated(once, "upsample_nearest");
  return interpolate(x, size, scale_factor, "nearest");
}

Tensor upsample_bilinear(const Tensor& x, const OutputSize& size, const ScaleFactor& scale_factor) {
  static std::once_flag once;
  warn_deprecated(once, "upsample_bilinear");
  return interpolate(x, size, scale_factor, "bilinear", true);
}

}  // namespace ember::nn::functional
