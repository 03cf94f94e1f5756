// nn::functional, one include: the basics (linear and bilinear, activations and the further
// ones, dropout (alpha_dropout too), batch_norm, gumbel_softmax),
// layer_norm/group_norm/instance_norm/local_response_norm, conv/pool (2-D, 1-D and 3-D;
// lp_pool and fractional_max_pool too), max_unpool1d/2d/3d, unfold/fold,
// embedding/one_hot/embedding_bag, pad/interpolate, pixel and channel shuffles,
// affine_grid/grid_sample, distances (normalize, cosine_similarity, pairwise_distance, pdist),
// losses (ctc_loss too) and scaled_dot_product_attention.
#pragma once
#include "nn/functional/activation_more.h"
#include "nn/functional/attention.h"
#include "nn/functional/basic.h"
#include "nn/functional/bilinear.h"
#include "nn/functional/conv.h"
#include "nn/functional/conv3d.h"
#include "nn/functional/ctc_loss.h"
#include "nn/functional/distance.h"
#include "nn/functional/embedding.h"
#include "nn/functional/embedding_bag.h"
#include "nn/functional/fold.h"
#include "nn/functional/fractional_pool.h"
#include "nn/functional/grid_sample.h"
#include "nn/functional/interpolate.h"
#include "nn/functional/local_response_norm.h"
#include "nn/functional/loss.h"
#include "nn/functional/loss_more.h"
#include "nn/functional/lp_pool.h"
#include "nn/functional/norm.h"
#include "nn/functional/pad.h"
#include "nn/functional/pool1d.h"
#include "nn/functional/pool3d.h"
#include "nn/functional/random_layers.h"
#include "nn/functional/shuffle.h"
#include "nn/functional/unpool.h"
