// nn::Module: the base of every layer. Holds named parameters, buffers and child
// modules (dotted names "0.weight", "1.running_mean"), the training flag (train()/eval(),
// recursive), zero_grad, requires_grad_, to(Device), to(MemoryFormat), apply,
// state_dict/load_state_dict and printing. A module or tensor reached twice (a shared layer,
// tied weights) is listed once, as PyTorch's (Note [Shared modules and tensors]).
// train()/eval() change what is computed; grad mode changes what is remembered.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "nn/module_hooks.h"

namespace ember::nn {

// PyTorch's zero_grad for one parameter: .grad undefined (set_to_none), or zeroed in
// place after dropping a history it may have from backward(create_graph), so the next
// backward does not add onto a freed graph. Module::zero_grad and Optimizer::zero_grad.
void zero_grad_of(Tensor& parameter, bool set_to_none);

// What load_state_dict passed over (PyTorch's _IncompatibleKeys), for strict = false: the
// module's keys the state dict lacks, and the state dict's keys the module has no entry for,
// each in the order met. Both are empty after a strict load, which throws otherwise.
struct IncompatibleKeys {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
};
// As PyTorch prints it: "<All keys matched successfully>", else
// "_IncompatibleKeys(missing_keys=['a'], unexpected_keys=[])".
std::ostream& operator<<(std::ostream& os, const IncompatibleKeys& keys);

// Note [Shared modules and tensors]
// One module may sit in the tree twice (Sequential({lin, relu, lin})) and one tensor may
// fill two slots (weight tying: decoder.weight = encoder.weight). As PyTorch's,
// named_parameters / parameters / named_buffers / buffers / named_modules / modules list
// each module and each tensor (by identity, Tensor::is_same) once, under the first name
// met; children / named_children list each child once per parent, so apply visits a
// module once per parent that holds it. state_dict keeps every name ("0.weight" and
// "2.weight"), and load_state_dict fills every one of them.

class Module : public std::enable_shared_from_this<Module> {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  // libtorch's Module(): the name is the class's (struct Net : nn::Module prints as "Net").
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The module's computation on one input. The default is PyTorch's "Module [Net] is
  // missing the required "forward" function" error, so a module written as libtorch's
  // (a forward of its own signature, called as net->forward(x)) compiles.
  virtual Tensor forward(const Tensor& input);
  // Runs forward inside a ledger scope named after the module, so the
  // saved-activation ledger attributes bytes to layers.
  Tensor operator()(const Tensor& input);
  // How many module calls (operator()) are running on this thread: 1 inside a top-level call's
  // forward, 2 inside a module it calls, ...
  static int call_depth();
  // Like forward, but the caller gives up `input` (Sequential passes its intermediate
  // values this way): when nothing records and no one else holds its storage, a module
  // may write its result into it (ReLU, eval-mode BatchNorm), so a no_grad / inference
  // forward keeps fewer full-size tensors alive. Default: forward(input).
  virtual Tensor forward_consuming(Tensor input) { return forward(input); }

