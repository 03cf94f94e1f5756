// The small CNN of the README, and the tools' device resolution (auto: cuda:0 when the
// CNN trains there) and size formatting.
#include "tools/small_cnn.h"

#include <cstdio>
#include <exception>

#include "core/error.h"
#include "core/factories.h"
#include "core/logging.h"
#include "cuda/stream.h"
#include "nn/conv.h"
#include "nn/functional/loss.h"
#include "nn/pooling.h"

namespace ember::tools {

std::shared_ptr<nn::Sequential> make_small_cnn(int64_t num_classes, ImageShape input) {
  EMBER_CHECK(input.channels > 0 && input.height >= 4 && input.width >= 4, "the small CNN: expected images of at ",
              "least 4x4 pixels and one channel, but got ", input.str());
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(input.channels, 32, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(32),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Conv2d>(32, 64, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(64),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Dropout>(0.25),
      std::make_shared<nn::Linear>(64 * (input.height / 4) * (input.width / 4), 128),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Dropout>(0.5),
      std::make_shared<nn::Linear>(128, num_classes)});
}

std::string mib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

namespace {

// Whether the small CNN trains on `device`: one tiny forward and backward in train()
// mode, synchronised so that a kernel's asynchronous error surfaces here. Its layers
// have CUDA kernels, but a build can lack one of them (e.g. convolution without the cuDNN
// frontend); then this throws and `auto` falls back to the CPU. The trial draws from the
// default generator (weights, dropout): the tools call manual_seed after resolve_device.
bool small_cnn_runs_on(Device device, std::string& why) {
  try {
    auto model = make_small_cnn();
    model->to(device);
    const Tensor x = zeros({2, 1, 28, 28}, TensorOptions().device(device));
    const Tensor y = zeros({2}, TensorOptions(kInt64).device(device));
    nn::functional::cross_entropy((*model)(x), y).backward();
    cuda::synchronize();
    return true;
  } catch (const std::exception& e) {
    why = e.what();
    return false;
  }
}

}  // namespace

Device resolve_device(const std::string& spec) {
  Device d = Device::cpu();
  if (spec == "auto") {
    if (!cuda::is_available()) return d;
    std::string why;
    if (!small_cnn_runs_on(Device::cuda(0), why)) {
      logging::warn("--device auto: a CUDA device is present, but the small CNN cannot run on it in this build ({}); "
                    "using the CPU", why);
      return d;
    }
    d = Device::cuda(0);
  } else {
    d = Device(spec);
    EMBER_CHECK(!d.is_cuda() || cuda::is_available(), "--device ", spec,
                " requested, but no CUDA device is available (use --device cpu or auto)");
  }
  // The current device, so that cuda::synchronize() (timings) waits for this one.
  if (d.is_cuda()) cuda::set_device(d.index());
  return d;
}

}  // namespace ember::tools
