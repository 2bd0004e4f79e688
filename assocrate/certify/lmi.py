"""Linear matrix inequalities for global stability, solved by cvxpy and re-verified exactly (DESIGN.md §5).

Two global statements, each a margin maximisation with a normalisation, solved on the classes of
interchangeable units (row types) and then checked outside the solver:

- :func:`certify_lds` — Lyapunov-diagonal stability with the slope bound ``eta = sup phi'``:
  a diagonal ``P > 0`` with ``P (eta W - I) + (eta W - I)^T P < 0``. Then, for every constant input
  u, the current form ``tau h' = -h + W Phi(h) + u`` has a unique equilibrium and it is globally
  asymptotically stable (Forti and Tesi 1995): with ``e = h - h*``, ``psi(e) = Phi(h* + e) -
  Phi(h*)`` (so ``psi_i e_i >= psi_i^2 / eta``) and ``V = 2 sum_i p_i int_0^{e_i} psi_i``,
  ``V' = -2 psi^T P e + psi^T (P W + W^T P) psi <= psi^T [P (eta W - I) + (eta W - I)^T P] psi / eta
  < 0``. Rate trajectories converge too, since ``h = W x + u`` solves the current form.
- :func:`certify_contraction` — the incremental LMI. Rate form: with ``e = x_1 - x_2`` and
  ``w = Phi(W x_1 + u) - Phi(W x_2 + u)``, each ``w_i`` lies between 0 and ``eta (W e)_i``, so
  ``2 w^T Lambda (eta W e - w) >= 0`` for diagonal ``Lambda >= 0`` (S-procedure) and

      [[-2(1 - c) Q,  Q + eta W^T Lambda], [Q + eta Lambda W,  -2 Lambda]]  <  0

  gives ``d/dt e^T Q e <= -2 c e^T Q e`` (units of 1/tau). Current form: ``e = h_1 - h_2``,
  ``w_i`` between 0 and ``eta e_i``: the off-diagonal block is ``Q W + eta Lambda``. ``c`` is the
  contraction rate: ``|e(t)|_Q <= exp(-c t / tau) |e(0)|_Q``; Q is symmetric positive definite
  (the metric), Lambda diagonal non-negative (one multiplier per sector constraint). A
  contracting system has exactly one equilibrium, globally exponentially stable, for every u.

Both are infeasible for every network that stores two or more memories (two stable equilibria
cannot coexist with a unique global one) — and, more sharply, for every designed W: the mean
value theorem gives ``phi(b) - phi(a) <= eta (b - a)``, so ``alpha >= 1 / eta`` and ``eta W - I``
has the eigenvalue ``eta alpha - 1 >= 0``. The functions then return a certificate whose verdict
says "no certificate found" (never an exception). The slope-bounded versions on a box are used by
:mod:`assocrate.certify.regional`.

Row-type reduction (derived). Let ``S`` be the N x k class indicator, ``n = S^T 1``, ``W = S W_hat
S^T``. Every LMI here is invariant under permutations of units inside a class and its feasible set
is convex, so averaging a solution over those permutations gives a class-invariant one with the
same margin: nothing is lost by restricting to class-invariant P, Q, Lambda. A class-invariant
matrix acts on ``R^N = range(S) (+) Z`` (Z: vectors summing to zero inside every class) block by
block, because ``W z = S W_hat S^T z = 0`` for z in Z and a class-constant diagonal maps Z to Z. On
Z the LMIs split into one small block per class of size ``n_t >= 2``: W vanishes there, so for
LDS the block is ``-2 p_t`` and for the contraction LMIs it is the 2 x 2 matrix
``[[-2(1-c) sigma_t, sigma_t], [sigma_t, -2 lambda_t]]`` (rate form;
``[[-2(1-c) sigma_t, eta lambda_t], [eta lambda_t, -2 lambda_t]]`` current form), with
``sigma_t`` the eigenvalue of Q on class t's part of Z. On range(S), in the orthonormal basis
``S n^{-1/2}``, the LMI is the N x N one with W replaced by ``W_tilde = n^{1/2} W_hat n^{1/2}``.
The exact check uses the congruent rational form obtained with the basis S itself
(``S^T W S = n W_hat n`` etc.; congruence preserves definiteness). A certificate for N = 10^5
units in 7 types therefore costs what one for 7 units does. The trivial partition (every unit
its own class) *is* the full N x N LMI, solved by the same code (``reduction="full"``).

Verification outside the solver. The solver's P, Q, Lambda are rounded to dyadic rationals
(about 30 significant bits, exactly symmetric), the LMI blocks are rebuilt in exact rational
arithmetic from those and from W read exactly from its float factors, and each is tested with
:func:`~assocrate.certify.exact.is_positive_definite_exact`. ``verified_float`` is a shifted
Cholesky test of the same blocks in double precision. Solver statuses are mapped to verdicts in
:data:`STATUS_VERDICTS`, the one place they are interpreted.
"""

