// `ember train` and `ember eval`: the small CNN on Fashion-MNIST with SGD (Nesterov
// momentum) or another --optimizer (tools/train_optimizer.h), validation each epoch
// under eval() + NoGradGuard, checkpoints in safetensors (model + optimizer + epoch), a
// progress bar on a terminal, JSON output.
// On the CPU batches come from a DataLoader; on CUDA the data sits on the GPU and a step
// neither copies from nor waits for the host (Note [Training data on the GPU]).
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <functional>
#include <iostream>
#include <numeric>
#include <optional>
#include <sstream>

#include <ember/ember.h>

#include "nn/data/dataloader.h"
#include "nn/data/datasets.h"
#include "nn/fusion.h"
#include "nn/functional/loss.h"
#include "nn/optim/scheduler.h"
#include "nn/serialize/files.h"
#include "nn/serialize/json.h"
#include "nn/serialize/safetensors.h"
#include "core/parse.h"
#include "tools/commands.h"
#include "tools/confusion.h"
#include "tools/mistakes.h"
#include "tools/flag_checks.h"
#include "tools/small_cnn.h"
#include "tools/train_augment.h"
#include "tools/train_data.h"
#include "tools/train_distributed.h"
#include "tools/train_graph.h"
#include "tools/train_guards.h"
#include "tools/train_optimizer.h"
#include "tools/train_resume.h"
#include "tools/trace_flags.h"

namespace ember::tools {
namespace {

struct TrainOptions {
  std::string device = "auto";
  int epochs = 3;
  int64_t batch_size = 128;
  OptimizerFlags optimizer;  // --optimizer, --lr, --weight-decay, --momentum, --betas
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::string image_folder;  // --image-folder: Note [ember train --image-folder]
  ImageFlags image;          // --image-size, --image-mode (with --image-folder)
  std::string save_path, resume_path, json_path, load_path;
  int64_t limit = 0;  // train on the first N images only (0 = all)
  uint64_t seed = 0;
  std::string schedule = "onecycle";  // per step: "onecycle" (peak 2 lr), "cosine" (lr -> 0), "none"
  std::string inject_mistake;         // a diagnostics demo instead of training (tools/mistakes.h)
  bool sync_bn = false;               // SyncBatchNorm under mpirun (Note [ember train on N processes])
  bool amp = false;                   // autocast for forward passes (Note [Autocast] in core/autocast.h)
  std::string amp_dtype = "bfloat16";  // --amp-dtype: bfloat16, or float16 with loss scaling (sets amp)
  bool deterministic = false;         // use_deterministic_algorithms (Note [Deterministic algorithms])
  TraceFlags trace;  // --trace, --trace-events, --trace-steps
  CudaGraphFlag cuda_graph = CudaGraphFlag::Auto;  // --cuda-graph / --no-cuda-graph
  bool drop_last = false;                          // --drop-last: no last partial batch
  std::string memory_format = "auto";              // --memory-format: auto, contiguous, channels_last
  std::string augment;                             // --augment: Note [ember train --augment]
  bool per_class = false;                          // ember eval --per-class
  bool fuse_bn = false;                            // ember eval --fuse-bn
};

// The model's layout for --memory-format: channels_last as model.to(memory_format=
// torch.channels_last) (cuDNN then takes NHWC operands without copies: Note [Channels-last
// layers]); auto is contiguous (NCHW) on every device until the GPU benchmarks
// (BM_train_step's channels_last:0/1) show NHWC faster there.
MemoryFormat training_memory_format(const std::string& flag) {
  return flag == "channels_last" ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous;
}

// The files `ember train` / `eval` read beside a checkpoint, for check_train_outputs: the
// Fashion-MNIST files (an --image-folder's images are not outputs' likely names).
FlagPaths dataset_inputs(const TrainOptions& opt) {
  if (!opt.image_folder.empty()) return {};
  FlagPaths inputs;
  for (const data::Split split : {data::Split::Train, data::Split::Test}) {
    const auto [images, labels] = data::mnist_files(split);
    for (const std::string& gz : {images, labels}) {  // either form is read (nn/data/datasets.cpp)
      inputs.emplace_back("--data", (std::filesystem::path(opt.data) / gz).string());
      inputs.emplace_back("--data", (std::filesystem::path(opt.data) / gz.substr(0, gz.size() - 3)).string());
    }
  }
  return inputs;
}

struct EpochResult {
  int epoch = 0;  // from 1, counting a resumed checkpoint's epochs (as printed)
  double train_loss = 0, test_accuracy = 0, seconds = 0;
};

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The confusion matrix (`classes` classes) of the test split, batch by batch, under
// eval() + no_grad.
Confusion evaluate(nn::Module& model, const data::Dataset& test, Device dev, int64_t batch_size, int64_t classes) {
  model.eval();
  NoGradGuard no_grad;
  ConfusionCounter counter(classes, dev);
  data::DataLoader loader(test, {.batch_size = batch_size, .shuffle = false, .drop_last = false, .seed = 0});
  for (auto& batch : loader) counter.add(model(batch.x.to(dev)), batch.y.to(dev));
  model.train();
  return {counter.read()};
}

// Note [Training data on the GPU]: with --device cuda (or auto resolving to it)
//  - the test set is uploaded once for the run and evaluated in narrow() batches of
//    kEvalBatch, the correct predictions summed on the device and read once;
//  - the training set is uploaded once for the run (188 MB for 60,000 images); each
//    epoch shuffles it on the device: the epoch's order (0.5 MB of int64 indices) is
//    uploaded and index_select gathers the images and labels in that order, one kernel
//    each. Every batch is then a narrow() view of the shuffled copy, so a step copies
//    nothing from the host. The order is the DataLoader's own order(epoch) (its seed +
//    epoch semantics, resumes and DDP shards included), so the batches are those of the
//    CPU path;
//  - the loss is summed on the device (in float64, like the CPU path's double) and read
//    every kLossReadEvery steps and at the end of the epoch, for the progress line.
// The CPU path keeps the DataLoader and a read of the loss per step, unchanged.
constexpr int64_t kEvalBatch = 1000;
constexpr size_t kLossReadEvery = 50;

// A split of the data on the device: images float32 [N,C,H,W], normalised on the host
// by the dataset (these are its tensors, copied as they are), labels int64 [N].
struct DeviceSplit {
  Tensor x, y;
};

DeviceSplit upload(const data::Example& host, Device dev) { return {host.x.to(dev), host.y.to(dev)}; }

// The training set on the device for the whole run, shuffled there for each epoch (Note
// [Training data on the GPU]).
struct DeviceTrainingSet {
  DeviceSplit all;

