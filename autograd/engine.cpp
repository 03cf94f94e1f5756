// The backward engine (see engine.h): dependency counting over the graph reachable
// from the roots, a ready queue ordered by sequence number, per-node input buffers,
// and the capture of gradients for autograd::grad.
#include "autograd/engine.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "autograd/hooks.h"
#include "autograd/record.h"
#include "autograd/view_history.h"
#include "core/autocast.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/logging.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/profiler.h"

namespace ember::autograd {
namespace {

std::atomic<bool> g_anomaly{false};

// needed_edges_of_running_node() for this thread, set for one node's apply.
thread_local const std::vector<bool>* tls_needed_edges = nullptr;

class NeededEdgesScope {
 public:
  explicit NeededEdgesScope(const std::vector<bool>* edges) : previous_(std::exchange(tls_needed_edges, edges)) {}
  ~NeededEdgesScope() { tls_needed_edges = previous_; }
  NeededEdgesScope(const NeededEdgesScope&) = delete;
  NeededEdgesScope& operator=(const NeededEdgesScope&) = delete;

 private:
  const std::vector<bool>* previous_;
};

// The callbacks of the backward running on this thread (Note [Gradient-ready hooks] in
// autograd/hooks.h); null outside backward.
thread_local std::vector<std::function<void()>>* tls_final_callbacks = nullptr;
// current_backward_id(): a number per backward run, process-wide.
std::atomic<uint64_t> g_backward_runs{0};
thread_local uint64_t tls_backward_id = 0;

// Makes `callbacks` the queue of this thread's backward for a scope (nested backwards,
// e.g. one run by a hook, keep their own), and gives the backward its id.
class FinalCallbacksScope {
 public:
  explicit FinalCallbacksScope(std::vector<std::function<void()>>* callbacks)
      : previous_(std::exchange(tls_final_callbacks, callbacks)),
        previous_id_(std::exchange(tls_backward_id, g_backward_runs.fetch_add(1) + 1)) {}
  ~FinalCallbacksScope() {
    tls_final_callbacks = previous_;
    tls_backward_id = previous_id_;
  }
  FinalCallbacksScope(const FinalCallbacksScope&) = delete;
  FinalCallbacksScope& operator=(const FinalCallbacksScope&) = delete;

 private:
  std::vector<std::function<void()>>* previous_;
  uint64_t previous_id_;
};

struct GraphTask {
  bool retain_graph = false;
  bool create_graph = false;  // formulas recorded (Note [Higher-order gradients])
  bool accumulate = true;  // false for autograd::grad: leaves' .grad stay untouched
  // backward(inputs=...): only the captures' .grad are accumulated into, a leaf's by its
  // AccumulateGrad, a non-leaf's by retain_grad; both nodes run (Note [Backward to some inputs]).
  bool into_inputs = false;
  std::unordered_map<Node*, int> dependencies;
  std::unordered_map<Node*, tensor_list> buffers;
  // autograd::grad: (node, input_nr) -> index of the captured input
  std::unordered_map<Node*, std::vector<std::pair<uint32_t, size_t>>> captures;
  std::vector<Edge> capture_edges;  // keeps the captured nodes alive while the task runs
  std::unordered_set<Node*> needed;  // autograd::grad: nodes on a path to a capture (or captured)
  std::unordered_set<Node*> to_run;  // autograd::grad: nodes whose outputs reach a capture
  tensor_list captured;
  uint32_t eval_note = 0;  // an eval-mode forward in the graph (Note [Mode diagnostics])
};

// The eval note of the backward in progress, for AccumulateGrad (autograd/mode_hints.h).
class BackwardEvalNoteGuard {
 public:
  explicit BackwardEvalNoteGuard(uint32_t note) : previous_(hints::tls_backward_eval_note) {
    hints::tls_backward_eval_note = note;
  }
  ~BackwardEvalNoteGuard() { hints::tls_backward_eval_note = previous_; }
  BackwardEvalNoteGuard(const BackwardEvalNoteGuard&) = delete;
  BackwardEvalNoteGuard& operator=(const BackwardEvalNoteGuard&) = delete;

