// The activation modules of nn/activation_more.h: forward through nn::functional.
#include "nn/activation_more.h"

#include <utility>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "nn/functional/activation_more.h"
#include "nn/functional/loss.h"
#include "nn/repr.h"

namespace ember::nn {

namespace F = functional;
using detail::inplace_suffix;
using detail::python_float;

Tensor Hardswish::forward(const Tensor& input) { return F::hardswish(input, inplace); }

Tensor Hardsigmoid::forward(const Tensor& input) { return F::hardsigmoid(input, inplace); }

namespace {
int64_t checked_parameter_count(int64_t num_parameters) {
  EMBER_CHECK(num_parameters >= 1, "PReLU: num_parameters must be at least 1, but got ", num_parameters);
  return num_parameters;
}
}  // namespace

PReLU::PReLU(int64_t num_parameters, double init)
    : Module("PReLU"),
      num_parameters(checked_parameter_count(num_parameters)),
      init(init),
      weight(register_parameter("weight", full({num_parameters}, init, TensorOptions(kFloat32)))) {}
Tensor PReLU::forward(const Tensor& input) { return F::prelu(input, weight); }
void PReLU::reset_parameters() {
  const NoGradGuard no_grad;
  weight.fill_(init);
}

Tensor SELU::forward(const Tensor& input) { return F::selu(input, inplace); }

Tensor CELU::forward(const Tensor& input) { return F::celu(input, alpha, inplace); }
std::string CELU::extra_repr() const { return "alpha=" + python_float(alpha) + inplace_suffix(inplace); }

Tensor LogSigmoid::forward(const Tensor& input) { return F::logsigmoid(input); }

Tensor Softsign::forward(const Tensor& input) { return F::softsign(input); }

Tensor Tanhshrink::forward(const Tensor& input) { return F::tanhshrink(input); }

Tensor Hardshrink::forward(const Tensor& input) { return F::hardshrink(input, lambd); }
std::string Hardshrink::extra_repr() const { return python_float(lambd); }

Tensor Softshrink::forward(const Tensor& input) { return F::softshrink(input, lambd); }
std::string Softshrink::extra_repr() const { return python_float(lambd); }

Tensor Threshold::forward(const Tensor& input) { return F::threshold(input, threshold, value, inplace); }
std::string Threshold::extra_repr() const {
  return "threshold=" + python_float(threshold) + ", value=" + python_float(value) + inplace_suffix(inplace);
}

Tensor GLU::forward(const Tensor& input) { return F::glu(input, dim); }

Tensor SoftmaxBase::forward(const Tensor& input) {
  if (dim) return apply(input, *dim);
  const int64_t n = input.dim();
  return apply(input, n == 0 || n == 1 || n == 3 ? 0 : 1);  // PyTorch's _get_softmax_dim
}

Tensor Softmax::apply(const Tensor& input, int64_t dim) const { return F::softmax(input, dim); }
Tensor LogSoftmax::apply(const Tensor& input, int64_t dim) const { return F::log_softmax(input, dim); }
Tensor Softmin::apply(const Tensor& input, int64_t dim) const { return F::softmin(input, dim); }

RReLU::RReLU(double lo, double up, bool in_place) : Module("RReLU"), lower(lo), upper(up), inplace(in_place) {
  EMBER_CHECK(lower <= upper, "Lower bound should be less than or equal to the upper bound");
}
Tensor RReLU::forward(const Tensor& input) { return F::rrelu(input, lower, upper, is_training(), inplace); }
std::string RReLU::extra_repr() const {
  return "lower=" + python_float(lower) + ", upper=" + python_float(upper) + inplace_suffix(inplace);
}
std::string RReLU::eval_mode_effect() const {
  return "RReLU(" + extra_repr() + ") used the fixed slope " + python_float((lower + upper) / 2) +
         " instead of random ones";
}

Tensor Softmax2d::forward(const Tensor& input) {
  EMBER_CHECK(input.dim() == 3 || input.dim() == 4, "Softmax2d: expected input to be 3D or 4D, got ", input.dim(),
              "D instead");
  return F::softmax(input, -3);
}

}  // namespace ember::nn
