// check_train_outputs (Note [Outputs are checked before training] in tools/train_guards.h):
// no output may be a file the command reads, or another output, by inode or by path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/helpers.h"
#include "support/temp_dir.h"
#include "tools/train_guards.h"

namespace ember {
namespace {

using ember::testing::TempDir;
using tools::check_train_outputs;

TEST(TrainOutputs, AnOutputMayNotReplaceAnInputOrAnotherOutput) {
  TempDir dir;
  const std::string checkpoint = dir.file("ck.safetensors"), image = dir.file("img.png");
  std::ofstream(checkpoint) << "checkpoint";
  std::ofstream(image) << "image";
  const tools::FlagPaths inputs = {{"--load", checkpoint}, {"image", image}};
  check_train_outputs({{"--json", dir.file("out.json")}}, 0, inputs);
  EXPECT_EMBER_ERROR(check_train_outputs({{"--json", checkpoint}}, 0, inputs),
                     "--json: '" + checkpoint + "' is the file --load '" + checkpoint + "' reads");
  // The same entry by another spelling, and an input given through a symlink to the output.
  const std::string other_spelling = dir.path().string() + "/./img.png";
  EXPECT_EMBER_ERROR(check_train_outputs({{"--json", other_spelling}}, 0, inputs), "is the file image '" + image);
  std::filesystem::create_symlink(checkpoint, dir.file("ck_link.safetensors"));
  EXPECT_EMBER_ERROR(check_train_outputs({{"--json", checkpoint}}, 0, {{"--load", dir.file("ck_link.safetensors")}}),
                     "is the file --load '" + dir.file("ck_link.safetensors"));
  // Renaming replaces the output's own entry: a symlink there (never its target) or a hard
  // link (the input's name keeps the old file) leaves the input as it was.
  std::filesystem::create_symlink(checkpoint, dir.file("link.json"));
  check_train_outputs({{"--json", dir.file("link.json")}}, 0, inputs);
  std::filesystem::create_hard_link(checkpoint, dir.file("hard.json"));
  check_train_outputs({{"--json", dir.file("hard.json")}}, 0, inputs);
  // Two outputs naming one file, existing or not yet made.
  EXPECT_EMBER_ERROR(check_train_outputs({{"--save", dir.file("a.out")}, {"--json", dir.file("./a.out")}}, 1, {}),
                     "--json and --save name one file");
  check_train_outputs({{"--save", dir.file("a.out")}, {"--json", dir.file("b.out")}}, 1, {});
  EXPECT_EQ(std::filesystem::exists(dir.file("a.out")), false);  // nothing left behind
  // An input not given (empty) or not there is no conflict.
  check_train_outputs({{"--json", dir.file("c.json")}}, 0, {{"--resume", ""}, {"--data", dir.file("missing")}});
}

}  // namespace
}  // namespace ember
