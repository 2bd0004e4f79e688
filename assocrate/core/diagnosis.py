"""Which design rule a pattern set needs, and why (theory.md §3).

:func:`diagnose_patterns` reports what decides exactness and E/I balance before anything is
designed: the spread of the activities and of the pairwise overlaps, the betteti rule's beta and
the predicted sign of its gamma (``sign(gamma) = sign((1 - beta) a + beta b)``, so ``gamma < 0``
iff ``a < -beta b / (1 - beta)``), which memories are exact equilibria under each rule, and the
remedy.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._validation import check_patterns
from .._validation import readonly as _readonly
from ..errors import InvalidInput
from .activations import Activation
from .design import design
from .equilibria import equilibrium_residual
from .patterns import pattern_statistics
from .rule import design_parameters

__all__ = ["EXACT_RTOL", "PatternDiagnosis", "diagnose_patterns"]

#: A memory counts as an exact equilibrium when ``max |W x̄ - h̄| <= EXACT_RTOL max(1, |a|, |b|)``:
#: the exact designs give 1e-15 to 1e-13 (rounding of O(N P) sums and of a P x P inverse of
#: condition <= 1e8 for the projection rule), approximate ones 1e-3 and more.
EXACT_RTOL = 1e-10


@dataclass(frozen=True, repr=False)
class PatternDiagnosis:
    """What a pattern set needs from the design rule (see :func:`diagnose_patterns`).

    Attributes
    ----------
    n_units, n_patterns : int
    activities : numpy.ndarray of int, shape (P,)
        Active units per pattern.
    overlaps : numpy.ndarray of int, shape (P, P)
        ``|xi^mu and xi^nu|`` (the diagonal holds the activities).
    shared_fraction : tuple of float
        ``(min, max)`` over pairs of ``|xi^mu and xi^nu| / min(|xi^mu|, |xi^nu|)``.
    q, r : float
        Mean activity and mean pairwise overlap fraction (what the betteti rule uses).
    beta, gamma : float
        The betteti rule's beta and gamma at q, r.
    balance_bound : float
        ``-beta b / (1 - beta)``: gamma < 0 (global inhibition) iff ``a`` is below it.
    betteti_residuals, projection_residuals : numpy.ndarray, shape (P,)
        ``max |W x̄^mu - h̄^mu|`` per memory under each rule (NaN under the projection rule when
        the patterns are linearly dependent).
    projection_symmetric : bool
        Whether the projection rule's W is symmetric (all activities equal).
    tolerance : float
        The exactness threshold ``EXACT_RTOL max(1, |a|, |b|)``.
    remedy : str
    """

    n_units: int
    n_patterns: int
    activities: np.ndarray
    overlaps: np.ndarray
    shared_fraction: tuple[float, float]
    q: float
    r: float
    beta: float
    gamma: float
    a: float
    b: float
    balance_bound: float
    betteti_residuals: np.ndarray
    projection_residuals: np.ndarray
    projection_symmetric: bool
    tolerance: float
    remedy: str

    @property
    def equal_activities(self) -> bool:
        """Every pattern has the same number of active units."""
        return bool(np.all(self.activities == self.activities[0]))

    @property
    def betteti_exact(self) -> np.ndarray:
        """Per memory: exact equilibrium under the betteti rule."""
        return _readonly(self.betteti_residuals <= self.tolerance)

    @property
    def projection_exact(self) -> np.ndarray:
        """Per memory: exact equilibrium under the projection rule."""
        return _readonly(self.projection_residuals <= self.tolerance)

    @property
    def recommended_rule(self) -> str:
        """``"betteti"`` when it is exact for every memory, else ``"projection"`` when that is."""
        if self.betteti_exact.all():
            return "betteti"
        return "projection" if self.projection_exact.all() else "none"

    def to_record(self) -> dict:
        """JSON-ready dict (the CLI's ``--diagnose --json``)."""
        return {
            "n_units": self.n_units,
            "n_patterns": self.n_patterns,
            "activities": [int(v) for v in self.activities],
            "equal_activities": self.equal_activities,
            "shared_fraction": list(self.shared_fraction),
            "q": self.q,
            "r": self.r,
            "beta": self.beta,
            "gamma": self.gamma,
            "gamma_sign": "negative" if self.gamma < 0 else "positive" if self.gamma > 0 else "zero",
            "balance_bound": self.balance_bound,
            "betteti_exact": [bool(v) for v in self.betteti_exact],
            "betteti_residuals": [float(v) for v in self.betteti_residuals],
            "projection_exact": [bool(v) for v in self.projection_exact],
            "projection_residuals": [None if np.isnan(v) else float(v) for v in self.projection_residuals],
            "projection_symmetric": self.projection_symmetric,
            "recommended_rule": self.recommended_rule,
            "remedy": self.remedy,
        }

    def summary(self) -> str:
        """The diagnosis in a few lines."""
        lo, hi = int(self.activities.min()), int(self.activities.max())
        off = self.overlaps[~np.eye(self.n_patterns, dtype=bool)]
        overlap_text = f"{int(off.min())}-{int(off.max())} units" if off.size else "n/a (one pattern)"
        sign = "< 0 (global inhibition)" if self.gamma < 0 else ">= 0 (no global inhibition: all-on can be stable)"
        return "\n".join([
            f"Pattern diagnosis: N={self.n_units} units, P={self.n_patterns} patterns",
            f"  activities  {lo}-{hi} active units ({'equal' if lo == hi else 'unequal'}); mean q={self.q:.4g}",
            f"  overlaps    {overlap_text}; shared fraction {self.shared_fraction[0]:.2f}-{self.shared_fraction[1]:.2f}; "
            f"mean r={self.r:.4g}",
            f"  betteti     beta={self.beta:.4g}, gamma={self.gamma:.4g} {sign}; gamma < 0 iff a < "
            f"-beta b/(1-beta) = {self.balance_bound:.4g} (a={self.a:g})",
            f"  exact       betteti: {int(self.betteti_exact.sum())} of {self.n_patterns} memories "
            f"(max residual {float(np.max(self.betteti_residuals)):.3g}); projection: "
            f"{int(self.projection_exact.sum())} of {self.n_patterns} "
            f"({'symmetric' if self.projection_symmetric else 'non-symmetric'} W)",
            f"  remedy      {self.remedy}",
        ])

    def __repr__(self) -> str:
        return (
            f"PatternDiagnosis(n_units={self.n_units}, n_patterns={self.n_patterns}, gamma={self.gamma:.4g}, "
            f"recommended_rule={self.recommended_rule!r})"
        )


def _remedy(betteti_ok: bool, projection_ok: bool, symmetric: bool, gamma: float, bound: float, a: float) -> str:
    balance = "" if gamma < 0 else f"; for the betteti rule lower a below {bound:.4g} to get gamma < 0"
    if betteti_ok:
        return "none needed: the betteti rule makes every memory exact" + balance
    if projection_ok and symmetric:
        return ("use rule='projection': every memory exact with a symmetric W (equal activities), so the "
                "energy function still applies")
    if projection_ok:
        return ("use rule='projection': every memory exact, but W is not symmetric (unequal activities): "
                "no energy function; local spectra, Lyapunov and radius certificates and retrieval apply")
    return ("the patterns are linearly dependent after rescaling: remove repeated or dependent patterns "
            "(no rule makes every memory exact)")


def diagnose_patterns(patterns: np.ndarray, activation: Activation, a: float, b: float) -> PatternDiagnosis:
    """Diagnose a pattern set for the design rules (theory.md §3).

    Designs the network under both rules (O(N P^2) each) and measures every memory's residual.

    Parameters
    ----------
    patterns : array_like of 0/1, shape (N, P)
    activation : Activation
    a, b : float
        The levels, as for :func:`~assocrate.core.design.design`.

    Returns
    -------
    PatternDiagnosis

    Examples
    --------
    >>> import assocrate as aa
    >>> d = diagnose_patterns(aa.random_patterns(200, 5, 0.2, seed=0), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> d.recommended_rule, int(d.betteti_exact.sum()), int(d.projection_exact.sum())
    ('projection', 0, 5)
    """
    xi = check_patterns("patterns", patterns)
    stats = pattern_statistics(xi)
    params = design_parameters(activation, a, b, stats.q, stats.r)  # validates a, b, activation levels
    counts = xi.T.astype(np.int64) @ xi.astype(np.int64)
    activities = np.diag(counts).copy()
    smaller = np.minimum(activities[:, None], activities[None, :])
    pairs = ~np.eye(xi.shape[1], dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        shared = np.where(smaller > 0, counts / np.maximum(smaller, 1), 0.0)[pairs]
    shared_fraction = (float(shared.min()), float(shared.max())) if shared.size else (1.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the diagnosis is the explanation of that warning
        betteti = design(xi, activation, a, b)
    betteti_residuals = np.atleast_1d(equilibrium_residual(betteti)).astype(float)
    try:
        projection = design(xi, activation, a, b, rule="projection")
        projection_residuals = np.atleast_1d(equilibrium_residual(projection)).astype(float)
    except InvalidInput:  # linearly dependent patterns (or a singular X^T H)
        projection_residuals = np.full(xi.shape[1], np.nan)
    tolerance = EXACT_RTOL * max(1.0, abs(float(a)), abs(float(b)))
    symmetric = bool(np.all(activities == activities[0]))
    bound = -params.beta * float(b) / (1.0 - params.beta)
    remedy = _remedy(bool(np.all(betteti_residuals <= tolerance)), bool(np.all(projection_residuals <= tolerance)),
                     symmetric, params.gamma, bound, float(a))
    return PatternDiagnosis(
        n_units=int(xi.shape[0]), n_patterns=int(xi.shape[1]), activities=_readonly(activities),
        overlaps=_readonly(counts), shared_fraction=shared_fraction, q=float(stats.q), r=float(stats.r),
        beta=float(params.beta), gamma=float(params.gamma), a=float(a), b=float(b), balance_bound=float(bound),
        betteti_residuals=_readonly(betteti_residuals), projection_residuals=_readonly(projection_residuals),
        projection_symmetric=symmetric, tolerance=tolerance, remedy=remedy,
    )
