"""The compiled Euler–Maruyama tiles (assocrate.dynamics._fused) against plain numpy.

The reference below is the step as separate numpy passes: the same row blocks and tiles and BLAS
products (numba's ``np.dot``, which the kernel calls: the same routine and
arguments), with phi, the update, the noise (each step's, filled at once) and the boundary one
after the other; the sigmoid is
``1 / (1 + exp(-z))`` on the kernel's own exp (its accuracy is tested on its own, against long
double). The compiled step must give the same trajectories bit for bit.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assocrate.core.patterns import random_patterns
from assocrate.dynamics import _fused, euler_maruyama, sde, threads, tiles, vector_field
from assocrate.dynamics._fused import Boundary, Phi, exp_clamped, exp_entries, fill_normals, phi_tile, update_tile
from assocrate.dynamics.fields import InputSource, affine_part, phi_inplace

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly


@dataclass(frozen=True)
class WrappedSigmoid:
    """An activation of the user's: the protocol, with phi computed by the reference sigmoid."""

    rho: float = REFERENCE_SIGMOID.rho
    threshold: float = REFERENCE_SIGMOID.threshold
    name = "wrapped sigmoid"

    def phi(self, h):
        return REFERENCE_SIGMOID.phi(h)


def reference_phi(activation, H):
    """The step's phi in place: ``1 / (1 + exp(-z))`` for the fused sigmoid (no expit), else the numpy path."""
    if type(activation) not in _fused.FUSED_CORES:
        return phi_inplace(activation, H)
    scale, shift, _ = affine_part(activation)
    H *= scale
    H += shift
    return _logistic(H)


def _logistic(Z):
    """``Z <- 1 / (1 + exp(-Z))`` in place, exp the kernel's (an overflow gives 0)."""
    E = np.negative(Z)
    exp_entries(E, E)
    Z[...] = 1 / (1 + E)
    return Z


@numba.njit(cache=True)
def _dot(A, B, out):
    """``out = A B`` through numba's np.dot: the BLAS call the kernel makes on the same arrays."""
    np.dot(A, B, out)


