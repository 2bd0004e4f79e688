"""The global convergence statement of the energy theorem, checked on sampled trajectories (theory.md §5 item 1).

Discrete time (derived; the basis of :func:`global_convergence`). Let
``lambda_- = max(0, -lambda_min(W))`` and let phi be non-decreasing and ``rho``-Lipschitz. Then
one explicit Euler step of relative size ``s = dt / tau`` in (0, 1] does not increase the energy
when ``s <= s_max = 1 / (1 + rho lambda_- / 2)``; precisely

- rate form, ``x+ = x + s d`` with ``d = Phi(z) - x``:
  ``E(x+) - E(x) <= -s [(1 - s)/rho - s lambda_-/2] |d|^2``;
- current form, ``h+ = h + s (z - h)`` with ``z = W Phi(h) + u`` and ``delta = Phi(h+) - Phi(h)``:
  ``E_c(h+) - E_c(h) <= -[(1 - s)/(s rho) - lambda_-/2] |delta|^2``.

Proof (rate form). The quadratic part changes by ``-s z^T d - s^2/2 d^T W d``, at most
``-s z^T d + s^2 lambda_-/2 |d|^2``. For Psi, ``Psi(x_i + s d_i) - Psi(x_i) = int_0^s
phi^{-1}(x_i + t d_i) d_i dt``; the integrand is non-decreasing in t, so the change is at most
``s w_i d_i`` with ``w_i = phi^{-1}(x_i + s d_i)``. Write ``s w_i d_i = s z_i d_i - s (z_i - w_i)
d_i``. Since ``phi(w_i) = x_i + s d_i`` lies between ``x_i`` and ``phi(z_i)``, we have
``phi(z_i) - phi(w_i) = (1 - s) d_i``, and a non-decreasing rho-Lipschitz phi gives
``(z_i - w_i)(phi(z_i) - phi(w_i)) >= (phi(z_i) - phi(w_i))^2 / rho``; hence
``s (z_i - w_i) d_i >= s (1 - s) d_i^2 / rho``. Summing, the ``s z^T d`` terms cancel and the
bound follows. Current form: the same steps with ``int_{h_i}^{h_i^+} t phi'(t) dt <= h_i^+
delta_i`` (phi' >= 0), ``h^+ - z = (1 - s)(h - z)`` and ``h^+ - h = s (z - h)``, so that
``(z_i - h_i) delta_i >= delta_i^2 / (s rho)``. The rectified tanh is covered: the choice
``phi^{-1}(0) = threshold`` is a valid selection of the multivalued inverse in every step.

The energy E and E_c themselves are :mod:`assocrate.stability.energy_function`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._summary import Summarized
from .._validation import as_generator, check_input, check_positive, check_positive_int
from ..core.design import require_symmetric
from ..errors import InvalidInput
from .energy_function import energy_terms

__all__ = ["GlobalConvergence", "Hypothesis", "euler_step_bound", "global_convergence"]


def euler_step_bound(network) -> float:
    """``s_max = 1 / (1 + rho lambda_- / 2)``: Euler steps ``dt <= s_max tau`` never increase E.

    ``rho`` is the maximal slope of phi and ``lambda_- = max(0, -lambda_min(W))`` (module
    docstring for the proof).

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> round(euler_step_bound(net), 4)  # lambda_min(W) = gamma = -0.25
    0.625
    """
    lambda_minus = max(0.0, -float(network.eigenvalues_of_weights().values[0]))
    return 1.0 / (1.0 + network.activation.max_slope * lambda_minus / 2.0)


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis of the energy theorem and whether it holds.

    Attributes
    ----------
    name : str
    holds : bool
    detail : str
        How it was checked.
    """

    name: str
    holds: bool
    detail: str


