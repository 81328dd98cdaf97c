//! Distances on the sphere and the cells a search scans: the search shape's bounding box,
//! the step chosen for its radius, and the centre cell with its eight neighbours, less the
//! ones the shape cannot reach (as Redis's geohash_helper.c decides them).

use std::f64::consts::PI;

use super::hash::{self, Area, HashBits, WGS84_LAT, WGS84_LON};

/// Redis's earth radius (the quadratic mean radius of WGS-84), in metres.
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
/// Half the equator in Web Mercator metres: the width of the widest cell.
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = PI / 180.0;

fn deg_rad(deg: f64) -> f64 {
    deg * D_R
}

fn rad_deg(rad: f64) -> f64 {
    rad / D_R
}

/// Great-circle distance in metres between two (lon, lat) points (haversine).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lat1r = deg_rad(lat1);
    let lon1r = deg_rad(lon1);
    let lat2r = deg_rad(lat2);
    let lon2r = deg_rad(lon2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS_M * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

/// What a search covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Extent {
    /// BYRADIUS, GEORADIUS: a radius in the request's unit.
    Circle { radius: f64 },
    /// BYBOX: width and height in the request's unit, centred on the point.
    Box { width: f64, height: f64 },
}

/// A search area: centre [lon, lat], extent, and metres per unit of the request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    pub center: [f64; 2],
    pub extent: Extent,
    pub to_meters: f64,
}

impl Shape {
    /// The distance from the centre to (lon, lat) in metres if the point is in the shape.
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        let [clon, clat] = self.center;
        match self.extent {
            Extent::Circle { radius } => {
                let d = distance(clon, clat, lon, lat);
                (d <= radius * self.to_meters).then_some(d)
            }
            Extent::Box { width, height } => {
                let (width_m, height_m) = (width * self.to_meters, height * self.to_meters);
                let lon_distance = distance(lon, lat, clon, lat);
                let lat_distance = distance(lon, lat, lon, clat);
                if lon_distance > width_m / 2.0 || lat_distance > height_m / 2.0 {
                    return None;
                }
                Some(distance(clon, clat, lon, lat))
            }
        }
    }

    /// [min lon, min lat, max lon, max lat] around the shape. A box's top and bottom
    /// edges span different longitudes; the wider one (nearer the equator) is taken.
    fn bounding_box(&self) -> [f64; 4] {
        let [lon, lat] = self.center;
        let (half_h, half_w) = match self.extent {
            Extent::Circle { radius } => (radius, radius),
            Extent::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.to_meters * half_h;
        let width = self.to_meters * half_w;
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let lon_delta_top = rad_deg(width / EARTH_RADIUS_M / deg_rad(lat + lat_delta).cos());
        let lon_delta_bottom = rad_deg(width / EARTH_RADIUS_M / deg_rad(lat - lat_delta).cos());
        let southern = lat < 0.0;
        let lon_delta = if southern { lon_delta_bottom } else { lon_delta_top };
        [lon - lon_delta, lat - lat_delta, lon + lon_delta, lat + lat_delta]
    }

    /// The distance from the centre that covers the shape, in metres.
    fn reach_m(&self) -> f64 {
        let r = match self.extent {
            Extent::Circle { radius } => radius,
            Extent::Box { width, height } => ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt(),
        };
        r * self.to_meters
    }
}

