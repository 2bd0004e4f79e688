"""`assocrate retrieve` and `assocrate capacity`: JSON records, figures, checkpoints, one-line errors (exit 2)."""

from __future__ import annotations

import json
import os

import pytest
import xarray as xr

from assocrate.cli import main
from assocrate.io import save_network
from assocrate.retrieval import capacity_curve

from ..reference import REFERENCE_SIGMOID, design_quietly


@pytest.fixture(scope="module")
def network_file(tmp_path_factory, random_network):
    return save_network(tmp_path_factory.mktemp("net") / "net.npz", random_network)


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_retrieve_json_and_figure(network_file, tmp_path, capsys):
    figure = tmp_path / "overlaps.png"
    code, out, err = run(capsys, "retrieve", network_file, "--cue", "delete:0.4", "--trials", 2, "--sigma", 0.1,
                         "--seed", 0, "--json", "--figure", figure)
    assert code == 0, err
    record = json.loads(out)
    assert record["success_rate"] == 1.0 and record["n_cues"] == 28
    assert record["classes"] == {"cued memory": 28, "other memory": 0, "quiescent": 0, "all-on": 0, "none": 0}
    assert record["mean_overlap_cued"] > 0.9 and 0.15 < record["mean_overlap_other"] < 0.3
    assert figure.stat().st_size > 0 and record["figure"] == str(figure)


def test_retrieve_same_seed_same_record(network_file, capsys):
    args = ("retrieve", network_file, "--cue", "flip:0.1", "--sigma", 0.05, "--seed", 3, "--json", "--dtype", "float32")
    first = json.loads(run(capsys, *args)[1])
    second = json.loads(run(capsys, *args)[1])
    assert first == second


def test_retrieve_text(network_file, capsys):
    code, out, _ = run(capsys, "retrieve", network_file, "--cue", "input:0.3:1")
    assert code == 0 and "success rate        1.000" in out


@pytest.mark.parametrize("cue", ["erase:0.4", "delete:1.5", "delete", "noise:x"])
def test_retrieve_bad_cue_is_one_line_exit_2(network_file, capsys, cue):
    code, out, err = run(capsys, "retrieve", network_file, "--cue", cue)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and "'--cue'" in err


def test_retrieve_missing_file_exit_2(tmp_path, capsys):
    code, _, err = run(capsys, "retrieve", tmp_path / "missing.npz")
    assert code == 2 and err.startswith("error: ")


def test_capacity_json_and_figure(tmp_path, capsys):
    figure = tmp_path / "capacity.png"
    code, out, err = run(capsys, "capacity", "--n", 200, "--loads", "0.02,0.05", "--seed", 1, "--json",
                         "--figure", figure, "--scheduler", "synchronous")
    assert code == 0, err
    record = json.loads(out)
    assert record["n_patterns"] == [4, 10] and record["success_rate"][0] == 1.0
    assert figure.stat().st_size > 0


def test_capacity_text_on_the_default_local_cluster(capsys):
    code, out, _ = run(capsys, "capacity", "--n", 150, "--loads", "0.02:0.04:2", "--t-max", 5)
    assert code == 0 and "all three" in out


@pytest.mark.parametrize(("option", "value"), [("--loads", "0.1:0.2"), ("--loads", "-0.1"), ("--loads", "a,b"),
                                               ("--cue", "erase:1"), ("--scheduler", "locl"),
                                               ("--scheduler", "tcp//host"), ("--checkpoint", "missing/sweep.nc"),
                                               ("--checkpoint", "."), ("--out", "missing/sweep.nc"),
                                               ("--figure", "missing/capacity.png")])
def test_capacity_bad_options_exit_2(tmp_path, monkeypatch, capsys, option, value):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "capacity", "--n", 100, option, value)
    assert code == 2 and err.count("\n") == 1 and f"'{option}'" in err
    assert os.listdir(tmp_path) == []


CAPACITY_ARGS = ("capacity", "--n", 150, "--loads", "0.02,0.06", "--trials", 2, "--seed", 1, "--t-max", 5)


def test_capacity_checkpoint_out_and_resume(tmp_path, capsys):
    checkpoint, out = tmp_path / "sweep.nc", tmp_path / "result.nc"
    code, stdout, err = run(capsys, *CAPACITY_ARGS, "--scheduler", "synchronous", "--checkpoint", checkpoint,
                            "--out", out, "--json")
    assert code == 0, err
    record = json.loads(stdout)
    assert (record["checkpoint"], record["out"], record["cells_loaded"]) == (str(checkpoint), str(out), 0)
    expected = capacity_curve(150, [0.02, 0.06], 0.2, REFERENCE_SIGMOID, (-0.3, 0.95), 2, 1, t_max=5.0)
    assert {key: record[key] for key in expected.to_record()} == expected.to_record()
    with xr.open_dataset(out) as written, xr.open_dataset(checkpoint) as kept:
        xr.testing.assert_identical(written.load(), kept.load())
        assert written["done"].all() and written.attrs["seed"] == 1
    code, stdout, _ = run(capsys, *CAPACITY_ARGS, "--scheduler", "synchronous", "--checkpoint", checkpoint)
    assert code == 0 and "checkpoint " + str(checkpoint) + ": 4 of 4 cells loaded, 0 computed" in stdout
    assert "all three" in stdout


def test_capacity_checkpoint_refusals_exit_2(tmp_path, capsys):
    checkpoint = tmp_path / "sweep.nc"
    assert run(capsys, *CAPACITY_ARGS, "--scheduler", "synchronous", "--checkpoint", checkpoint)[0] == 0
    before = checkpoint.read_bytes()
    code, out, err = run(capsys, *CAPACITY_ARGS[:-4], "--seed", 2, "--scheduler", "synchronous",
                         "--checkpoint", checkpoint)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("error: checkpoint ") and "`seed` is 1 there and 2 now" in err
    assert checkpoint.read_bytes() == before
    checkpoint.write_bytes(before[: len(before) // 3])
    code, out, err = run(capsys, *CAPACITY_ARGS, "--scheduler", "synchronous", "--checkpoint", checkpoint)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"error: {checkpoint}: not a readable capacity-sweep checkpoint")
    assert len(checkpoint.read_bytes()) == len(before) // 3


def test_capacity_unreachable_scheduler_exit_2(capsys):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, out, err = run(capsys, "capacity", "--n", 100, "--loads", "0.05", "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("error: ") and "tcp://127.0.0.1:9" in err


def test_retrieve_positive_gamma_network_runs_to_all_on(tmp_path, random_network, capsys):
    positive = design_quietly(random_network.patterns, REFERENCE_SIGMOID, 0.1, 0.95, q=0.2, r=0.2)
    path = save_network(tmp_path / "positive.npz", positive)
    record = json.loads(run(capsys, "retrieve", path, "--t-max", 20, "--json")[1])
    assert record["classes"]["all-on"] == 14 and record["success_rate"] == 0.0
