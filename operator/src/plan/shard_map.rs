//! The region's shard map as datanodes and the syncer read it (`--shard-map-file`): per
//! shard its slots and its nodes' RESP addresses, master first. Who is master is the
//! operator's decision, so the map is rendered from the plan and that decision together.

use super::ShardPlan;
use super::slots;

/// `0-8191=m:6379,r:6379;8192-16383=...`: the shards in order, each with its master (the
/// ordinal in `masters`, default 0) first and then the other members by ordinal. `node`
/// gives the address of a shard's member.
pub fn render(shards: &[ShardPlan], masters: &[Option<u32>], node: impl Fn(u32, u32) -> String) -> String {
    let entries: Vec<String> = shards
        .iter()
        .map(|s| {
            let master = masters.get(s.index as usize).copied().flatten().filter(|m| *m < s.members).unwrap_or(0);
            let order = std::iter::once(master).chain((0..s.members).filter(|o| *o != master));
            let nodes: Vec<String> = order.map(|o| node(s.index, o)).collect();
            format!("{}={}", slots::render(s.slots), nodes.join(","))
        })
        .collect();
    entries.join(";\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_datanode::server::topology::{NodeAddr, Topology};

    fn shards(n: u32, members: u32) -> Vec<ShardPlan> {
        slots::split(n)
            .into_iter()
            .enumerate()
            .map(|(i, slots)| ShardPlan { index: i as u32, slots, members })
            .collect()
    }

    #[test]
    fn the_map_lists_the_chosen_master_first_and_datanodes_read_it() {
        let addr = |s: u32, o: u32| format!("db-shard-{s}-{o}.db-shard-{s}.ns.svc:6379");
        let map = render(&shards(2, 3), &[Some(2), None], addr);
        assert_eq!(
            map,
            "0-8191=db-shard-0-2.db-shard-0.ns.svc:6379,db-shard-0-0.db-shard-0.ns.svc:6379,db-shard-0-1.db-shard-0.ns.svc:6379;\n\
             8192-16383=db-shard-1-0.db-shard-1.ns.svc:6379,db-shard-1-1.db-shard-1.ns.svc:6379,db-shard-1-2.db-shard-1.ns.svc:6379\n"
        );
        // The datanode's own parser takes it, and finds the chosen master.
        let me = NodeAddr::parse("db-shard-0-0.db-shard-0.ns.svc:6379").unwrap();
        let topology = Topology::parse(&map, &me).unwrap();
        assert_eq!(topology.shards().len(), 2);
        assert_eq!(topology.my_shard().master().addr.host, "db-shard-0-2.db-shard-0.ns.svc");
        assert!(!topology.i_am_master());
    }

    #[test]
    fn a_master_ordinal_beyond_the_members_falls_back_to_the_first() {
        let map = render(&shards(1, 2), &[Some(5)], |_, o| format!("127.0.0.1:{}", 7000 + o));
        assert_eq!(map, "0-16383=127.0.0.1:7000,127.0.0.1:7001\n");
    }
}
