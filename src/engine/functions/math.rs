//! Math functions (the KQL pages `pow-function.md`, `round-function.md`, `max-of-function.md`,
//! `binary-and-function.md`, `convert-length-function.md`, `series-add-function.md`, …): each a
//! [`RowFunction`] with its page's examples as tests. The special functions (erf, gamma, the beta
//! distribution) live in `special`, the unit tables of `convert_*` in `units`, the functions
//! over dynamic arrays in `series`.

mod series;
mod special;
mod units;

use std::cmp::Ordering;
use std::f64::consts::PI;

use super::{KqlValue, Param, Returns, RowFunction};
use crate::kql::time::format_real;
use crate::results::KqlType;

type Eval = fn(&[KqlValue]) -> Result<KqlValue, String>;

/// A deterministic function whose parameters are all required.
const fn row(
    name: &'static str,
    params: &'static [Param],
    returns: Returns,
    eval: Eval,
) -> RowFunction {
    RowFunction::new(name, params, params.len(), false, returns, eval)
}

/// [`row`] with only the first `required` parameters required.
const fn optional(
    name: &'static str,
    params: &'static [Param],
    required: usize,
    returns: Returns,
    eval: Eval,
) -> RowFunction {
    RowFunction {
        required,
        ..row(name, params, returns, eval)
    }
}

const REAL: Returns = Returns::Always(KqlType::Real);
const LONG: Returns = Returns::Always(KqlType::Long);
const BOOL: Returns = Returns::Always(KqlType::Bool);
const DYNAMIC: Returns = Returns::Always(KqlType::Dynamic);
const SAME: Returns = Returns::ArgumentType(0);
const N: Param = Param::Number;
const I: Param = Param::Integer;
const D: Param = Param::Dynamic;

