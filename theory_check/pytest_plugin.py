"""pytest plugin (entry point `pytest11`): registered claims collected and run as tests.

A claim test passes when the verdict is the expected one: a true claim must PASS, a negative
control must FAIL; anything else — including INCONCLUSIVE — fails the test with the claim's
reason, evidence and counterexample. What is collected:

- claim files: every `claims_*.py` (ini option `theory_check_files`) under the paths pytest is
  given, e.g. `pytest tests/examples/`; each claim the file registers is one test;
- `--theory-check-claims=SPEC` (repeatable): a claim file or module, as `theory_check.claims.load`;
- `--theory-check-plugins`: the claims of installed plugins (entry points `theory_check.claims`);
- `--theory-check-builtins`: the built-in claims C<n>, N<n> (not collected otherwise).

`--theory-check-thorough` verifies with the thorough parameters, `--theory-check-seed N` with
seed N (default 0). Claims checked with `for_all` draw their examples under the current
hypothesis profile: `--hypothesis-profile`, else the environment variable HYPOTHESIS_PROFILE.
This module imports nothing heavy at start-up: `theory_check.claims` only when claims are collected.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from theory_check.claims import Claim, ClaimResult

DEFAULT_FILES = ["claims_*.py"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("theory-check", "theory-check claims collected as tests")
    group.addoption("--theory-check-thorough", action="store_true", default=False,
                    help="verify claims with their thorough (full-size) parameters")
    group.addoption("--theory-check-seed", type=int, default=0, metavar="N",
                    help="seed of every random draw of a claim (default 0)")
    group.addoption("--theory-check-claims", action="append", default=[], metavar="SPEC",
                    help="also collect the claims of a claim file (.py) or module; repeatable")
    group.addoption("--theory-check-plugins", action="store_true", default=False,
                    help="also collect the claims of installed plugins (entry points theory_check.claims)")
    group.addoption("--theory-check-builtins", action="store_true", default=False,
                    help="also collect the built-in claims C<n>, N<n> (slow: minutes)")
    parser.addini("theory_check_files", type="linelist", default=DEFAULT_FILES,
                  help="glob patterns of claim files collected by the theory-check plugin")


class ClaimMismatch(Exception):
    """A claim's verdict is not the expected one (raised by `ClaimItem.runtest`)."""

    def __init__(self, result: ClaimResult) -> None:
        super().__init__(result.id)
        self.result = result


def _format(result: ClaimResult, rule: str) -> str:
    want = "PASS" if result.expected else "FAIL (negative control)"
    lines = [f"claim {result.id}: expected {want}, got {result.status.value}",
             f"reason: {result.reason}", f"rule: {rule}", f"seed {result.provenance.get('seed')}, "
             f"{'thorough' if result.provenance.get('thorough') else 'default'} parameters, "
             f"{result.seconds:.2f} s"]
    data = result.to_json()
    if data["evidence"]:
        lines.append("evidence:")
        lines += [f"  {k} = {_cell(v)}" for k, v in data["evidence"].items()]
    if data["counterexample"]:
        lines.append("counterexample: " + _cell(data["counterexample"], 2000))
    return "\n".join(lines)


def _cell(v: Any, width: int = 300) -> str:
    text = json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v)
    return text if len(text) <= width else text[: width - 1] + "…"


_PROFILE_DONE = pytest.StashKey[bool]()


def _load_hypothesis_profile(config: pytest.Config) -> None:
    """Honour HYPOTHESIS_PROFILE (unless --hypothesis-profile was given), once per session."""
    if config.stash.get(_PROFILE_DONE, False):
        return
    config.stash[_PROFILE_DONE] = True
    name = os.environ.get("HYPOTHESIS_PROFILE")
    try:
        explicit = config.getoption("hypothesis_profile")
    except ValueError:
        explicit = None
    if not name or explicit:
        return
    from hypothesis import settings

    from theory_check.strategies import register_profiles

    try:
        settings.get_profile(name)
    except Exception:
        # Only when missing: registering again while `ci` is loaded would make `dev` inherit
        # ci's derandomize=True (register_profile's parent is the current default profile).
        register_profiles()  # `ci` and `dev`; a project's own profiles come from its conftest
    try:
        settings.load_profile(name)
    except Exception as exc:
        raise pytest.UsageError(f"HYPOTHESIS_PROFILE={name!r}: {exc}") from None


