"""Transitional: the names ``assocrate.certify.lmi`` used to hold, for code not yet updated.

Delete this module once cli/ and benchmarks import from :mod:`assocrate.certify` (the LMIs are now
:mod:`~assocrate.certify.lds`, :mod:`~assocrate.certify.contraction` and
:mod:`~assocrate.certify.solver`).
"""

from ..certify.contraction import certify_contraction
from ..certify.lds import certify_lds
from ..certify.solver import CLARABEL_MAX_SIZE, LMI_MAX_SIZE, SOLVERS, default_solver

__all__ = ["CLARABEL_MAX_SIZE", "LMI_MAX_SIZE", "SOLVERS", "certify_contraction", "certify_lds", "default_solver"]
