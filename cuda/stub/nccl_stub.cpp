// NCCL entry points of a build without NCCL (no CUDA, no libnccl, or no MPI to meet):
// an ember::Error where a CUDA collective is asked for. Compiled in every build; empty
// where cuda/nccl.cpp has the real ones.
#include "cuda/nccl.h"

#if !EMBER_HAVE_NCCL

namespace ember::cuda::nccl {
namespace {
[[noreturn]] void no_nccl(const char* what) {
  EMBER_FAIL("nccl::", what, ": ember was built without NCCL (it needs CUDA, NCCL under /usr/local/cuda and "
             "libopenmpi-dev at configure time): CUDA tensors cannot be communicated");
}
}  // namespace

bool is_available() { return false; }
std::vector<char> unique_id() { no_nccl("unique_id"); }
Communicator::Communicator(const std::vector<char>&, int, int, int, double) { no_nccl("Communicator"); }
Communicator::~Communicator() = default;
void Communicator::all_reduce(const Tensor&, bool) { no_nccl("all_reduce"); }
void Communicator::broadcast(const Tensor&, int) { no_nccl("broadcast"); }
void Communicator::all_gather(const Tensor&, const Tensor&) { no_nccl("all_gather"); }
void Communicator::wait(const Event&, const std::string&) { no_nccl("wait"); }

}  // namespace ember::cuda::nccl
#endif
