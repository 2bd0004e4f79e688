"""The exact spectrum of the augmented Jacobian of a Dale realization at the stored memories (theory.md §6).

At an equilibrium the Jacobian of the excitatory-inhibitory system is not symmetric, but it reduces to
an ``(m + 1)``-square matrix built from ``G = R_EE^T D L_EE`` (m x m). For a symmetric W this is an
arrowhead matrix of size ``rank + 1`` (a diagonal plus a skew-symmetric coupling) built from the
same reduced problem as the designed network (:func:`assocrate.core.lowrank.range_factor`); for a
non-symmetric W (projection rule, unequal activities) the reduced matrix itself, with complex
eigenvalues. Its limits tau_I -> 0 and tau_I -> inf are the designed network and the excitatory
block with frozen inhibition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._summary import Summarized
from .._validation import check_choice, check_index
from .._validation import readonly as _readonly
from ..core.lowrank import range_factor, reduced_eigenvalues, reduced_matrix
from ..core.threads import single_threaded_blas
from ..stability import (
    VERDICT_RTOL,
    GeneralMemoryStability,
    JacobianSpectrum,
    Verdict,
    general_local_stability,
    spectrum_from_reduced,
    verdict_from,
)
from ..stability._linearization import MemoryPoint, is_exact_design, iter_ideal_grams, memory_points, point_gram
from ..stability.spectra import POINTS, Point
from .realization import DaleNetwork, check_dale

__all__ = ["DaleSpectrum", "DaleStability", "dale_spectrum", "dale_stability"]


def _reduced_dale_eigenvalues(
    gram: np.ndarray, c_EE: np.ndarray, w_EI: float, n_units: int, tau: float, tau_inhibitory: float
) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of the reduced augmented Jacobian and of its excitatory block.

    Returns ``(eigenvalues, excitatory)``: the ``rank + 1`` eigenvalues (complex) of the arrowhead
    matrix of :func:`dale_spectrum` (Notes) and the ``rank`` eigenvalues lambda of
    ``S_EE = R^T C_EE R`` (the excitatory block is ``(-1 + lambda)/tau``), with ``G = R R^T``.
    """
    R, keep = range_factor(gram, max_rank=n_units)  # rank G <= N: never keep more than N directions
    R = R[:, keep]
    rank = R.shape[1]
    excitatory, Q = scipy.linalg.eigh(reduced_matrix(R, c_EE))
    coupling = math.sqrt(w_EI / (n_units * tau * tau_inhibitory)) * (Q.T @ R[-1])  # R[-1] = R^T e_m, U e_m = 1
    arrowhead = np.zeros((rank + 1, rank + 1))
    arrowhead[np.arange(rank), np.arange(rank)] = (excitatory - 1.0) / tau
    arrowhead[:rank, rank] = -coupling
    arrowhead[rank, :rank] = coupling
    arrowhead[rank, rank] = -1.0 / tau_inhibitory
    return scipy.linalg.eigvals(arrowhead), excitatory


def _drop_nearest(values: np.ndarray, target: float, count: int) -> np.ndarray:
    """`values` without the `count` entries nearest `target`."""
    if count <= 0:
        return values
    return np.delete(values, np.argsort(np.abs(values - target), kind="stable")[:count])


