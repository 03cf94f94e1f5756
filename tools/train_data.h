// What `ember train` and `ember eval` train and test on: Fashion-MNIST (--data), or the
// user's own images in class folders (--image-folder), both as 28x28 grey images.
//
// Note [ember train --image-folder]
// `--image-folder DIR` trains the small CNN on DIR/train/<class>/... and tests it on
// DIR/val/<class>/... (or DIR/test/<class>/... when there is no val), torchvision's
// ImageFolder layout (Note [ImageFolder]): every image (PNG or JPEG) read as grey, resized
// to 28x28 (bilinear) and normalised to [-1, 1] ((x - 0.5) / 0.5); the model's last
// layer has one output per class. Both splits must have the same classes. Checkpoints
// carry the class names (metadata "classes"), so `ember eval --load` and `--resume`
// refuse data with other classes instead of reporting a meaningless accuracy; a
// checkpoint without them is Fashion-MNIST's.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nn/data/datasets.h"
#include "nn/serialize/safetensors.h"

namespace ember::tools {

struct TrainingData {
  std::shared_ptr<data::TensorDataset> train;  // null when only the test split was asked for
  std::shared_ptr<data::TensorDataset> test;
  std::vector<std::string> classes;
};

// A black pixel after the data's normalisation (--augment's fill): -mean / std of
// Fashion-MNIST, or -1 for an image folder.
double black_pixel(const std::string& image_folder);

// Fashion-MNIST from `fashion_root` when `image_folder` is empty, else the folder's splits.
TrainingData load_training_data(const std::string& fashion_root, const std::string& image_folder, bool with_train);

// The "classes" metadata of a checkpoint, and the check that a checkpoint's classes
// (Fashion-MNIST's when it names none) are the data's.
inline constexpr const char* kClassesKey = "classes";
std::string classes_metadata(const std::vector<std::string>& classes);
void check_checkpoint_classes(const nn::Metadata& metadata, const std::vector<std::string>& classes,
                              const std::string& path);

}  // namespace ember::tools
