//! Geometry on the unit sphere, as Kusto measures the Earth: a sphere of radius 6,371,010 m
//! (the S2 library's mean radius, which reproduces the pages' distances to the last digit)
//! whose edges are geodesics (great-circle arcs shorter than 180°).

use std::f64::consts::PI;

/// The Earth's radius in meters.
pub(crate) const EARTH_RADIUS: f64 = 6_371_010.0;

/// A point of 3-space; on the sphere when its norm is 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Vec3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

impl Vec3 {
    pub const ZERO: Vec3 = Vec3 {
        x: 0.0,
        y: 0.0,
        z: 0.0,
    };

    pub fn new(x: f64, y: f64, z: f64) -> Vec3 {
        Vec3 { x, y, z }
    }

    /// The point at a longitude and latitude in degrees.
    pub fn from_degrees(lng: f64, lat: f64) -> Vec3 {
        let (lng, lat) = (lng.to_radians(), lat.to_radians());
        let cos_lat = lat.cos();
        Vec3::new(lng.cos() * cos_lat, lng.sin() * cos_lat, lat.sin())
    }

    /// `[longitude, latitude]` in degrees (the vector need not be unit length).
    pub fn to_degrees(self) -> [f64; 2] {
        let lat = self.z.atan2(self.x.hypot(self.y));
        let lng = self.y.atan2(self.x);
        [lng.to_degrees(), lat.to_degrees()]
    }

    pub fn add(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x + o.x, self.y + o.y, self.z + o.z)
    }

    pub fn sub(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x - o.x, self.y - o.y, self.z - o.z)
    }

    pub fn scale(self, k: f64) -> Vec3 {
        Vec3::new(self.x * k, self.y * k, self.z * k)
    }

    pub fn neg(self) -> Vec3 {
        self.scale(-1.0)
    }

    pub fn dot(self, o: Vec3) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }

    pub fn cross(self, o: Vec3) -> Vec3 {
        Vec3::new(
            self.y * o.z - self.z * o.y,
            self.z * o.x - self.x * o.z,
            self.x * o.y - self.y * o.x,
        )
    }

    pub fn norm(self) -> f64 {
        self.dot(self).sqrt()
    }

    /// The unit vector of the same direction (zero stays zero).
    pub fn normalize(self) -> Vec3 {
        let n = self.norm();
        if n == 0.0 { self } else { self.scale(1.0 / n) }
    }

    /// The angle between two directions, in radians (accurate for small and large angles).
    pub fn angle(self, o: Vec3) -> f64 {
        self.cross(o).norm().atan2(self.dot(o))
    }

    /// `(a × b) · c`: positive when a, b, c turn counterclockwise.
    pub fn triple(a: Vec3, b: Vec3, c: Vec3) -> f64 {
        a.cross(b).dot(c)
    }
}

/// Whether a longitude and latitude are valid coordinates (in range and finite).
pub(crate) fn valid_coordinates(lng: f64, lat: f64) -> bool {
    (-180.0..=180.0).contains(&lng) && (-90.0..=90.0).contains(&lat)
}

/// Whether two unit vectors are (numerically) antipodal.
pub(crate) fn antipodal(a: Vec3, b: Vec3) -> bool {
    a.add(b).norm() < 1e-15
}

/// The azimuth from `a` toward `b`, clockwise from north, in [0, 2π); `None` when the points
/// are equal or antipodal (no direction is defined).
pub(crate) fn azimuth(a: Vec3, b: Vec3) -> Option<f64> {
    if a == b || antipodal(a, b) || a.angle(b) == 0.0 {
        return None;
    }
    // North and east in the tangent plane at `a`.
    let [lng, lat] = a.to_degrees();
    let (lng, lat) = (lng.to_radians(), lat.to_radians());
    let east = Vec3::new(-lng.sin(), lng.cos(), 0.0);
    let north = Vec3::new(-lat.sin() * lng.cos(), -lat.sin() * lng.sin(), lat.cos());
    let direction = b.sub(a.scale(a.dot(b)));
    let angle = direction.dot(east).atan2(direction.dot(north));
    Some(if angle < 0.0 { angle + 2.0 * PI } else { angle })
}

/// The point of edge `ab` closest to `x`.
pub(crate) fn closest_on_edge(x: Vec3, a: Vec3, b: Vec3) -> Vec3 {
    let n = a.cross(b);
    if n.norm() == 0.0 {
        return a;
    }
    // The projection of x onto the edge's great circle lies on the edge when it is between
    // a and b; otherwise the nearer endpoint is closest.
    let p = x.sub(n.scale(x.dot(n) / n.dot(n)));
    if p.norm() > 0.0 {
        let p = p.normalize();
        if a.cross(p).dot(n) >= 0.0 && p.cross(b).dot(n) >= 0.0 {
            return p;
        }
    }
    if x.angle(a) <= x.angle(b) { a } else { b }
}

/// The angle from `x` to the nearest point of edge `ab`.
pub(crate) fn distance_to_edge(x: Vec3, a: Vec3, b: Vec3) -> f64 {
    x.angle(closest_on_edge(x, a, b))
}

