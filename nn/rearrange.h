// Layers that only move elements: nn::PixelShuffle, nn::PixelUnshuffle, nn::ChannelShuffle
// (over nn::functional's shuffles) and nn::Unflatten (Tensor::unflatten), with PyTorch's
// constructor arguments and reprs.
#pragma once
#include <cstdint>
#include <string>

#include "nn/functional/shuffle.h"
#include "nn/module.h"

namespace ember::nn {

// torch.nn.PixelShuffle(upscale_factor)
class PixelShuffle : public Module {
 public:
  explicit PixelShuffle(int64_t upscale_factor);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "upscale_factor=2"
  const int64_t upscale_factor;
};

// torch.nn.PixelUnshuffle(downscale_factor)
class PixelUnshuffle : public Module {
 public:
  explicit PixelUnshuffle(int64_t downscale_factor);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "downscale_factor=2"
  const int64_t downscale_factor;
};

// torch.nn.ChannelShuffle(groups)
class ChannelShuffle : public Module {
 public:
  explicit ChannelShuffle(int64_t groups);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "groups=2"
  const int64_t groups;
};

// torch.nn.Unflatten(dim, unflattened_size): dim (negative counts from the end) becomes
// unflattened_size (one entry may be -1), the inverse of nn::Flatten.
class Unflatten : public Module {
 public:
  Unflatten(int64_t dim, const Dims& unflattened_size);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;  // "dim=1, unflattened_size=(2, 5, 5)"
  const int64_t dim;
  const Dims unflattened_size;
};

}  // namespace ember::nn
