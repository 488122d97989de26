//! The geospatial operations past measuring: densifying planar edges into geodesics,
//! intersections of lines and polygons, the union of lines, S2 cell coverings and a point's
//! buffer.

use std::collections::HashMap;
use std::f64::consts::PI;

use serde_json::{Value as Json, json};

use super::cells::CellId;
use super::shape::{Coord, coord_json, empty_collection, lines_json, point_json};
use super::sphere::{
    Crossing, EPSILON, Polygon, Vec3, closest_on_edge, crossing, distance_to_edge, interpolate,
    intersection,
};

// ---- densify -------------------------------------------------------------------------------

/// The most points a densified shape may have (Kusto's documented limit).
const MAX_DENSIFIED: usize = 10_485_760;

/// The longest a planar edge may be bisected: past this its halves are far below a millimeter.
const MAX_BISECTIONS: u32 = 40;

/// Densifies a chain of planar (straight in longitude and latitude) edges: each edge is halved
/// until the planar edge strays at most `tolerance` (radians) from the geodesic between its
/// ends, measured at its middle. With `preserve_crossing`, an edge spanning more than 180° of
/// longitude crosses the antimeridian. `None` past the size limit.
pub(crate) fn densify_chain(
    chain: &[Coord],
    tolerance: f64,
    preserve_crossing: bool,
    budget: &mut usize,
) -> Option<Vec<Coord>> {
    let mut out = Vec::with_capacity(chain.len());
    let Some(&first) = chain.first() else {
        return Some(out);
    };
    out.push(first);
    for pair in chain.windows(2) {
        let (a, mut b) = (pair[0], pair[1]);
        let unwrapped = preserve_crossing && (b[0] - a[0]).abs() > 180.0;
        if unwrapped {
            b[0] += if b[0] < a[0] { 360.0 } else { -360.0 };
        }
        bisect(a, b, tolerance, 0, &mut out, budget)?;
        // The edge's last point is the next vertex itself, as given.
        if let Some(last) = out.last_mut() {
            *last = pair[1];
        }
        if unwrapped {
            for point in &mut out {
                point[0] = wrap_longitude(point[0]);
            }
        }
    }
    Some(out)
}

fn wrap_longitude(lng: f64) -> f64 {
    if lng > 180.0 {
        lng - 360.0
    } else if lng < -180.0 {
        lng + 360.0
    } else {
        lng
    }
}

/// Appends the points after `a` up to and including `b`.
fn bisect(
    a: Coord,
    b: Coord,
    tolerance: f64,
    depth: u32,
    out: &mut Vec<Coord>,
    budget: &mut usize,
) -> Option<()> {
    let middle = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
    let (pa, pb) = (
        Vec3::from_degrees(a[0], a[1]),
        Vec3::from_degrees(b[0], b[1]),
    );
    let pm = Vec3::from_degrees(middle[0], middle[1]);
    if depth < MAX_BISECTIONS && distance_to_edge(pm, pa, pb) > tolerance {
        bisect(a, middle, tolerance, depth + 1, out, budget)?;
        bisect(middle, b, tolerance, depth + 1, out, budget)?;
    } else {
        *budget = budget.checked_sub(1)?;
        out.push(b);
    }
    Some(())
}

/// The budget of points for one densified shape.
pub(crate) fn densify_budget() -> usize {
    MAX_DENSIFIED
}

// ---- predicates ----------------------------------------------------------------------------

/// Whether any edge of one set meets any edge of the other.
pub(crate) fn edges_meet(one: &[(Vec3, Vec3)], other: &[(Vec3, Vec3)]) -> bool {
    one.iter().any(|&(a, b)| {
        other
            .iter()
            .any(|&(c, d)| crossing(a, b, c, d) != Crossing::None)
    })
}

/// Whether any of the polygons contains `p`.
pub(crate) fn polygons_contain(polygons: &[Polygon], p: Vec3) -> bool {
    polygons.iter().any(|polygon| polygon.contains(p))
}

/// Whether a point is inside a polygon and farther than the numeric noise from its boundary.
fn strictly_inside(polygon: &Polygon, p: Vec3) -> bool {
    polygon.contains(p)
        && polygon
            .loops()
            .all(|l| l.closest_boundary_point(p).0 > 1e-12)
}

/// Whether the polygons' interiors are pairwise disjoint (so their union's area is the sum of
/// their areas): no edges cross and no polygon reaches into another.
pub(crate) fn interiors_disjoint(polygons: &[Polygon]) -> bool {
    let caps: Vec<_> = polygons
        .iter()
        .map(|p| super::sphere::Cap::around(&p.shell.vertices))
        .collect();
    for (i, a) in polygons.iter().enumerate() {
        for (j, b) in polygons.iter().enumerate().skip(i + 1) {
            if !caps[i].near(&caps[j], 1e-9) {
                continue;
            }
            let (ea, eb): (Vec<_>, Vec<_>) = (a.edges().collect(), b.edges().collect());
            let proper = ea.iter().any(|&(p, q)| {
                eb.iter()
                    .any(|&(r, s)| crossing(p, q, r, s) == Crossing::Proper)
            });
            if proper || reaches_into(a, &ea, b) || reaches_into(b, &eb, a) {
                return false;
            }
        }
    }
    true
}

