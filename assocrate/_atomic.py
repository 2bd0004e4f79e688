"""One atomic writer for every file assocrate writes, with one clear error for a failed write.

:func:`atomic_path` writes through a temporary file beside the target (``.NAME.PID.XXXX.tmp``) and
renames it over the target only when it is complete on disk; a failed write (full disk, no
permission, read-only file system, netCDF's "HDF error") raises one :class:`OSError` naming the
user's path, never the temporary file; the temporary files of writers that were killed are removed
on the next write of the same target. :mod:`assocrate.io` re-exports these names.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import InvalidInput, InvalidType

__all__ = [
    "atomic_path",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_path",
    "remove_stale_temporaries",
]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_REASONS = {
    errno.ENOSPC: "No space left on device (the disk is full)",
    errno.EDQUOT: "Disk quota exceeded",
    errno.EACCES: "Permission denied (the directory is not writable)",
    errno.EPERM: "Permission denied (the directory is not writable)",
    errno.EROFS: "Read-only file system",
}


def _write_error(target: Path, error: BaseException) -> OSError:
    """One clear OSError naming `target` (the user's path, never our temporary file) for a failed write."""
    code = getattr(error, "errno", None)
    if not isinstance(error, OSError):  # netCDF/HDF5 report a failed write as RuntimeError("NetCDF: HDF error")
        code = errno.ENOSPC if _free_bytes(target) < 1 << 20 else errno.EIO
    reason = _REASONS.get(code) or getattr(error, "strerror", None) or str(error)
    if code != errno.ENOSPC and _free_bytes(target) == 0:
        code, reason = errno.ENOSPC, _REASONS[errno.ENOSPC]
    failure = OSError(f"cannot write {str(target)!r}: {reason}")  # str(): the message alone, for one error line
    failure.errno = code
    return failure


def _free_bytes(target: Path) -> int:
    try:
        stats = os.statvfs(target.parent if str(target.parent) else ".")
    except OSError:
        return 1 << 40
    return stats.f_bavail * stats.f_frsize


#: Our temporary files: ``.NAME.PID.RANDOM.tmp`` beside the target NAME.
def _temporary_pattern(name: str) -> re.Pattern:
    return re.compile(rf"^\.{re.escape(name)}\.(?:(\d+)\.)?[A-Za-z0-9_]+\.tmp$")


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: running
        return True
    return True


def remove_stale_temporaries(path: str | os.PathLike, *, older_than: float = 3600.0) -> list[Path]:
    """Remove the temporary files a killed writer of `path` left beside it; return those removed.

    Only files of our own pattern ``.NAME.PID.XXXX.tmp`` whose writing process is gone are removed
    (a concurrent writer's file is kept), and pid-less ``.NAME.XXXX.tmp`` files of older versions
    once they are `older_than` seconds old. Called by every atomic write.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    pattern = _temporary_pattern(target.name)
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = match.group(1)
        if pid is not None and (int(pid) == os.getpid() or _is_running(int(pid))):
            continue
        with contextlib.suppress(OSError):
            if pid is None and now - entry.stat(follow_symlinks=False).st_mtime < older_than:
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success make it durable and rename it to `path`.

    For writers that need a file name (netCDF, say). A reader never sees a half-written file; an
    existing file is replaced only once the new content is complete on disk and keeps its
    permissions; a new file gets the permissions ``open()`` would give it. On error the temporary
    file is removed, `path` is untouched, and a failed write (full disk, no permission, read-only
    file system, netCDF's "HDF error") raises one :class:`OSError` naming `path`. Temporary files
    that a killed writer left are removed first (:func:`remove_stale_temporaries`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "notes.txt") as temporary:
    ...     _ = temporary.write_text("hello")
    >>> (folder / "notes.txt").read_text()
    'hello'
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidType(f"`path` must be a str or os.PathLike; got {path!r} of type {type(path).__name__}")
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {str(target)!r}: the directory {str(directory)!r} does not exist")
    if target.is_dir():
        raise InvalidInput(f"cannot write {str(target)!r}: it is a directory")
    remove_stale_temporaries(target)
    try:
        mode = target.stat().st_mode & 0o777  # an existing file keeps its permissions
    except FileNotFoundError:
        mode = 0o666 & ~_current_umask()  # a new file gets what open() would give it
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise _write_error(target, error) from error
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
        if isinstance(error, OSError) or (isinstance(error, RuntimeError) and str(error).startswith(("NetCDF", "HDF"))):
            raise _write_error(target, error) from error
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
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InvalidInput(f"`{name}` {str(target)!r}: the directory {str(directory)!r} is not writable")
    return target
