// AdaptiveLogSoftmaxWithLoss: PyTorch's forward (head log-probabilities gathered at each
// row's shortlist class or cluster, plus the cluster's own log-probability of the target),
// log_prob and predict, composed of Linear, log_softmax, gather and index ops.
#include "nn/adaptive.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/factories.h"
#include "core/ops.h"
#include "core/statistics_ops.h"
#include "nn/functional/loss.h"

namespace ember::nn {

namespace F = functional;

namespace {
std::vector<int64_t> checked_cutoffs(std::vector<int64_t> cutoffs, int64_t n_classes) {
  const bool ok = !cutoffs.empty() && std::is_sorted(cutoffs.begin(), cutoffs.end()) && cutoffs.front() > 0 &&
                  cutoffs.back() <= n_classes - 1 &&
                  std::set<int64_t>(cutoffs.begin(), cutoffs.end()).size() == cutoffs.size();
  EMBER_CHECK(ok, "cutoffs should be a sequence of unique, positive integers sorted in an increasing order, where ",
              "each value is between 1 and n_classes-1");
  cutoffs.push_back(n_classes);
  return cutoffs;
}

// Python's float a // b as CPython computes it (from fmod, so the floor of the exact quotient,
// where floor(a / b) may round up first): PyTorch's tail widths, in_features // div_value ** i.
double python_floor_divide(double a, double b) {
  const double mod = std::fmod(a, b);
  double quotient = (a - mod) / b;
  if (mod != 0.0 && ((b < 0.0) != (mod < 0.0))) quotient -= 1.0;
  double floored = std::floor(quotient);
  if (quotient - floored > 0.5) floored += 1.0;
  return floored;
}
}  // namespace

AdaptiveLogSoftmaxWithLoss::AdaptiveLogSoftmaxWithLoss(int64_t in_features, int64_t n_classes,
                                                       const std::vector<int64_t>& cutoffs, double div_value,
                                                       bool head_bias)
    : Module("AdaptiveLogSoftmaxWithLoss"),
      in_features(in_features),
      n_classes(n_classes),
      cutoffs(checked_cutoffs(cutoffs, n_classes)),
      div_value(div_value),
      head_bias(head_bias),
      shortlist_size(this->cutoffs.front()),
      n_clusters(static_cast<int64_t>(this->cutoffs.size()) - 1),
      head_size(shortlist_size + n_clusters) {
  EMBER_CHECK(in_features > 0, "AdaptiveLogSoftmaxWithLoss: in_features must be positive, got ", in_features);
  EMBER_CHECK(div_value > 0.0, "AdaptiveLogSoftmaxWithLoss: div_value must be positive, got ", div_value);
  head = register_module("head", std::make_shared<Linear>(in_features, head_size, head_bias));
  tail = register_module("tail", std::make_shared<ModuleList>());
  for (int64_t i = 0; i < n_clusters; ++i) {
    // PyTorch's int(in_features // (div_value ** (i + 1))).
    const auto hidden =
        static_cast<int64_t>(python_floor_divide(static_cast<double>(in_features), std::pow(div_value, i + 1)));
    const int64_t classes = this->cutoffs[i + 1] - this->cutoffs[i];
    tail->push_back(std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
        std::make_shared<Linear>(in_features, hidden, false), std::make_shared<Linear>(hidden, classes, false)}));
  }
}

Tensor AdaptiveLogSoftmaxWithLoss::forward(const Tensor& /*input*/) {
  EMBER_FAIL("AdaptiveLogSoftmaxWithLoss.forward() missing 1 required positional argument: 'target'");
}

ASMOutput AdaptiveLogSoftmaxWithLoss::forward(const Tensor& input_, const Tensor& target_) {
  const int64_t target_dim = target_.dim();
  if (target_dim == 1) {
    EMBER_CHECK(input_.dim() >= 1 && input_.size(0) == target_.size(0),
                "Input and target should have the same size in the batch dimension.");
    EMBER_CHECK(input_.dim() == 2, "1D target tensor expects 2D input tensors, but found inputs with size ",
                input_.sizes());
  } else if (target_dim == 0) {
    EMBER_CHECK(input_.dim() == 1, "0D target tensor expects 1D input tensors, but found inputs with size ",
                input_.sizes());
  } else {
    EMBER_FAIL("0D or 1D target tensor expected, multi-target not supported");
  }
  EMBER_CHECK(target_.dtype() == kInt64, "AdaptiveLogSoftmaxWithLoss: expected an int64 target, but got ",
              dtype_torch_name(target_.dtype()));
  EMBER_CHECK(input_.size(-1) == in_features, "AdaptiveLogSoftmaxWithLoss: expected inputs of ", in_features,
              " features, but got ", input_.sizes());
  const bool batched = target_dim > 0;
  const Tensor input = batched ? input_ : input_.unsqueeze(0);
  const Tensor target = batched ? target_ : target_.unsqueeze(0);
  const int64_t batch = target.size(0);
  if (batch > 0 && ((target < 0) | (target >= n_classes)).any().item<bool>()) {
    EMBER_FAIL("Target values should be in [0, ", n_classes - 1, "], but values in range [",
               target.min().item<int64_t>(), ", ", target.max().item<int64_t>(), "] were found. ");
  }

  // The head's column for each row: its class in the shortlist, or its cluster's column.
  Tensor head_column = target;
  Tensor output = zeros({batch}, TensorOptions().dtype(input.dtype()).device(input.device()));
  for (int64_t i = 1; i <= n_clusters; ++i) {
    const Tensor in_cluster = (target >= cutoffs[i - 1]) & (target < cutoffs[i]);
    head_column = where(in_cluster, shortlist_size + i - 1, head_column);
    const Tensor rows = nonzero(in_cluster).reshape({-1});
    if (rows.numel() == 0) continue;
    const Tensor cluster_logprob = F::log_softmax((*(*tail)[i - 1])(index_select(input, 0, rows)), 1);
    const Tensor relative = index_select(target, 0, rows) - cutoffs[i - 1];
    output = index_copy(output, 0, rows, gather(cluster_logprob, 1, relative.unsqueeze(1)).squeeze(1));
  }
  const Tensor head_logprob = F::log_softmax((*head)(input), 1);
  output = output + gather(head_logprob, 1, head_column.unsqueeze(1)).squeeze(1);
  const Tensor loss = (-output).mean();
  return {batched ? output : output.squeeze(0), loss};
}

Tensor AdaptiveLogSoftmaxWithLoss::log_prob(const Tensor& input) {
  EMBER_CHECK(input.dim() == 2 && input.size(1) == in_features,
              "AdaptiveLogSoftmaxWithLoss.log_prob: expected input of size [N, ", in_features, "], but got ",
              input.sizes());
  const Tensor head_logprob = F::log_softmax((*head)(input), 1);
  std::vector<Tensor> parts{head_logprob.narrow(1, 0, shortlist_size)};
  for (int64_t i = 0; i < n_clusters; ++i) {
    const Tensor cluster_logprob = F::log_softmax((*(*tail)[i])(input), 1);
    parts.push_back(cluster_logprob + head_logprob.narrow(1, shortlist_size + i, 1));
  }
  return cat(parts, 1);
}

Tensor AdaptiveLogSoftmaxWithLoss::predict(const Tensor& input) { return log_prob(input).argmax(1); }

}  // namespace ember::nn
