// affine_grid as one matmul of a host-made base grid with theta; grid_sample as one kernel
// of the device each way (DeviceOps::grid_sample_forward/backward, core/grid_sample_math.h),
// whose bilinear and nearest arithmetic is that of the composed ops below (Note [Grid
// sampling by gathers]); those ops give the recorded gradients of a create_graph backward.
// Bicubic has kernels only (Note [Bicubic grid sampling] in core/grid_sample_math.h).
//
// Note [Grid sampling by gathers]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// grid_sample maps each grid point to a source position (PyTorch's grid_sampler_unnormalize
// and compute_coordinates: border clamps, reflection mirrors then clamps, and a non-finite
// or huge position becomes -100, outside every image, as in PyTorch's CUDA kernels, so a
// NaN point samples zeros; PyTorch's vectorized CPU kernel gives NaN there with zeros
// padding, a pixel with the others). All of it is differentiable elementwise ops on
// [N, Ho, Wo] tensors, clamping by `where` so that a point exactly on an edge gets
// no grid gradient, as PyTorch's clip_coordinates_set_grad. The corners (bilinear's four,
// nearest's one) are then picked from the input with each plane framed by a border of
// zeros, flattened to [N, C, (H + 2) * (W + 2)]: a corner outside the image is clamped onto
// that border and gathers a zero, so the output needs no mask, and the gather's gradient
// (scatter_add) sends nothing into the image for it. The corners' positions are computed
// without recording (floor and round have no gradient); bilinear weights are products of
// (ix - x0) and (x1 - ix) terms, so the grid's gradient is PyTorch's: the weights'
// derivatives times the in-image corner values. Cost: one bordered copy of the input, a
// few elementwise ops per corner, and per corner an int64 index and a gathered
// [N, C, Ho, Wo] tensor, which backward keeps (the index only) or makes again. So these ops
// are not what runs. The forward is one kernel of the device (DeviceOps::grid_sample_forward,
// core/grid_sample_math.h), which repeats these ops' arithmetic step for step in the same
// dtype, so both give the same values. The first-order backward is one kernel too
// (DeviceOps::grid_sample_backward: the same corners, weights and sign rules, Note [Grid
// sample's coordinate gradient]; sums in another order, so within rounding of these ops'),
// and the node ("GridSampler2DBackward") saves the grid, and the input only when the grid's
// gradient needs it. Under create_graph the backward runs these ops again on aliases of the
// saved tensors and differentiates them (autograd::grad with create_graph), so every order of
// gradient exists (PyTorch's grid_sampler_2d_backward has no derivative, pytorch#34704).
#include "nn/functional/grid_sample.h"

#include <climits>
#include <vector>

#include "autograd/engine.h"
#include "autograd/function_node.h"
#include "autograd/record.h"
#include "core/autocast.h"
#include "core/dispatch.h"
#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "nn/functional/pad.h"

