#!/usr/bin/env bash
# The GPU evidence run, on a GPU host without network (e.g. through the device tool), from
# programs built elsewhere (tools/gpu-host-bundle.sh --binaries BUILD .gpuhost): every CUDA
# test in its own process, `ember kernels`, `ember train/mem --device cuda`, the benchmarks
# with their PyTorch twins, compute-sanitizer. See Note [The GPU evidence run].
set -uo pipefail

# Note [The GPU evidence run]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~
# A session gets at most 15 minutes of GPU time, starts (60-120 s each) included; a
# machine stays warm only ~30 s after a call, and the device tool returns at most 8 files
# from $OUT. So:
#  * PHASES picks what runs, in this order: env tests train bench sanitize (the default),
#    plus the opt-in interop (checkpoint read by PyTorch), cudabench (bench_cuda, the CUDA
#    runtime's benchmarks) and source (a from-source GPU-host build and its cuda tests).
#    Correctness comes first: benchmarks of kernels that fail their tests mean nothing.
#  * BUDGET (seconds, default 360) bounds the whole run: each step gets the smaller of its
#    own cap and what is left less 15 s (never under 1 s), and is killed 10 s after its
#    TERM at the latest, so the script ends (and packs) inside a call whose timeout_s is
#    BUDGET + 40 or more. The plan (docs/gpu-status.md, "Next run"): one call with the
#    default BUDGET=360 (timeout_s 420) for env, tests, train and bench, sanitize if time
#    is left; then, only while that machine is still warm, PHASES=sanitize BUDGET=180
#    (timeout_s 220); otherwise give the machine back. compute-sanitizer runs a few
#    representative suites (a --gtest_filter), each tool under its own cap (75 s), never
#    the whole binary.
#  * Every CUDA test runs in its own process, 8 at a time: a kernel that faults poisons
#    only its own CUDA context, and the rest still report. A test's own timeout runs in
#    the foreground (--foreground), so the phase's timeout, when it fires, ends the tests
#    still running with it instead of leaving them orphaned beside the next steps. A test
#    that fails beside others runs again alone (the first 10, each within what is left of
#    the budget less 60 s), and both results and both logs are kept.
#  * The programs run with the bundle's libraries and the host's cuBLAS/cuDNN/NVRTC/NCCL
#    prepended to LD_LIBRARY_PATH; the Python steps run with the host's own
#    LD_LIBRARY_PATH, so PyTorch loads the CUDA libraries it was built with.
#  * Results collect in $RES; after every step they are packed into $OUT/gpu-check.tgz
#    and the key lines into $OUT/summary.txt (also printed last), so a run stopped at its
#    limit still returns what it did. A failing test's log is kept up to 1 MiB, and were
#    the archive still over 15 MiB (the tool returns files up to 16 MiB) it is packed
#    without tests/. Nothing else is written to $OUT. tools/gpu-run-import.sh files them
#    under docs/gpu-runs/<date>-<commit>/.

OUT="${OUT:-/tmp/gpu-check-out}"
RES="${RES:-/tmp/gpu-check}"
PHASES=" ${PHASES:-env tests train bench sanitize} "
budget="${BUDGET:-360}"
rm -rf "$RES" && mkdir -p "$RES/tests" "$OUT"
bundle="$PWD/.gpuhost"
bin="$bundle/bin"
start=$(date +%s)
left() { echo $((budget - ($(date +%s) - start))); }
stamp() { echo "[$(($(date +%s) - start)) s] $*"; }
phase() { [[ "$PHASES" == *" $1 "* ]]; }
# Seconds for a step: its own cap, or what is left of the budget less 15 s for packing,
# at least 1 (`timeout 0` would mean no limit at all).
cap() {
  local room=$(($(left) - 15)) want=$1
  if ((want > room)); then want=$room; fi
  if ((want < 1)); then want=1; fi
  echo "$want"
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
  timeout -k 10 "$limit" "$@" < /dev/null >> "$file" 2>&1
  local rc=$?
  local why=""
  if ((rc == 124)); then why=" (timed out)"; elif ((rc == 137)); then why=" (killed: past its limit, or out of memory)"; fi
  echo "exit $rc$why" >> "$file"
  return 0
}

