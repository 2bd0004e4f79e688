"""The main job: design, verify and retrieve, with a report and figures written to a directory.

:func:`run_demo` is what ``assocrate demo`` calls. It is composed of steps, each a short function
of the previous results, so that a progress bar can follow them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .activations import Sigmoid
from .design import MemoryNetwork, design
from .equilibria import equilibrium_residual, refine_equilibrium, uniform_states
from .io import atomic_write_text, save_network
from .patterns import default_pattern_count, equal_overlap_patterns, random_patterns
from .plots import patterns_and_weights, save_figure

__all__ = ["DemoResult", "run_demo"]

#: Reference setting of DESIGN.md §7.
DEMO_UNITS = 1000
DEMO_ACTIVITY = 0.2
DEMO_ACTIVATION = Sigmoid(rho=4.8, threshold=0.2)
DEMO_LEVELS = {"negative gamma": (-0.3, 0.95), "positive gamma": (0.1, 0.95)}


@dataclass(frozen=True)
class DemoResult:
    """What the demo wrote and how long it took.

    Attributes
    ----------
    out_dir : pathlib.Path
    files : tuple of pathlib.Path
        Report, figures and saved networks.
    seconds : float
    """

    out_dir: Path
    files: tuple[Path, ...]
    seconds: float

    def summary(self) -> str:
        """Where the report and figures are."""
        listed = "\n".join(f"  {path}" for path in self.files)
        return f"demo finished in {self.seconds:.1f} s; wrote\n{listed}"


def _residual_section(name: str, network: MemoryNetwork) -> list[str]:
    residuals = equilibrium_residual(network)
    refined = [refine_equilibrium(network, network.memory_rates()[:, mu]) for mu in range(network.n_patterns)]
    states = uniform_states(network)
    lines = [
        f"### {name}",
        "",
        "```",
        network.summary(),
        "```",
        "",
        f"- design residual max|W x̄ − h̄| over memories: {residuals.max():.3g} "
        f"({'exact equilibria' if residuals.max() < 1e-10 else 'approximate equilibria'})",
        f"- after Newton refinement: max residual {max(r.residual for r in refined):.3g}, "
        f"{sum(r.success for r in refined)}/{len(refined)} converged",
        "- uniform states: "
        + ", ".join(f"{s.kind} s={s.rate:.4g} ({'stable' if s.stable else 'unstable'})" for s in states),
        "",
    ]
    return lines


def run_demo(
    out_dir: str | os.PathLike,
    *,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Design the reference networks, check their equilibria and write ``report.md`` and figures.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Directory for the outputs (created if missing).
    seed : int, default 0
        Seed for the random patterns.
    progress : callable, optional
        Called with a short description before each step.

    Returns
    -------
    DemoResult
    """
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda _step: None)
    files: list[Path] = []

    report("designing the equal-overlap network")
    exact = design(equal_overlap_patterns(DEMO_ACTIVITY, DEMO_UNITS), DEMO_ACTIVATION, *DEMO_LEVELS["negative gamma"])
    files.append(save_figure(patterns_and_weights(exact), out / "equal_overlap_weights.png"))
    files.append(save_network(out / "equal_overlap.npz", exact))

    report("designing the random-pattern networks")
    n_patterns = default_pattern_count(DEMO_UNITS)
    patterns = random_patterns(DEMO_UNITS, n_patterns, DEMO_ACTIVITY, seed)
    randoms = {
        name: design(patterns, DEMO_ACTIVATION, a, b, q=DEMO_ACTIVITY, r=DEMO_ACTIVITY)
        for name, (a, b) in DEMO_LEVELS.items()
    }
    files.append(save_figure(patterns_and_weights(randoms["negative gamma"]), out / "random_weights.png"))

    report("checking equilibria")
    lines = [
        "# assocrate demo report",
        "",
        f"Reference setting (DESIGN.md §7): N={DEMO_UNITS}, q={DEMO_ACTIVITY}, {DEMO_ACTIVATION!r}, seed={seed}.",
        "",
        "## Design and equilibria",
        "",
    ]
    lines += _residual_section("Equal-overlap patterns (exact design), a=-0.3, b=0.95", exact)
    for name, network in randoms.items():
        lines += _residual_section(f"Random patterns, P={n_patterns}, {name} (a={network.a:g})", network)
    lines += ["## Figures", "", "![equal-overlap](equal_overlap_weights.png)", "", "![random](random_weights.png)", ""]
    files.insert(0, atomic_write_text(out / "report.md", "\n".join(lines)))
    return DemoResult(out_dir=out, files=tuple(files), seconds=time.perf_counter() - start)
