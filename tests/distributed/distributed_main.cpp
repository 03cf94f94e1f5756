// GoogleTest entry point of the distributed tests, run by ctest as `mpirun -np 2 ...`:
// joins the job first, and exits 77 (ctest's skip) when ember has no distributed support.
#include <gtest/gtest.h>

#include <ember/ember.h>

namespace {
// The other ranks' report: their failures only, named by rank.
class FailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::fprintf(stderr, "[rank %d] FAILED %s.%s at %s:%d\n%s\n", rank_, test ? test->test_suite_name() : "?",
                 test ? test->name() : "?", result.file_name() ? result.file_name() : "?", result.line_number(),
                 result.message());
  }

 private:
  int rank_;
};
}  // namespace

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
    listeners.Append(new FailurePrinter(ember::distributed::rank()));
  }
  const int failed = RUN_ALL_TESTS();
  // A rank that failed makes the job fail: every rank learns whether any did.
  ember::Tensor any = ember::tensor(std::vector<int64_t>{failed ? 1 : 0});
  ember::distributed::all_reduce(any);
  const int result = any.item<int64_t>() ? 1 : 0;
  ember::distributed::finalize();
  return result;
}
