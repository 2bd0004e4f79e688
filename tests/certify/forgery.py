"""Tools of an adversarial user: edit a certificate's exact data, keep it self-consistent, reseal it.

The seal is a plain SHA-256 anyone can recompute, so a forgery is a certificate whose every entry
is consistent (each float equals its rational, the checksum matches) and which claims what the
checker would derive: only the checker's hypotheses stand between it and "VERIFIED".
"""

from __future__ import annotations

import contextlib
import dataclasses
from fractions import Fraction

import numpy as np

from assocrate.certify import basin, contraction, input_driven, lds, radius, sector, witness
from assocrate.certify.serialize import seal
from assocrate.certify.witness import CheckFailed, seal_checked

#: Exact entries whose float twin in `data` has another name (as in verification.py).
TWINS = {"R": "residual_bound"}

#: The modules whose checks call ``require``.
CHECK_MODULES = (witness, basin, radius, sector, contraction, input_driven, lds)

#: The check function of each kind.
CHECKS = {
    "radius": radius.verify_radius,
    "sector": sector.verify_sector,
    "contraction": contraction.verify_contraction,
    "input": input_driven.verify_input,
    "lds": lds.verify_lds,
}


def float_twin(value):
    """The float form of an exact entry, as the certifiers store it in `data`."""
    if isinstance(value, Fraction):
        return float(value)
    array = np.array([[float(x) for x in row] for row in value])
    return array[0] if array.shape[0] == 1 else array


def row(values) -> tuple:
    """An exact 1 x k row."""
    return (tuple(Fraction(x) for x in values),)


def edited(certificate, *, exact=None, drop=(), parameters=None, sync=True):
    """`certificate` with exact entries replaced (`exact`) or removed (`drop`), parameters changed.

    With `sync`, each float twin in `data` follows its exact entry, so the consistency check
    (floats = rounded rationals) passes; the result is resealed.
    """
    exact_data = {k: v for k, v in dict(certificate.exact_data).items() if k not in drop}
    data = {k: v for k, v in dict(certificate.data).items() if not (sync and k in {TWINS.get(d, d) for d in drop})}
    for name, value in (exact or {}).items():
        exact_data[name] = value
        if sync:
            data[TWINS.get(name, name)] = float_twin(value)
    changed = dataclasses.replace(certificate, exact_data=exact_data, data=data,
                                  parameters={**certificate.parameters, **(parameters or {})})
    return seal(changed)


@contextlib.contextmanager
def skipping(monkeypatch, number: int):
    """Run the checks as if hypothesis `number` were not checked (what the checker did before)."""
    original = witness.require

    def lenient(hypothesis, statement, holds, detail="", residuals=()):
        if hypothesis != number:
            original(hypothesis, statement, holds, detail, residuals)

    with monkeypatch.context() as patch:
        for module in CHECK_MODULES:
            if hasattr(module, "require"):
                patch.setattr(module, "require", lenient)
        yield


def with_derived_claim(certificate, network, red, *, kind=None):
    """`certificate` resealed with the claim its kind's check derives (raises CheckFailed if it fails)."""
    checked = CHECKS[kind or certificate.kind](certificate, network, red)
    return seal_checked(certificate, checked)


__all__ = ["CheckFailed", "edited", "float_twin", "row", "skipping", "with_derived_claim"]
