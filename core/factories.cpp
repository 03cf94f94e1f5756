// Tensor factories. Constant fills and random floats run on the target device's
// kernels; tabulated values (tensor(), arange, linspace, eye, randint, randperm) are
// written on the host, converted to the dtype, then moved to the device.
// dtype always comes from the options (default float32; PyTorch would infer int64
// for arange with integral arguments: pass kInt64 for that).
#include "core/factories.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <numeric>
#include <type_traits>
#include <utility>

#include "core/deterministic.h"
#include "core/dispatch.h"
#include "core/fill_value.h"
#include "core/grad_mode.h"
#include "core/logging.h"
#include "core/native.h"
#include "core/random.h"
#include "core/uniform_draws.h"

namespace ember {

namespace {

// Applies options.requires_grad() to a freshly made tensor.
Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad()) {
    EMBER_CHECK(t.is_floating_point(), "Only Tensors of floating point and complex dtype can require gradients (got ",
                dtype_name(t.dtype()), ")");
    t.impl().requires_grad = true;
  }
  return t;
}

// static_cast, except that floats reach integral types through int64 (wrapping
// like PyTorch for uint8 rather than undefined behaviour) and bool means nonzero.
template <typename To, typename From>
To convert_value(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    return static_cast<To>(static_cast<int64_t>(v));
  } else {
    return static_cast<To>(v);
  }
}

// A tensor of `sizes` whose element i (logical order) is value_at(i), converted to
// options.dtype(), made on the host and moved to options.device().
template <typename ValueAt>
Tensor from_host_values(const Dims& sizes, const TensorOptions& options, const ValueAt& value_at) {
  Tensor host = make_empty(sizes, options.dtype(), Device::cpu());
  visit_dtype(options.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* data = static_cast<T*>(host.data_ptr());
    const int64_t n = host.numel();  // read once: the stores may alias it (int64 values)
    for (int64_t i = 0; i < n; ++i) data[i] = convert_value<T>(value_at(i));
  });
  return finish(native::to_device(host, options.device()), options);
}


enum class Distribution { Uniform, Normal };

Tensor random_floats(const Dims& sizes, const TensorOptions& options, Distribution distribution) {
  const char* name = distribution == Distribution::Uniform ? "rand" : "randn";
  EMBER_CHECK(is_floating(options.dtype()), name,
              ": expected a floating-point dtype (float32, float64, bfloat16 or float16), but got ",
              dtype_name(options.dtype()));
  // bfloat16 and float16: drawn in float32, then rounded (uniform: Note [Uniform draws of 16-bit floats]).
  if (distribution == Distribution::Uniform) {
    const Tensor draws = detail::uniform_draws(sizes, options.dtype(), options.device(), 0.0, 1.0);
    return finish(native::to_dtype(draws, options.dtype()), options);
  }
  Tensor t = make_empty(sizes, compute_dtype(options.dtype()), options.device());
  const PhiloxArgs rng = draw_generator().reserve(static_cast<uint64_t>(t.numel()), options.device());
  device_ops(options.device()).normal(t, 0.0, 1.0, rng);
  return finish(native::to_dtype(t, options.dtype()), options);
}

int64_t checked_length(double length) {
  EMBER_CHECK(length >= 0 && length < static_cast<double>(std::numeric_limits<int64_t>::max()),
              "arange: invalid size ", length, ", possible overflow?");
  return static_cast<int64_t>(length);
}

}  // namespace

Tensor detail::uniform_draws(const Dims& sizes, DType dtype, Device device, double from, double to) {
  const bool reduced = is_reduced_float(dtype);
  Tensor t = make_empty(sizes, compute_dtype(dtype), device);
  const PhiloxArgs rng = draw_generator().reserve(static_cast<uint64_t>(t.numel()), device);
  if (!reduced) {
    device_ops(device).uniform(t, from, to, rng);
    return t;
  }
  // Note [Uniform draws of 16-bit floats]
  device_ops(device).uniform(t, 0.0, 1.0, rng);
  const double scale = dtype == kFloat16 ? 2048.0 : 256.0;  // 2^digits
  // In place where the values allow, so a draw holds two float32 arrays at most.
  native::mul_(t, scale);
  Tensor x = native::floor(t);
  t = Tensor();
  native::mul_(x, 1.0 / scale);
  if (to - from != 1.0) native::mul_(x, to - from);
  if (from != 0.0) native::add_(x, from);  // x * 1 + 0 is x (x >= 0): the same values as before
  return x;
}

