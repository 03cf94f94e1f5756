// Differentiable views and copies: Tensor::view, reshape, transpose, permute,
// expand, narrow/slice/select, unfold, squeeze/unsqueeze, flatten, contiguous (in either
// memory format), clone, to.
// Views share storage (and so the version counter); their gradients reshape,
// transpose or sum back, and slicing scatters into zeros. Each view made in grad mode
// remembers its base (Note [In-place ops on views] in autograd/view_history.h).
#include <algorithm>
#include <mutex>
#include <vector>

#include "autograd/function_node.h"
#include "autograd/view_history.h"
#include "core/factories.h"
#include "core/legacy_type_name.h"
#include "core/logging.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

using autograd::record;
using autograd::tensor_list;
using autograd::will_record;
using autograd::will_record_into;

namespace {

// A view whose gradient is the incoming gradient reshaped to the input's shape.
Tensor reshaping(const char* name, const Tensor& self, Tensor out) {
  // The input itself (flatten with start_dim == end_dim, as PyTorch's `x.flatten() is x`):
  // nothing to record; recording would give the input this node as its own history.
  if (out.is_same(self)) return out;
  autograd::mark_view(out, self);  // when out is a view (reshape may copy)
  if (will_record_into(out, self)) {
    record(name, {&self}, {&out}, {}, [](const tensor_list& g, const tensor_list&, const auto& in) {
      return tensor_list{autograd::formula::reshape(g[0], in[0].shape)};
    })->set_differentiable_backward();
  }
  return out;
}

// The gradient of a slice: zeros of the input's shape with g written into the slice.
// Linear in g, so for create_graph its own derivative slices the gradient again.
Tensor scatter_into_zeros(const Tensor& g, const autograd::InputMeta& in, std::function<Tensor(const Tensor&)> slicer) {
  Tensor full = zeros(in.shape, TensorOptions(g.dtype()).device(g.device()));
  native::copy_(slicer(full), g);
  if (will_record_into(full, g))
    record("SliceBackwardBackward", {&g}, {&full}, {}, [slicer](const tensor_list& gg, const tensor_list&, const auto&) {
      return tensor_list{slicer(gg[0])};
    })->set_differentiable_backward();
  return full;
}

}  // namespace

Tensor Tensor::view(const Dims& shape) const { return reshaping("ViewBackward", *this, native::view(*this, shape)); }
// Not differentiable, as PyTorch's view.dtype: the result shares the storage (and version
// counter, so a write through it still invalidates saved tensors) but never requires grad.
Tensor Tensor::view_as_dtype(DType dtype) const { return native::view_dtype(*this, dtype); }
Tensor Tensor::reshape(const Dims& shape) const {
  return reshaping("ReshapeBackward", *this, native::reshape(*this, shape));
}
Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  return reshaping("FlattenBackward", *this, native::flatten(*this, start_dim, end_dim));
}
Tensor Tensor::unflatten(int64_t dim, const Dims& sizes) const {
  return reshaping("UnflattenBackward", *this, native::unflatten(*this, dim, sizes));
}
Tensor Tensor::squeeze() const { return reshaping("SqueezeBackward", *this, native::squeeze(*this, std::nullopt)); }
Tensor Tensor::squeeze(int64_t dim) const { return reshaping("SqueezeBackward", *this, native::squeeze(*this, dim)); }
Tensor Tensor::squeeze(const std::vector<int64_t>& dims) const {
  std::vector<bool> listed(static_cast<size_t>(std::max<int64_t>(dim(), 1)), false);
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, std::max<int64_t>(dim(), 1));  // a 0-dim tensor takes 0 and -1
    EMBER_CHECK(!listed[static_cast<size_t>(w)], "dim ", w, " appears multiple times in the list of dims");
    listed[static_cast<size_t>(w)] = true;
  }
  Dims shape, strides;  // the kept dims keep their strides, as PyTorch's
  for (int64_t d = 0; d < dim(); ++d)
    if (!listed[static_cast<size_t>(d)] || size(d) != 1) shape.push_back(size(d)), strides.push_back(stride(d));
  return reshaping("SqueezeBackward", *this, native::as_strided(*this, shape, strides, storage_offset()));
}
Tensor Tensor::unsqueeze(int64_t dim) const {
  return reshaping("UnsqueezeBackward", *this, native::unsqueeze(*this, dim));
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  Tensor out = native::transpose(*this, dim0, dim1);
  autograd::mark_view(out, *this);
  if (will_record_into(out, *this)) {
    record("TransposeBackward", {this}, {&out}, {}, [dim0, dim1](const tensor_list& g, const tensor_list&, const auto&) {
      return tensor_list{autograd::formula::transpose(g[0], dim0, dim1)};
    })->set_differentiable_backward();
  }
  return out;
}

