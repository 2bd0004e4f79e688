"""Certificates as JSON and files: exact round trips, versions 1 and 2, corrupt text, atomic writes."""

from __future__ import annotations

import json
import os
import stat
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assocrate.certify import serialize as serialize_module
from assocrate.certify.exact import is_positive_definite_exact
from assocrate.certify.record import Certificate
from assocrate.certify.serialize import checksum, from_json, load_certificate, save_certificate, seal, to_json
from assocrate.certify.status import CertificateStatus

from .helpers import make_certificate

SETTINGS = settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])


def test_json_round_trip_is_exact():
    cert = make_certificate()
    text = to_json(cert)
    document = json.loads(text)
    assert document["format"] == "assocrate.certificate" and document["version"] == 2
    assert document["status"] == "certified"
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
        (_document(version=3), r"unsupported certificate format version 3; this assocrate reads versions 1, 2"),
        (_document(version=None), r"unsupported certificate format version None"),
        (_without("status"), r"missing the field 'status'"),
        (_document(status="proved"), r"field status must be one of \['certified'"),
        (_document(status="infeasible"), r"`status`='infeasible' contradicts `verified_exact`=True"),
        (_document(version=1), r"unknown fields \['status'\]"),
        (_document(version="1"), r"unsupported certificate format version '1'"),
        (_without("claim"), r"missing the field 'claim'"),
        (_without("data"), r"missing the field 'data'"),
        (_document(extra=1), r"unknown fields \['extra'\]"),
        (_document(kind="global"), r"field kind must be one of"),
        (_document(verified_exact="yes"), r"field verified_exact has the wrong type: str \(expected boolean\)"),
        (_document(residuals=[{"name": "P > 0"}]), r"missing the field 'min_eigenvalue' in residuals\[0\]"),
        (_document(data={"P": {"shape": [2, 2], "values": [[1.0, 2.0]]}}), r"has shape \[1, 2\], expected \[2, 2\]"),
        (_document(data={"P": "abc"}), r"data\['P'\] must be a number or an object"),
        (_document(data={"P": {"shape": [2], "values": ["a", "b"]}}), r"not a numeric array"),
        (_exact_entry("1/0"), r"exact_data\['P'\].values\[0\]\[0\] must be a 'p/q' string \(integers, q > 0\); got '1/0'"),
        (_exact_entry("0.5"), r"must be a 'p/q' string \(integers, q > 0\); got '0.5'"),
        (_exact_entry(0.5), r"must be a 'p/q' string \(integers, q > 0\); got 0.5"),
        (_document(data={"delta": float("nan")}), r"must not contain NaN"),
        (_document(solver={"version": "1"}), r"missing the field 'name' in solver"),
        (_document(exact_data={"P": {"shape": [1, 2], "values": [["1/1"]]}}), r"row 0 must have 2 entries"),
    ],
)
def test_from_json_rejects_corrupt_or_foreign_text(text, match):
    with pytest.raises(ValueError, match=match):
        from_json(text)


def test_from_json_requires_text():
    with pytest.raises(TypeError, match=r"`text` must be a string"):
        from_json(12)


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

    monkeypatch.setattr(serialize_module.os, "replace", broken_replace)
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
# Status and format versions
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(CertificateStatus))
def test_status_round_trips_through_json(status):
    certified = status is CertificateStatus.CERTIFIED
    cert = make_certificate(verified_exact=certified, verified_float=certified, status=status)
    back = from_json(to_json(cert))
    assert back.status is status and back == cert
    assert json.loads(to_json(cert))["status"] == status.code


def _version_1(cert: Certificate) -> str:
    """The text assocrate wrote before statuses: version 1, no "status" field."""
    document = json.loads(to_json(cert))
    document["version"] = 1
    del document["status"]
    return json.dumps(document, indent=1)


@pytest.mark.parametrize(
    ("verified_float", "verified_exact", "status"),
    [(True, True, CertificateStatus.CERTIFIED), (True, False, CertificateStatus.FLOAT_ONLY),
     (False, False, CertificateStatus.NOT_VERIFIED)],
)
def test_version_1_text_is_read_with_a_derived_status(tmp_path, verified_float, verified_exact, status):
    cert = make_certificate(verified_float=verified_float, verified_exact=verified_exact)
    path = tmp_path / "v1.json"
    path.write_text(_version_1(cert), encoding="utf-8")
    loaded = load_certificate(path)
    assert loaded.status is status and loaded == cert
    assert json.loads(to_json(loaded))["version"] == 2  # written back in the current version


def test_the_checksum_ignores_version_and_status():
    """Checksums sealed by version 1 stay valid; the status (never checked) is not part of it."""
    cert = seal(make_certificate(verified_exact=False, verified_float=False))
    assert checksum(from_json(_version_1(cert))) == cert.parameters["checksum"] == checksum(cert)
    relabelled = make_certificate(verified_exact=False, verified_float=False, status=CertificateStatus.INFEASIBLE)
    assert checksum(relabelled) == checksum(make_certificate(verified_exact=False, verified_float=False))
    edited = make_certificate(verified_exact=False, verified_float=False, claim="another claim")
    assert checksum(edited) != checksum(cert)