/// Whether a vertex, an edge's middle or the centroid of `a` lies strictly inside `b`.
fn reaches_into(a: &Polygon, edges: &[(Vec3, Vec3)], b: &Polygon) -> bool {
    let centroid = a.centroid().normalize();
    edges
        .iter()
        .flat_map(|&(p, q)| [p, p.add(q).normalize()])
        .chain(std::iter::once(centroid).filter(|c| strictly_inside(a, *c)))
        .any(|p| strictly_inside(b, p))
}

// ---- intersections -------------------------------------------------------------------------

/// What two lines share: crossing points and common stretches.
pub(crate) fn intersect_lines(one: &[Vec<Vec3>], other: &[Vec<Vec3>]) -> Json {
    let mut points: Vec<Vec3> = Vec::new();
    let mut stretches: Vec<(Vec3, Vec3)> = Vec::new();
    for line in one {
        for pair in line.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            for other_line in other {
                for other_pair in other_line.windows(2) {
                    let (c, d) = (other_pair[0], other_pair[1]);
                    match crossing(a, b, c, d) {
                        Crossing::None => {}
                        Crossing::Proper => points.push(intersection(a, b, c, d)),
                        Crossing::Touch => match common_stretch(a, b, c, d) {
                            Some(stretch) => stretches.push(stretch),
                            None => {
                                for p in [a, b, c, d] {
                                    if distance_to_edge(p, a, b) < EPSILON
                                        && distance_to_edge(p, c, d) < EPSILON
                                    {
                                        points.push(p);
                                    }
                                }
                            }
                        },
                    }
                }
            }
        }
    }
    let chains = chain_stretches(&stretches);
    // Points on a common stretch are part of it.
    let mut lone: Vec<Vec3> = Vec::new();
    for p in points {
        let on_stretch = stretches
            .iter()
            .any(|&(a, b)| distance_to_edge(p, a, b) < EPSILON);
        if !on_stretch && !lone.iter().any(|q| q.angle(p) < EPSILON) {
            lone.push(p);
        }
    }
    let mut geometries = Vec::new();
    match lone.len() {
        0 => {}
        1 => geometries.push(point_json(lone[0].to_degrees())),
        _ => geometries.push(json!({
            "type": "MultiPoint",
            "coordinates": lone.iter().map(|p| coord_json(p.to_degrees())).collect::<Vec<_>>()
        })),
    }
    if !chains.is_empty() {
        let lines: Vec<Vec<Coord>> = chains
            .iter()
            .map(|chain| chain.iter().map(|p| p.to_degrees()).collect())
            .collect();
        geometries.push(lines_json(&lines, false));
    }
    match geometries.len() {
        0 => empty_collection(),
        1 => geometries.remove(0),
        _ => json!({"type": "GeometryCollection", "geometries": geometries}),
    }
}

/// The stretch two edges on one great circle share, in the direction of `ab`.
fn common_stretch(a: Vec3, b: Vec3, c: Vec3, d: Vec3) -> Option<(Vec3, Vec3)> {
    let normal = a.cross(b).normalize();
    if normal.norm() == 0.0 || normal.cross(c.cross(d).normalize()).norm() > 1e-12 {
        return None;
    }
    // Signed positions along ab, measured from a.
    let along = |p: Vec3| a.cross(p).dot(normal).atan2(a.dot(p));
    let length = a.angle(b);
    let (tc, td) = (along(c), along(d));
    let start = tc.min(td).max(0.0);
    let end = tc.max(td).min(length);
    if end - start <= EPSILON {
        return None;
    }
    let at = |t: f64| {
        if t <= 0.0 {
            a
        } else if t >= length {
            b
        } else {
            interpolate(a, b, t / length)
        }
    };
    Some((at(start), at(end)))
}

/// Joins stretches that follow one another into chains.
fn chain_stretches(stretches: &[(Vec3, Vec3)]) -> Vec<Vec<Vec3>> {
    let mut chains: Vec<Vec<Vec3>> = Vec::new();
    for &(a, b) in stretches {
        if let Some(chain) = chains
            .iter_mut()
            .find(|chain| chain.last().is_some_and(|last| last.angle(a) < EPSILON))
        {
            chain.push(b);
        } else if !chains.iter().any(|chain| {
            chain
                .windows(2)
                .any(|w| w[0].angle(a) < EPSILON && w[1].angle(b) < EPSILON)
        }) {
            chains.push(vec![a, b]);
        }
    }
    chains
}

