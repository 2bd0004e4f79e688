"""Atomic save and load of networks and pattern files.

A network file is a ``.npz`` archive holding the patterns (bool) and a JSON metadata record
(format name and version, the activation's name and parameters, levels, q, r, tau and the design scalars;
for the projection rule also ``rule`` and ``symmetric``). Loading rebuilds
the network with :func:`assocrate.core.design.design` and checks the stored scalars against the rebuilt
ones, so a tampered or foreign file is refused with a message naming it. Version 2 files also hold N
and P in the metadata and a SHA-256 digest of everything stored; loading checks every entry's type
and shape, every stored size against the arrays, the digest, and limits the metadata's size and
nesting depth. Files are written through the one atomic writer of :mod:`assocrate._atomic`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from ._atomic import (
    atomic_path,
    atomic_write,
    atomic_write_bytes,
    atomic_write_text,
    check_output_path,
    remove_stale_temporaries,
)
from .core.activations import activation_from_name
from .core.design import MemoryNetwork, design
from .errors import FileFormatError, InvalidInput, InvalidType

__all__ = [
    "FileFormatError",
    "NETWORK_FORMAT",
    "atomic_path",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_path",
    "load_array",
    "load_network",
    "load_patterns",
    "remove_stale_temporaries",
    "save_network",
]

NETWORK_FORMAT = "assocrate.network"
NETWORK_VERSION = 2  # 2: a SHA-256 digest of the content, N and P in the metadata (1 still loads)


def _existing_file(path: str | os.PathLike) -> Path:
    target = Path(path)
    if target.is_dir():
        raise FileFormatError(f"{target}: is a directory, not a file")
    if not target.is_file():
        raise FileFormatError(f"{target}: no such file")
    return target


#: Limits on what a network file may hold: metadata size and JSON nesting, uncompressed archive size.
METADATA_LIMIT = 64 * 1024
METADATA_DEPTH = 8
_ENTRIES = {"patterns", "n_units", "metadata", "digest"}


def _digest(packed: np.ndarray, n_units: int, metadata: bytes) -> str:
    """SHA-256 over everything a network file stores: the packed patterns, their shape, N and the metadata."""
    hasher = hashlib.sha256()
    hasher.update(json.dumps([list(packed.shape), int(n_units)]).encode("ascii"))
    hasher.update(np.ascontiguousarray(packed, dtype=np.uint8).tobytes())
    hasher.update(metadata)
    return hasher.hexdigest()


def save_network(path: str | os.PathLike, network: MemoryNetwork) -> Path:
    """Save a network atomically as ``.npz`` (patterns, N, JSON metadata and a SHA-256 digest of all three).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(100, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "net.npz"
    >>> _ = save_network(path, net)
    >>> load_network(path).gamma == net.gamma
    True
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidType(f"`path` must be a str or os.PathLike; got {path!r} of type {type(path).__name__}")
    if not isinstance(network, MemoryNetwork):
        raise InvalidType(f"`network` must be a MemoryNetwork (see design); got {network!r} of type {type(network).__name__}")
    record = {"format": NETWORK_FORMAT, "version": NETWORK_VERSION, "n_units": network.n_units,
              "n_patterns": network.n_patterns, **network.parameters_record()}
    metadata = json.dumps(record).encode("utf-8")
    packed = np.packbits(network.patterns, axis=0)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        patterns=packed,
        n_units=np.array(network.n_units),
        metadata=np.frombuffer(metadata, dtype=np.uint8),
        digest=np.frombuffer(_digest(packed, network.n_units, metadata).encode("ascii"), dtype=np.uint8),
    )
    return atomic_write_bytes(path, buffer.getvalue())


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _depth(value: object, level: int = 1) -> int:
    if isinstance(value, dict):
        return max([level] + [_depth(item, level + 1) for item in value.values()])
    if isinstance(value, list):
        return max([level] + [_depth(item, level + 1) for item in value])
    return level


def _read_entries(target: Path) -> dict[str, np.ndarray]:
    """The arrays of a network archive, after checking its entries and their uncompressed size."""
    from ._budget import available_memory

    with open(target, "rb") as handle:
        magic = handle.read(6)
        if magic == b"\x93NUMPY":
            raise FileFormatError(f"{target}: not an assocrate network file (a single array, not an .npz archive)")
        if magic[:4] != b"PK\x03\x04":
            raise FileFormatError(f"{target}: not an assocrate network file (expected an .npz archive)")
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            names = {info.filename.removesuffix(".npy") for info in archive.infolist()}
            size = sum(info.file_size for info in archive.infolist())
        if not {"patterns", "n_units", "metadata"} <= names or not names <= _ENTRIES:
            raise FileFormatError(
                f"{target}: not an assocrate network file (entries {sorted(names)}; expected {sorted(_ENTRIES)})"
            )
        if size > available_memory() // 2:
            raise FileFormatError(f"{target}: the archive unpacks to {size} bytes, more than the memory available")
        handle.seek(0)
        with np.load(handle, allow_pickle=False) as archive:
            return {name: archive[name] for name in names}


