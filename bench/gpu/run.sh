#!/bin/sh
# The device check of burn-d2l, run from the pack that `cargo xtask device-check --pack DIR`
# writes: no Rust, no network. On a machine with a GPU (Vulkan driver) and, for the reference,
# PyTorch with CUDA:
#
#   DIR/run.sh                     # a GPU required
#   DIR/run.sh --allow-software    # also on software Vulkan (lavapipe), to try the pack
#   TASKS="8 32 128" DIR/run.sh    # also the mlp's epochs with that many tasks per submission
#                                  # (CUBECL_WGPU_MAX_TASKS; 32 by default), warm caches
#   BLOCKS="3 5" DIR/run.sh        # also the mlp's epochs with Burn's fusion search kept to
#                                  # that many blocks (D2L_FUSION_BLOCKS; 3 by default)
#   LEVELS="minimal balanced" DIR/run.sh
#                                  # also the mlp's epochs at that autotune level, each from
#                                  # empty caches (CUBECL_AUTOTUNE_LEVEL; d2l's default: balanced)
#
# Writes DIR/out/device-check.json (override with OUT=...): the adapter, the kernels per step
# (`d2l kernels`), the mlp's first epoch with empty caches and again with warm ones, the wgpu
# bench with flex timed beside it, the same first epochs and bench with the SPIR-V compiler
# (`d2l-spirv`, the `vulkan` feature; it refuses software Vulkan, which crashes under it), and
# PyTorch on CUDA (epochs, kernels per step, CUDA graph), each step's exit status and seconds.
# A step that fails leaves `null` and the rest still run.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/out}
EPOCHS=${EPOCHS:-3}
REQUIRE=--require-gpu
for arg in "$@"; do
    case $arg in
        --allow-software) REQUIRE= ;;
        *) echo "usage: $0 [--allow-software]" >&2; exit 2 ;;
    esac
done
mkdir -p "$OUT"

# The two binaries, d2l (WGSL) and d2l-spirv (SPIR-V), from DIR/bin.tar.xz: with xz and tar
# where they are installed, else Python's tarfile.
if [ ! -x "$HERE/d2l" ] || [ ! -x "$HERE/d2l-spirv" ]; then
    if command -v xz >/dev/null 2>&1 && command -v tar >/dev/null 2>&1; then
        xz -dc "$HERE/bin.tar.xz" | tar -xf - -C "$HERE"
    else
        python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' \
            "$HERE/bin.tar.xz" "$HERE"
    fi || { echo "cannot unpack $HERE/bin.tar.xz" >&2; exit 1; }
fi
D2L=$HERE/d2l
D2L_SPIRV=$HERE/d2l-spirv
export D2L_DATA_DIR="$HERE/datasets"
PYTHON=${PYTHON:-python3}

# step NAME COMMAND...: runs it with its stdout in $OUT/NAME.out and stderr in $OUT/NAME.err,
# recording its status and seconds in $OUT/NAME.status.
step() {
    name=$1
    shift
    echo "== $name: $*" >&2
    start=$(date +%s.%N)
    "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
    status=$?
    end=$(date +%s.%N)
    seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
    echo "{\"status\": $status, \"seconds\": $seconds}" >"$OUT/$name.status"
    tail -n 3 "$OUT/$name.err" >&2
}

# The last line of a step's stdout when it is a JSON object, else null.
json() {
    line=$(tail -n 1 "$OUT/$1.out" 2>/dev/null)
    case $line in
        "{"*) echo "$line" ;;
        *) echo null ;;
    esac
}

# The seconds of epoch N of a run's metrics.csv (its fifth column), else null.
epoch_seconds() {
    awk -F, -v n="$2" '$1 == n { print $5; found = 1 } END { if (!found) print "null" }' \
        "$OUT/runs/$1/metrics.csv" 2>/dev/null || echo null
}

# 1. The mlp's first epoch on a fresh machine: empty kernel and autotune caches, ours and the
#    driver's (NVIDIA's and Mesa's shader caches pointed at an empty folder), then warm.
CACHE=$OUT/cache
rm -rf "$CACHE" "$OUT/runs"
mkdir -p "$CACHE/driver"
export D2L_CACHE_DIR="$CACHE/cubecl" __GL_SHADER_DISK_CACHE_PATH="$CACHE/driver" \
    MESA_SHADER_CACHE_DIR="$CACHE/driver"
for run in cold warm; do
    step "first-epoch-$run" "$D2L" --backend wgpu $REQUIRE train --quiet --runs-dir "$OUT/runs" \
        --run-name "mlp-$run" mlp --epochs 2
done

# 2. Kernels per training step and evaluation pass.
step kernels "$D2L" --backend wgpu $REQUIRE kernels --recipes softmax,mlp,dropout,dropout-scratch,house

# 3. The bench: every recipe's first and steady epoch on wgpu, flex timed beside it.
step bench "$D2L" --backend wgpu $REQUIRE bench --epochs "$EPOCHS" --out "$OUT/bench.json"

