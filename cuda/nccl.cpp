// NCCL collectives (cuda/nccl.h): a non-blocking communicator per process made from a
// unique id that MPI broadcast, collectives queued on the current stream, and waits that
// poll an event and the communicator's error against a deadline (Note [NCCL faults]).
// Without NCCL, cuda/stub/nccl_stub.cpp's entry points throw.
#include "cuda/nccl.h"

#include <chrono>
#include <cstring>
#include <thread>

#include "core/logging.h"

#if EMBER_HAVE_NCCL
#include <nccl.h>

#include "cuda/cuda_check.h"
#include "cuda/cuda_internal.h"

namespace ember::cuda::nccl {
namespace {
static_assert(sizeof(ncclUniqueId) == kUniqueIdBytes, "kUniqueIdBytes must be sizeof(ncclUniqueId)");

using Clock = std::chrono::steady_clock;

constexpr const char* kTimeoutHint =
    ": another rank died, hangs or skipped this collective (EMBER_DISTRIBUTED_TIMEOUT sets the limit)";

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return ncclFloat32;
    case DType::Float64: return ncclFloat64;
    case DType::Int64: return ncclInt64;
    case DType::UInt8:
    case DType::Bool: return ncclUint8;
    case DType::BFloat16: return ncclBfloat16;
    case DType::Float16: return ncclFloat16;
  }
  return ncclUint8;
}

ncclComm_t as_comm(void* comm) { return static_cast<ncclComm_t>(comm); }

void check_tensor(const Tensor& t, int device, const char* what) {
  EMBER_CHECK(t.is_cuda() && t.device().index() == device && t.is_contiguous(), "nccl::", what,
              ": expected a contiguous tensor on cuda:", device, ", got one on ", t.device(),
              t.is_contiguous() ? "" : " (not contiguous)");
}

// Spin briefly (latency), then back off so a waiting rank leaves the cores to others.
void back_off(Clock::time_point start, int polls) {
  if (Clock::now() - start < std::chrono::microseconds(200)) return;
  if (polls % 16 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
  else std::this_thread::yield();
}
}  // namespace

bool is_available() { return true; }

std::vector<char> unique_id() {
  ncclUniqueId id;
  const ncclResult_t result = ncclGetUniqueId(&id);
  EMBER_CHECK(result == ncclSuccess, "ncclGetUniqueId failed: ", ncclGetErrorString(result));
  std::vector<char> out(kUniqueIdBytes);
  std::memcpy(out.data(), &id, kUniqueIdBytes);
  return out;
}

Communicator::Communicator(const std::vector<char>& id, int world_size, int rank, int device, double timeout_seconds)
    : device_(device), rank_(rank), world_size_(world_size), timeout_(timeout_seconds) {
  EMBER_CHECK(id.size() == kUniqueIdBytes, "nccl::Communicator: expected a unique id of ", kUniqueIdBytes,
              " bytes, got ", id.size());
  EMBER_CHECK(timeout_seconds > 0, "nccl::Communicator: expected a positive timeout, got ", timeout_seconds);
  ncclUniqueId unique;
  std::memcpy(&unique, id.data(), kUniqueIdBytes);
  DeviceGuard guard(device);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;  // Note [NCCL faults]
  ncclComm_t comm = nullptr;
  const ncclResult_t result = ncclCommInitRankConfig(&comm, world_size, unique, rank, &config);
  comm_ = comm;
  if (result != ncclSuccess && result != ncclInProgress) {
    if (comm_) ncclCommAbort(comm);
    comm_ = nullptr;
    EMBER_FAIL("nccl::Communicator: ncclCommInitRankConfig failed on rank ", rank, ": ", ncclGetErrorString(result));
  }
  settle(result, "ncclCommInitRankConfig (every rank must join the communicator)");
}

Communicator::~Communicator() {
  if (!comm_ || aborted_) return;
  // Finalize flushes the queued collectives; a non-blocking one finishes in the background.
  ncclResult_t result = ncclCommFinalize(as_comm(comm_));
  const auto start = Clock::now();
  for (int polls = 0; result == ncclInProgress; ++polls) {
    if (Clock::now() - start > std::chrono::duration<double>(timeout_)) {
      logging::warn("nccl: ncclCommFinalize did not finish within {} s on rank {}; aborting the communicator",
                    timeout_, rank_);
      ncclCommAbort(as_comm(comm_));
      return;
    }
    back_off(start, polls);
    ncclCommGetAsyncError(as_comm(comm_), &result);
  }
  if (result != ncclSuccess) logging::warn("ncclCommFinalize failed: {}", ncclGetErrorString(result));
  result = ncclCommDestroy(as_comm(comm_));
  if (result != ncclSuccess) logging::warn("ncclCommDestroy failed: {}", ncclGetErrorString(result));
}

