"""Local-stability phase diagrams over a (rho, threshold) grid, as xarray Datasets (theory.md §4, §8).

:func:`phase_diagram` evaluates local stability over a grid of gain ``rho`` and threshold ``x*``
for fixed levels (a, b), activation family and pattern set. phi and phi' at a and b come from one
activation per cell (about 10 us each); the rest is vectorised over the whole grid: the design
scalars are one call of :func:`~assocrate.core.rule.design_rule`, the patterns enter only
through integer count matrices computed once, and every cell is a few small matrix operations in
one numpy call (closed forms for the equal-overlap design, batched (P+1) x (P+1) eigenproblems
otherwise). A 30 x 30 diagram takes about 10 ms, less than starting a ``dask.distributed``
cluster, so it runs in-process; sweeps whose cells are expensive (capacity
curves, which simulate retrieval) are the ones to map over dask.distributed
(:func:`assocrate.sweeps.capacity`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from .._budget import Cost, check_cost
from .._progress import as_progress
from .._validation import (
    check_choice,
    check_finite_float,
    check_fraction,
    check_patterns,
    check_positive,
    check_positive_int,
)
from .._version import __version__
from ..core.activations import activation_from_name
from ..core.lowrank import batched_max_reduced_eigenvalue
from ..core.patterns import ENSEMBLES, make_patterns, pattern_statistics, row_types
from ..core.rule import design_rule
from ..errors import InvalidInput
from ..stability import instability_terms, k2_eigenvalues, pattern_structure_reason
from .proof import proof_variable, prove_cells

__all__ = ["PHASE_ACTIVATIONS", "PHASE_METHODS", "phase_diagram"]

#: Accepted values of ``activation`` in :func:`phase_diagram`.
PHASE_ACTIVATIONS = ("sigmoid", "tanh")

#: Accepted values of ``method`` in :func:`phase_diagram`.
PHASE_METHODS = ("auto", "closed-form", "reduction")

#: Activity of a named ensemble built when `q` is not given.
DEFAULT_ENSEMBLE_Q = 0.2

# Cells x memories x m x m float64 per block of the reduction route (about 64 MB).
_BLOCK_BYTES = 64 * 2**20


def _check_axis(name: str, values: object) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise InvalidInput(f"`{name}` must be a non-empty 1-D sequence of values; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InvalidInput(f"`{name}` must be finite; found NaN or inf")
    return array




def _grid_design(activation: str, rho: np.ndarray, threshold: np.ndarray, a: float, b: float, q: float, r: float):
    """Slopes, rates and design scalars on the (rho, threshold) grid; NaN where the design is invalid.

    phi and phi' come from one activation per cell (an activation's parameters are checked scalars;
    its formulas are not repeated here), the scalars from
    :func:`~assocrate.core.rule.design_rule` on the whole grid at once.
    """
    levels = np.array([a, b])
    rates = np.empty((rho.size, threshold.size, 2))
    slopes = np.empty_like(rates)
    for i, gain in enumerate(rho):
        for j, x_star in enumerate(threshold):
            phi = activation_from_name(activation, rho=float(gain), threshold=float(x_star))
            rates[i, j], slopes[i, j] = phi.phi(levels), phi.dphi(levels)
    valid = rates[..., 1] > rates[..., 0]
    phi_a, phi_b = (np.where(valid, rates[..., k], np.nan) for k in (0, 1))
    params = design_rule(phi_a, phi_b, a, b, q, r)
    return {
        "valid": valid,
        "d_a": np.where(valid, slopes[..., 0], np.nan),
        "d_b": np.where(valid, slopes[..., 1], np.nan),
        "alpha": params.alpha,
        "alpha_prime": params.alpha_prime,
        "beta": params.beta,
        "gamma": params.gamma,
    }


def _closed_form_cells(cells: dict, q: float, n_patterns: int, n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """Largest reduced eigenvalue and lambda_max(W) per cell, equal-overlap design (theory.md §4)."""
    alpha, gamma, d_a, d_b = cells["alpha"], cells["gamma"], cells["d_a"], cells["d_b"]
    candidates = [*k2_eigenvalues(alpha, gamma, q, d_a, d_b), alpha * (d_a + (n_patterns - 1) * q * (d_b - d_a))]
    if n_patterns > 2:
        candidates.append(alpha * d_a)
    bulk = n_units > n_patterns + 1  # eigenvalue 0 of the reduced problem (J: -1)
    if bulk:
        candidates.append(np.zeros_like(alpha))
    weights_top = np.maximum(alpha, gamma)
    return np.max(candidates, axis=0), np.maximum(weights_top, 0.0) if bulk else weights_top


def _count_matrices(xi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``V^T V`` and ``V^T diag(xi^mu) V`` (mu = 1..P) for ``V = [Xi, 1]``, on row types, exact integers."""
    types = row_types(xi)
    V = np.hstack([types.rows.astype(np.float64), np.ones((types.n_types, 1))])
    weighted = V * types.counts[:, None]
    total = weighted.T @ V
    per_memory = np.einsum("tk,tl,tp->pkl", weighted, V, types.rows.astype(np.float64))
    return total, per_memory


