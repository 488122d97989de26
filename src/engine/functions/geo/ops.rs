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
/// vertices where exactly two edges meet; `None` when the lines are all single points.
pub(crate) fn union_lines(lines: &[Vec<Coord>]) -> Option<Json> {
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
    (!chains.is_empty()).then(|| lines_json(&chains, false))
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
            let count = usize::try_from(1u64 << (2 * (level - cell.level()))).ok()?;
            if count > MAX_COVERING - out.len() {
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

// ---- simplify ------------------------------------------------------------------------------

/// The largest simplification tolerance, in radians: 70°, S2's largest snap radius (the
/// pages' "~7,800,000 meters").
pub(crate) const MAX_SIMPLIFY: f64 = 70.0 * PI / 180.0;

/// The vertices of a chain to keep: Douglas–Peucker on the sphere (the ends, and every vertex
/// farther than `tolerance` from the simplified edge it would be dropped into).
fn douglas_peucker(points: &[Vec3], tolerance: f64) -> Vec<usize> {
    let n = points.len();
    if n <= 2 {
        return (0..n).collect();
    }
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    // An explicit stack: a long chain must not recurse deeply.
    let mut stack = vec![(0, n - 1)];
    while let Some((i, j)) = stack.pop() {
        let mut farthest = (0.0, 0);
        for k in i + 1..j {
            let d = distance_to_edge(points[k], points[i], points[j]);
            if d > farthest.0 {
                farthest = (d, k);
            }
        }
        if farthest.0 > tolerance {
            keep[farthest.1] = true;
            stack.push((i, farthest.1));
            stack.push((farthest.1, j));
        }
    }
    (0..n).filter(|&k| keep[k]).collect()
}

/// Drops kept vertices closer than `tolerance` to the vertex kept before them (no two
/// vertices of a simplified shape are that close); the chain's last vertex stays.
fn space_out(points: &[Vec3], kept: Vec<usize>, tolerance: f64) -> Vec<usize> {
    let Some((&last, rest)) = kept.split_last() else {
        return kept;
    };
    let mut out: Vec<usize> = Vec::with_capacity(kept.len());
    for &k in rest {
        if out
            .last()
            .is_none_or(|&before| points[before].angle(points[k]) >= tolerance)
        {
            out.push(k);
        }
    }
    if let Some(&before) = out.last()
        && out.len() > 1
        && points[before].angle(points[last]) < tolerance
    {
        out.pop();
    }
    out.push(last);
    out
}

/// A simplified line; `None` when it shrinks to a point (its ends closer than `tolerance`
/// with nothing kept between them).
pub(crate) fn simplify_line(line: &[Coord], tolerance: f64) -> Option<Vec<Coord>> {
    let points: Vec<Vec3> = line
        .iter()
        .map(|c| Vec3::from_degrees(c[0], c[1]))
        .collect();
    let kept = space_out(&points, douglas_peucker(&points, tolerance), tolerance);
    if kept.len() < 2 || (kept.len() == 2 && points[kept[0]].angle(points[kept[1]]) < tolerance) {
        return None;
    }
    Some(kept.iter().map(|&k| line[k]).collect())
}

/// A simplified ring (closing vertex included); `None` when fewer than three vertices stay.
pub(crate) fn simplify_ring(ring: &[Coord], tolerance: f64) -> Option<Vec<Coord>> {
    let open = &ring[..ring.len().saturating_sub(1)];
    let points: Vec<Vec3> = open
        .iter()
        .map(|c| Vec3::from_degrees(c[0], c[1]))
        .collect();
    if points.len() < 3 {
        return None;
    }
    // Split the ring at its first vertex and the vertex farthest from it.
    let far = (1..points.len())
        .max_by(|&a, &b| {
            points[0]
                .angle(points[a])
                .total_cmp(&points[0].angle(points[b]))
        })
        .unwrap_or(1);
    let first_half: Vec<Vec3> = points[..=far].to_vec();
    let mut second_half: Vec<Vec3> = points[far..].to_vec();
    second_half.push(points[0]);
    let mut kept: Vec<usize> = douglas_peucker(&first_half, tolerance);
    kept.pop();
    kept.extend(
        douglas_peucker(&second_half, tolerance)
            .into_iter()
            .map(|k| k + far),
    );
    // `kept` ends with the first vertex again (index points.len()).
    let mut closed = points.clone();
    closed.push(points[0]);
    let kept = space_out(&closed, kept, tolerance);
    let out: Vec<Coord> = kept.iter().map(|&k| ring[k % open.len()]).collect();
    if out.len() < 4 {
        return None;
    }
    // The ring must still bound an area.
    let vertices: Vec<Vec3> = kept[..kept.len() - 1]
        .iter()
        .map(|&k| points[k % open.len()])
        .collect();
    super::sphere::Loop::new(vertices)?;
    Some(out)
}

/// Simplified polygons: a polygon whose shell shrinks away is dropped, as is a hole that does.
pub(crate) fn simplify_polygons(
    polygons: &[Vec<Vec<Coord>>],
    tolerance: f64,
) -> Vec<Vec<Vec<Coord>>> {
    polygons
        .iter()
        .filter_map(|rings| {
            let shell = simplify_ring(rings.first()?, tolerance)?;
            let mut out = vec![shell];
            out.extend(
                rings[1..]
                    .iter()
                    .filter_map(|hole| simplify_ring(hole, tolerance)),
            );
            Some(out)
        })
        .collect()
}

/// Whether any two of the polygons meet at all (touch, cross or nest).
pub(crate) fn any_meet(polygons: &[Polygon]) -> bool {
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
            if edges_meet(&ea, &eb)
                || ea.iter().any(|(p, _)| b.contains(*p))
                || eb.iter().any(|(p, _)| a.contains(*p))
            {
                return true;
            }
        }
    }
    false
}

