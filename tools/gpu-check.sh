#!/usr/bin/env bash
# The GPU evidence run (on a GPU host without network, e.g. through the device tool):
# the CUDA tests and `ember kernels` from programs built elsewhere (bundle made by
# tools/gpu-host-bundle.sh --binaries), compute-sanitizer racecheck (layer kernels) and
# memcheck on them, the CUDA and GPU-training benchmarks with their PyTorch twins,
# `ember train/mem --device cuda` (with .gpudata), and a from-source build of the
# GPU-host configuration (-DEMBER_BLAS=OFF, bundled deps) whose cuda tests run too.
# Results go to $OUT (default /tmp/gpu-check): a dozen small text and JSON files. BUDGET (seconds,
# default 480) bounds the run: memcheck and the source build stop when it runs out.
set -uo pipefail
OUT="${OUT:-/tmp/gpu-check}"
mkdir -p "$OUT"
bundle="$PWD/.gpuhost"
host_lib_dir() { dirname "$(find / -name "$1" -not -path '/proc/*' 2>/dev/null | head -1)" 2>/dev/null; }
cublas_dir=$(host_lib_dir 'libcublas.so.13*')
# cuDNN (the shim and its engine libraries, one version) and NVRTC from the host: its
# CUDA toolkit, or the nvidia-* wheels PyTorch brought.
cudnn_dir=$(host_lib_dir 'libcudnn_graph.so.9*')
nvrtc_dir=$(host_lib_dir 'libnvrtc.so.13*')
nccl_dir=$(host_lib_dir 'libnccl.so.2*')
cudnn_include=$(host_lib_dir 'cudnn_version.h')
export LD_LIBRARY_PATH="$bundle/runtime:/usr/local/cuda/lib64:${cublas_dir:-}:${cudnn_dir:-}:${nvrtc_dir:-}:${nccl_dir:-}:${LD_LIBRARY_PATH:-}"
export PATH="/usr/local/cuda/bin:$PATH"
start=$(date +%s)
if [[ -f "$bundle/prebuilt.tar.xz" ]]; then tar -C "$bundle" -xJf "$bundle/prebuilt.tar.xz"; fi
if [[ -f "$bundle/deps.tar.xz" ]]; then tar -C "$bundle" -xJf "$bundle/deps.tar.xz"; fi
stamp() { echo "[$(($(date +%s) - start)) s] $*"; }
budget="${BUDGET:-480}"
left() { echo $((budget - ($(date +%s) - start))); }

{
  stamp "environment"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  for c in g++ cmake ninja nvcc compute-sanitizer python3; do echo "$c: $(command -v $c)"; done
  nvcc --version | tail -2
  echo "cublas: $cublas_dir"
  echo "cudnn: $cudnn_dir (headers: $cudnn_include); nvrtc: $nvrtc_dir; nccl: $nccl_dir"
  find / \( -name 'libcudnn.so*' -o -name 'cudnn.h' \) -not -path '/proc/*' 2>/dev/null | head -4
  ldd "$bundle/bin/ember_cuda_tests" | grep -E "not found|cublas|cudart|cudnn|nvrtc|nccl|mpi"
} > "$OUT/env.txt" 2>&1

# Benchmarks first, on a quiet machine (nothing else running).
stamp "benchmarks" > "$OUT/bench.txt"
timeout 150 "$bundle/bin/bench_cuda" --benchmark_repetitions=5 --benchmark_min_time=0.2 --benchmark_report_aggregates_only=true \
  >> "$OUT/bench.txt" 2>&1
echo "exit $?" >> "$OUT/bench.txt"
stamp "pytorch twin" >> "$OUT/bench.txt"
PYTHONUNBUFFERED=1 timeout 120 python3 bench/pytorch_cuda.py >> "$OUT/bench.txt" 2>&1
# The GPU training path (issue 9): ember's step, evaluation and layers, then PyTorch's
# eager twin in all four settings (channels_last x cudnn.benchmark), in the same run.
stamp "training benchmarks" > "$OUT/bench_train.txt"
timeout 200 "$bundle/bin/bench_train_cuda" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$OUT/bench_train_cuda.json" --benchmark_out_format=json >> "$OUT/bench_train.txt" 2>&1
echo "exit $?" >> "$OUT/bench_train.txt"
stamp "pytorch twin (cuda sweep)" >> "$OUT/bench_train.txt"
PYTHONUNBUFFERED=1 timeout 150 python3 bench/pytorch_train.py --device cuda --sweep --json \
  > "$OUT/pytorch_train_cuda.json" 2>> "$OUT/bench_train.txt"
echo "exit $?" >> "$OUT/bench_train.txt"
# Issue 14: epoch time eager / CUDA graph / graph + bf16 (BM_epoch above) against PyTorch's
# eager, torch.cuda.graph, bf16 graph and torch.compile(max-autotune), in the same run.
stamp "pytorch twin (epoch: eager, graph, bf16, compile)" >> "$OUT/bench_train.txt"
PYTHONUNBUFFERED=1 timeout 240 python3 bench/pytorch_epoch.py --json > "$OUT/pytorch_epoch.json" 2>> "$OUT/bench_train.txt"
echo "exit $?" >> "$OUT/bench_train.txt"

