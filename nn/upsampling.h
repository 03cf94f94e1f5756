// nn::Upsample over nn::functional::interpolate (a size or a scale factor, a mode,
// align_corners), and PyTorch's fixed-mode forms UpsamplingNearest2d and
// UpsamplingBilinear2d (bilinear with align_corners=True).
#pragma once
#include <initializer_list>
#include <optional>
#include <string>

#include "nn/functional/interpolate.h"
#include "nn/module.h"

namespace ember::nn {

class Upsample : public Module {
 public:
  // As torch.nn.Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None,
  // recompute_scale_factor=None): nn::Upsample({}, 2.0), nn::Upsample({32, 32}, {}, "bilinear").
  explicit Upsample(OutputSize size = {}, ScaleFactor scale_factor = {}, std::string mode = "nearest",
                    std::optional<bool> align_corners = std::nullopt,
                    std::optional<bool> recompute_scale_factor = std::nullopt);
  // nn::Upsample({32, 32}): a size alone (else {32, 32} could also read as Upsample(32, 32)).
  explicit Upsample(std::initializer_list<int64_t> size) : Upsample(OutputSize(size)) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "scale_factor=2.0, mode=nearest" or "size=(3, 4), mode=bilinear"

  const OutputSize size;
  const ScaleFactor scale_factor;
  const std::string mode;
  const std::optional<bool> align_corners, recompute_scale_factor;

 protected:
  Upsample(std::string type_name, OutputSize size, ScaleFactor scale_factor, std::string mode,
           std::optional<bool> align_corners);
};

class UpsamplingNearest2d : public Upsample {
 public:
  explicit UpsamplingNearest2d(OutputSize size = {}, ScaleFactor scale_factor = {})
      : Upsample("UpsamplingNearest2d", std::move(size), std::move(scale_factor), "nearest", std::nullopt) {}
  explicit UpsamplingNearest2d(std::initializer_list<int64_t> size) : UpsamplingNearest2d(OutputSize(size)) {}
};

class UpsamplingBilinear2d : public Upsample {
 public:
  explicit UpsamplingBilinear2d(OutputSize size = {}, ScaleFactor scale_factor = {})
      : Upsample("UpsamplingBilinear2d", std::move(size), std::move(scale_factor), "bilinear", true) {}
  explicit UpsamplingBilinear2d(std::initializer_list<int64_t> size) : UpsamplingBilinear2d(OutputSize(size)) {}
};

}  // namespace ember::nn
