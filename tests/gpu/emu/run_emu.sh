#!/bin/bash
# run_emu.sh - runs tests/gpu/test_gpu_raster on the host emulator of the CUDA
# execution model (tests/gpu/emu): the real kernel sources of src/raster/cuda,
# the Adam step (src/optim/cuda) and the allocation ledger (src/cuda/alloc.cu),
# with kernel launches rewritten to emu_launch, fibers for threads, host memory
# for device memory and a host radix sort for CUB. For checking the kernels on a
# machine without a GPU (slow: only the small cases). Usage, from the repository
# root: tests/gpu/emu/run_emu.sh [BUILD_DIR] [test arguments, default: small]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$root/build-emu}
shift || true
args=${*:-small}
cmake -S "$root" -B "$build" -DTGS_CUDA=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target tgslib -j2 >/dev/null
gen=$build/emu_src
mkdir -p "$gen"
for f in "$root"/src/raster/cuda/*.cu "$root"/src/optim/cuda/adam_cuda.cu "$root"/src/cuda/alloc.cu; do
    python3 - "$f" "$gen/$(basename "$f" .cu).cpp" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
def launch(m):
    args, depth, cur = [], 0, ''  # <<<grid, block[, shared bytes, stream]>>>: commas outside parentheses
    for ch in m.group(2):
        depth += (ch == '(') - (ch == ')')
        if ch == ',' and depth == 0:
            args.append(cur)
            cur = ''
        else:
            cur += ch
    args.append(cur)
    return 'emu_launch(%s, %s, [=]() { %s(%s); });' % (args[0].strip(), args[1].strip(), m.group(1), m.group(3))
s = re.sub(r'(\w+(?:<\w+>)?)<<<(.+?)>>>\((.*?)\);', launch, s, flags=re.S)
open(sys.argv[2], 'w').write(s)
PY
done
inc="-I$root/tests/gpu/emu -I$root/include -I$root/src -I$root/tests"
flags="-O2 -g -ffp-contract=off -Wall -Wextra -Wno-unused-parameter -Wno-unknown-pragmas"
objs=()
for f in "$gen"/*.cpp "$root"/tests/gpu/emu/emu.cpp; do
    o=$gen/$(basename "$f" .cpp).o
    g++ -std=c++17 $flags $inc -c "$f" -o "$o"
    objs+=("$o")
done
gcc -std=c11 $flags -D_XOPEN_SOURCE=700 -DTGS_DATA_DIR='"/nonexistent"' $inc \
    -c "$root/tests/gpu/test_gpu_raster.c" -o "$gen/test.o"
g++ -o "$build/test_gpu_raster_emu" "$gen/test.o" "${objs[@]}" "$build/libtgs.a" -fopenmp \
    $(pkg-config --libs jansson libpng zlib libwebp libzstd) -ljpeg -lm
cd "$root"
exec "$build/test_gpu_raster_emu" $args
