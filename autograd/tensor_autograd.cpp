// Tensor's autograd methods: requires_grad_, is_leaf, detach, grad, grad_fn,
// retain_grad and backward.
#include "autograd/engine.h"
#include "autograd/record.h"
#include "autograd/view_history.h"

#include <mutex>

#include "core/logging.h"

namespace ember {

Tensor& Tensor::requires_grad_(bool requires_grad) {
  TensorImpl& self = impl();
  if (requires_grad) {
    EMBER_CHECK(!self.is_inference || is_inference_mode_enabled(),
                "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.");
    EMBER_CHECK(is_floating(self.dtype), "only Tensors of floating point and complex dtype can require gradients (got ",
                dtype_name(self.dtype), ")");
  } else {
    EMBER_CHECK(is_leaf(), "you can only change requires_grad flags of leaf variables. If you want to use a "
                           "computed variable in a subgraph that doesn't require differentiation use "
                           "var_no_grad = var.detach().");
  }
  self.requires_grad = requires_grad;
  return *this;
}

namespace {
// A view made in grad mode whose base was written since gets its new history (Note [In-place
// ops on views]); nothing for other tensors.
void refresh_grad_mode_view(const Tensor& t) {
  if (const auto& view = t.impl().autograd; view && view->view_base && view->view_mode == autograd::ViewMode::Grad)
    autograd::refresh_view_history(t);
}
}  // namespace

// A view whose base was written since is brought up to date first (Note [In-place ops on
// views]), as PyTorch regenerates a stale view's grad_fn when it is read.
bool Tensor::is_leaf() const {
  refresh_grad_mode_view(*this);
  const auto& meta = impl().autograd;
  return !meta || !meta->grad_fn;
}

// A view whose storage was written since its history was set, by an op that gave its base
// history (Note [In-place ops on views]): its history is the base's now, as PyTorch's
// regenerated grad_fn. Without a write (the base only came to require grad since), PyTorch's
// view keeps requires_grad False, and so does this. The cheap tests come first: this runs on
// every requires_grad() of a view that does not require grad.
bool Tensor::stale_view_requires_grad() const {
  const auto& meta = impl().autograd;
  if (!meta->view_base || meta->view_mode != autograd::ViewMode::Grad || !meta->view_base->requires_grad ||
      meta->view_version == storage()->version())
    return false;
  autograd::refresh_view_history(*this);
  return impl().requires_grad;
}

Tensor Tensor::detach() const {
  auto out = std::make_shared<TensorImpl>(impl());
  out->autograd.reset();
  out->requires_grad = false;
  return Tensor(std::move(out));
}

void Tensor::set_data(const Tensor& new_data) const {
  EMBER_CHECK(new_data.defined(), "set_data: expected a defined tensor");
  EMBER_CHECK(!requires_grad() || is_floating(new_data.dtype()),
              "data set to a tensor that requires gradients must be floating point, but got ",
              dtype_name(new_data.dtype()));
  TensorImpl& self = impl();
  const TensorImpl& from = new_data.impl();
  self.storage = from.storage;
  self.sizes = from.sizes;
  self.strides = from.strides;
  self.offset = from.offset;
  self.numel = from.numel;
  self.dtype = from.dtype;
}

Tensor& Tensor::detach_() {
  const auto& meta = impl().autograd;
  EMBER_CHECK(!meta || !meta->view_base,  // Note [In-place ops on views]
              "Can't detach views in-place. Use detach() instead.");
  // As PyTorch's: the history goes, the rest stays (.grad, hooks, a retained gradient's
  // link from the old node, which may still fill .grad).
  if (meta) {
    meta->grad_fn.reset();
    meta->output_nr = 0;
    meta->custom_function_alias = false;
  }
  impl().requires_grad = false;
  return *this;
}

Tensor Tensor::grad() const {
  const auto& meta = impl().autograd;
  if (meta && meta->grad_fn && !meta->retains_grad && !meta->grad.defined()) {
    static std::once_flag warned;  // PyTorch's warning, once per process here
    std::call_once(warned, [] {
      logging::warn("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                    "attribute won't be populated during autograd::backward(). If you indeed want the .grad field "
                    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor.");
    });
  }
  return meta ? meta->grad : Tensor();
}

Tensor& Tensor::mutable_grad() {
  auto& meta = impl().autograd;
  if (!meta) meta = std::make_shared<autograd::AutogradMeta>();
  return meta->grad;
}

void Tensor::retain_grad() const {
  autograd::refresh_view_history(*this);
  EMBER_CHECK(requires_grad(), "can't retain_grad on Tensor that has requires_grad=False");
  if (is_leaf() || retains_grad()) return;  // leaves keep .grad anyway
  impl().autograd->retains_grad = true;
  grad_fn()->retain_output_grad(output_nr(), impl_ptr());
}

bool Tensor::retains_grad() const {
  const auto& meta = impl().autograd;
  return meta && meta->retains_grad;
}

std::shared_ptr<autograd::Node> Tensor::grad_fn() const {
  autograd::refresh_view_history(*this);  // Note [In-place ops on views]
  const auto& meta = impl().autograd;
  return meta ? meta->grad_fn : nullptr;
}

std::string Tensor::grad_fn_name() const {
  autograd::refresh_view_history(*this);
  const auto& meta = impl().autograd;
  return meta && meta->grad_fn ? meta->grad_fn->name() : std::string();
}

uint32_t Tensor::output_nr() const {
  const auto& meta = impl().autograd;
  return meta ? meta->output_nr : 0;
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph,
                      const std::vector<Tensor>& inputs) const {
  autograd::backward({*this}, gradient.defined() ? autograd::tensor_list{gradient} : autograd::tensor_list{},
                     retain_graph, create_graph, inputs);
}

}  // namespace ember
