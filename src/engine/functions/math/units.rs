//! The units of `convert_angle()` … `convert_volume()`, as each page lists them. Kusto converts
//! with the UnitsNet library (4.x, whose unit names the pages list, e.g. `KilousGallon`); each
//! unit here carries that library's definition of the unit — how a value becomes the
//! quantity's base unit and back, with the same constants and order of operations, so results
//! agree to the last digit. Prefixed units (`Kilometer`) scale their unit's conversion.

use std::f64::consts::PI;

/// One unit of a quantity.
pub(super) struct Unit {
    /// The name, as the page spells it (matched exactly).
    pub name: &'static str,
    /// A value in this unit, in the quantity's base unit.
    pub to_base: fn(f64) -> f64,
    /// A value in the base unit, in this unit.
    pub from_base: fn(f64) -> f64,
}

/// The units of `convert-angle-function.md`.
pub(super) const ANGLE: &[Unit] = &[
    Unit {
        name: "Arcminute",
        to_base: |x| x / 60.0,
        from_base: |x| x * 60.0,
    },
    Unit {
        name: "Arcsecond",
        to_base: |x| x / 3600.0,
        from_base: |x| x * 3600.0,
    },
    Unit {
        name: "Centiradian",
        to_base: |x| (x * 180.0 / PI) * 0.01,
        from_base: |x| (x / 180.0 * PI) / 0.01,
    },
    Unit {
        name: "Deciradian",
        to_base: |x| (x * 180.0 / PI) * 0.1,
        from_base: |x| (x / 180.0 * PI) / 0.1,
    },
    Unit {
        name: "Degree",
        to_base: |x| x,
        from_base: |x| x,
    },
    Unit {
        name: "Gradian",
        to_base: |x| x * 0.9,
        from_base: |x| x / 0.9,
    },
    Unit {
        name: "Microdegree",
        to_base: |x| x * 1e-06,
        from_base: |x| x / 1e-06,
    },
    Unit {
        name: "Microradian",
        to_base: |x| (x * 180.0 / PI) * 1e-06,
        from_base: |x| (x / 180.0 * PI) / 1e-06,
    },
    Unit {
        name: "Millidegree",
        to_base: |x| x * 0.001,
        from_base: |x| x / 0.001,
    },
    Unit {
        name: "Milliradian",
        to_base: |x| (x * 180.0 / PI) * 0.001,
        from_base: |x| (x / 180.0 * PI) / 0.001,
    },
    Unit {
        name: "Nanodegree",
        to_base: |x| x * 1e-09,
        from_base: |x| x / 1e-09,
    },
    Unit {
        name: "Nanoradian",
        to_base: |x| (x * 180.0 / PI) * 1e-09,
        from_base: |x| (x / 180.0 * PI) / 1e-09,
    },
    Unit {
        name: "NatoMil",
        to_base: |x| x * 9.0 / 160.0,
        from_base: |x| x * 160.0 / 9.0,
    },
    Unit {
        name: "Radian",
        to_base: |x| x * 180.0 / PI,
        from_base: |x| x / 180.0 * PI,
    },
    Unit {
        name: "Revolution",
        to_base: |x| x * 360.0,
        from_base: |x| x / 360.0,
    },
    Unit {
        name: "Tilt",
        to_base: |x| x.asin() * 180.0 / PI,
        from_base: |x| (x / 180.0 * PI).sin(),
    },
];

