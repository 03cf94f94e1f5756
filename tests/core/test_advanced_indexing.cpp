// PyTorch's x[...] as libtorch's x.index({...}) / x.index_put_({...}, v) (Note [Indexing]):
// integer, bool-mask and mixed entries against hand-computed values, where the advanced dims
// land, gradients with repeated positions, writes through views, take / put_, and the errors.
#include <vector>

#include "support/helpers.h"

namespace ember {
namespace {

using indexing::Ellipsis;
using indexing::None;
using indexing::Slice;
using testing::error_of;
using testing::expect_values;

// x[i][j][k] = 12 i + 4 j + k, [2, 3, 4] float64.
Tensor cube() { return arange(24, TensorOptions(kFloat64)).reshape({2, 3, 4}); }

TEST(AdvancedIndexing, IntegerTensorsPickAlongTheirDims) {
  const Tensor x = cube();
  const Tensor rows = x.index({tensor({1, 0, 1})});
  EXPECT_EQ(rows.sizes(), (Dims{3, 3, 4}));
  EXPECT_TRUE(equal(rows.select(0, 1), x.select(0, 0)));
  EXPECT_TRUE(equal(rows.select(0, 2), x.select(0, 1)));
  const Tensor middle = x.index({Slice(), tensor({2, 0})});  // x[:, [2, 0]]
  EXPECT_EQ(middle.sizes(), (Dims{2, 2, 4}));
  expect_values(middle.select(2, 1), {9, 1, 21, 13}, 0.0);
  EXPECT_TRUE(equal(x.index({tensor({-1})}).squeeze(0), x.select(0, 1)));  // negative: from the end
  EXPECT_TRUE(equal(x[tensor({1})], x.index({tensor({1})})));
}

// Adjacent advanced dims keep their place; separated ones (by a slice) go first, as NumPy's.
TEST(AdvancedIndexing, WhereTheIndexedDimsLand) {
  const Tensor x = cube();
  const Tensor adjacent = x.index({Slice(), tensor({0, 2}), tensor({1, 3})});  // x[:, [0, 2], [1, 3]]
  EXPECT_EQ(adjacent.sizes(), (Dims{2, 2}));
  expect_values(adjacent, {1, 11, 13, 23}, 0.0);
  const Tensor apart = x.index({tensor({0, 1}), Slice(), tensor({3, 1})});  // x[[0, 1], :, [3, 1]]
  EXPECT_EQ(apart.sizes(), (Dims{2, 3}));
  expect_values(apart, {3, 7, 11, 13, 17, 21}, 0.0);
  // broadcast indices [2, 1] and [2]: B = [2, 2]
  const Tensor broadcast = x.index({tensor({0, 1}).reshape({2, 1}), 0, tensor({0, 3})});  // x[[[0], [1]], 0, [0, 3]]
  EXPECT_EQ(broadcast.sizes(), (Dims{2, 2}));
  expect_values(broadcast, {0, 3, 12, 15}, 0.0);
  const Tensor last = x.index({Ellipsis, tensor({0, 3})});  // x[..., [0, 3]]
  EXPECT_EQ(last.sizes(), (Dims{2, 3, 2}));
  expect_values(last.select(0, 1).select(0, 2), {20, 23}, 0.0);
}

TEST(AdvancedIndexing, MasksAndBasicEntries) {
  const Tensor x = cube();
  expect_values(x.index({x > 20.0}), {21, 22, 23}, 0.0);
  const Tensor mask = tensor(std::vector<double>{1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1}, {3, 4}) > 0.5;
  const Tensor picked = x.index({Slice(), mask});  // a 2-D mask over dims 1 and 2
  EXPECT_EQ(picked.sizes(), (Dims{2, 4}));
  expect_values(picked, {0, 3, 6, 11, 12, 15, 18, 23}, 0.0);
  // Basic entries alone are a view: x[0, 1:, None, ...]
  const Tensor view = x.index({0, Slice(1, None), None, Ellipsis});
  EXPECT_EQ(view.sizes(), (Dims{2, 1, 4}));
  EXPECT_TRUE(view.is_alias_of(x));
  expect_values(view.select(0, 0).select(0, 0), {4, 5, 6, 7}, 0.0);
  EXPECT_EQ(x.index({Slice(None, None, 2)}).size(0), 1);
  EXPECT_EQ(x.index({true}).sizes(), (Dims{1, 2, 3, 4}));
  EXPECT_EQ(x.index({false}).sizes(), (Dims{0, 2, 3, 4}));
  EXPECT_EQ(x.index({"..."}).sizes(), x.sizes());
}

// A bool is an advanced index on a new dim ([0] or []), a 0-dim int64 tensor a select, as
// PyTorch's TensorIndexing; values lose their leading size-1 dims first (x[0] = y.unsqueeze(0)).
TEST(AdvancedIndexing, BoolsZeroDimIndicesAndLeadingOnes) {
  const Tensor x = cube();
  EXPECT_EQ(x.index({true, 0, tensor({0, 1})}).sizes(), (Dims{2, 4}));
  EXPECT_EQ(x.index({full({}, 1.0, kBool), tensor({0, 1})}).sizes(), (Dims{2, 3, 4}));
  EXPECT_EMBER_ERROR(x.index({full({}, 0.0, kBool), tensor({0, 1})}), "must match the size of tensor");
  const Tensor one = full({}, 1.0, kInt64);
  EXPECT_EQ(x.index({one, Slice(), tensor({0, 1})}).sizes(), (Dims{3, 2}));  // select first: [3, 4], then [:, [0, 1]]
  EXPECT_TRUE(x.index({one}).is_alias_of(x));
  Tensor z = zeros({3, 2}, kFloat64);
  z.index_put_({tensor({0})}, ones({1, 1, 1, 2}, kFloat64));
  z.index_put_({2}, full({1, 2}, 3.0, kFloat64));
  expect_values(z, {1, 1, 0, 0, 3, 3}, 0.0);
  EXPECT_EMBER_ERROR(x.index({5}), "index 5 is out of bounds for dimension 0 with size 2");
  EXPECT_EMBER_ERROR(x.index({Slice(), -4}), "index -4 is out of bounds for dimension 1 with size 3");
  EXPECT_EMBER_ERROR(full({}, 1.0).index({0}), "invalid index of a 0-dim tensor. Use `tensor.item()`");
}

// The gradient adds up over repeated positions (index_select's backward).
TEST(AdvancedIndexing, GradientsAddUpOverRepeats) {
  Tensor x = cube().requires_grad_(true);
  x.index({tensor({1, 0, 1}), Slice(), tensor({0, 0, 3})}).sum().backward();
  const Tensor g = x.grad();
  EXPECT_EQ(g.select(0, 1).select(1, 0).sum().item<double>(), 3.0);  // x[1, :, 0] picked once, 3 rows
  EXPECT_EQ(g.select(0, 1).select(1, 3).sum().item<double>(), 3.0);
  EXPECT_EQ(g.select(0, 0).select(1, 0).sum().item<double>(), 3.0);
  EXPECT_EQ(g.sum().item<double>(), 9.0);
  Tensor y = tensor(std::vector<double>{1, 2, 3}, {3}, TensorOptions(kFloat64).requires_grad(true));
  y.index({tensor({2, 2, 0})}).sum().backward();
  expect_values(y.grad(), {1, 0, 2}, 0.0);
}

TEST(AdvancedIndexing, IndexPutWritesCopiesOrAdds) {
  Tensor z = zeros({3, 4}, kFloat64);
  z.index_put_({tensor({0, 2})}, full({4}, 5.0, kFloat64));
  expect_values(z.sum(Dims{1}), {20, 0, 20}, 0.0);
  z.index_put_({tensor({1, 1})}, ones({2, 4}, kFloat64), /*accumulate=*/true);  // repeats add up
  expect_values(z.select(0, 1), {2, 2, 2, 2}, 0.0);
  z.index_put_({z > 4.0}, 0.0);  // x[mask] = 0
  expect_values(z.sum(Dims{1}), {0, 8, 0}, 0.0);
  z.index_put_({Slice(), 1}, 7.0);  // basic entries: a copy into the view
  expect_values(z.select(1, 1), {7, 7, 7}, 0.0);
  // Several indices into a non-contiguous view: written through to its base.
  Tensor base = zeros({4, 3}, kFloat64);
  Tensor view = base.t();
  view.index_put_({tensor({0, 2}), tensor({1, 3})}, tensor(std::vector<double>{7, 8}));
  EXPECT_EQ(base.select(0, 1).select(0, 0).item<double>(), 7.0);
  EXPECT_EQ(base.select(0, 3).select(0, 2).item<double>(), 8.0);
  EXPECT_EQ(base.sum().item<double>(), 15.0);
  // The values' gradient is the incoming one at the written places.
  Tensor values = tensor(std::vector<double>{1, 2}, {2}, TensorOptions(kFloat64).requires_grad(true));
  const Tensor written = zeros({3}, kFloat64).index_put({tensor({2, 0})}, values);
  expect_values(written, {2, 0, 1}, 0.0);
  (written * tensor(std::vector<double>{1, 2, 3})).sum().backward();
  expect_values(values.grad(), {3, 1}, 0.0);
}

TEST(AdvancedIndexing, TakeAndPut) {
  const Tensor x = cube();
  expect_values(x.take(tensor({0, 5, -1})), {0, 5, 23}, 0.0);
  EXPECT_EQ(take(x, tensor({0, 5}).reshape({1, 2})).sizes(), (Dims{1, 2}));
  Tensor z = zeros({2, 3}, kFloat64);
  z.put_(tensor({0, 5}), tensor(std::vector<double>{1, 2}));
  expect_values(z, {1, 0, 0, 0, 0, 2}, 0.0);
  z.put_(tensor({1, 1}), tensor(std::vector<double>{1, 1}), /*accumulate=*/true);
  EXPECT_EQ(z.select(0, 0).select(0, 1).item<double>(), 2.0);
  Tensor strided = zeros({3, 2}, kFloat64).t();  // written through a copy
  strided.put_(tensor({1}), tensor(std::vector<double>{4}));
  EXPECT_EQ(strided.select(0, 0).select(0, 1).item<double>(), 4.0);
}

TEST(AdvancedIndexing, ErrorsUsePyTorchsPhrases) {
  Tensor x = cube();
  EXPECT_EMBER_ERROR(x.index({tensor({2})}), "index 2 is out of bounds for dimension 0 with size 2");
  EXPECT_EMBER_ERROR(x.index({Slice(), tensor({-4})}), "index -4 is out of bounds for dimension 1 with size 3");
  EXPECT_EMBER_ERROR(x.index({ones({3}, kBool)}), "The shape of the mask [3] at index 0 does not match");
  EXPECT_EMBER_ERROR(x.index({0, 0, 0, 0}), "too many indices for tensor of dimension 3");
  EXPECT_EMBER_ERROR(x.index({Ellipsis, Ellipsis}), "An index can only have a single ellipsis");
  EXPECT_EMBER_ERROR(x.index({ones({1})}), "tensors used as indices must be long, int, byte or bool tensors");
  EXPECT_EMBER_ERROR(x.index({Slice(0, 2, -1)}), "step must be greater than zero");
  EXPECT_EMBER_ERROR(x.index_put_({tensor({0})}, ones({1, 3, 4})),
                     "Index put requires the source and destination dtypes match, got Double for the destination "
                     "and Float for the source.");
  EXPECT_EMBER_ERROR(x.index_put_({tensor({0})}, ones({2, 4}, kFloat64)),
                     "shape mismatch: value tensor of shape [2, 4] cannot be broadcast to indexing result of shape");
  EXPECT_EMBER_ERROR(x.take(tensor({24})), "out of range: tried to access index 24 on a tensor of 24 elements.");
  EXPECT_EMBER_ERROR(x.take(ones({1})), "take(): Expected a long tensor for index");
  EXPECT_EMBER_ERROR(x.put_(tensor({0, 1}), ones({1}, kFloat64)),
                     "put_(): Expected source and index to have the same number of elements");
  EXPECT_EMBER_ERROR(x.put_(tensor({0}), ones({1})), "put_(): self and source expected to have the same dtype");
  EXPECT_EMBER_ERROR(zeros({0}).take(tensor({0})), "take(): tried to take from an empty tensor");
  EXPECT_EQ(error_of([&] { x.index({tensor({0})}); }), "<no error>");
}

}  // namespace
}  // namespace ember
