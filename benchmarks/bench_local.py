"""Local stability at scale: the public spectra against the strongest alternatives, in the same process.

Run: ``python benchmarks/bench_local.py [--skip-large]``. Prints a human-readable line and one JSON
line per benchmark; every timing is min/median/max over alternated rounds, next to the load average:

(a) N = 2000, P = 20 random patterns, one memory at a time (after a first call, timed apart, that
    derives the network's design residuals and exactness once): the public
    ``jacobian_spectrum(net, mu, at="ideal")`` against a plain numpy (P+1) x (P+1) reduction
    (``G = U^T D U``, ``eigvals(C G)``; the per-call overhead target is <= 2x) and scipy ``eigsh`` on
    a ``LinearOperator`` for ``D^1/2 U C U^T D^1/2`` (its P+1 largest-magnitude eigenvalues); all
    memories: ``local_stability`` against the numpy reduction in a loop and dense ``eigh`` of
    ``D^1/2 W D^1/2`` for every memory (dense fits at this N);
(b) N = 10^6, P = 100: design + ``local_stability`` (random patterns at the designed memories; an
    exact design at the equilibria), three alternated rounds of the two cases, min/median/max and
    the process's peak RSS, with the numpy reduction's time for one memory (target: design + all
    spectra < 15 s); then N = 10^4, P = 800 random patterns in a fresh interpreter: design + all
    spectra and that process's peak RSS (target < 4 GB);
(c) the 30 x 30 phase diagram (N = 1000, q = 0.2, equal-overlap): closed form and batched reduction,
    and per cell against dense ``eigh`` on sampled cells (the dense time is per cell, not extrapolated).

BLAS threads are the library's own policy (:mod:`assocrate.core.threads`); the numpy references
run under the same policy (one BLAS thread for their (P+1) x (P+1) work).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings

import numpy as np
import scipy.sparse.linalg
from _timing import alternated, load_average, peak_rss_gb, spread

from assocrate.core.activations import Sigmoid
from assocrate.core.design import design
from assocrate.core.patterns import correlated_patterns, equal_overlap_patterns, random_patterns
from assocrate.core.threads import single_threaded_blas
from assocrate.stability import jacobian_spectrum, local_stability
from assocrate.sweeps import phase_diagram

ACTIVATION = Sigmoid(rho=4.8, threshold=0.2)


def design_quietly(patterns, activation=ACTIVATION, a=-0.3, b=0.95):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return design(patterns, activation, a, b)


def numpy_reduction(network, mu: int) -> np.ndarray:
    """The plain numpy route for one memory: ``G = U^T D U`` over the units, then ``eigvals(C G) - 1``."""
    d = network.activation.dphi(network.a + (network.b - network.a) * network.patterns[:, mu])
    U = network.U
    with single_threaded_blas():
        G = U.T @ (U * d[:, None])
        return np.sort(np.linalg.eigvals(network.c[:, None] * G).real) - 1.0


def eigsh_spectrum(network, mu: int) -> np.ndarray:
    """scipy ``eigsh`` (ARPACK) on ``D^1/2 U C U^T D^1/2`` as a LinearOperator: its P+1 largest in magnitude."""
    root = np.sqrt(network.activation.dphi(network.a + (network.b - network.a) * network.patterns[:, mu]))
    U, c, n = network.U, network.c, network.n_units

    def matvec(x):
        x = np.ravel(x) * root
        return root * (U @ (c * (U.T @ x)))

    operator = scipy.sparse.linalg.LinearOperator((n, n), matvec=matvec, dtype=float)
    values = scipy.sparse.linalg.eigsh(operator, k=network.c.size, which="LM", return_eigenvectors=False,
                                       v0=np.ones(n))
    return np.sort(values) - 1.0


def dense_spectra(network, *, ideal: bool = True) -> list[np.ndarray]:
    """Every memory's Jacobian spectrum by dense symmetric eigh (the reference)."""
    W = network.dense_weights()
    spectra = []
    for mu in range(network.n_patterns):
        root = np.sqrt(network.activation.dphi(network.memory_currents()[:, mu]))
        spectra.append(np.linalg.eigvalsh(root[:, None] * W * root[None, :]) - 1.0)
    return spectra


