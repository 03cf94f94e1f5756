// The five checks of ember::diagnostics (Note [Mode diagnostics] in nn/diagnostics.h):
// their messages, the registry of eval-mode notes and model names, and the reporter
// that autograd calls (autograd/mode_hints.h), installed when this file is linked.
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "autograd/mode_hints.h"
#include "autograd/node.h"
#include "autograd/saved_variable.h"
#include "core/grad_mode.h"
#include "core/logging.h"
#include "nn/diagnostics.h"
#include "nn/module.h"
#include "nn/optim/optimizer.h"

namespace ember::diagnostics::detail {
namespace {

namespace hints = autograd::hints;

// A module that ran in eval mode with recording on, as step_after_eval_forward names it.
struct EvalNote {
  const void* module = nullptr;
  std::string label;
  std::function<std::string()> effect;  // Module::eval_mode_effect_later's
  bool has_parameters = false;          // else requires_grad_(false) cannot silence it
};

struct Registry {
  std::mutex mu;
  std::vector<EvalNote> notes;                                 // id = index + 1
  std::map<std::pair<const void*, std::string>, uint32_t> ids;  // (module, dotted name) -> id
  std::map<const void*, std::string> owners;                   // top-level module -> its type name
  std::weak_ptr<nn::Module> last_top;
  const void* last_top_raw = nullptr;
};

Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: graphs may die at exit
  return *r;
}

std::string label(const std::string& dotted, const std::string& type) {
  return dotted.empty() ? type : "'" + dotted + "' (" + type + ")";
}

std::string mib_and_bytes(int64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f MiB (%lld bytes)", static_cast<double>(bytes) / (1024.0 * 1024.0),
                static_cast<long long>(bytes));
  return buf;
}

std::string dims_str(const Dims& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

std::string name_of_parameter(const void* impl) {
  std::shared_ptr<nn::Module> top;
  {
    std::lock_guard<std::mutex> lock(registry().mu);
    top = registry().last_top.lock();
  }
  if (!top) return "";
  for (const auto& [name, t] : top->named_parameters())
    if (t.impl_ptr().get() == impl) return name;
  return "";
}

// ---------------------------------------------------------------- autograd's reporter
std::string backward_on_no_grad_hint(hints::Untracked origin) {
  if (level_of(Check::BackwardOnNoGrad) == Level::Ignore) return "";
  const bool inference = origin == hints::Untracked::InferenceMode;
  const char* guard = inference ? "InferenceModeGuard (inference mode)" : "NoGradGuard (grad mode off)";
  std::string hint = ember::detail::str_cat(
      ". Hint (backward_on_no_grad): this tensor was computed under ", guard,
      " from tensors that require grad, so nothing was recorded for backward; run the forward you "
      "train through outside the ", inference ? "InferenceModeGuard" : "NoGradGuard", " scope");
  count_only(Check::BackwardOnNoGrad, hint.substr(2));
  return hint;
}

void unused_graph(const void* owner, int64_t bytes) noexcept {
  try {
    const int64_t threshold = unused_graph_threshold();
    if (bytes <= threshold || level_of(Check::UnusedGraph) == Level::Ignore) return;
    std::string model;
    {
      std::lock_guard<std::mutex> lock(registry().mu);
      auto it = registry().owners.find(owner);
      model = it == registry().owners.end() ? "the model" : it->second;
    }
    fire(Check::UnusedGraph, owner,
         ember::detail::str_cat("unused_graph: a graph recorded while ", model, " was in eval mode saved ",
                                mib_and_bytes(bytes), " for backward (threshold ", mib_and_bytes(threshold),
                                ") and was destroyed without any backward through it; run evaluation under "
                                "NoGradGuard or InferenceModeGuard so nothing is saved."),
         /*deferred=*/true);
  } catch (const std::exception& e) {
    logging::error("diagnostics: {}", e.what());  // destructors only log
  }
}

void grad_across_steps(const TensorImpl& leaf, const hints::GradMarks& marks) {
  const std::string name = name_of_parameter(&leaf);
  fire(Check::GradAcrossSteps, marks.applied_by,
       ember::detail::str_cat("grad_across_steps: backward accumulated into the gradient of ",
                              name.empty() ? "a parameter" : "'" + name + "'", " (parameter ", marks.applied_index,
                              " of group ", marks.applied_group, ", shape ", dims_str(leaf.sizes),
                              ") that optimizer step ", marks.applied_step,
                              " already applied, so this step applies that gradient again; call "
                              "optimizer.zero_grad() (or model.zero_grad()) after each step()."));
}

const bool kReporterInstalled = [] {
  hints::set_reporter({&backward_on_no_grad_hint, &unused_graph});
  return true;
}();

bool frozen(const nn::Module& m) {
  bool any = false;
  for (const Tensor& p : m.parameters()) {
    if (p.requires_grad()) return false;
    any = true;
  }
  return any;
}

}  // namespace

// ---------------------------------------------------------------- called by nn and optim
void end_top_level_forward() { hints::tls_eval_note = 0; }

void begin_top_level_forward(nn::Module& model, bool training) {
  (void)kReporterInstalled;
  throw_if_pending();
  hints::tls_eval_note = 0;
  const bool eval_recording = !training && is_grad_enabled();
  hints::tls_eval_owner = eval_recording ? &model : nullptr;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (r.last_top_raw != &model || r.last_top.expired()) {  // expired: a new module at a reused address
    r.last_top = model.weak_from_this();
    r.last_top_raw = &model;
  }
  if (eval_recording) r.owners.insert_or_assign(&model, "the model (" + model.type_name() + ")");
}