  DeviceTrainingSet(const data::Dataset& dataset, Device dev) {
    std::vector<int64_t> every(dataset.size());
    std::iota(every.begin(), every.end(), int64_t{0});
    all = upload(dataset.get_batch(every), dev);
  }
  // The loader's order for the epoch, gathered on the device.
  DeviceSplit epoch(const data::DataLoader& loader, uint64_t epoch_index) const {
    const std::vector<int64_t> order = loader.order(epoch_index);
    const Tensor index = tensor(order, {static_cast<int64_t>(order.size())}, dtype(kInt64)).to(all.x.device());
    return {all.x.index_select(0, index), all.y.index_select(0, index)};
  }
};

// The confusion matrix of a split already on the device, under eval() + no_grad (Note
// [Training data on the GPU]): one host read at the end.
Confusion evaluate_on_device(nn::Module& model, const DeviceSplit& test, int64_t classes) {
  model.eval();
  NoGradGuard no_grad;
  const int64_t n = test.x.size(0);
  ConfusionCounter counter(classes, test.x.device());
  for (int64_t start = 0; start < n; start += kEvalBatch) {
    const int64_t len = std::min(kEvalBatch, n - start);
    counter.add(model(test.x.narrow(0, start, len)), test.y.narrow(0, start, len));
  }
  model.train();
  return {counter.read()};
}

// The confusion matrix of a model on `dev` over the test set: on CUDA from the test set,
// uploaded here once for the run; on the CPU through a DataLoader. `test` must outlive
// the result.
std::function<Confusion(nn::Module&)> test_confusion(const data::TensorDataset& test, Device dev, int64_t classes) {
  if (!dev.is_cuda())
    return [&test, dev, classes](nn::Module& model) { return evaluate(model, test, dev, kEvalBatch, classes); };
  const DeviceSplit on_device = upload({test.inputs(), test.targets()}, dev);
  return [on_device, classes](nn::Module& model) { return evaluate_on_device(model, on_device, classes); };
}

// The test accuracy, as test_confusion.
std::function<double(nn::Module&)> test_evaluator(const data::TensorDataset& test, Device dev, int64_t classes) {
  return [confusion = test_confusion(test, dev, classes)](nn::Module& model) { return confusion(model).accuracy(); };
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

// A loss scale as printed: 6 significant digits ("65536", "1.67772e+07").
std::string format_scale(double scale) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", scale);
  return text;
}

// --amp's autocast dtype: kBFloat16, or kFloat16 (--amp-dtype float16).
DType amp_dtype_of(const TrainOptions& opt) { return opt.amp_dtype == "float16" ? kFloat16 : kBFloat16; }

// Autocast to `dtype` on `device` for the scope when `enabled` (ember train --amp).
class AmpScope {
 public:
  AmpScope(bool enabled, Device device, DType dtype) {
    if (enabled) guard_.emplace(device, dtype);
  }

