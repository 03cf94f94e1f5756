// weight_norm and spectral_norm as forward pre-hooks over reparametrized weights
// (Note [Reparametrized weights] in nn/weight_norm.h).
#include "nn/weight_norm.h"

#include <algorithm>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "nn/conv3d.h"
#include "nn/conv_transpose.h"
#include "nn/functional/distance.h"
#include "nn/lazy.h"
#include "nn/reparametrize_math.h"

namespace ember::nn::utils {
namespace {

// A reparametrization's hook is tagged "<kind>.<name>@<dim>", so its removal knows the dim.
std::string tag_of(const char* kind, const std::string& name, int64_t dim) {
  return std::string(kind) + "." + name + "@" + std::to_string(dim);
}

struct Reparametrization {
  RemovableHandle handle;
  int64_t dim = 0;
};

std::optional<Reparametrization> find_reparametrization(const Module& module, const char* kind,
                                                        const std::string& name) {
  const std::string prefix = std::string(kind) + "." + name + "@";
  for (const std::string& tag : module.hook_tags())
    if (tag.starts_with(prefix)) return Reparametrization{module.hook_tagged(tag), std::stoll(tag.substr(prefix.size()))};
  return std::nullopt;
}

// The parameter a reparametrization starts from (PyTorch: module._parameters[name]).
Tensor& existing_parameter(Module& module, const std::string& name, const char* kind) {
  check_no_uninitialized_params(module, kind);
  EMBER_CHECK(!find_reparametrization(module, kind, name), "Cannot register two ", kind,
              " hooks on the same parameter ", name);
  for (const char* other : {"weight_norm", "spectral_norm"})
    EMBER_CHECK(!find_reparametrization(module, other, name), kind, ": `", name, "` of ", module.type_name(),
                " is not a parameter: ", other, " computes it");
  EMBER_CHECK(name.find('.') == std::string::npos, kind, ": expected the name of a parameter of ", module.type_name(),
              " itself, got '", name, "'");
  Tensor& p = module.get_parameter(name);
  EMBER_CHECK(p.defined(), kind, ": `", std::string_view(kind) == "spectral_norm" ? "SpectralNorm" : "WeightNorm",
              "` cannot be applied as parameter `", name, "` is None (", module.type_name(), ")");
  EMBER_CHECK(p.is_floating_point(), kind, ": expected a floating-point parameter `", name, "`, got ",
              dtype_name(p.dtype()));
  return p;
}

using ember::nn::detail::norm_except_dim;
using ember::nn::detail::weight_matrix;

}  // namespace

Module& weight_norm(Module& module, const std::string& name, std::optional<int64_t> dim_arg) {
  Tensor& weight = existing_parameter(module, name, "weight_norm");
  int64_t dim = dim_arg.value_or(-1);
  // Only -1 means the whole tensor (PyTorch's norm_except_dim); -2 on a 2-D weight is dim 0.
  if (dim < -1 && dim >= -weight.dim()) dim += weight.dim();
  EMBER_CHECK(dim >= -1 && dim < std::max<int64_t>(weight.dim(), 1),
              "weight_norm: Dimension out of range (expected to "
              "be in range of [",
              -std::max<int64_t>(weight.dim(), 1), ", ", std::max<int64_t>(weight.dim(), 1) - 1, "], but got ",
              dim_arg.value_or(-1), "): -1 or None is the norm of the whole tensor, for `", name, "` of shape ",
              weight.sizes());
  Tensor v0 = weight.detach();
  Tensor g0;
  {
    NoGradGuard no_grad;
    g0 = norm_except_dim(v0, dim);
  }
  Tensor& slot = module.parameter_to_attribute(name);
  Tensor* g = &module.register_parameter(name + "_g", g0);
  Tensor* v = &module.register_parameter(name + "_v", v0);
  auto compute = [g, v, dim, &slot] { slot = *v * (*g / norm_except_dim(*v, dim)); };
  compute();
  RemovableHandle handle = module.register_forward_pre_hook([compute](Module&, const Tensor&) { compute(); });
  module.tag_hook(handle, tag_of("weight_norm", name, dim));
  return module;
}

Module& remove_weight_norm(Module& module, const std::string& name) {
  std::optional<Reparametrization> found = find_reparametrization(module, "weight_norm", name);
  EMBER_CHECK(found.has_value(), "weight_norm of '", name, "' not found in ", module.type_name());
  const Tensor g = module.get_parameter(name + "_g");
  const Tensor v = module.get_parameter(name + "_v");
  found->handle.remove();
  Tensor& slot = module.attribute_to_parameter(name);
  {
    NoGradGuard no_grad;
    slot.set_data(v * (g / norm_except_dim(v, found->dim)));
  }
  module.remove_parameter(name + "_g");
  module.remove_parameter(name + "_v");
  return module;
}

Module& spectral_norm(Module& module, const std::string& name, int64_t n_power_iterations, double eps,
                      std::optional<int64_t> dim_arg) {
  EMBER_CHECK(n_power_iterations > 0, "Expected n_power_iterations to be positive, but got n_power_iterations=",
              n_power_iterations);
  EMBER_CHECK(eps >= 0, "spectral_norm: expected eps >= 0, got ", eps);
  Tensor& weight = existing_parameter(module, name, "spectral_norm");
  const bool transposed = module_as<ConvTranspose1d>(module) != nullptr ||
                          module_as<ConvTranspose2d>(module) != nullptr || module_as<ConvTranspose3d>(module) != nullptr;
  int64_t dim = dim_arg.value_or(transposed ? 1 : 0);
  EMBER_CHECK(weight.dim() >= 1, "spectral_norm: expected `", name, "` with at least one dim, got a 0-dim tensor");
  EMBER_CHECK(dim >= -weight.dim() && dim < weight.dim(), "spectral_norm: Dimension out of range (expected to be in range of [",
              -weight.dim(), ", ", weight.dim() - 1, "], but got ", dim, ")");
  if (dim < 0) dim += weight.dim();
  const Tensor parameter = weight;  // <name>_orig itself, as PyTorch's: an optimizer holding it still trains it
  const Tensor original = weight.detach();
  Tensor u0, v0;
  {
    NoGradGuard no_grad;
    const Tensor mat = weight_matrix(original, dim);
    u0 = functional::normalize(randn({mat.size(0)}, original.options()), 2, 0, eps);
    v0 = functional::normalize(randn({mat.size(1)}, original.options()), 2, 0, eps);
  }
  Tensor& slot = module.parameter_to_attribute(name);
  Tensor* orig = &module.register_parameter(name + "_orig", parameter, parameter.requires_grad());
  *orig = parameter;  // the same tensor even when frozen (requires_grad false), as PyTorch's
  Tensor* u = &module.register_buffer(name + "_u", u0);
  Tensor* v = &module.register_buffer(name + "_v", v0);
  slot = original;  // PyTorch: setattr(module, name, weight.data) until the first call
  RemovableHandle handle = module.register_forward_pre_hook([=, &slot](Module& m, const Tensor&) {
    const Tensor mat = weight_matrix(*orig, dim);
    Tensor u_now = *u, v_now = *v;
    if (m.is_training()) {
      NoGradGuard no_grad;
      const Tensor m_now = mat.detach();
      for (int64_t i = 0; i < n_power_iterations; ++i) {
        v->copy_(functional::normalize(matmul(m_now.t(), *u), 2, 0, eps));
        u->copy_(functional::normalize(matmul(m_now, *v), 2, 0, eps));
      }
      // Clones, so a later update of the buffers does not change what backward reads.
      u_now = u->clone();
      v_now = v->clone();
    }
    const Tensor sigma = matmul(u_now, matmul(mat, v_now));
    slot = *orig / sigma;
  });
  module.tag_hook(handle, tag_of("spectral_norm", name, dim));
  return module;
}

Module& remove_spectral_norm(Module& module, const std::string& name) {
  std::optional<Reparametrization> found = find_reparametrization(module, "spectral_norm", name);
  EMBER_CHECK(found.has_value(), "spectral_norm of '", name, "' not found in ", module.type_name());
  found->handle.remove();
  const Tensor orig = module.get_parameter(name + "_orig");
  const Tensor u = module.get_buffer(name + "_u");
  const Tensor v = module.get_buffer(name + "_v");
  Tensor& slot = module.attribute_to_parameter(name);
  {
    NoGradGuard no_grad;
    slot.set_data(orig / matmul(u, matmul(weight_matrix(orig, found->dim), v)));
  }
  module.remove_parameter(name + "_orig");
  module.remove_buffer(name + "_u");
  module.remove_buffer(name + "_v");
  return module;
}

}  // namespace ember::nn::utils
