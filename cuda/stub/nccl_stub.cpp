// NCCL entry points of a build without CUDA: an ember::Error where a CUDA collective is
// asked for.
#include "cuda/nccl.h"

namespace ember::cuda::nccl {
namespace {
[[noreturn]] void no_nccl(const char* what) {
  EMBER_FAIL("nccl::", what, ": ember was built without CUDA, so CUDA tensors cannot be communicated");
}
}  // namespace

bool is_available() { return false; }
std::vector<char> unique_id() { no_nccl("unique_id"); }
Communicator::Communicator(const std::vector<char>&, int, int, int) { no_nccl("Communicator"); }
Communicator::~Communicator() = default;
void Communicator::all_reduce(const Tensor&, bool) { no_nccl("all_reduce"); }
void Communicator::broadcast(const Tensor&, int) { no_nccl("broadcast"); }
void Communicator::all_gather(const Tensor&, const Tensor&) { no_nccl("all_gather"); }

}  // namespace ember::cuda::nccl
