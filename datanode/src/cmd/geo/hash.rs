//! Redis's geohash: longitude and latitude cut into 2^step cells each and interleaved
//! (longitude on the odd bits, latitude on the even ones). At 26 steps the 52-bit result is
//! a GEO member's sorted-set score, so every float operation here follows Redis's order to
//! give the same bits and the same decoded coordinates.

/// Longitude limits.
pub const LON_MIN: f64 = -180.0;
pub const LON_MAX: f64 = 180.0;
/// Latitude limits: Web Mercator (EPSG:900913) cannot reach the poles.
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;

/// Steps of a stored score: 26 per axis, 52 bits.
pub const STEP_MAX: u8 = 26;

/// A closed interval of one coordinate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The ranges scores are encoded in.
pub const WGS84_LON: Range = Range { min: LON_MIN, max: LON_MAX };
pub const WGS84_LAT: Range = Range { min: LAT_MIN, max: LAT_MAX };
/// The latitude range of standard geohash strings (GEOHASH re-encodes into it).
pub const STANDARD_LAT: Range = Range { min: -90.0, max: 90.0 };

/// A cell: `step` bits per axis, interleaved into the low `2 * step` bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HashBits {
    pub bits: u64,
    pub step: u8,
}

impl HashBits {
    /// A neighbour the search left out is zeroed, as Redis's `GZERO`.
    pub const ZERO: HashBits = HashBits { bits: 0, step: 0 };

    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The cell's first 52-bit score (its bits shifted to the top of 52).
    pub fn align52(&self) -> u64 {
        let shift = 52u32.saturating_sub(u32::from(self.step) * 2);
        self.bits.checked_shl(shift).unwrap_or(0)
    }
}

/// The cell a hash stands for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    pub lon: Range,
    pub lat: Range,
}

/// Spreads the 32 bits of `v` onto the even bits of a u64.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bits of `v` into a u32 (the inverse of `spread`).
fn squash(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF;
    x as u32
}

/// Latitude on the even bits, longitude on the odd ones.
fn interleave(lat: u32, lon: u32) -> u64 {
    spread(lat) | (spread(lon) << 1)
}

/// (latitude cell, longitude cell) of interleaved bits.
fn deinterleave(bits: u64) -> (u32, u32) {
    (squash(bits), squash(bits >> 1))
}

/// The cell of (lon, lat) at `step` bits per axis within the given ranges; `None` outside
/// the WGS84 limits or the ranges, or for a step outside 1..=32.
pub fn encode(lon_range: Range, lat_range: Range, lon: f64, lat: f64, step: u8) -> Option<HashBits> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LON_MIN..=LON_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max {
        return None;
    }
    let cells = (1u64 << step) as f64;
    let mut lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
    let mut lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
    lat_offset *= cells;
    lon_offset *= cells;
    // Both offsets lie in [0, 2^step]: the truncating casts are C's conversions.
    Some(HashBits { bits: interleave(lat_offset as u32, lon_offset as u32), step })
}

/// The 26-step cell of a point in the ranges scores use.
pub fn encode_wgs84(lon: f64, lat: f64) -> Option<HashBits> {
    encode(WGS84_LON, WGS84_LAT, lon, lat, STEP_MAX)
}

/// The area of a cell; `None` for a zeroed hash.
pub fn decode(lon_range: Range, lat_range: Range, hash: HashBits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let (ilat, ilon) = deinterleave(hash.bits);
    let cells = 1u64.checked_shl(u32::from(hash.step)).unwrap_or(0) as f64;
    let lat_scale = lat_range.max - lat_range.min;
    let lon_scale = lon_range.max - lon_range.min;
    // The +1 wraps in 32 bits, as the C unsigned arithmetic does.
    let edge = |min: f64, cell: u32, scale: f64| min + (f64::from(cell) * 1.0 / cells) * scale;
    Some(Area {
        lat: Range {
            min: edge(lat_range.min, ilat, lat_scale),
            max: edge(lat_range.min, ilat.wrapping_add(1), lat_scale),
        },
        lon: Range {
            min: edge(lon_range.min, ilon, lon_scale),
            max: edge(lon_range.min, ilon.wrapping_add(1), lon_scale),
        },
    })
}

