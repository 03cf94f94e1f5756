// nn::NormBase (PyTorch's _NormBase), what BatchNorm and InstanceNorm share: the weight and
// bias when affine, the running statistics and num_batches_tracked when tracked (with
// PyTorch's state_dict names; a checkpoint may lack num_batches_tracked), and their repr
// "C, eps=.., momentum=.., affine=.., ...".
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "nn/module.h"

namespace ember::nn {

class NormBase : public Module {
 public:
  const int64_t num_features;
  Tensor& weight;               // [C], ones; undefined unless affine
  Tensor& bias;                 // [C], zeros; undefined unless affine
  Tensor& running_mean;         // [C], zeros; undefined unless track_running_stats
  Tensor& running_var;          // [C], ones
  Tensor& num_batches_tracked;  // int64 scalar

  // A state dict without num_batches_tracked (older PyTorch, converted checkpoints) loads
  // when the statistics are tracked; the counter keeps its value (PyTorch 2's
  // _load_from_state_dict; 1.13 resets it to 0).
  std::vector<std::string> optional_state_keys() const override;
  // PyTorch's _NormBase: running_mean zeros, running_var ones, num_batches_tracked 0 (when
  // tracked); reset_parameters also sets weight ones and bias zeros (when affine).
  void reset_running_stats();
  void reset_parameters();

 protected:
  NormBase(std::string type_name, int64_t num_features, bool affine, bool track_running_stats);
  // extra_repr's text; momentum nullopt prints as None.
  std::string norm_repr(double eps, std::optional<double> momentum, bool affine, bool track_running_stats) const;
};

}  // namespace ember::nn
