"""Resumable sweeps: a grid of independent training tasks run through a concurrent.futures executor.

A sweep is a teacher (or a list of teachers) and a grid: every list-valued key of the grid is an
axis, the tasks are the Cartesian product. From TOML (`load_config`)::

    [teacher]              # or [[teacher]] tables: one axis entry each
    atoms = [0.9, -0.5]
    weights = [1.0, 1.0]
    [grid]
    d = [20]
    k = [5]
    init_scale = [1e-4, 1e-3, 1e-2]
    seed = [0, 1, 2]
    # param = ["full"], model = ["linear"], lr = [0.01], steps = [20000]

Teachers: `kind = "balanced"` (the default; atoms, weights), `kind = "oscillating"` (rho in
(0, 1], omega in (0, π]: ŵ_j = ρ^j cos(jω), claim C12) or `kind = "mimo"` (atoms and
`vectors = [[1, 0], [0.5, 1]]`, one b_i ∈ R^m per atom: Ŵ_j = Σ_i λ̂_i^j b_i b_iᵀ, claim C13).
Models: linear, tanh (balanced or oscillating teachers), complex-diagonal (balanced or
oscillating), mimo (mimo teachers only, and a mimo teacher only with it).

Results are appended to a JSON-lines file as each task finishes, one object per task:
`{"sweep", "key", "config", "seed", "metrics", "seconds", "versions"}`; `sweep` is the
fingerprint of the whole sweep config, `key` the fingerprint of the task's config. Re-running
with the same file skips the tasks already in it; a file written by a different sweep config
is refused. Executors: a local process pool (default), a Dask `LocalCluster` (`local-dask`),
or an existing Dask scheduler (`tcp://HOST:PORT`).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import itertools
import json
import logging
import os
import re
import sys
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from theory_check._validate import check_choice, check_int, check_real

__all__ = [
    "ENGINE_DEFAULTS",
    "GRID_KEYS",
    "CellSummary",
    "SweepConfig",
    "SweepSummary",
    "Task",
    "check_scheduler",
    "finished_tasks",
    "load_config",
    "open_executor",
    "parse_config",
    "plot_results",
    "read_results",
    "run_sweep",
    "run_task",
    "student_json",
    "summarize_results",
    "teacher_impulse",
    "teacher_rnn",
]

# Keys a grid may hold, with their defaults (None: the trainer's own default).
GRID_KEYS: dict[str, Any] = {
    "model": "linear", "param": "full", "d": 20, "k": 5, "init_scale": 1e-3, "seed": 0,
    "lr": None, "steps": None, "loss_tol": 1e-12, "horizon": None,
    # tanh only
    "n_train": 1000, "input_std": 0.3, "clip": 5.0, "bias": False,
}
_TANH_ONLY = ("n_train", "input_std", "clip", "bias")
_MODELS = ("linear", "tanh", "complex-diagonal", "mimo")
_TEACHER_KINDS = ("balanced", "oscillating", "mimo")
#: Models each teacher kind can train (the first word of each error lists them).
_MODELS_FOR: dict[str, tuple[str, ...]] = {"balanced": ("linear", "tanh", "complex-diagonal"),
                                           "oscillating": ("linear", "tanh", "complex-diagonal"),
                                           "mimo": ("mimo",)}
#: The step size and budget of the trainers that have no default of their own (claims C12, C13).
ENGINE_DEFAULTS: dict[str, dict[str, Any]] = {"complex-diagonal": {"lr": 0.06, "steps": 30000},
                                              "mimo": {"lr": 0.02, "steps": 8000}}
_PARAMS = ("full", "diagonal", "balanced")
_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Task:
    """One point of the grid: its config (JSON-safe dict) and its key (hash of the config)."""

    key: str
    config: Mapping[str, Any]


@dataclass(frozen=True)
class SweepConfig:
    """A validated sweep: teachers (list of {atoms, weights}) and grid axes (key → list)."""

    teachers: tuple[Mapping[str, Any], ...]
    grid: Mapping[str, tuple[Any, ...]]

    def canonical(self) -> dict[str, Any]:
        """The normalized config, the thing the sweep fingerprint is computed from."""
        return {"schema": _SCHEMA_VERSION, "teachers": [dict(t) for t in self.teachers],
                "grid": {k: list(v) for k, v in sorted(self.grid.items())}}

    @property
    def fingerprint(self) -> str:
        """sha256 (16 hex digits) of the canonical config."""
        return _digest(self.canonical())

    def tasks(self) -> list[Task]:
        """The Cartesian product teacher × every grid axis, in a fixed order."""
        names = list(self.grid)
        out = []
        for teacher in self.teachers:
            for values in itertools.product(*(self.grid[n] for n in names)):
                config = {"teacher": dict(teacher), **dict(zip(names, values, strict=True))}
                # Keys a model does not use must not split its tasks.
                unused = (*_TANH_ONLY, "param") if config["model"] not in ("linear", "tanh") \
                    else _TANH_ONLY if config["model"] != "tanh" else ("param",)
                for key in unused:
                    config.pop(key, None)
                out.append(Task(_digest(config), config))
        # Dropping unused keys can make tasks coincide: keep each once.
        return list({t.key: t for t in out}.values())


def _digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _line_of(text: str, key: str) -> str:
    """' (line N)' for the first `key = ...` line in the TOML text, or '' if not found."""
    if not text:
        return ""
    pat = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    for i, line in enumerate(text.splitlines(), 1):
        if pat.match(line):
            return f" (line {i})"
    return ""


def load_config(path: str | Path) -> SweepConfig:
    """Read and validate a sweep TOML file; errors name the file, the line and the key."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ValueError(f"cannot read sweep config {path}: {exc.strerror or exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"line (\d+)", msg)
        where = ""
        if m:
            line = text.splitlines()[int(m[1]) - 1] if int(m[1]) <= len(text.splitlines()) else ""
            key = line.split("=")[0].strip() if "=" in line else line.strip()
            where = f"; key {key!r}: {line.strip()!r}" if line.strip() else ""
        raise ValueError(f"malformed TOML in {path}: {msg}{where}") from None
    return parse_config(raw, text=text, source=str(path))


