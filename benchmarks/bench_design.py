"""Design time and mat-vec time: low-rank MemoryNetwork against a dense W built in the same run.

Run: ``python benchmarks/bench_design.py``. Prints a human-readable line and one JSON line per
benchmark. Dense W is built only where it fits (N <= 20000: 3.2 GB in float64). Building dense W
is not an alternative way to design (the design rule is the same), so its time is reported, not
divided into the design time.
"""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
from _timing import alternated, best_of, load_average, peak_rss_gb, spread

from assocrate.core.activations import Sigmoid
from assocrate.core.design import design
from assocrate.core.patterns import random_patterns, row_types

ACTIVATION = Sigmoid(rho=4.8, threshold=0.2)




def design_quietly(patterns):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return design(patterns, ACTIVATION, -0.3, 0.95)




def bench(n_units: int, n_patterns: int, *, dense: bool, repeats: int) -> dict:
    patterns = random_patterns(n_units, n_patterns, 0.2, seed=0)
    design_seconds = best_of(lambda: design_quietly(patterns), 1 if n_units > 10**5 else repeats)
    network = design_quietly(patterns)
    x = np.random.default_rng(1).random(n_units)
    matvec_seconds = best_of(lambda: network.weights_matvec(x), repeats)
    record = {
        "benchmark": "design",
        "n_units": n_units,
        "n_patterns": n_patterns,
        "design_s": design_seconds,
        "lowrank_matvec_s": matvec_seconds,
    }
    if dense:
        start = time.perf_counter()
        W = network.dense_weights()
        record["dense_build_s"] = time.perf_counter() - start
        record["dense_matvec_s"] = best_of(lambda: W @ x, repeats)
        record["max_abs_difference"] = float(np.max(np.abs(W @ x - network.weights_matvec(x))))
        record["matvec_ratio"] = record["dense_matvec_s"] / matvec_seconds
        del W
    record["peak_rss_gb"] = peak_rss_gb()
    record["load_average"] = load_average()
    return record


def void_row_types(xi: np.ndarray):
    """The previous route (the alternative): np.unique over rows packed into void byte strings."""
    packed = np.packbits(xi, axis=1)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    return np.unique(keys, return_index=True, return_inverse=True, return_counts=True)


def bench_row_types(n_units: int, n_patterns: int) -> dict:
    """``row_types`` (packed uint64 keys) against np.unique on void-dtype rows, alternated."""
    xi = np.asarray(random_patterns(n_units, n_patterns, 0.2, seed=0))
    record = {"benchmark": "row_types", "n_units": n_units, "n_patterns": n_patterns, "load_before": load_average()}
    record.update(alternated({"row_types_s": lambda: row_types(xi), "void_unique_s": lambda: void_row_types(xi)},
                             rounds=5))
    _, first, index, counts = void_row_types(xi)
    types = row_types(xi)
    record["identical"] = bool(np.array_equal(types.index, index) and np.array_equal(types.counts, counts))
    record["speedup_min"] = record["void_unique_s"][0] / record["row_types_s"][0]
    record["load_after"] = load_average()
    return record


def main() -> None:
    for n_units, n_patterns, dense in ((2000, 20, True), (20000, 50, True), (10**6, 100, False)):
        record = bench(n_units, n_patterns, dense=dense, repeats=5)
        line = (
            f"N={n_units:>7} P={n_patterns:>3}: design {record['design_s'] * 1e3:9.1f} ms, "
            f"low-rank mat-vec {record['lowrank_matvec_s'] * 1e3:8.3f} ms"
        )
        if dense:
            line += (
                f"; dense build {record['dense_build_s'] * 1e3:8.1f} ms, dense mat-vec "
                f"{record['dense_matvec_s'] * 1e3:8.3f} ms -> mat-vec ratio {record['matvec_ratio']:.0f}x, "
                f"max |diff| {record['max_abs_difference']:.1e}"
            )
        line += f"; load {record['load_average']}"
        print(line)
        print(json.dumps(record))
    for n_patterns in (20, 100):
        r = bench_row_types(10**6, n_patterns)
        print(f"row_types N=10^6 P={n_patterns}: {spread(r['row_types_s'])} vs void-dtype np.unique "
              f"{spread(r['void_unique_s'])} -> {r['speedup_min']:.1f}x (min), identical {r['identical']}; "
              f"load {r['load_before']} -> {r['load_after']}")
        print(json.dumps(r))


if __name__ == "__main__":
    main()
