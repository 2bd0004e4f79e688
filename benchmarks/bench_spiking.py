"""Spiking realization at scale: low-rank latent synapses vs a dense Brian2 ``Synapses`` object.

Run: ``python benchmarks/bench_spiking.py [--dense-n 3000] [--target cython|numpy]``. Prints a
human-readable line and one JSON line per benchmark:

(a) N = 10^4 Poisson neurons (equal-overlap design q = 0.2, one neuron per unit), 1 s of biological
    time (tau = tau_s = 10 ms, r_max = 100 Hz, dt = 0.1 ms), started at memory 0: wall time and
    synapse events per second through the low-rank route (spikes -> P + 1 latent traces -> currents);
(b) the same network with a dense Brian2 ``Synapses`` object (N² synapses, ``I_post += W_ij inc``)
    at the largest N that fits (--dense-n, default 3000: 9e6 synapses), and the low-rank route at
    that N in the same run; the ratio of wall times is reported.
The first run of each code object compiles it (cython); timings exclude that by a short warm-up.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from _timing import peak_rss_gb
from assocrate.activations import Sigmoid
from assocrate.design import design
from assocrate.patterns import equal_overlap_patterns

from assocrate.retrieval import make_cues
from assocrate.spiking._brian import brian2_quietly, import_brian2
from assocrate.spiking.realization import spiking_realization
from assocrate.spiking.simulate import simulate_spiking

TAU_S, R_MAX, DT = 0.01, 100.0, 0.01  # seconds, Hz, units of tau


def network(n_units: int):
    return design(equal_overlap_patterns(0.2, n_units), Sigmoid(4.8, 0.2), -0.3, 0.95)


def lowrank(n_units: int, t_max: float, target: str) -> dict:
    net = network(n_units)
    sn = spiking_realization(net, r_max=R_MAX, tau_syn=TAU_S, seed=0)
    cues = make_cues(net, "delete", 0.0, memories=[0], seed=0)
    simulate_spiking(sn, cues, 1.0, target=target)  # warm-up (compiles with cython)
    start = time.perf_counter()
    result = simulate_spiking(sn, cues, t_max, target=target)
    wall = time.perf_counter() - start
    events = result.spike_times.size * (net.n_patterns + 1)  # each spike updates P + 1 latent traces
    return {"n_neurons": n_units, "wall_s": wall, "n_spikes": int(result.spike_times.size),
            "synapses": n_units, "synapse_events": int(events), "events_per_s": events / wall,
            "success": bool(result.success[0])}


def dense(n_units: int, t_max: float, target: str) -> dict:
    b2 = import_brian2()
    net = network(n_units)
    W = net.dense_weights()
    inc = 1.0 / (R_MAX * TAU_S)
    x0 = net.memory_rates()[:, 0]
    sig = net.activation
    with brian2_quietly():
        b2.prefs.codegen.target = target
        b2.seed(0)
        ns = {"tau_s": TAU_S * b2.second, "r_max": R_MAX * b2.Hz, "phi_k": sig.steepness, "phi_c": sig.center}
        group = b2.NeuronGroup(n_units, "dI/dt = -I / tau_s : 1", method="exact",
                               threshold="rand() < r_max / (1.0 + exp(-phi_k * (I - phi_c))) * dt",
                               dt=DT * TAU_S * b2.second, namespace=ns)
        group.I = W @ x0
        build = time.perf_counter()
        syn = b2.Synapses(group, group, "w : 1 (constant)", on_pre="I_post += w", dt=DT * TAU_S * b2.second, namespace=ns)
        pre, post = np.meshgrid(np.arange(n_units), np.arange(n_units), indexing="ij")
        syn.connect(i=pre.ravel(), j=post.ravel())
        syn.w = (W.T * inc).ravel()  # synapse (i -> j) carries W[j, i]
        del pre, post
        build = time.perf_counter() - build
        monitor = b2.SpikeMonitor(group)
        brian_net = b2.Network(group, syn, monitor)
        brian_net.run(DT * TAU_S * 10 * b2.second, namespace=ns)  # warm-up
        start_spikes = monitor.num_spikes
        start = time.perf_counter()
        brian_net.run(t_max * TAU_S * b2.second, namespace=ns)
        wall = time.perf_counter() - start
        spikes = monitor.num_spikes - start_spikes
    return {"n_neurons": n_units, "wall_s": wall, "build_s": build, "n_spikes": int(spikes), "synapses": n_units**2,
            "synapse_events": int(spikes) * n_units, "events_per_s": spikes * n_units / wall}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dense-n", type=int, default=3000)
    parser.add_argument("--target", default="cython", choices=["cython", "numpy"])
    parser.add_argument("--t-max", type=float, default=100.0, help="units of tau (100 tau = 1 s at tau = 10 ms)")
    args = parser.parse_args()
    large = lowrank(10_000, args.t_max, args.target)
    print(f"(a) low-rank, N = 10^4 neurons, {args.t_max * TAU_S:g} s: {large['wall_s']:.2f} s wall, "
          f"{large['events_per_s']:.3g} synapse events/s ({large['n_spikes']} spikes)")
    print(json.dumps({"benchmark": "spiking_lowrank_1e4", "target": args.target, "t_bio_s": args.t_max * TAU_S,
                      **large, "peak_rss_gb": peak_rss_gb()}))
    small = lowrank(args.dense_n, args.t_max, args.target)
    full = dense(args.dense_n, args.t_max, args.target)
    ratio = full["wall_s"] / small["wall_s"]
    print(f"(b) N = {args.dense_n}: dense Synapses {full['wall_s']:.2f} s (build {full['build_s']:.1f} s, "
          f"{full['events_per_s']:.3g} events/s) vs low-rank {small['wall_s']:.2f} s: dense/low-rank = {ratio:.1f}x")
    print(json.dumps({"benchmark": "spiking_dense_vs_lowrank", "target": args.target, "t_bio_s": args.t_max * TAU_S,
                      "lowrank": small, "dense": full, "wall_ratio_dense_over_lowrank": ratio,
                      "peak_rss_gb": peak_rss_gb()}))


if __name__ == "__main__":
    main()