template <typename T>
Tensor tensor(const std::vector<T>& values, const Dims& sizes, TensorOptions options) {
  const int64_t numel = shape_numel(sizes);
  EMBER_CHECK(static_cast<int64_t>(values.size()) == numel, "tensor(): expected ", numel,
              " values for shape ", sizes, ", but got ", values.size());
  return from_host_values(sizes, options,
                          [&](int64_t i) { return static_cast<T>(values[static_cast<size_t>(i)]); });
}

template Tensor tensor<float>(const std::vector<float>&, const Dims&, TensorOptions);
template Tensor tensor<double>(const std::vector<double>&, const Dims&, TensorOptions);
template Tensor tensor<int64_t>(const std::vector<int64_t>&, const Dims&, TensorOptions);
template Tensor tensor<int>(const std::vector<int>&, const Dims&, TensorOptions);
template Tensor tensor<uint8_t>(const std::vector<uint8_t>&, const Dims&, TensorOptions);
template Tensor tensor<bool>(const std::vector<bool>&, const Dims&, TensorOptions);

// float32 unless options name a dtype (zeros, ones and scalar_tensor never infer one).
static TensorOptions float32_by_default(TensorOptions options) {
  return options.has_dtype() ? options : options.dtype(kFloat32);
}

Tensor from_blob(void* data, const Dims& sizes, const Dims& strides, std::function<void(void*)> deleter,
                 TensorOptions options) {
  EMBER_CHECK(strides.size() == sizes.size(), "from_blob: expected ", sizes.size(), " strides for sizes ", sizes,
              " but got ", strides.size(), " (", strides, ")");
  int64_t numel = 1, last = 0;  // `last`: the offset of the last element, in elements
  for (size_t d = 0; d < sizes.size(); ++d) {
    EMBER_CHECK(sizes[d] >= 0, "Trying to create tensor with negative dimension ", sizes[d], ": ", sizes);
    EMBER_CHECK(strides[d] >= 0, "from_blob: negative strides are not supported (got ", strides, ")");
    numel *= sizes[d];
    if (sizes[d] > 0) last += (sizes[d] - 1) * strides[d];
  }
  EMBER_CHECK(data != nullptr || numel == 0, "from_blob: data is a null pointer but sizes ", sizes, " hold ", numel,
              " elements");
  EMBER_CHECK(!options.requires_grad() || is_floating(options.dtype()),
              "Only Tensors of floating point and complex dtype can require gradients (got ",
              dtype_name(options.dtype()), ")");
  const size_t nbytes = numel == 0 ? 0 : static_cast<size_t>(last + 1) * itemsize(options.dtype());
  auto impl = std::make_shared<TensorImpl>();
  impl->sizes = sizes;
  impl->strides = strides;
  impl->numel = numel;
  impl->dtype = options.dtype();
  impl->is_inference = is_inference_mode_enabled();
  impl->storage = std::make_shared<StorageImpl>(data, nbytes, options.device(), std::move(deleter));
  return finish(Tensor(std::move(impl)), options);
}
Tensor from_blob(void* data, const Dims& sizes, const Dims& strides, TensorOptions options) {
  return from_blob(data, sizes, strides, nullptr, options);
}
Tensor from_blob(void* data, const Dims& sizes, std::function<void(void*)> deleter, TensorOptions options) {
  return from_blob(data, sizes, contiguous_strides(sizes), std::move(deleter), options);
}
Tensor from_blob(void* data, const Dims& sizes, TensorOptions options) {
  return from_blob(data, sizes, contiguous_strides(sizes), nullptr, options);
}

Tensor scalar_tensor(const Scalar& value, TensorOptions options) { return full({}, value, float32_by_default(options)); }

// Under deterministic algorithms, PyTorch's fill_empty_deterministic_: NaN, or the largest value.
Tensor empty(const Dims& sizes, TensorOptions options) {
  Tensor out = make_empty(sizes, options.dtype(), options.device());
  if (are_deterministic_algorithms_enabled() && deterministic_fill_uninitialized_memory() && out.numel() > 0) {
    const DType dt = out.dtype();
    const Scalar fill = is_floating(dt) ? Scalar(std::numeric_limits<double>::quiet_NaN())
                        : dt == kBool   ? Scalar(true)
                        : dt == kUInt8  ? Scalar(int64_t{255})
                                        : Scalar(std::numeric_limits<int64_t>::max());
    native::fill_(out, fill);
  }
  return finish(std::move(out), options);
}

