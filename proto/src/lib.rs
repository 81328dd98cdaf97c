//! Meridian's wire protocol, generated from `proto/meridian/v1/*.proto` at build time.

/// The highest protocol version this build speaks. A release that changes the wire format
/// bumps it and keeps speaking the versions down to `MIN_PROTOCOL_VERSION`, so that nodes of
/// two releases work together during a rolling upgrade.
/// Version 3: payloads in the datanode's format 2 (causal contexts carry counter ranges,
/// deltas split by slot say so, snapshots carry range claims).
pub const PROTOCOL_VERSION: u32 = 3;

/// The lowest protocol version this build still speaks. Version 2's payloads cannot be read
/// as format 2 (nor the other way round), so a node speaks 3 only.
pub const MIN_PROTOCOL_VERSION: u32 = 3;

/// Region ids (ARCHITECTURE.md: a small integer from the manifest, 1-31).
pub const REGIONS: std::ops::RangeInclusive<u32> = 1..=31;

/// The response header in which a node or syncer names the highest version it speaks.
pub const VERSION_HEADER: &str = "meridian-protocol-version";

pub mod v1 {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    tonic::include_proto!("meridian.v1");
}

pub use v1::*;

/// Why a caller's hello is refused: the text of the `FAILED_PRECONDITION` it gets back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("missing hello: the caller must say its protocol version")]
    NoHello,
    #[error(
        "no protocol version in common: the caller speaks {min}-{max}, this node {MIN_PROTOCOL_VERSION}-{PROTOCOL_VERSION}"
    )]
    NoCommonVersion { min: u32, max: u32 },
    #[error("database id mismatch: caller is {caller:?}, this node is {ours:?}")]
    OtherDatabase { caller: String, ours: String },
    #[error("bad region {0} (regions are 1-31)")]
    BadRegion(u32),
}

impl Hello {
    pub fn new(database_id: &str, region: u8) -> Self {
        Hello {
            protocol_version: PROTOCOL_VERSION,
            min_protocol_version: MIN_PROTOCOL_VERSION,
            database_id: database_id.to_string(),
            region: u32::from(region),
        }
    }

    /// The versions the caller speaks, lowest and highest.
    pub fn versions(&self) -> (u32, u32) {
        let min = if self.min_protocol_version == 0 { self.protocol_version } else { self.min_protocol_version };
        (min, self.protocol_version)
    }

    /// The version to speak with a caller saying this hello, for a node of `database_id`:
    /// the highest both know. `Err` says why the caller must be refused.
    pub fn negotiate(hello: Option<&Hello>, database_id: &str) -> Result<u32, Refusal> {
        let Some(h) = hello else { return Err(Refusal::NoHello) };
        let (min, max) = h.versions();
        let spoken = max.min(PROTOCOL_VERSION);
        if min > max || spoken < min.max(MIN_PROTOCOL_VERSION) {
            return Err(Refusal::NoCommonVersion { min, max });
        }
        if h.database_id != database_id {
            return Err(Refusal::OtherDatabase { caller: h.database_id.clone(), ours: database_id.to_string() });
        }
        // Region 0 is a caller of no region (the operator, local mode, a tool): it may ask
        // Status or set roles; whoever takes data from it checks `region_id` itself.
        if h.region != 0 && !REGIONS.contains(&h.region) {
            return Err(Refusal::BadRegion(h.region));
        }
        Ok(spoken)
    }

    /// Why a caller saying this hello must be refused by a node of `database_id`, if it must.
    pub fn refusal(hello: Option<&Hello>, database_id: &str) -> Option<Refusal> {
        Hello::negotiate(hello, database_id).err()
    }

    /// The caller's region, once `refusal` has accepted the hello (0 before).
    pub fn region_id(&self) -> u8 {
        u8::try_from(self.region).ok().filter(|r| REGIONS.contains(&u32::from(*r))).unwrap_or(0)
    }
}

/// The version a caller speaks with a server whose responses carry `VERSION_HEADER`: the
/// highest both know. A server that sends no header predates negotiation and speaks only
/// its one version, which is then `PROTOCOL_VERSION` (it would have refused another).
pub fn spoken_version(metadata: &tonic::metadata::MetadataMap) -> u32 {
    let server = metadata.get(VERSION_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u32>().ok());
    server.map_or(PROTOCOL_VERSION, |s| s.min(PROTOCOL_VERSION))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_version_both_speak_is_chosen() {
        let ok = Hello::new("db1", 1);
        assert_eq!(Hello::negotiate(Some(&ok), "db1"), Ok(PROTOCOL_VERSION));
        // A newer release that still speaks this one's version.
        let newer =
            Hello { protocol_version: PROTOCOL_VERSION + 1, min_protocol_version: PROTOCOL_VERSION, ..ok.clone() };
        assert_eq!(Hello::negotiate(Some(&newer), "db1"), Ok(PROTOCOL_VERSION));
        // A caller from before negotiation, of this version.
        let legacy = Hello { min_protocol_version: 0, ..ok.clone() };
        assert_eq!(Hello::negotiate(Some(&legacy), "db1"), Ok(PROTOCOL_VERSION));
    }

    #[test]
    fn callers_with_no_version_in_common_or_another_database_are_refused() {
        let ok = Hello::new("db1", 1);
        let old = Hello { protocol_version: 1, min_protocol_version: 1, ..ok.clone() };
        assert_eq!(
            Hello::negotiate(Some(&old), "db1").map_err(|e| e.to_string()),
            Err(format!(
                "no protocol version in common: the caller speaks 1-1, this node {MIN_PROTOCOL_VERSION}-{PROTOCOL_VERSION}"
            ))
        );
        let future = Hello { protocol_version: 9, min_protocol_version: 9, ..ok.clone() };
        assert!(Hello::refusal(Some(&future), "db1").is_some_and(|e| e.to_string().contains("the caller speaks 9-9")));
        let upside_down = Hello { protocol_version: 1, min_protocol_version: 3, ..ok.clone() };
        assert!(Hello::refusal(Some(&upside_down), "db1").is_some());
        assert!(Hello::refusal(Some(&ok), "db2").is_some_and(|e| e.to_string().contains("database id mismatch")));
        assert!(Hello::refusal(None, "db1").is_some());
        for region in [32, 256 + 1] {
            let bad = Hello { region, ..ok.clone() };
            assert_eq!(
                Hello::refusal(Some(&bad), "db1").map(|e| e.to_string()),
                Some(format!("bad region {region} (regions are 1-31)"))
            );
            assert_eq!(bad.region_id(), 0);
        }
        let operator = Hello::new("db1", 0);
        assert_eq!((Hello::refusal(Some(&operator), "db1"), operator.region_id()), (None, 0));
        assert_eq!(ok.region_id(), 1);
    }

    #[test]
    fn a_caller_speaks_the_lower_of_its_own_and_the_servers_highest_version() {
        let mut metadata = tonic::metadata::MetadataMap::new();
        assert_eq!(spoken_version(&metadata), PROTOCOL_VERSION);
        metadata.insert(VERSION_HEADER, tonic::metadata::MetadataValue::from(PROTOCOL_VERSION + 5));
        assert_eq!(spoken_version(&metadata), PROTOCOL_VERSION);
        metadata.insert(VERSION_HEADER, tonic::metadata::MetadataValue::from(MIN_PROTOCOL_VERSION));
        assert_eq!(spoken_version(&metadata), MIN_PROTOCOL_VERSION);
    }
}
