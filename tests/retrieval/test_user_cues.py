"""Cues a user brings (issue 18 item 3): arrays, partial cues, per-memory results, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

import assocrate as aa
from assocrate.cli import main
from assocrate.retrieval.cues import cue_rates

SIGMOID = aa.Sigmoid(4.8, 0.2)


@pytest.fixture(scope="module")
def net():
    return aa.design(aa.equal_overlap_patterns(500, 0.2), SIGMOID, -0.3, 0.95)


def test_binary_and_rate_cues(net):
    binary = net.patterns[:, [0, 1, 2]]
    cues = aa.user_cues(net, binary, cued=[0, 1, 2])
    np.testing.assert_array_equal(cues.x0, cue_rates(net, binary))
    np.testing.assert_array_equal(aa.user_cues(net, binary.astype(float)).x0, cues.x0)  # 0/1 floats are binary
    rates = np.full((500, 1), 0.3)
    np.testing.assert_array_equal(aa.user_cues(net, rates).x0, rates)
    assert aa.user_cues(net, rates).cued.tolist() == [-1]


def test_partial_cues_start_the_rest_at_the_quiescent_rate(net):
    units = np.arange(250)
    cues = aa.user_cues(net, net.patterns[:250, :2], cued=[0, 1], units=units)
    quiescent = min(s.rate for s in aa.uniform_states(net))
    np.testing.assert_array_equal(cues.x0[250:], quiescent)
    mask = np.zeros(500, dtype=bool)
    mask[units] = True
    np.testing.assert_array_equal(aa.user_cues(net, net.patterns[:250, :2], units=mask).x0, cues.x0)
    result = aa.retrieve(net, cues)
    assert result.success_rate == 1.0


def test_per_memory_results_and_confusion(net):
    cues = aa.user_cues(net, net.patterns[:, [0, 0, 3, 3, 3]], cued=[0, 1, 3, 3, -1])
    result = aa.retrieve(net, cues)
    rows = {row["memory"]: row for row in result.per_memory()}
    assert rows[0] == {"memory": 0, "n_cues": 1, "n_success": 1, "success_rate": 1.0}
    assert rows[1]["n_success"] == 0 and rows[3]["n_cues"] == 2
    confusion = result.confusion()
    assert confusion["1"] == {"memory 0": 1} and confusion["3"] == {"memory 3": 2} and confusion["-1"] == {"memory 3": 1}
    record = result.to_record()
    assert record["per_memory"] == result.per_memory() and record["confusion"] == confusion


def test_bad_user_cues(net):
    with pytest.raises(aa.InvalidInput, match="one row per cued unit"):
        aa.user_cues(net, np.zeros((10, 2)))
    with pytest.raises(aa.InvalidInput, match="in \\[0, 1\\]"):
        aa.user_cues(net, np.full((500, 1), 1.5))
    with pytest.raises(aa.InvalidInput, match="one memory per cue column"):
        aa.user_cues(net, net.patterns[:, :2], cued=[0])
    with pytest.raises(aa.InvalidInput, match="`cued`"):
        aa.user_cues(net, net.patterns[:, :1], cued=[99])
    with pytest.raises(aa.InvalidInput, match="binary"):
        aa.user_cues(net, np.full((500, 1), 2, dtype=int))


def test_cli_cues_file(tmp_path, net, capsys):
    aa.save_network(tmp_path / "net.npz", net)
    np.save(tmp_path / "cues.npy", net.patterns[:, [2, 4]])
    np.savetxt(tmp_path / "cued.csv", np.array([[2, 4]]), delimiter=",", fmt="%d")
    code = main(["retrieve", str(tmp_path / "net.npz"), "--cues", str(tmp_path / "cues.npy"),
                 "--cued", str(tmp_path / "cued.csv"), "--json"])
    assert code == 0
    record = json.loads(capsys.readouterr().out)
    assert record["n_cues"] == 2 and record["success_rate"] == 1.0
    assert [row["memory"] for row in record["per_memory"]] == [2, 4]
    code = main(["retrieve", str(tmp_path / "net.npz"), "--cued", str(tmp_path / "cued.csv")])
    assert code == 2
