// CPU fused Adadelta, Adamax, NAdam and RAdam updates: one pass over a dense parameter,
// its gradient and its two state buffers, parallel over elements; the update math is
// core/optim_math_more.h's, shared with the CUDA kernels (cuda/optim_step_more.cu); 16-bit
// parameters update through float (Note [16-bit optimizer steps] in core/optim_stored.h).
#include "core/cpu/kernels.h"
#include "core/fused_operands.h"
#include "core/optim_math_more.h"
#include "core/optim_stored.h"
#include "core/parallel.h"

namespace ember::cpu {

namespace {

// Runs Update<T>::from(args) over every element of param, grad, a and b (the two state
// buffers), after checking that they are laid out alike.
template <template <typename> class Update, typename Args>
void two_buffer_step(const char* op, const Tensor& param, const Tensor& grad, const Tensor& a, const Tensor& b,
                     const Args& args) {
  for (const Tensor* operand : {&grad, &a, &b}) fused::check_like_param(op, param, *operand);
  visit_floating_or_reduced(param.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto update = fused::stored_as<T>(Update<ComputeType<T>>::from(args));
    T* p = param.data_ptr<T>();
    const T* g = grad.data_ptr<T>();
    T* s0 = a.data_ptr<T>();
    T* s1 = b.data_ptr<T>();
    parallel_for(0, param.numel(), kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) update(p[i], g[i], s0[i], s1[i]);
    });
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

}  // namespace ember::cpu
