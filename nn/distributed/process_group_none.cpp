// The process group of a build without MPI (EMBER_DISTRIBUTED off or MPI not found):
// every call is an ember::Error that says how to get distributed support.
#if !EMBER_HAVE_MPI
#include "nn/distributed/process_group.h"

namespace ember::distributed {
namespace {
[[noreturn]] void no_support(const char* what) {
  EMBER_FAIL("distributed::", what, ": this build of ember has no distributed support (MPI was not found when it "
             "was configured: install libopenmpi-dev, e.g. with bash tools/install-deps.sh, and configure again "
             "with -DEMBER_DISTRIBUTED=ON)");
}
}  // namespace

bool is_available() { return false; }
bool is_initialized() { return false; }
void init() { no_support("init"); }
void finalize() {}
void abort(int) {}
int rank() { no_support("rank"); }
int world_size() { no_support("world_size"); }
int local_rank() { no_support("local_rank"); }
int local_world_size() { no_support("local_world_size"); }
double timeout_seconds() { no_support("timeout_seconds"); }
void set_timeout_seconds(double) { no_support("set_timeout_seconds"); }
void barrier() { no_support("barrier"); }
void all_reduce(const Tensor&, ReduceOp) { no_support("all_reduce"); }
void broadcast(const Tensor&, int) { no_support("broadcast"); }
void all_gather(std::vector<Tensor>&, const Tensor&) { no_support("all_gather"); }
std::shared_ptr<Work> all_reduce_async(const Tensor&, ReduceOp) { no_support("all_reduce_async"); }

}  // namespace ember::distributed
#endif  // !EMBER_HAVE_MPI
