// CUDA dropout: cuDNN's cudnnDropoutForward/Backward for element dropout, whose mask
// lives in a reserve space (kept by the backward node only when autograd records,
// scratch otherwise); channel dropout (dropout2d) draws a Philox mask like the CPU and
// keeps it as bits (Note [Compact saved activations] in core/bitmask.h), as do bfloat16
// and float16 tensors (cuDNN dropout has no bf16; float16 takes the same path, one rule for both).
//
// Note [cuDNN dropout random stream]
// Each device has one cuDNN dropout state, built once (cudnnSetDropoutDescriptor,
// seeded with the default generator's seed) and then restored (cudnnRestoreDropout-
// Descriptor: no re-initialisation) with each call's p. cuDNN advances the state with
// every forward, so masks follow from the seed and the sequence of calls: the same seed
// on the same GPU model gives the same masks. manual_seed (even with the same seed)
// rebuilds the state before the next dropout. The masks differ from the CPU's.
//
// Note [cuDNN dropout in CUDA graphs]
// A captured cudnnDropoutForward reads and advances the device's state in place, so each
// replay draws new masks. What must not be captured is the state's (re)initialisation,
// a kernel run by cudnnSetDropoutDescriptor: captured, it would restart the stream on
// every replay. So the state is built by an eager call before any capture (the warm-up
// steps a capture needs anyway for library workspaces, Note [CUDA graph capture];
// nn::GraphedStep runs them), and cuda::Graph calls refresh_dropout_after_reseed before a
// capture and before each replay: a manual_seed since the state was last seeded rebuilds
// it there, outside the graph, so a re-seeded run of replays repeats its masks, like eager
// calls. Inside a capture, a state that would need building is a clear error instead.
#include <climits>
#include <memory>
#include <mutex>

#include "core/bitmask.h"
#include "core/factories.h"
#include "core/native.h"
#include "core/random.h"
#include "cuda/cuda_internal.h"
#include "cuda/cudnn_internal.h"
#include "cuda/graph.h"

namespace ember::cuda_kernels {

namespace {

using cuda::detail::cudnn_dtype;
using cuda::detail::cudnn_handle;

struct DropoutState {
  std::mutex mu;
  cudnnDropoutDescriptor_t desc = nullptr;
  Tensor states;  // kUInt8, on the device, for the life of the process
  size_t bytes = 0;
  uint64_t seed = 0, generation = ~uint64_t{0};
};

DropoutState& device_state(int device) {
  constexpr int kMaxDevices = 64;
  EMBER_CHECK(device >= 0 && device < kMaxDevices, "cuda:", device, " is beyond the devices ember supports");
  static DropoutState* states = new DropoutState[kMaxDevices];  // never destroyed
  return states[device];
}

// Builds s (or rebuilds it when the generator was reseeded) and sets p. Hold s.mu.
void prepare(DropoutState& s, int device, cudnnHandle_t handle, double p) {
  Generator& gen = default_generator();
  const uint64_t generation = gen.generation();
  const float prob = static_cast<float>(p);
  if (s.desc == nullptr) {
    EMBER_CHECK(!cuda::is_current_stream_capturing(), "dropout on cuda:", device,
                " inside a CUDA graph capture: its cuDNN state is built by the first eager dropout; run the step "
                "once eagerly before capturing (a warm-up step, as nn::GraphedStep does; Note [cuDNN dropout in "
                "CUDA graphs])");
    EMBER_CUDNN_CHECK(cudnnCreateDropoutDescriptor(&s.desc));
    EMBER_CUDNN_CHECK(cudnnDropoutGetStatesSize(handle, &s.bytes));
    s.states = make_empty({static_cast<int64_t>(s.bytes)}, kUInt8, Device::cuda(device));
  }
  if (s.generation != generation) {
    EMBER_CHECK(!cuda::is_current_stream_capturing(), "dropout on cuda:", device,
                " inside a CUDA graph capture: the generator was re-seeded (manual_seed) after capture_begin, and "
                "cuDNN's dropout state cannot be rebuilt inside a capture; seed before capture_begin "
                "(Note [cuDNN dropout in CUDA graphs])");
    s.seed = gen.initial_seed();
    EMBER_CUDNN_CHECK(cudnnSetDropoutDescriptor(s.desc, handle, prob, s.states.data_ptr(), s.bytes, s.seed));
    s.generation = generation;
  } else {
    EMBER_CUDNN_CHECK(cudnnRestoreDropoutDescriptor(s.desc, handle, prob, s.states.data_ptr(), s.bytes, s.seed));
  }
}

// A flat [1, 1, 1, n] descriptor (dropout is elementwise), destroyed with the object.
struct FlatDescriptor {
  cudnnTensorDescriptor_t desc = nullptr;
  FlatDescriptor(const Tensor& t, const char* op) {
    EMBER_CHECK(t.numel() <= INT_MAX, op, " on CUDA: cuDNN dropout takes at most ", INT_MAX,
                " elements, but got a tensor of size ", t.sizes());
    EMBER_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc));
    EMBER_CUDNN_CHECK(cudnnSetTensor4dDescriptor(desc, CUDNN_TENSOR_NCHW, cudnn_dtype(t.dtype(), op), 1, 1, 1,
                                                 static_cast<int>(t.numel())));
  }
  ~FlatDescriptor() { cudnnDestroyTensorDescriptor(desc); }
  FlatDescriptor(const FlatDescriptor&) = delete;
  FlatDescriptor& operator=(const FlatDescriptor&) = delete;
};

