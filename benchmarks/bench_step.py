"""One Euler–Maruyama step: the public ``euler_maruyama`` against the alternatives and the roofline.

Run: ``python benchmarks/bench_step.py [--n 100000] [--rounds 5] [--steps 20]``. At N units, P = 50
patterns, B = 32 trajectories, float64, rate form, no boundary, deterministic (sigma = 0) and
noisy (sigma = 0.1), in alternated rounds in one process (:func:`_timing.alternated`: every
contender once per round, min / median / max over the rounds):

- ``public``: ``euler_maruyama(network, X0, 0.01, steps, sigma=sigma, seed=0)``, the whole call
  divided by the number of steps (set-up, the compiled pass's cache load and the final record
  included; nothing subtracted);
- ``numpy``: a plain numpy low-rank loop on one BLAS thread, buffers preallocated:
  ``X += rate * (phi(U (c * (U^T X))) - X)``, then ``X += s * standard_normal``;
- ``jax`` (with the ``bench`` extra; skipped without jax): the same loop as one ``jax.jit``
  ``lax.fori_loop`` in float64 (x64 enabled), ``jax.nn.sigmoid`` and ``jax.random.normal``,
  compiled before the timing (the warm-up call), on all cores;
- the roofline, measured in the same rounds: ``max(flops / GEMM rate, bytes / bandwidth)`` with
  ``flops = 4 N (P+1) B`` (the two skinny products), the GEMM rate of a 2048^3 numpy GEMM on all
  BLAS threads, the bandwidth of a 2 x 80 MB numpy copy (bytes read + written), and the step's
  minimum traffic ``8 (2 N B + N (P+1))`` bytes: the state read and written once, the factor
  read once (the noise is not stored). The fractions divide the roofline by the public step,
  min by min and median by median.

One JSON line per benchmark (``em_step``, one per sigma) with every time in seconds per step, the
ratios and the load average before and after (the machine is shared: 2 cores, other users).

Measured at N = 10^5 (5 rounds, 2026-11-29, quiet machine, load 0.6-1.3 with this run), two runs
of 100-step calls: 10.1/10.9/14.9 and 9.0/10.2/10.5 ms per step against JAX 18.4 and 17.0 ms
(median; 1.7-1.9x slower) and numpy 54-64 ms; roofline 6.5/6.9 and 6.3/7.5 ms (GEMM about 100
GFLOP/s): 64 % and 63 %, 69 % and 74 % of it (min, median). Noisy (sigma = 0.1): 12.1/12.6/13.2
and 11.9/12.3/12.6 ms against JAX 53.8 ms (median; 4.2-4.4x slower): 51 % and 50 %, 52 % and 52 %
of the roofline (which leaves out the noise: 1.2 ns a normal, about 2 ms a step on two cores).
20-step calls (the call's set-up, about 25 ms, spread over fewer steps): 10.1/10.6/15.4 ms, 61 %
and 60 %; noisy 12.4/14.0/14.4 ms, 53 % and 48 %. A step takes about 18 ms of CPU without noise
and 22.5 ms with it.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from _timing import alternated, load_average, spread
from bench_dynamics import ACTIVATION, network_for

from assocrate.core.threads import single_threaded_blas
from assocrate.dynamics import euler_maruyama

DT = 0.01


def numpy_loop(network, X0: np.ndarray, n_steps: int, sigma: float):
    """The plain numpy low-rank loop (one BLAS thread), as a function of no arguments."""
    U, c = network.U, network.c[:, None]
    rate, noise = DT / network.tau, sigma * np.sqrt(DT)
    X, Z = np.empty_like(X0), np.empty_like(X0)

    def run() -> np.ndarray:
        rng = np.random.default_rng(0)
        np.copyto(X, X0)
        with single_threaded_blas():
            for _ in range(n_steps):
                H = ACTIVATION.phi(U @ (c * (U.T @ X)))
                H -= X
                H *= rate
                np.add(X, H, out=X)
                if sigma > 0:
                    rng.standard_normal(out=Z)
                    np.multiply(Z, noise, out=Z)
                    np.add(X, Z, out=X)
        return X

    return run


def jax_loop(network, X0: np.ndarray, n_steps: int, sigma: float):
    """The same loop as one jitted ``lax.fori_loop`` in float64, or None without jax."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    U, c = jnp.asarray(network.U), jnp.asarray(network.c[:, None])
    k, center = ACTIVATION.steepness, ACTIVATION.center
    rate, noise = DT / network.tau, sigma * float(np.sqrt(DT))

    @jax.jit
    def steps(X, key):
        def step(_, carry):
            X, key = carry
            H = jax.nn.sigmoid(k * (U @ (c * (U.T @ X)) - center))
            X = X + rate * (H - X)
            if sigma > 0:
                key, subkey = jax.random.split(key)
                X = X + noise * jax.random.normal(subkey, X.shape, dtype=X.dtype)
            return X, key

        return jax.lax.fori_loop(0, n_steps, step, (X, key))[0]

    X0_device, key = jnp.asarray(X0), jax.random.key(0)
    return lambda: steps(X0_device, key).block_until_ready()


