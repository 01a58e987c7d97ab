"""Sweeps: grid from TOML, append-as-you-go JSON lines, resume, refusal, executors (real Dask)."""

import concurrent.futures as cf
import json
import socket
from pathlib import Path

import pytest

from theory_check.cli import main
from theory_check.sweep import GRID_KEYS, load_config, parse_config, run_sweep

TOML = """\
[teacher]
atoms = [0.9, -0.5]
weights = [1.0, 1.0]
[grid]
d = [20]
k = [5, 7]
init_scale = [1e-4, 1e-3, 1e-2]
seed = [0, 1, 2]
"""

TINY_TANH = """\
[teacher]
atoms = [0.8]
[grid]
model = "tanh"
d = 3
k = 2
init_scale = [0.1, 1.0]
seed = [0, 1]
steps = 20
n_train = 16
horizon = 6
"""


def toy(config):
    """A task function for the engine tests: deterministic metrics from the config."""
    return {"value": config["init_scale"] * (config["seed"] + 1), "k": config["k"]}


def _write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_grid_is_the_cartesian_product_with_defaults(tmp_path) -> None:
    cfg = load_config(_write(tmp_path, TOML))
    tasks = cfg.tasks()
    assert len(tasks) == 2 * 3 * 3
    assert len({t.key for t in tasks}) == len(tasks)
    for t in tasks:
        assert t.config["teacher"] == {"atoms": [0.9, -0.5], "weights": [1.0, 1.0]}
        assert t.config["model"] == GRID_KEYS["model"] and t.config["param"] == "full"
        assert "n_train" not in t.config  # tanh-only keys do not split linear tasks
    # The fingerprint depends on the config, not on how the file is laid out.
    reordered = TOML.replace("seed = [0, 1, 2]\n", "").replace("[grid]\n", "[grid]\nseed = [0, 1, 2]\n")
    assert load_config(_write(tmp_path, reordered, "r.toml")).fingerprint == cfg.fingerprint
    other = TOML.replace("seed = [0, 1, 2]", "seed = [0, 1]")
    assert load_config(_write(tmp_path, other, "o.toml")).fingerprint != cfg.fingerprint


def test_teacher_tables_are_an_axis() -> None:
    raw = {"teacher": [{"atoms": [0.9]}, {"atoms": [0.9, -0.5]}], "grid": {"seed": [0, 1]}}
    tasks = parse_config(raw).tasks()
    assert len(tasks) == 4
    assert {len(t.config["teacher"]["atoms"]) for t in tasks} == {1, 2}


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (TOML.replace("k = [5, 7]", "k = [5, 7"), ["malformed TOML", "line 7"]),
        (TOML.replace("d = [20]", "d = 20 20"), ["malformed TOML", "line 5", "'d'"]),
        (TOML.replace("d = [20]", "dd = [20]"), ["unknown grid key 'dd'", "line 5", "allowed"]),
        (TOML.replace("k = [5, 7]", "k = [0, 7]"), ["grid key 'k'", "line 6", "k must be"]),
        (TOML.replace("init_scale = [1e-4, 1e-3, 1e-2]", "init_scale = [-1.0]"),
         ["'init_scale'", "line 7", "init_scale must be"]),
        (TOML.replace("weights = [1.0, 1.0]", "weights = [1.0, -1.0]"),
         ["teacher key 'weights'", "line 3", "> 0"]),
        (TOML.replace("[grid]", "[grd]"), ["unknown table", "grd"]),
        (TOML.replace("seed = [0, 1, 2]", "seed = [0, 0]"), ["repeats a value"]),
    ],
)
def test_malformed_config_names_line_and_key(tmp_path, text, fragments) -> None:
    with pytest.raises(ValueError) as info:
        load_config(_write(tmp_path, text))
    for frag in fragments:
        assert frag in str(info.value)


