// torch.nn.init's functions: random fills drawn from ember's generator on the tensor's
// device, structured ones (eye_, dirac_, trunc_normal_'s inverse CDF; orthogonal_'s QR) built
// on the host in double, each written into the tensor with one copy_ under no_grad.
#include "nn/init.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <vector>

#include "core/linalg_ops.h"
#include "core/ops.h"

namespace ember::nn::init {
namespace {

void check_floating(const Tensor& t, const char* fn) {
  EMBER_CHECK(t.defined(), fn, ": expected a tensor, but got an undefined one");
  EMBER_CHECK(is_floating(t.dtype()), "\"", fn, "\" not implemented for '", dtype_torch_name(t.dtype()), "'");
}

// The dtype random values are drawn in: the tensor's, or float32 for a 16-bit one (rounded by copy_).
TensorOptions draw_options(const Tensor& t) { return TensorOptions(compute_dtype(t.dtype())).device(t.device()); }

// t = values (any shape with t's element count, any dtype and device), in place, unrecorded.
Tensor assign(Tensor t, const Tensor& values) {
  NoGradGuard no_grad;
  t.copy_(values.reshape(t.sizes()));
  return t;
}

// Host values in t's shape (row-major) as a float64 CPU tensor.
Tensor host_values(const std::vector<double>& values, const Tensor& t) {
  return tensor(values, t.sizes(), TensorOptions(kFloat64));
}

double standard_normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

// The standard normal quantile: Acklam's rational approximation (relative error ~1e-9)
// refined by one Halley step on erfc, to about double precision. p in (0, 1).
double standard_normal_quantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01,  -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double low = 0.02425;
  double x;
  if (p < low || p > 1 - low) {
    const double q = std::sqrt(-2 * std::log(p < low ? p : 1 - p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    if (p > 1 - low) x = -x;
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double e = standard_normal_cdf(x) - p;
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double fan_for(const Tensor& t, const std::string& given_mode) {
  std::string mode = given_mode;  // PyTorch lowers the mode first ("FAN_IN" is fan_in)
  std::transform(mode.begin(), mode.end(), mode.begin(), [](unsigned char c) { return std::tolower(c); });
  EMBER_CHECK(mode == "fan_in" || mode == "fan_out", "Mode ", mode,
              " not supported, please use one of ['fan_in', 'fan_out']");
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  return static_cast<double>(mode == "fan_in" ? fan_in : fan_out);
}

}  // namespace

double calculate_gain(const std::string& nonlinearity, std::optional<double> param) {
  if (nonlinearity == "linear" || nonlinearity == "sigmoid" || nonlinearity.starts_with("conv")) {
    static const char* const kLinear[] = {"linear",           "sigmoid",          "conv1d",          "conv2d",
                                          "conv3d",           "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"};
    EMBER_CHECK(std::find(std::begin(kLinear), std::end(kLinear), nonlinearity) != std::end(kLinear),
                "Unsupported nonlinearity ", nonlinearity);
    return 1.0;
  }
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "selu") return 3.0 / 4.0;
  EMBER_CHECK(nonlinearity == "leaky_relu", "Unsupported nonlinearity ", nonlinearity);
  const double slope = param.value_or(0.01);
  EMBER_CHECK(std::isfinite(slope), "negative_slope ", slope, " not a valid number");
  return std::sqrt(2.0 / (1 + slope * slope));
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  EMBER_CHECK(tensor.defined() && tensor.dim() >= 2,
              "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  int64_t receptive = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive *= tensor.size(d);
  return {tensor.size(1) * receptive, tensor.size(0) * receptive};
}

namespace detail {
namespace {
thread_local bool tls_skip_init = false;
}
bool skipping_init() { return tls_skip_init; }
}  // namespace detail

SkipInitGuard::SkipInitGuard() : previous_(detail::tls_skip_init) { detail::tls_skip_init = true; }
SkipInitGuard::~SkipInitGuard() { detail::tls_skip_init = previous_; }

void redraw_uniform_(const std::vector<Tensor*>& params, double bound) {
  for (Tensor* p : params)
    if (p->defined()) uniform_(*p, -bound, bound);
}

Tensor uniform_(Tensor tensor, double a, double b) {
  if (detail::skipping_init()) return tensor;
  check_floating(tensor, "check_uniform_bounds");
  EMBER_CHECK(a <= b, "uniform_ expects to return a [from, to) range, but found from=", a, " > to=", b);
  NoGradGuard no_grad;
  assign(tensor, rand(tensor.sizes(), draw_options(tensor)).mul_(b - a).add_(a));
  // A 16-bit draw rounded up to b is a instead, as PyTorch's CUDA kernel maps `to` back to
  // `from`: the range stays [a, b).
  if (a < b && compute_dtype(tensor.dtype()) != tensor.dtype()) tensor.copy_(tensor.masked_fill(tensor.ge(b), a));
  return tensor;
}

Tensor normal_(Tensor tensor, double mean, double std) {
  if (detail::skipping_init()) return tensor;
  check_floating(tensor, "normal_kernel_cpu");
  EMBER_CHECK(std >= 0.0, "normal expects std >= 0.0, but found std ", std);
  NoGradGuard no_grad;
  return assign(tensor, randn(tensor.sizes(), draw_options(tensor)).mul_(std).add_(mean));
}

Tensor trunc_normal_(Tensor tensor, double mean, double std, double a, double b) {
  if (detail::skipping_init()) return tensor;
  check_floating(tensor, "trunc_normal_");
  EMBER_CHECK(std > 0.0, "trunc_normal_: expected std > 0, but got ", std);
  EMBER_CHECK(a <= b, "trunc_normal_: expected a <= b, but got a=", a, " and b=", b);
  if (a == b) return constant_(tensor, a);  // PyTorch's draws between equal bounds: a everywhere
  // Uniform draws between the bounds' CDF values, through the quantile. Both bounds in the
  // upper tail: the mirrored interval instead, where the CDF keeps its precision.
  const double alpha = (a - mean) / std, beta = (b - mean) / std;
  const bool mirrored = alpha > 0;
  const double lo = mirrored ? -beta : alpha, hi = mirrored ? -alpha : beta;
  const double p_lo = standard_normal_cdf(lo), p_hi = standard_normal_cdf(hi);
  std::vector<double> values = rand(tensor.sizes(), TensorOptions(kFloat64)).to_vector<double>();
  for (double& v : values) {
    const double p = p_lo + (p_hi - p_lo) * v;
    double x = p <= 0 ? lo : p >= 1 ? hi : std::clamp(standard_normal_quantile(p), lo, hi);
    if (mirrored) x = -x;
    v = std::clamp(mean + std * x, a, b);
  }
  return assign(tensor, host_values(values, tensor));
}

Tensor constant_(Tensor tensor, double value) {
  EMBER_CHECK(tensor.defined(), "constant_: expected a tensor, but got an undefined one");
  NoGradGuard no_grad;
  tensor.fill_(value);
  return tensor;
}

Tensor ones_(Tensor tensor) { return constant_(tensor, 1.0); }
Tensor zeros_(Tensor tensor) { return constant_(tensor, 0.0); }

Tensor eye_(Tensor tensor) {
  EMBER_CHECK(tensor.defined() && tensor.dim() == 2, "Only tensors with 2 dimensions are supported");
  const int64_t rows = tensor.size(0), cols = tensor.size(1);
  std::vector<double> values(static_cast<size_t>(rows * cols), 0.0);
  for (int64_t i = 0; i < std::min(rows, cols); ++i) values[static_cast<size_t>(i * cols + i)] = 1.0;
  return assign(tensor, host_values(values, tensor));
}

Tensor dirac_(Tensor tensor, int64_t groups) {
  EMBER_CHECK(tensor.defined() && tensor.dim() >= 3 && tensor.dim() <= 5,
              "Only tensors with 3, 4, or 5 dimensions are supported");
  EMBER_CHECK(groups > 0 && tensor.size(0) % groups == 0, "dim 0 must be divisible by groups");
  const int64_t per_group = tensor.size(0) / groups, channels = std::min(per_group, tensor.size(1));
  const Dims& sizes = tensor.sizes();
  std::vector<double> values(static_cast<size_t>(tensor.numel()), 0.0);
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t d = 0; d < channels; ++d) {
      int64_t flat = g * per_group + d;  // row-major index of [g * per_group + d, d, k / 2...]
      flat = flat * sizes[1] + d;
      for (size_t k = 2; k < sizes.size(); ++k) flat = flat * sizes[k] + sizes[k] / 2;
      values[static_cast<size_t>(flat)] = 1.0;
    }
  return assign(tensor, host_values(values, tensor));
}

Tensor xavier_uniform_(Tensor tensor, double gain) {
  if (detail::skipping_init()) return tensor;
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return uniform_(tensor, -std::sqrt(3.0) * std, std::sqrt(3.0) * std);
}

Tensor xavier_normal_(Tensor tensor, double gain) {
  if (detail::skipping_init()) return tensor;
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return normal_(tensor, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)));
}

Tensor kaiming_uniform_(Tensor tensor, double a, const std::string& mode, const std::string& nonlinearity) {
  if (detail::skipping_init()) return tensor;
  if (tensor.defined() && tensor.numel() == 0) return tensor;  // PyTorch: "a no-op"
  const double bound = std::sqrt(3.0) * calculate_gain(nonlinearity, a) / std::sqrt(fan_for(tensor, mode));
  return uniform_(tensor, -bound, bound);
}

Tensor kaiming_normal_(Tensor tensor, double a, const std::string& mode, const std::string& nonlinearity) {
  if (detail::skipping_init()) return tensor;
  if (tensor.defined() && tensor.numel() == 0) return tensor;
  return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / std::sqrt(fan_for(tensor, mode)));
}

