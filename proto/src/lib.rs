//! Meridian's wire protocol, generated from `proto/meridian/v1/*.proto` at build time.

/// Bumped on any incompatible change; peers and nodes refuse a different version.
/// Version 3: payloads in the datanode's format 2 (causal contexts carry counter ranges).
pub const PROTOCOL_VERSION: u32 = 3;

/// Region ids (ARCHITECTURE.md: a small integer from the manifest, 1-31).
pub const REGIONS: std::ops::RangeInclusive<u32> = 1..=31;

pub mod v1 {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    tonic::include_proto!("meridian.v1");
}

pub use v1::*;

impl Hello {
    pub fn new(database_id: &str, region: u8) -> Self {
        Hello { protocol_version: PROTOCOL_VERSION, database_id: database_id.to_string(), region: u32::from(region) }
    }

    /// Why a caller saying this hello must be refused by a node of `database_id`, if it must.
    pub fn refusal(hello: Option<&Hello>, database_id: &str) -> Option<String> {
        let Some(h) = hello else { return Some("missing hello: the caller must say its protocol version".into()) };
        if h.protocol_version != PROTOCOL_VERSION {
            return Some(format!(
                "incompatible protocol version {} (this node speaks {PROTOCOL_VERSION})",
                h.protocol_version
            ));
        }
        if h.database_id != database_id {
            return Some(format!("database id mismatch: caller is {:?}, this node is {database_id:?}", h.database_id));
        }
        if !REGIONS.contains(&h.region) {
            return Some(format!("bad region {} (regions are 1-31)", h.region));
        }
        None
    }

    /// The caller's region, once `refusal` has accepted the hello (0 before).
    pub fn region_id(&self) -> u8 {
        u8::try_from(self.region).ok().filter(|r| REGIONS.contains(&u32::from(*r))).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_of_another_version_or_database_is_refused() {
        let ok = Hello::new("db1", 1);
        assert_eq!(Hello::refusal(Some(&ok), "db1"), None);
        let old = Hello { protocol_version: 0, ..ok.clone() };
        assert!(Hello::refusal(Some(&old), "db1").is_some_and(|e| e.contains("incompatible protocol version 0")));
        assert!(Hello::refusal(Some(&ok), "db2").is_some_and(|e| e.contains("database id mismatch")));
        assert!(Hello::refusal(None, "db1").is_some());
        for region in [0, 32, 256 + 1] {
            let bad = Hello { region, ..ok.clone() };
            assert_eq!(Hello::refusal(Some(&bad), "db1"), Some(format!("bad region {region} (regions are 1-31)")));
            assert_eq!(bad.region_id(), 0);
        }
        assert_eq!(ok.region_id(), 1);
    }
}
