"""The main job: design, verify and retrieve, with a report and figures written to a directory.

:func:`run_demo` is what ``assocrate demo`` calls. It runs a sequence of small steps (`STEPS`, in
:mod:`assocrate.cli.demo_steps`); each step takes the shared :class:`DemoContext`, may add
networks, results, figures and key numbers to it, and returns its section of ``report.md``. A new
analysis is one more function in `STEPS`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ..io import atomic_write_text
from .demo_steps import DEMO_ACTIVATION, DEMO_ACTIVITY, DEMO_LEVELS, DEMO_UNITS, STEPS, DemoContext

__all__ = [
    "DEMO_ACTIVATION",
    "DEMO_ACTIVITY",
    "DEMO_LEVELS",
    "DEMO_UNITS",
    "STEPS",
    "DemoContext",
    "DemoResult",
    "run_demo",
]


@dataclass(frozen=True)
class DemoResult:
    """What the demo wrote, its key numbers and how long it took.

    Attributes
    ----------
    out_dir : pathlib.Path
    files : tuple of pathlib.Path
        Report, figures and saved networks.
    numbers : mapping of str to float
        Key numbers of the report (success rates, overlaps, capacity, ...).
    seconds : float
    step_seconds : mapping of str to float
        Wall time per step.
    """

    out_dir: Path
    files: tuple[Path, ...]
    numbers: MappingProxyType
    seconds: float
    step_seconds: MappingProxyType

    def summary(self) -> str:
        """Where the report and figures are, and the headline numbers."""
        listed = "\n".join(f"  {path}" for path in self.files)
        n = self.numbers
        headline = (
            f"gamma < 0: {n.get('negative gamma success', float('nan')):.0%} of cued memories retrieved; "
            f"gamma > 0: {n.get('positive gamma all-on', float('nan')):.0%} of cues ran to the all-on state"
        )
        return f"demo finished in {self.seconds:.1f} s; {headline}; wrote\n{listed}"


def run_demo(
    out_dir: str | os.PathLike,
    *,
    seed: int = 0,
    progress: Callable[[str, int, int], None] | None = None,
    steps: tuple[tuple[str, Callable[[DemoContext], list[str]]], ...] = STEPS,
) -> DemoResult:
    """Design the reference networks, check and retrieve them, and write ``report.md`` and figures.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Directory for the outputs (created if missing).
    seed : int, default 0
        Seed for the random patterns, cues and noise.
    progress : callable, optional
        Called as ``progress(description, done, total)`` before each step and once at the end.
    steps : tuple of (str, callable), default `STEPS`
        The steps to run (a subset for a quick look).

    Returns
    -------
    DemoResult
    """
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda _description, _done, _total: None)
    ctx = DemoContext(out=out, seed=seed)
    lines = [
        "# assocrate demo report",
        "",
        f"Reference setting (theory.md §7): N={DEMO_UNITS}, q={DEMO_ACTIVITY}, {DEMO_ACTIVATION!r}, tau=1, seed={seed}.",
        "",
    ]
    timings = {}
    for done, (description, step) in enumerate(steps):
        report(description, done, len(steps))
        step_start = time.perf_counter()
        lines += step(ctx)
        timings[step.__name__] = time.perf_counter() - step_start
    seconds = time.perf_counter() - start
    lines += ["## Timing", "", f"Total {seconds:.1f} s: "
              + ", ".join(f"{name.replace('_', ' ')} {t:.1f} s" for name, t in timings.items()) + ".", ""]
    report("writing report.md", len(steps), len(steps))
    ctx.files.insert(0, atomic_write_text(out / "report.md", "\n".join(lines)))
    return DemoResult(
        out_dir=out,
        files=tuple(ctx.files),
        numbers=MappingProxyType(dict(ctx.numbers)),
        seconds=time.perf_counter() - start,
        step_seconds=MappingProxyType(timings),
    )
