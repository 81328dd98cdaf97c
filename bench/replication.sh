#!/usr/bin/env bash
# Replication benchmark (issue 4, point 7): cross-region lag under load, full-sync time and
# memory, bytes on the wire per replicated write, and write throughput with replication on,
# all on loopback with the release binaries.
#
# Usage: bench/replication.sh [results.md]
# Env:   PARTS (default lag,fullsync,bytes,throughput)  which parts to run, comma-separated
#        LAG_RATES (default "1000 10000 50000")  total writes/s over the three region masters
#        LAG_DURATION (default 10)     seconds of load per rate
#        LAG_REPLICAS (default 1)      replicas per region master in the lag part
#        LAG_MIX (default set=1,incr=1,hset=1,sadd=1)  loadgen command mix (lag part)
#        LAG_KEYS (default 100000)     keys per command type (lag part)
#        SYNC_KEYS (default 1000000)   keys loaded for the full-sync part (64-byte values)
#        BYTES_WRITES (default 50000)  writes per command in the bytes part
#        BYTES_RATE (default 10000)    writes/s in the bytes part
#        ROUNDS (default 3)            interleaved rounds in the throughput part (medians)
#        N (default 100000)            requests per redis-benchmark run
#        CLIENTS (default 50)          redis-benchmark connections
#        CONVERGE_TIMEOUT (default 60) seconds to wait for digests to agree after a load
#        SYNC_TIMEOUT (default 120)    seconds to wait for a full sync
#        BASE_PORT (default 7300)      first RESP port tried (RESP+10000 must be free too)
#        SKIP_BUILD=1                  use the existing release binaries
#        KEEP_LOGS=1                   keep the temp dir with every process's log
set -euo pipefail

