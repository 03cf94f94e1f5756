// Random draws shaped by tensors: the in-place fills (uniform_, normal_, bernoulli_,
// exponential_, geometric_, log_normal_, cauchy_, random_), recorded like fill_ (their
// gradient is zero), and bernoulli, multinomial, normal. All draw from the default
// generator's Philox stream (core/random.h), or the one given (generator=), so a seed
// repeats them on either device.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <mutex>
#include <numbers>
#include <tuple>
#include <utility>
#include <vector>

#include "autograd/function_node.h"
#include "autograd/functions/dtype_limits.h"
#include "autograd/functions/inplace_record.h"
#include "autograd/record.h"
#include "core/dispatch.h"
#include "core/factories.h"
#include "core/logging.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/uniform_draws.h"

namespace ember {

using autograd::tensor_list;

namespace {

void check_floating_fill(const Tensor& self, const char* op) {
  EMBER_CHECK(self.defined(), op, ": expected a defined tensor");
  EMBER_CHECK(is_floating(self.dtype()), op,
              " expects a floating-point tensor (float32, float64, bfloat16 or float16), but got ",
              dtype_name(self.dtype()));
}

// Uniform [0, 1) draws of self's shape in float64 (53 random bits each) on self's device.
Tensor unit_draws(const Tensor& self) { return rand(self.sizes(), TensorOptions(kFloat64).device(self.device())); }

// self = values (converted to self's dtype), in place, recorded as `name` with a zero
// gradient (PyTorch's for every random fill). values() may have drawn into self already
// (and returns self): then nothing is copied.
Tensor& fill_recorded(const char* name, Tensor& self, const std::function<Tensor()>& values) {
  return autograd::inplace(name, self, nullptr,
                           [&] {
                             Tensor v = values();
                             if (v.data_ptr() != self.data_ptr() || v.dtype() != self.dtype()) native::copy_(self, v);
                           },
                           [](const tensor_list& g, const tensor_list&, const auto&) {
                             return tensor_list{zeros(g[0].sizes(), TensorOptions(g[0].dtype()).device(g[0].device()))};
                           });
}

// uniform_ / normal_: the device kernel straight into self when it can hold the draws
// (contiguous float32/float64), else drawn in float32/float64 and copied.
Tensor& affine_fill(const char* name, Tensor& self, bool normal, double a, double b) {
  return fill_recorded(name, self, [&] {
    // 16-bit floats: Note [Uniform draws of 16-bit floats] (core/uniform_draws.h).
    if (!normal && is_reduced_float(self.dtype()))
      return detail::uniform_draws(self.sizes(), self.dtype(), self.device(), a, b);
    const bool direct = self.is_contiguous() && !is_reduced_float(self.dtype());
    if (direct) native::mark_mutated(self);  // as copy_ would: checks, then the version bump
    Tensor target = direct ? self : make_empty(self.sizes(), compute_dtype(self.dtype()), self.device());
    const PhiloxArgs rng = draw_generator().reserve(static_cast<uint64_t>(target.numel()), self.device());
    const DeviceOps& ops = device_ops(self.device());
    if (normal) ops.normal(target, a, b, rng);
    else ops.uniform(target, a, b, rng);
    return target;
  });
}

// The largest integer every smaller one of which the dtype holds exactly: 2^digits for the
// floating dtypes, the largest value for the others.
int64_t exact_integer_top(DType dtype) {
  switch (dtype) {
    case kFloat32: return int64_t{1} << 24;
    case kFloat64: return int64_t{1} << 53;
    case kBFloat16: return int64_t{1} << 8;
    case kFloat16: return int64_t{1} << 11;
    case kUInt8: return 255;
    case kBool: return 1;
    default: return std::numeric_limits<int64_t>::max();
  }
}

// The ends random_() accepts, as PyTorch's check_from_to_in_range: the dtype's range (for a
// floating dtype its finite range, clamped to int64's).
std::pair<int64_t, int64_t> random_bounds(DType dtype) {
  if (dtype == kUInt8 || dtype == kBool) return {0, exact_integer_top(dtype)};
  if (!is_floating(dtype)) return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  const double largest = autograd::largest_finite(dtype);
  const int64_t top = largest >= 0x1p63 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(largest);
  return {-top, top};
}

// Integers uniform in [from, from + span) (span > 0), as int64 of `sizes`, on device:
// drawn on the host from one counter each (randint's mapping).
Tensor integer_draws(const Dims& sizes, int64_t from, uint64_t span, Device device) {
  const int64_t numel = shape_numel(sizes);
  const PhiloxArgs rng = draw_generator().reserve(static_cast<uint64_t>(numel));
  std::vector<int64_t> values(static_cast<size_t>(numel));
  for (int64_t i = 0; i < numel; ++i) {
    const uint64_t bits = Philox4x32::bits64(rng.seed, rng.offset + static_cast<uint64_t>(i));
    const uint64_t offset = span == 0 ? bits : bits % span;  // span 0: all 2^64 values
    values[static_cast<size_t>(i)] = static_cast<int64_t>(static_cast<uint64_t>(from) + offset);
  }
  return tensor(values, sizes, TensorOptions(kInt64)).to(device);
}

// The representable integer next to v (a nonzero integer a floating dtype of `digits`
// significand bits holds), up or down: the binade's spacing, half of it going toward zero
// from a power of two.
double next_representable(double v, bool up, int digits) {
  const double magnitude = std::abs(v);
  int exponent = 0;
  std::frexp(magnitude, &exponent);  // magnitude in [2^(exponent-1), 2^exponent)
  double spacing = std::ldexp(1.0, exponent - digits);
  if ((v > 0) != up && magnitude == std::ldexp(1.0, exponent - 1)) spacing /= 2;
  spacing = std::max(spacing, 1.0);
  return up ? v + spacing : v - spacing;
}

// [from, last] moved inward to integers a floating dtype holds, so no draw rounds outside the
// range asked for, as PyTorch's update_from / update_to intend: float16 random_(0, 2052) draws
// at most 2050, never 2052 (PyTorch's formula stops at 2048).
std::pair<int64_t, int64_t> representable_ends(int64_t from, int64_t last, DType dtype) {
  const int digits = std::countr_zero(static_cast<uint64_t>(exact_integer_top(dtype)));
  const auto rounded = [dtype](int64_t v) {
    return native::to_dtype(full({}, static_cast<double>(v), TensorOptions(kFloat64)), dtype).item<double>();
  };
  double low = rounded(from), high = rounded(last);
  if (low < static_cast<double>(from)) low = next_representable(low, /*up=*/true, digits);
  if (high > static_cast<double>(last)) high = next_representable(high, /*up=*/false, digits);
  EMBER_CHECK(low <= high, "random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got from=",
              low, " >= to=", high + 1);
  return {static_cast<int64_t>(low), static_cast<int64_t>(high)};
}

// [from, last] inclusive, each end held exactly by self's dtype.
Tensor& random_range(Tensor& self, int64_t from, int64_t last) {
  EMBER_CHECK(self.defined(), "random_: expected a defined tensor");
  EMBER_CHECK(from <= last, "random_ expects 'from' to be less than 'to', but got from=", from, " >= to=",
              last == std::numeric_limits<int64_t>::max() ? last : last + 1);
  const auto [bottom, top] = random_bounds(self.dtype());
  EMBER_CHECK(from >= bottom && last <= top, from >= bottom ? "to - 1" : "from", " is out of bounds for ",
              dtype_name(self.dtype()), ": random_ expects 'from' and 'to' - 1 within [", bottom, ", ", top,
              "], but got from=", from, " and to - 1=", last);
  // Beyond 2^digits a floating dtype skips integers, so the draws are not uniform: PyTorch's
  // warning; the ends then move inward to values the dtype holds.
  const int64_t exact = exact_integer_top(self.dtype());
  if (is_floating(self.dtype()) && (from < -exact || last > exact)) {
    static std::once_flag once;
    std::call_once(once, [&] {
      logging::warn("{} is out of bounds [-(2^{}), 2^{}]. Due to precision limitations {} can support discrete "
                    "uniform distribution only within this range.",
                    from < -exact ? "from" : "to - 1", std::countr_zero(static_cast<uint64_t>(exact)),
                    std::countr_zero(static_cast<uint64_t>(exact)), dtype_name(self.dtype()));
    });
    std::tie(from, last) = representable_ends(from, last, self.dtype());
  }
  const uint64_t span = static_cast<uint64_t>(last) - static_cast<uint64_t>(from) + 1;  // 0: all 2^64 values
  return fill_recorded("RandomBackward", self, [&] { return integer_draws(self.sizes(), from, span, self.device()); });
}

// p in [0, 1] (a host read of the smallest and largest; NaN fails).
void check_probabilities(const Tensor& p, const char* op) {
  EMBER_CHECK(p.defined() && is_floating(p.dtype()), op, " expects probabilities of a floating-point dtype, but got ",
              p.defined() ? dtype_name(p.dtype()) : "undefined");
  if (p.numel() == 0) return;
  Tensor d = p.detach();
  const bool in_range = native::all(native::bitwise_and(native::ge(d, Scalar(0)), native::le(d, Scalar(1)))).item<bool>();
  EMBER_CHECK(in_range, op, " expects all probabilities p to be in [0, 1] (p_in >= 0 && p_in <= 1), but some are not");
}

}  // namespace

Tensor& Tensor::uniform_(double from, double to) {
  check_floating_fill(*this, "uniform_");
  // PyTorch's uniform_impl_: both ends within the dtype's finite range, and their distance too
  // (float32 from -1e39 wrote -inf).
  const double largest = autograd::largest_finite(dtype());
  EMBER_CHECK(from >= -largest && from <= largest, "from is out of bounds for ", dtype_name(dtype()));
  EMBER_CHECK(to >= -largest && to <= largest, "to is out of bounds for ", dtype_name(dtype()));
  EMBER_CHECK(from <= to, "uniform_ expects to return a [from, to) range, but found from=", from, " > to=", to);
  EMBER_CHECK(to - from <= largest, "uniform_ expects to-from <= std::numeric_limits<", dtype_torch_name(dtype()),
              ">::max(), but found to=", to, " and from=", from, " which result in to-from to exceed the limit");
  return affine_fill("UniformBackward", *this, false, from, to);
}

Tensor& Tensor::normal_(double mean, double std) {
  check_floating_fill(*this, "normal_");
  EMBER_CHECK(std >= 0.0, "normal expects std >= 0.0, but found std ", std);
  return affine_fill("NormalBackward", *this, true, mean, std);
}

Tensor& Tensor::bernoulli_(double p) {
  EMBER_CHECK(defined(), "bernoulli_: expected a defined tensor");
  EMBER_CHECK(p >= 0 && p <= 1, "bernoulli_ expects p to be in [0, 1], but got p=", p);
  return fill_recorded("BernoulliBackward", *this, [&] { return native::lt(unit_draws(*this), Scalar(p)); });
}

Tensor& Tensor::bernoulli_(const Tensor& p) {
  EMBER_CHECK(defined(), "bernoulli_: expected a defined tensor");
  check_probabilities(p, "bernoulli_");
  native::check_same_device(*this, {&p}, "bernoulli_");
  Tensor probs = native::expand(p.detach(), sizes());  // "expanded size" errors as expand's
  return fill_recorded("BernoulliBackward", *this, [&] { return native::lt(unit_draws(*this), probs); });
}

Tensor& Tensor::exponential_(double lambd) {
  check_floating_fill(*this, "exponential_");
  EMBER_CHECK(lambd > 0.0, "exponential_ expects lambda > 0.0, but found lambda=", lambd);
  // -log(1 - u) / lambda, u in [0, 1): finite, >= 0
  return fill_recorded("ExponentialBackward", *this,
                       [&] { return native::mul(native::log1p(native::neg(unit_draws(*this))), Scalar(-1.0 / lambd)); });
}

Tensor& Tensor::geometric_(double p) {
  EMBER_CHECK(defined(), "geometric_: expected a defined tensor");
  EMBER_CHECK(p > 0 && p < 1, "geometric_ expects p to be in (0, 1), but got p=", p);
  // The number of trials to the first success: ceil(log(1 - u) / log(1 - p)), at least 1.
  return fill_recorded("GeometricBackward", *this, [&] {
    Tensor trials = native::ceil(native::div(native::log1p(native::neg(unit_draws(*this))), Scalar(std::log1p(-p))));
    return native::clamp(trials, Scalar(1), std::nullopt);
  });
}

Tensor& Tensor::log_normal_(double mean, double std) {
  check_floating_fill(*this, "log_normal_");
  EMBER_CHECK(std > 0.0, "log_normal_ expects std > 0.0, but found std=", std);
  return fill_recorded("LogNormalBackward", *this, [&] {
    Tensor z = randn(sizes(), TensorOptions(kFloat64).device(device()));
    return native::exp(native::add(native::mul(z, Scalar(std)), Scalar(mean)));
  });
}

Tensor& Tensor::cauchy_(double median, double sigma) {
  check_floating_fill(*this, "cauchy_");
  EMBER_CHECK(sigma > 0.0, "cauchy_ expects sigma > 0.0, but found sigma=", sigma);
  return fill_recorded("CauchyBackward", *this, [&] {
    Tensor angle = native::mul(native::sub(unit_draws(*this), Scalar(0.5)), Scalar(std::numbers::pi));
    return native::add(native::mul(native::tan(angle), Scalar(sigma)), Scalar(median));
  });
}

Tensor& Tensor::random_(int64_t from, std::optional<int64_t> to) {
  EMBER_CHECK(defined(), "random_: expected a defined tensor");
  if (to) {
    EMBER_CHECK(from < *to, "random_ expects 'from' to be less than 'to', but got from=", from, " >= to=", *to);
    return random_range(*this, from, *to - 1);
  }
  // PyTorch's [from, the dtype's top]: a floating dtype's from must lie below the top (an
  // integer dtype's may be it: one value); int64's lowest draws all 2^64 values.
  const int64_t top = exact_integer_top(dtype());
  EMBER_CHECK(!is_floating(dtype()) || from < top,
              "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted to dtype, but got "
              "from=",
              from, " > to_inc=", top);
  return random_range(*this, from, top);
}
Tensor& Tensor::random_(int64_t to) { return random_(0, to); }
Tensor& Tensor::random_() { return random_(0, std::nullopt); }

namespace {
// PyTorch's draws shaped by tensors (derivatives.yaml: bernoulli, normal) have zero gradients:
// the result requires grad when an input does, and backward reaches the inputs with zeros.
tensor_list zero_grads(const tensor_list&, const tensor_list&, const std::vector<autograd::InputMeta>& in) {
  tensor_list grads;
  for (const autograd::InputMeta& meta : in)
    grads.push_back(meta.requires_grad ? zeros(meta.shape, TensorOptions(meta.dtype).device(meta.device)) : Tensor());
  return grads;
}
Tensor with_zero_gradient(const char* name, Tensor out, const Tensor& a) {
  if (autograd::will_record_into(out, a)) autograd::record(name, {&a}, {&out}, {}, zero_grads);
  return out;
}
Tensor with_zero_gradient(const char* name, Tensor out, const Tensor& a, const Tensor& b) {
  if (autograd::will_record_into(out, a, b)) autograd::record(name, {&a, &b}, {&out}, {}, zero_grads);
  return out;
}
}  // namespace

Tensor bernoulli(const Tensor& p) {
  check_probabilities(p, "bernoulli");
  return with_zero_gradient("BernoulliBackward", native::to_dtype(native::lt(unit_draws(p), p.detach()), p.dtype()),
                            p);
}

Tensor bernoulli(const Tensor& input, double p) {
  EMBER_CHECK(input.defined(), "bernoulli: expected a defined tensor");
  Tensor out = empty(input.sizes(), input.options());
  NoGradGuard no_grad;
  out.bernoulli_(p);
  return out;
}

Tensor Tensor::bernoulli() const { return ember::bernoulli(*this); }
Tensor Tensor::bernoulli(double p) const { return ember::bernoulli(*this, p); }

Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement) {
  EMBER_CHECK(probs.defined() && (probs.dim() == 1 || probs.dim() == 2), "prob_dist must be 1 or 2 dim");
  EMBER_CHECK(is_floating(probs.dtype()), "multinomial only supports floating-point dtypes for input, got: ",
              dtype_name(probs.dtype()));
  EMBER_CHECK(num_samples > 0, "cannot sample n_sample <= 0 samples");
  const int64_t categories = probs.sizes().back();
  EMBER_CHECK(categories <= (int64_t{1} << 24), "number of categories cannot exceed 2^24");
  EMBER_CHECK(replacement || num_samples <= categories,
              "cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  Tensor rows = native::to_dtype(native::reshape(probs.detach(), {probs.numel() / std::max<int64_t>(categories, 1), categories}),
                                 kFloat64);
  EMBER_CHECK(categories > 0, "invalid multinomial distribution (sum of probabilities <= 0)");
  const bool valid = native::all(native::bitwise_and(native::isfinite(rows), native::ge(rows, Scalar(0)))).item<bool>();
  EMBER_CHECK(valid, "probability tensor contains either `inf`, `nan` or element < 0");
  Tensor totals = native::sum(rows, {1}, true);
  EMBER_CHECK(native::all(native::gt(totals, Scalar(0))).item<bool>(),
              "invalid multinomial distribution (sum of probabilities <= 0)");
  const TensorOptions f64 = TensorOptions(kFloat64).device(probs.device());
  Tensor picks;
  if (replacement) {
    // Inverse CDF: the first category whose cumulative share exceeds u in [0, 1); the last
    // share is exactly 1 (a sum divided by itself), so every draw lands on a category with
    // a nonzero probability.
    Tensor cdf = native::cumsum(rows, 1);
    cdf = native::div(cdf, native::narrow(cdf, 1, categories - 1, 1));
    Tensor u = rand({rows.size(0), num_samples}, f64);
    picks = searchsorted(cdf, u, false, /*right=*/true);
  } else {
    // Without replacement: the num_samples largest p / E, E exponential (the
    // exponential-race form of sampling in turn without replacement); categories of
    // probability 0 come last, in index order, as PyTorch's.
    Tensor race = native::neg(native::log1p(native::neg(rand(rows.sizes(), f64))));
    picks = std::get<1>(native::topk(native::div(rows, race), num_samples, 1, true, true));
  }
  return probs.dim() == 1 ? native::reshape(picks, {num_samples}) : picks;
}

