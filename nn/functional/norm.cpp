// nn::functional::layer_norm and group_norm: PyTorch's argument checks and phrases, x seen
// as rows (RowNormGeometry), one fused kernel call each way, and one node
// ("NativeLayerNormBackward" / "NativeGroupNormBackward") that saves x, mean, rstd and the
// weight only when recording: PyTorch's layer_norm also saves the bias, which no formula reads.
#include <limits>
#include <string>

#include "autograd/function_node.h"
#include "core/autocast.h"
#include "core/dispatch.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/profiler.h"
#include "nn/functional/args.h"
#include "nn/functional/norm.h"

namespace ember::nn::functional {

using autograd::needs_grad;
using autograd::tensor_list;

namespace {

std::string dims_list(const Dims& d, const char* first = "") {
  std::string s = std::string("[") + first;
  for (size_t i = 0; i < d.size(); ++i) s += (i || *first ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

// A weight or bias as the kernels take it: x's dtype, contiguous.
Tensor param_operand(const Tensor& t, DType dtype) {
  return t.defined() ? detail::contiguous(native::to_dtype(t, dtype)) : Tensor();
}

// The node's formula when the backward records (create_graph, Note [Higher-order gradients]
// in autograd/engine.h): the gradients composed of differentiable ops on x seen as
// [M / G, G, D, S], with the statistics recomputed from x so that they carry x's history
// (PyTorch's infinitely_differentiable_native_{layer,group}_norm_backward does the same).
tensor_list recorded_grads(const Tensor& g, const Tensor& x, const Tensor& w, const RowNormGeometry& geom, double eps,
                           const std::vector<autograd::InputMeta>& in) {
  const Dims shape{geom.M / geom.G, geom.G, geom.D, geom.S}, row{2, 3};
  const Tensor xv = x.reshape(shape), gv = g.reshape(shape);
  const Tensor xc = xv - xv.mean(row, true);
  const Tensor rstd = ((xc * xc).mean(row, true) + eps).pow(-0.5);
  const Tensor xhat = xc * rstd;
  Tensor gx, gw, gb;
  if (needs_grad(in, 0)) {
    const Tensor gwv = w.defined() ? gv * w.reshape({1, geom.G, geom.D, 1}) : gv;
    gx = (rstd * (gwv - gwv.mean(row, true) - xhat * (gwv * xhat).mean(row, true))).reshape(x.sizes());
  }
  if (in.size() > 1 && needs_grad(in, 1)) gw = (gv * xhat).sum({0, 3}).reshape(in[1].shape);
  if (in.size() > 2 && needs_grad(in, 2)) gb = gv.sum({0, 3}).reshape(in[2].shape);
  return {gx, gw, gb};
}

// Both ops after their checks: x (autocast-cast) as M rows of K values.
Tensor row_norm(const char* node_name, const Tensor& x_in, const Tensor& weight, const Tensor& bias,
                const RowNormGeometry& geom, double eps) {
  const bool recording = autograd::will_record(x_in, weight, bias);
  // Recording, a non-contiguous x is copied by the recorded contiguous(), so the copy the
  // node saves keeps x's history (create_graph).
  const Tensor x = recording ? x_in.contiguous() : detail::contiguous(x_in);
  const Tensor w = param_operand(weight, x.dtype()), b = param_operand(bias, x.dtype());
  const DType stat = compute_dtype(x.dtype());  // row_norm::Stat
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device());
  // The statistics exist only to be saved: not made at all under no_grad.
  const Tensor mean = recording ? make_empty({geom.M}, stat, x.device()) : Tensor();
  const Tensor rstd = recording ? make_empty({geom.M}, stat, x.device()) : Tensor();
  {
    NoGradGuard no_grad;
    device_ops(x.device()).row_norm_forward(x, w, b, geom, eps, out, mean, rstd);
  }
  if (!recording) {
    autograd::note_untracked(out, {&x_in, &weight, &bias});
    return out;
  }
  const bool twice = !weight.defined() || w.is_same(weight);  // the saved weight keeps its history
  auto node = autograd::record(
      node_name, {&x_in, &weight, &bias}, {&out}, {x, mean, rstd, w},
      [geom, eps, twice](const tensor_list& g, const tensor_list& s, const auto& in) {
        if (twice && is_grad_enabled()) return recorded_grads(g[0], s[0], s[3], geom, eps, in);
        const Tensor& x = s[0];
        const Tensor grad = detail::contiguous(g[0].dtype() == x.dtype() ? g[0] : native::to_dtype(g[0], x.dtype()));
        const auto grad_if = [&](size_t i, const Dims& shape) {
          return in.size() > i && needs_grad(in, i) ? make_empty(shape, x.dtype(), x.device()) : Tensor();
        };
        tensor_list out{grad_if(0, x.sizes()), grad_if(1, in.size() > 1 ? in[1].shape : Dims{}),
                        grad_if(2, in.size() > 2 ? in[2].shape : Dims{})};
        device_ops(x.device()).row_norm_backward(grad, x, s[1], s[2], s[3], geom, out[0], out[1], out[2]);
        return out;
      });
  // PyTorch's backward op reads x and the weight (not the bias): Note [Higher-order gradients].
  if (twice) node->set_backward_reads_inputs(0b011);
  return out;
}

void check_floating(const Tensor& x, const char* op) {
  EMBER_CHECK(is_floating(x.dtype()), op,
              ": expected a floating-point input (float32, float64, bfloat16 or float16), but got ",
              dtype_name(x.dtype()));
}

// layer_norm's and rms_norm's shape checks, PyTorch's messages (_check_layer_norm_inputs).
void check_normalized_input(const Tensor& x, const Dims& normalized_shape, const Tensor& weight, const Tensor& bias) {
  const size_t nd = normalized_shape.size();
  EMBER_CHECK(nd >= 1, "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
              "element, but got normalized_shape = ", dims_list(normalized_shape));
  EMBER_CHECK(!weight.defined() || weight.sizes() == normalized_shape, "Expected weight to be of same shape as "
              "normalized_shape, but got weight of shape ", dims_list(weight.sizes()), " and normalized_shape = ",
              dims_list(normalized_shape));
  EMBER_CHECK(!bias.defined() || bias.sizes() == normalized_shape, "Expected bias to be of same shape as "
              "normalized_shape, but got bias of shape ", dims_list(bias.sizes()), " and normalized_shape = ",
              dims_list(normalized_shape));
  const size_t ndim = static_cast<size_t>(x.dim());
  bool fits = ndim >= nd;
  for (size_t i = 0; fits && i < nd; ++i) fits = x.size(static_cast<int64_t>(ndim - nd + i)) == normalized_shape[i];
  EMBER_CHECK(fits, "Given normalized_shape=", dims_list(normalized_shape), ", expected input with shape ",
              dims_list(normalized_shape, "*"), ", but got input of size", dims_list(x.sizes()));
}

}  // namespace

Tensor layer_norm(const Tensor& x_arg, const Dims& normalized_shape, const Tensor& weight_arg, const Tensor& bias_arg,
                  double eps) {
  EMBER_PROFILE_OP("layer_norm");
  // Under autocast layer_norm runs in float32, as in PyTorch's lists (Note [Autocast]).
  const auto [x, weight, bias] = autocast::cast_inputs(autocast::CastPolicy::Float32, x_arg, weight_arg, bias_arg);
  check_normalized_input(x, normalized_shape, weight, bias);
  const size_t nd = normalized_shape.size(), ndim = static_cast<size_t>(x.dim());
  check_floating(x, "layer_norm");
  native::check_same_device(x, {&weight, &bias}, "layer_norm");
  int64_t M = 1, K = 1;
  for (size_t i = 0; i < ndim; ++i) (i < ndim - nd ? M : K) *= x.size(static_cast<int64_t>(i));
  return row_norm("NativeLayerNormBackward", x, weight, bias, RowNormGeometry{M, K, 1, K, 1}, eps);
}

// Not on PyTorch's autocast lists: the result has x's dtype under autocast too.
Tensor rms_norm(const Tensor& x, const Dims& normalized_shape, const Tensor& weight, std::optional<double> eps) {
  EMBER_PROFILE_OP("rms_norm");
  check_normalized_input(x, normalized_shape, weight, Tensor());
  check_floating(x, "rms_norm");
  native::check_same_device(x, {&weight}, "rms_norm");
  // PyTorch's composite: 16-bit x upcast to float32, eps defaulting to that compute dtype's
  // epsilon, rsqrt(mean(x^2) + eps) over the normalized dims, the weight, one rounding back.
  const DType compute = compute_dtype(x.dtype());
  const Tensor wide = x.to(compute);
  const double float_epsilon = std::numeric_limits<float>::epsilon();
  const double epsilon = eps.value_or(compute == kFloat64 ? std::numeric_limits<double>::epsilon() : float_epsilon);
  Dims dims;
  for (size_t i = 0; i < normalized_shape.size(); ++i) dims.push_back(-1 - static_cast<int64_t>(i));
  Tensor out = wide * ((wide * wide).mean(dims, true) + epsilon).rsqrt();
  if (weight.defined()) out = out * weight;
  return out.to(x.dtype());
}

Tensor group_norm(const Tensor& x_arg, int64_t num_groups, const Tensor& weight_arg, const Tensor& bias_arg,
                  double eps) {
  EMBER_PROFILE_OP("group_norm");
  const auto [x, weight, bias] = autocast::cast_inputs(autocast::CastPolicy::Float32, x_arg, weight_arg, bias_arg);
  EMBER_CHECK(x.dim() >= 2, "Expected at least 2 dimensions for input tensor but received ", x.dim());
  EMBER_CHECK(num_groups > 0, "Expected num groups to be greater than 0, got ", num_groups);
  const int64_t N = x.size(0), C = x.size(1);
  EMBER_CHECK(C % num_groups == 0, "Expected number of channels in input to be divisible by num_groups, but got "
              "input of shape ", dims_list(x.sizes()), " and num_groups=", num_groups);
  for (const auto& [t, name] : {std::pair{&weight, "weight"}, std::pair{&bias, "bias"}}) {
    EMBER_CHECK(!t->defined() || (t->dim() == 1 && t->numel() == C), "Expected ", name, " to be a vector of size "
                "equal to the number of channels in input, but got ", name, " of shape ", dims_list(t->sizes()),
                " and input of shape ", dims_list(x.sizes()));
  }
  check_floating(x, "group_norm");
  native::check_same_device(x, {&weight, &bias}, "group_norm");
  int64_t S = 1;
  for (int64_t d = 2; d < x.dim(); ++d) S *= x.size(d);
  const int64_t D = C / num_groups;
  // PyTorch's F.group_norm checks [N * C / G, G, *spatial] as batch_norm's batches: one value
  // per group normalizes to 0 whatever it is.
  if (N * D * S == 1) {
    Dims grouped{N * D, num_groups};
    for (int64_t d = 2; d < x.dim(); ++d) grouped.push_back(x.size(d));
    EMBER_FAIL("Expected more than 1 value per channel when training, got input size ", grouped);
  }
  // A channels-last x is read through contiguous() (a copy) and the output is NCHW, as
  // PyTorch 1.13's CUDA group_norm does: each (n, group) row is then one dense run.
  return row_norm("NativeGroupNormBackward", x, weight, bias, RowNormGeometry{N * num_groups, D * S, num_groups, D, S},
                  eps);
}

}  // namespace ember::nn::functional