def numpy_run(network, X0, dt, n_steps, *, sigma, seed, form, boundary, dtype, record_every, u=None):
    """(recorded states, speeds) of euler_maruyama's numpy step, tile by tile, serially."""
    X = np.array(X0, dtype=dtype, order="C")
    n_units, batch = X.shape
    activation = network.activation
    U = network.L.astype(dtype)
    V = U if network.is_symmetric else network.R.astype(dtype)
    blocks, bounds, first = tiles.tiling(n_units, batch, U.shape[1])
    block_tiles = [[slice(int(bounds[t]), int(bounds[t + 1])) for t in range(first[i], first[i + 1])]
             for i in range(len(blocks))]
    key = np.uint64(sde.noise_key(seed)) if sigma > 0 else None
    step_words = tiles.words_per_step(n_units, batch)
    affine = affine_part(activation)
    if form != "rate" or not np.all(network.L[:, -1] == 1.0):
        affine = None
    scale = 1.0 if affine is None else affine[0]
    c = (network.c * scale).astype(dtype)[:, None]
    rate, noise_scale = np.dtype(dtype).type(dt / network.tau), np.dtype(dtype).type(sigma * math.sqrt(dt))
    u_value = None if u is None else np.asarray(u, dtype=dtype)
    states, speeds = [], []

    def coefficient_matrix():
        Y = X if form == "rate" else reference_phi(activation, X.copy())
        shares = []  # per block: its tiles' shares added in row order
        for block in block_tiles:
            for k, rows in enumerate(block):
                part = np.empty((U.shape[1], batch), dtype=dtype)
                _dot(V[rows].T, np.ascontiguousarray(Y[rows]), part)
                if k == 0:
                    shares.append(part)
                else:
                    shares[-1] += part
        coefficients = np.sum(np.stack(shares), axis=0)
        coefficients *= c
        if affine is not None:
            coefficients[-1] += affine[1]
        return coefficients

    def drift(coefficients, rows):
        """``phi(W x + u) - x`` (rate form) or ``W phi(h) + u - h`` (current form) on `rows`, times tau."""
        H = np.empty((rows.stop - rows.start, batch), dtype=dtype)
        _dot(U[rows], coefficients, H)
        if u_value is not None:  # a scalar, (N,) (a column for every trajectory) or (N, B)
            value = u_value if u_value.ndim == 0 else u_value.reshape(n_units, -1)[rows]
            H += value * np.dtype(dtype).type(scale)
        if form == "rate":
            if affine is None:
                reference_phi(activation, H)
            elif type(activation) in _fused.FUSED_CORES:
                _logistic(H)  # H holds z (scale and shift folded)
            else:
                affine[2](H)
        H -= X[rows]
        return H

    def speed_of(drifts):
        return np.max(np.stack([np.max(np.abs(d), axis=0) for d in drifts]), axis=0).astype(np.float64) / network.tau

    for k in range(n_steps):
        measure = k % record_every == 0
        if measure:
            states.append(X.copy())
        coefficients = coefficient_matrix()
        drifts = []
        if sigma > 0:  # the step's whole noise at once (the kernel fills it tile by tile)
            noise = np.empty_like(X)
            fill_normals(key, np.uint64(k * step_words), 0, noise)
        for block in block_tiles:
            for rows in block:
                H = drift(coefficients, rows)
                drifts.append(H.copy())
                H *= rate
                X[rows] += H
                if sigma > 0:
                    H = noise[rows] * noise_scale
                    X[rows] += H
                if boundary == "clip":
                    np.clip(X[rows], 0.0, 1.0, out=X[rows])
                elif boundary == "reflect":
                    tiles.reflect(X[rows])
        if measure:
            speeds.append(speed_of(drifts))
    states.append(X.copy())
    coefficients = coefficient_matrix()
    speeds.append(speed_of([drift(coefficients, rows) for block in block_tiles for rows in block]))
    return np.stack(states), np.stack(speeds)


def assert_same_run(network, X0, dt, n_steps, **kwargs):
    """euler_maruyama equals the numpy step, bit for bit (states and speeds; NaN payloads and -0.0 included)."""
    run = euler_maruyama(network, X0, dt, n_steps, **kwargs)
    states, speeds = numpy_run(network, X0, dt, n_steps, **kwargs)
    bits = np.uint64 if run.states.dtype == np.float64 else np.uint32
    np.testing.assert_array_equal(run.states.view(bits), states.astype(run.states.dtype).view(bits))
    np.testing.assert_array_equal(run.speed, speeds)


@pytest.fixture(scope="module")
def networks():
    patterns = random_patterns(200, 5, 0.2, seed=4)
    rng = np.random.default_rng(0)
    unequal = rng.random((200, 6)) < rng.uniform(0.15, 0.35, 6)
    return {
        "sigmoid": design_quietly(patterns, REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2),
        # L's last column is not 1: phi's scale and shift are applied in the pass; R != L
        "sigmoid-projection": design_quietly(unequal, REFERENCE_SIGMOID, -0.3, 0.95, rule="projection"),
        "tanh": design_quietly(patterns, REFERENCE_TANH, -0.3, 0.95, q=0.2, r=0.2),
    }


def starts(network, form, batch=6):
    X0 = 0.7 * network.memory_rates()[:, np.arange(batch) % network.n_patterns] + 0.02
    return X0 if form == "rate" else network.memory_currents()[:, np.arange(batch) % network.n_patterns]


# (block entries, tile entries, thread threshold): serial in one block of one tile; one block of 20-row
# tiles; 8 blocks of 3-row tiles; the same 8 blocks in worker threads
BLOCKINGS = {
    "1 block": (1 << 16, 1 << 16, 1 << 19),
    "1 block, tiles": (1 << 16, 20 * 20, 1 << 19),
    "8 blocks, tiles": (100, 3 * 20, 1 << 19),
    "8 blocks threaded": (100, 1 << 16, 0),
}
CASES = [("rate", boundary) for boundary in sde.BOUNDARIES] + [("current", "none")]