# The from-source GPU-host build, in the background at low priority.
(
  gen=Ninja; command -v ninja >/dev/null || gen="Unix Makefiles"
  cmake -S . -B build-gpu -G "$gen" -DCMAKE_BUILD_TYPE=Release -DEMBER_BLAS=OFF -DEMBER_BENCH=OFF \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$bundle" -DZLIB_ROOT="$bundle" \
    ${cudnn_include:+-DCUDNN_INCLUDE_DIR="$cudnn_include"} ${cudnn_dir:+-DCUDNN_LIBRARY="$(ls "$cudnn_dir"/libcudnn.so* | head -1)"} &&
    nice -n 19 cmake --build build-gpu -j 10 --target ember_cuda_tests ember_cli
) > "$OUT/source_build.txt" 2>&1 &
build_pid=$!

stamp "cuda tests" > "$OUT/cuda_tests.txt"
timeout 90 "$bundle/bin/ember_cuda_tests" --gtest_brief=1 >> "$OUT/cuda_tests.txt" 2>&1
echo "exit $?" >> "$OUT/cuda_tests.txt"
stamp "ember kernels" >> "$OUT/cuda_tests.txt"
timeout 60 "$bundle/bin/ember" kernels >> "$OUT/cuda_tests.txt" 2>&1
echo "exit $?" >> "$OUT/cuda_tests.txt"

stamp "racecheck (the layer kernels)" > "$OUT/racecheck.txt"
timeout $(( $(left) / 6 )) compute-sanitizer --tool racecheck --error-exitcode 9 "$bundle/bin/ember_cuda_tests" \
  --gtest_brief=1 --gtest_filter='*conv2d*:*pool*:*batch_norm*:*dropout*:CudaLayerModes.*' >> "$OUT/racecheck.txt" 2>&1
echo "exit $?" >> "$OUT/racecheck.txt"

stamp "memcheck" > "$OUT/memcheck.txt"
timeout $(( $(left) / 3 )) compute-sanitizer --tool memcheck --error-exitcode 9 \
  "$bundle/bin/ember_cuda_tests" --gtest_brief=1 >> "$OUT/memcheck.txt" 2>&1
echo "exit $?" >> "$OUT/memcheck.txt"

# `ember train --device auto` on a GPU host, and its checkpoint read by PyTorch through
# the safetensors library (data: the Fashion-MNIST test files in .gpudata, which also
# stand in for the training files).
if [[ -f .gpudata/t10k-images-idx3-ubyte.gz ]]; then
  {
    stamp "train --device auto + safetensors interop"
    data=/tmp/ember-fm && mkdir -p $data && cp .gpudata/t10k-* $data/
    if [[ -f .gpudata/train-images-idx3-ubyte.gz ]]; then
      cp .gpudata/train-* $data/
    else
      ln -sf t10k-images-idx3-ubyte.gz $data/train-images-idx3-ubyte.gz
      ln -sf t10k-labels-idx1-ubyte.gz $data/train-labels-idx1-ubyte.gz
    fi
    timeout 120 "$bundle/bin/ember" train --device auto --epochs 1 --limit 4096 --data $data --save /tmp/ember.safetensors
    timeout 60 "$bundle/bin/ember" eval --load /tmp/ember.safetensors --data $data
    PYTHONUNBUFFERED=1 timeout 60 python3 tools/check_safetensors_interop.py /tmp/ember.safetensors $data
  } > "$OUT/interop.txt" 2>&1
fi

# The main job on the GPU (issue 9: test accuracy >= 0.90 after 3 epochs), with the
# real training set when .gpudata carries it.
if [[ -f .gpudata/train-images-idx3-ubyte.gz ]]; then
  {
    stamp "ember train --device cuda (3 epochs, full data)"
    timeout 150 "$bundle/bin/ember" train --device cuda --epochs 3 --data /tmp/ember-fm --json "$OUT/train_cuda.json"
    echo "exit $?"
    # Issue 14: the same run eagerly (the one above captures its step as a CUDA graph).
    stamp "ember train --device cuda --no-cuda-graph (2 epochs)"
    timeout 120 "$bundle/bin/ember" train --device cuda --epochs 2 --no-cuda-graph --data /tmp/ember-fm \
      --json "$OUT/train_cuda_eager.json"
    echo "exit $?"
    # Issue 14: bf16 autocast (accuracy within 0.5 points of the fp32 run above).
    stamp "ember train --device cuda --amp (3 epochs)"
    timeout 150 "$bundle/bin/ember" train --device cuda --epochs 3 --amp --data /tmp/ember-fm \
      --json "$OUT/train_cuda_amp.json"
    echo "exit $?"
    stamp "ember mem --device cuda (and --amp)"
    timeout 60 "$bundle/bin/ember" mem --device cuda --batch-size 256 --amp
    echo "exit $?"
  } > "$OUT/train_cuda.txt" 2>&1
fi

stamp "waiting for the source build" > "$OUT/source_tests.txt"
( sleep $(( $(left) - 60 > 0 ? $(left) - 60 : 1 )); kill $build_pid 2>/dev/null; pkill -f build-gpu ) &
wait $build_pid
stamp "source build's cuda tests (build exit $?)" >> "$OUT/source_tests.txt"
if [[ -x build-gpu/tests/ember_cuda_tests ]]; then
  (cd build-gpu && timeout 50 ctest -L cuda -j 8 --output-on-failure | tail -25) >> "$OUT/source_tests.txt" 2>&1
  timeout 20 build-gpu/tools/ember kernels | tail -3 >> "$OUT/source_tests.txt" 2>&1
fi
stamp "done" >> "$OUT/source_tests.txt"
tail -c 20000 "$OUT/source_build.txt" > "$OUT/source_build.tail" && mv "$OUT/source_build.tail" "$OUT/source_build.txt"
