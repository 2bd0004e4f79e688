"""assocrate.cli.demo and demo_steps: report, figures and the key numbers of theory.md §7.

The tests that use the full demo (the module fixture `demo`) are marked slow: ``-m "not slow"`` skips it.
"""

from __future__ import annotations

import pytest

from assocrate.cli import main
from assocrate.cli.demo import STEPS, run_demo

FIGURES = ["equal_overlap_weights.png", "random_weights.png", "overlaps.png", "overlaps_noisy.png", "basins.png",
           "capacity.png", "letters.png", "phase_diagrams.png"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    calls = []
    result = run_demo(tmp_path_factory.mktemp("demo"), seed=0, progress=lambda *args: calls.append(args))
    return result, calls


@pytest.mark.slow  # the full demo (the module fixture `demo`)
def test_demo_writes_report_and_figures(demo):
    result, _ = demo
    names = {path.name for path in result.files}
    assert {"report.md", "equal_overlap.npz", "random_negative_gamma.npz", *FIGURES} <= names
    for path in result.files:
        assert path.exists() and path.stat().st_size > 0
    report = (result.out_dir / "report.md").read_text()
    for figure in FIGURES:
        assert f"]({figure})" in report
    for heading in ("## Design", "## Equilibria", "## Local stability", "## Phase diagrams", "## Retrieval",
                    "## Basins", "## Certified retrieval radius", "## Capacity", "## Letters"):
        assert heading in report


@pytest.mark.slow  # the full demo (the module fixture `demo`)
def test_demo_reproduces_the_reference_experiment(demo):
    numbers = demo[0].numbers
    assert numbers["n_patterns"] == 14
    assert numbers["negative gamma success"] == 1.0 and numbers["negative gamma success at t=10"] == 1.0
    assert numbers["negative gamma nonstored quiescent"] == 1.0
    assert numbers["negative gamma overlap cued"] == pytest.approx(1.0, abs=1e-3)
    assert numbers["negative gamma overlap other"] == pytest.approx(0.2, abs=0.01)
    assert numbers["positive gamma success"] == 0.0 and numbers["positive gamma all-on"] == 1.0
    assert numbers["positive gamma all-on at t=10"] >= 0.8
    assert numbers["negative gamma noisy success"] == 1.0
    assert 0.5 <= numbers["basin edge delete"] < 1.0 and 0.2 <= numbers["basin edge flip"] < 0.5
    assert numbers["capacity 0.9"] >= 0.06
    assert numbers["letters padded success"] == 1.0 and numbers["letters bare success"] < 0.5


@pytest.mark.slow  # the full demo (the module fixture `demo`)
def test_demo_checks_and_certifies(demo):
    result, _ = demo
    numbers = result.numbers
    # Local stability from the exact spectra: every memory of the retrieving designs is stable.
    assert numbers["equal overlap stable memories"] == 6
    assert numbers["negative gamma stable memories"] == 14
    # theory.md §5 item 3b: certified radius 0.561 by interval iteration on the equal-overlap reference
    # design (the Metzler box alone: 0.414; box corners fail at 0.62).
    assert numbers["radius equal overlap"] == pytest.approx(0.561, abs=1e-3)
    assert numbers["radius min"] > 0.0
    # A certified cue that the simulation does not retrieve would be a false certificate.
    assert numbers["certified but not retrieved"] == 0
    names = {path.name for path in result.files}
    assert "radius_0.json" in names and "phase_sigmoid_negative_gamma.nc" in names


@pytest.mark.slow  # the full demo (the module fixture `demo`)
def test_demo_reports_progress_and_timing(demo):
    result, calls = demo
    assert [c[1] for c in calls] == list(range(len(STEPS) + 1)) and all(c[2] == len(STEPS) for c in calls)
    assert set(result.step_seconds) == {step.__name__ for _, step in STEPS}
    assert "demo finished" in result.summary()


def test_demo_runs_a_subset_of_steps(tmp_path):
    result = run_demo(tmp_path, steps=STEPS[:2])
    assert {path.name for path in result.files} >= {"report.md", "equal_overlap_weights.png"}
    assert "## Retrieval" not in (tmp_path / "report.md").read_text()


def test_demo_command(tmp_path, capsys, monkeypatch):
    """The command wires run_demo to a progress bar (one quick step here; the full demo runs above)."""
    import assocrate.cli.demo

    full = assocrate.cli.demo.run_demo
    monkeypatch.setattr(assocrate.cli.demo, "run_demo", lambda out, **kwargs: full(out, steps=STEPS[:1], **kwargs))
    code = main(["demo", "--out", str(tmp_path / "out")])
    assert code == 0
    assert "demo finished" in capsys.readouterr().out
    assert (tmp_path / "out" / "report.md").exists()