def bench_step(n_units: int, n_patterns: int, n_cues: int, sigma: float, n_steps: int, rounds: int) -> dict:
    network = network_for(n_units, n_patterns)
    X0 = np.ascontiguousarray(0.7 * network.memory_rates()[:, np.arange(n_cues) % n_patterns])
    m = network.L.shape[1]
    square = np.random.default_rng(0).random((2048, 2048))
    source, target = np.ones(10**7), np.empty(10**7)
    contenders = {
        "public": lambda: euler_maruyama(network, X0, DT, n_steps, sigma=sigma, seed=0),
        "numpy": numpy_loop(network, X0, n_steps, sigma),
        "gemm": lambda: square @ square,
        "copy": lambda: np.copyto(target, source),
    }
    jax_run = jax_loop(network, X0, n_steps, sigma)
    if jax_run is not None:
        contenders["jax"] = jax_run
    load_before = load_average()
    times = alternated(contenders, rounds=rounds)
    load_after = load_average()
    per_step = {name: [t / n_steps for t in times[name]] for name in contenders if name not in ("gemm", "copy")}
    flops = 4 * n_units * m * n_cues
    traffic = 8 * (2 * n_units * n_cues + n_units * m * (1 if network.is_symmetric else 2))
    gemm_rate = [2 * 2048**3 / t for t in times["gemm"]]  # min time first: the best rate first
    bandwidth = [2 * source.nbytes / t for t in times["copy"]]
    roofline = [max(flops / gemm_rate[i], traffic / bandwidth[i]) for i in range(3)]
    record = {
        "benchmark": "em_step", "n_units": n_units, "n_patterns": n_patterns, "n_cues": n_cues, "dtype": "float64",
        "sigma": sigma, "n_steps": n_steps, "rounds": rounds, "cpu_count": os.cpu_count(),
        **{f"{name}_per_step_s": values for name, values in per_step.items()},
        "gemm_gflops": [rate / 1e9 for rate in gemm_rate], "copy_gb_s": [value / 1e9 for value in bandwidth],
        "step_flops": flops, "step_min_bytes": traffic, "roofline_step_s": roofline,
        "fraction_of_roofline": [roofline[i] / per_step["public"][i] for i in range(2)],  # min, median
        "numpy_over_public": [per_step["numpy"][i] / per_step["public"][i] for i in range(2)],
        "goal_fraction": 0.5, "load_before": load_before, "load_after": load_after,
    }
    if "jax" in per_step:
        record["jax_over_public"] = [per_step["jax"][i] / per_step["public"][i] for i in range(2)]
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**5, help="units N (default 1e5; 2e4 for a quick look)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20, help="steps per timed call")
    args = parser.parse_args()
    for sigma in (0.0, 0.1):
        r = bench_step(args.n, 50, 32, sigma, args.steps, args.rounds)
        jax_part = (f", jax-jit {spread(r['jax_per_step_s'])} (jax/public {r['jax_over_public'][0]:.2f}x min, "
                    f"{r['jax_over_public'][1]:.2f}x median)" if "jax_per_step_s" in r else ", jax not installed")
        print(
            f"EM step N={r['n_units']} P={r['n_patterns']} B={r['n_cues']} float64 sigma={sigma:g}, per step "
            f"(min/median/max of {r['rounds']} rounds of {r['n_steps']} steps): public euler_maruyama "
            f"{spread(r['public_per_step_s'])}; numpy one BLAS thread {spread(r['numpy_per_step_s'])} "
            f"(numpy/public {r['numpy_over_public'][0]:.2f}x min, {r['numpy_over_public'][1]:.2f}x median){jax_part}; "
            f"roofline {spread(r['roofline_step_s'])} (GEMM {spread(r['gemm_gflops'], 1, 'GFLOP/s')}, copy "
            f"{spread(r['copy_gb_s'], 1, 'GB/s')}) -> {r['fraction_of_roofline'][0]:.0%} of the roofline at the min, "
            f"{r['fraction_of_roofline'][1]:.0%} at the median (goal >= 50%); load {r['load_before']} -> {r['load_after']}"
        )
        print(json.dumps(r))


if __name__ == "__main__":
    main()
