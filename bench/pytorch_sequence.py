#!/usr/bin/env python3
"""PyTorch twin of build/bench/bench_sequence (Debian's python3-torch, 2 threads):
nn.MultiheadAttention(128, 4, batch_first=True) self-attention of 32 sequences of 64 tokens,
forward under no_grad (need_weights=False), forward with the averaged weights, and forward +
backward without weights; nn.LSTM(64, 128, num_layers=2) over 32 steps of batch 32, forward
under no_grad and forward + backward, and on 32 packed sequences of lengths 1..32 in shuffled
order (pack_padded_sequence with enforce_sorted=False, forward, pad_packed_sequence, backward);
F.ctc_loss of [50, 16, 20] log-softmaxed logits (input lengths 50, 48, ..., 20; targets of
10-20 labels), forward under no_grad and forward + backward. Prints the median of N timed runs after warm-up, in ms.

Usage: /usr/bin/python3 bench/pytorch_sequence.py [--steps N] [--json]
"""

import torch
import torch.nn as nn

from twin_timing import run_twin


def setup():
    torch.manual_seed(0)
    return nn.MultiheadAttention(128, 4, batch_first=True), torch.randn(32, 64, 128)


def forward_no_grad():
    mha, x = setup()

    def step():
        with torch.no_grad():
            return mha(x, x, x, need_weights=False)[0]
    return step


def forward_with_weights():
    mha, x = setup()

    def step():
        with torch.no_grad():
            return mha(x, x, x)[1]
    return step


def forward_backward():
    mha, x = setup()
    x.requires_grad_(True)

    def step():
        mha.zero_grad(set_to_none=True)
        x.grad = None
        mha(x, x, x, need_weights=False)[0].sum().backward()
        return x.grad
    return step


def lstm(backward):
    torch.manual_seed(0)
    model, x = nn.LSTM(64, 128, num_layers=2), torch.randn(32, 32, 64)
    x.requires_grad_(backward)

    def step():
        if not backward:
            with torch.no_grad():
                return model(x)[0]
        model.zero_grad(set_to_none=True)
        x.grad = None
        model(x)[0].sum().backward()
        return x.grad
    return step


def lstm_packed():
    torch.manual_seed(0)
    model, x = nn.LSTM(64, 128, num_layers=2), torch.randn(32, 32, 64)
    x.requires_grad_(True)
    lengths = torch.tensor([(i * 13) % 32 + 1 for i in range(32)])

    def step():
        model.zero_grad(set_to_none=True)
        x.grad = None
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
        nn.utils.rnn.pad_packed_sequence(model(packed)[0])[0].sum().backward()
        return x.grad
    return step


def ctc(backward):
    torch.manual_seed(0)
    logits = torch.randn(50, 16, 20, requires_grad=backward)
    input_lengths = torch.tensor([50 - 2 * n for n in range(16)])
    target_lengths = torch.tensor([10 + (n * 7) % 11 for n in range(16)])
    targets = torch.randint(1, 20, (16, 20))

    def step():
        if not backward:
            with torch.no_grad():
                return torch.nn.functional.ctc_loss(logits.log_softmax(2), targets, input_lengths, target_lengths)
        logits.grad = None
        torch.nn.functional.ctc_loss(logits.log_softmax(2), targets, input_lengths, target_lengths).backward()
        return logits.grad
    return step


def main():
    run_twin({
        "mha_forward_no_grad_ms": forward_no_grad,
        "mha_forward_with_weights_ms": forward_with_weights,
        "mha_forward_backward_ms": forward_backward,
        "lstm_forward_no_grad_ms": lambda: lstm(False),
        "lstm_forward_backward_ms": lambda: lstm(True),
        "lstm_packed_forward_backward_ms": lstm_packed,
        "ctc_forward_no_grad_ms": lambda: ctc(False),
        "ctc_forward_backward_ms": lambda: ctc(True),
    }, default_steps=30)


if __name__ == "__main__":
    main()
