// The data of `ember train` / `ember eval` and what checkpoints record of it (Note [ember
// train --image-folder] in tools/train_data.h).
#include "tools/train_data.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "core/error.h"
#include "core/parse.h"
#include "nn/data/image_folder.h"
#include "nn/serialize/json.h"

namespace ember::tools {
namespace {

constexpr const char* kFashionMnist = "fashion-mnist";
constexpr const char* kImageFolder = "image-folder";
constexpr int64_t kMaxSide = 1024;  // --image-size and a checkpoint's input_shape: 4..1024

std::shared_ptr<data::ImageFolder> folder_split(const std::string& dir, ImageShape shape) {
  return std::make_shared<data::ImageFolder>(
      dir, data::ImageFolderOptions{.mode = shape.channels == 3 ? data::ImageReadMode::RGB : data::ImageReadMode::GRAY,
                                    .size = std::make_pair(shape.height, shape.width),
                                    .mean = {data_normalization(true).mean},
                                    .std = {data_normalization(true).std}});
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string lines(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : "\n") + n;
  return out;
}

// "CxHxW" with C 1 or 3 and H, W in [4, kMaxSide].
ImageShape parse_shape(const std::string& text, const std::string& path) {
  const std::string what = "checkpoint '" + path + "': its \"" + kInputShapeKey + "\" metadata";
  const size_t x1 = text.find('x'), x2 = x1 == std::string::npos ? x1 : text.find('x', x1 + 1);
  EMBER_CHECK(x2 != std::string::npos, what, " should be CxHxW (e.g. 1x28x28), but is '", text, "'");
  const std::string_view all(text);
  const ImageShape shape{parse_integer(all.substr(0, x1), 1, 3, what + " (channels)"),
                         parse_integer(all.substr(x1 + 1, x2 - x1 - 1), 4, kMaxSide, what + " (height)"),
                         parse_integer(all.substr(x2 + 1), 4, kMaxSide, what + " (width)")};
  EMBER_CHECK(shape.channels != 2, what, " (channels): expected 1 (grey) or 3 (RGB), but got 2");
  return shape;
}

// What makes a class name unusable, or nullptr: checkpoints keep one name per line in
// JSON metadata (so no line break, and UTF-8), and ember prints them to the terminal (so
// no control character, which could be an escape sequence).
const char* class_name_problem(const std::string& name) {
  for (const char ch : name) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x20 || byte == 0x7f) return "a line break or another control character";
  }
  try {
    (void)nn::json::quote(name);
  } catch (const Error&) {
    return "bytes that are not UTF-8";
  }
  return nullptr;
}

// `name` quoted, each byte outside printable ASCII as \xHH (safe to print whatever it holds).
std::string printable(const std::string& name) {
  static const char* const kHex = "0123456789abcdef";
  std::string out = "'";
  for (const char ch : name) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte >= 0x20 && byte < 0x7f) {
      out += ch;
    } else {
      out.append("\\x").push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
  }
  return out + "'";
}

}  // namespace

TrainingData load_training_data(const std::string& fashion_root, const std::string& image_folder, ImageShape shape,
                                bool with_train) {
  TrainingData out;
  if (image_folder.empty()) {
    EMBER_CHECK(shape == ImageShape{}, "Fashion-MNIST's images are 1x28x28, but ", shape.str(), " was asked for");
    try {
      if (with_train) out.train = std::make_shared<data::FashionMNIST>(fashion_root, data::Split::Train);
      out.test = std::make_shared<data::FashionMNIST>(fashion_root, data::Split::Test);
    } catch (const Error& e) {
      EMBER_FAIL(e.what(), "; --data DIR reads them from another folder");
    }
    out.classes = data::FashionMNIST::classes();
    return out;
  }
  namespace fs = std::filesystem;
  const fs::path root(image_folder);
  std::error_code ec;
  const fs::path test_dir = fs::is_directory(root / "val", ec) ? root / "val" : root / "test";
  EMBER_CHECK(fs::is_directory(root / "train", ec) && fs::is_directory(test_dir, ec), "--image-folder ", image_folder,
              ": expected ", (root / "train").string(), " and ", (root / "val").string(), " (or ",
              (root / "test").string(), "), each with one folder of images per class");
  const auto test = folder_split(test_dir.string(), shape);
  out.classes = test->classes();
  for (const std::string& name : out.classes) {
    const char* problem = class_name_problem(name);
    EMBER_CHECK(problem == nullptr, "--image-folder ", image_folder, ": a class folder name may not hold ", problem,
                ", but got ", printable(name));
  }
  out.test = test;
  out.shape = shape;
  out.fashion_mnist = false;
  if (with_train) {
    const auto train = folder_split((root / "train").string(), shape);
    const std::vector<std::string>& train_classes = train->classes();
    EMBER_CHECK(train_classes == out.classes, "--image-folder ", image_folder, ": train has the classes ",
                joined(train_classes), " but ", test_dir.filename().string(), " has ", joined(out.classes));
    out.train = train;
  }
  return out;
}

Normalization data_normalization(bool image_folder) {
  if (!image_folder) return {data::FashionMNIST::kMean, data::FashionMNIST::kStd};
  return {0.5, 0.5};
}

