// Capturable optimizers (PyTorch's capturable=True): the hyper-parameters a schedule
// changes, and Adam's step count, kept as one-element float64 tensors on the
// parameters' device, so a captured optimizer step reads the current values.
//
// Note [Capturable optimizers]
// A CUDA graph replays its kernels with the arguments they were captured with, so an lr
// passed by value would stay the capture's lr forever. With SGDOptions::capturable (or
// AdamOptions/AdamWOptions::capturable) each parameter group keeps its lr and its
// momentum (SGD) or beta1 (Adam) in device memory, and the fused kernels read them
// there (SgdStepArgs/AdamStepArgs' device_ pointers, resolved once per thread by
// core/optim_math.h with the same rounding as the host values, so capturable and plain
// steps give the same bits on one device; Adam's bias corrections on a GPU excepted, whose
// pow may differ from glibc's in the last bit). Adam's step count lives on the device too
// (incremented by a kernel) and the bias corrections are computed from it on the
// device. set_lr and set_momentum (the schedulers) write the new value at once with a
// fill on the current stream: between replays, outside any capture. The first step
// creates the tensors, so it must run before a capture (the warm-up); creating or
// changing them inside a capture is an ember::Error, as is a capturable step whose
// gradient or state is laid out unlike its parameter (SGD's native-op fallback reads the
// values on the host; Adam's staged copies, Note [Staged optimizer operands], are kept
// out of graphs). On the CPU the same kernels read the same tensors in host memory.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace ember::optim::detail {

// One hyper-parameter of a group as a float64 [1] on the parameters' device.
class DeviceValue {
 public:
  // The tensor's address for a kernel on `device`, after writing `value` there when it
  // is new or differs from what was written (never inside a capture). `what`: "SGD lr".
  const double* get(double value, Device device, const char* what);
  // Writes `value` now when the tensor exists (a scheduler between replays).
  void set(double value, const char* what);
  const Tensor& tensor() const { return tensor_; }

 private:
  Tensor tensor_;
  double written_ = 0.0;
};

// A group's device-resident lr and momentum (SGD) or beta1 (Adam/AdamW).
struct CapturableGroup {
  DeviceValue lr, momentum;
};

// The group's entry, made on first use.
CapturableGroup& capturable_group(std::vector<CapturableGroup>& groups, size_t group);

// After a schedule changed `group`'s options: writes its lr and momentum/beta1 to the
// device values that exist (none before the group's first capturable step).
void write_capturable_group(std::vector<CapturableGroup>& groups, size_t group, double lr, double momentum,
                            const char* lr_what, const char* momentum_what);

// Throws "... <doing> <what> inside a CUDA graph capture ..." while capturing.
void check_outside_capture(const char* what, const char* doing);

// Throws while `param`'s stream is capturing a CUDA graph: `optimizer` has no
// capturable option, so the values it passes by value (lr, a step count) would be frozen.
void check_not_capturing(const Tensor& param, const char* optimizer);

// Throws when a capturable step cannot use the fused kernel (see the Note).
void check_capturable_fusable(bool fusable, const char* optimizer);

// Adam's step count as float64 [1] on `device`, moved there (and converted) outside a
// capture when it was loaded elsewhere; a fresh zero when undefined.
Tensor& device_step(Tensor& step, Device device);

}  // namespace ember::optim::detail