/// How edges `ab` and `cd` meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Crossing {
    /// They don't meet.
    None,
    /// Their interiors cross at one point.
    Proper,
    /// They touch: a shared vertex, a vertex on the other edge, or a common stretch.
    Touch,
}

/// Below this angle (about 0.6 mm on Earth) two points are the same.
pub(crate) const EPSILON: f64 = 1e-13;

/// How edge `ab` meets edge `cd` (both shorter than a half circle).
pub(crate) fn crossing(a: Vec3, b: Vec3, c: Vec3, d: Vec3) -> Crossing {
    let acb = Vec3::triple(a, c, b);
    let bda = Vec3::triple(b, d, a);
    let cbd = Vec3::triple(c, b, d);
    let dac = Vec3::triple(d, a, c);
    let signs = [acb, bda, cbd, dac];
    let tiny = 1e-15;
    if signs.iter().all(|s| *s > tiny) || signs.iter().all(|s| *s < -tiny) {
        return Crossing::Proper;
    }
    if distance_to_edge(a, c, d) < EPSILON
        || distance_to_edge(b, c, d) < EPSILON
        || distance_to_edge(c, a, b) < EPSILON
        || distance_to_edge(d, a, b) < EPSILON
    {
        return Crossing::Touch;
    }
    Crossing::None
}

/// The point where edges `ab` and `cd` cross (call only when they do).
pub(crate) fn intersection(a: Vec3, b: Vec3, c: Vec3, d: Vec3) -> Vec3 {
    let x = a.cross(b).cross(c.cross(d)).normalize();
    // The great circles meet twice: take the meeting point on the edges' side.
    if x.dot(a.add(b).add(c).add(d)) < 0.0 {
        x.neg()
    } else {
        x
    }
}

/// The point at `t` (0..1) of the way along edge `ab`.
pub(crate) fn interpolate(a: Vec3, b: Vec3, t: f64) -> Vec3 {
    let theta = a.angle(b);
    if theta == 0.0 {
        return a;
    }
    let sin = theta.sin();
    a.scale(((1.0 - t) * theta).sin() / sin)
        .add(b.scale((t * theta).sin() / sin))
        .normalize()
}

/// The centroid of edge `ab` times its length (S2's `TrueCentroid` of an edge): summed over
/// a line's edges it points to the line's centroid.
pub(crate) fn edge_centroid(a: Vec3, b: Vec3) -> Vec3 {
    let sum = a.add(b);
    let diff = a.sub(b);
    let cos2 = sum.dot(sum);
    if cos2 == 0.0 {
        return Vec3::ZERO;
    }
    sum.scale((diff.dot(diff) / cos2).sqrt())
}

/// A closed loop of vertices (no repeated closing vertex), turned counterclockwise around the
/// smaller of the two regions it bounds, as Kusto reads a polygon's rings.
#[derive(Debug, Clone)]
pub(crate) struct Loop {
    pub vertices: Vec<Vec3>,
}

impl Loop {
    /// The loop through `vertices`, turned around its smaller region; `None` when it bounds
    /// no area (all its vertices on one great circle).
    pub fn new(mut vertices: Vec<Vec3>) -> Option<Loop> {
        let area = signed_area(&vertices);
        if area.abs() < 1e-30 || !area.is_finite() {
            return None;
        }
        if area < 0.0 {
            vertices.reverse();
        }
        Some(Loop { vertices })
    }

    /// The edges, each as its two vertices.
    pub fn edges(&self) -> impl Iterator<Item = (Vec3, Vec3)> + '_ {
        let n = self.vertices.len();
        (0..n).map(move |i| (self.vertices[i], self.vertices[(i + 1) % n]))
    }

    /// The area of its region, in steradians.
    pub fn area(&self) -> f64 {
        signed_area(&self.vertices).abs()
    }

    /// The integral of position over its region (S2's true centroid, not normalized).
    pub fn centroid(&self) -> Vec3 {
        // By Stokes: half the sum of each edge's unit normal times its length.
        self.edges().fold(Vec3::ZERO, |sum, (a, b)| {
            let normal = a.cross(b).normalize();
            sum.add(normal.scale(0.5 * a.angle(b)))
        })
    }

    /// Whether `p` is inside its region: the loop winds once around `p`.
    pub fn contains(&self, p: Vec3) -> bool {
        let mut winding = 0.0;
        for (a, b) in self.edges() {
            // The angle a-p-b seen from above p (in p's tangent plane).
            let sin = Vec3::triple(a, b, p);
            let cos = a.dot(b) - p.dot(a) * p.dot(b);
            winding += sin.atan2(cos);
        }
        winding > PI
    }

    /// The angle from `p` to the nearest point of the boundary, and that point.
    pub fn closest_boundary_point(&self, p: Vec3) -> (f64, Vec3) {
        let mut best = (f64::INFINITY, p);
        for (a, b) in self.edges() {
            let q = closest_on_edge(p, a, b);
            let d = p.angle(q);
            if d < best.0 {
                best = (d, q);
            }
        }
        best
    }
}

