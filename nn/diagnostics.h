// ember::diagnostics: warnings for the mistakes users make with the two switches
// (module train()/eval() and grad mode), each with the module's dotted name, the
// numbers and the fix in one sentence; levels Ignore / Warn / Error per check, from the
// API or the EMBER_DIAGNOSTICS environment variable; counts of what fired.
//
// Note [Mode diagnostics]
// The training flag decides what is computed and grad mode what is remembered (Note
// [The two switches] in nn/functional/batch_norm.cpp); PyTorch stays silent when they
// are used wrongly. Five checks, each exact (no warning on the legitimate patterns):
//  - step_after_eval_forward: optimizer.step() applies gradients from a forward in which
//    a module whose forward depends on the training flag (BatchNorm tracking running
//    statistics, Dropout with p > 0, a user module overriding depends_on_training_flag)
//    ran in eval mode with recording on. Module's call operator marks the thread
//    (hints::tls_eval_note) and the module's output node; nodes recorded after carry the
//    note; backward() sees it while counting dependencies and AccumulateGrad tags each
//    gradient; step() reads the tags before it updates anything. Silent for a module
//    whose parameters are all frozen (requires_grad false) and for one marked
//    set_eval_on_purpose(true) (fine-tuning with frozen BatchNorm statistics).
//  - unused_graph: a graph recorded while the top-level module was in eval mode is
//    destroyed without any backward (backward or autograd::grad) through it, and it held
//    more than unused_graph_threshold() saved bytes (default 1 MiB; unique storages, as
//    in the saved-activation ledger). Reported from Node's destructor, which may not
//    throw: at Error it is logged, counted, and thrown by the next top-level Module call.
//  - grad_across_steps: the same optimizer is about to step again a gradient it already
//    applied, into which a backward has since accumulated (same storage and version as at
//    that step before the backward), without zero_grad() or set-to-none in between.
//    Accumulating over micro-batches before one step is silent, and so is a GAN's
//    generator backward through the discriminator (its optimizer zeroes D's gradients
//    before D's next step); the report comes from that step, before anything changes.
//  - backward_on_no_grad: backward on a tensor that does not require grad: PyTorch's
//    error ("element 0 of tensors does not require grad and does not have a grad_fn")
//    gains a hint when the tensor was computed under no_grad or inference mode from
//    tensors that require grad (Note [Untracked results] in autograd/mode_hints.h). It is
//    an error anyway, so the levels only decide whether the hint is added (Ignore: not)
//    and the detection is counted.
//  - tiny_batch_norm_batch: a training-mode BatchNorm forward with fewer than
//    kTinyBatchNormValues (8) values per channel (1 value is already an error).
// Warn logs once per module (per model, per optimizer for grad_across_steps) and counts
// every detection; Error throws ember::Error every time, before anything is changed.
// Nothing here changes a numerical result. The hot path pays a flag check per module call,
// a thread-local read per recorded node, a pointer read per node in backward() and a few
// compares per parameter in AccumulateGrad and step(); nothing per element.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ember {
class Tensor;
namespace nn {
class Module;
}
namespace optim {
class Optimizer;
}
}  // namespace ember

namespace ember::diagnostics {

enum class Level { Ignore, Warn, Error };

// "step_after_eval_forward", "unused_graph", "grad_across_steps", "backward_on_no_grad",
// "tiny_batch_norm_batch". An unknown name is an ember::Error listing these.
std::vector<std::string> names();
void set_level(const std::string& name, Level level);
void set_level_all(Level level);
Level level(const std::string& name);

// What fired: detections per check (every name present, zeros included).
std::map<std::string, int64_t> counts();
// Zeroes the counts and forgets which modules were already warned about (for tests).
void reset_counts();
// The last diagnostic message (warned or thrown), "" if none since reset_counts().
std::string last_message();

// "unused_graph=error,grad_across_steps=ignore" ("all=LEVEL" sets every check; later
// entries win). Levels: ignore, warn, error. Anything else is an ember::Error that
// lists the valid names and levels; nothing changes then.
void configure(const std::string& spec);
// Reads EMBER_DIAGNOSTICS again (it is read once, on first use): every check back to
// Warn, then configure(value). Throws as configure does.
void reload_environment();

// unused_graph's threshold in saved bytes (default 1 MiB): a graph must hold more.
void set_unused_graph_threshold(int64_t bytes);
int64_t unused_graph_threshold();
// tiny_batch_norm_batch fires below this many values per channel.
constexpr int64_t kTinyBatchNormValues = 8;

namespace detail {
enum class Check : int { StepAfterEvalForward, UnusedGraph, GradAcrossSteps, BackwardOnNoGrad, TinyBatchNormBatch };
constexpr int kNumChecks = 5;
const char* name_of(Check check);
Level level_of(Check check);
// Counts one detection of `check`; at Warn logs `message` the first time for `key`, at
// Error throws it (unless deferred: then it is logged and thrown by the next top-level
// Module call).
void fire(Check check, const void* key, const std::string& message, bool deferred = false);
// Counts one detection and keeps `message` as the last one, without logging (for a hint
// that goes into an error message).
void count_only(Check check, const std::string& message);
// The pending Error of a deferred check (unused_graph), thrown by the next top-level
// Module call (Module::operator()).
void throw_if_pending();

// Called by nn::Module's call operator (Note [Mode diagnostics]) as the top-level forward
// begins and after it returns.
void begin_top_level_forward(nn::Module& model, bool training);
void end_top_level_forward();
// A module that depends on the training flag ran in eval mode with recording on.
void eval_mode_forward(nn::Module& module, const Tensor& output);
// nn::BatchNorm in training mode with `values` values per channel.
void tiny_batch_norm_batch(const nn::Module& module, const Tensor& input, int64_t values);
// optim::Optimizer::step: before any update, and after all of them.
void check_step(const optim::Optimizer& optimizer, const std::vector<std::vector<Tensor>>& groups);
void mark_applied(const optim::Optimizer& optimizer, const std::vector<std::vector<Tensor>>& groups, int64_t step);
// "0.weight" for a parameter of the last top-level module; "" when unknown.
std::string parameter_name(const Tensor& parameter);
// Gradient utilities that rewrite .grad in place (clip_grad_norm_, clip_grad_value_,
// GradScaler::unscale_): the rewrite is not a new gradient, so the marks the last backward
// left on each one (its eval note, what a step applied) still hold afterwards. Made before
// the rewrite; done() after it.
class GradRewrite {
 public:
  explicit GradRewrite(const std::vector<Tensor>& params);
  void done() const;

 private:
  std::vector<const Tensor*> params_;
  std::vector<bool> as_seen_;  // the gradient was as the last accumulation left it
};
}  // namespace detail

}  // namespace ember::diagnostics
