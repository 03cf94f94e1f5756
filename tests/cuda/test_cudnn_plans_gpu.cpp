// The cuDNN plan checks of tests/cudnn_plans/ for the GPU itself (Note [cuDNN plans without
// a GPU] in cuda/cudnn_plan.h): its description as cuDNN serialises it (printed, for the
// run's evidence and the deviceless tests' H200 description) plans the same cases. Skips without a GPU.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <iostream>

#include "cuda/cudnn.h"
#include "support/cudnn_plan_cases.h"

namespace ember {
namespace {

using namespace plan_cases;

TEST(CudnnPlansOnThisGpu, TheSameCasesPlanForTheRealDevice) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  if (cudnn::version() < 91100) GTEST_SKIP() << "cuDNN " << cudnn::version() << " describes no device";
  const ConvGeometry g = geometry({1, 1, 3, 3}, {1, 1, 3, 3}, 1, 0, 1, 1);
  const std::string why = cuda::detail::check_conv2d_plan({}, ConvPlanKind::Fprop, operand({1, 1, 3, 3}),
                                                          operand({1, 1, 3, 3}), operand({1, 1, 1, 1}), g, true);
  if (why.find("without cuDNN's frontend") != std::string::npos) GTEST_SKIP() << why;
  // SM version 0: the frontend reads it from the current device.
  const CudnnDevice device{cuda::detail::describe_current_device(), 0};
  std::cout << "cuDNN's description of cuda:0: " << device.properties_json << "\n";
  ASSERT_FALSE(device.properties_json.empty());
  expect_every_convolution_plans(device);
  expect_the_small_cnn_batch_norms_plan(device);
}

}  // namespace
}  // namespace ember
