"""The Siegert rate against Brian2: LIF neurons at constant inputs (theory.md §6b).

:func:`lif_rate_check` simulates independent LIF neurons with the white-noise input of a
:class:`~assocrate.core.lif.LIFTransfer` and compares their rates with ``LIFTransfer.rate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_positive, check_positive_int, readonly
from ..core.lif import LIFTransfer
from ..errors import InvalidType
from ._brian import brian2_quietly, import_brian2

__all__ = ["LIFRateCheck", "lif_rate_check"]


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
        raise InvalidType(f"`transfer` must be a LIFTransfer; got {type(transfer).__name__}")
    levels = np.atleast_1d(np.asarray(levels, dtype=float))
    duration = check_positive("duration", duration)
    n_neurons = check_positive_int("n_neurons", n_neurons)
    dt = check_positive("dt", dt)
    b2 = import_brian2()
    rng = np.random.default_rng(seed)
    with brian2_quietly():
        previous, global_state = b2.prefs.codegen.target, np.random.get_state()
        b2.prefs.codegen.target = target
        try:
            b2.seed(seed)  # also seeds numpy's global generator (the numpy target draws from it): restored below
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
            np.random.set_state(global_state)
    return LIFRateCheck(
        levels=readonly(levels), siegert_hz=readonly(transfer.rate(levels)),
        simulated_hz=readonly(counts / (n_neurons * duration)), n_spikes=readonly(counts), duration=duration, dt=dt,
    )
