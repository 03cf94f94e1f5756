// Small parity points of the less common layers: CircularPad's input-rank message, a padding
// tuple shorter than the layer's dims, and Upsample()'s repr without a size, as torch.nn's.
#include <ember/ember.h>
#include <gtest/gtest.h>

#include "support/helpers.h"

namespace ember::nn {
namespace {

using testing::error_of;

TEST(LayerEdgesPyTorch, CircularPadWantsItsRanksAndUpsampleReprSaysNone) {
  CircularPad2d pad(1);
  EXPECT_EQ(pad(zeros({1, 1, 2, 2})).sizes(), (Dims{1, 1, 4, 4}));
  EXPECT_EQ(error_of([&] { pad(zeros({1, 1, 1, 2, 2})); }), "expected 3D or 4D input (got 5D input)");
  EXPECT_EQ(ZeroPad3d({1, 2})(zeros({1, 2, 2, 2})).sizes(), (Dims{1, 2, 2, 5}));  // the last dim only
  EXPECT_EQ(Upsample().repr(), "Upsample(size=None, mode='nearest')");
  EXPECT_EQ(Upsample({}, 2.0).repr(), "Upsample(scale_factor=2.0, mode='nearest')");
}

}  // namespace
}  // namespace ember::nn
