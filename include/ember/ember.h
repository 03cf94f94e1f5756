// The umbrella header: #include <ember/ember.h> gives the whole public API.
#pragma once

#include "autograd/engine.h"
#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "autograd/saved_variable.h"
#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/factories.h"
#include "core/grad_mode.h"
#include "core/memory.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/scalar.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "core/tensor_options.h"
