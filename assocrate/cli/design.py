"""``assocrate design``, ``check`` and ``dale``: build a network, then its local stability and its E/I form.

The library is imported at the start of each command (not at the top) so that ``assocrate --help``
does not load every subpackage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import (
    ActivityOption,
    AtOption,
    CountOption,
    DesignActivationName,
    HighOption,
    JsonOption,
    LayoutName,
    LayoutOption,
    LowOption,
    NetworkArgument,
    OverlapOption,
    PatternsOption,
    PointName,
    RuleName,
    RuleOption,
    SeedOption,
    TauOption,
    UnitsOption,
    build_activation,
    build_network,
    echo_result,
    output_path,
    typed_options,
)

__all__ = ["check_command", "dale_command", "design_command"]


def design_command(
    ctx: typer.Context,
    patterns: PatternsOption = "equal-overlap",
    n: UnitsOption = 1000,
    p: CountOption = None,
    q: ActivityOption = 0.2,
    r: OverlapOption = None,
    seed: SeedOption = 0,
    activation: Annotated[
        DesignActivationName, typer.Option("--activation", help="Rate function (lif: the LIF transfer function).")
    ] = DesignActivationName.sigmoid,
    rho: Annotated[Optional[float], typer.Option("--rho", help="Gain rho > 0 of sigmoid and tanh [default: 4.8].")] = None,
    threshold: Annotated[
        Optional[float], typer.Option("--threshold", help="Threshold x* (lif: the spike threshold) [default: 0.2; lif 1].")
    ] = None,
    tau_m: Annotated[Optional[float], typer.Option("--tau-m", help="lif: membrane time constant, s [default: 0.01].")] = None,
    t_ref: Annotated[Optional[float], typer.Option("--t-ref", help="lif: refractory period, s [default: 0.004].")] = None,
    reset: Annotated[Optional[float], typer.Option("--reset", help="lif: reset potential < threshold [default: 0].")] = None,
    sigma: Annotated[Optional[float], typer.Option("--sigma", help="lif: input noise amplitude > 0 [default: 0.3].")] = None,
    a: LowOption = -0.3,
    b: HighOption = 0.95,
    tau: TauOption = 1.0,
    rule: RuleOption = RuleName.betteti,
    layout: LayoutOption = LayoutName("units-by-patterns"),
    diagnose: Annotated[
        bool,
        typer.Option(
            "--diagnose",
            help="Also report the pattern set's activity and overlap spread, the predicted sign of gamma, "
            "which memories each rule makes exact, and the remedy.",
        ),
    ] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Save the network here (.npz).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Design a network from patterns and report its weights and equilibrium residuals."""
    import warnings

    from ..core.diagnosis import diagnose_patterns
    from ..core.equilibria import equilibrium_residual
    from ..io import save_network

    output_path("--out", out)
    function = build_activation(
        activation.value, rho=rho, threshold=threshold, tau_m=tau_m, t_ref=t_ref, reset=reset, sigma=sigma
    )
    diagnosis = None
    with warnings.catch_warnings():
        if diagnose:  # the diagnosis replaces the bare warning about unequal patterns
            warnings.simplefilter("ignore", UserWarning)
        network = build_network(
            patterns, n=n, p=p, q=q, r=r, seed=seed, activation=function, a=a, b=b, tau=tau, rule=rule.value,
            layout=layout.value, given=typed_options(ctx),
        )
    if diagnose:
        diagnosis = diagnose_patterns(network.patterns, function, a, b)
    record = {
        "n_units": network.n_units,
        "n_patterns": network.n_patterns,
        "n_row_types": network.row_types.n_types,
        **network.parameters_record(),
        "exact_design": bool(network.is_exact),
        "max_residual": float(equilibrium_residual(network).max()),
        "rule": network.rule,
        "symmetric": network.is_symmetric,
    }
    if diagnosis is not None:
        record["diagnosis"] = diagnosis.to_record()
    if out is not None:
        save_network(out, network)
        record["saved"] = str(out)
    residual = f"  residual    max|W x̄ - h̄| = {record['max_residual']:.3g}"
    lines = [network.summary(), residual, None if out is None else f"saved to {out}"]
    echo_result(record, [*lines, None if diagnosis is None else diagnosis.summary()], as_json=as_json)


