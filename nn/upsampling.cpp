// nn::Upsample: its arguments kept as given, forward through nn::functional::interpolate,
// and PyTorch's repr.
#include "nn/upsampling.h"

#include "nn/repr.h"

namespace ember::nn {

Upsample::Upsample(OutputSize s, ScaleFactor f, std::string m, std::optional<bool> corners,
                   std::optional<bool> recompute)
    : Module("Upsample"),
      size(std::move(s)),
      scale_factor(std::move(f)),
      mode(std::move(m)),
      align_corners(corners),
      recompute_scale_factor(recompute) {}

Upsample::Upsample(std::string type_name, OutputSize s, ScaleFactor f, std::string m, std::optional<bool> corners)
    : Module(std::move(type_name)),
      size(std::move(s)),
      scale_factor(std::move(f)),
      mode(std::move(m)),
      align_corners(corners),
      recompute_scale_factor(std::nullopt) {}

Tensor Upsample::forward(const Tensor& input) {
  return functional::interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor);
}

std::string Upsample::extra_repr() const {
  std::string s;
  if (scale_factor.given())
    s = "scale_factor=" + (scale_factor.single ? detail::python_float(scale_factor.values[0])
                                               : detail::python_tuple(scale_factor.values));
  else
    s = "size=" + (size.values.empty() ? std::string("None")
                   : size.single       ? std::to_string(size.values[0])
                                       : detail::python_tuple(size.values));
  return s + ", mode='" + mode + "'";  // PyTorch 2's repr(self.mode)
}

}  // namespace ember::nn
