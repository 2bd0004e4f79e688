"""Certified basins of the memories and input-driven global retrieval (DESIGN.md §5 items 3 and 4).

Certified retrieval radius (Metzler majorant). Let ``h_c`` be the memory in current units (the
equilibrium near ``a + (b - a) xi^mu``, refined by Newton's method on the classes) and
``B = {h : |h - h_c| <= delta v}`` a box (v > 0, max v = 1). On B every slope lies in
``[K^-, K^+]`` (entrywise, from the interval ``h_c +- delta v``). If

    delta (|W| K^+ v)_i + R_i  <  delta v_i      for every unit i,            (M)

where ``R >= |W Phi(h_c) + u - h_c|`` bounds the residual of the centre (zero for an exact
equilibrium, ~1e-15 in practice), then

1. B is forward invariant for the current form ``tau h' = -h + W Phi(h) + u``: on the face
   ``e_i = delta v_i`` (``e = h - h_c``), ``tau e_i' = -e_i + (W (Phi(h) - Phi(h_c)))_i + r_i <=
   -delta v_i + delta (|W| K^+ v)_i + R_i < 0`` (mean value theorem, ``|Phi(h) - Phi(h_c)| <= K^+ |e|``);
2. two trajectories in B approach each other: ``m(t) = max_i |h1_i - h2_i| / v_i`` satisfies
   ``D^+ m <= -(1 - kappa) m / tau`` with ``kappa = max_i (|W| K^+ v)_i / v_i < 1``;
3. hence B holds exactly one equilibrium (Brouwer for the flow on the compact convex B, and 2.),
   the memory, and every trajectory starting in B converges to it exponentially.

A rate-form cue x retrieves the memory whenever ``W x`` lies in B (``h = W x`` solves the
current form). With ``v = 1`` the largest such delta is the **certified retrieval radius**; a
Perron-weighted v can certify a larger delta on a thinner box, so the smallest half-width
``delta min v`` is always reported next to delta.

Rigour. (M) is checked in exact rational arithmetic: W exactly from its float factors, ``K^+``
an upper bound of phi' on each interval from ball arithmetic rounded *up* to a dyadic rational
(:mod:`assocrate.certify._rigorous`), R likewise from enclosures of ``phi(h_c)``, delta a
dyadic rational. On row types ``|W|`` is class-block constant, so ``(|W| K^+ v)_i =
sum_t |W_hat[s, t]| n_t K^+_t v_t`` costs O(k^2) whatever N is.

Sector LMI (``method="lmi"``; an l2 statement, never the headline radius). With
``A = -I + W K^-`` and the sector ``[0, K^+ - K^-]`` the current-form incremental LMI
``[[A^T Q + Q A, Q W + (K^+ - K^-) Lambda], [., -2 Lambda]] <= -mu I`` proves that
``V = e^T Q e`` decreases for pairs of trajectories in B, which is *not* invariance of B. What it
certifies is the largest sublevel ellipsoid ``{V <= l}`` inside B: ``l = min_i (delta v_i)^2 /
(Q^-1)_ii``. It contains the l2 ball of radius ``r2`` when ``Q <= (l / r2^2) I`` (checked exactly),
and is forward invariant when ``mu r2 > 2 |Q r|`` (r the centre's residual; checked exactly via
``|Q r| <= (l / r2^2) |r|``); it contains the cube of half-width ``r2 / sqrt(N)`` only.

Input-driven global retrieval (item 4). With a constant input u, every trajectory's omega-limit
set lies in each box of the interval iteration ``H <- W+ Phi(H_hi) + W- Phi(H_lo) + u`` started
from ``{W x + u : x in [0, 1]^N}`` (for an invariant set Omega inside a box B_j, each solution in
Omega is a limit of averages of ``W Phi(h) + u`` over Omega, which lie in the next box). If the
Metzler condition holds with the slopes of the box enlarged by epsilon (every trajectory ends up
inside that enlargement), the network has exactly one equilibrium, it lies in the box, and it
attracts every trajectory exponentially: the input makes retrieval global.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np
import scipy.linalg

from .._validation import check_choice, check_index
from ..certify._rational import fraction_vector, to_fmpq, to_fraction
from ..certify._reduction import (
    REDUCTIONS,
    ReducedNetwork,
    network_digest,
    reduce_network,
)
from ..certify._rigorous import (
    format_down,
    format_up,
    phi_bounds,
    slope_lower,
    slope_upper,
)
from ..certify.certificate import Certificate, ConstraintResidual, seal
from ..certify.exact import is_positive_definite_exact
from ..certify.lmi import (
    base_parameters,
    check_blocks,
    check_solver,
    check_solver_options,
    contraction_blocks,
    exact_contraction_data,
    fmpq_diag,
    fmpq_row,
    incremental_certificate,
    no_certificate,
    round_vector,
    size_verdict,
    solve_incremental_lmi,
)
from ..core.design import check_network
from ..core.equilibria import damped_newton
from ..errors import InvalidInput

__all__ = [
    "METHODS",
    "WEIGHTS",
    "AbsorbingBox",
    "CertifiedRadius",
    "absorbing_box",
    "certified_radius",
    "certify_input_driven",
]

#: Methods of :func:`certified_radius`.
METHODS = ("metzler", "lmi")
#: Weight vectors of the Metzler box.
WEIGHTS = ("uniform", "perron")

_DELTA_BITS = 32  # delta is a multiple of 2**-32
_BOX_BITS = 40  # interval-iteration bounds are multiples of 2**-40
ABSORBING_EPSILON = Fraction(1, 2**16)  # enlargement of the absorbing box


# ---------------------------------------------------------------------------------------------
# Exact helpers
# ---------------------------------------------------------------------------------------------


def _abs_times(red: ReducedNetwork, w: Sequence[Fraction]) -> list[Fraction]:
    """``|W_hat| diag(n) w`` exactly, i.e. ``(|W| w)_i`` for class-constant w."""
    return red.abs_times_exact(w)


def _times(red: ReducedNetwork, w: Sequence[Fraction]) -> list[Fraction]:
    """``W_hat diag(n) w`` exactly."""
    return red.times_exact(w)


def _dyadic_floor(value: float, bits: int) -> Fraction:
    return Fraction(math.floor(value * 2**bits), 2**bits)


def _down(value: Fraction, bits: int = _BOX_BITS) -> Fraction:
    return Fraction(math.floor(value * 2**bits), 2**bits)


def _up(value: Fraction, bits: int = _BOX_BITS) -> Fraction:
    return Fraction(math.ceil(value * 2**bits), 2**bits)


def residual_bound(red: ReducedNetwork, center: Sequence[Fraction], u: Sequence[Fraction] | None) -> list[Fraction]:
    """Dyadic ``R_s >= |W Phi(h_c) + u - h_c|`` on class s (rigorous)."""
    activation = red.network.activation
    bounds = [phi_bounds(activation, h) for h in center]
    middle = [(lo + hi) / 2 for lo, hi in bounds]
    radius = [(hi - lo) / 2 for lo, hi in bounds]
    value = _times(red, middle)
    spread = _abs_times(red, radius)
    u = [Fraction(0)] * len(center) if u is None else u
    return [_up(abs(val + us - h) + s) for val, us, h, s in zip(value, u, center, spread)]


@dataclass(frozen=True)
class MetzlerCheck:
    """The exact test ``delta (|W| K+ v)_s + R_s < delta v_s`` on every class.

    Attributes
    ----------
    holds : bool
    K_plus, R : list of Fraction
        Rigorous slope upper bounds on the box and residual bounds of the centre.
    ratio : float
        ``max_s (delta (|W| K+ v)_s + R_s) / (delta v_s)`` (below 1 iff it holds).
    """

    holds: bool
    K_plus: list
    R: list
    ratio: float

    @property
    def residual(self) -> ConstraintResidual:
        """The residual-table row: ``min_s (delta v_s - lhs_s) / (delta v_s) = 1 - ratio``."""
        return ConstraintResidual(METZLER_CONSTRAINT, 1.0 - self.ratio)


#: Name of the Metzler condition in residual tables.
METZLER_CONSTRAINT = "(delta v - delta |W| K+ v - R) / (delta v) > 0 entrywise"


def metzler_check(
    red: ReducedNetwork,
    center: Sequence[Fraction],
    v: Sequence[Fraction],
    delta: Fraction,
    R: Sequence[Fraction],
) -> MetzlerCheck:
    """Check the Metzler condition (M) of the module docstring exactly."""
    activation = red.network.activation
    K_plus = [slope_upper(activation, h - delta * vt, h + delta * vt) for h, vt in zip(center, v)]
    gain = _abs_times(red, [k * vt for k, vt in zip(K_plus, v)])
    lhs = [delta * g + r for g, r in zip(gain, R)]
    rhs = [delta * vt for vt in v]
    holds = delta > 0 and all(left < right for left, right in zip(lhs, rhs))
    ratio = max(float(left / right) if right > 0 else math.inf for left, right in zip(lhs, rhs))
    return MetzlerCheck(holds, K_plus, list(R), ratio)


# ---------------------------------------------------------------------------------------------
# The memory on the classes
# ---------------------------------------------------------------------------------------------


def class_equilibrium(red: ReducedNetwork, h0: np.ndarray, u: np.ndarray | None = None, *, max_iter: int = 50) -> np.ndarray:
    """Newton's method for ``h = W_hat n Phi(h) + u`` on the classes, from `h0` (k,).

    The equilibrium near a class-constant start is class-constant (units of a class are
    interchangeable), so this is the equilibrium of the full network. Each step solves with the
    Jacobian through the factors of ``W_hat`` (Woodbury, O(k m^2)). Returns the best iterate.
    """
    activation = red.network.activation
    U = np.asarray(red.network.U[red.part.representatives], dtype=float)
    A = U * red.network.c  # W_hat = A U^T
    u = np.zeros(red.n_classes) if u is None else u

    def residual(h: np.ndarray) -> np.ndarray:
        return A @ (U.T @ (red.counts * activation.phi(h))) + u - h

    def newton_step(h: np.ndarray, r: np.ndarray) -> np.ndarray:
        # s = -(W_hat n D - I)^{-1} r by Woodbury: s = r + A (I - B A)^{-1} B r, B = U^T n D
        B = U.T * (red.counts * activation.dphi(h))
        return r + A @ np.linalg.solve(np.eye(A.shape[1]) - B @ A, B @ r)

    # tol 0: iterate until the residual stops decreasing (the certificates want the best centre)
    return damped_newton(residual, newton_step, np.array(h0, dtype=float), tol=0.0, max_iter=max_iter).z


# ---------------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class CertifiedRadius:
    """A certified neighbourhood of a memory from which every trajectory retrieves it.

    Attributes
    ----------
    memory : int
    method : str
        ``"metzler"`` (box, the certified retrieval radius) or ``"lmi"`` (ellipsoid, l2).
    weights : str
        ``"uniform"`` (v = 1) or ``"perron"`` (Metzler only).
    radius : float
        Metzler: delta, the half-width of the box in current units with max v = 1. LMI: the radius
        of the l2 ball inside the certified ellipsoid. 0 when nothing was certified.
    min_half_width : float
        Half-width of the largest cube the certified set contains (``delta min v``, or
        ``radius / sqrt(N)`` for the ellipsoid).
    norm : str
        ``"box"`` or ``"l2"``.
    certificate : Certificate
        kind ``"radius"`` or ``"sector"``; re-check it with :func:`~assocrate.stability.verify`.
    """

    memory: int
    method: str
    weights: str
    radius: float
    min_half_width: float
    norm: str
    certificate: Certificate

    @property
    def certified(self) -> bool:
        """Whether the exact check passed."""
        return self.certificate.verified_exact

    def retrieves(self, network, x: np.ndarray) -> bool | np.ndarray:
        """Whether rate cues provably retrieve the memory: ``h = W x`` lies in the certified set.

        The certificate is for the autonomous network (no input); a statement with a constant input
        needs :func:`certify_input_driven`.

        Box (Metzler): ``|h_i - h_c,i| <= delta v_i`` for every unit; ellipsoid (LMI): the l2 ball of
        radius `radius` (a sufficient test). Always False when nothing was certified.

        Parameters
        ----------
        network : MemoryNetwork
            The network the certificate was made for.
        x : numpy.ndarray, shape (N,) or (N, B)
            Rate cues, one per column.

        Returns
        -------
        bool, or numpy.ndarray of bool of shape (B,)

        Examples
        --------
        >>> from assocrate import Sigmoid, design, equal_overlap_patterns
        >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
        >>> result = certified_radius(net, 0)
        >>> cue = net.memory_rates()[:, 0].copy()
        >>> cue[net.patterns[:, 0]] *= 0.7  # 30 % weaker on the active units
        >>> bool(result.retrieves(net, cue)), bool(result.retrieves(net, 0.3 * cue))
        (True, False)
        """
        if self.certificate.parameters.get("network") != network_digest(network):
            raise InvalidInput("`network` is not the network this radius was certified for (its digest differs)")
        X = np.asarray(x, dtype=float)
        if X.ndim not in (1, 2) or X.shape[0] != network.n_units:
            raise InvalidInput(f"`x` must have shape ({network.n_units},) or ({network.n_units}, B); got {X.shape}")
        H = network.weights_matvec(X)
        if not self.certified:
            return np.zeros(X.shape[1], dtype=bool) if X.ndim == 2 else False
        part = reduce_network(network, reduction=self.certificate.parameters["reduction"]).part
        center = part.expand(self.certificate.data["center"])
        if self.norm == "box":
            width = self.radius * part.expand(self.certificate.data["v"])
            if H.ndim == 2:
                inside = np.all(np.abs(H - center[:, None]) <= width[:, None], axis=0)
            else:
                inside = bool(np.all(np.abs(H - center) <= width))
        else:
            offset = H - (center[:, None] if H.ndim == 2 else center)
            inside = np.linalg.norm(offset, axis=0) <= self.radius
            inside = bool(inside) if H.ndim == 1 else inside
        return inside

    def summary(self) -> str:
        """The radius and the certificate."""
        if self.norm == "box":
            head = (
                f"memory {self.memory}: certified retrieval radius {format_down(self.radius)} "
                f"(box, {self.weights} weights; smallest half-width {format_down(self.min_half_width)})"
            )
        else:
            head = (
                f"memory {self.memory}: certified l2 radius {format_down(self.radius)} (sector-LMI ellipsoid; "
                f"inscribed cube half-width {format_down(self.min_half_width, 3)}) — an l2 statement, not the retrieval radius"
            )
        return head + "\n" + self.certificate.summary()

    def __repr__(self) -> str:
        return (
            f"CertifiedRadius(memory={self.memory}, method={self.method!r}, radius={self.radius:.6g}, "
            f"min_half_width={self.min_half_width:.6g}, certified={self.certified})"
        )


# ---------------------------------------------------------------------------------------------
# Metzler radius
# ---------------------------------------------------------------------------------------------


def radius_claim(memory: int, delta: float, min_half_width: float, in_box: bool) -> str:
    """The statement an exactly verified radius certificate proves."""
    nominal = "; the rescaled pattern a + (b - a) xi lies in the box" if in_box else ""
    return (
        f"every current-form trajectory starting in the box |h - h_c| <= delta v around memory {memory} "
        f"(delta = {format_down(delta)}, max v = 1, smallest half-width {format_down(min_half_width)}) stays in it and converges "
        f"exponentially to the memory, the only equilibrium in the box (Metzler majorant |W| K+ v < v); "
        f"a rate state x retrieves it whenever W x lies in the box{nominal}"
    )


def _metzler_ratio(red: ReducedNetwork, abs_weights: np.ndarray, center: np.ndarray, delta: float,
                   R: np.ndarray, perron: bool) -> tuple[float, np.ndarray]:
    """Float version of (M): the ratio and the weights v (uniform, or a Perron vector by power iteration)."""
    activation = red.network.activation
    v = np.ones_like(center)
    for _ in range(200 if perron else 1):
        _, K_plus = activation.slope_bounds(center - delta * v, center + delta * v)
        M = abs_weights * K_plus[None, :]
        if not perron:
            break
        w = M @ v
        if not np.all(w > 0):
            break
        w = w / w.max()
        w = np.maximum(w, 1e-6)
        if np.max(np.abs(w - v)) < 1e-12:
            v = w
            break
        v = w
    _, K_plus = activation.slope_bounds(center - delta * v, center + delta * v)
    lhs = abs_weights @ (K_plus * v) + R / delta
    return float(np.max(lhs / v)), v


def _largest(predicate, start: float, *, iterations: int = 50) -> float:
    """Largest x in (0, hi] with predicate(x) by doubling then bisection (0 if none)."""
    hi = start
    if predicate(hi):
        for _ in range(20):
            if not predicate(2 * hi):
                break
            hi *= 2
        else:
            return hi
        lo, hi = hi, 2 * hi
    else:
        lo = 0.0
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if predicate(mid):
            lo = mid
        else:
            hi = mid
    return lo


def memory_center(network, red: ReducedNetwork, mu: int) -> tuple[np.ndarray, np.ndarray]:
    rows = network.patterns[red.part.representatives, mu]
    nominal = network.a + (network.b - network.a) * rows.astype(float)
    return class_equilibrium(red, nominal), nominal


def certified_radius(
    network,
    mu: int,
    *,
    method: str = "metzler",
    weights: str = "uniform",
    reduction: str = "types",
    solver: str | None = None,
    solver_options: Mapping | None = None,
) -> CertifiedRadius:
    """The largest certified basin of memory `mu`: a box (Metzler) or an ellipsoid (sector LMI).

    Parameters
    ----------
    network : MemoryNetwork
    mu : int
        Memory index.
    method : {"metzler", "lmi"}, default "metzler"
        ``"metzler"``: the largest delta (bisection) for which the box ``|h - h_c| <= delta v`` is
        proved forward invariant and contracting — the certified retrieval radius with v = 1.
        ``"lmi"``: the sector LMI on the box; the certified set is an ellipsoid, reported by the
        radius of the l2 ball it contains (never the headline radius).
    weights : {"uniform", "perron"}, default "uniform"
        Metzler weights: v = 1, or a Perron vector of ``|W| K+`` (a larger delta on a thinner
        box; compare `min_half_width`).
    reduction : {"types", "full"}, default "types"
        Compute on row types (O(k^2), any N) or unit by unit (O(N^2)).
    solver, solver_options
        For ``method="lmi"`` (see :func:`assocrate.certify.lmi.certify_contraction`).

    Returns
    -------
    CertifiedRadius
        ``radius`` is 0 and the certificate says "no certificate found" when nothing could be
        certified (e.g. an unstable memory).

    Examples
    --------
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> result = certified_radius(net, 0)
    >>> result.certified, round(result.radius, 3)
    (True, 0.414)
    """
    check_network(network)
    mu = check_index("mu", mu, network.n_patterns)
    method = check_choice("method", method, METHODS)
    weights = check_choice("weights", weights, WEIGHTS)
    if method == "lmi" and weights != "uniform":
        raise InvalidInput(f"`weights`={weights!r} applies to method='metzler' only; got method='lmi'")
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    options = check_solver_options(solver_options)
    red = reduce_network(network, reduction=reduction)
    center, nominal = memory_center(network, red, mu)
    center_exact = fraction_vector(center)
    R = residual_bound(red, center_exact, None)
    parameters = {**base_parameters(network, red), "memory": mu, "method": method, "weights": weights}
    if method == "lmi":
        solver = check_solver(solver, 2 * red.n_classes)
        too_large = size_verdict(2 * red.n_classes, red.n_classes)
        if too_large is not None:
            cert = no_certificate("sector", too_large, solver=None, parameters=parameters)
            return CertifiedRadius(mu, method, weights, 0.0, 0.0, "l2", cert)
        return _sector_radius(red, mu, center, center_exact, R, solver, options, parameters)
    abs_weights = np.abs(red.W_hat) * red.counts[None, :]
    R_float = np.array([float(r) for r in R])
    perron = weights == "perron"

    def certified_in_float(delta: float) -> bool:
        return _metzler_ratio(red, abs_weights, center, delta, R_float, perron)[0] < 1.0

    delta_float = _largest(certified_in_float, network.b - network.a)
    data = {"center": center, "counts": red.counts}
    check = None
    for attempt in range(12):
        if not delta_float > 0:
            break
        delta_float *= 1.0 - 1e-9 * 4**attempt
        _, v_float = _metzler_ratio(red, abs_weights, center, delta_float, R_float, perron)
        v_float, v_exact = round_vector(v_float / v_float.max())
        delta = _dyadic_floor(delta_float, _DELTA_BITS)
        check = metzler_check(red, center_exact, v_exact, delta, R)
        if check.holds:
            break
    if check is None or not check.holds:
        reason = (
            "no box around the memory satisfies |W| K+ v < v (the memory is not certifiably stable)"
            if check is None else f"the exact check failed at delta = {float(delta):.6g} (ratio {check.ratio:.9g})"
        )
        cert = no_certificate("radius", reason, solver=None, parameters=parameters, data=data)
        return CertifiedRadius(mu, method, weights, 0.0, 0.0, "box", cert)
    min_half_width = float(delta * min(v_exact))
    float_ratio = _metzler_ratio(red, abs_weights, center, float(delta), R_float, perron)[0]
    in_box = all(abs(to_fraction(h) - c) <= delta * vt
                 for h, c, vt in zip(nominal, center_exact, v_exact))
    data.update({"v": v_float, "delta": float(delta), "K_plus": np.array([float(k) for k in check.K_plus]),
                 "residual_bound": np.array([float(r) for r in R]), "ratio": check.ratio,
                 "min_half_width": min_half_width})
    cert = seal(Certificate(
        radius_claim(mu, float(delta), min_half_width, in_box),
        "radius",
        data,
        residuals=[check.residual],
        verified_float=float_ratio < 1.0,
        verified_exact=True,
        parameters={**parameters, "radius": float(delta)},
        exact_data={"center": fmpq_row(center_exact), "v": fmpq_row(v_exact), "delta": delta,
                    "K_plus": fmpq_row(check.K_plus), "R": fmpq_row(R)},
    ))
    return CertifiedRadius(mu, method, weights, float(delta), min_half_width, "box", cert)


# ---------------------------------------------------------------------------------------------
# Sector LMI ellipsoid
# ---------------------------------------------------------------------------------------------


def slope_interval_bounds(red: ReducedNetwork, center: Sequence[Fraction], v: Sequence[Fraction],
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
class SectorCheck:
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


def inverse_diagonal(red: ReducedNetwork, Q: flint.fmpq_mat, sigma: Sequence) -> list[Fraction]:
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


def sector_check(red: ReducedNetwork, *, Q, sigma, lam, K_minus, K_plus, margin, v, delta, ell, r2, R) -> SectorCheck:
    """The exact checks of the sector certificate (module docstring)."""
    blocks = contraction_blocks(red, form="current", Q=Q, sigma=sigma, lam=lam, K_plus=K_plus,
                                K_minus=K_minus, c=0, margin=margin)
    residuals, verified_float, blocks_hold = check_blocks(blocks)
    n = red.counts_exact
    positive_sigma = all(to_fmpq(sigma[t]) > 0 for t in range(len(n)) if n[t] >= 2)
    inside = False
    if blocks_hold and positive_sigma:
        diagonal = inverse_diagonal(red, Q, sigma)
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
    return SectorCheck(blocks_hold, inside, ball, invariant, residuals, verified_float)


def sector_claim(memory: int, r2: float, delta: float, n_units: int) -> str:
    """The statement an exactly verified sector certificate proves."""
    return (
        f"every current-form trajectory starting in the ellipsoid (h - h_c)^T Q (h - h_c) <= l around memory "
        f"{memory} converges exponentially to the memory; the ellipsoid lies in the box of half-width "
        f"{format_up(delta)} and contains the l2 ball of radius {format_down(r2)} (the cube of half-width "
        f"{format_down(r2 / math.sqrt(n_units) * (1 - 2.0**-48), 3)}): "
        f"an l2 statement (sector LMI), not the certified retrieval radius"
    )


def _sector_radius(red, mu, center, center_exact, R, solver, options, parameters) -> CertifiedRadius:
    network = red.network
    activation = network.activation
    v_exact = [Fraction(1)] * red.n_classes

    def solve(delta: float):
        K_minus, K_plus = activation.slope_bounds(center - delta, center + delta)
        return solve_incremental_lmi(red, form="current", K_plus=K_plus, K_minus=K_minus,
                                     solver=solver, options=options)

    def feasible(delta: float) -> bool:
        solution = solve(delta)
        return solution.failure is None and solution.margin > 1e-6

    delta_float = _largest(feasible, (network.b - network.a) / 4, iterations=14)
    data = {"center": center, "counts": red.counts}
    last = None
    for _ in range(4):
        if not delta_float > 0:
            break
        delta = _dyadic_floor(delta_float, _DELTA_BITS)
        solution = solve(float(delta))
        if solution.failure is not None or not solution.margin > 0:
            delta_float *= 0.8
            continue
        lmi_data, exact = exact_contraction_data(solution)
        K_minus, K_plus = slope_interval_bounds(red, center_exact, v_exact, delta)
        margin = _dyadic_floor(solution.margin / 2, 40)
        diagonal = inverse_diagonal(red, exact["Q"], exact["sigma"])
        ell = _down(min(delta**2 / q for q in diagonal), 60) * (1 - Fraction(1, 2**20))
        Q_tilde = lmi_data["Q"] / np.sqrt(np.outer(red.counts, red.counts))
        largest = max(float(scipy.linalg.eigvalsh(Q_tilde)[-1]), float(np.max(lmi_data["sigma"])))
        r2 = _dyadic_floor(math.sqrt(float(ell) / largest) * (1 - 1e-6), 40)
        check = sector_check(red, Q=exact["Q"], sigma=exact["sigma"], lam=exact["lambda"], K_minus=K_minus,
                             K_plus=K_plus, margin=margin, v=v_exact, delta=delta, ell=ell, r2=r2, R=R)
        last = (solution, lmi_data, check)
        if check.holds:
            data.update(lmi_data)
            data.update({"delta": float(delta), "K_minus": np.array([float(x) for x in K_minus]),
                         "K_plus": np.array([float(x) for x in K_plus]), "margin": float(margin),
                         "ell": float(ell), "r2": float(r2), "residual_bound": np.array([float(r) for r in R])})
            cert = seal(Certificate(
                sector_claim(mu, float(r2), float(delta), network.n_units),
                "sector",
                data,
                solver=solution.info,
                residuals=check.residuals,
                verified_float=check.verified_float,
                verified_exact=True,
                parameters={**parameters, "radius": float(r2)},
                exact_data={"Q": exact["Q"], "sigma": fmpq_row(exact["sigma"]), "lambda": fmpq_row(exact["lambda"]),
                            "K_minus": fmpq_row(K_minus), "K_plus": fmpq_row(K_plus), "center": fmpq_row(center_exact),
                            "v": fmpq_row(v_exact), "delta": delta, "margin": margin, "ell": ell, "r2": r2,
                            "R": fmpq_row(R)},
            ))
            return CertifiedRadius(mu, "lmi", "uniform", float(r2), float(r2) / math.sqrt(network.n_units), "l2", cert)
        delta_float *= 0.8
    if last is None:
        reason = "the sector LMI is infeasible on every box tried"
        cert = no_certificate("sector", reason, solver=None, parameters=parameters, data=data)
    else:
        solution, _, check = last
        reason = (f"the exact checks failed (blocks {check.blocks_hold}, ellipsoid in box {check.inside_box}, "
                  f"ball in ellipsoid {check.ball_inside}, invariance {check.invariant})")
        cert = no_certificate("sector", reason, solver=solution.info, parameters=parameters, data=data,
                              residuals=check.residuals)
    return CertifiedRadius(mu, "lmi", "uniform", 0.0, 0.0, "l2", cert)


# ---------------------------------------------------------------------------------------------
# Absorbing box and input-driven retrieval
# ---------------------------------------------------------------------------------------------


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


def interval_iteration(red: ReducedNetwork, u: Sequence[Fraction], n_steps: int) -> tuple[list, list, int, bool]:
    """Rigorous interval iteration on the classes: at most `n_steps` steps, stopping at a fixed point."""
    activation = red.network.activation
    n = red.counts_exact

    def parts(w):  # (W+ w, W- w) on the classes: W+ = (|W| + W) / 2, W- = (W - |W|) / 2
        plain, absolute = _times(red, w), _abs_times(red, w)
        return [(a + p) / 2 for a, p in zip(absolute, plain)], [(p - a) / 2 for a, p in zip(absolute, plain)]

    ones = [Fraction(1)] * len(n)
    positive_ones, negative_ones = parts(ones)
    lower = [_down(x + us) for x, us in zip(negative_ones, u)]
    upper = [_up(x + us) for x, us in zip(positive_ones, u)]
    steps = 0
    converged = False
    while steps < n_steps:
        phi_low = [phi_bounds(activation, h)[0] for h in lower]
        phi_high = [phi_bounds(activation, h)[1] for h in upper]
        positive_high, negative_high = parts(phi_high)
        positive_low, negative_low = parts(phi_low)
        new_upper = [_up(p + q + us) for p, q, us in zip(positive_high, negative_low, u)]
        new_lower = [_down(p + q + us) for p, q, us in zip(positive_low, negative_high, u)]
        new_upper = [min(a, b) for a, b in zip(upper, new_upper)]
        new_lower = [max(a, b) for a, b in zip(lower, new_lower)]
        steps += 1
        if new_upper == upper and new_lower == lower:
            converged = True
            break
        upper, lower = new_upper, new_lower
    return lower, upper, steps, converged


def _input_classes(network, u: object, reduction: str) -> tuple[ReducedNetwork, list[Fraction]]:
    if u is None:
        u = 0.0
    red = reduce_network(network, u=u, reduction=reduction)
    u_vec = np.broadcast_to(np.asarray(u, dtype=float), (network.n_units,))
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
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> box = absorbing_box(net, 1.0 * (2 * net.patterns[:, 0] - 1))
    >>> box.converged, round(box.width, 6)
    (True, 0.0)
    """
    check_network(network)
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise InvalidInput(f"`max_iter` must be an integer >= 1; got {max_iter!r}")
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    red, u_exact = _input_classes(network, u, reduction)
    lower, upper, steps, converged = interval_iteration(red, u_exact, max_iter)
    lo = red.part.expand(np.array([float(x) for x in lower]))
    hi = red.part.expand(np.array([float(x) for x in upper]))
    lo.flags.writeable = False
    hi.flags.writeable = False
    return AbsorbingBox(lo, hi, steps, converged, lower, upper)


