"""``assocrate retrieve``: cue every stored memory, run the rate dynamics, classify where it ends.

The library is imported at the start of the command so that ``assocrate --help`` stays quick.
"""

from __future__ import annotations

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
)

__all__ = ["retrieve_command"]


#: The arithmetic of ``--dtype``.
PrecisionName = choices("PrecisionName", "float64", "float32")
#: What ``--boundary`` does with rates that noise pushes out of [0, 1].
BoundaryName = choices("BoundaryName", "none", "reflect", "clip")
#: The overlap normalisation of ``--normalize``.
NormalizeName = choices("NormalizeName", "pattern", "nq")


def retrieve_command(
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
    as_json: JsonOption = False,
) -> None:
    """Cue every stored memory, run the rate dynamics and report where the trajectories end (theory.md §7)."""
    from ..io import load_network
    from ..plots import overlap_time_courses, save_figure
    from ..retrieval import make_cues, retrieve

    kind, level, duration = parse_cue_option(cue)
    output_path("--figure", figure)
    network = load_network(network_file)
    cues = make_cues(network, kind, level, trials=trials, duration=duration, seed=seed)
    result = retrieve(
        network, cues, t_max=10.0 if t_max is None and n_steps is None else t_max, n_steps=n_steps, dt=dt,
        sigma=sigma, boundary=boundary.value, normalize=normalize.value, seed=np.random.default_rng(seed), tol=tol,
        dtype=np.float32 if dtype is PrecisionName.float32 else np.float64,
    )
    record = {**result.to_record(), "seed": seed, "network": str(network_file), "n_patterns": network.n_patterns}
    if figure is not None:
        save_figure(overlap_time_courses({str(network_file.name): result}), figure)
        record["figure"] = str(figure)
    echo_result(record, [result.summary(), None if figure is None else f"figure written to {figure}"], as_json=as_json)