# The host's own CUDA libraries: cuBLAS, cuDNN (the shim and its engines, one version),
# NVRTC and NCCL, from its CUDA toolkit or the nvidia-* wheels PyTorch brought. Looked for
# where they live (/usr, /opt, the site-packages that hold torch), bounded; the whole file
# system (less /proc, /sys, /dev) only when none was found there.
host_ld="${LD_LIBRARY_PATH-}"  # the host's own, for the Python steps
host_ld_set="${LD_LIBRARY_PATH+set}"
torch_site=$(timeout -k 5 30 python3 -c 'import importlib.util, os; s = importlib.util.find_spec("torch"); print(os.path.dirname(os.path.dirname(s.origin)) if s and s.origin else "")' 2>/dev/null)
roots=(/usr /opt)
if [[ -d "$torch_site" && "$torch_site" != /usr/* && "$torch_site" != /opt/* ]]; then roots+=("$torch_site"); fi
libs=(\( -name 'libcublas.so.13*' -o -name 'libcudnn_graph.so.9*' -o -name 'libnvrtc.so.13*' -o -name 'libnccl.so.2*' \
  -o -name 'cudnn_version.h' \))
timeout -k 5 60 find "${roots[@]}" "${libs[@]}" -print 2>/dev/null > "$RES/host_libs.txt"
if [[ ! -s "$RES/host_libs.txt" ]]; then
  timeout -k 5 60 find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o "${libs[@]}" -print 2>/dev/null > "$RES/host_libs.txt"
fi
host_dir() { dirname "$(grep -m1 "/$1" "$RES/host_libs.txt")" 2>/dev/null; }
cublas_dir=$(host_dir 'libcublas.so.13')
cudnn_dir=$(host_dir 'libcudnn_graph.so.9')
nvrtc_dir=$(host_dir 'libnvrtc.so.13')
nccl_dir=$(host_dir 'libnccl.so.2')
cudnn_include=$(host_dir 'cudnn_version.h')
ld_path="$bundle/runtime:/usr/local/cuda/lib64"
for d in "$cublas_dir" "$cudnn_dir" "$nvrtc_dir" "$nccl_dir" "$host_ld"; do  # no empty entries: they mean "."
  if [[ -n "$d" ]]; then ld_path+=":$d"; fi
done
export LD_LIBRARY_PATH="$ld_path"
export PATH="/usr/local/cuda/bin:$PATH"
# Prefix of the Python steps: the host's LD_LIBRARY_PATH as it was (or none, as it was).
if [[ -n "$host_ld_set" ]]; then py_env=(env "LD_LIBRARY_PATH=$host_ld"); else py_env=(env -u LD_LIBRARY_PATH); fi
if [[ -f "$bundle/prebuilt.tar.xz" ]]; then tar -C "$bundle" -xJf "$bundle/prebuilt.tar.xz"; fi
if [[ -f "$bundle/deps.tar.xz" ]]; then tar -C "$bundle" -xJf "$bundle/deps.tar.xz"; fi

# The Fashion-MNIST files carried in .gpudata, as .gz or as the xz that tools/gpu-data.sh
# packs (4 MiB less of the device tool's 64; made .gz again here, which ember reads). The
# test files stand in for the training set when only they came.
data=/tmp/ember-fm
mkdir -p "$data"
for f in .gpudata/*-ubyte.gz; do
  if [[ -f "$f" ]]; then cp "$f" "$data/"; fi
done
for packed in .gpudata/*-ubyte.xz; do
  if [[ -f "$packed" ]] && ! { xz -dc "$packed" | gzip -1 > "$data/$(basename "$packed" .xz).gz"; }; then
    echo "gpu-check: could not unpack $packed" >&2
    rm -f "$data/$(basename "$packed" .xz).gz"
  fi
done
if [[ -f "$data/t10k-images-idx3-ubyte.gz" && ! -f "$data/train-images-idx3-ubyte.gz" ]]; then
  ln -sf t10k-images-idx3-ubyte.gz "$data/train-images-idx3-ubyte.gz"
  ln -sf t10k-labels-idx1-ubyte.gz "$data/train-labels-idx1-ubyte.gz"
fi

summarize() {
  echo "gpu-check of commit $(cat "$bundle/commit.txt" 2>/dev/null || echo unknown), phases:$PHASES, $(($(date +%s) - start)) s of $budget"
  grep -m1 -A1 '^name' "$RES/env.txt" 2>/dev/null | tail -1
  # A library the programs cannot load, PyTorch's version or why it did not import.
  grep -E 'not found|^torch|Error|error:|exit [0-9]' "$RES/env.txt" 2>/dev/null | head -8
  if [[ -s "$RES/tests.txt" ]]; then grep -E '^(cuda tests|FAIL|CRASH|TIMEOUT|CUT|alone)' "$RES/tests.txt" | head -40; fi
  if [[ -s "$RES/kernels.txt" ]]; then grep -iE 'passed|failed|exit' "$RES/kernels.txt" | tail -3; fi
  if [[ -s "$RES/cudnn_plans_gpu.txt" ]]; then  # against the deviceless H200 tests' findings
    echo "--- cudnn_plans_gpu.txt: $(grep -c '^conv2d: ' "$RES/cudnn_plans_gpu.txt") conv summary," \
      "$(grep -c "ember's kernels" "$RES/cudnn_plans_gpu.txt") batch-norm cases with a graph cuDNN declines"
    grep -E '^conv2d: |no cuDNN plan' "$RES/cudnn_plans_gpu.txt" | head -5
  fi
  if [[ -s "$RES/cudnn_declines.txt" ]]; then
    echo "--- cudnn_declines.txt: $(grep -c 'cuDNN does not take\|first seen inside' "$RES/cudnn_declines.txt") declined cases"
    grep -o 'batch_norm[^;]*cuDNN does not take [^(]*' "$RES/cudnn_declines.txt" | sort | uniq -c | head -8
    # What a replay of the captured step launches (cuda::Graph's debug listing at capture).
    grep -m2 'CUDA graph captured on' "$RES/cudnn_declines.txt"
  fi
  if [[ -s "$RES/train_cuda.txt" ]]; then
    echo "bf16 convolutions without a cuDNN plan (float32 copies): $(grep -c 'no bfloat16 plan' "$RES/train_cuda.txt")"
  fi
  for f in train_cuda.txt bench_train.txt sanitize.txt interop.txt cudabench.txt source.txt; do
    [[ -s "$RES/$f" ]] || continue
    echo "--- $f"
    grep -E '^\[|^exit|^skipped|accuracy|epoch [0-9]|BM_epoch|BM_train_step|BM_eval|median|peak|saved|error|Error|^=========.*(Invalid|Race|Uninitiali[sz]ed|SUMMARY)' "$RES/$f" |
      grep -v '^\[ RUN\|^\[       OK' | head -60
  done
}
# The archive of $RES, replaced only when the new one is whole. GNU tar exits 1 when a file
# changed or vanished while it read it (the archive is still usable), 2 on a real failure.
pack_tgz() {
  tar --warning=no-file-changed --warning=no-file-removed -czf "$OUT/gpu-check.tgz.part" -C "$RES" "$@" .
  local rc=$?
  if ((rc <= 1)); then mv -f "$OUT/gpu-check.tgz.part" "$OUT/gpu-check.tgz"; else rm -f "$OUT/gpu-check.tgz.part"; fi
  return $((rc > 1))
}
pack() {
  summarize > "$OUT/summary.txt" 2>&1
  if ! pack_tgz; then echo "gpu-check.tgz: tar failed; the archive is an earlier one" >> "$OUT/summary.txt"; fi
  if (($(stat -c %s "$OUT/gpu-check.tgz" 2>/dev/null || echo 0) > 15 * 1024 * 1024)); then
    pack_tgz --exclude=./tests
    echo "gpu-check.tgz: packed without tests/ (the failing tests' logs), over 15 MiB with them" >> "$OUT/summary.txt"
  fi
}

if phase env; then
  {
    stamp "environment"
    timeout -k 5 30 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem,compute_cap \
      --format=csv || echo "nvidia-smi: exit $?"
    # The programs hold machine code for these architectures only (the gpuhost preset: sm_90).
    echo "CUDA code in the programs: $(cat "$bundle/cuda-archs.txt" 2>/dev/null || echo unknown)"
    for c in g++ cmake ninja nvcc compute-sanitizer python3; do echo "$c: $(command -v $c)"; done
    timeout -k 5 30 nvcc --version | tail -2
    "${py_env[@]}" timeout -k 5 30 python3 -c \
      'import torch; print("torch", torch.__version__, "cudnn", torch.backends.cudnn.version())' ||
      echo "python3 -c 'import torch': exit $?"
    echo "cublas: $cublas_dir; cudnn: $cudnn_dir (headers: $cudnn_include); nvrtc: $nvrtc_dir; nccl: $nccl_dir"
    if [[ -n "$host_ld_set" ]]; then py_ld="${host_ld:-(empty)}"; else py_ld="(unset)"; fi
    echo "host LD_LIBRARY_PATH (the Python steps'): $py_ld"
    ldd "$bin/ember_cuda_tests" | grep -E "not found|cublas|cudart|cudnn|nvrtc|nccl|mpi"
  } > "$RES/env.txt" 2>&1
  pack
fi

# Each test alone in its process, 8 at a time (Note [The GPU evidence run]).
# run_one_test NAME [LIMIT [SUFFIX]]: prints the verdict; the log is tests/NAME[SUFFIX].log.
run_one_test() {
  local name=$1 limit=${2:-90} log
  log="$RES/tests/$(echo "$name" | tr '/' '_')${3:-}.log"
  timeout --foreground -k 5 "$limit" "$bin/ember_cuda_tests" --gtest_filter="$name" < /dev/null > "$log" 2>&1
  local rc=$?
  if ((rc == 0)) && grep -q '^\[  SKIPPED \]' "$log"; then echo "SKIP $name"
  elif ((rc == 0)); then echo "PASS $name"
  elif ((rc == 124)); then echo "TIMEOUT $name (${limit} s)"
  elif ((rc == 137)); then echo "TIMEOUT $name (exit 137: killed, after ignoring TERM or out of memory)"
  elif ((rc == 1)) && grep -q '^\[  FAILED  \]' "$log"; then echo "FAIL $name"
  else echo "CRASH $name (exit $rc)"
  fi
}
export -f run_one_test
export RES bin
log_of() { echo "$RES/tests/$(echo "$1" | tr '/' '_')$2.log"; }

if phase tests; then
  stamp "cuda tests, one process each" > "$RES/tests.txt"
  timeout -k 5 30 "$bin/ember_cuda_tests" --gtest_list_tests < /dev/null 2> "$RES/test_list_errors.txt" |
    awk '/^[^ ]/{suite=$1} /^  /{print suite $1}' > "$RES/test_names.txt"
  list_rc=${PIPESTATUS[0]}
  if ((list_rc != 0)); then
    echo "cuda tests: listing them failed (exit $list_rc): $(head -c 300 "$RES/test_list_errors.txt" | tr '\n' ' ')" >> "$RES/tests.txt"
  fi
  tests_limit=$(cap 240)
  # The phase's timeout leads its own process group, which holds every test process (their
  # timeouts run in the foreground); what is left of that group once it returns, a process
  # that ignored TERM, is killed with it.
  # shellcheck disable=SC2016  # $1 is the inner shell's (the test's name)
  timeout -k 10 "$tests_limit" xargs -P 8 -I{} bash -c 'run_one_test "$1"' _ {} < "$RES/test_names.txt" \
    > "$RES/test_results.txt" &
  tests_pid=$!
  wait "$tests_pid"
  xargs_rc=$?
  kill -KILL -- "-$tests_pid" 2>/dev/null
  if ((xargs_rc == 124 || xargs_rc == 137)); then
    echo "cuda tests: the phase stopped at its limit of $tests_limit s (its running tests with it)" >> "$RES/tests.txt"
  fi
  # What failed beside other tests runs again alone, so a clash between processes shows as
  # such: the first 10, each within what is left of the budget less 60 s (at most 90 s).
  failed=$(grep -cE '^(FAIL|CRASH|TIMEOUT)' "$RES/test_results.txt")
  reran=0
  while read -r name; do
    limit=$(($(left) - 60))
    if ((limit > 90)); then limit=90; fi
    if ((limit < 10)); then echo "alone: no more reruns, too little of the budget is left"; break; fi
    echo "alone: $(run_one_test "$name" "$limit" .alone)"
    reran=$((reran + 1))
  done < <(grep -E '^(FAIL|CRASH|TIMEOUT)' "$RES/test_results.txt" | awk '{print $2}' | head -10) > "$RES/test_alone.txt"
  if ((failed > reran)); then echo "alone: $reran of $failed failures ran again alone" >> "$RES/test_alone.txt"; fi
  {
    echo "cuda tests: $(grep -c '^PASS' "$RES/test_results.txt") passed, $(grep -c '^SKIP' "$RES/test_results.txt") skipped," \
      "$failed failed of $(wc -l < "$RES/test_names.txt")" \
      "($(wc -l < "$RES/test_results.txt") ran)"
    grep -E '^(FAIL|CRASH|TIMEOUT)' "$RES/test_results.txt"
    # Listed but without a verdict: running or not yet started when the phase stopped.
    awk '{print $2}' "$RES/test_results.txt" | grep -vxF -f - "$RES/test_names.txt" | head -20 |
      sed 's/^/CUT /; s/$/ (no verdict: the phase stopped first)/'
    cat "$RES/test_alone.txt"
    # The first lines of each failure: the assertion and the values.
    grep -E '^(FAIL|CRASH|TIMEOUT)' "$RES/test_results.txt" | awk '{print $2}' | head -20 | while read -r name; do
      echo "=== $name"
      grep -vE '^\[ *(RUN|OK|==========|----------|PASSED) ' "$(log_of "$name" "")" | head -25
    done
  } >> "$RES/tests.txt"
  # The GPU as cuDNN describes it (for the deviceless tests' H200 description, Note [cuDNN
  # plans without a GPU]) and which of ember's graphs it plans: kept whether it passed or not.
  cp "$RES/tests/CudnnPlansOnThisGpu.TheSameCasesPlanForTheRealDevice.log" "$RES/cudnn_plans_gpu.txt" 2>/dev/null
  # Logs are kept for the tests that did not pass (test_results.txt names every test), each
  # up to 1 MiB, so that gpu-check.tgz stays well inside the 16 MiB a returned file may have.
  grep -E '^(PASS|SKIP)' "$RES/test_results.txt" | awk '{print $2}' | while read -r name; do
    rm -f "$(log_of "$name" "")"
  done
  for log in "$RES"/tests/*.log; do
    size=$(stat -c %s "$log" 2>/dev/null || echo 0)
    if ((size > 1048576)); then
      { head -c 1048576 "$log"; echo; echo "[gpu-check: cut to its first 1 MiB of $size bytes]"; } > "$log.cut"
      mv -f "$log.cut" "$log"
    fi
  done
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
  # Deterministic algorithms (Note [Deterministic algorithms]): two seeded runs must print the
  # same loss and accuracy.
  for run in 1 2; do
    run_step train_cuda.txt 45 "$bin/ember" train --device cuda --epochs 1 --limit 16384 --deterministic \
      --data "$data" --json "$RES/train_cuda_deterministic_$run.json"
  done
  run_step train_cuda.txt 60 "$bin/ember" mem --device cuda --batch-size 256 --json "$RES/mem_cuda.json"
  run_step train_cuda.txt 60 "$bin/ember" mem --device cuda --batch-size 256 --amp
  run_step train_cuda.txt 60 "$bin/ember" mem --device cuda --batch-size 256 --checkpoint 3
  pack
fi

# Issues 9 and 14: ember's training benchmarks, each beside its PyTorch twin in the same
# run: steps, layers and the 10k evaluation (5 repetitions; only BM_layer has no fixed
# iteration count, so --benchmark_min_time=0.02 shortens it alone (0.1 took ~10 s a layer
# case on the H200, 2026-12-04, and cut the layers at 100 s); a configuration of the
# twin's sweep that fails or hangs is recorded and the others still report), then whole
# epochs, BM_epoch (one repetition: each already times 5 epochs and reports their median).
if phase bench; then
  run_step bench_train.txt 100 "$bin/bench_train_cuda" --benchmark_filter='^BM_(train_step|eval|layer)' \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=true --benchmark_min_time=0.02 \
    --benchmark_out="$RES/bench_train_cuda.json" --benchmark_out_format=json
  pack
  PYTHONUNBUFFERED=1 run_step bench_train.txt 150 "${py_env[@]}" bash -c \
    "python3 bench/pytorch_train.py --device cuda --sweep --config-timeout 60 --data $data --json \
    > $RES/pytorch_train_cuda.json"
  pack
  run_step bench_train.txt 100 "$bin/bench_train_cuda" --benchmark_filter='^BM_epoch' \
    --benchmark_out="$RES/bench_epoch_cuda.json" --benchmark_out_format=json
  pack
  # (torch.compile's max-autotune is opt-in there, --compile: it compiles for minutes)
  PYTHONUNBUFFERED=1 run_step bench_train.txt 200 "${py_env[@]}" bash -c \
    "python3 bench/pytorch_epoch.py --json > $RES/pytorch_epoch.json"
  pack
fi

# compute-sanitizer on a few representative suites, each tool under its own cap (never the
# whole binary: under memcheck it would outlast any budget): racecheck on the layer kernels,
# memcheck on the runtime, the graphed step, the layers, the index kernels and bf16.
if phase sanitize; then
  run_step sanitize.txt 75 compute-sanitizer --tool racecheck --error-exitcode 9 \
    "$bin/ember_cuda_tests" --gtest_brief=1 \
    --gtest_filter='*conv2d*:*pool*:*batch_norm*:*dropout*:CudaLayerModes.*:CudaChannelsLast.*'
  pack
  run_step sanitize.txt 75 compute-sanitizer --tool memcheck --leak-check no --error-exitcode 9 \
    "$bin/ember_cuda_tests" --gtest_brief=1 \
    --gtest_filter='CudaRuntime.*:CudaGraphedStep.*:CudaLayerModes.*:IndexOpsCuda.*:CudaBFloat16.*'
  pack
fi

# Opt-in: `ember train --device auto` and its checkpoint read by PyTorch (safetensors).
if phase interop && [[ -f "$data/t10k-images-idx3-ubyte.gz" ]]; then
  run_step interop.txt 120 "$bin/ember" train --device auto --epochs 1 --limit 4096 --data "$data" --save /tmp/ember.safetensors
  run_step interop.txt 60 "$bin/ember" eval --load /tmp/ember.safetensors --data "$data"
  PYTHONUNBUFFERED=1 run_step interop.txt 60 "${py_env[@]}" python3 tools/check_safetensors_interop.py \
    /tmp/ember.safetensors "$data"
  pack
fi

# Opt-in: the CUDA runtime's benchmarks (issue 5) and their twin.
if phase cudabench; then
  run_step cudabench.txt 150 "$bin/bench_cuda" --benchmark_repetitions=5 --benchmark_min_time=0.2 \
    --benchmark_report_aggregates_only=true
  PYTHONUNBUFFERED=1 run_step cudabench.txt 120 "${py_env[@]}" python3 bench/pytorch_cuda.py
  pack
fi

# Opt-in: a from-source build of the GPU-host configuration (-DEMBER_BLAS=OFF, bundled
# deps) and its cuda-labelled tests (the build gets what is left less 80 s for the tests).
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
