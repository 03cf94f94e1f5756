// nn::functional, one include: the basics (linear, activations, dropout, batch_norm),
// layer_norm/group_norm/instance_norm, conv/pool, unfold/fold, embedding/one_hot,
// pad/interpolate and losses.
#pragma once
#include "nn/functional/basic.h"
#include "nn/functional/conv.h"
#include "nn/functional/embedding.h"
#include "nn/functional/fold.h"
#include "nn/functional/interpolate.h"
#include "nn/functional/loss.h"
#include "nn/functional/norm.h"
#include "nn/functional/pad.h"
