"""`theory-check derive`: gradient-flow equations, conserved quadratic forms, completeness count."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from theory_check.provenance import provenance
from theory_check.results import jsonable

FORMATS = ("md", "latex", "json")
_EXT = {"md": "md", "latex": "tex", "json": "json"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "derive", help="derive gradient-flow equations and conservation laws",
        description="Gradient-flow equations of L_k, the conserved quadratic forms (exact ansatz, "
        "symbolically re-checked) and the number of independent laws D - dim Lie.",
        epilog="Limits (checked before computing): 1 ≤ d ≤ 9, 1 ≤ k ≤ 40, and an estimated "
        "size Σ_j #terms(∇g_j) ≤ 400,000 (≤ 60,000 for md/latex, which derive the equations "
        "with sympy). JSON n_independent_laws is D - lie_algebra_dim, an upper bound that is "
        "exact when certified (a warning on stderr says when it is not).")
    p.add_argument("--param", default="full", help="full | diagonal | balanced (default full)")
    p.add_argument("--d", type=int, default=2, help="state dimension d (default 2)")
    p.add_argument("--k", type=int, default=3, help="training length k (default 3)")
    p.add_argument("--format", default="md", dest="fmt", help="md | latex | json (default md)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="write derive_<param>_d<d>_k<k>.<ext> and a provenance sidecar there")
    p.add_argument("--seed", type=int, default=0, help="seed of the random exact points")
    p.set_defaults(func=cmd_derive)


def cmd_derive(args: argparse.Namespace) -> int:
    from theory_check._validate import check_choice
    from theory_check.symbolic import derive

    fmt = check_choice("--format", args.fmt, FORMATS)
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise ValueError(f"--out must be a directory; {args.out} is a file")
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True,
                  disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("derive", total=3)

        def stage(name: str) -> None:
            if bar.tasks[0].description != "derive":
                bar.advance(task)
            bar.update(task, description=name)

        # JSON does not carry the equations, so it skips the (larger) sympy derivation.
        result = derive(args.param, args.d, args.k, seed=args.seed, equations=fmt != "json",
                        on_stage=stage)
    if fmt == "json":
        text = json.dumps(result.to_json(), indent=2)
    elif fmt == "latex":
        text = result.to_latex()
    else:
        text = result.to_markdown()
    if not result.census.certified:
        print(f"theory-check: warning: the count is not certified ({result.census.lower} ≤ "
              f"#laws ≤ {result.census.upper})", file=sys.stderr)
    if args.out is None:
        print(text)
        return 0
    stem = f"derive_{result.param}_d{result.d}_k{result.k}"
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"{stem}.{_EXT[fmt]}"
        path.write_text(text + "\n")
        prov = provenance(command="derive", param=result.param, d=result.d, k=result.k,
                          seed=result.seed, certified=result.census.certified,
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
