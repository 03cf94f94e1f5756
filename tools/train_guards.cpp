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
// A directory entry: its folder (device and inode, so any spelling or mount of the folder
// compares equal) and its name.
struct Entry {
  bool known = false;
  dev_t dev = 0;
  ino_t ino = 0;
  std::string name;
};
Entry entry_of(const std::filesystem::path& path) {
  Entry e;
  const std::filesystem::path parent = path.parent_path().empty() ? "." : path.parent_path();
  struct stat st {};
  e.known = ::stat(parent.c_str(), &st) == 0;
  e.dev = st.st_dev;
  e.ino = st.st_ino;
  e.name = path.filename().string();
  return e;
}
// Whether writing `output` would replace what `other` names: outputs are renamed into
// place, which replaces the output's own directory entry (a symlink there included, never
// its target; a hard link's other names keep the old file). So they conflict when the
// entry `other` finally resolves to (symlinks followed) is the output's entry.
bool same_entry(const std::string& output, const std::string& other, bool follow_other) {
  std::error_code ec;
  const std::filesystem::path resolved =
      follow_other ? std::filesystem::weakly_canonical(other, ec) : std::filesystem::path(other);
  if (ec) return false;
  const Entry a = entry_of(output), b = entry_of(resolved);
  if (a.known && b.known) return a.dev == b.dev && a.ino == b.ino && a.name == b.name;
  std::error_code ec1, ec2;  // a folder not there yet: compare the normalised paths
  return std::filesystem::weakly_canonical(output, ec1) == std::filesystem::weakly_canonical(other, ec2) && !ec1 &&
         !ec2;
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
      EMBER_CHECK(in_path.empty() || !same_entry(path, in_path, /*follow_other=*/true), flag, ": '", path,
                  "' is the file ", in_flag, " '", in_path,
                  "' reads; writing it would replace that input. Expected "
                  "another path");
    }
    for (size_t j = 0; j < i; ++j) {
      const auto& [other_flag, other_path] = outputs[j];
      EMBER_CHECK(other_path.empty() || !same_entry(path, other_path, /*follow_other=*/false), flag, " and ",
                  other_flag, " name one file, '", path, "'; expected a path for each");
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
