"""Capacity sweeps: ``capacity`` in-process vs on a LocalCluster of processes or threads.

Run: ``python benchmarks/bench_capacity_sweep.py [TRIALS ...]`` (default ``1 4``; about five minutes
on two cores). The sweep is the demo's capacity step (N = 500, q = 0.2, loads 0.01 ... 0.12, seed 6)
with TRIALS pattern sets per load. Each mode runs in a fresh interpreter (as the command line
would), best of two, cluster start and shutdown included:

- ``serial``: :func:`~assocrate.sweeps.capacity` (``scheduler="synchronous"``, the default);
- ``processes``: ``capacity(scheduler="local")`` (one single-threaded worker process per core);
- ``threads``: ``capacity`` on ``LocalCluster(processes=False)``, one worker with a thread per core.

Prints one line per measurement (seconds, the 1-minute load average before and after: the machine
is shared) and whether each sweep's Dataset is identical to the serial numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

LOADS = [0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12]
MODES = ("serial", "processes", "threads")


def child(mode: str, trials: int) -> dict:
    import numpy as np

    from assocrate.cli.demo import DEMO_ACTIVATION, DEMO_ACTIVITY, DEMO_LEVELS
    from assocrate.sweeps import capacity

    args = (500, LOADS, DEMO_ACTIVITY, DEMO_ACTIVATION, DEMO_LEVELS["negative gamma"], trials, 6)
    start = time.perf_counter()
    if mode == "serial":
        curve = capacity(*args)
    elif mode == "processes":
        curve = capacity(*args, scheduler="local")
    else:
        from distributed import Client, LocalCluster

        workers = os.cpu_count() or 1
        cluster = LocalCluster(processes=False, n_workers=1, threads_per_worker=workers, dashboard_address=":0")
        with cluster, Client(cluster) as client:
            curve = capacity(*args, scheduler=client)
    seconds = time.perf_counter() - start
    numbers = [curve.success_rate.tolist(), np.nan_to_num(curve.max_eigenvalue, nan=9.0).tolist()]
    return {"mode": mode, "trials": trials, "seconds": round(seconds, 2), "numbers": numbers}


def _load() -> float:
    return os.getloadavg()[0]


def main(trial_counts: list[int]) -> None:
    for trials in trial_counts:
        best: dict[str, dict] = {}
        for _ in range(2):
            for mode in MODES:
                before = _load()
                out = subprocess.run([sys.executable, __file__, "--child", mode, str(trials)], check=True,
                                     capture_output=True, text=True).stdout
                record = {**json.loads(out.strip().splitlines()[-1]), "load_before": before, "load_after": _load()}
                if mode not in best or record["seconds"] < best[mode]["seconds"]:
                    best[mode] = record
        for mode in MODES:
            record = best[mode]
            identical = record["numbers"] == best["serial"]["numbers"]
            print(f"trials={trials} {len(LOADS) * trials:3d} cells  {mode:9s} {record['seconds']:7.2f} s  load "
                  f"{record['load_before']:.2f} -> {record['load_after']:.2f}  same numbers as serial: {identical}")
            summary = {key: value for key, value in record.items() if key != "numbers"}
            print(json.dumps({**summary, "identical": identical}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]))))
    else:
        main([int(value) for value in sys.argv[1:]] or [1, 4])