/// The units of `convert-energy-function.md`.
pub(super) const ENERGY: &[Unit] = &[
    Unit {
        name: "BritishThermalUnit",
        to_base: |x| x * 1055.05585262,
        from_base: |x| x / 1055.05585262,
    },
    Unit {
        name: "Calorie",
        to_base: |x| x * 4.184,
        from_base: |x| x / 4.184,
    },
    Unit {
        name: "DecathermEc",
        to_base: |x| (x * 105505585.262) * 10.0,
        from_base: |x| (x / 105505585.262) / 10.0,
    },
    Unit {
        name: "DecathermImperial",
        to_base: |x| (x * 105505585.257348) * 10.0,
        from_base: |x| (x / 105505585.257348) / 10.0,
    },
    Unit {
        name: "DecathermUs",
        to_base: |x| (x * 105480400.0) * 10.0,
        from_base: |x| (x / 105480400.0) / 10.0,
    },
    Unit {
        name: "ElectronVolt",
        to_base: |x| x * 1.602176565e-19,
        from_base: |x| x / 1.602176565e-19,
    },
    Unit {
        name: "Erg",
        to_base: |x| x * 1e-07,
        from_base: |x| x / 1e-07,
    },
    Unit {
        name: "FootPound",
        to_base: |x| x * 1.355817948,
        from_base: |x| x / 1.355817948,
    },
    Unit {
        name: "GigabritishThermalUnit",
        to_base: |x| (x * 1055.05585262) * 1000000000.0,
        from_base: |x| (x / 1055.05585262) / 1000000000.0,
    },
    Unit {
        name: "GigaelectronVolt",
        to_base: |x| (x * 1.602176565e-19) * 1000000000.0,
        from_base: |x| (x / 1.602176565e-19) / 1000000000.0,
    },
    Unit {
        name: "Gigajoule",
        to_base: |x| x * 1000000000.0,
        from_base: |x| x / 1000000000.0,
    },
    Unit {
        name: "GigawattDay",
        to_base: |x| (x * 24.0 * 3600.0) * 1000000000.0,
        from_base: |x| (x / (24.0 * 3600.0)) / 1000000000.0,
    },
    Unit {
        name: "GigawattHour",
        to_base: |x| (x * 3600.0) * 1000000000.0,
        from_base: |x| (x / 3600.0) / 1000000000.0,
    },
    Unit {
        name: "HorsepowerHour",
        to_base: |x| x * 2684519.5377,
        from_base: |x| x / 2684519.5377,
    },
    Unit {
        name: "Joule",
        to_base: |x| x,
        from_base: |x| x,
    },
    Unit {
        name: "KilobritishThermalUnit",
        to_base: |x| (x * 1055.05585262) * 1000.0,
        from_base: |x| (x / 1055.05585262) / 1000.0,
    },
    Unit {
        name: "Kilocalorie",
        to_base: |x| (x * 4.184) * 1000.0,
        from_base: |x| (x / 4.184) / 1000.0,
    },
    Unit {
        name: "KiloelectronVolt",
        to_base: |x| (x * 1.602176565e-19) * 1000.0,
        from_base: |x| (x / 1.602176565e-19) / 1000.0,
    },
    Unit {
        name: "Kilojoule",
        to_base: |x| x * 1000.0,
        from_base: |x| x / 1000.0,
    },
    Unit {
        name: "KilowattDay",
        to_base: |x| (x * 24.0 * 3600.0) * 1000.0,
        from_base: |x| (x / (24.0 * 3600.0)) / 1000.0,
    },
    Unit {
        name: "KilowattHour",
        to_base: |x| (x * 3600.0) * 1000.0,
        from_base: |x| (x / 3600.0) / 1000.0,
    },
    Unit {
        name: "MegabritishThermalUnit",
        to_base: |x| (x * 1055.05585262) * 1000000.0,
        from_base: |x| (x / 1055.05585262) / 1000000.0,
    },
    Unit {
        name: "Megacalorie",
        to_base: |x| (x * 4.184) * 1000000.0,
        from_base: |x| (x / 4.184) / 1000000.0,
    },
    Unit {
        name: "MegaelectronVolt",
        to_base: |x| (x * 1.602176565e-19) * 1000000.0,
        from_base: |x| (x / 1.602176565e-19) / 1000000.0,
    },
    Unit {
        name: "Megajoule",
        to_base: |x| x * 1000000.0,
        from_base: |x| x / 1000000.0,
    },
    Unit {
        name: "MegawattDay",
        to_base: |x| (x * 24.0 * 3600.0) * 1000000.0,
        from_base: |x| (x / (24.0 * 3600.0)) / 1000000.0,
    },
    Unit {
        name: "MegawattHour",
        to_base: |x| (x * 3600.0) * 1000000.0,
        from_base: |x| (x / 3600.0) / 1000000.0,
    },
    Unit {
        name: "Millijoule",
        to_base: |x| x * 0.001,
        from_base: |x| x / 0.001,
    },
    Unit {
        name: "TeraelectronVolt",
        to_base: |x| (x * 1.602176565e-19) * 1000000000000.0,
        from_base: |x| (x / 1.602176565e-19) / 1000000000000.0,
    },
    Unit {
        name: "TerawattDay",
        to_base: |x| (x * 24.0 * 3600.0) * 1000000000000.0,
        from_base: |x| (x / (24.0 * 3600.0)) / 1000000000000.0,
    },
    Unit {
        name: "TerawattHour",
        to_base: |x| (x * 3600.0) * 1000000000000.0,
        from_base: |x| (x / 3600.0) / 1000000000000.0,
    },
    Unit {
        name: "ThermEc",
        to_base: |x| x * 105505585.262,
        from_base: |x| x / 105505585.262,
    },
    Unit {
        name: "ThermImperial",
        to_base: |x| x * 105505585.257348,
        from_base: |x| x / 105505585.257348,
    },
    Unit {
        name: "ThermUs",
        to_base: |x| x * 105480400.0,
        from_base: |x| x / 105480400.0,
    },
    Unit {
        name: "WattDay",
        to_base: |x| x * 24.0 * 3600.0,
        from_base: |x| x / (24.0 * 3600.0),
    },
    Unit {
        name: "WattHour",
        to_base: |x| x * 3600.0,
        from_base: |x| x / 3600.0,
    },
];