PARTS=${PARTS:-lag,fullsync,bytes,throughput}
LAG_RATES=${LAG_RATES:-1000 10000 50000}
LAG_DURATION=${LAG_DURATION:-10}
LAG_REPLICAS=${LAG_REPLICAS:-1}
LAG_MIX=${LAG_MIX:-set=1,incr=1,hset=1,sadd=1}
LAG_KEYS=${LAG_KEYS:-100000}
SYNC_KEYS=${SYNC_KEYS:-1000000}
BYTES_WRITES=${BYTES_WRITES:-50000}
BYTES_RATE=${BYTES_RATE:-10000}
ROUNDS=${ROUNDS:-3}
N=${N:-100000}
CLIENTS=${CLIENTS:-50}
CONVERGE_TIMEOUT=${CONVERGE_TIMEOUT:-60}
SYNC_TIMEOUT=${SYNC_TIMEOUT:-120}
BASE_PORT=${BASE_PORT:-7300}
KEYSPACE=100000
PIPELINES=(1 16)
TESTS=(set incr)

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-}
[[ -z $out || $out == /* ]] || out="$PWD/$out"
work=$(mktemp -d -t meridian-repl.XXXXXX)
bin="${CARGO_TARGET_DIR:-$root/target}/release"
db="bench-$$"

declare -A pid_of=() # process name -> pid
declare -A port_used=()
next_port=$BASE_PORT

log() { echo "[repl-bench] $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

stop_pid() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop() { # stop NAME...
    local name
    for name in "$@"; do
        [[ -n ${pid_of[$name]:-} ]] || continue
        stop_pid "${pid_of[$name]}"
        unset "pid_of[$name]"
    done
}

stop_all() {
    local name
    for name in "${!pid_of[@]}"; do stop "$name"; done
}

cleanup() {
    stop_all
    if [[ -n ${KEEP_LOGS:-} ]]; then
        log "logs kept in $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in redis-server redis-cli redis-benchmark curl awk; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install redis-server redis-tools curl)"
done

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# alloc_port VAR [pair]: a loopback port nobody listens on and not handed out before; with
# "pair", port + 10000 too (a datanode's replication port). Sets VAR (no subshell: the
# handed-out set must persist).
alloc_port() {
    # Locals named apart from any caller's variable (printf -v would set a local of ours).
    local _ap_var=$1 _ap_pair=${2:-} _ap_p
    for _ in $(seq 2000); do
        _ap_p=$next_port
        next_port=$((next_port + 1))
        [[ -z ${port_used[$_ap_p]:-} ]] || continue
        listening "$_ap_p" && continue
        if [[ -n $_ap_pair ]]; then
            [[ -z ${port_used[$((_ap_p + 10000))]:-} ]] || continue
            listening $((_ap_p + 10000)) && continue
            port_used[$((_ap_p + 10000))]=1
        fi
        port_used[$_ap_p]=1
        printf -v "$_ap_var" '%s' "$_ap_p"
        return
    done
    die "no free port from $BASE_PORT"
}

# spawn NAME CMD...: runs CMD in the background with its output in $work/NAME.log.
spawn() {
    local name=$1
    shift
    "$@" >>"$work/$name.log" 2>&1 &
    pid_of[$name]=$!
}

wait_until() { # wait_until SECONDS DESCRIPTION CMD...: polls CMD every 0.1 s
    local limit=$1 what=$2
    shift 2
    local end=$((SECONDS + limit))
    until "$@"; do
        ((SECONDS < end)) || die "$what: not within ${limit}s (logs: $work)"
        sleep 0.1
    done
}

# redis-cli with a bound: a server that stopped answering must not hang the benchmark.
rcli() { timeout 30 redis-cli "$@"; }
pong() { [[ $(rcli -p "$1" ping 2>/dev/null || true) == PONG ]]; }

# datanode NAME PORT REGION [MASTER_PORT]: an active-active datanode (replication port PORT+10000).
datanode() {
    local name=$1 port=$2 region=$3 master=${4:-}
    local args=(--port "$port" --bind 127.0.0.1 --region "$region" --active-active --database-id "$db")
    [[ -z $master ]] || args+=(--replicaof "127.0.0.1 $master")
    RUST_LOG=${RUST_LOG:-warn} spawn "$name" "$bin/meridian-datanode" "${args[@]}"
    wait_until 10 "$name answering PING on $port" pong "$port"
}

# syncer NAME REGION LISTEN HTTP NODES PEER...: NODES are RESP ports (replication = +10000);
# PEER is REGION=PORT.
syncer() {
    local name=$1 region=$2 listen=$3 http=$4 nodes=$5
    shift 5
    local shard="" n p
    for n in $nodes; do shard+="${shard:+,}127.0.0.1:$((n + 10000))"; done
    local args=(--region "$region" --database-id "$db" --listen "127.0.0.1:$listen" --http "127.0.0.1:$http"
        --shard "0-16383=$shard")
    for p in "$@"; do args+=(--peer "${p%%=*}=127.0.0.1:${p#*=}"); done
    RUST_LOG=${RUST_LOG:-warn} spawn "$name" "$bin/meridian-syncer" "${args[@]}"
    wait_until 10 "$name's HTTP endpoint on $http" http_ok "$http" /healthz
}

http_ok() { curl -fsS -m 2 "http://127.0.0.1:$1$2" >/dev/null 2>&1; }
http_get() { curl -fsS -m 5 "http://127.0.0.1:$1$2"; }

# True when every peer of the syncer on HTTP port $1 is in partial sync.
peers_synced() {
    local info
    info=$(http_get "$1" /info 2>/dev/null) || return 1
    grep -q '^peer_' <<<"$info" || return 1
    ! grep '^peer_' <<<"$info" | grep -vq 'state=partial-sync'
}

# A field of the syncer's /info line for peer $2: syncer_field HTTP PEER FIELD
syncer_field() {
    http_get "$1" /info | tr -d '\r' | awk -v p="peer_$2:" -v f="$3" 'index($0, p) == 1 {
        n = split(substr($0, length(p) + 1), kv, ",")
        for (i = 1; i <= n; i++) { split(kv[i], a, "="); if (a[1] == f) print a[2] }
    }'
}

lag_field() { awk -F: -v f="$2" '$1 == f {print $2}' <<<"$1"; }

digest() { rcli -p "$1" meridian.digest 2>/dev/null || echo "error"; }
dbsize() { rcli -p "$1" dbsize 2>/dev/null || echo "error"; }

# True when every port in "$@" has the same digest.
converged() {
    local first d p
    first=$(digest "$1")
    [[ $first != error && -n $first ]] || return 1
    for p in "${@:2}"; do
        d=$(digest "$p")
        [[ $d == "$first" ]] || return 1
    done
}

# time_until TIMEOUT CMD...: polls CMD every 0.1 s; prints the seconds it took, or "no" after
# TIMEOUT.
time_until() {
    local limit=$1 start
    shift
    start=$(now)
    while ! "$@"; do
        if awk -v s="$start" -v n="$(now)" -v l="$limit" 'BEGIN {exit !(n - s > l)}'; then
            echo no
            return
        fi
        sleep 0.1
    done
    awk -v s="$start" -v n="$(now)" 'BEGIN {printf "%.1f", n - s}'
}

# wait_converged TIMEOUT PORT...: prints the seconds it took, or "no" after TIMEOUT.
wait_converged() { time_until "$1" converged "${@:2}"; }

# wait_synced PORT KEYS DIGEST START: polls PORT every 50 ms for up to SYNC_TIMEOUT until its
# digest is DIGEST; prints "yes|no SECONDS_TO_EQUAL_DBSIZE|n/a SECONDS", all since START.
wait_synced() {
    local port=$1 keys=$2 want=$3 start=$4 ok=no t_dbsize=n/a
    local end=$((SECONDS + SYNC_TIMEOUT))
    while ((SECONDS < end)); do
        if [[ $(dbsize "$port") == "$keys" ]]; then
            [[ $t_dbsize == n/a ]] && t_dbsize=$(elapsed "$start")
            if [[ $(digest "$port") == "$want" ]]; then
                ok=yes
                break
            fi
        fi
        sleep 0.05
    done
    echo "$ok $t_dbsize $(elapsed "$start")"
}

now() { date +%s.%N; }
elapsed() { awk -v s="$1" -v n="$(now)" 'BEGIN {printf "%.2f", n - s}'; }
status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_mb() { awk -v k="$(status_kb "$1" VmHWM)" 'BEGIN {printf "%.0f", k / 1024}'; }
rss_mb() { awk -v k="$(status_kb "$1" VmRSS)" 'BEGIN {printf "%.0f", k / 1024}'; }
# Resets the peak RSS (VmHWM) of a process to its current RSS.
reset_hwm() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || log "cannot reset VmHWM of pid $1"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Busy and total jiffies of the whole machine.
# Busy (user, nice, system, irq, softirq), total and steal jiffies of the whole machine.
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9}' /proc/stat; }

median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "nan" || b == "nan" || a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b}'; }
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
med() { tr ' ' '\n' <<<"$1" | grep . | median || true; } # median of a space-separated list
ms() { awk -v u="$1" 'BEGIN {if (u == "") print "n/a"; else printf "%.1f", u / 1000}'; }

# --- build -------------------------------------------------------------------------------------
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building release binaries"
    (cd "$root" && cargo build --release -p meridian-datanode -p meridian-syncer -p meridian-e2e --bins) >&2
fi
for b in meridian-datanode meridian-syncer loadgen countproxy; do
    [[ -x $bin/$b ]] || die "$bin/$b missing (cargo build --release -p meridian-datanode -p meridian-syncer -p meridian-e2e --bins)"
done
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | head -1)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

part_on() { [[ ,$PARTS, == *,$1,* ]]; }
report=()
say() { report+=("$*"); }

# Starts regions 1..$1 (a master and $2 replicas each, and a syncer peered with every other
# region). Sets master[r], nodes[r] (master first), http[r], listen[r].
declare -A master=() nodes=() http=() listen=()
start_regions() {
    local count=$1 replicas=$2 r i o p m
    for r in $(seq "$count"); do
        alloc_port m pair
        master[$r]=$m
        nodes[$r]=$m
        datanode "r$r-master" "$m" "$r"
        for i in $(seq "$replicas"); do
            alloc_port p pair
            nodes[$r]+=" $p"
            datanode "r$r-replica$i" "$p" "$r" "$m"
        done
        alloc_port p
        listen[$r]=$p
        alloc_port p
        http[$r]=$p
    done
    for r in $(seq "$count"); do
        local peers=()
        for o in $(seq "$count"); do [[ $o == "$r" ]] || peers+=("$o=${listen[$o]}"); done
        syncer "r$r-syncer" "$r" "${listen[$r]}" "${http[$r]}" "${nodes[$r]}" "${peers[@]}"
    done
    for r in $(seq "$count"); do
        wait_until 30 "region $r's syncer in partial sync with every peer" peers_synced "${http[$r]}"
    done
}

stop_regions() {
    local name
    for name in "${!pid_of[@]}"; do
        [[ $name == r[0-9]* ]] && stop "$name"
    done
    master=() nodes=() http=() listen=()
}

# --- lag ---------------------------------------------------------------------------------------
part_lag() {
    local rows=() cpu_rows=() rate r all_nodes
    for rate in $LAG_RATES; do
        # Fresh regions per rate: no backlog or dataset left from the previous one.
        log "lag: 3 regions x (master + $LAG_REPLICAS replicas) + 3 syncers"
        start_regions 3 "$LAG_REPLICAS"
        all_nodes="${nodes[1]} ${nodes[2]} ${nodes[3]}"
        for r in 1 2 3; do http_get "${http[$r]}" '/lag?reset=1' >/dev/null; done
        local name
        declare -A t0=()
        for name in "${!pid_of[@]}"; do t0[$name]=$(cpu_ticks "${pid_of[$name]}"); done
        local m0 m1 start lg lg_status=0
        m0=$(machine_ticks)
        start=$(now)
        log "lag: $rate writes/s for ${LAG_DURATION}s"
        lg=$(/usr/bin/time -f 'loadgen_cpu=%U+%S' -o "$work/loadgen.time" "$bin/loadgen" rate \
            --target "127.0.0.1:${master[1]},127.0.0.1:${master[2]},127.0.0.1:${master[3]}" \
            --rate "$rate" --duration "$LAG_DURATION" --connections 2 --pipeline 128 --mix "$LAG_MIX" \
            --keys "$LAG_KEYS" --seed "$rate" 2>>"$work/loadgen.log") || lg_status=$?
        local secs
        secs=$(elapsed "$start")
        m1=$(machine_ticks)
        log "$lg"
        # CPU per role over the load (% of one core).
        declare -A role=()
        for name in "${!pid_of[@]}"; do
            local d=$(($(cpu_ticks "${pid_of[$name]}") - ${t0[$name]:-0})) kind
            case $name in
            *master) kind=masters ;; *replica*) kind=replicas ;; *syncer) kind=syncers ;; *) kind=other ;;
            esac
            role[$kind]=$((${role[$kind]:-0} + d))
        done
        local lg_cpu busy
        lg_cpu=$(sed -n 's/^loadgen_cpu=//p' "$work/loadgen.time" | awk -F+ '{printf "%.0f", ($1 + $2) * 100}')
        busy=$(awk -v a="$m0" -v b="$m1" 'BEGIN {split(a, x, " "); split(b, y, " "); if (y[2] > x[2]) printf "%.0f | %.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]), 100 * (y[3] - x[3]) / (y[2] - x[2]); else print "n/a | n/a"}')
        pct() { awk -v t="${1:-0}" -v s="$secs" 'BEGIN {printf "%.0f", t / s}'; }
        cpu_rows+=("| $rate | $(pct "${role[masters]:-0}") | $(pct "${role[replicas]:-0}") | $(pct "${role[syncers]:-0}") | $(pct "${lg_cpu:-0}") | $busy |")
        unset role t0
        local conv
        # shellcheck disable=SC2086 # a list of ports
        conv=$(wait_converged "$CONVERGE_TIMEOUT" $all_nodes)
        [[ $conv == no ]] && conv="**no** (${CONVERGE_TIMEOUT}s)" || conv="yes (${conv}s)"
        # Lag quantiles per syncer, read once everything converged (or the timeout passed).
        local worst50=0 worst99=0 worstmax=0 per="" samples=0 q
        for r in 1 2 3; do
            q=$(http_get "${http[$r]}" /lag || true)
            local c p50 p99 mx
            c=$(lag_field "$q" count) p50=$(lag_field "$q" p50_us) p99=$(lag_field "$q" p99_us) mx=$(lag_field "$q" max_us)
            c=${c:-0} p50=${p50:-0} p99=${p99:-0} mx=${mx:-0}
            samples=$((samples + c))
            ((p50 > worst50)) && worst50=$p50
            ((p99 > worst99)) && worst99=$p99
            ((mx > worstmax)) && worstmax=$mx
            per+="${per:+ / }$(ms "$p99")"
        done
        local acked errors achieved
        acked=$(kv "$lg" acked) errors=$(kv "$lg" errors) achieved=$(kv "$lg" achieved_rate)
        [[ $lg_status == 0 ]] || errors="$errors (+$(kv "$lg" conn_errors) failed connections)"
        rows+=("| $rate | ${achieved:-n/a} | ${acked:-n/a} | ${errors:-n/a} | $(ms "$worst50") | $(ms "$worst99") | $(ms "$worstmax") | $per | $samples / $((2 * ${acked:-0})) | $conv | $(awk -v u="$worst99" 'BEGIN {print (u < 10000) ? "met" : "not met"}') |")
        stop_regions
    done
    say "### Cross-region replication lag"
    say ""
    say "3 regions, each a master, $LAG_REPLICAS replica(s) and a syncer, all peered on loopback, started afresh for each"
    say "rate. \`loadgen rate\` spreads the writes evenly over the three masters (2 connections each, at most 128 in"
    say "flight per connection; mix \`$LAG_MIX\` on $LAG_KEYS keys per type) for ${LAG_DURATION}s. Lag: each syncer's"
    say "\`/lag\` (reset before the load, read after convergence): time from a delta's append on its origin master to"
    say "the end of its application on the local master. Worst syncer's quantile, and p99 of syncers r1 / r2 / r3."
    say "Samples: deltas applied over twice the writes acked (each write is applied in two other regions)."
    say "Converged: every node of every region (masters and replicas) has the same \`MERIDIAN.DIGEST\`, time after the load."
    say ""
    say "| requested writes/s | achieved writes/s | writes acked | errors | lag p50 (ms) | lag p99 (ms) | lag max (ms) | p99 r1 / r2 / r3 (ms) | lag samples / expected | converged | p99 < 10 ms |"
    say "|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|"
    for r in "${rows[@]}"; do say "$r"; done
    say ""
    say "CPU during the load, % of one core (summed per role; the machine has $(nproc) cores):"
    say ""
    say "| requested writes/s | 3 masters | $((3 * LAG_REPLICAS)) replicas | 3 syncers | loadgen | whole machine busy (% of all cores) | steal (% of all cores) |"
    say "|---:|---:|---:|---:|---:|---:|---:|"
    for r in "${cpu_rows[@]}"; do say "$r"; done
    say ""
}

# --- full sync ---------------------------------------------------------------------------------
part_fullsync() {
    log "fullsync: loading $SYNC_KEYS keys into region 1's master"
    local m1 rep m2 p l1 h1 l2 h2 lg start secs
    alloc_port m1 pair
    datanode r1-master "$m1" 1
    start=$(now)
    lg=$("$bin/loadgen" bulk --target "127.0.0.1:$m1" --count "$SYNC_KEYS" --connections 4 --pipeline 256 \
        2>>"$work/loadgen.log") || die "bulk load failed: $lg"
    log "$lg ($(elapsed "$start")s)"
    local keys
    keys=$(dbsize "$m1")
    [[ $keys == "$SYNC_KEYS" ]] || log "warning: DBSIZE $keys after loading $SYNC_KEYS keys"
    local dstart digest_secs master_digest
    dstart=$(now)
    master_digest=$(digest "$m1")
    digest_secs=$(elapsed "$dstart")
    local m1_pid=${pid_of[r1-master]} m1_rss
    m1_rss=$(rss_mb "$m1_pid")

    # (a) In-region: a replica from scratch.
    alloc_port rep pair
    reset_hwm "$m1_pid"
    log "fullsync (a): replica of region 1's master"
    start=$(now)
    RUST_LOG=${RUST_LOG:-warn} spawn r1-replica1 "$bin/meridian-datanode" --port "$rep" --bind 127.0.0.1 --region 1 \
        --active-active --database-id "$db" --replicaof "127.0.0.1 $m1"
    local ok_a t_dbsize_a t_a
    read -r ok_a t_dbsize_a t_a < <(wait_synced "$rep" "$keys" "$master_digest" "$start")
    local rep_hwm m1_hwm_a
    rep_hwm=$(hwm_mb "${pid_of[r1-replica1]}")
    m1_hwm_a=$(hwm_mb "$m1_pid")
    log "fullsync (a): $ok_a after ${t_a}s"

    # (b) Cross-region: region 1's syncer is up; region 2 (master + syncer) starts empty.
    alloc_port l1
    alloc_port h1
    alloc_port l2
    alloc_port h2
    alloc_port m2 pair
    syncer r1-syncer 1 "$l1" "$h1" "$m1 $rep" "2=$l2"
    sleep 1
    local s1_pid=${pid_of[r1-syncer]}
    reset_hwm "$m1_pid"
    reset_hwm "$s1_pid"
    log "fullsync (b): region 2 from scratch"
    start=$(now)
    datanode r2-master "$m2" 2
    syncer r2-syncer 2 "$l2" "$h2" "$m2" "1=$l1"
    local ok_b t_dbsize_b t_b
    read -r ok_b t_dbsize_b t_b < <(wait_synced "$m2" "$keys" "$master_digest" "$start")
    log "fullsync (b): $ok_b after ${t_b}s"
    local m2_hwm s1_hwm s2_hwm m1_hwm_b full_syncs
    m2_hwm=$(hwm_mb "${pid_of[r2-master]}")
    s1_hwm=$(hwm_mb "$s1_pid")
    s2_hwm=$(hwm_mb "${pid_of[r2-syncer]}")
    m1_hwm_b=$(hwm_mb "$m1_pid")
    full_syncs=$(syncer_field "$h2" 1 full_syncs || true)
    stop r2-syncer r2-master r1-syncer r1-replica1 r1-master

    local verdict_a verdict_b
    verdict_a=$(awk -v t="$t_a" -v ok="$ok_a" 'BEGIN {print (ok == "yes" && t < 10) ? "met" : "not met"}')
    verdict_b=$(awk -v t="$t_b" -v ok="$ok_b" 'BEGIN {print (ok == "yes" && t < 10) ? "met" : "not met"}')
    say "### Full sync of $keys keys"
    say ""
    say "Region 1's master loaded with \`loadgen bulk\` ($keys \`SET key:<i> <64 random bytes>\`, 16-byte keys):"
    say "$(kv "$lg" achieved_rate) writes/s; its RSS after the load: $m1_rss MiB; \`MERIDIAN.DIGEST\` of it took ${digest_secs}s."
    say "Time: from starting the new process(es) until the new node's \`MERIDIAN.DIGEST\` equals region 1's master's"
    say "(polled every 50 ms; the \`DBSIZE\` column is when the key count first matched). Peak RSS: \`VmHWM\`,"
    say "reset (\`/proc/PID/clear_refs\`) on the processes already running just before the sync started."
    say ""
    say "| sync | converged | DBSIZE equal (s) | digest equal (s) | target < 10 s | peak RSS (MiB) |"
    say "|---|---|---:|---:|---|---|"
    say "| (a) in-region: new replica (\`--replicaof\`) | $ok_a | $t_dbsize_a | $t_a | $verdict_a | replica $rep_hwm, master $m1_hwm_a |"
    say "| (b) cross-region: new region 2 (master + syncer) | $ok_b | $t_dbsize_b | $t_b | $verdict_b | region 2 master $m2_hwm, region 2 syncer $s2_hwm, region 1 syncer $s1_hwm, region 1 master $m1_hwm_b |"
    say ""
    say "Full syncs region 2's syncer reports from region 1: ${full_syncs:-n/a}."
    say ""
}

# --- bytes per replicated write ----------------------------------------------------------------
part_bytes() {
    log "bytes: regions 1 and 2 (a master and a syncer each); region 1 reaches region 2 through a counting proxy"
    local m1 m2 l1 h1 l2 h2 px ps
    alloc_port m1 pair
    alloc_port m2 pair
    alloc_port l1
    alloc_port h1
    alloc_port l2
    alloc_port h2
    alloc_port px
    alloc_port ps
    datanode r1-master "$m1" 1
    datanode r2-master "$m2" 2
    spawn countproxy "$bin/countproxy" --listen "127.0.0.1:$px" --target "127.0.0.1:$l2" --stats "127.0.0.1:$ps"
    wait_until 10 "countproxy" listening "$ps"
    syncer r1-syncer 1 "$l1" "$h1" "$m1" "2=$px"
    syncer r2-syncer 2 "$l2" "$h2" "$m2" "1=$l1"
    wait_until 30 "region 1's syncer linked to region 2" peers_synced "$h1"
    wait_until 30 "region 2's syncer linked to region 1" peers_synced "$h2"
    proxy_bytes() { (exec 3<>"/dev/tcp/127.0.0.1/$ps" && cat <&3) | awk '{split($3, u, "="); split($4, d, "="); print u[2] + d[2]}'; }
    # Idle traffic (heartbeats, HTTP/2 pings), to subtract.
    local b0 b1 t0 idle_rate
    b0=$(proxy_bytes)
    t0=$(now)
    sleep 5
    b1=$(proxy_bytes)
    idle_rate=$(awk -v a="$b0" -v b="$b1" -v s="$(elapsed "$t0")" 'BEGIN {printf "%.1f", (b - a) / s}')
    local rows=() cmd
    for cmd in set incr; do
        local keys=1000000000
        [[ $cmd == incr ]] && keys=1000
        local pay0 del0 off0 lg pay1 del1 off1 secs
        pay0=$(syncer_field "$h1" 2 bytes_received)
        del0=$(syncer_field "$h1" 2 deltas_received)
        off0=$(rcli -p "$m2" info replication | tr -d '\r' | awk -F: '$1 == "master_repl_offset" {print $2}')
        b0=$(proxy_bytes)
        t0=$(now)
        log "bytes: $BYTES_WRITES ${cmd^^} at $BYTES_RATE/s into region 2"
        lg=$("$bin/loadgen" rate --target "127.0.0.1:$m2" --rate "$BYTES_RATE" \
            --duration "$(awk -v n="$BYTES_WRITES" -v r="$BYTES_RATE" 'BEGIN {print n / r}')" \
            --connections 1 --pipeline 128 --mix "$cmd=1" --keys "$keys" 2>>"$work/loadgen.log") || true
        local conv
        conv=$(wait_converged "$CONVERGE_TIMEOUT" "$m1" "$m2")
        sleep 0.5
        pay1=$(syncer_field "$h1" 2 bytes_received)
        del1=$(syncer_field "$h1" 2 deltas_received)
        off1=$(rcli -p "$m2" info replication | tr -d '\r' | awk -F: '$1 == "master_repl_offset" {print $2}')
        b1=$(proxy_bytes)
        secs=$(elapsed "$t0")
        local writes
        writes=$(kv "$lg" acked)
        per() { awk -v b="$1" -v w="$writes" 'BEGIN {if (w > 0) printf "%.1f", b / w; else print "n/a"}'; }
        local wire
        wire=$(awk -v a="$b0" -v b="$b1" -v i="$idle_rate" -v s="$secs" 'BEGIN {printf "%.0f", b - a - i * s}')
        rows+=("| ${cmd^^} | ${writes:-n/a} | $(kv "$lg" bytes_per_cmd) | $(per $((off1 - off0))) | $(per $((pay1 - pay0))) | $(per $((del1 - del0))) | $(per "$wire") | $conv |")
    done
    stop r1-syncer r2-syncer countproxy r1-master r2-master
    say "### Bytes per replicated write"
    say ""
    say "Regions 1 and 2, a master and a syncer each; \`loadgen rate\` writes $BYTES_WRITES commands at $BYTES_RATE/s into region 2's"
    say "master (SET: random 16-byte keys \`key:<12 digits>\`, 64-byte random alphanumeric values; INCR: 1000 16-byte keys)."
    say "* RESP: the command as the client sent it."
    say "* In-region stream: growth of region 2 master's \`master_repl_offset\` per write (what a replica or the syncer reads)."
    say "* Syncer payload: region 1 syncer's \`bytes_received\` from region 2 in \`/info\` (the delta frames' payloads,"
    say "  uncompressed, no gRPC framing), and its \`deltas_received\`."
    say "* Cross-region wire: bytes through a TCP proxy (\`countproxy\`) on region 1's link to region 2's syncer, both"
    say "  directions, TCP payload (gRPC + HTTP/2 + gzip, no IP/TCP headers), minus the idle traffic of the link"
    say "  (${idle_rate} B/s measured over 5 s before) over the same time. **This is the figure reported as bytes on the wire.**"
    say ""
    say "| command | writes | RESP bytes/write | in-region stream bytes/write | syncer payload bytes/write | deltas/write | cross-region wire bytes/write | converged (s) |"
    say "|---|---:|---:|---:|---:|---:|---:|---:|"
    for r in "${rows[@]}"; do say "$r"; done
    say ""
}

# --- throughput --------------------------------------------------------------------------------
part_throughput() {
    log "throughput: starting a lone meridian master, a replicated one (2 replicas, 2 peer regions), and the same for redis-server"
    local alone ra rr rr1 rr2
    alloc_port alone pair
    datanode alone-master "$alone" 1
    start_regions 3 0
    # Two more replicas in region 1 (region 1's syncer knows only its master: it finds the
    # master by asking, so that is enough for it).
    local p1 p2
    alloc_port p1 pair
    alloc_port p2 pair
    datanode r1-replica1 "$p1" 1 "${master[1]}"
    datanode r1-replica2 "$p2" 1 "${master[1]}"
    local replicated=${master[1]}
    alloc_port ra
    alloc_port rr
    alloc_port rr1
    alloc_port rr2
    redis() { spawn "$1" redis-server --save '' --appendonly no --port "$2" --bind 127.0.0.1 --daemonize no "${@:3}"; }
    redis redis-alone "$ra"
    redis redis-master "$rr"
    redis redis-replica1 "$rr1" --replicaof 127.0.0.1 "$rr"
    redis redis-replica2 "$rr2" --replicaof 127.0.0.1 "$rr"
    for p in "$ra" "$rr" "$rr1" "$rr2"; do wait_until 10 "redis-server on $p" pong "$p"; done
    redis_link_up() { rcli -p "$1" info replication | grep -q 'master_link_status:up'; }
    wait_until 30 "redis replica 1 linked" redis_link_up "$rr1"
    wait_until 30 "redis replica 2 linked" redis_link_up "$rr2"
    wait_until 30 "meridian replica 1 linked" redis_link_up "$p1"
    wait_until 30 "meridian replica 2 linked" redis_link_up "$p2"

    repl_offset() { rcli -p "$1" info replication | tr -d '\r' | awk -F: '$1 == "master_repl_offset" {print $2}'; }
    redis_caught_up() {
        local want p
        want=$(repl_offset "$1")
        for p in "${@:2}"; do [[ $(repl_offset "$p") == "$want" ]] || return 1; done
    }
    wait_redis_caught_up() { time_until "$1" redis_caught_up "${@:2}"; } # like wait_converged, on offsets
    run_one() { # run_one PORT TEST PIPELINE: prints requests/s or nothing
        local csv
        csv=$(timeout 300 redis-benchmark -p "$1" -c "$CLIENTS" -n "$N" -r "$KEYSPACE" -P "$3" -t "$2" --csv 2>>"$work/redis-benchmark.err") || return 0
        awk -F'"' -v t="${2^^}" '$2 == t {print $4}' <<<"$csv"
    }
    # The master's own CPU per request (utime + stime from /proc): on this machine the
    # followers share its cores, so this says what the master would do with cores to itself.
    cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
    local tck
    tck=$(getconf CLK_TCK)
    declare -A res=() catchup=() cpu=()
    local round pipeline test setup port rps pid t0 t1
    for round in $(seq "$ROUNDS"); do
        log "throughput: round $round/$ROUNDS"
        for pipeline in "${PIPELINES[@]}"; do
            for test in "${TESTS[@]}"; do
                for setup in m-alone m-repl r-alone r-repl; do
                    case $setup in
                    m-alone) port=$alone pid=${pid_of[alone-master]} ;;
                    m-repl) port=$replicated pid=${pid_of[r1-master]} ;;
                    r-alone) port=$ra pid=${pid_of[redis-alone]} ;;
                    r-repl) port=$rr pid=${pid_of[redis-master]} ;;
                    esac
                    t0=$(cpu_ticks "$pid")
                    rps=$(run_one "$port" "$test" "$pipeline")
                    t1=$(cpu_ticks "$pid")
                    [[ -n $rps ]] && res[$setup,$test,$pipeline]+="$rps "
                    cpu[$setup,$test,$pipeline]+="$(awk -v a="$t0" -v b="$t1" -v t="$tck" -v n="$N" 'BEGIN {printf "%.2f", (b - a) / t * 1e6 / n}') "
                    # Let the replicas and peers catch up before the next run, so that it does
                    # not share the CPUs with the catch-up; the time it takes is reported.
                    local caught
                    case $setup in
                    m-repl) caught=$(wait_converged "$CONVERGE_TIMEOUT" "$replicated" "$p1" "$p2" "${master[2]}" "${master[3]}") ;;
                    r-repl) caught=$(wait_redis_caught_up "$CONVERGE_TIMEOUT" "$rr" "$rr1" "$rr2") ;;
                    *) caught= ;;
                    esac
                    [[ -n $caught ]] && catchup[$setup,$test,$pipeline]+="$caught "
                done
            done
        done
    done
    stop_all
    say "### Write throughput with replication on"
    say ""
    say "\`redis-benchmark -c $CLIENTS -n $N -r $KEYSPACE -P 1|16 -t set|incr\`, median of $ROUNDS rounds, interleaved"
    say "(meridian alone, meridian replicated, redis alone, redis replicated, per test and pipeline depth)."
    say "Meridian alone: one active-active master with nothing attached. Meridian replicated: region 1's master with two"
    say "replicas and its syncer, two peer regions (a master and a syncer each) subscribed to it. Redis: \`redis-server\`"
    say "alone, and with two \`redis-server --replicaof\` replicas. Every process, and the client, shares the $(nproc) cores."
    say "After each replicated run the next one waits until the replicas (and peer regions) caught up: for meridian"
    say "until region 1's three nodes and the two peer masters have the same \`MERIDIAN.DIGEST\`, for redis until the"
    say "replicas' \`master_repl_offset\` equals the master's (polled every 0.1 s, at most ${CONVERGE_TIMEOUT}s; \"no\" if not)."
    say "Catch-up: median of those waits, from the end of the run. Master CPU: the master process's user + system"
    say "time during the run over the requests (clock ticks of 1/${tck} s, so about ±$(awk -v t="$tck" -v n="$N" 'BEGIN {printf "%.2f", 1e6 / t / n}') µs), median;"
    say "alone/replicated CPU is the throughput ratio the master would reach if its followers did not share its cores."
    say ""
    say "| server | test | pipeline | alone rps | replicated rps | replicated/alone | ≥ 0.8× | catch-up after the run (s) | master CPU µs/request alone / replicated | alone/replicated CPU |"
    say "|---|---|---:|---:|---:|---:|---|---:|---|---:|"
    local server s
    for server in meridian redis; do
        s=${server:0:1}
        for pipeline in "${PIPELINES[@]}"; do
            for test in "${TESTS[@]}"; do
                local a b
                a=$(med "${res[$s-alone,$test,$pipeline]:-}")
                b=$(med "${res[$s-repl,$test,$pipeline]:-}")
                [[ -n $a ]] || a=nan
                [[ -n $b ]] || b=nan
                local c
                c=${catchup[$s-repl,$test,$pipeline]:-}
                c=$(med "${c//no/inf}") # a wait that gave up ("no") sorts above every time
                [[ $c == inf ]] && c="no (>${CONVERGE_TIMEOUT}s)"
                local ca cb
                ca=$(med "${cpu[$s-alone,$test,$pipeline]:-}")
                cb=$(med "${cpu[$s-repl,$test,$pipeline]:-}")
                say "| $server | ${test^^} | $pipeline | $(awk -v v="$a" 'BEGIN {if (v == "nan") print "error"; else printf "%.0f", v}') | $(awk -v v="$b" 'BEGIN {if (v == "nan") print "error"; else printf "%.0f", v}') | $(ratio "$b" "$a") | $(awk -v r="$(ratio "$b" "$a")" 'BEGIN {if (r == "n/a") print "n/a"; else print (r >= 0.8) ? "met" : "not met"}') | ${c:-n/a} | ${ca:-?} / ${cb:-?} | $(ratio "${ca:-nan}" "${cb:-nan}") |"
            done
        done
    done
    say ""
}

# --- run -----------------------------------------------------------------------------------------
started=$(now)
part_on lag && part_lag
part_on fullsync && part_fullsync
part_on bytes && part_bytes
part_on throughput && part_throughput
total=$(elapsed "$started")

emit() {
    echo "## Replication (issue 4, point 7)"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $commit${dirty:+ (with uncommitted changes)}, release build;" \
        "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr)."
    echo "Load average at the start: $load_start. Parts: $PARTS; the whole run took ${total}s."
    echo
    printf '%s\n' "${report[@]}"
}

if [[ -n $out ]]; then
    emit | tee "$out"
else
    emit
fi