Tensor Tensor::mT() const {
  EMBER_CHECK(dim() >= 2, "tensor.mT is only supported on matrices or batches of matrices. Got ", dim(), "-D tensor.");
  return transpose(-2, -1);
}

Tensor Tensor::H() const {
  EMBER_CHECK(dim() == 0 || dim() == 2, "tensor.H is only supported on matrices (2-D tensors). Got ", dim(),
              "-D tensor.", dim() > 2 ? " For batches of matrices, consider using tensor.mH" : "");
  return t();
}

Tensor Tensor::T() const {
  if (dim() != 0 && dim() != 2) {
    static std::once_flag warned;
    std::call_once(warned, [] {
      logging::warn(
          "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it will "
          "throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
          "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.");
    });
  }
  Dims reversed(std::vector<int64_t>(static_cast<size_t>(dim())));
  for (int64_t d = 0; d < dim(); ++d) reversed[static_cast<size_t>(d)] = dim() - 1 - d;
  return permute(reversed);
}

Tensor Tensor::t() const {
  EMBER_CHECK(dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is ", dim(), "D");
  return dim() < 2 ? view(sizes()) : transpose(0, 1);  // a view either way, as PyTorch's
}

Tensor Tensor::permute(const Dims& dims) const {
  Tensor out = native::permute(*this, dims);
  autograd::mark_view(out, *this);
  if (will_record_into(out, *this)) {
    Dims inverse = Dims::filled(dims.size(), 0);
    for (size_t i = 0; i < dims.size(); ++i) inverse[static_cast<size_t>(wrap_dim(dims[i], dim()))] = static_cast<int64_t>(i);
    record("PermuteBackward", {this}, {&out}, {}, [inverse](const tensor_list& g, const tensor_list&, const auto&) {
      return tensor_list{autograd::formula::permute(g[0], inverse)};
    })->set_differentiable_backward();
  }
  return out;
}

Tensor Tensor::expand(const Dims& sizes) const {
  Tensor out = native::expand(*this, sizes);
  autograd::mark_view(out, *this);
  if (will_record_into(out, *this)) {  // FunctionNode sums the gradient back to the input's shape
    record("ExpandBackward", {this}, {&out}, {}, [](const tensor_list& g, const tensor_list&, const auto&) {
      return g;
    })->set_differentiable_backward();
  }
  return out;
}

Tensor Tensor::slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) const {
  Tensor out = native::slice(*this, dim, start, end, step);
  autograd::mark_view(out, *this);
  if (will_record_into(out, *this)) {
    record("SliceBackward", {this}, {&out}, {}, [=](const tensor_list& g, const tensor_list&, const auto& in) {
      return tensor_list{scatter_into_zeros(g[0], in[0], [=](const Tensor& f) {
        return autograd::formula::slice(f, dim, start, end, step);
      })};
    })->set_differentiable_backward();
  }
  return out;
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  Tensor checked = native::narrow(*this, dim, start, length);  // validates with PyTorch's messages
  const int64_t d = wrap_dim(dim, this->dim());
  const int64_t s = start < 0 ? start + size(d) : start;
  if (will_record(*this)) return slice(d, s, s + length, 1);
  autograd::mark_view(checked, *this);
  autograd::note_untracked(checked, {this});
  return checked;
}