/// The units of `convert-force-function.md`.
pub(super) const FORCE: &[Unit] = &[
    Unit {
        name: "Decanewton",
        to_base: |x| x * 10.0,
        from_base: |x| x / 10.0,
    },
    Unit {
        name: "Dyn",
        to_base: |x| x / 100000.0,
        from_base: |x| x * 100000.0,
    },
    Unit {
        name: "KilogramForce",
        to_base: |x| x * 9.80665002864,
        from_base: |x| x / 9.80665002864,
    },
    Unit {
        name: "Kilonewton",
        to_base: |x| x * 1000.0,
        from_base: |x| x / 1000.0,
    },
    Unit {
        name: "KiloPond",
        to_base: |x| x * 9.80665002864,
        from_base: |x| x / 9.80665002864,
    },
    Unit {
        name: "KilopoundForce",
        to_base: |x| (x * 4.448221615260509) * 1000.0,
        from_base: |x| (x / 4.448221615260509) / 1000.0,
    },
    Unit {
        name: "Meganewton",
        to_base: |x| x * 1000000.0,
        from_base: |x| x / 1000000.0,
    },
    Unit {
        name: "Micronewton",
        to_base: |x| x * 1e-06,
        from_base: |x| x / 1e-06,
    },
    Unit {
        name: "Millinewton",
        to_base: |x| x * 0.001,
        from_base: |x| x / 0.001,
    },
    Unit {
        name: "Newton",
        to_base: |x| x,
        from_base: |x| x,
    },
    Unit {
        name: "OunceForce",
        to_base: |x| x * 0.2780138509537812,
        from_base: |x| x / 0.2780138509537812,
    },
    Unit {
        name: "Poundal",
        to_base: |x| x * 0.1382550279897304,
        from_base: |x| x / 0.1382550279897304,
    },
    Unit {
        name: "PoundForce",
        to_base: |x| x * 4.448221615260509,
        from_base: |x| x / 4.448221615260509,
    },
    Unit {
        name: "ShortTonForce",
        to_base: |x| x * 8896.443230521,
        from_base: |x| x / 8896.443230521,
    },
    Unit {
        name: "TonneForce",
        to_base: |x| x * 9806.65002864,
        from_base: |x| x / 9806.65002864,
    },
];