/// The math functions.
pub(super) const FUNCTIONS: &[RowFunction] = &[
    row(
        "around",
        &[Param::Any, Param::Any, Param::Any],
        BOOL,
        around,
    ),
    // Powers and logarithms: real results (pow-function.md, exp-function.md, log-function.md…).
    row("pow", &[N, N], REAL, |a| binary_real(a, f64::powf)),
    row("exp", &[N], REAL, |a| unary(a, f64::exp)),
    row("exp2", &[N], REAL, |a| unary(a, f64::exp2)),
    row("exp10", &[N], REAL, |a| unary(a, |x| 10f64.powf(x))),
    row("log", &[N], REAL, |a| {
        unary_where(a, |x| x >= 0.0 || x.is_nan(), f64::ln)
    }),
    row("log2", &[N], REAL, |a| {
        unary_where(a, |x| x >= 0.0 || x.is_nan(), f64::log2)
    }),
    row("log10", &[N], REAL, |a| {
        unary_where(a, |x| x >= 0.0 || x.is_nan(), f64::log10)
    }),
    row("sqrt", &[N], REAL, |a| {
        unary_where(a, |x| x >= 0.0 || x.is_nan(), f64::sqrt)
    }),
    // Sign and rounding keep the argument's type (abs-function.md, round-function.md…).
    row("abs", &[Param::Any], SAME, abs),
    row("sign", &[N], SAME, sign),
    optional("round", &[N, I], 1, SAME, round),
    row("ceiling", &[N], SAME, ceiling),
    // Trigonometry, in radians (sin-function.md…); asin and acos are null outside [-1, 1].
    row("sin", &[N], REAL, |a| unary(a, f64::sin)),
    row("cos", &[N], REAL, |a| unary(a, f64::cos)),
    row("tan", &[N], REAL, |a| unary(a, f64::tan)),
    row("cot", &[N], REAL, |a| unary(a, |x| 1.0 / x.tan())),
    row("asin", &[N], REAL, |a| {
        unary_where(a, |x| x.abs() <= 1.0 || x.is_nan(), f64::asin)
    }),
    row("acos", &[N], REAL, |a| {
        unary_where(a, |x| x.abs() <= 1.0 || x.is_nan(), f64::acos)
    }),
    row("atan", &[N], REAL, |a| unary(a, f64::atan)),
    row("atan2", &[N, N], REAL, |a| binary_real(a, f64::atan2)),
    row("degrees", &[N], REAL, |a| unary(a, |x| (180.0 / PI) * x)),
    row("radians", &[N], REAL, |a| unary(a, |x| (PI / 180.0) * x)),
    row("pi", &[], REAL, |_| Ok(KqlValue::Real(PI))),
    row("isinf", &[N], BOOL, |a| classify(a, f64::is_infinite)),
    row("isfinite", &[N], BOOL, |a| classify(a, f64::is_finite)),
    // Special functions (erf-function.md, gamma-function.md, beta-cdf-function.md…).
    row("erf", &[N], REAL, |a| unary(a, libm::erf)),
    row("erfc", &[N], REAL, |a| unary(a, libm::erfc)),
    row("gamma", &[N], REAL, |a| unary(a, libm::tgamma)),
    row("loggamma", &[N], REAL, |a| unary(a, libm::lgamma)),
    row("beta_cdf", &[N, N, N], REAL, |a| beta(a, special::beta_cdf)),
    row("beta_pdf", &[N, N, N], REAL, |a| beta(a, special::beta_pdf)),
    row("beta_inv", &[N, N, N], REAL, |a| beta(a, special::beta_inv)),
    // The greatest and least of 2 to 64 values of one type, nulls ignored (max-of-function.md).
    RowFunction {
        variadic: true,
        ..row("max_of", &[Param::Any, Param::Any], SAME, |a| {
            extreme(a, Ordering::Greater)
        })
    },
    RowFunction {
        variadic: true,
        ..row("min_of", &[Param::Any, Param::Any], SAME, |a| {
            extreme(a, Ordering::Less)
        })
    },
    RowFunction {
        volatile: true,
        ..optional("rand", &[N], 0, REAL, rand)
    },
    // Bitwise operations on longs (binary-and-function.md…, bitset-count-ones-function.md).
    row("binary_and", &[I, I], LONG, |a| {
        bitwise(a, |x, y| Some(x & y))
    }),
    row("binary_or", &[I, I], LONG, |a| {
        bitwise(a, |x, y| Some(x | y))
    }),
    row("binary_xor", &[I, I], LONG, |a| {
        bitwise(a, |x, y| Some(x ^ y))
    }),
    row("binary_not", &[I], LONG, |a| {
        Ok(a[0]
            .as_long()
            .map_or(KqlValue::Null, |x| KqlValue::Long(!x)))
    }),
    row("binary_shift_left", &[I, I], LONG, |a| {
        bitwise(a, shift_left)
    }),
    row("binary_shift_right", &[I, I], LONG, |a| {
        bitwise(a, shift_right)
    }),
    row("bitset_count_ones", &[I], LONG, |a| {
        Ok(a[0].as_long().map_or(KqlValue::Null, |x| {
            KqlValue::Long(i64::from(x.count_ones()))
        }))
    }),
    // Units (convert-angle-function.md…) and data sizes (format-bytes-function.md).
    row("convert_angle", &[N, Param::Text, Param::Text], REAL, |a| {
        convert(a, units::ANGLE)
    }),
    row(
        "convert_energy",
        &[N, Param::Text, Param::Text],
        REAL,
        |a| convert(a, units::ENERGY),
    ),
    row("convert_force", &[N, Param::Text, Param::Text], REAL, |a| {
        convert(a, units::FORCE)
    }),
    row(
        "convert_length",
        &[N, Param::Text, Param::Text],
        REAL,
        |a| convert(a, units::LENGTH),
    ),
    row("convert_mass", &[N, Param::Text, Param::Text], REAL, |a| {
        convert(a, units::MASS)
    }),
    row("convert_speed", &[N, Param::Text, Param::Text], REAL, |a| {
        convert(a, units::SPEED)
    }),
    row(
        "convert_temperature",
        &[N, Param::Text, Param::Text],
        REAL,
        |a| convert(a, units::TEMPERATURE),
    ),
    row(
        "convert_volume",
        &[N, Param::Text, Param::Text],
        REAL,
        |a| convert(a, units::VOLUME),
    ),
    optional(
        "format_bytes",
        &[N, I, Param::Text],
        1,
        Returns::Always(KqlType::String),
        format_bytes,
    ),
    // Element-wise functions of one numeric array (series-abs-function.md…).
    row("series_abs", &[D], DYNAMIC, |a| series::map(a, series::abs)),
    row("series_sign", &[D], DYNAMIC, |a| {
        series::map(a, series::sign)
    }),
    row("series_ceiling", &[D], DYNAMIC, |a| {
        series::map_real(a, f64::ceil)
    }),
    row("series_floor", &[D], DYNAMIC, |a| {
        series::map_real(a, f64::floor)
    }),
    row("series_exp", &[D], DYNAMIC, |a| {
        series::map_real(a, f64::exp)
    }),
    row("series_log", &[D], DYNAMIC, |a| {
        series::map_real(a, f64::ln)
    }),
    row("series_sin", &[D], DYNAMIC, |a| {
        series::map_real(a, f64::sin)
    }),
    row("series_cos", &[D], DYNAMIC, |a| {
        series::map_real(a, f64::cos)
    }),
    row("series_tan", &[D], DYNAMIC, |a| {
        series::map_real(a, f64::tan)
    }),
    row("series_asin", &[D], DYNAMIC, |a| {
        series::map_real(a, f64::asin)
    }),
    row("series_acos", &[D], DYNAMIC, |a| {
        series::map_real(a, f64::acos)
    }),
    row("series_atan", &[D], DYNAMIC, |a| {
        series::map_real(a, f64::atan)
    }),
    // Element-wise functions of two arrays, or of an array and a number (series-add-function.md…).
    row("series_add", &[D, D], DYNAMIC, |a| {
        series::zip(a, series::add)
    }),
    row("series_subtract", &[D, D], DYNAMIC, |a| {
        series::zip(a, series::subtract)
    }),
    row("series_multiply", &[D, D], DYNAMIC, |a| {
        series::zip(a, series::multiply)
    }),
    row("series_divide", &[D, D], DYNAMIC, |a| {
        series::zip(a, series::divide)
    }),
    row("series_pow", &[D, D], DYNAMIC, |a| {
        series::zip(a, series::pow)
    }),
    row("series_greater", &[D, D], DYNAMIC, |a| {
        series::zip(a, |x, y| series::compare(x, y, Ordering::is_gt))
    }),
    row("series_greater_equals", &[D, D], DYNAMIC, |a| {
        series::zip(a, |x, y| series::compare(x, y, Ordering::is_ge))
    }),
    row("series_less", &[D, D], DYNAMIC, |a| {
        series::zip(a, |x, y| series::compare(x, y, Ordering::is_lt))
    }),
    row("series_less_equals", &[D, D], DYNAMIC, |a| {
        series::zip(a, |x, y| series::compare(x, y, Ordering::is_le))
    }),
    row("series_equals", &[D, D], DYNAMIC, |a| {
        series::zip(a, |x, y| series::compare(x, y, Ordering::is_eq))
    }),
    row("series_not_equals", &[D, D], DYNAMIC, |a| {
        series::zip(a, |x, y| series::compare(x, y, Ordering::is_ne))
    }),
    // Missing values (series-fill-const-function.md…).
    optional(
        "series_fill_const",
        &[D, Param::Any, Param::Any],
        2,
        DYNAMIC,
        series::fill_const,
    ),
    optional("series_fill_forward", &[D, Param::Any], 1, DYNAMIC, |a| {
        series::fill_along(a, false)
    }),
    optional("series_fill_backward", &[D, Param::Any], 1, DYNAMIC, |a| {
        series::fill_along(a, true)
    }),
    optional(
        "series_fill_linear",
        &[D, Param::Any, Param::Bool, Param::Any],
        1,
        DYNAMIC,
        series::fill_linear,
    ),
    // Whole-array results (series-sum-function.md, series-stats-dynamic-function.md…).
    row("series_sum", &[D], REAL, series::sum),
    row("series_product", &[D], REAL, series::product),
    row("series_magnitude", &[D], REAL, series::magnitude),
    row("series_dot_product", &[D, D], REAL, series::dot_product),
    optional(
        "series_cosine_similarity",
        &[D, D, N, N],
        2,
        REAL,
        series::cosine_similarity,
    ),
    optional(
        "series_stats_dynamic",
        &[D, Param::Bool],
        1,
        DYNAMIC,
        series::stats_dynamic,
    ),
];

/// A real function of one number: null in, null out.
fn unary(args: &[KqlValue], f: impl Fn(f64) -> f64) -> Result<KqlValue, String> {
    Ok(args[0]
        .as_real()
        .map_or(KqlValue::Null, |x| KqlValue::Real(f(x))))
}

