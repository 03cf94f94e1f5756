// Loaded optimizer state checks: names, dtype, shape, finiteness, sign and step counts
// (nn/optim/state_checks.h).
#include "nn/optim/state_checks.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/native.h"

namespace ember::optim::detail {

namespace {

// The values of `t` as float64 on the host (loading is not a hot path).
std::vector<double> host_values(const Tensor& t) {
  return native::to_dtype(native::to_device(t, Device::cpu()), kFloat64).contiguous().to_vector<double>();
}

}  // namespace

void check_state_names(const std::string& prefix, const LoadedState& state, std::initializer_list<const char*> names,
                       bool all_or_none, std::initializer_list<const char*> optional) {
  std::string expected, known_names;
  for (const char* n : names) expected.append(expected.empty() ? "" : ", ").append(n);
  known_names = expected;
  for (const char* n : optional) known_names.append(known_names.empty() ? "" : ", ").append(n);
  auto among = [](const std::string& name, std::initializer_list<const char*> list) {
    return std::any_of(list.begin(), list.end(), [&](const char* n) { return name == n; });
  };
  for (const auto& entry : state) {
    const std::string& name = entry.first;  // a named variable: clang 14 cannot capture a structured binding
    EMBER_CHECK(among(name, names) || among(name, optional), "load_state_dict: unexpected optimizer state \"", prefix,
                name, "\"; expected one of: ", known_names);
  }
  if (!all_or_none || state.empty()) return;
  for (const char* n : names)
    EMBER_CHECK(state.count(n) == 1, "load_state_dict: optimizer state \"", prefix, n,
                "\" is missing; a parameter's state has all of: ", expected, " (or none)");
}

void check_state_present(const std::string& prefix, const LoadedState& state, const char* name, const char* option) {
  EMBER_CHECK(state.empty() || state.count(name) == 1, "load_state_dict: optimizer state \"", prefix, name,
              "\" is missing; ", option, " needs it in every started parameter's state");
}

void check_buffer(const std::string& key, const Tensor& value, const Tensor& param, bool nonnegative) {
  EMBER_CHECK(value.is_floating_point(), "load_state_dict: optimizer state \"", key,
              "\" must be a floating-point tensor, but got ", dtype_name(value.dtype()));
  EMBER_CHECK(value.sizes() == param.sizes(), "load_state_dict: optimizer state \"", key, "\" has shape ",
              value.sizes(), " but its parameter has shape ", param.sizes());
  // Not-a-number and infinite values load: a step with an inf gradient writes them, and a
  // checkpoint of a run that diverged must load for inspection, as PyTorch's. Refused: a
  // finite value the parameter's dtype cannot hold (float32's 1e5 is inf in float16: the load
  // itself would make it inf, PyTorch's silent overflow) and a negative square average
  // (corrupt: no step writes one), checked as it will be kept.
  const bool narrowed = value.dtype() != param.dtype();
  const std::vector<double> given = host_values(value);
  const std::vector<double> kept = narrowed ? host_values(native::to_dtype(value, param.dtype())) : given;
  for (size_t i = 0; i < kept.size(); ++i) {
    EMBER_CHECK(!std::isfinite(given[i]) || std::isfinite(kept[i]), "load_state_dict: optimizer state \"", key,
                "\" must hold values its parameter's dtype can hold, but element ", i, " is ", given[i], ", which is ",
                kept[i], " once stored in the parameter's ", dtype_name(param.dtype()));
    EMBER_CHECK(!nonnegative || !(kept[i] < 0), "load_state_dict: optimizer state \"", key,
                "\" must hold non-negative values, but element ", i, " is ", kept[i],
                narrowed ? std::string(" once stored in the parameter's ") + std::string(dtype_name(param.dtype()))
                         : std::string());
  }
}

double check_step_count(const std::string& key, const Tensor& value) {
  EMBER_CHECK(value.numel() == 1, "load_state_dict: optimizer state \"", key,
              "\" must be a single step count, but has ", value.numel(), " elements");
  EMBER_CHECK(value.dtype() != kBool, "load_state_dict: optimizer state \"", key,
              "\" must be a number, but got a bool tensor");
  const double step = host_values(value)[0];
  constexpr double kMaxStep = 9007199254740992.0;  // 2^53
  EMBER_CHECK(std::isfinite(step) && step >= 0 && step <= kMaxStep && step == std::floor(step),
              "load_state_dict: optimizer state \"", key, "\" must be a whole number of steps from 0 to 2^53, but got ",
              step);
  return step;
}

}  // namespace ember::optim::detail
