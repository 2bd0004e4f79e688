"""The command line: JSON output, saved files, one-line errors with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from assocrate.cli import app, main
from assocrate.io import load_network


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_design_json(capsys):
    code, out, err = run(capsys, "design", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["n_units"] == 1000 and record["n_patterns"] == 6
    assert record["alpha_prime"] == pytest.approx(7.812604, abs=1e-6)
    assert record["gamma"] == pytest.approx(-0.249992, abs=1e-6)
    assert record["beta"] == pytest.approx(0.2)
    assert record["max_residual"] < 1e-12
    assert {"alpha", "alpha_prime", "beta", "gamma", "max_residual", "n_units", "n_patterns"} <= set(record)


def test_design_correlated_and_saved(tmp_path, capsys):
    out_file = tmp_path / "net.npz"
    code, out, _ = run(capsys, "design", "--patterns", "correlated", "--r", "0.4", "--out", str(out_file), "--json")
    assert code == 0
    record = json.loads(out)
    assert record["beta"] == pytest.approx(0.399991, abs=1e-6)
    assert load_network(out_file).gamma == pytest.approx(record["gamma"], rel=1e-15)


def test_design_random_reports_warning_on_one_line(capsys):
    code, out, err = run(capsys, "design", "--patterns", "random", "--n", "500", "--p", "5", "--json")
    assert code == 0
    assert json.loads(out)["max_residual"] > 0.01
    assert err.count("\n") == 1 and err.startswith("warning: pattern sizes")


def test_design_from_csv(tmp_path, capsys):
    patterns = np.zeros((50, 2), dtype=int)
    patterns[:10, 0] = 1
    patterns[5:15, 1] = 1
    path = tmp_path / "p.csv"
    np.savetxt(path, patterns, delimiter=",", fmt="%d")
    code, out, _ = run(capsys, "design", "--patterns", str(path), "--json")
    assert code == 0
    record = json.loads(out)
    assert record["n_units"] == 50 and record["exact_design"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["design", "--q", "1.5"], "`q` must be in (0, 1); got 1.5"),
        (["design", "--a", "1", "--b", "0.5"], "`a` must be < `b`; got a=1.0, b=0.5"),
        (["design", "--n", "abc"], "'--n'"),
        (["design", "--patterns", "letters"], "'--patterns': 'letters' is not one of"),
        (["design", "--patterns", "correlated"], "'--r'"),
        (["design", "--activation", "relu"], "'--activation'"),
        (["design", "--activation", "tanh", "--threshold", "0.75", "--b", "0.7"], "phi(b) > phi(a)"),
        (["design", "--patterns", "missing.npy"], "missing.npy: no such file"),
        (["design", "--rho", "-1"], "`rho` must be > 0; got -1.0"),
        (["design", "--tau", "0"], "`tau` must be > 0; got 0.0"),
        (["nonsense"], "No such command"),
        (["design", "--out", "no-such-directory/net.npz"], "no-such-directory' does not exist"),
        (["design", "--a", "-1e308", "--b", "1e308"], "non-finite design parameters"),
        (["retrieve", "missing.npz"], "missing.npz"),
    ],
)
def test_errors_are_one_line_exit_2(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err
    assert "Traceback" not in err


def test_non_binary_pattern_file(tmp_path, capsys):
    path = tmp_path / "p.npy"
    np.save(path, np.array([[0.0, 0.5], [1.0, 0.0]]))
    code, _, err = run(capsys, "design", "--patterns", str(path))
    assert code == 2 and "`patterns` must be binary" in err


def test_help_and_runner():
    result = CliRunner().invoke(app, ["design", "--help"])
    assert result.exit_code == 0
    assert "--patterns" in result.output


def test_no_arguments_shows_help(capsys):
    code, out, _ = run(capsys)
    assert code == 0 and "Commands" in out


def test_dale_realization_json_and_text(tmp_path, capsys):
    net_file = tmp_path / "net.npz"
    assert run(capsys, "design", "--out", str(net_file))[0] == 0
    code, out, err = run(capsys, "dale", str(net_file), "--tau-inhibitory", "10", "--n-inhibitory", "3", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["n_inhibitory"] == 3 and record["tau_inhibitory"] == 10.0
    assert record["signs"]["obeys_dale"] and record["signs"]["W_EI"] <= 0 < record["signs"]["W_IE"]
    assert record["w_EI"] == pytest.approx(record["c"] + 0.249992, abs=1e-6)  # w_EI = c - gamma
    assert record["n_stable"] == 6 == len(record["memories"])
    assert {m["designed_verdict"] for m in record["memories"]} == {"stable"}
    code, out, _ = run(capsys, "dale", str(net_file))
    assert code == 0 and "Dale's law: obeyed" in out and "6 of 6 memories stable" in out


@pytest.mark.parametrize(
    ("design_args", "dale_args", "message"),
    [
        (["--a", "0.1"], [], "gamma="),  # positive gamma: W > 0 entrywise, no Dale realization needed
        ([], ["--tau-inhibitory", "-1"], "tau_inhibitory"),
        ([], ["--n-inhibitory", "0"], "--n-inhibitory"),
    ],
)
def test_dale_bad_input_is_one_line_exit_2(tmp_path, capsys, design_args, dale_args, message):
    net_file = tmp_path / "net.npz"
    assert run(capsys, "design", *design_args, "--out", str(net_file))[0] == 0
    code, out, err = run(capsys, "dale", str(net_file), *dale_args)
    assert code == 2 and out == ""
    assert err.startswith("error:") and err.count("\n") == 1 and message in err
