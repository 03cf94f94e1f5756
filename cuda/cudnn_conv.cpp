// conv2d on CUDA through NVIDIA's cuDNN frontend graph API: forward (conv_fprop), input
// gradient (conv_dgrad) and weight gradient (conv_wgrad), one built graph per op, dtype,
// layout, geometry and setting, cached for the process; bfloat16 and float16 tensors with
// float32 compute (on float32 copies where cuDNN has no 16-bit plan). Bias is added and reduced
// with ember's own CUDA kernels. Only this file, cudnn_batch_norm.cpp and cudnn_plan.cpp include
// the frontend.
#include "cuda/cuda_internal.h"

#if EMBER_HAVE_CUDNN_FRONTEND

#include <cudnn_frontend.h>

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/logging.h"
#include "core/native.h"
#include "cuda/cudnn_internal.h"
#include "cuda/cudnn_plan.h"
#include "cuda/graph.h"

namespace ember::cuda_kernels {

namespace {

namespace fe = cudnn_frontend;

enum class ConvKind : int64_t { Fprop, Dgrad, Wgrad };

// Variant-pack uids: the two inputs and the output of the one conv node.
constexpr int64_t kUidA = 1, kUidB = 2, kUidOut = 3;

// One call: fprop x, w -> out; dgrad grad, w -> grad_x; wgrad grad, x -> grad_w.
struct ConvCall {
  ConvKind kind;
  const char* op;
  const char* names[3];
  const Tensor* tensors[3];  // a, b, out
  const ConvGeometry& g;

  // The op's layout: channels-last when any operand is (and is not also row-major).
  bool channels_last() const {
    for (const Tensor* t : tensors) {
      if (dense_format_of(*t) == MemoryFormat::ChannelsLast) return true;
    }
    return false;
  }