class ClaimItem(pytest.Item):
    """One claim as a test: verify it and compare the verdict with the expected one."""

    def __init__(self, *, claim: Claim, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.claim = claim
        self.user_properties.append(("claim_expected", "PASS" if claim.expected else "FAIL"))
        self.add_marker("theory_check")
        for tag in claim.tags:  # so that `-k beyond` selects the claims tagged "beyond"
            self.extra_keyword_matches.add(tag)

    def runtest(self) -> None:
        _load_hypothesis_profile(self.config)
        result = self.claim.verify(thorough=self.config.getoption("theory_check_thorough"),
                                   seed=self.config.getoption("theory_check_seed"))
        self.user_properties.append(("claim_status", result.status.value))
        self.user_properties.append(("claim_reason", result.reason))
        if not result.as_expected:
            raise ClaimMismatch(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ClaimMismatch):
            return _format(excinfo.value.result, self.claim.rule)
        return super().repr_failure(excinfo, style=style)  # type: ignore[arg-type]

    def reportinfo(self) -> tuple[Any, int | None, str]:
        kind = "negative control" if not self.claim.expected else "claim"
        return self.path, None, f"{kind} {self.claim.id}: {self.claim.statement}"


def _items(parent: pytest.Collector, claims: list[Claim]) -> Iterator[ClaimItem]:
    for c in claims:
        yield ClaimItem.from_parent(parent, name=c.id, claim=c)


class ClaimFile(pytest.File):
    """A claim file: each claim it registers is a `ClaimItem`.

    The file is loaded with `theory_check.claims.load` and the registry is then restored, so
    collecting claims leaves the process-wide registry as it was.
    """

    def collect(self) -> Iterator[ClaimItem]:
        from theory_check.claims import _user

        with _user.restored_registry():
            found = _user.load(str(self.path))
        yield from _items(self, found)


class ClaimSpecs(pytest.Collector):
    """The claims named on the command line (specs, installed plugins, built-ins)."""

    def collect(self) -> Iterator[ClaimItem]:
        from theory_check import claims
        from theory_check.claims import _user

        opt = self.config.getoption
        found: dict[str, Claim] = {}
        with _user.restored_registry():
            if opt("theory_check_builtins"):
                found.update({c.id: c for c in claims.builtin_claims()})
            if opt("theory_check_plugins"):
                found.update({c.id: c for c in claims.load_plugins()})
            for spec in opt("theory_check_claims"):
                try:
                    found.update({c.id: c for c in claims.load(spec)})
                except ValueError as exc:
                    raise pytest.UsageError(f"--theory-check-claims: {exc}") from None
        from theory_check.claims._registry import _order

        yield from _items(self, [found[i] for i in sorted(found, key=_order)])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "theory_check: a claim collected by the theory-check plugin")


def _matches(file_path: Any, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(str(file_path) if "/" in p else file_path.name, p) for p in patterns)


def _is_claim_file(file_path: Any, config: pytest.Config) -> bool:
    return file_path.suffix == ".py" and _matches(file_path, config.getini("theory_check_files"))


def pytest_collect_file(file_path: Any, parent: pytest.Collector) -> pytest.Collector | None:
    """A claim file that pytest's Python collector would not import (see `pytest_pycollect_makemodule`)."""
    if not _is_claim_file(file_path, parent.config):
        return None
    if parent.session.isinitpath(file_path) or _matches(file_path, parent.config.getini("python_files")):
        return None  # pytest's Python collector asks pytest_pycollect_makemodule for it
    return ClaimFile.from_parent(parent, path=file_path)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Any, parent: pytest.Collector) -> pytest.Collector | None:
    """A claim file named on the command line (or matching python_files) is a ClaimFile, not a
    test module: importing it as a module too would register its claims twice."""
    if _is_claim_file(module_path, parent.config):
        return ClaimFile.from_parent(parent, path=module_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """Add the command-line claims (before -k / -m deselection, which runs after this hook)."""
    opt = config.getoption
    if not (opt("theory_check_builtins") or opt("theory_check_plugins") or opt("theory_check_claims")):
        return
    seen = {i.claim.id for i in items if isinstance(i, ClaimItem)}
    specs = ClaimSpecs.from_parent(session, name="theory-check", nodeid="theory-check")
    new = [i for i in specs.collect() if i.claim.id not in seen]
    # Report them like any collected node, so that the terminal's counts include them.
    config.hook.pytest_collectreport(report=pytest.CollectReport(specs.nodeid, "passed", None, new))
    items.extend(new)
