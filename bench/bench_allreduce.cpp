// The cost of data parallelism's communication on this machine (docs/distributed.md):
// time per all_reduce of the small CNN's gradient bytes, and of other sizes, through
// ember::distributed (MPI on the CPU). Run under mpirun, e.g.
//   mpirun -np 2 ./build-cpu/bench/bench_allreduce [iterations]
// Its own main (not Google Benchmark's): every rank must run the same iterations.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <ember/ember.h>

#include "tools/small_cnn.h"

namespace dist = ember::distributed;

namespace {
// Median-free and simple: the mean over `iterations` after 3 warm-up calls, on rank 0.
double seconds_per_call(const ember::Tensor& t, int iterations, bool async) {
  auto once = [&] {
    if (async) dist::all_reduce_async(t, dist::ReduceOp::Sum)->wait();
    else dist::all_reduce(t, dist::ReduceOp::Sum);
  };
  for (int i = 0; i < 3; ++i) once();
  dist::barrier();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) once();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / iterations;
}
}  // namespace

int main(int argc, char** argv) {
  if (!dist::is_available()) {
    std::fprintf(stderr, "bench_allreduce: this build of ember has no distributed support\n");
    return 1;
  }
  dist::init();
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 50;
  int64_t cnn = 0;
  for (const auto& p : ember::tools::make_small_cnn()->parameters()) cnn += p.numel();
  if (dist::rank() == 0)
    std::printf("%d ranks; small CNN: %lld parameters (%.2f MiB float32)\n%12s %14s %14s %12s\n", dist::world_size(),
                static_cast<long long>(cnn), static_cast<double>(cnn) * 4 / (1 << 20), "elements", "blocking ms",
                "async ms", "GB/s (bus)");
  for (int64_t n : {int64_t{1024}, int64_t{65536}, cnn, int64_t{4} << 20}) {
    ember::Tensor t = ember::ones({n});
    const double blocking = seconds_per_call(t, iterations, false);
    const double async = seconds_per_call(t, iterations, true);
    // The ring all-reduce's bus bandwidth (NCCL's convention): 2 (N-1)/N bytes per call.
    const double world = dist::world_size();
    const double bus = 2 * (world - 1) / world * static_cast<double>(n) * 4 / async / 1e9;
    if (dist::rank() == 0)
      std::printf("%12lld %14.3f %14.3f %12.2f\n", static_cast<long long>(n), blocking * 1e3, async * 1e3, bus);
  }
  dist::finalize();
  return 0;
}
