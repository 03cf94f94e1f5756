// GoogleTest entry point of the distributed tests, run by ctest as `mpirun -np 2 ...`:
// joins the job first, and exits 77 (ctest's skip) when ember has no distributed support.
#include <gtest/gtest.h>

#include <ember/ember.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!ember::distributed::is_available()) {
    std::fprintf(stderr, "skipped: this build of ember has no distributed support\n");
    return 77;
  }
  ember::distributed::init();
  if (ember::distributed::rank() != 0) {  // one report: the other ranks print only failures
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int failed = RUN_ALL_TESTS();
  // A rank that failed makes the job fail: every rank learns whether any did.
  ember::Tensor any = ember::tensor(std::vector<int64_t>{failed ? 1 : 0});
  ember::distributed::all_reduce(any);
  const int result = any.item<int64_t>() ? 1 : 0;
  ember::distributed::finalize();
  return result;
}
