"""Tests for assocrate.certify.certificate: the Certificate record, JSON, files, float checks."""

from __future__ import annotations

import json
import os
import stat
from fractions import Fraction

import flint
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assocrate.certify import certificate as certificate_module
from assocrate.certify.certificate import (
    CERTIFICATE_KINDS,
    Certificate,
    ConstraintResidual,
    SolverInfo,
    from_json,
    is_definite_float,
    load_certificate,
    min_eigenvalue,
    save_certificate,
    to_json,
)
from assocrate.certify.exact import is_positive_definite_exact, to_rational

SETTINGS = settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])


def make_certificate(**changes) -> Certificate:
    P = np.array([[2.0, 0.5], [0.5, 1.0]])
    fields = dict(
        claim="memory 0 is locally exponentially stable",
        kind="lyapunov",
        data={"P": P, "J": -np.eye(2), "delta": 0.25},
        solver=SolverInfo("CLARABEL", version="0.9.0", status="optimal", solve_time=0.12),
        residuals=[
            ConstraintResidual("P > 0", float(np.linalg.eigvalsh(P)[0])),
            ConstraintResidual("-(J^T P + P J) > 0", 1.5),
        ],
        verified_float=True,
        verified_exact=True,
        parameters={"memory": 0, "eta": 0.3, "activation": "sigmoid", "refined": True},
        exact_data={"P": to_rational(P, grid=2**20), "delta": Fraction(1, 4)},
    )
    fields.update(changes)
    claim, kind, data = fields.pop("claim"), fields.pop("kind"), fields.pop("data")
    return Certificate(claim, kind, data, **fields)


# ----------------------------------------------------------------------------------------------
# The record
# ----------------------------------------------------------------------------------------------


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
# JSON
# ----------------------------------------------------------------------------------------------


def test_json_round_trip_is_exact():
    cert = make_certificate()
    text = to_json(cert)
    document = json.loads(text)
    assert document["format"] == "assocrate.certificate" and document["version"] == 1
    assert document["exact_data"]["delta"] == "1/4"
    assert document["exact_data"]["P"]["values"][0] == ["2/1", "1/2"]
    back = from_json(text)
    assert back == cert
    assert back.exact_data["P"] == cert.exact_data["P"]
    assert to_json(back) == text
    assert from_json(to_json(cert, indent=None)) == cert


floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
rationals = st.fractions(max_denominator=10**30) | st.builds(
    Fraction, st.integers(-(10**60), 10**60), st.integers(1, 10**60)
)


@SETTINGS
@given(
    st.lists(floats, min_size=1, max_size=9),
    st.lists(rationals, min_size=1, max_size=9),
    floats,
    rationals,
)
def test_json_round_trip_is_exact_for_any_values(array_values, exact_values, scalar, exact_scalar):
    data = {"v": np.array(array_values), "M": np.array(array_values).reshape(1, -1), "s": scalar}
    exact_data = {"Q": [exact_values], "q": exact_scalar}
    cert = Certificate("any", "lds", data, exact_data=exact_data, parameters={"x": scalar})
    back = from_json(to_json(cert))
    assert back == cert
    assert np.array_equal(back.data["v"], np.array(array_values))
    assert [np.float64(x).tobytes() for x in back.data["v"]] == [
        np.float64(x).tobytes() for x in array_values
    ]  # bit for bit, signed zeros included
    assert list(back.exact_data["Q"][0]) == exact_values
    assert back.exact_data["q"] == exact_scalar


def test_json_round_trip_of_unusual_shapes():
    cert = Certificate(
        "shapes", "contraction",
        {"E": np.zeros((0, 3)), "T": np.arange(8.0).reshape(2, 2, 2), "z": np.array(2.5)},
    )
    back = from_json(to_json(cert))
    assert back == cert
    assert back.data["E"].shape == (0, 3) and back.data["z"] == 2.5


def test_edited_json_parses_with_different_data():
    cert = make_certificate()
    document = json.loads(to_json(cert))
    document["exact_data"]["P"]["values"][1][1] = "-1/1"  # tampered certificate matrix
    edited = from_json(json.dumps(document))
    assert edited != cert
    assert edited.exact_data["P"][1][1] == -1
    assert is_positive_definite_exact(cert.exact_matrix("P"))
    assert not is_positive_definite_exact(edited.exact_matrix("P"))  # a re-check catches it
    document = json.loads(to_json(cert))
    document["data"]["P"]["values"][0][0] = 2.0000000001
    assert from_json(json.dumps(document)) != cert


def _document(**changes):
    document = json.loads(to_json(make_certificate()))
    document.update(changes)
    return json.dumps(document)


def _without(key):
    document = json.loads(to_json(make_certificate()))
    del document[key]
    return json.dumps(document)


