// Helpers of the optimizer state-check tests (tests/nn/test_optim_load_checks.cpp,
// test_optim_more_checks.cpp): a stepped optimizer's state_dict, and copies of one with a
// key replaced, added or removed.
#pragma once
#include <string>
#include <vector>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember::testing {

inline Tensor optim_param() { return leaf({1.0, 2.0}, {2}); }

// One step with a fixed gradient, so that the optimizer has state to save.
template <typename Opt, typename Options>
optim::StateDict stepped_state(const Options& options) {
  Tensor p = optim_param();
  Opt opt({p}, options);
  p.mutable_grad() = tensor(std::vector<double>{0.1, -0.2}, {2}, kFloat64);
  opt.step();
  return opt.state_dict();
}

// `sd` with `key`'s value replaced (or added) by `value`.
inline optim::StateDict with(optim::StateDict sd, const std::string& key, const Tensor& value) {
  for (auto& [k, v] : sd)
    if (k == key) {
      v = value;
      return sd;
    }
  sd.emplace_back(key, value);
  return sd;
}

inline optim::StateDict without(optim::StateDict sd, const std::string& key) {
  std::erase_if(sd, [&](const auto& kv) { return kv.first == key; });
  return sd;
}

inline Tensor number(double v) { return scalar_tensor(v, kFloat64); }

}  // namespace ember::testing
