// Graph bookkeeping shared by every op: node sequence numbers, gradient edges and
// leaf accumulators, set_history, in-place checks, sum_to, and AccumulateGrad; and the
// facts mode diagnostics collect there (Note [Mode diagnostics] in nn/diagnostics.h).
#include "autograd/record.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include "autograd/engine.h"
#include "autograd/saved_variable.h"
#include "autograd/view_history.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/profiler.h"

namespace ember::autograd {
namespace {
std::atomic<uint64_t> g_next_sequence_nr{0};

// Graph destruction in progress on this thread: nesting depth, and the unused saved
// bytes (and their eval-mode owner) gathered so far.
thread_local int tls_destroying = 0;
thread_local int64_t tls_unused_bytes = 0;
thread_local const void* tls_unused_owner = nullptr;

hints::Reporter g_reporter;  // set once by nn/diagnostics, at static initialisation
}  // namespace

namespace hints {
void set_reporter(const Reporter& reporter) { g_reporter = reporter; }
const Reporter& reporter() { return g_reporter; }
}  // namespace hints

Node::Node()
    : sequence_nr_(g_next_sequence_nr.fetch_add(1, std::memory_order_relaxed)),
      eval_owner_(hints::tls_eval_owner),
      eval_note_(hints::tls_eval_note) {
  if (EMBER_UNLIKELY(profiler::is_enabled())) module_path_ = profiler::current_module_path();
  // Anomaly mode (PyTorch's stored forward trace): the module whose forward made the node.
  if (EMBER_UNLIKELY(is_anomaly_enabled())) {
    const std::string& scope = current_ledger_scope();
    forward_context_ = scope.empty() ? "outside any module's forward" : "module '" + scope + "'";
  }
}

// Note [Destroying a graph without recursion]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A node owns the nodes its edges point to, so freeing the last tensor of a long chain (a
// recurrence over 20,000 steps, a loop of small ops) would destroy node after node inside each
// other's destructors, one stack frame set per node, and overflow the stack. As PyTorch's
// deleteNode does, the outermost ~Node takes the next nodes it alone keeps alive into a
// worklist and destroys them one at a time; a node destroyed from the list hands its own to
// the same list instead of recursing. An edge to a node held elsewhere is dropped at once, so
// a second edge to the same node (y * y) then finds it alone; tensor hooks (which may hold the
// previous step's tensor) are released in the body first, for the same reason.
namespace {
thread_local std::vector<std::shared_ptr<Node>>* tls_pending_nodes = nullptr;
}  // namespace

// Derived destructors (which add their unused bytes) have run; the nodes this one points to
// are destroyed in this body (the worklist above), inside the scope closed by destruction_scope_.
Node::~Node() {
  ++tls_destroying;
  std::vector<std::shared_ptr<Node>> local;
  const bool outermost = tls_pending_nodes == nullptr;
  if (outermost) tls_pending_nodes = &local;
  std::vector<std::shared_ptr<Node>>& pending = *tls_pending_nodes;
  { const std::vector<TensorHookEntry> hooks = std::move(tensor_hooks_); }  // what they free joins the list
  for (Edge& edge : next_edges_) {
    if (!edge.fn) continue;
    if (edge.fn.use_count() == 1)
      pending.push_back(std::move(edge.fn));
    else
      edge.fn.reset();
  }
  if (!outermost) return;
  while (!local.empty()) {
    std::shared_ptr<Node> node = std::move(local.back());
    local.pop_back();
    node.reset();  // its ~Node appends the nodes it alone kept alive
  }
  tls_pending_nodes = nullptr;
}

Node::DestructionScope::~DestructionScope() {
  if (--tls_destroying > 0 || tls_unused_bytes == 0) return;
  const int64_t bytes = std::exchange(tls_unused_bytes, 0);
  const void* owner = std::exchange(tls_unused_owner, nullptr);
  if (g_reporter.unused_graph) g_reporter.unused_graph(owner, bytes);
}

void Node::add_unused_saved_bytes(const void* owner, int64_t bytes) {
  if (bytes <= 0) return;
  tls_unused_bytes += bytes;
  if (!tls_unused_owner) tls_unused_owner = owner;
}

namespace {
// Grad-across-steps and eval-forward marks of a leaf's gradient (autograd/mode_hints.h),
// before the incoming gradient is added. A gradient an optimizer applied and nobody has
// zeroed since is marked: that optimizer's next step reports it (a GAN's generator
// backward adds to D's applied gradients, which D's optimizer zeroes before its step).
void update_marks_before_accumulate(AutogradMeta& meta) {
  hints::GradMarks& m = meta.grad_marks;
  const Tensor& current = meta.grad;
  const bool unchanged = m.seen_storage == current.storage().get() && m.seen_version == current.storage()->version();
  m.added_after_apply = m.applied_by != nullptr && unchanged;
  if (!m.added_after_apply) m.applied_by = nullptr;
  if (!unchanged || !m.eval_note) m.eval_note = hints::tls_backward_eval_note;
}
}  // namespace

namespace {
// Note [Gradient layout]
// PyTorch's gradient layout contract: a leaf's .grad has the leaf's strides when the leaf is
// dense and non-overlapping (a channels-last kernel, a weight stored transposed, any
// permutation of a row-major layout), and is row-major otherwise (a slice, an expanded
// leaf). The incoming gradient is kept when it already has that layout (strides of size-1
// dims aside, as PyTorch's obeys_layout_contract) and nobody else can see it; otherwise it
// is copied into a new tensor of that layout (PyTorch's empty_strided + copy_: a tensor of
// its own, not a view). A later gradient is added in place, or under create_graph out of
// place and laid out again.
bool dense_leaf(const Tensor& leaf) {
  return leaf.numel() > 0 && is_non_overlapping_and_dense(leaf.sizes(), leaf.strides());
}
bool obeys_layout(const Tensor& g, const Tensor& leaf) {
  if (!dense_leaf(leaf)) return g.is_contiguous();
  for (size_t d = 0; d < leaf.sizes().size(); ++d)
    if (leaf.sizes()[d] != 1 && g.strides()[d] != leaf.strides()[d]) return false;
  return true;
}
// A copy of g in the leaf gradient's layout; under create_graph (grad mode on, g with
// history) the copy_ records, so the copy keeps g's history.
Tensor copy_in_leaf_layout(const Tensor& g, const Tensor& leaf) {
  Tensor out = dense_leaf(leaf) ? empty_like(leaf, TensorOptions(g.dtype()).device(g.device()))
                                : make_empty(g.sizes(), g.dtype(), g.device());
  out.copy_(g);
  return out;
}
}  // namespace

namespace {
// Note [Concurrent accumulation]
// Threads running backward into one leaf at once take turns reading and writing its .grad
// (PyTorch's AccumulateGrad mutex), so no contribution is lost; only the order of the sums
// varies. The lock is chosen by the leaf, not the node, so two accumulators of one leaf
// (one made after the other expired) share it. gradient_edge holds a lock of its own while it
// makes a leaf's meta and accumulator, so threads recording on one leaf share one.
// Post-accumulate hooks run after the accumulation lock is let go.
std::mutex& leaf_mutex(std::array<std::mutex, 64>& mutexes, const TensorImpl* leaf) {
  return mutexes[(reinterpret_cast<uintptr_t>(leaf) >> 4) % mutexes.size()];  // impls are 16-byte aligned
}
std::mutex& accumulation_mutex(const TensorImpl* leaf) {
  static std::array<std::mutex, 64> mutexes;
  return leaf_mutex(mutexes, leaf);
}
// A separate set for making accumulators: apply (holding an accumulation lock) may record
// under create_graph, which makes edges, so one set of locks is never taken inside the other's
// holder the other way round.
std::mutex& accumulator_creation_mutex(const TensorImpl* leaf) {
  static std::array<std::mutex, 64> mutexes;
  return leaf_mutex(mutexes, leaf);
}
}  // namespace

tensor_list AccumulateGrad::apply(tensor_list&& grads) {
  Tensor& g = grads.at(0);
  if (!g.defined()) return {};
  std::unique_lock<std::mutex> lock(accumulation_mutex(leaf_.get()));  // Note [Concurrent accumulation]
  auto& meta = leaf_->autograd;
  // As PyTorch's: a leaf that has since become an op's result (an in-place op after it
  // stopped requiring grad) is an error; one that no longer requires grad
  // (requires_grad_(false) or detach_() after the forward) gets nothing, post-accumulate
  // hooks included.
  EMBER_CHECK(!meta || !meta->grad_fn, "leaf variable has been moved into the graph interior");
  if (!leaf_->requires_grad) return {};
  if (!meta) meta = std::make_shared<AutogradMeta>();
  Tensor& current = meta->grad;
  hints::GradMarks& marks = meta->grad_marks;
  // create_graph (grad mode on here, Note [Higher-order gradients]): .grad keeps the
  // gradient's history, and a later gradient is added out of place, as in PyTorch.
  const bool keep_history = is_grad_enabled() && g.requires_grad();
  if (!current.defined()) {
    marks.applied_by = nullptr;
    marks.added_after_apply = false;
    marks.eval_note = hints::tls_backward_eval_note;
    // Keep the incoming gradient only if nobody else can see it: no other handle (add's
    // backward hands one gradient to both inputs, which must not share one .grad) and no
    // other view of its storage (it may be an expanded, stride-0 view or alias another
    // tensor's data); and it is laid out as the leaf's gradient must be (copy_in_leaf_layout).
    const Tensor leaf(leaf_);
    const bool exclusive = obeys_layout(g, leaf) && native::sole_owner(g);
    current = exclusive && !keep_history ? g : copy_in_leaf_layout(g, leaf);
  } else {
    update_marks_before_accumulate(*meta);
    if (is_grad_enabled()) {  // create_graph: out of place, as PyTorch (a held .grad is not changed)
      const Tensor leaf(leaf_);
      const Tensor sum = current + g;
      current = obeys_layout(sum, leaf) ? sum : copy_in_leaf_layout(sum, leaf);
    } else {
      current.add_(g);
    }
  }
  marks.seen_storage = current.storage().get();
  marks.seen_version = current.storage()->version();
  const auto hooks = meta->post_accumulate_hooks;  // a hook may remove itself
  lock.unlock();
  if (!hooks.empty()) {  // Note [Gradient-ready hooks]
    const Tensor leaf(leaf_);
    for (const auto& [handle, hook] : hooks) hook(leaf);
  }
  return {};
}

hints::Untracked untracked_origin_of(InputList inputs) {
  hints::Untracked origin = hints::Untracked::No;
  for (const Tensor* t : inputs) {
    if (!t->defined()) continue;
    const TensorImpl& impl = t->impl();
    if (impl.requires_grad)  // and not recorded: grad mode is off, or every input is an inference tensor
      return is_inference_mode_enabled() || impl.is_inference ? hints::Untracked::InferenceMode
                                                               : hints::Untracked::NoGrad;
    if (impl.autograd && impl.autograd->untracked_origin > origin) origin = impl.autograd->untracked_origin;
  }
  return origin;
}

void mark_untracked(const Tensor& out, hints::Untracked origin) {
  if (out.defined() && !out.impl().requires_grad) meta_of(out).untracked_origin = origin;
}

AutogradMeta& meta_of(const Tensor& t) {
  auto& meta = t.impl().autograd;
  if (!meta) meta = std::make_shared<AutogradMeta>();
  return *meta;
}

void fail_custom_function_view(const AutogradMeta& meta, bool base_modified) {
  EMBER_FAIL("Output ", meta.output_nr, " of ", meta.grad_fn ? meta.grad_fn->name() : std::string("a custom Function"),
             base_modified ? " is a view and its base or another view of its base has been modified inplace. "
                           : " is a view and is being modified inplace. ",
             "This view was created inside a custom Function (or because an input was returned as-is) and the "
             "autograd logic to handle view+inplace would override the custom backward associated with the custom "
             "Function, leading to incorrect gradients. This behavior is forbidden. You can fix this by cloning the "
             "output of the custom Function.");
}

void mark_custom_function_alias(const Tensor& output) {
  AutogradMeta& meta = meta_of(output);
  meta.custom_function_alias = true;
  meta.view_version = output.storage()->version();
}

Edge gradient_edge(const Tensor& t) {
  refresh_view_history(t);
  if (!t.defined() || !t.impl().requires_grad) return {};
  // Threads recording ops on one leaf at once make its meta and accumulator once (Note
  // [Concurrent accumulation]).
  std::lock_guard<std::mutex> lock(accumulator_creation_mutex(&t.impl()));
  AutogradMeta& meta = meta_of(t);
  if (meta.grad_fn) return Edge{meta.grad_fn, meta.output_nr};
  std::shared_ptr<Node> acc = meta.grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
    meta.grad_accumulator = acc;
  }
  return Edge{acc, 0};
}

