// register_parametrization, remove_parametrizations and cached, and PyTorch 2's weight_norm and
// spectral_norm parametrizations (Note [Parametrizations] in nn/parametrize.h).
#include "nn/parametrize.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "nn/container.h"
#include "nn/conv3d.h"
#include "nn/conv_transpose.h"
#include "nn/functional/distance.h"
#include "nn/lazy.h"
#include "nn/reparametrize_math.h"

namespace ember::nn {
namespace {

thread_local int tls_cached_depth = 0;
thread_local std::map<const ParametrizationList*, Tensor> tls_cache;

std::shared_ptr<Parametrization> as_parametrization(const std::shared_ptr<Module>& m) {
  return std::dynamic_pointer_cast<Parametrization>(m);
}

std::shared_ptr<ModuleDict> parametrizations_of(const Module& module) {
  for (const auto& [child_name, child] : module.named_children())
    if (child_name == "parametrizations") return std::dynamic_pointer_cast<ModuleDict>(child);
  return nullptr;
}

const char* const kHookTag = "parametrize.";

// PyTorch's checks of register_parametrization(unsafe=False): the value keeps the tensor's
// dtype and shape.
void check_safe(const Tensor& before, const Tensor& after) {
  EMBER_CHECK(before.dtype() == after.dtype(),
              "Registering a parametrization may not change the dtype of the tensor, unless `unsafe` flag is "
              "enabled.\nunparametrized dtype: ",
              dtype_name(before.dtype()), "\nparametrized dtype: ", dtype_name(after.dtype()));
  EMBER_CHECK(before.sizes() == after.sizes(),
              "Registering a parametrization may not change the shape of the tensor, unless `unsafe` flag is "
              "enabled.\nunparametrized shape: ",
              before.sizes(), "\nparametrized shape: ", after.sizes());
}

}  // namespace

Tensor Parametrization::forward_originals(const std::vector<Tensor>& originals) {
  EMBER_CHECK(originals.size() == 1, type_name(), ": right_inverse gives ", originals.size(),
              " originals; override forward_originals to take them");
  return (*this)(originals[0]);
}

// unsafe does not lift the dtype check of right_inverse's one tensor, as PyTorch's.
ParametrizationList::ParametrizationList(std::shared_ptr<Module> first, const Tensor& original, bool /*unsafe*/)
    : Module("ParametrizationList") {
  std::vector<Tensor> originals{original};
  if (const auto p = as_parametrization(first); p && p->has_right_inverse()) {
    NoGradGuard no_grad;
    originals = p->right_inverse(original.detach());
  }
  EMBER_CHECK(!originals.empty(),
              "'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
              "Got none");
  if (originals.size() == 1) {
    EMBER_CHECK(originals[0].defined(), "'right_inverse' must return a Tensor, got an undefined one");
    EMBER_CHECK(originals[0].dtype() == original.dtype(),
                "When `right_inverse` outputs one tensor, it may not change the dtype.\noriginal.dtype: ",
                dtype_name(original.dtype()), "\nright_inverse(original).dtype: ", dtype_name(originals[0].dtype()));
    // The parameter itself, holding right_inverse's value (PyTorch's _maybe_set: a view
    // right_inverse gives, a transpose, is taken with its strides), so an optimizer that
    // holds it still trains it.
    Tensor kept = original;
    {
      NoGradGuard no_grad;
      kept.set_data(originals[0].detach());
    }
    Tensor& slot = register_parameter("original", kept, kept.requires_grad());
    slot = kept;  // the same tensor even when frozen
    originals_.push_back(&slot);
  } else {
    for (size_t i = 0; i < originals.size(); ++i) {
      EMBER_CHECK(originals[i].defined(), "'right_inverse' must return a sequence of tensors; element ", i,
                  " is undefined");
      originals_.push_back(
          &register_parameter("original" + std::to_string(i), originals[i].detach(), original.requires_grad()));
    }
  }
  append(std::move(first));
}

void ParametrizationList::append(std::shared_ptr<Module> parametrization) {
  register_module(std::to_string(chain_.size()), parametrization);
  chain_.push_back(std::move(parametrization));
  tls_cache.erase(this);  // the chain changed
  if (value_slot_) *value_slot_ = compute();
}

Tensor ParametrizationList::compute() {
  if (tls_cached_depth > 0)
    if (const auto it = tls_cache.find(this); it != tls_cache.end()) return it->second;
  std::vector<Tensor> originals;
  for (const Tensor* o : originals_) originals.push_back(*o);
  const std::shared_ptr<Parametrization> first = as_parametrization(chain_.front());
  Tensor x = first ? first->forward_originals(originals) : (*chain_.front())(originals.front());
  for (size_t i = 1; i < chain_.size(); ++i) x = (*chain_[i])(x);
  if (tls_cached_depth > 0) tls_cache[this] = x;
  return x;
}

Tensor ParametrizationList::forward(const Tensor&) {
  EMBER_FAIL("ParametrizationList is not called: its module's forward pre-hook computes the parametrized tensor");
}

namespace utils::parametrize {

Module& register_parametrization(Module& module, const std::string& name, std::shared_ptr<Module> parametrization,
                                 bool unsafe) {
  EMBER_CHECK(parametrization != nullptr, "register_parametrization: expected a parametrization module, got null");
  check_no_uninitialized_params(module, "register_parametrization");
  parametrization->train(module.is_training());  // PyTorch's first step
  std::shared_ptr<ModuleDict> dict = parametrizations_of(module);
  if (dict && dict->contains(name)) {  // a chain: weight = p(previous value)
    auto list = dict->get<ParametrizationList>(name);
    if (!unsafe) {
      const Tensor before = list->compute();
      check_safe(before, (*parametrization)(before));
    }
    list->append(std::move(parametrization));
    return module;
  }
  EMBER_CHECK(name.find('.') == std::string::npos, "register_parametrization: expected the name of a parameter of ",
              module.type_name(), " itself, got '", name, "'");
  bool found = false;
  for (const auto& [own, t] : module.named_parameters(/*recurse=*/false)) found = found || own == name;
  EMBER_CHECK(found, "Module '", module.type_name(),
              "' does not have a parameter, a buffer, or a parametrized element with ", "name '", name, "'");
  const Tensor original = module.get_parameter(name);
  auto list = std::make_shared<ParametrizationList>(std::move(parametrization), original, unsafe);
  tls_cache.erase(list.get());  // a list made at the address of one gone inside a Cached scope
  const Tensor value = list->compute();
  tls_cache.erase(list.get());  // the registration's value is not the scope's
  if (!unsafe) check_safe(original, value);
  if (!dict) dict = module.register_module("parametrizations", std::make_shared<ModuleDict>());
  dict->insert(name, list);
  Tensor& slot = module.parameter_to_attribute(name);
  slot = value;
  list->set_value_slot(&slot);
  RemovableHandle handle =
      module.register_forward_pre_hook([list, &slot](Module&, const Tensor&) -> std::optional<Tensor> {
        slot = list->compute();
        return std::nullopt;
      });
  module.tag_hook(handle, kHookTag + name);
  return module;
}

bool is_parametrized(const Module& module, const std::string& name) {
  const std::shared_ptr<ModuleDict> dict = parametrizations_of(module);
  if (!dict) return false;
  return name.empty() ? !dict->keys().empty() : dict->contains(name);
}

Module& remove_parametrizations(Module& module, const std::string& name, bool leave_parametrized) {
  const std::shared_ptr<ModuleDict> dict = parametrizations_of(module);
  EMBER_CHECK(dict && dict->contains(name), "Module ", module.type_name(), " does not have a parametrization on ",
              name);
  auto list = dict->get<ParametrizationList>(name);
  EMBER_CHECK(list->is_tensor() || leave_parametrized,
              "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized in terms of a "
              "sequence of tensors.");
  Tensor kept;
  if (list->is_tensor()) {
    kept = list->original();
    if (leave_parametrized) {
      NoGradGuard no_grad;
      kept.set_data(list->compute().detach());
    }
  } else {
    bool requires_grad = false;  // PyTorch's t.requires_grad: any original's
    for (const auto& [own, original] : list->named_parameters(/*recurse=*/false))
      requires_grad = requires_grad || original.requires_grad();
    {
      NoGradGuard no_grad;
      kept = list->compute().detach();
    }
    kept.requires_grad_(requires_grad);
  }
  module.hook_tagged(kHookTag + name).remove();
  (void)dict->pop(name);
  if (dict->keys().empty()) module.unregister_module("parametrizations");  // as PyTorch's delattr
  Tensor& slot = module.attribute_to_parameter(name);
  slot = kept;
  return module;
}

Cached::Cached() { ++tls_cached_depth; }
Cached::~Cached() {
  if (--tls_cached_depth == 0) tls_cache.clear();
}

}  // namespace utils::parametrize

namespace utils::parametrizations {
namespace {

// The tensor a parametrization is registered on: the parameter, or the chain's current
// value when the name is parametrized already (PyTorch's getattr).
Tensor current_value(Module& module, const std::string& name) {
  if (parametrize::is_parametrized(module, name)) {
    NoGradGuard no_grad;
    return parametrizations_of(module)->get<ParametrizationList>(name)->compute();
  }
  const Tensor weight = module.get_parameter(name);
  EMBER_CHECK(weight.defined(), "Module '", module.type_name(), "' has no parameter or buffer with name '", name, "'");
  return weight;
}

// PyTorch's _WeightNorm: original0 = g, original1 = v.
class WeightNormParametrization : public Parametrization {
 public:
  explicit WeightNormParametrization(int64_t dim) : Parametrization("_WeightNorm"), dim_(dim) {}
  bool has_right_inverse() const override { return true; }
  std::vector<Tensor> right_inverse(const Tensor& weight) override {
    return {ember::nn::detail::norm_except_dim(weight, dim_), weight};
  }
  Tensor forward_originals(const std::vector<Tensor>& o) override {
    EMBER_CHECK(o.size() == 2, "_WeightNorm: expected weight_g and weight_v, got ", o.size(), " tensors");
    return o[1] * (o[0] / ember::nn::detail::norm_except_dim(o[1], dim_));
  }
  Tensor forward(const Tensor&) override {
    EMBER_FAIL("_WeightNorm.forward() takes weight_g and weight_v (its ParametrizationList passes both)");
  }