def _general_dale_eigenvalues(
    gram: np.ndarray, c_EE: np.ndarray, w_EI: float, n_units: int, tau: float, tau_inhibitory: float
) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of the reduced augmented Jacobian M for a non-symmetric ``G = R_EE^T D L_EE``, and of ``C_EE G``.

    ``M = [[(-I + G C_EE)/tau, -(w_EI/tau) G e], [e^T/(N tau_I), -1/tau_I]]`` ((m + 1)-square,
    :func:`dale_spectrum` Notes). When ``m > N`` (``rank G <= N``) the ``m - N`` eigenvalues of M
    nearest ``-1/tau`` (and of ``C_EE G`` nearest 0) belong to the factor ``(lambda + 1/tau)^(m - N)``
    of ``det(lambda - M)`` that is not in J, and are dropped.
    """
    m = gram.shape[0]
    reduced = np.zeros((m + 1, m + 1))
    reduced[:m, :m] = (gram * c_EE - np.eye(m)) / tau
    reduced[:m, m] = -(w_EI / tau) * gram[:, -1]  # G e: L_EE e = R_EE e = 1
    reduced[m, m - 1] = 1.0 / (n_units * tau_inhibitory)
    reduced[m, m] = -1.0 / tau_inhibitory
    with single_threaded_blas():  # (m + 1)-square: one thread (assocrate.core.threads)
        values, excitatory = scipy.linalg.eigvals(reduced), scipy.linalg.eigvals(c_EE[:, None] * gram)
    surplus = m - n_units
    return _drop_nearest(values, -1.0 / tau, surplus), _drop_nearest(excitatory, 0.0, surplus)


def _sorted_complex(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=complex)
    return values[np.lexsort((values.imag, values.real))]


@dataclass(frozen=True, repr=False)
class DaleSpectrum:
    """The exact spectrum of the augmented Jacobian at one memory of a Dale realization.

    Attributes
    ----------
    mu : int
        Memory index.
    at : str
        ``"equilibrium"`` or ``"ideal"``, as in :func:`~assocrate.stability.jacobian_spectrum`.
    tau, tau_inhibitory : float
        Time constants of the excitatory and inhibitory units.
    n_units, n_inhibitory : int
        N and N_I.
    values : numpy.ndarray of complex, shape (rank + 3,)
        Eigenvalues sorted by real then imaginary part, with :attr:`multiplicities`: the ``rank + 1``
        reduced ones (each once), ``-1/tau`` (``N - rank`` times) and ``-1/tau_I`` (``N_I - 1``
        times); entries may coincide.
    multiplicities : numpy.ndarray of int
    reduced : numpy.ndarray of complex, shape (rank + 1,)
        The eigenvalues of the reduced problem.
    excitatory : numpy.ndarray, shape (rank,)
        Eigenvalues lambda of ``R^T C_EE R`` (symmetric W; real) or of ``C_EE G`` (complex): with
        the inhibition frozen (the limit tau_I -> inf) the excitatory units have the eigenvalues
        ``(-1 + lambda)/tau``.
    plain : JacobianSpectrum or GeneralMemoryStability
        The designed network's spectrum at the same point
        (:func:`~assocrate.stability.jacobian_spectrum`, or for the projection rule the memory's
        row of :func:`~assocrate.stability.general_local_stability`; the limit tau_I -> 0).
    tolerance : float
        Half-width of the undecided band: ``VERDICT_RTOL * max(1/tau, 1/tau_I, max |reduced|)``.
    symmetric : bool, default True
        Whether W (and W_EE) is symmetric; the guarantee :attr:`stable_for_every_tau_inhibitory`
        needs it.
    """

    mu: int
    at: str
    tau: float
    tau_inhibitory: float
    n_units: int
    n_inhibitory: int
    values: np.ndarray
    multiplicities: np.ndarray
    reduced: np.ndarray
    excitatory: np.ndarray
    plain: JacobianSpectrum | GeneralMemoryStability
    tolerance: float
    symmetric: bool = True

    @property
    def rank(self) -> int:
        """Rank of ``U^T D U`` (m for a non-symmetric W, at most N): the reduced problem has ``rank + 1`` eigenvalues."""
        return int(self.excitatory.size)

    @property
    def size(self) -> int:
        """``N + N_I``, the eigenvalues counted with multiplicity."""
        return int(self.multiplicities.sum())

    @property
    def rightmost(self) -> complex:
        """The eigenvalue with the largest real part (of a conjugate pair, the one with imag >= 0)."""
        top = self.values[np.abs(self.values.real - self.max_real) <= self.tolerance]
        return complex(top[np.argmax(top.imag)])

    @property
    def max_real(self) -> float:
        """Spectral abscissa: the largest real part of an eigenvalue."""
        return float(self.values.real.max())

    @property
    def excitatory_max_eigenvalue(self) -> float:
        """Largest real part of an eigenvalue of the excitatory block with the inhibition frozen (tau_I -> inf)."""
        # symmetric: R^T C_EE R is positive semidefinite (C_EE > 0), its largest eigenvalue >= 0 = the bulk's
        return (-1.0 + float(np.real(self.excitatory).max(initial=0.0))) / self.tau

    @property
    def equilibrium_found(self) -> bool:
        """Whether the spectrum was taken at an equilibrium (as for the designed network)."""
        return self.plain.equilibrium_found

    @property
    def verdict(self) -> Verdict:
        """Stable / unstable / undecided from the sign of :attr:`max_real` (undecided without an equilibrium)."""
        if not self.equilibrium_found:
            return Verdict.UNDECIDED
        return verdict_from(self.max_real, self.tolerance)

    @property
    def stable_for_every_tau_inhibitory(self) -> bool:
        """Whether the excitatory block alone is stable, which makes the memory stable for every tau_I > 0.

        Proof in the Notes of :func:`dale_spectrum`: the reduced matrix is then negative definite
        plus skew-symmetric. That needs a symmetric W: False for a non-symmetric one (no claim).
        """
        return self.symmetric and self.equilibrium_found and self.excitatory_max_eigenvalue < -self.tolerance

    def dense(self) -> np.ndarray:
        """All ``N + N_I`` eigenvalues with repetition, sorted by real then imaginary part (for tests)."""
        return _sorted_complex(np.repeat(self.values, self.multiplicities))

    def summary(self) -> str:
        """Verdict, the rightmost eigenvalues and the two limits tau_I -> 0 and tau_I -> inf."""
        rightmost = self.rightmost
        imag = f" ± {abs(rightmost.imag):.4g}i" if abs(rightmost.imag) > self.tolerance else ""
        listed = ", ".join(f"{v.real:.6g}{v.imag:+.3g}i" if v.imag else f"{v.real:.6g}" for v in self.reduced[::-1][:6])
        if self.stable_for_every_tau_inhibitory:
            frozen = "stable for every tau_I"
        elif not self.symmetric:
            frozen = "no guarantee for every tau_I (W is not symmetric)"
        else:
            frozen = "not stable alone: slow inhibition can destabilize"
        return "\n".join(
            [
                f"memory {self.mu} ({self.at}) of the Dale realization (N={self.n_units}, N_I={self.n_inhibitory}, "
                f"tau={self.tau:g}, tau_I={self.tau_inhibitory:g}): max Re = {self.max_real:.6g}{imag} -> "
                f"{self.verdict.value}",
                f"  reduced eigenvalues (rightmost first): {listed}" + (" ..." if self.reduced.size > 6 else ""),
                f"  designed network (tau_I -> 0): max eigenvalue {self.plain.max_eigenvalue:.6g} -> "
                f"{self.plain.verdict.value}",
                f"  frozen inhibition (tau_I -> inf): excitatory max eigenvalue {self.excitatory_max_eigenvalue:.6g}"
                f" -> {frozen}",
            ]
        )

    def __repr__(self) -> str:
        return (
            f"DaleSpectrum(mu={self.mu}, at={self.at!r}, tau_inhibitory={self.tau_inhibitory:g}, "
            f"max_real={self.max_real:.6g}, rank={self.rank}, size={self.size}, verdict={self.verdict.name})"
        )


def _spectrum_at_point(dale: DaleNetwork, mu: int, at: str, point: MemoryPoint, gram: np.ndarray) -> DaleSpectrum:
    """The augmented spectrum of a betteti design at a linearisation point (:mod:`assocrate.stability`), ``gram = U^T D U``."""
    network = dale.network
    plain = spectrum_from_reduced(network, mu, at, "rate", reduced_eigenvalues(gram, network.c), point)
    return _spectrum(dale, mu, at, plain, gram)


def _general_spectra(dale: DaleNetwork, memories: list[int], at: str) -> list[DaleSpectrum]:
    """Augmented spectra of a projection-rule design at its memories (exact equilibria: both `at` linearise there).

    ``G = R_EE^T D L_EE`` is summed over the k row types: at a memory D takes the slope d_b on the
    types active in it and d_a elsewhere, so ``G = d_a G_all + (d_b - d_a) G_on`` with ``G_all``
    formed once and ``G_on`` over the active types only (O(k m^2) once, then O(q k m^2) per
    memory); the designed network's spectra come from :func:`~assocrate.stability.general_local_stability`.
    """
    network = dale.network
    plain = general_local_stability(network, at=at).memories
    types, reps = network.row_types, network.type_representatives
    L, R = dale.L_EE[reps], dale.R_EE[reps]
    counts = np.asarray(types.counts, dtype=float)
    d_a, d_b = float(network.activation.dphi(network.a)), float(network.activation.dphi(network.b))
    every = R.T @ (counts[:, None] * L)
    spectra = []
    for mu in memories:
        on = types.rows[:, mu]
        gram = d_a * every + (d_b - d_a) * (R[on].T @ (counts[on, None] * L[on]))
        spectra.append(_spectrum(dale, mu, at, plain[mu], gram))
    return spectra


def _spectrum(
    dale: DaleNetwork, mu: int, at: str, plain: JacobianSpectrum | GeneralMemoryStability, gram: np.ndarray
) -> DaleSpectrum:
    """The augmented spectrum from ``gram = R_EE^T D L_EE`` (symmetric for a symmetric W)."""
    network = dale.network
    tau, tau_I = network.tau, dale.tau_inhibitory
    solve = _reduced_dale_eigenvalues if dale.is_symmetric else _general_dale_eigenvalues
    reduced, excitatory = solve(gram, dale.c_EE, dale.w_EI, network.n_units, tau, tau_I)
    reduced = _sorted_complex(reduced)
    values = np.append(reduced, [-1.0 / tau, -1.0 / tau_I])
    multiplicities = np.append(
        np.ones(reduced.size, dtype=np.int64), [network.n_units - excitatory.size, dale.n_inhibitory - 1]
    )
    order = np.lexsort((values.imag, values.real))
    keep = order[multiplicities[order] > 0]
    return DaleSpectrum(
        mu=mu,
        at=at,
        tau=tau,
        tau_inhibitory=tau_I,
        n_units=network.n_units,
        n_inhibitory=dale.n_inhibitory,
        values=_readonly(values[keep]),
        multiplicities=_readonly(multiplicities[keep]),
        reduced=_readonly(reduced),
        excitatory=_readonly(excitatory),
        plain=plain,
        tolerance=VERDICT_RTOL * max(1.0 / tau, 1.0 / tau_I, float(np.max(np.abs(reduced)))),
        symmetric=dale.is_symmetric,
    )


def dale_spectrum(dale: DaleNetwork, mu: int, *, at: Point = "equilibrium") -> DaleSpectrum:
    """Exact spectrum of the augmented Jacobian at memory `mu`, in O(N P^2) (O(k P^2) on row types).

    Parameters
    ----------
    dale : DaleNetwork
    mu : int
        Memory index in ``[0, P)``.
    at : {"equilibrium", "ideal"}, default "equilibrium"
        Where the slopes are taken, exactly as in
        :func:`~assocrate.stability.jacobian_spectrum`: the equilibria of the realization are
        those of the designed network with ``r = mean(x)``, so its refined equilibrium serves.

    Returns
    -------
    DaleSpectrum

    Notes
    -----
    (derived) At an equilibrium with ``D = diag(phi'(h))`` the Jacobian of theory.md §6 is

        J = [[(-I + D W_EE)/tau,  -(w_EI/N_I) D 1 1^T / tau],
             [1 1^T / (N tau_I),  -I / tau_I              ]]

    (not symmetric). With ``W_EE = L_EE C_EE R_EE^T`` (m columns), ``L_EE e = R_EE e = 1`` (the
    last columns) and the map ``T(x, r) = (R_EE^T x, mean(r))``, ``J = Lambda_0 + A T`` with
    ``Lambda_0 = diag(-I/tau, -I/tau_I)``, and Sylvester's determinant identity gives

        det(lambda - J) = (lambda + 1/tau)^(N - m) (lambda + 1/tau_I)^(N_I - 1) det(lambda - M),
        M = [[(-I + G C_EE)/tau, -(w_EI/tau) G e], [e^T/(N tau_I), -1/tau_I]],   G = R_EE^T D L_EE.

    For a non-symmetric W (projection rule, unequal activities) the eigenvalues of M are computed
    as they are (complex; when ``m > N`` the ``m - N`` surplus ones at ``-1/tau`` are dropped) and
    nothing more is claimed. For a symmetric W, ``G = U^T D U``; writing ``G = R R^T`` on its range (rank r; the other ``m - r`` eigenvalues of M are
    ``-1/tau``), M is similar to ``[[(-I + S_EE)/tau, -(w_EI/tau) v], [v^T/(N tau_I), -1/tau_I]]``
    with ``S_EE = R^T C_EE R`` symmetric and ``v = R^T e``. In the eigenbasis of S_EE and with the
    inhibitory coordinate rescaled by ``sqrt(tau/(N tau_I w_EI))`` this is the arrowhead matrix

        A = [[diag((lambda_i - 1)/tau),  -kappa v~], [kappa v~^T,  -1/tau_I]],
        kappa = sqrt(w_EI/(N tau tau_I)),  v~ = Q^T v,

    a diagonal part plus a skew-symmetric coupling, whose ``r + 1`` eigenvalues are computed by
    LAPACK. Hence ``spec J = spec A ∪ {-1/tau (x N - r)} ∪ {-1/tau_I (x N_I - 1)}``.
    Consequences: ``A + A^T`` is diagonal, so if every ``lambda_i < 1`` (the excitatory block with
    frozen inhibition is stable) then ``V = |z|^2`` decreases and the memory is stable for every
    tau_I (:attr:`DaleSpectrum.stable_for_every_tau_inhibitory`). As tau_I -> 0 the spectrum
    tends to that of the designed network (``S_EE - (w_EI/N) v v^T = R^T C R``) plus one eigenvalue
    near ``-1/tau_I``; as tau_I -> inf, to ``(lambda_i - 1)/tau`` plus one near 0. A memory that is
    stable in the designed network but has some ``lambda_i > 1`` is destabilized by slow enough
    inhibition.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> spectrum = dale_spectrum(aa.dale_realization(net, tau_inhibitory=5.0), 0)
    >>> spectrum.size, spectrum.verdict.value, round(spectrum.max_real, 6)   # the slow inhibitory mode
    (1001, 'stable', -0.200059)
    >>> round(spectrum.plain.max_eigenvalue, 6)   # the designed network at the same memory
    -0.99978
    >>> spectrum.stable_for_every_tau_inhibitory
    True
    """
    dale = check_dale(dale)
    mu = check_index("mu", mu, dale.network.n_patterns)
    at = check_choice("at", at, POINTS)
    if dale.network.rule != "betteti":
        return _general_spectra(dale, [mu], at)[0]
    point = memory_points(dale.network, [mu], at)[0]
    return _spectrum_at_point(dale, mu, at, point, point_gram(point))


@dataclass(frozen=True, repr=False)
class DaleStability(Summarized):
    """The augmented spectra of every memory of a Dale realization.

    Attributes
    ----------
    spectra : tuple of DaleSpectrum
        One per memory, in order.
    """

    spectra: tuple[DaleSpectrum, ...]

    @property
    def n_stable(self) -> int:
        """Memories whose augmented Jacobian is Hurwitz (verdict stable)."""
        return sum(s.verdict is Verdict.STABLE for s in self.spectra)

    @property
    def max_real_parts(self) -> np.ndarray:
        """Spectral abscissa of each memory, shape (P,)."""
        return np.array([s.max_real for s in self.spectra])

    def summary(self) -> str:
        """A table: per memory the augmented, designed and frozen-inhibition verdicts."""
        first = self.spectra[0]
        header = (
            f"{'mu':>4}  {'max Re':>11}  {'Im':>9}  {'verdict':<10}  {'designed':>11}  {'verdict':<10}  "
            f"{'frozen inh.':>11}  {'all tau_I':<9}"
        )
        lines = [
            f"Dale realization ({first.at}, N={first.n_units}, N_I={first.n_inhibitory}, tau={first.tau:g}, "
            f"tau_I={first.tau_inhibitory:g}): {self.n_stable} of {len(self.spectra)} memories stable",
            header,
            "-" * len(header),
        ]
        for s in self.spectra:
            lines.append(
                f"{s.mu:>4}  {s.max_real:>11.5g}  {abs(s.rightmost.imag):>9.3g}  {s.verdict.name.lower():<10}  "
                f"{s.plain.max_eigenvalue:>11.5g}  {s.plain.verdict.name.lower():<10}  "
                f"{s.excitatory_max_eigenvalue:>11.5g}  {'yes' if s.stable_for_every_tau_inhibitory else 'no':<9}"
            )
        lines.append(
            "designed = the network without Dale's law (tau_I -> 0); frozen inh. = excitatory block with the "
            "inhibition frozen (tau_I -> inf); 'all tau_I' = stable for every tau_I (frozen block stable)"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"DaleStability(n_patterns={len(self.spectra)}, n_stable={self.n_stable}, "
            f"max_real={self.max_real_parts.max():.6g})"
        )


def dale_stability(dale: DaleNetwork, *, at: Point = "equilibrium") -> DaleStability:
    """The augmented spectrum of every memory (:func:`dale_spectrum` for mu = 0, ..., P - 1).

    Parameters
    ----------
    dale : DaleNetwork
    at : {"equilibrium", "ideal"}, default "equilibrium"

    Returns
    -------
    DaleStability

    Notes
    -----
    At designed memories (exact designs, or ``at="ideal"``) the Gram matrices ``U^T D_mu U`` of
    all memories come together from :mod:`assocrate.stability` (two slopes per memory:
    O(k m^2 + q k m^3) for all P); refined equilibria cost a Newton solve and an O(N m^2) Gram each.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> dale_stability(aa.dale_realization(net, tau_inhibitory=10.0)).n_stable
    6
    """
    dale = check_dale(dale)
    at = check_choice("at", at, POINTS)
    network = dale.network
    memories = range(network.n_patterns)
    if network.rule != "betteti":
        return DaleStability(tuple(_general_spectra(dale, list(memories), at)))
    if at == "ideal" or is_exact_design(network):  # every point is a designed memory: all Grams at once
        points, grams = memory_points(network, list(memories), at), iter_ideal_grams(network)
        return DaleStability(tuple(_spectrum_at_point(dale, mu, at, points[mu], gram) for mu, gram in zip(memories, grams)))
    spectra = []
    for mu in memories:  # one refined equilibrium at a time (each holds N slopes)
        point = memory_points(network, [mu], at)[0]
        spectra.append(_spectrum_at_point(dale, mu, at, point, point_gram(point)))
    return DaleStability(tuple(spectra))