void Communicator::abort_and_fail(const std::string& what, const std::string& why, const char* hint) {
  if (comm_ && !aborted_) {
    const ncclResult_t result = ncclCommAbort(as_comm(comm_));
    if (result != ncclSuccess) logging::warn("ncclCommAbort failed: {}", ncclGetErrorString(result));
  }
  aborted_ = true;
  EMBER_FAIL("distributed::", what, " ", why, " on rank ", rank_, " of ", world_size_, " (NCCL on cuda:", device_, ")",
             hint, "; the NCCL communicator was aborted and the process group cannot be used any more");
}

void Communicator::check_usable(const char* what) const {
  EMBER_CHECK(!aborted_, "nccl::", what, ": the NCCL communicator of rank ", rank_, " was aborted after an earlier "
              "failure; end the job (ember::distributed::abort)");
}

// A non-blocking call returned `result`: in progress until ncclCommGetAsyncError says otherwise.
void Communicator::settle(int result_code, const char* call) {
  auto result = static_cast<ncclResult_t>(result_code);
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(timeout_);
  for (int polls = 0; result == ncclInProgress; ++polls) {
    if (Clock::now() >= deadline)
      abort_and_fail(call, ember::detail::str_cat("did not complete within ", timeout_, " s"), kTimeoutHint);
    back_off(start, polls);
    const ncclResult_t query = ncclCommGetAsyncError(as_comm(comm_), &result);
    if (query != ncclSuccess) result = query;
  }
  if (result != ncclSuccess) abort_and_fail(call, ember::detail::str_cat("failed: ", ncclGetErrorString(result)));
}

void Communicator::wait(const Event& done, const std::string& what) {
  check_usable("wait");
  const auto event = static_cast<cudaEvent_t>(done.handle());
  EMBER_CHECK(event != nullptr, "nccl::wait: expected an event recorded after the collective, got an unrecorded one");
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(timeout_);
  for (int polls = 0;; ++polls) {
    const cudaError_t state = cudaEventQuery(event);
    if (state == cudaSuccess) return;
    if (state != cudaErrorNotReady) EMBER_CUDA_CHECK(state);
    (void)cudaGetLastError();  // "not ready" is kept as the last error: the next launch check would see it
    ncclResult_t async = ncclSuccess;
    const ncclResult_t query = ncclCommGetAsyncError(as_comm(comm_), &async);
    if (query != ncclSuccess || (async != ncclSuccess && async != ncclInProgress))
      abort_and_fail(what, ember::detail::str_cat("failed: ", ncclGetErrorString(query != ncclSuccess ? query : async)));
    if (Clock::now() >= deadline)
      abort_and_fail(what, ember::detail::str_cat("did not complete within ", timeout_, " s"), kTimeoutHint);
    back_off(start, polls);
  }
}

void Communicator::all_reduce(const Tensor& tensor, bool average) {
  check_usable("all_reduce");
  check_tensor(tensor, device_, "all_reduce");
  // A sum of bools could store 2 in a bool (NCCL sees bytes): refused, as distributed::all_reduce does.
  EMBER_CHECK(tensor.dtype() != kBool, "nccl all_reduce: expected a numeric tensor, got bool");
  DeviceGuard guard(device_);
  settle(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()),
                       nccl_type(tensor.dtype()), average ? ncclAvg : ncclSum, as_comm(comm_),
                       detail::current_raw_stream()),
         "all_reduce (ncclAllReduce)");
}

void Communicator::broadcast(const Tensor& tensor, int root) {
  check_usable("broadcast");
  check_tensor(tensor, device_, "broadcast");
  DeviceGuard guard(device_);
  settle(ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()),
                       nccl_type(tensor.dtype()), root, as_comm(comm_), detail::current_raw_stream()),
         "broadcast (ncclBroadcast)");
}

void Communicator::all_gather(const Tensor& input, const Tensor& out) {
  check_usable("all_gather");
  check_tensor(input, device_, "all_gather");
  check_tensor(out, device_, "all_gather");
  DeviceGuard guard(device_);
  settle(ncclAllGather(input.data_ptr(), out.data_ptr(), static_cast<size_t>(input.numel()),
                       nccl_type(input.dtype()), as_comm(comm_), detail::current_raw_stream()),
         "all_gather (ncclAllGather)");
}

}  // namespace ember::cuda::nccl

#endif  // without NCCL, cuda/stub/nccl_stub.cpp defines the entry points