 private:
  uint32_t previous_;
};

void add_to_buffer(tensor_list& buffer, uint32_t index, Tensor grad) {
  if (buffer.size() <= index) buffer.resize(index + 1);
  Tensor& slot = buffer[index];
  if (!slot.defined()) {
    slot = std::move(grad);
  } else {
    slot = slot + grad;  // a fresh tensor: slot may alias a gradient held elsewhere
  }
}

void compute_dependencies(GraphTask& task, const std::vector<Node*>& roots) {
  // Each node once, roots too: two roots of one node (backward({y, y}), var_mean's two outputs)
  // counted its edges twice, and the nodes behind it never became ready.
  std::vector<Node*> stack;
  std::unordered_set<Node*> seen;
  for (Node* root : roots)
    if (seen.insert(root).second) stack.push_back(root);
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    if (!task.eval_note) task.eval_note = node->eval_note();
    for (const Edge& e : node->next_edges()) {
      if (!e.valid()) continue;
      task.dependencies[e.fn.get()] += 1;
      if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
    }
  }
}

// Marks nodes from which some capture target is reachable (post-order DFS), and those
// to run: the ones with a needed node behind an edge. A captured node whose own
// gradients reach no capture is not run (as in PyTorch): its gradient is taken as it
// arrives, and its saved tensors stay for a later backward.
bool mark_needed(GraphTask& task, Node* node, std::unordered_map<Node*, bool>& memo) {
  if (auto it = memo.find(node); it != memo.end()) return it->second;
  memo[node] = false;  // graphs are acyclic; this only guards re-entry
  bool feeds_capture = false;
  for (const Edge& e : node->next_edges())
    if (e.valid() && mark_needed(task, e.fn.get(), memo)) feeds_capture = true;
  const bool needed = feeds_capture || task.captures.count(node) > 0;
  memo[node] = needed;
  if (needed) task.needed.insert(node);
  if (feeds_capture) task.to_run.insert(node);
  return needed;
}

void check_anomaly(const Node& node, const tensor_list& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& g = outputs[i];
    if (!g.defined() || !g.is_floating_point()) continue;
    // NaN only, as PyTorch's: an infinite gradient (sqrt at 0) is a value, not an anomaly.
    const bool has_nan = native::any(native::isnan(g.detach())).item<bool>();
    EMBER_CHECK(!has_nan, "Function '", node.name(), "' returned nan values in its ", i, "th output.",
                node.forward_context().empty() ? "" : " The forward op ran at: ", node.forward_context());
  }
}

// The tensor hooks of node's incoming gradients: its own (non-leaf outputs) or, for an
// AccumulateGrad, its leaf's. A copy, as a hook may remove itself; empty for most nodes.
std::vector<TensorHookEntry> tensor_hooks_of(const Node& node) {
  std::vector<TensorHookEntry> hooks = node.tensor_hooks();
  if (const auto* accumulate = dynamic_cast<const AccumulateGrad*>(&node)) {
    const auto& meta = accumulate->leaf()->autograd;
    if (meta) hooks.insert(hooks.end(), meta->tensor_hooks.begin(), meta->tensor_hooks.end());
  }
  return hooks;
}

// A hook's result checked as PyTorch's check_variable_result: same shape, dtype and device.
void check_hook_result(const Node& node, uint64_t handle, const std::string& where, const Tensor& grad,
                       const Tensor& result) {
  EMBER_CHECK(result.sizes() == grad.sizes(), "hook ", handle, " (", where, node.name(),
              ") has changed the size of value: the gradient has shape ", grad.sizes(), " but the hook returned shape ",
              result.sizes());
  EMBER_CHECK(result.dtype() == grad.dtype() && result.device() == grad.device(), "hook ", handle, " (", where,
              node.name(), ") has changed the type of value (was ", dtype_name(grad.dtype()), " on ", grad.device(),
              ", got ", dtype_name(result.dtype()), " on ", result.device(), ")");
}