  // ---- structure (Note [Shared modules and tensors]) ----
  // remove_duplicate = false lists a shared tensor (or one in a shared module) under each
  // of its names, as PyTorch 2's argument.
  std::vector<Tensor> parameters(bool recurse = true) const;
  StateDict named_parameters(bool recurse = true, bool remove_duplicate = true) const;
  // PyTorch's leading prefix= ("model" gives "model.0.weight"). The const char* forms keep a
  // string literal from binding to recurse.
  StateDict named_parameters(const std::string& prefix, bool recurse = true, bool remove_duplicate = true) const;
  StateDict named_parameters(const char* prefix, bool recurse = true, bool remove_duplicate = true) const {
    return named_parameters(std::string(prefix), recurse, remove_duplicate);
  }
  std::vector<Tensor> buffers(bool recurse = true) const;
  StateDict named_buffers(bool recurse = true, bool remove_duplicate = true) const;
  StateDict named_buffers(const std::string& prefix, bool recurse = true, bool remove_duplicate = true) const;
  StateDict named_buffers(const char* prefix, bool recurse = true, bool remove_duplicate = true) const {
    return named_buffers(std::string(prefix), recurse, remove_duplicate);
  }
  // The direct children, each once (the first name under which it was registered).
  std::vector<std::shared_ptr<Module>> children() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  // Every module in the tree with its dotted path ("" for this one, or `prefix`, which
  // then begins every path, as PyTorch's prefix=), depth first; with remove_duplicate =
  // false a shared module is listed (with its subtree) at each path.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules(bool remove_duplicate = true,
                                                                           const std::string& prefix = "");
  // PyTorch's order: named_modules(prefix="model", remove_duplicate=...).
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules(const std::string& prefix,
                                                                           bool remove_duplicate = true) {
    return named_modules(remove_duplicate, prefix);
  }
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules(const char* prefix,
                                                                           bool remove_duplicate = true) {
    return named_modules(remove_duplicate, std::string(prefix));
  }
  // PyTorch's get_submodule("layer1.0.conv"): the module at a dotted path ("" is this one),
  // or its "has no attribute `x`" error.
  std::shared_ptr<Module> get_submodule(const std::string& target);
  // PyTorch's set_submodule("layer1.0.conv", module, strict): `module` under the path's last
  // name in the module the rest of the path names (replace_module's swap for a child of that
  // name; a missing one is added unless strict, PyTorch's "has no attribute" error then). A
  // member of the parent that holds the old child still calls it (see replace_module).
  void set_submodule(const std::string& target, std::shared_ptr<Module> module, bool strict = false);
  // PyTorch's add_module(name, module): a child under `name` (not empty, no ".", not a name
  // already used; replace_module replaces a child).
  void add_module(const std::string& name, std::shared_ptr<Module> module);
  // libtorch's unregister_module (PyTorch's delattr of a submodule): the child leaves the
  // tree (parameters(), state_dict()); a typed member holding it still calls it, as libtorch's.
  // Sequential and ModuleList renumber the children after it, as PyTorch's `del seq[i]`.
  // Errors: no child `name`.
  void unregister_module(const std::string& name);
  // named_modules' modules: this one first.
  std::vector<std::shared_ptr<Module>> modules();
  // Puts `module` where the child registered as `name` was (PyTorch's setattr of a
  // submodule), e.g. SyncBatchNorm::convert_sync_batchnorm's swap. A module that keeps
  // its own pointers to its children overrides child_replaced to follow.
  // Returns the new module, as libtorch's, for the member that holds it: a module whose
  // forward calls a member must reassign it (fc = replace_module("fc", head)), or its
  // forward still runs the old child while parameters() and state_dict() see the new one.
  template <typename M>
  std::shared_ptr<M> replace_module(const std::string& name, std::shared_ptr<M> module) {
    replace_child(name, module);
    return module;
  }
  template <typename Holder>
    requires requires(const Holder& h) { std::shared_ptr<Module>(h.ptr()); }
  Holder replace_module(const std::string& name, Holder holder) {
    replace_child(name, holder.ptr());
    return holder;
  }
  // The name given to the constructor, else the class's unqualified name.
  const std::string& type_name() const;
  // libtorch's module->as<Linear>(): this module as M, or nullptr when it is not one.
  template <typename M>
  M* as() {
    return dynamic_cast<M*>(this);
  }
  template <typename M>
  const M* as() const {
    return dynamic_cast<const M*>(this);
  }

  // ---- modes ----
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  void zero_grad(bool set_to_none = true);
  // Sets requires_grad of every parameter (recursively), e.g. requires_grad_(false) to
  // freeze a pretrained part; returns *this, as PyTorch's returns self.
  Module& requires_grad_(bool requires_grad = true);

