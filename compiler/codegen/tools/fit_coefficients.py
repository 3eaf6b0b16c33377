#!/usr/bin/env python3
"""Derive the polynomial coefficients of compiler/codegen/ScalarMath.h.

Every approximation in ScalarMath.h is a linear combination sum(c_k * phi_k(t))
of fixed basis functions (powers of the reduced argument).  This script finds
the coefficients with the linear Remez exchange algorithm for a weighted
minimax error max |w(t) * (f(t) - sum(c_k * phi_k(t)))| and then rounds them
to the target precision one at a time, lowest order first, refitting the
remaining ones after each rounding so that they absorb the rounding error.

Everything runs in Python's `decimal` at 80 significant digits, so no
third-party package is needed: exp and log come from `decimal` itself, tanh,
atanh, erf and erfc are built from them or from their Taylor series here.  The
comment line printed for each fit gives the weighted error of the exact minimax
polynomial and of the rounded coefficients, measured on a dense grid with local
refinement; ScalarMath.h cites the latter.

Usage: fit_coefficients.py [NAME...]   (no name: the ln2 split constants and
every fit; about three minutes)
"""

import math
import sys
from decimal import Decimal as D, getcontext
from fractions import Fraction

getcontext().prec = 80

ONE = D(1)
TWO = D(2)


