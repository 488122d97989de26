//! Geospatial functions (the KQL pages `geo-*-function.md`): each a [`RowFunction`] with its
//! page's examples as tests.
//!
//! Kusto measures on a sphere of radius 6,371,010 m with geodesic edges (S2's model), reads
//! shapes as GeoJSON dynamic values and answers null (or an empty string) for invalid input.
//! Grid cells: geohash and S2 are computed here (`cells`), H3 by the `h3o` crate.

mod cells;
mod ops;
mod shape;
mod sphere;
mod wkt;

use std::str::FromStr;

use h3o::{CellIndex, LatLng, Resolution};
use serde_json::{Value as Json, json};

use super::{KqlValue, Param, Returns, RowFunction};
use crate::results::KqlType;
use cells::CellId;
use shape::{Coord, point_json};
use sphere::{EARTH_RADIUS, Vec3, valid_coordinates};

const N: Param = Param::Number;
const I: Param = Param::Integer;
const D: Param = Param::Dynamic;
const T: Param = Param::Text;
const B: Param = Param::Bool;

const fn function(
    name: &'static str,
    params: &'static [Param],
    required: usize,
    returns: KqlType,
    eval: fn(&[KqlValue]) -> Result<KqlValue, String>,
) -> RowFunction {
    RowFunction::new(
        name,
        params,
        required,
        false,
        Returns::Always(returns),
        eval,
    )
}

/// The geospatial functions: name, parameters, how many are required, result type, row function.
#[rustfmt::skip]
pub(super) const FUNCTIONS: &[RowFunction] = &[
    function("geo_distance_2points", &[N, N, N, N, B], 4, KqlType::Real, distance_2points),
    function("geo_point_in_circle", &[N, N, N, N, N], 5, KqlType::Bool, point_in_circle),
    function("geo_azimuth", &[N, N, N, N], 4, KqlType::Real, azimuth),
    function("geo_angle", &[N, N, N, N, N, N], 6, KqlType::Real, angle),
    function("geo_point_to_geohash", &[N, N, I], 2, KqlType::String, point_to_geohash),
    function("geo_geohash_to_central_point", &[T], 1, KqlType::Dynamic, geohash_to_central_point),
    function("geo_geohash_to_polygon", &[T], 1, KqlType::Dynamic, geohash_to_polygon),
    function("geo_geohash_neighbors", &[T], 1, KqlType::Dynamic, geohash_neighbors),
    function("geo_point_to_s2cell", &[N, N, I], 2, KqlType::String, point_to_s2cell),
    function("geo_s2cell_to_central_point", &[T], 1, KqlType::Dynamic, s2cell_to_central_point),
    function("geo_s2cell_to_polygon", &[T], 1, KqlType::Dynamic, s2cell_to_polygon),
    function("geo_s2cell_neighbors", &[T], 1, KqlType::Dynamic, s2cell_neighbors),
    function("geo_point_to_h3cell", &[N, N, I], 2, KqlType::String, point_to_h3cell),
    function("geo_h3cell_to_central_point", &[T], 1, KqlType::Dynamic, h3cell_to_central_point),
    function("geo_h3cell_to_polygon", &[T], 1, KqlType::Dynamic, h3cell_to_polygon),
    function("geo_h3cell_neighbors", &[T], 1, KqlType::Dynamic, h3cell_neighbors),
    function("geo_h3cell_children", &[T, I], 1, KqlType::Dynamic, h3cell_children),
    function("geo_h3cell_parent", &[T, I], 1, KqlType::String, h3cell_parent),
    function("geo_h3cell_rings", &[T, I], 2, KqlType::Dynamic, h3cell_rings),
    function("geo_h3cell_level", &[T], 1, KqlType::Int, h3cell_level),
    function("geo_from_wkt", &[T], 1, KqlType::Dynamic, from_wkt),
    function("geo_point_in_polygon", &[N, N, D], 3, KqlType::Bool, point_in_polygon),
    function("geo_distance_point_to_polygon", &[N, N, D], 3, KqlType::Real, distance_point_to_polygon),
    function("geo_closest_point_on_polygon", &[N, N, D], 3, KqlType::Dynamic, closest_point_on_polygon),
    function("geo_distance_point_to_line", &[N, N, D], 3, KqlType::Real, distance_point_to_line),
    function("geo_closest_point_on_line", &[N, N, D], 3, KqlType::Dynamic, closest_point_on_line),
    function("geo_polygon_area", &[D], 1, KqlType::Real, polygon_area),
    function("geo_polygon_perimeter", &[D], 1, KqlType::Real, polygon_perimeter),
    function("geo_polygon_centroid", &[D], 1, KqlType::Dynamic, polygon_centroid),
    function("geo_line_length", &[D], 1, KqlType::Real, line_length),
    function("geo_line_centroid", &[D], 1, KqlType::Dynamic, line_centroid),
    function("geo_line_locate_point", &[D, N, N, B], 3, KqlType::Real, line_locate_point),
    function("geo_line_interpolate_point", &[D, N], 2, KqlType::Dynamic, line_interpolate_point),
    function("geo_line_densify", &[D, N, B], 1, KqlType::Dynamic, line_densify),
    function("geo_polygon_densify", &[D, N, B], 1, KqlType::Dynamic, polygon_densify),
    function("geo_intersects_2lines", &[D, D], 2, KqlType::Bool, intersects_2lines),
    function("geo_intersects_line_with_polygon", &[D, D], 2, KqlType::Bool, intersects_line_with_polygon),
    function("geo_intersects_2polygons", &[D, D], 2, KqlType::Bool, intersects_2polygons),
    function("geo_intersection_2lines", &[D, D], 2, KqlType::Dynamic, intersection_2lines),
    function("geo_intersection_line_with_polygon", &[D, D], 2, KqlType::Dynamic, intersection_line_with_polygon),
    function("geo_union_lines_array", &[D], 1, KqlType::Dynamic, union_lines_array),
    function("geo_polygon_to_s2cells", &[D, I, N], 1, KqlType::Dynamic, polygon_to_s2cells),
    function("geo_line_to_s2cells", &[D, I, N], 1, KqlType::Dynamic, line_to_s2cells),
    function("geo_point_buffer", &[N, N, N, N], 3, KqlType::Dynamic, point_buffer),
    function("geo_line_simplify", &[D, N], 1, KqlType::Dynamic, line_simplify),
    function("geo_polygon_simplify", &[D, N], 1, KqlType::Dynamic, polygon_simplify),
    function("geo_simplify_polygons_array", &[D, N], 1, KqlType::Dynamic, simplify_polygons_array),
    function("geo_polygon_to_h3cells", &[D, I, N], 1, KqlType::Dynamic, polygon_to_h3cells),
];

