"""Input-driven global retrieval: an absorbing box and one globally stable equilibrium (theory.md §5 item 4).

Input-driven global retrieval (item 4). With a constant input u, every trajectory's omega-limit
set lies in each box of the interval iteration ``H <- W+ Phi(H_hi) + W- Phi(H_lo) + u`` started
from ``{W x + u : x in [0, 1]^N}`` (for an invariant set Omega inside a box B_j, each solution in
Omega is a limit of averages of ``W Phi(h) + u`` over Omega, which lie in the next box). If the
Metzler condition holds with the slopes of the box enlarged by epsilon (every trajectory ends up
inside that enlargement), the network has exactly one equilibrium, it lies in the box, and it The contraction LMI with the slope bounds of the enlarged box
(``method="contraction"``) proves the same.

Build: :func:`certify_input_driven` computes the box (:func:`_interval_iteration`, with outward
rounding), the retrieved memory (rigorous overlap bounds) and the witness (a Perron weight
vector, or the LMI solution), then hands it to :func:`verify_input`, the check that
:func:`~assocrate.certify.verification.verify` also runs: the box, the retrieved memory and the
claim are worked out in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .._validation import check_choice, check_index
from ..certify._rational import fraction_vector
from ..certify._reduction import REDUCTIONS, ReducedNetwork, input_vector, reduce_network
from ..certify._rigorous import BOX_BITS, dyadic_down, dyadic_up, format_down, format_up, phi_bounds, slope_upper
from ..certify.blocks import fmpq_row, round_vector
from ..certify.contraction import exact_check_failure, incremental_witness, verify_contraction
from ..certify.radius import METZLER_CONSTRAINT
from ..certify.record import Certificate, ConstraintResidual
from ..certify.solver import check_solver, check_solver_options
from ..certify.status import CertificateStatus
from ..certify.witness import (
    Checked,
    CheckFailed,
    base_parameters,
    exact_scalar,
    exact_vector,
    no_certificate,
    require,
    require_same,
    seal_checked,
    witness,
)
from ..core.design import check_network
from ..errors import InvalidInput

__all__ = [
    "ABSORBING_EPSILON",
    "MAX_ITERATIONS",
    "AbsorbingBox",
    "absorbing_box",
    "certify_input_driven",
    "verify_input",
    "input_claim",
]

#: Enlargement of the absorbing box on which the slopes are bounded.
ABSORBING_EPSILON = Fraction(1, 2**16)
#: Where the contraction LMI of an input certificate holds (the `where` of its claim).
_ON_THE_BOX = "on the absorbing box"


@dataclass(frozen=True, repr=False)
class AbsorbingBox:
    """A box of currents that contains the omega-limit set of every trajectory.

    Attributes
    ----------
    lower, upper : numpy.ndarray, shape (N,)
        Current bounds per unit (dyadic rationals; rigorous).
    iterations : int
        Interval-iteration steps taken.
    converged : bool
        Whether the iteration reached its fixed point (otherwise the box is valid but not the tightest).
    class_lower, class_upper : list of Fraction
        The same bounds per class, exactly.
    """

    lower: np.ndarray
    upper: np.ndarray
    iterations: int
    converged: bool
    class_lower: list
    class_upper: list

    @property
    def width(self) -> float:
        """Largest ``upper - lower``."""
        return float(np.max(self.upper - self.lower))

    def summary(self) -> str:
        """One line."""
        state = "converged" if self.converged else "not converged (valid, not tightest)"
        return (f"absorbing box: currents in [{format_down(self.lower.min(), 4)}, {format_up(self.upper.max(), 4)}], largest width "
                f"{self.width:.3g}; interval iteration {state} after {self.iterations} steps")

    def __repr__(self) -> str:
        return f"AbsorbingBox(n_units={self.lower.size}, width={self.width:.3g}, iterations={self.iterations})"


def _interval_iteration(red: ReducedNetwork, u: Sequence[Fraction], n_steps: int) -> tuple[list, list, int, bool]:
    """Rigorous interval iteration on the classes: at most `n_steps` steps, stopping at a fixed point."""
    activation = red.network.activation
    n = red.counts_exact

    def parts(w):  # (W+ w, W- w) on the classes: W+ = (|W| + W) / 2, W- = (W - |W|) / 2
        plain, absolute = red.times_exact(w), red.abs_times_exact(w)
        return [(a + p) / 2 for a, p in zip(absolute, plain)], [(p - a) / 2 for a, p in zip(absolute, plain)]

    ones = [Fraction(1)] * len(n)
    positive_ones, negative_ones = parts(ones)
    lower = [dyadic_down(x + us, BOX_BITS) for x, us in zip(negative_ones, u)]
    upper = [dyadic_up(x + us, BOX_BITS) for x, us in zip(positive_ones, u)]
    steps = 0
    converged = False
    while steps < n_steps:
        phi_low = [phi_bounds(activation, h)[0] for h in lower]
        phi_high = [phi_bounds(activation, h)[1] for h in upper]
        positive_high, negative_high = parts(phi_high)
        positive_low, negative_low = parts(phi_low)
        new_upper = [dyadic_up(p + q + us, BOX_BITS) for p, q, us in zip(positive_high, negative_low, u)]
        new_lower = [dyadic_down(p + q + us, BOX_BITS) for p, q, us in zip(positive_low, negative_high, u)]
        new_upper = [min(a, b) for a, b in zip(upper, new_upper)]
        new_lower = [max(a, b) for a, b in zip(lower, new_lower)]
        steps += 1
        if new_upper == upper and new_lower == lower:
            converged = True
            break
        upper, lower = new_upper, new_lower
    return lower, upper, steps, converged


#: The largest input |u| the input-driven results take: beyond it the input drives every rate to 0
#: or 1 anyway, and the exact interval arithmetic on such numbers would run without bound.
MAX_INPUT = 1e6


def _input_classes(network, u: object, reduction: str) -> tuple[ReducedNetwork, list[Fraction]]:
    u_vec = input_vector(0.0 if u is None else u, network.n_units)
    if np.any(np.abs(u_vec) > MAX_INPUT):
        raise InvalidInput(f"`u` must be at most {MAX_INPUT:g} in absolute value (a larger input saturates every "
                           f"unit); got max |u| = {float(np.max(np.abs(u_vec))):g}")
    red = reduce_network(network, u=u_vec, reduction=reduction)
    return red, fraction_vector(u_vec[red.part.representatives])


def absorbing_box(network, u: float | np.ndarray | None = None, *, max_iter: int = 200,
                  reduction: str = "types") -> AbsorbingBox:
    """The absorbing box of the interval iteration ``H <- W+ Phi(H_hi) + W- Phi(H_lo) + u``.

    Started from ``{W x + u : x in [0, 1]^N}`` and computed with outward rounding (rigorous); every
    trajectory's omega-limit set lies in the result (module docstring).

    Parameters
    ----------
    network : MemoryNetwork
    u : float or numpy.ndarray of shape (N,), optional
        Constant input.
    max_iter : int, default 200
    reduction : {"types", "full"}, default "types"

    Returns
    -------
    AbsorbingBox

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> box = aa.absorbing_box(net, 1.0 * (2 * net.patterns[:, 0] - 1))
    >>> box.converged, round(box.width, 6)
    (True, 0.0)
    """
    check_network(network)
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise InvalidInput(f"`max_iter` must be an integer >= 1; got {max_iter!r}")
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    red, u_exact = _input_classes(network, u, reduction)
    lower, upper, steps, converged = _interval_iteration(red, u_exact, max_iter)
    lo = red.part.expand(np.array([float(x) for x in lower]))
    hi = red.part.expand(np.array([float(x) for x in upper]))
    lo.flags.writeable = False
    hi.flags.writeable = False
    return AbsorbingBox(lo, hi, steps, converged, lower, upper)


def _overlap_bounds(red: ReducedNetwork, lower: Sequence[Fraction], upper: Sequence[Fraction]) -> tuple[np.ndarray, np.ndarray]:
    """Rigorous bounds on the mean rate over each pattern's active units, for currents in the box."""
    activation = red.network.activation
    patterns = red.network.patterns[red.part.representatives]
    low_rates = [phi_bounds(activation, h)[0] for h in lower]
    high_rates = [phi_bounds(activation, h)[1] for h in upper]
    n = red.counts_exact
    lows, highs = [], []
    for mu in range(patterns.shape[1]):
        members = [t for t in range(len(n)) if patterns[t, mu]]
        size = sum(n[t] for t in members)
        lows.append(float(dyadic_down(sum(n[t] * low_rates[t] for t in members) / size, BOX_BITS)))
        highs.append(float(dyadic_up(sum(n[t] * high_rates[t] for t in members) / size, BOX_BITS)))
    return np.array(lows), np.array(highs)


