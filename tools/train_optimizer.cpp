// `ember train`'s optimizer flags, their defaults per optimizer and the optimizer they
// make (tools/train_optimizer.h, Note [ember train's optimizers]).
#include "tools/train_optimizer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "nn/optim/adadelta.h"
#include "nn/optim/adagrad.h"
#include "nn/optim/adam.h"
#include "nn/optim/adamax.h"
#include "nn/optim/nadam.h"
#include "nn/optim/radam.h"
#include "nn/optim/rmsprop.h"
#include "nn/optim/sgd.h"
#include "tools/flag_checks.h"

namespace ember::tools {

namespace {

constexpr double kSgdLr = 0.05;        // ember train's lr since its first version
constexpr double kSgdMomentum = 0.9;   // Nesterov, as measured
constexpr double kAdaptiveLr = 1e-3;   // adam, adamw, radam (PyTorch's default) and rmsprop (see the Note)
constexpr double kAdagradLr = 1e-2;    // PyTorch's default
constexpr double kAdadeltaLr = 1.0;    // PyTorch's default
constexpr double kAdamaxLr = 2e-3;     // PyTorch's default of Adamax and NAdam

bool is_adam(const std::string& name) { return name == "adam" || name == "adamw"; }
bool has_momentum(const std::string& name) { return name == "sgd" || name == "rmsprop"; }
// The Adam family: the optimizers with betas (--betas).
bool has_betas(const std::string& name) {
  return is_adam(name) || name == "adamax" || name == "nadam" || name == "radam";
}

std::string g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// --betas B1,B2: two numbers, each in [0, 1) (PyTorch's check of Adam's betas).
CLI::Validator betas_check() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        const std::string expected = "must be two numbers B1,B2, each " + range_text(0, 1, Bound::Closed, Bound::Open);
        const size_t comma = input.find(',');
        if (comma == std::string::npos || input.find(',', comma + 1) != std::string::npos)
          return expected + "; got '" + input + "'";
        for (const std::string& part : {input.substr(0, comma), input.substr(comma + 1)}) {
          char* end = nullptr;
          const double v = std::strtod(part.c_str(), &end);
          if (part.empty() || end != part.c_str() + part.size() || !(v >= 0 && v < 1))
            return expected + "; got '" + input + "'";
        }
        return {};
      },
      "B1,B2");
}

std::pair<double, double> parse_betas(const std::string& text) {  // already checked by betas_check
  const size_t comma = text.find(',');
  return {std::strtod(text.substr(0, comma).c_str(), nullptr), std::strtod(text.substr(comma + 1).c_str(), nullptr)};
}

// The hyper-parameter `name` of group 0 as state_dict has it ("param_groups.0.<name>").
std::optional<double> group_value(const optim::StateDict& state, const std::string& name) {
  const std::string key = "param_groups.0." + name;
  for (const auto& [k, v] : state)
    if (k == key) return v.item<double>();
  return std::nullopt;
}

template <typename Options>
void set_capturable(optim::Optimizer& optimizer, bool& done) {
  if (done) return;
  if (auto* typed = dynamic_cast<optim::OptimizerWithOptions<Options>*>(&optimizer)) {
    for (size_t g = 0; g < typed->num_param_groups(); ++g) typed->options(g).capturable = true;
    done = true;
  }
}

}  // namespace

const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> names = {"sgd",      "adam",   "adamw", "rmsprop", "adagrad",
                                                  "adadelta", "adamax", "nadam", "radam"};
  return names;
}

void add_optimizer_flags(CLI::App& app, OptimizerFlags& flags) {
  app.add_option("--optimizer", flags.name,
                 "sgd (Nesterov momentum), adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam or radam")
      ->check(CLI::IsMember(optimizer_names()))
      ->capture_default_str();
  // --lr: any finite positive number; a huge one is caught when the loss diverges
  // (Note [A diverged run stops]), as PyTorch sets no upper bound either.
  app.add_option_function<double>(
         "--lr", [&flags](const double& v) { flags.lr = v; },
         "learning rate (default: sgd 0.05, adam/adamw/rmsprop/radam 1e-3, adagrad 1e-2, adadelta 1, "
         "adamax/nadam 2e-3)")
      ->transform(in_range(0, std::numeric_limits<double>::max(), Bound::Open));
  app.add_option_function<double>(
         "--weight-decay", [&flags](const double& v) { flags.weight_decay = v; },
         "weight decay (L2 into the gradient; decoupled for adamw) (default: 0, adamw 0.01)")
      ->transform(in_range(0, std::numeric_limits<double>::max()));
  app.add_option_function<double>(
         "--momentum", [&flags](const double& v) { flags.momentum = v; },
         "momentum of sgd (default 0.9, Nesterov; 0: plain SGD) or rmsprop (default 0)")
      ->transform(in_range(0, 1, Bound::Closed, Bound::Open));
  app.add_option_function<std::string>(
         "--betas", [&flags](const std::string& v) { flags.betas = parse_betas(v); },
         "adam/adamw/adamax/nadam/radam coefficients of the running averages (default 0.9,0.999)")
      ->check(betas_check());
}

void check_optimizer_flags(const OptimizerFlags& flags) {
  const std::string& name = flags.name;
  EMBER_CHECK(std::find(optimizer_names().begin(), optimizer_names().end(), name) != optimizer_names().end(),
              "--optimizer: expected sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam or radam, but got '",
              name, "'");
  EMBER_CHECK(!flags.momentum || has_momentum(name), "--momentum: --optimizer ", name, " has no momentum",
              has_betas(name) ? " (its beta1 plays that part: --betas B1,B2)" : "",
              "; --momentum is for sgd and rmsprop, but got --momentum ", g(*flags.momentum));
  EMBER_CHECK(!flags.betas || has_betas(name), "--betas: --optimizer ", name,
              " has no betas; --betas is for adam, adamw, adamax, nadam and radam, but got --betas ",
              flags.betas ? g(flags.betas->first) + "," + g(flags.betas->second) : "");
}

