// torch.nn.utils.weight_norm / spectral_norm and their remove_ functions: a module's
// weight recomputed before each call from new parameters (Note [Reparametrized weights]).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "nn/module.h"

namespace ember::nn::utils {

// Note [Reparametrized weights]
// As PyTorch 1.13's torch.nn.utils.weight_norm and spectral_norm: parameter `name` (say
// "weight") stops being a parameter (Module::parameter_to_attribute keeps the slot, so
// the layer's own reference sees each new value) and a forward pre-hook (Note [Module
// hooks]) writes it before every call of the module, with autograd recording, so the
// gradient reaches the new parameters:
// - weight_norm: weight = weight_v * (weight_g / ||weight_v||), the norm over every dim
//   but `dim` (weight_g has size 1 elsewhere; dim = nullopt or -1: one norm of the whole
//   tensor, as PyTorch's dim=None / -1). Parameters weight_g, weight_v replace weight.
// - spectral_norm: weight = weight_orig / sigma, sigma = u . (W v), W the weight with `dim`
//   moved first and flattened to [h, w]; in training mode n_power_iterations steps
//   v = normalize(W^T u), u = normalize(W v) (eps) first update the buffers weight_u and
//   weight_v in place, without recording; in eval mode they are read as they are. u and
//   v start as normalized standard-normal draws from ember's generator. dim defaults to
//   0, to 1 for transposed convolutions (whose weight is [in, out, ...]).
// The state dict holds the new names (bias, weight_g, weight_v / bias, weight_orig,
// weight_u, weight_v, PyTorch's keys and order), so PyTorch's checkpoints of such models
// load. remove_* computes the weight once more (spectral: without power iteration) and
// makes it the parameter again. Applying either twice to one name is PyTorch's error.

// Returns `module`. Errors: no parameter `name`, a second weight_norm, dim out of range.
Module& weight_norm(Module& module, const std::string& name = "weight", std::optional<int64_t> dim = 0);
Module& remove_weight_norm(Module& module, const std::string& name = "weight");

// dim = nullopt: 1 for ConvTranspose1d/2d/3d, else 0.
Module& spectral_norm(Module& module, const std::string& name = "weight", int64_t n_power_iterations = 1,
                      double eps = 1e-12, std::optional<int64_t> dim = std::nullopt);
Module& remove_spectral_norm(Module& module, const std::string& name = "weight");

// The same for a shared module, returned for chaining: auto fc = weight_norm(make_shared<Linear>(20, 40)).
template <typename M>
std::shared_ptr<M> weight_norm(std::shared_ptr<M> module, const std::string& name = "weight",
                               std::optional<int64_t> dim = 0) {
  weight_norm(static_cast<Module&>(*module), name, dim);
  return module;
}
template <typename M>
std::shared_ptr<M> spectral_norm(std::shared_ptr<M> module, const std::string& name = "weight",
                                 int64_t n_power_iterations = 1, double eps = 1e-12,
                                 std::optional<int64_t> dim = std::nullopt) {
  spectral_norm(static_cast<Module&>(*module), name, n_power_iterations, eps, dim);
  return module;
}

}  // namespace ember::nn::utils