def parse_config(raw: Mapping[str, Any], *, text: str = "", source: str = "sweep config") -> SweepConfig:
    """Validate a sweep config dict (as TOML gives it): `teacher` and `grid` tables."""
    unknown = sorted(set(raw) - {"teacher", "grid"})
    if unknown:
        raise ValueError(f"{source}: unknown table(s) {unknown}{_line_of(text, unknown[0])}; "
                         "allowed: [teacher] (or [[teacher]]) and [grid]")
    if "teacher" not in raw:
        raise ValueError(f"{source}: missing [teacher] table with atoms = [...] and weights = [...]")
    teachers_raw = raw["teacher"]
    if isinstance(teachers_raw, Mapping):
        teachers_raw = [teachers_raw]
    if not isinstance(teachers_raw, list) or not teachers_raw:
        raise ValueError(f"{source}: teacher must be a table or a non-empty array of tables")
    teachers = tuple(_teacher(t, text, source) for t in teachers_raw)
    grid_raw = raw.get("grid", {})
    if not isinstance(grid_raw, Mapping):
        raise ValueError(f"{source}: grid must be a table of key = value or key = [values]")
    grid: dict[str, tuple[Any, ...]] = {}
    for key, value in grid_raw.items():
        if key not in GRID_KEYS:
            raise ValueError(f"{source}: unknown grid key {key!r}{_line_of(text, key)}; "
                             f"allowed: {', '.join(GRID_KEYS)}")
        values = tuple(value) if isinstance(value, list) else (value,)
        if not values:
            raise ValueError(f"{source}: grid key {key!r}{_line_of(text, key)} is an empty list")
        try:
            grid[key] = tuple(_value(key, v) for v in values)
        except ValueError as exc:
            raise ValueError(f"{source}: grid key {key!r}{_line_of(text, key)}: {exc}") from None
        if len(set(map(repr, grid[key]))) != len(grid[key]):
            raise ValueError(f"{source}: grid key {key!r}{_line_of(text, key)} repeats a value")
    for key, default in GRID_KEYS.items():
        grid.setdefault(key, (default,))
    for t in teachers:
        kind = t.get("kind", "balanced")
        bad = [m for m in grid["model"] if m not in _MODELS_FOR[kind]]
        if bad:
            raise ValueError(f"{source}: grid key 'model'{_line_of(text, 'model')}: model {bad[0]!r} "
                             f"cannot train a {kind} teacher; allowed for it: "
                             f"{', '.join(_MODELS_FOR[kind])}")
    return SweepConfig(teachers, grid)


