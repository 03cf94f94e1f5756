// nn::Sequential, nn::ModuleList and nn::ModuleDict.
#include "nn/container.h"

#include "core/error.h"

namespace ember::nn {

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& modules) : Module("Sequential") {
  for (const auto& m : modules) push_back(m);
}

void Sequential::push_back(std::shared_ptr<Module> module) {
  EMBER_CHECK(module != nullptr, "Sequential: cannot add a null module");
  register_module(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

const std::shared_ptr<Module>& Sequential::operator[](size_t index) const {
  EMBER_CHECK(index < modules_.size(), "Sequential: index ", index, " is out of range (size ", modules_.size(), ")");
  return modules_[index];
}

Tensor Sequential::forward(const Tensor& input) { return forward_range(0, modules_.size(), input); }

Tensor Sequential::forward_range(size_t begin, size_t end, const Tensor& input) {
  EMBER_CHECK(begin <= end && end <= modules_.size(), "Sequential: range [", begin, ", ", end,
              ") is out of range (size ", modules_.size(), ")");
  if (begin == end) return input;
  // The first child sees the caller's tensor; later ones get intermediate values that
  // only this loop holds, which they may reuse (Module::forward_consuming).
  Tensor x = call_child(std::to_string(begin), *modules_[begin], input);
  for (size_t i = begin + 1; i < end; ++i) x = call_child_consuming(std::to_string(i), *modules_[i], std::move(x));
  return x;
}

// ---------------------------------------------------------------- ModuleList, ModuleDict
namespace {
[[noreturn]] void fail_no_forward(const std::string& type) {
  EMBER_FAIL("Module [", type, "] is missing the required \"forward\" function: a ", type,
             " holds modules for its parent's forward to call");
}
}  // namespace

ModuleList::ModuleList(const std::vector<std::shared_ptr<Module>>& modules) : Module("ModuleList") { extend(modules); }

Tensor ModuleList::forward(const Tensor& /*input*/) { fail_no_forward(type_name()); }

void ModuleList::push_back(std::shared_ptr<Module> module) {
  EMBER_CHECK(module != nullptr, "ModuleList: expected a module to append, got nullptr");
  register_module(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

void ModuleList::extend(const std::vector<std::shared_ptr<Module>>& modules) {
  // All or nothing: a null in the middle leaves the list as it was.
  for (size_t i = 0; i < modules.size(); ++i)
    EMBER_CHECK(modules[i] != nullptr, "ModuleList.extend: expected modules, got nullptr at position ", i);
  for (const auto& m : modules) push_back(m);
}

const std::shared_ptr<Module>& ModuleList::operator[](int64_t index) const {
  const auto n = static_cast<int64_t>(modules_.size());
  EMBER_CHECK(index >= -n && index < n, "ModuleList: index ", index, " is out of range (size ", n, ")");
  return modules_[static_cast<size_t>(index < 0 ? index + n : index)];
}

ModuleDict::ModuleDict(const std::vector<Item>& items) : Module("ModuleDict") { update(items); }

Tensor ModuleDict::forward(const Tensor& /*input*/) { fail_no_forward(type_name()); }

void ModuleDict::insert(const std::string& key, std::shared_ptr<Module> module) {
  EMBER_CHECK(!key.empty(), "ModuleDict: module name can't be empty string \"\"");
  EMBER_CHECK(key.find('.') == std::string::npos, "ModuleDict: module name can't contain \".\", got: ", key);
  EMBER_CHECK(module != nullptr, "ModuleDict: expected a module for '", key, "', got nullptr");
  if (contains(key)) {
    replace_module(key, std::move(module));  // child_replaced keeps items_ in step
    return;
  }
  register_module(key, module);
  items_.emplace_back(key, std::move(module));
}

void ModuleDict::update(const std::vector<Item>& items) {
  for (const auto& [key, module] : items) insert(key, module);
}

bool ModuleDict::contains(const std::string& key) const {
  for (const auto& [k, _] : items_)
    if (k == key) return true;
  return false;
}

const std::shared_ptr<Module>& ModuleDict::operator[](const std::string& key) const {
  for (const auto& item : items_)
    if (item.first == key) return item.second;
  std::string names;
  for (const auto& [k, _] : items_) names += (names.empty() ? "" : ", ") + k;
  EMBER_FAIL("ModuleDict: KeyError: '", key, "' (keys: ", names.empty() ? "none" : names, ")");
}

std::vector<std::string> ModuleDict::keys() const {
  std::vector<std::string> out;
  for (const auto& [k, _] : items_) out.push_back(k);
  return out;
}

std::vector<std::shared_ptr<Module>> ModuleDict::values() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& [_, m] : items_) out.push_back(m);
  return out;
}

}  // namespace ember::nn
