// torch.nn.utils.prune's methods, their combination when a name is pruned again, and
// the forward pre-hook that applies the mask (Note [Pruning masks] in nn/prune.h).
#include "nn/prune.h"

#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "nn/lazy.h"

namespace ember::nn::utils::prune {
namespace {

constexpr const char* kTagPrefix = "prune.";  // a pruned name's hook: "prune.<name>"

// Python's round() of a non-negative value: half to even.
int64_t round_half_even(double x) { return static_cast<int64_t>(std::nearbyint(x)); }

// PyTorch's _validate_pruning_amount: a count at most the entries or channels considered.
int64_t prune_count(const Amount& amount, int64_t size) {
  const int64_t count = amount.of(size);
  EMBER_CHECK(count <= size, "amount=", amount.repr(), " should be smaller than the number of parameters to prune=",
              size);
  return count;
}

// The channel dim of a structured method on t, checked (PyTorch's _validate_structured_pruning
// and _validate_pruning_dim), negative dims counted from the end.
int64_t channel_dim(const Tensor& t, int64_t dim) {
  EMBER_CHECK(t.dim() > 1, "Structured pruning can only be applied to multidimensional tensors. Found tensor of shape ",
              t.sizes(), " with ", t.dim(), " dims");
  EMBER_CHECK(dim < t.dim() && dim >= -t.dim(), "Invalid index ", dim, " for tensor of size ", t.sizes());
  return dim < 0 ? dim + t.dim() : dim;
}

// A mask of zeros with ones in the channels `kept` along dim, times default_mask.
Tensor channels_mask(const Tensor& t, int64_t dim, const Tensor& kept, const Tensor& default_mask) {
  Tensor mask = zeros(t.sizes(), t.options());
  mask.index_fill_(dim, kept, Scalar(1));
  return mask * default_mask.to(mask.dtype());
}

// The mask of an unstructured method with the `count` entries of `rank` that torch.topk
// picks (the largest, or the smallest) zeroed.
Tensor zero_top(const Tensor& rank, int64_t count, bool largest, const Tensor& default_mask) {
  Tensor mask = default_mask.contiguous().clone();
  if (count == 0) return mask;
  const Tensor chosen = std::get<1>(rank.reshape({-1}).topk(count, -1, largest));
  return mask.reshape({-1}).index_fill(0, chosen, Scalar(0)).reshape(default_mask.sizes());
}

// PyTorch's PruningContainer.compute_mask: `method` on what default_mask still keeps.
Tensor combined_mask(const PruningMethod& method, const Tensor& t, const Tensor& default_mask) {
  Tensor mask = default_mask.to(t.dtype());
  switch (method.type()) {
    case PruningMethod::Type::Global:
      return method.compute_mask(t, mask);
    case PruningMethod::Type::Unstructured: {
      const Tensor kept = (mask.reshape({-1}) == 1).nonzero().reshape({-1});
      const Tensor partial = method.compute_mask(t.reshape({-1}).index_select(0, kept), mask.reshape({-1}).index_select(0, kept));
      return mask.reshape({-1}).index_copy(0, kept, partial.to(mask.dtype())).reshape(mask.sizes());
    }
    case PruningMethod::Type::Structured: {
      const int64_t dim = channel_dim(t, method.dim());
      Dims others;
      for (int64_t d = 0; d < t.dim(); ++d)
        if (d != dim) others.push_back(d);
      const Tensor kept = (mask.sum(others) != 0).nonzero().reshape({-1});
      const Tensor partial = method.compute_mask(t.index_select(dim, kept), mask.index_select(dim, kept));
      return mask.index_copy(dim, kept, partial.to(mask.dtype()));
    }
  }
  EMBER_INTERNAL_ASSERT(false, "unknown pruning type");
  return mask;
}

std::string tag_of(const std::string& name) { return kTagPrefix + name; }

// Sets `slot` to orig * mask (recorded, so orig's gradient is masked).
void apply_mask(Tensor& slot, const Tensor& orig, const Tensor& mask) { slot = mask.to(orig.dtype()) * orig; }

}  // namespace

Amount::Amount(int64_t count) : is_count_(true), count_(count) {
  EMBER_CHECK(count >= 0, "amount=", count, " should either be a float in the range [0, 1] or a non-negative integer");
}

Amount::Amount(double fraction) : is_count_(false), fraction_(fraction) {
  EMBER_CHECK(fraction >= 0.0 && fraction <= 1.0, "amount=", fraction,
              " should either be a float in the range [0, 1] or a non-negative integer");
}

int64_t Amount::of(int64_t n) const {
  return is_count_ ? count_ : round_half_even(fraction_ * static_cast<double>(n));
}

std::string Amount::repr() const {
  if (is_count_) return std::to_string(count_);
  std::ostringstream os;
  os << fraction_;
  return os.str();
}

Tensor Identity::compute_mask(const Tensor&, const Tensor& default_mask) const { return default_mask; }

Tensor RandomUnstructured::compute_mask(const Tensor& t, const Tensor& default_mask) const {
  const int64_t count = prune_count(amount_, t.numel());
  return zero_top(count ? rand(t.sizes(), t.options()) : t, count, /*largest=*/true, default_mask);
}

Tensor L1Unstructured::compute_mask(const Tensor& t, const Tensor& default_mask) const {
  const int64_t count = prune_count(amount_, t.numel());
  return zero_top(t.abs(), count, /*largest=*/false, default_mask);
}

Tensor RandomStructured::compute_mask(const Tensor& t, const Tensor& default_mask) const {
  const int64_t dim = channel_dim(t, dim_);
  const int64_t channels = t.size(dim), count = prune_count(amount_, channels);
  if (count == 0) return default_mask;
  const Tensor draws = rand({channels}, t.options());
  const Tensor kept = std::get<1>(draws.topk(channels - count));  // the highest draws survive
  return channels_mask(t, dim, kept, default_mask);
}

Tensor LnStructured::compute_mask(const Tensor& t, const Tensor& default_mask) const {
  // n = 0 counts each channel's nonzeros (torch.norm's p = 0), as PyTorch's.
  EMBER_CHECK(!std::isnan(n_), "ln_structured: expected n, the norm's p (any real number or +-inf), but got nan");
  const int64_t dim = channel_dim(t, dim_);
  const int64_t channels = t.size(dim), count = prune_count(amount_, channels);
  if (count == 0) return default_mask;
  Dims others;
  for (int64_t d = 0; d < t.dim(); ++d)
    if (d != dim) others.push_back(d);
  const Tensor norm = linalg::vector_norm(t, n_, others);
  const Tensor kept = std::get<1>(norm.topk(channels - count));
  return channels_mask(t, dim, kept, default_mask);
}

Tensor CustomFromMask::compute_mask(const Tensor&, const Tensor& default_mask) const {
  EMBER_CHECK(mask_.defined() && mask_.sizes() == default_mask.sizes(), "custom_from_mask: expected a mask of shape ",
              default_mask.sizes(), ", but got ", mask_.defined() ? mask_.sizes() : Dims{});
  return default_mask * mask_.to(default_mask.device()).to(default_mask.dtype());
}

namespace {
// What PyTorch's getattr(module, name) holds after a prune: the original times its mask, detached.
Tensor masked_weight(const Tensor& orig, const Tensor& mask) { return (orig.detach() * mask.to(orig.dtype())); }
}  // namespace

Module& apply(Module& module, const std::string& name, const PruningMethod& method, const Tensor& importance_scores) {
  check_no_uninitialized_params(module, "prune");
  const RemovableHandle existing = module.hook_tagged(tag_of(name));
  const bool again = !existing.empty();
  const Tensor orig = again ? module.get_parameter(name + "_orig") : module.get_parameter(name);
  EMBER_CHECK(orig.defined() && orig.is_floating_point(), "prune: expected a floating-point parameter `", name,
              "` of ", module.type_name());
  EMBER_CHECK(!importance_scores.defined() || importance_scores.sizes() == orig.sizes(),
              "importance_scores should have the same shape as parameter ", name, " of ", module.type_name(),
              " (", orig.sizes(), "), but got ", importance_scores.sizes());
  Tensor mask;
  {
    NoGradGuard no_grad;
    const Tensor default_mask = again ? module.get_buffer(name + "_mask").clone() : ones(orig.sizes(), orig.options());
    // Once pruned, the masked weight scores (pruned entries count as 0 when ln_structured ranks
    // channels after an unstructured prune). PyTorch scores getattr(module, name), the masked
    // weight as the last forward computed it; ember computes it from the current orig, so an
    // optimizer step since that forward counts (README, "Differences").
    const Tensor scores = importance_scores.defined() ? importance_scores.detach() : masked_weight(orig, default_mask);
    mask = again ? combined_mask(method, scores, default_mask) : method.compute_mask(scores, default_mask);
    mask = mask.to(orig.device()).contiguous();
  }
  if (again) {  // the hook reads the mask's slot: a new mask there is all it takes
    module.get_buffer(name + "_mask") = mask;
    module.attribute_to_parameter(name);                 // `name`'s slot back for a moment,
    Tensor& slot = module.parameter_to_attribute(name);  // for a reference to it
    apply_mask(slot, orig, mask);
    return module;
  }
  Tensor& slot = module.parameter_to_attribute(name);
  Tensor* orig_slot = &module.register_parameter(name + "_orig", orig, orig.requires_grad());
  *orig_slot = orig;  // the same tensor: optimizers holding it keep training it
  Tensor* mask_slot = &module.register_buffer(name + "_mask", mask);
  apply_mask(slot, *orig_slot, *mask_slot);
  RemovableHandle handle = module.register_forward_pre_hook(
      [orig_slot, mask_slot, &slot](Module&, const Tensor&) { apply_mask(slot, *orig_slot, *mask_slot); });
  module.tag_hook(handle, tag_of(name));
  return module;
}

Module& identity(Module& module, const std::string& name) { return apply(module, name, Identity()); }

Module& random_unstructured(Module& module, const std::string& name, Amount amount) {
  return apply(module, name, RandomUnstructured(amount));
}

Module& l1_unstructured(Module& module, const std::string& name, Amount amount, const Tensor& importance_scores) {
  return apply(module, name, L1Unstructured(amount), importance_scores);
}

Module& random_structured(Module& module, const std::string& name, Amount amount, int64_t dim) {
  return apply(module, name, RandomStructured(amount, dim));
}

Module& ln_structured(Module& module, const std::string& name, Amount amount, double n, int64_t dim,
                      const Tensor& importance_scores) {
  return apply(module, name, LnStructured(amount, n, dim), importance_scores);
}

Module& custom_from_mask(Module& module, const std::string& name, const Tensor& mask) {
  return apply(module, name, CustomFromMask(mask));
}

void global_unstructured(const std::vector<std::pair<Module*, std::string>>& parameters, const PruningMethod& method,
                         const std::vector<Tensor>& importance_scores) {
  EMBER_CHECK(method.type() == PruningMethod::Type::Unstructured,
              "Only \"unstructured\" PRUNING_TYPE supported for the `pruning_method`");
  EMBER_CHECK(importance_scores.empty() || importance_scores.size() == parameters.size(),
              "global_unstructured(): expected one importance score per parameter (", parameters.size(),
              "), but got ", importance_scores.size());
  if (parameters.empty()) return;
  std::vector<Tensor> scores, masks;
  {
    NoGradGuard no_grad;
    for (size_t i = 0; i < parameters.size(); ++i) {
      Module& module = *parameters[i].first;
      const std::string& name = parameters[i].second;
      const bool pruned = !module.hook_tagged(tag_of(name)).empty();
      const Tensor param = pruned ? module.get_parameter(name + "_orig") : module.get_parameter(name);
      EMBER_CHECK(param.defined(), "global_unstructured(): ", module.type_name(), " has no parameter `", name, "`");
      const Tensor mask = pruned ? module.get_buffer(name + "_mask") : Tensor();
      const Tensor score = i < importance_scores.size() && importance_scores[i].defined() ? importance_scores[i]
                           : pruned                                                       ? masked_weight(param, mask)
                                                                                          : param;
      EMBER_CHECK(score.sizes() == param.sizes(), "importance_scores should have the same shape as parameter ", name,
                  " of ", module.type_name());
      scores.push_back(score.detach().reshape({-1}).to(param.dtype()));
      masks.push_back(pruned ? mask.reshape({-1}) : ones({param.numel()}, param.options()));
    }
  }
  Tensor final_mask;
  {
    NoGradGuard no_grad;
    final_mask = combined_mask(method, cat(scores, 0), cat(masks, 0));
  }
  int64_t offset = 0;
  for (const auto& [module, name] : parameters) {
    const bool pruned = !module->hook_tagged(tag_of(name)).empty();
    const Tensor param = pruned ? module->get_parameter(name + "_orig") : module->get_parameter(name);
    custom_from_mask(*module, name, final_mask.narrow(0, offset, param.numel()).reshape(param.sizes()));
    offset += param.numel();
  }
}

Module& remove(Module& module, const std::string& name) {
  RemovableHandle handle = module.hook_tagged(tag_of(name));
  EMBER_CHECK(!handle.empty(), "Parameter '", name, "' of module ", module.type_name(),
              " has to be pruned before pruning can be removed");
  handle.remove();
  const Tensor orig = module.get_parameter(name + "_orig");
  Tensor pruned;
  {
    NoGradGuard no_grad;
    pruned = module.get_buffer(name + "_mask").to(orig.dtype()) * orig;
  }
  module.remove_parameter(name + "_orig");
  module.remove_buffer(name + "_mask");
  Tensor& slot = module.attribute_to_parameter(name);
  slot = orig;  // PyTorch re-registers the `_orig` parameter itself, holding the pruned values
  slot.set_data(pruned);
  return module;
}

bool is_pruned(const Module& module) {
  for (const std::string& tag : module.hook_tags())
    if (tag.starts_with(kTagPrefix)) return true;
  for (const std::shared_ptr<Module>& child : module.children())
    if (is_pruned(*child)) return true;
  return false;
}

}  // namespace ember::nn::utils::prune
