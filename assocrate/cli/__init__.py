"""The ``assocrate`` command: a thin shell over the API.

Each command parses its options, calls one core function, prints its ``summary()`` (or one JSON
object with ``--json``) and maps the outcome to the exit code. Invalid input prints one line
``error: ...`` naming the option and value, and exits with status 2.
"""

from __future__ import annotations

import json
import sys
import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.exceptions import TyperException

from ..core.activations import activation_from_name
from ..core.design import MemoryNetwork, design
from ..core.equilibria import equilibrium_residual
from ..core.patterns import make_patterns
from ..errors import InvalidInput
from ..io import load_patterns, save_network

app = typer.Typer(
    name="assocrate",
    help="Design, verify and retrieve associative memories in positive firing-rate networks.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class ActivationName(str, Enum):
    sigmoid = "sigmoid"
    tanh = "tanh"


PatternsOption = Annotated[
    str,
    typer.Option(
        "--patterns",
        help="equal-overlap, random, correlated, or a .npy/.npz/.csv file of 0/1 patterns (N x P).",
    ),
]
UnitsOption = Annotated[int, typer.Option("--n", help="Number of units N.")]
CountOption = Annotated[
    Optional[int], typer.Option("--p", help="Number of patterns P (default floor(N / (10 ln N))).")
]
ActivityOption = Annotated[float, typer.Option("--q", help="Activity q in (0, 1).")]
OverlapOption = Annotated[
    Optional[float], typer.Option("--r", help="Overlap fraction r in (0, 1) (correlated patterns).")
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed for random patterns.")]
ActivationOption = Annotated[ActivationName, typer.Option("--activation", help="Rate function.")]
GainOption = Annotated[float, typer.Option("--rho", help="Gain (maximal slope) rho > 0.")]
ThresholdOption = Annotated[float, typer.Option("--threshold", help="Threshold x*.")]
LowOption = Annotated[float, typer.Option("--a", help="Current level of inactive units.")]
HighOption = Annotated[float, typer.Option("--b", help="Current level of active units (b > a).")]
TauOption = Annotated[float, typer.Option("--tau", help="Time constant tau > 0.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


def build_network(
    patterns: str,
    *,
    n: int,
    p: int | None,
    q: float,
    r: float | None,
    seed: int,
    activation: str,
    rho: float,
    threshold: float,
    a: float,
    b: float,
    tau: float,
) -> MemoryNetwork:
    """Make or load the patterns and design the network (shared by the commands)."""
    xi = build_patterns(patterns, n=n, p=p, q=q, r=r, seed=seed)
    return design(xi, activation_from_name(activation, rho=rho, threshold=threshold), a, b, tau=tau)


def build_patterns(patterns: str, *, n: int, p: int | None, q: float, r: float | None, seed: int):
    """Make a named ensemble or load a pattern file (the --patterns option)."""
    if patterns in ("equal-overlap", "random", "correlated"):
        if patterns == "correlated" and r is None:
            raise typer.BadParameter("is required with --patterns correlated", param_hint="'--r'")
        return make_patterns(patterns, n_units=n, q=q, n_patterns=p, r=r, seed=seed)
    if Path(patterns).suffix.lower() in (".npy", ".npz", ".csv"):
        return load_patterns(patterns)
    raise typer.BadParameter(
        f"{patterns!r} is not one of 'equal-overlap', 'random', 'correlated' or a .npy/.npz/.csv file",
        param_hint="'--patterns'",
    )


def _design_record(network: MemoryNetwork) -> dict:
    return {
        "n_units": network.n_units,
        "n_patterns": network.n_patterns,
        "n_row_types": network.row_types.n_types,
        **network.parameters_record(),
        "exact_design": bool(network.is_exact),
        "max_residual": float(equilibrium_residual(network).max()),
    }


@app.command("design")
def design_command(
    patterns: PatternsOption = "equal-overlap",
    n: UnitsOption = 1000,
    p: CountOption = None,
    q: ActivityOption = 0.2,
    r: OverlapOption = None,
    seed: SeedOption = 0,
    activation: ActivationOption = ActivationName.sigmoid,
    rho: GainOption = 4.8,
    threshold: ThresholdOption = 0.2,
    a: LowOption = -0.3,
    b: HighOption = 0.95,
    tau: TauOption = 1.0,
    out: Annotated[Optional[Path], typer.Option("--out", help="Save the network here (.npz).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Design a network from patterns and report its weights and equilibrium residuals."""
    network = build_network(
        patterns, n=n, p=p, q=q, r=r, seed=seed, activation=activation.value, rho=rho, threshold=threshold,
        a=a, b=b, tau=tau,
    )
    record = _design_record(network)
    if out is not None:
        save_network(out, network)
        record["saved"] = str(out)
    if as_json:
        typer.echo(json.dumps(record))
    else:
        typer.echo(network.summary())
        typer.echo(f"  residual    max|W x̄ - h̄| = {record['max_residual']:.3g}")
        if out is not None:
            typer.echo(f"saved to {out}")


@app.command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", help="Directory for report.md and figures.")] = Path("assocrate-demo"),
    seed: SeedOption = 0,
) -> None:
    """Design, verify and retrieve the reference networks; write report.md and figures to --out."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .demo import run_demo

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    with Progress(*columns, TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("starting", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        result = run_demo(out, seed=seed, progress=progress)
    typer.echo(result.summary())


class PointName(str, Enum):
    equilibrium = "equilibrium"
    ideal = "ideal"


@app.command("check")
def check_command(
    network_file: Annotated[Path, typer.Argument(help="A network saved by `assocrate design --out` (.npz).")],
    at: Annotated[
        PointName, typer.Option("--at", help="Linearise at the true equilibrium (refined) or the designed memory.")
    ] = PointName.equilibrium,
    certify: Annotated[
        bool, typer.Option("--certify", help="Also build and exactly verify a Lyapunov certificate per memory.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Local stability of every stored memory: exact spectra, the paper's conditions, uniform states.

    Exits 0 whatever the verdicts (they are the output), 2 on invalid input.
    """
    from ..io import load_network
    from ..stability.local import local_stability, lyapunov_certificate

    network = load_network(network_file)
    result = local_stability(network, at=at.value)
    record = result.to_record()
    certificates = []
    if certify:
        certificates = [lyapunov_certificate(network, mu, at=at.value) for mu in range(network.n_patterns)]
        for row, certificate in zip(record["memories"], certificates):
            row["certified"] = certificate.certified
            row["certificate"] = certificate.claim
    if as_json:
        typer.echo(json.dumps(record))
        return
    typer.echo(result.summary())
    for certificate in certificates:
        status = "CERTIFIED (exact)" if certificate.certified else "not certified"
        typer.echo(f"memory {certificate.parameters['memory']}: {status}: {certificate.claim}")


@app.command("dale")
def dale_command(
    network_file: Annotated[Path, typer.Argument(help="A network saved by `assocrate design --out` (.npz).")],
    n_inhibitory: Annotated[int, typer.Option("--n-inhibitory", min=1, help="Linear inhibitory units N_I.")] = 1,
    tau_inhibitory: Annotated[
        Optional[float], typer.Option("--tau-inhibitory", help="Their time constant tau_I > 0 (default: tau).")
    ] = None,
    at: Annotated[
        PointName, typer.Option("--at", help="Linearise at the true equilibrium (refined) or the designed memory.")
    ] = PointName.equilibrium,
    as_json: JsonOption = False,
) -> None:
    """Dale's-law realization (DESIGN.md §6): the E/I weights, their signs, and every memory's augmented spectrum.

    Exits 0 whatever the verdicts, 2 on invalid input (including a design with gamma > c, which
    has no such realization).
    """
    from ..dale import dale_realization, dale_stability
    from ..io import load_network

    dale = dale_realization(load_network(network_file), n_inhibitory=n_inhibitory, tau_inhibitory=tau_inhibitory)
    stability = dale_stability(dale, at=at.value)
    if not as_json:
        typer.echo(dale.summary())
        typer.echo(stability.summary())
        return
    signs = dale.signs()
    record = {
        "n_units": dale.n_units,
        "n_inhibitory": dale.n_inhibitory,
        "tau": dale.tau,
        "tau_inhibitory": dale.tau_inhibitory,
        "c": float(dale.c),
        "w_EI": float(dale.w_EI),
        "signs": {
            "min_W_EE": float(signs.min_W_EE),
            "max_W_EE": float(signs.max_W_EE),
            "W_IE": float(signs.W_IE),
            "W_EI": float(signs.W_EI),
            "tolerance": float(signs.tolerance),
            "obeys_dale": bool(signs.obeys_dale),
        },
        "at": at.value,
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
    typer.echo(json.dumps(record))


def _grid_axis(option: str, values: tuple[float, float, int]):
    import numpy as np

    start, stop, count = values
    if count < 1:
        raise typer.BadParameter(f"the number of points must be >= 1; got {count}", param_hint=f"'{option}'")
    return np.linspace(start, stop, count)


@app.command("phase")
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
    q: ActivityOption = 0.2,
    r: OverlapOption = None,
    seed: SeedOption = 0,
    tau: TauOption = 1.0,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the Dataset here (netCDF, atomically).")] = None,
    figure: Annotated[Optional[Path], typer.Option("--figure", help="Draw the phase diagram here (.png/.pdf/.svg).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Phase diagram of local stability over gain rho and threshold x* (DESIGN.md §4)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ..sweeps import phase_diagram, save_dataset

    rho = _grid_axis("--rho-range", rho_range)
    threshold = _grid_axis("--threshold-range", threshold_range)
    # a named ensemble is built by phase_diagram (which records its name); a file is loaded here
    named = patterns in ("equal-overlap", "random", "correlated") and (patterns != "correlated" or r is not None)
    source = patterns if named else build_patterns(patterns, n=n, p=p, q=q, r=r, seed=seed)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} cells"))
    bar = Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task("phase diagram", total=rho.size * threshold.size)

    def progress(done: int, total: int) -> None:  # started on the first block: bad input prints no bar
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)

    try:
        dataset = phase_diagram(
            activation=activation.value, a=a, b=b, rho=rho, threshold=threshold, patterns=source, n_units=n,
            q=q, p=p, r=r, seed=seed, tau=tau, progress=progress,
        )
    finally:
        if bar.live.is_started:
            bar.stop()
    if out is not None:
        save_dataset(out, dataset)
    if figure is not None:
        from ..plots import phase_diagram as draw_phase_diagram
        from ..plots import save_figure

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
    if as_json:
        typer.echo(json.dumps(record))
        return
    typer.echo(
        f"phase diagram ({record['activation']}, a={a:g}, b={b:g}, {record['ensemble']} N={record['N']} "
        f"P={record['P']}, {record['method']}): {rho.size} x {threshold.size} cells, {valid} valid"
    )
    typer.echo(
        f"  stable {record['n_stable']}, unstable {record['n_unstable']}; sufficient condition holds in "
        f"{record['n_sufficient']}, instability condition in {record['n_instability']}"
    )
    for label, path in (("dataset", out), ("figure", figure)):
        if path is not None:
            typer.echo(f"  {label} written to {path}")


class CertificateKindName(str, Enum):
    lds = "lds"
    contraction = "contraction"
    radius = "radius"
    input = "input"


class SolverChoice(str, Enum):
    clarabel = "CLARABEL"
    scs = "SCS"
    cvxopt = "CVXOPT"


class FormName(str, Enum):
    rate = "rate"
    current = "current"


class RadiusMethod(str, Enum):
    metzler = "metzler"
    lmi = "lmi"


class WeightsName(str, Enum):
    uniform = "uniform"
    perron = "perron"


class CueName(str, Enum):
    signed = "signed"
    pattern = "pattern"


class ReductionName(str, Enum):
    types = "types"
    full = "full"


def _certificate_record(certificate, **extra) -> dict:
    solver = certificate.solver
    return {
        "kind": certificate.kind,
        "claim": certificate.claim,
        "verified_float": certificate.verified_float,
        "verified_exact": certificate.verified_exact,
        "certified": certificate.certified,
        **extra,
        "solver": None if solver is None else {"name": solver.name, "status": solver.status, "solve_time": solver.solve_time},
        "residuals": [{"name": row.name, "min_eigenvalue": row.min_eigenvalue} for row in certificate.residuals],
        "parameters": dict(certificate.parameters),
    }


@app.command("certify")
def certify_command(
    network_file: Annotated[Path, typer.Argument(help="A network saved by `assocrate design --out` (.npz).")],
    kind: Annotated[
        CertificateKindName,
        typer.Option("--kind", help="lds / contraction: global LMIs; radius: certified basin of --memory; "
                     "input: global retrieval under the cue input of --memory."),
    ] = CertificateKindName.radius,
    memory: Annotated[int, typer.Option("--memory", help="Memory index (radius, input).")] = 0,
    out: Annotated[Optional[Path], typer.Option("--out", help="Save the certificate here (.json).")] = None,
    solver: Annotated[Optional[SolverChoice], typer.Option("--solver", help="LMI solver (default by size).")] = None,
    form: Annotated[FormName, typer.Option("--form", help="Dynamics of the contraction LMI.")] = FormName.rate,
    method: Annotated[
        RadiusMethod, typer.Option("--method", help="radius: Metzler box (the retrieval radius) or sector-LMI ellipsoid (l2).")
    ] = RadiusMethod.metzler,
    weights: Annotated[WeightsName, typer.Option("--weights", help="radius: box weights v.")] = WeightsName.uniform,
    kappa: Annotated[float, typer.Option("--kappa", help="input: cue strength.")] = 1.0,
    cue: Annotated[
        CueName, typer.Option("--cue", help="input: u = kappa (2 xi - 1) (signed) or u = kappa xi (pattern).")
    ] = CueName.signed,
    reduction: Annotated[
        ReductionName, typer.Option("--reduction", help="Row types (any N) or unit by unit (small N).")
    ] = ReductionName.types,
    as_json: JsonOption = False,
) -> None:
    """Search for a certificate, verify it exactly, print the verdict and residual table.

    Exits 0 when the certificate is verified in exact arithmetic, 1 when none was found, 2 on invalid input.
    """
    import math

    from ..certify.certificate import save_certificate
    from ..certify.lmi import certify_contraction, certify_lds
    from ..certify.regional import certified_radius, certify_input_driven
    from ..io import load_network

    network = load_network(network_file)
    solver_name = None if solver is None else solver.value
    extra: dict = {}
    if kind in (CertificateKindName.radius, CertificateKindName.input):
        if not 0 <= memory < network.n_patterns:
            raise typer.BadParameter(f"must be in [0, {network.n_patterns - 1}]; got {memory}", param_hint="'--memory'")
        extra["memory"] = memory
    if kind is CertificateKindName.lds:
        certificate = certify_lds(network, reduction=reduction.value, solver=solver_name)
    elif kind is CertificateKindName.contraction:
        certificate = certify_contraction(network, form=form.value, reduction=reduction.value, solver=solver_name)
    elif kind is CertificateKindName.radius:
        if method is RadiusMethod.lmi and weights is not WeightsName.uniform:
            raise typer.BadParameter("--weights perron applies to --method metzler only", param_hint="'--weights'")
        result = certified_radius(network, memory, method=method.value, weights=weights.value,
                                  reduction=reduction.value, solver=solver_name)
        certificate = result.certificate
        extra.update({"radius": result.radius, "min_half_width": result.min_half_width, "norm": result.norm})
    else:
        if not math.isfinite(kappa):
            raise typer.BadParameter(f"must be finite; got {kappa}", param_hint="'--kappa'")
        xi = network.patterns[:, memory].astype(float)
        u = kappa * (2.0 * xi - 1.0) if cue is CueName.signed else kappa * xi
        certificate = certify_input_driven(network, u, memory=memory, reduction=reduction.value, solver=solver_name)
        extra.update({"kappa": kappa, "cue": cue.value})
    if out is not None:
        save_certificate(out, certificate)
        extra["saved"] = str(out)
    if as_json:
        typer.echo(json.dumps(_certificate_record(certificate, **extra)))
    else:
        if "radius" in extra:
            label = "certified retrieval radius" if extra["norm"] == "box" else "certified l2 radius (sector LMI)"
            typer.echo(f"memory {memory}: {label} {extra['radius']:.6g} (smallest half-width {extra['min_half_width']:.6g})")
        typer.echo(certificate.summary())
        if out is not None:
            typer.echo(f"saved to {out}")
    if not certificate.certified:
        raise typer.Exit(code=1)


@app.command("verify")
def verify_command(
    certificate_file: Annotated[Path, typer.Argument(help="A certificate saved by `assocrate certify --out` (.json).")],
    network_file: Annotated[Path, typer.Argument(help="The network it is about (.npz).")],
    input_file: Annotated[
        Optional[Path],
        typer.Option(
            "--input",
            help="The input u (N numbers, .npy/.npz/.csv) of an input certificate whose u is not constant on row types.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Re-check a certificate file from scratch against a network, in exact arithmetic.

    Exits 0 when verified, 1 when not verified, 2 on invalid input (unreadable or malformed files).
    """
    from ..certify.certificate import load_certificate
    from ..certify.verification import verify
    from ..io import load_array, load_network

    try:
        certificate = load_certificate(certificate_file)
    except OSError as error:
        raise InvalidInput(f"cannot read the certificate {str(certificate_file)!r}: {error.strerror or error}") from None
    network = load_network(network_file)
    u = None if input_file is None else load_array(input_file, name="u").ravel()
    result = verify(certificate, network, u=u)
    if as_json:
        record = _certificate_record(result.certificate, verified=result.verified, problems=list(result.problems))
        typer.echo(json.dumps(record))
    else:
        typer.echo(result.summary())
        typer.echo(f"(certificate {certificate_file}, network {network_file})")
    if not result.verified:
        raise typer.Exit(code=1)


def _progress_bar(description: str, unit: str):
    """A rich progress bar on stderr and its ``progress(done, total)`` callback (started on first call)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} " + unit))
    bar = Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task(description, total=None)

    def progress(done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)

    return bar, progress


def _cue_option(spec: str) -> tuple[str, float, float]:
    from ..retrieval import parse_cue

    try:
        return parse_cue(spec)
    except ValueError as error:
        raise typer.BadParameter(str(error).replace("`cue` ", ""), param_hint="'--cue'") from None


CueOption = Annotated[
    str,
    typer.Option("--cue", help="delete:FRACTION, flip:FRACTION, noise:SIGMA or input:KAPPA[:DURATION]."),
]
NoiseOption = Annotated[float, typer.Option("--sigma", help="Dynamical noise sigma >= 0 (Euler-Maruyama).")]
DurationOption = Annotated[float, typer.Option("--t-max", help="Duration of each run (units of tau).")]
StepOption = Annotated[float, typer.Option("--dt", help="Euler-Maruyama step.")]
FigureOption = Annotated[Optional[Path], typer.Option("--figure", help="Draw the figure here (.png/.pdf/.svg).")]


class PrecisionName(str, Enum):
    float64 = "float64"
    float32 = "float32"


@app.command("retrieve")
def retrieve_command(
    network_file: Annotated[Path, typer.Argument(help="A network saved by `assocrate design --out` (.npz).")],
    cue: CueOption = "delete:0.4",
    trials: Annotated[int, typer.Option("--trials", help="Cues per stored memory (B = P x trials).")] = 1,
    sigma: NoiseOption = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the cues and the noise.")] = 0,
    t_max: DurationOption = 10.0,
    dt: StepOption = 0.01,
    tol: Annotated[float, typer.Option("--tol", help="Classification tolerance in overlap units, in (0, 0.5).")] = 0.15,
    dtype: Annotated[PrecisionName, typer.Option("--dtype", help="Arithmetic precision.")] = PrecisionName.float64,
    figure: FigureOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cue every stored memory, run the rate dynamics and report where the trajectories end (DESIGN.md §7)."""
    import numpy as np

    from ..io import load_network
    from ..retrieval import make_cues, retrieve

    kind, level, duration = _cue_option(cue)
    network = load_network(network_file)
    cues = make_cues(network, kind, level, trials=trials, duration=duration, seed=seed)
    rng = np.random.default_rng(seed)
    result = retrieve(
        network, cues, t_max=t_max, dt=dt, sigma=sigma, seed=rng, tol=tol,
        dtype=np.float32 if dtype is PrecisionName.float32 else np.float64,
    )
    record = {**result.to_record(), "seed": seed, "network": str(network_file), "n_patterns": network.n_patterns}
    if figure is not None:
        from ..plots import overlap_time_courses, save_figure

        save_figure(overlap_time_courses({str(network_file.name): result}), figure)
        record["figure"] = str(figure)
    if as_json:
        typer.echo(json.dumps(record))
        return
    typer.echo(result.summary())
    if figure is not None:
        typer.echo(f"figure written to {figure}")


def _loads_option(text: str):
    """``START:STOP:COUNT`` (evenly spaced) or a comma-separated list of loads."""
    import numpy as np

    try:
        if ":" in text:
            start, stop, count = text.split(":")
            if int(count) < 1:
                raise ValueError
            values = np.linspace(float(start), float(stop), int(count))
        else:
            values = np.array([float(item) for item in text.split(",")])
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not START:STOP:COUNT or a comma-separated list of numbers", param_hint="'--loads'"
        ) from None
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise typer.BadParameter(f"loads must be > 0; got {text!r}", param_hint="'--loads'")
    return values


def _output_option(option: str, path: Path | None) -> Path | None:
    """Refuse an output path whose directory is missing before the work that precedes writing it."""
    from ..io import check_output_path

    if path is not None:
        try:
            check_output_path(option, path)
        except (ValueError, FileNotFoundError) as error:
            raise typer.BadParameter(str(error).replace(f"`{option}` ", ""), param_hint=f"'{option}'") from None
    return path


def _scheduler_option(text: str) -> str:
    from ..sweeps import check_scheduler

    try:
        return check_scheduler(text)
    except ValueError as error:
        message = str(error).replace("`scheduler` ", "").replace(", or a distributed.Client", "")
        raise typer.BadParameter(message, param_hint="'--scheduler'") from None


@app.command("capacity")
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

    Every (load, pattern set) cell is a dask task (DESIGN.md §8); the numbers do not depend on --scheduler.
    """
    from ..sweeps import capacity_from_sweep, capacity_sweep, save_dataset

    load_values = _loads_option(loads)
    _cue_option(cue)
    scheduler = _scheduler_option(scheduler)
    for option, path in (("--checkpoint", checkpoint), ("--out", out), ("--figure", figure)):
        _output_option(option, path)
    function = activation_from_name(activation.value, rho=rho, threshold=threshold)
    bar, show = _progress_bar("capacity", "pattern sets")
    computed = []

    def progress(done: int, total: int) -> None:
        computed.append(done)
        show(done, total)

    try:
        dataset = capacity_sweep(
            n, load_values, q, function, (a, b), trials, seed, cue=cue, t_max=t_max, scheduler=scheduler,
            checkpoint=checkpoint, progress=progress,
        )
    finally:
        if bar.live.is_started:
            bar.stop()
    curve = capacity_from_sweep(dataset)
    record = curve.to_record()
    if checkpoint is not None:
        record["checkpoint"] = str(checkpoint)
        record["cells_loaded"] = int(dataset["done"].size) - len(computed)
    if out is not None:
        save_dataset(out, dataset)
        record["out"] = str(out)
    if figure is not None:
        from ..plots import capacity_plot, save_figure

        save_figure(capacity_plot(curve), figure)
        record["figure"] = str(figure)
    if as_json:
        typer.echo(json.dumps(record))
        return
    typer.echo(curve.summary())
    if checkpoint is not None:
        typer.echo(f"checkpoint {checkpoint}: {record['cells_loaded']} of {dataset['done'].size} cells loaded, "
                   f"{len(computed)} computed")
    for label, path in (("dataset", out), ("figure", figure)):
        if path is not None:
            typer.echo(f"{label} written to {path}")


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    print(f"warning: {_one_line(str(message))}", file=sys.stderr)


def main(args: list[str] | None = None) -> int:
    """Run the command line; return (and, as a script, exit with) the exit code.

    0 success, 1 a negative verdict where a command says so, 2 invalid input.
    """
    command = typer.main.get_command(app)
    args = sys.argv[1:] if args is None else list(args)
    if not args:
        args = ["--help"]
    with warnings.catch_warnings():
        # The command line is the top level: warnings are shown as one line on stderr.
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        try:
            result = command.main(args=args, prog_name="assocrate", standalone_mode=False)
        except TyperException as error:  # usage errors: unknown option, unparsable or invalid value
            message = error.format_message() if hasattr(error, "format_message") else str(error)
            print(f"error: {_one_line(message)}", file=sys.stderr)
            return 2
        except typer.Abort:
            print("error: aborted", file=sys.stderr)
            return 2
        except InvalidInput as error:  # assocrate's own user errors (InvalidType included); a bug shows as a bug
            print(f"error: {_one_line(str(error))}", file=sys.stderr)
            return 2
        except OSError as error:  # e.g. an output directory that does not exist, a full disk
            print(f"error: {_one_line(str(error))}", file=sys.stderr)
            return 2
        except MemoryError:
            print("error: not enough memory for this problem size; reduce --n or --p", file=sys.stderr)
            return 2
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
