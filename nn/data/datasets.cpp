// Dataset batching, TensorDataset (one memcpy per sample) and the MNIST-layout
// readers: IDX .gz files -> float32 images via a 256-entry lookup table, int64 labels.
#include "nn/data/datasets.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <typeindex>
#include <typeinfo>

#include "core/demangle.h"
#include "core/error.h"
#include "core/logging.h"
#include "nn/data/idx.h"
#include "nn/data/image_folder.h"

namespace ember::data {
namespace {

// A new CPU tensor [n, row...] of `dtype`.
Tensor make_rows(int64_t n, const Dims& row, DType dtype) {
  Dims sizes{n};
  for (int64_t d : row) sizes.push_back(d);
  return make_empty(sizes, dtype, Device::cpu());
}

Dims row_shape(const Tensor& t) {
  Dims row;
  for (int64_t i = 1; i < t.dim(); ++i) row.push_back(t.size(i));
  return row;
}

void check_index(int64_t i, size_t size) {
  EMBER_CHECK(i >= 0 && static_cast<size_t>(i) < size, "dataset index ", i, " is out of range for a dataset of ", size,
              " samples");
}

// Copies row `src_row` of contiguous `src` into row `dst_row` of contiguous `dst`.
void copy_row(const Tensor& src, int64_t src_row, Tensor& dst, int64_t dst_row, size_t row_bytes) {
  const auto* from = static_cast<const char*>(src.data_ptr()) + static_cast<size_t>(src_row) * row_bytes;
  auto* to = static_cast<char*>(dst.data_ptr()) + static_cast<size_t>(dst_row) * row_bytes;
  std::memcpy(to, from, row_bytes);
}

// One sample's tensor as a contiguous CPU tensor that must match the batch's first sample.
Tensor sample_part(const Tensor& t, const Tensor& first, size_t index, const char* part) {
  EMBER_CHECK(t.defined() && t.is_cpu(), "Dataset::get_batch: sample ", index, " has an undefined or non-CPU ", part);
  EMBER_CHECK(t.sizes() == first.sizes() && t.dtype() == first.dtype(), "Dataset::get_batch: sample ", index, " has ",
              part, " ", t.sizes(), " ", dtype_name(t.dtype()), " but the first sample has ", first.sizes(), " ",
              dtype_name(first.dtype()));
  return t.contiguous();
}

constexpr int64_t kSide = 28;  // MNIST's and Fashion-MNIST's images are 28x28

struct MnistSpec {
  const char* name;        // "MNIST", "Fashion-MNIST"
  const char* hint;        // how to get the files
  const char* class_name;  // torchvision's class: its files are in root/<class_name>/raw
  double mean;
  double std;
};

// Reads one split of an MNIST-layout directory into (images [N,1,H,W] float32, labels [N] int64).
Example load_mnist_layout(const std::string& root, Split split, const MnistOptions& options, const MnistSpec& spec) {
  const auto [images_gz, labels_gz] = mnist_files(split);
  // The files in root itself, or where torchvision's datasets.FashionMNIST(root=...) keeps
  // them: root/FashionMNIST/raw (root/MNIST/raw).
  std::error_code ec;
  auto holds = [&](const std::filesystem::path& d, const std::string& gz) {
    return std::filesystem::is_regular_file(d / gz, ec) ||
           std::filesystem::is_regular_file(d / gz.substr(0, gz.size() - 3), ec);
  };
  const std::filesystem::path torchvision_dir = std::filesystem::path(root) / spec.class_name / "raw";
  const std::filesystem::path dir =
      !holds(root, images_gz) && holds(torchvision_dir, images_gz) ? torchvision_dir : std::filesystem::path(root);
  // Each file as .gz (Debian's, the download) or uncompressed (torchvision's extracted raw/ files).
  auto present = [&](const std::string& gz) {
    if (std::filesystem::is_regular_file(dir / gz, ec)) return gz;
    const std::string plain = gz.substr(0, gz.size() - 3);
    EMBER_CHECK(std::filesystem::is_regular_file(dir / plain, ec), spec.name, " not found in '", dir.string(),
                "': expected ", gz, " or ", plain, " (", spec.hint,
                dir == torchvision_dir ? "" : ", here or in torchvision's " + torchvision_dir.string(), ")");
    return plain;
  };
  const std::string images_name = present(images_gz), labels_name = present(labels_gz);
  // The headers first (Note [Memory follows the data, not the header] in nn/data/idx.cpp):
  // a file of images of another size, or of more images than labels, is refused before a
  // byte of it is inflated.
  const Dims image_dims = read_idx_dims((dir / images_name).string(), 3);
  const Dims label_dims = read_idx_dims((dir / labels_name).string(), 1);
  EMBER_CHECK(image_dims[1] == kSide && image_dims[2] == kSide, spec.name, " in '", dir.string(), "': ", images_name,
              " holds ", image_dims[1], "x", image_dims[2], " images, expected ", kSide, "x", kSide);
  const int64_t n = image_dims[0];
  EMBER_CHECK(label_dims[0] == n, spec.name, " in '", dir.string(), "': ", images_name, " holds ", n, " images but ",
              labels_name, " holds ", label_dims[0], " labels");
  const Tensor raw_images = read_idx((dir / images_name).string(), 3);
  const Tensor raw_labels = read_idx((dir / labels_name).string(), 1);
  EMBER_CHECK(raw_images.sizes() == image_dims && raw_labels.sizes() == label_dims, spec.name, " in '", dir.string(),
              "': the files changed while they were read");

  std::array<float, 256> lut{};
  for (int v = 0; v < 256; ++v) {
    const double x = v / 255.0;
    lut[static_cast<size_t>(v)] = static_cast<float>(options.normalize ? (x - spec.mean) / spec.std : x);
  }
  Tensor images = make_empty({n, 1, raw_images.size(1), raw_images.size(2)}, kFloat32, Device::cpu());
  const uint8_t* src = raw_images.data_ptr<uint8_t>();
  float* dst = images.data_ptr<float>();
  for (int64_t i = 0; i < images.numel(); ++i) dst[i] = lut[src[i]];

  Tensor labels = make_empty({n}, kInt64, Device::cpu());
  const uint8_t* lsrc = raw_labels.data_ptr<uint8_t>();
  int64_t* ldst = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    EMBER_CHECK(lsrc[i] <= 9, spec.name, " in '", dir.string(), "': label ", int{lsrc[i]}, " at index ", i, " of ",
                labels_name, " is outside 0..9");
    ldst[i] = lsrc[i];
  }
  return {images, labels};
}

}  // namespace

