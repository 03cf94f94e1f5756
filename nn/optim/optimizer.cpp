// Optimizer: parameter groups, zero_grad, zeroed state laid out like a parameter, and
// the flat state_dict format ("param_groups.<g>.*", "state.<i>.*") with its checked load.
#include "nn/optim/optimizer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/parse.h"
#include "nn/diagnostics.h"
#include "nn/module.h"

namespace ember::optim {

namespace {

constexpr std::string_view kGroupPrefix = "param_groups.";
constexpr std::string_view kStatePrefix = "state.";

// "<prefix><index>.<name>" -> (index, name); false when key doesn't have that form.
bool split_key(const std::string& key, std::string_view prefix, size_t& index, std::string& name) {
  if (key.compare(0, prefix.size(), prefix) != 0) return false;
  const size_t dot = key.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size()) return false;
  const std::string digits = key.substr(prefix.size(), dot - prefix.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
  index = static_cast<size_t>(parse_integer(digits, 0, int64_t{1} << 40, "optimizer state_dict key '" + key + "'"));
  name = key.substr(dot + 1);
  return !name.empty();
}

}  // namespace

Tensor detail::zeros_like_param(const Tensor& p) {
  Tensor z = make_empty(p.sizes(), p.dtype(), p.device(), dense_format_of(p));
  native::zero_(z);
  return z;
}

void detail::check_nonnegative_option(const char* what, double value) {
  EMBER_CHECK(std::isfinite(value) && value >= 0.0, "Invalid ", what, ": ", value, " (expected a finite value >= 0)");
}

// The constructor's group may not be empty (PyTorch's __init__ check); a group added later
// may, as PyTorch's add_param_group({'params': []}).
void Optimizer::add_params(std::vector<Tensor> params) {
  EMBER_CHECK(!params.empty() || !groups_.empty(), "optimizer got an empty parameter list");
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    EMBER_CHECK(p.defined(), "optimizer got an undefined tensor as parameter ", i);
    EMBER_CHECK(p.is_leaf() || p.retains_grad(), "can't optimize a non-leaf Tensor (parameter ", i, ")");
    EMBER_CHECK(p.is_floating_point(), "optimizer can only optimize floating-point tensors, but parameter ", i,
                " is ", dtype_name(p.dtype()));
    auto seen = [&](const Tensor& q) { return q.is_same(p); };
    EMBER_CHECK(!std::any_of(params.begin(), params.begin() + static_cast<std::ptrdiff_t>(i), seen),
                "optimizer contains a parameter group with duplicate parameters (parameter ", i,
                " appears earlier in the same group)");
    bool in_other_group = false;
    for (const auto& group : groups_) in_other_group = in_other_group || std::any_of(group.begin(), group.end(), seen);
    EMBER_CHECK(!in_other_group, "some parameters appear in more than one parameter group");
  }
  state_.resize(state_.size() + params.size());
  groups_.push_back(std::move(params));
  initial_lr_.resize(groups_.size());
}

std::optional<double> Optimizer::initial_lr(size_t group) const {
  EMBER_CHECK(group < groups_.size(), "initial_lr: no parameter group ", group, " (the optimizer has ", groups_.size(),
              ")");
  return initial_lr_[group];
}
void Optimizer::set_initial_lr(size_t group, double lr) {
  EMBER_CHECK(group < groups_.size(), "set_initial_lr: no parameter group ", group, " (the optimizer has ",
              groups_.size(), ")");
  initial_lr_[group] = lr;
}

// A gradient set by hand (mutable_grad) must be one PyTorch would have let the user assign
// (THPVariable_set_grad's checks, with its phrases), else the fused kernels would read it
// past its end or in the wrong dtype.
void Optimizer::check_gradients_before_step() const {
  size_t index = 0;
  for (const auto& group : groups_)
    for (const Tensor& p : group) {
      const Tensor grad = p.grad();
      if (grad.defined()) {
        EMBER_CHECK(grad.dtype() == p.dtype(), "optimizer step: parameter ", index,
                    ": assigned grad has data of a different type (grad ", dtype_torch_name(grad.dtype()),
                    ", parameter ", dtype_torch_name(p.dtype()), ")");
        EMBER_CHECK(grad.device() == p.device(), "optimizer step: parameter ", index,
                    ": assigned grad has data located on a different device (grad on ", grad.device().str(),
                    ", parameter on ", p.device().str(), ")");
        EMBER_CHECK(grad.sizes() == p.sizes(), "optimizer step: parameter ", index,
                    ": assigned grad has data of a different size (grad ", grad.sizes(), ", parameter ", p.sizes(),
                    ")");
      }
      ++index;
    }
  diagnostics::detail::check_step(*this, groups_);
}

