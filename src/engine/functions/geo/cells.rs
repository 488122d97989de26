//! Geohash and S2 cells: the two grid systems Kusto computes itself (H3 comes from `h3o`).
//!
//! The S2 part follows the S2 library's definitions (cube faces, the quadratic projection, the
//! Hilbert curve order of cell ids, hex tokens), which is what Kusto's cell tokens are.

use super::shape::Coord;
use super::sphere::Vec3;

// ---- geohash -------------------------------------------------------------------------------

const BASE32: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// The longest geohash Kusto takes.
pub(crate) const GEOHASH_MAX: usize = 18;

/// The geohash of `accuracy` characters of a point.
pub(crate) fn geohash(lng: f64, lat: f64, accuracy: usize) -> String {
    let (mut lng_range, mut lat_range) = ((-180.0, 180.0), (-90.0, 90.0));
    let mut hash = String::with_capacity(accuracy);
    let mut even = true;
    let (mut bits, mut value) = (0, 0usize);
    while hash.len() < accuracy {
        let (range, x): (&mut (f64, f64), f64) = if even {
            (&mut lng_range, lng)
        } else {
            (&mut lat_range, lat)
        };
        let mid = (range.0 + range.1) / 2.0;
        value <<= 1;
        if x >= mid {
            value |= 1;
            range.0 = mid;
        } else {
            range.1 = mid;
        }
        even = !even;
        bits += 1;
        if bits == 5 {
            hash.push(BASE32[value] as char);
            (bits, value) = (0, 0);
        }
    }
    hash
}

/// The rectangle of a geohash: `(west, south, east, north)`; `None` when it is not one.
pub(crate) fn geohash_bounds(hash: &str) -> Option<(f64, f64, f64, f64)> {
    if hash.is_empty() || hash.len() > GEOHASH_MAX {
        return None;
    }
    let (mut lng, mut lat) = ((-180.0, 180.0), (-90.0, 90.0));
    let mut even = true;
    for byte in hash.bytes() {
        let value = BASE32.iter().position(|b| *b == byte)?;
        for shift in (0..5).rev() {
            let range: &mut (f64, f64) = if even { &mut lng } else { &mut lat };
            let mid = (range.0 + range.1) / 2.0;
            if (value >> shift) & 1 == 1 {
                range.0 = mid;
            } else {
                range.1 = mid;
            }
            even = !even;
        }
    }
    Some((lng.0, lat.0, lng.1, lat.1))
}

/// The geohashes of the same length around `hash`, in the order Kusto lists them.
pub(crate) fn geohash_neighbors(hash: &str) -> Option<Vec<String>> {
    let (west, south, east, north) = geohash_bounds(hash)?;
    let (width, height) = (east - west, north - south);
    let (lng, lat) = ((west + east) / 2.0, (south + north) / 2.0);
    let mut found = Vec::with_capacity(8);
    // Row by row from the north, west to east; there is nothing past a pole, and longitudes
    // wrap around the antimeridian.
    for dlat in [1.0, 0.0, -1.0] {
        for dlng in [-1.0, 0.0, 1.0] {
            if dlat == 0.0 && dlng == 0.0 {
                continue;
            }
            let y = lat + dlat * height;
            if !(-90.0..=90.0).contains(&y) {
                continue;
            }
            let mut x = lng + dlng * width;
            if x > 180.0 {
                x -= 360.0;
            } else if x < -180.0 {
                x += 360.0;
            }
            let neighbor = geohash(x, y, hash.len());
            if neighbor != hash {
                found.push(neighbor);
            }
        }
    }
    Some(unordered_set_order(found))
}

/// The order in which Kusto's neighbor lists come out: that of a hash set of the tokens (FNV-1a
/// string hashes in 8 buckets; a token whose bucket is taken goes first in that bucket), as the
/// pages' S2 and geohash examples show.
pub(crate) fn unordered_set_order(tokens: Vec<String>) -> Vec<String> {
    fn fnv1a(text: &str) -> u64 {
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }
    let mut set: Vec<(u64, String)> = Vec::with_capacity(tokens.len());
    for token in tokens {
        if set.iter().any(|(_, t)| *t == token) {
            continue;
        }
        let bucket = fnv1a(&token) % 8;
        match set.iter().position(|(b, _)| *b == bucket) {
            Some(at) => set.insert(at, (bucket, token)),
            None => set.push((bucket, token)),
        }
    }
    set.into_iter().map(|(_, token)| token).collect()
}

