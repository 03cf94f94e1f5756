// nn::PixelShuffle, PixelUnshuffle, ChannelShuffle and Unflatten: forward through
// nn::functional or Tensor::unflatten, reprs as PyTorch prints them.
#include "nn/rearrange.h"

#include "core/error.h"
#include "nn/repr.h"

namespace ember::nn {

PixelShuffle::PixelShuffle(int64_t r) : Module("PixelShuffle"), upscale_factor(r) {}
Tensor PixelShuffle::forward(const Tensor& input) { return functional::pixel_shuffle(input, upscale_factor); }
std::string PixelShuffle::extra_repr() const { return "upscale_factor=" + std::to_string(upscale_factor); }

PixelUnshuffle::PixelUnshuffle(int64_t r) : Module("PixelUnshuffle"), downscale_factor(r) {}
Tensor PixelUnshuffle::forward(const Tensor& input) { return functional::pixel_unshuffle(input, downscale_factor); }
std::string PixelUnshuffle::extra_repr() const { return "downscale_factor=" + std::to_string(downscale_factor); }

ChannelShuffle::ChannelShuffle(int64_t g) : Module("ChannelShuffle"), groups(g) {}
Tensor ChannelShuffle::forward(const Tensor& input) { return functional::channel_shuffle(input, groups); }
std::string ChannelShuffle::extra_repr() const { return "groups=" + std::to_string(groups); }

Unflatten::Unflatten(int64_t d, const Dims& sizes) : Module("Unflatten"), dim(d), unflattened_size(sizes) {
  EMBER_CHECK(!sizes.empty(), "Unflatten: unflattened_size must be non-empty");
}
Tensor Unflatten::forward(const Tensor& input) { return input.unflatten(dim, unflattened_size); }
std::string Unflatten::extra_repr() const {
  return "dim=" + std::to_string(dim) + ", unflattened_size=" + detail::python_tuple(unflattened_size.vec());
}

}  // namespace ember::nn
