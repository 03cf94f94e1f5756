// The data of `ember train` / `ember eval` (Note [ember train --image-folder] in
// tools/train_data.h).
#include "tools/train_data.h"

#include <filesystem>

#include "core/error.h"
#include "nn/data/image_folder.h"

namespace ember::tools {
namespace {

constexpr int64_t kSide = 28;  // the small CNN's input: 28x28

std::shared_ptr<data::ImageFolder> folder_split(const std::string& dir) {
  return std::make_shared<data::ImageFolder>(
      dir, data::ImageFolderOptions{.mode = data::ImageReadMode::GRAY,
                                    .size = std::make_pair(kSide, kSide),
                                    .mean = {0.5},
                                    .std = {0.5}});
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

TrainingData load_training_data(const std::string& fashion_root, const std::string& image_folder, bool with_train) {
  TrainingData out;
  if (image_folder.empty()) {
    if (with_train) out.train = std::make_shared<data::FashionMNIST>(fashion_root, data::Split::Train);
    out.test = std::make_shared<data::FashionMNIST>(fashion_root, data::Split::Test);
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
  const auto test = folder_split(test_dir.string());
  out.classes = test->classes();
  out.test = test;
  if (with_train) {
    const auto train = folder_split((root / "train").string());
    const std::vector<std::string>& train_classes = train->classes();
    EMBER_CHECK(train_classes == out.classes, "--image-folder ", image_folder, ": train has the classes ",
                joined(train_classes), " but ", test_dir.filename().string(), " has ", joined(out.classes));
    out.train = train;
  }
  return out;
}

double black_pixel(const std::string& image_folder) {
  return image_folder.empty() ? -data::FashionMNIST::kMean / data::FashionMNIST::kStd : (0.0 - 0.5) / 0.5;
}

std::string classes_metadata(const std::vector<std::string>& classes) {
  std::string out;
  for (const std::string& c : classes) out += (out.empty() ? "" : "\n") + c;
  return out;
}

void check_checkpoint_classes(const nn::Metadata& metadata, const std::vector<std::string>& classes,
                              const std::string& path) {
  const auto it = metadata.find(kClassesKey);
  const bool named = it != metadata.end();
  const std::string recorded = named ? it->second : classes_metadata(data::FashionMNIST::classes());
  if (recorded == classes_metadata(classes)) return;
  std::string names;
  for (char ch : recorded) names += ch == '\n' ? std::string(", ") : std::string(1, ch);
  EMBER_FAIL("checkpoint '", path, "' was trained on the classes ", names, named ? "" : " (Fashion-MNIST's: it names none)",
             ", but the data has ", joined(classes));
}

}  // namespace ember::tools
