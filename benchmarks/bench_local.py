"""Local stability at scale: reduced spectra against dense eigh, N = 10^6, and the phase diagram.

Run: ``python benchmarks/bench_local.py`` (about two minutes on two cores). Prints a human-readable
line and one JSON line per benchmark:

(a) all-memory Jacobian spectra, reduction (``local_stability``) vs dense ``eigh`` of
    ``D^{1/2} W D^{1/2} - I`` for every memory, N = 2000, P = 20 random patterns, same run;
(b) N = 10^6, P = 100: time and peak memory of all 100 spectra (random patterns, at the designed
    memories) and of an exact design (correlated patterns, at the equilibria);
(c) the 30 x 30 phase diagram (N = 1000, q = 0.2, equal-overlap) vs a dense per-cell reference run
    on a subsample of cells in the same run; the dense time for all cells is extrapolated from
    the subsample (and said so).

Pass ``--skip-large`` to leave out (b).
"""

from __future__ import annotations

import os

# One BLAS thread unless the caller chose otherwise: on a shared two-core machine OpenBLAS threads
# oversubscribe, and a 101 x 101 eigh then takes ~100x longer than single-threaded. Set before numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from _timing import best_of_with_result as best_of  # noqa: E402
from _timing import peak_rss_gb

from assocrate.core.activations import Sigmoid  # noqa: E402
from assocrate.core.design import design  # noqa: E402
from assocrate.core.patterns import correlated_patterns, equal_overlap_patterns, random_patterns  # noqa: E402
from assocrate.stability import local_stability  # noqa: E402
from assocrate.sweeps import phase_diagram  # noqa: E402

ACTIVATION = Sigmoid(rho=4.8, threshold=0.2)


def design_quietly(patterns, activation=ACTIVATION, a=-0.3, b=0.95):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return design(patterns, activation, a, b)






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
    reduced_s, result = best_of(lambda: local_stability(network, at="ideal"), 5)
    dense_s, dense = best_of(lambda: dense_spectra(network), 1)
    difference = max(
        float(np.max(np.abs(np.sort(d) - m.spectrum.spectrum.dense()))) for d, m in zip(dense, result.memories)
    )
    return {
        "benchmark": "all-memory spectra",
        "n_units": 2000,
        "n_patterns": 20,
        "reduction_s": reduced_s,
        "dense_eigh_s": dense_s,
        "ratio": dense_s / reduced_s,
        "max_abs_difference": difference,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
    }


def bench_large() -> list[dict]:
    records = []
    cases = (
        ("random, at the designed memories", lambda: random_patterns(10**6, 100, 0.2, seed=0), "ideal"),
        ("correlated (exact design), at the equilibria", lambda: correlated_patterns(10**6, 100, 0.01, 0.2, seed=0),
         "equilibrium"),
    )
    for label, make, at in cases:
        start = time.perf_counter()
        network = design_quietly(make())
        design_s = time.perf_counter() - start
        tracemalloc.start()
        start = time.perf_counter()
        result = local_stability(network, at=at)
        seconds = time.perf_counter() - start
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        records.append(
            {
                "benchmark": "all-memory spectra at N = 10^6",
                "case": label,
                "n_units": network.n_units,
                "n_patterns": network.n_patterns,
                "n_row_types": network.row_types.n_types,
                "design_s": design_s,
                "local_stability_s": seconds,
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
    fast_s, ds = best_of(lambda: phase_diagram(), 20)
    reduction_s, reduced = best_of(lambda: phase_diagram(method="reduction"), 5)
    patterns = equal_overlap_patterns(1000, 0.2)
    rng = np.random.default_rng(0)
    sample = [(int(i), int(j)) for i, j in zip(rng.integers(0, 30, 6), rng.integers(0, 30, 6))]
    start = time.perf_counter()
    dense_values = [dense_cell(patterns, float(ds.rho[i]), float(ds.threshold[j])) for i, j in sample]
    per_cell = (time.perf_counter() - start) / len(sample)
    difference = max(
        abs(value - float(ds["max_eigenvalue"][i, j])) for value, (i, j) in zip(dense_values, sample)
    )
    n_cells = ds["max_eigenvalue"].size
    return {
        "benchmark": "phase diagram 30x30",
        "n_units": 1000,
        "n_cells": n_cells,
        "closed_form_s": fast_s,
        "reduction_s": reduction_s,
        "dense_cells_sampled": len(sample),
        "dense_per_cell_s": per_cell,
        "dense_all_cells_s_extrapolated": per_cell * n_cells,
        "ratio_closed_form": per_cell * n_cells / fast_s,
        "ratio_reduction": per_cell * n_cells / reduction_s,
        "max_abs_difference_sampled": difference,
        "routes_max_abs_difference": float(np.nanmax(np.abs(ds["max_eigenvalue"] - reduced["max_eigenvalue"]))),
    }


def main() -> None:
    record = bench_spectra()
    print(
        f"(a) N=2000 P=20 all-memory spectra: reduction {record['reduction_s'] * 1e3:.1f} ms, dense eigh "
        f"{record['dense_eigh_s']:.1f} s -> {record['ratio']:.0f}x, max |diff| {record['max_abs_difference']:.1e}"
    )
    print(json.dumps(record))
    if "--skip-large" not in sys.argv:
        for record in bench_large():
            print(
                f"(b) N=10^6 P=100 {record['case']} ({record['n_row_types']} row types): design "
                f"{record['design_s']:.1f} s, local_stability {record['local_stability_s']:.1f} s, traced peak "
                f"{record['traced_peak_gb']:.2f} GB, process peak RSS {record['process_peak_rss_gb']:.2f} GB; "
                f"{record['n_stable']}/100 stable"
            )
            print(json.dumps(record))
    record = bench_phase()
    print(
        f"(c) 30x30 phase diagram: closed form {record['closed_form_s'] * 1e3:.2f} ms, batched reduction "
        f"{record['reduction_s'] * 1e3:.1f} ms; dense reference {record['dense_per_cell_s']:.2f} s/cell on "
        f"{record['dense_cells_sampled']} sampled cells, extrapolated to {record['n_cells']} cells: "
        f"{record['dense_all_cells_s_extrapolated']:.0f} s -> {record['ratio_closed_form']:.0f}x "
        f"({record['ratio_reduction']:.0f}x for the reduction); max |diff| {record['max_abs_difference_sampled']:.1e}"
    )
    print(json.dumps(record))


if __name__ == "__main__":
    main()
