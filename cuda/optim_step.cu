// CUDA fused optimizer updates (SGD, Adam/AdamW, RMSprop, Adagrad): one grid-stride pass
// over a contiguous parameter, its gradient and its state. The update math is
// core/optim_math.h's (rounded like the CPU's, so both devices give the same bits); a
// capturable step reads its lr (and Adam's beta1 and step count) from device memory
// (Note [Capturable optimizers]). 16-bit parameters update through float (Note [16-bit
// optimizer steps] in core/optim_stored.h).
#include <cuda_runtime.h>

#include "core/fused_operands.h"
#include "core/optim_math_adaptive.h"
#include "core/optim_stored.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::blocks_for;
using cuda::detail::current_raw_stream;
using cuda::detail::kThreadsPerBlock;

// C: the type T computes in (ComputeType<T>).
template <typename T, typename C = ComputeType<T>>
__global__ void sgd_step_kernel(T* __restrict__ param, const T* __restrict__ grad, T* __restrict__ momentum_buf,
                                int64_t n, fused::SgdUpdate<C> args) {
  const auto update = fused::stored_as<T>(args.resolved());  // capturable: lr from device memory
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    T unused{};
    update(param[i], grad[i], momentum_buf != nullptr ? momentum_buf[i] : unused);
  }
}

template <typename T, typename C = ComputeType<T>>
__global__ void adam_step_kernel(T* __restrict__ param, const T* __restrict__ grad, T* __restrict__ exp_avg,
                                 T* __restrict__ exp_avg_sq, T* __restrict__ max_exp_avg_sq, int64_t n,
                                 fused::AdamUpdate<C> args) {
  const auto update = fused::stored_as<T>(args.resolved());  // capturable: lr, beta1, t from device memory
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    T unused{};
    update(param[i], grad[i], exp_avg[i], exp_avg_sq[i], max_exp_avg_sq != nullptr ? max_exp_avg_sq[i] : unused);
  }
}

template <typename T, typename C = ComputeType<T>>
__global__ void rmsprop_step_kernel(T* __restrict__ param, const T* __restrict__ grad, T* __restrict__ square_avg,
                                    T* __restrict__ momentum_buf, T* __restrict__ grad_avg, int64_t n,
                                    fused::RmspropUpdate<C> args) {
  const auto update = fused::stored_as<T>(args);
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    T unused_buf{}, unused_ga{};
    update(param[i], grad[i], square_avg[i], momentum_buf != nullptr ? momentum_buf[i] : unused_buf,
           grad_avg != nullptr ? grad_avg[i] : unused_ga);
  }
}

template <typename T, typename C = ComputeType<T>>
__global__ void adagrad_step_kernel(T* __restrict__ param, const T* __restrict__ grad, T* __restrict__ sum, int64_t n,
                                    fused::AdagradUpdate<C> args) {
  const auto update = fused::stored_as<T>(args);
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    update(param[i], grad[i], sum[i]);
  }
}

}  // namespace

void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdStepArgs& args) {
  const bool use_momentum = fused::check_sgd_operands(param, grad, momentum_buf, args);
  const int64_t n = param.numel();
  if (n == 0) return;
  visit_floating_or_reduced(param.dtype(), "sgd_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* buf = use_momentum ? momentum_buf.data_ptr<T>() : nullptr;
    sgd_step_kernel<T><<<blocks_for(n), kThreadsPerBlock, 0, current_raw_stream()>>>(
        param.data_ptr<T>(), grad.data_ptr<T>(), buf, n, fused::SgdUpdate<ComputeType<T>>::from(args));
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& max_exp_avg_sq, const AdamStepArgs& args) {
  const bool amsgrad = fused::check_adam_operands(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, args);
  const int64_t n = param.numel();
  if (n == 0) return;
  visit_floating_or_reduced(param.dtype(), "adam_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* max_v = amsgrad ? max_exp_avg_sq.data_ptr<T>() : nullptr;
    adam_step_kernel<T><<<blocks_for(n), kThreadsPerBlock, 0, current_raw_stream()>>>(
        param.data_ptr<T>(), grad.data_ptr<T>(), exp_avg.data_ptr<T>(), exp_avg_sq.data_ptr<T>(), max_v, n,
        fused::AdamUpdate<ComputeType<T>>::from(args));
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void rmsprop_step(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& momentum_buf,
                  const Tensor& grad_avg, const RmspropStepArgs& args) {
  fused::check_rmsprop_operands(param, grad, square_avg, momentum_buf, grad_avg, args);
  const int64_t n = param.numel();
  if (n == 0) return;
  visit_floating_or_reduced(param.dtype(), "rmsprop_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto update = fused::RmspropUpdate<ComputeType<T>>::from(args);
    T* buf = update.use_momentum ? momentum_buf.data_ptr<T>() : nullptr;
    T* ga = update.centered ? grad_avg.data_ptr<T>() : nullptr;
    rmsprop_step_kernel<T><<<blocks_for(n), kThreadsPerBlock, 0, current_raw_stream()>>>(
        param.data_ptr<T>(), grad.data_ptr<T>(), square_avg.data_ptr<T>(), buf, ga, n, update);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void adagrad_step(const Tensor& param, const Tensor& grad, const Tensor& sum, const AdagradStepArgs& args) {
  fused::check_adagrad_operands(param, grad, sum);
  const int64_t n = param.numel();
  if (n == 0) return;
  visit_floating_or_reduced(param.dtype(), "adagrad_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    adagrad_step_kernel<T><<<blocks_for(n), kThreadsPerBlock, 0, current_raw_stream()>>>(
        param.data_ptr<T>(), grad.data_ptr<T>(), sum.data_ptr<T>(), n,
        fused::AdagradUpdate<ComputeType<T>>::from(args));
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember::cuda_kernels
