// Datasets: the Dataset interface (size, get, and a batched get_batch fast path),
// TensorDataset over two in-memory tensors, and MNIST / Fashion-MNIST read from the
// IDX .gz files (images float32 [N,1,28,28], optionally normalised; labels int64 [N]).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ember::data {

enum class Split { Train, Test };

// One sample: x (e.g. an image [1,28,28]) and y (a 0-dim label), or a batch of them.
struct Example {
  Tensor x;
  Tensor y;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual size_t size() const = 0;
  virtual Example get(size_t i) const = 0;
  // Stacks the samples at `indices` into x [B, ...] and y [B, ...]. The default calls
  // get() per index and copies; in-memory datasets override it with one memcpy per sample.
  virtual Example get_batch(const std::vector<int64_t>& indices) const;
  // A copy sharing the underlying data, so a DataLoader can own its dataset.
  virtual std::shared_ptr<const Dataset> clone() const = 0;
  // Whether a DataLoader may make batches on its prefetch thread: true for ember's own
  // datasets, whose samples depend on the index alone. A dataset of yours keeps false, so
  // its batches are made on the iterating thread, in order, and a get() that draws random
  // numbers (an augmentation) repeats under manual_seed, as PyTorch's num_workers=0.
  virtual bool prefetchable() const { return false; }
};

// Samples are rows of `x` and `y` (CPU, made contiguous; same first dimension: PyTorch's
// "Size mismatch between tensors" otherwise).
class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor x, Tensor y);
  explicit TensorDataset(Example data) : TensorDataset(std::move(data.x), std::move(data.y)) {}
  size_t size() const override { return static_cast<size_t>(x_.size(0)); }
  Example get(size_t i) const override;  // fresh copies, not views
  Example get_batch(const std::vector<int64_t>& indices) const override;
  // A copy of this TensorDataset (or MNIST / FashionMNIST / ImageFolder). A class derived
  // from it that overrides get() must override clone() too (get_batch() then runs that
  // get()): copied as a TensorDataset it would lose the override, which logs a warning.
  std::shared_ptr<const Dataset> clone() const override;
  bool prefetchable() const override;  // TensorDataset, MNIST, FashionMNIST, ImageFolder: yes

  // The whole data (N first); views of these share the dataset's memory.
  const Tensor& inputs() const { return x_; }
  const Tensor& targets() const { return y_; }

 private:
  Tensor x_;
  Tensor y_;
};

struct MnistOptions {
  bool normalize = true;  // (x/255 - mean) / std; false leaves x/255 in [0, 1]
};

// MNIST-layout data (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
// t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz in `root`, each also read without
// .gz, uncompressed, as torchvision extracts them). Like FashionMNIST it normalises by
// default (MnistOptions{.normalize = false} gives torchvision's ToTensor() values), so a
// port keeps no Normalize(0.1307, 0.3081) of its own.
class MNIST : public TensorDataset {
 public:
  static constexpr double kMean = 0.1307;
  static constexpr double kStd = 0.3081;
  explicit MNIST(const std::string& root, Split split = Split::Train, MnistOptions options = {});
};

class FashionMNIST : public TensorDataset {
 public:
  static constexpr const char* kDefaultRoot = "/usr/share/datasets/fashion-mnist";  // Debian dataset-fashion-mnist
  static constexpr double kMean = 0.2860;
  static constexpr double kStd = 0.3530;
  // The ten class names, by label.
  static const std::vector<std::string>& classes();
  explicit FashionMNIST(const std::string& root = kDefaultRoot, Split split = Split::Train, MnistOptions options = {});
};

// The IDX file names of a split, e.g. {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}.
std::pair<std::string, std::string> mnist_files(Split split);

}  // namespace ember::data
