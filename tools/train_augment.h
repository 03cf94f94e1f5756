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
//   resized_crop[=MIN]  RandomResizedCrop(the images' size, scale=(MIN, 1)), MIN in (0, 1],
//                default 0.08 (torchvision's), antialiased bilinear
//   jitter[=S]   ColorJitter(brightness=S, contrast=S, saturation=S), S in (0, 1], default 0.4
//   gray[=P]     RandomGrayscale(p=P), default 0.1 (colour images only: --image-mode rgb)
// e.g. `--augment crop,flip` or `--augment crop=4,flip=0.5,erase`. The data set is already
// normalised ((x - mean) / std, data::FashionMNIST), so what crop and rotate bring in from
// outside the image is filled with a black pixel's normalised value (-mean / std; -1 with
// --image-folder: data_normalization in tools/train_data.h), as torchvision's pipeline
// (fill 0 on the raw image, then Normalize) would give, and jitter, whose blends and clamps
// work on pixels in [0, 1], runs between un-normalising and normalising again; resizing is
// linear with weights summing to 1, so resized_crop commutes with Normalize. Each batch
// is augmented on its own device just before the step (one decision per image, drawn from
// ember's generator, so --seed repeats a run; on CUDA nothing is read back), outside the
// captured step under --cuda-graph (the graph copies the augmented batch in). Validation
// and test batches are never augmented.
#pragma once
#include <memory>
#include <string>

#include "nn/transforms/transform.h"
#include "tools/small_cnn.h"
#include "tools/train_data.h"

namespace ember::tools {

// The transform a SPEC describes (Note [ember train --augment]); null for an empty SPEC.
// `norm`: the data's normalisation (a black pixel's value fills crop and rotate; jitter
// works on the pixels); `shape`: the images' (crops keep their size). Throws ember::Error
// naming the bad item and what is accepted.
std::shared_ptr<const transforms::Transform> parse_augment(const std::string& spec, Normalization norm,
                                                           ImageShape shape = {});

}  // namespace ember::tools