// ---- arguments -----------------------------------------------------------------------------

/// A finite number argument.
fn real(value: &KqlValue) -> Option<f64> {
    value.as_real().filter(|f| f.is_finite())
}

/// The point of arguments `at` (longitude) and `at + 1` (latitude), when valid.
fn point(args: &[KqlValue], at: usize) -> Option<Vec3> {
    let lng = real(args.get(at)?)?;
    let lat = real(args.get(at + 1)?)?;
    valid_coordinates(lng, lat).then(|| Vec3::from_degrees(lng, lat))
}

/// An optional argument: its default when not given, `None` when given as null.
fn optional<T>(
    args: &[KqlValue],
    at: usize,
    default: T,
    read: impl Fn(&KqlValue) -> Option<T>,
) -> Option<T> {
    match args.get(at) {
        None => Some(default),
        Some(value) => read(value),
    }
}

fn dynamic(json: Json) -> KqlValue {
    KqlValue::dynamic(json)
}

fn real_result(value: Option<f64>) -> Result<KqlValue, String> {
    Ok(value.map_or(KqlValue::Null, KqlValue::Real))
}

fn dynamic_result(value: Option<Json>) -> Result<KqlValue, String> {
    Ok(value.map_or(KqlValue::Null, dynamic))
}

fn text_result(value: Option<String>) -> Result<KqlValue, String> {
    Ok(KqlValue::String(value.unwrap_or_default()))
}

// ---- points --------------------------------------------------------------------------------

/// `geo_distance_2points()`: the geodesic distance in meters, on the sphere or (with
/// `use_spheroid`) on the WGS-84 ellipsoid.
fn distance_2points(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(a), Some(b)) = (point(args, 0), point(args, 2)) else {
        return Ok(KqlValue::Null);
    };
    let Some(spheroid) = optional(args, 4, false, KqlValue::as_bool) else {
        return Ok(KqlValue::Null);
    };
    if spheroid {
        let [lng1, lat1] = a.to_degrees();
        let [lng2, lat2] = b.to_degrees();
        return real_result(vincenty(lng1, lat1, lng2, lat2));
    }
    real_result(Some(a.angle(b) * EARTH_RADIUS))
}

/// The WGS-84 geodesic distance in meters (Vincenty's inverse formula, sub-millimeter);
/// `None` for nearly antipodal points, where it does not converge.
fn vincenty(lng1: f64, lat1: f64, lng2: f64, lat2: f64) -> Option<f64> {
    const A: f64 = 6_378_137.0;
    const F: f64 = 1.0 / 298.257_223_563;
    let b = A * (1.0 - F);
    let l = (lng2 - lng1).to_radians();
    let u1 = ((1.0 - F) * lat1.to_radians().tan()).atan();
    let u2 = ((1.0 - F) * lat2.to_radians().tan()).atan();
    let (sin_u1, cos_u1) = u1.sin_cos();
    let (sin_u2, cos_u2) = u2.sin_cos();
    let mut lambda = l;
    for _ in 0..200 {
        let (sin_l, cos_l) = lambda.sin_cos();
        let sin_sigma =
            ((cos_u2 * sin_l).powi(2) + (cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_l).powi(2)).sqrt();
        if sin_sigma == 0.0 {
            return Some(0.0);
        }
        let cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_l;
        let sigma = sin_sigma.atan2(cos_sigma);
        let sin_alpha = cos_u1 * cos_u2 * sin_l / sin_sigma;
        let cos2_alpha = 1.0 - sin_alpha * sin_alpha;
        let cos_2sigma_m = if cos2_alpha == 0.0 {
            0.0
        } else {
            cos_sigma - 2.0 * sin_u1 * sin_u2 / cos2_alpha
        };
        let c = F / 16.0 * cos2_alpha * (4.0 + F * (4.0 - 3.0 * cos2_alpha));
        let previous = lambda;
        lambda = l
            + (1.0 - c)
                * F
                * sin_alpha
                * (sigma
                    + c * sin_sigma
                        * (cos_2sigma_m + c * cos_sigma * (-1.0 + 2.0 * cos_2sigma_m.powi(2))));
        if (lambda - previous).abs() < 1e-12 {
            let u_sq = cos2_alpha * (A * A - b * b) / (b * b);
            let big_a =
                1.0 + u_sq / 16384.0 * (4096.0 + u_sq * (-768.0 + u_sq * (320.0 - 175.0 * u_sq)));
            let big_b = u_sq / 1024.0 * (256.0 + u_sq * (-128.0 + u_sq * (74.0 - 47.0 * u_sq)));
            let delta_sigma = big_b
                * sin_sigma
                * (cos_2sigma_m
                    + big_b / 4.0
                        * (cos_sigma * (-1.0 + 2.0 * cos_2sigma_m.powi(2))
                            - big_b / 6.0
                                * cos_2sigma_m
                                * (-3.0 + 4.0 * sin_sigma.powi(2))
                                * (-3.0 + 4.0 * cos_2sigma_m.powi(2))));
            return Some(b * big_a * (sigma - delta_sigma));
        }
    }
    None
}

