// Planning of ember's cuDNN frontend graphs for a GPU or a described one (Note [cuDNN plans
// without a GPU] in cuda/cudnn_plan.h), and the current GPU's description. The third and
// last translation unit that includes the frontend (with cudnn_conv.cpp, cudnn_batch_norm.cpp).
#include "cuda/cudnn_plan.h"

#if EMBER_HAVE_CUDNN_FRONTEND

#include "cuda/cuda_internal.h"

#include <cudnn_frontend.h>

#include <memory>
#include <vector>

#include "cuda/cudnn_internal.h"

namespace ember::cuda::detail {

namespace fe = cudnn_frontend;

namespace {

std::string failed(const char* step, fe::error_t status) {
  return ::ember::detail::str_cat(step, " failed: ", status.get_message());
}

// For a described device: the first plan that builds, in the heuristics' order (as
// build_plans does), "" then. A runtime-compiled engine's plan compiles but cannot load
// without a GPU (the driver, or CUDA's stub, answers that there is none): the graph is then
// supported but not built here, and the search stops (each further try compiles anew).
std::string build_first_plan(fe::graph::Graph& graph) {
  std::string failures;
  for (int64_t i = 0; i < graph.get_execution_plan_count(); ++i) {
    fe::error_t status = graph.build_plan_at_index(i);
    if (status.is_good()) return "";
    const std::string why = status.get_message();
    if (why.find("cuLibraryLoadData") != std::string::npos || why.find("FAILED_CUDA_DRIVER") != std::string::npos) {
      return kSupportedNotBuilt + "plan " + std::to_string(i) + ": " + why;
    }
    failures += "\nplan " + std::to_string(i) + ": " + why;
  }
  return "building a plan failed: none of " + std::to_string(graph.get_execution_plan_count()) + " built" + failures;
}

}  // namespace

std::string plan_graph(fe::graph::Graph& graph, const PlanTarget& target, const PlanRules& rules, int64_t& workspace) {
  if (auto status = graph.validate(); !status.is_good()) return failed("validate", status);
  if (target.device != nullptr) {
    auto properties = std::make_shared<fe::DeviceProperties>();
    const std::string& json = target.device->properties_json;
    if (auto status = properties->deserialize(std::vector<uint8_t>(json.begin(), json.end())); !status.is_good()) {
      return failed("reading the device description", status);
    }
    graph.set_device_properties(std::move(properties)).set_sm_version(target.device->sm_version);
    if (auto status = graph.build_operation_graph(); !status.is_good()) return failed("build_operation_graph", status);
  } else if (auto status = graph.build_operation_graph(target.handle); !status.is_good()) {
    return failed("build_operation_graph", status);
  }
  if (auto status = graph.create_execution_plans({fe::HeurMode_t::A, fe::HeurMode_t::FALLBACK}); !status.is_good()) {
    return failed("create_execution_plans", status);
  }
  // As PyTorch: never engines that compute in a narrower type than the inputs, and without
  // TF32 no tensor-core engines for float32 (they would use TF32). Unlike PyTorch's default,
  // no engine that reduces 16-bit inputs in 16 bits either (Note [BFloat16]: fp32 accumulation).
  graph.deselect_numeric_notes(
      {fe::NumericalNote_t::DOWN_CONVERT_INPUTS, fe::NumericalNote_t::REDUCED_PRECISION_REDUCTION});
  if (rules.no_tensor_cores) graph.deselect_numeric_notes({fe::NumericalNote_t::TENSOR_CORE});
  if (rules.deterministic) graph.deselect_numeric_notes({fe::NumericalNote_t::NONDETERMINISTIC});
  if (rules.max_workspace < std::numeric_limits<int64_t>::max()) {
    graph.deselect_workspace_greater_than(rules.max_workspace);
  }
  if (auto status = graph.check_support(); !status.is_good()) {
    // Say which rule may have taken the last engines away.
    return failed("check_support", status) +
           (rules.deterministic ? " (deterministic engines only: cudnn::set_deterministic(true) or "
                                  "use_deterministic_algorithms(true))"
                                : "");
  }
  if (target.device != nullptr) return build_first_plan(graph);
  const auto policy = rules.all_plans ? fe::BuildPlanPolicy_t::ALL : fe::BuildPlanPolicy_t::HEURISTICS_CHOICE;
  if (auto status = graph.build_plans(policy); !status.is_good()) return failed("build_plans", status);
  if (auto status = graph.get_workspace_size(workspace); !status.is_good()) {
    return failed("get_workspace_size", status);
  }
  return "";
}

std::string describe_current_device() {
  auto properties = std::make_shared<fe::DeviceProperties>();
  fe::error_t built = properties->set_device_id(current_device_index()).build();
  EMBER_CHECK(built.is_good(), "describing cuda:", current_device_index(), " for cuDNN failed: ", built.get_message());
  std::vector<uint8_t> bytes;
  fe::error_t serialized = properties->serialize(bytes);
  EMBER_CHECK(serialized.is_good(), "describing cuda:", current_device_index(),
              " for cuDNN failed: ", serialized.get_message());
  std::string json(bytes.begin(), bytes.end());
  while (!json.empty() && json.back() == '\0') json.pop_back();  // a C string's terminator
  return json;
}

}  // namespace ember::cuda::detail

#endif  // EMBER_HAVE_CUDNN_FRONTEND (cuda/stub/cudnn_plan_stub.cpp otherwise)
