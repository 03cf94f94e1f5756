// Normalize and RandomErasing (normalize_erasing.h; Note [Random erasing in a batch]).
#include "nn/transforms/normalize_erasing.h"

#include <cmath>

#include "core/error.h"
#include "core/factories.h"
#include "core/logging.h"
#include "core/ops.h"
#include "nn/repr.h"
#include "nn/transforms/image_batch.h"

namespace ember::transforms {

namespace {

constexpr int64_t kErasingTries = 10;

// values as a [n, 1, 1] tensor of dtype on the CPU (for the host checks), then on device.
Tensor channel_values(const std::vector<double>& values, DType dtype) {
  return tensor(values, {static_cast<int64_t>(values.size()), 1, 1}, TensorOptions(kFloat64)).to(dtype);
}

void check_channels(size_t n, int64_t channels, int64_t images_dim, const char* what) {
  EMBER_CHECK(n == 1 || static_cast<int64_t>(n) == channels, "Normalize: The size of tensor a (", channels,
              ") must match the size of tensor b (", n, ") at non-singleton dimension ", images_dim - 3, ": ", what,
              " has ", n, " values for images of ", channels, " channels");
}

}  // namespace

Normalize::Normalize(std::vector<double> mean, std::vector<double> std) : mean_(std::move(mean)), std_(std::move(std)) {
  EMBER_CHECK(!mean_.empty() && !std_.empty(), "Normalize: mean and std should have at least one value, but got ",
              mean_.size(), " and ", std_.size());
}

Tensor Normalize::operator()(const Tensor& images) const {
  EMBER_CHECK(images.defined(), "Normalize: expected a tensor of images, but got an undefined tensor");
  EMBER_CHECK(is_floating(images.dtype()), "Input tensor should be a float tensor. Got ", dtype_name(images.dtype()),
              ".");
  EMBER_CHECK(images.dim() >= 3,
              "Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = ", images.sizes());
  const int64_t channels = images.size(-3);
  check_channels(mean_.size(), channels, images.dim(), "mean");
  check_channels(std_.size(), channels, images.dim(), "std");
  const Tensor std_host = channel_values(std_, images.dtype());
  for (double s : std_host.to_vector<double>())
    EMBER_CHECK(s != 0.0, "std evaluated to zero after conversion to ", dtype_name(images.dtype()),
                ", leading to division by zero.");
  const Tensor mean = channel_values(mean_, images.dtype()).to(images.device());
  return (images - mean) / std_host.to(images.device());
}

std::string Normalize::repr() const {
  return "Normalize(mean=" + detail::python_float_list(mean_) + ", std=" + detail::python_float_list(std_) + ")";
}

ErasingValue::ErasingValue(const std::string& text) : is_random(true) {
  EMBER_CHECK(text == "random", "If value is str, it should be 'random', but got '", text, "'");
}

RandomErasing::RandomErasing(double p, std::pair<double, double> scale, std::pair<double, double> ratio,
                             ErasingValue value)
    : p_(p), scale_(scale), ratio_(ratio), value_(std::move(value)) {
  if (scale.first > scale.second || ratio.first > ratio.second)
    logging::warn("Scale and ratio should be of kind (min, max)");
  EMBER_CHECK(scale.first >= 0 && scale.second <= 1, "Scale should be between 0 and 1, but got (", scale.first, ", ",
              scale.second, ")");
  EMBER_CHECK(ratio.first > 0 && ratio.second > 0, "RandomErasing: ratio should be positive, but got (", ratio.first,
              ", ", ratio.second, ")");
  detail::check_probability(p, "Random erasing probability should be between 0 and 1");
  EMBER_CHECK(!value_.is_list || !value_.values.empty(), "RandomErasing: value should not be an empty sequence");
}

Tensor RandomErasing::operator()(const Tensor& images) const {
  const Tensor batch = detail::as_batch(images, "RandomErasing");
  const int64_t n = batch.size(0), channels = batch.size(1), height = batch.size(2), width = batch.size(3);
  if (value_.is_list) {
    EMBER_CHECK(value_.values.size() == 1 || static_cast<int64_t>(value_.values.size()) == channels,
                "If value is a sequence, it should have either a single value or ", channels,
                " (number of input channels), but got ", value_.values.size());
  }
  const Device device = batch.device();
  const TensorOptions f64 = TensorOptions(kFloat64).device(device);
  if (p_ > 0) {  // torchvision draws both with uniform_ once a coin comes up
    detail::check_range(scale_.first, scale_.second);
    detail::check_range(ratio_.first, ratio_.second);
  }
  const Tensor apply = detail::coin(n, p_, device);
  // the tries: sizes [n, 10], the first that fits, and whether any did
  const double area = static_cast<double>(height * width);
  const Tensor erase_area =
      rand({n, kErasingTries}, f64) * (area * (scale_.second - scale_.first)) + area * scale_.first;
  const double log_lo = std::log(ratio_.first), log_hi = std::log(ratio_.second);
  const Tensor aspect = exp(rand({n, kErasingTries}, f64) * (log_hi - log_lo) + log_lo);
  const Tensor h = round(sqrt(erase_area * aspect)), w = round(sqrt(erase_area / aspect));
  const Tensor fits = lt(h, static_cast<double>(height)) & lt(w, static_cast<double>(width));
  const Tensor try_index = arange(kErasingTries, TensorOptions(kInt64).device(device)).view({1, kErasingTries});
  const Tensor first = where(fits, try_index, kErasingTries).amin({1}, /*keepdim=*/true);  // 10: none fits
  const Tensor found = lt(first, kErasingTries).view({n});
  const Tensor chosen = clamp(first, std::nullopt, kErasingTries - 1);
  const Tensor eh = gather(h, 1, chosen).view({n}), ew = gather(w, 1, chosen).view({n});
  // where no try fits, eh/ew may exceed the image: the count is kept >= 1 and the mask off
  const Tensor top = detail::randint_below(clamp(height - eh + 1.0, 1.0, std::nullopt)).to(kFloat64);
  const Tensor left = detail::randint_below(clamp(width - ew + 1.0, 1.0, std::nullopt)).to(kFloat64);
  const Tensor rows = arange(height, f64).view({1, 1, height, 1}), cols = arange(width, f64).view({1, 1, 1, width});
  const auto per_sample = [n](const Tensor& t) { return t.view({n, 1, 1, 1}); };
  const Tensor in_rows = ge(rows, per_sample(top)) & lt(rows, per_sample(top + eh));
  const Tensor in_cols = ge(cols, per_sample(left)) & lt(cols, per_sample(left + ew));
  const Tensor mask = in_rows & in_cols & per_sample(apply & found);
  Tensor out;
  if (value_.is_random) {
    const Tensor noise = is_floating(batch.dtype()) ? randn(batch.sizes(), batch.options().requires_grad(false))
                                                    : randn(batch.sizes(), f64.dtype(kFloat32)).to(batch.dtype());
    out = where(mask, noise, batch);
  } else if (value_.is_list) {
    const Tensor value = channel_values(value_.values, batch.dtype()).to(device).unsqueeze(0);
    out = where(mask, value, batch);
  } else {
    // in the image's dtype: a number alone would make a uint8 image float32
    out = where(mask, channel_values({value_.values[0]}, batch.dtype()).to(device), batch);
  }
  return detail::like_input(out, images);
}

std::string RandomErasing::repr() const {
  std::string value;
  if (value_.is_random)
    value = "random";
  else if (value_.is_list)
    value = NumberOrList(value_.values).repr();
  else
    value = detail::python_number(value_.values[0]);
  return "RandomErasing(p=" + nn::detail::python_float(p_) +
         ", scale=" + nn::detail::python_tuple(std::vector<double>{scale_.first, scale_.second}) +
         ", ratio=" + nn::detail::python_tuple(std::vector<double>{ratio_.first, ratio_.second}) + ", value=" + value +
         ", inplace=False)";
}

}  // namespace ember::transforms