/// [`unary`] for a function whose page says null (not NaN) outside its domain: `log()` and
/// `sqrt()` of a negative number, `asin()` and `acos()` outside [-1, 1]. NaN stays NaN.
fn unary_where(
    args: &[KqlValue],
    defined: impl Fn(f64) -> bool,
    f: impl Fn(f64) -> f64,
) -> Result<KqlValue, String> {
    Ok(match args[0].as_real() {
        Some(x) if defined(x) => KqlValue::Real(f(x)),
        _ => KqlValue::Null,
    })
}

/// A real function of two numbers (`pow`, `atan2`).
fn binary_real(args: &[KqlValue], f: impl Fn(f64, f64) -> f64) -> Result<KqlValue, String> {
    Ok(match (args[0].as_real(), args[1].as_real()) {
        (Some(x), Some(y)) => KqlValue::Real(f(x, y)),
        _ => KqlValue::Null,
    })
}

/// `isinf()`, `isfinite()`: a whole number is finite.
fn classify(args: &[KqlValue], test: fn(f64) -> bool) -> Result<KqlValue, String> {
    Ok(match &args[0] {
        KqlValue::Long(_) => KqlValue::Bool(test(0.0)),
        value => value
            .as_real()
            .map_or(KqlValue::Null, |x| KqlValue::Bool(test(x))),
    })
}

/// `abs(x)` of an int, long, real or timespan (abs-function.md). The absolute value of the
/// least long does not exist: null. The parameter kinds have no "number or timespan", so the
/// planner lets any scalar through: other kinds are refused here, as Kusto refuses them.
fn abs(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(match &args[0] {
        KqlValue::Long(n) => n.checked_abs().map_or(KqlValue::Null, KqlValue::Long),
        KqlValue::Timespan(t) => t.checked_abs().map_or(KqlValue::Null, KqlValue::Timespan),
        KqlValue::String(_) | KqlValue::Bool(_) | KqlValue::DateTime(_) => {
            return Err("the argument must be a number or a timespan".to_string());
        }
        value => value
            .as_real()
            .map_or(KqlValue::Null, |x| KqlValue::Real(x.abs())),
    })
}

/// `sign(x)`: -1, 0 or 1 (sign-function.md); NaN for NaN.
fn sign(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(match &args[0] {
        KqlValue::Long(n) => KqlValue::Long(n.signum()),
        value => value.as_real().map_or(KqlValue::Null, |x| {
            KqlValue::Real(if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else if x.is_nan() {
                x
            } else {
                0.0
            })
        }),
    })
}

/// `ceiling(x)`: whole numbers are their own ceiling (ceiling-function.md).
fn ceiling(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(match &args[0] {
        KqlValue::Long(n) => KqlValue::Long(*n),
        value => value
            .as_real()
            .map_or(KqlValue::Null, |x| KqlValue::Real(x.ceil())),
    })
}

/// `round(x [, precision])` (round-function.md): to `precision` digits after the point, or to a
/// multiple of 10^-precision when it is negative (`round(21.5, -1)` is 20). Midpoints round away
/// from zero; the digits are taken after scaling (`round(2.15, 1)` is 2.2, as the page shows,
/// though 2.15 is stored as 2.1499…).
fn round(args: &[KqlValue]) -> Result<KqlValue, String> {
    let precision = match args.get(1) {
        None => 0,
        Some(value) => match value.as_long() {
            Some(p) => p,
            None => return Ok(KqlValue::Null),
        },
    };
    Ok(match &args[0] {
        KqlValue::Long(n) => round_long(*n, precision).map_or(KqlValue::Null, KqlValue::Long),
        value => value
            .as_real()
            .map_or(KqlValue::Null, |x| KqlValue::Real(round_real(x, precision))),
    })
}

/// `x` rounded to `precision` decimal digits (negative: to tens, hundreds…).
fn round_real(x: f64, precision: i64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    // Past ±400 digits the scale is 0 or infinite either way; the clamp keeps powi's exponent small.
    let digits = precision.clamp(-400, 400) as i32;
    if digits >= 0 {
        let scale = 10f64.powi(digits);
        let scaled = x * scale;
        // Beyond a double's precision there is nothing left to round.
        if !scaled.is_finite() || scaled.abs() >= 1e16 {
            return x;
        }
        scaled.round() / scale
    } else {
        let scale = 10f64.powi(-digits);
        if !scale.is_finite() {
            return 0.0;
        }
        (x / scale).round() * scale
    }
}

/// A long rounded to a multiple of 10^-precision (unchanged for precision >= 0); `None` when
/// the result does not fit a long.
fn round_long(n: i64, precision: i64) -> Option<i64> {
    if precision >= 0 {
        return Some(n);
    }
    if precision < -19 {
        // 10^20 exceeds every long: everything rounds to 0.
        return Some(0);
    }
    let scale = 10i128.pow(u32::try_from(-precision).ok()?);
    let magnitude = (i128::from(n).abs() + scale / 2) / scale * scale;
    i64::try_from(if n < 0 { -magnitude } else { magnitude }).ok()
}

/// The operands of the beta distribution's functions, as reals.
fn beta(args: &[KqlValue], f: fn(f64, f64, f64) -> Option<f64>) -> Result<KqlValue, String> {
    Ok(
        match (args[0].as_real(), args[1].as_real(), args[2].as_real()) {
            (Some(x), Some(a), Some(b)) => f(x, a, b).map_or(KqlValue::Null, KqlValue::Real),
            _ => KqlValue::Null,
        },
    )
}

/// A value as `max_of()` and `min_of()` compare it.
#[derive(Clone, Copy)]
enum Key<'a> {
    Long(i64),
    Real(f64),
    DateTime(i64),
    Timespan(i64),
    Text(&'a str),
    Bool(bool),
}

impl Key<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Key::Long(_) | Key::Real(_) => "number",
            Key::DateTime(_) => "datetime",
            Key::Timespan(_) => "timespan",
            Key::Text(_) => "string",
            Key::Bool(_) => "bool",
        }
    }
}

fn key(value: &KqlValue) -> Result<Option<Key<'_>>, String> {
    use serde_json::Value as Json;
    Ok(Some(match value {
        KqlValue::Null => return Ok(None),
        KqlValue::Long(n) => Key::Long(*n),
        KqlValue::Real(x) => Key::Real(*x),
        KqlValue::DateTime(t) => Key::DateTime(*t),
        KqlValue::Timespan(t) => Key::Timespan(*t),
        KqlValue::String(s) => Key::Text(s),
        KqlValue::Bool(b) => Key::Bool(*b),
        KqlValue::Dynamic(Json::Number(n)) => match n.as_i64() {
            Some(i) => Key::Long(i),
            None => Key::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        KqlValue::Dynamic(Json::String(s)) => Key::Text(s),
        KqlValue::Dynamic(Json::Bool(b)) => Key::Bool(*b),
        KqlValue::Dynamic(_) => {
            return Err("arrays and property bags cannot be compared".to_string());
        }
    }))
}