// ---- S2 cells ------------------------------------------------------------------------------

pub(crate) const S2_MAX_LEVEL: u32 = 30;
const MAX_SIZE: i64 = 1 << S2_MAX_LEVEL;

const SWAP: usize = 1;
const INVERT: usize = 2;
/// The Hilbert curve: a subcell's position from its (i, j) bits, per orientation, and back.
const IJ_TO_POS: [[usize; 4]; 4] = [[0, 1, 3, 2], [0, 3, 1, 2], [2, 3, 1, 0], [2, 1, 3, 0]];
const POS_TO_IJ: [[usize; 4]; 4] = [[0, 1, 3, 2], [0, 2, 3, 1], [3, 2, 0, 1], [3, 1, 0, 2]];
const POS_TO_ORIENTATION: [usize; 4] = [SWAP, 0, 0, INVERT | SWAP];

/// The quadratic projection between cube-face coordinates (u) and cell coordinates (s).
fn st_to_uv(s: f64) -> f64 {
    if s >= 0.5 {
        (1.0 / 3.0) * (4.0 * s * s - 1.0)
    } else {
        (1.0 / 3.0) * (1.0 - 4.0 * (1.0 - s) * (1.0 - s))
    }
}

fn uv_to_st(u: f64) -> f64 {
    if u >= 0.0 {
        0.5 * (1.0 + 3.0 * u).sqrt()
    } else {
        1.0 - 0.5 * (1.0 - 3.0 * u).sqrt()
    }
}

fn st_to_ij(s: f64) -> i64 {
    ((MAX_SIZE as f64 * s).floor() as i64).clamp(0, MAX_SIZE - 1)
}

fn face_uv_to_xyz(face: u64, u: f64, v: f64) -> Vec3 {
    match face {
        0 => Vec3::new(1.0, u, v),
        1 => Vec3::new(-u, 1.0, v),
        2 => Vec3::new(-u, -v, 1.0),
        3 => Vec3::new(-1.0, -v, -u),
        4 => Vec3::new(v, -1.0, -u),
        _ => Vec3::new(v, u, -1.0),
    }
}

fn xyz_to_face_uv(p: Vec3) -> (u64, f64, f64) {
    let (ax, ay, az) = (p.x.abs(), p.y.abs(), p.z.abs());
    let axis = if ax > ay {
        if ax > az { 0 } else { 2 }
    } else if ay > az {
        1
    } else {
        2
    };
    let component = [p.x, p.y, p.z][axis];
    let face = if component < 0.0 { axis + 3 } else { axis } as u64;
    let (u, v) = match face {
        0 => (p.y / p.x, p.z / p.x),
        1 => (-p.x / p.y, p.z / p.y),
        2 => (-p.x / p.z, -p.y / p.z),
        3 => (p.z / p.x, p.y / p.x),
        4 => (p.z / p.y, -p.x / p.y),
        _ => (-p.y / p.z, -p.x / p.z),
    };
    (face, u, v)
}

/// An S2 cell id (a face, a position on its Hilbert curve, and a marker bit for the level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct CellId(pub u64);

impl CellId {
    /// The leaf cell at face coordinates (i, j).
    fn from_face_ij(face: u64, i: i64, j: i64) -> CellId {
        let mut orientation = (face as usize) & SWAP;
        let mut position: u64 = 0;
        for k in (0..S2_MAX_LEVEL).rev() {
            let ij = ((((i >> k) & 1) << 1) | ((j >> k) & 1)) as usize;
            let pos = IJ_TO_POS[orientation][ij];
            position = (position << 2) | pos as u64;
            orientation ^= POS_TO_ORIENTATION[pos];
        }
        CellId((face << 61) | (position << 1) | 1)
    }

