"""Input checkers shared by every public entry point.

Each checker takes the argument's *name* so that its error names the argument, the value received
and what is allowed, e.g. ``ValueError: `q` must be in (0, 1); got 1.5``.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import InvalidInput, InvalidType

__all__ = [
    "as_generator",
    "check_choice",
    "check_finite_float",
    "check_fraction",
    "check_index",
    "check_input",
    "check_patterns",
    "check_positive",
    "check_positive_int",
    "check_states",
    "check_t_span",
    "readonly",
]


def check_finite_float(name: str, value: object) -> float:
    """Return `value` as a finite float or raise naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidType(f"`{name}` must be a real number; got {value!r} of type {type(value).__name__}")
    result = float(value)
    if not np.isfinite(result):
        raise InvalidInput(f"`{name}` must be finite; got {result!r}")
    return result


def check_positive(name: str, value: object) -> float:
    """Return `value` as a float > 0 or raise naming `name`."""
    result = check_finite_float(name, value)
    if result <= 0:
        raise InvalidInput(f"`{name}` must be > 0; got {result!r}")
    return result


def check_fraction(name: str, value: object) -> float:
    """Return `value` as a float in the open interval (0, 1) or raise naming `name`."""
    result = check_finite_float(name, value)
    if not 0.0 < result < 1.0:
        raise InvalidInput(f"`{name}` must be in (0, 1); got {result!r}")
    return result


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    """Return `value` as an int >= `minimum` or raise naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidType(f"`{name}` must be an integer; got {value!r} of type {type(value).__name__}")
    if value < minimum:
        raise InvalidInput(f"`{name}` must be >= {minimum}; got {value!r}")
    return int(value)


def check_t_span(t_span: object) -> tuple[float, float]:
    """Return ``(t0, t1)`` from a time span of two finite numbers with ``t1 > t0``, or raise."""
    if isinstance(t_span, (str, bytes)) or not hasattr(t_span, "__len__") or len(t_span) != 2:
        raise InvalidInput(f"`t_span` must be (t0, t1); got {t_span!r}")
    t0, t1 = check_finite_float("t_span[0]", t_span[0]), check_finite_float("t_span[1]", t_span[1])
    if t1 <= t0:
        raise InvalidInput(f"`t_span` must have t1 > t0; got {t_span!r}")
    return t0, t1


def check_index(name: str, value: object, size: int) -> int:
    """Return `value` as an index in ``range(size)`` or raise naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidType(f"`{name}` must be an integer; got {value!r} of type {type(value).__name__}")
    if not 0 <= value < size:
        raise InvalidInput(f"`{name}` must be in [0, {size - 1}]; got {value!r}")
    return int(value)


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """Return `value` (as str) if it is one of `allowed`, else raise naming `name` and listing the choices.

    A value that is not a string raises TypeError, a string not allowed ValueError.
    """
    if not isinstance(value, str):
        raise InvalidType(f"`{name}` must be one of {list(allowed)}; got {value!r} of type {type(value).__name__}")
    if value not in allowed:
        raise InvalidInput(f"`{name}` must be one of {list(allowed)}; got {value!r}")
    return str(value)


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
    if array.dtype.kind not in "biuf":
        raise InvalidType(f"`{name}` must be a real numeric or boolean array; got dtype {array.dtype}")
    if array.ndim != 2:
        raise InvalidInput(
            f"`{name}` must be 2-D with shape (n_units, n_patterns); got shape {array.shape}"
        )
    if array.size == 0:
        raise InvalidInput(f"`{name}` must hold at least one unit and one pattern; got shape {array.shape}")
    if array.dtype != np.bool_:
        if not np.all(np.isfinite(array)):
            raise InvalidInput(f"`{name}` must be finite; found NaN or inf")
        bad = (array != 0) & (array != 1)
        if np.any(bad):
            value = array[bad].flat[0].item()  # a Python number: shown as typed, not as np.float64(...)
            raise InvalidInput(f"`{name}` must be binary (0 or 1); found the value {value!r}")
    result = np.array(array, dtype=np.bool_, order="C", copy=True)  # never freeze the caller's array
    result.flags.writeable = False
    return result


def check_input(
    name: str, u: object, n_units: int, *, batch: int | None = None
) -> float | np.ndarray:
    """A constant input ``u`` as a float (None is 0.0), an (N,) array, or (with `batch`) an (N, B) array.

    The one input normaliser of the package: every entry point that takes a constant input
    calls it, so every one refuses the same things (wrong shape, complex or non-numeric values,
    NaN or inf) with the same message. An (N,) input is returned as (N,); the caller broadcasts
    it against a batch of states with ``u[:, None]``.
    """
    if u is None:
        return 0.0
    array = np.asarray(u)
    if array.dtype.kind not in "biuf":
        raise InvalidType(f"`{name}` must be a real number or a real array; got dtype {array.dtype}")
    array = array.astype(float, copy=False)
    shapes = [(n_units,)] + ([] if batch is None else [(n_units, batch)])
    if array.ndim != 0 and array.shape not in shapes:
        allowed = " or ".join(str(shape) for shape in shapes)
        raise InvalidInput(f"`{name}` must be None, a scalar or have shape {allowed}; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InvalidInput(f"`{name}` must be finite; found NaN or inf")
    return float(array) if array.ndim == 0 else array


def check_states(name: str, X: object, n_units: int) -> np.ndarray:
    """States ``X`` of shape (N,) or (N, B) as a finite real array (not copied when already float).

    The one state checker of the package (rates, currents, cues, starting points).
    """
    array = np.asarray(X)
    if array.dtype.kind not in "biuf":
        raise InvalidType(f"`{name}` must be a real array; got dtype {array.dtype}")
    if array.ndim not in (1, 2) or array.shape[0] != n_units:
        raise InvalidInput(f"`{name}` must have shape ({n_units},) or ({n_units}, B); got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InvalidInput(f"`{name}` must be finite; found NaN or inf")
    return array


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Normalise a seed argument to a :class:`numpy.random.Generator`."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        if seed is not None and seed < 0:
            raise InvalidInput(f"`seed` must be a non-negative integer; got {seed!r}")
        return np.random.default_rng(seed)
    raise InvalidType(f"`seed` must be an int, a numpy Generator or None; got {seed!r}")


def readonly(array: np.ndarray) -> np.ndarray:
    """Return `array` (as an ndarray, not copied) with its ``writeable`` flag cleared.

    Results are frozen dataclasses; their arrays are made read-only with this one helper.
    """
    array = np.asarray(array)
    array.flags.writeable = False
    return array
