// LBFGS::step (Note [LBFGS] in nn/optim/lbfgs.h): PyTorch's iterations over the parameters
// as one flat vector, its state kept as the first parameter's; the checks of a loaded state.
#include "nn/optim/lbfgs.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/parse.h"
#include "core/profiler.h"
#include "nn/optim/lbfgs_line_search.h"
#include "nn/optim/state_checks.h"

namespace ember::optim {
namespace {

constexpr std::string_view kDirs = "old_dirs.", kSteps = "old_stps.";
// The state one iteration makes (beside the counters and the history).
constexpr const char* kIterationState[] = {"d", "t", "H_diag", "prev_flat_grad", "prev_loss", "ro"};

double max_abs(const Tensor& t) { return native::max(native::abs(t)).item<double>(); }
Tensor host_double(double value) { return scalar_tensor(value, kFloat64); }
double py_min(double a, double b) { return b < a ? b : a; }

// "old_dirs.<k>" / "old_stps.<k>" -> k; false for any other name.
bool history_index(const std::string& name, std::string_view family, size_t& index) {
  if (name.compare(0, family.size(), family) != 0 || name.size() == family.size()) return false;
  const std::string digits = name.substr(family.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
  index = static_cast<size_t>(parse_integer(digits, 0, int64_t{1} << 40, "LBFGS state name '" + name + "'"));
  return true;
}

// Sets LBFGSOptions' field `name` from a state dict's number (whole numbers for the counts).
void assign(LBFGSOptions& o, const std::string& name, double value) {
  const auto whole = [&](int64_t& field) {
    EMBER_CHECK(std::isfinite(value) && value == std::floor(value) && std::abs(value) < 9.0e15, "LBFGS option ", name,
                " must be a whole number, but got ", value);
    field = static_cast<int64_t>(value);
  };
  if (name == "lr") {
    o.lr = value;
  } else if (name == "max_iter") {
    whole(o.max_iter);
  } else if (name == "max_eval") {
    int64_t n = 0;
    whole(n);
    o.max_eval = n;
  } else if (name == "tolerance_grad") {
    o.tolerance_grad = value;
  } else if (name == "tolerance_change") {
    o.tolerance_change = value;
  } else if (name == "history_size") {
    whole(o.history_size);
  } else if (name == "strong_wolfe") {
    EMBER_CHECK(value == 0.0 || value == 1.0, "optimizer option strong_wolfe is a flag: expected 0 or 1, but got ",
                value);
    o.line_search_fn = value == 1.0 ? std::optional<std::string>("strong_wolfe") : std::nullopt;
  } else {
    EMBER_FAIL("load_state_dict: unknown optimizer hyper-parameter \"", name, "\"");
  }
}

// A loaded number: one floating-point element, finite unless `any_value`.
double check_number(const std::string& key, const Tensor& value, bool any_value = false) {
  EMBER_CHECK(value.numel() == 1 && value.is_floating_point(), "load_state_dict: \"", key,
              "\" must be one floating-point number, but got ", value.numel(), " elements of ",
              std::string(dtype_name(value.dtype())));
  const double x = detail::host_number(value);
  EMBER_CHECK(any_value || std::isfinite(x), "load_state_dict: \"", key, "\" must be finite, but got ", x);
  return x;
}

// A loaded flat vector: floating point, 1-D of the parameters' total size, finite.
void check_flat(const std::string& key, const Tensor& value, int64_t numel) {
  EMBER_CHECK(value.is_floating_point() && value.dim() == 1 && value.size(0) == numel, "load_state_dict: \"", key,
              "\" must be a floating-point vector of ", numel, " elements (the parameters' total size), but got ",
              std::string(dtype_name(value.dtype())), " of shape ", value.sizes().str());
  EMBER_CHECK(native::all(native::isfinite(value)).item<bool>(), "load_state_dict: \"", key,
              "\" has a value that is not finite");
}

}  // namespace

void validate(const LBFGSOptions& o) {
  detail::check_nonnegative_option("learning rate", o.lr);
  EMBER_CHECK(o.max_iter >= 1, "Invalid max_iter: ", o.max_iter, " (expected at least 1)");
  EMBER_CHECK(!o.max_eval || *o.max_eval >= 1, "Invalid max_eval: ", o.max_eval.value_or(0), " (expected at least 1)");
  detail::check_nonnegative_option("tolerance_grad", o.tolerance_grad);
  detail::check_nonnegative_option("tolerance_change", o.tolerance_change);
  EMBER_CHECK(o.history_size >= 1, "Invalid history_size: ", o.history_size, " (expected at least 1)");
  EMBER_CHECK(!o.line_search_fn || *o.line_search_fn == "strong_wolfe",
              "only 'strong_wolfe' is supported as LBFGS's line_search_fn, but got '", o.line_search_fn.value_or(""),
              "'");
}

LBFGS::LBFGS(std::vector<Tensor> params, const LBFGSOptions& options) : options_(options) {
  validate(options_);
  add_params(std::move(params));
}

void LBFGS::step() { EMBER_FAIL("LBFGS requires a closure function: call step(closure)"); }

void LBFGS::add_param_group(std::vector<Tensor> /*params*/) {
  EMBER_FAIL("LBFGS doesn't support per-parameter options (parameter groups)");
}

double LBFGS::lr(size_t group) const {
  EMBER_CHECK(group == 0, "LBFGS has one parameter group, but group ", group, " was asked for");
  return options_.lr;
}

void LBFGS::set_lr(size_t group, double lr) {
  EMBER_CHECK(group == 0, "LBFGS has one parameter group, but group ", group, " was asked for");
  options_.lr = lr;
}

int64_t LBFGS::max_eval() const { return options_.max_eval.value_or(options_.max_iter * 5 / 4); }

int64_t LBFGS::numel() const {
  int64_t n = 0;
  for (const Tensor& p : params(0)) n += p.numel();
  return n;
}

Tensor LBFGS::gather_flat_grad() const {
  const std::vector<Tensor>& ps = params(0);
  for (size_t i = 1; i < ps.size(); ++i)
    EMBER_CHECK(ps[i].device() == ps[0].device() && ps[i].dtype() == ps[0].dtype(),
                "LBFGS: every parameter must be on one device and of one dtype, but parameter 0 is ",
                ps[0].device().str(), " ", std::string(dtype_name(ps[0].dtype())), " and parameter ", i, " is ",
                ps[i].device().str(), " ", std::string(dtype_name(ps[i].dtype())));
  Tensor flat = make_empty({numel()}, ps[0].dtype(), ps[0].device());
  int64_t offset = 0;
  for (const Tensor& p : ps) {
    const Tensor slice = native::narrow(flat, 0, offset, p.numel());
    if (p.grad().defined()) {
      EMBER_CHECK(p.grad().sizes() == p.sizes() && p.grad().dtype() == p.dtype() && p.grad().device() == p.device(),
                  "LBFGS: assigned grad has data of a different size, type or device than its parameter (grad ",
                  p.grad().sizes(), " ", dtype_torch_name(p.grad().dtype()), " on ", p.grad().device().str(),
                  ", parameter ", p.sizes(), " ", dtype_torch_name(p.dtype()), " on ", p.device().str(), ")");
      native::copy_(native::view(slice, p.sizes()), p.grad());
    } else {
      native::zero_(slice);
    }
    offset += p.numel();
  }
  return flat;
}

void LBFGS::add_to_params(double step_size, const Tensor& update) {
  int64_t offset = 0;
  for (const Tensor& p : params(0)) {
    native::add_(p, native::view(native::narrow(update, 0, offset, p.numel()), p.sizes()), step_size);
    offset += p.numel();
  }
}

Tensor LBFGS::step(const LossClosure& closure) {
  EMBER_CHECK(closure != nullptr, "LBFGS requires a closure function");
  const StepScope profile(*this, "LBFGS.step");  // a span, then a mark (Note [Profiler])
  NoGradGuard no_grad;
  const LBFGSOptions& o = options_;
  const auto evaluate = [&]() -> std::pair<Tensor, double> {
    Tensor loss;
    {
      EnableGradGuard enable_grad;
      loss = closure();
    }
    EMBER_CHECK(loss.defined(), "LBFGS: the closure returned an undefined tensor; it must return the loss");
    EMBER_CHECK(loss.numel() == 1,
                "LBFGS: the closure must return the loss, one element, but it returned a tensor of "
                "shape ",
                loss.sizes().str());
    return {loss, loss.item<double>()};
  };

  ParamState& state = param_state(0);
  const auto number = [&](const char* name, double fallback) {
    return state.count(name) ? detail::host_number(state.at(name)) : fallback;
  };
  double func_evals = number("func_evals", 0), state_n_iter = number("n_iter", 0);

  const auto [orig_loss, first_loss] = evaluate();
  double loss = first_loss;
  int64_t current_evals = 1;
  func_evals += 1;
  check_gradients_before_step();
  Tensor flat_grad = gather_flat_grad();
  bool opt_cond = max_abs(flat_grad) <= o.tolerance_grad;
  const auto save_counters = [&] {
    state["func_evals"] = host_double(func_evals);
    state["n_iter"] = host_double(state_n_iter);
  };
  if (opt_cond) {  // already optimal: nothing moves
    save_counters();
    mark_gradients_applied();
    return orig_loss;
  }

  Tensor d = state.count("d") ? state.at("d") : Tensor();
  Tensor prev_flat_grad = state.count("prev_flat_grad") ? state.at("prev_flat_grad") : Tensor();
  double t = number("t", 0), H_diag = number("H_diag", 1), prev_loss = number("prev_loss", 0);
  std::vector<Tensor> old_dirs, old_stps;
  std::vector<double> ro;
  if (state.count("ro")) ro = state.at("ro").to_vector<double>();
  for (size_t k = 0; k < ro.size(); ++k) {
    old_dirs.push_back(state.at(std::string(kDirs) + std::to_string(k)));
    old_stps.push_back(state.at(std::string(kSteps) + std::to_string(k)));
  }
  std::vector<double> al;  // the two-loop recursion's coefficients, one per kept pair

  int64_t n_iter = 0;
  while (n_iter < o.max_iter) {
    n_iter += 1;
    state_n_iter += 1;
    // The direction: steepest descent at first, then the two-loop recursion.
    if (state_n_iter == 1) {
      d = native::neg(flat_grad);
      old_dirs.clear(), old_stps.clear(), ro.clear();
      H_diag = 1;
    } else {
      const Tensor y = native::sub(flat_grad, prev_flat_grad);
      const Tensor s = native::mul(d, t);
      const double ys = detail::flat_dot(y, s);
      if (ys > 1e-10) {  // a pair that keeps the approximation positive definite
        if (static_cast<int64_t>(old_dirs.size()) == o.history_size) {
          old_dirs.erase(old_dirs.begin()), old_stps.erase(old_stps.begin()), ro.erase(ro.begin());
        }
        old_dirs.push_back(y), old_stps.push_back(s), ro.push_back(1. / ys);
        H_diag = ys / detail::flat_dot(y, y);
      }
      Tensor q = native::neg(flat_grad);
      al.assign(old_dirs.size(), 0.0);
      for (size_t i = old_dirs.size(); i-- > 0;) {
        al[i] = detail::flat_dot(old_stps[i], q) * ro[i];
        native::add_(q, old_dirs[i], -al[i]);
      }
      d = native::mul(q, H_diag);
      for (size_t i = 0; i < old_dirs.size(); ++i) {
        const double be_i = detail::flat_dot(old_dirs[i], d) * ro[i];
        native::add_(d, old_stps[i], al[i] - be_i);
      }
    }
    if (!prev_flat_grad.defined()) {
      prev_flat_grad = native::clone(flat_grad);
    } else {
      native::copy_(prev_flat_grad, flat_grad);
    }
    prev_loss = loss;

    // The step length.
    t = state_n_iter == 1 ? py_min(1., 1. / native::sum(native::abs(flat_grad)).item<double>()) * o.lr : o.lr;
    const double gtd = detail::flat_dot(flat_grad, d);
    if (gtd > -o.tolerance_change) break;  // not a descent direction (to the tolerance)

    int64_t ls_func_evals = 0;
    if (o.line_search_fn) {
      std::vector<Tensor> x_init;
      for (const Tensor& p : params(0)) x_init.push_back(native::clone(p));
      const detail::DirectionalObjective objective = [&](double step) {
        add_to_params(step, d);
        const double value = evaluate().second;
        Tensor g = gather_flat_grad();
        for (size_t i = 0; i < x_init.size(); ++i) native::copy_(params(0)[i], x_init[i]);
        return std::pair(value, g);
      };
      detail::LineSearchResult found = detail::strong_wolfe(objective, t, d, loss, flat_grad, gtd);
      loss = found.loss, flat_grad = found.flat_grad, t = found.t, ls_func_evals = found.evaluations;
      add_to_params(t, d);
      opt_cond = max_abs(flat_grad) <= o.tolerance_grad;
    } else {
      add_to_params(t, d);
      if (n_iter != o.max_iter) {  // the last iteration's loss is not needed (stochastic settings)
        loss = evaluate().second;
        flat_grad = gather_flat_grad();
        opt_cond = max_abs(flat_grad) <= o.tolerance_grad;
        ls_func_evals = 1;
      }
    }
    current_evals += ls_func_evals;
    func_evals += static_cast<double>(ls_func_evals);

    if (n_iter == o.max_iter || current_evals >= max_eval() || opt_cond) break;
    if (max_abs(native::mul(d, t)) <= o.tolerance_change) break;  // lack of progress
    if (std::abs(loss - prev_loss) < o.tolerance_change) break;
  }

  save_counters();
  state["d"] = d;
  state["t"] = host_double(t);
  state["H_diag"] = host_double(H_diag);
  state["prev_flat_grad"] = prev_flat_grad;
  state["prev_loss"] = host_double(prev_loss);
  for (auto it = state.begin(); it != state.end();) {
    size_t k = 0;
    const bool history = history_index(it->first, kDirs, k) || history_index(it->first, kSteps, k);
    it = history ? state.erase(it) : std::next(it);
  }
  for (size_t k = 0; k < ro.size(); ++k) {
    state[std::string(kDirs) + std::to_string(k)] = old_dirs[k];
    state[std::string(kSteps) + std::to_string(k)] = old_stps[k];
  }
  state["ro"] = tensor(ro, {static_cast<int64_t>(ro.size())}, TensorOptions(kFloat64));
  mark_gradients_applied();
  return orig_loss;
}

std::vector<std::pair<std::string, double>> LBFGS::hyper_parameters(size_t group) const {
  EMBER_CHECK(group == 0, "LBFGS has one parameter group, but group ", group, " was asked for");
  return {{"lr", options_.lr},
          {"max_iter", static_cast<double>(options_.max_iter)},
          {"max_eval", static_cast<double>(max_eval())},
          {"tolerance_grad", options_.tolerance_grad},
          {"tolerance_change", options_.tolerance_change},
          {"history_size", static_cast<double>(options_.history_size)},
          {"strong_wolfe", options_.line_search_fn ? 1.0 : 0.0}};
}

void LBFGS::set_hyper_parameter(size_t /*group*/, const std::string& name, double value) {
  assign(options_, name, value);
}

void LBFGS::check_hyper_parameters(size_t /*group*/, const std::vector<std::pair<std::string, double>>& values) const {
  LBFGSOptions candidate = options_;
  for (const auto& [name, value] : values) assign(candidate, name, value);
  validate(candidate);
}

void LBFGS::check_loaded_param_state(size_t /*group*/, const std::vector<std::pair<std::string, double>>& values,
                                     const std::string& prefix, const ParamState& loaded, const Tensor& param) const {
  if (!param.is_same(params(0).front())) {
    EMBER_CHECK(loaded.empty(),
                "load_state_dict: LBFGS keeps its state as its first parameter's, but the state dict "
                "has \"",
                prefix, loaded.empty() ? "" : loaded.begin()->first, "\"");
    return;
  }
  if (loaded.empty()) return;
  LBFGSOptions candidate = options_;
  for (const auto& [name, value] : values) assign(candidate, name, value);
  size_t dirs = 0, steps = 0;
  for (const auto& [name, value] : loaded) {
    size_t k = 0;
    const bool known =
        name == "func_evals" || name == "n_iter" || history_index(name, kDirs, k) || history_index(name, kSteps, k) ||
        std::find(std::begin(kIterationState), std::end(kIterationState), name) != std::end(kIterationState);
    EMBER_CHECK(known, "load_state_dict: unexpected LBFGS state \"", prefix, name, "\"");
    if (history_index(name, kDirs, k)) ++dirs;
    if (history_index(name, kSteps, k)) ++steps;
  }
  for (const char* counter : {"func_evals", "n_iter"}) {
    EMBER_CHECK(loaded.count(counter), "load_state_dict: LBFGS state \"", prefix, counter, "\" is missing");
    detail::check_step_count(prefix + counter, loaded.at(counter));
  }
  const bool iterated = detail::host_number(loaded.at("n_iter")) >= 1;
  for (const char* name : kIterationState)
    EMBER_CHECK(loaded.count(name) == (iterated ? 1u : 0u), "load_state_dict: LBFGS state \"", prefix, name, "\" ",
                iterated ? "is missing (n_iter is at least 1)" : "is there before any iteration (n_iter is 0)");
  if (!iterated) {
    EMBER_CHECK(dirs + steps == 0, "load_state_dict: LBFGS state has a history before any iteration (n_iter is 0)");
    return;
  }
  const int64_t n = numel();
  check_flat(prefix + "d", loaded.at("d"), n);
  check_flat(prefix + "prev_flat_grad", loaded.at("prev_flat_grad"), n);
  check_number(prefix + "t", loaded.at("t"));
  EMBER_CHECK(check_number(prefix + "H_diag", loaded.at("H_diag")) > 0, "load_state_dict: \"", prefix,
              "H_diag\" must be positive");
  check_number(prefix + "prev_loss", loaded.at("prev_loss"), /*any_value=*/true);
  const Tensor& ro = loaded.at("ro");
  EMBER_CHECK(ro.is_floating_point() && ro.dim() == 1 && ro.size(0) <= candidate.history_size, "load_state_dict: \"",
              prefix, "ro\" must be a floating-point vector of at most history_size = ", candidate.history_size,
              " elements, but got ", std::string(dtype_name(ro.dtype())), " of shape ", ro.sizes().str());
  for (const double r :
       native::to_dtype(native::to_device(ro, Device::cpu()), kFloat64).contiguous().to_vector<double>())
    EMBER_CHECK(std::isfinite(r) && r > 0, "load_state_dict: \"", prefix,
                "ro\" must hold finite values above 0 (1 / y.s "
                "of each kept pair), but has ",
                r);
  const size_t kept = static_cast<size_t>(ro.size(0));
  EMBER_CHECK(dirs == kept && steps == kept, "load_state_dict: LBFGS state has ", kept, " values in \"", prefix,
              "ro\" but ", dirs, " old_dirs and ", steps, " old_stps");
  for (size_t k = 0; k < kept; ++k)
    for (std::string_view family : {kDirs, kSteps}) {
      const std::string name = std::string(family) + std::to_string(k);
      EMBER_CHECK(loaded.count(name), "load_state_dict: LBFGS state \"", prefix, name, "\" is missing");
      check_flat(prefix + name, loaded.at(name), n);
    }
}

Tensor LBFGS::loaded_state_tensor(const std::string& name, const Tensor& value, const Tensor& param) const {
  if (name == "ro") return native::clone(native::to_dtype(native::to_device(value, Device::cpu()), kFloat64));
  size_t k = 0;
  const bool vector =
      name == "d" || name == "prev_flat_grad" || history_index(name, kDirs, k) || history_index(name, kSteps, k);
  if (vector) return native::clone(native::to_dtype(native::to_device(value, param.device()), param.dtype()));
  return host_double(detail::host_number(value));
}

}  // namespace ember::optim
