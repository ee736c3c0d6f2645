#!/usr/bin/env bash
# browser.sh - the viewer in a real browser: starts `tgs view` on a model,
# loads its page in headless Chromium (Debian's `chromium`, not installed by
# this script) with --screenshot, and compares the screenshot with `tgs render`
# of the same camera (PSNR over the frame, by `tgs metrics`). Run by hand:
#
#   tests/viewer/browser.sh TGS REPO [MODEL]
#
# TGS: the tgs binary; REPO: the repository (for data/tiny_fox); MODEL: a
# trained model folder (default: a 300-iteration run on data/tiny_fox made
# here). DEVICE=cuda renders with the GPU (default cpu), CAM=K picks test
# camera K (default 0). Exit 0 when the frame is within MIN_PSNR (default
# 30 dB) of the render, 1 when not, 77 (skipped) without chromium.
set -u
TGS=${1:?usage: browser.sh TGS REPO [MODEL]}
REPO=${2:?usage: browser.sh TGS REPO [MODEL]}
MODEL=${3:-}
CAM=${CAM:-0}
MIN_PSNR=${MIN_PSNR:-30}
BROWSER=$(command -v chromium || command -v chromium-browser || true)
[ -n "$BROWSER" ] || { echo "skipped: no chromium (apt-get install -y chromium)"; exit 77; }
T=$(mktemp -d /tmp/tgs_browser_XXXXXX)
VIEW_PID=
cleanup() { [ -n "$VIEW_PID" ] && kill "$VIEW_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
if [ -z "$MODEL" ]; then
    MODEL=$T/model
    "$TGS" train -s "$REPO/data/tiny_fox" -i images --eval --iterations 300 --test_iterations 300 --budget 1.5 \
        --densify_from_iter 50 --densification_interval 50 --densify_until_iter 250 --seed 7 -q -m "$MODEL" \
        >"$T/train.log" 2>&1 || { cat "$T/train.log"; exit 1; }
fi
# the reference: tgs render of the test views (camera K of cameras.json is test view K)
"$TGS" render -m "$MODEL" --skip_train -q || exit 1
REF=$(ls -d "$MODEL"/test/ours_*/renders | tail -1)/$(printf %05d "$CAM").png
[ -f "$REF" ] || { echo "FAIL: no $REF (camera $CAM is not a test view)"; exit 1; }
"$TGS" view -m "$MODEL" --port 0 --device "${DEVICE:-cpu}" >"$T/view.log" 2>&1 &
VIEW_PID=$!
PORT=
for _ in $(seq 100); do
    PORT=$(sed -n 's/.*viewer at http:\/\/127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$T/view.log")
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || { echo "FAIL: tgs view did not start"; cat "$T/view.log"; exit 1; }
SIZE=$(file "$REF" | sed -n 's/.*PNG image data, \([0-9]*\) x \([0-9]*\).*/\1 \2/p')
W=${SIZE% *}
H=${SIZE#* }
URL="http://127.0.0.1:$PORT/?bare=1&cam=$CAM&w=$W&q=95"
mkdir -p "$T/cmp/test/browser/renders" "$T/cmp/test/browser/gt"
SHOT=$T/cmp/test/browser/renders/00000.png
"$BROWSER" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-color-profile=srgb \
    --force-device-scale-factor=1 --window-size="$W,$H" --virtual-time-budget=15000 --screenshot="$SHOT" "$URL" \
    >"$T/chromium.log" 2>&1
[ -s "$SHOT" ] || { echo "FAIL: no screenshot"; tail -5 "$T/chromium.log"; exit 1; }
cp "$REF" "$T/cmp/test/browser/gt/00000.png"
SHOT_SIZE=$(file "$SHOT" | sed -n 's/.*PNG image data, \([0-9]*\) x \([0-9]*\).*/\1 \2/p')
[ "$SHOT_SIZE" = "$W $H" ] || { echo "FAIL: screenshot is $SHOT_SIZE, the frame $W $H"; exit 1; }
"$TGS" metrics -m "$T/cmp" >"$T/metrics.log" 2>&1 || { cat "$T/metrics.log"; exit 1; }
PSNR=$(sed -n 's/.*"PSNR": *\([0-9.]*\).*/\1/p' "$T/cmp/results.json" | head -1)
echo "browser.sh: $URL in $(basename "$BROWSER"): screenshot ${W}x$H vs tgs render of camera $CAM: PSNR $PSNR dB" \
     "(pass: > $MIN_PSNR)"
awk -v p="$PSNR" -v m="$MIN_PSNR" 'BEGIN { exit !(p != "" && p > m) }' || { echo "FAIL"; exit 1; }
echo "PASS"
