//! The geospatial pages' examples (`geo-*-function.md`), with their documented outputs.

// The pages' values are quoted as documented, digits beyond f64's included.
#![allow(clippy::excessive_precision)]

use serde_json::{Value as Json, json};

use super::super::tests::{call, s};
use crate::engine::functions::KqlValue;

fn r(x: f64) -> KqlValue {
    KqlValue::Real(x)
}

fn l(n: i64) -> KqlValue {
    KqlValue::Long(n)
}

fn d(text: &str) -> KqlValue {
    KqlValue::Dynamic(serde_json::from_str(text).expect("test JSON"))
}

const CENTRAL_PARK: &str = r#"{"type":"Polygon","coordinates":[[[-73.9495,40.7969],[-73.95807266235352,40.80068603561921],[-73.98201942443848,40.76825672305777],[-73.97317886352539,40.76455136505513],[-73.9495,40.7969]]]}"#;
const LAS_VEGAS_ROAD: &str = r#"{ "type":"LineString","coordinates":[[-115.115385,36.229195],[-115.136995,36.200366],[-115.140252,36.192470],[-115.143558,36.188523],[-115.144076,36.181954],[-115.154662,36.174483],[-115.166431,36.176388],[-115.183289,36.175007],[-115.192612,36.176736],[-115.202485,36.173439],[-115.225355,36.174365]]}"#;
const BAD_POLYGON: &str = r#"{"type": "Polygon","coordinates": [[[0,0],[10,10],[10,10],[0,0]]]}"#;
const MANHATTAN: &str = include_str!("testdata/manhattan.json");
const NYC_NEIGHBORHOODS: &str = include_str!("testdata/nyc_neighborhoods.json");

/// A real result within a relative 1e-9 (or 1e-9 absolute near zero) of `expected`.
fn assert_real(value: KqlValue, expected: f64) {
    let KqlValue::Real(actual) = value else {
        panic!("expected {expected}, got {value:?}");
    };
    let tolerance = 1e-9 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "expected {expected}, got {actual}"
    );
}

/// JSON equal to `expected`, numbers within a relative 1e-9.
fn json_close(actual: &Json, expected: &Json) -> bool {
    match (actual, expected) {
        (Json::Number(a), Json::Number(e)) => {
            let (a, e) = (
                a.as_f64().unwrap_or(f64::NAN),
                e.as_f64().unwrap_or(f64::NAN),
            );
            (a - e).abs() <= 1e-9 * e.abs().max(1.0)
        }
        (Json::Array(a), Json::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(a, e)| json_close(a, e))
        }
        (Json::Object(a), Json::Object(e)) => {
            a.len() == e.len()
                && e.iter()
                    .all(|(k, e)| a.get(k).is_some_and(|a| json_close(a, e)))
        }
        _ => actual == expected,
    }
}

fn assert_json(value: KqlValue, expected: &str) {
    let expected: Json = serde_json::from_str(expected).expect("expected JSON");
    let KqlValue::Dynamic(actual) = value else {
        panic!("expected {expected}, got {value:?}");
    };
    assert!(
        json_close(&actual, &expected),
        "expected {expected}\n     got {actual}"
    );
}

fn assert_point(value: KqlValue, lng: f64, lat: f64) {
    assert_json(
        value,
        &json!({"type": "Point", "coordinates": [lng, lat]}).to_string(),
    );
}

#[test]
fn distance_2points() {
    let f = "geo_distance_2points";
    assert_real(
        call(
            f,
            &[r(-122.407628), r(47.578557), r(-118.275287), r(34.019056)],
        ),
        1546754.35197381,
    );
    assert_eq!(call(f, &[l(300), l(1), l(1), l(1)]), KqlValue::Null);
    assert_eq!(call(f, &[KqlValue::Null, l(1), l(1), l(1)]), KqlValue::Null);
    // On the WGS-84 ellipsoid: Seattle to Los Angeles is a little longer than on the sphere.
    let KqlValue::Real(spheroid) = call(
        f,
        &[
            r(-122.407628),
            r(47.578557),
            r(-118.275287),
            r(34.019056),
            KqlValue::Bool(true),
        ],
    ) else {
        panic!("no spheroid distance");
    };
    assert!((spheroid - 1_548_000.0).abs() < 3_000.0, "{spheroid}");
    assert_real(
        call(f, &[l(0), l(0), l(1), l(0), KqlValue::Bool(true)]),
        111_319.490_793,
    );
}

#[test]
fn point_in_circle() {
    let f = "geo_point_in_circle";
    let places = [
        (-122.317404, 47.609119, true),
        (-123.497688, 47.458098, false),
        (-122.201741, 47.677084, true),
        (-122.443663, 47.247092, false),
        (-122.121975, 47.671345, true),
    ];
    for (lng, lat, inside) in places {
        let args = [r(lng), r(lat), r(-122.317404), r(47.609119), l(18000)];
        assert_eq!(call(f, &args), KqlValue::Bool(inside), "{lng}, {lat}");
    }
    let circle = [r(-122.100896), r(47.527351), l(3500)];
    let args = |lng, lat| {
        [
            r(lng),
            r(lat),
            circle[0].clone(),
            circle[1].clone(),
            circle[2].clone(),
        ]
    };
    assert_eq!(call(f, &args(-122.143564, 47.535677)), KqlValue::Bool(true));
    assert_eq!(
        call(f, &args(-122.137575, 47.630683)),
        KqlValue::Bool(false)
    );
    assert_eq!(call(f, &[l(200), l(1), l(1), l(1), l(1)]), KqlValue::Null);
    assert_eq!(call(f, &[l(1), l(1), l(1), l(1), l(-1)]), KqlValue::Null);
}

#[test]
fn azimuth_and_angle() {
    assert_real(
        call("geo_azimuth", &[l(5), l(10), l(10), l(-40)]),
        3.05459939796449,
    );
    assert_eq!(
        call("geo_azimuth", &[l(5), l(10), l(5), l(10)]),
        KqlValue::Null
    );
    assert_eq!(
        call("geo_azimuth", &[l(0), l(0), l(180), l(0)]),
        KqlValue::Null
    );
    // Due east along the equator.
    assert_real(
        call("geo_azimuth", &[l(0), l(0), l(1), l(0)]),
        std::f64::consts::FRAC_PI_2,
    );
    assert_real(
        call("geo_angle", &[l(0), l(10), l(0), l(5), l(3), l(-10)]),
        2.94493843406882,
    );
    assert_eq!(
        call("geo_angle", &[l(0), l(10), l(0), l(10), l(3), l(-10)]),
        KqlValue::Null
    );
}

