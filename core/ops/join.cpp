// Native cat and stack (torch.cat, torch.stack): PyTorch's checks (a non-empty list, one
// number of dims, equal sizes outside `dim`, one device), the result type of all inputs,
// the output laid out as the inputs are when they agree, each input copied into its slice.
#include "core/dispatch.h"
#include "core/native.h"

namespace ember::native {

bool skipped_by_cat(const Dims& shape) { return shape.size() == 1 && shape[0] == 0; }

int64_t cat_dim(const std::vector<Tensor>& tensors, int64_t dim) {
  for (const Tensor& t : tensors) {
    if (t.defined() && !skipped_by_cat(t.sizes())) return wrap_dim(dim, t.dim());
  }
  return 0;  // only 1-D empty tensors: an empty result, whatever dim (as PyTorch)
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  EMBER_CHECK(!tensors.empty(), "torch.cat(): expected a non-empty list of Tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    EMBER_CHECK(tensors[i].defined(), "torch.cat(): tensor number ", i, " in the list is undefined");
    EMBER_CHECK(tensors[i].dim() > 0, "zero-dimensional tensor (at position ", i, ") cannot be concatenated");
  }
  const int64_t d = cat_dim(tensors, dim);
  // The shape every joined tensor shares (all but `d`), from the first one not skipped;
  // 1-D empty tensors are skipped whatever the others' shape, as PyTorch still allows.
  const Tensor* first = nullptr;
  DType dtype = tensors[0].dtype();
  int64_t joined = 0;
  bool same_format = true;  // every input's suggested layout is the first's (skipped ones too, as PyTorch)
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    check_same_device(tensors[0], {&t}, "torch.cat()");
    dtype = promote_types(dtype, t.dtype());
    same_format = same_format && t.suggest_memory_format() == tensors[0].suggest_memory_format();
    if (skipped_by_cat(t.sizes()) && (first == nullptr || first->dim() != 1)) continue;
    if (first == nullptr) first = &t;
    EMBER_CHECK(t.dim() == first->dim(), "Tensors must have same number of dimensions: got ", first->dim(), " and ",
                t.dim());
    for (int64_t k = 0; k < t.dim(); ++k) {
      EMBER_CHECK(k == d || t.size(k) == first->size(k), "Sizes of tensors must match except in dimension ", d,
                  ". Expected size ", first->size(k), " but got size ", t.size(k), " for tensor number ", i,
                  " in the list.");
    }
    joined += t.size(d);
  }
  if (first == nullptr) return make_empty({0}, dtype, tensors[0].device());
  Dims shape = first->sizes();
  shape[static_cast<size_t>(d)] = joined;
  const MemoryFormat format = same_format ? first->suggest_memory_format() : MemoryFormat::Contiguous;
  Tensor out = make_empty(shape, dtype, first->device(), format);
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    if (t.dim() != first->dim() || t.size(d) == 0) continue;  // the skipped ones, and nothing to copy
    device_ops(out.device()).copy(t, narrow(out, d, offset, t.size(d)));
    offset += t.size(d);
  }
  return out;
}

int64_t stack_dim(const std::vector<Tensor>& tensors, int64_t dim) {
  EMBER_CHECK(!tensors.empty(), "stack expects a non-empty TensorList");
  return wrap_dim(dim, tensors[0].dim() + 1);
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  const int64_t d = stack_dim(tensors, dim);
  std::vector<Tensor> unsqueezed;
  unsqueezed.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    EMBER_CHECK(tensors[i].defined(), "stack: tensor number ", i, " in the list is undefined");
    EMBER_CHECK(tensors[i].sizes() == tensors[0].sizes(), "stack expects each tensor to be equal size, but got ",
                tensors[0].sizes(), " at entry 0 and ", tensors[i].sizes(), " at entry ", i);
    unsqueezed.push_back(unsqueeze(tensors[i], d));
  }
  return cat(unsqueezed, d);
}

}  // namespace ember::native
