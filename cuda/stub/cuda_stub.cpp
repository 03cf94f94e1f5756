// The CUDA entry points of a build without CUDA: no device, no kernels, and an
// ember::Error that says how to get them where a CUDA device is asked for.
#include "core/allocator/caching_allocator.h"
#include "core/device.h"
#include "core/dispatch.h"

namespace ember {

namespace cuda {
bool is_available() { return false; }
int device_count() { return 0; }
void synchronize() {}
}  // namespace cuda

const DeviceOps* cuda_ops() { return nullptr; }

namespace detail {
std::unique_ptr<RawBackend> make_cuda_backend(int index) {
  EMBER_FAIL("cuda:", index, " requested, but ember was built without CUDA (configure with nvcc on PATH and -DEMBER_CUDA=ON)");
}
}  // namespace detail

}  // namespace ember