  // "x [2, 3, 8, 8] strides [...], ... (stride [1, 1], ...), float32" for messages.
  std::string describe() const {
    std::string s;
    for (int i = 0; i < 3; ++i) {
      s += detail::str_cat(i ? ", " : "", names[i], " ", tensors[i]->sizes(), " strides ", tensors[i]->strides());
    }
    return s + detail::str_cat(" (stride [", g.SH, ", ", g.SW, "], padding [", g.PH, ", ", g.PW, "], dilation [", g.DH,
                               ", ", g.DW, "], groups ", g.groups, "), ", dtype_name(tensors[2]->dtype()));
  }
};

void check(fe::error_t status, const ConvCall& call, const char* step) {
  EMBER_CHECK(status.is_good(), call.op, " on CUDA: cuDNN frontend ", step, " failed for ", call.describe(), ": ",
              status.get_message());
}

using cuda::detail::alignment_of;

struct ConvGraph {
  fe::graph::Graph graph;
  int64_t workspace = 0;  // of the chosen plan
  bool tuned = false;     // benchmark mode: autotuned on first use
  std::mutex mu;          // autotune reorders plans: it and execute take turns
};

// The graph of one call, planned for target (Note [cuDNN plans without a GPU] in cuda/cudnn_plan.h).
std::shared_ptr<ConvGraph> build_graph(const ConvCall& call, bool tf32, bool benchmark, bool deterministic,
                                       const cuda::detail::PlanTarget& target) {
  const DType dtype = call.tensors[2]->dtype();
  const auto io = dtype == kFloat64    ? fe::DataType_t::DOUBLE
                  : dtype == kBFloat16 ? fe::DataType_t::BFLOAT16
                  : dtype == kFloat16  ? fe::DataType_t::HALF
                                       : fe::DataType_t::FLOAT;
  // bfloat16 and float16 tensors compute and accumulate in float32 (Note [BFloat16] in core/bfloat16.h).
  const auto compute = dtype == kFloat64 ? fe::DataType_t::DOUBLE : fe::DataType_t::FLOAT;
  auto cg = std::make_shared<ConvGraph>();
  fe::graph::Graph& graph = cg->graph;
  graph.set_io_data_type(io).set_intermediate_data_type(compute).set_compute_data_type(compute);

  const bool nhwc = call.channels_last();
  auto attributes = [&](int i, int64_t uid) {
    const Tensor& t = *call.tensors[i];
    return fe::graph::Tensor_attributes()
        .set_name(call.names[i])
        .set_uid(uid)
        .set_data_type(io)
        .set_dim(t.sizes().vec())
        .set_stride(cuda::detail::cudnn_strides(t, nhwc))
        .set_alignment(alignment_of(t));
  };
  auto a = graph.tensor(attributes(0, kUidA));
  auto b = graph.tensor(attributes(1, kUidB));
  const std::vector<int64_t> padding{call.g.PH, call.g.PW}, stride{call.g.SH, call.g.SW},
      dilation{call.g.DH, call.g.DW};
  std::shared_ptr<fe::graph::Tensor_attributes> out;
  switch (call.kind) {
    case ConvKind::Fprop:
      out = graph.conv_fprop(a, b, fe::graph::Conv_fprop_attributes().set_name("conv2d_fprop").set_padding(padding)
                                       .set_stride(stride).set_dilation(dilation));
      break;
    case ConvKind::Dgrad:
      out = graph.conv_dgrad(a, b, fe::graph::Conv_dgrad_attributes().set_name("conv2d_dgrad").set_padding(padding)
                                       .set_stride(stride).set_dilation(dilation));
      break;
    case ConvKind::Wgrad:
      out = graph.conv_wgrad(a, b, fe::graph::Conv_wgrad_attributes().set_name("conv2d_wgrad").set_padding(padding)
                                       .set_stride(stride).set_dilation(dilation));
      break;
  }
  const fe::graph::Tensor_attributes out_attributes = attributes(2, kUidOut);
  out->set_output(true)
      .set_uid(kUidOut)
      .set_data_type(io)
      .set_dim(out_attributes.get_dim())
      .set_stride(out_attributes.get_stride())
      .set_alignment(out_attributes.get_alignment());

  const cuda::detail::PlanRules rules{
      .no_tensor_cores = dtype == kFloat32 && !tf32, .all_plans = benchmark, .deterministic = deterministic};
  const std::string failure = cuda::detail::plan_graph(graph, target, rules, cg->workspace);
  EMBER_CHECK(failure.empty(), call.op, " on CUDA: cuDNN frontend could not plan ", call.describe(), ": ", failure);
  return cg;
}

// The built graph for this call's op, dtype, sizes, strides, alignments, geometry,
// settings and device: built on first use and kept for the process. nullptr (also kept)
// when cuDNN has no engine for a bfloat16 or float16 case: the caller then computes it in float32.
std::shared_ptr<ConvGraph> graph_for(const ConvCall& call, bool tf32, bool benchmark, bool deterministic,
                                     cudnnHandle_t handle) {
  std::vector<int64_t> key{static_cast<int64_t>(call.kind), static_cast<int64_t>(call.tensors[2]->dtype()), tf32,
                           benchmark, deterministic, cuda::detail::current_device_index(), call.g.SH, call.g.SW,
                           call.g.PH, call.g.PW, call.g.DH, call.g.DW, call.g.groups};
  const bool nhwc = call.channels_last();
  for (const Tensor* t : call.tensors) {
    key.push_back(static_cast<int64_t>(t->sizes().size()));
    key.insert(key.end(), t->sizes().begin(), t->sizes().end());
    const std::vector<int64_t> strides = cuda::detail::cudnn_strides(*t, nhwc);
    key.insert(key.end(), strides.begin(), strides.end());
    key.push_back(alignment_of(*t));
  }
  static std::mutex mu;
  static auto* cache = new std::map<std::vector<int64_t>, std::shared_ptr<ConvGraph>>();  // never destroyed
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find(key);
  if (it != cache->end()) return it->second;
  // Building plans may allocate, compile and load kernels: not inside a capture.
  EMBER_CHECK(!cuda::is_current_stream_capturing(), call.op, " on CUDA: ", call.describe(),
              " is first seen inside a CUDA graph capture, but its cuDNN plan is built outside captures: run the "
              "step once eagerly before capturing (a warm-up step, as nn::GraphedStep does; Note [CUDA graph "
              "capture] in cuda/graph.h)");
  std::shared_ptr<ConvGraph> built;
  const DType dtype = call.tensors[2]->dtype();
  const bool narrow = is_reduced_float(dtype);
  try {
    built = build_graph(call, tf32, benchmark, deterministic, {handle, nullptr});
  } catch (const Error& e) {
    if (!narrow) throw;
    logging::debug("{} on CUDA: cuDNN has no {} plan for {} ({}); it runs in float32", call.op, dtype_name(dtype),
                   call.describe(), e.what());
  } catch (const std::exception& e) {  // the frontend's older builder classes throw
    if (!narrow) EMBER_FAIL(call.op, " on CUDA: cuDNN frontend failed for ", call.describe(), ": ", e.what());
    logging::debug("{} on CUDA: cuDNN has no {} plan for {} ({}); it runs in float32", call.op, dtype_name(dtype),
                   call.describe(), e.what());
  }
  return cache->emplace(std::move(key), std::move(built)).first->second;
}

// Runs the call; false, having done nothing, for a bfloat16 or float16 case cuDNN has no plan for.
bool try_conv(const ConvCall& call) {
  const Tensor& out = *call.tensors[2];
  const DType dtype = out.dtype();
  EMBER_CHECK(is_floating(dtype), call.op,
              " on CUDA: cuDNN convolution supports float32, float64, bfloat16 and float16, but got ",
              dtype_name(dtype), " (",
              call.describe(), ")");
  if (out.numel() == 0) return true;
  if (call.tensors[0]->numel() == 0 || call.tensors[1]->numel() == 0) {  // an empty sum
    fill(out, Scalar(0));
    return true;
  }
  const bool tf32 = dtype == kFloat32 && cudnn::allow_tf32();
  const bool benchmark = cudnn::benchmark();
  const bool deterministic = cuda::detail::deterministic_engines();
  cudnnHandle_t handle = cuda::detail::cudnn_handle();
  std::shared_ptr<ConvGraph> cg = graph_for(call, tf32, benchmark, deterministic, handle);
  if (cg == nullptr) return false;

  std::unordered_map<int64_t, void*> pack{{kUidA, call.tensors[0]->data_ptr()},
                                          {kUidB, call.tensors[1]->data_ptr()},
                                          {kUidOut, out.data_ptr()}};
  auto workspace = [&](int64_t bytes) { return bytes > 0 ? make_empty({bytes}, kUInt8, out.device()) : Tensor(); };
  auto pointer = [](const Tensor& t) { return t.defined() ? t.data_ptr() : nullptr; };
  std::lock_guard<std::mutex> lock(cg->mu);
  if (benchmark && !cg->tuned && !cuda::is_current_stream_capturing()) {  // autotuning synchronises: not in a capture
    // Times every built plan on the real buffers (out is written, then written again below).
    // The largest plan's workspace may not fit beside the model: then, as PyTorch skips
    // plans whose workspace it cannot allocate, the heuristics' first plan is kept untimed.
    Tensor space;
    try {
      space = workspace(cg->graph.get_autotune_workspace_size());
    } catch (const OutOfMemoryError&) {
      logging::warn("{} on CUDA: no memory to autotune {} ({} bytes of workspace); the heuristics' first plan runs",
                    call.op, call.describe(), cg->graph.get_autotune_workspace_size());
    }
    if (space.defined() || cg->graph.get_autotune_workspace_size() == 0) {
      check(cg->graph.autotune(handle, pack, pointer(space)), call, "autotune");
      check(cg->graph.get_workspace_size(cg->workspace), call, "get_workspace_size");
    }
    cg->tuned = true;
  }
  const Tensor space = workspace(cg->workspace);
  check(cg->graph.execute(handle, pack, pointer(space)), call, "execute");
  return true;
}

// Runs the call; a bfloat16 or float16 case without a cuDNN plan runs on float32 copies (widening
// is exact, and the float32 result is rounded once: what a 16-bit plan with float32
// accumulation computes, up to its order of summation).
void run_conv(const ConvCall& call) {
  if (try_conv(call)) return;
  const Tensor& out = *call.tensors[2];
  const Tensor a = native::to_dtype(*call.tensors[0], kFloat32), b = native::to_dtype(*call.tensors[1], kFloat32);
  const Tensor wide = make_empty(out.sizes(), kFloat32, out.device(), dense_format_of(out));
  const bool done = try_conv({call.kind, call.op, {call.names[0], call.names[1], call.names[2]}, {&a, &b, &wide}, call.g});
  EMBER_INTERNAL_ASSERT(done, "a float32 convolution always has a plan or an error");
  copy(wide, out);
}

}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const ConvGeometry& g, const Tensor& out) {
  run_conv({ConvKind::Fprop, "conv2d forward", {"x", "w", "out"}, {&x, &w, &out}, g});
  if (b.defined() && out.numel() > 0) {
    const Tensor bias = native::expand(native::view(b, {1, g.O, 1, 1}), out.sizes());
    binary(BinaryOp::Add, out, bias, out, Scalar(1));
  }
}