def test_results_are_appended_and_a_rerun_skips_finished_tasks(tmp_path) -> None:
    cfg = load_config(_write(tmp_path, TOML))
    out = tmp_path / "r.jsonl"
    with cf.ThreadPoolExecutor(2) as ex:
        s1 = run_sweep(cfg, out, task_fn=toy, executor=ex)
    assert (s1.total, s1.completed, s1.skipped, s1.failed) == (18, 18, 0, ())
    recs = _lines(out)
    assert len(recs) == 18
    for r in recs:
        assert {"sweep", "key", "config", "seed", "metrics", "versions", "seconds"} <= set(r)
        assert r["metrics"] == toy(r["config"]) and r["seed"] == r["config"]["seed"]
        assert r["sweep"] == cfg.fingerprint and "numpy" in r["versions"]
    calls = []
    with cf.ThreadPoolExecutor(2) as ex:
        s2 = run_sweep(cfg, out, task_fn=lambda c: calls.append(c) or toy(c), executor=ex)
    assert (s2.completed, s2.skipped) == (0, 18) and calls == []
    assert len(_lines(out)) == 18


def test_a_killed_sweep_resumes_where_it_stopped(tmp_path) -> None:
    cfg = load_config(_write(tmp_path, TOML))
    out = tmp_path / "r.jsonl"
    written = []

    def ctrl_c_after_five(record):
        written.append(record["key"])
        if len(written) == 5:
            raise KeyboardInterrupt  # Ctrl-C reaches the main thread while it collects results

    with pytest.raises(KeyboardInterrupt), cf.ThreadPoolExecutor(1) as ex:
        run_sweep(cfg, out, task_fn=toy, executor=ex, on_result=ctrl_c_after_five)
    first = _lines(out)
    assert [r["key"] for r in first] == written  # everything reported is on disk
    # A torn last line (killed mid-write) is dropped, and its task re-runs.
    with out.open("a") as fh:
        fh.write('{"sweep": "' + cfg.fingerprint + '", "key": "abc')
    with cf.ThreadPoolExecutor(2) as ex:
        s = run_sweep(cfg, out, task_fn=toy, executor=ex)
    assert s.skipped == len(first) and s.completed == 18 - len(first)
    assert any("partial last line" in n for n in s.notes)
    keys = [r["key"] for r in _lines(out)]
    assert sorted(keys) == sorted(t.key for t in cfg.tasks())


def test_failed_tasks_are_reported_and_retried_not_written(tmp_path) -> None:
    cfg = load_config(_write(tmp_path, TOML))
    out = tmp_path / "r.jsonl"

    def flaky(config):
        if config["k"] == 7:
            raise RuntimeError("boom")
        return toy(config)

    with cf.ThreadPoolExecutor(2) as ex:
        s = run_sweep(cfg, out, task_fn=flaky, executor=ex)
    assert s.completed == 9 and len(s.failed) == 9 and "boom" in s.failed[0][1]
    with cf.ThreadPoolExecutor(2) as ex:
        s = run_sweep(cfg, out, task_fn=toy, executor=ex)
    assert (s.skipped, s.completed) == (9, 9)


def test_output_of_a_different_sweep_is_refused(tmp_path) -> None:
    out = tmp_path / "r.jsonl"
    cfg = load_config(_write(tmp_path, TOML))
    with cf.ThreadPoolExecutor(1) as ex:
        run_sweep(cfg, out, task_fn=toy, executor=ex)
    before = out.read_text()
    other = load_config(_write(tmp_path, TOML.replace("d = [20]", "d = [30]"), "o.toml"))
    with pytest.raises(ValueError, match="different sweep config"), cf.ThreadPoolExecutor(1) as ex:
        run_sweep(other, out, task_fn=toy, executor=ex)
    (tmp_path / "junk.jsonl").write_text("not json\n")
    with pytest.raises(ValueError, match="not a sweep result line"), cf.ThreadPoolExecutor(1) as ex:
        run_sweep(other, tmp_path / "junk.jsonl", task_fn=toy, executor=ex)
    assert out.read_text() == before