/// `geo_point_in_circle()`: whether a point is within a spherical cap.
fn point_in_circle(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(p), Some(center), Some(radius)) = (point(args, 0), point(args, 2), real(&args[4]))
    else {
        return Ok(KqlValue::Null);
    };
    if radius <= 0.0 {
        return Ok(KqlValue::Null);
    }
    Ok(KqlValue::Bool(p.angle(center) * EARTH_RADIUS <= radius))
}

/// `geo_azimuth()`: the clockwise angle from north of the geodesic from point 1 to point 2.
fn azimuth(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(a), Some(b)) = (point(args, 0), point(args, 2)) else {
        return Ok(KqlValue::Null);
    };
    real_result(sphere::azimuth(a, b))
}

/// `geo_angle()`: the clockwise angle at point 2 from the line to point 1 to the line to
/// point 3, in [0, 2π).
fn angle(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(a), Some(b), Some(c)) = (point(args, 0), point(args, 2), point(args, 4)) else {
        return Ok(KqlValue::Null);
    };
    let (Some(to_a), Some(to_c)) = (sphere::azimuth(b, a), sphere::azimuth(b, c)) else {
        return Ok(KqlValue::Null);
    };
    let tau = 2.0 * std::f64::consts::PI;
    real_result(Some((to_c - to_a).rem_euclid(tau)))
}

// ---- geohash -------------------------------------------------------------------------------

/// `geo_point_to_geohash()`: the geohash of a point, of 1 to 18 characters (default 5).
fn point_to_geohash(args: &[KqlValue]) -> Result<KqlValue, String> {
    let accuracy = optional(args, 2, 5, KqlValue::as_long);
    let hash = match (point(args, 0), accuracy) {
        (Some(p), Some(accuracy @ 1..=18)) => {
            let [lng, lat] = p.to_degrees();
            // The given degrees, not their round trip through the sphere.
            let (lng, lat) = (real(&args[0]).unwrap_or(lng), real(&args[1]).unwrap_or(lat));
            Some(cells::geohash(lng, lat, accuracy as usize))
        }
        _ => None,
    };
    text_result(hash)
}

/// `geo_geohash_to_central_point()`: the center of a geohash's rectangle.
fn geohash_to_central_point(args: &[KqlValue]) -> Result<KqlValue, String> {
    let bounds = args[0].as_str().and_then(cells::geohash_bounds);
    dynamic_result(bounds.map(|(w, s, e, n)| point_json([(w + e) / 2.0, (s + n) / 2.0])))
}

/// `geo_geohash_to_polygon()`: a geohash's rectangle (planar edges, as geohashes have).
fn geohash_to_polygon(args: &[KqlValue]) -> Result<KqlValue, String> {
    let bounds = args[0].as_str().and_then(cells::geohash_bounds);
    dynamic_result(bounds.map(|(w, s, e, n)| {
        shape::polygons_json(&[vec![vec![[w, s], [e, s], [e, n], [w, n], [w, s]]]], false)
    }))
}

/// `geo_geohash_neighbors()`: the eight (fewer at a pole) geohashes around one.
fn geohash_neighbors(args: &[KqlValue]) -> Result<KqlValue, String> {
    let neighbors = args[0].as_str().and_then(cells::geohash_neighbors);
    dynamic_result(neighbors.map(|list| json!(list)))
}

// ---- S2 cells ------------------------------------------------------------------------------

/// `geo_point_to_s2cell()`: the token of the S2 cell of a point, at level 0 to 30 (default 11).
fn point_to_s2cell(args: &[KqlValue]) -> Result<KqlValue, String> {
    let level = optional(args, 2, 11, KqlValue::as_long);
    let token = match (point(args, 0), level) {
        (Some(p), Some(level @ 0..=30)) => Some(CellId::from_point(p, level as u32).token()),
        _ => None,
    };
    text_result(token)
}

fn s2cell(value: &KqlValue) -> Option<CellId> {
    value.as_str().and_then(CellId::from_token)
}

/// `geo_s2cell_to_central_point()`: the center of an S2 cell.
fn s2cell_to_central_point(args: &[KqlValue]) -> Result<KqlValue, String> {
    dynamic_result(s2cell(&args[0]).map(|cell| point_json(cell.center().to_degrees())))
}

/// `geo_s2cell_to_polygon()`: an S2 cell's four corners (its edges are geodesics).
fn s2cell_to_polygon(args: &[KqlValue]) -> Result<KqlValue, String> {
    dynamic_result(
        s2cell(&args[0]).map(|cell| shape::polygons_json(&[vec![cells::cell_ring(cell)]], false)),
    )
}

/// `geo_s2cell_neighbors()`: the eight (seven at a cube corner) cells around an S2 cell.
fn s2cell_neighbors(args: &[KqlValue]) -> Result<KqlValue, String> {
    dynamic_result(s2cell(&args[0]).map(|cell| {
        let tokens = cell
            .all_neighbors()
            .into_iter()
            .map(CellId::token)
            .collect();
        json!(cells::unordered_set_order(tokens))
    }))
}

// ---- H3 cells ------------------------------------------------------------------------------

fn h3cell(value: &KqlValue) -> Option<CellIndex> {
    CellIndex::from_str(value.as_str()?).ok()
}

fn resolution(value: i64) -> Option<Resolution> {
    Resolution::try_from(u8::try_from(value).ok()?).ok()
}

fn lat_lng_coord(point: LatLng) -> Coord {
    [point.lng(), point.lat()]
}

