// optim::SGD: stochastic gradient descent with PyTorch's update (weight decay into
// the gradient, momentum buffer started at the first gradient, dampening, Nesterov).
#pragma once
#include <vector>

#include "nn/optim/capturable.h"
#include "nn/optim/optimizer.h"

namespace ember::optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  bool maximize = false;  // ascend: the gradient's sign flipped first, as PyTorch's maximize=True
  // lr and momentum read from device memory, for CUDA graphs (Note [Capturable
  // optimizers] in nn/optim/capturable.h). Not a hyper-parameter: not in state_dict.
  bool capturable = false;
};

template <typename Fn>
void visit_fields(SGDOptions& o, Fn&& fn) {
  fn("lr", o.lr);
  fn("momentum", o.momentum);
  fn("dampening", o.dampening);
  fn("weight_decay", o.weight_decay);
  fn("nesterov", o.nesterov);
  fn("maximize", o.maximize);
}
// The one check of SGD's options (Note [Loaded state is checked]): PyTorch's rules,
// and every number finite.
void validate(const SGDOptions& o);

class SGD : public OptimizerWithOptions<SGDOptions> {
 public:
  explicit SGD(std::vector<Tensor> params, const SGDOptions& options = {})
      : OptimizerWithOptions(std::move(params), options) {}
  void step() override;
  using Optimizer::step;  // step(closure)

 protected:
  void check_param_state(const std::string& prefix, const ParamState& loaded, const Tensor& param,
                         const SGDOptions& options) const override;
  void hyper_parameters_changed(size_t group) override;

 private:
  std::vector<detail::CapturableGroup> capturable_;
};

}  // namespace ember::optim
