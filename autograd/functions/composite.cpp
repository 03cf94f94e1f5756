// core/composite_ops.h: shape, product and set utilities composed of other ops (views,
// permute, reshape, mm, cat, flip, sort), so each runs on any device and differentiates
// through its parts. Argument errors use PyTorch's wording.
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <tuple>

#include "autograd/function_node.h"
#include "core/composite_ops.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"
#include "core/ops/elementwise_ops.h"

namespace ember {

namespace {
std::vector<int64_t> wrapped(const std::vector<int64_t>& dims, int64_t ndim) {
  std::vector<int64_t> out;
  out.reserve(dims.size());
  for (const int64_t d : dims) out.push_back(wrap_dim(d, ndim));
  return out;
}
bool has_repeats(std::vector<int64_t> dims) {
  std::sort(dims.begin(), dims.end());
  return std::adjacent_find(dims.begin(), dims.end()) != dims.end();
}
}  // namespace

// ---------------------------------------------------------------- grids and products
std::vector<Tensor> meshgrid(const std::vector<Tensor>& tensors, std::string_view indexing) {
  EMBER_CHECK(!tensors.empty(), "meshgrid expects a non-empty TensorList");
  EMBER_CHECK(indexing == "ij" || indexing == "xy", "torch.meshgrid: indexing must be one of \"xy\" or \"ij\", ",
              "but received: ", indexing);
  const size_t n = tensors.size();
  Dims shape;
  for (size_t i = 0; i < n; ++i) {
    const Tensor& t = tensors[i];
    EMBER_CHECK(t.dim() <= 1, "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: ", t.sizes());
    EMBER_CHECK(t.dtype() == tensors[0].dtype() && t.device() == tensors[0].device(),
                "meshgrid expects all tensors to have the same dtype and device, got ", dtype_name(t.dtype()), " on ",
                t.device(), " and ", dtype_name(tensors[0].dtype()), " on ", tensors[0].device());
    shape.push_back(t.numel());
  }
  // "xy" puts the first two inputs' dims the other way round (NumPy's Cartesian indexing).
  const bool swap = indexing == "xy" && n >= 2;
  if (swap) std::swap(shape[0], shape[1]);
  std::vector<Tensor> grids;
  grids.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t at = swap && i < 2 ? 1 - i : i;
    Dims view = Dims::filled(n, 1);
    view[at] = -1;
    grids.push_back(tensors[i].reshape(view).expand(shape));
  }
  return grids;
}