def bench_spectra() -> dict:
    network = design_quietly(random_patterns(2000, 20, 0.2, seed=0))
    record = {"benchmark": "spectra N=2000 P=20", "n_units": 2000, "n_patterns": 20, "load_before": load_average()}
    start = time.perf_counter()  # the first call also derives the network's residuals and exactness (memoised)
    jacobian_spectrum(network, 3, at="ideal")
    record["public_first_call_s"] = time.perf_counter() - start
    one = alternated(
        {
            "public_jacobian_spectrum_s": lambda: jacobian_spectrum(network, 3, at="ideal"),
            "numpy_reduction_s": lambda: numpy_reduction(network, 3),
            "scipy_eigsh_s": lambda: eigsh_spectrum(network, 3),
        },
        rounds=10, calls=3,
    )
    record.update(one)
    record["overhead_ratio_min"] = one["public_jacobian_spectrum_s"][0] / one["numpy_reduction_s"][0]
    record["overhead_ratio_median"] = one["public_jacobian_spectrum_s"][1] / one["numpy_reduction_s"][1]
    top = jacobian_spectrum(network, 3, at="ideal").max_eigenvalue
    record["max_eigenvalue_difference_numpy"] = float(abs(top - numpy_reduction(network, 3).max()))
    record["max_eigenvalue_difference_eigsh"] = float(abs(top - eigsh_spectrum(network, 3).max()))
    dense_W = network.dense_weights()

    def dense_all():
        out = []
        for mu in range(network.n_patterns):
            root = np.sqrt(network.activation.dphi(network.memory_currents()[:, mu]))
            out.append(np.linalg.eigvalsh(root[:, None] * dense_W * root[None, :]) - 1.0)
        return out

    every = alternated(
        {
            "public_local_stability_s": lambda: local_stability(network, at="ideal"),
            "numpy_reduction_all_s": lambda: [numpy_reduction(network, mu) for mu in range(network.n_patterns)],
        },
        rounds=5,
    )
    record.update(every)
    start = time.perf_counter()
    dense = dense_all()
    record["dense_eigh_all_s"] = time.perf_counter() - start
    result = local_stability(network, at="ideal")
    record["max_abs_difference_dense_top"] = max(
        abs(float(d[-1]) - m.spectrum.max_eigenvalue) for d, m in zip(dense, result.memories)
    )
    record["load_after"] = load_average()
    return record


def large_case(make, at: str) -> dict:
    """Design + ``local_stability`` once: seconds of each, the verdicts, the row types."""
    start = time.perf_counter()
    network = design_quietly(make())
    design_s = time.perf_counter() - start
    start = time.perf_counter()
    result = local_stability(network, at=at)
    spectra_s = time.perf_counter() - start
    return {"design_s": design_s, "local_stability_s": spectra_s, "n_row_types": network.row_types.n_types,
            "n_stable": result.n_stable, "max_eigenvalue": float(result.max_eigenvalues.max()), "network": network}


