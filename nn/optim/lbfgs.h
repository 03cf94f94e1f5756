// optim::LBFGS: PyTorch's limited-memory BFGS, a full-batch quasi-Newton method: each
// step(closure) runs up to max_iter iterations, each one direction from the last
// history_size curvature pairs and a fixed step (lr) or a strong Wolfe line search.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nn/optim/optimizer.h"

namespace ember::optim {

// The closure (LossClosure, optimizer.h) re-evaluates the model: zero the gradients, compute the
// loss, backward, return the loss (one element). Called with grad mode on.

struct LBFGSOptions {
  double lr = 1;
  int64_t max_iter = 20;                                     // iterations per step()
  std::optional<int64_t> max_eval = std::nullopt;            // closure calls per step(); max_iter * 5 / 4 if not given
  double tolerance_grad = 1e-7;                              // stop when every gradient element is at most this
  double tolerance_change = 1e-9;                            // stop when the loss or the step changes less
  int64_t history_size = 100;                                // curvature pairs kept
  std::optional<std::string> line_search_fn = std::nullopt;  // "strong_wolfe", or none (a fixed step of lr)
};

// Note [LBFGS]
// ~~~~~~~~~~~~
// PyTorch's algorithm (torch/optim/lbfgs.py), iteration for iteration: the parameters are
// one flat vector (their gradients gathered in parameter order, zeros for a parameter
// without one), the direction comes from the two-loop recursion over the kept pairs
// (y = change of gradient, s = step) scaled by H_diag = y.s / y.y, a pair is kept only when
// y.s > 1e-10, and the first iteration's step is min(1, 1 / |g|_1) * lr. The scalars (dot
// products, t, the line search's numbers) are host doubles: with float64 parameters they are
// PyTorch's roundings, with float32 ones PyTorch rounds them to float32 where ember keeps
// doubles, so float32 runs agree with PyTorch's to float32 precision, not bit for bit.
// Like PyTorch's, the state is global, kept as the first parameter's (state.0.* in
// state_dict): func_evals, n_iter, and after an iteration d, t, H_diag, prev_flat_grad,
// prev_loss, ro (a float64 vector) and old_dirs.<k> / old_stps.<k>, oldest first. PyTorch's
// al is scratch that every step rewrites before reading, so it is not kept. Every parameter
// must be on one device and of one floating dtype; it works on any device, as the update is
// composed of native ops. Memory: (2 * history_size + 4) flat vectors of the parameters' size.
// Where PyTorch fails obscurely ember says why: a NaN loss inside the line search is an error
// (PyTorch's IndexError), and a saved state holding a value that is not finite (after a NaN
// or overflowing loss) is refused by load_state_dict, as every ember optimizer's is.

// Only one parameter group (add_param_group is an error, as PyTorch's); step() without a
// closure is an error: call step(closure).
class LBFGS : public Optimizer {
 public:
  explicit LBFGS(std::vector<Tensor> params, const LBFGSOptions& options = {});
  // One LBFGS step: returns the closure's first loss (before this step's updates), as PyTorch.
  Tensor step(const LossClosure& closure) override;
  void step() override;  // "LBFGS requires a closure function"
  void add_param_group(std::vector<Tensor> params) override;
  double lr(size_t group) const override;
  void set_lr(size_t group, double lr) override;
  const LBFGSOptions& options() const { return options_; }
  // max_eval as step() uses it (the default filled in).
  int64_t max_eval() const;

 protected:
  // lr, max_iter, max_eval, tolerance_grad, tolerance_change, history_size and strong_wolfe
  // (1 for line_search_fn "strong_wolfe", 0 for none).
  std::vector<std::pair<std::string, double>> hyper_parameters(size_t group) const override;
  void set_hyper_parameter(size_t group, const std::string& name, double value) override;
  void check_hyper_parameters(size_t group, const std::vector<std::pair<std::string, double>>& values) const override;
  void check_loaded_param_state(size_t group, const std::vector<std::pair<std::string, double>>& values,
                                const std::string& prefix, const ParamState& loaded,
                                const Tensor& param) const override;
  Tensor loaded_state_tensor(const std::string& name, const Tensor& value, const Tensor& param) const override;

 private:
  int64_t numel() const;
  Tensor gather_flat_grad() const;
  void add_to_params(double step_size, const Tensor& update);

  LBFGSOptions options_;
};

// The one check of LBFGS's options: lr, tolerance_grad, tolerance_change finite and >= 0;
// max_iter, max_eval and history_size at least 1; line_search_fn "strong_wolfe" or none.
void validate(const LBFGSOptions& o);

}  // namespace ember::optim
