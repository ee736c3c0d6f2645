#!/usr/bin/env bash
# overhead.sh - what watching costs a run: the same training without a viewer,
# then with --viewer and a client fetching frames back to back (a camera at
# full training size, as fast as they come) for the whole run. Prints both
# speeds, their ratio and the viewer's own count of its share of the run.
#
#   tests/viewer/overhead.sh TGS OUT -- TRAIN OPTIONS...
#   e.g. tests/viewer/overhead.sh build/tgs /tmp/oh -- -s ../shared/data/fox -i images_4 --eval \
#            --iterations 7000 --test_iterations 7000 --budget 2
set -u
TGS=${1:?usage: overhead.sh TGS OUT -- TRAIN OPTIONS...}
OUT=${2:?usage: overhead.sh TGS OUT -- TRAIN OPTIONS...}
shift 2
[ "${1:-}" = "--" ] && shift
PORT=${PORT:-7391}
mkdir -p "$OUT"
"$TGS" train "$@" -m "$OUT/plain" --overwrite >"$OUT/plain.log" 2>&1 || { tail -5 "$OUT/plain.log"; exit 1; }
"$TGS" train "$@" -m "$OUT/viewed" --overwrite --viewer --port "$PORT" >"$OUT/viewed.log" 2>&1 &
pid=$!
frames=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/status" || ! kill -0 $pid 2>/dev/null; do sleep 0.2; done
while kill -0 $pid 2>/dev/null; do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/render?cam=0&q=85" && frames=$((frames + 1))
done
wait $pid || { tail -5 "$OUT/viewed.log"; exit 1; }
rate() { sed -n 's/.*iterations in \([0-9.]*\) s (\([0-9.]*\) it\/s).*/\2/p' "$1"; }
a=$(rate "$OUT/plain.log")
b=$(rate "$OUT/viewed.log")
echo "without a viewer: $a it/s"
echo "with a viewer and a client fetching frames back to back ($frames frames): $b it/s"
awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "slowdown: %.1f%%\n", 100 * (1 - b / a) }'
grep "tgs: viewer:" "$OUT/viewed.log" || echo "(run without -q to see the viewer's own count)"
