// `ember train` and `ember eval`: the small CNN on Fashion-MNIST with SGD (Nesterov
// momentum), validation each epoch under eval() + NoGradGuard, checkpoints in
// safetensors (model + optimizer + epoch), a progress bar on a terminal, JSON output.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <ember/ember.h>

#include "nn/data/dataloader.h"
#include "nn/data/datasets.h"
#include "nn/functional/loss.h"
#include "nn/optim/scheduler.h"
#include "nn/optim/sgd.h"
#include "nn/serialize/safetensors.h"
#include "tools/commands.h"
#include "tools/small_cnn.h"

namespace ember::tools {
namespace {

struct TrainOptions {
  std::string device = "auto";
  int epochs = 3;
  int64_t batch_size = 128;
  double lr = 0.05;
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::string save_path, resume_path, json_path, load_path;
  int64_t limit = 0;  // train on the first N images only (0 = all)
  uint64_t seed = 0;
  std::string schedule = "onecycle";  // per step: "onecycle" (peak 2 lr), "cosine" (lr -> 0), "none"
};

struct EpochResult {
  double train_loss = 0, test_accuracy = 0, seconds = 0;
};

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Accuracy on the test split, batch by batch, under eval() + no_grad.
double evaluate(nn::Module& model, const data::Dataset& test, Device dev, int64_t batch_size) {
  model.eval();
  NoGradGuard no_grad;
  int64_t correct = 0, seen = 0;
  data::DataLoader loader(test, {.batch_size = batch_size, .shuffle = false, .drop_last = false, .seed = 0});
  for (auto& batch : loader) {
    Tensor logits = model(batch.x.to(dev));
    Tensor pred = logits.argmax(1);
    correct += (pred == batch.y.to(dev)).to(kInt64).sum().item<int64_t>();
    seen += batch.y.numel();
  }
  model.train();
  return seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
}

void progress(bool tty, int epoch, int epochs, size_t step, size_t steps, double loss, double images_per_s) {
  if (tty) {
    const int width = 30;
    const int filled = static_cast<int>(width * static_cast<double>(step) / static_cast<double>(steps));
    std::fprintf(stderr, "\repoch %d/%d [%s%s] %zu/%zu loss %.4f %.0f img/s", epoch, epochs,
                 std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(width - filled), '.').c_str(), step, steps, loss, images_per_s);
    if (step == steps) std::fputc('\n', stderr);
  } else if (step % 100 == 0 || step == steps) {
    std::fprintf(stderr, "epoch %d/%d step %zu/%zu loss %.4f %.0f img/s\n", epoch, epochs, step, steps, loss,
                 images_per_s);
  }
}

void save_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer& opt, int epoch) {
  nn::StateDict sd;
  for (auto& [k, v] : model.state_dict()) sd.emplace_back("model." + k, v);
  for (auto& [k, v] : opt.state_dict()) sd.emplace_back("optim." + k, v);
  nn::save(sd, path, {{"epoch", std::to_string(epoch)}, {"format", "ember-checkpoint-1"}});
}

int load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer* opt) {
  nn::StateDict all = nn::load(path);
  nn::StateDict model_sd, optim_sd;
  for (auto& [k, v] : all) {
    if (k.rfind("model.", 0) == 0) model_sd.emplace_back(k.substr(6), v);
    else if (k.rfind("optim.", 0) == 0) optim_sd.emplace_back(k.substr(6), v);
  }
  EMBER_CHECK(!model_sd.empty(), "'", path, "' is not an ember checkpoint (no model.* tensors)");
  model.load_state_dict(model_sd, true);
  if (opt && !optim_sd.empty()) opt->load_state_dict(optim_sd);
  auto meta = nn::load_metadata(path);
  auto it = meta.find("epoch");
  return it == meta.end() ? 0 : std::stoi(it->second);
}

void write_json(const std::string& path, Device dev, const std::vector<EpochResult>& epochs, double accuracy) {
  std::ostringstream os;
  os << "{\n  \"device\": \"" << dev.str() << "\",\n  \"epochs\": [";
  for (size_t i = 0; i < epochs.size(); ++i) {
    os << (i ? ", " : "") << "{\"epoch\": " << i + 1 << ", \"train_loss\": " << epochs[i].train_loss
       << ", \"test_accuracy\": " << epochs[i].test_accuracy << ", \"seconds\": " << epochs[i].seconds << "}";
  }
  os << "],\n  \"test_accuracy\": " << accuracy << "\n}\n";
  std::ofstream out(path);
  EMBER_CHECK(out.good(), "cannot write --json file '", path, "'");
  out << os.str();
  EMBER_CHECK(out.good(), "writing --json file '", path, "' failed");
}

