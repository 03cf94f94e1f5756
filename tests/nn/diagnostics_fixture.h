// Shared by the diagnostics tests: every check back to Warn with zero counts and the
// default threshold, before and after each test, and a few small models.
#pragma once
#include <gtest/gtest.h>

#include <ember/ember.h>

#include "nn/functional/loss.h"
#include "nn/layers.h"
#include "nn/optim/sgd.h"

namespace ember::testing_diagnostics {

using ModuleList = std::vector<std::shared_ptr<nn::Module>>;

class Diagnostics : public ::testing::Test {
 protected:
  void SetUp() override { restore(); }
  void TearDown() override { restore(); }
  static void restore() {
    diagnostics::set_level_all(diagnostics::Level::Warn);
    diagnostics::set_unused_graph_threshold(int64_t{1} << 20);
    diagnostics::reset_counts();
  }
  static int64_t count(const std::string& name) { return diagnostics::counts().at(name); }
};

// Linear -> BatchNorm1d -> ReLU -> Linear: one module that depends on the training flag ("1").
inline std::shared_ptr<nn::Sequential> bn_net() {
  return std::make_shared<nn::Sequential>(ModuleList{std::make_shared<nn::Linear>(4, 8),
                                                     std::make_shared<nn::BatchNorm1d>(8),
                                                     std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(8, 2)});
}

// Linear -> ReLU -> Dropout(0.5) -> Linear: the Dropout ("2") has no parameters.
inline std::shared_ptr<nn::Sequential> dropout_net() {
  return std::make_shared<nn::Sequential>(ModuleList{std::make_shared<nn::Linear>(4, 8), std::make_shared<nn::ReLU>(),
                                                     std::make_shared<nn::Dropout>(0.5),
                                                     std::make_shared<nn::Linear>(8, 2)});
}

inline Tensor batch(int64_t n = 16) { return randn({n, 4}); }

inline Tensor loss_of(nn::Module& net, const Tensor& x) { return net(x).pow(2.0).mean(); }

}  // namespace ember::testing_diagnostics
