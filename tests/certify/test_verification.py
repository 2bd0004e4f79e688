"""verify: re-verification from scratch, tampered files, old files, and the `certify` / `verify` commands."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import numpy as np
import pytest

import assocrate as aa
from assocrate.certify import contraction, input_driven, interval, lds, radius, sector
from assocrate.certify.input_driven import certify_input_driven
from assocrate.certify.lds import certify_lds
from assocrate.certify.radius import certified_radius
from assocrate.certify.serialize import CHECKSUM, checksum, from_json, load_certificate, save_certificate, to_json
from assocrate.certify.status import CertificateStatus
from assocrate.certify.verification import CHECKS, verify
from assocrate.cli import main
from assocrate.errors import InvalidInput
from assocrate.io import save_network

NAMES = ["radius", "interval", "perron", "sector", "input", "input-contraction", "lds", "contraction", "contraction-current", "lyapunov"]


@pytest.mark.parametrize("name", NAMES)
def test_saved_certificates_verify(certificates, tmp_path, name):
    cert, net = certificates[name]
    assert cert.verified_exact
    path = save_certificate(tmp_path / "c.json", cert)
    loaded = load_certificate(path)
    result = verify(loaded, net)
    assert result.verified, result.problems
    assert result.problems == () and result.certificate.verified_exact
    assert "VERIFIED" in result.summary()
    assert result.status is CertificateStatus.CERTIFIED and loaded.status is CertificateStatus.CERTIFIED
    assert aa.verify(loaded, net).verified


def _edit_first_number(document: dict) -> str:
    """Change one entry of the first array in `data` (or a scalar); return its name."""
    for key, value in document["data"].items():
        if isinstance(value, dict):
            values = value["values"]
            if isinstance(values[0], list):
                values[0][0] = values[0][0] * (1 + 1e-7) + 1e-9
            else:
                values[0] = values[0] * (1 + 1e-7) + 1e-9
            return key
    raise AssertionError("no array in data")


@pytest.mark.parametrize("name", NAMES)
def test_an_edited_entry_fails(certificates, name):
    cert, net = certificates[name]
    document = json.loads(to_json(cert))
    _edit_first_number(document)
    result = verify(from_json(json.dumps(document)), net)
    assert not result.verified and result.problems


@pytest.mark.parametrize("name", ["radius", "lds", "sector"])
def test_edits_anywhere_fail(certificates, name):
    cert, net = certificates[name]
    edits = [
        lambda d: d.__setitem__("claim", d["claim"].replace("every", "each", 1)),
        lambda d: d["residuals"][0].__setitem__("min_eigenvalue", d["residuals"][0]["min_eigenvalue"] * 1.5),
        lambda d: d["parameters"].__setitem__("n_units", 999),
    ]
    if cert.exact_data:
        first = next(iter(d for d in cert.exact_data))
        edits.append(lambda d, key=first: _edit_exact(d, key))
    for edit in edits:
        document = json.loads(to_json(cert))
        edit(document)
        assert not verify(from_json(json.dumps(document)), net).verified


def _edit_exact(document, key):
    entry = document["exact_data"][key]
    if isinstance(entry, str):
        p, _, q = entry.partition("/")
        document["exact_data"][key] = f"{int(p) + 1}/{q or 1}"
    else:
        p, _, q = entry["values"][0][0].partition("/")
        entry["values"][0][0] = f"{int(p) + 1}/{q or 1}"


def test_resealed_forgery_is_caught_by_the_exact_check(certificates):
    """Someone edits P so that the LMI fails and recomputes the checksum: the exact check refuses."""
    cert, net = certificates["lds"]
    p = cert.data["p"].copy()
    p[0] = -1.0
    exact_p = (tuple(Fraction(x) for x in p),)
    forged = dataclasses.replace(cert, data={**cert.data, "p": p}, exact_data={**cert.exact_data, "p": exact_p})
    forged = dataclasses.replace(forged, parameters={**forged.parameters, CHECKSUM: checksum(forged)})
    result = verify(forged, net)
    assert not result.verified
    assert any("hypothesis 3 fails (signs: P > 0)" in problem for problem in result.problems)


def test_certificate_for_another_network_fails(certificates, positive_gamma_network):
    cert, _ = certificates["radius"]
    result = verify(cert, positive_gamma_network)
    assert not result.verified and "another network" in result.problems[0]
    # the verdict says the re-check refused it, not that checks which never ran failed
    assert "verdict: REFUSED by the re-check" in result.summary()
    assert "neither the floating-point nor the exact check passed" not in result.summary()


def test_no_certificate_is_not_verified(equal_overlap_network):
    cert = certify_lds(equal_overlap_network)
    result = verify(cert, equal_overlap_network)
    assert not result.verified and "does not claim" in result.problems[0]


def test_verify_rejects_wrong_types(certificates):
    cert, net = certificates["radius"]
    with pytest.raises(TypeError, match="`certificate` must be a Certificate"):
        verify("cert.json", net)
    with pytest.raises(TypeError, match="`network` must be a MemoryNetwork"):
        verify(cert, "net.npz")


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def network_file(tmp_path_factory, equal_overlap_network):
    path = tmp_path_factory.mktemp("net") / "net.npz"
    save_network(path, equal_overlap_network)
    return path


@pytest.mark.parametrize("kind", ["radius", "input", "lds", "contraction"])
def test_certify_json(capsys, tmp_path, network_file, kind):
    out = tmp_path / "cert.json"
    memory = ("--memory", 1) if kind in ("radius", "input") else ()  # --memory is refused for the global kinds
    code, stdout, err = run(capsys, "certify", network_file, "--kind", kind, *memory, "--out", out, "--json")
    record = json.loads(stdout)
    assert {"kind", "verified_float", "verified_exact", "claim", "residuals"} <= set(record)
    assert record["kind"] == ("interval" if kind == "radius" else kind)  # --method interval is the default
    if kind in ("radius", "input"):
        assert code == 0 and record["verified_exact"] and record["memory"] == 1
    else:  # the reference network stores memories: no global certificate, a clear verdict, exit 1
        assert code == 1 and not record["verified_exact"] and record["claim"].startswith("no certificate found")
    if kind == "radius":
        assert record["radius"] == pytest.approx(0.561, abs=1e-3) and record["norm"] == "box"
    assert out.exists()
    expected = 0 if record["verified_exact"] else 1
    assert run(capsys, "verify", out, network_file)[0] == expected


def test_certify_text_prints_the_residual_table(capsys, network_file):
    code, stdout, _ = run(capsys, "certify", network_file, "--kind", "radius", "--method", "lmi", "--memory", 0)
    assert code == 0
    assert "certified l2 radius" in stdout and "residuals" in stdout and "lambda_min" in stdout


def test_verify_exit_codes(capsys, tmp_path, network_file, equal_overlap_network):
    good = tmp_path / "good.json"
    assert run(capsys, "certify", network_file, "--kind", "radius", "--out", good)[0] == 0
    code, stdout, _ = run(capsys, "verify", good, network_file)
    assert code == 0 and stdout.startswith("VERIFIED")
    code, stdout, _ = run(capsys, "verify", good, network_file, "--json")
    assert code == 0 and json.loads(stdout)["verified"] is True
    # one entry changed by hand
    document = json.loads(good.read_text())
    document["data"]["v"]["values"][3] = 0.999
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document))
    code, stdout, _ = run(capsys, "verify", edited, network_file)
    assert code == 1 and "NOT VERIFIED" in stdout and "edited" in stdout
    # bad input: exit 2 with one line
    assert run(capsys, "verify", tmp_path / "missing.json", network_file)[0] == 2
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = run(capsys, "verify", broken, network_file)
    assert code == 2 and err.startswith("error:") and err.count("\n") == 1
    code, _, err = run(capsys, "verify", good, tmp_path / "missing.npz")
    assert code == 2
    # a no-certificate verdict whose flag was flipped to true has no exact data: malformed, exit 2
    flipped = json.loads(to_json(certify_lds(equal_overlap_network)))
    flipped["verified_exact"] = True
    flipped_path = tmp_path / "flipped.json"
    flipped_path.write_text(json.dumps(flipped))
    assert run(capsys, "verify", flipped_path, network_file)[0] == 2


def test_certify_rejects_bad_options(capsys, network_file):
    code, _, err = run(capsys, "certify", network_file, "--kind", "radius", "--memory", 9)
    assert code == 2 and "--memory" in err
    code, _, err = run(capsys, "certify", network_file, "--kind", "volume")
    assert code == 2
    code, _, err = run(capsys, "certify", network_file, "--method", "lmi", "--weights", "perron")
    assert code == 2 and "--weights" in err


@pytest.mark.parametrize("name", ["radius", "sector"])
def test_a_certificate_relabelled_to_another_memory_fails(certificates, name):
    """Resealed with memory 1 and a matching claim: the box is not around memory 1's equilibrium."""
    cert, net = certificates[name]
    mu = cert.parameters["memory"]
    other = (mu + 1) % net.n_patterns
    claim = cert.claim.replace(f"memory {mu} ", f"memory {other} ").replace(f"memory {mu}:", f"memory {other}:")
    assert claim != cert.claim
    forged = dataclasses.replace(cert, claim=claim, parameters={**cert.parameters, "memory": other})
    forged = dataclasses.replace(forged, parameters={**forged.parameters, CHECKSUM: checksum(forged)})
    result = verify(forged, net)
    assert not result.verified
    assert any(f"memory {other}" in problem for problem in result.problems), result.problems


