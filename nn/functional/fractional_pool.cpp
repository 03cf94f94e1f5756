// fractional_max_pool2d/3d: PyTorch's interval rule (window starts computed from the samples
// with tensor ops on x's device; nothing is read back to the host), the windows walked one
// kernel offset at a time with PyTorch's tie and NaN rules, and a recorded gather of the
// winners.
#include "nn/functional/fractional_pool.h"

#include <cmath>
#include <limits>
#include <string>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "nn/functional/args.h"

namespace ember::nn::functional {

namespace detail {
void check_fractional_output(const FractionalMaxPoolOptions& options, int64_t rank, const char* who, bool layer) {
  const bool has_size = !options.output_size.dims.empty();
  const bool has_ratio = !options.output_ratio.values.empty();
  if (layer) {
    EMBER_CHECK(has_size || has_ratio, who, " requires specifying either an output size, or a pooling ratio");
  } else {
    EMBER_CHECK(has_size || has_ratio, who, " requires specifying either an output_size or an output_ratio");
  }
  EMBER_CHECK(!(has_size && has_ratio), "only one of output_size and output_ratio may be specified");
  const auto& ratios = options.output_ratio.values;
  if (has_ratio) {
    EMBER_CHECK(ratios.size() == 1 || static_cast<int64_t>(ratios.size()) == rank, who,
                ": expected output_ratio to be a single number or ", rank, " numbers, but got ", ratios.size());
    for (const double r : ratios) {
      EMBER_CHECK(r > 0.0 && r < 1.0, "output_ratio must be between 0 and 1 (got ", r, ")");
    }
  }
}
}  // namespace detail

namespace {

// What differs between the 2-D and the 3-D op, PyTorch's kernels' checks included.
struct FractionalRank {
  int64_t rank;
  const char* op;          // "fractional_max_pool2d", for argument errors
  const char* prefix;      // the kernel's message prefix: "fractional_max_pool2d()"
  const char* names[3];    // the spatial dims, in PyTorch's messages
  int64_t check_order[3];  // the order the kernel checks the window sizes in
  // The 2-D kernel takes out + k - 1 == in (the last window ends at the edge); the 3-D one
  // asks for out + k - 1 < in.
  bool strict_fit;
  // The samples' column that places dim d's windows (PyTorch's kernels: 2-D reads width
  // from column 0, 3-D reads depth from column 0).
  int64_t sample_column(int64_t d) const { return rank == 2 ? 1 - d : d; }
};
constexpr FractionalRank kFractional2d{
    2, "fractional_max_pool2d", "fractional_max_pool2d()", {"height", "width", ""}, {0, 1, 0}, false};
constexpr FractionalRank kFractional3d{
    3, "fractional_max_pool3d", "fractional_max_pool3d_out()", {"time", "height", "width"}, {0, 2, 1}, true};

// The window starts along one dim for every plane: [N, C, out] int64, from the planes'
// samples u [N, C] (PyTorch's generate_intervals, in u's floating type).
Tensor window_starts(const Tensor& u, int64_t in, int64_t out, int64_t kernel) {
  const TensorOptions index_options = TensorOptions().dtype(kInt64).device(u.device());
  const Tensor last = full({u.size(0), u.size(1), std::min<int64_t>(out, 1)}, in - kernel, index_options);
  if (out <= 1) return last;
  // alpha rounded to u's type, as the kernels compute it (float division for float32).
  const double alpha = u.dtype() == kFloat64
                           ? static_cast<double>(in - kernel) / static_cast<double>(out - 1)
                           : static_cast<double>(static_cast<float>(in - kernel) / static_cast<float>(out - 1));
  const Tensor alpha_t = full({}, alpha, TensorOptions().dtype(u.dtype()).device(u.device()));
  const Tensor steps = arange(out - 1, TensorOptions().dtype(u.dtype()).device(u.device()));
  const Tensor lead = floor((steps + u.unsqueeze(2)) * alpha_t) - floor(u * alpha_t).unsqueeze(2);
  return cat({lead.to(kInt64), last}, 2);
}

std::tuple<Tensor, Tensor> fractional_max_pool(const Tensor& x, const Dims& kernel_arg,
                                               const FractionalMaxPoolOptions& options, const FractionalRank& r) {
  const int64_t rank = r.rank;
  const char* op = r.prefix;
  EMBER_CHECK(x.dim() == rank + 1 || x.dim() == rank + 2, op, ": Expected ", rank + 1, "D or ", rank + 2,
              "D tensor, but got: ", x.sizes());
  for (int64_t d = 1; d < x.dim(); ++d) {
    EMBER_CHECK(x.size(d) > 0, op, ": Expected input to have non-zero size for non-batch dimensions, but got ",
                x.sizes(), " with dimension ", d, " being empty.");
  }
  EMBER_CHECK(is_floating(x.dtype()), op, ": expected a floating-point input, but got ", dtype_torch_name(x.dtype()));
  const Dims kernel = rank == 2 ? detail::expand_pair(kernel_arg, r.op, "kernel_size")
                                : detail::expand_triple(kernel_arg, r.op, "kernel_size");
  for (const int64_t k : kernel) EMBER_CHECK(k > 0, op, ": kernel_size must be greater than zero, but got ", kernel);
  detail::check_fractional_output(options, rank, r.op, false);

  const bool batched = x.dim() == rank + 2;
  const Tensor xb = batched ? x : x.unsqueeze(0);
  const int64_t n = xb.size(0), c = xb.size(1);
  Dims in, out;
  in.resize(static_cast<size_t>(rank));
  out.resize(static_cast<size_t>(rank));
  for (int64_t d = 0; d < rank; ++d) in[d] = xb.size(2 + d);
  if (!options.output_size.dims.empty()) {
    out = rank == 2 ? detail::expand_pair(options.output_size, r.op, "output_size")
                    : detail::expand_triple(options.output_size, r.op, "output_size");
  } else {
    const auto& ratios = options.output_ratio.values;
    for (int64_t d = 0; d < rank; ++d) {
      out[d] = static_cast<int64_t>(static_cast<double>(in[d]) * ratios[ratios.size() == 1 ? 0 : d]);
    }
  }
  for (int64_t d = 0; d < rank; ++d) {
    EMBER_CHECK(out[d] >= 0, op, ": output_size must not be negative, but got ", out);
  }
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t d = r.check_order[i];
    const int64_t last_end = out[d] + kernel[d] - 1;
    EMBER_CHECK(r.strict_fit ? last_end < in[d] : last_end <= in[d], op, ": pool ", r.names[d], " ", kernel[d],
                " too large relative to input ", r.names[d], " ", in[d]);
  }