  // ---- mode diagnostics (Note [Mode diagnostics] in nn/diagnostics.h) ----
  // Whether forward computes something else in eval mode (BatchNorm with running
  // statistics, Dropout with p > 0). A user module whose forward reads is_training()
  // overrides this, so step_after_eval_forward watches it.
  virtual bool depends_on_training_flag() const { return false; }
  // What eval mode changes, for the message ("Dropout(p=0.5) drops nothing").
  virtual std::string eval_mode_effect() const { return "its forward depends on the training flag"; }
  // eval_mode_effect as the diagnostics keep it, called at each eval-mode forward that
  // records: a module whose effect reads device numbers snapshots them here and reads
  // them only when a message is made (no host synchronisation per forward).
  virtual std::function<std::string()> eval_mode_effect_later() const {
    return [effect = eval_mode_effect()] { return effect; };
  }
  // This module (and its children) run in eval mode on purpose while the rest trains,
  // e.g. fine-tuning with frozen BatchNorm statistics: step_after_eval_forward stays silent.
  void set_eval_on_purpose(bool on = true);
  bool eval_on_purpose() const { return eval_on_purpose_; }
  // PyTorch's reset_parameters() of the layers that have one (Linear, Bilinear, the
  // convolutions, the RNN family, Embedding(Bag), the norms): this module's own parameters
  // drawn again as its constructor draws them, written in place under no_grad (so an
  // optimizer keeps training them); a module without one does nothing, so
  // net->apply([](Module& m) { m.reset_parameters(); }) re-initialises a model.
  virtual void reset_parameters() {}
  // The conversions below keep each parameter's identity (Note [Module conversions keep
  // parameter identity]): an optimizer made before still trains the module.
  // Moves parameters, buffers and gradients to `device` (recursively).
  virtual void to(Device device);
  // Lays out every 4-D parameter and buffer (recursively) in `format`, like PyTorch's
  // module.to(memory_format=...): each takes its contiguous(format) copy (a gradient
  // too); tensors of other ranks, or already in the format, are left as they are; Preserve
  // changes nothing.
  void to(MemoryFormat format);
  // Casts every floating-point parameter and buffer (and gradient) to `dtype`, as
  // PyTorch's module.to(torch.float64) / module.double(); integer buffers
  // (num_batches_tracked) stay; a non-floating dtype is PyTorch's error.
  void to(DType dtype);
  // PyTorch's module.half() / module.bfloat16(): to(kFloat16) / to(kBFloat16). Batch norm,
  // softmax and the class losses then run in float32 and round back (Note [16-bit layers
  // outside autocast] in nn/functional/args.h).
  void half() { to(kFloat16); }
  void bfloat16() { to(kBFloat16); }
  // PyTorch's module.cpu() / module.cuda(i) (module.float() / double() are C++ keywords:
  // to(kFloat32) / to(kFloat64)).
  void cpu() { to(Device::cpu()); }
  void cuda(int index = 0) { to(Device::cuda(index)); }
  void to(Device device, DType dtype) {  // model.to(device, dtype)
    to(device);
    to(dtype);
  }
  void apply(const std::function<void(Module&)>& fn);

  // ---- hooks (Note [Module hooks] in nn/module_hooks.h) ----
  // Each returns a handle whose remove() unregisters the hook; prepend runs it first. A
  // hook may return std::nullopt or an undefined Tensor (or be a void lambda) to leave the
  // tensor as it is, as PyTorch's None.
  RemovableHandle register_forward_pre_hook(ForwardPreHook hook, bool prepend = false);
  RemovableHandle register_forward_hook(ForwardHook hook, bool prepend = false);
  RemovableHandle register_full_backward_pre_hook(BackwardPreHook hook, bool prepend = false);
  RemovableHandle register_full_backward_hook(BackwardHook hook, bool prepend = false);
  template <typename F>
    requires std::is_void_v<std::invoke_result_t<F&, Module&, const Tensor&>>
  RemovableHandle register_forward_pre_hook(F hook, bool prepend = false) {
    return register_forward_pre_hook(ForwardPreHook(returning_nothing<const Tensor&>(std::move(hook))), prepend);
  }
  template <typename F>
    requires std::is_void_v<std::invoke_result_t<F&, Module&, const Tensor&, const Tensor&>>
  RemovableHandle register_forward_hook(F hook, bool prepend = false) {
    return register_forward_hook(ForwardHook(returning_nothing<const Tensor&, const Tensor&>(std::move(hook))), prepend);
  }
  template <typename F>
    requires std::is_void_v<std::invoke_result_t<F&, Module&, const Tensor&>>
  RemovableHandle register_full_backward_pre_hook(F hook, bool prepend = false) {
    return register_full_backward_pre_hook(BackwardPreHook(returning_nothing<const Tensor&>(std::move(hook))),
                                           prepend);
  }
  template <typename F>
    requires std::is_void_v<std::invoke_result_t<F&, Module&, const Tensor&, const Tensor&>>
  RemovableHandle register_full_backward_hook(F hook, bool prepend = false) {
    return register_full_backward_hook(BackwardHook(returning_nothing<const Tensor&, const Tensor&>(std::move(hook))),
                                       prepend);
  }

