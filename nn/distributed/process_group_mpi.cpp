// The process group over MPI (built when MPI is found): init from the MPI environment,
// CPU collectives started non-blocking and polled against a deadline (Note [Collective
// timeout]), argument checks (Note [Collective argument checks]) and the hand-off of
// CUDA tensors to NCCL (Note [Two transports]).
#if EMBER_HAVE_MPI
// The C API only (Open MPI and MPICH would otherwise pull in their C++ bindings).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <thread>

#include "core/factories.h"
#include "core/logging.h"
#include "cuda/nccl.h"
#include "cuda/stream.h"
#include "nn/distributed/process_group.h"

namespace ember::distributed {
namespace {

struct State {
  bool initialized = false;
  bool finalized = false;
  int rank = 0, world = 1, local_rank = 0, local_world = 1;
  double timeout = 300;
  MPI_Comm comm = MPI_COMM_NULL;
  std::unique_ptr<cuda::nccl::Communicator> nccl;
};

State& state() {
  static State s;
  return s;
}

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  EMBER_FAIL("distributed::", what, ": MPI failed on rank ", state().rank, ": ", std::string(text, len));
}

const State& ready(const char* what) {
  const State& s = state();
  EMBER_CHECK(s.initialized && !s.finalized, "distributed::", what,
              ": expected a process group (call ember::distributed::init() first), but ",
              s.finalized ? "it was finalized" : "none was initialized");
  return s;
}

double env_timeout() {
  const char* text = std::getenv("EMBER_DISTRIBUTED_TIMEOUT");
  if (!text || !*text) return 300;
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  EMBER_CHECK(end && *end == '\0' && seconds > 0, "EMBER_DISTRIBUTED_TIMEOUT: expected a positive number of "
              "seconds, got '", text, "'");
  return seconds;
}

std::string describe(const Tensor& t) {
  return detail::str_cat(dtype_name(t.dtype()), " ", t.sizes(), " (", t.numel(), " elements)");
}

// Polls `request` until done; past the deadline, the Note [Collective timeout] error.
void wait_for(MPI_Request& request, const std::string& what) {
  using Clock = std::chrono::steady_clock;
  const State& s = state();
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(s.timeout);
  int done = 0;
  for (int polls = 0;; ++polls) {
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what.c_str());
    if (done) return;
    const auto now = Clock::now();
    EMBER_CHECK(now < deadline, "distributed::", what, " did not complete within ", s.timeout, " s on rank ",
                s.rank, " of ", s.world, ": another rank died, hangs or skipped this collective "
                "(EMBER_DISTRIBUTED_TIMEOUT sets the limit); the process group cannot be used any more");
    // Spin briefly (latency), then back off so a waiting rank leaves the cores to others.
    if (now - start < std::chrono::microseconds(200)) continue;
    if (polls % 16 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
    else std::this_thread::yield();
  }
}

MPI_Datatype mpi_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return MPI_FLOAT;
    case DType::Float64: return MPI_DOUBLE;
    case DType::Int64: return MPI_INT64_T;
    case DType::UInt8: return MPI_UINT8_T;
    case DType::Bool: return MPI_UINT8_T;
    case DType::BFloat16:  // MPI has no bfloat16 or float16: its sums would add bit patterns
    case DType::Float16: break;
  }
  EMBER_FAIL("distributed (MPI): ", dtype_name(dtype), " tensors are not supported (float32, float64, int64, uint8, "
             "bool are)");
}

int element_count(const Tensor& t, const char* what) {
  EMBER_CHECK(t.numel() <= INT_MAX, "distributed::", what, ": expected at most ", INT_MAX,
              " elements per call, got ", t.numel());
  return static_cast<int>(t.numel());
}

void check_cpu_tensor(const Tensor& t, const char* what) {
  EMBER_CHECK(t.defined(), "distributed::", what, ": expected a tensor, got an undefined one");
  EMBER_CHECK(t.is_contiguous(), "distributed::", what, ": expected a contiguous tensor, got ", describe(t),
              " with strides ", t.strides(), " (call .contiguous() first)");
}