@dataclass(frozen=True, repr=False)
class GlobalConvergence(Summarized):
    """The energy argument for a network: its hypotheses and a check on sampled trajectories.

    Attributes
    ----------
    hypotheses : tuple of Hypothesis
        Symmetric W, non-decreasing phi, states in the domain of the energy, tau > 0.
    form : str
        ``"rate"`` (sigmoid) or ``"current"`` (rectified tanh) — where the trajectories were run.
    n_trajectories, n_steps : int
    dt : float
        Euler step used (``<= step_bound * tau``).
    step_bound : float
        ``s_max`` of :func:`euler_step_bound`.
    max_increase : float
        Largest ``E_{k+1} - E_k`` observed over all steps and trajectories (negative: strict
        decrease everywhere).
    tolerance : float
        Float round-off allowance: a step counts as non-increasing if ``E_{k+1} <= E_k + tolerance``.
    final_speed : float
        ``max ||f||_inf`` at the last step (how close to equilibria the samples ended).
    seed : int or None
    """

    hypotheses: tuple[Hypothesis, ...]
    form: str
    n_trajectories: int
    n_steps: int
    dt: float
    step_bound: float
    max_increase: float
    tolerance: float
    final_speed: float
    seed: int | None

    @property
    def hypotheses_hold(self) -> bool:
        """Whether every hypothesis holds (then the theorem applies to every trajectory)."""
        return all(h.holds for h in self.hypotheses)

    @property
    def decreasing(self) -> bool:
        """Whether E was non-increasing (within `tolerance`) at every sampled step."""
        return self.max_increase <= self.tolerance

    @property
    def holds(self) -> bool:
        """Hypotheses hold and the samples agree."""
        return self.hypotheses_hold and self.decreasing

    def summary(self) -> str:
        """The statement, each hypothesis, and the sampled check."""
        verdict = (
            "every trajectory converges to the set of equilibria (energy theorem, theory.md §5 item 1)"
            if self.hypotheses_hold
            else "the energy theorem does not apply: a hypothesis fails"
        )
        lines = [f"Global convergence: {verdict}"]
        for h in self.hypotheses:
            lines.append(f"  [{'holds' if h.holds else 'FAILS'}] {h.name}: {h.detail}")
        lines.append(
            f"  sampled: {self.n_trajectories} trajectories ({self.form} form), {self.n_steps} Euler steps of "
            f"dt={self.dt:.4g} (energy-monotone bound {self.step_bound:.4g} tau); max E increase "
            f"{self.max_increase:.3g} (tolerance {self.tolerance:.1e}): "
            f"{'E non-increasing at every step' if self.decreasing else 'E INCREASED'}; final ||f|| {self.final_speed:.2g}"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"GlobalConvergence(hypotheses_hold={self.hypotheses_hold}, decreasing={self.decreasing}, "
            f"form={self.form!r}, n_trajectories={self.n_trajectories}, max_increase={self.max_increase:.3g})"
        )


def _hypotheses(network) -> tuple[Hypothesis, ...]:
    c = np.asarray(network.c)
    off_diagonal = int(np.count_nonzero(network.C - np.diag(c)))
    symmetric = Hypothesis(
        "W symmetric",
        off_diagonal == 0,
        "exact: W = U C U^T with C diagonal (checked entry by entry)"
        if off_diagonal == 0
        else f"C has {off_diagonal} nonzero off-diagonal entries",
    )
    activation = network.activation
    known = activation.name in ("sigmoid", "tanh")
    # A spot check of what the activation's formula guarantees (float saturates to 1 further out).
    grid = np.linspace(activation.threshold - 3.0, activation.threshold + 3.0 / activation.rho, 2001)
    values = activation.phi(grid)
    monotone = known and bool(np.all(np.diff(values) >= 0.0))
    increasing = Hypothesis(
        "phi non-decreasing",
        monotone,
        "sigmoid: strictly increasing" if activation.name == "sigmoid"
        else "rectified tanh: non-decreasing (flat below the threshold)",
    )
    inside = known and bool(np.all((values >= 0.0) & (values < 1.0)))
    domain = Hypothesis(
        "rates in the domain of phi^-1",
        inside,
        "phi maps R into (0, 1), so (0, 1)^N is forward invariant" if activation.name == "sigmoid"
        else "phi maps R into [0, 1); phi^-1 is multivalued at 0, so the current form E_c(h) = E(Phi(h)) is used",
    )
    tau = Hypothesis("tau > 0", network.tau > 0, f"tau = {network.tau:g}")
    return (symmetric, increasing, domain, tau)