Tensor cartesian_prod(const std::vector<Tensor>& tensors) {
  for (const Tensor& t : tensors)
    EMBER_CHECK(t.dim() == 1, "Expect a 1D vector, but got shape ", t.sizes());
  if (tensors.size() == 1) return tensors[0];
  std::vector<Tensor> columns;
  for (const Tensor& grid : meshgrid(tensors, "ij")) columns.push_back(grid.reshape({-1}));
  return stack(columns, 1);
}

Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<int64_t>& dims_a,
                 const std::vector<int64_t>& dims_b) {
  EMBER_CHECK(dims_a.size() == dims_b.size(), "both dimension lists should have same length, got ", dims_a.size(),
              " and ", dims_b.size());
  EMBER_CHECK(a.dtype() == b.dtype(), "both inputs should have same dtype, but got ", dtype_torch_name(a.dtype()),
              " and ", dtype_torch_name(b.dtype()));
  EMBER_CHECK(a.dtype() != kBool, "\"addmm_impl_cpu_\" not implemented for 'Bool'");  // tensordot is mm
  const std::vector<int64_t> ca = wrapped(dims_a, a.dim()), cb = wrapped(dims_b, b.dim());
  for (const std::vector<int64_t>* dims : {&ca, &cb}) {
    std::vector<int64_t> sorted = *dims;
    std::sort(sorted.begin(), sorted.end());
    const auto repeated = std::adjacent_find(sorted.begin(), sorted.end());
    EMBER_CHECK(repeated == sorted.end(), "dim ", repeated == sorted.end() ? 0 : *repeated,
                " appears multiple times in the list of dims");
  }
  // PyTorch's: a contracted pair with one side of size 1 is summed away on the other side
  // first (broadcasting), the rest must match.
  Tensor left = a, right = b;
  int64_t contracted = 1;
  for (size_t i = 0; i < ca.size(); ++i) {
    const int64_t size_a = a.size(ca[i]), size_b = b.size(cb[i]);
    if (size_b == 1) {
      left = left.sum(ca[i], true, a.dtype());
    } else if (size_a == 1) {
      right = right.sum(cb[i], true, b.dtype());
    } else {
      EMBER_CHECK(size_a == size_b, "contracted dimensions need to match, but first has size ", size_a, " in dim ",
                  ca[i], " and second has size ", size_b, " in dim ", cb[i]);
      contracted *= size_a;
    }
  }
  // a as [free_a, contracted] and b as [contracted, free_b], each in its own order.
  Dims perm_a, perm_b, out_shape;
  int64_t rows = 1, cols = 1;
  for (int64_t d = 0; d < a.dim(); ++d)
    if (std::find(ca.begin(), ca.end(), d) == ca.end()) {
      perm_a.push_back(d);
      out_shape.push_back(a.size(d));
      rows *= a.size(d);
    }
  for (const int64_t d : ca) perm_a.push_back(d);
  for (const int64_t d : cb) perm_b.push_back(d);
  for (int64_t d = 0; d < b.dim(); ++d)
    if (std::find(cb.begin(), cb.end(), d) == cb.end()) {
      perm_b.push_back(d);
      out_shape.push_back(b.size(d));
      cols *= b.size(d);
    }
  const Tensor lhs = left.permute(perm_a).reshape({rows, contracted});
  const Tensor rhs = right.permute(perm_b).reshape({contracted, cols});
  // Floating operands are PyTorch's mm (autocast casts them).
  if (is_floating(lhs.dtype())) return mm(lhs, rhs).reshape(out_shape);
  // Integers (mm takes floating dtypes): products summed over the contracted dim in the
  // operands' dtype, as PyTorch's integer mm keeps it (uint8 wraps), a slice of it at a time
  // so that the broadcast product stays near 2^22 elements (all of [rows, contracted, cols]
  // at once was cubic in memory).
  const DType dtype = lhs.dtype();
  const int64_t per = std::max<int64_t>(1, (int64_t{1} << 22) / std::max<int64_t>(1, rows * cols));
  Tensor out = zeros({rows, cols}, TensorOptions(dtype).device(lhs.device()));
  for (int64_t k = 0; k < contracted; k += per) {
    const int64_t n = std::min(per, contracted - k);
    out = out + (lhs.narrow(1, k, n).unsqueeze(2) * rhs.narrow(0, k, n).unsqueeze(0)).sum(Dims{1}, false, dtype);
  }
  return out.to(dtype).reshape(out_shape);
}

Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims) {
  EMBER_CHECK(dims >= 0, "tensordot expects dims >= 0, but got dims=", dims);
  EMBER_CHECK(dims <= a.dim() && dims <= b.dim(), "tensordot expects dims < ndim_a or ndim_b, but got dims=", dims);
  std::vector<int64_t> dims_a, dims_b;
  for (int64_t i = 0; i < dims; ++i) {
    dims_a.push_back(a.dim() - dims + i);
    dims_b.push_back(i);
  }
  return tensordot(a, b, dims_a, dims_b);
}

// Each dim of a paired with the same dim of b: a as [a0, 1, a1, 1, ...] times b as
// [1, b0, 1, b1, ...], then each pair merged.
Tensor kron(const Tensor& a, const Tensor& b) {
  const int64_t n = std::max(a.dim(), b.dim());
  const auto padded = [n](const Tensor& t) {
    Dims s = Dims::filled(static_cast<size_t>(n - t.dim()), 1);
    for (const int64_t d : t.sizes()) s.push_back(d);
    return s;
  };
  const Dims sa = padded(a), sb = padded(b);
  Dims va, vb, out;
  for (int64_t d = 0; d < n; ++d) {
    va.push_back(sa[d]);
    va.push_back(1);
    vb.push_back(1);
    vb.push_back(sb[d]);
    out.push_back(sa[d] * sb[d]);
  }
  return mul(a.reshape(va), b.reshape(vb)).reshape(out);
}

