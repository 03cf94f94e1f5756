// `ember train --augment`: SPEC parsed into a Compose of ember::transforms (Note [ember
// train --augment] in train_augment.h).
#include "tools/train_augment.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/parse.h"
#include "nn/transforms/transforms.h"

namespace ember::tools {
namespace {

constexpr std::string_view kAccepted =
    "crop[=PAD], flip[=P], rotate[=DEG], erase[=P], resized_crop[=MIN], jitter[=S] or gray[=P]";

// The whole text a finite decimal number in [min, max] (a probability, an angle).
double parse_value(std::string_view text, double min, double max, const std::string& what) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  EMBER_CHECK(!text.empty() && ec == std::errc{} && ptr == end && std::isfinite(value), what,
              ": expected a number, but got '", text, "'");
  EMBER_CHECK(value >= min && value <= max, what, ": expected a number from ", min, " to ", max, ", but got '", text,
              "'");
  return value;
}

struct Item {
  std::string_view name, value;  // value empty: the default
  bool has_value = false;
};

Item split_item(std::string_view item) {
  const size_t eq = item.find('=');
  if (eq == std::string_view::npos) return {item, {}, false};
  return {item.substr(0, eq), item.substr(eq + 1), true};
}

// A transform of pixels in [0, 1] (ColorJitter's clamps and blends assume them) run on the
// normalised batch: un-normalised, transformed, normalised again.
class OnPixels : public transforms::Transform {
 public:
  OnPixels(transforms::AnyTransform inner, Normalization norm) : inner_(std::move(inner)), norm_(norm) {}
  Tensor operator()(const Tensor& images) const override {
    return (*inner_)(images * norm_.std + norm_.mean).sub(norm_.mean).div(norm_.std);
  }
  std::string repr() const override { return inner_->repr() + " on pixels in [0, 1]"; }

 private:
  transforms::AnyTransform inner_;
  Normalization norm_;
};

transforms::AnyTransform make_transform(const Item& item, Normalization norm, ImageShape shape) {
  const std::string what = "--augment " + std::string(item.name);
  const double background = norm.black();
  if (item.name == "crop") {
    const int64_t pad =
        item.has_value ? parse_integer(item.value, 0, std::min(shape.height, shape.width) / 2, what) : 2;
    return transforms::RandomCrop({shape.height, shape.width}, transforms::IntOrList(pad), false, background);
  }
  if (item.name == "flip")
    return transforms::RandomHorizontalFlip(item.has_value ? parse_value(item.value, 0, 1, what) : 0.5);
  if (item.name == "rotate") {
    const double degrees = item.has_value ? parse_value(item.value, 0, 180, what) : 10;
    EMBER_CHECK(degrees > 0, what, ": expected a number of degrees above 0, but got '", item.value, "'");
    return transforms::RandomRotation(degrees, {.fill = background});
  }
  if (item.name == "erase")
    return transforms::RandomErasing(item.has_value ? parse_value(item.value, 0, 1, what) : 0.5);
  if (item.name == "resized_crop") {
    const double min_scale = item.has_value ? parse_value(item.value, 0, 1, what) : 0.08;
    EMBER_CHECK(min_scale > 0, what, ": expected the smallest area fraction above 0, but got '", item.value, "'");
    return transforms::RandomResizedCrop({shape.height, shape.width}, {min_scale, 1.0});
  }
  if (item.name == "jitter") {
    const double strength = item.has_value ? parse_value(item.value, 0, 1, what) : 0.4;
    EMBER_CHECK(strength > 0, what, ": expected a strength above 0, but got '", item.value, "'");
    return OnPixels(transforms::ColorJitter(strength, strength, strength), norm);
  }
  if (item.name == "gray") {
    EMBER_CHECK(shape.channels == 3, what, ": expected colour images (--image-folder with --image-mode rgb), but the ",
                "images have ", shape.channels, " channel");
    return transforms::RandomGrayscale(item.has_value ? parse_value(item.value, 0, 1, what) : 0.1);
  }
  EMBER_FAIL("--augment: expected ", kAccepted, ", but got '", item.name, "'");
}

}  // namespace

std::shared_ptr<const transforms::Transform> parse_augment(const std::string& spec, Normalization norm,
                                                           ImageShape shape) {
  if (spec.empty()) return nullptr;
  std::vector<transforms::AnyTransform> chain;
  std::set<std::string_view> seen;
  const std::string_view text(spec);
  for (size_t start = 0; start <= text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const Item item = split_item(text.substr(start, comma - start));
    EMBER_CHECK(!item.name.empty(), "--augment: expected a comma-separated list of ", kAccepted, ", but got '", spec,
                "' (an empty item)");
    chain.push_back(make_transform(item, norm, shape));
    EMBER_CHECK(seen.insert(item.name).second, "--augment: '", item.name, "' is given twice in '", spec, "'");
    start = comma + 1;
  }
  return std::make_shared<transforms::Compose>(std::move(chain));
}

}  // namespace ember::tools
