"""The `theory-check` command line: one sub-command module per job, errors as one line, exit 2.

Each module in `COMMANDS` defines `register(subparsers)`, which adds its parser and sets
`func(args) -> int` as the default. A ValueError raised by the API while a command runs is a
usage error: one line on stderr, exit code 2, no traceback.

Start-up is kept short (`--help`, `list`, `--version` and usage errors in well under 0.5 s):
this module and the `register` functions import only the standard library; numpy, rich, the
claims and the engines are imported inside the command functions.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: Every command: name → (module `theory_check.cli._<module>`, one-line help). The help is
#: repeated here so that `theory-check --help` and a usage error need not import any command
#: module; tests/test_cli.py checks it against the help each module registers.
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("claims", "list the registered claims"),
    "verify": ("claims", "verify claims and print their verdicts"),
    "notes": ("claims", "update the 'last verified' block of each proof note"),
    "figures": ("figures", "draw the proof figures (PNG, PDF, data, provenance)"),
    "derive": ("derive", "derive gradient-flow equations and conservation laws"),
    "moments": ("moments", "truncated moment problems"),
    "identify": ("moments", "do k moments identify a teacher measure?"),
    "integrate": ("integrate", "integrate the gradient flow of L_k (Taylor, odefun, DOP853, GD)"),
    "train": ("train", "train students by GD and print their metrics"),
    "sweep": ("sweep", "run a resumable grid of training tasks; summarize or plot its results"),
    "selftest": ("selftest", "sabotage each engine; every claim resting on it must notice"),
}
MODULES: tuple[str, ...] = tuple(dict.fromkeys(m for m, _ in COMMANDS.values()))

#: A command-line word that is a number or a comma-separated list of numbers or fractions with a
#: leading minus: "-1", "-0.5e-3", "-1,3/10", "-.5,-2". argparse would otherwise read
#: "-1,3/10" as an unknown option and refuse `--atoms -1,3/10` ("expected one argument").
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?:/\d+)?"
NEGATIVE_NUMBER_LIST = re.compile(rf"^-{_NUMBER}(?:\s*,\s*[-+]?{_NUMBER})*,?$")


class UsageError(Exception):
    """A bad command line: reported in one line with exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting, and that reads a
    word like "-1,3/10" as a value (a list of numbers), not as an option."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No prefix matching: `train --seed 3` must not silently mean `--seeds 3` (3 students).
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER_LIST

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(_reworded(message))


def _quoted_list(text: str) -> str:
    """"'a', 'b'" → "a, b"."""
    return ", ".join(s.strip().strip("'") for s in text.split(","))


def _reworded(message: str) -> str:
    """argparse's messages in the one style of every error: the option as typed, what it must
    be, what it got ("--model must be one of linear, tanh; got 'relu'")."""
    # "argument --seed: --seed must be ..." (from our typed options) → "--seed must be ...".
    m = re.fullmatch(r"argument ([^:]+): (\1 .*)", message, flags=re.S)
    if m:
        return m[2]
    m = re.fullmatch(r"argument COMMAND: invalid choice: '(.*)' \(choose from (.*)\)", message,
                     flags=re.S)
    if m:
        hint = difflib.get_close_matches(m[1], list(COMMANDS), n=1)
        return (f"unknown command '{m[1]}'" + (f" (did you mean {hint[0]}?)" if hint else "")
                + f"; commands: {_quoted_list(m[2])}")
    m = re.fullmatch(r"argument ([^:]+): invalid choice: '(.*)' \(choose from (.*)\)", message,
                     flags=re.S)
    if m:
        return f"{m[1]} must be one of {_quoted_list(m[3])}; got '{m[2]}'"
    m = re.fullmatch(r"argument ([^:]+): invalid (int|float) value: '(.*)'", message, flags=re.S)
    if m:
        return f"{m[1]} must be {'an integer' if m[2] == 'int' else 'a number'}; got '{m[3]}'"
    m = re.fullmatch(r"argument ([^:]+): expected one argument", message)
    if m:
        return f"{m[1]} needs a value"
    return message


