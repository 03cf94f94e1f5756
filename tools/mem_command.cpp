// `ember mem`: one forward (and forward+backward where grad is on) of the small CNN in
// each mode (train_grad, eval_grad, eval_no_grad, eval_inference_mode; memory::measure_mode,
// Note [Measuring the modes]), reporting the allocator's peak, the ledger's saved bytes, graph
// nodes, time and saved bytes per layer
// beside what PyTorch keeps for the same layer (tools/pytorch_saved.h); --dtype measures
// the model cast to bfloat16 or float16 (module.half()); --amp adds each mode under bf16
// autocast and what it saves against float32; --checkpoint N adds training with the model
// in N segments under utils::checkpoint_sequential.
// Peaks come from the device's own caching allocator; on CUDA the clock is read only
// after cuda::synchronize(), and one untimed pass first builds cuDNN's plans and grows
// its workspace, so neither is charged to the first mode measured.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include <ember/ember.h>

#include "nn/functional/loss.h"
#include "nn/serialize/files.h"
#include "nn/serialize/json.h"
#include "tools/commands.h"
#include "tools/pytorch_saved.h"
#include "tools/flag_checks.h"
#include "tools/mem_plot.h"
#include "tools/output_check.h"
#include "tools/trace_flags.h"
#include "tools/train_guards.h"
#include "tools/small_cnn.h"

