// The timeout test's job (Note [Collective timeout]): rank 1 skips an all_reduce and
// hangs; rank 0 must fail within EMBER_DISTRIBUTED_TIMEOUT with an error naming the
// collective and its rank, and end the job (non-zero) the way `ember train` does.
#include <chrono>
#include <cstdio>
#include <thread>

#include <ember/ember.h>

int main() {
  namespace dist = ember::distributed;
  if (!dist::is_available()) {
    std::fprintf(stderr, "skipped: this build of ember has no distributed support\n");
    return 77;
  }
  try {
    dist::init();
    if (dist::rank() == 1) {
      std::this_thread::sleep_for(std::chrono::seconds(120));  // a hung rank: never joins
    } else {
      dist::all_reduce(ember::ones({4}));
    }
    std::printf("rank %d: the collective completed (unexpected)\n", dist::rank());
    dist::finalize();
    return 0;
  } catch (const ember::Error& e) {
    std::fprintf(stderr, "ember: error: %s\n", e.what());
    std::fflush(stderr);
    dist::abort(1);
    return 1;
  }
}