/// The units of `convert-length-function.md`.
pub(super) const LENGTH: &[Unit] = &[
    Unit {
        name: "Angstrom",
        to_base: |x| x * 1e-10,
        from_base: |x| x / 1e-10,
    },
    Unit {
        name: "AstronomicalUnit",
        to_base: |x| x * 149597870700.0,
        from_base: |x| x / 149597870700.0,
    },
    Unit {
        name: "Centimeter",
        to_base: |x| x * 0.01,
        from_base: |x| x / 0.01,
    },
    Unit {
        name: "Chain",
        to_base: |x| x * 20.1168,
        from_base: |x| x / 20.1168,
    },
    Unit {
        name: "DataMile",
        to_base: |x| x * 1828.8,
        from_base: |x| x / 1828.8,
    },
    Unit {
        name: "Decameter",
        to_base: |x| x * 10.0,
        from_base: |x| x / 10.0,
    },
    Unit {
        name: "Decimeter",
        to_base: |x| x * 0.1,
        from_base: |x| x / 0.1,
    },
    Unit {
        name: "DtpPica",
        to_base: |x| x / 236.220472441,
        from_base: |x| x * 236.220472441,
    },
    Unit {
        name: "DtpPoint",
        to_base: |x| (x / 72.0) * 0.0254,
        from_base: |x| (x / 0.0254) * 72.0,
    },
    Unit {
        name: "Fathom",
        to_base: |x| x * 1.8288,
        from_base: |x| x / 1.8288,
    },
    Unit {
        name: "Foot",
        to_base: |x| x * 0.3048,
        from_base: |x| x / 0.3048,
    },
    Unit {
        name: "Hand",
        to_base: |x| x * 0.1016,
        from_base: |x| x / 0.1016,
    },
    Unit {
        name: "Hectometer",
        to_base: |x| x * 100.0,
        from_base: |x| x / 100.0,
    },
    Unit {
        name: "Inch",
        to_base: |x| x * 0.0254,
        from_base: |x| x / 0.0254,
    },
    Unit {
        name: "KilolightYear",
        to_base: |x| (x * 9460730472580000.0) * 1000.0,
        from_base: |x| (x / 9460730472580000.0) / 1000.0,
    },
    Unit {
        name: "Kilometer",
        to_base: |x| x * 1000.0,
        from_base: |x| x / 1000.0,
    },
    Unit {
        name: "Kiloparsec",
        to_base: |x| (x * 3.08567758128e+16) * 1000.0,
        from_base: |x| (x / 3.08567758128e+16) / 1000.0,
    },
    Unit {
        name: "LightYear",
        to_base: |x| x * 9460730472580000.0,
        from_base: |x| x / 9460730472580000.0,
    },
    Unit {
        name: "MegalightYear",
        to_base: |x| (x * 9460730472580000.0) * 1000000.0,
        from_base: |x| (x / 9460730472580000.0) / 1000000.0,
    },
    Unit {
        name: "Megaparsec",
        to_base: |x| (x * 3.08567758128e+16) * 1000000.0,
        from_base: |x| (x / 3.08567758128e+16) / 1000000.0,
    },
    Unit {
        name: "Meter",
        to_base: |x| x,
        from_base: |x| x,
    },
    Unit {
        name: "Microinch",
        to_base: |x| x * 2.54e-08,
        from_base: |x| x / 2.54e-08,
    },
    Unit {
        name: "Micrometer",
        to_base: |x| x * 1e-06,
        from_base: |x| x / 1e-06,
    },
    Unit {
        name: "Mil",
        to_base: |x| x * 2.54e-05,
        from_base: |x| x / 2.54e-05,
    },
    Unit {
        name: "Mile",
        to_base: |x| x * 1609.34,
        from_base: |x| x / 1609.34,
    },
    Unit {
        name: "Millimeter",
        to_base: |x| x * 0.001,
        from_base: |x| x / 0.001,
    },
    Unit {
        name: "Nanometer",
        to_base: |x| x * 1e-09,
        from_base: |x| x / 1e-09,
    },
    Unit {
        name: "NauticalMile",
        to_base: |x| x * 1852.0,
        from_base: |x| x / 1852.0,
    },
    Unit {
        name: "Parsec",
        to_base: |x| x * 3.08567758128e+16,
        from_base: |x| x / 3.08567758128e+16,
    },
    Unit {
        name: "PrinterPica",
        to_base: |x| x / 237.106301584,
        from_base: |x| x * 237.106301584,
    },
    Unit {
        name: "PrinterPoint",
        to_base: |x| (x / 72.27) * 0.0254,
        from_base: |x| (x / 0.0254) * 72.27,
    },
    Unit {
        name: "Shackle",
        to_base: |x| x * 27.432,
        from_base: |x| x / 27.432,
    },
    Unit {
        name: "SolarRadius",
        to_base: |x| x * 695510000.0,
        from_base: |x| x / 695510000.0,
    },
    Unit {
        name: "Twip",
        to_base: |x| x / 56692.913385826,
        from_base: |x| x * 56692.913385826,
    },
    Unit {
        name: "UsSurveyFoot",
        to_base: |x| x * 1200.0 / 3937.0,
        from_base: |x| x * 3937.0 / 1200.0,
    },
    Unit {
        name: "Yard",
        to_base: |x| x * 0.9144,
        from_base: |x| x / 0.9144,
    },
];

