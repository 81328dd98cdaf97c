//! GEO commands: a GEO key is a sorted set of 52-bit geohash scores. Every reply, error text
//! and number format must be Redis's, byte for byte (the expected replies were taken from
//! redis-server 7.0).

use meridian_e2e::{RawConn, Script, SideBySide};

use crate::TestResult;

/// GEOADD and the point reads, with Redis's number formats and the corners of the map.
#[test]
fn geoadd_geopos_geodist_geohash() -> TestResult {
    Script::new()
        .step(&["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"], "(integer) 2")
        .step(&["ZSCORE", "Sicily", "Palermo"], "\"3479099956230698\"")
        .step(&["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"], "1) \"Palermo\"\n2) \"3479099956230698\"\n3) \"Catania\"\n4) \"3479447370796909\"")
        .step(&["GEOADD", "Sicily", "NX", "13", "38", "Palermo", "14.2681244", "37.5675463", "Enna"], "(integer) 1")
        .step(&["GEOPOS", "Sicily", "Palermo"], "1) 1) \"13.36138933897018433\"\n   2) \"38.11555639549629859\"")
        .step(&["GEOADD", "Sicily", "XX", "CH", "14.25", "37.5", "Enna", "1", "1", "Nowhere"], "(integer) 1")
        .step(&["GEOADD", "Sicily", "ch", "14.25", "37.5", "Enna"], "(integer) 0")
        .step(&["GEOADD", "Sicily", "CH", "NX", "14.25", "37.5", "Enna", "14.2681244", "37.5675463", "Enna"], "(integer) 0")
        .step(&["GEOADD", "Sicily", "14.2681244", "37.5675463", "Enna", "14.25", "37.5", "Enna"], "(integer) 0")
        .step(&["ZCARD", "Sicily"], "(integer) 3")
        .step(&["GEOPOS", "Sicily", "Palermo", "Catania", "nope", "Enna"], "1) 1) \"13.36138933897018433\"\n   2) \"38.11555639549629859\"\n2) 1) \"15.08726745843887329\"\n   2) \"37.50266842333162032\"\n3) (nil)\n4) 1) \"14.24999982118606567\"\n   2) \"37.4999993619508345\"")
        .step(&["GEOPOS", "nokey", "a", "b"], "1) (nil)\n2) (nil)")
        .step(&["GEODIST", "Sicily", "Palermo", "Catania"], "\"166274.1516\"")
        .step(&["GEODIST", "Sicily", "Palermo", "Catania", "km"], "\"166.2742\"")
        .step(&["GEODIST", "Sicily", "Palermo", "Catania", "MI"], "\"103.3182\"")
        .step(&["GEODIST", "Sicily", "Palermo", "Catania", "Ft"], "\"545518.8700\"")
        .step(&["GEODIST", "Sicily", "Palermo", "Catania", "m"], "\"166274.1516\"")
        .step(&["GEODIST", "Sicily", "Palermo", "Palermo"], "\"0.0000\"")
        .step(&["GEODIST", "Sicily", "Palermo", "nope"], "(nil)")
        .step(&["GEODIST", "nokey", "a", "b"], "(nil)")
        .step(&["GEOHASH", "Sicily", "Palermo", "Catania", "nope", "Enna"], "1) \"sqc8b49rny0\"\n2) \"sqdtr74hyu0\"\n3) (nil)\n4) \"sqdjk68t340\"")
        .step(&["GEOHASH", "nokey", "a"], "1) (nil)")
        .step(&["GEOADD", "corners", "-180", "-85.05112878", "sw", "180", "85.05112878", "ne", "0", "0", "origin", "-0.0000001", "-0.0000001", "tiny"], "(integer) 4")
        .step(&["ZRANGE", "corners", "0", "-1", "WITHSCORES"], "1) \"sw\"\n2) \"0\"\n3) \"tiny\"\n4) \"1125899906842623\"\n5) \"origin\"\n6) \"3377699720527872\"\n7) \"ne\"\n8) \"13510798882111488\"")
        .step(&["GEOPOS", "corners", "sw", "ne", "origin", "tiny"], "1) 1) \"-179.99999731779098511\"\n   2) \"-85.05112751263942528\"\n2) 1) \"180\"\n   2) \"85.0511287799999991\"\n3) 1) \"0.00000268220901489\"\n   2) \"0.00000126736058093\"\n4) 1) \"-0.00000268220901489\"\n   2) \"-0.00000126736058093\"")
        .step(&["GEOHASH", "corners", "sw", "ne", "origin", "tiny"], "1) \"00bh0hbj200\"\n2) \"bp05b5048p0\"\n3) \"s0000000000\"\n4) \"7zzzzzzzzz0\"")
        .step(&["GEODIST", "corners", "sw", "ne", "km"], "\"18919.8446\"")
        .step(&["ZADD", "corners", "-1", "minus", "1e20", "big", "inf", "pinf", "-inf", "ninf", "4503599627370496", "p52"], "(integer) 5")
        .step(&["GEOPOS", "corners", "minus", "big", "pinf", "ninf", "p52"], "1) 1) \"180\"\n   2) \"85.0511287799999991\"\n2) 1) \"-179.99999731779098511\"\n   2) \"-85.05112751263942528\"\n3) 1) \"-179.99999731779098511\"\n   2) \"-85.05112751263942528\"\n4) 1) \"180\"\n   2) \"-85.05112751263942528\"\n5) 1) \"-179.99999731779098511\"\n   2) \"85.0511287799999991\"")
        .step(&["GEOHASH", "corners", "minus", "big", "pinf", "ninf", "p52"], "1) \"bp05b5048p0\"\n2) \"00bh0hbj200\"\n3) \"00bh0hbj200\"\n4) \"00bh0hbj200\"\n5) \"bp05b5048p0\"")
        // Distances are scaled by 10^4 and rounded half to even, not printed with %.4f.
        .step(&["GEOADD", "rnd", "72.07961171865463257", "72.28453293549316072", "far"], "(integer) 1")
        .step(
            &["GEORADIUS", "rnd", "71.34339944344083", "-58.765645833957414", "49200000", "ft", "WITHDIST"],
            "1) 1) \"far\"\n   2) \"47822626.5470\"",
        )
        .step(&["ZREM", "Sicily", "Enna"], "(integer) 1")
        .step(&["GEOPOS", "Sicily", "Enna"], "1) (nil)")
        .run()
}

