"""``assocrate retrieve``: cue every stored memory, run the rate dynamics, classify where it ends.

The library is imported at the start of the command so that ``assocrate --help`` stays quick.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from .options import (
    CueOption,
    FigureOption,
    JsonOption,
    NetworkArgument,
    choices,
    echo_result,
    output_path,
    parse_cue_option,
    progress_bar,
    refuse_inapplicable,
    relabelled,
)

__all__ = ["retrieve_command"]


#: The arithmetic of ``--dtype``.
PrecisionName = choices("PrecisionName", "float64", "float32")
#: What ``--boundary`` does with rates that noise pushes out of [0, 1].
BoundaryName = choices("BoundaryName", "none", "reflect", "clip")
#: The overlap normalisation of ``--normalize``.
NormalizeName = choices("NormalizeName", "pattern", "nq")


def _integers(option: str, path: object, array: np.ndarray) -> np.ndarray:
    """The integers of an index file (``--cued``, ``--units``), flattened; refuse fractions, NaN or inf."""
    values = np.asarray(array, dtype=float).ravel()
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)) or np.any(np.abs(values) >= 2**62):
        bad = values[~np.isfinite(values) | (values != np.round(values)) | (np.abs(values) >= 2**62)][0].item()
        raise typer.BadParameter(f"{str(path)!r} must hold integers; found {bad!r}", param_hint=f"'{option}'")
    return values.astype(np.int64)


def _shape(text: str, n_pixels: int, what: str) -> tuple[int, int]:
    """``--shape ROWSxCOLS``: two positive integers whose product is `n_pixels`."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if match is None:
        raise typer.BadParameter(f"must be ROWSxCOLS (e.g. 8x8); got {text!r}", param_hint="'--shape'")
    rows, cols = int(match.group(1)), int(match.group(2))
    if rows < 1 or cols < 1 or rows * cols != n_pixels:
        raise typer.BadParameter(f"{rows}x{cols} = {rows * cols} pixels, but the images have {n_pixels} ({what})",
                                 param_hint="'--shape'")
    return rows, cols


def _one_cue(cues, k: int):
    """Cue `k` alone: its starting rates and its input (the column of an (N, B) input)."""
    from ..dynamics import Pulses

    u = cues.u
    if u is not None and u.values.ndim == 3:
        u = Pulses(u.edges, u.values[:, :, [k]])
    return cues.x0[:, [k]], u


