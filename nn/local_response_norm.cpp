// nn::LocalResponseNorm: no parameters or buffers; forward through nn::functional.
#include "nn/local_response_norm.h"

#include "nn/repr.h"

namespace ember::nn {

LocalResponseNorm::LocalResponseNorm(int64_t n, double a, double b, double kk)
    : Module("LocalResponseNorm"), size(n), alpha(a), beta(b), k(kk) {}

Tensor LocalResponseNorm::forward(const Tensor& input) {
  return functional::local_response_norm(input, size, alpha, beta, k);
}

std::string LocalResponseNorm::extra_repr() const {
  return std::to_string(size) + ", alpha=" + detail::python_float(alpha) + ", beta=" + detail::python_float(beta) +
         ", k=" + detail::python_float(k);
}

}  // namespace ember::nn