@pytest.mark.parametrize("name", [n for n in NAMES if n != "lyapunov"])
def test_a_deleted_checksum_fails(certificates, name):
    cert, net = certificates[name]
    document = json.loads(to_json(cert))
    del document["parameters"][CHECKSUM]
    with pytest.raises(InvalidInput, match="missing the field 'checksum' in parameters"):
        from_json(json.dumps(document))  # the schema refuses the file before any mathematics
    unsealed = dataclasses.replace(cert, parameters={k: v for k, v in cert.parameters.items() if k != CHECKSUM})
    result = verify(unsealed, net)
    assert not result.verified
    assert any("no checksum" in problem for problem in result.problems), result.problems


@pytest.mark.parametrize(("key", "value"), [("tau", 2.0), ("n_units", 999), ("max_eigenvalue", -5.0),
                                            ("n_row_types", 3), ("status", "other")])
def test_edited_lyapunov_parameters_fail(certificates, key, value):
    cert, net = certificates["lyapunov"]
    edited = dataclasses.replace(cert, parameters={**cert.parameters, key: value})
    result = verify(edited, net)
    assert not result.verified and any(key in problem for problem in result.problems), result.problems


@pytest.mark.parametrize(("key", "value"), [("memory", 99), ("at", "nowhere")])
def test_lyapunov_parameters_that_break_the_rebuild_are_not_verified(capsys, tmp_path, certificates, network_file,
                                                                     key, value):
    cert, net = certificates["lyapunov"]
    document = json.loads(to_json(cert))
    document["parameters"][key] = value
    result = verify(from_json(json.dumps(document)), net)
    assert not result.verified and result.problems
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document))
    code, stdout, _ = run(capsys, "verify", path, network_file)
    assert code == 1 and "NOT VERIFIED" in stdout


