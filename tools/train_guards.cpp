// `ember train`'s output-path checks and divergence stop (tools/train_guards.h).
#include "tools/train_guards.h"

#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/grad_mode.h"
#include "core/native.h"
#include "nn/serialize/files.h"

namespace ember::tools {

namespace {
// Whether writing `output` would replace the file at `other` (Note [Outputs are checked
// before training]): the same file by device and inode, or the same path when neither exists.
bool same_file(const std::string& output, const std::string& other) {
  struct stat out {}, in {};
  const bool out_exists = ::lstat(output.c_str(), &out) == 0;  // the link itself is replaced
  const bool in_exists = ::stat(other.c_str(), &in) == 0;
  if (out_exists && in_exists) return out.st_dev == in.st_dev && out.st_ino == in.st_ino;
  if (out_exists || in_exists) return false;
  std::error_code ec1, ec2;
  const auto a = std::filesystem::weakly_canonical(output, ec1), b = std::filesystem::weakly_canonical(other, ec2);
  return !ec1 && !ec2 && a == b;
}
}  // namespace

void check_train_outputs(const FlagPaths& outputs, int epochs, const FlagPaths& inputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& [flag, path] = outputs[i];
    if (path.empty()) continue;
    EMBER_CHECK(flag != "--save" || epochs > 0, "--epochs 0 trains nothing, so --save '", path,
                "' would never be written; give --epochs N > 0, or drop --save");
    nn::check_writable_target(path, "write " + flag + " file");
    for (const auto& [in_flag, in_path] : inputs) {
      EMBER_CHECK(in_path.empty() || !same_file(path, in_path), flag, ": '", path, "' is the file ", in_flag, " '",
                  in_path, "' reads; writing it would replace that input. Expected another path");
    }
    for (size_t j = 0; j < i; ++j) {
      const auto& [other_flag, other_path] = outputs[j];
      EMBER_CHECK(other_path.empty() || !same_file(path, other_path), flag, " and ", other_flag, " name one file, '",
                  path, "'; expected a path for each");
    }
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
