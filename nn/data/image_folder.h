// torchvision.datasets.ImageFolder: images in one subfolder per class
// (root/<class>/**/<image>), decoded once into memory as float32 [N, C, H, W] in [0, 1]
// (ToTensor), optionally resized and normalised; labels int64 [N] (Note [ImageFolder]).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nn/data/datasets.h"
#include "nn/data/image_io.h"

namespace ember::data {

// Note [ImageFolder]
// As torchvision 0.14's ImageFolder: the classes are root's subfolders, sorted (names
// compared byte by byte, as Python's sorted()); class_to_idx numbers them from 0; the
// samples are every file under each class folder (subfolders included) whose lower-cased
// name ends in an image extension, in sorted(os.walk()) order (by folder path, then by
// name: a class folder's own files before those of its subfolders); a root with
// no class folder and classes with no image are PyTorch's errors. ember reads PNG and
// JPEG (Note [Reading images]); a file with another image extension (.bmp, .webp, ...)
// is an error naming it rather than a silently smaller data set. Directory symlinks are
// not followed (a symlinked file is read). Unlike torchvision, which decodes lazily,
// every image is decoded here, once, and the data set is an in-memory TensorDataset, so
// batches are as fast as Fashion-MNIST's: fine for the small data sets this is for
// (memory is N * C * H * W * 4 bytes). Images are converted to `mode` (default RGB, as
// torchvision's default loader's convert("RGB")), to float32 / 255, resized when `size`
// is given (load_image: antialiased bilinear, what torchvision's Resize does to the PIL
// images its loader gives, unless antialias is false), and normalised when mean/std are
// given (one value, or one per channel). Without `size` every image must have the same size (the first mismatch is
// an error naming both files).
struct ImageFolderOptions {
  ImageReadMode mode = ImageReadMode::RGB;
  std::optional<std::pair<int64_t, int64_t>> size = std::nullopt;  // (height, width)
  std::vector<double> mean = {}, std = {};  // Normalize: one value, or one per channel
  bool antialias = true;                    // how `size` resizes (false: plain bilinear)
};

// One PNG or JPEG image as ToTensor (+ Resize) gives it: float32 [C, H, W] in [0, 1] in
// `mode`, resized to `size` (height, width) when given and different (bilinear,
// antialiased unless antialias is false: Note [Resampling by taps]).
Tensor load_image(const std::string& path, ImageReadMode mode,
                  std::optional<std::pair<int64_t, int64_t>> size = std::nullopt, bool antialias = true);

class ImageFolder : public TensorDataset {
 public:
  static const std::vector<std::string>& extensions();  // torchvision's IMG_EXTENSIONS
  explicit ImageFolder(const std::string& root, ImageFolderOptions options = {});

  const std::vector<std::string>& classes() const { return classes_; }
  const std::map<std::string, int64_t>& class_to_idx() const { return class_to_idx_; }
  // (path, class index) per sample, in the data set's order.
  const std::vector<std::pair<std::string, int64_t>>& samples() const { return samples_; }

 private:
  struct Found {  // what the folders hold, before any image is decoded
    std::vector<std::string> classes;
    std::vector<std::pair<std::string, int64_t>> samples;
  };
  static Found find(const std::string& root);
  ImageFolder(Found found, const ImageFolderOptions& options);
  std::vector<std::string> classes_;
  std::map<std::string, int64_t> class_to_idx_;
  std::vector<std::pair<std::string, int64_t>> samples_;
};

}  // namespace ember::data