# 4. The same with the SPIR-V compiler, from caches of its own: the first epoch cold, then warm
#    (CubeCL keeps SPIR-V kernels between runs, WGSL ones not), and the bench.
SPIRV_CACHE=$CACHE/spirv
mkdir -p "$SPIRV_CACHE/driver"
spirv() {
    D2L_CACHE_DIR="$SPIRV_CACHE/cubecl" __GL_SHADER_DISK_CACHE_PATH="$SPIRV_CACHE/driver" \
        MESA_SHADER_CACHE_DIR="$SPIRV_CACHE/driver" "$D2L_SPIRV" --backend wgpu $REQUIRE "$@"
}
for run in cold warm; do
    step "spirv-first-epoch-$run" spirv train --quiet --runs-dir "$OUT/runs" \
        --run-name "mlp-spirv-$run" mlp --epochs 2
done
step spirv-bench spirv bench --epochs "$EPOCHS" --out "$OUT/bench-spirv.json"

# sweep NAME VARIABLE VALUE...: the mlp's first three epochs with VARIABLE set to each VALUE
# (warm caches), as steps NAME-VALUE and runs mlp-NAME-VALUE.
sweep() {
    sweep_name=$1
    variable=$2
    shift 2
    for value in "$@"; do
        step "$sweep_name-$value" env "$variable=$value" "$D2L" --backend wgpu $REQUIRE train \
            --quiet --runs-dir "$OUT/runs" --run-name "mlp-$sweep_name-$value" mlp --epochs 3
    done
}

# 5. What a submission of more or fewer tasks does to a step (the wgpu runtime's `tasks_max`).
sweep tasks CUBECL_WGPU_MAX_TASKS ${TASKS:-}

# 6. How far Burn's fusion searches (`d2l::runtime::FUSION_MAX_BLOCKS`).
sweep blocks D2L_FUSION_BLOCKS ${BLOCKS:-}

# 7. How hard autotune works (`d2l::runtime::AUTOTUNE_LEVEL`): each level's first epoch from
#    empty caches, ours and the driver's, as on a fresh machine, and its steady epochs.
for level in ${LEVELS:-}; do
    fresh=$CACHE/level-$level
    rm -rf "$fresh"
    mkdir -p "$fresh/driver"
    step "levels-$level" env CUBECL_AUTOTUNE_LEVEL="$level" D2L_CACHE_DIR="$fresh/cubecl" \
        __GL_SHADER_DISK_CACHE_PATH="$fresh/driver" MESA_SHADER_CACHE_DIR="$fresh/driver" \
        "$D2L" --backend wgpu $REQUIRE train --quiet --runs-dir "$OUT/runs" \
        --run-name "mlp-levels-$level" mlp --epochs 3
done

# 8. PyTorch on CUDA, the same recipes.
step torch-epochs "$PYTHON" "$HERE/torch_gpu.py" --data-dir "$D2L_DATA_DIR" --epochs 4
step torch-kernels "$PYTHON" "$HERE/torch_kernels.py"
step torch-graph "$PYTHON" "$HERE/torch_graph.py"

# swept NAME VALUE...: {"VALUE": {"epoch_1_s": ..., "epoch_2_s": ..., "epoch_3_s": ...}, ...}
# of a sweep.
swept() {
    swept_name=$1
    shift
    printf '{'
    sep=
    for value in "$@"; do
        printf '%s"%s": {"epoch_1_s": %s, "epoch_2_s": %s, "epoch_3_s": %s}' "$sep" "$value" \
            "$(epoch_seconds "mlp-$swept_name-$value" 1)" \
            "$(epoch_seconds "mlp-$swept_name-$value" 2)" \
            "$(epoch_seconds "mlp-$swept_name-$value" 3)"
        sep=", "
    done
    printf '}'
}

bench=null
[ -s "$OUT/bench.json" ] && bench=$(cat "$OUT/bench.json")
spirv_bench=null
[ -s "$OUT/bench-spirv.json" ] && spirv_bench=$(cat "$OUT/bench-spirv.json")
status() { cat "$OUT/$1.status" 2>/dev/null || echo null; }
{
    echo "{"
    echo "  \"pack\": $(cat "$HERE/pack.json"),"
    echo "  \"host\": \"$(uname -srm)\","
    for name in first-epoch-cold first-epoch-warm kernels bench spirv-first-epoch-cold \
        spirv-first-epoch-warm spirv-bench torch-epochs torch-kernels torch-graph; do
        echo "  \"$name-step\": $(status "$name"),"
    done
    echo "  \"tasks_max\": $(swept tasks ${TASKS:-}),"
    echo "  \"fusion_blocks\": $(swept blocks ${BLOCKS:-}),"
    echo "  \"autotune_level\": $(swept levels ${LEVELS:-}),"
    echo "  \"first_epoch\": {\"cold_s\": $(epoch_seconds mlp-cold 1), \"warm_s\": $(epoch_seconds mlp-warm 1), \"steady_s\": $(epoch_seconds mlp-warm 2)},"
    echo "  \"kernels\": $(json kernels),"
    echo "  \"bench\": $bench,"
    echo "  \"spirv\": {\"first_epoch\": {\"cold_s\": $(epoch_seconds mlp-spirv-cold 1), \"warm_s\": $(epoch_seconds mlp-spirv-warm 1), \"steady_s\": $(epoch_seconds mlp-spirv-warm 2)}, \"bench\": $spirv_bench},"
    echo "  \"torch\": {\"epochs\": $(json torch-epochs), \"kernels\": $(json torch-kernels), \"graph\": $(json torch-graph)}"
    echo "}"
} >"$OUT/device-check.json"
echo "written to $OUT/device-check.json" >&2
cat "$OUT/device-check.json"
