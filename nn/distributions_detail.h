// Helpers shared by the distribution families' files (nn/distributions.cpp,
// nn/distributions_more.cpp): PyTorch's broadcast_all of two parameters and numbers as
// 0-dim tensors beside them.
#pragma once
#include <optional>
#include <utility>

#include "core/error.h"
#include "core/factories.h"
#include "core/tensor.h"
#include "nn/distributions.h"

namespace ember::distributions::detail {

// The tensors broadcast against each other, in their common floating dtype.
inline std::pair<Tensor, Tensor> broadcast_pair(const Tensor& a, const Tensor& b, const char* what) {
  EMBER_CHECK(a.defined() && b.defined(), what, ": expected two tensors, but got an undefined one");
  const DType dtype = promote_types(a.dtype(), b.dtype());
  EMBER_CHECK(dtype == kFloat32 || dtype == kFloat64, what, ": expected floating-point parameters, but got ",
              dtype_torch_name(dtype));
  const Dims shape = broadcast_shapes(a.sizes(), b.sizes());
  return {a.to(dtype).expand(shape), b.to(dtype).expand(shape)};
}

inline Tensor scalar_tensor(double value) { return full({}, value, TensorOptions(kFloat32)); }

// A number beside a tensor, as PyTorch's broadcast_all: a 0-dim tensor of its floating dtype
// and device.
inline Tensor number_like(double value, const Tensor& beside) {
  return full({}, value, TensorOptions(is_floating(beside.dtype()) ? beside.dtype() : kFloat32).device(beside.device()));
}

// kl_divergence's pairs of nn/distributions_more.h's families (and Uniform / Normal):
// nullopt when neither side is one of them or the pair has no formula.
std::optional<Tensor> kl_divergence_more(const Distribution& p, const Distribution& q);

}  // namespace ember::distributions::detail