Tensor Tensor::select(int64_t dim, int64_t index) const {
  Tensor out = native::select(*this, dim, index);
  autograd::mark_view(out, *this);
  if (will_record_into(out, *this)) {
    record("SelectBackward", {this}, {&out}, {}, [=](const tensor_list& g, const tensor_list&, const auto& in) {
      return tensor_list{
          scatter_into_zeros(g[0], in[0], [=](const Tensor& f) { return autograd::formula::select(f, dim, index); })};
    })->set_differentiable_backward();
  }
  return out;
}

Tensor Tensor::as_strided(const Dims& sizes, const Dims& strides, std::optional<int64_t> offset) const {
  Tensor out = native::as_strided(*this, sizes, strides, offset);
  autograd::mark_view(out, *this);
  EMBER_CHECK(!will_record(*this), "as_strided is not differentiable in ember; call it on a detached tensor "
                                   "or under NoGradGuard");
  return out;
}

// Unfold's gradient: each window's gradient added back at the elements it covers (the
// window starts step apart, overlaps summing), made by index_select's gradient along dim.
// Linear in g, so its own derivative unfolds the gradient again.
static Tensor unfold_backward(const Tensor& g, const autograd::InputMeta& in, int64_t d, int64_t size, int64_t step) {
  if (in.shape.empty()) return native::reshape(g, {});
  const int64_t windows = g.size(d);
  const TensorOptions longs = TensorOptions(kInt64).device(g.device());
  Tensor index = native::add(native::unsqueeze(native::mul(arange(windows, longs), Scalar(step)), 1), arange(size, longs));
  Dims order;  // the window elements (last dim) next to the windows (dim d)
  for (int64_t i = 0; i < g.dim() - 1; ++i) {
    order.push_back(i);
    if (i == d) order.push_back(g.dim() - 1);
  }
  Dims flat_shape = in.shape;
  flat_shape[static_cast<size_t>(d)] = windows * size;
  Tensor flat = native::reshape(native::permute(g, order), flat_shape);
  Tensor full = native::index_select_backward(flat, in.shape, d, native::reshape(index, {windows * size}));
  if (will_record_into(full, g))
    record("UnfoldBackwardBackward", {&g}, {&full}, {}, [=](const tensor_list& gg, const tensor_list&, const auto&) {
      return tensor_list{gg[0].unfold(d, size, step)};
    })->set_differentiable_backward();
  return full;
}

Tensor Tensor::unfold(int64_t dimension, int64_t size, int64_t step) const {
  const int64_t d = wrap_dim(dimension, std::max<int64_t>(dim(), 1));
  const int64_t length = dim() == 0 ? 1 : this->size(d);
  EMBER_CHECK(size <= length, "maximum size for tensor at dimension ", d, " is ", length, " but size is ", size);
  EMBER_CHECK(size >= 0, "size is ", size, " but must be >= 0");
  EMBER_CHECK(step > 0, "step is ", step, " but must be > 0");
  Dims shape{size}, steps{1};
  if (dim() > 0) {
    shape = sizes();
    steps = strides();
    shape[static_cast<size_t>(d)] = (length - size) / step + 1;
    shape.push_back(size);
    steps.push_back(steps[static_cast<size_t>(d)]);
    steps[static_cast<size_t>(d)] *= step;
  }
  Tensor out = native::as_strided(*this, shape, steps, storage_offset());
  autograd::mark_view(out, *this);
  if (will_record_into(out, *this)) {
    record("UnfoldBackward", {this}, {&out}, {}, [=](const tensor_list& g, const tensor_list&, const auto& in) {
      return tensor_list{unfold_backward(g[0], in[0], d, size, step)};
    })->set_differentiable_backward();
  }
  return out;
}

