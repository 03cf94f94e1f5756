// The random-number state an `ember train` checkpoint carries, so that a run killed at
// any point and resumed ends bit-identical to one never stopped (Note [Kill and resume]).
#pragma once
#include <optional>
#include <string>

#include "nn/module.h"
#include "nn/optim/optimizer.h"
#include "nn/serialize/safetensors.h"

namespace ember::tools {

// The largest epoch a checkpoint may name (the schedule jumps there on resume).
constexpr int64_t kMaxCheckpointEpoch = 100000;

// Loads an `ember train` checkpoint: "model.*" tensors into `model` (strict), and with
// `opt` the "optim.*" state, the generator state and the epoch, which it returns (0
// without `opt`: evaluation needs none). With `opt`, the checkpoint's optimizer (its
// metadata "optimizer"; "sgd" when absent, as before --optimizer) must be
// `optimizer_name`, checked before anything is loaded (Note [ember train's optimizers]).
// `ember train --resume`, `ember eval --load` and the checkpoint fuzz harness
// (tests/fuzz) call this one function.
int load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer* opt,
                    const std::string& optimizer_name = "sgd");
// The same from a checkpoint already read (`path` names it in errors), so that what was
// checked of it and what is loaded come from one read.
int load_checkpoint(const nn::SafetensorsFile& file, const std::string& path, nn::Module& model,
                    optim::Optimizer* opt, const std::string& optimizer_name = "sgd");

// The metadata key naming the optimizer that made a checkpoint ("sgd", "adam", ...).
inline constexpr const char* kOptimizerKey = "optimizer";

// Note [Kill and resume]
// A checkpoint is written atomically at the end of each epoch (nn::write_file_atomically:
// a SIGKILL leaves the previous one whole) and holds all that decides what follows:
// model and optimizer state (and the optimizer's name), the epoch (the DataLoader's order(epoch) and the
// schedule's step_to; both closed forms) and the default generator's (seed, offset),
// which draws the dropout masks. A run killed mid-epoch resumes from the last saved
// epoch and repeats the interrupted one from its start: the same batches, masks and
// learning rates, so on the CPU the result is bit for bit that of an uninterrupted run
// (tests/cli/kill_and_resume.sh). On CUDA cuDNN's dropout keeps its own state, so a
// resumed CUDA run is a valid continuation, not a bit-identical one.

// Note [Resumed learning rate]
// A checkpoint records the run's base lr (metadata "lr": --lr or the optimizer's default,
// what the schedules start from) and its --schedule ("schedule"). A resumed run takes that
// lr when --lr is left out and refuses a different --lr or --schedule, as it refuses
// another --optimizer: either would make the resumed epochs differ from the run they
// continue. The schedule is rebuilt from the base lr, not from the optimizer's loaded lr
// (cosine's, already decayed, would be decayed twice), then jumps to the resumed step, so
// a run killed and resumed under any schedule ends as one never stopped. A checkpoint
// from before these keys takes its base lr from --lr or the default, under any schedule.
inline constexpr const char* kBaseLrKey = "lr";
inline constexpr const char* kScheduleKey = "schedule";
// The base lr of a resumed run: the checkpoint's, else `flag_lr`, else `default_lr`; a
// `flag_lr` that differs from the checkpoint's is an error naming both.
double resumed_base_lr(const nn::Metadata& metadata, const std::string& path, std::optional<double> flag_lr,
                       double default_lr);
// A checkpoint's --schedule, when it records one, must be `schedule`.
void check_resumed_schedule(const nn::Metadata& metadata, const std::string& path, const std::string& schedule);
// The metadata save_checkpoint adds for them (the lr written so that it reads back exactly).
nn::Metadata schedule_metadata(double base_lr, const std::string& schedule);

// "rng_seed" and "rng_offset" of the default generator, for the checkpoint's metadata.
nn::Metadata random_state_metadata();
// Restores them from a checkpoint's metadata (`path` for messages); a checkpoint
// without them (an older one) leaves the generator as it is.
void restore_random_state(const nn::Metadata& metadata, const std::string& path);

}  // namespace ember::tools
