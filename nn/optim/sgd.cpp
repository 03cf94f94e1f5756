// SGD::step, PyTorch's algorithm: d = g + wd*p; buf = momentum*buf + (1-dampening)*d
// (buf = d on the first step); d = nesterov ? d + momentum*buf : buf; p -= lr*d.
#include "nn/optim/sgd.h"

#include "core/grad_mode.h"
#include "core/native.h"

namespace ember::optim {

void validate(const SGDOptions& o) {
  EMBER_CHECK(o.lr >= 0.0, "Invalid learning rate: ", o.lr);
  EMBER_CHECK(o.momentum >= 0.0, "Invalid momentum value: ", o.momentum);
  EMBER_CHECK(o.weight_decay >= 0.0, "Invalid weight_decay value: ", o.weight_decay);
  EMBER_CHECK(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
              "Nesterov momentum requires a momentum and zero dampening");
}

void SGD::step() {
  NoGradGuard no_grad;
  for_each_param_with_grad([&](size_t group, Tensor& p, ParamState& state) {
    const SGDOptions& o = options(group);
    Tensor d = p.grad();
    if (o.weight_decay != 0.0) d = native::add(d, p, o.weight_decay);
    if (o.momentum != 0.0) {
      Tensor& buf = state["momentum_buffer"];
      if (!buf.defined()) {
        buf = native::clone(d);
      } else {
        native::mul_(buf, o.momentum);
        native::add_(buf, d, 1.0 - o.dampening);
      }
      d = o.nesterov ? native::add(d, buf, o.momentum) : buf;
    }
    native::add_(p, d, -o.lr);
  });
}

}  // namespace ember::optim
