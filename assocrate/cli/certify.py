"""``assocrate certify`` and ``verify``: search for a certificate and re-check one from its file.

Both exit 0 when the certificate holds in exact arithmetic, 1 when it does not, 2 on invalid input.
The library is imported at the start of each command so that ``assocrate --help`` stays quick.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InvalidInput
from .options import JsonOption, NetworkArgument, choices, echo_result

__all__ = ["certify_command", "verify_command"]


#: The certificates of ``--kind``.
CertificateKindName = choices("CertificateKindName", "lds", "contraction", "radius", "input")
#: The LMI solvers of ``--solver``.
SolverChoice = choices("SolverChoice", "CLARABEL", "SCS", "CVXOPT")
#: The dynamics of the contraction LMI (``--form``).
FormName = choices("FormName", "rate", "current")
#: How ``--kind radius`` bounds the basin (``--method``).
RadiusMethod = choices("RadiusMethod", "metzler", "lmi")
#: The box weights of the Metzler radius (``--weights``).
WeightsName = choices("WeightsName", "uniform", "perron")
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


def certify_command(
    network_file: NetworkArgument,
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
    from ..certify import certified_radius, certify_contraction, certify_input_driven, certify_lds, save_certificate
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
    radius = None
    if "radius" in extra:
        label = "certified retrieval radius" if extra["norm"] == "box" else "certified l2 radius (sector LMI)"
        radius = f"memory {memory}: {label} {extra['radius']:.6g} (smallest half-width {extra['min_half_width']:.6g})"
    saved = None if out is None else f"saved to {out}"
    echo_result(_certificate_record(certificate, **extra), [radius, certificate.summary(), saved], as_json=as_json)
    if not certificate.certified:
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
