// Free-function random draws shaped by tensors (libtorch names): bernoulli, multinomial,
// normal with tensor moments. They draw from the default generator's Philox stream, as
// rand/randn (core/random.h), or from the generator given; the in-place fills are Tensor methods (uniform_, normal_,
// bernoulli_, ...). Defined in autograd/functions/sampling.cpp. Included by core/ops.h.
#pragma once
#include "core/tensor.h"

namespace ember {

// torch.bernoulli: 0/1 in p's dtype and shape, 1 with probability p[i] (floating, each in
// [0, 1]: "bernoulli expects all probabilities p to be in [0, 1]"); the second form draws with
// one p.
Tensor bernoulli(const Tensor& p);
Tensor bernoulli(const Tensor& input, double p);
// torch.multinomial: num_samples int64 category indices per row of probs (1-D [n] or 2-D
// [rows, n]; non-negative, finite, not all zero; need not sum to 1). Without replacement
// each row's draws are distinct (num_samples <= n; once the nonzero categories are used up,
// zero-probability ones follow, as PyTorch's).
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement = false);
// torch.normal: mean + std * z elementwise, broadcasting the tensor arguments (std >= 0);
// the last form is randn's shape and options.
Tensor normal(const Tensor& mean, const Tensor& std);
Tensor normal(const Tensor& mean, double std = 1);
Tensor normal(double mean, const Tensor& std);
Tensor normal(double mean, double std, const Dims& sizes, TensorOptions options = {});
// The same drawing from `generator` (PyTorch's generator=; Note [Explicit generators] in
// core/random.h).
Tensor bernoulli(const Tensor& p, Generator& generator);
Tensor bernoulli(const Tensor& input, double p, Generator& generator);
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator& generator);
Tensor normal(const Tensor& mean, const Tensor& std, Generator& generator);
Tensor normal(const Tensor& mean, double std, Generator& generator);
Tensor normal(double mean, const Tensor& std, Generator& generator);
Tensor normal(double mean, double std, const Dims& sizes, Generator& generator, TensorOptions options = {});

}  // namespace ember
