// libFuzzer harness: any bytes as an `ember train` checkpoint, loaded by
// tools::load_checkpoint, the function `ember train --resume` calls (model state,
// optimizer state with its checks, generator state, epoch), into a tiny model with the
// small CNN's layer kinds and SGD options: its valid checkpoint is ~1 KB, not 3 MB, so
// the fuzzer mutates the parts that matter.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "fuzz_input_file.h"
#include "nn/optim/sgd.h"
#include "nn/batchnorm.h"
#include "nn/container.h"
#include "nn/conv.h"
#include "nn/linear.h"
#include "tools/train_resume.h"

namespace {

namespace nn = ember::nn;

// Conv2d, BatchNorm2d (with its int64 num_batches_tracked buffer) and Linear.
std::shared_ptr<nn::Sequential> tiny_model() {
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 2, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(2), std::make_shared<nn::Linear>(4, 3)});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ember::fuzz::write_input_file("checkpoint.safetensors", data, size);
  auto model = tiny_model();
  ember::optim::SGD sgd(model->parameters(),
                        {.lr = 0.05, .momentum = 0.9, .dampening = 0, .weight_decay = 0, .nesterov = true});
  try {
    const int epoch = ember::tools::load_checkpoint(path, *model, &sgd);
    if (epoch < 0 || epoch > ember::tools::kMaxCheckpointEpoch) __builtin_trap();
    ember::fuzz::note_accepted();
  } catch (const ember::Error&) {
  }
  return 0;
}