/// `a` compared with `b`; an error when they are of different kinds, which Kusto refuses.
fn compare_keys(a: Key, b: Key) -> Result<Ordering, String> {
    Ok(match (a, b) {
        (Key::Long(x), Key::Long(y)) => x.cmp(&y),
        (Key::Long(_) | Key::Real(_), Key::Long(_) | Key::Real(_)) => {
            let (x, y) = (key_real(a), key_real(b));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Key::DateTime(x), Key::DateTime(y)) | (Key::Timespan(x), Key::Timespan(y)) => x.cmp(&y),
        (Key::Text(x), Key::Text(y)) => x.cmp(y),
        (Key::Bool(x), Key::Bool(y)) => x.cmp(&y),
        _ => {
            return Err(format!(
                "all arguments must be of the same type, not a {} and a {}",
                a.kind(),
                b.kind()
            ));
        }
    })
}

fn key_real(key: Key) -> f64 {
    match key {
        Key::Long(n) => n as f64,
        Key::Real(x) => x,
        _ => f64::NAN,
    }
}

/// `max_of()` (`wanted` Greater) and `min_of()` (Less): the first extreme non-null argument,
/// null when all are null (max-of-function.md, min-of-function.md).
fn extreme(args: &[KqlValue], wanted: Ordering) -> Result<KqlValue, String> {
    // The result has the first argument's type: a real among whole numbers would be truncated.
    if matches!(args[0], KqlValue::Long(_)) && args.iter().any(|a| matches!(a, KqlValue::Real(_))) {
        return Err(
            "mixes whole numbers and reals; convert the first argument with todouble()".to_string(),
        );
    }
    let mut best: Option<(usize, Key)> = None;
    for (index, value) in args.iter().enumerate() {
        let Some(candidate) = key(value)? else {
            continue;
        };
        best = match best {
            Some((_, current)) if compare_keys(candidate, current)? != wanted => best,
            _ => Some((index, candidate)),
        };
    }
    Ok(best.map_or(KqlValue::Null, |(index, _)| args[index].clone()))
}

/// `rand([n])` (rand-function.md): a real in [0, 1), or a whole real in [0, n) for n >= 1.
fn rand(args: &[KqlValue]) -> Result<KqlValue, String> {
    let unit = random_unit();
    Ok(match args.first() {
        None => KqlValue::Real(unit),
        Some(value) => match value.as_long() {
            Some(n) if n >= 1 => KqlValue::Real((unit * n as f64).floor().min((n - 1) as f64)),
            _ => KqlValue::Null,
        },
    })
}

/// A uniform real in [0, 1): SplitMix64 per thread, seeded from the OS's random source (through
/// a v4 UUID), so no two queries see the same sequence.
fn random_unit() -> f64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(uuid::Uuid::new_v4().as_u64_pair().0);
    }
    let next = STATE.with(|state| {
        let seed = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        state.set(seed);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    });
    // The top 53 bits, as a double's mantissa holds them.
    (next >> 11) as f64 / (1u64 << 53) as f64
}

/// A bitwise operation of two longs; null when either is null or `op` says so.
fn bitwise(args: &[KqlValue], op: fn(i64, i64) -> Option<i64>) -> Result<KqlValue, String> {
    Ok(match (args[0].as_long(), args[1].as_long()) {
        (Some(x), Some(y)) => op(x, y).map_or(KqlValue::Null, KqlValue::Long),
        _ => KqlValue::Null,
    })
}

/// `value << (shift % 64)`, bits shifted out lost; null for a negative shift
/// (binary-shift-left-function.md).
fn shift_left(value: i64, shift: i64) -> Option<i64> {
    let shift = u32::try_from(shift % 64).ok()?;
    Some(value.wrapping_shl(shift))
}

/// `value >> (shift % 64)`, keeping the sign (binary-shift-right-function.md).
fn shift_right(value: i64, shift: i64) -> Option<i64> {
    let shift = u32::try_from(shift % 64).ok()?;
    Some(value.wrapping_shr(shift))
}

/// `convert_*(value, from, to)`: through the quantity's base unit; null for a unit not in the
/// page's list (names are matched exactly).
fn convert(args: &[KqlValue], table: &[units::Unit]) -> Result<KqlValue, String> {
    let Some(value) = args[0].as_real() else {
        return Ok(KqlValue::Null);
    };
    let find = |name: String| table.iter().find(|unit| unit.name == name);
    Ok(match (find(args[1].to_text()), find(args[2].to_text())) {
        (Some(from), Some(to)) if from.name == to.name => KqlValue::Real(value),
        (Some(from), Some(to)) => KqlValue::Real((to.from_base)((from.to_base)(value))),
        _ => KqlValue::Null,
    })
}

