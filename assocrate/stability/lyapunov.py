"""Lyapunov certificates for the stored memories, verified in exact rational arithmetic (theory.md §4).

``P > 0`` with ``J^T P + P J < 0`` for the Jacobian at a memory: the explicit ``P = D^{-1}`` (or
``D``) when every slope is positive, else the solution of a reduced 2m x 2m Lyapunov equation.
Neither P nor J is formed: every check reduces to an m x m or 2m x 2m rational matrix. Both work
for a symmetric ``W = U C U^T`` and for the non-symmetric ``W = L C R^T`` of the projection rule
(theory.md §4, Theorem L).

The certificate record and the exact arithmetic come from :mod:`assocrate.certify`; they are imported
where a certificate is built, so that importing :mod:`assocrate.stability` loads no certifier.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Literal

import flint
import numpy as np
import scipy.linalg

from .._validation import check_choice, check_index
from ..core.design import FORMS, MemoryNetwork, check_network
from ..core.equilibria import NewtonStatus
from ..core.identity import identity_verdict
from ..core.lowrank import reduced_eigenvalues, symmetric_part, weighted_gram
from ..errors import InvalidInput
from ._linearization import MemoryPoint, memory_points, point_gram
from .general import point_stability, projection_points
from .spectra import POINTS, Form, JacobianSpectrum, Point, Verdict, spectrum_from_reduced

if TYPE_CHECKING:
    from ..certify.record import Certificate

__all__ = ["lyapunov_certificate"]

_METHODS = ("auto", "explicit", "lyapunov")


def _dyadic(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Integers n (object array) and E >= 0 with ``values == n / 2**E`` exactly (floats are dyadic)."""
    values = np.asarray(values, dtype=np.float64)
    mantissa, exponent = np.frexp(values)
    integers = np.ldexp(mantissa, 53).astype(np.int64)  # exact: |mantissa| * 2**53 < 2**53
    shift = exponent.astype(np.int64) - 53  # values = integers * 2**shift
    nonzero = integers != 0
    E = max(0, -int(shift[nonzero].min())) if nonzero.any() else 0
    result = np.zeros(values.shape, dtype=object)
    flat = result.reshape(-1)
    for i in np.flatnonzero(nonzero.reshape(-1)):
        flat[i] = int(integers.flat[i]) << int(shift.flat[i] + E)
    return result, E


def _exact_gram(
    left: np.ndarray, right: np.ndarray, counts: np.ndarray, slopes: np.ndarray, power: int
) -> flint.fmpq_mat:
    """``sum_t counts_t slopes_t^power left_t right_t^T`` in exact rational arithmetic."""
    left_integers, left_exponent = _dyadic(left)
    right_integers, right_exponent = _dyadic(right)
    slope_integers, slope_exponent = _dyadic(slopes)
    weights = np.array([int(c) for c in counts], dtype=object) * slope_integers**power
    A = flint.fmpz_mat(left_integers.tolist())
    B = flint.fmpz_mat((right_integers * weights[:, None]).tolist())
    return flint.fmpq_mat(A.transpose() * B) / (2 ** (left_exponent + right_exponent + power * slope_exponent))




def _submatrix(M: flint.fmpq_mat, rows: list[int], cols: list[int]) -> flint.fmpq_mat:
    return flint.fmpq_mat(len(rows), len(cols), [M[i, j] for i in rows for j in cols])