def _teacher(t: Any, text: str, source: str) -> dict[str, Any]:
    if not isinstance(t, Mapping):
        raise ValueError(f"{source}: each teacher must be a table with atoms and weights")
    kind = t.get("kind", "balanced")
    if kind not in _TEACHER_KINDS:
        raise ValueError(f"{source}: teacher key 'kind'{_line_of(text, 'kind')} must be one of "
                         f"{', '.join(_TEACHER_KINDS)}; got {kind!r}")
    allowed = {"balanced": ("atoms", "weights"), "oscillating": ("rho", "omega"),
               "mimo": ("atoms", "vectors")}[kind]
    unknown = sorted(set(t) - {"kind", *allowed})
    if unknown:
        raise ValueError(f"{source}: unknown teacher key {unknown[0]!r}{_line_of(text, unknown[0])} "
                         f"for kind {kind!r}; allowed: kind, {', '.join(allowed)}")
    if kind == "oscillating":
        return _oscillating(t, text, source)
    atoms = t.get("atoms")
    if not isinstance(atoms, list) or not atoms:
        raise ValueError(f"{source}: teacher key 'atoms'{_line_of(text, 'atoms')} must be a "
                         "non-empty list of numbers")
    weights = t.get("weights", [1.0] * len(atoms))
    outside = [a for a in atoms if isinstance(a, int | float) and not -1.0 <= a <= 1.0]
    if outside:
        # Outside [-1, 1] ŵ_j grows geometrically and no claim of proofs/theory.md applies.
        raise ValueError(f"{source}: teacher key 'atoms'{_line_of(text, 'atoms')} must lie in "
                         f"[-1, 1] (the support of the theory); got {outside[0]}")
    if kind == "mimo":
        return _mimo(atoms, t.get("vectors"), text, source)
    try:
        from theory_check.model import balanced_teacher

        balanced_teacher(atoms, weights)
    except (ValueError, TypeError) as exc:
        key = "weights" if "weight" in str(exc) else "atoms"
        raise ValueError(f"{source}: teacher key {key!r}{_line_of(text, key)}: {exc}") from None
    # No "kind" key for a balanced teacher: the fingerprints of existing sweeps stay the same.
    return {"atoms": [float(a) for a in atoms], "weights": [float(w) for w in weights]}


def _oscillating(t: Mapping[str, Any], text: str, source: str) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "oscillating"}
    for key, hi, hi_text in (("rho", 1.0, "1"), ("omega", 3.141592653589793, "π")):
        v = t.get(key)
        ok = isinstance(v, int | float) and not isinstance(v, bool) and 0.0 < v <= hi
        if not ok:
            raise ValueError(f"{source}: teacher key {key!r}{_line_of(text, key)} must be a "
                             f"number in (0, {hi_text}] for kind 'oscillating'; got {v!r}")
        out[key] = float(v)
    return out


def _mimo(atoms: list[Any], vectors: Any, text: str, source: str) -> dict[str, Any]:
    where = _line_of(text, "vectors")
    if (not isinstance(vectors, list) or len(vectors) != len(atoms)
            or not all(isinstance(v, list) and v for v in vectors)):
        raise ValueError(f"{source}: teacher key 'vectors'{where} must be one non-empty list "
                         f"b_i of numbers per atom ({len(atoms)}) for kind 'mimo'")
    if len({len(v) for v in vectors}) != 1:
        raise ValueError(f"{source}: teacher key 'vectors'{where} must all have the same length m")
    flat = [x for v in vectors for x in v]
    if not all(isinstance(x, int | float) and not isinstance(x, bool) and abs(x) < float("inf")
               for x in flat) or any(not any(v) for v in vectors):
        raise ValueError(f"{source}: teacher key 'vectors'{where} must be finite numbers, no "
                         "vector all zero")
    if not all(isinstance(a, int | float) for a in atoms) or len(set(atoms)) != len(atoms):
        raise ValueError(f"{source}: teacher key 'atoms'{_line_of(text, 'atoms')} must be "
                         "distinct numbers")
    return {"kind": "mimo", "atoms": [float(a) for a in atoms],
            "vectors": [[float(x) for x in v] for v in vectors]}


