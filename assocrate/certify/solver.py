"""Solver policy and the two margin problems: the only module that touches cvxpy (theory.md §5).

cvxpy is imported inside the functions that use it, so ``import assocrate.certify`` stays light.
Policy (measured on this class of LMI): Clarabel is accurate but slow and memory-hungry above
about 60; SCS is fast but only ~1e-5 accurate; CVXOPT is accurate and fast but GPL (an optional
extra). Every problem is a margin maximisation with a normalisation (``max t`` subject to
``... <= -t I`` and a trace or sum constraint), never ``Minimize(0)``, built and solved inside one
function. The solver's answer is never trusted: the caller rounds it and checks it exactly.
cvxpy statuses are interpreted in one place, :data:`SOLVER_STATUSES`.
"""

from __future__ import annotations

import importlib.metadata
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ..certify._reduction import ReducedNetwork
from ..certify.record import SolverInfo
from ..certify.status import CertificateStatus
from ..errors import InvalidInput, InvalidType

__all__ = [
    "CLARABEL_MAX_SIZE",
    "LMI_MAX_SIZE",
    "SOLVERS",
    "SOLVER_STATUSES",
    "ContractionSolution",
    "LDSSolution",
    "SolverFailure",
    "check_solver",
    "check_solver_options",
    "default_solver",
    "size_failure",
    "solve_incremental_lmi",
    "solve_lds_lmi",
    "solve_problem",
]

#: Solvers assocrate passes to cvxpy.
SOLVERS = ("CLARABEL", "SCS", "CVXOPT")
#: Largest LMI dimension for which Clarabel is chosen by default (it is accurate but slow and
#: memory-hungry above; theory.md §5 "Solver policy").
CLARABEL_MAX_SIZE = 40
#: Largest LMI dimension assocrate hands to a solver (SCS needs about 25 s at 400 on two cores).
LMI_MAX_SIZE = 400

_INFEASIBLE = CertificateStatus.INFEASIBLE
_ERROR = CertificateStatus.SOLVER_ERROR

#: cvxpy status -> None (a solution to round and verify) or (status, reason) when there is none.
#: ``optimal_inaccurate`` is kept as its own status in :class:`SolverInfo`; the exact check decides.
SOLVER_STATUSES: Mapping[str, tuple[CertificateStatus, str] | None] = MappingProxyType({
    "optimal": None,
    "optimal_inaccurate": None,
    "infeasible": (_INFEASIBLE, "the solver reports the LMI infeasible"),
    "infeasible_inaccurate": (_INFEASIBLE, "the solver reports the LMI infeasible (to low accuracy)"),
    "unbounded": (_ERROR, "the solver reports the margin problem unbounded (a formulation error: please report it)"),
    "unbounded_inaccurate": (_ERROR, "the solver reports the margin problem unbounded (to low accuracy)"),
    "infeasible_or_unbounded": (_INFEASIBLE, "the solver reports the LMI infeasible or unbounded"),
    "user_limit": (CertificateStatus.ITERATION_LIMIT, "the solver stopped at its iteration or time limit: raise it "
                   "in `solver_options` (e.g. max_iters for SCS)"),
    "solver_error": (_ERROR, "the solver failed: try another `solver`"),
})


@dataclass(frozen=True)
class SolverFailure:
    """Why a margin problem gave no solution: the certificate's status and the reason in words."""

    status: CertificateStatus
    reason: str

    def summary(self) -> str:
        """The status code and the reason."""
        return f"{self.status.code}: {self.reason}"


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
    import cvxpy as cp

    return "CVXOPT" if "CVXOPT" in cp.installed_solvers() else "SCS"


def check_solver(solver: object, size: int) -> str:
    """The cvxpy solver name for an LMI of dimension `size`: `solver` validated, or the default by size.

    Raises ValueError for a name not in `SOLVERS` or not installed.
    """
    if solver is None:
        return default_solver(size)
    if not isinstance(solver, str) or solver.upper() not in SOLVERS:
        raise InvalidInput(f"`solver` must be one of {SOLVERS} or None; got {solver!r}")
    import cvxpy as cp

    name = solver.upper()
    if name not in cp.installed_solvers():
        raise InvalidInput(f"`solver`={name!r} is not installed; installed: {sorted(set(SOLVERS) & set(cp.installed_solvers()))}")
    return name


def check_solver_options(solver_options: object) -> dict:
    """A copy of `solver_options` (a mapping passed on to cvxpy), ``{}`` for None; TypeError otherwise."""
    if solver_options is None:
        return {}
    if not isinstance(solver_options, Mapping):
        raise InvalidType(f"`solver_options` must be a mapping or None; got {type(solver_options).__name__}")
    return dict(solver_options)


