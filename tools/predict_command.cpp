// `ember predict --load CKPT IMAGE...`: the top classes of each image under the checkpoint's
// small CNN, as a table or --json (Note [ember predict] in tools/predict.h).
#include <algorithm>
#include <cstdio>
#include <optional>

#include "core/error.h"
#include "nn/serialize/files.h"
#include "nn/serialize/json.h"
#include "nn/serialize/safetensors.h"
#include "tools/commands.h"
#include "tools/flag_checks.h"
#include "tools/predict.h"
#include "tools/small_cnn.h"
#include "tools/train_data.h"
#include "tools/train_guards.h"
#include "tools/train_resume.h"

namespace ember::tools {
namespace {

struct PredictOptions {
  std::string load_path;
  std::vector<std::string> images;
  std::optional<int64_t> top;  // unset: 3, or every class of a checkpoint with fewer
  std::string device = "auto";
  int64_t batch_size = 128;
  bool invert = false;
  std::string json_path;
};

void write_predictions(const std::string& path, const PredictOptions& opt, Device dev,
                       const std::vector<std::string>& classes, const std::vector<std::vector<ClassScore>>& tops) {
  using nn::json::OrderedJson;
  OrderedJson out = {{"checkpoint", opt.load_path}, {"device", dev.str()}, {"invert", opt.invert},
                     {"predictions", OrderedJson::array()}};
  for (size_t i = 0; i < tops.size(); ++i) {
    OrderedJson top = OrderedJson::array();
    for (const ClassScore& s : tops[i])
      top.push_back({{"class", classes.at(static_cast<size_t>(s.index))}, {"index", s.index},
                     {"probability", s.probability}});
    out["predictions"].push_back({{"image", opt.images[i]}, {"top", top}});
  }
  nn::write_text_atomically(path, "write --json file", nn::json::dump(out, 2));
}

int run_predict(const PredictOptions& opt) {
  FlagPaths inputs = {{"--load", opt.load_path}};
  for (const std::string& image : opt.images) inputs.emplace_back("image", image);
  check_train_outputs({{"--json", opt.json_path}}, 0, inputs);
  const nn::SafetensorsFile file = nn::load_file(opt.load_path);  // one read: what is checked is what is loaded
  const CheckpointInput checkpoint = read_checkpoint_input(file, opt.load_path);
  const std::vector<std::string>& classes = checkpoint.classes;
  const auto num_classes = static_cast<int64_t>(classes.size());
  EMBER_CHECK(opt.top.value_or(0) <= num_classes, "--top: the checkpoint has ", num_classes,
              " classes, so at most ", num_classes, ", but got ", opt.top.value_or(0));
  const int64_t top = opt.top.value_or(std::min<int64_t>(3, num_classes));
  const Tensor images = prediction_inputs(opt.images, checkpoint, opt.invert);
  const Device dev = resolve_device(opt.device);
  auto model = make_small_cnn(num_classes, checkpoint.shape);
  load_checkpoint(file, opt.load_path, *model, nullptr);
  model->to(dev);
  const std::vector<std::vector<ClassScore>> tops = top_classes(*model, images, top, dev, opt.batch_size);
  for (size_t i = 0; i < tops.size(); ++i) {
    std::printf("%s", opt.images[i].c_str());
    for (const ClassScore& s : tops[i])
      std::printf("  %s %.4f", classes[static_cast<size_t>(s.index)].c_str(), s.probability);
    std::printf("\n");
  }
  if (!opt.json_path.empty()) write_predictions(opt.json_path, opt, dev, classes, tops);
  return 0;
}

}  // namespace

Runner add_predict_command(CLI::App& sub) {
  auto opt = std::make_shared<PredictOptions>();
  sub.add_option("--load", opt->load_path, "checkpoint of `ember train` (Fashion-MNIST or --image-folder)")
      ->required()
      ->check(CLI::ExistingFile);
  sub.add_option("images", opt->images, "PNG or JPEG images to classify")->required()->check(CLI::ExistingFile);
  sub.add_option("--top", opt->top,
                 "how many classes to print per image, most probable first (default 3, or every class of a "
                 "checkpoint with fewer)")
      ->transform(in_range(1, 1e6));
  sub.add_option("--device", opt->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  sub.add_option("--batch-size", opt->batch_size, "images per forward")
      ->transform(in_range(1, 65536))
      ->capture_default_str();
  sub.add_flag("--invert", opt->invert,
               "invert the images first (1 - x): a dark object on a light ground, where the model learnt light "
               "on dark");
  sub.add_option("--json", opt->json_path, "write the predictions to this JSON file");
  return [opt] { return run_predict(*opt); };
}

}  // namespace ember::tools