/// The units of `convert-mass-function.md`.
pub(super) const MASS: &[Unit] = &[
    Unit {
        name: "Centigram",
        to_base: |x| (x / 1000.0) * 0.01,
        from_base: |x| (x * 1000.0) / 0.01,
    },
    Unit {
        name: "Decagram",
        to_base: |x| (x / 1000.0) * 10.0,
        from_base: |x| (x * 1000.0) / 10.0,
    },
    Unit {
        name: "Decigram",
        to_base: |x| (x / 1000.0) * 0.1,
        from_base: |x| (x * 1000.0) / 0.1,
    },
    Unit {
        name: "EarthMass",
        to_base: |x| x * 5.9722e+24,
        from_base: |x| x / 5.9722e+24,
    },
    Unit {
        name: "Grain",
        to_base: |x| x / 15432.358352941432,
        from_base: |x| x * 15432.358352941432,
    },
    Unit {
        name: "Gram",
        to_base: |x| x / 1000.0,
        from_base: |x| x * 1000.0,
    },
    Unit {
        name: "Hectogram",
        to_base: |x| (x / 1000.0) * 100.0,
        from_base: |x| (x * 1000.0) / 100.0,
    },
    Unit {
        name: "Kilogram",
        to_base: |x| (x / 1000.0) * 1000.0,
        from_base: |x| (x * 1000.0) / 1000.0,
    },
    Unit {
        name: "Kilopound",
        to_base: |x| (x * 0.45359237) * 1000.0,
        from_base: |x| (x / 0.45359237) / 1000.0,
    },
    Unit {
        name: "Kilotonne",
        to_base: |x| (x * 1000.0) * 1000.0,
        from_base: |x| (x / 1000.0) / 1000.0,
    },
    Unit {
        name: "LongHundredweight",
        to_base: |x| x / 0.01968413055222121,
        from_base: |x| x * 0.01968413055222121,
    },
    Unit {
        name: "LongTon",
        to_base: |x| x * 1016.0469088,
        from_base: |x| x / 1016.0469088,
    },
    Unit {
        name: "Megapound",
        to_base: |x| (x * 0.45359237) * 1000000.0,
        from_base: |x| (x / 0.45359237) / 1000000.0,
    },
    Unit {
        name: "Megatonne",
        to_base: |x| (x * 1000.0) * 1000000.0,
        from_base: |x| (x / 1000.0) / 1000000.0,
    },
    Unit {
        name: "Microgram",
        to_base: |x| (x / 1000.0) * 1e-06,
        from_base: |x| (x * 1000.0) / 1e-06,
    },
    Unit {
        name: "Milligram",
        to_base: |x| (x / 1000.0) * 0.001,
        from_base: |x| (x * 1000.0) / 0.001,
    },
    Unit {
        name: "Nanogram",
        to_base: |x| (x / 1000.0) * 1e-09,
        from_base: |x| (x * 1000.0) / 1e-09,
    },
    Unit {
        name: "Ounce",
        to_base: |x| x / 35.2739619,
        from_base: |x| x * 35.2739619,
    },
    Unit {
        name: "Pound",
        to_base: |x| x * 0.45359237,
        from_base: |x| x / 0.45359237,
    },
    Unit {
        name: "ShortHundredweight",
        to_base: |x| x / 0.022046226218487758,
        from_base: |x| x * 0.022046226218487758,
    },
    Unit {
        name: "ShortTon",
        to_base: |x| x * 907.18474,
        from_base: |x| x / 907.18474,
    },
    Unit {
        name: "Slug",
        to_base: |x| x / 0.06852176556196105,
        from_base: |x| x * 0.06852176556196105,
    },
    Unit {
        name: "SolarMass",
        to_base: |x| x * 1.98947e+30,
        from_base: |x| x / 1.98947e+30,
    },
    Unit {
        name: "Stone",
        to_base: |x| x / 0.1574731728702698,
        from_base: |x| x * 0.1574731728702698,
    },
    Unit {
        name: "Tonne",
        to_base: |x| x * 1000.0,
        from_base: |x| x / 1000.0,
    },
];

