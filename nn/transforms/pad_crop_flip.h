// torchvision's geometric transforms that move pixels without resampling: Pad,
// CenterCrop, RandomCrop (a different offset per sample), RandomHorizontalFlip and
// RandomVerticalFlip (a decision per sample). Note [Batched transforms] in transform.h.
#pragma once
#include <optional>
#include <string>
#include <utility>

#include "nn/transforms/transform.h"

namespace ember::transforms {

// torchvision.transforms.Pad: padding an int (all sides), a pair (left/right, top/bottom)
// or 4 values (left, top, right, bottom); negative values crop. padding_mode "constant"
// (fill), "edge" (the edge pixel repeated), "reflect" (mirrored without the edge: each
// pad < that size) or "symmetric" (mirrored with the edge: each pad <= that size).
class Pad : public Transform {
 public:
  explicit Pad(IntOrList padding, double fill = 0, std::string padding_mode = "constant");
  // Pad({1, 2}): a braced list is the padding (not a Pad to copy)
  explicit Pad(std::initializer_list<int64_t> padding, double fill = 0, std::string padding_mode = "constant")
      : Pad(IntOrList(padding), fill, std::move(padding_mode)) {}
  Tensor operator()(const Tensor& images) const override;
  std::string repr() const override;  // "Pad(padding=4, fill=0, padding_mode=constant)"

 private:
  IntOrList padding_;
  std::vector<int64_t> lrtb_;  // nn::functional::pad's order
  double fill_;
  std::string mode_;
};

// torchvision.transforms.CenterCrop: size an int (square) or (h, w). A crop larger than
// the image pads it with zeros first (as torchvision); offsets round half to even, as
// Python's round. The result is a view of the input where no padding was needed.
class CenterCrop : public Transform {
 public:
  explicit CenterCrop(IntOrList size);
  Tensor operator()(const Tensor& images) const override;
  std::string repr() const override;  // "CenterCrop(size=(24, 24))"

 private:
  IntOrList size_arg_;
  int64_t height_, width_;
};

// torchvision.transforms.RandomCrop: optional padding first (as Pad), then with
// pad_if_needed the image padded on both sides by the missing width/height, then a crop
// of `size` at a random offset, uniform over the valid offsets, drawn per sample on the
// images' device and applied with one index_select. A crop larger than the (padded) image is
// "Required crop size (h, w) is larger than input image size (H, W)".
class RandomCrop : public Transform {
 public:
  explicit RandomCrop(IntOrList size, std::optional<IntOrList> padding = std::nullopt, bool pad_if_needed = false,
                      double fill = 0, std::string padding_mode = "constant");
  explicit RandomCrop(std::initializer_list<int64_t> size, std::optional<IntOrList> padding = std::nullopt,
                      bool pad_if_needed = false, double fill = 0, std::string padding_mode = "constant")
      : RandomCrop(IntOrList(size), std::move(padding), pad_if_needed, fill, std::move(padding_mode)) {}
  Tensor operator()(const Tensor& images) const override;
  std::string repr() const override;  // "RandomCrop(size=(28, 28), padding=4)"

 private:
  int64_t height_, width_;
  std::optional<IntOrList> padding_;
  bool pad_if_needed_;
  double fill_;
  std::string mode_;
};

// torchvision.transforms.RandomHorizontalFlip / RandomVerticalFlip: each sample flipped
// (along W / H) when a uniform draw in [0, 1) is below p.
class RandomHorizontalFlip : public Transform {
 public:
  explicit RandomHorizontalFlip(double p = 0.5);
  Tensor operator()(const Tensor& images) const override;
  std::string repr() const override;  // "RandomHorizontalFlip(p=0.5)"
  double p() const { return p_; }

 private:
  double p_;
};

class RandomVerticalFlip : public Transform {
 public:
  explicit RandomVerticalFlip(double p = 0.5);
  Tensor operator()(const Tensor& images) const override;
  std::string repr() const override;  // "RandomVerticalFlip(p=0.5)"
  double p() const { return p_; }

 private:
  double p_;
};

}  // namespace ember::transforms