// clone() and contiguous(format) are one recorded copy; the gradient passes through
// in whatever layout it arrives.
static Tensor recorded_clone(const Tensor& self, MemoryFormat format) {
  Tensor out = native::clone(self, format);
  if (will_record_into(out, self)) {
    record("CloneBackward", {&self}, {&out}, {}, [](const tensor_list& g, const tensor_list&, const auto&) {
      return g;
    })->set_differentiable_backward();
  }
  return out;
}

Tensor Tensor::contiguous(MemoryFormat memory_format) const {
  EMBER_CHECK(memory_format != MemoryFormat::Preserve, "preserve memory format is unsupported by the contiguous operator");
  if (is_contiguous(memory_format)) return *this;
  return recorded_clone(*this, memory_format);
}

Tensor Tensor::clone(MemoryFormat memory_format) const { return recorded_clone(*this, memory_format); }

Tensor Tensor::to(Device device, DType dtype, bool /*non_blocking*/, bool copy) const {
  if (device == this->device() && dtype == this->dtype()) return copy ? clone() : *this;
  Tensor out = native::to_device(native::to_dtype(*this, dtype), device);
  if (will_record_into(out, *this) && is_floating(dtype)) {  // FunctionNode casts the gradient back
    record("ToCopyBackward", {this}, {&out}, {}, [](const tensor_list& g, const tensor_list&, const auto& in) {
      return tensor_list{autograd::formula::to_device(g[0], in[0].device)};
    })->set_differentiable_backward();
  }
  return out;
}
Tensor Tensor::to(Device device, DType dtype, bool non_blocking, bool copy, MemoryFormat memory_format) const {
  if (memory_format == MemoryFormat::Preserve) return to(device, dtype, non_blocking, copy);
  const Tensor out = to(device, dtype, non_blocking);
  if (copy && out.is_same(*this)) return clone(memory_format);
  return out.contiguous(memory_format);
}
Tensor Tensor::to(DType dtype, bool non_blocking, bool copy, MemoryFormat memory_format) const {
  return to(device(), dtype, non_blocking, copy, memory_format);
}
std::string Tensor::type() const { return legacy_type_name(dtype(), is_cuda()); }

// PyTorch's sum_to_size: the leading dims, and those where size is 1, summed away.
Tensor Tensor::sum_to_size(const Dims& size) const {
  const int64_t lead = dim() - static_cast<int64_t>(size.size());
  bool expandable = lead >= 0;
  for (size_t i = 0; expandable && i < size.size(); ++i)
    expandable = size[i] == 1 || size[i] == this->size(lead + static_cast<int64_t>(i));
  EMBER_CHECK(expandable, "size {", size, "} is not expandable to size {", sizes(), "}.");
  Dims reduced;
  for (int64_t d = 0; d < dim(); ++d)
    if (d < lead || (size[static_cast<size_t>(d - lead)] == 1 && this->size(d) != 1)) reduced.push_back(d);
  const Tensor summed = reduced.empty() ? *this : sum(reduced, /*keepdim=*/true);
  return lead > 0 ? summed.view(size) : summed;
}

Tensor Tensor::to(Device device, bool non_blocking, bool copy) const { return to(device, dtype(), non_blocking, copy); }
Tensor Tensor::to(DType dtype, bool non_blocking, bool copy) const { return to(device(), dtype, non_blocking, copy); }
Tensor Tensor::to(TensorOptions options, bool non_blocking, bool copy) const {
  return to(options.has_device() ? options.device() : device(), options.has_dtype() ? options.dtype() : dtype(),
            non_blocking, copy);
}
Tensor Tensor::to(const Tensor& other, bool non_blocking, bool copy) const {
  return to(other.device(), other.dtype(), non_blocking, copy);
}

}  // namespace ember
