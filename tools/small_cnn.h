// The README's small CNN for Fashion-MNIST (28x28 grey images, 10 classes, or another
// class count for `ember train --image-folder`), shared by
// `ember train`, `ember eval` and `ember mem`, plus device selection and size formatting
// for the tools.
#pragma once
#include <memory>
#include <string>

#include "core/device.h"
#include "nn/layers.h"

namespace ember::tools {

// conv 1->32 3x3 pad 1, BN, ReLU, max-pool 2; conv 32->64 3x3 pad 1, BN, ReLU,
// max-pool 2; flatten; dropout 0.25; linear 3136->128; ReLU; dropout 0.5; linear
// 128->num_classes (10 for Fashion-MNIST; an image folder's class count)
std::shared_ptr<nn::Sequential> make_small_cnn(int64_t num_classes = 10);

// "1.50 MiB": byte counts in the tools' tables.
std::string mib(int64_t bytes);

// "auto" picks cuda:0 when a CUDA device is present and a trial forward/backward of the
// small CNN succeeds there, else the CPU (with a warning when the trial failed). A CUDA
// choice becomes the current device. "cuda" without a CUDA device is an error.
Device resolve_device(const std::string& spec);

}  // namespace ember::tools
