// Test helpers: expect an ember::Error whose message contains a phrase, and
// compare a tensor's values with an expected vector.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <ember/ember.h>

#define EXPECT_EMBER_ERROR(stmt, phrase)                                                   \
  do {                                                                                     \
    try {                                                                                  \
      stmt;                                                                                \
      ADD_FAILURE() << "expected ember::Error containing \"" << (phrase) << "\"";          \
    } catch (const ::ember::Error& e) {                                                    \
      EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos)                    \
          << "message was: " << e.what();                                                  \
    }                                                                                      \
  } while (0)

namespace ember::testing {

// A float64 leaf tensor that requires grad.
inline Tensor leaf(const std::vector<double>& values, const Dims& shape) {
  return tensor(values, shape, TensorOptions(kFloat64).requires_grad(true));
}

inline void expect_values(const Tensor& t, const std::vector<double>& expected, double tol = 1e-6) {
  auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << "at index " << i;
}

}  // namespace ember::testing