    /// The leaf cell at (i, j) of `face`, or past its edge on the face there.
    fn from_face_ij_wrap(face: u64, i: i64, j: i64) -> CellId {
        let i = i.clamp(-1, MAX_SIZE);
        let j = j.clamp(-1, MAX_SIZE);
        let scale = 1.0 / MAX_SIZE as f64;
        let limit = 1.0 + f64::EPSILON;
        let u = (scale * (2 * (i - MAX_SIZE / 2) + 1) as f64).clamp(-limit, limit);
        let v = (scale * (2 * (j - MAX_SIZE / 2) + 1) as f64).clamp(-limit, limit);
        let (face, u, v) = xyz_to_face_uv(face_uv_to_xyz(face, u, v));
        CellId::from_face_ij(face, st_to_ij(0.5 * (u + 1.0)), st_to_ij(0.5 * (v + 1.0)))
    }

    fn from_face_ij_same(face: u64, i: i64, j: i64, same_face: bool) -> CellId {
        if same_face {
            CellId::from_face_ij(face, i, j)
        } else {
            CellId::from_face_ij_wrap(face, i, j)
        }
    }

    /// The cell of `level` holding a point.
    pub fn from_point(p: Vec3, level: u32) -> CellId {
        let (face, u, v) = xyz_to_face_uv(p);
        CellId::from_face_ij(face, st_to_ij(uv_to_st(u)), st_to_ij(uv_to_st(v))).parent(level)
    }

    /// The six face cells.
    pub fn faces() -> impl Iterator<Item = CellId> {
        (0..6u64).map(|face| CellId((face << 61) | (1 << 60)))
    }

    fn lsb(self) -> u64 {
        self.0 & self.0.wrapping_neg()
    }

    pub fn level(self) -> u32 {
        S2_MAX_LEVEL - self.0.trailing_zeros() / 2
    }

    pub fn face(self) -> u64 {
        self.0 >> 61
    }

    pub fn is_valid(self) -> bool {
        self.face() < 6 && self.lsb() & 0x1555_5555_5555_5555 != 0
    }

    /// The cell holding this one at `level` (not finer than its own).
    pub fn parent(self, level: u32) -> CellId {
        let lsb = 1u64 << (2 * (S2_MAX_LEVEL - level));
        CellId((self.0 & lsb.wrapping_neg()) | lsb)
    }

    /// Its four children (for a cell above the leaf level).
    pub fn children(self) -> [CellId; 4] {
        let lsb = self.lsb();
        let child_lsb = lsb >> 2;
        let first = self.0 - lsb + child_lsb;
        [0, 1, 2, 3].map(|k| CellId(first + k * 2 * child_lsb))
    }

    /// Its face, the (i, j) of its lower-left leaf cell and its size in leaf cells.
    fn face_ij(self) -> (u64, i64, i64, i64) {
        let face = self.face();
        let level = self.level();
        let mut orientation = (face as usize) & SWAP;
        let (mut i, mut j) = (0i64, 0i64);
        for k in 1..=level {
            let pos = ((self.0 >> (61 - 2 * k)) & 3) as usize;
            let ij = POS_TO_IJ[orientation][pos];
            i |= ((ij >> 1) as i64) << (S2_MAX_LEVEL - k);
            j |= ((ij & 1) as i64) << (S2_MAX_LEVEL - k);
            orientation ^= POS_TO_ORIENTATION[pos];
        }
        (face, i, j, 1i64 << (S2_MAX_LEVEL - level))
    }

    /// Its center (the middle of the cell in cell coordinates, as S2 defines it).
    pub fn center(self) -> Vec3 {
        let (face, i, j, size) = self.face_ij();
        let s = (2 * i + size) as f64 / (2 * MAX_SIZE) as f64;
        let t = (2 * j + size) as f64 / (2 * MAX_SIZE) as f64;
        face_uv_to_xyz(face, st_to_uv(s), st_to_uv(t)).normalize()
    }

    /// Its corners, counterclockwise from the lower-left one (its edges are geodesics).
    pub fn vertices(self) -> [Vec3; 4] {
        let (face, i, j, size) = self.face_ij();
        let uv = |n: i64| st_to_uv(n as f64 / MAX_SIZE as f64);
        let (u0, u1, v0, v1) = (uv(i), uv(i + size), uv(j), uv(j + size));
        [(u0, v0), (u1, v0), (u1, v1), (u0, v1)]
            .map(|(u, v)| face_uv_to_xyz(face, u, v).normalize())
    }

