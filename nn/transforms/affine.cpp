// functional::affine / rotate, RandomAffine and RandomRotation (affine.h; Note [Affine
// conventions]): per-sample inverse matrices built with elementwise ops on the device,
// then affine_grid + grid_sample.
#include "nn/transforms/affine.h"

#include <cmath>
#include <numbers>

#include "core/error.h"
#include "core/factories.h"
#include "core/ops.h"
#include "nn/functional/grid_sample.h"
#include "nn/transforms/image_batch.h"

namespace ember::transforms {

std::string_view interpolation_name(InterpolationMode mode) {
  switch (mode) {
    case InterpolationMode::NEAREST: return "nearest";
    case InterpolationMode::NEAREST_EXACT: return "nearest-exact";
    case InterpolationMode::BILINEAR: return "bilinear";
    case InterpolationMode::BICUBIC: return "bicubic";
  }
  return "unknown";
}

namespace {

// torchvision's _assert_grid_transform_inputs: grid_sample's two modes.
void check_grid_interpolation(InterpolationMode mode) {
  EMBER_CHECK(mode == InterpolationMode::NEAREST || mode == InterpolationMode::BILINEAR, "Interpolation mode '",
              interpolation_name(mode), "' is unsupported with Tensor input (expected nearest or bilinear)");
}

// The per-sample parameters of one affine transform each: [B] float64 tensors on the
// images' device (angle clockwise in degrees, translation in pixels, shear in degrees).
struct AffineParams {
  Tensor angle, tx, ty, scale, shear_x, shear_y;
};

// torchvision's _get_inverse_affine_matrix for each sample, scaled to affine_grid's
// normalized coordinates: theta [B, 2, 3] in dtype.
Tensor inverse_theta(const AffineParams& p, double cx, double cy, int64_t height, int64_t width, DType dtype) {
  constexpr double kRadians = std::numbers::pi / 180.0;
  const Tensor rot = p.angle * kRadians, sx = p.shear_x * kRadians, sy = p.shear_y * kRadians;
  const Tensor cos_sy = cos(sy), tan_sx = tan(sx);
  const Tensor a = cos(rot - sy) / cos_sy;
  const Tensor b = -cos(rot - sy) * tan_sx / cos_sy - sin(rot);
  const Tensor c = sin(rot - sy) / cos_sy;
  const Tensor d = -sin(rot - sy) * tan_sx / cos_sy + cos(rot);
  // the inverse rotation-scale-shear (its determinant is 1 before the scale), then the
  // inverse translation and the centre's: C * RSS^-1 * C^-1 * T^-1
  const Tensor m0 = d / p.scale, m1 = -b / p.scale, m3 = -c / p.scale, m4 = a / p.scale;
  const Tensor shift_x = -(p.tx + cx), shift_y = -(p.ty + cy);
  const Tensor m2 = m0 * shift_x + m1 * shift_y + cx;
  const Tensor m5 = m3 * shift_x + m4 * shift_y + cy;
  // pixel units (centred) -> [-1, 1]: x_n = x * 2 / W, y_n = y * 2 / H
  const double w = static_cast<double>(width), h = static_cast<double>(height);
  const Tensor theta = stack({m0, m1 * (h / w), m2 * (2.0 / w), m3 * (w / h), m4, m5 * (2.0 / h)}, 1);
  return theta.view({-1, 2, 3}).to(dtype);
}

// The fill values as a [1, n, 1, 1] tensor (n = 1 or C), checked against the channels.
Tensor fill_tensor(const NumberOrList& fill, int64_t channels, DType dtype, Device device) {
  const size_t n = fill.values.size();
  EMBER_CHECK(fill.is_number || n == 1 || static_cast<int64_t>(n) == channels,
              "The number of elements in 'fill' cannot broadcast to match the number of channels of the image (", n,
              " != ", channels, ")");
  return tensor(fill.values, {1, static_cast<int64_t>(n), 1, 1}, TensorOptions(kFloat64)).to(dtype).to(device);
}

// torchvision's _apply_grid_transform for a batch with per-sample parameters.
Tensor affine_batch(const Tensor& batch, const AffineParams& params, std::optional<std::pair<double, double>> center,
                    InterpolationMode interpolation, const std::optional<NumberOrList>& fill) {
  check_grid_interpolation(interpolation);
  const int64_t n = batch.size(0), channels = batch.size(1), height = batch.size(2), width = batch.size(3);
  const DType out_dtype = batch.dtype();
  const DType dtype = out_dtype == kFloat64 || out_dtype == kFloat32 ? out_dtype : kFloat32;
  Tensor fill_values;
  if (fill) fill_values = fill_tensor(*fill, channels, dtype, batch.device());
  if (n == 0 || height == 0 || width == 0) return batch.clone();
  const double cx = center ? center->first - width * 0.5 : 0.0, cy = center ? center->second - height * 0.5 : 0.0;
  Tensor input = batch.to(dtype);
  if (fill) input = cat({input, ones({n, 1, height, width}, input.options().requires_grad(false))}, 1);
  const Tensor theta = inverse_theta(params, cx, cy, height, width, dtype);
  const Tensor grid = nn::functional::affine_grid(theta, {n, input.size(1), height, width}, /*align_corners=*/false);
  const std::string mode(interpolation_name(interpolation));
  Tensor out = nn::functional::grid_sample(input, grid, mode, "zeros", /*align_corners=*/false);
  if (fill) {
    const Tensor mask = out.narrow(1, channels, 1);
    out = out.narrow(1, 0, channels);
    if (interpolation == InterpolationMode::NEAREST)
      out = where(lt(mask, 0.5), fill_values.expand_as(out), out);
    else
      out = out * mask + (1.0 - mask) * fill_values;
  }
  if (out_dtype == dtype) return out;
  if (!is_floating(out_dtype)) out = round(out);
  return out.to(out_dtype);
}

// n copies of a value on `device` (float64).
Tensor constant(int64_t n, double value, Device device) {
  return full({n}, value, TensorOptions(kFloat64).device(device));
}

std::string python_list(const std::vector<double>& v) { return NumberOrList(v).repr(); }

// torchvision's _setup_angle: a number d >= 0 -> [-d, d]; a sequence of one of req_sizes.
std::vector<double> setup_angle(const NumberOrList& x, const char* name, std::initializer_list<size_t> sizes,
                                const char* sizes_text) {
  if (x.is_number) {
    EMBER_CHECK(x.values[0] >= 0, "If ", name, " is a single number, it must be positive. Got ", x.values[0]);
    return {0.0 - x.values[0], x.values[0]};  // 0.0 - 0 is +0: Python prints [0.0, 0.0]
  }
  bool ok = false;
  for (size_t s : sizes) ok = ok || x.values.size() == s;
  EMBER_CHECK(ok, name, " should be a sequence of length ", sizes_text, ". Got ", x.values.size(), " values");
  return x.values;
}

void check_pair(const std::optional<std::vector<double>>& v, const char* name) {
  if (v) EMBER_CHECK(v->size() == 2, name, " should be a sequence of length 2. Got ", v->size(), " values");
}

std::optional<std::pair<double, double>> as_center(const std::optional<std::vector<double>>& center) {
  if (!center) return std::nullopt;
  return std::make_pair((*center)[0], (*center)[1]);
}

}  // namespace

namespace functional {

Tensor affine(const Tensor& images, double angle, std::pair<double, double> translate, double scale,
              const NumberOrList& shear, InterpolationMode interpolation, std::optional<NumberOrList> fill,
              std::optional<std::pair<double, double>> center) {
  EMBER_CHECK(scale > 0, "Argument scale should be positive, but got ", scale);
  EMBER_CHECK(shear.is_number || shear.values.size() == 1 || shear.values.size() == 2,
              "Shear should be a sequence containing two values. Got ", shear.repr());
  // a number shears x only; one value shears x and y alike (torchvision's F.affine)
  const double shear_x = shear.values[0];
  const double shear_y = shear.is_number ? 0.0 : shear.values[shear.values.size() == 1 ? 0 : 1];
  const Tensor batch = detail::as_batch(images, "affine");
  const int64_t n = batch.size(0);
  const Device dev = batch.device();
  const AffineParams params{
      constant(n, angle, dev), constant(n, translate.first, dev), constant(n, translate.second, dev),
      constant(n, scale, dev), constant(n, shear_x, dev),         constant(n, shear_y, dev)};
  return detail::like_input(affine_batch(batch, params, center, interpolation, fill), images);
}

Tensor rotate(const Tensor& images, double angle, InterpolationMode interpolation,
              std::optional<std::pair<double, double>> center, std::optional<NumberOrList> fill) {
  return affine(images, -angle, {0.0, 0.0}, 1.0, 0.0, interpolation, std::move(fill), center);
}

}  // namespace functional

RandomAffine::RandomAffine(NumberOrList degrees, RandomAffineOptions options) : options_(std::move(options)) {
  degrees_ = setup_angle(degrees, "degrees", {2}, "2");
  check_grid_interpolation(options_.interpolation);
  check_pair(options_.translate, "translate");
  if (options_.translate) {
    for (double t : *options_.translate)
      EMBER_CHECK(t >= 0.0 && t <= 1.0, "translation values should be between 0 and 1, but got ", t);
  }
  check_pair(options_.scale, "scale");
  if (options_.scale) {
    for (double s : *options_.scale) EMBER_CHECK(s > 0, "scale values should be positive, but got ", s);
  }
  if (options_.shear) shear_ = setup_angle(*options_.shear, "shear", {2, 4}, "2 or 4");
  check_pair(options_.center, "center");
  EMBER_CHECK(!options_.fill.values.empty(), "RandomAffine: fill should not be an empty sequence");
}

Tensor RandomAffine::operator()(const Tensor& images) const {
  const Tensor batch = detail::as_batch(images, "RandomAffine");
  const int64_t n = batch.size(0), height = batch.size(2), width = batch.size(3);
  const Device dev = batch.device();
  AffineParams p;
  p.angle = detail::uniform(n, degrees_[0], degrees_[1], dev);
  if (options_.translate) {
    const double max_dx = (*options_.translate)[0] * static_cast<double>(width);
    const double max_dy = (*options_.translate)[1] * static_cast<double>(height);
    p.tx = round(detail::uniform(n, -max_dx, max_dx, dev));
    p.ty = round(detail::uniform(n, -max_dy, max_dy, dev));
  } else {
    p.tx = p.ty = constant(n, 0.0, dev);
  }
  p.scale =
      options_.scale ? detail::uniform(n, (*options_.scale)[0], (*options_.scale)[1], dev) : constant(n, 1.0, dev);
  p.shear_x = shear_.empty() ? constant(n, 0.0, dev) : detail::uniform(n, shear_[0], shear_[1], dev);
  p.shear_y = shear_.size() == 4 ? detail::uniform(n, shear_[2], shear_[3], dev) : constant(n, 0.0, dev);
  return detail::like_input(affine_batch(batch, p, as_center(options_.center), options_.interpolation, options_.fill),
                            images);
}

std::string RandomAffine::repr() const {
  std::string s = "RandomAffine(degrees=" + detail::python_float_list(degrees_);
  if (options_.translate) s += ", translate=" + python_list(*options_.translate);
  if (options_.scale) s += ", scale=" + python_list(*options_.scale);
  if (!shear_.empty()) s += ", shear=" + detail::python_float_list(shear_);
  if (options_.interpolation != InterpolationMode::NEAREST)
    s += ", interpolation=" + std::string(interpolation_name(options_.interpolation));
  if (!(options_.fill.is_number && options_.fill.values[0] == 0)) s += ", fill=" + options_.fill.repr();
  if (options_.center) s += ", center=" + python_list(*options_.center);
  return s + ")";
}

RandomRotation::RandomRotation(NumberOrList degrees, RandomRotationOptions options) : options_(std::move(options)) {
  degrees_ = setup_angle(degrees, "degrees", {2}, "2");
  check_grid_interpolation(options_.interpolation);
  check_pair(options_.center, "center");
  EMBER_CHECK(!options_.fill.values.empty(), "RandomRotation: fill should not be an empty sequence");
}

Tensor RandomRotation::operator()(const Tensor& images) const {
  const Tensor batch = detail::as_batch(images, "RandomRotation");
  const int64_t n = batch.size(0);
  const Device dev = batch.device();
  // rotate(angle) is affine(-angle): the drawn angle turns counter-clockwise
  const AffineParams p{-detail::uniform(n, degrees_[0], degrees_[1], dev),
                       constant(n, 0.0, dev),
                       constant(n, 0.0, dev),
                       constant(n, 1.0, dev),
                       constant(n, 0.0, dev),
                       constant(n, 0.0, dev)};
  return detail::like_input(affine_batch(batch, p, as_center(options_.center), options_.interpolation, options_.fill),
                            images);
}

std::string RandomRotation::repr() const {
  std::string s = "RandomRotation(degrees=" + detail::python_float_list(degrees_) +
                  ", interpolation=" + std::string(interpolation_name(options_.interpolation)) + ", expand=False";
  if (options_.center) s += ", center=" + python_list(*options_.center);
  return s + ", fill=" + options_.fill.repr() + ")";
}

}  // namespace ember::transforms
