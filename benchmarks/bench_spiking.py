"""Spiking realization at scale: low-rank latent synapses vs a dense Brian2 ``Synapses`` object (theory.md §6b).

Run: ``python benchmarks/bench_spiking.py [--dense-n 3000] [--target cython|numpy] [--t-max 100]``.
Prints a human-readable line and one JSON line per benchmark:

(a) N = 10^4 Poisson neurons (equal-overlap design q = 0.2, one neuron per unit), 1 s of biological
    time (tau = tau_s = 10 ms, r_max = 100 Hz, dt = 0.1 ms), started at memory 0: wall and CPU
    time and synapse events per second through the low-rank route (spikes -> P + 1 latent traces
    -> currents), as :func:`assocrate.simulate_spiking` runs it;
(b) the same network with a dense Brian2 ``Synapses`` object (N² synapses, ``I_post += W_ij inc``)
    at the largest N that fits (--dense-n, default 3000: 9e6 synapses; 10^4 needs about 5 GB), and
    the low-rank route at that N in the same run; the ratio of wall times is reported. Both use
    the same neurons (time-rescaled Poisson firing), so the ratio measures the synapses.
The first run of each code object compiles it (cython); timings exclude that by a warm-up. The
machine's load average is printed with every result (the timings are wall times on a shared
machine; the CPU times are less sensitive to other processes). Brian2's preferences are restored.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from _timing import peak_rss_gb

import assocrate as aa
from assocrate.spiking._brian import brian2_quietly, import_brian2

TAU_S, R_MAX, DT = 0.01, 100.0, 0.01  # seconds, Hz, units of tau


def network(n_units: int):
    return aa.design(aa.equal_overlap_patterns(n_units, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)


def load() -> list[float]:
    """The 1-, 5- and 15-minute load averages."""
    return [round(value, 2) for value in os.getloadavg()]


def lowrank(n_units: int, t_max: float, target: str) -> dict:
    net = network(n_units)
    sn = aa.spiking_realization(net, r_max=R_MAX, tau_syn=TAU_S, seed=0)
    cues = aa.make_cues(net, "delete", 0.0, memories=[0], seed=0)
    aa.simulate_spiking(sn, cues, 1.0, target=target)  # warm-up (compiles with cython)
    before = load()
    start, cpu = time.perf_counter(), time.process_time()
    result = aa.simulate_spiking(sn, cues, t_max, target=target)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    events = result.spike_times.size * (net.n_patterns + 1)  # each spike updates P + 1 latent traces
    return {"n_neurons": n_units, "wall_s": wall, "cpu_s": cpu, "n_spikes": int(result.spike_times.size),
            "synapses": n_units, "synapse_events": int(events), "events_per_s": events / wall,
            "success": bool(result.success[0]), "rate_active_hz": result.rate_active_hz, "load_before": before,
            "load_after": load()}


def dense(n_units: int, t_max: float, target: str) -> dict:
    b2 = import_brian2()
    net = network(n_units)
    W = net.dense_weights(force=True)
    inc = 1.0 / (R_MAX * TAU_S)
    x0 = net.memory_rates()[:, 0]
    sig = net.activation
    with brian2_quietly():
        previous = b2.prefs.codegen.target
        b2.prefs.codegen.target = target
        try:
            b2.seed(0)
            ns = {"tau_s": TAU_S * b2.second, "r_max": R_MAX * b2.Hz, "phi_k": sig.steepness, "phi_c": sig.center}
            # the neurons of the low-rank route (time-rescaled Poisson firing), with the current as a dense trace
            group = b2.NeuronGroup(
                n_units, "dI/dt = -I / tau_s : 1\ndlam/dt = r_max / (1.0 + exp(-phi_k * (I - phi_c))) : 1\nE : 1",
                threshold="lam > E", reset="lam = lam - E\nE = -log(1.0 - rand())", method="euler",
                dt=DT * TAU_S * b2.second, namespace=ns,
            )
            group.I = W @ x0
            group.E = np.random.default_rng(0).exponential(size=n_units)
            build = time.perf_counter()
            syn = b2.Synapses(group, group, "w : 1 (constant)", on_pre="I_post += w", dt=DT * TAU_S * b2.second,
                              namespace=ns)
            syn.connect(i=np.repeat(np.arange(n_units, dtype=np.int32), n_units),
                        j=np.tile(np.arange(n_units, dtype=np.int32), n_units))
            syn.w = (W.T * inc).ravel()  # synapse (i -> j) carries W[j, i]
            del W
            build = time.perf_counter() - build
            monitor = b2.SpikeMonitor(group)
            brian_net = b2.Network(group, syn, monitor)
            brian_net.run(DT * TAU_S * 10 * b2.second, namespace=ns)  # warm-up
            start_spikes = monitor.num_spikes
            before = load()
            start, cpu = time.perf_counter(), time.process_time()
            brian_net.run(t_max * TAU_S * b2.second, namespace=ns)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            spikes = monitor.num_spikes - start_spikes
        finally:
            b2.prefs.codegen.target = previous
    return {"n_neurons": n_units, "wall_s": wall, "cpu_s": cpu, "build_s": build, "n_spikes": int(spikes),
            "synapses": n_units**2, "synapse_events": int(spikes) * n_units, "events_per_s": spikes * n_units / wall,
            "load_before": before, "load_after": load()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dense-n", type=int, default=3000)
    parser.add_argument("--target", default="cython", choices=["cython", "numpy"])
    parser.add_argument("--t-max", type=float, default=100.0, help="units of tau (100 tau = 1 s at tau = 10 ms)")
    args = parser.parse_args()
    t_bio = args.t_max * TAU_S
    large = lowrank(10_000, args.t_max, args.target)
    print(f"(a) low-rank, N = 10^4 neurons, {t_bio:g} s: {large['wall_s']:.2f} s wall ({large['cpu_s']:.2f} s CPU), "
          f"{large['events_per_s']:.3g} synapse events/s ({large['n_spikes']} spikes), load {large['load_before']}")
    print(json.dumps({"benchmark": "spiking_lowrank_1e4", "target": args.target, "t_bio_s": t_bio, **large,
                      "peak_rss_gb": peak_rss_gb()}))
    small = lowrank(args.dense_n, args.t_max, args.target)
    full = dense(args.dense_n, args.t_max, args.target)
    ratio = full["wall_s"] / small["wall_s"]
    print(f"(b) N = {args.dense_n}: dense Synapses {full['wall_s']:.2f} s wall ({full['cpu_s']:.2f} s CPU, build "
          f"{full['build_s']:.1f} s, {full['events_per_s']:.3g} events/s) vs low-rank {small['wall_s']:.2f} s wall "
          f"({small['cpu_s']:.2f} s CPU): dense/low-rank = {ratio:.1f}x (CPU {full['cpu_s'] / small['cpu_s']:.1f}x), "
          f"load {full['load_before']}")
    print(json.dumps({"benchmark": "spiking_dense_vs_lowrank", "target": args.target, "t_bio_s": t_bio,
                      "lowrank": small, "dense": full, "wall_ratio_dense_over_lowrank": ratio,
                      "cpu_ratio_dense_over_lowrank": full["cpu_s"] / small["cpu_s"], "peak_rss_gb": peak_rss_gb()}))


if __name__ == "__main__":
    main()