Tensor block_diag(const std::vector<Tensor>& tensors) {
  if (tensors.empty()) return zeros({1, 0});  // PyTorch's shape
  int64_t total_cols = 0;
  std::vector<Tensor> blocks;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    EMBER_CHECK(t.dim() <= 2, "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input ", i, " has ",
                t.dim(), " dimensions");
    EMBER_CHECK(t.device() == tensors[0].device(), "torch.block_diag: input tensors must all be on the same device. ",
                "Input 0 is on device ", tensors[0].device(), " and input ", i, " is on device ", t.device());
    blocks.push_back(t.dim() == 2 ? t : t.reshape({1, -1}));
    total_cols += blocks.back().size(1);
  }
  const DType dtype = native::detail::result_type(tensors);
  const TensorOptions options = TensorOptions().dtype(dtype).device(blocks[0].device());
  std::vector<Tensor> rows;
  int64_t before = 0;
  for (const Tensor& block : blocks) {
    const int64_t r = block.size(0), c = block.size(1);
    rows.push_back(cat({zeros({r, before}, options), block.to(dtype), zeros({r, total_cols - before - c}, options)}, 1));
    before += c;
  }
  return cat(rows, 0);
}

// ---------------------------------------------------------------- rearranging
Tensor rot90(const Tensor& a, int64_t k, const std::vector<int64_t>& dims) {
  EMBER_CHECK(dims.size() == 2, "expected total rotation dims == 2, but got dims = ", dims.size());
  EMBER_CHECK(a.dim() >= 2, "expected total dims >= 2, but got total dims = ", a.dim());
  const int64_t n = a.dim();
  // PyTorch's order and wording: the dims as passed
  EMBER_CHECK(dims[0] != dims[1] && std::abs(dims[0] - dims[1]) != n,
              "expected rotation dims to be different, but got dim0 = ", dims[0], " and dim1 = ", dims[1]);
  EMBER_CHECK(dims[0] < n && dims[0] >= -n, "Rotation dim0 out of range, dim0 = ", dims[0]);
  EMBER_CHECK(dims[1] < n && dims[1] >= -n, "Rotation dim1 out of range, dim1 = ", dims[1]);
  const int64_t d0 = wrap_dim(dims[0], n), d1 = wrap_dim(dims[1], n);
  switch (((k % 4) + 4) % 4) {
    case 1: return a.flip({d1}).transpose(d0, d1);
    case 2: return a.flip({d0, d1});
    case 3: return a.flip({d0}).transpose(d0, d1);
    default: return a.clone();
  }
}

Tensor movedim(const Tensor& a, const std::vector<int64_t>& source, const std::vector<int64_t>& destination) {
  EMBER_CHECK(source.size() == destination.size(), "movedim: Invalid source or destination dims: source (", Dims(source),
              " dims) should contain the same number of dims as destination (", Dims(destination), " dims)");
  const int64_t n = a.dim();
  const std::vector<int64_t> src = wrapped(source, n), dst = wrapped(destination, n);
  EMBER_CHECK(!has_repeats(src), "movedim: repeated dim in `source` (", Dims(source), ")");
  EMBER_CHECK(!has_repeats(dst), "movedim: repeated dim in `destination` (", Dims(destination), ")");
  if (n == 0) return a.view({});  // only dim 0 (or -1) wraps there: nothing moves
  // perm[j]: the dim of a that lands at j. The moved dims first, then the others in order
  // into the places left.
  Dims perm = Dims::filled(static_cast<size_t>(n), -1);
  std::vector<bool> moved(static_cast<size_t>(n), false);
  for (size_t i = 0; i < src.size(); ++i) {
    perm[dst[i]] = src[i];
    moved[static_cast<size_t>(src[i])] = true;
  }
  int64_t next = 0;
  for (int64_t j = 0; j < n; ++j) {
    if (perm[j] != -1) continue;
    while (moved[static_cast<size_t>(next)]) ++next;
    perm[j] = next++;
  }
  return a.permute(perm);
}
Tensor movedim(const Tensor& a, int64_t source, int64_t destination) {
  return movedim(a, std::vector<int64_t>{source}, std::vector<int64_t>{destination});
}
Tensor moveaxis(const Tensor& a, const std::vector<int64_t>& source, const std::vector<int64_t>& destination) {
  return movedim(a, source, destination);
}
Tensor moveaxis(const Tensor& a, int64_t source, int64_t destination) { return movedim(a, source, destination); }
Tensor swapaxes(const Tensor& a, int64_t dim0, int64_t dim1) { return a.transpose(dim0, dim1); }
Tensor swapdims(const Tensor& a, int64_t dim0, int64_t dim1) { return a.transpose(dim0, dim1); }
Tensor ravel(const Tensor& a) { return a.reshape({-1}); }

