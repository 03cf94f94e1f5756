// nn::functional linear, activations and dropout. linear and the activations go
// through the public (recording) ops; leaky_relu and dropout are native ops or device
// kernels plus one recorded node, so a dropout mask is kept only when backward will use it;
// their inplace forms write into x (Note [In-place activations] in nn/functional/in_place.h).
#include "nn/functional/basic.h"

#include <mutex>
#include <optional>

#include "autograd/checkpoint.h"
#include "autograd/function_node.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/dispatch.h"
#include "core/profiler.h"
#include "nn/functional/args.h"
#include "nn/functional/in_place.h"
#include "core/logging.h"

namespace ember::nn::functional {

using autograd::record;
using autograd::tensor_list;
using autograd::will_record;
using autograd::will_record_into;

Tensor linear(const Tensor& x_in, const Tensor& weight_in, const Tensor& bias_in) {
  EMBER_PROFILE_OP("linear");
  const auto [x, weight, bias] = autocast::cast_inputs(autocast::CastPolicy::LowerPrecision, x_in, weight_in, bias_in);
  EMBER_CHECK(weight.dim() == 2, "linear: expected a 2D weight [out, in], got ", weight.sizes());
  EMBER_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1), "linear: mat1 and mat2 shapes cannot be multiplied (input ",
              x.sizes(), ", weight ", weight.sizes(), ")");
  // PyTorch's linear is one op: with every input an inference tensor it records nothing (will_record's
  // rule), where its parts here would record the bias added to a normal product.
  std::optional<NoGradGuard> untracked;
  if (x.is_inference() && weight.is_inference() && (!bias.defined() || bias.is_inference())) untracked.emplace();
  Tensor out = matmul(x, weight.transpose(0, 1));
  return bias.defined() ? add(out, bias) : out;
}

Tensor relu(const Tensor& x, bool inplace) { return inplace ? relu_(x) : x.relu(); }

Tensor relu_(const Tensor& x) {
  Tensor self = x;
  return self.relu_();
}

// leaky_relu's gradient from the bits of x > 0 (Note [Compact saved activations] in
// core/bitmask.h: one bit per element instead of x; PyTorch keeps x), in one fused pass
// written into g where nothing else holds it (Note [Gradients overwritten in backward]).
// Linear in g, so for create_graph its own derivative is itself (PyTorch's
// LeakyReluBackwardBackward); x's is 0.
static Tensor leaky_relu_grad(const Tensor& g, const Tensor& bits, double negative_slope, MemoryFormat format) {
  Tensor out = native::leaky_relu_grad_from_bits(g, bits, negative_slope, format,
                                                 native::overwritable_gradient(g, format));
  if (will_record_into(out, g))
    record("LeakyReluBackwardBackward", {&g}, {&out}, {bits},
           [negative_slope, format](const tensor_list& gg, const tensor_list& s, const auto&) {
             return tensor_list{leaky_relu_grad(gg[0], s[0], negative_slope, format)};
           })->set_differentiable_backward();
  return out;
}

static Tensor leaky_relu_out_of_place(const Tensor& x, double negative_slope) {
  Tensor out = native::leaky_relu(x, negative_slope);
  if (will_record_into(out, x)) {
    const MemoryFormat format = native::dense_format(x);
    record("LeakyReluBackward", {&x}, {&out}, {native::positive_bits(x, format)},
           [negative_slope, format](const tensor_list& g, const tensor_list& s, const auto&) {
             return tensor_list{leaky_relu_grad(g[0], s[0], negative_slope, format)};
           })->set_backward_reads_inputs();
  }
  return out;
}

Tensor leaky_relu(const Tensor& x, double negative_slope, bool inplace) {
  return inplace ? leaky_relu_(x, negative_slope) : leaky_relu_out_of_place(x, negative_slope);
}

// Its node keeps the sign bits of x taken before the write, so, unlike PyTorch's (which keeps
// the result), any slope works while recording.
Tensor leaky_relu_(const Tensor& x, double negative_slope) {
  return detail::activation_in_place(
      UnaryOp::LeakyRelu, UnaryArgs{.p0 = negative_slope, .has_p0 = true}, "LeakyReluBackward", x,
      [&](const Tensor& input) { return leaky_relu_out_of_place(input, negative_slope); }, /*f_keeps_input=*/false);
}

Tensor sigmoid(const Tensor& x) { return x.sigmoid(); }
Tensor tanh(const Tensor& x) { return x.tanh(); }

// Dropout's gradient from what its forward kept (mask or cuDNN reserve space): linear
// in g, so for create_graph its own derivative is itself.
static Tensor dropout_grad(const Tensor& g, const Tensor& kept, double p, const Dims& mask_shape,
                           DropoutStream stream) {
  Tensor gx = make_empty(g.sizes(), g.dtype(), g.device());
  device_ops(gx.device()).dropout_backward(detail::contiguous(g), kept, p, mask_shape, gx, stream);
  if (will_record_into(gx, g))
    record("NativeDropoutBackwardBackward", {&g}, {&gx}, {kept},
           [p, mask_shape, stream](const tensor_list& gg, const tensor_list& s, const auto&) {
             return tensor_list{dropout_grad(gg[0], s[0], p, mask_shape, stream)};
           })->set_differentiable_backward();
  return gx;
}