/// The signed area of the region to the left of a closed chain of vertices, in steradians
/// (negative when the chain turns clockwise around its smaller region).
fn signed_area(vertices: &[Vec3]) -> f64 {
    let Some(&origin) = vertices.first() else {
        return 0.0;
    };
    let mut sum = 0.0;
    for pair in vertices[1..].windows(2) {
        let (a, b) = (pair[0], pair[1]);
        // The signed spherical excess of the triangle (origin, a, b).
        let numerator = Vec3::triple(origin, a, b);
        let denominator = 1.0 + origin.dot(a) + a.dot(b) + b.dot(origin);
        sum += 2.0 * numerator.atan2(denominator);
    }
    sum
}

/// A polygon: its shell and holes.
#[derive(Debug, Clone)]
pub(crate) struct Polygon {
    pub shell: Loop,
    pub holes: Vec<Loop>,
}

impl Polygon {
    pub fn loops(&self) -> impl Iterator<Item = &Loop> {
        std::iter::once(&self.shell).chain(&self.holes)
    }

    pub fn contains(&self, p: Vec3) -> bool {
        self.shell.contains(p) && !self.holes.iter().any(|hole| hole.contains(p))
    }

    pub fn area(&self) -> f64 {
        self.shell.area() - self.holes.iter().map(Loop::area).sum::<f64>()
    }

    pub fn centroid(&self) -> Vec3 {
        self.holes
            .iter()
            .fold(self.shell.centroid(), |sum, hole| sum.sub(hole.centroid()))
    }

    pub fn edges(&self) -> impl Iterator<Item = (Vec3, Vec3)> + '_ {
        self.loops().flat_map(Loop::edges)
    }
}

/// A cap bounding a set of points: its center and angular radius. Edges between points of a
/// cap smaller than a hemisphere stay in it, so disjoint caps mean disjoint shapes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cap {
    pub center: Vec3,
    pub radius: f64,
}

impl Cap {
    pub fn around(points: &[Vec3]) -> Cap {
        let center = points
            .iter()
            .fold(Vec3::ZERO, |sum, p| sum.add(*p))
            .normalize();
        let radius = points.iter().map(|p| center.angle(*p)).fold(0.0, f64::max);
        // Past a hemisphere the cap no longer bounds the edges: call it the whole sphere.
        let radius = if center.norm() == 0.0 || radius >= PI / 2.0 {
            PI
        } else {
            radius + 1e-9
        };
        Cap { center, radius }
    }

    /// Whether the two caps may overlap once widened by `margin` radians.
    pub fn near(&self, other: &Cap, margin: f64) -> bool {
        self.radius >= PI
            || other.radius >= PI
            || self.center.angle(other.center) <= self.radius + other.radius + margin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_uses_the_s2_earth_radius() {
        let a = Vec3::from_degrees(-122.407628, 47.578557);
        let b = Vec3::from_degrees(-118.275287, 34.019056);
        let meters = a.angle(b) * EARTH_RADIUS;
        assert!((meters - 1_546_754.351_973_81).abs() < 1e-6, "{meters}");
    }

    #[test]
    fn loops_turn_around_the_smaller_region() {
        let square = |clockwise: bool| {
            let mut v = vec![
                Vec3::from_degrees(0.0, 0.0),
                Vec3::from_degrees(1.0, 0.0),
                Vec3::from_degrees(1.0, 1.0),
                Vec3::from_degrees(0.0, 1.0),
            ];
            if clockwise {
                v.reverse();
            }
            Loop::new(v).unwrap()
        };
        for clockwise in [false, true] {
            let l = square(clockwise);
            assert!(l.area() < 0.001);
            assert!(l.contains(Vec3::from_degrees(0.5, 0.5)));
            assert!(!l.contains(Vec3::from_degrees(2.0, 0.5)));
            assert!(!l.contains(Vec3::from_degrees(-179.5, -0.5)));
        }
        let collinear = vec![
            Vec3::from_degrees(0.0, 0.0),
            Vec3::from_degrees(1.0, 0.0),
            Vec3::from_degrees(2.0, 0.0),
        ];
        assert!(Loop::new(collinear).is_none());
    }

    #[test]
    fn crossings() {
        let p = |lng, lat| Vec3::from_degrees(lng, lat);
        assert_eq!(
            crossing(p(0.0, 0.0), p(2.0, 2.0), p(0.0, 2.0), p(2.0, 0.0)),
            Crossing::Proper
        );
        assert_eq!(
            crossing(p(0.0, 0.0), p(1.0, 1.0), p(3.0, 3.0), p(4.0, 4.0)),
            Crossing::None
        );
        assert_eq!(
            crossing(p(0.0, 0.0), p(1.0, 1.0), p(1.0, 1.0), p(4.0, 0.0)),
            Crossing::Touch
        );
        // The far side of the great circles does not count.
        assert_eq!(
            crossing(p(0.0, 0.0), p(1.0, 0.0), p(180.0, -1.0), p(180.0, 1.0)),
            Crossing::None
        );
    }
}