/// `geo_point_to_h3cell()`: the H3 cell of a point, at resolution 0 to 15 (default 6).
fn point_to_h3cell(args: &[KqlValue]) -> Result<KqlValue, String> {
    let res = optional(args, 2, 6, KqlValue::as_long).and_then(resolution);
    let cell = (|| {
        let (lng, lat) = (real(&args[0])?, real(&args[1])?);
        if !valid_coordinates(lng, lat) {
            return None;
        }
        Some(LatLng::new(lat, lng).ok()?.to_cell(res?).to_string())
    })();
    text_result(cell)
}

/// `geo_h3cell_to_central_point()`: the center of an H3 cell.
fn h3cell_to_central_point(args: &[KqlValue]) -> Result<KqlValue, String> {
    dynamic_result(h3cell(&args[0]).map(|cell| point_json(lat_lng_coord(LatLng::from(cell)))))
}

/// `geo_h3cell_to_polygon()`: an H3 cell's hexagon (pentagon) as a polygon.
fn h3cell_to_polygon(args: &[KqlValue]) -> Result<KqlValue, String> {
    dynamic_result(h3cell(&args[0]).map(|cell| {
        let mut ring: Vec<Coord> = cell.boundary().iter().map(|v| lat_lng_coord(*v)).collect();
        if let Some(&first) = ring.first() {
            ring.push(first);
        }
        shape::polygons_json(&[vec![ring]], false)
    }))
}

/// `geo_h3cell_neighbors()`: the cells around an H3 cell, in H3's order.
fn h3cell_neighbors(args: &[KqlValue]) -> Result<KqlValue, String> {
    dynamic_result(h3cell(&args[0]).map(|cell| {
        let disk: Vec<CellIndex> = cell.grid_disk(1);
        let neighbors: Vec<String> = disk
            .into_iter()
            .filter(|c| *c != cell)
            .map(|c| c.to_string())
            .collect();
        json!(neighbors)
    }))
}

/// `geo_h3cell_children()`: an H3 cell's children at a resolution at most 5 finer (default
/// the next one).
fn h3cell_children(args: &[KqlValue]) -> Result<KqlValue, String> {
    let children = (|| {
        let cell = h3cell(&args[0])?;
        let own = i64::from(u8::from(cell.resolution()));
        let wanted = optional(args, 1, own + 1, KqlValue::as_long)?;
        if wanted < own || wanted - own > 5 {
            return None;
        }
        let list: Vec<String> = cell
            .children(resolution(wanted)?)
            .map(|c| c.to_string())
            .collect();
        Some(json!(list))
    })();
    dynamic_result(children)
}

/// `geo_h3cell_parent()`: an H3 cell's parent at a coarser resolution (default the next one).
fn h3cell_parent(args: &[KqlValue]) -> Result<KqlValue, String> {
    let parent = (|| {
        let cell = h3cell(&args[0])?;
        let own = i64::from(u8::from(cell.resolution()));
        let wanted = optional(args, 1, own - 1, KqlValue::as_long)?;
        if !(0..=14).contains(&wanted) || wanted > own {
            return None;
        }
        Some(cell.parent(resolution(wanted)?)?.to_string())
    })();
    text_result(parent)
}

/// The farthest ring `geo_h3cell_rings()` computes.
const MAX_RING: i64 = 142;

/// `geo_h3cell_rings()`: the rings of cells at each grid distance 0..=k from an H3 cell.
fn h3cell_rings(args: &[KqlValue]) -> Result<KqlValue, String> {
    let rings = (|| {
        let cell = h3cell(&args[0])?;
        let k = args[1].as_long().filter(|k| (0..=MAX_RING).contains(k))?;
        let k = u32::try_from(k).ok()?;
        let mut rings: Vec<Vec<String>> = vec![Vec::new(); k as usize + 1];
        let disk: Vec<(CellIndex, u32)> = cell.grid_disk_distances(k);
        for (c, distance) in disk {
            if let Some(ring) = rings.get_mut(distance as usize) {
                ring.push(c.to_string());
            }
        }
        Some(json!(rings))
    })();
    dynamic_result(rings)
}

/// `geo_h3cell_level()`: an H3 cell's resolution.
fn h3cell_level(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(h3cell(&args[0]).map_or(KqlValue::Null, |cell| {
        KqlValue::Long(i64::from(u8::from(cell.resolution())))
    }))
}

// ---- WKT -----------------------------------------------------------------------------------

/// `geo_from_wkt()`: a WKT geometry as GeoJSON.
fn from_wkt(args: &[KqlValue]) -> Result<KqlValue, String> {
    dynamic_result(args[0].as_str().and_then(wkt::parse))
}

// ---- points and shapes ---------------------------------------------------------------------

fn polygons_arg(value: &KqlValue) -> Option<Vec<sphere::Polygon>> {
    shape::polygons(value)?.shapes()
}

/// `geo_point_in_polygon()`: whether a point is inside a polygon or multipolygon.
fn point_in_polygon(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(p), Some(polygons)) = (point(args, 0), polygons_arg(&args[2])) else {
        return Ok(KqlValue::Null);
    };
    Ok(KqlValue::Bool(ops::polygons_contain(&polygons, p)))
}

/// The nearest point of (multi)polygons to `p` (`p` itself inside) and its distance.
fn nearest_on_polygons(p: Vec3, polygons: &[sphere::Polygon]) -> (f64, Vec3) {
    if ops::polygons_contain(polygons, p) {
        return (0.0, p);
    }
    polygons
        .iter()
        .flat_map(sphere::Polygon::loops)
        .map(|l| l.closest_boundary_point(p))
        .fold((f64::INFINITY, p), |best, next| {
            if next.0 < best.0 { next } else { best }
        })
}

/// `geo_distance_point_to_polygon()`: meters from a point to a polygon (0 inside).
fn distance_point_to_polygon(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(p), Some(polygons)) = (point(args, 0), polygons_arg(&args[2])) else {
        return Ok(KqlValue::Null);
    };
    real_result(Some(nearest_on_polygons(p, &polygons).0 * EARTH_RADIUS))
}

