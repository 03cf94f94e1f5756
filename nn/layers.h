// The layers of nn/ written as one include: Linear, Conv2d, BatchNorm1d/2d, InstanceNorm1d/2d/3d,
// LayerNorm, GroupNorm, Dropout/Dropout2d, Embedding, the activations, pooling, padding,
// Upsample, Unfold/Fold, Flatten, Identity and the containers (Sequential, ModuleList, ModuleDict).
#pragma once
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/container.h"
#include "nn/conv.h"
#include "nn/conv_transpose.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/fold.h"
#include "nn/instancenorm.h"
#include "nn/linear.h"
#include "nn/normalization.h"
#include "nn/padding.h"
#include "nn/pooling.h"
#include "nn/upsampling.h"
