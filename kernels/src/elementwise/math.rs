//! Scalar f32 functions with the exact formulas of the portable kernels, so
//! they can be passed to [`crate::elementwise::unary::map`] as `fn(f32) -> f32`.

use core::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI, SQRT_2};

#[inline]
pub fn exp(x: f32) -> f32 {
    libm::expf(x)
}

#[inline]
pub fn tanh(x: f32) -> f32 {
    libm::tanhf(x)
}

/// The portable kernel uses the plain `1 / (1 + exp(-x))` in f32.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + libm::expf(-x))
}

/// `x < 0 ? -x : x`: unlike `f32::abs`, `-0.0` stays `-0.0` and NaN keeps its sign.
#[inline]
pub fn abs(x: f32) -> f32 {
    if x < 0.0 {
        -x
    } else {
        x
    }
}

#[inline]
pub fn neg(x: f32) -> f32 {
    -x
}

/// NaN propagates, and `-0.0` passes through because it compares `>= 0`.
#[inline]
pub fn relu(x: f32) -> f32 {
    if x.is_nan() || x >= 0.0 {
        x
    } else {
        0.0
    }
}

/// ExecuTorch's `maximum`: a NaN on either side wins.
#[inline]
pub fn maximum(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if a < b {
        b
    } else {
        a
    }
}

/// ExecuTorch's `minimum`: a NaN on either side wins.
#[inline]
pub fn minimum(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if b < a {
        b
    } else {
        a
    }
}

/// `x >= 0 ? x : x * slope`, as the portable kernel.
#[inline]
pub fn leaky_relu(x: f32, slope: f32) -> f32 {
    if x >= 0.0 {
        x
    } else {
        x * slope
    }
}

/// `x <= 0 ? expm1(x * input_scale) * alpha * scale : x * scale`, as the portable kernel.
#[inline]
pub fn elu(x: f32, alpha: f32, scale: f32, input_scale: f32) -> f32 {
    if x <= 0.0 {
        libm::expm1f(x * input_scale) * (alpha * scale)
    } else {
        x * scale
    }
}

#[inline]
pub fn floor(x: f32) -> f32 {
    libm::floorf(x)
}

#[inline]
pub fn ceil(x: f32) -> f32 {
    libm::ceilf(x)
}

#[inline]
pub fn log(x: f32) -> f32 {
    libm::logf(x)
}

#[inline]
pub fn sin(x: f32) -> f32 {
    libm::sinf(x)
}

#[inline]
pub fn cos(x: f32) -> f32 {
    libm::cosf(x)
}

#[inline]
pub fn sqrt(x: f32) -> f32 {
    libm::sqrtf(x)
}

/// The portable kernel divides a double `1.0` by the f32 root and rounds back;
/// that double rounding is exact for division, so f32 division gives the same bits.
#[inline]
pub fn rsqrt(x: f32) -> f32 {
    1.0 / libm::sqrtf(x)
}

/// Exact GELU. The portable kernel promotes to double for `erf` and the
/// products (its constants are doubles), rounding to f32 only at the end.
#[inline]
pub fn gelu(x: f32) -> f32 {
    if x == f32::NEG_INFINITY {
        return 0.0;
    }
    if x == f32::INFINITY {
        return f32::INFINITY;
    }
    let xd = f64::from(x);
    (0.5 * xd * (1.0 + libm::erf(xd * FRAC_1_SQRT_2))) as f32
}

/// sqrt(2/pi), computed in double and then rounded, as the portable kernel does.
const GELU_BETA: f32 = (SQRT_2 * FRAC_2_SQRT_PI * 0.5) as f32;
const GELU_KAPPA: f32 = 0.044715;

