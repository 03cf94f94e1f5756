// nn::functional linear, activations and dropout. linear and the activations go
// through the public (recording) ops; leaky_relu and dropout are native ops plus one
// recorded node, so a dropout mask is kept only when it will be used by backward.
#include "nn/functional/basic.h"

#include "autograd/function_node.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"
#include "nn/functional/dropout_cpu.h"

namespace ember::nn::functional {

using autograd::record;
using autograd::tensor_list;
using autograd::will_record;

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  EMBER_CHECK(weight.dim() == 2, "linear: expected a 2D weight [out, in], got ", weight.sizes());
  EMBER_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1), "linear: mat1 and mat2 shapes cannot be multiplied (input ",
              x.sizes(), ", weight ", weight.sizes(), ")");
  Tensor out = matmul(x, weight.transpose(0, 1));
  return bias.defined() ? add(out, bias) : out;
}

Tensor relu(const Tensor& x, bool inplace) {
  if (!inplace) return x.relu();
  Tensor self = x;
  return self.relu_();
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  Tensor positive = native::gt(x, 0);
  Tensor out = native::where(positive, x, native::mul(x, negative_slope));
  if (will_record(x)) {
    record("LeakyReluBackward", {&x}, {&out}, {x},
           [negative_slope](const tensor_list& g, const tensor_list& s, const auto&) {
             return tensor_list{native::where(native::gt(s[0], 0), g[0], native::mul(g[0], negative_slope))};
           });
  }
  return out;
}

Tensor sigmoid(const Tensor& x) { return x.sigmoid(); }
Tensor tanh(const Tensor& x) { return x.tanh(); }

// Shared by dropout and dropout2d: the mask has `mask_shape` (broadcast over x).
static Tensor masked_dropout(const Tensor& x, double p, bool training, const Dims& mask_shape) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "dropout probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return mul(x, 0.0);
  Tensor mask = rand(mask_shape, x.options());
  if (mask.is_cpu() && is_floating(mask.dtype())) {
    detail::dropout_mask_cpu_(mask, p);  // keep ? 1/(1-p) : 0, in place, one pass
  } else {
    mask = native::to_dtype(native::ge(mask, p), x.dtype());
    native::div_(mask, 1.0 - p);  // scale kept values by 1/(1-p) in place: one buffer, not two
  }
  Tensor out = native::mul(x, mask);
  if (will_record(x)) {
    record("DropoutBackward", {&x}, {&out}, {mask}, [](const tensor_list& g, const tensor_list& s, const auto&) {
      return tensor_list{native::mul(g[0], s[0])};
    });
  }
  return out;
}

Tensor dropout(const Tensor& x, double p, bool training) { return masked_dropout(x, p, training, x.sizes()); }

Tensor dropout2d(const Tensor& x, double p, bool training) {
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, "dropout2d: expected 3D or 4D input (got ", x.dim(), "D input)");
  Dims mask_shape = x.sizes();
  for (int64_t d = x.dim() - 2; d < x.dim(); ++d) mask_shape[static_cast<size_t>(d)] = 1;
  return masked_dropout(x, p, training, mask_shape);
}

}  // namespace ember::nn::functional
