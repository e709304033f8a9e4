#!/usr/bin/env bash
# The test suite in two pytest processes at once (model-heavy analysis and Ray tests beside the rest): many tests
# wait on servers, browsers and subprocesses, so two processes keep both cores busy and CI stays well inside its
# time limit. Each process has its own temporary folder; the exit status is non-zero if either failed.
set -u
BIN=${BIN:-.venv/bin}
HEAVY=(tests/analysis tests/test_ray_engine.py tests/test_ray_labeller.py)
log=$(mktemp)
"$BIN/pytest" --durations=15 --basetemp="$(mktemp -d)/a" "${HEAVY[@]}" >"$log" 2>&1 &
heavy=$!
"$BIN/pytest" --durations=15 --basetemp="$(mktemp -d)/b" $(printf -- '--ignore=%s ' "${HEAVY[@]}") tests
rest=$?
wait "$heavy"
first=$?
echo "---------------- analysis and Ray tests (run alongside) ----------------"
cat "$log"
rm -f "$log"
[ "$rest" -eq 0 ] && [ "$first" -eq 0 ]
