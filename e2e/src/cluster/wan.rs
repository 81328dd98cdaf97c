//! The "WAN" between regions: a bridge in a network namespace of its own, with one veth
//! per region. Cutting a region's link sets its bridge port down: packets are dropped
//! silently, as on a real partition (no reset, no error until timeouts fire).

use std::net::Ipv4Addr;
use std::path::Path;

use super::netns::Netns;
use crate::kube::Result;

/// The WAN's subnet: region `i` (1-based) is `10.77.0.<i>`. Only the test's own namespaces
/// ever hold these addresses.
pub const WAN_PREFIX: [u8; 3] = [10, 77, 0];
pub const WAN_PREFIX_LEN: u8 = 24;

/// The address of region `index` (1-based) on the WAN: its node's IP.
pub fn wan_address(index: u8) -> Ipv4Addr {
    Ipv4Addr::new(WAN_PREFIX[0], WAN_PREFIX[1], WAN_PREFIX[2], index)
}

/// The WAN's bridge and its namespace.
#[derive(Debug)]
pub struct Wan {
    ns: Netns,
}

/// The bridge's name inside the WAN namespace.
const BRIDGE: &str = "wan";

/// The region's end of its link, inside the region's namespace.
pub const REGION_LINK: &str = "wan0";

impl Wan {
    pub fn create(log_dir: &Path) -> Result<Wan> {
        let ns = Netns::create("wan", log_dir)?;
        ns.ip(&["link", "add", BRIDGE, "type", "bridge"])?;
        ns.ip(&["link", "set", BRIDGE, "up"])?;
        Ok(Wan { ns })
    }

    /// Links `region` (1-based `index`) to the bridge and gives it `wan_address(index)`.
    pub fn attach(&self, region: &Netns, index: u8) -> Result<Ipv4Addr> {
        let port = port_name(index);
        let target = region.pid().to_string();
        // Made inside the WAN namespace, the peer moved straight into the region's: the
        // host's namespace never holds either end.
        self.ns.ip(&["link", "add", &port, "type", "veth", "peer", "name", REGION_LINK, "netns", &target])?;
        self.ns.ip(&["link", "set", &port, "master", BRIDGE])?;
        self.ns.ip(&["link", "set", &port, "up"])?;
        let address = wan_address(index);
        region.ip(&["addr", "add", &format!("{address}/{WAN_PREFIX_LEN}"), "dev", REGION_LINK])?;
        region.ip(&["link", "set", REGION_LINK, "up"])?;
        Ok(address)
    }

    /// Cuts region `index` off the WAN (its bridge port down); `heal` restores it.
    pub fn cut(&self, index: u8) -> Result<()> {
        self.ns.ip(&["link", "set", &port_name(index), "down"]).map(drop)
    }

    pub fn heal(&self, index: u8) -> Result<()> {
        self.ns.ip(&["link", "set", &port_name(index), "up"]).map(drop)
    }

    pub fn netns(&self) -> &Netns {
        &self.ns
    }
}

fn port_name(index: u8) -> String {
    format!("region{index}")
}

#[cfg(test)]
mod tests {
    use super::{port_name, wan_address};

    #[test]
    fn regions_get_consecutive_addresses_and_ports() {
        assert_eq!(wan_address(1).to_string(), "10.77.0.1");
        assert_eq!(wan_address(3).to_string(), "10.77.0.3");
        assert_eq!(port_name(2), "region2");
    }
}
