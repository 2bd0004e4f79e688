"""Activation functions Phi: R -> [0, 1) with slope at most `rho` (theory.md §2).

Every activation is a frozen dataclass with vectorised, overflow-free ``phi``, ``dphi``,
``inverse``, ``antiderivative`` and ``slope_bounds``: :class:`Sigmoid`, :class:`RectifiedTanh`
and the LIF transfer function :class:`~assocrate.core.lif.LIFTransfer` (theory.md §6b). The registry
(:func:`activation_from_name`, :func:`activation_record`) rebuilds any of them from its name and
constructor parameters, which is how network files store them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Protocol, Union

import numpy as np
from scipy.special import expit, logit

from .._validation import check_finite_float, check_positive
from ..errors import InvalidInput
from .lif import LIFTransfer

__all__ = ["ACTIVATION_PARAMETERS", "Activation", "RectifiedTanh", "Sigmoid", "activation_from_name", "activation_record"]

ArrayLike = Union[float, np.ndarray]


class Activation(Protocol):
    """What the rest of assocrate needs from an activation."""

    name: ClassVar[str]
    rho: float
    threshold: float

    def phi(self, h: ArrayLike) -> np.ndarray: ...

    def dphi(self, h: ArrayLike) -> np.ndarray: ...

    def inverse(self, rate: ArrayLike) -> np.ndarray: ...

    def antiderivative(self, h: ArrayLike) -> np.ndarray: ...

    def slope_bounds(self, lo: ArrayLike, hi: ArrayLike) -> tuple[np.ndarray, np.ndarray]: ...

    @property
    def max_slope(self) -> float: ...


def _check_interval(lo: ArrayLike, hi: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    lo_arr, hi_arr = np.broadcast_arrays(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
    if np.any(lo_arr > hi_arr):
        raise InvalidInput("`lo` must be <= `hi` entrywise")
    return lo_arr, hi_arr


@dataclass(frozen=True)
class Sigmoid:
    """Logistic activation ``phi(h) = expit(4 rho (h - threshold - 1/(2 rho)))``.

    The maximal slope ``rho`` is reached at ``h = threshold + 1/(2 rho)``, where phi = 1/2.

    Parameters
    ----------
    rho : float
        Gain (maximal slope), > 0.
    threshold : float
        Threshold ``x*``; phi crosses 1/2 at ``threshold + 1/(2 rho)``.

    Examples
    --------
    >>> s = Sigmoid(rho=4.8, threshold=0.2)
    >>> print(f"{float(s.phi(0.1)):.7f}")
    0.0194551
    >>> print(f"{float(s.inverse(s.phi(0.3))):.12f}")
    0.300000000000
    """

    rho: float
    threshold: float
    name: ClassVar[str] = "sigmoid"

    def __post_init__(self) -> None:
        object.__setattr__(self, "rho", check_positive("rho", self.rho))
        object.__setattr__(self, "threshold", check_finite_float("threshold", self.threshold))

    @property
    def steepness(self) -> float:
        """``k = 4 rho``."""
        return 4.0 * self.rho

    @property
    def center(self) -> float:
        """``c = threshold + 1/(2 rho)``, the point of maximal slope."""
        return self.threshold + 0.5 / self.rho

    @property
    def max_slope(self) -> float:
        """Supremum of phi' (equal to `rho`)."""
        return self.rho

    def phi(self, h: ArrayLike) -> np.ndarray:
        """Rate ``phi(h)`` in (0, 1)."""
        return expit(self.steepness * (np.asarray(h, dtype=float) - self.center))

    def dphi(self, h: ArrayLike) -> np.ndarray:
        """Slope ``phi'(h) = k phi (1 - phi)``, evaluated as ``k expit(z) expit(-z)`` (no cancellation)."""
        z = self.steepness * (np.asarray(h, dtype=float) - self.center)
        return self.steepness * expit(z) * expit(-z)

    def inverse(self, rate: ArrayLike) -> np.ndarray:
        """``phi^{-1}(r) = c + logit(r) / k`` on (0, 1)."""
        return self.center + logit(np.asarray(rate, dtype=float)) / self.steepness

    def antiderivative(self, h: ArrayLike) -> np.ndarray:
        """``int_0^h phi = [log1p(e^{k(h-c)}) - log1p(e^{-kc})] / k`` (softplus, overflow-free)."""
        k, c = self.steepness, self.center
        return (np.logaddexp(0.0, k * (np.asarray(h, dtype=float) - c)) - np.logaddexp(0.0, -k * c)) / k

    def slope_bounds(self, lo: ArrayLike, hi: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Minimum and maximum of phi' on ``[lo, hi]`` (entrywise).

        phi' is unimodal with its peak at `center`: the maximum is at the point of the interval
        closest to the peak, the minimum at one of the end points.
        """
        lo_arr, hi_arr = _check_interval(lo, hi)
        slope_max = self.dphi(np.clip(self.center, lo_arr, hi_arr))
        slope_min = np.minimum(self.dphi(lo_arr), self.dphi(hi_arr))
        return slope_min, slope_max


@dataclass(frozen=True)
class RectifiedTanh:
    """Rectified hyperbolic tangent ``phi(h) = tanh(rho (h - threshold))`` for h >= threshold, else 0.

    By convention ``phi'(threshold) = rho`` (the right derivative).

    Parameters
    ----------
    rho : float
        Gain (maximal slope), > 0.
    threshold : float
        Threshold below which the unit is silent.

    Examples
    --------
    >>> t = RectifiedTanh(rho=4.8, threshold=0.75)
    >>> print(f"{float(t.phi(0.95)):.6f}")
    0.744277
    >>> float(t.phi(0.5))
    0.0
    """

    rho: float
    threshold: float
    name: ClassVar[str] = "tanh"

    def __post_init__(self) -> None:
        object.__setattr__(self, "rho", check_positive("rho", self.rho))
        object.__setattr__(self, "threshold", check_finite_float("threshold", self.threshold))

    @property
    def max_slope(self) -> float:
        """Supremum of phi' (equal to `rho`, reached at the threshold)."""
        return self.rho

    def phi(self, h: ArrayLike) -> np.ndarray:
        """Rate ``phi(h)`` in [0, 1)."""
        z = self.rho * (np.asarray(h, dtype=float) - self.threshold)
        return np.tanh(np.maximum(z, 0.0))

    def dphi(self, h: ArrayLike) -> np.ndarray:
        """Slope ``rho (1 - tanh^2)`` above the threshold, 0 below."""
        z = self.rho * (np.asarray(h, dtype=float) - self.threshold)
        decay = np.exp(-2.0 * np.abs(z))  # sech^2(z) = 4 e^{-2|z|} / (1 + e^{-2|z|})^2
        return np.where(z >= 0.0, 4.0 * self.rho * decay / (1.0 + decay) ** 2, 0.0)

    def inverse(self, rate: ArrayLike) -> np.ndarray:
        """``threshold + atanh(r) / rho`` on [0, 1) (r = 0 maps to the threshold)."""
        return self.threshold + np.arctanh(np.asarray(rate, dtype=float)) / self.rho

    def antiderivative(self, h: ArrayLike) -> np.ndarray:
        """``int_{-inf}^h phi = log(cosh(rho (h - threshold))) / rho`` above the threshold, else 0."""
        z = np.maximum(self.rho * (np.asarray(h, dtype=float) - self.threshold), 0.0)
        log_cosh = z + np.log1p(np.exp(-2.0 * z)) - np.log(2.0)
        return log_cosh / self.rho

    def slope_bounds(self, lo: ArrayLike, hi: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Minimum and maximum of phi' on ``[lo, hi]`` (entrywise).

        phi' is 0 below the threshold, jumps to `rho` there and decreases above it.
        """
        lo_arr, hi_arr = _check_interval(lo, hi)
        slope_max = np.where(hi_arr < self.threshold, 0.0, self.dphi(np.maximum(lo_arr, self.threshold)))
        slope_min = np.where(lo_arr < self.threshold, 0.0, self.dphi(hi_arr))
        return slope_min, slope_max


_ACTIVATIONS = {cls.name: cls for cls in (Sigmoid, RectifiedTanh, LIFTransfer)}

#: The constructor parameters of every named activation (what :func:`activation_from_name` takes).
ACTIVATION_PARAMETERS = {
    name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in _ACTIVATIONS.items()
}


def activation_record(activation: Activation) -> dict:
    """``{"name": ..., <constructor parameters>}`` of a registered activation (JSON-ready).

    :func:`activation_from_name` rebuilds a registered activation from it (``activation_from_name(**record)``);
    another activation honouring the protocol is recorded by its name, `rho` and `threshold`.

    Examples
    --------
    >>> activation_record(Sigmoid(4.8, 0.2))
    {'name': 'sigmoid', 'rho': 4.8, 'threshold': 0.2}
    >>> activation_from_name(**activation_record(LIFTransfer(0.01, 0.004, 1.0, 0.0, 0.3)))
    LIFTransfer(tau_m=0.01, t_ref=0.004, threshold=1.0, reset=0.0, sigma=0.3)
    """
    name = activation.name
    # another activation honouring the protocol is recorded by its gain and threshold
    fields = ACTIVATION_PARAMETERS[name] if _ACTIVATIONS.get(name) is type(activation) else ("rho", "threshold")
    return {"name": name, **{field: float(getattr(activation, field)) for field in fields}}


def activation_from_name(
    name: str,
    *,
    rho: float | None = None,
    threshold: float | None = None,
    tau_m: float | None = None,
    t_ref: float | None = None,
    reset: float | None = None,
    sigma: float | None = None,
) -> Activation:
    """Build an activation from its name and its parameters.

    Parameters
    ----------
    name : {"sigmoid", "tanh", "lif"}
    rho, threshold : float
        Gain and threshold of ``"sigmoid"`` and ``"tanh"``.
    tau_m, t_ref, threshold, reset, sigma : float
        The parameters of ``"lif"`` (:class:`~assocrate.core.lif.LIFTransfer`).

    Every parameter of the named activation is required, and no other one is allowed.

    Raises
    ------
    InvalidInput
        For an unknown name, a missing parameter or one the activation does not take.

    Examples
    --------
    >>> activation_from_name("tanh", rho=2.0, threshold=0.5)
    RectifiedTanh(rho=2.0, threshold=0.5)
    >>> activation_from_name("lif", tau_m=0.01, t_ref=0.004, threshold=1.0, reset=0.0, sigma=0.3).max_rate
    250.0
    """
    try:
        cls = _ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise InvalidInput(f"`activation` must be one of {sorted(_ACTIVATIONS)}; got {name!r}") from None
    given = {"rho": rho, "threshold": threshold, "tau_m": tau_m, "t_ref": t_ref, "reset": reset, "sigma": sigma}
    wanted = ACTIVATION_PARAMETERS[name]
    missing = [key for key in wanted if given[key] is None]
    if missing:
        raise InvalidInput(f"activation {name!r} needs {', '.join(f'`{key}`' for key in missing)} (its parameters: {', '.join(wanted)})")
    extra = [key for key, value in given.items() if value is not None and key not in wanted]
    if extra:
        raise InvalidInput(
            f"activation {name!r} does not take {', '.join(f'`{key}`' for key in extra)} (its parameters: {', '.join(wanted)})"
        )
    return cls(**{key: given[key] for key in wanted})
