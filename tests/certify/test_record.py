"""The Certificate record: frozen fields, verdicts, status, residual table, summary."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import flint
import numpy as np
import pytest

import assocrate as aa
from assocrate.certify.exact import is_positive_definite_exact
from assocrate.certify.record import CERTIFICATE_KINDS, Certificate, ConstraintResidual, SolverInfo
from assocrate.certify.status import CertificateStatus

from .helpers import make_certificate


def test_fields_are_frozen_copied_and_read_only():
    P = np.array([[2.0, 0.5], [0.5, 1.0]])
    cert = make_certificate(data={"P": P, "delta": 1})
    P[0, 0] = 99.0
    assert cert.data["P"][0, 0] == 2.0  # a copy
    assert not cert.data["P"].flags.writeable
    with pytest.raises(ValueError):
        cert.data["P"][0, 0] = 1.0
    with pytest.raises(TypeError):
        cert.data["Q"] = np.eye(2)  # read-only mapping
    with pytest.raises(AttributeError):
        cert.claim = "something else"
    assert cert.data["delta"] == 1.0 and isinstance(cert.data["delta"], float)
    assert isinstance(cert.residuals, tuple)
    assert cert.exact_data["P"][0][1] == Fraction(1, 2)
    assert cert.exact_data["delta"] == Fraction(1, 4)
    assert cert.parameters["memory"] == 0 and isinstance(cert.parameters["memory"], int)


def test_certified_only_when_verified_exact():
    assert make_certificate().certified is True
    cert = make_certificate(verified_exact=False)
    assert cert.certified is False
    assert cert.verified_float is True


def test_summary_says_certified_only_when_exact():
    exact = make_certificate()
    text = exact.summary()
    assert "CERTIFIED" in text
    assert "memory 0 is locally exponentially stable" in text
    assert "-(J^T P + P J) > 0" in text and "holds" in text
    assert "CLARABEL" in text
    for verified_float in (True, False):
        cert = make_certificate(verified_exact=False, verified_float=verified_float)
        assert "certified" not in cert.summary().lower()
    failing = make_certificate(
        verified_exact=False, residuals=[ConstraintResidual("P > 0", -0.5)]
    )
    assert "FAILS" in failing.summary()


def test_repr_shows_kind_and_verdicts_never_arrays():
    big = np.full((50, 50), 0.123456789)
    cert = make_certificate(data={"P": big})
    text = repr(cert)
    assert "kind='lyapunov'" in text
    assert "verified_float=True" in text and "verified_exact=True" in text
    assert "(50, 50)" in text
    assert "0.123" not in text


def test_closed_form_certificate_has_no_solver():
    cert = Certificate("radius 0.4 certified by the Metzler bound", "radius", {"delta": 0.4})
    assert cert.solver is None and cert.residuals == () and cert.exact_data is None
    assert "closed form" in cert.summary()
    assert cert.min_residual is None


def test_exact_matrix_returns_a_fresh_fmpq_mat():
    cert = make_certificate()
    P = cert.exact_matrix("P")
    assert isinstance(P, flint.fmpq_mat)
    assert is_positive_definite_exact(P)
    P[0, 0] = -1
    assert cert.exact_matrix("P")[0, 0] == 2
    assert cert.exact_matrix("delta")[0, 0] == flint.fmpq(1, 4)
    with pytest.raises(KeyError, match="no exact matrix 'Q'"):
        cert.exact_matrix("Q")


def test_constraint_residual_sign_convention():
    assert ConstraintResidual("G > 0", 1e-9).satisfied
    assert not ConstraintResidual("G > 0", 0.0).satisfied
    assert ConstraintResidual("G >= 0", 0.0, strict=False).satisfied
    assert not ConstraintResidual("G >= 0", -1e-12, strict=False).satisfied


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"kind": "global"}, ValueError, r"`kind` must be one of \('lyapunov'.*got 'global'"),
        ({"claim": "  "}, ValueError, r"`claim` must be a non-empty string"),
        ({"claim": 3}, TypeError, r"`claim` must be a string"),
        ({"data": {"P": np.array([[np.nan]])}}, ValueError, r"`data\['P'\]` must be finite"),
        ({"data": {"P": np.array(["a"])}}, TypeError, r"`data\['P'\]` must be a real numeric"),
        ({"data": {"delta": float("inf")}}, ValueError, r"`data\['delta'\]` must be finite"),
        ({"data": [1, 2]}, TypeError, r"`data` must be a mapping"),
        ({"data": {3: 1.0}}, TypeError, r"`data key` must be a string"),
        ({"verified_exact": True, "exact_data": None}, ValueError, r"`verified_exact`=True requires `exact_data`"),
        ({"verified_float": 1}, TypeError, r"`verified_float` must be a bool"),
        ({"residuals": [("P > 0", 1.0)]}, TypeError, r"`residuals\[0\]` must be a ConstraintResidual"),
        ({"solver": "CLARABEL"}, TypeError, r"`solver` must be a SolverInfo"),
        ({"parameters": {"eta": float("nan")}}, ValueError, r"`parameters\['eta'\]` must be finite"),
        ({"parameters": {"eta": [1]}}, TypeError, r"`parameters\['eta'\]` must be an int, float"),
        ({"exact_data": {"v": [Fraction(1)]}}, ValueError, r"`exact_data\['v'\]` must be a 2-D matrix"),
        ({"exact_data": {"P": [[float("nan")]]}}, ValueError, r"`exact_data\['P'\]` must be finite"),
        ({"exact_data": {"P": [["x"]]}}, TypeError, r"`exact_data\['P'\]` must hold real numbers"),
    ],
)
def test_certificate_rejects_bad_fields(changes, error, match):
    with pytest.raises(error, match=match):
        make_certificate(**changes)


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        (("",), ValueError, r"`name` must be a non-empty string"),
        (("SCS", 3), TypeError, r"`version` must be a string or None"),
        (("SCS", None, None, -1.0), ValueError, r"`solve_time` must be >= 0 seconds; got -1.0"),
    ],
)
def test_solver_info_rejects_bad_fields(arguments, error, match):
    with pytest.raises(error, match=match):
        SolverInfo(*arguments)


def test_residual_rejects_bad_fields():
    with pytest.raises(ValueError, match=r"`min_eigenvalue` must be finite"):
        ConstraintResidual("P > 0", float("nan"))
    with pytest.raises(TypeError, match=r"`min_eigenvalue` must be a real number"):
        ConstraintResidual("P > 0", "0.1")


def test_kinds_are_documented():
    assert set(CERTIFICATE_KINDS) >= {"lyapunov", "lds", "contraction", "radius", "input"}


# ----------------------------------------------------------------------------------------------
# Status
# ----------------------------------------------------------------------------------------------


def test_status_is_derived_from_the_verdicts_by_default():
    assert make_certificate().status is CertificateStatus.CERTIFIED
    assert make_certificate(verified_exact=False).status is CertificateStatus.FLOAT_ONLY
    assert make_certificate(verified_exact=False, verified_float=False).status is CertificateStatus.NOT_VERIFIED


def test_certified_is_derived_from_the_status():
    cert = make_certificate(verified_exact=False, verified_float=False, status=CertificateStatus.INFEASIBLE)
    assert cert.status is CertificateStatus.INFEASIBLE and not cert.certified
    assert "status:  infeasible" in cert.summary() and "status='infeasible'" in repr(cert)


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"status": CertificateStatus.INFEASIBLE}, ValueError, r"`status`='infeasible' contradicts `verified_exact`=True"),
        ({"verified_exact": False, "status": CertificateStatus.CERTIFIED}, ValueError, r"contradicts"),
        ({"status": "certified"}, TypeError, r"`status` must be a CertificateStatus or None"),
    ],
)
def test_a_status_that_contradicts_the_verdicts_is_refused(changes, error, match):
    with pytest.raises(error, match=match):
        make_certificate(**changes)


def test_replace_needs_the_status_with_the_verdict():
    cert = make_certificate()
    with pytest.raises(ValueError, match="pass both together"):
        dataclasses.replace(cert, verified_exact=False)
    refused = dataclasses.replace(cert, verified_exact=False, status=CertificateStatus.REFUSED)
    assert not refused.certified


def test_every_status_says_what_to_do():
    codes = [status.code for status in CertificateStatus]
    assert len(set(codes)) == len(codes) and "certified" in codes
    for status in CertificateStatus:
        assert CertificateStatus.from_code(status.code) is status
        assert len(status.value) > 20 and status.value.split(":")[0]  # a sentence, not a code
    assert aa.CertificateStatus is CertificateStatus
    with pytest.raises(ValueError, match=r"`status` must be one of \['certified'"):
        CertificateStatus.from_code("CERTIFIED")
    assert CertificateStatus.from_verdicts(True, False) is CertificateStatus.FLOAT_ONLY
