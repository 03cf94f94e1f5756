// `ember train --optimizer sgd|adam|adamw|rmsprop|adagrad|adadelta|adamax|nadam|radam`:
// the optimizer flags (--lr, --weight-decay, --momentum, --betas), their checks and
// defaults per optimizer, and the optimizer they make (Note [ember train's optimizers]).
#pragma once
#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "nn/optim/optimizer.h"

namespace ember::tools {

// Note [ember train's optimizers]
// --optimizer picks one of ember's optimizers (nn/optim); each flag left out takes that
// optimizer's default:
//   optimizer  --lr    --weight-decay  --momentum            --betas
//   sgd        0.05    0               0.9 (Nesterov)        -
//   adam       1e-3    0               -                     0.9,0.999
//   adamw      1e-3    0.01            -                     0.9,0.999
//   rmsprop    1e-3    0               0                     -
//   adagrad    1e-2    0               -                     -
//   adadelta   1.0     0               -                     -
//   adamax     2e-3    0               -                     0.9,0.999
//   nadam      2e-3    0               -                     0.9,0.999
//   radam      1e-3    0               -                     0.9,0.999
// SGD's row is what `ember train` always did (its numbers are unchanged); the others are
// PyTorch's defaults (the last four as PyTorch has them, not tuned on this model), except
// RMSprop's lr: PyTorch's 1e-2 (2e-2 at the one-cycle peak, with RMSprop's large first
// steps while square_avg grows from zero) ended one epoch on 4,096 images (batch 64) at
// test accuracy 0.10, 1e-3 at 0.76, so it takes 1e-3. SGD is Nesterov when its momentum
// is > 0 (PyTorch's Nesterov needs momentum), plain SGD with --momentum 0. A flag the
// chosen optimizer does not have (--momentum with adam, --betas with sgd or adadelta) is
// an error before any work, never ignored. --weight-decay is the L2 term into the
// gradient everywhere but adamw (decoupled). Schedules set the lr alone (one-cycle keeps
// cycle_momentum off), so they work with every optimizer. A checkpoint records the
// optimizer's name (metadata "optimizer") beside its state and hyper-parameters
// ("optim.param_groups.0.<name>", as state_dict); --resume with another --optimizer is an
// error naming both (a checkpoint without the name is an SGD one, from before the flag).
// As PyTorch's load_state_dict, a resumed optimizer takes its hyper-parameters from the
// checkpoint (the lr then follows the schedule, or stays the checkpoint's under
// --schedule none); a --weight-decay, --momentum or --betas given explicitly that differs
// from the checkpoint's is an error rather than silently replaced. Only SGD, Adam and
// AdamW have a capturable mode (Note [Capturable optimizers]), so only they run under
// --cuda-graph (Note [ember train with a CUDA graph]).

// The flags as given: std::nullopt for one left out (its default depends on --optimizer).
struct OptimizerFlags {
  std::string name = "sgd";
  std::optional<double> lr = std::nullopt;
  std::optional<double> weight_decay = std::nullopt;
  std::optional<double> momentum = std::nullopt;
  std::optional<std::pair<double, double>> betas = std::nullopt;
};

// The names --optimizer takes, in the order of the Note's table.
const std::vector<std::string>& optimizer_names();

// Adds --optimizer, --lr, --weight-decay, --momentum and --betas to `app`, each checked
// on its own (range, form) as it is parsed.
void add_optimizer_flags(CLI::App& app, OptimizerFlags& flags);

// Throws for a flag the chosen optimizer does not have, naming both.
void check_optimizer_flags(const OptimizerFlags& flags);

// The lr the run starts from: --lr, or the optimizer's default.
double resolved_lr(const OptimizerFlags& flags);

// The optimizer the flags describe, over `params`.
std::unique_ptr<optim::Optimizer> make_optimizer(const OptimizerFlags& flags, std::vector<Tensor> params);

// After --resume loaded the checkpoint `path` into `optimizer`: throws when a
// hyper-parameter flag given explicitly differs from the checkpoint's value.
void check_resumed_hyper_parameters(const OptimizerFlags& flags, const optim::Optimizer& optimizer,
                                    const std::string& path);

// "optimizer adam (--lr 0.001, beta1 0.9, ...)": the name, the lr the run starts from
// and the optimizer's other hyper-parameters as they are (after a resume, the checkpoint's).
std::string describe_optimizer(const OptimizerFlags& flags, const optim::Optimizer& optimizer);

// "" when the optimizer named has a capturable mode (Note [Capturable optimizers]); else
// why a CUDA graph cannot hold its step.
std::string not_capturable_reason(const std::string& name);
// Turns on the capturable mode of every group of `optimizer` (an SGD, Adam or AdamW);
// throws for an optimizer without one.
void make_capturable(optim::Optimizer& optimizer);

}  // namespace ember::tools
