// PyTorch's other spellings on CUDA (Note [PyTorch spellings]): the in-place forms write
// the CPU's values into CUDA memory, and their first and second derivatives, through a
// write into a view (CopySlices' recorded form, Note [Double backward through views]),
// equal the CPU's. Skipped without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "support/helpers.h"
#include "support/spelling_writes.h"

namespace ember {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device"

TEST(CudaPytorchSpellings, InPlaceFormsMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  manual_seed(3);
  // in [-1, 1], where every write is differentiable (log_ and sqrt_ of t + 2 too)
  const Tensor source = rand({4, 5}, kFloat64) * 2.0 - 1.0;
  const Tensor probe = rand({4, 5}, kFloat64) * 2.0 - 1.0;
  for (const auto& [name, write] : testing::in_place_spelling_writes()) {
    SCOPED_TRACE(name);
    // unrecorded: CUDA memory holds the CPU's values
    Tensor cpu = source.clone(), gpu = source.to(Device::cuda());
    write(cpu);
    write(gpu);
    EXPECT_LT(testing::max_abs_diff(cpu, gpu.cpu()), 1e-12);
    // recorded through a view: first derivative and a Hessian-vector product
    std::vector<Tensor> grads, hvps;
    for (const Device device : {Device::cpu(), Device::cuda()}) {
      Tensor x = source.to(device).detach().requires_grad_(true);  // a leaf on each device
      Tensor t = x * 1.0;
      Tensor v = t.narrow(0, 1, 3);
      write(v);
      const Tensor loss = (t * t * x).sum();
      const Tensor g = autograd::grad({loss}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
      grads.push_back(g.detach().cpu());
      hvps.push_back(autograd::grad({(g * probe.to(device)).sum()}, {x})[0].cpu());
    }
    EXPECT_LT(testing::max_abs_diff(grads[0], grads[1]), 1e-10 * std::max(1.0, grads[0].abs().max().item<double>()));
    EXPECT_LT(testing::max_abs_diff(hvps[0], hvps[1]), 1e-10 * std::max(1.0, hvps[0].abs().max().item<double>()));
  }
  // abs of -0.0 is +0.0 on both devices, as PyTorch's
  const Tensor zero = tensor(std::vector<double>{-0.0}, {1}, kFloat32).to(Device::cuda());
  EXPECT_FALSE(std::signbit(zero.abs().cpu().to_vector<double>()[0]));
}

}  // namespace
}  // namespace ember
