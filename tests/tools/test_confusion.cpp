// The test set's confusion matrix (tools/confusion.h): counts from logits and targets,
// accuracy and per-class accuracy, the printed table, and targets out of range.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/factories.h"
#include "tools/confusion.h"

namespace ember::tools {
namespace {

using ::testing::HasSubstr;

// Three classes; the argmax of each row is the prediction.
Tensor logits_predicting(const std::vector<int64_t>& predicted) {
  std::vector<float> values(predicted.size() * 3, 0.0F);
  for (size_t i = 0; i < predicted.size(); ++i) values[i * 3 + static_cast<size_t>(predicted[i])] = 1.0F;
  return tensor(values, {static_cast<int64_t>(predicted.size()), 3});
}

Tensor labels(const std::vector<int64_t>& values) {
  return tensor(values, {static_cast<int64_t>(values.size())}, dtype(kInt64));
}

TEST(Confusion, CountsAccumulateOverBatches) {
  ConfusionCounter counter(3, Device::cpu());
  counter.add(logits_predicting({0, 1, 2, 2}), labels({0, 1, 1, 2}));
  counter.add(logits_predicting({0, 0}), labels({2, 0}));
  const Confusion confusion{counter.read()};
  EXPECT_EQ(confusion.counts, (std::vector<std::vector<int64_t>>{{2, 0, 0}, {0, 1, 1}, {1, 0, 1}}));
  EXPECT_EQ(confusion.total(), 6);
  EXPECT_DOUBLE_EQ(confusion.accuracy(), 4.0 / 6.0);
  EXPECT_EQ(confusion.per_class_accuracy(), (std::vector<double>{1.0, 0.5, 0.5}));
}

TEST(Confusion, EmptyClassesAndNoImagesAreZeroNotNaN) {
  const Confusion none{{{0, 0}, {0, 0}}};
  EXPECT_EQ(none.accuracy(), 0.0);
  const Confusion one_class{{{3, 1}, {0, 0}}};
  EXPECT_EQ(one_class.per_class_accuracy(), (std::vector<double>{0.75, 0.0}));
}

TEST(Confusion, PrintsTheTableWithClassNames) {
  const Confusion confusion{{{2, 0, 0}, {0, 1, 1}, {1, 0, 1}}};
  EXPECT_EQ(format_confusion(confusion, {"cat", "dog", "ankle boot"}),
            "class       accuracy  images\n"
            "cat           1.0000       2\n"
            "dog           0.5000       2\n"
            "ankle boot    0.5000       2\n"
            "\n"
            "confusion matrix (rows: true class, columns: predicted, in the order above)\n"
            "cat            2     0     0\n"
            "dog            0     1     1\n"
            "ankle boot     1     0     1\n");
  EXPECT_THAT([&] {
    try {
      format_confusion(confusion, {"cat"});
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  }(), HasSubstr("expected 3 class names, but got 1"));
}

TEST(Confusion, TargetsOutOfRangeAndBadShapesAreErrors) {
  ConfusionCounter counter(3, Device::cpu());
  counter.add(logits_predicting({0, 1}), labels({3, -1}));
  try {
    counter.read();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("expected targets from 0 to 2, but 2 were outside that range"));
  }
  try {
    counter.add(logits_predicting({0, 1}), labels({0}));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("expected logits [N, 3] and int64 targets [N]"));
  }
}

}  // namespace
}  // namespace ember::tools