from __future__ import annotations

import importlib.metadata
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import cvxpy as cp
import cvxpy.settings as cp_settings
import flint
import numpy as np
import scipy.linalg

from .._validation import check_choice
from ..certify._rational import to_fmpq, to_fraction
from ..certify._reduction import (
    REDUCTIONS,
    ReducedNetwork,
    network_digest,
    reduce_network,
)
from ..certify._rigorous import format_down
from ..certify.certificate import (
    Certificate,
    ConstraintResidual,
    SolverInfo,
    is_definite_float,
    seal,
)
from ..certify.exact import is_positive_definite_exact
from ..core.design import FORMS, check_network
from ..errors import InvalidInput, InvalidType

__all__ = [
    "CLARABEL_MAX_SIZE",
    "FORMS",
    "LMI_MAX_SIZE",
    "SOLVERS",
    "STATUS_VERDICTS",
    "certify_contraction",
    "certify_lds",
    "default_solver",
]

#: Solvers assocrate passes to cvxpy.
SOLVERS = ("CLARABEL", "SCS", "CVXOPT")
#: Largest LMI dimension for which Clarabel is chosen by default (it is accurate but slow and
#: memory-hungry above; DESIGN.md §5 "Solver policy").
CLARABEL_MAX_SIZE = 40
#: Largest LMI dimension assocrate hands to a solver (SCS needs about 25 s at 400 on two cores).
LMI_MAX_SIZE = 400

#: cvxpy status -> None (a solution to round and verify) or the verdict when there is none.
STATUS_VERDICTS: Mapping[str, str | None] = {
    cp.OPTIMAL: None,
    cp.OPTIMAL_INACCURATE: None,  # kept as its own status in SolverInfo; the exact check decides
    cp.INFEASIBLE: "the solver reports the LMI infeasible",
    cp.INFEASIBLE_INACCURATE: "the solver reports the LMI infeasible (to low accuracy)",
    cp.UNBOUNDED: "the solver reports the margin problem unbounded (a formulation error: please report it)",
    cp.UNBOUNDED_INACCURATE: "the solver reports the margin problem unbounded (to low accuracy)",
    cp_settings.INFEASIBLE_OR_UNBOUNDED: "the solver reports the LMI infeasible or unbounded",
    cp.USER_LIMIT: "the solver stopped at its iteration or time limit: raise it in `solver_options` "
    "(e.g. max_iters for SCS)",
    cp.SOLVER_ERROR: "the solver failed: try another `solver`",
}

# Significant bits kept when the solver's matrices are rounded to dyadic rationals.
_ROUNDING_BITS = 30


# ---------------------------------------------------------------------------------------------
# Solver policy
# ---------------------------------------------------------------------------------------------


def default_solver(size: int) -> str:
    """The solver used when none is given, for an LMI of dimension `size`.

    Clarabel up to :data:`CLARABEL_MAX_SIZE`; above, CVXOPT when it is installed (accurate and
    fast, GPL), else SCS (fast, about 1e-5 accurate).

    Examples
    --------
    >>> default_solver(14)
    'CLARABEL'
    """
    if size <= CLARABEL_MAX_SIZE:
        return "CLARABEL"
    return "CVXOPT" if "CVXOPT" in cp.installed_solvers() else "SCS"


def check_solver(solver: object, size: int) -> str:
    """The cvxpy solver name for an LMI of dimension `size`: `solver` validated, or the default by size.

    Raises ValueError for a name not in `SOLVERS` or not installed.
    """
    if solver is None:
        return default_solver(size)
    if not isinstance(solver, str) or solver.upper() not in SOLVERS:
        raise InvalidInput(f"`solver` must be one of {SOLVERS} or None; got {solver!r}")
    name = solver.upper()
    if name not in cp.installed_solvers():
        raise InvalidInput(f"`solver`={name!r} is not installed; installed: {sorted(set(SOLVERS) & set(cp.installed_solvers()))}")
    return name