def _exact_all_below(H: flint.fmpq_mat, Z: flint.fmpq_mat, s: flint.fmpq) -> tuple[bool, flint.fmpq_mat]:
    """Decide exactly whether ``s I - Y Z Y^T > 0`` for every Y with ``Y^T Y = H`` (``s > 0``).

    Returns the verdict and the rational test matrix ``s H' - H_c Z H_c^T``.

    Notes
    -----
    Pick a maximal set of columns of Y that are linearly independent: the principal submatrix
    ``H' = H[c, c]`` is then nonsingular (checked exactly, greedily by rank). With ``Y' = Y S``,
    every column of Y lies in ``range(Y')``, so ``Y = Y' T`` with ``T = H'^{-1} S^T H``, and
    ``Y Z Y^T = Y' (T Z T^T) Y'^T``. Its nonzero eigenvalues are those of
    ``H'^{1/2} T Z T^T H'^{1/2}`` (``spec(A B) \\ {0} = spec(B A) \\ {0}``); on the orthogonal
    complement of range(Y) the matrix is ``s I > 0``. Hence ``s I - Y Z Y^T > 0`` iff
    ``s I - H'^{1/2} T Z T^T H'^{1/2} > 0`` iff (congruence by the invertible ``H'^{1/2}``)
    ``s H' - H' T Z T^T H' > 0``, and ``H' T = S^T H = H[c, :] =: H_c``. The test matrix
    ``s H' - H_c Z H_c^T`` is rational and exactly symmetric: no square root is ever taken.
    """
    from ..certify.exact import is_positive_definite_exact

    n = H.nrows()
    chosen: list[int] = []
    for j in range(n):
        trial = chosen + [j]
        if _submatrix(H, trial, trial).rank() == len(trial):
            chosen = trial
    H_c = _submatrix(H, chosen, list(range(n)))
    test = _submatrix(H, chosen, chosen) * s - H_c * Z * H_c.transpose()
    if not chosen:  # Y = 0: the matrix is s I
        return True, test
    return bool(is_positive_definite_exact(test)), test


def _float_root(H: np.ndarray) -> np.ndarray:
    w, V = scipy.linalg.eigh(symmetric_part(H))
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def _refusal(js: JacobianSpectrum, owner: int | None) -> tuple[str, str]:
    """Why a symmetric network's memory gets no certificate: (verdict word, reason)."""
    if js.equilibrium_found and owner != js.mu:
        return "not identified", identity_verdict(js.mu, owner)
    if not js.equilibrium_found and js.at == "ideal":
        return js.verdict.name.lower(), (
            f"the designed memory is not an equilibrium (fixed-point residual {js.equilibrium_residual:.3g} > "
            f"{js.equilibrium_tolerance:.3g}) and the linearisation at a point that is not an equilibrium says "
            "nothing about stability; a Lyapunov certificate there certifies nothing (use at='equilibrium')"
        )
    if not js.equilibrium_found:
        return js.verdict.name.lower(), (
            "the equilibrium could not be located; a Lyapunov certificate at a point that is not an "
            "equilibrium certifies nothing"
        )
    return js.verdict.name.lower(), _not_hurwitz(js.max_eigenvalue, js.verdict)


def _not_hurwitz(max_eigenvalue: float, verdict: Verdict) -> str:
    return (
        f"its largest Jacobian eigenvalue is {max_eigenvalue:.6g}"
        + (" (within rounding of 0)" if verdict is Verdict.UNDECIDED else " > 0")
        + "; no P > 0 with J^T P + P J < 0 exists for a Jacobian that is not Hurwitz"
    )


def _refused(
    network: MemoryNetwork, form: str, at: str, mu: int, verdict: Verdict, max_eigenvalue: float, found: bool,
    residual: float, reason: tuple[str, str],
) -> Certificate:
    from ..certify.record import Certificate, ConstraintResidual

    return Certificate(
        f"refused: memory {mu} is {reason[0]}: {reason[1]}",
        "lyapunov",
        {"max_eigenvalue": max_eigenvalue},
        residuals=[ConstraintResidual("-(largest eigenvalue of J) > 0", -max_eigenvalue)],
        verified_float=False,
        verified_exact=False,
        parameters={
            "status": "refused",
            "memory": mu,
            "form": form,
            "at": at,
            "tau": network.tau,
            "n_units": network.n_units,
            "max_eigenvalue": max_eigenvalue,
            "verdict": verdict.name.lower(),
            "equilibrium_found": found,
            "equilibrium_residual": residual,
        },
    )