 private:
  int64_t dim_;
};

// PyTorch's _SpectralNorm: buffers _u and _v, the power method in training mode.
class SpectralNormParametrization : public Parametrization {
 public:
  SpectralNormParametrization(const Tensor& weight, int64_t n_power_iterations, int64_t dim, double eps)
      : Parametrization("_SpectralNorm"), eps_(eps) {
    const int64_t ndim = weight.dim();
    EMBER_CHECK(dim < ndim && dim >= -ndim, "Dimension out of range (expected to be in range of [", -ndim, ", ",
                ndim - 1, "] but got ", dim, ")");
    EMBER_CHECK(n_power_iterations > 0,
                "Expected n_power_iterations to be positive, but got n_power_iterations=", n_power_iterations);
    EMBER_CHECK(eps >= 0, "spectral_norm: expected eps >= 0, got ", eps);
    dim_ = dim >= 0 ? dim : dim + ndim;
    n_power_iterations_ = n_power_iterations;
    if (ndim > 1) {
      NoGradGuard no_grad;
      const Tensor mat = ember::nn::detail::weight_matrix(weight.detach(), dim_);
      u_ = &register_buffer("_u", functional::normalize(randn({mat.size(0)}, mat.options()), 2, 0, eps_));
      v_ = &register_buffer("_v", functional::normalize(randn({mat.size(1)}, mat.options()), 2, 0, eps_));
      power_method(mat, 15);  // PyTorch's start: u and v near the singular vectors
    }
  }
  bool has_right_inverse() const override { return true; }
  Tensor forward(const Tensor& weight) override {
    if (weight.dim() == 1) return functional::normalize(weight, 2, 0, eps_);  // exact, no iteration
    const Tensor mat = ember::nn::detail::weight_matrix(weight, dim_);
    if (is_training()) power_method(mat.detach(), n_power_iterations_);
    // Clones, so the next call's in-place update does not change what this backward reads.
    const Tensor u = u_->clone(), v = v_->clone();
    return weight / dot(u, mv(mat, v));
  }