// Note [Collective argument checks]: MAX of the signature and of its negation gives the
// largest and smallest value of each field across the job in one all-reduce.
void check_same_everywhere(const std::string& what, const Tensor& t, int64_t extra) {
  const State& s = state();
  uint64_t hash = 1469598103934665603ull;
  for (int64_t d : t.sizes()) hash = (hash ^ static_cast<uint64_t>(d)) * 1099511628211ull;
  const int64_t sig[4] = {static_cast<int64_t>(t.dtype()), t.numel(), static_cast<int64_t>(hash >> 2), extra};
  int64_t buf[8];
  for (int i = 0; i < 4; ++i) buf[i] = sig[i], buf[4 + i] = -sig[i];
  MPI_Request request;
  check_mpi(MPI_Iallreduce(MPI_IN_PLACE, buf, 8, MPI_INT64_T, MPI_MAX, s.comm, &request), what.c_str());
  wait_for(request, what + " (argument check)");
  const char* fields[4] = {"dtype", "element count", "shape", what.rfind("broadcast", 0) == 0 ? "root" : "op"};
  for (int i = 0; i < 4; ++i) {
    EMBER_CHECK(buf[i] == -buf[4 + i], "distributed::", what, ": expected the same ", fields[i],
                " on every rank, got different ones: rank ", s.rank, " has ", describe(t),
                i == 1 ? detail::str_cat("; element counts across ranks range from ", -buf[5], " to ", buf[1])
                       : std::string());
  }
}

cuda::nccl::Communicator& nccl_for(const Tensor& t, const char* what) {
  State& s = state();
  if (!s.nccl) {
    std::vector<char> id(cuda::nccl::kUniqueIdBytes);
    if (s.rank == 0) id = cuda::nccl::unique_id();
    MPI_Request request;
    check_mpi(MPI_Ibcast(id.data(), static_cast<int>(id.size()), MPI_BYTE, 0, s.comm, &request), what);
    wait_for(request, "the NCCL unique id broadcast");
    s.nccl = std::make_unique<cuda::nccl::Communicator>(id, s.world, s.rank, t.device().index(), s.timeout);
  }
  EMBER_CHECK(s.nccl->device() == t.device().index(), "distributed::", what, ": expected a tensor on cuda:",
              s.nccl->device(), " (this rank's NCCL communicator), got one on ", t.device());
  return *s.nccl;
}

class MpiWork final : public Work {
 public:
  MpiWork(Tensor tensor, bool average, std::string what)
      : tensor_(std::move(tensor)), average_(average), what_(std::move(what)) {}
  ~MpiWork() override {
    if (!done_ && request_ != MPI_REQUEST_NULL) logging::warn("distributed: {} destroyed before it completed", what_);
  }
  MPI_Request* request() { return &request_; }
  void wait() override {
    if (done_) return;
    wait_for(request_, what_);
    finish();
  }
  bool test() override {
    if (done_) return true;
    int flag = 0;
    check_mpi(MPI_Test(&request_, &flag, MPI_STATUS_IGNORE), what_.c_str());
    if (flag) finish();
    return done_;
  }
  void mark_done() { done_ = true; }

 private:
  void finish() {
    done_ = true;
    if (average_) tensor_.mul_(1.0 / state().world);
  }
  Tensor tensor_;
  bool average_;
  std::string what_;
  MPI_Request request_ = MPI_REQUEST_NULL;
  bool done_ = false;
};

// A collective queued on the current CUDA stream: done when the event recorded after it
// has completed; wait() polls it against the timeout (Note [NCCL faults] in cuda/nccl.h).
class NcclWork final : public Work {
 public:
  NcclWork(cuda::nccl::Communicator& comm, Tensor tensor, std::string what)
      : comm_(comm), tensor_(std::move(tensor)), what_(std::move(what)), done_event_(/*enable_timing=*/false) {
    cuda::DeviceGuard guard(tensor_.device().index());  // the event lives on the tensor's device
    done_event_.record(cuda::current_stream(tensor_.device().index()));
  }
  void wait() override {
    if (done_) return;
    comm_.wait(done_event_, what_);
    done_ = true;
  }
  bool test() override { return done_ || (done_ = done_event_.query()); }

