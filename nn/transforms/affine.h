// torchvision's resampling transforms: RandomAffine and RandomRotation (an angle,
// translation, scale and shear drawn per sample), and the deterministic functional
// affine / rotate they build on, all through affine_grid + grid_sample.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nn/transforms/transform.h"

namespace ember::transforms {

// torchvision.transforms.InterpolationMode, the modes of its tensor path: Resize and
// RandomResizedCrop take all four, the affine transforms NEAREST and BILINEAR only.
enum class InterpolationMode { NEAREST, NEAREST_EXACT, BILINEAR, BICUBIC };
// "nearest", "nearest-exact", "bilinear", "bicubic"
std::string_view interpolation_name(InterpolationMode mode);

// Note [Affine conventions]
// As torchvision 0.14's tensor path (checked against it in tests/nn): a pixel (x, y)
// (x to the right, y down, origin at the image centre, pixel centres at +-0.5, ...) of
// the output is sampled from the input at M^-1 (x, y), where M = T(translate) C R S Sh
// C^-1 about `center` (pixels from the top-left corner; default the image centre).
// affine's angle turns clockwise on the screen (y down) and rotate's counter-clockwise
// (rotate(angle) is affine(-angle)); RandomAffine draws its angle for affine and
// RandomRotation for rotate. shear (sx, sy) in degrees: x sheared by sx, y by sy.
// translate is in pixels (RandomAffine rounds its draws to integers, as torchvision).
// The grid is affine_grid(theta, align_corners=false) with theta M^-1 scaled to [-1, 1]
// coordinates, sampled by grid_sample with zeros outside; when a fill is given (the
// random transforms always give one, 0 by default) a channel of ones is sampled too and,
// as torchvision: nearest puts fill where that channel is < 0.5, bilinear blends
// out * m + (1 - m) * fill (so edges are blended, not just zero-padded). float32 and
// float64 are sampled in their dtype; other dtypes in float32, then cast back (integers
// rounded first).
namespace functional {

// torchvision.transforms.functional.affine: the same transform for every image.
// shear: a number (x only) or (sx, sy); fill: none (zeros outside) or 1 or C values.
Tensor affine(const Tensor& images, double angle, std::pair<double, double> translate, double scale,
              const NumberOrList& shear, InterpolationMode interpolation = InterpolationMode::NEAREST,
              std::optional<NumberOrList> fill = std::nullopt,
              std::optional<std::pair<double, double>> center = std::nullopt);
// torchvision.transforms.functional.rotate (expand=False): counter-clockwise by angle degrees.
Tensor rotate(const Tensor& images, double angle, InterpolationMode interpolation = InterpolationMode::NEAREST,
              std::optional<std::pair<double, double>> center = std::nullopt,
              std::optional<NumberOrList> fill = std::nullopt);

}  // namespace functional

// torchvision.transforms.RandomAffine's keyword arguments, in its order. translate: the
// largest fractions (a, b) of the width and height (each in [0, 1]); scale: a range
// (lo, hi) of positive factors; shear: a number s (x sheared in (-s, s)), (lo, hi) for x,
// or (xlo, xhi, ylo, yhi); fill: 1 or C values; center: (x, y) in pixels.
struct RandomAffineOptions {
  std::optional<std::vector<double>> translate = std::nullopt;
  std::optional<std::vector<double>> scale = std::nullopt;
  std::optional<NumberOrList> shear = std::nullopt;
  InterpolationMode interpolation = InterpolationMode::NEAREST;
  NumberOrList fill = 0.0;
  std::optional<std::vector<double>> center = std::nullopt;
};

// torchvision.transforms.RandomAffine: degrees a number d (the range (-d, d)) or (lo, hi);
// each sample gets its own angle, translation, scale and shear (Note [Affine conventions]).
class RandomAffine : public Transform {
 public:
  explicit RandomAffine(NumberOrList degrees, RandomAffineOptions options = {});
  Tensor operator()(const Tensor& images) const override;
  std::string repr() const override;  // "RandomAffine(degrees=[-10.0, 10.0], translate=[0.1, 0.1])"

 private:
  std::vector<double> degrees_, shear_;
  RandomAffineOptions options_;
};

struct RandomRotationOptions {
  InterpolationMode interpolation = InterpolationMode::NEAREST;
  std::optional<std::vector<double>> center = std::nullopt;
  NumberOrList fill = 0.0;
};

// torchvision.transforms.RandomRotation (expand=False): each sample rotated counter-
// clockwise by an angle drawn from degrees (a number d: (-d, d), or (lo, hi)).
class RandomRotation : public Transform {
 public:
  explicit RandomRotation(NumberOrList degrees, RandomRotationOptions options = {});
  Tensor operator()(const Tensor& images) const override;
  // "RandomRotation(degrees=[-30.0, 30.0], interpolation=nearest, expand=False, fill=0)"
  std::string repr() const override;

 private:
  std::vector<double> degrees_;
  RandomRotationOptions options_;
};

}  // namespace ember::transforms
