// nn::Sequential.
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

}  // namespace ember::nn
