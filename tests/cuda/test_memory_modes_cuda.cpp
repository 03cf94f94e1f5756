// memory::measure_modes on the GPU (Note [Measuring the modes]): the CUDA allocator's
// numbers, the CPU's saved bytes in the eval modes for the same model, and a model left on
// another device than its input refused. Skips without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

std::shared_ptr<nn::Sequential> small_model() {
  manual_seed(5);
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(8, 16), std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(0.5),
      std::make_shared<nn::Linear>(16, 4)});
}

TEST(MemoryModesCuda, EvalSavedBytesAreTheCpusAndPeaksComeFromTheGpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Tensor x = randn({64, 8});
  auto cpu_model = small_model();
  const auto cpu = memory::measure_modes(*cpu_model, x);
  auto gpu_model = small_model();
  gpu_model->to(Device::cuda(0));
  const auto gpu = memory::measure_modes(*gpu_model, x.to(Device::cuda(0)));
  ASSERT_EQ(gpu.size(), cpu.size());
  for (size_t i = 0; i < gpu.size(); ++i) {
    SCOPED_TRACE(memory::run_mode_name(gpu[i].mode));
    EXPECT_EQ(gpu[i].graph_nodes, cpu[i].graph_nodes);
    EXPECT_GT(gpu[i].forward_peak_bytes, 0);
    // Training's dropout keeps cuDNN's reserve space on CUDA (the CPU a bit mask): only the
    // eval modes keep the same bytes on both devices.
    if (i > 0) {
      EXPECT_EQ(gpu[i].saved_bytes, cpu[i].saved_bytes);
    }
  }
  EXPECT_GT(gpu[0].saved_bytes, gpu[1].saved_bytes);
  EXPECT_EQ(gpu[2].saved_bytes, 0);
  EXPECT_EQ(gpu[3].backward_peak_bytes, -1);
  EXPECT_EMBER_ERROR(memory::measure_modes(*gpu_model, x), "measure_mode: expected the model on the input's device");
}

}  // namespace
}  // namespace ember
