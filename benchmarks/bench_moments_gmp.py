"""SDPA-GMP (pip `sdpa-multiprecision`, module `sdpap`) vs Clarabel as the outer-bound engine of the
box moment SDP: max and min of m_q over measures on [-1, 1] with |m_j - w_j| ≤ eps (j < k).

The program is the one `_sdp.build_program` builds (Chebyshev moments c_0 … c_q, the blocks of
`_basis.chebyshev_blocks(q)` PSD, the box on the monomial moments `m_j = Σ_n s_jn c_n`), written in
SDPA's LMI form `min ±s_q·c  s.t.  Σ_n c_n F_n - F_0 ⪰ 0` with exact decimal data. sdpap's Python
API (`sdpap.solve`) hands the data to the solver as float64, which cannot say w_j ± 1e-30, and
returns float64; so the multiprecision library inside the wheel is driven directly (ctypes):
`SDPA::readInput` reads an SDPA sparse file whose numbers are parsed at the working precision
(exact decimals here: every datum is a dyadic rational, or 9/10-powers with finite decimals), and
`SDPA::getDualObj` returns the dual objective as a GMP float, printed at full precision. The
dual objective is the engine's outer bound (max m_q ≤ -dual of min -m_q, within its tolerance).

Baseline: Clarabel through our cvxpy program (`build_program` + `solve_sdp`, both ends).
Reference: `moment_interval(w, q, 'unit', eps, 'box')` (the certified LP path). Agreement digits:
`-log10(max_end |value - ref| / ref width)`. Cases: (a) arcsine law, eps = 1e-6, q = k;
(b) the atom 9/10 (k = 3), q = 10, 40, 80, eps = 1e-4 and 1e-30; at 1e-30 the reference is
the slope (end - (9/10)^q)/eps of the certified eps = 1e-6 interval (the worst case is linear in
small eps), and sharper the Richardson extrapolation of the slopes at 1e-4 and 1e-6. Medians of 3
(1 if > 30 s), one process.
"""

from __future__ import annotations

import ctypes
import glob
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction as F
from typing import TypeVar

import mpmath
import numpy as np
from _harness import report

from theory_check.moments import moment_interval
from theory_check.moments._basis import chebyshev_blocks, mono_to_cheb
from theory_check.moments._sdp import build_program, objective_row, solve_sdp

T = TypeVar("T")
Num = F | float | mpmath.mpf

try:
    import sdpap
except ImportError:
    sdpap = None

# (bits, epsilonStar = epsilonDash): about half the working digits. The feasibility tolerance must
# also be far below the box radius (a box row may be violated by up to the tolerance), hence the
# per-case min(tol, TOL_PER_EPS·eps).
SETTINGS = ((200, 1e-30), (400, 1e-60))
TOL_PER_EPS = 1e-15
FLOAT_DATA_MAX_Q = 40  # the float64-data control run is only made where it is cheap
DIGITS = 130  # significant digits written for data that have no finite decimal (none here)