Tensor zeros(const Dims& sizes, TensorOptions options) { return full(sizes, 0, float32_by_default(options)); }

Tensor ones(const Dims& sizes, TensorOptions options) { return full(sizes, 1, float32_by_default(options)); }

Tensor full(const Dims& sizes, const Scalar& value, TensorOptions options) {
  if (!options.has_dtype()) {  // as torch.full: the fill value's kind picks the dtype
    options = options.dtype(value.is_bool() ? kBool : value.is_floating() ? kFloat32 : kInt64);
  }
  check_fill_value(value, options.dtype());
  Tensor t = make_empty(sizes, options.dtype(), options.device());
  device_ops(options.device()).fill(t, value);
  return finish(t, options);
}

Tensor arange(const Scalar& end, TensorOptions options) { return arange(0, end, 1, options); }

// Length ceil((end - start) / step), element i = start + i * step (in int64 when all
// three scalars are integral, else in double), as PyTorch computes them. An integer dtype
// truncates fractional bounds and step first and checks those, as PyTorch's arange_out (its
// accscalar_t is int64): arange(-2.5, 3, 1.5, kInt64) is [-2, -1, 0, 1, 2], a step of 0.5 is
// zero, and arange(0.9, 0.5, 1, kInt64) is empty.
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, TensorOptions options) {
  const bool integral_scalars = !start.is_floating() && !end.is_floating() && !step.is_floating();
  if (!options.has_dtype()) options = options.dtype(integral_scalars ? kInt64 : kFloat32);
  EMBER_CHECK(options.dtype() != kBool, "\"arange_", options.device().is_cuda() ? "cuda" : "cpu",
              "\" not implemented for 'Bool'");
  if (integral_scalars || is_integral(options.dtype())) {
    const auto truncated = [](const Scalar& s) {
      if (!s.is_floating()) return s.to_int();
      const double v = std::trunc(s.to_double());
      check_fill_value(v, kInt64);  // PyTorch's checked conversion: inf, NaN and 1e30 are errors
      return static_cast<int64_t>(v);
    };
    const int64_t from = truncated(start), to = truncated(end), by = truncated(step);
    EMBER_CHECK(by != 0, "step must be nonzero");
    EMBER_CHECK((by > 0 && to >= from) || (by < 0 && to <= from),
                "upper bound and larger bound inconsistent with step sign (start ", from, ", end ", to,
                ", step ", by, ")");
    const int64_t sign = by > 0 ? 1 : -1;
    // PyTorch sizes an int64 range from the truncated values, any other dtype from the doubles.
    const int64_t length =
        integral_scalars || options.dtype() == kInt64
            ? (to - from + by - sign) / by
            : checked_length(std::ceil((end.to_double() - start.to_double()) / step.to_double()));
    return from_host_values({length}, options, [=](int64_t i) { return from + i * by; });
  }
  const double first = start.to_double(), last = end.to_double(), delta = step.to_double();
  EMBER_CHECK(delta != 0, "step must be nonzero");
  EMBER_CHECK(std::isfinite(first) && std::isfinite(last), "unsupported range: ", first, " -> ", last);
  EMBER_CHECK((delta > 0 && last >= first) || (delta < 0 && last <= first),
              "upper bound and larger bound inconsistent with step sign (start ", first, ", end ", last,
              ", step ", delta, ")");
  const int64_t length = checked_length(std::ceil((last - first) / delta));
  return from_host_values({length}, options, [=](int64_t i) { return first + static_cast<double>(i) * delta; });
}

// Symmetric like PyTorch: the first half counts up from start, the second half
// counts down from end, so both ends are exact.
Tensor linspace(double start, double end, int64_t steps, TensorOptions options) {
  EMBER_CHECK(steps >= 0, "linspace: number of steps must be non-negative, but got ", steps);
  const double delta = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  const int64_t halfway = steps / 2;
  return from_host_values({steps}, options, [=](int64_t i) {
    if (i < halfway || steps == 1) return start + delta * static_cast<double>(i);
    return end - delta * static_cast<double>(steps - 1 - i);
  });
}

Tensor eye(int64_t n, TensorOptions options) { return eye(n, n, options); }

