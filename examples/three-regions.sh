#!/usr/bin/env bash
# Three regions of one Meridian database on this machine, by hand (until `meridian-operator
# local` exists): per region a master and a replica datanode and a syncer, on loopback.
#
#   examples/three-regions.sh            # builds (release), starts, waits; Ctrl-C stops all
#   redis-cli -p 7001 SET k a            # region 1 master; region 2: 7011, region 3: 7021
#   redis-cli -p 7011 GET k              # "a", a few ms later
#   curl -s 127.0.0.1:9701/info          # region 1's sync state per peer
#
# Ports: region R (1..3) master RESP 7000+10(R-1)+1, replica +1, replication = RESP + 10000,
# syncer gRPC 7700+R, syncer HTTP 9700+R.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SKIP_BUILD:-}" != 1 ]; then
  cargo build --release -p meridian-datanode -p meridian-syncer
fi
BIN=${CARGO_TARGET_DIR:-target}/release
DB=${DATABASE_ID:-example}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
for r in 1 2 3; do
  m=$((7000 + 10 * (r - 1) + 1))
  "$BIN/meridian-datanode" --port $m --region $r --active-active --database-id "$DB" &
  pids+=($!)
  "$BIN/meridian-datanode" --port $((m + 1)) --region $r --active-active --database-id "$DB" \
    --replicaof "127.0.0.1 $m" &
  pids+=($!)
done
sleep 0.5
for r in 1 2 3; do
  m=$((7000 + 10 * (r - 1) + 1))
  peers=()
  for o in 1 2 3; do
    [ $o = $r ] || peers+=(--peer "$o=127.0.0.1:$((7700 + o))")
  done
  "$BIN/meridian-syncer" --region $r --database-id "$DB" --listen 127.0.0.1:$((7700 + r)) \
    --http 127.0.0.1:$((9700 + r)) --shard "0-16383=127.0.0.1:$((m + 10000)),127.0.0.1:$((m + 10001))" \
    "${peers[@]}" &
  pids+=($!)
done
echo "three regions up: masters on 7001, 7011, 7021 (replicas on 7002, 7012, 7022); Ctrl-C stops them"
wait
