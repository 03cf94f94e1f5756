// nn::Module's state: state_dict / load_state_dict with PyTorch's error messages and
// IncompatibleKeys, extra state, the state-dict hooks (Note [State-dict hooks] in
// nn/module_hooks.h) and atomic loads (Note [Atomic state loads]).
#include "nn/module_state.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/grad_mode.h"

namespace ember::nn {

namespace {
std::string join_quoted(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "\"" : ", \"") + k + "\"";
  return out;
}
}  // namespace

using detail::prefix_of;

// ---------------------------------------------------------------- state
std::ostream& operator<<(std::ostream& os, const IncompatibleKeys& keys) {
  if (keys.missing_keys.empty() && keys.unexpected_keys.empty()) return os << "<All keys matched successfully>";
  const auto list = [](const std::vector<std::string>& names) {
    std::string out = "[";
    for (const auto& n : names) out += (out.size() > 1 ? ", '" : "'") + n + "'";
    return out + "]";
  };
  return os << "_IncompatibleKeys(missing_keys=" << list(keys.missing_keys)
            << ", unexpected_keys=" << list(keys.unexpected_keys) << ")";
}

void Module::set_extra_state(const Tensor&) {
  EMBER_FAIL(type_name(),
             ": get_extra_state() returns a state but set_extra_state() is not overridden to take it "
             "back; override both (PyTorch: \"Reached a code path in Module.set_extra_state() that should never be "
             "called\")");
}

// Every path of a shared module (no memo), as PyTorch's state_dict recursion.
// A post-hook's entry under a key already listed replaces it, as Python's
// state[key] = value: the last value wins, at the key's first position.
StateDict Module::state_dict(const std::string& prefix, bool keep_vars) const {
  StateDict out;
  state_dict_into(out, prefix, keep_vars);
  std::map<std::string, size_t> first;
  bool repeated = false;
  for (size_t i = 0; i < out.size(); ++i) repeated = !first.emplace(out[i].first, i).second || repeated;
  if (!repeated) return out;
  StateDict unique;
  for (size_t i = 0; i < out.size(); ++i) {
    const size_t at = first.at(out[i].first);
    if (at == i)
      unique.push_back(out[i]);
    else
      unique[static_cast<size_t>(
                 std::find_if(unique.begin(), unique.end(), [&](const auto& e) { return e.first == out[i].first; }) -
                 unique.begin())]
          .second = out[i].second;
  }
  return unique;
}

namespace {
// Set while load_state_dict lists the module's own entries: PyTorch's load reads the
// parameters and buffers themselves, never through state_dict() and its hooks.
thread_local bool tls_state_dict_without_hooks = false;
}  // namespace

namespace detail {
StateDict state_dict_without_hooks(const Module& module) {
  const bool previous = std::exchange(tls_state_dict_without_hooks, true);
  struct Restore {
    bool value;
    ~Restore() { tls_state_dict_without_hooks = value; }
  } restore{previous};
  return module.state_dict();
}
}  // namespace detail

void Module::state_dict_into(StateDict& out, const std::string& prefix, bool keep_vars) const {
  // a hook may remove the last hook
  const std::shared_ptr<ModuleHooks> hooks = tls_state_dict_without_hooks ? nullptr : hooks_;
  if (hooks)
    for (const auto& [_, hook] : std::map<int64_t, StateDictPreHook>(hooks->state_dict_pre))
      hook(*this, prefix, keep_vars);
  for (const auto& [name, t] : parameters_)
    if (t->defined()) out.emplace_back(prefix + name, keep_vars ? *t : t->detach());
  for (const auto& [name, t] : buffers_)
    if (t->defined() && !non_persistent_buffers_.count(name))
      out.emplace_back(prefix + name, keep_vars ? *t : t->detach());
  if (Tensor extra = get_extra_state(); extra.defined()) out.emplace_back(prefix + "_extra_state", extra);
  for (const auto& [name, child] : children_) child->state_dict_into(out, prefix + name + ".", keep_vars);
  if (hooks)
    for (const auto& [_, hook] : std::map<int64_t, StateDictPostHook>(hooks->state_dict_post)) hook(*this, out, prefix);
}

void Module::run_load_post_hooks(IncompatibleKeys& keys) {
  for (const auto& [_, child] : children_) child->run_load_post_hooks(keys);
  if (const std::shared_ptr<ModuleHooks> hooks = hooks_)
    for (const auto& [_, hook] : std::map<int64_t, LoadStateDictPostHook>(hooks->load_state_dict_post))
      hook(*this, keys);
}