def lyapunov_certificate(
    network: MemoryNetwork,
    mu: int,
    *,
    form: Form = "rate",
    at: Point = "equilibrium",
    method: Literal["auto", "explicit", "lyapunov"] = "auto",
) -> Certificate:
    """A Lyapunov certificate ``P > 0``, ``J^T P + P J < 0`` for memory `mu`, verified exactly.

    Parameters
    ----------
    network : MemoryNetwork
    mu : int
        Memory index.
    form : {"rate", "current"}, default "rate"
        Which Jacobian: ``J_rate = (-I + D W)/tau`` or ``J_current = (-I + W D)/tau``.
    at : {"equilibrium", "ideal"}, default "equilibrium"
        Where D is evaluated (see :func:`~assocrate.stability.spectra.jacobian_spectrum`).
    method : {"auto", "explicit", "lyapunov"}, default "auto"
        ``"explicit"``: ``P = D^{-1}`` (rate form) or ``P = D`` (current form); needs every slope
        > 0. ``"lyapunov"``: the solution of ``J^T P + P J = -I``, built in reduced coordinates as
        ``P = (tau/2) I + Y X Y^T`` (Theorem L below). ``"auto"``: for a symmetric W the explicit P
        when all slopes are positive (sigmoid), else the Lyapunov solution (rectified tanh below
        threshold); for a non-symmetric W always the Lyapunov solution (the explicit P is then only
        sufficient, Theorem L (b), while the solution exists for every stable memory, (a)).

    Returns
    -------
    Certificate
        ``kind="lyapunov"``. For a memory that is not stable (largest eigenvalue >= 0, or within
        rounding of 0, or an equilibrium that Newton did not find) the certificate is *refused*: a
        record with both verdicts False, ``parameters["status"] == "refused"`` and a claim saying
        why -- not an exception.

    Raises
    ------
    ValueError
        For invalid arguments, or ``method="explicit"`` with a zero slope.

    Notes
    -----
    Neither P nor J is ever formed: both are ``scalar * I`` (or diagonal) plus low rank, and
    every check reduces to an m x m or 2m x 2m rational matrix (m = P + 1 for the betteti rule, P
    for the projection rule) built from the exact Gram sums over row types. Floats (slopes, the
    factors, C, tau, X) are read as the dyadic rationals they are, so "exact" means exact for the
    network as stored in floating point. A symmetric W is ``U C U^T``; a projection-rule W with
    unequal activities is ``L C R^T`` and is linearised at the designed memory, an equilibrium by
    construction (``W x̄ = h̄``; its float residual is recorded).

    **Theorem L** (local Lyapunov certificate for ``W = L C R^T``; theory.md §4). Let D >= 0 be
    the slopes at an equilibrium, ``tau J = -I + D W`` (rate) or ``-I + W D`` (current), and set

    - rate: ``Y = [R, D L]``, ``K = [[0, 0], [C, 0]]``; current: ``Y = [L, D R]``, ``K = [[0, C], [0, 0]]``
      (for symmetric W, ``L = R = U`` and ``Y = [U, D U]``), so that ``tau J = -I + Y K Y^T``;
    - ``H = Y^T Y`` (2m x 2m, blocks ``A^T D^p B`` summed over row types) and ``A_K = K^T H - I``.

    (a) If J is Hurwitz, the 2m x 2m equation ``A_K X + X A_K^T = -(tau/2)(K + K^T)`` has a unique
    solution X, and ``P = (tau/2) I + Y X Y^T`` is the unique solution of ``J^T P + P J = -I``;
    in particular ``P > 0``. (b) If every slope is positive and ``I - D^{1/2} W_s D^{1/2} > 0``
    with ``W_s = (W + W^T)/2 = F Z_s F^T``, ``F = [L, R]``, ``Z_s = [[0, C], [C, 0]]/2``, then
    ``P = D^{-1}`` (rate) and ``P = D`` (current) are Lyapunov certificates; for symmetric W
    (``F = U``, ``Z_s = C``) the condition is also necessary. (c) For any symmetric X (the float
    one), ``P > 0`` iff ``(tau/2) I + Y X Y^T > 0`` and ``J^T P + P J < 0`` iff
    ``tau I - Y Z Y^T > 0`` with ``Z = A_K X + X A_K^T + (tau/2)(K + K^T)``; both are decided
    exactly from H, X, Z alone (:func:`_exact_all_below`).

    *Proof.* ``Y K Y^T`` is ``D L C R^T`` (rate) and ``L C R^T D`` (current): the Jacobian is
    ``-I/tau`` plus a matrix of rank <= m whose range and co-range lie in ``range(Y)``, which is
    therefore invariant under J and ``J^T``; on its orthogonal complement ``J = J^T = -I/tau``
    and ``P = (tau/2) I``, so there ``J^T P + P J = -I``. Expanding with ``Y^T Y = H``:
    ``tau (J^T P + P J) = -tau I + Y Z Y^T`` with Z as in (c) (H is symmetric, so
    ``X H K - X = X A_K^T``). (a) ``spec(K^T H) \\ {0} = spec(Y K^T Y^T) \\ {0} =
    spec(tau J^T + I) \\ {0}``, so every eigenvalue of ``A_K`` is -1 or ``tau lambda`` for an
    eigenvalue lambda of J: ``A_K`` is Hurwitz, the equation has one solution, Z = 0 and
    ``J^T P + P J = -I``, whose unique solution for a Hurwitz J is
    ``integral_0^inf exp(J^T t) exp(J t) dt > 0``. (b) ``J^T D^{-1} + D^{-1} J =
    (2/tau)(W_s - D^{-1})`` and ``J^T D + D J = (2/tau) D (W_s - D^{-1}) D``, both congruent (by
    ``D^{1/2}``, resp. ``D^{-1/2}``) to ``(2/tau)(D^{1/2} W_s D^{1/2} - I)``; the nonzero spectrum of
    ``D^{1/2} F Z_s F^T D^{1/2}`` is that of ``G^{1/2} Z_s G^{1/2}``, ``G = F^T D F``. For a symmetric W,
    ``W_s = W`` and ``spec(tau J) = spec(-I + D^{1/2} W D^{1/2})``, so J is Hurwitz iff the
    condition holds. (c) is :func:`_exact_all_below` applied to ``-X`` and Z. ∎

    The float X is solved by scipy from H rounded to floats; then (c) re-verifies it exactly.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> cert = lyapunov_certificate(net, 0)
    >>> cert.certified, cert.parameters["method"]
    (True, 'explicit P = D^-1')
    """
    network = check_network(network)
    mu = check_index("mu", mu, network.n_patterns)
    form = check_choice("form", form, FORMS)
    at = check_choice("at", at, POINTS)
    method = check_choice("method", method, _METHODS)
    if network.is_symmetric:
        point = memory_points(network, [mu], at)[0]
        js = spectrum_from_reduced(network, mu, at, form, reduced_eigenvalues(point_gram(point), network.c), point)
        max_eigenvalue, verdict, identified = js.max_eigenvalue, js.verdict, point.owner == mu
    else:  # the designed memory is the equilibrium (W x̄ = h̄ by construction, theory.md §3)
        point = projection_points(network, [mu])[0]
        stability = point_stability(network, mu, point)
        max_eigenvalue, verdict, identified = stability.max_real, stability.verdict, True
    if method == "explicit" and not np.all(point.slopes > 0):
        raise InvalidInput(
            f"`method`='explicit' needs every slope phi'(h) > 0 at memory {mu}; got min slope "
            f"{float(point.slopes.min())!r} (use method='lyapunov' or 'auto')"
        )
    if verdict is not Verdict.STABLE or not identified:
        if network.is_symmetric:
            reason = _refusal(js, point.owner)
            found = js.equilibrium_found
        else:
            reason, found = (verdict.name.lower(), _not_hurwitz(max_eigenvalue, verdict)), True
        return _refused(network, form, at, mu, verdict, max_eigenvalue, found, point.residual, reason)
    if method == "auto":
        method = "explicit" if network.is_symmetric and np.all(point.slopes > 0) else "lyapunov"
    parameters = {
        "status": "built",
        "memory": mu,
        "form": form,
        "at": at,
        "tau": network.tau,
        "n_units": network.n_units,
        "n_row_types": int(point.rows.shape[0]),
        "max_eigenvalue": max_eigenvalue,
        "equilibrium_residual": point.residual,
        "equilibrium_status": point.status,
    }
    where = "the designed memory" if point.status != NewtonStatus.CONVERGED.value else "the refined equilibrium"
    claim = (
        f"memory {mu} is locally exponentially stable: P > 0 and J^T P + P J < 0 for the {form}-form "
        f"Jacobian J at {where} (equilibrium residual {point.residual:.2g})"
    )
    from ..certify.exact import to_rational

    c_exact = to_rational(np.diag(network.c))
    if method == "explicit":
        return _explicit_certificate(network, point, max_eigenvalue, form, claim, parameters, c_exact)
    return _lyapunov_solution_certificate(network, point, form, claim, parameters, c_exact)