std::vector<Tensor> tensor_split(const Tensor& a, int64_t sections, int64_t dim) {
  EMBER_CHECK(a.dim() > 0, "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims");
  EMBER_CHECK(sections > 0, "number of sections must be larger than 0, got ", sections);
  const int64_t d = wrap_dim(dim, a.dim());
  const int64_t size = a.size(d), base = size / sections, longer = size % sections;
  std::vector<Tensor> parts;
  int64_t start = 0;
  for (int64_t i = 0; i < sections; ++i) {
    const int64_t length = base + (i < longer ? 1 : 0);
    parts.push_back(a.narrow(d, start, length));
    start += length;
  }
  return parts;
}
// Python slices between consecutive indices: negative ones count from the end, all are
// clamped to the dim, and an end before its start gives an empty part.
std::vector<Tensor> tensor_split(const Tensor& a, const std::vector<int64_t>& indices, int64_t dim) {
  EMBER_CHECK(a.dim() > 0, "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims");
  const int64_t d = wrap_dim(dim, a.dim());
  std::vector<Tensor> parts;
  int64_t start = 0;
  for (const int64_t end : indices) {
    parts.push_back(a.slice(d, start, end));
    start = end;
  }
  parts.push_back(a.slice(d, start, a.size(d)));
  return parts;
}

namespace {
template <typename One>
std::vector<Tensor> each(const std::vector<Tensor>& tensors, One one) {
  std::vector<Tensor> out;
  out.reserve(tensors.size());
  for (const Tensor& t : tensors) out.push_back(one(t));
  return out;
}
}  // namespace

std::vector<Tensor> atleast_1d(const std::vector<Tensor>& tensors) {
  return each(tensors, [](const Tensor& t) { return atleast_1d(t); });
}
std::vector<Tensor> atleast_2d(const std::vector<Tensor>& tensors) {
  return each(tensors, [](const Tensor& t) { return atleast_2d(t); });
}
std::vector<Tensor> atleast_3d(const std::vector<Tensor>& tensors) {
  return each(tensors, [](const Tensor& t) { return atleast_3d(t); });
}
Tensor diagflat(const Tensor& a, int64_t offset) { return diag_embed(a.reshape({-1}), offset, 0, 1); }

Tensor broadcast_to(const Tensor& a, const Dims& sizes) { return a.expand(sizes); }

std::vector<Tensor> broadcast_tensors(const std::vector<Tensor>& tensors) {
  Dims shape;
  for (const Tensor& t : tensors) shape = broadcast_shapes(shape, t.sizes());
  return each(tensors, [&shape](const Tensor& t) { return t.expand(shape); });
}

Tensor atleast_1d(const Tensor& a) { return a.dim() == 0 ? a.reshape({1}) : a; }
Tensor atleast_2d(const Tensor& a) {
  if (a.dim() == 0) return a.reshape({1, 1});
  return a.dim() == 1 ? a.unsqueeze(0) : a;
}
Tensor atleast_3d(const Tensor& a) {
  if (a.dim() == 0) return a.reshape({1, 1, 1});
  if (a.dim() == 1) return a.unsqueeze(0).unsqueeze(-1);
  return a.dim() == 2 ? a.unsqueeze(-1) : a;
}

