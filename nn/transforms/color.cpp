// The colour transforms (color.h): Note [Colour maths] for the functional forms on a batch,
// Note [Colour jitter in a batch] for ColorJitter's per-sample order.
#include "nn/transforms/color.h"

#include <array>
#include <cmath>
#include <functional>
#include <vector>

#include "core/error.h"
#include "core/factories.h"
#include "core/ops.h"
#include "nn/repr.h"
#include "nn/transforms/image_batch.h"

namespace ember::transforms {

namespace {

enum ColorOp { kBrightness = 0, kContrast = 1, kSaturation = 2, kHue = 3 };
constexpr std::array<const char*, 4> kOpNames{"brightness", "contrast", "saturation", "hue"};

// images as a [B, C, H, W] batch in the dtype the maths runs in (bfloat16 in float32),
// fn applied, and the result in the input's dtype and shape. Checks the dtype and the
// channels (permitted: torchvision's list for the op, as its message prints it).
Tensor on_float_batch(const Tensor& images, const char* name, const char* permitted,
                      const std::function<Tensor(const Tensor&)>& fn) {
  const Tensor batch = detail::as_batch(images, name);
  const DType dtype = batch.dtype();
  EMBER_CHECK(is_floating(dtype), name,
              ": expected a float32, float64, bfloat16 or float16 image with values in [0, 1], but got ",
              dtype_name(dtype),
              " (integer images are not supported)");
  EMBER_CHECK(batch.size(1) == 1 || batch.size(1) == 3, "Input image tensor permitted channel values are ", permitted,
              ", but found ", batch.size(1));
  if (!is_reduced_float(dtype)) return detail::like_input(fn(batch), images);
  return detail::like_input(fn(batch.to(kFloat32)).to(dtype), images);
}

// A per-sample factor tensor checked and viewed as [n, 1, 1, 1] (still float64 or as given).
Tensor per_sample_factor(const Tensor& factor, const Tensor& batch, const char* name, const char* factor_name) {
  const int64_t n = batch.size(0);
  EMBER_CHECK(factor.defined(), name, ": expected ", factor_name, " as a number or a tensor [", n,
              "], but got an undefined tensor");
  EMBER_CHECK(factor.dim() == 1 && (factor.size(0) == n || factor.size(0) == 1), name, ": expected ", factor_name,
              " as one value per image, a tensor [", n, "] (or [1]), but got shape ", factor.sizes());
  EMBER_CHECK(is_floating(factor.dtype()), name, ": expected ", factor_name,
              " as a floating tensor (float64), but got ", dtype_name(factor.dtype()));
  EMBER_CHECK(factor.device() == batch.device(), name, ": expected ", factor_name, " on the images' device ",
              batch.device(), ", but got it on ", factor.device());
  return factor.view({factor.size(0), 1, 1, 1});
}

// torchvision's _blend for floats: f * x + (1 - f) * ref, clamped to [0, 1], in x's dtype
// (f [n, 1, 1, 1] float64: f and 1 - f rounded to it, as Python floats are by torch).
Tensor blend(const Tensor& x, const Tensor& ref, const Tensor& f) {
  const Tensor mixed = f.to(x.dtype()) * x + (1.0 - f).to(x.dtype()) * ref;
  return clamp(mixed, 0.0, 1.0);
}

// The grayscale [n, 1, H, W] of a float batch of 1 or 3 channels.
Tensor grayscale_of(const Tensor& batch) {
  if (batch.size(1) == 1) return batch;
  const Tensor r = batch.select(1, 0), g = batch.select(1, 1), b = batch.select(1, 2);
  return (r * 0.2989 + g * 0.587 + b * 0.114).unsqueeze(1);
}

// The ops on a float batch, f [n, 1, 1, 1] (Note [Colour maths]).
Tensor brightness_of(const Tensor& batch, const Tensor& f) { return clamp(f.to(batch.dtype()) * batch, 0.0, 1.0); }

Tensor contrast_of(const Tensor& batch, const Tensor& f) {
  return blend(batch, mean(grayscale_of(batch), Dims{1, 2, 3}, /*keepdim=*/true), f);
}

Tensor saturation_of(const Tensor& batch, const Tensor& f) {
  if (batch.size(1) == 1) return batch;
  return blend(batch, grayscale_of(batch), f);
}

// The one of the six candidates that sector i (0..5, a float tensor) names, elementwise.
Tensor pick_sector(const Tensor& i, const std::array<Tensor, 6>& candidates) {
  Tensor out = candidates[5];
  for (int k = 4; k >= 0; --k) out = where(eq(i, static_cast<double>(k)), candidates[static_cast<size_t>(k)], out);
  return out;
}

Tensor hue_of(const Tensor& batch, const Tensor& f) {
  if (batch.size(1) == 1) return batch;
  // RGB -> HSV (torchvision's _rgb2hsv); where maxc == minc, h and s are 0
  const Tensor r = batch.select(1, 0), g = batch.select(1, 1), b = batch.select(1, 2);
  const Tensor maxc = batch.amax(Dims{1}), minc = batch.amin(Dims{1});
  const Tensor eqc = eq(maxc, minc);
  const Tensor cr = maxc - minc;
  const Tensor s = cr / where(eqc, 1.0, maxc);
  const Tensor cr_divisor = where(eqc, 1.0, cr);
  const Tensor rc = (maxc - r) / cr_divisor, gc = (maxc - g) / cr_divisor, bc = (maxc - b) / cr_divisor;
  const Tensor max_is_r = eq(maxc, r), max_is_g = eq(maxc, g);
  const Tensor hr = where(max_is_r, bc - gc, 0.0);
  const Tensor hg = where(max_is_g & ~max_is_r, 2.0 + rc - bc, 0.0);
  const Tensor hb = where(~max_is_g & ~max_is_r, 4.0 + gc - rc, 0.0);
  Tensor h = fmod((hr + hg + hb) / 6.0 + 1.0, 1.0);
  // the shift, modulo 1 with Python's sign (torch's %)
  h = remainder(h + f.to(batch.dtype()).view({f.size(0), 1, 1}), 1.0);
  // HSV -> RGB (torchvision's _hsv2rgb), v = maxc
  const Tensor& v = maxc;
  const Tensor i = floor(h * 6.0);
  const Tensor frac = h * 6.0 - i;
  const Tensor sector = remainder(i, 6.0);
  const Tensor p = clamp(v * (1.0 - s), 0.0, 1.0);
  const Tensor q = clamp(v * (1.0 - s * frac), 0.0, 1.0);
  const Tensor t = clamp(v * (1.0 - s * (1.0 - frac)), 0.0, 1.0);
  return stack({pick_sector(sector, {v, q, p, p, t, v}), pick_sector(sector, {t, v, v, q, p, p}),
                pick_sector(sector, {p, p, t, v, v, q})},
               1);
}

Tensor apply_op(ColorOp op, const Tensor& batch, const Tensor& f) {
  switch (op) {
    case kBrightness: return brightness_of(batch, f);
    case kContrast: return contrast_of(batch, f);
    case kSaturation: return saturation_of(batch, f);
    case kHue: return hue_of(batch, f);
  }
  EMBER_FAIL("ColorJitter: unknown colour op ", static_cast<int>(op));
}

// A functional form: images through op with a per-sample factor tensor.
Tensor adjust(const Tensor& images, const Tensor& factor, ColorOp op, const char* name, const char* factor_name,
              const char* permitted) {
  return on_float_batch(images, name, permitted, [&](const Tensor& batch) {
    return apply_op(op, batch, per_sample_factor(factor, batch, name, factor_name));
  });
}

// A number as a one-value float64 tensor on the images' device (every sample gets it).
Tensor factor_tensor(const Tensor& images, double factor) {
  return full({1}, factor, TensorOptions(kFloat64).device(images.defined() ? images.device() : Device()));
}

void check_non_negative(double factor, const char* factor_name) {
  EMBER_CHECK(factor >= 0, factor_name, " (", detail::python_number(factor), ") is not non-negative.");
  EMBER_CHECK(std::isfinite(factor), factor_name, " (", factor, ") is not a finite number.");
}

}  // namespace

namespace functional {

Tensor rgb_to_grayscale(const Tensor& images, int64_t num_output_channels) {
  EMBER_CHECK(num_output_channels == 1 || num_output_channels == 3,
              "num_output_channels should be either 1 or 3, but got ", num_output_channels);
  return on_float_batch(images, "rgb_to_grayscale", "[1, 3]", [&](const Tensor& batch) {
    const Tensor gray = grayscale_of(batch);
    return num_output_channels == 3 ? gray.expand(batch.sizes()) : gray;
  });
}

Tensor adjust_brightness(const Tensor& images, const Tensor& brightness_factor) {
  return adjust(images, brightness_factor, kBrightness, "adjust_brightness", "brightness_factor", "[1, 3]");
}

Tensor adjust_brightness(const Tensor& images, double brightness_factor) {
  check_non_negative(brightness_factor, "brightness_factor");
  return adjust_brightness(images, factor_tensor(images, brightness_factor));
}

Tensor adjust_contrast(const Tensor& images, const Tensor& contrast_factor) {
  return adjust(images, contrast_factor, kContrast, "adjust_contrast", "contrast_factor", "[3, 1]");
}

Tensor adjust_contrast(const Tensor& images, double contrast_factor) {
  check_non_negative(contrast_factor, "contrast_factor");
  return adjust_contrast(images, factor_tensor(images, contrast_factor));
}

Tensor adjust_saturation(const Tensor& images, const Tensor& saturation_factor) {
  return adjust(images, saturation_factor, kSaturation, "adjust_saturation", "saturation_factor", "[1, 3]");
}

Tensor adjust_saturation(const Tensor& images, double saturation_factor) {
  check_non_negative(saturation_factor, "saturation_factor");
  return adjust_saturation(images, factor_tensor(images, saturation_factor));
}

Tensor adjust_hue(const Tensor& images, const Tensor& hue_factor) {
  return adjust(images, hue_factor, kHue, "adjust_hue", "hue_factor", "[1, 3]");
}

Tensor adjust_hue(const Tensor& images, double hue_factor) {
  EMBER_CHECK(hue_factor >= -0.5 && hue_factor <= 0.5, "hue_factor (", detail::python_number(hue_factor),
              ") is not in [-0.5, 0.5].");
  return adjust_hue(images, factor_tensor(images, hue_factor));
}

}  // namespace functional

ColorJitter::ColorJitter(NumberOrList brightness, NumberOrList contrast, NumberOrList saturation, NumberOrList hue) {
  const std::array<const NumberOrList*, 4> args{&brightness, &contrast, &saturation, &hue};
  for (size_t op = 0; op < 4; ++op) {
    const NumberOrList& arg = *args[op];
    const char* name = kOpNames[op];
    const bool is_hue = op == kHue;
    const double center = is_hue ? 0.0 : 1.0;
    std::pair<double, double> bounds;
    if (arg.is_number) {
      const double v = arg.values[0];
      EMBER_CHECK(v >= 0, "If ", name, " is a single number, it must be non negative.");
      // torchvision checks a number's hue range only when adjust_hue runs; ember here
      EMBER_CHECK(!is_hue || v <= 0.5, "hue values should be between (-0.5, 0.5), but got ", name, "=",
                  detail::python_number(v), " (the range [-", detail::python_number(v), ", ",
                  detail::python_number(v), "])");
      bounds = {is_hue ? -v : std::max(1.0 - v, 0.0), center + v};
    } else {
      EMBER_CHECK(arg.values.size() == 2, name, " should be a single number or a list/tuple with length 2.");
      bounds = {arg.values[0], arg.values[1]};
      const bool in_bounds = is_hue ? (-0.5 <= bounds.first && bounds.first <= bounds.second && bounds.second <= 0.5)
                                    : (0.0 <= bounds.first && bounds.first <= bounds.second);
      EMBER_CHECK(in_bounds, name, " values should be between ", is_hue ? "(-0.5, 0.5)" : "(0, inf)", ", but got ",
                  arg.repr());
    }
    EMBER_CHECK(std::isfinite(bounds.first) && std::isfinite(bounds.second), name,
                " values should be finite numbers, but got ", arg.repr());
    if (bounds.first == center && bounds.second == center) continue;  // off
    ranges_[op] = Range{bounds, arg.is_number};
  }
}

Tensor ColorJitter::operator()(const Tensor& images) const {
  const Tensor checked = detail::as_batch(images, "ColorJitter");
  const int64_t n = checked.size(0);
  const Device device = checked.device();
  // the order per sample: position k names op order[:, k] (Note [Colour jitter in a batch])
  const Tensor order = argsort(rand({n, 4}, TensorOptions(kFloat64).device(device)), 1);
  std::array<Tensor, 4> factors;
  bool any = false;
  for (size_t op = 0; op < 4; ++op) {
    if (!ranges_[op]) continue;
    any = true;
    const auto [lo, hi] = ranges_[op]->bounds;
    factors[op] = detail::uniform(n, lo, hi, device).view({n, 1, 1, 1});
  }
  if (!any) return images;
  return on_float_batch(images, "ColorJitter", "[1, 3]", [&](const Tensor& batch) {
    Tensor out = batch;
    for (int64_t k = 0; k < 4; ++k) {
      const Tensor at_k = order.select(1, k).view({n, 1, 1, 1});
      Tensor next = out;
      for (size_t op = 0; op < 4; ++op) {
        if (!ranges_[op]) continue;
        next = where(eq(at_k, static_cast<int64_t>(op)), apply_op(static_cast<ColorOp>(op), out, factors[op]), next);
      }
      out = next;
    }
    return out;
  });
}

std::string ColorJitter::repr() const {
  std::string s = "ColorJitter(";
  for (size_t op = 0; op < 4; ++op) {
    if (op) s.append(", ");
    s.append(kOpNames[op]).append("=");
    if (!ranges_[op]) {
      s.append("None");
    } else {
      const auto [lo, hi] = ranges_[op]->bounds;
      // a number's range is a list of Python floats; a pair is printed as the user gave it
      if (ranges_[op]->from_number)
        s.append(detail::python_float_list({lo, hi}));
      else
        s.append("(").append(detail::python_number(lo)).append(", ").append(detail::python_number(hi)).append(")");
    }
  }
  return s + ")";
}

Grayscale::Grayscale(int64_t num_output_channels) : num_output_channels_(num_output_channels) {
  EMBER_CHECK(num_output_channels == 1 || num_output_channels == 3,
              "num_output_channels should be either 1 or 3, but got ", num_output_channels);
}

Tensor Grayscale::operator()(const Tensor& images) const {
  return functional::rgb_to_grayscale(images, num_output_channels_);
}

std::string Grayscale::repr() const {
  return "Grayscale(num_output_channels=" + std::to_string(num_output_channels_) + ")";
}

RandomGrayscale::RandomGrayscale(double p) : p_(p) {
  detail::check_probability(p, "RandomGrayscale: the probability p should be between 0 and 1");
}

Tensor RandomGrayscale::operator()(const Tensor& images) const {
  return on_float_batch(images, "RandomGrayscale", "[1, 3]", [&](const Tensor& batch) {
    const Tensor mask = detail::coin(batch.size(0), p_, batch.device()).view({batch.size(0), 1, 1, 1});
    return where(mask, grayscale_of(batch), batch);
  });
}

std::string RandomGrayscale::repr() const { return "RandomGrayscale(p=" + nn::detail::python_float(p_) + ")"; }

}  // namespace ember::transforms
