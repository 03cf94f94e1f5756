// Pad, CenterCrop, RandomCrop and the random flips (pad_crop_flip.h).
#include "nn/transforms/pad_crop_flip.h"

#include <cmath>

#include "core/error.h"
#include "core/factories.h"
#include "core/ops.h"
#include "nn/repr.h"
#include "nn/transforms/image_batch.h"

namespace ember::transforms {

namespace {

std::string size_tuple(int64_t h, int64_t w) { return nn::detail::python_tuple(std::vector<int64_t>{h, w}); }

constexpr const char* kSizeMessage = "Please provide only two dimensions (h, w) for size.";

// Each sample of a batch flipped along `dim` where a draw is below p.
Tensor random_flip(const Tensor& images, double p, int64_t dim, const char* name) {
  const Tensor batch = detail::as_batch(images, name);
  const Tensor flip_mask = detail::coin(batch.size(0), p, batch.device()).view({batch.size(0), 1, 1, 1});
  return detail::like_input(where(flip_mask, batch.flip({dim}), batch), images);
}

}  // namespace

Pad::Pad(IntOrList padding, double fill, std::string padding_mode)
    : padding_(std::move(padding)), fill_(fill), mode_(std::move(padding_mode)) {
  detail::check_padding_mode(mode_);
  lrtb_ = detail::parse_padding(padding_);
}

Tensor Pad::operator()(const Tensor& images) const {
  return detail::like_input(detail::pad_batch(detail::as_batch(images, "Pad"), lrtb_, fill_, mode_), images);
}

std::string Pad::repr() const {
  return "Pad(padding=" + padding_.repr() + ", fill=" + detail::python_number(fill_) + ", padding_mode=" + mode_ + ")";
}

CenterCrop::CenterCrop(IntOrList size) : size_arg_(std::move(size)) {
  std::tie(height_, width_) = detail::setup_size(size_arg_, kSizeMessage);
  EMBER_CHECK(height_ >= 0 && width_ >= 0, "CenterCrop: size should be non-negative, but got ",
              size_tuple(height_, width_));
}

Tensor CenterCrop::operator()(const Tensor& images) const {
  Tensor batch = detail::as_batch(images, "CenterCrop");
  int64_t h = batch.size(2), w = batch.size(3);
  if (width_ > w || height_ > h) {
    const int64_t dw = std::max<int64_t>(width_ - w, 0), dh = std::max<int64_t>(height_ - h, 0);
    batch = detail::pad_batch(batch, {dw / 2, (dw + 1) / 2, dh / 2, (dh + 1) / 2}, 0.0, "constant");
    h = batch.size(2);
    w = batch.size(3);
  }
  // Python's round(x / 2.0): halves to even (std::nearbyint in the default rounding mode)
  const auto top = static_cast<int64_t>(std::nearbyint(static_cast<double>(h - height_) / 2.0));
  const auto left = static_cast<int64_t>(std::nearbyint(static_cast<double>(w - width_) / 2.0));
  return detail::like_input(batch.narrow(2, top, height_).narrow(3, left, width_), images);
}

std::string CenterCrop::repr() const {
  if (!size_arg_.is_number && size_arg_.values.size() == 2) return "CenterCrop(size=" + size_arg_.repr() + ")";
  return "CenterCrop(size=" + size_tuple(height_, width_) + ")";
}

RandomCrop::RandomCrop(IntOrList size, std::optional<IntOrList> padding, bool pad_if_needed, double fill,
                       std::string padding_mode)
    : padding_(std::move(padding)), pad_if_needed_(pad_if_needed), fill_(fill), mode_(std::move(padding_mode)) {
  std::tie(height_, width_) = detail::setup_size(size, kSizeMessage);
  EMBER_CHECK(height_ >= 0 && width_ >= 0, "RandomCrop: size should be non-negative, but got ",
              size_tuple(height_, width_));
  detail::check_padding_mode(mode_);
  if (padding_) detail::parse_padding(*padding_);
}

Tensor RandomCrop::operator()(const Tensor& images) const {
  Tensor batch = detail::as_batch(images, "RandomCrop");
  if (padding_) batch = detail::pad_batch(batch, detail::parse_padding(*padding_), fill_, mode_);
  if (pad_if_needed_ && batch.size(3) < width_) {
    const int64_t dw = width_ - batch.size(3);
    batch = detail::pad_batch(batch, {dw, dw, 0, 0}, fill_, mode_);
  }
  if (pad_if_needed_ && batch.size(2) < height_) {
    const int64_t dh = height_ - batch.size(2);
    batch = detail::pad_batch(batch, {0, 0, dh, dh}, fill_, mode_);
  }
  const int64_t n = batch.size(0), c = batch.size(1), h = batch.size(2), w = batch.size(3);
  EMBER_CHECK(h >= height_ && w >= width_, "Required crop size ", size_tuple(height_, width_),
              " is larger than input image size ", size_tuple(h, w));
  if (h == height_ && w == width_) return detail::like_input(batch, images);  // torchvision draws nothing here
  // top ~ randint(0, h - height + 1), left ~ randint(0, w - width + 1), one per sample
  const Device device = batch.device();
  const TensorOptions f64 = TensorOptions(kFloat64).device(device);
  const Tensor top = detail::randint_below(full({n}, static_cast<double>(h - height_ + 1), f64));
  const Tensor left = detail::randint_below(full({n}, static_cast<double>(w - width_ + 1), f64));
  // Each output element's position in the row-major batch, one index_select of them (a
  // tenth of the time of two gathers along H and W on the CPU); differentiable as usual.
  const TensorOptions i64 = TensorOptions(kInt64).device(device);
  const Tensor sample_start =
      (arange(n, i64) * (c * h * w)).view({n, 1, 1, 1}) + (arange(c, i64) * (h * w)).view({1, c, 1, 1});
  const Tensor row = (top.view({n, 1, 1, 1}) + arange(height_, i64).view({1, 1, height_, 1})) * w;
  const Tensor col = left.view({n, 1, 1, 1}) + arange(width_, i64).view({1, 1, 1, width_});
  const Tensor position = (sample_start + row + col).reshape({-1});
  const Tensor cropped = index_select(batch.contiguous().reshape({-1}), 0, position).view({n, c, height_, width_});
  return detail::like_input(cropped, images);
}

std::string RandomCrop::repr() const {
  return "RandomCrop(size=" + size_tuple(height_, width_) + ", padding=" + (padding_ ? padding_->repr() : "None") + ")";
}

RandomHorizontalFlip::RandomHorizontalFlip(double p) : p_(p) {
  detail::check_probability(p, "RandomHorizontalFlip: the probability p should be between 0 and 1");
}

Tensor RandomHorizontalFlip::operator()(const Tensor& images) const {
  return random_flip(images, p_, 3, "RandomHorizontalFlip");
}

std::string RandomHorizontalFlip::repr() const {
  return "RandomHorizontalFlip(p=" + nn::detail::python_float(p_) + ")";
}

RandomVerticalFlip::RandomVerticalFlip(double p) : p_(p) {
  detail::check_probability(p, "RandomVerticalFlip: the probability p should be between 0 and 1");
}

Tensor RandomVerticalFlip::operator()(const Tensor& images) const {
  return random_flip(images, p_, 2, "RandomVerticalFlip");
}

std::string RandomVerticalFlip::repr() const { return "RandomVerticalFlip(p=" + nn::detail::python_float(p_) + ")"; }

}  // namespace ember::transforms
