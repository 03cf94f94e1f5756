// torch.histogram: counts (or summed weights) of a tensor's elements in bins given by their
// number and range or by their edges, with PyTorch's checks and bin rule (each element in
// the bin whose edges hold it, found by binary search; the last bin closed). Made of
// tensor ops on detached inputs, so it runs on every device; not differentiable.
#include <cmath>
#include <optional>
#include <tuple>
#include <utility>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {
namespace {

void check_histogram_input(const Tensor& x, const Tensor& weight) {
  EMBER_CHECK(x.defined() && is_floating(x.dtype()), "\"histogram_cpu\" not implemented for '",
              x.defined() ? dtype_torch_name(x.dtype()) : "undefined", "'");
  if (!weight.defined()) return;
  EMBER_CHECK(weight.dtype() == x.dtype(),
              "torch.histogramdd: if weight tensor is provided, input tensor and weight tensor should have the same "
              "dtype, but got input(",
              dtype_torch_name(x.dtype()), "), and weight(", dtype_torch_name(weight.dtype()), ")");
  EMBER_CHECK(weight.numel() == x.numel(),
              "torch.histogramdd: if weight tensor is provided it should have the same shape as the input tensor "
              "excluding its innermost dimension, but got input with shape ",
              Dims{x.numel(), 1}.str(), " and weight with shape ", weight.sizes().str());
  native::check_same_device(x, {&weight}, "torch.histogram");
}

// hist over increasing `edges` (x's dtype): an element in [edges[0], edges[-1]] goes to the
// last edge at or below it (the top edge's to the last bin); NaN and the outside are left
// out. 16-bit inputs are counted in float32 and rounded once.
std::tuple<Tensor, Tensor> histogram_over(const Tensor& x_in, const Tensor& edges, const Tensor& weight_in,
                                          bool density) {
  NoGradGuard no_grad;
  const Tensor x = x_in.detach().reshape({-1});
  const int64_t bins = edges.numel() - 1;
  const DType count_dtype = compute_dtype(x.dtype());
  Tensor hist = zeros({bins}, TensorOptions(count_dtype).device(x.device()));
  if (bins > 0 && x.numel() > 0) {
    const Tensor inside = x.ge(edges.select(0, 0)).logical_and(x.le(edges.select(0, bins)));
    const Tensor bin = (searchsorted(edges, x, false, /*right=*/true) - 1).clamp(Scalar(0), Scalar(bins - 1));
    const Tensor weight = weight_in.defined() ? weight_in.detach().reshape({-1}).to(count_dtype)
                                              : ones({x.numel()}, TensorOptions(count_dtype).device(x.device()));
    hist = hist.scatter_add(0, bin, where(inside, weight, Scalar(0)));
  }
  if (density) hist = hist / hist.sum() / edges.to(count_dtype).diff();
  return {hist.to(x.dtype()), edges};
}

}  // namespace

std::tuple<Tensor, Tensor> histogram(const Tensor& x, int64_t bins, std::optional<std::pair<double, double>> range,
                                     const Tensor& weight, bool density) {
  check_histogram_input(x, weight);
  EMBER_CHECK(bins > 0, "torch.histogram(): bins must be > 0, but got ", bins, " for dimension 0");
  // PyTorch's select_outer_bin_edges: the range, else the data's, else numpy's [0, 1]
  double left = 0, right = 1;
  if (range) {
    std::tie(left, right) = *range;
  } else if (x.numel() > 0) {
    NoGradGuard no_grad;
    const auto [low, high] = aminmax(x.detach());
    left = low.item<double>();
    right = high.item<double>();
  }
  EMBER_CHECK(std::isfinite(left) && std::isfinite(right), "torch.histogramdd: dimension 0's range [", left, ", ",
              right, "] is not finite");
  EMBER_CHECK(left <= right, "torch.histogramdd: min should not exceed max, but got min ", left, " max ", right,
              " for dimension 0");
  if (left == right) {
    left -= 0.5;
    right += 0.5;
  }
  const Tensor edges = linspace(left, right, bins + 1, TensorOptions(x.dtype()).device(x.device()));
  return histogram_over(x, edges, weight, density);
}

std::tuple<Tensor, Tensor> histogram(const Tensor& x, const Tensor& bins, const Tensor& weight, bool density) {
  check_histogram_input(x, weight);
  EMBER_CHECK(bins.defined() && bins.dtype() == x.dtype(),
              "torch.histogramdd: input tensor and bins tensors should have the same dtype, but got input with dtype ",
              dtype_torch_name(x.dtype()), " and bins for dimension 0 with dtype ",
              bins.defined() ? dtype_torch_name(bins.dtype()) : "undefined");
  EMBER_CHECK(bins.dim() == 1, "torch.histogramdd: bins tensor should have one dimension, but got ", bins.dim(),
              " dimensions in the bins tensor for dimension 0");
  EMBER_CHECK(bins.numel() > 0, "torch.histogramdd: bins tensor should have at least 1 element, but got ", bins.numel(),
              " elements in the bins tensor for dimension 0");
  native::check_same_device(x, {&bins}, "torch.histogram");
  return histogram_over(x, bins.detach().contiguous().clone(), weight, density);
}

std::tuple<Tensor, Tensor> Tensor::histogram(int64_t bins, std::optional<std::pair<double, double>> range,
                                             const Tensor& weight, bool density) const {
  return ember::histogram(*this, bins, range, weight, density);
}
std::tuple<Tensor, Tensor> Tensor::histogram(const Tensor& bins, const Tensor& weight, bool density) const {
  return ember::histogram(*this, bins, weight, density);
}

}  // namespace ember
