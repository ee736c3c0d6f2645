#!/usr/bin/env bash
# run.sh - builds the libFuzzer harnesses (build-fuzz, clang, ASan+UBSan) and
# fuzzes each for SECONDS, then prints executions, coverage and corpus size per
# harness. Exits nonzero when any harness found a crash, leak, timeout or OOM
# (the reproducer is in build-fuzz/artifacts/<harness>/).
#
#   tests/fuzz/run.sh SECONDS [harness ...]     (default: every tests/fuzz/fuzz_*.c)
#
# The committed seeds (tests/fuzz/corpus/<harness>/) are read; new inputs go to
# build-fuzz/corpus/<harness>/, which persists between runs. To refresh the
# committed seeds: fuzz_<h> -merge=1 NEWDIR build-fuzz/corpus/<h> tests/fuzz/corpus/<h>.
# Environment: TGS_FUZZ_NICE (default 19), TGS_FUZZ_BUILD (default build-fuzz),
# TGS_FUZZ_ARGS (extra libFuzzer flags).
set -u
secs=${1:?usage: tests/fuzz/run.sh SECONDS [harness ...]}
shift
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${TGS_FUZZ_BUILD:-$repo/build-fuzz}
nice_lvl=${TGS_FUZZ_NICE:-19}
cc=${CC:-clang}
# libFuzzer needs clang and its runtime (Debian: clang, libclang-rt-14-dev). In CI
# (root with apt-get) they are installed when absent; TGS_FUZZ_NO_INSTALL=1 stops that.
have_libfuzzer() {
  printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' |
    "$cc" -fsanitize=fuzzer -x c - -o /dev/null >/dev/null 2>&1
}
if ! have_libfuzzer; then
  if [ -z "${TGS_FUZZ_NO_INSTALL:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "run.sh: installing clang and libclang-rt-14-dev" >&2
    apt-get update -qq && apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
  fi
  have_libfuzzer || { echo "run.sh: $cc cannot build libFuzzer targets (install clang and libclang-rt-14-dev)" >&2; exit 2; }
fi

if [ $# -gt 0 ]; then
  harnesses=("$@")
else
  harnesses=()
  for f in "$repo"/tests/fuzz/fuzz_*.c; do harnesses+=("$(basename "$f" .c)"); done
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$repo" -B "$build" -DCMAKE_C_COMPILER="$cc" -DTGS_FUZZ=ON -DTGS_CUDA=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 \
    || { cat "$build.configure.log" >&2; exit 2; }
fi
nice -n "$nice_lvl" cmake --build "$build" -j2 --target "${harnesses[@]}" >"$build/build.log" 2>&1 \
  || { tail -40 "$build/build.log" >&2; exit 2; }

status=0
summary=()
for h in "${harnesses[@]}"; do
  corpus=$build/corpus/$h
  art=$build/artifacts/$h
  log=$build/logs/$h.log
  mkdir -p "$corpus" "$art" "$(dirname "$log")"
  seeds=()
  [ -d "$repo/tests/fuzz/corpus/$h" ] && seeds+=("$repo/tests/fuzz/corpus/$h")
  dict=()
  [ -f "$repo/tests/fuzz/$h.dict" ] && dict=(-dict="$repo/tests/fuzz/$h.dict")
  echo "== $h: ${secs}s"
  # shellcheck disable=SC2086
  nice -n "$nice_lvl" "$build/$h" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" ${TGS_FUZZ_ARGS:-} \
      "$corpus" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  last=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  ncorp=$(find "$corpus" -type f | wc -l)
  crashes=$(find "$art" -type f | wc -l)
  verdict=ok
  if [ $rc -ne 0 ]; then
    verdict="FAILED (rc $rc): $(grep -m1 -E 'ERROR: |SUMMARY: |deadly signal|timeout' "$log")"
    status=1
    tail -60 "$log" >&2
  fi
  summary+=("$(printf '%-18s execs %-10s cov %-6s ft %-7s corpus %-6s artifacts %-3s %s' \
               "$h" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$ncorp" "$crashes" "$verdict")")
done
echo "== summary (${secs}s each; logs in $build/logs)"
printf '%s\n' "${summary[@]}"
exit $status
