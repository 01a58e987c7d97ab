"""Batched GD for linear RNN students: student-steps per second, one thread, float64.

Ours (`train_linear`: batched numpy, analytic gradients) against a per-student numpy loop
(`model.loss_gradient`), and, if torch is importable, PyTorch batched (bmm + autograd) and a
PyTorch autograd loop over students. Gradients of all implementations are checked to agree
first. Also: achieved GFLOP/s against a single-thread DGEMM (the machine's practical peak) and
how the cost grows with d, k and S.
"""

from __future__ import annotations

import time

import numpy as np
from _harness import median_seconds, report
from threadpoolctl import threadpool_limits

from theory_check import balanced_teacher, loss_gradient
from theory_check.train.linear import _init, batched_loss_gradient, train_linear

try:
    import torch
except ImportError:  # torch is in the `bench` extra only
    torch = None

S, D, K = 256, 40, 10
TEACHER = balanced_teacher([0.9, -0.5])
SIGMA = 0.1


def flops_per_student_step(d: int, k: int) -> int:
    """U and V recursions 2·2d²(k-1), R·U 2k²d, Vᵀ(RU) 2kd², g, ∇B, ∇C 6kd, update 2(d² + 2d)."""
    return 4 * d * d * (k - 1) + 2 * k * k * d + 2 * k * d * d + 6 * k * d + 2 * (d * d + 2 * d)


def ours_rate(s: int, d: int, k: int, n: int, repeats: int = 5) -> float:
    """Student-steps/s of the full `train_linear` loop: (time(n steps) - time(0 steps)) / (n·S)."""
    kw = {"d": d, "k": k, "init_scale": SIGMA, "seeds": range(s), "loss_tol": 0.0, "lr": 1e-3,
          "horizon": 2 * k}
    t_n = median_seconds(lambda: train_linear(TEACHER, steps=n, **kw), repeats=repeats)
    t_0 = median_seconds(lambda: train_linear(TEACHER, steps=0, **kw), repeats=repeats)
    return n * s / max(t_n - t_0, 1e-12)


def numpy_loop_rate(n: int) -> float:
    A, B, C = _init(D, SIGMA, list(range(S)), "full")
    A, B, C = A.copy(), B[:, :, None].copy(), C[:, None, :].copy()
    w = TEACHER.impulse_response(K)

    def run():
        for _ in range(n):
            for s in range(S):
                dA, dB, dC = loss_gradient(A[s], B[s], C[s], w)
                A[s] -= 1e-3 * dA
                B[s] -= 1e-3 * dB
                C[s] -= 1e-3 * dC

    return n * S / median_seconds(run, repeats=3)


def torch_loss(A, B, C, w):
    """Σ_s Σ_j (C_s A_s^j B_s - ŵ_j)² by k batched mat-vecs (A (S,d,d), B (S,d,1), C (S,1,d))."""
    u, gs = B, []
    for _ in range(w.shape[0]):
        gs.append(torch.bmm(C, u)[:, 0, 0])
        u = torch.bmm(A, u)
    g = torch.stack(gs, dim=1)
    return ((g - w) ** 2).sum()


def torch_batched_rate(n: int) -> float:
    A0, B0, C0 = _init(D, SIGMA, list(range(S)), "full")
    A = torch.tensor(A0, requires_grad=True)
    B = torch.tensor(B0[:, :, None], requires_grad=True)
    C = torch.tensor(C0[:, None, :], requires_grad=True)
    w = torch.tensor(TEACHER.impulse_response(K))

    def run():
        for _ in range(n):
            loss = torch_loss(A, B, C, w)
            loss.backward()
            with torch.no_grad():
                for p in (A, B, C):
                    p -= 1e-3 * p.grad
                    p.grad = None

    return n * S / median_seconds(run, repeats=5)