#[test]
fn geohash() {
    let f = "geo_point_to_geohash";
    assert_eq!(call(f, &[r(-80.195829), r(25.802215), l(8)]), s("dhwfz15h"));
    assert_eq!(call(f, &[r(-122.303404), r(47.570482)]), s("c23n8"));
    assert_eq!(call(f, &[r(-122.304745), r(47.567052)]), s("c23n8"));
    assert_eq!(call(f, &[r(-122.278156), r(47.566936)]), s("c23n9"));
    assert_eq!(call(f, &[l(200), l(1), l(8)]), s(""));
    assert_eq!(call(f, &[l(1), l(1), KqlValue::Null]), s(""));
    assert_eq!(call(f, &[l(1), l(1), l(19)]), s(""));
    assert_eq!(call(f, &[l(1), l(1), l(18)]).to_text().len(), 18);

    assert_point(
        call("geo_geohash_to_central_point", &[s("sunny")]),
        42.47314453125,
        23.70849609375,
    );
    assert_point(
        call("geo_geohash_to_central_point", &[s("sv8wzvy7")]),
        34.80245590209961,
        32.15620994567871,
    );
    assert_eq!(
        call("geo_geohash_to_central_point", &[s("a")]),
        KqlValue::Null
    );
    assert_json(
        call("geo_geohash_to_polygon", &[s("dr5ru")]),
        r#"{"type": "Polygon","coordinates": [[[-74.00390625, 40.7373046875], [-73.9599609375, 40.7373046875], [-73.9599609375, 40.78125], [-74.00390625, 40.78125], [-74.00390625, 40.7373046875]]]}"#,
    );
    assert_eq!(call("geo_geohash_to_polygon", &[s("a")]), KqlValue::Null);
    assert_json(
        call("geo_geohash_neighbors", &[s("sunny")]),
        r#"["sunnt","sunpj","sunnx","sunpn","sunnv","sunpp","sunnz","sunnw"]"#,
    );
    assert_eq!(call("geo_geohash_neighbors", &[s("a")]), KqlValue::Null);
    // Across the antimeridian, and at the north pole (no cells past it).
    let east = call("geo_geohash_neighbors", &[s("r")]);
    assert!(east.to_text().contains("\"2\""), "{east:?}");
    let KqlValue::Dynamic(Json::Array(polar)) = call("geo_geohash_neighbors", &[s("zz")]) else {
        panic!("no neighbors");
    };
    assert_eq!(polar.len(), 5);
}

#[test]
fn s2_cells() {
    let f = "geo_point_to_s2cell";
    assert_eq!(call(f, &[r(-80.195829), r(25.802215), l(8)]), s("88d9b"));
    assert_eq!(call(f, &[r(10.1234), l(53), l(8)]), s("47b1d"));
    assert_eq!(call(f, &[r(10.3579), l(53), l(8)]), s("47b1d"));
    assert_eq!(call(f, &[r(10.6842), l(53), l(8)]), s("47ae3"));
    assert_eq!(call(f, &[l(300), l(1), l(8)]), s(""));
    assert_eq!(call(f, &[l(1), l(1), l(35)]), s(""));
    assert_eq!(call(f, &[l(1), l(1), KqlValue::Null]), s(""));
    assert_eq!(call(f, &[l(1), l(1)]), call(f, &[l(1), l(1), l(11)]));

    let point = call("geo_s2cell_to_central_point", &[s("1234567")]);
    assert_point(point, 9.86830731850408, 27.468392925827604);
    assert_eq!(
        call("geo_s2cell_to_central_point", &[s("a")]),
        KqlValue::Null
    );
    assert_json(
        call("geo_s2cell_to_polygon", &[s("89c259")]),
        r#"{"type": "Polygon","coordinates": [[[-74.030012249838478, 40.8012684339439], [-74.030012249838478, 40.7222262918358], [-73.935982114337421, 40.708880489804564], [-73.935982114337421, 40.787917134506841], [-74.030012249838478, 40.8012684339439]]]}"#,
    );
    assert_eq!(call("geo_s2cell_to_polygon", &[s("a")]), KqlValue::Null);
    // The cells of three points at level 10, and their polygons.
    let cells: Vec<String> = [
        (-73.956683, 40.807907),
        (-73.916869, 40.818314),
        (-73.989148, 40.743273),
    ]
    .iter()
    .map(|&(lng, lat)| call(f, &[r(lng), r(lat), l(10)]).to_text())
    .collect();
    assert_json(
        call("geo_s2cell_to_polygon", &[s(&cells[0])]),
        r#"{"type": "Polygon", "coordinates": [[[-74.030012249838478, 40.880202851376716], [-74.030012249838478, 40.8012684339439], [-73.935982114337421, 40.787917134506841], [-73.935982114337421, 40.866846163445771], [-74.030012249838478, 40.880202851376716]]]}"#,
    );
    assert_eq!(cells[2], "89c259");
    assert_json(
        call("geo_s2cell_neighbors", &[s("89c259")]),
        r#"["89c25d","89c2f9","89c251","89c257","89c25f","89c25b","89c2f7","89c2f5"]"#,
    );
    assert_eq!(call("geo_s2cell_neighbors", &[s("a")]), KqlValue::Null);
}