def _reduction_cells(
    cells: dict, xi: np.ndarray, progress: Callable[[int, int], None] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Largest reduced eigenvalue over memories and lambda_max(W), per cell, by batched eigenproblems.

    ``U = V B`` with ``B = [[(u1 - u0) I, 0], [u0 1^T, 1]]`` (``u1 = 1 - beta``, ``u0 = -beta`` as
    stored by :func:`~assocrate.core.design.design`), so ``U^T D_mu U = B^T (d_a H_0 + (d_b - d_a) H_mu) B``
    with the integer count matrices H of :func:`_count_matrices`: the patterns are read once.
    """
    n_units, n_patterns = xi.shape
    m = n_patterns + 1
    H0, H = _count_matrices(xi)
    shape = cells["alpha"].shape
    flat = {key: np.nan_to_num(value.reshape(-1)) for key, value in cells.items() if key != "valid"}
    n_cells = flat["alpha"].size
    top = np.empty(n_cells)
    weights_top = np.empty(n_cells)
    block = max(1, _BLOCK_BYTES // (8 * n_patterns * m * m))
    for start in range(0, n_cells, block):
        part = slice(start, min(start + block, n_cells))
        beta = flat["beta"][part]
        u1, u0 = 1.0 - beta, -beta
        B = np.zeros((beta.size, m, m))
        B[:, np.arange(m - 1), np.arange(m - 1)] = (u1 - u0)[:, None]
        B[:, m - 1, : m - 1] = u0[:, None]
        B[:, m - 1, m - 1] = 1.0
        c = np.empty((beta.size, m))
        c[:, :-1] = flat["alpha_prime"][part, None] / n_units
        c[:, -1] = flat["gamma"][part] / n_units
        BT = np.swapaxes(B, 1, 2)
        weights_top[part] = batched_max_reduced_eigenvalue(BT @ H0 @ B, c)
        d_a, d_b = flat["d_a"][part], flat["d_b"][part]
        counts = d_a[:, None, None, None] * H0 + (d_b - d_a)[:, None, None, None] * H[None]
        grams = BT[:, None] @ counts @ B[:, None]
        top[part] = batched_max_reduced_eigenvalue(grams, c[:, None, :]).max(axis=1)
        if progress is not None:
            progress(part.stop, n_cells)
    if n_units > m:  # the bulk eigenvalue 0
        top = np.maximum(top, 0.0)
        weights_top = np.maximum(weights_top, 0.0)
    return top.reshape(shape), weights_top.reshape(shape)


def phase_diagram(
    *,
    activation: str = "sigmoid",
    a: float = -0.3,
    b: float = 0.95,
    rho: Sequence[float] | np.ndarray | None = None,
    threshold: Sequence[float] | np.ndarray | None = None,
    patterns: str | np.ndarray = "equal-overlap",
    n_units: int = 1000,
    q: float | None = None,
    n_patterns: int | None = None,
    r: float | None = None,
    seed: int = 0,
    tau: float = 1.0,
    method: str = "auto",
    progress: Callable[[int, int], None] | bool | None = None,
    prove: bool = False,
) -> xr.Dataset:
    """Local stability of the stored memories over a (rho, threshold) grid (theory.md §4).

    Parameters
    ----------
    activation : {"sigmoid", "tanh"}, default "sigmoid"
        Rate function family; each cell uses ``rho`` and ``threshold`` of its coordinates.
    a, b : float, default -0.3, 0.95
        Current levels of the designed memories (``a < b``).
    rho, threshold : 1-D sequence of float, optional
        Grid axes; default ``linspace(0.2, 5, 30)`` and ``linspace(0, 0.9, 30)`` (the paper's).
    patterns : str or array of 0/1, shape (N, P), default "equal-overlap"
        An ensemble name (``"equal-overlap"``, ``"random"``, ``"correlated"``), built with
        `n_units`, `q`, `n_patterns`, `r`, `seed`, or the patterns themselves.
    q, r : float, optional
        Activity and overlap fraction the design rule uses in every cell, as in
        :func:`~assocrate.core.design.design`: each is used when given (the authors design random
        patterns with the nominal q) and estimated from the patterns when omitted. A named
        ensemble is also built with them (`q` defaults to 0.2 there; `r` is required for
        ``"correlated"``). The attributes ``q_source`` and ``r_source`` say which happened.
    n_units, n_patterns, seed
        Passed to :func:`~assocrate.core.patterns.make_patterns` for a named ensemble.
    tau : float, default 1.0
        Time constant (eigenvalues scale as 1/tau).
    method : {"auto", "closed-form", "reduction"}, default "auto"
        ``"closed-form"``: the formulas of :func:`~assocrate.stability.closed_form_spectrum`
        (equal-overlap construction with ``r = q`` only); ``"reduction"``: batched exact
        (P+1) x (P+1) eigenproblems for any patterns; ``"auto"`` picks the closed form when it applies
        (the equal-overlap construction designed with its own q and r).
    progress : callable or bool, optional
        Called as ``progress(done_cells, total_cells)`` after each block of cells. ``True``: a rich
        progress bar on stderr (only on a terminal).
    prove : bool, default False
        Also give every cell an exact verdict (:mod:`assocrate.sweeps.proof`): variable ``proof``
        (codes -1 no-network, 0 undecided, 1 stable-proved, 2 unstable-proved; ``flag_meanings``).
        Needs an exact design (equal pattern sizes and overlaps), whose memories are equilibria.

    Returns
    -------
    xarray.Dataset
        Dims ``rho``, ``threshold``. Variables: ``max_eigenvalue`` (largest Jacobian eigenvalue
        over all memories, NaN where invalid), ``unstable`` (``max_eigenvalue >= 0``),
        ``sufficient_holds``, ``instability_holds``, ``sufficient_value`` (condition ``< 1``),
        ``instability_value`` (condition ``> 0``), ``alpha``, ``gamma``, ``d_a``, ``d_b`` and the mask
        ``valid``: False where ``phi(b) <= phi(a)`` (e.g. rectified tanh with b below threshold),
        where no network exists; there the floats are NaN and the flags False. Attributes record a, b,
        activation, ensemble, the design's q and r with ``q_source`` / ``r_source`` (``"given"`` or
        ``"estimated"``) and the patterns' own ``q_patterns`` / ``r_patterns``, N, P, tau, seed,
        method and the linearisation point.

    Raises
    ------
    ValueError
        For invalid arguments, naming them; ``method="closed-form"`` for other patterns.

    Notes
    -----
    The Jacobians are evaluated at the designed memories. For exact designs (equal sizes and
    overlaps: equal-overlap and correlated ensembles, designed with their own q and r) these are
    the equilibria; otherwise they are approximate (attribute ``point`` says so) -- refine per
    network with :func:`~assocrate.stability.local_stability` where it matters. Each cell equals
    ``local_stability(design(patterns, phi, a, b, q=q, r=r), at="ideal")``.

    Examples
    --------
    >>> ds = phase_diagram(rho=[0.5, 4.8], threshold=[0.2])
    >>> ds["unstable"].values.ravel().tolist(), ds.attrs["method"]
    ([True, False], 'closed-form')
    >>> import assocrate as aa
    >>> xi = aa.random_patterns(400, 8, 0.2, seed=2)
    >>> ds = phase_diagram(rho=[4.8], threshold=[0.2], patterns=xi, q=0.2, r=0.2)
    >>> ds.attrs["q"], ds.attrs["q_source"], ds.attrs["method"]
    (0.2, 'given', 'reduction')
    """
    if activation not in PHASE_ACTIVATIONS:
        raise InvalidInput(f"`activation` must be one of {list(PHASE_ACTIVATIONS)}; got {activation!r}")
    a, b = check_finite_float("a", a), check_finite_float("b", b)
    if a >= b:
        raise InvalidInput(f"`a` must be < `b`; got a={a!r}, b={b!r}")
    rho = _check_axis("rho", np.linspace(0.2, 5.0, 30) if rho is None else rho)
    if np.any(rho <= 0):
        raise InvalidInput(f"`rho` must be > 0 everywhere; got min {float(rho.min())!r}")
    threshold = _check_axis("threshold", np.linspace(0.0, 0.9, 30) if threshold is None else threshold)
    tau = check_positive("tau", tau)
    method = check_choice("method", method, PHASE_METHODS)
    progress = as_progress(progress, "phase-diagram cells")
    if isinstance(patterns, str):
        if patterns not in ENSEMBLES:
            raise InvalidInput(f"`patterns` must be one of {list(ENSEMBLES)} or a 0/1 array; got {patterns!r}")
        ensemble = patterns
        xi = make_patterns(
            patterns, n_units=check_positive_int("n_units", n_units), q=DEFAULT_ENSEMBLE_Q if q is None else q,
            n_patterns=n_patterns, r=r if patterns == "correlated" else None,  # else r is only the design's
            seed=None if patterns == "equal-overlap" else seed,  # the construction draws nothing
        )
    else:
        ensemble = "given"
        xi = check_patterns("patterns", patterns)
    stats = pattern_statistics(xi)
    design_q = stats.q if q is None else check_fraction("q", q)
    design_r = stats.r if r is None else check_fraction("r", r)
    n, n_patterns = xi.shape
    own = abs(design_q - stats.q) <= 1e-12 and abs(design_r - stats.r) <= 1e-12  # as MemoryNetwork.is_exact
    reason = pattern_structure_reason(row_types(xi).rows, lambda: stats)
    if reason is None and not own:
        reason = f"the design uses q={design_q:.6g}, r={design_r:.6g}, not the patterns' q={stats.q:.6g}, r={stats.r:.6g}"
    if method == "closed-form" and reason is not None:
        raise InvalidInput(f"`method`='closed-form' needs the equal-overlap design: {reason}")
    if not isinstance(prove, bool):
        raise InvalidInput(f"`prove` must be True or False; got {prove!r}")
    if prove and not (stats.is_exact_design and own):
        raise InvalidInput("`prove`=True needs an exact design (equal pattern sizes and pairwise overlaps, e.g. "
                           "'equal-overlap' or 'correlated', designed with their own q and r): otherwise the designed "
                           "memories are not equilibria")
    chosen = "closed-form" if method == "closed-form" or (method == "auto" and reason is None) else "reduction"

    n_cells, k = rho.size * threshold.size, row_types(xi).n_types if chosen == "reduction" else 1
    check_cost(  # about 30 float64 arrays over the grid; a (P+1)-sized eigenproblem per cell and memory
        Cost(bytes=30.0 * 8.0 * n_cells + 8.0 * n * n_patterns,
             flops=n_cells * (100.0 + (0.0 if chosen == "closed-form" else n_patterns * (10.0 * (n_patterns + 1) ** 3 + k)))),
        f"phase_diagram: {rho.size} x {threshold.size} cells, N={n}, P={n_patterns} ({chosen})",
        "the number of grid points (`rho`, `threshold`)",
    )
    cells = _grid_design(activation, rho, threshold, a, b, design_q, design_r)
    valid = cells["valid"]
    with np.errstate(invalid="ignore"):
        if chosen == "closed-form":
            top, weights_top = _closed_form_cells(cells, design_q, n_patterns, n)
            if progress is not None:
                progress(valid.size, valid.size)
        else:
            top, weights_top = _reduction_cells(cells, xi, progress)
        eta = np.maximum(cells["d_a"], cells["d_b"])
        sufficient = eta * np.maximum(weights_top, 0.0)
        instability = np.maximum(*instability_terms(cells["alpha"], cells["gamma"], design_q, cells["d_a"], cells["d_b"]))
    nan = np.nan
    max_eigenvalue = np.where(valid, (-1.0 + top) / tau, nan)
    dims = ("rho", "threshold")
    exact = stats.is_exact_design and own
    data = {
        "max_eigenvalue": (dims, max_eigenvalue, {"long_name": "largest Jacobian eigenvalue over all memories"}),
        "unstable": (dims, valid & (max_eigenvalue >= 0), {"long_name": "some memory has an eigenvalue >= 0"}),
        "sufficient_holds": (dims, valid & (sufficient < 1), {"long_name": "eta max(lambda_max(W), 0) < 1"}),
        "instability_holds": (dims, valid & (instability > 0), {"long_name": "instability condition > 0"}),
        "sufficient_value": (dims, np.where(valid, sufficient, nan), {"long_name": "eta max(lambda_max(W), 0)"}),
        "instability_value": (dims, np.where(valid, instability, nan), {"long_name": "instability condition"}),
        "alpha": (dims, cells["alpha"], {"long_name": "(b - a) / (phi(b) - phi(a))"}),
        "gamma": (dims, cells["gamma"], {"long_name": "E/I balance weight"}),
        "d_a": (dims, cells["d_a"], {"long_name": "phi'(a)"}),
        "d_b": (dims, cells["d_b"], {"long_name": "phi'(b)"}),
        "valid": (dims, valid, {"long_name": "phi(b) > phi(a): the design exists"}),
    }
    attrs = {
        "title": "local stability phase diagram (theory.md §4)",
        "a": a,
        "b": b,
        "activation": activation,
        "ensemble": ensemble,
        "q": design_q,
        "r": design_r,
        "q_source": "estimated" if q is None else "given",
        "r_source": "estimated" if r is None else "given",
        "q_patterns": stats.q,
        "r_patterns": stats.r,
        "N": n,
        "P": n_patterns,
        "tau": tau,
        "seed": seed if ensemble in ("random", "correlated") else -1,
        "method": chosen,
        "point": "designed memories (exact equilibria)" if exact else "designed memories (approximate equilibria, not refined)",
        "unstable_rule": "max_eigenvalue >= 0",
        "assocrate_version": __version__,
    }
    coords = {
        "rho": ("rho", rho, {"long_name": "gain rho"}),
        "threshold": ("threshold", threshold, {"long_name": "threshold x*"}),
    }
    if prove:
        data["proof"] = proof_variable(prove_cells(cells, xi, activation, rho, threshold, a, b), dims)
    return xr.Dataset(data, coords=coords, attrs=attrs)

