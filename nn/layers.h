// The layers of nn/ written as one include: Linear, BatchNorm1d/2d, Dropout/Dropout2d,
// the activations, Flatten, Identity and Sequential.
#pragma once
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/container.h"
#include "nn/dropout.h"
#include "nn/linear.h"
