// CTC loss on CUDA (the alpha and beta recursions as native ops): losses and gradients
// against the CPU in float64 and float32, every reduction, zero_infinity, targets and lengths
// left on the host. Skipped without a GPU.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include <vector>

#include "support/cuda_parity.h"
#include "support/helpers.h"

namespace ember {
namespace {

namespace F = nn::functional;

TEST(CudaCtcLoss, MatchesTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(9);
  const int64_t T = 40, N = 6, C = 12;
  const Tensor logits = randn({T, N, C}, kFloat64);
  const Tensor lengths = tensor(std::vector<int64_t>{40, 33, 40, 7, 1, 25});
  const Tensor target_lengths = tensor(std::vector<int64_t>{12, 9, 20, 3, 2, 0});  // sample 4 cannot fit
  const Tensor targets = randint(1, C, {N, 20});
  for (const F::Reduction reduction : {F::Reduction::Mean, F::Reduction::Sum, F::Reduction::None}) {
    for (const bool zero_infinity : {false, true}) {
      if (!zero_infinity && reduction != F::Reduction::None) continue;  // an inf loss's gradient is NaN
      testing::expect_cuda_matches_cpu(
          {logits},
          [&](const auto& in) {
            // targets and lengths stay on the host, as PyTorch allows
            return F::ctc_loss(F::log_softmax(in[0], 2), targets, lengths, target_lengths, 0, reduction, zero_infinity);
          },
          1e-10);
    }
  }
  // float32 (the scatter_add of the posteriors adds in another order on the GPU)
  testing::expect_cuda_matches_cpu(
      {logits.to(kFloat32)},
      [&](const auto& in) {
        return F::ctc_loss(F::log_softmax(in[0], 2), targets, lengths, target_lengths, 0, F::Reduction::Mean, true);
      },
      2e-4);
  // lengths and targets on the GPU too
  const Tensor on_gpu = F::ctc_loss(F::log_softmax(logits.cuda(), 2), targets.cuda(), lengths.cuda(),
                                    target_lengths.cuda(), 0, F::Reduction::None, true);
  const Tensor on_cpu =
      F::ctc_loss(F::log_softmax(logits, 2), targets, lengths, target_lengths, 0, F::Reduction::None, true);
  testing::expect_same(on_cpu, on_gpu, 1e-10);
}

}  // namespace
}  // namespace ember