@pytest.mark.parametrize(("key", "value", "message"), [
    ("form", "bogus", "field parameters['form'] must be one of ['rate', 'current']; got 'bogus'"),
    ("memory", "x", "field parameters['memory'] has the wrong type: str (expected integer)"),
])
def test_parameters_of_the_wrong_kind_are_refused_by_the_schema(capsys, tmp_path, certificates, network_file,
                                                               key, value, message):
    cert, _ = certificates["lyapunov"]
    document = json.loads(to_json(cert))
    document["parameters"][key] = value
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document))
    code, _, stderr = run(capsys, "verify", path, network_file)
    assert code == 2 and stderr.count("error:") == 1 and message in stderr


def test_an_input_not_constant_on_row_types_verifies_with_its_u(equal_overlap_network, tmp_path, capsys):
    net = equal_overlap_network
    cue = 1.0 * (2.0 * net.patterns[:, 1] - 1.0)
    cue[:3] += [0.01, 0.02, -0.01]  # splits row types: the classes depend on u
    cert = certify_input_driven(net, cue, memory=1)
    assert cert.verified_exact
    loaded = load_certificate(save_certificate(tmp_path / "c.json", cert))
    result = verify(loaded, net, u=cue)
    assert result.verified, result.problems
    assert aa.verify(loaded, net, u=cue).verified
    without = verify(loaded, net)
    assert not without.verified and "u=u" in without.problems[0]
    other = cue.copy()
    other[:3] = cue[3]
    assert not verify(loaded, net, u=other).verified
    shifted = cue.copy()
    shifted[0] += 0.005  # same classes, another input
    assert not verify(loaded, net, u=shifted).verified
    with pytest.raises(InvalidInput, match="kind 'input' only"):  # an input for another kind is bad input
        verify(certified_radius(net, 0, method="metzler").certificate, net, u=cue)
    # the command line takes u from a file (`verify --input`); a u of the wrong length is bad input
    cert_file, net_file, u_file = tmp_path / "c.json", tmp_path / "net.npz", tmp_path / "u.npy"
    save_certificate(cert_file, cert)
    save_network(net_file, net)
    np.save(u_file, cue)
    code, out, _ = run(capsys, "verify", cert_file, net_file)
    assert code == 1 and "u=u" in out
    code, out, _ = run(capsys, "verify", cert_file, net_file, "--input", u_file)
    assert code == 0 and "VERIFIED" in out
    np.save(u_file, cue[:-1])
    code, out, err = run(capsys, "verify", cert_file, net_file, "--input", u_file)
    assert code == 2 and out == "" and err.count("\n") == 1 and "`u` must be None, a scalar or have shape (1000,)" in err
    # a type-constant input still verifies with or without u
    plain = certify_input_driven(net, 1.0 * (2.0 * net.patterns[:, 1] - 1.0), memory=1)
    assert verify(plain, net).verified and verify(plain, net, u=1.0 * (2.0 * net.patterns[:, 1] - 1.0)).verified


