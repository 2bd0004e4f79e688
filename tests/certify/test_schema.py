"""certify.schema: every certificate file is validated against the shipped JSON Schema first."""

from __future__ import annotations

import json

import pytest

import assocrate as aa
from assocrate.certify.schema import validate_schema
from assocrate.certify.serialize import from_json, to_json
from assocrate.errors import InvalidInput


@pytest.fixture(scope="module")
def document(equal_overlap_network):
    return json.loads(to_json(aa.certified_radius(equal_overlap_network, 0, method="metzler").certificate))


def test_an_honest_certificate_is_valid(document):
    validate_schema(document)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["exact_data"].pop("v"), "missing the field 'v' in exact_data"),
    (lambda d: d["parameters"].pop("network"), "missing the field 'network' in parameters"),
    (lambda d: d["parameters"].update(memory=1.5), "field parameters['memory'] has the wrong type: float"),
    (lambda d: d["parameters"].update(weights="both"), "field parameters['weights'] must be one of"),
    (lambda d: d["exact_data"].update(delta=0.25), "field exact_data['delta'] must be a 'p/q' string or an object"),
    (lambda d: d["exact_data"]["v"].update(shape=[2, 7]), "exact_data['v'].shape[0]"),
    (lambda d: d.update(kind="global"), "field kind must be one of"),
    (lambda d: d.update(version=3), "field version must be one of [1, 2]"),
])
def test_a_malformed_file_is_refused_naming_the_field(document, edit, message):
    broken = json.loads(json.dumps(document))
    edit(broken)
    with pytest.raises(InvalidInput, match=None) as error:
        validate_schema(broken)
    assert message in str(error.value)


def test_the_cli_refuses_a_malformed_file_with_one_error_line(document, tmp_path, equal_overlap_network, capsys):
    from assocrate.cli import main
    from assocrate.io import save_network

    broken = json.loads(json.dumps(document))
    broken["exact_data"].pop("R")
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    network = save_network(tmp_path / "net.npz", equal_overlap_network)
    code = main(["verify", str(path), str(network)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("error:") == 1 and "missing the field 'R' in exact_data" in err


def test_an_old_format_version_is_refused_with_a_format_version_error(document):
    old = dict(document, version=0)
    with pytest.raises(InvalidInput, match="unsupported certificate format version 0"):
        from_json(json.dumps(old))
