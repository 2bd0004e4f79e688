"""assocrate.cli.retrieve: ``assocrate retrieve``: JSON records, figures, one-line errors (exit 2)."""

from __future__ import annotations

import json

import pytest

from assocrate.io import save_network

from ..reference import REFERENCE_SIGMOID, design_quietly


@pytest.fixture(scope="module")
def network_file(tmp_path_factory, random_network):
    return save_network(tmp_path_factory.mktemp("net") / "net.npz", random_network)


def test_retrieve_json_and_figure(network_file, tmp_path, cli):
    figure = tmp_path / "overlaps.png"
    code, out, err = cli("retrieve", network_file, "--cue", "delete:0.4", "--trials", 2, "--sigma", 0.1,
                         "--seed", 0, "--json", "--figure", figure)
    assert code == 0, err
    record = json.loads(out)
    assert record["success_rate"] == 1.0 and record["n_cues"] == 28
    assert record["classes"] == {"cued memory": 28, "other memory": 0, "quiescent": 0, "all-on": 0, "none": 0}
    assert record["mean_overlap_cued"] > 0.9 and 0.15 < record["mean_overlap_other"] < 0.3
    assert figure.stat().st_size > 0 and record["figure"] == str(figure)


def test_retrieve_same_seed_same_record(network_file, cli):
    args = ("retrieve", network_file, "--cue", "flip:0.1", "--sigma", 0.05, "--seed", 3, "--json", "--dtype", "float32")
    first = json.loads(cli(*args)[1])
    second = json.loads(cli(*args)[1])
    assert first == second


def test_retrieve_text(network_file, cli):
    code, out, _ = cli("retrieve", network_file, "--cue", "input:0.3:1")
    assert code == 0 and "success rate        1.000" in out


@pytest.mark.parametrize("cue", ["erase:0.4", "delete:1.5", "delete", "noise:x"])
def test_retrieve_bad_cue_is_one_line_exit_2(network_file, cli, cue):
    code, out, err = cli("retrieve", network_file, "--cue", cue)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and "'--cue'" in err


def test_retrieve_missing_file_exit_2(tmp_path, cli):
    code, _, err = cli("retrieve", tmp_path / "missing.npz")
    assert code == 2 and err.startswith("error: ")


def test_retrieve_positive_gamma_network_runs_to_all_on(tmp_path, random_network, cli):
    positive = design_quietly(random_network.patterns, REFERENCE_SIGMOID, 0.1, 0.95, q=0.2, r=0.2)
    path = save_network(tmp_path / "positive.npz", positive)
    record = json.loads(cli("retrieve", path, "--t-max", 20, "--json")[1])
    assert record["classes"]["all-on"] == 14 and record["success_rate"] == 0.0


def test_retrieve_boundary_normalize_and_step_grid_reach_the_library(network_file, random_network, cli):
    import numpy as np

    from assocrate.retrieval import make_cues, retrieve

    code, out, err = cli("retrieve", network_file, "--sigma", 0.1, "--seed", 4, "--n-steps", 999,
                         "--boundary", "reflect", "--normalize", "nq", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["boundary"] == "reflect" and record["normalize"] == "nq" and record["n_steps"] == 999
    cues = make_cues(random_network, "delete", 0.4, seed=4)
    expected = retrieve(random_network, cues, n_steps=999, sigma=0.1, boundary="reflect", normalize="nq",
                        seed=np.random.default_rng(4))
    assert record["mean_overlap_cued"] == pytest.approx(expected.to_record()["mean_overlap_cued"], abs=1e-12)
    default = json.loads(cli("retrieve", network_file, "--json")[1])
    assert default["boundary"] == "none" and default["normalize"] == "pattern" and default["n_steps"] == 1000


@pytest.mark.parametrize(
    ("args", "message"),
    [(("--boundary", "wrap"), "--boundary"), (("--normalize", "N"), "--normalize"),
     (("--t-max", 5, "--n-steps", 10), "n_steps")],
)
def test_retrieve_refuses_bad_grid_and_boundary_options(network_file, cli, args, message):
    code, out, err = cli("retrieve", network_file, *args)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err


@pytest.fixture(scope="module")
def picture_file(tmp_path_factory):
    """48 units drawn as 6 x 8 images: 3 random pictures, any shape (not letters)."""
    from assocrate.core.design import design
    from assocrate.core.patterns import random_patterns

    network = design(random_patterns(48, 3, 0.3, seed=2), REFERENCE_SIGMOID, -0.3, 0.95, rule="projection")
    return save_network(tmp_path_factory.mktemp("pictures") / "pictures.npz", network)


def test_retrieve_snapshots_of_one_cue(picture_file, tmp_path, cli):
    snapshots = tmp_path / "snapshots.png"
    code, out, err = cli("retrieve", picture_file, "--cue", "flip:0.1", "--seed", 1, "--json",
                         "--snapshots", snapshots, "--shape", "6x8", "--snapshot-cue", 2)
    assert code == 0, err
    record = json.loads(out)
    assert record["snapshots"] == {"file": str(snapshots), "cue": 2, "shape": [6, 8]}
    assert snapshots.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_retrieve_snapshots_of_a_partial_cue_use_its_units(picture_file, tmp_path, cli):
    import numpy as np

    from assocrate.io import load_network

    network = load_network(picture_file)
    units = np.arange(12, 36)  # the middle 3 rows of the 6 x 8 pictures
    np.save(tmp_path / "units.npy", units)
    np.save(tmp_path / "cues.npy", network.patterns[units].astype(float))
    np.save(tmp_path / "cued.npy", np.arange(3))
    snapshots = tmp_path / "partial.svg"
    code, out, err = cli("retrieve", picture_file, "--cues", tmp_path / "cues.npy", "--cued", tmp_path / "cued.npy",
                         "--units", tmp_path / "units.npy", "--snapshots", snapshots, "--shape", "3x8")
    assert code == 0, err
    assert snapshots.stat().st_size > 0 and f"snapshots of cue 0 written to {snapshots}" in out
    code, _, err = cli("retrieve", picture_file, "--cues", tmp_path / "cues.npy", "--units", tmp_path / "units.npy",
                       "--snapshots", snapshots, "--shape", "6x8")
    assert code == 2 and err.count("\n") == 1 and "the number of --units" in err and "48" in err and "24" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [(("--shape", "7x7"), "7x7 = 49 pixels, but the images have 48 (N = 48 units)"),
     (("--shape", "6by8"), "must be ROWSxCOLS"),
     (("--shape", "0x48"), "0x48 = 0 pixels"),
     (("--shape", "6x8", "--snapshot-cue", 3), "must be in [0, 2] (the 3 cues); got 3"),
     ((), "needs --shape"),
     (("--shape", "6x8", "--figure", "x.png", "--snapshots", "x.txt"), "'--snapshots'")],
)
def test_retrieve_bad_snapshot_options_are_one_line_exit_2(picture_file, tmp_path, cli, args, message):
    code, out, err = cli("retrieve", picture_file, "--snapshots", tmp_path / "s.png", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


@pytest.mark.parametrize("option", [("--shape", "6x8"), ("--snapshot-cue", 1)])
def test_snapshot_options_without_snapshots_are_refused(picture_file, cli, option):
    code, _, err = cli("retrieve", picture_file, *option)
    assert code == 2 and err.count("\n") == 1 and "has no effect without --snapshots" in err
