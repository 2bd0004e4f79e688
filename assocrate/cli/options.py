"""What the commands share: option types, choices, option parsers and the progress bar.

An option parser turns the text of one option into a value or raises :class:`typer.BadParameter`
naming the option, which the command line prints as one ``error: ...`` line (exit status 2).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from .._validation import check_patterns
from ..core.activations import Activation, activation_from_name
from ..core.design import MemoryNetwork, design
from ..core.patterns import make_patterns
from ..errors import InvalidInput
from ..io import check_output_path, load_patterns

__all__ = [
    "ActivationName",
    "Interrupted",
    "DesignActivationName",
    "PointName",
    "LayoutName",
    "RuleName",
    "build_activation",
    "build_network",
    "build_patterns",
    "check_pattern_options",
    "choices",
    "echo_result",
    "grid_axis",
    "is_named_ensemble",
    "output_path",
    "parse_cue_option",
    "parse_loads",
    "parse_scheduler",
    "pattern_option_names",
    "progress_bar",
    "refuse_inapplicable",
    "relabelled",
    "typed_options",
]

#: The named pattern ensembles of ``--patterns`` (anything else is a file).
ENSEMBLES = ("equal-overlap", "random", "correlated")


class Interrupted(Exception):  # noqa: N818 - named for what happened (Ctrl-C), as KeyboardInterrupt
    """Ctrl-C in a command that keeps something (a checkpoint); the message says what was kept.

    :func:`assocrate.cli.main` prints it as ``interrupted: MESSAGE`` and exits 130. (typer turns a
    bare KeyboardInterrupt into exit status 130 without a message; main then says nothing was written.)
    """


def choices(name: str, *values: str) -> type[Enum]:
    """A ``str`` enum whose members are `values`, by name and value: the choices of an option."""
    return Enum(name, [(value, value) for value in values], type=str, module=__name__)


#: The rate functions of ``--activation``.
ActivationName = choices("ActivationName", "sigmoid", "tanh")
#: The rate functions of ``assocrate design --activation`` (lif: the LIF transfer function, theory.md §6b).
DesignActivationName = choices("DesignActivationName", "sigmoid", "tanh", "lif")
#: Defaults of the activation parameters that ``--activation`` leaves unset (``--threshold`` per activation).
ACTIVATION_DEFAULTS = {
    "sigmoid": {"rho": 4.8, "threshold": 0.2},
    "tanh": {"rho": 4.8, "threshold": 0.2},
    "lif": {"tau_m": 0.01, "t_ref": 0.004, "threshold": 1.0, "reset": 0.0, "sigma": 0.3},
}
#: Where ``--at`` linearises: the refined equilibrium or the designed memory.
PointName = choices("PointName", "equilibrium", "ideal")
#: The design rules of ``--rule`` (theory.md §3).
RuleName = choices("RuleName", "betteti", "projection")
#: The layouts of a pattern file (``--layout``).
LayoutName = choices("LayoutName", "units-by-patterns", "patterns-by-units")


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
LayoutOption = Annotated[
    LayoutName,
    typer.Option(
        "--layout",
        help="A pattern file's layout: units-by-patterns (N x P, one pattern per column) or patterns-by-units "
        "(P x N, one pattern per row).",
    ),
]
RuleOption = Annotated[
    RuleName,
    typer.Option(
        "--rule",
        help="betteti (exact for equal activities and overlaps) or projection (exact for any independent "
        "patterns; symmetric only for equal activities). theory.md §3.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
NetworkArgument = Annotated[Path, typer.Argument(help="A network saved by `assocrate design --out` (.npz).")]
AtOption = Annotated[
    PointName, typer.Option("--at", help="Linearise at the true equilibrium (refined) or the designed memory.")
]
CueOption = Annotated[
    str,
    typer.Option("--cue", help="delete:FRACTION, flip:FRACTION, noise:SIGMA or input:KAPPA[:DURATION]."),
]
DurationOption = Annotated[float, typer.Option("--t-max", help="Duration of each run (units of tau).")]
FigureOption = Annotated[Optional[Path], typer.Option("--figure", help="Draw the figure here (.png/.pdf/.svg).")]


def echo_result(record: dict, lines: Iterable[str | None], *, as_json: bool) -> None:
    """Print `record` as one JSON object (``--json``), else the text `lines` (``None`` lines are skipped)."""
    if as_json:
        typer.echo(json.dumps(record))
        return
    for line in lines:
        if line is not None:
            typer.echo(line)


def _option_error(option: str, name: str, message: str) -> typer.BadParameter:
    """The library's `message` about argument `name`, relabelled as one about `option`."""
    return typer.BadParameter(message.replace(f"`{name}` ", ""), param_hint=f"'{option}'")


def is_named_ensemble(patterns: str, r: float | None) -> bool:
    """Whether ``--patterns`` names an ensemble that can be drawn with these options (correlated needs r)."""
    return patterns in ENSEMBLES and (patterns != "correlated" or r is not None)