// Note [Tensor hooks] (engine.h): each incoming gradient of `node` is passed through the
// hooks registered on its tensor, in registration order, each seeing the last one's result.
void run_tensor_hooks(const Node& node, const std::vector<TensorHookEntry>& hooks, tensor_list& inputs) {
  for (const TensorHookEntry& entry : hooks) {
    if (entry.output_nr >= inputs.size() || !inputs[entry.output_nr].defined()) continue;
    Tensor& grad = inputs[entry.output_nr];
    Tensor result = entry.hook(grad);
    if (!result.defined()) continue;
    check_hook_result(node, entry.handle, "on an output of ", grad, result);
    grad = std::move(result);
  }
}

// Note [Node hooks] (engine.h): a node hook's non-empty result replaces the whole list, as
// PyTorch's check_result: one value per gradient, an undefined one dropping its gradient.
void replace_by_node_hook(const Node& node, uint64_t handle, const char* kind, tensor_list& grads,
                          tensor_list result) {
  if (result.empty() && !grads.empty()) return;
  EMBER_CHECK(result.size() == grads.size(), kind, " ", handle, " of ", node.name(),
              " has returned an incorrect number of values (got ", result.size(), ", but expected ", grads.size(),
              ")");
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!result[i].defined()) continue;
    EMBER_CHECK(grads[i].defined(), kind, " ", handle, " of ", node.name(),
                ": can't replace a None gradient with a non-None value (value ", i, ")");
    check_hook_result(node, handle, detail::str_cat("a ", kind, " of "), grads[i], result[i]);
  }
  grads = std::move(result);
}

void run_node_prehooks(const Node& node, tensor_list& grads) {
  const auto hooks = node.pre_hooks();  // a copy: a hook may remove itself
  for (const auto& [handle, hook] : hooks) replace_by_node_hook(node, handle, "pre-hook", grads, hook(grads));
}

void run_node_posthooks(const Node& node, tensor_list& grad_inputs, const tensor_list& grad_outputs) {
  const auto hooks = node.post_hooks();
  for (const auto& [handle, hook] : hooks)
    replace_by_node_hook(node, handle, "post-hook", grad_inputs, hook(grad_inputs, grad_outputs));
}

// Tensor::retain_grad: the gradient flowing into a non-leaf output is kept in its .grad.
void keep_retained_grads(const Node& node, const tensor_list& inputs) {
  for (const auto& [nr, weak] : node.retained_outputs()) {
    auto impl = weak.lock();
    if (!impl || nr >= inputs.size() || !inputs[nr].defined()) continue;
    if (!impl->autograd) continue;
    Tensor& grad = impl->autograd->grad;
    grad = grad.defined() ? grad + inputs[nr] : inputs[nr].clone();
  }
}

// The history a gradient gets from a node ember cannot differentiate through (Note
// [Higher-order gradients] in engine.h): reaching it in a later backward is PyTorch's error.
class NotImplementedBackward final : public Node {
 public:
  explicit NotImplementedBackward(std::string of) : of_(std::move(of)) {}
  std::string name() const override { return "NotImplemented"; }
  tensor_list apply(tensor_list&&) override {
    EMBER_FAIL("the derivative for '", of_, "' is not implemented: its backward runs a kernel ember cannot ",
               "differentiate, so a gradient made with create_graph=true cannot be differentiated again ",
               "through it (Note [Higher-order gradients])");
  }

 private:
  std::string of_;
};

// create_graph through a node whose backward is not recorded: its gradients get a
// NotImplemented history with edges to what the formula read (the forward inputs'
// edges and `grad_edges`, those of the incoming gradients), so a later backward
// reaches it exactly when it would need the missing derivative.
void mark_not_differentiable(tensor_list& outputs, std::vector<Edge> grad_edges, const Node& node) {
  bool any = false;
  for (const Tensor& g : outputs) any = any || g.defined();
  if (!any) return;
  auto error = std::make_shared<NotImplementedBackward>(node.name());
  auto& edges = error->mutable_next_edges();
  edges = node.next_edges();
  edges.insert(edges.end(), grad_edges.begin(), grad_edges.end());
  error->set_num_outputs(static_cast<uint32_t>(outputs.size()));
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].defined()) continue;
    outputs[i] = outputs[i].detach();
    set_history(outputs[i], error, static_cast<uint32_t>(i));
  }
}