void conv2d_backward(const Tensor& grad, const Tensor& x, const Tensor& w, const ConvGeometry& g,
                     const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b) {
  if (grad_x.defined()) {
    run_conv({ConvKind::Dgrad, "conv2d backward (input)", {"grad", "w", "grad_x"}, {&grad, &w, &grad_x}, g});
  }
  if (grad_w.defined()) {
    run_conv({ConvKind::Wgrad, "conv2d backward (weight)", {"grad", "x", "grad_w"}, {&grad, &x, &grad_w}, g});
  }
  if (grad_b.defined() && grad_b.numel() > 0) {  // sum of grad over N, OH, OW
    if (grad.numel() == 0) {
      fill(grad_b, Scalar(0));
    } else if (is_reduced_float(grad.dtype())) {  // the reduce kernel has no 16-bit path: native::sum widens
      copy(native::sum(grad, {0, 2, 3}, false), grad_b);
    } else {
      reduce(ReduceOp::Sum, grad, native::view(grad_b, {1, g.O, 1, 1}));
    }
  }
}

}  // namespace ember::cuda_kernels

namespace ember::cuda::detail {

std::string check_conv2d_plan(const CudnnDevice& device, ConvPlanKind kind, const Tensor& a, const Tensor& b,
                              const Tensor& out, const ConvGeometry& g, bool tf32) {
  using cuda_kernels::ConvKind;
  static constexpr const char* kNames[3][3] = {{"x", "w", "out"}, {"grad", "w", "grad_x"}, {"grad", "x", "grad_w"}};
  const int k = static_cast<int>(kind);
  const cuda_kernels::ConvCall call{static_cast<ConvKind>(k), "conv2d", {kNames[k][0], kNames[k][1], kNames[k][2]},
                                    {&a, &b, &out}, g};
  try {
    cuda_kernels::build_graph(call, tf32, false, cuda::detail::deterministic_engines(), {nullptr, &device});
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace ember::cuda::detail

#else  // built without the cuDNN frontend (or without cuDNN)

namespace ember::cuda_kernels {

namespace {
[[noreturn]] void no_frontend(const char* op) {
  EMBER_FAIL(op, " on CUDA needs cuDNN and NVIDIA's cuDNN frontend headers, but ember was built without them: "
                 "run `bash tools/install-deps.sh` (it unpacks the frontend into ~/.cache/ember; or point "
                 "-DEMBER_CUDNN_FRONTEND_DIR at its include/), then reconfigure and rebuild");
}
}  // namespace

void conv2d_forward(const Tensor&, const Tensor&, const Tensor&, const ConvGeometry&, const Tensor&) {
  no_frontend("conv2d forward");
}

void conv2d_backward(const Tensor&, const Tensor&, const Tensor&, const ConvGeometry&, const Tensor&, const Tensor&,
                     const Tensor&) {
  no_frontend("conv2d backward");
}

}  // namespace ember::cuda_kernels

#endif  // EMBER_HAVE_CUDNN_FRONTEND
