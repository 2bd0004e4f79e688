"""assocrate.cli.sweeps: ``assocrate capacity``: JSON records, figures, checkpoints, one-line errors (exit 2).

``assocrate phase`` (and ``check``) are tested in tests/sweeps/test_sweeps.py.
"""

from __future__ import annotations

import json
import os

import pytest
import xarray as xr

from assocrate.sweeps import capacity

from ..reference import REFERENCE_SIGMOID


def test_capacity_json_and_figure(tmp_path, cli):
    figure = tmp_path / "capacity.png"
    code, out, err = cli("capacity", "--n", 200, "--loads", "0.02,0.05", "--seed", 1, "--json",
                         "--figure", figure, "--scheduler", "synchronous")
    assert code == 0, err
    record = json.loads(out)
    assert record["n_patterns"] == [4, 10] and record["success_rate"][0] == 1.0
    assert figure.stat().st_size > 0


def test_capacity_text_on_the_default_local_cluster(cli):
    code, out, _ = cli("capacity", "--n", 150, "--loads", "0.02:0.04:2", "--t-max", 5)
    assert code == 0 and "all three" in out


@pytest.mark.parametrize(("option", "value"), [("--loads", "0.1:0.2"), ("--loads", "-0.1"), ("--loads", "a,b"),
                                               ("--cue", "erase:1"), ("--scheduler", "locl"),
                                               ("--scheduler", "tcp//host"), ("--checkpoint", "missing/sweep.nc"),
                                               ("--checkpoint", "."), ("--out", "missing/sweep.nc"),
                                               ("--figure", "missing/capacity.png")])
def test_capacity_bad_options_exit_2(tmp_path, monkeypatch, cli, option, value):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("capacity", "--n", 100, option, value)
    assert code == 2 and err.count("\n") == 1 and f"'{option}'" in err
    assert os.listdir(tmp_path) == []


CAPACITY_ARGS = ("capacity", "--n", 150, "--loads", "0.02,0.06", "--trials", 2, "--seed", 1, "--t-max", 5)


def test_capacity_checkpoint_out_and_resume(tmp_path, cli):
    checkpoint, out = tmp_path / "sweep.nc", tmp_path / "result.nc"
    code, stdout, err = cli(*CAPACITY_ARGS, "--scheduler", "synchronous", "--checkpoint", checkpoint,
                            "--out", out, "--json")
    assert code == 0, err
    record = json.loads(stdout)
    assert (record["checkpoint"], record["out"], record["cells_loaded"]) == (str(checkpoint), str(out), 0)
    expected = capacity(150, [0.02, 0.06], 0.2, REFERENCE_SIGMOID, (-0.3, 0.95), 2, 1, t_max=5.0)
    assert {key: record[key] for key in expected.to_record()} == expected.to_record()
    with xr.open_dataset(out) as written, xr.open_dataset(checkpoint) as kept:
        xr.testing.assert_identical(written.load(), kept.load())
        assert written["done"].all() and written.attrs["seed"] == 1
    code, stdout, _ = cli(*CAPACITY_ARGS, "--scheduler", "synchronous", "--checkpoint", checkpoint)
    assert code == 0 and "checkpoint " + str(checkpoint) + ": 4 of 4 cells loaded, 0 computed" in stdout
    assert "all three" in stdout


def test_capacity_checkpoint_refusals_exit_2(tmp_path, cli):
    checkpoint = tmp_path / "sweep.nc"
    assert cli(*CAPACITY_ARGS, "--scheduler", "synchronous", "--checkpoint", checkpoint)[0] == 0
    before = checkpoint.read_bytes()
    code, out, err = cli(*CAPACITY_ARGS[:-4], "--seed", 2, "--scheduler", "synchronous",
                         "--checkpoint", checkpoint)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("error: checkpoint ") and "`--seed` is 1 there and 2 now" in err
    assert checkpoint.read_bytes() == before
    checkpoint.write_bytes(before[: len(before) // 3])
    code, out, err = cli(*CAPACITY_ARGS, "--scheduler", "synchronous", "--checkpoint", checkpoint)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"error: {checkpoint}: not a readable capacity-sweep checkpoint")
    assert len(checkpoint.read_bytes()) == len(before) // 3


def test_capacity_unreachable_scheduler_exit_2(cli):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, out, err = cli("capacity", "--n", 100, "--loads", "0.05", "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("error: ") and "tcp://127.0.0.1:9" in err