def bench_large(rounds: int = 3) -> list[dict]:
    """N = 10^6, P = 100: `rounds` alternated repetitions of design + all spectra per case (goal < 15 s)."""
    cases = (
        ("random, at the designed memories", lambda: random_patterns(10**6, 100, 0.2, seed=0), "ideal"),
        ("correlated (exact design), at the equilibria", lambda: correlated_patterns(10**6, 100, 0.01, 0.2, seed=0),
         "equilibrium"),
    )
    load_before = load_average()
    runs: dict[str, list[dict]] = {label: [] for label, _, _ in cases}
    numpy_s = None
    for _ in range(rounds):
        for label, make, at in cases:
            run = large_case(make, at)
            network = run.pop("network")
            if at == "ideal" and numpy_s is None:
                numpy_s = alternated({"numpy": lambda net=network: numpy_reduction(net, 0)}, rounds=2)["numpy"]
            del network
            runs[label].append(run)
    records = []
    for label, _, _ in cases:
        done = runs[label]
        spread_of = lambda key: [min(values := sorted(r[key] for r in done)), values[len(values) // 2], max(values)]  # noqa: E731
        totals = sorted(r["design_s"] + r["local_stability_s"] for r in done)
        records.append(
            {
                "benchmark": "all-memory spectra at N = 10^6",
                "case": label,
                "n_units": 10**6,
                "n_patterns": 100,
                "n_row_types": done[0]["n_row_types"],
                "rounds": rounds,
                "design_s": spread_of("design_s"),
                "local_stability_s": spread_of("local_stability_s"),
                "design_plus_spectra_s": [totals[0], totals[len(totals) // 2], totals[-1]],
                "goal_s": 15.0,
                "numpy_reduction_per_memory_s": numpy_s if label.startswith("random") else None,
                "load_before": load_before,
                "load_after": load_average(),
                "process_peak_rss_gb": peak_rss_gb(),
                "n_stable": done[0]["n_stable"],
                "max_eigenvalue": done[0]["max_eigenvalue"],
            }
        )
    return records


def bench_wide() -> dict:
    """N = 10^4, P = 800: all spectra at the designed memories, and the process's peak memory (goal < 4 GB).

    Run in a fresh interpreter (``--child wide``) so that the peak RSS is this benchmark's own.
    """
    load_before = load_average()
    start = time.perf_counter()
    network = design_quietly(random_patterns(10**4, 800, 0.2, seed=0))
    design_s = time.perf_counter() - start
    start = time.perf_counter()
    result = local_stability(network, at="ideal")
    seconds = time.perf_counter() - start
    return {
        "benchmark": "all-memory spectra N=10^4 P=800",
        "n_units": 10**4,
        "n_patterns": 800,
        "design_s": design_s,
        "local_stability_s": seconds,
        "process_peak_rss_gb": peak_rss_gb(),
        "goal_peak_rss_gb": 4.0,
        "n_stable": result.n_stable,
        "load_before": load_before,
        "load_after": load_average(),
    }


def dense_cell(patterns, rho: float, threshold: float) -> float:
    """Largest Jacobian eigenvalue over memories of one cell, by dense eigh (the reference)."""
    network = design(patterns, Sigmoid(rho, threshold), -0.3, 0.95)
    return max(float(spectrum[-1]) for spectrum in dense_spectra(network))


def bench_phase() -> dict:
    times = alternated({"closed_form_s": lambda: phase_diagram(),
                        "reduction_s": lambda: phase_diagram(method="reduction")}, rounds=3)
    ds, reduced = phase_diagram(), phase_diagram(method="reduction")
    patterns = equal_overlap_patterns(1000, 0.2)
    rng = np.random.default_rng(0)
    sample = [(int(i), int(j)) for i, j in zip(rng.integers(0, 30, 4), rng.integers(0, 30, 4))]
    start = time.perf_counter()
    dense_values = [dense_cell(patterns, float(ds.rho[i]), float(ds.threshold[j])) for i, j in sample]
    per_cell = (time.perf_counter() - start) / len(sample)
    difference = max(abs(value - float(ds["max_eigenvalue"][i, j])) for value, (i, j) in zip(dense_values, sample))
    n_cells = ds["max_eigenvalue"].size
    return {
        "benchmark": "phase diagram 30x30",
        "n_units": 1000,
        "n_cells": n_cells,
        **times,
        "closed_form_per_cell_s": times["closed_form_s"][0] / n_cells,
        "reduction_per_cell_s": times["reduction_s"][0] / n_cells,
        "dense_cells_timed": len(sample),
        "dense_per_cell_s": per_cell,
        "per_cell_ratio_reduction": per_cell / (times["reduction_s"][0] / n_cells),
        "max_abs_difference_sampled": difference,
        "routes_max_abs_difference": float(np.nanmax(np.abs(ds["max_eigenvalue"] - reduced["max_eigenvalue"]))),
        "load_average": load_average(),
    }


def main() -> None:
    r = bench_spectra()
    print(
        f"(a) N=2000 P=20, one memory: jacobian_spectrum {spread(r['public_jacobian_spectrum_s'])}, numpy "
        f"reduction {spread(r['numpy_reduction_s'])} (overhead {r['overhead_ratio_min']:.2f}x min, "
        f"{r['overhead_ratio_median']:.2f}x median; target <= 2x; first call {r['public_first_call_s'] * 1e3:.3g} ms), "
        f"scipy eigsh {spread(r['scipy_eigsh_s'])}; all 20: "
        f"local_stability {spread(r['public_local_stability_s'])}, numpy loop {spread(r['numpy_reduction_all_s'])}, "
        f"dense eigh {r['dense_eigh_all_s']:.1f} s; load {r['load_before']} -> {r['load_after']}"
    )
    print(json.dumps(r))
    if "--skip-large" not in sys.argv:
        for r in bench_large():
            numpy_part = (f", numpy reduction {spread(r['numpy_reduction_per_memory_s'], 1, 's')} per memory"
                          if r["numpy_reduction_per_memory_s"] else "")
            print(
                f"(b) N=10^6 P=100 {r['case']} ({r['n_row_types']} row types), {r['rounds']} rounds: design "
                f"{spread(r['design_s'], 1, 's')} + local_stability {spread(r['local_stability_s'], 1, 's')} = "
                f"{spread(r['design_plus_spectra_s'], 1, 's')} (target < 15 s){numpy_part}; process peak RSS "
                f"{r['process_peak_rss_gb']:.2f} GB; {r['n_stable']}/100 stable; load {r['load_before']} -> {r['load_after']}"
            )
            print(json.dumps(r))
        out = subprocess.run([sys.executable, __file__, "--child", "wide"], check=True, capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"(b') N=10^4 P=800: design {r['design_s']:.1f} s + local_stability {r['local_stability_s']:.1f} s, "
            f"process peak RSS {r['process_peak_rss_gb']:.2f} GB (goal < 4 GB); load {r['load_before']} -> {r['load_after']}"
        )
        print(json.dumps(r))
    r = bench_phase()
    print(
        f"(c) 30x30 phase diagram: closed form {spread(r['closed_form_s'])}, batched reduction "
        f"{spread(r['reduction_s'])}; per cell: reduction {r['reduction_per_cell_s'] * 1e3:.3f} ms vs dense eigh "
        f"{r['dense_per_cell_s']:.2f} s ({r['dense_cells_timed']} cells) -> {r['per_cell_ratio_reduction']:.0f}x; "
        f"max |diff| {r['max_abs_difference_sampled']:.1e}; load {r['load_average']}"
    )
    print(json.dumps(r))


if __name__ == "__main__":
    if sys.argv[1:3] == ["--child", "wide"]:
        print(json.dumps(bench_wide()))
    else:
        main()
