// torchvision's Normalize (per-channel (x - mean) / std) and RandomErasing (a random
// rectangle per sample set to a value, per-channel values or noise).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "nn/transforms/transform.h"

namespace ember::transforms {

// torchvision.transforms.Normalize: (x - mean[c]) / std[c] over the channel dim of a
// floating [..., C, H, W] tensor (mean and std of 1 value apply to every channel). Errors
// as torchvision's: "std evaluated to zero after conversion to <dtype>", "The size of
// tensor a (C) must match the size of tensor b (n)", "Input tensor should be a float
// tensor", "Expected tensor to be a tensor image of size (..., C, H, W)".
class Normalize : public Transform {
 public:
  Normalize(std::vector<double> mean, std::vector<double> std);
  Tensor operator()(const Tensor& images) const override;
  std::string repr() const override;  // "Normalize(mean=[0.1307], std=[0.3081])"

 private:
  std::vector<double> mean_, std_;
};

// RandomErasing's value: a number, one number per channel, or "random" (standard normal noise).
struct ErasingValue {
  ErasingValue(double v) : values{v} {}  // NOLINT(google-explicit-constructor)
  ErasingValue(std::initializer_list<double> list) : values(list), is_list(true) {}
  ErasingValue(std::vector<double> list) : values(std::move(list)), is_list(true) {}  // NOLINT
  template <size_t N>
  ErasingValue(const char (&text)[N]) : ErasingValue(std::string(text)) {}  // NOLINT
  ErasingValue(const std::string& text);                                    // NOLINT
  std::vector<double> values;
  bool is_list = false, is_random = false;
};

// Note [Random erasing in a batch]
// torchvision's RandomErasing, per image: with probability p (torch.rand(1) < p) try up to
// 10 times: area = H * W * U(scale), aspect = exp(U(log ratio)), h = round(sqrt(area *
// aspect)), w = round(sqrt(area / aspect)); the first try with h < H and w < W is erased
// at top ~ randint(0, H - h + 1), left ~ randint(0, W - w + 1); if none fits, the image is
// left as it is. ember draws the same for every sample at once on the images' device: the
// coin [B], the 10 tries' scale and log-ratio draws [B, 10] (float64, rounding half to
// even as Python's round), the first fitting try by a min over its index, then top and
// left [B] for the chosen size, and a mask [B, 1, H, W] of the rectangles (every channel)
// where the coin fell and a try fitted; out = where(mask, value, x). So each sample's
// rectangle has torchvision's distribution; the differences: torchvision draws the scale
// and log ratio in float32 and stops drawing at the first fit, ember always draws all
// tries (the random stream does not depend on the image), and "random" noise is drawn for
// the whole batch and masked (the same distribution per erased pixel).
class RandomErasing : public Transform {
 public:
  explicit RandomErasing(double p = 0.5, std::pair<double, double> scale = {0.02, 0.33},
                         std::pair<double, double> ratio = {0.3, 3.3}, ErasingValue value = 0.0);
  Tensor operator()(const Tensor& images) const override;
  // "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)"
  std::string repr() const override;

 private:
  double p_;
  std::pair<double, double> scale_, ratio_;
  ErasingValue value_;
};

}  // namespace ember::transforms
