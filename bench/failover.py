#!/usr/bin/env python3
"""Failover and rebuild benchmark (issue 11, point 7), on local mode with the release binaries.

Two regions, one shard, a master and a replica each, failover grace FAILOVER_GRACE seconds.

  failover  ROUNDS times: kill -9 region A's master, then SET on its replica every POLL_MS until
            one is accepted. Reported: kill -> first accepted write, and that minus the grace
            (the time from the end of the grace period to writes accepted again; target < 2 s).
  replica   KEYS keys (VALUE_SIZE-byte values) loaded; kill -9 region A's replica; the supervisor
            restarts it empty and it full-syncs from its master. Reported: time from the kill to
            the replica holding every key at the master's offset, and the peak RSS of the master
            and of the replica while it ran (sampled every 50 ms), next to the master's RSS before.
  peer      kill -9 both members of region A's shard; after the grace one comes back as master,
            empty, and the region's syncer full-syncs the shard from region B. Reported: kill ->
            every key back in region A (and that minus the grace), and peak RSS of region B's
            master (serving) and region A's new master (receiving), and of region A's syncer.

Usage: bench/failover.py [results.md]
Env:   PARTS (failover,replica,peer)  ROUNDS (5)  KEYS (1000000)  VALUE_SIZE (64)
       FAILOVER_GRACE (2)  BASE_PORT (7400)  POLL_MS (20)  TIMEOUT (300)
       CARGO_TARGET_DIR (the release binaries are read from $CARGO_TARGET_DIR/release)
       SKIP_BUILD=1  KEEP=1 (keep the state directory and logs)
"""

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release")
PARTS = os.environ.get("PARTS", "failover,replica,peer").split(",")
ROUNDS = int(os.environ.get("ROUNDS", "5"))
KEYS = int(os.environ.get("KEYS", "1000000"))
VALUE_SIZE = int(os.environ.get("VALUE_SIZE", "64"))
GRACE = int(os.environ.get("FAILOVER_GRACE", "2"))
BASE_PORT = int(os.environ.get("BASE_PORT", "7400"))
POLL = int(os.environ.get("POLL_MS", "20")) / 1000
TIMEOUT = float(os.environ.get("TIMEOUT", "300"))

MANIFEST = f"""apiVersion: meridian.io/v1alpha1
kind: ActiveActiveDatabase
metadata:
  name: bench
spec:
  regions:
    - {{name: region-a, id: 1, peerEndpoint: "a.example:7700"}}
    - {{name: region-b, id: 2, peerEndpoint: "b.example:7700"}}
  shards: 1
  replicas: 1
  failoverGracePeriodSeconds: {GRACE}
"""


def log(*args):
    print("[failover-bench]", *args, file=sys.stderr, flush=True)


