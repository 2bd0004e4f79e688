"""The incremental (contraction) LMI: one globally exponentially stable equilibrium (theory.md §5 item 2).

Rate form: with ``e = x_1 - x_2`` and
  ``w = Phi(W x_1 + u) - Phi(W x_2 + u)``, each ``w_i`` lies between 0 and ``eta (W e)_i``, so
  ``2 w^T Lambda (eta W e - w) >= 0`` for diagonal ``Lambda >= 0`` (S-procedure) and

      [[-2(1 - c) Q,  Q + eta W^T Lambda], [Q + eta Lambda W,  -2 Lambda]]  <  0

  gives ``d/dt e^T Q e <= -2 c e^T Q e`` (units of 1/tau). Current form: ``e = h_1 - h_2``,
  ``w_i`` between 0 and ``eta e_i``: the off-diagonal block is ``Q W + eta Lambda``. ``c`` is the
  contraction rate: ``|e(t)|_Q <= exp(-c t / tau) |e(0)|_Q``; Q is symmetric positive definite
  (the metric), Lambda diagonal non-negative (one multiplier per sector constraint). A

Like LDS (:mod:`assocrate.certify.lds`) it is infeasible for every network that stores memories;
the certifier then returns status ``INFEASIBLE``. The slope-bounded version on a box serves the
input-driven certificate (:mod:`assocrate.certify.input_driven`) and the sector LMI
(:mod:`assocrate.certify.sector`).


Row-type reduction (derived). Let ``S`` be the N x k class indicator, ``n = S^T 1``, ``W = S W_hat
S^T``. Every LMI here is invariant under permutations of units inside a class and its feasible set
is convex, so averaging a solution over those permutations gives a class-invariant one with the
same margin: nothing is lost by restricting to class-invariant P, Q, Lambda. A class-invariant
matrix acts on ``R^N = range(S) (+) Z`` (Z: vectors summing to zero inside every class) block by
block, because ``W z = S W_hat S^T z = 0`` and ``W^T z = S W_hat^T S^T z = 0`` for z in Z (any W,
symmetric or not) and a class-constant diagonal maps Z to Z. On Z the LMIs split into one small
block per class of size ``n_t >= 2``: W vanishes there, so for LDS the block is ``-2 p_t`` and
for the contraction LMIs it is the 2 x 2 matrix ``[[-2(1-c) sigma_t, sigma_t], [sigma_t, -2 lambda_t]]`` (rate form;
``[[-2(1-c) sigma_t, eta lambda_t], [eta lambda_t, -2 lambda_t]]`` current form), with
``sigma_t`` the eigenvalue of Q on class t's part of Z. On range(S), in the orthonormal basis
``S n^{-1/2}``, the LMI is the N x N one with W replaced by ``W_tilde = n^{1/2} W_hat n^{1/2}``.
The exact check uses the congruent rational form obtained with the basis S itself
(``S^T W S = n W_hat n`` etc.; congruence preserves definiteness). A certificate for N = 10^5
units in 7 types therefore costs what one for 7 units does. The trivial partition (every unit

Verification outside the solver. The solver's Q, Lambda are rounded to dyadic rationals
(about 30 significant bits, exactly symmetric), the LMI blocks are rebuilt in exact rational
arithmetic from those and from W read exactly from its float factors, and each is tested with
:func:`~assocrate.certify.exact.is_positive_definite_exact` (:func:`verify_contraction`, which
:func:`~assocrate.certify.verification.verify` also calls). ``verified_float`` is a shifted
Cholesky test of the same blocks in double precision.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np
import scipy.linalg

from .._validation import check_choice
from ..certify._rational import to_fmpq
from ..certify._reduction import REDUCTIONS, ReducedNetwork, reduce_network
from ..certify._rigorous import format_down
from ..certify.blocks import Block, fmpq_bmat, fmpq_diag, fmpq_row, round_symmetric, round_vector, verify_blocks
from ..certify.record import Certificate, SolverInfo
from ..certify.solver import (
    ContractionSolution,
    SolverFailure,
    check_solver,
    check_solver_options,
    size_failure,
    solve_incremental_lmi,
)
from ..certify.status import CertificateStatus
from ..certify.witness import (
    Checked,
    CheckFailed,
    base_parameters,
    eta_of,
    exact_scalar,
    exact_square,
    exact_vector,
    no_certificate,
    require,
    require_same,
    seal_checked,
    witness,
)
from ..core.design import FORMS, check_network
from ..errors import InvalidInput

__all__ = [
    "IncrementalWitness",
    "certify_contraction",
    "verify_contraction",
    "contraction_blocks",
    "contraction_claim",
    "exact_check_failure",
    "incremental_witness",
    "rounded_solution",
]

#: Where the global contraction certificate holds (the `where` of :func:`contraction_claim`).
_GLOBALLY = "globally, for every constant input u"


def contraction_blocks(
    red: ReducedNetwork,
    *,
    form: str,
    Q,
    sigma: Sequence,
    lam: Sequence,
    K_plus: Sequence,
    K_minus: Sequence | None = None,
    c=0,
    margin=0,
) -> list[Block]:
    """Exact blocks of the incremental (contraction / sector) LMI, in the basis S.

    Rate form (``K_minus`` must be None): ``[[-2(1-c) Q, Q + W^T K Lambda], [., -2 Lambda]] < 0``.
    Current form with the sector ``[K_minus, K_plus]`` (``A = -I + W K_minus``,
    ``dK = K_plus - K_minus``): ``[[A^T Q + Q A + 2 c Q, Q W + dK Lambda], [., -2 Lambda]] < 0``;
    ``K_minus = 0`` is the current-form contraction LMI. ``margin`` mu > 0 asks for
    ``... <= -mu I`` instead. Q enters as ``Q_hat = S^T Q S`` (k x k) and ``sigma`` (its eigenvalue
    on the zero-sum part of each class; ignored for classes of one unit).
    """
    n = red.counts_exact
    k = len(n)
    N = fmpq_diag(n)
    W = red.W_exact
    Q_hat = Q
    L = fmpq_diag(lam)
    c, margin = to_fmpq(c), to_fmpq(margin)
    one = flint.fmpq(1)
    if form == "rate":
        if K_minus is not None:
            raise InvalidInput("the rate-form LMI takes no lower slope bound")
        top_left = -2 * (one - c) * Q_hat
        off = Q_hat + N * W.transpose() * N * fmpq_diag(K_plus) * L  # S^T W^T S = n W_hat^T n
        within_off = list(sigma)
    else:
        K_minus = [0] * k if K_minus is None else K_minus
        Km = fmpq_diag(K_minus)
        dK = [to_fmpq(hi) - to_fmpq(lo) for hi, lo in zip(K_plus, K_minus)]
        QWNKm = Q_hat * W * N * Km
        top_left = -2 * (one - c) * Q_hat + QWNKm + QWNKm.transpose()
        off = Q_hat * W * N + N * fmpq_diag(dK) * L
        within_off = [dk * to_fmpq(lt) for dk, lt in zip(dK, lam)]
    shift_top = margin * N
    G = fmpq_bmat([[-top_left - shift_top, -off], [-off.transpose(), 2 * N * L - shift_top]])
    blocks = [
        Block("Q > 0", Q_hat, tuple(n)),
        Block("-(incremental LMI) > 0 on class-constant vectors", G, tuple(n) + tuple(n)),
    ]
    for t in range(k):
        if n[t] < 2:
            continue
        s_t, l_t = to_fmpq(sigma[t]), to_fmpq(lam[t])
        block = flint.fmpq_mat(2, 2, [2 * (one - c) * s_t - margin, -to_fmpq(within_off[t]),
                                      -to_fmpq(within_off[t]), 2 * l_t - margin])
        blocks.append(Block("within classes: Q > 0", fmpq_diag([s_t])))
        blocks.append(Block("within classes: -(2 x 2 incremental LMI) > 0", block))
    return blocks


def contraction_claim(form: str, rate: float, where: str) -> str:
    """The statement an exactly verified contraction certificate proves."""
    state = "x" if form == "rate" else "h"
    return (
        f"the {form} form contracts {where}: any two trajectories satisfy "
        f"|{state}1(t) - {state}2(t)|_Q <= exp(-{format_down(rate)} t/tau) |{state}1(0) - {state}2(0)|_Q "
        f"(incremental LMI, slopes bounded by K); hence exactly one equilibrium, globally exponentially stable"
    )



def rounded_solution(solution: ContractionSolution) -> tuple[dict, dict]:
    """Round a solution: float data and the same numbers exactly (Q_hat, sigma, lambda)."""
    Q_float, Q_exact = round_symmetric(solution.Q_hat)
    sigma_float, sigma_exact = round_vector(solution.sigma)
    lam_float, lam_exact = round_vector(solution.lam)
    data = {"Q": Q_float, "sigma": sigma_float, "lambda": lam_float}
    exact = {"Q": Q_exact, "sigma": sigma_exact, "lambda": lam_exact}
    return data, exact


def _contraction_rate(red: ReducedNetwork, data: Mapping, margin: float) -> Fraction:
    """A dyadic rate c with room to spare: half the float margin over ``2 lambda_max(Q)``."""
    n = red.counts
    scale = 1.0 / np.sqrt(n)
    Q_tilde = scale[:, None] * data["Q"] * scale[None, :]
    largest = max(float(scipy.linalg.eigvalsh(0.5 * (Q_tilde + Q_tilde.T))[-1]),
                  float(np.max(data["sigma"], initial=0.0)))
    if not (margin > 0 and largest > 0):
        return Fraction(0)
    value = margin / (4.0 * largest)
    return Fraction(math.floor(value * 2**20), 2**20)


def verify_contraction(certificate: Certificate, network, red: ReducedNetwork, *, K: Sequence[Fraction] | None = None,
                      where: str = _GLOBALLY) -> Checked:
    """Check the incremental LMI exactly, hypothesis by hypothesis (theory.md §5, item 2).

    The theorem (module docstring): any two trajectories satisfy
    ``|e(t)|_Q <= exp(-c t / tau) |e(0)|_Q``, hence exactly one equilibrium, globally exponentially
    stable (on the absorbing box for an input certificate), if

    1. *dimensions*: ``Q`` is k x k and symmetric, ``sigma``, ``lambda`` and ``K`` have one entry
       per class, and the form is ``"rate"`` or ``"current"``;
    2. *the rate*: ``0 < c < 1`` (``c <= 0`` proves no contraction at all: the top-left block
       ``-2(1 - c) Q`` then grows with ``|c|`` and the LMI holds for networks with several stable
       equilibria; ``c >= 1`` leaves the S-procedure);
    3. *slopes*: ``K`` is ``sup phi'`` on every class (or, for an input certificate, the rigorous
       slope bounds of its box), as recomputed;
    4. *signs*: ``sigma_t > 0`` on every class of two or more units and ``Lambda >= 0``;
    5. *the LMI*: every block of :func:`contraction_blocks` (``Q > 0`` included) holds exactly;
    6. the recorded ``rate`` is c.

    Raises :class:`~assocrate.certify.witness.CheckFailed` naming the first failed hypothesis.
    """
    k = red.n_classes
    form = certificate.parameters.get("form", "current")
    require(1, "dimensions: the form is 'rate' or 'current'", form in FORMS, f"form = {form!r}")
    Q, sigma, lam = exact_square(certificate, "Q", k), exact_vector(certificate, "sigma", k), \
        exact_vector(certificate, "lambda", k)
    stored_K = exact_vector(certificate, "K", k)
    c = exact_scalar(certificate, "c")
    require(2, "the rate: 0 < c < 1", 0 < c < 1, f"c = {float(c)!r}")
    if K is None:
        K = [eta_of(network)] * k
    require_same("slope bounds K", stored_K, K, hypothesis=3)
    require(4, "signs: sigma > 0 on classes of two or more units",
            all(s > 0 for s, n in zip(sigma, red.counts_exact) if n >= 2))
    require(4, "signs: Lambda >= 0", min(lam) >= 0, f"min lambda = {float(min(lam))!r}")
    blocks = contraction_blocks(red, form=form, Q=Q, sigma=sigma, lam=lam, K_plus=K, c=c)
    residuals, verified_float, verified_exact = verify_blocks(blocks)
    require(5, "the incremental LMI holds exactly for the recorded Q, Lambda and c", verified_exact,
            residuals=residuals)
    require(6, "the recorded rate is c", certificate.parameters.get("rate") == float(c))
    return Checked(residuals, verified_float, contraction_claim(form, float(c), where))


@dataclass(frozen=True)
class IncrementalWitness:
    """The rounded solution of the incremental LMI with slope bounds K, or why there is none.

    ``data`` (float) and ``exact_data`` hold Q, sigma, Lambda, K and (on success) the rate c;
    ``rate`` is c as a float (None before it is known).
    """

    info: SolverInfo | None
    failure: SolverFailure | None
    data: dict
    exact_data: dict
    rate: float | None = None

    def summary(self) -> str:
        """The rate found, or the failure."""
        if self.failure is not None:
            return f"no contraction witness: {self.failure.summary()}"
        return f"contraction witness with rate c = {format_down(self.rate)} (to be checked exactly)"


def incremental_witness(red: ReducedNetwork, *, form: str, K: Sequence[Fraction], solver: str,
                        options: dict) -> IncrementalWitness:
    """Solve the incremental LMI with per-class slope bounds K, round the answer, choose the rate c."""
    too_large = size_failure(2 * red.n_classes, red.n_classes)
    if too_large is not None:
        return IncrementalWitness(None, too_large, {}, {})
    K_float = np.array([float(x) for x in K])
    solution = solve_incremental_lmi(red, form=form, K_plus=K_float, K_minus=None, solver=solver, options=options)
    if solution.failure is not None:
        return IncrementalWitness(solution.info, solution.failure, {}, {})
    data, exact = rounded_solution(solution)
    data.update({"K": K_float, "margin": solution.margin, "counts": red.counts})
    if not solution.margin > 0:
        reason = f"the largest margin is t = {solution.margin:.3g} <= 0: the LMI is infeasible (to solver accuracy)"
        return IncrementalWitness(solution.info, SolverFailure(CertificateStatus.INFEASIBLE, reason), data, {})
    c = _contraction_rate(red, data, solution.margin)
    exact_data = {"Q": exact["Q"], "sigma": fmpq_row(exact["sigma"]), "lambda": fmpq_row(exact["lambda"]),
                  "K": fmpq_row(K), "c": c}
    return IncrementalWitness(solution.info, None, data, exact_data, float(c))


def exact_check_failure(margin: float) -> str:
    """The no-certificate reason when a solution does not survive rounding and the exact check."""
    return f"the solver's margin t = {margin:.3g} did not survive the exact check of the rounded Q, Lambda"


def certify_contraction(
    network,
    *,
    form: str = "rate",
    reduction: str = "types",
    solver: str | None = None,
    solver_options: Mapping | None = None,
) -> Certificate:
    """Search for a global contraction certificate (incremental LMI) and verify it exactly.

    Parameters
    ----------
    network : MemoryNetwork
    form : {"rate", "current"}, default "rate"
        ``[[-2(1-c) Q, Q + eta W^T Lambda], [., -2 Lambda]]`` (rate) or with ``Q W + eta Lambda``
        (current); ``eta = sup phi'``.
    reduction : {"types", "full"}, default "types"
    solver : {"CLARABEL", "SCS", "CVXOPT"}, optional
        Default by the LMI size 2k: :func:`~assocrate.certify.solver.default_solver`.
    solver_options : mapping, optional

    Returns
    -------
    Certificate
        kind ``"contraction"``; exact data ``Q`` (``S^T Q S``), ``sigma``, ``lambda``, ``K`` (the
        slope bounds, here eta for every class) and the certified rate ``c``. When there is none,
        the status says why (``INFEASIBLE`` for every network that stores memories).

    Notes
    -----
    The margin t is maximised at c = 0 under ``trace Q = N``; the reported rate is
    ``c = t / (4 lambda_max(Q))`` rounded down, which leaves half the margin for rounding, and the
    LMI is then verified exactly *with that c*.

    Examples
    --------
    >>> import dataclasses
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> low_gain = dataclasses.replace(net, activation=aa.Sigmoid(0.5, 0.2))
    >>> cert = aa.certify_contraction(low_gain)
    >>> cert.certified, cert.parameters["rate"] > 0
    (True, True)
    """
    check_network(network)
    form = check_choice("form", form, FORMS)
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    options = check_solver_options(solver_options)
    red = reduce_network(network, reduction=reduction)
    solver = check_solver(solver, 2 * red.n_classes)
    eta = eta_of(network)
    parameters = {**base_parameters(network, red), "form": form, "eta": float(eta)}
    found = incremental_witness(red, form=form, K=[eta] * red.n_classes, solver=solver, options=options)
    if found.failure is not None:
        return no_certificate("contraction", found.failure.reason, status=found.failure.status, solver=found.info,
                              parameters=parameters, data=found.data)
    parameters["rate"] = found.rate
    candidate = witness("contraction", found.data, solver=found.info, parameters=parameters,
                        exact_data=found.exact_data)
    try:
        return seal_checked(candidate, verify_contraction(candidate, network, red))
    except CheckFailed as failure:
        return no_certificate("contraction", exact_check_failure(found.data["margin"]),
                              status=CertificateStatus.EXACT_CHECK_FAILED, solver=found.info, parameters=parameters,
                              data=found.data, residuals=failure.residuals)


