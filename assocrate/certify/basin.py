"""What the basin certificates share: the memory as a centre, its residual, the box and the result.

A basin certificate (:mod:`~assocrate.certify.radius`, Metzler box; :mod:`~assocrate.certify.sector`,
sector-LMI ellipsoid) is centred at ``h_c``, the memory in current units: the equilibrium near
``a + (b - a) xi^mu``, refined by Newton's method on the classes (:func:`class_equilibrium`). It
lives in the box ``B = {h : |h - h_c| <= delta v}`` (v > 0, max v = 1) and bounds the centre's
residual by ``R >= |W Phi(h_c) + u - h_c|`` (:func:`residual_bound`, rigorous). Both checks
require the equilibrium in the box to be the named memory's (:func:`require_memory_in_box`: every
rate state of the box is l1-nearer to that memory's designed state than to any other and to the
uniform states, exactly), so a box around another memory's equilibrium, or a certificate
relabelled to another memory, fails.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .._summary import Summarized
from ..certify._rational import to_fraction
from ..certify._reduction import ReducedNetwork, network_digest, reduce_network
from ..certify._rigorous import BOX_BITS, GRID_BITS, dyadic_up, format_down, phi_bounds
from ..certify.record import Certificate
from ..certify.witness import exact_scalar, exact_vector, require
from ..core.equilibria import damped_newton
from ..core.identity import Identity, identify_states, identity_verdict
from ..errors import InvalidInput

__all__ = [
    "DELTA_BITS",
    "CertifiedRadius",
    "box_identity",
    "center_owner",
    "require_box",
    "require_memory_in_box",
    "class_equilibrium",
    "largest",
    "memory_center",
    "residual_bound",
]

#: The half-width delta of a certified box is a multiple of ``2**-DELTA_BITS``.
DELTA_BITS = 32


def residual_bound(red: ReducedNetwork, center: Sequence[Fraction], u: Sequence[Fraction] | None,
                   majorant: str = "exact") -> list[Fraction]:
    """Dyadic ``R_s >= |W Phi(h_c) + u - h_c|`` on class s (rigorous).

    ``W Phi(h_c)`` is enclosed as ``W m +- |W| w`` (``m``, ``w`` the midpoints and radii of the
    enclosures of ``Phi(h_c)``); with ``majorant="lowrank"`` or ``"cauchy-schwarz"`` the spread
    ``|W| w`` is bounded by ``M w`` (``M = |L| |C| |R|^T``, O(k m)).
    """
    activation = red.network.activation
    bounds = [phi_bounds(activation, h) for h in center]
    middle = [(lo + hi) / 2 for lo, hi in bounds]
    radius = [(hi - lo) / 2 for lo, hi in bounds]
    value = red.times_exact(middle)
    spread = red.abs_times_exact(radius, majorant)
    u = [Fraction(0)] * len(center) if u is None else u
    return [dyadic_up(abs(val + us - h) + s, BOX_BITS) for val, us, h, s in zip(value, u, center, spread)]


def class_equilibrium(red: ReducedNetwork, h0: np.ndarray, u: np.ndarray | None = None, *, max_iter: int = 50) -> np.ndarray:
    """Newton's method for ``h = W_hat n Phi(h) + u`` on the classes, from `h0` (k,).

    The equilibrium near a class-constant start is class-constant (units of a class are
    interchangeable), so this is the equilibrium of the full network. Each step solves with the
    Jacobian through the factors of ``W_hat`` (Woodbury, O(k m^2)). Returns the best iterate.
    """
    activation = red.network.activation
    R = np.asarray(red.network.R[red.part.representatives], dtype=float)
    A = np.asarray(red.network.L[red.part.representatives], dtype=float) * red.network.c  # W_hat = A R^T
    u = np.zeros(red.n_classes) if u is None else u

    def residual(h: np.ndarray) -> np.ndarray:
        return A @ (R.T @ (red.counts * activation.phi(h))) + u - h

    def newton_step(h: np.ndarray, r: np.ndarray) -> np.ndarray:
        # s = -(W_hat n D - I)^{-1} r by Woodbury: s = r + A (I - B A)^{-1} B r, B = R^T n D
        B = R.T * (red.counts * activation.dphi(h))
        return r + A @ np.linalg.solve(np.eye(A.shape[1]) - B @ A, B @ r)

    # tol 0: iterate until the residual stops decreasing (the certificates want the best centre)
    return damped_newton(residual, newton_step, np.array(h0, dtype=float), tol=0.0, max_iter=max_iter).z


def memory_center(network, red: ReducedNetwork, mu: int) -> tuple[np.ndarray, np.ndarray]:
    """The centre ``h_c`` of memory `mu` on the classes and the rescaled pattern ``a + (b - a) xi^mu`` it starts from."""
    rows = network.patterns[red.part.representatives, mu]
    nominal = network.a + (network.b - network.a) * rows.astype(float)
    return class_equilibrium(red, nominal), nominal


def largest(predicate, start: float, *, iterations: int = 50) -> float:
    """Largest x in (0, hi] with predicate(x) by doubling then bisection (0 if none)."""
    hi = start
    if predicate(hi):
        for _ in range(20):
            if not predicate(2 * hi):
                break
            hi *= 2
        else:
            return hi
        lo, hi = hi, 2 * hi
    else:
        lo = 0.0
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if predicate(mid):
            lo = mid
        else:
            hi = mid
    return lo


def require_box(certificate: Certificate, n_classes: int) -> tuple[list[Fraction], list[Fraction], Fraction]:
    """The recorded centre, weights v and delta, after hypotheses 1 and 2 of the box.

    1. *dimensions*: ``center`` and ``v`` have one entry per class (`n_classes`, recomputed from
       the network) -- a surplus entry is never dropped;
    2. *the box*: ``delta > 0``, ``v > 0`` and ``max v = 1`` (normalisation: delta is the largest
       half-width).

    Raises :class:`~assocrate.certify.witness.CheckFailed` naming the failed hypothesis.
    """
    center = exact_vector(certificate, "center", n_classes)
    v = exact_vector(certificate, "v", n_classes)
    delta = exact_scalar(certificate, "delta")
    require(2, "the box: delta > 0", delta > 0, f"delta = {float(delta)!r}")
    require(2, "the box: v > 0", min(v) > 0, f"min v = {float(min(v))!r}")
    require(2, "the box: max v = 1", max(v) == 1, f"max v = {float(max(v))!r}")
    return center, v, delta


def box_identity(network, red: ReducedNetwork, center, v, delta) -> Identity:
    """Whose equilibrium the box ``|h - center| <= delta v`` holds, exactly (:mod:`assocrate.core.identity`).

    The rates of the box are enclosed rigorously per class (``phi`` rounded outward at the ends of
    each interval), the designed levels ``phi(a)``, ``phi(b)`` likewise, and the l1 distances are
    bounded in exact integer arithmetic: every enclosure is a multiple of ``2**-GRID_BITS``, so
    scaled by ``2**GRID_BITS`` they are Python ints (O(k P) integer operations; the bounds of the
    result are scaled back to Fractions).
    """
    activation = network.activation
    scale = 2**GRID_BITS

    def scaled(bound: Fraction) -> int:
        value = bound * scale
        if value.denominator != 1:  # phi_bounds rounds to the grid; anything else is a bug, not a proof
            raise ArithmeticError(f"the rate enclosure {bound} is not on the 2**-{GRID_BITS} grid")
        return int(value)

    lower = np.array([scaled(phi_bounds(activation, c - delta * vt)[0]) for c, vt in zip(center, v)], dtype=object)
    upper = np.array([scaled(phi_bounds(activation, c + delta * vt)[1]) for c, vt in zip(center, v)], dtype=object)
    xi = network.patterns[red.part.representatives]
    counts = np.array(red.counts_exact, dtype=object)
    phi_a = tuple(scaled(x) for x in phi_bounds(activation, to_fraction(network.a)))
    phi_b = tuple(scaled(x) for x in phi_bounds(activation, to_fraction(network.b)))
    found = identify_states(xi, counts, lower, upper, phi_a, phi_b)
    return dataclasses.replace(
        found, upper=np.array([Fraction(x, scale) for x in found.upper], dtype=object),
        lower=np.array([Fraction(x, scale) for x in found.lower], dtype=object),
        uniform_lower=Fraction(found.uniform_lower, scale))


def center_owner(network, red: ReducedNetwork, center: np.ndarray) -> int | None:
    """Whose equilibrium the float centre (currents per class) is: :func:`assocrate.core.identity.identify_states`.

    The same test ``assocrate check`` applies to the equilibrium it finds near a memory; the
    certifiers use it to say "the equilibrium near memory mu is memory nu's" before searching a box.
    """
    rates = network.activation.phi(np.asarray(center, dtype=float))
    if not np.all(np.isfinite(rates)):
        return None
    phi_a, phi_b = float(network.activation.phi(network.a)), float(network.activation.phi(network.b))
    xi = network.patterns[red.part.representatives]
    return identify_states(xi, red.counts, rates, rates, (phi_a, phi_a), (phi_b, phi_b)).memory


def require_memory_in_box(certificate: Certificate, network, red: ReducedNetwork, center, v, delta, *,
                          hypothesis: int = 5) -> int:
    """The named memory, tied to the certified box: the equilibrium in the box is that memory's.

    Hypothesis *identity*: the memory index is a memory of the network, and every rate state of
    the box (so the one equilibrium the box holds) is strictly l1-nearer to the designed state
    ``x̄^mu`` than to every other ``x̄^nu`` and to every uniform state (:func:`box_identity`,
    exact). A box centred on another memory's equilibrium -- Newton from ``x̄^mu`` may run there
    in an approximate design -- or a certificate relabelled to another memory fails with
    "the equilibrium near memory mu is memory nu's", the verdict ``assocrate check`` gives.
    """
    mu = certificate.parameters.get("memory", -1)
    require(hypothesis, "identity: the memory is one of the network's",
            not isinstance(mu, bool) and isinstance(mu, int) and 0 <= mu < network.n_patterns,
            f"memory index {mu!r}, the network stores {network.n_patterns}")
    found = box_identity(network, red, center, v, delta)
    if found.memory != mu:
        owner = found.memory
        if owner is None and found.nearest.startswith("memory "):
            detail = (f"the box is not provably memory {mu}'s: its rates are not all l1-nearer to memory {mu}'s "
                      f"designed state than to every other and to the uniform states (nearest: {found.nearest})")
        else:
            detail = identity_verdict(mu, owner)
        require(hypothesis, f"identity: the certified equilibrium is memory {mu}'s", False, detail)
    return mu


#: How a summary names the bound of |W| a Metzler box was certified with (nothing for the exact |W|).
_MAJORANT_LABELS = {"lowrank": ", low-rank majorant of |W|", "cauchy-schwarz": ", Cauchy-Schwarz bound of |W|"}


@dataclass(frozen=True, repr=False)
class CertifiedRadius(Summarized):
    """A certified neighbourhood of a memory from which every trajectory retrieves it.

    Attributes
    ----------
    memory : int
    method : str
        ``"interval"`` or ``"metzler"`` (box, the certified retrieval radius) or ``"lmi"`` (ellipsoid, l2).
    weights : str
        ``"uniform"`` (v = 1) or ``"perron"`` (Metzler only).
    radius : float
        Metzler: delta, the half-width of the box in current units with max v = 1. LMI: the radius
        of the l2 ball inside the certified ellipsoid. 0 when nothing was certified.
    min_half_width : float
        Half-width of the largest cube the certified set contains (``delta min v``, or
        ``radius / sqrt(N)`` for the ellipsoid).
    norm : str
        ``"box"`` or ``"l2"``.
    certificate : Certificate
        kind ``"interval"``, ``"radius"`` or ``"sector"``; re-check it with :func:`~assocrate.certify.verification.verify`.
    majorant : str
        The bound of ``|W|`` in the Metzler condition: ``"exact"`` (``|W|``), ``"lowrank"``
        (``|L| |C| |R|^T``) or ``"cauchy-schwarz"`` (method ``"metzler"`` only for the last two).
    """

    memory: int
    method: str
    weights: str
    radius: float
    min_half_width: float
    norm: str
    certificate: Certificate
    majorant: str = "exact"

    @property
    def certified(self) -> bool:
        """Whether the exact check passed (the certificate's status is ``CERTIFIED``)."""
        return self.certificate.certified

    def retrieves(self, network, x: np.ndarray) -> bool | np.ndarray:
        """Whether rate cues provably retrieve the memory: ``h = W x`` lies in the certified set.

        The certificate is for the autonomous network (no input); a statement with a constant input
        needs :func:`certify_input_driven`.

        Box (Metzler): ``|h_i - h_c,i| <= delta v_i`` for every unit; ellipsoid (LMI): the l2 ball of
        radius `radius` (a sufficient test). Always False when nothing was certified.

        Parameters
        ----------
        network : MemoryNetwork
            The network the certificate was made for.
        x : numpy.ndarray, shape (N,) or (N, B)
            Rate cues, one per column.

        Returns
        -------
        bool, or numpy.ndarray of bool of shape (B,)

        Examples
        --------
        >>> import assocrate as aa
        >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
        >>> result = aa.certified_radius(net, 0)
        >>> cue = net.memory_rates()[:, 0].copy()
        >>> cue[net.patterns[:, 0]] *= 0.7  # 30 % weaker on the active units
        >>> bool(result.retrieves(net, cue)), bool(result.retrieves(net, 0.3 * cue))
        (True, False)
        """
        if self.certificate.parameters.get("network") != network_digest(network):
            raise InvalidInput("`network` is not the network this radius was certified for (its digest differs)")
        X = np.asarray(x, dtype=float)
        if X.ndim not in (1, 2) or X.shape[0] != network.n_units:
            raise InvalidInput(f"`x` must have shape ({network.n_units},) or ({network.n_units}, B); got {X.shape}")
        H = network.weights_matvec(X)
        if not self.certified:
            return np.zeros(X.shape[1], dtype=bool) if X.ndim == 2 else False
        part = reduce_network(network, reduction=self.certificate.parameters["reduction"]).part
        center = part.expand(self.certificate.data["center"])
        if self.norm == "box":
            width = self.radius * part.expand(self.certificate.data["v"])
            if H.ndim == 2:
                inside = np.all(np.abs(H - center[:, None]) <= width[:, None], axis=0)
            else:
                inside = bool(np.all(np.abs(H - center) <= width))
        else:
            offset = H - (center[:, None] if H.ndim == 2 else center)
            inside = np.linalg.norm(offset, axis=0) <= self.radius
            inside = bool(inside) if H.ndim == 1 else inside
        return inside

    def summary(self) -> str:
        """The radius and the certificate."""
        if self.norm == "box":
            head = (
                f"memory {self.memory}: certified retrieval radius {format_down(self.radius)} "
                f"(box, {self.weights} weights{_MAJORANT_LABELS.get(self.majorant, '')}; "
                f"smallest half-width {format_down(self.min_half_width)})"
            )
        else:
            head = (
                f"memory {self.memory}: certified l2 radius {format_down(self.radius)} (sector-LMI ellipsoid; "
                f"inscribed cube half-width {format_down(self.min_half_width, 3)}) — an l2 statement, not the retrieval radius"
            )
        return head + "\n" + self.certificate.summary()

    def __repr__(self) -> str:
        return (
            f"CertifiedRadius(memory={self.memory}, method={self.method!r}, radius={self.radius:.6g}, "
            f"min_half_width={self.min_half_width:.6g}, certified={self.certified})"
        )
