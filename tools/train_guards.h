// What `ember train` checks so that no failure looks like success: every output path
// before the first step (Note [Outputs are checked before training]) and the loss,
// wherever it is already read, for a diverged run (Note [A diverged run stops]).
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"

namespace ember::tools {

// Note [Outputs are checked before training]
// A run that trains for an hour and then cannot write its checkpoint or JSON has
// failed late. So each output flag's path is checked before the data is even read
// (nn::check_writable_target: folder exists and takes a new file, the target is not a
// directory, FIFO or device), and --epochs 0 with --save is refused: no epoch ends, so
// nothing would be saved, and saving the untrained (or merely resumed) model under
// the name of a trained checkpoint is what a PyTorch user would least expect from a
// script whose save sits at the end of its epoch loop. The writes themselves are
// atomic and report every error (nn::write_file_atomically).
// No output may be a file the command reads (`inputs`: --load, --resume, the images, the
// dataset files) or another output: `predict --json ck.safetensors --load ck.safetensors`
// would replace the checkpoint with its own report. An output is renamed into place, which
// replaces its own directory entry only (a symlink there, never its target; a hard link's
// other names keep the old file), so it conflicts with an input that resolves to that
// entry (its folder compared by device and inode, symlinks followed). --save may name
// the --resume checkpoint (training on from it is the point), so the callers leave that
// pair out.
// `outputs`, `inputs`: (flag, path) pairs; an empty path is a flag not given.
using FlagPaths = std::vector<std::pair<std::string, std::string>>;
void check_train_outputs(const FlagPaths& outputs, int epochs, const FlagPaths& inputs = {});

// Note [A diverged run stops]
// A loss that becomes NaN or infinite never comes back: every later step only spreads
// NaN through the weights, and a checkpoint saved from them is worthless. So the loss
// is checked where it is already read (each step on the CPU; every kLossReadEvery
// steps on CUDA, where the value read is the epoch's running sum), never with an extra
// device read, and the parameters once per epoch before a save (one reduction each).
// The run then stops with an ember::Error naming the epoch and step, the last finite
// loss and a hint; --save keeps the last good epoch's checkpoint, as nothing after the
// divergence is saved.
class DivergenceGuard {
 public:
  // lr, optimizer: the run's starting --lr and --optimizer, for the hint.
  DivergenceGuard(double lr, std::string optimizer) : lr_(lr), optimizer_(std::move(optimizer)) {}
  // `loss`: the value read at `step` of `epoch` (a step's loss or a running mean).
  void check_loss(double loss, int epoch, size_t step);
  // Before saving epoch `epoch`: every parameter finite.
  void check_parameters(nn::Module& model, int epoch) const;

 private:
  double lr_;
  std::string optimizer_;
  double last_finite_ = 0;
  int last_epoch_ = 0;
  size_t last_step_ = 0;
  bool seen_finite_ = false;
};

}  // namespace ember::tools
