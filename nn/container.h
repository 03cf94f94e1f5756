// nn::Sequential (children "0", "1", ... called in order, each in a ledger scope named by
// its index), nn::ModuleList / nn::ModuleDict (registered modules by position or by name)
// and nn::ParameterList / nn::ParameterDict (registered parameters likewise); the last four,
// as in PyTorch, hold things for a parent's forward and have no forward of their own.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <concepts>
#include <initializer_list>
#include <vector>

#include "core/error.h"
#include "nn/module.h"

namespace ember::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& modules);
  // Sequential({conv, bn, relu}): a braced list of modules of any types (without it the
  // list could also read as the modules-as-arguments form below, making one Sequential).
  explicit Sequential(std::initializer_list<std::shared_ptr<Module>> modules)
      : Sequential(std::vector<std::shared_ptr<Module>>(modules)) {}
  // libtorch's Sequential(Linear(...), ReLU(), ...): the modules as arguments, in order.
  template <typename... M>
    requires(sizeof...(M) > 0 && (std::convertible_to<M, std::shared_ptr<Module>> && ...))
  explicit Sequential(M&&... modules)
      : Sequential(std::vector<std::shared_ptr<Module>>{std::shared_ptr<Module>(std::forward<M>(modules))...}) {}
  Tensor forward(const Tensor& input) override;
  // Children [begin, end) in order, scoped as forward scopes them (checkpoint_sequential).
  Tensor forward_range(size_t begin, size_t end, const Tensor& input);

  void push_back(std::shared_ptr<Module> module);  // PyTorch's append
  void extend(const std::vector<std::shared_ptr<Module>>& modules);
  // PyTorch's insert(index, module) (index may be negative, or the size) and pop(index) /
  // del seq[index]: the children after it are renumbered, as PyTorch's keys.
  void insert(int64_t index, std::shared_ptr<Module> module);
  std::shared_ptr<Module> pop(int64_t index = -1);
  // The child at `index` (negative counts from the end, as Python's), or an Error naming the size.
  const std::shared_ptr<Module>& operator[](int64_t index) const;
  // The child as M (model[0].bias is get<Linear>(0)->bias), or an Error naming both types.
  template <typename M>
  std::shared_ptr<M> get(int64_t index) const {
    const auto& m = (*this)[index];
    auto typed = std::dynamic_pointer_cast<M>(m);
    EMBER_CHECK(typed != nullptr, "Sequential: element ", index, " is a ", m->type_name(),
                ", not the type asked for");
    return typed;
  }
  // PyTorch's seq[start:stop]: a new Sequential of the same children (shared, not copied),
  // the bounds clamped and negative ones counted from the end, as Python's slices.
  std::shared_ptr<Sequential> slice(int64_t start, int64_t stop) const;
  size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 protected:
  void child_replaced(size_t index, const std::shared_ptr<Module>& module) override { modules_[index] = module; }
  void child_unregistered(size_t index) override { modules_.erase(modules_.begin() + static_cast<ptrdiff_t>(index)); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

// PyTorch's nn.ModuleList: parameters of every element are the parent's ("layers.0.weight"),
// train()/eval()/to() reach them; indexing takes negative positions like Python's.
class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  explicit ModuleList(const std::vector<std::shared_ptr<Module>>& modules);
  // PyTorch's NotImplementedError: a container is iterated by its parent's forward.
  Tensor forward(const Tensor& input) override;

  void push_back(std::shared_ptr<Module> module);  // PyTorch's append
  void extend(const std::vector<std::shared_ptr<Module>>& modules);
  // PyTorch's insert / pop (del list[i]): the elements after it renumbered.
  void insert(int64_t index, std::shared_ptr<Module> module);
  std::shared_ptr<Module> pop(int64_t index = -1);
  // The element at `index` (negative counts from the end), or an Error naming the size.
  const std::shared_ptr<Module>& operator[](int64_t index) const;
  // PyTorch's list[i] = module: element `index` replaced (negative counts from the end), its
  // key kept.
  void set(int64_t index, std::shared_ptr<Module> module);
  // PyTorch's list[start:stop]: a new ModuleList of the same modules, numbered from 0 (the
  // bounds clamped, negative ones counted from the end, as Python's slices). Another list's
  // modules are appended with extend({other.begin(), other.end()}).
  std::shared_ptr<ModuleList> slice(int64_t start, int64_t stop) const;
  // The element as M (a layer type), or an Error naming both types.
  template <typename M>
  std::shared_ptr<M> get(int64_t index) const {
    const auto& m = (*this)[index];
    auto typed = std::dynamic_pointer_cast<M>(m);
    EMBER_CHECK(typed != nullptr, "ModuleList: element ", index, " is a ", m->type_name(),
                ", not the type asked for");
    return typed;
  }
  size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }
  bool repr_groups_repeats() const override { return true; }  // PyTorch 2.x's ModuleList repr

 protected:
  void child_replaced(size_t index, const std::shared_ptr<Module>& module) override { modules_[index] = module; }
  void child_unregistered(size_t index) override { modules_.erase(modules_.begin() + static_cast<ptrdiff_t>(index)); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

// PyTorch's nn.ModuleDict: modules by key, iterated in insertion order; assigning an
// existing key replaces that module in place (its position and state_dict prefix stay).
class ModuleDict : public Module {
 public:
  using Item = std::pair<std::string, std::shared_ptr<Module>>;
  ModuleDict() : Module("ModuleDict") {}
  explicit ModuleDict(const std::vector<Item>& items);
  Tensor forward(const Tensor& input) override;  // as ModuleList::forward

  // Adds `module` under `key`, or replaces the module already there. Keys follow
  // PyTorch's add_module rules: not empty, no ".".
  void insert(const std::string& key, std::shared_ptr<Module> module);
  void update(const std::vector<Item>& items);
  bool contains(const std::string& key) const;
  // The module under `key`, or PyTorch's KeyError words.
  const std::shared_ptr<Module>& operator[](const std::string& key) const;
  template <typename M>
  std::shared_ptr<M> get(const std::string& key) const {
    const auto& m = (*this)[key];
    auto typed = std::dynamic_pointer_cast<M>(m);
    EMBER_CHECK(typed != nullptr, "ModuleDict: '", key, "' is a ", m->type_name(), ", not the type asked for");
    return typed;
  }
  std::vector<std::string> keys() const;
  std::vector<std::shared_ptr<Module>> values() const;
  // PyTorch's pop(key) (a KeyError when absent) and clear().
  std::shared_ptr<Module> pop(const std::string& key);
  void clear();
  const std::vector<Item>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

 protected:
  void child_replaced(size_t index, const std::shared_ptr<Module>& module) override { items_[index].second = module; }
  void child_unregistered(size_t index) override { items_.erase(items_.begin() + static_cast<ptrdiff_t>(index)); }

 private:
  std::vector<Item> items_;
};

// PyTorch's nn.ParameterList: parameters "0", "1", ... of this module, so a parent that
// registers the list has them as "params.0" in parameters(), state_dict(), to() and the
// optimizers. Each element is the registered parameter itself (its slot lives as long as
// the list), so `list[0].grad()` after backward is that parameter's gradient.
class ParameterList : public Module {
 public:
  ParameterList() : Module("ParameterList") {}
  explicit ParameterList(const std::vector<Tensor>& values);
  Tensor forward(const Tensor& input) override;  // as ModuleList::forward

  // PyTorch's append: registers `value` as parameter "<size>". A parameter (a leaf that
  // requires grad, e.g. another layer's weight) is held as it is, as PyTorch holds an
  // nn.Parameter; any other tensor is detached and requires grad as asked (nn.Parameter's
  // default: true). An undefined tensor is an Error.
  Tensor& push_back(const Tensor& value, bool requires_grad = true);
  void extend(const std::vector<Tensor>& values);
  // The element at `index` (negative counts from the end), or PyTorch's IndexError words.
  // Read-only: assigning goes through set(), which makes the value a parameter (a
  // writable reference would let `list[0] = w * 3` put a non-leaf among the parameters).
  const Tensor& operator[](int64_t index) const;
  // PyTorch's list[i] = value: a new parameter in that place (optimizers made before keep
  // the old one, as in PyTorch).
  void set(int64_t index, const Tensor& value, bool requires_grad = true);
  size_t size() const { return slots_.size(); }
  bool empty() const { return slots_.empty(); }
  std::vector<Tensor> values() const;
  // "(0): Parameter containing: [torch.float32 of size 3x4]" per element, as PyTorch 2's.
  std::string extra_repr() const override;

 private:
  size_t position(int64_t index) const;
  std::vector<Tensor*> slots_;
};

// PyTorch's nn.ParameterDict: parameters by key, in insertion order, registered under their
// keys ("heads.cls" for a dict registered as "heads"). Assigning an existing key replaces
// the parameter in its place.
class ParameterDict : public Module {
 public:
  using Item = std::pair<std::string, Tensor>;
  ParameterDict() : Module("ParameterDict") {}
  explicit ParameterDict(const std::vector<Item>& items);
  Tensor forward(const Tensor& input) override;  // as ModuleList::forward

  // Registers `value` under `key` (as ParameterList::push_back does), or replaces the
  // parameter there. Keys follow register_parameter's rules: not empty, no ".".
  Tensor& insert(const std::string& key, const Tensor& value, bool requires_grad = true);
  void update(const std::vector<Item>& items);
  bool contains(const std::string& key) const;
  // The parameter under `key`, or PyTorch's KeyError words naming the keys there are.
  // Read-only: insert() assigns (making the value a parameter, a new key included).
  const Tensor& operator[](const std::string& key) const;
  // PyTorch's get(key, default): the parameter, or `fallback` when the key is absent.
  Tensor get(const std::string& key, const Tensor& fallback = {}) const;
  // PyTorch's pop: removes the key and returns its parameter (a KeyError when absent).
  Tensor pop(const std::string& key);
  void clear();
  std::vector<std::string> keys() const;
  std::vector<Tensor> values() const;
  std::vector<Item> items() const;
  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }
  // "(cls): Parameter containing: [torch.FloatTensor of size 2x4]" per key, as PyTorch 2's.
  std::string extra_repr() const override;

 private:
  size_t position(const std::string& key) const;
  std::vector<std::string> keys_;
  std::vector<Tensor*> slots_;
};

}  // namespace ember::nn
