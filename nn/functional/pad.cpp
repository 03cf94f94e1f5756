// nn::functional::pad: PyTorch's checks and messages, then constant padding as x cropped
// by negative pads and joined with filled blocks, and reflect / replicate / circular
// padding as one index_select per padded dim with positions made on the host.
#include "nn/functional/pad.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "core/factories.h"
#include "core/ops.h"
#include "nn/functional/args.h"

namespace ember::nn::functional {

// Note [Padding and resizing by composition]
// pad (every mode), interpolate (nearest, linear, bilinear, trilinear) and the modules over
// them have no kernel of their own. Each is composed of ops that already run on the CPU and
// CUDA and record differentiable backward nodes:
// - constant: for each padded dim, x narrowed where a pad is negative, then cat with
//   full() blocks on the sides where it is positive. (Not copy_ into a slice of one full()
//   output, which would make one pass instead of one per dim: the in-place copy's
//   CopySlices backward records index_add and index_select over the whole output under
//   create_graph, Note [Double backward through views], where cat's is a narrow.)
// - reflect, replicate, circular: for each padded dim, index_select with the source
//   position of every output position (mirrored, clamped or wrapped on the host).
// - nearest: the same, one index_select per resized dim; linear modes are separable: per
//   resized dim, the left and right neighbours and their host-computed weights as two taps
//   per output, applied by the resample kernel (Note [Resampling by taps] in
//   nn/functional/resample_taps.h), one pass per dim as PyTorch's.
// So autograd, double backward and CUDA come from those ops, and the positions and weights
// follow PyTorch's formulas exactly, computed once per call on the host (a few integers
// and floats per output row or column, copied to x's device). The cost, against a fused
// kernel: one intermediate tensor per padded or resized dim, the same again in the
// backward, and a small host-to-device copy of positions and weights per call.

namespace {

std::string sizes_text(const Dims& sizes) {
  std::ostringstream os;
  os << sizes;
  return os.str();
}

// The padded dims' pairs, first dim first: (dim, left, right).
struct PaddedDim {
  int64_t dim, left, right;
};
std::vector<PaddedDim> padded_dims(const Tensor& x, const std::vector<int64_t>& pad) {
  std::vector<PaddedDim> dims;
  const int64_t pairs = static_cast<int64_t>(pad.size()) / 2;
  for (int64_t i = pairs - 1; i >= 0; --i)
    dims.push_back({x.dim() - 1 - i, pad[static_cast<size_t>(2 * i)], pad[static_cast<size_t>(2 * i + 1)]});
  return dims;
}

void check_output_size(const Tensor& x, const PaddedDim& p) {
  const int64_t n = x.size(p.dim);
  EMBER_CHECK(n + p.left + p.right >= 0, "The input size ", n, ", plus negative padding ", p.left, " and ", p.right,
              " resulted in a negative output size, which is invalid. Check dimension ", p.dim, " of your input.");
}

Tensor constant_pad(const Tensor& x, const std::vector<int64_t>& pad, double value) {
  EMBER_CHECK(static_cast<int64_t>(pad.size()) / 2 <= x.dim(),
              "Padding length should be less than or equal to two times the input dimension but got padding length ",
              pad.size(), " and input of dimension ", x.dim());
  Tensor out = x;
  for (const PaddedDim& p : padded_dims(x, pad)) {
    check_output_size(x, p);
    const int64_t start = std::max<int64_t>(-p.left, 0), stop = x.size(p.dim) - std::max<int64_t>(-p.right, 0);
    out = out.narrow(p.dim, start, std::max<int64_t>(stop - start, 0));
    if (p.left <= 0 && p.right <= 0) continue;
    std::vector<Tensor> parts;
    for (const int64_t side : {p.left, p.right}) {
      if (side <= 0) continue;
      Dims sizes = out.sizes();
      sizes[static_cast<size_t>(p.dim)] = side;
      parts.push_back(full(sizes, value, TensorOptions().dtype(x.dtype()).device(x.device())));
    }
    parts.insert(parts.begin() + (p.left > 0 ? 1 : 0), out);
    out = cat(parts, p.dim);
  }
  // A new tensor, never x or a view of it (PyTorch's constant_pad_nd copies).
  return out.is_alias_of(x) ? out.clone() : out;
}

// The source position of output position o along a dim of n elements padded by (l, r).
int64_t reflected(int64_t o, int64_t n, int64_t l) {
  const int64_t i = o - l;
  return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}
int64_t replicated(int64_t o, int64_t n, int64_t l) { return std::clamp<int64_t>(o - l, 0, n - 1); }
// PyTorch's circular padding wraps within what the negative pads leave.
int64_t wrapped(int64_t o, int64_t n, int64_t l, int64_t r) {
  const int64_t start = std::max<int64_t>(-l, 0), kept = n - start - std::max<int64_t>(-r, 0);
  const int64_t j = (o - std::max<int64_t>(l, 0)) % kept;
  return start + (j < 0 ? j + kept : j);
}

// reflect / replicate / circular: the size rules of PyTorch's reflection_pad{1,2,3}d,
// replication_pad{1,2,3}d and _pad_circular.
void check_non_constant(const Tensor& x, const std::vector<int64_t>& pad, const std::string& mode, double value) {
  EMBER_CHECK(value == 0, "Padding mode \"", mode, "\" doesn't take in value argument");
  const int64_t k = static_cast<int64_t>(pad.size()) / 2;
  EMBER_CHECK(k >= 1 && k <= 3 && (x.dim() == k + 1 || x.dim() == k + 2),
              "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now (got ", mode,
              " padding of ", pad.size(), " values for a ", x.dim(), "-D input)");
  const std::string dims_text = std::to_string(k + 1) + "D or " + std::to_string(k + 2) + "D";
  const int64_t first_nonempty = x.dim() == k + 2 ? 1 : 0;  // the batch dim may be empty
  for (int64_t d = first_nonempty; d < x.dim(); ++d) {
    if (mode == "reflect" || mode == "replicate")  // PyTorch 2.x's padding::check_valid_input for both
      EMBER_CHECK(x.size(d) != 0, "Expected ", dims_text,
                  " (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ",
                  sizes_text(x.sizes()));
  }
  const std::vector<PaddedDim> dims = padded_dims(x, pad);
  for (size_t i = 0; i < dims.size(); ++i) {
    const PaddedDim& p = dims[i];
    const int64_t n = x.size(p.dim);
    if (mode == "reflect")
      EMBER_CHECK(p.left < n && p.right < n, "Argument #", 4 + 2 * (dims.size() - 1 - i),
                  ": Padding size should be less than the corresponding input dimension, but got: padding (", p.left,
                  ", ", p.right, ") at dimension ", p.dim, " of input ", sizes_text(x.sizes()));
    if (mode == "circular") {
      const int64_t kept = n - std::max<int64_t>(-p.left, 0) - std::max<int64_t>(-p.right, 0);
      EMBER_CHECK(p.left <= n && p.right <= n && (kept > 0 || (p.left <= 0 && p.right <= 0)),
                  "Padding value causes wrapping around more than once.");
    }
    check_output_size(x, p);
  }
  if (mode != "circular") {
    std::ostringstream in, out;
    bool empty = false;
    const char* names[] = {"D", "H", "W"};
    for (size_t i = 0; i < dims.size(); ++i) {
      const PaddedDim& p = dims[i];
      const char* name = names[3 - dims.size() + i];
      const int64_t o = x.size(p.dim) + p.left + p.right;
      in << (i ? ", " : "") << name << ": " << x.size(p.dim);
      out << (i ? " " : "") << name << ": " << o;
      empty = empty || o < 1;
    }
    EMBER_CHECK(!empty, "input (", in.str(), ") is too small. Calculated output ", out.str());
  }
}

}  // namespace

Tensor pad(const Tensor& x, const std::vector<int64_t>& pad, const std::string& mode, double value) {
  EMBER_CHECK(pad.size() % 2 == 0, "Padding length must be divisible by 2");
  if (mode == "constant") return constant_pad(x, pad, value);
  EMBER_CHECK(mode == "reflect" || mode == "replicate" || mode == "circular", "Unrecognised padding mode ", mode);
  check_non_constant(x, pad, mode, value);
  Tensor out = x;
  for (const PaddedDim& p : padded_dims(x, pad)) {
    const int64_t n = x.size(p.dim), size = n + p.left + p.right;
    if (p.left == 0 && p.right == 0) continue;
    std::vector<int64_t> from(static_cast<size_t>(size));
    for (int64_t o = 0; o < size; ++o)
      from[static_cast<size_t>(o)] = mode == "reflect"     ? reflected(o, n, p.left)
                                     : mode == "replicate" ? replicated(o, n, p.left)
                                                           : wrapped(o, n, p.left, p.right);
    out = index_select(out, p.dim, detail::positions_on(from, x.device()));
  }
  // A new tensor, never x itself (PyTorch's pad copies).
  return out.is_same(x) ? x.clone() : out;
}

}  // namespace ember::nn::functional