  // Names a hook so code that registered it can find it again (weight_norm's removal:
  // "weight_norm.weight"); hook_tagged gives its handle, or an empty one when none.
  void tag_hook(const RemovableHandle& handle, const std::string& tag);
  RemovableHandle hook_tagged(const std::string& tag) const;
  std::vector<std::string> hook_tags() const;
  // Runs the tagged forward pre-hooks (the reparametrizations': weight_norm, spectral_norm,
  // prune, parametrize), in order, as a call would: a module that reads another's parameter
  // without calling it (MultiheadAttention's out_proj.weight) gets this step's value, as
  // PyTorch's parametrized attribute computed at each read. No tagged hook: nothing runs.
  void recompute_reparametrized();

  // The state-dict hooks (Note [State-dict hooks] in nn/module_hooks.h), PyTorch's
  // register_state_dict_pre_hook, register_state_dict_post_hook,
  // register_load_state_dict_pre_hook and register_load_state_dict_post_hook.
  RemovableHandle register_state_dict_pre_hook(StateDictPreHook hook);
  RemovableHandle register_state_dict_post_hook(StateDictPostHook hook);
  RemovableHandle register_load_state_dict_pre_hook(LoadStateDictPreHook hook);
  RemovableHandle register_load_state_dict_post_hook(LoadStateDictPostHook hook);

  // ---- registration, public as PyTorch's ----
  // A new parameter or buffer; a parameter's (buffer's) name again replaces its value in the
  // same slot (and a buffer's persistence), as PyTorch's; another kind's name (a child's too)
  // is PyTorch's "attribute 'x' already exists". A parameter given as a leaf that requires grad (another module's) is
  // kept as it is, so the two share it, listed once; another tensor (one with history too) is
  // detached and requires grad as asked, PyTorch's `nn.Parameter(t)`. The returned slot
  // stays valid for the module's life. A non-persistent buffer is in buffers() and follows
  // to(), but is not part of state_dict() (so load_state_dict neither expects nor accepts it).
  Tensor& register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  Tensor& register_buffer(const std::string& name, Tensor value, bool persistent = true);
  // A parameter or buffer by dotted path ("0.weight"), PyTorch's get_parameter/get_buffer.
  Tensor& get_parameter(const std::string& target);
  Tensor& get_buffer(const std::string& target);
  // Reparametrizations (weight_norm, spectral_norm; Note [Reparametrized weights] in
  // nn/weight_norm.h): parameter `name` leaves parameters() and the state dict but keeps its
  // slot (a layer's own reference, e.g. Linear::weight, stays valid) as a plain attribute
  // whose value a forward pre-hook sets; attribute_to_parameter makes it a parameter again
  // holding its current value (detached). remove_parameter drops one (its slot is emptied).
  Tensor& parameter_to_attribute(const std::string& name);
  Tensor& attribute_to_parameter(const std::string& name);
  void remove_parameter(const std::string& name);
  void remove_buffer(const std::string& name);

