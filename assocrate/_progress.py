"""Progress for long API calls: ``progress=True`` draws a rich bar on stderr when it is a terminal.

Long calls (:func:`assocrate.capacity`, :func:`assocrate.phase_diagram`) take ``progress``: a
callable ``progress(done, total)``, or ``True`` for the bar made here. The bar is transient, is
drawn only when stderr is a TTY (nothing in logs, pipes or CI), refreshes only when called (no
background thread) and stops itself when ``done`` reaches ``total``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from .errors import InvalidType

__all__ = ["as_progress", "rich_progress"]


def rich_progress(description: str) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback drawing a transient rich bar (nothing when stderr is no TTY)."""
    state: dict = {}

    def progress(done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if "bar" not in state:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            bar = Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           console=Console(stderr=True), transient=True, auto_refresh=False)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task(description, total=total)
        bar = state["bar"]
        bar.update(state["task"], completed=done, total=total, refresh=True)
        if done >= total:
            bar.stop()
            state.clear()

    return progress


def as_progress(progress: object, description: str) -> Callable[[int, int], None] | None:
    """Normalise a ``progress`` argument: None or False (none), True (a rich bar), or a callable."""
    if progress is None or progress is False:
        return None
    if progress is True:
        return rich_progress(description)
    if not callable(progress):
        raise InvalidType(f"`progress` must be a callable progress(done, total), True or None; got {progress!r}")
    return progress
