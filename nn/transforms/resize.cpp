// Resize, RandomResizedCrop and the functional resize / crop / resized_crop (resize.h;
// Note [Random resized crop in a batch]).
#include "nn/transforms/resize.h"

#include <cmath>

#include "core/error.h"
#include "core/factories.h"
#include "core/ops.h"
#include "nn/functional/interpolate.h"
#include "nn/functional/resample_taps.h"
#include "nn/repr.h"
#include "nn/transforms/image_batch.h"

namespace ember::transforms {

namespace {

namespace resample = nn::functional::detail;

constexpr int64_t kResizedCropTries = 10;

// fn on the images in float32 or float64, as torchvision's resize: bfloat16 through float32
// (so the resampling weights keep float32 precision), integer images rounded back (uint8 ones
// clamped to [0, 255] first: bicubic overshoots), bool images true where the result is not
// zero (torchvision's .to(bool)).
template <typename Fn>
Tensor in_floating(const Tensor& batch, Fn&& fn) {
  const DType dtype = batch.dtype();
  if (dtype == kFloat32 || dtype == kFloat64) return fn(batch);
  Tensor out = fn(batch.to(kFloat32));
  if (is_reduced_float(dtype)) return out.to(dtype);
  if (dtype == kBool) return ne(out, 0.0);
  if (dtype == kUInt8) out = clamp(out, 0.0, 255.0);
  return round(out).to(dtype);
}

// torchvision's _compute_resized_output_size: (h, w) after resizing an h x w image.
std::pair<int64_t, int64_t> resized_size(int64_t h, int64_t w, const IntOrList& size, std::optional<int64_t> max_size) {
  if (size.values.size() == 2) return {size.values[0], size.values[1]};
  const int64_t shorter = std::min(h, w), longer = std::max(h, w);
  int64_t new_short = size.values[0];
  auto new_long = static_cast<int64_t>(static_cast<double>(new_short) * static_cast<double>(longer) /
                                       static_cast<double>(shorter));
  if (max_size && new_long > *max_size) {
    new_short = static_cast<int64_t>(static_cast<double>(*max_size) * static_cast<double>(new_short) /
                                     static_cast<double>(new_long));
    new_long = *max_size;
  }
  return w <= h ? std::pair{new_long, new_short} : std::pair{new_short, new_long};
}

void check_resize_args(const IntOrList& size, std::optional<int64_t> max_size) {
  EMBER_CHECK(size.values.size() == 1 || size.values.size() == 2,
              "If size is a sequence, it should have 1 or 2 values (got ", size.values.size(), ")");
  for (int64_t s : size.values) EMBER_CHECK(s > 0, "Resize: size should be positive, but got ", size.repr());
  if (!max_size) return;
  EMBER_CHECK(size.values.size() == 1,
              "max_size should only be passed if size specifies the length of the smaller edge, i.e. size should be "
              "an int or a sequence of length 1 in torchscript mode.");
  EMBER_CHECK(*max_size > size.values[0], "max_size = ", *max_size,
              " must be strictly greater than the requested size for the smaller edge size = ", size.repr());
}

resample::ResampleKind resample_kind(InterpolationMode interpolation, bool antialias) {
  using Kind = resample::ResampleKind;
  switch (interpolation) {
    case InterpolationMode::NEAREST: return Kind::Nearest;
    case InterpolationMode::NEAREST_EXACT: return Kind::NearestExact;
    case InterpolationMode::BILINEAR: return antialias ? Kind::AntialiasedLinear : Kind::Linear;
    case InterpolationMode::BICUBIC: return antialias ? Kind::AntialiasedCubic : Kind::Cubic;
  }
  return Kind::Nearest;
}

// The interpolating modes (antialias and align_corners apply to them only).
bool interpolating(InterpolationMode interpolation) {
  return interpolation == InterpolationMode::BILINEAR || interpolation == InterpolationMode::BICUBIC;
}

std::string python_bool(bool b) { return b ? "True" : "False"; }

}  // namespace

namespace functional {

Tensor resize(const Tensor& images, const IntOrList& size, InterpolationMode interpolation,
              std::optional<int64_t> max_size, bool antialias) {
  check_resize_args(size, max_size);
  const Tensor batch = detail::as_batch(images, "Resize");
  const auto [height, width] = resized_size(batch.size(2), batch.size(3), size, max_size);
  if (height == batch.size(2) && width == batch.size(3)) return images;
  const bool smooth = interpolating(interpolation);
  const Tensor out = in_floating(batch, [&](const Tensor& x) {
    return nn::functional::interpolate(x, {height, width}, {}, std::string(interpolation_name(interpolation)),
                                       smooth ? std::optional<bool>(false) : std::nullopt, std::nullopt,
                                       smooth && antialias);
  });
  return detail::like_input(out, images);
}

Tensor crop(const Tensor& images, int64_t top, int64_t left, int64_t height, int64_t width) {
  EMBER_CHECK(height > 0 && width > 0, "crop: expected a positive height and width, but got (", height, ", ", width,
              ")");
  Tensor batch = detail::as_batch(images, "crop");
  const int64_t h = batch.size(2), w = batch.size(3);
  const int64_t pad_left = std::max<int64_t>(-left, 0), pad_top = std::max<int64_t>(-top, 0);
  const int64_t pad_right = std::max<int64_t>(left + width - w, 0), pad_bottom = std::max<int64_t>(top + height - h, 0);
  if (pad_left || pad_top || pad_right || pad_bottom)
    batch = detail::pad_batch(batch, {pad_left, pad_right, pad_top, pad_bottom}, 0.0, "constant");
  return detail::like_input(batch.narrow(2, top + pad_top, height).narrow(3, left + pad_left, width), images);
}

Tensor resized_crop(const Tensor& images, int64_t top, int64_t left, int64_t height, int64_t width,
                    const IntOrList& size, InterpolationMode interpolation, bool antialias) {
  return resize(crop(images, top, left, height, width), size, interpolation, std::nullopt, antialias);
}

}  // namespace functional

Resize::Resize(IntOrList size, InterpolationMode interpolation, std::optional<int64_t> max_size, bool antialias)
    : size_(std::move(size)), interpolation_(interpolation), max_size_(max_size), antialias_(antialias) {
  check_resize_args(size_, max_size_);
}

Tensor Resize::operator()(const Tensor& images) const {
  return functional::resize(images, size_, interpolation_, max_size_, antialias_);
}

std::string Resize::repr() const {
  return "Resize(size=" + size_.repr() + ", interpolation=" + std::string(interpolation_name(interpolation_)) +
         ", max_size=" + (max_size_ ? std::to_string(*max_size_) : "None") + ", antialias=" + python_bool(antialias_) +
         ")";
}

RandomResizedCrop::RandomResizedCrop(IntOrList size, std::pair<double, double> scale, std::pair<double, double> ratio,
                                     InterpolationMode interpolation, bool antialias)
    : scale_(scale), ratio_(ratio), interpolation_(interpolation), antialias_(antialias) {
  std::tie(height_, width_) = detail::setup_size(size, "Please provide only two dimensions (h, w) for size.");
  EMBER_CHECK(height_ > 0 && width_ > 0, "RandomResizedCrop: size should be positive, but got ",
              nn::detail::python_tuple(std::vector<int64_t>{height_, width_}));
  EMBER_CHECK(scale.first <= scale.second && ratio.first <= ratio.second,
              "RandomResizedCrop: Scale and ratio should be of kind (min, max), but got scale (", scale.first, ", ",
              scale.second, ") and ratio (", ratio.first, ", ", ratio.second, ")");
  EMBER_CHECK(scale.first >= 0 && std::isfinite(scale.second), "RandomResizedCrop: scale should be a finite (min, ",
              "max) range of area fractions >= 0, but got (", scale.first, ", ", scale.second, ")");
  EMBER_CHECK(ratio.first > 0 && std::isfinite(ratio.second), "RandomResizedCrop: ratio should be a finite (min, ",
              "max) range of positive aspect ratios, but got (", ratio.first, ", ", ratio.second, ")");
}

Tensor RandomResizedCrop::operator()(const Tensor& images) const {
  const Tensor batch = detail::as_batch(images, "RandomResizedCrop");
  const int64_t n = batch.size(0), h = batch.size(2), w = batch.size(3);
  EMBER_CHECK(h > 0 && w > 0, "RandomResizedCrop: expected images of positive height and width, but got ",
              batch.sizes());
  const Device device = batch.device();
  const TensorOptions f64 = TensorOptions(kFloat64).device(device);
  // the tries [n, 10], the first that fits, and whether any did
  const double area = static_cast<double>(h * w);
  const Tensor target_area =
      rand({n, kResizedCropTries}, f64) * (area * (scale_.second - scale_.first)) + area * scale_.first;
  const double log_lo = std::log(ratio_.first), log_hi = std::log(ratio_.second);
  const Tensor aspect = exp(rand({n, kResizedCropTries}, f64) * (log_hi - log_lo) + log_lo);
  const Tensor box_w = round(sqrt(target_area * aspect)), box_h = round(sqrt(target_area / aspect));
  const Tensor fits = gt(box_w, 0.0) & le(box_w, static_cast<double>(w)) & gt(box_h, 0.0) &
                      le(box_h, static_cast<double>(h));
  const Tensor try_index = arange(kResizedCropTries, TensorOptions(kInt64).device(device)).view({1, -1});
  const Tensor first = where(fits, try_index, kResizedCropTries).amin({1}, /*keepdim=*/true);
  const Tensor found = lt(first, kResizedCropTries).view({n});
  const Tensor chosen = clamp(first, std::nullopt, kResizedCropTries - 1);
  // where no try fits, the chosen size may not: counts kept >= 1, the fallback used instead
  const Tensor try_h = gather(box_h, 1, chosen).view({n}), try_w = gather(box_w, 1, chosen).view({n});
  const Tensor try_top = detail::randint_below(clamp(h - try_h + 1.0, 1.0, std::nullopt)).to(kFloat64);
  const Tensor try_left = detail::randint_below(clamp(w - try_w + 1.0, 1.0, std::nullopt)).to(kFloat64);
  // the fallback: the central crop of the largest box with an aspect within ratio
  const double in_ratio = static_cast<double>(w) / static_cast<double>(h);
  int64_t fallback_h = h, fallback_w = w;
  if (in_ratio < std::min(ratio_.first, ratio_.second))
    fallback_h = static_cast<int64_t>(std::nearbyint(static_cast<double>(w) / std::min(ratio_.first, ratio_.second)));
  else if (in_ratio > std::max(ratio_.first, ratio_.second))
    fallback_w = static_cast<int64_t>(std::nearbyint(static_cast<double>(h) * std::max(ratio_.first, ratio_.second)));
  EMBER_CHECK(fallback_h > 0 && fallback_w > 0, "RandomResizedCrop: ratio (", ratio_.first, ", ", ratio_.second,
              ") has no box of a whole pixel in ", h, " x ", w, " images (the central crop would be ", fallback_h,
              " x ", fallback_w, "); Input and output sizes should be greater than 0");
  const auto pick = [&](const Tensor& drawn, int64_t fallback) { return where(found, drawn, double(fallback)); };
  const Tensor top = pick(try_top, (h - fallback_h) / 2), left = pick(try_left, (w - fallback_w) / 2);
  const Tensor crop_h = pick(try_h, fallback_h), crop_w = pick(try_w, fallback_w);
  const resample::ResampleKind kind = resample_kind(interpolation_, antialias_);
  const Tensor out = in_floating(batch, [&](const Tensor& x) {
    // columns first, as interpolate; a box is at most the image, so its scale at most in / out
    const Tensor narrow = resample::resample_along(
        x, 3, resample::resample_taps(kind, left, crop_w, crop_w / static_cast<double>(width_),
                                      static_cast<double>(w) / static_cast<double>(width_), w, width_, x.dtype()));
    return resample::resample_along(
        narrow, 2, resample::resample_taps(kind, top, crop_h, crop_h / static_cast<double>(height_),
                                           static_cast<double>(h) / static_cast<double>(height_), h, height_,
                                           x.dtype()));
  });
  return detail::like_input(out, images);
}

std::string RandomResizedCrop::repr() const {
  const auto rounded = [](double v) { return std::nearbyint(v * 1e4) / 1e4; };
  return "RandomResizedCrop(size=" + nn::detail::python_tuple(std::vector<int64_t>{height_, width_}) +
         ", scale=" + nn::detail::python_tuple(std::vector<double>{rounded(scale_.first), rounded(scale_.second)}) +
         ", ratio=" + nn::detail::python_tuple(std::vector<double>{rounded(ratio_.first), rounded(ratio_.second)}) +
         ", interpolation=" + std::string(interpolation_name(interpolation_)) +
         ", antialias=" + python_bool(antialias_) + ")";
}

}  // namespace ember::transforms