struct ReadyOrder {
  bool operator()(Node* a, Node* b) const { return a->sequence_nr() < b->sequence_nr(); }
};

// Note [Deep reentrant backward]
// A backward started inside a backward (a custom Function's backward that runs its own, as
// checkpointing does) runs nested on the same thread. PyTorch hands such a graph task to
// another thread past a depth of 60; ember stays on the caller's thread, which keeps its
// thread-local state (streams, modes, hooks), and refuses to go deeper once less than a
// reserve of the thread's stack is left (512 KiB, or a quarter of a smaller stack): an Error
// instead of a stack overflow.
constexpr size_t kStackReserve = size_t{512} << 10;
thread_local int tls_execute_depth = 0;

// Bytes between this frame and the low end of the thread's stack (SIZE_MAX when unknown), and
// the reserve that must stay free.
struct StackRoom {
  size_t room, reserve;
};
StackRoom stack_room() {
  struct Bounds {
    const char* lowest = nullptr;
    size_t size = 0;
  };
  thread_local const Bounds bounds = [] {
    Bounds b;
    pthread_attr_t attr;
    void* address = nullptr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      pthread_attr_getstack(&attr, &address, &b.size);
      pthread_attr_destroy(&attr);
    }
    b.lowest = static_cast<const char*>(address);
    return b;
  }();
  // The frame itself, not a local's address (a sanitizer may keep locals elsewhere).
  const char* here = static_cast<const char*>(__builtin_frame_address(0));
  const size_t reserve = std::min(kStackReserve, bounds.size / 4);
  if (bounds.lowest == nullptr || here < bounds.lowest || here >= bounds.lowest + bounds.size)
    return {SIZE_MAX, reserve};
  return {static_cast<size_t>(here - bounds.lowest), reserve};
}