def overlap_bounds(red: ReducedNetwork, lower: Sequence[Fraction], upper: Sequence[Fraction]) -> tuple[np.ndarray, np.ndarray]:
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
        lows.append(float(_down(sum(n[t] * low_rates[t] for t in members) / size)))
        highs.append(float(_up(sum(n[t] * high_rates[t] for t in members) / size)))
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


def input_metzler(red: ReducedNetwork, lower, upper, epsilon: Fraction, v: Sequence[Fraction] | None = None):
    """Metzler test on the enlarged box: (holds, K_plus, v, residual row), with a Perron v when none is given."""
    activation = red.network.activation
    K_plus = [slope_upper(activation, lo - epsilon, hi + epsilon) for lo, hi in zip(lower, upper)]
    if v is None:
        M = np.abs(red.W_hat) * red.counts[None, :] * np.array([float(k) for k in K_plus])[None, :]
        w = np.ones(red.n_classes)
        for _ in range(500):
            z = M @ w + 1e-9
            z = z / z.max()
            if np.max(np.abs(z - w)) < 1e-13:
                w = z
                break
            w = z
        _, v = round_vector(np.maximum(w / w.max(), 1e-6))
    gain = _abs_times(red, [k * vt for k, vt in zip(K_plus, v)])
    holds = all(g < vt for g, vt in zip(gain, v))
    ratio = max(float(g / vt) for g, vt in zip(gain, v))
    return holds, K_plus, list(v), ConstraintResidual(METZLER_CONSTRAINT, 1.0 - ratio)


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
        kind ``"input"``; data ``lower``, ``upper`` (per class) and rigorous overlap bounds.

    Examples
    --------
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> cert = certify_input_driven(net, 1.0 * (2 * net.patterns[:, 0] - 1), memory=0)
    >>> cert.verified_exact, cert.parameters["retrieved"]
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
    lower, upper, steps, converged = interval_iteration(red, u_exact, max_iter)
    parameters = {**base_parameters(network, red), "method": method, "iterations": steps,
                  "epsilon": float(ABSORBING_EPSILON)}
    if memory is not None:
        parameters["memory"] = memory
    rate_lo, rate_hi = overlap_bounds(red, lower, upper)
    best = int(np.argmax(rate_lo))
    others = np.delete(rate_hi, best)
    retrieved = best if others.size == 0 or rate_lo[best] > others.max() else None
    parameters["retrieved"] = -1 if retrieved is None else retrieved
    data = {"lower": np.array([float(x) for x in lower]), "upper": np.array([float(x) for x in upper]),
            "u": np.array([float(x) for x in u_exact]), "counts": red.counts,
            "overlap_lower": rate_lo, "overlap_upper": rate_hi}
    exact_box = {"lower": fmpq_row(lower), "upper": fmpq_row(upper), "u": fmpq_row(u_exact), "epsilon": ABSORBING_EPSILON}
    other_high = float(others.max()) if others.size else 0.0
    claim = input_claim(memory, retrieved, float(rate_lo[best]), other_high)
    if method == "contraction":
        K_plus = [slope_upper(network.activation, lo - ABSORBING_EPSILON, hi + ABSORBING_EPSILON) for lo, hi in zip(lower, upper)]
        solver = check_solver(solver, 2 * red.n_classes)
        inner = incremental_certificate(red, form="current", K=K_plus, solver=solver, options=options,
                                        parameters=parameters, where="on the absorbing box", kind="input")
        if not inner.verified_exact:
            return no_certificate("input", inner.claim.removeprefix("no certificate found: "), solver=inner.solver,
                                  parameters=parameters, data={**data, **inner.data}, residuals=inner.residuals)
        return seal(Certificate(
            claim, "input", {**data, **inner.data}, solver=inner.solver, residuals=inner.residuals,
            verified_float=inner.verified_float, verified_exact=True,
            parameters={**parameters, "rate": inner.parameters["rate"]},
            exact_data={**exact_box, **dict(inner.exact_data)},
        ))
    holds, K_plus, v, row = input_metzler(red, lower, upper, ABSORBING_EPSILON)
    data.update({"K_plus": np.array([float(k) for k in K_plus]), "v": np.array([float(x) for x in v])})
    if not holds:
        return no_certificate(
            "input",
            "the Metzler majorant |W| K+ v < v fails on the absorbing box (the input does not make the network "
            "certifiably monostable: increase it)",
            solver=None, parameters=parameters, data=data, residuals=[row],
        )
    return seal(Certificate(
        claim, "input", data, residuals=[row], verified_float=True, verified_exact=True, parameters=parameters,
        exact_data={**exact_box, "K_plus": fmpq_row(K_plus), "v": fmpq_row(v)},
    ))