// Errors are gathered as PyTorch does: missing keys, unexpected keys (both only when
// strict), then size mismatches (always); a failed load changes nothing (Note [Atomic state
// loads]) and undoes what prepare_state_load did (a lazy module sized). A shared module is
// prepared at each of its paths, as PyTorch's load recursion reaches it.
IncompatibleKeys Module::load_state_dict(const StateDict& caller_state, bool strict, bool assign) {
  const std::string module_name = type_name();  // before a lazy module takes its sized name
  const auto modules = named_modules(/*remove_duplicate=*/false);
  // The load pre-hooks (Note [State-dict hooks] in nn/module_hooks.h) change a copy of the
  // caller's state dict, parents first.
  bool pre_hooks = false, post_hooks = false;
  for (const auto& [path, module] : modules)
    if (module->hooks_) {
      pre_hooks = pre_hooks || !module->hooks_->load_state_dict_pre.empty();
      post_hooks = post_hooks || !module->hooks_->load_state_dict_post.empty();
    }
  // As PyTorch 2's, a child's hooks see (and change) only the entries under its prefix.
  StateDict hooked;
  if (pre_hooks) {
    hooked = caller_state;
    for (const auto& [path, module] : modules) {
      const std::shared_ptr<ModuleHooks> hooks = module->hooks_;
      if (!hooks || hooks->load_state_dict_pre.empty()) continue;
      const std::string prefix = prefix_of(path);
      StateDict own_entries, others;
      for (auto& entry : hooked) (entry.first.starts_with(prefix) ? own_entries : others).push_back(std::move(entry));
      // strict is always true here, as PyTorch's load passes it to _load_from_state_dict.
      for (const auto& [_, hook] : std::map<int64_t, LoadStateDictPreHook>(hooks->load_state_dict_pre))
        hook(*module, own_entries, prefix, /*strict=*/true);
      // Only keys under the prefix come back: PyTorch's child dict is the hook's own copy.
      hooked = std::move(others);
      for (auto& entry : own_entries)
        if (entry.first.starts_with(prefix)) hooked.push_back(std::move(entry));
    }
  }
  const StateDict& state = pre_hooks ? hooked : caller_state;
  // PyTorch's state dict is a dict: a key given twice (a ported model_dict.update(...)
  // appended rather than replaced) would otherwise load the first copy silently.
  std::map<std::string, Tensor> given;
  for (const auto& [key, value] : state)
    EMBER_CHECK(given.emplace(key, value).second, "load_state_dict: the state dict has two tensors named '", key,
                "' (a dict holds each key once: replace the entry rather than append another)");
  // The module's own slots (true for a parameter), and which keys are extra states (of any
  // shape) or optional.
  std::map<std::string, std::pair<Tensor*, bool>> slots;
  visit("", nullptr, nullptr, [&slots](const std::string& path, const Module& m, const std::shared_ptr<Module>&) {
    for (const auto* list : {&m.parameters_, &m.buffers_})
      for (const auto& [name, t] : *list)
        if (t->defined() && (list == &m.parameters_ || !m.non_persistent_buffers_.count(name)))
          slots[prefix_of(path) + name] = {t.get(), list == &m.parameters_};
  });
  size_t prepared = 0;
  try {
    for (; prepared < modules.size(); ++prepared)
      modules[prepared].second->prepare_state_load(given, prefix_of(modules[prepared].first));
    std::map<std::string, Module*> extra_states;
    std::set<std::string> optional_keys;
    for (const auto& [path, module] : modules) {
      for (const std::string& key : module->optional_state_keys()) optional_keys.insert(prefix_of(path) + key);
      if (module->has_extra_state()) extra_states.emplace(prefix_of(path) + "_extra_state", module.get());
    }
    // the module's own entries (PyTorch's local_state), without the state-dict hooks
    const StateDict own = detail::state_dict_without_hooks(*this);
    std::set<std::string> own_keys;
    IncompatibleKeys result;
    std::vector<std::string>& missing = result.missing_keys;
    std::vector<std::string>& unexpected = result.unexpected_keys;
    std::vector<std::string> mismatches;
    // A module that takes extra state it does not hold yet (has_extra_state with no state):
    // its key is expected too, as PyTorch's for an overridden set_extra_state.
    for (const auto& [key, _] : extra_states) {
      if (std::any_of(own.begin(), own.end(), [&](const auto& entry) { return entry.first == key; })) continue;
      own_keys.insert(key);
      if (!given.count(key)) missing.push_back(key);
    }
    for (const auto& [key, dest] : own) {
      own_keys.insert(key);
      auto it = given.find(key);
      if (it == given.end()) {
        if (!optional_keys.count(key)) missing.push_back(key);
      } else if (extra_states.count(key)) {
        continue;  // any shape: the module's set_extra_state decides
      } else if (!it->second.defined()) {
        mismatches.push_back(
            ember::detail::str_cat("While copying the parameter named \"", key,
                                   "\", expected a defined tensor from checkpoint but received an undefined "
                                   "one"));
      } else if (dest.dim() == 0 && it->second.dim() == 1 && it->second.numel() == 1) {
        it->second = it->second.reshape({});  // PyTorch's rule for checkpoints that stored scalars as [1]
      } else if (it->second.sizes() != dest.sizes()) {
        mismatches.push_back(ember::detail::str_cat("size mismatch for ", key,
                                                    ": copying a param with shape torch.Size(", it->second.sizes(),
                                                    ") from checkpoint, the shape in current model is "
                                                    "torch.Size(",
                                                    dest.sizes(), ")."));
      }
      if (assign && it != given.end() && it->second.defined() && slots.at(key).first->requires_grad() &&
          !it->second.is_floating_point())
        mismatches.push_back(
            ember::detail::str_cat("While copying the parameter named \"", key, "\" with assign=True, ",
                                   "Only Tensors of floating point and complex dtype can require gradients ", "(got ",
                                   dtype_name(it->second.dtype()), ")"));
    }
    for (const auto& [key, _] : state)
      if (!own_keys.count(key)) unexpected.push_back(key);

    // PyTorch's message: one error per line after a tab, missing and unexpected keys first.
    // With load post-hooks, which may accept keys, the keys are judged after them.
    const auto key_errors = [&] {
      std::string msg;
      if (strict && !missing.empty()) msg += "\n\tMissing key(s) in state_dict: " + join_quoted(missing) + ". ";
      if (strict && !unexpected.empty())
        msg += "\n\tUnexpected key(s) in state_dict: " + join_quoted(unexpected) + ". ";
      return msg;
    };
    const bool keys_after_hooks = post_hooks && mismatches.empty();
    std::string msg = keys_after_hooks ? "" : key_errors();
    for (const auto& m : mismatches) msg += "\n\t" + m;
    EMBER_CHECK(msg.empty(), "Error(s) in loading state_dict for ", module_name, ":", msg);

    NoGradGuard no_grad;
    // Note [Atomic state loads]
    // A load that fails changes nothing. Every check runs before the first write, except the
    // strict key check when load post-hooks may clear keys (Note [State-dict hooks]): then
    // each tensor written keeps its former value (its handle and gradient with assign, a
    // host copy without, so a GPU never holds the model twice) until the hooks have run, and
    // is set back if keys are left or a hook throws. The extra states go first, each undone
    // if a later one refuses its state. (A copy_ that itself fails part-way, out of memory,
    // is not undone.)
    std::vector<std::pair<Module*, Tensor>> set_before;
    struct Former {
      Tensor* slot;
      Tensor value, grad;
    };
    std::vector<Former> former;
    const auto undo = [&] {
      for (auto it = former.rbegin(); it != former.rend(); ++it) {
        if (assign) {
          it->slot->set_data(it->value);
          it->slot->mutable_grad() = it->grad;
        } else {
          it->slot->copy_(it->value);
        }
      }
      for (auto it = set_before.rbegin(); it != set_before.rend(); ++it) it->first->set_extra_state(it->second);
    };
    try {
      for (const auto& [key, module] : extra_states) {
        auto it = given.find(key);
        if (it == given.end()) continue;
        Tensor before = module->get_extra_state();
        module->set_extra_state(it->second);
        set_before.emplace_back(module, std::move(before));
      }
      for (const auto& [key, dest] : own) {
        auto it = given.find(key);
        if (it == given.end() || extra_states.count(key)) continue;
        const auto& [slot, is_parameter] = slots.at(key);
        if (post_hooks)  // a copy on the host: the device does not hold the model twice
          former.push_back(Former{slot,
                                  assign          ? Tensor(slot->detach())
                                  : dest.is_cpu() ? dest.clone()
                                                  : dest.to(Device::cpu()),
                                  assign && is_parameter ? slot->grad() : Tensor()});
        if (assign) {  // PyTorch's assign=True: the checkpoint's tensor itself, a new parameter without a grad
          slot->set_data(it->second);
          if (is_parameter) slot->mutable_grad() = Tensor();
        } else {
          Tensor(dest).copy_(it->second);
        }
      }
      if (post_hooks) {
        run_load_post_hooks(result);
        const std::string left = key_errors();
        EMBER_CHECK(left.empty(), "Error(s) in loading state_dict for ", module_name, ":", left);
      }
    } catch (...) {
      undo();
      throw;
    }
    for (size_t i = prepared; i-- > 0;) modules[i].second->finish_state_load(true);
    return result;
  } catch (...) {
    for (size_t i = prepared; i-- > 0;) modules[i].second->finish_state_load(false);
    throw;
  }
}

}  // namespace ember::nn
