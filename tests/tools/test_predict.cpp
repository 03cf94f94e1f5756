// `ember predict`'s pieces (Note [ember predict] in tools/predict.h): the images read,
// resized and normalised as the checkpoint's training data, and the top classes (softmax in
// double, highest first, ties to the lower index) under eval().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "nn/data/datasets.h"
#include "nn/layers.h"
#include "support/image_files.h"
#include "support/temp_dir.h"
#include "tools/predict.h"

namespace ember::tools {
namespace {

using ember::testing::TempDir;
#ifdef EMBER_TEST_PNG
using ember::testing::write_png;
#endif
using ::testing::HasSubstr;

#ifdef EMBER_TEST_PNG
TEST(Predict, ImagesAreNormalisedAsTheCheckpointsTrainingData) {
  EMBER_SKIP_UNLESS_READABLE("png");
  TempDir dir;
  std::vector<unsigned char> pixels(28 * 28);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<unsigned char>(i % 256);
  write_png(dir.file("ramp.png"), 28, 28, 1, pixels);
  // Another size is resized to 28x28: a flat image stays flat.
  write_png(dir.file("flat.png"), 7, 14, 1, std::vector<unsigned char>(7 * 14, 102));

  const std::vector<std::string> paths{dir.file("ramp.png"), dir.file("flat.png")};
  const CheckpointInput fashion_mnist{.classes = {"a"}, .shape = {}, .fashion_mnist = true};
  const CheckpointInput image_folder{.classes = {"a"}, .shape = {}, .fashion_mnist = false};
  const Tensor folder = prediction_inputs(paths, image_folder, /*invert=*/false);
  const Tensor fashion = prediction_inputs(paths, fashion_mnist, /*invert=*/false);
  const Tensor inverted = prediction_inputs(paths, image_folder, /*invert=*/true);
  ASSERT_EQ(folder.sizes(), (Dims{2, 1, 28, 28}));
  const std::vector<double> f = folder.to_vector<double>(), m = fashion.to_vector<double>(),
                            v = inverted.to_vector<double>();
  for (size_t i = 0; i < 28 * 28; ++i) {
    const double x = pixels[i] / 255.0;
    ASSERT_NEAR(f[i], (x - 0.5) / 0.5, 1e-6) << i;
    ASSERT_NEAR(m[i], (x - data::FashionMNIST::kMean) / data::FashionMNIST::kStd, 1e-6) << i;
    ASSERT_NEAR(v[i], (1 - x - 0.5) / 0.5, 1e-6) << i;
  }
  for (size_t i = 28 * 28; i < f.size(); ++i) ASSERT_NEAR(f[i], (0.4 - 0.5) / 0.5, 1e-6) << i;

  // An RGB checkpoint of 16x12 images reads three channels (a grey PNG repeats its value).
  const CheckpointInput rgb{.classes = {"a"}, .shape = {3, 16, 12}, .fashion_mnist = false};
  const Tensor colour = prediction_inputs({dir.file("flat.png")}, rgb, false);
  ASSERT_EQ(colour.sizes(), (Dims{1, 3, 16, 12}));
  for (double x : colour.to_vector<double>()) ASSERT_NEAR(x, (0.4 - 0.5) / 0.5, 1e-6);

  std::ofstream(dir.file("text.png")) << "not an image";
  try {
    prediction_inputs({dir.file("ramp.png"), dir.file("text.png")}, image_folder, false);
    ADD_FAILURE() << "a text file was read as an image";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("text.png"));
  }
  EXPECT_THROW(prediction_inputs({}, image_folder, false), Error);
}
#endif

// Flatten, dropout, then a linear layer whose logit c is (c + 1) * (mean pixel) * 784 / 784:
// image i filled with x_i has the logits (c + 1) * x_i.
std::shared_ptr<nn::Sequential> scaled_mean_model() {
  auto linear = std::make_shared<nn::Linear>(28 * 28, 3);
  {
    const NoGradGuard no_grad;
    for (int64_t c = 0; c < 3; ++c) linear->weight.select(0, c).fill_((c + 1) / 784.0);
    linear->bias.zero_();
  }
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Dropout>(0.5), linear});
}

TEST(Predict, TopClassesAreTheSoftmaxsLargestUnderEval) {
  const std::vector<double> fills{1.0, -2.0, 0.0, 0.5, 3.0};
  std::vector<Tensor> images;
  for (double x : fills) images.push_back(full({1, 28, 28}, x));
  const Tensor batch = stack(images, 0);
  auto model = scaled_mean_model();
  model->train();  // predict switches to eval(): dropout would change the logits
  for (int64_t batch_size : {2, 5, 64}) {
    const auto tops = top_classes(*model, batch, 2, Device::cpu(), batch_size);
    ASSERT_EQ(tops.size(), fills.size());
    for (size_t i = 0; i < fills.size(); ++i) {
      double total = 0;
      for (int c = 0; c < 3; ++c) total += std::exp((c + 1) * fills[i]);
      const auto p = [&](int c) { return std::exp((c + 1) * fills[i]) / total; };
      ASSERT_EQ(tops[i].size(), 2U);
      // Positive fills favour class 2, negative ones class 0, class 1 second either way;
      // all equal (a fill of 0) ties to 0, then 1.
      const int64_t first = fills[i] > 0 ? 2 : 0, second = 1;
      EXPECT_EQ(tops[i][0].index, first) << i;
      EXPECT_EQ(tops[i][1].index, second) << i;
      // float32 weights of (c + 1) / 784 carry the logits within ~2e-6 of (c + 1) * x.
      EXPECT_NEAR(tops[i][0].probability, p(static_cast<int>(first)), 1e-5) << i;
      EXPECT_NEAR(tops[i][1].probability, p(static_cast<int>(second)), 1e-5) << i;
    }
  }
  EXPECT_FALSE(model->is_training());
  EXPECT_NEAR(top_classes(*model, batch, 3, Device::cpu(), 8)[2][2].probability, 1.0 / 3, 1e-12);
}

TEST(Predict, TopOutOfRangeAndNonFiniteOutputsAreErrors) {
  auto model = scaled_mean_model();
  const Tensor batch = zeros({2, 1, 28, 28});
  try {
    top_classes(*model, batch, 4, Device::cpu(), 8);
    ADD_FAILURE() << "--top 4 of 3 classes was accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("--top must be in [1, 3]"));
  }
  {
    const NoGradGuard no_grad;
    auto* linear = dynamic_cast<nn::Linear*>(model->children().back().get());
    ASSERT_NE(linear, nullptr);
    linear->bias.fill_(std::numeric_limits<double>::quiet_NaN());
  }
  try {
    top_classes(*model, batch, 1, Device::cpu(), 8);
    ADD_FAILURE() << "NaN outputs were ranked";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("are not finite"));
  }
}

}  // namespace
}  // namespace ember::tools
