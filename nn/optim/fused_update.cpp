// Runs a fused optimizer kernel on operands laid out alike, staging contiguous copies of
// those that are not (Note [Staged optimizer operands] in nn/optim/fused_update.h).
#include "nn/optim/fused_update.h"

#include "core/fused_operands.h"
#include "core/native.h"

namespace ember::optim::detail {

namespace {

// `t` itself when laid out like `like` (dense itself), else a copy laid out so.
Tensor staged(const Tensor& t, const Tensor& like) {
  if (!t.defined() || fused::laid_out_like(like, t)) return t;
  return native::clone(native::to_dtype(t, like.dtype()), dense_format_of(like));
}

}  // namespace

void run_fused_update(const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state,
                      const FusedKernel& kernel) {
  const Tensor p = fused::laid_out_like(param, param) ? param : native::clone(param);
  std::vector<Tensor> s;
  s.reserve(state.size());
  for (const Tensor& t : state) s.push_back(staged(t, p));
  kernel(p, staged(grad, p), s);
  if (p.is_same(param)) native::mark_mutated(param);
  else native::copy_(param, p);
  for (size_t i = 0; i < state.size(); ++i) {
    if (!state[i].defined()) continue;
    if (s[i].is_same(state[i])) native::mark_mutated(state[i]);
    else native::copy_(state[i], s[i]);
  }
}

}  // namespace ember::optim::detail
