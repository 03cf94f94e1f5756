// CUDA fused Adadelta, Adamax, NAdam and RAdam updates: one grid-stride pass over a dense
// parameter, its gradient and its two state buffers. The update math is
// core/optim_math_more.h's, rounded like the CPU's, so both devices give the same bits.
// None is capturable: the host passes lr and the step-count terms by value.
#include <cuda_runtime.h>

#include <type_traits>

#include "core/fused_operands.h"
#include "core/optim_math_more.h"
#include "core/optim_stored.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::blocks_for;
using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

template <typename Update, typename T>
__global__ void two_buffer_step_kernel(T* __restrict__ param, const T* __restrict__ grad, T* __restrict__ a,
                                       T* __restrict__ b, int64_t n, Update update) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    update(param[i], grad[i], a[i], b[i]);
  }
}

// Launches Update<T>::from(args) over param, grad and the state buffers a and b, after
// checking that they are laid out alike.
template <template <typename> class Update, typename Args>
void two_buffer_step(const char* op, const Tensor& param, const Tensor& grad, const Tensor& a, const Tensor& b,
                     const Args& args) {
  for (const Tensor* operand : {&grad, &a, &b}) fused::check_like_param(op, param, *operand);
  const int64_t n = param.numel();
  if (n == 0) return;
  visit_floating_or_reduced(param.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    // 16-bit parameters through float (Note [16-bit optimizer steps] in core/optim_stored.h).
    const auto update = fused::stored_as<T>(Update<ComputeType<T>>::from(args));
    using Wrapped = std::remove_cv_t<decltype(update)>;
    two_buffer_step_kernel<Wrapped, T><<<blocks_for(n), kThreadsPerBlock, 0, current_raw_stream()>>>(
        param.data_ptr<T>(), grad.data_ptr<T>(), a.data_ptr<T>(), b.data_ptr<T>(), n, update);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace

void adadelta_step(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& acc_delta,
                   const AdadeltaStepArgs& args) {
  two_buffer_step<fused::AdadeltaUpdate>("adadelta_step", param, grad, square_avg, acc_delta, args);
}

void adamax_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_inf,
                 const AdamaxStepArgs& args) {
  two_buffer_step<fused::AdamaxUpdate>("adamax_step", param, grad, exp_avg, exp_inf, args);
}

void nadam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                const NadamStepArgs& args) {
  two_buffer_step<fused::NadamUpdate>("nadam_step", param, grad, exp_avg, exp_avg_sq, args);
}

void radam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                const RadamStepArgs& args) {
  two_buffer_step<fused::RadamUpdate>("radam_step", param, grad, exp_avg, exp_avg_sq, args);
}

}  // namespace ember::cuda_kernels
