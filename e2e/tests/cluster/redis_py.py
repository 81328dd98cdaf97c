"""redis-py's RedisCluster against a Meridian region: discovers the shards from one node,
then reads and writes across every slot. Prints one line per check; the Rust test compares
the whole output. Usage: redis_py.py <port of any node>"""

import sys

from redis.cluster import RedisCluster

port = int(sys.argv[1])
rc = RedisCluster(host="127.0.0.1", port=port, socket_timeout=10)

roles = sorted(n.server_type for n in rc.get_nodes())
print("nodes", " ".join(roles))

keys = [f"key:{i}" for i in range(100)]
for k in keys:
    rc.set(k, k.upper())
print("get", all(rc.get(k) == k.upper().encode() for k in keys))
masters = {rc.get_node_from_key(k).port for k in keys}
print("masters used", len(masters))

rc.mset({"{user:1}:name": "ann", "{user:1}:city": "oslo"})
print("mget", rc.mget("{user:1}:name", "{user:1}:city", "{user:1}:none"))
print("incr", rc.incr("{user:1}:visits"), rc.incrby("{user:1}:visits", 41))
print("mset_nonatomic", rc.mset_nonatomic({"x": "1", "y": "2", "z": "3"}), rc.mget_nonatomic(["x", "y", "z"]))
print("zunionstore", rc.zadd("{s}a", {"m": 1}), rc.zadd("{s}b", {"m": 2, "n": 1}), rc.zunionstore("{s}u", ["{s}a", "{s}b"]))
print("zrange", rc.zrange("{s}u", 0, -1, withscores=True))
print("delete", rc.delete(*keys[:10]))
print("exists", rc.exists(*keys[:20]))
print("keyslot", rc.keyslot("foo"), rc.cluster_keyslot("foo"))
