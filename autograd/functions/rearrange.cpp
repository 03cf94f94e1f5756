// torch.flip, roll, tile and Tensor::repeat, composed of differentiable ops (index_select
// with reversed positions, cat of two narrows, expand + reshape), so each runs on any
// device and its gradient (and the gradient's gradient) comes from those ops' nodes.
#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/factories.h"
#include "core/ops.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace ember {

namespace {

// dims wrapped to [0, ndim), each at most once (PyTorch's flip/roll checks).
std::vector<int64_t> distinct_dims(const std::vector<int64_t>& dims, int64_t ndim) {
  std::vector<int64_t> out;
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, ndim);
    for (int64_t seen : out) EMBER_CHECK(seen != w, "dim ", w, " appears multiple times in the list of dims");
    out.push_back(w);
  }
  return out;
}

// t ([s0, s1, ...], padded with leading 1s to repeats.size()) repeated: the view
// [..., 1, s_i, ...] (a new dim before each repeated one) expanded to [..., r_i, s_i, ...]
// and merged, one copy. Past kMaxDims dims, one repeated dim at a time.
Tensor repeated(const Tensor& t, const std::vector<int64_t>& repeats) {
  const size_t n = repeats.size();
  Dims padded = Dims::filled(n - static_cast<size_t>(t.dim()), 1);
  for (int64_t d = 0; d < t.dim(); ++d) padded.push_back(t.size(d));
  size_t with_new_dims = n;
  for (int64_t r : repeats) with_new_dims += r != 1 ? 1 : 0;
  if (with_new_dims > static_cast<size_t>(kMaxDims)) {
    Tensor out = t.reshape(padded);
    for (size_t i = 0; i < n; ++i) {
      if (repeats[i] == 1) continue;
      std::vector<int64_t> one(n, 1);
      one[i] = repeats[i];
      out = repeated(out, one);
    }
    return out;
  }
  Dims split, expanded, result;
  for (size_t i = 0; i < n; ++i) {
    if (repeats[i] != 1) {
      split.push_back(1);
      expanded.push_back(repeats[i]);
    }
    split.push_back(padded[i]);
    expanded.push_back(padded[i]);
    result.push_back(repeats[i] * padded[i]);
  }
  // A new tensor, as PyTorch's repeat: where nothing is really repeated (repeats of 1, or only
  // size-1 dims repeated) the reshape is a view of t (stride 0), which a write would reach.
  Tensor out = t.reshape(split).expand(expanded).reshape(result);
  return out.is_alias_of(t) ? out.clone(MemoryFormat::Contiguous) : out;
}

}  // namespace

Tensor flip(const Tensor& a, const std::vector<int64_t>& dims) {
  // A 0-dim tensor takes dim 0 or -1, as PyTorch's (its dims wrapped as a scalar's).
  const std::vector<int64_t> wrapped = distinct_dims(dims, std::max<int64_t>(a.dim(), 1));
  if (a.dim() == 0) return a.clone();
  Tensor out = a;
  for (int64_t d : wrapped) {
    const int64_t n = a.size(d);
    if (n <= 1) continue;
    out = index_select(out, d, arange(n - 1, -1, -1, TensorOptions().dtype(kInt64).device(a.device())));
  }
  // PyTorch's flip always returns a new tensor, never a view of its input.
  return out.is_same(a) ? a.clone() : out;
}

Tensor roll(const Tensor& a, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) {
  EMBER_CHECK(!shifts.empty(), "`shifts` required");
  if (dims.empty()) {
    EMBER_CHECK(shifts.size() == 1, "shifts and dimensions must align. shifts: ", shifts.size(), ", dims:0");
    return roll(a.flatten(), shifts, {0}).view(a.sizes());
  }
  EMBER_CHECK(shifts.size() == dims.size(), "shifts and dimensions must align. shifts: ", shifts.size(),
              ", dims:", dims.size());
  Tensor out = a;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], a.dim());
    const int64_t n = a.size(d);
    if (n == 0) continue;
    const int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    out = cat({out.narrow(d, n - s, s), out.narrow(d, 0, n - s)}, d);
  }
  return out.is_same(a) ? a.clone() : out;
}

Tensor tile(const Tensor& a, const std::vector<int64_t>& dims) {
  std::vector<int64_t> repeats(dims);
  if (static_cast<int64_t>(repeats.size()) < a.dim())
    repeats.insert(repeats.begin(), static_cast<size_t>(a.dim()) - repeats.size(), 1);
  return a.repeat(repeats);
}

Tensor Tensor::repeat(const std::vector<int64_t>& repeats) const {
  EMBER_CHECK(static_cast<int64_t>(repeats.size()) >= dim(),
              "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
  for (int64_t r : repeats)
    EMBER_CHECK(r >= 0, "Trying to create tensor with negative dimension ", r, ": repeats ",
                Dims(repeats));
  if (repeats.empty()) return clone();
  return repeated(*this, repeats);
}

Tensor Tensor::flip(const std::vector<int64_t>& dims) const { return ember::flip(*this, dims); }
Tensor Tensor::roll(const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) const {
  return ember::roll(*this, shifts, dims);
}
Tensor Tensor::tile(const std::vector<int64_t>& dims) const { return ember::tile(*this, dims); }

}  // namespace ember