#[test]
fn h3_cells() {
    let f = "geo_point_to_h3cell";
    assert_eq!(
        call(f, &[r(-74.04450446039874), r(40.689250859314974), l(6)]),
        s("862a1072fffffff")
    );
    assert_eq!(
        call(f, &[r(-73.956683), r(40.807907), l(5)]),
        s("852a100bfffffff")
    );
    assert_eq!(
        call(f, &[r(-73.916869), r(40.818314), l(5)]),
        s("852a100bfffffff")
    );
    assert_eq!(
        call(f, &[r(-73.989148), r(40.743273), l(5)]),
        s("852a1073fffffff")
    );
    assert_eq!(call(f, &[l(300), l(1), l(8)]), s(""));
    assert_eq!(call(f, &[l(1), l(1), l(16)]), s(""));
    assert_eq!(call(f, &[l(1), l(1), KqlValue::Null]), s(""));

    let cell = s("862a1072fffffff");
    assert_json(
        call("geo_h3cell_children", std::slice::from_ref(&cell)),
        r#"[ "872a10728ffffff", "872a10729ffffff", "872a1072affffff", "872a1072bffffff", "872a1072cffffff", "872a1072dffffff", "872a1072effffff" ]"#,
    );
    let KqlValue::Dynamic(Json::Array(grandchildren)) =
        call("geo_h3cell_children", &[cell.clone(), l(9)])
    else {
        panic!("no children");
    };
    assert_eq!(grandchildren.len(), 343);
    assert_eq!(call("geo_h3cell_children", &[s("abc")]), KqlValue::Null);
    let fine = call(f, &[l(1), l(1), l(9)]);
    assert_eq!(call("geo_h3cell_children", &[fine, l(15)]), KqlValue::Null);
    assert_eq!(
        call("geo_h3cell_children", &[cell.clone(), l(5)]),
        KqlValue::Null
    );

    assert_eq!(call("geo_h3cell_level", std::slice::from_ref(&cell)), l(6));
    assert_eq!(
        call("geo_h3cell_level", &[call(f, &[l(1), l(1), l(10)])]),
        l(10)
    );
    assert_eq!(call("geo_h3cell_level", &[s("abc")]), KqlValue::Null);

    assert_json(
        call("geo_h3cell_neighbors", std::slice::from_ref(&cell)),
        r#"["862a10727ffffff","862a10707ffffff","862a1070fffffff","862a10777ffffff","862a100dfffffff","862a100d7ffffff"]"#,
    );
    assert_eq!(call("geo_h3cell_neighbors", &[s("abc")]), KqlValue::Null);

    assert_eq!(
        call("geo_h3cell_parent", std::slice::from_ref(&cell)),
        s("852a1073fffffff")
    );
    assert_eq!(
        call("geo_h3cell_parent", &[cell.clone(), l(1)]),
        s("812a3ffffffffff")
    );
    let parent = call("geo_h3cell_parent", &[call(f, &[l(1), l(1), l(10)])]);
    assert_eq!(call("geo_h3cell_level", &[parent]), l(9));
    let parent = call("geo_h3cell_parent", &[call(f, &[l(1), l(1), l(10)]), l(3)]);
    assert_eq!(call("geo_h3cell_level", &[parent]), l(3));
    assert_eq!(call("geo_h3cell_parent", &[s("123")]), s(""));
    assert_eq!(call("geo_h3cell_parent", &[cell.clone(), l(100)]), s(""));
    assert_eq!(call("geo_h3cell_parent", &[cell.clone(), l(15)]), s(""));
    assert_eq!(call("geo_h3cell_parent", &[s("8001fffffffffff")]), s(""));

    assert_json(
        call("geo_h3cell_rings", &[s("861f8894fffffff"), l(2)]),
        r#"[["861f8894fffffff"],
            ["861f88947ffffff","861f8895fffffff","861f88867ffffff","861f8d497ffffff","861f8d4b7ffffff","861f8896fffffff"],
            ["861f88967ffffff","861f88977ffffff","861f88957ffffff","861f8882fffffff","861f88877ffffff","861f88847ffffff","861f8886fffffff","861f8d49fffffff","861f8d487ffffff","861f8d4a7ffffff","861f8d59fffffff","861f8d597ffffff"]]"#,
    );
    assert_eq!(call("geo_h3cell_rings", &[s("abc"), l(3)]), KqlValue::Null);
    assert_eq!(
        call("geo_h3cell_rings", &[s("861f8894fffffff"), l(150)]),
        KqlValue::Null
    );
    assert_eq!(
        call("geo_h3cell_rings", &[s("861f8894fffffff"), l(-1)]),
        KqlValue::Null
    );

    assert_point(
        call("geo_h3cell_to_central_point", std::slice::from_ref(&cell)),
        -74.016008479792447,
        40.7041679083504,
    );
    assert_eq!(
        call("geo_h3cell_to_central_point", &[s("1")]),
        KqlValue::Null
    );
    assert_json(
        call("geo_h3cell_to_polygon", &[cell]),
        r#"{"type": "Polygon","coordinates": [[[-74.0022744646159, 40.735376026215022], [-74.046908029686236, 40.727986222489115], [-74.060610712223664, 40.696775140349033],[  -74.029724408156682, 40.672970047595463], [-73.985140983708192, 40.680349049267583],[  -73.971393761028622, 40.71154393543933], [-74.0022744646159, 40.735376026215022]]]}"#,
    );
    assert_eq!(call("geo_h3cell_to_polygon", &[s("@")]), KqlValue::Null);
}

#[test]
fn from_wkt() {
    let f = "geo_from_wkt";
    assert_json(
        call(f, &[s("POINT (1 2)")]),
        r#"{"type": "Point","coordinates": [1,2]}"#,
    );
    assert_json(
        call(f, &[s("LINESTRING (1 2, 3 4)")]),
        r#"{"type": "LineString", "coordinates": [[1,2],[3,4]]}"#,
    );
    assert_json(
        call(f, &[s("POLYGON ((0 0, 2 0, 2 2, 0 0))")]),
        r#"{"type": "Polygon","coordinates": [[[0,0],[2,0],[2,2],[0,0]]]}"#,
    );
    assert_json(
        call(f, &[s("MULTIPOINT (1 1, 2 2, 3 3)")]),
        r#"{"type": "MultiPoint","coordinates": [[1,1],[2,2],[3,3]]}"#,
    );
    assert_json(
        call(f, &[s("MULTILINESTRING ((1 1, 2 2, 3 3), (4 4, 5 5))")]),
        r#"{"type":"MultiLineString","coordinates":[[[1,1],[2,2],[3,3]],[[4,4],[5,5]]]}"#,
    );
    assert_json(
        call(
            f,
            &[s(
                "MULTIPOLYGON (((0 0, 2 0, 2 2, 0 0)),((10 10, 12 10, 12 12, 10 10)))",
            )],
        ),
        r#"{"type": "MultiPolygon","coordinates": [[[[0,0],[2,0],[2,2],[0,0]]],[[[10,10],[12,10],[12,12],[10,10]]]]}"#,
    );
    assert_json(
        call(
            f,
            &[s(
                "GEOMETRYCOLLECTION (POINT (1 1),LINESTRING (2 2, 3 3, 4 4),POLYGON ((10 10, 12 10, 12 12, 10 10)))",
            )],
        ),
        r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,1]},{"type":"LineString","coordinates":[[2,2],[3,3],[4,4]]},{"type":"Polygon","coordinates":[[[10,10],[12,10],[12,12],[10,10]]]}]}"#,
    );
    assert_eq!(call(f, &[s("LINESTRING")]), KqlValue::Null);
    assert_eq!(call(f, &[s("")]), KqlValue::Null);
}

