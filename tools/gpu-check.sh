#!/usr/bin/env bash
# The GPU evidence run, on a GPU host without network (e.g. through the device tool), from
# programs built elsewhere (tools/gpu-host-bundle.sh --binaries BUILD .gpuhost): every CUDA
# test in its own process, `ember kernels`, `ember train/mem --device cuda`, the benchmarks
# with their PyTorch twins, compute-sanitizer. See Note [The GPU evidence run].
set -uo pipefail

# Note [The GPU evidence run]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~
# A session gets at most 15 minutes of GPU time, starts included, and the device tool
# returns at most 8 files from $OUT. So:
#  * PHASES picks what runs, in this order: env tests train bench sanitize (the default),
#    plus the opt-in interop (checkpoint read by PyTorch), cudabench (bench_cuda, the CUDA
#    runtime's benchmarks) and source (a from-source GPU-host build and its cuda tests).
#    Correctness comes first: benchmarks of kernels that fail their tests mean nothing.
#  * BUDGET (seconds, default 480) bounds the whole run: each step gets the smaller of its
#    own cap and what is left, so the script ends (and packs) inside the call's limit.
#  * Every CUDA test runs in its own process, 8 at a time: a kernel that faults poisons
#    only its own CUDA context, and the rest still report. A test that fails beside
#    others runs again alone, and both results are kept.
#  * Results collect in $RES; after every step they are packed into $OUT/gpu-check.tgz
#    and the key lines into $OUT/summary.txt (also printed last), so a run stopped at its
#    limit still returns what it did. tools/gpu-run-import.sh files them under
#    docs/gpu-runs/<date>-<commit>/.

OUT="${OUT:-/tmp/gpu-check-out}"
RES="${RES:-/tmp/gpu-check}"
PHASES=" ${PHASES:-env tests train bench sanitize} "
budget="${BUDGET:-480}"
rm -rf "$RES" && mkdir -p "$RES/tests" "$OUT"
bundle="$PWD/.gpuhost"
bin="$bundle/bin"
start=$(date +%s)
left() { echo $((budget - ($(date +%s) - start))); }
stamp() { echo "[$(($(date +%s) - start)) s] $*"; }
phase() { [[ "$PHASES" == *" $1 "* ]]; }
# Seconds for a step: its own cap, or what is left of the budget less 15 s for packing.
cap() {
  local room=$(($(left) - 15))
  if ((room < 5)); then room=5; fi
  echo $(($1 < room ? $1 : room))
}
# run_step FILE CAP CMD...: appends a stamp, the command's output and its exit status to $RES/FILE.
run_step() {
  local file="$RES/$1" limit
  limit=$(cap "$2")
  shift 2
  if (($(left) < 20)); then
    echo "skipped (budget spent): $*" >> "$file"
    return 0
  fi
  stamp "$* (limit ${limit} s)" >> "$file"
  timeout "$limit" "$@" >> "$file" 2>&1
  local rc=$?
  echo "exit $rc$( ((rc == 124)) && echo ' (timed out)')" >> "$file"
  return 0
}

# The host's own CUDA libraries: cuBLAS, cuDNN (the shim and its engines, one version),
# NVRTC and NCCL, from its CUDA toolkit or the nvidia-* wheels PyTorch brought.
find / \( -name 'libcublas.so.13*' -o -name 'libcudnn_graph.so.9*' -o -name 'libnvrtc.so.13*' \
  -o -name 'libnccl.so.2*' -o -name 'cudnn_version.h' \) -not -path '/proc/*' 2>/dev/null > "$RES/host_libs.txt"
host_dir() { dirname "$(grep -m1 "/$1" "$RES/host_libs.txt")" 2>/dev/null; }
cublas_dir=$(host_dir 'libcublas.so.13')
cudnn_dir=$(host_dir 'libcudnn_graph.so.9')
nvrtc_dir=$(host_dir 'libnvrtc.so.13')
nccl_dir=$(host_dir 'libnccl.so.2')
cudnn_include=$(host_dir 'cudnn_version.h')
export LD_LIBRARY_PATH="$bundle/runtime:/usr/local/cuda/lib64:${cublas_dir:-}:${cudnn_dir:-}:${nvrtc_dir:-}:${nccl_dir:-}:${LD_LIBRARY_PATH:-}"
export PATH="/usr/local/cuda/bin:$PATH"
if [[ -f "$bundle/prebuilt.tar.xz" ]]; then tar -C "$bundle" -xJf "$bundle/prebuilt.tar.xz"; fi
if [[ -f "$bundle/deps.tar.xz" ]]; then tar -C "$bundle" -xJf "$bundle/deps.tar.xz"; fi