def _unrecognized(parser: argparse.ArgumentParser, argv: Sequence[str], message: str) -> str:
    """"unrecognized arguments: --sed 3" → name the command, the first unknown option and the
    closest option that command has ("train: unknown option --sed (did you mean --seeds?)")."""
    words = message.removeprefix("unrecognized arguments:").split()
    names, p = [], parser
    for word in argv:  # follow the sub-command words down to the parser that read the options
        sub = next((a for a in p._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None or word not in sub.choices:
            continue
        names.append(word)
        p = sub.choices[word]
    where = f"{' '.join(names)}: " if names else ""
    option = next((w for w in words if w.startswith("-")), None)
    if option is None:
        return f"{where}unexpected argument{'s' if len(words) > 1 else ''} {' '.join(words)}"
    known = [o for a in p._actions for o in a.option_strings if o.startswith("--")]
    hint = difflib.get_close_matches(option.split("=")[0], known, n=1, cutoff=0.6)
    return (f"{where}unknown option {option}" + (f" (did you mean {hint[0]}?)" if hint else "")
            + (f"; see `theory-check {' '.join(names)} --help`" if names else ""))


def _version() -> str:
    # theory_check.__version__, not importlib.metadata (≈ 0.1 s of start-up); tests/test_cli.py
    # checks that it equals the installed distribution's version.
    from theory_check import __version__

    return __version__


def _command(argv: Sequence[str]) -> str | None:
    """The sub-command word of `argv` (the first word not starting with '-'), if any."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The parser. With `argv`, only the module of the command it names is imported and
    registered (the other commands get stand-ins carrying their one-line help), so start-up
    costs one module; without, every command module is registered."""
    parser = Parser(prog="theory-check", description="Verify, numerically and symbolically, the "
                    "theory of low-dimensional state spaces learned by overparameterized "
                    "RNNs: the claims and negative controls of proofs/theory.md, and your own "
                    "(verify --claims FILE.py).",
                    epilog="Lists of numbers may start with a minus (--atoms -1,3/10). "
                    "`--json` prints JSON to stdout instead of the table; `--json FILE` (list, "
                    "verify, derive, integrate, train, sweep summarize, selftest) writes it to "
                    "FILE. Exit codes: 0 success, 1 a result not as expected (or a failed run), "
                    "2 bad input, 130 interrupted.")
    parser.add_argument("--version", action="version", version=f"theory-check {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    if argv is None:
        wanted = set(MODULES)
    else:
        cmd = _command(argv)
        wanted = {COMMANDS[cmd][0]} if cmd in COMMANDS else set()
    for module in MODULES:
        mod = _module(module) if module in wanted else None
        if mod is not None:
            mod.register(sub)
            continue
        for name, (owner, text) in COMMANDS.items():
            if owner == module:
                sub.add_parser(name, help=text, add_help=False)
    return parser


def _module(name: str) -> Any:
    """The command module `theory_check.cli._<name>`, or None if this installation lacks it."""
    try:
        return importlib.import_module(f"theory_check.cli._{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"theory_check.cli._{name}":
            raise
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        cmd = _command(argv)
        if cmd in COMMANDS:
            mod = _module(COMMANDS[cmd][0])
            if mod is None:
                raise UsageError(f"the {cmd} command is not available in this installation")
            argv = getattr(mod, "rewrite_argv", lambda a: a)(argv)
        parser = build_parser(argv)
        try:
            args = parser.parse_args(argv)
        except UsageError as exc:
            if str(exc).startswith("unrecognized arguments:"):
                raise UsageError(_unrecognized(parser, argv, str(exc))) from None
            raise
        return int(args.func(args))
    except (UsageError, ValueError) as exc:
        print(f"theory-check: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("theory-check: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`theory-check … | head`): silence the flush at exit, no traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


# ------------------------------------------------------------------ option types and parsers

def parse_floats(name: str, text: str) -> list[float]:
    """Parse a comma-separated list of numbers for option `name`, or raise UsageError."""
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"{name} must be comma-separated numbers; got {text!r}") from None
    if not values:
        raise UsageError(f"{name} must be comma-separated numbers; got {text!r}")
    return values


def check_atoms(name: str, atoms: Sequence[float]) -> list[float]:
    """The teacher atoms if every one lies in [-1, 1] (the theory's support), else UsageError.

    Outside [-1, 1] the teacher's impulse response ŵ_j = Σ β_i λ̂_i^j grows geometrically and no
    claim of proofs/theory.md applies; `identify` (support `unit`) refuses such atoms too."""
    bad = [a for a in atoms if not -1.0 <= float(a) <= 1.0]
    if bad:
        raise UsageError(f"{name} must lie in [-1, 1] (the support of the theory); got {bad[0]:g}")
    return [float(a) for a in atoms]


def parse_teacher(atoms_text: str, weights_text: str | None, *, atoms_option: str = "--teacher-atoms",
                  weights_option: str = "--teacher-weights") -> tuple[list[float], list[float] | None]:
    """Teacher atoms and weights from the command line, checked as `balanced_teacher` would but
    with errors naming the options: atoms distinct and in [-1, 1], one weight > 0 per atom."""
    atoms = check_atoms(atoms_option, parse_floats(atoms_option, atoms_text))
    if len(set(atoms)) != len(atoms):
        raise UsageError(f"{atoms_option} must be pairwise distinct; got {atoms_text!r}")
    if weights_text is None:
        return atoms, None
    weights = parse_floats(weights_option, weights_text)
    if len(weights) != len(atoms):
        raise UsageError(f"{weights_option} must have one weight per atom ({len(atoms)}); "
                         f"got {len(weights)}")
    if not all(0.0 < w < float("inf") for w in weights):
        raise UsageError(f"{weights_option} must be finite numbers > 0; got {weights_text!r}")
    return atoms, weights


def int_type(option: str, *, minimum: int | None = None, maximum: int | None = None
             ) -> Callable[[str], int]:
    """An argparse `type` for an integer option; its error names the option as typed."""
    if minimum is not None and maximum is not None:
        rng = f"an integer in [{minimum}, {maximum}]"
    elif minimum is not None:
        rng = f"an integer >= {minimum}"
    else:
        rng = "an integer"

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} must be {rng}; got {text!r}") from None
        if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
            raise argparse.ArgumentTypeError(f"{option} must be {rng}; got {v}")
        return v

    parse.__name__ = "int"
    return parse


def float_type(option: str, *, minimum: float | None = None, strict: bool = False,
               maximum: float | None = None) -> Callable[[str], float]:
    """An argparse `type` for a finite real option; its error names the option and the range."""
    lo = "-inf" if minimum is None else f"{minimum:g}"
    hi = "inf" if maximum is None else f"{maximum:g}"
    rng = f"a finite number in {'(' if strict else '['}{lo}, {hi}{']' if maximum is not None else ')'}"

    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} must be {rng}; got {text!r}") from None
        bad = (v != v or v in (float("inf"), float("-inf"))
               or (minimum is not None and (v < minimum or (strict and v == minimum)))
               or (maximum is not None and v > maximum))
        if bad:
            raise argparse.ArgumentTypeError(f"{option} must be {rng}; got {text}")
        return v

    parse.__name__ = "float"
    return parse


# ------------------------------------------------------------------ JSON output, one convention

def add_json_option(p: argparse.ArgumentParser, what: str = "the results") -> None:
    """`--json [FILE]`: the same option in every command (FILE, or stdout for `-` / no value)."""
    p.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                   help=f"write {what} as JSON to FILE; `--json` alone or `--json -` prints the "
                        "JSON to stdout instead of the table")


def check_json_target(target: str | None) -> None:
    """Refuse a --json target that cannot be written before any work is done."""
    if target not in (None, "-") and Path(target).is_dir():
        raise UsageError(f"--json must be a file path or -; {target} is a directory")


def write_json(target: str, obj: Any) -> None:
    """Write `obj` as indented JSON to stdout (`-`) or atomically to the file `target`
    (a temporary file renamed over it, so an interrupted run never leaves half a file)."""
    import tempfile

    text = json.dumps(obj, indent=2)
    if target == "-":
        print(text, flush=True)
        return
    path = Path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(text + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"--json: cannot write {target}: {exc.strerror or exc}") from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
