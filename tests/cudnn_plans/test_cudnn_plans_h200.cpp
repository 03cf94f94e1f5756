// cuDNN plans for an H200, built here without a GPU (Note [cuDNN plans without a GPU] in
// cuda/cudnn_plan.h): every convolution graph ember builds for the kernel checks' and the
// small CNN's shapes, in each layout and dtype, has an engine, and so do the small CNN's
// batch-norm training graphs. No `cuda` label: they need no GPU, only a CUDA build with
// cuDNN 9.11 or later and the frontend (elsewhere they skip, saying why).
#include <gtest/gtest.h>

#include <ember/ember.h>

#include <string>

#include <dlfcn.h>

#include "cuda/cudnn.h"
#include "support/cudnn_plan_cases.h"

namespace ember {
namespace {

using namespace plan_cases;

// cuDNN offers runtime-compiled engines only where libcuda.so.1 loads: the driver where
// one is installed, else CUDA's stub (tests/CMakeLists.txt gives its path), loaded before
// any test so that cuDNN finds it. Never unloaded.
bool load_the_driver_or_its_stub() {
  if (dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL) != nullptr) return true;
#ifdef EMBER_CUDA_DRIVER_STUB
  if (dlopen(EMBER_CUDA_DRIVER_STUB, RTLD_NOW | RTLD_GLOBAL) != nullptr) return true;
#endif
  return false;
}
const bool driver_loaded = load_the_driver_or_its_stub();

// An H200 (SXM, 141 GB) as cuDNN 9.19 reads a device description: written from the H200's
// CUDA device attributes (compute capability 9.0, 132 SMs, 227 KiB of opt-in shared memory
// per block, 50 MiB of L2), since no GPU was at hand to serialise one; on a GPU host
// CudnnPlansOnThisGpu (tests/cuda) prints the real one.
const CudnnDevice& h200() {
  static const CudnnDevice device{
      R"({"maxGridSize":[2147483647,65535,65535],"maxBlockSize":[1024,1024,64],"regsPerBlock":65536,)"
      R"("multiProcessorCount":132,"warpSize":32,"maxSharedMemoryPerBlock":49152,)"
      R"("maxSharedMemoryPerBlockOptin":232448,"reservedSharedMemoryPerBlock":1024,"maxRegistersPerSM":65536,)"
      R"("maxCtasPerSM":32,"maxThreadsPerBlock":1024,"maxThreadsPerSM":2048,"pciDeviceId":0,"isTccDriver":0,)"
      R"("supportCoopLaunch":1,"smClockRateKHz":1980000,"memClockRateKHz":3201000,"l2CacheSize":52428800,)"
      R"("deviceName":"NVIDIA H200","totalGlobalMem":150754820096,"cudaDeviceId":0,"deviceVer":900,)"
      R"("driverVer":13000})",
      90};
  return device;
}

// Why deviceless planning cannot run here ("" when it can): it needs cuDNN 9.11 or later
// and a build with the frontend (cuda/stub/cudnn_plan_stub.cpp says so otherwise).
std::string deviceless_unavailable() {
  if (cudnn::version() == 0) return "ember was built without cuDNN";
  if (cudnn::version() < 91100) return "cuDNN " + std::to_string(cudnn::version()) + " plans only with a GPU";
  const std::string why = cuda::detail::check_conv2d_plan(h200(), ConvPlanKind::Fprop, operand({1, 1, 3, 3}),
                                                          operand({1, 1, 3, 3}), operand({1, 1, 1, 1}),
                                                          geometry({1, 1, 3, 3}, {1, 1, 3, 3}, 1, 0, 1, 1), true);
  return why.find("without cuDNN's frontend") != std::string::npos ? why : "";
}
#define REQUIRE_DEVICELESS_CUDNN() \
  if (const std::string why = deviceless_unavailable(); !why.empty()) GTEST_SKIP() << why

TEST(CudnnPlansForAnH200, EveryConvolutionHasAPlan) {
  REQUIRE_DEVICELESS_CUDNN();
  expect_every_convolution_plans(h200());
}

// Under cudnn::set_deterministic(true) (or use_deterministic_algorithms(true)) no engine with
// cuDNN's NONDETERMINISTIC note is chosen (Note [Deterministic algorithms]): every case must
// still plan, since ember has no other convolution on CUDA.
TEST(CudnnPlansForAnH200, EveryConvolutionHasADeterministicPlan) {
  REQUIRE_DEVICELESS_CUDNN();
  struct Deterministic {
    Deterministic() { cudnn::set_deterministic(true); }
    ~Deterministic() { cudnn::set_deterministic(false); }
  } deterministic;
  ASSERT_TRUE(cuda::detail::deterministic_engines());
  expect_every_convolution_plans(h200());
}

TEST(CudnnPlansForAnH200, TheSmallCnnsBatchNormTrainingPlansOrOverrunsTheWorkspaceCap) {
  REQUIRE_DEVICELESS_CUDNN();
  // Batch norm's engines are runtime-compiled: offered only where libcuda.so.1 loaded.
  if (!driver_loaded) GTEST_SKIP() << "neither libcuda.so.1 nor CUDA's stub loads here";
  expect_the_small_cnn_batch_norms_plan(h200());
}

TEST(CudnnPlansForAnH200, AFailureNamesTheStepAndTheOperands) {
  REQUIRE_DEVICELESS_CUDNN();
  // An output of the wrong size is no convolution: the frontend refuses it, and the message says where.
  const ConvGeometry g = geometry({2, 3, 5, 5}, {4, 3, 3, 3}, 1, 1, 1, 1);
  const std::string why = cuda::detail::check_conv2d_plan(h200(), ConvPlanKind::Fprop, operand({2, 3, 5, 5}),
                                                          operand({4, 3, 3, 3}), operand({2, 4, 4, 4}), g, true);
  EXPECT_NE(why.find("conv2d on CUDA: cuDNN frontend could not plan x [2, 3, 5, 5]"), std::string::npos) << why;
  EXPECT_NE(why.find("out [2, 4, 4, 4]"), std::string::npos) << why;
  EXPECT_NE(why.find("build_operation_graph failed: "), std::string::npos) << why;
  // A description cuDNN cannot read is named as such.
  const CudnnDevice broken{R"({"multiProcessorCount":132})", 90};
  const std::string unread = cuda::detail::check_conv2d_plan(broken, ConvPlanKind::Fprop, operand({2, 3, 5, 5}),
                                                             operand({4, 3, 3, 3}), operand({2, 4, 5, 5}), g, true);
  EXPECT_NE(unread.find("reading the device description failed"), std::string::npos) << unread;
}

}  // namespace
}  // namespace ember
