"""One cell of the capacity experiment, and the capacity curve pooled from many (theory.md §3, §4, §7).

A cell draws P random patterns, designs the network, refines every memory to a true equilibrium,
tests its local stability and cues it once; :func:`assocrate.sweeps.capacity` runs the cells
(serially or on dask.distributed) and pools them with :func:`capacity_rates` into a
:class:`CapacityCurve`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .._budget import capacity_cost, check_cost
from .._summary import Summarized
from .._validation import check_finite_float, check_fraction, check_positive, check_positive_int
from .._validation import readonly as _readonly
from ..core.activations import Activation
from ..core.design import MemoryNetwork, design
from ..core.equilibria import refine_equilibrium
from ..core.patterns import random_patterns
from ..dynamics import EulerMaruyamaStatus, blas_threads_for, euler_maruyama
from ..errors import InvalidInput, InvalidType
from ._report import format_value, json_float, last_passing
from .cues import CueSet, make_cues, parse_cue
from .readout import Outcome, check_tol, classify_features, ideal_states, readout_matrix
from .retrieve import retrieve

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "RATE_COUNTS",
    "CapacityCell",
    "CapacityCurve",
    "CapacitySetup",
    "capacity_cell",
    "capacity_rates",
    "capacity_result",
    "capacity_setup",
]

# Newton iterations per start in the capacity check. At N = 2000, P = 200 the converging starts took
# 4-9 iterations, the others ran 13-16 before stagnating; at P = 300 (no memory is an equilibrium)
# the Gram matrices of these failing runs were 45 of a cell's 94 s. A start that needs more than 8
# is relaxed by the dynamics and retried (a stable equilibrium is then found from closer).
_NEWTON_ITERATIONS = 8
# Duration (units of tau) of each segment of the relaxation of the memories Newton did not refine.
_RELAX_SEGMENT = 2.0
# Euler step and dtype of that relaxation (units of tau). It only seeds Newton (float64), which then
# decides: steps of 0.05 instead of 0.01 made a P = 300 cell at N = 2000 1.8x faster (the batch
# shrank alike: 300, 296, 259/260, 196, 157/161, ... trajectories at t = 6, 8, ..., 14), float32 a
# further 1.2x. What it changes is which marginal memories a relaxation lands near enough for
# Newton: see the counts in the README (`assocrate capacity`) and tests/retrieval/test_capacity.py.
_RELAX_DT = 0.05
_RELAX_DTYPE = np.float32
# The relaxation stops early when every trajectory left moves slower than this (per unit time): a
# float32 state never gets below about 6e-7, one unit in the last place, even at an equilibrium.
_RELAX_STEADY = 1e-5


@dataclass(frozen=True)
class _MemoryAssessment:
    equilibrium: np.ndarray  # (P,) bool: refinement converged to a state classified as memory mu
    stable: np.ndarray  # (P,) bool: verdict STABLE there (assocrate.stability.local)
    max_eigenvalue: np.ndarray  # (P,) float (NaN without an equilibrium)


def _assess_memories(network: MemoryNetwork, tol: float, *, t_relax: float = 20.0) -> _MemoryAssessment:
    """Locate the true equilibrium near each memory and test its local stability (theory.md §3, §4).

    Newton's method starts from the rescaled memory; where it fails (it stalls when the design
    residual is large), the memories concerned are relaxed by the deterministic dynamics for up to
    `t_relax` (one batch, in float32 steps of 0.05, in segments of t = 2; a trajectory no longer
    classified as its memory at the end of a segment is dropped) and Newton restarts from where they
    are; Newton gives up a start when tol is out of its reach. A memory is an equilibrium if
    Newton converges to a state still classified as that memory. Stability from the reduced
    problem: spec(J) = {-1} U {-1 + spec(C U^T D U)} (tau = 1), D = diag(phi'(h)) there.
    """
    from ..stability import Verdict, spectrum_at_state  # lazy: keeps importing retrieval cheap

    ideals = ideal_states(network)
    readout = readout_matrix(network)
    n_patterns = network.n_patterns
    equilibrium = np.zeros(n_patterns, dtype=bool)
    stable = np.zeros(n_patterns, dtype=bool)
    max_eigenvalue = np.full(n_patterns, np.nan)

    def still_memories(memories: list[int], X: np.ndarray) -> np.ndarray:
        """Whether each column of X (N, len(memories)) is still classified as its memory."""
        labels, _, _ = classify_features(readout.T @ X, ideals, np.array(memories), tol)
        return labels == Outcome.CUED.value

    def accept(mu: int, start: np.ndarray) -> bool:
        refined = refine_equilibrium(network, start, max_iter=_NEWTON_ITERATIONS, give_up_early=True)
        if not refined.success or not still_memories([mu], refined.x[:, None])[0]:
            return False
        # the verdict of assocrate.stability.local (same tolerance), so the two modules cannot disagree
        spectrum = spectrum_at_state(network, mu, refined.h, refined.residual, refined.status.value)
        max_eigenvalue[mu] = spectrum.max_eigenvalue
        equilibrium[mu], stable[mu] = True, spectrum.verdict is Verdict.STABLE
        return True

    rates = network.memory_rates()
    failed = [mu for mu in range(n_patterns) if not accept(mu, rates[:, mu])]
    # relax the failed memories in segments; a trajectory that left its memory is dropped (no
    # equilibrium near the memory to find), so beyond capacity, where most memories drift away
    # between t = 6 and t = 20, the batch shrinks instead of running all of t_relax
    dt, states, elapsed = _RELAX_DT, rates[:, failed], 0.0
    steps = max(1, int(round(_RELAX_SEGMENT / dt)))
    while failed and elapsed < t_relax:
        run = euler_maruyama(network, states, dt, steps, sigma=0.0, record_every=steps, steady_tol=_RELAX_STEADY,
                             dtype=_RELAX_DTYPE)
        elapsed += steps * dt
        kept = np.flatnonzero(still_memories(failed, run.final))
        failed, states = [failed[j] for j in kept], run.final[:, kept]
        if run.status is EulerMaruyamaStatus.STEADY:
            break
    for j, mu in enumerate(failed):
        accept(mu, states[:, j])
    return _MemoryAssessment(equilibrium, stable, max_eigenvalue)


@dataclass(frozen=True, repr=False)
class CapacityCurve(Summarized):
    """Fraction of stored random memories that work, against the load P/N (:func:`assocrate.sweeps.capacity`).

    A memory counts only if (1) Newton refinement from its rescaled pattern converges to an
    equilibrium that is still classified as that memory, (2) the equilibrium is locally stable
    (verdict STABLE of :mod:`assocrate.stability.local`: largest Jacobian eigenvalue below 0 beyond
    rounding, from the reduced (P+1) x (P+1) problem), and (3) a cue made
    from it is retrieved.

    Attributes
    ----------
    n_units : int
    loads : numpy.ndarray, shape (L,)
        Actual loads ``P / N``.
    n_patterns : numpy.ndarray of int, shape (L,)
    trials : int
        Independent pattern sets per load.
    equilibrium_rate, stable_rate, retrieval_rate, success_rate : numpy.ndarray, shape (L,)
        Fractions of memories that are equilibria; stable equilibria; retrieved from their cue
        (only memories that are equilibria are cued, so ``retrieval_rate <= equilibrium_rate``);
        and all three (the capacity criterion).
    max_eigenvalue : numpy.ndarray, shape (L,)
        Mean over memories with an equilibrium of the largest Jacobian eigenvalue (NaN if none).
    q, a, b : float
    activation : str
    cue : str
    seed : int or None
    dataset : xarray.Dataset
        The per-cell Dataset the rates were pooled from (the format of
        :func:`assocrate.sweeps.capacity`; write it with :func:`assocrate.sweeps.save_dataset`).
    """

    n_units: int
    loads: np.ndarray
    n_patterns: np.ndarray
    trials: int
    equilibrium_rate: np.ndarray
    stable_rate: np.ndarray
    retrieval_rate: np.ndarray
    success_rate: np.ndarray
    max_eigenvalue: np.ndarray
    q: float
    a: float
    b: float
    activation: str
    cue: str
    seed: int | None
    dataset: xr.Dataset = field(compare=False)

    def capacity(self, threshold: float = 0.9) -> float:
        """Largest tested load up to which the success rate stays >= `threshold` (NaN if never)."""
        return last_passing(self.loads, self.success_rate, threshold)

    def to_record(self) -> dict:
        """A JSON-ready dictionary (what ``assocrate capacity --json`` prints)."""
        return {
            "n_units": self.n_units,
            "q": self.q,
            "a": self.a,
            "b": self.b,
            "activation": self.activation,
            "cue": self.cue,
            "trials": self.trials,
            "seed": self.seed,
            "loads": self.loads.tolist(),
            "n_patterns": self.n_patterns.tolist(),
            "equilibrium_rate": self.equilibrium_rate.tolist(),
            "stable_rate": self.stable_rate.tolist(),
            "retrieval_rate": self.retrieval_rate.tolist(),
            "success_rate": self.success_rate.tolist(),
            "capacity_0.9": json_float(self.capacity(0.9)),
        }

    def summary(self) -> str:
        """A table: load, P, and the fraction of memories passing each test."""
        lines = [
            f"capacity curve: N={self.n_units}, q={self.q:g}, a={self.a:g}, b={self.b:g}, {self.activation}, "
            f"cue {self.cue}, {self.trials} pattern set(s) per load",
            "   P/N     P  equilibrium  stable  retrieved  all three",
        ]
        for row in zip(self.loads, self.n_patterns, self.equilibrium_rate, self.stable_rate, self.retrieval_rate,
                       self.success_rate):
            lines.append("  {:6.4f} {:4d}  {:11.3f}  {:6.3f}  {:9.3f}  {:9.3f}".format(*row))
        lines.append(f"  success >= 0.9 up to P/N = {format_value(self.capacity(0.9), '.4g')}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"CapacityCurve(n_units={self.n_units}, n_loads={self.loads.size}, trials={self.trials}, "
            f"capacity_0.9={self.capacity(0.9):.4g})"
        )


#: Draws of a random pattern set allowed before a capacity cell gives up on an empty pattern.
_MAX_REDRAWS = 100


@dataclass(frozen=True, repr=False)
class CapacitySetup:
    """The validated arguments of a capacity experiment: everything one (load, trial) cell needs.

    What :func:`assocrate.sweeps.capacity` checks before any cell runs, and what it sends with
    every cell (to this process or to a dask worker).
    """

    n: int
    loads: np.ndarray  # (L,) the requested loads
    n_patterns: np.ndarray  # (L,) P = max(1, round(load * n))
    q: float
    activation: Activation
    a: float
    b: float
    trials: int
    cue: str
    kind: str
    level: float
    duration: float
    t_max: float
    dt: float
    tol: float

    @property
    def n_steps(self) -> int:
        """Euler steps of each cue's run, ``max(1, round(t_max / dt))``, as
        :func:`~assocrate.retrieval.retrieve` takes them from `t_max`."""
        return max(1, int(round(self.t_max / self.dt)))

    def seeds(self, seed: int | None) -> list[np.random.SeedSequence]:
        """One child of ``SeedSequence(seed)`` per cell; cell (i, t) gets child ``i * trials + t``."""
        return np.random.SeedSequence(seed).spawn(self.n_patterns.size * self.trials)


def capacity_setup(
    n: object,
    loads: object,
    q: object,
    activation: Activation,
    levels: object,
    trials: object,
    seed: object,
    *,
    cue: str,
    t_max: object,
    dt: object,
    tol: object,
) -> CapacitySetup:
    """Check the arguments of :func:`assocrate.sweeps.capacity` (named in every error) before any cell runs."""
    n = check_positive_int("n", n, minimum=2)
    load_array = np.asarray(loads, dtype=float)
    if load_array.ndim != 1 or load_array.size == 0 or not np.all(np.isfinite(load_array)) or np.any(load_array <= 0):
        raise InvalidInput(f"`loads` must be a non-empty 1-D sequence of numbers > 0; got {loads!r}")
    q = check_fraction("q", q)
    if not all(hasattr(activation, name) for name in ("name", "rho", "threshold", "phi", "dphi")):
        raise InvalidType(f"`activation` must be an Activation (Sigmoid or RectifiedTanh); got {activation!r}")
    if len(levels) != 2:
        raise InvalidInput(f"`levels` must be (a, b); got {levels!r}")
    a, b = check_finite_float("levels[0]", levels[0]), check_finite_float("levels[1]", levels[1])
    trials = check_positive_int("trials", trials)
    if seed is not None:
        check_positive_int("seed", seed, minimum=0)
    kind, level, duration = parse_cue(cue)
    t_max, dt = check_positive("t_max", t_max), check_positive("dt", dt)
    if dt > t_max:
        raise InvalidInput(f"`dt` must be <= `t_max`; got dt={dt!r}, t_max={t_max!r}")
    n_patterns = np.maximum(1, np.round(load_array * n)).astype(int)
    check_cost(
        capacity_cost(n, n_patterns.tolist(), trials, int(round(t_max / dt))),
        f"capacity: N={n}, up to P={int(n_patterns.max())} patterns, {n_patterns.size} loads x {trials} trials",
        "`loads` (P = load x N), `n`, `trials` or `t_max`",
    )
    return CapacitySetup(
        n=n, loads=_readonly(load_array.copy()), n_patterns=_readonly(n_patterns), q=q, activation=activation,
        a=a, b=b, trials=trials, cue=cue, kind=kind, level=level, duration=duration, t_max=t_max, dt=dt,
        tol=check_tol(tol),
    )


@dataclass(frozen=True)
class CapacityCell:
    """What one (load, trial) cell found: counts of its P memories, and its eigenvalue sum."""

    equilibria: int  # refined to an equilibrium still classified as the memory
    stable: int  # ... and that equilibrium has the verdict STABLE
    retrieved: int  # its cue was retrieved (only memories that are equilibria are cued)
    success: int  # all three
    eigenvalue_sum: float  # sum of the largest Jacobian eigenvalue over memories with an equilibrium
    eigenvalue_count: int  # how many memories that sum has


def _cues_of(network: MemoryNetwork, cues: CueSet, memories: np.ndarray, duration: float) -> CueSet:
    """The cues of `cues` (one per memory) made from `memories`; an input cue (no randomness) is remade."""
    if cues.kind == "input":
        return make_cues(network, "input", cues.level, memories=memories.tolist(), duration=duration)
    return CueSet(
        x0=_readonly(np.ascontiguousarray(cues.x0[:, memories])), cued=_readonly(cues.cued[memories].copy()), u=None,
        kind=cues.kind, level=cues.level,
    )


def capacity_cell(setup: CapacitySetup, n_patterns: int, seed: np.random.SeedSequence) -> CapacityCell:
    """One (load, trial) cell: draw P random patterns, design, check every memory, cue it once.

    A pure function of its arguments (all randomness from `seed`), so a cell gives the same numbers
    in any process and in any order; it is the task :func:`assocrate.sweeps.capacity` sends
    to dask workers. (Cells running concurrently in threads of one process share its BLAS thread
    pool, whose size they change, and may then differ in the last bits of `eigenvalue_sum`.)
    """
    n, q = setup.n, setup.q
    rng = np.random.default_rng(seed)
    xi = random_patterns(n, n_patterns, q, seed=rng)
    for _ in range(_MAX_REDRAWS):  # an empty pattern has no overlap; redraw (tiny N only)
        if not np.any(xi.sum(axis=0) == 0):
            break
        xi = random_patterns(n, n_patterns, q, seed=rng)
    else:
        raise InvalidInput(
            f"`n` * `q` is too small: with n={n}, q={q} a random pattern is empty too often "
            f"({_MAX_REDRAWS} draws of {n_patterns} patterns); increase n or q"
        )
    network = design(xi, setup.activation, setup.a, setup.b, q=q, r=q)
    with blas_threads_for(n, n_patterns + 1, n_patterns + 1):  # Newton's Gram matrix is the largest product
        check = _assess_memories(network, setup.tol)
    # every cue is drawn (the random stream does not depend on which memories are equilibria), but
    # only the memories that are equilibria are run: the others cannot count as a success
    cues = make_cues(network, setup.kind, setup.level, duration=setup.duration, seed=rng)
    retrieved = np.zeros(n_patterns, dtype=bool)
    if check.equilibrium.any():
        chosen = _cues_of(network, cues, np.flatnonzero(check.equilibrium), setup.duration)
        # only the final state is classified: record no frame between the cue and the end (with the
        # readouts and classification of 100 frames the capacity command took 5 min 14 s, without 4 min 42 s)
        result = retrieve(network, chosen, n_steps=setup.n_steps, dt=setup.dt, seed=rng, tol=setup.tol,
                          record_every=setup.n_steps)
        retrieved[chosen.cued] = result.success
    finite = np.isfinite(check.max_eigenvalue)
    return CapacityCell(
        equilibria=int(check.equilibrium.sum()),
        stable=int(check.stable.sum()),
        retrieved=int(retrieved.sum()),
        success=int(np.sum(check.equilibrium & check.stable & retrieved)),
        eigenvalue_sum=float(check.max_eigenvalue[finite].sum()),
        eigenvalue_count=int(finite.sum()),
    )


#: The per-cell counts of a capacity experiment, in the order of :func:`capacity_rates`' columns.
RATE_COUNTS = ("equilibria", "stable", "retrieved", "success")


def capacity_rates(
    n_patterns: np.ndarray, counts: np.ndarray, eigenvalue_sum: np.ndarray, eigenvalue_count: np.ndarray,
    done: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-load rates (L, 4) in the order of `RATE_COUNTS` and mean largest eigenvalue (L,).

    `counts` (L, T, 4), `eigenvalue_sum` and `eigenvalue_count` (L, T) hold the cells; only cells
    with `done` (L, T) count. Rates are totals over the finished trials divided by P times their
    number (NaN for a load with none); sums run over trials in order, so every caller gets the
    same floating-point numbers.
    """
    n_loads, trials = done.shape
    totals = np.zeros((n_loads, len(RATE_COUNTS)))
    eigen_sum, eigen_count = np.zeros(n_loads), np.zeros(n_loads)
    for trial in range(trials):
        finished = done[:, trial]
        totals += np.where(finished[:, None], counts[:, trial], 0)
        eigen_sum += np.where(finished, eigenvalue_sum[:, trial], 0.0)
        eigen_count += np.where(finished, eigenvalue_count[:, trial], 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = totals / (n_patterns * done.sum(axis=1))[:, None]
        mean_eigen = np.where(eigen_count > 0, eigen_sum / np.maximum(eigen_count, 1), np.nan)
    return rates, mean_eigen


def capacity_result(
    setup: CapacitySetup, seed: int | None, counts: np.ndarray, eigenvalue_sum: np.ndarray,
    eigenvalue_count: np.ndarray, dataset: xr.Dataset,
) -> CapacityCurve:
    """The :class:`CapacityCurve` of a finished experiment (every cell done); arrays as in `capacity_rates`.

    `dataset` is the experiment's per-cell Dataset, kept as the curve's ``dataset``.
    """
    rates, mean_eigen = capacity_rates(
        setup.n_patterns, counts, eigenvalue_sum, eigenvalue_count, np.ones(counts.shape[:2], dtype=bool)
    )
    return CapacityCurve(
        n_units=setup.n,
        loads=_readonly(setup.n_patterns / setup.n),
        n_patterns=_readonly(setup.n_patterns.copy()),
        trials=setup.trials,
        equilibrium_rate=_readonly(rates[:, 0].copy()),
        stable_rate=_readonly(rates[:, 1].copy()),
        retrieval_rate=_readonly(rates[:, 2].copy()),
        success_rate=_readonly(rates[:, 3].copy()),
        max_eigenvalue=_readonly(mean_eigen),
        q=setup.q,
        a=setup.a,
        b=setup.b,
        activation=repr(setup.activation),
        cue=setup.cue,
        seed=seed,
        dataset=dataset,
    )

