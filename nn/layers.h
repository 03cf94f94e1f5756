// The layers of nn/ written as one include: Linear, Bilinear, Conv1d/2d/3d, BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d,
// LayerNorm, RMSNorm, GroupNorm, LocalResponseNorm, Dropout/Dropout1d/2d/3d, AlphaDropout/FeatureAlphaDropout,
// Embedding, EmbeddingBag, the activations (and
// Softmax, LogSoftmax, Softmin, RReLU, Softmax2d), pooling (2-D, 1-D and 3-D, LPPool,
// FractionalMaxPool2d/3d) and MaxUnpool1d/2d/3d, padding, Upsample, Unfold/Fold, PixelShuffle/PixelUnshuffle, ChannelShuffle,
// Flatten/Unflatten, distances, the losses (CTCLoss too),
// AdaptiveLogSoftmaxWithLoss, RNN/LSTM/GRU (and cells), MultiheadAttention, TransformerEncoder(Layer), Identity and the containers
// (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict), and the lazy modules
// (LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*).
#pragma once
#include "nn/activation.h"
#include "nn/adaptive.h"
#include "nn/activation_more.h"
#include "nn/attention.h"
#include "nn/batchnorm.h"
#include "nn/container.h"
#include "nn/conv.h"
#include "nn/conv3d.h"
#include "nn/conv_transpose.h"
#include "nn/ctc_loss.h"
#include "nn/distance.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/fold.h"
#include "nn/fractional_pool.h"
#include "nn/instancenorm.h"
#include "nn/lazy.h"
#include "nn/linear.h"
#include "nn/local_response_norm.h"
#include "nn/lp_pool.h"
#include "nn/normalization.h"
#include "nn/padding.h"
#include "nn/pooling.h"
#include "nn/pooling1d.h"
#include "nn/pooling3d.h"
#include "nn/rearrange.h"
#include "nn/rnn.h"
#include "nn/transformer.h"
#include "nn/unpooling.h"
#include "nn/upsampling.h"