double resolved_lr(const OptimizerFlags& flags) {
  if (flags.lr) return *flags.lr;
  if (flags.name == "sgd") return kSgdLr;
  if (flags.name == "adagrad") return kAdagradLr;
  if (flags.name == "adadelta") return kAdadeltaLr;
  if (flags.name == "adamax" || flags.name == "nadam") return kAdamaxLr;
  return kAdaptiveLr;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const OptimizerFlags& flags, std::vector<Tensor> params) {
  check_optimizer_flags(flags);
  const double lr = resolved_lr(flags);
  if (flags.name == "sgd") {
    const double momentum = flags.momentum.value_or(kSgdMomentum);
    const optim::SGDOptions options{.lr = lr,
                                    .momentum = momentum,
                                    .dampening = 0,
                                    .weight_decay = flags.weight_decay.value_or(0),
                                    .nesterov = momentum > 0};
    return std::make_unique<optim::SGD>(std::move(params), options);
  }
  // The others start from their options' defaults (PyTorch's) and change what was given.
  auto adam_like = [&](auto options) {
    options.lr = lr;
    if (flags.weight_decay) options.weight_decay = *flags.weight_decay;
    if (flags.betas) options.betas = *flags.betas;
    return options;
  };
  if (flags.name == "adam") return std::make_unique<optim::Adam>(std::move(params), adam_like(optim::AdamOptions{}));
  if (flags.name == "adamw") return std::make_unique<optim::AdamW>(std::move(params), adam_like(optim::AdamWOptions{}));
  if (flags.name == "adamax")
    return std::make_unique<optim::Adamax>(std::move(params), adam_like(optim::AdamaxOptions{}));
  if (flags.name == "nadam") return std::make_unique<optim::NAdam>(std::move(params), adam_like(optim::NAdamOptions{}));
  if (flags.name == "radam") return std::make_unique<optim::RAdam>(std::move(params), adam_like(optim::RAdamOptions{}));
  if (flags.name == "adadelta") {
    optim::AdadeltaOptions options;
    options.lr = lr;
    if (flags.weight_decay) options.weight_decay = *flags.weight_decay;
    return std::make_unique<optim::Adadelta>(std::move(params), options);
  }
  if (flags.name == "rmsprop") {
    optim::RMSpropOptions options;
    options.lr = lr;
    if (flags.weight_decay) options.weight_decay = *flags.weight_decay;
    if (flags.momentum) options.momentum = *flags.momentum;
    return std::make_unique<optim::RMSprop>(std::move(params), options);
  }
  optim::AdagradOptions options;  // adagrad (check_optimizer_flags took every other name)
  options.lr = lr;
  if (flags.weight_decay) options.weight_decay = *flags.weight_decay;
  return std::make_unique<optim::Adagrad>(std::move(params), options);
}

void check_resumed_hyper_parameters(const OptimizerFlags& flags, const optim::Optimizer& optimizer,
                                    const std::string& path) {
  const optim::StateDict state = optimizer.state_dict();
  auto check = [&](const char* flag, const char* name, const std::optional<double>& given) {
    if (!given) return;
    const std::optional<double> loaded = group_value(state, name);
    EMBER_CHECK(!loaded || *loaded == *given, flag, ": --resume '", path, "' continues a run whose ", name, " was ",
                g(loaded.value_or(0)), ", but got ", flag, " ", g(*given),
                "; a resumed optimizer keeps the checkpoint's hyper-parameters (drop ", flag, " or give ",
                g(loaded.value_or(0)), ")");
  };
  check("--weight-decay", "weight_decay", flags.weight_decay);
  check("--momentum", "momentum", flags.momentum);
  check("--betas", "beta1", flags.betas ? std::optional<double>(flags.betas->first) : std::nullopt);
  check("--betas", "beta2", flags.betas ? std::optional<double>(flags.betas->second) : std::nullopt);
}

std::string not_capturable_reason(const std::string& name) {
  if (name == "sgd" || is_adam(name)) return "";
  return "--optimizer " + name +
         " has no capturable mode (its step passes the lr and step count by value, which a CUDA graph would freeze; "
         "Note [Capturable optimizers])";
}

void make_capturable(optim::Optimizer& optimizer) {
  bool done = false;
  set_capturable<optim::SGDOptions>(optimizer, done);
  set_capturable<optim::AdamOptions>(optimizer, done);
  set_capturable<optim::AdamWOptions>(optimizer, done);
  EMBER_CHECK(done, "a CUDA graph needs a capturable optimizer (SGD, Adam or AdamW: Note [Capturable optimizers])");
}

std::string describe_optimizer(const OptimizerFlags& flags, const optim::Optimizer& optimizer) {
  std::ostringstream out;
  out << "optimizer " << flags.name << " (--lr " << g(resolved_lr(flags));
  const std::string prefix = "param_groups.0.";
  for (const auto& [key, value] : optimizer.state_dict()) {
    if (key.rfind(prefix, 0) != 0 || key == prefix + "params" || key == prefix + "lr") continue;
    out << ", " << key.substr(prefix.size()) << " " << g(value.item<double>());
  }
  out << ")";
  return out.str();
}

}  // namespace ember::tools
