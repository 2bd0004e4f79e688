"""The LIF transfer function (Siegert formula) as an activation (issue 12, theory.md §6b).

A leaky integrate-and-fire neuron ``tau_m dV/dt = -V + h + sigma sqrt(tau_m) xi(t)`` (white noise
xi, free-membrane variance ``sigma^2 / 2``), with threshold theta, reset V_r and refractory period
t_ref, fires at the stationary rate (Siegert; Brunel 2000)

    nu(h) = 1 / (t_ref + tau_m sqrt(pi) int_{(V_r - h)/sigma}^{(theta - h)/sigma} e^{x^2} (1 + erf x) dx).

:class:`LIFTransfer` uses ``phi(h) = t_ref nu(h)`` in [0, 1) (the rate normalised by the maximal
rate 1/t_ref), so that design, stability and retrieval work unchanged.

Numerics: with ``e^{y^2}(1 + erf y) = (2/sqrt(pi)) int_0^inf e^{-u^2 + 2 y u} du`` the mean
first-passage time is

    T(h) = tau_m int_0^inf e^{-u^2 + 2 y_theta u} (1 - e^{-2 Delta u}) / u du,   Delta = (theta - V_r)/sigma,

a smooth integral of a Gaussian-like bump, evaluated by Gauss-Legendre quadrature on the interval
that holds the bump, in logarithmic form (no overflow however far below threshold h is).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Union

import numpy as np
from scipy.special import erfc, erfcx, expit

from .._validation import check_finite_float, check_positive
from ..errors import InvalidInput

__all__ = ["LIFTransfer"]

ArrayLike = Union[float, np.ndarray]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(96)
_AD_NODES, _AD_WEIGHTS = np.polynomial.legendre.leggauss(64)
_SPAN = math.sqrt(60.0)  # the bump e^{-(u - y)^2} is below e^{-60} beyond this distance


@dataclass(frozen=True)
class LIFTransfer:
    """Stationary rate of a noisy LIF neuron, times t_ref: ``phi(h) = t_ref nu(h)`` in [0, 1).

    Parameters
    ----------
    tau_m : float
        Membrane time constant (seconds), > 0.
    t_ref : float
        Refractory period (seconds), > 0; ``1/t_ref`` is the maximal rate.
    threshold : float
        Spike threshold theta (in the units of the input h).
    reset : float
        Reset potential V_r < threshold.
    sigma : float
        Noise amplitude, > 0 (``tau_m dV = (-V + h) dt + sigma sqrt(tau_m) dW``).

    Notes
    -----
    phi is increasing and sigmoid-like: super-exponentially small below threshold, slowly (like
    ``1 / (1 + (tau_m/t_ref) log((h - V_r)/(h - theta)))``) approaching 1 above it. Only the
    ratio ``tau_m / t_ref`` matters for phi. ``rho`` is the maximal slope (found numerically).

    Examples
    --------
    >>> f = LIFTransfer(tau_m=0.01, t_ref=0.002, threshold=1.0, reset=0.0, sigma=0.2)
    >>> print(f"{float(f.phi(1.0)) / f.t_ref:.2f} Hz")
    35.70 Hz
    >>> print(f"{float(f.inverse(f.phi(1.3))):.10f}")
    1.3000000000
    >>> bool(f.phi(-50.0) == 0.0 and f.phi(1e6) < 1.0)
    True
    """

    tau_m: float
    t_ref: float
    threshold: float
    reset: float
    sigma: float
    name: ClassVar[str] = "lif"

    def __post_init__(self) -> None:
        object.__setattr__(self, "tau_m", check_positive("tau_m", self.tau_m))
        object.__setattr__(self, "t_ref", check_positive("t_ref", self.t_ref))
        object.__setattr__(self, "threshold", check_finite_float("threshold", self.threshold))
        object.__setattr__(self, "reset", check_finite_float("reset", self.reset))
        object.__setattr__(self, "sigma", check_positive("sigma", self.sigma))
        if self.reset >= self.threshold:
            raise InvalidInput(f"`reset` must be < `threshold`; got reset={self.reset!r}, threshold={self.threshold!r}")

    # -- the first-passage time ---------------------------------------------------------------

    def _log_passage(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``log(T/tau_m)`` and the log-scale M used (``T/tau_m = e^M * integral``)."""
        y = (self.threshold - h) / self.sigma
        delta = (self.threshold - self.reset) / self.sigma
        peak = np.maximum(y, 0.0)
        # the integrand's exponent -u^2 + 2 y u is within 60 of its maximum on [lo, hi]
        lo = np.maximum(peak - _SPAN, 0.0)
        hi = np.where(y > 0.0, y + _SPAN, 60.0 / (np.sqrt(y * y + 60.0) - np.minimum(y, 0.0)))  # no cancellation
        half = 0.5 * (hi - lo)
        u = (lo + half)[..., None] + half[..., None] * _NODES
        scale = np.where(y > 0.0, y * y, 0.0)
        integrand = np.exp(-u * u + 2.0 * y[..., None] * u - scale[..., None]) * (-np.expm1(-2.0 * delta * u)) / u
        integral = half * (integrand @ _WEIGHTS)
        return np.log(integral) + scale, scale

    def phi(self, h: ArrayLike) -> np.ndarray:
        """``t_ref nu(h)`` in [0, 1)."""
        h = np.asarray(h, dtype=float)
        log_t, _ = self._log_passage(h)
        # phi = t_ref / (t_ref + T) = expit(-(log T - log t_ref))
        return expit(-(log_t + math.log(self.tau_m / self.t_ref)))

    def dphi(self, h: ArrayLike) -> np.ndarray:
        """``phi'(h) = phi (1 - phi) (sqrt(pi)/sigma) (erfcx(-y_theta) - erfcx(-y_r)) / (T/tau_m)``."""
        h = np.asarray(h, dtype=float)
        log_t, scale = self._log_passage(h)
        y_theta = (self.threshold - h) / self.sigma
        y_reset = (self.reset - h) / self.sigma
        # e^{-M} (erfcx(-y_theta) - erfcx(-y_r)), written without overflow
        jump = self._scaled_erfcx(y_theta, scale) - self._scaled_erfcx(y_reset, scale)
        ratio = math.sqrt(math.pi) / self.sigma * jump * np.exp(scale - log_t)
        phi = expit(-(log_t + math.log(self.tau_m / self.t_ref)))
        return phi * (1.0 - phi) * ratio

    @staticmethod
    def _scaled_erfcx(y: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """``erfcx(-y) e^{-scale}`` (``erfcx(-y) = e^{y^2} erfc(-y)``)."""
        positive = y > 0.0
        safe = np.where(positive, y, 0.0)
        grow = erfc(-safe) * np.exp(safe * safe - scale)
        return np.where(positive, grow, erfcx(-np.minimum(y, 0.0)) * np.exp(-scale))

    def inverse(self, rate: ArrayLike) -> np.ndarray:
        """``phi^{-1}`` on (0, 1): bracketed bisection on log T, polished by Newton steps."""
        rate = np.asarray(rate, dtype=float)
        if np.any((rate <= 0.0) | (rate >= 1.0)):
            raise InvalidInput(f"`rate` must be in (0, 1) for the inverse of phi; got values in [{rate.min()!r}, {rate.max()!r}]")
        target = np.log((1.0 - rate) / rate) + math.log(self.t_ref / self.tau_m)  # log(T / tau_m)
        lo = np.full(rate.shape, self.threshold - 60.0 * self.sigma)
        hi = np.full(rate.shape, self.threshold + 1.0)
        for _ in range(2000):  # log T decreases in h; widen the bracket until it holds the root
            short = self._log_passage(hi)[0] > target
            if not np.any(short):
                break
            hi = np.where(short, self.threshold + 2.0 * (hi - self.threshold), hi)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            above = self._log_passage(mid)[0] > target
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
            if np.all(hi - lo <= 1e-9 * np.maximum(1.0, np.abs(mid))):
                break
        h = 0.5 * (lo + hi)
        for _ in range(3):  # Newton on phi itself
            slope = self.dphi(h)
            step = np.where(slope > 0, (self.phi(h) - rate) / np.where(slope > 0, slope, 1.0), 0.0)
            h = np.clip(h - step, lo - (hi - lo), hi + (hi - lo))
        return h

    def antiderivative(self, h: ArrayLike) -> np.ndarray:
        """``int_{-inf}^h phi`` (phi is below 1e-300 under ``threshold - 40 sigma``)."""
        h = np.asarray(h, dtype=float)
        start = self.threshold - 40.0 * self.sigma
        top = np.maximum(h, start)
        # split at the steep part around the threshold, then Gauss-Legendre on each piece
        knots = [start, self.threshold - 4.0 * self.sigma, self.threshold + 4.0 * self.sigma]
        total = np.zeros(top.shape)
        for left, right in zip(knots, knots[1:] + [np.inf]):
            b = np.minimum(top, right)
            a = np.minimum(np.full(top.shape, left), b)
            half = 0.5 * (b - a)
            points = (a + half)[..., None] + half[..., None] * _AD_NODES
            total = total + half * (self.phi(points) @ _AD_WEIGHTS)
        return total

    # -- slopes --------------------------------------------------------------------------------

    @cached_property
    def _peak(self) -> float:
        """Where phi' is largest (phi' is unimodal)."""
        from scipy.optimize import minimize_scalar

        grid = self.threshold + self.sigma * np.linspace(-10.0, 10.0, 801)
        grid = np.append(grid, self.threshold + np.geomspace(self.sigma, 1e3 * (self.threshold - self.reset), 200))
        k = int(np.argmax(self.dphi(grid)))
        lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
        best = minimize_scalar(lambda x: -float(self.dphi(x)), bounds=(lo, hi), method="bounded",
                               options={"xatol": 1e-12 * max(1.0, abs(hi))})
        return float(best.x)

    @property
    def rho(self) -> float:
        """Supremum of phi' (the activation protocol's gain)."""
        return self.max_slope

    @property
    def max_slope(self) -> float:
        """Supremum of phi'."""
        return float(self.dphi(self._peak))

    @property
    def max_rate(self) -> float:
        """``1 / t_ref`` (Hz when t_ref is in seconds): the rate at phi = 1."""
        return 1.0 / self.t_ref

    def rate(self, h: ArrayLike) -> np.ndarray:
        """The Siegert rate ``nu(h) = phi(h) / t_ref``."""
        return self.phi(h) / self.t_ref

    def slope_bounds(self, lo: ArrayLike, hi: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Minimum and maximum of phi' on ``[lo, hi]`` (entrywise; phi' is unimodal)."""
        lo_arr, hi_arr = np.broadcast_arrays(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
        if np.any(lo_arr > hi_arr):
            raise InvalidInput("`lo` must be <= `hi` entrywise")
        slope_max = self.dphi(np.clip(self._peak, lo_arr, hi_arr))
        slope_min = np.minimum(self.dphi(lo_arr), self.dphi(hi_arr))
        return slope_min, slope_max
