// PyTorch's checks of the hyper-parameters that live in an interval (Adadelta's rho, the
// betas of Adamax, NAdam and RAdam), with its "Invalid ..." phrases; the ones that must be
// >= 0 are detail::check_nonnegative_option (nn/optim/optimizer.h).
#pragma once
#include <utility>

namespace ember::optim::detail {

// "Invalid <what>: <value> (expected a value in [0, 1])" unless 0 <= value <= 1
// ("Invalid rho value: 1.5").
void check_closed_unit_option(const char* what, double value);
// "Invalid beta parameter at index <i>: <value> (expected a value in [0, 1))" unless
// 0 <= beta_i < 1, the words of PyTorch's Adam family.
void check_betas(const std::pair<double, double>& betas);

}  // namespace ember::optim::detail
