// functional_call (nn/functional_call.h): the module's slots swapped for the call and back.
#include "nn/functional_call.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "core/error.h"

namespace ember::nn::utils {
namespace {

// Every parameter and buffer name, with the names sharing its tensor (remove_duplicate =
// false lists each tied name).
std::map<std::string, std::vector<std::string>> tied_names(const Module& module) {
  std::map<const TensorImpl*, std::vector<std::string>> by_tensor;
  std::vector<std::pair<std::string, const TensorImpl*>> order;
  for (const StateDict& list : {module.named_parameters(true, false), module.named_buffers(true, false)})
    for (const auto& [name, t] : list) {
      const TensorImpl* key = t.defined() ? &t.impl() : nullptr;
      if (key != nullptr) by_tensor[key].push_back(name);
      order.emplace_back(name, key);
    }
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [name, key] : order) out[name] = key != nullptr ? by_tensor[key] : std::vector<std::string>{name};
  return out;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", '" : "'") + names[i] + "'";
  return out;
}

}  // namespace

Tensor functional_call(Module& module, const std::map<std::string, Tensor>& parameters_and_buffers, const Tensor& input,
                       bool tie_weights, bool strict) {
  const auto names = tied_names(module);
  // What each slot takes: the given tensors, spread to their tied names (PyTorch's
  // _untie_named_tensors_map, before its key check).
  std::map<std::string, Tensor> replacements;
  std::vector<std::string> unexpected;
  for (const auto& [name, t] : parameters_and_buffers) {
    const auto found = names.find(name);
    if (found == names.end()) {
      // A path through a module the model lacks is PyTorch's "has no attribute" error; an
      // unknown last name is ignored, as the attribute PyTorch would set is read by nothing.
      const size_t dot = name.rfind('.');
      if (dot != std::string::npos) (void)module.get_submodule(name.substr(0, dot));
      unexpected.push_back(name);
      continue;
    }
    for (const std::string& tied : tie_weights ? found->second : std::vector<std::string>{name}) {
      const auto given = parameters_and_buffers.find(tied);
      if (tied != name && given != parameters_and_buffers.end()) {
        std::vector<std::string> group = found->second;
        std::sort(group.begin(), group.end());
        EMBER_CHECK(given->second.is_same(t), "functional_call got multiple values for keys [", quoted_list(group),
                    "], which are tied. Consider using tie_weights=False");
      }
      replacements[tied] = t;
    }
  }
  if (strict) {
    std::vector<std::string> missing;
    for (const auto& [name, tied] : names)
      if (!replacements.count(name)) missing.push_back(name);
    EMBER_CHECK(missing.empty() && unexpected.empty(), "Error(s) in reparametrizing for ", module.type_name(), ":",
                unexpected.empty() ? "" : "\n\tUnexpected key(s): " + quoted_list(unexpected) + ".",
                missing.empty() ? "" : "\n\tMissing key(s): " + quoted_list(missing) + ".");
  }
  // Swap in, call, swap back (in reverse order, whatever happens).
  std::vector<std::pair<Tensor*, Tensor>> saved;
  struct Restore {
    std::vector<std::pair<Tensor*, Tensor>>& saved;
    ~Restore() {
      for (auto it = saved.rbegin(); it != saved.rend(); ++it) *it->first = it->second;
    }
  } restore{saved};
  const StateDict params = module.named_parameters(true, false);
  std::set<std::string> param_names;
  for (const auto& [name, t] : params) param_names.insert(name);
  for (const auto& [name, t] : replacements) {
    Tensor& slot = param_names.count(name) ? module.get_parameter(name) : module.get_buffer(name);
    saved.emplace_back(&slot, slot);
    slot = t;
  }
  return module(input);
}

}  // namespace ember::nn::utils
