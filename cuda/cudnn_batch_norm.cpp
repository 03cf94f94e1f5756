// Batch norm on CUDA through NVIDIA's cuDNN frontend graphs (batchnorm, batchnorm_inference,
// batchnorm_backward), one graph per op, operand layout (NCHW or channels-last) and device,
// cached for the process.
// The rule: cuDNN for float32 4-D input when cuDNN accepts the graph within the workspace
// cap (Note [Batch norm's cuDNN workspace]), except eval in place and backward in place or in
// eval mode; everything else, float64 and 2-D/3-D input included, runs batch_norm.cu.
#include "cuda/cuda_internal.h"

#if EMBER_HAVE_CUDNN_FRONTEND

#include <cudnn_frontend.h>

#include <array>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/logging.h"
#include "core/native.h"
#include "cuda/cudnn_internal.h"
#include "cuda/cudnn_plan.h"
#include "cuda/graph.h"

namespace ember::cuda_kernels {

namespace {

namespace fe = cudnn_frontend;

// Training forwards leave the running statistics to update_running_stats (batch_norm.cu):
// cuDNN's graph API does not say whether its running-variance update is unbiased, and
// ember's (as PyTorch's) is; one small kernel either way.
enum class BnOp : int64_t { Train, Eval, Backward };
constexpr const char* kOpNames[] = {"batch_norm", "batch_norm (eval)", "batch_norm backward"};

// Variant-pack uids. The scalar kEps is a float passed by value with each execute, so a
// graph serves every eps.
enum Uid : int64_t { kX = 1, kY, kScale, kBias, kMean, kInvStd, kDy, kDx, kDscale, kDbias, kEps };
constexpr const char* kNames[] = {"",   "x",  "y",      "scale", "bias",   "mean", "inv_variance",
                                  "dy", "dx", "dscale", "dbias", "epsilon"};

// One call: its op and its tensor operands by uid (x always).
struct BnCall {
  BnOp op;
  std::array<const Tensor*, kEps> operands{};
  bool deterministic = cuda::detail::deterministic_engines();  // the setting when the call was made