// Channel dropout: the CPU's rule (uniform u >= p kept, scaled by 1 / (1 - p)) on the
// device's Philox stream; backward gets the keep mask as bits (core/bitmask.h).
Tensor philox_mask_dropout(const Tensor& x, double p, const Dims& mask_shape, const Tensor& out, bool keep) {
  Tensor mask = rand(mask_shape, TensorOptions().dtype(x.dtype()).device(x.device()));
  // The threshold and scale in the dtype, as the CPU's kernel and the backward's unpacking
  // take them (for bfloat16 and float16, p and 1 / (1 - p) rounded to the dtype).
  visit_floating_or_reduced(x.dtype(), "dropout", [&](auto tag) {
    using T = typename decltype(tag)::type;
    mask = native::to_dtype(native::ge(mask, static_cast<double>(static_cast<T>(p))), x.dtype());
    native::mul_(mask, static_cast<double>(dropout_scale<T>(p)));
  });
  binary(BinaryOp::Mul, x, native::expand(mask, x.sizes()), out, 1);
  if (!keep) return Tensor();
  Tensor bits = make_empty({bitmask_bytes(mask.numel())}, kUInt8, x.device());
  positive_bits(mask, bits);
  return bits;
}

}  // namespace

void refresh_dropout_after_reseed(int device) {
  DropoutState& state = device_state(device);
  std::lock_guard<std::mutex> lock(state.mu);
  if (state.desc != nullptr && state.generation != default_generator().generation()) {
    prepare(state, device, cudnn_handle(), 0.5);
  }
}

// Whether a dropout draws its mask from ember's Philox generator (and keeps it as bits)
// rather than cuDNN's state: channel dropout, bfloat16 and float16 (cuDNN's dropout has no bf16), what
// must be repeatable (DropoutStream::Generator), and tensors past cuDNN's int count of
// elements (its descriptor's n; the Philox path's kernels index in 64 bits).
static bool philox_masked(const Dims& shape, DType dtype, const Dims& mask_shape, DropoutStream stream) {
  return stream == DropoutStream::Generator || !(mask_shape == shape) || is_reduced_float(dtype) ||
         shape_numel(shape) > INT_MAX;
}

Tensor dropout_forward(const Tensor& x, double p, const Dims& mask_shape, const Tensor& out, bool keep,
                       DropoutStream stream) {
  if (philox_masked(x.sizes(), x.dtype(), mask_shape, stream)) return philox_mask_dropout(x, p, mask_shape, out, keep);
  if (x.numel() == 0) return keep ? make_empty({0}, kUInt8, x.device()) : Tensor();
  cudnnHandle_t handle = cudnn_handle();
  const FlatDescriptor desc(x, "dropout");
  size_t reserve_bytes = 0;
  EMBER_CUDNN_CHECK(cudnnDropoutGetReserveSpaceSize(desc.desc, &reserve_bytes));
  // The reserve space (the mask) comes from the caching allocator on this stream: the
  // backward node owns it when recording, otherwise it is freed on return.
  Tensor reserve = make_empty({static_cast<int64_t>(reserve_bytes)}, kUInt8, x.device());
  DropoutState& state = device_state(x.device().index());
  {
    std::lock_guard<std::mutex> lock(state.mu);
    prepare(state, x.device().index(), handle, p);
    EMBER_CUDNN_CHECK(cudnnDropoutForward(handle, state.desc, desc.desc, x.data_ptr(), desc.desc, out.data_ptr(),
                                          reserve.data_ptr(), reserve_bytes));
  }
  return keep ? reserve : Tensor();
}

void dropout_backward(const Tensor& grad, const Tensor& kept, double p, const Dims& mask_shape, const Tensor& grad_x,
                      DropoutStream stream) {
  if (philox_masked(grad.sizes(), grad.dtype(), mask_shape, stream)) {  // the Philox mask's bits
    Tensor mask = make_empty(mask_shape, grad.dtype(), grad.device());
    unpack_dropout_bits(kept, p, mask);
    binary(BinaryOp::Mul, grad, native::expand(mask, grad.sizes()), grad_x, 1);
    return;
  }
  if (grad.numel() == 0) return;
  cudnnHandle_t handle = cudnn_handle();
  const FlatDescriptor desc(grad, "dropout backward");
  DropoutState& state = device_state(grad.device().index());
  std::lock_guard<std::mutex> lock(state.mu);
  prepare(state, grad.device().index(), handle, p);
  EMBER_CUDNN_CHECK(cudnnDropoutBackward(handle, state.desc, desc.desc, grad.data_ptr(), desc.desc,
                                         grad_x.data_ptr(), kept.data_ptr(), static_cast<size_t>(kept.numel())));
}

}  // namespace ember::cuda_kernels
