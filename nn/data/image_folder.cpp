// ImageFolder: the class folders and samples found as torchvision finds them, then every
// image decoded, converted and stacked once (Note [ImageFolder] in image_folder.h).
#include "nn/data/image_folder.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "nn/functional/interpolate.h"

namespace ember::data {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool has_image_extension(const std::string& name) {
  const std::string low = lower(name);
  for (const std::string& ext : ImageFolder::extensions())
    if (low.size() >= ext.size() && low.compare(low.size() - ext.size(), ext.size(), ext) == 0) return true;
  return false;
}

bool readable_extension(const std::string& name) {
  const std::string low = lower(name);
  const auto ends = [&](const char* ext) { return low.ends_with(ext); };
  return ends(".png") || ends(".jpg") || ends(".jpeg");
}

std::vector<std::string> find_classes(const std::string& root) {
  std::error_code ec;
  EMBER_CHECK(fs::is_directory(root, ec), "ImageFolder: '", root, "' is not a directory");
  std::vector<std::string> classes;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec))
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) classes.push_back(entry.path().filename().string());
  EMBER_CHECK(!ec, "ImageFolder: cannot list '", root, "': ", ec.message());
  std::sort(classes.begin(), classes.end());
  EMBER_CHECK(!classes.empty(), "Couldn't find any class folder in ", root, ".");
  return classes;
}

// Every image file under `folder` in torchvision's order, sorted(os.walk(folder)) with
// each folder's names sorted: by the folder's path, then by name.
std::vector<std::string> images_under(const fs::path& folder) {
  std::vector<fs::path> paths;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && has_image_extension(it->path().filename().string()))
      paths.push_back(it->path());
  }
  EMBER_CHECK(!ec, "ImageFolder: cannot list '", folder.string(), "': ", ec.message());
  std::sort(paths.begin(), paths.end(), [](const fs::path& a, const fs::path& b) {
    return std::make_pair(a.parent_path().string(), a.filename().string()) <
           std::make_pair(b.parent_path().string(), b.filename().string());
  });
  std::vector<std::string> out;
  for (const fs::path& p : paths) out.push_back(p.string());
  return out;
}

std::vector<std::pair<std::string, int64_t>> find_samples(const std::string& root,
                                                          const std::vector<std::string>& classes) {
  std::vector<std::pair<std::string, int64_t>> samples;
  std::vector<std::string> empty;
  for (size_t c = 0; c < classes.size(); ++c) {
    const std::vector<std::string> paths = images_under(fs::path(root) / classes[c]);
    if (paths.empty()) empty.push_back(classes[c]);
    for (const std::string& path : paths) samples.emplace_back(path, static_cast<int64_t>(c));
  }
  if (!empty.empty()) {
    std::string names, extensions;
    for (const std::string& name : empty) names += (names.empty() ? "" : ", ") + name;
    for (const std::string& ext : ImageFolder::extensions()) extensions += (extensions.empty() ? "" : ", ") + ext;
    EMBER_FAIL("Found no valid file for the classes ", names, ". Supported extensions are: ", extensions);
  }
  return samples;
}

Tensor load_one(const std::string& path, const ImageFolderOptions& options) {
  EMBER_CHECK(readable_extension(path), "ImageFolder: '", path,
              "' has an image extension ember does not decode (it reads .png, .jpg and .jpeg)");
  return load_image(path, options.mode, options.size, options.antialias);
}

Example load_all(const std::vector<std::pair<std::string, int64_t>>& samples, const ImageFolderOptions& options) {
  if (options.size)
    EMBER_CHECK(options.size->first > 0 && options.size->second > 0, "ImageFolder: expected a positive size, but got (",
                options.size->first, ", ", options.size->second, ")");
  const NoGradGuard no_grad;
  std::vector<Tensor> images;
  std::vector<int64_t> labels;
  for (const auto& [path, label] : samples) {
    images.push_back(load_one(path, options));
    EMBER_CHECK(images.back().sizes() == images.front().sizes(), "ImageFolder: every image must have the same size ",
                "to be batched (or give options.size): '", samples.front().first, "' is ", images.front().sizes(),
                " but '", path, "' is ", images.back().sizes());
    labels.push_back(label);
  }
  Tensor x = stack(images, 0);
  const int64_t channels = x.size(1);
  for (const auto* values : {&options.mean, &options.std})
    EMBER_CHECK(values->empty() || values->size() == 1 || static_cast<int64_t>(values->size()) == channels,
                "ImageFolder: expected mean and std with 1 or ", channels, " values, but got ", values->size());
  EMBER_CHECK(options.mean.empty() == options.std.empty(), "ImageFolder: give both mean and std, or neither");
  if (!options.mean.empty()) {
    for (double s : options.std) EMBER_CHECK(s != 0, "ImageFolder: std evaluated to zero, leading to division by zero.");
    const auto per_channel = [&](const std::vector<double>& v) {
      std::vector<double> c(static_cast<size_t>(channels), v.front());
      if (v.size() > 1) c = v;
      return tensor(c, {1, channels, 1, 1}).to(kFloat32);
    };
    x = (x - per_channel(options.mean)) / per_channel(options.std);
  }
  return {x.contiguous(), tensor(labels, {static_cast<int64_t>(labels.size())}, dtype(kInt64))};
}

}  // namespace

Tensor load_image(const std::string& path, ImageReadMode mode, std::optional<std::pair<int64_t, int64_t>> size,
                  bool antialias) {
  Tensor image = read_image(path, mode).to(kFloat32);
  image.div_(255.0);  // in place: a large image costs one float copy, not two
  if (!size || (image.size(1) == size->first && image.size(2) == size->second)) return image;
  return nn::functional::interpolate(image.unsqueeze(0), {size->first, size->second}, {}, "bilinear", false,
                                     std::nullopt, antialias)
      .squeeze(0);
}

const std::vector<std::string>& ImageFolder::extensions() {
  static const std::vector<std::string> all = {".jpg", ".jpeg", ".png",  ".ppm", ".bmp",
                                               ".pgm", ".tif",  ".tiff", ".webp"};
  return all;
}

ImageFolder::Found ImageFolder::find(const std::string& root) {
  Found found{find_classes(root), {}};
  found.samples = find_samples(root, found.classes);
  return found;
}

ImageFolder::ImageFolder(const std::string& root, ImageFolderOptions options) : ImageFolder(find(root), options) {}

ImageFolder::ImageFolder(Found found, const ImageFolderOptions& options)
    : TensorDataset(load_all(found.samples, options)),
      classes_(std::move(found.classes)),
      samples_(std::move(found.samples)) {
  for (size_t c = 0; c < classes_.size(); ++c) class_to_idx_[classes_[c]] = static_cast<int64_t>(c);
}

}  // namespace ember::data
