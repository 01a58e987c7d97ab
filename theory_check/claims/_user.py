"""User claims: load claim files, modules and installed plugins; check a property over examples.

A user claim is a function decorated with `theory_check.claims.claim` under a namespaced id
("mylab.L1"). `load(spec)` imports a claim file or module (registering its claims) and returns
the claims it registered; `load_plugins()` does that for every module named by an entry point
of the group `theory_check.claims`. `for_all(strategy, check_one, rng=rng, kind=...)` turns a
hypothesis strategy and a per-example check into one `Outcome`: FAIL with the shrunk
counterexample, INCONCLUSIVE if some example could not be decided, else PASS.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.metadata
import importlib.util
import math
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from theory_check.claims._registry import REGISTRY, RULES, Claim, Kind, Outcome, Status, _order, judge
from theory_check.results import as_float, jsonable

__all__ = ["ENTRY_POINT_GROUP", "for_all", "load", "load_plugins"]

ENTRY_POINT_GROUP = "theory_check.claims"
# Claim files are imported as modules of this (virtual) package, one name per resolved path.
_FILE_PACKAGE = "theory_check_user_claims"
_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


@dataclasses.dataclass
class _Loaded:
    claims: list[Claim]
    stamp: tuple[int, int] | None  # (mtime_ns, size) of a claim file; None for a module


_LOADED: dict[str, _Loaded] = {}  # module name → what loading it registered


def _file_module_name(path: Path) -> str:
    stem = re.sub(r"\W", "_", path.stem)
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    return f"{_FILE_PACKAGE}.{stem}_{digest}"


def _registered_by(module: str, before: dict[str, Claim]) -> list[Claim]:
    """Claims that are new or replaced since `before`, or whose check lives in `module`."""
    out = {i: c for i, c in REGISTRY.items()
           if c.source == module or before.get(i) is not c}
    return [out[i] for i in sorted(out, key=_order)]


def _forget(module: str) -> None:
    """Unregister what an earlier load of `module` registered (before re-executing it)."""
    old = _LOADED.pop(module, None)
    for c in old.claims if old else []:
        if REGISTRY.get(c.id) is c:
            del REGISTRY[c.id]


def _reregister(loaded: _Loaded, spec: str) -> list[Claim]:
    """The claims of an earlier load: registered again if they were removed since, and the
    current ones if the same module registered them anew (a reload)."""
    out = []
    for c in loaded.claims:
        other = REGISTRY.setdefault(c.id, c)
        if other.source != c.source:
            raise ValueError(f"claims spec {spec!r}: claim {c.id} is now registered by {other.source}")
        out.append(other)
    return out


def _execute(spec: str, module: str, run: Callable[[], object]) -> list[Claim]:
    """Run an import, returning the claims it registered; any failure is a ValueError naming spec."""
    before = dict(REGISTRY)
    try:
        run()
    except Exception as exc:
        # Leave no half-registered file behind: the registry is as it was before the import.
        REGISTRY.clear()
        REGISTRY.update(before)
        sys.modules.pop(module, None)
        raise ValueError(f"claims spec {spec!r}: importing it raised {type(exc).__name__}: {exc}") from exc
    found = _registered_by(module, before)
    if not found:
        raise ValueError(f"claims spec {spec!r} registers no claims (decorate a check with "
                         "@theory_check.claims.claim and a namespaced id such as 'mylab.L1')")
    return found


def load(spec: str) -> list[Claim]:
    """Import a claim file (a path ending in .py) or a module by name; return the claims it registered.

    A directory stands for its claim files `claims_*.py` (sorted). Loading a spec again returns
    the same claims without registering them twice; a claim file that changed on disk since is
    executed again (its old claims are replaced). A spec that is neither an existing .py file
    (or a directory with claim files) nor an importable module, a file or module that raises on
    import, or one that registers no claim is a ValueError naming the spec.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"claims spec must be a path to a .py file or a module name; got {spec!r}")
    spec = spec.strip()
    path = Path(spec).expanduser()
    if path.is_dir():
        files = sorted(path.glob("claims_*.py"))
        if not files:
            raise ValueError(f"claims spec {spec!r}: the directory holds no claim files claims_*.py")
        found = {c.id: c for f in files for c in _load_file(str(f), f)}
        return [found[i] for i in sorted(found, key=_order)]
    if spec.endswith(".py") or "/" in spec or "\\" in spec or path.exists():
        return _load_file(spec, path)
    if not _MODULE_NAME.fullmatch(spec):
        raise ValueError(f"claims spec {spec!r} is neither an existing .py file nor a module name")
    return _load_module(spec)


