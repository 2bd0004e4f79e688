"""Presets: published experiments reproduced end to end, every convention explicit (issue 16).

:func:`paper` runs the reference retrieval experiment of Betteti, Baggio, Bullo and Zampieri
(arXiv 2411.07388; theory.md §7) the way the authors' scripts run it: i.i.d. random patterns
designed with the nominal q, both signs of gamma, 40 % deletion cues, 999 Euler steps on an
explicit grid of 1000 time points, no boundary at 0 and 1, overlaps ``x . xi / (N q)``.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ._validation import check_choice, check_fraction, check_positive, check_positive_int
from ._validation import readonly as _readonly
from .core.activations import Sigmoid
from .core.design import MemoryNetwork, design
from .core.patterns import default_pattern_count, random_patterns
from .dynamics import BOUNDARIES
from .errors import InvalidInput
from .retrieval import RetrievalResult, make_cues, retrieve
from .retrieval.cues import rate_levels
from .retrieval.readout import NORMALIZATIONS, check_normalize

__all__ = ["PAPER_LEVELS", "PaperRun", "paper"]

#: The two level pairs (a, b) of the paper: global inhibition (gamma < 0) and gamma > 0.
PAPER_LEVELS = {"negative gamma": (-0.3, 0.95), "positive gamma": (0.1, 0.95)}


@dataclass(frozen=True, repr=False)
class PaperRun:
    """The reference experiment of the paper, run by :func:`paper`.

    Attributes
    ----------
    patterns : numpy.ndarray of 0/1, shape (N, P)
        The i.i.d. Bernoulli(q) patterns, shared by both networks.
    networks : mapping of str to MemoryNetwork
        ``"negative gamma"`` (a = -0.3) and ``"positive gamma"`` (a = 0.1), b = 0.95, designed
        with the nominal ``q`` and ``r = q``.
    results : mapping of str to RetrievalResult
        One retrieval run per network, from the same deletion cues (same deleted units).
    times : numpy.ndarray, shape (n_steps + 1,)
        The integration grid ``k dt``, ``k = 0, ..., n_steps`` (the authors' 1000 points
        0, 0.01, ..., 9.99 by default).
    q, rho, threshold, dt, deletion, sigma : float
    n_steps, trials : int
    boundary, normalize : str
    seed : int
    """

    patterns: np.ndarray
    networks: Mapping[str, MemoryNetwork]
    results: Mapping[str, RetrievalResult]
    times: np.ndarray
    q: float
    rho: float
    threshold: float
    dt: float
    deletion: float
    sigma: float
    n_steps: int
    trials: int
    boundary: str
    normalize: str
    seed: int

    @property
    def n_units(self) -> int:
        """N (that of every network)."""
        return next(iter(self.networks.values())).n_units

    @property
    def n_patterns(self) -> int:
        """P (that of every network)."""
        return next(iter(self.networks.values())).n_patterns

    def inactive_rate_bias(self, name: str) -> float:
        """Mean final rate of the units inactive in the cued pattern, minus ``phi(a)``, over all cues.

        0 up to noise for the paper's model; ``sigma sqrt(tau / pi)`` (+0.056 at sigma = 0.1)
        when rates are reflected at 0 (``boundary="reflect"``).
        """
        result, network = self.results[name], self.networks[name]
        inactive = self.patterns[:, result.cued] == 0
        return float(result.final_states[inactive].mean() - rate_levels(network)[0])

    def overlap_table(self) -> dict[str, dict[str, float]]:
        """Per network: mean final overlap with the cued memory and with the others, success rate."""
        return {
            name: {
                "overlap_cued": result.mean_overlap_cued,
                "overlap_other": result.mean_overlap_other,
                "success_rate": result.success_rate,
            }
            for name, result in self.results.items()
        }

    def summary(self) -> str:
        """The settings on three lines, then one line per network."""
        lines = [
            f"paper reference experiment: N={self.n_units}, P={self.n_patterns} i.i.d. random patterns, "
            f"q={self.q:g} (nominal, r=q), sigmoid rho={self.rho:g} x*={self.threshold:g}, seed={self.seed}",
            f"  cues: {self.deletion:.0%} of the active units deleted, {self.trials} per memory; "
            f"{self.n_steps} Euler steps of dt={self.dt:g} on t = 0..{self.times[-1]:g} ({self.times.size} points)",
            f"  sigma={self.sigma:g}, boundary={self.boundary}, overlap m = {NORMALIZATIONS[self.normalize]}",
        ]
        for name, row in self.overlap_table().items():
            network = self.networks[name]
            lines.append(
                f"  {name:15s} (a={network.a:g}, gamma={network.gamma:.4g}): overlap cued {row['overlap_cued']:.4f}, "
                f"others {row['overlap_other']:.4f}, success {row['success_rate']:.3f}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        cued = ", ".join(f"{name}: {row['overlap_cued']:.4f}" for name, row in self.overlap_table().items())
        return f"PaperRun(N={self.n_units}, P={self.n_patterns}, n_steps={self.n_steps}, sigma={self.sigma:g}, cued overlaps {cued})"


def paper(
    *,
    seed: int = 0,
    n_units: int = 1000,
    trials: int = 1,
    sigma: float = 0.0,
    boundary: str = "none",
    normalize: str = "nq",
    n_points: int = 1000,
    dt: float = 0.01,
) -> PaperRun:
    """Reproduce the authors' reference retrieval experiment end to end (theory.md §7).

    Every setting is the authors' unless changed here: N = 1000 units, q = 0.2, P =
    ``floor(N / (10 ln N))`` = 14 i.i.d. Bernoulli(q) patterns, sigmoid rho = 4.8 and x* = 0.2,
    tau = 1, both signs of gamma (a = -0.3 and a = 0.1, b = 0.95), the design with the nominal q
    and ``r = q``, cues that delete 40 % of a pattern's active units, Euler(–Maruyama) with
    dt = 0.01 on the grid of `n_points` = 1000 time points ``0, 0.01, ..., 9.99`` (999 steps),
    no boundary at 0 and 1, overlaps ``x . xi^nu / (N q)``.

    Parameters
    ----------
    seed : int, default 0
        Seeds the patterns, the cues (the same deleted units for both networks) and the noise
        (the same stream for both), through three children of ``numpy.random.SeedSequence(seed)``.
    n_units : int, default 1000
        N; P follows as ``floor(N / (10 ln N))``.
    trials : int, default 1
        Cues per memory.
    sigma : float, default 0.0
        Dynamical noise; 0 is the deterministic reference run.
    boundary : {"none", "reflect", "clip"}, default "none"
        See :func:`~assocrate.dynamics.euler_maruyama`; "reflect" shows the bias of reflection.
    normalize : {"nq", "pattern"}, default "nq"
        Overlap normalisation (the authors': ``"nq"``).
    n_points : int, default 1000
        Time points of the grid, including t = 0: ``n_points - 1`` steps.
    dt : float, default 0.01

    Returns
    -------
    PaperRun

    Examples
    --------
    >>> import assocrate as aa
    >>> run = aa.paper()
    >>> run.n_patterns, run.n_steps, float(run.times[-1]), run.boundary, run.normalize
    (14, 999, 9.99, 'none', 'nq')
    >>> {name: round(row["overlap_cued"], 4) for name, row in run.overlap_table().items()}  # nq: ~ phi(b)
    {'negative gamma': 0.9935, 'positive gamma': 0.9936}
    >>> run.results["positive gamma"].class_counts()["all-on"]  # gamma > 0: the all-on state wins
    12
    """
    seed = check_positive_int("seed", seed, minimum=0)
    n_units = check_positive_int("n_units", n_units, minimum=2)
    trials = check_positive_int("trials", trials)
    n_points = check_positive_int("n_points", n_points, minimum=2)
    dt = check_positive("dt", dt)
    boundary = check_choice("boundary", boundary, BOUNDARIES)
    normalize = check_normalize(normalize)
    q, rho, threshold, deletion = check_fraction("q", 0.2), 4.8, 0.2, 0.4
    pattern_seed, cue_seed, noise_seed = np.random.SeedSequence(seed).spawn(3)
    xi = random_patterns(n_units, default_pattern_count(n_units), q, seed=np.random.default_rng(pattern_seed))
    if np.any(xi.sum(axis=0) == 0):
        raise InvalidInput(f"`n_units`={n_units} is too small: a random pattern has no active unit; use more units")
    activation = Sigmoid(rho=rho, threshold=threshold)
    networks, results = {}, {}
    for name, (a, b) in PAPER_LEVELS.items():
        network = design(xi, activation, a, b, q=q, r=q)
        cues = make_cues(network, "delete", deletion, trials=trials, seed=np.random.default_rng(cue_seed))
        networks[name] = network
        results[name] = retrieve(
            network, cues, dt=dt, n_steps=n_points - 1, sigma=sigma, boundary=boundary, normalize=normalize,
            seed=np.random.default_rng(noise_seed), record_every=1,
        )
    first = next(iter(results.values()))
    return PaperRun(
        patterns=_readonly(xi),
        networks=types.MappingProxyType(networks),
        results=types.MappingProxyType(results),
        times=first.times,
        q=q,
        rho=rho,
        threshold=threshold,
        dt=dt,
        deletion=deletion,
        sigma=first.sigma,
        n_steps=first.n_steps,
        trials=trials,
        boundary=first.boundary,
        normalize=first.normalize,
        seed=seed,
    )