void execute(GraphTask& task, const std::vector<Edge>& root_edges, tensor_list root_grads) {
  EMBER_CHECK(
      tls_execute_depth == 0 ||
          [] {
            const StackRoom stack = stack_room();
            return stack.room > stack.reserve;
          }(),
      "a backward nested in a backward (reentrant, ", tls_execute_depth,
      " deep) has nearly used up the thread's stack; PyTorch continues it on another thread, ember stops: "
      "nest fewer backward calls (or run the outer one on a thread with a larger stack)");
  ++tls_execute_depth;
  struct Leave {
    ~Leave() { --tls_execute_depth; }
  } leave;
  std::vector<Node*> roots;
  for (const Edge& e : root_edges) roots.push_back(e.fn.get());
  compute_dependencies(task, roots);
  if (!task.accumulate) {
    std::unordered_map<Node*, bool> memo;
    for (Node* r : roots) mark_needed(task, r, memo);
    if (task.into_inputs)  // Note [Backward to some inputs]: each input's node runs
      for (const auto& [node, slots] : task.captures)
        if (task.needed.count(node) > 0) task.to_run.insert(node);
  }
  for (size_t i = 0; i < root_edges.size(); ++i)
    add_to_buffer(task.buffers[root_edges[i].fn.get()], root_edges[i].input_nr, std::move(root_grads[i]));

  std::priority_queue<Node*, std::vector<Node*>, ReadyOrder> ready;
  std::unordered_set<Node*> queued;
  for (Node* r : roots)
    if (task.dependencies[r] == 0 && queued.insert(r).second) ready.push(r);

  // Formulas are recorded only for create_graph (Note [Higher-order gradients]); autocast
  // does not apply to them: gradients keep the dtypes the forward ops chose.
  GradModeGuard grad_mode(task.create_graph);
  std::optional<AutocastGuard> no_autocast_cpu, no_autocast_cuda;
  if (autocast::is_enabled(DeviceType::CPU))
    no_autocast_cpu.emplace(Device::cpu(), autocast::get_dtype(DeviceType::CPU), false);
  if (autocast::is_enabled(DeviceType::CUDA))
    no_autocast_cuda.emplace(Device::cuda(0), autocast::get_dtype(DeviceType::CUDA), false);
  BackwardEvalNoteGuard eval_note(task.accumulate || task.into_inputs ? task.eval_note : 0);
  std::vector<std::function<void()>> final_callbacks;
  FinalCallbacksScope callbacks_scope(&final_callbacks);
  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    node->mark_backward_ran();
    tensor_list inputs = std::move(task.buffers[node]);
    task.buffers.erase(node);
    inputs.resize(node->num_outputs());

    bool run = task.accumulate || task.to_run.count(node) > 0;
    // Note [Tensor hooks]: before the formula and retain_grad; a node autograd::grad only
    // captures runs them before the capture; one whose formula also runs, after it (PyTorch 2.x).
    const std::vector<TensorHookEntry> hooks = tensor_hooks_of(*node);
    if (!hooks.empty() && !run && task.needed.count(node) > 0) run_tensor_hooks(*node, hooks, inputs);
    if (auto it = task.captures.find(node); it != task.captures.end()) {
      for (auto [input_nr, index] : it->second)
        if (input_nr < inputs.size()) task.captured[index] = inputs[input_nr];
    }
    if (!hooks.empty() && run) run_tensor_hooks(*node, hooks, inputs);
    // as PyTorch's retain_grad hooks: every node that runs, and under autograd::grad a
    // captured one that does not (after its hooks, like the capture)
    if (run || task.needed.count(node) > 0) keep_retained_grads(*node, inputs);
    if (run && !node->pre_hooks().empty()) run_node_prehooks(*node, inputs);  // Note [Node hooks]
    // A node that received no gradient at all (e.g. the history overwritten by
    // copy_ or fill_) contributes nothing: skip its formula, and so its post-hooks (PyTorch
    // calls both with undefined gradients; Note [Node hooks]'s one difference).
    bool any_grad = false;
    for (const Tensor& g : inputs) any_grad = any_grad || g.defined();
    run = run && any_grad;
    tensor_list outputs;
    if (run) {
      profiler::RecordScope span;  // the node's name, with the module its forward ran in
      if (EMBER_UNLIKELY(profiler::is_enabled()))
        span.begin(profiler::Category::Backward, node->name(), node->module_path());
      std::vector<Edge> grad_edges;  // of gradients with a history (create_graph)
      const bool recorded = task.create_graph && node->differentiable_backward();
      if (task.create_graph && !recorded)
        for (const Tensor& g : inputs)
          if (g.defined() && g.requires_grad()) grad_edges.push_back(gradient_edge(g));
      // autograd::grad: only the gradients that reach a requested input.
      std::vector<bool> needed_edges;
      if (!task.accumulate) {
        for (const Edge& e : node->next_edges()) needed_edges.push_back(e.valid() && task.needed.count(e.fn.get()) > 0);
      }
      const bool post_hooked = !node->post_hooks().empty();
      const tensor_list grad_outputs = post_hooked ? inputs : tensor_list();
      // PyTorch's anomaly mode: which node failed and where its forward ran, then the error
      // (its own, or the NaN check's).
      const auto report_anomaly = [&node] {
        logging::warn("Error detected in {}. The forward op ran at: {}", node->name(),
                      node->forward_context().empty() ? std::string("(not recorded)") : node->forward_context());
      };
      try {
        NeededEdgesScope needed_scope(task.accumulate ? nullptr : &needed_edges);
        outputs = node->apply(std::move(inputs));
      } catch (const std::exception&) {
        if (g_anomaly.load(std::memory_order_relaxed)) report_anomaly();
        throw;
      }
      if (post_hooked) {
        outputs.resize(node->next_edges().size());
        run_node_posthooks(*node, outputs, grad_outputs);
      }
      if (task.create_graph && !recorded) mark_not_differentiable(outputs, std::move(grad_edges), *node);
      if (g_anomaly.load(std::memory_order_relaxed)) {
        try {
          check_anomaly(*node, outputs);
        } catch (const std::exception&) {
          report_anomaly();
          throw;
        }
      }
    }
    // autograd::grad frees only what it ran (the rest may serve another backward).
    if (!task.retain_graph && (task.accumulate || run)) node->release_saved();
    const auto& edges = node->next_edges();
    for (size_t i = 0; i < edges.size(); ++i) {
      const Edge& e = edges[i];
      if (!e.valid()) continue;
      Node* next = e.fn.get();
      if (run && i < outputs.size() && outputs[i].defined())
        add_to_buffer(task.buffers[next], e.input_nr, std::move(outputs[i]));
      if (--task.dependencies[next] == 0 && queued.insert(next).second) ready.push(next);
    }
  }
  // Index, not iterator: a callback may queue another.
  for (size_t i = 0; i < final_callbacks.size(); ++i) {
    auto callback = std::move(final_callbacks[i]);
    callback();
  }
}