Tensor Tensor::multinomial(int64_t num_samples, bool replacement) const {
  return ember::multinomial(*this, num_samples, replacement);
}

Tensor normal(const Tensor& mean, const Tensor& std) {
  EMBER_CHECK(mean.defined() && std.defined(), "normal: expected defined tensors");
  EMBER_CHECK(is_floating(mean.dtype()) && is_floating(std.dtype()), "normal expects floating-point mean and std");
  if (std.numel() > 0) {
    EMBER_CHECK(native::all(native::ge(std.detach(), Scalar(0))).item<bool>(), "normal expects all elements of std >= 0.0");
  }
  native::check_same_device(mean, {&std}, "normal");
  // PyTorch's: the result in mean's dtype (mean.options()), drawn where mean and std broadcast.
  const DType dtype = mean.dtype();
  Tensor z = randn(native::expand(mean.detach(), broadcast_shapes(mean.sizes(), std.sizes())).sizes(),
                   TensorOptions(dtype).device(mean.device()));
  const Tensor out = native::add(native::mul(z, native::to_dtype(std.detach(), dtype)), mean.detach());
  return with_zero_gradient("NormalBackward", out, mean, std);
}
Tensor normal(const Tensor& mean, double std) {
  EMBER_CHECK(mean.defined(), "normal: expected a defined tensor");
  return normal(mean, full({}, std, TensorOptions(mean.dtype()).device(mean.device())));
}
Tensor normal(double mean, const Tensor& std) {
  EMBER_CHECK(std.defined(), "normal: expected a defined tensor");
  return normal(full({}, mean, TensorOptions(std.dtype()).device(std.device())), std);
}
Tensor normal(double mean, double std, const Dims& sizes, TensorOptions options) {
  EMBER_CHECK(std >= 0.0, "normal expects std >= 0.0, but found std ", std);
  return randn(sizes, options).mul_(std).add_(mean);
}