// ---- H3 cells of a polygon -----------------------------------------------------------------

/// The most cells `geo_polygon_to_h3cells()` returns (Kusto's documented limit).
pub(crate) const MAX_H3_CELLS: usize = 61_680;

/// The most points sampled to find a polygon's cells.
const MAX_H3_SAMPLES: usize = 4_000_000;

/// Whether a point is inside polygons whose edges are straight lines in longitude and
/// latitude (even-odd over all rings: holes cut out).
pub(crate) fn planar_contains(polygons: &[Vec<Vec<Coord>>], p: Coord) -> bool {
    polygons.iter().any(|rings| {
        let mut inside = false;
        for ring in rings {
            for edge in ring.windows(2) {
                let (a, b) = (edge[0], edge[1]);
                if (a[1] > p[1]) != (b[1] > p[1]) {
                    let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                    if p[0] < x {
                        inside = !inside;
                    }
                }
            }
        }
        inside
    })
}

/// The H3 cells of `resolution` whose centers are inside the polygons (straight edges), in
/// index order; `None` past [`MAX_H3_CELLS`] cells.
pub(crate) fn h3_cells(
    polygons: &[Vec<Vec<Coord>>],
    resolution: h3o::Resolution,
) -> Option<Vec<h3o::CellIndex>> {
    use std::collections::BTreeSet;
    // Sample each polygon's bounding box finer than the cells, then check those cells and
    // their neighbors: every cell whose center is inside is among them.
    let spacing_degrees = (resolution.edge_length_km() * 0.5 / 111.195).max(1e-9);
    let mut candidates: BTreeSet<h3o::CellIndex> = BTreeSet::new();
    let mut samples = 0usize;
    for rings in polygons {
        let shell = rings.first()?;
        let (mut west, mut south, mut east, mut north) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
        for c in shell {
            west = west.min(c[0]);
            east = east.max(c[0]);
            south = south.min(c[1]);
            north = north.max(c[1]);
        }
        let widest = south.abs().max(north.abs()).min(89.0).to_radians().cos();
        let (step_lat, step_lng) = (spacing_degrees, spacing_degrees / widest);
        let rows = ((north - south) / step_lat).ceil() as usize + 1;
        let columns = ((east - west) / step_lng).ceil() as usize + 1;
        samples = samples.checked_add(rows.checked_mul(columns)?)?;
        if samples > MAX_H3_SAMPLES {
            return None;
        }
        for row in 0..rows {
            let lat = (south + row as f64 * step_lat).min(north);
            for column in 0..columns {
                let lng = (west + column as f64 * step_lng).min(east);
                let cell = h3o::LatLng::new(lat, lng).ok()?.to_cell(resolution);
                candidates.insert(cell);
            }
        }
    }
    let mut checked: BTreeSet<h3o::CellIndex> = BTreeSet::new();
    for cell in &candidates {
        let disk: Vec<h3o::CellIndex> = cell.grid_disk(1);
        checked.extend(disk);
    }
    let mut out = Vec::new();
    for cell in checked {
        let center = h3o::LatLng::from(cell);
        if planar_contains(polygons, [center.lng(), center.lat()]) {
            if out.len() >= MAX_H3_CELLS {
                return None;
            }
            out.push(cell);
        }
    }
    Some(out)
}
