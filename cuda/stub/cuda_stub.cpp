// The CUDA entry points of a build without CUDA: no device, no kernels, and an
// ember::Error that says how to get them where a CUDA device is asked for.
#include "core/allocator/caching_allocator.h"
#include "core/cuda_backend.h"
#include "core/device.h"
#include "core/dispatch.h"
#include "cuda/cudnn.h"
#include "cuda/graph.h"
#include "cuda/graph_nodes.h"
#include "cuda/stream.h"

namespace ember {

namespace cuda {
bool is_available() { return false; }
int device_count() { return 0; }
void synchronize() {}

namespace {
[[noreturn]] void no_cuda(const char* what) {
  EMBER_FAIL(what, ": ember was built without CUDA (configure with nvcc on PATH and -DEMBER_CUDA=ON)");
}
}  // namespace

DeviceProperties get_device_properties(int) { no_cuda("cuda::get_device_properties"); }
std::string get_device_name(int) { no_cuda("cuda::get_device_name"); }
std::pair<size_t, size_t> mem_get_info(int) { no_cuda("cuda::mem_get_info"); }

Stream::Stream() = default;
Stream Stream::create(int, bool) { no_cuda("cuda::Stream::create"); }
Stream Stream::default_stream(int) { no_cuda("cuda::Stream::default_stream"); }
bool Stream::query() const { no_cuda("cuda::Stream::query"); }
void Stream::synchronize() const { no_cuda("cuda::Stream::synchronize"); }
void Stream::wait(const Event&) const { no_cuda("cuda::Stream::wait"); }
Event::Event(bool enable_timing) : enable_timing_(enable_timing) {}
void Event::record() { no_cuda("cuda::Event::record"); }
void Event::record(const Stream&) { no_cuda("cuda::Event::record"); }
bool Event::query() const { no_cuda("cuda::Event::query"); }
void Event::synchronize() const { no_cuda("cuda::Event::synchronize"); }
float Event::elapsed_ms(const Event&) const { no_cuda("cuda::Event::elapsed_ms"); }
int current_device() { no_cuda("cuda::current_device"); }
void set_device(int) { no_cuda("cuda::set_device"); }
Stream current_stream(int) { no_cuda("cuda::current_stream"); }
void set_current_stream(const Stream&) { no_cuda("cuda::set_current_stream"); }
struct Graph::State {};
Graph::Graph() : state_(std::make_unique<State>()) {}
Graph::~Graph() = default;
void Graph::capture_begin(std::shared_ptr<memory::PrivatePool>) { no_cuda("cuda::Graph::capture_begin"); }
void Graph::capture_begin(const Stream&, std::shared_ptr<memory::PrivatePool>) {
  no_cuda("cuda::Graph::capture_begin");
}
void Graph::begin(std::optional<Stream>, std::shared_ptr<memory::PrivatePool>) { no_cuda("cuda::Graph::capture_begin"); }
void Graph::capture_end() { no_cuda("cuda::Graph::capture_end"); }
void Graph::replay() { no_cuda("cuda::Graph::replay"); }
void Graph::reset() {}
bool Graph::captured() const { return false; }
std::shared_ptr<memory::PrivatePool> Graph::pool() const { return nullptr; }
uint64_t Graph::random_counters() const { return 0; }
GraphNodes last_capture_nodes() { return {}; }
bool is_current_stream_capturing() { return false; }
void check_not_capturing(const char*) {}
DeviceGuard::DeviceGuard(int) : previous_(0) { no_cuda("cuda::DeviceGuard"); }
DeviceGuard::~DeviceGuard() = default;
StreamGuard::StreamGuard(const Stream&) : device_guard_(0) { no_cuda("cuda::StreamGuard"); }
StreamGuard::~StreamGuard() = default;
void set_matmul_allow_tf32(bool) {}
bool matmul_allow_tf32() { return false; }
}  // namespace cuda

namespace cudnn {  // its settings: cuda/cudnn_settings.cpp, in every build
bool is_available() { return false; }
int64_t version() { return 0; }
}  // namespace cudnn

void Tensor::record_stream(const cuda::Stream&) const {
  EMBER_FAIL("record_stream: expected a CUDA tensor, but got a tensor on ", device(),
             " (ember was built without CUDA)");
}

void copy_across_devices(const Tensor& src, const Tensor& dst) {
  EMBER_FAIL("copying between ", src.device(), " and ", dst.device(),
             " needs CUDA: ember was built without CUDA (configure with nvcc on PATH and -DEMBER_CUDA=ON)");
}

const DeviceOps* cuda_ops() { return nullptr; }

namespace detail {
std::unique_ptr<RawBackend> make_cuda_backend(int index) {
  EMBER_FAIL("cuda:", index, " requested, but ember was built without CUDA (configure with nvcc on PATH and -DEMBER_CUDA=ON)");
}
uintptr_t current_cuda_stream_id(int) { return 0; }
int current_cuda_device_or_zero() { return 0; }
}  // namespace detail

}  // namespace ember
