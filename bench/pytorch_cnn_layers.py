#!/usr/bin/env python3
"""PyTorch twin of build/bench/bench_cnn_layers (Debian's python3-torch, 2 threads): common
layers at training sizes, forward under no_grad and forward + backward: layer_norm,
group_norm, global average pooling, nearest and bilinear x2 upsampling, a 4x4 stride-2
convolution, a 3x3 stride-2 max pool and a 2x2 average pool. Prints the median of N timed
runs after warm-up, in ms.

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
    return {
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


def forward_no_grad(shape, op):
    def make():
        x = torch.randn(*shape)

        def step():
            with torch.no_grad():
                return op(x)
        return step
    return make


def forward_backward(shape, op):
    def make():
        x = torch.randn(*shape, requires_grad=True)
        upstream = torch.randn(op(x).shape)

        def step():
            op(x).backward(upstream)
            return x.grad
        return step
    return make


def main():
    timed = {}
    for name, (shape, op) in cases().items():
        timed[name + "_forward_ms"] = forward_no_grad(shape, op)
        timed[name + "_forward_backward_ms"] = forward_backward(shape, op)
    run_twin(timed, default_steps=30)


if __name__ == "__main__":
    main()
