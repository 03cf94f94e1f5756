#!/bin/sh
# Note [Kill and resume]: `ember train` killed with SIGKILL at a random moment and then
# resumed from its --save checkpoint must end with a checkpoint byte-identical to an
# uninterrupted run's (model, optimizer, epoch and generator state). FLAGS (e.g.
# --optimizer adam, --schedule cosine; onecycle when they name none) go to every run.
# Usage: kill_and_resume.sh EMBER WORKDIR [EPOCHS [FLAGS...]]
set -u
ember=$1
dir=$2
epochs=${3:-3}
shift $(($# < 3 ? $# : 3))
mkdir -p "$dir"
whole="$dir/whole.safetensors"
killed="$dir/killed.safetensors"
rm -f "$whole" "$killed"
case " $* " in
  *" --schedule "*) schedule="" ;;  # FLAGS choose it
  *) schedule="--schedule onecycle" ;;
esac
common="--device cpu --limit 512 --batch-size 64 --seed 7 $schedule $*"

start=$(date +%s.%N)
"$ember" train $common --epochs "$epochs" --save "$whole" > /dev/null 2>&1 || { echo "FAIL: the uninterrupted run failed"; exit 1; }
took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')

# Kill at a random moment after the first checkpoint, within the epochs after it
# (seeded by the clock and pid), so that the resume from a checkpoint is exercised.
delay=$(awk -v t="$took" -v n="$epochs" -v seed="$$$(date +%N)" \
  'BEGIN { srand(seed % 2147483647); printf "%.2f", t / n * (n - 1) * 0.9 * rand() }')
"$ember" train $common --epochs "$epochs" --save "$killed" > /dev/null 2>&1 &
pid=$!
while [ ! -f "$killed" ] && kill -0 "$pid" 2> /dev/null; do sleep 0.1; done
sleep "$delay"
kill -KILL "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
done_epochs=0
if [ -f "$killed" ]; then
  done_epochs=$(grep -ao '"epoch":"[0-9]*"' "$killed" | head -1 | tr -dc '0-9')
fi
echo "uninterrupted run: ${took}s; killed ${delay}s after the first checkpoint, with $done_epochs of $epochs epochs saved"
left=$((epochs - done_epochs))
if [ "$left" -gt 0 ]; then
  resume=""
  [ "$done_epochs" -gt 0 ] && resume="--resume $killed"
  "$ember" train $common --epochs "$left" $resume --save "$killed" > /dev/null 2>&1 ||
    { echo "FAIL: the resumed run failed"; exit 1; }
fi
if cmp "$whole" "$killed"; then
  echo "ok: killed and resumed run is byte-identical to the uninterrupted one"
else
  echo "FAIL: the resumed run's checkpoint differs from the uninterrupted run's"
  exit 1
fi
