// torchvision's resizing transforms: Resize (antialiased bilinear by default, as torchvision
// 0.17+), RandomResizedCrop (a crop box drawn per sample, all resized by per-sample taps in
// one call per dim), and the functional resize / crop / resized_crop they build on.
#pragma once
#include <optional>
#include <string>
#include <utility>

#include "nn/transforms/affine.h"
#include "nn/transforms/transform.h"

namespace ember::transforms {
namespace functional {

// torchvision.transforms.functional.resize on a batch or an image. size: an int (or a list
// of one) sets the smaller edge, the other keeping the aspect ratio (int(size * long /
// short)), capped by max_size on the longer edge; a pair (h, w) is the exact size. BILINEAR
// and BICUBIC are antialiased unless antialias is false (it does nothing for the NEAREST
// modes); bfloat16, integer and bool images are resized in float32, then cast back (integers
// rounded, uint8 ones clamped to [0, 255] first, bool true where not zero), as
// torchvision's. An unchanged size returns the images.
Tensor resize(const Tensor& images, const IntOrList& size,
              InterpolationMode interpolation = InterpolationMode::BILINEAR,
              std::optional<int64_t> max_size = std::nullopt, bool antialias = true);
// torchvision.transforms.functional.crop: rows [top, top + height), columns [left, left +
// width); where the box leaves the image it is filled with zeros.
Tensor crop(const Tensor& images, int64_t top, int64_t left, int64_t height, int64_t width);
// torchvision.transforms.functional.resized_crop: crop, then resize to size.
Tensor resized_crop(const Tensor& images, int64_t top, int64_t left, int64_t height, int64_t width,
                    const IntOrList& size, InterpolationMode interpolation = InterpolationMode::BILINEAR,
                    bool antialias = true);

}  // namespace functional

// torchvision.transforms.Resize (functional::resize for every sample).
class Resize : public Transform {
 public:
  explicit Resize(IntOrList size, InterpolationMode interpolation = InterpolationMode::BILINEAR,
                  std::optional<int64_t> max_size = std::nullopt, bool antialias = true);
  explicit Resize(std::initializer_list<int64_t> size, InterpolationMode interpolation = InterpolationMode::BILINEAR,
                  std::optional<int64_t> max_size = std::nullopt, bool antialias = true)
      : Resize(IntOrList(size), interpolation, max_size, antialias) {}
  Tensor operator()(const Tensor& images) const override;
  // "Resize(size=32, interpolation=bilinear, max_size=None, antialias=True)"
  std::string repr() const override;

 private:
  IntOrList size_;
  InterpolationMode interpolation_;
  std::optional<int64_t> max_size_;
  bool antialias_;
};

// Note [Random resized crop in a batch]
// torchvision's RandomResizedCrop, per image of H x W: up to 10 tries of area = H * W *
// U(scale), aspect = exp(U(log ratio)), w = round(sqrt(area * aspect)), h = round(sqrt(area /
// aspect)) (Python's round, half to even); the first with 0 < w <= W and 0 < h <= H is taken
// at top ~ randint(0, H - h + 1), left ~ randint(0, W - w + 1); if none fits, the central crop
// of the largest box whose aspect is within ratio. That box is resized to `size`. ember draws
// every sample's tries at once on the images' device ([B, 10] float64, as RandomErasing: Note
// [Random erasing in a batch]), takes the first fit by a min over the try index, and resizes
// every sample's own box with per-sample taps (Note [Resampling by taps]): one resample
// kernel per dim, nothing read back. Each sample's box has torchvision's distribution
// (torchvision draws in float32 and stops at the first fit; ember always draws all tries).
class RandomResizedCrop : public Transform {
 public:
  explicit RandomResizedCrop(IntOrList size, std::pair<double, double> scale = {0.08, 1.0},
                             std::pair<double, double> ratio = {3.0 / 4.0, 4.0 / 3.0},
                             InterpolationMode interpolation = InterpolationMode::BILINEAR, bool antialias = true);
  explicit RandomResizedCrop(std::initializer_list<int64_t> size, std::pair<double, double> scale = {0.08, 1.0},
                             std::pair<double, double> ratio = {3.0 / 4.0, 4.0 / 3.0},
                             InterpolationMode interpolation = InterpolationMode::BILINEAR, bool antialias = true)
      : RandomResizedCrop(IntOrList(size), scale, ratio, interpolation, antialias) {}
  Tensor operator()(const Tensor& images) const override;
  // "RandomResizedCrop(size=(28, 28), scale=(0.08, 1.0), ratio=(0.75, 1.3333),
  // interpolation=bilinear, antialias=True)"
  std::string repr() const override;

 private:
  int64_t height_, width_;
  std::pair<double, double> scale_, ratio_;
  InterpolationMode interpolation_;
  bool antialias_;
};

}  // namespace ember::transforms
