"""The sector-LMI ellipsoid around a memory: an l2 statement, never the headline radius (theory.md §5 item 3).


Sector LMI (``method="lmi"``; an l2 statement, never the headline radius). With
``A = -I + W K^-`` and the sector ``[0, K^+ - K^-]`` the current-form incremental LMI
``[[A^T Q + Q A, Q W + (K^+ - K^-) Lambda], [., -2 Lambda]] <= -mu I`` proves that
``V = e^T Q e`` decreases for pairs of trajectories in B, which is *not* invariance of B. What it
certifies is the largest sublevel ellipsoid ``{V <= l}`` inside B: ``l = min_i (delta v_i)^2 /
(Q^-1)_ii``. It contains the l2 ball of radius ``r2`` when ``Q <= (l / r2^2) I`` (checked exactly),
and is forward invariant when ``mu r2 > 2 |Q r|`` (r the centre's residual; checked exactly via
``|Q r| <= (l / r2^2) |r|``); it contains the cube of half-width ``r2 / sqrt(N)`` only.

The box B is that of :mod:`assocrate.certify.basin` with v = 1. Build: :func:`sector_radius`
(``certified_radius(..., method="lmi")``) bisects on delta with the solver, rounds the answer and
hands each candidate to :func:`verify_sector`, the check that
:func:`~assocrate.certify.verification.verify` also runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np
import scipy.linalg

from ..certify._rational import fraction_vector, to_fmpq, to_fraction
from ..certify._reduction import ReducedNetwork
from ..certify._rigorous import dyadic_down, format_down, format_up, slope_lower, slope_upper
from ..certify.basin import (
    DELTA_BITS,
    CertifiedRadius,
    largest,
    require_box,
    require_memory_in_box,
    residual_bound,
)
from ..certify.blocks import fmpq_diag, fmpq_row, verify_blocks
from ..certify.contraction import contraction_blocks, rounded_solution
from ..certify.exact import is_positive_definite_exact
from ..certify.record import Certificate
from ..certify.solver import check_solver, size_failure, solve_incremental_lmi
from ..certify.status import CertificateStatus
from ..certify.witness import (
    Checked,
    CheckFailed,
    exact_scalar,
    exact_square,
    exact_vector,
    no_certificate,
    require,
    require_same,
    seal_checked,
    witness,
)

__all__ = [
    "verify_sector",
    "sector_claim",
    "sector_radius",
]


def _slope_interval_bounds(red: ReducedNetwork, center: Sequence[Fraction], v: Sequence[Fraction],
                          delta: Fraction) -> tuple[list[Fraction], list[Fraction]]:
    """Rigorous ``K^-`` (rounded down) and ``K^+`` (rounded up) on each class's interval."""
    activation = red.network.activation
    lows, highs = [], []
    for h, vt in zip(center, v):
        lo, hi = h - delta * vt, h + delta * vt
        lows.append(slope_lower(activation, lo, hi))
        highs.append(slope_upper(activation, lo, hi))
    return lows, highs


@dataclass(frozen=True)
class _SectorCheck:
    """Exact checks of a sector-LMI ellipsoid certificate."""

    blocks_hold: bool
    inside_box: bool
    ball_inside: bool
    invariant: bool
    residuals: tuple
    verified_float: bool

    @property
    def holds(self) -> bool:
        """All four checks passed."""
        return self.blocks_hold and self.inside_box and self.ball_inside and self.invariant


def _inverse_diagonal(red: ReducedNetwork, Q: flint.fmpq_mat, sigma: Sequence) -> list[Fraction]:
    """``(Q^-1)_ii`` for a unit of each class: ``(Q_hat^-1)_tt + (1 - 1/n_t) / sigma_t``."""
    inverse = Q.inv()
    out = []
    for t, n in enumerate(red.counts_exact):
        value = to_fraction(inverse[t, t])
        if n >= 2:
            s = to_fraction(sigma[t])
            value += (1 - Fraction(1, n)) / s
        out.append(value)
    return out


def _sector_check(red: ReducedNetwork, *, Q, sigma, lam, K_minus, K_plus, margin, v, delta, ell, r2, R) -> _SectorCheck:
    """The exact checks of the sector certificate (module docstring)."""
    blocks = contraction_blocks(red, form="current", Q=Q, sigma=sigma, lam=lam, K_plus=K_plus,
                                K_minus=K_minus, c=0, margin=margin)
    residuals, verified_float, blocks_hold = verify_blocks(blocks)
    n = red.counts_exact
    positive_sigma = all(to_fmpq(sigma[t]) > 0 for t in range(len(n)) if n[t] >= 2)
    inside = False
    if blocks_hold and positive_sigma:
        diagonal = _inverse_diagonal(red, Q, sigma)
        inside = all(ell * q <= (delta * vt) ** 2 for q, vt in zip(diagonal, v))
    scale = to_fmpq(ell / r2**2)
    ball = bool(
        positive_sigma
        and is_positive_definite_exact(scale * fmpq_diag(n) - Q)
        and all(scale > to_fmpq(sigma[t]) for t in range(len(n)) if n[t] >= 2)
    )
    # mu r2 > 2 |Q r| <= 2 (l / r2^2) |r|  with  |r|^2 <= sum_t n_t R_t^2
    norm_squared = sum(Fraction(nt) * Rt**2 for nt, Rt in zip(n, R))
    invariant = (margin * r2**3 / (2 * ell)) ** 2 > norm_squared
    return _SectorCheck(blocks_hold, inside, ball, invariant, residuals, verified_float)