Tensor implicit_grad(const Tensor& root) {
  EMBER_CHECK(root.numel() == 1, "grad can be implicitly created only for scalar outputs (got a tensor of shape ",
              root.sizes(), ")");
  return ones_like(root);
}

// backward_on_no_grad's hint for a root that does not require grad (Note [Untracked
// results] in autograd/mode_hints.h), "" when it has no mark or the check is ignored.
std::string untracked_hint(const Tensor& t) {
  const auto& meta = t.impl().autograd;
  const hints::Untracked origin = meta ? meta->untracked_origin : hints::Untracked::No;
  const auto describe = hints::reporter().backward_on_no_grad;
  return origin == hints::Untracked::No || !describe ? std::string() : describe(origin);
}

Edge root_edge(const Tensor& t, size_t index) {
  EMBER_CHECK(t.defined(), "element ", index, " of tensors is undefined");
  refresh_view_history(t);  // Note [In-place ops on views]
  if (!t.requires_grad())
    EMBER_FAIL("element ", index, " of tensors does not require grad and does not have a grad_fn", untracked_hint(t));
  return gradient_edge(t);
}

tensor_list resolve_grads(const tensor_list& roots, const tensor_list& grads) {
  EMBER_CHECK(grads.empty() || grads.size() == roots.size(), "got ", grads.size(), " gradients for ",
              roots.size(), " tensors");
  tensor_list out(roots.size());
  for (size_t i = 0; i < roots.size(); ++i) {
    if (i < grads.size() && grads[i].defined()) {
      EMBER_CHECK(grads[i].sizes() == roots[i].sizes(), "Mismatch in shape: grad_output[", i, "] has a shape of ",
                  grads[i].sizes(), " and output[", i, "] has a shape of ", roots[i].sizes(), ".");
      // In the output's dtype, as PyTorch's engine casts it (validate_outputs): each node's
      // formula then sees gradients of its outputs' dtypes.
      const bool cast = grads[i].dtype() != roots[i].dtype() && is_floating(roots[i].dtype());
      out[i] = cast ? grads[i].to(roots[i].dtype()) : grads[i];
    } else {
      out[i] = implicit_grad(roots[i]);
    }
  }
  return out;
}

// The differentiated tensors of autograd::grad and backward(inputs=...): the edge each
// one's gradient arrives by is captured.
void capture_inputs(GraphTask& task, const tensor_list& inputs) {
  task.captured.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    EMBER_CHECK(inputs[i].defined() && inputs[i].requires_grad(),
                "One of the differentiated Tensors does not require grad (input ", i, ")");
    Edge e = gradient_edge(inputs[i]);
    task.captures[e.fn.get()].emplace_back(e.input_nr, i);
    task.capture_edges.push_back(std::move(e));
  }
}

}  // namespace