// Shared by dropout and dropout2d: the mask has `mask_shape` (broadcast over x). The
// training flag decides whether anything is drawn; the grad mode whether the device's
// backward state (mask or cuDNN reserve space) is kept (Note [The two switches]).
static Tensor masked_dropout(const Tensor& x, double p, bool training, const Dims& mask_shape) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "dropout probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return mul(x, 0.0);
  EMBER_CHECK(is_floating(x.dtype()), "dropout: expected a float32 or float64 input, but got ", dtype_name(x.dtype()));
  const bool recording = will_record(x);
  const Tensor xc = detail::contiguous(x);
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device());
  // Inside a checkpoint the masks must be drawn again, the same, by the recomputation.
  const DropoutStream stream = utils::in_checkpoint() ? DropoutStream::Generator : DropoutStream::Device;
  const Tensor kept = device_ops(x.device()).dropout_forward(xc, p, mask_shape, out, recording, stream);
  out = detail::in_format(out, x.suggest_memory_format());  // Note [Channels-last layers] (args.h)
  if (recording) {
    record("DropoutBackward", {&x}, {&out}, {kept},
           [p, mask_shape, stream](const tensor_list& g, const tensor_list& s, const auto&) {
             return tensor_list{dropout_grad(g[0], s[0], p, mask_shape, stream)};
           })->set_differentiable_backward();
  } else {
    autograd::note_untracked(out, {&x});
  }
  return out;
}

// inplace: the result written into x. The node keeps the mask only, so no copy of x is taken
// (Note [In-place activations] in nn/functional/in_place.h); x is untouched when nothing drops.
static Tensor masked_dropout(const Tensor& x, double p, bool training, const Dims& mask_shape, bool inplace) {
  if (!inplace || !training || p == 0.0) return masked_dropout(x, p, training, mask_shape);
  return detail::overwrite_with(
      "MulBackward", x, [&](const Tensor& input) { return masked_dropout(input, p, training, mask_shape); },
      /*f_keeps_input=*/false);
}

Tensor dropout(const Tensor& x, double p, bool training, bool inplace) {
  return masked_dropout(x, p, training, x.sizes(), inplace);
}

// Whole channels of an input with `spatial` dims after its channel dim (and an optional batch dim).
static Tensor channel_dropout(const char* op, const Tensor& x, double p, bool training, bool inplace,
                              int64_t spatial) {
  EMBER_CHECK(spatial != 1 || x.dim() == 2 || x.dim() == 3, "dropout1d: Expected 2D or 3D input, but received a ",
              x.dim(), "D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
              "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).");
  EMBER_CHECK(x.dim() == spatial + 1 || x.dim() == spatial + 2, op, ": expected ", spatial + 1, "D or ", spatial + 2,
              "D input (got ", x.dim(), "D input)");
  Dims mask_shape = x.sizes();
  for (int64_t d = x.dim() - spatial; d < x.dim(); ++d) mask_shape[static_cast<size_t>(d)] = 1;
  return masked_dropout(x, p, training, mask_shape, inplace);
}

Tensor dropout1d(const Tensor& x, double p, bool training, bool inplace) {
  return channel_dropout("dropout1d", x, p, training, inplace, 1);
}

// dropout2d / dropout3d (`spatial` 2 or 3) of an input of another rank: PyTorch's deprecation
// warning (once per op), then what PyTorch runs: dropout2d's feature dropout drops whole
// (dim 0, dim 1) slices; dropout3d's unbatched path (unsqueeze(0), then feature dropout) whole
// dim-0 slices. PyTorch's _dropout_impl returns before making the noise (and checking its
// rank) when nothing is dropped.
static Tensor dropout_of_other_ranks(int64_t spatial, const Tensor& x, double p, bool training, bool inplace) {
  static std::once_flag once[2];
  std::call_once(once[spatial - 2], [&] {
    logging::warn(
        "dropout{}d: Received a {}-D input to dropout{}d, which is deprecated and will result in an error in a "
        "future release. To retain the behavior and silence this warning, please use dropout instead. Note that "
        "dropout{}d exists to provide channel-wise dropout on inputs with {} spatial dimensions, a channel "
        "dimension, and an optional batch dimension (i.e. {}D or {}D inputs).",
        spatial, x.dim(), spatial, spatial, spatial, spatial + 1, spatial + 2);
  });
  const size_t kept_dims = spatial == 2 ? 2 : 1;
  EMBER_CHECK(x.dim() >= static_cast<int64_t>(kept_dims) || !training || p == 0.0 || x.numel() == 0, "dropout", spatial,
              "d: Feature dropout requires at least 2 dimensions in the input, but got a ", x.dim(), "D input");
  Dims mask_shape = x.sizes();
  for (size_t d = kept_dims; d < mask_shape.size(); ++d) mask_shape[d] = 1;
  return masked_dropout(x, p, training, mask_shape, inplace);
}

// A 3-D input is PyTorch 2.x's (N, C, L), with its warning: whole (sample, channel) rows drop.
Tensor dropout2d(const Tensor& x, double p, bool training, bool inplace) {
  if (x.dim() == 3) {
    static std::once_flag once;
    std::call_once(once, [] {
      logging::warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                    "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                    "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                    "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please use dropout1d "
                    "instead.");
    });
    return channel_dropout("dropout2d", x, p, training, inplace, 1);
  }
  if (x.dim() == 4) return channel_dropout("dropout2d", x, p, training, inplace, 2);
  // ([1, 128] drops elements, as PyTorch's "Defining a Neural Network" recipe uses it.)
  return dropout_of_other_ranks(2, x, p, training, inplace);
}

Tensor dropout3d(const Tensor& x, double p, bool training, bool inplace) {
  if (x.dim() == 4 || x.dim() == 5) return channel_dropout("dropout3d", x, p, training, inplace, 3);
  return dropout_of_other_ranks(3, x, p, training, inplace);
}

}  // namespace ember::nn::functional
