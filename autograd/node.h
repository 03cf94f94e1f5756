// Graph nodes: a Node is the backward function of one recorded op (grad_fn). Its
// next edges point at the nodes of the op's inputs (or a leaf's AccumulateGrad).
// See Note [Saved tensors under no_grad] in autograd/saved_variable.h.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/mode_hints.h"
#include "core/tensor.h"

namespace ember::autograd {

class Node;
using tensor_list = std::vector<Tensor>;

// Tensor::register_hook's hooks (Note [Tensor hooks] in autograd/engine.h): an undefined
// result leaves the gradient as it was.
using TensorHook = std::function<Tensor(const Tensor& grad)>;
struct TensorHookEntry {
  uint64_t handle = 0;
  uint32_t output_nr = 0;  // which of the node's incoming gradients (leaves: 0)
  TensorHook hook;
};

// Node::register_prehook / register_hook's hooks (Note [Node hooks] in autograd/engine.h):
// an empty result leaves the gradients as they were.
using NodePreHook = std::function<tensor_list(const tensor_list& grad_outputs)>;
using NodePostHook = std::function<tensor_list(const tensor_list& grad_inputs, const tensor_list& grad_outputs)>;

struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;  // which of fn's incoming gradients this edge feeds
  bool valid() const { return fn != nullptr; }
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // "MulBackward", "AccumulateGrad", ...
  virtual std::string name() const = 0;
  // grads: one per output of the forward op (undefined = zero). Returns one
  // gradient per next edge (undefined where there is none). Runs with grad mode off,
  // or on for create_graph.
  virtual tensor_list apply(tensor_list&& grads) = 0;
  // Frees saved tensors after a backward without retain_graph.
  virtual void release_saved() {}
  // Whether apply() records its own gradients under create_graph (Note [Higher-order
  // gradients] in autograd/engine.h); the engine gives the others' a NotImplemented history.
  virtual bool differentiable_backward() const { return false; }

  const std::vector<Edge>& next_edges() const { return next_edges_; }
  std::vector<Edge>& mutable_next_edges() { return next_edges_; }
  uint64_t sequence_nr() const { return sequence_nr_; }
  uint32_t num_outputs() const { return num_outputs_; }  // outputs of the forward op
  void set_num_outputs(uint32_t n) { num_outputs_ = n; }
  // Anomaly mode: where the forward op ran, for error messages.
  const std::string& forward_context() const { return forward_context_; }
  void set_forward_context(std::string ctx) { forward_context_ = std::move(ctx); }
  // While profiling: the dotted path of the module whose forward made the node ("" for
  // none, or when the profiler was off), for backward spans (Note [Profiler]).
  const std::string& module_path() const { return module_path_; }
  // Non-leaf outputs whose .grad the user asked to keep (Tensor::retain_grad).
  void retain_output_grad(uint32_t output_nr, std::weak_ptr<TensorImpl> output) {
    retained_.emplace_back(output_nr, std::move(output));
  }
  const std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>>& retained_outputs() const { return retained_; }
  // `output`'s history moved to another node (an in-place op): this one keeps its .grad no more.
  void forget_retained_output(const TensorImpl* output) {
    std::erase_if(retained_, [output](const auto& entry) {
      const std::shared_ptr<TensorImpl> kept = entry.second.lock();
      return !kept || kept.get() == output;
    });
  }

  // Hooks of non-leaf outputs, registered while this node was their grad_fn, in
  // registration order (Note [Tensor hooks] in autograd/engine.h).
  void add_tensor_hook(TensorHookEntry entry) { tensor_hooks_.push_back(std::move(entry)); }
  void remove_tensor_hook(uint64_t handle) {
    std::erase_if(tensor_hooks_, [handle](const TensorHookEntry& e) { return e.handle == handle; });
  }
  const std::vector<TensorHookEntry>& tensor_hooks() const { return tensor_hooks_; }

  // PyTorch's Node.register_prehook / register_hook (Note [Node hooks] in autograd/engine.h):
  // a pre-hook sees (and may replace) the gradients coming into this node, one per output
  // of the forward op; a post-hook sees the gradients it computed, one per next edge, and
  // the ones it got, and may replace the former. Each returns a handle for remove_hook.
  uint64_t register_prehook(NodePreHook hook);
  uint64_t register_hook(NodePostHook hook);
  void remove_hook(uint64_t handle);  // either kind; no-op for an unknown handle
  const std::vector<std::pair<uint64_t, NodePreHook>>& pre_hooks() const { return pre_hooks_; }
  const std::vector<std::pair<uint64_t, NodePostHook>>& post_hooks() const { return post_hooks_; }

