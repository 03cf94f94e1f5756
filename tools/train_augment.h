// `ember train --augment SPEC`: torchvision-style random augmentation of each training
// batch (ember::transforms), parsed from a short comma-separated list.
//
// Note [ember train --augment]
// SPEC names transforms in the order they run, each at most once, with an optional value:
//   crop[=PAD]   RandomCrop(28, padding=PAD), PAD 0..14, default 2 (the images' size and
//                up to half their smaller side with --image-size)
//   flip[=P]     RandomHorizontalFlip(p=P), default 0.5
//   rotate[=DEG] RandomRotation(DEG) (nearest, as torchvision's default), DEG in (0, 180], default 10
//   erase[=P]    RandomErasing(p=P), default 0.5, erased to 0 (the data's mean after Normalize)
// e.g. `--augment crop,flip` or `--augment crop=4,flip=0.5,erase`. The data set is already
// normalised ((x - mean) / std, data::FashionMNIST), so what crop and rotate bring in from
// outside the image is filled with a black pixel's normalised value (-mean / std; -1 with
// --image-folder: black_pixel in tools/train_data.h), as
// torchvision's pipeline (fill 0 on the raw image, then Normalize) would give. Each batch
// is augmented on its own device just before the step (one decision per image, drawn from
// ember's generator, so --seed repeats a run; on CUDA nothing is read back), outside the
// captured step under --cuda-graph (the graph copies the augmented batch in). Validation
// and test batches are never augmented.
#pragma once
#include <memory>
#include <string>

#include "nn/transforms/transform.h"
#include "tools/small_cnn.h"

namespace ember::tools {

// The transform a SPEC describes (Note [ember train --augment]); null for an empty SPEC.
// `background`: the normalised value of a black pixel, the fill of crop and rotate;
// `shape`: the images' (crop keeps their size). Throws ember::Error naming the bad item and
// what is accepted.
std::shared_ptr<const transforms::Transform> parse_augment(const std::string& spec, double background,
                                                           ImageShape shape = {});

}  // namespace ember::tools
