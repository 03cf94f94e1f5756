// nn::GraphedStep's argument checks, on the CPU (Note [Graphed steps]); the capture
// itself is tested in tests/cuda/test_graphed_step.cpp.
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "support/helpers.h"

namespace ember {
namespace {

TEST(GraphedStep, NeedsAWarmUpStep) {
  EXPECT_EMBER_ERROR(nn::GraphedStep([](const std::vector<Tensor>&) {}, 0, "the step"),
                     "the step: expected at least 1 warm-up step before the capture, but got 0");
}

TEST(GraphedStep, NeedsCudaInputs) {
  int calls = 0;
  nn::GraphedStep step([&](const std::vector<Tensor>&) { ++calls; }, 1, "the step");
  EXPECT_EMBER_ERROR(step({ones({2})}), "the step: expected CUDA input tensors, but got one on cpu");
  EXPECT_EMBER_ERROR(step({}), "the step: expected at least one input tensor, but got none");
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace ember