def retrieve_command(
    ctx: typer.Context,
    network_file: NetworkArgument,
    cue: CueOption = "delete:0.4",
    trials: Annotated[int, typer.Option("--trials", help="Cues per stored memory (B = P x trials).")] = 1,
    sigma: Annotated[float, typer.Option("--sigma", help="Dynamical noise sigma >= 0 (Euler-Maruyama).")] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the cues and the noise.")] = 0,
    t_max: Annotated[
        Optional[float], typer.Option("--t-max", help="Duration of each run (units of tau); 10 unless --n-steps.")
    ] = None,
    n_steps: Annotated[
        Optional[int], typer.Option("--n-steps", help="Euler steps instead of --t-max (the authors' grid: 999).")
    ] = None,
    dt: Annotated[float, typer.Option("--dt", help="Euler-Maruyama step.")] = 0.01,
    boundary: Annotated[BoundaryName, typer.Option(
        "--boundary",
        help="Rates that noise pushes out of [0, 1]: none (the paper's model), reflect or clip (both raise "
             "silent units' mean rate by about sigma/sqrt(pi), +0.056 at sigma = 0.1).",
    )] = BoundaryName.none,
    normalize: Annotated[NormalizeName, typer.Option(
        "--normalize", help="Overlap x.xi/|xi| (pattern) or the authors' x.xi/(N q) (nq).",
    )] = NormalizeName.pattern,
    tol: Annotated[float, typer.Option("--tol", help="Classification tolerance in overlap units, in (0, 0.5).")] = 0.15,
    dtype: Annotated[PrecisionName, typer.Option("--dtype", help="Arithmetic precision.")] = PrecisionName.float64,
    figure: FigureOption = None,
    cues_file: Annotated[Optional[Path], typer.Option(
        "--cues", help="Your own cues (.npy/.npz/.csv), one per column: 0/1 patterns or rates in [0, 1], "
        "N rows (or one row per unit of --units). Replaces --cue and --trials.",
    )] = None,
    cued_file: Annotated[Optional[Path], typer.Option(
        "--cued", help="With --cues: the memory each cue column is meant to retrieve (integers, -1 for none).",
    )] = None,
    units_file: Annotated[Optional[Path], typer.Option(
        "--units", help="With --cues: the units the cues cover (integer indices); the rest start at the quiescent rate.",
    )] = None,
    snapshots: Annotated[Optional[Path], typer.Option(
        "--snapshots", help="Draw one cue's states as 2-D images here (.png/.pdf/.svg); needs --shape.",
    )] = None,
    shape: Annotated[Optional[str], typer.Option(
        "--shape", help="With --snapshots: the image shape ROWSxCOLS of the N units (of the --units with --cues), "
        "row-major.",
    )] = None,
    snapshot_cue: Annotated[int, typer.Option(
        "--snapshot-cue", help="With --snapshots: which cue (column of the batch, from 0).",
    )] = 0,
    as_json: JsonOption = False,
) -> None:
    """Cue every stored memory, run the rate dynamics and report where the trajectories end (theory.md §7)."""
    from ..io import load_array, load_network
    from ..plots import overlap_time_courses, save_figure
    from ..retrieval import make_cues, retrieve, user_cues

    kind, level, duration = parse_cue_option(cue)
    output_path("--figure", figure)
    output_path("--snapshots", snapshots)
    without = None if snapshots is not None else "without --snapshots"
    refuse_inapplicable(ctx, {"shape": without, "snapshot_cue": without})
    if snapshots is not None and shape is None:
        raise typer.BadParameter("needs --shape ROWSxCOLS (the image shape of the units)", param_hint="'--snapshots'")
    network = load_network(network_file)
    with_file = None if cues_file is None else "with --cues FILE (the file replaces them)"
    refuse_inapplicable(ctx, {"cue": with_file, "trials": with_file})
    units = None
    names = {"trials": "--trials", "t_max": "--t-max", "n_steps": "--n-steps", "dt": "--dt", "sigma": "--sigma",
             "tol": "--tol", "seed": "--seed"}
    with relabelled(names):
        if cues_file is not None:
            cues_array = load_array(cues_file, name="cues")
            cued = None if cued_file is None else _integers("--cued", cued_file, load_array(cued_file, name="cued"))
            units = None if units_file is None else _integers("--units", units_file, load_array(units_file, name="units"))
            cues = user_cues(network, cues_array, cued=cued, units=units)
        elif cued_file is not None or units_file is not None:
            raise typer.BadParameter("needs --cues", param_hint="'--cued' / '--units'")
        else:
            cues = make_cues(network, kind, level, trials=trials, duration=duration, seed=seed)
        if snapshots is not None:
            image = _shape(shape, network.n_units if units is None else units.size,
                           f"N = {network.n_units} units" if units is None else "the number of --units")
            if not 0 <= snapshot_cue < cues.n_cues:
                raise typer.BadParameter(f"must be in [0, {cues.n_cues - 1}] (the {cues.n_cues} cues); got {snapshot_cue}",
                                         param_hint="'--snapshot-cue'")
        # --t-max counts time constants: the run lasts t_max * tau (10 tau unless --n-steps)
        duration_of_run = None if n_steps is not None and t_max is None else (10.0 if t_max is None else t_max) * network.tau
        with progress_bar("retrieve", "steps") as progress:
            result = retrieve(
                network, cues, t_max=duration_of_run, n_steps=n_steps, dt=dt,
                sigma=sigma, boundary=boundary.value, normalize=normalize.value, seed=np.random.default_rng(seed),
                tol=tol, dtype=np.float32 if dtype is PrecisionName.float32 else np.float64, progress=progress,
            )
    record = {**result.to_record(), "seed": seed, "network": str(network_file), "n_patterns": network.n_patterns}
    if figure is not None:
        save_figure(overlap_time_courses({str(network_file.name): result}), figure)
        record["figure"] = str(figure)
    if snapshots is not None:
        save_figure(_snapshot_figure(network, cues, result, image, snapshot_cue, units, seed), snapshots)
        record["snapshots"] = {"file": str(snapshots), "cue": snapshot_cue, "shape": list(image)}
    per_memory = "  per memory          " + ", ".join(
        f"{row['memory']}: {row['n_success']}/{row['n_cues']}" for row in record["per_memory"]
    ) if record["per_memory"] else None
    lines = [result.summary(), per_memory, None if figure is None else f"figure written to {figure}",
             None if snapshots is None else f"snapshots of cue {snapshot_cue} written to {snapshots}"]
    echo_result(record, lines, as_json=as_json)


def _snapshot_figure(network, cues, result, image: tuple[int, int], k: int, units, seed: int):
    """Cue `k` run again alone with the batch's options, whole states recorded at 6 times.

    Without noise this is the very trajectory of the batch; with ``--sigma > 0`` it is a fresh draw
    from ``--seed`` (the same process, not the same sample).
    """
    from ..dynamics import euler_maruyama
    from ..plots import cue_snapshots

    x0, u = _one_cue(cues, k)
    run = euler_maruyama(network, x0, result.dt, result.n_steps, sigma=result.sigma, u=u, boundary=result.boundary,
                         seed=np.random.default_rng(seed), record_every=max(1, result.n_steps // 5),
                         dtype=result.dtype)
    cued = int(cues.cued[k])
    stored = None if cued < 0 else network.memory_rates()[:, cued]
    return cue_snapshots(run, image, stored=stored, units=units)