/// `geo_closest_point_on_polygon()`: the polygon's point nearest a point (itself inside).
fn closest_point_on_polygon(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(p), Some(polygons)) = (point(args, 0), polygons_arg(&args[2])) else {
        return Ok(KqlValue::Null);
    };
    let (_, nearest) = nearest_on_polygons(p, &polygons);
    let coord = if nearest == p {
        [real(&args[0]).unwrap_or(0.0), real(&args[1]).unwrap_or(0.0)]
    } else {
        nearest.to_degrees()
    };
    dynamic_result(Some(point_json(coord)))
}

/// The nearest point of lines to `p` and its distance.
fn nearest_on_lines(p: Vec3, lines: &[Vec<Vec3>]) -> (f64, Vec3) {
    let mut best = (f64::INFINITY, p);
    for line in lines {
        for pair in line.windows(2) {
            let q = sphere::closest_on_edge(p, pair[0], pair[1]);
            let d = p.angle(q);
            if d < best.0 {
                best = (d, q);
            }
        }
    }
    best
}

/// `geo_distance_point_to_line()`: meters from a point to a line or multiline.
fn distance_point_to_line(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(p), Some(lines)) = (point(args, 0), shape::lines(&args[2])) else {
        return Ok(KqlValue::Null);
    };
    real_result(Some(nearest_on_lines(p, &lines.points()).0 * EARTH_RADIUS))
}

/// `geo_closest_point_on_line()`: the line's point nearest a point.
fn closest_point_on_line(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(p), Some(lines)) = (point(args, 0), shape::lines(&args[2])) else {
        return Ok(KqlValue::Null);
    };
    let (_, nearest) = nearest_on_lines(p, &lines.points());
    dynamic_result(Some(point_json(nearest.to_degrees())))
}

/// Polygons whose union Kusto would measure: refused when they overlap (their union's
/// boundary would have to be computed), as the union is not implemented.
fn disjoint_polygons(value: &KqlValue, what: &str) -> Result<Option<Vec<sphere::Polygon>>, String> {
    let Some(polygons) = polygons_arg(value) else {
        return Ok(None);
    };
    if polygons.len() > 1 && !ops::interiors_disjoint(&polygons) {
        return Err(format!(
            "the {what} of a multipolygon whose polygons overlap (the {what} of their union) is not supported"
        ));
    }
    Ok(Some(polygons))
}

/// `geo_polygon_area()`: square meters.
fn polygon_area(args: &[KqlValue]) -> Result<KqlValue, String> {
    let polygons = disjoint_polygons(&args[0], "area")?;
    real_result(
        polygons.map(|ps| {
            ps.iter().map(sphere::Polygon::area).sum::<f64>() * EARTH_RADIUS * EARTH_RADIUS
        }),
    )
}

/// `geo_polygon_perimeter()`: meters of boundary (an edge two polygons share is inside their
/// union, not on its boundary).
fn polygon_perimeter(args: &[KqlValue]) -> Result<KqlValue, String> {
    let polygons = disjoint_polygons(&args[0], "perimeter")?;
    real_result(polygons.map(|ps| {
        let edges: Vec<(Vec3, Vec3)> = ps.iter().flat_map(sphere::Polygon::edges).collect();
        let key = |a: Vec3, b: Vec3| [a.x, a.y, a.z, b.x, b.y, b.z].map(f64::to_bits);
        let all: std::collections::HashSet<_> = edges.iter().map(|&(a, b)| key(a, b)).collect();
        let boundary: f64 = edges
            .iter()
            .filter(|&&(a, b)| ps.len() == 1 || !all.contains(&key(b, a)))
            .map(|&(a, b)| a.angle(b))
            .sum();
        boundary * EARTH_RADIUS
    }))
}

/// `geo_polygon_centroid()`: the centroid of the area.
fn polygon_centroid(args: &[KqlValue]) -> Result<KqlValue, String> {
    // Overlapping convex polygons without holes: the union's centroid by inclusion–exclusion
    // over their intersections (each convex, so found by clipping).
    if let Some(polygons) = polygons_arg(&args[0])
        && polygons.len() > 1
        && !ops::interiors_disjoint(&polygons)
        && let Some(sum) = convex_union_moment(&polygons)
    {
        return dynamic_result((sum.norm() > 0.0).then(|| point_json(sum.to_degrees())));
    }
    let polygons = disjoint_polygons(&args[0], "centroid")?;
    dynamic_result(polygons.and_then(|ps| {
        let sum = ps.iter().fold(Vec3::ZERO, |sum, p| sum.add(p.centroid()));
        (sum.norm() > 0.0).then(|| point_json(sum.to_degrees()))
    }))
}

/// The most polygons [`convex_union_moment`] takes (it visits every subset).
const MAX_CONVEX_UNION: usize = 8;

/// The integral of position over the union of `polygons` (their centroid's direction, as
/// [`sphere::Loop::centroid`]), when each is a convex loop without holes and there are at most
/// [`MAX_CONVEX_UNION`]: Σ over non-empty subsets of (−1)^(|S|+1) · the moment of their
/// intersection. `None` otherwise.
fn convex_union_moment(polygons: &[sphere::Polygon]) -> Option<Vec3> {
    if polygons.len() > MAX_CONVEX_UNION
        || polygons
            .iter()
            .any(|p| !p.holes.is_empty() || !is_convex(&p.shell.vertices))
    {
        return None;
    }
    let mut sum = Vec3::ZERO;
    for subset in 1u32..(1 << polygons.len()) {
        let mut members = polygons
            .iter()
            .enumerate()
            .filter(|(i, _)| subset & (1 << i) != 0)
            .map(|(_, p)| p);
        let first = members.next()?;
        let mut clipped = first.shell.vertices.clone();
        for other in members {
            clipped = clip_convex(&clipped, &other.shell.vertices);
            if clipped.len() < 3 {
                break;
            }
        }
        let Some(region) = (clipped.len() >= 3)
            .then(|| sphere::Loop::new(clipped))
            .flatten()
        else {
            continue;
        };
        let moment = region.centroid();
        sum = if subset.count_ones() % 2 == 1 {
            sum.add(moment)
        } else {
            sum.sub(moment)
        };
    }
    Some(sum)
}

