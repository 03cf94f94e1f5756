// cuDNN plan checks of a build without the cuDNN frontend (no CUDA, or no frontend
// headers): nothing to plan, and every check says why. Compiled in every build; empty
// where cuda/cudnn_plan.cpp and the frontend files have the real ones.
#include "cuda/cudnn_plan.h"

#if !EMBER_HAVE_CUDNN_FRONTEND

#include "core/error.h"

namespace ember::cuda::detail {

namespace {
constexpr const char* kNoFrontend = "ember was built without cuDNN's frontend: no cuDNN graphs";
}

std::string plan_graph(cudnn_frontend::graph::Graph&, const PlanTarget&, const PlanRules&, int64_t&) {
  return kNoFrontend;
}
std::string describe_current_device() { EMBER_FAIL("describing a GPU for cuDNN: ", kNoFrontend); }
std::string check_conv2d_plan(const CudnnDevice&, ConvPlanKind, const Tensor&, const Tensor&, const Tensor&,
                              const ConvGeometry&, bool) {
  return kNoFrontend;
}
std::string check_batch_norm_train_plan(const CudnnDevice&, const Tensor&, const Tensor&, const Tensor&,
                                        const Tensor&, const Tensor&, const Tensor&) {
  return kNoFrontend;
}
std::string check_batch_norm_eval_plan(const CudnnDevice&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                       const Tensor&, const Tensor&) {
  return kNoFrontend;
}
std::string check_batch_norm_backward_plan(const CudnnDevice&, const Tensor&, const Tensor&, const Tensor&,
                                           const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  return kNoFrontend;
}

}  // namespace ember::cuda::detail

#endif  // !EMBER_HAVE_CUDNN_FRONTEND
