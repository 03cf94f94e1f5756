// nn::Dropout / Dropout1d / Dropout2d / Dropout3d / AlphaDropout / FeatureAlphaDropout: thin
// wrappers over nn::functional's dropout forms with the module's training flag.
#include "nn/dropout.h"

#include <sstream>

#include "core/error.h"
#include "nn/functional/basic.h"
#include "nn/functional/random_layers.h"
#include "nn/repr.h"

namespace ember::nn {

Dropout::Dropout(std::string type_name, double prob, bool in_place)
    : Module(std::move(type_name)), p(prob), inplace(in_place) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "dropout probability has to be between 0 and 1, but got ", p);
}

Tensor Dropout::forward(const Tensor& input) { return functional::dropout(input, p, is_training(), inplace); }

std::string Dropout::eval_mode_effect() const {
  std::ostringstream os;
  os << type_name() << "(p=" << p << ") dropped nothing and did not scale by 1/(1-p)";
  return os.str();
}

std::string Dropout::extra_repr() const {
  std::ostringstream os;
  os << "p=" << detail::python_float(p) << ", inplace=" << (inplace ? "True" : "False");
  return os.str();
}

Tensor Dropout1d::forward(const Tensor& input) { return functional::dropout1d(input, p, is_training(), inplace); }

Tensor Dropout2d::forward(const Tensor& input) { return functional::dropout2d(input, p, is_training(), inplace); }

Tensor Dropout3d::forward(const Tensor& input) { return functional::dropout3d(input, p, is_training(), inplace); }

Tensor AlphaDropout::forward(const Tensor& input) {
  return functional::alpha_dropout(input, p, is_training(), inplace);
}

std::string AlphaDropout::eval_mode_effect() const {
  std::ostringstream os;
  os << type_name() << "(p=" << p << ") dropped nothing and applied no affine correction";
  return os.str();
}

Tensor FeatureAlphaDropout::forward(const Tensor& input) {
  return functional::feature_alpha_dropout(input, p, is_training(), inplace);
}

}  // namespace ember::nn
