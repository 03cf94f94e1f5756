// The README's small CNN for Fashion-MNIST (28x28 grey images, 10 classes, or another
// input shape and class count for `ember train --image-folder`), shared by
// `ember train`, `ember eval` and `ember mem`, plus device selection and size formatting
// for the tools.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/device.h"
#include "nn/layers.h"

namespace ember::tools {

// The small CNN's input images: channels x height x width (Fashion-MNIST's: 1 x 28 x 28).
struct ImageShape {
  int64_t channels = 1, height = 28, width = 28;
  bool operator==(const ImageShape&) const = default;
  std::string str() const {  // "1x28x28"
    return std::to_string(channels) + "x" + std::to_string(height) + "x" + std::to_string(width);
  }
};

// conv C->32 3x3 pad 1, BN, ReLU, max-pool 2; conv 32->64 3x3 pad 1, BN, ReLU,
// max-pool 2; flatten; dropout 0.25; linear 64*(H/4)*(W/4)->128 (3136 for 28x28); ReLU;
// dropout 0.5; linear 128->num_classes (10 for Fashion-MNIST; an image folder's class count).
// H and W must be at least 4 (each pooling halves them, rounding down).
std::shared_ptr<nn::Sequential> make_small_cnn(int64_t num_classes = 10, ImageShape input = {});

// "1.50 MiB": byte counts in the tools' tables.
std::string mib(int64_t bytes);

// "auto" picks cuda:0 when a CUDA device is present and a trial forward/backward of the
// small CNN succeeds there, else the CPU (with a warning when the trial failed). A CUDA
// choice becomes the current device. "cuda" without a CUDA device is an error.
Device resolve_device(const std::string& spec);

}  // namespace ember::tools
