// nn::Sequential, nn::ModuleList, nn::ModuleDict, nn::ParameterList and nn::ParameterDict.
#include "nn/container.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "core/legacy_type_name.h"

namespace ember::nn {

namespace {
// Python's index into a container of n: negative counts from the end; out of range is
// PyTorch's IndexError, naming the size.
size_t python_index(int64_t index, size_t size, const char* container) {
  const auto n = static_cast<int64_t>(size);
  EMBER_CHECK(index >= -n && index < n, container, ": IndexError: index ", index, " is out of range (size ", n, ")");
  return static_cast<size_t>(index < 0 ? index + n : index);
}
}  // namespace

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& modules) : Module("Sequential") {
  for (const auto& m : modules) push_back(m);
}

void Sequential::push_back(std::shared_ptr<Module> module) {
  EMBER_CHECK(module != nullptr, "Sequential: cannot add a null module");
  register_module(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

void Sequential::extend(const std::vector<std::shared_ptr<Module>>& modules) {
  for (size_t i = 0; i < modules.size(); ++i)  // all or nothing, as ModuleList::extend
    EMBER_CHECK(modules[i] != nullptr, "Sequential.extend: expected modules, got nullptr at position ", i);
  for (const auto& m : modules) push_back(m);
}

namespace {
using Modules = std::vector<std::shared_ptr<Module>>;
// PyTorch's list.insert(index, module): negative counts from the end, and beyond either end
// is clamped to it.
Modules inserted(Modules modules, int64_t index, std::shared_ptr<Module> module) {
  const auto n = static_cast<int64_t>(modules.size());
  const int64_t at = std::clamp(index < 0 ? index + n : index, int64_t{0}, n);
  modules.insert(modules.begin() + at, std::move(module));
  return modules;
}
// The list without the element at `index` (Python's), which goes to `popped`.
Modules without(Modules modules, int64_t index, const char* container, std::shared_ptr<Module>& popped) {
  const size_t at = python_index(index, modules.size(), container);
  popped = modules[at];
  modules.erase(modules.begin() + static_cast<std::ptrdiff_t>(at));
  return modules;
}
}  // namespace

// Children are registered as "0", "1", ... again after a change, as PyTorch renumbers them.
void Sequential::insert(int64_t index, std::shared_ptr<Module> module) {
  EMBER_CHECK(module != nullptr, "Sequential: cannot add a null module");
  const Modules modules = inserted(modules_, index, std::move(module));
  clear_children();
  modules_.clear();
  extend(modules);
}

std::shared_ptr<Module> Sequential::pop(int64_t index) {
  std::shared_ptr<Module> out;
  const Modules modules = without(modules_, index, "Sequential", out);
  clear_children();
  modules_.clear();
  extend(modules);
  return out;
}

const std::shared_ptr<Module>& Sequential::operator[](int64_t index) const {
  return modules_[python_index(index, modules_.size(), "Sequential")];
}

// The children keep their names, as PyTorch's Sequential(OrderedDict(items[idx])): a slice's
// state_dict keys are the original's ("2.weight"), and a push_back onto it whose index is
// already a name is the "already defined" error.
std::shared_ptr<Sequential> Sequential::slice(int64_t start, int64_t stop) const {
  const auto n = static_cast<int64_t>(modules_.size());
  const auto clamp = [n](int64_t i) { return std::clamp(i < 0 ? i + n : i, int64_t{0}, n); };
  auto out = std::make_shared<Sequential>();
  for (int64_t i = clamp(start); i < clamp(stop); ++i) {
    const std::shared_ptr<Module>& m = modules_[static_cast<size_t>(i)];
    out->register_module(std::to_string(i), m);
    out->modules_.push_back(m);
  }
  return out;
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

void ModuleList::insert(int64_t index, std::shared_ptr<Module> module) {
  EMBER_CHECK(module != nullptr, "ModuleList: expected a module to insert, got nullptr");
  const Modules modules = inserted(modules_, index, std::move(module));
  clear_children();
  modules_.clear();
  extend(modules);
}

std::shared_ptr<Module> ModuleList::pop(int64_t index) {
  std::shared_ptr<Module> out;
  const Modules modules = without(modules_, index, "ModuleList", out);
  clear_children();
  modules_.clear();
  extend(modules);
  return out;
}

const std::shared_ptr<Module>& ModuleList::operator[](int64_t index) const {
  return modules_[python_index(index, modules_.size(), "ModuleList")];
}

void ModuleList::set(int64_t index, std::shared_ptr<Module> module) {
  EMBER_CHECK(module != nullptr, "ModuleList: expected a module to set, got nullptr");
  replace_module(std::to_string(python_index(index, modules_.size(), "ModuleList")), std::move(module));
}

std::shared_ptr<ModuleList> ModuleList::slice(int64_t start, int64_t stop) const {
  const auto n = static_cast<int64_t>(modules_.size());
  const auto clamp = [n](int64_t i) { return std::clamp(i < 0 ? i + n : i, int64_t{0}, n); };
  const int64_t begin = clamp(start), end = std::max(begin, clamp(stop));
  return std::make_shared<ModuleList>(Modules(modules_.begin() + begin, modules_.begin() + end));
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

std::shared_ptr<Module> ModuleDict::pop(const std::string& key) {
  std::shared_ptr<Module> out = (*this)[key];  // PyTorch's KeyError when absent
  std::vector<Item> items = items_;
  items.erase(std::find_if(items.begin(), items.end(), [&](const Item& item) { return item.first == key; }));
  clear();
  update(items);
  return out;
}

void ModuleDict::clear() {
  clear_children();
  items_.clear();
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

// ---------------------------------------------------------------- ParameterList, ParameterDict
namespace {
// PyTorch 2's line for one element: "Parameter containing: [torch.float32 of size 3x4]" with
// " (cuda:0)" for a CUDA one. ParameterList names the dtype; ParameterDict the legacy tensor
// type, torch.typename(p): "torch.FloatTensor", "torch.cuda.FloatTensor".
std::string parameter_line(const std::string& name, const Tensor& p, bool legacy_type) {
  std::ostringstream line;
  line << "  (" << name << "): Parameter containing: [";
  if (legacy_type) {
    line << legacy_type_name(p.dtype(), p.is_cuda());
  } else {
    line << "torch." << dtype_name(p.dtype());
  }
  line << " of size ";
  for (size_t i = 0; i < p.sizes().size(); ++i) line << (i == 0 ? "" : "x") << p.sizes()[i];
  if (p.is_cuda()) line << " (cuda:" << p.device().index() << ")";
  line << "]";
  return line.str();
}

std::string joined_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

// Whether `value` is a parameter already (a leaf that requires grad): the containers then
// hold that very tensor, as PyTorch's keep an nn.Parameter, so gradients through the
// container reach the module it came from.
bool is_parameter(const Tensor& value) { return value.is_leaf() && value.requires_grad(); }

// A parameter's new value in an existing slot: a parameter as it is, any other tensor
// detached and requiring grad as asked.
void assign_parameter(Tensor& slot, const Tensor& value, bool requires_grad) {
  if (is_parameter(value)) {
    slot = value;
    return;
  }
  slot = value.detach();
  slot.requires_grad_(requires_grad);
}

// Registers `value` as parameter `name` of `owner` (assign_parameter's rule) and gives its slot.
Tensor& register_as_parameter(Module& owner, const std::string& name, const Tensor& value, bool requires_grad) {
  Tensor& slot = owner.register_parameter(name, value, requires_grad);
  if (is_parameter(value)) slot = value;
  return slot;
}
}  // namespace

ParameterList::ParameterList(const std::vector<Tensor>& values) : Module("ParameterList") { extend(values); }

Tensor ParameterList::forward(const Tensor& /*input*/) { fail_no_forward(type_name()); }

Tensor& ParameterList::push_back(const Tensor& value, bool requires_grad) {
  EMBER_CHECK(value.defined(), "ParameterList.append: expected a tensor, got an undefined one");
  Tensor& slot = register_as_parameter(*this, std::to_string(slots_.size()), value, requires_grad);
  slots_.push_back(&slot);
  return slot;
}

void ParameterList::extend(const std::vector<Tensor>& values) {
  // All or nothing, as ModuleList::extend.
  for (size_t i = 0; i < values.size(); ++i)
    EMBER_CHECK(values[i].defined(), "ParameterList.extend: expected tensors, got an undefined one at position ", i);
  for (const auto& v : values) push_back(v);
}

size_t ParameterList::position(int64_t index) const { return python_index(index, slots_.size(), "ParameterList"); }

const Tensor& ParameterList::operator[](int64_t index) const { return *slots_[position(index)]; }

void ParameterList::set(int64_t index, const Tensor& value, bool requires_grad) {
  EMBER_CHECK(value.defined(), "ParameterList: expected a tensor to assign, got an undefined one");
  assign_parameter(*slots_[position(index)], value, requires_grad);
}

std::vector<Tensor> ParameterList::values() const {
  std::vector<Tensor> out;
  for (const Tensor* slot : slots_) out.push_back(*slot);
  return out;
}

std::string ParameterList::extra_repr() const {
  std::vector<std::string> lines;
  for (size_t i = 0; i < slots_.size(); ++i) lines.push_back(parameter_line(std::to_string(i), *slots_[i], false));
  return joined_lines(lines);
}

ParameterDict::ParameterDict(const std::vector<Item>& items) : Module("ParameterDict") { update(items); }

Tensor ParameterDict::forward(const Tensor& /*input*/) { fail_no_forward(type_name()); }

Tensor& ParameterDict::insert(const std::string& key, const Tensor& value, bool requires_grad) {
  EMBER_CHECK(value.defined(), "ParameterDict: expected a tensor for '", key, "', got an undefined one");
  if (contains(key)) {
    Tensor& slot = *slots_[position(key)];
    assign_parameter(slot, value, requires_grad);
    return slot;
  }
  Tensor& slot = register_as_parameter(*this, key, value, requires_grad);  // checks the key
  keys_.push_back(key);
  slots_.push_back(&slot);
  return slot;
}

void ParameterDict::update(const std::vector<Item>& items) {
  for (const auto& [key, value] : items) insert(key, value);
}

bool ParameterDict::contains(const std::string& key) const {
  return std::find(keys_.begin(), keys_.end(), key) != keys_.end();
}

size_t ParameterDict::position(const std::string& key) const {
  const auto it = std::find(keys_.begin(), keys_.end(), key);
  if (it != keys_.end()) return static_cast<size_t>(it - keys_.begin());
  std::string names;
  for (const auto& k : keys_) names += (names.empty() ? "" : ", ") + k;
  EMBER_FAIL("ParameterDict: KeyError: '", key, "' (keys: ", names.empty() ? "none" : names, ")");
}

const Tensor& ParameterDict::operator[](const std::string& key) const { return *slots_[position(key)]; }

Tensor ParameterDict::get(const std::string& key, const Tensor& fallback) const {
  return contains(key) ? *slots_[position(key)] : fallback;
}

Tensor ParameterDict::pop(const std::string& key) {
  const size_t at = position(key);
  Tensor value = *slots_[at];
  remove_parameter(key);
  keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(at));
  slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(at));
  return value;
}

void ParameterDict::clear() {
  while (!keys_.empty()) pop(keys_.back());
}

std::vector<std::string> ParameterDict::keys() const { return keys_; }

std::vector<Tensor> ParameterDict::values() const {
  std::vector<Tensor> out;
  for (const Tensor* slot : slots_) out.push_back(*slot);
  return out;
}

std::vector<ParameterDict::Item> ParameterDict::items() const {
  std::vector<Item> out;
  for (size_t i = 0; i < keys_.size(); ++i) out.emplace_back(keys_[i], *slots_[i]);
  return out;
}

std::string ParameterDict::extra_repr() const {
  std::vector<std::string> lines;
  for (size_t i = 0; i < keys_.size(); ++i) lines.push_back(parameter_line(keys_[i], *slots_[i], true));
  return joined_lines(lines);
}

}  // namespace ember::nn
