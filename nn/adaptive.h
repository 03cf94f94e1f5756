// nn::AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value, head_bias):
// PyTorch's efficient softmax for many classes (Grave et al.): a head over the frequent
// classes and one cluster per tail, each tail a projection down by div_value and up again.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "nn/container.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace ember::nn {

// PyTorch's _ASMoutput: each sample's log-probability of its target, and the mean of their
// negatives.
struct ASMOutput {
  Tensor output;
  Tensor loss;
};

class AdaptiveLogSoftmaxWithLoss : public Module {
 public:
  // cutoffs: unique, increasing, each in [1, n_classes - 1]; classes below the first are
  // the head's shortlist. Parameters "head.weight" (and "head.bias" with head_bias),
  // "tail.<i>.0.weight", "tail.<i>.1.weight", as PyTorch's.
  AdaptiveLogSoftmaxWithLoss(int64_t in_features, int64_t n_classes, const std::vector<int64_t>& cutoffs,
                             double div_value = 4.0, bool head_bias = false);
  // input [N, in_features] with target int64 [N], or [in_features] with a 0-dim target. A
  // tail runs only on the rows whose targets are in its cluster (finding them reads their
  // count back to the host, a sync on CUDA, as PyTorch's nonzero).
  ASMOutput forward(const Tensor& input, const Tensor& target);
  // An Error: the loss needs the target.
  Tensor forward(const Tensor& input) override;
  // Every class's log-probability: [N, n_classes] for input [N, in_features].
  Tensor log_prob(const Tensor& input);
  // The most likely class of each row: int64 [N].
  Tensor predict(const Tensor& input);

  const int64_t in_features, n_classes;
  const std::vector<int64_t> cutoffs;  // the given cutoffs, then n_classes
  const double div_value;
  const bool head_bias;
  const int64_t shortlist_size, n_clusters, head_size;
  std::shared_ptr<Linear> head;
  std::shared_ptr<ModuleList> tail;  // Sequential(Linear(in, hsz, false), Linear(hsz, osz, false)) each
};

}  // namespace ember::nn
