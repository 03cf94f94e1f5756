// Helpers of the optimizer state-check tests (tests/nn/test_optim_load_checks.cpp,
// test_optim_more_checks.cpp, test_optim_extra_checks.cpp): a stepped optimizer's
// state_dict, copies of one with a key replaced, added or removed, and the checks that bad
// options and bad loaded state are refused everywhere, changing nothing.
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

// `bad` refused with `phrase` by the constructor, by add_param_group and by
// load_state_dict (every hyper-parameter of `good` replaced by bad's), leaving the
// optimizer as it was.
template <typename Opt, typename Options>
void expect_refused_everywhere(Options bad, const char* phrase, const optim::StateDict& good) {
  SCOPED_TRACE(phrase);
  EXPECT_EMBER_ERROR(Opt({optim_param()}, bad), phrase);
  Opt opt({optim_param()}, Options{.lr = 0.25});
  EXPECT_EMBER_ERROR(opt.add_param_group({optim_param()}, bad), phrase);
  EXPECT_EQ(opt.num_param_groups(), 1u);
  optim::StateDict loaded = good;
  visit_fields(bad, [&](const char* name, auto& value) {
    loaded = with(loaded, std::string("param_groups.0.") + name, number(static_cast<double>(value)));
  });
  const std::string msg = error_of([&] { opt.load_state_dict(loaded); });
  EXPECT_NE(msg.find(phrase), std::string::npos) << msg;
  EXPECT_NE(msg.find("parameter group 0"), std::string::npos) << msg;
  EXPECT_DOUBLE_EQ(opt.lr(0), 0.25);
}

// Loaded state refused with `phrase`; the optimizer keeps its lr and empty state.
template <typename Opt>
void expect_state_refused(const optim::StateDict& bad, const char* phrase) {
  SCOPED_TRACE(phrase);
  Opt opt({optim_param()});
  const double lr = opt.lr(0);
  const size_t entries = opt.state_dict().size();
  EXPECT_EMBER_ERROR(opt.load_state_dict(bad), phrase);
  EXPECT_EQ(opt.lr(0), lr);
  EXPECT_EQ(opt.state_dict().size(), entries);
}

}  // namespace ember::testing
