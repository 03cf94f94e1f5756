// torch.nn.utils.clip_grad_norm_ (and its halves get_total_norm, clip_grads_with_norm_) /
// clip_grad_value_: scale or clamp the .grad of parameters in place, on their own devices,
// with no host synchronisation (so a captured training step may include them) unless
// error_if_nonfinite asks for one.
#pragma once
#include <optional>
#include <vector>

#include "core/tensor.h"

namespace ember::nn::utils {

// The norm of order norm_type (2, 1, any p, inf, -inf or 0, as torch.linalg.vector_norm)
// of all the gradients together; when it exceeds max_norm every gradient is multiplied
// by max_norm / (norm + 1e-6). Returns the total norm (a 0-dim tensor on the first
// gradient's device; 0 on the CPU when no parameter has a gradient). Parameters without
// a gradient are skipped. error_if_nonfinite: a NaN or infinite norm is an error
// (reading it synchronises with the device), else the gradients are scaled by it.
Tensor clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false, std::optional<bool> foreach = std::nullopt);
Tensor clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false, std::optional<bool> foreach = std::nullopt);

// PyTorch 2.6's two halves of clip_grad_norm_: get_total_norm is the norm of order norm_type
// of the given tensors together (any tensors: pass the gradients; undefined ones are skipped,
// none gives a CPU 0), error_if_nonfinite as above; clip_grads_with_norm_ multiplies every
// gradient of `parameters` by min(max_norm / (total_norm + 1e-6), 1), total_norm a 0-dim
// tensor (a norm computed before, e.g. across processes), with no host synchronisation.
Tensor get_total_norm(const std::vector<Tensor>& tensors, double norm_type = 2.0, bool error_if_nonfinite = false, std::optional<bool> foreach = std::nullopt);
Tensor get_total_norm(const Tensor& tensor, double norm_type = 2.0, bool error_if_nonfinite = false, std::optional<bool> foreach = std::nullopt);
void clip_grads_with_norm_(const std::vector<Tensor>& parameters, double max_norm, const Tensor& total_norm,
                           std::optional<bool> foreach = std::nullopt);
void clip_grads_with_norm_(const Tensor& parameter, double max_norm, const Tensor& total_norm,
                           std::optional<bool> foreach = std::nullopt);

// Clamps every gradient into [-clip_value, clip_value] (clip_value >= 0).
// foreach (each function): PyTorch's choice of its per-tensor or grouped kernels, taken and
// ignored (ember's results are the same either way).
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value, std::optional<bool> foreach = std::nullopt);
void clip_grad_value_(const Tensor& parameter, double clip_value, std::optional<bool> foreach = std::nullopt);

}  // namespace ember::nn::utils