def build_patterns(
    patterns: str, *, n: int, p: int | None, q: float, r: float | None, seed: int, layout: str = "units-by-patterns",
    given: Iterable[str] = (), used_elsewhere: Iterable[str] = (),
) -> np.ndarray:
    """Draw a named ensemble or load a pattern file (the ``--patterns`` option).

    Returns
    -------
    numpy.ndarray
        The binary patterns, shape (N, P).

    Raises
    ------
    typer.BadParameter
        For ``--patterns correlated`` without ``--r``, or a name that is neither an ensemble nor a
        ``.npy``/``.npz``/``.csv`` file.
    """
    check_pattern_options(patterns, given, used_elsewhere=used_elsewhere)
    if patterns in ENSEMBLES:
        if not is_named_ensemble(patterns, r):
            raise typer.BadParameter("is required with --patterns correlated", param_hint="'--r'")
        uses = _SOURCE_USES[patterns]
        with pattern_option_names():
            return make_patterns(
                patterns, n_units=n, q=q, n_patterns=p if "p" in uses else None, r=r if "r" in uses else None,
                seed=seed if "seed" in uses else None,
            )
    if Path(patterns).suffix.lower() in (".npy", ".npz", ".csv"):
        return check_patterns(f"--patterns {patterns}", load_patterns(patterns, layout=layout))  # errors name the file
    raise typer.BadParameter(
        f"{patterns!r} is not one of 'equal-overlap', 'random', 'correlated' or a .npy/.npz/.csv file",
        param_hint="'--patterns'",
    )


@contextlib.contextmanager
def relabelled(names: dict[str, str]) -> Iterator[None]:
    """Relabel the library's argument names in an :class:`InvalidInput` raised inside as options (``t_max`` -> ``--t-max``)."""
    try:
        yield
    except InvalidInput as error:
        message = str(error)
        for name, option in names.items():
            message = message.replace(f"`{name}`", f"`{option}`")
        raise InvalidInput(message) from None


def pattern_option_names() -> contextlib.AbstractContextManager[None]:
    """:func:`relabelled` for the pattern arguments (``n_units`` -> ``--n``, ``n_patterns`` -> ``--p``, ...)."""
    return relabelled({"n_units": "--n", "n": "--n", "n_patterns": "--p", "q": "--q", "r": "--r", "seed": "--seed"})


def build_activation(name: str, **given: float | None) -> Activation:
    """The activation of ``--activation NAME`` and its parameter options (None: not given).

    Parameters the activation does not take are refused (a usage error naming the option); the
    ones it takes and the user left unset get :data:`ACTIVATION_DEFAULTS`.
    """
    defaults = ACTIVATION_DEFAULTS[name]
    for key, value in given.items():
        if value is not None and key not in defaults:
            raise typer.BadParameter(
                f"does not apply to --activation {name} (it takes {', '.join('--' + k.replace('_', '-') for k in defaults)})",
                param_hint=f"'--{key.replace('_', '-')}'",
            )
    parameters = {key: defaults[key] if given.get(key) is None else given[key] for key in defaults}
    return activation_from_name(name, **parameters)


def build_network(
    patterns: str,
    *,
    n: int,
    p: int | None,
    q: float,
    r: float | None,
    seed: int,
    activation: Activation,
    a: float,
    b: float,
    tau: float,
    rule: str = "betteti",
    layout: str = "units-by-patterns",
    given: Iterable[str] = (),
) -> MemoryNetwork:
    """Make or load the patterns (:func:`build_patterns`; `given`: the options typed) and design the network with `rule`."""
    xi = build_patterns(patterns, n=n, p=p, q=q, r=r, seed=seed, layout=layout, given=given)
    return design(xi, activation, a, b, tau=tau, rule=rule)


#: The most points a grid option (``--rho-range``, ``--threshold-range``) takes per axis.
GRID_LIMIT = 10_000


def grid_axis(option: str, values: tuple[float, float, int]) -> np.ndarray:
    """``START STOP NUM`` of a grid option as ``NUM`` evenly spaced values."""
    start, stop, count = values
    if not 1 <= count <= GRID_LIMIT:
        raise typer.BadParameter(
            f"the number of points must be in [1, {GRID_LIMIT}]; got {count}", param_hint=f"'{option}'"
        )
    return np.linspace(start, stop, count)


def parse_loads(text: str) -> np.ndarray:
    """``--loads``: ``START:STOP:COUNT`` (evenly spaced) or a comma-separated list, every load > 0."""
    try:
        if ":" in text:
            start, stop, count = text.split(":")
            if int(count) < 1:
                raise ValueError(count)
            values = np.linspace(float(start), float(stop), int(count))
        else:
            values = np.array([float(item) for item in text.split(",")])
    except ValueError:  # the text is not numbers in one of the two forms
        raise typer.BadParameter(
            f"{text!r} is not START:STOP:COUNT or a comma-separated list of numbers", param_hint="'--loads'"
        ) from None
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise typer.BadParameter(f"loads must be > 0; got {text!r}", param_hint="'--loads'")
    return values


