"""Solver policy: defaults, the one status table, limits and failures as statuses, cvxpy kept lazy."""

from __future__ import annotations

import subprocess
import sys

import cvxpy as cp
import cvxpy.settings as cp_settings
import numpy as np
import pytest

import assocrate as aa
from assocrate.certify.contraction import certify_contraction
from assocrate.certify.lds import certify_lds
from assocrate.certify.solver import CLARABEL_MAX_SIZE, SOLVER_STATUSES, default_solver, solve_problem

from .helpers import low_gain


def test_default_solver_by_size():
    assert default_solver(2) == "CLARABEL"
    assert default_solver(CLARABEL_MAX_SIZE) == "CLARABEL"
    assert default_solver(CLARABEL_MAX_SIZE + 1) in ("SCS", "CVXOPT")


def test_statuses_are_mapped_to_verdicts():
    x = cp.Variable()
    info, failure = solve_problem(cp.Problem(cp.Maximize(x), [x >= 1, x <= 0]), "CLARABEL", {})
    assert info.status.startswith("infeasible")
    assert failure.status is aa.CertificateStatus.INFEASIBLE and failure.reason == SOLVER_STATUSES[cp.INFEASIBLE][1]
    info, failure = solve_problem(cp.Problem(cp.Maximize(x), [x <= 2]), "CLARABEL", {})
    assert failure is None and info.solve_time >= 0 and info.version


def test_iteration_limit_is_a_verdict_not_an_exception(equal_overlap_network):
    cert = certify_contraction(low_gain(equal_overlap_network), solver="SCS", solver_options={"max_iters": 2})
    assert not cert.verified_exact
    assert cert.claim.startswith("no certificate found")
    assert cert.status is not aa.CertificateStatus.CERTIFIED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"solver": "MOSEKX"}, "`solver` must be one of"),
        ({"reduction": "half"}, "`reduction` must be one of"),
        ({"solver_options": [1]}, "`solver_options` must be a mapping"),
    ],
)
def test_rejects_bad_options(equal_overlap_network, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        certify_lds(equal_overlap_network, **kwargs)
    with pytest.raises(ValueError, match="`form` must be one of"):
        certify_contraction(equal_overlap_network, form="both")
    with pytest.raises(TypeError, match="`network` must be a MemoryNetwork"):
        certify_lds(np.eye(3))


def test_too_many_classes_is_a_verdict(random_network):
    for cert in (certify_lds(random_network), certify_contraction(random_network)):
        assert not cert.verified_exact
        assert "would have dimension" in cert.claim and cert.solver is None
        assert cert.status is aa.CertificateStatus.TOO_LARGE


def test_every_cvxpy_status_is_in_the_one_table():
    statuses = {cp.OPTIMAL, cp.OPTIMAL_INACCURATE, cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE, cp.UNBOUNDED,
                cp.UNBOUNDED_INACCURATE, cp_settings.INFEASIBLE_OR_UNBOUNDED, cp.USER_LIMIT, cp.SOLVER_ERROR}
    assert set(SOLVER_STATUSES) == statuses
    assert SOLVER_STATUSES[cp.OPTIMAL] is None and SOLVER_STATUSES[cp.OPTIMAL_INACCURATE] is None
    assert SOLVER_STATUSES[cp.USER_LIMIT][0] is aa.CertificateStatus.ITERATION_LIMIT


def test_importing_certify_does_not_import_cvxpy():
    code = (
        "import sys, assocrate, assocrate.certify; "
        "from assocrate.certify import Certificate, verify, certify_lds; "
        "assert 'cvxpy' not in sys.modules, sorted(m for m in sys.modules if 'cvxpy' in m)[:3]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_failure_summary_names_the_status(equal_overlap_network):
    from assocrate.certify._reduction import reduce_network
    from assocrate.certify.solver import solve_lds_lmi

    solution = solve_lds_lmi(reduce_network(equal_overlap_network), 1.2, solver="CLARABEL", options={})
    text = solution.summary()
    assert text.startswith("LDS margin problem (CLARABEL")
    assert ("infeasible" in text) if solution.failure is not None else ("margin t = " in text)
