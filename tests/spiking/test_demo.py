"""The demo's spiking section: a Poisson realization of the reference design, or one skip line without Brian2."""

from __future__ import annotations

import pytest

import assocrate.spiking
from assocrate.cli.demo import run_demo
from assocrate.cli.demo_steps import DEMO_ACTIVATION, DEMO_ACTIVITY, DEMO_LEVELS, DEMO_UNITS, retrieve_with_spikes
from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns


def design_reference(ctx) -> list[str]:
    """The demo's equal-overlap network only (its first step also designs random networks and draws them)."""
    patterns = equal_overlap_patterns(DEMO_UNITS, DEMO_ACTIVITY)
    ctx.networks["equal overlap"] = design(patterns, DEMO_ACTIVATION, *DEMO_LEVELS["negative gamma"])
    return []


STEPS = (("designing the reference network", design_reference), ("retrieving with spiking neurons", retrieve_with_spikes))


def test_the_spiking_section_retrieves_and_draws_a_raster(tmp_path):
    pytest.importorskip("brian2")
    result = run_demo(tmp_path, steps=STEPS)
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Spiking neurons" in report and "![raster](raster.png)" in report
    assert (tmp_path / "raster.png").stat().st_size > 0
    assert result.numbers["spiking success"] >= 11 / 12
    assert result.numbers["spiking rate active (Hz)"] > 90 and result.numbers["spiking rate inactive (Hz)"] < 1
    assert result.step_seconds["retrieve_with_spikes"] < 10


def test_the_spiking_section_is_skipped_without_brian2(tmp_path, monkeypatch):
    monkeypatch.setattr(assocrate.spiking, "is_brian2_available", lambda: False)
    result = run_demo(tmp_path, steps=STEPS)
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Spiking neurons" in report and "Skipped: the spiking realizations need Brian2" in report
    assert not (tmp_path / "raster.png").exists() and "spiking success" not in result.numbers
