// Tensor::chunk, split, split_with_sizes and unbind (and their free forms): lists of
// narrow/select views, so each piece shares storage and records its own view backward
// (gradients of the pieces scatter back into the input). Checks and messages are PyTorch's.
#include <algorithm>
#include <string>
#include <vector>

#include "core/composite_ops.h"
#include "core/tensor.h"

namespace ember {

namespace {

// The pieces of sizes `lengths` along dim d, one after the other.
std::vector<Tensor> narrow_pieces(const Tensor& self, int64_t d, const std::vector<int64_t>& lengths) {
  std::vector<Tensor> out;
  out.reserve(lengths.size());
  int64_t start = 0;
  for (int64_t length : lengths) {
    out.push_back(self.narrow(d, start, length));
    start += length;
  }
  return out;
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
  for (int64_t i = 0; i < size(d); ++i) out.push_back(select(d, i));
  return out;
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