@pytest.mark.parametrize("blocking", sorted(BLOCKINGS))
@pytest.mark.parametrize("sigma", [0.0, 0.3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("form", "boundary"), CASES)
def test_trajectories_equal_the_numpy_step(networks, monkeypatch, form, boundary, dtype, sigma, blocking):
    block_entries, tile_entries, thread_entries = BLOCKINGS[blocking]
    monkeypatch.setattr(tiles, "_BLOCK_ENTRIES", block_entries)
    monkeypatch.setattr(tiles, "_TILE_ENTRIES", tile_entries)  # m + 2 B = 6 + 12 = 18 entries per row
    monkeypatch.setattr(threads, "_THREAD_MIN_ENTRIES", thread_entries)
    network = networks["sigmoid"]
    kwargs = dict(sigma=sigma, seed=5, form=form, boundary=boundary, dtype=dtype, record_every=7)
    assert_same_run(network, starts(network, form), 0.05, 30, **kwargs)


@pytest.mark.parametrize("name", ["sigmoid-projection", "tanh", "wrapped"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("form", "boundary"), [("rate", "reflect"), ("current", "none")])
def test_other_activations_and_factors_equal_the_numpy_step(networks, monkeypatch, name, dtype, form, boundary):
    """Unfolded phi (projection rule), phi by numpy (tanh, an activation of the user's)."""
    monkeypatch.setattr(tiles, "_BLOCK_ENTRIES", 100)
    network = replace(networks["sigmoid"], activation=WrappedSigmoid()) if name == "wrapped" else networks[name]
    kwargs = dict(sigma=0.3, seed=6, form=form, boundary=boundary, dtype=dtype, record_every=5, u=0.05)
    assert_same_run(network, starts(network, form), 0.05, 20, **kwargs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("form", ["rate", "current"])
def test_sigmoid_through_numpy_phi_gives_the_same_trajectories_to_a_few_ulp(networks, monkeypatch, form, dtype):
    """Without its compiled phi, the sigmoid takes the numpy path of the other activations (scipy's expit).

    The compiled ``1 / (1 + exp(-z))`` is within 4 ulp of expit (the property test below); over 20
    steps of rate dt/tau = 0.05 the states (at most 2) differ by at most 4 eps (measured: 0 to 1 eps).
    """
    network = networks["sigmoid"]
    kwargs = dict(sigma=0.3, seed=7, form=form, dtype=dtype, record_every=5, u=0.05)
    compiled = euler_maruyama(network, starts(network, form), 0.05, 20, **kwargs)
    monkeypatch.setattr(_fused, "FUSED_CORES", {})
    through_numpy = euler_maruyama(network, starts(network, form), 0.05, 20, **kwargs)
    np.testing.assert_allclose(compiled.states, through_numpy.states, rtol=0.0, atol=4 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("form", ["rate", "current"])
def test_final_speed_is_the_vector_fields_to_a_few_ulp(networks, form, dtype):
    """The last recorded speed (the step's own drift, phi from exp(-z)) against ``max |vector_field|``
    (phi from expit). phi <= 1 differs by at most 4 ulp, so the drifts differ by at most 4 eps
    (rate form) or ``4 ||W||_inf`` eps (current form; 4.1 here), plus 4 eps of rounding (tau = 1;
    measured: at most 1 eps)."""
    network = networks["sigmoid"]
    assert network.tau == 1.0
    run = euler_maruyama(network, starts(network, form), 0.05, 9, sigma=0.3, seed=3, form=form, dtype=dtype, u=0.05)
    field = vector_field(network, run.final, 9 * 0.05, u=0.05, form=form)
    gain = 1.0 if form == "rate" else np.abs(network.dense_weights()).sum(axis=1).max()
    np.testing.assert_allclose(run.speed[-1], np.max(np.abs(field), axis=0), rtol=0.0,
                               atol=(4 * gain + 4) * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_far_excursions_take_the_tile_fold(networks, monkeypatch, dtype):
    """sigma sqrt(dt) = 0.5 on 3-row tiles of 18 entries: about one entry in 20 leaves [-1, 2], so some
    tiles take numpy's general fold and others fold in the pass (a fold per block would fold them all)."""
    monkeypatch.setattr(tiles, "_BLOCK_ENTRIES", 100)
    monkeypatch.setattr(tiles, "_TILE_ENTRIES", 60)  # m + 2 B = 18 entries per row: 3-row tiles
    network = networks["sigmoid"]
    kwargs = dict(sigma=0.5, seed=8, form="rate", boundary="reflect", record_every=1)
    X0 = starts(network, "rate")
    folds, fold = [], tiles.reflect
    with monkeypatch.context() as patch:
        patch.setattr(tiles, "reflect", lambda X: (folds.append(X.shape), fold(X)))
        euler_maruyama(network, X0, 1.0, 5, dtype=dtype, **kwargs)
    tile_steps = 5 * (len(tiles.tiling(*X0.shape, network.L.shape[1])[1]) - 1)
    assert 0 < len(folds) < tile_steps / 2 and all(shape[0] <= 3 for shape in folds)
    assert_same_run(network, X0, 1.0, 5, dtype=dtype, **kwargs)


@pytest.mark.parametrize("name", ["sigmoid", "sigmoid-projection", "tanh"])
@pytest.mark.parametrize("shape", ["column", "matrix"])
@pytest.mark.parametrize("form", ["rate", "current"])
def test_array_inputs_equal_the_numpy_step(networks, monkeypatch, name, shape, form):
    """An (N,) or (N, B) input on many tiles: each tile adds its own rows (and columns) of u."""
    monkeypatch.setattr(tiles, "_BLOCK_ENTRIES", 100)
    monkeypatch.setattr(tiles, "_TILE_ENTRIES", 7 * 18)
    network = networks[name]
    X0 = starts(network, form)
    rng = np.random.default_rng(11)
    u = 0.1 * rng.standard_normal(X0.shape[0] if shape == "column" else X0.shape)
    assert_same_run(network, X0, 0.05, 12, sigma=0.2, seed=9, form=form, boundary="none", dtype=np.float64,
                    record_every=4, u=u)


@functools.cache
def small_network(n_units: int):
    return design_quietly(random_patterns(n_units, 3, 0.3, seed=n_units), REFERENCE_SIGMOID, -0.3, 0.95, q=0.3, r=0.2)


@settings(max_examples=60)
@given(
    n_units=st.sampled_from([9, 40, 113]),
    batch=st.integers(1, 5),
    dt=st.floats(1e-3, 1.0),
    sigma=st.floats(0.0, 2.0),
    seed=st.integers(0, 2**32 - 1),
    case=st.sampled_from(CASES),
    dtype=st.sampled_from([np.float64, np.float32]),
    u=st.one_of(st.none(), st.floats(-1.0, 1.0)),
    block_entries=st.sampled_from([1, 17, 1 << 16]),
    tile_entries=st.sampled_from([1, 50, 1 << 16]),
)
def test_trajectories_equal_the_numpy_step_property(n_units, batch, dt, sigma, seed, case, dtype, u, block_entries,
                                                    tile_entries):
    network = small_network(n_units)
    form, boundary = case
    X0 = np.random.default_rng(seed).random((n_units, batch))
    if form == "current":
        X0 = 3.0 * X0 - 1.0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tiles, "_BLOCK_ENTRIES", block_entries)
        patch.setattr(tiles, "_TILE_ENTRIES", tile_entries)
        assert_same_run(network, X0, dt, 6, sigma=sigma, seed=seed, form=form, boundary=boundary, dtype=dtype,
                        record_every=2, u=u)


@settings(max_examples=200)
@given(
    h=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=40),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_compiled_sigmoid_is_the_numpy_exp_ratio_and_within_4_ulp_of_expit(h, dtype):
    """phi(h) from phi_tile: ``1 / (1 + exp(-(k h - k c)))`` in numpy bit for bit (scale and shift as
    numpy applies them, float32 in float32, exp the kernel's), within 4 ulp of scipy's expit (or
    below the smallest normal number, where exp(-z) overflows and expit is subnormal)."""
    X = np.array(h, dtype=dtype)[:, None]
    scale, shift = (np.dtype(dtype).type(value) for value in affine_part(REFERENCE_SIGMOID)[:2])
    compiled = np.empty_like(X)
    with np.errstate(all="ignore"):  # inf * scale - shift is nan in all
        phi_tile(X, compiled, int(Phi.SIGMOID), -scale, shift)
        expected = reference_phi(REFERENCE_SIGMOID, X.copy())
        expit = phi_inplace(REFERENCE_SIGMOID, X.copy())
    finite = ~np.isnan(expit)  # a NaN's sign bit is not compared (numpy's -z flips it)
    np.testing.assert_array_equal(np.isnan(compiled), ~finite)
    np.testing.assert_array_equal(np.isnan(expected), ~finite)
    assert compiled[finite].tobytes() == expected[finite].tobytes()
    error = np.abs(compiled[finite] - expit[finite])
    assert np.all(error <= 4 * np.spacing(expit[finite]) + np.finfo(dtype).tiny)


def _fold_step(H, X, rate, boundary):
    """update_tile (no noise) on a copy, with euler_maruyama's numpy fold when the pass asks for it."""
    H, X = H.copy(), X.copy()
    speed = np.zeros(X.shape[1])
    fold = update_tile(H, X, 0, int(Phi.GIVEN), X.dtype.type(rate), None, X.dtype.type(1.0), int(boundary), speed, True)
    if fold:
        np.copyto(X, H)
        tiles.reflect(X)
    return X, speed, fold


@pytest.mark.parametrize(
    ("entries", "folds"),
    [
        ([0.2, -0.5, 1.5, 0.9], False),  # within [-1, 2]: folded in the pass
        ([0.2, -0.5, 2.5, 0.9], True),  # beyond: the block's general fold
        ([0.2, -1.5, 0.5, 0.9], True),
        ([0.2, np.nan, 1.5, -0.5], True),  # numpy leaves a block with a NaN as it is
        ([-0.0, -0.5, 0.3, 0.9], False),  # numpy's |x| on the block turns -0.0 into 0.0, as the pass does
        ([-0.0, 0.5, 0.3, 0.9], True),  # no negative entry: numpy leaves -0.0 alone
    ],
)
def test_reflection_equals_numpys_block_rule(entries, folds):
    H, X, expected = _unfolded(entries)
    tiles.reflect(expected)
    folded, _, fold = _fold_step(H, X, 0.5, Boundary.REFLECT)
    assert fold == folds
    assert folded.tobytes() == expected.tobytes()


def test_clip_equals_numpys_clip():
    H, X, expected = _unfolded([-0.0, np.nan, -0.5, 1.5, 0.3, 1.0, 0.0])
    np.clip(expected, 0.0, 1.0, out=expected)
    clipped, _, fold = _fold_step(H, X, 0.5, Boundary.CLIP)
    assert not fold
    assert clipped.tobytes() == expected.tobytes()


def _unfolded(entries):
    """H, X with unfolded ``x = X + (H - X) / 2`` = the entries (H = 2 x, X = 0; a leading -0.0 from
    X = -0.0 and an underflow), and that x computed by numpy."""
    target = np.array(entries)[:, None]
    X, H = np.zeros_like(target), 2.0 * target
    if math.copysign(1.0, entries[0]) < 0:
        X[0], H[0] = -0.0, -5e-324
    expected = X + (H - X) * 0.5
    assert np.array_equal(expected, target, equal_nan=True) and math.copysign(1.0, expected[0, 0]) == math.copysign(
        1.0, entries[0])
    return H, X, expected


def test_speed_is_the_largest_change_and_keeps_nan():
    H = np.array([[0.5, np.nan], [0.1, 0.3], [0.9, 0.2]])
    X = np.full_like(H, 0.4)
    _, speed, _ = _fold_step(H, X, 0.01, Boundary.NONE)
    np.testing.assert_array_equal(speed, np.max(np.abs(H - X), axis=0))
    assert np.isnan(speed[1])


def test_exp_is_within_one_ulp_and_clamped_outside_its_range():
    """The kernel's exp against mpmath at 40 digits on [-708, 709.78] (4000 points, the edges and the
    reduction's half-way points among them): within 1 ulp (measured: 0.94 on 3e6 points against
    long double). Outside: inf above 709.78, exp(-708) below -708 (the logistic is 1 either way), NaN
    stays NaN; float32 entries are the float64 value rounded once."""
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.default_rng(0)
    half_ways = (np.arange(-1021, 1024) + 0.5) * math.log(2)
    x = np.concatenate([rng.uniform(-708, 709.78, 2000), rng.uniform(-2, 2, 1000), rng.choice(half_ways, 990),
                        [0.0, -0.0, 1e-300, -1e-300, 1.0, -1.0, 709.78, -708.0, 700.0, -700.0]])
    got = np.empty_like(x)
    exp_entries(x, got)
    with mpmath.workdps(40):
        exact = [mpmath.exp(mpmath.mpf(float(value))) for value in x]
    ulps = [abs((mpmath.mpf(float(g)) - e) / float(np.spacing(float(e)))) for g, e in zip(got, exact)]
    assert max(ulps) <= 1.0
    assert exp_clamped(709.79) == np.inf and exp_clamped(np.inf) == np.inf
    assert exp_clamped(-800.0) == exp_clamped(-708.0) == exp_clamped(-np.inf) > 0.0
    assert np.isnan(exp_clamped(np.nan))
    x32 = rng.uniform(-100, 80, 1000).astype(np.float32)
    got32 = np.empty_like(x32)
    exp_entries(x32, got32)
    expected32 = np.empty(x32.shape)
    exp_entries(x32.astype(np.float64), expected32)
    assert got32.tobytes() == expected32.astype(np.float32).tobytes()


def test_float32_runs_use_the_networks_float32_factors(networks):
    """No float32 copy of L or R per run: the network keeps them (L32, R32), the kernel takes those."""
    network = networks["sigmoid-projection"]
    assert not network.is_symmetric
    X = np.zeros((network.n_units, 2), dtype=np.float32)
    kernel = tiles.TileKernel(network, X, form="rate", dt=0.01, sigma=0.0, boundary="none",
                              source=InputSource(None, network.n_units, 2, X.dtype), key=0)
    assert kernel.L is network.L32 and kernel.R is network.R32
    np.testing.assert_array_equal(network.R32, network.R.astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_touch_rows_loads_one_entry_per_cache_line(dtype):
    """The sum of every (64 / itemsize)-th entry of rows a:b, read-only (the step keeps the result only
    so that the loads stay; a value here shows that they cover the rows and nothing else)."""
    A = np.arange(40 * 7, dtype=dtype).reshape(40, 7)
    before = A.copy()
    step = 64 // A.itemsize
    assert _fused.touch_rows(np.empty((40, 0), dtype=dtype), 0, 40) == 0.0  # an empty batch reads nothing
    for a, b in [(0, 40), (3, 17), (39, 40), (5, 5)]:
        expected = A.reshape(-1)[a * 7:b * 7:step].sum(dtype=np.float64)
        assert _fused.touch_rows(A, a, b) == pytest.approx(expected, rel=1e-6)
    np.testing.assert_array_equal(A, before)
