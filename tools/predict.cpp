// `ember predict`'s pieces (Note [ember predict] in tools/predict.h): the images as the
// checkpoint's model takes them, and the top classes of each.
#include "tools/predict.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "nn/data/datasets.h"
#include "nn/data/image_folder.h"
#include "nn/data/image_io.h"

namespace ember::tools {

Tensor prediction_inputs(const std::vector<std::string>& paths, const CheckpointInput& checkpoint, bool invert) {
  EMBER_CHECK(!paths.empty(), "ember predict: expected at least one image, got none");
  const NoGradGuard no_grad;
  std::vector<Tensor> images;
  images.reserve(paths.size());
  for (const std::string& path : paths)
    images.push_back(data::load_image(path, checkpoint.shape.channels == 3 ? data::ImageReadMode::RGB
                                                                           : data::ImageReadMode::GRAY,
                                      std::pair{checkpoint.shape.height, checkpoint.shape.width}));
  Tensor batch = stack(images, 0);
  if (invert) batch = batch.neg().add(1.0);
  const Normalization norm = data_normalization(!checkpoint.fashion_mnist);
  return batch.sub(norm.mean).div(norm.std);
}

std::vector<std::vector<ClassScore>> top_classes(nn::Module& model, const Tensor& images, int64_t top, Device dev,
                                                 int64_t batch_size) {
  EMBER_CHECK(batch_size > 0, "ember predict: expected a positive batch size, got ", batch_size);
  model.eval();
  const InferenceModeGuard inference;
  std::vector<std::vector<ClassScore>> out;
  const int64_t n = images.size(0);
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t rows = std::min(batch_size, n - start);
    const Tensor logits = model(images.narrow(0, start, rows).to(dev)).to(Device::cpu()).to(kFloat64);
    const int64_t classes = logits.size(1);
    EMBER_CHECK(top >= 1 && top <= classes, "ember predict: --top must be in [1, ", classes,
                "] (the checkpoint's classes), but got ", top);
    const std::vector<double> values = logits.to_vector<double>();
    for (int64_t r = 0; r < rows; ++r) {
      const double* row = values.data() + r * classes;
      EMBER_CHECK(std::all_of(row, row + classes, [](double v) { return std::isfinite(v); }),
                  "ember predict: the model's outputs for image ", start + r,
                  " are not finite (was the checkpoint saved from a diverged run?)");
      const double largest = *std::max_element(row, row + classes);
      double total = 0;
      for (int64_t c = 0; c < classes; ++c) total += std::exp(row[c] - largest);
      std::vector<ClassScore> scores;
      for (int64_t c = 0; c < classes; ++c) scores.push_back({c, std::exp(row[c] - largest) / total});
      std::stable_sort(scores.begin(), scores.end(),
                       [](const ClassScore& a, const ClassScore& b) { return a.probability > b.probability; });
      scores.resize(static_cast<size_t>(top));
      out.push_back(std::move(scores));
    }
  }
  return out;
}

}  // namespace ember::tools
