// CPU fused optimizer updates: one pass over a contiguous parameter, its gradient and
// its state, parallel over elements; the update math is core/optim_math.h's, shared
// with the CUDA kernels (cuda/optim_step.cu).
#include "core/cpu/kernels.h"
#include "core/fused_operands.h"
#include "core/optim_math.h"
#include "core/parallel.h"

namespace ember::cpu {

void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdStepArgs& args) {
  const bool use_momentum = fused::check_sgd_operands(param, grad, momentum_buf, args);
  visit_floating(param.dtype(), "sgd_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto update = fused::SgdUpdate<T>::from(args).resolved();  // capturable: lr from memory
    T* p = param.data_ptr<T>();
    const T* g = grad.data_ptr<T>();
    T* buf = use_momentum ? momentum_buf.data_ptr<T>() : nullptr;
    parallel_for(0, param.numel(), kParallelGrain, [&](int64_t lo, int64_t hi) {
      if (buf != nullptr) {
        for (int64_t i = lo; i < hi; ++i) update(p[i], g[i], buf[i]);
      } else {
        T unused{};
        for (int64_t i = lo; i < hi; ++i) update(p[i], g[i], unused);
      }
    });
  });
}

void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const AdamStepArgs& args) {
  fused::check_adam_operands(param, grad, exp_avg, exp_avg_sq);
  visit_floating(param.dtype(), "adam_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto update = fused::AdamUpdate<T>::from(args).resolved();
    T* p = param.data_ptr<T>();
    const T* g = grad.data_ptr<T>();
    T* m = exp_avg.data_ptr<T>();
    T* v = exp_avg_sq.data_ptr<T>();
    parallel_for(0, param.numel(), kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) update(p[i], g[i], m[i], v[i]);
    });
  });
}

}  // namespace ember::cpu