def test_local_process_pool_runs_real_tanh_tasks(tmp_path) -> None:
    cfg = load_config(_write(tmp_path, TINY_TANH))
    out = tmp_path / "r.jsonl"
    s = run_sweep(cfg, out, scheduler="local", workers=2)
    assert (s.completed, s.failed) == (4, ())
    for r in _lines(out):
        m = r["metrics"]
        assert m["model"] == "tanh" and m["steps"] == 20 and m["horizon"] == 6
        assert m["seed"] == r["config"]["seed"]


def test_dask_local_cluster_runs_the_sweep(tmp_path) -> None:
    pytest.importorskip("distributed")
    cfg = load_config(_write(tmp_path, TINY_TANH))
    out = tmp_path / "r.jsonl"
    s = run_sweep(cfg, out, scheduler="local-dask", workers=2)
    assert (s.completed, s.failed) == (4, ())
    by_key = {r["key"]: r for r in _lines(out)}
    # Same numbers as the local process pool: the executor does not change results.
    out2 = tmp_path / "r2.jsonl"
    run_sweep(cfg, out2, task_fn=__import__("theory_check.sweep", fromlist=["run_task"]).run_task,
              executor=cf.ThreadPoolExecutor(1))
    for r in _lines(out2):
        assert r["metrics"] == by_key[r["key"]]["metrics"]


def test_unreachable_scheduler_is_a_clear_error_after_the_timeout(tmp_path) -> None:
    pytest.importorskip("distributed")
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = load_config(_write(tmp_path, TINY_TANH))
    with pytest.raises(ValueError, match=r"cannot connect to the Dask scheduler at tcp://127.0.0.1:\d+ "
                                         r"within 1 s"):
        run_sweep(cfg, tmp_path / "r.jsonl", scheduler=f"tcp://127.0.0.1:{port}", timeout=1.0)
    with pytest.raises(ValueError, match="scheduler must be"):
        run_sweep(cfg, tmp_path / "r.jsonl", scheduler="dask")
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        run_sweep(cfg, tmp_path / "r.jsonl", scheduler="local", workers=0)
    assert not (tmp_path / "r.jsonl").exists() or (tmp_path / "r.jsonl").read_text() == ""


