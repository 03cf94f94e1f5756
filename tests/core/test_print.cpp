// Printing: exact PyTorch-style strings for each number mode, dtype, shape and suffix.
#include <cmath>
#include <sstream>

#include "support/helpers.h"

namespace ember {
namespace {

Tensor floats(std::vector<float> values, const Dims& sizes) { return tensor(values, sizes); }
Tensor floats(std::vector<float> values) { return tensor(values); }

TEST(PrintFloat, IntegralFixedAndScientific) {
  EXPECT_EQ(to_string(floats({1, 2, 3})), "tensor([1., 2., 3.])");
  EXPECT_EQ(to_string(floats({1.5, 2, 3, 4}, {2, 2})),
            "tensor([[1.5000, 2.0000],\n"
            "        [3.0000, 4.0000]])");
  EXPECT_EQ(to_string(floats({-1.5, 2})), "tensor([-1.5000,  2.0000])");
  EXPECT_EQ(to_string(floats({0, 0})), "tensor([0., 0.])");
  EXPECT_EQ(to_string(floats({-10, 200})), "tensor([-10., 200.])");
  EXPECT_EQ(to_string(floats({1e10f, 1})), "tensor([1.0000e+10, 1.0000e+00])");
  EXPECT_EQ(to_string(floats({0.00001f, 1.5f})), "tensor([1.0000e-05, 1.5000e+00])");
  EXPECT_EQ(to_string(floats({0.5f, 2000.5f})), "tensor([5.0000e-01, 2.0005e+03])");
  EXPECT_EQ(to_string(floats({0.1f, 0.25f})), "tensor([0.1000, 0.2500])");
}

TEST(PrintFloat, NanAndInf) {
  EXPECT_EQ(to_string(floats({1, NAN, INFINITY})), "tensor([1., nan, inf])");
  EXPECT_EQ(to_string(floats({1.5, NAN, -INFINITY})), "tensor([1.5000,    nan,   -inf])");
  EXPECT_EQ(to_string(floats({NAN})), "tensor([nan])");
}

TEST(PrintFloat, ZeroDimAndEmpty) {
  EXPECT_EQ(to_string(floats({3.5}, {})), "tensor(3.5000)");
  EXPECT_EQ(to_string(floats({2}, {})), "tensor(2.)");
  EXPECT_EQ(to_string(floats({}, {0})), "tensor([])");
  EXPECT_EQ(to_string(floats({}, {0, 3})), "tensor([], size=(0, 3))");
  EXPECT_EQ(to_string(tensor(std::vector<double>{}, {2, 0})), "tensor([], size=(2, 0), dtype=torch.float64)");
  EXPECT_EQ(to_string(tensor(std::vector<int64_t>{})), "tensor([], dtype=torch.int64)");
}

TEST(PrintOtherDtypes, IntegersAndBools) {
  EXPECT_EQ(to_string(tensor(std::vector<int64_t>{1, 2, 3})), "tensor([1, 2, 3])");
  EXPECT_EQ(to_string(tensor(std::vector<int64_t>{-5, 100})), "tensor([ -5, 100])");
  EXPECT_EQ(to_string(tensor(std::vector<int64_t>{7}, Dims{})), "tensor(7)");
  EXPECT_EQ(to_string(tensor(std::vector<bool>{true, false})), "tensor([ True, False])");
  EXPECT_EQ(to_string(tensor(std::vector<uint8_t>{1, 255})), "tensor([  1, 255], dtype=torch.uint8)");
  EXPECT_EQ(to_string(tensor(std::vector<double>{1, 2})), "tensor([1., 2.], dtype=torch.float64)");
}

TEST(PrintLayout, NestedDimsAndNonContiguousInput) {
  EXPECT_EQ(to_string(arange(0, 8, 1, kInt64).view({2, 2, 2})),
            "tensor([[[0, 1],\n"
            "         [2, 3]],\n"
            "\n"
            "        [[4, 5],\n"
            "         [6, 7]]])");
  EXPECT_EQ(to_string(tensor(std::vector<int64_t>{1, 2, 3, 4}, {2, 2}).t()),
            "tensor([[1, 3],\n"
            "        [2, 4]])");
}

TEST(PrintLayout, LongRowsWrapAtEightyColumns) {
  std::vector<float> values;
  for (int i = 0; i < 12; ++i) values.push_back(static_cast<float>(i) + 0.5f);
  EXPECT_EQ(to_string(floats(values)),
            "tensor([ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,\n"
            "         8.5000,  9.5000, 10.5000, 11.5000])");
  // A suffix that would pass column 80 goes on its own line.
  EXPECT_EQ(to_string(arange(0.5, 8, 1, kFloat64)),
            "tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000, 6.5000, 7.5000],\n"
            "       dtype=torch.float64)");
}

TEST(PrintLayout, SummarizesLargeTensors) {
  EXPECT_EQ(to_string(arange(0, 2000, 1, kInt64)), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
  EXPECT_EQ(to_string(arange(0, 2000, 1, kInt64).view({40, 50})),
            "tensor([[   0,    1,    2,  ...,   47,   48,   49],\n"
            "        [  50,   51,   52,  ...,   97,   98,   99],\n"
            "        [ 100,  101,  102,  ...,  147,  148,  149],\n"
            "        ...,\n"
            "        [1850, 1851, 1852,  ..., 1897, 1898, 1899],\n"
            "        [1900, 1901, 1902,  ..., 1947, 1948, 1949],\n"
            "        [1950, 1951, 1952,  ..., 1997, 1998, 1999]])");
  EXPECT_EQ(to_string(arange(2000.0)),
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
            "        1.9990e+03])");
  EXPECT_EQ(to_string(arange(0, 1000, 1, kInt64)).find("..."), std::string::npos);
}

TEST(PrintSuffixes, RequiresGradAndUndefined) {
  Tensor t = tensor(std::vector<float>{1, 2}, {2}, TensorOptions().requires_grad(true));
  EXPECT_EQ(to_string(t), "tensor([1., 2.], requires_grad=True)");
  Tensor d = tensor(std::vector<double>{1, 2}, {2}, TensorOptions().dtype(kFloat64).requires_grad(true));
  EXPECT_EQ(to_string(d), "tensor([1., 2.], dtype=torch.float64, requires_grad=True)");
  EXPECT_EQ(to_string(Tensor()), "[ Tensor (undefined) ]");
  std::ostringstream os;
  os << floats({1, 2, 3});
  EXPECT_EQ(os.str(), "tensor([1., 2., 3.])");
}

// torch.set_printoptions: each test puts PyTorch's default profile back.
struct DefaultPrintOptionsAfter {
  ~DefaultPrintOptionsAfter() { set_printoptions({.profile = "default"}); }
};

TEST(PrintOptions, PrecisionAndForcedNotation) {
  DefaultPrintOptionsAfter restore;
  set_printoptions({.precision = 2});
  EXPECT_EQ(to_string(floats({1.23456f, 2.5f})), "tensor([1.23, 2.50])");
  EXPECT_EQ(get_printoptions().precision, 2);
  // a forced notation keeps the width the automatic one chose, as PyTorch's _Formatter
  set_printoptions({.sci_mode = true});
  EXPECT_EQ(get_printoptions().precision, 2);  // unset fields keep their values
  EXPECT_EQ(to_string(floats({1.5f, 2})), "tensor([1.50e+00, 2.00e+00])");
  set_printoptions({.precision = 4, .sci_mode = false});
  EXPECT_EQ(to_string(floats({1e10f, 1})), "tensor([10000000000.,         1.])");  // integral: "1." padded
  EXPECT_EQ(to_string(floats({1e10f, 1.5f})), "tensor([10000000000.0000,     1.5000])");
  set_printoptions({});  // sci_mode unset again: automatic
  EXPECT_FALSE(get_printoptions().sci_mode.has_value());
  EXPECT_EQ(to_string(floats({1e10f, 1})), "tensor([1.0000e+10, 1.0000e+00])");
}

TEST(PrintOptions, SummarizingAndWrapping) {
  DefaultPrintOptionsAfter restore;
  set_printoptions({.threshold = 5, .edgeitems = 2});
  EXPECT_EQ(to_string(arange(10)), "tensor([0, 1,  ..., 8, 9])");  // PyTorch's " ..." item
  set_printoptions({.edgeitems = 0});
  EXPECT_EQ(to_string(arange(10)), "tensor([...])");
  set_printoptions({.profile = "full"});
  EXPECT_EQ(to_string(arange(2000)).find("..."), std::string::npos);
  set_printoptions({.profile = "short"});
  EXPECT_EQ(to_string(floats({1.23456f})), "tensor([1.23])");
  EXPECT_EQ(to_string(arange(2000)), "tensor([   0,    1,  ..., 1998, 1999])");
  set_printoptions({.linewidth = 20, .profile = "default"});
  EXPECT_EQ(to_string(arange(8)), "tensor([0, 1, 2, 3,\n        4, 5, 6, 7])");
  EXPECT_EMBER_ERROR(set_printoptions({.precision = -1}), "precision must be at least 0");
  EXPECT_EMBER_ERROR(set_printoptions({.linewidth = 0}), "linewidth must be at least 1");
  EXPECT_EMBER_ERROR(set_printoptions({.profile = "long"}), "profile must be");
  EXPECT_EQ(get_printoptions().linewidth, 20);  // a refused call changes nothing
}

}  // namespace
}  // namespace ember
