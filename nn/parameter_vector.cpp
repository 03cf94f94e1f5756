// parameters_to_vector / vector_to_parameters with PyTorch's device check.
#include "nn/parameter_vector.h"

#include <optional>

#include "core/error.h"
#include "core/grad_mode.h"
#include "core/ops.h"

namespace ember::nn::utils {
namespace {

// PyTorch's _check_param_device: every parameter on the first one's device.
void check_same_device(const std::vector<Tensor>& parameters) {
  std::optional<Device> first;
  for (const Tensor& p : parameters) {
    EMBER_CHECK(p.defined(), "expected defined parameters, got an undefined tensor");
    if (!first) first = p.device();
    EMBER_CHECK(p.device() == *first, "Found two parameters on different devices, this is currently not supported. (",
                *first, " and ", p.device(), ")");
  }
}

}  // namespace

Tensor parameters_to_vector(const std::vector<Tensor>& parameters) {
  check_same_device(parameters);
  EMBER_CHECK(!parameters.empty(), "parameters_to_vector: expected a non-empty list of parameters");
  std::vector<Tensor> flat;
  flat.reserve(parameters.size());
  for (const Tensor& p : parameters) flat.push_back(p.reshape({-1}));
  return cat(flat, 0);
}

void vector_to_parameters(const Tensor& vec, const std::vector<Tensor>& parameters) {
  EMBER_CHECK(vec.defined(), "expected torch.Tensor, but got: an undefined tensor");
  EMBER_CHECK(vec.dim() == 1, "vector_to_parameters: expected a 1-D vector, got shape ", vec.sizes());
  check_same_device(parameters);
  int64_t total = 0;
  for (const Tensor& p : parameters) total += p.numel();
  EMBER_CHECK(vec.numel() == total, "vector_to_parameters: expected a vector of ", total,
              " elements (the parameters' numel together), got ", vec.numel());
  NoGradGuard no_grad;
  int64_t offset = 0;
  for (const Tensor& p : parameters) {
    EMBER_CHECK(vec.device() == p.device() && vec.dtype() == p.dtype(), "vector_to_parameters: expected a vector of ",
                dtype_name(p.dtype()), " on ", p.device(), " (the parameters'), got ", dtype_name(vec.dtype()), " on ",
                vec.device());
    p.set_data(vec.narrow(0, offset, p.numel()).view(p.sizes()).detach());
    offset += p.numel();
  }
}

}  // namespace ember::nn::utils