def check_command(
    network_file: NetworkArgument,
    at: AtOption = PointName.equilibrium,
    certify: Annotated[
        bool, typer.Option("--certify", help="Also build and exactly verify a Lyapunov certificate per memory.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Local stability of every stored memory: exact spectra, the paper's conditions, uniform states.

    Exits 0 whatever the verdicts (they are the output), 2 on invalid input.
    """
    from ..core.identity import identity_verdict
    from ..io import load_network
    from ..stability import local_stability, lyapunov_certificate
    from ..stability.spectra import Verdict

    network = load_network(network_file)
    result = local_stability(network, at=at.value)
    record = result.to_record()
    verdicts = []
    if certify:
        # A memory is certified only where check itself calls it stable (its own equilibrium, exact
        # spectrum): check and check --certify never disagree on a memory.
        for memory, row in zip(result.memories, record["memories"]):
            if memory.verdict is Verdict.STABLE:
                certificate = lyapunov_certificate(network, memory.index, at=at.value)
                certified, claim = certificate.certified, certificate.claim
            elif not memory.identified and memory.spectrum.equilibrium_found:
                certified, claim = False, f"no certificate: {identity_verdict(memory.index, memory.owner)}"
            else:
                certified, claim = False, f"no certificate: check's verdict is {memory.verdict.name.lower()}"
            row["certified"], row["certificate"] = certified, claim
            verdicts.append(f"memory {memory.index}: {'CERTIFIED (exact)' if certified else 'not certified'}: {claim}")
    echo_result(record, [result.summary(), *verdicts], as_json=as_json)


def _dale_record(dale, stability, at: str) -> dict:
    """The JSON record of ``assocrate dale``: the realization, its signs and every memory's spectrum."""
    signs = dale.signs()
    return {
        "n_units": dale.n_units,
        "n_inhibitory": dale.n_inhibitory,
        "tau": dale.tau,
        "tau_inhibitory": dale.tau_inhibitory,
        "c": float(dale.c),
        "w_EI": float(dale.w_EI),
        "symmetric": bool(dale.is_symmetric),
        "signs": {
            "min_W_EE": float(signs.min_W_EE),
            "max_W_EE": float(signs.max_W_EE),
            "W_IE": float(signs.W_IE),
            "W_EI": float(signs.W_EI),
            "tolerance": float(signs.tolerance),
            "obeys_dale": bool(signs.obeys_dale),
        },
        "at": at,
        "n_stable": int(stability.n_stable),
        "memories": [
            {
                "memory": int(s.mu),
                "max_real": float(s.max_real),
                "imag": float(abs(s.rightmost.imag)),
                "verdict": s.verdict.name.lower(),
                "designed_max_eigenvalue": float(s.plain.max_eigenvalue),
                "designed_verdict": s.plain.verdict.name.lower(),
                "frozen_inhibition_max_eigenvalue": float(s.excitatory_max_eigenvalue),
                "stable_for_every_tau_inhibitory": bool(s.stable_for_every_tau_inhibitory),
            }
            for s in stability.spectra
        ],
    }


def dale_command(
    network_file: NetworkArgument,
    n_inhibitory: Annotated[int, typer.Option("--n-inhibitory", min=1, help="Linear inhibitory units N_I.")] = 1,
    tau_inhibitory: Annotated[
        Optional[float], typer.Option("--tau-inhibitory", help="Their time constant tau_I > 0 (default: tau).")
    ] = None,
    at: AtOption = PointName.equilibrium,
    as_json: JsonOption = False,
) -> None:
    """Dale's-law realization (theory.md §6): the E/I weights, their signs, and every memory's augmented spectrum.

    Exits 0 whatever the verdicts, 2 on invalid input (including a design with gamma > c, which
    has no such realization).
    """
    from ..dale import dale_realization, dale_stability
    from ..io import load_network

    dale = dale_realization(load_network(network_file), n_inhibitory=n_inhibitory, tau_inhibitory=tau_inhibitory)
    stability = dale_stability(dale, at=at.value)
    echo_result(_dale_record(dale, stability, at.value), [dale.summary(), stability.summary()], as_json=as_json)