def size_verdict(size: int, n_classes: int) -> str | None:
    """The no-certificate reason when an LMI of dimension `size` is too large to hand to a solver."""
    if size <= LMI_MAX_SIZE:
        return None
    return (
        f"the LMI would have dimension {size} > {LMI_MAX_SIZE} (the network has {n_classes} classes of "
        "interchangeable units): certificates need few row types (use reduction='types' with structured patterns)"
    )


def check_solver_options(solver_options: object) -> dict:
    """A copy of `solver_options` (a mapping passed on to cvxpy), ``{}`` for None; TypeError otherwise."""
    if solver_options is None:
        return {}
    if not isinstance(solver_options, Mapping):
        raise InvalidType(f"`solver_options` must be a mapping or None; got {type(solver_options).__name__}")
    return dict(solver_options)


def _solver_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name.lower())
    except importlib.metadata.PackageNotFoundError:
        return None


def solve_problem(problem: cp.Problem, solver: str, solver_options: dict) -> tuple[SolverInfo, str | None]:
    """Solve a cvxpy problem; return the solver record and the verdict if there is no solution.

    Warnings from the solver are caught and appended to the status (the exact check decides
    anyway); a solver exception becomes the ``solver_error`` verdict.
    """
    start = time.perf_counter()
    message = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            problem.solve(solver=solver, **solver_options)
            status = problem.status
        except cp.error.SolverError as error:
            status, message = cp.SOLVER_ERROR, f": {' '.join(str(error).split())[:200]}"
    elapsed = time.perf_counter() - start
    notes = sorted({" ".join(str(w.message).split())[:120] for w in caught})
    status_text = status + (f" ({'; '.join(notes)})" if notes else "")
    info = SolverInfo(solver, version=_solver_version(solver), status=status_text, solve_time=elapsed)
    verdict = STATUS_VERDICTS.get(status, f"the solver returned the unexpected status {status!r}")
    return info, None if verdict is None else verdict + message