def global_convergence(
    network,
    *,
    u: float | np.ndarray | None = None,
    n_trajectories: int = 100,
    t_max: float = 20.0,
    dt: float | None = None,
    seed: int | np.random.Generator | None = 0,
) -> GlobalConvergence:
    """State the energy theorem's hypotheses for `network` and check E on sampled trajectories.

    Parameters
    ----------
    network : MemoryNetwork
    u : float or numpy.ndarray of shape (N,), optional
        Constant input.
    n_trajectories : int, default 100
        Random starts: rates uniform in (0, 1)^N (rate form), or currents ``W x + u`` plus
        standard normal noise (current form).
    t_max : float, default 20.0
        Simulated time, in units of tau.
    dt : float, optional
        Euler step; default ``step_bound / 2 * tau``. Must not exceed
        ``step_bound * tau`` (:func:`euler_step_bound`), the step below which the Euler map itself
        provably does not increase E.
    seed : int, numpy.random.Generator or None, default 0

    Returns
    -------
    GlobalConvergence

    Notes
    -----
    The sigmoid is run in the rate form with E; the rectified tanh in the current form with
    ``E_c = E o Phi`` (phi^-1 is multivalued at 0). The tolerance is
    ``1e-12 * (N + max |E|)``, a generous bound on the round-off of one energy evaluation.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> result = aa.global_convergence(net, n_trajectories=5, t_max=5.0)
    >>> result.hypotheses_hold, result.decreasing
    (True, True)
    """
    require_symmetric(network, "global_convergence (it rests on the energy function)")
    n_trajectories = check_positive_int("n_trajectories", n_trajectories)
    t_max = check_positive("t_max", t_max)
    u_vec = check_input("u", u, network.n_units)
    bound = euler_step_bound(network)
    tau = network.tau
    if dt is None:
        dt = bound / 2.0 * tau
    dt = check_positive("dt", dt)
    if dt > bound * tau * (1 + 1e-12):
        raise InvalidInput(
            f"`dt` must be <= step_bound * tau = {bound * tau:.6g} (the largest Euler step that provably "
            f"does not increase the energy); got dt={dt!r}"
        )
    seed_record = seed if isinstance(seed, int) and not isinstance(seed, bool) else None
    rng = as_generator(seed)
    activation = network.activation
    form = "rate" if activation.name == "sigmoid" else "current"
    n_steps = int(math.ceil(t_max * tau / dt))
    s = dt / tau
    U = network.U
    u_col = u_vec[:, None] if isinstance(u_vec, np.ndarray) else u_vec
    X = rng.random((network.n_units, n_trajectories))
    if form == "current":
        state = network.weights_matvec(X) + u_col + rng.standard_normal(X.shape)
    else:
        state = X

    def evaluate(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if form == "rate":
            E, weighted = energy_terms(network, S, u_vec)
        else:
            E, weighted = energy_terms(network, activation.phi(S), u_vec, currents=S)
        drive = U @ weighted + u_col  # W x + u
        return E, drive

    E, drive = evaluate(state)
    largest = float(np.max(np.abs(E)))
    max_increase = -np.inf
    speed = np.inf
    for _ in range(n_steps):
        if form == "rate":
            step = activation.phi(drive) - state
        else:
            step = drive - state
        speed = float(np.max(np.abs(step)))
        state = state + s * step
        E_next, drive = evaluate(state)
        max_increase = max(max_increase, float(np.max(E_next - E)))
        largest = max(largest, float(np.max(np.abs(E_next))))
        E = E_next
    tolerance = 1e-12 * (network.n_units + largest)
    return GlobalConvergence(
        hypotheses=_hypotheses(network),
        form=form,
        n_trajectories=n_trajectories,
        n_steps=n_steps,
        dt=float(dt),
        step_bound=bound,
        max_increase=max_increase,
        tolerance=tolerance,
        final_speed=speed,
        seed=seed_record,
    )