void Optimizer::mark_gradients_applied() { diagnostics::detail::mark_applied(*this, groups_, ++steps_taken_); }

Tensor Optimizer::step(const LossClosure& closure) {
  const StepScope hooks(*this, nullptr);  // the hooks run once, before the closure
  Tensor loss;
  if (closure) {
    const EnableGradGuard enable_grad;  // PyTorch's step wraps the closure in torch.enable_grad()
    loss = closure();
  }
  step();
  return loss;
}

void Optimizer::zero_grad(bool set_to_none) {
  for (auto& group : groups_)
    for (Tensor& p : group) nn::zero_grad_of(p, set_to_none);
}

StateDict Optimizer::state_dict() const {
  StateDict out;
  int64_t first = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = std::string(kGroupPrefix) + std::to_string(g) + ".";
    std::vector<int64_t> ids(groups_[g].size());
    std::iota(ids.begin(), ids.end(), first);
    first += static_cast<int64_t>(ids.size());
    out.emplace_back(prefix + "params", tensor(ids, kInt64));
    for (const auto& [name, value] : hyper_parameters(g)) out.emplace_back(prefix + name, scalar_tensor(value, kFloat64));
    if (initial_lr_[g]) out.emplace_back(prefix + "initial_lr", scalar_tensor(*initial_lr_[g], kFloat64));
  }
  for (size_t i = 0; i < state_.size(); ++i)
    for (const auto& [name, value] : state_[i])
      out.emplace_back(std::string(kStatePrefix) + std::to_string(i) + "." + name, native::clone(value));
  return out;
}