def _exact_entry(value):
    document = json.loads(to_json(make_certificate()))
    document["exact_data"]["P"]["values"][0][0] = value
    return json.dumps(document)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{", r"not valid certificate JSON"),
        ("", r"not valid certificate JSON"),
        ("[1, 2]", r"expected a JSON object, got list"),
        ('{"format": "other", "version": 1}', r"format is 'other', expected 'assocrate.certificate'"),
        ('{"version": 1}', r"format is None"),
        (_document(version=2), r"unsupported certificate format version 2; this assocrate reads version 1"),
        (_document(version="1"), r"unsupported certificate format version '1'"),
        (_without("claim"), r"missing the field 'claim'"),
        (_without("data"), r"missing the field 'data'"),
        (_document(extra=1), r"unknown fields \['extra'\]"),
        (_document(kind="global"), r"invalid certificate JSON: `kind` must be one of"),
        (_document(verified_exact="yes"), r"field 'verified_exact' has the wrong type"),
        (_document(residuals=[{"name": "P > 0"}]), r"missing the field residuals\[0\]\.'min_eigenvalue'"),
        (_document(data={"P": {"shape": [2, 2], "values": [[1.0, 2.0]]}}), r"has shape \[1, 2\], expected \[2, 2\]"),
        (_document(data={"P": "abc"}), r"data\['P'\] must be a number or an object"),
        (_document(data={"P": {"shape": [2], "values": ["a", "b"]}}), r"not a numeric array"),
        (_exact_entry("1/0"), r"zero denominator"),
        (_exact_entry("0.5"), r"must be a 'p/q' string; got '0.5'"),
        (_exact_entry(0.5), r"must be a 'p/q' string; got 0.5"),
        (_document(data={"delta": float("nan")}), r"must not contain NaN"),
        (_document(solver={"version": "1"}), r"missing the field solver\.'name'"),
        (_document(exact_data={"P": {"shape": [1, 2], "values": [["1/1"]]}}), r"row 0 must have 2 entries"),
    ],
)
def test_from_json_rejects_corrupt_or_foreign_text(text, match):
    with pytest.raises(ValueError, match=match):
        from_json(text)


def test_from_json_requires_text():
    with pytest.raises(TypeError, match=r"`text` must be a string"):
        from_json(12)


# ----------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path):
    cert = make_certificate()
    target = save_certificate(tmp_path / "cert.json", cert)
    assert target == tmp_path / "cert.json"
    assert load_certificate(target) == cert
    assert load_certificate(str(target)) == cert
    assert sorted(os.listdir(tmp_path)) == ["cert.json"]  # no temporary file left behind


def test_save_overwrites_atomically_and_keeps_permissions(tmp_path):
    path = tmp_path / "cert.json"
    save_certificate(path, make_certificate())
    os.chmod(path, 0o600)
    other = make_certificate(claim="another claim")
    save_certificate(path, other)
    assert load_certificate(path) == other
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "cert.json"
    original = make_certificate()
    save_certificate(path, original)

    def broken_replace(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(certificate_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match=r"cannot write .*cert\.json.*No space left"):
        save_certificate(path, make_certificate(claim="new"))
    assert load_certificate(path) == original
    assert sorted(os.listdir(tmp_path)) == ["cert.json"]


def test_save_into_missing_directory_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cert\.json.*does not exist"):
        save_certificate(tmp_path / "missing" / "cert.json", make_certificate())


def test_load_corrupt_file_names_the_file(tmp_path):
    path = tmp_path / "broken-cert.json"
    text = to_json(make_certificate())
    path.write_text(text[: len(text) // 2], encoding="utf-8")  # truncated
    with pytest.raises(ValueError, match=r"broken-cert\.json.*not valid certificate JSON"):
        load_certificate(path)
    path.write_text('{"format": "assocrate.network", "version": 1}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken-cert\.json.*not an assocrate certificate"):
        load_certificate(path)
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match=r"broken-cert\.json.*not UTF-8"):
        load_certificate(path)
    with pytest.raises(FileNotFoundError, match=r"absent\.json"):
        load_certificate(tmp_path / "absent.json")


def test_path_type_is_checked(tmp_path):
    with pytest.raises(TypeError, match=r"`path` must be a str or os.PathLike"):
        save_certificate(3, make_certificate())
    with pytest.raises(TypeError, match=r"`certificate` must be a Certificate"):
        save_certificate(tmp_path / "c.json", {"claim": "x"})


# ----------------------------------------------------------------------------------------------
# Floating-point definiteness
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_min_eigenvalue_matches_eigvalsh_of_symmetric_part(seed):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((6, 6))
    expected = np.linalg.eigvalsh((M + M.T) / 2)[0]
    assert min_eigenvalue(M) == pytest.approx(expected, abs=1e-12)


def test_is_definite_float_sign_and_margin():
    M = np.diag([-3.0, -1.0])
    assert is_definite_float(M)  # sign=-1 by default: M < 0
    assert is_definite_float(M, margin=0.9)
    assert not is_definite_float(M, margin=1.1)
    assert not is_definite_float(M, sign=1)
    assert is_definite_float(-M, sign=1, margin=0.5)
    assert not is_definite_float(np.zeros((2, 2)), sign=1)  # semidefinite is not definite
    skew = np.array([[-1.0, 5.0], [-5.0, -1.0]])  # symmetric part -I
    assert is_definite_float(skew) and min_eigenvalue(skew) == pytest.approx(-1.0)


@pytest.mark.parametrize("seed", range(5))
def test_float_and_exact_checks_agree_away_from_the_boundary(seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((8, 8))
    M = (A + A.T) / 2
    if abs(min_eigenvalue(M)) > 1e-6:
        assert is_definite_float(M, sign=1) is is_positive_definite_exact(M)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: min_eigenvalue(np.zeros((2, 3))), ValueError, r"`M` must be square; got shape \(2, 3\)"),
        (lambda: min_eigenvalue(np.zeros((0, 0))), ValueError, r"`M` must be non-empty"),
        (lambda: min_eigenvalue([[np.inf]]), ValueError, r"`M` must be finite"),
        (lambda: min_eigenvalue([["a"]]), TypeError, r"`M` must be a real numeric matrix"),
        (lambda: is_definite_float(np.eye(2), sign=0), ValueError, r"`sign` must be -1 or 1; got 0"),
        (lambda: is_definite_float(np.eye(2), margin=-1.0), ValueError, r"`margin` must be finite and >= 0; got -1.0"),
        (lambda: is_definite_float(np.eye(2), margin="0"), TypeError, r"`margin` must be a real number"),
        (lambda: is_definite_float(np.ones(3)), ValueError, r"`M` must be square"),
    ],
)
def test_float_checks_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
