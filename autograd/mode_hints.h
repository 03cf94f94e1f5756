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

// Set by nn::Module's call operator for the top-level forward in progress, read by Node's
// constructor:
//  - eval_owner: the top-level module, when it runs in eval mode with recording on (kept
//    for the ops after it until the next top-level forward: a loss computed on its output);
//  - eval_note: nonzero once a module whose behaviour depends on the training flag ran
//    in eval mode with recording on (an id nn/diagnostics resolves to the module), until
//    the top-level forward returns: later ops reach it through the graph (the module's
//    output node carries it), so a detached eval-mode network's output adds none.
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
  // A backward added to the gradient applied_by's step had applied, unchanged since:
  // applied_by's next step would apply it again (reported there, grad_across_steps).
  bool added_after_apply = false;
};

// Installed once by nn/diagnostics. Each may be null (then autograd stays silent).
struct Reporter {
  // backward on a tensor with an Untracked mark: returns the hint to append ("" for none).
  std::string (*backward_on_no_grad)(Untracked origin) = nullptr;
  // A graph recorded in eval mode and destroyed without backward; never throws.
  void (*unused_graph)(const void* owner, int64_t bytes) = nullptr;
};
void set_reporter(const Reporter& reporter);
const Reporter& reporter();

}  // namespace ember::autograd::hints