  // ---- state ----
  // Parameters then persistent buffers, then "_extra_state" where get_extra_state gives one,
  // each module in order, every name of a shared one. prefix begins every key; keep_vars:
  // the entries are the parameters themselves (requiring grad), not detached aliases.
  StateDict state_dict(const std::string& prefix = "", bool keep_vars = false) const;
  // strict: missing or unexpected keys are errors; shapes must always match. Returns the
  // keys passed over (empty lists after a strict load). A key of optional_state_keys
  // absent from `state` is not missing: the module keeps its value. A failed load changes
  // nothing. assign (PyTorch's assign=True): each parameter and buffer takes the state
  // dict's tensor itself (its dtype, device and memory; the handle and requires_grad stay
  // the module's) instead of a copy into its own.
  IncompatibleKeys load_state_dict(const StateDict& state, bool strict = true, bool assign = false);
  // PyTorch's get_extra_state / set_extra_state: state that is not a parameter or buffer
  // (a vocabulary size, a step count), saved under "<prefix>_extra_state" when
  // get_extra_state returns a defined tensor (default: none). load_state_dict then expects
  // that key, of any shape, and hands it to set_extra_state once every check has passed.
  // A module whose state exists only after a load (an empty vocabulary) overrides
  // has_extra_state to return true, as PyTorch decides by the set_extra_state override.
  virtual Tensor get_extra_state() const { return Tensor(); }
  virtual bool has_extra_state() const { return get_extra_state().defined(); }
  virtual void set_extra_state(const Tensor& state);
  // This module's own state entries (no prefix) that a state dict may leave out, as
  // PyTorch's _load_from_state_dict overrides allow: BatchNorm's num_batches_tracked,
  // which older checkpoints lack. Default: none.
  virtual std::vector<std::string> optional_state_keys() const { return {}; }

  // Like PyTorch's repr: Sequential(\n  (0): Conv2d(1, 32, kernel_size=(3, 3), ...)\n)
  virtual std::string extra_repr() const { return ""; }
  std::string repr(int indent = 0) const;
  // Whether repr prints a run of equal children once, "(0-2): 3 x Linear(...)" (ModuleList).
  virtual bool repr_groups_repeats() const { return false; }