def teacher_impulse(teacher: Mapping[str, Any], q: int) -> Any:
    """The teacher's Markov parameters ŵ_0 … ŵ_{q-1} (numpy, shape (q,)), or for a mimo teacher
    Ŵ_j = Σ_i λ̂_i^j b_i b_iᵀ (shape (q, m, m))."""
    import numpy as np

    kind = teacher.get("kind", "balanced")
    j = np.arange(q)
    if kind == "oscillating":
        return teacher["rho"] ** j * np.cos(j * teacher["omega"])
    lam = np.asarray(teacher["atoms"], dtype=float)
    if kind == "mimo":
        Bt = np.asarray(teacher["vectors"], dtype=float)  # rows b_iᵀ
        return np.array([Bt.T @ np.diag(lam**i) @ Bt for i in range(q)])
    return (lam[None, :] ** j[:, None]) @ np.asarray(teacher["weights"], dtype=float)


def teacher_rnn(teacher: Mapping[str, Any]) -> Any:
    """A `LinearRNN` for a balanced or oscillating teacher (oscillating: A = ρ·rotation(ω),
    B = C = e_1, so C A^j B = ρ^j cos(jω))."""
    import numpy as np

    from theory_check.model import LinearRNN, balanced_teacher

    if teacher.get("kind", "balanced") == "oscillating":
        c, s = np.cos(teacher["omega"]), np.sin(teacher["omega"])
        return LinearRNN(teacher["rho"] * np.array([[c, -s], [s, c]]), np.array([1.0, 0.0]),
                         np.array([1.0, 0.0]))
    return balanced_teacher(teacher["atoms"], teacher["weights"])


def student_json(s: Any, horizon: int) -> dict[str, Any]:
    """The JSON object of a complex-diagonal or MIMO student (`train.complex_diag`,
    `train.mimo`): the keys of `train`'s objects it has, plus `modes` ([re, im] pairs) for a
    complex-diagonal student; non-finite numbers as strings."""
    import math

    def num(x: float) -> float | str:
        return float(x) if math.isfinite(x) else str(float(x))

    row: dict[str, Any] = {"seed": int(s.seed), "status": str(s.status),
                           "train_loss": num(s.train_loss),
                           "extrapolation_error": num(s.extrapolation_error),
                           "extrapolation_error_rel": num(s.extrapolation_error_rel),
                           "horizon": int(horizon), "effective_dim": int(s.effective_dim)}
    if hasattr(s, "B_minus_Ct_rel"):
        row["B_minus_Ct_rel"] = num(s.B_minus_Ct_rel)
    if hasattr(s, "modes"):
        row["modes"] = [[num(z.real), num(z.imag)] for z in s.modes]
    row["steps"] = int(s.steps)
    return row


def _value(key: str, v: Any) -> Any:
    """Validate one grid value; the same checks the trainers make, done before anything runs."""
    if key == "model":
        return check_choice("model", v, _MODELS)
    if key == "param":
        return check_choice("param", v, _PARAMS)
    if key == "bias":
        if not isinstance(v, bool):
            raise ValueError(f"bias must be true or false; got {v!r}")
        return v
    if key in ("d", "k", "n_train"):
        return check_int(key, v, minimum=1)
    if key == "seed":
        return check_int(key, v, minimum=0)
    if key in ("steps", "horizon"):
        if v is None:
            return None
        return check_int(key, v, minimum=0 if key == "steps" else 1)
    if key == "lr":
        return None if v is None else check_real("lr", v, minimum=0.0, strict_min=True)
    if key == "input_std":
        return check_real(key, v, minimum=0.0, strict_min=True)
    return check_real(key, v, minimum=0.0)  # init_scale, loss_tol, clip


