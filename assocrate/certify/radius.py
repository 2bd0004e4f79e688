"""The certified retrieval radius: a Metzler box around a memory (theory.md §5 item 3).

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
(|W_hat| diag(n) K^+ v)_s`` for unit i of class s (k x k).

Majorant. The proof uses ``|W|`` only through ``|W (Phi(h) - Phi(h_c))| <= |W| K^+ |e|``, so any
entrywise ``M >= |W|`` may stand in (M), in R and in kappa. ``majorant="lowrank"`` takes
``M = |L| |C| |R|^T`` (``M_ij = sum_nu |L_i,nu| |c_nu| |R_j,nu| >= |W_ij|``, the triangle inequality):
``(M K^+ v)_s = sum_nu |L_s,nu| |c_nu| y_nu`` with ``y_nu = sum_t n_t |R_t,nu| K^+_t v_t``, O(k m)
exact operations instead of k x k matrices, for random patterns (k ~ 0.76 N row types) at
N = 10^5. The proof needs even less, an upper bound of each row sum ``(|W| K^+ v)_i``:
``majorant="cauchy-schwarz"`` uses ``(|W| w)_i <= ((W o W) w)_i^(1/2) (1^T w)^(1/2)`` (``w = K^+ v``),
``((W o W) w)_s = a_s G a_s^T`` with ``a_s`` the rows of ``L_hat C`` and ``G = R_hat^T diag(n w) R_hat``,
O(k m^2), checked squared in exact rationals (:func:`~assocrate.certify.metzler.metzler_check`).
The certificate records the majorant (``parameters["majorant"]``; none means exact).

Build: :func:`certified_radius` finds the largest delta by bisection in floating point, rounds it
down to a dyadic rational and hands the witness to :func:`verify_radius`, the check that
:func:`~assocrate.certify.verification.verify` also runs. The sector-LMI ellipsoid
(``method="lmi"``) is :mod:`assocrate.certify.sector`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .._validation import check_choice, check_index
from ..certify._rational import fraction_vector, to_fraction
from ..certify._reduction import MAJORANTS, REDUCTIONS, ReducedNetwork, reduce_network
from ..certify._rigorous import dyadic_down, format_down
from ..certify.basin import (
    DELTA_BITS,
    CertifiedRadius,
    center_owner,
    largest,
    memory_center,
    require_box,
    require_memory_in_box,
    residual_bound,
)
from ..certify.blocks import fmpq_row, round_vector
from ..certify.interval import interval_radius
from ..certify.metzler import METZLER_CONSTRAINT, is_irreducible_on_classes, metzler_check, metzler_ratio
from ..certify.record import Certificate
from ..certify.sector import sector_radius
from ..certify.solver import check_solver_options
from ..certify.status import CertificateStatus
from ..certify.witness import (
    Checked,
    CheckFailed,
    base_parameters,
    exact_vector,
    no_certificate,
    require,
    require_same,
    seal_checked,
    witness,
)
from ..core.design import check_network
from ..core.identity import identity_verdict
from ..errors import InvalidInput

__all__ = [
    "AUTO_LOWRANK_CLASSES",
    "METHODS",
    "METZLER_CONSTRAINT",
    "WEIGHTS",
    "certified_radius",
    "verify_radius",
    "radius_claim",
]

#: Methods of :func:`certified_radius`.
METHODS = ("interval", "metzler", "lmi")
#: Weight vectors of the Metzler box.
WEIGHTS = ("uniform", "perron")
#: ``majorant="auto"`` uses the exact ``|W|`` up to this many classes and the low-rank majorant above
#: (the exact one forms k x k matrices: 12 s and 0.7 GB at k = 3041).
AUTO_LOWRANK_CLASSES = 4096


def radius_claim(memory: int, delta: float, min_half_width: float, in_box: bool, majorant: str = "exact") -> str:
    """The statement an exactly verified radius certificate proves."""
    nominal = "; the rescaled pattern a + (b - a) xi lies in the box" if in_box else ""
    condition = {
        "exact": "|W| K+ v < v",
        "lowrank": "M K+ v < v with the low-rank majorant M = |L||C||R|^T >= |W|",
        "cauchy-schwarz": "|W| K+ v < v bounded by Cauchy-Schwarz, (|W| w)_i <= ((W o W) w)_i^(1/2) (1^T w)^(1/2)",
    }[majorant]
    return (
        f"every current-form trajectory starting in the box |h - h_c| <= delta v around memory {memory} "
        f"(delta = {format_down(delta)}, max v = 1, smallest half-width {format_down(min_half_width)}) stays in it and converges "
        f"exponentially to the memory, the only equilibrium in the box (Metzler majorant {condition}); "
        f"a rate state x retrieves it whenever W x lies in the box{nominal}"
    )


def verify_radius(certificate: Certificate, network, red: ReducedNetwork) -> Checked:
    """Check a radius certificate exactly, hypothesis by hypothesis (theory.md §5, item 3).

    The theorem (module docstring): every current-form trajectory starting in
    ``B = {h : |h - h_c| <= delta v}`` stays in B and converges to memory mu's equilibrium, if

    1. *dimensions*: ``center``, ``v``, ``K_plus`` and ``R`` have one entry per class of the
       network (recomputed, never zipped with a shorter vector);
    2. *the box*: ``delta > 0``, ``v > 0``, ``max v = 1``, and the ``weights`` label says what v is
       (``"uniform"``: v = 1);
    3. *rigorous bounds*: ``R >= |W Phi(h_c) - h_c|`` (its spread bounded with the majorant of 4)
       and ``K^+ >= phi'`` on each interval, as recomputed from the network (the recorded ones must
       equal them);
    4. *the Metzler inequality* (M): ``delta (M K^+ v)_s + R_s < delta v_s`` on every class, with
       the recorded majorant ``M >= |W|``: ``"exact"`` (``M = |W|``; files that record none) or
       ``"lowrank"`` (``M = |L| |C| |R|^T``, O(k m)), or the ``"cauchy-schwarz"`` row bound
       ``(|W| w)_s <= ((W o W) w)_s^(1/2) (1^T w)^(1/2)`` (O(k m^2), checked squared); any other
       label fails;
    5. *identity*: the equilibrium in B is memory mu's (every rate state of B is l1-nearer to
       ``x̄^mu`` than to every other designed state and to the uniform states; exact);
    6. the recorded ``radius`` is delta;
    7. the recorded ``irreducible`` (whether ``M K^+`` is irreducible, reported, not assumed) is
       recomputed from the network and K^+ (files written before it was reported have none; a
       ``"cauchy-schwarz"`` certificate reports none and must record none).

    Raises :class:`~assocrate.certify.witness.CheckFailed` naming the first failed hypothesis.
    """
    center, v, delta = require_box(certificate, red.n_classes)
    weights = certificate.parameters.get("weights", "uniform")
    require(2, "the box: the weights label says what v is", weights in WEIGHTS and (weights != "uniform" or set(v) == {1}),
            f"weights = {weights!r} with v = {[float(x) for x in v]}")
    majorant = certificate.parameters.get("majorant", "exact")  # files written before the option have none
    require(4, "the Metzler inequality: the majorant is 'exact' (|W|), 'lowrank' (|L||C||R|^T) or 'cauchy-schwarz'",
            isinstance(majorant, str) and majorant in MAJORANTS, f"majorant = {majorant!r}")
    R = residual_bound(red, center, None, majorant)
    require_same("residual bounds R", exact_vector(certificate, "R", red.n_classes), R, hypothesis=3)
    check = metzler_check(red, center, v, delta, R, majorant)
    require_same("slope bounds K_plus", exact_vector(certificate, "K_plus", red.n_classes), check.K_plus, hypothesis=3)
    require(4, "the Metzler inequality", check.holds, f"ratio {check.ratio:.9g} >= 1", (check.residual,))
    mu = require_memory_in_box(certificate, network, red, center, v, delta, hypothesis=5)
    require(6, "the recorded radius is delta", certificate.parameters.get("radius") == float(delta))
    irreducible = is_irreducible_on_classes(red, check.K_plus, majorant)
    require(7, "the recorded irreducibility of |W| K+ (M K+ for the low-rank majorant)",
            certificate.parameters.get("irreducible") in (None, irreducible),
            f"recorded {certificate.parameters.get('irreducible')!r}, recomputed {irreducible}")
    rows = network.patterns[red.part.representatives, mu].astype(float)
    nominal = network.a + (network.b - network.a) * rows
    in_box = all(abs(to_fraction(h) - c) <= delta * vt for h, c, vt in zip(nominal, center, v))
    claim = radius_claim(mu, float(delta), float(delta * min(v)), in_box, majorant)
    as_float = [np.array([float(x) for x in values]) for values in (center, v, R)]
    ratio = metzler_ratio(red, majorant, as_float[0], float(delta), as_float[2], False, v=as_float[1])[0]
    return Checked((check.residual,), ratio < 1.0, claim)


def certified_radius(
    network,
    mu: int,
    *,
    method: str = "interval",
    weights: str = "uniform",
    reduction: str = "types",
    majorant: str = "auto",
    solver: str | None = None,
    solver_options: Mapping | None = None,
) -> CertifiedRadius:
    """The largest certified basin of memory `mu`: a box (interval iteration or Metzler) or an ellipsoid (sector LMI).

    Parameters
    ----------
    network : MemoryNetwork
    mu : int
        Memory index.
    method : {"interval", "metzler", "lmi"}, default "interval"
        ``"interval"``: the largest delta for which the box ``|h - h_c| <= delta`` is proved forward
        invariant by interval iteration and its chain of interval images ends inside a Metzler box
        (:mod:`~assocrate.certify.interval`, theory.md §5 item 3b; certificate kind ``"interval"``).
        It is never smaller than the Metzler radius (a box with the Metzler property has
        ``F(B) ⊆ B``) and on the demo designs it is larger (0.561 against 0.414 on the equal-overlap
        reference design, 0.446 against 0.309 for memory 0 of the random one), hence the default;
        it costs a few interval images more (2.6 s against 0.6 s per memory at k = 569 row types).
        ``"metzler"``: the largest delta (bisection) for which the box ``|h - h_c| <= delta v`` is
        proved forward invariant and contracting — the certified retrieval radius with v = 1.
        ``"lmi"``: the sector LMI on the box; the certified set is an ellipsoid, reported by the
        radius of the l2 ball it contains (never the headline radius).
    weights : {"uniform", "perron"}, default "uniform"
        Metzler weights: v = 1, or a Perron vector of ``|W| K+`` (a larger delta on a thinner
        box; compare `min_half_width`).
    reduction : {"types", "full"}, default "types"
        Compute on row types (O(k^2), any N) or unit by unit (O(N^2)).
    majorant : {"auto", "exact", "lowrank", "cauchy-schwarz"}, default "auto"
        ``method="metzler"`` only: the entrywise majorant ``M >= |W|`` in the Metzler condition.
        ``"exact"``: ``|W|`` itself (k x k matrices: time ~ k^1.55, memory ~ k^2; 12 s and 0.7 GB
        at k = 3041 row types). ``"lowrank"``: ``M = |L| |C| |R|^T`` from the factors (O(k m) time
        and memory, no k x k object in the certificate or its check; a smaller radius).
        ``"cauchy-schwarz"``: not a matrix but the row bound ``(|W| w)_s <= ((W o W) w)_s^(1/2)
        (sum w)^(1/2)`` through the factors, O(k m^2), no k x k object; nearly the exact radius
        (random patterns, P = 20, N = 4000: 0.334 against 0.346 exact and 0.272 low-rank).
        ``"auto"``: ``"exact"`` up to ``AUTO_LOWRANK_CLASSES`` classes, ``"lowrank"`` above; the
        choice is recorded (``result.majorant``, ``parameters["majorant"]``).
    solver, solver_options
        For ``method="lmi"`` (see :func:`assocrate.certify.contraction.certify_contraction`).

    Returns
    -------
    CertifiedRadius
        ``radius`` is 0 and the certificate says "no certificate found" when nothing could be
        certified (e.g. an unstable memory); its status says why.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> result = aa.certified_radius(net, 0)
    >>> result.certified, round(result.radius, 3), result.certificate.kind
    (True, 0.561, 'interval')
    >>> round(aa.certified_radius(net, 0, method="metzler").radius, 3)
    0.414
    >>> low = aa.certified_radius(net, 0, method="metzler", majorant="lowrank")  # M = |L||C||R|^T >= |W|
    >>> low.majorant, round(low.radius, 3), aa.verify(low.certificate, net).verified
    ('lowrank', 0.328, True)
    """
    check_network(network)
    mu = check_index("mu", mu, network.n_patterns)
    method = check_choice("method", method, METHODS)
    weights = check_choice("weights", weights, WEIGHTS)
    if method != "metzler" and weights != "uniform":
        raise InvalidInput(f"`weights`={weights!r} applies to method='metzler' only; got method={method!r}")
    majorant = check_choice("majorant", majorant, ("auto", *MAJORANTS))
    if method != "metzler" and majorant != "auto":
        raise InvalidInput(f"`majorant`={majorant!r} applies to method='metzler' only; got method={method!r}")
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    options = check_solver_options(solver_options)
    red = reduce_network(network, reduction=reduction)
    if majorant == "auto":
        majorant = "lowrank" if method == "metzler" and red.n_classes > AUTO_LOWRANK_CLASSES else "exact"
    center, _ = memory_center(network, red, mu)
    center_exact = fraction_vector(center)
    R = residual_bound(red, center_exact, None, majorant)
    parameters = {**base_parameters(network, red), "memory": mu, "method": method, "weights": weights}
    if majorant != "exact":  # exact-majorant files stay as they were
        parameters["majorant"] = majorant
    owner = center_owner(network, red, center)
    if owner is not None and owner != mu:  # the verdict of `assocrate check` (core.identity)
        cert = no_certificate({"lmi": "sector", "interval": "interval"}.get(method, "radius"), identity_verdict(mu, owner),
                              status=CertificateStatus.CONDITION_FAILS, solver=None, parameters=parameters,
                              data={"center": center, "counts": red.counts})
        return CertifiedRadius(mu, method, weights, 0.0, 0.0, "l2" if method == "lmi" else "box", cert, majorant)
    if method == "interval":
        return interval_radius(network, red, mu, center, R, parameters)
    if method == "lmi":
        return sector_radius(red, mu, center, R, solver=solver, options=options, parameters=parameters)
    R_float = np.array([float(r) for r in R])
    perron = weights == "perron"

    def certified_in_float(delta: float) -> bool:
        return metzler_ratio(red, majorant, center, delta, R_float, perron)[0] < 1.0

    delta_float = largest(certified_in_float, network.b - network.a)
    data = {"center": center, "counts": red.counts}
    check = None
    for attempt in range(12):
        if not delta_float > 0:
            break
        delta_float *= 1.0 - 1e-9 * 4**attempt
        _, v_float = metzler_ratio(red, majorant, center, delta_float, R_float, perron)
        v_float, v_exact = round_vector(v_float / v_float.max())
        delta = dyadic_down(delta_float, DELTA_BITS)
        check = metzler_check(red, center_exact, v_exact, delta, R, majorant)
        if check.holds:
            break
    if check is None or not check.holds:
        if check is None:
            reason = "no box around the memory satisfies |W| K+ v < v (the memory is not certifiably stable)"
            status = CertificateStatus.CONDITION_FAILS
        else:
            reason = f"the exact check failed at delta = {float(delta):.6g} (ratio {check.ratio:.9g})"
            status = CertificateStatus.EXACT_CHECK_FAILED
        cert = no_certificate("radius", reason, status=status, solver=None, parameters=parameters, data=data)
        return CertifiedRadius(mu, method, weights, 0.0, 0.0, "box", cert, majorant)
    min_half_width = float(delta * min(v_exact))
    data.update({"v": v_float, "delta": float(delta), "K_plus": np.array([float(k) for k in check.K_plus]),
                 "residual_bound": np.array([float(r) for r in R]), "ratio": check.ratio,
                 "min_half_width": min_half_width})
    irreducible = is_irreducible_on_classes(red, check.K_plus, majorant)
    reported = {} if irreducible is None else {"irreducible": irreducible}
    candidate = witness("radius", data, parameters={**parameters, "radius": float(delta), **reported},
                        exact_data={"center": fmpq_row(center_exact), "v": fmpq_row(v_exact), "delta": delta,
                                    "K_plus": fmpq_row(check.K_plus), "R": fmpq_row(R)})
    try:
        cert = seal_checked(candidate, verify_radius(candidate, network, red))
    except CheckFailed as failure:
        # hypothesis 5 (identity) is a property of the memory, not of rounding
        status = CertificateStatus.CONDITION_FAILS if failure.hypothesis == 5 else CertificateStatus.EXACT_CHECK_FAILED
        cert = no_certificate("radius", str(failure), status=status, solver=None,
                              parameters=parameters, data=data, residuals=failure.residuals)
        return CertifiedRadius(mu, method, weights, 0.0, 0.0, "box", cert, majorant)
    return CertifiedRadius(mu, method, weights, float(delta), min_half_width, "box", cert, majorant)
