"""The outcome of a certificate: :class:`CertificateStatus`, one value per thing that can happen.

Style: the values are the messages, each saying what the outcome means and what to do; the solver
statuses of cvxpy are mapped to these in one place (:data:`assocrate.certify.solver.SOLVER_STATUSES`).
"""

from __future__ import annotations

import enum

from ..errors import InvalidInput

__all__ = ["CertificateStatus"]


class CertificateStatus(enum.Enum):
    """What became of a certificate; each value says what it means and what to do.

    Only :attr:`CERTIFIED` means the claim is proved. In JSON a status is written as its
    lower-case name (``"certified"``, ``"infeasible"``, ...): see :attr:`code`.

    Examples
    --------
    >>> import assocrate as aa
    >>> aa.CertificateStatus.from_code("too_large") is aa.CertificateStatus.TOO_LARGE
    True
    >>> aa.CertificateStatus.CERTIFIED.code
    'certified'
    """

    CERTIFIED = "every constraint holds in exact rational arithmetic; the claim is proved"
    FLOAT_ONLY = (
        "the floating-point check passed but the exact rational check did not, so nothing is proved; "
        "recompute the certificate (a more accurate solver, or a point further from the stability boundary)"
    )
    NOT_VERIFIED = (
        "neither the floating-point nor the exact check passed; the claim is not proved"
    )
    INFEASIBLE = (
        "no certificate exists to solver accuracy (the LMI is infeasible): expected for every network "
        "that stores two or more memories; certify a monostable regime (lower gain, or a strong input "
        "with certify_input_driven) or a basin (certified_radius)"
    )
    ITERATION_LIMIT = (
        "the solver stopped at its iteration or time limit: raise it in `solver_options` "
        "(e.g. max_iters for SCS) or choose another `solver`"
    )
    SOLVER_ERROR = (
        "the solver failed or answered an unexpected status: try another `solver`; an 'unbounded' "
        "status is a formulation error, please report it"
    )
    TOO_LARGE = (
        "the LMI is too large to hand to a solver: certificates need few classes of interchangeable "
        "units (reduction='types' with structured patterns)"
    )
    EXACT_CHECK_FAILED = (
        "the candidate did not survive the exact check after rounding: the margin is too thin; try a "
        "more accurate solver (CLARABEL or CVXOPT) or a point further from the stability boundary"
    )
    CONDITION_FAILS = (
        "the sufficient condition fails (no Metzler box certifies it): the memory is not certifiably "
        "stable, or the input is too weak to make retrieval global (increase it)"
    )
    REFUSED = (
        "the certificate does not hold for this network or was edited; "
        "see Verification.problems and recompute it"
    )

    @property
    def code(self) -> str:
        """The name written to JSON, e.g. ``"certified"``."""
        return self.name.lower()

    @classmethod
    def from_code(cls, code: object) -> CertificateStatus:
        """The status written as `code` (see :attr:`code`); ValueError for an unknown one."""
        if isinstance(code, str) and code.upper() in cls.__members__ and code == code.lower():
            return cls[code.upper()]
        allowed = [member.code for member in cls]
        raise InvalidInput(f"`status` must be one of {allowed}; got {code!r}")

    @classmethod
    def from_verdicts(cls, verified_float: bool, verified_exact: bool) -> CertificateStatus:
        """The status when only the two verdicts are known (certificates written before statuses)."""
        if verified_exact:
            return cls.CERTIFIED
        return cls.FLOAT_ONLY if verified_float else cls.NOT_VERIFIED