# The Fashion-MNIST files carried in .gpudata (the test files stand in for the training
# set when only they came).
data=/tmp/ember-fm
mkdir -p "$data"
if [[ -f .gpudata/t10k-images-idx3-ubyte.gz ]]; then
  cp .gpudata/t10k-* "$data/"
  if [[ -f .gpudata/train-images-idx3-ubyte.gz ]]; then
    cp .gpudata/train-* "$data/"
  else
    ln -sf t10k-images-idx3-ubyte.gz "$data/train-images-idx3-ubyte.gz"
    ln -sf t10k-labels-idx1-ubyte.gz "$data/train-labels-idx1-ubyte.gz"
  fi
fi

summarize() {
  echo "gpu-check of commit $(cat "$bundle/commit.txt" 2>/dev/null || echo unknown), phases:$PHASES, $(($(date +%s) - start)) s of $budget"
  grep -m1 -A1 '^name' "$RES/env.txt" 2>/dev/null | tail -1
  grep -E 'not found|^torch' "$RES/env.txt" 2>/dev/null | head -5  # a library the programs cannot load
  if [[ -s "$RES/tests.txt" ]]; then grep -E '^(cuda tests|FAIL|CRASH|TIMEOUT|alone)' "$RES/tests.txt" | head -40; fi
  if [[ -s "$RES/kernels.txt" ]]; then grep -iE 'passed|failed|exit' "$RES/kernels.txt" | tail -3; fi
  if [[ -s "$RES/cudnn_plans_gpu.txt" ]]; then  # against the deviceless H200 tests' findings
    echo "--- cudnn_plans_gpu.txt: $(grep -c '^conv2d: ' "$RES/cudnn_plans_gpu.txt") conv summary," \
      "$(grep -c "ember's kernels" "$RES/cudnn_plans_gpu.txt") batch-norm cases with a graph cuDNN declines"
    grep -E '^conv2d: |no cuDNN plan' "$RES/cudnn_plans_gpu.txt" | head -5
  fi
  if [[ -s "$RES/cudnn_declines.txt" ]]; then
    echo "--- cudnn_declines.txt: $(grep -c 'cuDNN does not take\|first seen inside' "$RES/cudnn_declines.txt") declined cases"
    grep -o 'batch_norm[^;]*cuDNN does not take [^(]*' "$RES/cudnn_declines.txt" | sort | uniq -c | head -8
  fi
  if [[ -s "$RES/train_cuda.txt" ]]; then
    echo "bf16 convolutions without a cuDNN plan (float32 copies): $(grep -c 'no bfloat16 plan' "$RES/train_cuda.txt")"
  fi
  for f in train_cuda.txt bench_train.txt sanitize.txt interop.txt cudabench.txt source.txt; do
    [[ -s "$RES/$f" ]] || continue
    echo "--- $f"
    grep -E '^\[|^exit|accuracy|epoch [0-9]|ERROR SUMMARY|BM_epoch|BM_train_step|BM_eval|median|peak|saved|error|Error' "$RES/$f" |
      grep -v '^\[ RUN\|^\[       OK' | head -60
  done
}
pack() {
  summarize > "$OUT/summary.txt" 2>&1
  tar -czf "$OUT/gpu-check.tgz.part" -C "$RES" . && mv "$OUT/gpu-check.tgz.part" "$OUT/gpu-check.tgz"
}

if phase env; then
  {
    stamp "environment"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv
    for c in g++ cmake ninja nvcc compute-sanitizer python3; do echo "$c: $(command -v $c)"; done
    nvcc --version | tail -2
    python3 -c 'import torch; print("torch", torch.__version__, "cudnn", torch.backends.cudnn.version())'
    echo "cublas: $cublas_dir; cudnn: $cudnn_dir (headers: $cudnn_include); nvrtc: $nvrtc_dir; nccl: $nccl_dir"
    ldd "$bin/ember_cuda_tests" | grep -E "not found|cublas|cudart|cudnn|nvrtc|nccl|mpi"
  } > "$RES/env.txt" 2>&1
  pack
fi