/// Tanh-approximated GELU. The argument of tanh is built in f32, but the
/// final `0.5 * x * (1 + t)` is evaluated in double before rounding.
#[inline]
pub fn gelu_tanh(x: f32) -> f32 {
    if x == f32::NEG_INFINITY {
        return 0.0;
    }
    if x == f32::INFINITY {
        return f32::INFINITY;
    }
    let cube = x * x * x;
    let inner = GELU_BETA * (x + GELU_KAPPA * cube);
    (0.5 * f64::from(x) * (1.0 + f64::from(libm::tanhf(inner)))) as f32
}

/// `pow.Tensor_Scalar` on f32: C's `powf`, as ExecuTorch computes it.
#[inline]
pub fn pow(x: f32, e: f32) -> f32 {
    libm::powf(x, e)
}

/// `pow` for integer tensors, which ExecuTorch computes in double.
#[inline]
pub fn pow_f64(x: f64, e: f64) -> f64 {
    libm::pow(x, e)
}

/// C's `*f` function of each name, as the portable kernels call them in f32.
macro_rules! libm_f32 {
    ($($name:ident => $f:ident),* $(,)?) => {
        $(
            #[inline]
            pub fn $name(x: f32) -> f32 {
                libm::$f(x)
            }
        )*
    };
}

libm_f32! {
    log1p => log1pf, expm1 => expm1f, log2 => log2f, log10 => log10f, trunc => truncf,
    erf => erff, tan => tanf, asin => asinf, acos => acosf, atan => atanf, sinh => sinhf,
    cosh => coshf, asinh => asinhf, acosh => acoshf, atanh => atanhf, exp2 => exp2f,
}

/// `1.0` for NaN, else `0.0` (only the f32 → f32 form; the ops give bools).
#[inline]
pub fn is_nan(x: f32) -> f32 {
    f32::from(u8::from(x.is_nan()))
}

/// `1.0` for an infinity, else `0.0`.
#[inline]
pub fn is_inf(x: f32) -> f32 {
    f32::from(u8::from(x.is_infinite()))
}

/// `1.0 / x`, computed in double like the portable kernel, then rounded (the same bits).
#[inline]
pub fn reciprocal(x: f32) -> f32 {
    (1.0f64 / f64::from(x)) as f32
}

/// Half to even, the way ExecuTorch's `round` writes it: `round` away from
/// zero except at an exact half, where `round(x / 2) * 2`.
#[inline]
pub fn round(x: f32) -> f32 {
    if x - libm::floorf(x) == 0.5 {
        libm::roundf(x * 0.5) * 2.0
    } else {
        libm::roundf(x)
    }
}

/// -1, 0 or 1 (a positive zero for both zeros); NaN stays NaN.
#[inline]
pub fn sign(x: f32) -> f32 {
    if x.is_nan() {
        x
    } else {
        f32::from(u8::from(x > 0.0)) - f32::from(u8::from(x < 0.0))
    }
}

#[inline]
pub fn atan2(y: f32, x: f32) -> f32 {
    libm::atan2f(y, x)
}

/// C's `fmod`: the remainder with the sign of `a`.
#[inline]
pub fn fmod(a: f32, b: f32) -> f32 {
    libm::fmodf(a, b)
}

/// ExecuTorch's float `remainder`: `fmod`, plus `b` when `a` and `b` have
/// different signs and the remainder is not zero (the sign of `b`).
#[inline]
pub fn remainder(a: f32, b: f32) -> f32 {
    let r = libm::fmodf(a, b);
    if ((a < 0.0) ^ (b < 0.0)) && r != 0.0 {
        r + b
    } else {
        r
    }
}

/// ExecuTorch's float `floor_divide` (`div` with `rounding_mode="floor"`):
/// `(a - fmod(a, b)) / b`, one less when the remainder's sign differs from
/// `b`'s; dividing by zero gives an infinity with the sign of `a`.
#[inline]
pub fn floor_divide(a: f32, b: f32) -> f32 {
    if b == 0.0 {
        return if a.is_sign_negative() { f32::NEG_INFINITY } else { f32::INFINITY };
    }
    let m = libm::fmodf(a, b);
    let div = (a - m) / b;
    if m != 0.0 && b.is_sign_negative() != m.is_sign_negative() {
        div - 1.0
    } else {
        div
    }
}

