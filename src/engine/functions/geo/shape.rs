//! GeoJSON shapes as the geospatial functions take them (dynamic values), checked as Kusto
//! documents: coordinates `[longitude, latitude]` in range, a line of at least two points, a
//! polygon ring closed, of at least three distinct vertices.

use std::collections::HashSet;

use serde_json::{Value as Json, json};

use super::sphere::{Loop, Polygon, Vec3, valid_coordinates};
use crate::engine::functions::KqlValue;

/// A `[longitude, latitude]` pair in degrees.
pub(crate) type Coord = [f64; 2];

/// The most vertices a shape may have: bounds the work one row can ask for.
const MAX_VERTICES: usize = 10_485_760;

/// The GeoJSON object of a dynamic value, and its `type`.
fn geometry(value: &KqlValue) -> Option<(&str, &Json)> {
    let bag = value.as_bag()?;
    let kind = bag.get("type")?.as_str()?;
    Some((kind, bag.get("coordinates")?))
}

/// One `[longitude, latitude]` position.
pub(crate) fn coord(json: &Json) -> Option<Coord> {
    let pair = json.as_array()?;
    if pair.len() != 2 {
        return None;
    }
    let lng = pair[0].as_f64()?;
    let lat = pair[1].as_f64()?;
    valid_coordinates(lng, lat).then_some([lng, lat])
}

fn coords(json: &Json) -> Option<Vec<Coord>> {
    let items = json.as_array()?;
    if items.len() > MAX_VERTICES {
        return None;
    }
    items.iter().map(coord).collect()
}

/// A LineString or MultiLineString: its lines, and whether it was a multiline.
#[derive(Debug, Clone)]
pub(crate) struct Lines {
    pub lines: Vec<Vec<Coord>>,
    pub multi: bool,
}

impl Lines {
    /// Each line's vertices on the sphere.
    pub fn points(&self) -> Vec<Vec<Vec3>> {
        self.lines
            .iter()
            .map(|line| {
                line.iter()
                    .map(|c| Vec3::from_degrees(c[0], c[1]))
                    .collect()
            })
            .collect()
    }

    /// Every edge once (a multiline's lines are a union: a stretch drawn twice counts once).
    pub fn unique_edges(&self) -> Vec<(Vec3, Vec3)> {
        let mut seen = HashSet::new();
        let mut edges = Vec::new();
        for line in &self.lines {
            for pair in line.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                if a == b {
                    continue;
                }
                let key = |p: Coord, q: Coord| {
                    [
                        p[0].to_bits(),
                        p[1].to_bits(),
                        q[0].to_bits(),
                        q[1].to_bits(),
                    ]
                };
                if seen.insert(key(a, b)) && seen.insert(key(b, a)) {
                    edges.push((
                        Vec3::from_degrees(a[0], a[1]),
                        Vec3::from_degrees(b[0], b[1]),
                    ));
                }
            }
        }
        edges
    }
}

/// A LineString or MultiLineString; `None` when it is not a valid one.
pub(crate) fn lines(value: &KqlValue) -> Option<Lines> {
    let (kind, coordinates) = geometry(value)?;
    let (lines, multi) = match kind {
        "LineString" => (vec![coords(coordinates)?], false),
        "MultiLineString" => {
            let items = coordinates.as_array()?;
            if items.is_empty() || items.len() > MAX_VERTICES {
                return None;
            }
            (items.iter().map(coords).collect::<Option<Vec<_>>>()?, true)
        }
        _ => return None,
    };
    let total: usize = lines.iter().map(Vec::len).sum();
    if total > MAX_VERTICES || lines.iter().any(|line| line.len() < 2) {
        return None;
    }
    Some(Lines { lines, multi })
}

/// A Polygon or MultiPolygon as its rings' coordinates (closing vertex included), and whether
/// it was a multipolygon.
#[derive(Debug, Clone)]
pub(crate) struct Polygons {
    pub polygons: Vec<Vec<Vec<Coord>>>,
    pub multi: bool,
}

