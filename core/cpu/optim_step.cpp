// CPU fused optimizer updates (SGD, Adam/AdamW, RMSprop, Adagrad): one pass over a dense
// parameter, its gradient and its state, parallel over elements; the update math is
// core/optim_math.h's and optim_math_adaptive.h's, shared with the CUDA kernels
// (cuda/optim_step.cu). 16-bit parameters update through float (Note [16-bit optimizer
// steps] in core/optim_stored.h).
#include "core/cpu/kernels.h"
#include "core/fused_operands.h"
#include "core/optim_math_adaptive.h"
#include "core/optim_stored.h"
#include "core/parallel.h"

namespace ember::cpu {

namespace {

// Element i of an optional state buffer: buf[i], or a scratch value the update may write
// when the buffer is not used.
template <typename T>
T& element_or(T* buf, int64_t i, T& scratch) {
  return buf != nullptr ? buf[i] : scratch;
}

template <typename T>
T* data_if(bool used, const Tensor& t) {
  return used ? t.data_ptr<T>() : nullptr;
}

}  // namespace

void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdStepArgs& args) {
  const bool use_momentum = fused::check_sgd_operands(param, grad, momentum_buf, args);
  visit_floating_or_reduced(param.dtype(), "sgd_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    // capturable: lr from memory
    const auto update = fused::stored_as<T>(fused::SgdUpdate<ComputeType<T>>::from(args).resolved());
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

void sgd_step_many(const std::vector<SgdOperands>& params, const SgdStepArgs& args) {
  for (const SgdOperands& o : params) {
    SgdStepArgs one = args;
    one.first_step = o.first_step;
    sgd_step(o.param, o.grad, o.momentum_buf, one);
  }
}

void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& max_exp_avg_sq, const AdamStepArgs& args) {
  const bool amsgrad = fused::check_adam_operands(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, args);
  visit_floating_or_reduced(param.dtype(), "adam_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto update = fused::stored_as<T>(fused::AdamUpdate<ComputeType<T>>::from(args).resolved());
    T* p = param.data_ptr<T>();
    const T* g = grad.data_ptr<T>();
    T* m = exp_avg.data_ptr<T>();
    T* v = exp_avg_sq.data_ptr<T>();
    T* max_v = data_if<T>(amsgrad, max_exp_avg_sq);
    parallel_for(0, param.numel(), kParallelGrain, [&](int64_t lo, int64_t hi) {
      T unused{};
      for (int64_t i = lo; i < hi; ++i) update(p[i], g[i], m[i], v[i], element_or(max_v, i, unused));
    });
  });
}

void rmsprop_step(const Tensor& param, const Tensor& grad, const Tensor& square_avg, const Tensor& momentum_buf,
                  const Tensor& grad_avg, const RmspropStepArgs& args) {
  fused::check_rmsprop_operands(param, grad, square_avg, momentum_buf, grad_avg, args);
  visit_floating_or_reduced(param.dtype(), "rmsprop_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto float_update = fused::RmspropUpdate<ComputeType<T>>::from(args);
    const auto update = fused::stored_as<T>(float_update);
    T* p = param.data_ptr<T>();
    const T* g = grad.data_ptr<T>();
    T* sa = square_avg.data_ptr<T>();
    T* buf = data_if<T>(float_update.use_momentum, momentum_buf);
    T* ga = data_if<T>(float_update.centered, grad_avg);
    parallel_for(0, param.numel(), kParallelGrain, [&](int64_t lo, int64_t hi) {
      T unused_buf{}, unused_ga{};
      for (int64_t i = lo; i < hi; ++i)
        update(p[i], g[i], sa[i], element_or(buf, i, unused_buf), element_or(ga, i, unused_ga));
    });
  });
}

void adagrad_step(const Tensor& param, const Tensor& grad, const Tensor& sum, const AdagradStepArgs& args) {
  fused::check_adagrad_operands(param, grad, sum);
  visit_floating_or_reduced(param.dtype(), "adagrad_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto update = fused::stored_as<T>(fused::AdagradUpdate<ComputeType<T>>::from(args));
    T* p = param.data_ptr<T>();
    const T* g = grad.data_ptr<T>();
    T* s = sum.data_ptr<T>();
    parallel_for(0, param.numel(), kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) update(p[i], g[i], s[i]);
    });
  });
}

}  // namespace ember::cpu
