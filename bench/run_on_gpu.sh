#!/usr/bin/env bash
# `make bench-gpu` on a GPU machine that has Python, torch, transformers, pyarrow,
# sentencepiece and sacrebleu but no network, and only CUDA 13 libraries. Wheels for the
# rest come in WHEELS (built elsewhere with `pip download --python-version 3.12 ...`);
# carrying limits split the run into phases, each run from the repository root:
#
#   bench/run_on_gpu.sh install WHEELS   # ctranslate2 and small dependencies
#   bench/run_on_gpu.sh bench WHEELS     # apache-beam and duckdb, then `python -m bench.gpu`
#       (the pipeline with ctranslate2_shared fed both ways, model.shared_feed stream and
#       bucket, then a model per process; `--pipelines ctranslate2_shared:stream,...` to pick)
#   bench/run_on_gpu.sh quality MODEL DEV_SET   # compute types of a real model
#
# Results go to $OUT (default out/gpu). The ctranslate2 wheel is built for CUDA 12 and
# loads libcublas.so.12 / libcublasLt.so.12: links with those names to the CUDA 13
# libraries are enough there (production images ship CUDA 12 cuBLAS: Dockerfile.gpu).
set -uo pipefail
phase=$1
SITE=${SITE:-/tmp/gpu-site}
OUT=${OUT:-out/gpu}
mkdir -p "$OUT"

install_wheels() {
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$SITE" "$1"/*.whl || exit 1
}

link_cublas12() {
    local lib
    lib=$(find "$(python3 -c 'import site; print(site.getsitepackages()[0])')" /usr/local/cuda*/ \
        -name 'libcublasLt.so.13*' 2>/dev/null | head -1)
    [ -n "$lib" ] || { echo "no libcublasLt.so.13 found" >&2; exit 1; }
    lib=$(dirname "$lib")
    mkdir -p /tmp/cublas12
    ln -sf "$lib"/libcublas.so.13 /tmp/cublas12/libcublas.so.12
    ln -sf "$lib"/libcublasLt.so.13 /tmp/cublas12/libcublasLt.so.12
    export LD_LIBRARY_PATH=/tmp/cublas12:$lib:${LD_LIBRARY_PATH:-}
}

# The driver compiles CTranslate2's kernels for a newer GPU at the first load: a cache large
# enough to keep them spares every later process (a worker each) from compiling again.
export PYTHONPATH=$PWD:$SITE PYTHONUNBUFFERED=1 CUDA_CACHE_MAXSIZE=4294967296
case $phase in
install)
    install_wheels "$2"
    link_cublas12
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    python3 -m pip list 2>/dev/null | grep -iE '^(numpy|pyarrow|protobuf|grpcio|torch|transformers|sentencepiece|sacrebleu|psutil|pyyaml) '
    python3 -c "import ctranslate2 as c; print('ctranslate2', c.__version__, 'gpus', c.get_cuda_device_count(), sorted(c.get_supported_compute_types('cuda')))"
    ;;
bench)
    install_wheels "$2"
    link_cublas12
    python3 -c "import apache_beam, duckdb, ctranslate2, pipeline.run, bench.gpu" || exit 1
    timeout "${BENCH_SECONDS:-540}" python3 -m bench.gpu --results "$OUT" --out /tmp/bench-gpu "${@:3}"
    status=$?
    tar -czf "$OUT/logs.tar.gz" -C /tmp/bench-gpu logs configs 2>/dev/null
    exit $status
    ;;
quality)
    link_cublas12
    python3 -m bench.compute_types "$2" "$3" --device cuda >"$OUT/compute_types.json"
    status=$?
    cat "$OUT/compute_types.json"
    exit $status
    ;;
*)
    echo "usage: $0 install WHEELS | bench WHEELS [bench.gpu flags] | quality MODEL DEV_SET" >&2
    exit 2
    ;;
esac
