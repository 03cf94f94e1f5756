// nn::SyncBatchNorm: batch norm whose training statistics are those of the whole
// data-parallel batch (every rank's share), like torch.nn.SyncBatchNorm; eval mode, and
// a job of one process, are plain BatchNorm (Note [Synchronised batch statistics]).
#pragma once
#include <memory>
#include <optional>

#include "nn/batchnorm.h"

namespace ember::nn {

// Note [Synchronised batch statistics]
// In training, each rank computes per channel its sum of values, its sum of squared
// deviations from its own mean (a second pass over x - mean, so float32 activations with
// a large mean keep their variance) plus its count times its mean squared, and its count,
// packed in float64 [Σ x (C), M2 + n mean^2 (C), n (1)]; one all_reduce sums that over
// the process group: mean = Σ x / N and biased variance = Σ (M2 + n mean^2) / N - mean^2
// (float64, clamped at 0) normalise the local input, and the running statistics are
// updated with the unbiased variance (N / (N - 1)), so every rank keeps the same running
// statistics. Backward packs [sum dy (C), sum dy * (x - mean) (C)] and all-reduces it once
// (only when the input needs a gradient, as in PyTorch); the input gradient then uses the
// global sums, the weight and bias gradients are this rank's own sums, which
// DistributedDataParallel averages like any other gradient. Cost per layer and step: two
// all-reduces of (2C + 1) float64 and 2C input-dtype elements (both on the current stream
// for CUDA tensors, no host synchronisation) and two more passes over the input than
// BatchNorm. Ranks may hold different batch sizes (an empty share contributes zeros).
// Eval mode uses the running statistics and communicates nothing. Without a process
// group, or with world size 1, the module is exactly BatchNorm (PyTorch falls back the
// same way); functional::sync_batch_norm always takes the synchronised path (it is
// what gradcheck checks on one process).

class SyncBatchNorm : public BatchNormBase {
 public:
  explicit SyncBatchNorm(int64_t num_features, BatchNormOptions options = {});
  Tensor forward(const Tensor& input) override;

  // Returns `module` with every BatchNorm1d / BatchNorm2d of its tree replaced by a
  // SyncBatchNorm that holds the very same parameter and buffer tensors (an optimizer
  // built before keeps working) and training flag; a BatchNorm passed itself comes back
  // as a new SyncBatchNorm. Like PyTorch, convert before wrapping in DistributedDataParallel.
  static std::shared_ptr<Module> convert_sync_batchnorm(const std::shared_ptr<Module>& module);

 protected:
  void check_input(const Tensor& input) const override;  // at least 2D: [N, C, ...]
};

namespace functional {
// Training-mode batch norm with statistics over the process group's whole batch (Note
// [Synchronised batch statistics]); the local statistics without a group of several.
// running_mean / running_var (may be undefined) are updated with `momentum`, or the
// cumulative average 1 / num_batches_tracked when momentum is nullopt.
Tensor sync_batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                       const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                       std::optional<double> momentum = 0.1, double eps = 1e-5,
                       const Tensor& num_batches_tracked = Tensor());
}  // namespace functional

}  // namespace ember::nn
