// CUDA-vs-CPU checks of the fused nn kernels: (log-)softmax along any dim, cross
// entropy (smoothing, reductions, 50000 classes), nll_loss, all with backward; SGD,
// Adam/AdamW (and amsgrad), RMSprop, Adagrad, Adadelta, Adamax, NAdam and RAdam steps
// (parameters and optimizer state);
// gradient clipping; and an
// out-of-range target on CUDA surfacing as an ember::Error at the next synchronising point.
#include <limits>
#include <string>
#include <vector>

#include "tools/kernel_checks/kernel_checks.h"

namespace ember::kernel_checks {

namespace {

namespace F = nn::functional;
using Inputs = std::vector<Tensor>;
using Outputs = std::vector<Tensor>;

Tensor class_targets(int64_t rows, int64_t classes) { return randint(0, classes, {rows}); }

// "[rows, cols]" (built by appending: GCC 12 misreports `"literal" + std::string`).
std::string shape_name(int64_t rows, int64_t cols) {
  std::string name = "[";
  name.append(std::to_string(rows)).append(", ").append(std::to_string(cols)).append("]");
  return name;
}

void add_softmax_checks(std::vector<Check>& checks) {
  struct Case {
    Dims shape;
    int64_t dim;
    std::string shape_name;
  };
  const std::vector<Case> cases{{{64, 10}, 1, "[64, 10] dim=1"},
                                {{16, 33}, 0, "[16, 33] dim=0"},
                                {{4, 7, 5}, 1, "[4, 7, 5] dim=1"},
                                {{6, 5000}, 1, "[6, 5000] dim=1 (block per row)"}};
  for (const Case& c : cases) {
    for (bool log : {false, true}) {
      const int64_t dim = c.dim;
      checks.push_back(parity(ParitySpec{
          .op = std::string(log ? "log_softmax" : "softmax") + " backward",
          .shape = c.shape_name,
          .inputs = {randn(c.shape)},
          .fn = [dim, log](const Outputs& in) -> Outputs {
            return {log ? F::log_softmax(in[0], dim) : F::softmax(in[0], dim)};
          },
          .backward = true,
      }));
    }
  }
}

void add_class_loss_checks(std::vector<Check>& checks) {
  struct Case {
    std::string op;
    int64_t rows, classes;
    F::Reduction reduction;
    double smoothing;
    double tolerance;
  };
  const std::vector<Case> cases{
      {"cross_entropy(mean) backward", 128, 10, F::Reduction::Mean, 0.0, 1e-5},
      {"cross_entropy(mean, smoothing=0.1) backward", 128, 10, F::Reduction::Mean, 0.1, 1e-5},
      {"cross_entropy(none) backward", 128, 10, F::Reduction::None, 0.0, 1e-5},
      {"cross_entropy(sum, smoothing=0.1) backward", 128, 10, F::Reduction::Sum, 0.1, 1e-4},
      {"cross_entropy(mean) backward", 8, 50000, F::Reduction::Mean, 0.0, 1e-5},
      {"cross_entropy(mean, smoothing=0.1) backward", 8, 50000, F::Reduction::Mean, 0.1, 1e-5},
  };
  for (const Case& c : cases) {
    const F::Reduction reduction = c.reduction;
    const double smoothing = c.smoothing;
    checks.push_back(parity(ParitySpec{
        .op = c.op,
        .shape = shape_name(c.rows, c.classes),
        .inputs = {randn({c.rows, c.classes}), class_targets(c.rows, c.classes)},
        .fn = [reduction, smoothing](const Outputs& in) -> Outputs {
          return {F::cross_entropy(in[0], in[1], reduction, smoothing)};
        },
        .backward = true,
        .atol = c.tolerance,
        .rtol = c.tolerance,
    }));
  }
  for (F::Reduction reduction : {F::Reduction::Mean, F::Reduction::None}) {
    checks.push_back(parity(ParitySpec{
        .op = reduction == F::Reduction::Mean ? "nll_loss(mean) backward" : "nll_loss(none) backward",
        .shape = "[128, 10]",
        .inputs = {randn({128, 10}), class_targets(128, 10)},
        .fn = [reduction](const Outputs& in) -> Outputs { return {F::nll_loss(in[0], in[1], reduction)}; },
        .backward = true,
    }));
  }
  // the composite path of a classifier: log_softmax then nll_loss
  checks.push_back(parity(ParitySpec{
      .op = "nll_loss(log_softmax) backward",
      .shape = "[64, 10]",
      .inputs = {randn({64, 10}), class_targets(64, 10)},
      .fn = [](const Outputs& in) -> Outputs { return {F::nll_loss(F::log_softmax(in[0], 1), in[1])}; },
      .backward = true,
  }));
  // A class weight and ignored rows in the fused kernels (the weight is a constant: no
  // gradient flows into it, on either device).
  checks.push_back(parity(ParitySpec{
      .op = "cross_entropy(weight, ignore_index, smoothing=0.1) backward",
      .shape = "[128, 10], every 4th target -100",
      .fn = [](const Outputs& in) -> Outputs {
        return {F::cross_entropy(in[0], in[1], {.weight = in[2], .ignore_index = -100, .label_smoothing = 0.1})};
      },
      .backward = true,
      .make_inputs = [] {
        Tensor targets = class_targets(128, 10);
        targets.slice(0, 0, 128, 4).fill_(-100);
        return Outputs{randn({128, 10}), targets, rand({10}) + 0.5};
      },
      .constant_inputs = {2},
  }));
  checks.push_back(parity(ParitySpec{
      .op = "nll_loss(weight, ignore_index=3) float64 backward",
      .shape = "[257, 7]",
      .fn = [](const Outputs& in) -> Outputs {
        return {F::nll_loss(in[0], in[1], {.weight = in[2], .ignore_index = 3}),
                F::nll_loss(in[0], in[1], {.weight = in[2], .ignore_index = 3, .reduction = F::Reduction::None})};
      },
      .backward = true,
      .atol = 1e-12,
      .rtol = 1e-12,
      .make_inputs = [] {
        return Outputs{randn({257, 7}, kFloat64), class_targets(257, 7), rand({7}, kFloat64) + 0.5};
      },
      .constant_inputs = {2},
  }));
  // PyTorch's K-dimensional form (a segmentation-like [N, C, H, W]) and class probabilities.
  checks.push_back(parity(ParitySpec{
      .op = "cross_entropy K-dim [N, C, H, W] (weight, smoothing=0.1) backward",
      .shape = "[8, 10, 5, 7]",
      .fn = [](const Outputs& in) -> Outputs {
        return {F::cross_entropy(in[0], in[1], {.weight = in[2], .label_smoothing = 0.1})};
      },
      .backward = true,
      .make_inputs = [] { return Outputs{randn({8, 10, 5, 7}), randint(0, 10, {8, 5, 7}), rand({10}) + 0.5}; },
      .constant_inputs = {2},
  }));
  checks.push_back(parity(ParitySpec{
      .op = "cross_entropy class probabilities (weight) backward",
      .shape = "[128, 10]",
      .fn = [](const Outputs& in) -> Outputs {
        return {F::cross_entropy(in[0], F::softmax(in[1], 1), {.weight = in[2]})};
      },
      .backward = true,
      .make_inputs = [] { return Outputs{randn({128, 10}), randn({128, 10}), rand({10}) + 0.5}; },
  }));
  checks.push_back(parity(ParitySpec{
      .op = "cross_entropy(mean, ignore_index=-100) all rows ignored",
      .shape = "[16, 10]",
      .fn = [](const Outputs& in) -> Outputs { return {F::cross_entropy(in[0], in[1], F::ClassLossOptions{})}; },
      .backward = true,
      .make_inputs = [] { return Outputs{randn({16, 10}), full({16}, -100, TensorOptions(kInt64))}; },
  }));
}

// Runs `steps` optimizer steps on a CPU parameter and on its CUDA copy with the same
// gradients, then compares the parameters and every optimizer state tensor.
template <typename Optimizer, typename Options>
Check optimizer_check(const std::string& op, const Options& options, int steps, double tolerance) {
  const Dims shape{257, 33};
  return Check{
      .op = op,
      .shape = shape_name(257, 33).append(" x ").append(std::to_string(steps)).append(" steps"),
      .tolerance = tolerance,
      .run =
          [=] {
            CheckResult result;
            Tensor cpu_param = randn(shape).requires_grad_(true);
            Tensor cuda_param = cpu_param.detach().cuda().requires_grad_(true);
            Optimizer on_cpu({cpu_param}, options), on_cuda({cuda_param}, options);
            for (int s = 0; s < steps; ++s) {
              const Tensor grad = randn(shape);
              cpu_param.mutable_grad() = grad;
              cuda_param.mutable_grad() = grad.cuda();
              on_cpu.step();
              on_cuda.step();
            }
            compare("param", cuda_param.detach(), cpu_param.detach(), tolerance, tolerance, result);
            const optim::StateDict cpu_state = on_cpu.state_dict(), cuda_state = on_cuda.state_dict();
            if (cpu_state.size() != cuda_state.size()) {
              result.detail += "state_dict sizes differ; ";
            } else {
              for (size_t i = 0; i < cpu_state.size(); ++i) {
                compare(cpu_state[i].first, cuda_state[i].second, cpu_state[i].second, tolerance, tolerance, result);
              }
            }
            result.passed = result.detail.empty();
            return result;
          },
  };
}

void add_optimizer_checks(std::vector<Check>& checks) {
  checks.push_back(optimizer_check<optim::SGD>(
      "sgd step (momentum, nesterov, weight_decay)",
      optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-2, .nesterov = true}, 2, 1e-6));
  checks.push_back(optimizer_check<optim::SGD>(
      "sgd step (momentum, dampening)", optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .dampening = 0.2}, 2, 1e-6));
  checks.push_back(optimizer_check<optim::Adam>("adam step (weight_decay)",
                                                optim::AdamOptions{.lr = 1e-2, .weight_decay = 1e-2}, 3, 1e-6));
  checks.push_back(
      optimizer_check<optim::AdamW>("adamw step", optim::AdamWOptions{.lr = 1e-2, .weight_decay = 0.1}, 3, 1e-6));
  checks.push_back(optimizer_check<optim::Adam>(
      "adam step (amsgrad)", optim::AdamOptions{.lr = 1e-2, .weight_decay = 1e-2, .amsgrad = true}, 3, 1e-6));
  checks.push_back(optimizer_check<optim::RMSprop>(
      "rmsprop step (momentum, centered, weight_decay)",
      optim::RMSpropOptions{.lr = 1e-2, .weight_decay = 1e-2, .momentum = 0.9, .centered = true}, 3, 1e-6));
  checks.push_back(optimizer_check<optim::Adagrad>(
      "adagrad step (lr_decay, weight_decay)",
      optim::AdagradOptions{.lr = 1e-2, .lr_decay = 0.1, .weight_decay = 1e-2, .initial_accumulator_value = 0.1}, 3,
      1e-6));
  checks.push_back(optimizer_check<optim::Adadelta>(
      "adadelta step (weight_decay, maximize)",
      optim::AdadeltaOptions{.lr = 0.5, .rho = 0.8, .weight_decay = 1e-2, .maximize = true}, 3, 1e-6));
  checks.push_back(optimizer_check<optim::Adamax>(
      "adamax step (weight_decay)", optim::AdamaxOptions{.lr = 1e-2, .weight_decay = 1e-2}, 3, 1e-6));
  checks.push_back(optimizer_check<optim::NAdam>(
      "nadam step (weight_decay)", optim::NAdamOptions{.lr = 1e-2, .weight_decay = 1e-2}, 3, 1e-6));
  checks.push_back(optimizer_check<optim::RAdam>(
      "radam step (rectified from step 6, weight_decay)",
      optim::RAdamOptions{.lr = 1e-2, .betas = {0.9, 0.9}, .weight_decay = 1e-2}, 8, 1e-6));
}

