// Helpers shared by the transforms: batch shapes, per-sample draws, torchvision's
// argument checks, padding modes and repr pieces (image_batch.h).
#include "nn/transforms/image_batch.h"

#include <cmath>

#include "core/error.h"
#include "core/factories.h"
#include "core/ops.h"
#include "nn/functional/pad.h"
#include "nn/repr.h"

namespace ember::transforms::detail {

Tensor as_batch(const Tensor& images, const char* transform) {
  EMBER_CHECK(images.defined(), transform, ": expected a tensor of images, but got an undefined tensor");
  EMBER_CHECK(images.dim() >= 2, "Tensor is not a torch image. ", transform,
              " expects a batch [B, C, H, W] or an image [C, H, W] or [H, W], but got a ", images.dim(),
              "-D tensor of shape ", images.sizes());
  EMBER_CHECK(images.dim() <= 4, transform, " expects a batch [B, C, H, W] or an image [C, H, W] or [H, W], but got a ",
              images.dim(), "-D tensor of shape ", images.sizes());
  if (images.dim() == 4) return images;
  if (images.dim() == 3) return images.unsqueeze(0);
  return images.unsqueeze(0).unsqueeze(0);
}

Tensor like_input(const Tensor& batch, const Tensor& images) {
  if (images.dim() == 4) return batch;
  if (images.dim() == 3) return batch.select(0, 0);
  return batch.select(0, 0).select(0, 0);
}

void check_range(double lo, double hi) {
  EMBER_CHECK(lo <= hi, "uniform_ expects to return a [from, to) range, but found from=", lo, " > to=", hi,
              " (a (min, max) pair given as (max, min))");
}

Tensor uniform(int64_t n, double lo, double hi, Device device) {
  check_range(lo, hi);
  const Tensor u = rand({n}, TensorOptions(kFloat64).device(device));
  return u * (hi - lo) + lo;
}

Tensor coin(int64_t n, double p, Device device) { return lt(rand({n}, TensorOptions(kFloat64).device(device)), p); }

Tensor randint_below(const Tensor& high) {
  const Tensor u = rand(high.sizes(), TensorOptions(kFloat64).device(high.device()));
  // floor(u * high) < high for u < 1 in exact arithmetic; the clamp keeps a rounded-up
  // product inside the range.
  return minimum(floor(u * high), high - 1.0).to(kInt64);
}

void check_probability(double p, const char* message) { EMBER_CHECK(p >= 0.0 && p <= 1.0, message, ", but got p=", p); }

std::pair<int64_t, int64_t> setup_size(const IntOrList& size, const char* message) {
  if (size.is_number) return {size.values[0], size.values[0]};
  EMBER_CHECK(size.values.size() == 1 || size.values.size() == 2, message, " (got a sequence of ", size.values.size(),
              " values)");
  if (size.values.size() == 1) return {size.values[0], size.values[0]};
  return {size.values[0], size.values[1]};
}

std::vector<int64_t> parse_padding(const IntOrList& padding) {
  const auto& p = padding.values;
  EMBER_CHECK(padding.is_number || p.size() == 1 || p.size() == 2 || p.size() == 4,
              "Padding must be an int or a 1, 2, or 4 element tuple, not a ", p.size(), " element tuple");
  if (p.size() == 1) return {p[0], p[0], p[0], p[0]};
  if (p.size() == 2) return {p[0], p[0], p[1], p[1]};
  return {p[0], p[2], p[1], p[3]};
}

void check_padding_mode(const std::string& mode) {
  EMBER_CHECK(mode == "constant" || mode == "edge" || mode == "reflect" || mode == "symmetric",
              "Padding mode should be either constant, edge, reflect or symmetric, but got '", mode, "'");
}

namespace {

// torchvision's _pad_symmetric along one dim: the edge repeated, then mirrored
// (indices before, before-1, ..., 0 | 0 ... n-1 | n-1, ..., n-after), after cropping
// negative pads; each pad at most the (cropped) size, as torchvision's indexing allows.
Tensor pad_symmetric_dim(const Tensor& x, int64_t dim, int64_t before, int64_t after) {
  Tensor cropped = x;
  const int64_t crop_before = std::max<int64_t>(-before, 0), crop_after = std::max<int64_t>(-after, 0);
  if (crop_before || crop_after) {
    EMBER_CHECK(crop_before + crop_after <= x.size(dim), "Pad: negative padding (", before, ", ", after,
                ") crops more than the input's size ", x.size(dim));
    cropped = x.narrow(dim, crop_before, x.size(dim) - crop_before - crop_after);
  }
  before = std::max<int64_t>(before, 0);
  after = std::max<int64_t>(after, 0);
  if (!before && !after) return cropped;
  const int64_t n = cropped.size(dim);
  EMBER_CHECK(before <= n && after <= n, "Pad: symmetric padding (", before, ", ", after,
              ") should be at most the corresponding input dimension ", n);
  std::vector<int64_t> index;
  index.reserve(static_cast<size_t>(before + n + after));
  for (int64_t i = before - 1; i >= 0; --i) index.push_back(i);
  for (int64_t i = 0; i < n; ++i) index.push_back(i);
  for (int64_t i = 0; i < after; ++i) index.push_back(n - 1 - i);
  const Tensor idx = tensor(index, {static_cast<int64_t>(index.size())}, TensorOptions(kInt64).device(x.device()));
  return index_select(cropped, dim, idx);
}

}  // namespace

Tensor pad_batch(const Tensor& batch, const std::vector<int64_t>& lrtb, double fill, const std::string& mode) {
  check_padding_mode(mode);
  if (mode == "symmetric") return pad_symmetric_dim(pad_symmetric_dim(batch, 3, lrtb[0], lrtb[1]), 2, lrtb[2], lrtb[3]);
  if (mode == "constant") return nn::functional::pad(batch, lrtb, "constant", fill);
  return nn::functional::pad(batch, lrtb, mode == "edge" ? "replicate" : "reflect");
}

std::string python_float_list(const std::vector<double>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + nn::detail::python_float(values[i]);
  return s + "]";
}

std::string python_number(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::abs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  return nn::detail::python_float(v);
}

}  // namespace ember::transforms::detail
