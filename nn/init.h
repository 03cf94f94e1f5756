// Parameter initialisation shared by the layers (PyTorch's defaults), made outside
// any graph so a fresh parameter is a leaf.
#pragma once
#include "core/factories.h"
#include "core/grad_mode.h"

namespace ember::nn::init {

// U(-bound, bound): kaiming_uniform_(a = sqrt(5)) reduces to bound = 1/sqrt(fan_in)
// for weights, and PyTorch uses the same bound for biases.
inline Tensor uniform(const Dims& shape, double bound) {
  NoGradGuard no_grad;
  Tensor t = rand(shape);
  t.mul_(2.0 * bound).sub_(bound);
  return t;
}

}  // namespace ember::nn::init