namespace ember::tools {
namespace {

struct MemOptions {
  std::string device = "auto";
  std::string model = "small-cnn";
  std::vector<int64_t> batch_sizes{256};
  std::string json_path;
  std::string plot_path;  // --plot: SVG of the modes' memory over the layers
  std::string dtype = "float32";  // --dtype: the model's and the input's (float32, bfloat16, float16)
  bool amp = false;       // --amp: each mode also under bf16 autocast ("train_grad+amp", ...)
  int64_t checkpoint_segments = 0;  // --checkpoint N: also "train_grad+checkpoint" (0: not)
  TraceFlags trace;
};

// One measured mode of one batch size, with what PyTorch keeps for the same layers.
struct ModeResult {
  std::string mode;  // "train_grad", "train_grad+amp", "train_grad+checkpoint", ...
  int64_t batch = 0;
  memory::ModeMeasurement measured;                  // Note [Measuring the modes]
  std::map<std::string, int64_t> pytorch_by_module;  // PyTorch's save rules (tools/pytorch_saved.h)
  int64_t pytorch_saved_bytes = 0;
};

using memory::RunMode;

std::string phase_name(const ModeResult& r) { return "mem " + r.mode + " batch " + std::to_string(r.batch); }

// segments > 0: the forward runs as checkpoint_sequential(model, segments, x) (training only).
ModeResult measure(const std::shared_ptr<nn::Sequential>& model, RunMode mode, const Tensor& x, const Tensor& y,
                   bool amp, int64_t segments = 0) {
  ModeResult r;
  r.mode = std::string(memory::run_mode_name(mode)) + (amp ? "+amp" : "") + (segments > 0 ? "+checkpoint" : "");
  r.batch = x.size(0);
  memory::ModeMeasureOptions options{
      .loss = [&y](const Tensor& logits) { return nn::functional::cross_entropy(logits, y); },
      .phase = phase_name(r)};
  if (segments > 0)
    options.forward = [&model, segments](const Tensor& in) {
      return utils::checkpoint_sequential(model, segments, in);
    };
  if (amp) options.autocast = kBFloat16;
  r.measured = memory::measure_mode(*model, x, mode, options);
  return r;
}

// One untimed forward and backward at this batch size (CUDA only; the CPU path is as
// before): cuDNN plans and its workspace, kept for the process, exist before measuring.
void warm_up(nn::Module& model, const Tensor& x, const Tensor& y, Device dev, bool amp) {
  if (!dev.is_cuda()) return;
  model.train();
  std::optional<AutocastGuard> autocast;  // --amp: the bf16 plans too
  if (amp) autocast.emplace(dev, kBFloat16);
  Tensor loss = nn::functional::cross_entropy(model(x), y);
  autocast.reset();
  loss.backward();
  model.zero_grad(true);
  cuda::synchronize();
}

void print_table(const std::vector<ModeResult>& results) {
  std::printf("%-24s %6s %14s %14s %8s %10s %16s\n", "mode", "batch", "peak (fwd)", "saved", "nodes", "fwd ms",
              "peak (fwd+bwd)");
  for (const auto& r : results) {
    std::printf("%-24s %6lld %14s %14s %8zu %10.2f %16s\n", r.mode.c_str(), static_cast<long long>(r.batch),
                mib(r.measured.forward_peak_bytes).c_str(), mib(r.measured.saved_bytes).c_str(), r.measured.graph_nodes,
                r.measured.forward_seconds * 1e3,
                r.measured.backward_peak_bytes < 0 ? "-" : mib(r.measured.backward_peak_bytes).c_str());
  }
  const ModeResult& train = results.front();
  std::printf("\nsaved bytes by layer (train_grad, batch %lld), beside what PyTorch keeps (its save rules):\n",
              static_cast<long long>(train.batch));
  std::printf("  %-8s %14s %14s\n", "layer", "ember", "PyTorch");
  // In the model's order: "2" before "10" (names of Sequential children are indices).
  std::map<std::string, std::pair<int64_t, int64_t>> layers;
  for (const auto& [name, bytes] : train.measured.saved_by_module) layers[name].first = bytes;
  for (const auto& [name, bytes] : train.pytorch_by_module) layers[name].second = bytes;
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> rows(layers.begin(), layers.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
  });
  for (const auto& [name, bytes] : rows)
    std::printf("  %-8s %14s %14s\n", name.c_str(), mib(bytes.first).c_str(), mib(bytes.second).c_str());
  std::printf("  %-8s %14s %14s   (ember / PyTorch = %.2f)\n", "all", mib(train.measured.saved_bytes).c_str(),
              mib(train.pytorch_saved_bytes).c_str(),
              train.pytorch_saved_bytes > 0
                  ? static_cast<double>(train.measured.saved_bytes) / static_cast<double>(train.pytorch_saved_bytes)
                  : 0.0);
}

// --amp: what bf16 autocast saves against float32, mode by mode (same batch size).
void print_amp_savings(const std::vector<ModeResult>& results) {
  std::printf("\nbf16 autocast against float32 (saved = activations kept for backward):\n");
  std::printf("  %-20s %6s %14s %14s %14s %14s\n", "mode", "batch", "saved fp32", "saved amp", "peak fp32",
              "peak amp");
  for (const ModeResult& amp : results) {
    if (amp.mode.size() < 4 || amp.mode.compare(amp.mode.size() - 4, 4, "+amp") != 0) continue;
    const std::string base_mode = amp.mode.substr(0, amp.mode.size() - 4);
    for (const ModeResult& fp32 : results) {
      if (fp32.mode != base_mode || fp32.batch != amp.batch) continue;
      std::printf("  %-20s %6lld %14s %14s %14s %14s\n", base_mode.c_str(), static_cast<long long>(amp.batch),
                  mib(fp32.measured.saved_bytes).c_str(), mib(amp.measured.saved_bytes).c_str(),
                  mib(fp32.measured.forward_peak_bytes).c_str(), mib(amp.measured.forward_peak_bytes).c_str());
    }
  }
}

void write_json(const std::string& path, Device dev, DType dtype, const std::vector<ModeResult>& results) {
  using nn::json::OrderedJson;
  OrderedJson out = {
      {"device", dev.str()}, {"model", "small-cnn"}, {"dtype", dtype_name(dtype)}, {"runs", OrderedJson::array()}};
  for (const auto& r : results) {
    // null where there is no number: PyTorch's save rules are counted for the plain modes
    // only (not +amp or +checkpoint), and the no-grad modes run no backward.
    const bool has_variant = r.mode.find('+') != std::string::npos;
    const auto or_null = [](bool known, int64_t v) { return known ? OrderedJson(v) : OrderedJson(nullptr); };
    OrderedJson run = {{"mode", r.mode},
                       {"batch_size", r.batch},
                       // above base_bytes (the parameters and the input), as the table's peak
                       {"peak_allocated_bytes", r.measured.forward_peak_bytes},
                       {"base_bytes", r.measured.base_bytes},
                       {"saved_bytes", r.measured.saved_bytes},
                       {"graph_nodes", r.measured.graph_nodes},
                       {"seconds", r.measured.forward_seconds},
                       {"forward_backward_peak_allocated_bytes",
                        or_null(r.measured.backward_peak_bytes >= 0, r.measured.backward_peak_bytes)},
                       {"backward_seconds", r.measured.backward_seconds},
                       {"pytorch_saved_bytes", or_null(!has_variant, r.pytorch_saved_bytes)}};
    std::map<std::string, std::pair<int64_t, int64_t>> modules;
    for (const auto& [name, bytes] : r.measured.saved_by_module) modules[name].first = bytes;
    for (const auto& [name, bytes] : r.pytorch_by_module) modules[name].second = bytes;
    run["modules"] = OrderedJson::object();
    for (const auto& [name, bytes] : modules)
      run["modules"][name] = {{"saved_bytes", bytes.first},
                              {"pytorch_saved_bytes", or_null(!has_variant, bytes.second)}};
    out["runs"].push_back(std::move(run));
  }
  nn::write_text_atomically(path, "write --json file", nn::json::dump(out, 2));
}

// --plot: the modes of the first batch size, from the profiler's events.
void write_plot(const MemOptions& opt, Device dev, const std::vector<ModeResult>& results) {
  std::vector<PlotMode> modes;
  for (const ModeResult& r : results)
    if (r.batch == results.front().batch)
      modes.push_back({r.mode, phase_name(r), r.measured.base_bytes, r.measured.saved_base_bytes});
  PlotAxis axis;
  const auto curves = mem_curves(profiler::events(), dev, modes, axis);
  const std::string detail = "small CNN, batch " + std::to_string(results.front().batch) + ", " + dev.str();
  nn::write_text_atomically(opt.plot_path, "write --plot file", mem_plot_svg(curves, axis, detail));
}

int run_mem(const MemOptions& opt) {
  EMBER_CHECK(opt.model == "small-cnn", "--model: only small-cnn is available, got '", opt.model, "'");
  check_trace_flags(opt.trace);
  if (!opt.plot_path.empty()) {
    EMBER_CHECK(opt.plot_path.size() > 4 && opt.plot_path.substr(opt.plot_path.size() - 4) == ".svg",
                "--plot: expected a path ending in .svg (the picture is an SVG file), got '", opt.plot_path, "'");
    check_output_path(opt.plot_path, "--plot");
  }
  if (!opt.json_path.empty()) check_output_path(opt.json_path, "--json");
  for (size_t i = 0; i < opt.batch_sizes.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      EMBER_CHECK(opt.batch_sizes[i] != opt.batch_sizes[j], "--batch-size: expected each size once, got ",
                  opt.batch_sizes[i], " twice");
  check_train_outputs({{"--trace", opt.trace.path}, {"--json", opt.json_path}, {"--plot", opt.plot_path}}, 0);
  const DType dtype = opt.dtype == "float16" ? kFloat16 : opt.dtype == "bfloat16" ? kBFloat16 : kFloat32;
  EMBER_CHECK(!opt.amp || dtype == kFloat32, "--amp measures the float32 model under bf16 autocast; with --dtype ",
              opt.dtype, " the model is already 16-bit (leave out one of them)");
  const Device dev = resolve_device(opt.device);
  manual_seed(0);
  auto model = make_small_cnn();
  model->to(dev);
  model->to(dtype);  // module.half() / .bfloat16(): Note [16-bit layers outside autocast]
  std::vector<ModeResult> results;
  std::optional<TraceSession> trace;
  for (int64_t batch : opt.batch_sizes) {
    Tensor x = randn({batch, 1, 28, 28}, TensorOptions().device(dev)).to(dtype);
    Tensor y = randint(0, 10, {batch}, TensorOptions(kInt64).device(dev));
    warm_up(*model, x, y, dev, false);
    if (opt.amp) warm_up(*model, x, y, dev, true);
    if (!trace && (!opt.trace.path.empty() || !opt.plot_path.empty()))
      trace.emplace(opt.trace, /*force=*/true);  // after the warm-up: it is not measured
    for (bool amp : {false, true}) {
      if (amp && !opt.amp) continue;
      for (RunMode m : {RunMode::TrainGrad, RunMode::EvalGrad, RunMode::EvalNoGrad, RunMode::EvalInferenceMode})
        results.push_back(measure(model, m, x, y, amp));
    }
    if (opt.checkpoint_segments > 0)
      results.push_back(measure(model, RunMode::TrainGrad, x, y, false, opt.checkpoint_segments));
  }
  if (trace) trace->finish();
  // PyTorch's saved bytes for the graph modes (its save rules), after the trace: their
  // shape pass is not part of any mode.
  for (ModeResult& r : results) {
    if (r.mode != "train_grad" && r.mode != "eval_grad") continue;
    r.pytorch_by_module =
        pytorch_saved_bytes(*model, {r.batch, 1, 28, 28}, dev, r.mode == "train_grad", dtype);
    for (const auto& [name, bytes] : r.pytorch_by_module) r.pytorch_saved_bytes += bytes;
  }
  std::printf("ember mem: small CNN on %s%s%s\n", dev.str().c_str(),
              dtype == kFloat32 ? "" : (", the model and input in " + std::string(dtype_name(dtype))).c_str(),
              opt.amp ? " (+amp: bf16 autocast)" : "");
  if (opt.checkpoint_segments > 0)
    std::printf("train_grad+checkpoint: the model in %lld segments, all but the last checkpointed "
                "(utils::checkpoint_sequential)\n",
                static_cast<long long>(opt.checkpoint_segments));
  std::printf("\n");
  print_table(results);
  if (opt.amp) print_amp_savings(results);
  if (!opt.json_path.empty()) write_json(opt.json_path, dev, dtype, results);
  if (!opt.plot_path.empty()) write_plot(opt, dev, results);
  return 0;
}

}  // namespace

Runner add_mem_command(CLI::App& sub) {
  auto opt = std::make_shared<MemOptions>();
  sub.add_option("--device", opt->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  sub.add_option("--model", opt->model, "model to measure")->capture_default_str();
  sub.add_option("--batch-size", opt->batch_sizes, "one or more batch sizes")
      ->transform(in_range(1, 65536))
      ->expected(1, -1);
  CLI::Option* json = sub.add_option("--json", opt->json_path, "write the results to this JSON file");
  CLI::Option* plot = sub.add_option("--plot", opt->plot_path, "draw allocated memory per mode over the layers (SVG)");
  sub.add_option("--dtype", opt->dtype,
                 "the model's and the input's dtype: float32, or bfloat16 / float16 (PyTorch's module.half())")
      ->check(CLI::IsMember({"float32", "bfloat16", "float16"}))
      ->capture_default_str();
  sub.add_flag("--amp", opt->amp, "also measure each mode under bf16 autocast (mode names +amp)");
  sub.add_option("--checkpoint", opt->checkpoint_segments,
                 "also measure training with the model in N segments, all but the last under activation "
                 "checkpointing (mode train_grad+checkpoint)")
      ->transform(in_range(1, 14));
  add_trace_flags(sub, opt->trace, /*steps=*/false);
  return [opt, json, plot] {
    // an output flag given an empty path is refused (unset, the same string means "not given")
    if (json->count() > 0) check_output_path(opt->json_path, "--json");
    if (plot->count() > 0) check_output_path(opt->plot_path, "--plot");
    return run_mem(*opt);
  };
}

}  // namespace ember::tools
