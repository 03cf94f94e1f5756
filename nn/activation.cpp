// Activation modules and Flatten: forward through nn::functional or the Tensor methods.
#include "nn/activation.h"

#include "core/native.h"

#include <sstream>

#include "nn/functional/basic.h"

namespace ember::nn {

Tensor ReLU::forward(const Tensor& input) { return functional::relu(input, inplace); }

Tensor ReLU::forward_consuming(Tensor input) {
  if (!reusable(input)) return forward(input);
  native::relu_(input);
  return input;
}

Tensor LeakyReLU::forward(const Tensor& input) { return functional::leaky_relu(input, negative_slope); }

std::string LeakyReLU::extra_repr() const {
  std::ostringstream os;
  os << "negative_slope=" << negative_slope;
  return os.str();
}

Tensor Sigmoid::forward(const Tensor& input) { return functional::sigmoid(input); }

Tensor Tanh::forward(const Tensor& input) { return functional::tanh(input); }

Tensor Flatten::forward(const Tensor& input) { return input.flatten(start_dim, end_dim); }

std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
}

}  // namespace ember::nn
