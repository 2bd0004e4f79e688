"""Euler–Maruyama through the low-rank factors against a dense W built in the same run.

Run: ``python benchmarks/bench_dynamics.py [--quick]``. Prints a human-readable line and one JSON
line per benchmark:

- ``em_step``: one Euler–Maruyama step (mat-vec, phi, update, noise, reflection) for N = 20000,
  P = 50, 32 cues, low-rank vs the same step with a dense ``W @ X``; the time split into mat-vec,
  phi and noise (one thread, block by block; noise also with numpy's own normal generator for
  comparison); achieved GFLOP/s of the low-rank mat-vec (4 N (P+1) B flops, the public
  ``weights_matvec``) against two numpy GEMMs timed in the same run: the dense ``W @ X``
  (2 N^2 B flops) and a square 2048^3 GEMM; and the same step ratio on one core (one thread,
  one BLAS thread, for both), which does not depend on how much of a second core the machine lends.
- ``retrieval``: a full retrieval run at N = 10^5, P = 100, 32 cues, 1000 steps (t = 10, dt = 0.01):
  deterministic and with noise sigma = 0.1, in float32 and in float64.

Times are the best of several repeats (the least noisy estimate on a shared machine); the step's
low-rank and dense timings are taken in alternating rounds and each kept as its minimum, so a burst
of load from another process spoils one round, not the ratio. Each record
carries the 1-minute load average, since other processes on a 2-core machine can double the times.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from _timing import alternated, best_of, load_average, spread

from assocrate import dynamics
from assocrate.core.activations import Sigmoid
from assocrate.core.design import design
from assocrate.core.patterns import random_patterns
from assocrate.dynamics import fields, sde, threads
from assocrate.dynamics._gaussian import fill_standard_normal
from assocrate.retrieval import make_cues, retrieve

ACTIVATION = Sigmoid(rho=4.8, threshold=0.2)




def network_for(n_units: int, n_patterns: int):
    return design(random_patterns(n_units, n_patterns, 0.2, seed=0), ACTIVATION, -0.3, 0.95, q=0.2, r=0.2)


def kernel_for(network, X, *, sigma: float, matvec=None, workers=None):
    """The Euler–Maruyama step object of assocrate.dynamics (optionally with a dense mat-vec, or on one core)."""
    source = fields.InputSource(None, network.n_units, X.shape[1], X.dtype)
    generators = sde._noise_generators(0, sde._block_count(*X.shape))
    return sde._Kernel(
        network, X, form="rate", dt=0.01, sigma=sigma, boundary="reflect", source=source, generators=generators,
        matvec=matvec, workers=workers,
    )


def bench_em_step(n_units: int, n_patterns: int, n_cues: int, dtype, repeats: int) -> dict:
    network = network_for(n_units, n_patterns)
    X0 = np.ascontiguousarray(0.7 * network.memory_rates()[:, np.arange(n_cues) % n_patterns], dtype=dtype)
    m = n_patterns + 1
    record = {"benchmark": "em_step", "n_units": n_units, "n_patterns": n_patterns, "n_cues": n_cues,
              "dtype": np.dtype(dtype).name, "cpu_count": os.cpu_count(), "load_average_1min": os.getloadavg()[0]}

    X = X0.copy()
    lowrank = kernel_for(network, X, sigma=0.1)
    deterministic = kernel_for(network, X.copy(), sigma=0.0)
    H = lowrank.H
    generator = lowrank.generators[0]
    blocks = [H[rows] for rows in lowrank.blocks]  # one thread, block by block as in the step
    timed = {
        "lowrank_step_s": lambda: lowrank.step(0.0, measure=False),
        "lowrank_step_nonoise_s": lambda: deterministic.step(0.0, measure=False),
        "phi_s": lambda: fields._sigmoid_core(H),
        "noise_s": lambda: [fill_standard_normal(generator, block) for block in blocks],
        "numpy_standard_normal_s": lambda: [generator.standard_normal(out=block, dtype=H.dtype) for block in blocks],
    }

    def time_lowrank() -> None:
        """Best of `repeats` for each, kept as the minimum over the calls spread through the benchmark."""
        with threads.single_threaded_blas():  # as in euler_maruyama: the kernel threads by row blocks
            for name, function in timed.items():
                record[name] = min(record.get(name, np.inf), best_of(function, repeats))

    time_lowrank()
    record["lowrank_matvec_s"] = best_of(lambda: network.weights_matvec(X), repeats)  # the public product, BLAS threads

    # the public entry point, per step (difference of 1 and 1 + k steps removes the set-up cost)
    k = 10
    one = best_of(lambda: dynamics.euler_maruyama(network, X0, 0.01, 1, sigma=0.1, seed=0, dtype=dtype), 3)
    many = best_of(lambda: dynamics.euler_maruyama(network, X0, 0.01, 1 + k, sigma=0.1, seed=0, dtype=dtype), 3)
    record["euler_maruyama_per_step_s"] = (many - one) / k

    W = network.dense_weights().astype(dtype)
    dense = kernel_for(network, X0.copy(), sigma=0.1, matvec=lambda Y: W @ Y)
    dense_deterministic = kernel_for(network, X0.copy(), sigma=0.0, matvec=lambda Y: W @ Y)
    timed_dense = {
        "dense_step_s": lambda: dense.step(0.0, measure=False),
        "dense_step_nonoise_s": lambda: dense_deterministic.step(0.0, measure=False),
        "dense_matvec_s": lambda: W @ X0,
    }

    def time_dense() -> None:
        for name, function in timed_dense.items():
            record[name] = min(record.get(name, np.inf), best_of(function, max(2, repeats // 5)))

    # low-rank and dense timings alternate, each kept as its minimum: a burst of load from other
    # processes spoils one round of either, not the ratio
    time_dense()
    time_lowrank()
    time_dense()
    record["max_abs_matvec_difference"] = float(np.max(np.abs(W @ X0 - network.weights_matvec(X0))))
    for kernel in (lowrank, deterministic, dense, dense_deterministic):
        kernel.close()
    # the same step on one core (no worker threads, one BLAS thread): a ratio that does not depend
    # on how much of the second core a shared machine lends
    one_core = {}
    with threads.single_threaded_blas():
        for name, matvec in (("lowrank", None), ("dense", lambda Y: W @ Y)):
            kernel = kernel_for(network, X0.copy(), sigma=0.1, matvec=matvec, workers=1)
            one_core[name] = best_of(lambda: kernel.step(0.0, measure=False), repeats if matvec is None else 2)
            kernel.close()
    record["one_core_lowrank_step_s"], record["one_core_dense_step_s"] = one_core["lowrank"], one_core["dense"]
    record["one_core_step_ratio"] = one_core["dense"] / one_core["lowrank"]
    W = None  # free the N x N matrix before the square GEMM

    square = np.random.default_rng(0).random((2048, 2048)).astype(dtype)
    record["square_gemm_s"] = best_of(lambda: square @ square, 3)
    lowrank_flops = 4 * n_units * m * n_cues
    record["lowrank_matvec_gflops"] = lowrank_flops / record["lowrank_matvec_s"] / 1e9
    record["lowrank_step_gflops"] = lowrank_flops / record["lowrank_step_s"] / 1e9
    record["dense_gemm_gflops"] = 2 * n_units**2 * n_cues / record["dense_matvec_s"] / 1e9
    record["square_gemm_gflops"] = 2 * 2048**3 / record["square_gemm_s"] / 1e9
    record["step_ratio"] = record["dense_step_s"] / record["lowrank_step_s"]
    record["step_ratio_nonoise"] = record["dense_step_nonoise_s"] / record["lowrank_step_nonoise_s"]
    record["matvec_ratio"] = record["dense_matvec_s"] / record["lowrank_matvec_s"]
    record["matvec_fraction_of_dense_gemm"] = record["lowrank_matvec_gflops"] / record["dense_gemm_gflops"]
    record["matvec_fraction_of_square_gemm"] = record["lowrank_matvec_gflops"] / record["square_gemm_gflops"]
    return record


def plain_numpy_steps(network, X0, n_steps: int, *, sigma: float, dt: float = 0.01, seed: int = 0) -> np.ndarray:
    """The strongest plain alternative: a numpy low-rank Euler–Maruyama loop on one BLAS thread."""
    U, c = network.U, network.c[:, None]
    phi = network.activation.phi
    rng = np.random.default_rng(seed)
    X = X0.copy()
    rate, noise = dt / network.tau, sigma * np.sqrt(dt)
    with threads.single_threaded_blas():
        for _ in range(n_steps):
            H = phi(U @ (c * (U.T @ X)))
            H -= X
            X += rate * H
            X += noise * rng.standard_normal(X.shape)
            np.abs(X, out=X)
            np.minimum(X, 2.0 - X, out=X)
    return X


def bench_step_roofline(n_units: int, n_patterns: int, n_cues: int, rounds: int) -> dict:
    """The public step per step against the plain numpy loop and the machine's roofline, same run."""
    network = network_for(n_units, n_patterns)
    X0 = np.ascontiguousarray(0.7 * network.memory_rates()[:, np.arange(n_cues) % n_patterns])
    m, k = n_patterns + 1, 4
    load_before = load_average()

    def public(n_steps):
        return lambda: dynamics.euler_maruyama(network, X0, 0.01, n_steps, sigma=0.1, seed=0, boundary="reflect")

    times = alternated({"public_1": public(1), "public_k": public(1 + k),
                        "numpy_1": lambda: plain_numpy_steps(network, X0, 1, sigma=0.1),
                        "numpy_k": lambda: plain_numpy_steps(network, X0, 1 + k, sigma=0.1)}, rounds=rounds)
    # per step from the min, median and max of (1 + k) and 1 steps: a range, sorted (not a distribution)
    per_step = {name: sorted((times[f"{name}_k"][i] - times[f"{name}_1"][i]) / k for i in range(3))
                for name in ("public", "numpy")}
    # the roofline, measured now: streaming bandwidth (a + b -> c over 3 x 80 MB) and square-GEMM peak
    big = [np.ones(10**7) for _ in range(3)]
    stream = alternated({"stream": lambda: np.add(big[0], big[1], out=big[2])}, rounds=5)["stream"]
    bandwidth = 3 * big[0].nbytes / stream[0]
    square = np.random.default_rng(0).random((2048, 2048))
    gemm = alternated({"gemm": lambda: square @ square}, rounds=3)["gemm"]
    peak = 2 * 2048**3 / gemm[0]
    flops = 4 * n_units * m * n_cues
    traffic = 8 * (2 * n_units * m + 3 * n_units * n_cues)  # U read twice; X read twice, written once
    roofline_s = max(flops / peak, traffic / bandwidth)
    return {
        "benchmark": "em_step_roofline", "n_units": n_units, "n_patterns": n_patterns, "n_cues": n_cues,
        "dtype": "float64", "public_per_step_s": per_step["public"], "numpy_per_step_s": per_step["numpy"],
        "stream_bandwidth_gb_s": bandwidth / 1e9, "square_gemm_gflops": peak / 1e9, "step_flops": flops,
        "step_min_bytes": traffic, "roofline_step_s": roofline_s,
        "fraction_of_roofline": roofline_s / per_step["public"][0],
        "fraction_of_roofline_median": roofline_s / per_step["public"][1],
        "numpy_over_public_min": per_step["numpy"][0] / per_step["public"][0], "goal_fraction": 0.5,
        "load_before": load_before, "load_after": load_average(),
    }


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
    step_size = (2000, 20, 32) if args.quick else (20000, 50, 32)
    run_size = (10000, 50, 32, 100) if args.quick else (10**5, 100, 32, 1000)
    for dtype in (np.float64, np.float32):
        r = bench_em_step(*step_size, dtype, repeats=20)
        print(
            f"EM step N={r['n_units']} P={r['n_patterns']} B={r['n_cues']} {r['dtype']}: low-rank "
            f"{r['lowrank_step_s'] * 1e3:.2f} ms (mat-vec {r['lowrank_matvec_s'] * 1e3:.2f}, phi "
            f"{r['phi_s'] * 1e3:.2f}, noise {r['noise_s'] * 1e3:.2f}; no noise {r['lowrank_step_nonoise_s'] * 1e3:.2f}; "
            f"via euler_maruyama {r['euler_maruyama_per_step_s'] * 1e3:.2f}) vs dense {r['dense_step_s'] * 1e3:.1f} ms "
            f"-> step ratio {r['step_ratio']:.0f}x ({r['step_ratio_nonoise']:.0f}x without noise), mat-vec ratio {r['matvec_ratio']:.0f}x; low-rank mat-vec "
            f"{r['lowrank_matvec_gflops']:.1f} GFLOP/s = {r['matvec_fraction_of_dense_gemm']:.0%} of the dense GEMM "
            f"({r['dense_gemm_gflops']:.1f}) and {r['matvec_fraction_of_square_gemm']:.0%} of a 2048^3 GEMM "
            f"({r['square_gemm_gflops']:.1f}); on one core {r['one_core_lowrank_step_s'] * 1e3:.2f} vs "
            f"{r['one_core_dense_step_s'] * 1e3:.0f} ms -> {r['one_core_step_ratio']:.0f}x; "
            f"load average {r['load_average_1min']:.1f} on {r['cpu_count']} cores"
        )
        print(json.dumps(r))
    r = bench_step_roofline(*((10**4, 20, 32) if args.quick else (10**5, 50, 32)), rounds=3 if args.quick else 5)
    print(
        f"EM step (public euler_maruyama, per step) N={r['n_units']} P={r['n_patterns']} B={r['n_cues']} float64: "
        f"{spread(r['public_per_step_s'])} vs plain numpy loop on one BLAS thread {spread(r['numpy_per_step_s'])}; "
        f"roofline {r['roofline_step_s'] * 1e3:.2f} ms (stream {r['stream_bandwidth_gb_s']:.1f} GB/s, GEMM "
        f"{r['square_gemm_gflops']:.1f} GFLOP/s, measured now) -> {r['fraction_of_roofline']:.0%} of the roofline "
        f"(median {r['fraction_of_roofline_median']:.0%}; goal >= 50%); load {r['load_before']} -> {r['load_after']}"
    )
    print(json.dumps(r))
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
