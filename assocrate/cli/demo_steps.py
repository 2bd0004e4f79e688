"""The steps of the demo: each takes the shared :class:`DemoContext` and returns its section of ``report.md``.

A step may add networks, results, figures and key numbers to the context. A new analysis is one
more function in `STEPS` (run in order by :func:`assocrate.cli.demo.run_demo`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import spiking
from ..certify import certified_radius, save_certificate
from ..core.activations import Sigmoid
from ..core.design import MemoryNetwork, design
from ..core.equilibria import equilibrium_residual, refine_equilibrium, uniform_states
from ..core.patterns import default_pattern_count, equal_overlap_patterns, pattern_statistics, random_patterns
from ..datasets import letter_patterns
from ..io import save_network
from ..plots import (
    basin_profile_plot,
    capacity_plot,
    letter_recall,
    overlap_time_courses,
    patterns_and_weights,
    phase_diagram_panels,
    save_figure,
)
from ..retrieval import basin_profile, make_cues, nonstored_cues, retrieve
from ..stability import local_stability, lyapunov_certificate
from ..sweeps import capacity, phase_diagram, save_dataset

__all__ = ["DEMO_ACTIVATION", "DEMO_ACTIVITY", "DEMO_LEVELS", "DEMO_UNITS", "DemoContext", "STEPS"]

#: Reference setting of theory.md §7.
DEMO_UNITS = 1000
DEMO_ACTIVITY = 0.2
DEMO_ACTIVATION = Sigmoid(rho=4.8, threshold=0.2)
DEMO_LEVELS = {"negative gamma": (-0.3, 0.95), "positive gamma": (0.1, 0.95)}
#: Retrieval protocol: cues keep 60 % of the active units, dt = 0.01, reported at t = 10 (and 20).
DEMO_CUE = ("delete", 0.4)
DEMO_CUES_PER_MEMORY = 4
DEMO_NONSTORED = 16
DEMO_T_REFERENCE = 10.0
DEMO_T_MAX = 20.0
DEMO_NOISE = 0.1
#: Cues per memory and level in the basin profiles (14 memories: 42 cues per level, enough for a Wilson band).
DEMO_BASIN_TRIALS = 3
#: Pattern sets per load in the capacity curve (error bars over sets).
DEMO_CAPACITY_SETS = 3
#: Cue corruption levels at which certified and simulated retrieval are compared.
DEMO_CERTIFY_LEVELS = (0.2, 0.3, 0.4, 0.5)
#: Spiking section (theory.md §6b): Poisson neurons, r_max (Hz), tau = tau_s (s), cues per memory, t_max (tau).
DEMO_SPIKING = {"r_max": 100.0, "tau_syn": 0.01, "cues_per_memory": 2, "t_max": 4.0}


@dataclass
class DemoContext:
    """What the steps share: the output directory, the networks, results, files and key numbers.

    Mutable on purpose (it is the demo's notebook); :func:`run_demo` returns a frozen
    :class:`DemoResult` built from it.
    """

    out: Path
    seed: int
    networks: dict[str, MemoryNetwork] = field(default_factory=dict)
    results: dict[str, object] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    numbers: dict[str, float] = field(default_factory=dict)

    def figure(self, figure, name: str) -> str:
        """Save `figure` as `name` in the output directory; return the Markdown image line."""
        self.files.append(save_figure(figure, self.out / name))
        return f"![{Path(name).stem}]({name})"



# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------


def _residual_section(name: str, network: MemoryNetwork) -> list[str]:
    residuals = equilibrium_residual(network)
    refined = [refine_equilibrium(network, network.memory_rates()[:, mu]) for mu in range(network.n_patterns)]
    states = uniform_states(network)
    return [
        f"### {name}",
        "",
        "```",
        network.summary(),
        "```",
        "",
        f"- design residual max|W x̄ − h̄| over memories: {residuals.max():.3g} "
        f"({'exact equilibria' if residuals.max() < 1e-10 else 'approximate equilibria'})",
        f"- after Newton refinement: max residual {max(r.residual for r in refined):.3g}, "
        f"{sum(r.success for r in refined)}/{len(refined)} converged",
        "- uniform states: "
        + ", ".join(f"{s.kind} s={s.rate:.4g} ({'stable' if s.stable else 'unstable'})" for s in states),
        "",
    ]


def design_networks(ctx: DemoContext) -> list[str]:
    """The equal-overlap (exact) design and the random-pattern networks for both signs of gamma."""
    exact = design(equal_overlap_patterns(DEMO_UNITS, DEMO_ACTIVITY), DEMO_ACTIVATION, *DEMO_LEVELS["negative gamma"])
    ctx.networks["equal overlap"] = exact
    ctx.files.append(save_network(ctx.out / "equal_overlap.npz", exact))
    n_patterns = default_pattern_count(DEMO_UNITS)
    patterns = random_patterns(DEMO_UNITS, n_patterns, DEMO_ACTIVITY, seed=ctx.seed)
    for name, (a, b) in DEMO_LEVELS.items():
        ctx.networks[name] = design(patterns, DEMO_ACTIVATION, a, b, q=DEMO_ACTIVITY, r=DEMO_ACTIVITY)
    ctx.files.append(save_network(ctx.out / "random_negative_gamma.npz", ctx.networks["negative gamma"]))
    ctx.numbers["n_patterns"] = n_patterns
    return [
        "## Design",
        "",
        f"Equal-overlap patterns (every pattern qN active units, every pair the same overlap: the design "
        f"is exact) and P = floor(N / (10 ln N)) = {n_patterns} random patterns (i.i.d. Bernoulli(q); the "
        "design uses the nominal q = r = 0.2, so the memories are only approximate equilibria).",
        "",
        ctx.figure(patterns_and_weights(exact), "equal_overlap_weights.png"),
        "",
        ctx.figure(patterns_and_weights(ctx.networks["negative gamma"]), "random_weights.png"),
        "",
    ]


def check_equilibria(ctx: DemoContext) -> list[str]:
    """Design residuals, Newton-refined equilibria and uniform states of every network."""
    lines = ["## Equilibria", ""]
    lines += _residual_section("Equal-overlap patterns (exact design), a=-0.3, b=0.95", ctx.networks["equal overlap"])
    for name in DEMO_LEVELS:
        network = ctx.networks[name]
        lines += _residual_section(f"Random patterns, P={network.n_patterns}, {name} (a={network.a:g})", network)
    return lines


def _class_table(rows: list[tuple[str, object]]) -> list[str]:
    lines = [
        "| run | cues | success | overlap with cued (ideal φ(b)) | overlap with others (ideal) | final classes |",
        "|---|---|---|---|---|---|",
    ]
    for name, result in rows:
        counts = ", ".join(f"{k} {v}" for k, v in result.class_counts().items() if v)
        success = "n/a" if not np.isfinite(result.success_rate) else f"{result.success_rate:.0%}"
        cued = "n/a" if not np.isfinite(result.mean_overlap_cued) else f"{result.mean_overlap_cued:.4f}"
        lines.append(
            f"| {name} | {result.n_cues} ({result.cue}) | {success} | {cued} ({result.ideal_cued:.4f}) | "
            f"{result.mean_overlap_other:.4f} ({result.ideal_other:.4f}) | {counts} |"
        )
    return lines


def retrieve_reference(ctx: DemoContext) -> list[str]:
    """The reference experiment of theory.md §7 for both signs of gamma, plus non-stored cues."""
    kind, level = DEMO_CUE
    rows, panels, lines = [], {}, []
    for name in DEMO_LEVELS:
        network = ctx.networks[name]
        cues = make_cues(network, kind, level, trials=DEMO_CUES_PER_MEMORY, seed=ctx.seed + 1)
        result = retrieve(network, cues, t_max=DEMO_T_MAX, dt=0.01)
        strangers = retrieve(network, nonstored_cues(network, DEMO_NONSTORED, seed=ctx.seed + 2), t_max=DEMO_T_MAX)
        ctx.results[f"{name} reference"] = result
        at_reference = result.labels_at(DEMO_T_REFERENCE)
        ctx.numbers[f"{name} success"] = result.success_rate
        ctx.numbers[f"{name} success at t=10"] = float(np.mean(at_reference == "cued memory"))
        ctx.numbers[f"{name} all-on"] = float(np.mean(result.labels == "all-on"))
        ctx.numbers[f"{name} all-on at t=10"] = float(np.mean(at_reference == "all-on"))
        ctx.numbers[f"{name} nonstored quiescent"] = float(np.mean(strangers.labels == "quiescent"))
        ctx.numbers[f"{name} overlap cued"] = result.mean_overlap_cued
        ctx.numbers[f"{name} overlap other"] = result.mean_overlap_other
        rows += [(f"{name} (γ = {network.gamma:.3g})", result), (f"{name}, non-stored patterns", strangers)]
        panels[f"{name}: γ = {network.gamma:.3g} (a = {network.a:g})"] = result
        counts_10 = ", ".join(f"{v} {k}" for k, v in zip(*np.unique(at_reference, return_counts=True)))
        lines.append(f"- {name}: at t = {DEMO_T_REFERENCE:g}: {counts_10}; at t = {DEMO_T_MAX:g}: "
                     + ", ".join(f"{v} {k}" for k, v in result.class_counts().items() if v) + ".")
    return [
        "## Retrieval (theory.md §7)",
        "",
        f"Cues keep 60 % of a stored pattern's active units ({DEMO_CUES_PER_MEMORY} cues per memory); "
        f"{DEMO_NONSTORED} more cues are random patterns that are not stored. Deterministic Euler steps, dt = 0.01, "
        f"t ∈ [0, {DEMO_T_MAX:g}] (theory.md §7 reads the state at t = {DEMO_T_REFERENCE:g}; both are reported). Overlap m^ν = x·ξ^ν / |ξ^ν|; a final "
        "state is classified by its overlaps and mean rate against the ideal memories and uniform states "
        "(max-norm tolerance 0.15).",
        "",
        *_class_table(rows),
        "",
        *lines,
        "",
        "With global inhibition (γ < 0) every cued memory is retrieved and non-stored patterns die out; with "
        "γ > 0 the uniform all-on state is stable and every cue, stored or not, ends there.",
        "",
        ctx.figure(overlap_time_courses(panels, tau=network.tau), "overlaps.png"),
        "",
    ]


def retrieve_with_noise(ctx: DemoContext) -> list[str]:
    """The same cues with dynamical noise (Euler–Maruyama, no boundary at 0 and 1: the paper's model)."""
    kind, level = DEMO_CUE
    rows, panels = [], {}
    for name in DEMO_LEVELS:
        network = ctx.networks[name]
        cues = make_cues(network, kind, level, trials=DEMO_CUES_PER_MEMORY, seed=ctx.seed + 1)
        result = retrieve(network, cues, t_max=DEMO_T_MAX, sigma=DEMO_NOISE, seed=ctx.seed + 3)
        ctx.results[f"{name} noisy"] = result
        ctx.numbers[f"{name} noisy success"] = result.success_rate
        rows.append((f"{name}, σ = {DEMO_NOISE:g}", result))
        panels[f"{name}: γ = {network.gamma:.3g}"] = result
    return [
        "### With dynamical noise",
        "",
        f"x ← x + f(x) dt + σ √dt n with σ = {DEMO_NOISE:g} and boundary = "
        f"{ctx.results['negative gamma noisy'].boundary} (the paper's model: no reflection at 0 and 1; reflecting "
        f"would raise every silent unit's mean rate by σ/√π ≈ {DEMO_NOISE / math.sqrt(math.pi):.3f} and lower the "
        "cued overlap by about as much).",
        "",
        *_class_table(rows),
        "",
        ctx.figure(overlap_time_courses(panels, title=f"overlaps with noise σ = {DEMO_NOISE:g}", tau=network.tau),
                   "overlaps_noisy.png"),
        "",
    ]


def probe_basins(ctx: DemoContext) -> list[str]:
    """Retrieval probability against cue corruption (deleted and flipped units), γ < 0."""
    network = ctx.networks["negative gamma"]
    profiles = {
        "deleted active units": basin_profile(network, None, np.linspace(0.0, 1.0, 11), DEMO_BASIN_TRIALS,
                                               seed=ctx.seed + 4),
        "flipped units": basin_profile(network, None, np.linspace(0.0, 0.5, 11), DEMO_BASIN_TRIALS, seed=ctx.seed + 5,
                                       kind="flip"),
    }
    ctx.results["basins"] = profiles
    ctx.numbers["basin edge delete"] = profiles["deleted active units"].edge(0.5)
    ctx.numbers["basin edge flip"] = profiles["flipped units"].edge(0.5)
    return [
        "## Basins of attraction (γ < 0)",
        "",
        f"Every memory retrieved with probability ≥ 0.5 up to {ctx.numbers['basin edge delete']:.2g} of its active "
        f"units deleted, or {ctx.numbers['basin edge flip']:.2g} of all units flipped; beyond that the cue falls to "
        "the quiescent state.",
        "",
        ctx.figure(basin_profile_plot(profiles), "basins.png"),
        "",
    ]


def measure_capacity(ctx: DemoContext) -> list[str]:
    """Capacity curve for random patterns (N = 500 to keep the demo short)."""
    a, b = DEMO_LEVELS["negative gamma"]
    curve = capacity(500, [0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12], DEMO_ACTIVITY, DEMO_ACTIVATION, (a, b),
                     trials=DEMO_CAPACITY_SETS, seed=ctx.seed + 6)
    ctx.results["capacity"] = curve
    ctx.numbers["capacity 0.9"] = curve.capacity(0.9)
    return [
        "## Capacity (random patterns, N = 500)",
        "",
        "A memory counts only if Newton's method finds a true equilibrium near it, that equilibrium is locally "
        "stable (largest Jacobian eigenvalue from the reduced (P+1)×(P+1) problem below 0), and a cue "
        "keeping 60 % of its active units retrieves it.",
        "",
        "```",
        curve.summary(),
        "```",
        "",
        ctx.figure(capacity_plot(curve), "capacity.png"),
        "",
    ]


def recall_letters(ctx: DemoContext) -> list[str]:
    """Letters 12×10 px: bare bitmaps are too correlated; padded with random units they are recalled."""
    letters = "AEKOSTXZ"
    padded = letter_patterns(letters, padding=400, seed=ctx.seed)
    bare = letter_patterns(letters)
    a, b = DEMO_LEVELS["negative gamma"]
    numbers = {}
    for name, item in (("padded", padded), ("bare", bare)):
        stats = pattern_statistics(item.patterns)  # letters: approximate design, on purpose
        network = design(item.patterns, DEMO_ACTIVATION, a, b, q=stats.q, r=stats.r)
        cues = make_cues(network, "delete", 0.4, seed=ctx.seed + 7)
        result = retrieve(network, cues)
        numbers[name] = result.success_rate
        if name == "padded":
            picture = ctx.figure(letter_recall(item, cues, result), "letters.png")
    ctx.numbers["letters padded success"] = numbers["padded"]
    ctx.numbers["letters bare success"] = numbers["bare"]
    return [
        "## Letters",
        "",
        f"Eight 12×10 letter bitmaps ({letters}). Stored bare (N = 120) they overlap too much and too unequally for "
        f"the design: {numbers['bare']:.0%} of cues recall their letter. Each padded with 400 random units "
        f"(q = 0.2), {numbers['padded']:.0%} do. Cues delete 40 % of each pattern's active units.",
        "",
        picture,
        "",
    ]


def check_local_stability(ctx: DemoContext) -> list[str]:
    """Exact Jacobian spectra of every memory (theory.md §4) and an exactly verified Lyapunov certificate."""
    lines = [
        "## Local stability",
        "",
        "Largest Jacobian eigenvalue of every memory from the exact (P+1)×(P+1) reduction, at the "
        "Newton-refined equilibrium, next to the paper's sufficient and instability conditions.",
        "",
    ]
    for name, network in ctx.networks.items():
        result = local_stability(network)
        certificate = lyapunov_certificate(network, 0)
        ctx.numbers[f"{name} stable memories"] = result.n_stable
        verdict = "certified (exact check passed)" if certificate.certified else "not certified"
        lines += [f"### {name}", "", "```", result.summary(), "```", "",
                  f"- Lyapunov certificate for memory 0: {verdict}. {certificate.claim}", ""]
    return lines


def draw_phase_diagrams(ctx: DemoContext) -> list[str]:
    """The paper's phase diagrams: both activations, both signs of gamma (equal-overlap, N = 1000)."""
    datasets = []
    for activation in ("sigmoid", "tanh"):
        for sign, (a, b) in zip(("negative", "positive"), DEMO_LEVELS.values()):
            dataset = phase_diagram(activation=activation, a=a, b=b)
            ctx.files.append(save_dataset(ctx.out / f"phase_{activation}_{sign}_gamma.nc", dataset))
            datasets.append(dataset)
    return [
        "## Phase diagrams",
        "",
        "Over gain ρ and threshold x* (30×30 grid, equal-overlap patterns, q = 0.2): stable (blue) and unstable "
        "(red) from the exact spectrum; dashed: the sufficient condition; dotted: the instability condition. "
        "Rows: sigmoid, rectified tanh; columns: a = -0.3 (γ < 0), a = 0.1 (γ > 0).",
        "",
        ctx.figure(phase_diagram_panels(datasets), "phase_diagrams.png"),
        "",
    ]


def certify_basins(ctx: DemoContext) -> list[str]:
    """Certified retrieval radius of every memory (exactly verified) next to the empirical basin."""
    network = ctx.networks["negative gamma"]
    certificates = ctx.out / "certificates"
    certificates.mkdir(exist_ok=True)
    radii = [certified_radius(network, mu) for mu in range(network.n_patterns)]
    for mu, radius in enumerate(radii):
        ctx.files.append(save_certificate(certificates / f"radius_{mu}.json", radius.certificate))
    exact_radius = certified_radius(ctx.networks["equal overlap"], 0)
    ctx.numbers["radius equal overlap"] = exact_radius.radius
    ctx.numbers["radius min"] = min(r.radius for r in radii)
    rows = [
        "| deleted active units | cues | provably retrieve (certified box) | retrieved (simulation) | "
        "certified but not retrieved (must be 0) |",
        "|---|---|---|---|---|",
    ]
    for level in DEMO_CERTIFY_LEVELS:
        cues = make_cues(network, "delete", level, trials=DEMO_CUES_PER_MEMORY, seed=ctx.seed + 8)
        proved = np.zeros(cues.n_cues, dtype=bool)
        for mu, radius in enumerate(radii):
            mine = cues.cued == mu
            proved[mine] = radius.retrieves(network, cues.x0[:, mine])
        simulated = retrieve(network, cues).labels == "cued memory"
        ctx.numbers["certified but not retrieved"] = ctx.numbers.get("certified but not retrieved", 0) + int(
            np.sum(proved & ~simulated)
        )
        rows.append(
            f"| {level:.0%} | {cues.n_cues} | {proved.mean():.0%} | {simulated.mean():.0%} | "
            f"{int(np.sum(proved & ~simulated))} |"
        )
    per_memory = ", ".join(f"{r.radius:.3f}" for r in radii)
    return [
        "## Certified retrieval radius",
        "",
        f"A cue whose current W x lies within δ of a memory's equilibrium in every unit provably retrieves it "
        f"(the box is forward invariant by interval iteration and its images end in a Metzler box, theory.md §5 "
        f"item 3b; verified in exact rational arithmetic). Equal-overlap "
        f"design: δ = {exact_radius.radius:.4f} (b − a = {network.b - network.a:g}), "
        f"{'certified' if exact_radius.certified else 'NOT certified'}. Random patterns, γ < 0, δ per memory: "
        f"{per_memory} ({sum(r.certified for r in radii)}/{len(radii)} certified; files in `certificates/`, "
        f"re-check one with `assocrate verify {ctx.out / 'certificates' / 'radius_0.json'} "
        f"{ctx.out / 'random_negative_gamma.npz'}`).",
        "",
        "The certificate is a lower bound on the basin: "
        + (
            "every cue it covers was retrieved in simulation."
            if ctx.numbers["certified but not retrieved"] == 0
            else f"{ctx.numbers['certified but not retrieved']} covered cues were NOT retrieved: report this as a bug."
        ),
        "",
        *rows,
        "",
    ]


def retrieve_with_spikes(ctx: DemoContext) -> list[str]:
    """The equal-overlap design realized with Poisson neurons (Brian2), cued like the rate network; skipped without Brian2."""
    lines = ["## Spiking neurons (theory.md §6b)", ""]
    if not spiking.is_brian2_available():
        return lines + [f"Skipped: {spiking.BRIAN2_MISSING}.", ""]
    network = ctx.networks["equal overlap"]
    settings = DEMO_SPIKING
    sn = spiking.spiking_realization(network, r_max=settings["r_max"], tau_syn=settings["tau_syn"], seed=ctx.seed)
    cues = make_cues(network, *DEMO_CUE, trials=settings["cues_per_memory"], seed=ctx.seed + 1)
    result = spiking.simulate_spiking(sn, cues, settings["t_max"], seed=ctx.seed)
    rate = retrieve(network, cues, t_max=settings["t_max"])
    target_active, target_inactive = (sn.r_max * float(network.activation.phi(level)) for level in (network.b, network.a))
    ctx.results["spiking"] = result
    ctx.numbers["spiking success"] = result.success_rate
    ctx.numbers["spiking rate active (Hz)"] = result.rate_active_hz
    ctx.numbers["spiking rate inactive (Hz)"] = result.rate_inactive_hz
    return lines + [
        f"Each of the N = {network.n_units} units of the equal-overlap design is one Poisson neuron firing at "
        f"r_max φ(h) (r_max = {sn.r_max:g} Hz); every spike adds 1/(r_max τ_s) to its unit's trace (τ_s = τ = "
        f"{sn.tau_syn * 1e3:g} ms) and the currents h = W s go through the {network.n_patterns + 1} latent traces "
        f"of the low-rank factors (no N² synapses). {result.n_cues} cues keep 60 % of a memory's active units; "
        f"t ∈ [0, {settings['t_max']:g}] τ.",
        "",
        "| | spiking | rate network |",
        "|---|---|---|",
        f"| cued memory retrieved | {result.success_rate:.0%} | {rate.success_rate:.0%} |",
        f"| final overlap with the cued memory | {np.nanmean(result.overlap_cued):.3f} | {rate.mean_overlap_cued:.3f} |",
        f"| rate of the memory's active units | {result.rate_active_hz:.1f} Hz | r_max φ(b) = {target_active:.1f} Hz |",
        f"| rate of its inactive units | {result.rate_inactive_hz:.2f} Hz | r_max φ(a) = {target_inactive:.2f} Hz |",
        "",
        f"Rates are spike counts over the last {result.rate_window:g} τ, {result.spike_times.size} spikes in all.",
        "",
        ctx.figure(spiking.raster_figure(result, 0), "raster.png"),
        "",
    ]


#: The demo, in order: (progress description, step function).
STEPS: tuple[tuple[str, Callable[[DemoContext], list[str]]], ...] = (
    ("designing the networks", design_networks),
    ("checking equilibria", check_equilibria),
    ("checking local stability", check_local_stability),
    ("drawing phase diagrams", draw_phase_diagrams),
    ("retrieving from cues (γ < 0 and γ > 0)", retrieve_reference),
    ("retrieving with dynamical noise", retrieve_with_noise),
    ("probing basins of attraction", probe_basins),
    ("certifying retrieval radii", certify_basins),
    ("measuring capacity", measure_capacity),
    ("recalling letters", recall_letters),
    ("retrieving with spiking neurons", retrieve_with_spikes),
)