def _parse_metadata(target: Path, entries: dict[str, np.ndarray]) -> tuple[dict, bytes]:
    raw = entries["metadata"]
    if raw.dtype != np.uint8 or raw.ndim != 1 or raw.size > METADATA_LIMIT:
        raise FileFormatError(
            f"{target}: the metadata must be at most {METADATA_LIMIT} bytes of JSON (uint8, 1-D); "
            f"got dtype {raw.dtype}, shape {raw.shape}"
        )
    text = raw.tobytes()
    try:
        metadata = json.loads(text.decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise FileFormatError(f"{target}: the metadata is not valid JSON ({type(error).__name__})") from None
    if not isinstance(metadata, dict):
        raise FileFormatError(f"{target}: the metadata must be a JSON object; got a {type(metadata).__name__}")
    if _depth(metadata) > METADATA_DEPTH:
        raise FileFormatError(f"{target}: the metadata is nested deeper than {METADATA_DEPTH} levels")
    if metadata.get("format") != NETWORK_FORMAT:
        raise FileFormatError(f"{target}: not an assocrate network file (format {_short(metadata.get('format'))})")
    if metadata.get("version") not in (1, NETWORK_VERSION):
        raise FileFormatError(
            f"{target}: network format version {_short(metadata.get('version'))} is not supported "
            f"(expected 1 or {NETWORK_VERSION})"
        )
    return metadata, text


def _check_sizes(target: Path, entries: dict[str, np.ndarray], metadata: dict, text: bytes) -> tuple[np.ndarray, int]:
    """The packed patterns and N, after checking every stored size against the arrays and the digest."""
    packed, stored_n = entries["patterns"], entries["n_units"]
    if packed.dtype != np.uint8 or packed.ndim != 2 or 0 in packed.shape:
        raise FileFormatError(
            f"{target}: `patterns` must be a non-empty 2-D uint8 array of packed bits; got dtype {packed.dtype}, shape {packed.shape}"
        )
    if stored_n.shape != () or stored_n.dtype.kind not in "iu":
        raise FileFormatError(f"{target}: `n_units` must be an integer scalar; got dtype {stored_n.dtype}, shape {stored_n.shape}")
    n_units = int(stored_n)
    rows = packed.shape[0]
    if not 8 * (rows - 1) < n_units <= 8 * rows:
        raise FileFormatError(f"{target}: n_units={n_units} does not fit the stored patterns ({rows} packed rows: N in ({8 * (rows - 1)}, {8 * rows}])")
    for key, expected in (("n_units", n_units), ("n_patterns", packed.shape[1])):
        if key in metadata and (isinstance(metadata[key], bool) or metadata[key] != expected):
            raise FileFormatError(f"{target}: the metadata's {key}={_short(metadata[key])} disagrees with the arrays ({expected})")
    if metadata["version"] >= 2 or "digest" in entries:
        digest = entries.get("digest")
        if digest is None or digest.dtype != np.uint8 or digest.tobytes() != _digest(packed, n_units, text).encode("ascii"):
            raise FileFormatError(f"{target}: the content digest does not match: the file was edited or damaged")
    if np.any(np.unpackbits(packed, axis=0)[n_units:]):
        raise FileFormatError(f"{target}: n_units={n_units} cuts off stored pattern bits (the file was edited)")
    return packed, n_units


def load_network(path: str | os.PathLike) -> MemoryNetwork:
    """Load a network saved by :func:`save_network`, validating everything it stores.

    The archive must hold exactly the expected arrays with their types and shapes; the metadata
    must be a JSON object of at most :data:`METADATA_LIMIT` bytes nested at most
    :data:`METADATA_DEPTH` levels; every stored size must agree with the arrays; the SHA-256 digest
    (files of version 2) must cover the content; and the rebuilt network's design scalars must
    equal the stored ones.

    Raises
    ------
    FileFormatError
        If the file is missing, corrupt, truncated, of another format or version, edited, or its stored
        design scalars disagree with the rebuilt network.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidType(f"`path` must be a str or os.PathLike; got {path!r} of type {type(path).__name__}")
    target = _existing_file(path)
    try:
        entries = _read_entries(target)
    except FileFormatError:
        raise
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError, UnicodeDecodeError) as error:
        raise FileFormatError(f"{target}: not a readable assocrate network file ({error})") from None
    metadata, text = _parse_metadata(target, entries)
    packed, n_units = _check_sizes(target, entries, metadata, text)
    try:
        if not isinstance(metadata["activation"], dict):
            raise TypeError(f"activation must be an object; got {_short(metadata['activation'])}")
        for key in ("a", "b", "q", "r", "tau"):
            if metadata[key] is not None and (isinstance(metadata[key], bool) or not isinstance(metadata[key], (int, float))):
                raise TypeError(f"{key} must be a number; got {_short(metadata[key])}")
        patterns = np.unpackbits(packed, axis=0, count=n_units).astype(bool)
        activation = activation_from_name(**metadata["activation"])
        rule = metadata.get("rule", "betteti")  # files without the key are betteti designs
        network = design(
            patterns, activation, metadata["a"], metadata["b"], q=metadata["q"], r=metadata["r"], tau=metadata["tau"],
            rule=rule,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise FileFormatError(f"{target}: inconsistent assocrate network file ({str(error)[:200]})") from None
    if metadata.get("symmetric", True) != network.is_symmetric:
        raise FileFormatError(
            f"{target}: stored symmetric={_short(metadata.get('symmetric'))} disagrees with the rebuilt network"
        )
    for name in ("alpha", "alpha_prime", "beta", "gamma"):
        stored = metadata.get(name)
        if isinstance(stored, bool) or not isinstance(stored, (int, float)) or not np.isclose(
            stored, getattr(network, name), rtol=1e-12, atol=0.0
        ):
            raise FileFormatError(f"{target}: stored {name}={_short(stored)} disagrees with the rebuilt network")
    return network


def load_array(path: str | os.PathLike, *, name: str) -> np.ndarray:
    """Read a numeric array from ``.npy``, ``.npz`` or ``.csv``.

    In an ``.npz`` the array called `name` is used, else the only array. A ``.csv`` holds
    comma-separated numbers, one row per line (read as 2-D).

    Raises
    ------
    FileFormatError
        If the file cannot be read as such an array; the message names the file and `name`.
    """
    target = _existing_file(path)
    array = _read_array(target, name)
    if array.dtype.kind not in "biuf":
        raise FileFormatError(f"{target}: {name} must be real numbers (bool, integer or float); got dtype {array.dtype}")
    if array.size == 0:
        raise FileFormatError(f"{target}: {name} is empty (shape {array.shape})")
    return array


def _read_array(target: Path, name: str) -> np.ndarray:
    suffix = target.suffix.lower()
    try:
        if suffix == ".npy":
            with open(target, "rb") as handle:
                return np.load(handle, allow_pickle=False)
        if suffix == ".npz":
            with open(target, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
                names = list(archive.keys())
                if name in names:
                    return archive[name]
                if len(names) == 1:
                    return archive[names[0]]
                raise FileFormatError(f"{target}: expected an array named {name!r} or a single array; found {names}")
        if suffix == ".csv":
            if target.stat().st_size == 0:
                raise FileFormatError(f"{target}: {name} is empty (a CSV file with no numbers)")
            return np.loadtxt(target, delimiter=",", ndmin=2)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, UnicodeDecodeError) as error:
        if isinstance(error, FileFormatError):
            raise
        raise FileFormatError(f"{target}: cannot read {name} ({str(error)[:200]})") from None
    raise FileFormatError(f"{target}: {name} files must end in .npy, .npz or .csv; got {suffix!r}")


#: Layouts of a pattern file: one pattern per column (N x P) or one pattern per row (P x N).
LAYOUTS = ("units-by-patterns", "patterns-by-units")


def load_patterns(path: str | os.PathLike, *, layout: str = "units-by-patterns") -> np.ndarray:
    """Read a binary pattern matrix from ``.npy``, ``.npz`` or ``.csv`` (see :func:`load_array`), as N x P.

    In an ``.npz`` the array named ``patterns`` is used, else the only array. With
    ``layout="units-by-patterns"`` (default) the file holds one unit per row and one pattern per
    column (a ``.csv``: comma-separated 0/1 values, one unit per line); with
    ``"patterns-by-units"`` one pattern per row, and the array is transposed.

    Raises
    ------
    FileFormatError
        If the file cannot be read as such an array.
    InvalidInput
        If `layout` is not one of `LAYOUTS`, or a pattern has no active unit (the message suggests
        the other layout: a row of silent units is normal, a silent pattern is not).
    """
    if layout not in LAYOUTS:
        raise InvalidInput(f"`layout` must be one of {LAYOUTS}; got {layout!r}")
    array = load_array(path, name="patterns")
    if array.ndim == 2:
        if layout == "patterns-by-units":
            array = array.T
        with np.errstate(invalid="ignore"):
            silent = np.flatnonzero(~np.any(array != 0, axis=0))
        if silent.size:
            where = "column" if layout == "units-by-patterns" else "row"
            other = LAYOUTS[1] if layout == LAYOUTS[0] else LAYOUTS[0]
            raise InvalidInput(
                f"{path}: pattern {int(silent[0])} (file {where} {int(silent[0])}) has no active unit with "
                f"layout={layout!r} ({silent.size} such {where}s); if the file holds one pattern per "
                f"{'row' if where == 'column' else 'column'}, use layout={other!r} (--layout {other})"
            )
    return array