def input_claim(memory: int | None, retrieved: int | None, rate_lo: float, rate_hi: float) -> str:
    """The statement an exactly verified input-driven certificate proves."""
    near = (
        f"; its mean rate over the active units of memory {retrieved} is at least {format_down(rate_lo, 4)}, above every "
        f"other memory's (at most {format_up(rate_hi, 4)}): the input retrieves memory {retrieved}"
        if retrieved is not None else ""
    )
    return (
        "with this constant input every trajectory (current and rate forms) converges exponentially to one "
        "equilibrium, the only one, which lies in the recorded absorbing box (interval iteration; Metzler "
        f"majorant |W| K+ v < v on the box enlarged by epsilon){near}"
    )


def _retrieval(red: ReducedNetwork, lower, upper, memory: int | None):
    """The retrieved memory (None if no overlap lower bound beats every other upper bound), the claim and the bounds."""
    rate_lo, rate_hi = _overlap_bounds(red, lower, upper)
    best = int(np.argmax(rate_lo))
    others = np.delete(rate_hi, best)
    retrieved = best if others.size == 0 or rate_lo[best] > others.max() else None
    claim = input_claim(memory, retrieved, float(rate_lo[best]), float(others.max()) if others.size else 0.0)
    return retrieved, claim, rate_lo, rate_hi


