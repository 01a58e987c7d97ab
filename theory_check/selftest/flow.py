"""Sabotages of the flow engine (`theory_check.flow`); each registered with `@sabotage`.

Taylor steps are patched where the new state is formed (`_taylor.horner`, the series summed at
the step fraction σ) or where the series is built (`taylor_step_coefficients`); DOP853, odefun
and GD share the vector field `_core._rhs`; GD has its own loop (`_core._run_gd`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from theory_check.selftest import patch_everywhere, patch_many, sabotage

_DRIFT = 1e-6  # extra dB₁/dt of the drifting flow (GD: η·1e-6 added to B₁ per step)


def _modules() -> tuple[Any, Any]:
    from theory_check.flow import _core, _taylor

    return _core, _taylor


@sabotage("flow.taylor_update_2^-40", engine="flow", quick=False,
          description="every Taylor step's update θ_new - θ_old is 2^-40 too long (relative)")
def taylor_update_perturbed() -> Any:
    _, tay = _modules()
    original = tay.horner

    def horner(coef, S, P):
        new = original(coef, S, P)
        return new + ((new - coef[0]) >> 40)

    return patch_everywhere(tay, "horner", horner)


@sabotage("flow.q_drift", engine="flow",
          description="the flow's dB₁/dt gets an extra 1e-6 in every method (Taylor series, "
                      "DOP853/odefun vector field, GD: η·1e-6 per step), so Q drifts ∝ t")
def q_drift() -> Any:
    core, tay = _modules()
    orig_rhs, orig_coef = core._rhs, tay.taylor_step_coefficients

    def _rhs(A, B, C, w, param):
        dA, dB, dC = orig_rhs(A, B, C, w, param)
        dB = dB.copy()
        dB[0] = dB[0] + _DRIFT  # floats and mpmath numbers alike
        return dA, dB, dC

    def taylor_step_coefficients(s, w, param, N, H, P, n_float=None):
        Ac, Bc, Cc, r0 = orig_coef(s, w, param, N, H, P, n_float)
        Bc = Bc.copy()
        # order-1 coefficient is h·(dB/dt) in fixed point: h·2^P = H, so add 1e-6·H
        Bc[1, 0] = Bc[1, 0] + type(Bc[1, 0])(int(_DRIFT * H))
        if param == "balanced":
            Cc = Bc
        return Ac, Bc, Cc, r0

    return patch_many(patch_everywhere(core, "_rhs", _rhs),
                      patch_everywhere(tay, "taylor_step_coefficients", taylor_step_coefficients))


@sabotage("flow.gd_step_size", engine="flow", quick=False,
          description="GD steps are 1.125·η long (the recorded times still say i·η)")
def gd_step_size() -> Any:
    core, _ = _modules()
    original = core._run_gd

    def _run_gd(A0, B0, C0, w, *, eta, T, **kw):
        tr = original(A0, B0, C0, w, eta=eta * 1.125, T=T * 1.125, **kw)
        return dataclasses.replace(tr, T=T, times=tr.times / 1.125, t_end=tr.t_end / 1.125)

    return patch_everywhere(core, "_run_gd", _run_gd)


@sabotage("flow.taylor_time_scaled", engine="flow", quick=False,
          description="Taylor steps advance θ by 1.1× the step the clock records (time runs 10% "
                      "fast; Q is still conserved)")
def taylor_time_scaled() -> Any:
    _, tay = _modules()
    original = tay.horner

    def horner(coef, S, P):
        return original(coef, (S * 11) // 10, P)

    return patch_everywhere(tay, "horner", horner)


@sabotage("flow.taylor_truncated", engine="flow", quick=False,
          description="Taylor series summed only to half the order the step control assumes")
def taylor_truncated() -> Any:
    _, tay = _modules()
    original = tay.horner

    def horner(coef, S, P):
        return original(coef[: max(2, len(coef) // 2)], S, P)

    return patch_everywhere(tay, "horner", horner)

