"""Brian2 access: a lazy import and the warning filter every Brian2 call runs under.

Brian2 2.9.0 calls pyparsing APIs that pyparsing >= 3.3 deprecates (``parseString``,
``setResultsName``, ...), at import and whenever it parses equations. Those warnings are about
Brian2's code, not about ours or the user's, so they are silenced here, around Brian2 calls only
(and only that category); every other warning still surfaces.
"""

from __future__ import annotations

import contextlib
import importlib.util
import warnings
from collections.abc import Iterator

__all__ = ["BRIAN2_MISSING", "brian2_quietly", "import_brian2", "is_brian2_available"]

#: What to do when Brian2 is missing (the message of :func:`import_brian2`'s ImportError).
BRIAN2_MISSING = (
    "the spiking realizations need Brian2: pip install 'assocrate[spiking]' "
    "(brian2>=2.9; Brian2 2.9.0 needs numpy<2.4)"
)


def _pyparsing_category() -> type[Warning]:
    try:
        import pyparsing

        return getattr(pyparsing, "PyparsingDeprecationWarning", DeprecationWarning)
    except ImportError:  # pragma: no cover - brian2 depends on pyparsing
        return DeprecationWarning


@contextlib.contextmanager
def brian2_quietly() -> Iterator[None]:
    """Run Brian2 code with pyparsing's deprecation warnings ignored."""
    with warnings.catch_warnings():
        category = _pyparsing_category()
        if category is DeprecationWarning:  # pragma: no cover - old pyparsing: match the messages
            warnings.filterwarnings("ignore", message=r".*deprecated.*use '", category=DeprecationWarning)
        else:
            warnings.filterwarnings("ignore", category=category)
        yield


def import_brian2():
    """Import brian2 (an optional dependency) or raise ImportError saying how to install it."""
    try:
        with brian2_quietly():
            import brian2
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(BRIAN2_MISSING) from error
    # Brian2 logs INFO lines (method choice, ...) to the console; keep its console to warnings.
    brian2.BrianLogger.log_level_warn()
    return brian2


def is_brian2_available() -> bool:
    """Whether Brian2 can be imported (found on the path; nothing is imported)."""
    return importlib.util.find_spec("brian2") is not None
