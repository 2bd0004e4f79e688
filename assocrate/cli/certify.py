"""``assocrate certify`` and ``verify``: search for a certificate and re-check one from its file.

Both exit 0 when the certificate holds in exact arithmetic, 1 when it does not, 2 on invalid input.
The library is imported at the start of each command so that ``assocrate --help`` stays quick.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InvalidInput
from .options import JsonOption, NetworkArgument, choices, echo_result, output_path, refuse_inapplicable

__all__ = ["certify_command", "verify_command"]



#: The certificates of ``--kind``.
CertificateKindName = choices("CertificateKindName", "lds", "contraction", "radius", "input")
#: The LMI solvers of ``--solver``.
SolverChoice = choices("SolverChoice", "CLARABEL", "SCS", "CVXOPT")
#: The dynamics of the contraction LMI (``--form``).
FormName = choices("FormName", "rate", "current")
#: How ``--kind radius`` bounds the basin (``--method``).
RadiusMethod = choices("RadiusMethod", "interval", "metzler", "lmi")
#: The box weights of the Metzler radius (``--weights``).
WeightsName = choices("WeightsName", "uniform", "perron")
#: The majorant of |W| in the Metzler condition (``--majorant``).
MajorantName = choices("MajorantName", "auto", "exact", "lowrank", "cauchy-schwarz")
#: The input of ``--kind input`` (``--cue``).
CueName = choices("CueName", "signed", "pattern")
#: Row types (any N) or unit by unit (``--reduction``).
ReductionName = choices("ReductionName", "types", "full")


def _certificate_record(certificate, **extra) -> dict:
    """The JSON record of a certificate: verdicts, `extra` fields, solver, residual table, parameters."""
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


def _memory_indices(memory: str, n_patterns: int) -> list[int]:
    """The memories ``--memory`` names: one index in [0, P-1], or ``all``."""
    if memory.strip().lower() == "all":
        return list(range(n_patterns))
    try:
        index = int(memory)
    except ValueError:
        raise typer.BadParameter(f"must be a memory index or 'all'; got {memory!r}", param_hint="'--memory'") from None
    if not 0 <= index < n_patterns:
        raise typer.BadParameter(f"must be in [0, {n_patterns - 1}]; got {index}", param_hint="'--memory'")
    return [index]


def certify_command(
    ctx: typer.Context,
    network_file: NetworkArgument,
    kind: Annotated[
        CertificateKindName,
        typer.Option("--kind", help="lds / contraction: global LMIs; radius: certified basin of --memory; "
                     "input: global retrieval under the cue input of --memory."),
    ] = CertificateKindName.radius,
    memory: Annotated[
        str,
        typer.Option("--memory", help="Memory index, or 'all' for every memory in one call (radius, input; with "
                     "--out DIR: one file per memory, KIND_MU.json, and a summary table)."),
    ] = "0",
    out: Annotated[
        Optional[Path],
        typer.Option("--out", help="Save the certificate here (.json); with --memory all, a directory for the files."),
    ] = None,
    solver: Annotated[Optional[SolverChoice], typer.Option("--solver", help="LMI solver (default by size).")] = None,
    form: Annotated[FormName, typer.Option("--form", help="Dynamics of the contraction LMI.")] = FormName.rate,
    method: Annotated[
        RadiusMethod,
        typer.Option("--method", help="radius: interval iteration (box, the largest certified retrieval radius), "
                     "Metzler box, or sector-LMI ellipsoid (l2)."),
    ] = RadiusMethod.interval,
    weights: Annotated[WeightsName, typer.Option("--weights", help="radius: box weights v.")] = WeightsName.uniform,
    majorant: Annotated[
        MajorantName,
        typer.Option("--majorant", help="radius --method metzler: the bound of |W| in the Metzler condition: |W| "
                     "itself (exact, k x k), the low-rank majorant |L||C||R|^T (lowrank, O(k m)), the Cauchy-Schwarz "
                     "row bound (cauchy-schwarz, O(k m^2), nearly exact), or auto (lowrank above 4096 row types)."),
    ] = MajorantName.auto,
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

    Exits 0 when the certificate is verified in exact arithmetic (with --memory all: every one),
    1 when one was not found, 2 on invalid input.
    """
    from ..certify import certified_radius, certify_contraction, certify_input_driven, certify_lds, save_certificate
    from ..io import load_network

    applies = {  # the options of each --kind; the others are refused, not ignored
        "memory": ("radius", "input"), "form": ("contraction",), "method": ("radius",), "weights": ("radius",),
        "majorant": ("radius",),
        "kappa": ("input",), "cue": ("input",),
    }
    refuse_inapplicable(ctx, {
        name: None if kind.value in kinds else f"with --kind {kind.value} (only with --kind {' or '.join(kinds)})"
        for name, kinds in applies.items()
    })
    if memory.strip().lower() != "all":  # with --memory all, --out is a directory
        output_path("--out", out)
    network = load_network(network_file)
    solver_name = None if solver is None else solver.value
    per_memory = kind in (CertificateKindName.radius, CertificateKindName.input)
    every = memory.strip().lower() == "all"
    if every and not per_memory:
        raise typer.BadParameter("'all' applies to --kind radius and input only", param_hint="'--memory'")
    memories = _memory_indices(memory, network.n_patterns) if per_memory else [0]
    if kind is CertificateKindName.radius and method is not RadiusMethod.metzler and weights is not WeightsName.uniform:
        raise typer.BadParameter("--weights perron applies to --method metzler only", param_hint="'--weights'")
    if kind is CertificateKindName.radius and method is not RadiusMethod.metzler and majorant is not MajorantName.auto:
        raise typer.BadParameter("applies to --method metzler only", param_hint="'--majorant'")
    if kind is CertificateKindName.input and not math.isfinite(kappa):
        raise typer.BadParameter(f"must be finite; got {kappa}", param_hint="'--kappa'")
    from ..certify.input_driven import MAX_INPUT

    if kind is CertificateKindName.input and abs(kappa) > MAX_INPUT:
        raise typer.BadParameter(
            f"must be at most {MAX_INPUT:g} in absolute value (a larger input saturates every unit); got {kappa}",
            param_hint="'--kappa'",
        )
    if every and out is not None and out.exists() and not out.is_dir():
        raise typer.BadParameter(f"with --memory all, must be a directory; got the file {str(out)!r}",
                                 param_hint="'--out'")

    def certify_one(mu: int):
        extra: dict = {"memory": mu} if per_memory else {}
        if kind is CertificateKindName.lds:
            return certify_lds(network, reduction=reduction.value, solver=solver_name), extra
        if kind is CertificateKindName.contraction:
            return certify_contraction(network, form=form.value, reduction=reduction.value, solver=solver_name), extra
        if kind is CertificateKindName.radius:
            result = certified_radius(network, mu, method=method.value, weights=weights.value,
                                      reduction=reduction.value, majorant=majorant.value, solver=solver_name)
            extra.update({"radius": result.radius, "min_half_width": result.min_half_width, "norm": result.norm,
                          "majorant": result.majorant})
            return result.certificate, extra
        xi = network.patterns[:, mu].astype(float)
        u = kappa * (2.0 * xi - 1.0) if cue is CueName.signed else kappa * xi
        certificate = certify_input_driven(network, u, memory=mu, reduction=reduction.value, solver=solver_name)
        extra.update({"kappa": kappa, "cue": cue.value})
        return certificate, extra

    if every:
        _certify_all(memories, certify_one, kind.value, out, save_certificate, as_json=as_json)
        return
    certificate, extra = certify_one(memories[0])
    if out is not None:
        save_certificate(out, certificate)
        extra["saved"] = str(out)
    radius = None
    if "radius" in extra:
        label = "certified retrieval radius" if extra["norm"] == "box" else "certified l2 radius (sector LMI)"
        radius = (f"memory {extra['memory']}: {label} {extra['radius']:.6g} "
                  f"(smallest half-width {extra['min_half_width']:.6g})")
    saved = None if out is None else f"saved to {out}"
    echo_result(_certificate_record(certificate, **extra), [radius, certificate.summary(), saved], as_json=as_json)
    if not certificate.certified:
        raise typer.Exit(code=1)


