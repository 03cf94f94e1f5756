// AutocastGuard's thread-local state per device type, the casting rule of the ops'
// entry points and the cache of parameters' casts (Note [Autocast] in core/autocast.h).
#include "core/autocast.h"

#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "core/grad_mode.h"
#include "core/logging.h"

namespace ember {
namespace {

struct AutocastState {
  bool enabled = false;
  DType dtype = kBFloat16;
};

constexpr size_t kDeviceTypes = 2;  // DeviceType::CPU, DeviceType::CUDA

// Each device type's default dtype is PyTorch's: bfloat16 on the CPU, float16 on CUDA.
thread_local std::array<AutocastState, kDeviceTypes> tls_state{AutocastState{false, kBFloat16},
                                                               AutocastState{false, kFloat16}};
thread_local int tls_nesting = 0;  // guards alive in this thread (enabled or not)
thread_local bool tls_cache_enabled = true;

// Casts of float32 leaf tensors that require grad, keyed by the source, by whether autograd
// recorded the cast and by the dtype cast to; the value keeps the source alive so that its
// address stays unique.
struct CachedCast {
  Tensor source;
  Tensor cast;
};
thread_local std::map<std::tuple<const TensorImpl*, bool, DType>, CachedCast> tls_cache;

AutocastState& state_of(DeviceType type) { return tls_state[static_cast<size_t>(type)]; }

}  // namespace

// A disabled guard takes any dtype (torch.autocast(dtype=..., enabled=False) checks nothing);
// an enabled one with a dtype other than bfloat16 or float16 warns and disables autocast
// for its scope, as PyTorch's CPU autocast does.
AutocastGuard::AutocastGuard(Device device, DType dtype, bool enabled, std::optional<bool> cache_enabled)
    : type_(device.type()), previous_cache_enabled_(tls_cache_enabled) {
  if (enabled && device.is_cuda() && !cuda::is_available()) {  // PyTorch's torch.autocast("cuda") without CUDA
    logging::warn("User provided device_type of 'cuda', but CUDA is not available. Disabling");
    enabled = false;
  }
  if (enabled && !is_reduced_float(dtype)) {
    logging::warn("In {} autocast, but the target dtype is not supported ({}; ember's autocast takes bfloat16 or "
                  "float16). Disabling autocast.",
                  device.is_cuda() ? "CUDA" : "CPU", dtype_name(dtype));
    enabled = false;
  }
  AutocastState& s = state_of(type_);
  previous_enabled_ = s.enabled;
  previous_dtype_ = s.dtype;
  s.enabled = enabled;
  if (is_reduced_float(dtype)) s.dtype = dtype;
  if (cache_enabled) tls_cache_enabled = *cache_enabled;
  ++tls_nesting;
}

AutocastGuard::~AutocastGuard() {
  AutocastState& s = state_of(type_);
  s.enabled = previous_enabled_;
  s.dtype = previous_dtype_;
  tls_cache_enabled = previous_cache_enabled_;
  if (--tls_nesting == 0) tls_cache.clear();
}

namespace autocast {

bool is_enabled(DeviceType type) { return state_of(type).enabled; }
DType get_dtype(DeviceType type) { return state_of(type).dtype; }
size_t cached_casts() { return tls_cache.size(); }

bool is_lower_precision(const Tensor& t) {
  if (!t.defined()) return false;
  const AutocastState& s = state_of(t.device().type());
  return s.enabled && is_reduced_float(t.dtype());
}

void clear_cache() { tls_cache.clear(); }
bool is_cache_enabled() { return tls_cache_enabled; }
void set_cache_enabled(bool enabled) { tls_cache_enabled = enabled; }

std::vector<Tensor> promote_inputs(const std::vector<Tensor>& inputs) {
  const auto castable = [](const Tensor& t) {
    return t.defined() && is_floating(t.dtype()) && t.dtype() != kFloat64 && state_of(t.device().type()).enabled;
  };
  std::optional<DType> widest;
  for (const Tensor& t : inputs)
    if (castable(t)) widest = widest ? promote_types(*widest, t.dtype()) : t.dtype();
  std::vector<Tensor> out;
  out.reserve(inputs.size());
  for (const Tensor& t : inputs) out.push_back(castable(t) && t.dtype() != *widest ? t.to(*widest) : t);
  return out;
}

Tensor cast(CastPolicy policy, const Tensor& t) {
  if (!t.defined()) return t;
  const AutocastState& s = state_of(t.device().type());
  if (!s.enabled) return t;
  if (policy == CastPolicy::Float32) return is_lower_precision(t) ? t.to(kFloat32) : t;
  // float32 and the other 16-bit float are cast; float64, integers and bools never are.
  if (!is_floating(t.dtype()) || t.dtype() == kFloat64 || t.dtype() == s.dtype) return t;
  if (!(t.dtype() == kFloat32 && t.requires_grad() && t.is_leaf()) || !tls_cache_enabled) return t.to(s.dtype);
  const std::tuple<const TensorImpl*, bool, DType> key{&t.impl(), is_grad_enabled() && !is_inference_mode_enabled(),
                                                       s.dtype};
  auto it = tls_cache.find(key);
  if (it == tls_cache.end()) it = tls_cache.emplace(key, CachedCast{t, t.to(s.dtype)}).first;
  return it->second.cast;
}

}  // namespace autocast
}  // namespace ember
