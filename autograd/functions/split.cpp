// Tensor::chunk, split, split_with_sizes and unbind (and their free forms): lists of
// narrow/select views, so each piece shares storage; recorded as one node for all the
// pieces (Note [One node for the pieces]). Checks and messages are PyTorch's.
#include <algorithm>
#include <string>
#include <vector>

#include "autograd/function_node.h"
#include "autograd/record.h"
#include "autograd/view_history.h"
#include "core/composite_ops.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"
#include "core/tensor.h"

namespace ember {

namespace {

// Note [One node for the pieces]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// split / chunk / unbind record one node for all their pieces, as PyTorch's split_backward
// and unbind_backward: the input's gradient is one cat (stack for unbind) of the pieces'
// gradients, zeros for a piece that got none. A node per piece scattered each gradient into
// zeros of the whole input, so a loop over the pieces (an RNN over time steps) cost
// pieces x input in backward. Each piece is still a view of the input (mark_view), so an
// in-place op on one rebases the input's history as on any view.
std::vector<Tensor> recorded_pieces(const char* name, const Tensor& self, int64_t d, std::vector<Tensor> pieces,
                                    bool stacked) {
  std::vector<Dims> shapes;
  std::vector<const Tensor*> outputs;
  for (Tensor& piece : pieces) {
    autograd::mark_view(piece, self);
    shapes.push_back(piece.sizes());
    outputs.push_back(&piece);
  }
  autograd::record_list(
      name, autograd::input_list({&self}), outputs, {},
      [d, stacked, shapes](const autograd::tensor_list& g, const autograd::tensor_list&, const auto& in) {
        TensorOptions options = TensorOptions(in[0].dtype).device(in[0].device);
        for (const Tensor& given : g)
          if (given.defined()) options = TensorOptions(given.dtype()).device(given.device());
        autograd::tensor_list filled;
        for (size_t i = 0; i < shapes.size(); ++i)
          filled.push_back(i < g.size() && g[i].defined() ? g[i] : zeros(shapes[i], options));
        return autograd::tensor_list{stacked ? stack(filled, d) : cat(filled, d)};
      })
      ->set_differentiable_backward();
  return pieces;
}

// The pieces of sizes `lengths` along dim d, one after the other.
std::vector<Tensor> narrow_pieces(const Tensor& self, int64_t d, const std::vector<int64_t>& lengths) {
  std::vector<Tensor> out;
  out.reserve(lengths.size());
  const bool recording = autograd::will_record(self) && !lengths.empty();
  int64_t start = 0;
  for (int64_t length : lengths) {
    out.push_back(recording ? native::narrow(self, d, start, length) : self.narrow(d, start, length));
    start += length;
  }
  return recording ? recorded_pieces("SplitBackward", self, d, std::move(out), /*stacked=*/false) : out;
}

// "[3, 3]", as PyTorch prints split_sizes in its messages.
std::string list_string(const std::vector<int64_t>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + "]";
}

}  // namespace

std::vector<Tensor> Tensor::split(int64_t split_size, int64_t dim) const {
  EMBER_CHECK(this->dim() != 0, "split expects at least a 1-dimensional tensor");
  EMBER_CHECK(split_size >= 0, "split expects split_size be non-negative, but got split_size=", split_size);
  const int64_t d = wrap_dim(dim, this->dim());
  const int64_t n = size(d);
  EMBER_CHECK(split_size != 0 || n == 0, "split_size can only be 0 if dimension size is 0, but got dimension size of ",
              n);
  // ceil(n / split_size) pieces, the last one shorter; one empty piece when n is 0.
  const int64_t pieces = split_size == 0 ? 1 : std::max<int64_t>((n + split_size - 1) / split_size, 1);
  std::vector<int64_t> lengths;
  for (int64_t i = 0; i < pieces; ++i) lengths.push_back(std::min(split_size, n - i * split_size));
  return narrow_pieces(*this, d, lengths);
}

std::vector<Tensor> Tensor::split_with_sizes(const std::vector<int64_t>& split_sizes, int64_t dim) const {
  EMBER_CHECK(this->dim() != 0, "split expects at least a 1-dimensional tensor");
  const int64_t d = wrap_dim(dim, this->dim());
  int64_t total = 0;
  for (int64_t s : split_sizes) {
    EMBER_CHECK(s >= 0, "split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=",
                list_string(split_sizes));
    total += s;
  }
  EMBER_CHECK(total == size(d), "split_with_sizes expects split_sizes to sum exactly to ", size(d),
              " (input tensor's size at dimension ", d, "), but got split_sizes=", list_string(split_sizes));
  return narrow_pieces(*this, d, split_sizes);
}

std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t dim) const {
  EMBER_CHECK(this->dim() != 0, "chunk expects at least a 1-dimensional tensor");
  EMBER_CHECK(chunks > 0, "chunk expects `chunks` to be greater than 0, got: ", chunks);
  const int64_t d = wrap_dim(dim, this->dim());
  // PyTorch: pieces of ceil(n / chunks), so there may be fewer than `chunks` of them;
  // an empty dim gives `chunks` empty pieces.
  if (size(d) == 0) return split_with_sizes(std::vector<int64_t>(static_cast<size_t>(chunks), 0), d);
  return split((size(d) + chunks - 1) / chunks, d);
}

std::vector<Tensor> Tensor::unbind(int64_t dim) const {
  EMBER_CHECK(this->dim() != 0, "Dimension specified as ", dim, " but tensor has no dimensions");
  const int64_t d = wrap_dim(dim, this->dim());
  std::vector<Tensor> out;
  out.reserve(static_cast<size_t>(size(d)));
  const bool recording = autograd::will_record(*this) && size(d) > 0;
  for (int64_t i = 0; i < size(d); ++i) out.push_back(recording ? native::select(*this, d, i) : select(d, i));
  return recording ? recorded_pieces("UnbindBackward", *this, d, std::move(out), /*stacked=*/true) : out;
}

std::vector<Tensor> Tensor::split(const std::vector<int64_t>& split_sizes, int64_t dim) const {
  return split_with_sizes(split_sizes, dim);
}

std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t dim) { return a.chunk(chunks, dim); }
std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim) { return a.split(split_size, dim); }
std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& split_sizes, int64_t dim) {
  return a.split_with_sizes(split_sizes, dim);
}
std::vector<Tensor> split_with_sizes(const Tensor& a, const std::vector<int64_t>& split_sizes, int64_t dim) {
  return a.split_with_sizes(split_sizes, dim);
}
std::vector<Tensor> unbind(const Tensor& a, int64_t dim) { return a.unbind(dim); }

}  // namespace ember
