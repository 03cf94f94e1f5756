// One training step of a data-parallel model on this rank's share of a global batch and,
// in lockstep, of a one-process reference model on the whole batch (the equivalence the
// DDP and SyncBatchNorm tests check).
#pragma once
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "nn/functional/loss.h"

namespace ember::testing {

inline void lockstep_sgd_step(nn::Module& ddp, optim::SGD& sgd, nn::Module& reference, optim::SGD& sgd_ref,
                              const Tensor& x, const Tensor& y, int64_t rank, int64_t per_rank) {
  sgd.zero_grad();
  nn::functional::cross_entropy(ddp(x.narrow(0, rank * per_rank, per_rank)), y.narrow(0, rank * per_rank, per_rank))
      .backward();
  sgd.step();
  sgd_ref.zero_grad();
  nn::functional::cross_entropy(reference(x), y).backward();
  sgd_ref.step();
}

}  // namespace ember::testing
