"""Certificates at scale: LMIs on row types vs the full N x N LMI, exact re-check time, radius vs basin.

Run: ``python benchmarks/bench_certify.py`` (a few minutes on two cores). Prints a human-readable
line and one JSON line per measurement:

(a) the LDS LMI (N x N) and the rate-form contraction LMI (2N x 2N) for the equal-overlap design
    run with a low-gain sigmoid (rho = 0.5, so the LMIs are feasible), solved on the row types
    (7 or 8 classes) and as the full LMI, N = 40, 100, 200, with Clarabel (only where the LMI
    dimension is at most 80: it was seen to take > 16 GB at 200) and SCS; wall time of the
    certify call (solve + rounding + exact check), the solver's own time, peak memory, the margin
    t and whether the exact check passed; also N = 10^5 on row types;
(b) exact re-check time vs N: :func:`~assocrate.certify.verification.verify` on each certificate;
(c) the certified retrieval radius (Metzler and interval iteration, row types and unit by unit) at
    N = 1000 and 10^5;
(d) certified radius vs the empirical basin: the largest multiple of the certified radius at
    which 100 random starts (corners of the box, and uniform in it) all converge;
(e) the interval radius (theory.md §5 item 3b) on the equal-overlap and random-pattern demo
    designs: certify and exact re-check time, 2000 simulated starts from the certified box
    (corners, faces, interior) of the reference design, and the certified / empirical ratio, the
    empirical basin being the largest delta (step 0.01) at which every corner that is constant on
    the row types converges (all 128 for the 7 types of the reference design; the two corners
    aligned with the pattern and 254 random ones for the random design);
(f) proved phase diagrams (``phase_diagram(prove=True)``), the paper's four 30 x 30 grids: time and
    counts of proved cells, compared cell by cell with the exact-spectrum verdicts;
(g) the Metzler radius of random patterns (P = 20, q = 0.2, seed 0, memory 0) with the exact ``|W|``,
    the low-rank majorant ``|L||C||R|^T`` and the Cauchy-Schwarz row bound (issue 15): certify and
    exact re-check timed in alternated rounds (``_timing.alternated``: min / median / max, load
    printed), all three at N = 4000 (k = 3041 row types), the two factor bounds at N = 10^5
    (k = 34606; the exact one's k x k matrices do not fit), with the radii side by side and the peak
    RSS of each subprocess.

``--only TASK[,TASK]`` runs some of them (tasks: lmi, radius, basin, interval, phase_proof, lowrank).

Every solver run happens in its own subprocess with an address-space cap (``RLIMIT_AS``, 6 GB)
and a timeout, so a runaway solve cannot take the machine (other people share it).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import dataclasses  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

MEMORY_CAP = 6 * 1024**3
TIMEOUT = 900


def _network(n_units: int, low_gain: bool):
    from assocrate.core.activations import Sigmoid
    from assocrate.core.design import design
    from assocrate.core.patterns import equal_overlap_patterns

    network = design(equal_overlap_patterns(n_units, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    return dataclasses.replace(network, activation=Sigmoid(0.5, 0.2)) if low_gain else network


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def child_lmi(config: dict) -> dict:
    from assocrate.certify import certify_contraction, certify_lds
    from assocrate.certify.verification import verify

    network = _network(config["n"], low_gain=True)
    start = time.perf_counter()
    if config["lmi"] == "lds":
        cert = certify_lds(network, reduction=config["reduction"], solver=config["solver"])
    else:
        cert = certify_contraction(network, reduction=config["reduction"], solver=config["solver"])
    total = time.perf_counter() - start
    start = time.perf_counter()
    verified = verify(cert, network).verified if cert.verified_exact else False
    recheck = time.perf_counter() - start
    return {
        **config,
        "n_classes": cert.parameters["n_classes"],
        "certify_s": total,
        "solver_s": cert.solver.solve_time,
        "status": cert.solver.status.split(" ")[0],
        "margin": cert.data.get("margin"),
        "verified_exact": cert.verified_exact,
        "recheck_s": recheck,
        "rechecked": verified,
        "peak_rss_gb": _peak_rss_gb(),
    }


def child_radius(config: dict) -> dict:
    from assocrate.certify import certified_radius
    from assocrate.certify.verification import verify

    network = _network(config["n"], low_gain=False)
    start = time.perf_counter()
    result = certified_radius(network, 0, reduction=config["reduction"], method=config["method"])
    total = time.perf_counter() - start
    start = time.perf_counter()
    verified = verify(result.certificate, network).verified
    return {
        **config,
        "radius": result.radius,
        "certified": result.certified,
        "certify_s": total,
        "recheck_s": time.perf_counter() - start,
        "rechecked": verified,
        "peak_rss_gb": _peak_rss_gb(),
    }


def child_basin(config: dict) -> dict:
    import numpy as np

    from assocrate.certify import certified_radius

    network = _network(config["n"], low_gain=False)
    result = certified_radius(network, 0, method="metzler")
    delta = result.radius
    center = network.memory_currents()[:, 0]
    phi = network.activation.phi
    rng = np.random.default_rng(0)
    largest = {}
    for mode in ("corner", "uniform"):
        largest[mode] = None
        for factor in np.arange(1.0, 2.45, 0.1):
            shape = (network.n_units, config["starts"])
            offsets = rng.choice([-1.0, 1.0], shape) if mode == "corner" else rng.uniform(-1.0, 1.0, shape)
            H = center[:, None] + factor * delta * offsets
            for _ in range(150):
                H = H + 0.5 * (-H + network.weights_matvec(phi(H)))
            if np.all(np.max(np.abs(H - center[:, None]), axis=0) < 1e-6):
                largest[mode] = round(float(factor), 2)
            else:
                break
    return {**config, "certified_radius": delta, "largest_all_converged_factor": largest}


def _converges(network, center, H, steps: int = 400):
    """Euler with s = 1/2 (a convex combination of h and W Phi(h)): (all converged, largest excursion)."""
    import numpy as np

    phi = network.activation.phi
    farthest = 0.0
    for _ in range(steps):
        H = H + 0.5 * (-H + network.weights_matvec(phi(H)))
        farthest = max(farthest, float(np.max(np.abs(H - center[:, None]))))
    return np.max(np.abs(H - center[:, None]), axis=0) < 1e-6, farthest


def _box_starts(center, delta: float, n_starts: int, rng):
    """A third corners, a third on faces (half the coordinates pinned to a face), a third inside."""
    import numpy as np

    n, third = center.size, n_starts // 3
    corners = rng.choice([-1.0, 1.0], (n, third))
    faces = rng.uniform(-1.0, 1.0, (n, third))
    pinned = rng.random((n, third)) < 0.5
    faces[pinned] = rng.choice([-1.0, 1.0], int(pinned.sum()))
    interior = rng.uniform(-1.0, 1.0, (n, n_starts - 2 * third))
    return center[:, None] + delta * np.concatenate([corners, faces, interior], axis=1)


def child_interval(config: dict) -> dict:
    import itertools
    import warnings

    import numpy as np

    from assocrate.certify import certified_radius
    from assocrate.certify._reduction import reduce_network
    from assocrate.certify.verification import verify
    from assocrate.core.activations import Sigmoid
    from assocrate.core.design import design
    from assocrate.core.patterns import equal_overlap_patterns, random_patterns

    if config["design"] == "equal-overlap":
        network = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            network = design(random_patterns(1000, 14, 0.2, seed=0), Sigmoid(4.8, 0.2), -0.3, 0.95, q=0.2, r=0.2)
    start = time.perf_counter()
    result = certified_radius(network, 0, method="interval")
    certify_s = time.perf_counter() - start
    start = time.perf_counter()
    rechecked = verify(result.certificate, network).verified
    recheck_s = time.perf_counter() - start
    start = time.perf_counter()
    metzler = certified_radius(network, 0, method="metzler")
    metzler_s = time.perf_counter() - start
    delta = result.radius
    center = np.asarray(result.certificate.data["center"])[reduce_network(network).part.index]
    rng = np.random.default_rng(0)
    converged, farthest = _converges(network, center, _box_starts(center, delta, config["starts"], rng))
    index = reduce_network(network).part.index
    k = int(index.max()) + 1
    if k <= 10:
        signs = np.array(list(itertools.product([-1.0, 1.0], repeat=k))).T
    else:
        aligned = 2.0 * network.patterns[:, 0][np.unique(index, return_index=True)[1]] - 1.0
        signs = np.concatenate([aligned[:, None], -aligned[:, None], rng.choice([-1.0, 1.0], (k, 254))], axis=1)
    empirical = None
    for trial in np.arange(round(delta, 2), 2.0, 0.01):
        ok, _ = _converges(network, center, center[:, None] + trial * signs[index])
        if not ok.all():
            break
        empirical = round(float(trial), 2)
    return {
        **config, "k": k, "radius": delta, "certified": result.certified, "steps": result.certificate.parameters.get("steps"),
        "certify_s": certify_s, "recheck_s": recheck_s, "rechecked": rechecked, "metzler_radius": metzler.radius,
        "metzler_s": metzler_s, "starts_converged": int(converged.sum()), "largest_excursion": farthest,
        "empirical_basin": empirical, "ratio": None if empirical is None else delta / empirical,
    }


def child_lowrank(config: dict) -> dict:
    import warnings

    from _timing import alternated, load_average

    from assocrate.certify import certified_radius
    from assocrate.certify.verification import verify
    from assocrate.core.activations import Sigmoid
    from assocrate.core.design import design
    from assocrate.core.patterns import random_patterns

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        network = design(random_patterns(config["n"], 20, 0.2, seed=0), Sigmoid(4.8, 0.2), -0.3, 0.95, q=0.2, r=0.2)
    results, verdicts, functions = {}, {}, {}
    for majorant in config["majorants"]:
        def certify(majorant=majorant):
            results[majorant] = certified_radius(network, 0, method="metzler", majorant=majorant)

        def recheck(majorant=majorant):
            verdicts[majorant] = verify(results[majorant].certificate, network).verified

        functions[f"{majorant} certify"], functions[f"{majorant} verify"] = certify, recheck
    load_before = load_average()
    times = alternated(functions, config["rounds"])
    return {
        **config, "k": network.row_types.n_types, "load_before": load_before, "load_after": load_average(),
        "seconds": times, "radius": {name: result.radius for name, result in results.items()},
        "certified": {name: result.certified for name, result in results.items()}, "rechecked": verdicts,
        "peak_rss_gb": _peak_rss_gb(),
    }


def child_phase_proof(config: dict) -> dict:
    import numpy as np

    from assocrate.sweeps import phase_diagram

    start = time.perf_counter()
    ds = phase_diagram(activation=config["activation"], a=config["a"], b=0.95, prove=True)
    seconds = time.perf_counter() - start
    proof, unstable, valid = ds["proof"].values, ds["unstable"].values, ds["valid"].values
    return {
        **config, "seconds": seconds, "stable_proved": int((proof == 1).sum()), "unstable_proved": int((proof == 2).sum()),
        "undecided": int((proof == 0).sum()), "no_network": int((proof == -1).sum()),
        "equal_to_spectrum": bool(np.array_equal(proof == 1, valid & ~unstable) and np.array_equal(proof == 2, unstable)),
    }


CHILDREN = {"lmi": child_lmi, "radius": child_radius, "basin": child_basin, "interval": child_interval,
            "phase_proof": child_phase_proof, "lowrank": child_lowrank}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_child(config: dict) -> dict:
    """Run one measurement in a subprocess with a memory cap and a timeout."""
    start = time.perf_counter()
    try:
        completed = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(config)],
            capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        return {**config, "error": f"timeout after {TIMEOUT} s"}
    if completed.returncode != 0:
        tail = " ".join(completed.stderr.strip().splitlines()[-1:])
        return {**config, "error": f"exit {completed.returncode}: {tail[:200]}", "wall_s": time.perf_counter() - start}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _describe(record: dict) -> str:
    if "error" in record:
        return f"{record['task']} {record}: ERROR {record['error']}"
    if record["task"] == "lmi":
        return (
            f"{record['lmi']:<11} N={record['n']:<6} {record['reduction']:<5} {record['solver']:<8} "
            f"k={record['n_classes']:<5} certify {record['certify_s']:8.3f} s (solver {record['solver_s']:8.3f} s, "
            f"{record['status']}) margin {record['margin']:.6g} exact={record['verified_exact']} "
            f"re-check {record['recheck_s']:7.3f} s  peak {record['peak_rss_gb']:.2f} GB"
        )
    if record["task"] == "radius":
        return (
            f"radius      {record['method']:<8} N={record['n']:<6} {record['reduction']:<5} radius {record['radius']:.6f} "
            f"certified={record['certified']} certify {record['certify_s']:.3f} s re-check {record['recheck_s']:.3f} s "
            f"peak {record['peak_rss_gb']:.2f} GB"
        )
    if record["task"] == "interval":
        return (
            f"interval    {record['design']:<13} k={record['k']:<4} radius {record['radius']:.6f} (Metzler "
            f"{record['metzler_radius']:.6f}) certified={record['certified']} K={record['steps']} certify "
            f"{record['certify_s']:.2f} s (Metzler {record['metzler_s']:.2f} s) re-check {record['recheck_s']:.2f} s "
            f"rechecked={record['rechecked']}; {record['starts_converged']}/{record['starts']} box starts converge "
            f"(largest excursion {record['largest_excursion']:.4f}); empirical basin {record['empirical_basin']}, "
            f"certified/empirical {record['ratio']}"
        )
    if record["task"] == "lowrank":
        parts = [
            f"{name} radius {record['radius'][name]:.6f} (certified={record['certified'][name]}, "
            f"rechecked={record['rechecked'][name]}): certify "
            + "/".join(f"{x:.2f}" for x in record["seconds"][f"{name} certify"])
            + " s, verify " + "/".join(f"{x:.2f}" for x in record["seconds"][f"{name} verify"]) + " s"
            for name in record["majorants"]
        ]
        return (f"lowrank     N={record['n']:<6} k={record['k']:<5} " + "; ".join(parts)
                + f" (min/median/max of {record['rounds']} alternated rounds); peak {record['peak_rss_gb']:.2f} GB; "
                f"load {record['load_before']} -> {record['load_after']}")
    if record["task"] == "phase_proof":
        return (
            f"phase proof {record['activation']:<7} a={record['a']:<5} {record['seconds']:.2f} s: stable "
            f"{record['stable_proved']}, unstable {record['unstable_proved']}, undecided {record['undecided']}, "
            f"no network {record['no_network']}; equal to the exact spectrum: {record['equal_to_spectrum']}"
        )
    return (
        f"basin       N={record['n']} certified radius {record['certified_radius']:.4f}; all {record['starts']} "
        f"starts converge up to factor {record['largest_all_converged_factor']}"
    )


def configurations() -> list[dict]:
    configs = []
    for lmi in ("lds", "contraction"):
        for n in (40, 100, 200):
            for reduction in ("types", "full"):
                for solver in ("CLARABEL", "SCS"):
                    dimension = n if lmi == "lds" else 2 * n
                    if solver == "CLARABEL" and reduction == "full" and dimension > 80:
                        continue  # Clarabel: only small full LMIs (memory)
                    configs.append({"task": "lmi", "lmi": lmi, "n": n, "reduction": reduction, "solver": solver})
        configs.append({"task": "lmi", "lmi": lmi, "n": 100_000, "reduction": "types", "solver": "CLARABEL"})
    for method in ("metzler", "interval"):
        for n, reduction in ((1000, "types"), (1000, "full"), (100_000, "types")):
            configs.append({"task": "radius", "n": n, "reduction": reduction, "method": method})
    configs.append({"task": "basin", "n": 1000, "starts": 100})
    for name in ("equal-overlap", "random"):
        configs.append({"task": "interval", "design": name, "starts": 2000})
    for activation in ("sigmoid", "tanh"):
        for a in (-0.3, 0.1):
            configs.append({"task": "phase_proof", "activation": activation, "a": a})
    configs.append({"task": "lowrank", "n": 4000, "majorants": ["exact", "lowrank", "cauchy-schwarz"], "rounds": 3})
    configs.append({"task": "lowrank", "n": 100_000, "majorants": ["lowrank", "cauchy-schwarz"], "rounds": 2})
    return configs


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        config = json.loads(sys.argv[2])
        print(json.dumps(CHILDREN[config["task"]](config)))
        return
    only = None
    if len(sys.argv) == 3 and sys.argv[1] == "--only":
        only = set(sys.argv[2].split(","))
    for config in configurations():
        if only is not None and config["task"] not in only:
            continue
        record = run_child(config)
        print(_describe(record), flush=True)
        print(json.dumps({"benchmark": "certify", **record}), flush=True)


if __name__ == "__main__":
    main()