Tensor eye(int64_t n, int64_t m, TensorOptions options) {
  EMBER_CHECK(n >= 0, "n must be greater or equal to 0, got ", n);
  EMBER_CHECK(m >= 0, "m must be greater or equal to 0, got ", m);
  if (m == 0) return from_host_values({n, m}, options, [](int64_t) { return 0; });
  return from_host_values({n, m}, options, [m](int64_t i) { return i / m == i % m ? 1 : 0; });
}

namespace {
// PyTorch 2's tensor endpoints: 0-dim tensors read on the host.
std::pair<double, double> endpoints(const Tensor& start, const Tensor& end, const char* op) {
  EMBER_CHECK(start.defined() && end.defined(), op, ": expected defined start and end tensors");
  EMBER_CHECK(start.dim() == 0 && end.dim() == 0, op,
              " only supports 0-dimensional start and end tensors, but got start with ", start.dim(),
              " dimension(s) and end with ", end.dim(), " dimension(s).");
  return {start.item<double>(), end.item<double>()};
}
}  // namespace

Tensor linspace(const Tensor& start, const Tensor& end, int64_t steps, TensorOptions options) {
  const auto [from, to] = endpoints(start, end, "linspace");
  return linspace(from, to, steps, options);
}
Tensor logspace(const Tensor& start, const Tensor& end, int64_t steps, double base, TensorOptions options) {
  const auto [from, to] = endpoints(start, end, "logspace");
  return logspace(from, to, steps, base, options);
}

Tensor logspace(double start, double end, int64_t steps, double base, TensorOptions options) {
  EMBER_CHECK(steps >= 0, "number of steps must be non-negative");
  if (options.has_dtype() && is_integral(options.dtype(), true)) {
    // PyTorch converts start, end and base to the integer dtype before the powers.
    start = std::trunc(start), end = std::trunc(end), base = std::trunc(base);
  }
  // linspace's exponents (each half from its own end, as PyTorch's kernel), then the power
  const double delta = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  const int64_t halfway = steps / 2;
  return from_host_values({steps}, options, [=](int64_t i) {
    if (i < halfway || steps == 1) return std::pow(base, start + delta * static_cast<double>(i));
    return std::pow(base, end - delta * static_cast<double>(steps - 1 - i));
  });
}

Tensor empty_strided(const Dims& sizes, const Dims& strides, TensorOptions options) {
  EMBER_CHECK(sizes.size() == strides.size(), "mismatch in length of strides and shape (", strides.size(), " strides, ",
              sizes.size(), " sizes)");
  int64_t elements = 1;  // the highest element index the view touches, plus one
  for (size_t i = 0; i < sizes.size(); ++i) {
    EMBER_CHECK(sizes[i] >= 0, "Trying to create tensor with negative dimension ", sizes[i], ": ", sizes);
    EMBER_CHECK(strides[i] >= 0, "empty_strided: negative strides are not supported, got strides: ", strides);
    if (sizes[i] == 0) elements = 0;
  }
  for (size_t i = 0; i < sizes.size() && elements > 0; ++i) {
    int64_t span = 0;
    EMBER_CHECK(
        !__builtin_mul_overflow(sizes[i] - 1, strides[i], &span) && !__builtin_add_overflow(elements, span, &elements),
        "Storage size calculation overflowed with sizes=", sizes, " and strides=", strides);
  }
  const Tensor storage = empty({elements}, TensorOptions(options.has_dtype() ? options.dtype() : kFloat32)
                                               .device(options.has_device() ? options.device() : Device::cpu()));
  return finish(native::as_strided(storage, sizes, strides, 0), options);
}

Tensor range(const Scalar& start, const Scalar& end, const Scalar& step, TensorOptions options) {
  static std::once_flag warned;
  std::call_once(warned, [] {
    logging::warn(
        "torch.range is deprecated and will be removed in a future release because its behavior is inconsistent "
        "with Python's range builtin. Instead, use torch.arange, which produces values in [start, end).");
  });
  if (!options.has_dtype()) options = options.dtype(kFloat32);
  const double first = start.to_double(), last = end.to_double(), delta = step.to_double();
  EMBER_CHECK(delta != 0, "step must be nonzero");
  EMBER_CHECK(std::isfinite(first) && std::isfinite(last), "unsupported range: ", first, " -> ", last);
  EMBER_CHECK((delta > 0 && last >= first) || (delta < 0 && last <= first),
              "upper bound and larger bound inconsistent with step sign");
  const int64_t length = checked_length(std::trunc((last - first) / delta) + 1);
  return from_host_values({length}, options, [=](int64_t i) { return first + static_cast<double>(i) * delta; });
}

