#!/bin/sh
# Note [A diverged run stops]: a good epoch is saved; a run with a learning rate that
# makes the loss non-finite, saving to the same path, must exit non-zero, say
# "training diverged" with a hint, and leave the good checkpoint byte for byte as it was.
# (Not --resume: a resumed optimizer takes its lr from the checkpoint, as in PyTorch.)
# Usage: diverged_run_keeps_checkpoint.sh EMBER WORKDIR
set -u
ember=$1
dir=$2
mkdir -p "$dir"
ckpt="$dir/diverge.safetensors"
rm -f "$ckpt"
common="--device cpu --limit 512 --batch-size 64 --schedule none"
"$ember" train $common --epochs 1 --save "$ckpt" || { echo "FAIL: the good epoch failed"; exit 1; }
before=$(cksum < "$ckpt")
out=$("$ember" train $common --epochs 2 --lr 1e308 --save "$ckpt" 2>&1)
rc=$?
printf '%s\n' "$out" | tail -5
[ "$rc" -ne 0 ] || { echo "FAIL: a diverged run exited 0"; exit 1; }
printf '%s\n' "$out" | grep -q "training diverged: .* at epoch 1, step [0-9]*.*lower --lr" ||
  { echo "FAIL: no divergence message"; exit 1; }
[ "$(cksum < "$ckpt")" = "$before" ] || { echo "FAIL: the good checkpoint was overwritten"; exit 1; }
echo "ok: diverged run stopped, checkpoint kept"
