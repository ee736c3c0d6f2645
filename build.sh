#!/usr/bin/env bash
# build.sh - one command for a fresh Debian 12 machine.
#   ./build.sh demo   install packages, build, train the shipped tiny scene, render and score it
#   ./build.sh test   install packages, build, run every test (CTest)
#   ./build.sh asan   the tests again in an AddressSanitizer + UBSan build
set -euo pipefail
cd "$(dirname "$0")"
what=${1:-demo}
packages="build-essential cmake pkg-config libjpeg62-turbo-dev libpng-dev zlib1g-dev libzstd-dev libwebp-dev libjansson-dev
          libmicrohttpd-dev libjpeg-turbo-progs"
if [ "$(dpkg-query -W -f='${Status}\n' $packages 2>/dev/null | grep -c "ok installed")" -ne $(echo $packages | wc -w) ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends $packages >/dev/null
fi
jobs=$(nproc)
case "$what" in
demo)
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j"$jobs"
    rm -rf output/tiny_fox
    build/tgs train -s data/tiny_fox -i images --eval -m output/tiny_fox --iterations 1500 \
        --test_iterations 1500 --densification_interval 100 --densify_until_iter 1200 --budget 2
    build/tgs render -m output/tiny_fox --skip_train
    build/tgs metrics -m output/tiny_fox
    ;;
test)
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
    cmake --build build -j"$jobs"
    ctest --test-dir build --output-on-failure -j"$jobs"
    ;;
asan)
    # sanitizers instrument the C code; the CUDA backend is compiled by the test build
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTGS_SANITIZE=ON -DTGS_CUDA=OFF
    cmake --build build-asan -j"$jobs"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir build-asan --output-on-failure -j"$jobs"
    ;;
*)
    echo "usage: ./build.sh demo|test|asan" >&2
    exit 2
    ;;
esac
