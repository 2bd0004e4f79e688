"""Input checkers shared by every public entry point.

Each checker takes the argument's *name* so that its error names the argument, the value received
and what is allowed, e.g. ``ValueError: `q` must be in (0, 1); got 1.5``.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # design imports this module
    from .design import MemoryNetwork

__all__ = [
    "as_generator",
    "check_choice",
    "check_finite_float",
    "check_fraction",
    "check_index",
    "check_network",
    "check_patterns",
    "check_positive",
    "check_positive_int",
    "check_t_span",
    "readonly",
]


def check_finite_float(name: str, value: object) -> float:
    """Return `value` as a finite float or raise naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; got {value!r} of type {type(value).__name__}")
    result = float(value)
    if not np.isfinite(result):
        raise ValueError(f"`{name}` must be finite; got {result!r}")
    return result


def check_positive(name: str, value: object) -> float:
    """Return `value` as a float > 0 or raise naming `name`."""
    result = check_finite_float(name, value)
    if result <= 0:
        raise ValueError(f"`{name}` must be > 0; got {result!r}")
    return result


def check_fraction(name: str, value: object) -> float:
    """Return `value` as a float in the open interval (0, 1) or raise naming `name`."""
    result = check_finite_float(name, value)
    if not 0.0 < result < 1.0:
        raise ValueError(f"`{name}` must be in (0, 1); got {result!r}")
    return result


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    """Return `value` as an int >= `minimum` or raise naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer; got {value!r} of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}; got {value!r}")
    return int(value)


def check_t_span(t_span: object) -> tuple[float, float]:
    """Return ``(t0, t1)`` from a time span of two finite numbers with ``t1 > t0``, or raise."""
    if isinstance(t_span, (str, bytes)) or not hasattr(t_span, "__len__") or len(t_span) != 2:
        raise ValueError(f"`t_span` must be (t0, t1); got {t_span!r}")
    t0, t1 = check_finite_float("t_span[0]", t_span[0]), check_finite_float("t_span[1]", t_span[1])
    if t1 <= t0:
        raise ValueError(f"`t_span` must have t1 > t0; got {t_span!r}")
    return t0, t1


def check_index(name: str, value: object, size: int) -> int:
    """Return `value` as an index in ``range(size)`` or raise naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer; got {value!r} of type {type(value).__name__}")
    if not 0 <= value < size:
        raise ValueError(f"`{name}` must be in [0, {size - 1}]; got {value!r}")
    return int(value)


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """Return `value` (as str) if it is one of `allowed`, else raise naming `name` and listing the choices.

    A value that is not a string raises TypeError, a string not allowed ValueError.
    """
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be one of {list(allowed)}; got {value!r} of type {type(value).__name__}")
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {list(allowed)}; got {value!r}")
    return str(value)


def check_network(network: object) -> MemoryNetwork:
    """Return `network` if it is a :class:`~assocrate.design.MemoryNetwork`, else raise TypeError."""
    from .design import MemoryNetwork  # lazy: design imports this module

    if not isinstance(network, MemoryNetwork):
        raise TypeError(f"`network` must be a MemoryNetwork; got {type(network).__name__}")
    return network


def check_patterns(name: str, patterns: object) -> np.ndarray:
    """Validate a binary pattern matrix and return it as a read-only bool array.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    patterns : array_like, shape (n_units, n_patterns)
        Entries must be 0 or 1 (bool, integer or float), finite, with at least one unit and one
        pattern.

    Returns
    -------
    numpy.ndarray of bool, shape (n_units, n_patterns)
    """
    array = np.asarray(patterns)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
    ):
        raise TypeError(f"`{name}` must be a numeric or boolean array; got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` must be 2-D with shape (n_units, n_patterns); got shape {array.shape}"
        )
    if array.size == 0:
        raise ValueError(f"`{name}` must hold at least one unit and one pattern; got shape {array.shape}")
    if array.dtype != np.bool_:
        if not np.all(np.isfinite(array)):
            raise ValueError(f"`{name}` must be finite; found NaN or inf")
        bad = (array != 0) & (array != 1)
        if np.any(bad):
            value = array[bad].flat[0]
            raise ValueError(f"`{name}` must be binary (0 or 1); found the value {value!r}")
    result = np.array(array, dtype=np.bool_, order="C", copy=True)  # never freeze the caller's array
    result.flags.writeable = False
    return result


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Normalise a seed argument to a :class:`numpy.random.Generator`."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        if seed is not None and seed < 0:
            raise ValueError(f"`seed` must be a non-negative integer; got {seed!r}")
        return np.random.default_rng(seed)
    raise TypeError(f"`seed` must be an int, a numpy Generator or None; got {seed!r}")


def readonly(array: np.ndarray) -> np.ndarray:
    """Return `array` (as an ndarray, not copied) with its ``writeable`` flag cleared.

    Results are frozen dataclasses; their arrays are made read-only with this one helper.
    """
    array = np.asarray(array)
    array.flags.writeable = False
    return array
