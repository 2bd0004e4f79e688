"""Full retrieval runs with Euler–Maruyama at N = 10^5 (the step itself: ``bench_step.py``).

Run: ``python benchmarks/bench_dynamics.py [--quick]``. Prints a human-readable line and one JSON
line per run (``retrieval``): N = 10^5, P = 100, 32 cues, 1000 steps (t = 10, dt = 0.01),
deterministic and with noise sigma = 0.1, in float32 and in float64, each record with the
1-minute load average (other processes on a 2-core machine can double the times).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from assocrate.core.activations import Sigmoid
from assocrate.core.design import design
from assocrate.core.patterns import random_patterns
from assocrate.retrieval import make_cues, retrieve

ACTIVATION = Sigmoid(rho=4.8, threshold=0.2)


def network_for(n_units: int, n_patterns: int):
    return design(random_patterns(n_units, n_patterns, 0.2, seed=0), ACTIVATION, -0.3, 0.95, q=0.2, r=0.2)


def bench_retrieval(n_units: int, n_patterns: int, n_cues: int, n_steps: int, dtype, sigma: float) -> dict:
    network = network_for(n_units, n_patterns)
    cues = make_cues(network, "delete", 0.4, memories=np.arange(n_cues) % n_patterns, seed=1)
    start = time.perf_counter()
    result = retrieve(network, cues, t_max=n_steps * 0.01, dt=0.01, sigma=sigma, seed=2, dtype=dtype)
    seconds = time.perf_counter() - start
    return {
        "benchmark": "retrieval",
        "n_units": n_units,
        "n_patterns": n_patterns,
        "n_cues": n_cues,
        "n_steps": n_steps,
        "dtype": np.dtype(dtype).name,
        "sigma": sigma,
        "seconds": seconds,
        "per_step_ms": seconds / n_steps * 1e3,
        "success_rate": result.success_rate,
        "goal_s": 60.0,
        "load_average_1min": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test, not the goals)")
    args = parser.parse_args()
    run_size = (10000, 50, 32, 100) if args.quick else (10**5, 100, 32, 1000)
    for dtype, sigma in ((np.float32, 0.0), (np.float32, 0.1), (np.float64, 0.0), (np.float64, 0.1)):
        r = bench_retrieval(*run_size, dtype, sigma)
        print(
            f"retrieval N={r['n_units']} P={r['n_patterns']} B={r['n_cues']} {r['n_steps']} steps {r['dtype']} "
            f"sigma={r['sigma']:g}: {r['seconds']:.1f} s ({r['per_step_ms']:.1f} ms/step; goal < {r['goal_s']:.0f} s), "
            f"success {r['success_rate']:.0%}; load average {r['load_average_1min']:.1f}"
        )
        print(json.dumps(r))


if __name__ == "__main__":
    main()