// ---- generator= (Note [Explicit generators] in core/random.h) ----
using detail::with_generator;
Tensor& Tensor::uniform_(double from, double to, Generator& generator) {
  return with_generator(generator, [&]() -> Tensor& { return uniform_(from, to); });
}
Tensor& Tensor::normal_(double mean, double std, Generator& generator) {
  return with_generator(generator, [&]() -> Tensor& { return normal_(mean, std); });
}
Tensor& Tensor::bernoulli_(double p, Generator& generator) {
  return with_generator(generator, [&]() -> Tensor& { return bernoulli_(p); });
}
Tensor& Tensor::bernoulli_(const Tensor& p, Generator& generator) {
  return with_generator(generator, [&]() -> Tensor& { return bernoulli_(p); });
}
Tensor& Tensor::exponential_(double lambd, Generator& generator) {
  return with_generator(generator, [&]() -> Tensor& { return exponential_(lambd); });
}
Tensor& Tensor::geometric_(double p, Generator& generator) {
  return with_generator(generator, [&]() -> Tensor& { return geometric_(p); });
}
Tensor& Tensor::log_normal_(double mean, double std, Generator& generator) {
  return with_generator(generator, [&]() -> Tensor& { return log_normal_(mean, std); });
}
Tensor& Tensor::cauchy_(double median, double sigma, Generator& generator) {
  return with_generator(generator, [&]() -> Tensor& { return cauchy_(median, sigma); });
}
Tensor& Tensor::random_(int64_t from, std::optional<int64_t> to, Generator& generator) {
  return with_generator(generator, [&]() -> Tensor& { return random_(from, to); });
}
Tensor& Tensor::random_(int64_t to, Generator& generator) {
  return with_generator(generator, [&]() -> Tensor& { return random_(to); });
}
Tensor& Tensor::random_(Generator& generator) {
  return with_generator(generator, [&]() -> Tensor& { return random_(); });
}
Tensor Tensor::bernoulli(Generator& generator) const {
  return with_generator(generator, [&] { return ember::bernoulli(*this); });
}
Tensor Tensor::bernoulli(double p, Generator& generator) const {
  return with_generator(generator, [&] { return ember::bernoulli(*this, p); });
}
Tensor Tensor::multinomial(int64_t num_samples, bool replacement, Generator& generator) const {
  return with_generator(generator, [&] { return ember::multinomial(*this, num_samples, replacement); });
}
Tensor bernoulli(const Tensor& p, Generator& generator) {
  return with_generator(generator, [&] { return bernoulli(p); });
}
Tensor bernoulli(const Tensor& input, double p, Generator& generator) {
  return with_generator(generator, [&] { return bernoulli(input, p); });
}
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator& generator) {
  return with_generator(generator, [&] { return multinomial(probs, num_samples, replacement); });
}
Tensor normal(const Tensor& mean, const Tensor& std, Generator& generator) {
  return with_generator(generator, [&] { return normal(mean, std); });
}
Tensor normal(const Tensor& mean, double std, Generator& generator) {
  return with_generator(generator, [&] { return normal(mean, std); });
}
Tensor normal(double mean, const Tensor& std, Generator& generator) {
  return with_generator(generator, [&] { return normal(mean, std); });
}
Tensor normal(double mean, double std, const Dims& sizes, Generator& generator, TensorOptions options) {
  return with_generator(generator, [&] { return normal(mean, std, sizes, options); });
}

}  // namespace ember
