// cuda::GraphNodes (cuda/graph_nodes.h): how a captured graph's kernels are named in listings
// and how its nodes are summed up. Host code: runs on every machine.
#include <gtest/gtest.h>

#include "cuda/graph_nodes.h"

namespace {

using ember::cuda::GraphKernel;
using ember::cuda::GraphNodes;
using ember::cuda::kernel_display_name;

TEST(GraphNodeNames, EmberKernelsLoseTheirNamespacesReturnTypeAndParameters) {
  // nvcc's device symbol of cuda/batch_norm.cu's kernel: void ember::cuda_kernels::(anonymous
  // namespace)::stats_partial_kernel<float>(float const*, double*, ember::cuda_kernels::bn_threads::Shape, long)
  EXPECT_EQ(kernel_display_name("_ZN5ember12cuda_kernels46_GLOBAL__N__95d77a0c_13_batch_norm_cu_caf1453d20stats_"
                                "partial_kernelIfEEvPKT_PdNS0_10bn_threads5ShapeEl"),
            "stats_partial_kernel<float>");
}

TEST(GraphNodeNames, TemplateArgumentsWithParenthesesStay) {
  // void ember::k<void (*)(int)>(int)
  EXPECT_EQ(kernel_display_name("_ZN5ember1kIPFviEEEvi"), "k<void (*)(int)>");
}

TEST(GraphNodeNames, CNamesStayAsTheyAre) {
  EXPECT_EQ(kernel_display_name("sm90_xmma_fprop_implicit_gemm_f32f32_tf32f32_f32_nhwckrsc_nchw"),
            "sm90_xmma_fprop_implicit_gemm_f32f32_tf32f32_f32_nhwckrsc_nchw");
  EXPECT_EQ(kernel_display_name(""), "");
}

TEST(GraphNodeNames, LongNamesAreCut) {
  const std::string name = kernel_display_name(std::string(400, 'a'));
  EXPECT_EQ(name.size(), 160u);
  EXPECT_EQ(name.substr(157), "...");
}

TEST(GraphNodeSummary, CountsEveryKindInOneLine) {
  GraphNodes nodes;
  EXPECT_EQ(nodes.summary(), "0 nodes: 0 kernels, 0 memsets, 0 copies, 0 other");
  nodes.kernels = {GraphKernel{"a", 1, 32}, GraphKernel{"b", 2, 64}};
  nodes.memsets = 1;
  nodes.copies = 1;
  nodes.other = 3;
  EXPECT_EQ(nodes.total(), 7);
  EXPECT_EQ(nodes.summary(), "7 nodes: 2 kernels, 1 memset, 1 copy, 3 other");
}

}  // namespace