 private:
  cuda::nccl::Communicator& comm_;
  Tensor tensor_;  // alive until the collective is
  std::string what_;
  cuda::Event done_event_;
  bool done_ = false;
};

// Queues the CUDA collective `enqueue` and returns its work (not waited for).
template <typename Enqueue>
std::shared_ptr<NcclWork> start_nccl(const Tensor& t, const char* name, const std::string& what, Enqueue enqueue) {
  cuda::nccl::Communicator& comm = nccl_for(t, name);
  enqueue(comm);
  return std::make_shared<NcclWork>(comm, t, what);
}

std::string collective_name(const char* what, const Tensor& t) { return detail::str_cat(what, " of ", describe(t)); }

void check_reducible(const Tensor& t, ReduceOp op, const char* what) {
  EMBER_CHECK(t.dtype() != kBool, "distributed::", what, ": expected a numeric tensor, got bool");
  EMBER_CHECK(op != ReduceOp::Avg || t.is_floating_point(), "distributed::", what,
              ": ReduceOp::Avg expected a floating-point tensor, got ", dtype_name(t.dtype()));
}

}  // namespace

bool is_available() { return true; }
bool is_initialized() { return state().initialized && !state().finalized; }

void init() {
  State& s = state();
  if (s.initialized) {
    EMBER_CHECK(!s.finalized, "distributed::init: the process group was finalized; MPI cannot start again");
    return;
  }
  s.timeout = env_timeout();
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided), "init");
    std::atexit([] { finalize(); });  // a rank that leaves without MPI_Finalize fails the job
  }
  check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &s.comm), "init");
  MPI_Comm_set_errhandler(s.comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(s.comm, &s.rank);
  MPI_Comm_size(s.comm, &s.world);
  MPI_Comm local = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(s.comm, MPI_COMM_TYPE_SHARED, s.rank, MPI_INFO_NULL, &local), "init");
  MPI_Comm_rank(local, &s.local_rank);
  MPI_Comm_size(local, &s.local_world);
  MPI_Comm_free(&local);
  s.initialized = true;
}

void finalize() {
  State& s = state();
  if (!s.initialized || s.finalized) return;
  s.nccl.reset();
  MPI_Comm_free(&s.comm);
  int done = 0;
  MPI_Finalized(&done);
  if (!done) MPI_Finalize();
  s.finalized = true;
}

void abort(int exit_code) {
  if (is_initialized()) MPI_Abort(MPI_COMM_WORLD, exit_code);
}

int rank() { return ready("rank").rank; }
int world_size() { return ready("world_size").world; }
int local_rank() { return ready("local_rank").local_rank; }
int local_world_size() { return ready("local_world_size").local_world; }
double timeout_seconds() { return state().timeout; }
void set_timeout_seconds(double seconds) {
  EMBER_CHECK(seconds > 0, "distributed::set_timeout_seconds: expected a positive number of seconds, got ", seconds);
  state().timeout = seconds;
}

void barrier() {
  const State& s = ready("barrier");
  if (s.world == 1) return;
  MPI_Request request;
  check_mpi(MPI_Ibarrier(s.comm, &request), "barrier");
  wait_for(request, "barrier");
}

void all_reduce(const Tensor& tensor, ReduceOp op) {
  const State& s = ready("all_reduce");
  check_reducible(tensor, op, "all_reduce");
  if (s.world == 1) return;
  const std::string what = collective_name("all_reduce", tensor);
  if (tensor.is_cuda()) {  // blocking: waited for with the timeout (Note [NCCL faults])
    check_same_everywhere(what, tensor, static_cast<int64_t>(op));
    start_nccl(tensor, "all_reduce", what, [&](auto& comm) { comm.all_reduce(tensor, op == ReduceOp::Avg); })->wait();
    return;
  }
  check_cpu_tensor(tensor, "all_reduce");
  check_same_everywhere(what, tensor, static_cast<int64_t>(op));
  all_reduce_async(tensor, op)->wait();
}