#[test]
fn point_in_polygon() {
    let f = "geo_point_in_polygon";
    let manhattan = d(MANHATTAN);
    for (lng, lat, inside) in [
        (-73.985654, 40.748487, true),  // Empire State Building
        (-73.963249, 40.779525, false), // The Met, in the Central Park hole
        (-73.874367, 40.777356, false), // LaGuardia Airport
    ] {
        assert_eq!(
            call(f, &[r(lng), r(lat), manhattan.clone()]),
            KqlValue::Bool(inside)
        );
    }
    let neighborhoods = d(NYC_NEIGHBORHOODS);
    for (lng, lat, inside) in [
        (-73.9741, 40.7914, true),
        (-73.9950, 40.7340, true),
        (-73.8743, 40.7773, false),
    ] {
        let args = [r(lng), r(lat), neighborhoods.clone()];
        assert_eq!(call(f, &args), KqlValue::Bool(inside));
    }
    let triangle = d(r#"{"type": "Polygon","coordinates": [[[0,0],[10,10],[10,1],[0,0]]]}"#);
    assert_eq!(call(f, &[l(200), l(1), triangle.clone()]), KqlValue::Null);
    assert_eq!(call(f, &[l(9), l(5), triangle]), KqlValue::Bool(true));
    assert_eq!(call(f, &[l(1), l(1), d(BAD_POLYGON)]), KqlValue::Null);
    assert_eq!(
        call(f, &[l(1), l(1), d(r#"{"type":"Polygon"}"#)]),
        KqlValue::Null
    );
    assert_eq!(call(f, &[l(1), l(1), s("Polygon")]), KqlValue::Null);
}

#[test]
fn distances_to_shapes() {
    let park = d(CENTRAL_PARK);
    assert_real(
        call(
            "geo_distance_point_to_polygon",
            &[r(-73.9839), r(40.7705), park.clone()],
        ),
        259.940756070596,
    );
    let neighborhoods = d(NYC_NEIGHBORHOODS);
    for (lng, lat, meters) in [
        (-73.9741, 40.7914, 0.0),
        (-73.9950, 40.7340, 0.0),
        (-73.8743, 40.7773, 5702.15731467514),
    ] {
        let args = [r(lng), r(lat), neighborhoods.clone()];
        assert_real(call("geo_distance_point_to_polygon", &args), meters);
    }
    let triangle = d(r#"{"type": "Polygon","coordinates": [[[0,0],[10,10],[10,1],[0,0]]]}"#);
    assert_eq!(
        call("geo_distance_point_to_polygon", &[l(500), l(1), triangle]),
        KqlValue::Null
    );
    assert_eq!(
        call(
            "geo_distance_point_to_polygon",
            &[l(1), l(1), d(BAD_POLYGON)]
        ),
        KqlValue::Null
    );
    assert_point(
        call(
            "geo_closest_point_on_polygon",
            &[r(-73.9839), r(40.7705), park.clone()],
        ),
        -73.981205580153926,
        40.769359452843211,
    );
    // Inside: the point itself.
    assert_point(
        call("geo_closest_point_on_polygon", &[r(-73.97), r(40.78), park]),
        -73.97,
        40.78,
    );

    let road = d(LAS_VEGAS_ROAD);
    assert_real(
        call(
            "geo_distance_point_to_line",
            &[r(-115.199625), r(36.210419), road.clone()],
        ),
        3797.88887253334,
    );
    assert_point(
        call(
            "geo_closest_point_on_line",
            &[r(-115.199625), r(36.210419), road],
        ),
        -115.192612,
        36.176736,
    );
    let short = d(r#"{ "type":"LineString","coordinates":[[1,1],[2,2]]}"#);
    assert_eq!(
        call("geo_distance_point_to_line", &[l(300), l(3), short.clone()]),
        KqlValue::Null
    );
    assert_eq!(
        call("geo_closest_point_on_line", &[l(300), l(3), short]),
        KqlValue::Null
    );
    let bare = d(r#"{ "type":"LineString"}"#);
    assert_eq!(
        call("geo_distance_point_to_line", &[l(1), l(1), bare.clone()]),
        KqlValue::Null
    );
    assert_eq!(
        call("geo_closest_point_on_line", &[l(1), l(1), bare]),
        KqlValue::Null
    );
}

#[test]
fn polygon_measures() {
    let park = d(CENTRAL_PARK);
    assert_real(
        call("geo_polygon_area", std::slice::from_ref(&park)),
        3475207.28346606,
    );
    assert_real(
        call("geo_polygon_perimeter", std::slice::from_ref(&park)),
        9930.30149604938,
    );
    assert_point(
        call("geo_polygon_centroid", &[park]),
        -73.965735689907618,
        40.782550538057812,
    );
    for f in [
        "geo_polygon_area",
        "geo_polygon_perimeter",
        "geo_polygon_centroid",
    ] {
        assert_eq!(call(f, &[d(BAD_POLYGON)]), KqlValue::Null, "{f}");
    }
    // Overlapping polygons are measured as their union, which is not computed here.
    let overlapping = d(
        r#"{"type":"MultiPolygon","coordinates":[[[[-73.9495,40.7969],[-73.95807266235352,40.80068603561921],[-73.98201942443848,40.76825672305777],[-73.97317886352539,40.76455136505513],[-73.9495,40.7969]]],[[[-73.94262313842773,40.775991804565585],[-73.98107528686523,40.791849155467695],[-73.99600982666016,40.77092185281977],[-73.96150588989258,40.75609977566361],[-73.94262313842773,40.775991804565585]]]]}"#,
    );
    let area = super::FUNCTIONS
        .iter()
        .find(|f| f.name == "geo_polygon_area")
        .unwrap();
    assert!((area.eval)(&[overlapping]).is_err());
    // Disjoint ones add up; a shared edge is not part of the union's boundary.
    let two = d(
        r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[1,0],[2,0],[2,1],[1,1],[1,0]]]]}"#,
    );
    let one = d(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#);
    let (KqlValue::Real(a2), KqlValue::Real(a1)) = (
        call("geo_polygon_area", std::slice::from_ref(&two)),
        call("geo_polygon_area", std::slice::from_ref(&one)),
    ) else {
        panic!("no areas");
    };
    assert!((a2 / a1 - 2.0).abs() < 1e-3);
    let (KqlValue::Real(p2), KqlValue::Real(p1)) = (
        call("geo_polygon_perimeter", &[two]),
        call("geo_polygon_perimeter", &[one]),
    ) else {
        panic!("no perimeters");
    };
    assert!((p2 / p1 - 1.5).abs() < 1e-3, "{p2} {p1}");
}

#[test]
fn line_measures() {
    let line = d(
        r#"{"type":"LineString","coordinates":[[-73.95807266235352,40.800426144169315],[-73.94966125488281,40.79691751000055],[-73.97317886352539,40.764486356930334]]}"#,
    );
    assert_real(call("geo_line_length", &[line]), 4922.48016992081);
    let multi = d(
        r#"{"type":"MultiLineString","coordinates":[[[-73.95798683166502,40.800556090021466],[-73.98193359375,40.76819171855746]],[[-73.94940376281738,40.79691751000055],[-73.97317886352539,40.76435634049001]]]}"#,
    );
    assert_real(call("geo_line_length", &[multi]), 8262.24339753741);
    let bad = d(r#"{"type":"LineString","coordinates":[[1, 1]]}"#);
    assert_eq!(
        call("geo_line_length", std::slice::from_ref(&bad)),
        KqlValue::Null
    );
    assert_eq!(
        call("geo_line_centroid", std::slice::from_ref(&bad)),
        KqlValue::Null
    );

    let two =
        d(r#"{"type":"LineString","coordinates":[[-73.95796, 40.80042], [-73.97317, 40.764486]]}"#);
    assert_point(
        call("geo_line_centroid", std::slice::from_ref(&two)),
        -73.965567057230942,
        40.782453249627416,
    );
    let five = d(
        r#"{"type":"LineString","coordinates":[[-73.95807266235352,40.800426144169315],[-73.94966125488281,40.79691751000055],[-73.97317886352539,40.764486356930334],[-73.98210525512695,40.76786669510221],[-73.96004676818848,40.7980870753293]]}"#,
    );
    let KqlValue::Dynamic(centroid) = call("geo_line_centroid", &[five]) else {
        panic!("no centroid");
    };
    let lng = centroid["coordinates"][0].as_f64().unwrap();
    assert!((lng - -73.9660675626837).abs() < 1e-12, "{lng}");

    assert_real(
        call(
            "geo_line_locate_point",
            &[two.clone(), r(-73.965), r(40.792)],
        ),
        0.25560135100307552,
    );
    assert_eq!(
        call("geo_line_locate_point", &[bad.clone(), l(1), l(1)]),
        KqlValue::Null
    );
    assert_point(
        call("geo_line_interpolate_point", &[two.clone(), r(0.25)]),
        -73.961764043218281,
        40.791436687257232,
    );
    assert_point(
        call("geo_line_interpolate_point", &[two.clone(), l(0)]),
        -73.95796,
        40.80042,
    );
    assert_eq!(
        call("geo_line_interpolate_point", &[two, r(1.5)]),
        KqlValue::Null
    );
    assert_eq!(
        call("geo_line_interpolate_point", &[bad, r(0.5)]),
        KqlValue::Null
    );
}

#[test]
fn densify() {
    let f = "geo_line_densify";
    let short =
        r#"{"type":"LineString","coordinates":[[-73.949247, 40.796860],[-73.973017, 40.764323]]}"#;
    assert_json(call(f, &[d(short)]), short);
    assert_json(
        call(
            f,
            &[d(
                r#"{"type":"LineString","coordinates":[[50, 50], [51, 51]]}"#,
            )],
        ),
        r#"{"type":"LineString","coordinates":[[50,50],[50.125,50.125],[50.25,50.25],[50.375,50.375],[50.5,50.5],[50.625,50.625],[50.75,50.75],[50.875,50.875],[51,51]]}"#,
    );
    assert_eq!(
        call(
            f,
            &[d(r#"{"type":"LineString","coordinates":[[300,1],[1,1]]}"#)]
        ),
        KqlValue::Null
    );
    let line = d(r#"{"type":"LineString","coordinates":[[1,1],[2,2]]}"#);
    assert_eq!(call(f, &[line.clone(), l(0)]), KqlValue::Null);
    assert_eq!(call(f, &[line, r(10_001.0)]), KqlValue::Null);
    // Across the antimeridian when asked: two degrees of longitude, not 358.
    let crossing = d(r#"{"type":"LineString","coordinates":[[179,60],[-179,60]]}"#);
    let KqlValue::Dynamic(kept) = call(f, &[crossing, l(10), KqlValue::Bool(true)]) else {
        panic!("no line");
    };
    let points = kept["coordinates"].as_array().unwrap();
    assert!(points.len() > 2 && points.len() < 64, "{}", points.len());
    assert!(points.iter().all(|p| p[0].as_f64().unwrap().abs() >= 179.0));

    let f = "geo_polygon_densify";
    let park = r#"{"type":"Polygon","coordinates":[[[-73.958244,40.800719],[-73.949146,40.79695],[-73.973093,40.764226],[-73.982062,40.768159],[-73.958244,40.800719]]]}"#;
    assert_json(call(f, &[d(park)]), park);
    assert_json(
        call(
            f,
            &[d(
                r#"{"type":"Polygon","coordinates":[[[10,10],[11,10],[11,11],[10,11],[10,10]]]}"#,
            )],
        ),
        r#"{"type":"Polygon","coordinates":[[[10,10],[10.25,10],[10.5,10],[10.75,10],[11,10],[11,11],[10.75,11],[10.5,11],[10.25,11],[10,11],[10,10]]]}"#,
    );
    assert_eq!(
        call(
            f,
            &[d(
                r#"{"type":"Polygon","coordinates":[[[10,900],[11,10],[11,11],[10,11],[10,10]]]}"#
            )]
        ),
        KqlValue::Null
    );
    let square =
        d(r#"{"type":"Polygon","coordinates":[[[10,10],[11,10],[11,11],[10,11],[10,10]]]}"#);
    assert_eq!(call(f, &[square, l(0)]), KqlValue::Null);
}

#[test]
fn intersects() {
    let line1 =
        d(r#"{"type":"LineString","coordinates":[[-73.978929,40.785155],[-73.980903,40.782621]]}"#);
    let line2 =
        d(r#"{"type":"LineString","coordinates":[[-73.985195,40.788275],[-73.974552,40.779761]]}"#);
    let lone = d(r#"{"type":"LineString","coordinates":[[-73.985195,40.788275]]}"#);
    assert_eq!(
        call("geo_intersects_2lines", &[line1.clone(), line2.clone()]),
        KqlValue::Bool(true)
    );
    assert_eq!(
        call("geo_intersects_2lines", &[line1.clone(), lone.clone()]),
        KqlValue::Null
    );
    let apart = d(r#"{"type":"LineString","coordinates":[[1, 1],[2, 2]]}"#);
    assert_eq!(
        call("geo_intersects_2lines", &[line1.clone(), apart]),
        KqlValue::Bool(false)
    );

    let polygon1 = d(
        r#"{"type":"Polygon","coordinates":[[[-73.9630937576294,40.77498840732385],[-73.963565826416,40.774383111780914],[-73.96205306053162,40.773745311181585],[-73.96160781383514,40.7743912365898],[-73.9630937576294,40.77498840732385]]]}"#,
    );
    let polygon2 = d(
        r#"{"type":"Polygon","coordinates":[[[-73.96213352680206,40.775045280447145],[-73.9631313085556,40.774578106920345],[-73.96207988262177,40.77416780398293],[-73.96213352680206,40.775045280447145]]]}"#,
    );
    assert_eq!(
        call("geo_intersects_2polygons", &[polygon1, polygon2.clone()]),
        KqlValue::Bool(true)
    );
    let invalid = d(r#"{"type":"Polygon"}"#);
    assert_eq!(
        call("geo_intersects_2polygons", &[invalid, d(CENTRAL_PARK)]),
        KqlValue::Null
    );
    assert_eq!(
        call("geo_intersects_2polygons", &[polygon2, d(CENTRAL_PARK)]),
        KqlValue::Bool(false)
    );

    let triangle = d(
        r#"{"type":"Polygon","coordinates":[[[-73.9712905883789,40.78580561168767],[-73.98004531860352,40.775276834803655],[-73.97000312805176,40.77852663535664],[-73.9712905883789,40.78580561168767]]]}"#,
    );
    assert_eq!(
        call(
            "geo_intersects_line_with_polygon",
            &[line2, triangle.clone()]
        ),
        KqlValue::Bool(true)
    );
    assert_eq!(
        call("geo_intersects_line_with_polygon", &[lone, triangle]),
        KqlValue::Null
    );
}

#[test]
fn intersections() {
    let f = "geo_intersection_2lines";
    let line1 =
        d(r#"{"type":"LineString","coordinates":[[-73.978929,40.785155],[-73.980903,40.782621]]}"#);
    let line2 =
        d(r#"{"type":"LineString","coordinates":[[-73.985195,40.788275],[-73.974552,40.779761]]}"#);
    assert_point(
        call(f, &[line1.clone(), line2.clone()]),
        -73.979837116670978,
        40.783989289772165,
    );
    assert_json(
        call(f, &[line1.clone(), line1]),
        r#"{"type": "LineString","coordinates": [[ -73.978929, 40.785155],[ -73.980903, 40.782621]]}"#,
    );
    let a = d(r#"{"type":"LineString","coordinates":[[1, 1],[2, 2]]}"#);
    let b = d(r#"{"type":"LineString","coordinates":[[3, 3],[4, 4]]}"#);
    assert_json(
        call(f, &[a.clone(), b]),
        r#"{"type": "GeometryCollection", "geometries": []}"#,
    );
    let lone = d(r#"{"type":"LineString","coordinates":[[3, 3]]}"#);
    assert_eq!(call(f, &[a, lone]), KqlValue::Null);

    let f = "geo_intersection_line_with_polygon";
    let triangle = d(
        r#"{"type":"Polygon","coordinates":[[[-73.9712905883789,40.78580561168767],[-73.98004531860352,40.775276834803655],[-73.97000312805176,40.77852663535664],[-73.9712905883789,40.78580561168767]]]}"#,
    );
    assert_json(
        call(f, &[line2, triangle.clone()]),
        r#"{"type": "LineString","coordinates": [[-73.975611956578192,40.78060906714618],[-73.974552,40.779761]]}"#,
    );
    let long = d(r#"{"type":"LineString","coordinates":[[-110.522, 39.198],[-91.428, 40.880]]}"#);
    let holed = d(
        r#"{"type":"Polygon","coordinates":[[[-90.263,36.738],[-102.041,45.274],[-109.335,36.527],[-90.263,36.738]],[[-100.393,41.705],[-103.139,38.925],[-97.558,39.113],[-100.393,41.705]]]}"#,
    );
    assert_json(
        call(f, &[long, holed]),
        r#"{"type": "MultiLineString","coordinates": [[[  -106.89353655881905,  39.769226209776306],[  -101.74448553679453,  40.373506008712525]],[[-99.136499431328858,  40.589336512699994],[-95.284527737311791,  40.799060242246348]]]}"#,
    );
    let far = d(r#"{"type":"LineString","coordinates":[[1, 1],[2, 2]]}"#);
    assert_json(
        call(f, &[far, triangle]),
        r#"{"type": "GeometryCollection","geometries": []}"#,
    );
    let inside = d(
        r#"{"type":"LineString","coordinates":[[-73.97159099578857,40.794513338780895],[-73.96738529205322,40.792758888618756],[-73.96978855133057,40.789769718601505]]}"#,
    );
    assert_eq!(
        call(f, &[inside, d(r#"{"type":"Polygon","coordinates":[]}"#)]),
        KqlValue::Null
    );
}

#[test]
fn union_lines() {
    let f = "geo_union_lines_array";
    let lines = d(r#"[
        {"type":"LineString","coordinates":[[-73.95683884620665,40.80502891480884],[-73.95633727312088,40.8057171711177],[-73.95489156246185,40.80510200431311]]},
        {"type":"LineString","coordinates":[[-73.95633727312088,40.8057171711177],[-73.95489156246185,40.80510200431311],[-73.95537436008453,40.804413741624515]]},
        {"type":"LineString","coordinates":[[-73.95633727312088,40.8057171711177],[-73.95489156246185,40.80510200431311]]}]"#);
    assert_json(
        call(f, &[lines]),
        r#"{"type": "LineString", "coordinates": [[-73.956838846206651, 40.805028914808844], [-73.95633727312088, 40.8057171711177], [ -73.954891562461853, 40.80510200431312], [-73.955374360084534, 40.804413741624522]]}"#,
    );
    let invalid = d(r#"[
        {"type":"LineString","coordinates":[[-73.95683884620665,40.80502891480884],[-73.95633727312088,40.8057171711177]]},
        {"type":"LineString","coordinates":[[1, 1]]}]"#);
    assert_eq!(call(f, &[invalid]), KqlValue::Null);
    assert_eq!(call(f, &[d("[]")]), KqlValue::Null);
    let points = d(r#"[{"type":"LineString","coordinates":[[1, 1],[1, 1]]}]"#);
    assert_eq!(call(f, &[points]), KqlValue::Null);
    // Lines that only meet at a vertex stay apart.
    let cross = d(r#"[
        {"type":"LineString","coordinates":[[0, 0],[1, 1],[2, 2]]},
        {"type":"LineString","coordinates":[[0, 2],[1, 1],[2, 0]]}]"#);
    let KqlValue::Dynamic(union) = call(f, &[cross]) else {
        panic!("no union");
    };
    assert_eq!(union["type"], "MultiLineString");
    assert_eq!(union["coordinates"].as_array().unwrap().len(), 4);
}

#[test]
fn s2_coverings() {
    let f = "geo_polygon_to_s2cells";
    let triangle = d(r#"{"type":"Polygon","coordinates":[[[0,0],[0,50],[100,50],[0,0]]]}"#);
    let KqlValue::Dynamic(Json::Array(cells)) = call(f, &[triangle.clone(), l(5)]) else {
        panic!("no covering");
    };
    assert_eq!(cells.len(), 286);
    assert_eq!(call(f, &[triangle, l(30)]), KqlValue::Null);
    // A point's cell is in the covering of a polygon holding it.
    let park = d(CENTRAL_PARK);
    let KqlValue::Dynamic(Json::Array(cells)) = call(f, &[park.clone(), l(16)]) else {
        panic!("no covering");
    };
    let cell = call("geo_point_to_s2cell", &[r(-73.965), r(40.782), l(16)]);
    assert!(cells.contains(&Json::String(cell.to_text())));
    // A radius widens the covering.
    let KqlValue::Dynamic(Json::Array(wider)) = call(f, &[park, l(16), l(500)]) else {
        panic!("no covering");
    };
    assert!(wider.len() > cells.len());

    let f = "geo_line_to_s2cells";
    let bad = d(r#"{"type":"LineString","coordinates":[[[0,0],[0,0]]]}"#);
    assert_eq!(call(f, &[bad]), KqlValue::Null);
    let road = d(LAS_VEGAS_ROAD);
    let KqlValue::Dynamic(Json::Array(cells)) = call(f, &[road, l(14)]) else {
        panic!("no covering");
    };
    let cell = call(
        "geo_point_to_s2cell",
        &[r(-115.192612), r(36.176736), l(14)],
    );
    assert!(cells.contains(&Json::String(cell.to_text())));
}

#[test]
fn point_buffer() {
    let f = "geo_point_buffer";
    assert_eq!(call(f, &[l(200), l(1), r(0.1)]), KqlValue::Null);
    assert_eq!(call(f, &[l(10), l(10), l(-1)]), KqlValue::Null);
    assert_eq!(call(f, &[l(10), l(10), l(1000), r(0.0001)]), KqlValue::Null);
    let buffer = call(f, &[r(-115.1745008278), r(36.1497251277), l(20000)]);
    for (lng, lat, inside) in [
        (-115.1745008278, 36.1497251277 + 0.179, true),
        (-115.1745008278, 36.1497251277 + 0.181, false),
    ] {
        let args = [r(lng), r(lat), buffer.clone()];
        assert_eq!(call("geo_point_in_polygon", &args), KqlValue::Bool(inside));
    }
}

#[test]
fn ip_location_is_not_a_row_function() {
    // It needs Microsoft's IP location data: the planner refuses it by name.
    assert!(
        !super::FUNCTIONS
            .iter()
            .any(|f| f.name == "geo_info_from_ip_address")
    );
}

#[test]
fn simplify() {
    let f = "geo_line_simplify";
    let line = d(
        r#"{"type":"LineString","coordinates":[[-73.97033169865608,40.789063020152824],[-73.97039607167244,40.78897975920816],[-73.9704617857933,40.78888837512432],[-73.97052884101868,40.7887949601531],[-73.9706052839756,40.788698498903564],[-73.97065222263336,40.78862640672032],[-73.97072866559029,40.78852791445617],[-73.97079303860664,40.788434498977836]]}"#,
    );
    assert_json(
        call(f, &[line.clone(), l(10)]),
        r#"{"type": "LineString", "coordinates": [[-73.97033169865608, 40.789063020152824], [-73.97079303860664, 40.788434498977836]]}"#,
    );
    // A tolerance of zero keeps every vertex that is not exactly on the way.
    let KqlValue::Dynamic(kept) = call(f, &[line, l(0)]) else {
        panic!("no line");
    };
    assert!(kept["coordinates"].as_array().unwrap().len() > 2);
    let lone = d(r#"{"type":"LineString","coordinates":[[1, 1]]}"#);
    assert_eq!(call(f, &[lone]), KqlValue::Null);
    let short = d(r#"{"type":"LineString","coordinates":[[1, 1],[2,2]]}"#);
    assert_eq!(call(f, &[short, l(-1)]), KqlValue::Null);
    let small = d(r#"{"type":"LineString","coordinates":[[1.1, 1.1],[1.2,1.2]]}"#);
    assert_eq!(call(f, &[small, l(100000)]), KqlValue::Null);

    let f = "geo_polygon_simplify";
    let polygon = d(
        r#"{"type":"Polygon","coordinates":[[[-73.94885122776031,40.79673476355657],[-73.94885927438736,40.79692258628347],[-73.94887939095497,40.79692055577034],[-73.9488673210144,40.79693476936093],[-73.94888743758202,40.79693476936093],[-73.9488834142685,40.796959135509105],[-73.94890084862709,40.79695304397289],[-73.94906312227248,40.79710736271788],[-73.94923612475395,40.7968708081794],[-73.94885122776031,40.79673476355657]]]}"#,
    );
    assert_json(
        call(f, &[polygon]),
        r#"{"type": "Polygon", "coordinates": [[[-73.948851227760315, 40.796734763556572],[-73.949063122272477, 40.797107362717881],[-73.949236124753952, 40.7968708081794],[-73.948851227760315, 40.796734763556572]]]}"#,
    );
    assert_eq!(
        call(
            f,
            &[d(r#"{"type":"Polygon","coordinates":[[[5,48],[5,48]]]}"#)]
        ),
        KqlValue::Null
    );
    let pentagon = d(r#"{"type":"Polygon","coordinates":[[[5,48],[0,50],[0,47],[4,47],[5,48]]]}"#);
    assert_eq!(call(f, &[pentagon.clone(), r(-0.1)]), KqlValue::Null);
    assert_eq!(call(f, &[pentagon.clone(), l(1000000)]), KqlValue::Null);
    assert_json(call(f, &[pentagon.clone(), l(1)]), &pentagon.to_text());

    let f = "geo_simplify_polygons_array";
    let three = d(r#"[
        {"type":"Polygon","coordinates":[[[-73.9495,40.7969],[-73.95807,40.80068],[-73.98201,40.76825],[-73.97317,40.76455],[-73.9495,40.7969]]]},
        {"type":"Polygon","coordinates":[[[-73.94622,40.79249],[-73.96888,40.79282],[-73.9577,40.7789],[-73.94622,40.79249]]]},
        {"type":"Polygon","coordinates":[[[-73.97335,40.77274],[-73.9936,40.76630],[-73.97171,40.75655],[-73.97335,40.77274]]]}]"#);
    assert_eq!(call(f, &[three.clone(), l(-1)]), KqlValue::Null);
    assert_eq!(call(f, &[three.clone(), l(10000)]), KqlValue::Null);
    let simplify = super::FUNCTIONS
        .iter()
        .find(|f| f.name == "geo_simplify_polygons_array")
        .unwrap();
    assert!((simplify.eval)(&[three]).is_err(), "overlapping polygons");
    let invalid = d(r#"[
        {"type":"Polygon","coordinates":[[[-73.9495,40.7969],[-73.95807,40.80068],[-73.98201,40.76825],[-73.97317,40.76455],[-73.9495,40.7969]]]},
        {"type":"Polygon","coordinates":[[[-73.94622,40.79249]]]}]"#);
    assert_eq!(call(f, &[invalid]), KqlValue::Null);
    let apart = d(r#"[
        {"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]},
        {"type":"Polygon","coordinates":[[[5,5],[6,5],[6,6],[5,6],[5,5]]]}]"#);
    assert_json(
        call(f, &[apart]),
        r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,6],[5,5]]]]}"#,
    );
}

#[test]
fn polygon_to_h3cells() {
    let f = "geo_polygon_to_h3cells";
    let madrid = d(
        r#"{"type":"Polygon","coordinates":[[[-3.659,40.553],[-3.913,40.409],[-3.729,40.273],[-3.524,40.440],[-3.659,40.553]]]}"#,
    );
    let KqlValue::Dynamic(Json::Array(cells)) = call(f, std::slice::from_ref(&madrid)) else {
        panic!("no cells");
    };
    let mut cells: Vec<String> = cells
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    cells.sort();
    let mut documented: Vec<&str> = vec![
        "86390cb57ffffff",
        "86390cb0fffffff",
        "86390ca27ffffff",
        "86390cb87ffffff",
        "86390cb07ffffff",
        "86390ca2fffffff",
        "86390ca37ffffff",
        "86390cb17ffffff",
        "86390cb1fffffff",
        "86390cb8fffffff",
        "86390cba7ffffff",
        "86390ca07ffffff",
        "86390cbafffffff",
    ];
    documented.sort();
    assert_eq!(cells, documented);
    let line = d(r#"{"type":"Polygon","coordinates":[[[0,0],[1,1]]]}"#);
    assert_eq!(call(f, &[line]), KqlValue::Null);
    assert_eq!(call(f, &[madrid.clone(), l(16)]), KqlValue::Null);
    // Too many cells.
    assert_eq!(call(f, &[madrid, l(15)]), KqlValue::Null);
}

#[test]
fn odd_input_never_panics() {
    let odd = [
        KqlValue::Null,
        s(""),
        s("zzzz"),
        s("ffffffffffffffff"),
        l(i64::MAX),
        l(i64::MIN),
        r(f64::NAN),
        r(f64::INFINITY),
        r(-0.0),
        r(90.0),
        r(-180.0),
        d("{}"),
        d("[]"),
        d(r#"[[1,2],[3]]"#),
        d(r#"{"type":"Point","coordinates":[1,2]}"#),
        d(r#"{"type":"LineString","coordinates":[[0,0],[0,0],[0,0]]}"#),
        d(r#"{"type":"LineString","coordinates":[[0,0],[180,0]]}"#),
        d(r#"{"type":"MultiLineString","coordinates":[]}"#),
        d(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[2,0],[0,0]]]}"#),
        d(r#"{"type":"Polygon","coordinates":[[[-180,-90],[180,-90],[0,90],[-180,-90]]]}"#),
        d(
            r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,0],[1,1],[0,0]]]]}"#,
        ),
        d(
            r#"[{"type":"LineString","coordinates":[[0,0],[1,1]]},{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}]"#,
        ),
        KqlValue::Bool(true),
    ];
    for function in super::FUNCTIONS {
        for first in &odd {
            for second in &odd {
                let mut args: Vec<KqlValue> = (0..function.params.len())
                    .map(|k| {
                        if k == 0 {
                            first.clone()
                        } else {
                            second.clone()
                        }
                    })
                    .collect();
                let _ = (function.eval)(&args);
                args.truncate(function.required);
                let _ = (function.eval)(&args);
            }
        }
    }
}

#[test]
fn centroid_of_overlapping_convex_polygons_is_their_unions() {
    // geo-polygon-centroid-function.md, the third example: two overlapping quadrilaterals.
    let polygons = d(
        r#"{"type":"MultiPolygon","coordinates":[[[[-73.9495,40.7969],[-73.95807266235352,40.80068603561921],[-73.98201942443848,40.76825672305777],[-73.97317886352539,40.76455136505513],[-73.9495,40.7969]]],[[[-73.94262313842773,40.775991804565585],[-73.98107528686523,40.791849155467695],[-73.99600982666016,40.77092185281977],[-73.96150588989258,40.75609977566361],[-73.94262313842773,40.775991804565585]]]]}"#,
    );
    let KqlValue::Dynamic(point) = call("geo_polygon_centroid", &[polygons]) else {
        panic!("no centroid");
    };
    let lng = point["coordinates"][0].as_f64().unwrap_or(f64::NAN);
    let lat = point["coordinates"][1].as_f64().unwrap_or(f64::NAN);
    assert!((lng - -73.968569587829577).abs() < 1e-7, "{lng}");
    assert!((lat - 40.776310752555119).abs() < 1e-7, "{lat}");
    // A polygon inside another adds nothing: the union is the outer one.
    let nested = d(
        r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[4,0],[4,4],[0,4],[0,0]]],[[[1,1],[2,1],[2,2],[1,2],[1,1]]]]}"#,
    );
    let outer = d(r#"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]]]}"#);
    let coordinates = |value: KqlValue| match value {
        KqlValue::Dynamic(point) => [
            point["coordinates"][0].as_f64().unwrap_or(f64::NAN),
            point["coordinates"][1].as_f64().unwrap_or(f64::NAN),
        ],
        _ => [f64::NAN, f64::NAN],
    };
    let union = coordinates(call("geo_polygon_centroid", &[nested]));
    let alone = coordinates(call("geo_polygon_centroid", &[outer]));
    assert!((union[0] - alone[0]).abs() < 1e-9, "{union:?} {alone:?}");
    assert!((union[1] - alone[1]).abs() < 1e-9, "{union:?} {alone:?}");
    // Overlapping polygons that are not convex are still refused.
    let concave = d(
        r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[4,0],[4,4],[2,1],[0,4],[0,0]]],[[[1,0.5],[3,0.5],[3,3],[1,3],[1,0.5]]]]}"#,
    );
    let centroid = super::FUNCTIONS
        .iter()
        .find(|f| f.name == "geo_polygon_centroid")
        .map(|f| (f.eval)(&[concave]));
    assert!(matches!(centroid, Some(Err(_))), "{centroid:?}");
}
