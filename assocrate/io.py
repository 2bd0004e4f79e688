"""Atomic save and load of networks and pattern files.

A network file is a ``.npz`` archive holding the patterns (bool) and a JSON metadata record
(format name and version, the activation's name and parameters, levels, q, r, tau and the design scalars;
for the projection rule also ``rule`` and ``symmetric``). Loading rebuilds
the network with :func:`assocrate.core.design.design` and checks the stored scalars against the rebuilt
ones, so a tampered or foreign file is refused with a message naming it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .core.activations import activation_from_name
from .core.design import MemoryNetwork, design
from .errors import FileFormatError, InvalidInput

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
    "save_network",
]

NETWORK_FORMAT = "assocrate.network"
NETWORK_VERSION = 1


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success make it durable and rename it to `path`.

    For writers that need a file name (netCDF, say). A reader never sees a half-written file; an
    existing file is replaced only once the new content is complete on disk and keeps its
    permissions; a new file gets the permissions ``open()`` would give it. On error the temporary
    file is removed and `path` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "notes.txt") as temporary:
    ...     _ = temporary.write_text("hello")
    >>> (folder / "notes.txt").read_text()
    'hello'
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {str(target)!r}: the directory {str(directory)!r} does not exist")
    try:
        mode = target.stat().st_mode & 0o777  # an existing file keeps its permissions
    except FileNotFoundError:
        mode = 0o666 & ~_current_umask()  # a new file gets what open() would give it
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        yield Path(temp_name)
        with open(temp_name, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        if isinstance(error, OSError):
            raise OSError(error.errno, f"cannot write {str(target)!r}: {error.strerror}", str(target)) from error
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Write a file atomically through :func:`atomic_path`; `write` gets a binary file object.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        write(handle)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Atomically write `data` to `path`."""
    return atomic_write(path, lambda handle: handle.write(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Atomically write UTF-8 `text` to `path`."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def check_output_path(name: str, path: str | os.PathLike) -> Path:
    """`path` as a Path that can name a file to write: not a directory, in a directory that exists.

    Lets a long computation refuse a bad output path before it starts (`name` is the argument or
    option named in the error).

    Raises
    ------
    InvalidInput
        If `path` is a directory.
    FileNotFoundError
        If its directory does not exist (an :class:`OSError`, as writing there would raise).

    Examples
    --------
    >>> str(check_output_path("out", "result.nc"))
    'result.nc'
    """
    target = Path(path)
    if target.is_dir():
        raise InvalidInput(f"`{name}` must be a file path; {str(target)!r} is a directory")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"`{name}` {str(target)!r}: the directory {str(directory)!r} does not exist")
    return target


def _existing_file(path: str | os.PathLike) -> Path:
    target = Path(path)
    if target.is_dir():
        raise FileFormatError(f"{target}: is a directory, not a file")
    if not target.is_file():
        raise FileFormatError(f"{target}: no such file")
    return target


def save_network(path: str | os.PathLike, network: MemoryNetwork) -> Path:
    """Save a network atomically as ``.npz`` (patterns + JSON metadata).

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
    metadata = json.dumps(
        {"format": NETWORK_FORMAT, "version": NETWORK_VERSION, **network.parameters_record()}
    ).encode("utf-8")
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        patterns=np.packbits(network.patterns, axis=0),
        n_units=np.array(network.n_units),
        metadata=np.frombuffer(metadata, dtype=np.uint8),
    )
    return atomic_write_bytes(path, buffer.getvalue())


def load_network(path: str | os.PathLike) -> MemoryNetwork:
    """Load a network saved by :func:`save_network`.

    Raises
    ------
    FileFormatError
        If the file is missing, corrupt, truncated, of another format or version, or its stored
        design scalars disagree with the rebuilt network.
    """
    target = _existing_file(path)
    try:
        with open(target, "rb") as handle:
            archive = np.load(handle, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise FileFormatError(f"{target}: not an assocrate network file (a single array, not an .npz archive)")
            with archive:
                packed = archive["patterns"]
                n_units = int(archive["n_units"])
                metadata = json.loads(archive["metadata"].tobytes().decode("utf-8"))
    except FileFormatError:
        raise
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError, UnicodeDecodeError) as error:
        raise FileFormatError(f"{target}: not a readable assocrate network file ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != NETWORK_FORMAT:
        raise FileFormatError(f"{target}: not an assocrate network file (format {metadata.get('format')!r})")
    if metadata.get("version") != NETWORK_VERSION:
        raise FileFormatError(
            f"{target}: network format version {metadata.get('version')!r} is not supported (expected {NETWORK_VERSION})"
        )
    try:
        patterns = np.unpackbits(packed, axis=0, count=n_units).astype(bool)
        activation = activation_from_name(**metadata["activation"])
        rule = metadata.get("rule", "betteti")  # files without the key are betteti designs
        network = design(
            patterns, activation, metadata["a"], metadata["b"], q=metadata["q"], r=metadata["r"], tau=metadata["tau"],
            rule=rule,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise FileFormatError(f"{target}: inconsistent assocrate network file ({error})") from None
    if metadata.get("symmetric", True) != network.is_symmetric:
        raise FileFormatError(
            f"{target}: stored symmetric={metadata.get('symmetric')!r} disagrees with the rebuilt network"
        )
    for name in ("alpha", "alpha_prime", "beta", "gamma"):
        if not np.isclose(metadata.get(name, np.nan), getattr(network, name), rtol=1e-12, atol=0.0):
            raise FileFormatError(f"{target}: stored {name}={metadata.get(name)!r} disagrees with the rebuilt network")
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
            return np.loadtxt(target, delimiter=",", ndmin=2)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        if isinstance(error, FileFormatError):
            raise
        raise FileFormatError(f"{target}: cannot read {name} ({error})") from None
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