impl Polygons {
    /// The polygons on the sphere; `None` when a ring bounds no area.
    pub fn shapes(&self) -> Option<Vec<Polygon>> {
        self.polygons
            .iter()
            .map(|rings| {
                let mut loops = rings.iter().map(|ring| {
                    let vertices = ring[..ring.len() - 1]
                        .iter()
                        .map(|c| Vec3::from_degrees(c[0], c[1]))
                        .collect();
                    Loop::new(vertices)
                });
                let shell = loops.next()??;
                let holes = loops.collect::<Option<Vec<_>>>()?;
                Some(Polygon { shell, holes })
            })
            .collect()
    }
}

/// A linear ring: closed, with at least three distinct vertices.
fn ring(json: &Json) -> Option<Vec<Coord>> {
    let ring = coords(json)?;
    if ring.len() < 4 || ring.first() != ring.last() {
        return None;
    }
    let mut seen = HashSet::with_capacity(ring.len());
    for c in &ring[..ring.len() - 1] {
        if !seen.insert([c[0].to_bits(), c[1].to_bits()]) {
            return None;
        }
    }
    Some(ring)
}

fn rings(json: &Json) -> Option<Vec<Vec<Coord>>> {
    let items = json.as_array()?;
    if items.is_empty() || items.len() > MAX_VERTICES {
        return None;
    }
    items.iter().map(ring).collect()
}

/// A Polygon or MultiPolygon; `None` when it is not a valid one.
pub(crate) fn polygons(value: &KqlValue) -> Option<Polygons> {
    let (kind, coordinates) = geometry(value)?;
    let (polygons, multi) = match kind {
        "Polygon" => (vec![rings(coordinates)?], false),
        "MultiPolygon" => {
            let items = coordinates.as_array()?;
            if items.is_empty() || items.len() > MAX_VERTICES {
                return None;
            }
            (items.iter().map(rings).collect::<Option<Vec<_>>>()?, true)
        }
        _ => return None,
    };
    let total: usize = polygons.iter().flatten().map(Vec::len).sum();
    (total <= MAX_VERTICES).then_some(Polygons { polygons, multi })
}

/// A JSON number (non-finite numbers, which never come out of valid input, become 0).
pub(crate) fn number(value: f64) -> Json {
    serde_json::Number::from_f64(value).map_or(Json::from(0), Json::Number)
}

pub(crate) fn coord_json(c: Coord) -> Json {
    Json::Array(vec![number(c[0]), number(c[1])])
}

/// A GeoJSON Point.
pub(crate) fn point_json(c: Coord) -> Json {
    json!({"type": "Point", "coordinates": coord_json(c)})
}

/// A LineString of one line, a MultiLineString of several (or when `multi` asks for one).
pub(crate) fn lines_json(lines: &[Vec<Coord>], multi: bool) -> Json {
    let line = |l: &Vec<Coord>| Json::Array(l.iter().map(|c| coord_json(*c)).collect());
    if lines.len() == 1 && !multi {
        json!({"type": "LineString", "coordinates": line(&lines[0])})
    } else {
        json!({"type": "MultiLineString", "coordinates": lines.iter().map(line).collect::<Vec<_>>()})
    }
}

/// A Polygon of one polygon (rings with their closing vertex), a MultiPolygon of several.
pub(crate) fn polygons_json(polygons: &[Vec<Vec<Coord>>], multi: bool) -> Json {
    let polygon = |rings: &Vec<Vec<Coord>>| {
        Json::Array(
            rings
                .iter()
                .map(|ring| Json::Array(ring.iter().map(|c| coord_json(*c)).collect()))
                .collect(),
        )
    };
    if polygons.len() == 1 && !multi {
        json!({"type": "Polygon", "coordinates": polygon(&polygons[0])})
    } else {
        json!({"type": "MultiPolygon", "coordinates": polygons.iter().map(polygon).collect::<Vec<_>>()})
    }
}

/// An empty GeometryCollection: what an intersection of shapes that don't meet is.
pub(crate) fn empty_collection() -> Json {
    json!({"type": "GeometryCollection", "geometries": []})
}
