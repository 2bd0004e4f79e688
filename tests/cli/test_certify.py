"""assocrate.cli.certify: ``assocrate certify`` and ``verify`` (exit 0 certified, 1 not, 2 invalid input).

The main certify/verify command tests are in tests/certify/test_verify.py; these cover the rest.
"""

from __future__ import annotations

import json

import pytest

from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns
from assocrate.io import save_network

from ..reference import REFERENCE_SIGMOID


@pytest.fixture(scope="module")
def network_file(tmp_path_factory):
    network = design(equal_overlap_patterns(200, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)
    return save_network(tmp_path_factory.mktemp("net") / "net.npz", network)


def test_an_input_too_weak_to_certify_exits_1(network_file, cli):
    code, out, err = cli("certify", network_file, "--kind", "input", "--memory", 1, "--cue", "pattern",
                         "--kappa", 0.5, "--json")
    assert (code, err) == (1, "")
    record = json.loads(out)
    assert (record["kind"], record["memory"], record["kappa"], record["cue"]) == ("input", 1, 0.5, "pattern")
    assert not record["certified"] and record["claim"].startswith("no certificate found")


def test_radius_text_names_the_radius_and_saves(network_file, tmp_path, cli):
    out_file = tmp_path / "radius.json"
    code, out, _ = cli("certify", network_file, "--out", out_file)
    assert code == 0
    assert out.startswith("memory 0: certified retrieval radius ") and out.endswith(f"saved to {out_file}\n")
    code, out, _ = cli("verify", out_file, network_file)
    assert code == 0 and out.startswith("VERIFIED") and f"(certificate {out_file}, network {network_file})" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "input", "--kappa", "inf"], "Invalid value for '--kappa': must be finite; got inf"),
        (["--kind", "input", "--memory", "-1"], "'--memory': must be in [0, 5]; got -1"),
        (["--out", "missing/c.json"], "the directory 'missing' does not exist"),
        (["--memory", "first"], "'--memory': must be a memory index or 'all'; got 'first'"),
        (["--kind", "lds", "--memory", "all"], "'--memory': has no effect with --kind lds (only with --kind radius or input)"),
    ],
)
def test_certify_bad_options_are_one_line_exit_2(network_file, tmp_path, monkeypatch, cli, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("certify", network_file, *args)
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err


def test_memory_all_certifies_every_memory_one_file_each(network_file, tmp_path, cli):
    folder = tmp_path / "certificates"
    code, out, err = cli("certify", network_file, "--memory", "all", "--out", folder)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "radius certificates for 6 memories: 6 certified"
    assert len(lines) == 2 + 6 and all(" certified " in line for line in lines[2:])
    assert sorted(p.name for p in folder.iterdir()) == [f"radius_{mu}.json" for mu in range(6)]
    code, out, _ = cli("verify", folder / "radius_5.json", network_file)
    assert code == 0 and out.startswith("VERIFIED")


def test_memory_all_as_json_and_without_files(network_file, cli):
    code, out, _ = cli("certify", network_file, "--memory", "ALL", "--json")
    record = json.loads(out)
    assert code == 0 and (record["n_memories"], record["n_certified"]) == (6, 6)
    assert [c["memory"] for c in record["certificates"]] == list(range(6))
    assert all("saved" not in c for c in record["certificates"])


def test_memory_all_exits_1_when_one_is_not_certified(network_file, cli):
    code, out, _ = cli("certify", network_file, "--kind", "input", "--memory", "all", "--cue", "pattern",
                       "--kappa", 0.5)
    assert code == 1 and out.startswith("input certificates for 6 memories: 0 certified")


def test_verify_an_unreadable_certificate_exits_2(network_file, tmp_path, cli):
    code, out, err = cli("verify", tmp_path, network_file)
    assert (code, out) == (2, "")
    assert err == f"error: cannot read the certificate {str(tmp_path)!r}: Is a directory\n"


def test_radius_method_interval_is_the_default_and_certifies_more(network_file, cli):
    code, out, _ = cli("certify", network_file, "--json")
    interval = json.loads(out)
    code_m, out_m, _ = cli("certify", network_file, "--method", "metzler", "--json")
    metzler = json.loads(out_m)
    assert (code, code_m) == (0, 0)
    assert (interval["kind"], interval["parameters"]["method"], metzler["kind"]) == ("interval", "interval", "radius")
    assert interval["radius"] > metzler["radius"] > 0
    code, out, err = cli("certify", network_file, "--method", "interval", "--weights", "perron")
    assert (code, out) == (2, "") and "--weights perron applies to --method metzler only" in err


def test_radius_majorant_lowrank_certifies_saves_and_verifies(network_file, tmp_path, cli):
    out_file = tmp_path / "lowrank.json"
    code, out, _ = cli("certify", network_file, "--method", "metzler", "--majorant", "lowrank", "--out", out_file, "--json")
    record = json.loads(out)
    assert code == 0 and record["majorant"] == "lowrank" and record["parameters"]["majorant"] == "lowrank"
    code_e, out_e, _ = cli("certify", network_file, "--method", "metzler", "--majorant", "exact", "--json")
    assert code_e == 0 and 0 < record["radius"] <= json.loads(out_e)["radius"]
    code, out, _ = cli("verify", out_file, network_file)
    assert code == 0 and out.startswith("VERIFIED")
    code_s, out_s, _ = cli("certify", network_file, "--method", "metzler", "--majorant", "cauchy-schwarz", "--json")
    assert code_s == 0 and json.loads(out_s)["parameters"]["majorant"] == "cauchy-schwarz"
    code, out, err = cli("certify", network_file, "--majorant", "lowrank")
    assert (code, out) == (2, "") and "applies to --method metzler only" in err
    code, out, err = cli("certify", network_file, "--kind", "lds", "--majorant", "exact")
    assert (code, out) == (2, "") and "--majorant" in err


def test_verify_input_on_a_radius_certificate_is_bad_input(tmp_path, cli, equal_overlap_network):
    import numpy as np

    import assocrate as aa

    network_file = aa.save_network(tmp_path / "net.npz", equal_overlap_network)
    certificate = aa.save_certificate(tmp_path / "cert.json", aa.certified_radius(equal_overlap_network, 0).certificate)
    np.save(tmp_path / "u.npy", np.zeros(equal_overlap_network.n_units))
    code, out, err = cli("verify", certificate, network_file, "--input", tmp_path / "u.npy")
    assert code == 2 and out == "" and err.count("\n") == 1 and "kind 'input' only" in err