def sector_claim(memory: int, r2: float, delta: float, n_units: int) -> str:
    """The statement an exactly verified sector certificate proves."""
    return (
        f"every current-form trajectory starting in the ellipsoid (h - h_c)^T Q (h - h_c) <= l around memory "
        f"{memory} converges exponentially to the memory; the ellipsoid lies in the box of half-width "
        f"{format_up(delta)} and contains the l2 ball of radius {format_down(r2)} (the cube of half-width "
        f"{format_down(r2 / math.sqrt(n_units) * (1 - 2.0**-48), 3)}): "
        f"an l2 statement (sector LMI), not the certified retrieval radius"
    )


def verify_sector(certificate: Certificate, network, red: ReducedNetwork) -> Checked:
    """Check a sector certificate exactly, hypothesis by hypothesis (theory.md §5, item 3).

    The theorem (module docstring): every current-form trajectory starting in the ellipsoid
    ``{V <= l}`` around memory mu converges exponentially to it, the ellipsoid lies in the box B and
    contains the l2 ball of radius r2, if

    1. *dimensions*: ``center``, ``v``, ``K_minus``, ``K_plus``, ``R``, ``sigma`` and ``lambda``
       have one entry per class, ``Q`` is k x k and symmetric;
    2. *the box*: ``delta > 0`` and ``v = 1`` (the sector LMI is stated on the cube);
    3. *signs*: the margin ``mu > 0`` (a negative one would turn ``<= -mu I`` into a weaker
       inequality and the invariance test squares it), ``l > 0``, ``r2 > 0``, ``sigma_t > 0`` on
       every class of two or more units, ``Lambda >= 0`` (S-procedure multipliers);
    4. *rigorous bounds*: R, ``K^-`` and ``K^+`` equal the ones recomputed from the network;
    5. *the LMI*: every block of the sector LMI holds with margin mu, exactly;
    6. *geometry*: the ellipsoid lies in B, contains the l2 ball of radius r2, and is forward
       invariant (``mu r2 > 2 |Q r|``);
    7. *identity*: the equilibrium in B is memory mu's (as for the radius certificate);
    8. the recorded ``radius`` is r2.

    Raises :class:`~assocrate.certify.witness.CheckFailed` naming the first failed hypothesis.
    """
    k = red.n_classes
    center, v, delta = require_box(certificate, k)
    Q, sigma, lam = exact_square(certificate, "Q", k), exact_vector(certificate, "sigma", k), \
        exact_vector(certificate, "lambda", k)
    stored_minus, stored_plus = exact_vector(certificate, "K_minus", k), exact_vector(certificate, "K_plus", k)
    stored_R = exact_vector(certificate, "R", k)
    margin, ell, r2 = (exact_scalar(certificate, name) for name in ("margin", "ell", "r2"))
    require(2, "the box: v = 1", set(v) == {1}, f"v = {[float(x) for x in v]}")
    require(3, "signs: margin > 0", margin > 0, f"margin = {float(margin)!r}")
    require(3, "signs: l > 0 and r2 > 0", ell > 0 and r2 > 0, f"l = {float(ell)!r}, r2 = {float(r2)!r}")
    require(3, "signs: sigma > 0 on classes of two or more units",
            all(s > 0 for s, n in zip(sigma, red.counts_exact) if n >= 2))
    require(3, "signs: Lambda >= 0", min(lam) >= 0, f"min lambda = {float(min(lam))!r}")
    R = residual_bound(red, center, None)
    require_same("residual bounds R", stored_R, R, hypothesis=4)
    K_minus, K_plus = _slope_interval_bounds(red, center, v, delta)
    require_same("slope bounds K_minus", stored_minus, K_minus, hypothesis=4)
    require_same("slope bounds K_plus", stored_plus, K_plus, hypothesis=4)
    check = _sector_check(red, Q=Q, sigma=sigma, lam=lam, K_minus=K_minus, K_plus=K_plus, margin=margin, v=v,
                          delta=delta, ell=ell, r2=r2, R=R)
    require(5, "the sector LMI holds exactly", check.blocks_hold, residuals=check.residuals)
    require(6, "geometry: ellipsoid in the box, ball in the ellipsoid, invariance",
            check.inside_box and check.ball_inside and check.invariant,
            f"ellipsoid in box {check.inside_box}, ball in ellipsoid {check.ball_inside}, invariance {check.invariant}",
            check.residuals)
    mu = require_memory_in_box(certificate, network, red, center, v, delta, hypothesis=7)
    require(8, "the recorded radius is r2", certificate.parameters.get("radius") == float(r2))
    return Checked(check.residuals, check.verified_float, sector_claim(mu, float(r2), float(delta), network.n_units))