  // A new child: PyTorch's add_module checks (a name that is not empty, has no ".", and is
  // no other child's, parameter's or buffer's: libtorch's "already defined"; replace_module
  // replaces a child). Public, as libtorch's.
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    check_new_child(name, module.get());
    children_.emplace_back(name, module);
    return module;
  }
  // A module handle (nn/module_holder.h's ModuleHolder, EMBER_MODULE): registered as its
  // module, and given back, as libtorch's conv1 = register_module("conv1", Conv(...)).
  template <typename Holder>
    requires requires(const Holder& h) { std::shared_ptr<Module>(h.ptr()); }
  Holder register_module(const std::string& name, Holder holder) {
    register_module(name, holder.ptr());
    return holder;
  }

 protected:
  void check_new_child(const std::string& name, const Module* module) const;
  void replace_child(const std::string& name, std::shared_ptr<Module> module);  // replace_module's work
  // Drops every child registration (containers renumber theirs after an insert or a pop,
  // as PyTorch's Sequential renumbers its keys, by registering them again).
  void clear_children() { children_.clear(); }
  bool has_child(const std::string& name) const;
  // Calls child(input) with the ledger scope `name` (e.g. Sequential's "0", "1"),
  // instead of the child's type name.
  static Tensor call_child(const std::string& name, Module& child, const Tensor& input);
  static Tensor call_child_consuming(const std::string& name, Module& child, Tensor input);
  // After replace_module put `module` at position `index` of the children.
  virtual void child_replaced(size_t /*index*/, const std::shared_ptr<Module>& /*module*/) {}
  // After unregister_module took the child at position `index` out of the children.
  virtual void child_unregistered(size_t /*index*/) {}
  // Called on each module of the tree, with its state-dict prefix ("0."), before
  // load_state_dict compares shapes: a lazy module sizes its parameters from the
  // checkpoint's (Note [Lazy modules] in nn/lazy.h).
  virtual void prepare_state_load(const std::map<std::string, Tensor>& /*state*/, const std::string& /*prefix*/) {}
  // Called on each prepared module, in reverse order, when the load ends: `loaded` false
  // undoes what prepare_state_load did, so a failed load changes nothing.
  virtual void finish_state_load(bool /*loaded*/) {}
  // A lazy module takes the name of the module it became (LazyLinear -> Linear).
  void set_type_name(std::string name) { type_name_ = std::move(name); }
  // True when `t` may be overwritten by a consuming forward: nothing will be recorded
  // for it, this handle is its only owner, its storage has no other views, and it is
  // dense (row-major or channels-last).
  static bool reusable(const Tensor& t);
  // True when `t` may be overwritten by a recorded in-place op in a consuming forward
  // (Note [In-place activations while recording] in nn/activation.cpp): it is an op's
  // result with a history, this handle is its only owner and no view or saved tensor
  // shares its storage, so no backward reads the values the op overwrites.
  static bool reusable_while_recording(const Tensor& t);

 private:
  template <typename... Args, typename F>
  static auto returning_nothing(F hook) {
    return [hook = std::move(hook)](Module& m, Args... args) mutable -> std::optional<Tensor> {
      hook(m, args...);
      return std::nullopt;
    };
  }
  template <typename Hook>
  RemovableHandle add_hook(std::map<int64_t, Hook> ModuleHooks::*list, Hook hook, bool prepend);
  Tensor invoke_hooked(Tensor input);
  Tensor& slot_of_target(const std::string& target, bool parameter);
  std::unique_ptr<Tensor> take_slot(std::vector<std::pair<std::string, std::unique_ptr<Tensor>>>& list,
                                    const std::string& name, const char* kind);

  // Replaces each parameter and buffer that `picks` (recursively) by convert(t), keeping
  // requires_grad and converting a gradient alike: to(MemoryFormat) and to(DType).
  void replace_tensors(const std::function<bool(const Tensor&)>& picks,
                       const std::function<Tensor(const Tensor&)>& convert);
  Tensor invoke(Tensor input, bool consuming);
  // Calls fn(path, module, holder) on this module (at `path`, held by `holder`: null for
  // the root) and its subtree, depth first. With a memo, a module already in it is left
  // out with its subtree (remove_duplicate).
  using ModuleVisitor = std::function<void(const std::string&, const Module&, const std::shared_ptr<Module>&)>;
  void visit(const std::string& path, const std::shared_ptr<Module>& holder, std::set<const Module*>* memo,
             const ModuleVisitor& fn) const;
  // named_parameters (params) or named_buffers.
  StateDict named_tensors(bool params, bool recurse, bool remove_duplicate) const;
  // state_dict's recursion, with the state-dict hooks of each module.
  void state_dict_into(StateDict& out, const std::string& prefix, bool keep_vars) const;
  // The load_state_dict post-hooks of the tree, children first (Note [State-dict hooks]).
  void run_load_post_hooks(IncompatibleKeys& keys);

  mutable std::string type_name_;  // filled from the class's name at first use when not given
  bool training_ = true;
  bool eval_on_purpose_ = false;
  // Tensors live in these lists; the map nodes keep their addresses stable.
  std::vector<std::pair<std::string, std::unique_ptr<Tensor>>> parameters_;
  std::vector<std::pair<std::string, std::unique_ptr<Tensor>>> buffers_;
  std::set<std::string> non_persistent_buffers_;  // names in buffers_ left out of state_dict
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  // Reparametrized tensors (parameter_to_attribute) and the emptied slots of removed ones.
  std::vector<std::pair<std::string, std::unique_ptr<Tensor>>> attributes_;
  std::vector<std::unique_ptr<Tensor>> removed_slots_;
  std::shared_ptr<ModuleHooks> hooks_;  // made at the first registration
};

std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace ember::nn
