"""Local stability at scale: the public spectra against the strongest alternatives, in the same process.

Run: ``python benchmarks/bench_local.py [--skip-large]``. Prints a human-readable line and one JSON
line per benchmark; every timing is min/median/max over alternated rounds, next to the load average:

(a) N = 2000, P = 20 random patterns, one memory at a time: the public
    ``jacobian_spectrum(net, mu, at="ideal")`` against a plain numpy (P+1) x (P+1) reduction
    (``G = U^T D U``, ``eigvals(C G)``; the per-call overhead target is <= 2x) and scipy ``eigsh`` on
    a ``LinearOperator`` for ``D^1/2 U C U^T D^1/2`` (its P+1 largest-magnitude eigenvalues); all
    memories: ``local_stability`` against the numpy reduction in a loop and dense ``eigh`` of
    ``D^1/2 W D^1/2`` for every memory (dense fits at this N);
(b) N = 10^6, P = 100: design + ``local_stability`` (random patterns at the designed memories; an
    exact design at the equilibria), time and peak memory, against the numpy reduction on the
    first memories (per memory; target: design + all spectra < 15 s);
(c) the 30 x 30 phase diagram (N = 1000, q = 0.2, equal-overlap): closed form and batched reduction,
    and per cell against dense ``eigh`` on sampled cells (the dense time is per cell, not extrapolated).

BLAS threads are the library's own policy (:mod:`assocrate.core.threads`); the numpy references
run under the same policy (one BLAS thread for their (P+1) x (P+1) work).
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
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


def bench_large() -> list[dict]:
    records = []
    cases = (
        ("random, at the designed memories", lambda: random_patterns(10**6, 100, 0.2, seed=0), "ideal"),
        ("correlated (exact design), at the equilibria", lambda: correlated_patterns(10**6, 100, 0.01, 0.2, seed=0),
         "equilibrium"),
    )
    for label, make, at in cases:
        load_before = load_average()
        start = time.perf_counter()
        network = design_quietly(make())
        design_s = time.perf_counter() - start
        tracemalloc.start()
        start = time.perf_counter()
        result = local_stability(network, at=at)
        seconds = time.perf_counter() - start
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        numpy_s = alternated({"numpy": lambda net=network: numpy_reduction(net, 0)}, rounds=2)["numpy"] if at == "ideal" else None
        records.append(
            {
                "benchmark": "all-memory spectra at N = 10^6",
                "case": label,
                "n_units": network.n_units,
                "n_patterns": network.n_patterns,
                "n_row_types": network.row_types.n_types,
                "design_s": design_s,
                "local_stability_s": seconds,
                "design_plus_spectra_s": design_s + seconds,
                "goal_s": 15.0,
                "numpy_reduction_per_memory_s": numpy_s,
                "load_before": load_before,
                "load_after": load_average(),
                "traced_peak_gb": traced_peak / 1e9,
                "process_peak_rss_gb": peak_rss_gb(),
                "n_stable": result.n_stable,
                "max_eigenvalue": float(result.max_eigenvalues.max()),
            }
        )
        del network, result
    return records


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
        f"{r['overhead_ratio_median']:.2f}x median; target <= 2x), scipy eigsh {spread(r['scipy_eigsh_s'])}; all 20: "
        f"local_stability {spread(r['public_local_stability_s'])}, numpy loop {spread(r['numpy_reduction_all_s'])}, "
        f"dense eigh {r['dense_eigh_all_s']:.1f} s; load {r['load_before']} -> {r['load_after']}"
    )
    print(json.dumps(r))
    if "--skip-large" not in sys.argv:
        for r in bench_large():
            numpy_part = (f", numpy reduction {spread(r['numpy_reduction_per_memory_s'], 1, 's')} per memory"
                          if r["numpy_reduction_per_memory_s"] else "")
            print(
                f"(b) N=10^6 P=100 {r['case']} ({r['n_row_types']} row types): design {r['design_s']:.1f} s + "
                f"local_stability {r['local_stability_s']:.1f} s = {r['design_plus_spectra_s']:.1f} s (target < 15 s)"
                f"{numpy_part}; traced peak {r['traced_peak_gb']:.2f} GB, process peak RSS "
                f"{r['process_peak_rss_gb']:.2f} GB; {r['n_stable']}/100 stable; load {r['load_before']} -> {r['load_after']}"
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
    main()