def _box_slopes(red: ReducedNetwork, lower, upper) -> list[Fraction]:
    """Rigorous upper bounds of phi' on each class's interval of the box enlarged by epsilon."""
    activation = red.network.activation
    return [slope_upper(activation, lo - ABSORBING_EPSILON, hi + ABSORBING_EPSILON) for lo, hi in zip(lower, upper)]


def _perron_weights(red: ReducedNetwork, K_plus: Sequence[Fraction]) -> list[Fraction]:
    """A positive dyadic weight vector near the Perron vector of ``|W| K+`` (power iteration)."""
    M = np.abs(red.W_hat) * red.counts[None, :] * np.array([float(k) for k in K_plus])[None, :]
    w = np.ones(red.n_classes)
    for _ in range(500):
        z = M @ w + 1e-9
        z = z / z.max()
        if np.max(np.abs(z - w)) < 1e-13:
            w = z
            break
        w = z
    return round_vector(np.maximum(w / w.max(), 1e-6))[1]


def _metzler_on_box(red: ReducedNetwork, K_plus: Sequence[Fraction], v: Sequence[Fraction]):
    """The exact test ``|W| K+ v < v`` on the enlarged box: (holds, residual row)."""
    gain = red.abs_times_exact([k * vt for k, vt in zip(K_plus, v)])
    holds = all(g < vt for g, vt in zip(gain, v))
    ratio = max(float(g / vt) for g, vt in zip(gain, v))
    return holds, ConstraintResidual(METZLER_CONSTRAINT, 1.0 - ratio)


#: The most interval-iteration steps a certificate may record (the check repeats them).
MAX_ITERATIONS = 100_000


