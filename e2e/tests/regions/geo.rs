//! GEO keys across two regions (SEMANTICS.md §6): a GEO key is a sorted set of geohash
//! scores, so concurrent GEOADDs of one member keep the later position, a GEOADD beats a
//! concurrent ZREM of the member, and GEOSEARCHSTORE replicates like Z*STORE (a DEL of the
//! destination plus adds, so a concurrent write to the destination survives).

use std::time::Duration;

use meridian_e2e::regions::Regions;
use meridian_e2e::render;

use crate::{CONVERGE, query};

/// A reply as redis-cli shows it.
fn show(port: u16, args: &[&str]) -> String {
    render(&query(port, args))
}

const PALERMO_POS: &str = "1) 1) \"13.36138933897018433\"\n   2) \"38.11555639549629859\"";
const CATANIA_POS: &str = "1) 1) \"15.08726745843887329\"\n   2) \"37.50266842333162032\"";

/// Both regions place the same member while apart: the later GEOADD's position wins everywhere.
#[test]
fn concurrent_geoadds_of_one_member_keep_the_later_position() {
    let regions = Regions::start(2, 1, 0).unwrap();
    let (r1, r2) = (regions.port(0, 0, 0), regions.port(1, 0, 0));
    regions.wait_converged(CONVERGE).unwrap();

    regions.set_all_links(false);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(show(r1, &["GEOADD", "cities", "13.361389", "38.115556", "here"]), "(integer) 1");
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(show(r2, &["GEOADD", "cities", "15.087269", "37.502669", "here"]), "(integer) 1");
    // Each region answers on its own position meanwhile.
    assert_eq!(show(r1, &["GEOPOS", "cities", "here"]), PALERMO_POS);
    assert_eq!(show(r2, &["GEOPOS", "cities", "here"]), CATANIA_POS);

    regions.set_all_links(true);
    regions.wait_converged(CONVERGE).unwrap();
    for port in [r1, r2] {
        assert_eq!(show(port, &["GEOPOS", "cities", "here"]), CATANIA_POS, "region 2's later position on {port}");
        assert_eq!(show(port, &["ZSCORE", "cities", "here"]), "\"3479447370796909\"");
        assert_eq!(show(port, &["GEOHASH", "cities", "here"]), "1) \"sqdtr74hyu0\"");
        assert_eq!(show(port, &["ZCARD", "cities"]), "(integer) 1");
    }
}

/// GEOADD in one region, ZREM of the same member in the other: the member stays, at the
/// GEOADD's position (ZREM removes only what it had seen).
#[test]
fn geoadd_survives_a_concurrent_zrem() {
    let regions = Regions::start(2, 1, 0).unwrap();
    let (r1, r2) = (regions.port(0, 0, 0), regions.port(1, 0, 0));
    show(r1, &["GEOADD", "cities", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"]);
    regions.wait_converged(CONVERGE).unwrap();
    assert_eq!(show(r2, &["GEODIST", "cities", "Palermo", "Catania", "km"]), "\"166.2742\"");

    regions.set_all_links(false);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(show(r1, &["GEOADD", "cities", "CH", "15.087269", "37.502669", "Palermo"]), "(integer) 1");
    assert_eq!(show(r2, &["ZREM", "cities", "Palermo"]), "(integer) 1");
    assert_eq!(show(r2, &["GEOPOS", "cities", "Palermo"]), "1) (nil)");

    regions.set_all_links(true);
    regions.wait_converged(CONVERGE).unwrap();
    for port in [r1, r2] {
        assert_eq!(show(port, &["GEOPOS", "cities", "Palermo"]), CATANIA_POS, "the GEOADD's position on {port}");
        assert_eq!(show(port, &["GEODIST", "cities", "Palermo", "Catania"]), "\"0.0000\"");
        assert_eq!(show(port, &["ZCARD", "cities"]), "(integer) 2");
    }
}

/// GEOSEARCHSTORE's result reaches the other region; a write made to the destination
/// concurrently elsewhere merges with the stored result.
#[test]
fn geosearchstore_replicates_like_a_zstore() {
    let regions = Regions::start(2, 1, 0).unwrap();
    let (r1, r2) = (regions.port(0, 0, 0), regions.port(1, 0, 0));
    show(
        r1,
        &[
            "GEOADD",
            "{s}src",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
            "13.583333",
            "37.316667",
            "Agrigento",
        ],
    );
    show(r1, &["GEOADD", "{s}dst", "2.3522", "48.8566", "Paris"]);
    regions.wait_converged(CONVERGE).unwrap();

    let search = ["GEOSEARCHSTORE", "{s}dst", "{s}src", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"];
    assert_eq!(show(r1, &search), "(integer) 3");
    regions.wait_converged(CONVERGE).unwrap();
    let stored = "1) \"Agrigento\"\n2) \"3479030013248308\"\n3) \"Palermo\"\n4) \"3479099956230698\"\n5) \"Catania\"\n6) \"3479447370796909\"";
    for port in [r1, r2] {
        assert_eq!(show(port, &["ZRANGE", "{s}dst", "0", "-1", "WITHSCORES"]), stored, "on {port}");
        assert_eq!(
            show(port, &["GEOSEARCH", "{s}dst", "FROMMEMBER", "Palermo", "BYRADIUS", "100", "km", "ASC"]),
            "1) \"Palermo\"\n2) \"Agrigento\""
        );
    }

    // STOREDIST while apart, and a GEOADD to the destination in the other region.
    regions.set_all_links(false);
    std::thread::sleep(Duration::from_millis(200));
    let by_dist = ["GEOSEARCHSTORE", "{s}dst", "{s}src", "FROMMEMBER", "Catania", "BYRADIUS", "100", "km", "STOREDIST"];
    assert_eq!(show(r1, &by_dist), "(integer) 1");
    assert_eq!(show(r2, &["GEOADD", "{s}dst", "12.4964", "41.9028", "Rome"]), "(integer) 1");
    regions.set_all_links(true);
    regions.wait_converged(CONVERGE).unwrap();
    for port in [r1, r2] {
        assert_eq!(
            show(port, &["ZRANGE", "{s}dst", "0", "-1", "WITHSCORES"]),
            "1) \"Catania\"\n2) \"0\"\n3) \"Rome\"\n4) \"3480343273968262\"",
            "the stored result plus the concurrent GEOADD on {port}"
        );
    }
}
