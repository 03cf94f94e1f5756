// Automatic mixed precision (torch.autocast): AutocastGuard switches bf16 or float16 autocast
// on (or off) for one device type in this thread, and the ops' entry points cast their
// inputs with autocast::cast_inputs according to their CastPolicy (core/autocast.cpp).
//
// Note [Autocast]
// Inside `AutocastGuard ac(Device::cuda(0), kBFloat16);` (or kFloat16, torch.autocast's
// default on CUDA) ops on tensors of that device type cast their floating inputs, as
// PyTorch's autocast lists do ("bf16" below stands for the guard's dtype):
//   - LowerPrecision: the convolutions (1-D to 3-D, transposed too), linear, matmul, mm,
//     mv, bmm, addmm, addmv, addr, addbmm, baddbmm, einsum, multi_dot, chain_matmul, vecdot,
//     prelu and scaled_dot_product_attention (q, k, v and a float mask cast at its entry) run
//     in bf16 (float32 inputs are cast down;
//     their kernels accumulate in fp32: Note [BFloat16] in core/bfloat16.h);
//   - Float32: layer_norm, group_norm, softmax, log_softmax, the losses (cross_entropy,
//     nll_loss, mse_loss, l1, smooth_l1, huber, BCE with logits, kl_div, the margin and
//     Poisson losses), sum, prod, cumsum, cumprod, logsumexp, the norms and distances,
//     cosine_similarity, renorm, softplus, exp, expm1, log and its variants, pow, reciprocal,
//     rsqrt, the trigonometric ones PyTorch lists (acos, asin, tan, sinh, cosh, erfinv),
//     interpolate's upsampling modes and, on the CPU, grid_sample run in float32 (bf16
//     inputs are cast up);
//   - Promote: bilinear, dot, scatter_add, on CUDA grid_sample and on the CPU index_copy cast
//     their inputs to the widest dtype among them (promote_inputs), where their kernels take
//     one dtype;
//   - every other op takes the widest input dtype by ordinary promotion (bf16 + float32
//     is float32), so nothing else casts.
// float64 tensors, integer tensors and tensors of the other device type are never cast.
// Autocast.OpListsAsPyTorchs (tests/nn/test_autocast.cpp) checks these ops' dtypes against
// PyTorch's CUDA lists. batch_norm and mean are on none, as in PyTorch: a bf16 mean sums
// in float and stays bf16; batch_norm (pytorch/pytorch#88929) normalizes a bf16 input in
// float with the float32 weight and statistics, and its output is bf16 (Note [16-bit
// layers outside autocast] in nn/functional/args.h), half the bytes of a float32 output
// for the layers after it to hold.
// Casts are the differentiable Tensor::to, whose backward casts the gradient back to
// the source dtype: float32 parameters get float32 gradients, and parameters and the
// optimizer state stay float32. The bf16 copy of a float32 leaf tensor that requires grad
// (a parameter) is made once and reused until the outermost guard of the thread exits,
// which clears the cache (keyed by the tensor, the dtype and whether autograd records, so
// a copy made under no_grad, which has no graph, is never reused by a recording forward).
// Under a float16 guard a bfloat16 tensor is cast to float16 too (LowerPrecision) and
// widened to float32 (Float32), and the other way round, as PyTorch's casts do.
// A CUDA guard where CUDA is not available warns and stays disabled, as PyTorch's.
// Autocast applies under no_grad and inference mode as well (it changes dtypes, not
// recording), as in PyTorch. `AutocastGuard(device, kBFloat16, false)` inside a guard
// switches autocast off for its scope (torch.autocast(enabled=False)). float16 autocast
// differs only in range: its gradients underflow unless the loss is scaled by
// amp::GradScaler (Note [Float16] in core/half.h), as PyTorch's recipe does; bf16's need not.
#pragma once
#include <array>
#include <cstddef>
#include <optional>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/tensor.h"

namespace ember {

// Autocast to `dtype` for `device`'s type while in scope (enabled = false: off). kBFloat16
// and kFloat16 are supported; with another dtype an enabled guard warns and disables autocast
// for its scope (PyTorch's CPU autocast), a disabled one checks nothing.
// cache_enabled: PyTorch's argument of that name (torch.is_autocast_cache_enabled() when not
// given): false keeps the casts of parameters made in its scope out of the cast cache.
class AutocastGuard {
 public:
  AutocastGuard(Device device, DType dtype, bool enabled = true, std::optional<bool> cache_enabled = std::nullopt);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  DeviceType type_;
  bool previous_enabled_;
  DType previous_dtype_;
  bool previous_cache_enabled_;
};

namespace autocast {

bool is_enabled(DeviceType type);
// The lower-precision dtype autocast uses for `type` (until a guard sets another, PyTorch's
// defaults: kBFloat16 on the CPU, kFloat16 on CUDA).
DType get_dtype(DeviceType type);
// Entries in the cast cache of this thread (0 outside every enabled guard).
size_t cached_casts();
// torch.clear_autocast_cache / is_autocast_cache_enabled / set_autocast_cache_enabled, for
// this thread (a guard restores the flag it found).
void clear_cache();
bool is_cache_enabled();
void set_cache_enabled(bool enabled);

enum class CastPolicy { LowerPrecision, Float32 };

// Whether t is a 16-bit float (bfloat16 or float16, whichever the guard's dtype) while
// autocast is on for its device type: what a Float32 op widens.
bool is_lower_precision(const Tensor& t);

// t as an op of `policy` takes it under the current autocast state: unchanged unless
// autocast is on for t's device type and t is a float32 or the other 16-bit float
// (LowerPrecision: cast to the guard's dtype) or a bf16 / float16 (Float32) tensor, as
// PyTorch's cached_cast. Undefined tensors pass through.
Tensor cast(CastPolicy policy, const Tensor& t);

// PyTorch's promote policy (bilinear; grid_sample on CUDA): while autocast is on for the
// inputs' device type, every floating input that is not float64 is cast to the widest of
// their dtypes (bf16 with float32: float32); otherwise, and undefined ones, as given.
std::vector<Tensor> promote_inputs(const std::vector<Tensor>& inputs);

// cast(policy, t) for each input: `auto [x, w, b] = cast_inputs(policy, x_in, w_in, b_in);`
template <typename... Ts>
std::array<Tensor, sizeof...(Ts)> cast_inputs(CastPolicy policy, const Ts&... inputs) {
  return {cast(policy, inputs)...};
}

}  // namespace autocast
}  // namespace ember
