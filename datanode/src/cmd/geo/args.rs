//! GEO arguments as Redis parses them, with its error texts: coordinates (`strtod` floats
//! within the WGS84 limits), units, radius and box sizes.

use super::hash::{LAT_MAX, LAT_MIN, LON_MAX, LON_MIN};
use crate::cmd::ReplyError;
use crate::cmd::zset::parse_score;

/// A float argument as `getDoubleFromObject` takes it; `msg` is the error text (Redis's
/// default is "value is not a valid float").
fn float(b: &[u8], msg: &str) -> Result<f64, ReplyError> {
    parse_score(b).ok_or_else(|| ReplyError::new(format!("ERR {msg}")))
}

/// A longitude and a latitude, each a float, together inside the WGS84 limits.
pub fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<[f64; 2], ReplyError> {
    let lon = float(lon, "value is not a valid float")?;
    let lat = float(lat, "value is not a valid float")?;
    if !(LON_MIN..=LON_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return Err(ReplyError::new(format!("ERR invalid longitude,latitude pair {lon:.6},{lat:.6}")));
    }
    Ok([lon, lat])
}

/// Metres per unit: M, KM, FT, MI in any case.
pub fn unit(b: &[u8]) -> Result<f64, ReplyError> {
    match &b.to_ascii_lowercase()[..] {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(ReplyError::new("ERR unsupported unit provided. please use M, KM, FT, MI")),
    }
}

/// `radius unit`: (radius in the unit, metres per unit).
pub fn radius(radius: &[u8], unit_arg: &[u8]) -> Result<(f64, f64), ReplyError> {
    let r = float(radius, "need numeric radius")?;
    if r < 0.0 {
        return Err(ReplyError::new("ERR radius cannot be negative"));
    }
    Ok((r, unit(unit_arg)?))
}

/// `width height unit`: (width, height in the unit, metres per unit).
pub fn bbox(width: &[u8], height: &[u8], unit_arg: &[u8]) -> Result<(f64, f64, f64), ReplyError> {
    let w = float(width, "need numeric width")?;
    let h = float(height, "need numeric height")?;
    if h < 0.0 || w < 0.0 {
        return Err(ReplyError::new("ERR height or width cannot be negative"));
    }
    Ok((w, h, unit(unit_arg)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: Result<impl std::fmt::Debug, ReplyError>) -> String {
        r.expect_err("an error").0
    }

    #[test]
    fn coordinates() {
        assert_eq!(lon_lat(b"13.361389", b"38.115556").unwrap(), [13.361389, 38.115556]);
        assert_eq!(lon_lat(b"-180", b"85.05112878").unwrap(), [-180.0, 85.05112878]);
        assert_eq!(lon_lat(b"0x10", b"0").unwrap(), [16.0, 0.0]);
        assert_eq!(err(lon_lat(b"200", b"100")), "ERR invalid longitude,latitude pair 200.000000,100.000000");
        assert_eq!(err(lon_lat(b"0.0078125", b"86")), "ERR invalid longitude,latitude pair 0.007812,86.000000");
        assert_eq!(err(lon_lat(b"inf", b"1")), "ERR invalid longitude,latitude pair inf,1.000000");
        assert_eq!(err(lon_lat(b"x", b"1")), "ERR value is not a valid float");
        assert_eq!(err(lon_lat(b"1", b"nan")), "ERR value is not a valid float");
        assert_eq!(err(lon_lat(b" 1", b"1")), "ERR value is not a valid float");
    }

    #[test]
    fn units_and_sizes() {
        assert_eq!(unit(b"KM").unwrap(), 1000.0);
        assert_eq!(unit(b"Mi").unwrap(), 1609.34);
        assert_eq!(err(unit(b"parsecs")), "ERR unsupported unit provided. please use M, KM, FT, MI");
        assert_eq!(radius(b"5", b"ft").unwrap(), (5.0, 0.3048));
        assert_eq!(err(radius(b"-1", b"m")), "ERR radius cannot be negative");
        assert_eq!(err(radius(b"r", b"m")), "ERR need numeric radius");
        assert_eq!(err(radius(b"-1", b"x")), "ERR radius cannot be negative");
        assert_eq!(err(radius(b"1", b"x")), "ERR unsupported unit provided. please use M, KM, FT, MI");
        assert_eq!(bbox(b"1", b"2", b"m").unwrap(), (1.0, 2.0, 1.0));
        assert_eq!(err(bbox(b"w", b"h", b"m")), "ERR need numeric width");
        assert_eq!(err(bbox(b"1", b"h", b"m")), "ERR need numeric height");
        assert_eq!(err(bbox(b"1", b"-2", b"m")), "ERR height or width cannot be negative");
    }
}
