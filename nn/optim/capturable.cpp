// The device-resident hyper-parameters of capturable optimizers (Note [Capturable
// optimizers] in nn/optim/capturable.h): written by a fill, never inside a capture.
#include "nn/optim/capturable.h"

#include "core/factories.h"
#include "core/native.h"
#include "cuda/graph.h"
#include "cuda/stream.h"

namespace ember::optim::detail {

void check_outside_capture(const char* what, const char* doing) {
  EMBER_CHECK(!cuda::is_current_stream_capturing(), "capturable optimizer: ", doing, " ", what,
              " inside a CUDA graph capture would fix it in the graph; expected the first step before the capture "
              "(a warm-up step) and lr/momentum changes between replays (Note [Capturable optimizers])");
}

const double* DeviceValue::get(double value, Device device, const char* what) {
  if (!tensor_.defined() || tensor_.device() != device) {
    EMBER_CHECK(!tensor_.defined(), "capturable optimizer: the parameters of one group must share a device for ",
                what, ": expected ", tensor_.defined() ? tensor_.device().str() : "", ", but got ", device.str());
    check_outside_capture(what, "creating");
    tensor_ = full({1}, value, TensorOptions(kFloat64).device(device));
    written_ = value;
  } else if (written_ != value) {
    set(value, what);
  }
  return tensor_.data_ptr<double>();
}

void DeviceValue::set(double value, const char* what) {
  if (!tensor_.defined() || written_ == value) return;
  check_outside_capture(what, "writing");
  native::fill_(tensor_, value);
  written_ = value;
}

CapturableGroup& capturable_group(std::vector<CapturableGroup>& groups, size_t group) {
  if (groups.size() <= group) groups.resize(group + 1);
  return groups[group];
}

void write_capturable_group(std::vector<CapturableGroup>& groups, size_t group, double lr, double momentum,
                            const char* lr_what, const char* momentum_what) {
  if (group >= groups.size()) return;
  groups[group].lr.set(lr, lr_what);
  groups[group].momentum.set(momentum, momentum_what);
}

void check_not_capturing(const Tensor& param, const char* optimizer) {
  if (!param.is_cuda()) return;
  const cuda::DeviceGuard on_device(param.device().index());  // the capture is on the parameter's device
  EMBER_CHECK(!cuda::is_current_stream_capturing(), optimizer,
              ": a step inside a CUDA graph capture is not supported (", optimizer,
              " has no capturable option: its lr and step count would be frozen at the capture's values; Note "
              "[Capturable optimizers])");
}

void check_capturable_fusable(bool fusable, const char* optimizer) {
  EMBER_CHECK(fusable, optimizer,
              " (capturable): expected each gradient and state laid out like its parameter (the fused kernel reads "
              "the device-resident lr), but got a different layout");
}

Tensor& device_step(Tensor& step, Device device) {
  if (!step.defined()) {
    check_outside_capture("Adam's step count", "creating");
    step = zeros({}, TensorOptions(kFloat64).device(device));
  } else if (step.device() != device || step.dtype() != kFloat64) {
    check_outside_capture("Adam's step count", "moving");
    step = step.to(device, kFloat64);
  }
  return step;
}

}  // namespace ember::optim::detail
