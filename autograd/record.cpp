// Graph bookkeeping shared by every op: node sequence numbers, gradient edges and
// leaf accumulators, set_history, in-place checks, sum_to, and AccumulateGrad.
#include "autograd/record.h"

#include <atomic>

#include "core/native.h"
#include "core/ops.h"
#include "core/profiler.h"

namespace ember::autograd {
namespace {
std::atomic<uint64_t> g_next_sequence_nr{0};

AutogradMeta& meta_of(const Tensor& t) {
  auto& meta = t.impl().autograd;
  if (!meta) meta = std::make_shared<AutogradMeta>();
  return *meta;
}
}  // namespace

Node::Node() : sequence_nr_(g_next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {
  if (EMBER_UNLIKELY(profiler::is_enabled())) module_path_ = profiler::current_module_path();
}

tensor_list AccumulateGrad::apply(tensor_list&& grads) {
  Tensor& g = grads.at(0);
  if (!g.defined()) return {};
  auto& meta = leaf_->autograd;
  if (!meta) meta = std::make_shared<AutogradMeta>();
  Tensor& current = meta->grad;
  if (!current.defined()) {
    // Keep the incoming gradient only if nobody else can see its storage (it may be an
    // expanded, stride-0 view or alias another tensor's data) and it is laid out like
    // the leaf: row-major, or channels-last for a channels-last leaf, as in PyTorch.
    const MemoryFormat format = dense_format_of(Tensor(leaf_));
    const bool exclusive = g.is_contiguous(format) && g.storage().use_count() == 1;
    current = exclusive ? g : native::clone(g, format);
  } else {
    current.add_(g);
  }
  return {};
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.impl().requires_grad) return {};
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
  meta.grad_fn = node;
  meta.output_nr = output_nr;
  meta.grad_accumulator.reset();
  output.impl().requires_grad = true;
  if (node->num_outputs() <= output_nr) node->set_num_outputs(output_nr + 1);
}

void check_inplace(const Tensor& self) {
  if (!is_grad_enabled() || !self.requires_grad()) return;
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