namespace {
std::vector<Tensor> each(const std::vector<Tensor>& tensors, const char* op, Tensor (*shape)(const Tensor&)) {
  EMBER_CHECK(!tensors.empty(), op, " expects a non-empty TensorList");
  std::vector<Tensor> out;
  for (const Tensor& t : tensors) out.push_back(shape(t));
  return out;
}

// hsplit / vsplit / dsplit: at least min_dims dims, split along `dim` into equal sections.
std::vector<Tensor> split_equally(const Tensor& a, int64_t sections, const char* op, int64_t min_dims, int64_t dim) {
  EMBER_CHECK(a.dim() >= min_dims, "torch.", op, " requires a tensor with at least ", min_dims,
              " dimension, but got a tensor with ", a.dim(), " dimensions!");
  EMBER_CHECK(sections != 0 && a.size(dim) % sections == 0, "torch.", op, " attempted to split along dimension ", dim,
              ", but the size of the dimension ", a.size(dim), " is not divisible by the split_size ", sections, "!");
  return tensor_split(a, sections, dim);
}
std::vector<Tensor> split_at(const Tensor& a, const std::vector<int64_t>& indices, const char* op, int64_t min_dims,
                             int64_t dim) {
  EMBER_CHECK(a.dim() >= min_dims, "torch.", op, " requires a tensor with at least ", min_dims,
              " dimension, but got a tensor with ", a.dim(), " dimensions!");
  return tensor_split(a, indices, dim);
}
}  // namespace

Tensor hstack(const std::vector<Tensor>& tensors) {
  const std::vector<Tensor> rows = each(tensors, "hstack", atleast_1d);
  return cat(rows, rows.front().dim() == 1 ? 0 : 1);
}
Tensor vstack(const std::vector<Tensor>& tensors) { return cat(each(tensors, "vstack", atleast_2d), 0); }
Tensor row_stack(const std::vector<Tensor>& tensors) { return vstack(tensors); }
Tensor dstack(const std::vector<Tensor>& tensors) { return cat(each(tensors, "dstack", atleast_3d), 2); }
Tensor column_stack(const std::vector<Tensor>& tensors) {
  const auto as_column = [](const Tensor& t) { return t.dim() <= 1 ? t.reshape({t.numel(), 1}) : t; };
  return hstack(each(tensors, "column_stack", as_column));
}

std::vector<Tensor> hsplit(const Tensor& a, int64_t sections) {
  return split_equally(a, sections, "hsplit", 1, a.dim() == 1 ? 0 : 1);
}
std::vector<Tensor> hsplit(const Tensor& a, const std::vector<int64_t>& indices) {
  return split_at(a, indices, "hsplit", 1, a.dim() == 1 ? 0 : 1);
}
std::vector<Tensor> vsplit(const Tensor& a, int64_t sections) { return split_equally(a, sections, "vsplit", 2, 0); }
std::vector<Tensor> vsplit(const Tensor& a, const std::vector<int64_t>& indices) {
  return split_at(a, indices, "vsplit", 2, 0);
}
std::vector<Tensor> dsplit(const Tensor& a, int64_t sections) { return split_equally(a, sections, "dsplit", 3, 2); }
std::vector<Tensor> dsplit(const Tensor& a, const std::vector<int64_t>& indices) {
  return split_at(a, indices, "dsplit", 3, 2);
}

Tensor fliplr(const Tensor& a) {
  EMBER_CHECK(a.dim() >= 2, "Input must be >= 2-d.");
  return flip(a, {1});
}
Tensor flipud(const Tensor& a) {
  EMBER_CHECK(a.dim() >= 1, "Input must be >= 1-d.");
  return flip(a, {0});
}

Tensor Tensor::movedim(const std::vector<int64_t>& source, const std::vector<int64_t>& destination) const {
  return ember::movedim(*this, source, destination);
}
Tensor Tensor::movedim(int64_t source, int64_t destination) const { return ember::movedim(*this, source, destination); }
Tensor Tensor::moveaxis(int64_t source, int64_t destination) const {
  return ember::movedim(*this, source, destination);
}
Tensor Tensor::swapaxes(int64_t dim0, int64_t dim1) const { return transpose(dim0, dim1); }
Tensor Tensor::swapdims(int64_t dim0, int64_t dim1) const { return transpose(dim0, dim1); }
Tensor Tensor::ravel() const { return reshape({-1}); }
std::vector<Tensor> Tensor::tensor_split(int64_t sections, int64_t dim) const {
  return ember::tensor_split(*this, sections, dim);
}
std::vector<Tensor> Tensor::tensor_split(const std::vector<int64_t>& indices, int64_t dim) const {
  return ember::tensor_split(*this, indices, dim);
}
Tensor Tensor::rot90(int64_t k, const std::vector<int64_t>& dims) const { return ember::rot90(*this, k, dims); }
Tensor Tensor::fliplr() const { return ember::fliplr(*this); }
Tensor Tensor::flipud() const { return ember::flipud(*this); }
std::vector<Tensor> Tensor::hsplit(int64_t sections) const { return ember::hsplit(*this, sections); }
std::vector<Tensor> Tensor::hsplit(const std::vector<int64_t>& indices) const { return ember::hsplit(*this, indices); }
std::vector<Tensor> Tensor::vsplit(int64_t sections) const { return ember::vsplit(*this, sections); }
std::vector<Tensor> Tensor::vsplit(const std::vector<int64_t>& indices) const { return ember::vsplit(*this, indices); }
std::vector<Tensor> Tensor::dsplit(int64_t sections) const { return ember::dsplit(*this, sections); }
std::vector<Tensor> Tensor::dsplit(const std::vector<int64_t>& indices) const { return ember::dsplit(*this, indices); }

