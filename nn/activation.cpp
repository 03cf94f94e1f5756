// Activation modules and Flatten: forward through nn::functional or the Tensor methods.
#include "nn/activation.h"

#include "core/native.h"

#include <sstream>
#include <utility>

#include "nn/functional/basic.h"
#include "nn/repr.h"

namespace ember::nn {

Tensor ReLU::forward(const Tensor& input) { return functional::relu(input, inplace); }

// Note [In-place activations while recording]
// PyTorch computes nn.ReLU() out of place unless told inplace=True, so a training forward
// holds three full-size tensors at a conv / batch norm / ReLU block's ReLU: batch norm's
// saved input, its output and the ReLU's output (for the small CNN at batch 256 that is
// its forward peak). Inside a Sequential the batch norm's output is an intermediate only
// the loop holds, and batch norm's backward does not read it (it keeps its input), so
// ReLU overwrites it with the recorded relu_ (which keeps the output's sign bits, as relu
// does): the same values, gradients and saved bytes, one activation less at the peak.
// Module::reusable_while_recording is the guard: a result whose storage something else
// holds (a node that saved it, a view, the caller) is never overwritten, and a
// non-contiguous one (channels-last) keeps its layout in place.
Tensor ReLU::forward_consuming(Tensor input) {
  if (reusable(input)) {  // nothing records: the native kernel
    native::relu_(input);
    return input;
  }
  if (reusable_while_recording(input)) return input.relu_();
  return forward(input);
}

Tensor LeakyReLU::forward(const Tensor& input) { return functional::leaky_relu(input, negative_slope, inplace); }

std::string LeakyReLU::extra_repr() const {
  return "negative_slope=" + detail::python_float(negative_slope) + detail::inplace_suffix(inplace);
}

Tensor Sigmoid::forward(const Tensor& input) { return functional::sigmoid(input); }

Tensor Tanh::forward(const Tensor& input) { return functional::tanh(input); }

GELU::GELU(std::string approximate) : Module("GELU"), approximate(std::move(approximate)) {
  EMBER_CHECK(this->approximate == "none" || this->approximate == "tanh",
              "approximate argument must be either none or tanh. (got '", this->approximate, "')");
}
Tensor GELU::forward(const Tensor& input) { return functional::gelu(input, approximate); }

Tensor SiLU::forward(const Tensor& input) { return functional::silu(input, inplace); }

Tensor ELU::forward(const Tensor& input) { return functional::elu(input, alpha, inplace); }
std::string ELU::extra_repr() const {
  return "alpha=" + detail::python_float(alpha) + detail::inplace_suffix(inplace);
}

Tensor Softplus::forward(const Tensor& input) { return functional::softplus(input, beta, threshold); }
std::string Softplus::extra_repr() const {
  std::ostringstream os;
  os << "beta=" << detail::python_float(beta) << ", threshold=" << detail::python_float(threshold);
  return os.str();
}

Hardtanh::Hardtanh(double min_val, double max_val, bool inplace)
    : Module("Hardtanh"), min_val(min_val), max_val(max_val), inplace(inplace) {
  EMBER_CHECK(max_val > min_val, "Hardtanh: max_val (", max_val, ") must be greater than min_val (", min_val, ")");
}
Tensor Hardtanh::forward(const Tensor& input) { return functional::hardtanh(input, min_val, max_val, inplace); }
std::string Hardtanh::extra_repr() const {
  return "min_val=" + detail::python_float(min_val) + ", max_val=" + detail::python_float(max_val) +
         detail::inplace_suffix(inplace);
}

Tensor ReLU6::forward(const Tensor& input) { return functional::relu6(input, inplace); }

Tensor Mish::forward(const Tensor& input) { return functional::mish(input, inplace); }

Tensor Flatten::forward(const Tensor& input) { return input.flatten(start_dim, end_dim); }

std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
}

}  // namespace ember::nn
