// TensorOptions: dtype, device and requires_grad for factories, set builder-style:
// TensorOptions().dtype(kFloat64).device(Device::cpu()).requires_grad(true).
#pragma once
#include "core/device.h"
#include "core/dtype.h"

namespace ember {

class TensorOptions {
 public:
  constexpr TensorOptions() = default;
  constexpr TensorOptions(DType dt) : dtype_(dt), has_dtype_(true) {}  // NOLINT: zeros({2}, kInt64)
  constexpr TensorOptions(Device dev) : device_(dev), has_device_(true) {}  // NOLINT: zeros({2}, Device::cuda())

  constexpr TensorOptions dtype(DType dt) const { auto o = *this; o.dtype_ = dt; o.has_dtype_ = true; return o; }
  constexpr TensorOptions device(Device d) const { auto o = *this; o.device_ = d; o.has_device_ = true; return o; }
  constexpr TensorOptions requires_grad(bool r) const { auto o = *this; o.requires_grad_ = r; return o; }

  constexpr DType dtype() const { return dtype_; }
  constexpr Device device() const { return device_; }
  constexpr bool requires_grad() const { return requires_grad_; }
  // Whether a dtype was given: factories that infer one from their values (arange and
  // full of integers give int64, as in PyTorch) do so only when none was.
  constexpr bool has_dtype() const { return has_dtype_; }
  // Whether a device was given: the *_like factories keep their tensor's otherwise.
  constexpr bool has_device() const { return has_device_; }

 private:
  DType dtype_ = kFloat32;
  Device device_ = Device::cpu();
  bool requires_grad_ = false;
  bool has_dtype_ = false;
  bool has_device_ = false;
};

inline TensorOptions dtype(DType dt) { return TensorOptions().dtype(dt); }
inline TensorOptions device(Device d) { return TensorOptions().device(d); }

}  // namespace ember