void Optimizer::load_state_dict(const StateDict& state) {
  std::vector<const Tensor*> flat;
  std::vector<size_t> group_of;  // flat index -> group
  for (size_t g = 0; g < groups_.size(); ++g)
    for (const Tensor& p : groups_[g]) {
      flat.push_back(&p);
      group_of.push_back(g);
    }

  // Everything is read and checked first (Note [Loaded state is checked]); the
  // optimizer changes only at the end.
  std::vector<ParamState> loaded(flat.size());
  std::vector<std::vector<std::pair<std::string, double>>> hypers(groups_.size());
  std::vector<std::optional<double>> initial_lrs(groups_.size());
  std::vector<bool> group_seen(groups_.size(), false);
  // foreach / fused / differentiable / capturable, unless this optimizer has that option.
  const auto is_pytorch_group_flag = [&](size_t g, const std::string& name) {
    if (name != "foreach" && name != "fused" && name != "differentiable" && name != "capturable" &&
        name != "decoupled_weight_decay")
      return false;
    for (const auto& [own, value] : hyper_parameters(g))
      if (own == name) return false;
    return true;
  };
  for (const auto& [key, value] : state) {
    size_t index = 0;
    std::string name;
    if (split_key(key, kGroupPrefix, index, name)) {
      EMBER_CHECK(index < groups_.size(), "loaded state dict has a different number of parameter groups (", key,
                  ", but the optimizer has ", groups_.size(), ")");
      if (name == "params") {
        EMBER_CHECK(value.numel() == static_cast<int64_t>(groups_[index].size()),
                    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group (",
                    "group ", index, ": ", value.numel(), " vs ", groups_[index].size(), " parameters)");
        // PyTorch maps state.<id> to parameters by the ids' positions; its state dicts (and
        // ember's) number them 0, 1, ... across the groups in order: anything else is refused.
        int64_t first = 0;
        for (size_t g = 0; g < index; ++g) first += static_cast<int64_t>(groups_[g].size());
        const std::vector<double> ids = value.to(kFloat64).to_vector<double>();
        for (size_t i = 0; i < ids.size(); ++i)
          EMBER_CHECK(ids[i] == static_cast<double>(first + static_cast<int64_t>(i)), "load_state_dict: \"", key,
                      "\" should number its parameters ", first, " to ", first + static_cast<int64_t>(ids.size()) - 1,
                      " in order (as optimizer.state_dict() writes them), but entry ", i, " is ", ids[i]);
        group_seen[index] = true;
      } else {
        EMBER_CHECK(value.numel() == 1, "load_state_dict: \"", key, "\" must hold one number, but has ",
                    value.numel(), " elements");
        const double number = value.item<double>();
        if (name == "initial_lr") {
          EMBER_CHECK(std::isfinite(number), "load_state_dict: \"", key, "\" must be a finite lr, but is ", number);
          initial_lrs[index] = number;
        } else if (!is_pytorch_group_flag(index, name)) {
          hypers[index].emplace_back(name, number);
        } else {
          // PyTorch 2's groups always carry these implementation switches; off, they mean
          // what ember does. capturable changes where the step runs, not its values, so a run
          // that captured its steps loads either way (the optimizer keeps its own option);
          // so does PyTorch 2.7's decoupled_weight_decay of Adam and AdamW (ember's is the
          // constructor's). The others, on, ask for what this optimizer does not have.
          const bool kept = name == "capturable" || name == "decoupled_weight_decay";
          EMBER_CHECK(number == 0.0 || kept, "load_state_dict: \"", key, "\" is true, but this optimizer has no ", name,
                      " implementation (a state dict saved with ", name, "=False loads)");
        }
      }
    } else if (split_key(key, kStatePrefix, index, name)) {
      EMBER_CHECK(index < flat.size(), "loaded state dict has state for parameter ", index, " but the optimizer has ",
                  flat.size(), " parameters");
      loaded[index][name] = value;
    } else {
      EMBER_FAIL("load_state_dict: unexpected key \"", key, "\" in optimizer state dict");
    }
  }
  for (size_t g = 0; g < group_seen.size(); ++g)
    EMBER_CHECK(group_seen[g], "loaded state dict has a different number of parameter groups (no \"",
                kGroupPrefix, g, ".params\")");
  for (size_t g = 0; g < hypers.size(); ++g) {
    try {
      check_hyper_parameters(g, hypers[g]);
    } catch (const Error& e) {
      std::string_view why = e.what();
      if (why.starts_with("load_state_dict: ")) why.remove_prefix(std::string_view("load_state_dict: ").size());
      EMBER_FAIL("load_state_dict: parameter group ", g, " of the loaded state dict: ", why);
    }
  }
  std::vector<ParamState> new_state(flat.size());
  for (size_t i = 0; i < flat.size(); ++i) {
    const Tensor& p = *flat[i];
    check_loaded_param_state(group_of[i], hypers[group_of[i]], std::string(kStatePrefix) + std::to_string(i) + ".",
                             loaded[i], p);
    for (const auto& [name, value] : loaded[i]) new_state[i][name] = loaded_state_tensor(name, value, p);
  }
  for (size_t g = 0; g < hypers.size(); ++g)
    for (const auto& [name, value] : hypers[g]) set_hyper_parameter(g, name, value);
  for (size_t g = 0; g < initial_lrs.size(); ++g)
    if (initial_lrs[g]) initial_lr_[g] = initial_lrs[g];
  state_ = std::move(new_state);
}

Tensor Optimizer::loaded_state_tensor(const std::string& name, const Tensor& value, const Tensor& param) const {
  // A step count lives on the host as float64; buffers are laid out like param, as the
  // state they replace (detail::zeros_like_param).
  if (name == "step") return scalar_tensor(detail::host_number(value), kFloat64);
  return native::clone(native::to_dtype(native::to_device(value, param.device()), param.dtype()),
                       dense_format_of(param));
}

double detail::host_number(const Tensor& value) {
  return native::to_dtype(native::to_device(value, Device::cpu()), kFloat64).contiguous().to_vector<double>()[0];
}

namespace {
// The hyper-parameter that plays momentum's part, by optimizer family.
constexpr const char* kMomentumNames[] = {"momentum", "beta1"};
}  // namespace

std::optional<double> Optimizer::momentum(size_t group) const {
  for (const auto& [name, value] : hyper_parameters(group))
    for (const char* momentum_name : kMomentumNames)
      if (name == momentum_name) return value;
  return std::nullopt;
}

void Optimizer::set_momentum(size_t group, double value) {
  for (const auto& [name, old] : hyper_parameters(group))
    for (const char* momentum_name : kMomentumNames)
      if (name == momentum_name) return set_hyper_parameter(group, name, value);
  EMBER_FAIL("this optimizer has no momentum or beta1 to set");
}

}  // namespace ember::optim
