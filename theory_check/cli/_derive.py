"""`theory-check derive`: gradient-flow equations, conservation laws, completeness count."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from theory_check.cli import add_json_option, check_json_target, int_type, write_json

FORMATS = ("md", "latex", "json")
MODELS = ("mimo", "complex-diagonal", "deep-linear", "projected")
_EXT = {"md": "md", "latex": "tex", "json": "json"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "derive", help="derive gradient-flow equations and conservation laws",
        description="Gradient-flow equations of L = Σ_j (φ_j - y_j)², every conserved polynomial "
        "of degree ≤ --degree (exact ansatz, symbolically re-checked) and the number of "
        "independent laws D - dim Lie{∇φ_j} (certified when the proven laws reach it). "
        "Models: the RNN of the theory (--param, outputs g_j = C A^j B), a built-in family "
        "(--model mimo | complex-diagonal | deep-linear | projected) or your own "
        "(--model FILE.py:NAME, NAME a theory_check.symbolic.Model or a function returning one).",
        epilog="Limits (checked before computing; estimates over 5 s are printed on stderr): "
        "--param full d ≤ 9 (d ≤ 7 when k = 2), balanced d ≤ 6, diagonal d ≤ 32, 1 ≤ k ≤ 40, "
        "Σ_j #terms(∇g_j) ≤ "
        "400,000, and an estimated CPU time ≤ 600 s (measured on one core of the project's "
        "machine: full d = 8, k = 3 about 10 s, d = 9 about 20 s; diagonal d = 32, k = 3 about "
        "6 s); md/latex also derive the equations with sympy (≤ 60,000 terms, about 2 s more at "
        "full d = 8). Built-ins: mimo/projected d, m, p "
        "≤ 9, k ≤ 12; complex-diagonal d ≤ 16; deep-linear 2..6 widths ≤ 9; built-ins ≤ 400,000 "
        "estimated terms; any model D ≤ 160 (models get no time estimate). "
        "JSON n_independent_laws is D - lie_algebra_dim, an upper bound that is exact when "
        "certified is true (a warning on stderr says when it is not).")
    p.add_argument("--param", default=None, choices=("full", "diagonal", "balanced"),
                   metavar="PARAM", help="full | diagonal | balanced (default full)")
    p.add_argument("--model", default=None, metavar="NAME",
                   help="mimo | complex-diagonal | deep-linear | projected | FILE.py:NAME")
    p.add_argument("--d", type=int_type("--d"), default=2,
                   help="state dimension d (default 2)")
    p.add_argument("--k", type=int_type("--k"), default=3,
                   help="training length k (default 3)")
    p.add_argument("--m", type=int_type("--m"), default=2,
                   help="inputs (mimo) / input width (projected), default 2")
    p.add_argument("--p", type=int_type("--p"), default=2,
                   help="outputs (mimo) / output width (projected), default 2")
    p.add_argument("--widths", default="2,2,2", help="deep-linear layer widths n_0,…,n_L (default 2,2,2)")
    p.add_argument("--degree", type=int_type("--degree", minimum=1, maximum=4), default=2,
                   help="largest degree of the law ansatz, 1..4 (default 2)")
    p.add_argument("--format", default=None, dest="fmt", choices=FORMATS, metavar="FMT",
                   help="md | latex | json (default md; json: equations, laws, `certified`)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="write derive_<case>.<ext> and a provenance sidecar there")
    p.add_argument("--seed", type=int_type("--seed", minimum=0), default=0,
                   help="seed of the random exact points (default 0)")
    add_json_option(p, "the derivation (as --format json)")
    p.set_defaults(func=cmd_derive)


def _load_user_model(spec: str):
    """`FILE.py:NAME` → the Model it names (a Model, or a function returning one)."""
    import importlib.util

    from theory_check.symbolic import Model

    path_text, sep, name = spec.rpartition(":")
    if not sep or not path_text.endswith(".py") or not name:
        raise ValueError(f"--model must be one of {', '.join(MODELS)} or FILE.py:NAME; got {spec!r}")
    path = Path(path_text)
    if not path.is_file():
        raise ValueError(f"--model: no such file {path}")
    mod_spec = importlib.util.spec_from_file_location(f"_theory_check_user_model_{path.stem}", path)
    module = importlib.util.module_from_spec(mod_spec)  # type: ignore[arg-type]
    try:
        mod_spec.loader.exec_module(module)  # type: ignore[union-attr]
    except Exception as exc:
        raise ValueError(f"--model: importing {path} failed: {type(exc).__name__}: {exc}") from None
    if not hasattr(module, name):
        raise ValueError(f"--model: {path} defines no {name!r}")
    obj = getattr(module, name)
    if callable(obj) and not isinstance(obj, Model):
        obj = obj()
    if not isinstance(obj, Model):
        raise ValueError(f"--model: {name} in {path} is neither a theory_check.symbolic.Model nor "
                         "a function returning one")
    return obj


def _build_model(args: argparse.Namespace):
    from theory_check.symbolic import builtin

    if args.model in MODELS:
        widths = []
        if args.model == "deep-linear":
            try:
                widths = [int(w) for w in args.widths.split(",") if w.strip()]
            except ValueError:
                raise ValueError(f"--widths must be comma-separated integers; got {args.widths!r}") from None
        return builtin(args.model, d=args.d, k=args.k, m=args.m, p=args.p, widths=widths)
    return _load_user_model(args.model)


#: API parameter → the option that sets it, for errors raised by the symbolic engine.
_OPTIONS = {"param": "--param", "d": "--d", "k": "--k", "m": "--m", "p": "--p",
            "widths": "--widths", "degree": "--degree", "seed": "--seed"}


def _as_option(exc: ValueError) -> ValueError:
    """"d must be an integer in [1, 9]; got 12" (the engine's words) → "--d must be …"."""
    name = getattr(exc, "name", None)
    text = str(exc)
    if name in _OPTIONS and text.startswith(f"{name} "):
        return ValueError(_OPTIONS[name] + text[len(name):])
    return exc


def cmd_derive(args: argparse.Namespace) -> int:
    try:
        return _derive(args)
    except ValueError as exc:
        raise _as_option(exc) from None


def _derive(args: argparse.Namespace) -> int:
    check_json_target(args.json)
    if args.json is not None and args.fmt not in (None, "json"):
        raise ValueError(f"--json and --format {args.fmt} exclude each other")
    fmt = "json" if args.json is not None else (args.fmt or "md")
    if args.model is not None and args.param is not None:
        raise ValueError("--param and --model exclude each other (--param is the RNN of the theory)")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise ValueError(f"--out must be a directory; {args.out} is a file")
    if args.json not in (None, "-") and args.out is not None:
        raise ValueError("--json FILE and --out DIR exclude each other")
    from theory_check.cli._progress import count, progress
    from theory_check.symbolic import derive, derive_model, estimate_seconds

    if args.model is not None:
        model = _build_model(args)
        stem = "derive_" + "".join(c if c.isalnum() else "_" for c in model.name)
        n_stages = 2
    else:
        param = args.param or "full"
        estimate = estimate_seconds(param, args.d, args.k)  # validates; refuses beyond the limits
        stem = f"derive_{param}_d{args.d}_k{args.k}"
        n_stages = 3
        if estimate > 5:
            print(f"theory-check: estimated time ~{estimate:.0f} s", file=sys.stderr)

    # A bar on a terminal, a plain line every 10 s otherwise (the run can take minutes).
    with progress("derive", n_stages, show=count("stages")) as bar:
        started = [0]

        def stage(name: str) -> None:
            bar.update(started[0], note=name)
            started[0] += 1

        if args.model is not None:
            result = derive_model(model, degree=args.degree, seed=args.seed, on_stage=stage)
        else:
            # JSON carries the equations as text from flint, so it skips the sympy derivation.
            result = derive(param, args.d, args.k, seed=args.seed, equations=fmt != "json",
                            on_stage=stage, degree=args.degree)
    if not result.census.certified:
        print(f"theory-check: warning: the count is not certified ({result.census.lower} ≤ "
              f"#laws ≤ {result.census.upper})", file=sys.stderr)
    if args.json not in (None, "-"):
        write_json(args.json, result.to_json())
        return 0
    if fmt == "json":
        text = json.dumps(result.to_json(), indent=2)
    elif fmt == "latex":
        text = result.to_latex()
    else:
        text = result.to_markdown()
    if args.out is None:
        print(text)
        return 0
    from theory_check.provenance import provenance
    from theory_check.results import jsonable

    try:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"{stem}.{_EXT[fmt]}"
        path.write_text(text + "\n")
        case = ({"model": result.model.name} if args.model is not None else
                {"param": result.param, "d": result.d, "k": result.k})
        prov = provenance(command="derive", **case, seed=result.seed, degree=args.degree,
                          certified=result.census.certified,
                          bounds=[result.census.lower, result.census.upper],
                          point=list(result.census.point), n_points=result.laws.n_points,
                          backend="python-flint " + _flint_version())
        (args.out / f"{stem}.provenance.json").write_text(json.dumps(jsonable(prov), indent=2))
    except OSError as exc:
        raise ValueError(f"cannot write to {args.out}: {exc.strerror or exc}") from None
    print(f"wrote {path}")
    return 0


def _flint_version() -> str:
    import flint

    return str(flint.__version__)
