// torch.nn.utils.prune: a parameter replaced by `<name>_orig * <name>_mask`, recomputed
// before every call of its module (Note [Pruning masks]); unstructured, structured,
// global and custom masks, iterated, and made permanent by remove().
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"

namespace ember::nn::utils::prune {

// Note [Pruning masks]
// As PyTorch 1.13's torch.nn.utils.prune. Pruning `name` of a module for the first time
// moves the parameter to `<name>_orig` (the same tensor: an optimizer made before keeps
// training it), registers the buffer `<name>_mask` (0 pruned, 1 kept, the parameter's
// dtype) and makes `name` an attribute equal to orig * mask, recomputed with autograd by
// a forward pre-hook (Note [Module hooks]) before every call, so pruned entries get a
// zero gradient in orig and stay zero in the weight. The state dict holds
// `<name>_orig` and `<name>_mask` (PyTorch's keys and order). Pruning the same name
// again combines the masks: the new method sees only what is still kept (unstructured:
// the kept entries, flattened; structured: the channels not yet all zero; global or a
// custom mask: everything) and its amount counts in those (PyTorch's PruningContainer).
// An amount is a count (an integer, at most the entries or channels considered) or a
// fraction in [0, 1] rounded half to even, as Python's round(amount * n). The mask is
// computed from `importance_scores` (default: the parameter) before the module changes,
// so a refused pruning leaves the module as it was. remove(module, name) multiplies once
// more and makes `name` the parameter again (the `_orig` tensor, holding the pruned
// values); the pruning itself is permanent. Ties in L1 or Ln order may choose other
// entries than PyTorch's topk; random methods draw from ember's generator.

// PyTorch's `amount`: an int count or a float fraction.
class Amount {
 public:
  Amount(int count) : Amount(static_cast<int64_t>(count)) {}  // NOLINT(google-explicit-constructor)
  Amount(int64_t count);                                       // NOLINT(google-explicit-constructor)
  Amount(double fraction);                                     // NOLINT(google-explicit-constructor)
  // The number to prune out of n: the count (at most n), or round(fraction * n).
  int64_t of(int64_t n) const;
  std::string repr() const;  // as Python prints it: "3", "0.2"

 private:
  bool is_count_;
  int64_t count_ = 0;
  double fraction_ = 0;
};

// torch.nn.utils.prune.BasePruningMethod: the mask for importance scores `t`, on top of
// `default_mask` (ones for a parameter not yet pruned), same shape as t.
class PruningMethod {
 public:
  enum class Type { Unstructured, Structured, Global };
  virtual ~PruningMethod() = default;
  virtual Type type() const = 0;
  virtual Tensor compute_mask(const Tensor& t, const Tensor& default_mask) const = 0;
  // The channel dim of a structured method.
  virtual int64_t dim() const { return -1; }
};

class Identity final : public PruningMethod {
 public:
  Type type() const override { return Type::Unstructured; }
  Tensor compute_mask(const Tensor& t, const Tensor& default_mask) const override;
};

// The `amount` entries with the largest uniform draws are pruned.
class RandomUnstructured final : public PruningMethod {
 public:
  explicit RandomUnstructured(Amount amount) : amount_(amount) {}
  Type type() const override { return Type::Unstructured; }
  Tensor compute_mask(const Tensor& t, const Tensor& default_mask) const override;

 private:
  Amount amount_;
};

// The `amount` entries of smallest |t| are pruned.
class L1Unstructured final : public PruningMethod {
 public:
  explicit L1Unstructured(Amount amount) : amount_(amount) {}
  Type type() const override { return Type::Unstructured; }
  Tensor compute_mask(const Tensor& t, const Tensor& default_mask) const override;

 private:
  Amount amount_;
};

// `amount` channels along `dim` (of a tensor with 2 or more dims) pruned at random.
class RandomStructured final : public PruningMethod {
 public:
  explicit RandomStructured(Amount amount, int64_t dim = -1) : amount_(amount), dim_(dim) {}
  Type type() const override { return Type::Structured; }
  int64_t dim() const override { return dim_; }
  Tensor compute_mask(const Tensor& t, const Tensor& default_mask) const override;

 private:
  Amount amount_;
  int64_t dim_;
};

// The `amount` channels along `dim` of smallest Ln norm (over the other dims) pruned;
// n as torch.norm's p: a positive number, or +-infinity.
class LnStructured final : public PruningMethod {
 public:
  LnStructured(Amount amount, double n, int64_t dim = -1) : amount_(amount), n_(n), dim_(dim) {}
  Type type() const override { return Type::Structured; }
  int64_t dim() const override { return dim_; }
  Tensor compute_mask(const Tensor& t, const Tensor& default_mask) const override;

 private:
  Amount amount_;
  double n_;
  int64_t dim_;
};

// The user's mask (nonzero: kept), times the default mask.
class CustomFromMask final : public PruningMethod {
 public:
  explicit CustomFromMask(Tensor mask) : mask_(std::move(mask)) {}
  Type type() const override { return Type::Global; }
  Tensor compute_mask(const Tensor& t, const Tensor& default_mask) const override;

 private:
  Tensor mask_;
};

// Prunes parameter `name` of `module` with `method` (the functions below name PyTorch's);
// importance_scores: undefined for the parameter itself, else of its shape.
Module& apply(Module& module, const std::string& name, const PruningMethod& method,
              const Tensor& importance_scores = Tensor());

Module& identity(Module& module, const std::string& name);
Module& random_unstructured(Module& module, const std::string& name, Amount amount);
Module& l1_unstructured(Module& module, const std::string& name, Amount amount,
                        const Tensor& importance_scores = Tensor());
Module& random_structured(Module& module, const std::string& name, Amount amount, int64_t dim);
Module& ln_structured(Module& module, const std::string& name, Amount amount, double n, int64_t dim,
                      const Tensor& importance_scores = Tensor());
Module& custom_from_mask(Module& module, const std::string& name, const Tensor& mask);

// One unstructured `method` over the parameters together (e.g. the 20% smallest weights of
// the whole model): their scores flattened into one vector (importance_scores: one per
// parameter, or empty for the parameters themselves), each masked with its share of the
// result (custom_from_mask). A structured method is PyTorch's TypeError.
void global_unstructured(const std::vector<std::pair<Module*, std::string>>& parameters, const PruningMethod& method,
                         const std::vector<Tensor>& importance_scores = {});

// Makes the pruning permanent: `name` a parameter again holding orig * mask; `_orig`,
// `_mask` and the hook are gone. A name not pruned is PyTorch's ValueError.
Module& remove(Module& module, const std::string& name);

// Whether `module` or any module under it has a pruned parameter.
bool is_pruned(const Module& module);

}  // namespace ember::nn::utils::prune