def test_sweep_cli_runs_resumes_and_reports_errors_in_one_line(tmp_path, capsys) -> None:
    cfg = _write(tmp_path, TINY_TANH)
    out = tmp_path / "r.jsonl"
    assert main(["sweep", str(cfg), "--out", str(out), "--workers", "1"]) == 0
    assert "4 run, 0 already done" in capsys.readouterr().out
    assert main(["sweep", str(cfg), "--out", str(out), "--workers", "1"]) == 0
    assert "0 run, 4 already done" in capsys.readouterr().out
    # Flags override the file: a different grid, so the same output file is refused.
    assert main(["sweep", str(cfg), "--out", str(out), "--seed", "0,1,2"]) == 2
    err = capsys.readouterr().err.strip()
    assert "different sweep config" in err and len(err.splitlines()) == 1
    bad = _write(tmp_path, TINY_TANH.replace("k = 2", "k = [2"), "bad.toml")
    assert main(["sweep", str(bad), "--out", str(tmp_path / "x.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert "malformed TOML" in err and "line" in err and len(err.splitlines()) == 1
    assert main(["sweep", "--out", str(out)]) == 2
    assert "CONFIG.toml or --teacher-atoms" in capsys.readouterr().err


def test_sweep_from_flags_only(tmp_path, capsys) -> None:
    out = tmp_path / "r.jsonl"
    argv = ["sweep", "--teacher-atoms", "0.8", "--model", "tanh", "--d", "3", "--k", "2",
            "--init-scale", "0.1", "--seed", "0,1", "--steps", "5", "--n-train", "8", "--horizon", "4",
            "--out", str(out), "--workers", "1"]
    assert main(argv) == 0
    recs = _lines(out)
    assert sorted(r["seed"] for r in recs) == [0, 1]
    assert main([*argv[:-4], "--scheduler", "tcp://nowhere", "--out", str(out)]) == 2
    assert "tcp://HOST:PORT" in capsys.readouterr().err


def test_train_cli_tanh_prints_one_json_object_per_student(capsys) -> None:
    argv = ["train", "--model", "tanh", "--teacher-atoms", "0.8", "--d", "4", "--k", "3",
            "--init-scale", "0.1", "--steps", "30", "--n-train", "16", "--seeds", "2",
            "--horizon", "10", "--json"]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["seed"] for r in rows] == [0, 1]
    for r in rows:
        assert {"seed", "status", "train_loss", "extrapolation_error", "extrapolation_error_rel",
                "horizon", "B_minus_Ct_rel", "A_asym_rel", "effective_dim", "learned_atoms",
                "learned_weights", "steps"} <= set(r)
    assert main(argv[:-1]) == 0
    assert "theory-check train" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--init-scale", "-1"], "--init-scale must be a finite number in [0, inf); got -1"),
        (["--k", "0"], "--k must be an integer >= 1; got 0"),
        (["--steps", "-5"], "--steps must be an integer >= 0; got -5"),
        (["--teacher-atoms", "-1.5"], "--teacher-atoms must lie in [-1, 1]"),
        (["--bias", "--model", "linear"], "--n-train and --bias apply to --model tanh only"),
        (["--teacher-atoms", "0.9,x"], "--teacher-atoms must be comma-separated numbers"),
        (["--param", "diagonal"], "--param applies to --model linear only"),
        (["--d", "1", "--teacher-atoms", "0.9,0.5"], "--d must be >= the teacher dimension 2"),
    ],
)
def test_train_cli_bad_input_is_one_line_exit_2(argv, message, capsys) -> None:
    base = ["train", "--model", "tanh", "--teacher-atoms", "0.8", "--d", "3", "--k", "2",
            "--steps", "2", "--n-train", "4", "--horizon", "3"]
    assert main(base + argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_linear_tasks_run_through_train_linear(tmp_path) -> None:
    from theory_check.sweep import run_task

    raw = {"teacher": {"atoms": [0.9, -0.5]},
           "grid": {"d": 6, "k": 5, "init_scale": [1e-3, 1.0], "seed": 0, "steps": 3000,
                    "param": ["full", "diagonal"]}}
    cfg = parse_config(raw)
    out = tmp_path / "r.jsonl"
    with cf.ThreadPoolExecutor(1) as ex:
        s = run_sweep(cfg, out, task_fn=run_task, executor=ex)
    assert (s.completed, s.failed) == (4, ())
    recs = _lines(out)
    for r in recs:
        m = r["metrics"]
        assert {"learned_atoms", "effective_dim", "A_asym_rel"} <= set(m)
        assert m["horizon"] == 100 and m["seed"] == 0
    small_full = next(r for r in recs if r["config"]["init_scale"] == 1e-3
                      and r["config"]["param"] == "full")
    assert small_full["metrics"]["train_loss"] < 1e-6


def test_an_existing_dask_scheduler_is_used_by_address(tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    cfg = load_config(_write(tmp_path, TINY_TANH))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tcp", dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        s = run_sweep(cfg, tmp_path / "r.jsonl", scheduler=address, timeout=5.0)
    assert (s.completed, s.failed, s.scheduler) == (4, (), address)


# ------------------------------------------------------------------ teachers, flags, summaries

def test_a_teacher_atom_outside_the_unit_interval_is_refused_with_its_line(tmp_path) -> None:
    path = _write(tmp_path, TOML.replace("atoms = [0.9, -0.5]", "atoms = [0.9, -1.5]"))
    with pytest.raises(ValueError, match=r"teacher key 'atoms' \(line 2\) must lie in \[-1, 1\].*-1.5"):
        load_config(path)
    assert main(["sweep", str(path), "--out", str(tmp_path / "r.jsonl")]) == 2


def test_a_bad_grid_flag_is_named_as_typed(tmp_path, capsys) -> None:
    argv = ["sweep", "--teacher-atoms", "0.8", "--init-scale", "-1e-3,1e-3", "--out",
            str(tmp_path / "r.jsonl")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == "theory-check: error: --init-scale must be a finite number in [0, inf); got -0.001"
    assert main([*argv[:3], "--seed", "-1,0", *argv[5:]]) == 2
    assert capsys.readouterr().err.strip().endswith("--seed must be an integer >= 0; got -1")


def test_sweep_run_is_the_default_action(tmp_path) -> None:
    out = tmp_path / "r.jsonl"
    config = _write(tmp_path, TINY_TANH)
    assert main(["sweep", "run", str(config), "--out", str(out), "--workers", "1"]) == 0
    assert main(["sweep", str(config), "--out", str(out), "--workers", "1"]) == 0  # resumes: nothing to do
    assert len(_lines(out)) == 4


def _fake(out: Path, rows: list[tuple[float, int, str, object, object]]) -> Path:
    """A results file: (init_scale, seed, status, E_rel, effective_dim) per task, two k values."""
    with out.open("w") as fh:
        for sigma, seed, status, err, dim in rows:
            for k in (5, 7):
                rec = {"sweep": "f" * 16, "key": f"{sigma}-{seed}-{k}",
                       "config": {"teacher": {"atoms": [0.9], "weights": [1.0]}, "model": "linear",
                                  "d": 20, "k": k, "init_scale": sigma, "seed": seed},
                       "seed": seed,
                       "metrics": {"status": status, "extrapolation_error_rel": err,
                                   "extrapolation_error": err if err is None else 2 * err,
                                   "effective_dim": dim, "train_loss": 1e-13}}
                fh.write(json.dumps(rec) + "\n")
    return out


def test_summarize_gives_medians_and_status_counts_per_cell(tmp_path, capsys) -> None:
    from theory_check.sweep import summarize_results

    path = _fake(tmp_path / "r.jsonl", [
        (1e-3, 0, "converged", 1e-6, 1), (1e-3, 1, "converged", 3e-6, 1), (1e-3, 2, "max_steps", 2e-6, 3),
        (1.0, 0, "diverged", None, None), (1.0, 1, "converged", 10.0, 17), (1.0, 2, "converged", "nan", 5),
    ])
    cells = summarize_results(path)
    assert len(cells) == 4  # init_scale × k; d, model and the teacher do not vary
    by = {(c.cell["init_scale"], c.cell["k"]): c for c in cells}
    assert set(by) == {(1e-3, 5), (1e-3, 7), (1.0, 5), (1.0, 7)}
    small, large = by[(1e-3, 5)], by[(1.0, 7)]
    assert small.n == 3 and small.statuses == {"converged": 2, "max_steps": 1}
    assert small.medians["extrapolation_error_rel"] == 2e-6 and small.medians["effective_dim"] == 1
    # diverged (None) and "nan" have no value: the median is over the one finite seed
    assert large.statuses == {"converged": 2, "diverged": 1}
    assert large.medians["extrapolation_error_rel"] == 10.0 and large.medians["effective_dim"] == 11
    assert main(["sweep", "summarize", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["n"] for d in data] == [c.n for c in cells]
    assert main(["sweep", "summarize", str(path)]) == 0
    table = " ".join(capsys.readouterr().out.split())
    assert "4 cells" in table and "2e-06" in table and "converged" in table


def test_summarize_refuses_a_file_that_is_not_a_results_file(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"not": "a result"}\n{"x": 1}\n')
    assert main(["sweep", "summarize", str(bad)]) == 2
    assert "line 1 is not a sweep result line" in capsys.readouterr().err
    assert main(["sweep", "summarize", str(tmp_path / "missing.jsonl")]) == 2


def test_plot_draws_one_median_line_per_cell_against_the_init_scale(tmp_path, monkeypatch) -> None:
    import matplotlib.pyplot as plt

    from theory_check.sweep import plot_results

    path = _fake(tmp_path / "r.jsonl", [(s, seed, "converged", s * (seed + 1), 2)
                                        for s in (1e-3, 1e-2, 1e-1) for seed in (0, 1, 2)])
    drawn = {}
    real_savefig = plt.Figure.savefig

    def spy(fig, fname, **kw):
        drawn["lines"] = [(ln.get_label(), list(ln.get_xdata()), list(ln.get_ydata()))
                          for ln in fig.axes[0].get_lines()]
        return real_savefig(fig, fname, **kw)

    monkeypatch.setattr(plt.Figure, "savefig", spy)
    out = plot_results(path, tmp_path / "f.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(label for label, _, _ in drawn["lines"]) == ["k=5", "k=7"]
    for _, x, y in drawn["lines"]:
        assert x == [1e-3, 1e-2, 1e-1] and y == pytest.approx([2e-3, 2e-2, 2e-1])  # medians over seeds
    assert main(["sweep", "plot", str(path), "--out", str(tmp_path / "g.pdf")]) == 0
    assert (tmp_path / "g.pdf").read_bytes()[:4] == b"%PDF"
    assert main(["sweep", "plot", str(path), "--out", str(tmp_path / "g.txt")]) == 2


def test_the_example_sweep_config_is_valid() -> None:
    cfg = load_config(Path(__file__).parent / "examples" / "sweep.toml")
    tasks = cfg.tasks()
    assert len(tasks) == 12
    assert {t.config["init_scale"] for t in tasks} == {1e-3, 1e-2, 1e-1, 1.0}


def _drawn(monkeypatch) -> dict:
    """Spy on Figure.savefig: what the plot's axes hold when it is saved."""
    import matplotlib.pyplot as plt

    drawn: dict = {}
    real_savefig = plt.Figure.savefig

    def spy(fig, fname, **kw):
        ax = fig.axes[0]
        drawn["title"] = ax.get_title()
        drawn["legend"] = [t.get_text() for t in ax.get_legend().get_texts()]
        drawn["scatter"] = [(c.get_offsets().tolist(), c.get_facecolors().tolist())
                            for c in ax.collections]
        return real_savefig(fig, fname, **kw)

    monkeypatch.setattr(plt.Figure, "savefig", spy)
    return drawn


def _one_cell(out: Path, statuses: list[str], d: int = 40) -> Path:
    """A results file in which only σ (and the seed) vary: one seed per status at each σ."""
    with out.open("w") as fh:
        for sigma in (1e-3, 1e-1):
            for seed, status in enumerate(statuses):
                rec = {"sweep": "f" * 16, "key": f"{sigma}-{seed}", "seed": seed,
                       "config": {"teacher": {"atoms": [0.9, -0.5], "weights": [1.0, 1.0]},
                                  "model": "linear", "param": "full", "d": d, "k": 5,
                                  "init_scale": sigma, "seed": seed},
                       "metrics": {"status": status, "extrapolation_error_rel": sigma * (seed + 1)}}
                fh.write(json.dumps(rec) + "\n")
    return out


def test_plot_title_names_teacher_d_and_k_and_legend_is_not_all_tasks(tmp_path, monkeypatch) -> None:
    from theory_check.sweep import plot_results

    drawn = _drawn(monkeypatch)
    plot_results(_one_cell(tmp_path / "r.jsonl", ["converged"] * 3), tmp_path / "f.png")
    assert "λ̂=0.9/-0.5" in drawn["title"] and "d=40" in drawn["title"] and "k=5" in drawn["title"]
    assert "linear (full)" in drawn["title"]
    assert "all tasks" not in " ".join(drawn["legend"]) and "median over seeds" in drawn["legend"]
    # Every student converged: no hollow-marker entry in the legend, every dot filled.
    assert not any("max_steps" in t for t in drawn["legend"])
    assert all(faces and all(fc[3] > 0 for fc in faces) for _, faces in drawn["scatter"])


def test_plot_draws_max_steps_students_hollow_and_says_so(tmp_path, monkeypatch) -> None:
    from theory_check.sweep import plot_results

    drawn = _drawn(monkeypatch)
    plot_results(_one_cell(tmp_path / "r.jsonl", ["converged", "max_steps", "converged"]),
                 tmp_path / "f.png")
    assert "hollow: ended max_steps, not converged (2)" in drawn["legend"]
    # A hollow marker has no face colour (or a transparent one).
    def is_hollow(faces: list) -> bool:
        return not faces or all(fc[3] == 0 for fc in faces)

    hollow = [pt for pts, faces in drawn["scatter"] if is_hollow(faces) for pt in pts]
    filled = [pt for pts, faces in drawn["scatter"] if not is_hollow(faces) for pt in pts]
    # The seed-1 students (E = 2σ) are the hollow ones, at both σ; seeds 0 and 2 are filled.
    assert sorted(hollow) == [[1e-3, 2e-3], [1e-1, 2e-1]]
    assert sorted(filled) == [[1e-3, 1e-3], [1e-3, 3e-3], [1e-1, 1e-1], [1e-1, pytest.approx(3e-1)]]


def test_plot_title_leaves_out_what_varies(tmp_path, monkeypatch) -> None:
    from theory_check.sweep import plot_results

    a = _one_cell(tmp_path / "a.jsonl", ["converged"], d=20)
    b = _one_cell(tmp_path / "b.jsonl", ["converged"], d=40)
    both = tmp_path / "r.jsonl"
    both.write_text(a.read_text() + b.read_text().replace('"key": "', '"key": "b'))
    drawn = _drawn(monkeypatch)
    plot_results(both, tmp_path / "f.png")
    assert "d=" not in drawn["title"] and "k=5" in drawn["title"]
    assert {"d=20", "d=40"} <= set(drawn["legend"])


# ------------------------------------------------------- teacher and student kinds (issue 13)

KINDS = """\
[[teacher]]
kind = "oscillating"
rho = 0.9
omega = 0.628
[[teacher]]
atoms = [0.9, -0.5]
[grid]
model = ["linear", "complex-diagonal"]
param = "full"
d = 6
k = 5
init_scale = 1e-3
seed = 0
steps = 12000
horizon = 60
"""


def test_oscillating_teacher_and_complex_diagonal_tasks_run(tmp_path) -> None:
    import numpy as np

    from theory_check.sweep import run_task, teacher_impulse, teacher_rnn

    cfg = load_config(_write(tmp_path, KINDS))
    tasks = cfg.tasks()
    # linear and complex-diagonal (which does not use param), per teacher.
    assert len(tasks) == 2 * 2
    assert all("param" not in t.config for t in tasks if t.config["model"] == "complex-diagonal")
    osc = next(t for t in tasks if t.config["teacher"].get("kind") == "oscillating").config["teacher"]
    j = np.arange(60)
    np.testing.assert_allclose(teacher_impulse(osc, 60), 0.9**j * np.cos(0.628 * j), atol=1e-14)
    np.testing.assert_allclose(teacher_rnn(osc).impulse_response(60), teacher_impulse(osc, 60),
                               atol=1e-13)
    out = tmp_path / "r.jsonl"
    with cf.ThreadPoolExecutor(1) as ex:
        s = run_sweep(cfg, out, task_fn=run_task, executor=ex)
    assert (s.completed, s.failed) == (4, ())
    for r in _lines(out):
        m = r["metrics"]
        assert m["horizon"] == 60 and m["status"] in ("converged", "max_steps", "diverged")
        assert ("modes" in m) == (r["config"]["model"] == "complex-diagonal")
    full_osc = next(r["metrics"] for r in _lines(out) if r["config"]["teacher"].get("kind")
                    and r["config"]["model"] == "linear" and r["config"]["param"] == "full")
    assert full_osc["effective_dim"] == 2 and full_osc["extrapolation_error_rel"] < 1e-2


def test_mimo_teacher_tasks_run_and_are_labelled(tmp_path) -> None:
    from theory_check.sweep import _label, run_task

    text = ('[teacher]\nkind = "mimo"\natoms = [0.9, -0.5]\nvectors = [[1, 0], [0.5, 1]]\n'
            '[grid]\nmodel = "mimo"\nd = 6\nk = 3\ninit_scale = [1e-4, 1e-3]\nseed = 0\n')
    cfg = load_config(_write(tmp_path, text))
    out = tmp_path / "r.jsonl"
    with cf.ThreadPoolExecutor(1) as ex:
        s = run_sweep(cfg, out, task_fn=run_task, executor=ex)
    assert (s.completed, s.failed) == (2, ())
    for r in _lines(out):
        m = r["metrics"]
        assert m["status"] == "converged" and m["effective_dim"] == 2
        assert m["extrapolation_error_rel"] < 1e-3 and m["horizon"] == 100
    assert _label(cfg.teachers[0]) == "λ̂=0.9/-0.5, b=1,0;0.5,1"


def test_a_balanced_teacher_keeps_its_canonical_form_and_fingerprint(tmp_path) -> None:
    # No "kind" key is added to balanced teachers: results files of earlier sweeps still resume.
    cfg = load_config(_write(tmp_path, TOML))
    assert cfg.canonical()["teachers"] == [{"atoms": [0.9, -0.5], "weights": [1.0, 1.0]}]
    same = load_config(_write(tmp_path, TOML.replace("[teacher]", '[teacher]\nkind = "balanced"'),
                              "b.toml"))
    assert same.fingerprint == cfg.fingerprint


@pytest.mark.parametrize(
    ("teacher", "grid", "message"),
    [
        ('kind = "sine"', "", "teacher key 'kind' (line 2) must be one of balanced, oscillating, "
         "mimo; got 'sine'"),
        ('kind = "oscillating"\nrho = 0.9', "", "teacher key 'omega' must be a number in (0, π]"),
        ('kind = "oscillating"\nrho = 1.5\nomega = 1', "", "teacher key 'rho' (line 3) must be a "
         "number in (0, 1] for kind 'oscillating'; got 1.5"),
        ('kind = "oscillating"\nrho = 0.5\nomega = 1\natoms = [0.5]', "",
         "unknown teacher key 'atoms' (line 5) for kind 'oscillating'; allowed: kind, rho, omega"),
        ('kind = "mimo"\natoms = [0.9, 0.5]\nvectors = [[1, 0]]', 'model = "mimo"',
         "teacher key 'vectors' (line 4) must be one non-empty list b_i of numbers per atom (2)"),
        ('kind = "mimo"\natoms = [0.9, 0.5]\nvectors = [[1, 0], [1]]', 'model = "mimo"',
         "teacher key 'vectors' (line 4) must all have the same length m"),
        ('kind = "mimo"\natoms = [0.9]\nvectors = [[1, 0]]', "",
         "grid key 'model': model 'linear' cannot train a mimo teacher; allowed for it: mimo"),
        ("atoms = [0.9]", 'model = ["linear", "mimo"]',
         "model 'mimo' cannot train a balanced teacher; allowed for it: linear, tanh, "
         "complex-diagonal"),
        ("atoms = [0.9]", 'model = "rnn"', "model must be one of 'linear', 'tanh', "
         "'complex-diagonal', 'mimo'; got 'rnn'"),
    ],
)
def test_bad_teacher_kinds_and_model_combinations_name_the_key(tmp_path, capsys, teacher, grid,
                                                               message) -> None:
    path = _write(tmp_path, f"[teacher]\n{teacher}\n[grid]\n{grid}\nd = 4\n")
    with pytest.raises(ValueError) as exc:
        load_config(path)
    assert message in str(exc.value)
    assert main(["sweep", str(path), "--out", str(tmp_path / "r.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
