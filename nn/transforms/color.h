// torchvision's colour transforms: the functional adjust_brightness / contrast /
// saturation / hue and rgb_to_grayscale (one factor, or one per sample), ColorJitter
// (factors and the order of the four ops drawn per sample), Grayscale and RandomGrayscale.
#pragma once
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "nn/transforms/transform.h"

namespace ember::transforms {

// Note [Colour maths]
// As torchvision 0.14's tensor path for float images with values in [0, 1] (checked
// against it in tests/nn): grayscale = 0.2989 r + 0.587 g + 0.114 b (a 1-channel image is
// its own grayscale); brightness, contrast and saturation blend the image with a
// reference, f * x + (1 - f) * ref clamped to [0, 1] (torchvision's _blend), the reference
// being zeros, the per-image mean of the grayscale over C, H, W, and the grayscale; hue
// goes to HSV (Pillow's formulas as torchvision writes them), adds the factor to h modulo
// 1 and goes back. Images have 1 or 3 channels; on 1 channel saturation and hue return
// the image as it is. float32 and float64 are computed in their dtype, bfloat16 in float32
// and rounded back (by ColorJitter once, after its four stages); integer images are refused
// (torchvision's uint8 path is not here).
// A factor is one number (checked as torchvision checks it) or a tensor [B] of per-sample
// factors (a floating dtype, on the images' device, B = 1 for one image; [1]: every sample);
// a tensor's values are not checked, since that would read them back from the device
// (ColorJitter's draws are in range by construction).
namespace functional {

// torchvision.transforms.functional.rgb_to_grayscale: [.., 1, H, W] or, with
// num_output_channels 3, the grayscale repeated (an expanded view) for a 3-channel input; a
// 1-channel input stays 1 channel either way, as torchvision's (its expand keeps the shape).
// An [H, W] image is one channel: it is returned as it is.
Tensor rgb_to_grayscale(const Tensor& images, int64_t num_output_channels = 1);
Tensor adjust_brightness(const Tensor& images, const Tensor& brightness_factor);
Tensor adjust_brightness(const Tensor& images, double brightness_factor);
Tensor adjust_contrast(const Tensor& images, const Tensor& contrast_factor);
Tensor adjust_contrast(const Tensor& images, double contrast_factor);
Tensor adjust_saturation(const Tensor& images, const Tensor& saturation_factor);
Tensor adjust_saturation(const Tensor& images, double saturation_factor);
// hue_factor in [-0.5, 0.5]: the shift of the hue, in turns.
Tensor adjust_hue(const Tensor& images, const Tensor& hue_factor);
Tensor adjust_hue(const Tensor& images, double hue_factor);

}  // namespace functional

// Note [Colour jitter in a batch]
// torchvision's ColorJitter, per image: fn_idx = randperm(4), then a factor uniform in the
// range of each enabled op (brightness, contrast, saturation, hue, in that order), then
// the ops applied in fn_idx's order. ember draws for the whole batch on the images'
// device: the order as argsort(rand [B, 4]) along dim 1 (a uniformly random permutation
// per sample, ties having probability ~0), then a factor [B] per enabled op (float64,
// uniform in its range), and runs four stages. In stage k every enabled op is evaluated
// on the whole batch with its per-sample factors, and each sample keeps the result of the
// op its permutation names at position k (where(order[:, k] == op, result, current)); a
// sample whose op at k is disabled is left as it is. So each sample sees torchvision's
// distribution of orders and factors, at the price of up to 16 op evaluations per batch
// instead of 4 (colour ops are cheap beside a model). The permutation is drawn even when
// no op is enabled, so the random stream does not depend on the image.
class ColorJitter : public Transform {
 public:
  // Each a number v (brightness, contrast, saturation: the range [max(0, 1 - v), 1 + v];
  // hue: [-v, v], v <= 0.5) or a pair (min, max) (within [0, inf) and, for hue,
  // [-0.5, 0.5]); 0 or (1, 1) ((0, 0) for hue) turns the op off.
  explicit ColorJitter(NumberOrList brightness = 0.0, NumberOrList contrast = 0.0, NumberOrList saturation = 0.0,
                       NumberOrList hue = 0.0);
  // ColorJitter({0.5, 1.5}): a braced list is the brightness range (not a ColorJitter to copy)
  explicit ColorJitter(std::initializer_list<double> brightness) : ColorJitter(NumberOrList(brightness)) {}
  Tensor operator()(const Tensor& images) const override;
  // torchvision's: a number's range as a list of floats, a pair as given, an op off as None:
  // "ColorJitter(brightness=[0.6, 1.4], contrast=None, saturation=(0.5, 1), hue=[-0.1, 0.1])"
  std::string repr() const override;

 private:
  struct Range {
    std::pair<double, double> bounds;
    bool from_number;  // for the repr
  };
  std::optional<Range> ranges_[4];  // brightness, contrast, saturation, hue; nullopt: off
};

// torchvision.transforms.Grayscale: rgb_to_grayscale with num_output_channels (1 or 3).
class Grayscale : public Transform {
 public:
  explicit Grayscale(int64_t num_output_channels = 1);
  Tensor operator()(const Tensor& images) const override;
  std::string repr() const override;  // "Grayscale(num_output_channels=1)"

 private:
  int64_t num_output_channels_;
};

// torchvision.transforms.RandomGrayscale: each sample turned to grayscale, keeping its
// channel count (r == g == b), when a uniform draw is below p.
class RandomGrayscale : public Transform {
 public:
  explicit RandomGrayscale(double p = 0.1);
  Tensor operator()(const Tensor& images) const override;
  std::string repr() const override;  // "RandomGrayscale(p=0.1)"
  double p() const { return p_; }

 private:
  double p_;
};

}  // namespace ember::transforms