/// `fmod` of integers, which ExecuTorch computes in double; a zero divisor gives 0
/// (ExecuTorch fails the call).
#[inline]
pub fn fmod_f64(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        libm::fmod(a, b)
    }
}

/// ExecuTorch's integer `floor_divide`; a zero divisor gives 0 (ExecuTorch fails the call).
#[inline]
pub fn floor_divide_i64(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    let q = a.wrapping_div(b);
    if (a < 0) == (b < 0) {
        return q;
    }
    if a.wrapping_rem(b) != 0 {
        q.wrapping_sub(1)
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu_keeps_nan_and_negative_zero() {
        assert!(relu(f32::NAN).is_nan());
        assert_eq!(relu(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(relu(-3.0), 0.0);
        assert_eq!(relu(2.5), 2.5);
    }

    #[test]
    fn abs_keeps_negative_zero() {
        assert_eq!(abs(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(abs(-2.0), 2.0);
        assert_eq!(abs(3.0), 3.0);
        assert_eq!(neg(3.0), -3.0);
    }

    #[test]
    fn simple_values() {
        assert_eq!(exp(0.0), 1.0);
        assert!((exp(1.0) - core::f32::consts::E).abs() < 1e-6);
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(2.0) - 0.880_797_1).abs() < 1e-6);
        assert_eq!(sigmoid(-200.0), 0.0);
        assert_eq!(sigmoid(200.0), 1.0);
        assert!((tanh(0.5) - 0.462_117_16).abs() < 1e-6);
        assert_eq!(sqrt(9.0), 3.0);
        assert_eq!(rsqrt(4.0), 0.5);
        assert_eq!(rsqrt(0.0), f32::INFINITY);
        assert!(sqrt(-1.0).is_nan());
    }

    #[test]
    fn gelu_values() {
        // Reference values from torch.nn.functional.gelu.
        let cases = [
            (1.0, 0.841_344_7),
            (-1.0, -0.158_655_26),
            (0.5, 0.345_731_3),
            (3.0, 2.995_950_4),
        ];
        for (x, want) in cases {
            assert!((gelu(x) - want).abs() < 1e-6, "gelu({x}) = {}", gelu(x));
        }
        let cases = [
            (1.0, 0.841_192),
            (-1.0, -0.158_808),
            (0.5, 0.345_714),
            (3.0, 2.996_363_7),
        ];
        for (x, want) in cases {
            assert!(
                (gelu_tanh(x) - want).abs() < 1e-5,
                "gelu_tanh({x}) = {}",
                gelu_tanh(x)
            );
        }
        assert_eq!(gelu(f32::NEG_INFINITY), 0.0);
        assert_eq!(gelu_tanh(f32::INFINITY), f32::INFINITY);
        assert!(gelu(f32::NAN).is_nan());
        assert_eq!(gelu(0.0), 0.0);
    }

    #[test]
    fn usable_as_fn_pointers() {
        let fs: [fn(f32) -> f32; 10] = [
            exp, tanh, sigmoid, abs, neg, relu, sqrt, rsqrt, gelu, gelu_tanh,
        ];
        assert!(fs.iter().all(|f| !f(1.0).is_nan()));
    }

    #[test]
    fn pow_values() {
        assert_eq!(pow(3.0, 2.0), 9.0);
        assert_eq!(pow(-2.0, 3.0), -8.0);
        assert_eq!(pow(4.0, 0.5), 2.0);
        assert!(pow(-1.0, 0.5).is_nan());
        assert_eq!(pow_f64(2.0, 10.0), 1024.0);
        let x = 1.1f32;
        assert_eq!(pow(x, 2.0), x * x);
    }
}