std::shared_ptr<Work> all_reduce_async(const Tensor& tensor, ReduceOp op) {
  const State& s = ready("all_reduce_async");
  check_reducible(tensor, op, "all_reduce_async");
  const std::string what = collective_name("all_reduce", tensor);
  if (tensor.is_cuda() && s.world > 1)  // queued on the current stream; wait() polls its event
    return start_nccl(tensor, "all_reduce_async", what,
                      [&](auto& comm) { comm.all_reduce(tensor, op == ReduceOp::Avg); });
  auto work = std::make_shared<MpiWork>(tensor, op == ReduceOp::Avg, what);
  if (s.world == 1) {
    work->mark_done();
    return work;
  }
  check_cpu_tensor(tensor, "all_reduce_async");
  check_mpi(MPI_Iallreduce(MPI_IN_PLACE, tensor.data_ptr(), element_count(tensor, "all_reduce"),
                           mpi_type(tensor.dtype()), MPI_SUM, s.comm, work->request()),
            "all_reduce");
  return work;
}

void broadcast(const Tensor& tensor, int root) {
  const State& s = ready("broadcast");
  EMBER_CHECK(root >= 0 && root < s.world, "distributed::broadcast: expected a root in [0, ", s.world, "), got ", root);
  if (s.world == 1) return;
  const std::string what = collective_name("broadcast", tensor);
  if (!tensor.is_cuda()) check_cpu_tensor(tensor, "broadcast");
  check_same_everywhere(what, tensor, root);
  if (tensor.is_cuda()) {
    start_nccl(tensor, "broadcast", what, [&](auto& comm) { comm.broadcast(tensor, root); })->wait();
    return;
  }
  MPI_Request request;
  check_mpi(MPI_Ibcast(tensor.data_ptr(), element_count(tensor, "broadcast"), mpi_type(tensor.dtype()), root, s.comm,
                       &request),
            "broadcast");
  wait_for(request, what);
}

void all_gather(std::vector<Tensor>& out, const Tensor& tensor) {
  const State& s = ready("all_gather");
  const auto world = static_cast<size_t>(s.world);
  if (out.empty()) {
    for (size_t r = 0; r < world; ++r) out.push_back(empty(tensor.sizes(), TensorOptions(tensor.dtype()).device(tensor.device())));
  }
  EMBER_CHECK(out.size() == world, "distributed::all_gather: expected an output list of ", world,
              " tensors (one per rank), got ", out.size());
  for (size_t r = 0; r < world; ++r)
    EMBER_CHECK(out[r].defined() && out[r].sizes() == tensor.sizes() && out[r].dtype() == tensor.dtype(),
                "distributed::all_gather: expected out[", r, "] to be ", describe(tensor), ", got ",
                out[r].defined() ? describe(out[r]) : std::string("an undefined tensor"));
  if (s.world == 1) {
    out[0].copy_(tensor);
    return;
  }
  const std::string what = collective_name("all_gather", tensor);
  const Tensor input = tensor.contiguous();
  check_same_everywhere(what, input, 0);
  Tensor gathered = empty({static_cast<int64_t>(world) * input.numel()},
                          TensorOptions(input.dtype()).device(input.device()));
  if (input.is_cuda()) {
    start_nccl(gathered, "all_gather", what, [&](auto& comm) { comm.all_gather(input, gathered); })->wait();
  } else {
    const int count = element_count(input, "all_gather");
    MPI_Request request;
    check_mpi(MPI_Iallgather(input.data_ptr(), count, mpi_type(input.dtype()), gathered.data_ptr(), count,
                             mpi_type(input.dtype()), s.comm, &request),
              "all_gather");
    wait_for(request, what);
  }
  for (size_t r = 0; r < world; ++r)
    out[r].copy_(gathered.narrow(0, static_cast<int64_t>(r) * input.numel(), input.numel()).view(tensor.sizes()));
}

}  // namespace ember::distributed
#endif  // EMBER_HAVE_MPI
