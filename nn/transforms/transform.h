// ember::transforms: torchvision's image transforms (the tensor path) for batches
// [B, C, H, W] (one random decision per sample) and single images [C, H, W] or [H, W].
// This header: the Transform base class, torchvision's "int or sequence" arguments,
// Compose and Lambda. The transforms themselves: pad_crop_flip.h, normalize_erasing.h, affine.h,
// resize.h, color.h.
#pragma once
#include <concepts>
#include <functional>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ember::transforms {

// Note [Batched transforms]
// torchvision applies a random transform to one image at a time, inside a Dataset, with
// host draws (torch.rand(1) < p). ember's transforms take a whole batch [B, C, H, W] and
// give each sample its own decision, drawn from ember's default generator on the images'
// device (ember::rand / randn there), and apply it with device ops (where, gather,
// affine_grid + grid_sample): nothing is read back to the host, so a CUDA batch is never
// synchronised and there is no per-sample host loop. manual_seed(s) makes a run
// reproducible on one device; the CPU and CUDA draw the same Philox streams, so the same
// seed gives the same decisions on both. A 3-D [C, H, W] (or 2-D [H, W]) tensor is one
// image and gets one decision. Outputs are composed of differentiable ops: an input that
// requires grad gets an output with a grad_fn (transforms usually run under NoGradGuard).
// Deterministic results equal torchvision 0.14's tensor path (checked in tests/nn).
class Transform {
 public:
  virtual ~Transform() = default;
  virtual Tensor operator()(const Tensor& images) const = 0;
  // torchvision's repr, e.g. "RandomCrop(size=(28, 28), padding=4)".
  virtual std::string repr() const = 0;
};
std::ostream& operator<<(std::ostream& os, const Transform& transform);

// An argument torchvision takes as an int or a sequence of ints (padding, size):
// remembers which, for the repr and for the length checks.
struct IntOrList {
  IntOrList(int64_t value) : values{value}, is_number(true) {}  // NOLINT(google-explicit-constructor)
  IntOrList(std::initializer_list<int64_t> list) : values(list) {}
  IntOrList(std::vector<int64_t> list) : values(std::move(list)) {}  // NOLINT(google-explicit-constructor)
  std::vector<int64_t> values;
  bool is_number = false;
  std::string repr() const;  // "4" or "[1, 2]"
};

// An argument torchvision takes as a number or a sequence of numbers (degrees, shear, fill).
struct NumberOrList {
  NumberOrList(double value) : values{value}, is_number(true) {}  // NOLINT(google-explicit-constructor)
  NumberOrList(std::initializer_list<double> list) : values(list) {}
  NumberOrList(std::vector<double> list) : values(std::move(list)) {}  // NOLINT(google-explicit-constructor)
  std::vector<double> values;
  bool is_number = false;
  std::string repr() const;  // as Python prints an int-valued number: "0", "1.5", "[1, 0.5]"
};

// A transform held by Compose: any Transform by value, or a shared pointer to one.
class AnyTransform {
 public:
  template <typename T>
  requires std::derived_from<T, Transform> AnyTransform(T transform)
      : ptr_(std::make_shared<T>(std::move(transform))) {}  // NOLINT
  template <typename T>
  requires std::derived_from<T, Transform> AnyTransform(std::shared_ptr<T> transform)
      : ptr_(std::move(transform)) {}  // NOLINT
  const Transform& operator*() const { return *ptr_; }
  const Transform* operator->() const { return ptr_.get(); }

 private:
  std::shared_ptr<const Transform> ptr_;
};

// torchvision.transforms.Compose: the transforms applied in order.
class Compose : public Transform {
 public:
  Compose(std::vector<AnyTransform> transforms);  // NOLINT(google-explicit-constructor)
  Tensor operator()(const Tensor& images) const override;
  std::string repr() const override;  // "Compose(\n    A\n    B\n)"
  const std::vector<AnyTransform>& transforms() const { return transforms_; }

 private:
  std::vector<AnyTransform> transforms_;
};

// torchvision.transforms.Lambda: a user function as a transform.
class Lambda : public Transform {
 public:
  explicit Lambda(std::function<Tensor(const Tensor&)> fn);
  Tensor operator()(const Tensor& images) const override { return fn_(images); }
  std::string repr() const override { return "Lambda()"; }

 private:
  std::function<Tensor(const Tensor&)> fn_;
};

}  // namespace ember::transforms