// ---------------------------------------------------------------- *_scatter
namespace {
// PyTorch's *_scatter: out = a.clone(); view_of(out).copy_(src), src the view's shape.
template <typename View>
Tensor scatter_into_copy(const char* op, const Tensor& a, const Tensor& src, const View& view_of) {
  Tensor out = a.clone();
  Tensor view = view_of(out);
  EMBER_CHECK(src.sizes() == view.sizes(), op,
              ": expected src to have a size equal to the slice of self. src size = ", src.sizes(),
              ", slice size = ", view.sizes());
  view.copy_(src);
  return out;
}
}  // namespace

Tensor select_scatter(const Tensor& a, const Tensor& src, int64_t dim, int64_t index) {
  return scatter_into_copy("select_scatter", a, src, [&](const Tensor& t) { return t.select(dim, index); });
}
Tensor slice_scatter(const Tensor& a, const Tensor& src, int64_t dim, std::optional<int64_t> start,
                     std::optional<int64_t> end, int64_t step) {
  return scatter_into_copy("slice_scatter", a, src, [&](const Tensor& t) { return t.slice(dim, start, end, step); });
}
Tensor diagonal_scatter(const Tensor& a, const Tensor& src, int64_t offset, int64_t dim1, int64_t dim2) {
  return scatter_into_copy("diagonal_scatter", a, src,
                           [&](const Tensor& t) { return diagonal(t, offset, dim1, dim2); });
}
Tensor Tensor::select_scatter(const Tensor& src, int64_t dim, int64_t index) const {
  return ember::select_scatter(*this, src, dim, index);
}
Tensor Tensor::slice_scatter(const Tensor& src, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
                             int64_t step) const {
  return ember::slice_scatter(*this, src, dim, start, end, step);
}
Tensor Tensor::diagonal_scatter(const Tensor& src, int64_t offset, int64_t dim1, int64_t dim2) const {
  return ember::diagonal_scatter(*this, src, offset, dim1, dim2);
}
Tensor Tensor::msort() const { return ember::msort(*this); }

// ---------------------------------------------------------------- values
Tensor heaviside(const Tensor& a, const Tensor& values) {
  EMBER_CHECK(a.dtype() == values.dtype(), "heaviside is not yet implemented for tensors with different dtypes (",
              dtype_torch_name(a.dtype()), " and ", dtype_torch_name(values.dtype()), ")");
  Tensor out;
  {
    NoGradGuard no_grad;
    out = where(eq(a, Scalar(0)), values, gt(a, Scalar(0)).to(a.dtype()));
  }
  if (autograd::will_record_into(out, a, values)) {
    autograd::record("HeavisideBackward", {&a, &values}, {&out}, {},
                     [](const autograd::tensor_list&, const autograd::tensor_list&, const auto&) -> autograd::tensor_list {
                       EMBER_FAIL("the derivative for 'heaviside' is not implemented.");
                     });
  }
  return out;
}
Tensor Tensor::heaviside(const Tensor& values) const { return ember::heaviside(*this, values); }

Tensor dist(const Tensor& a, const Tensor& b, double p) { return linalg::vector_norm(a - b, p); }

Tensor msort(const Tensor& a) { return std::get<0>(sort(a, 0)); }

