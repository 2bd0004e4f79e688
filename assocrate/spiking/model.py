"""The Brian2 model of a spiking realization: B copies of the neurons and of their latent traces.

Synapses go through the low-rank factors ``W = L1 diag(c) R1^T`` (theory.md §6b): each neuron has
one synapse to the latent traces of its copy (``z_k += R1_ik / (n r_max tau_s)``, the constant
``V{k}``, or ``U{k}`` when ``R1 = L1``) and reads its current ``h = sum_k c_k L1_ik z_k + u``
(the constants ``U{k}``) through linked variables, so a step costs O(B N n P) and the number of synapses is B N n, never
N² (theory.md §6b).

Poisson neurons fire by time rescaling: ``lam' = r_max phi(h)`` and a spike when lam crosses an
Exp(1) level, which is then redrawn (the overshoot is kept, so no rate is lost to the step). This
is the same inhomogeneous Poisson process as a Bernoulli draw ``rand() < r_max phi(h) dt`` per
neuron and step, with one random number per spike instead of one per neuron and step: 1.6 times
less CPU at N = 10^4 (benchmarks/bench_spiking.py). Reading the currents through linked variables
costs about as much as computing ``U C z`` in a numpy ``network_operation`` and keeps the model in
generated code. Under Dale's law the inhibitory populations are Poisson neurons with all-to-all
E->I and I->E synapses inside each copy.
"""

from __future__ import annotations

import numpy as np

from ..core.activations import RectifiedTanh, Sigmoid
from ..core.lif import LIFTransfer
from ..errors import InvalidInput
from ..retrieval import CueSet
from .realization import SpikingNetwork

__all__ = ["build_model", "input_segments", "phi_code"]


def phi_code(activation) -> tuple[str, dict]:
    """Brian2 code for ``phi(h)`` of a Sigmoid or RectifiedTanh, and the constants it names."""
    if isinstance(activation, Sigmoid):
        return "1.0 / (1.0 + exp(-phi_k * (h - phi_c)))", {"phi_k": activation.steepness, "phi_c": activation.center}
    if isinstance(activation, RectifiedTanh):
        return "tanh(clip(phi_rho * (h - phi_thr), 0, 50))", {"phi_rho": activation.rho, "phi_thr": activation.threshold}
    raise InvalidInput(f"Poisson neurons need a Sigmoid or RectifiedTanh activation; got {activation!r}")