  // Mode diagnostics (Note [Mode diagnostics] in nn/diagnostics.h): the top-level module
  // that was in eval mode when this node was recorded (null in training), the eval-mode
  // note of the forward, and whether a backward (or autograd::grad) ran through it.
  const void* eval_owner() const { return eval_owner_; }
  uint32_t eval_note() const { return eval_note_; }
  void set_eval_note(uint32_t note) { eval_note_ = note; }
  bool backward_ran() const { return backward_ran_; }
  void mark_backward_ran() { backward_ran_ = true; }

 protected:
  // Unused saved bytes of a graph being destroyed (Note [Mode diagnostics]): a node's
  // destructor adds what it saved when it was recorded in eval mode and never
  // backwarded; the outermost destruction reports the total.
  static void add_unused_saved_bytes(const void* owner, int64_t bytes);

 private:
  // Declared first, destroyed last: closes the destruction started in ~Node after the nodes
  // this one points to are gone (Note [Destroying a graph without recursion], record.cpp).
  struct DestructionScope {
    DestructionScope() = default;
    DestructionScope(const DestructionScope&) = delete;
    DestructionScope& operator=(const DestructionScope&) = delete;
    ~DestructionScope();
  } destruction_scope_;
  std::vector<Edge> next_edges_;
  uint64_t sequence_nr_;
  uint32_t num_outputs_ = 1;
  std::string forward_context_;
  std::string module_path_;
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retained_;
  std::vector<TensorHookEntry> tensor_hooks_;
  std::vector<std::pair<uint64_t, NodePreHook>> pre_hooks_;
  std::vector<std::pair<uint64_t, NodePostHook>> post_hooks_;
  const void* eval_owner_;
  uint32_t eval_note_;
  bool backward_ran_ = false;
};

// While autograd::grad applies a node: which of its next edges lead to a requested input
// (null otherwise, and in backward(), where all do). FunctionNode computes only those
// gradients, as PyTorch's engine asks only for the needed outputs.
const std::vector<bool>* needed_edges_of_running_node();

// The grad mode a view was made in: only views made in grad mode take part in autograd;
// the others are remembered so that an in-place op recorded through them is refused.
enum class ViewMode : uint8_t { Grad, NoGrad, Inference };

// The autograd state of a tensor that requires grad (or is a view): its .grad, and either
// the node that produced it (grad_fn, non-leaf) or its gradient accumulator (leaf).
struct AutogradMeta {
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  uint32_t output_nr = 0;
  std::weak_ptr<Node> grad_accumulator;
  bool retains_grad = false;
  // Mode diagnostics: see autograd/mode_hints.h.
  hints::GradMarks grad_marks;
  hints::Untracked untracked_origin = hints::Untracked::No;  // Note [Untracked results]
  // Leaves: run after AccumulateGrad (Note [Gradient-ready hooks] in autograd/hooks.h).
  std::vector<std::pair<uint64_t, std::function<void(const Tensor&)>>> post_accumulate_hooks;
  // Tensor::register_hook (Note [Tensor hooks] in autograd/engine.h): a leaf's hooks live
  // here (its AccumulateGrad is made anew by each forward); a non-leaf's live on the node
  // that was its grad_fn when each was registered, listed here for remove_hook.
  std::vector<TensorHookEntry> tensor_hooks;
  std::vector<std::weak_ptr<Node>> hooked_nodes;
  // Views (Note [In-place ops on views] in autograd/view_history.h): the tensor whose
  // storage this one views (never itself a view), and the storage's version when this
  // view's history was last set.
  std::shared_ptr<TensorImpl> view_base;
  uint32_t view_version = 0;
  ViewMode view_mode = ViewMode::Grad;  // the mode the view was made in
  // An output of a custom function that shares an input's storage: in-place ops on it are
  // PyTorch's error (Note [Custom functions] in autograd/custom_function.cpp).
  bool custom_function_alias = false;
};

// Leaves: adds incoming gradients into the tensor's .grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf_(std::move(leaf)) {}
  std::string name() const override { return "AccumulateGrad"; }
  tensor_list apply(tensor_list&& grads) override;
  const std::shared_ptr<TensorImpl>& leaf() const { return leaf_; }

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

}  // namespace ember::autograd