namespace ember::nn::functional {
namespace {

enum class Padding { Zeros, Border, Reflection };

// PyTorch's linspace_from_neg_one in T (its float32 or float64 arithmetic, so that the base
// grid has its exact values): linspace(-1, 1, steps), times (steps - 1) / steps without
// align_corners; {0} for one step.
template <typename T>
std::vector<double> base_coordinates(int64_t steps, bool align_corners) {
  std::vector<double> values(static_cast<size_t>(steps), 0.0);
  if (steps <= 1) return values;
  const T step = (T(1) - T(-1)) / static_cast<T>(steps - 1);
  const int64_t halfway = steps / 2;
  for (int64_t i = 0; i < steps; ++i) {
    T v = i < halfway ? T(-1) + step * static_cast<T>(i) : T(1) - step * static_cast<T>(steps - i - 1);
    if (!align_corners) v = v * static_cast<T>(steps - 1) / static_cast<T>(steps);
    values[static_cast<size_t>(i)] = static_cast<double>(v);
  }
  return values;
}

std::vector<double> base_coordinates(DType dtype, int64_t steps, bool align_corners) {
  return dtype == kFloat64 ? base_coordinates<double>(steps, align_corners)
                           : base_coordinates<float>(steps, align_corners);
}

// PyTorch's clip_coordinates: into [0, size - 1], with no gradient on or past an edge.
Tensor clip(const Tensor& c, int64_t size) {
  const double last = static_cast<double>(size - 1);
  return where(le(c, 0.0), 0.0, where(ge(c, last), last, c));
}

// PyTorch's reflect_coordinates: c mirrored into [twice_low / 2, twice_high / 2].
Tensor reflect(const Tensor& c, int64_t twice_low, int64_t twice_high) {
  if (twice_low == twice_high) return where(isfinite(c), c * 0.0, 0.0);  // a zero that keeps the graph
  const double low = static_cast<double>(twice_low) / 2, span = static_cast<double>(twice_high - twice_low) / 2;
  const Tensor shifted = c - low;
  const Tensor distance = where(lt(shifted, 0.0), -shifted, shifted);
  Tensor odd_flips;
  {
    NoGradGuard positions;
    odd_flips = ne(fmod(floor(distance / span), 2.0), 0.0);
  }
  const Tensor extra = fmod(distance, span);
  return where(odd_flips, (span - extra) + low, extra + low);
}

// The source position along one axis of `size` pixels for normalized coordinates `coord`.
Tensor source_position(const Tensor& coord, int64_t size, Padding padding, bool align_corners) {
  Tensor c = align_corners ? (coord + 1.0) / 2.0 * static_cast<double>(size - 1)
                           : ((coord + 1.0) * static_cast<double>(size) - 1.0) / 2.0;
  if (padding == Padding::Border) {
    c = clip(c, size);
  } else if (padding == Padding::Reflection) {
    c = align_corners ? reflect(c, 0, 2 * (size - 1)) : reflect(c, -1, 2 * size - 1);
    c = clip(c, size);
  }
  // PyTorch's safe_downgrade_to_int_range: -100 is outside every image. A NaN or an
  // infinity fails one of the two comparisons, so they test finiteness too.
  const Tensor usable = bitwise_and(le(c, static_cast<double>(INT_MAX - 1)), ge(c, static_cast<double>(INT_MIN)));
  return where(usable, c, -100.0);
}

// The column (row) of integral positions in a plane framed by a border one pixel wide,
// whose image spans [1, size]: a position outside the image lands on the border.
Tensor framed(const Tensor& positions, int64_t size) {
  return clamp(positions + 1.0, 0.0, static_cast<double>(size + 1)).to(kInt64);
}

// The framed planes [N, C, (H + 2) * (W + 2)] at flat positions [N, Ho, Wo] (row *
// (W + 2) + column, of framed()), as [N, C, Ho * Wo].
Tensor gather_at(const Tensor& planes, const Tensor& flat) {
  const int64_t N = planes.size(0), C = planes.size(1), points = flat.size(1) * flat.size(2);
  return gather(planes, 2, flat.reshape({N, 1, points}).expand({N, C, points}));
}

Padding parse_padding(const std::string& padding_mode) {
  if (padding_mode == "zeros") return Padding::Zeros;
  if (padding_mode == "border") return Padding::Border;
  EMBER_CHECK(padding_mode == "reflection", "nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
              "'border', or 'reflection', but got: '", padding_mode, "'");
  return Padding::Reflection;
}

void check_grid_sample(const Tensor& input, const Tensor& grid, const std::string& mode) {
  EMBER_CHECK(mode == "bilinear" || mode == "nearest" || mode == "bicubic", "nn.functional.grid_sample(): expected "
              "mode to be 'bilinear', 'nearest' or 'bicubic', but got: '", mode, "'");
  EMBER_CHECK(!(input.dim() == 5 && grid.dim() == 5),
              "grid_sample: 5-D (volumetric) input is not supported yet, only 4-D, but got input with sizes ",
              input.sizes());
  EMBER_CHECK(input.dim() == 4 && grid.dim() == 4, "grid_sampler(): expected 4D input and grid with same number of "
              "dimensions, but got input with sizes ", input.sizes(), " and grid with sizes ", grid.sizes());
  EMBER_CHECK(input.device() == grid.device(), "grid_sampler(): expected input and grid to be on same device, but "
              "input is on ", input.device(), " and grid is on ", grid.device());
  EMBER_CHECK(input.dtype() == kFloat32 || input.dtype() == kFloat64,
              "grid_sampler(): expected a float32 or float64 input, but got ", dtype_name(input.dtype()));
  EMBER_CHECK(input.dtype() == grid.dtype(), "grid_sampler(): expected input and grid to have same dtype, but input "
              "has ", dtype_name(input.dtype()), " and grid has ", dtype_name(grid.dtype()));
  EMBER_CHECK(input.size(0) == grid.size(0), "grid_sampler(): expected grid and input to have same batch size, but "
              "got input with sizes ", input.sizes(), " and grid with sizes ", grid.sizes());
  EMBER_CHECK(grid.size(3) == 2, "grid_sampler(): expected grid to have size 2 in last dimension, but got grid with "
              "sizes ", grid.sizes());
  for (int64_t d = 2; d < 4; ++d)
    EMBER_CHECK(input.size(d) > 0, "grid_sampler(): expected input to have non-empty spatial dimensions, but input "
                "has sizes ", input.sizes(), " with dimension ", d, " being empty");
}

}  // namespace

Tensor affine_grid(const Tensor& theta, const Dims& size, bool align_corners) {
  EMBER_CHECK(is_floating(theta.dtype()), "Expected theta to have floating point type, but got ",
              dtype_name(theta.dtype()));
  EMBER_CHECK(size.size() == 4 || size.size() == 5, "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
              "transforms, respectively. Got size ", size, ".");
  const int64_t k = static_cast<int64_t>(size.size()) - 2;  // spatial dims
  EMBER_CHECK(theta.dim() == 3 && theta.size(1) == k && theta.size(2) == k + 1, "Expected a batch of ", k,
              "D affine matrices of shape Nx", k, "x", k + 1, " for size ", size, ". Got ", theta.sizes(), ".");
  for (int64_t s : size)
    EMBER_CHECK(s > 0, "Expected non-zero, positive output size. Got ", size);
  EMBER_CHECK(theta.size(0) == size[0], "affine_grid: expected theta's batch size ", theta.size(0),
              " to equal size[0] = ", size[0]);
  // The base grid [points, k + 1], row-major over (D,) H, W: (x, y, (z,) 1), x along W.
  std::vector<std::vector<double>> axes;  // x, y, z
  for (int64_t a = 0; a < k; ++a)
    axes.push_back(base_coordinates(theta.dtype(), size[size.size() - 1 - static_cast<size_t>(a)], align_corners));
  int64_t points = 1;
  for (int64_t a = 0; a < k; ++a) points *= size[2 + static_cast<size_t>(a)];
  std::vector<double> base(static_cast<size_t>(points * (k + 1)));
  for (int64_t p = 0; p < points; ++p) {
    int64_t rest = p;
    for (int64_t a = 0; a < k; ++a) {  // x varies fastest
      const int64_t extent = static_cast<int64_t>(axes[static_cast<size_t>(a)].size());
      base[static_cast<size_t>(p * (k + 1) + a)] = axes[static_cast<size_t>(a)][static_cast<size_t>(rest % extent)];
      rest /= extent;
    }
    base[static_cast<size_t>(p * (k + 1) + k)] = 1.0;
  }
  const Tensor base_grid = tensor(base, {points, k + 1}, TensorOptions(theta.dtype()).device(theta.device()));
  Dims out_shape{size[0]};
  for (int64_t a = 0; a < k; ++a) out_shape.push_back(size[2 + static_cast<size_t>(a)]);
  out_shape.push_back(k);
  return matmul(base_grid, theta.transpose(1, 2)).reshape(out_shape);
}

namespace {

// The kernels' layout; `input` may be undefined (a backward that does not read it): its
// strides are then unused.
GridSampleLayout layout_of(const Dims& input_shape, const Tensor& input, const Tensor& grid, GridSampleMode mode,
                           Padding padding, bool align_corners) {
  GridSampleLayout l;
  l.N = input_shape[0], l.C = input_shape[1], l.H = input_shape[2], l.W = input_shape[3];
  l.Ho = grid.size(1), l.Wo = grid.size(2);
  for (int d = 0; d < 4; ++d) {
    l.input_stride[d] = input.defined() ? input.stride(d) : 0;
    l.grid_stride[d] = grid.stride(d);
  }
  l.mode = mode;
  l.padding = padding == Padding::Zeros    ? GridSamplePadding::Zeros
              : padding == Padding::Border ? GridSamplePadding::Border
                                           : GridSamplePadding::Reflection;
  l.align_corners = align_corners;
  return l;
}

// The composed ops of Note [Grid sampling by gathers], recorded: a create_graph backward's
// gradients come from them.
Tensor grid_sample_composed(const Tensor& input, const Tensor& grid, bool nearest, Padding padding,
                            bool align_corners) {
  const int64_t N = input.size(0), C = input.size(1), H = input.size(2), W = input.size(3);
  const int64_t Ho = grid.size(1), Wo = grid.size(2);
  const Tensor ix = source_position(grid.select(3, 0), W, padding, align_corners);
  const Tensor iy = source_position(grid.select(3, 1), H, padding, align_corners);
  // framed planes (Note [Grid sampling by gathers])
  const Tensor planes = pad(input, {1, 1, 1, 1}).reshape({N, C, (H + 2) * (W + 2)});
  const Dims weight_shape{N, 1, Ho * Wo};
  Tensor out;
  if (nearest) {
    Tensor flat;
    {
      NoGradGuard positions;
      flat = framed(round(iy), H) * (W + 2) + framed(round(ix), W);
    }
    out = gather_at(planes, flat);
    // PyTorch gives the grid a zero gradient here, not none: a zero weight term keeps it in the graph.
    if (grid.requires_grad()) out = out + (ix * 0.0 + iy * 0.0).reshape(weight_shape);
  } else {
    Tensor x0, y0, x1, y1, flat00, flat10, flat01, flat11;  // flatXY: corner (xX, yY)
    {
      NoGradGuard positions;
      x0 = floor(ix), y0 = floor(iy);
      x1 = x0 + 1.0, y1 = y0 + 1.0;
      const Tensor row0 = framed(y0, H) * (W + 2), row1 = framed(y1, H) * (W + 2);
      const Tensor column0 = framed(x0, W), column1 = framed(x1, W);
      flat00 = row0 + column0, flat10 = row0 + column1, flat01 = row1 + column0, flat11 = row1 + column1;
    }
    const Tensor wx1 = ix - x0, wx0 = x1 - ix, wy1 = iy - y0, wy0 = y1 - iy;
    auto term = [&](const Tensor& flat, const Tensor& weight) {
      return gather_at(planes, flat) * weight.reshape(weight_shape);
    };
    out = term(flat00, wx0 * wy0) + term(flat10, wx1 * wy0) + term(flat01, wx0 * wy1) + term(flat11, wx1 * wy1);
  }
  return out.reshape({N, C, Ho, Wo});
}

// A create_graph backward: the composed ops run again on the saved tensors (with their
// history) and are differentiated with create_graph, keeping their graph, which the next
// order of gradient runs through. An input not saved (only its gradient is wanted, which
// does not depend on its values) stands in as zeros.
autograd::tensor_list recorded_grads(const Tensor& g, Tensor input, Tensor grid, const autograd::InputMeta& input_meta,
                                     bool nearest, Padding padding, bool align_corners, bool want_input,
                                     bool want_grid) {
  if (!input.defined()) input = zeros(input_meta.shape, TensorOptions(input_meta.dtype).device(input_meta.device));
  if (want_input && !input.requires_grad()) input.requires_grad_(true);  // a leaf: the stand-in
  // Fresh aliases are what is differentiated: where the grid depends on the input (a spatial
  // transformer's), a gradient taken at the input itself would also run the grid's history,
  // which the outer backward runs again.
  const Tensor input_alias = input.narrow(0, 0, input.size(0)), grid_alias = grid.narrow(0, 0, grid.size(0));
  autograd::tensor_list wanted;
  if (want_input) wanted.push_back(input_alias);
  if (want_grid) wanted.push_back(grid_alias);
  const Tensor out = grid_sample_composed(input_alias, grid_alias, nearest, padding, align_corners);
  const autograd::tensor_list grads =
      autograd::grad({out}, wanted, {g}, /*retain_graph=*/true, /*create_graph=*/true, /*allow_unused=*/true);
  return {want_input ? grads[0] : Tensor(), want_grid ? grads.back() : Tensor()};
}

}  // namespace

Tensor grid_sample(const Tensor& input_arg, const Tensor& grid_arg, const std::string& mode,
                   const std::string& padding_mode, bool align_corners) {
  // grid_sampler is on PyTorch's CPU autocast float32 list and its CUDA promote list (Note
  // [Autocast] in core/autocast.h)
  const std::vector<Tensor> cast =
      input_arg.is_cuda() ? autocast::promote_inputs({input_arg, grid_arg})
                          : std::vector<Tensor>{autocast::cast(autocast::CastPolicy::Float32, input_arg),
                                                autocast::cast(autocast::CastPolicy::Float32, grid_arg)};
  const Tensor &input = cast[0], &grid = cast[1];
  const Padding padding = parse_padding(padding_mode);
  check_grid_sample(input, grid, mode);
  const GridSampleMode kind = mode == "nearest"   ? GridSampleMode::Nearest
                              : mode == "bicubic" ? GridSampleMode::Bicubic
                                                  : GridSampleMode::Bilinear;
  const bool nearest = kind == GridSampleMode::Nearest, bicubic = kind == GridSampleMode::Bicubic;
  const GridSampleLayout l = layout_of(input.sizes(), input, grid, kind, padding, align_corners);
  Tensor out = make_empty({l.N, l.C, l.Ho, l.Wo}, input.dtype(), input.device());
  device_ops(input.device()).grid_sample_forward(input, grid, l, out);
  if (!autograd::will_record_into(out, input, grid)) return out;
  // The grid's bilinear and bicubic gradients read the input's values; nothing else does.
  const bool keep_input = grid.requires_grad() && !nearest;
  auto node = autograd::record(
      "GridSampler2DBackward", {&input, &grid}, {&out}, {keep_input ? input : Tensor(), grid},
      [kind, padding, align_corners](const autograd::tensor_list& g, const autograd::tensor_list& s, const auto& in) {
        const bool want_input = autograd::needs_grad(in, 0), want_grid = autograd::needs_grad(in, 1);
        if (is_grad_enabled() && kind != GridSampleMode::Bicubic)  // create_graph
          return recorded_grads(g[0], s[0], s[1], in[0], kind == GridSampleMode::Nearest, padding, align_corners,
                                want_input, want_grid);
        const Dims& shape = in[0].shape;
        const GridSampleLayout layout = layout_of(shape, s[0], s[1], kind, padding, align_corners);
        autograd::tensor_list grads{want_input ? make_empty(shape, s[1].dtype(), s[1].device()) : Tensor(),
                                    want_grid ? make_empty(s[1].sizes(), s[1].dtype(), s[1].device()) : Tensor()};
        device_ops(s[1].device()).grid_sample_backward(g[0].contiguous(), s[0], s[1], layout, grads[0], grads[1]);
        return grads;
      });
  // PyTorch's grid_sampler_2d_backward reads the input and the grid. Bicubic has no composed
  // form: its create_graph gradients are not differentiable, as none of PyTorch's are.
  if (!bicubic) node->set_backward_reads_inputs();
  return out;
}

}  // namespace ember::nn::functional