 private:
  void power_method(const Tensor& mat, int64_t iterations) {
    NoGradGuard no_grad;
    for (int64_t i = 0; i < iterations; ++i) {
      u_->copy_(functional::normalize(mv(mat, *v_), 2, 0, eps_));
      v_->copy_(functional::normalize(mv(mat.t(), *u_), 2, 0, eps_));
    }
  }

  double eps_;
  int64_t dim_ = 0;
  int64_t n_power_iterations_ = 1;
  Tensor* u_ = nullptr;
  Tensor* v_ = nullptr;
};

}  // namespace

Module& weight_norm(Module& module, const std::string& name, std::optional<int64_t> dim_arg) {
  const Tensor weight = current_value(module, name);
  int64_t dim = dim_arg.value_or(-1);
  const int64_t ndim = std::max<int64_t>(weight.dim(), 1);
  if (dim < -1 && dim >= -ndim) dim += ndim;  // only -1 means the whole tensor, as PyTorch's
  EMBER_CHECK(dim >= -1 && dim < ndim, "weight_norm: Dimension out of range (expected to be in range of [", -ndim, ", ",
              ndim - 1, "], but got ", dim_arg.value_or(-1), "): -1 or None is the norm of the whole tensor");
  parametrize::register_parametrization(module, name, std::make_shared<WeightNormParametrization>(dim),
                                        /*unsafe=*/true);
  // PyTorch's _weight_norm_compat_hook: a checkpoint of the legacy weight_norm ("weight_g",
  // "weight_v") loads into the parametrization's originals. It stays after a removal, as
  // PyTorch's, and renames nothing then (the module has no such keys to fill).
  module.register_load_state_dict_pre_hook([name](Module&, StateDict& state, const std::string& prefix, bool) {
    const auto find = [&state](const std::string& key) {
      return std::find_if(state.begin(), state.end(), [&key](const auto& entry) { return entry.first == key; });
    };
    const auto g = find(prefix + name + "_g");
    const auto v = find(prefix + name + "_v");
    if (g == state.end() || v == state.end()) return;
    // A dict entry of the new name is replaced, as PyTorch's assignment.
    const std::string new_g = prefix + "parametrizations." + name + ".original0";
    const std::string new_v = prefix + "parametrizations." + name + ".original1";
    std::pair<std::string, Tensor> g_entry{new_g, g->second}, v_entry{new_v, v->second};
    std::erase_if(state, [&](const auto& entry) {
      return entry.first == new_g || entry.first == new_v || entry.first == prefix + name + "_g" ||
             entry.first == prefix + name + "_v";
    });
    state.push_back(std::move(g_entry));
    state.push_back(std::move(v_entry));
  });
  return module;
}

Module& spectral_norm(Module& module, const std::string& name, int64_t n_power_iterations, double eps,
                      std::optional<int64_t> dim) {
  const Tensor weight = current_value(module, name);
  const bool transposed = module_as<ConvTranspose1d>(module) != nullptr ||
                          module_as<ConvTranspose2d>(module) != nullptr ||
                          module_as<ConvTranspose3d>(module) != nullptr;
  return parametrize::register_parametrization(
      module, name,
      std::make_shared<SpectralNormParametrization>(weight, n_power_iterations, dim.value_or(transposed ? 1 : 0), eps));
}

}  // namespace utils::parametrizations

}  // namespace ember::nn
