"""netCDF files of sweeps: atomic writes, and the capacity-sweep Dataset that is also its checkpoint.

A capacity experiment (:func:`assocrate.sweeps.capacity`) keeps its (load, trial) cells in a
:class:`SweepTable` and writes them as an ordinary Dataset after every finished cell; a rerun with
the same arguments resumes from it, and :func:`capacity_from_sweep` reads a finished one back
into a :class:`~assocrate.retrieval.capacity.CapacityCurve`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from .._version import __version__
from ..core.activations import activation_from_name
from ..errors import InvalidInput
from ..io import FileFormatError, atomic_path
from ..retrieval import parse_cue
from ..retrieval.capacity import (
    RATE_COUNTS,
    CapacityCell,
    CapacityCurve,
    CapacitySetup,
    capacity_rates,
    capacity_result,
    capacity_setup,
)

__all__ = [
    "CAPACITY_FORMAT",
    "CAPACITY_FORMAT_VERSION",
    "SweepTable",
    "capacity_attrs",
    "capacity_dataset",
    "capacity_from_sweep",
    "save_checkpoint",
    "save_dataset",
    "start_table",
]


def save_dataset(path: str | os.PathLike, dataset: xr.Dataset) -> Path:
    """Write `dataset` as netCDF atomically: a temporary file in the same directory, then rename.

    A reader never sees a partial file; an existing file is replaced only when the new one is
    complete.

    Examples
    --------
    >>> import tempfile, os
    >>> import assocrate as aa
    >>> ds = aa.phase_diagram(rho=[1.0, 2.0], threshold=[0.1, 0.2])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = save_dataset(os.path.join(folder, "phase.nc"), ds)
    ...     with xr.open_dataset(target) as back:
    ...         bool(back["unstable"].equals(ds["unstable"]))
    True
    """
    with atomic_path(path) as temporary:
        dataset.to_netcdf(temporary)
    return Path(path)


#: ``format`` attribute of a capacity-sweep Dataset (and so of its checkpoint file).
CAPACITY_FORMAT = "assocrate.capacity-sweep"
CAPACITY_FORMAT_VERSION = 1

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


@dataclass
class SweepTable:
    """The cells of a capacity sweep as they finish (mutable only inside :func:`assocrate.sweeps.capacity`)."""

    counts: np.ndarray  # (L, T, 4) int64 in the order of RATE_COUNTS; -1 where not done
    eigenvalue_sum: np.ndarray  # (L, T) float64; NaN where not done
    eigenvalue_count: np.ndarray  # (L, T) int64; -1 where not done
    done: np.ndarray  # (L, T) bool

    @classmethod
    def empty(cls, shape: tuple[int, int]) -> SweepTable:
        """A table of `shape` (loads, trials) with no cell done."""
        return cls(
            counts=np.full((*shape, len(RATE_COUNTS)), -1, dtype=np.int64),
            eigenvalue_sum=np.full(shape, np.nan),
            eigenvalue_count=np.full(shape, -1, dtype=np.int64),
            done=np.zeros(shape, dtype=bool),
        )

    def record(self, index: tuple[int, int], cell: CapacityCell) -> None:
        """Store the finished `cell` at `index` (load, trial)."""
        self.counts[index] = [getattr(cell, name) for name in RATE_COUNTS]
        self.eigenvalue_sum[index], self.eigenvalue_count[index] = cell.eigenvalue_sum, cell.eigenvalue_count
        self.done[index] = True


def capacity_attrs(setup: CapacitySetup, seed: int | None, entropy: int) -> dict:
    """The attributes of a capacity-sweep Dataset: every argument the cells depend on."""
    activation = setup.activation
    return {
        "title": "capacity of random patterns (theory.md §7, §8)",
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


def capacity_dataset(setup: CapacitySetup, attrs: dict, table: SweepTable) -> xr.Dataset:
    """The capacity-sweep Dataset of the cells in `table` (the layout :func:`assocrate.sweeps.capacity` documents)."""
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
        ("n_units", there.get("n"), attrs["n"]),
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


def _table_from(source: str, stored: xr.Dataset, setup: CapacitySetup) -> SweepTable:
    """The finished cells of a checked sweep Dataset; a damaged table is a FileFormatError naming `source`."""
    shape = (setup.n_patterns.size, setup.trials)
    names = (*RATE_COUNTS, "max_eigenvalue_sum", "max_eigenvalue_count", "done")
    for name in names:
        if name not in stored or stored[name].dims != ("load", "trial") or stored[name].shape != shape:
            raise FileFormatError(
                f"{source}: damaged capacity-sweep Dataset: variable {name!r} is missing or not {shape}"
            )
    table = SweepTable(
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


def save_checkpoint(path: Path | None, setup: CapacitySetup, attrs: dict, table: SweepTable) -> None:
    """Rewrite the checkpoint at `path` (atomically) with the cells of `table`; nothing if `path` is None."""
    if path is not None:
        save_dataset(path, capacity_dataset(setup, attrs, table))


def start_table(path: Path | None, setup: CapacitySetup, attrs: dict) -> SweepTable:
    """The cells finished so far: loaded from the checkpoint at `path` if it exists, else none.

    An existing checkpoint must hold a sweep with the same arguments (else ``InvalidInput`` naming
    the first that differs) and be a readable capacity-sweep Dataset (else ``FileFormatError``).
    A new one is written at once, so that an unwritable path fails before any work.
    """
    if path is not None and path.exists():
        stored = _read_checkpoint(path)
        _compare_arguments(path, stored, setup, attrs)
        return _table_from(str(path), stored, setup)
    table = SweepTable.empty((setup.n_patterns.size, setup.trials))
    save_checkpoint(path, setup, attrs, table)
    return table


def capacity_from_sweep(dataset: xr.Dataset) -> CapacityCurve:
    """The :class:`~assocrate.retrieval.capacity.CapacityCurve` of a finished capacity-sweep Dataset.

    The curve :func:`assocrate.sweeps.capacity` returned for it (the rates are recomputed from the
    per-cell counts by the same function), with `dataset` as its ``dataset``. Works on a Dataset
    read back from a checkpoint or ``--out`` file.

    Raises
    ------
    ValueError
        If `dataset` is not a capacity sweep, or some cells are not finished.

    Examples
    --------
    >>> import assocrate as aa
    >>> curve = aa.capacity(300, [0.01], 0.2, aa.Sigmoid(4.8, 0.2), (-0.3, 0.95), 1, seed=0)
    >>> capacity_from_sweep(curve.dataset)
    CapacityCurve(n_units=300, n_loads=1, trials=1, capacity_0.9=0.01)
    """
    if not isinstance(dataset, xr.Dataset) or dataset.attrs.get("format") != CAPACITY_FORMAT:
        raise InvalidInput(f"`dataset` must be a capacity-sweep Dataset (format attribute {CAPACITY_FORMAT!r})")
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
            f"assocrate.sweeps.capacity with the same arguments and checkpoint to finish it"
        )
    return capacity_result(setup, seed, table.counts, table.eigenvalue_sum, table.eigenvalue_count, dataset)