def verify_input(certificate: Certificate, network, red: ReducedNetwork, u: np.ndarray | None = None) -> Checked:
    """Check an input-driven certificate exactly, hypothesis by hypothesis (theory.md §5, item 4).

    The theorem (module docstring): with the constant input u every trajectory converges to one
    equilibrium, the only one, inside the recorded absorbing box, and the input retrieves the
    memory named, if

    1. *dimensions*: ``u``, ``lower``, ``upper`` (and ``K_plus``, ``v`` for the Metzler test) have
       one entry per class;
    2. *the iteration*: ``epsilon`` is :data:`ABSORBING_EPSILON` and ``iterations`` is an integer
       in ``[1, MAX_ITERATIONS]``; the method is ``"metzler"`` or ``"contraction"``;
    3. *the box*: the interval iteration, recomputed from the recorded input (which must equal `u`
       on the classes when `u` is given) for the recorded number of steps, gives the recorded box;
    4. *identity*: the retrieved memory, recomputed from rigorous overlap bounds on the box, is the
       one recorded, and the ``memory`` label, when present, names that memory (a certificate for
       memory mu proves that the input retrieves mu);
    5. *the Metzler test*: ``v > 0`` and ``max v = 1`` (with ``v <= 0`` the test
       ``|W| K+ v < v`` is a test of *non*-contraction), ``K_plus`` equals the rigorous slope
       bounds on the enlarged box, and ``|W| K+ v < v`` holds exactly -- or, with
       ``method="contraction"``, every hypothesis of
       :func:`~assocrate.certify.contraction.verify_contraction` with those slope bounds
       (``0 < c < 1`` among them).

    Raises :class:`~assocrate.certify.witness.CheckFailed` naming the first failed hypothesis.
    """
    k = red.n_classes
    u_exact = exact_vector(certificate, "u", k)
    stored_lower, stored_upper = exact_vector(certificate, "lower", k), exact_vector(certificate, "upper", k)
    if u is not None:
        require(3, "the box: the recorded input is the input `u` given to verify",
                list(u_exact) == fraction_vector(u[red.part.representatives]))
    parameters = certificate.parameters
    require(2, "the iteration: epsilon = 2**-16", exact_scalar(certificate, "epsilon") == ABSORBING_EPSILON)
    steps = parameters.get("iterations")
    require(2, "the iteration: an integer number of steps in [1, MAX_ITERATIONS]",
            isinstance(steps, int) and not isinstance(steps, bool) and 1 <= steps <= MAX_ITERATIONS,
            f"iterations = {steps!r}")
    method = parameters.get("method", "metzler")
    require(2, "the iteration: method 'metzler' or 'contraction'", method in ("metzler", "contraction"),
            f"method = {method!r}")
    lower, upper, _, _ = _interval_iteration(red, u_exact, steps)
    require_same("box lower bounds", stored_lower, lower, hypothesis=3)
    require_same("box upper bounds", stored_upper, upper, hypothesis=3)
    memory = parameters.get("memory")
    retrieved, claim, _, _ = _retrieval(red, lower, upper, memory)
    require(4, "identity: the recorded retrieved memory is the recomputed one",
            parameters.get("retrieved") == (-1 if retrieved is None else retrieved),
            f"recorded {parameters.get('retrieved')!r}, recomputed {retrieved!r}")
    if memory is not None:
        detail = (f"the input retrieves memory {retrieved}, not memory {memory!r}" if retrieved is not None
                  else f"the input is not proved to retrieve any memory, so not memory {memory!r}")
        require(4, "identity: the input retrieves the memory named", memory == retrieved, detail)
    K_plus = _box_slopes(red, lower, upper)
    if method == "contraction":
        checked = verify_contraction(certificate, network, red, K=K_plus, where=_ON_THE_BOX)
        return Checked(checked.residuals, checked.verified_float, claim)
    stored_K, v = exact_vector(certificate, "K_plus", k), exact_vector(certificate, "v", k)
    require(5, "the Metzler test: v > 0", min(v) > 0, f"min v = {float(min(v))!r}")
    require(5, "the Metzler test: max v = 1", max(v) == 1, f"max v = {float(max(v))!r}")
    require_same("slope bounds K_plus", stored_K, K_plus, hypothesis=5)
    holds, row = _metzler_on_box(red, K_plus, v)
    require(5, "the Metzler test: |W| K+ v < v on the enlarged absorbing box", holds, residuals=(row,))
    return Checked((row,), True, claim)