def _load_file(spec: str, path: Path) -> list[Claim]:
    if not path.is_file() or path.suffix != ".py":
        raise ValueError(f"claims spec {spec!r}: no such .py file")
    path = path.resolve()
    module = _file_module_name(path)
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    loaded = _LOADED.get(module)
    if loaded is not None and loaded.stamp == stamp:
        return _reregister(loaded, spec)
    _forget(module)
    spec_obj = importlib.util.spec_from_file_location(module, path)
    if spec_obj is None or spec_obj.loader is None:  # pragma: no cover (a .py file always has one)
        raise ValueError(f"claims spec {spec!r}: cannot be imported")
    mod = importlib.util.module_from_spec(spec_obj)

    def run() -> None:
        sys.modules[module] = mod  # dataclasses and pickling look the module up here
        spec_obj.loader.exec_module(mod)  # type: ignore[union-attr]

    found = _execute(spec, module, run)
    _LOADED[module] = _Loaded(found, stamp)
    return found


def _load_module(spec: str) -> list[Claim]:
    loaded = _LOADED.get(spec)
    if loaded is not None and spec in sys.modules:
        return _reregister(loaded, spec)
    try:
        found_spec = importlib.util.find_spec(spec)
    except (ImportError, ValueError):  # a missing parent package, or a bad name
        found_spec = None
    if found_spec is None:
        raise ValueError(f"claims spec {spec!r} is neither an existing .py file nor an importable module")
    found = _execute(spec, spec, lambda: importlib.import_module(spec))
    _LOADED[spec] = _Loaded(found, None)
    return found


def load_plugins(group: str = ENTRY_POINT_GROUP) -> list[Claim]:
    """Load the claims of every installed plugin: each entry point of `group` names a module whose
    import registers claims (`[project.entry-points."theory_check.claims"] mylab = "mylab.claims"`).

    Returns the claims in registry order; a plugin that fails to load is a ValueError naming it.
    """
    found: dict[str, Claim] = {}
    for ep in sorted(importlib.metadata.entry_points(group=group), key=lambda e: e.name):
        try:
            claims = load(ep.module)
        except ValueError as exc:
            raise ValueError(f"claims plugin {ep.name!r} (entry point {ep.value!r} of group {group!r}): "
                             f"{exc}") from exc
        found.update({c.id: c for c in claims})
    return [found[i] for i in sorted(found, key=_order)]


@contextmanager
def restored_registry() -> Iterator[None]:
    """Run a block, then put the registry back as it was (claims loaded inside are unregistered).

    For collecting claims without registering them for good (the pytest plugin) and for tests.
    """
    before = dict(REGISTRY)
    try:
        yield
    finally:
        REGISTRY.clear()
        REGISTRY.update(before)


# ------------------------------------------------------------------------------------ for_all

class _Refuted(Exception):
    """Raised inside the hypothesis run on a FAIL, so that hypothesis shrinks the example."""


def _describe(example: Any) -> Any:
    """A JSON-safe picture of a drawn example (dataclasses field by field)."""
    if dataclasses.is_dataclass(example) and not isinstance(example, type):
        return {f.name: jsonable(getattr(example, f.name)) for f in dataclasses.fields(example)}
    return jsonable(example)


def _one_outcome(result: Any, kind: Kind | None, tol: Any) -> tuple[Outcome, float | None]:
    """The per-example Outcome and, for a (computed, theoretical) pair, the deviation |c - t|."""
    if isinstance(result, Outcome):
        return result, None
    if isinstance(result, tuple) and len(result) == 2:
        if kind is None or kind is Kind.QUALITATIVE:
            raise ValueError("for_all: a check returning (computed, theoretical) needs kind= "
                             "(any Kind but QUALITATIVE, whose checks return an Outcome)")
        computed, theoretical = result
        status = judge(kind, computed, theoretical, tol)
        ev = {"computed": computed, "theoretical": theoretical, "tolerance": tol}
        dev = None
        c, t = as_float(computed), as_float(theoretical)
        if c is not None and t is not None and math.isfinite(c) and math.isfinite(t):
            dev = abs(c - t)
        return Outcome(status, f"computed {computed} vs theoretical {theoretical} ({RULES[kind]})", ev), dev
    raise TypeError(f"for_all: the check returned {type(result).__name__}; it must return an "
                    "Outcome or a pair (computed, theoretical)")


