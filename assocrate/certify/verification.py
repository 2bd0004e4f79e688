"""Re-check a certificate from scratch against a network (DESIGN.md §5, "Verification").

:func:`verify` trusts nothing in the certificate but its exact data: it recomputes W exactly from
the network's factors, the partition into classes, every rigorous slope and residual bound, the
exact LMI blocks and the Metzler inequalities, and regenerates the claim. A certificate passes only
if

- it is for this network (the SHA-256 digest of the patterns and parameters matches);
- its content matches the checksum it was sealed with, and its exact data are what its float data
  say (each float equals the rounding of its rational), so a hand edit of any entry is caught;
- every exact check passes again;
- the recorded residual table agrees with the recomputed one, and the recorded claim is the one the
  recomputed data prove.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from ..certify._rational import fraction_vector, to_fraction
from ..certify._reduction import input_vector, network_digest, reduce_network
from ..certify.certificate import (
    CHECKSUM,
    Certificate,
    ConstraintResidual,
    checksum,
)
from ..certify.lmi import (
    check_blocks,
    contraction_blocks,
    contraction_claim,
    lds_blocks,
    lds_claim,
)
from ..certify.regional import (
    ABSORBING_EPSILON,
    input_claim,
    input_metzler,
    interval_iteration,
    memory_center,
    metzler_check,
    overlap_bounds,
    radius_claim,
    residual_bound,
    sector_check,
    sector_claim,
    slope_interval_bounds,
)
from ..core.design import check_network
from ..errors import InvalidType

__all__ = ["Verification", "verify"]

# Exact entries whose float twin in `data` has another name.
_DATA_NAMES = {"R": "residual_bound"}


@dataclass(frozen=True, repr=False)
class Verification:
    """The outcome of :func:`verify`.

    Attributes
    ----------
    verified : bool
        True iff every check passed: the claim is proved for the network.
    certificate : Certificate
        The certificate with the residual table and verdicts recomputed by this verification.
    problems : tuple of str
        Why it was not verified (empty when it was).
    """

    verified: bool
    certificate: Certificate
    problems: tuple[str, ...]

    def summary(self) -> str:
        """Verdict, problems, then the re-checked certificate."""
        if self.verified:
            head = "VERIFIED: every check passed again in exact arithmetic; the claim holds for this network"
        else:
            head = "NOT VERIFIED:\n" + "\n".join(f"  - {p}" for p in self.problems)
        return head + "\n" + self.certificate.summary()

    def __repr__(self) -> str:
        return f"Verification(verified={self.verified}, kind={self.certificate.kind!r}, problems={len(self.problems)})"


class _Failed(Exception):
    """A check failed; the message says which."""


def _fractions(value) -> list[Fraction]:
    if isinstance(value, Fraction):
        return [value]
    return [x for row in value for x in row]


def _exact(certificate: Certificate, name: str):
    """An exact entry: a Fraction, a list of Fractions (a 1 x k row) or an fmpq_mat (a matrix)."""
    if certificate.exact_data is None or name not in certificate.exact_data:
        raise _Failed(f"the certificate has no exact entry {name!r}")
    value = certificate.exact_data[name]
    if isinstance(value, Fraction):
        return value
    if len(value) == 1:
        return list(value[0])
    return certificate.exact_matrix(name)


def _check_consistency(certificate: Certificate) -> list[str]:
    """Every exact entry must round to its float twin in `data`."""
    problems = []
    for name, value in (certificate.exact_data or {}).items():
        twin = _DATA_NAMES.get(name, name)
        if twin not in certificate.data:
            continue
        stored = np.atleast_1d(np.asarray(certificate.data[twin], dtype=float)).ravel()
        exact = np.array([float(x) for x in _fractions(value)])
        if stored.shape != exact.shape or not np.array_equal(stored, exact):
            problems.append(f"data[{twin!r}] does not equal its exact rational form exact_data[{name!r}]: the file was edited")
    return problems


def _same_rows(stored: tuple[ConstraintResidual, ...], computed: tuple[ConstraintResidual, ...]) -> bool:
    if [r.name for r in stored] != [r.name for r in computed]:
        return False
    return all(
        math.isclose(a.min_eigenvalue, b.min_eigenvalue, rel_tol=1e-6, abs_tol=1e-12)
        for a, b in zip(stored, computed)
    )


def _counts(certificate: Certificate, red) -> None:
    if certificate.parameters.get("n_classes") != red.n_classes:
        raise _Failed(
            f"the certificate has {certificate.parameters.get('n_classes')} classes of units; the network has "
            f"{red.n_classes} (an input certificate whose u is not constant on row types is re-checked "
            "with that input: verify(certificate, network, u=u))"
        )
    if "counts" in certificate.data and not np.array_equal(np.asarray(certificate.data["counts"]), red.counts):
        raise _Failed("the class sizes recorded in the certificate differ from the network's")


def _same(name: str, stored, recomputed) -> None:
    if list(stored) != list(recomputed):
        raise _Failed(f"the recorded {name} differ from the ones recomputed from the network")


# ---------------------------------------------------------------------------------------------
# One re-check per kind: each returns (residuals, verified_float, claim) or raises _Failed
# ---------------------------------------------------------------------------------------------


def _lds(certificate, network, red):
    eta = _exact(certificate, "eta")
    if eta != to_fraction(network.activation.max_slope):
        raise _Failed(f"eta = {float(eta)!r} is not sup phi' = {network.activation.max_slope!r}")
    residuals, verified_float, verified_exact = check_blocks(lds_blocks(red, eta, _exact(certificate, "p")))
    if not verified_exact:
        raise _Failed("the LDS inequality does not hold exactly for the recorded P")
    return residuals, verified_float, lds_claim(float(eta))


def _contraction(certificate, network, red, *, K=None, where="globally, for every constant input u"):
    form = certificate.parameters.get("form", "current")
    if K is None:
        eta = to_fraction(network.activation.max_slope)
        K = [eta] * red.n_classes
    _same("slope bounds K", _exact(certificate, "K"), K)
    c = _exact(certificate, "c")
    if certificate.parameters.get("rate") != float(c):
        raise _Failed("the recorded rate differs from the exact c")
    blocks = contraction_blocks(red, form=form, Q=_exact(certificate, "Q"), sigma=_exact(certificate, "sigma"),
                                lam=_exact(certificate, "lambda"), K_plus=K, c=c)
    residuals, verified_float, verified_exact = check_blocks(blocks)
    if not verified_exact:
        raise _Failed("the incremental LMI does not hold exactly for the recorded Q, Lambda and c")
    return residuals, verified_float, contraction_claim(form, float(c), where)


def _center_and_box(certificate):
    center, v, delta = _exact(certificate, "center"), _exact(certificate, "v"), _exact(certificate, "delta")
    if max(v) != 1 or min(v) <= 0:
        raise _Failed("the weight vector v must be positive with max v = 1")
    if not delta > 0:
        raise _Failed("delta must be positive")
    return center, v, delta


def _memory_in_box(certificate, network, red, center, v, delta) -> int:
    """The named memory, tied to the certified box: its equilibrium must lie in the box.

    The memory index in ``parameters`` is otherwise only text in the claim. The equilibrium of
    memory ``mu`` is recomputed from the network exactly as :func:`certified_radius` computes the
    centre (Newton from the rescaled pattern, :func:`class_equilibrium`); it must lie in the box
    ``|h - center| <= delta v``, in which the exact checks prove there is exactly one equilibrium
    attracting the whole box. So a certificate relabelled to another memory is not verified.
    """
    mu = certificate.parameters.get("memory", -1)
    if isinstance(mu, bool) or not isinstance(mu, int) or not 0 <= mu < network.n_patterns:
        raise _Failed(f"memory index {mu!r} is not a memory of the network")
    recomputed, _ = memory_center(network, red, mu)
    if not np.all(np.isfinite(recomputed)) or not all(
        abs(to_fraction(h) - c) <= delta * vt for h, c, vt in zip(recomputed, center, v)
    ):
        raise _Failed(f"the equilibrium of memory {mu}, recomputed from the network, is not in the certified box: "
                      "the certificate is not about that memory")
    return mu


def _radius(certificate, network, red):
    center, v, delta = _center_and_box(certificate)
    R = residual_bound(red, center, None)
    _same("residual bounds R", _exact(certificate, "R"), R)
    check = metzler_check(red, center, v, delta, R)
    _same("slope bounds K_plus", _exact(certificate, "K_plus"), check.K_plus)
    if not check.holds:
        raise _Failed(f"the Metzler inequality fails exactly (ratio {check.ratio:.9g} >= 1)")
    mu = _memory_in_box(certificate, network, red, center, v, delta)
    if certificate.parameters.get("radius") != float(delta):
        raise _Failed("the recorded radius differs from the exact delta")
    rows = network.patterns[red.part.representatives, mu].astype(float)
    nominal = network.a + (network.b - network.a) * rows
    in_box = all(abs(to_fraction(h) - c) <= delta * vt for h, c, vt in zip(nominal, center, v))
    claim = radius_claim(mu, float(delta), float(delta * min(v)), in_box)
    return (check.residual,), True, claim


def _sector(certificate, network, red):
    center, v, delta = _center_and_box(certificate)
    R = residual_bound(red, center, None)
    _same("residual bounds R", _exact(certificate, "R"), R)
    K_minus, K_plus = slope_interval_bounds(red, center, v, delta)
    _same("slope bounds K_minus", _exact(certificate, "K_minus"), K_minus)
    _same("slope bounds K_plus", _exact(certificate, "K_plus"), K_plus)
    r2, ell = _exact(certificate, "r2"), _exact(certificate, "ell")
    check = sector_check(red, Q=_exact(certificate, "Q"), sigma=_exact(certificate, "sigma"),
                         lam=_exact(certificate, "lambda"), K_minus=K_minus, K_plus=K_plus,
                         margin=_exact(certificate, "margin"), v=v, delta=delta, ell=ell, r2=r2, R=R)
    if not check.holds:
        raise _Failed(f"the sector checks fail exactly (blocks {check.blocks_hold}, ellipsoid in box "
                      f"{check.inside_box}, ball in ellipsoid {check.ball_inside}, invariance {check.invariant})")
    if certificate.parameters.get("radius") != float(r2):
        raise _Failed("the recorded radius differs from the exact r2")
    mu = _memory_in_box(certificate, network, red, center, v, delta)
    return check.residuals, check.verified_float, sector_claim(mu, float(r2), float(delta), network.n_units)


def _input(certificate, network, red, u_given=None):
    u = _exact(certificate, "u")
    if len(u) != red.n_classes:
        raise _Failed("the recorded input does not match the network's classes")
    if u_given is not None and list(u) != fraction_vector(u_given[red.part.representatives]):
        raise _Failed("the input recorded in the certificate is not the input `u` given to verify")
    if _exact(certificate, "epsilon") != ABSORBING_EPSILON:
        raise _Failed("unexpected epsilon")
    steps = int(certificate.parameters.get("iterations", 0))
    lower, upper, _, _ = interval_iteration(red, u, steps)
    _same("box lower bounds", _exact(certificate, "lower"), lower)
    _same("box upper bounds", _exact(certificate, "upper"), upper)
    rate_lo, rate_hi = overlap_bounds(red, lower, upper)
    best = int(np.argmax(rate_lo))
    others = np.delete(rate_hi, best)
    retrieved = best if others.size == 0 or rate_lo[best] > others.max() else None
    if certificate.parameters.get("retrieved") != (-1 if retrieved is None else retrieved):
        raise _Failed("the recorded retrieved memory differs from the recomputed overlap bounds")
    memory = certificate.parameters.get("memory")
    claim = input_claim(memory, retrieved, float(rate_lo[best]), float(others.max()) if others.size else 0.0)
    if certificate.parameters.get("method") == "contraction":
        from ..certify._rigorous import slope_upper

        K = [slope_upper(network.activation, lo - ABSORBING_EPSILON, hi + ABSORBING_EPSILON) for lo, hi in zip(lower, upper)]
        residuals, verified_float, _ = _contraction(certificate, network, red, K=K, where="on the absorbing box")
        return residuals, verified_float, claim
    holds, K_plus, _, row = input_metzler(red, lower, upper, ABSORBING_EPSILON, v=_exact(certificate, "v"))
    _same("slope bounds K_plus", _exact(certificate, "K_plus"), K_plus)
    if not holds:
        raise _Failed("the Metzler inequality fails exactly on the enlarged absorbing box")
    return (row,), True, claim


def _lyapunov(certificate, network):
    """Local certificates (assocrate.stability.local) are rebuilt from the network and compared."""
    from ..stability import lyapunov_certificate

    parameters = certificate.parameters
    method = "explicit" if str(parameters.get("method", "")).startswith("explicit") else "lyapunov"
    try:
        rebuilt = lyapunov_certificate(network, parameters.get("memory", -1), form=parameters.get("form", "rate"),
                                       at=parameters.get("at", "equilibrium"), method=method)
    except (TypeError, ValueError, IndexError, KeyError, ArithmeticError) as error:
        raise _Failed(f"the local Lyapunov certificate cannot be rebuilt from its parameters: {error}") from None
    if not rebuilt.verified_exact:
        raise _Failed("the local Lyapunov certificate could not be rebuilt and verified for this network")
    if dict(rebuilt.exact_data) != dict(certificate.exact_data) or rebuilt.data.keys() != certificate.data.keys() or any(
        not np.array_equal(rebuilt.data[key], certificate.data[key]) for key in rebuilt.data
    ):
        raise _Failed("the certificate's data differ from the ones rebuilt from the network")
    _same_parameters(parameters, rebuilt.parameters)
    return rebuilt.residuals, rebuilt.verified_float, rebuilt.claim


def _same_parameters(stored, rebuilt) -> None:
    """Every parameter (n_units, tau, form, memory, max_eigenvalue, ...) must be the rebuilt one.

    Lyapunov certificates are not sealed, so this comparison (with the data, exact data and claim
    compared in :func:`_lyapunov`) is what pins them to the network: floats to a relative 1e-9.
    """
    stored = {key: value for key, value in stored.items() if key != CHECKSUM}
    if stored.keys() != rebuilt.keys():
        raise _Failed("the certificate's parameters differ from the ones rebuilt from the network")
    for key, value in rebuilt.items():
        mine = stored[key]
        if isinstance(value, float) and isinstance(mine, (int, float)) and not isinstance(mine, bool):
            same = math.isclose(mine, value, rel_tol=1e-9, abs_tol=1e-300)
        else:
            same = type(mine) is type(value) and mine == value
        if not same:
            raise _Failed(f"the certificate's parameter {key!r} = {mine!r} differs from the one rebuilt from the network "
                          f"({value!r})")


_CHECKS = {"lds": _lds, "contraction": _contraction, "radius": _radius, "sector": _sector, "input": _input}


def verify(certificate: Certificate, network, u: float | np.ndarray | None = None) -> Verification:
    """Re-check `certificate` from scratch against `network`.

    Parameters
    ----------
    certificate : Certificate
        E.g. from :func:`~assocrate.certify.certificate.load_certificate`.
    network : MemoryNetwork
    u : float or numpy.ndarray of shape (N,), optional
        For kind ``"input"`` only: the input the certificate was made for. An input certificate
        records its input per class of units (row type and value of u), not per unit, so when u
        is not constant on row types the classes can only be rebuilt from u itself: pass it here.
        The classes are then ``reduce_network(network, u=u)`` and the recorded per-class input
        must equal u on them. Without `u` the classes are the row types (enough when u is
        constant on them; otherwise the class counts differ and the certificate is not verified).

    Returns
    -------
    Verification
        ``verified`` is True only if every check passed (module docstring); otherwise
        ``problems`` says what failed. A certificate that never claimed a result ("no
        certificate found") is not verified.

    Examples
    --------
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns
    >>> from assocrate.certify.regional import certified_radius
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> verify(certified_radius(net, 0).certificate, net).verified
    True
    """
    if not isinstance(certificate, Certificate):
        raise InvalidType(f"`certificate` must be a Certificate; got {type(certificate).__name__}")
    network = check_network(network)
    u = input_vector(u, network.n_units)
    problems: list[str] = []
    if not certificate.verified_exact or certificate.exact_data is None:
        problems.append(f"the certificate does not claim an exactly verified result: {certificate.claim}")
        return Verification(False, certificate, tuple(problems))
    kind = certificate.kind
    if kind != "lyapunov" and certificate.parameters.get("network") != network_digest(network):
        problems.append("the certificate was made for another network (the network digest differs)")
        return Verification(False, replace_verdicts(certificate, (), False, False), tuple(problems))
    stored_checksum = certificate.parameters.get(CHECKSUM)
    if stored_checksum is None:
        # Every kind but "lyapunov" is sealed when built; a Lyapunov certificate is instead rebuilt
        # from the network and compared entry by entry (data, exact data, parameters, claim).
        if kind != "lyapunov":
            problems.append("the certificate has no checksum (parameters['checksum']): it was not sealed or was edited")
    elif stored_checksum != checksum(certificate):
        problems.append("the certificate's checksum does not match its content: the file was edited")
    problems.extend(_check_consistency(certificate))
    try:
        if kind == "lyapunov":
            residuals, verified_float, claim = _lyapunov(certificate, network)
        elif kind in _CHECKS:
            reduction = certificate.parameters.get("reduction", "types")
            if reduction not in ("types", "full"):
                raise _Failed(f"unknown reduction {reduction!r}")
            if u is not None and kind != "input":
                raise _Failed(f"an input `u` applies to certificates of kind 'input' only, not {kind!r}")
            if u is None:
                red = reduce_network(network, reduction=reduction)
                _counts(certificate, red)
                residuals, verified_float, claim = _CHECKS[kind](certificate, network, red)
            else:
                red = reduce_network(network, u=u, reduction=reduction)
                _counts(certificate, red)
                residuals, verified_float, claim = _input(certificate, network, red, u)
        else:
            raise _Failed(f"certificates of kind {kind!r} cannot be re-verified")
    except _Failed as failure:
        problems.append(str(failure))
        return Verification(False, replace_verdicts(certificate, certificate.residuals, False, False), tuple(problems))
    except (TypeError, ValueError, IndexError, KeyError, ArithmeticError) as error:
        # Edited parameters the checks cannot even be run with: not verified, not invalid input.
        problems.append(f"the certificate cannot be re-checked against the network (edited parameters?): {error}")
        return Verification(False, replace_verdicts(certificate, certificate.residuals, False, False), tuple(problems))
    if not _same_rows(certificate.residuals, tuple(residuals)):
        problems.append("the recorded residual table differs from the recomputed one")
    if claim != certificate.claim:
        problems.append("the recorded claim is not the one the data prove")
    rechecked = replace_verdicts(certificate, tuple(residuals), verified_float, not problems)
    return Verification(not problems, rechecked, tuple(problems))


def replace_verdicts(certificate: Certificate, residuals, verified_float: bool, verified_exact: bool) -> Certificate:
    """A copy of `certificate` with a new residual table and verdicts."""
    return replace(certificate, residuals=tuple(residuals), verified_float=bool(verified_float),
                   verified_exact=bool(verified_exact and certificate.exact_data is not None))
