#!/usr/bin/env bash
# Throughput and memory per key of meridian-datanode next to Debian's redis-server, in one run.
#
# Usage: bench/datanode-vs-redis.sh [results.md]
# Env:   ROUNDS (default 5)      interleaved rounds per test and pipeline depth; the table shows medians
#        N (default 100000)      requests per redis-benchmark run
#        CLIENTS (default 50)    redis-benchmark connections
#        KEYSPACE (default 100000) redis-benchmark -r
#        TESTS (default set,get,incr,hset,sadd,zadd,lpush) redis-benchmark -t names
#        MEM_KEYS (default 1000000) keys loaded for the memory figure (64-byte values)
#        REDIS_PORT / MERIDIAN_PORT (defaults 7201 / 7202; the next free port is used if taken)
#        SKIP_BUILD=1            use the existing release meridian-datanode (honours CARGO_TARGET_DIR)
#        MERIDIAN_ARGS           extra datanode flags, e.g. "--threads 1"
set -euo pipefail

ROUNDS=${ROUNDS:-5}
N=${N:-100000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
MEM_KEYS=${MEM_KEYS:-1000000}
VALUE_SIZE=64
IFS=, read -r -a TESTS <<<"${TESTS:-set,get,incr,hset,sadd,zadd,lpush}"
PIPELINES=(1 16)

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-}
work=$(mktemp -d -t meridian-bench.XXXXXX)
redis_pid=
meridian_pid=

cleanup() {
    for pid in "$redis_pid" "$meridian_pid"; do
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            # Bounded wait, then force.
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[bench] $*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in redis-server redis-cli redis-benchmark cargo awk; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install redis-server redis-tools)"
done

# A port nobody answers on, starting at $1 (bounded scan).
free_port() {
    local p=$1
    for _ in $(seq 100); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
        p=$((p + 1))
    done
    die "no free port from $1"
}

wait_ready() {
    local port=$1 pid=$2
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || die "server on port $port exited during start-up"
        [[ $(redis-cli -p "$port" ping 2>/dev/null || true) == PONG ]] && return
        sleep 0.1
    done
    die "server on port $port did not answer PING within 10s"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "nan" || b == "nan" || b == 0) print "n/a"; else printf "%.2f", a / b}'; }

# --- build and start -------------------------------------------------------------------------
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building release binary"
    (cd "$root" && cargo build --release -p meridian-datanode) >&2
fi
meridian_bin="${CARGO_TARGET_DIR:-$root/target}/release/meridian-datanode"
[[ -x $meridian_bin ]] || die "$meridian_bin missing (cargo build --release -p meridian-datanode)"

redis_port=$(free_port "${REDIS_PORT:-7201}")
meridian_port=$(free_port "${MERIDIAN_PORT:-7202}")
[[ $meridian_port != "$redis_port" ]] || meridian_port=$(free_port $((redis_port + 1)))

start_servers() {
    redis-server --save '' --appendonly no --port "$redis_port" --bind 127.0.0.1 --daemonize no \
        >>"$work/redis.log" 2>&1 &
    redis_pid=$!
    # shellcheck disable=SC2086 # MERIDIAN_ARGS is a list of flags
    RUST_LOG=warn "$meridian_bin" --port "$meridian_port" --bind 127.0.0.1 ${MERIDIAN_ARGS:-} >>"$work/meridian.log" 2>&1 &
    meridian_pid=$!
    wait_ready "$redis_port" "$redis_pid"
    wait_ready "$meridian_port" "$meridian_pid"
    log "redis-server on :$redis_port (pid $redis_pid), meridian-datanode on :$meridian_port (pid $meridian_pid)"
}

stop_servers() {
    for pid in "$redis_pid" "$meridian_pid"; do
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    redis_pid=
    meridian_pid=
}

start_servers

# Flush between runs only if both servers can (LPUSH grows one list otherwise; keep it fair).
can_flush=0
if [[ $(redis-cli -p "$meridian_port" flushall 2>&1) == OK ]]; then
    can_flush=1
else
    log "meridian has no FLUSHALL: datasets are not reset between runs (for either server)"
fi

# --- throughput ------------------------------------------------------------------------------
# One redis-benchmark run; prints requests/sec, or nothing if the server replied with an error.
run_one() {
    local server=$1 port=$2 test=$3 pipeline=$4 csv
    if [[ $can_flush == 1 ]]; then redis-cli -p "$port" flushall >/dev/null; fi
    if ! csv=$(redis-benchmark -p "$port" -c "$CLIENTS" -n "$N" -r "$KEYSPACE" -P "$pipeline" -t "$test" --csv \
        2>"$work/err"); then
        log "$server $test -P $pipeline failed: $(tr -d '\n' <"$work/err" | cut -c1-200)"
        return
    fi
    # Lines: header, then "TEST","rps",...
    awk -F'"' -v t="${test^^}" '$2 == t {print $4}' <<<"$csv"
}