/// Whether a counterclockwise loop is convex: every vertex is on the left of (or on) every
/// edge's great circle.
fn is_convex(vertices: &[Vec3]) -> bool {
    let n = vertices.len();
    (0..n).all(|i| {
        let (a, b) = (vertices[i], vertices[(i + 1) % n]);
        vertices.iter().all(|&v| Vec3::triple(a, b, v) >= -1e-15)
    })
}

/// The part of the counterclockwise loop `subject` inside the convex counterclockwise loop
/// `clip` (Sutherland–Hodgman, with great circles for lines); fewer than 3 vertices when
/// they do not overlap.
fn clip_convex(subject: &[Vec3], clip: &[Vec3]) -> Vec<Vec3> {
    let mut out = subject.to_vec();
    let n = clip.len();
    for i in 0..n {
        let (c, d) = (clip[i], clip[(i + 1) % n]);
        let normal = c.cross(d);
        let input = std::mem::take(&mut out);
        let m = input.len();
        for j in 0..m {
            let (p, q) = (input[j], input[(j + 1) % m]);
            let (sp, sq) = (normal.dot(p), normal.dot(q));
            if sp >= 0.0 {
                out.push(p);
            }
            if (sp >= 0.0) != (sq >= 0.0) {
                // Where arc pq meets the great circle: a combination of p and q with no
                // component along the normal, on the arc's side.
                let x = p.scale(sq).sub(q.scale(sp));
                let x = if sq < 0.0 { x.neg() } else { x };
                out.push(x.normalize());
            }
        }
        if out.len() < 3 {
            return out;
        }
    }
    out
}

/// `geo_line_length()`: meters (a stretch drawn twice counts once).
fn line_length(args: &[KqlValue]) -> Result<KqlValue, String> {
    let lines = shape::lines(&args[0]);
    real_result(lines.map(|l| {
        l.unique_edges()
            .iter()
            .map(|&(a, b)| a.angle(b))
            .sum::<f64>()
            * EARTH_RADIUS
    }))
}

/// `geo_line_centroid()`: the length-weighted centroid of a line's edges.
fn line_centroid(args: &[KqlValue]) -> Result<KqlValue, String> {
    let lines = shape::lines(&args[0]);
    dynamic_result(lines.and_then(|l| {
        let sum = l.unique_edges().iter().fold(Vec3::ZERO, |sum, &(a, b)| {
            sum.add(sphere::edge_centroid(a, b))
        });
        (sum.norm() > 0.0).then(|| point_json(sum.to_degrees()))
    }))
}

/// A single LineString's vertices (the functions that walk along a line take no multiline).
fn single_line(value: &KqlValue) -> Option<Vec<Vec3>> {
    let lines = shape::lines(value)?;
    if lines.multi {
        return None;
    }
    lines.points().into_iter().next()
}

/// `geo_line_locate_point()`: the fraction of the line's length before its point nearest a
/// point.
fn line_locate_point(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(line), Some(p)) = (single_line(&args[0]), point(args, 1)) else {
        return Ok(KqlValue::Null);
    };
    match optional(args, 3, false, KqlValue::as_bool) {
        None => return Ok(KqlValue::Null),
        Some(true) => {
            return Err("use_spheroid = true (measuring on the ellipsoid) is not supported".into());
        }
        Some(false) => {}
    }
    let total: f64 = line.windows(2).map(|w| w[0].angle(w[1])).sum();
    if total == 0.0 {
        return Ok(KqlValue::Null);
    }
    let (mut best, mut before, mut walked) = (f64::INFINITY, 0.0, 0.0);
    for pair in line.windows(2) {
        let q = sphere::closest_on_edge(p, pair[0], pair[1]);
        let d = p.angle(q);
        if d < best {
            best = d;
            before = walked + pair[0].angle(q);
        }
        walked += pair[0].angle(pair[1]);
    }
    real_result(Some((before / total).clamp(0.0, 1.0)))
}

/// `geo_line_interpolate_point()`: the point at a fraction (0..1) of a line's length.
fn line_interpolate_point(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(line), Some(fraction)) = (single_line(&args[0]), real(&args[1])) else {
        return Ok(KqlValue::Null);
    };
    if !(0.0..=1.0).contains(&fraction) {
        return Ok(KqlValue::Null);
    }
    let total: f64 = line.windows(2).map(|w| w[0].angle(w[1])).sum();
    let mut left = fraction * total;
    for pair in line.windows(2) {
        let length = pair[0].angle(pair[1]);
        if left <= length {
            let t = if length == 0.0 { 0.0 } else { left / length };
            let p = sphere::interpolate(pair[0], pair[1], t);
            return dynamic_result(Some(point_json(p.to_degrees())));
        }
        left -= length;
    }
    let last = line.last().copied().unwrap_or(Vec3::ZERO);
    dynamic_result(Some(point_json(last.to_degrees())))
}

/// The densify tolerance (meters, 0.1 to 10000, default 10) in radians, and whether to keep
/// edges crossing the antimeridian.
fn densify_options(args: &[KqlValue]) -> Option<(f64, bool)> {
    let tolerance = optional(args, 1, 10.0, real)?;
    let preserve = optional(args, 2, false, KqlValue::as_bool)?;
    (0.1..=10_000.0)
        .contains(&tolerance)
        .then_some((tolerance / EARTH_RADIUS, preserve))
}