def size_failure(size: int, n_classes: int) -> SolverFailure | None:
    """The failure when an LMI of dimension `size` is too large to hand to a solver (else None)."""
    if size <= LMI_MAX_SIZE:
        return None
    return SolverFailure(CertificateStatus.TOO_LARGE, (
        f"the LMI would have dimension {size} > {LMI_MAX_SIZE} (the network has {n_classes} classes of "
        "interchangeable units): certificates need few row types (use reduction='types' with structured patterns)"
    ))


def _solver_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name.lower())
    except importlib.metadata.PackageNotFoundError:
        return None


def solve_problem(problem, solver: str, solver_options: dict) -> tuple[SolverInfo, SolverFailure | None]:
    """Solve a cvxpy problem; return the solver record and the failure if there is no solution.

    Warnings from the solver are caught and appended to the status (the exact check decides
    anyway); a solver exception becomes the ``solver_error`` failure.
    """
    import cvxpy as cp

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
    unexpected = (_ERROR, f"the solver returned the unexpected status {status!r}")
    outcome = SOLVER_STATUSES.get(status, unexpected)
    return info, None if outcome is None else SolverFailure(outcome[0], outcome[1] + message)


def _maximise(margin, constraints: list, solver: str, options: dict) -> tuple[SolverInfo, SolverFailure | None]:
    import cvxpy as cp

    return solve_problem(cp.Problem(cp.Maximize(margin), constraints), solver, options)


def _symmetric(expression):
    return 0.5 * (expression + expression.T)


# ---------------------------------------------------------------------------------------------
# The two margin problems, on the classes of interchangeable units
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LDSSolution:
    """The solver's answer to the LDS margin problem (`p`, `margin` None on failure)."""

    info: SolverInfo
    failure: SolverFailure | None
    p: np.ndarray | None = None
    margin: float | None = None

    def summary(self) -> str:
        """The solver, then the margin or the failure."""
        outcome = self.failure.summary() if self.failure is not None else f"margin t = {self.margin:.3g}"
        return f"LDS margin problem ({self.info.summary()}): {outcome}"


def solve_lds_lmi(red: ReducedNetwork, eta: float, *, solver: str, options: dict) -> LDSSolution:
    """Maximise t subject to ``P (eta W - I) + (eta W - I)^T P <= -t I``, ``sum_i p_i = N``, on the classes.

    Within classes of two or more units the block is ``-2 p_t`` (:func:`~assocrate.certify.lds.lds_blocks`).
    """
    import cvxpy as cp

    k = red.n_classes
    A = eta * red.W_tilde - np.eye(k)
    p = cp.Variable(k, nonneg=True)
    t = cp.Variable()
    M = _symmetric(cp.diag(p) @ A + A.T @ cp.diag(p))
    constraints = [M + t * np.eye(k) << 0, red.counts @ p == float(red.part.n_units)]
    multi = np.flatnonzero(red.part.counts >= 2)
    if multi.size:
        constraints.append(2 * p[multi] >= t)
    info, failure = _maximise(t, constraints, solver, options)
    if failure is not None:
        return LDSSolution(info, failure)
    return LDSSolution(info, None, np.maximum(p.value, 0.0), float(t.value))


@dataclass(frozen=True)
class ContractionSolution:
    """The solver's answer to the incremental-LMI margin problem (arrays None on failure).

    ``Q_hat`` is ``S^T Q S`` (k x k), ``sigma`` the eigenvalue of Q within each class, ``lam`` the
    multipliers Lambda.
    """

    info: SolverInfo
    failure: SolverFailure | None
    Q_hat: np.ndarray | None = None
    sigma: np.ndarray | None = None
    lam: np.ndarray | None = None
    margin: float | None = None

    def summary(self) -> str:
        """The solver, then the margin or the failure."""
        outcome = self.failure.summary() if self.failure is not None else f"margin t = {self.margin:.3g}"
        return f"incremental-LMI margin problem ({self.info.summary()}): {outcome}"


def solve_incremental_lmi(
    red: ReducedNetwork,
    *,
    form: str,
    K_plus: np.ndarray,
    K_minus: np.ndarray | None,
    solver: str,
    options: dict,
) -> ContractionSolution:
    """Maximise the margin of the incremental LMI (c = 0) on the classes; Q returned as ``S^T Q S``.

    The blocks are those of :func:`~assocrate.certify.contraction.contraction_blocks`.
    """
    import cvxpy as cp

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
        off = Q + Wt.T @ cp.diag(cp.multiply(Kp, lam))  # Q + W^T K Lambda (W_tilde^T = W_tilde when W = W^T)
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
        return ContractionSolution(info, failure)
    root = np.sqrt(n)
    Q_hat = root[:, None] * Q.value * root[None, :]
    sigma_full = np.zeros(k)
    if sigma is not None:
        sigma_full[multi] = sigma.value
    return ContractionSolution(info, None, Q_hat, sigma_full, np.maximum(lam.value, 0.0), float(t.value))
