"""``assocrate spike``: run a saved network with spiking neurons (a typer command function).

The integrator registers it with ``app.command("spike")(spike_command)``.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["NeuronName", "spike_command"]


class NeuronName(str, Enum):
    """Neuron models of ``assocrate spike``."""

    poisson = "poisson"
    lif = "lif"


def spike_command(
    network_file: Annotated[Path, typer.Argument(help="A network saved by `assocrate design --out` (.npz).")],
    neuron: Annotated[NeuronName, typer.Option("--neuron", help="Neuron model (lif needs a LIFTransfer design).")] = NeuronName.poisson,
    cue: Annotated[str, typer.Option("--cue", help="delete:F, flip:F, noise:SIGMA or input:KAPPA[:DURATION].")] = "delete:0.4",
    trials: Annotated[int, typer.Option("--trials", help="Cues per stored memory.")] = 1,
    t_max: Annotated[float, typer.Option("--t-max", help="Duration in units of tau.")] = 2.0,
    dt: Annotated[float, typer.Option("--dt", help="Time step in units of tau.")] = 0.01,
    r_max: Annotated[Optional[float], typer.Option("--r-max", help="Rate at phi = 1 in Hz (Poisson; LIF: 1/t_ref).")] = None,
    tau_syn: Annotated[float, typer.Option("--tau-syn", help="Synaptic time constant tau_s = tau in seconds.")] = 0.01,
    neurons_per_unit: Annotated[int, typer.Option("--neurons-per-unit", help="Spiking neurons per unit.")] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the cues and of the spikes.")] = 0,
    target: Annotated[str, typer.Option("--target", help="Brian2 code generation target: numpy or cython.")] = "numpy",
    figure: Annotated[Optional[Path], typer.Option("--figure", help="Write a raster figure (first cue) here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Cue every stored memory and run the spiking realization (Brian2; low-rank synapses)."""
    from ..io import load_network
    from ..retrieval import make_cues, parse_cue
    from .realization import spiking_realization
    from .simulate import simulate_spiking

    try:
        kind, level, duration = parse_cue(cue)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'--cue'") from None
    network = load_network(network_file)
    try:
        sn = spiking_realization(network, neuron=neuron.value, neurons_per_unit=neurons_per_unit, tau_syn=tau_syn,
                                 r_max=r_max, seed=seed)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'--neuron'") from None
    cues = make_cues(network, kind, level, trials=trials, duration=duration, seed=seed)
    result = simulate_spiking(sn, cues, t_max, dt=dt, seed=seed, target=target)
    record = {**result.to_record(), "network": str(network_file), "n_patterns": network.n_patterns}
    if figure is not None:
        from .plots import raster_figure

        raster_figure(result, 0).savefig(figure, dpi=120)
        record["figure"] = str(figure)
    if as_json:
        typer.echo(json.dumps(record))
        return
    typer.echo(result.summary())
    if figure is not None:
        typer.echo(f"figure written to {figure}")
