"""Lyapunov certificates for the stored memories, verified in exact rational arithmetic (theory.md §4).

``P > 0`` with ``J^T P + P J < 0`` for the Jacobian at a memory: the explicit ``P = D^{-1}`` (or
``D``) when every slope is positive, else the solution of a reduced 2m x 2m Lyapunov equation.
Neither P nor J is formed: every check reduces to an m x m or 2m x 2m rational matrix.

The certificate record and the exact arithmetic come from :mod:`assocrate.certify`; they are imported
where a certificate is built, so that importing :mod:`assocrate.stability` loads no certifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import flint
import numpy as np
import scipy.linalg

from .._validation import check_choice, check_index
from ..core.design import FORMS, MemoryNetwork, check_network, require_symmetric
from ..core.equilibria import NewtonStatus
from ..core.identity import identity_verdict
from ..core.lowrank import reduced_eigenvalues, symmetric_part, weighted_gram
from ..errors import InvalidInput
from ._linearization import MemoryPoint, memory_points, point_gram
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


def _exact_gram(rows: np.ndarray, counts: np.ndarray, slopes: np.ndarray, power: int) -> flint.fmpq_mat:
    """``sum_t counts_t slopes_t^power rows_t rows_t^T`` in exact rational arithmetic (m x m)."""
    row_integers, row_exponent = _dyadic(rows)
    slope_integers, slope_exponent = _dyadic(slopes)
    weights = np.array([int(c) for c in counts], dtype=object) * slope_integers**power
    A = flint.fmpz_mat(row_integers.tolist())
    B = flint.fmpz_mat((row_integers * weights[:, None]).tolist())
    return flint.fmpq_mat(A.transpose() * B) / (2 ** (2 * row_exponent + power * slope_exponent))


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


def _refused(network: MemoryNetwork, js: JacobianSpectrum, form: str, owner: int | None = None) -> Certificate:
    from ..certify.record import Certificate, ConstraintResidual

    verdict = js.verdict.name.lower()
    if js.equilibrium_found and owner != js.mu:
        verdict = "not identified"
        reason = identity_verdict(js.mu, owner)
    elif not js.equilibrium_found and js.at == "ideal":
        reason = (
            f"the designed memory is not an equilibrium (fixed-point residual {js.equilibrium_residual:.3g} > "
            f"{js.equilibrium_tolerance:.3g}) and the linearisation at a point that is not an equilibrium says "
            "nothing about stability; a Lyapunov certificate there certifies nothing (use at='equilibrium')"
        )
    elif not js.equilibrium_found:
        reason = (
            "the equilibrium could not be located; a Lyapunov certificate at a point that is not an "
            "equilibrium certifies nothing"
        )
    else:
        reason = (
            f"its largest Jacobian eigenvalue is {js.max_eigenvalue:.6g}"
            + (" (within rounding of 0)" if js.verdict is Verdict.UNDECIDED else " > 0")
            + "; no P > 0 with J^T P + P J < 0 exists for a Jacobian that is not Hurwitz"
        )
    return Certificate(
        f"refused: memory {js.mu} is {verdict}: {reason}",
        "lyapunov",
        {"max_eigenvalue": js.max_eigenvalue},
        residuals=[ConstraintResidual("-(largest eigenvalue of J) > 0", -js.max_eigenvalue)],
        verified_float=False,
        verified_exact=False,
        parameters={
            "status": "refused",
            "memory": js.mu,
            "form": form,
            "at": js.at,
            "tau": network.tau,
            "n_units": network.n_units,
            "max_eigenvalue": js.max_eigenvalue,
            "verdict": js.verdict.name.lower(),
            "equilibrium_found": js.equilibrium_found,
            "equilibrium_residual": js.equilibrium_residual,
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
        ``P = (tau/2) I + Y X Y^T`` with ``Y = [U, D U]``. ``"auto"`` takes the explicit P when all
        slopes are positive (sigmoid), else the Lyapunov solution (rectified tanh below threshold).

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
    every check reduces to an m x m or 2m x 2m rational matrix (m = P + 1) built from the exact
    Gram sums over row types. Floats (slopes, U, C, tau, X) are read as the dyadic rationals they
    are, so "exact" means exact for the network as stored in floating point.

    *Explicit* (D > 0): ``J^T D^{-1} + D^{-1} J = (2/tau)(W - D^{-1})``, congruent (by
    ``D^{1/2}``) to ``(2/tau)(V C V^T - I)`` with ``V = D^{1/2} U``, ``V^T V = G = U^T D U``; for the
    current form ``J^T D + D J = (2/tau) D (W - D^{-1}) D``, the same condition. So the LMI holds iff
    ``I - V C V^T > 0``, decided by ``G' - G_c C G_c^T > 0`` (see :func:`_exact_all_below`).

    *Lyapunov*: with ``Y = [U, D U]`` (N x 2m), ``H = Y^T Y`` (blocks ``U^T D^p U``, p = 0, 1, 2) and
    ``K = [[0, 0], [C, 0]]`` (rate; ``K^T`` for the current form), ``tau J = -I + Y K Y^T``. For
    ``P = (tau/2) I + Y X Y^T``, ``tau (J^T P + P J) = -tau I + Y Z Y^T`` with
    ``Z = -2X + (tau/2)(K + K^T) + K^T H X + X H K``; choosing X with Z = 0 (a 2m x 2m Lyapunov
    equation, solved by scipy) gives ``J^T P + P J = -I``. The certificate is then re-verified for
    the float X exactly: ``P > 0`` iff ``(tau/2) I + Y X Y^T > 0`` and the LMI iff
    ``tau I - Y Z Y^T > 0``, both by :func:`_exact_all_below`.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> cert = lyapunov_certificate(net, 0)
    >>> cert.certified, cert.parameters["method"]
    (True, 'explicit P = D^-1')
    """
    network = require_symmetric(check_network(network), "lyapunov_certificate (built on W = U C U^T)")
    mu = check_index("mu", mu, network.n_patterns)
    form = check_choice("form", form, FORMS)
    at = check_choice("at", at, POINTS)
    method = check_choice("method", method, _METHODS)
    point = memory_points(network, [mu], at)[0]
    G1 = point_gram(point)
    js = spectrum_from_reduced(network, mu, at, form, reduced_eigenvalues(G1, network.c), point)
    if method == "explicit" and not np.all(point.slopes > 0):
        raise InvalidInput(
            f"`method`='explicit' needs every slope phi'(h) > 0 at memory {mu}; got min slope "
            f"{float(point.slopes.min())!r} (use method='lyapunov' or 'auto')"
        )
    if js.verdict is not Verdict.STABLE or point.owner != mu:
        return _refused(network, js, form, point.owner)
    if method == "auto":
        method = "explicit" if np.all(point.slopes > 0) else "lyapunov"
    tau = network.tau
    parameters = {
        "status": "built",
        "memory": mu,
        "form": form,
        "at": at,
        "tau": tau,
        "n_units": network.n_units,
        "n_row_types": int(point.rows.shape[0]),
        "max_eigenvalue": js.max_eigenvalue,
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
        return _explicit_certificate(network, point, G1, js, form, claim, parameters, c_exact)
    return _lyapunov_solution_certificate(network, point, G1, form, claim, parameters, c_exact, tau)


def _explicit_certificate(network, point, G1, js, form, claim, parameters, c_exact) -> Certificate:
    from ..certify.blocks import is_definite_float
    from ..certify.record import Certificate, ConstraintResidual

    root = _float_root(G1)
    S = root @ (network.c[:, None] * root)  # G^{1/2} C G^{1/2}: spectrum of V C V^T
    p_min = float(np.min(1.0 / point.slopes)) if form == "rate" else float(np.min(point.slopes))
    lmi_margin = 1.0 - float(scipy.linalg.eigvalsh(symmetric_part(S))[-1])
    verified_float = bool(np.all(point.slopes > 0) and is_definite_float(S - np.eye(S.shape[0]), sign=-1))
    G_exact = _exact_gram(point.rows, point.counts, point.slopes, 1)
    holds, test = _exact_all_below(G_exact, c_exact, flint.fmpq(1))
    verified_exact = bool(holds and np.all(point.slopes > 0))
    parameters = dict(parameters, method="explicit P = D^-1" if form == "rate" else "explicit P = D")
    congruent = "-(tau/2)(J^T P + P J) D" if form == "current" else "-(tau/2)(J^T P + P J)"
    return Certificate(
        claim,
        "lyapunov",
        {"slopes_by_type": point.slopes, "type_counts": point.counts.astype(float), "max_eigenvalue": js.max_eigenvalue},
        residuals=[
            ConstraintResidual(f"P > 0 (P = {'D^-1' if form == 'rate' else 'D'}, diagonal)", p_min),
            ConstraintResidual(f"I - D^1/2 W D^1/2 > 0 (congruent to {congruent})", lmi_margin),
        ],
        verified_float=verified_float,
        verified_exact=verified_exact,
        parameters=parameters,
        exact_data={"G": G_exact, "C": c_exact, "lmi_test": test},
    )


def _lyapunov_solution_certificate(network, point, G1, form, claim, parameters, c_exact, tau) -> Certificate:
    from ..certify._rational import to_fmpq
    from ..certify.blocks import is_definite_float
    from ..certify.exact import to_rational
    from ..certify.record import Certificate, ConstraintResidual

    m = network.c.size
    weights = point.counts.astype(float)
    G0 = weighted_gram(point.rows, counts=weights)
    G2 = weighted_gram(point.rows, point.slopes**2, weights)
    H = np.block([[G0, G1], [G1, G2]])
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
    H_exact = _exact_gram_blocks(point, m)
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
    parameters = dict(parameters, method="Lyapunov solution P = (tau/2) I + Y X Y^T, Y = [U, D U]")
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


def _exact_gram_blocks(point: MemoryPoint, m: int) -> flint.fmpq_mat:
    """``H = [[U^T U, U^T D U], [U^T D U, U^T D^2 U]]`` over the point's rows, exactly."""
    blocks = [_exact_gram(point.rows, point.counts, point.slopes, p) for p in (0, 1, 2)]
    H = flint.fmpq_mat(2 * m, 2 * m)
    for i in range(m):
        for j in range(m):
            H[i, j] = blocks[0][i, j]
            H[i, m + j] = blocks[1][i, j]
            H[m + i, j] = blocks[1][i, j]
            H[m + i, m + j] = blocks[2][i, j]
    return H
