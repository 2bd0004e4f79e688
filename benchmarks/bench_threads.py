"""One BLAS thread against all of them, product shape by product shape (the data of assocrate.dynamics.threads).

Run: ``python benchmarks/bench_threads.py [--quick]``. For each product the package makes, at
several shapes, the same call is timed with one BLAS thread and with the default (one per core),
in alternating rounds; each record gives min/median/max of both, their ratio of minima, the
product's flop count and the 1-minute load average before and after. The products:

- ``skinny``: ``U^T X`` with U (N, m), X (N, B) — the first half of every low-rank mat-vec;
- ``expand``: ``U Z`` with U (N, m), Z (m, B) — the second half;
- ``gram``: ``U_b^T (d_b U_b)`` over row blocks of 32768 — the Gram matrices of spectra and Newton;
- ``eigh``: :func:`scipy.linalg.eigh` of an m x m symmetric matrix — the reduced spectra;
- ``solve``: :func:`numpy.linalg.solve` of an m x m system — the Woodbury step of Newton.

On a busy machine a second BLAS thread competes with other processes, so these numbers say what
the threads buy on *this* machine at *this* load; the threshold in ``threads.py`` is the one the
rows below support on 2 shared cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_limits

from assocrate.core.lowrank import weighted_gram


def alternate(functions: dict, rounds: int, calls: int) -> dict:
    """Per name: the times of `calls` calls per round, rounds alternating between the names."""
    times = {name: [] for name in functions}
    for _ in range(rounds):
        for name, (function, limit) in functions.items():
            with threadpool_limits(limit, user_api="blas"):
                function()  # warm (and let the pool wake up)
                for _ in range(calls):
                    start = time.perf_counter()
                    function()
                    times[name].append(time.perf_counter() - start)
    return times


def shape_record(product: str, shape: dict, flops: float, function, rounds: int, calls: int) -> dict:
    load_before = os.getloadavg()[0]
    times = alternate({"one": (function, 1), "all": (function, None)}, rounds, calls)
    record = {"benchmark": "blas_threads", "product": product, **shape, "flops": flops,
              "load_average_1min": [load_before, os.getloadavg()[0]], "cpu_count": os.cpu_count()}
    for name, values in times.items():
        record[f"{name}_thread_s"] = [min(values), statistics.median(values), max(values)]
    record["one_over_all_min"] = record["one_thread_s"][0] / record["all_thread_s"][0]
    record["one_over_all_median"] = record["one_thread_s"][1] / record["all_thread_s"][1]
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer shapes and rounds (a smoke test)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rounds, calls = (2, 2) if args.quick else (3, 3)
    sizes = (10**3, 10**5) if args.quick else (10**3, 10**4, 10**5, 4 * 10**5)
    records = _Printer()
    for m in (21, 101, 201) if args.quick else (21, 51, 101, 201, 401, 801):
        A = rng.random((m, m))
        A = A + A.T
        b = rng.random(m)
        records.append(shape_record("eigh", {"m": m}, 9.0 * m**3, lambda: scipy.linalg.eigh(A), rounds, calls))
        records.append(shape_record("solve", {"m": m}, 2.0 * m**3 / 3, lambda: np.linalg.solve(A, b), rounds, calls))

    for n_units in sizes:
        for m in (21, 101):
            U = rng.random((n_units, m))
            for batch in (1, 32):
                X = rng.random((n_units, batch))
                Z = rng.random((m, batch))
                shape = {"n_units": n_units, "m": m, "batch": batch}
                records.append(shape_record("skinny", shape, 2.0 * n_units * m * batch, lambda: U.T @ X, rounds, calls))
                records.append(shape_record("expand", shape, 2.0 * n_units * m * batch, lambda: U @ Z, rounds, calls))
            d = rng.random(n_units)
            records.append(shape_record("gram", {"n_units": n_units, "m": m}, 2.0 * n_units * m * m,
                                        lambda: weighted_gram(U, d), rounds, calls))

class _Printer(list):
    """Prints each record as it is appended (a long run shows its progress)."""

    def append(self, r: dict) -> None:
        shape = ", ".join(f"{k}={r[k]}" for k in ("n_units", "m", "batch") if k in r)
        print(f"{r['product']:6s} {shape:32s} {r['flops']:9.2e} flops: one thread "
              f"{r['one_thread_s'][0] * 1e3:8.3f}/{r['one_thread_s'][1] * 1e3:8.3f}/{r['one_thread_s'][2] * 1e3:8.3f} ms, "
              f"all {r['all_thread_s'][0] * 1e3:8.3f}/{r['all_thread_s'][1] * 1e3:8.3f}/{r['all_thread_s'][2] * 1e3:8.3f} ms "
              f"(min/median/max) -> one/all {r['one_over_all_min']:.2f} (median {r['one_over_all_median']:.2f}); "
              f"load {r['load_average_1min'][0]:.1f}-{r['load_average_1min'][1]:.1f}", flush=True)
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