  BnCall& bind(Uid uid, const Tensor& t) {
    operands[uid] = &t;
    return *this;
  }
  const Tensor& x() const { return *operands[kX]; }
  bool channels_last() const { return dense_format_of(x()) == MemoryFormat::ChannelsLast; }  // the op's layout
  const char* name() const { return kOpNames[static_cast<int>(op)]; }
  std::string describe() const {
    return detail::str_cat("x ", x().sizes(), " strides ", x().strides(), ", ", dtype_name(x().dtype()));
  }
};

// The calls of the three graphs, as the kernels below and the plan checks make them (the
// tensors must outlive the call).
BnCall train_call(const Tensor& x, const Tensor& y, const Tensor& scale, const Tensor& bias, const Tensor& mean,
                  const Tensor& invstd) {
  BnCall call{BnOp::Train};
  call.bind(kX, x).bind(kY, y).bind(kScale, scale).bind(kBias, bias).bind(kMean, mean).bind(kInvStd, invstd);
  return call;
}
BnCall eval_call(const Tensor& x, const Tensor& y, const Tensor& mean, const Tensor& invstd, const Tensor& scale,
                 const Tensor& bias) {
  BnCall call{BnOp::Eval};
  call.bind(kX, x).bind(kY, y).bind(kMean, mean).bind(kInvStd, invstd).bind(kScale, scale).bind(kBias, bias);
  return call;
}
BnCall backward_call(const Tensor& grad, const Tensor& x, const Tensor& scale, const Tensor& mean, const Tensor& invstd,
                     const Tensor& dx, const Tensor& dscale, const Tensor& dbias) {
  BnCall call{BnOp::Backward};
  call.bind(kDy, grad)
      .bind(kX, x)
      .bind(kScale, scale)
      .bind(kMean, mean)
      .bind(kInvStd, invstd)
      .bind(kDx, dx)
      .bind(kDscale, dscale)
      .bind(kDbias, dbias);
  return call;
}

using cuda::detail::alignment_of;

// x-shaped operands with their real sizes and strides; per-channel [C] ones as [1, C, 1, 1].
fe::graph::Tensor_attributes attributes(const BnCall& call, Uid uid) {
  const Tensor& t = *call.operands[uid];
  const int64_t c = t.numel();
  const bool channel = t.dim() == 1;
  return fe::graph::Tensor_attributes()
      .set_name(kNames[uid])
      .set_uid(uid)
      .set_data_type(fe::DataType_t::FLOAT)
      .set_dim(channel ? std::vector<int64_t>{1, c, 1, 1} : t.sizes().vec())
      .set_stride(channel ? std::vector<int64_t>{c, 1, c, c} : cuda::detail::cudnn_strides(t, call.channels_last()))
      .set_alignment(alignment_of(t));
}

struct BnGraph {
  fe::graph::Graph graph;
  int64_t workspace = 0;
};

// Note [Batch norm's cuDNN workspace]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// cuDNN 9.19's batch-norm training engines for NCHW x ask for a workspace of about twice x's
// bytes (forward) and three times (backward), every engine config alike (the deviceless H200
// planning, ember_cudnn_plan_tests, lists them: for x [128, 32, 28, 28], 12.8 MB, 25.7 MB and
// 38.6 MB). On the H200 (docs/gpu-status.md, 2026-12-04) that put `ember mem --device cuda`'s
// training peak at 99 / 149 MiB (forward / forward+backward, batch 256) against the CPU's
// 61.6 / 63.2 and PyTorch's 105 / 118. ember's kernels (batch_norm.cu) need 2 * C * groups
// doubles of scratch. So a graph is planned only with engines whose workspace is at most x's
// own bytes: today the NCHW training graphs are declined (logged once per case; ember's
// kernels run them) and the channels-last ones fit; a cuDNN whose NCHW engines stage less
// would be taken again without a change here.
int64_t workspace_cap(const BnCall& call) { return static_cast<int64_t>(call.x().nbytes()); }

// The graph of one call, planned for target (Note [cuDNN plans without a GPU] in
// cuda/cudnn_plan.h); a std::runtime_error saying why when cuDNN declines it.
std::shared_ptr<const BnGraph> build_graph(const BnCall& call, const cuda::detail::PlanTarget& target) {
  auto bg = std::make_shared<BnGraph>();
  fe::graph::Graph& graph = bg->graph;
  graph.set_io_data_type(fe::DataType_t::FLOAT)
      .set_intermediate_data_type(fe::DataType_t::FLOAT)
      .set_compute_data_type(fe::DataType_t::FLOAT);
  const auto input = [&](Uid uid) { return graph.tensor(attributes(call, uid)); };
  const auto output = [&](const std::shared_ptr<fe::graph::Tensor_attributes>& t, Uid uid) {
    const fe::graph::Tensor_attributes a = attributes(call, uid);
    t->set_output(true)
        .set_uid(uid)
        .set_data_type(a.get_data_type())
        .set_dim(a.get_dim())
        .set_stride(a.get_stride())
        .set_alignment(a.get_alignment());
  };
  const auto scalar = [&](Uid uid) {
    return graph.tensor(fe::graph::Tensor_attributes()
                            .set_name(kNames[uid])
                            .set_uid(uid)
                            .set_dim({1})
                            .set_stride({1})
                            .set_data_type(fe::DataType_t::FLOAT)
                            .set_is_pass_by_value(true));
  };
  switch (call.op) {
    case BnOp::Train: {
      auto eps = scalar(kEps);
      const auto [y, mean, inv_variance, next_mean, next_var] =
          graph.batchnorm(input(kX), input(kScale), input(kBias),
                          fe::graph::Batchnorm_attributes().set_name("batch_norm").set_epsilon(eps));
      output(y, kY);
      output(mean, kMean);
      output(inv_variance, kInvStd);
      break;
    }
    case BnOp::Eval:
      output(graph.batchnorm_inference(input(kX), input(kMean), input(kInvStd), input(kScale), input(kBias),
                                       fe::graph::Batchnorm_inference_attributes().set_name("batch_norm_eval")),
             kY);
      break;
    case BnOp::Backward: {
      auto mean = input(kMean), inv_variance = input(kInvStd);
      const auto [dx, dscale, dbias] =
          graph.batchnorm_backward(input(kDy), input(kX), input(kScale),
                                   fe::graph::Batchnorm_backward_attributes()
                                       .set_name("batch_norm_backward")
                                       .set_saved_mean_and_inv_variance(mean, inv_variance));
      output(dx, kDx);
      output(dscale, kDscale);
      output(dbias, kDbias);
      break;
    }
  }
  const std::string failure = cuda::detail::plan_graph(
      graph, target, {.deterministic = call.deterministic, .max_workspace = workspace_cap(call)}, bg->workspace);
  if (!failure.empty()) throw std::runtime_error(failure);
  return bg;
}

// What the built graph of a call depends on: its op, operand layouts, device and engine rules.
std::vector<int64_t> key_of(const BnCall& call) {
  std::vector<int64_t> key{static_cast<int64_t>(call.op), static_cast<int64_t>(call.x().dtype()),
                           cuda::detail::current_device_index(), call.deterministic};
  for (int64_t uid = kX; uid < kEps; ++uid) {
    const Tensor* t = call.operands[uid];
    if (t == nullptr) continue;
    key.insert(key.end(), {uid, t->dim()});
    key.insert(key.end(), t->sizes().begin(), t->sizes().end());
    const std::vector<int64_t> strides = cuda::detail::cudnn_strides(*t, call.channels_last());
    key.insert(key.end(), strides.begin(), strides.end());
    key.push_back(alignment_of(*t));
  }
  return key;
}

// The graphs built so far (never destroyed); nullptr for a case cuDNN rejected.
std::mutex graphs_mu;
std::map<std::vector<int64_t>, std::shared_ptr<const BnGraph>>& graphs() {
  static auto* cache = new std::map<std::vector<int64_t>, std::shared_ptr<const BnGraph>>();
  return *cache;
}

// Whether cuDNN has already rejected this call's case (false also when not yet tried).
bool declined(const BnCall& call) {
  const std::vector<int64_t> key = key_of(call);
  std::lock_guard<std::mutex> lock(graphs_mu);
  auto it = graphs().find(key);
  return it != graphs().end() && it->second == nullptr;
}

// The built graph for this call's op, operand layouts and device, built on first use and
// kept for the process; nullptr when cuDNN rejected the case (remembered, logged once).
std::shared_ptr<const BnGraph> graph_for(const BnCall& call, cudnnHandle_t handle) {
  std::vector<int64_t> key = key_of(call);
  auto* cache = &graphs();
  std::lock_guard<std::mutex> lock(graphs_mu);
  auto it = cache->find(key);
  if (it != cache->end()) return it->second;
  if (cuda::is_current_stream_capturing()) {  // no plan building in a capture: ember's kernels, this once
    logging::debug("{} on CUDA: {} first seen inside a CUDA graph capture; ember's kernels run it", call.name(),
                   call.describe());
    return nullptr;
  }
  std::shared_ptr<const BnGraph> built;
  try {
    built = build_graph(call, {handle, nullptr});
  } catch (const Error&) {  // out of memory, a CUDA error: not cuDNN declining
    throw;
  } catch (const std::exception& e) {  // a failed step, or the frontend's older builder classes
    logging::debug("{} on CUDA: cuDNN does not take {} ({}); ember's kernels run it", call.name(), call.describe(),
                   e.what());
  }
  return cache->emplace(std::move(key), std::move(built)).first->second;
}

// Runs the call's graph (the scalars in pack); false, having done nothing, if cuDNN rejects it.
bool run(const BnCall& call, std::unordered_map<int64_t, void*> pack) {
  cudnnHandle_t handle = cuda::detail::cudnn_handle();
  const std::shared_ptr<const BnGraph> bg = graph_for(call, handle);
  if (bg == nullptr) return false;
  for (int64_t uid = kX; uid < kEps; ++uid) {
    if (call.operands[uid] != nullptr) pack.emplace(uid, call.operands[uid]->data_ptr());
  }
  const Tensor space = bg->workspace > 0 ? make_empty({bg->workspace}, kUInt8, call.x().device()) : Tensor();
  // execute is const and thread-safe: it fills a copy of the graph's variant-pack template.
  fe::error_t status = bg->graph.execute(handle, pack, space.defined() ? space.data_ptr() : nullptr);
  EMBER_CHECK(status.is_good(), call.name(), " on CUDA: cuDNN frontend execute failed for ", call.describe(), ": ",
              status.get_message());
  return true;
}

// Under 2^31 elements, as PyTorch's cuDNN batch norm (some cuDNN kernels index in 32 bits);
// larger inputs take ember's kernels, which index in 64.
bool takes(const Tensor& x) {
  return x.dtype() == kFloat32 && x.dim() == 4 && x.numel() > 0 && x.numel() < INT32_MAX;
}
// A per-channel operand as the graphs read it: float32 [C], contiguous.
bool channel_operand(const Tensor& t) { return t.dtype() == kFloat32 && t.dim() == 1 && t.is_contiguous(); }
bool optional_channel(const Tensor& t) { return !t.defined() || channel_operand(t); }

Tensor channel_scratch(const Tensor& x) { return make_empty({x.size(1)}, kFloat32, x.device()); }

// cuDNN needs scale and bias: ones (value 1) or zeros (value 0) of [C] stand in for an
// undefined weight or bias, made once per device, C and dtype and kept for the process;
// undefined when they are not made yet and a capture is under way (they are made with a
// synchronisation: the caller then leaves the case to ember's kernels).
Tensor constant_channels(const Tensor& x, int value) {
  static std::mutex mu;
  static auto* cache = new std::map<std::tuple<int, int64_t, int64_t, int>, Tensor>();  // never destroyed
  std::lock_guard<std::mutex> lock(mu);
  Tensor& t = (*cache)[{cuda::detail::current_device_index(), x.size(1), static_cast<int64_t>(x.dtype()), value}];
  if (!t.defined() && !cuda::is_current_stream_capturing()) {
    Tensor made = make_empty({x.size(1)}, x.dtype(), x.device());
    cuda_kernels::fill(made, Scalar(value));
    // Any stream may read it later: the fill must be done by then.
    EMBER_CUDA_CHECK(cudaStreamSynchronize(cuda::detail::current_raw_stream()));
    t = std::move(made);
  }
  return t;
}

}  // namespace

bool cudnn_batch_norm_train(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                            const Tensor& running_var, double factor, double eps, const Tensor& out,
                            const Tensor& save_mean, const Tensor& save_invstd) {
  if (!takes(x) || !optional_channel(weight) || !optional_channel(bias) || !channel_operand(save_mean) ||
      !channel_operand(save_invstd) || !optional_channel(running_mean) || !optional_channel(running_var)) {
    return false;
  }
  const Tensor scale = weight.defined() ? weight : constant_channels(x, 1);
  const Tensor shift = bias.defined() ? bias : constant_channels(x, 0);
  if (!scale.defined() || !shift.defined()) return false;
  float eps_value = static_cast<float>(eps);
  if (!run(train_call(x, out, scale, shift, save_mean, save_invstd), {{kEps, &eps_value}})) return false;
  update_running_stats(save_mean, save_invstd, eps, running_mean, running_var, factor, x.numel() / x.size(1));
  return true;
}

bool cudnn_batch_norm_eval(const Tensor& x, const Tensor& mean, const Tensor& var, double eps, const Tensor& weight,
                           const Tensor& bias, const Tensor& out, const Tensor& save_invstd) {
  // In place (out is x) is not documented for cuDNN graphs: left to ember's kernel.
  if (!takes(x) || out.is_alias_of(x) || !channel_operand(mean) || !channel_operand(var) || !optional_channel(weight) ||
      !optional_channel(bias)) {
    return false;
  }
  const Tensor scale = weight.defined() ? weight : constant_channels(x, 1);
  const Tensor shift = bias.defined() ? bias : constant_channels(x, 0);
  if (!scale.defined() || !shift.defined()) return false;
  // cuDNN 9.14 and 9.19 offer the inference graph no engine on an H200 (docs/gpu-status.md),
  // so once a case is rejected its invstd is not computed again: var stands in for it in the
  // key (both float32 [C], contiguous; a fresh invstd with another alignment only misses).
  if (declined(eval_call(x, out, mean, var, scale, shift))) return false;
  const Tensor invstd = save_invstd.defined() ? save_invstd : channel_scratch(x);
  batch_norm_eval_stats(mean, var, eps, Tensor(), invstd);
  return run(eval_call(x, out, mean, invstd, scale, shift), {});
}

bool cudnn_batch_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& invstd,
                               const Tensor& weight, const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b) {
  if (!takes(x) || grad.dtype() != kFloat32 || !channel_operand(mean) || !channel_operand(invstd) ||
      !optional_channel(weight) || !optional_channel(grad_w) || !optional_channel(grad_b)) {
    return false;
  }
  const Tensor scale = weight.defined() ? weight : constant_channels(x, 1);
  if (!scale.defined()) return false;
  // The graph writes all three gradients: scratch for those not asked for.
  const Tensor dx = grad_x.defined() ? grad_x : make_empty(x.sizes(), kFloat32, x.device(), dense_format_of(x));
  const Tensor dscale = grad_w.defined() ? grad_w : channel_scratch(x);
  const Tensor dbias = grad_b.defined() ? grad_b : channel_scratch(x);
  return run(backward_call(grad, x, scale, mean, invstd, dx, dscale, dbias), {});
}

}  // namespace ember::cuda_kernels