// clip_grad_norm_ of two gradients on the inputs' device: the total norm and both
// gradients after clipping.
void add_clip_grad_checks(std::vector<Check>& checks) {
  const std::pair<double, const char*> norms[] = {
      {2.0, "2"}, {std::numeric_limits<double>::infinity(), "inf"}, {1.5, "1.5"}};
  for (const auto& [norm_type, norm_name] : norms) {
    checks.push_back(parity(ParitySpec{
        .op = std::string("clip_grad_norm_(max_norm=1, norm_type=").append(norm_name).append(")"),
        .shape = "[257, 33] and [1000]",
        .fn =
            [norm_type](const Inputs& x) {
              std::vector<Tensor> params;
              for (const Tensor& g : x) {
                params.push_back(zeros(g.sizes(), TensorOptions(g.dtype()).device(g.device())).requires_grad_());
                params.back().mutable_grad() = g.clone();
              }
              const Tensor total = nn::utils::clip_grad_norm_(params, 1.0, norm_type);
              return Inputs{total, params[0].grad(), params[1].grad()};
            },
        .atol = 1e-5,
        .rtol = 1e-5,
        .make_inputs = [] { return Inputs{randn({257, 33}), randn({1000})}; }}));
  }
}

// A bad target on CUDA must not throw at the launch (no synchronisation there) but at
// the next synchronising point, as an ember::Error naming the target.
// The elementwise losses' functors (core/loss_functors.h), every reduction, gradients for
// input and target; and a BCE input outside [0, 1] through the device error word.
void add_pointwise_loss_checks(std::vector<Check>& checks) {
  using LossFn = std::function<Tensor(const Tensor&, const Tensor&, const Tensor&, F::Reduction)>;
  const std::vector<std::pair<std::string, LossFn>> cases{
      {"l1_loss", [](const Tensor& x, const Tensor& t, const Tensor&, F::Reduction r) { return F::l1_loss(x, t, r); }},
      {"smooth_l1_loss(beta=0.5)",
       [](const Tensor& x, const Tensor& t, const Tensor&, F::Reduction r) { return F::smooth_l1_loss(x, t, r, 0.5); }},
      {"huber_loss(delta=0.5)",
       [](const Tensor& x, const Tensor& t, const Tensor&, F::Reduction r) { return F::huber_loss(x, t, r, 0.5); }},
      {"binary_cross_entropy(weight)",
       [](const Tensor& x, const Tensor& t, const Tensor& w, F::Reduction r) {
         return F::binary_cross_entropy(x.sigmoid(), t.sigmoid(), w.detach(), r);
       }},
      {"binary_cross_entropy_with_logits(weight, pos_weight)",
       [](const Tensor& x, const Tensor& t, const Tensor& w, F::Reduction r) {
         return F::binary_cross_entropy_with_logits(x, t.sigmoid(), w.detach(), r, w.detach() * 2.0);
       }},
  };
  for (const auto& [name, fn] : cases) {
    for (const F::Reduction r : {F::Reduction::None, F::Reduction::Mean}) {
      checks.push_back(parity(ParitySpec{
          .op = name + (r == F::Reduction::Mean ? "(mean)" : "(none)") + " backward",
          .shape = "[64, 33]",
          .fn = [fn, r](const Outputs& in) -> Outputs { return {fn(in[0], in[1], in[2], r)}; },
          .backward = true,
          .make_inputs = [] { return Outputs{randn({64, 33}), randn({64, 33}), rand({33})}; },
      }));
    }
  }
  checks.push_back(deferred_error_check(
      "binary_cross_entropy input outside [0, 1]", "[4]", "all elements of input should be between 0 and 1",
      [] { (void)F::binary_cross_entropy(tensor(std::vector<float>{0.5f, 1.5f, 0.1f, 0.2f}).cuda(), rand({4}).cuda()); },
      [] { (void)F::binary_cross_entropy(rand({4}).cuda(), rand({4}).cuda()).item<double>(); }));
}

void add_bad_target_check(std::vector<Check>& checks) {
  checks.push_back(deferred_error_check(
      "cross_entropy bad target", "[4, 10], target 12", "Target 12 is out of bounds",
      [] { (void)F::cross_entropy(randn({4, 10}).cuda(), tensor(std::vector<int64_t>{1, 12, 3, 4}).cuda()); },
      [] {
        (void)F::cross_entropy(randn({4, 10}).cuda(), tensor(std::vector<int64_t>{1, 2, 3, 4}).cuda()).item<double>();
      }));
}

}  // namespace

void add_nn_checks(std::vector<Check>& checks) {
  add_softmax_checks(checks);
  add_class_loss_checks(checks);
  add_optimizer_checks(checks);
  add_clip_grad_checks(checks);
  add_pointwise_loss_checks(checks);
  add_bad_target_check(checks);
}

}  // namespace ember::kernel_checks
