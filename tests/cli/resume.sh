#!/usr/bin/env bash
# resume.sh - no run is lost: a run resumed from its checkpoint (inside and
# after densification, and after Ctrl-C at a random moment) ends byte-identical
# to an uninterrupted run; kill -9 at random moments leaves every checkpoint and
# PLY on disk complete or absent; corrupt checkpoints are refused.
# usage: resume.sh TGS DATA_DIR REPO_DIR
set -u
TGS=$1
REPO=$3
T=$(mktemp -d /tmp/tgs_resume_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
args=(train -s "$REPO/data/tiny_fox" -i images -r 4 --eval --iterations 300 --densify_from_iter 50
      --densification_interval 50 --densify_until_iter 200 --budget 1.5 --seed 11 --threads 2 -q
      --test_iterations 300 --save_iterations 300)
"$TGS" "${args[@]}" -m "$T/full" --checkpoint_iterations 120 250 >/dev/null 2>&1 || fail "uninterrupted run failed"
REF="$T/full/point_cloud/iteration_300/point_cloud.ply"
for k in 120 250; do
    "$TGS" info --checkpoint "$T/full/chkpnt$k.tgs" >/dev/null || fail "checkpoint $k unreadable"
    "$TGS" "${args[@]}" -m "$T/r$k" --start_checkpoint "$T/full/chkpnt$k.tgs" >"$T/log" 2>&1 ||
        { fail "resume from $k failed"; cat "$T/log"; }
    cmp -s "$REF" "$T/r$k/point_cloud/iteration_300/point_cloud.ply" &&
        echo "ok   resumed at $k: identical PLY" || fail "resumed at $k: PLY differs"
done
# Ctrl-C at a random moment: it writes a checkpoint, and the resumed run matches
"$TGS" "${args[@]}" -m "$T/int" --iterations 300 >"$T/int.log" 2>&1 &
pid=$!
sleep 0.$((RANDOM % 9 + 1))
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
if [ $rc -eq 130 ]; then
    ck=$(ls "$T"/int/chkpnt*.tgs 2>/dev/null | head -1)
    [ -n "$ck" ] || fail "interrupted run left no checkpoint: $(cat "$T/int.log")"
    "$TGS" "${args[@]}" -m "$T/int" --start_checkpoint "$ck" >/dev/null 2>&1 || fail "resume after Ctrl-C failed"
    cmp -s "$REF" "$T/int/point_cloud/iteration_300/point_cloud.ply" &&
        echo "ok   Ctrl-C at $(basename "$ck"), resumed: identical PLY" || fail "resume after Ctrl-C: PLY differs"
else
    echo "note: the run finished before Ctrl-C (exit $rc)"
fi
# corrupt and truncated checkpoints are refused with a message
CK="$T/full/chkpnt120.tgs"
size=$(stat -c %s "$CK")
for off in 0 7 30 100 $((size / 2)) $((size - 5)) $((size - 1)); do
    head -c "$off" "$CK" >"$T/bad.tgs"
    "$TGS" info --checkpoint "$T/bad.tgs" >/dev/null 2>"$T/err" && fail "truncated at $off accepted"
    grep -q "bad.tgs" "$T/err" || fail "truncated at $off: message lacks the file: $(cat "$T/err")"
done
cp "$CK" "$T/flip.tgs"
printf '\xff' | dd of="$T/flip.tgs" bs=1 seek=$((size / 3)) conv=notrunc status=none
"$TGS" info --checkpoint "$T/flip.tgs" >/dev/null 2>"$T/err" && fail "flipped byte accepted"
grep -q "checksum" "$T/err" || fail "flipped byte: $(cat "$T/err")"
# resume under other settings is refused
"$TGS" train -s "$REPO/data/tiny_fox" -i images -r 4 --eval --iterations 300 --seed 12 --threads 2 -q \
    -m "$T/other" --start_checkpoint "$CK" >/dev/null 2>"$T/err" && fail "other settings accepted"
grep -q "other settings" "$T/err" || fail "other settings: $(cat "$T/err")"
# kill -9 at random moments: every file on disk is complete and loadable, or absent
for i in $(seq 1 20); do
    "$TGS" "${args[@]}" -m "$T/k$i" --checkpoint_iterations $(seq 10 10 300) --save_iterations $(seq 15 15 300) \
        >/dev/null 2>&1 &
    pid=$!
    sleep 0.$((RANDOM % 9 + 1))$((RANDOM % 10))
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    for f in "$T/k$i"/chkpnt*.tgs; do
        [ -e "$f" ] || continue
        "$TGS" info --checkpoint "$f" >/dev/null 2>&1 || fail "kill -9 run $i: $f is not loadable"
    done
    for f in "$T/k$i"/point_cloud/*/point_cloud.ply; do
        [ -e "$f" ] || continue
        "$TGS" info --ply "$f" >/dev/null 2>&1 || fail "kill -9 run $i: $f is not loadable"
    done
    n=$(ls "$T/k$i"/chkpnt*.tgs 2>/dev/null | wc -l)
    echo "ok   kill -9 run $i: $n checkpoints, all loadable"
done
echo "$fails failure(s)"
[ $fails -eq 0 ]
