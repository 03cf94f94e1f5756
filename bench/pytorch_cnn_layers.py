#!/usr/bin/env python3
"""PyTorch twin of build/bench/bench_cnn_layers (Debian's python3-torch, 2 threads): common
layers at training sizes, forward under no_grad and forward + backward: layer_norm,
group_norm, global average pooling, nearest and bilinear x2 upsampling, a 4x4 stride-2
convolution, a 3x3 stride-2 max pool, a 2x2 average pool, and the small CNN's second block
(conv, batch norm, ReLU, max pool) in float32, bfloat16 and float16 (a case whose op this
torch lacks for its dtype, as torch 1.13's CPU float16 layers, is reported as unsupported).
Prints the median of N timed runs after warm-up, in ms.

Usage: /usr/bin/python3 bench/pytorch_cnn_layers.py [--steps N] [--json]
"""
import torch
import torch.nn.functional as F

from twin_timing import run_twin


def cases():
    torch.manual_seed(0)
    ln_w, ln_b = torch.ones(256, requires_grad=True), torch.zeros(256, requires_grad=True)
    gn_w, gn_b = torch.ones(64, requires_grad=True), torch.zeros(64, requires_grad=True)
    conv_w = torch.randn(128, 64, 4, 4, requires_grad=True)
    all_cases = {
        "layer_norm_32x128x256": ((32, 128, 256), lambda x: F.layer_norm(x, (256,), ln_w, ln_b)),
        "group_norm_8_groups_32x64x32x32": ((32, 64, 32, 32), lambda x: F.group_norm(x, 8, gn_w, gn_b)),
        "adaptive_avg_pool2d_1x1_32x64x32x32": ((32, 64, 32, 32), lambda x: F.adaptive_avg_pool2d(x, 1)),
        "nearest_x2_32x64x16x16": ((32, 64, 16, 16), lambda x: F.interpolate(x, scale_factor=2.0)),
        "bilinear_x2_32x64x16x16": ((32, 64, 16, 16),
                                    lambda x: F.interpolate(x, scale_factor=2.0, mode="bilinear",
                                                            align_corners=False)),
        "conv2d_4x4_stride2_64to128_32x64x16x16": ((32, 64, 16, 16), lambda x: F.conv2d(x, conv_w, None, 2, 1)),
        "max_pool2d_3x3_stride2_pad1_32x64x32x32": ((32, 64, 32, 32), lambda x: F.max_pool2d(x, 3, 2, 1)),
        "avg_pool2d_2x2_32x64x32x32": ((32, 64, 32, 32), lambda x: F.avg_pool2d(x, 2)),
    }
    for dtype in (torch.float32, torch.bfloat16, torch.float16):
        all_cases.update(block_cases(dtype))
    return all_cases


def block_cases(dtype):
    """The small CNN's second block at batch 256, each layer on its own, parameters in dtype."""
    suffix = "_" + str(dtype).replace("torch.", "")
    w = (torch.randn(64, 32, 3, 3) * 0.1).to(dtype).requires_grad_()
    b = torch.zeros(64).to(dtype).requires_grad_()
    bn_w, bn_b = torch.ones(64).to(dtype).requires_grad_(), torch.zeros(64).to(dtype).requires_grad_()
    mean, var = torch.zeros(64).to(dtype), torch.ones(64).to(dtype)
    return {
        "conv2d_3x3_32to64_256x32x14x14" + suffix: ((256, 32, 14, 14), lambda x: F.conv2d(x, w, b, 1, 1), dtype),
        "batch_norm_train_256x64x14x14" + suffix:
            ((256, 64, 14, 14), lambda x: F.batch_norm(x, mean, var, bn_w, bn_b, True), dtype),
        "relu_256x64x14x14" + suffix: ((256, 64, 14, 14), F.relu, dtype),
        "max_pool2d_2x2_256x64x14x14" + suffix: ((256, 64, 14, 14), lambda x: F.max_pool2d(x, 2), dtype),
    }


def forward_no_grad(shape, op, dtype=torch.float32):
    def make():
        x = torch.randn(*shape).to(dtype)

        def step():
            with torch.no_grad():
                return op(x)
        return step
    return make


def forward_backward(shape, op, dtype=torch.float32):
    def make():
        x = torch.randn(*shape).to(dtype).requires_grad_()
        upstream = torch.randn(op(x).shape).to(dtype)

        def step():
            op(x).backward(upstream)
            return x.grad
        return step
    return make


def main():
    timed = {}
    for name, (shape, op, *dtype) in cases().items():
        timed[name + "_forward_ms"] = forward_no_grad(shape, op, *dtype)
        timed[name + "_forward_backward_ms"] = forward_backward(shape, op, *dtype)
    run_twin(timed, default_steps=30)


if __name__ == "__main__":
    main()