def run_task(config: Mapping[str, Any]) -> dict[str, Any]:
    """Train one student as `config` says; returns its metrics (the `train` command's JSON object)."""
    model = config["model"]
    if model in ENGINE_DEFAULTS:
        q = config.get("horizon") or max(10 * config["k"], 100)
        kw = {"d": config["d"], "k": config["k"], "init_scale": config["init_scale"],
              "seeds": [config["seed"]],
              **{n: config[n] if config.get(n) is not None else v
                 for n, v in ENGINE_DEFAULTS[model].items()}}
        if config.get("loss_tol") is not None:
            kw["loss_tol"] = config["loss_tol"]
        targets = teacher_impulse(config["teacher"], q)
        if model == "mimo":
            from theory_check.train.mimo import train_mimo

            student = train_mimo(targets, **kw).students[0]
        else:
            from theory_check.train.complex_diag import train_complex_diagonal

            student = train_complex_diagonal(targets, **kw).students[0]
        return student_json(student, q)
    teacher = teacher_rnn(config["teacher"])
    common = {"d": config["d"], "k": config["k"], "init_scale": config["init_scale"],
              "seeds": [config["seed"]], "horizon": config.get("horizon")}
    extra = {n: config[n] for n in ("lr", "steps") if config.get(n) is not None}
    if config.get("loss_tol") is not None:
        extra["loss_tol"] = config["loss_tol"]
    if model == "tanh":
        from theory_check.train.tanh import train_tanh

        result = train_tanh(teacher, **common, **extra,
                            **{n: config[n] for n in _TANH_ONLY if n in config})
    else:
        try:
            from theory_check.train.linear import train_linear
        except ImportError as exc:
            raise ValueError("the linear trainer (theory_check.train.linear) is not available "
                             f"in this installation: {exc}") from None
        result = train_linear(teacher, **common, param=config.get("param", "full"), **extra)
    return result.students[0].to_json()


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep run did: tasks in the grid, skipped (already done), run, failed (with errors)."""

    total: int
    skipped: int
    completed: int
    failed: tuple[tuple[str, str], ...]  # (task key, error)
    seconds: float
    out: Path
    fingerprint: str
    scheduler: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def finished_tasks(config: SweepConfig, out: str | Path) -> set[str]:
    """Keys of the tasks of `config` already in `out`; ValueError if `out` is from another sweep."""
    return _read_done(Path(out), config.fingerprint, repair=False)[0]


def _read_done(out: Path, fingerprint: str, *, repair: bool = True) -> tuple[set[str], list[str]]:
    """Keys of the tasks already in `out`; refuse a file from another sweep; drop a torn last line."""
    if not out.exists():
        return set(), []
    if out.is_dir():
        raise ValueError(f"--out must be a file path; {out} is a directory")
    data = out.read_bytes()
    notes = []
    if data and not data.endswith(b"\n"):
        # A sweep killed mid-write leaves a partial last line: drop it (its task re-runs).
        cut = data.rfind(b"\n") + 1
        if repair:
            with out.open("r+b") as fh:
                fh.truncate(cut)
        data = data[:cut]
        notes.append(f"dropped a partial last line from {out} (interrupted write); its task re-runs")
    done = set()
    for i, line in enumerate(data.decode().splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            sweep, key = rec["sweep"], rec["key"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ValueError(f"{out} line {i} is not a sweep result line; refusing to append to it "
                             "(choose another --out)") from None
        if sweep != fingerprint:
            raise ValueError(f"{out} holds results of a different sweep config (fingerprint {sweep}, "
                             f"this sweep is {fingerprint}); refusing to mix them — choose another "
                             "--out or the config that wrote it")
        done.add(key)
    return done, notes


@contextlib.contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """Worker processes started inside get one BLAS/OpenMP thread each: parallelism is across tasks."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    os.environ.update({n: "1" for n in names})
    try:
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def check_scheduler(scheduler: str) -> str:
    """`scheduler` if it is "local", "local-dask" or "tcp://HOST:PORT", else ValueError."""
    if scheduler in ("local", "local-dask"):
        return scheduler
    if not isinstance(scheduler, str) or not scheduler.startswith("tcp://"):
        raise ValueError(f"scheduler must be 'local', 'local-dask' or 'tcp://HOST:PORT'; got {scheduler!r}")
    if not re.fullmatch(r"tcp://[^\s:/]+:\d+", scheduler):
        raise ValueError(f"scheduler address must look like tcp://HOST:PORT; got {scheduler!r}")
    return scheduler


@contextlib.contextmanager
def open_executor(scheduler: str = "local", *, workers: int | None = None,
                  timeout: float = 10.0) -> Iterator[cf.Executor]:
    """A concurrent.futures executor for `scheduler`: "local" (process pool), "local-dask"
    (a Dask LocalCluster of `workers` single-threaded worker processes) or "tcp://HOST:PORT"
    (an existing Dask scheduler; ValueError if it cannot be reached within `timeout` seconds)."""
    check_scheduler(scheduler)
    n = (os.cpu_count() or 1) if workers is None else check_int("workers", workers, minimum=1)
    timeout = check_real("timeout", timeout, minimum=0.0, strict_min=True)
    if scheduler == "local":
        import multiprocessing as mp

        with _single_threaded_blas(), cf.ProcessPoolExecutor(
                max_workers=n, mp_context=mp.get_context("spawn")) as ex:
            yield ex
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError(f"scheduler {scheduler!r} needs Dask: pip install 'theory-check[distributed]'"
                         ) from None
    if scheduler == "local-dask":
        import dask

        # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which makes glibc hand
        # memory back after every numpy temporary: measured 40 % more CPU per training task.
        # Our tasks are small; trim only above 256 MiB.
        trim = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": str(2**28)}
        with dask.config.set(trim), LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.ERROR,  # cancelled tasks on Ctrl-C are not worth a warning
        ) as cluster, Client(cluster) as client:
            yield client.get_executor(pure=False)  # run every task, no result reuse
        return
    try:
        client = Client(scheduler, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as exc:
        raise ValueError(f"cannot connect to the Dask scheduler at {scheduler} within {timeout:g} s "
                         f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                         "is `dask scheduler` running there?") from None
    try:
        yield client.get_executor(pure=False)  # run every task, no result reuse
    finally:
        client.close()


def _progress(total: int, done: int, enabled: bool):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("ETA"),
                    TimeRemainingColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                    transient=True, disable=not enabled)