/// The parts of lines inside polygons, each line cut where it crosses a boundary.
pub(crate) fn clip_lines(lines: &[Vec<Vec3>], polygons: &[Polygon]) -> Json {
    let boundary: Vec<(Vec3, Vec3)> = polygons.iter().flat_map(Polygon::edges).collect();
    let mut pieces: Vec<Vec<Vec3>> = Vec::new();
    for line in lines {
        let mut current: Vec<Vec3> = Vec::new();
        for pair in line.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            // Where the edge meets the boundary, by distance from a.
            let mut cuts: Vec<(f64, Vec3)> = vec![(0.0, a), (a.angle(b), b)];
            for &(c, d) in &boundary {
                match crossing(a, b, c, d) {
                    Crossing::None => {}
                    Crossing::Proper => {
                        let x = intersection(a, b, c, d);
                        cuts.push((a.angle(x), x));
                    }
                    Crossing::Touch => {
                        for p in [c, d] {
                            if distance_to_edge(p, a, b) < EPSILON {
                                let q = closest_on_edge(p, a, b);
                                cuts.push((a.angle(q), q));
                            }
                        }
                    }
                }
            }
            cuts.sort_by(|x, y| x.0.total_cmp(&y.0));
            cuts.dedup_by(|x, y| (x.0 - y.0).abs() < EPSILON);
            for piece in cuts.windows(2) {
                let (p, q) = (piece[0].1, piece[1].1);
                let middle = p.add(q).normalize();
                if polygons_contain(polygons, middle) {
                    if current.last().is_none_or(|last| last.angle(p) >= EPSILON) {
                        if current.len() >= 2 {
                            pieces.push(std::mem::take(&mut current));
                        }
                        current = vec![p];
                    }
                    current.push(q);
                } else if current.len() >= 2 {
                    pieces.push(std::mem::take(&mut current));
                } else {
                    current.clear();
                }
            }
        }
        if current.len() >= 2 {
            pieces.push(current);
        }
    }
    if pieces.is_empty() {
        return empty_collection();
    }
    let lines: Vec<Vec<Coord>> = pieces
        .iter()
        .map(|piece| piece.iter().map(|p| p.to_degrees()).collect())
        .collect();
    lines_json(&lines, false)
}

// ---- union of lines ------------------------------------------------------------------------

/// The union of lines: each distinct edge once, joined into the longest chains through
/// vertices where exactly two edges meet.
pub(crate) fn union_lines(lines: &[Vec<Coord>]) -> Json {
    let key = |c: Coord| [c[0].to_bits(), c[1].to_bits()];
    let mut vertices: Vec<Coord> = Vec::new();
    let mut index: HashMap<[u64; 2], usize> = HashMap::new();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut seen: HashMap<(usize, usize), ()> = HashMap::new();
    for line in lines {
        for pair in line.windows(2) {
            let ids = pair.iter().map(|c| {
                *index.entry(key(*c)).or_insert_with(|| {
                    vertices.push(*c);
                    vertices.len() - 1
                })
            });
            let ids: Vec<usize> = ids.collect();
            let (a, b) = (ids[0], ids[1]);
            if a == b || seen.contains_key(&(a.min(b), a.max(b))) {
                continue;
            }
            seen.insert((a.min(b), a.max(b)), ());
            edges.push((a, b));
        }
    }
    let mut incident: Vec<Vec<usize>> = vec![Vec::new(); vertices.len()];
    for (e, &(a, b)) in edges.iter().enumerate() {
        incident[a].push(e);
        incident[b].push(e);
    }
    let mut used = vec![false; edges.len()];
    let mut chains: Vec<Vec<Coord>> = Vec::new();
    // Chains start at ends and junctions first, then what is left are closed loops.
    for pass in 0..2 {
        for e in 0..edges.len() {
            if used[e] {
                continue;
            }
            let (a, b) = edges[e];
            let start = if incident[a].len() != 2 {
                a
            } else if incident[b].len() != 2 {
                b
            } else if pass == 1 {
                a
            } else {
                continue;
            };
            let mut chain = vec![vertices[start]];
            let (mut at, mut edge) = (start, e);
            loop {
                used[edge] = true;
                let (p, q) = edges[edge];
                at = if p == at { q } else { p };
                chain.push(vertices[at]);
                if incident[at].len() != 2 {
                    break;
                }
                match incident[at].iter().find(|&&next| !used[next]) {
                    Some(&next) => edge = next,
                    None => break,
                }
            }
            chains.push(chain);
        }
    }
    lines_json(&chains, false)
}

// ---- S2 coverings --------------------------------------------------------------------------

/// The most cells a covering may have (Kusto's documented limit).
pub(crate) const MAX_COVERING: usize = 65_536;

