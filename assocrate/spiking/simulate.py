"""Simulate a :class:`~assocrate.spiking.realization.SpikingNetwork` in Brian2, many cues at once.

Every cue gets its own copy of the network inside one Brian2 run (B copies of the neurons and of
the P + 1 latent traces). Synapses go through the low-rank factors: each neuron has one synapse to
the latent traces of its copy (``z_k += U_ik / (n r_max tau_s)``) and reads its current
``h = sum_k c_k U_ik z_k + u`` through linked variables, so a step costs O(B N n P) and the number
of synapses is B N n, never N².

Times are in units of the design's tau (one unit = ``tau_syn`` seconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import check_positive, check_positive_int, readonly
from ..activations import RectifiedTanh, Sigmoid
from ..design import MemoryNetwork
from ..equilibria import uniform_states
from ..retrieval import DEFAULT_TOL, OUTCOMES, CueSet, Outcome, classify, ideal_overlaps
from ._brian import brian2_quietly, import_brian2
from .realization import SpikingNetwork
from .transfer import LIFTransfer

__all__ = ["LIFRateCheck", "SpikingResult", "frame_classes", "latent_features", "lif_rate_check", "simulate_spiking"]


@dataclass(frozen=True, repr=False)
class SpikingResult:
    """A batch of spiking retrieval runs (:func:`simulate_spiking`).

    Attributes
    ----------
    cued : numpy.ndarray of int, shape (B,)
        Memory each cue came from (-1: not stored).
    labels : numpy.ndarray of str, shape (B,)
        Final class of each cue (the classes of :func:`assocrate.retrieval.retrieve`), from the
        time-averaged rates over the last `rate_window` (``window_rates_hz / r_max``).
    matched : numpy.ndarray of int, shape (B,)
        Memory the final state matches (-1: none).
    times : numpy.ndarray, shape (T,)
        Recorded times, in units of tau.
    latents : numpy.ndarray, shape (T, P + 1, B)
        The latent traces ``z = U^T s`` (currents are ``U C z + u``).
    overlaps : numpy.ndarray, shape (T, P, B)
        Overlaps of the filtered rates s with every pattern.
    mean_rate : numpy.ndarray, shape (T, B)
        Mean filtered rate (phi units).
    frame_labels : numpy.ndarray of str, shape (T, B)
        Class at every recorded time, from the features averaged over the preceding tau.
    time_to_converge : numpy.ndarray, shape (B,)
        First recorded time from which the class stays the final class (NaN for "none").
    final_states : numpy.ndarray, shape (N, B)
        Filtered rates s (traces, phi units) at the end.
    window_rates_hz : numpy.ndarray, shape (N, B)
        Spike rate of every unit over the last `rate_window` (Hz, per neuron).
    spike_times : numpy.ndarray, shape (S,)
        Spike times (units of tau) of the excitatory neurons.
    spike_neurons : numpy.ndarray of int, shape (S,)
        Neuron index within its copy, ``unit * n + k``.
    spike_cues : numpy.ndarray of int, shape (S,)
        The cue (copy) each spike belongs to.
    neuron, cue, neurons_per_unit, r_max, tau_syn, dt, rate_window, tol, seed, target :
        The settings used.
    dale_signs : dict or None
        Under Dale's law: the smallest and largest weight of every synapse class as built
        (E->I, I->E) and the E->E range of ``U C_EE U^T``, and whether every sign is right.
    """

    cued: np.ndarray
    labels: np.ndarray
    matched: np.ndarray
    times: np.ndarray
    latents: np.ndarray
    overlaps: np.ndarray
    mean_rate: np.ndarray
    frame_labels: np.ndarray
    time_to_converge: np.ndarray
    final_states: np.ndarray
    window_rates_hz: np.ndarray
    spike_times: np.ndarray
    spike_neurons: np.ndarray
    spike_cues: np.ndarray
    patterns: np.ndarray
    neuron: str
    cue: str
    neurons_per_unit: int
    r_max: float
    tau_syn: float
    dt: float
    rate_window: float
    tol: float
    seed: int | None
    target: str
    dale_signs: dict | None

    @property
    def n_cues(self) -> int:
        """B."""
        return int(self.cued.size)

    @property
    def stored(self) -> np.ndarray:
        """Mask of cues made from stored memories."""
        return self.cued >= 0

    @property
    def success(self) -> np.ndarray:
        """Per cue: the final state is the cued memory."""
        return self.labels == Outcome.CUED.value

    @property
    def success_rate(self) -> float:
        """Fraction of stored-memory cues that end at their memory (NaN without such cues)."""
        return float(np.mean(self.success[self.stored])) if np.any(self.stored) else math.nan

    def class_counts(self) -> dict[str, int]:
        """Number of cues per final class (every class listed)."""
        return {value: int(np.sum(self.labels == value)) for value in OUTCOMES}

    def _cued_rates(self, active: bool) -> float:
        if not np.any(self.stored):
            return math.nan
        columns = np.flatnonzero(self.stored)
        mask = self.patterns[:, self.cued[columns]] == active
        return float(np.sum(self.window_rates_hz[:, columns] * mask) / max(int(mask.sum()), 1))

    @property
    def rate_active_hz(self) -> float:
        """Mean final spike rate (Hz) of the cued memory's active units, over stored-memory cues."""
        return self._cued_rates(True)

    @property
    def rate_inactive_hz(self) -> float:
        """Mean final spike rate (Hz) of the cued memory's inactive units, over stored-memory cues."""
        return self._cued_rates(False)

    @property
    def mean_time_to_converge(self) -> float:
        """Mean settling time (units of tau) over the cues whose final class is not "none"."""
        settled = self.time_to_converge[np.isfinite(self.time_to_converge)]
        return float(np.mean(settled)) if settled.size else math.nan

    @property
    def overlap_cued(self) -> np.ndarray:
        """Final overlap with the cued memory per cue (NaN for cues not stored)."""
        final = self.overlaps[-1]
        values = final[np.clip(self.cued, 0, None), np.arange(self.n_cues)]
        return np.where(self.stored, values, np.nan)

    def to_record(self) -> dict:
        """A JSON-ready summary (what ``assocrate spike --json`` prints)."""

        def clean(value: float) -> float | None:
            return None if not math.isfinite(value) else float(value)

        return {
            "neuron": self.neuron,
            "cue": self.cue,
            "n_cues": self.n_cues,
            "neurons_per_unit": self.neurons_per_unit,
            "r_max": self.r_max,
            "tau_syn": self.tau_syn,
            "dt": self.dt,
            "t_max": float(self.times[-1]),
            "seed": self.seed,
            "success_rate": clean(self.success_rate),
            "classes": self.class_counts(),
            "rate_active_hz": clean(self.rate_active_hz),
            "rate_inactive_hz": clean(self.rate_inactive_hz),
            "mean_overlap_cued": clean(float(np.nanmean(self.overlap_cued)) if np.any(self.stored) else math.nan),
            "mean_time_to_converge": clean(self.mean_time_to_converge),
            "n_spikes": int(self.spike_times.size),
            "dale_signs_ok": None if self.dale_signs is None else bool(self.dale_signs["obeys_dale"]),
        }

    def summary(self) -> str:
        """Success rate, rates of the cued memory's units, classes and settling time."""
        record = self.to_record()
        counts = ", ".join(f"{k} {v}" for k, v in record["classes"].items() if v)
        fmt = lambda v, spec: "n/a" if v is None else format(v, spec)  # noqa: E731
        lines = [
            f"spiking retrieval: {self.n_cues} cues ({self.cue}), {self.neuron} neurons x {self.neurons_per_unit} "
            f"per unit, r_max={self.r_max:g} Hz, tau_s={self.tau_syn * 1e3:g} ms, t_max={self.times[-1]:g} tau",
            f"  success rate        {fmt(record['success_rate'], '.3f')}",
            f"  final rates         active {fmt(record['rate_active_hz'], '.2f')} Hz, "
            f"inactive {fmt(record['rate_inactive_hz'], '.3f')} Hz (last {self.rate_window:g} tau)",
            f"  final classes       {counts}",
            f"  time to converge    {fmt(record['mean_time_to_converge'], '.3g')} tau",
            f"  spikes              {self.spike_times.size}",
        ]
        if self.dale_signs is not None:
            lines.append(f"  Dale's law          {'obeyed' if self.dale_signs['obeys_dale'] else 'VIOLATED'}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"SpikingResult(neuron={self.neuron!r}, n_cues={self.n_cues}, cue={self.cue!r}, "
            f"success_rate={self.success_rate:.3g}, n_spikes={self.spike_times.size})"
        )


# ---------------------------------------------------------------------------------------------
# Read-outs from the latent traces
# ---------------------------------------------------------------------------------------------


def latent_features(network: MemoryNetwork, latents: np.ndarray) -> np.ndarray:
    """Overlaps and mean rate from latent traces ``z = U^T s``: shape (..., P + 1, B).

    ``xi^nu . s = z_nu + beta z_P`` (``U = [Xi - beta, 1]``), so the overlaps
    ``m^nu = xi^nu . s / |xi^nu|`` and the mean rate ``z_P / N`` need no N-vector.

    Examples
    --------
    >>> from assocrate.activations import Sigmoid
    >>> from assocrate.design import design
    >>> from assocrate.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(0.2, 1000), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> features = latent_features(net, net.U.T @ net.memory_rates())
    >>> print(f"{features[0, 0]:.6f} {features[1, 0]:.6f}")
    0.999996 0.200007
    """
    latents = np.asarray(latents, dtype=float)
    sizes = np.asarray(network.patterns, dtype=float).sum(axis=0)
    total = latents[..., -1:, :]
    overlaps = (latents[..., :-1, :] + network.beta * total) / sizes[:, None]
    return np.concatenate([overlaps, total / network.n_units], axis=-2)


def frame_classes(
    network: MemoryNetwork, features: np.ndarray, cued: np.ndarray, tol: float = DEFAULT_TOL
) -> tuple[np.ndarray, np.ndarray]:
    """Classes (labels, matched memory) of states given by their features (..., P + 1, B).

    The rule of :func:`assocrate.retrieval.classify`: the nearest ideal state in the max norm over
    the P overlaps and the mean rate (the rescaled memories and the stable uniform states), "none"
    beyond `tol`.
    """
    memory_rates = network.memory_rates()
    ideals = [np.append(row, memory_rates[:, mu].mean()) for mu, row in enumerate(ideal_overlaps(network))]
    kinds = [""] * network.n_patterns
    for state in uniform_states(network):
        if state.kind in (Outcome.QUIESCENT.value, Outcome.ALL_ON.value):
            ideals.append(np.full(network.n_patterns + 1, state.rate))
            kinds.append(state.kind)
    ideal = np.array(ideals)  # (M, P + 1)
    distance = np.stack([np.max(np.abs(features - row[:, None]), axis=-2) for row in ideal])  # (M, ..., B)
    nearest = np.argmin(distance, axis=0)
    best = np.min(distance, axis=0)
    memory = np.where(nearest < network.n_patterns, nearest, -1)
    labels = np.array(kinds, dtype=f"<U{max(len(v) for v in OUTCOMES)}")[nearest]
    labels = np.where(memory == cued, Outcome.CUED.value, np.where(memory >= 0, Outcome.OTHER.value, labels))
    within = best <= tol
    return np.where(within, labels, Outcome.NONE.value), np.where(within, memory, -1)


def _settling_times(times: np.ndarray, frame_labels: np.ndarray) -> np.ndarray:
    final = frame_labels[-1]
    differs_after = np.cumsum((frame_labels != final[None, :])[::-1], axis=0)[::-1]
    result = times[np.argmax(differs_after == 0, axis=0)].astype(float)
    result[final == Outcome.NONE.value] = np.nan
    return result


# ---------------------------------------------------------------------------------------------
# The Brian2 model
# ---------------------------------------------------------------------------------------------


def _phi_code(activation) -> tuple[str, dict]:
    if isinstance(activation, Sigmoid):
        return "1.0 / (1.0 + exp(-phi_k * (h - phi_c)))", {"phi_k": activation.steepness, "phi_c": activation.center}
    if isinstance(activation, RectifiedTanh):
        return "tanh(clip(phi_rho * (h - phi_thr), 0, 50))", {"phi_rho": activation.rho, "phi_thr": activation.threshold}
    raise ValueError(f"Poisson neurons need a Sigmoid or RectifiedTanh activation; got {activation!r}")


def _build(b2, sn: SpikingNetwork, x0: np.ndarray, dt_s: float, rec_dt_s: float, rng: np.random.Generator):
    """The Brian2 objects for B copies of the network, started from rates x0 (N, B)."""
    net = sn.network
    N, B, n, m = net.n_units, x0.shape[1], sn.neurons_per_unit, net.n_patterns + 1
    ms_ = range(m)
    ns = {"tau_s": sn.tau_syn * b2.second, "r_max": sn.r_max * b2.Hz, "inc": sn.trace_increment}
    ns.update({f"c{k}": float(sn.c[k]) for k in ms_})
    current = " + ".join(f"c{k} * U{k} * z{k}" for k in ms_) + " + u" + (" + g_inh" if sn.dale is not None else "")
    eqs = [f"h = {current} : 1", "u : 1", *(f"U{k} : 1 (constant)" for k in ms_), *(f"z{k} : 1 (linked)" for k in ms_)]
    if sn.dale is not None:
        eqs.append("dg_inh/dt = -g_inh / tau_I : 1")
        ns["tau_I"] = sn.tau_inhibitory * b2.second
    kwargs = {"dt": dt_s * b2.second, "namespace": ns}
    if sn.neuron == "poisson":
        code, constants = _phi_code(net.activation)
        ns.update(constants)
        group = b2.NeuronGroup(B * N * n, "\n".join(eqs), threshold=f"rand() < r_max * ({code}) * dt",
                               method="euler", name="units", **kwargs)
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
    z0 = net.U.T @ x0  # (m, B)
    for k in ms_:
        setattr(group, f"U{k}", net.U[unit, k])
        setattr(latent, f"z{k}", z0[k])
        setattr(group, f"z{k}", b2.linked_var(latent, f"z{k}", index=batch))
    to_latent = b2.Synapses(group, latent, on_pre="\n".join(f"z{k}_post += inc * U{k}_pre" for k in ms_),
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


def _segments(cues: CueSet, t_max: float) -> list[tuple[float, float, np.ndarray | None]]:
    """Constant-input pieces ``(start, stop, u)`` of [0, t_max] (u None: no input)."""
    if cues.u is None:
        return [(0.0, t_max, None)]
    cuts = sorted({0.0, t_max, *(float(e) for e in cues.u.edges if 0.0 < e < t_max)})
    return [(a, b, np.asarray(cues.u.at(a), dtype=float)) for a, b in zip(cuts[:-1], cuts[1:])]


def simulate_spiking(
    sn: SpikingNetwork,
    cues: CueSet,
    t_max: float,
    *,
    dt: float = 0.01,
    seed: int | None = None,
    record_every: int = 10,
    rate_window: float | None = None,
    tol: float = DEFAULT_TOL,
    target: str = "numpy",
) -> SpikingResult:
    """Run the spiking network from every cue (one Brian2 run) and classify where each one ends.

    Parameters
    ----------
    sn : SpikingNetwork
    cues : CueSet
        From :func:`assocrate.retrieval.make_cues` or :func:`~assocrate.retrieval.nonstored_cues`;
        the traces start at the cue's rates ``s(0) = x0``; input cues are applied piece by piece.
    t_max : float
        Duration in units of tau.
    dt : float, default 0.01
        Brian2 time step in units of tau (0.1 ms for tau = 10 ms).
    seed : int, optional
        Seeds Brian2 (``brian2.seed``) and the initial membrane potentials; default ``sn.seed``.
    record_every : int, default 10
        Latent traces are recorded every this many steps.
    rate_window : float, optional
        Window at the end (units of tau) over which `window_rates_hz` counts spikes; default
        ``t_max / 2``.
    tol : float, default 0.15
        Classification tolerance (see :func:`assocrate.retrieval.classify`).
    target : {"numpy", "cython"}, default "numpy"
        Brian2 code generation target ("cython" compiles once, then is faster for long runs).

    Returns
    -------
    SpikingResult

    Examples
    --------
    >>> from assocrate.activations import Sigmoid
    >>> from assocrate.design import design
    >>> from assocrate.patterns import equal_overlap_patterns
    >>> from assocrate.retrieval import make_cues
    >>> from assocrate.spiking.realization import spiking_realization
    >>> net = design(equal_overlap_patterns(0.2, 1000), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> sn = spiking_realization(net, r_max=100.0, seed=0)
    >>> result = simulate_spiking(sn, make_cues(net, "delete", 0.4, seed=1), t_max=3.0)  # doctest: +SKIP
    >>> result.success_rate  # doctest: +SKIP
    1.0
    """
    if not isinstance(sn, SpikingNetwork):
        raise TypeError(f"`sn` must be a SpikingNetwork; got {type(sn).__name__}")
    if not isinstance(cues, CueSet):
        raise TypeError(f"`cues` must be a CueSet (see make_cues); got {type(cues).__name__}")
    net = sn.network
    if cues.x0.shape[0] != net.n_units:
        raise ValueError(f"`cues` must have {net.n_units} units; got {cues.x0.shape[0]}")
    t_max = check_positive("t_max", t_max)
    dt = check_positive("dt", dt)
    record_every = check_positive_int("record_every", record_every)
    n_steps = max(1, int(round(t_max / dt)))
    t_max = n_steps * dt
    rate_window = 0.5 * t_max if rate_window is None else min(check_positive("rate_window", rate_window), t_max)
    if target not in ("numpy", "cython"):
        raise ValueError(f"`target` must be 'numpy' or 'cython'; got {target!r}")
    seed = sn.seed if seed is None else seed
    rng = np.random.default_rng(seed)
    unit_s = sn.time_unit
    b2 = import_brian2()
    with brian2_quietly():
        previous = b2.prefs.codegen.target
        b2.prefs.codegen.target = target
        try:
            b2.seed(seed)
            x0 = np.asarray(cues.x0, dtype=float)
            network_b2, group, latent, monitor, spikes, ns, signs = _build(
                b2, sn, x0, dt * unit_s, record_every * dt * unit_s, rng
            )
            N, B, n = net.n_units, x0.shape[1], sn.neurons_per_unit
            for start, stop, u in _segments(cues, t_max):
                group.u = 0.0 if u is None else np.repeat(np.broadcast_to(u, (N, B)).T.reshape(-1), n)
                steps = int(round((stop - start) / dt))
                if steps:
                    network_b2.run(steps * dt * unit_s * b2.second, namespace=ns)
            m = net.n_patterns + 1
            recorded = np.stack([np.asarray(getattr(monitor, f"z{k}")) for k in range(m)])  # (m, B, T)
            final = np.array([np.asarray(getattr(latent, f"z{k}")[:]) for k in range(m)])
            spike_i = np.asarray(spikes.i[:], dtype=np.int64)
            spike_t = np.asarray(spikes.t[:] / b2.second, dtype=float) / unit_s
        finally:
            b2.prefs.codegen.target = previous
    rec_times = np.asarray(monitor.t[:] / b2.second, dtype=float) / unit_s
    latents = np.concatenate([np.transpose(recorded, (2, 0, 1)), final[None]], axis=0)  # (T, m, B)
    times = np.append(rec_times, t_max)
    features = latent_features(net, latents)
    cued = np.asarray(cues.cued, dtype=np.int64)
    # classes over time from features averaged over the last tau (a single trace fluctuates ~1/sqrt(r_max tau n))
    window = max(1, int(round(1.0 / (record_every * dt))))
    summed = np.cumsum(features, axis=0)
    smoothed = summed.copy()
    smoothed[window:] -= summed[:-window]
    smoothed /= np.minimum(np.arange(1, features.shape[0] + 1), window)[:, None, None]
    frame_labels, _ = frame_classes(net, smoothed, cued, tol)
    # filtered rates at the end, from the spikes (a spike at t reaches the traces at t + dt)
    cue_of, within = spike_i // (N * n), spike_i % (N * n)
    weight = sn.trace_increment * np.exp(-(t_max - spike_t - dt) * unit_s / sn.tau_syn)
    states = x0 * math.exp(-t_max * unit_s / sn.tau_syn)
    np.add.at(states, (within // n, cue_of), weight)
    late = spike_t >= t_max - rate_window - 1e-9 * t_max
    counts = np.zeros((N, B))
    np.add.at(counts, (within[late] // n, cue_of[late]), 1.0)
    window_rates = counts / (n * rate_window * unit_s)
    final_class = classify(net, window_rates / sn.r_max, cued=cued, tol=tol)  # time-averaged final rates
    return SpikingResult(
        cued=readonly(cued.copy()),
        labels=readonly(final_class.labels),
        matched=readonly(final_class.memory),
        times=readonly(times),
        latents=readonly(latents),
        overlaps=readonly(features[:, :-1, :]),
        mean_rate=readonly(features[:, -1, :]),
        frame_labels=readonly(frame_labels),
        time_to_converge=readonly(_settling_times(times, frame_labels)),
        final_states=readonly(states),
        window_rates_hz=readonly(window_rates),
        spike_times=readonly(spike_t),
        spike_neurons=readonly(within),
        spike_cues=readonly(cue_of),
        patterns=net.patterns,
        neuron=sn.neuron,
        cue=cues.spec,
        neurons_per_unit=n,
        r_max=sn.r_max,
        tau_syn=sn.tau_syn,
        dt=dt,
        rate_window=rate_window,
        tol=tol,
        seed=seed,
        target=target,
        dale_signs=signs,
    )


@dataclass(frozen=True, repr=False)
class LIFRateCheck:
    """Stationary LIF rates measured in Brian2 against the Siegert formula (:func:`lif_rate_check`).

    Attributes
    ----------
    levels : numpy.ndarray, shape (L,)
        Constant inputs h.
    siegert_hz, simulated_hz : numpy.ndarray, shape (L,)
        ``LIFTransfer.rate(h)`` and the measured rate (spikes per neuron per second).
    n_spikes : numpy.ndarray of int, shape (L,)
    duration, dt : float
        Simulated time and step (seconds).
    """

    levels: np.ndarray
    siegert_hz: np.ndarray
    simulated_hz: np.ndarray
    n_spikes: np.ndarray
    duration: float
    dt: float

    @property
    def relative_error(self) -> np.ndarray:
        """``simulated / siegert - 1`` per level."""
        return self.simulated_hz / self.siegert_hz - 1.0

    def summary(self) -> str:
        """One line per input level."""
        lines = [f"LIF rate check: {self.duration:g} s per neuron, dt = {self.dt * 1e3:g} ms"]
        lines += [
            f"  h = {h:7.4g}: Siegert {s:8.3f} Hz, simulated {m:8.3f} Hz ({e:+.2%}, {k} spikes)"
            for h, s, m, e, k in zip(self.levels, self.siegert_hz, self.simulated_hz, self.relative_error, self.n_spikes)
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"LIFRateCheck(n_levels={self.levels.size}, max_relative_error={np.max(np.abs(self.relative_error)):.3g})"


def lif_rate_check(
    transfer: LIFTransfer,
    levels: np.ndarray,
    *,
    duration: float = 20.0,
    n_neurons: int = 100,
    dt: float = 2e-5,
    seed: int | None = 0,
    target: str = "numpy",
) -> LIFRateCheck:
    """Simulate LIF neurons at constant inputs in Brian2 and compare their rates with the Siegert formula.

    `n_neurons` independent neurons per level, each run for `duration` seconds (Euler–Maruyama
    with step `dt`; the first 10 tau_m are discarded). A coarse dt biases the rate (threshold
    crossings between steps are missed), so keep ``dt << tau_m``.
    """
    if not isinstance(transfer, LIFTransfer):
        raise TypeError(f"`transfer` must be a LIFTransfer; got {type(transfer).__name__}")
    levels = np.atleast_1d(np.asarray(levels, dtype=float))
    duration = check_positive("duration", duration)
    n_neurons = check_positive_int("n_neurons", n_neurons)
    dt = check_positive("dt", dt)
    b2 = import_brian2()
    rng = np.random.default_rng(seed)
    with brian2_quietly():
        previous = b2.prefs.codegen.target
        b2.prefs.codegen.target = target
        try:
            b2.seed(seed)
            ns = {"tau_m": transfer.tau_m * b2.second, "theta": transfer.threshold, "v_r": transfer.reset,
                  "sigma_v": transfer.sigma}
            group = b2.NeuronGroup(
                levels.size * n_neurons, "dv/dt = (-v + h) / tau_m + sigma_v * xi * tau_m ** -0.5 : 1 (unless refractory)\n"
                "h : 1 (constant)", threshold="v > theta", reset="v = v_r", refractory=transfer.t_ref * b2.second,
                method="euler", dt=dt * b2.second, namespace=ns,
            )
            group.h = np.repeat(levels, n_neurons)
            group.v = transfer.reset + (transfer.threshold - transfer.reset) * rng.random(levels.size * n_neurons)
            warmup = 10.0 * transfer.tau_m
            network = b2.Network(group)
            network.run(warmup * b2.second, namespace=ns)
            monitor = b2.SpikeMonitor(group)
            network.add(monitor)
            network.run(duration * b2.second, namespace=ns)
            counts = np.asarray(monitor.count[:]).reshape(levels.size, n_neurons).sum(axis=1)
        finally:
            b2.prefs.codegen.target = previous
    return LIFRateCheck(
        levels=readonly(levels), siegert_hz=readonly(transfer.rate(levels)),
        simulated_hz=readonly(counts / (n_neurons * duration)), n_spikes=readonly(counts), duration=duration, dt=dt,
    )
