// The small CNN of the README, and the tools' device resolution and size formatting.
#include "tools/small_cnn.h"

#include <cstdio>

#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/logging.h"
#include "nn/conv.h"
#include "nn/pooling.h"

namespace ember::tools {

std::shared_ptr<nn::Sequential> make_small_cnn() {
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 32, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(32),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Conv2d>(32, 64, 3, nn::Conv2dOptions{.stride = 1, .padding = 1}),
      std::make_shared<nn::BatchNorm2d>(64),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Dropout>(0.25),
      std::make_shared<nn::Linear>(64 * 7 * 7, 128),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Dropout>(0.5),
      std::make_shared<nn::Linear>(128, 10)});
}

std::string mib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

namespace {

// Whether the small CNN's layers run on `device`: one tiny forward through it. (Its
// convolution and pooling have CPU kernels only until the cuDNN layers land.)
bool small_cnn_runs_on(Device device, std::string& why) {
  try {
    NoGradGuard no_grad;
    auto model = make_small_cnn();
    model->to(device);
    model->eval();
    model->forward(zeros({1, 1, 28, 28}, TensorOptions().device(device)));
    return true;
  } catch (const Error& e) {
    why = e.what();
    return false;
  }
}

}  // namespace

Device resolve_device(const std::string& spec) {
  if (spec == "auto") {
    if (!cuda::is_available()) return Device::cpu();
    std::string why;
    if (small_cnn_runs_on(Device::cuda(0), why)) return Device::cuda(0);
    logging::warn("--device auto: a CUDA device is present, but the small CNN cannot run on it in this build ({}); "
                  "using the CPU", why);
    return Device::cpu();
  }
  Device d(spec);
  EMBER_CHECK(!d.is_cuda() || cuda::is_available(), "--device ", spec,
              " requested, but no CUDA device is available (use --device cpu or auto)");
  return d;
}

}  // namespace ember::tools