  // The samples, in the type the interval rule runs in (float32 for 16-bit inputs).
  const DType sample_type = compute_dtype(x.dtype());
  Tensor samples = options.random_samples;
  if (samples.defined()) {
    // PyTorch's fractional_max_pool_check_shape, its order and words: samples for at least
    // the batch (the first n rows are used, so samples made for a larger batch serve a
    // smaller last one).
    EMBER_CHECK(samples.dtype() == x.dtype(), "Expect _random_samples to have the same dtype as input");
    EMBER_CHECK(samples.dim() == 3, "Expect _random_samples to have 3 dimensions, got ", samples.dim());
    EMBER_CHECK(samples.size(0) >= n, "Expect _random_samples.size(0) no less then input batch size.");
    EMBER_CHECK(samples.size(1) == c, "Expect _random_samples.size(1) equals to input channel size.");
    EMBER_CHECK(samples.size(2) == rank, "Expect _random_samples.size(2) equals to ", rank, "; got ", samples.size(2),
                ".");
    native::check_same_device(x, {&samples}, r.op);
    samples = samples.detach().narrow(0, 0, n).to(sample_type);
  } else {
    samples = rand({n, c, rank}, TensorOptions().dtype(sample_type).device(x.device()));
  }

  // Each window's first element, flat in its plane: [N, C, windows]. The element at kernel
  // offset (k_0, ..) is that plus sum k_d * stride_d.
  Dims strides;
  strides.resize(static_cast<size_t>(rank), 1);
  for (int64_t d = rank - 2; d >= 0; --d) strides[d] = strides[d + 1] * in[d + 1];
  Tensor first;
  int64_t windows = 1;
  for (int64_t d = 0; d < rank; ++d) {
    const Tensor starts = window_starts(samples.select(2, r.sample_column(d)), in[d], out[d], kernel[d]);
    Dims shape;
    shape.resize(static_cast<size_t>(2 + rank), 1);
    shape[0] = n;
    shape[1] = c;
    shape[2 + d] = out[d];
    const Tensor along = starts.reshape(shape) * strides[d];
    first = first.defined() ? first + along : along;
    windows *= out[d];
  }
  const Tensor plane_flat = xb.reshape({n, c, strides[0] * in[0]});
  first = first.reshape({n, c, windows});
  // PyTorch's kernels walk each window in row-major order and take an element when it is
  // larger than the best so far or NaN (so the first largest wins, else the last NaN), from
  // -inf at the window's first element. Here the same walk, one kernel offset at a time over
  // every window: a few small passes per offset, no [N, C, windows, kernel] tensor.
  Tensor indices = first;
  {
    NoGradGuard no_grad;
    const Tensor plane_values = plane_flat.detach();
    Tensor best = full({n, c, windows}, -std::numeric_limits<double>::infinity(),
                       TensorOptions().dtype(x.dtype()).device(x.device()));
    Dims offset;
    offset.resize(static_cast<size_t>(rank), 0);
    for (bool more = true; more;) {
      int64_t shift = 0;
      for (int64_t d = 0; d < rank; ++d) shift += offset[d] * strides[d];
      const Tensor at = first + shift;
      const Tensor value = gather(plane_values, 2, at);
      const Tensor taken = (value > best) | isnan(value);
      best = where(taken, value, best);
      indices = where(taken, at, indices);
      more = false;  // the next offset, last dim fastest
      for (int64_t d = rank - 1; d >= 0 && !more; --d) {
        more = ++offset[d] < kernel[d];
        if (!more) offset[d] = 0;
      }
    }
  }
  Tensor output = gather(plane_flat, 2, indices);
  Dims out_shape{n, c};
  for (const int64_t o : out) out_shape.push_back(o);
  output = output.reshape(out_shape);
  indices = indices.reshape(out_shape);
  if (!batched) return {output.squeeze(0), indices.squeeze(0)};
  return {output, indices};
}

}  // namespace

std::tuple<Tensor, Tensor> fractional_max_pool2d_with_indices(const Tensor& x, IntOrPair kernel_size,
                                                              const FractionalMaxPoolOptions& options) {
  EMBER_PROFILE_OP("fractional_max_pool2d");
  return fractional_max_pool(x, kernel_size, options, kFractional2d);
}

Tensor fractional_max_pool2d(const Tensor& x, IntOrPair kernel_size, const FractionalMaxPoolOptions& options) {
  return std::get<0>(fractional_max_pool2d_with_indices(x, kernel_size, options));
}

std::tuple<Tensor, Tensor> fractional_max_pool3d_with_indices(const Tensor& x, IntOrTriple kernel_size,
                                                              const FractionalMaxPoolOptions& options) {
  EMBER_PROFILE_OP("fractional_max_pool3d");
  return fractional_max_pool(x, kernel_size, options, kFractional3d);
}

Tensor fractional_max_pool3d(const Tensor& x, IntOrTriple kernel_size, const FractionalMaxPoolOptions& options) {
  return std::get<0>(fractional_max_pool3d_with_indices(x, kernel_size, options));
}

}  // namespace ember::nn::functional
