// Tensor: a cheap value handle (one shared_ptr) to a TensorImpl, which is a strided
// view (sizes, strides, offset, dtype) of a shared StorageImpl. Methods mirror
// libtorch; core/tensor.cpp and core/views.cpp define the metadata and native copies,
// autograd/functions/*.cpp the recorded ops and views, cuda/streams.cpp record_stream.
// The elementwise and math methods are declared in core/tensor_elementwise_methods.h (a
// fragment of the class body), the operators in core/tensor_operators.h.
#pragma once
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/memory_format.h"
#include "core/scalar.h"
#include "core/shape.h"
#include "core/storage.h"
#include "core/tensor_options.h"

namespace ember {

namespace cuda {
class Stream;
}
class Generator;  // core/random.h: the generator= arguments of the random fills

namespace autograd {
struct AutogradMeta;  // defined by the autograd layer
class Node;
}

namespace indexing {
class TensorIndex;  // core/tensor_index.h: one entry of x.index({...})
}

struct TensorImpl {
  Storage storage;
  Dims sizes;
  Dims strides;
  int64_t offset = 0;  // in elements
  int64_t numel = 0;
  DType dtype = kFloat32;
  bool requires_grad = false;
  bool is_inference = false;
  std::shared_ptr<autograd::AutogradMeta> autograd;  // grad, grad_fn, ... (autograd layer)
};

// A single dim given as any integer but bool: a.sum(1) is a.sum({1}); braced lists,
// {} included, always take the Dims forms (a.sum({}) stays "every dim").
template <typename I>
concept DimIndex = std::integral<I> && !std::same_as<I, bool>;

template <typename T, size_t N>
class TensorAccessor;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  Tensor(const Tensor&) = default;
  Tensor(Tensor&&) noexcept = default;
  // Note [Assigning to a temporary tensor]
  // ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
  // A named tensor takes the other's handle (t = u shares u's storage). A temporary one,
  // x[0], x.select(1, 2), x.grad(), writes into the memory it views, as libtorch's rvalue
  // assignment does: x[0] = 5 is x[0].fill_(5), x[0] = y is x[0].copy_(y) (broadcast, dtype
  // and device converted). Before, such an assignment compiled and changed nothing.
  Tensor& operator=(const Tensor&) & = default;
  Tensor& operator=(Tensor&&) & noexcept = default;
  Tensor& operator=(const Tensor& src) && { return copy_(src); }
  Tensor& operator=(Tensor&& src) && { return copy_(src); }
  Tensor& operator=(const Scalar& value) && { return fill_(value); }

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  int64_t dim() const { return static_cast<int64_t>(impl().sizes.size()); }
  int64_t ndimension() const { return dim(); }
  int64_t ndim() const { return dim(); }
  const Dims& sizes() const { return impl().sizes; }
  const Dims& strides() const { return impl().strides; }
  Dims shape() const { return impl().sizes; }
  int64_t size(int64_t d) const;
  int64_t stride(int64_t d) const;
  int64_t numel() const { return impl().numel; }
  int64_t nelement() const { return numel(); }
  DType dtype() const { return impl().dtype; }
  DType scalar_type() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  bool is_cuda() const { return device().is_cuda(); }
  bool is_cpu() const { return device().is_cpu(); }
  bool is_floating_point() const { return is_floating(dtype()); }
  bool is_signed() const { return dtype() != kUInt8 && dtype() != kBool; }  // torch.is_signed
  bool is_complex() const { return false; }                                 // ember has no complex dtypes
  // PyTorch's get_device(): the CUDA index, -1 for a CPU tensor.
  int64_t get_device() const { return is_cuda() ? device().index() : -1; }
  int64_t storage_offset() const { return impl().offset; }
  size_t element_size() const { return ember::itemsize(dtype()); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * element_size(); }
  size_t itemsize() const { return element_size(); }  // PyTorch 2.1's Tensor.itemsize
  // core/dtype.h's itemsize(dtype), which the attribute above would hide in member functions.
  static constexpr size_t itemsize(DType dt) { return ember::itemsize(dt); }
  // Real dtypes only: isreal() is all true, is_conj() / is_neg() false (PyTorch's for real tensors).
  bool is_conj() const { return false; }
  bool is_neg() const { return false; }
  bool is_meta() const { return false; }
  bool is_same_size(const Tensor& other) const { return sizes() == other.sizes(); }
  // Whether self is other's view of the same elements: storage, offset, sizes and strides.
  bool is_set_to(const Tensor& other) const {
    return impl().storage == other.impl().storage && storage_offset() == other.storage_offset() &&
           sizes() == other.sizes() && strides() == other.strides();
  }
  // The one element's truth (PyTorch's "Boolean value of Tensor with more than one value is
  // ambiguous" otherwise); reads it to the host.
  bool is_nonzero() const;
  Tensor isreal() const;
  bool is_contiguous() const { return is_contiguous_layout(impl().sizes, impl().strides); }
  // ChannelsLast: a 4-D tensor with dense NHWC strides (core/memory_format.h).
  bool is_contiguous(MemoryFormat memory_format) const;
  // ChannelsLast when the strides look NHWC (dense or not), else Contiguous: the
  // format in which PyTorch's layers and elementwise ops return their results.
  MemoryFormat suggest_memory_format() const;
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }
  bool is_alias_of(const Tensor& o) const { return impl().storage == o.impl().storage; }
  const Storage& storage() const { return impl().storage; }
  TensorImpl& impl() const {
    EMBER_CHECK(impl_ != nullptr, "the tensor is undefined (default-constructed)");
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  TensorOptions options() const { return TensorOptions().dtype(dtype()).device(device()); }

  // Raw data, offset applied. data_ptr<T>() checks that T matches the dtype.
  void* data_ptr() const;
  template <typename T>
  T* data_ptr() const {
    static_assert(sizeof(T) == itemsize(dtype_of_v<std::remove_const_t<T>>),
                  "data_ptr<T>: T must have the dtype's element size (int64_t for kInt64, not int)");
    EMBER_CHECK(dtype_of_v<std::remove_const_t<T>> == dtype(), "data_ptr: expected dtype ",
                dtype_name(dtype_of_v<std::remove_const_t<T>>), " but the tensor is ", dtype_name(dtype()));
    return static_cast<T*>(data_ptr());
  }

  // ---- element access (host copies, logical order) ----
  template <typename T>
  std::vector<T> to_vector() const;
  template <typename T>
  T item() const;
  Scalar item() const;
  // libtorch's t.accessor<float, 2>()[i][j]: element references into a CPU tensor of
  // dtype T and N dims, through its strides (core/tensor_access.h). It reads this tensor's
  // sizes and strides, so it must not outlive the tensor (not callable on a temporary).
  template <typename T, size_t N>
  TensorAccessor<T, N> accessor() const&;
  template <typename T, size_t N>
  TensorAccessor<T, N> accessor() && = delete;

  // ---- conversion and copies ----
  // *this when nothing changes, unless copy (then a copy, recorded as one). non_blocking is
  // accepted as PyTorch's and changes nothing: ember's host-to-device copies are already
  // queued through pinned staging buffers (cuda/transfer.cpp). A channels-last tensor stays so.
  Tensor to(Device device, bool non_blocking = false, bool copy = false) const;
  Tensor to(DType dtype, bool non_blocking = false, bool copy = false) const;
  Tensor to(Device device, DType dtype, bool non_blocking = false, bool copy = false) const;
  // the device and dtype options sets; the rest kept
  Tensor to(TensorOptions options, bool non_blocking = false, bool copy = false) const;
  Tensor to(const Tensor& other, bool non_blocking = false, bool copy = false) const;  // other's device and dtype
  // PyTorch's to(..., memory_format=): the conversion, then laid out as `memory_format`
  // (Preserve keeps the layout, as above).
  Tensor to(DType dtype, bool non_blocking, bool copy, MemoryFormat memory_format) const;
  Tensor to(Device device, DType dtype, bool non_blocking, bool copy, MemoryFormat memory_format) const;
  Tensor to(MemoryFormat memory_format) const {
    return memory_format == MemoryFormat::Preserve ? *this : contiguous(memory_format);
  }
  // Tensor.type(dtype) is to(dtype); type() names the legacy type ("torch.FloatTensor").
  Tensor type(DType dtype) const { return to(dtype); }
  std::string type() const;
  Tensor cpu() const { return to(Device::cpu()); }
  Tensor cuda(int index = 0, bool non_blocking = false) const { return to(Device::cuda(index), non_blocking); }
  Tensor byte() const { return to(kUInt8); }
  Tensor half() const { return to(kFloat16); }  // PyTorch's tensor.half() / .bfloat16()
  Tensor bfloat16() const { return to(kBFloat16); }
  // *this when already contiguous in that format, else a copy in it (ChannelsLast
  // needs 4 dims; Preserve is an error, as in PyTorch).
  Tensor contiguous(MemoryFormat memory_format = MemoryFormat::Contiguous) const;
  // A copy with its own storage; PyTorch's memory_format=preserve_format by default: a
  // dense layout (row-major, channels-last, transposed, permuted) keeps its strides, any
  // other is laid out as suggest_memory_format() says.
  Tensor clone(MemoryFormat memory_format = MemoryFormat::Preserve) const;

  // ---- views (share storage and version counter) ----
  Tensor view(const Dims& shape) const;
  Tensor reshape(const Dims& shape) const;  // a view when possible, else a copy
  // PyTorch's one-integer shapes: x.view(-1), x.reshape(-1), x.expand(3), x.repeat(2).
  template <DimIndex I> Tensor view(I size) const { return view(Dims{static_cast<int64_t>(size)}); }
  template <DimIndex I> Tensor reshape(I size) const { return reshape(Dims{static_cast<int64_t>(size)}); }
  template <DimIndex I> Tensor expand(I size) const { return expand(Dims{static_cast<int64_t>(size)}); }
  template <DimIndex I> Tensor repeat(I times) const {
    return repeat(std::vector<int64_t>{static_cast<int64_t>(times)});
  }
  // PyTorch's sum_to_size: self summed down to `size`, which must expand to self's size.
  Tensor sum_to_size(const Dims& size) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;  // 2-D transpose
  Tensor mT() const;  // the last two dims swapped (PyTorch's Tensor.mT: a batch of matrices; at least 2 dims)
  // Real dtypes, so the conjugate transposes are the transposes: mH() / adjoint() is mT(),
  // H() is t() of a matrix (PyTorch's "tensor.H is only supported on matrices (2-D tensors)").
  Tensor mH() const { return mT(); }
  Tensor adjoint() const { return mT(); }
  Tensor H() const;
  // Tensor.T: every dim reversed (a view); on other than 0-D and 2-D tensors with PyTorch's
  // deprecation warning, once.
  Tensor T() const;
  Tensor permute(const Dims& dims) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, const Dims& sizes) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, std::optional<int64_t> start = std::nullopt,
               std::optional<int64_t> end = std::nullopt, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor expand(const Dims& sizes) const;  // -1 keeps a size
  Tensor expand_as(const Tensor& other) const { return expand(other.sizes()); }
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor squeeze(const std::vector<int64_t>& dims) const;  // each listed dim of size 1 dropped (PyTorch 2.0)
  Tensor unsqueeze(int64_t dim) const;
  Tensor as_strided(const Dims& sizes, const Dims& strides, std::optional<int64_t> offset = std::nullopt) const;
  // torch.Tensor.unfold: a view of every window of `size` elements along dim, `step` apart,
  // as a new last dim (the windows replace dim); differentiable (overlaps add up).
  Tensor unfold(int64_t dimension, int64_t size, int64_t step) const;
  // Views along dim (each recorded like narrow/select): torch.chunk, split, unbind.
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> split_with_sizes(const std::vector<int64_t>& split_sizes, int64_t dim = 0) const;
  std::vector<Tensor> split(const std::vector<int64_t>& split_sizes, int64_t dim = 0) const;  // split_with_sizes
  std::vector<Tensor> unbind(int64_t dim = 0) const;
  // Copies that rearrange (autograd/functions/rearrange.cpp): torch.flip, roll (no dims:
  // over the flattened tensor), tile, and repeat (repeats.size() >= dim(), leading new dims).
  Tensor flip(const std::vector<int64_t>& dims) const;
  Tensor roll(const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims = {}) const;
  Tensor tile(const std::vector<int64_t>& dims) const;
  // libtorch's one-integer spellings (an IntArrayRef of one): x.flip(0), x.roll(1, 0), x.tile(2).
  template <DimIndex I> Tensor flip(I dim) const { return flip(std::vector<int64_t>{static_cast<int64_t>(dim)}); }
  template <DimIndex I> Tensor roll(I shift) const { return roll(std::vector<int64_t>{static_cast<int64_t>(shift)}); }
  template <DimIndex I, DimIndex J> Tensor roll(I shift, J dim) const {
    return roll(std::vector<int64_t>{static_cast<int64_t>(shift)}, std::vector<int64_t>{static_cast<int64_t>(dim)});
  }
  template <DimIndex I> Tensor tile(I reps) const { return tile(std::vector<int64_t>{static_cast<int64_t>(reps)}); }
  // torch.fliplr / flipud and the splits along a fixed dim (core/composite_ops.h).
  Tensor fliplr() const;
  Tensor flipud() const;
  // As libtorch's IntArrayRef overloads, a one-element braced list is the int64 form: x.hsplit({1})
  // is one section; x.hsplit(std::vector<int64_t>{1}) splits at index 1, as PyTorch's x.hsplit([1]).
  std::vector<Tensor> hsplit(int64_t sections) const;
  std::vector<Tensor> hsplit(const std::vector<int64_t>& indices) const;
  std::vector<Tensor> vsplit(int64_t sections) const;
  std::vector<Tensor> vsplit(const std::vector<int64_t>& indices) const;
  std::vector<Tensor> dsplit(int64_t sections) const;
  std::vector<Tensor> dsplit(const std::vector<int64_t>& indices) const;
  // torch.select_scatter / slice_scatter / diagonal_scatter: a copy with src written into
  // that view of it (core/composite_ops.h).
  Tensor select_scatter(const Tensor& src, int64_t dim, int64_t index) const;
  Tensor slice_scatter(const Tensor& src, int64_t dim = 0, std::optional<int64_t> start = std::nullopt,
                       std::optional<int64_t> end = std::nullopt, int64_t step = 1) const;
  Tensor diagonal_scatter(const Tensor& src, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;
  Tensor repeat(const std::vector<int64_t>& repeats) const;
  // core/composite_ops.h's shape utilities as methods
  Tensor movedim(const std::vector<int64_t>& source, const std::vector<int64_t>& destination) const;
  Tensor movedim(int64_t source, int64_t destination) const;
  Tensor moveaxis(int64_t source, int64_t destination) const;
  Tensor swapaxes(int64_t dim0, int64_t dim1) const;
  Tensor swapdims(int64_t dim0, int64_t dim1) const;
  Tensor ravel() const;
  std::vector<Tensor> tensor_split(int64_t sections, int64_t dim = 0) const;
  std::vector<Tensor> tensor_split(const std::vector<int64_t>& indices, int64_t dim = 0) const;
  Tensor rot90(int64_t k = 1, const std::vector<int64_t>& dims = {0, 1}) const;
  Tensor msort() const;
  Tensor cov(int64_t correction = 1, const Tensor& fweights = Tensor(), const Tensor& aweights = Tensor()) const;
  Tensor corrcoef() const;
  Tensor float_power(const Tensor& exponent) const;
  Tensor float_power(const Scalar& exponent) const;
  Tensor ldexp(const Tensor& other) const;
  Tensor& ldexp_(const Tensor& other);
  // The argument of a real number: pi where x < 0, else 0 (NaN kept), in a floating dtype.
  Tensor angle() const;

  // ---- elementwise and math, out of place and in place ----
#include "core/tensor_elementwise_methods.h"  // a fragment of this class body

  // ---- PyTorch's other spellings: aliases, logical ops, in-place forms, new_* ----
#include "core/tensor_pytorch_spellings.h"  // a fragment of this class body

  // ---- reductions ----
  Tensor sum() const;
  Tensor sum(const Dims& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Dims& dims, bool keepdim = false) const;
  Tensor amax(const Dims& dims = {}, bool keepdim = false) const;  // {}: every dim
  Tensor amin(const Dims& dims = {}, bool keepdim = false) const;
  template <DimIndex I> Tensor sum(I dim, bool keepdim = false) const { return sum(one_dim(dim), keepdim); }
  template <DimIndex I> Tensor mean(I dim, bool keepdim = false) const { return mean(one_dim(dim), keepdim); }
  template <DimIndex I> Tensor amax(I dim, bool keepdim = false) const { return amax(one_dim(dim), keepdim); }
  template <DimIndex I> Tensor amin(I dim, bool keepdim = false) const { return amin(one_dim(dim), keepdim); }
  Tensor prod() const;
  Tensor prod(int64_t dim, bool keepdim = false) const;
  // PyTorch's dtype= forms: self cast to dtype first (x.sum(kFloat64) sums int64 as float64;
  // x.mean(kFloat32) averages bf16 in float32), the gradient back in self's dtype. The
  // one-argument forms are templates on exactly DType, so that sum({}) stays "every dim".
  Tensor sum(const Dims& dims, bool keepdim, DType dtype) const;
  template <std::same_as<DType> D> Tensor sum(D dtype) const { return sum(Dims{}, false, dtype); }
  template <DimIndex I> Tensor sum(I dim, bool keepdim, DType dtype) const { return sum(one_dim(dim), keepdim, dtype); }
  Tensor mean(const Dims& dims, bool keepdim, DType dtype) const;
  template <std::same_as<DType> D> Tensor mean(D dtype) const { return mean(Dims{}, false, dtype); }
  template <DimIndex I> Tensor mean(I dim, bool keepdim, DType dtype) const {
    return mean(one_dim(dim), keepdim, dtype);
  }
  Tensor prod(int64_t dim, bool keepdim, DType dtype) const;
  template <std::same_as<DType> D> Tensor prod(D dtype) const { return reshape({-1}).prod(0, false, dtype); }
  // var/std with PyTorch's correction (a bool there is unbiased=; the one-bool forms are
  // templates so that a braced dim list, var({1}), never reads as a bool); dims {}: every dim.
  Tensor var(const Dims& dims = {}, double correction = 1, bool keepdim = false) const;
  template <std::same_as<bool> B> Tensor var(B unbiased) const { return var(Dims{}, unbiased ? 1.0 : 0.0); }
  Tensor std(const Dims& dims = {}, double correction = 1, bool keepdim = false) const;
  template <std::same_as<bool> B> Tensor std(B unbiased) const { return std(Dims{}, unbiased ? 1.0 : 0.0); }
  template <DimIndex I> Tensor var(I dim, double correction = 1, bool keepdim = false) const {
    return var(one_dim(dim), correction, keepdim);
  }
  template <DimIndex I> Tensor std(I dim, double correction = 1, bool keepdim = false) const {
    return std(one_dim(dim), correction, keepdim);
  }
  Tensor logsumexp(const Dims& dims, bool keepdim = false) const;
  template <DimIndex I> Tensor logsumexp(I dim, bool keepdim = false) const { return logsumexp(one_dim(dim), keepdim); }
  Tensor cumsum(int64_t dim) const;
  Tensor cumprod(int64_t dim) const;
  Tensor cumsum(int64_t dim, DType dtype) const;  // self cast to dtype first
  Tensor cumprod(int64_t dim, DType dtype) const;
  Tensor logcumsumexp(int64_t dim) const;
  std::tuple<Tensor, Tensor> cummax(int64_t dim) const;  // values, indices
  std::tuple<Tensor, Tensor> cummin(int64_t dim) const;
  Tensor nansum(const Dims& dims = {}, bool keepdim = false) const;
  Tensor nanmean(const Dims& dims = {}, bool keepdim = false) const;
  template <DimIndex I> Tensor nansum(I dim, bool keepdim = false) const { return nansum(one_dim(dim), keepdim); }
  template <DimIndex I> Tensor nanmean(I dim, bool keepdim = false) const { return nanmean(one_dim(dim), keepdim); }
  std::tuple<Tensor, Tensor> aminmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor norm(double p = 2) const;  // linalg::vector_norm(*this, p) over every dim
  Tensor norm(double p, const Dims& dims, bool keepdim = false) const;  // torch.norm(x, p, dim, keepdim)
  template <DimIndex I> Tensor norm(double p, I dim, bool keepdim = false) const { return norm(p, one_dim(dim), keepdim); }
  Tensor broadcast_to(const Dims& sizes) const;                         // expand
  // Whether every (any) element is nonzero: kBool, or kUInt8 for a uint8 tensor, as torch.all.
  Tensor all() const;
  Tensor all(int64_t dim, bool keepdim = false) const;
  Tensor all(const Dims& dims, bool keepdim = false) const;  // PyTorch 2.2's dim tuple
  Tensor any() const;
  Tensor any(int64_t dim, bool keepdim = false) const;
  Tensor any(const Dims& dims, bool keepdim = false) const;
  Tensor max() const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;  // values, indices
  Tensor max(const Tensor& other) const;                                    // maximum
  Tensor min() const;
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor min(const Tensor& other) const;  // minimum
  bool equal(const Tensor& other) const;  // torch.equal: same sizes and elements
  Tensor argmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor argmin(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;

  // ---- indexing ----
  // The slices at index (int64, a vector or a scalar) along dim, copied: torch.index_select.
  Tensor index_select(int64_t dim, const Tensor& index) const;
  // torch.gather / scatter / scatter_add / sort / argsort / topk (core/ops.h says how).
  Tensor gather(int64_t dim, const Tensor& index) const;
  // sparse_grad is accepted as PyTorch's; the gradient is dense either way.
  Tensor gather(int64_t dim, const Tensor& index, bool /*sparse_grad*/) const { return gather(dim, index); }
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Scalar& value) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  std::tuple<Tensor, Tensor> sort(int64_t dim = -1, bool descending = false, bool stable = false) const;
  Tensor argsort(int64_t dim = -1, bool descending = false, bool stable = false) const;
  // libtorch's stable-first forms: x.sort(true) is a stable sort along the last dim.
  template <std::same_as<bool> B> std::tuple<Tensor, Tensor> sort(B stable, int64_t dim = -1, bool descending = false) const {
    return sort(dim, descending, stable);
  }
  template <std::same_as<bool> B> Tensor argsort(B stable, int64_t dim = -1, bool descending = false) const {
    return argsort(dim, descending, stable);
  }
  std::tuple<Tensor, Tensor> topk(int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true) const;
#include "core/tensor_indexing_methods.h"  // a fragment of this class body: index_add, masked_select, ...

  // ---- order statistics, counting, random fills ----
#include "core/tensor_statistics_methods.h"  // a fragment of this class body

  // ---- linear algebra and matrix shapes ----
#include "core/tensor_matrix_methods.h"  // a fragment of this class body

  // ---- other in place ops (bump the version counter; return *this) ----
  Tensor& zero_();
  Tensor& fill_(const Scalar& value);
  // A 0-dim value tensor (any device; its gradient is the sum of self's), as libtorch's.
  Tensor& fill_(const Tensor& value);
  // Broadcasts src; converts dtype and device. non_blocking as to()'s: accepted, changes nothing.
  Tensor& copy_(const Tensor& src, bool non_blocking = false);
  Tensor& scatter_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor& scatter_(int64_t dim, const Tensor& index, const Scalar& value);
  Tensor& scatter_add_(int64_t dim, const Tensor& index, const Tensor& src);

  // ---- version counter (shared by views) ----
  uint32_t version() const;
  // CUDA tensors: the storage is also used by work queued on `stream`, so the
  // allocator reuses it only after that work (PyTorch's Tensor.record_stream).
  void record_stream(const cuda::Stream& stream) const;
  bool is_inference() const { return impl().is_inference; }

  // ---- autograd (defined in autograd/tensor_autograd.cpp; hooks in autograd/hooks.cpp) ----
  // A view whose storage was written since by an op that gave its base history reads the
  // base first (Note [In-place ops on views]); other tensors only read the flag.
  bool requires_grad() const {
    const TensorImpl& i = impl();
    return i.requires_grad || (i.autograd != nullptr && stale_view_requires_grad());
  }
  Tensor& requires_grad_(bool requires_grad = true);
  bool is_leaf() const;
  Tensor detach() const;  // shares storage and version; no history
  Tensor& detach_();
  // PyTorch's `t.data = new_data`: this tensor, and every handle sharing it (an
  // optimizer's parameters), takes new_data's storage, shape, strides and dtype; its
  // autograd state stays (requires_grad, .grad, hooks). Module::to uses it.
  void set_data(const Tensor& new_data) const;
  // Undefined before any backward. A handle sharing the gradient (as libtorch's), so
  // x.grad().zero_() writes the gradient itself.
  Tensor grad() const;
  Tensor& mutable_grad();
  void retain_grad() const;
  bool retains_grad() const;
  std::shared_ptr<autograd::Node> grad_fn() const;  // nullptr for leaves and untracked tensors
  std::string grad_fn_name() const;                 // "" for leaves and untracked tensors
  uint32_t output_nr() const;
  // torch.Tensor.register_hook (Note [Tensor hooks] in autograd/engine.h): `hook` runs on
  // this tensor's gradient in each backward that computes it, before .grad of a leaf is
  // accumulated or a non-leaf's gradient flows on; a defined result replaces the gradient
  // (an undefined one, or a hook returning void, leaves it). Returns a handle for
  // remove_hook. The tensor must require grad.
  uint64_t register_hook(std::function<Tensor(const Tensor& grad)> hook) const;
  template <typename F>
    requires std::invocable<F&, const Tensor&> && std::is_void_v<std::invoke_result_t<F&, const Tensor&>>
  uint64_t register_hook(F&& hook) const {
    return register_hook(std::function<Tensor(const Tensor&)>(
        [observe = std::forward<F>(hook)](const Tensor& grad) mutable { observe(grad); return Tensor(); }));
  }
  // Removes a hook register_hook returned (no-op for an unknown handle).
  void remove_hook(uint64_t handle) const;
  // torch.Tensor.backward: retain_graph defaults to create_graph; create_graph records the
  // backward itself, so the gradients can be differentiated again (Note [Higher-order
  // gradients] in autograd/engine.h). Non-empty `inputs` accumulate into those tensors'
  // .grad only (leaves or not), as PyTorch's backward(inputs=...).
  void backward(const Tensor& gradient = Tensor(), std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false, const std::vector<Tensor>& inputs = {}) const;

 private:
  template <DimIndex I> static Dims one_dim(I dim) { return Dims{static_cast<int64_t>(dim)}; }
  bool stale_view_requires_grad() const;  // autograd/tensor_autograd.cpp
  Tensor view_as_dtype(DType dtype) const;  // view(dtype): autograd/functions/views.cpp
  std::shared_ptr<TensorImpl> impl_;
};

// PyTorch-like printing: tensor([[1., 2.], [3., 4.]], dtype=torch.float64)
std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::string to_string(const Tensor& t);

// Allocates an uninitialised tensor (internal building block of factories and ops),
// row-major or with the dense strides of `format` (Contiguous or ChannelsLast).
Tensor make_empty(const Dims& sizes, DType dtype, Device device);
Tensor make_empty(const Dims& sizes, DType dtype, Device device, MemoryFormat format);
// The dense format t is laid out in: ChannelsLast for a channels-last tensor that is
// not also row-major, else Contiguous. Gradients and optimizer state of a parameter
// are allocated in it, as PyTorch lays them out like their parameter.
MemoryFormat dense_format_of(const Tensor& t);

}  // namespace ember

#include "core/tensor_access.h"
#include "core/tensor_operators.h"