    /// The cells of the same level around it, in S2's order (`AppendAllNeighbors`).
    pub fn all_neighbors(self) -> Vec<CellId> {
        let level = self.level();
        let (face, i, j, size) = self.face_ij();
        let mut out = Vec::with_capacity(8);
        let mut k = -size;
        loop {
            let same_face = if k < 0 {
                j + k >= 0
            } else if k >= size {
                j + k < MAX_SIZE
            } else {
                out.push(
                    CellId::from_face_ij_same(face, i + k, j - size, j - size >= 0).parent(level),
                );
                out.push(
                    CellId::from_face_ij_same(face, i + k, j + size, j + size < MAX_SIZE)
                        .parent(level),
                );
                true
            };
            out.push(
                CellId::from_face_ij_same(face, i - size, j + k, same_face && i - size >= 0)
                    .parent(level),
            );
            out.push(
                CellId::from_face_ij_same(face, i + size, j + k, same_face && i + size < MAX_SIZE)
                    .parent(level),
            );
            if k >= size {
                break;
            }
            k += size;
        }
        out
    }

    /// Its token: the id in hex without trailing zeros.
    pub fn token(self) -> String {
        if self.0 == 0 {
            return "X".to_string();
        }
        let hex = format!("{:016x}", self.0);
        hex.trim_end_matches('0').to_string()
    }

    /// The cell of a token; `None` when it is not a valid cell's.
    pub fn from_token(token: &str) -> Option<CellId> {
        if token.is_empty() || token.len() > 16 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let value = u64::from_str_radix(token, 16).ok()?;
        let id = CellId(value << (4 * (16 - token.len())));
        id.is_valid().then_some(id)
    }
}

/// A cell's corners as a closed ring of coordinates.
pub(crate) fn cell_ring(cell: CellId) -> Vec<Coord> {
    let mut ring: Vec<Coord> = cell.vertices().iter().map(|v| v.to_degrees()).collect();
    ring.push(ring[0]);
    ring
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geohash_round_trip() {
        assert_eq!(geohash(-80.195829, 25.802215, 8), "dhwfz15h");
        assert_eq!(geohash(-122.303404, 47.570482, 5), "c23n8");
        assert_eq!(
            geohash_bounds("dr5ru"),
            Some((-74.00390625, 40.7373046875, -73.9599609375, 40.78125))
        );
        assert_eq!(geohash_bounds("a"), None);
        assert_eq!(geohash_bounds(""), None);
    }

    #[test]
    fn s2_cells() {
        let p = Vec3::from_degrees(-80.195829, 25.802215);
        assert_eq!(CellId::from_point(p, 8).token(), "88d9b");
        let cell = CellId::from_token("89c259").unwrap();
        assert_eq!(cell.level(), 10);
        for k in 0..4 {
            let child = cell.children()[k];
            assert_eq!(child.parent(10), cell);
            assert_eq!(CellId::from_point(child.center(), 11), child);
        }
        assert_eq!(CellId::from_token("a"), None);
        assert_eq!(CellId::from_token("X"), None);
        assert_eq!(CellId::from_token("12345678901234567"), None);
        for face in CellId::faces() {
            assert_eq!(face.level(), 0);
            assert!(face.is_valid());
            assert_eq!(face.all_neighbors().len(), 8);
        }
    }

    #[test]
    fn neighbor_order_is_kusto_s() {
        let cell = CellId::from_token("89c259").unwrap();
        let tokens = cell
            .all_neighbors()
            .into_iter()
            .map(CellId::token)
            .collect();
        assert_eq!(
            unordered_set_order(tokens),
            [
                "89c25d", "89c2f9", "89c251", "89c257", "89c25f", "89c25b", "89c2f7", "89c2f5"
            ]
        );
        assert_eq!(
            geohash_neighbors("sunny").unwrap(),
            [
                "sunnt", "sunpj", "sunnx", "sunpn", "sunnv", "sunpp", "sunnz", "sunnw"
            ]
        );
    }
}