/// `format_bytes(size [, precision [, units]])` (format-bytes-function.md): `564 Bytes`,
/// `19.08 MB`. Without units, the largest unit in which the size is at least 1; the number is
/// rounded to `precision` digits and written as KQL writes a real. Unknown units give "".
fn format_bytes(args: &[KqlValue]) -> Result<KqlValue, String> {
    const UNITS: [&str; 7] = ["Bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
    let Some(size) = args[0].as_real() else {
        return Ok(KqlValue::String(String::new()));
    };
    let precision = match args.get(1) {
        None => 0,
        Some(value) => match value.as_long() {
            Some(p) => p.clamp(-20, 20),
            None => return Ok(KqlValue::String(String::new())),
        },
    };
    let wanted = args.get(2).map(KqlValue::to_text).unwrap_or_default();
    let power = if wanted.is_empty() {
        let mut power = 0;
        let mut scaled = size.abs();
        while scaled >= 1024.0 && power < UNITS.len() - 1 {
            scaled /= 1024.0;
            power += 1;
        }
        power
    } else {
        match UNITS.iter().position(|unit| *unit == wanted) {
            Some(power) => power,
            None => return Ok(KqlValue::String(String::new())),
        }
    };
    let value = round_real(size / 1024f64.powi(power as i32), precision);
    Ok(KqlValue::String(format!(
        "{} {}",
        format_real(value),
        UNITS[power]
    )))
}

/// `around(value, center, delta)` (around-function.md): whether value is within
/// [center − delta, center + delta]; null when any is null. Numbers compare as reals,
/// datetimes and timespans as ticks (a datetime's delta is a timespan).
fn around(args: &[KqlValue]) -> Result<KqlValue, String> {
    if args.iter().any(KqlValue::is_null) {
        return Ok(KqlValue::Null);
    }
    let ticks = |v: &KqlValue| match v {
        KqlValue::DateTime(t) | KqlValue::Timespan(t) => Some(*t as f64),
        _ => None,
    };
    let value = |v: &KqlValue| ticks(v).or_else(|| v.as_real());
    match (value(&args[0]), value(&args[1]), value(&args[2])) {
        (Some(x), Some(center), Some(delta)) => {
            Ok(KqlValue::Bool(x >= center - delta && x <= center + delta))
        }
        _ => Err("around() takes numbers, datetimes or timespans".to_string()),
    }
}

#[cfg(test)]
// The pages' outputs, digit for digit as printed (π, e and ln 2 among them).
#[allow(clippy::excessive_precision, clippy::approx_constant)]
mod tests {
    use super::super::tests::{call, s};
    use super::*;

    fn real(x: f64) -> KqlValue {
        KqlValue::Real(x)
    }

    fn long(n: i64) -> KqlValue {
        KqlValue::Long(n)
    }

    /// Asserts a real result within a relative 1e-12 (documented outputs are rounded).
    #[track_caller]
    fn close(value: KqlValue, expected: f64) {
        let KqlValue::Real(actual) = value else {
            panic!("{value:?} is not a real, expected {expected}");
        };
        let tolerance = 1e-12 * expected.abs().max(1e-300);
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not {expected}"
        );
    }

    #[track_caller]
    fn nan(value: KqlValue) {
        assert!(
            matches!(value, KqlValue::Real(x) if x.is_nan()),
            "{value:?} is not NaN"
        );
    }

    #[test]
    fn powers_and_logarithms_pages() {
        close(call("pow", &[long(2), long(3)]), 8.0);
        close(call("exp", &[long(2)]), 7.38905609893065);
        close(call("exp2", &[long(3)]), 8.0);
        close(call("exp10", &[long(2)]), 100.0);
        close(call("log", &[long(5)]), 1.6094379124341003);
        close(call("log2", &[long(5)]), 2.3219280948873622);
        close(call("log10", &[long(5)]), 0.69897000433601886);
        close(call("sqrt", &[long(16)]), 4.0);
        // using-hll-tdigest.md divides by pow(1024, 2).
        close(call("pow", &[long(1024), long(2)]), 1048576.0);
    }

    #[test]
    fn powers_and_logarithms_edges() {
        // Null for a negative argument, as the pages say; log(0) is -infinity.
        for name in ["log", "log2", "log10", "sqrt"] {
            assert_eq!(call(name, &[real(-1.0)]), KqlValue::Null, "{name}");
            assert_eq!(call(name, &[KqlValue::Null]), KqlValue::Null, "{name}");
        }
        assert_eq!(call("log", &[long(0)]), real(f64::NEG_INFINITY));
        nan(call("log", &[real(f64::NAN)]));
        assert_eq!(call("pow", &[long(10), long(400)]), real(f64::INFINITY));
        nan(call("pow", &[long(-8), real(1.0 / 3.0)]));
        assert_eq!(call("pow", &[KqlValue::Null, long(2)]), KqlValue::Null);
        assert_eq!(call("pow", &[long(0), long(-1)]), real(f64::INFINITY));
        assert_eq!(call("exp", &[real(1000.0)]), real(f64::INFINITY));
    }

    #[test]
    fn abs_sign_ceiling_pages() {
        assert_eq!(call("abs", &[long(-5)]), long(5));
        assert_eq!(call("sign", &[long(-42)]), long(-1));
        assert_eq!(call("sign", &[long(0)]), long(0));
        assert_eq!(call("sign", &[real(11.2)]), real(1.0));
        assert_eq!(call("ceiling", &[real(-1.1)]), real(-1.0));
        assert_eq!(call("ceiling", &[long(0)]), long(0));
        assert_eq!(call("ceiling", &[real(0.9)]), real(1.0));
    }

    #[test]
    fn abs_sign_ceiling_edges() {
        let hour = crate::kql::time::TICKS_PER_HOUR;
        assert_eq!(
            call("abs", &[KqlValue::Timespan(-hour)]),
            KqlValue::Timespan(hour)
        );
        assert_eq!(call("abs", &[real(-2.5)]), real(2.5));
        assert_eq!(call("abs", &[long(i64::MIN)]), KqlValue::Null);
        assert_eq!(call("abs", &[KqlValue::Null]), KqlValue::Null);
        let dynamic = KqlValue::Dynamic(serde_json::json!(-2.5));
        assert_eq!(call("abs", &[dynamic]), real(2.5));
        let function = super::super::lookup("abs").unwrap();
        assert!((function.eval)(&[s("-5")]).is_err());
        assert!((function.eval)(&[KqlValue::DateTime(0)]).is_err());
        assert_eq!(call("sign", &[real(-0.5)]), real(-1.0));
        assert_eq!(call("sign", &[real(-0.0)]), real(0.0));
        nan(call("sign", &[real(f64::NAN)]));
        assert_eq!(call("sign", &[KqlValue::Null]), KqlValue::Null);
        assert_eq!(call("ceiling", &[long(-7)]), long(-7));
        assert_eq!(call("ceiling", &[KqlValue::Null]), KqlValue::Null);
    }

    #[test]
    fn round_page() {
        close(call("round", &[real(2.98765), long(3)]), 2.988);
        close(call("round", &[real(2.15), long(1)]), 2.2);
        assert_eq!(call("round", &[real(2.15)]), real(2.0));
        assert_eq!(call("round", &[real(2.15), long(0)]), real(2.0));
        assert_eq!(call("round", &[real(-50.55), long(-2)]), real(-100.0));
        assert_eq!(call("round", &[real(21.5), long(-1)]), real(20.0));
    }

    #[test]
    fn round_edges() {
        // Midpoints away from zero.
        assert_eq!(call("round", &[real(2.5)]), real(3.0));
        assert_eq!(call("round", &[real(-2.5)]), real(-3.0));
        // Whole numbers keep their type; negative precision rounds them too.
        assert_eq!(call("round", &[long(1234), long(-2)]), long(1200));
        assert_eq!(call("round", &[long(-1250), long(-2)]), long(-1300));
        assert_eq!(call("round", &[long(1234), long(3)]), long(1234));
        assert_eq!(call("round", &[long(i64::MAX), long(-1)]), KqlValue::Null);
        assert_eq!(call("round", &[long(i64::MAX), long(-30)]), long(0));
        assert_eq!(call("round", &[real(1.5), long(400)]), real(1.5));
        assert_eq!(call("round", &[real(1e300), long(-400)]), real(0.0));
        assert_eq!(call("round", &[real(123.456), long(i64::MIN)]), real(0.0));
        assert_eq!(
            call("round", &[real(f64::INFINITY), long(2)]),
            real(f64::INFINITY)
        );
        assert_eq!(call("round", &[KqlValue::Null, long(2)]), KqlValue::Null);
        assert_eq!(call("round", &[real(1.25), KqlValue::Null]), KqlValue::Null);
    }

    #[test]
    fn trigonometry_pages() {
        close(call("sin", &[long(1)]), 0.841470984807897);
        close(call("cos", &[long(1)]), 0.54030230586813977);
        close(call("cot", &[long(1)]), 0.64209261593433065);
        close(call("atan", &[real(0.5)]), 0.46364760900080609);
        close(call("atan2", &[long(1), long(1)]), 0.785398163397448);
        close(call("atan2", &[long(0), long(-1)]), 3.14159265358979);
        close(call("atan2", &[long(-1), long(0)]), -1.5707963267949);
        close(call("degrees", &[real(PI / 4.0)]), 45.0);
        close(call("degrees", &[real(PI * 1.5)]), 270.0);
        assert_eq!(call("degrees", &[long(0)]), real(0.0));
        close(call("radians", &[long(90)]), 1.5707963267949);
        close(call("radians", &[long(180)]), 3.14159265358979);
        close(call("radians", &[long(360)]), 6.28318530717959);
        assert_eq!(call("pi", &[]), real(PI));
    }

    #[test]
    fn trigonometry_edges() {
        // asin-function.md shows 1.2532… for asin(0.5), which is not the arc sine of 0.5.
        close(call("asin", &[real(0.5)]), 0.5235987755982989);
        close(call("acos", &[long(-1)]), PI);
        assert_eq!(call("asin", &[real(1.5)]), KqlValue::Null);
        assert_eq!(call("acos", &[real(-1.01)]), KqlValue::Null);
        nan(call("asin", &[real(f64::NAN)]));
        close(call("tan", &[long(1)]), 1.5574077246549023);
        assert_eq!(call("cot", &[long(0)]), real(f64::INFINITY));
        assert_eq!(call("sin", &[KqlValue::Null]), KqlValue::Null);
        assert_eq!(call("atan2", &[KqlValue::Null, long(1)]), KqlValue::Null);
    }

    #[test]
    fn isinf_isfinite_pages() {
        let (minus, zero, plus) = (f64::NEG_INFINITY, f64::NAN, f64::INFINITY);
        let isinf: Vec<_> = [minus, zero, plus]
            .map(|x| call("isinf", &[real(x)]))
            .into();
        assert_eq!(isinf, [true, false, true].map(KqlValue::Bool));
        let isfinite: Vec<_> = [minus, zero, plus]
            .map(|x| call("isfinite", &[real(x)]))
            .into();
        assert_eq!(isfinite, [false; 3].map(KqlValue::Bool));
        assert_eq!(call("isfinite", &[real(1.5)]), KqlValue::Bool(true));
        assert_eq!(call("isfinite", &[long(7)]), KqlValue::Bool(true));
        assert_eq!(call("isinf", &[long(7)]), KqlValue::Bool(false));
        assert_eq!(call("isinf", &[KqlValue::Null]), KqlValue::Null);
    }

    #[test]
    fn erf_erfc_pages() {
        let erf = [
            -0.999977909503001,
            -0.995322265018953,
            -0.842700792949715,
            0.0,
            0.842700792949715,
            0.995322265018953,
            0.999977909503001,
        ];
        let erfc = [
            1.999977909503001,
            1.995322265018953,
            1.842700792949715,
            1.0,
            0.157299207050285,
            0.00467773498104727,
            2.20904969985854E-05,
        ];
        for (x, (erf, erfc)) in (-3..=3).zip(erf.into_iter().zip(erfc)) {
            if erf == 0.0 {
                assert_eq!(call("erf", &[long(x)]), real(0.0));
            } else {
                // The page rounds to 15 digits.
                let KqlValue::Real(value) = call("erf", &[long(x)]) else {
                    panic!("erf({x}) is not a real");
                };
                assert!((value - erf).abs() < 1e-14, "erf({x}) = {value}");
            }
            let KqlValue::Real(value) = call("erfc", &[long(x)]) else {
                panic!("erfc({x}) is not a real");
            };
            assert!((value - erfc).abs() <= 1e-14 * erfc, "erfc({x}) = {value}");
        }
        assert_eq!(call("erf", &[KqlValue::Null]), KqlValue::Null);
    }

    #[test]
    fn gamma_pages() {
        close(call("gamma", &[long(5)]), 24.0);
        close(call("loggamma", &[long(5)]), 3.1780538303479458);
        close(call("gamma", &[real(0.5)]), PI.sqrt());
        assert_eq!(call("gamma", &[long(0)]), real(f64::INFINITY));
        nan(call("gamma", &[long(-2)]));
        close(call("loggamma", &[real(-0.5)]), (2.0 * PI.sqrt()).ln());
        assert_eq!(call("gamma", &[KqlValue::Null]), KqlValue::Null);
    }

    #[test]
    fn beta_pages() {
        let args = |x: f64, a: f64| [real(x), real(a), real(20.0)];
        close(call("beta_cdf", &args(0.9, 10.0)), 0.999999999999959);
        nan(call("beta_cdf", &args(1.5, 10.0)));
        nan(call("beta_cdf", &args(-10.0, 10.0)));
        nan(call("beta_cdf", &args(0.1, -1.0)));
        close(call("beta_pdf", &args(0.5, 10.0)), 0.746176019310951);
        nan(call("beta_pdf", &args(1.5, 10.0)));
        nan(call("beta_pdf", &args(-10.0, 10.0)));
        nan(call("beta_pdf", &args(0.1, -1.0)));
        close(call("beta_inv", &args(0.1, 10.0)), 0.226415022388749);
        assert_eq!(call("beta_inv", &args(1.5, 10.0)), KqlValue::Null);
        nan(call("beta_inv", &args(0.1, -1.0)));
    }

    #[test]
    fn beta_edges() {
        // The uniform distribution: cdf(x) = x, pdf = 1, inv(p) = p.
        close(call("beta_cdf", &[real(0.3), long(1), long(1)]), 0.3);
        close(call("beta_pdf", &[real(0.3), long(1), long(1)]), 1.0);
        close(call("beta_inv", &[real(0.3), long(1), long(1)]), 0.3);
        // Beta(2, 1): cdf x², pdf 2x.
        close(call("beta_cdf", &[real(0.5), long(2), long(1)]), 0.25);
        close(call("beta_pdf", &[real(0.5), long(2), long(1)]), 1.0);
        close(call("beta_inv", &[real(0.25), long(2), long(1)]), 0.5);
        assert_eq!(call("beta_cdf", &[long(0), long(2), long(3)]), real(0.0));
        assert_eq!(call("beta_cdf", &[long(1), long(2), long(3)]), real(1.0));
        assert_eq!(call("beta_pdf", &[long(0), long(2), long(3)]), real(0.0));
        assert_eq!(
            call("beta_pdf", &[long(0), real(0.5), long(3)]),
            real(f64::INFINITY)
        );
        assert_eq!(call("beta_inv", &[long(0), long(2), long(3)]), real(0.0));
        assert_eq!(call("beta_inv", &[long(1), long(2), long(3)]), real(1.0));
        assert_eq!(
            call("beta_inv", &[real(-0.1), long(2), long(3)]),
            KqlValue::Null
        );
        nan(call("beta_cdf", &[real(0.5), long(0), long(3)]));
        // Large parameters converge without running away.
        // (ln Γ of a million loses some digits: the symmetric answer to about 1e-9.)
        let huge = call("beta_cdf", &[real(0.5), real(1e6), real(1e6)]);
        assert!((huge.as_real().unwrap() - 0.5).abs() < 1e-8, "{huge:?}");
        close(call("beta_cdf", &[real(0.5), long(30), long(30)]), 0.5);
        assert_eq!(
            call("beta_cdf", &[KqlValue::Null, long(2), long(3)]),
            KqlValue::Null
        );
    }

    #[test]
    fn max_of_min_of_pages() {
        let numbers = [long(10), long(1), long(-3), long(17)];
        assert_eq!(call("max_of", &numbers), long(17));
        assert_eq!(call("min_of", &numbers), long(-3));
        let null = KqlValue::Null;
        let max_rows = [(1, 6, 6), (8, 1, 8)];
        for (a, b, max) in max_rows {
            assert_eq!(call("max_of", &[long(a), long(b)]), long(max));
        }
        assert_eq!(call("max_of", &[null.clone(), long(2)]), long(2));
        assert_eq!(call("max_of", &[long(1), null.clone()]), long(1));
        assert_eq!(call("max_of", &[null.clone(), null.clone()]), null);
        for (a, b, min) in [(5, 2, 2), (10, 1, 1)] {
            assert_eq!(call("min_of", &[long(a), long(b)]), long(min));
        }
        assert_eq!(call("min_of", &[null.clone(), long(3)]), long(3));
        assert_eq!(call("min_of", &[long(1), null.clone()]), long(1));
        assert_eq!(call("min_of", &[null.clone(), null.clone()]), null);
        let date = |text| KqlValue::DateTime(crate::kql::time::parse_datetime(text).unwrap());
        let dates = [
            (
                "2024-12-15 07:15:22",
                "2024-12-15 07:15:24",
                "2024-12-15 07:15:24",
            ),
            (
                "2024-12-15 08:00:00",
                "2024-12-15 09:30:00",
                "2024-12-15 09:30:00",
            ),
            (
                "2024-12-15 10:45:00",
                "2024-12-14 10:45:00",
                "2024-12-15 10:45:00",
            ),
        ];
        for (a, b, max) in dates {
            assert_eq!(call("max_of", &[date(a), date(b)]), date(max));
        }
    }

    #[test]
    fn max_of_min_of_edges() {
        assert_eq!(
            call("max_of", &[s("apple"), s("pear"), s("fig")]),
            s("pear")
        );
        assert_eq!(call("min_of", &[s("apple"), s("pear"), s("")]), s(""));
        assert_eq!(call("max_of", &[real(1.5), long(2)]), long(2));
        assert_eq!(
            call("min_of", &[real(1.5), long(2), real(f64::NAN)]),
            real(1.5)
        );
        let span = KqlValue::Timespan;
        assert_eq!(call("max_of", &[span(5), span(-5)]), span(5));
        assert_eq!(
            call("min_of", &[KqlValue::Bool(true), KqlValue::Bool(false)]),
            KqlValue::Bool(false)
        );
        let number = KqlValue::Dynamic(serde_json::json!(4));
        assert_eq!(call("max_of", &[number.clone(), long(3)]), number);
        // Kusto refuses arguments of different types; a real after a whole number would be
        // truncated to the first argument's type.
        let function = super::super::lookup("max_of").unwrap();
        assert!((function.eval)(&[long(1), s("a")]).is_err());
        assert!((function.eval)(&[long(1), real(2.5)]).is_err());
        assert!((function.eval)(&[KqlValue::Dynamic(serde_json::json!([1])), long(1)]).is_err());
        let many: Vec<_> = (0..64).map(long).collect();
        assert_eq!(call("max_of", &many), long(63));
    }

    #[test]
    fn rand_page() {
        for _ in 0..1000 {
            let KqlValue::Real(x) = call("rand", &[]) else {
                panic!("rand() is not a real");
            };
            assert!((0.0..1.0).contains(&x), "{x}");
            let KqlValue::Real(n) = call("rand", &[long(10)]) else {
                panic!("rand(10) is not a real");
            };
            assert!((0.0..10.0).contains(&n) && n.fract() == 0.0, "{n}");
        }
        let draws: std::collections::HashSet<u64> = (0..100)
            .map(|_| call("rand", &[]).as_real().unwrap().to_bits())
            .collect();
        assert!(draws.len() > 90, "rand() repeats itself");
        assert_eq!(call("rand", &[long(1)]), real(0.0));
        assert_eq!(call("rand", &[long(0)]), KqlValue::Null);
        assert_eq!(call("rand", &[long(-5)]), KqlValue::Null);
        assert_eq!(call("rand", &[KqlValue::Null]), KqlValue::Null);
        assert!(super::super::lookup("rand").unwrap().volatile);
    }

    #[test]
    fn bitwise_pages() {
        assert_eq!(call("binary_and", &[long(6), long(3)]), long(2));
        assert_eq!(call("binary_or", &[long(5), long(3)]), long(7));
        assert_eq!(call("binary_xor", &[long(1), long(1)]), long(0));
        assert_eq!(call("binary_xor", &[long(1), long(2)]), long(3));
        assert_eq!(call("binary_not", &[long(100)]), long(-101));
        assert_eq!(call("binary_shift_left", &[long(1), long(2)]), long(4));
        assert_eq!(call("binary_shift_right", &[long(1), long(2)]), long(0));
        assert_eq!(call("bitset_count_ones", &[long(42)]), long(3));
    }

    #[test]
    fn bitwise_edges() {
        // shift % 64; bits shifted out are lost; a negative shift is null.
        assert_eq!(call("binary_shift_left", &[long(1), long(65)]), long(2));
        assert_eq!(
            call("binary_shift_left", &[long(1), long(63)]),
            long(i64::MIN)
        );
        assert_eq!(
            call("binary_shift_left", &[long(3), long(63)]),
            long(i64::MIN)
        );
        assert_eq!(
            call("binary_shift_left", &[long(1), long(-1)]),
            KqlValue::Null
        );
        assert_eq!(call("binary_shift_right", &[long(-8), long(1)]), long(-4));
        assert_eq!(
            call("binary_shift_right", &[long(8), long(-1)]),
            KqlValue::Null
        );
        assert_eq!(
            call("binary_and", &[KqlValue::Null, long(3)]),
            KqlValue::Null
        );
        assert_eq!(call("binary_not", &[KqlValue::Null]), KqlValue::Null);
        assert_eq!(call("bitset_count_ones", &[long(-1)]), long(64));
        assert_eq!(call("bitset_count_ones", &[KqlValue::Null]), KqlValue::Null);
    }

    #[test]
    fn convert_pages() {
        let convert = |name, from, to| call(name, &[real(1.2), s(from), s(to)]);
        close(convert("convert_angle", "Degree", "Arcminute"), 72.0);
        close(
            convert("convert_energy", "Joule", "BritishThermalUnit"),
            0.00113738054437598,
        );
        close(convert("convert_force", "Newton", "Decanewton"), 0.12);
        close(convert("convert_length", "Meter", "Foot"), 3.93700787401575);
        close(
            convert("convert_mass", "Kilogram", "Pound"),
            2.64554714621853,
        );
        close(
            convert("convert_speed", "MeterPerSecond", "CentimeterPerHour"),
            432000.0,
        );
        close(
            convert("convert_temperature", "Kelvin", "DegreeCelsius"),
            -271.95,
        );
        close(
            convert("convert_volume", "CubicMeter", "AcreFoot"),
            0.0009728568,
        );
    }

    #[test]
    fn convert_edges() {
        let convert = |name, value: f64, from, to| call(name, &[real(value), s(from), s(to)]);
        close(
            convert(
                "convert_temperature",
                100.0,
                "DegreeCelsius",
                "DegreeFahrenheit",
            ),
            212.0,
        );
        close(
            convert("convert_temperature", 32.0, "DegreeFahrenheit", "Kelvin"),
            273.15,
        );
        close(
            convert("convert_angle", 1.0, "Revolution", "Radian"),
            2.0 * PI,
        );
        close(convert("convert_angle", 30.0, "Degree", "Tilt"), 0.5);
        close(convert("convert_length", 1.0, "Kilometer", "Meter"), 1000.0);
        close(convert("convert_length", 1.0, "Mile", "Kilometer"), 1.60934);
        close(convert("convert_mass", 1.0, "Kilogram", "Gram"), 1000.0);
        close(
            convert("convert_volume", 1.0, "KilousGallon", "Liter"),
            3785.41,
        );
        close(
            convert("convert_energy", 1.0, "KilowattHour", "Joule"),
            3.6e6,
        );
        close(
            convert("convert_speed", 1.0, "Knot", "MeterPerSecond"),
            0.514444,
        );
        close(
            convert("convert_force", 1.0, "KiloPond", "Newton"),
            9.80665002864,
        );
        // The same unit gives the value back untouched.
        assert_eq!(convert("convert_angle", 0.1, "Tilt", "Tilt"), real(0.1));
        // Unknown units, and names in another case, are null.
        assert_eq!(
            convert("convert_length", 1.0, "Meter", "Furlong"),
            KqlValue::Null
        );
        assert_eq!(
            convert("convert_length", 1.0, "meter", "Foot"),
            KqlValue::Null
        );
        assert_eq!(convert("convert_length", 1.0, "", "Foot"), KqlValue::Null);
        assert_eq!(
            call("convert_length", &[KqlValue::Null, s("Meter"), s("Foot")]),
            KqlValue::Null
        );
        // Every unit of every table converts to itself through the base unit and back.
        for table in [
            units::ANGLE,
            units::ENERGY,
            units::FORCE,
            units::LENGTH,
            units::MASS,
            units::SPEED,
            units::TEMPERATURE,
            units::VOLUME,
        ] {
            for unit in table {
                let back = (unit.from_base)((unit.to_base)(0.25));
                assert!((back - 0.25).abs() < 1e-9, "{}: {back}", unit.name);
            }
        }
    }

    #[test]
    fn format_bytes_page() {
        assert_eq!(call("format_bytes", &[long(564)]), s("564 Bytes"));
        assert_eq!(call("format_bytes", &[long(10332), long(1)]), s("10.1 KB"));
        assert_eq!(call("format_bytes", &[long(20010332)]), s("19 MB"));
        assert_eq!(
            call("format_bytes", &[long(20010332), long(2)]),
            s("19.08 MB")
        );
        assert_eq!(
            call("format_bytes", &[long(20010332), long(0), s("KB")]),
            s("19541 KB")
        );
    }

    #[test]
    fn format_bytes_edges() {
        assert_eq!(call("format_bytes", &[long(0)]), s("0 Bytes"));
        assert_eq!(call("format_bytes", &[long(1024)]), s("1 KB"));
        assert_eq!(call("format_bytes", &[long(-2048)]), s("-2 KB"));
        assert_eq!(call("format_bytes", &[real(1e30)]), s("867361737988 EB"));
        assert_eq!(
            call("format_bytes", &[long(1024), long(2), s("")]),
            s("1 KB")
        );
        assert_eq!(
            call("format_bytes", &[long(1024), long(2), s("Bytes")]),
            s("1024 Bytes")
        );
        assert_eq!(call("format_bytes", &[long(1024), long(0), s("XB")]), s(""));
        assert_eq!(call("format_bytes", &[KqlValue::Null]), s(""));
        assert_eq!(call("format_bytes", &[long(5), KqlValue::Null]), s(""));
    }
}