# Each test alone in its process, 8 at a time (Note [The GPU evidence run]).
run_one_test() {
  local name=$1 log
  log="$RES/tests/$(echo "$name" | tr '/' '_').log"
  timeout 90 "$bin/ember_cuda_tests" --gtest_filter="$name" > "$log" 2>&1
  local rc=$?
  if ((rc == 0)) && grep -q '^\[  SKIPPED \]' "$log"; then echo "SKIP $name"
  elif ((rc == 0)); then echo "PASS $name"
  elif ((rc == 124)); then echo "TIMEOUT $name"
  elif ((rc == 1)) && grep -q '^\[  FAILED  \]' "$log"; then echo "FAIL $name"
  else echo "CRASH $name (exit $rc)"
  fi
}
export -f run_one_test
export RES bin

if phase tests; then
  stamp "cuda tests, one process each" > "$RES/tests.txt"
  "$bin/ember_cuda_tests" --gtest_list_tests | awk '/^[^ ]/{suite=$1} /^  /{print suite $1}' > "$RES/test_names.txt"
  timeout "$(cap 240)" xargs -P 8 -I{} bash -c 'run_one_test "$1"' _ {} < "$RES/test_names.txt" > "$RES/test_results.txt"
  # What failed beside other tests runs again alone, so a clash between processes shows as such.
  grep -E '^(FAIL|CRASH|TIMEOUT)' "$RES/test_results.txt" | awk '{print $2}' | while read -r name; do
    if (($(left) > 60)); then echo "alone: $(run_one_test "$name")"; fi
  done > "$RES/test_alone.txt"
  {
    echo "cuda tests: $(grep -c '^PASS' "$RES/test_results.txt") passed, $(grep -c '^SKIP' "$RES/test_results.txt") skipped," \
      "$(grep -cE '^(FAIL|CRASH|TIMEOUT)' "$RES/test_results.txt") failed of $(wc -l < "$RES/test_names.txt")" \
      "($(wc -l < "$RES/test_results.txt") ran)"
    grep -E '^(FAIL|CRASH|TIMEOUT)' "$RES/test_results.txt"
    cat "$RES/test_alone.txt"
    # The first lines of each failure: the assertion and the values.
    grep -E '^(FAIL|CRASH|TIMEOUT)' "$RES/test_results.txt" | awk '{print $2}' | head -20 | while read -r name; do
      echo "=== $name"
      grep -vE '^\[ *(RUN|OK|==========|----------|PASSED) ' "$RES/tests/$(echo "$name" | tr '/' '_').log" | head -25
    done
  } >> "$RES/tests.txt"
  # The GPU as cuDNN describes it (for the deviceless tests' H200 description, Note [cuDNN
  # plans without a GPU]) and which of ember's graphs it plans: kept whether it passed or not.
  cp "$RES/tests/CudnnPlansOnThisGpu.TheSameCasesPlanForTheRealDevice.log" "$RES/cudnn_plans_gpu.txt" 2>/dev/null
  # Logs are kept for the tests that did not pass (test_results.txt names every test).
  grep -E '^(PASS|SKIP)' "$RES/test_results.txt" | awk '{print $2}' | tr '/' '_' |
    while read -r log; do rm -f "$RES/tests/$log.log"; done
  pack
  run_step kernels.txt 60 "$bin/ember" kernels
  pack
fi

# Issues 9 and 14: 3 epochs on the GPU (the step captured as a CUDA graph by default),
# eagerly, with bf16 autocast; and `ember mem` on CUDA.
if phase train && [[ -f "$data/t10k-images-idx3-ubyte.gz" ]]; then
  # Which layer cases cuDNN declines (ember's kernels then run them), in both layouts.
  EMBER_LOG_LEVEL=debug run_step cudnn_declines.txt 60 "$bin/ember" train --device cuda --epochs 1 --limit 2048 \
    --data "$data"
  EMBER_LOG_LEVEL=debug run_step cudnn_declines.txt 60 "$bin/ember" train --device cuda --epochs 1 --limit 2048 \
    --memory-format channels_last --data "$data"
  run_step train_cuda.txt 150 "$bin/ember" train --device cuda --epochs 3 --data "$data" --json "$RES/train_cuda.json"
  pack
  # (debug: which convolutions cuDNN has no bf16 plan for, run on float32 copies)
  EMBER_LOG_LEVEL=debug run_step train_cuda.txt 120 "$bin/ember" train --device cuda --epochs 3 --amp --data "$data" \
    --json "$RES/train_cuda_amp.json"
  run_step train_cuda.txt 90 "$bin/ember" train --device cuda --epochs 2 --no-cuda-graph --data "$data" \
    --json "$RES/train_cuda_eager.json"
  run_step train_cuda.txt 60 "$bin/ember" train --device cuda --epochs 1 --memory-format channels_last --data "$data" \
    --json "$RES/train_cuda_channels_last.json"
  run_step train_cuda.txt 60 "$bin/ember" mem --device cuda --batch-size 256 --json "$RES/mem_cuda.json"
  run_step train_cuda.txt 60 "$bin/ember" mem --device cuda --batch-size 256 --amp
  run_step train_cuda.txt 60 "$bin/ember" mem --device cuda --batch-size 256 --checkpoint 3
  pack
