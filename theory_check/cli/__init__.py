"""The `theory-check` command line: one sub-command module per job, errors as one line, exit 2.

Each module in `COMMANDS` defines `register(subparsers)`, which adds its parser and sets
`func(args) -> int` as the default. A ValueError raised by the API while a command runs is a
usage error: one line on stderr, exit code 2, no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

COMMANDS: tuple[str, ...] = ("claims", "figures", "derive", "moments", "integrate", "train",
                             "sweep", "selftest")


class UsageError(Exception):
    """A bad command line: reported in one line with exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> Parser:
    """The full parser with every sub-command registered."""
    parser = Parser(prog="theory-check", description="Verify, numerically and symbolically, the "
                    "theory of low-dimensional state spaces learned by overparameterized "
                    "RNNs: claims C1–C11 and negative controls N1–N5 of THEORY.md.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"theory_check.cli._{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    try:
        args = build_parser().parse_args(argv)
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


def parse_floats(name: str, text: str) -> list[float]:
    """Parse a comma-separated list of numbers for option `name`, or raise UsageError."""
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"{name} must be comma-separated numbers; got {text!r}") from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