class Local:
    """One local-mode database in the background, driven through its CLI."""

    def __init__(self, work):
        self.work = work
        self.dir = os.path.join(work, "state")
        self.manifest = os.path.join(work, "bench.yaml")
        with open(self.manifest, "w") as f:
            f.write(MANIFEST)
        self.operator = os.path.join(BIN, "meridian-operator")
        out = subprocess.run(
            [self.operator, "local", self.manifest, "--detach", "--dir", self.dir, "--bin-dir", BIN,
             "--port-base", str(BASE_PORT), "--ports-per-region", "100"],
            capture_output=True, text=True, timeout=180,
        )
        if out.returncode != 0:
            raise SystemExit(f"local mode did not start: {out.stderr}")

    def status(self):
        out = subprocess.run([self.operator, "local", "status", "--json", "--dir", self.dir],
                             capture_output=True, text=True, timeout=30)
        return json.loads(out.stdout)

    def stop(self):
        subprocess.run([self.operator, "local", "stop", "--dir", self.dir], capture_output=True, timeout=120)

    def shard(self, region):
        st = self.status()
        r = next(r for r in st["regions"] if r["name"] == region)
        return r, r["shards"][0]

    def wait(self, what, check, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except (redis.RedisError, KeyError, StopIteration, json.JSONDecodeError, OSError):
                pass
            time.sleep(0.05)
        raise SystemExit(f"timed out waiting for {what}")

    def wait_ready(self):
        self.wait("the database to be ready", lambda: self.status()["ready"])

    def master(self, region):
        _, shard = self.shard(region)
        return next(m for m in shard["members"] if m["ordinal"] == shard["master"])

    def replica(self, region):
        _, shard = self.shard(region)
        return next(m for m in shard["members"] if m["ordinal"] != shard["master"])


def client(addr):
    host, port = addr.rsplit(":", 1)
    return redis.Redis(host=host, port=int(port), socket_timeout=2, socket_connect_timeout=1)


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


class Peaks:
    """Peak RSS per named pid, sampled while a condition is awaited."""

    def __init__(self):
        self.peak = {}

    def sample(self, pids):
        for name, pid in pids.items():
            if pid:
                self.peak[name] = max(self.peak.get(name, 0), rss_kb(pid))


def mib(kb):
    return f"{kb / 1024:.0f} MiB"


def part_failover(db):
    times = []
    for i in range(ROUNDS):
        db.wait_ready()
        master, replica = db.master("region-a"), db.replica("region-a")
        c = client(replica["addr"])
        t0 = time.monotonic()
        os.kill(master["process"]["pid"], signal.SIGKILL)
        while True:
            try:
                if c.set(f"failover-{i}", "x"):
                    break
            except redis.RedisError:
                pass
            if time.monotonic() - t0 > TIMEOUT:
                raise SystemExit("no write accepted after the failover")
            time.sleep(POLL)
        took = time.monotonic() - t0
        times.append(took)
        log(f"failover {i + 1}/{ROUNDS}: writes accepted {took:.3f} s after the kill")
    after = [t - GRACE for t in times]
    return [
        f"| failover, kill -9 of a master -> first write accepted by the promoted replica (grace {GRACE} s, {ROUNDS} rounds) | median {statistics.median(times):.2f} s, max {max(times):.2f} s |",
        f"| failover, end of the grace period -> writes accepted | median {statistics.median(after):.2f} s, max {max(after):.2f} s |",
    ]


def load(db):
    db.wait_ready()
    master = db.master("region-a")
    subprocess.run(
        [os.path.join(BIN, "loadgen"), "bulk", "--target", master["addr"], "--count", str(KEYS),
         "--value-size", str(VALUE_SIZE), "--connections", "4", "--duration", "600"],
        check=True, capture_output=True, timeout=900,
    )
    # loadgen's connections share the key range, so fewer than KEYS distinct keys may result:
    # loaded means both regions hold the same, stable count.
    def loaded():
        a, b = db.master("region-a")["keys"], db.master("region-b")["keys"]
        time.sleep(0.5)
        return a and a == b == db.master("region-a")["keys"]

    db.wait("the load in both regions", loaded)
    db.wait_ready()


def part_replica(db):
    load(db)
    master, replica = db.master("region-a"), db.replica("region-a")
    before = rss_kb(master["process"]["pid"])
    peaks = Peaks()
    t0 = time.monotonic()
    os.kill(replica["process"]["pid"], signal.SIGKILL)

    def synced():
        _, shard = db.shard("region-a")
        m = next(x for x in shard["members"] if x["ordinal"] == shard["master"])
        r = next(x for x in shard["members"] if x["ordinal"] == replica["ordinal"])
        peaks.sample({"master": m["process"]["pid"], "replica": r["process"]["pid"]})
        return (r["process"]["pid"] != replica["process"]["pid"] and r["keys"] == m["keys"]
                and r["offset"] == m["offset"] and r["link_up"])

    db.wait("the replica rebuilt", synced)
    took = time.monotonic() - t0
    log(f"replica rebuilt in {took:.2f} s")
    return [
        f"| rebuild of a replica from its master, {master['keys']} keys of {VALUE_SIZE} B (kill -9 -> every key at the master's offset) | {took:.2f} s |",
        f"| peak RSS during it: master / replica (master before: {mib(before)}) | {mib(peaks.peak.get('master', 0))} / {mib(peaks.peak.get('replica', 0))} |",
    ]


def part_peer(db):
    if "replica" not in PARTS:
        load(db)
    db.wait_ready()
    region, shard = db.shard("region-a")
    b_master = db.master("region-b")
    want = b_master["keys"]
    before = rss_kb(b_master["process"]["pid"])
    peaks = Peaks()
    t0 = time.monotonic()
    killed = {m["process"]["pid"] for m in shard["members"]}
    for m in sorted(shard["members"], key=lambda m: m["ordinal"] == shard["master"]):
        os.kill(m["process"]["pid"], signal.SIGKILL)

    def rebuilt():
        r, s = db.shard("region-a")
        peaks.sample({"serving": b_master["process"]["pid"], "syncer": r["syncer"]["pid"]})
        if s["master"] is None:
            return False
        m = next(x for x in s["members"] if x["ordinal"] == s["master"])
        if m["process"]["pid"] in killed or m["process"]["pid"] is None:
            return False  # the status does not show the kill yet
        peaks.sample({"receiving": m["process"]["pid"]})
        return m["keys"] == want

    db.wait("the shard rebuilt from the peer region", rebuilt)
    took = time.monotonic() - t0
    log(f"shard rebuilt from the peer region in {took:.2f} s")
    return [
        f"| rebuild of a whole shard from the peer region, {want} keys (kill -9 of master and replica -> every key back on the new master; includes the {GRACE} s grace) | {took:.2f} s ({took - GRACE:.2f} s after the grace) |",
        f"| peak RSS during it: serving master (region B, before: {mib(before)}) / receiving master / region A's syncer | {mib(peaks.peak.get('serving', 0))} / {mib(peaks.peak.get('receiving', 0))} / {mib(peaks.peak.get('syncer', 0))} |",
    ]


def main():
    if os.environ.get("SKIP_BUILD") != "1":
        subprocess.run(
            ["cargo", "build", "--release", "--bin", "meridian-operator", "--bin", "meridian-datanode",
             "--bin", "meridian-syncer", "--bin", "loadgen"],
            cwd=ROOT, check=True,
        )
    work = tempfile.mkdtemp(prefix="meridian-failover.")
    db = Local(work)
    rows = []
    try:
        if "failover" in PARTS:
            rows += part_failover(db)
        if "replica" in PARTS:
            rows += part_replica(db)
        if "peer" in PARTS:
            rows += part_peer(db)
    finally:
        db.stop()
        if os.environ.get("KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept {work}")
    load_avg = os.getloadavg()[0]
    text = "\n".join(["| what | measured |", "|---|---|", *rows, "", f"load average at the end: {load_avg:.1f}", ""])
    print(text)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