def _explicit_factors(network: MemoryNetwork, point: MemoryPoint, c_exact: flint.fmpq_mat):
    """``(F rows, Z, Z exact)`` with ``(W + W^T)/2 = F Z F^T``: ``(U, C)``, or ``([L, R], [[0, C], [C, 0]]/2)``."""
    if point.right is None:
        return point.rows, np.diag(network.c), c_exact
    m = network.c.size
    Z = np.zeros((2 * m, 2 * m))
    Z[:m, m:] = Z[m:, :m] = np.diag(0.5 * network.c)
    Z_exact = flint.fmpq_mat(2 * m, 2 * m)
    for i in range(m):
        Z_exact[i, m + i] = Z_exact[m + i, i] = c_exact[i, i] / 2
    return np.hstack([point.rows, point.right]), Z, Z_exact


def _explicit_certificate(network, point, max_eigenvalue, form, claim, parameters, c_exact) -> Certificate:
    from ..certify.blocks import is_definite_float
    from ..certify.record import Certificate, ConstraintResidual

    F, Z, Z_exact = _explicit_factors(network, point, c_exact)
    root = _float_root(weighted_gram(F, point.slopes, point.counts))
    S = root @ (Z @ root)  # G^{1/2} Z G^{1/2}: the spectrum of D^{1/2} W_s D^{1/2} off its kernel
    p_min = float(np.min(1.0 / point.slopes)) if form == "rate" else float(np.min(point.slopes))
    lmi_margin = 1.0 - float(scipy.linalg.eigvalsh(symmetric_part(S))[-1])
    verified_float = bool(np.all(point.slopes > 0) and is_definite_float(S - np.eye(S.shape[0]), sign=-1))
    G_exact = _exact_gram(F, F, point.counts, point.slopes, 1)
    holds, test = _exact_all_below(G_exact, Z_exact, flint.fmpq(1))
    verified_exact = bool(holds and np.all(point.slopes > 0))
    parameters = dict(parameters, method="explicit P = D^-1" if form == "rate" else "explicit P = D")
    congruent = "-(tau/2)(J^T P + P J) D" if form == "current" else "-(tau/2)(J^T P + P J)"
    W = "W" if point.right is None else "W_s"
    return Certificate(
        claim,
        "lyapunov",
        {"slopes_by_type": point.slopes, "type_counts": point.counts.astype(float), "max_eigenvalue": max_eigenvalue},
        residuals=[
            ConstraintResidual(f"P > 0 (P = {'D^-1' if form == 'rate' else 'D'}, diagonal)", p_min),
            ConstraintResidual(
                f"I - D^1/2 {W} D^1/2 > 0 (congruent to {congruent}"
                + (")" if point.right is None else "; W_s = (W + W^T)/2)"),
                lmi_margin,
            ),
        ],
        verified_float=verified_float,
        verified_exact=verified_exact,
        parameters=parameters,
        exact_data={"G": G_exact, "C": Z_exact, "lmi_test": test},
    )