int run_train(const TrainOptions& opt) {
  const Device dev = resolve_device(opt.device);
  manual_seed(opt.seed);
  data::FashionMNIST train_set(opt.data, data::Split::Train);
  data::FashionMNIST test_set(opt.data, data::Split::Test);
  std::unique_ptr<data::Dataset> limited;
  const data::Dataset* train = &train_set;
  if (opt.limit > 0) {
    const int64_t n = std::min<int64_t>(opt.limit, static_cast<int64_t>(train_set.size()));
    limited = std::make_unique<data::TensorDataset>(train_set.inputs().narrow(0, 0, n), train_set.targets().narrow(0, 0, n));
    train = limited.get();
  }
  auto model = make_small_cnn();
  model->to(dev);
  optim::SGD sgd(model->parameters(), {.lr = opt.lr, .momentum = 0.9, .dampening = 0, .weight_decay = 0, .nesterov = true});
  int start_epoch = 0;
  if (!opt.resume_path.empty()) start_epoch = load_checkpoint(opt.resume_path, *model, &sgd);

  std::cerr << "ember train: " << train->size() << " training images, " << test_set.size() << " test images on "
            << dev << "\n";
  const bool tty = isatty(fileno(stderr));
  std::vector<EpochResult> results;
  data::DataLoader loader(*train, {.batch_size = opt.batch_size, .shuffle = true, .drop_last = false, .seed = opt.seed});
  loader.set_epoch(static_cast<uint64_t>(start_epoch));
  // Cosine annealing per step over all epochs so far plus this run's (a resumed run
  // fast-forwards the scheduler past the epochs already done).
  std::unique_ptr<optim::LRScheduler> scheduler;
  const auto total = std::max<int64_t>(static_cast<int64_t>(loader.size()) * (start_epoch + opt.epochs), 1);
  if (opt.schedule == "cosine") scheduler = std::make_unique<optim::CosineAnnealingLR>(sgd, total);
  if (opt.schedule == "onecycle")  // momentum stays at 0.9 (Nesterov), as measured
    scheduler = std::make_unique<optim::OneCycleLR>(sgd, 2 * opt.lr, total, 0.3, 25.0, 1e4, /*cycle_momentum=*/false);
  for (int64_t i = 0; scheduler && i < static_cast<int64_t>(loader.size()) * start_epoch; ++i) scheduler->step();
  for (int epoch = start_epoch + 1; epoch <= start_epoch + opt.epochs; ++epoch) {
    model->train();
    const auto t0 = Clock::now();
    double loss_sum = 0;
    size_t step = 0, images = 0;
    const size_t steps = loader.size();
    for (auto& batch : loader) {
      Tensor x = batch.x.to(dev), y = batch.y.to(dev);
      sgd.zero_grad();
      Tensor loss = nn::functional::cross_entropy((*model)(x), y);
      loss.backward();
      sgd.step();
      if (scheduler) scheduler->step();
      loss_sum += loss.item<double>();
      images += static_cast<size_t>(y.numel());
      ++step;
      progress(tty, epoch, start_epoch + opt.epochs, step, steps, loss_sum / static_cast<double>(step),
               static_cast<double>(images) / since(t0));
    }
    EpochResult r;
    r.train_loss = loss_sum / static_cast<double>(std::max<size_t>(step, 1));
    r.test_accuracy = evaluate(*model, test_set, dev, 1000);
    r.seconds = since(t0);
    results.push_back(r);
    std::printf("epoch %d: train loss %.4f, test accuracy %.4f, %.1f s\n", epoch, r.train_loss, r.test_accuracy,
                r.seconds);
    std::fflush(stdout);
    if (!opt.save_path.empty()) save_checkpoint(opt.save_path, *model, sgd, epoch);
  }
  const double accuracy = results.empty() ? evaluate(*model, test_set, dev, 1000) : results.back().test_accuracy;
  if (!opt.json_path.empty()) write_json(opt.json_path, dev, results, accuracy);
  return 0;
}

int run_eval(const TrainOptions& opt) {
  EMBER_CHECK(!opt.load_path.empty(), "ember eval needs --load CHECKPOINT");
  const Device dev = resolve_device(opt.device);
  auto model = make_small_cnn();
  load_checkpoint(opt.load_path, *model, nullptr);
  model->to(dev);
  data::FashionMNIST test_set(opt.data, data::Split::Test);
  const auto t0 = Clock::now();
  const double accuracy = evaluate(*model, test_set, dev, 1000);
  std::printf("test accuracy %.4f (%zu images, %.2f s)\n", accuracy, test_set.size(), since(t0));
  if (!opt.json_path.empty()) write_json(opt.json_path, dev, {}, accuracy);
  return 0;
}

void common_flags(CLI::App& app, TrainOptions& opt) {
  app.add_option("--device", opt.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--batch-size", opt.batch_size, "images per batch")->check(CLI::Range(1, 65536))->capture_default_str();
  app.add_option("--data", opt.data, "folder with the Fashion-MNIST .gz files")->capture_default_str();
  app.add_option("--json", opt.json_path, "write the results to this JSON file");
}

}  // namespace

Runner add_train_command(CLI::App& sub) {
  auto opt = std::make_shared<TrainOptions>();
  common_flags(sub, *opt);
  sub.add_option("--epochs", opt->epochs, "epochs to train")->check(CLI::Range(0, 1000))->capture_default_str();
  sub.add_option("--lr", opt->lr, "SGD learning rate (Nesterov momentum 0.9)")->check(CLI::PositiveNumber)->capture_default_str();
  sub.add_option("--save", opt->save_path, "save a checkpoint (safetensors) after each epoch");
  sub.add_option("--resume", opt->resume_path, "resume from a checkpoint saved with --save")->check(CLI::ExistingFile);
  sub.add_option("--limit", opt->limit, "train on the first N images only")->check(CLI::NonNegativeNumber);
  sub.add_option("--seed", opt->seed, "random seed")->capture_default_str();
  sub.add_option("--schedule", opt->schedule,
                 "learning-rate schedule per step: cosine (lr annealed to 0), onecycle (up to 2*lr, then down) or none")
      ->check(CLI::IsMember({"cosine", "onecycle", "none"}))
      ->capture_default_str();
  return [opt] { return run_train(*opt); };
}

Runner add_eval_command(CLI::App& sub) {
  auto opt = std::make_shared<TrainOptions>();
  common_flags(sub, *opt);
  sub.add_option("--load", opt->load_path, "checkpoint to evaluate")->required()->check(CLI::ExistingFile);
  return [opt] { return run_eval(*opt); };
}

}  // namespace ember::tools