void eval_mode_forward(nn::Module& module, const Tensor& output) {
  if (module.eval_on_purpose() || frozen(module)) return;
  const std::string dotted = autograd::current_ledger_scope();
  if (level_of(Check::StepAfterEvalForward) == Level::Ignore) return;  // the one check that reads the notes
  EvalNote note{&module, label(dotted, module.type_name()), module.eval_mode_effect_later(),
                !module.parameters().empty()};
  uint32_t id = 0;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto [it, added] = r.ids.try_emplace({&module, dotted}, 0);
    if (added) {
      r.notes.emplace_back();
      it->second = static_cast<uint32_t>(r.notes.size());
    }
    id = it->second;
    // Refreshed each time: the effect has numbers, and the address may be a new module's.
    r.notes[id - 1] = std::move(note);
  }
  hints::tls_eval_note = id;
  if (output.defined() && output.grad_fn()) output.grad_fn()->set_eval_note(id);
}

void tiny_batch_norm_batch(const nn::Module& module, const Tensor& input, int64_t values) {
  if (level_of(Check::TinyBatchNormBatch) == Level::Ignore) return;
  fire(Check::TinyBatchNormBatch, &module,
       ember::detail::str_cat("tiny_batch_norm_batch: ", label(autograd::current_ledger_scope(), module.type_name()),
                              " normalized ", values, " values per channel in training mode (input ",
                              dims_str(input.sizes()), "; fewer than ", kTinyBatchNormValues,
                              " makes the batch statistics and the running-statistics update noise); use larger "
                              "batches (or drop_last in the DataLoader), or keep this layer in eval mode."));
}

void check_step(const optim::Optimizer& optimizer, const std::vector<std::vector<Tensor>>& groups) {
  uint32_t note = 0;
  int64_t params = 0, elements = 0;
  const bool across_steps = level_of(Check::GradAcrossSteps) != Level::Ignore;
  for (const auto& group : groups)
    for (const Tensor& p : group) {
      const Tensor g = p.grad();
      if (!g.defined()) continue;
      const hints::GradMarks& m = p.impl().autograd->grad_marks;
      const bool as_seen = m.seen_storage == g.storage().get() && m.seen_version == g.storage()->version();
      if (across_steps && as_seen && m.added_after_apply && m.applied_by == &optimizer) grad_across_steps(p.impl(), m);
      if (!m.eval_note || !as_seen) continue;
      if (!note) note = m.eval_note;
      params += 1;
      elements += p.numel();
    }
  if (!note || level_of(Check::StepAfterEvalForward) == Level::Ignore) return;
  EvalNote n;
  {
    std::lock_guard<std::mutex> lock(registry().mu);
    n = registry().notes.at(note - 1);
  }
  fire(Check::StepAfterEvalForward, n.module,
       ember::detail::str_cat("step_after_eval_forward: optimizer.step() is applying gradients of ", params,
                              " parameters (", elements, " values) that come from a forward in which ", n.label,
                              " ran in eval mode (", n.effect(),
                              "); call model.train() before the training forward "
                              "(or, if this is on purpose, ",
                              n.has_parameters ? "freeze it with requires_grad_(false) or " : "",
                              "call set_eval_on_purpose(true) on it)."));
}

void mark_applied(const optim::Optimizer& optimizer, const std::vector<std::vector<Tensor>>& groups, int64_t step) {
  for (size_t gi = 0; gi < groups.size(); ++gi)
    for (size_t i = 0; i < groups[gi].size(); ++i) {
      const Tensor& p = groups[gi][i];
      const Tensor& g = p.grad();
      if (!g.defined()) continue;
      hints::GradMarks& m = p.impl().autograd->grad_marks;
      const bool seen = m.seen_storage == g.storage().get() && m.seen_version == g.storage()->version();
      if (!seen) m.eval_note = 0;  // the gradient changed since that backward: its note is stale
      m.applied_by = &optimizer;
      m.added_after_apply = false;
      m.applied_step = step;
      m.applied_group = static_cast<uint32_t>(gi);
      m.applied_index = static_cast<uint32_t>(i);
      m.seen_storage = g.storage().get();
      m.seen_version = g.storage()->version();
    }
}

std::string parameter_name(const Tensor& parameter) { return name_of_parameter(parameter.impl_ptr().get()); }

GradRewrite::GradRewrite(const std::vector<Tensor>& params) {
  for (const Tensor& p : params) {
    if (!p.defined()) continue;  // clip_grad_norm_ skips them too
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const hints::GradMarks& m = p.impl().autograd->grad_marks;
    params_.push_back(&p);
    as_seen_.push_back(m.seen_storage == g.storage().get() && m.seen_version == g.storage()->version());
  }
}

void GradRewrite::done() const {
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor g = params_[i]->grad();
    if (!as_seen_[i] || !g.defined()) continue;
    hints::GradMarks& m = params_[i]->impl().autograd->grad_marks;
    if (m.seen_storage != g.storage().get()) continue;  // replaced, not rewritten
    m.seen_version = g.storage()->version();
  }
}

}  // namespace ember::diagnostics::detail