/// The step whose cells are about as wide as `range_m`, fewer steps near the poles. The loop
/// doubles a positive range until it reaches MERCATOR_MAX: at most ~1100 turns.
fn steps_for_radius(range_m: f64, lat: f64) -> u8 {
    if range_m == 0.0 {
        return 26;
    }
    let mut range = range_m;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    // The latitude is never NaN (checked or decoded), so this is Redis's `lat > 66 || lat < -66`.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The cells a search scans, in Redis's order: the centre cell, then north, south, east,
/// west, north-east, north-west, south-east, south-west. Cells the shape cannot reach are
/// zeroed (`HashBits::ZERO`) and skipped.
pub fn cells_to_scan(shape: &Shape) -> [HashBits; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounding_box();
    let [lon, lat] = shape.center;
    let mut steps = steps_for_radius(shape.reach_m(), lat);

    let Some(mut center) = hash::encode(WGS84_LON, WGS84_LAT, lon, lat, steps) else {
        return [HashBits::ZERO; 9];
    };
    let mut around = hash::neighbors(center);
    let decode = |h: HashBits| hash::decode(WGS84_LON, WGS84_LAT, h);
    let mut area = decode(center);

    // The estimated step can leave part of the shape outside the nine cells when the centre
    // is near a cell's edge: one step fewer then.
    let [north, south, east, west] = [around[0], around[1], around[2], around[3]].map(decode);
    let outside = north.is_some_and(|a| a.lat.max < max_lat)
        || south.is_some_and(|a| a.lat.min > min_lat)
        || east.is_some_and(|a| a.lon.max < max_lon)
        || west.is_some_and(|a| a.lon.min > min_lon);
    if steps > 1 && outside {
        steps -= 1;
        if let Some(h) = hash::encode(WGS84_LON, WGS84_LAT, lon, lat, steps) {
            center = h;
            around = hash::neighbors(center);
            area = decode(center);
        }
    }

    if let (true, Some(Area { lon: alon, lat: alat })) = (steps >= 2, area) {
        let [n, s, e, w, ne, nw, se, sw] = &mut around;
        if alat.min < min_lat {
            for h in [&mut *s, &mut *sw, &mut *se] {
                *h = HashBits::ZERO;
            }
        }
        if alat.max > max_lat {
            for h in [&mut *n, &mut *ne, &mut *nw] {
                *h = HashBits::ZERO;
            }
        }
        if alon.min < min_lon {
            for h in [&mut *w, &mut *sw, &mut *nw] {
                *h = HashBits::ZERO;
            }
        }
        if alon.max > max_lon {
            for h in [e, se, ne] {
                *h = HashBits::ZERO;
            }
        }
    }
    let [n, s, e, w, ne, nw, se, sw] = around;
    [center, n, s, e, w, ne, nw, se, sw]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::geo::hash::score_to_lonlat;

    #[test]
    fn palermo_to_catania() {
        let [lon1, lat1] = score_to_lonlat(3479099956230698.0);
        let [lon2, lat2] = score_to_lonlat(3479447370796909.0);
        assert_eq!(format!("{:.4}", distance(lon1, lat1, lon2, lat2)), "166274.1516");
        assert_eq!(format!("{:.4}", distance(lon1, lat1, lon2, lat2) / 1000.0), "166.2742");
        assert_eq!(distance(lon1, lat1, lon1, lat1), 0.0);
    }

    #[test]
    fn steps_follow_the_radius() {
        assert_eq!(steps_for_radius(0.0, 0.0), 26);
        assert_eq!(steps_for_radius(1.0, 0.0), 24);
        assert_eq!(steps_for_radius(200_000.0, 0.0), 6);
        assert_eq!(steps_for_radius(200_000.0, 70.0), 5);
        assert_eq!(steps_for_radius(200_000.0, -81.0), 4);
        assert_eq!(steps_for_radius(5e7, 0.0), 1);
        assert_eq!(steps_for_radius(f64::INFINITY, 0.0), 1);
        assert_eq!(steps_for_radius(f64::MIN_POSITIVE / 1e10, 0.0), 26);
    }

    #[test]
    fn box_and_circle_membership() {
        let c = Shape { center: [15.0, 37.0], extent: Extent::Circle { radius: 100.0 }, to_meters: 1000.0 };
        assert!(c.contains(15.0, 37.5).is_some());
        assert!(c.contains(15.0, 38.0).is_none());
        let b = Shape { center: [15.0, 37.0], extent: Extent::Box { width: 400.0, height: 100.0 }, to_meters: 1000.0 };
        assert!(b.contains(16.5, 37.0).is_some());
        assert!(b.contains(15.0, 37.6).is_none());
    }

    #[test]
    fn far_cells_are_left_out() {
        let shape = Shape { center: [15.0, 37.0], extent: Extent::Circle { radius: 1.0 }, to_meters: 1000.0 };
        let cells = cells_to_scan(&shape);
        assert!(!cells[0].is_zero());
        assert!(cells.iter().filter(|h| h.is_zero()).count() >= 3, "{cells:?}");
        // An infinite radius scans one step: no panic, no zeroing.
        let all = Shape { center: [0.0, 0.0], extent: Extent::Circle { radius: f64::INFINITY }, to_meters: 1.0 };
        assert_eq!(cells_to_scan(&all)[0].step, 1);
    }
}
