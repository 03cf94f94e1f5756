#!/bin/sh
# `ember train --amp-dtype float16` (Note [Float16] in core/half.h): a short run trains with
# GradScaler and saves its loss scale in the checkpoint (scaler.*); the run resumed from it
# must start from that scale, and both must reach a real accuracy.
# Usage: amp_float16_resume.sh EMBER CHECKPOINT
set -u
ember=$1
checkpoint=$2
rm -f "$checkpoint"
common="--device cpu --batch-size 64 --schedule none --amp-dtype float16"
first=$("$ember" train $common --epochs 1 --limit 2048 --save "$checkpoint" 2>&1) || {
  echo "$first"; echo "FAIL: the first run failed"; exit 1; }
echo "$first"
ended=$(echo "$first" | sed -n 's/^ember train: loss scale \([0-9.e+]*\) at the end$/\1/p')
second=$("$ember" train $common --epochs 1 --limit 512 --resume "$checkpoint" 2>&1) || {
  echo "$second"; echo "FAIL: the resumed run failed"; exit 1; }
echo "$second"
started=$(echo "$second" | sed -n 's/.*float16 autocast, loss scale \([0-9.e+]*\) (from the checkpoint).*/\1/p')
[ -n "$ended" ] && [ "$ended" = "$started" ] || {
  echo "FAIL: the first run ended at loss scale '$ended', the resumed one started at '$started'"; exit 1; }
echo "$first" | grep -q "epoch 1: train loss [0-9.]*, test accuracy 0\.[5-9]" || { echo "FAIL: no accuracy"; exit 1; }
echo "$second" | grep -q "epoch 2: train loss [0-9.]*, test accuracy 0\.[5-9]" || { echo "FAIL: no accuracy"; exit 1; }
echo "ok: resumed at loss scale $started"
