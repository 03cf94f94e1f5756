// The Transform base class's printing, the argument types' reprs, Compose and Lambda.
#include "nn/transforms/transform.h"

#include "core/error.h"
#include "nn/transforms/image_batch.h"

namespace ember::transforms {

std::ostream& operator<<(std::ostream& os, const Transform& transform) { return os << transform.repr(); }

std::string IntOrList::repr() const {
  if (is_number) return std::to_string(values[0]);
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + "]";
}

std::string NumberOrList::repr() const {
  if (is_number) return detail::python_number(values[0]);
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + detail::python_number(values[i]);
  return s + "]";
}

Compose::Compose(std::vector<AnyTransform> transforms) : transforms_(std::move(transforms)) {}

Tensor Compose::operator()(const Tensor& images) const {
  Tensor x = images;
  for (const AnyTransform& t : transforms_) x = (*t)(x);
  return x;
}

std::string Compose::repr() const {
  std::string s = "Compose(";
  for (const AnyTransform& t : transforms_) {
    std::string inner = t->repr();
    // nested reprs (a Compose inside) keep their own lines, indented once more
    for (size_t pos = inner.find('\n'); pos != std::string::npos; pos = inner.find('\n', pos + 1))
      inner.insert(pos + 1, "    ");
    s += "\n    " + inner;
  }
  return s + "\n)";
}

Lambda::Lambda(std::function<Tensor(const Tensor&)> fn) : fn_(std::move(fn)) {
  EMBER_CHECK(static_cast<bool>(fn_), "Lambda: expected a callable, but got an empty function");
}

}  // namespace ember::transforms