Example Dataset::get_batch(const std::vector<int64_t>& indices) const {
  EMBER_CHECK(!indices.empty(), "Dataset::get_batch: expected at least one index");
  Tensor x;
  Tensor y;
  Example first;
  for (size_t k = 0; k < indices.size(); ++k) {
    check_index(indices[k], size());
    Example ex = get(static_cast<size_t>(indices[k]));
    EMBER_CHECK(ex.x.defined() && ex.y.defined(), "Dataset::get_batch: get(", indices[k], ") returned an undefined ",
                ex.x.defined() ? "y" : "x", " (a DataLoader batches both x and y of each sample)");
    if (k == 0) {
      first = ex;
      x = make_rows(static_cast<int64_t>(indices.size()), ex.x.sizes(), ex.x.dtype());
      y = make_rows(static_cast<int64_t>(indices.size()), ex.y.sizes(), ex.y.dtype());
    }
    copy_row(sample_part(ex.x, first.x, k, "x"), 0, x, static_cast<int64_t>(k), ex.x.nbytes());
    copy_row(sample_part(ex.y, first.y, k, "y"), 0, y, static_cast<int64_t>(k), ex.y.nbytes());
  }
  return {x, y};
}

TensorDataset::TensorDataset(Tensor x, Tensor y) {
  EMBER_CHECK(x.defined() && y.defined(), "TensorDataset: expected two defined tensors");
  EMBER_CHECK(x.dim() >= 1 && y.dim() >= 1, "TensorDataset: expected tensors with a sample dimension, got x ",
              x.sizes(), " and y ", y.sizes());
  EMBER_CHECK(x.size(0) == y.size(0), "Size mismatch between tensors: TensorDataset's x has ", x.size(0),
              " samples but y has ", y.size(0));
  EMBER_CHECK(x.is_cpu() && y.is_cpu(), "TensorDataset: expected CPU tensors, got x on ", x.device(), " and y on ",
              y.device());
  x_ = x.detach().contiguous();
  y_ = y.detach().contiguous();
}