CheckpointInput checkpoint_input(const nn::Metadata& metadata, const std::string& path) {
  CheckpointInput out;
  const auto classes = metadata.find(kClassesKey);
  if (classes == metadata.end()) {
    out.classes = data::FashionMNIST::classes();
  } else {
    out.classes.assign(1, "");
    for (char ch : classes->second) {
      if (ch == '\n')
        out.classes.emplace_back();
      else
        out.classes.back() += ch;
    }
    for (const std::string& name : out.classes) {
      EMBER_CHECK(!name.empty(), "checkpoint '", path, "': its \"", kClassesKey,
                  "\" metadata should name one class per line, but has an empty name");
      const char* problem = class_name_problem(name);  // names are printed to the terminal
      EMBER_CHECK(problem == nullptr, "checkpoint '", path, "': its \"", kClassesKey, "\" metadata has a name holding ",
                  problem, ": ", printable(name));
    }
  }
  const auto shape = metadata.find(kInputShapeKey);
  if (shape != metadata.end()) out.shape = parse_shape(shape->second, path);
  const auto data = metadata.find(kDataKey);
  if (data == metadata.end()) {
    out.fashion_mnist = out.classes == data::FashionMNIST::classes();  // before the key: by its classes
  } else {
    EMBER_CHECK(data->second == kFashionMnist || data->second == kImageFolder, "checkpoint '", path, "': its \"",
                kDataKey, "\" metadata should be ", kFashionMnist, " or ", kImageFolder, ", but is '", data->second,
                "'");
    out.fashion_mnist = data->second == kFashionMnist;
  }
  EMBER_CHECK(!out.fashion_mnist || out.shape == ImageShape{}, "checkpoint '", path,
              "': Fashion-MNIST's images are 1x28x28, but its \"", kInputShapeKey, "\" is ", out.shape.str());
  return out;
}

CheckpointInput read_checkpoint_input(const nn::SafetensorsFile& file, const std::string& path) {
  const CheckpointInput in = checkpoint_input(file.metadata, path);
  const ImageShape s = in.shape;
  const std::pair<const char*, Dims> expected[] = {
      {"model.0.weight", {32, s.channels, 3, 3}},
      {"model.10.weight", {128, 64 * (s.height / 4) * (s.width / 4)}},
      {"model.13.weight", {static_cast<int64_t>(in.classes.size()), 128}}};
  for (const auto& [name, sizes] : expected) {
    const auto it = std::find_if(file.tensors.begin(), file.tensors.end(),
                                 [&](const auto& entry) { return entry.first == name; });
    EMBER_CHECK(it != file.tensors.end(), "checkpoint '", path, "': expected a tensor ", name,
                " (the small CNN of ember train), but it has none");
    EMBER_CHECK(it->second.sizes() == sizes, "checkpoint '", path, "': its metadata (", in.classes.size(),
                " classes, input ", s.str(), ") implies ", name, " of shape ", sizes, ", but the tensor is ",
                it->second.sizes());
  }
  return in;
}

nn::Metadata input_metadata(const TrainingData& data) {
  return {{kClassesKey, lines(data.classes)},
          {kInputShapeKey, data.shape.str()},
          {kDataKey, data.fashion_mnist ? kFashionMnist : kImageFolder}};
}

ImageShape resolve_image_shape(const ImageFlags& flags, const std::string& image_folder,
                               const CheckpointInput* checkpoint, const std::string& checkpoint_path) {
  const bool given = flags.size.has_value() || !flags.mode.empty();
  EMBER_CHECK(!given || !image_folder.empty(), flags.size ? "--image-size" : "--image-mode",
              ": only with --image-folder (Fashion-MNIST's images are 28x28 grey)");
  if (image_folder.empty()) return {};  // Fashion-MNIST's; check_checkpoint_data refuses another checkpoint
  ImageShape shape = checkpoint ? checkpoint->shape : ImageShape{};
  if (flags.size) shape.height = shape.width = *flags.size;
  if (!flags.mode.empty()) shape.channels = flags.mode == "rgb" ? 3 : 1;
  EMBER_CHECK(!checkpoint || shape == checkpoint->shape, "checkpoint '", checkpoint_path, "' was trained on ",
              checkpoint->shape.str(), " images, but --image-size/--image-mode ask for ", shape.str());
  return shape;
}

void check_checkpoint_data(const CheckpointInput& checkpoint, const TrainingData& data, const std::string& path) {
  const auto source = [](bool fashion_mnist) { return fashion_mnist ? "Fashion-MNIST" : "an image folder"; };
  EMBER_CHECK(checkpoint.classes == data.classes, "checkpoint '", path, "' was trained on the classes ",
              joined(checkpoint.classes), checkpoint.fashion_mnist ? " (Fashion-MNIST's)" : "", ", but the data has ",
              joined(data.classes));
  EMBER_CHECK(checkpoint.fashion_mnist == data.fashion_mnist, "checkpoint '", path, "' was trained on ",
              source(checkpoint.fashion_mnist), ", but the data is ", source(data.fashion_mnist),
              " (its images are normalised differently)");
  EMBER_CHECK(checkpoint.shape == data.shape, "checkpoint '", path, "' was trained on ", checkpoint.shape.str(),
              " images, but the data's are ", data.shape.str());
}

}  // namespace ember::tools