/// `geo_line_densify()`: planar line edges turned into geodesic chains.
fn line_densify(args: &[KqlValue]) -> Result<KqlValue, String> {
    let result = (|| {
        let lines = shape::lines(&args[0])?;
        let (tolerance, preserve) = densify_options(args)?;
        let mut budget = ops::densify_budget();
        let dense = lines
            .lines
            .iter()
            .map(|line| ops::densify_chain(line, tolerance, preserve, &mut budget))
            .collect::<Option<Vec<_>>>()?;
        Some(shape::lines_json(&dense, lines.multi))
    })();
    dynamic_result(result)
}

/// `geo_polygon_densify()`: planar polygon edges turned into geodesic chains.
fn polygon_densify(args: &[KqlValue]) -> Result<KqlValue, String> {
    let result = (|| {
        let polygons = shape::polygons(&args[0])?;
        let (tolerance, preserve) = densify_options(args)?;
        let mut budget = ops::densify_budget();
        let dense = polygons
            .polygons
            .iter()
            .map(|rings| {
                rings
                    .iter()
                    .map(|ring| ops::densify_chain(ring, tolerance, preserve, &mut budget))
                    .collect::<Option<Vec<_>>>()
            })
            .collect::<Option<Vec<_>>>()?;
        Some(shape::polygons_json(&dense, polygons.multi))
    })();
    dynamic_result(result)
}

fn line_edges(lines: &[Vec<Vec3>]) -> Vec<(Vec3, Vec3)> {
    lines
        .iter()
        .flat_map(|line| line.windows(2).map(|w| (w[0], w[1])))
        .collect()
}

/// `geo_intersects_2lines()`: whether two lines or multilines meet.
fn intersects_2lines(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(a), Some(b)) = (shape::lines(&args[0]), shape::lines(&args[1])) else {
        return Ok(KqlValue::Null);
    };
    let (a, b) = (line_edges(&a.points()), line_edges(&b.points()));
    Ok(KqlValue::Bool(ops::edges_meet(&a, &b)))
}

/// `geo_intersects_line_with_polygon()`: whether a line meets a polygon.
fn intersects_line_with_polygon(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(lines), Some(polygons)) = (shape::lines(&args[0]), polygons_arg(&args[1])) else {
        return Ok(KqlValue::Null);
    };
    let lines = lines.points();
    let boundary: Vec<(Vec3, Vec3)> = polygons.iter().flat_map(sphere::Polygon::edges).collect();
    let meets = ops::edges_meet(&line_edges(&lines), &boundary)
        || lines
            .iter()
            .flatten()
            .any(|p| ops::polygons_contain(&polygons, *p));
    Ok(KqlValue::Bool(meets))
}

/// `geo_intersects_2polygons()`: whether two polygons meet (a polygon holds its boundary).
fn intersects_2polygons(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(a), Some(b)) = (polygons_arg(&args[0]), polygons_arg(&args[1])) else {
        return Ok(KqlValue::Null);
    };
    let ea: Vec<(Vec3, Vec3)> = a.iter().flat_map(sphere::Polygon::edges).collect();
    let eb: Vec<(Vec3, Vec3)> = b.iter().flat_map(sphere::Polygon::edges).collect();
    let meets = ops::edges_meet(&ea, &eb)
        || ea.iter().any(|(p, _)| ops::polygons_contain(&b, *p))
        || eb.iter().any(|(p, _)| ops::polygons_contain(&a, *p));
    Ok(KqlValue::Bool(meets))
}

/// `geo_intersection_2lines()`: the points and stretches two lines share.
fn intersection_2lines(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(a), Some(b)) = (shape::lines(&args[0]), shape::lines(&args[1])) else {
        return Ok(KqlValue::Null);
    };
    dynamic_result(Some(ops::intersect_lines(&a.points(), &b.points())))
}

/// `geo_intersection_line_with_polygon()`: the parts of a line inside a polygon.
fn intersection_line_with_polygon(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(lines), Some(polygons)) = (shape::lines(&args[0]), polygons_arg(&args[1])) else {
        return Ok(KqlValue::Null);
    };
    dynamic_result(Some(ops::clip_lines(&lines.points(), &polygons)))
}

/// `geo_union_lines_array()`: the union of an array of lines and multilines.
fn union_lines_array(args: &[KqlValue]) -> Result<KqlValue, String> {
    let result = (|| {
        let items = args[0].as_array()?;
        if items.is_empty() {
            return None;
        }
        let mut all = Vec::new();
        for item in items {
            let lines = shape::lines(&KqlValue::Dynamic(item.clone()))?;
            all.extend(lines.lines);
        }
        ops::union_lines(&all)
    })();
    dynamic_result(result)
}

/// The covering level (0 to 30, default 11) and radius (meters, default 0) in radians.
fn covering_options(args: &[KqlValue]) -> Option<(u32, f64)> {
    let level = optional(args, 1, 11, KqlValue::as_long).filter(|l| (0..=30).contains(l))?;
    let radius = optional(args, 2, 0.0, real).filter(|r| *r >= 0.0)?;
    Some((level as u32, radius / EARTH_RADIUS))
}

fn tokens(cells: Vec<CellId>) -> Json {
    Json::Array(cells.into_iter().map(|c| Json::String(c.token())).collect())
}

/// `geo_polygon_to_s2cells()`: the S2 cells of one level covering a polygon (and the points
/// within a radius of it).
fn polygon_to_s2cells(args: &[KqlValue]) -> Result<KqlValue, String> {
    let result = (|| {
        let polygons = polygons_arg(&args[0])?;
        let (level, radius) = covering_options(args)?;
        let edges: Vec<(Vec3, Vec3)> = polygons.iter().flat_map(sphere::Polygon::edges).collect();
        Some(tokens(ops::s2_covering(&edges, &polygons, level, radius)?))
    })();
    dynamic_result(result)
}