# ---------------------------------------------------------------------------------------------
# The dispatcher and old files
# ---------------------------------------------------------------------------------------------


def test_verify_dispatches_to_the_checks_the_certifiers_run():
    assert CHECKS == {
        "lds": lds.verify_lds,
        "contraction": contraction.verify_contraction,
        "radius": radius.verify_radius,
        "sector": sector.verify_sector,
        "input": input_driven.verify_input,
        "interval": interval.verify_interval,
    }


@pytest.mark.parametrize("name", [n for n in NAMES if n != "lyapunov"])
def test_a_refusal_from_the_kind_check_is_reported(certificates, name, monkeypatch):
    import assocrate.certify.verification as verification
    from assocrate.certify.witness import CheckFailed

    cert, net = certificates[name]

    def refusing(*args, **kwargs):
        raise CheckFailed("refused by the test")

    monkeypatch.setitem(verification.CHECKS, cert.kind, refusing)
    monkeypatch.setattr(verification, "verify_input", refusing)
    result = verify(cert, net)
    assert not result.verified and result.problems == ("refused by the test",)
    assert result.status is CertificateStatus.REFUSED and not result.certificate.certified
    assert "status='refused'" in repr(result)


@pytest.mark.parametrize("name", NAMES)
def test_a_version_1_file_still_loads_and_verifies(certificates, tmp_path, name):
    """A file in the layout written before statuses (version 1, no "status") verifies unchanged."""
    cert, net = certificates[name]
    document = json.loads(to_json(cert))
    document["version"] = 1
    del document["status"]
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    loaded = load_certificate(path)
    assert loaded.status is CertificateStatus.CERTIFIED and loaded == cert
    assert verify(loaded, net).verified


def test_an_unknown_format_version_is_refused(certificates, tmp_path, capsys, network_file):
    cert, _ = certificates["radius"]
    document = json.loads(to_json(cert))
    document["version"] = 99
    path = tmp_path / "v99.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="unsupported certificate format version 99"):
        load_certificate(path)
    code, _, err = run(capsys, "verify", path, network_file)
    assert code == 2 and "format version 99" in err


def test_a_no_certificate_keeps_its_status(equal_overlap_network):
    result = verify(certify_lds(equal_overlap_network), equal_overlap_network)
    assert not result.verified and result.status is CertificateStatus.INFEASIBLE


@pytest.mark.parametrize("name", ["radius_v1.json", "input_v1.json"])
def test_files_written_by_the_previous_release_verify(equal_overlap_network, name):
    """Files written by assocrate before statuses (format version 1, commit b10c071) load and verify."""
    from pathlib import Path

    path = Path(__file__).parent / "data" / name
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1
    loaded = load_certificate(path)
    assert loaded.status is CertificateStatus.CERTIFIED
    result = verify(loaded, equal_overlap_network)
    assert result.verified, result.problems
    edited = json.loads(path.read_text(encoding="utf-8"))
    edited["claim"] = edited["claim"].replace("memory", "pattern", 1)
    assert not verify(from_json(json.dumps(edited)), equal_overlap_network).verified