/// The units of `convert-speed-function.md`.
pub(super) const SPEED: &[Unit] = &[
    Unit {
        name: "CentimeterPerHour",
        to_base: |x| (x / 3600.0) * 0.01,
        from_base: |x| (x * 3600.0) / 0.01,
    },
    Unit {
        name: "CentimeterPerMinute",
        to_base: |x| (x / 60.0) * 0.01,
        from_base: |x| (x * 60.0) / 0.01,
    },
    Unit {
        name: "CentimeterPerSecond",
        to_base: |x| x * 0.01,
        from_base: |x| x / 0.01,
    },
    Unit {
        name: "DecimeterPerMinute",
        to_base: |x| (x / 60.0) * 0.1,
        from_base: |x| (x * 60.0) / 0.1,
    },
    Unit {
        name: "DecimeterPerSecond",
        to_base: |x| x * 0.1,
        from_base: |x| x / 0.1,
    },
    Unit {
        name: "FootPerHour",
        to_base: |x| x * 0.3048 / 3600.0,
        from_base: |x| x / 0.3048 * 3600.0,
    },
    Unit {
        name: "FootPerMinute",
        to_base: |x| x * 0.3048 / 60.0,
        from_base: |x| x / 0.3048 * 60.0,
    },
    Unit {
        name: "FootPerSecond",
        to_base: |x| x * 0.3048,
        from_base: |x| x / 0.3048,
    },
    Unit {
        name: "InchPerHour",
        to_base: |x| (x / 3600.0) * 0.0254,
        from_base: |x| (x / 0.0254) * 3600.0,
    },
    Unit {
        name: "InchPerMinute",
        to_base: |x| (x / 60.0) * 0.0254,
        from_base: |x| (x / 0.0254) * 60.0,
    },
    Unit {
        name: "InchPerSecond",
        to_base: |x| x * 0.0254,
        from_base: |x| x / 0.0254,
    },
    Unit {
        name: "KilometerPerHour",
        to_base: |x| (x / 3600.0) * 1000.0,
        from_base: |x| (x * 3600.0) / 1000.0,
    },
    Unit {
        name: "KilometerPerMinute",
        to_base: |x| (x / 60.0) * 1000.0,
        from_base: |x| (x * 60.0) / 1000.0,
    },
    Unit {
        name: "KilometerPerSecond",
        to_base: |x| x * 1000.0,
        from_base: |x| x / 1000.0,
    },
    Unit {
        name: "Knot",
        to_base: |x| x * 0.514444,
        from_base: |x| x / 0.514444,
    },
    Unit {
        name: "MeterPerHour",
        to_base: |x| x / 3600.0,
        from_base: |x| x * 3600.0,
    },
    Unit {
        name: "MeterPerMinute",
        to_base: |x| x / 60.0,
        from_base: |x| x * 60.0,
    },
    Unit {
        name: "MeterPerSecond",
        to_base: |x| x,
        from_base: |x| x,
    },
    Unit {
        name: "MicrometerPerMinute",
        to_base: |x| (x / 60.0) * 1e-06,
        from_base: |x| (x * 60.0) / 1e-06,
    },
    Unit {
        name: "MicrometerPerSecond",
        to_base: |x| x * 1e-06,
        from_base: |x| x / 1e-06,
    },
    Unit {
        name: "MilePerHour",
        to_base: |x| x * 0.44704,
        from_base: |x| x / 0.44704,
    },
    Unit {
        name: "MillimeterPerHour",
        to_base: |x| (x / 3600.0) * 0.001,
        from_base: |x| (x * 3600.0) / 0.001,
    },
    Unit {
        name: "MillimeterPerMinute",
        to_base: |x| (x / 60.0) * 0.001,
        from_base: |x| (x * 60.0) / 0.001,
    },
    Unit {
        name: "MillimeterPerSecond",
        to_base: |x| x * 0.001,
        from_base: |x| x / 0.001,
    },
    Unit {
        name: "NanometerPerMinute",
        to_base: |x| (x / 60.0) * 1e-09,
        from_base: |x| (x * 60.0) / 1e-09,
    },
    Unit {
        name: "NanometerPerSecond",
        to_base: |x| x * 1e-09,
        from_base: |x| x / 1e-09,
    },
    Unit {
        name: "UsSurveyFootPerHour",
        to_base: |x| (x * 1200.0 / 3937.0) / 3600.0,
        from_base: |x| (x * 3937.0 / 1200.0) * 3600.0,
    },
    Unit {
        name: "UsSurveyFootPerMinute",
        to_base: |x| (x * 1200.0 / 3937.0) / 60.0,
        from_base: |x| (x * 3937.0 / 1200.0) * 60.0,
    },
    Unit {
        name: "UsSurveyFootPerSecond",
        to_base: |x| x * 1200.0 / 3937.0,
        from_base: |x| x * 3937.0 / 1200.0,
    },
    Unit {
        name: "YardPerHour",
        to_base: |x| x * 0.9144 / 3600.0,
        from_base: |x| x / 0.9144 * 3600.0,
    },
    Unit {
        name: "YardPerMinute",
        to_base: |x| x * 0.9144 / 60.0,
        from_base: |x| x / 0.9144 * 60.0,
    },
    Unit {
        name: "YardPerSecond",
        to_base: |x| x * 0.9144,
        from_base: |x| x / 0.9144,
    },
];

/// The units of `convert-temperature-function.md`.
pub(super) const TEMPERATURE: &[Unit] = &[
    Unit {
        name: "DegreeCelsius",
        to_base: |x| x + 273.15,
        from_base: |x| x - 273.15,
    },
    Unit {
        name: "DegreeDelisle",
        to_base: |x| x * -2.0 / 3.0 + 373.15,
        from_base: |x| (x - 373.15) * -3.0 / 2.0,
    },
    Unit {
        name: "DegreeFahrenheit",
        to_base: |x| x * 5.0 / 9.0 + 459.67 * 5.0 / 9.0,
        from_base: |x| (x - 459.67 * 5.0 / 9.0) * 9.0 / 5.0,
    },
    Unit {
        name: "DegreeNewton",
        to_base: |x| x * 100.0 / 33.0 + 273.15,
        from_base: |x| (x - 273.15) * 33.0 / 100.0,
    },
    Unit {
        name: "DegreeRankine",
        to_base: |x| x * 5.0 / 9.0,
        from_base: |x| x * 9.0 / 5.0,
    },
    Unit {
        name: "DegreeReaumur",
        to_base: |x| x * 5.0 / 4.0 + 273.15,
        from_base: |x| (x - 273.15) * 4.0 / 5.0,
    },
    Unit {
        name: "DegreeRoemer",
        to_base: |x| x * 40.0 / 21.0 + 273.15 - 7.5 * 40.0 / 21.0,
        from_base: |x| (x - (273.15 - 7.5 * 40.0 / 21.0)) * 21.0 / 40.0,
    },
    Unit {
        name: "Kelvin",
        to_base: |x| x,
        from_base: |x| x,
    },
    Unit {
        name: "MillidegreeCelsius",
        to_base: |x| x / 1000.0 + 273.15,
        from_base: |x| (x - 273.15) * 1000.0,
    },
    Unit {
        name: "SolarTemperature",
        to_base: |x| x * 5778.0,
        from_base: |x| x / 5778.0,
    },
];

