"""Simulate a :class:`~assocrate.spiking.SpikingNetwork` in Brian2, many cues at once (theory.md §6b).

Every cue gets its own copy of the network inside one Brian2 run (:mod:`~assocrate.spiking.model`);
the result is read out through the latent traces and classified with the rule of
:func:`assocrate.retrieve` (:mod:`~assocrate.spiking.result`). Times are in units of the
design's tau (one unit = ``tau_syn`` seconds).
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_choice, check_positive, check_positive_int, readonly
from ..errors import InvalidInput, InvalidType
from ..retrieval import DEFAULT_TOL, CueSet, classify
from ..retrieval.readout import check_tol
from ..retrieval.retrieve import settling_times
from ._brian import brian2_quietly, import_brian2
from .model import build_model, input_segments
from .realization import SpikingNetwork
from .result import SpikingResult, frame_classes, latent_features

__all__ = ["CODEGEN_TARGETS", "simulate_spiking"]

#: Brian2 code generation targets: "numpy" needs no compiler, "cython" compiles once (cached).
CODEGEN_TARGETS = ("numpy", "cython")


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
        From :func:`assocrate.make_cues` or :func:`~assocrate.retrieval.nonstored_cues`;
        the traces start at the cue's rates ``s(0) = x0``; input cues are applied piece by piece.
    t_max : float
        Duration in units of tau.
    dt : float, default 0.01
        Brian2 time step in units of tau (0.1 ms for tau = 10 ms).
    seed : int, optional
        Seeds Brian2 (``brian2.seed``) and the initial membrane potentials; default ``sn.seed``
        (None: fresh entropy). The same seed gives the same spikes.
    record_every : int, default 10
        Latent traces are recorded every this many steps.
    rate_window : float, optional
        Window at the end (units of tau) over which `window_rates_hz` counts spikes; default
        ``t_max / 2``.
    tol : float, default 0.15
        Classification tolerance, in (0, 0.5) (see :func:`assocrate.classify`).
    target : {"numpy", "cython"}, default "numpy"
        Brian2 code generation target ("cython" compiles once, then is faster for long runs).

    Returns
    -------
    SpikingResult

    Raises
    ------
    InvalidInput
        For cues of another network size, a bad duration, step, window, tolerance or target.
    ImportError
        If Brian2 is not installed (``pip install 'assocrate[spiking]'``).

    Notes
    -----
    The final class comes from the time-averaged spike rates over the last `rate_window`
    (``window_rates_hz / r_max``, classified by :func:`assocrate.classify`); the class over time
    from the latent features averaged over the preceding tau (a single trace fluctuates like
    ``1/sqrt(r_max tau n)``), and the settling time from those classes as in
    :func:`assocrate.retrieve`.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> sn = aa.spiking_realization(net, r_max=100.0, seed=0)
    >>> result = aa.simulate_spiking(sn, aa.make_cues(net, "delete", 0.4, seed=1), 3.0)  # doctest: +SKIP
    >>> result.success_rate  # doctest: +SKIP
    1.0
    """
    if not isinstance(sn, SpikingNetwork):
        raise InvalidType(f"`sn` must be a SpikingNetwork; got {type(sn).__name__}")
    if not isinstance(cues, CueSet):
        raise InvalidType(f"`cues` must be a CueSet (see make_cues); got {type(cues).__name__}")
    net = sn.network
    if cues.x0.shape[0] != net.n_units:
        raise InvalidInput(f"`cues` must have {net.n_units} units; got {cues.x0.shape[0]}")
    if np.any(cues.cued >= net.n_patterns):
        raise InvalidInput(f"`cues` name memories beyond the network's {net.n_patterns}")
    t_max = check_positive("t_max", t_max)
    dt = check_positive("dt", dt)
    record_every = check_positive_int("record_every", record_every)
    n_steps = max(1, int(round(t_max / dt)))
    t_max = n_steps * dt
    rate_window = 0.5 * t_max if rate_window is None else min(check_positive("rate_window", rate_window), t_max)
    target = check_choice("target", target, CODEGEN_TARGETS)
    tol = check_tol(tol)
    seed = sn.seed if seed is None else check_positive_int("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    unit_s = sn.time_unit
    b2 = import_brian2()
    with brian2_quietly():
        previous, global_state = b2.prefs.codegen.target, np.random.get_state()
        b2.prefs.codegen.target = target
        try:
            b2.seed(seed)  # also seeds numpy's global generator (the numpy target draws from it): restored below
            x0 = np.asarray(cues.x0, dtype=float)
            network_b2, group, latent, monitor, spikes, ns, signs = build_model(
                b2, sn, x0, dt * unit_s, record_every * dt * unit_s, rng
            )
            N, B, n = net.n_units, x0.shape[1], sn.neurons_per_unit
            for start, stop, u in input_segments(cues, t_max):
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
            np.random.set_state(global_state)
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
        time_to_converge=readonly(settling_times(times, frame_labels)),
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
