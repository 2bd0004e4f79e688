"""assocrate.cli.design: ``assocrate design`` and ``dale`` (``check`` is tested in tests/sweeps/test_sweeps.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assocrate.io import load_network


def test_design_json(cli):
    code, out, err = cli("design", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["n_units"] == 1000 and record["n_patterns"] == 6
    assert record["alpha_prime"] == pytest.approx(7.812604, abs=1e-6)
    assert record["gamma"] == pytest.approx(-0.249992, abs=1e-6)
    assert record["beta"] == pytest.approx(0.2)
    assert record["max_residual"] < 1e-12
    assert {"alpha", "alpha_prime", "beta", "gamma", "max_residual", "n_units", "n_patterns"} <= set(record)


def test_design_correlated_and_saved(tmp_path, cli):
    out_file = tmp_path / "net.npz"
    code, out, _ = cli("design", "--patterns", "correlated", "--r", "0.4", "--out", str(out_file), "--json")
    assert code == 0
    record = json.loads(out)
    assert record["beta"] == pytest.approx(0.399991, abs=1e-6)
    assert load_network(out_file).gamma == pytest.approx(record["gamma"], rel=1e-15)


def test_design_random_reports_warning_on_one_line(cli):
    code, out, err = cli("design", "--patterns", "random", "--n", "500", "--p", "5", "--json")
    assert code == 0
    assert json.loads(out)["max_residual"] > 0.01
    assert err.count("\n") == 1 and err.startswith("warning: pattern sizes")


def test_design_from_csv(tmp_path, cli):
    patterns = np.zeros((50, 2), dtype=int)
    patterns[:10, 0] = 1
    patterns[5:15, 1] = 1
    path = tmp_path / "p.csv"
    np.savetxt(path, patterns, delimiter=",", fmt="%d")
    code, out, _ = cli("design", "--patterns", str(path), "--json")
    assert code == 0
    record = json.loads(out)
    assert record["n_units"] == 50 and record["exact_design"] is True


def test_non_binary_pattern_file(tmp_path, cli):
    path = tmp_path / "p.npy"
    np.save(path, np.array([[0.0, 0.5], [1.0, 0.0]]))
    code, _, err = cli("design", "--patterns", str(path))
    assert code == 2 and "`patterns` must be binary" in err


def test_dale_realization_json_and_text(tmp_path, cli):
    net_file = tmp_path / "net.npz"
    assert cli("design", "--out", str(net_file))[0] == 0
    code, out, err = cli("dale", str(net_file), "--tau-inhibitory", "10", "--n-inhibitory", "3", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["n_inhibitory"] == 3 and record["tau_inhibitory"] == 10.0
    assert record["signs"]["obeys_dale"] and record["signs"]["W_EI"] <= 0 < record["signs"]["W_IE"]
    assert record["w_EI"] == pytest.approx(record["c"] + 0.249992, abs=1e-6)  # w_EI = c - gamma
    assert record["n_stable"] == 6 == len(record["memories"])
    assert {m["designed_verdict"] for m in record["memories"]} == {"stable"}
    code, out, _ = cli("dale", str(net_file))
    assert code == 0 and "Dale's law: obeyed" in out and "6 of 6 memories stable" in out


@pytest.mark.parametrize(
    ("design_args", "dale_args", "message"),
    [
        (["--a", "0.1"], [], "gamma="),  # positive gamma: W > 0 entrywise, no Dale realization needed
        ([], ["--tau-inhibitory", "-1"], "tau_inhibitory"),
        ([], ["--n-inhibitory", "0"], "--n-inhibitory"),
    ],
)
def test_dale_bad_input_is_one_line_exit_2(tmp_path, cli, design_args, dale_args, message):
    net_file = tmp_path / "net.npz"
    assert cli("design", *design_args, "--out", str(net_file))[0] == 0
    code, out, err = cli("dale", str(net_file), *dale_args)
    assert code == 2 and out == ""
    assert err.startswith("error:") and err.count("\n") == 1 and message in err


def test_design_text_and_saved(tmp_path, cli):
    out_file = tmp_path / "net.npz"
    code, out, err = cli("design", "--n", "500", "--out", out_file)
    assert (code, err) == (0, "")
    assert "residual    max|W x̄ - h̄| = " in out and out.endswith(f"saved to {out_file}\n")
    assert load_network(out_file).n_units == 500


def test_design_rule_and_diagnose(cli):
    code, out, err = cli("design", "--patterns", "random", "--n", "200", "--p", "6", "--rule", "projection",
                         "--diagnose", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["rule"] == "projection" and record["symmetric"] is False
    assert record["max_residual"] < 1e-12
    assert record["diagnosis"]["recommended_rule"] == "projection"
    assert record["diagnosis"]["gamma_sign"] == "negative"
    code, out, err = cli("design", "--patterns", "random", "--n", "200", "--p", "6", "--diagnose")
    assert code == 0 and "remedy" in out and "unequal" not in err  # the diagnosis replaces the warning
    code, _, err = cli("design", "--rule", "hebb")
    assert code == 2 and "hebb" in err


def test_design_pattern_file_layouts(tmp_path, cli):
    from assocrate.core.patterns import random_patterns

    xi = random_patterns(40, 3, 0.3, seed=1).astype(int)
    np.savetxt(tmp_path / "by_units.csv", xi, delimiter=",", fmt="%d")
    np.savetxt(tmp_path / "by_patterns.csv", xi.T, delimiter=",", fmt="%d")
    for name, layout in (("by_units.csv", "units-by-patterns"), ("by_patterns.csv", "patterns-by-units")):
        code, out, err = cli("design", "--patterns", tmp_path / name, "--layout", layout, "--rule", "projection", "--json")
        assert code == 0, err
        assert json.loads(out)["n_units"] == 40 and json.loads(out)["n_patterns"] == 3
    silent = np.vstack([xi.T, np.zeros((1, 40), dtype=int)])  # a fourth, silent pattern row
    np.savetxt(tmp_path / "silent.csv", silent, delimiter=",", fmt="%d")
    code, _, err = cli("design", "--patterns", tmp_path / "silent.csv")  # read as 4 units x 40 patterns
    assert code == 2 and "--layout patterns-by-units" in err
    code, _, err = cli("design", "--patterns", tmp_path / "silent.csv", "--layout", "patterns-by-units")
    assert code == 2 and "pattern 3 (file row 3) has no active unit" in err and "--layout units-by-patterns" in err


def test_retrieve_t_max_counts_time_constants(tmp_path, cli):
    code, _, err = cli("design", "--n", "500", "--tau", "2", "--out", tmp_path / "net.npz")
    assert code == 0, err
    code, out, err = cli("retrieve", tmp_path / "net.npz", "--t-max", "3", "--json")
    assert code == 0, err
    assert json.loads(out)["t_max"] == pytest.approx(6.0)