pub fn decode_wgs84(hash: HashBits) -> Option<Area> {
    decode(WGS84_LON, WGS84_LAT, hash)
}

/// The centre of an area, kept within the WGS84 limits: [lon, lat].
pub fn area_center(area: &Area) -> [f64; 2] {
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LON_MIN, LON_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [lon, lat]
}

/// What x86-64 gives for C's `(uint64_t)score`: exact for the integers GEOADD stores; for
/// other scores (ZADD of -1, 1e20, inf on a GEO key) the hardware's out-of-range results,
/// so GEOPOS and friends decode such members as Redis does.
pub fn score_bits(score: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    // cvttsd2si: the truncated value, or i64::MIN when it does not fit (NaN included).
    let cvtt = |v: f64| if v.is_nan() || !(-TWO_63..TWO_63).contains(&v) { i64::MIN } else { v as i64 };
    if score >= TWO_63 { (cvtt(score - TWO_63) as u64) ^ (1 << 63) } else { cvtt(score) as u64 }
}

/// The position a sorted-set score stands for: [lon, lat].
pub fn score_to_lonlat(score: f64) -> [f64; 2] {
    let hash = HashBits { bits: score_bits(score), step: STEP_MAX };
    // A 26-step hash is never zero, so it always decodes.
    decode_wgs84(hash).map_or([0.0, 0.0], |a| area_center(&a))
}

/// The score GEOADD stores for a valid (lon, lat).
pub fn lonlat_to_score(lon: f64, lat: f64) -> Option<f64> {
    encode_wgs84(lon, lat).map(|h| h.align52() as f64)
}

const EVEN: u64 = 0x5555_5555_5555_5555;
const ODD: u64 = 0xAAAA_AAAA_AAAA_AAAA;

/// Moves a cell one step along the axis on `axis_mask`'s bits (wrapping around).
fn shift_axis(hash: &mut HashBits, axis_mask: u64, other_mask: u64, d: i8) {
    if d == 0 || hash.step == 0 {
        return;
    }
    let width = 64u32.saturating_sub(u32::from(hash.step) * 2);
    let mine = hash.bits & axis_mask;
    let other = hash.bits & other_mask;
    let zz = other_mask.checked_shr(width).unwrap_or(0);
    let moved =
        if d > 0 { mine.wrapping_add(zz.wrapping_add(1)) } else { (mine | zz).wrapping_sub(zz.wrapping_add(1)) };
    hash.bits = (moved & axis_mask.checked_shr(width).unwrap_or(0)) | other;
}

fn move_x(hash: &mut HashBits, d: i8) {
    shift_axis(hash, ODD, EVEN, d);
}

fn move_y(hash: &mut HashBits, d: i8) {
    shift_axis(hash, EVEN, ODD, d);
}

fn moved(hash: HashBits, dx: i8, dy: i8) -> HashBits {
    let mut h = hash;
    move_x(&mut h, dx);
    move_y(&mut h, dy);
    h
}

/// The eight cells around `hash`, in the order a search visits them: north, south, east,
/// west, north-east, north-west, south-east, south-west.
pub fn neighbors(hash: HashBits) -> [HashBits; 8] {
    [
        moved(hash, 0, 1),
        moved(hash, 0, -1),
        moved(hash, 1, 0),
        moved(hash, -1, 0),
        moved(hash, 1, 1),
        moved(hash, -1, 1),
        moved(hash, 1, -1),
        moved(hash, -1, -1),
    ]
}

