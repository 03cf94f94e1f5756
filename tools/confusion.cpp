// Confusion counts on the device (one scatter_add per batch) and their report.
#include "tools/confusion.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/ops.h"

namespace ember::tools {

ConfusionCounter::ConfusionCounter(int64_t classes, Device dev)
    : classes_(classes), counts_(zeros({classes * classes + 1}, TensorOptions(kInt64).device(dev))) {
  EMBER_CHECK(classes > 0, "ConfusionCounter: expected a positive number of classes, but got ", classes);
}

void ConfusionCounter::add(const Tensor& logits, const Tensor& targets) {
  EMBER_CHECK(logits.dim() == 2 && logits.size(1) == classes_ && targets.dim() == 1 &&
                  targets.size(0) == logits.size(0) && targets.dtype() == kInt64,
              "ConfusionCounter: expected logits [N, ", classes_, "] and int64 targets [N], but got ", logits.sizes(),
              " and ", dtype_name(targets.dtype()), " ", targets.sizes());
  const NoGradGuard no_grad;
  const Tensor cell = targets * classes_ + logits.argmax(1);
  const Tensor in_range = (targets >= 0) & (targets < classes_);
  const Tensor index = where(in_range, cell, Scalar(classes_ * classes_));  // out of range: the last slot
  counts_.scatter_add_(0, index, ones_like(index));
}

std::vector<std::vector<int64_t>> ConfusionCounter::read() const {
  const std::vector<int64_t> flat = counts_.to(Device::cpu()).to_vector<int64_t>();
  EMBER_CHECK(flat.back() == 0, "ConfusionCounter: expected targets from 0 to ", classes_ - 1, ", but ",
              flat.back(), " were outside that range");
  std::vector<std::vector<int64_t>> counts(static_cast<size_t>(classes_));
  for (int64_t t = 0; t < classes_; ++t)
    counts[static_cast<size_t>(t)].assign(flat.begin() + t * classes_, flat.begin() + (t + 1) * classes_);
  return counts;
}

int64_t Confusion::total() const {
  int64_t n = 0;
  for (const auto& row : counts)
    for (int64_t c : row) n += c;
  return n;
}

double Confusion::accuracy() const {
  int64_t correct = 0;
  for (size_t t = 0; t < counts.size(); ++t) correct += counts[t][t];
  const int64_t n = total();
  return n ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
}

std::vector<double> Confusion::per_class_accuracy() const {
  std::vector<double> out;
  for (size_t t = 0; t < counts.size(); ++t) {
    int64_t n = 0;
    for (int64_t c : counts[t]) n += c;
    out.push_back(n ? static_cast<double>(counts[t][t]) / static_cast<double>(n) : 0.0);
  }
  return out;
}

std::string format_confusion(const Confusion& confusion, const std::vector<std::string>& names) {
  const size_t classes = confusion.counts.size();
  EMBER_CHECK(names.size() == classes, "format_confusion: expected ", classes, " class names, but got ", names.size());
  size_t width = 5;  // "class"
  for (const std::string& name : names) width = std::max(width, name.size());
  const auto pad = [&](const std::string& s) { return s + std::string(width - std::min(width, s.size()), ' '); };
  const std::vector<double> accuracy = confusion.per_class_accuracy();
  std::string out = pad("class") + "  accuracy  images\n";
  char line[64];
  for (size_t t = 0; t < classes; ++t) {
    int64_t n = 0;
    for (int64_t c : confusion.counts[t]) n += c;
    std::snprintf(line, sizeof line, "  %8.4f  %6lld\n", accuracy[t], static_cast<long long>(n));
    out += pad(names[t]) + line;
  }
  out += "\nconfusion matrix (rows: true class, columns: predicted, in the order above)\n";
  for (size_t t = 0; t < classes; ++t) {
    out += pad(names[t]);
    for (int64_t c : confusion.counts[t]) {
      std::snprintf(line, sizeof line, " %5lld", static_cast<long long>(c));
      out += line;
    }
    out += "\n";
  }
  return out;
}

}  // namespace ember::tools