def certify_input_driven(
    network,
    u: float | np.ndarray,
    *,
    method: str = "metzler",
    memory: int | None = None,
    max_iter: int = 200,
    reduction: str = "types",
    solver: str | None = None,
    solver_options: Mapping | None = None,
) -> Certificate:
    """Certify that a constant input makes one equilibrium globally exponentially stable (item 4).

    Parameters
    ----------
    network : MemoryNetwork
    u : float or numpy.ndarray of shape (N,)
        The constant input (cue), e.g. ``kappa * (2 xi^mu - 1)``.
    method : {"metzler", "contraction"}, default "metzler"
        The test on the absorbing box: the Metzler majorant with a Perron weight vector, or the
        current-form contraction LMI with the box's slope bounds.
    memory : int, optional
        The cued memory, recorded with the certificate.
    max_iter : int, default 200
        Interval-iteration steps.
    reduction : {"types", "full"}, default "types"
    solver, solver_options
        For ``method="contraction"``.

    Returns
    -------
    Certificate
        kind ``"input"``; data ``lower``, ``upper`` (per class) and rigorous overlap bounds. When
        nothing is certified the status says why (``CONDITION_FAILS``: increase the input).

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> cert = aa.certify_input_driven(net, 1.0 * (2 * net.patterns[:, 0] - 1), memory=0)
    >>> cert.certified, cert.parameters["retrieved"]
    (True, 0)
    """
    check_network(network)
    method = check_choice("method", method, ("metzler", "contraction"))
    if memory is not None:
        memory = check_index("memory", memory, network.n_patterns)
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise InvalidInput(f"`max_iter` must be an integer >= 1; got {max_iter!r}")
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    options = check_solver_options(solver_options)
    if u is None:
        raise InvalidInput("`u` must be a scalar or an array of shape (N,); got None")
    red, u_exact = _input_classes(network, u, reduction)
    lower, upper, steps, converged = _interval_iteration(red, u_exact, max_iter)
    parameters = {**base_parameters(network, red), "method": method, "iterations": steps,
                  "epsilon": float(ABSORBING_EPSILON)}
    if memory is not None:
        parameters["memory"] = memory
    retrieved, _, rate_lo, rate_hi = _retrieval(red, lower, upper, memory)
    parameters["retrieved"] = -1 if retrieved is None else retrieved
    data = {"lower": np.array([float(x) for x in lower]), "upper": np.array([float(x) for x in upper]),
            "u": np.array([float(x) for x in u_exact]), "counts": red.counts,
            "overlap_lower": rate_lo, "overlap_upper": rate_hi}
    exact_box = {"lower": fmpq_row(lower), "upper": fmpq_row(upper), "u": fmpq_row(u_exact), "epsilon": ABSORBING_EPSILON}
    if memory is not None and retrieved != memory:
        reason = (f"the input retrieves memory {retrieved}, not memory {memory}" if retrieved is not None else
                  f"the absorbing box does not prove that the input retrieves memory {memory} (increase it)")
        return no_certificate("input", reason, status=CertificateStatus.CONDITION_FAILS, solver=None,
                              parameters=parameters, data=data)
    K_plus = _box_slopes(red, lower, upper)
    if method == "contraction":
        solver = check_solver(solver, 2 * red.n_classes)
        found = incremental_witness(red, form="current", K=K_plus, solver=solver, options=options)
        data.update(found.data)
        if found.failure is not None:
            return no_certificate("input", found.failure.reason, status=found.failure.status, solver=found.info,
                                  parameters=parameters, data=data)
        candidate = witness("input", data, solver=found.info, parameters={**parameters, "rate": found.rate},
                            exact_data={**exact_box, **found.exact_data})
        try:
            return seal_checked(candidate, verify_input(candidate, network, red))
        except CheckFailed as failure:
            return no_certificate("input", exact_check_failure(found.data["margin"]),
                                  status=CertificateStatus.EXACT_CHECK_FAILED, solver=found.info,
                                  parameters=parameters, data=data, residuals=failure.residuals)
    v = _perron_weights(red, K_plus)
    data.update({"K_plus": np.array([float(k) for k in K_plus]), "v": np.array([float(x) for x in v])})
    candidate = witness("input", data, parameters=parameters,
                        exact_data={**exact_box, "K_plus": fmpq_row(K_plus), "v": fmpq_row(v)})
    try:
        return seal_checked(candidate, verify_input(candidate, network, red))
    except CheckFailed as failure:
        return no_certificate(
            "input",
            "the Metzler majorant |W| K+ v < v fails on the absorbing box (the input does not make the network "
            "certifiably monostable: increase it)",
            status=CertificateStatus.CONDITION_FAILS, solver=None, parameters=parameters, data=data,
            residuals=failure.residuals,
        )
