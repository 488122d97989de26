//! The beta distribution (beta-cdf-function.md, beta-pdf-function.md, beta-inv-function.md).
//! Invalid input (x outside [0, 1], a parameter not positive) gives NaN, as the pages show;
//! `beta_inv()` of a probability outside [0, 1] gives null.

/// ln B(a, b), through ln Γ.
fn ln_beta(a: f64, b: f64) -> f64 {
    libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b)
}

/// Whether the distribution's parameters are usable (positive and finite).
fn valid(a: f64, b: f64) -> bool {
    a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite()
}

/// The density at `x`: x^(a-1) (1-x)^(b-1) / B(a, b).
pub(super) fn beta_pdf(x: f64, a: f64, b: f64) -> Option<f64> {
    if !valid(a, b) || !(0.0..=1.0).contains(&x) {
        return Some(f64::NAN);
    }
    // At the ends a power of 0 decides: 0, the finite limit, or infinity.
    let edge = |p: f64, other: f64| {
        if p < 1.0 {
            f64::INFINITY
        } else if p == 1.0 {
            (-ln_beta(p, other)).exp()
        } else {
            0.0
        }
    };
    Some(if x == 0.0 {
        edge(a, b)
    } else if x == 1.0 {
        edge(b, a)
    } else {
        ((a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p() - ln_beta(a, b)).exp()
    })
}

/// The cumulative distribution at `x`: the regularized incomplete beta function I_x(a, b).
pub(super) fn beta_cdf(x: f64, a: f64, b: f64) -> Option<f64> {
    if !valid(a, b) || !(0.0..=1.0).contains(&x) {
        return Some(f64::NAN);
    }
    Some(incomplete_beta(x, a, b))
}

/// The x at which the cumulative distribution reaches `p`, by bisection (the distribution is
/// increasing on [0, 1], so halving the interval until it stops shrinking finds x to the last
/// bit, in about 60 steps).
pub(super) fn beta_inv(p: f64, a: f64, b: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&p) {
        return None;
    }
    if !valid(a, b) {
        return Some(f64::NAN);
    }
    if p == 0.0 || p == 1.0 {
        return Some(p);
    }
    let (mut low, mut high) = (0.0f64, 1.0f64);
    for _ in 0..200 {
        let middle = 0.5 * (low + high);
        if middle <= low || middle >= high {
            break;
        }
        if incomplete_beta(middle, a, b) < p {
            low = middle;
        } else {
            high = middle;
        }
    }
    Some(0.5 * (low + high))
}

/// I_x(a, b) for valid parameters and x in [0, 1]: the continued fraction converges quickly for
/// x below the mean-ish point (a+1)/(a+b+2); above it, the symmetry I_x(a, b) = 1 - I_{1-x}(b, a).
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = |x: f64, a: f64, b: f64| (a * x.ln() + b * (-x).ln_1p() - ln_beta(a, b)).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front(x, a, b) * continued_fraction(x, a, b) / a
    } else {
        1.0 - front(1.0 - x, b, a) * continued_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction of the incomplete beta function, evaluated by the modified Lentz
/// method. Bounded: it stops at full precision or after 10,000 terms (huge parameters).
fn continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPSILON: f64 = 1e-16;
    let nonzero = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..=10_000 {
        let m = f64::from(m);
        // The even step.
        let numerator = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / nonzero(1.0 + numerator * d);
        c = nonzero(1.0 + numerator / c);
        h *= d * c;
        // The odd step.
        let numerator = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / nonzero(1.0 + numerator * d);
        c = nonzero(1.0 + numerator / c);
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPSILON || !h.is_finite() {
            break;
        }
    }
    h
}