/// GEOADD's argument checks, unit and arity errors, WRONGTYPE.
#[test]
fn geoadd_and_point_read_errors() -> TestResult {
    Script::new()
        .step(&["SET", "str", "x"], "OK")
        .step(&["GEOADD", "k", "1", "2", "a", "3"], "(error) ERR syntax error")
        .step(&["GEOADD", "k", "NX", "XX", "1", "2", "a"], "(error) ERR syntax error")
        .step(&["GEOADD", "k", "CH", "CH", "CH"], "(error) ERR syntax error")
        .step(&["GEOADD", "k", "GT", "1", "a"], "(error) ERR value is not a valid float")
        .step(&["GEOADD", "k", "1", "2"], "(error) ERR wrong number of arguments for 'geoadd' command")
        .step(&["GEOADD", "k", "200", "100", "a"], "(error) ERR invalid longitude,latitude pair 200.000000,100.000000")
        .step(&["GEOADD", "k", "-180.5", "0", "a"], "(error) ERR invalid longitude,latitude pair -180.500000,0.000000")
        .step(&["GEOADD", "k", "0", "85.06", "a"], "(error) ERR invalid longitude,latitude pair 0.000000,85.060000")
        .step(
            &["GEOADD", "k", "0.0078125", "-86", "a"],
            "(error) ERR invalid longitude,latitude pair 0.007812,-86.000000",
        )
        .step(&["GEOADD", "k", "inf", "0", "a"], "(error) ERR invalid longitude,latitude pair inf,0.000000")
        .step(&["GEOADD", "k", "1", "nan", "a"], "(error) ERR value is not a valid float")
        .step(&["GEOADD", "k", "1", "2", "a", "x", "2", "b"], "(error) ERR value is not a valid float")
        .step(
            &["GEOADD", "k", "1", "2", "a", "1", "91", "b"],
            "(error) ERR invalid longitude,latitude pair 1.000000,91.000000",
        )
        .step(&["EXISTS", "k"], "(integer) 0")
        .step(&["GEOADD", "k", "0x10", "1e1", "hex"], "(integer) 1")
        .step(&["GEOPOS", "k", "hex"], "1) 1) \"16.00000172853469849\"\n   2) \"10.00000092823272979\"")
        .step(&["GEOADD", "str", "200", "1", "a"], "(error) ERR invalid longitude,latitude pair 200.000000,1.000000")
        .step(
            &["GEOADD", "str", "1", "1", "a"],
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value",
        )
        .step(&["GEOPOS", "str", "a"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .step(&["GEOHASH", "str", "a"], "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        .step(
            &["GEODIST", "str", "a", "b"],
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value",
        )
        .step(
            &["GEODIST", "str", "a", "b", "parsecs"],
            "(error) ERR unsupported unit provided. please use M, KM, FT, MI",
        )
        .step(
            &["GEODIST", "nokey", "a", "b", "parsecs"],
            "(error) ERR unsupported unit provided. please use M, KM, FT, MI",
        )
        .step(&["GEODIST", "nokey", "a", "b", "parsecs", "x"], "(error) ERR syntax error")
        .step(&["GEODIST", "nokey", "a", "b", "km", "x"], "(error) ERR syntax error")
        .step(&["GEODIST", "nokey", "a"], "(error) ERR wrong number of arguments for 'geodist' command")
        .step(&["GEOPOS"], "(error) ERR wrong number of arguments for 'geopos' command")
        .step(&["GEOHASH"], "(error) ERR wrong number of arguments for 'geohash' command")
        .run()
}

/// GEORADIUS and GEORADIUSBYMEMBER: options, units, ordering, COUNT/ANY, STORE and STOREDIST.
#[test]
fn georadius_and_georadiusbymember() -> TestResult {
    Script::new()
        .step(&["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania", "13.583333", "37.316667", "Agrigento", "14.2681244", "37.5675463", "Enna", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"], "(integer) 6")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km"], "1) \"Agrigento\"\n2) \"Palermo\"\n3) \"Enna\"\n4) \"Catania\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "ASC"], "1) \"Catania\"\n2) \"Enna\"\n3) \"Agrigento\"\n4) \"Palermo\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC"], "1) \"Palermo\"\n2) \"Agrigento\"\n3) \"Enna\"\n4) \"Catania\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "100", "km", "WITHDIST"], "1) 1) \"Enna\"\n   2) \"90.4419\"\n2) 1) \"Catania\"\n   2) \"56.4413\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHCOORD", "WITHDIST", "WITHHASH", "ASC"], "1) 1) \"Catania\"\n   2) \"56.4413\"\n   3) (integer) 3479447370796909\n   4) 1) \"15.08726745843887329\"\n      2) \"37.50266842333162032\"\n2) 1) \"Enna\"\n   2) \"90.4419\"\n   3) (integer) 3479423977754527\n   4) 1) \"14.26812618970870972\"\n      2) \"37.56754714612605284\"\n3) 1) \"Agrigento\"\n   2) \"130.4235\"\n   3) (integer) 3479030013248308\n   4) 1) \"13.5833314061164856\"\n      2) \"37.31666804993816555\"\n4) 1) \"Palermo\"\n   2) \"190.4424\"\n   3) (integer) 3479099956230698\n   4) 1) \"13.36138933897018433\"\n      2) \"38.11555639549629859\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "withhash"], "1) 1) \"Agrigento\"\n   2) (integer) 3479030013248308\n2) 1) \"Palermo\"\n   2) (integer) 3479099956230698\n3) 1) \"Enna\"\n   2) (integer) 3479423977754527\n4) 1) \"Catania\"\n   2) (integer) 3479447370796909")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "2"], "1) \"Catania\"\n2) \"Enna\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "2", "DESC"], "1) \"Palermo\"\n2) \"Agrigento\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "ANY"], "1) \"Agrigento\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "3", "ANY", "ASC"], "1) \"Enna\"\n2) \"Agrigento\"\n3) \"Palermo\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "100"], "1) \"Catania\"\n2) \"Enna\"\n3) \"Agrigento\"\n4) \"Palermo\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200000", "m", "WITHDIST"], "1) 1) \"Agrigento\"\n   2) \"130423.4871\"\n2) 1) \"Palermo\"\n   2) \"190442.4298\"\n3) 1) \"Enna\"\n   2) \"90441.9268\"\n4) 1) \"Catania\"\n   2) \"56441.2579\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "124", "mi", "WITHDIST", "ASC"], "1) 1) \"Catania\"\n   2) \"35.0711\"\n2) 1) \"Enna\"\n   2) \"56.1981\"\n3) 1) \"Agrigento\"\n   2) \"81.0416\"\n4) 1) \"Palermo\"\n   2) \"118.3357\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "656168", "ft", "WITHDIST", "ASC"], "1) 1) \"Catania\"\n   2) \"185174.7305\"\n2) 1) \"Enna\"\n   2) \"296725.4815\"\n3) 1) \"Agrigento\"\n   2) \"427898.5796\"\n4) 1) \"Palermo\"\n   2) \"624811.1215\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "0", "km"], "(empty array)")
        .step(&["GEORADIUS", "Sicily", "15.087269", "37.502669", "0", "km"], "(empty array)")
        .step(&["GEORADIUS", "Sicily", "15", "37", "20000", "km"], "1) \"Agrigento\"\n2) \"Palermo\"\n3) \"edge1\"\n4) \"Enna\"\n5) \"Catania\"\n6) \"edge2\"")
        .step(&["GEORADIUS", "Sicily", "-165", "-37", "20000", "km", "WITHDIST", "ASC"], "1) 1) \"edge1\"\n   2) \"19740.9935\"\n2) 1) \"edge2\"\n   2) \"19740.9937\"\n3) 1) \"Palermo\"\n   2) \"19830.2916\"\n4) 1) \"Agrigento\"\n   2) \"19890.3105\"\n5) 1) \"Enna\"\n   2) \"19930.2921\"\n6) 1) \"Catania\"\n   2) \"19964.2927\"")
        .step(&["GEORADIUS", "nokey", "15", "37", "200", "km"], "(empty array)")
        .step(&["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "WITHDIST", "ASC"], "1) 1) \"Catania\"\n   2) \"56.4413\"\n2) 1) \"Enna\"\n   2) \"90.4419\"\n3) 1) \"Agrigento\"\n   2) \"130.4235\"\n4) 1) \"Palermo\"\n   2) \"190.4424\"")
        .step(&["GEORADIUSBYMEMBER", "Sicily", "Agrigento", "100", "km"], "1) \"Agrigento\"\n2) \"Palermo\"\n3) \"Enna\"")
        .step(&["GEORADIUSBYMEMBER", "Sicily", "Agrigento", "100", "km", "WITHDIST", "WITHCOORD", "DESC"], "1) 1) \"Palermo\"\n   2) \"90.9778\"\n   3) 1) \"13.36138933897018433\"\n      2) \"38.11555639549629859\"\n2) 1) \"Enna\"\n   2) \"66.6015\"\n   3) 1) \"14.26812618970870972\"\n      2) \"37.56754714612605284\"\n3) 1) \"Agrigento\"\n   2) \"0.0000\"\n   3) 1) \"13.5833314061164856\"\n      2) \"37.31666804993816555\"")
        .step(&["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "300", "km", "COUNT", "3"], "1) \"Palermo\"\n2) \"Agrigento\"\n3) \"edge1\"")
        .step(&["GEORADIUSBYMEMBER", "nokey", "x", "bad", "km"], "(empty array)")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst"], "(integer) 4")
        .step(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "1) \"Agrigento\"\n2) \"3479030013248308\"\n3) \"Palermo\"\n4) \"3479099956230698\"\n5) \"Enna\"\n6) \"3479423977754527\"\n7) \"Catania\"\n8) \"3479447370796909\"")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dd", "COUNT", "2"], "(integer) 2")
        .step(&["ZRANGE", "dd", "0", "-1", "WITHSCORES"], "1) \"Catania\"\n2) \"56.441257870158204\"\n3) \"Enna\"\n4) \"90.441926766093502\"")
        .step(&["GEORADIUSBYMEMBER", "Sicily", "Palermo", "100", "km", "STORE", "dst", "ASC"], "(integer) 3")
        .step(&["ZRANGE", "dst", "0", "-1"], "1) \"Agrigento\"\n2) \"Palermo\"\n3) \"edge1\"")
        .step(&["GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "mi", "STOREDIST", "dm"], "(integer) 5")
        .step(&["ZRANGE", "dm", "0", "-1", "WITHSCORES"], " 1) \"Palermo\"\n 2) \"0\"\n 3) \"Agrigento\"\n 4) \"56.531095690156235\"\n 5) \"edge1\"\n 6) \"56.793877369489529\"\n 7) \"Enna\"\n 8) \"62.318315870597033\"\n 9) \"Catania\"\n10) \"103.31822459492733\"")
        .step(&["SET", "s2", "x"], "OK")
        .step(&["GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "s2"], "(integer) 0")
        .step(&["EXISTS", "s2"], "(integer) 0")
        .step(&["SET", "s2", "x"], "OK")
        .step(&["GEORADIUS", "nokey", "0", "0", "1", "km", "STORE", "s2"], "(integer) 0")
        .step(&["EXISTS", "s2"], "(integer) 0")
        .step(&["GEORADIUSBYMEMBER", "nokey", "x", "1", "km", "STOREDIST", "dm"], "(integer) 0")
        .step(&["EXISTS", "dm"], "(integer) 0")
        .step(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "a", "STOREDIST", "b"], "(integer) 4")
        .step(&["ZRANGE", "b", "0", "-1"], "1) \"Catania\"\n2) \"Enna\"\n3) \"Agrigento\"\n4) \"Palermo\"")
        .step(&["EXISTS", "a"], "(integer) 0")
        .run()
}

/// GEORADIUS* argument errors, in Redis's order of checks.
#[test]
fn georadius_errors() -> TestResult {
    Script::new()
        .step(
            &[
                "GEOADD",
                "Sicily",
                "13.361389",
                "38.115556",
                "Palermo",
                "15.087269",
                "37.502669",
                "Catania",
                "13.583333",
                "37.316667",
                "Agrigento",
                "14.2681244",
                "37.5675463",
                "Enna",
                "12.758489",
                "38.788135",
                "edge1",
                "17.241510",
                "38.788135",
                "edge2",
            ],
            "(integer) 6",
        )
        .step(&["SET", "str", "x"], "OK")
        .step(
            &["GEORADIUS", "str", "200", "0", "1", "km"],
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value",
        )
        .step(
            &["GEORADIUS", "Sicily", "200", "0", "1", "km"],
            "(error) ERR invalid longitude,latitude pair 200.000000,0.000000",
        )
        .step(&["GEORADIUS", "Sicily", "x", "0", "1", "km"], "(error) ERR value is not a valid float")
        .step(&["GEORADIUS", "Sicily", "1", "0", "x", "km"], "(error) ERR need numeric radius")
        .step(&["GEORADIUS", "Sicily", "1", "0", "-1", "km"], "(error) ERR radius cannot be negative")
        .step(
            &["GEORADIUS", "Sicily", "1", "0", "1", "lightyears"],
            "(error) ERR unsupported unit provided. please use M, KM, FT, MI",
        )
        .step(&["GEORADIUS", "Sicily", "1", "0", "1", "km", "COUNT"], "(error) ERR syntax error")
        .step(&["GEORADIUS", "Sicily", "1", "0", "1", "km", "COUNT", "0"], "(error) ERR COUNT must be > 0")
        .step(&["GEORADIUS", "Sicily", "1", "0", "1", "km", "COUNT", "-3"], "(error) ERR COUNT must be > 0")
        .step(
            &["GEORADIUS", "Sicily", "1", "0", "1", "km", "COUNT", "x"],
            "(error) ERR value is not an integer or out of range",
        )
        .step(
            &["GEORADIUS", "Sicily", "1", "0", "1", "km", "ANY"],
            "(error) ERR the ANY argument requires COUNT argument",
        )
        .step(&["GEORADIUS", "Sicily", "1", "0", "1", "km", "ANY", "COUNT", "0"], "(error) ERR COUNT must be > 0")
        .step(&["GEORADIUS", "Sicily", "1", "0", "1", "km", "FROMMEMBER", "a"], "(error) ERR syntax error")
        .step(&["GEORADIUS", "Sicily", "1", "0", "1", "km", "BYBOX", "1", "1", "km"], "(error) ERR syntax error")
        .step(&["GEORADIUS", "Sicily", "1", "0", "1", "km", "STORE"], "(error) ERR syntax error")
        .step(&["GEORADIUS", "Sicily", "1", "0", "1", "km", "bogus"], "(error) ERR syntax error")
        .step(&["GEORADIUS_RO", "Sicily", "1", "0", "1", "km", "STORE", "a"], "(error) ERR syntax error")
        .step(&["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "1", "km", "STOREDIST", "a"], "(error) ERR syntax error")
        .step(
            &["GEORADIUS", "Sicily", "1", "0", "1", "km", "STORE", "a", "WITHDIST"],
            "(error) ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        )
        .step(
            &["GEORADIUS", "Sicily", "1", "0", "1", "km", "WITHHASH", "STOREDIST", "a"],
            "(error) ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        )
        .step(
            &["GEORADIUS", "nokey", "1", "0", "1", "km", "STORE", "a", "WITHCOORD"],
            "(error) ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        )
        .step(&["GEORADIUS", "Sicily", "1", "0", "1"], "(error) ERR wrong number of arguments for 'georadius' command")
        .step(
            &["GEORADIUSBYMEMBER", "Sicily", "nope", "100", "km"],
            "(error) ERR could not decode requested zset member",
        )
        .step(&["GEORADIUSBYMEMBER", "Sicily", "nope", "x", "km"], "(error) ERR could not decode requested zset member")
        .step(&["GEORADIUSBYMEMBER", "Sicily", "Palermo", "x", "km"], "(error) ERR need numeric radius")
        .step(
            &["GEORADIUSBYMEMBER", "Sicily", "Palermo", "1", "yards"],
            "(error) ERR unsupported unit provided. please use M, KM, FT, MI",
        )
        .step(
            &["GEORADIUSBYMEMBER", "str", "Palermo", "1", "km"],
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value",
        )
        .step(
            &["GEORADIUSBYMEMBER", "Sicily", "Palermo", "1"],
            "(error) ERR wrong number of arguments for 'georadiusbymember' command",
        )
        .step(&["GEORADIUSBYMEMBER_RO", "nokey", "x", "1", "km", "STORE", "a"], "(error) ERR syntax error")
        .step(
            &["GEORADIUS_RO", "Sicily", "1", "0", "1"],
            "(error) ERR wrong number of arguments for 'georadius_ro' command",
        )
        .run()
}

/// GEOSEARCH and GEOSEARCHSTORE: centres, circles and boxes, options, STOREDIST.
#[test]
fn geosearch_and_geosearchstore() -> TestResult {
    Script::new()
        .step(&["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania", "13.583333", "37.316667", "Agrigento", "14.2681244", "37.5675463", "Enna", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"], "(integer) 6")
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"], "1) \"Catania\"\n2) \"Enna\"\n3) \"Agrigento\"\n4) \"Palermo\"")
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"], "1) \"Agrigento\"\n2) \"Palermo\"\n3) \"Enna\"\n4) \"Catania\"")
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC"], "1) \"Catania\"\n2) \"Enna\"\n3) \"Agrigento\"\n4) \"Palermo\"\n5) \"edge2\"\n6) \"edge1\"")
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km"], "1) \"Agrigento\"\n2) \"Palermo\"\n3) \"edge1\"\n4) \"Enna\"\n5) \"Catania\"\n6) \"edge2\"")
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "DESC", "WITHDIST", "WITHCOORD", "WITHHASH"], "1) 1) \"edge1\"\n   2) \"279.7405\"\n   3) (integer) 3479273021651468\n   4) 1) \"12.7584877610206604\"\n      2) \"38.78813451624225195\"\n2) 1) \"edge2\"\n   2) \"279.7403\"\n   3) (integer) 3481342659049484\n   4) 1) \"17.24151045083999634\"\n      2) \"38.78813451624225195\"\n3) 1) \"Palermo\"\n   2) \"190.4424\"\n   3) (integer) 3479099956230698\n   4) 1) \"13.36138933897018433\"\n      2) \"38.11555639549629859\"\n4) 1) \"Agrigento\"\n   2) \"130.4235\"\n   3) (integer) 3479030013248308\n   4) 1) \"13.5833314061164856\"\n      2) \"37.31666804993816555\"\n5) 1) \"Enna\"\n   2) \"90.4419\"\n   3) (integer) 3479423977754527\n   4) 1) \"14.26812618970870972\"\n      2) \"37.56754714612605284\"\n6) 1) \"Catania\"\n   2) \"56.4413\"\n   3) (integer) 3479447370796909\n   4) 1) \"15.08726745843887329\"\n      2) \"37.50266842333162032\"")
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "100", "300", "km", "ASC", "WITHDIST"], "1) 1) \"Catania\"\n   2) \"56.4413\"")
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "300", "100", "km", "ASC", "WITHDIST"], "1) 1) \"Agrigento\"\n   2) \"130.4235\"")
        .step(&["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "DESC", "COUNT", "2"], "1) \"Catania\"\n2) \"Enna\"")
        .step(&["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "COUNT", "2", "ANY"], "1) \"Agrigento\"\n2) \"Palermo\"")
        .step(&["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "COUNT", "2", "ANY", "DESC"], "1) \"Agrigento\"\n2) \"Palermo\"")
        .step(&["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "200", "200", "mi", "WITHDIST"], "1) 1) \"Agrigento\"\n   2) \"56.5311\"\n2) 1) \"Palermo\"\n   2) \"0.0000\"\n3) 1) \"edge1\"\n   2) \"56.7939\"\n4) 1) \"Enna\"\n   2) \"62.3183\"\n5) 1) \"Catania\"\n   2) \"103.3182\"")
        .step(&["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m", "WITHDIST", "WITHHASH"], "1) 1) \"Palermo\"\n   2) \"0.0000\"\n   3) (integer) 3479099956230698")
        .step(&["GEOSEARCH", "Sicily", "frommember", "Palermo", "byradius", "100", "KM", "asc", "withcoord"], "1) 1) \"Palermo\"\n   2) 1) \"13.36138933897018433\"\n      2) \"38.11555639549629859\"\n2) 1) \"Agrigento\"\n   2) 1) \"13.5833314061164856\"\n      2) \"37.31666804993816555\"\n3) 1) \"edge1\"\n   2) 1) \"12.7584877610206604\"\n      2) \"38.78813451624225195\"")
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYRADIUS", "100", "km"], "1) \"Enna\"\n2) \"Catania\"")
        .step(&["GEOSEARCH", "Sicily", "FROMMEMBER", "Enna", "FROMMEMBER", "Catania", "BYRADIUS", "1", "km"], "1) \"Catania\"")
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "0", "0", "km"], "(empty array)")
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "40000", "40000", "km", "ASC"], "1) \"Catania\"\n2) \"Enna\"\n3) \"Agrigento\"\n4) \"Palermo\"\n5) \"edge2\"\n6) \"edge1\"")
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "80", "BYBOX", "4000", "2000", "km", "ASC"], "(empty array)")
        .step(&["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "m"], "(empty array)")
        .step(&["GEOSEARCH", "nokey", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m", "WITHDIST"], "(empty array)")
        .step(&["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"], "(integer) 4")
        .step(&["ZRANGE", "d", "0", "-1", "WITHSCORES"], "1) \"Agrigento\"\n2) \"3479030013248308\"\n3) \"Palermo\"\n4) \"3479099956230698\"\n5) \"Enna\"\n6) \"3479423977754527\"\n7) \"Catania\"\n8) \"3479447370796909\"")
        .step(&["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "STOREDIST", "COUNT", "3", "DESC"], "(integer) 3")
        .step(&["ZRANGE", "d", "0", "-1", "WITHSCORES"], "1) \"Palermo\"\n2) \"190.44242984775784\"\n3) \"edge2\"\n4) \"279.7403417843143\"\n5) \"edge1\"\n6) \"279.74045213563431\"")
        .step(&["GEOSEARCHSTORE", "d", "Sicily", "FROMMEMBER", "Catania", "BYRADIUS", "100", "mi", "STOREDIST"], "(integer) 3")
        .step(&["ZRANGE", "d", "0", "-1", "WITHSCORES"], "1) \"Catania\"\n2) \"0\"\n3) \"Enna\"\n4) \"45.116453540016657\"\n5) \"Agrigento\"\n6) \"83.555827031221497\"")
        .step(&["GEOSEARCHSTORE", "Sicily", "Sicily", "FROMMEMBER", "Catania", "BYRADIUS", "100", "km"], "(integer) 2")
        .step(&["ZRANGE", "Sicily", "0", "-1"], "1) \"Enna\"\n2) \"Catania\"")
        .step(&["SET", "d", "x"], "OK")
        .step(&["GEOSEARCHSTORE", "d", "nokey", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"], "(integer) 0")
        .step(&["EXISTS", "d"], "(integer) 0")
        .step(&["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"], "(integer) 0")
        .step(&["EXISTS", "d"], "(integer) 0")
        .run()
}

/// GEOSEARCH* errors: FROM*/BY* exclusivity, missing member, bad sizes, store options.
#[test]
fn geosearch_errors() -> TestResult {
    Script::new()
        .step(
            &[
                "GEOADD",
                "Sicily",
                "13.361389",
                "38.115556",
                "Palermo",
                "15.087269",
                "37.502669",
                "Catania",
                "13.583333",
                "37.316667",
                "Agrigento",
                "14.2681244",
                "37.5675463",
                "Enna",
                "12.758489",
                "38.788135",
                "edge1",
                "17.241510",
                "38.788135",
                "edge2",
            ],
            "(integer) 6",
        )
        .step(&["SET", "str", "x"], "OK")
        .step(
            &["GEOSEARCH", "str", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km"],
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value",
        )
        .step(
            &["GEOSEARCH", "Sicily", "BYRADIUS", "1", "km", "ASC", "ASC"],
            "(error) ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH",
        )
        .step(
            &["geosearch", "Sicily", "FROMLONLAT", "1", "2", "ASC", "ASC"],
            "(error) ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch",
        )
        .step(
            &["GeoSearch", "Sicily", "ASC", "DESC", "WITHDIST", "ASC", "ASC"],
            "(error) ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GeoSearch",
        )
        .step(
            &["GEOSEARCHSTORE", "d", "Sicily", "BYBOX", "1", "1", "km", "ASC"],
            "(error) ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCHSTORE",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"],
            "(error) ERR syntax error",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km"],
            "(error) ERR syntax error",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"],
            "(error) ERR syntax error",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "1", "1", "km", "BYRADIUS", "1", "km"],
            "(error) ERR syntax error",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"],
            "(error) ERR could not decode requested zset member",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "x", "km"],
            "(error) ERR could not decode requested zset member",
        )
        .step(&["GEOSEARCH", "Sicily", "BYRADIUS", "x", "km", "FROMMEMBER", "nope"], "(error) ERR need numeric radius")
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "200", "2", "BYRADIUS", "1", "km"],
            "(error) ERR invalid longitude,latitude pair 200.000000,2.000000",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "-1", "km"],
            "(error) ERR radius cannot be negative",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "au"],
            "(error) ERR unsupported unit provided. please use M, KM, FT, MI",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "w", "1", "km"],
            "(error) ERR need numeric width",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "1", "h", "km"],
            "(error) ERR need numeric height",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "-1", "1", "km"],
            "(error) ERR height or width cannot be negative",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "1", "-1", "km"],
            "(error) ERR height or width cannot be negative",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "1", "1", "km2"],
            "(error) ERR unsupported unit provided. please use M, KM, FT, MI",
        )
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "1", "1"], "(error) ERR syntax error")
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1"], "(error) ERR syntax error")
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "BYRADIUS", "1", "km"],
            "(error) ERR value is not a valid float",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STORE", "x"],
            "(error) ERR syntax error",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STOREDIST"],
            "(error) ERR syntax error",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "ANY"],
            "(error) ERR the ANY argument requires COUNT argument",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "COUNT", "0"],
            "(error) ERR COUNT must be > 0",
        )
        .step(
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "COUNT", "1.5"],
            "(error) ERR value is not an integer or out of range",
        )
        .step(
            &["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "WITHCOORD"],
            "(error) ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        )
        .step(
            &["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STORE", "e"],
            "(error) ERR syntax error",
        )
        .step(
            &["GEOSEARCHSTORE", "d", "str", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km"],
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value",
        )
        .step(
            &["GEOSEARCHSTORE", "d", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km", "WITHDIST"],
            "(error) ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        )
        .step(&["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1"], "(error) ERR syntax error")
        .step(
            &["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS"],
            "(error) ERR wrong number of arguments for 'geosearchstore' command",
        )
        .run()
}

/// A grid over the globe: wide, polar and antimeridian searches scan the same cells in the same order.
#[test]
fn searches_across_the_globe() -> TestResult {
    Script::new()
        .step(&["GEOADD", "world", "-180", "-85", "p-180_-85", "-180", "-60", "p-180_-60", "-180", "-30", "p-180_-30", "-180", "0", "p-180_0", "-180", "30", "p-180_30", "-180", "60", "p-180_60", "-180", "85", "p-180_85", "-150", "-85", "p-150_-85", "-150", "-60", "p-150_-60", "-150", "-30", "p-150_-30", "-150", "0", "p-150_0", "-150", "30", "p-150_30", "-150", "60", "p-150_60", "-150", "85", "p-150_85", "-120", "-85", "p-120_-85", "-120", "-60", "p-120_-60", "-120", "-30", "p-120_-30", "-120", "0", "p-120_0", "-120", "30", "p-120_30", "-120", "60", "p-120_60", "-120", "85", "p-120_85", "-90", "-85", "p-90_-85", "-90", "-60", "p-90_-60", "-90", "-30", "p-90_-30", "-90", "0", "p-90_0", "-90", "30", "p-90_30", "-90", "60", "p-90_60", "-90", "85", "p-90_85", "-60", "-85", "p-60_-85", "-60", "-60", "p-60_-60", "-60", "-30", "p-60_-30", "-60", "0", "p-60_0", "-60", "30", "p-60_30", "-60", "60", "p-60_60", "-60", "85", "p-60_85", "-30", "-85", "p-30_-85", "-30", "-60", "p-30_-60", "-30", "-30", "p-30_-30", "-30", "0", "p-30_0", "-30", "30", "p-30_30", "-30", "60", "p-30_60", "-30", "85", "p-30_85", "0", "-85", "p0_-85", "0", "-60", "p0_-60", "0", "-30", "p0_-30", "0", "0", "p0_0", "0", "30", "p0_30", "0", "60", "p0_60", "0", "85", "p0_85", "30", "-85", "p30_-85", "30", "-60", "p30_-60", "30", "-30", "p30_-30", "30", "0", "p30_0", "30", "30", "p30_30", "30", "60", "p30_60", "30", "85", "p30_85", "60", "-85", "p60_-85", "60", "-60", "p60_-60", "60", "-30", "p60_-30", "60", "0", "p60_0", "60", "30", "p60_30", "60", "60", "p60_60", "60", "85", "p60_85", "90", "-85", "p90_-85", "90", "-60", "p90_-60", "90", "-30", "p90_-30", "90", "0", "p90_0", "90", "30", "p90_30", "90", "60", "p90_60", "90", "85", "p90_85", "120", "-85", "p120_-85", "120", "-60", "p120_-60", "120", "-30", "p120_-30", "120", "0", "p120_0", "120", "30", "p120_30", "120", "60", "p120_60", "120", "85", "p120_85", "150", "-85", "p150_-85", "150", "-60", "p150_-60", "150", "-30", "p150_-30", "150", "0", "p150_0", "150", "30", "p150_30", "150", "60", "p150_60", "150", "85", "p150_85", "180", "-85", "p180_-85", "180", "-60", "p180_-60", "180", "-30", "p180_-30", "180", "0", "p180_0", "180", "30", "p180_30", "180", "60", "p180_60", "180", "85", "p180_85"], "(integer) 91")
        .step(&["ZCARD", "world"], "(integer) 91")
        .step(&["GEORADIUS", "world", "0", "0", "5000", "km"], "1) \"p0_0\"\n2) \"p30_0\"\n3) \"p0_30\"\n4) \"p30_30\"\n5) \"p0_-30\"\n6) \"p30_-30\"\n7) \"p-30_0\"\n8) \"p-30_30\"\n9) \"p-30_-30\"")
        .step(&["GEORADIUS", "world", "0", "0", "5000", "km", "WITHDIST", "ASC"], "1) 1) \"p0_0\"\n   2) \"0.0003\"\n2) 1) \"p0_30\"\n   2) \"3336.7890\"\n3) 1) \"p0_-30\"\n   2) \"3336.7890\"\n4) 1) \"p30_0\"\n   2) \"3336.7891\"\n5) 1) \"p-30_0\"\n   2) \"3336.7891\"\n6) 1) \"p30_30\"\n   2) \"4605.8391\"\n7) 1) \"p30_-30\"\n   2) \"4605.8391\"\n8) 1) \"p-30_30\"\n   2) \"4605.8391\"\n9) 1) \"p-30_-30\"\n   2) \"4605.8391\"")
        .step(&["GEORADIUS", "world", "179", "1", "4000", "km"], "1) \"p150_0\"\n2) \"p-180_0\"\n3) \"p-150_0\"\n4) \"p-180_30\"\n5) \"p-180_-30\"")
        .step(&["GEORADIUS", "world", "-179", "84", "3000", "km", "WITHDIST"], " 1) 1) \"p-180_60\"\n    2) \"2669.5560\"\n 2) 1) \"p-150_60\"\n    2) \"2770.3138\"\n 3) 1) \"p-180_85\"\n    2) \"111.7318\"\n 4) 1) \"p-150_85\"\n    2) \"324.3035\"\n 5) 1) \"p-120_85\"\n    2) \"609.5219\"\n 6) 1) \"p-90_85\"\n    2) \"860.5595\"\n 7) 1) \"p-60_85\"\n    2) \"1055.2938\"\n 8) 1) \"p-30_85\"\n    2) \"1179.2386\"\n 9) 1) \"p0_85\"\n    2) \"1223.4430\"\n10) 1) \"p30_85\"\n    2) \"1184.7331\"\n11) 1) \"p60_85\"\n    2) \"1065.8880\"\n12) 1) \"p90_85\"\n    2) \"875.4836\"\n13) 1) \"p120_85\"\n    2) \"627.6309\"\n14) 1) \"p150_60\"\n    2) \"2784.0842\"\n15) 1) \"p150_85\"\n    2) \"343.6468\"")
        .step(&["GEOSEARCH", "world", "FROMLONLAT", "0", "0", "BYBOX", "10000", "10000", "km"], "1) \"p0_0\"\n2) \"p30_0\"\n3) \"p0_30\"\n4) \"p30_30\"\n5) \"p0_-30\"\n6) \"p30_-30\"\n7) \"p-30_0\"\n8) \"p-30_30\"\n9) \"p-30_-30\"")
        .step(&["GEOSEARCH", "world", "FROMLONLAT", "150", "-59", "BYBOX", "4000", "8000", "km", "DESC"], " 1) \"p-30_-85\"\n 2) \"p-60_-85\"\n 3) \"p0_-85\"\n 4) \"p-90_-85\"\n 5) \"p30_-85\"\n 6) \"p60_-85\"\n 7) \"p-120_-85\"\n 8) \"p150_-30\"\n 9) \"p-150_-85\"\n10) \"p90_-85\"\n11) \"p-180_-85\"\n12) \"p120_-85\"\n13) \"p150_-85\"\n14) \"p-180_-60\"\n15) \"p120_-60\"\n16) \"p150_-60\"")
        .step(&["GEOSEARCH", "world", "FROMLONLAT", "10", "84", "BYRADIUS", "2000", "km", "WITHCOORD"], " 1) 1) \"p0_85\"\n    2) 1) \"0.00000268220901489\"\n       2) \"84.99999965213439168\"\n 2) 1) \"p30_85\"\n    2) 1) \"30.00000089406967163\"\n       2) \"84.99999965213439168\"\n 3) 1) \"p60_85\"\n    2) 1) \"59.99999910593032837\"\n       2) \"84.99999965213439168\"\n 4) 1) \"p90_85\"\n    2) 1) \"90.00000268220901489\"\n       2) \"84.99999965213439168\"\n 5) 1) \"p120_85\"\n    2) 1) \"120.00000089406967163\"\n       2) \"84.99999965213439168\"\n 6) 1) \"p150_85\"\n    2) 1) \"149.99999910593032837\"\n       2) \"84.99999965213439168\"\n 7) 1) \"p-180_85\"\n    2) 1) \"-179.99999731779098511\"\n       2) \"84.99999965213439168\"\n 8) 1) \"p-150_85\"\n    2) 1) \"-149.99999910593032837\"\n       2) \"84.99999965213439168\"\n 9) 1) \"p-120_85\"\n    2) 1) \"-120.00000089406967163\"\n       2) \"84.99999965213439168\"\n10) 1) \"p-90_85\"\n    2) 1) \"-89.99999731779098511\"\n       2) \"84.99999965213439168\"\n11) 1) \"p-60_85\"\n    2) 1) \"-59.99999910593032837\"\n       2) \"84.99999965213439168\"\n12) 1) \"p-30_85\"\n    2) 1) \"-30.00000089406967163\"\n       2) \"84.99999965213439168\"")
        .step(&["GEOSEARCH", "world", "FROMMEMBER", "p30_60", "BYRADIUS", "3500", "km"], " 1) \"p30_30\"\n 2) \"p0_60\"\n 3) \"p30_60\"\n 4) \"p0_85\"\n 5) \"p30_85\"\n 6) \"p60_60\"\n 7) \"p60_85\"\n 8) \"p90_60\"\n 9) \"p90_85\"\n10) \"p120_85\"\n11) \"p-60_85\"\n12) \"p-30_60\"\n13) \"p-30_85\"")
        .step(&["GEOSEARCH", "world", "FROMMEMBER", "p30_60", "BYRADIUS", "3500", "km", "COUNT", "3", "ANY"], "1) \"p30_30\"\n2) \"p0_60\"\n3) \"p30_60\"")
        .step(&["GEOSEARCH", "world", "FROMMEMBER", "p-180_0", "BYRADIUS", "3400", "km", "WITHDIST", "ASC"], "1) 1) \"p-180_0\"\n   2) \"0.0000\"\n2) 1) \"p-150_0\"\n   2) \"3336.7888\"\n3) 1) \"p-180_30\"\n   2) \"3336.7889\"\n4) 1) \"p-180_-30\"\n   2) \"3336.7892\"\n5) 1) \"p150_0\"\n   2) \"3336.7894\"")
        // Equal distances under COUNT are not compared: Redis's partial sort orders ties its own way.
        .step(&["GEORADIUS", "world", "7", "3", "25000", "km", "COUNT", "5", "DESC", "WITHDIST"], "1) 1) \"p-180_0\"\n   2) \"19173.9874\"\n2) 1) \"p-150_0\"\n   2) \"17442.0313\"\n3) 1) \"p-180_-30\"\n   2) \"16928.3583\"\n4) 1) \"p-180_30\"\n   2) \"16275.5108\"\n5) 1) \"p-150_-30\"\n   2) \"16162.4355\"")
        .step(&["GEORADIUS", "world", "0", "0", "inf", "km", "COUNT", "3", "ANY"], "1) \"p0_0\"\n2) \"p30_0\"\n3) \"p0_30\"")
        .step(&["GEOSEARCH", "world", "FROMLONLAT", "0", "0", "BYBOX", "inf", "1", "m"], " 1) \"p0_0\"\n 2) \"p30_0\"\n 3) \"p60_0\"\n 4) \"p90_0\"\n 5) \"p120_0\"\n 6) \"p150_0\"\n 7) \"p-180_0\"\n 8) \"p-150_0\"\n 9) \"p-120_0\"\n10) \"p-90_0\"\n11) \"p-60_0\"\n12) \"p-30_0\"")
        .step(&["GEOHASH", "world", "p-180_-85", "p180_85", "p0_0", "p90_30", "p-120_-60"], "1) \"00bh2n0p050\"\n2) \"bp0581b0bh0\"\n3) \"s0000000000\"\n4) \"wj248j248j0\"\n5) \"1m6dtm6dtm0\"")
        .run()
}

/// RESP3: coordinates are doubles printed as Redis's human long doubles, distances stay
/// bulk strings, a missing member's position is a null.
#[test]
fn resp3_replies() -> TestResult {
    SideBySide::start()?.expect(
        &[
            ":2\r\n",
            "*3\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n",
            "$11\r\n166274.1516\r\n",
            "_\r\n",
            "*2\r\n$11\r\nsqc8b49rny0\r\n_\r\n",
            "*1\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n",
            "*0\r\n",
        ],
        |port| {
            let mut con = RawConn::connect(port)?;
            con.call(&["HELLO", "3"])?;
            Ok(vec![
                con.call(&["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"])?,
                con.call(&["GEOPOS", "Sicily", "Palermo", "nope", "Catania"])?,
                con.call(&["GEODIST", "Sicily", "Palermo", "Catania"])?,
                con.call(&["GEODIST", "Sicily", "Palermo", "nope"])?,
                con.call(&["GEOHASH", "Sicily", "Palermo", "nope"])?,
                con.call(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "100", "km", "WITHDIST", "WITHHASH", "WITHCOORD"])?,
                con.call(&["GEORADIUS", "nokey", "15", "37", "100", "km"])?,
            ])
        },
    );
    Ok(())
}