Tensor sparse_(Tensor tensor, double sparsity, double std) {
  if (detail::skipping_init()) return tensor;
  EMBER_CHECK(tensor.defined() && tensor.dim() == 2, "Only tensors with 2 dimensions are supported");
  check_floating(tensor, "sparse_");
  const int64_t rows = tensor.size(0), cols = tensor.size(1);
  const auto zeroed = static_cast<int64_t>(std::ceil(sparsity * static_cast<double>(rows)));
  EMBER_CHECK(sparsity >= 0 && zeroed <= rows, "sparse_: expected sparsity in [0, 1], but got ", sparsity);
  // PyTorch's: N(0, std) everywhere, then in each column the rows of a random permutation's first
  // ceil(sparsity * rows) entries set to 0.
  NoGradGuard no_grad;
  Tensor values = randn({rows, cols}, TensorOptions(kFloat64)).mul_(std);
  for (int64_t c = 0; c < cols && zeroed > 0; ++c)
    values.select(1, c).index_fill_(0, randperm(rows).narrow(0, 0, zeroed), 0.0);
  return assign(tensor, values.to(tensor.device()));
}

Tensor orthogonal_(Tensor tensor, double gain) {
  if (detail::skipping_init()) return tensor;
  EMBER_CHECK(tensor.defined() && tensor.dim() >= 2, "Only tensors with 2 or more dimensions are supported");
  check_floating(tensor, "orthogonal_");
  if (tensor.numel() == 0) return tensor;
  const int64_t rows = tensor.size(0), cols = tensor.numel() / rows;
  // PyTorch's: a normal [rows, cols] draw (transposed when wide), its QR factor (LAPACK) with each
  // column's sign flipped to make R's diagonal positive, transposed back, times gain.
  NoGradGuard no_grad;
  Tensor drawn = randn({rows, cols}, TensorOptions(kFloat64));
  if (rows < cols) drawn = drawn.t();
  auto [q, r] = linalg::qr(drawn);
  q = q * r.diagonal().sign();
  if (rows < cols) q = q.t();
  return assign(tensor, (q * gain).to(tensor.device()));
}

}  // namespace ember::nn::init