const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// GEOHASH's 11-character string of a score: decoded, re-encoded with the standard
/// latitude range (-90..90), cut in 5-bit characters; the 11th has no bits left and is '0'.
pub fn geohash_string(score: f64) -> [u8; 11] {
    let [lon, lat] = score_to_lonlat(score);
    let bits = encode(WGS84_LON, STANDARD_LAT, lon, lat, STEP_MAX).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().enumerate().take(10) {
        let idx = (bits >> (52 - (i + 1) * 5)) & 0x1f;
        *c = ALPHABET[idx as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PALERMO: (f64, f64) = (13.361389, 38.115556);
    const CATANIA: (f64, f64) = (15.087269, 37.502669);

    #[test]
    fn known_redis_scores() {
        assert_eq!(lonlat_to_score(PALERMO.0, PALERMO.1), Some(3479099956230698.0));
        assert_eq!(lonlat_to_score(CATANIA.0, CATANIA.1), Some(3479447370796909.0));
        // The corners: the top cell index overflows 26 bits, as in Redis.
        assert_eq!(lonlat_to_score(-180.0, -85.05112878), Some(0.0));
        assert_eq!(lonlat_to_score(180.0, 85.05112878), Some(13510798882111488.0));
    }

    #[test]
    fn out_of_limits_does_not_encode() {
        assert_eq!(lonlat_to_score(180.0001, 0.0), None);
        assert_eq!(lonlat_to_score(0.0, 85.06), None);
        assert_eq!(lonlat_to_score(0.0, -85.06), None);
        assert_eq!(lonlat_to_score(f64::NAN, 0.0), None);
        assert_eq!(encode(WGS84_LON, WGS84_LAT, 1.0, 1.0, 0), None);
        assert_eq!(encode(WGS84_LON, WGS84_LAT, 1.0, 1.0, 33), None);
    }

    #[test]
    fn decodes_to_redis_coordinates() {
        let [lon, lat] = score_to_lonlat(3479099956230698.0);
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
    }

    #[test]
    fn geohash_strings() {
        assert_eq!(&geohash_string(3479099956230698.0), b"sqc8b49rny0");
        assert_eq!(&geohash_string(3479447370796909.0), b"sqdtr74hyu0");
    }

    #[test]
    fn odd_scores_decode_as_on_x86() {
        assert_eq!(score_bits(-1.0), u64::MAX);
        assert_eq!(score_bits(1e20), 0);
        assert_eq!(score_bits(f64::INFINITY), 0);
        assert_eq!(score_bits(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(score_bits(9.3e18), 9_300_000_000_000_000_000);
        assert_eq!(score_to_lonlat(-1.0), [180.0, 85.05112878]);
        assert_eq!(&geohash_string(-1.0), b"bp05b5048p0");
        assert_eq!(&geohash_string(0.0), b"00bh0hbj200");
    }

    #[test]
    fn round_trips_stay_inside_the_cell() {
        // A 26-step cell is about 0.6 m wide: decoding lands within half a cell.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let lon = (seed % 360_000_000) as f64 / 1e6 - 180.0;
            let lat = ((seed >> 20) % 170_000_000) as f64 / 1e6 - 85.0;
            let score = lonlat_to_score(lon, lat).expect("inside the limits");
            assert!(score < (1u64 << 52) as f64, "{lon} {lat}");
            let [dlon, dlat] = score_to_lonlat(score);
            assert!((dlon - lon).abs() <= 360.0 / (1u64 << 26) as f64, "{lon} -> {dlon}");
            assert!((dlat - lat).abs() <= 170.2 / (1u64 << 26) as f64, "{lat} -> {dlat}");
            // Re-encoding the decoded point gives the same score.
            assert_eq!(lonlat_to_score(dlon, dlat), Some(score));
        }
    }

    #[test]
    fn neighbours_wrap_and_step() {
        let h = HashBits { bits: 0b0000, step: 2 };
        let n = neighbors(h);
        // North moves latitude (even bits) up by one, east moves longitude (odd bits).
        assert_eq!(n[0], HashBits { bits: 0b0001, step: 2 });
        assert_eq!(n[2], HashBits { bits: 0b0010, step: 2 });
        // South and west wrap around to the last cell of that axis.
        assert_eq!(n[1], HashBits { bits: 0b0101, step: 2 });
        assert_eq!(n[3], HashBits { bits: 0b1010, step: 2 });
        assert_eq!(n[4], HashBits { bits: 0b0011, step: 2 });
        assert_eq!(HashBits { bits: 0b11, step: 1 }.align52(), 0b11 << 50);
    }
}