/// The S2 cells of `level` within `radius` (radians) of a shape: of its edges, and, for
/// polygons, of their interiors. `None` past [`MAX_COVERING`] cells.
pub(crate) fn s2_covering(
    edges: &[(Vec3, Vec3)],
    polygons: &[Polygon],
    level: u32,
    radius: f64,
) -> Option<Vec<CellId>> {
    let mut out = Vec::new();
    let all: Vec<usize> = (0..edges.len()).collect();
    for face in CellId::faces() {
        let near: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&e| edge_near_cell(edges[e], face, radius))
            .collect();
        cover_cell(face, near, edges, polygons, level, radius, &mut out)?;
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

fn cover_cell(
    cell: CellId,
    near: Vec<usize>,
    edges: &[(Vec3, Vec3)],
    polygons: &[Polygon],
    level: u32,
    radius: f64,
    out: &mut Vec<CellId>,
) -> Option<()> {
    if near.is_empty() {
        // No boundary reaches the cell: it is wholly inside a polygon or wholly outside.
        if polygons_contain(polygons, cell.center()) {
            let count = 1usize << (2 * (level - cell.level()));
            if out.len() + count > MAX_COVERING {
                return None;
            }
            out.extend(descendants(cell, level));
        }
        return Some(());
    }
    if cell.level() == level {
        if out.len() >= MAX_COVERING {
            return None;
        }
        out.push(cell);
        return Some(());
    }
    for child in cell.children() {
        let child_near: Vec<usize> = near
            .iter()
            .copied()
            .filter(|&e| edge_near_cell(edges[e], child, radius))
            .collect();
        cover_cell(child, child_near, edges, polygons, level, radius, out)?;
    }
    Some(())
}

/// The cells of `level` inside `cell`, in order.
fn descendants(cell: CellId, level: u32) -> impl Iterator<Item = CellId> {
    let lsb = cell.0 & cell.0.wrapping_neg();
    let child_lsb = 1u64 << (2 * (super::cells::S2_MAX_LEVEL - level));
    let first = cell.0 - lsb + child_lsb;
    let count = 1u64 << (2 * (level - cell.level()));
    (0..count).map(move |k| CellId(first + k * 2 * child_lsb))
}

/// Whether edge `ab` comes within `radius` of the cell (touching counts).
fn edge_near_cell((a, b): (Vec3, Vec3), cell: CellId, radius: f64) -> bool {
    let level = cell.level();
    if CellId::from_point(a, level) == cell || CellId::from_point(b, level) == cell {
        return true;
    }
    let corners = cell.vertices();
    let sides = (0..4).map(|k| (corners[k], corners[(k + 1) % 4]));
    let mut nearest = f64::INFINITY;
    for (c, d) in sides {
        if crossing(a, b, c, d) != Crossing::None {
            return true;
        }
        if radius > 0.0 {
            nearest = nearest
                .min(distance_to_edge(a, c, d))
                .min(distance_to_edge(b, c, d))
                .min(distance_to_edge(c, a, b));
        }
    }
    nearest <= radius
}

// ---- buffer --------------------------------------------------------------------------------

/// The most vertices of a point's buffer.
const MAX_BUFFER_VERTICES: usize = 100_000;

/// A polygon around `center` holding every point within `radius` (radians), its boundary at
/// most `tolerance` farther: a regular polygon whose edges touch the circle. `None` when the
/// circle is not smaller than a hemisphere.
pub(crate) fn point_buffer(center: Vec3, radius: f64, tolerance: f64) -> Option<Vec<Coord>> {
    if radius >= PI / 2.0 {
        return None;
    }
    // A vertex at angle R from the center, on a polygon of n sides whose edges touch the
    // circle: tan R = tan radius / cos(π/n).
    let reach = |n: usize| (radius.tan() / (PI / n as f64).cos()).atan();
    let mut n = 3;
    while reach(n) - radius > tolerance || reach(n) >= PI / 2.0 {
        n += 1;
        if n > MAX_BUFFER_VERTICES {
            return None;
        }
    }
    let distance = reach(n);
    let [lng, lat] = center.to_degrees();
    let (lng, lat) = (lng.to_radians(), lat.to_radians());
    let north = Vec3::new(-lat.sin() * lng.cos(), -lat.sin() * lng.sin(), lat.cos());
    let east = Vec3::new(-lng.sin(), lng.cos(), 0.0);
    // Counterclockwise: azimuths decreasing from north.
    let mut ring: Vec<Coord> = (0..n)
        .map(|k| {
            let azimuth = -2.0 * PI * k as f64 / n as f64;
            let direction = north.scale(azimuth.cos()).add(east.scale(azimuth.sin()));
            center
                .scale(distance.cos())
                .add(direction.scale(distance.sin()))
                .to_degrees()
        })
        .collect();
    ring.push(ring[0]);
    Some(ring)
}