def for_all(strategy: Any, check_one: Callable[[Any], Any], *, rng: Any, kind: Kind | None = None,
            tol: Any = 0, max_examples: int | None = None) -> Outcome:
    """Check a statement on examples drawn from a hypothesis `strategy` (e.g. `theory_check.strategies`).

    `check_one(example)` returns an `Outcome`, or a pair `(computed, theoretical)` judged by
    `judge(kind, computed, theoretical, tol)`. FAIL as soon as one example FAILs, after hypothesis
    has shrunk it: the counterexample holds the (minimal) example and its numbers. Otherwise
    INCONCLUSIVE if an example was INCONCLUSIVE or raised (a solver failure decides nothing),
    else PASS with the number of examples and the largest |computed - theoretical|.
    The current hypothesis profile (HYPOTHESIS_PROFILE in this project's tests, or
    `--hypothesis-profile`) sets max_examples (unless given) and derandomize; otherwise the
    examples are seeded from `rng`, so the claim's seed selects them.
    """
    from hypothesis import HealthCheck, Verbosity, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import HypothesisException, Unsatisfiable

    health_checks = [getattr(HealthCheck, n) for n in ("too_slow", "filter_too_much", "data_too_large",
                                                        "large_base_example") if hasattr(HealthCheck, n)]
    base = settings.default
    n_max = base.max_examples if max_examples is None else int(max_examples)
    if n_max < 1:
        raise ValueError(f"max_examples must be an integer >= 1; got {max_examples!r}")
    kind = None if kind is None else Kind(kind)
    state: dict[str, Any] = {"n": 0, "failed": None, "inconclusive": [], "max_dev": 0.0}

    def run(example: Any) -> None:
        try:
            out, dev = _one_outcome(check_one(example), kind, tol)
        except HypothesisException:
            raise  # assume() and friends steer hypothesis
        except (TypeError, ValueError) as exc:
            if str(exc).startswith("for_all:"):
                raise
            out, dev = Outcome(Status.INCONCLUSIVE, f"check raised {type(exc).__name__}: {exc}", {}), None
        except Exception as exc:
            out, dev = Outcome(Status.INCONCLUSIVE, f"check raised {type(exc).__name__}: {exc}", {}), None
        state["n"] += 1
        if dev is not None:
            state["max_dev"] = max(state["max_dev"], dev)
        if out.status is Status.FAIL:
            state["failed"] = (example, out)
            raise _Refuted
        if out.status is Status.INCONCLUSIVE:
            state["inconclusive"].append((example, out))

    test = given(strategy)(run)
    test = settings(base, max_examples=n_max, database=None, deadline=None, verbosity=Verbosity.quiet,
                    report_multiple_bugs=False, print_blob=False,
                    suppress_health_check=health_checks)(test)
    hseed = None
    if not base.derandomize:
        hseed = int(rng.integers(0, 2**63 - 1))
        test = hypothesis_seed(hseed)(test)
    evidence: dict[str, Any] = {
        "profile": settings.get_current_profile_name(), "max_examples": n_max,
        "derandomize": base.derandomize, "hypothesis_seed": hseed,
        "rule": RULES[kind] if kind is not None and kind is not Kind.QUALITATIVE else "per-example Outcome",
    }
    try:
        test()
    except _Refuted:
        example, out = state["failed"]
        evidence["n_checked"] = state["n"]
        evidence.update({f"counterexample.{k}": v for k, v in out.evidence.items()})
        counter = {"example": _describe(example), **(out.counterexample or {}), **out.evidence}
        return Outcome(Status.FAIL, f"refuted by the (shrunk) example {_short(example)}: {out.reason}",
                       evidence, counterexample=counter)
    except Unsatisfiable as exc:
        evidence["n_checked"] = state["n"]
        return Outcome(Status.INCONCLUSIVE, f"hypothesis found too few valid examples: {exc}", evidence)
    evidence.update({"n_checked": state["n"], "n_inconclusive": len(state["inconclusive"]),
                     "max_deviation": state["max_dev"]})
    if state["inconclusive"]:
        example, out = state["inconclusive"][0]
        return Outcome(Status.INCONCLUSIVE, f"{len(state['inconclusive'])} of {state['n']} examples "
                       f"undecided, e.g. {_short(example)}: {out.reason}", evidence)
    if state["n"] == 0:  # pragma: no cover (hypothesis raises Unsatisfiable first)
        return Outcome(Status.INCONCLUSIVE, "no example was checked", evidence)
    return Outcome(Status.PASS, f"holds on all {state['n']} examples (largest |computed - theoretical| "
                   f"{state['max_dev']:.3g})", evidence)


def _short(example: Any, width: int = 160) -> str:
    text = " ".join(repr(example).split())
    return text if len(text) <= width else text[: width - 1] + "…"