Example TensorDataset::get(size_t i) const {
  check_index(static_cast<int64_t>(i), size());
  return {x_[static_cast<int64_t>(i)].clone(), y_[static_cast<int64_t>(i)].clone()};
}

namespace {
// The library's own TensorDatasets, whose get() is TensorDataset's: copying one as a
// TensorDataset, or batching it by rows, keeps what it does.
bool is_plain_tensor_dataset(const TensorDataset& d) {
  return typeid(d) == typeid(TensorDataset) || typeid(d) == typeid(MNIST) || typeid(d) == typeid(FashionMNIST) ||
         typeid(d) == typeid(ImageFolder);
}
}  // namespace

bool TensorDataset::prefetchable() const { return is_plain_tensor_dataset(*this); }

// A derived class that does not override clone() is copied as a TensorDataset (its data);
// if it overrides get(), that copy loses it, so the first such copy of each type warns.
std::shared_ptr<const Dataset> TensorDataset::clone() const {
  if (!is_plain_tensor_dataset(*this)) {
    static std::mutex mu;
    static std::set<std::type_index> warned;
    const std::lock_guard<std::mutex> lock(mu);
    if (warned.insert(std::type_index(typeid(*this))).second) {
      const std::string name = demangled_type_name(typeid(*this));
      logging::warn(
          "{} derives from TensorDataset but does not override clone(): a DataLoader, Subset or "
          "ConcatDataset copies it as a plain TensorDataset, so a get() of its own is not used; override "
          "clone() to return std::make_shared<{}>(*this)",
          name, name);
    }
  }
  return std::make_shared<TensorDataset>(*this);
}

Example TensorDataset::get_batch(const std::vector<int64_t>& indices) const {
  // A derived dataset's own get() (a transform, an augmentation) decides each sample.
  if (!is_plain_tensor_dataset(*this)) return Dataset::get_batch(indices);
  const auto n = static_cast<int64_t>(indices.size());
  Tensor x = make_rows(n, row_shape(x_), x_.dtype());
  Tensor y = make_rows(n, row_shape(y_), y_.dtype());
  const size_t x_row = x_.size(0) > 0 ? x_.nbytes() / static_cast<size_t>(x_.size(0)) : 0;
  const size_t y_row = y_.size(0) > 0 ? y_.nbytes() / static_cast<size_t>(y_.size(0)) : 0;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t i = indices[static_cast<size_t>(k)];
    check_index(i, size());
    copy_row(x_, i, x, k, x_row);
    copy_row(y_, i, y, k, y_row);
  }
  return {x, y};
}

std::pair<std::string, std::string> mnist_files(Split split) {
  const std::string prefix = split == Split::Train ? "train" : "t10k";
  return {prefix + "-images-idx3-ubyte.gz", prefix + "-labels-idx1-ubyte.gz"};
}

MNIST::MNIST(const std::string& root, Split split, MnistOptions options)
    : TensorDataset(load_mnist_layout(
          root, split, options,
          {"MNIST", "put MNIST's four IDX files there, gzip-compressed or not", "MNIST", kMean, kStd})) {}

FashionMNIST::FashionMNIST(const std::string& root, Split split, MnistOptions options)
    : TensorDataset(
          load_mnist_layout(root, split, options,
                            {"Fashion-MNIST", "install Debian's dataset-fashion-mnist or put the four IDX files there",
                             "FashionMNIST", kMean, kStd})) {}

const std::vector<std::string>& FashionMNIST::classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace ember::data
