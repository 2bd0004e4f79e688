"""Constraint blocks: floating-point definiteness, the residual table, rounding to dyadic rationals."""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import pytest

from assocrate.certify.blocks import (
    Block,
    fmpq_bmat,
    fmpq_diag,
    fmpq_to_float,
    is_definite_float,
    min_eigenvalue,
    round_symmetric,
    round_vector,
    verify_blocks,
)
from assocrate.certify.exact import is_positive_definite_exact


@pytest.mark.parametrize("seed", range(5))
def test_min_eigenvalue_matches_eigvalsh_of_symmetric_part(seed):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((6, 6))
    expected = np.linalg.eigvalsh((M + M.T) / 2)[0]
    assert min_eigenvalue(M) == pytest.approx(expected, abs=1e-12)


def test_is_definite_float_sign_and_margin():
    M = np.diag([-3.0, -1.0])
    assert is_definite_float(M)  # sign=-1 by default: M < 0
    assert is_definite_float(M, margin=0.9)
    assert not is_definite_float(M, margin=1.1)
    assert not is_definite_float(M, sign=1)
    assert is_definite_float(-M, sign=1, margin=0.5)
    assert not is_definite_float(np.zeros((2, 2)), sign=1)  # semidefinite is not definite
    skew = np.array([[-1.0, 5.0], [-5.0, -1.0]])  # symmetric part -I
    assert is_definite_float(skew) and min_eigenvalue(skew) == pytest.approx(-1.0)


@pytest.mark.parametrize("seed", range(5))
def test_float_and_exact_checks_agree_away_from_the_boundary(seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((8, 8))
    M = (A + A.T) / 2
    if abs(min_eigenvalue(M)) > 1e-6:
        assert is_definite_float(M, sign=1) is is_positive_definite_exact(M)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: min_eigenvalue(np.zeros((2, 3))), ValueError, r"`M` must be square; got shape \(2, 3\)"),
        (lambda: min_eigenvalue(np.zeros((0, 0))), ValueError, r"`M` must be non-empty"),
        (lambda: min_eigenvalue([[np.inf]]), ValueError, r"`M` must be finite"),
        (lambda: min_eigenvalue([["a"]]), TypeError, r"`M` must be a real numeric matrix"),
        (lambda: is_definite_float(np.eye(2), sign=0), ValueError, r"`sign` must be -1 or 1; got 0"),
        (lambda: is_definite_float(np.eye(2), margin=-1.0), ValueError, r"`margin` must be finite and >= 0; got -1.0"),
        (lambda: is_definite_float(np.eye(2), margin="0"), TypeError, r"`margin` must be a real number"),
        (lambda: is_definite_float(np.ones(3)), ValueError, r"`M` must be square"),
    ],
)
def test_float_checks_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_check_blocks_reports_the_smallest_eigenvalue_per_name():
    blocks = [Block("A > 0", fmpq_diag([2, 3])), Block("A > 0", fmpq_diag([1, 5])), Block("B > 0", fmpq_diag([-1]))]
    residuals, verified_float, verified_exact = verify_blocks(blocks)
    assert [(r.name, r.min_eigenvalue) for r in residuals] == [("A > 0", 1.0), ("B > 0", -1.0)]
    assert not verified_float and not verified_exact
    residuals, verified_float, verified_exact = verify_blocks(blocks[:2])
    assert verified_float and verified_exact


def test_a_metric_scales_the_reported_eigenvalue():
    """A block written in a non-orthonormal basis: the eigenvalues of m^-1/2 G m^-1/2 are reported."""
    (row,), _, _ = verify_blocks([Block("G > 0", fmpq_diag([4, 9]), metric=(4, 9))])
    assert row.min_eigenvalue == pytest.approx(1.0)


def test_block_matrix_and_exact_floats():
    M = fmpq_bmat([[fmpq_diag([1, 2]), fmpq_diag([0, 0])], [fmpq_diag([0, 0]), fmpq_diag([flint.fmpq(1, 3), 4])]])
    assert M.nrows() == 4 and M[2, 2] == flint.fmpq(1, 3)
    assert fmpq_to_float(M)[2, 2] == 1 / 3


def test_rounding_keeps_symmetry_and_is_exact():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 5))
    rounded, exact = round_symmetric(A @ A.T)
    assert np.array_equal(rounded, rounded.T) and exact == exact.transpose()
    assert np.array_equal(fmpq_to_float(exact), rounded)
    values, fractions = round_vector(np.array([1 / 3, 0.0, -2.5e-7]))
    assert [Fraction(v) for v in values] == fractions and fractions[1] == 0
    assert values[0] == pytest.approx(1 / 3, rel=2**-29)


def test_block_summary_names_the_constraint_and_size():
    assert Block("P > 0", fmpq_diag([1, 2]), metric=(1, 2)).summary() == "P > 0 (2 x 2, weighted)"
