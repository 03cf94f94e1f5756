// `ember predict`: a trained checkpoint's top classes for the user's own images, read and
// normalised as the checkpoint's training data was (Note [ember predict]).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"
#include "nn/module.h"
#include "tools/train_data.h"

namespace ember::tools {

// Note [ember predict]
// `ember predict --load CKPT IMAGE...` prints, for each PNG or JPEG image, the small CNN's
// K most probable classes (softmax of the logits, computed in double) under eval() and
// inference mode. Each image is prepared as the checkpoint's training images were (its
// metadata says how: Note [ember train --image-folder]): read as grey (or RGB), to
// [0, 1], resized to its input size (data::load_image: antialiased bilinear, as
// ImageFolder and torchvision's Resize of a PIL image, so a large photo is averaged down,
// not aliased), then normalised with Fashion-MNIST's mean and std or to [-1, 1] for an
// `--image-folder` checkpoint. Fashion-MNIST's images are light garments on a black
// ground; a photo of a dark object on a light ground needs `--invert` (1 - x, PIL's
// ImageOps.invert) before the model can recognise it. Ties among probabilities go to the
// lower class index (torch.topk's order on the CPU is not specified there).

// The images at `paths` as the checkpoint's model takes them: float32 [N, C, H, W].
Tensor prediction_inputs(const std::vector<std::string>& paths, const CheckpointInput& checkpoint, bool invert);

struct ClassScore {
  int64_t index = 0;
  double probability = 0;
};

// The `top` most probable classes of each image (highest first), the model run under
// eval() and inference mode on `dev` in batches of `batch_size`.
std::vector<std::vector<ClassScore>> top_classes(nn::Module& model, const Tensor& images, int64_t top, Device dev,
                                                 int64_t batch_size);

}  // namespace ember::tools
