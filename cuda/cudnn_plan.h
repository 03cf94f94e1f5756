// How ember's cuDNN frontend graphs (convolution, batch norm) are planned: for the current
// GPU, or for a GPU described in cuDNN's JSON without one, so that a machine with no GPU
// can check that cuDNN has engines for every graph ember builds. No frontend headers here:
// cuda/cudnn_plan.cpp, cudnn_conv.cpp and cudnn_batch_norm.cpp define it.
//
// Note [cuDNN plans without a GPU]
// cuDNN plans "devicelessly" (ahead-of-time compilation; the descriptor is in cuDNN 9.8, and
// NVIDIA's deviceless sample asks for 9.11, as ember's tests do): a DeviceProperties
// descriptor made from a JSON description of a GPU (CUDNN_ATTR_DEVICEPROP_JSON_REPRESENTATION)
// stands in for the handle, and heuristics, support checks and plan building run for that
// GPU with no device here. check_*_plan below build exactly the graphs the kernels build
// for the same operands (same attributes, strides, alignment, data types, engine filters)
// through the same plan_graph, so a CPU test (tests/cudnn_plans/) learns in every CI run
// with CUDA and cuDNN >= 9.11 which cases cuDNN takes on an H200 and which fall back.
// Plans of precompiled engines (convolution's) are built in full; those of runtime-compiled
// engines (batch norm's) compile but cannot load without a GPU, and cuDNN offers them only
// where libcuda.so.1 loads (the test binary loads CUDA's stub where no driver is installed):
// such a graph is "supported, not built here" (kSupportedNotBuilt). The H200 description
// was written from its device attributes; describe_current_device() gives the real one on
// a GPU host (tests/cuda/test_cudnn_plans_gpu.cpp prints it; gpu-check keeps it). Nothing is
// executed: numbers and speed still need a GPU.
#pragma once
#include <limits>
#include <string>

#include "core/nn_geometry.h"
#include "core/tensor.h"

typedef struct cudnnContext* cudnnHandle_t;
namespace cudnn_frontend::graph {
class Graph;
}

namespace ember::cuda::detail {

// A GPU as cuDNN's planner sees it: its properties (cuDNN's JSON) and SM version (90 for Hopper).
struct CudnnDevice {
  std::string properties_json;
  int sm_version = 0;
};

// Where a graph is planned: the GPU of `handle`, or the described `device` (no GPU needed).
struct PlanTarget {
  cudnnHandle_t handle = nullptr;
  const CudnnDevice* device = nullptr;
};

// Whether cuDNN graphs are planned with deterministic engines only: cudnn::deterministic()
// or use_deterministic_algorithms(true) (Note [Deterministic algorithms] in core/deterministic.h);
// part of every built-graph cache key. Defined in cuda/cudnn_settings.cpp.
bool deterministic_engines();

// Which engines a graph may be planned with.
struct PlanRules {
  bool no_tensor_cores = false;  // float32 without TF32
  bool all_plans = false;        // every candidate plan (for autotuning), else the heuristics' first that builds
  bool deterministic = false;    // no NONDETERMINISTIC engine (deterministic_engines())
  int64_t max_workspace = std::numeric_limits<int64_t>::max();  // bytes
};

// Validates `graph` and builds its plan for target by `rules`: heuristics (modes A, then
// fallback), never engines that down-convert inputs. Sets `workspace` (not for a described
// device); returns "" or "<step> failed: <cuDNN's message>" (kSupportedNotBuilt and the
// message when only loading failed).
std::string plan_graph(cudnn_frontend::graph::Graph& graph, const PlanTarget& target, const PlanRules& rules,
                       int64_t& workspace);

// The current GPU described in cuDNN's JSON (an ember::Error where cuDNN cannot: no GPU,
// a cuDNN without device descriptions, or a build without the frontend).
std::string describe_current_device();

// What a plan check returns for a graph cuDNN supports on the described device but whose
// runtime-compiled kernels cannot be loaded without it, before the build step's message.
inline const std::string kSupportedNotBuilt = "supported, not built here: ";

// The plan checks: "" when cuDNN builds the plan that the CUDA kernel would run for these
// operands (sizes, strides, dtype and alignment read from them: CPU tensors will do) on
// `device` under the current deterministic_engines() setting, else why not (containing
// kSupportedNotBuilt when only loading failed). A build without the cuDNN frontend says so.
enum class ConvPlanKind { Fprop, Dgrad, Wgrad };
// Fprop: a = x, b = w, out; Dgrad: a = grad, b = w, out = grad_x; Wgrad: a = grad, b = x, out = grad_w.
std::string check_conv2d_plan(const CudnnDevice& device, ConvPlanKind kind, const Tensor& a, const Tensor& b,
                              const Tensor& out, const ConvGeometry& g, bool tf32);
// Batch norm's three graphs, float32, per-channel operands [C] (scale and bias always given).
std::string check_batch_norm_train_plan(const CudnnDevice& device, const Tensor& x, const Tensor& scale,
                                        const Tensor& bias, const Tensor& y, const Tensor& mean, const Tensor& invstd);
std::string check_batch_norm_eval_plan(const CudnnDevice& device, const Tensor& x, const Tensor& mean,
                                       const Tensor& invstd, const Tensor& scale, const Tensor& bias, const Tensor& y);
std::string check_batch_norm_backward_plan(const CudnnDevice& device, const Tensor& grad, const Tensor& x,
                                           const Tensor& scale, const Tensor& mean, const Tensor& invstd,
                                           const Tensor& grad_x, const Tensor& grad_scale, const Tensor& grad_bias);

}  // namespace ember::cuda::detail