Tensor rand(const Dims& sizes, TensorOptions options) { return random_floats(sizes, options, Distribution::Uniform); }

Tensor randn(const Dims& sizes, TensorOptions options) { return random_floats(sizes, options, Distribution::Normal); }

Tensor randint(int64_t high, const Dims& sizes, TensorOptions options) { return randint(0, high, sizes, options); }

// Element i is low + (64 bits of Philox counter `counter + i`) mod (high - low).
Tensor randint(int64_t low, int64_t high, const Dims& sizes, TensorOptions options) {
  if (!options.has_dtype()) options = options.dtype(kInt64);  // PyTorch's dtype=long, also when a device is given
  EMBER_CHECK(low < high, "random_ expects 'from' to be less than 'to', but got from=", low, " >= to=", high);
  // random_'s draws (the same Philox mapping) and its check that the dtype holds [low, high) exactly
  // (uint8 from 0 to 300 wrapped; float16 to 2^30 was inf).
  Tensor t = empty(sizes, options.requires_grad(false));
  {
    const NoGradGuard no_grad;
    t.random_(low, high);
  }
  return finish(t, options);
}

Tensor rand(const Dims& sizes, Generator& generator, TensorOptions options) {
  return detail::with_generator(generator, [&] { return rand(sizes, options); });
}
Tensor randn(const Dims& sizes, Generator& generator, TensorOptions options) {
  return detail::with_generator(generator, [&] { return randn(sizes, options); });
}
Tensor randint(int64_t low, int64_t high, const Dims& sizes, Generator& generator, TensorOptions options) {
  return detail::with_generator(generator, [&] { return randint(low, high, sizes, options); });
}
Tensor randint(int64_t high, const Dims& sizes, Generator& generator, TensorOptions options) {
  return detail::with_generator(generator, [&] { return randint(high, sizes, options); });
}
Tensor randperm(int64_t n, Generator& generator, TensorOptions options) {
  return detail::with_generator(generator, [&] { return randperm(n, options); });
}

// Fisher-Yates on the host: step i (from n-1 down to 1) swaps position i with a
// position drawn from Philox counter `counter + i`.
Tensor randperm(int64_t n, TensorOptions options) {
  EMBER_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  if (!options.has_dtype()) options = options.dtype(kInt64);  // PyTorch's dtype=long
  // PyTorch's check_supported_max_int_with_precision: n distinct values the dtype holds exactly
  // (a uint8 randperm(300) repeated values); bfloat16's 257 is ember's (PyTorch does not check it).
  switch (options.dtype()) {
    case kFloat16: EMBER_CHECK(n <= (int64_t{1} << 11) + 1, "n cannot be greater than 2049 for Half type."); break;
    case kBFloat16: EMBER_CHECK(n <= (int64_t{1} << 8) + 1, "n cannot be greater than 257 for BFloat16 type."); break;
    case kFloat32: EMBER_CHECK(n <= (int64_t{1} << 24) + 1, "n cannot be greater than 2^24+1 for Float type."); break;
    case kFloat64: EMBER_CHECK(n <= (int64_t{1} << 53) + 1, "n cannot be greater than 2^53+1 for Double type."); break;
    case kUInt8:
    case kBool:
      EMBER_CHECK(n <= (options.dtype() == kUInt8 ? 256 : 2), "n is too large for result tensor type: '",
                  dtype_torch_name(options.dtype()), "'");
      break;
    default: break;
  }
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), int64_t{0});
  const PhiloxArgs rng = draw_generator().reserve(static_cast<uint64_t>(n));  // drawn on the host
  const uint64_t seed = rng.seed, counter = rng.offset;
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = Philox4x32::bits64(seed, counter + static_cast<uint64_t>(i)) % static_cast<uint64_t>(i + 1);
    std::swap(perm[static_cast<size_t>(i)], perm[j]);
  }
  return from_host_values({n}, options, [&](int64_t i) { return perm[static_cast<size_t>(i)]; });
}

