"""Lyapunov-diagonal stability (LDS): a unique globally stable equilibrium (theory.md §5 item 2).

With the slope bound ``eta = sup phi'``, a diagonal ``P > 0`` with
``P (eta W - I) + (eta W - I)^T P < 0`` proves that for every constant input u the current form
``tau h' = -h + W Phi(h) + u`` has a unique equilibrium and it is globally asymptotically stable
(Forti and Tesi 1995): with ``e = h - h*``, ``psi(e) = Phi(h* + e) - Phi(h*)`` (so
``psi_i e_i >= psi_i^2 / eta``) and ``V = 2 sum_i p_i int_0^{e_i} psi_i``,
``V' = -2 psi^T P e + psi^T (P W + W^T P) psi <= psi^T [P (eta W - I) + (eta W - I)^T P] psi / eta
< 0``. Rate trajectories converge too, since ``h = W x + u`` solves the current form. Nothing here
needs a symmetric W: it holds for the non-symmetric ``W = L C R^T`` of the projection rule too.

The LMI is infeasible for every network that stores two or more memories, and more sharply for
every designed W: the mean value theorem gives ``phi(b) - phi(a) <= eta (b - a)``, so
``alpha >= 1 / eta`` and ``eta W - I`` has the eigenvalue ``eta alpha - 1 >= 0``. The certifier
then returns a certificate with status ``INFEASIBLE`` (never an exception).

Build: :func:`certify_lds` maximises the margin on the row types
(:func:`~assocrate.certify.solver.solve_lds_lmi`), rounds P to dyadic rationals and hands the
witness to :func:`verify_lds`, which :func:`~assocrate.certify.verification.verify` also calls.
Row-type reduction: see :mod:`assocrate.certify.contraction`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .._validation import check_choice
from ..certify._rational import to_fmpq
from ..certify._reduction import REDUCTIONS, ReducedNetwork, reduce_network
from ..certify.blocks import Block, fmpq_diag, fmpq_row, round_vector, verify_blocks
from ..certify.record import Certificate
from ..certify.solver import check_solver, check_solver_options, size_failure, solve_lds_lmi
from ..certify.status import CertificateStatus
from ..certify.witness import (
    Checked,
    CheckFailed,
    base_parameters,
    eta_of,
    exact_scalar,
    exact_vector,
    no_certificate,
    require,
    seal_checked,
    witness,
)
from ..core.design import check_network

__all__ = ["certify_lds", "verify_lds", "lds_blocks", "lds_claim"]


def lds_blocks(red: ReducedNetwork, eta, p: Sequence) -> list[Block]:
    """Exact blocks of the LDS certificate: ``P > 0`` and ``-(P(eta W - I) + (eta W - I)^T P) > 0``.

    In the basis S: ``S^T M S = eta (D W_N + W_N^T D) - 2 n D`` with ``W_N = n W_hat n``,
    ``D = diag(p)``; on the zero-sum part of class t, ``M = -2 p_t`` (implied by ``P > 0``). Any W:
    ``W_N^T = W_N`` when W is symmetric, and W and ``W^T`` both vanish on the zero-sum parts.
    """
    n = red.counts_exact
    eta = to_fmpq(eta)
    N = fmpq_diag(n)
    D = fmpq_diag(p)
    W_N = N * red.W_exact * N
    G = -(eta * (D * W_N + W_N.transpose() * D)) + 2 * (N * D)
    blocks = [Block("P > 0", D), Block("-(P (eta W - I) + (eta W - I)^T P) > 0", G, tuple(n))]
    multi = [to_fmpq(2) * to_fmpq(pt) for pt, nt in zip(p, n) if nt >= 2]
    if multi:
        blocks.append(Block("within classes: 2 P > 0", fmpq_diag(multi)))
    return blocks



def lds_claim(eta: float) -> str:
    """The statement an exactly verified LDS certificate proves."""
    return (
        f"for every constant input u the network has exactly one equilibrium, and it is globally "
        f"asymptotically stable (current and rate forms): a diagonal P > 0 makes "
        f"P (eta W - I) + (eta W - I)^T P negative definite with eta = sup phi' = {eta:.6g} "
        f"(Lyapunov-diagonal stability, Forti-Tesi)"
    )


def verify_lds(certificate: Certificate, network, red: ReducedNetwork) -> Checked:
    """Check an LDS certificate exactly, hypothesis by hypothesis (theory.md §5, item 2).

    The theorem (module docstring): for every constant input the network has exactly one
    equilibrium, globally asymptotically stable, if

    1. *dimensions*: ``p`` has one entry per class;
    2. *the slope bound*: ``eta = sup phi'`` of the network's activation, exactly;
    3. *signs*: ``P > 0`` (every ``p_t > 0``);
    4. *the LMI*: ``-(P (eta W - I) + (eta W - I)^T P) > 0``, every block of :func:`lds_blocks`,
       exactly.

    Raises :class:`~assocrate.certify.witness.CheckFailed` naming the first failed hypothesis.
    """
    p = exact_vector(certificate, "p", red.n_classes)
    eta = exact_scalar(certificate, "eta")
    require(2, "the slope bound: eta = sup phi'", eta == eta_of(network),
            f"eta = {float(eta)!r}, sup phi' = {network.activation.max_slope!r}")
    require(3, "signs: P > 0", min(p) > 0, f"min p = {float(min(p))!r}")
    residuals, verified_float, verified_exact = verify_blocks(lds_blocks(red, eta, p))
    require(4, "the LDS inequality holds exactly for the recorded P", verified_exact, residuals=residuals)
    return Checked(residuals, verified_float, lds_claim(float(eta)))


def certify_lds(
    network,
    *,
    reduction: str = "types",
    solver: str | None = None,
    solver_options: Mapping | None = None,
) -> Certificate:
    """Search for a Lyapunov-diagonal stability certificate and verify it exactly.

    Finds a diagonal ``P > 0`` with ``P (eta W - I) + (eta W - I)^T P < 0`` (``eta = sup phi'``)
    by maximising the margin t subject to ``... <= -t I`` and ``sum_i p_i = N``; the answer is
    rounded to dyadic rationals and checked in exact arithmetic by :func:`verify_lds`.

    Parameters
    ----------
    network : MemoryNetwork
    reduction : {"types", "full"}, default "types"
        Solve on the row types (k x k plus closed-form within-type blocks) or the full N x N LMI.
    solver : {"CLARABEL", "SCS", "CVXOPT"}, optional
        Default by size: :func:`~assocrate.certify.solver.default_solver`.
    solver_options : mapping, optional
        Passed to ``cvxpy.Problem.solve``.

    Returns
    -------
    Certificate
        kind ``"lds"``; status ``CERTIFIED`` only if the exact check passed. When the LMI is
        infeasible (every network that stores memories) the status is ``INFEASIBLE`` and the claim
        starts with "no certificate found".

    Examples
    --------
    >>> import dataclasses
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> aa.certify_lds(net).status.code
    'infeasible'
    >>> low_gain = dataclasses.replace(net, activation=aa.Sigmoid(0.5, 0.2))  # same W, gain 0.5
    >>> aa.certify_lds(low_gain).certified
    True
    """
    check_network(network)
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    options = check_solver_options(solver_options)
    red = reduce_network(network, reduction=reduction)
    k = red.n_classes
    solver = check_solver(solver, k)
    eta = eta_of(network)
    parameters = {**base_parameters(network, red), "eta": float(eta)}
    too_large = size_failure(k, k)
    if too_large is not None:
        return no_certificate("lds", too_large.reason, status=too_large.status, solver=None, parameters=parameters)
    solution = solve_lds_lmi(red, float(eta), solver=solver, options=options)
    if solution.failure is not None:
        return no_certificate("lds", solution.failure.reason, status=solution.failure.status, solver=solution.info,
                              parameters=parameters)
    p_float, p_exact = round_vector(solution.p)
    data = {"p": p_float, "margin": solution.margin, "counts": red.counts}
    if not solution.margin > 0:
        return no_certificate(
            "lds",
            f"the largest margin is t = {solution.margin:.3g} <= 0: the LMI is infeasible (to solver accuracy)",
            status=CertificateStatus.INFEASIBLE, solver=solution.info, parameters=parameters, data=data,
        )
    candidate = witness("lds", data, solver=solution.info, parameters=parameters,
                        exact_data={"p": fmpq_row(p_exact), "eta": eta})
    try:
        return seal_checked(candidate, verify_lds(candidate, network, red))
    except CheckFailed as failure:
        return no_certificate(
            "lds",
            f"the solver's margin t = {solution.margin:.3g} did not survive the exact check of the rounded P",
            status=CertificateStatus.EXACT_CHECK_FAILED, solver=solution.info, parameters=parameters, data=data,
            residuals=failure.residuals,
        )
