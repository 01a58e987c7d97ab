"""`integrate`: gradient flow of L_k by our Taylor method, mpmath.odefun, DOP853, or GD.

All methods solve the same problem: dθ/dt = -∇L_k(θ) (or θ ← θ - η∇L_k for `"gd"`) from the
same float64 θ(0) and the same float64 targets ŵ_j, in one of three parameterizations:
`"full"` θ = (A, B, C); `"diagonal"` A = diag(a), θ = (a, B, C); `"balanced"` the flow restricted
to M = {A = Aᵀ, B = Cᵀ} (invariant by C4), θ = (A = Aᵀ, B), C = Bᵀ.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from theory_check._validate import ParameterError, check_choice, check_int, check_real
from theory_check.flow import _taylor as tay
from theory_check.model import LinearRNN, loss_gradient, markov_parameters, q_matrix
from theory_check.results import NotebookRepr

METHODS: tuple[str, ...] = ("taylor", "odefun", "dop853", "gd")
PARAMS: tuple[str, ...] = ("full", "diagonal", "balanced")
MAX_DPS = 200
DEFAULT_BOUND = 1e6
# The methods each method-specific option of `integrate` applies to.
OPTION_METHODS: dict[str, tuple[str, ...]] = {"dps": ("taylor", "odefun"), "eta": ("gd",),
                                              "tol": ("dop853",), "mixed": ("taylor",)}


@dataclass(frozen=True, eq=False)
class Trajectory(NotebookRepr):
    """A gradient-flow (or GD) trajectory and the quantities of proofs/theory.md §2 along it.

    `times[i]` with `loss[i] = L_k(θ(t_i))`, `q_drift[i] = ‖Q(θ(t_i)) - Q(θ(0))‖_F` (computed
    in the method's own arithmetic, so 1e-40 is meaningful for `taylor` at dps 50),
    `q_drift_rel[i] = q_drift[i] / ‖θ(t_i)‖²`, `b_minus_ct_rel[i] = ‖B - Cᵀ‖/‖B‖`,
    `a_asym_rel[i] = ‖A - Aᵀ‖/‖A‖`; `states[i]` = (A, B, C) in float64;
    `final_state` = (A, B, C) as object arrays of mpmath numbers (taylor/odefun) or float64.
    `status` is "ok", "diverged" (‖θ‖∞ above `settings["bound"]` or non-finite at `t_end`)
    or "interrupted".
    """

    method: str
    param: str
    dps: int | None
    T: float
    status: str
    t_end: float
    times: np.ndarray
    loss: np.ndarray
    q_drift: np.ndarray
    q_drift_rel: np.ndarray
    b_minus_ct_rel: np.ndarray
    a_asym_rel: np.ndarray
    states: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]
    final_state: tuple[np.ndarray, np.ndarray, np.ndarray]
    steps: int
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def max_q_drift_rel(self) -> float:
        """max_t ‖Q(θ(t)) - Q(θ(0))‖_F / ‖θ(t)‖²."""
        return float(np.max(self.q_drift_rel))

    @property
    def final_loss(self) -> float:
        """L_k at the last recorded time."""
        return float(self.loss[-1])

    def summary(self) -> dict[str, Any]:
        """The JSON record of `theory-check integrate`: status, t_end, method, dps, T, steps,
        final_loss, max_Q_drift (relative to ‖θ(t)‖²), final_unbalancedness, seconds."""
        return {
            "status": str(self.status), "t_end": float(self.t_end),
            "method": self.method, "dps": self.dps, "T": self.T, "steps": self.steps,
            "final_loss": self.final_loss, "max_Q_drift": self.max_q_drift_rel,
            "final_unbalancedness": {"B_minus_Ct_rel": float(self.b_minus_ct_rel[-1]),
                                     "A_asym_rel": float(self.a_asym_rel[-1])},
            "seconds": self.seconds,
        }


# ---------------------------------------------------------------- measurements, any number type

def _full_form(A: np.ndarray, B: np.ndarray, C: np.ndarray | None, param: str):
    """(A d×d, B (d,), C (d,)) from a parameterization's arrays."""
    if param == "diagonal":
        z = A[0] * 0
        full = np.array([[A[i] if i == j else z for j in range(len(A))] for i in range(len(A))],
                        dtype=A.dtype)
        A = full
    if param == "balanced":
        C = B
    return A, B, C


def _sumsq(x: np.ndarray):
    with np.errstate(all="ignore"):  # a diverging float run may overflow: it is reported as such
        return sum((v * v for v in x.ravel()), x.ravel()[0] * 0)


class _Num:
    """Conversions for one number type: 'fixed' (integers scaled by 2^P), 'mp', or 'float'."""

    def __init__(self, kind: str, P: int = 0):
        self.kind, self.P = kind, P

    def sqrt_float(self, s, scale_bits: int) -> float:
        """float(√s) where s carries `scale_bits` of fixed-point scale (0 for mp/float)."""
        if self.kind == "fixed":
            return float(Fraction(math.isqrt(int(s)), 1 << (scale_bits // 2)))
        return float(mpmath.sqrt(s)) if self.kind == "mp" else math.sqrt(float(s))

    def to_float(self, x: np.ndarray, scale_bits: int) -> np.ndarray:
        if self.kind == "fixed":
            return np.array([float(Fraction(int(v), 1 << scale_bits)) for v in x.ravel()]
                            ).reshape(x.shape)
        return np.array([float(v) for v in x.ravel()]).reshape(x.shape)


def _measure(A, B, C, param: str, num: _Num, Q0, w: np.ndarray):
    """(loss, ‖ΔQ‖, ‖ΔQ‖/‖θ‖², ‖B-Cᵀ‖/‖B‖, ‖A-Aᵀ‖/‖A‖, Q, float state) at one point."""
    Af, Bf, Cf = _full_form(A, B, C, param)
    Q = q_matrix(Af, Bf[:, None], Cf[None, :])
    if param == "diagonal":  # the diagonal flow conserves only diag(Q) = b_i² - c_i²
        Q = np.diagonal(Q).copy()
    if Q0 is None:
        Q0 = Q
    P = num.P
    drift = num.sqrt_float(_sumsq(Q - Q0), 4 * P)
    theta2 = num.sqrt_float(_sumsq(Af) + _sumsq(Bf) + _sumsq(Cf), 2 * P) ** 2  # = ‖θ‖²
    nB = num.sqrt_float(_sumsq(Bf), 2 * P)
    nA = num.sqrt_float(_sumsq(Af), 2 * P)
    bc = num.sqrt_float(_sumsq(Bf - Cf), 2 * P) / nB if nB > 0 else 0.0
    aa = num.sqrt_float(_sumsq(Af - Af.T), 2 * P) / nA if nA > 0 else 0.0
    if num.kind == "fixed":
        u, g = Bf, []
        for _ in range(len(w)):
            g.append(Cf.dot(u) >> P)
            u = Af.dot(u) >> P
        r = np.array(g, dtype=object) - w
        loss = float(Fraction(int(_sumsq(r)), 1 << (2 * P)))
    else:
        r = markov_parameters(Af, Bf[:, None], Cf[None, :], len(w)) - w
        loss = float(_sumsq(r))
    state = (num.to_float(Af, P), num.to_float(Bf[:, None], P), num.to_float(Cf[None, :], P))
    rel = drift / theta2 if theta2 > 0 else drift
    return loss, drift, rel, bc, aa, Q0, state


Progress = bool | Callable[[float], None] | None


def _check_progress(progress: object) -> Progress:
    """`progress` as given, or ParameterError: None, a bool, or a callable progress(t)."""
    if progress is None or isinstance(progress, bool) or callable(progress):
        return progress
    raise ParameterError("progress", "progress must be None, a bool or a callable progress(t: float) "
                                     f"-> None; got {progress!r}")


@contextmanager
def _progress(label: str, T: float, enabled: Progress):
    """The tick t ↦ None of one run: a rich bar on stderr (time reached / T; by default only
    when stderr is a TTY), nothing, or the caller's callable `enabled(t)`."""
    if callable(enabled):
        yield lambda t: enabled(float(t))
        return
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        yield lambda t: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(label), BarColumn(), TextColumn("t = {task.completed:.3g} / {task.total:.3g}"),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=T)
        yield lambda t: bar.update(task, completed=t)


class _Recorder:
    """Collects measurements; the first call fixes Q(θ(0))."""

    def __init__(self, param: str, num: _Num, w: np.ndarray):
        self.param, self.num, self.w = param, num, w
        self.Q0 = None
        self.rows: list[tuple] = []
        self.states: list = []

    def add(self, t: float, A, B, C) -> None:
        loss, drift, rel, bc, aa, self.Q0, state = _measure(A, B, C, self.param, self.num, self.Q0, self.w)
        self.rows.append((t, loss, drift, rel, bc, aa))
        self.states.append(state)

    def trajectory(self, *, method, param, dps, T, status, t_end, final, steps, t0, settings):
        cols = np.array(self.rows, dtype=float).T
        return Trajectory(method=method, param=param, dps=dps, T=T, status=status, t_end=t_end,
                          times=cols[0], loss=cols[1], q_drift=cols[2], q_drift_rel=cols[3],
                          b_minus_ct_rel=cols[4], a_asym_rel=cols[5], states=tuple(self.states),
                          final_state=final, steps=steps, seconds=time.perf_counter() - t0,
                          settings=settings)


# ---------------------------------------------------------------- the public entry point

def integrate(
    student: LinearRNN, target: LinearRNN | Sequence[float] | np.ndarray, k: int, T: float, *,
    method: str = "taylor", param: str = "full", dps: int | None = None, eta: float | None = None,
    n_out: int = 50, tol: float | None = None, max_steps: int = 1_000_000,
    bound: float = DEFAULT_BOUND, progress: Progress = None, mixed: bool | None = None,
) -> Trajectory:
    """Integrate dθ/dt = -∇L_k(θ) (or run GD) from θ(0) = `student` up to time T.

    Methods: `"taylor"` (ours; fixed-point Taylor series, local error target
    2^-4·10^-dps·min(1, ‖θ(0)‖∞) per step, see `theory_check.flow._taylor`), `"odefun"`
    (mpmath.odefun at mp.dps = dps, the reference), `"dop853"` (scipy, float64,
    rtol = atol = `tol`, default 1e-13), `"gd"` (float64, θ ← θ - η∇L for round(T/η) steps).
    Recording: taylor records every step it takes; odefun and dop853 record `n_out + 1`
    equally spaced times; gd records every
    ⌈steps/n_out⌉ steps. `dps` in [5, 200]; T > 0; ‖θ‖∞ > `bound` ends the run with status
    "diverged". Ctrl-C ends it with status "interrupted" and the trajectory so far.
    `mixed` (taylor only, default True): compute the high Taylor orders in float64
    (`_taylor.float_tier_start`); `mixed=False` computes every order in fixed point (slower; the
    reference for the scheme). An option given to a method it does not apply to (`dps` outside
    taylor/odefun, default 30; `eta` outside gd; `tol` outside dop853; `mixed` outside taylor)
    is a ValueError naming the option and the methods it applies to, never silently ignored.
    `progress`: None (default) draws a rich bar on stderr when it is a terminal, True always,
    False never; a callable `progress(t: float) -> None` is called instead with the time t
    reached, non-decreasing (taylor after every step, odefun and gd at each recorded time,
    dop853 once at the end: scipy reports nothing sooner). An exception it raises ends the run
    like one of the method's own; a KeyboardInterrupt (Ctrl-C) in it gives status "interrupted".
    """
    k = check_int("k", k, minimum=1)
    T = check_real("T", T, minimum=0.0, strict_min=True)
    method = check_choice("method", method, METHODS)
    param = check_choice("param", param, PARAMS)
    n_out = check_int("n_out", n_out, minimum=1)
    bound = check_real("bound", bound, minimum=0.0, strict_min=True)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    progress = _check_progress(progress)
    given = {"dps": dps, "eta": eta, "tol": tol, "mixed": mixed}
    for option, value in given.items():
        if value is not None and method not in OPTION_METHODS[option]:
            raise ValueError(f"{option} applies only to method {' or '.join(OPTION_METHODS[option])}; "
                             f"got {option}={value!r} with method={method!r}")
    if method in ("taylor", "odefun"):
        dps = check_int("dps", 30 if dps is None else dps, minimum=5, maximum=MAX_DPS)
    if method == "dop853" and tol is not None:
        tol = check_real("tol", tol, minimum=1e-16, maximum=1e-2)
    mixed = True if mixed is None else mixed
    if method == "gd":
        if eta is None:
            raise ValueError("method='gd' needs eta, a step size in (0, inf)")
        eta = check_real("eta", eta, minimum=0.0, strict_min=True)
    if isinstance(target, LinearRNN):
        w = target.impulse_response(k)
    else:
        w = np.asarray(target, dtype=float)
        if w.ndim != 1 or w.size < k or not np.all(np.isfinite(w)):
            raise ValueError(f"target must be a teacher or ≥ {k} finite Markov parameters")
        w = w[:k]
    A0, B0, C0 = _initial(student, param)
    run = {"taylor": _run_taylor, "odefun": _run_odefun, "dop853": _run_dop853, "gd": _run_gd}[method]
    return run(A0, B0, C0, w, param=param, T=T, dps=dps, eta=eta, n_out=n_out, tol=tol,
               max_steps=max_steps, bound=bound, progress=progress, mixed=bool(mixed))


def _initial(student: LinearRNN, param: str):
    A, B, C = student.A, student.B[:, 0], student.C[0]
    if param == "diagonal":
        if np.any(A != np.diag(np.diag(A))):
            raise ValueError("param='diagonal' needs a student with diagonal A "
                             "(random_student(..., kind='diagonal'))")
        return np.diag(A).copy(), B.copy(), C.copy()
    if param == "balanced":
        if np.any(A != A.T) or np.any(B != C):
            raise ValueError("param='balanced' needs a balanced student (A = Aᵀ, B = Cᵀ exactly; "
                             "random_student(..., kind='balanced'))")
        return A.copy(), B.copy(), None
    return A.copy(), B.copy(), C.copy()


def _theta_scale(A, B, C) -> float:
    vals = [np.abs(A).max(), np.abs(B).max()] + ([] if C is None else [np.abs(C).max()])
    return float(max(vals))


def _run_taylor(A0, B0, C0, w, *, param, T, dps, n_out, tol, max_steps, bound, progress, mixed, **_):
    t0 = time.perf_counter()
    P, E = tay.fixed_point_bits(dps, _theta_scale(A0, B0, C0))
    N = tay.order_for(E)
    n_float = tay.float_tier_start(N, E) if mixed else None
    one = 1 << P
    s = tay.FixedState(tay.to_fixed(A0, P), tay.to_fixed(B0, P),
                       tay.to_fixed(B0 if C0 is None else C0, P))
    wf = tay.to_fixed(w, P)
    rec = _Recorder(param, _Num("fixed", P), wf)
    rec.add(0.0, s.A, s.B, s.C)
    bound_fx = int(bound * one)
    t = Fraction(0)
    Tq = Fraction(T)
    # h, σ and t live on dyadic grids (h = H·2^-P, σ = S·2^-P), so t is exact and cheap
    h = Fraction(int(min(T, 0.5) * one), one)
    steps, status, sigmas = 0, "ok", []
    with _progress("taylor", T, progress) as tick:
        try:
            while t < Tq:
                if steps >= max_steps:
                    raise ValueError(f"max_steps={max_steps} reached at t={float(t):.6g} before T; "
                                     "increase max_steps (an integer >= 1)")
                H = h.numerator * (one // h.denominator)
                Ac, Bc, Cc, _ = tay.taylor_step_coefficients(s, wf, param, N, H, P, n_float)
                sig = tay.step_fraction(Ac, Bc, Cc, E, P)
                take = min(sig, 1.0, float((Tq - t) / h))
                # exact rational step: σ on the 2^-P grid, so t stays exact
                S = max(1, int(take * one))
                if (Tq - t) / h <= 1 and take >= float((Tq - t) / h):
                    S = max(1, int(((Tq - t) / h) * one))
                s = tay.FixedState(tay.horner(Ac, S, P), tay.horner(Bc, S, P),
                                   s.B if param == "balanced" else tay.horner(Cc, S, P))
                if param == "balanced":
                    s.C = s.B
                dt = h * Fraction(S, one)
                t = Tq if (Tq - t - dt) * one < 1 else t + dt
                steps += 1
                sigmas.append(sig)
                rec.add(float(t), s.A, s.B, s.C)
                tick(float(t))
                big = max(tay.max_abs(s.A), tay.max_abs(s.B), tay.max_abs(s.C))
                if big > bound_fx:
                    status = "diverged"
                    break
                # next h: the step just taken scaled by this step's coefficient decay (≤ 4×)
                grow = min(max(sig / take, 0.25), 4.0)
                h = Fraction(int(float(dt) * grow * one), one)
                if h <= 0:
                    status = "diverged"
                    break
        except KeyboardInterrupt:
            status = "interrupted"
    with mpmath.workprec(P + 10):
        final = tuple(np.array([mpmath.ldexp(mpmath.mpf(int(v)), -P) for v in x.ravel()],
                               dtype=object).reshape(x.shape)
                      for x in _full_form(s.A, s.B, s.C, param))
    settings = {"dps": dps, "fixed_point_bits": P, "error_target": f"2^-{E}", "order": N,
                "steps": steps, "float64_from_order": n_float,
                "min_step_fraction": float(min(sigmas)) if sigmas else None,
                "bound": bound, "arithmetic": f"fixed-point {tay._int.__module__}.{tay._int.__name__}"}
    return rec.trajectory(method="taylor", param=param, dps=dps, T=T, status=status, t_end=float(t),
                          final=final, steps=steps, t0=t0, settings=settings)


# ---------------------------------------------------------------- baselines

def _unflat(y, d: int, param: str, make: Callable):
    """Split a flat state vector into the parameterization's arrays."""
    if param == "diagonal":
        return make(y[:d]), make(y[d:2 * d]), make(y[2 * d:3 * d])
    A = make(y[: d * d]).reshape(d, d)
    if param == "balanced":
        return A, make(y[d * d: d * d + d]), None
    return A, make(y[d * d: d * d + d]), make(y[d * d + d:])


def _flat(A, B, C) -> list:
    parts = [A.ravel(), B.ravel()] + ([] if C is None else [C.ravel()])
    return [v for p in parts for v in p]


def _rhs(A, B, C, w, param: str):
    """-∇L in the parameterization (works for float and mpf object arrays)."""
    Af, Bf, Cf = _full_form(A, B, C, param)
    dA, dB, dC = loss_gradient(Af, Bf[:, None], Cf[None, :], w)
    if param == "diagonal":
        return -np.diagonal(dA), -dB[:, 0], -dC[0]
    if param == "balanced":
        return -dA, -dB[:, 0], None
    return -dA, -dB[:, 0], -dC[0]


def _run_odefun(A0, B0, C0, w, *, param, T, dps, n_out, bound, progress, **_):
    t0 = time.perf_counter()
    d = B0.shape[0]
    times = np.linspace(0.0, T, n_out + 1)
    status, t_end = "ok", T
    with mpmath.workdps(dps):
        mk = lambda arr: np.array([mpmath.mpf(float(v)) for v in np.ravel(arr)], dtype=object)  # noqa: E731
        wm = mk(w)
        y0 = _flat(mk(A0).reshape(np.shape(A0)), mk(B0), None if C0 is None else mk(C0))

        def F(_t, y):
            A, B, C = _unflat(np.array(y, dtype=object), d, param, lambda x: x)
            return _flat(*_rhs(A, B, C, wm, param))

        sol = mpmath.odefun(F, 0, y0)
        rec = _Recorder(param, _Num("mp"), wm)
        with _progress("odefun", T, progress) as tick:
            try:
                for t in times:
                    y = np.array(sol(mpmath.mpf(float(t))), dtype=object)
                    A, B, C = _unflat(y, d, param, lambda x: x)
                    rec.add(float(t), A, B, C)
                    tick(float(t))
                    if max(abs(v) for v in y) > bound:
                        status, t_end = "diverged", float(t)
                        break
            except KeyboardInterrupt:
                status, t_end = "interrupted", rec.rows[-1][0]
        final = _full_form(A, B, C, param)
    return rec.trajectory(method="odefun", param=param, dps=dps, T=T, status=status, t_end=t_end,
                          final=final, steps=len(rec.rows) - 1, t0=t0,
                          settings={"dps": dps, "tol": "mpmath default (eps at dps)", "bound": bound,
                                    "n_out": n_out})


def _run_dop853(A0, B0, C0, w, *, param, T, n_out, tol, bound, progress, **_):
    from scipy.integrate import solve_ivp

    t0 = time.perf_counter()
    d = B0.shape[0]
    tol = 1e-13 if tol is None else check_real("tol", tol, minimum=1e-16, maximum=1e-2)

    def f(_t, y):
        return np.array(_flat(*_rhs(*_unflat(y, d, param, np.asarray), w, param)), dtype=float)

    def blowup(_t, y):
        return bound - np.max(np.abs(y))
    blowup.terminal = True

    y0 = np.array(_flat(A0, B0, C0), dtype=float)
    with np.errstate(all="ignore"):
        sol = solve_ivp(f, (0.0, T), y0, method="DOP853", rtol=tol, atol=tol,
                        t_eval=np.linspace(0.0, T, n_out + 1), events=blowup)
    rec = _Recorder(param, _Num("float"), w)
    for i, t in enumerate(sol.t):
        rec.add(float(t), *_unflat(sol.y[:, i], d, param, np.asarray))
    bad = sol.status != 0 or not np.all(np.isfinite(sol.y))
    status = "diverged" if bad else "ok"
    t_end = float(sol.t[-1]) if sol.t.size else 0.0
    if sol.t.size == 0:
        rec.add(0.0, A0, B0, C0)
    final = _full_form(*_unflat(sol.y[:, -1] if sol.t.size else y0, d, param, np.asarray), param)
    if callable(progress):  # scipy gives no ticks: the caller learns the time reached at the end
        try:
            progress(t_end)
        except KeyboardInterrupt:
            status = "interrupted"
    return rec.trajectory(method="dop853", param=param, dps=None, T=T, status=status, t_end=t_end,
                          final=final, steps=int(sol.nfev), t0=t0,
                          settings={"rtol": tol, "atol": tol, "nfev": int(sol.nfev), "bound": bound,
                                    "message": sol.message})


def _run_gd(A0, B0, C0, w, *, param, T, eta, n_out, max_steps, bound, progress, **_):
    t0 = time.perf_counter()
    n_steps = max(1, round(T / eta))
    if n_steps > max_steps:
        raise ValueError(f"T/eta = {n_steps} GD steps exceeds max_steps={max_steps}")
    every = max(1, math.ceil(n_steps / n_out))
    A, B, C = A0.copy(), B0.copy(), None if C0 is None else C0.copy()
    rec = _Recorder(param, _Num("float"), w)
    rec.add(0.0, A, B, C)
    status, done = "ok", 0
    with _progress("gd", T, progress) as tick, np.errstate(all="ignore"):
        try:
            for i in range(1, n_steps + 1):
                gA, gB, gC = _rhs(A, B, C, w, param)
                A, B = A + eta * gA, B + eta * gB
                if C is not None:
                    C = C + eta * gC
                done = i
                big = max(np.abs(A).max(), np.abs(B).max(), 0.0 if C is None else np.abs(C).max())
                if not np.isfinite(big) or big > bound:
                    status = "diverged"
                    break
                if i % every == 0 or i == n_steps:
                    rec.add(i * eta, A, B, C)
                    tick(i * eta)
        except KeyboardInterrupt:
            status = "interrupted"
    if status == "diverged" and np.isfinite(max(np.abs(A).max(), np.abs(B).max())):
        rec.add(done * eta, A, B, C)
    final = _full_form(A, B, C, param)
    return rec.trajectory(method="gd", param=param, dps=None, T=T, status=status, t_end=done * eta,
                          final=final, steps=done, t0=t0,
                          settings={"eta": eta, "steps": n_steps, "record_every": every,
                                    "bound": bound, "arithmetic": "float64"})