declare -A results=()
declare -A failed=() # "server test -P n" -> rounds that failed
errors=()
for round in $(seq "$ROUNDS"); do
    log "round $round/$ROUNDS"
    for pipeline in "${PIPELINES[@]}"; do
        for test in "${TESTS[@]}"; do
            for server in redis meridian; do
                port=$redis_port
                [[ $server == meridian ]] && port=$meridian_port
                rps=$(run_one "$server" "$port" "$test" "$pipeline")
                if [[ -z $rps ]]; then
                    key="$server ${test^^} -P $pipeline"
                    failed[$key]=$((${failed[$key]:-0} + 1))
                    continue
                fi
                results[$server,$test,$pipeline]+="$rps "
            done
        done
    done
done

# --- memory per key --------------------------------------------------------------------------
# Exactly MEM_KEYS distinct keys key:<i>, each with a 64-byte value, sent as RESP to redis-cli --pipe.
resp_stream() {
    awk -v n="$MEM_KEYS" -v size="$VALUE_SIZE" 'BEGIN {
        value = ""; for (i = 0; i < size; i++) value = value "x"
        for (i = 0; i < n; i++) {
            key = "key:" i
            printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(key), key, size, value
        }
    }'
}

declare -A mem=()
measure_memory() {
    local server=$1 port=$2 pid=$3 before after dbsize pipe_out
    sleep 1
    before=$(rss_kb "$pid")
    pipe_out=$(resp_stream | redis-cli -p "$port" --pipe 2>&1 || true)
    log "$server: $(tail -1 <<<"$pipe_out")"
    sleep 1
    after=$(rss_kb "$pid")
    dbsize=$(redis-cli -p "$port" dbsize 2>&1 || true)
    local note=""
    if ! [[ $dbsize =~ ^[0-9]+$ ]]; then
        note="DBSIZE failed ($dbsize); assumed $MEM_KEYS"
        errors+=("$server DBSIZE: $dbsize")
        dbsize=$MEM_KEYS
    fi
    mem[$server,before]=$before
    mem[$server,after]=$after
    mem[$server,keys]=$dbsize
    mem[$server,note]=$note
    mem[$server,per_key]=$(awk -v a="$after" -v b="$before" -v k="$dbsize" 'BEGIN {if (k > 0) printf "%.1f", (a - b) * 1024 / k; else print "nan"}')
}
# Fresh processes, so that neither allocator holds memory left from the throughput runs.
stop_servers
start_servers
log "memory: loading $MEM_KEYS keys with $VALUE_SIZE-byte values into each server"
measure_memory redis "$redis_port" "$redis_pid"
measure_memory meridian "$meridian_port" "$meridian_pid"

# --- report ----------------------------------------------------------------------------------
report() {
    echo "## meridian-datanode vs redis-server $(redis-server --version | awk '{print $3}' | cut -d= -f2)"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr)."
    echo "redis-benchmark -c $CLIENTS -n $N -r $KEYSPACE, median of $ROUNDS interleaved rounds;" \
        "servers and client share the machine. Datasets reset between runs: $([[ $can_flush == 1 ]] && echo yes || echo no)."
    echo
    echo "| test | pipeline | redis rps | meridian rps | meridian/redis |"
    echo "|---|---:|---:|---:|---:|"
    for pipeline in "${PIPELINES[@]}"; do
        for test in "${TESTS[@]}"; do
            local r m
            r=$(tr ' ' '\n' <<<"${results[redis,$test,$pipeline]:-}" | grep . | median || true)
            m=$(tr ' ' '\n' <<<"${results[meridian,$test,$pipeline]:-}" | grep . | median || true)
            [[ -n $r ]] || r=nan
            [[ -n $m ]] || m=nan
            printf "| %s | %s | %s | %s | %s |\n" "${test^^}" "$pipeline" \
                "$(awk -v v="$r" 'BEGIN {if (v == "nan") print "error"; else printf "%.0f", v}')" \
                "$(awk -v v="$m" 'BEGIN {if (v == "nan") print "error"; else printf "%.0f", v}')" \
                "$(ratio "$m" "$r")"
        done
    done
    echo
    echo "Memory: $MEM_KEYS \`SET key:<i> <$VALUE_SIZE bytes>\` through \`redis-cli --pipe\`; growth of VmRSS / DBSIZE."
    echo
    echo "| server | RSS before (KiB) | RSS after (KiB) | keys | bytes/key |"
    echo "|---|---:|---:|---:|---:|"
    for server in redis meridian; do
        printf "| %s | %s | %s | %s | %s |\n" "$server" "${mem[$server,before]}" "${mem[$server,after]}" \
            "${mem[$server,keys]}" "${mem[$server,per_key]}"
    done
    echo
    echo "meridian/redis bytes per key: $(ratio "${mem[meridian,per_key]}" "${mem[redis,per_key]}")"
    for server in redis meridian; do
        if [[ -n ${mem[$server,note]} ]]; then echo; echo "Note ($server): ${mem[$server,note]}"; fi
    done
    if ((${#failed[@]} + ${#errors[@]})); then
        echo
        echo "Failures (see stderr for the server's error):"
        for key in "${!failed[@]}"; do echo "- $key: ${failed[$key]} of $ROUNDS rounds"; done | sort
        for e in "${errors[@]}"; do echo "- $e"; done
    fi
}

if [[ -n $out ]]; then
    report | tee "$out"
else
    report
fi
