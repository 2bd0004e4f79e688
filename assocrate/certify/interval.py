"""A tighter certified retrieval radius by interval iteration (monotone decomposition, theory.md §5 item 3b).

Current form ``tau h' = -h + W Phi(h)`` (no input). For a box ``B = [lo, hi]`` (per unit) let

    F(B) = [W+ Phi(lo) + W- Phi(hi),  W+ Phi(hi) + W- Phi(lo)],     W+ = max(W, 0), W- = min(W, 0),

the exact range hull of ``W Phi(h)`` over B (each unit's bound is attained at a corner of B).

1. If ``F(B) ⊆ B``, B is forward invariant: on the face ``h_i = hi_i``,
   ``tau h_i' = -hi_i + (W Phi(h))_i <= -hi_i + F(B)_hi,i <= 0`` (and likewise below).
2. Every trajectory in B approaches ``F(B)``: ``tau h_i' <= -h_i + F(B)_hi,i`` gives
   ``limsup h_i <= F(B)_hi,i``. Inductively, if ``dist(h(t), C) -> 0`` for a box C, then for every
   epsilon eventually ``h(t) ∈ C + eta`` and, F being continuous and monotone under inclusion,
   ``limsup h_i <= F(C)_hi,i + epsilon``; so ``dist(h(t), F(C)) -> 0``, and ``dist(h(t), C ∩ F(C)) -> 0``
   (for intervals, being near two intersecting intervals is being near their intersection). The
   chain ``B_0 = B``, ``B_{j+1} = B_j ∩ F~(B_j)`` (``F~ ⊇ F`` computed with outward rounding) is
   therefore approached by every trajectory from B, for every j.
3. If ``B_K`` lies strictly inside a box ``M = {|h - h_c| <= delta_M v_M}`` on which the Metzler
   majorant holds (:mod:`~assocrate.certify.metzler`: M is forward invariant, contracting and holds
   exactly one equilibrium), every trajectory from B enters M in finite time and converges to
   that equilibrium. The checker requires the recomputed equilibrium of the named memory to lie in
   M, so it is that memory.

Row types. With B constant on each class of interchangeable units (:mod:`~assocrate.certify._reduction`),
``F(B)`` is class-constant too: ``F(B)_hi,s = sum_t (W_hat+ diag(n))_st Phi(hi_t) + (W_hat- diag(n))_st Phi(lo_t)``
(k x k). Rigour: ``Phi`` at the box ends is bounded by ball arithmetic (python-flint arb), the
products with ``W_hat`` and ``|W_hat|`` go through the stored float factors ``W_hat = L_hat C R_hat^T``
(read exactly; no symmetry is needed, so the projection rule is covered) and the exact signs of
``W_hat``, in arb at ``PRECISION`` bits, and every bound of ``F~`` is rounded outward to a multiple
of ``2**-BOX_BITS``. The inclusions are then decided in exact rationals.

Witness: ``delta`` (and v = 1), the number of steps K, the last box ``B_K`` and the Metzler box
(``delta_M``, ``v_M``, with its slope and residual bounds). The check (:func:`verify_interval`)
recomputes the chain and every bound from the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np

from ..certify._rational import fraction_vector, to_fmpq
from ..certify._reduction import ReducedNetwork
from ..certify._rigorous import BOX_BITS, PRECISION, ball_lower, ball_upper, dyadic_down, format_down, phi_bounds
from ..certify.basin import DELTA_BITS, CertifiedRadius, largest, require_box, require_memory_in_box, residual_bound
from ..certify.blocks import fmpq_row, round_vector
from ..certify.metzler import is_irreducible_on_classes, metzler_check, metzler_ratio
from ..certify.record import Certificate, ConstraintResidual
from ..certify.status import CertificateStatus
from ..certify.witness import (
    Checked,
    CheckFailed,
    exact_scalar,
    exact_vector,
    no_certificate,
    require,
    seal_checked,
    witness,
)

__all__ = [
    "INTERVAL_CONSTRAINT",
    "MAX_STEPS",
    "IntervalChain",
    "interval_chain",
    "interval_claim",
    "interval_radius",
    "verify_interval",
]

#: Longest chain the certifier builds (and the checker accepts).
MAX_STEPS = 400
#: Name of the invariance condition in residual tables.
INTERVAL_CONSTRAINT = "F(B) inside B: min_s (distance of F(B)_s to the faces of B_s) / delta >= 0"
#: The end box M is the Metzler box of half-width ``END_FRACTION`` times the largest float-certified one.
END_FRACTION = 0.5


@dataclass(frozen=True)
class _Factors:
    """The factors of ``W_hat = L_hat C R_hat^T`` in arb: ``R_hat`` (k x m) as a matrix and by rows,
    ``L_hat C`` by rows, ``sign(W_hat)`` as a matrix, and the class sizes n."""

    R: flint.arb_mat
    R_rows: list
    LC_rows: list
    sign: flint.arb_mat
    counts: list


def _rows(matrix: flint.arb_mat) -> list:
    entries, m = matrix.entries(), matrix.ncols()
    return [entries[s * m:(s + 1) * m] for s in range(matrix.nrows())]


def _factors(red: ReducedNetwork) -> _Factors:
    with flint.ctx.workprec(PRECISION):
        R = flint.arb_mat(red.R_exact)
        c = [flint.arb(cj) for cj in red.c_exact]
        scaled = [[x * cj for x, cj in zip(row, c)] for row in _rows(flint.arb_mat(red.L_exact))]
        return _Factors(R, _rows(R), scaled, flint.arb_mat(red.sign_exact), list(red.counts_exact))


def _image(red: ReducedNetwork, factors: _Factors, lower: Sequence[Fraction],
           upper: Sequence[Fraction]) -> tuple[list[Fraction], list[Fraction]]:
    """``F~(B)``: an outward-rounded dyadic enclosure of F(B) for the class box ``[lower, upper]``.

    With ``p >= Phi(upper)`` and ``l <= Phi(lower)`` (ball bounds), ``W+ p + W- l = W m + |W| w`` and
    ``W+ l + W- p = W m - |W| w`` for ``m = (p + l)/2``, ``w = (p - l)/2`` (``W± = (W ± |W|)/2``);
    both products go through the factors ``W_hat = L_hat C R_hat^T`` (``L = R = U`` for the
    paper's symmetric rule), ``|W| y = sum_j c_j l_j o (sign(W) (r_j o y))``, in arb.
    """
    activation = red.network.activation
    R = factors.R
    k, m = R.nrows(), R.ncols()
    high = [phi_bounds(activation, h)[1] for h in upper]
    low = [phi_bounds(activation, h)[0] for h in lower]
    with flint.ctx.workprec(PRECISION):
        middle = [flint.arb(to_fmpq(n * (p + q) / 2)) for n, p, q in zip(factors.counts, high, low)]
        spread = [flint.arb(to_fmpq(n * (p - q) / 2)) for n, p, q in zip(factors.counts, high, low)]
        coefficients = (R.transpose() * flint.arb_mat(k, 1, middle)).entries()
        center = (flint.arb_mat(k, m, [x for row in factors.LC_rows for x in row])
                  * flint.arb_mat(m, 1, coefficients)).entries()
        Y = flint.arb_mat(k, m, [r * w for row, w in zip(factors.R_rows, spread) for r in row])
        Z = (factors.sign * Y).entries()
        radius = [sum((a * z for a, z in zip(row, Z[s * m:(s + 1) * m])), flint.arb(0))
                  for s, row in enumerate(factors.LC_rows)]
        return ([ball_lower(x - r, BOX_BITS) for x, r in zip(center, radius)],
                [ball_upper(x + r, BOX_BITS) for x, r in zip(center, radius)])


@dataclass(frozen=True)
class IntervalChain:
    """The chain ``B_0 = B``, ``B_{j+1} = B_j ∩ F~(B_j)``.

    Attributes
    ----------
    invariant : bool
        ``F~(B) ⊆ B`` (exact comparison of dyadic rationals).
    margin : float
        ``min_s`` distance of ``F~(B)_s`` to the faces of ``B_s``, over delta (>= 0 iff invariant).
    steps : int
        K, the number of images taken (0 when B is not invariant).
    lower, upper : list of Fraction
        ``B_K`` per class.
    """

    invariant: bool
    margin: float
    steps: int
    lower: list
    upper: list

    @property
    def residual(self) -> ConstraintResidual:
        """The residual-table row of the invariance condition (not strict: ``F(B) ⊆ B`` may touch)."""
        return ConstraintResidual(INTERVAL_CONSTRAINT, self.margin, strict=False)


def _inside(lower, upper, center, v, delta) -> bool:
    """Whether the box ``[lower, upper]`` lies strictly inside ``|h - center| < delta v``."""
    return all(c - delta * vt < lo and hi < c + delta * vt for lo, hi, c, vt in zip(lower, upper, center, v))


def interval_chain(red: ReducedNetwork, center: Sequence[Fraction], v: Sequence[Fraction], delta: Fraction,
                   n_steps: int, end=None, *, factors: _Factors | None = None) -> IntervalChain:
    """The rigorous chain from ``B = {|h - center| <= delta v}`` (class-constant), at most `n_steps` images.

    Stops early when the box stops changing or, with ``end = (center, v, delta)`` of a box M, when
    it lies strictly inside M. The check runs it without `end` for the recorded number of steps.
    """
    factors = _factors(red) if factors is None else factors
    lower = [c - delta * vt for c, vt in zip(center, v)]
    upper = [c + delta * vt for c, vt in zip(center, v)]
    image_lo, image_hi = _image(red, factors, lower, upper)
    gaps = [min(il - lo, hi - ih) / (delta * vt) for il, ih, lo, hi, vt in zip(image_lo, image_hi, lower, upper, v)]
    margin = float(min(gaps))
    if margin < 0:
        return IntervalChain(False, margin, 0, lower, upper)
    lower, upper, steps = image_lo, image_hi, 1
    while steps < n_steps and not (end is not None and _inside(lower, upper, *end)):
        image_lo, image_hi = _image(red, factors, lower, upper)
        new_lower = [max(a, b) for a, b in zip(lower, image_lo)]
        new_upper = [min(a, b) for a, b in zip(upper, image_hi)]
        steps += 1
        if new_lower == lower and new_upper == upper:
            break
        lower, upper = new_lower, new_upper
    return IntervalChain(True, margin, steps, lower, upper)


def interval_claim(memory: int, delta: float, min_half_width: float, steps: int, end_delta: float) -> str:
    """The statement an exactly verified interval certificate proves."""
    return (
        f"every current-form trajectory starting in the box |h - h_c| <= delta v around memory {memory} "
        f"(delta = {format_down(delta)}, max v = 1, smallest half-width {format_down(min_half_width)}) stays in it and "
        f"converges to the memory: the box is forward invariant (F(B) inside B, monotone decomposition), its "
        f"interval image after {steps} steps lies inside a Metzler box of half-width {format_down(end_delta)} around the memory "
        "(|W| K+ v < v), whose only equilibrium is the memory; a rate state x retrieves it whenever W x lies in the box"
    )


def verify_interval(certificate: Certificate, network, red: ReducedNetwork) -> Checked:
    """Check an interval certificate exactly, hypothesis by hypothesis (theory.md §5 item 3b).

    The theorem (module docstring): every current-form trajectory starting in
    ``B = {h : |h - h_c| <= delta v}`` stays in B and converges to memory mu's equilibrium, if

    1. *dimensions*: ``center``, ``v``, ``lower``, ``upper``, ``metzler_v``, ``K_plus`` and ``R``
       have one entry per class of the network (the row-type count, recomputed);
    2. *the box B*: ``delta > 0``, ``v > 0``, ``max v = 1``;
    3. *the end box M* ``= {|h - h_c| <= delta_M v_M}``: ``delta_M > 0``, ``v_M > 0``,
       ``max v_M = 1``, the rigorous bounds ``R >= |W Phi(h_c) - h_c|`` and ``K^+ >= phi'`` on M
       equal the ones recomputed from the network, and the Metzler inequality
       ``delta_M (|W| K^+ v_M)_s + R_s < delta_M v_s`` holds exactly on every class;
    4. *identity*: the equilibrium M holds is the named memory's (every rate state of M is
       l1-nearer to that memory's designed state than to every other and to the uniform states;
       exact, :func:`~assocrate.certify.basin.require_memory_in_box`);
    5. *invariance*: ``F~(B) ⊆ B`` (outward rounding, exact comparison);
    6. *the chain*: ``K`` (``parameters["steps"]``) is an integer in ``[1, MAX_STEPS]``, the chain
       ``B_K`` recomputed from B lies in the recorded last box, and that box lies strictly inside M;
    7. the recorded ``radius`` is delta;
    8. the recorded ``irreducible`` (whether ``|W| K^+`` on the end box is irreducible, reported, not
       assumed; files written before it was reported have none) is recomputed from the network and K^+.

    Raises :class:`~assocrate.certify.witness.CheckFailed` naming the first failed hypothesis.
    """
    k = red.n_classes
    entries = {name: exact_vector(certificate, name, k) for name in ("center", "v", "lower", "upper", "metzler_v",
                                                                      "K_plus", "R")}
    center, v, delta = require_box(certificate, k)
    end_v, end_delta = entries["metzler_v"], exact_scalar(certificate, "metzler_delta", hypothesis=1)
    require(3, "the end box: delta_M > 0, v_M > 0, max v_M = 1",
             isinstance(end_delta, Fraction) and end_delta > 0 and min(end_v) > 0 and max(end_v) == 1)
    R = residual_bound(red, center, None)
    require(3, "the end box: rigorous residual bounds", list(entries["R"]) == R,
             "the recorded residual bounds R differ from the ones recomputed from the network")
    check = metzler_check(red, center, end_v, end_delta, R)
    require(3, "the end box: rigorous slope bounds", list(entries["K_plus"]) == check.K_plus,
             "the recorded slope bounds K_plus differ from the ones recomputed from the network")
    require(3, "the end box: the Metzler inequality", check.holds, f"ratio {check.ratio:.9g} >= 1", (check.residual,))
    mu = require_memory_in_box(certificate, network, red, center, end_v, end_delta, hypothesis=4)
    steps = certificate.parameters.get("steps")
    require(6, "the chain: the number of steps", not isinstance(steps, bool) and isinstance(steps, int)
             and 1 <= steps <= MAX_STEPS, f"steps must be an integer in [1, {MAX_STEPS}]; got {steps!r}")
    chain = interval_chain(red, center, v, delta, steps)
    rows = (chain.residual, check.residual)
    require(5, "invariance: F(B) inside B", chain.invariant, f"margin {chain.margin:.3g}", rows)
    lower, upper = entries["lower"], entries["upper"]
    require(6, "the chain: B_K inside the recorded last box",
             all(lo <= a and b <= hi for lo, a, b, hi in zip(lower, chain.lower, chain.upper, upper)),
             f"after {steps} steps", rows)
    require(6, "the chain: the recorded last box strictly inside the Metzler box",
             _inside(lower, upper, center, end_v, end_delta), "", rows)
    require(7, "the recorded radius is delta", certificate.parameters.get("radius") == float(delta))
    irreducible = is_irreducible_on_classes(red, check.K_plus)
    require(8, "the recorded irreducibility of |W| K+ on the end box", certificate.parameters.get("irreducible")
            in (None, irreducible), f"recorded {certificate.parameters.get('irreducible')!r}, recomputed {irreducible}")
    claim = interval_claim(mu, float(delta), float(delta * min(v)), steps, float(end_delta))
    return Checked(rows, check.ratio < 1.0, claim)


def _float_split(red: ReducedNetwork) -> tuple[np.ndarray, np.ndarray]:
    weights = red.W_hat * red.counts[None, :]
    return np.maximum(weights, 0.0), np.minimum(weights, 0.0)


def _float_certifies(red: ReducedNetwork, parts, center: np.ndarray, delta: float, end_delta: float) -> bool:
    """Float version of the chain with v = 1: invariance, then inside the end box within MAX_STEPS."""
    plus, minus = parts
    phi = red.network.activation.phi
    lower, upper = center - delta, center + delta
    for step in range(MAX_STEPS):
        lo_rate, hi_rate = phi(lower), phi(upper)
        image_lo, image_hi = plus @ lo_rate + minus @ hi_rate, plus @ hi_rate + minus @ lo_rate
        if step == 0 and not (np.all(image_lo >= lower) and np.all(image_hi <= upper)):
            return False
        lower, upper = np.maximum(lower, image_lo), np.minimum(upper, image_hi)
        if np.all(upper < center + 0.5 * end_delta) and np.all(lower > center - 0.5 * end_delta):
            return True
    return False


def _end_box(red: ReducedNetwork, center: np.ndarray, center_exact, R) -> tuple:
    """The Metzler end box M: (delta_M, v_M, check) or None when no Metzler box is certified."""
    R_float = np.array([float(r) for r in R])
    for perron in (False, True):
        def certified(delta: float) -> bool:
            return metzler_ratio(red, "exact", center, delta, R_float, perron)[0] < 1.0  # noqa: B023

        delta_float = END_FRACTION * largest(certified, red.network.b - red.network.a)
        for _ in range(4):
            if not delta_float > 0:
                break
            v_float = metzler_ratio(red, "exact", center, delta_float, R_float, perron)[1]
            v_exact = round_vector(v_float / v_float.max())[1]
            delta = dyadic_down(delta_float, DELTA_BITS)
            check = metzler_check(red, center_exact, v_exact, delta, R)
            if check.holds:
                return delta, v_exact, check
            delta_float *= 0.5
    return None


def interval_radius(network, red: ReducedNetwork, mu: int, center: np.ndarray, R: Sequence[Fraction],
                    parameters: dict) -> CertifiedRadius:
    """The certified retrieval radius of memory `mu` by interval iteration (the builder of kind "interval").

    Called by :func:`~assocrate.certify.radius.certified_radius` with ``method="interval"``, which
    validates the arguments and computes the centre (the memory's equilibrium on the classes) and its
    rigorous residual bounds R. The largest delta for which the float chain certifies is found by
    bisection, rounded down to a dyadic rational and checked by :func:`verify_interval`; on an
    exact failure delta is reduced slightly and retried.
    """
    center_exact = fraction_vector(center)
    ones = [Fraction(1)] * red.n_classes
    data = {"center": center, "counts": red.counts}
    end = _end_box(red, center, center_exact, R)
    if end is None:
        reason = "no Metzler box around the memory satisfies |W| K+ v < v (the chain has no end box)"
        cert = no_certificate("interval", reason, status=CertificateStatus.CONDITION_FAILS, solver=None,
                              parameters=parameters, data=data)
        return CertifiedRadius(mu, "interval", "uniform", 0.0, 0.0, "box", cert)
    end_delta, end_v, end_check = end
    parts = _float_split(red)
    delta_float = largest(lambda d: _float_certifies(red, parts, center, d, float(end_delta)),
                          network.b - network.a, iterations=40)
    delta_float = max(delta_float, float(end_delta))
    factors = _factors(red)
    chain = None
    for attempt in range(8):
        delta = dyadic_down(delta_float * (1.0 - 1e-6 * 4**attempt), DELTA_BITS)
        chain = interval_chain(red, center_exact, ones, delta, MAX_STEPS, (center_exact, end_v, end_delta), factors=factors)
        if chain.invariant and _inside(chain.lower, chain.upper, center_exact, end_v, end_delta):
            break
    else:
        reason = (f"the exact chain failed at delta = {float(delta):.6g} (invariance margin {chain.margin:.3g}, "
                  f"{chain.steps} steps)")
        cert = no_certificate("interval", reason, status=CertificateStatus.EXACT_CHECK_FAILED, solver=None,
                              parameters=parameters, data=data, residuals=(chain.residual,))
        return CertifiedRadius(mu, "interval", "uniform", 0.0, 0.0, "box", cert)
    as_float = np.array([float(x) for x in ones])
    data.update({
        "v": as_float, "delta": float(delta), "lower": np.array([float(x) for x in chain.lower]),
        "upper": np.array([float(x) for x in chain.upper]), "metzler_v": np.array([float(x) for x in end_v]),
        "metzler_delta": float(end_delta), "K_plus": np.array([float(k) for k in end_check.K_plus]),
        "residual_bound": np.array([float(r) for r in R]), "min_half_width": float(delta),
    })
    exact = {"center": fmpq_row(center_exact), "v": fmpq_row(ones), "delta": delta, "lower": fmpq_row(chain.lower),
             "upper": fmpq_row(chain.upper), "metzler_v": fmpq_row(end_v), "metzler_delta": end_delta,
             "K_plus": fmpq_row(end_check.K_plus), "R": fmpq_row(R)}
    candidate = witness("interval", data, parameters={**parameters, "radius": float(delta), "steps": chain.steps,
                                                      "irreducible": is_irreducible_on_classes(red, end_check.K_plus)},
                        exact_data=exact)
    try:
        cert = seal_checked(candidate, verify_interval(candidate, network, red))
    except CheckFailed as failure:  # hypothesis 4: the box is not provably the memory's (as `assocrate check` says)
        status = CertificateStatus.CONDITION_FAILS if failure.hypothesis == 4 else CertificateStatus.EXACT_CHECK_FAILED
        cert = no_certificate("interval", str(failure), status=status, solver=None,
                              parameters=parameters, data=data, residuals=failure.residuals)
        return CertifiedRadius(mu, "interval", "uniform", 0.0, 0.0, "box", cert)
    return CertifiedRadius(mu, "interval", "uniform", float(delta), float(delta), "box", cert)
