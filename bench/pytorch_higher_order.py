#!/usr/bin/env python3
"""PyTorch twin of build/bench/bench_higher_order (Debian's python3-torch, 2 threads):
one WGAN-GP critic step at batch 64 (critic loss + 10 x gradient penalty, Adam) and a
Hessian-vector product of a small classifier's cross_entropy, by hand and through
torch.autograd.functional (vhp, hvp, and an MLP's input-output jacobian), same shapes and steps.
Prints the median of N timed runs after warm-up, in ms.

Usage: /usr/bin/python3 bench/pytorch_higher_order.py [--steps N] [--json]
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from twin_timing import run_twin


def wgan_gp_step():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Conv2d(1, 32, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                           nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Flatten(),
                           nn.Linear(64 * 7 * 7, 1))
    adam = torch.optim.Adam(critic.parameters(), lr=1e-4)
    real, fake = torch.randn(64, 1, 28, 28), torch.randn(64, 1, 28, 28)
    alpha = torch.rand(64, 1, 1, 1)

    def step():
        adam.zero_grad(set_to_none=True)
        mixed = (alpha * real + (1.0 - alpha) * fake).requires_grad_(True)
        g, = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
        penalty = ((g.flatten(1).pow(2).sum(1).sqrt() - 1.0) ** 2).mean()
        loss = critic(fake).mean() - critic(real).mean() + penalty * 10.0
        loss.backward()
        adam.step()
        return loss.item()
    return step


def cross_entropy_hvp():
    torch.manual_seed(0)
    x = torch.randn(256, 784)
    targets = torch.randint(0, 10, (256,))
    w1 = (torch.randn(128, 784) * 0.03).requires_grad_(True)
    w2 = (torch.randn(10, 128) * 0.1).requires_grad_(True)
    v1, v2 = torch.randn(128, 784), torch.randn(10, 128)

    def step():
        loss = F.cross_entropy(F.linear(torch.tanh(F.linear(x, w1)), w2), targets)
        g1, g2 = torch.autograd.grad(loss, (w1, w2), create_graph=True)
        return torch.autograd.grad((g1 * v1).sum() + (g2 * v2).sum(), (w1, w2))
    return step


def functional_hessian_vector(product):
    torch.manual_seed(0)
    x = torch.randn(256, 784)
    targets = torch.randint(0, 10, (256,))
    weights = (torch.randn(128, 784) * 0.03, torch.randn(10, 128) * 0.1)
    v = (torch.randn(128, 784), torch.randn(10, 128))

    def loss(w1, w2):
        return F.cross_entropy(F.linear(torch.tanh(F.linear(x, w1)), w2), targets)
    return lambda: product(loss, weights, v)


def functional_jacobian():
    torch.manual_seed(0)
    w1, w2 = torch.randn(256, 64) * 0.1, torch.randn(10, 256) * 0.1
    x = torch.randn(16, 64)
    return lambda: torch.autograd.functional.jacobian(lambda t: F.linear(torch.tanh(F.linear(t, w1)), w2), x)


def main():
    run_twin({
        "wgan_gp_critic_step_batch64_ms": wgan_gp_step,
        "cross_entropy_hvp_ms": cross_entropy_hvp,
        "functional_vhp_ms": lambda: functional_hessian_vector(torch.autograd.functional.vhp),
        "functional_hvp_ms": lambda: functional_hessian_vector(torch.autograd.functional.hvp),
        "functional_jacobian_ms": functional_jacobian,
    }, default_steps=20)


if __name__ == "__main__":
    main()
