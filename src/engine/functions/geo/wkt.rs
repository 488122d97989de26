//! Well-known text (WKT) read into GeoJSON, for `geo_from_wkt()`: the seven 2-D geometry
//! types. Z/M coordinates and `EMPTY` geometries are not taken (the result is null).

use serde_json::{Value as Json, json};

use super::shape::number;

/// How deep geometry collections may nest.
const MAX_DEPTH: usize = 32;

/// The GeoJSON of a WKT text; `None` when it is not valid WKT of a supported geometry.
pub(crate) fn parse(text: &str) -> Option<Json> {
    let mut parser = Parser { text, at: 0 };
    let geometry = parser.geometry(0)?;
    parser.skip_space();
    (parser.at == text.len()).then_some(geometry)
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        if self.text[self.at..].starts_with(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Option<()> {
        self.eat(c).then_some(())
    }

    fn word(&mut self) -> String {
        self.skip_space();
        let rest = &self.text[self.at..];
        let len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        self.at += len;
        rest[..len].to_ascii_uppercase()
    }

    fn number(&mut self) -> Option<f64> {
        self.skip_space();
        let rest = &self.text[self.at..];
        let len = rest
            .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
            .unwrap_or(rest.len());
        let value: f64 = rest[..len].parse().ok()?;
        self.at += len;
        value.is_finite().then_some(value)
    }

    /// `x y`
    fn coord(&mut self) -> Option<Json> {
        let x = self.number()?;
        let y = self.number()?;
        Some(Json::Array(vec![number(x), number(y)]))
    }

    /// `(item, item, …)`
    fn list(&mut self, mut item: impl FnMut(&mut Self) -> Option<Json>) -> Option<Json> {
        self.expect('(')?;
        let mut items = vec![item(self)?];
        while self.eat(',') {
            items.push(item(self)?);
        }
        self.expect(')')?;
        Some(Json::Array(items))
    }

    fn coords(&mut self) -> Option<Json> {
        self.list(Self::coord)
    }

    fn rings(&mut self) -> Option<Json> {
        self.list(Self::coords)
    }

    fn geometry(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        let kind = self.word();
        let (name, coordinates) = match kind.as_str() {
            "POINT" => {
                self.expect('(')?;
                let c = self.coord()?;
                self.expect(')')?;
                ("Point", c)
            }
            "LINESTRING" => ("LineString", self.coords()?),
            "POLYGON" => ("Polygon", self.rings()?),
            // A multipoint's points may be bare or parenthesized.
            "MULTIPOINT" => (
                "MultiPoint",
                self.list(|p| {
                    if p.eat('(') {
                        let c = p.coord()?;
                        p.expect(')')?;
                        Some(c)
                    } else {
                        p.coord()
                    }
                })?,
            ),
            "MULTILINESTRING" => ("MultiLineString", self.rings()?),
            "MULTIPOLYGON" => ("MultiPolygon", self.list(Self::rings)?),
            "GEOMETRYCOLLECTION" => {
                let geometries = self.list(|p| p.geometry(depth + 1))?;
                return Some(json!({"type": "GeometryCollection", "geometries": geometries}));
            }
            _ => return None,
        };
        Some(json!({"type": name, "coordinates": coordinates}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_seven_types() {
        assert_eq!(
            parse("POINT (1 2)"),
            Some(json!({"type": "Point", "coordinates": [1.0, 2.0]}))
        );
        assert_eq!(
            parse("multipoint ((1 1), 2 2)"),
            Some(json!({"type": "MultiPoint", "coordinates": [[1.0, 1.0], [2.0, 2.0]]}))
        );
        assert!(parse("GEOMETRYCOLLECTION (POINT (1 1), LINESTRING (2 2, 3 3))").is_some());
        for bad in [
            "LINESTRING",
            "POINT (1)",
            "POINT Z (1 2 3)",
            "POINT EMPTY",
            "POINT (1 2) x",
            "CIRCLE (1 2)",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        let deep = "GEOMETRYCOLLECTION (".repeat(100);
        assert_eq!(parse(&deep), None);
    }
}
