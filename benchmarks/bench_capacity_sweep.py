"""Capacity sweeps: one dask worker process against two, and the sweep run in this process, alternated.

Run: ``python benchmarks/bench_capacity_sweep.py [ROUNDS]`` (default 2). The sweep is N = 800,
q = 0.2, loads 0.02 ... 0.12 (P = 16 ... 96, 6 loads) with 2 pattern sets per load (12 cells of
0.05-3 s, so the per-task overhead of dask, a few ms, is small), seed 6. Every round times, in
this order and in this process:

- ``workers=1``: ``capacity(scheduler=client)`` on ``sweep_client("local", 1)``: the LocalCluster
  of single-threaded worker processes that ``scheduler="local"`` starts, with one worker (the
  cluster's start and close included);
- ``workers=2``: the same with two worker processes (what ``scheduler="local"`` starts on 2 cores);
- ``synchronous``: ``capacity(scheduler="synchronous")``, the cells one by one in this process;

and, for the two cluster modes, the sweep alone: the time after the cluster is up and its workers
have imported assocrate (``client.run``): about 0.7-1 s of a 6-9 s total since the cells got 2x
faster (session 5). Measured (3 rounds, load 1.2 -> 1.3): workers=1 8.4/9.4/10.3 s, workers=2
5.2/5.8/6.2 s (1.60x min, 1.62x median), the sweep alone 7.6/8.6/9.3 s and 4.5/4.7/5.1 s (1.69x,
1.81x), synchronous 6.7/7.0/7.1 s; an earlier run (load 1.5): 1.50x min, 1.55x median whole.
With the tiled Euler-Maruyama step (session 6, two runs of 3 rounds, load 1.1-1.3): workers=2
4.66/5.04/5.05 and 4.74/4.82/4.85 s, workers=1 7.25/7.57/9.13 and 7.41/7.6/8.89 s: 1.56x min,
1.50x and 1.58x median whole, the sweep alone 1.66x min, 1.61x and 1.70x median. Session 7 (3
rounds, load 0.1 -> 1.0): workers=2 4.99/5.08/5.21 s, workers=1 7.87/7.93/11.1 s: 1.58x min and
1.56x median whole, the sweep alone 1.69x and 1.69x; the issue's capacity command on one worker
against two: 7 min 29 s against 4 min 10 s, 1.80x.

Prints one human-readable line and one JSON line: min/median/max seconds per mode, the speed-up of
two workers over one (min and median; whole and sweep alone), the 1-, 5- and 15-minute load averages before and after
(the machine is shared) and whether every mode gave the same numbers.
"""

from __future__ import annotations

import importlib
import json
import sys
import time

import numpy as np
from _timing import load_average, spread

LOADS = [0.02, 0.04, 0.06, 0.08, 0.1, 0.12]
N_UNITS, TRIALS, SEED = 800, 2, 6


def sweep(scheduler: object) -> list:
    from assocrate.cli.demo import DEMO_ACTIVATION, DEMO_ACTIVITY, DEMO_LEVELS
    from assocrate.sweeps import capacity

    curve = capacity(N_UNITS, LOADS, DEMO_ACTIVITY, DEMO_ACTIVATION, DEMO_LEVELS["negative gamma"], TRIALS, SEED,
                     scheduler=scheduler)
    return [curve.success_rate.tolist(), np.nan_to_num(curve.max_eigenvalue, nan=9.0).tolist()]


def on_cluster(workers: int, started: list[float]) -> list:
    """The sweep on a fresh cluster; appends to `started` the seconds until its workers had imported assocrate."""
    from assocrate.sweeps.capacity import sweep_client

    start = time.perf_counter()
    with sweep_client("local", workers) as client:  # the cluster capacity(scheduler="local") starts
        client.run(importlib.import_module, "assocrate.retrieval.capacity")
        started.append(time.perf_counter() - start)
        return sweep(client)


def main(rounds: int) -> None:
    startup: dict[str, list[float]] = {"workers=1": [], "workers=2": []}
    modes = {"workers=1": lambda: on_cluster(1, startup["workers=1"]),
             "workers=2": lambda: on_cluster(2, startup["workers=2"]), "synchronous": lambda: sweep("synchronous")}
    load_before = load_average()
    times: dict[str, list[float]] = {name: [] for name in modes}
    numbers: dict[str, list] = {}
    for _ in range(rounds):
        for name, run in modes.items():
            start = time.perf_counter()
            numbers[name] = run()
            times[name].append(time.perf_counter() - start)
    # the sweep itself, without starting the cluster (and its workers' imports)
    for name, started in startup.items():
        times[f"{name} sweep only"] = [total - begin for total, begin in zip(times[name], started, strict=True)]
    stats = {name: [min(values), float(np.median(values)), max(values)] for name, values in times.items()}
    record = {
        "benchmark": f"capacity sweep N={N_UNITS}, {len(LOADS)} loads x {TRIALS} trials",
        "cells": len(LOADS) * TRIALS,
        "rounds": rounds,
        **{f"{name}_s": values for name, values in stats.items()},
        "speedup_2_over_1_min": stats["workers=1"][0] / stats["workers=2"][0],
        "speedup_2_over_1_median": stats["workers=1"][1] / stats["workers=2"][1],
        "sweep_only_speedup_min": stats["workers=1 sweep only"][0] / stats["workers=2 sweep only"][0],
        "sweep_only_speedup_median": stats["workers=1 sweep only"][1] / stats["workers=2 sweep only"][1],
        "goal_speedup": 1.6,
        "identical_numbers": all(value == numbers["synchronous"] for value in numbers.values()),
        "load_before": load_before,
        "load_after": load_average(),
    }
    print(
        f"{record['benchmark']} ({record['cells']} cells), {rounds} alternated rounds: "
        + ", ".join(f"{name} {spread(values, 1, 's')}" for name, values in stats.items())
        + f"; 2 workers / 1: {record['speedup_2_over_1_min']:.2f}x (min), {record['speedup_2_over_1_median']:.2f}x "
        f"(median), the sweep alone {record['sweep_only_speedup_min']:.2f}x (min), "
        f"{record['sweep_only_speedup_median']:.2f}x (median), goal 1.6x; same numbers: {record['identical_numbers']}; "
        f"load {load_before} -> {record['load_after']}"
    )
    print(json.dumps(record))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
