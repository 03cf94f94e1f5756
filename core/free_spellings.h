// torch.* free functions that are spellings of Tensor methods: torch.max / min (all three
// forms), torch.flatten, transpose, squeeze, unsqueeze, reshape, permute, narrow, t, clone
// and detach. Included at the end of core/ops.h. Note [Free spellings of methods].
#pragma once
#include <concepts>
#include <cstdint>
#include <optional>
#include <tuple>

#include "core/tensor.h"

namespace ember {

// Note [Free spellings of methods]
// Each is a template on exactly Tensor, forwarding to the method, for one reason: ember's
// internal namespace ember::native has non-template functions of the same names and
// parameter types (native::max, native::transpose, ...). Code there calls them
// unqualified, and argument-dependent lookup also finds these public ones (Tensor lives in
// namespace ember); equally good matches prefer the non-template, so those calls keep
// meaning the native function. Keep each parameter list the method's exact types: a
// deduced parameter would match better and take such calls over.
template <std::same_as<Tensor> T>
Tensor max(const T& a) {
  return a.max();
}
template <std::same_as<Tensor> T>
std::tuple<Tensor, Tensor> max(const T& a, int64_t dim, bool keepdim = false) {
  return a.max(dim, keepdim);
}
template <std::same_as<Tensor> T>
Tensor max(const T& a, const Tensor& other) {
  return a.max(other);
}
template <std::same_as<Tensor> T>
Tensor min(const T& a) {
  return a.min();
}
template <std::same_as<Tensor> T>
std::tuple<Tensor, Tensor> min(const T& a, int64_t dim, bool keepdim = false) {
  return a.min(dim, keepdim);
}
template <std::same_as<Tensor> T>
Tensor min(const T& a, const Tensor& other) {
  return a.min(other);
}

template <std::same_as<Tensor> T>
Tensor flatten(const T& a, int64_t start_dim = 0, int64_t end_dim = -1) {
  return a.flatten(start_dim, end_dim);
}
template <std::same_as<Tensor> T>
Tensor transpose(const T& a, int64_t dim0, int64_t dim1) {
  return a.transpose(dim0, dim1);
}
template <std::same_as<Tensor> T>
Tensor squeeze(const T& a) {
  return a.squeeze();
}
// The dim as native::squeeze's own std::optional (an int64_t would match native calls better).
template <std::same_as<Tensor> T>
Tensor squeeze(const T& a, std::optional<int64_t> dim) {
  return dim ? a.squeeze(*dim) : a.squeeze();
}
template <std::same_as<Tensor> T>
Tensor unsqueeze(const T& a, int64_t dim) {
  return a.unsqueeze(dim);
}
template <std::same_as<Tensor> T>
Tensor reshape(const T& a, const Dims& shape) {
  return a.reshape(shape);
}
template <std::same_as<Tensor> T>
Tensor permute(const T& a, const Dims& dims) {
  return a.permute(dims);
}
template <std::same_as<Tensor> T>
Tensor narrow(const T& a, int64_t dim, int64_t start, int64_t length) {
  return a.narrow(dim, start, length);
}
template <std::same_as<Tensor> T>
Tensor t(const T& a) {
  return a.t();
}
template <std::same_as<Tensor> T>
Tensor clone(const T& a, MemoryFormat memory_format = MemoryFormat::Preserve) {
  return a.clone(memory_format);
}
template <std::same_as<Tensor> T>
Tensor detach(const T& a) {
  return a.detach();
}

}  // namespace ember
