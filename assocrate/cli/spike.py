"""``assocrate spike``: cue every stored memory and run the spiking realization (Brian2; theory.md §6b).

The library (and Brian2) is imported at the start of the command so that ``assocrate --help``
stays quick and works without Brian2.
"""

from __future__ import annotations

from typing import Annotated, Optional

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

__all__ = ["spike_command"]

#: The neuron models of ``--neuron`` (lif needs a design with ``--activation lif``).
NeuronName = choices("NeuronName", "poisson", "lif")
#: Brian2's code generation targets of ``--target``.
TargetName = choices("TargetName", "numpy", "cython")


def spike_command(
    network_file: NetworkArgument,
    neuron: Annotated[
        NeuronName, typer.Option("--neuron", help="Neuron model (lif needs a design with --activation lif).")
    ] = NeuronName.poisson,
    cue: CueOption = "delete:0.4",
    trials: Annotated[int, typer.Option("--trials", help="Cues per stored memory (B = P x trials).")] = 1,
    t_max: Annotated[float, typer.Option("--t-max", help="Duration in units of tau.")] = 2.0,
    dt: Annotated[float, typer.Option("--dt", help="Time step in units of tau.")] = 0.01,
    r_max: Annotated[
        Optional[float], typer.Option("--r-max", help="Rate at phi = 1 in Hz (Poisson, default 100; LIF: 1/t_ref).")
    ] = None,
    tau_syn: Annotated[float, typer.Option("--tau-syn", help="Synaptic time constant tau_s = tau, in seconds.")] = 0.01,
    neurons_per_unit: Annotated[int, typer.Option("--neurons-per-unit", help="Spiking neurons per unit.")] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the cues and of the spikes.")] = 0,
    target: Annotated[
        TargetName, typer.Option("--target", help="Brian2 code generation: numpy (no compiler) or cython.")
    ] = TargetName.numpy,
    figure: FigureOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cue every stored memory and run the spiking realization (Brian2, low-rank synapses; theory.md §6b).

    Times are in units of tau. The JSON record has the success rate, the classes and the mean final
    rates (Hz) of the cued memory's active and inactive units.
    """
    from ..io import load_network
    from ..plots import save_figure
    from ..retrieval import make_cues
    from ..spiking import BRIAN2_MISSING, is_brian2_available, raster_figure, simulate_spiking, spiking_realization

    if not is_brian2_available():  # a missing optional dependency: one error line, exit 2
        typer.echo(f"error: {BRIAN2_MISSING}", err=True)
        raise typer.Exit(2)
    kind, level, duration = parse_cue_option(cue)
    figure = output_path("--figure", figure)
    network = load_network(network_file)
    sn = spiking_realization(
        network, neuron=neuron.value, neurons_per_unit=neurons_per_unit, tau_syn=tau_syn, r_max=r_max, seed=seed
    )
    cues = make_cues(network, kind, level, trials=trials, duration=duration, seed=seed)
    result = simulate_spiking(sn, cues, t_max, dt=dt, seed=seed, target=target.value)
    record = {**result.to_record(), "network": str(network_file), "n_patterns": network.n_patterns}
    if figure is not None:
        save_figure(raster_figure(result, 0), figure)
        record["figure"] = str(figure)
    echo_result(record, [result.summary(), None if figure is None else f"figure written to {figure}"], as_json=as_json)
