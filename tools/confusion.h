// The test set's confusion matrix (true class by predicted class), counted on the
// model's device without host reads between batches: `ember train`'s test accuracy and
// `ember eval --per-class` (per-class accuracy and the matrix, with the class names).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"

namespace ember::tools {

// Counts of (true class, predicted class) over batches, kept on the device.
class ConfusionCounter {
 public:
  ConfusionCounter(int64_t classes, Device dev);
  // logits [N, classes] (the prediction is the argmax), targets int64 [N] in [0, classes):
  // a target out of range is an error at read(), not a silent miscount.
  void add(const Tensor& logits, const Tensor& targets);
  // counts[true][predicted], read from the device (one wait).
  std::vector<std::vector<int64_t>> read() const;

 private:
  int64_t classes_;
  Tensor counts_;  // int64 [classes * classes + 1]; the last: targets out of range
};

// What a confusion matrix says.
struct Confusion {
  std::vector<std::vector<int64_t>> counts;  // [true][predicted]
  int64_t total() const;
  double accuracy() const;  // 0 for no images
  // Each class's recall: correct / images of that class (0 for a class with none).
  std::vector<double> per_class_accuracy() const;
};

// The per-class table and the matrix, as `ember eval --per-class` prints them.
std::string format_confusion(const Confusion& confusion, const std::vector<std::string>& names);

}  // namespace ember::tools
