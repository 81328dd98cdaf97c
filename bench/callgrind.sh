#!/usr/bin/env bash
# Instructions per request, counted by callgrind, for one or more meridian-datanode binaries
# and for redis-server, under the same redis-benchmark load: a figure that does not depend on
# what else the machine is doing (timings on 2 shared cores do), so two builds can be compared
# while other work runs. Only what the server executes while the load runs is counted
# (collection is switched on after start-up and the counts are read at exit).
#
# Usage: bench/callgrind.sh DATANODE_BINARY [DATANODE_BINARY ...]
# Env:   N (default 20000)          requests per test
#        TESTS (default set,get,incr) redis-benchmark -t names
#        PIPELINE (default 16)      redis-benchmark -P
#        PORT (default 7301)        first port tried
set -euo pipefail

N=${N:-20000}
TESTS=${TESTS:-set,get,incr}
PIPELINE=${PIPELINE:-16}
PORT=${PORT:-7301}

work=$(mktemp -d -t meridian-callgrind.XXXXXX)
pid=
cleanup() {
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[callgrind] $*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in valgrind callgrind_control redis-server redis-cli redis-benchmark awk; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install valgrind redis-server redis-tools)"
done
[[ $# -ge 1 ]] || die "usage: bench/callgrind.sh DATANODE_BINARY [DATANODE_BINARY ...]"

# Waits (bounded: 120 s, valgrind starts slowly) until the server on $1 answers PING.
wait_ping() {
    for _ in $(seq 1200); do
        redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    die "nothing answers on port $1"
}

# Runs the load against the command "$@" started under callgrind on $PORT; prints, per
# test, the instructions the server executed per request.
measure() {
    local label=$1
    shift
    local out="$work/callgrind.out"
    rm -f "$out"
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" "$@" >"$work/server.log" 2>&1 &
    pid=$!
    wait_ping "$PORT"
    IFS=, read -r -a tests <<<"$TESTS"
    local counts=()
    callgrind_control -i on "$pid" >/dev/null
    for t in "${tests[@]}"; do
        callgrind_control -z "$pid" >/dev/null
        redis-benchmark -p "$PORT" -n "$N" -c 50 -P "$PIPELINE" -r 100000 -t "$t" -q >/dev/null
        callgrind_control -d "$pid" >/dev/null
        # The dump's totals line holds what was counted since the last zeroing.
        local dump
        dump=$(ls -t "$out".* 2>/dev/null | head -1)
        [[ -n $dump ]] || die "no callgrind dump for $label"
        local ir
        ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$dump")
        counts+=("$t=$((ir / N))")
        rm -f "$out".*
    done
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    pid=
    echo "$label ${counts[*]}"
}

measure redis-server redis-server --port "$PORT" --save "" --appendonly no
for bin in "$@"; do
    measure "$bin" "$bin" --port "$PORT" --bind 127.0.0.1
done
