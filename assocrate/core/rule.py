"""The betteti design rule's scalars alpha, alpha', beta, gamma (theory.md §3), checked or on arrays.

:func:`design_parameters` checks the levels and the activation and calls :func:`design_rule`, the
one place the formulas live; :func:`assocrate.core.design.design` and
:func:`assocrate.sweeps.phase_diagram` (a whole (rho, threshold) grid at once) both use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_finite_float, check_fraction
from ..errors import InvalidInput
from .activations import Activation

__all__ = ["DesignParameters", "design_parameters", "design_rule"]


@dataclass(frozen=True)
class DesignParameters:
    """The scalars of the design rule for given levels, activation, q and r.

    Floats from :func:`design_parameters`; arrays of one shape from :func:`design_rule` on arrays.

    Attributes
    ----------
    alpha : float
        ``(b - a) / (phi(b) - phi(a))``: the memory eigenvalue of W used by the stability conditions.
    alpha_prime : float
        ``alpha / (q (1 - r))``: the weight scale of the covariance term.
    beta : float
        ``q ((1 - r) phi(a) + r phi(b)) / ((1 - q) phi(a) + q phi(b))``: the cross-talk offset.
    gamma : float
        ``((1 - beta) a + beta b) / ((1 - q) phi(a) + q phi(b))``: the uniform E/I-balance term.
    """

    alpha: float
    alpha_prime: float
    beta: float
    gamma: float


def design_parameters(activation: Activation, a: float, b: float, q: float, r: float) -> DesignParameters:
    """Evaluate the design rule's scalars (theory.md §3).

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> p = design_parameters(Sigmoid(4.8, 0.2), -0.3, 0.95, 0.2, 0.2)
    >>> print(f"{p.alpha_prime:.6f} {p.gamma:.6f}")
    7.812604 -0.249992
    """
    a = check_finite_float("a", a)
    b = check_finite_float("b", b)
    q = check_fraction("q", q)
    r = check_fraction("r", r)
    if a >= b:
        raise InvalidInput(f"`a` must be < `b`; got a={a!r}, b={b!r}")
    with np.errstate(over="ignore"):  # phi saturates at extreme levels; that is not an error here
        phi_a, phi_b = float(activation.phi(a)), float(activation.phi(b))
    if phi_b <= phi_a:
        raise InvalidInput(
            f"`b` must have phi(b) > phi(a); got phi(a)={phi_a!r}, phi(b)={phi_b!r} for a={a!r}, b={b!r} "
            f"(with {activation!r}, raise b above the threshold)"
        )
    params = design_rule(phi_a, phi_b, a, b, q, r)
    if not all(np.isfinite([params.alpha, params.alpha_prime, params.beta, params.gamma])):
        raise InvalidInput(
            f"`a`, `b` give non-finite design parameters (alpha={params.alpha!r}, gamma={params.gamma!r}); "
            f"got a={a!r}, b={b!r}: use levels of moderate size"
        )
    return params


def design_rule(
    phi_a: float | np.ndarray, phi_b: float | np.ndarray, a: float, b: float, q: float, r: float
) -> DesignParameters:
    """The design rule's scalars from the rates ``phi(a)``, ``phi(b)`` (theory.md §3), unchecked.

    The formulas of :func:`design_parameters`, which checks its arguments and calls this. `phi_a`
    and `phi_b` may be arrays (broadcast together): the fields of the result are then arrays, one
    value per entry -- :func:`assocrate.sweeps.phase_diagram` designs a whole (rho, threshold) grid
    at once this way. An entry with ``phi(b) <= phi(a)`` gives a meaningless or infinite value;
    pass NaN there to get NaN.

    Examples
    --------
    >>> import assocrate as aa
    >>> phi = aa.Sigmoid(4.8, 0.2).phi
    >>> p = design_rule(phi(-0.3), phi(0.95), -0.3, 0.95, 0.2, 0.2)
    >>> print(f"{p.alpha_prime:.6f} {p.gamma:.6f}")
    7.812604 -0.249992
    >>> design_rule(np.array([0.1, 0.2]), 0.9, -0.3, 0.95, 0.2, 0.2).alpha
    array([1.5625    , 1.78571429])
    """
    mean_rate = (1.0 - q) * phi_a + q * phi_b
    alpha = (b - a) / (phi_b - phi_a)
    beta = q * ((1.0 - r) * phi_a + r * phi_b) / mean_rate
    gamma = ((1.0 - beta) * a + beta * b) / mean_rate
    return DesignParameters(alpha=alpha, alpha_prime=alpha / (q * (1.0 - r)), beta=beta, gamma=gamma)
