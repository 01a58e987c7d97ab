"""`theory-check moments interval` and `theory-check identify`."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

from theory_check.cli import UsageError, add_json_option, check_json_target, write_json

# Engine parameter → the option a user typed, for error messages ("atoms must …" → "--atoms must …").
_OPTIONS = {"moments": "--moments", "q": "--q", "support": "--support", "eps": "--eps",
            "norm": "--norm", "solver": "--solver", "atoms": "--atoms", "weights": "--weights",
            "k": "--k", "method": "--method"}


def _as_options(run: Callable[[], int]) -> int:
    """Run a command; a ValueError that names an engine parameter is re-worded with its option."""
    try:
        return run()
    except ValueError as exc:
        text = str(exc)
        m = re.match(r"(\w+)(\W.*)", text, re.S)
        if m and m[1] in _OPTIONS:
            raise ValueError(_OPTIONS[m[1]] + m[2]) from None
        raise


def _support_words(support: str) -> str:
    """'unit' → '[-1, 1]', 'real' → 'R', a radius ρ → '[-ρ, ρ]' (as THEORY's S)."""
    s = support.strip().lower()
    return {"unit": "[-1, 1]", "real": "R"}.get(s, f"[-{support}, {support}]")


def _list(name: str, text: str) -> list[str]:
    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        raise UsageError(f"{name} must be a comma-separated list of numbers or fractions like 1/2")
    return items


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("moments", help="truncated moment problems")
    msub = p.add_subparsers(dest="moments_command", metavar="SUBCOMMAND")
    msub.required = True
    pi = msub.add_parser("interval", help="exact range of m_q given the first k moments")
    pi.add_argument("--moments", required=True,
                    help="m0,m1,... (numbers or fractions like 1/2; --moments=-1,... for a leading minus)")
    pi.add_argument("--q", type=int, required=True, help="index of the moment to bound (q >= k)")
    pi.add_argument("--support", default="unit", help="real | unit | RHO (radius, default unit)")
    pi.add_argument("--eps", type=float, default=0.0, help="tolerance on the training moments")
    pi.add_argument("--norm", default="l2", choices=("l2", "box"))
    pi.add_argument("--solver", default="CLARABEL", help="CLARABEL (default) or SCS")
    add_json_option(pi, "the interval and its evidence")
    pi.set_defaults(func=cmd_interval)

    pd = sub.add_parser("identify", help="do k moments identify a teacher measure?")
    pd.add_argument("--atoms", required=True,
                    help="a1,a2,... (fractions like 1/2 give exact certificates; "
                         "--atoms=-1/2,1/2 for a leading minus)")
    pd.add_argument("--weights", required=True, help="w1,w2,... (> 0)")
    pd.add_argument("--k", type=int, required=True, help="number of training moments (k >= 1)")
    pd.add_argument("--support", default="unit", help="real | unit | RHO (radius, default unit)")
    add_json_option(pd, "the identification and its evidence")
    pd.set_defaults(func=cmd_identify)


def _num(text: str) -> object:
    # Plain decimals and fractions stay exact (strings); the engine parses them as rationals.
    return text


def _show(x: object, digits: int = 10) -> str:
    """An exact rational as 'p/q' (when short), anything else to `digits` significant digits."""
    from fractions import Fraction
    if isinstance(x, Fraction) and len(str(x)) <= 40:
        return str(x)
    return f"{float(x):.{digits}g}"  # type: ignore[arg-type]


def cmd_interval(args: argparse.Namespace) -> int:
    return _as_options(lambda: _interval(args))


def _interval(args: argparse.Namespace) -> int:
    from theory_check.moments import moment_interval
    check_json_target(args.json)
    res = moment_interval([_num(x) for x in _list("--moments", args.moments)], args.q, args.support,
                          args.eps, args.norm, solver=args.solver)
    out = res.to_json()
    if args.json is not None:
        write_json(args.json, out)
    if args.json != "-":
        print(f"m_{res.q} ∈ [{_show(res.lower)}, {_show(res.upper)}]  width {_show(res.width, 4)}  "
              f"status {res.status}  solver {res.solver}")
        if "reason" in res.evidence:
            print(f"  {res.evidence['reason']}")
        if "lower_reason" in res.evidence:
            print(f"  {res.evidence['lower_reason']}")
    return 0


def cmd_identify(args: argparse.Namespace) -> int:
    return _as_options(lambda: _identify(args))


def _identify(args: argparse.Namespace) -> int:
    from theory_check.moments import identify
    check_json_target(args.json)
    res = identify(_list("--atoms", args.atoms), _list("--weights", args.weights), args.k, args.support)
    out = res.to_json()
    out.pop("evidence", None)
    if args.json is not None:
        write_json(args.json, {**out, "evidence": res.to_json()["evidence"]})
    if args.json != "-":
        verdict = {True: "identified", False: "NOT identified", None: "UNDECIDED"}[res.identified]
        print(f"{verdict} by k={args.k} moments on {_support_words(args.support)}: width of m_k interval "
              f"{_show(res.width, 4)}, minimal k = {res.minimal_k} ({res.certificate} certificate, "
              f"status {res.status})")
        if "reason" in res.evidence:
            print(f"  {res.evidence['reason']}")
        if res.counterexample:
            c = res.counterexample
            print(f"  counterexample: atoms {c['atoms']}, weights {c['weights']}; balanced student "
                  f"L_k = {c['student_L_k']:.2e}, E_q/ŵ_0 = {c['student_E_q_relative']:.3g}")
    return 0
