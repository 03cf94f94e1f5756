// tools/mem_plot: curves of a real forward + backward recorded by the profiler: the
// shared axis (modules forward, then backward), the peak equal to the allocator's, the
// saved bytes equal to the ledger's after the forward, and an inference mode without
// backward; output_check's refusals.
#include <gtest/gtest.h>

#include <algorithm>

#include "autograd/saved_variable.h"
#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/memory.h"
#include "nn/conv.h"
#include "nn/functional/loss.h"
#include "nn/layers.h"
#include "support/temp_dir.h"
#include "tools/mem_plot.h"
#include "tools/output_check.h"

namespace ember::tools {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

TEST(MemPlot, CurvesFollowTheAllocatorAndTheLedger) {
  auto net = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 8, 3, nn::Conv2dOptions{.padding = 1}), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(8 * 16 * 16, 10)});
  const Tensor x = randn({32, 1, 16, 16});
  const Tensor y = zeros({32}, TensorOptions(kInt64));
  const Device cpu = Device::cpu();
  std::vector<PlotMode> modes;
  int64_t peak_grad = 0, saved_grad = 0;
  profiler::start();
  for (const bool grad : {true, false}) {
    const std::string name = grad ? "train_grad" : "eval_inference_mode";
    const int64_t base = memory::allocated(cpu);
    const int64_t saved_base = autograd::saved_tensor_stats().current_bytes;
    memory::reset_peak(cpu);
    modes.push_back({name, "phase " + name, base, saved_base});
    profiler::RecordScope phase;
    phase.begin(profiler::Category::Phase, "phase " + name);
    if (grad) {
      Tensor loss = nn::functional::cross_entropy((*net)(x), y);
      saved_grad = autograd::saved_tensor_stats().current_bytes - saved_base;
      loss.backward();
      peak_grad = memory::max_allocated(cpu) - base;
    } else {
      InferenceModeGuard inference;
      nn::functional::cross_entropy((*net)(x), y);
    }
  }
  profiler::stop();
  PlotAxis axis;
  const auto curves = mem_curves(profiler::events(), cpu, modes, axis);
  ASSERT_EQ(curves.size(), 2u);
  const std::vector<std::string> forward{"0 Conv2d", "1 ReLU", "2 Flatten", "3 Linear", "loss"};
  ASSERT_GT(axis.labels.size(), forward.size());
  for (size_t i = 0; i < forward.size(); ++i) {
    EXPECT_EQ(axis.labels[i], forward[i]);
    EXPECT_FALSE(axis.backward[i]);
  }
  EXPECT_TRUE(axis.backward[forward.size()]);
  EXPECT_EQ(axis.labels[forward.size()], "loss");  // backward starts at the loss
  EXPECT_EQ(axis.labels.back(), "0 Conv2d");       // and ends at the first layer
  EXPECT_TRUE(curves[0].has_backward);
  EXPECT_FALSE(curves[1].has_backward);
  EXPECT_DOUBLE_EQ(curves[0].peak_mib, static_cast<double>(peak_grad) / kMiB);
  EXPECT_DOUBLE_EQ(curves[0].saved_mib, static_cast<double>(saved_grad) / kMiB);
  EXPECT_DOUBLE_EQ(curves[0].forward_end_x, static_cast<double>(forward.size()));
  EXPECT_EQ(curves[1].saved_mib, 0);
  EXPECT_GT(curves[1].peak_mib, 0);
  EXPECT_LT(curves[1].peak_mib, curves[0].peak_mib);
  const auto& pts = curves[0].allocated;
  EXPECT_TRUE(std::is_sorted(pts.begin(), pts.end(), [](auto a, auto b) { return a.first < b.first; }));
  const std::string svg = mem_plot_svg(curves, axis, "test net, batch 32, cpu");
  EXPECT_NE(svg.find("train_grad peak"), std::string::npos);
  EXPECT_NE(svg.find("train_grad saved"), std::string::npos);
  EXPECT_EQ(svg.find("eval_inference_mode saved"), std::string::npos);
  // --amp / --checkpoint variants: a colour each, not one grey for all.
  auto variants = curves;
  variants[0].name = "train_grad+amp";
  variants[1].name = "train_grad+checkpoint";
  const std::string variant_svg = mem_plot_svg(variants, axis, "variants");
  EXPECT_NE(variant_svg.find("#9467bd"), std::string::npos);
  EXPECT_NE(variant_svg.find("#8c564b"), std::string::npos);
  EXPECT_EQ(variant_svg.find("#555555"), std::string::npos);
  EXPECT_THROW(mem_curves(profiler::events(), cpu, {{"x", "no such phase", 0, 0}}, axis), Error);
}

TEST(OutputCheck, RefusesFoldersMissingParentsAndNonRegularFiles) {
  testing::TempDir dir;
  EXPECT_NO_THROW(check_output_path(dir.file("trace.json"), "--trace"));
  EXPECT_THROW(check_output_path(dir.str(), "--trace"), Error);
  EXPECT_THROW(check_output_path(dir.str() + "/", "--trace"), Error);
  EXPECT_THROW(check_output_path(dir.file("missing/trace.json"), "--trace"), Error);
  EXPECT_THROW(check_output_path("", "--plot"), Error);
  EXPECT_THROW(check_output_path("/dev/null", "--plot"), Error);
  try {
    check_output_path(dir.str(), "--plot");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--plot: cannot write"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ember::tools