void set_history(const Tensor& output, const std::shared_ptr<Node>& node, uint32_t output_nr) {
  AutogradMeta& meta = meta_of(output);
  if (meta.retains_grad && meta.grad_fn && meta.grad_fn != node) {  // retain_grad follows the tensor's history
    meta.grad_fn->forget_retained_output(&output.impl());
    node->retain_output_grad(output_nr, output.impl_ptr());
  }
  meta.grad_fn = node;
  meta.output_nr = output_nr;
  meta.grad_accumulator.reset();
  output.impl().requires_grad = true;
  if (node->num_outputs() <= output_nr) node->set_num_outputs(output_nr + 1);
}

void check_inplace(const Tensor& self) {
  if (!is_grad_enabled() || is_inference_mode_enabled()) return;
  const auto& meta = self.impl().autograd;
  if (meta && meta->custom_function_alias && meta->grad_fn) fail_custom_function_view(*meta, false);
  if (meta && meta->view_base && meta->view_mode == ViewMode::Grad) {
    const Tensor base(meta->view_base);
    // a view of a custom Function's output that aliases its input: as that output itself
    const auto& base_meta = base.impl().autograd;
    if (base_meta && base_meta->custom_function_alias && base_meta->grad_fn && self.grad_fn())
      fail_custom_function_view(*self.impl().autograd, false);
    // PyTorch's test: the view (or its base: a view taken before the base was made to require
    // grad) requires grad and the base is a leaf, whether or not the root requires grad
    EMBER_CHECK(!((self.requires_grad() || base.requires_grad()) && base.is_leaf()),
                "a view of a leaf Variable that requires grad is being used in an in-place operation.");
    refresh_view_history(self);
  }
  if (!self.requires_grad()) return;
  EMBER_CHECK(!self.is_leaf(), "a leaf Variable that requires grad is being used in an in-place operation.");
}

Tensor sum_to(const Tensor& grad, const Dims& shape) {
  if (grad.sizes() == shape) return grad;
  const size_t lead = grad.dim() - shape.size();
  Dims dims;
  for (size_t i = 0; i < static_cast<size_t>(grad.dim()); ++i) {
    if (i < lead || (shape[i - lead] == 1 && grad.sizes()[i] != 1)) dims.push_back(static_cast<int64_t>(i));
  }
  Tensor r = dims.empty() ? grad : sum(grad, dims, /*keepdim=*/true);
  return r.view(shape);
}

}  // namespace ember::autograd