def pi():
    """Pi by Machin's formula, 16 atan(1/5) - 4 atan(1/239)."""
    def atan_inv(n):
        x = ONE / n
        x2 = x * x
        total, term, k = D(0), x, 1
        while term != 0:
            total += term / k if (k // 2) % 2 == 0 else -term / k
            term *= x2
            k += 2
            if abs(term) < D(10) ** -(getcontext().prec + 5):
                break
        return total
    return 16 * atan_inv(5) - 4 * atan_inv(239)


PI = pi()
TWO_OVER_SQRT_PI = TWO / PI.sqrt()
LN2 = TWO.ln()
EPS = D(10) ** -(getcontext().prec + 5)


def d_exp(x):
    return x.exp()


def d_tanh(x):
    if abs(x) < D("0.01"):
        # Series, to keep full relative precision for small x.
        x2, term, total = x * x, x, D(0)
        for c in _tanh_series():
            total += c * term
            term *= x2
        return total
    e = (2 * x).exp()
    return (e - 1) / (e + 1)


_TANH = []


def _tanh_series():
    """Taylor coefficients a_n of tanh(x) = sum a_n x^(2n+1), n < 31."""
    if _TANH:
        return _TANH
    # tan(x) = sum t_n x^(2n+1); t satisfies tan' = 1 + tan^2.
    n_terms = 31
    t = [Fraction(0)] * n_terms
    t[0] = Fraction(1)
    for n in range(1, n_terms):
        s = sum(t[i] * t[n - 1 - i] for i in range(n))
        t[n] = s / (2 * n + 1)
    for n in range(n_terms):
        a = t[n] * (-1) ** n  # tanh(x) = -i tan(ix)
        _TANH.append(D(a.numerator) / D(a.denominator))
    return _TANH


def d_atanh(s):
    return ((1 + s) / (1 - s)).ln() / 2


def d_erf(x):
    """erf by its Taylor series; 80 digits leave > 40 after cancellation
    for |x| <= 6."""
    x2 = x * x
    term, total, n = x, D(0), 0
    while True:
        contrib = term / (2 * n + 1)
        total += contrib
        if abs(contrib) < EPS * abs(total) and n > 2:
            break
        n += 1
        term = -term * x2 / n
    return TWO_OVER_SQRT_PI * total


def d_erfc(x):
    return 1 - d_erf(x)


# ----------------------------------------------------------------------------
# Linear algebra and the Remez exchange.


def solve(a, b):
    """Gaussian elimination with partial pivoting, in Decimal."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            if factor != 0:
                for c in range(col, n + 1):
                    m[r][c] -= factor * m[col][c]
    x = [D(0)] * n
    for r in range(n - 1, -1, -1):
        s = m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))
        x[r] = s / m[r][r]
    return x


class Problem:
    """Minimise max |w(t) (f(t) - sum c_k phi_k(t))| over t in [a, b]."""

    def __init__(self, f, basis, w, a, b):
        self.f, self.basis, self.w, self.a, self.b = f, basis, w, D(a), D(b)

    def err(self, coeffs, t, ft=None):
        if ft is None:
            ft = self.f(t)
        p = sum(c * phi(t) for c, phi in zip(coeffs, self.basis))
        return self.w(t) * (ft - p)


def cheb_points(a, b, n):
    """n points in [a, b], dense near the ends (Chebyshev extrema)."""
    pts = []
    for i in range(n):
        c = D(math.cos(math.pi * i / (n - 1)))
        pts.append((a + b) / 2 - (b - a) / 2 * c)
    pts[0], pts[-1] = a, b
    return pts


def refine(prob, coeffs, lo, hi, sign):
    """Golden-section search for the extremum of sign * err in [lo, hi]."""
    g = (D(5).sqrt() - 1) / 2
    x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
    f1, f2 = sign * prob.err(coeffs, x1), sign * prob.err(coeffs, x2)
    for _ in range(30):
        if f1 > f2:
            hi, x2, f2 = x2, x1, f1
            x1 = hi - g * (hi - lo)
            f1 = sign * prob.err(coeffs, x1)
        else:
            lo, x1, f1 = x1, x2, f2
            x2 = lo + g * (hi - lo)
            f2 = sign * prob.err(coeffs, x2)
    return (x1, f1) if f1 > f2 else (x2, f2)


def extrema(prob, coeffs, grid, fgrid):
    """Alternating local extrema of the error: (t, e) pairs."""
    e = [prob.err(coeffs, t, ft) for t, ft in zip(grid, fgrid)]
    groups = []  # (index of max |e| in a run of constant sign)
    i = 0
    while i < len(e):
        if e[i] == 0:
            i += 1
            continue
        s = e[i] > 0
        best = i
        while i < len(e) and (e[i] > 0) == s and e[i] != 0:
            if abs(e[i]) > abs(e[best]):
                best = i
            i += 1
        groups.append(best)
    out = []
    for k in groups:
        sign = 1 if e[k] > 0 else -1
        lo = grid[max(k - 1, 0)]
        hi = grid[min(k + 1, len(grid) - 1)]
        t, v = refine(prob, coeffs, lo, hi, sign)
        if v < abs(e[k]):
            t, v = grid[k], abs(e[k])
        out.append((t, sign * v))
    return out


def remez(prob, n_grid=None, max_iter=60, tol=D("1e-6"), verbose=False):
    m = len(prob.basis)
    n_grid = n_grid or 60 * (m + 1)
    grid = cheb_points(prob.a, prob.b, n_grid)
    fgrid = [prob.f(t) for t in grid]
    # Initial reference: Chebyshev nodes strictly inside the interval.
    ref = [(prob.a + prob.b) / 2 - (prob.b - prob.a) / 2 *
           D(math.cos(math.pi * (i + 0.5) / (m + 1))) for i in range(m + 1)]
    coeffs = [D(0)] * m
    for it in range(max_iter):
        rows, rhs = [], []
        for i, t in enumerate(ref):
            row = [phi(t) for phi in prob.basis]
            row.append((-1) ** i / prob.w(t))
            rows.append(row)
            rhs.append(prob.f(t))
        sol = solve(rows, rhs)
        coeffs, level = sol[:m], abs(sol[m])
        ext = extrema(prob, coeffs, grid, fgrid)
        while len(ext) > m + 1:
            k = min(range(len(ext)), key=lambda j: abs(ext[j][1]))
            if k == 0 or k == len(ext) - 1:
                ext.pop(k)
            elif len(ext) == m + 2:
                ext.pop(0 if abs(ext[0][1]) < abs(ext[-1][1]) else -1)
            else:
                nb = k - 1 if abs(ext[k - 1][1]) < abs(ext[k + 1][1]) else k + 1
                for j in sorted((k, nb), reverse=True):
                    ext.pop(j)
        worst = max(abs(v) for _, v in ext) if ext else level
        if verbose:
            print(f"  iter {it}: level {float(level):.3e} max {float(worst):.3e}",
                  file=sys.stderr)
        if len(ext) < m + 1:
            break  # at the noise floor: keep the current solution
        ref = [t for t, _ in ext]
        if worst <= level * (1 + tol) or level == 0:
            break
    return coeffs


def max_error(prob, coeffs, n=4000):
    grid = cheb_points(prob.a, prob.b, n)
    fgrid = [prob.f(t) for t in grid]
    ext = extrema(prob, coeffs, grid, fgrid)
    return max(abs(v) for _, v in ext) if ext else D(0)


def round_bits(x, bits):
    """x rounded to nearest with a `bits`-bit significand, as a Fraction."""
    fr = Fraction(x)
    if fr == 0:
        return fr
    e = 0
    a = abs(fr)
    while a >= 2:
        a /= 2
        e += 1
    while a < 1:
        a *= 2
        e -= 1
    scale = Fraction(2) ** (bits - 1 - e)
    return Fraction(round(fr * scale)) / scale


def fit_rounded(prob, bits, fixed=()):
    """Remez fit, then round coefficients lowest first, refitting the rest."""
    basis, f = list(prob.basis), prob.f
    done = list(fixed)
    while basis:
        sub = Problem(
            (lambda f0, fixed_terms: lambda t: f0(t) - sum(
                D(c.numerator) / D(c.denominator) * phi(t)
                for c, phi in fixed_terms))(f, list(zip(done, prob.basis))),
            basis, prob.w, prob.a, prob.b)
        coeffs = remez(sub)
        done.append(round_bits(coeffs[0], bits))
        basis = basis[1:]
    return done


def cxx(fr, bits):
    h = float(fr).hex()
    mant, exp = h.split("p")
    mant = mant.rstrip("0").rstrip(".") if "." in mant else mant
    return f"{mant}p{exp}" + ("f" if bits == 24 else "")


# ----------------------------------------------------------------------------
# The fits.  Each returns (problem, description of the weight).


def powers(k0, k1, shift=D(0)):
    return [(lambda k: lambda t: (t - shift) ** k)(k) for k in range(k0, k1 + 1)]


def fit_exp(deg, half):
    # exp(r) = 1 + r + sum_{k=2..deg} c_k r^k on |r| <= half; relative error.
    return Problem(lambda r: d_exp(r) - 1 - r, powers(2, deg),
                   lambda r: 1 / d_exp(r), -half, half)


def fit_log(deg, smax):
    # log1p(f) = f - s f + s R(z), s = f/(2+f), z = s^2, R = z P(z) with
    # P(z) ~ (2 atanh(s) - 2 s) / s^3; error of log1p ~ s^3 (P - P*), taken
    # relative to 2 s (e = 0) or to ln 2 / 2 (e != 0): weight z.
    def target(z):
        s = z.sqrt()
        return (2 * d_atanh(s) - 2 * s) / (s * z)
    return Problem(target, powers(0, deg), lambda z: z, D("1e-12"), smax * smax)


def fit_tanh(deg, xmax):
    # tanh(x) = x + x z P(z), z = x^2; relative error x z (P - P*) / tanh x.
    def target(z):
        x = z.sqrt()
        return (d_tanh(x) - x) / (x * z)
    def weight(z):
        x = z.sqrt()
        return x * z / d_tanh(x)
    return Problem(target, powers(0, deg), weight, D("1e-12"), xmax * xmax)


def fit_erf_small(deg, xmax):
    # erf(x) = x + x P(z), z = x^2, so that only the small P(0) = 2/sqrt(pi) - 1
    # is rounded near 0; relative error x (P - P*) / erf x.
    def target(z):
        x = z.sqrt()
        return d_erf(x) / x - 1
    def weight(z):
        x = z.sqrt()
        return x / d_erf(x)
    return Problem(target, powers(0, deg), weight, D("1e-14"), xmax * xmax)


def fit_erfc(deg, a, b, c):
    # erfc(x) = exp(-x^2) Q(x - c); the error that matters is the absolute
    # error of erfc next to 1: weight exp(-x^2).
    def target(x):
        return d_erfc(x) * d_exp(x * x)
    return Problem(target, powers(0, deg, c), lambda x: d_exp(-x * x), a, b)


FITS = {
    # name: (problem factory, significand bits of the target type)
    "exp_f32": (lambda: fit_exp(6, D("0.3467")), 24),
    "exp_f64": (lambda: fit_exp(11, D("0.3467")), 53),
    "log_f32": (lambda: fit_log(2, D("0.1716")), 24),
    "log_f64": (lambda: fit_log(6, D("0.1716")), 53),
    "tanh_f32": (lambda: fit_tanh(4, D("0.5625")), 24),
    "tanh_f64": (lambda: fit_tanh(10, D("0.5625")), 53),
    "erf_small_f32": (lambda: fit_erf_small(7, D("1.25")), 24),
    "erf_small_f64": (lambda: fit_erf_small(14, D("1.5")), 53),
    "erfc_f32": (lambda: fit_erfc(7, D("1.25"), D("4"), D("2")), 24),
    "erfc_f64": (lambda: fit_erfc(17, D("1.5"), D("6"), D("2.5")), 53),
}


def constants():
    """The split constants of the range reductions."""
    log2e = 1 / LN2
    for bits in (24, 53):
        hi = round_bits(LN2, bits)
        lo = round_bits(Fraction(LN2) - hi, bits)
        rest = float(abs(Fraction(LN2) - hi - lo))
        print(f"// ln2 in {bits}-bit parts (remainder {rest:.1e}):")
        print(f"  hi {cxx(hi, bits)}, lo {cxx(lo, bits)}, "
              f"log2(e) {cxx(round_bits(log2e, bits), bits)}")


def main(names):
    if not names:
        constants()
    for name in names or FITS:
        factory, bits = FITS[name]
        prob = factory()
        exact = remez(prob, verbose="-v" in sys.argv)
        err_exact = max_error(prob, exact)
        coeffs = fit_rounded(prob, bits)
        err = max_error(prob, [D(c.numerator) / D(c.denominator) for c in coeffs])
        print(f"// {name}: weighted minimax error {float(err_exact):.3e} "
              f"(rounded coefficients: {float(err):.3e})")
        for k, c in enumerate(coeffs):
            print(f"  {cxx(c, bits)},")


if __name__ == "__main__":
    main([a for a in sys.argv[1:] if not a.startswith("-")])
