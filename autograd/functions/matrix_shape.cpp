// Differentiable matrix shapes: tril/triu (and in place), the diagonal view, diag,
// diag_embed, trace and outer. tril/triu's gradient is the incoming one through the
// same triangle; diagonal's writes the incoming one on the diagonal of zeros (and
// diag_embed's reads it back), each differentiable again for create_graph.
#include "autograd/function_node.h"
#include "autograd/functions/inplace_record.h"
#include "autograd/view_history.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/ops.h"

namespace ember {

using autograd::record;
using autograd::tensor_list;
using autograd::will_record_into;

namespace {

Tensor triangle(const char* name, const Tensor& a, int64_t diagonal, bool upper) {
  Tensor out = upper ? native::triu(a, diagonal) : native::tril(a, diagonal);
  if (will_record_into(out, a)) {
    record(name, {&a}, {&out}, {}, [diagonal, upper](const tensor_list& g, const tensor_list&, const auto&) {
      return tensor_list{upper ? triu(g[0], diagonal) : tril(g[0], diagonal)};
    })->set_differentiable_backward();
  }
  return out;
}

Tensor& triangle_(const char* name, Tensor& self, int64_t diagonal, bool upper) {
  return autograd::inplace(name, self, nullptr,
                           [&] { upper ? native::triu_(self, diagonal) : native::tril_(self, diagonal); },
                           [diagonal, upper](const tensor_list& g, const tensor_list&, const auto&) {
                             return tensor_list{upper ? triu(g[0], diagonal) : tril(g[0], diagonal)};
                           });
}

// diagonal's gradient: zeros of the input's shape with g on the diagonal. Linear in g, so
// for create_graph its own derivative takes the diagonal of the gradient again.
Tensor diagonal_backward(const Tensor& g, const Dims& shape, int64_t offset, int64_t dim1, int64_t dim2) {
  Tensor full = zeros(shape, TensorOptions(g.dtype()).device(g.device()));
  native::copy_(native::diagonal(full, offset, dim1, dim2), g);
  if (will_record_into(full, g)) {
    record("DiagonalBackwardBackward", {&g}, {&full}, {}, [=](const tensor_list& gg, const tensor_list&, const auto&) {
      return tensor_list{diagonal(gg[0], offset, dim1, dim2)};
    })->set_differentiable_backward();
  }
  return full;
}

}  // namespace

Tensor tril(const Tensor& a, int64_t diagonal) { return triangle("TrilBackward", a, diagonal, false); }
Tensor triu(const Tensor& a, int64_t diagonal) { return triangle("TriuBackward", a, diagonal, true); }
Tensor Tensor::tril(int64_t diagonal) const { return ember::tril(*this, diagonal); }
Tensor Tensor::triu(int64_t diagonal) const { return ember::triu(*this, diagonal); }
Tensor& Tensor::tril_(int64_t diagonal) { return triangle_("TrilBackward", *this, diagonal, false); }
Tensor& Tensor::triu_(int64_t diagonal) { return triangle_("TriuBackward", *this, diagonal, true); }

Tensor diagonal(const Tensor& a, int64_t offset, int64_t dim1, int64_t dim2) {
  Tensor out = native::diagonal(a, offset, dim1, dim2);
  autograd::mark_view(out, a);  // in-place ops through it reach a (Note [In-place ops on views])
  if (will_record_into(out, a)) {
    record("DiagonalBackward", {&a}, {&out}, {}, [=](const tensor_list& g, const tensor_list&, const auto& in) {
      return tensor_list{diagonal_backward(g[0], in[0].shape, offset, dim1, dim2)};
    })->set_differentiable_backward();
  }
  return out;
}
Tensor Tensor::diagonal(int64_t offset, int64_t dim1, int64_t dim2) const {
  return ember::diagonal(*this, offset, dim1, dim2);
}

Tensor diag_embed(const Tensor& a, int64_t offset, int64_t dim1, int64_t dim2) {
  Tensor out = native::diag_embed(a, offset, dim1, dim2);
  if (will_record_into(out, a)) {
    record("DiagEmbedBackward", {&a}, {&out}, {}, [=](const tensor_list& g, const tensor_list&, const auto&) {
      return tensor_list{diagonal(g[0], offset, dim1, dim2).contiguous()};
    })->set_differentiable_backward();
  }
  return out;
}
Tensor Tensor::diag_embed(int64_t offset, int64_t dim1, int64_t dim2) const {
  return ember::diag_embed(*this, offset, dim1, dim2);
}

Tensor diag(const Tensor& a, int64_t diagonal) {
  EMBER_CHECK(a.dim() == 1 || a.dim() == 2, "matrix or a vector expected (diag got a ", a.dim(), "-D tensor)");
  if (a.dim() == 1) return diag_embed(a, diagonal, 0, 1);
  return ember::diagonal(a, diagonal, 0, 1).clone(MemoryFormat::Contiguous);
}
Tensor Tensor::diag(int64_t diagonal) const { return ember::diag(*this, diagonal); }

Tensor trace(const Tensor& a) {
  EMBER_CHECK(a.dim() == 2, "trace: expected a matrix, but got tensor with dim ", a.dim());
  EMBER_CHECK(a.dtype() != kBool, "\"trace\" not implemented for 'Bool'");
  return sum(ember::diagonal(a));
}
Tensor Tensor::trace() const { return ember::trace(*this); }

Tensor outer(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.dim() == 1, "outer: Expected 1-D argument self, but got ", a.dim(), "-D");
  EMBER_CHECK(b.dim() == 1, "outer: Expected 1-D argument vec2, but got ", b.dim(), "-D");
  return mul(a.unsqueeze(1), b.unsqueeze(0));
}
Tensor Tensor::outer(const Tensor& other) const { return ember::outer(*this, other); }

}  // namespace ember