def arcsine(k: int) -> list[F]:
    """Moments of the arcsine law on [-1, 1]: C(j, j/2) / 2^j (even j), 0 (odd j)."""
    return [F(math.comb(j, j // 2), 2**j) if j % 2 == 0 else F(0) for j in range(k)]


def dec(x: F) -> str:
    """x as a decimal string: exact when the denominator is 2^a 5^b, else DIGITS significant."""
    d, a, b = x.denominator, 0, 0
    while d % 2 == 0:
        d, a = d // 2, a + 1
    while d % 5 == 0:
        d, b = d // 5, b + 1
    if d == 1:
        e = max(a, b)
        n = x.numerator * 2 ** (e - a) * 5 ** (e - b)
        s = str(abs(n)).rjust(e + 1, "0")
        return ("-" if n < 0 else "") + (s[:-e] + "." + s[-e:] if e else s)
    with mpmath.workdps(DIGITS + 10):
        return mpmath.nstr(mpmath.mpf(x.numerator) / x.denominator, DIGITS, min_fixed=-1, max_fixed=1)


def sdpa_file(path: str, w: list[F], q: int, eps: F, sense: int, float_data: bool = False) -> None:
    """Write `min sense·m_q` over the box moment program as an SDPA sparse file (.dat-s).

    Variables c_0 … c_q; block per `chebyshev_blocks(q)` (F_0 = 0), then one LP block of 2k rows
    `s_j·c ≥ w_j - eps`, `-s_j·c ≥ -(w_j + eps)`. `float_data`: the box ends rounded to float64,
    what `sdpap.solve` would pass.
    """
    k, D = len(w), q
    S = mono_to_cheb(D)
    blocks = chebyshev_blocks(D)
    sizes = [Phi.shape[0] for _, Phi in blocks] + [-2 * k]
    lines = ['"box moment program"', str(D + 1), str(len(sizes)), " ".join(map(str, sizes)),
             " ".join(dec(sense * S[q][n]) for n in range(D + 1))]
    for b, (_, Phi) in enumerate(blocks, start=1):
        for n in range(D + 1):
            ii, jj = np.nonzero(np.triu(Phi[:, :, n]))
            lines += [f"{n + 1} {b} {i + 1} {j + 1} {dec(F(float(Phi[i, j, n])))}"
                      for i, j in zip(ii, jj, strict=True)]
    lp = len(blocks) + 1
    for j in range(k):
        lo, hi = w[j] - eps, w[j] + eps
        if float_data:
            lo, hi = F(float(lo)), F(float(hi))
        if lo != 0:
            lines.append(f"0 {lp} {2 * j + 1} {2 * j + 1} {dec(lo)}")
        if hi != 0:
            lines.append(f"0 {lp} {2 * j + 2} {2 * j + 2} {dec(-hi)}")
        for n in range(D + 1):
            if S[j][n]:
                lines.append(f"{n + 1} {lp} {2 * j + 1} {2 * j + 1} {dec(S[j][n])}")
                lines.append(f"{n + 1} {lp} {2 * j + 2} {2 * j + 2} {dec(-S[j][n])}")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


class _MPF(ctypes.Structure):
    _fields_ = [("prec", ctypes.c_int), ("size", ctypes.c_int), ("exp", ctypes.c_long),
                ("d", ctypes.c_void_p)]


class GmpSDPA:
    """The SDPA-GMP library of the `sdpa-multiprecision` wheel, called through its C++ symbols.

    Fragile by nature (an undocumented ABI: the mangled names of SDPA 7's callable library, a
    1 MiB buffer for the object); checked by the `prec` limbs and the phase string of each solve.
    """

    def __init__(self) -> None:
        here = os.path.dirname(sdpap.__file__)
        self.lib = ctypes.CDLL(glob.glob(os.path.join(here, "sdpacall", "sdpa*.so"))[0])
        self.gmp = ctypes.CDLL(glob.glob(os.path.join(here, "..", "sdpa_multiprecision.libs", "libgmp-*"))[0])
        libc = ctypes.CDLL(None)
        libc.fopen.restype = ctypes.c_void_p
        libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        self.null = ctypes.c_void_p(libc.fopen(b"/dev/null", b"w"))
        self.get_str = getattr(self.gmp, "__gmpf_get_str")
        self.get_str.restype = ctypes.c_char_p
        for name, args in (("_ZN4SDPA23setParameterEpsilonStarEd", [ctypes.c_double]),
                           ("_ZN4SDPA23setParameterEpsilonDashEd", [ctypes.c_double]),
                           ("_ZN4SDPA24setParameterMaxIterationEi", [ctypes.c_int]),
                           ("_ZN4SDPA10setDisplayEP8_IO_FILE", [ctypes.c_void_p]),
                           ("_ZN4SDPA9readInputEPcP8_IO_FILENS_10SparseTypeE",
                            [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int])):
            getattr(self.lib, name).argtypes = [ctypes.c_void_p, *args]

    def _mpf(self, fn: str, obj: ctypes.Array) -> tuple[mpmath.mpf, int]:
        r = _MPF()
        getattr(self.lib, fn)(ctypes.byref(r), obj)
        ex = ctypes.c_long()
        s = self.get_str(None, ctypes.byref(ex), 10, ctypes.c_size_t(0), ctypes.byref(r)).decode()
        prec = r.prec
        getattr(self.gmp, "__gmpf_clear")(ctypes.byref(r))
        if not s:
            return mpmath.mpf(0), prec
        neg, digits = s.startswith("-"), s.lstrip("-")
        with mpmath.workdps(200):
            v = mpmath.mpf(digits) * mpmath.mpf(10) ** (ex.value - len(digits))
        return (-v if neg else v), prec

    def solve(self, path: str, bits: int, tol: float) -> dict:
        """Solve an SDPA sparse file at `bits` of mantissa; primal/dual objectives as mpf."""
        L = self.lib
        obj = ctypes.create_string_buffer(1 << 20)
        L._ZN4SDPAC1Ev(obj)
        L._ZN4SDPA10setDisplayEP8_IO_FILE(obj, self.null)
        L._ZN4SDPA16setParameterTypeENS_13ParameterTypeE(obj, 0)
        # after setParameterType, which resets the default precision
        getattr(self.gmp, "__gmpf_set_default_prec")(ctypes.c_ulong(bits))
        L._ZN4SDPA24setParameterMaxIterationEi(obj, 400)
        L._ZN4SDPA23setParameterEpsilonStarEd(obj, tol)
        L._ZN4SDPA23setParameterEpsilonDashEd(obj, tol)
        L._ZN4SDPA9readInputEPcP8_IO_FILENS_10SparseTypeE(obj, path.encode(), self.null, 0)
        L._ZN4SDPA15initializeSolveEv(obj)
        L._ZN4SDPA5solveEv(obj)
        primal, prec = self._mpf("_ZN4SDPA12getPrimalObjEv", obj)
        dual, _ = self._mpf("_ZN4SDPA10getDualObjEv", obj)
        phase = ctypes.create_string_buffer(64)
        L._ZN4SDPA14getPhaseStringEPc(obj, phase)
        it = L._ZN4SDPA12getIterationEv(obj)
        L._ZN4SDPA9terminateEv(obj)
        L._ZN4SDPAD1Ev(obj)
        assert prec >= bits // 64, f"working precision not set ({prec} limbs for {bits} bits)"
        return {"primal": primal, "dual": dual, "phase": phase.value.decode().strip(), "iterations": it}


def gmp_interval(eng: GmpSDPA, w: list[F], q: int, eps: F, bits: int, tol: float,
                 float_data: bool = False) -> dict:
    """[lower, upper] of m_q from the dual objectives (the outer side) of min and max."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for tag, sense in (("lower", 1), ("upper", -1)):
            path = os.path.join(tmp, f"{tag}.dat-s")
            sdpa_file(path, w, q, eps, sense, float_data)
            r = eng.solve(path, bits, tol)
            out[tag] = sense * r["dual"]
            out[tag + "_gap"] = abs(r["primal"] - r["dual"])
            out[tag + "_phase"] = r["phase"]
            out[tag + "_iterations"] = r["iterations"]
    return out


def clarabel_interval(w: list[F], q: int, eps: float) -> dict:
    """[lower, upper] of m_q from our cvxpy program solved by Clarabel (SCS only as its fallback)."""
    prog = build_program(w, q, F(1), eps, "box", "chebyshev")
    a = objective_row(prog, q)
    lo, hi = solve_sdp(prog, a, 1, "CLARABEL"), solve_sdp(prog, a, -1, "CLARABEL")
    return {"lower": lo["value"], "upper": hi["value"],
            "status": "/".join(sorted({f"{r['solver'].lower()}:{r['status']}" for r in (lo, hi)}))}


def timed(fn: Callable[[], T], repeats: int = 3) -> tuple[T, float]:
    """(result, median seconds): one run, and two more if it took ≤ 30 s."""
    t0 = time.perf_counter()
    res = fn()
    times = [time.perf_counter() - t0]
    if times[0] <= 30:
        for _ in range(repeats - 1):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return res, statistics.median(times)


def digits(lo: Num, hi: Num, ref_lo: Num, ref_hi: Num) -> float:
    """-log10 of the larger end error relative to the reference width."""
    with mpmath.workdps(200):
        lo, hi, ref_lo, ref_hi = (mp(x) for x in (lo, hi, ref_lo, ref_hi))
        err = max(abs(lo - ref_lo), abs(hi - ref_hi))
        width = abs(ref_hi - ref_lo)
        if not mpmath.isfinite(err) or width == 0:
            return math.nan
        return float(-mpmath.log10(err / width)) if err > 0 else math.inf


def mp(x: Num) -> mpmath.mpf:
    """x at 200 digits (Fractions exactly rounded)."""
    with mpmath.workdps(200):
        return mpmath.mpf(x.numerator) / x.denominator if isinstance(x, F) else mpmath.mpf(x)


def main() -> None:
    if sdpap is None:
        print("skip: sdpap (pip install sdpa-multiprecision) is not importable")
        return
    eng = GmpSDPA()
    cases = [("arcsine", arcsine(k), k, 1e-6) for k in (10, 20, 40, 60, 80)]
    atom = [F(9, 10) ** j for j in range(3)]
    cases += [("atom 9/10", atom, q, e) for q in (10, 40, 80) for e in (1e-4, 1e-30)]
    only = sys.argv[1:]
    rows = []
    mpmath.mp.dps = 200
    for name, w, q, eps in cases:
        if only and f"{name[:3]}{q}" not in only:
            continue
        k, E = len(w), F(eps)
        ref = moment_interval(w, q, "unit", eps, "box")
        row = {"case": name, "k": k, "q": q, "eps": eps, "ref_status": str(ref.status),
               "ref_lower": float(ref.lower), "ref_upper": float(ref.upper)}
        if eps < 1e-20:
            # reference: the slopes of the certified eps = 1e-6 interval, times eps
            r6 = moment_interval(w, q, "unit", 1e-6, "box")
            base = F(9, 10) ** q
            ref_lo = mp(base) - mp((base - r6.lower) / F(1e-6)) * mp(E)
            ref_hi = mp(base) + mp((r6.upper - base) / F(1e-6)) * mp(E)
            ref_ok = str(r6.status) == "certified"
            row["ref_status"] = f"linear from eps=1e-6 ({r6.status})"
            # sharper: Richardson on the slopes at 1e-4 and 1e-6 (slope(e) = s0 + s1·e + O(e²))
            r4 = moment_interval(w, q, "unit", 1e-4, "box")
            s_lo, s_hi = ((100 * (base - r6.lower) / F(1e-6) - (base - r4.lower) / F(1e-4)) / 99,
                          (100 * (r6.upper - base) / F(1e-6) - (r4.upper - base) / F(1e-4)) / 99)
            rich = (mp(base) - mp(s_lo) * mp(E), mp(base) + mp(s_hi) * mp(E))
            row["ref_status"] += f"; Richardson 1e-4/1e-6 ({r4.status})"
        else:
            ref_lo, ref_hi = mp(F(ref.lower)), mp(F(ref.upper))
            ref_ok = str(ref.status) == "certified"
        cl, t_cl = timed(lambda w=w, q=q, eps=eps: clarabel_interval(w, q, eps))
        row.update({"clarabel_lower": cl["lower"], "clarabel_upper": cl["upper"],
                    "clarabel_status": cl["status"], "clarabel_s": t_cl,
                    "clarabel_digits": digits(cl["lower"], cl["upper"], ref_lo, ref_hi)})
        gmp = {}
        for bits, tol0 in SETTINGS:
            tol = min(tol0, TOL_PER_EPS * eps)
            g, t_g = timed(lambda w=w, q=q, E=E, bits=bits, tol=tol: gmp_interval(eng, w, q, E, bits, tol))
            row.update({f"gmp{bits}_lower": mpmath.nstr(g["lower"], 40),
                        f"gmp{bits}_upper": mpmath.nstr(g["upper"], 40),
                        f"gmp{bits}_width": mpmath.nstr(g["upper"] - g["lower"], 20),
                        f"gmp{bits}_phase": f"{g['lower_phase']}/{g['upper_phase']}",
                        f"gmp{bits}_iterations": f"{g['lower_iterations']}/{g['upper_iterations']}",
                        f"gmp{bits}_gap": float(max(g["lower_gap"], g["upper_gap"])),
                        f"gmp{bits}_s": t_g, f"gmp{bits}_over_clarabel": t_g / t_cl,
                        f"gmp{bits}_tol": tol,
                        f"gmp{bits}_digits": digits(g["lower"], g["upper"], ref_lo, ref_hi)})
            if eps < 1e-20:
                row[f"gmp{bits}_digits_richardson"] = digits(g["lower"], g["upper"], *rich)
            gmp[bits] = g
        lo, hi = (gmp[SETTINGS[0][0]][t] for t in ("lower", "upper"))
        row["gmp_200_vs_400_digits"] = digits(lo, hi, *(gmp[SETTINGS[1][0]][t] for t in ("lower", "upper")))
        # the certified reference brackets each end: outer (dual certificate) and inner (a measure)
        inner_lo, inner_hi = ref.inner_lower, ref.inner_upper
        if ref_ok and eps >= 1e-20 and inner_lo is not None and inner_hi is not None:
            row["ref_bracket_digits"] = digits(inner_lo, inner_hi, ref_lo, ref_hi)
            row["gmp_in_bracket"] = bool(mp(F(ref.lower)) <= lo <= mp(inner_lo)
                                         and mp(inner_hi) <= hi <= mp(F(ref.upper)))
        else:
            row["ref_bracket_digits"] = math.nan
            # outer bounds of the LP path are rigorous even when inconclusive
            row["gmp_in_bracket"] = (bool(mp(F(ref.lower)) <= lo and hi <= mp(F(ref.upper)))
                                     if eps >= 1e-20 and math.isfinite(ref.lower) else None)
        if eps < 1e-20 and q <= FLOAT_DATA_MAX_Q:
            # what sdpap's float64 API could express: the same data with the box ends rounded
            g = gmp_interval(eng, w, q, E, SETTINGS[0][0], min(SETTINGS[0][1], TOL_PER_EPS * eps),
                             float_data=True)
            row["gmp200_float64_data_width"] = mpmath.nstr(g["upper"] - g["lower"], 10)
            row["gmp200_float64_data_phase"] = f"{g['lower_phase']}/{g['upper_phase']}"
        row["ref_certified"] = ref_ok
        rows.append(row)
        print({c: (f"{v:.4g}" if isinstance(v, float) else v) for c, v in row.items()}, flush=True)
        # written after every case: the large ones take minutes
        report("moments_gmp", rows, settings=[list(s) for s in SETTINGS], tol_per_eps=TOL_PER_EPS)


if __name__ == "__main__":
    main()
