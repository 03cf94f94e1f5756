// What `ember train`, `ember eval` and `ember predict` train and test on: Fashion-MNIST
// (--data), or the user's own images in class folders (--image-folder), and what a
// checkpoint records of it (classes, input shape, normalisation).
//
// Note [ember train --image-folder]
// `--image-folder DIR` trains the small CNN on DIR/train/<class>/... and tests it on
// DIR/val/<class>/... (or DIR/test/<class>/... when there is no val), torchvision's
// ImageFolder layout (Note [ImageFolder]): every image (PNG or JPEG) read as grey (or RGB
// with `--image-mode rgb`), resized to 28x28 (or N x N with `--image-size N`; antialiased bilinear)
// and normalised to [-1, 1] ((x - 0.5) / 0.5 in each channel); the model's first
// convolution takes the channels, its first linear layer the size, its last layer has one
// output per class. Both splits must have the same classes. Checkpoints carry the class
// names (metadata "classes"), the input shape ("input_shape", e.g. "3x32x32") and the data
// ("data": "fashion-mnist" or "image-folder", which decides the normalisation), so `ember
// eval --load`, `--resume` and `ember predict` rebuild the same model, refuse data with
// other classes instead of reporting a meaningless accuracy, and refuse --image-size or
// --image-mode flags that contradict the checkpoint. A checkpoint from before these keys
// is Fashion-MNIST's when it names no classes or Fashion-MNIST's, else an image folder's,
// and 1x28x28 either way.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/data/datasets.h"
#include "nn/serialize/safetensors.h"
#include "tools/small_cnn.h"

namespace ember::tools {

// --image-size and --image-mode (only with --image-folder); unset: the checkpoint's, or 28 and gray.
struct ImageFlags {
  std::optional<int64_t> size;  // N: N x N images
  std::string mode;             // "gray" or "rgb"; empty when unset
};

struct TrainingData {
  std::shared_ptr<data::TensorDataset> train;  // null when only the test split was asked for
  std::shared_ptr<data::TensorDataset> test;
  std::vector<std::string> classes;
  ImageShape shape;  // each image: channels x height x width
  bool fashion_mnist = true;
};

// Fashion-MNIST from `fashion_root` when `image_folder` is empty, else the folder's splits
// read as `shape` (Fashion-MNIST's shape is always 1x28x28).
TrainingData load_training_data(const std::string& fashion_root, const std::string& image_folder, ImageShape shape,
                                bool with_train);

// How the data's pixels in [0, 1] were normalised, (x - mean) / std.
struct Normalization {
  double mean = 0.0, std = 1.0;
  double black() const { return -mean / std; }  // a black pixel's value (--augment's fill)
};
// Fashion-MNIST's mean and std, or 0.5 and 0.5 (to [-1, 1]) for an image folder.
Normalization data_normalization(bool image_folder);

// The metadata keys a checkpoint records of its data, and what they say.
inline constexpr const char* kClassesKey = "classes";
inline constexpr const char* kInputShapeKey = "input_shape";
inline constexpr const char* kDataKey = "data";
struct CheckpointInput {
  std::vector<std::string> classes;
  ImageShape shape;
  bool fashion_mnist = true;
};
// Read from a checkpoint's metadata (validated: names the checkpoint at `path` when bad).
CheckpointInput checkpoint_input(const nn::Metadata& metadata, const std::string& path);
// A checkpoint read (`file`, from `path`): its metadata as checkpoint_input, checked against
// its tensors before any model is built from it (the small CNN's first convolution, first
// and last linear layers must have the shapes the classes and input_shape imply).
CheckpointInput read_checkpoint_input(const nn::SafetensorsFile& file, const std::string& path);
// The metadata that records `data`.
nn::Metadata input_metadata(const TrainingData& data);

// The input shape of a run: 1x28x28 for Fashion-MNIST (`image_folder` empty; the flags are
// an error there), else the flags', else the checkpoint's (`checkpoint` may be null), else
// 1x28x28; flags contradicting the checkpoint are an error.
ImageShape resolve_image_shape(const ImageFlags& flags, const std::string& image_folder,
                               const CheckpointInput* checkpoint, const std::string& checkpoint_path);

// The check that a checkpoint was trained on data like `data`: the same classes, source
// (so normalisation) and input shape.
void check_checkpoint_data(const CheckpointInput& checkpoint, const TrainingData& data, const std::string& path);

}  // namespace ember::tools