namespace {
// The [2, count] coordinates of one triangle, row by row: row r keeps the columns
// [first(r), last(r)).
template <typename First, typename Last>
Tensor triangle_indices(int64_t row, int64_t col, TensorOptions options, First first, Last last) {
  EMBER_CHECK(row >= 0, "row must be non-negative, got ", row);
  EMBER_CHECK(col >= 0, "col must be non-negative, got ", col);
  std::vector<int64_t> rows, cols;
  for (int64_t r = 0; r < row; ++r)
    for (int64_t c = std::max<int64_t>(0, first(r)); c < std::min<int64_t>(col, last(r)); ++c) {
      rows.push_back(r);
      cols.push_back(c);
    }
  const auto count = static_cast<int64_t>(rows.size());
  rows.insert(rows.end(), cols.begin(), cols.end());
  const DType dtype = options.has_dtype() ? options.dtype() : kInt64;
  return tensor(rows, {2, count}).to(options.device(), dtype);
}
}  // namespace

Tensor triu_indices(int64_t row, int64_t col, int64_t offset, TensorOptions options) {
  return triangle_indices(row, col, options, [offset](int64_t r) { return r + offset; },
                          [col](int64_t) { return col; });
}
Tensor tril_indices(int64_t row, int64_t col, int64_t offset, TensorOptions options) {
  return triangle_indices(row, col, options, [](int64_t) { return int64_t{0}; },
                          [offset](int64_t r) { return r + offset + 1; });
}

// torch.vander as PyTorch's: ones, then running products of x along the columns, in x's
// dtype promoted with int64; the columns reversed unless increasing.
Tensor torch_vander(const Tensor& x, std::optional<int64_t> N, bool increasing) {
  EMBER_CHECK(x.defined() && x.dim() == 1, "x must be a one-dimensional tensor.");
  const int64_t n = N.value_or(x.size(0));
  EMBER_CHECK(n >= 0, "N must be non-negative.");
  const DType dt = promote_types(x.dtype(), kInt64);
  const int64_t m = x.size(0);
  Tensor result = ones({m, std::min<int64_t>(n, 1)}, TensorOptions(dt).device(x.device()));
  if (n > 1) result = cat({result, x.to(dt).unsqueeze(1).expand({m, n - 1}).cumprod(1)}, 1);
  return increasing ? result : result.flip({1});
}

// torch.inner: a scalar operand multiplies; otherwise the last dims are contracted.
Tensor inner(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.defined() && b.defined(), "inner: expected defined tensors");
  if (a.dim() == 0 || b.dim() == 0) return a * b;
  EMBER_CHECK(a.size(-1) == b.size(-1), "inner() the last dimension must match on both input tensors but got shapes ",
              a.sizes(), " and ", b.sizes());
  return tensordot(a, b, {a.dim() - 1}, {b.dim() - 1});
}

Tensor vdot(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.defined() && b.defined(), "vdot: expected defined tensors");
  return dot(a, b);
}

Tensor Tensor::kron(const Tensor& other) const { return ember::kron(*this, other); }
Tensor Tensor::diagflat(int64_t offset) const { return ember::diagflat(*this, offset); }
Tensor Tensor::inner(const Tensor& other) const { return ember::inner(*this, other); }

// torch.unravel_index, as PyTorch's: (indices[..., None] floor-divided by each dim's row-major
// stride) remainder the dim's size, unbound along the last dim.
std::vector<Tensor> unravel_index(const Tensor& indices, const std::vector<int64_t>& shape) {
  EMBER_CHECK(indices.defined(), "unravel_index: expected a defined 'indices' tensor");
  EMBER_CHECK(is_integral(indices.dtype()), "expected 'indices' to be integer dtype, but got torch.",
              dtype_name(indices.dtype()));
  const bool negative = std::any_of(shape.begin(), shape.end(), [](int64_t s) { return s < 0; });
  if (negative) {
    std::string listed = "(";
    for (size_t i = 0; i < shape.size(); ++i) listed += (i ? ", " : "") + std::to_string(shape[i]);
    EMBER_CHECK(false, "'shape' cannot have negative values, but got ", listed, shape.size() == 1 ? ",)" : ")");
  }
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  const TensorOptions longs = TensorOptions(kInt64).device(indices.device());
  const Tensor flat = indices.to(kInt64).unsqueeze(-1);
  const Tensor coords = ember::remainder(ember::floor_divide(flat, tensor(strides, longs)), tensor(shape, longs));
  return coords.unbind(-1);
}

}  // namespace ember
