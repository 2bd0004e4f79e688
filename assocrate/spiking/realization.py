"""Spiking realizations of a designed network: Poisson or LIF neurons, low-rank synapses (theory.md §6b).

Each of the N designed units becomes `neurons_per_unit` (n) spiking neurons. A spike of a neuron of
unit i adds ``1 / (n r_max tau_s)`` to the unit's synaptic trace s_i (decay tau_s), so that the
trace is the unit's filtered rate in the units of phi, and the input current is
``h = W s + u``. W is never formed: with ``W = L1 diag(c1) R1^T``
(:attr:`~assocrate.core.design.MemoryNetwork.augmented_factors`: ``L1 = R1 = U`` for the betteti
rule, ``[L, 1]``, ``[R, 1]`` for the projection rule, symmetric or not) the spikes drive the P + 1
latent traces ``z = R1^T s`` and the current is ``h = L1 C z + u`` (theory.md §6b). With ``tau_s = tau`` the expected dynamics of s are
the designed rate network ``tau x' = -x + Phi(W x + u)``; fluctuations shrink like
``1/sqrt(r_max tau n)``.

- ``neuron="poisson"``: neuron j of unit i spikes as a Poisson process of rate ``r_max phi(h_i)``.
- ``neuron="lif"``: the design's activation must be :class:`~assocrate.core.lif.LIFTransfer`;
  the neurons are LIF neurons ``tau_m v' = -v + h + sigma sqrt(tau_m) xi`` with its threshold,
  reset, refractory period and noise, so that they fire at ``phi(h) / t_ref`` (``r_max = 1/t_ref``).
- Dale's law: pass a :class:`~assocrate.dale.DaleNetwork`; the excitatory units use
  ``W_EE = L1 C_EE R1^T >= 0`` and the N_I inhibitory units become Poisson populations of rate
  ``r_max mean(s_E)`` whose traces (decay tau_I) inhibit every excitatory unit by ``-w_EI / N_I``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import check_choice, check_positive, check_positive_int
from ..core.activations import RectifiedTanh, Sigmoid
from ..core.design import MemoryNetwork
from ..core.lif import LIFTransfer
from ..dale import DaleNetwork
from ..errors import InvalidInput, InvalidType

__all__ = ["NEURON_MODELS", "SpikingNetwork", "spiking_realization"]

#: Neuron models of :func:`spiking_realization`.
NEURON_MODELS = ("poisson", "lif")


@dataclass(frozen=True, repr=False)
class SpikingNetwork:
    """A designed network realized with spiking neurons (build it with :func:`spiking_realization`).

    Attributes
    ----------
    network : MemoryNetwork
        The design (its N units; the excitatory units of a Dale realization).
    neuron : {"poisson", "lif"}
    neurons_per_unit : int
        n spiking neurons per unit (and per inhibitory unit).
    tau_syn : float
        Synaptic time constant tau_s in seconds; one time unit of the design (its tau) lasts
        ``tau_syn`` seconds, so ``tau_s = tau``.
    r_max : float
        Rate in Hz at ``phi = 1`` (``1/t_ref`` for LIF neurons).
    seed : int or None
        Default seed of :func:`~assocrate.spiking.simulate_spiking`.
    dale : DaleNetwork or None
        The Dale's-law realization, when the spiking network has an inhibitory population.
    """

    network: MemoryNetwork
    neuron: str
    neurons_per_unit: int
    tau_syn: float
    r_max: float
    seed: int | None
    dale: DaleNetwork | None = None

    @property
    def n_units(self) -> int:
        """N designed (excitatory) units."""
        return self.network.n_units

    @property
    def n_inhibitory(self) -> int:
        """Inhibitory units N_I (0 without Dale's law)."""
        return 0 if self.dale is None else self.dale.n_inhibitory

    @property
    def n_neurons(self) -> int:
        """Spiking neurons per cue: ``n (N + N_I)``."""
        return self.neurons_per_unit * (self.n_units + self.n_inhibitory)

    @property
    def time_unit(self) -> float:
        """Seconds per unit of the design's time (``tau_syn / tau``)."""
        return self.tau_syn / self.network.tau

    @property
    def tau_inhibitory(self) -> float:
        """tau_I in seconds (NaN without Dale's law)."""
        return math.nan if self.dale is None else self.dale.tau_inhibitory * self.time_unit

    @property
    def trace_increment(self) -> float:
        """``1 / (n r_max tau_s)``: what one spike adds to its unit's trace."""
        return 1.0 / (self.neurons_per_unit * self.r_max * self.tau_syn)

    @property
    def c(self) -> np.ndarray:
        """Diagonal of the C used by the excitatory currents, ``h = L1 diag(c) z`` (``C_EE`` under Dale's law)."""
        return self.network.augmented_factors[1] if self.dale is None else self.dale.c_EE

    @property
    def fluctuation_scale(self) -> float:
        """``1 / sqrt(r_max tau_s n)``: the relative size of a unit's trace fluctuations."""
        return 1.0 / math.sqrt(self.r_max * self.tau_syn * self.neurons_per_unit)

    def rate_hz(self, h: np.ndarray) -> np.ndarray:
        """Expected firing rate in Hz at input current `h`: ``r_max phi(h)``."""
        return self.r_max * self.network.activation.phi(h)

    def summary(self) -> str:
        """Neuron model, sizes, time constants and the synapse route."""
        lines = [
            f"SpikingNetwork: {self.neuron} neurons, {self.neurons_per_unit} per unit, "
            f"{self.n_neurons} neurons per cue (N={self.n_units}"
            + (f" excitatory + N_I={self.n_inhibitory} inhibitory units)" if self.dale is not None else " units)"),
            f"  tau_s       {self.tau_syn * 1e3:g} ms (= tau), r_max {self.r_max:g} Hz, "
            f"fluctuations ~ 1/sqrt(r_max tau n) = {self.fluctuation_scale:.3g}",
            f"  synapses    spikes -> {self.network.n_patterns + 1} latent traces "
            + ("z = U^T s -> currents U C z" if self.network.is_symmetric else "z = [R, 1]^T s -> currents [L, 1] C z")
            + " (no N x N synapses)",
        ]
        if self.dale is not None:
            lines.append(f"  inhibition  tau_I {self.tau_inhibitory * 1e3:g} ms, w_EI = {self.dale.w_EI:.6g}")
        lines.append(f"  design      {self.network!r}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"SpikingNetwork(neuron={self.neuron!r}, n_units={self.n_units}, neurons_per_unit={self.neurons_per_unit}, "
            f"n_inhibitory={self.n_inhibitory}, tau_syn={self.tau_syn:g}, r_max={self.r_max:g})"
        )


def spiking_realization(
    network: MemoryNetwork | DaleNetwork,
    *,
    neuron: str = "poisson",
    neurons_per_unit: int = 1,
    tau_syn: float = 0.01,
    r_max: float | None = None,
    seed: int | None = None,
) -> SpikingNetwork:
    """Realize a designed network (or its Dale realization) with spiking neurons.

    Parameters
    ----------
    network : MemoryNetwork or DaleNetwork
        A design (:func:`assocrate.design`), or a :func:`~assocrate.dale_realization` of one for
        the Dale's-law variant (excitatory units plus Poisson inhibitory populations).
    neuron : {"poisson", "lif"}, default "poisson"
        Poisson units need a :class:`~assocrate.Sigmoid` or :class:`~assocrate.RectifiedTanh`
        activation; LIF units a :class:`~assocrate.LIFTransfer`.
    neurons_per_unit : int, default 1
    tau_syn : float, default 0.01
        tau_s = tau in seconds.
    r_max : float, optional
        Rate at phi = 1 in Hz; default 100 Hz for Poisson units, and ``1/t_ref`` (the only value
        allowed) for LIF units.
    seed : int, optional
        Default seed for the simulations.

    Returns
    -------
    SpikingNetwork

    Raises
    ------
    InvalidInput
        For a neuron model that does not fit the design's activation, or an `r_max` other than
        ``1/t_ref`` for LIF neurons.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> sn = aa.spiking_realization(net, neurons_per_unit=4, r_max=100.0, seed=0)
    >>> sn
    SpikingNetwork(neuron='poisson', n_units=1000, neurons_per_unit=4, n_inhibitory=0, tau_syn=0.01, r_max=100)
    >>> print(f"{sn.trace_increment:.4f}")
    0.2500
    """
    dale = None
    if isinstance(network, DaleNetwork):
        dale, network = network, network.network
    if not isinstance(network, MemoryNetwork):
        raise InvalidType(f"`network` must be a MemoryNetwork or a DaleNetwork; got {type(network).__name__}")
    neuron = check_choice("neuron", neuron, NEURON_MODELS)
    neurons_per_unit = check_positive_int("neurons_per_unit", neurons_per_unit)
    tau_syn = check_positive("tau_syn", tau_syn)
    activation = network.activation
    if neuron == "poisson":
        if not isinstance(activation, (Sigmoid, RectifiedTanh)):
            raise InvalidInput(
                f"`neuron='poisson'` needs a Sigmoid or RectifiedTanh activation; got {activation!r} "
                "(design with LIFTransfer for neuron='lif')"
            )
        r_max = 100.0 if r_max is None else check_positive("r_max", r_max)
    else:
        if not isinstance(activation, LIFTransfer):
            raise InvalidInput(f"`neuron='lif'` needs a network designed with LIFTransfer; got {activation!r}")
        if r_max is not None and not math.isclose(check_positive("r_max", r_max), activation.max_rate, rel_tol=1e-9):
            raise InvalidInput(
                f"`r_max` of LIF neurons is 1/t_ref = {activation.max_rate:g} Hz (phi = t_ref * rate); got {r_max!r}"
            )
        r_max = activation.max_rate
    if seed is not None:
        seed = check_positive_int("seed", seed, minimum=0)  # Brian2 seeds with an int
    return SpikingNetwork(
        network=network, neuron=neuron, neurons_per_unit=neurons_per_unit, tau_syn=tau_syn, r_max=float(r_max),
        seed=None if seed is None else int(seed), dale=dale,
    )
