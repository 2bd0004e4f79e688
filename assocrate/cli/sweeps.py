"""``assocrate phase`` and ``capacity``: sweeps over a grid, with a progress bar, a Dataset and a figure.

The library is imported at the start of each command so that ``assocrate --help`` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..core.activations import activation_from_name
from .options import (
    ActivationName,
    ActivationOption,
    ActivityOption,
    CountOption,
    CueOption,
    DurationOption,
    FigureOption,
    GainOption,
    HighOption,
    JsonOption,
    LowOption,
    PatternsOption,
    SeedOption,
    TauOption,
    ThresholdOption,
    UnitsOption,
    build_patterns,
    echo_result,
    grid_axis,
    is_named_ensemble,
    output_path,
    parse_cue_option,
    parse_loads,
    parse_scheduler,
    progress_bar,
)

__all__ = ["capacity_command", "phase_command"]

DatasetOption = Annotated[Optional[Path], typer.Option("--out", help="Write the Dataset here (netCDF, atomically).")]


def _written(outputs: dict[str, Path | None], indent: str = "") -> list[str]:
    return [f"{indent}{label} written to {path}" for label, path in outputs.items() if path is not None]


def phase_command(
    activation: ActivationOption = ActivationName.sigmoid,
    a: LowOption = -0.3,
    b: HighOption = 0.95,
    rho_range: Annotated[
        tuple[float, float, int], typer.Option("--rho-range", help="Gain axis: START STOP NUM.")
    ] = (0.2, 5.0, 30),
    threshold_range: Annotated[
        tuple[float, float, int], typer.Option("--threshold-range", help="Threshold axis: START STOP NUM.")
    ] = (0.0, 0.9, 30),
    patterns: PatternsOption = "equal-overlap",
    n: UnitsOption = 1000,
    p: CountOption = None,
    q: Annotated[Optional[float], typer.Option(
        "--q", help="Activity q: builds a named ensemble (0.2 if omitted) and is the design's q in every cell; "
                    "omitted with a pattern file, it is estimated (the Dataset's q_source says which).",
    )] = None,
    r: Annotated[Optional[float], typer.Option(
        "--r", help="Overlap fraction r: builds correlated patterns and is the design's r in every cell; "
                    "estimated from the patterns when omitted (r_source says which).",
    )] = None,
    seed: SeedOption = 0,
    tau: TauOption = 1.0,
    out: DatasetOption = None,
    figure: Annotated[Optional[Path], typer.Option("--figure", help="Draw the phase diagram here (.png/.pdf/.svg).")] = None,
    prove: Annotated[
        bool, typer.Option("--prove", help="Also prove every cell exactly: stable (Lyapunov P = D^-1), unstable "
                           "(rational witness) or undecided; exact designs only.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Phase diagram of local stability over gain rho and threshold x* (theory.md §4)."""
    from ..plots import phase_diagram as draw_phase_diagram
    from ..plots import save_figure
    from ..sweeps import phase_diagram, save_dataset

    rho = grid_axis("--rho-range", rho_range)
    threshold = grid_axis("--threshold-range", threshold_range)
    # a named ensemble is built by phase_diagram (which records its name); a file is loaded here
    source = patterns if is_named_ensemble(patterns, r) else build_patterns(
        patterns, n=n, p=p, q=0.2 if q is None else q, r=r, seed=seed
    )
    with progress_bar("phase diagram", "cells") as progress:
        dataset = phase_diagram(
            activation=activation.value, a=a, b=b, rho=rho, threshold=threshold, patterns=source, n_units=n,
            q=q, n_patterns=p, r=r, seed=seed, tau=tau, progress=progress, prove=prove,
        )
    if out is not None:
        save_dataset(out, dataset)
    if figure is not None:
        save_figure(draw_phase_diagram(dataset), figure)
    valid = int(dataset["valid"].sum())
    record = {
        **{key: (value.item() if hasattr(value, "item") else value) for key, value in dataset.attrs.items()},
        "n_rho": int(rho.size),
        "n_threshold": int(threshold.size),
        "n_valid": valid,
        "n_unstable": int(dataset["unstable"].sum()),
        "n_stable": valid - int(dataset["unstable"].sum()),
        "n_sufficient": int(dataset["sufficient_holds"].sum()),
        "n_instability": int(dataset["instability_holds"].sum()),
        "out": None if out is None else str(out),
        "figure": None if figure is None else str(figure),
    }
    lines = [
        f"phase diagram ({record['activation']}, a={a:g}, b={b:g}, {record['ensemble']} N={record['N']} "
        f"P={record['P']}, {record['method']}): {rho.size} x {threshold.size} cells, {valid} valid",
        f"  stable {record['n_stable']}, unstable {record['n_unstable']}; sufficient condition holds in "
        f"{record['n_sufficient']}, instability condition in {record['n_instability']}",
    ]
    if prove:
        from ..sweeps.proof import STABLE_PROVED, UNDECIDED, UNSTABLE_PROVED

        proof = dataset["proof"].values
        record.update({"n_stable_proved": int((proof == STABLE_PROVED).sum()),
                       "n_unstable_proved": int((proof == UNSTABLE_PROVED).sum()),
                       "n_undecided": int((proof == UNDECIDED).sum())})
        lines.append(f"  proved exactly: stable {record['n_stable_proved']}, unstable {record['n_unstable_proved']}, "
                     f"undecided {record['n_undecided']}")
    echo_result(record, lines + _written({"dataset": out, "figure": figure}, indent="  "), as_json=as_json)