namespace {
// t's options with what `options` sets put over them.
TensorOptions like_options(const Tensor& t, TensorOptions options) {
  return TensorOptions(options.has_dtype() ? options.dtype() : t.dtype())
      .device(options.has_device() ? options.device() : t.device())
      .requires_grad(options.requires_grad());
}

// Note [The layout of *_like tensors]
// As PyTorch's memory_format=torch.preserve_format, the *_like factories' default (and
// clone's): the result of a dense, non-overlapping t (channels-last, transposed) has t's
// strides exactly; another t (a slice, an expanded tensor) gets its suggested memory format
// (channels-last or row-major). `make` builds the values row-major and they are laid out
// in memory order, so random values are as random and constants the same.
// memory_format Contiguous makes the values row-major, ChannelsLast lays them out NHWC.
template <typename Make>
Tensor like(const Tensor& t, TensorOptions options, MemoryFormat memory_format, const Make& make) {
  const TensorOptions o = like_options(t, options);
  if (memory_format == MemoryFormat::Contiguous) return make(o);
  if (memory_format == MemoryFormat::ChannelsLast) {
    EMBER_CHECK(t.dim() == 4, "required rank 4 tensor to use channels_last format");
    return finish(native::as_strided(make(TensorOptions(o.dtype()).device(o.device())), t.sizes(),
                                     channels_last_strides(t.sizes()), 0),
                  o);
  }
  if (t.numel() == 0 || t.is_contiguous()) return make(o);
  Dims strides;
  if (is_non_overlapping_and_dense(t.sizes(), t.strides()))
    strides = t.strides();
  else if (t.suggest_memory_format() == MemoryFormat::ChannelsLast)
    strides = channels_last_strides(t.sizes());
  else
    return make(o);
  return finish(native::as_strided(make(TensorOptions(o.dtype()).device(o.device())), t.sizes(), strides, 0), o);
}
}  // namespace

Tensor empty_like(const Tensor& t) { return empty_like(t, {}); }
Tensor zeros_like(const Tensor& t) { return zeros_like(t, {}); }
Tensor ones_like(const Tensor& t) { return ones_like(t, {}); }
Tensor full_like(const Tensor& t, const Scalar& value) { return full_like(t, value, {}); }
Tensor rand_like(const Tensor& t) { return rand_like(t, {}); }
Tensor randn_like(const Tensor& t) { return randn_like(t, {}); }

// The options-only forms are PyTorch's memory_format=preserve_format.
Tensor empty_like(const Tensor& t, TensorOptions o) { return empty_like(t, o, MemoryFormat::Preserve); }
Tensor zeros_like(const Tensor& t, TensorOptions o) { return zeros_like(t, o, MemoryFormat::Preserve); }
Tensor ones_like(const Tensor& t, TensorOptions o) { return ones_like(t, o, MemoryFormat::Preserve); }
Tensor full_like(const Tensor& t, const Scalar& value, TensorOptions o) {
  return full_like(t, value, o, MemoryFormat::Preserve);
}
Tensor rand_like(const Tensor& t, TensorOptions o) { return rand_like(t, o, MemoryFormat::Preserve); }
Tensor randn_like(const Tensor& t, TensorOptions o) { return randn_like(t, o, MemoryFormat::Preserve); }
Tensor empty_like(const Tensor& t, TensorOptions o, MemoryFormat f) {
  return like(t, o, f, [&](const TensorOptions& opts) { return empty(t.sizes(), opts); });
}
Tensor zeros_like(const Tensor& t, TensorOptions o, MemoryFormat f) {
  return like(t, o, f, [&](const TensorOptions& opts) { return zeros(t.sizes(), opts); });
}
Tensor ones_like(const Tensor& t, TensorOptions o, MemoryFormat f) {
  return like(t, o, f, [&](const TensorOptions& opts) { return ones(t.sizes(), opts); });
}
Tensor full_like(const Tensor& t, const Scalar& value, TensorOptions o, MemoryFormat f) {
  return like(t, o, f, [&](const TensorOptions& opts) { return full(t.sizes(), value, opts); });
}
Tensor rand_like(const Tensor& t, TensorOptions o, MemoryFormat f) {
  return like(t, o, f, [&](const TensorOptions& opts) { return rand(t.sizes(), opts); });
}
Tensor randn_like(const Tensor& t, TensorOptions o, MemoryFormat f) {
  return like(t, o, f, [&](const TensorOptions& opts) { return randn(t.sizes(), opts); });
}
Tensor randint_like(const Tensor& t, int64_t high, TensorOptions o) { return randint_like(t, 0, high, o); }
Tensor randint_like(const Tensor& t, int64_t low, int64_t high, TensorOptions o) {
  return like(t, o, MemoryFormat::Preserve,
              [&](const TensorOptions& opts) { return randint(low, high, t.sizes(), opts); });
}

}  // namespace ember