/// The units of `convert-volume-function.md`.
pub(super) const VOLUME: &[Unit] = &[
    Unit {
        name: "AcreFoot",
        to_base: |x| x / 0.000810714,
        from_base: |x| x * 0.000810714,
    },
    Unit {
        name: "AuTablespoon",
        to_base: |x| x * 2e-05,
        from_base: |x| x / 2e-05,
    },
    Unit {
        name: "BoardFoot",
        to_base: |x| x * 0.0023597372158,
        from_base: |x| x / 0.0023597372158,
    },
    Unit {
        name: "Centiliter",
        to_base: |x| (x / 1000.0) * 0.01,
        from_base: |x| (x * 1000.0) / 0.01,
    },
    Unit {
        name: "CubicCentimeter",
        to_base: |x| x / 1000000.0,
        from_base: |x| x * 1000000.0,
    },
    Unit {
        name: "CubicDecimeter",
        to_base: |x| x / 1000.0,
        from_base: |x| x * 1000.0,
    },
    Unit {
        name: "CubicFoot",
        to_base: |x| x * 0.028316846592,
        from_base: |x| x / 0.028316846592,
    },
    Unit {
        name: "CubicHectometer",
        to_base: |x| x * 1000000.0,
        from_base: |x| x / 1000000.0,
    },
    Unit {
        name: "CubicInch",
        to_base: |x| x * 1.6387 * 1e-05,
        from_base: |x| x / (1.6387 * 1e-05),
    },
    Unit {
        name: "CubicKilometer",
        to_base: |x| x * 1000000000.0,
        from_base: |x| x / 1000000000.0,
    },
    Unit {
        name: "CubicMeter",
        to_base: |x| x,
        from_base: |x| x,
    },
    Unit {
        name: "CubicMicrometer",
        to_base: |x| x / 1e+18,
        from_base: |x| x * 1e+18,
    },
    Unit {
        name: "CubicMile",
        to_base: |x| x * 4168181825.44058,
        from_base: |x| x / 4168181825.44058,
    },
    Unit {
        name: "CubicMillimeter",
        to_base: |x| x / 1000000000.0,
        from_base: |x| x * 1000000000.0,
    },
    Unit {
        name: "CubicYard",
        to_base: |x| x * 0.764554858,
        from_base: |x| x / 0.764554858,
    },
    Unit {
        name: "Decaliter",
        to_base: |x| (x / 1000.0) * 10.0,
        from_base: |x| (x * 1000.0) / 10.0,
    },
    Unit {
        name: "DecausGallon",
        to_base: |x| (x * 0.00378541) * 10.0,
        from_base: |x| (x / 0.00378541) / 10.0,
    },
    Unit {
        name: "Deciliter",
        to_base: |x| (x / 1000.0) * 0.1,
        from_base: |x| (x * 1000.0) / 0.1,
    },
    Unit {
        name: "DeciusGallon",
        to_base: |x| (x * 0.00378541) * 0.1,
        from_base: |x| (x / 0.00378541) / 0.1,
    },
    Unit {
        name: "HectocubicFoot",
        to_base: |x| (x * 0.028316846592) * 100.0,
        from_base: |x| (x / 0.028316846592) / 100.0,
    },
    Unit {
        name: "HectocubicMeter",
        to_base: |x| x * 100.0,
        from_base: |x| x / 100.0,
    },
    Unit {
        name: "Hectoliter",
        to_base: |x| (x / 1000.0) * 100.0,
        from_base: |x| (x * 1000.0) / 100.0,
    },
    Unit {
        name: "HectousGallon",
        to_base: |x| (x * 0.00378541) * 100.0,
        from_base: |x| (x / 0.00378541) / 100.0,
    },
    Unit {
        name: "ImperialBeerBarrel",
        to_base: |x| x * 0.16365924,
        from_base: |x| x / 0.16365924,
    },
    Unit {
        name: "ImperialGallon",
        to_base: |x| x * 0.0045460900000018145,
        from_base: |x| x / 0.0045460900000018145,
    },
    Unit {
        name: "ImperialOunce",
        to_base: |x| x * 2.84130624999629e-05,
        from_base: |x| x / 2.84130624999629e-05,
    },
    Unit {
        name: "ImperialPint",
        to_base: |x| x * 0.00056826125,
        from_base: |x| x / 0.00056826125,
    },
    Unit {
        name: "KilocubicFoot",
        to_base: |x| (x * 0.028316846592) * 1000.0,
        from_base: |x| (x / 0.028316846592) / 1000.0,
    },
    Unit {
        name: "KilocubicMeter",
        to_base: |x| x * 1000.0,
        from_base: |x| x / 1000.0,
    },
    Unit {
        name: "KiloimperialGallon",
        to_base: |x| (x * 0.0045460900000018145) * 1000.0,
        from_base: |x| (x / 0.0045460900000018145) / 1000.0,
    },
    Unit {
        name: "Kiloliter",
        to_base: |x| (x / 1000.0) * 1000.0,
        from_base: |x| (x * 1000.0) / 1000.0,
    },
    Unit {
        name: "KilousGallon",
        to_base: |x| (x * 0.00378541) * 1000.0,
        from_base: |x| (x / 0.00378541) / 1000.0,
    },
    Unit {
        name: "Liter",
        to_base: |x| x / 1000.0,
        from_base: |x| x * 1000.0,
    },
    Unit {
        name: "MegacubicFoot",
        to_base: |x| (x * 0.028316846592) * 1000000.0,
        from_base: |x| (x / 0.028316846592) / 1000000.0,
    },
    Unit {
        name: "MegaimperialGallon",
        to_base: |x| (x * 0.0045460900000018145) * 1000000.0,
        from_base: |x| (x / 0.0045460900000018145) / 1000000.0,
    },
    Unit {
        name: "Megaliter",
        to_base: |x| (x / 1000.0) * 1000000.0,
        from_base: |x| (x * 1000.0) / 1000000.0,
    },
    Unit {
        name: "MegausGallon",
        to_base: |x| (x * 0.00378541) * 1000000.0,
        from_base: |x| (x / 0.00378541) / 1000000.0,
    },
    Unit {
        name: "MetricCup",
        to_base: |x| x * 0.00025,
        from_base: |x| x / 0.00025,
    },
    Unit {
        name: "MetricTeaspoon",
        to_base: |x| x * 5e-06,
        from_base: |x| x / 5e-06,
    },
    Unit {
        name: "Microliter",
        to_base: |x| (x / 1000.0) * 1e-06,
        from_base: |x| (x * 1000.0) / 1e-06,
    },
    Unit {
        name: "Milliliter",
        to_base: |x| (x / 1000.0) * 0.001,
        from_base: |x| (x * 1000.0) / 0.001,
    },
    Unit {
        name: "OilBarrel",
        to_base: |x| x * 0.158987294928,
        from_base: |x| x / 0.158987294928,
    },
    Unit {
        name: "UkTablespoon",
        to_base: |x| x * 1.5e-05,
        from_base: |x| x / 1.5e-05,
    },
    Unit {
        name: "UsBeerBarrel",
        to_base: |x| x * 0.1173477658,
        from_base: |x| x / 0.1173477658,
    },
    Unit {
        name: "UsCustomaryCup",
        to_base: |x| x * 0.0002365882365,
        from_base: |x| x / 0.0002365882365,
    },
    Unit {
        name: "UsGallon",
        to_base: |x| x * 0.00378541,
        from_base: |x| x / 0.00378541,
    },
    Unit {
        name: "UsLegalCup",
        to_base: |x| x * 0.00024,
        from_base: |x| x / 0.00024,
    },
    Unit {
        name: "UsOunce",
        to_base: |x| x * 2.9573529562537606e-05,
        from_base: |x| x / 2.9573529562537606e-05,
    },
    Unit {
        name: "UsPint",
        to_base: |x| x * 0.000473176473,
        from_base: |x| x / 0.000473176473,
    },
    Unit {
        name: "UsQuart",
        to_base: |x| x * 0.000946352946,
        from_base: |x| x / 0.000946352946,
    },
    Unit {
        name: "UsTablespoon",
        to_base: |x| x * 1.478676478125e-05,
        from_base: |x| x / 1.478676478125e-05,
    },
    Unit {
        name: "UsTeaspoon",
        to_base: |x| x * 4.92892159375e-06,
        from_base: |x| x / 4.92892159375e-06,
    },
];