 private:
  std::optional<AutocastGuard> guard_;
};

// One epoch's fixed context: the model, its optimizer and schedule, and the progress line.
struct EpochRun {
  nn::Module& model;
  optim::Optimizer& optimizer;
  optim::LRScheduler* scheduler;  // null: constant learning rate
  bool tty;
  bool show_progress;  // rank 0 only (Note [ember train on N processes])
  int epoch, epochs;
  Clock::time_point start;
  DivergenceGuard& guard;  // sees each loss value read (Note [A diverged run stops])
  GraphedTraining* graphed = nullptr;  // the captured step (Note [ember train with a CUDA graph])
  bool amp;                // forward and loss under autocast; backward and step outside, as PyTorch's recipe
  DType amp_dtype;         // --amp's dtype
  amp::GradScaler* scaler = nullptr;  // float16 autocast: the loss scaled, steps with inf/NaN skipped
  const transforms::Transform* augment = nullptr;  // --augment, or null (Note [ember train --augment])

  // The training batch as the step sees it: augmented when --augment asks for it.
  Tensor augmented(const Tensor& x) const {
    if (!augment) return x;
    const NoGradGuard no_grad;
    return (*augment)(x);
  }

  // One optimizer step on a batch already on the model's device; the loss is not read here.
  Tensor step(const Tensor& x, const Tensor& y) const {
    optimizer.zero_grad();
    Tensor loss;
    {
      const AmpScope amp_scope(amp, x.device(), amp_dtype);
      loss = nn::functional::cross_entropy(model(x), y);
    }
    if (scaler) {  // PyTorch's fp16 recipe: scale, backward, step (skipped after inf/NaN), update
      scaler->scale(loss).backward();
      scaler->step(optimizer);
      scaler->update();
    } else {
      loss.backward();
      optimizer.step();
    }
    if (scheduler) scheduler->step();
    return loss;
  }
};

// One epoch from the DataLoader (the CPU path): each batch is built on the host and
// moved to `dev`, the loss read every step. Returns the mean loss.
double train_epoch_from_loader(const EpochRun& run, data::DataLoader& loader, Device dev) {
  double loss_sum = 0;
  size_t step = 0, images = 0;
  const size_t steps = loader.size();
  for (auto& batch : loader) {
    Tensor x = run.augmented(batch.x.to(dev)), y = batch.y.to(dev);
    Tensor loss = run.step(x, y);
    ++step;
    const double value = loss.item<double>();
    run.guard.check_loss(value, run.epoch, step);
    loss_sum += value;
    images += static_cast<size_t>(y.numel());
    if (run.show_progress)
      progress(run.tty, run.epoch, run.epochs, step, steps, loss_sum / static_cast<double>(step),
             static_cast<double>(images) / since(run.start));
  }
  return loss_sum / static_cast<double>(std::max<size_t>(step, 1));
}

// One epoch with the data on the device (Note [Training data on the GPU]): the training
// set in the loader's order(epoch_index), batches as narrow() views, the loss summed on
// the device and read every kLossReadEvery steps. Returns the mean loss.
double train_epoch_on_device(const EpochRun& run, const data::DataLoader& loader, const DeviceTrainingSet& on_device,
                             uint64_t epoch_index, Device dev) {
  const DeviceSplit data = on_device.epoch(loader, epoch_index);
  const int64_t n = data.x.size(0), batch = loader.options().batch_size;
  const size_t steps = loader.size();
  Tensor loss_sum = scalar_tensor(0.0, TensorOptions(kFloat64).device(dev));
  double mean_loss = 0;
  for (size_t step = 1; step <= steps; ++step) {
    const int64_t start = static_cast<int64_t>(step - 1) * batch, len = std::min(batch, n - start);
    // detach(): the running sum must not record (nor keep alive) each step's graph.
    loss_sum.add_(run.step(run.augmented(data.x.narrow(0, start, len)), data.y.narrow(0, start, len)).detach());
    if (step % kLossReadEvery != 0 && step != steps) continue;
    mean_loss = loss_sum.item<double>() / static_cast<double>(step);  // waits for the device
    run.guard.check_loss(mean_loss, run.epoch, step);
    const int64_t images = std::min(static_cast<int64_t>(step) * batch, n);
    if (run.show_progress)
      progress(run.tty, run.epoch, run.epochs, step, steps, mean_loss, static_cast<double>(images) / since(run.start));
  }
  return mean_loss;
}

// One epoch as train_epoch_on_device, each full batch through the captured step (Note
// [ember train with a CUDA graph]): the loss sum is read once, at the end.
double train_epoch_graphed(const EpochRun& run, const data::DataLoader& loader, const DeviceTrainingSet& on_device,
                           uint64_t epoch_index) {
  const DeviceSplit data = on_device.epoch(loader, epoch_index);
  const int64_t n = data.x.size(0), batch = loader.options().batch_size;
  const size_t steps = loader.size();  // without the partial batch under --drop-last
  run.graphed->reset_loss_sum();
  for (size_t step = 1; step <= steps; ++step) {
    const int64_t start = static_cast<int64_t>(step - 1) * batch, len = std::min(batch, n - start);
    const Tensor x = run.augmented(data.x.narrow(0, start, len)), y = data.y.narrow(0, start, len);
    if (len == batch) run.graphed->full_batch(x, y);
    else run.graphed->partial_batch(x, y);  // its shape differs from the graph's: eagerly
    if (run.scheduler) run.scheduler->step();  // a fill of the device lr, between replays
  }
  const double mean_loss = run.graphed->read_loss_sum() / static_cast<double>(std::max<size_t>(steps, 1));
  run.guard.check_loss(mean_loss, run.epoch, steps);
  const int64_t images = std::min(static_cast<int64_t>(steps) * batch, n);
  if (run.show_progress)
    progress(run.tty, run.epoch, run.epochs, steps, steps, mean_loss, static_cast<double>(images) / since(run.start));
  return mean_loss;
}

// Why the training step is not static (Note [ember train with a CUDA graph]); "" when it is.
std::string non_static_reason(const TrainJob& job, const TraceFlags& trace, const OptimizerFlags& optimizer,
                              bool loss_scaling) {
  if (job.distributed()) return "it runs on " + std::to_string(job.world_size) + " processes (DDP's all-reduce)";
  if (!trace.path.empty()) return "--trace records each op on the host";
  if (loss_scaling) return "float16 autocast's GradScaler reads its inf/NaN check on the host every step";
  return not_capturable_reason(optimizer.name);
}

// A checkpoint: "model.*", "optim.*" and metadata with the epoch, the generator state
// (Note [Kill and resume]), the optimizer's name (Note [ember train's optimizers]) and
// `schedule`: the base lr and --schedule (Note [Resumed learning rate]).
void save_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer& opt, const std::string& opt_name,
                     int epoch, const TrainingData& data, const amp::GradScaler* scaler, const nn::Metadata& schedule) {
  nn::StateDict sd;
  for (auto& [k, v] : model.state_dict()) sd.emplace_back("model." + k, v);
  for (auto& [k, v] : opt.state_dict()) sd.emplace_back("optim." + k, v);
  if (scaler) {  // --amp-dtype float16: the loss scale and its growth tracker resume where they were
    for (auto& [k, v] : scaler->state_dict()) sd.emplace_back("scaler." + k, v);
  }
  nn::Metadata meta = random_state_metadata();  // Note [Kill and resume]
  meta.insert({{"epoch", std::to_string(epoch)}, {"format", "ember-checkpoint-1"}, {kOptimizerKey, opt_name}});
  meta.merge(input_metadata(data));  // Note [ember train --image-folder]
  meta.insert(schedule.begin(), schedule.end());  // Note [Resumed learning rate]
  nn::save(sd, path, meta);
}

// The diagnostics that fired during the run (Note [Mode diagnostics] in nn/diagnostics.h).
void report_diagnostics() {
  std::string fired;
  for (const auto& [name, count] : diagnostics::counts())
    if (count > 0) fired += (fired.empty() ? "" : ", ") + name + " " + std::to_string(count);
  std::printf("diagnostics: %s\n", fired.empty() ? "none fired" : fired.c_str());
}

// What --json records beside the epochs and the accuracy.
struct RunSettings {
  Device device;
  bool amp = false;
  DType amp_dtype = kBFloat16;
  MemoryFormat memory_format = MemoryFormat::Contiguous;
  bool cuda_graph = false;
  std::string augment = "";
  const Confusion* confusion = nullptr;  // ember eval: per-class accuracy and the matrix
  std::vector<std::string> classes = {};  // the confusion's class names
};

void write_json(const std::string& path, const RunSettings& run, const std::vector<EpochResult>& epochs,
                double accuracy) {
  using nn::json::OrderedJson;
  OrderedJson out = {
      {"device", run.device.str()},
      {"amp", run.amp},
      {"amp_dtype", run.amp ? std::string(dtype_name(run.amp_dtype)) : std::string()},
      {"augment", run.augment},
      {"memory_format", run.memory_format == MemoryFormat::ChannelsLast ? "channels_last" : "contiguous"},
      {"cuda_graph", run.cuda_graph},
      {"epochs", OrderedJson::array()}};
  for (const EpochResult& e : epochs) {
    out["epochs"].push_back(
        {{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"test_accuracy", e.test_accuracy}, {"seconds", e.seconds}});
  }
  out["test_accuracy"] = accuracy;
  if (run.confusion) {
    out["per_class_accuracy"] = OrderedJson::object();
    const std::vector<double> per_class = run.confusion->per_class_accuracy();
    for (size_t c = 0; c < per_class.size(); ++c) out["per_class_accuracy"][run.classes.at(c)] = per_class[c];
    out["confusion_matrix"] = run.confusion->counts;
  }
  out["diagnostics"] = OrderedJson::object();
  for (const auto& [name, count] : diagnostics::counts()) out["diagnostics"][name] = count;
  nn::write_text_atomically(path, "write --json file", nn::json::dump(out, 2));
}

int run_train(const TrainOptions& opt) {
  if (!opt.inject_mistake.empty()) return run_mistake_demo(opt.inject_mistake, resolve_device(opt.device));
  check_trace_flags(opt.trace);
  check_train_outputs({{"--save", opt.save_path}, {"--json", opt.json_path}, {"--trace", opt.trace.path}},
                      opt.epochs, dataset_inputs(opt));
  // --save may be the --resume checkpoint (training on from it is the point); --json and --trace not.
  check_train_outputs({{"--json", opt.json_path}, {"--trace", opt.trace.path}}, 0, {{"--resume", opt.resume_path}});
  check_optimizer_flags(opt.optimizer);
  std::optional<nn::SafetensorsFile> resume_file;  // read once: what is checked is what is loaded
  std::optional<CheckpointInput> resumed;          // what the checkpoint was trained on
  OptimizerFlags optimizer_flags = opt.optimizer;  // with a resumed run's lr (Note [Resumed learning rate])
  if (!opt.resume_path.empty()) {
    resume_file = nn::load_file(opt.resume_path);
    resumed = read_checkpoint_input(*resume_file, opt.resume_path);
    optimizer_flags.lr =
        resumed_base_lr(resume_file->metadata, opt.resume_path, opt.optimizer.lr, resolved_lr(opt.optimizer));
    check_resumed_schedule(resume_file->metadata, opt.resume_path, opt.schedule);
  }
  const ImageShape shape =
      resolve_image_shape(opt.image, opt.image_folder, resumed ? &*resumed : nullptr, opt.resume_path);
  // A black pixel after the dataset's normalisation: what crop and rotate fill in.
  const auto augment = parse_augment(opt.augment, data_normalization(!opt.image_folder.empty()), shape);
  const TrainJob job = join_training_job();  // Note [ember train on N processes]
  const Device dev = training_device(opt.device, job);
  const DType amp_dtype = amp_dtype_of(opt);
  const bool loss_scaling = opt.amp && amp_dtype == kFloat16;  // PyTorch's fp16 recipe needs GradScaler
  const std::string eager_reason = non_static_reason(job, opt.trace, opt.optimizer, loss_scaling);
  const bool graph = use_cuda_graph(opt.cuda_graph, dev, eager_reason);
  manual_seed(opt.seed);
  use_deterministic_algorithms(opt.deterministic);
  const TrainingData data = load_training_data(opt.data, opt.image_folder, shape, /*with_train=*/true);
  const data::TensorDataset& train_set = *data.train;
  const data::TensorDataset& test_set = *data.test;
  std::unique_ptr<data::Dataset> limited;
  const data::Dataset* train = &train_set;
  if (opt.limit > 0) {
    const int64_t n = std::min<int64_t>(opt.limit, static_cast<int64_t>(train_set.size()));
    limited =
        std::make_unique<data::TensorDataset>(train_set.inputs().narrow(0, 0, n), train_set.targets().narrow(0, 0, n));
    train = limited.get();
  }
  auto model = make_small_cnn(static_cast<int64_t>(data.classes.size()), data.shape);
  model->to(dev);
  const MemoryFormat memory_format = training_memory_format(opt.memory_format);
  if (memory_format == MemoryFormat::ChannelsLast) model->to(memory_format);
  if (opt.sync_bn) use_sync_batchnorm(model, job);
  const double lr = resolved_lr(optimizer_flags);
  const std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(optimizer_flags, model->parameters());
  int start_epoch = 0;
  if (!opt.resume_path.empty()) {
    check_checkpoint_data(*resumed, data, opt.resume_path);
    start_epoch = load_checkpoint(*resume_file, opt.resume_path, *model, optimizer.get(), opt.optimizer.name);
    check_resumed_hyper_parameters(optimizer_flags, *optimizer, opt.resume_path);
  }
  const std::shared_ptr<nn::Module> trained = wrap_for_training(model, opt.seed, start_epoch, job);
  std::unique_ptr<amp::GradScaler> scaler;
  bool scale_resumed = false;
  if (loss_scaling) {
    scaler = std::make_unique<amp::GradScaler>();
    if (resume_file) {  // a checkpoint saved with float16 autocast carries the scale (scaler.*)
      optim::StateDict scaler_sd;
      for (const auto& [k, v] : resume_file->tensors)
        if (k.rfind("scaler.", 0) == 0) scaler_sd.emplace_back(k.substr(7), v);
      scale_resumed = !scaler_sd.empty();
      if (scale_resumed) scaler->load_state_dict(scaler_sd);
    }
  }

  const auto train_loader = make_training_loader(*train, opt.batch_size, opt.seed, job, opt.drop_last);
  data::DataLoader& loader = *train_loader;

  if (job.is_main())
    std::cerr << "ember train: " << train->size() << " training images, " << test_set.size() << " test images ("
              << data.shape.str() << ") on "
              << dev << (job.distributed() ? " (rank 0 of " + std::to_string(job.world_size) + ")" : "")
              << (graph ? ", the step captured as a CUDA graph" : "")
              << (dev.is_cuda() && !graph && opt.cuda_graph == CudaGraphFlag::Auto
                      ? ", each step eager: " + eager_reason
                      : "")
              << "; " << describe_optimizer(optimizer_flags, *optimizer)
              << (augment ? "; training batches augmented: " + opt.augment : "")
              << (opt.deterministic ? "; deterministic algorithms" : "")
              << (scaler ? "; float16 autocast, loss scale " + format_scale(scaler->get_scale()) +
                               (scale_resumed ? " (from the checkpoint)" : "")
                         : "")
              << "\n";
  const bool tty = isatty(fileno(stderr));
  std::vector<EpochResult> results;
  loader.set_epoch(static_cast<uint64_t>(start_epoch));
  // Cosine annealing per step over all epochs so far plus this run's (a resumed run
  // fast-forwards the scheduler past the epochs already done).
  std::unique_ptr<optim::LRScheduler> scheduler;
  const auto total = std::max<int64_t>(static_cast<int64_t>(loader.size()) * (start_epoch + opt.epochs), 1);
  if (opt.schedule == "cosine") {
    // From the base lr, not the loaded one: cosine's is already decayed (Note [Resumed learning rate]).
    for (size_t g = 0; g < optimizer->num_param_groups(); ++g) optimizer->set_lr(g, lr);
    scheduler = std::make_unique<optim::CosineAnnealingLR>(*optimizer, total);
  }
  // The momentum (or beta1) stays as set (SGD: 0.9, Nesterov, as measured); not cycled, so
  // every optimizer takes the schedule (Note [ember train's optimizers]).
  if (opt.schedule == "onecycle")
    scheduler =
        std::make_unique<optim::OneCycleLR>(*optimizer, 2 * lr, total, 0.3, 25.0, 1e4, /*cycle_momentum=*/false);
  // Straight to the first step of this run (Note [Schedules jump, never replay]); the
  // count is bounded: start_epoch <= kMaxCheckpointEpoch, loader.size() <= the images.
  if (scheduler) scheduler->step_to(static_cast<int64_t>(loader.size()) * start_epoch);
  DivergenceGuard guard(lr, opt.optimizer.name);
  auto evaluate_test = sharded_test_evaluator(test_set, dev, job);
  if (!evaluate_test) evaluate_test = test_evaluator(test_set, dev, static_cast<int64_t>(data.classes.size()));
  TraceSession trace(job.is_main() ? opt.trace : TraceFlags{});  // one trace file, from rank 0
  std::unique_ptr<GraphedTraining> graphed;  // lives for the run: the graph and its pool
  std::optional<DeviceTrainingSet> on_device;  // CUDA: the training set, uploaded once
  if (dev.is_cuda()) on_device.emplace(loader.dataset(), dev);
  if (graph) {
    graphed = std::make_unique<GraphedTraining>(*trained, *optimizer, dev, opt.amp,
                                                /*fall_back=*/opt.cuda_graph == CudaGraphFlag::Auto);
  }
  for (int epoch = start_epoch + 1; epoch <= start_epoch + opt.epochs; ++epoch) {
    model->train();
    const EpochRun run{*trained,     *optimizer, scheduler.get(), tty,       job.is_main(),
                       epoch,        start_epoch + opt.epochs,   Clock::now(), guard,
                       graphed.get(), opt.amp,   amp_dtype,       scaler.get(), augment.get()};
    EpochResult r;
    r.epoch = epoch;
    // Epoch `epoch` (from 1) takes the loader's order(epoch - 1), as its begin() does.
    const auto epoch_index = static_cast<uint64_t>(epoch - 1);
    r.train_loss = graphed        ? train_epoch_graphed(run, loader, *on_device, epoch_index)
                   : dev.is_cuda() ? train_epoch_on_device(run, loader, *on_device, epoch_index, dev)
                                   : train_epoch_from_loader(run, loader, dev);
    r.train_loss = mean_over_ranks(r.train_loss, job);
    {
      const AmpScope amp_scope(opt.amp, dev, amp_dtype);  // evaluated as it was trained
      r.test_accuracy = evaluate_test(*model);
    }
    r.seconds = since(run.start);
    results.push_back(r);
    if (!job.is_main()) continue;
    std::printf("epoch %d: train loss %.4f, test accuracy %.4f, %.1f s\n", epoch, r.train_loss, r.test_accuracy,
                r.seconds);
    std::fflush(stdout);
    if (!opt.save_path.empty()) {
      guard.check_parameters(*model, epoch);
      save_checkpoint(opt.save_path, *model, *optimizer, opt.optimizer.name, epoch, data, scaler.get(),
                      schedule_metadata(lr, opt.schedule));
    }
  }
  trace.finish();
  const double accuracy = results.empty() ? evaluate_test(*model) : results.back().test_accuracy;
  if (!job.is_main()) return 0;
  if (scaler) std::cerr << "ember train: loss scale " << format_scale(scaler->get_scale()) << " at the end\n";
  report_diagnostics();
  if (!opt.json_path.empty()) {
    write_json(opt.json_path,
               {.device = dev,
                .amp = opt.amp,
                .amp_dtype = amp_dtype,
                .memory_format = memory_format,
                .cuda_graph = graphed && graphed->captured(),
                .augment = opt.augment},
               results, accuracy);
  }
  return 0;
}

int run_eval(const TrainOptions& opt) {
  EMBER_CHECK(!opt.load_path.empty(), "ember eval needs --load CHECKPOINT");
  FlagPaths inputs = dataset_inputs(opt);
  inputs.emplace_back("--load", opt.load_path);
  check_train_outputs({{"--json", opt.json_path}}, 0, inputs);
  const Device dev = resolve_device(opt.device);
  const nn::SafetensorsFile file = nn::load_file(opt.load_path);  // one read: what is checked is what is loaded
  const CheckpointInput checkpoint = read_checkpoint_input(file, opt.load_path);
  const ImageShape shape = resolve_image_shape(opt.image, opt.image_folder, &checkpoint, opt.load_path);
  const TrainingData data = load_training_data(opt.data, opt.image_folder, shape, /*with_train=*/false);
  check_checkpoint_data(checkpoint, data, opt.load_path);
  auto model = make_small_cnn(static_cast<int64_t>(data.classes.size()), data.shape);
  load_checkpoint(file, opt.load_path, *model, nullptr);
  model->to(dev);
  const data::TensorDataset& test_set = *data.test;
  const auto t0 = Clock::now();
  std::shared_ptr<nn::Module> evaluated = model;
  if (opt.fuse_bn) {  // Note [Folding BatchNorm]
    model->eval();
    evaluated = nn::utils::fuse_conv_bn_eval(*model);
  }
  const Confusion confusion = test_confusion(test_set, dev, static_cast<int64_t>(data.classes.size()))(*evaluated);
  const double accuracy = confusion.accuracy();
  std::printf("test accuracy %.4f (%zu images, %.2f s)\n", accuracy, test_set.size(), since(t0));
  if (opt.per_class) std::printf("\n%s", format_confusion(confusion, data.classes).c_str());
  if (!opt.json_path.empty())
    write_json(opt.json_path, {.device = dev, .confusion = &confusion, .classes = data.classes}, {}, accuracy);
  return 0;
}

void common_flags(CLI::App& app, TrainOptions& opt) {
  app.add_option("--device", opt.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--batch-size", opt.batch_size, "images per batch")
      ->transform(in_range(1, 65536))
      ->capture_default_str();
  app.add_option("--data", opt.data, "folder with the Fashion-MNIST .gz files")->capture_default_str();
  app.add_option("--image-folder", opt.image_folder,
                 "your own images instead of Fashion-MNIST: DIR/train/<class>/* and DIR/val/<class>/* (or DIR/test), "
                 "PNG or JPEG, read as 28x28 grey unless --image-size/--image-mode say otherwise");
  app.add_option("--image-size", opt.image.size,
                 "with --image-folder: resize each image to N x N (default 28, or the checkpoint's)")
      ->transform(in_range(4, 1024));
  app.add_option("--image-mode", opt.image.mode,
                 "with --image-folder: read the images as gray or rgb (default gray, or the checkpoint's)")
      ->check(CLI::IsMember({"gray", "rgb"}));
  app.add_option("--json", opt.json_path, "write the results to this JSON file");
}

}  // namespace

Runner add_train_command(CLI::App& sub) {
  auto opt = std::make_shared<TrainOptions>();
  common_flags(sub, *opt);
  sub.add_option("--epochs", opt->epochs, "epochs to train")->transform(in_range(0, 1000))->capture_default_str();
  add_optimizer_flags(sub, opt->optimizer);
  sub.add_option("--save", opt->save_path, "save a checkpoint (safetensors) after each epoch");
  sub.add_option("--resume", opt->resume_path,
                 "resume from a checkpoint saved with --save (--epochs then counts the epochs added)")
      ->check(CLI::ExistingFile);
  sub.add_option("--limit", opt->limit, "train on the first N images only")->transform(in_range(0, 1e9));
  sub.add_option("--seed", opt->seed, "random seed (weights, shuffling, dropout)")
      ->transform(in_range(0, 9.2e18))
      ->capture_default_str();
  sub.add_flag("--amp", opt->amp, "bf16 autocast (conv/linear in bf16, fp32 accumulation, fp32 parameters)");
  sub.add_option("--amp-dtype", opt->amp_dtype,
                 "autocast's dtype (implies --amp): bfloat16, or float16 with PyTorch's loss scaling (GradScaler: "
                 "the loss scaled, steps with inf/NaN gradients skipped; the step runs eagerly)")
      ->check(CLI::IsMember({"bfloat16", "float16"}))
      ->each([opt](const std::string&) { opt->amp = true; });
  sub.add_flag("--deterministic", opt->deterministic,
               "deterministic algorithms (torch.use_deterministic_algorithms(True)): cuDNN's deterministic engines "
               "and deterministic CUDA kernels, so a --seed gives the same model on the same GPU and software");
  sub.add_option("--memory-format", opt->memory_format,
                 "the model's layout: contiguous (NCHW), channels_last (NHWC, as model.to(memory_format="
                 "torch.channels_last)) or auto (contiguous)")
      ->check(CLI::IsMember({"auto", "contiguous", "channels_last"}))
      ->capture_default_str();
  sub.add_option("--schedule", opt->schedule,
                 "learning-rate schedule per step: cosine (lr annealed to 0), onecycle (up to 2*lr, then down) or none")
      ->check(CLI::IsMember({"cosine", "onecycle", "none"}))
      ->capture_default_str();
  CLI::Option* inject = sub.add_option("--inject-mistake", opt->inject_mistake,
                 "instead of training, make one mistake with train()/eval() or grad mode on the small CNN "
                 "(random data) and show the diagnostic it triggers")
      ->check(CLI::IsMember(mistake_names()));
  sub.add_flag("--sync-bn", opt->sync_bn,
               "under mpirun: BatchNorm statistics over every rank's share of the batch (SyncBatchNorm); "
               "with one process it changes nothing");
  add_trace_flags(sub, opt->trace, /*steps=*/true);
  auto* graph_on = sub.add_flag_callback(
      "--cuda-graph", [opt] { opt->cuda_graph = CudaGraphFlag::On; },
      "capture the training step as a CUDA graph and replay it (default on CUDA when the step is static: one "
      "process, no --trace)");
  auto* graph_off = sub.add_flag_callback(
      "--no-cuda-graph", [opt] { opt->cuda_graph = CudaGraphFlag::Off; }, "run every step eagerly on CUDA");
  graph_on->excludes(graph_off);
  sub.add_option("--augment", opt->augment,
                 "augment each training batch, a comma-separated list run in order: crop[=PAD] (RandomCrop(the "
                 "images' size, padding=PAD), default 2), flip[=P] (RandomHorizontalFlip, default 0.5), rotate[=DEG] "
                 "(RandomRotation, default 10), erase[=P] (RandomErasing, default 0.5), resized_crop[=MIN] "
                 "(RandomResizedCrop, scale (MIN, 1), default 0.08), jitter[=S] (ColorJitter of brightness, contrast "
                 "and saturation S, default 0.4), gray[=P] (RandomGrayscale, default 0.1, RGB images); e.g. crop,flip");
  sub.add_flag("--drop-last", opt->drop_last,
               "drop each epoch's last partial batch (by default it runs, eagerly under --cuda-graph)");
  return [opt, inject, app = &sub] {
    // The demo trains nothing: any flag but --device would be silently ignored.
    for (const CLI::Option* other : app->get_options()) {
      EMBER_CHECK(inject->count() == 0 || other == inject || other->count() == 0 || other->get_name() == "--device",
                  "--inject-mistake runs a diagnostics demo instead of training; it takes no ", other->get_name(),
                  " (only --device)");
    }
    return run_train(*opt);
  };
}

Runner add_eval_command(CLI::App& sub) {
  auto opt = std::make_shared<TrainOptions>();
  common_flags(sub, *opt);
  sub.add_option("--load", opt->load_path, "checkpoint to evaluate")->required()->check(CLI::ExistingFile);
  sub.add_flag("--per-class", opt->per_class,
               "also print each class's accuracy and the confusion matrix (--json always has both)");
  sub.add_flag("--fuse-bn", opt->fuse_bn,
               "fold each BatchNorm into the convolution before it (torch.nn.utils.fuse_conv_bn_eval) and evaluate "
               "the fused model");
  return [opt] { return run_eval(*opt); };
}

}  // namespace ember::tools