def build_model(b2, sn: SpikingNetwork, x0: np.ndarray, dt_s: float, rec_dt_s: float, rng: np.random.Generator):
    """The Brian2 objects for B copies of the network, started from rates x0 (N, B).

    Returns ``(network, group, latent, monitor, spikes, namespace, dale_signs)``: the Brian2
    ``Network``, the neurons, the latent traces (one row per copy), their monitor, the spike
    monitor of the (excitatory) neurons, the namespace of the runs and, under Dale's law, the
    weights of every synapse class as built.
    """
    net = sn.network
    N, B, n, m = net.n_units, x0.shape[1], sn.neurons_per_unit, net.n_patterns + 1
    ms_ = range(m)
    L1, _, R1 = net.augmented_factors
    send = "U" if R1 is L1 else "V"  # the factor a spike adds to the traces with
    ns = {"tau_s": sn.tau_syn * b2.second, "r_max": sn.r_max * b2.Hz, "inc": sn.trace_increment}
    ns.update({f"c{k}": float(sn.c[k]) for k in ms_})
    current = " + ".join(f"c{k} * U{k} * z{k}" for k in ms_) + " + u" + (" + g_inh" if sn.dale is not None else "")
    eqs = [f"h = {current} : 1", "u : 1", *(f"U{k} : 1 (constant)" for k in ms_), *(f"z{k} : 1 (linked)" for k in ms_)]
    if send == "V":
        eqs += [f"V{k} : 1 (constant)" for k in ms_]
    if sn.dale is not None:
        eqs.append("dg_inh/dt = -g_inh / tau_I : 1")
        ns["tau_I"] = sn.tau_inhibitory * b2.second
    kwargs = {"dt": dt_s * b2.second, "namespace": ns}
    if sn.neuron == "poisson":
        code, constants = phi_code(net.activation)
        ns.update(constants)
        # time rescaling: neuron i spikes when its integrated rate lam crosses an Exp(1) level E (a
        # Poisson process of rate r_max phi(h)); one rand() per spike instead of one per neuron and step
        eqs += [f"dlam/dt = r_max * ({code}) : 1", "E : 1"]
        group = b2.NeuronGroup(B * N * n, "\n".join(eqs), threshold="lam > E", reset="lam = lam - E\nE = -log(1.0 - rand())",
                               method="euler", name="units", **kwargs)
        group.E = rng.exponential(size=B * N * n)
    else:
        lif: LIFTransfer = net.activation
        ns.update({"tau_m": lif.tau_m * b2.second, "theta": lif.threshold, "v_r": lif.reset, "sigma_v": lif.sigma})
        eqs.insert(0, "dv/dt = (-v + h) / tau_m + sigma_v * xi * tau_m ** -0.5 : 1 (unless refractory)")
        group = b2.NeuronGroup(B * N * n, "\n".join(eqs), threshold="v > theta", reset="v = v_r",
                               refractory=lif.t_ref * b2.second, method="euler", name="units", **kwargs)
        group.v = lif.reset + (lif.threshold - lif.reset) * rng.random(B * N * n)
    unit = np.tile(np.repeat(np.arange(N), n), B)
    batch = np.repeat(np.arange(B), N * n)
    latent = b2.NeuronGroup(B, "\n".join(f"dz{k}/dt = -z{k} / tau_s : 1" for k in ms_), method="exact",
                            name="latents", **kwargs)
    z0 = R1.T @ x0  # (m, B)
    for k in ms_:
        setattr(group, f"U{k}", L1[unit, k])
        if send == "V":
            setattr(group, f"V{k}", R1[unit, k])
        setattr(latent, f"z{k}", z0[k])
        setattr(group, f"z{k}", b2.linked_var(latent, f"z{k}", index=batch))
    to_latent = b2.Synapses(group, latent, on_pre="\n".join(f"z{k}_post += inc * {send}{k}_pre" for k in ms_),
                            name="to_latents", **kwargs)
    to_latent.connect(i=np.arange(B * N * n), j=batch)
    objects = [group, latent, to_latent]
    signs = None
    if sn.dale is not None:
        dale = sn.dale
        NI = dale.n_inhibitory
        mean0 = x0.mean(axis=0)
        group.g_inh = np.repeat(-dale.w_EI * mean0, N * n)
        inhib = b2.NeuronGroup(B * NI * n, "dh_I/dt = -h_I / tau_s : 1", threshold="rand() < r_max * clip(h_I, 0, 1e9) * dt",
                               method="exact", name="inhibitory", **kwargs)
        inhib.h_I = np.repeat(mean0, NI * n)
        i_batch = np.repeat(np.arange(B), NI * n)
        e_to_i = b2.Synapses(group, inhib, "w : 1 (constant)", on_pre="h_I_post += w", name="e_to_i", **kwargs)
        pre = np.concatenate([np.repeat(np.flatnonzero(batch == b), NI * n) for b in range(B)])
        post = np.concatenate([np.tile(np.flatnonzero(i_batch == b), N * n) for b in range(B)])
        e_to_i.connect(i=pre, j=post)
        e_to_i.w = 1.0 / (N * n * sn.r_max * sn.tau_syn)
        i_to_e = b2.Synapses(inhib, group, "w : 1 (constant)", on_pre="g_inh_post += w", name="i_to_e", **kwargs)
        i_to_e.connect(i=post, j=pre)
        i_to_e.w = -dale.w_EI / (NI * n * sn.r_max * sn.tau_inhibitory)
        ee = dale.signs()
        w_ei, w_ie = np.asarray(e_to_i.w[:]), np.asarray(i_to_e.w[:])
        signs = {
            "E->E_min": float(ee.min_W_EE), "E->E_max": float(ee.max_W_EE), "E->E_tolerance": float(ee.tolerance),
            "E->I_min": float(w_ei.min()), "E->I_max": float(w_ei.max()),
            "I->E_min": float(w_ie.min()), "I->E_max": float(w_ie.max()),
            "n_E->I": int(w_ei.size), "n_I->E": int(w_ie.size),
        }
        signs["obeys_dale"] = bool(ee.obeys_dale and w_ei.min() > 0 and w_ie.max() < 0)
        objects += [inhib, e_to_i, i_to_e]
    monitor = b2.StateMonitor(latent, [f"z{k}" for k in ms_], record=True, dt=rec_dt_s * b2.second, name="latent_monitor")
    spikes = b2.SpikeMonitor(group, name="spikes")
    objects += [monitor, spikes]
    return b2.Network(*objects), group, latent, monitor, spikes, ns, signs


def input_segments(cues: CueSet, t_max: float) -> list[tuple[float, float, np.ndarray | None]]:
    """Constant-input pieces ``(start, stop, u)`` of [0, t_max] (u None: no input)."""
    if cues.u is None:
        return [(0.0, t_max, None)]
    cuts = sorted({0.0, t_max, *(float(e) for e in cues.u.edges if 0.0 < e < t_max)})
    return [(a, b, np.asarray(cues.u.at(a), dtype=float)) for a, b in zip(cuts[:-1], cuts[1:])]
