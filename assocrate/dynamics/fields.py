"""Inputs and the vector fields of the rate and current forms (theory.md §2).

Rate form ``tau x' = -x + Phi(W x + u)``; current form ``tau h' = -h + W Phi(h) + u``. States are
one vector (N,) or a batch (N, B), one trajectory per column; every product with W goes through
the low-rank factors (:meth:`~assocrate.core.design.MemoryNetwork.weights_matvec`), so no N x N
matrix is ever formed.

Inputs ``u`` are ``None`` (zero), a constant (scalar, (N,) or (N, B)), a callable ``u(t)``
returning such a constant, or piecewise-constant :class:`Pulses`; :class:`InputSource` checks one
once (with :func:`assocrate._validation.check_input`) and serves its value at any time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

import numpy as np
from scipy.special import expit

from .._validation import check_choice, check_finite_float, check_input, check_states, readonly
from ..core.activations import RectifiedTanh, Sigmoid
from ..core.design import FORMS, MemoryNetwork
from ..errors import InvalidInput

__all__ = ["InputLike", "InputSource", "Pulses", "affine_part", "phi_inplace", "pulse", "vector_field"]


@dataclass(frozen=True, repr=False)
class Pulses:
    """Piecewise-constant input: ``u(t) = values[k]`` for ``edges[k] <= t < edges[k+1]``, 0 elsewhere.

    Attributes
    ----------
    edges : numpy.ndarray, shape (K + 1,)
        Strictly increasing switching times.
    values : numpy.ndarray, shape (K,) + S
        The input on each piece; S is ``()`` (a uniform scalar input), ``(N,)`` or ``(N, B)``.

    Examples
    --------
    >>> import assocrate as aa
    >>> p = aa.Pulses(edges=[0.0, 1.0, 3.0], values=[0.5, -0.2])
    >>> [float(p.at(t)) for t in (-1.0, 0.0, 2.0, 3.0)]
    [0.0, 0.5, -0.2, 0.0]
    """

    edges: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        edges = np.array(self.edges, dtype=float)
        values = np.array(self.values, dtype=float)
        if edges.ndim != 1 or edges.size < 2:
            raise InvalidInput(f"`edges` must be 1-D with at least 2 times; got shape {edges.shape}")
        if not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
            raise InvalidInput(f"`edges` must be finite and strictly increasing; got {edges.tolist()!r}")
        if values.ndim < 1 or values.shape[0] != edges.size - 1:
            raise InvalidInput(
                f"`values` must have one entry per piece ({edges.size - 1}) along its first axis; "
                f"got shape {values.shape}"
            )
        if values.ndim > 3:
            raise InvalidInput(f"each value must be a scalar, (N,) or (N, B); got values of shape {values.shape}")
        if not np.all(np.isfinite(values)):
            raise InvalidInput("`values` must be finite")
        object.__setattr__(self, "edges", readonly(edges))
        object.__setattr__(self, "values", readonly(values))
        object.__setattr__(self, "_zero", readonly(np.zeros(values.shape[1:])))

    @property
    def n_pieces(self) -> int:
        """K."""
        return int(self.values.shape[0])

    def at(self, t: float) -> np.ndarray:
        """The input at time `t` (a read-only view, zeros outside ``[edges[0], edges[-1])``)."""
        k = int(np.searchsorted(self.edges, t, side="right")) - 1
        if 0 <= k < self.n_pieces:
            return self.values[k]
        return self._zero

    def __repr__(self) -> str:
        return (
            f"Pulses(n_pieces={self.n_pieces}, edges=[{self.edges[0]:g} .. {self.edges[-1]:g}], "
            f"value_shape={self.values.shape[1:]})"
        )


def pulse(u: float | np.ndarray, start: float, stop: float) -> Pulses:
    """One input pulse: `u` on ``[start, stop)``, zero elsewhere.

    Parameters
    ----------
    u : float or numpy.ndarray, shape (N,) or (N, B)
        The input during the pulse.
    start, stop : float
        The pulse's interval, ``stop > start``.

    Returns
    -------
    Pulses
        One piece.

    Examples
    --------
    >>> import assocrate as aa
    >>> aa.pulse(1.5, 0.0, 2.0)
    Pulses(n_pieces=1, edges=[0 .. 2], value_shape=())
    """
    start = check_finite_float("start", start)
    stop = check_finite_float("stop", stop)
    if stop <= start:
        raise InvalidInput(f"`stop` must be > `start`; got start={start!r}, stop={stop!r}")
    return Pulses(edges=[start, stop], values=np.asarray(u, dtype=float)[None])


#: What every entry point accepts as an input ``u``: None (zero), a constant (scalar, (N,) or
#: (N, B)), :class:`Pulses`, or a callable ``u(t)`` returning a constant.
InputLike = Union[None, float, np.ndarray, Pulses, Callable[[float], "float | np.ndarray"]]


class InputSource:
    """An input checked once: ``value(t)`` is None (zero) or an array broadcastable against the states.

    Constants go through :func:`assocrate._validation.check_input` (pulse values when built, a
    callable's values at every call) and are cast to the states' dtype once.

    Parameters
    ----------
    u : None, float, numpy.ndarray, Pulses or callable
        The input (see :data:`InputLike`).
    n_units : int
        N.
    batch : int or None
        B for a batch of states (N, B): an (N,) input is then served as (N, 1), and (N, 1) is
        accepted too. None for one state (N,).
    dtype : numpy.dtype
        The states' dtype.
    """

    def __init__(self, u: InputLike, n_units: int, batch: int | None, dtype: np.dtype) -> None:
        self.n_units, self.batch, self.dtype = n_units, batch, dtype
        self.pulses: Pulses | None = None
        self.function: Callable | None = None
        self.constant: np.ndarray | None = None
        if u is None:
            return
        if isinstance(u, Pulses):
            self.pulses = u
            self._cache = [self._shape(u.values[k], "u") for k in range(u.n_pieces)]
        elif callable(u):
            self.function = u
        else:
            self.constant = self._shape(u, "u")

    def _shape(self, value: object, name: str) -> np.ndarray | None:
        """`value` checked, None if it is the scalar 0, else cast to `dtype` ((N,) as (N, 1) for a batch)."""
        column = self.batch is not None and np.shape(value) == (self.n_units, 1)
        checked = check_input(name, np.asarray(value)[:, 0] if column else value, self.n_units, batch=self.batch)
        if np.ndim(checked) == 0:
            return None if checked == 0 else np.asarray(checked, dtype=self.dtype)
        if checked.ndim == 1 and self.batch is not None:
            checked = checked[:, None]
        return np.ascontiguousarray(checked, dtype=self.dtype)

    @property
    def breakpoints(self) -> np.ndarray:
        """Times at which the input jumps (pulse edges)."""
        return self.pulses.edges if self.pulses is not None else np.empty(0)

    def value(self, t: float) -> np.ndarray | None:
        """The input at time `t`: None (zero) or an array of the states' dtype."""
        if self.pulses is not None:
            k = int(np.searchsorted(self.pulses.edges, t, side="right")) - 1
            return self._cache[k] if 0 <= k < self.pulses.n_pieces else None
        if self.function is not None:
            return self._shape(self.function(t), "u(t)")
        return self.constant


def _sigmoid_core(Z: np.ndarray) -> None:
    """``Z <- expit(Z)`` in place (theory.md §2: scipy's expit, never a raw exp ratio)."""
    expit(Z, out=Z)


def _tanh_core(Z: np.ndarray) -> None:
    np.maximum(Z, 0.0, out=Z)
    np.tanh(Z, out=Z)


def affine_part(activation) -> tuple[float, float, Callable[[np.ndarray], None]] | None:
    """``(scale, shift, g)`` with ``phi(h) = g(scale h + shift)`` (g in place), or None if unknown.

    Euler–Maruyama folds ``scale`` and ``shift`` into its small coefficient matrix; only the
    package's own activations are known.

    Examples
    --------
    >>> import assocrate as aa
    >>> s = aa.Sigmoid(4.8, 0.2)
    >>> scale, shift, g = affine_part(s)
    >>> scale == s.steepness, round(shift, 12)
    (True, -5.84)
    """
    if isinstance(activation, Sigmoid):
        return activation.steepness, -activation.steepness * activation.center, _sigmoid_core
    if isinstance(activation, RectifiedTanh):
        return activation.rho, -activation.rho * activation.threshold, _tanh_core
    return None


def phi_inplace(activation, H: np.ndarray) -> np.ndarray:
    """Overwrite `H` with ``phi(H)`` without temporaries (keeps float32 as float32) and return it.

    Examples
    --------
    >>> import assocrate as aa
    >>> s = aa.Sigmoid(4.8, 0.2)
    >>> H = np.array([s.center, 10.0], dtype=np.float32)
    >>> phi_inplace(s, H) is H, H.dtype
    (True, dtype('float32'))
    >>> bool(np.allclose(H, s.phi(np.array([s.center, 10.0])), atol=1e-6))
    True
    """
    affine = affine_part(activation)
    if affine is None:  # any other activation honouring the protocol
        H[...] = activation.phi(H)
        return H
    scale, shift, core = affine
    H *= scale
    H += shift
    core(H)
    return H


def vector_field(
    network: MemoryNetwork,
    X: np.ndarray,
    t: float = 0.0,
    *,
    u: InputLike = None,
    form: str = "rate",
) -> np.ndarray:
    """The right-hand side ``f(t, X)`` of the rate or current form, for one state or a batch.

    Parameters
    ----------
    network : MemoryNetwork
    X : numpy.ndarray, shape (N,) or (N, B)
        Rates x (rate form) or currents h (current form); float32 stays float32.
    t : float, default 0.0
        Time (used only by a time-dependent `u`).
    u : None, float, numpy.ndarray, Pulses or callable, optional
        Input (see :data:`InputLike`).
    form : {"rate", "current"}, default "rate"
        ``"rate"``: ``f = (-x + Phi(W x + u)) / tau``; ``"current"``: ``f = (-h + W Phi(h) + u) / tau``.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype as `X`.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> float(np.max(np.abs(aa.vector_field(net, net.memory_rates())))) < 1e-12   # memories are equilibria
    True
    >>> h = net.memory_currents()[:, 0]
    >>> float(np.max(np.abs(aa.vector_field(net, h, form="current")))) < 1e-12
    True
    """
    form = check_choice("form", form, FORMS)
    X = check_states("X", X, network.n_units)
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    X = X.astype(dtype, copy=False)
    source = InputSource(u, network.n_units, X.shape[1] if X.ndim == 2 else None, dtype)
    u_t = source.value(float(t))
    if form == "rate":
        H = network.weights_matvec(X)
        if u_t is not None:
            H += u_t
        return (phi_inplace(network.activation, H) - X) / network.tau
    R = phi_inplace(network.activation, X.copy())
    H = network.weights_matvec(R)
    if u_t is not None:
        H += u_t
    return (H - X) / network.tau


