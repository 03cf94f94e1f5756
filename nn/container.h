// nn::Sequential: children named "0", "1", ... called in order; each child runs in
// a ledger scope named by its index.
#pragma once
#include <memory>
#include <vector>

#include "nn/module.h"

namespace ember::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& modules);
  Tensor forward(const Tensor& input) override;
  // Children [begin, end) in order, scoped as forward scopes them (checkpoint_sequential).
  Tensor forward_range(size_t begin, size_t end, const Tensor& input);

  void push_back(std::shared_ptr<Module> module);
  const std::shared_ptr<Module>& operator[](size_t index) const;
  size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }

 protected:
  void child_replaced(size_t index, const std::shared_ptr<Module>& module) override { modules_[index] = module; }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

}  // namespace ember::nn
