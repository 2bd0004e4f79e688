"""Transitional: the names ``assocrate.certify.regional`` used to hold, for code not yet updated.

Delete this module once stability/, cli/ and benchmarks import from :mod:`assocrate.certify` (now
:mod:`~assocrate.certify.basin`, :mod:`~assocrate.certify.radius`, :mod:`~assocrate.certify.sector`
and :mod:`~assocrate.certify.input_driven`).
"""

from ..certify.basin import CertifiedRadius
from ..certify.input_driven import AbsorbingBox, absorbing_box, certify_input_driven
from ..certify.radius import certified_radius

__all__ = ["AbsorbingBox", "CertifiedRadius", "absorbing_box", "certified_radius", "certify_input_driven"]
