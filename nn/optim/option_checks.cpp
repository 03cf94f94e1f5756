// Interval checks of optimizer hyper-parameters (nn/optim/option_checks.h).
#include "nn/optim/option_checks.h"

#include "core/error.h"

namespace ember::optim::detail {

void check_closed_unit_option(const char* what, double value) {
  EMBER_CHECK(value >= 0.0 && value <= 1.0, "Invalid ", what, ": ", value, " (expected a value in [0, 1])");
}

void check_betas(const std::pair<double, double>& betas) {
  EMBER_CHECK(betas.first >= 0.0 && betas.first < 1.0, "Invalid beta parameter at index 0: ", betas.first,
              " (expected a value in [0, 1))");
  EMBER_CHECK(betas.second >= 0.0 && betas.second < 1.0, "Invalid beta parameter at index 1: ", betas.second,
              " (expected a value in [0, 1))");
}

}  // namespace ember::optim::detail
