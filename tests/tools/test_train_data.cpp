// What checkpoints record of their data (Note [ember train --image-folder] in
// tools/train_data.h): classes, input shape and normalisation read back, older
// checkpoints' defaults, bad metadata and contradicting flags as errors; the small CNN
// sized by its input shape; checkpoints whose tensors contradict their metadata.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "support/helpers.h"
#include "support/temp_dir.h"
#include "tools/small_cnn.h"
#include "tools/train_data.h"

namespace ember::tools {
namespace {

TEST(TrainData, CheckpointsRecordTheirClassesShapeAndData) {
  TrainingData folder;
  folder.classes = {"cat", "dog"};
  folder.shape = {3, 32, 24};
  folder.fashion_mnist = false;
  const CheckpointInput read = checkpoint_input(input_metadata(folder), "c.safetensors");
  EXPECT_EQ(read.classes, folder.classes);
  EXPECT_EQ(read.shape, (ImageShape{3, 32, 24}));
  EXPECT_FALSE(read.fashion_mnist);

  TrainingData fashion;
  fashion.classes = data::FashionMNIST::classes();
  const nn::Metadata meta = input_metadata(fashion);
  EXPECT_EQ(meta.at("input_shape"), "1x28x28");
  EXPECT_EQ(meta.at("data"), "fashion-mnist");
  EXPECT_TRUE(checkpoint_input(meta, "c.safetensors").fashion_mnist);
}

TEST(TrainData, OlderCheckpointsAreReadByTheirClasses) {
  const CheckpointInput none = checkpoint_input({}, "c.safetensors");
  EXPECT_EQ(none.classes, data::FashionMNIST::classes());
  EXPECT_TRUE(none.fashion_mnist);
  EXPECT_EQ(none.shape, ImageShape{});
  const CheckpointInput named = checkpoint_input({{"classes", "dark\nlight"}}, "c.safetensors");
  EXPECT_EQ(named.classes, (std::vector<std::string>{"dark", "light"}));
  EXPECT_FALSE(named.fashion_mnist);
  EXPECT_EQ(named.shape, ImageShape{});
}

TEST(TrainData, BadMetadataNamesTheCheckpoint) {
  EXPECT_EMBER_ERROR(checkpoint_input({{"classes", "cat\n\ndog"}}, "c.safetensors"),
                    "checkpoint 'c.safetensors': its \"classes\" metadata should name one class per line");
  // Names are printed to the terminal: no control character (an escape sequence), shown escaped.
  EXPECT_EMBER_ERROR(checkpoint_input({{"classes", "cat\ndo\x1b[2Jg"}}, "c.safetensors"),
                     "metadata has a name holding a line break or another control character: 'do\\x1b[2Jg'");
  EXPECT_EMBER_ERROR(checkpoint_input({{"input_shape", "1x28"}}, "c.safetensors"),
                    "should be CxHxW (e.g. 1x28x28), but is '1x28'");
  EXPECT_EMBER_ERROR(checkpoint_input({{"input_shape", "2x28x28"}}, "c.safetensors"), "(channels)");
  EXPECT_EMBER_ERROR(checkpoint_input({{"input_shape", "1x28x99999"}}, "c.safetensors"), "(width)");
  EXPECT_EMBER_ERROR(checkpoint_input({{"input_shape", "1x-3x28"}}, "c.safetensors"), "(height)");
  EXPECT_EMBER_ERROR(checkpoint_input({{"data", "cifar"}}, "c.safetensors"),
                    "should be fashion-mnist or image-folder, but is 'cifar'");
  EXPECT_EMBER_ERROR(checkpoint_input({{"data", "fashion-mnist"}, {"input_shape", "3x28x28"}}, "c.safetensors"),
                    "Fashion-MNIST's images are 1x28x28");
}

TEST(TrainData, FlagsChooseTheShapeUnlessTheCheckpointSaysOtherwise) {
  EXPECT_EQ(resolve_image_shape({}, "", nullptr, ""), ImageShape{});
  EXPECT_EQ(resolve_image_shape({.size = 32, .mode = "rgb"}, "dir", nullptr, ""), (ImageShape{3, 32, 32}));
  EXPECT_EQ(resolve_image_shape({.size = 40, .mode = ""}, "dir", nullptr, ""), (ImageShape{1, 40, 40}));
  const CheckpointInput rgb{.classes = {"a", "b"}, .shape = {3, 32, 32}, .fashion_mnist = false};
  EXPECT_EQ(resolve_image_shape({}, "dir", &rgb, "c.safetensors"), (ImageShape{3, 32, 32}));
  EXPECT_EQ(resolve_image_shape({.size = 32, .mode = "rgb"}, "dir", &rgb, "c.safetensors"), (ImageShape{3, 32, 32}));
  EXPECT_EMBER_ERROR(resolve_image_shape({.size = 28, .mode = ""}, "dir", &rgb, "c.safetensors"),
                    "checkpoint 'c.safetensors' was trained on 3x32x32 images, but --image-size/--image-mode ask "
                    "for 3x28x28");
  EXPECT_EMBER_ERROR(resolve_image_shape({.size = 32, .mode = ""}, "", nullptr, ""),
                    "--image-size: only with --image-folder");
  EXPECT_EMBER_ERROR(resolve_image_shape({.size = std::nullopt, .mode = "rgb"}, "", nullptr, ""),
                    "--image-mode: only with --image-folder");
  EXPECT_EMBER_ERROR(load_training_data("/nonexistent", "", {3, 28, 28}, false), "Fashion-MNIST's images are 1x28x28");
}

TEST(TrainData, ACheckpointMustHaveBeenTrainedOnDataLikeThis) {
  TrainingData folder;
  folder.classes = {"dark", "light"};
  folder.shape = {3, 32, 32};
  folder.fashion_mnist = false;
  const CheckpointInput same{.classes = {"dark", "light"}, .shape = {3, 32, 32}, .fashion_mnist = false};
  check_checkpoint_data(same, folder, "c.safetensors");
  CheckpointInput other = same;
  other.classes = {"cat", "dog"};
  EXPECT_EMBER_ERROR(check_checkpoint_data(other, folder, "c.safetensors"),
                     "checkpoint 'c.safetensors' was trained on the classes cat, dog, but the data has dark, light");
  other = same;
  other.fashion_mnist = true;
  EXPECT_EMBER_ERROR(check_checkpoint_data(other, folder, "c.safetensors"),
                     "was trained on Fashion-MNIST, but the data is an image folder");
  other = same;
  other.shape = {1, 32, 32};
  EXPECT_EMBER_ERROR(check_checkpoint_data(other, folder, "c.safetensors"),
                     "was trained on 1x32x32 images, but the data's are 3x32x32");
}

TEST(TrainData, ACheckpointsTensorsMustMatchItsMetadata) {
  ember::testing::TempDir dir;
  TrainingData data;
  data.classes = {"a", "b", "c"};
  data.shape = {3, 12, 8};
  data.fashion_mnist = false;
  auto model = make_small_cnn(3, data.shape);
  nn::StateDict sd;
  for (auto& [k, v] : model->state_dict()) sd.emplace_back("model." + k, v);
  nn::save(sd, dir.file("ok.safetensors"), input_metadata(data));
  const CheckpointInput read = read_checkpoint_input(nn::load_file(dir.file("ok.safetensors")), "ok.safetensors");
  EXPECT_EQ(read.shape, data.shape);
  EXPECT_EQ(read.classes, data.classes);

  nn::Metadata bigger = input_metadata(data);
  bigger["input_shape"] = "3x1024x1024";  // would build a 2 GiB linear layer before failing to load
  nn::save(sd, dir.file("bigger.safetensors"), bigger);
  EXPECT_EMBER_ERROR(read_checkpoint_input(nn::load_file(dir.file("bigger.safetensors")), "bigger.safetensors"),
                     "implies model.10.weight of shape [128, 4194304], but the tensor is [128, 384]");
  nn::Metadata fewer = input_metadata(data);
  fewer["classes"] = "a\nb";
  nn::save(sd, dir.file("fewer.safetensors"), fewer);
  EXPECT_EMBER_ERROR(read_checkpoint_input(nn::load_file(dir.file("fewer.safetensors")), "fewer.safetensors"),
                     "model.13.weight of shape [2, 128]");
  nn::save({sd.begin() + 1, sd.end()}, dir.file("partial.safetensors"), input_metadata(data));
  EXPECT_EMBER_ERROR(read_checkpoint_input(nn::load_file(dir.file("partial.safetensors")), "partial.safetensors"),
                     "expected a tensor model.0.weight (the small CNN of ember train), but it has none");
}

TEST(TrainData, TheSmallCnnTakesItsInputShape) {
  const NoGradGuard no_grad;
  for (const ImageShape shape : {ImageShape{}, ImageShape{3, 32, 32}, ImageShape{1, 9, 30}, ImageShape{3, 4, 4}}) {
    auto model = make_small_cnn(5, shape);
    model->eval();
    const Tensor out = model->forward(zeros({2, shape.channels, shape.height, shape.width}));
    EXPECT_EQ(out.sizes(), (Dims{2, 5})) << shape.str();
  }
  EXPECT_EMBER_ERROR(make_small_cnn(5, {1, 3, 28}), "expected images of at least 4x4 pixels");
}

}  // namespace
}  // namespace ember::tools