def run_sweep(
    config: SweepConfig, out: str | Path, *, scheduler: str = "local", workers: int | None = None,
    timeout: float = 10.0, task_fn: Callable[[Mapping[str, Any]], Mapping[str, Any]] = run_task,
    executor: cf.Executor | None = None, progress: bool | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> SweepSummary:
    """Run every task of `config` not yet in `out`, appending one JSON line per finished task.

    `task_fn(config) -> metrics` runs in the executor (`executor` if given, else one opened for
    `scheduler`, see `open_executor`). A task that raises is reported in the summary and not
    written, so the next run retries it. Ctrl-C cancels the pending tasks; everything finished
    is already on disk. `progress` (default: stderr is a TTY) shows done/total and the ETA;
    `on_progress(done, total)` is called after each finished or failed task instead (the CLI
    passes its own display).
    """
    from theory_check.provenance import versions
    from theory_check.results import jsonable

    out = Path(out)
    if executor is None:
        check_scheduler(scheduler)
    fingerprint = config.fingerprint
    tasks = config.tasks()
    done, notes = _read_done(out, fingerprint)
    todo = [t for t in tasks if t.key not in done]
    skipped = len(tasks) - len(todo)
    out.parent.mkdir(parents=True, exist_ok=True)
    failed: list[tuple[str, str]] = []
    completed = 0
    t0 = time.perf_counter()
    show = (sys.stderr.isatty() if progress is None else progress) and on_progress is None
    if not todo:
        return SweepSummary(len(tasks), skipped, 0, (), 0.0, out, fingerprint, scheduler, tuple(notes))
    vers = versions()

    def drive(ex: cf.Executor) -> None:
        nonlocal completed
        futures = {ex.submit(_timed, task_fn, dict(t.config)): t for t in todo}
        with _progress(len(tasks), skipped, show) as bar, out.open("a") as fh:
            bar_task = bar.add_task("sweep", total=len(tasks), completed=skipped)
            try:
                for fut in cf.as_completed(futures):
                    t = futures[fut]
                    try:
                        metrics, seconds = fut.result()
                    except Exception as exc:  # a task's failure must not stop the sweep
                        failed.append((t.key, f"{type(exc).__name__}: {exc}"))
                        bar.advance(bar_task)
                        if on_progress is not None:
                            on_progress(skipped + completed + len(failed), len(tasks))
                        continue
                    rec = jsonable({"sweep": fingerprint, "key": t.key, "config": t.config,
                                    "seed": t.config.get("seed"), "metrics": metrics,
                                    "seconds": seconds, "versions": vers})
                    fh.write(json.dumps(rec) + "\n")
                    fh.flush()
                    completed += 1
                    bar.advance(bar_task)
                    if on_progress is not None:
                        on_progress(skipped + completed + len(failed), len(tasks))
                    if on_result is not None:
                        on_result(rec)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise

    if executor is not None:
        drive(executor)
    else:
        with open_executor(scheduler, workers=workers, timeout=timeout) as ex:
            drive(ex)
    return SweepSummary(len(tasks), skipped, completed, tuple(failed),
                        time.perf_counter() - t0, out, fingerprint, scheduler, tuple(notes))


def _timed(fn: Callable[[Mapping[str, Any]], Mapping[str, Any]], config: Mapping[str, Any]
           ) -> tuple[Mapping[str, Any], float]:
    t0 = time.perf_counter()
    res = fn(config)
    return res, time.perf_counter() - t0


def grid_from_flags(teacher_atoms: Sequence[float], teacher_weights: Sequence[float] | None,
                    axes: Mapping[str, Sequence[Any]]) -> SweepConfig:
    """A sweep config from command-line values (each axis a list)."""
    raw: dict[str, Any] = {"teacher": {"atoms": list(teacher_atoms)}, "grid": dict(axes)}
    if teacher_weights is not None:
        raw["teacher"]["weights"] = list(teacher_weights)
    return parse_config(raw, source="command line")


# ---------------------------------------------------------------------------------------------
# Reading results back: one summary row per grid cell, and a plot against the init scale.
# ---------------------------------------------------------------------------------------------

#: The result metrics summarised per cell (medians over the cell's seeds that have a value).
SUMMARY_METRICS: tuple[str, ...] = ("extrapolation_error_rel", "extrapolation_error",
                                    "effective_dim", "train_loss")


@dataclass(frozen=True)
class CellSummary:
    """One grid cell (every config key but the seed): its seeds, statuses and median metrics.

    `cell` holds the config keys that vary across the file (plus the teacher if several);
    `medians[m]` is the median of metric m over the seeds where it is a finite number (None if
    there is none: e.g. every student diverged); `statuses` counts converged / max_steps /
    diverged."""

    cell: Mapping[str, Any]
    n: int
    statuses: Mapping[str, int]
    medians: Mapping[str, float | None]

    def to_json(self) -> dict[str, Any]:
        """JSON-safe dict {cell, n, statuses, medians}."""
        return {"cell": dict(self.cell), "n": self.n, "statuses": dict(self.statuses),
                "medians": dict(self.medians)}


def read_results(path: str | Path) -> list[dict[str, Any]]:
    """The records of a sweep results file (JSON lines); ValueError naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ValueError(f"cannot read sweep results {path}: {exc.strerror or exc}") from None
    recs = []
    lines = text.splitlines()
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec["config"], dict) or not isinstance(rec["metrics"], dict):
                raise TypeError
        except (json.JSONDecodeError, KeyError, TypeError):
            if i == len(lines) and not text.endswith("\n"):
                continue  # a torn last line of an interrupted run
            raise ValueError(f"{path} line {i} is not a sweep result line") from None
        recs.append(rec)
    if not recs:
        raise ValueError(f"{path} holds no sweep results")
    return recs


def _finite(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None  # None (diverged) or "nan" / "inf" strings
    return float(v) if v == v and abs(v) != float("inf") else None


def _median(xs: list[float]) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else 0.5 * (xs[m - 1] + xs[m])


def _cell_keys(recs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Config keys (seed excluded) that take more than one value in `recs`, in a fixed order."""
    keys: list[str] = []
    for r in recs:
        for k in r["config"]:
            if k not in keys and k != "seed":
                keys.append(k)
    order = ["teacher", *GRID_KEYS]
    keys.sort(key=lambda k: order.index(k) if k in order else len(order))
    return [k for k in keys
            if len({json.dumps(r["config"].get(k), sort_keys=True) for r in recs}) > 1]


def summarize_results(path_or_records: str | Path | Sequence[Mapping[str, Any]]) -> list[CellSummary]:
    """One `CellSummary` per grid cell of a results file: the seeds of every cell pooled.

    A cell is a config without its seed; only the keys that vary across the file name it."""
    recs = (read_results(path_or_records) if isinstance(path_or_records, str | Path)
            else list(path_or_records))
    keys = _cell_keys(recs)
    cells: dict[str, list[Mapping[str, Any]]] = {}
    for r in recs:
        cell = {k: r["config"].get(k) for k in keys}
        cells.setdefault(json.dumps(cell, sort_keys=True), []).append(r)
    out = []
    for members in cells.values():
        statuses: dict[str, int] = {}
        for r in members:
            st = str(r["metrics"].get("status"))
            statuses[st] = statuses.get(st, 0) + 1
        medians = {m: _median([v for r in members if (v := _finite(r["metrics"].get(m))) is not None])
                   for m in SUMMARY_METRICS}
        out.append(CellSummary({k: members[0]["config"].get(k) for k in keys}, len(members),
                               dict(sorted(statuses.items())), medians))
    return out


def plot_results(path_or_records: str | Path | Sequence[Mapping[str, Any]], out: str | Path, *,
                 metric: str = "extrapolation_error_rel") -> Path:
    """Plot `metric` (default E_q/|ŵ_0|) against the init scale σ, one line per cell of the other
    varying keys: every seed as a dot, the median as a line (log-log). Saves to `out` (PNG/PDF
    by its suffix) and returns the path. Students that ended `max_steps` (not converged) are
    hollow dots; diverged students (no value) are counted in the legend. The title names what
    is fixed across the file (teacher, model, d, k); the legend what varies."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    recs = (read_results(path_or_records) if isinstance(path_or_records, str | Path)
            else list(path_or_records))
    varying = _cell_keys(recs)
    keys = [k for k in varying if k != "init_scale"]
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in recs:
        # A key the task's model does not use (param of a complex-diagonal task) is left out.
        label = ", ".join(f"{k}={_label(r['config'][k])}" for k in keys
                          if r["config"].get(k) is not None) or "median over seeds"
        groups.setdefault(label, []).append(r)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    n_unconverged = 0
    for i, (label, members) in enumerate(groups.items()):
        colour = f"C{i % 10}"
        by_sigma: dict[float, list[float]] = {}
        hollow: dict[float, list[float]] = {}
        missing = 0
        for r in members:
            v = _finite(r["metrics"].get(metric))
            if v is None or v <= 0:
                missing += 1
                continue
            sigma = float(r["config"]["init_scale"])
            by_sigma.setdefault(sigma, []).append(v)
            if r["metrics"].get("status") == "max_steps":
                hollow.setdefault(sigma, []).append(v)
        for sigma, vs in by_sigma.items():
            full = list(vs)
            for v in hollow.get(sigma, []):
                full.remove(v)
            ax.scatter([sigma] * len(full), full, s=12, alpha=0.5, color=colour, linewidths=0)
            if sigma in hollow:
                n_unconverged += len(hollow[sigma])
                ax.scatter([sigma] * len(hollow[sigma]), hollow[sigma], s=22, facecolors="none",
                           edgecolors=colour, linewidths=0.9)
        sig = sorted(by_sigma)
        med = [_median(by_sigma[s_]) for s_ in sig]
        extra = f" ({missing} without a value)" if missing else ""
        ax.plot(sig, med, "-o", color=colour, ms=4, label=f"{label}{extra}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"init scale $\sigma$")
    names = {"extrapolation_error_rel": r"extrapolation error $E_q/|\hat w_0|$",
             "extrapolation_error": r"extrapolation error $E_q$",
             "effective_dim": "effective state dimension", "train_loss": r"training loss $L_k$"}
    ax.set_ylabel(names.get(metric, metric))
    ax.set_title(_plot_title(recs, varying), fontsize="medium")
    ax.grid(True, which="major", alpha=0.3)
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], ls="none", marker="o", ms=4, color="0.4", alpha=0.6,
                          label="one seed (filled: converged)"))
    if n_unconverged:
        handles.append(Line2D([], [], ls="none", marker="o", ms=5, markerfacecolor="none",
                              markeredgecolor="0.3",
                              label=f"hollow: ended max_steps, not converged ({n_unconverged})"))
    ax.legend(handles=handles, fontsize="small")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=150)
    plt.close(fig)
    return out


def _plot_title(recs: Sequence[Mapping[str, Any]], varying: Sequence[str]) -> str:
    """"teacher λ̂=0.9/-0.5, linear (full), d=40, k=5: median over seeds (line), each seed
    (dots)": the keys that are the same in every record (the varying ones are in the legend)."""
    c = recs[0]["config"]
    parts = []
    if "teacher" not in varying:
        parts.append(f"teacher {_label(c.get('teacher'))}")
    if "model" not in varying:
        model = str(c.get("model", "linear"))
        parts.append(f"{model} ({c['param']})" if "param" in c and "param" not in varying
                     else model)
    parts += [f"{k}={_label(c.get(k))}" for k in ("d", "k") if k in c and k not in varying]
    return (", ".join(parts) + "\n" if parts else "") + "median over seeds (line), each seed (dots)"


def _label(v: Any) -> str:
    if v is None:
        return "–"  # a key this task's model does not use (param of a complex-diagonal task)
    if isinstance(v, Mapping) and v.get("kind") == "oscillating":
        return f"ρ={v['rho']:g}, ω={v['omega']:g}"
    if isinstance(v, Mapping) and "atoms" in v:
        lam = "λ̂=" + "/".join(f"{a:g}" for a in v["atoms"])
        if "vectors" in v:
            lam += ", b=" + ";".join(",".join(f"{x:g}" for x in b) for b in v["vectors"])
        return lam
    return f"{v:g}" if isinstance(v, float) else str(v)
