// `ember train`'s output-path checks and divergence stop (tools/train_guards.h).
#include "tools/train_guards.h"

#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "nn/serialize/files.h"

namespace ember::tools {

void check_train_outputs(const std::vector<std::pair<std::string, std::string>>& outputs, int epochs) {
  for (const auto& [flag, path] : outputs) {
    if (path.empty()) continue;
    EMBER_CHECK(flag != "--save" || epochs > 0, "--epochs 0 trains nothing, so --save '", path,
                "' would never be written; give --epochs N > 0, or drop --save");
    nn::check_writable_target(path, "write " + flag + " file");
  }
}

void DivergenceGuard::check_loss(double loss, int epoch, size_t step) {
  if (std::isfinite(loss)) {
    last_finite_ = loss;
    last_epoch_ = epoch;
    last_step_ = step;
    seen_finite_ = true;
    return;
  }
  std::ostringstream last;
  if (seen_finite_)
    last << "the last finite loss read was " << last_finite_ << " at epoch " << last_epoch_ << ", step " << last_step_;
  else
    last << "no finite loss was read before it";
  EMBER_FAIL("training diverged: the loss is ", loss, " at epoch ", epoch, ", step ", step, " (", last.str(),
             "); stopped without saving this epoch, so a --save checkpoint holds the last completed epoch. "
             "Try a lower --lr (it was ", lr_, " with --optimizer ", optimizer_, ")");
}

void DivergenceGuard::check_parameters(nn::Module& model, int epoch) const {
  NoGradGuard no_grad;
  for (const auto& [name, p] : model.named_parameters()) {
    const double sum = native::sum(native::to_dtype(native::abs(p), kFloat64)).item<double>();
    EMBER_CHECK(std::isfinite(sum), "training diverged: parameter '", name, "' is not finite after epoch ", epoch,
                " (sum of |values| = ", sum, "); not saving it, so a --save checkpoint holds the last good epoch. "
                "Try a lower --lr (it was ", lr_, " with --optimizer ", optimizer_, ")");
  }
}

}  // namespace ember::tools