# ---------------------------------------------------------------------------------------------
# Exact blocks and their checks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One constraint ``G > 0`` of a certificate, in exact rationals.

    Attributes
    ----------
    name : str
        Row of the residual table; several blocks may share a name (their minimum is reported).
    G : flint.fmpq_mat
        Exactly symmetric.
    metric : tuple of int, optional
        Positive diagonal weights ``m``: the reported eigenvalues are those of
        ``m^{-1/2} G m^{-1/2}`` (G is written in a non-orthonormal basis such as S).
    """

    name: str
    G: flint.fmpq_mat
    metric: tuple[int, ...] | None = None


def fmpq_diag(values: Sequence) -> flint.fmpq_mat:
    """A diagonal rational matrix."""
    k = len(values)
    entries = [flint.fmpq(0)] * (k * k)
    for i, value in enumerate(values):
        entries[i * k + i] = to_fmpq(value)
    return flint.fmpq_mat(k, k, entries)


def fmpq_bmat(blocks: Sequence[Sequence[flint.fmpq_mat]]) -> flint.fmpq_mat:
    """Assemble a block matrix from equally sized square blocks."""
    size = blocks[0][0].nrows()
    n_blocks = len(blocks)
    dense = [[None] * (size * n_blocks) for _ in range(size * n_blocks)]
    for bi, row in enumerate(blocks):
        for bj, block in enumerate(row):
            entries = block.entries()
            for i in range(size):
                dense[bi * size + i][bj * size : (bj + 1) * size] = entries[i * size : (i + 1) * size]
    n = size * n_blocks
    return flint.fmpq_mat(n, n, [x for line in dense for x in line])


def fmpq_to_float(M: flint.fmpq_mat) -> np.ndarray:
    """Nearest double of every entry (Python's correctly rounded int / int)."""
    numerators, denominator = M.numer_denom()
    d = int(denominator)
    return np.array([int(x) / d for x in numerators.entries()], dtype=float).reshape(M.nrows(), M.ncols())


def _float_min_eigenvalue(G: np.ndarray, metric: tuple[int, ...] | None) -> tuple[float, bool]:
    if metric is not None:
        scale = 1.0 / np.sqrt(np.asarray(metric, dtype=float))
        G = scale[:, None] * G * scale[None, :]
    G = 0.5 * (G + G.T)
    value = float(scipy.linalg.eigvalsh(G, subset_by_index=[0, 0])[0])
    return value, is_definite_float(G, sign=1)


def check_blocks(blocks: Sequence[Block], *, exact: bool = True) -> tuple[tuple[ConstraintResidual, ...], bool, bool]:
    """Float residuals, the float verdict and the exact verdict of a list of blocks.

    The exact verdict is True only if every block is positive definite in exact arithmetic.
    """
    rows: dict[str, float] = {}
    verified_float = True
    verified_exact = exact
    for block in blocks:
        value, ok = _float_min_eigenvalue(fmpq_to_float(block.G), block.metric)
        rows[block.name] = min(value, rows.get(block.name, math.inf))
        verified_float &= ok
    if exact:
        for block in blocks:
            if not is_positive_definite_exact(block.G):
                verified_exact = False
                break
    residuals = tuple(ConstraintResidual(name, value) for name, value in rows.items())
    return residuals, verified_float, verified_exact


def fmpq_row(values: Sequence) -> flint.fmpq_mat:
    """The 1 x n exact matrix of `values` (floats are read exactly)."""
    return flint.fmpq_mat(1, len(values), [to_fmpq(v) for v in values])


def lds_blocks(red: ReducedNetwork, eta, p: Sequence) -> list[Block]:
    """Exact blocks of the LDS certificate: ``P > 0`` and ``-(P(eta W - I) + (eta W - I)^T P) > 0``.

    In the basis S: ``S^T M S = eta (D W_N + W_N D) - 2 n D`` with ``W_N = n W_hat n``,
    ``D = diag(p)``; on the zero-sum part of class t, ``M = -2 p_t`` (implied by ``P > 0``).
    """
    n = red.counts_exact
    eta = to_fmpq(eta)
    N = fmpq_diag(n)
    D = fmpq_diag(p)
    W_N = N * red.W_exact * N
    G = -(eta * (D * W_N + W_N * D)) + 2 * (N * D)
    blocks = [Block("P > 0", D), Block("-(P (eta W - I) + (eta W - I)^T P) > 0", G, tuple(n))]
    multi = [to_fmpq(2) * to_fmpq(pt) for pt, nt in zip(p, n) if nt >= 2]
    if multi:
        blocks.append(Block("within classes: 2 P > 0", fmpq_diag(multi)))
    return blocks


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
        off = Q_hat + N * W * N * fmpq_diag(K_plus) * L
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


# ---------------------------------------------------------------------------------------------
# Rounding the solver's answer
# ---------------------------------------------------------------------------------------------


def round_scaled(values: np.ndarray, scale: np.ndarray, bits: int = _ROUNDING_BITS) -> tuple[np.ndarray, list[Fraction]]:
    """Round each entry to a multiple of ``2**(e - bits)``, ``2**e`` the power of two above its `scale`.

    Returns the rounded floats (exactly representable) and the same numbers as Fractions,
    row-major. Entries with equal scale and value stay equal (symmetry is kept).
    """
    values = np.asarray(values, dtype=float)
    scale = np.broadcast_to(np.abs(np.asarray(scale, dtype=float)), values.shape)
    exponents = np.frexp(np.where(scale > 0, scale, 1.0))[1] - int(bits)
    integers = np.rint(np.ldexp(values, -exponents))
    rounded = np.ldexp(integers, exponents)
    fractions = [
        Fraction(int(m) * 2**int(e)) if e >= 0 else Fraction(int(m), 2 ** int(-e))
        for m, e in zip(integers.ravel(), exponents.ravel())
    ]
    return rounded, fractions


def round_symmetric(M: np.ndarray, bits: int = _ROUNDING_BITS) -> tuple[np.ndarray, flint.fmpq_mat]:
    """Symmetrise ``(M + M^T)/2`` and round entry (i, j) relative to ``sqrt(|M_ii M_jj|)``."""
    M = np.asarray(M, dtype=float)
    M = 0.5 * (M + M.T)
    diagonal = np.abs(np.diag(M))
    floor = max(float(diagonal.max(initial=0.0)), float(np.max(np.abs(M), initial=0.0)), 1e-300) * 1e-12
    scale = np.sqrt(np.outer(np.maximum(diagonal, floor), np.maximum(diagonal, floor)))
    rounded, fractions = round_scaled(M, scale, bits)
    k = M.shape[0]
    return rounded, flint.fmpq_mat(k, k, [to_fmpq(f) for f in fractions])


def round_vector(v: np.ndarray, bits: int = _ROUNDING_BITS) -> tuple[np.ndarray, list[Fraction]]:
    """Round each entry of a vector to `bits` significant bits (zero stays zero)."""
    v = np.asarray(v, dtype=float).ravel()
    return round_scaled(v, np.where(v != 0, v, 1.0), bits)


# ---------------------------------------------------------------------------------------------
# Shared pieces of the certify functions
# ---------------------------------------------------------------------------------------------


def base_parameters(network, red: ReducedNetwork) -> dict:
    """Parameters every certificate records: the network's digest and the partition."""
    return {
        "network": network_digest(network),
        "n_units": network.n_units,
        "reduction": red.part.reduction,
        "n_classes": red.n_classes,
    }


def no_certificate(kind: str, reason: str, *, solver: SolverInfo | None, parameters: dict,
                   data: Mapping | None = None, residuals=()) -> Certificate:
    """The verdict when no certificate was found (a Certificate with both verdicts False)."""
    return seal(Certificate(
        f"no certificate found: {reason}",
        kind,
        dict(data or {}),
        solver=solver,
        residuals=residuals,
        verified_float=False,
        verified_exact=False,
        parameters=parameters,
    ))


def _eta(network) -> Fraction:
    return to_fraction(network.activation.max_slope)


def _maximise(margin: cp.Variable, constraints: list, solver: str, options: dict):
    problem = cp.Problem(cp.Maximize(margin), constraints)
    return solve_problem(problem, solver, options)


def _symmetric(expression):
    return 0.5 * (expression + expression.T)


# ---------------------------------------------------------------------------------------------
# Lyapunov-diagonal stability
# ---------------------------------------------------------------------------------------------


def lds_claim(eta: float) -> str:
    """The statement an exactly verified LDS certificate proves."""
    return (
        f"for every constant input u the network has exactly one equilibrium, and it is globally "
        f"asymptotically stable (current and rate forms): a diagonal P > 0 makes "
        f"P (eta W - I) + (eta W - I)^T P negative definite with eta = sup phi' = {eta:.6g} "
        f"(Lyapunov-diagonal stability, Forti-Tesi)"
    )


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
    rounded to dyadic rationals and checked in exact arithmetic (module docstring).

    Parameters
    ----------
    network : MemoryNetwork
    reduction : {"types", "full"}, default "types"
        Solve on the row types (k x k plus closed-form within-type blocks) or the full N x N LMI.
    solver : {"CLARABEL", "SCS", "CVXOPT"}, optional
        Default by size: :func:`default_solver`.
    solver_options : mapping, optional
        Passed to ``cvxpy.Problem.solve``.

    Returns
    -------
    Certificate
        kind ``"lds"``; ``verified_exact`` True only if the exact check passed. When the LMI is
        infeasible (every network that stores memories), the claim starts with
        "no certificate found".

    Examples
    --------
    >>> import dataclasses
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> certify_lds(net).claim[:22]
    'no certificate found: '
    >>> low_gain = dataclasses.replace(net, activation=Sigmoid(0.5, 0.2))  # same W, gain 0.5
    >>> certify_lds(low_gain).verified_exact
    True
    """
    check_network(network)
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    options = check_solver_options(solver_options)
    red = reduce_network(network, reduction=reduction)
    k = red.n_classes
    solver = check_solver(solver, k)
    eta = _eta(network)
    parameters = {**base_parameters(network, red), "eta": float(eta)}
    too_large = size_verdict(k, k)
    if too_large is not None:
        return no_certificate("lds", too_large, solver=None, parameters=parameters)
    n = red.counts
    A = float(eta) * red.W_tilde - np.eye(k)
    p = cp.Variable(k, nonneg=True)
    t = cp.Variable()
    M = _symmetric(cp.diag(p) @ A + A.T @ cp.diag(p))
    constraints = [M + t * np.eye(k) << 0, n @ p == float(network.n_units)]
    multi = np.flatnonzero(red.part.counts >= 2)
    if multi.size:
        constraints.append(2 * p[multi] >= t)
    info, failure = _maximise(t, constraints, solver, options)
    if failure is not None:
        return no_certificate("lds", failure, solver=info, parameters=parameters)
    p_float, p_exact = round_vector(np.maximum(p.value, 0.0))
    data = {"p": p_float, "margin": float(t.value), "counts": red.counts}
    if not t.value > 0:
        return no_certificate(
            "lds",
            f"the largest margin is t = {float(t.value):.3g} <= 0: the LMI is infeasible (to solver accuracy)",
            solver=info, parameters=parameters, data=data,
        )
    blocks = lds_blocks(red, eta, p_exact)
    residuals, verified_float, verified_exact = check_blocks(blocks)
    if not verified_exact:
        return no_certificate(
            "lds",
            f"the solver's margin t = {float(t.value):.3g} did not survive the exact check of the rounded P",
            solver=info, parameters=parameters, data=data, residuals=residuals,
        )
    return seal(Certificate(
        lds_claim(float(eta)),
        "lds",
        data,
        solver=info,
        residuals=residuals,
        verified_float=verified_float,
        verified_exact=True,
        parameters=parameters,
        exact_data={"p": fmpq_row(p_exact), "eta": eta},
    ))


# ---------------------------------------------------------------------------------------------
# Contraction
# ---------------------------------------------------------------------------------------------


def contraction_claim(form: str, rate: float, where: str) -> str:
    """The statement an exactly verified contraction certificate proves."""
    state = "x" if form == "rate" else "h"
    return (
        f"the {form} form contracts {where}: any two trajectories satisfy "
        f"|{state}1(t) - {state}2(t)|_Q <= exp(-{format_down(rate)} t/tau) |{state}1(0) - {state}2(0)|_Q "
        f"(incremental LMI, slopes bounded by K); hence exactly one equilibrium, globally exponentially stable"
    )


@dataclass(frozen=True)
class _ContractionSolution:
    info: SolverInfo
    failure: str | None
    Q_hat: np.ndarray | None = None
    sigma: np.ndarray | None = None
    lam: np.ndarray | None = None
    margin: float | None = None


def solve_incremental_lmi(
    red: ReducedNetwork,
    *,
    form: str,
    K_plus: np.ndarray,
    K_minus: np.ndarray | None,
    solver: str,
    options: dict,
) -> _ContractionSolution:
    """Maximise the margin of the incremental LMI (c = 0) on the classes; Q returned as ``S^T Q S``."""
    k = red.n_classes
    n = red.counts
    Wt = red.W_tilde
    Q = cp.Variable((k, k), symmetric=True)
    lam = cp.Variable(k, nonneg=True)
    t = cp.Variable()
    multi = np.flatnonzero(red.part.counts >= 2)
    sigma = cp.Variable(multi.size) if multi.size else None
    Kp = np.asarray(K_plus, dtype=float)
    if form == "rate":
        top_left = -2 * Q
        off = Q + Wt @ cp.diag(cp.multiply(Kp, lam))
    else:
        Km = np.zeros(k) if K_minus is None else np.asarray(K_minus, dtype=float)
        QWK = Q @ (Wt * Km[None, :])
        top_left = -2 * Q + QWK + QWK.T
        off = Q @ Wt + cp.diag(cp.multiply(Kp - Km, lam))
    block = _symmetric(cp.bmat([[top_left, off], [off.T, -2 * cp.diag(lam)]]))
    constraints = [block + t * np.eye(2 * k) << 0]
    trace = cp.trace(Q)
    if sigma is not None:
        trace = trace + (n[multi] - 1) @ sigma
        for j, cls in enumerate(multi):
            if form == "rate":
                coupling = sigma[j]
            else:
                low = 0.0 if K_minus is None else float(K_minus[cls])
                coupling = (float(Kp[cls]) - low) * lam[cls]
            small = cp.bmat([[-2 * sigma[j], coupling], [coupling, -2 * lam[cls]]])
            constraints.append(_symmetric(small) + t * np.eye(2) << 0)
    constraints.append(trace == float(red.part.n_units))
    info, failure = _maximise(t, constraints, solver, options)
    if failure is not None:
        return _ContractionSolution(info, failure)
    root = np.sqrt(n)
    Q_hat = root[:, None] * Q.value * root[None, :]
    sigma_full = np.zeros(k)
    if sigma is not None:
        sigma_full[multi] = sigma.value
    return _ContractionSolution(info, None, Q_hat, sigma_full, np.maximum(lam.value, 0.0), float(t.value))


def exact_contraction_data(solution: _ContractionSolution) -> tuple[dict, dict]:
    """Round a solution: float data and the same numbers exactly (Q_hat, sigma, lambda)."""
    Q_float, Q_exact = round_symmetric(solution.Q_hat)
    sigma_float, sigma_exact = round_vector(solution.sigma)
    lam_float, lam_exact = round_vector(solution.lam)
    data = {"Q": Q_float, "sigma": sigma_float, "lambda": lam_float}
    exact = {"Q": Q_exact, "sigma": sigma_exact, "lambda": lam_exact}
    return data, exact


def contraction_rate(red: ReducedNetwork, data: Mapping, margin: float) -> Fraction:
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
        Default by the LMI size 2k: :func:`default_solver`.
    solver_options : mapping, optional

    Returns
    -------
    Certificate
        kind ``"contraction"``; exact data ``Q`` (``S^T Q S``), ``sigma``, ``lambda``, ``K`` (the
        slope bounds, here eta for every class) and the certified rate ``c``.

    Notes
    -----
    The margin t is maximised at c = 0 under ``trace Q = N``; the reported rate is
    ``c = t / (4 lambda_max(Q))`` rounded down, which leaves half the margin for rounding, and the
    LMI is then verified exactly *with that c*.

    Examples
    --------
    >>> import dataclasses
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> low_gain = dataclasses.replace(net, activation=Sigmoid(0.5, 0.2))
    >>> cert = certify_contraction(low_gain)
    >>> cert.verified_exact, cert.parameters["rate"] > 0
    (True, True)
    """
    check_network(network)
    form = check_choice("form", form, FORMS)
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    options = check_solver_options(solver_options)
    red = reduce_network(network, reduction=reduction)
    solver = check_solver(solver, 2 * red.n_classes)
    eta = _eta(network)
    K = [eta] * red.n_classes
    parameters = {**base_parameters(network, red), "form": form, "eta": float(eta)}
    return incremental_certificate(
        red, form=form, K=K, solver=solver, options=options, parameters=parameters,
        where="globally, for every constant input u",
    )


def incremental_certificate(
    red: ReducedNetwork,
    *,
    form: str,
    K: Sequence[Fraction],
    solver: str,
    options: dict,
    parameters: dict,
    where: str,
    kind: str = "contraction",
) -> Certificate:
    """Solve, round and exactly verify the contraction LMI with per-class slope bounds K."""
    too_large = size_verdict(2 * red.n_classes, red.n_classes)
    if too_large is not None:
        return no_certificate(kind, too_large, solver=None, parameters=parameters)
    K_float = np.array([float(x) for x in K])
    solution = solve_incremental_lmi(red, form=form, K_plus=K_float, K_minus=None, solver=solver, options=options)
    if solution.failure is not None:
        return no_certificate(kind, solution.failure, solver=solution.info, parameters=parameters)
    data, exact = exact_contraction_data(solution)
    data.update({"K": K_float, "margin": solution.margin, "counts": red.counts})
    if not solution.margin > 0:
        return no_certificate(
            kind,
            f"the largest margin is t = {solution.margin:.3g} <= 0: the LMI is infeasible (to solver accuracy)",
            solver=solution.info, parameters=parameters, data=data,
        )
    c = contraction_rate(red, data, solution.margin)
    blocks = contraction_blocks(red, form=form, Q=exact["Q"], sigma=exact["sigma"], lam=exact["lambda"],
                                K_plus=K, K_minus=None, c=c)
    residuals, verified_float, verified_exact = check_blocks(blocks)
    parameters = {**parameters, "rate": float(c)}
    if not verified_exact:
        return no_certificate(
            kind,
            f"the solver's margin t = {solution.margin:.3g} did not survive the exact check of the rounded Q, Lambda",
            solver=solution.info, parameters=parameters, data=data, residuals=residuals,
        )
    return seal(Certificate(
        contraction_claim(form, float(c), where),
        kind,
        data,
        solver=solution.info,
        residuals=residuals,
        verified_float=verified_float,
        verified_exact=True,
        parameters=parameters,
        exact_data={"Q": exact["Q"], "sigma": fmpq_row(exact["sigma"]), "lambda": fmpq_row(exact["lambda"]),
                    "K": fmpq_row(K), "c": c},
    ))
