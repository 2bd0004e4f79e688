"""assocrate.ctrnn.export: the nn.Linear layout, the E/I mask of a Dale realization, atomic writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assocrate.core.activations import Sigmoid
from assocrate.core.design import design
from assocrate.ctrnn import CTRNN_FORMAT, discretize, export_ctrnn
from assocrate.dale import dale_realization
from assocrate.errors import InvalidInput, InvalidType


def _load(path):
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


@pytest.mark.parametrize("form", ["current", "rate"])
def test_export_layout(small, tmp_path, form):
    W_in = small.patterns.astype(float)
    d = discretize(small, 0.2, form=form, input_weights=W_in)
    data = _load(export_ctrnn(d, tmp_path / "ctrnn.npz", dense=True, dale=dale_realization(small, n_inhibitory=2)))
    np.testing.assert_allclose(data["W_hid"], small.dense_weights(), rtol=0, atol=1e-15)
    np.testing.assert_allclose(data["U"] @ np.diag(data["c"]) @ data["U"].T, small.dense_weights(), atol=1e-15)
    np.testing.assert_array_equal(data["W_in"], W_in)
    np.testing.assert_array_equal(data["b_hid"], np.zeros(small.n_units))
    assert float(data["gamma"]) == 0.2
    # an nn.Linear-style CTRNN step from the exported arrays equals the library's step
    V = d.memory_states()[:, :2] + 0.1
    u = np.ones((small.n_patterns, 2))
    g, f = float(data["gamma"]), small.activation.phi
    drive = data["W_in"] @ u + data["b_hid"][:, None]
    if form == "current":
        manual = (1 - g) * V + g * (data["W_hid"] @ f(V) + drive)
    else:
        manual = (1 - g) * V + g * f(data["W_hid"] @ V + drive)
    np.testing.assert_allclose(manual, d.step(V, u), atol=1e-12)
    # E/I: the sign of every weight a unit sends agrees with its mask entry
    mask = data["ei_mask"]
    assert mask.tolist() == [1] * small.n_units + [-1, -1]
    assert np.all(data["W_hid_dale"] * mask[None, :] >= -1e-12)  # column j: the weights unit j sends
    metadata = json.loads(str(data["metadata"]))
    assert metadata["format"] == CTRNN_FORMAT and metadata["form"] == form and metadata["dale"]["n_inhibitory"] == 2
    assert metadata["update"].startswith("v[t+1]" if form == "current" else "x[t+1]")
    assert metadata["gamma"] == 0.2 and metadata["n_inputs"] == small.n_patterns
    np.testing.assert_allclose(data["W_out"] @ small.memory_rates(), d.readout @ small.memory_rates())
    np.testing.assert_allclose(np.diag(data["W_out"] @ small.memory_rates()), small.activation.phi(small.b))


def test_export_dale_factors_and_step_ratios(small, tmp_path):
    dale = dale_realization(small, n_inhibitory=3, tau_inhibitory=0.5)
    data = _load(export_ctrnn(discretize(small, 0.1), tmp_path / "ctrnn.npz", dale=dale))
    assert "W_hid_dale" not in data and "W_hid" not in data
    blocks = dale.dense_blocks()
    np.testing.assert_allclose(data["U"] @ np.diag(data["c_EE"]) @ data["U"].T, blocks.EE, atol=1e-15)
    assert float(data["w_IE"]) == pytest.approx(blocks.IE[0, 0]) and float(data["w_EI"]) == pytest.approx(blocks.EI[0, 0])
    np.testing.assert_allclose(data["gamma_units"], [0.1] * small.n_units + [0.2] * 3)


def test_export_factors_only_and_atomic(small, tmp_path):
    target = tmp_path / "ctrnn.npz"
    target.write_bytes(b"old")
    with pytest.raises(InvalidType, match="`discrete` must be a DiscreteNetwork"):
        export_ctrnn(small, target)
    other = design(small.patterns, Sigmoid(3.0, 0.2), small.a, small.b)
    with pytest.raises(InvalidInput, match="`dale` must be a realization of the exported network"):
        export_ctrnn(discretize(small, 0.1), target, dale=dale_realization(other))
    with pytest.raises(InvalidType, match="`dale` must be a DaleNetwork"):
        export_ctrnn(discretize(small, 0.1), target, dale=small)
    assert target.read_bytes() == b"old"
    export_ctrnn(discretize(small, 0.1), target)
    data = _load(target)
    assert "W_hid" not in data and "ei_mask" not in data
    np.testing.assert_array_equal(data["W_in"], np.eye(small.n_units))
    assert [p.name for p in tmp_path.iterdir()] == ["ctrnn.npz"]
    with pytest.raises(FileNotFoundError):
        export_ctrnn(discretize(small, 0.1), tmp_path / "missing" / "x.npz")