def capacity_command(
    n: UnitsOption = 1000,
    loads: Annotated[
        str, typer.Option("--loads", help="Loads P/N: START:STOP:COUNT or a comma-separated list.")
    ] = "0.01:0.1:7",
    q: ActivityOption = 0.2,
    activation: ActivationOption = ActivationName.sigmoid,
    rho: GainOption = 4.8,
    threshold: ThresholdOption = 0.2,
    a: LowOption = -0.3,
    b: HighOption = 0.95,
    trials: Annotated[int, typer.Option("--trials", help="Random pattern sets per load.")] = 1,
    seed: SeedOption = 0,
    cue: CueOption = "delete:0.4",
    t_max: DurationOption = 10.0,
    scheduler: Annotated[
        str,
        typer.Option("--scheduler", help="local (a LocalCluster, one worker process per core), synchronous (no "
                     "cluster: small sweeps) or the address of a running dask scheduler, e.g. tcp://HOST:8786."),
    ] = "local",
    checkpoint: Annotated[
        Optional[Path],
        typer.Option("--checkpoint", help="Keep finished cells in this netCDF file as they complete; rerunning "
                     "with the same options resumes from it."),
    ] = None,
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Write the sweep Dataset here (netCDF, atomically).")
    ] = None,
    figure: FigureOption = None,
    as_json: JsonOption = False,
) -> None:
    """Capacity of random patterns: fraction of memories that are stable equilibria and retrieved, vs P/N.

    Every (load, pattern set) cell is a dask task (theory.md §8); the numbers do not depend on --scheduler.
    """
    from ..plots import capacity_plot, save_figure
    from ..sweeps import capacity, save_dataset

    load_values = parse_loads(loads)
    parse_cue_option(cue)
    scheduler = parse_scheduler(scheduler)
    for option, path in (("--checkpoint", checkpoint), ("--out", out), ("--figure", figure)):
        output_path(option, path)
    function = activation_from_name(activation.value, rho=rho, threshold=threshold)
    computed = []
    with progress_bar("capacity", "pattern sets") as show:

        def progress(done: int, total: int) -> None:
            computed.append(done)
            show(done, total)

        curve = capacity(
            n, load_values, q, function, (a, b), trials, seed, cue=cue, t_max=t_max, scheduler=scheduler,
            checkpoint=checkpoint, progress=progress,
        )
    dataset = curve.dataset
    record = curve.to_record()
    if checkpoint is not None:
        record["checkpoint"] = str(checkpoint)
        record["cells_loaded"] = int(dataset["done"].size) - len(computed)
    if out is not None:
        save_dataset(out, dataset)
        record["out"] = str(out)
    if figure is not None:
        save_figure(capacity_plot(curve), figure)
        record["figure"] = str(figure)
    resumed = None
    if checkpoint is not None:
        resumed = (f"checkpoint {checkpoint}: {record['cells_loaded']} of {dataset['done'].size} cells loaded, "
                   f"{len(computed)} computed")
    echo_result(record, [curve.summary(), resumed, *_written({"dataset": out, "figure": figure})], as_json=as_json)
