"""Parameter sweeps as xarray Datasets (DESIGN.md §4 phase diagram, §8).

:func:`phase_diagram` evaluates local stability over a grid of gain ``rho`` and threshold ``x*``
for fixed levels (a, b), activation family and pattern set, vectorised over the whole grid: the
patterns enter only through integer count matrices computed once, and every cell is a few small
matrix operations in one numpy call (closed forms for the equal-overlap design, batched
(P+1) x (P+1) eigenproblems otherwise). A 30 x 30 diagram takes milliseconds, less than starting a
``dask.distributed`` cluster, so it runs in-process; sweeps whose cells are expensive (capacity
curves, which simulate retrieval) are the ones to map over dask.distributed (DESIGN.md §8).
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from .._validation import check_choice, check_finite_float, check_patterns, check_positive, check_positive_int
from .._version import __version__
from ..core.activations import Activation, RectifiedTanh, Sigmoid, activation_from_name
from ..core.lowrank import batched_max_reduced_eigenvalue
from ..core.patterns import ENSEMBLES, make_patterns, pattern_statistics, row_types
from ..errors import InvalidInput, InvalidType
from ..io import FileFormatError, atomic_path, check_output_path
from ..retrieval import (
    DEFAULT_TOL,
    RATE_COUNTS,
    CapacityCell,
    CapacityCurve,
    CapacitySetup,
    capacity_cell,
    capacity_rates,
    capacity_result,
    capacity_setup,
    parse_cue,
)
from ..stability.local import instability_terms, k2_eigenvalues, pattern_structure_reason

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "CAPACITY_FORMAT",
    "PHASE_METHODS",
    "SCHEDULERS",
    "capacity_from_sweep",
    "capacity_sweep",
    "phase_diagram",
    "save_dataset",
]

#: Accepted values of ``method`` in :func:`phase_diagram`.
PHASE_METHODS = ("auto", "closed-form", "reduction")

# Cells x memories x m x m float64 per block of the reduction route (about 64 MB).
_BLOCK_BYTES = 64 * 2**20


class _GridSigmoid(Sigmoid):
    """A Sigmoid whose rho and threshold are arrays (one value per grid cell); no scalar checks."""

    def __post_init__(self) -> None:
        pass


class _GridTanh(RectifiedTanh):
    """A RectifiedTanh whose rho and threshold are arrays (one value per grid cell)."""

    def __post_init__(self) -> None:
        pass


_GRID_ACTIVATIONS = {"sigmoid": _GridSigmoid, "tanh": _GridTanh}


def _check_axis(name: str, values: object) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise InvalidInput(f"`{name}` must be a non-empty 1-D sequence of values; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InvalidInput(f"`{name}` must be finite; found NaN or inf")
    return array


def _grid_design(activation: str, rho: np.ndarray, threshold: np.ndarray, a: float, b: float, q: float, r: float):
    """Slopes, rates and design scalars on the (rho, threshold) grid; NaN where the design is invalid."""
    rho_grid, threshold_grid = np.meshgrid(rho, threshold, indexing="ij")
    phi = _GRID_ACTIVATIONS[activation](rho=rho_grid, threshold=threshold_grid)
    phi_a, phi_b = phi.phi(a), phi.phi(b)
    d_a, d_b = phi.dphi(a), phi.dphi(b)
    valid = phi_b > phi_a
    contrast = np.where(valid, phi_b - phi_a, np.nan)
    mean_rate = np.where(valid, (1.0 - q) * phi_a + q * phi_b, np.nan)
    # the rule of DESIGN.md §3, as in assocrate.core.design.design_parameters, on every cell at once
    alpha = (b - a) / contrast
    beta = q * ((1.0 - r) * phi_a + r * phi_b) / mean_rate
    gamma = ((1.0 - beta) * a + beta * b) / mean_rate
    return {
        "valid": valid,
        "d_a": np.where(valid, d_a, np.nan),
        "d_b": np.where(valid, d_b, np.nan),
        "alpha": alpha,
        "alpha_prime": alpha / (q * (1.0 - r)),
        "beta": beta,
        "gamma": gamma,
    }


def _closed_form_cells(cells: dict, q: float, n_patterns: int, n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """Largest reduced eigenvalue and lambda_max(W) per cell, equal-overlap design (DESIGN.md §4)."""
    alpha, gamma, d_a, d_b = cells["alpha"], cells["gamma"], cells["d_a"], cells["d_b"]
    candidates = [*k2_eigenvalues(alpha, gamma, q, d_a, d_b), alpha * (d_a + (n_patterns - 1) * q * (d_b - d_a))]
    if n_patterns > 2:
        candidates.append(alpha * d_a)
    bulk = n_units > n_patterns + 1  # eigenvalue 0 of the reduced problem (J: -1)
    if bulk:
        candidates.append(np.zeros_like(alpha))
    weights_top = np.maximum(alpha, gamma)
    return np.max(candidates, axis=0), np.maximum(weights_top, 0.0) if bulk else weights_top


def _count_matrices(xi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``V^T V`` and ``V^T diag(xi^mu) V`` (mu = 1..P) for ``V = [Xi, 1]``, on row types, exact integers."""
    types = row_types(xi)
    V = np.hstack([types.rows.astype(np.float64), np.ones((types.n_types, 1))])
    weighted = V * types.counts[:, None]
    total = weighted.T @ V
    per_memory = np.einsum("tk,tl,tp->pkl", weighted, V, types.rows.astype(np.float64))
    return total, per_memory


