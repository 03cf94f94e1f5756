// Checkpoint loading and the default generator's state in checkpoint metadata
// (tools/train_resume.h).
#include "tools/train_resume.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/error.h"
#include "core/parse.h"
#include "core/random.h"

namespace ember::tools {

namespace {

uint64_t parse_seed(const std::string& text, const std::string& path) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  EMBER_CHECK(!text.empty() && ec == std::errc() && ptr == end, "the rng_seed in checkpoint '", path,
              "': expected a decimal integer from 0 to 2^64 - 1, but got '", text, "'");
  return value;
}

// The shortest text that reads back as v (0.05, not 0.050000000000000003).
std::string shortest(double v) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, v);
  return ec == std::errc() ? std::string(text, end) : std::string("?");
}

// A finite lr > 0, written by schedule_metadata.
double parse_base_lr(const std::string& text, const std::string& path) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  EMBER_CHECK(!text.empty() && ec == std::errc() && ptr == end && std::isfinite(value) && value > 0,
              "the lr in checkpoint '", path, "': expected a finite number > 0, but got '", text, "'");
  return value;
}

}  // namespace

double resumed_base_lr(const nn::Metadata& metadata, const std::string& path, std::optional<double> flag_lr,
                       double default_lr) {
  const auto it = metadata.find(kBaseLrKey);
  if (it == metadata.end()) return flag_lr.value_or(default_lr);  // an older checkpoint
  const double recorded = parse_base_lr(it->second, path);
  EMBER_CHECK(!flag_lr || *flag_lr == recorded, "--lr: --resume '", path, "' continues a run whose lr was ", it->second,
              ", but got --lr ", shortest(flag_lr.value_or(0)), "; a resumed run keeps its lr (drop --lr or give ",
              it->second, ": Note [Resumed learning rate])");
  return recorded;
}

void check_resumed_schedule(const nn::Metadata& metadata, const std::string& path, const std::string& schedule) {
  const auto it = metadata.find(kScheduleKey);
  EMBER_CHECK(it == metadata.end() || it->second == schedule, "--schedule: --resume '", path,
              "' continues a run trained with --schedule ", it->second, ", but this run has --schedule ", schedule,
              "; resume with --schedule ", it->second, " (Note [Resumed learning rate])");
}

nn::Metadata schedule_metadata(double base_lr, const std::string& schedule) {
  return {{kBaseLrKey, shortest(base_lr)}, {kScheduleKey, schedule}};
}

nn::Metadata random_state_metadata() {
  const PhiloxArgs state = default_generator().reserve(0);  // reserves nothing: reads the state
  return {{"rng_seed", std::to_string(state.seed)}, {"rng_offset", std::to_string(state.offset)}};
}

void restore_random_state(const nn::Metadata& metadata, const std::string& path) {
  const auto seed = metadata.find("rng_seed");
  const auto offset = metadata.find("rng_offset");
  EMBER_CHECK((seed == metadata.end()) == (offset == metadata.end()), "checkpoint '", path,
              "' has only one of rng_seed and rng_offset");
  if (seed == metadata.end()) return;
  const uint64_t s = parse_seed(seed->second, path);
  const auto o = static_cast<uint64_t>(parse_integer(offset->second, 0, std::numeric_limits<int64_t>::max(),
                                                     "the rng_offset in checkpoint '" + path + "'"));
  Generator& gen = default_generator();
  gen.manual_seed(s);
  gen.reserve(o);  // moves the offset to o
}

int load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer* opt,
                    const std::string& optimizer_name) {
  // One read: tensors and metadata agree.
  return load_checkpoint(nn::load_file(path), path, model, opt, optimizer_name);
}

int load_checkpoint(const nn::SafetensorsFile& file, const std::string& path, nn::Module& model,
                    optim::Optimizer* opt, const std::string& optimizer_name) {
  if (opt) {  // Note [ember train's optimizers]: before anything changes
    const auto it = file.metadata.find(kOptimizerKey);
    const bool recorded = it != file.metadata.end();
    const std::string made_by = recorded ? it->second : "sgd";  // older checkpoints: always SGD
    EMBER_CHECK(made_by == optimizer_name, "--resume: checkpoint '", path, "' was made with --optimizer ", made_by,
                recorded ? "" : " (it names none: ember train used SGD before --optimizer)",
                ", but this run has --optimizer ", optimizer_name, "; resume with --optimizer ", made_by,
                " (an optimizer's state does not carry over to another)");
  }
  nn::StateDict model_sd, optim_sd;
  for (const auto& [k, v] : file.tensors) {
    if (k.rfind("model.", 0) == 0) model_sd.emplace_back(k.substr(6), v);
    else if (k.rfind("optim.", 0) == 0) optim_sd.emplace_back(k.substr(6), v);
  }
  EMBER_CHECK(!model_sd.empty(), "'", path, "' is not an ember checkpoint (no model.* tensors)");
  model.load_state_dict(model_sd, true);
  if (opt && !optim_sd.empty()) opt->load_state_dict(optim_sd);
  if (!opt) return 0;  // evaluation does not need the epoch
  restore_random_state(file.metadata, path);  // Note [Kill and resume]
  const auto it = file.metadata.find("epoch");
  // Bounded, as it comes from a file (the schedule jumps there: Note [Schedules jump, never replay]).
  return it == file.metadata.end() ? 0
                                   : static_cast<int>(parse_integer(it->second, 0, kMaxCheckpointEpoch,
                                                                    "the epoch in checkpoint '" + path + "'"));
}

}  // namespace ember::tools
