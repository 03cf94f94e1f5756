// ember::transforms: torchvision's image transforms on batches (Note [Batched transforms]
// in transform.h). One include for all of them.
#pragma once

#include "nn/transforms/affine.h"
#include "nn/transforms/color.h"
#include "nn/transforms/normalize_erasing.h"
#include "nn/transforms/pad_crop_flip.h"
#include "nn/transforms/resize.h"
#include "nn/transforms/transform.h"