void backward(const tensor_list& tensors, const tensor_list& grad_tensors, std::optional<bool> retain_graph,
              bool create_graph, const tensor_list& inputs) {
  std::vector<Edge> edges;
  for (size_t i = 0; i < tensors.size(); ++i) edges.push_back(root_edge(tensors[i], i));
  tensor_list grads = resolve_grads(tensors, grad_tensors);
  GraphTask task;
  task.retain_graph = retain_graph.value_or(create_graph);
  task.create_graph = create_graph;
  if (create_graph) {  // PyTorch's warning, once per process
    static std::once_flag warned;
    std::call_once(warned, [] {
      logging::warn("Using backward() with create_graph=true creates a reference cycle between a parameter and "
                    "its gradient, which keeps the graph alive: use autograd::grad() to build the graph, or reset "
                    "the parameters' .grad (zero_grad(/*set_to_none=*/true)) after use");
    });
  }
  if (!inputs.empty()) {  // Note [Backward to some inputs]
    task.accumulate = false;
    task.into_inputs = true;
    capture_inputs(task, inputs);
    for (const Tensor& t : inputs)  // as PyTorch's run_backward: a non-leaf's .grad by retain_grad
      if (!t.is_leaf()) t.retain_grad();
  }
  profiler::mark(profiler::Category::Mark, "backward start");
  execute(task, edges, std::move(grads));
  profiler::mark(profiler::Category::Mark, "backward end");
}

tensor_list grad(const tensor_list& outputs, const tensor_list& inputs, const tensor_list& grad_outputs,
                 std::optional<bool> retain_graph, bool create_graph, bool allow_unused, bool materialize_grads) {
  EMBER_CHECK(!inputs.empty(), "grad requires non-empty inputs.");  // before the graph is run and freed
  allow_unused = allow_unused || materialize_grads;  // PyTorch: materialize_grads implies allow_unused
  std::vector<Edge> edges;
  for (size_t i = 0; i < outputs.size(); ++i) edges.push_back(root_edge(outputs[i], i));
  tensor_list grads = resolve_grads(outputs, grad_outputs);
  GraphTask task;
  task.retain_graph = retain_graph.value_or(create_graph);
  task.create_graph = create_graph;
  task.accumulate = false;
  capture_inputs(task, inputs);
  execute(task, edges, std::move(grads));
  for (size_t i = 0; i < inputs.size(); ++i)
    EMBER_CHECK(allow_unused || task.captured[i].defined(),
                "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=true "
                "if this is the desired behavior. (input ",
                i, ")");
  if (materialize_grads)
    for (size_t i = 0; i < inputs.size(); ++i)
      if (!task.captured[i].defined()) task.captured[i] = zeros_like(inputs[i]).requires_grad_(true);  // PyTorch's
  return task.captured;
}

size_t count_graph_nodes(const Tensor& t) {
  if (!t.defined() || !t.grad_fn()) return 0;
  std::vector<Node*> stack{t.grad_fn().get()};
  std::unordered_set<Node*> seen{stack.back()};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next_edges())
      if (e.valid() && seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
  }
  return seen.size();
}

void queue_callback(std::function<void()> callback) {
  EMBER_CHECK(tls_final_callbacks != nullptr,
              "queue_callback: expected to be called during backward (from a hook), but no backward is running");
  EMBER_CHECK(callback != nullptr, "queue_callback: expected a callable, got an empty one");
  tls_final_callbacks->push_back(std::move(callback));
}

bool in_backward() { return tls_final_callbacks != nullptr; }
uint64_t current_backward_id() { return tls_backward_id; }

const std::vector<bool>* needed_edges_of_running_node() { return tls_needed_edges; }

void set_detect_anomaly(bool enabled) { g_anomaly.store(enabled); }
bool is_anomaly_enabled() { return g_anomaly.load(); }
DetectAnomalyGuard::DetectAnomalyGuard() : previous_(g_anomaly.exchange(true)) {}
DetectAnomalyGuard::~DetectAnomalyGuard() { g_anomaly.store(previous_); }

}  // namespace ember::autograd
