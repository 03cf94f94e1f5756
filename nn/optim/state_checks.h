// Checks on optimizer state read from a file (Optimizer::load_state_dict): each state
// tensor is checked against what the optimizer's own step() would have made, so a
// loaded state is never one that no run could have produced (Note [Loaded state is checked]).
#pragma once
#include <initializer_list>
#include <map>
#include <string>

#include "core/tensor.h"

namespace ember::optim::detail {

using LoadedState = std::map<std::string, Tensor>;

// The state names of one parameter ("state.<i>." + name = `prefix` + name) must be among
// `names` and `optional`; with `all_or_none`, either every one of `names` is present or
// the state is empty.
void check_state_names(const std::string& prefix, const LoadedState& state, std::initializer_list<const char*> names,
                       bool all_or_none, std::initializer_list<const char*> optional = {});
// `name` must be present in the (non-empty) state, as `option` (e.g. "amsgrad=True") needs it.
void check_state_present(const std::string& prefix, const LoadedState& state, const char* name, const char* option);
// A buffer like "momentum_buffer" or "exp_avg": floating point, shaped like `param`,
// inf and NaN load, a finite value that overflows the parameter's dtype does not; with
// `nonnegative`, no element below zero (e.g. "exp_avg_sq").
void check_buffer(const std::string& key, const Tensor& value, const Tensor& param, bool nonnegative = false);
// A step count: one element, a whole number from 0 to 2^53 (exact in float64).
// Returns it.
double check_step_count(const std::string& key, const Tensor& value);

}  // namespace ember::optim::detail