def _solution_factors(point: MemoryPoint, form: str) -> tuple[np.ndarray, np.ndarray, str]:
    """``(A rows, B rows, name)`` with ``Y = [A, D B]``: ``[U, D U]``; ``[R, D L]`` (rate) or ``[L, D R]`` (current)."""
    if point.right is None:
        return point.rows, point.rows, "[U, D U]"
    if form == "rate":
        return point.right, point.rows, "[R, D L]"
    return point.rows, point.right, "[L, D R]"


def _lyapunov_solution_certificate(network, point, form, claim, parameters, c_exact) -> Certificate:
    from ..certify._rational import to_fmpq
    from ..certify.blocks import is_definite_float
    from ..certify.exact import to_rational
    from ..certify.record import Certificate, ConstraintResidual

    tau = network.tau
    m = network.c.size
    A_rows, B_rows, name = _solution_factors(point, form)
    weights = point.counts.astype(float)
    H_exact = _exact_gram_blocks(point, A_rows, B_rows, m)
    # the float H is the exact one rounded entrywise: the record's data["H"] must be exact_data["H"] rounded
    H = np.array([[float(Fraction(int(x.p), int(x.q))) for x in row] for row in H_exact.tolist()])
    K = np.zeros((2 * m, 2 * m))
    if form == "rate":
        K[m:, :m] = np.diag(network.c)
    else:
        K[:m, m:] = np.diag(network.c)
    A = K.T @ H - np.eye(2 * m)
    X = symmetric_part(scipy.linalg.solve_continuous_lyapunov(A, -0.5 * tau * (K + K.T)))
    Z = symmetric_part(-2 * X + 0.5 * tau * (K + K.T) + K.T @ H @ X + X @ H @ K)
    root = _float_root(H)
    XH = symmetric_part(root @ X @ root)
    ZH = symmetric_part(root @ Z @ root)
    bulk = 1 if network.n_units > 2 * m else 0  # directions orthogonal to range(Y) exist
    p_min = 0.5 * tau + min(float(scipy.linalg.eigvalsh(XH)[0]), 0.0 if bulk else np.inf)
    lmi_margin = 1.0 - max(float(scipy.linalg.eigvalsh(ZH)[-1]), 0.0 if bulk else -np.inf) / tau
    verified_float = bool(
        is_definite_float(0.5 * tau * np.eye(2 * m) + XH, sign=1) and is_definite_float(ZH / tau - np.eye(2 * m))
    )
    tau_q = to_fmpq(tau)
    X_exact = to_rational(X)
    K_exact = flint.fmpq_mat(2 * m, 2 * m)
    for i in range(m):
        if form == "rate":
            K_exact[m + i, i] = c_exact[i, i]
        else:
            K_exact[i, m + i] = c_exact[i, i]
    KT = K_exact.transpose()
    Z_exact = X_exact * (-2) + (K_exact + KT) * (tau_q / 2) + KT * H_exact * X_exact + X_exact * H_exact * K_exact
    p_holds, p_test = _exact_all_below(H_exact, -X_exact, tau_q / 2)
    lmi_holds, lmi_test = _exact_all_below(H_exact, Z_exact, tau_q)
    parameters = dict(parameters, method=f"Lyapunov solution P = (tau/2) I + Y X Y^T, Y = {name}")
    return Certificate(
        claim,
        "lyapunov",
        {"X": X, "H": H, "slopes_by_type": point.slopes, "type_counts": weights},
        residuals=[
            ConstraintResidual("P > 0 (P = (tau/2) I + Y X Y^T)", p_min),
            ConstraintResidual("-(J^T P + P J) > 0 (= I - Y Z Y^T / tau)", lmi_margin),
        ],
        verified_float=verified_float,
        verified_exact=bool(p_holds and lmi_holds),
        parameters=parameters,
        exact_data={"X": X_exact, "H": H_exact, "Z": Z_exact, "P_test": p_test, "lmi_test": lmi_test},
    )


def _exact_gram_blocks(point: MemoryPoint, A_rows: np.ndarray, B_rows: np.ndarray, m: int) -> flint.fmpq_mat:
    """``H = Y^T Y = [[A^T A, A^T D B], [B^T D A, B^T D^2 B]]`` over the point's rows, exactly."""
    top, cross, bottom = (
        _exact_gram(left, right, point.counts, point.slopes, p)
        for left, right, p in ((A_rows, A_rows, 0), (A_rows, B_rows, 1), (B_rows, B_rows, 2))
    )
    H = flint.fmpq_mat(2 * m, 2 * m)
    for i in range(m):
        for j in range(m):
            H[i, j] = top[i, j]
            H[i, m + j] = cross[i, j]
            H[m + i, j] = cross[j, i]
            H[m + i, m + j] = bottom[i, j]
    return H