def _reduction_cells(
    cells: dict, xi: np.ndarray, progress: Callable[[int, int], None] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Largest reduced eigenvalue over memories and lambda_max(W), per cell, by batched eigenproblems.

    ``U = V B`` with ``B = [[(u1 - u0) I, 0], [u0 1^T, 1]]`` (``u1 = 1 - beta``, ``u0 = -beta`` as
    stored by :func:`~assocrate.core.design.design`), so ``U^T D_mu U = B^T (d_a H_0 + (d_b - d_a) H_mu) B``
    with the integer count matrices H of :func:`_count_matrices`: the patterns are read once.
    """
    n_units, n_patterns = xi.shape
    m = n_patterns + 1
    H0, H = _count_matrices(xi)
    shape = cells["alpha"].shape
    flat = {key: np.nan_to_num(value.reshape(-1)) for key, value in cells.items() if key != "valid"}
    n_cells = flat["alpha"].size
    top = np.empty(n_cells)
    weights_top = np.empty(n_cells)
    block = max(1, _BLOCK_BYTES // (8 * n_patterns * m * m))
    for start in range(0, n_cells, block):
        part = slice(start, min(start + block, n_cells))
        beta = flat["beta"][part]
        u1, u0 = 1.0 - beta, -beta
        B = np.zeros((beta.size, m, m))
        B[:, np.arange(m - 1), np.arange(m - 1)] = (u1 - u0)[:, None]
        B[:, m - 1, : m - 1] = u0[:, None]
        B[:, m - 1, m - 1] = 1.0
        c = np.empty((beta.size, m))
        c[:, :-1] = flat["alpha_prime"][part, None] / n_units
        c[:, -1] = flat["gamma"][part] / n_units
        BT = np.swapaxes(B, 1, 2)
        weights_top[part] = batched_max_reduced_eigenvalue(BT @ H0 @ B, c)
        d_a, d_b = flat["d_a"][part], flat["d_b"][part]
        counts = d_a[:, None, None, None] * H0 + (d_b - d_a)[:, None, None, None] * H[None]
        grams = BT[:, None] @ counts @ B[:, None]
        top[part] = batched_max_reduced_eigenvalue(grams, c[:, None, :]).max(axis=1)
        if progress is not None:
            progress(part.stop, n_cells)
    if n_units > m:  # the bulk eigenvalue 0
        top = np.maximum(top, 0.0)
        weights_top = np.maximum(weights_top, 0.0)
    return top.reshape(shape), weights_top.reshape(shape)


def phase_diagram(
    *,
    activation: str = "sigmoid",
    a: float = -0.3,
    b: float = 0.95,
    rho: Sequence[float] | np.ndarray | None = None,
    threshold: Sequence[float] | np.ndarray | None = None,
    patterns: str | np.ndarray = "equal-overlap",
    n_units: int = 1000,
    q: float = 0.2,
    p: int | None = None,
    r: float | None = None,
    seed: int = 0,
    tau: float = 1.0,
    method: str = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> xr.Dataset:
    """Local stability of the stored memories over a (rho, threshold) grid (DESIGN.md §4).

    Parameters
    ----------
    activation : {"sigmoid", "tanh"}, default "sigmoid"
        Rate function family; each cell uses ``rho`` and ``threshold`` of its coordinates.
    a, b : float, default -0.3, 0.95
        Current levels of the designed memories (``a < b``).
    rho, threshold : 1-D sequence of float, optional
        Grid axes; default ``linspace(0.2, 5, 30)`` and ``linspace(0, 0.9, 30)`` (the paper's).
    patterns : str or array of 0/1, shape (N, P), default "equal-overlap"
        An ensemble name (``"equal-overlap"``, ``"random"``, ``"correlated"``), built with
        `n_units`, `q`, `p`, `r`, `seed`, or the patterns themselves. Every cell designs with the
        patterns' own activity and overlap (as :func:`~assocrate.core.design.design` does).
    n_units, q, p, r, seed
        Passed to :func:`~assocrate.core.patterns.make_patterns` for a named ensemble.
    tau : float, default 1.0
        Time constant (eigenvalues scale as 1/tau).
    method : {"auto", "closed-form", "reduction"}, default "auto"
        ``"closed-form"``: the formulas of :func:`~assocrate.stability.local.closed_form_spectrum`
        (equal-overlap construction with ``r = q`` only); ``"reduction"``: batched exact
        (P+1) x (P+1) eigenproblems for any patterns; ``"auto"`` picks the closed form when it applies.
    progress : callable, optional
        Called as ``progress(done_cells, total_cells)`` after each block of cells.

    Returns
    -------
    xarray.Dataset
        Dims ``rho``, ``threshold``. Variables: ``max_eigenvalue`` (largest Jacobian eigenvalue
        over all memories, NaN where invalid), ``unstable`` (``max_eigenvalue >= 0``),
        ``sufficient_holds``, ``instability_holds``, ``sufficient_value`` (condition ``< 1``),
        ``instability_value`` (condition ``> 0``), ``alpha``, ``gamma``, ``d_a``, ``d_b`` and the mask
        ``valid``: False where ``phi(b) <= phi(a)`` (e.g. rectified tanh with b below threshold),
        where no network exists; there the floats are NaN and the flags False. Attributes record a, b,
        activation, ensemble, q, r, N, P, tau, seed, method and the linearisation point.

    Raises
    ------
    ValueError
        For invalid arguments, naming them; ``method="closed-form"`` for other patterns.

    Notes
    -----
    The Jacobians are evaluated at the designed memories. For exact designs (equal sizes and
    overlaps: equal-overlap and correlated ensembles) these are the equilibria; for random patterns
    they are approximate (attribute ``point`` says so) -- refine per network with
    :func:`~assocrate.stability.local.local_stability` where it matters.

    Examples
    --------
    >>> ds = phase_diagram(rho=[0.5, 4.8], threshold=[0.2])
    >>> ds["unstable"].values.ravel().tolist(), ds.attrs["method"]
    ([True, False], 'closed-form')
    """
    if activation not in _GRID_ACTIVATIONS:
        raise InvalidInput(f"`activation` must be one of {sorted(_GRID_ACTIVATIONS)}; got {activation!r}")
    a, b = check_finite_float("a", a), check_finite_float("b", b)
    if a >= b:
        raise InvalidInput(f"`a` must be < `b`; got a={a!r}, b={b!r}")
    rho = _check_axis("rho", np.linspace(0.2, 5.0, 30) if rho is None else rho)
    if np.any(rho <= 0):
        raise InvalidInput(f"`rho` must be > 0 everywhere; got min {float(rho.min())!r}")
    threshold = _check_axis("threshold", np.linspace(0.0, 0.9, 30) if threshold is None else threshold)
    tau = check_positive("tau", tau)
    method = check_choice("method", method, PHASE_METHODS)
    if isinstance(patterns, str):
        if patterns not in ENSEMBLES:
            raise InvalidInput(f"`patterns` must be one of {list(ENSEMBLES)} or a 0/1 array; got {patterns!r}")
        ensemble = patterns
        xi = make_patterns(patterns, n_units=check_positive_int("n_units", n_units), q=q, n_patterns=p, r=r, seed=seed)
    else:
        ensemble = "given"
        xi = check_patterns("patterns", patterns)
    stats = pattern_statistics(xi)
    n, n_patterns = xi.shape
    reason = pattern_structure_reason(row_types(xi).rows, lambda: stats)
    if method == "closed-form" and reason is not None:
        raise InvalidInput(f"`method`='closed-form' needs the equal-overlap design: {reason}")
    chosen = "closed-form" if method == "closed-form" or (method == "auto" and reason is None) else "reduction"

    cells = _grid_design(activation, rho, threshold, a, b, stats.q, stats.r)
    valid = cells["valid"]
    with np.errstate(invalid="ignore"):
        if chosen == "closed-form":
            top, weights_top = _closed_form_cells(cells, stats.q, n_patterns, n)
            if progress is not None:
                progress(valid.size, valid.size)
        else:
            top, weights_top = _reduction_cells(cells, xi, progress)
        eta = np.maximum(cells["d_a"], cells["d_b"])
        sufficient = eta * np.maximum(weights_top, 0.0)
        instability = np.maximum(*instability_terms(cells["alpha"], cells["gamma"], stats.q, cells["d_a"], cells["d_b"]))
    nan = np.nan
    max_eigenvalue = np.where(valid, (-1.0 + top) / tau, nan)
    dims = ("rho", "threshold")
    exact = stats.is_exact_design
    data = {
        "max_eigenvalue": (dims, max_eigenvalue, {"long_name": "largest Jacobian eigenvalue over all memories"}),
        "unstable": (dims, valid & (max_eigenvalue >= 0), {"long_name": "some memory has an eigenvalue >= 0"}),
        "sufficient_holds": (dims, valid & (sufficient < 1), {"long_name": "eta max(lambda_max(W), 0) < 1"}),
        "instability_holds": (dims, valid & (instability > 0), {"long_name": "instability condition > 0"}),
        "sufficient_value": (dims, np.where(valid, sufficient, nan), {"long_name": "eta max(lambda_max(W), 0)"}),
        "instability_value": (dims, np.where(valid, instability, nan), {"long_name": "instability condition"}),
        "alpha": (dims, cells["alpha"], {"long_name": "(b - a) / (phi(b) - phi(a))"}),
        "gamma": (dims, cells["gamma"], {"long_name": "E/I balance weight"}),
        "d_a": (dims, cells["d_a"], {"long_name": "phi'(a)"}),
        "d_b": (dims, cells["d_b"], {"long_name": "phi'(b)"}),
        "valid": (dims, valid, {"long_name": "phi(b) > phi(a): the design exists"}),
    }
    attrs = {
        "title": "local stability phase diagram (DESIGN.md §4)",
        "a": a,
        "b": b,
        "activation": activation,
        "ensemble": ensemble,
        "q": stats.q,
        "r": stats.r,
        "N": n,
        "P": n_patterns,
        "tau": tau,
        "seed": seed if ensemble in ("random", "correlated") else -1,
        "method": chosen,
        "point": "designed memories (exact equilibria)" if exact else "designed memories (approximate equilibria, not refined)",
        "unstable_rule": "max_eigenvalue >= 0",
        "assocrate_version": __version__,
    }
    coords = {
        "rho": ("rho", rho, {"long_name": "gain rho"}),
        "threshold": ("threshold", threshold, {"long_name": "threshold x*"}),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)



def save_dataset(path: str | os.PathLike, dataset: xr.Dataset) -> Path:
    """Write `dataset` as netCDF atomically: a temporary file in the same directory, then rename.

    A reader never sees a partial file; an existing file is replaced only when the new one is
    complete.

    Examples
    --------
    >>> import tempfile, os
    >>> ds = phase_diagram(rho=[1.0, 2.0], threshold=[0.1, 0.2])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = save_dataset(os.path.join(folder, "phase.nc"), ds)
    ...     with xr.open_dataset(target) as back:
    ...         bool(back["unstable"].equals(ds["unstable"]))
    True
    """
    with atomic_path(path) as temporary:
        dataset.to_netcdf(temporary)
    return Path(path)


# ---------------------------------------------------------------------------------------------
# Capacity sweeps on dask.distributed (DESIGN.md §7, §8)
# ---------------------------------------------------------------------------------------------

#: Values of ``scheduler`` in :func:`capacity_sweep` besides a scheduler address or a Client.
SCHEDULERS = ("local", "synchronous")

#: ``format`` attribute of a capacity-sweep Dataset (and so of its checkpoint file).
CAPACITY_FORMAT = "assocrate.capacity-sweep"
CAPACITY_FORMAT_VERSION = 1

# A scheduler address: PROTOCOL://anything, or HOST:PORT.
_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://\S+|[\w.\-]+:\d+|\[[0-9a-fA-F:]+\]:\d+)$")

# The per-cell variables of the Dataset: name -> long_name; counts are of the P memories of a cell.
_CELL_COUNTS = {
    "equilibria": "memories refined to an equilibrium still classified as that memory",
    "stable": "memories whose equilibrium is locally stable (verdict STABLE)",
    "retrieved": "memories retrieved from their cue",
    "success": "memories passing all three tests (the capacity criterion)",
}
_RATES = {
    "equilibrium_rate": "fraction of memories that are equilibria",
    "stable_rate": "fraction of memories that are stable equilibria",
    "retrieval_rate": "fraction of memories retrieved from their cue",
    "success_rate": "fraction of memories passing all three tests",
}


def check_scheduler(scheduler: object) -> object:
    """`scheduler` if it is "local", "synchronous", a scheduler address or a distributed.Client; else ValueError."""
    if isinstance(scheduler, str):
        if scheduler in SCHEDULERS or _ADDRESS.match(scheduler):
            return scheduler
    else:
        from distributed import Client

        if isinstance(scheduler, Client):
            return scheduler
    raise InvalidInput(
        f"`scheduler` must be one of {list(SCHEDULERS)}, a scheduler address such as 'tcp://10.0.0.5:8786', "
        f"or a distributed.Client; got {scheduler!r}"
    )


def _check_checkpoint(checkpoint: object) -> Path | None:
    if checkpoint is None:
        return None
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise InvalidType(f"`checkpoint` must be a path or None; got {checkpoint!r} of type {type(checkpoint).__name__}")
    return check_output_path("checkpoint", checkpoint)


@dataclass
class _SweepTable:
    """The cells of a capacity sweep as they finish (mutable only inside :func:`capacity_sweep`)."""

    counts: np.ndarray  # (L, T, 4) int64 in the order of retrieval._RATE_COUNTS; -1 where not done
    eigenvalue_sum: np.ndarray  # (L, T) float64; NaN where not done
    eigenvalue_count: np.ndarray  # (L, T) int64; -1 where not done
    done: np.ndarray  # (L, T) bool

    @classmethod
    def empty(cls, shape: tuple[int, int]) -> _SweepTable:
        return cls(
            counts=np.full((*shape, len(RATE_COUNTS)), -1, dtype=np.int64),
            eigenvalue_sum=np.full(shape, np.nan),
            eigenvalue_count=np.full(shape, -1, dtype=np.int64),
            done=np.zeros(shape, dtype=bool),
        )

    def record(self, index: tuple[int, int], cell: CapacityCell) -> None:
        self.counts[index] = [getattr(cell, name) for name in RATE_COUNTS]
        self.eigenvalue_sum[index], self.eigenvalue_count[index] = cell.eigenvalue_sum, cell.eigenvalue_count
        self.done[index] = True


def _sweep_attrs(setup: CapacitySetup, seed: int | None, entropy: int) -> dict:
    """The attributes of a capacity-sweep Dataset: every argument the cells depend on."""
    activation = setup.activation
    return {
        "title": "capacity of random patterns (DESIGN.md §7, §8)",
        "format": CAPACITY_FORMAT,
        "format_version": CAPACITY_FORMAT_VERSION,
        "n": setup.n,
        "q": setup.q,
        "activation": repr(activation),
        "activation_name": activation.name,
        "rho": float(activation.rho),
        "threshold": float(activation.threshold),
        "a": setup.a,
        "b": setup.b,
        "trials": setup.trials,
        "cue": setup.cue,
        "t_max": setup.t_max,
        "dt": setup.dt,
        "tol": setup.tol,
        "seed": -1 if seed is None else int(seed),
        "seed_entropy": str(entropy),  # a decimal string: SeedSequence entropy can exceed 64 bits
        "seed_rule": "cell (load i, trial t) uses child i * trials + t of SeedSequence(seed_entropy).spawn",
        "assocrate_version": __version__,
    }


def _sweep_dataset(setup: CapacitySetup, attrs: dict, table: _SweepTable) -> xr.Dataset:
    rates, mean_eigen = capacity_rates(
        setup.n_patterns, table.counts, table.eigenvalue_sum, table.eigenvalue_count, table.done
    )
    cell, per_load = ("load", "trial"), ("load",)
    data = {
        name: (cell, table.counts[:, :, k], {"long_name": _CELL_COUNTS[name] + " (-1: cell not done)"})
        for k, name in enumerate(RATE_COUNTS)
    }
    data["max_eigenvalue_sum"] = (cell, table.eigenvalue_sum, {
        "long_name": "sum over memories with an equilibrium of the largest Jacobian eigenvalue (tau = 1)"})
    data["max_eigenvalue_count"] = (cell, table.eigenvalue_count, {"long_name": "memories in max_eigenvalue_sum"})
    data["done"] = (cell, table.done.copy(), {"long_name": "the cell is computed"})
    for k, name in enumerate(_RATES):
        data[name] = (per_load, rates[:, k], {"long_name": _RATES[name] + " (over the finished trials)"})
    data["max_eigenvalue"] = (per_load, mean_eigen, {
        "long_name": "mean largest Jacobian eigenvalue over memories with an equilibrium (finished trials)"})
    coords = {
        "load": ("load", setup.n_patterns / setup.n, {"long_name": "load P/N"}),
        "n_patterns": ("load", setup.n_patterns.copy(), {"long_name": "patterns P = max(1, round(load * N))"}),
        "requested_load": ("load", setup.loads.copy(), {"long_name": "load asked for"}),
        "trial": ("trial", np.arange(setup.trials), {"long_name": "pattern set"}),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _read_checkpoint(path: Path) -> xr.Dataset:
    """Load a checkpoint file, refusing (naming the file) anything that is not a capacity-sweep Dataset."""
    try:
        dataset = xr.load_dataset(path, engine="netcdf4")
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, IndexError) as error:
        raise FileFormatError(f"{path}: not a readable capacity-sweep checkpoint ({_one_line(error)})") from None
    found = dataset.attrs.get("format")
    if found != CAPACITY_FORMAT:
        raise FileFormatError(
            f"{path}: not a capacity-sweep checkpoint (format attribute {found!r}, expected {CAPACITY_FORMAT!r})"
        )
    if dataset.attrs.get("format_version") != CAPACITY_FORMAT_VERSION:
        raise FileFormatError(
            f"{path}: capacity-sweep format version {_plain(dataset.attrs.get('format_version'))!r} is not supported "
            f"(expected {CAPACITY_FORMAT_VERSION})"
        )
    missing = sorted({"requested_load", *RATE_COUNTS, "max_eigenvalue_sum", "max_eigenvalue_count", "done"}
                     - set(dataset.variables))
    if missing:
        raise FileFormatError(f"{path}: damaged capacity-sweep checkpoint: variable {missing[0]!r} is missing")
    return dataset


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _compare_arguments(path: Path, stored: xr.Dataset, setup: CapacitySetup, attrs: dict) -> None:
    """Refuse a checkpoint made with other arguments, naming the first one that differs."""
    there = stored.attrs
    pairs = [
        ("n", there.get("n"), attrs["n"]),
        ("loads", stored["requested_load"].values.tolist(), setup.loads.tolist()),
        ("q", there.get("q"), attrs["q"]),
        ("activation", there.get("activation"), attrs["activation"]),
        ("levels", (there.get("a"), there.get("b")), (attrs["a"], attrs["b"])),
        ("trials", there.get("trials"), attrs["trials"]),
        ("seed", there.get("seed_entropy"), attrs["seed_entropy"]),
        ("cue", _parsed_cue(there.get("cue")), (setup.kind, setup.level, setup.duration)),
        ("t_max", there.get("t_max"), attrs["t_max"]),
        ("dt", there.get("dt"), attrs["dt"]),
        ("tol", there.get("tol"), attrs["tol"]),
        ("assocrate_version", there.get("assocrate_version"), attrs["assocrate_version"]),
    ]
    for name, old, new in pairs:
        if _plain(old) != _plain(new):
            shown = {"seed": (there.get("seed"), attrs["seed"]), "cue": (there.get("cue"), attrs["cue"])}
            old, new = shown.get(name, (old, new))
            raise InvalidInput(
                f"checkpoint {str(path)!r} was made with other arguments: `{name}` is {_plain(old)!r} there and "
                f"{_plain(new)!r} now; pass the same arguments to resume it, or another `checkpoint` path to start "
                f"a new sweep"
            )


def _parsed_cue(spec: object) -> tuple | None:
    try:
        return parse_cue(spec)
    except ValueError:
        return None


def _plain(value: object) -> object:
    """numpy scalars and tuples as plain Python values, for comparing and printing attributes."""
    if isinstance(value, (tuple, list)):
        return tuple(_plain(item) for item in value)
    return value.item() if isinstance(value, np.generic) else value


def _table_from(source: str, stored: xr.Dataset, setup: CapacitySetup) -> _SweepTable:
    """The finished cells of a checked sweep Dataset; a damaged table is a FileFormatError naming `source`."""
    shape = (setup.n_patterns.size, setup.trials)
    names = (*RATE_COUNTS, "max_eigenvalue_sum", "max_eigenvalue_count", "done")
    for name in names:
        if name not in stored or stored[name].dims != ("load", "trial") or stored[name].shape != shape:
            raise FileFormatError(
                f"{source}: damaged capacity-sweep Dataset: variable {name!r} is missing or not {shape}"
            )
    table = _SweepTable(
        counts=np.stack([stored[name].values for name in RATE_COUNTS], axis=-1).astype(np.int64),
        eigenvalue_sum=stored["max_eigenvalue_sum"].values.astype(np.float64),
        eigenvalue_count=stored["max_eigenvalue_count"].values.astype(np.int64),
        done=stored["done"].values.astype(bool),
    )
    limit = setup.n_patterns[:, None, None]
    valid = (table.counts >= 0) & (table.counts <= limit)
    valid = np.all(valid, axis=-1) & (table.eigenvalue_count >= 0) & (table.eigenvalue_count <= limit[..., 0])
    if not np.all(valid[table.done]):
        raise FileFormatError(f"{source}: damaged capacity-sweep Dataset: finished cells hold impossible counts")
    return table


def _save_checkpoint(path: Path | None, setup: CapacitySetup, attrs: dict, table: _SweepTable) -> None:
    if path is not None:
        save_dataset(path, _sweep_dataset(setup, attrs, table))


@contextlib.contextmanager
def _client(scheduler: object, n_tasks: int) -> Iterator:
    """A dask.distributed Client for `scheduler` (not "synchronous"); closes what it started."""
    from distributed import Client, LocalCluster

    if not isinstance(scheduler, str):  # the caller's Client: used, not closed
        yield scheduler
    elif scheduler == "local":
        from dask.system import CPU_COUNT  # the cores this process may use (affinity, cgroup quota)

        # one single-threaded worker process per core: a cell holds the GIL most of the time, so
        # threads would not overlap (measurements in the capacity_sweep Notes)
        workers = max(1, min(CPU_COUNT, n_tasks))
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
                Client(cluster) as client:
            yield client
    else:
        with Client(scheduler) as client:
            yield client


def _run_cells(
    setup: CapacitySetup,
    seeds: list[np.random.SeedSequence],
    pending: list[tuple[int, int]],
    scheduler: object,
    finished: Callable[[tuple[int, int], CapacityCell], None],
) -> None:
    """Compute the `pending` (load, trial) cells on `scheduler`; call `finished` as each completes."""

    def arguments(index: tuple[int, int]) -> tuple:
        i, trial = index
        return setup, int(setup.n_patterns[i]), seeds[i * setup.trials + trial]

    if scheduler == "synchronous" or (scheduler == "local" and len(pending) == 1):  # nothing to overlap
        for index in pending:
            finished(index, capacity_cell(*arguments(index)))
        return
    from distributed import as_completed

    # largest P first (dask starts tasks in submission order): the longest cells do not come last
    order = sorted(pending, key=lambda index: -setup.n_patterns[index[0]])
    with _client(scheduler, len(pending)) as client:
        token = uuid.uuid4().hex[:12]
        futures = {
            client.submit(capacity_cell, *arguments(index), key=f"capacity-cell-{token}-{index[0]}-{index[1]}",
                          pure=False): index
            for index in order
        }
        try:
            for future in as_completed(futures):
                finished(futures[future], future.result())
        finally:
            client.cancel(list(futures))  # on error or interruption: leave nothing running


def capacity_sweep(
    n: int,
    loads: Sequence[float],
    q: float,
    activation: Activation,
    levels: tuple[float, float],
    trials: int,
    seed: int | None = None,
    *,
    cue: str = "delete:0.4",
    t_max: float = 10.0,
    dt: float = 0.01,
    tol: float = DEFAULT_TOL,
    scheduler: str | Client = "local",
    checkpoint: str | os.PathLike | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> xr.Dataset:
    """The capacity experiment of :func:`~assocrate.retrieval.capacity_curve`, one dask task per cell.

    Every (load, trial) cell -- draw P random patterns, design, refine and test every memory, cue it
    once -- is an independent task on dask.distributed (DESIGN.md §8). Cell (load i, trial t) is
    seeded by child ``i * trials + t`` of ``numpy.random.SeedSequence(seed).spawn``, as in
    :func:`~assocrate.retrieval.capacity_curve`, so the numbers are the same whatever the scheduler,
    the number of workers or the order in which cells finish, and equal to capacity_curve's.

    Parameters
    ----------
    n, loads, q, activation, levels, trials, seed, cue, t_max, dt, tol
        As in :func:`~assocrate.retrieval.capacity_curve`. With `checkpoint`, `seed` must be an
        integer (a resumed sweep must draw the same pattern sets).
    scheduler : {"local", "synchronous"}, address or distributed.Client, default "local"
        ``"local"``: start a ``LocalCluster`` owned by this call (one single-threaded worker
        process per core, at most one per cell) and close it at the end; startup costs seconds.
        ``"synchronous"``: no cluster, the cells run one by one in this process (small sweeps,
        tests, debugging); a single pending cell also runs this way under ``"local"``. An address
        such as ``"tcp://10.0.0.5:8786"``: connect to a running scheduler (its workers must import
        the same assocrate; start them with ``--nthreads 1`` for bit-identical numbers, see Notes).
        A ``distributed.Client``: use it and leave it open.
    checkpoint : path, optional
        A netCDF file holding the sweep so far. It is rewritten atomically (through
        :func:`save_dataset`) before the first cell and after every finished cell, so an
        interrupted sweep leaves a valid file with every cell finished so far. If it exists, its
        finished cells are loaded, not recomputed; it must come from a sweep with the same
        arguments (else ``ValueError`` naming the argument). The completed file is the returned
        Dataset.
    progress : callable, optional
        Called as ``progress(done, total)`` after every cell computed by this call; `done` counts
        the cells loaded from `checkpoint` too.

    Returns
    -------
    xarray.Dataset
        Dims ``load`` (coordinates ``load`` = P/N, ``n_patterns``, ``requested_load``) and ``trial``.
        Per cell: ``equilibria``, ``stable``, ``retrieved``, ``success`` (counts of the cell's P
        memories), ``max_eigenvalue_sum`` and ``max_eigenvalue_count`` (to pool the mean largest
        eigenvalue exactly) and ``done``. Per load: ``equilibrium_rate``, ``stable_rate``,
        ``retrieval_rate``, ``success_rate`` and ``max_eigenvalue`` (pooled over trials). Attributes
        record every argument (``seed`` is -1 for None; ``seed_entropy`` reproduces it), the format
        and the assocrate version. :func:`capacity_from_sweep` turns it into a
        :class:`~assocrate.retrieval.CapacityCurve`.

    Raises
    ------
    ValueError
        Invalid arguments, naming them; a checkpoint from a sweep with other arguments.
    FileFormatError
        A checkpoint file that is not a readable capacity-sweep Dataset (corrupt, truncated, foreign).
    FileNotFoundError
        The checkpoint's directory does not exist.

    See Also
    --------
    assocrate.retrieval.capacity_curve : the same numbers, serially, as a CapacityCurve.
    capacity_from_sweep : the CapacityCurve of a finished sweep.

    Notes
    -----
    Per-cell variables, not per-load ones only: the cells are what is computed, checkpointed and
    resumed, and trial-to-trial spread is visible; the per-load rates are derived from them by the
    same function that gives capacity_curve its numbers.

    One checkpoint file, rewritten whole after every cell, not a directory of per-cell files: it
    is an ordinary Dataset (partial sweeps can be opened and plotted; ``done`` marks the cells),
    it carries the arguments it must be resumed with, and an atomic rename keeps it valid at
    every instant. Rewriting costs about 20 ms (a few kB, fsync included) against 0.1-8 s per cell
    at N = 500-1000.

    Processes, not threads, for ``"local"`` (``benchmarks/bench_capacity_sweep.py``, 2 cores shared
    with other jobs, load average about 2): a cell is thousands of small numpy calls that hold the
    GIL, so worker threads do not overlap -- the demo's sweep (N = 500, 7 cells) took 4.7 s serially,
    5.3 s on threads, 7.1 s on two processes; with 4 trials (28 cells) 22.1 s serially, 23.6 s on
    threads, 15.5 s on processes. Threads also share one BLAS thread pool, whose size cells
    change concurrently, and the last bits of ``max_eigenvalue_sum`` were seen to differ between
    runs; a worker process runs one cell at a time with single-threaded BLAS (distributed's
    nanny sets ``OPENBLAS_NUM_THREADS=1``), so its numbers are bit-identical to capacity_curve's.
    A LocalCluster costs 2-7 s to start (each worker imports assocrate); a sweep of one trial per
    load is bounded by its largest cell (about half its work), so such quick looks are faster with
    ``"synchronous"``.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> ds = capacity_sweep(300, [0.01, 0.02], 0.2, Sigmoid(4.8, 0.2), (-0.3, 0.95), trials=2, seed=0,
    ...                     scheduler="synchronous")
    >>> dict(ds.sizes), ds["success_rate"].values.tolist(), ds["success"].values.tolist()
    ({'load': 2, 'trial': 2}, [1.0, 1.0], [[3, 3], [6, 6]])
    >>> capacity_from_sweep(ds).capacity(0.9)
    0.02
    """
    setup = capacity_setup(n, loads, q, activation, levels, trials, seed, cue=cue, t_max=t_max, dt=dt, tol=tol)
    scheduler = check_scheduler(scheduler)
    path = _check_checkpoint(checkpoint)
    if path is not None and seed is None:
        raise InvalidInput("`seed` must be an integer when `checkpoint` is given (a resumed sweep must draw the same "
                         "pattern sets); got None")
    entropy = np.random.SeedSequence(seed).entropy
    attrs = _sweep_attrs(setup, seed, entropy)
    shape = (setup.n_patterns.size, setup.trials)
    if path is not None and path.exists():
        stored = _read_checkpoint(path)
        _compare_arguments(path, stored, setup, attrs)
        table = _table_from(str(path), stored, setup)
    else:
        table = _SweepTable.empty(shape)
        _save_checkpoint(path, setup, attrs, table)  # fail on an unwritable path before any work
    total = table.done.size

    def finished(index: tuple[int, int], cell: CapacityCell) -> None:
        table.record(index, cell)
        _save_checkpoint(path, setup, attrs, table)
        if progress is not None:
            progress(int(table.done.sum()), total)

    pending = [(int(i), int(t)) for i, t in zip(*np.nonzero(~table.done), strict=True)]
    if pending:
        _run_cells(setup, setup.seeds(entropy), pending, scheduler, finished)
    return _sweep_dataset(setup, attrs, table)


def capacity_from_sweep(dataset: xr.Dataset) -> CapacityCurve:
    """The :class:`~assocrate.retrieval.CapacityCurve` of a finished :func:`capacity_sweep` Dataset.

    The same numbers as :func:`~assocrate.retrieval.capacity_curve` with the same arguments (the
    rates are recomputed from the per-cell counts by the function capacity_curve uses). Works on a
    Dataset read back from a checkpoint or ``--out`` file.

    Raises
    ------
    ValueError
        If `dataset` is not a capacity sweep, or some cells are not finished.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> ds = capacity_sweep(300, [0.01], 0.2, Sigmoid(4.8, 0.2), (-0.3, 0.95), 1, seed=0, scheduler="synchronous")
    >>> capacity_from_sweep(ds)
    CapacityCurve(n_units=300, n_loads=1, trials=1, capacity_0.9=0.01)
    """
    if not isinstance(dataset, xr.Dataset) or dataset.attrs.get("format") != CAPACITY_FORMAT:
        raise InvalidInput(f"`dataset` must be a capacity_sweep Dataset (format attribute {CAPACITY_FORMAT!r})")
    attrs = {key: _plain(value) for key, value in dataset.attrs.items()}
    try:
        activation = activation_from_name(attrs["activation_name"], rho=attrs["rho"], threshold=attrs["threshold"])
        seed = None if attrs["seed"] == -1 else attrs["seed"]
        setup = capacity_setup(
            attrs["n"], dataset["requested_load"].values, attrs["q"], activation, (attrs["a"], attrs["b"]),
            attrs["trials"], seed, cue=attrs["cue"], t_max=attrs["t_max"], dt=attrs["dt"], tol=attrs["tol"],
        )
    except KeyError as error:
        raise InvalidInput(f"`dataset` lacks the capacity-sweep attribute or coordinate {error}") from None
    table = _table_from("`dataset`", dataset, setup)
    missing = int((~table.done).sum())
    if missing:
        raise InvalidInput(
            f"`dataset` is an unfinished sweep: {missing} of {table.done.size} cells are not done; rerun "
            f"capacity_sweep with the same arguments and checkpoint to finish it"
        )
    return capacity_result(setup, seed, table.counts, table.eigenvalue_sum, table.eigenvalue_count)