fi

# Issues 9 and 14: ember's training benchmarks (steps, layers, 10k evaluation, whole
# epochs eager / graph / graph + bf16), then the PyTorch twins in the same run.
if phase bench; then
  run_step bench_train.txt 200 "$bin/bench_train_cuda" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_out="$RES/bench_train_cuda.json" --benchmark_out_format=json
  pack
  PYTHONUNBUFFERED=1 run_step bench_train.txt 150 bash -c \
    "python3 bench/pytorch_train.py --device cuda --sweep --data $data --json > $RES/pytorch_train_cuda.json"
  pack
  PYTHONUNBUFFERED=1 run_step bench_train.txt 240 bash -c "python3 bench/pytorch_epoch.py --json > $RES/pytorch_epoch.json"
  pack
fi

# compute-sanitizer on the layer kernels (racecheck) and on the new suites (memcheck).
if phase sanitize; then
  run_step sanitize.txt $(($(left) / 3)) compute-sanitizer --tool racecheck --error-exitcode 9 "$bin/ember_cuda_tests" \
    --gtest_brief=1 --gtest_filter='*conv2d*:*pool*:*batch_norm*:*dropout*:CudaLayerModes.*:CudaChannelsLast.*'
  pack
  run_step sanitize.txt $(($(left) - 30)) compute-sanitizer --tool memcheck --leak-check no --error-exitcode 9 \
    "$bin/ember_cuda_tests" --gtest_brief=1
  pack
fi

# Opt-in: `ember train --device auto` and its checkpoint read by PyTorch (safetensors).
if phase interop && [[ -f "$data/t10k-images-idx3-ubyte.gz" ]]; then
  run_step interop.txt 120 "$bin/ember" train --device auto --epochs 1 --limit 4096 --data "$data" --save /tmp/ember.safetensors
  run_step interop.txt 60 "$bin/ember" eval --load /tmp/ember.safetensors --data "$data"
  PYTHONUNBUFFERED=1 run_step interop.txt 60 python3 tools/check_safetensors_interop.py /tmp/ember.safetensors "$data"
  pack
fi

# Opt-in: the CUDA runtime's benchmarks (issue 5) and their twin.
if phase cudabench; then
  run_step cudabench.txt 150 "$bin/bench_cuda" --benchmark_repetitions=5 --benchmark_min_time=0.2 \
    --benchmark_report_aggregates_only=true
  PYTHONUNBUFFERED=1 run_step cudabench.txt 120 python3 bench/pytorch_cuda.py
  pack
fi

# Opt-in: a from-source build of the GPU-host configuration (-DEMBER_BLAS=OFF, bundled
# deps) and its cuda-labelled tests.
if phase source; then
  gen=Ninja; command -v ninja >/dev/null || gen="Unix Makefiles"
  run_step source.txt $(($(left) - 80)) bash -c "cmake -S . -B build-gpu -G '$gen' -DCMAKE_BUILD_TYPE=Release \
    -DEMBER_BLAS=OFF -DEMBER_BENCH=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH='$bundle' -DZLIB_ROOT='$bundle' \
    ${cudnn_include:+-DCUDNN_INCLUDE_DIR='$cudnn_include'} \
    ${cudnn_dir:+-DCUDNN_LIBRARY=$(ls "$cudnn_dir"/libcudnn.so* 2>/dev/null | head -1)} > $RES/source_build.log 2>&1 &&
    cmake --build build-gpu -j 14 --target ember_cuda_tests ember_cli >> $RES/source_build.log 2>&1; \
    tail -5 $RES/source_build.log"
  if [[ -x build-gpu/tests/ember_cuda_tests ]]; then
    run_step source.txt 60 bash -c "cd build-gpu && ctest -L cuda -j 8 --output-on-failure | tail -25"
  fi
  pack
fi

stamp "done" >> "$RES/env.txt"
pack
cat "$OUT/summary.txt"
