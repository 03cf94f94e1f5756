// Tensor's own methods: allocation (make_empty, the hot path of every op), metadata
// by dim and memory format, raw data, item(), the version counter, and the native
// (unrecorded) copies behind to(), clone() and contiguous(format) (Tensor's wrappers
// with recording are in autograd/functions).
#include <limits>

#include "core/cuda_backend.h"
#include "core/dispatch.h"
#include "core/grad_mode.h"
#include "core/native.h"

namespace ember {

Tensor make_empty(const Dims& sizes, DType dtype, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  impl->sizes = sizes;
  impl->strides.resize(sizes.size());
  // One backward pass: row-major strides (a size-0 or size-1 dim counts as 1) and numel.
  int64_t stride = 1;
  int64_t numel = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    const int64_t size = sizes[i];
    EMBER_CHECK(size >= 0, "Trying to create tensor with negative dimension ", size, ": ", sizes);
    impl->strides[i] = stride;
    if (size > 1) {
      EMBER_CHECK(stride <= std::numeric_limits<int64_t>::max() / size, "shape ", sizes,
                  " has too many elements");
      stride *= size;
    }
    numel *= size;
  }
  EMBER_CHECK(numel <= std::numeric_limits<int64_t>::max() / 8, "shape ", sizes, " has too many elements");
  impl->numel = numel;
  impl->dtype = dtype;
  impl->is_inference = is_inference_mode_enabled();  // InferenceMode makes inference tensors
  impl->storage = std::make_shared<StorageImpl>(static_cast<size_t>(numel) * itemsize(dtype), device);
  return Tensor(std::move(impl));
}

Tensor make_empty(const Dims& sizes, DType dtype, Device device, MemoryFormat format) {
  if (format == MemoryFormat::Contiguous) return make_empty(sizes, dtype, device);
  Dims strides = memory_format_strides(sizes, format);  // checks the rank before allocating
  Tensor out = make_empty(sizes, dtype, device);
  out.impl().strides = strides;
  return out;
}

MemoryFormat dense_format_of(const Tensor& t) {
  const bool channels_last = !t.is_contiguous() && t.is_contiguous(MemoryFormat::ChannelsLast);
  return channels_last ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous;
}

bool Tensor::is_contiguous(MemoryFormat memory_format) const {
  if (memory_format == MemoryFormat::ChannelsLast) return is_channels_last_contiguous_layout(sizes(), strides());
  return is_contiguous();  // Contiguous, and Preserve as PyTorch answers it
}

MemoryFormat Tensor::suggest_memory_format() const {
  return looks_channels_last(sizes(), strides()) ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous;
}

int64_t Tensor::size(int64_t d) const {
  EMBER_CHECK(dim() > 0, "dimension specified as ", d, " but tensor has no dimensions");
  return impl().sizes[static_cast<size_t>(wrap_dim(d, dim()))];
}

int64_t Tensor::stride(int64_t d) const {
  EMBER_CHECK(dim() > 0, "dimension specified as ", d, " but tensor has no dimensions");
  return impl().strides[static_cast<size_t>(wrap_dim(d, dim()))];
}

void* Tensor::data_ptr() const {
  auto* base = static_cast<char*>(impl().storage->data());
  if (base == nullptr) return nullptr;  // zero-byte storage
  return base + impl().offset * static_cast<int64_t>(element_size());
}

namespace detail {
void item_overflow(const char* type_name) {
  EMBER_FAIL("value cannot be converted to type ", type_name, " without overflow");
}
}  // namespace detail

Scalar Tensor::item() const {
  EMBER_CHECK(numel() == 1, "a Tensor with ", numel(), " elements cannot be converted to Scalar");
  Tensor host = native::to_device(*this, Device::cpu());
  return visit_dtype(dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T value = *static_cast<const T*>(host.data_ptr());
    if constexpr (is_reduced_float_v<T>) return Scalar(static_cast<float>(value));
    else return Scalar(value);
  });
}

uint32_t Tensor::version() const {
  EMBER_CHECK(!impl().is_inference, "Inference tensors do not track version counter");
  return impl().storage->version();
}

namespace native {

// Conversions keep a channels-last source channels-last, as PyTorch's to() does.
Tensor to_dtype(const Tensor& a, DType dtype) {
  if (dtype == a.dtype()) return a;
  Tensor out = make_empty(a.sizes(), dtype, a.device(), a.suggest_memory_format());
  device_ops(a.device()).copy(a, out);
  return out;
}

// A dense copy on the other device (cuda/transfer.cpp moves the bytes between
// row-major tensors): row-major, or channels-last for a channels-last source, moved
// as its row-major NHWC permutation.
Tensor to_device(const Tensor& a, Device device) {
  if (device == a.device()) return a;
  const bool channels_last = a.suggest_memory_format() == MemoryFormat::ChannelsLast;
  const MemoryFormat format = channels_last ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous;
  Tensor src = a.is_contiguous(format) ? a : clone(a, format);
  if (channels_last) src = permute(src, {0, 2, 3, 1});  // row-major [N, H, W, C]
  Tensor out = make_empty(src.sizes(), a.dtype(), device);
  if (out.numel() > 0) copy_across_devices(src, out);
  return channels_last ? permute(out, {0, 3, 1, 2}) : out;
}

Tensor clone(const Tensor& a, MemoryFormat format) {
  if (format == MemoryFormat::Preserve && a.numel() > 0 && is_non_overlapping_and_dense(a.sizes(), a.strides())) {
    // PyTorch's preserve_format: a dense layout keeps its strides exactly.
    Tensor out = as_strided(make_empty({a.numel()}, a.dtype(), a.device()), a.sizes(), a.strides(), 0);
    device_ops(a.device()).copy(a, out);
    return out;
  }
  if (format == MemoryFormat::Preserve) format = a.suggest_memory_format();
  Tensor out = make_empty(a.sizes(), a.dtype(), a.device(), format);
  device_ops(a.device()).copy(a, out);
  return out;
}

}  // namespace native

}  // namespace ember