namespace ember::cuda::detail {

namespace {

std::string check_plan(const CudnnDevice& device, const cuda_kernels::BnCall& call) {
  try {
    cuda_kernels::build_graph(call, {nullptr, &device});
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

std::string check_batch_norm_train_plan(const CudnnDevice& device, const Tensor& x, const Tensor& scale,
                                        const Tensor& bias, const Tensor& y, const Tensor& mean, const Tensor& invstd) {
  return check_plan(device, cuda_kernels::train_call(x, y, scale, bias, mean, invstd));
}

std::string check_batch_norm_eval_plan(const CudnnDevice& device, const Tensor& x, const Tensor& mean,
                                       const Tensor& invstd, const Tensor& scale, const Tensor& bias, const Tensor& y) {
  return check_plan(device, cuda_kernels::eval_call(x, y, mean, invstd, scale, bias));
}

std::string check_batch_norm_backward_plan(const CudnnDevice& device, const Tensor& grad, const Tensor& x,
                                           const Tensor& scale, const Tensor& mean, const Tensor& invstd,
                                           const Tensor& grad_x, const Tensor& grad_scale, const Tensor& grad_bias) {
  return check_plan(device, cuda_kernels::backward_call(grad, x, scale, mean, invstd, grad_x, grad_scale, grad_bias));
}

}  // namespace ember::cuda::detail

#else  // built without the cuDNN frontend (or without cuDNN): batch_norm.cu's kernels do it all

namespace ember::cuda_kernels {

bool cudnn_batch_norm_train(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, double, double,
                            const Tensor&, const Tensor&, const Tensor&) {
  return false;
}
bool cudnn_batch_norm_eval(const Tensor&, const Tensor&, const Tensor&, double, const Tensor&, const Tensor&,
                           const Tensor&, const Tensor&) {
  return false;
}
bool cudnn_batch_norm_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                               const Tensor&, const Tensor&) {
  return false;
}

}  // namespace ember::cuda_kernels

#endif  // EMBER_HAVE_CUDNN_FRONTEND