/// `geo_line_to_s2cells()`: the S2 cells of one level covering a line (and the points within
/// a radius of it).
fn line_to_s2cells(args: &[KqlValue]) -> Result<KqlValue, String> {
    let result = (|| {
        let lines = shape::lines(&args[0])?;
        let (level, radius) = covering_options(args)?;
        let points = lines.points();
        let mut edges = line_edges(&points);
        // A line whose points are all one point still has a place.
        if edges.iter().all(|(a, b)| a == b) {
            edges = points.iter().flatten().map(|p| (*p, *p)).collect();
        }
        Some(tokens(ops::s2_covering(&edges, &[], level, radius)?))
    })();
    dynamic_result(result)
}

/// `geo_point_buffer()`: a polygon holding every point within a radius (meters) of a point,
/// its boundary at most `tolerance` meters (default 10) past the circle.
fn point_buffer(args: &[KqlValue]) -> Result<KqlValue, String> {
    let result = (|| {
        let center = point(args, 0)?;
        let radius = real(&args[2]).filter(|r| *r > 0.0)?;
        let tolerance = optional(args, 3, 10.0, real)?;
        // Below a millionth of the radius is too fine; past the radius it is cut to it.
        if tolerance < radius * 1e-6 {
            return None;
        }
        let tolerance = tolerance.min(radius * (1.0 - 1e-9));
        let ring = ops::point_buffer(center, radius / EARTH_RADIUS, tolerance / EARTH_RADIUS)?;
        Some(shape::polygons_json(&[vec![ring]], false))
    })();
    dynamic_result(result)
}

/// The simplification tolerance (meters, default 10) in radians.
fn simplify_tolerance(args: &[KqlValue]) -> Option<f64> {
    let tolerance = optional(args, 1, 10.0, real)? / EARTH_RADIUS;
    (0.0..=ops::MAX_SIMPLIFY)
        .contains(&tolerance)
        .then_some(tolerance)
}

/// `geo_line_simplify()`: a line without the vertices that keep it within `tolerance` meters
/// (default 10) of its course, no two of its vertices closer than that; null when it shrinks
/// away. Douglas–Peucker on the sphere: Kusto snaps with S2's builder, which can keep other
/// vertices in less simple inputs.
fn line_simplify(args: &[KqlValue]) -> Result<KqlValue, String> {
    let result = (|| {
        let lines = shape::lines(&args[0])?;
        let tolerance = simplify_tolerance(args)?;
        let simple: Vec<Vec<Coord>> = lines
            .lines
            .iter()
            .filter_map(|line| ops::simplify_line(line, tolerance))
            .collect();
        if simple.is_empty() {
            return None;
        }
        Some(shape::lines_json(&simple, lines.multi && simple.len() > 1))
    })();
    dynamic_result(result)
}

/// `geo_polygon_simplify()`: a polygon simplified like [`line_simplify`]'s lines; null when
/// it shrinks away. A multipolygon is simplified as the union of its polygons: refused when
/// they meet.
fn polygon_simplify(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(polygons) = shape::polygons(&args[0]) else {
        return Ok(KqlValue::Null);
    };
    let Some(tolerance) = simplify_tolerance(args) else {
        return Ok(KqlValue::Null);
    };
    simplified(&polygons.polygons, tolerance, polygons.multi)
}

/// Simplified polygons as GeoJSON: null when all shrink away; refused when they meet (their
/// union, with shared borders kept shared, is not computed here).
fn simplified(
    polygons: &[Vec<Vec<Coord>>],
    tolerance: f64,
    multi: bool,
) -> Result<KqlValue, String> {
    let simple = ops::simplify_polygons(polygons, tolerance);
    if simple.is_empty() {
        return Ok(KqlValue::Null);
    }
    if polygons.len() > 1 {
        let shapes = shape::Polygons {
            polygons: polygons.to_vec(),
            multi,
        }
        .shapes();
        if shapes.is_some_and(|shapes| ops::any_meet(&shapes)) {
            return Err(
                "simplifying polygons that touch or overlap (their union, keeping shared borders) is not supported"
                    .to_string(),
            );
        }
    }
    Ok(dynamic(shape::polygons_json(
        &simple,
        multi && simple.len() > 1,
    )))
}

/// `geo_simplify_polygons_array()`: an array of polygons and multipolygons simplified
/// together into one (multi)polygon.
fn simplify_polygons_array(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array().filter(|items| !items.is_empty()) else {
        return Ok(KqlValue::Null);
    };
    let mut all = Vec::new();
    for item in items {
        let Some(polygons) = shape::polygons(&KqlValue::Dynamic(item.clone())) else {
            return Ok(KqlValue::Null);
        };
        all.extend(polygons.polygons);
    }
    let Some(tolerance) = simplify_tolerance(args) else {
        return Ok(KqlValue::Null);
    };
    simplified(&all, tolerance, true)
}

/// `geo_polygon_to_h3cells()`: the H3 cells (resolution 0 to 15, default 6) whose centers
/// are inside a polygon with straight edges.
fn polygon_to_h3cells(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(polygons) = shape::polygons(&args[0]) else {
        return Ok(KqlValue::Null);
    };
    let (Some(res), Some(radius)) = (
        optional(args, 1, 6, KqlValue::as_long).and_then(resolution),
        optional(args, 2, 0.0, real).filter(|r| *r >= 0.0),
    ) else {
        return Ok(KqlValue::Null);
    };
    if radius > 0.0 {
        return Err("a positive radius (buffering the polygon) is not supported".to_string());
    }
    let cells = ops::h3_cells(&polygons.polygons, res);
    dynamic_result(cells.map(|cells| {
        Json::Array(
            cells
                .into_iter()
                .map(|c| Json::String(c.to_string()))
                .collect(),
        )
    }))
}

#[cfg(test)]
mod tests;
