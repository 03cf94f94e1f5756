// NCCL collectives (cuda/nccl.h): a communicator per process made from a unique id that
// MPI broadcast, collectives queued on the current stream (Note [Two transports] in
// nn/distributed/process_group.h). Without NCCL, cuda/stub/nccl_stub.cpp's entry points throw.
#include "cuda/nccl.h"

#include <cstring>

#include "core/logging.h"

#if EMBER_HAVE_NCCL
#include <nccl.h>

#include "cuda/cuda_internal.h"
#include "cuda/stream.h"

#define EMBER_NCCL_CHECK(call)                                                                   \
  do {                                                                                           \
    const ncclResult_t ember_nccl_result = (call);                                               \
    EMBER_CHECK(ember_nccl_result == ncclSuccess, #call, " failed: ", ncclGetErrorString(ember_nccl_result)); \
  } while (0)

namespace ember::cuda::nccl {
namespace {
static_assert(sizeof(ncclUniqueId) == kUniqueIdBytes, "kUniqueIdBytes must be sizeof(ncclUniqueId)");

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return ncclFloat32;
    case DType::Float64: return ncclFloat64;
    case DType::Int64: return ncclInt64;
    case DType::UInt8:
    case DType::Bool: return ncclUint8;
    case DType::BFloat16: return ncclBfloat16;
  }
  return ncclUint8;
}

ncclComm_t as_comm(void* comm) { return static_cast<ncclComm_t>(comm); }

void check_tensor(const Tensor& t, int device, const char* what) {
  EMBER_CHECK(t.is_cuda() && t.device().index() == device && t.is_contiguous(), "nccl::", what,
              ": expected a contiguous tensor on cuda:", device, ", got one on ", t.device(),
              t.is_contiguous() ? "" : " (not contiguous)");
}
}  // namespace

bool is_available() { return true; }

std::vector<char> unique_id() {
  ncclUniqueId id;
  EMBER_NCCL_CHECK(ncclGetUniqueId(&id));
  std::vector<char> out(kUniqueIdBytes);
  std::memcpy(out.data(), &id, kUniqueIdBytes);
  return out;
}

Communicator::Communicator(const std::vector<char>& id, int world_size, int rank, int device) : device_(device) {
  EMBER_CHECK(id.size() == kUniqueIdBytes, "nccl::Communicator: expected a unique id of ", kUniqueIdBytes,
              " bytes, got ", id.size());
  ncclUniqueId unique;
  std::memcpy(&unique, id.data(), kUniqueIdBytes);
  DeviceGuard guard(device);
  ncclComm_t comm = nullptr;
  EMBER_NCCL_CHECK(ncclCommInitRank(&comm, world_size, unique, rank));
  comm_ = comm;
}

Communicator::~Communicator() {
  if (!comm_) return;
  const ncclResult_t result = ncclCommDestroy(as_comm(comm_));
  if (result != ncclSuccess) logging::warn("ncclCommDestroy failed: {}", ncclGetErrorString(result));
}

void Communicator::all_reduce(const Tensor& tensor, bool average) {
  check_tensor(tensor, device_, "all_reduce");
  DeviceGuard guard(device_);
  EMBER_NCCL_CHECK(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()),
                                 nccl_type(tensor.dtype()), average ? ncclAvg : ncclSum, as_comm(comm_),
                                 detail::current_raw_stream()));
}

void Communicator::broadcast(const Tensor& tensor, int root) {
  check_tensor(tensor, device_, "broadcast");
  DeviceGuard guard(device_);
  EMBER_NCCL_CHECK(ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()),
                                 nccl_type(tensor.dtype()), root, as_comm(comm_), detail::current_raw_stream()));
}

void Communicator::all_gather(const Tensor& input, const Tensor& out) {
  check_tensor(input, device_, "all_gather");
  check_tensor(out, device_, "all_gather");
  DeviceGuard guard(device_);
  EMBER_NCCL_CHECK(ncclAllGather(input.data_ptr(), out.data_ptr(), static_cast<size_t>(input.numel()),
                                 nccl_type(input.dtype()), as_comm(comm_), detail::current_raw_stream()));
}

}  // namespace ember::cuda::nccl

#endif  // without NCCL, cuda/stub/nccl_stub.cpp defines the entry points