def parse_cue_option(spec: str) -> tuple[str, float, float]:
    """``--cue``: ``(kind, level, duration)`` from :func:`assocrate.retrieval.parse_cue`."""
    from ..retrieval import parse_cue

    try:
        return parse_cue(spec)
    except InvalidInput as error:
        raise _option_error("--cue", "cue", str(error)) from None


def parse_scheduler(text: str) -> str:
    """``--scheduler``: "local", "synchronous" or a scheduler address (:func:`assocrate.sweeps.check_scheduler`)."""
    from ..sweeps import check_scheduler

    try:
        return check_scheduler(text)
    except InvalidInput as error:
        message = str(error).replace(", or a distributed.Client", "")  # the command line cannot pass one
        raise _option_error("--scheduler", "scheduler", message) from None


#: The file types ``--figure`` can write (matplotlib's Agg, PDF, SVG and PS back-ends).
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".svgz", ".eps", ".ps", ".jpg", ".jpeg", ".tif", ".tiff", ".webp")


def output_path(option: str, path: Path | None) -> Path | None:
    """Refuse a bad output path before the work that precedes writing it.

    The directory must exist and be writable, the path must not be a directory, and a
    ``--figure`` (or ``--snapshots``) must end in one of :data:`FIGURE_SUFFIXES`.
    """
    if path is not None:
        if option in ("--figure", "--snapshots") and Path(path).suffix.lower() not in FIGURE_SUFFIXES:
            raise typer.BadParameter(
                f"{str(path)!r} must end in one of {', '.join(FIGURE_SUFFIXES)}", param_hint=f"'{option}'"
            )
        try:
            check_output_path(option, path)
        except (InvalidInput, FileNotFoundError) as error:
            raise _option_error(option, option, str(error)) from None
    return path


#: The options that shape the patterns, by parameter name.
PATTERN_OPTIONS = {"n": "--n", "p": "--p", "q": "--q", "r": "--r", "seed": "--seed", "layout": "--layout"}
#: Which of them each pattern source uses (a file uses only --layout).
_SOURCE_USES = {
    "equal-overlap": {"n", "q"},
    "random": {"n", "p", "q", "seed"},
    "correlated": {"n", "p", "q", "r", "seed"},
}


def typed_options(context: typer.Context) -> frozenset[str]:
    """The parameter names of the options the user typed (command line or environment), not defaults."""
    sources = {name: context.get_parameter_source(name) for name in context.params}
    return frozenset(name for name, source in sources.items() if source is not None and source.name in (
        "COMMANDLINE", "ENVIRONMENT"))


def refuse_inapplicable(context: typer.Context, rules: dict[str, str | None]) -> None:
    """Refuse every typed option whose rule is a reason it does not apply (None: it applies).

    ``rules`` maps a parameter name to e.g. ``"with --kind types"``; the error reads
    ``Invalid value for '--trials': has no effect with --kind types``.
    """
    given = typed_options(context)
    options = {parameter.name: parameter.opts[0] for parameter in context.command.params}
    for name, reason in rules.items():
        if reason is not None and name in given:
            raise typer.BadParameter(f"has no effect {reason}", param_hint=f"'{options.get(name, name)}'")


def check_pattern_options(patterns: str, given: Iterable[str], *, used_elsewhere: Iterable[str] = ()) -> None:
    """Refuse a pattern option the user gave (`given`, see :func:`typed_options`) that the pattern source does not use.

    ``--p`` with ``--patterns equal-overlap`` (the construction fixes P), ``--r`` with random
    patterns, ``--n``/``--p``/``--q``/``--r``/``--seed`` with a pattern file, ``--layout`` with
    a named ensemble: each is a usage error
    naming both, never silently ignored. `used_elsewhere` names options the command uses for
    something else (``phase`` designs every cell with ``--q`` and ``--r``).
    """
    uses = _SOURCE_USES.get(patterns, {"layout"}) | set(used_elsewhere)
    source = f"--patterns {patterns}" if patterns in _SOURCE_USES else f"a pattern file (--patterns {patterns})"
    for name, option in PATTERN_OPTIONS.items():
        if name in given and name not in uses:
            raise typer.BadParameter(f"has no effect with {source}", param_hint=f"'{option}'")


@contextlib.contextmanager
def progress_bar(description: str, unit: str) -> Iterator[Callable[..., None]]:
    """A transient rich progress bar on stderr, shown while the ``with`` block runs.

    Yields ``progress(done, total, description=None)``; the bar shows the elapsed time and an ETA. The bar starts on the first call, so a
    command that refuses its input before any work prints no bar.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} " + unit))
    console = Console(stderr=True)
    bar = Progress(  # for a person at a terminal: nothing when stderr is a file or a pipe
        *columns, TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console, transient=True,
        disable=not console.is_terminal,
    )
    task = bar.add_task(description, total=None)

    def progress(done: int, total: int, description: str | None = None) -> None:
        if not bar.live.is_started:
            bar.start()
        named = {} if description is None else {"description": description}
        bar.update(task, completed=done, total=total, **named)

    try:
        yield progress
    finally:
        if bar.live.is_started:
            bar.stop()