def sector_radius(red: ReducedNetwork, mu: int, center: np.ndarray, R: Sequence[Fraction], *, solver: str | None,
                  options: dict, parameters: dict) -> CertifiedRadius:
    """The largest sector-LMI ellipsoid around memory `mu` (centre `center`, residual bounds `R`) found by bisection."""
    network = red.network
    activation = network.activation
    solver = check_solver(solver, 2 * red.n_classes)
    too_large = size_failure(2 * red.n_classes, red.n_classes)
    if too_large is not None:
        cert = no_certificate("sector", too_large.reason, status=too_large.status, solver=None, parameters=parameters)
        return CertifiedRadius(mu, "lmi", "uniform", 0.0, 0.0, "l2", cert)
    center_exact = fraction_vector(center)
    v_exact = [Fraction(1)] * red.n_classes

    def solve(delta: float):
        K_minus, K_plus = activation.slope_bounds(center - delta, center + delta)
        return solve_incremental_lmi(red, form="current", K_plus=K_plus, K_minus=K_minus,
                                     solver=solver, options=options)

    def feasible(delta: float) -> bool:
        solution = solve(delta)
        return solution.failure is None and solution.margin > 1e-6

    delta_float = largest(feasible, (network.b - network.a) / 4, iterations=14)
    data = {"center": center, "counts": red.counts}
    last = None
    for _ in range(4):
        if not delta_float > 0:
            break
        delta = dyadic_down(delta_float, DELTA_BITS)
        solution = solve(float(delta))
        if solution.failure is not None or not solution.margin > 0:
            delta_float *= 0.8
            continue
        lmi_data, exact = rounded_solution(solution)
        K_minus, K_plus = _slope_interval_bounds(red, center_exact, v_exact, delta)
        margin = dyadic_down(solution.margin / 2, 40)
        diagonal = _inverse_diagonal(red, exact["Q"], exact["sigma"])
        Q_tilde = lmi_data["Q"] / np.sqrt(np.outer(red.counts, red.counts))
        top = max(float(scipy.linalg.eigvalsh(Q_tilde)[-1]), float(np.max(lmi_data["sigma"])))
        if min(diagonal) <= 0 or not top > 0:  # A = -I + W K^- not Hurwitz: the LMI holds with an indefinite Q
            last = (solution.info, CheckFailed("hypothesis 5 fails (the LMI: Q > 0): the solver's Q is not positive "
                                               "definite, so V = e^T Q e proves nothing", hypothesis=5))
            delta_float *= 0.8
            continue
        ell = dyadic_down(min(delta**2 / q for q in diagonal), 60) * (1 - Fraction(1, 2**20))
        r2 = dyadic_down(math.sqrt(float(ell) / top) * (1 - 1e-6), 40)
        candidate = witness(
            "sector",
            {**data, **lmi_data, "delta": float(delta), "K_minus": np.array([float(x) for x in K_minus]),
             "K_plus": np.array([float(x) for x in K_plus]), "margin": float(margin), "ell": float(ell),
             "r2": float(r2), "residual_bound": np.array([float(r) for r in R])},
            solver=solution.info,
            parameters={**parameters, "radius": float(r2)},
            exact_data={"Q": exact["Q"], "sigma": fmpq_row(exact["sigma"]), "lambda": fmpq_row(exact["lambda"]),
                        "K_minus": fmpq_row(K_minus), "K_plus": fmpq_row(K_plus), "center": fmpq_row(center_exact),
                        "v": fmpq_row(v_exact), "delta": delta, "margin": margin, "ell": ell, "r2": r2,
                        "R": fmpq_row(R)},
        )
        try:
            cert = seal_checked(candidate, verify_sector(candidate, network, red))
        except CheckFailed as failure:
            last = (solution.info, failure)
            delta_float *= 0.8
            continue
        return CertifiedRadius(mu, "lmi", "uniform", float(r2), float(r2) / math.sqrt(network.n_units), "l2", cert)
    if last is None:
        cert = no_certificate("sector", "the sector LMI is infeasible on every box tried",
                              status=CertificateStatus.INFEASIBLE, solver=None, parameters=parameters, data=data)
    else:
        info, failure = last
        cert = no_certificate("sector", str(failure), status=CertificateStatus.EXACT_CHECK_FAILED, solver=info,
                              parameters=parameters, data=data, residuals=failure.residuals)
    return CertifiedRadius(mu, "lmi", "uniform", 0.0, 0.0, "l2", cert)