def _certify_all(memories, certify_one, kind: str, out: Optional[Path], save, *, as_json: bool) -> None:
    """``--memory all``: certify every memory, save one file each under `out`, print a summary table."""
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    records, rows = [], []
    for mu in memories:
        certificate, extra = certify_one(mu)
        if out is not None:
            extra["saved"] = str(save(out / f"{kind}_{mu}.json", certificate))
        records.append(_certificate_record(certificate, **extra))
        radius = f"{extra['radius']:.6g}" if "radius" in extra else "-"
        width = f"{extra['min_half_width']:.6g}" if "min_half_width" in extra else "-"
        rows.append(f"  {mu:>6}  {certificate.status.code:<20} {radius:>10} {width:>13}  {extra.get('saved', '-')}")
    n_certified = sum(record["certified"] for record in records)
    lines = [f"{kind} certificates for {len(memories)} memories: {n_certified} certified",
             f"  {'memory':>6}  {'status':<20} {'radius':>10} {'min half-w.':>13}  file", *rows]
    if as_json:
        typer.echo(json.dumps({"kind": kind, "n_memories": len(memories), "n_certified": n_certified,
                               "certificates": records}))
    else:
        typer.echo("\n".join(lines))
    if n_certified < len(memories):
        raise typer.Exit(code=1)


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
    from ..certify.serialize import load_certificate
    from ..certify.verification import verify
    from ..io import load_array, load_network

    try:
        certificate = load_certificate(certificate_file)
    except OSError as error:
        raise InvalidInput(f"cannot read the certificate {str(certificate_file)!r}: {error.strerror or error}") from None
    network = load_network(network_file)
    u = None if input_file is None else load_array(input_file, name="u").ravel()
    result = verify(certificate, network, u=u)
    record = _certificate_record(result.certificate, verified=result.verified, problems=list(result.problems),
                                 failed_hypothesis=result.hypothesis)
    echo_result(record, [result.summary(), f"(certificate {certificate_file}, network {network_file})"],
                as_json=as_json)
    if not result.verified:
        raise typer.Exit(code=1)
