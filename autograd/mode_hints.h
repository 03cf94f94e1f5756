// What autograd notices about the two switches (Note [Mode diagnostics] in
// nn/diagnostics.h): the thread-local marks nn sets during a forward, the per-gradient
// bookkeeping of AccumulateGrad and the optimizers, and the reporter nn installs.
// autograd only collects facts; nn/diagnostics decides levels, messages and counts.
#pragma once
#include <cstdint>
#include <string>

namespace ember {
struct TensorImpl;
}

namespace ember::autograd::hints {

// Note [Untracked results]
// backward() on a tensor that does not require grad fails with PyTorch's message; the
// usual cause is a forward that ran under no_grad or inference mode. So a result that an
// op did not record although one of its inputs required grad (grad mode was off) carries
// AutogradMeta::untracked_origin, and results computed from such a tensor inherit it.
// Ops set it through will_record_into(out, inputs...) (autograd/record.h): will_record,
// plus, only when it returns false and an input carries the mark or requires grad, one
// byte on out. Tensors that never met a parameter (data, labels) stay unmarked.
enum class Untracked : uint8_t { No = 0, NoGrad = 1, InferenceMode = 2 };

// Set by nn::Module's call operator for the top-level forward in progress (and kept for
// the ops after it until the next top-level forward), read by Node's constructor:
//  - eval_owner: the top-level module, when it runs in eval mode with recording on;
//  - eval_note: nonzero once a module whose behaviour depends on the training flag ran
//    in eval mode with recording on (an id nn/diagnostics resolves to the module).
inline thread_local const void* tls_eval_owner = nullptr;
inline thread_local uint32_t tls_eval_note = 0;
// The eval note of the backward in progress (engine), read by AccumulateGrad.
inline thread_local uint32_t tls_backward_eval_note = 0;

// Per-leaf bookkeeping for the optimizers' checks, kept in AutogradMeta. "Seen" is the
// gradient as AccumulateGrad left it (storage and version): a gradient zeroed in place
// or replaced since has another version or storage, so stale marks never apply.
struct GradMarks {
  uint32_t eval_note = 0;              // a backward into this grad went through an eval-mode forward
  const void* seen_storage = nullptr;  // grad's storage after the last accumulation
  uint32_t seen_version = 0;
  const void* applied_by = nullptr;    // the optimizer whose step applied grad as seen
  int64_t applied_step = 0;            // that optimizer's step count (from 1)
  uint32_t applied_group = 0, applied_index = 0;
};

// Installed once by nn/diagnostics. Each may be null (then autograd stays silent).
struct Reporter {
  // backward on a tensor with an Untracked mark: returns the hint to append ("" for none).
  std::string (*backward_on_no_grad)(Untracked origin) = nullptr;
  // A graph recorded in eval mode and destroyed without backward; never throws.
  void (*unused_graph)(const void* owner, int64_t bytes) = nullptr;
  // backward accumulates into a gradient an optimizer step already applied; may throw
  // (before the gradient changes).
  void (*grad_across_steps)(const TensorImpl& leaf, const GradMarks& marks) = nullptr;
};
void set_reporter(const Reporter& reporter);
const Reporter& reporter();

}  // namespace ember::autograd::hints
