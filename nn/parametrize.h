// torch.nn.utils.parametrize and torch.nn.utils.parametrizations (PyTorch 2): a parameter of a
// module computed from "original" tensors by a chain of parametrization modules, with
// PyTorch's module tree and state-dict keys (Note [Parametrizations]).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/module.h"

namespace ember::nn {

// Note [Parametrizations]
// ~~~~~~~~~~~~~~~~~~~~~~~
// register_parametrization(module, "weight", p) makes module.weight p(original): the
// parameter moves to module.parametrizations.weight.original (a ParametrizationList under a
// ModuleDict child "parametrizations", PyTorch's tree, so its state-dict keys are
// "parametrizations.weight.original" and a parametrization's own buffers
// "parametrizations.weight.0._u"). The original is the same tensor as the parameter was (its
// data set to p.right_inverse(weight) when p has one), so an optimizer made before still
// trains it. A second registration on the name appends to the chain: weight = p1(p0(original)).
// A right_inverse giving several tensors stores original0, original1, ... and the first
// parametrization takes them all (forward_originals). As ember's legacy weight_norm
// (Note [Reparametrized weights] in nn/weight_norm.h), module.weight is an attribute whose
// slot a forward pre-hook of the module writes before each call, recording; PyTorch computes
// it at each read instead, so outside a call the value is the last call's (or the
// registration's); a module that reads another's parameter without calling it runs
// Module::recompute_reparametrized first (MultiheadAttention's out_proj). Inside a Cached
// scope (parametrize.cached()) each chain is computed once. Removing the last
// parametrization removes the "parametrizations" child; weight_norm's load pre-hook renames
// the legacy "weight_g" / "weight_v" keys, as PyTorch's (Note [State-dict hooks]).
// PyTorch's `module.weight = X` (through right_inverse) has no C++ form; registering a buffer
// is not in ember.

// A parametrization with PyTorch's optional right_inverse and several originals. A plain
// Module works as a parametrization too (forward(X), no right_inverse).
class Parametrization : public Module {
 public:
  using Module::Module;
  // Whether right_inverse is defined (PyTorch: hasattr(p, "right_inverse")).
  virtual bool has_right_inverse() const { return false; }
  // The originals that give `value` (one tensor, or several for forward_originals).
  virtual std::vector<Tensor> right_inverse(const Tensor& value) { return {value}; }
  // The value from the originals; one original goes through operator()(original).
  virtual Tensor forward_originals(const std::vector<Tensor>& originals);
};

// module.parametrizations.<name>: the originals and the chain (children "0", "1", ...).
class ParametrizationList : public Module {
 public:
  ParametrizationList(std::shared_ptr<Module> first, const Tensor& original, bool unsafe);
  // The chain applied to the originals, recording (once per Cached scope).
  Tensor compute();
  // Appends to the chain and writes the new value into the module's slot.
  void append(std::shared_ptr<Module> parametrization);
  // The module's attribute the chain's value goes to (set by register_parametrization).
  void set_value_slot(Tensor* slot) { value_slot_ = slot; }
  size_t size() const { return chain_.size(); }
  bool is_tensor() const { return originals_.size() == 1; }
  Tensor& original(size_t i = 0) { return *originals_.at(i); }
  Tensor forward(const Tensor& input) override;  // an Error: the list is computed, not called

 private:
  std::vector<std::shared_ptr<Module>> chain_;
  std::vector<Tensor*> originals_;  // the registered "original" or "original0", "original1", ...
  Tensor* value_slot_ = nullptr;
};

namespace utils::parametrize {

// Returns `module`. unsafe = false: the value must keep the tensor's shape and dtype
// (PyTorch's checks and messages). Errors: no parameter `name` of the module itself.
Module& register_parametrization(Module& module, const std::string& name, std::shared_ptr<Module> parametrization,
                                 bool unsafe = false);
// PyTorch's is_parametrized(module, tensor_name=None).
bool is_parametrized(const Module& module, const std::string& name = "");
// leave_parametrized: the parameter keeps the current value (in the original tensor, so an
// optimizer still holds it), else the original's. A list of several originals can only be
// left parametrized (a new parameter), as PyTorch's.
Module& remove_parametrizations(Module& module, const std::string& name, bool leave_parametrized = true);
// PyTorch's `with parametrize.cached():` each parametrized tensor computed once in the scope.
class Cached {
 public:
  Cached();
  ~Cached();
  Cached(const Cached&) = delete;
  Cached& operator=(const Cached&) = delete;
};

}  // namespace utils::parametrize

namespace utils::parametrizations {

// PyTorch 2's weight_norm: original0 = g (norm_except_dim of the weight), original1 = v;
// weight = v * (g / ||v||) (dim -1 or nullopt: one norm of the whole tensor).
Module& weight_norm(Module& module, const std::string& name = "weight", std::optional<int64_t> dim = 0);
// PyTorch 2's spectral_norm: weight = original / sigma, with buffers _u and _v of the
// parametrization (15 power iterations when made, then n_power_iterations per call in
// training mode, none in eval); a 1-D weight is normalized exactly. dim = nullopt: 1 for the
// transposed convolutions, else 0.
Module& spectral_norm(Module& module, const std::string& name = "weight", int64_t n_power_iterations = 1,
                      double eps = 1e-12, std::optional<int64_t> dim = std::nullopt);
// PyTorch 2's orthogonal: the weight (a matrix or a batch of them, [..., n, k]) kept orthogonal
// (orthonormal columns when n >= k, rows when n < k). orthogonal_map: "matrix_exp" (exp of a
// skew-symmetric matrix), "cayley" ((I - A/2)^-1 (I + A/2)) or "householder" (a product of
// reflectors); nullopt: matrix_exp for a square weight, else householder. use_trivialization
// (PyTorch's default): the parametrization's buffer "base" holds the registration's weight made
// orthogonal, and the original starts at -I (the weight unchanged); without it, householder
// takes the weight's value through QR and the other maps take the weight as their original
// (the weight becomes the map of it), as PyTorch's. Note [Parametrizations].
Module& orthogonal(Module& module, const std::string& name = "weight",
                   std::optional<std::string> orthogonal_map = std::nullopt, bool use_trivialization = true);

}  // namespace utils::parametrizations

}  // namespace ember::nn