def torch_loop_rate(n: int) -> float:
    A0, B0, C0 = _init(D, SIGMA, list(range(S)), "full")
    params = [(torch.tensor(A0[s], requires_grad=True), torch.tensor(B0[s], requires_grad=True),
               torch.tensor(C0[s], requires_grad=True)) for s in range(S)]
    w = torch.tensor(TEACHER.impulse_response(K))

    def run():
        for _ in range(n):
            for A, B, C in params:
                u, gs = B, []
                for _j in range(K):
                    gs.append(C @ u)
                    u = A @ u
                loss = ((torch.stack(gs) - w) ** 2).sum()
                loss.backward()
                with torch.no_grad():
                    for p in (A, B, C):
                        p -= 1e-3 * p.grad
                        p.grad = None

    return n * S / median_seconds(run, repeats=3)


def check_agreement() -> float:
    """Max relative difference of ∇A between ours, the numpy reference and torch autograd."""
    A, B, C = _init(D, 0.5, list(range(8)), "full")
    w = TEACHER.impulse_response(K)
    _, dA, _, _ = batched_loss_gradient(A, B, C, w)
    ref = np.stack([loss_gradient(A[s], B[s][:, None], C[s][None, :], w)[0] for s in range(8)])
    diff = float(np.max(np.abs(dA - ref)) / np.max(np.abs(ref)))
    if torch is not None:
        At = torch.tensor(A, requires_grad=True)
        torch_loss(At, torch.tensor(B[:, :, None]), torch.tensor(C[:, None, :]),
                   torch.tensor(w)).backward()
        diff = max(diff, float(np.max(np.abs(At.grad.numpy() - dA)) / np.max(np.abs(dA))))
    assert diff < 1e-10, diff
    return diff


def dgemm_gflops(n: int = 1500) -> float:
    a, b = np.random.default_rng(0).standard_normal((2, n, n))
    return 2 * n**3 / median_seconds(lambda: a @ b, repeats=5) / 1e9


if __name__ == "__main__":
    if torch is not None:
        torch.set_num_threads(1)
    with threadpool_limits(1):
        t0 = time.perf_counter()
        agreement = check_agreement()
        peak = dgemm_gflops()
        ours = ours_rate(S, D, K, 200)
        rows = [{"impl": "ours (batched numpy, analytic)", "student_steps_per_s": ours,
                 "ratio_ours_over_this": 1.0}]
        base = numpy_loop_rate(2)
        rows.append({"impl": "numpy loop over students (model.loss_gradient)",
                     "student_steps_per_s": base, "ratio_ours_over_this": ours / base})
        if torch is not None:
            tb = torch_batched_rate(20)
            rows.append({"impl": f"torch {torch.__version__} batched bmm + autograd",
                         "student_steps_per_s": tb, "ratio_ours_over_this": ours / tb})
            tl = torch_loop_rate(1)
            rows.append({"impl": "torch autograd loop over students", "student_steps_per_s": tl,
                         "ratio_ours_over_this": ours / tl})
        fl = flops_per_student_step(D, K)
        report("train_linear_vs_baselines", rows, S=S, d=D, k=K, dtype="float64", threads=1,
               grad_agreement=agreement, dgemm_peak_gflops=peak,
               ours_gflops=ours * fl / 1e9, flops_per_student_step=fl)
        print(f"flops/student-step {fl}; ours {ours * fl / 1e9:.2f} GFLOP/s; single-thread DGEMM "
              f"{peak:.1f} GFLOP/s ({100 * ours * fl / 1e9 / peak:.0f}% of it); gradient agreement "
              f"{agreement:.1e}")

        scaling = []
        for s, d, k in [(256, 10, 10), (256, 20, 10), (256, 40, 10), (256, 80, 10),
                        (256, 40, 5), (256, 40, 20), (256, 40, 40),
                        (16, 40, 10), (64, 40, 10), (1024, 40, 10)]:
            r = ours_rate(s, d, k, 50 if s * d * d * k < 1e8 else 20, repeats=3)
            scaling.append({"S": s, "d": d, "k": k, "student_steps_per_s": r,
                            "us_per_student_step": 1e6 / r,
                            "gflops": r * flops_per_student_step(d, k) / 1e9})
        report("train_linear_scaling", scaling, threads=1, dtype="float64")
        print(f"total {time.perf_counter() - t0:.0f} s")
